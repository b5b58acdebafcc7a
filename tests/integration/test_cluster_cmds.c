/* CLUSTER, ROLE, READONLY/READWRITE and DEBUG DIGEST on a real 3-node
 * cluster (tests/support/cluster.h), and on a standalone node next to a
 * scratch redis-server for the error texts:
 *  - every node's CLUSTER SLOTS / SHARDS / NODES names the same leader as
 *    the one master of slots 0-16383, with one "myself" each and the node
 *    names the members give themselves (CLUSTER MYID);
 *  - ROLE has Redis's master and replica shapes;
 *  - DEBUG DIGEST is the same on every node at the same applied index;
 *  - READONLY lets a follower cut off from the others serve a GET locally,
 *    READWRITE takes that back, and such a node reports cluster_state:fail,
 *    empty SLOTS and no master.
 * When a test fails, the teardown prints the tail of every node's log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/cluster.h"
#include "support/itest.h"

static cluster_t cl;
static bool test_done; /* the running test reached its end */
static redisContext *ctx[CLUSTER_N];

/* ---- helpers ---------------------------------------------------------------- */

/* The test's connection to node i (made again after a connection error). */
static redisContext *conn_to(int i)
{
    if (!ctx[i]) ctx[i] = cl_connect(&cl, i, 5000);
    if (!ctx[i]) fail_msg("node %d: cannot connect to port %d", i + 1, cl.node[i].port);
    return ctx[i];
}

static void drop_conn(int i)
{
    if (ctx[i]) redisFree(ctx[i]);
    ctx[i] = NULL;
}

/* A command on node i; fails the test on a connection error. */
static redisReply *cmd(int i, const char *arg0, ...)
{
    const char *argv[16];
    int argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a && argc < 16; a = va_arg(ap, const char *)) argv[argc++] = a;
    va_end(ap);
    redisContext *c = conn_to(i);
    redisReply *r = redisCommandArgv(c, argc, argv, NULL);
    if (!r) {
        char err[128];
        snprintf(err, sizeof(err), "%s", c->errstr);
        drop_conn(i);
        fail_msg("node %d: %s: connection error %s", i + 1, arg0, err);
    }
    return r;
}

/* The reply must be an array of n elements (message names node and what). */
static void want_array(const redisReply *r, size_t n, int i, const char *what)
{
    char b[512];
    if (r->type != REDIS_REPLY_ARRAY || r->elements != n)
        fail_msg("node %d: %s: want an array of %zu, got %s", i + 1, what, n, cl_str(r, NULL, b, sizeof(b)));
}

static void want_type(const redisReply *r, int type, int i, const char *what)
{
    char b[512];
    if (r->type != type) fail_msg("node %d: %s: unexpected %s", i + 1, what, cl_str(r, NULL, b, sizeof(b)));
}

/* An integer field of INFO raft on node i (-1 if absent). */
static long long info_raft(int i, const char *field)
{
    redisReply *r = cmd(i, "INFO", "raft", NULL);
    want_type(r, REDIS_REPLY_STRING, i, "INFO raft");
    char pat[64];
    snprintf(pat, sizeof(pat), "\r\n%s:", field);
    const char *p = strstr(r->str, pat);
    long long v = p ? strtoll(p + strlen(pat), NULL, 10) : -1;
    freeReplyObject(r);
    return v;
}

/* The port CLUSTER SLOTS names as master of 0-16383 on node i; 0 when the
 * reply is empty (no leader); *nrep gets the number of replicas listed. */
