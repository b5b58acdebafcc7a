/* Edge cases of membership changes (POST /cluster/join, POST /cluster/leave;
 * src/node/admin_members.c) on a real 3-node cluster with an admin token: 401 without it or
 * with a wrong one; 400 for malformed bodies and wrong types; a learner that never runs (the
 * node died before its promotion) is added, is idempotent, refuses another address for its
 * id and its address for another id, answers ?wait=true&timeout_ms=1000 with 202 after ~1 s,
 * is removed (200, then 200 already_removed) and its id is never reused (409); 404 for an
 * unknown id; a join sent to a follower is 307 to the leader's admin port; two concurrent
 * joins end 200 or 409, never 5xx, with every node agreeing on the result; a removal that
 * would leave the voters without a live quorum is 409, the last voter cannot leave (409),
 * and the single voter left still takes writes. A running learner removed before its
 * promotion learns that it was (/health 503), though it never campaigns.
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

/* ---- edge cases ------------------------------------------------------- */

#define TOKEN "s3cr3t"
static const char *const token_args[] = {"--admin_token", TOKEN, NULL};

static int setup_edge(void **state)
{
    (void)state;
    mt_use(&cl, TOKEN);
    test_done = false;
    return cluster_start(&cl, cluster_fast_args, token_args);
}

static int teardown_edge(void **state)
{
    (void)state;
    for (int i = 0; i < cl.n; i++)
        if (cl.stopped[i]) cluster_sigcont(&cl, i);
    if (!test_done) mt_dump_logs(40);
    mt_use(&cl, NULL);
    return cluster_finish(&cl);
}

/* POST path body to node i (no redirects followed). */
static void post(int i, const char *path, const char *body, httpc_resp_t *r)
{
    mt_call(i, "POST", path, body, r);
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
    json_t *s = mt_status_of(l);
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
    httpc_resp_t r;
    int rc;
    char err[256];
} join_call_t;

static void *join_thread(void *arg)
{
    join_call_t *c = arg;
    c->rc = httpc_request(c->port, "POST", "/cluster/join", c->body, TOKEN, 20000, &c->r, c->err,
                          sizeof(c->err));
    return NULL;
}

