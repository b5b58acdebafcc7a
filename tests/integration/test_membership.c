/* Membership changes (POST /cluster/join, POST /cluster/leave; src/node/
 * admin_members.c) on real server processes (tests/support/cluster.h):
 *
 *  1. Nodes 4 and 5 join a 3-node cluster under a steady write load (3
 *     writer threads): node 4 with --join (it asks a follower itself and
 *     follows the 307), node 5 started with no members and added by an
 *     operator's POST /cluster/join?wait=true sent to a follower (the test
 *     follows the 307). Both catch up through a snapshot, are promoted, and
 *     every node lists 5 voters; no writer goes longer than an election
 *     timeout without a successful write; every acknowledged key is on all
 *     5 nodes (read locally with READONLY) and the 5 digests agree.
 *  2. On that cluster, a follower (node 2) leaves, then the leader itself
 *     (its 307 followed to the new leader) under the same load: the
 *     leadership moves, writes go on with the same bound on their gaps,
 *     /cluster/members lists the 3 left and "removed" both, each removed
 *     node's /health answers 503 "removed from the cluster", the removed
 *     nodes cause no election, and every acknowledged key is on the 3 left.
 *  3. Edge cases on a cluster with an admin token: 401 without it or with a
 *     wrong one; 400 for malformed bodies and wrong types; a learner that
 *     never runs (the node died before its promotion) is added, is
 *     idempotent, refuses another address for its id and its address for
 *     another id, answers ?wait=true&timeout_ms=1000 with 202 after ~1 s, is
 *     removed (200, then 200 already_removed) and its id is never reused
 *     (409); 404 for an unknown id; a join sent to a follower is 307 to the
 *     leader's admin port; two concurrent joins end 200 or 409, never 5xx,
 *     with every node agreeing on the result; a removal that would leave the
 *     voters without a live quorum is 409, the last voter cannot leave (409),
 *     and the single voter left still takes writes.
 * Every process is killed by its pid, also when a test fails (proc.c). */
#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/cluster.h"
#include "support/httpc.h"

static cluster_t cl;
static bool test_done;
static const char *token; /* the running cluster's admin token (NULL: none) */
static bool t1_ok;        /* test 1 left 5 voters for test 2 */

/* ---- HTTP ---------------------------------------------------------------- */

typedef httpc_resp_t resp_t;

static void http_at(int port, const char *method, const char *path, const char *body,
                    const char *tok, int timeout_ms, resp_t *r)
{
    char err[256];
    if (httpc_request(port, method, path, body, tok, timeout_ms, r, err, sizeof(err)) < 0)
        fail_msg("%s %s on port %d: %s", method, path, port, err);
}

/* One request to node index i with the cluster's token. */
static void call(int i, const char *method, const char *path, const char *body, resp_t *r)
{
    http_at(cluster_http_port(&cl, i), method, path, body, token, 20000, r);
}

/* A POST to node i that follows 307s (re-POSTing the same body, as curl -L
 * does), at most 3 in a row. *first_status and first_loc (may be NULL) get
 * the first answer's status and Location. Returns the final answer in r. */
static void post_follow(int i, const char *path, const char *body, int timeout_ms, resp_t *r,
                        int *first_status, char *first_loc, size_t loclen)
{
    int port = cluster_http_port(&cl, i);
    char p[512];
    snprintf(p, sizeof(p), "%s", path);
    for (int hop = 0;; hop++) {
        http_at(port, "POST", p, body, token, timeout_ms, r);
        char loc[512] = "";
        httpc_header(r, "Location", loc, sizeof(loc));
        if (hop == 0) {
            if (first_status) *first_status = r->status;
            if (first_loc) snprintf(first_loc, loclen, "%s", loc);
        }
        if (r->status != 307) return;
        if (hop == 3) fail_msg("POST %s: more than 3 redirects in a row (last to %s)", path, loc);
        if (httpc_parse_location(loc, &port, p, sizeof(p)) < 0)
            fail_msg("POST %s: a 307 whose Location is \"%s\"; head:\n%s", path, loc, r->head);
        httpc_free(r);
    }
}

static json_t *json_of(const resp_t *r)
{
    json_error_t e;
    json_t *j = json_loads(r->body, 0, &e);
    if (!j) fail_msg("not JSON (%s): %s", e.text, r->body);
    return j;
}

static json_int_t int_field(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_integer(v)) fail_msg("field %s is not an integer", k);
    return json_integer_value(v);
}

static const char *str_field(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_string(v)) fail_msg("field %s is not a string", k);
    return json_string_value(v);
}

static bool bool_field(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_boolean(v)) fail_msg("field %s is not a boolean", k);
    return json_is_true(v);
}

static void expect_status(const resp_t *r, int want, const char *what)
{
    if (r->status != want)
        fail_msg("%s: status %d, expected %d; body %s", what, r->status, want, r->body);
}

/* The answer is status with {"error": "..."} containing want. */
static void expect_error(const resp_t *r, int status, const char *want, const char *what)
{
    expect_status(r, status, what);
    json_t *j = json_of(r);
    const char *e = str_field(j, "error");
    if (!strstr(e, want)) fail_msg("%s: error \"%s\" does not say \"%s\"", what, e, want);
    json_decref(j);
}

/* ---- the membership as a node sees it ------------------------------------ */

typedef struct members {
    long long conf_index;
    int n, id[16];
    bool voter[16];
    int nremoved, removed[64];
} members_t;

/* GET /cluster/members on node i; false when it does not answer 200. */
static bool members_of(int i, members_t *m)
{
    memset(m, 0, sizeof(*m));
    resp_t r;
    char err[256];
    if (httpc_request(cluster_http_port(&cl, i), "GET", "/cluster/members", NULL, token, 5000, &r,
                      err, sizeof(err)) < 0)
        return false;
    bool ok = r.status == 200;
    json_t *j = ok ? json_loads(r.body, 0, NULL) : NULL;
    httpc_free(&r);
    if (!j) return false;
    m->conf_index = json_integer_value(json_object_get(j, "conf_index"));
    json_t *ms = json_object_get(j, "members"), *rm = json_object_get(j, "removed");
    for (size_t k = 0; k < json_array_size(ms) && m->n < 16; k++) {
        json_t *o = json_array_get(ms, k);
        m->id[m->n] = (int)json_integer_value(json_object_get(o, "id"));
        m->voter[m->n] = json_is_true(json_object_get(o, "voter"));
        m->n++;
    }
    for (size_t k = 0; k < json_array_size(rm) && m->nremoved < 64; k++)
        m->removed[m->nremoved++] = (int)json_integer_value(json_array_get(rm, k));
    json_decref(j);
    return true;
}

/* -1: not a member; 0: a learner; 1: a voter. */
static int member_state(const members_t *m, int id)
{
    for (int k = 0; k < m->n; k++)
        if (m->id[k] == id) return m->voter[k];
    return -1;
}

static bool is_removed(const members_t *m, int id)
{
    for (int k = 0; k < m->nremoved; k++)
        if (m->removed[k] == id) return true;
    return false;
}

static void members_str(const members_t *m, char *buf, size_t len)
{
    int n = snprintf(buf, len, "conf_index %lld, members", m->conf_index);
    for (int k = 0; k < m->n && n > 0 && (size_t)n < len; k++)
        n += snprintf(buf + n, len - (size_t)n, " %d%s", m->id[k], m->voter[k] ? "" : "(learner)");
    for (int k = 0; k < m->nremoved && n > 0 && (size_t)n < len; k++)
        n += snprintf(buf + n, len - (size_t)n, "%s%d", k ? "," : ", removed ", m->removed[k]);
}

