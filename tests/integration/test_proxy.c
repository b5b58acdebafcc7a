/* follower_mode = proxy on a real 3-node cluster: the session a follower
 * keeps to the leader for one client can end while the client is idle (the
 * leader restarts, or closes the connection). The client's next write must
 * open a new session and succeed, not wait forever on a session that takes
 * no more commands. A leader that freezes with a write in flight costs that
 * write a -TIMEOUT once a new leader is in place, not an endless wait. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/cluster.h"

static cluster_t cl;
static const char *const proxy_args[] = {"--follower_mode", "proxy", NULL};

static int group_setup(void **state)
{
    (void)state;
    return cluster_start(&cl, cluster_fast_args, proxy_args);
}

static int group_teardown(void **state)
{
    (void)state;
    return cluster_finish(&cl);
}

/* The reply's one-line form must be want. */
static void expect(redisContext *ctx, const char *want, const char *arg0, ...)
{
    va_list ap;
    va_start(ap, arg0);
    const char *argv[8];
    size_t lens[8];
    int argc = 0;
    for (const char *a = arg0; a && argc < 8; a = va_arg(ap, const char *)) {
        argv[argc] = a;
        lens[argc++] = strlen(a);
    }
    va_end(ap);
    redisReply *r = redisCommandArgv(ctx, argc, argv, lens);
    char buf[256];
    cl_str(r, ctx, buf, sizeof(buf));
    if (r) freeReplyObject(r);
    if (strcmp(buf, want) != 0) fail_msg("%s %s: got %s, want %s", arg0, argc > 1 ? argv[1] : "", buf, want);
}

/* The ids of node i's client connections (CLIENT LIST), as seen through
 * ctx, a connection to node i. */
static int client_ids(redisContext *ctx, long long *ids, int max)
{
    redisReply *r = cl_cmd(ctx, "CLIENT", "LIST", NULL);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    int n = 0;
    for (char *line = strtok(r->str, "\n"); line && n < max; line = strtok(NULL, "\n"))
        if (strncmp(line, "id=", 3) == 0) ids[n++] = atoll(line + 3);
    freeReplyObject(r);
    return n;
}

/* Kills, through ctx (a connection to the leader), the connections that
 * are not in before[]: the follower's proxied session opened meanwhile.
 * Returns how many. */
static int kill_new_clients(redisContext *ctx, const long long *before, int nbefore)
{
    long long now[64];
    int n = client_ids(ctx, now, 64), killed = 0;
    fprintf(stderr, "  connections before:");
    for (int i = 0; i < nbefore; i++) fprintf(stderr, " %lld", before[i]);
    fprintf(stderr, "; now:");
    for (int i = 0; i < n; i++) fprintf(stderr, " %lld", now[i]);
    fprintf(stderr, "\n");
    for (int i = 0; i < n; i++) {
        bool old = false;
        for (int j = 0; j < nbefore && !old; j++) old = now[i] == before[j];
        if (old) continue;
        char id[24];
        snprintf(id, sizeof(id), "%lld", now[i]);
        redisReply *k = cl_cmd(ctx, "CLIENT", "KILL", "ID", id, NULL);
        assert_non_null(k);
        assert_int_equal(k->type, REDIS_REPLY_INTEGER);
        killed += (int)k->integer;
        freeReplyObject(k);
    }
    return killed;
}

/* The leader node i follows, as an index (-1: none yet). */
static int leader_seen_by(int i)
{
    int l = cluster_leader_seen_by(&cl, i);
    assert_true(l >= 0);
    return l;
}