static int slots_master(int i, int *nrep)
{
    redisReply *r = cmd(i, "CLUSTER", "SLOTS", NULL);
    want_type(r, REDIS_REPLY_ARRAY, i, "CLUSTER SLOTS");
    int port = 0;
    *nrep = 0;
    if (r->elements == 1) {
        const redisReply *range = r->element[0];
        want_type(range, REDIS_REPLY_ARRAY, i, "CLUSTER SLOTS range");
        if (range->elements < 3) fail_msg("node %d: CLUSTER SLOTS range of %zu elements", i + 1, range->elements);
        assert_int_equal(range->element[0]->integer, 0);
        assert_int_equal(range->element[1]->integer, 16383);
        for (size_t k = 2; k < range->elements; k++) {
            const redisReply *nd = range->element[k];
            want_array(nd, 4, i, "CLUSTER SLOTS node");
            assert_int_equal(nd->element[0]->type, REDIS_REPLY_STRING);
            assert_string_equal(nd->element[0]->str, "127.0.0.1");
            assert_int_equal(nd->element[1]->type, REDIS_REPLY_INTEGER);
            assert_int_equal(nd->element[2]->type, REDIS_REPLY_STRING);
            assert_int_equal(nd->element[2]->len, 40);
            assert_int_equal(nd->element[3]->elements, 0);
        }
        port = (int)range->element[2]->element[1]->integer;
        *nrep = (int)range->elements - 3;
    } else if (r->elements != 0) {
        fail_msg("node %d: CLUSTER SLOTS has %zu ranges", i + 1, r->elements);
    }
    freeReplyObject(r);
    return port;
}

/* Waits until every node's CLUSTER SLOTS names the same master with both
 * other nodes as replicas; returns the leader's index. */
static int wait_agreed_leader(int timeout_ms)
{
    int64_t deadline = cl_mono_ms() + timeout_ms;
    int ports[CLUSTER_N], reps[CLUSTER_N];
    for (;;) {
        bool same = true;
        for (int i = 0; i < CLUSTER_N; i++) {
            ports[i] = slots_master(i, &reps[i]);
            same = same && ports[i] != 0 && ports[i] == ports[0] && reps[i] == CLUSTER_N - 1;
        }
        if (same) return cluster_index_of_port(&cl, ports[0]);
        if (cl_mono_ms() > deadline)
            fail_msg("CLUSTER SLOTS masters (replicas) never agreed: %d (%d), %d (%d), %d (%d)", ports[0], reps[0],
                     ports[1], reps[1], ports[2], reps[2]);
        usleep(50000);
    }
}

static void myid(int i, char out[41])
{
    redisReply *r = cmd(i, "CLUSTER", "MYID", NULL);
    want_type(r, REDIS_REPLY_STRING, i, "CLUSTER MYID");
    assert_int_equal(r->len, 40);
    assert_int_equal(strspn(r->str, "0123456789abcdef"), 40);
    memcpy(out, r->str, 41);
    freeReplyObject(r);
}

/* ---- fixtures ------------------------------------------------------------------ */

static int group_setup(void **state)
{
    return cluster_start(&cl, cluster_fast_args, NULL);
}

static int group_teardown(void **state)
{
    for (int i = 0; i < CLUSTER_N; i++) drop_conn(i);
    return cluster_finish(&cl);
}

static int test_setup(void **state)
{
    test_done = false;
    return 0;
}

static int test_teardown(void **state)
{
    for (int i = 0; i < CLUSTER_N; i++) drop_conn(i);
    for (int i = 0; i < CLUSTER_N; i++)
        if (cl.stopped[i]) cluster_sigcont(&cl, i);
    if (!test_done) cluster_dump_logs(&cl, 30);
    return 0;
}

/* ---- 1. the topology every node reports --------------------------------------- */

