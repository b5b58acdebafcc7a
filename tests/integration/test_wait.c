/* WAIT numreplicas timeout on a real 3-node cluster (src/node/wait_cmd.c):
 *  - on the leader, after a write: WAIT 2 answers 2 once both followers hold
 *    it; WAIT 3 (more members than there are) answers 2 after its timeout;
 *  - a follower stopped (SIGSTOP): WAIT 1 answers 1 at once, WAIT 2 answers
 *    1 after its timeout, and the client's next request waits behind it;
 *  - on a follower (proxy mode): a proxied write, then WAIT 2 is answered
 *    by the leader for that session: 2;
 *  - Redis's argument errors; inside MULTI it never blocks.
 * Every process is killed by its pid, also when a test fails. */
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

static cluster_t cl;
static bool test_done;

static int setup(void **state)
{
    (void)state;
    test_done = false;
    return cluster_start(&cl, cluster_fast_args, NULL);
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < cl.n; i++)
        if (cl.stopped[i]) cluster_sigcont(&cl, i);
    if (!test_done) cluster_dump_logs(&cl, 30);
    return cluster_finish(&cl);
}

/* The reply of a command on ctx must be want, in cl_str's one-line form. */
#define EXPECT_REPLY(ctx, want, ...)                                                                     \
    do {                                                                                                 \
        char b_[256];                                                                                    \
        redisReply *r_ = cl_cmd((ctx), __VA_ARGS__, (const char *)NULL);                                \
        cl_str(r_, (ctx), b_, sizeof(b_));                                                               \
        if (r_) freeReplyObject(r_);                                                                     \
        if (strcmp(b_, (want)) != 0) fail_msg("line %d: got %s, want %s", __LINE__, b_, (want));       \
    } while (0)

static void test_wait(void **state)
{
    (void)state;
    /* in proxy mode a probe write succeeds on any node: the logs say who leads */
    int l = cluster_log_leader(&cl, 10000);
    if (l < 0) fail_msg("no leader");
    int f = (l + 1) % CLUSTER_N, g = (l + 2) % CLUSTER_N;
    redisContext *c = cl_connect(&cl, l, 10000);
    assert_non_null(c);

    /* errors, as Redis gives them */
    EXPECT_REPLY(c, "-ERR value is not an integer or out of range", "WAIT", "x", "0");
    EXPECT_REPLY(c, "-ERR timeout is not an integer or out of range", "WAIT", "1", "1.5");
    EXPECT_REPLY(c, "-ERR timeout is negative", "WAIT", "1", "-1");
    EXPECT_REPLY(c, "-ERR timeout is out of range", "WAIT", "1", "9223372036854775807");
    EXPECT_REPLY(c, "-ERR wrong number of arguments for 'wait' command", "WAIT", "1");

    /* both followers hold the write soon after it is acknowledged */
    EXPECT_REPLY(c, "+OK", "SET", "k", "v");
    EXPECT_REPLY(c, ":2", "WAIT", "2", "5000");
    EXPECT_REPLY(c, ":2", "WAIT", "0", "0");
    /* more than there are: the timeout, then what there is */
    int64_t t0 = cl_mono_ms();
    EXPECT_REPLY(c, ":2", "WAIT", "3", "300");
    int64_t took = cl_mono_ms() - t0;
    if (took < 280 || took > 3000) fail_msg("WAIT 3 300 answered after %lld ms", (long long)took);
    /* pipelined: the second WAIT arrives while the first is being answered */
    redisAppendCommand(c, "WAIT 3 100");
    redisAppendCommand(c, "WAIT 3 100");
    redisAppendCommand(c, "GET k");
    for (int i = 0; i < 3; i++) {
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK) fail_msg("pipelined WAIT %d: %s", i, c->errstr);
        char b[64];
        const char *want = i < 2 ? ":2" : "$v";
        if (strcmp(cl_str(r, c, b, sizeof(b)), want) != 0) fail_msg("pipelined reply %d: %s, want %s", i, b, want);
        freeReplyObject(r);
    }
    /* inside MULTI it never blocks */
    EXPECT_REPLY(c, "+OK", "MULTI");
    EXPECT_REPLY(c, "+QUEUED", "WAIT", "5", "0");
    EXPECT_REPLY(c, "+QUEUED", "SET", "k2", "v2");
    EXPECT_REPLY(c, "*2[:2,+OK]", "EXEC");

    /* a stopped follower: one member holds the next write */
    cluster_sigstop(&cl, g);
    EXPECT_REPLY(c, "+OK", "SET", "k3", "v3");
    EXPECT_REPLY(c, ":1", "WAIT", "1", "0");
    t0 = cl_mono_ms();
    /* pipelined: the GET behind the WAIT is answered after it */
    redisAppendCommand(c, "WAIT 2 400");
    redisAppendCommand(c, "GET k3");
    redisReply *r1 = NULL, *r2 = NULL;
    assert_int_equal(redisGetReply(c, (void **)&r1), REDIS_OK);
    took = cl_mono_ms() - t0;
    assert_int_equal(redisGetReply(c, (void **)&r2), REDIS_OK);
    char b1[64], b2[64];
    if (strcmp(cl_str(r1, c, b1, sizeof(b1)), ":1") != 0 || strcmp(cl_str(r2, c, b2, sizeof(b2)), "$v3") != 0)
        fail_msg("WAIT 2 400 then GET with a follower stopped: %s, %s", b1, b2);
    freeReplyObject(r1);
    freeReplyObject(r2);
    if (took < 380 || took > 3000) fail_msg("WAIT 2 400 answered after %lld ms", (long long)took);
    /* it catches up once resumed, and WAIT 2 sees it */
    cluster_sigcont(&cl, g);
    EXPECT_REPLY(c, ":2", "WAIT", "2", "10000");
    redisFree(c);

    /* on a follower, in proxy mode: the leader answers for the session that
     * carried the write */
    redisContext *cf = cl_connect(&cl, f, 10000);
    assert_non_null(cf);
    EXPECT_REPLY(cf, "+OK", "SET", "via-follower", "1");
    EXPECT_REPLY(cf, ":2", "WAIT", "2", "5000");
    redisFree(cf);
    test_done = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_wait, setup, teardown),
    };
    return cmocka_run_group_tests_name("wait", tests, NULL, NULL);
}