/* Whether m is exactly the voters ids[0..nids-1] (no learners) and, if
 * nrem > 0, lists each of removed[0..nrem-1] as removed. */
static bool members_are(const members_t *m, const int *ids, int nids, const int *removed, int nrem)
{
    if (m->n != nids) return false;
    for (int k = 0; k < nids; k++)
        if (member_state(m, ids[k]) != 1) return false;
    for (int k = 0; k < nrem; k++)
        if (!is_removed(m, removed[k])) return false;
    return true;
}

/* Polls every node of idx[0..nidx-1] until each lists exactly the voters
 * ids (and the removed ones) at the same conf_index. */
static void wait_members_everywhere(const int *idx, int nidx, const int *ids, int nids,
                                    const int *removed, int nrem, int timeout_ms, const char *what)
{
    int64_t deadline = cl_mono_ms() + timeout_ms;
    for (;;) {
        bool all = true;
        long long ci = -1;
        members_t m;
        int bad = -1;
        for (int k = 0; k < nidx && all; k++) {
            all = members_of(idx[k], &m) && members_are(&m, ids, nids, removed, nrem) &&
                  (ci < 0 || m.conf_index == ci);
            ci = m.conf_index;
            if (!all) bad = idx[k];
        }
        if (all) return;
        if (cl_mono_ms() > deadline) {
            char s[512];
            members_str(&m, s, sizeof(s));
            fail_msg("%s: node %d never listed the expected membership; it says: %s", what,
                     cl.id[bad], s);
        }
        usleep(50000);
    }
}

/* The index of the node that says it leads (GET /cluster/status, the
 * highest term wins) among the running ones of mask; -1 after timeout_ms. */
static int leader_of(unsigned mask, int timeout_ms)
{
    int64_t deadline = cl_mono_ms() + timeout_ms;
    for (;;) {
        int best = -1;
        long long best_term = -1;
        for (int i = 0; i < cl.n; i++) {
            if (!(mask & (1u << i)) || !cluster_up(&cl, i)) continue;
            resp_t r;
            char err[256];
            if (httpc_request(cluster_http_port(&cl, i), "GET", "/cluster/status", NULL, token,
                              3000, &r, err, sizeof(err)) < 0)
                continue;
            json_t *j = r.status == 200 ? json_loads(r.body, 0, NULL) : NULL;
            httpc_free(&r);
            if (!j) continue;
            const char *role = json_string_value(json_object_get(j, "role"));
            long long term = json_integer_value(json_object_get(j, "term"));
            if (role && !strcmp(role, "leader") && term > best_term) best = i, best_term = term;
            json_decref(j);
        }
        if (best >= 0 || cl_mono_ms() > deadline) return best;
        usleep(50000);
    }
}

static json_t *status_of(int i)
{
    resp_t r;
    call(i, "GET", "/cluster/status", NULL, &r);
    expect_status(&r, 200, "GET /cluster/status");
    json_t *j = json_of(&r);
    httpc_free(&r);
    return j;
}

/* ---- RESP ---------------------------------------------------------------- */

static redisContext *connect_or_fail(int i)
{
    redisContext *c = cl_connect(&cl, i, 15000);
    if (!c) fail_msg("node %d: cannot connect to port %d", cl.id[i], cl.node[i].port);
    return c;
}

/* A number from INFO raft of node i (-1 when the field is missing). */
static long long info_of(int i, const char *field)
{
    redisContext *c = connect_or_fail(i);
    redisReply *r = cl_cmd(c, "INFO", "raft", NULL);
    if (!r || r->type != REDIS_REPLY_STRING) fail_msg("node %d: INFO raft failed", cl.id[i]);
    char pat[80];
    snprintf(pat, sizeof(pat), "\r\n%s:", field);
    const char *p = strstr(r->str, pat);
    long long v = p ? strtoll(p + strlen(pat), NULL, 10) : -1;
    freeReplyObject(r);
    redisFree(c);
    return v;
}

/* count keys prefix:0.. with value = key, pipelined 500 at a time, +OK each. */
static void write_keys(int i, const char *prefix, long count)
{
    redisContext *c = connect_or_fail(i);
    for (long done = 0; done < count;) {
        long batch = count - done < 500 ? count - done : 500;
        char key[64];
        for (long k = 0; k < batch; k++) {
            snprintf(key, sizeof(key), "%s:%ld", prefix, done + k);
            redisAppendCommand(c, "SET %s %s", key, key);
        }
        for (long k = 0; k < batch; k++) {
            redisReply *r = NULL;
            if (redisGetReply(c, (void **)&r) != REDIS_OK || !r)
                fail_msg("node %d: write: %s", cl.id[i], c->errstr);
            if (r->type != REDIS_REPLY_STATUS || strcmp(r->str, "OK") != 0)
                fail_msg("node %d: SET %s:%ld -> %s", cl.id[i], prefix, done + k,
                         r->type == REDIS_REPLY_ERROR ? r->str : "(not OK)");
            freeReplyObject(r);
        }
        done += batch;
    }
    redisFree(c);
}

/* ---- writers ------------------------------------------------------------- */

#define NWRITERS 3

typedef struct writer {
    int id;
    char phase[8];
    int start; /* index to begin with */
    pthread_t th;
    bool running;
    long acked; /* keys <phase>:w<id>:0 .. acked-1 were acknowledged (+OK) */
    int64_t first_ok_ms, last_ok_ms, max_gap_ms, max_gap_end_ms;
    long conn_errors, retries, redirects, unexpected;
    char first_unexpected[256], last_error[256];
} writer_t;

static writer_t writers[NWRITERS];
static atomic_bool writers_stop;
static atomic_uint writable; /* indexes writers may send to */
/* the keys acknowledged in each phase, per writer (for the checks of test 2 too) */
static long acked_a[NWRITERS], acked_b[NWRITERS];
static int64_t t0_ms;

static int next_writable(unsigned mask, int from)
{
    for (int k = 0; k < CLUSTER_MAX; k++) {
        int i = (from + k) % CLUSTER_MAX;
        if (mask & (1u << i)) return i;
    }
    return -1;
}

/* A cluster-aware client (as cl_write): one connection; on a connection
 * error it moves to the next node it may use, follows -MOVED, retries
 * CLUSTERDOWN/TRYAGAIN/TIMEOUT; the next key only after an +OK. It leaves a
 * node the test took out of `writable` (about to be removed). */