static void test_topology(void **state)
{
    int l = wait_agreed_leader(10000);
    fprintf(stderr, "  leader: node %d (port %d)\n", l + 1, cl.node[l].port);
    char ids[CLUSTER_N][41];
    for (int i = 0; i < CLUSTER_N; i++) myid(i, ids[i]);
    for (int i = 0; i < CLUSTER_N; i++)
        for (int j = 0; j < i; j++) assert_string_not_equal(ids[i], ids[j]);

    for (int i = 0; i < CLUSTER_N; i++) {
        /* NODES: a line per member, one myself (this node), one master (the leader) */
        redisReply *r = cmd(i, "CLUSTER", "NODES", NULL);
        want_type(r, REDIS_REPLY_STRING, i, "CLUSTER NODES");
        int lines = 0, myself = 0, masters = 0;
        char *save = NULL, *text = strdup(r->str);
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            char id[64], addr[64], flags[64], master[64], link[32], slots[32] = "";
            long long ping, pong, epoch;
            int nf = sscanf(line, "%63s %63s %63s %63s %lld %lld %lld %31s %31s", id, addr, flags, master, &ping,
                            &pong, &epoch, link, slots);
            if (nf < 8) fail_msg("node %d: CLUSTER NODES line '%s'", i + 1, line);
            lines++;
            int port = atoi(strchr(addr, ':') + 1), k = cluster_index_of_port(&cl, port);
            if (k < 0) fail_msg("node %d: CLUSTER NODES names port %d", i + 1, port);
            char want_addr[64];
            snprintf(want_addr, sizeof(want_addr), "127.0.0.1:%d@%d", port, port + 10000);
            assert_string_equal(addr, want_addr);
            assert_string_equal(id, ids[k]); /* every node names every member alike */
            assert_string_equal(link, "connected");
            if (strstr(flags, "myself")) {
                myself++;
                assert_int_equal(k, i);
            }
            if (strstr(flags, "master")) {
                masters++;
                assert_int_equal(k, l);
                assert_string_equal(master, "-");
                assert_string_equal(slots, "0-16383");
            } else {
                assert_non_null(strstr(flags, "slave"));
                assert_string_equal(master, ids[l]);
                assert_int_equal(nf, 8);
            }
        }
        free(text);
        freeReplyObject(r);
        assert_int_equal(lines, CLUSTER_N);
        assert_int_equal(myself, 1);
        assert_int_equal(masters, 1);

        /* SHARDS: one shard, the leader first */
        r = cmd(i, "CLUSTER", "SHARDS", NULL);
        want_array(r, 1, i, "CLUSTER SHARDS");
        const redisReply *sh = r->element[0];
        want_array(sh, 4, i, "CLUSTER SHARDS shard");
        assert_string_equal(sh->element[0]->str, "slots");
        want_array(sh->element[1], 2, i, "shard slots");
        assert_int_equal(sh->element[1]->element[1]->integer, 16383);
        assert_string_equal(sh->element[2]->str, "nodes");
        want_array(sh->element[3], CLUSTER_N, i, "shard nodes");
        for (size_t k = 0; k < CLUSTER_N; k++) {
            const redisReply *nd = sh->element[3]->element[k];
            want_array(nd, 14, i, "shard node");
            assert_string_equal(nd->element[0]->str, "id");
            assert_string_equal(nd->element[8]->str, "role");
            assert_string_equal(nd->element[9]->str, k == 0 ? "master" : "replica");
            assert_string_equal(nd->element[10]->str, "replication-offset");
            assert_int_equal(nd->element[11]->type, REDIS_REPLY_INTEGER);
            assert_string_equal(nd->element[13]->str, "online");
            if (k == 0) {
                assert_string_equal(nd->element[1]->str, ids[l]);
                assert_int_equal(nd->element[3]->integer, cl.node[l].port);
            }
        }
        freeReplyObject(r);

        /* INFO */
        r = cmd(i, "CLUSTER", "INFO", NULL);
        want_type(r, REDIS_REPLY_STRING, i, "CLUSTER INFO");
        assert_non_null(strstr(r->str, "cluster_state:ok\r\n"));
        assert_non_null(strstr(r->str, "cluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\n"));
        assert_non_null(strstr(r->str, "cluster_known_nodes:3\r\ncluster_size:1\r\n"));
        long long term = strtoll(strstr(r->str, "cluster_current_epoch:") + 22, NULL, 10);
        freeReplyObject(r);
        assert_int_equal(term, info_raft(i, "raft_term"));

        r = cmd(i, "CLUSTER", "KEYSLOT", "{user1000}.following", NULL);
        assert_int_equal(r->integer, 3443);
        freeReplyObject(r);
    }
    test_done = true;
}

/* ---- 2. ROLE ------------------------------------------------------------------- */