static void test_session_closed_by_leader_is_replaced(void **state)
{
    (void)state;
    int l = cluster_leader(&cl, 15000);
    assert_true(l >= 0);
    /* a write acknowledged (proxied if l no longer leads), then the leader
     * as the nodes see it once it is committed */
    char buf[128];
    cl_write(&cl, &l, 15000, buf, sizeof(buf), "SET", "p:k", "0", NULL);
    if (strcmp(buf, "+OK") != 0) fail_msg("no leader took a write: %s", buf);
    l = leader_seen_by(l);
    int f = (l + 1) % CLUSTER_N;
    redisContext *lc = cl_connect(&cl, l, 10000);
    assert_non_null(lc);
    long long before[64];
    int nbefore = client_ids(lc, before, 64);
    redisContext *ctx = cl_connect(&cl, f, 10000);
    assert_non_null(ctx);
    /* the follower may not know the leader yet: retry until it does */
    int64_t deadline = cl_mono_ms() + 10000;
    for (;;) {
        redisReply *r = cl_cmd(ctx, "SET", "p:k", "1", NULL);
        assert_non_null(r);
        bool ok = r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0;
        freeReplyObject(r);
        if (ok) break;
        if (cl_mono_ms() > deadline) fail_msg("no proxied SET succeeded on node %d within 10 s", f + 1);
        usleep(50000);
    }

    /* the leader closes the follower's session for this client */
    assert_true(kill_new_clients(lc, before, nbefore) >= 1); /* a peer reconnecting meanwhile may go too */
    usleep(300000); /* the follower sees the connection end */

    /* the same client writes again through the follower: a new session */
    nbefore = client_ids(lc, before, 64);
    expect(ctx, "+OK", "SET", "p:k", "2", NULL);
    expect(ctx, ":3", "INCRBY", "p:k", "1", NULL);
    /* and a transaction, whose EXEC goes over the session too */
    expect(ctx, "+OK", "MULTI", NULL);
    expect(ctx, "+QUEUED", "INCR", "p:k", NULL);
    assert_true(kill_new_clients(lc, before, nbefore) >= 1); /* a peer reconnecting meanwhile may go too */
    usleep(300000);
    expect(ctx, "*1[:4]", "EXEC", NULL);
    redisFree(ctx);
    expect(lc, "$4", "GET", "p:k", NULL);
    redisFree(lc);
}

/* The leader freezes (SIGSTOP) with a proxied write in flight: its TCP
 * connection stays open and it never answers. Once the others have elected
 * a new leader, the follower gives the session up after request_timeout_ms
 * and the client gets -TIMEOUT (outcome unknown), not a wait for as long as
 * the old leader stays frozen; its next write goes to the new leader. Runs
 * last: the frozen node is resumed but stays a follower. */
static void test_frozen_leader_does_not_hold_proxied_writes(void **state)
{
    (void)state;
    int l = cluster_log_leader(&cl, 15000);
    assert_true(l >= 0);
    int f = (l + 1) % CLUSTER_N;
    redisContext *ctx = cl_connect(&cl, f, 15000);
    assert_non_null(ctx);
    int64_t deadline = cl_mono_ms() + 10000;
    for (;;) { /* a session to the leader, open */
        redisReply *r = cl_cmd(ctx, "SET", "frozen:k", "0", NULL);
        assert_non_null(r);
        bool ok = r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0;
        freeReplyObject(r);
        if (ok && leader_seen_by(f) == l) break;
        if (cl_mono_ms() > deadline) fail_msg("no proxied SET to node %d through node %d", l + 1, f + 1);
        usleep(50000);
    }
    cluster_sigstop(&cl, l);
    int64_t t0 = cl_mono_ms();
    /* a read pipelined behind the write waits for it, then goes on */
    redisAppendCommand(ctx, "SET frozen:k 1");
    redisAppendCommand(ctx, "GET frozen:k");
    redisReply *r = NULL, *r2 = NULL;
    if (redisGetReply(ctx, (void **)&r) != REDIS_OK) r = NULL;
    int64_t took = cl_mono_ms() - t0;
    char buf[256], buf2[64];
    cl_str(r, ctx, buf, sizeof(buf));
    if (r) freeReplyObject(r);
    if (redisGetReply(ctx, (void **)&r2) != REDIS_OK) r2 = NULL;
    cl_str(r2, ctx, buf2, sizeof(buf2));
    if (r2) freeReplyObject(r2);
    if (strcmp(buf2, "$0") != 0 && strcmp(buf2, "$1") != 0)
        fail_msg("the GET pipelined behind the abandoned write got %s", buf2);
    fprintf(stderr, "  a proxied SET with the leader frozen: %s after %lld ms\n", buf, (long long)took);
    if (strncmp(buf, "-TIMEOUT the leader changed", 27) != 0)
        fail_msg("a write in flight to a frozen leader got %s after %lld ms, want -TIMEOUT", buf, (long long)took);
    expect(ctx, "+OK", "SET", "frozen:k", "2", NULL); /* the new leader takes it */
    redisFree(ctx);
    cluster_sigcont(&cl, l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_closed_by_leader_is_replaced),
        cmocka_unit_test(test_frozen_leader_does_not_hold_proxied_writes),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