static void *writer_main(void *arg)
{
    writer_t *w = arg;
    int cur = w->start;
    redisContext *ctx = NULL;
    char key[64];
    while (!atomic_load(&writers_stop)) {
        unsigned mask = atomic_load(&writable);
        if (!(mask & (1u << cur))) {
            if (ctx) redisFree(ctx);
            ctx = NULL;
            cur = next_writable(mask, cur + 1);
            if (cur < 0) {
                cur = 0;
                usleep(10000);
            }
            continue;
        }
        if (!ctx) {
            ctx = cl_connect(&cl, cur, 8000);
            if (!ctx) {
                w->conn_errors++;
                snprintf(w->last_error, sizeof(w->last_error), "cannot connect to node %d",
                         cl.id[cur]);
                cur = next_writable(mask, cur + 1);
                usleep(20000);
                continue;
            }
        }
        snprintf(key, sizeof(key), "%s:w%d:%ld", w->phase, w->id, w->acked);
        redisReply *r = cl_cmd(ctx, "SET", key, key, NULL);
        if (!r) {
            w->conn_errors++;
            snprintf(w->last_error, sizeof(w->last_error), "node %d: %s", cl.id[cur], ctx->errstr);
            redisFree(ctx);
            ctx = NULL;
            cur = next_writable(mask, cur + 1);
            continue;
        }
        if (r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0) {
            int64_t now = cl_mono_ms();
            if (w->last_ok_ms && now - w->last_ok_ms > w->max_gap_ms) {
                w->max_gap_ms = now - w->last_ok_ms;
                w->max_gap_end_ms = now;
            }
            if (!w->first_ok_ms) w->first_ok_ms = now;
            w->last_ok_ms = now;
            w->acked++;
        } else if (cl_is_err(r, "MOVED ")) {
            const char *sp = strrchr(r->str, ' ');
            int m = sp ? cluster_index_of_addr(&cl, sp + 1) : -1;
            w->redirects++;
            if (m >= 0 && m != cur && (mask & (1u << m))) {
                cur = m;
                redisFree(ctx);
                ctx = NULL;
            } else {
                usleep(20000);
            }
        } else if (cl_is_retryable(r)) {
            w->retries++;
            snprintf(w->last_error, sizeof(w->last_error), "node %d: %s", cl.id[cur], r->str);
            usleep(10000);
        } else {
            if (w->unexpected++ == 0) {
                char b[200];
                snprintf(w->first_unexpected, sizeof(w->first_unexpected), "SET %s on node %d: %s",
                         key, cl.id[cur], cl_str(r, ctx, b, sizeof(b)));
            }
            usleep(10000);
        }
        freeReplyObject(r);
    }
    if (ctx) redisFree(ctx);
    return NULL;
}

static void writers_start(const char *phase, const int *start)
{
    atomic_store(&writers_stop, false);
    for (int k = 0; k < NWRITERS; k++) {
        writer_t *w = &writers[k];
        memset(w, 0, sizeof(*w));
        w->id = k;
        snprintf(w->phase, sizeof(w->phase), "%s", phase);
        w->start = start[k];
        w->running = pthread_create(&w->th, NULL, writer_main, w) == 0;
        assert_true(w->running);
    }
}

static void writers_stop_all(void)
{
    atomic_store(&writers_stop, true);
    for (int k = 0; k < NWRITERS; k++)
        if (writers[k].running) {
            pthread_join(writers[k].th, NULL);
            writers[k].running = false;
        }
}

/* Every writer made progress, saw no unexpected reply, and never went
 * longer than bound_ms between two acknowledged writes. */
static void writers_check(const char *what, int64_t bound_ms, long *acked)
{
    int64_t worst = 0;
    for (int k = 0; k < NWRITERS; k++) {
        writer_t *w = &writers[k];
        acked[k] = w->acked;
        fprintf(stderr,
                "  %s: writer %d: %ld acknowledged, longest gap %lld ms (ending at +%lld ms), %ld "
                "retries, %ld "
                "connection errors, %ld redirects%s%s\n",
                what, k, w->acked, (long long)w->max_gap_ms, (long long)(w->max_gap_end_ms - t0_ms),
                w->retries, w->conn_errors, w->redirects, w->last_error[0] ? "; last error: " : "",
                w->last_error);
        if (w->max_gap_ms > worst) worst = w->max_gap_ms;
    }
    for (int k = 0; k < NWRITERS; k++) {
        writer_t *w = &writers[k];
        if (w->unexpected)
            fail_msg("%s: writer %d got %ld unexpected replies, first: %s", what, k, w->unexpected,
                     w->first_unexpected);
        if (w->acked < 20)
            fail_msg("%s: writer %d acknowledged only %ld writes", what, k, w->acked);
    }
    if (worst > bound_ms)
        fail_msg("%s: a writer went %lld ms without a successful write (bound: %lld ms, an "
                 "election timeout)",
                 what, (long long)worst, (long long)bound_ms);
}

/* ---- data checks --------------------------------------------------------- */

/* Waits until every node of idx has applied the leader's commit index as
 * of now (writers stopped). */
static void settle(int l, const int *idx, int nidx)
{
    long long commit = info_of(l, "raft_commit_index");
    for (int k = 0; k < nidx; k++) {
        int64_t deadline = cl_mono_ms() + 30000;
        long long a;
        while ((a = info_of(idx[k], "raft_applied_index")) < commit) {
            if (cl_mono_ms() > deadline)
                fail_msg("node %d applied only %lld of the leader's %lld", cl.id[idx[k]], a,
                         commit);
            usleep(20000);
        }
    }
}

/* Every key a writer of the phase had acknowledged (<phase>:w<w>:0 ..
 * acked[w]-1) holds its own name on node i, read locally (READONLY),
 * pipelined. Returns how many were checked. */
static long keys_on(int i, const char *phase, const long *acked)
{
    redisContext *c = connect_or_fail(i);
    redisReply *r = cl_cmd(c, "READONLY", NULL);
    if (!r || r->type != REDIS_REPLY_STATUS) fail_msg("node %d: READONLY failed", cl.id[i]);
    freeReplyObject(r);
    long checked = 0;
    for (int w = 0; w < NWRITERS; w++) {
        for (long done = 0; done < acked[w];) {
            long batch = acked[w] - done < 1000 ? acked[w] - done : 1000;
            char key[64];
            for (long k = 0; k < batch; k++) {
                snprintf(key, sizeof(key), "%s:w%d:%ld", phase, w, done + k);
                redisAppendCommand(c, "GET %s", key);
            }
            for (long k = 0; k < batch; k++) {
                r = NULL;
                if (redisGetReply(c, (void **)&r) != REDIS_OK || !r)
                    fail_msg("node %d: GET: %s", cl.id[i], c->errstr);
                snprintf(key, sizeof(key), "%s:w%d:%ld", phase, w, done + k);
                if (r->type != REDIS_REPLY_STRING || strcmp(r->str, key) != 0)
                    fail_msg("node %d: the acknowledged key %s is %s", cl.id[i], key,
                             r->type == REDIS_REPLY_NIL     ? "missing"
                             : r->type == REDIS_REPLY_ERROR ? r->str
                                                            : "wrong");
                freeReplyObject(r);
                checked++;
            }
            done += batch;
        }
    }
    redisFree(c);
    return checked;
}

/* The DEBUG DIGESTs of the nodes of idx agree at one applied index. */
static void digests_agree(const int *idx, int nidx, const char *when)
{
    int64_t deadline = cl_mono_ms() + 30000;
    for (;;) {
        long long applied[CLUSTER_MAX] = {0};
        char dig[CLUSTER_MAX][64] = {{0}};
        bool stable = true;
        for (int k = 0; k < nidx; k++) {
            int i = idx[k];
            long long before = info_of(i, "raft_applied_index");
            redisContext *c = connect_or_fail(i);
            redisReply *r = cl_cmd(c, "DEBUG", "DIGEST", NULL);
            if (r && r->type == REDIS_REPLY_STATUS) snprintf(dig[k], sizeof(dig[k]), "%s", r->str);
            if (r) freeReplyObject(r);
            redisFree(c);
            applied[k] = info_of(i, "raft_applied_index");
            stable = stable && before == applied[k] && applied[k] == applied[0] && dig[k][0];
        }
        if (stable) {
            for (int k = 1; k < nidx; k++)
                if (strcmp(dig[k], dig[0]) != 0)
                    fail_msg("%s: at index %lld node %d has digest %s, node %d %s", when,
                             applied[0], cl.id[idx[0]], dig[0], cl.id[idx[k]], dig[k]);
            fprintf(stderr, "  %s: %d nodes at index %lld, digest %s\n", when, nidx, applied[0],
                    dig[0]);
            return;
        }
        if (cl_mono_ms() > deadline) fail_msg("%s: the applied indexes never settled", when);
        usleep(50000);
    }
}