static void test_role(void **state)
{
    int l = wait_agreed_leader(10000);
    /* the leader: ["master", offset, [[ip, "port", "offset"] x2]] once both
     * followers' links are up */
    int64_t deadline = cl_mono_ms() + 5000;
    for (;;) {
        redisReply *r = cmd(l, "ROLE", NULL);
        want_array(r, 3, l, "ROLE");
        assert_string_equal(r->element[0]->str, "master");
        assert_int_equal(r->element[1]->type, REDIS_REPLY_INTEGER);
        assert_true(r->element[1]->integer >= 0);
        long long offset = r->element[1]->integer; /* > 0 once the leader's no-op is applied */
        want_type(r->element[2], REDIS_REPLY_ARRAY, l, "ROLE replicas");
        size_t n = r->element[2]->elements;
        for (size_t k = 0; k < n; k++) {
            const redisReply *rep = r->element[2]->element[k];
            want_array(rep, 3, l, "ROLE replica");
            for (int e = 0; e < 3; e++) assert_int_equal(rep->element[e]->type, REDIS_REPLY_STRING);
            assert_string_equal(rep->element[0]->str, "127.0.0.1");
            int f = cluster_index_of_port(&cl, atoi(rep->element[1]->str));
            assert_true(f >= 0 && f != l);
            assert_true(strtoll(rep->element[2]->str, NULL, 10) >= 0);
        }
        freeReplyObject(r);
        if (n == CLUSTER_N - 1 && offset > 0) break;
        if (cl_mono_ms() > deadline) fail_msg("ROLE on the leader lists %zu replicas, offset %lld", n, offset);
        usleep(50000);
    }
    /* followers: ["slave", ip, port, "connected", offset] */
    for (int i = 0; i < CLUSTER_N; i++) {
        if (i == l) continue;
        redisReply *r;
        /* a follower's offset moves once the leader's commit reached it */
        for (deadline = cl_mono_ms() + 5000;; usleep(20000)) {
            r = cmd(i, "ROLE", NULL);
            want_array(r, 5, i, "ROLE");
            if (r->element[4]->type != REDIS_REPLY_INTEGER || r->element[4]->integer > 0 ||
                cl_mono_ms() > deadline)
                break;
            freeReplyObject(r);
        }
        assert_string_equal(r->element[0]->str, "slave");
        assert_string_equal(r->element[1]->str, "127.0.0.1");
        assert_int_equal(r->element[2]->type, REDIS_REPLY_INTEGER);
        assert_int_equal(r->element[2]->integer, cl.node[l].port);
        assert_string_equal(r->element[3]->str, "connected");
        assert_int_equal(r->element[4]->type, REDIS_REPLY_INTEGER);
        assert_true(r->element[4]->integer > 0);
        freeReplyObject(r);
    }
    test_done = true;
}

/* ---- 3. DEBUG DIGEST ------------------------------------------------------------ */

/* Waits until all nodes are at one applied index (read before and after
 * the digest on the same connection) and returns their digests there. */
static void digests_at_same_index(char dig[CLUSTER_N][41], long long *at)
{
    int64_t deadline = cl_mono_ms() + 10000;
    for (;;) {
        long long idx[CLUSTER_N];
        bool stable = true;
        for (int i = 0; i < CLUSTER_N; i++) {
            long long before = info_raft(i, "raft_applied_index");
            redisReply *r = cmd(i, "DEBUG", "DIGEST", NULL);
            want_type(r, REDIS_REPLY_STATUS, i, "DEBUG DIGEST");
            assert_int_equal(strlen(r->str), 40);
            memcpy(dig[i], r->str, 41);
            freeReplyObject(r);
            idx[i] = info_raft(i, "raft_applied_index");
            stable = stable && before == idx[i] && idx[i] == idx[0];
        }
        if (stable) {
            *at = idx[0];
            return;
        }
        if (cl_mono_ms() > deadline)
            fail_msg("applied indexes never settled: %lld %lld %lld", idx[0], idx[1], idx[2]);
        usleep(50000);
    }
}

static void check_digests_equal(const char *when)
{
    char dig[CLUSTER_N][41];
    long long at;
    digests_at_same_index(dig, &at);
    fprintf(stderr, "  %s: applied index %lld, digest %s\n", when, at, dig[0]);
    for (int i = 1; i < CLUSTER_N; i++)
        if (strcmp(dig[i], dig[0]) != 0)
            fail_msg("%s: at applied index %lld node 1 has digest %s, node %d %s", when, at, dig[0], i + 1, dig[i]);
}