static void test_edge_cases(void **state)
{
    (void)state;
    int l = mt_leader_of(0x7, 10000);
    if (l < 0) fail_msg("no leader");
    int f = (l + 1) % CLUSTER_N, g = (l + 2) % CLUSTER_N;
    httpc_resp_t r;
    char body[256];
    int p6 = unused_port(), p7 = unused_port();

    /* -- the admin token: changes need it, reads do not */
    join_body(body, sizeof(body), 6, p6);
    mt_http_at(cluster_http_port(&cl, l), "POST", "/cluster/join", body, NULL, 10000, &r);
    mt_expect_error(&r, 401, "Bearer", "join without the token");
    assert_non_null(strstr(r.head, "WWW-Authenticate: Bearer"));
    httpc_free(&r);
    mt_http_at(cluster_http_port(&cl, l), "POST", "/cluster/join", body, "wrong", 10000, &r);
    mt_expect_status(&r, 401, "join with a wrong token");
    httpc_free(&r);
    mt_http_at(cluster_http_port(&cl, l), "POST", "/cluster/join", body, TOKEN "x", 10000, &r);
    mt_expect_status(&r, 401, "join with the token and more");
    httpc_free(&r);
    mt_http_at(cluster_http_port(&cl, l), "POST", "/cluster/leave", "{\"id\": 2}", NULL, 10000, &r);
    mt_expect_status(&r, 401, "leave without the token");
    httpc_free(&r);
    mt_http_at(cluster_http_port(&cl, f), "POST", "/cluster/join", body, "wrong", 10000, &r);
    mt_expect_status(&r, 401, "join with a wrong token on a follower (no 307 before the token)");
    httpc_free(&r);
    mt_http_at(cluster_http_port(&cl, l), "GET", "/cluster/members", NULL, NULL, 10000, &r);
    mt_expect_status(&r, 200, "members without the token");
    httpc_free(&r);
    mt_members_t m;
    assert_true(mt_members_of(l, &m));
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
        mt_expect_error(&r, 400, bad[k].says, what);
        httpc_free(&r);
    }
    assert_true(mt_members_of(l, &m));
    assert_int_equal(m.n, 3);
    assert_int_equal(m.nremoved, 0);

    /* -- a learner whose process never runs (a node that died before its
     * promotion): ?wait=true gives up at its timeout with 202 */
    join_body(body, sizeof(body), 6, p6);
    int64_t t = cl_mono_ms();
    post(l, "/cluster/join?wait=true&timeout_ms=1000", body, &r);
    int64_t waited = cl_mono_ms() - t;
    mt_expect_status(&r, 202, "join?wait=true of a node that never runs");
    json_t *j = mt_json_of(&r);
    httpc_free(&r);
    fprintf(stderr, "  join?wait=true&timeout_ms=1000 of a dead node: 202 after %lld ms (\"%s\")\n",
            (long long)waited, mt_str_field(j, "reason"));
    assert_true(waited >= 900 && waited < 5000);
    assert_int_equal(mt_int_field(j, "id"), 6);
    assert_true(mt_bool_field(j, "added"));
    assert_true(mt_bool_field(j, "learner"));
    assert_false(mt_bool_field(j, "voter"));
    assert_false(mt_bool_field(j, "promoted"));
    assert_int_equal(mt_int_field(j, "leader"), cl.id[l]);
    json_decref(j);
    /* the same join again: 200, already a member (still a learner) */
    post(l, "/cluster/join", body, &r);
    mt_expect_status(&r, 200, "the same join again");
    j = mt_json_of(&r);
    httpc_free(&r);
    assert_false(mt_bool_field(j, "added"));
    assert_true(mt_bool_field(j, "already_member"));
    assert_true(mt_bool_field(j, "learner"));
    json_decref(j);
    /* its id at another address; its address for another id; a founding
     * member's address */
    join_body(body, sizeof(body), 6, p7);
    post(l, "/cluster/join", body, &r);
    mt_expect_error(&r, 409, "already a member", "id 6 at another address");
    httpc_free(&r);
    join_body(body, sizeof(body), 7, p6);
    post(l, "/cluster/join", body, &r);
    mt_expect_error(&r, 409, "the address of node 6", "id 7 at node 6's address");
    httpc_free(&r);
    join_body(body, sizeof(body), 8, cl.node[f].port);
    post(l, "/cluster/join", body, &r);
    mt_expect_error(&r, 409, "one address, one node", "id 8 at a voter's address");
    httpc_free(&r);
    join_body(body, sizeof(body), 2, p7);
    post(l, "/cluster/join", body, &r);
    mt_expect_error(&r, 409, "already a member", "voter id 2 at another address");
    httpc_free(&r);
    /* the learner still there, nothing else added; it never became a voter */
    assert_true(mt_members_of(l, &m));
    assert_int_equal(m.n, 4);
    assert_int_equal(mt_member_state(&m, 6), 0);
    /* ... and it does not hold up the cluster: a write commits */
    mt_write_keys(l, "with-a-dead-learner", 10);

    /* -- it is removed; its id is never used again */
    post(l, "/cluster/leave", "{\"id\": 6}", &r);
    mt_expect_status(&r, 200, "leave of the dead learner");
    j = mt_json_of(&r);
    httpc_free(&r);
    assert_true(mt_bool_field(j, "removed"));
    assert_false(mt_bool_field(j, "already_removed"));
    assert_int_equal(mt_int_field(j, "voters"), 3);
    json_decref(j);
    post(l, "/cluster/leave", "{\"id\": 6}", &r);
    mt_expect_status(&r, 200, "leave of the removed learner again");
    j = mt_json_of(&r);
    httpc_free(&r);
    assert_true(mt_bool_field(j, "already_removed"));
    json_decref(j);
    join_body(body, sizeof(body), 6, p6);
    post(l, "/cluster/join", body, &r);
    mt_expect_error(&r, 409, "never reused", "join of a removed id");
    httpc_free(&r);
    join_body(body, sizeof(body), 6, unused_port());
    post(l, "/cluster/join", body, &r);
    mt_expect_error(&r, 409, "never reused", "join of a removed id at a new address");
    httpc_free(&r);
    post(l, "/cluster/leave", "{\"id\": 99}", &r);
    mt_expect_error(&r, 404, "no member", "leave of an unknown id");
    httpc_free(&r);
    int founding[] = {0, 1, 2}, ids3[] = {1, 2, 3}, rm6[] = {6};
    mt_wait_members_everywhere(founding, 3, ids3, 3, rm6, 1, 5000, "after the dead learner left");

    /* -- a join sent to a follower: 307 to the same URL on the leader */
    join_body(body, sizeof(body), 9, unused_port());
    post(f, "/cluster/join?timeout_ms=5000", body, &r);
    mt_expect_status(&r, 307, "join on a follower");
    char loc[256], want[256];
    assert_true(httpc_header(&r, "Location", loc, sizeof(loc)));
    snprintf(want, sizeof(want), "http://127.0.0.1:%d/cluster/join?timeout_ms=5000",
             cluster_http_port(&cl, l));
    assert_string_equal(loc, want);
    j = mt_json_of(&r);
    assert_int_equal(mt_int_field(j, "leader"), cl.id[l]);
    json_decref(j);
    httpc_free(&r);
    int first = 0;
    mt_post_follow(g, "/cluster/join", body, 20000, &r, &first, NULL, 0);
    assert_int_equal(first, 307);
    mt_expect_status(&r, 200, "join on a follower, 307 followed");
    j = mt_json_of(&r);
    httpc_free(&r);
    assert_true(mt_bool_field(j, "added"));
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
            all = mt_members_of(k, &m) && m.n == nwant && (ci < 0 || m.conf_index == ci);
            ci = m.conf_index;
            for (int q = 0; all && q < nwant; q++)
                all = mt_member_state(&m, want_ids[q]) == (want_ids[q] <= 3);
        }
        if (all) break;
        if (cl_mono_ms() > deadline) {
            char s[512];
            mt_members_str(&m, s, sizeof(s));
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
        mt_expect_status(&jc[k].r, 200, "the same join twice at once");
        j = mt_json_of(&jc[k].r);
        added += mt_bool_field(j, "added");
        assert_int_equal(mt_bool_field(j, "added"), !mt_bool_field(j, "already_member"));
        json_decref(j);
        httpc_free(&jc[k].r);
    }
    assert_int_equal(added, 1);
    want_ids[nwant++] = 12;
    for (int q = 3; q < nwant; q++) {
        snprintf(body, sizeof(body), "{\"id\": %d}", want_ids[q]);
        mt_post_follow(l, "/cluster/leave", body, 20000, &r, NULL, NULL, 0);
        mt_expect_status(&r, 200, "leave of a learner");
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
    mt_expect_error(&r, 409, "short of a quorum", "leave that leaves no live quorum");
    httpc_free(&r);
    assert_true(mt_members_of(l, &m));
    assert_int_equal(mt_member_state(&m, cl.id[f]), 1);
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
    l = mt_leader_of(0x7, 10000);
    mt_post_follow(l, "/cluster/leave", body, 20000, &r, NULL, NULL, 0);
    mt_expect_status(&r, 200, "leave of a follower with a live quorum");
    httpc_free(&r);
    snprintf(body, sizeof(body), "{\"id\": %d}", cl.id[g]);
    mt_post_follow(l, "/cluster/leave", body, 20000, &r, NULL, NULL, 0);
    mt_expect_status(&r, 200, "leave of the second follower");
    j = mt_json_of(&r);
    httpc_free(&r);
    assert_int_equal(mt_int_field(j, "voters"), 1);
    json_decref(j);
    snprintf(body, sizeof(body), "{\"id\": %d}", cl.id[l]);
    post(l, "/cluster/leave", body, &r);
    mt_expect_error(&r, 409, "last voter", "leave of the last voter");
    httpc_free(&r);
    int lone[] = {l}, lone_id[] = {cl.id[l]}, gone[] = {cl.id[f], cl.id[g], 6};
    mt_wait_members_everywhere(lone, 1, lone_id, 1, gone, 3, 5000, "a cluster of one");
    mt_write_keys(l, "alone", 10); /* the one voter left still commits */
    test_done = true;
}