/* The last lines of every node's log, without the snapshot_made lines
 * that the small snapshot threshold makes frequent. */
static void dump_logs(int lines)
{
    fprintf(stderr, "---- the test failed; logs of the cluster (members %s):\n", cl.members);
    for (int i = 0; i < cl.n; i++) {
        FILE *f = cl.node[i].log[0] ? fopen(cl.node[i].log, "r") : NULL;
        if (!f) continue;
        char **ring = calloc((size_t)lines, sizeof(char *)), buf[4096];
        long n = 0;
        while (fgets(buf, sizeof(buf), f)) {
            if (strstr(buf, "event=snapshot_made")) continue;
            free(ring[n % lines]);
            ring[n % lines] = strdup(buf);
            n++;
        }
        fclose(f);
        fprintf(stderr, "== node %d (port %d, pid %d%s), %s, without snapshot_made lines:\n",
                cl.id[i], cl.node[i].port, (int)cl.node[i].pid, cl.stopped[i] ? ", SIGSTOPped" : "",
                cl.node[i].log);
        for (long k = n > lines ? n - lines : 0; k < n; k++)
            fputs(ring[k % lines], stderr);
        for (int k = 0; k < lines; k++)
            free(ring[k]);
        free(ring);
    }
}

/* ---- setup --------------------------------------------------------------- */

/* Tests 1 and 2: the default timings (an election timeout of 1-2 s, the
 * bound of the writers' gaps) and snapshots often enough that a joining
 * node needs one. */
#define DEFAULT_ELECTION_MAX_MS 2000
static const char *const load_args[] = {"--snapshot_threshold", "1000", "--snapshot_trailing",
                                        "100", NULL};

static int setup_load(void **state)
{
    (void)state;
    token = NULL;
    t1_ok = false;
    t0_ms = cl_mono_ms();
    return cluster_start(&cl, load_args, NULL);
}

static int teardown_load(void **state)
{
    (void)state;
    writers_stop_all();
    if (!test_done) dump_logs(40);
    return cluster_finish(&cl);
}

static int setup_test(void **state)
{
    (void)state;
    test_done = false;
    return 0;
}

/* ---- 1. two nodes join under load ---------------------------------------- */

static void test_join_under_load(void **state)
{
    (void)state;
    int l = leader_of(0x7, 15000);
    if (l < 0) fail_msg("no leader among the founding nodes");
    json_t *st = status_of(l);
    char cluster_id[32];
    snprintf(cluster_id, sizeof(cluster_id), "%s", str_field(st, "cluster_id"));
    json_decref(st);
    /* enough history that the leader's log no longer starts at 1: the new
     * nodes must be sent a snapshot */
    write_keys(l, "pre", 3000);
    int64_t deadline = cl_mono_ms() + 15000;
    while (info_of(l, "raft_log_first_index") <= 1) {
        if (cl_mono_ms() > deadline) fail_msg("the leader never compacted its log");
        usleep(50000);
    }

    atomic_store(&writable, 0x7);
    int start[NWRITERS] = {0, 1, 2};
    writers_start("a", start);
    usleep(700000);

    /* node 4 asks a follower itself (--join) and must follow its 307 */
    int f = (l + 1) % CLUSTER_N;
    char join_addr[32];
    snprintf(join_addr, sizeof(join_addr), "127.0.0.1:%d", cluster_http_port(&cl, f));
    const char *const args4[] = {"--join", join_addr, NULL};
    int64_t t_start4 = cl_mono_ms();
    int i4 = cluster_start_extra(&cl, 4, args4);
    if (i4 < 0) fail_msg("node 4 did not start");
    /* node 5 starts with no members and waits for an operator */
    const char *const args5[] = {"--cluster.members", "", NULL};
    int i5 = cluster_start_extra(&cl, 5, args5);
    if (i5 < 0) fail_msg("node 5 did not start");

    /* node 4 becomes a voter by itself */
    deadline = cl_mono_ms() + 30000;
    for (;;) {
        members_t m;
        if (members_of(l, &m) && member_state(&m, 4) == 1) break;
        if (cl_mono_ms() > deadline) {
            char s[512];
            members_str(&m, s, sizeof(s));
            fail_msg("node 4, started with --join %s, was not a voter after 30 s (the leader "
                     "says: %s); is the --join client (src/node/join.c) in this build?",
                     join_addr, s);
        }
        usleep(50000);
    }
    fprintf(stderr, "  node 4 (--join) was a voter %lld ms after its start\n",
            (long long)(cl_mono_ms() - t_start4));

    /* node 5, never told anything, has not campaigned and is no member */
    assert_int_equal(info_of(i5, "raft_term"), 0);
    members_t m5;
    assert_true(members_of(l, &m5));
    assert_int_equal(member_state(&m5, 5), -1);
    resp_t r;
    call(i5, "GET", "/health", NULL, &r);
    expect_status(&r, 503, "/health of a node not yet added");
    httpc_free(&r);
    /* a change sent to it: it is no member and knows no leader: 421 */
    call(i5, "POST", "/cluster/leave", "{\"id\": 2}", &r);
    expect_status(&r, 421, "a change sent to a node that is not a member yet");
    assert_non_null(strstr(r.body, "not a member"));
    httpc_free(&r);

    /* the operator adds node 5 through a follower: 307 to the leader,
     * followed; ?wait=true answers once it is a voter */
    char body[160], loc[512], want_loc[128];
    snprintf(body, sizeof(body),
             "{\"id\": 5, \"addr\": \"127.0.0.1:%d\", \"http_addr\": \"127.0.0.1:%d\"}",
             cl.node[i5].port, cluster_http_port(&cl, i5));
    int first = 0;
    int64_t t_join5 = cl_mono_ms();
    post_follow(f, "/cluster/join?wait=true&timeout_ms=30000", body, 40000, &r, &first, loc,
                sizeof(loc));
    int64_t took5 = cl_mono_ms() - t_join5;
    if (first != 307)
        fail_msg("a join sent to follower node %d was answered %d, not 307", cl.id[f], first);
    snprintf(want_loc, sizeof(want_loc),
             "http://127.0.0.1:%d/cluster/join?wait=true&timeout_ms=30000",
             cluster_http_port(&cl, l));
    assert_string_equal(loc, want_loc);
    expect_status(&r, 200, "join?wait=true of node 5");
    json_t *j = json_of(&r);
    httpc_free(&r);
    assert_int_equal(int_field(j, "id"), 5);
    char want[64];
    snprintf(want, sizeof(want), "127.0.0.1:%d", cl.node[i5].port);
    assert_string_equal(str_field(j, "addr"), want);
    snprintf(want, sizeof(want), "127.0.0.1:%d", cluster_http_port(&cl, i5));
    assert_string_equal(str_field(j, "http_addr"), want);
    assert_true(bool_field(j, "added"));
    assert_false(bool_field(j, "already_member"));
    assert_true(bool_field(j, "voter"));
    assert_true(bool_field(j, "promoted"));
    assert_false(bool_field(j, "learner"));
    assert_string_equal(str_field(j, "cluster_id"), cluster_id);
    assert_int_equal(int_field(j, "leader"), cl.id[l]);
    assert_true(int_field(j, "conf_index") > 0);
    json_decref(j);
    fprintf(stderr, "  node 5 (POST /cluster/join?wait=true) was a voter after %lld ms\n",
            (long long)took5);

    /* asking again is harmless: already a member */
    post_follow(l, "/cluster/join", body, 20000, &r, NULL, NULL, 0);
    expect_status(&r, 200, "join of node 5 again");
    j = json_of(&r);
    httpc_free(&r);
    assert_false(bool_field(j, "added"));
    assert_true(bool_field(j, "already_member"));
    assert_true(bool_field(j, "voter"));
    json_decref(j);

    /* every node lists the 5 voters at the same configuration */
    int all[] = {0, 1, 2, i4, i5}, ids[] = {1, 2, 3, 4, 5};
    wait_members_everywhere(all, 5, ids, 5, NULL, 0, 10000, "after two joins");
    for (int k = 3; k < 5; k++) {
        json_t *s = status_of(all[k]);
        assert_true(bool_field(s, "voter"));
        assert_string_equal(str_field(s, "cluster_id"), cluster_id);
        assert_int_equal(int_field(json_object_get(s, "leader"), "id"), cl.id[l]);
        json_decref(s);
        /* it caught up through the leader's snapshot */
        long long got = info_of(all[k], "raft_snapshots_received");
        fprintf(stderr, "  node %d received %lld snapshot(s)\n", cl.id[all[k]], got);
        assert_true(got >= 1);
    }

    /* the writes go on a little with five voters, also through the new ones */
    atomic_store(&writable, 0x7u | (1u << i4) | (1u << i5));
    usleep(700000);
    writers_stop_all();
    writers_check("joins", DEFAULT_ELECTION_MAX_MS, acked_a);
    int nl = leader_of(0x7u | (1u << i4) | (1u << i5), 10000);
    assert_int_equal(nl, l); /* a join never moved the leadership */
    settle(l, all, 5);
    for (int k = 0; k < 5; k++) {
        long n = keys_on(all[k], "a", acked_a);
        if (k == 0) fprintf(stderr, "  every node has the %ld acknowledged keys\n", n);
    }
    digests_agree(all, 5, "after two joins under load");
    t1_ok = true;
    test_done = true;
}