static void test_digest(void **state)
{
    int l = wait_agreed_leader(10000);
    char dig[CLUSTER_N][41];
    long long at;
    digests_at_same_index(dig, &at);
    for (int i = 0; i < CLUSTER_N; i++)
        assert_string_equal(dig[i], "0000000000000000000000000000000000000000"); /* nothing written yet */

    /* writes through the leader (pipelined) and through a follower (proxied) */
    redisContext *c = conn_to(l);
    int nw = 0;
    for (int k = 0; k < 300; k++) {
        if (k % 3 == 0)
            redisAppendCommand(c, "SET d:%d v%d EX 1000", k, k * 7);
        else if (k % 7 == 0)
            redisAppendCommand(c, "INCRBY d:ctr %d", k);
        else
            redisAppendCommand(c, "SET d:%d %b", k, "x\0y", (size_t)3);
        nw++;
    }
    redisAppendCommand(c, "DEL d:1 d:2 d:3");
    redisAppendCommand(c, "PERSIST d:6");
    nw += 2;
    for (int k = 0; k < nw; k++) {
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK || !r) fail_msg("leader: pipelined write %d failed", k);
        if (r->type == REDIS_REPLY_ERROR) fail_msg("leader: write %d -> -%s", k, r->str);
        freeReplyObject(r);
    }
    int f = (l + 1) % CLUSTER_N;
    redisReply *r = cmd(f, "SET", "d:viafollower", "yes", NULL);
    want_type(r, REDIS_REPLY_STATUS, f, "SET via follower");
    freeReplyObject(r);
    check_digests_equal("after writes");

    digests_at_same_index(dig, &at);
    assert_string_not_equal(dig[0], "0000000000000000000000000000000000000000");
    /* per key, too; and a missing key is 40 zeros */
    char vd[CLUSTER_N][2][41];
    for (int i = 0; i < CLUSTER_N; i++) {
        r = cmd(i, "DEBUG", "DIGEST-VALUE", "d:0", "d:ctr", "d:nosuchkey", NULL);
        want_array(r, 3, i, "DEBUG DIGEST-VALUE");
        for (int k = 0; k < 2; k++) {
            want_type(r->element[k], REDIS_REPLY_STATUS, i, "DIGEST-VALUE element");
            memcpy(vd[i][k], r->element[k]->str, 41);
            assert_string_not_equal(vd[i][k], "0000000000000000000000000000000000000000");
            assert_string_equal(vd[i][k], vd[0][k]);
        }
        assert_string_equal(r->element[2]->str, "0000000000000000000000000000000000000000");
        freeReplyObject(r);
    }
    assert_string_not_equal(vd[0][0], vd[0][1]);

    /* one more write changes it, and again everywhere alike */
    r = cmd(l, "SET", "d:last", "1", NULL);
    freeReplyObject(r);
    char dig2[CLUSTER_N][41];
    digests_at_same_index(dig2, &at);
    assert_string_not_equal(dig2[0], dig[0]);
    check_digests_equal("after one more write");
    test_done = true;
}

/* ---- 4. READONLY on a follower cut off from the others --------------------------- */

