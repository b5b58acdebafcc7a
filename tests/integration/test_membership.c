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
 * The edge cases of the admin API are in test_membership_edges.c.
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
#include "support/membertest.h"

static cluster_t cl;
static bool test_done;
static bool t1_ok;        /* test 1 left 5 voters for test 2 */

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
    long long commit = mt_info_of(l, "raft_commit_index");
    for (int k = 0; k < nidx; k++) {
        int64_t deadline = cl_mono_ms() + 30000;
        long long a;
        while ((a = mt_info_of(idx[k], "raft_applied_index")) < commit) {
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
    redisContext *c = mt_connect_or_fail(i);
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
            long long before = mt_info_of(i, "raft_applied_index");
            redisContext *c = mt_connect_or_fail(i);
            redisReply *r = cl_cmd(c, "DEBUG", "DIGEST", NULL);
            if (r && r->type == REDIS_REPLY_STATUS) snprintf(dig[k], sizeof(dig[k]), "%s", r->str);
            if (r) freeReplyObject(r);
            redisFree(c);
            applied[k] = mt_info_of(i, "raft_applied_index");
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
    mt_use(&cl, NULL);
    t1_ok = false;
    t0_ms = cl_mono_ms();
    return cluster_start(&cl, load_args, NULL);
}

static int teardown_load(void **state)
{
    (void)state;
    writers_stop_all();
    if (!test_done) mt_dump_logs(40);
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
    int l = mt_leader_of(0x7, 15000);
    if (l < 0) fail_msg("no leader among the founding nodes");
    json_t *st = mt_status_of(l);
    char cluster_id[32];
    snprintf(cluster_id, sizeof(cluster_id), "%s", mt_str_field(st, "cluster_id"));
    json_decref(st);
    /* enough history that the leader's log no longer starts at 1: the new
     * nodes must be sent a snapshot */
    mt_write_keys(l, "pre", 3000);
    int64_t deadline = cl_mono_ms() + 15000;
    while (mt_info_of(l, "raft_log_first_index") <= 1) {
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
        mt_members_t m;
        if (mt_members_of(l, &m) && mt_member_state(&m, 4) == 1) break;
        if (cl_mono_ms() > deadline) {
            char s[512];
            mt_members_str(&m, s, sizeof(s));
            fail_msg("node 4, started with --join %s, was not a voter after 30 s (the leader "
                     "says: %s); is the --join client (src/node/join.c) in this build?",
                     join_addr, s);
        }
        usleep(50000);
    }
    fprintf(stderr, "  node 4 (--join) was a voter %lld ms after its start\n",
            (long long)(cl_mono_ms() - t_start4));

    /* node 5, never told anything, has not campaigned and is no member */
    assert_int_equal(mt_info_of(i5, "raft_term"), 0);
    mt_members_t m5;
    assert_true(mt_members_of(l, &m5));
    assert_int_equal(mt_member_state(&m5, 5), -1);
    httpc_resp_t r;
    mt_call(i5, "GET", "/health", NULL, &r);
    mt_expect_status(&r, 503, "/health of a node not yet added");
    httpc_free(&r);
    /* a change sent to it: it is no member and knows no leader: 421 */
    mt_call(i5, "POST", "/cluster/leave", "{\"id\": 2}", &r);
    mt_expect_status(&r, 421, "a change sent to a node that is not a member yet");
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
    mt_post_follow(f, "/cluster/join?wait=true&timeout_ms=30000", body, 40000, &r, &first, loc,
                sizeof(loc));
    int64_t took5 = cl_mono_ms() - t_join5;
    if (first != 307)
        fail_msg("a join sent to follower node %d was answered %d, not 307", cl.id[f], first);
    snprintf(want_loc, sizeof(want_loc),
             "http://127.0.0.1:%d/cluster/join?wait=true&timeout_ms=30000",
             cluster_http_port(&cl, l));
    assert_string_equal(loc, want_loc);
    mt_expect_status(&r, 200, "join?wait=true of node 5");
    json_t *j = mt_json_of(&r);
    httpc_free(&r);
    assert_int_equal(mt_int_field(j, "id"), 5);
    char want[64];
    snprintf(want, sizeof(want), "127.0.0.1:%d", cl.node[i5].port);
    assert_string_equal(mt_str_field(j, "addr"), want);
    snprintf(want, sizeof(want), "127.0.0.1:%d", cluster_http_port(&cl, i5));
    assert_string_equal(mt_str_field(j, "http_addr"), want);
    assert_true(mt_bool_field(j, "added"));
    assert_false(mt_bool_field(j, "already_member"));
    assert_true(mt_bool_field(j, "voter"));
    assert_true(mt_bool_field(j, "promoted"));
    assert_false(mt_bool_field(j, "learner"));
    assert_string_equal(mt_str_field(j, "cluster_id"), cluster_id);
    assert_int_equal(mt_int_field(j, "leader"), cl.id[l]);
    assert_true(mt_int_field(j, "conf_index") > 0);
    json_decref(j);
    fprintf(stderr, "  node 5 (POST /cluster/join?wait=true) was a voter after %lld ms\n",
            (long long)took5);

    /* asking again is harmless: already a member */
    mt_post_follow(l, "/cluster/join", body, 20000, &r, NULL, NULL, 0);
    mt_expect_status(&r, 200, "join of node 5 again");
    j = mt_json_of(&r);
    httpc_free(&r);
    assert_false(mt_bool_field(j, "added"));
    assert_true(mt_bool_field(j, "already_member"));
    assert_true(mt_bool_field(j, "voter"));
    json_decref(j);

    /* every node lists the 5 voters at the same configuration */
    int all[] = {0, 1, 2, i4, i5}, ids[] = {1, 2, 3, 4, 5};
    mt_wait_members_everywhere(all, 5, ids, 5, NULL, 0, 10000, "after two joins");
    for (int k = 3; k < 5; k++) {
        json_t *s = mt_status_of(all[k]);
        assert_true(mt_bool_field(s, "voter"));
        assert_string_equal(mt_str_field(s, "cluster_id"), cluster_id);
        assert_int_equal(mt_int_field(json_object_get(s, "leader"), "id"), cl.id[l]);
        json_decref(s);
        /* it caught up through the leader's snapshot */
        long long got = mt_info_of(all[k], "raft_snapshots_received");
        fprintf(stderr, "  node %d received %lld snapshot(s)\n", cl.id[all[k]], got);
        assert_true(got >= 1);
    }

    /* the writes go on a little with five voters, also through the new ones */
    atomic_store(&writable, 0x7u | (1u << i4) | (1u << i5));
    usleep(700000);
    writers_stop_all();
    writers_check("joins", DEFAULT_ELECTION_MAX_MS, acked_a);
    int nl = mt_leader_of(0x7u | (1u << i4) | (1u << i5), 10000);
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
        httpc_resp_t r;
        char err[256];
        if (httpc_request(cluster_http_port(&cl, i), "GET", "/health", NULL, NULL, 3000, &r, err,
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
    int l = mt_leader_of(five, 10000);
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
    httpc_resp_t r;
    mt_post_follow(l, "/cluster/leave", body, 20000, &r, NULL, NULL, 0);
    mt_expect_status(&r, 200, "leave of a follower");
    json_t *j = mt_json_of(&r);
    httpc_free(&r);
    assert_int_equal(mt_int_field(j, "id"), cl.id[victim]);
    assert_true(mt_bool_field(j, "removed"));
    assert_false(mt_bool_field(j, "already_removed"));
    assert_int_equal(mt_int_field(j, "voters"), 4);
    long long ci = mt_int_field(j, "conf_index");
    json_decref(j);
    /* again: already removed */
    mt_post_follow(l, "/cluster/leave", body, 20000, &r, NULL, NULL, 0);
    mt_expect_status(&r, 200, "leave of a removed follower");
    j = mt_json_of(&r);
    httpc_free(&r);
    assert_true(mt_bool_field(j, "already_removed"));
    assert_int_equal(mt_int_field(j, "conf_index"), ci);
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
    mt_post_follow(l, "/cluster/leave", body, 20000, &r, &first, loc, sizeof(loc));
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
    mt_expect_status(&r, 200, "leave of the leader, at the new leader");
    j = mt_json_of(&r);
    httpc_free(&r);
    assert_int_equal(mt_int_field(j, "id"), old_id);
    assert_true(mt_bool_field(j, "removed"));
    assert_false(mt_bool_field(j, "already_removed"));
    assert_int_equal(mt_int_field(j, "voters"), 3);
    json_decref(j);
    fprintf(stderr, "  node %d left with node %d; node %d led it out in %lld ms\n", cl.id[victim],
            old_id, cl.id[nl], (long long)took);
    assert_int_equal(mt_leader_of(three, 10000), nl);
    mt_call(nl, "GET", "/health/leader", NULL, &r);
    mt_expect_status(&r, 200, "/health/leader on the new leader");
    httpc_free(&r);

    int left[3], nleft = 0, left_ids[3], gone[] = {cl.id[victim], old_id};
    for (int i = 0; i < cl.n; i++)
        if (three & (1u << i)) left_ids[nleft] = cl.id[i], left[nleft++] = i;
    assert_int_equal(nleft, 3);
    mt_wait_members_everywhere(left, 3, left_ids, 3, gone, 2, 10000, "after two leaves");
    json_t *s0 = mt_status_of(nl);
    long long term = mt_int_field(s0, "term");
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
        redisContext *c = mt_connect_or_fail(nl);
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
        json_t *s = mt_status_of(left[k]);
        if (mt_int_field(s, "term") != term)
            fail_msg("node %d: term %lld, %lld after the leaves: an election happened",
                     cl.id[left[k]], (long long)mt_int_field(s, "term"), term);
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

int main(void)
{
    const struct CMUnitTest load[] = {
        cmocka_unit_test_setup(test_join_under_load, setup_test),
        cmocka_unit_test_setup(test_leave_under_load, setup_test),
    };
    return cmocka_run_group_tests_name("membership under load", load, setup_load, teardown_load);
}