/* ---- 2. a follower and the leader leave under load ----------------------- */

/* Polls node i's /health until 503 with reason want; returns how long it took. */
static int64_t wait_health_503(int i, const char *want, int timeout_ms)
{
    int64_t t = cl_mono_ms(), deadline = t + timeout_ms;
    char last[512] = "";
    for (;;) {
        resp_t r;
        char err[256];
        if (httpc_request(cluster_http_port(&cl, i), "GET", "/health", NULL, token, 3000, &r, err,
                          sizeof(err)) == 0) {
            snprintf(last, sizeof(last), "%d %s", r.status, r.body);
            json_t *j = r.status == 503 ? json_loads(r.body, 0, NULL) : NULL;
            const char *reason = j ? json_string_value(json_object_get(j, "reason")) : NULL;
            bool ok = reason && !strcmp(reason, want);
            if (j) json_decref(j);
            httpc_free(&r);
            if (ok) return cl_mono_ms() - t;
        } else {
            snprintf(last, sizeof(last), "%s", err);
        }
        if (cl_mono_ms() > deadline)
            fail_msg("node %d: /health was not 503 \"%s\" within %d ms; last answer: %s", cl.id[i],
                     want, timeout_ms, last);
        usleep(100000);
    }
}

static void test_leave_under_load(void **state)
{
    (void)state;
    if (!t1_ok) skip(); /* needs the five voters of test 1 */
    int i4 = cluster_index_of_id(&cl, 4), i5 = cluster_index_of_id(&cl, 5);
    unsigned five = 0x7u | (1u << i4) | (1u << i5);
    int l = leader_of(five, 10000);
    if (l < 0) fail_msg("no leader");
    /* the follower to remove: node 2, or node 3 if node 2 leads */
    int victim = cl.id[l] == 2 ? 2 : 1;
    atomic_store(&writable, five);
    int start[NWRITERS] = {victim, l, i4};
    writers_start("b", start);
    usleep(700000);

    /* a follower leaves: writers stop using it first, as a client would be
     * told to */
    atomic_store(&writable, five & ~(1u << victim));
    char body[64];
    snprintf(body, sizeof(body), "{\"id\": %d}", cl.id[victim]);
    resp_t r;
    post_follow(l, "/cluster/leave", body, 20000, &r, NULL, NULL, 0);
    expect_status(&r, 200, "leave of a follower");
    json_t *j = json_of(&r);
    httpc_free(&r);
    assert_int_equal(int_field(j, "id"), cl.id[victim]);
    assert_true(bool_field(j, "removed"));
    assert_false(bool_field(j, "already_removed"));
    assert_int_equal(int_field(j, "voters"), 4);
    long long ci = int_field(j, "conf_index");
    json_decref(j);
    /* again: already removed */
    post_follow(l, "/cluster/leave", body, 20000, &r, NULL, NULL, 0);
    expect_status(&r, 200, "leave of a removed follower");
    j = json_of(&r);
    httpc_free(&r);
    assert_true(bool_field(j, "already_removed"));
    assert_int_equal(int_field(j, "conf_index"), ci);
    json_decref(j);

    /* the leader leaves: it hands over the leadership, then 307 to the new
     * leader, which removes it */
    usleep(300000);
    unsigned three = five & ~(1u << victim) & ~(1u << l);
    atomic_store(&writable, three);
    int old_id = cl.id[l];
    snprintf(body, sizeof(body), "{\"id\": %d}", old_id);
    int first = 0;
    char loc[512];
    int64_t t_leave = cl_mono_ms();
    post_follow(l, "/cluster/leave", body, 20000, &r, &first, loc, sizeof(loc));
    int64_t took = cl_mono_ms() - t_leave;
    if (first != 307)
        fail_msg("the leader's own leave was answered %d first, not 307 to the new leader", first);
    int port, nl;
    char path[256];
    assert_int_equal(httpc_parse_location(loc, &port, path, sizeof(path)), 0);
    assert_string_equal(path, "/cluster/leave");
    nl = cluster_index_of_port(&cl, port - 1000);
    if (nl < 0 || nl == l || nl == victim)
        fail_msg("the 307 of the leaving leader points at %s", loc);
    expect_status(&r, 200, "leave of the leader, at the new leader");
    j = json_of(&r);
    httpc_free(&r);
    assert_int_equal(int_field(j, "id"), old_id);
    assert_true(bool_field(j, "removed"));
    assert_false(bool_field(j, "already_removed"));
    assert_int_equal(int_field(j, "voters"), 3);
    json_decref(j);
    fprintf(stderr, "  node %d left with node %d; node %d led it out in %lld ms\n", cl.id[victim],
            old_id, cl.id[nl], (long long)took);
    assert_int_equal(leader_of(three, 10000), nl);
    call(nl, "GET", "/health/leader", NULL, &r);
    expect_status(&r, 200, "/health/leader on the new leader");
    httpc_free(&r);

    int left[3], nleft = 0, left_ids[3], gone[] = {cl.id[victim], old_id};
    for (int i = 0; i < cl.n; i++)
        if (three & (1u << i)) left_ids[nleft] = cl.id[i], left[nleft++] = i;
    assert_int_equal(nleft, 3);
    wait_members_everywhere(left, 3, left_ids, 3, gone, 2, 10000, "after two leaves");
    json_t *s0 = status_of(nl);
    long long term = int_field(s0, "term");
    json_decref(s0);

    /* each removed node learns it and says so */
    int64_t h1 = wait_health_503(victim, "removed from the cluster", 5000);
    int64_t h2 = wait_health_503(l, "removed from the cluster", 5000);
    fprintf(stderr, "  /health of the removed nodes: 503 after %lld and %lld ms\n", (long long)h1,
            (long long)h2);

    /* a client still talking to a removed node: whatever it answers (both
     * asked at once), an acknowledged write must be in the cluster */
    redisContext *rc[2];
    char rkey[2][32];
    int64_t ts = cl_mono_ms();
    for (int k = 0; k < 2; k++) {
        int i = k ? l : victim;
        rc[k] = cl_connect(&cl, i, 8000);
        if (!rc[k]) fail_msg("removed node %d: cannot connect", cl.id[i]);
        snprintf(rkey[k], sizeof(rkey[k]), "via-removed-%d", cl.id[i]);
        redisAppendCommand(rc[k], "SET %s %s", rkey[k], rkey[k]);
        int done = 0;
        while (!done)
            if (redisBufferWrite(rc[k], &done) != REDIS_OK)
                fail_msg("removed node %d: send failed", cl.id[i]);
    }
    for (int k = 0; k < 2; k++) {
        int i = k ? l : victim;
        redisReply *rep = NULL;
        char b[256];
        if (redisGetReply(rc[k], (void **)&rep) != REDIS_OK) rep = NULL;
        fprintf(stderr, "  SET through removed node %d: %s after %lld ms\n", cl.id[i],
                cl_str(rep, rc[k], b, sizeof(b)), (long long)(cl_mono_ms() - ts));
        bool ok = rep && rep->type == REDIS_REPLY_STATUS && !strcmp(rep->str, "OK");
        if (cl_is_err(rep, "MOVED ")) { /* it must send the client to a member, not in a loop */
            int to = cluster_index_of_addr(&cl, strrchr(rep->str, ' ') + 1);
            if (to < 0 || !(three & (1u << to)))
                fail_msg("removed node %d redirects a write to %s, not to a member", cl.id[i],
                         rep->str);
        }
        if (rep) freeReplyObject(rep);
        redisFree(rc[k]);
        if (!ok) continue;
        redisContext *c = connect_or_fail(nl);
        rep = cl_cmd(c, "GET", rkey[k], NULL);
        if (!rep || rep->type != REDIS_REPLY_STRING || strcmp(rep->str, rkey[k]) != 0)
            fail_msg("removed node %d acknowledged SET %s, but the leader says %s", cl.id[i],
                     rkey[k], cl_str(rep, c, b, sizeof(b)));
        freeReplyObject(rep);
        redisFree(c);
    }

    /* writes went on through the three meanwhile; the removed ones caused no
     * election */
    writers_stop_all();
    writers_check("leaves", DEFAULT_ELECTION_MAX_MS, acked_b);
    for (int k = 0; k < 3; k++) {
        json_t *s = status_of(left[k]);
        if (int_field(s, "term") != term)
            fail_msg("node %d: term %lld, %lld after the leaves: an election happened",
                     cl.id[left[k]], (long long)int_field(s, "term"), term);
        json_decref(s);
    }
    assert_true(cluster_up(&cl, victim) && cluster_up(&cl, l)); /* removed, not dead */
    settle(nl, left, 3);
    long n = 0;
    for (int k = 0; k < 3; k++)
        n = keys_on(left[k], "a", acked_a) + keys_on(left[k], "b", acked_b);
    fprintf(stderr, "  the three left have all %ld acknowledged keys\n", n);
    digests_agree(left, 3, "after two leaves under load");
    test_done = true;
}

