/* See membertest.h. */
#include "support/membertest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static cluster_t *mcl;
static const char *mtok;

void mt_use(cluster_t *c, const char *token)
{
    mcl = c;
    mtok = token;
}

/* ---- HTTP ---------------------------------------------------------------- */

void mt_http_at(int port, const char *method, const char *path, const char *body,
                    const char *tok, int timeout_ms, httpc_resp_t *r)
{
    char err[256];
    if (httpc_request(port, method, path, body, tok, timeout_ms, r, err, sizeof(err)) < 0)
        fail_msg("%s %s on port %d: %s", method, path, port, err);
}

/* One request to node index i with the cluster's mtok. */
void mt_call(int i, const char *method, const char *path, const char *body, httpc_resp_t *r)
{
    mt_http_at(cluster_http_port(mcl, i), method, path, body, mtok, 20000, r);
}

/* A POST to node i that follows 307s (re-POSTing the same body, as curl -L
 * does), at most 3 in a row. *first_status and first_loc (may be NULL) get
 * the first answer's status and Location. Returns the final answer in r. */
void mt_post_follow(int i, const char *path, const char *body, int timeout_ms, httpc_resp_t *r,
                        int *first_status, char *first_loc, size_t loclen)
{
    int port = cluster_http_port(mcl, i);
    char p[512];
    snprintf(p, sizeof(p), "%s", path);
    for (int hop = 0;; hop++) {
        mt_http_at(port, "POST", p, body, mtok, timeout_ms, r);
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

json_t *mt_json_of(const httpc_resp_t *r)
{
    json_error_t e;
    json_t *j = json_loads(r->body, 0, &e);
    if (!j) fail_msg("not JSON (%s): %s", e.text, r->body);
    return j;
}

json_int_t mt_int_field(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_integer(v)) fail_msg("field %s is not an integer", k);
    return json_integer_value(v);
}

const char *mt_str_field(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_string(v)) fail_msg("field %s is not a string", k);
    return json_string_value(v);
}

bool mt_bool_field(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_boolean(v)) fail_msg("field %s is not a boolean", k);
    return json_is_true(v);
}

void mt_expect_status(const httpc_resp_t *r, int want, const char *what)
{
    if (r->status != want)
        fail_msg("%s: status %d, expected %d; body %s", what, r->status, want, r->body);
}

/* The answer is status with {"error": "..."} containing want. */
void mt_expect_error(const httpc_resp_t *r, int status, const char *want, const char *what)
{
    mt_expect_status(r, status, what);
    json_t *j = mt_json_of(r);
    const char *e = mt_str_field(j, "error");
    if (!strstr(e, want)) fail_msg("%s: error \"%s\" does not say \"%s\"", what, e, want);
    json_decref(j);
}

/* ---- the membership as a node sees it ------------------------------------ */