static void test_readonly_isolated_follower(void **state)
{
    int l = wait_agreed_leader(10000);
    int f = (l + 1) % CLUSTER_N, o = (l + 2) % CLUSTER_N;
    redisReply *r = cmd(l, "SET", "ro:k", "v1", NULL);
    want_type(r, REDIS_REPLY_STATUS, l, "SET");
    freeReplyObject(r);

    redisContext *ro = cl_connect(&cl, f, 5000);
    assert_non_null(ro);
    r = cl_cmd(ro, "READONLY", NULL);
    assert_true(r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0);
    freeReplyObject(r);
    /* the follower has applied the write by the time it answers a linearizable read */
    r = cmd(f, "GET", "ro:k", NULL);
    want_type(r, REDIS_REPLY_STRING, f, "GET");
    freeReplyObject(r);

    cluster_sigstop(&cl, l);
    cluster_sigstop(&cl, o);
    /* a READONLY read is served locally at once */
    int64_t t0 = cl_mono_ms();
    r = cl_cmd(ro, "GET", "ro:k", NULL);
    int64_t took = cl_mono_ms() - t0;
    char b[256];
    if (!r || r->type != REDIS_REPLY_STRING || strcmp(r->str, "v1") != 0)
        fail_msg("READONLY GET on the cut-off follower -> %s", cl_str(r, ro, b, sizeof(b)));
    freeReplyObject(r);
    if (took > 500) fail_msg("READONLY GET took %lld ms", (long long)took);

    /* without it, the read needs the leader and fails */
    r = cmd(f, "GET", "ro:k", NULL);
    if (!cl_is_err(r, "CLUSTERDOWN")) fail_msg("plain GET on the cut-off follower -> %s", cl_str(r, NULL, b, sizeof(b)));
    freeReplyObject(r);
    /* READWRITE turns local reads off again */
    r = cl_cmd(ro, "READWRITE", NULL);
    assert_true(r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0);
    freeReplyObject(r);
    r = cl_cmd(ro, "GET", "ro:k", NULL);
    if (!cl_is_err(r, "CLUSTERDOWN")) fail_msg("GET after READWRITE -> %s", cl_str(r, ro, b, sizeof(b)));
    freeReplyObject(r);
    redisFree(ro);

    /* the node knows no leader now: the topology says so */
    int64_t deadline = cl_mono_ms() + 5000;
    for (;;) {
        r = cmd(f, "CLUSTER", "INFO", NULL);
        bool fail = strstr(r->str, "cluster_state:fail\r\n") != NULL;
        freeReplyObject(r);
        if (fail) break;
        if (cl_mono_ms() > deadline) fail_msg("node %d never reported cluster_state:fail", f + 1);
        usleep(50000);
    }
    int nrep;
    assert_int_equal(slots_master(f, &nrep), 0);
    r = cmd(f, "CLUSTER", "SHARDS", NULL);
    want_array(r, 0, f, "CLUSTER SHARDS");
    freeReplyObject(r);
    r = cmd(f, "CLUSTER", "NODES", NULL);
    assert_null(strstr(r->str, "master"));
    assert_non_null(strstr(r->str, "myself,slave - "));
    freeReplyObject(r);
    r = cmd(f, "ROLE", NULL);
    want_array(r, 5, f, "ROLE");
    assert_string_equal(r->element[0]->str, "slave");
    assert_string_equal(r->element[1]->str, "");
    assert_int_equal(r->element[2]->integer, 0);
    assert_string_equal(r->element[3]->str, "connect");
    freeReplyObject(r);

    cluster_sigcont(&cl, l);
    cluster_sigcont(&cl, o);
    wait_agreed_leader(10000);
    test_done = true;
}

/* The reply r begins with the string literal lit. */
#define STARTS(r, lit) (strncmp((r), lit, sizeof(lit) - 1) == 0)

/* ---- 5. RESP3 shapes ------------------------------------------------------------- */

static void test_resp3(void **state)
{
    int l = wait_agreed_leader(10000);
    rc_t *c = rc_open(cl.node[l].port);
    assert_non_null(c);
    assert_non_null(RC(c, "HELLO", "3"));
    const char *r = RC(c, "CLUSTER", "INFO");
    assert_non_null(r);
    assert_true(r[0] == '=' && strstr(r, "\r\ntxt:cluster_state:ok\r\n"));
    r = RC(c, "CLUSTER", "NODES");
    assert_true(r && r[0] == '=' && strstr(r, "myself,master - "));
    r = RC(c, "CLUSTER", "SLOTS");
    assert_true(r && STARTS(r, "*1\r\n*5\r\n:0\r\n:16383\r\n*4\r\n$9\r\n127.0.0.1\r\n"));
    assert_non_null(strstr(r, "\r\n%0\r\n"));
    r = RC(c, "CLUSTER", "SHARDS");
    assert_true(r && STARTS(r, "*1\r\n%2\r\n$5\r\nslots\r\n*2\r\n:0\r\n:16383\r\n$5\r\nnodes\r\n*3\r\n%7\r\n"));
    rc_close(c);
    test_done = true;
}

/* ---- standalone: Redis's answers without cluster support --------------------------- */

static testproc_t solo, ref;
static bool have_ref;

static int solo_setup(void **state)
{
    const char *args[] = {"--enable-debug-command", "yes", NULL};
    have_ref = proc_start_redis_args(&ref, args) == 0;
    if (!have_ref) fprintf(stderr, "  (no redis-server: the expected bytes are checked on redraft only)\n");
    return proc_start(&solo, NULL);
}