/* ---- 3. edge cases ------------------------------------------------------- */

#define TOKEN "s3cr3t"
static const char *const token_args[] = {"--admin_token", TOKEN, NULL};

static int setup_edge(void **state)
{
    (void)state;
    token = TOKEN;
    test_done = false;
    t0_ms = cl_mono_ms();
    return cluster_start(&cl, cluster_fast_args, token_args);
}

static int teardown_edge(void **state)
{
    (void)state;
    for (int i = 0; i < cl.n; i++)
        if (cl.stopped[i]) cluster_sigcont(&cl, i);
    if (!test_done) dump_logs(40);
    token = NULL;
    return cluster_finish(&cl);
}

/* POST path body to node i (no redirects followed). */
static void post(int i, const char *path, const char *body, resp_t *r)
{
    call(i, "POST", path, body, r);
}

/* A join body for id at 127.0.0.1:port. */
static const char *join_body(char *buf, size_t len, int id, int port)
{
    snprintf(buf, len, "{\"id\": %d, \"addr\": \"127.0.0.1:%d\"}", id, port);
    return buf;
}

/* A free port that is none of the cluster's. */
static int unused_port(void)
{
    for (;;) {
        int p = proc_free_port();
        if (p > 0 && p + 1000 <= 65535 && cluster_index_of_port(&cl, p) < 0) return p;
    }
}

/* The last_contact_ms the leader l reports for member id (-1: none). */
static long long last_contact(int l, int id)
{
    json_t *s = status_of(l);
    json_t *ms = json_object_get(s, "members");
    long long v = -1;
    for (size_t k = 0; k < json_array_size(ms); k++) {
        json_t *o = json_array_get(ms, k);
        if (json_integer_value(json_object_get(o, "id")) == id)
            v = json_is_integer(json_object_get(o, "last_contact_ms"))
                    ? json_integer_value(json_object_get(o, "last_contact_ms"))
                    : -1;
    }
    json_decref(s);
    return v;
}

typedef struct join_call {
    int port;
    char body[128];
    resp_t r;
    int rc;
    char err[256];
} join_call_t;

static void *join_thread(void *arg)
{
    join_call_t *c = arg;
    c->rc = httpc_request(c->port, "POST", "/cluster/join", c->body, token, 20000, &c->r, c->err,
                          sizeof(c->err));
    return NULL;
}