/* GET /cluster/members on node i; false when it does not answer 200. */
bool mt_members_of(int i, mt_members_t *m)
{
    memset(m, 0, sizeof(*m));
    httpc_resp_t r;
    char err[256];
    if (httpc_request(cluster_http_port(mcl, i), "GET", "/cluster/members", NULL, mtok, 5000, &r,
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
int mt_member_state(const mt_members_t *m, int id)
{
    for (int k = 0; k < m->n; k++)
        if (m->id[k] == id) return m->voter[k];
    return -1;
}

bool mt_is_removed(const mt_members_t *m, int id)
{
    for (int k = 0; k < m->nremoved; k++)
        if (m->removed[k] == id) return true;
    return false;
}

void mt_members_str(const mt_members_t *m, char *buf, size_t len)
{
    int n = snprintf(buf, len, "conf_index %lld, members", m->conf_index);
    for (int k = 0; k < m->n && n > 0 && (size_t)n < len; k++)
        n += snprintf(buf + n, len - (size_t)n, " %d%s", m->id[k], m->voter[k] ? "" : "(learner)");
    for (int k = 0; k < m->nremoved && n > 0 && (size_t)n < len; k++)
        n += snprintf(buf + n, len - (size_t)n, "%s%d", k ? "," : ", removed ", m->removed[k]);
}

/* Whether m is exactly the voters ids[0..nids-1] (no learners) and, if
 * nrem > 0, lists each of removed[0..nrem-1] as removed. */
bool mt_members_are(const mt_members_t *m, const int *ids, int nids, const int *removed, int nrem)
{
    if (m->n != nids) return false;
    for (int k = 0; k < nids; k++)
        if (mt_member_state(m, ids[k]) != 1) return false;
    for (int k = 0; k < nrem; k++)
        if (!mt_is_removed(m, removed[k])) return false;
    return true;
}

/* Polls every node of idx[0..nidx-1] until each lists exactly the voters
 * ids (and the removed ones) at the same conf_index. */
void mt_wait_members_everywhere(const int *idx, int nidx, const int *ids, int nids,
                                    const int *removed, int nrem, int timeout_ms, const char *what)
{
    int64_t deadline = cl_mono_ms() + timeout_ms;
    for (;;) {
        bool all = true;
        long long ci = -1;
        mt_members_t m;
        int bad = -1;
        for (int k = 0; k < nidx && all; k++) {
            all = mt_members_of(idx[k], &m) && mt_members_are(&m, ids, nids, removed, nrem) &&
                  (ci < 0 || m.conf_index == ci);
            ci = m.conf_index;
            if (!all) bad = idx[k];
        }
        if (all) return;
        if (cl_mono_ms() > deadline) {
            char s[512];
            mt_members_str(&m, s, sizeof(s));
            fail_msg("%s: node %d never listed the expected membership; it says: %s", what,
                     mcl->id[bad], s);
        }
        usleep(50000);
    }
}

/* The index of the node that says it leads (GET /cluster/status, the
 * highest term wins) among the running ones of mask; -1 after timeout_ms. */
int mt_leader_of(unsigned mask, int timeout_ms)
{
    int64_t deadline = cl_mono_ms() + timeout_ms;
    for (;;) {
        int best = -1;
        long long best_term = -1;
        for (int i = 0; i < mcl->n; i++) {
            if (!(mask & (1u << i)) || !cluster_up(mcl, i)) continue;
            httpc_resp_t r;
            char err[256];
            if (httpc_request(cluster_http_port(mcl, i), "GET", "/cluster/status", NULL, mtok,
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

json_t *mt_status_of(int i)
{
    httpc_resp_t r;
    mt_call(i, "GET", "/cluster/status", NULL, &r);
    mt_expect_status(&r, 200, "GET /cluster/status");
    json_t *j = mt_json_of(&r);
    httpc_free(&r);
    return j;
}

/* ---- RESP ---------------------------------------------------------------- */

redisContext *mt_connect_or_fail(int i)
{
    redisContext *c = cl_connect(mcl, i, 15000);
    if (!c) fail_msg("node %d: cannot connect to port %d", mcl->id[i], mcl->node[i].port);
    return c;
}

/* A number from INFO raft of node i (-1 when the field is missing). */
long long mt_info_of(int i, const char *field)
{
    redisContext *c = mt_connect_or_fail(i);
    redisReply *r = cl_cmd(c, "INFO", "raft", NULL);
    if (!r || r->type != REDIS_REPLY_STRING) fail_msg("node %d: INFO raft failed", mcl->id[i]);
    char pat[80];
    snprintf(pat, sizeof(pat), "\r\n%s:", field);
    const char *p = strstr(r->str, pat);
    long long v = p ? strtoll(p + strlen(pat), NULL, 10) : -1;
    freeReplyObject(r);
    redisFree(c);
    return v;
}

/* count keys prefix:0.. with value = key, pipelined 500 at a time, +OK each. */
void mt_write_keys(int i, const char *prefix, long count)
{
    redisContext *c = mt_connect_or_fail(i);
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
                fail_msg("node %d: write: %s", mcl->id[i], c->errstr);
            if (r->type != REDIS_REPLY_STATUS || strcmp(r->str, "OK") != 0)
                fail_msg("node %d: SET %s:%ld -> %s", mcl->id[i], prefix, done + k,
                         r->type == REDIS_REPLY_ERROR ? r->str : "(not OK)");
            freeReplyObject(r);
        }
        done += batch;
    }
    redisFree(c);
}

/* The last lines of every node's log, without the snapshot_made lines
 * that the small snapshot threshold makes frequent. */
void mt_dump_logs(int lines)
{
    fprintf(stderr, "---- the test failed; logs of the cluster (members %s):\n", mcl->members);
    for (int i = 0; i < mcl->n; i++) {
        FILE *f = mcl->node[i].log[0] ? fopen(mcl->node[i].log, "r") : NULL;
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
                mcl->id[i], mcl->node[i].port, (int)mcl->node[i].pid, mcl->stopped[i] ? ", SIGSTOPped" : "",
                mcl->node[i].log);
        for (long k = n > lines ? n - lines : 0; k < n; k++)
            fputs(ring[k % lines], stderr);
        for (int k = 0; k < lines; k++)
            free(ring[k]);
        free(ring);
    }
}