static int solo_teardown(void **state)
{
    int rc = proc_finish(&solo);
    if (have_ref) proc_stop(&ref), proc_cleanup(&ref);
    return rc;
}

#define NOCLUSTER "-ERR This instance has cluster support disabled\r\n"
#define ZEROS "0000000000000000000000000000000000000000"

/* Each row's bytes were answered by redis-server 7.0.15 (no cluster
 * support, debug command enabled); they are checked on both servers. */
static void test_standalone(void **state)
{
    rc_t *servers[2] = {rc_open(solo.port), have_ref ? rc_open(ref.port) : NULL};
    assert_non_null(servers[0]);
    for (int s = 0; s < 2; s++) {
        rc_t *c = servers[s];
        if (!c) continue;
        fprintf(stderr, "  %s\n", s ? "redis-server" : "redraft-server");
        EXPECT(c, NOCLUSTER, "CLUSTER", "INFO");
        EXPECT(c, NOCLUSTER, "CLUSTER", "HELP");
        EXPECT(c, NOCLUSTER, "CLUSTER", "KEYSLOT", "foo");
        EXPECT(c, NOCLUSTER, "READONLY");
        EXPECT(c, NOCLUSTER, "READWRITE");
        EXPECT(c, "-ERR unknown subcommand 'nope'. Try CLUSTER HELP.\r\n", "CLUSTER", "nope");
        EXPECT(c, "-ERR wrong number of arguments for 'cluster|info' command\r\n", "CLUSTER", "INFO", "x");
        EXPECT(c, "-ERR wrong number of arguments for 'cluster' command\r\n", "CLUSTER");
        EXPECT(c, "-ERR wrong number of arguments for 'readonly' command\r\n", "READONLY", "x");
        EXPECT(c, "-ERR wrong number of arguments for 'role' command\r\n", "ROLE", "x");
        EXPECT(c, "-ERR wrong number of arguments for 'debug' command\r\n", "DEBUG");
        EXPECT(c, "-ERR unknown subcommand or wrong number of arguments for 'nope'. Try DEBUG HELP.\r\n", "DEBUG",
               "nope");
        EXPECT(c, "-ERR unknown subcommand or wrong number of arguments for 'DIGEST'. Try DEBUG HELP.\r\n", "DEBUG",
               "DIGEST", "x");
        EXPECT(c, "+OK\r\n", "FLUSHALL");
        EXPECT(c, "+" ZEROS "\r\n", "DEBUG", "DIGEST");
        EXPECT(c, "*2\r\n+" ZEROS "\r\n+" ZEROS "\r\n", "DEBUG", "DIGEST-VALUE", "a", "b");
        EXPECT(c, "*0\r\n", "DEBUG", "DIGEST-VALUE");
        EXPECT(c, "+OK\r\n", "SET", "a", "1");
        const char *r = RC(c, "DEBUG", "DIGEST");
        assert_true(r && r[0] == '+' && strlen(r) == 43 && strcmp(r, "+" ZEROS "\r\n") != 0);
        r = RC(c, "DEBUG", "HELP");
        assert_true(r && r[0] == '*' && strstr(r, "\r\n+DIGEST\r\n") && strstr(r, "+HELP\r\n"));
        r = RC(c, "ROLE");
        assert_true(r && STARTS(r, "*3\r\n$6\r\nmaster\r\n:"));
        assert_non_null(strstr(r, "\r\n*0\r\n"));
        EXPECT(c, "+OK\r\n", "FLUSHALL");
    }
    rc_close(servers[0]);
    rc_close(servers[1]);
}

int main(void)
{
    const struct CMUnitTest cluster_tests[] = {
        cmocka_unit_test_setup_teardown(test_topology, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_role, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_digest, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_resp3, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_readonly_isolated_follower, test_setup, test_teardown),
    };
    const struct CMUnitTest solo_tests[] = {
        cmocka_unit_test(test_standalone),
    };
    int failed = cmocka_run_group_tests_name("standalone", solo_tests, solo_setup, solo_teardown);
    failed += cmocka_run_group_tests_name("cluster", cluster_tests, group_setup, group_teardown);
    return failed;
}