static void test_edge_cases(void **state)
{
    (void)state;
    int l = leader_of(0x7, 10000);
    if (l < 0) fail_msg("no leader");
    int f = (l + 1) % CLUSTER_N, g = (l + 2) % CLUSTER_N;
    resp_t r;
    char body[256];
    int p6 = unused_port(), p7 = unused_port();

    /* -- the admin token: changes need it, reads do not */
    join_body(body, sizeof(body), 6, p6);
    http_at(cluster_http_port(&cl, l), "POST", "/cluster/join", body, NULL, 10000, &r);
    expect_error(&r, 401, "Bearer", "join without the token");
    assert_non_null(strstr(r.head, "WWW-Authenticate: Bearer"));
    httpc_free(&r);
    http_at(cluster_http_port(&cl, l), "POST", "/cluster/join", body, "wrong", 10000, &r);
    expect_status(&r, 401, "join with a wrong token");
    httpc_free(&r);
    http_at(cluster_http_port(&cl, l), "POST", "/cluster/join", body, TOKEN "x", 10000, &r);
    expect_status(&r, 401, "join with the token and more");
    httpc_free(&r);
    http_at(cluster_http_port(&cl, l), "POST", "/cluster/leave", "{\"id\": 2}", NULL, 10000, &r);
    expect_status(&r, 401, "leave without the token");
    httpc_free(&r);
    http_at(cluster_http_port(&cl, f), "POST", "/cluster/join", body, "wrong", 10000, &r);
    expect_status(&r, 401, "join with a wrong token on a follower (no 307 before the token)");
    httpc_free(&r);
    http_at(cluster_http_port(&cl, l), "GET", "/cluster/members", NULL, NULL, 10000, &r);
    expect_status(&r, 200, "members without the token");
    httpc_free(&r);
    members_t m;
    assert_true(members_of(l, &m));
    assert_int_equal(m.n, 3); /* nothing of the refused requests happened */

    /* -- malformed bodies and wrong types: 400, nothing changes */
    static const struct {
        const char *path, *body, *says;
    } bad[] = {
        {"/cluster/join", "{\"id\": 6, ", "JSON"},
        {"/cluster/join", "[6]", "JSON object"},
        {"/cluster/join", "\"id\"", "JSON object"},
        {"/cluster/join", "", "\"id\" is required"},
        {"/cluster/join", "{\"addr\": \"127.0.0.1:1\"}", "\"id\" is required"},
        {"/cluster/join", "{\"id\": \"6\", \"addr\": \"127.0.0.1:1\"}", "positive integer"},
        {"/cluster/join", "{\"id\": 0, \"addr\": \"127.0.0.1:1\"}", "positive integer"},
        {"/cluster/join", "{\"id\": -6, \"addr\": \"127.0.0.1:1\"}", "positive integer"},
        {"/cluster/join", "{\"id\": 6.5, \"addr\": \"127.0.0.1:1\"}", "positive integer"},
        {"/cluster/join", "{\"id\": 4294967296, \"addr\": \"127.0.0.1:1\"}", "at most"},
        {"/cluster/join", "{\"id\": 6}", "\"addr\" is required"},
        {"/cluster/join", "{\"id\": 6, \"addr\": 7390}", "host:port"},
        {"/cluster/join", "{\"id\": 6, \"addr\": \"127.0.0.1\"}", "host:port"},
        {"/cluster/join", "{\"id\": 6, \"addr\": \"127.0.0.1:0\"}", "host:port"},
        {"/cluster/join", "{\"id\": 6, \"addr\": \"127.0.0.1:70000\"}", "host:port"},
        {"/cluster/join", "{\"id\": 6, \"addr\": \"127.0.0.1:1\", \"http_addr\": true}",
         "host:port"},
        {"/cluster/leave", "{\"id\": \"2\"}", "positive integer"},
        {"/cluster/leave", "{}", "\"id\" is required"},
        {"/cluster/leave", "{\"id\": 2, \"force\": \"yes\"}", "true or false"},
        {"/cluster/leave", "{\"id\": 2", "JSON"},
    };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        char what[300];
        snprintf(what, sizeof(what), "POST %s %s", bad[k].path, bad[k].body);
        post(l, bad[k].path, bad[k].body, &r);
        expect_error(&r, 400, bad[k].says, what);
        httpc_free(&r);
    }
    assert_true(members_of(l, &m));
    assert_int_equal(m.n, 3);
    assert_int_equal(m.nremoved, 0);

    /* -- a learner whose process never runs (a node that died before its
     * promotion): ?wait=true gives up at its timeout with 202 */
    join_body(body, sizeof(body), 6, p6);
    int64_t t = cl_mono_ms();
    post(l, "/cluster/join?wait=true&timeout_ms=1000", body, &r);
    int64_t waited = cl_mono_ms() - t;
    expect_status(&r, 202, "join?wait=true of a node that never runs");
    json_t *j = json_of(&r);
    httpc_free(&r);
    fprintf(stderr, "  join?wait=true&timeout_ms=1000 of a dead node: 202 after %lld ms (\"%s\")\n",
            (long long)waited, str_field(j, "reason"));
    assert_true(waited >= 900 && waited < 5000);
    assert_int_equal(int_field(j, "id"), 6);
    assert_true(bool_field(j, "added"));
    assert_true(bool_field(j, "learner"));
    assert_false(bool_field(j, "voter"));
    assert_false(bool_field(j, "promoted"));
    assert_int_equal(int_field(j, "leader"), cl.id[l]);
    json_decref(j);
    /* the same join again: 200, already a member (still a learner) */
    post(l, "/cluster/join", body, &r);
    expect_status(&r, 200, "the same join again");
    j = json_of(&r);
    httpc_free(&r);
    assert_false(bool_field(j, "added"));
    assert_true(bool_field(j, "already_member"));
    assert_true(bool_field(j, "learner"));
    json_decref(j);
    /* its id at another address; its address for another id; a founding
     * member's address */
    join_body(body, sizeof(body), 6, p7);
    post(l, "/cluster/join", body, &r);
    expect_error(&r, 409, "already a member", "id 6 at another address");
    httpc_free(&r);
    join_body(body, sizeof(body), 7, p6);
    post(l, "/cluster/join", body, &r);
    expect_error(&r, 409, "the address of node 6", "id 7 at node 6's address");
    httpc_free(&r);
    join_body(body, sizeof(body), 8, cl.node[f].port);
    post(l, "/cluster/join", body, &r);
    expect_error(&r, 409, "one address, one node", "id 8 at a voter's address");
    httpc_free(&r);
    join_body(body, sizeof(body), 2, p7);
    post(l, "/cluster/join", body, &r);
    expect_error(&r, 409, "already a member", "voter id 2 at another address");
    httpc_free(&r);
    /* the learner still there, nothing else added; it never became a voter */
    assert_true(members_of(l, &m));
    assert_int_equal(m.n, 4);
    assert_int_equal(member_state(&m, 6), 0);
    /* ... and it does not hold up the cluster: a write commits */
    write_keys(l, "with-a-dead-learner", 10);

    /* -- it is removed; its id is never used again */
    post(l, "/cluster/leave", "{\"id\": 6}", &r);
    expect_status(&r, 200, "leave of the dead learner");
    j = json_of(&r);
    httpc_free(&r);
    assert_true(bool_field(j, "removed"));
    assert_false(bool_field(j, "already_removed"));
    assert_int_equal(int_field(j, "voters"), 3);
    json_decref(j);
    post(l, "/cluster/leave", "{\"id\": 6}", &r);
    expect_status(&r, 200, "leave of the removed learner again");
    j = json_of(&r);
    httpc_free(&r);
    assert_true(bool_field(j, "already_removed"));
    json_decref(j);
    join_body(body, sizeof(body), 6, p6);
    post(l, "/cluster/join", body, &r);
    expect_error(&r, 409, "never reused", "join of a removed id");
    httpc_free(&r);
    join_body(body, sizeof(body), 6, unused_port());
    post(l, "/cluster/join", body, &r);
    expect_error(&r, 409, "never reused", "join of a removed id at a new address");
    httpc_free(&r);
    post(l, "/cluster/leave", "{\"id\": 99}", &r);
    expect_error(&r, 404, "no member", "leave of an unknown id");
    httpc_free(&r);
    int founding[] = {0, 1, 2}, ids3[] = {1, 2, 3}, rm6[] = {6};
    wait_members_everywhere(founding, 3, ids3, 3, rm6, 1, 5000, "after the dead learner left");

    /* -- a join sent to a follower: 307 to the same URL on the leader */
    join_body(body, sizeof(body), 9, unused_port());
    post(f, "/cluster/join?timeout_ms=5000", body, &r);
    expect_status(&r, 307, "join on a follower");
    char loc[256], want[256];
    assert_true(httpc_header(&r, "Location", loc, sizeof(loc)));
    snprintf(want, sizeof(want), "http://127.0.0.1:%d/cluster/join?timeout_ms=5000",
             cluster_http_port(&cl, l));
    assert_string_equal(loc, want);
    j = json_of(&r);
    assert_int_equal(int_field(j, "leader"), cl.id[l]);
    json_decref(j);
    httpc_free(&r);
    int first = 0;
    post_follow(g, "/cluster/join", body, 20000, &r, &first, NULL, 0);
    assert_int_equal(first, 307);
    expect_status(&r, 200, "join on a follower, 307 followed");
    j = json_of(&r);
    httpc_free(&r);
    assert_true(bool_field(j, "added"));
    json_decref(j);

    /* -- two joins at once: each waits for the other's change or is refused
     * (409); never a 5xx, and every node ends with the same membership */
    join_call_t jc[2];
    pthread_t th[2];
    for (int k = 0; k < 2; k++) {
        memset(&jc[k], 0, sizeof(jc[k]));
        jc[k].port = cluster_http_port(&cl, l);
        join_body(jc[k].body, sizeof(jc[k].body), 10 + k, unused_port());
    }
    for (int k = 0; k < 2; k++)
        assert_int_equal(pthread_create(&th[k], NULL, join_thread, &jc[k]), 0);
    for (int k = 0; k < 2; k++)
        pthread_join(th[k], NULL);
    int want_ids[8] = {1, 2, 3, 9}, nwant = 4;
    for (int k = 0; k < 2; k++) {
        if (jc[k].rc < 0) fail_msg("concurrent join %d: %s", k, jc[k].err);
        fprintf(stderr, "  concurrent join of node %d: %d %s", 10 + k, jc[k].r.status,
                jc[k].r.body);
        if (jc[k].r.status != 200 && jc[k].r.status != 409)
            fail_msg("concurrent join of node %d: %d %s", 10 + k, jc[k].r.status, jc[k].r.body);
        if (jc[k].r.status == 200) want_ids[nwant++] = 10 + k;
        httpc_free(&jc[k].r);
    }
    /* members: the founding voters, the learners 9 and whoever got 200 */
    int64_t deadline = cl_mono_ms() + 5000;
    for (;;) {
        bool all = true;
        long long ci = -1;
        for (int k = 0; k < 3 && all; k++) {
            all = members_of(k, &m) && m.n == nwant && (ci < 0 || m.conf_index == ci);
            ci = m.conf_index;
            for (int q = 0; all && q < nwant; q++)
                all = member_state(&m, want_ids[q]) == (want_ids[q] <= 3);
        }
        if (all) break;
        if (cl_mono_ms() > deadline) {
            char s[512];
            members_str(&m, s, sizeof(s));
            fail_msg("after two concurrent joins the nodes disagree with the answers: %s", s);
        }
        usleep(50000);
    }
    /* the same join twice at once: both 200, one adds it, the other finds it */
    int p12 = unused_port();
    for (int k = 0; k < 2; k++) {
        memset(&jc[k], 0, sizeof(jc[k]));
        jc[k].port = cluster_http_port(&cl, l);
        join_body(jc[k].body, sizeof(jc[k].body), 12, p12);
    }
    for (int k = 0; k < 2; k++)
        assert_int_equal(pthread_create(&th[k], NULL, join_thread, &jc[k]), 0);
    for (int k = 0; k < 2; k++)
        pthread_join(th[k], NULL);
    int added = 0;
    for (int k = 0; k < 2; k++) {
        if (jc[k].rc < 0) fail_msg("concurrent join %d of node 12: %s", k, jc[k].err);
        fprintf(stderr, "  concurrent join of node 12 (%d): %d %s", k, jc[k].r.status,
                jc[k].r.body);
        expect_status(&jc[k].r, 200, "the same join twice at once");
        j = json_of(&jc[k].r);
        added += bool_field(j, "added");
        assert_int_equal(bool_field(j, "added"), !bool_field(j, "already_member"));
        json_decref(j);
        httpc_free(&jc[k].r);
    }
    assert_int_equal(added, 1);
    want_ids[nwant++] = 12;
    for (int q = 3; q < nwant; q++) {
        snprintf(body, sizeof(body), "{\"id\": %d}", want_ids[q]);
        post_follow(l, "/cluster/leave", body, 20000, &r, NULL, NULL, 0);
        expect_status(&r, 200, "leave of a learner");
        httpc_free(&r);
    }

    /* -- removing a voter when the voters left would not have a live
     * quorum: 409 (node g is stopped, f would go) */
    cluster_sigstop(&cl, g);
    deadline = cl_mono_ms() + 10000;
    while (last_contact(l, cl.id[g]) <
           1300) { /* more than two election timeouts: surely inactive */
        if (cl_mono_ms() > deadline)
            fail_msg("the leader still hears from the stopped node %d", cl.id[g]);
        usleep(50000);
    }
    snprintf(body, sizeof(body), "{\"id\": %d}", cl.id[f]);
    post(l, "/cluster/leave", body, &r);
    expect_error(&r, 409, "short of a quorum", "leave that leaves no live quorum");
    httpc_free(&r);
    assert_true(members_of(l, &m));
    assert_int_equal(member_state(&m, cl.id[f]), 1);
    cluster_sigcont(&cl, g);
    deadline = cl_mono_ms() + 10000;
    for (;;) {
        long long lc = last_contact(l, cl.id[g]);
        if (lc >= 0 && lc < 200) break;
        if (cl_mono_ms() > deadline)
            fail_msg("the leader never heard from node %d again", cl.id[g]);
        usleep(50000);
    }
    /* now it may go; then the other; the last voter cannot */
    l = leader_of(0x7, 10000);
    post_follow(l, "/cluster/leave", body, 20000, &r, NULL, NULL, 0);
    expect_status(&r, 200, "leave of a follower with a live quorum");
    httpc_free(&r);
    snprintf(body, sizeof(body), "{\"id\": %d}", cl.id[g]);
    post_follow(l, "/cluster/leave", body, 20000, &r, NULL, NULL, 0);
    expect_status(&r, 200, "leave of the second follower");
    j = json_of(&r);
    httpc_free(&r);
    assert_int_equal(int_field(j, "voters"), 1);
    json_decref(j);
    snprintf(body, sizeof(body), "{\"id\": %d}", cl.id[l]);
    post(l, "/cluster/leave", body, &r);
    expect_error(&r, 409, "last voter", "leave of the last voter");
    httpc_free(&r);
    int lone[] = {l}, lone_id[] = {cl.id[l]}, gone[] = {cl.id[f], cl.id[g], 6};
    wait_members_everywhere(lone, 1, lone_id, 1, gone, 3, 5000, "a cluster of one");
    write_keys(l, "alone", 10); /* the one voter left still commits */
    test_done = true;
}

int main(void)
{
    const struct CMUnitTest load[] = {
        cmocka_unit_test_setup(test_join_under_load, setup_test),
        cmocka_unit_test_setup(test_leave_under_load, setup_test),
    };
    const struct CMUnitTest edge[] = {
        cmocka_unit_test_setup_teardown(test_edge_cases, setup_edge, teardown_edge),
    };
    int failed =
        cmocka_run_group_tests_name("membership under load", load, setup_load, teardown_load);
    failed += cmocka_run_group_tests_name("membership edge cases", edge, NULL, NULL);
    return failed;
}