/* ---- a learner removed before its promotion --------------------------- */

/* Node i's /health: its status, and its reason in want (cleared if none). */
static int health_of(int i, char *want, size_t len)
{
    httpc_resp_t r;
    mt_call(i, "GET", "/health", NULL, &r);
    int st = r.status;
    json_t *j = json_loads(r.body, 0, NULL);
    const char *reason = j ? json_string_value(json_object_get(j, "reason")) : NULL;
    snprintf(want, len, "%s", reason ? reason : "");
    if (j) json_decref(j);
    httpc_free(&r);
    return st;
}

/* A learner never campaigns, so it never speaks to a member on its own:
 * removed before its promotion, it used to go on believing it was one. It
 * must learn it, as a removed voter does: /health 503 "removed from the
 * cluster". The learner is stopped right after its join is answered, so
 * that it cannot catch up and be promoted; if it was promoted anyway (the
 * leader was quicker), the test tries again with another id. */
static void test_removed_learner_learns_it(void **state)
{
    (void)state;
    int l = mt_leader_of(0x7, 10000);
    if (l < 0) fail_msg("no leader");
    mt_write_keys(l, "before-learner", 2000); /* some catching up to do */
    int li = -1, id = 0;
    for (int attempt = 0; attempt < 5 && li < 0; attempt++) {
        id = 20 + attempt;
        const char *const args[] = {"--cluster.members", "", NULL};
        int i = cluster_start_extra(&cl, id, args);
        if (i < 0) fail_msg("node %d did not start", id);
        char body[256];
        httpc_resp_t r;
        join_body(body, sizeof(body), id, cl.node[i].port);
        post(l, "/cluster/join", body, &r);
        cluster_sigstop(&cl, i); /* at once: no time to catch up */
        mt_expect_status(&r, 200, "join of the learner");
        httpc_free(&r);
        mt_members_t m;
        assert_true(mt_members_of(l, &m));
        if (mt_member_state(&m, id) == 0) {
            li = i;
            break;
        }
        fprintf(stderr, "  node %d was promoted before it was stopped; again with another id\n", id);
        cluster_sigcont(&cl, i);
        snprintf(body, sizeof(body), "{\"id\": %d}", id);
        mt_post_follow(l, "/cluster/leave", body, 20000, &r, NULL, NULL, 0);
        mt_expect_status(&r, 200, "leave of the promoted node");
        httpc_free(&r);
    }
    if (li < 0) fail_msg("every joining node was promoted before it could be stopped");

    /* removed while it cannot hear it */
    char body[64];
    httpc_resp_t r;
    snprintf(body, sizeof(body), "{\"id\": %d}", id);
    mt_post_follow(l, "/cluster/leave", body, 20000, &r, NULL, NULL, 0);
    mt_expect_status(&r, 200, "leave of the stopped learner");
    httpc_free(&r);
    int three[] = {0, 1, 2}, ids[] = {cl.id[0], cl.id[1], cl.id[2]}, gone[] = {id};
    mt_wait_members_everywhere(three, 3, ids, 3, gone, 1, 5000, "after the learner left");
    cluster_sigcont(&cl, li);

    /* it is told within a few election timeouts, and says so */
    int64_t t0 = cl_mono_ms(), deadline = t0 + 10000;
    char reason[256] = "";
    int st = 0;
    while ((st = health_of(li, reason, sizeof(reason))) != 503 || strcmp(reason, "removed from the cluster") != 0) {
        if (cl_mono_ms() > deadline)
            fail_msg("the removed learner %d was never told: /health %d \"%s\" after 10 s", id, st, reason);
        usleep(100000);
    }
    fprintf(stderr, "  the removed learner %d knew it %lld ms after it ran again\n", id,
            (long long)(cl_mono_ms() - t0));
    /* and the cluster is as it was */
    mt_write_keys(l, "after-learner", 10);
    test_done = true;
}

int main(void)
{
    const struct CMUnitTest edge[] = {
        cmocka_unit_test_setup_teardown(test_edge_cases, setup_edge, teardown_edge),
        cmocka_unit_test_setup_teardown(test_removed_learner_learns_it, setup_edge, teardown_edge),
    };
    return cmocka_run_group_tests_name("membership edge cases", edge, NULL, NULL);
}
