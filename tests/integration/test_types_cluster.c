/* Every data type on a real 3-node cluster (issue 7): a seeded random
 * workload over strings, hashes, lists, sets, sorted sets and bitmaps
 * (random members, pops, moves, stores, renames, copies, expiries, MULTI
 * blocks, WRONGTYPE), sent pipelined to the leader and through the
 * followers (proxied), must leave the three state machines identical:
 * DEBUG DIGEST (every key's type, TTL and elements) equal on every node at
 * the same applied index, every thousand commands and at the end. Random
 * commands (SPOP, ...) and expiry are where replicas could drift apart. TYPES_SEED and TYPES_OPS
 * replay or lengthen a run. */
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

static uint64_t rng;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* One generated command line: up to 12 arguments of up to 31 bytes. */
typedef struct line {
    int argc;
    char argv[12][32];
} line_t;

static void add(line_t *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->argv[l->argc++], sizeof(l->argv[0]), fmt, ap);
    va_end(ap);
}

/* A key of a type's small key space; sometimes another type's (WRONGTYPE). */
static void key(line_t *l, char type)
{
    static const char types[] = "shlzSb";
    if (rnd() % 20 == 0) type = types[rnd() % 6];
    add(l, "%c%d", type, (int)(rnd() % 8));
}

static void member(line_t *l)
{
    add(l, "m%d", (int)(rnd() % 40));
}

/* A random command of one of the families (s: string, h: hash, l: list,
 * S: set, z: zset, b: bitmap) or a generic key command. */
static void gen(line_t *l)
{
    l->argc = 0;
    switch (rnd() % 36) {
    case 0: add(l, "SET"), key(l, 's'), add(l, "v%d", (int)(rnd() % 100)); break;
    case 1: add(l, "INCRBY"), key(l, 's'), add(l, "%d", (int)(rnd() % 7) - 3); break;
    case 2: add(l, "APPEND"), key(l, 's'), add(l, "x"); break;
    case 3: add(l, "HSET"), key(l, 'h'), member(l), add(l, "%d", (int)(rnd() % 9)), member(l), add(l, "y"); break;
    case 4: add(l, "HDEL"), key(l, 'h'), member(l), member(l); break;
    case 5: add(l, "HINCRBYFLOAT"), key(l, 'h'), member(l), add(l, "%d.25", (int)(rnd() % 5)); break;
    case 6: add(l, "LPUSH"), key(l, 'l'), member(l), member(l); break;
    case 7: add(l, "RPUSH"), key(l, 'l'), member(l); break;
    case 8: add(l, rnd() % 2 ? "LPOP" : "RPOP"), key(l, 'l'); if (rnd() % 2) add(l, "%d", (int)(rnd() % 3)); break;
    case 9: add(l, "LMOVE"), key(l, 'l'), key(l, 'l'), add(l, rnd() % 2 ? "LEFT" : "RIGHT"), add(l, "RIGHT"); break;
    case 10: add(l, "LREM"), key(l, 'l'), add(l, "%d", (int)(rnd() % 5) - 2), member(l); break;
    case 11: add(l, "LTRIM"), key(l, 'l'), add(l, "%d", (int)(rnd() % 3)), add(l, "%d", (int)(rnd() % 20) - 5); break;
    case 12: add(l, "LSET"), key(l, 'l'), add(l, "%d", (int)(rnd() % 4) - 2), member(l); break;
    case 13: add(l, "SADD"), key(l, 'S'), member(l), member(l), member(l); break;
    case 14: add(l, "SREM"), key(l, 'S'), member(l); break;
    case 15: add(l, "SPOP"), key(l, 'S'); if (rnd() % 2) add(l, "%d", (int)(rnd() % 4)); break;
    case 16: add(l, "SMOVE"), key(l, 'S'), key(l, 'S'), member(l); break;
    case 17: add(l, rnd() % 2 ? "SINTERSTORE" : "SUNIONSTORE"), key(l, 'S'), key(l, 'S'), key(l, 'S'); break;
    case 18: add(l, "SDIFFSTORE"), key(l, 'S'), key(l, 'S'), key(l, 'S'); break;
    case 19: add(l, "ZADD"), key(l, 'z'), add(l, "%d", (int)(rnd() % 10) - 5), member(l), add(l, "1.5"), member(l); break;
    case 20: add(l, "ZINCRBY"), key(l, 'z'), add(l, "%d", (int)(rnd() % 5)), member(l); break;
    case 21: add(l, rnd() % 2 ? "ZPOPMIN" : "ZPOPMAX"), key(l, 'z'); if (rnd() % 2) add(l, "2"); break;
    case 22: add(l, "ZREMRANGEBYSCORE"), key(l, 'z'), add(l, "%d", (int)(rnd() % 6) - 3), add(l, "(2"); break;
    case 23: add(l, "ZUNIONSTORE"), key(l, 'z'), add(l, "2"), key(l, 'z'), key(l, 'z'), add(l, "AGGREGATE"), add(l, "MAX"); break;
    case 24: add(l, "ZINTERSTORE"), key(l, 'z'), add(l, "2"), key(l, 'z'), key(l, 'S'); break;
    case 25: add(l, "ZRANGESTORE"), key(l, 'z'), key(l, 'z'), add(l, "0"), add(l, "%d", (int)(rnd() % 5)); break;
    case 26: add(l, "SETBIT"), key(l, 'b'), add(l, "%d", (int)(rnd() % 200)), add(l, "%d", (int)(rnd() % 2)); break;
    case 27: add(l, "BITOP"), add(l, rnd() % 2 ? "OR" : "XOR"), key(l, 'b'), key(l, 'b'), key(l, 'b'); break;
    case 28: add(l, "BITFIELD"), key(l, 'b'), add(l, "INCRBY"), add(l, "u8"), add(l, "#%d", (int)(rnd() % 4)), add(l, "%d", (int)(rnd() % 300)); break;
    case 29: add(l, "DEL"), key(l, "shlzSb"[rnd() % 6]); break;
    case 30: {
        char t = "hlzS"[rnd() % 4]; /* within a type: the key spaces stay mostly typed */
        add(l, "RENAME"), key(l, t), key(l, t);
        break;
    }
    case 31: {
        char t = "hlzS"[rnd() % 4];
        add(l, "COPY"), key(l, t), key(l, t), add(l, "REPLACE");
        break;
    }
    case 32: add(l, "PEXPIRE"), key(l, "shlzSb"[rnd() % 6]), add(l, "%d", 20 + (int)(rnd() % 300)); break;
    case 33: add(l, "EXPIRE"), key(l, "hlzS"[rnd() % 4]), add(l, "1000"); break;
    case 34: add(l, "HRANDFIELD"), key(l, 'h'), add(l, "%d", (int)(rnd() % 5) - 2); break;
    default: add(l, "SRANDMEMBER"), key(l, 'S'), add(l, "%d", (int)(rnd() % 5) - 2); break;
    }
}

static void send_line(redisContext *ctx, const line_t *l)
{
    const char *argv[12];
    for (int i = 0; i < l->argc; i++) argv[i] = l->argv[i];
    assert_int_equal(redisAppendCommandArgv(ctx, l->argc, argv, NULL), REDIS_OK);
}

/* Reads n pipelined replies; errors of the commands themselves
 * (WRONGTYPE, no such key, ...) are expected, a broken connection is not.
 * Returns how many were errors. */
static int drain(redisContext *ctx, int n)
{
    int errors = 0;
    for (int i = 0; i < n; i++) {
        void *reply = NULL;
        if (redisGetReply(ctx, &reply) != REDIS_OK || !reply) fail_msg("connection lost: %s", ctx->errstr);
        redisReply *r = reply;
        if (r->type == REDIS_REPLY_ERROR) {
            errors++;
            if (getenv("TYPES_TRACE")) fprintf(stderr, "  error: %s\n", r->str);
            if (cl_is_retryable(r) || strncmp(r->str, "MOVED", 5) == 0)
                fail_msg("the cluster refused a write: %s", r->str);
        }
        freeReplyObject(r);
    }
    return errors;
}

static long long info_raft(int i, const char *field)
{
    redisContext *ctx = cl_connect(&cl, i, 10000);
    assert_non_null(ctx);
    redisReply *r = cl_cmd(ctx, "INFO", "raft", NULL);
    assert_non_null(r);
    char want[64];
    snprintf(want, sizeof(want), "%s:", field);
    const char *p = strstr(r->str, want);
    long long v = p ? atoll(p + strlen(want)) : -1;
    freeReplyObject(r);
    redisFree(ctx);
    return v;
}

/* DEBUG DIGEST of every node at one applied index (read before and after
 * the digest), equal on all of them; retried while expiries or the last
 * entries are still being applied. */
static void check_digests_equal(void)
{
    int64_t deadline = cl_mono_ms() + 15000;
    char dig[CLUSTER_N][64];
    long long idx[CLUSTER_N];
    for (;;) {
        bool stable = true;
        for (int i = 0; i < CLUSTER_N; i++) {
            long long before = info_raft(i, "raft_applied_index");
            redisContext *ctx = cl_connect(&cl, i, 10000);
            assert_non_null(ctx);
            redisReply *r = cl_cmd(ctx, "DEBUG", "DIGEST", NULL);
            assert_non_null(r);
            assert_int_equal(r->type, REDIS_REPLY_STATUS);
            snprintf(dig[i], sizeof(dig[i]), "%s", r->str);
            freeReplyObject(r);
            redisFree(ctx);
            idx[i] = info_raft(i, "raft_applied_index");
            stable = stable && before == idx[i] && idx[i] == idx[0];
        }
        bool same = true;
        for (int i = 1; i < CLUSTER_N; i++) same = same && strcmp(dig[i], dig[0]) == 0;
        if (stable && same) break;
        if (stable && !same)
            fail_msg("at applied index %lld the digests differ: %s %s %s", idx[0], dig[0], dig[1], dig[2]);
        if (cl_mono_ms() > deadline)
            fail_msg("applied indexes never settled: %lld %lld %lld", idx[0], idx[1], idx[2]);
        usleep(50000);
    }
    fprintf(stderr, "  applied index %lld: digest %s on every node\n", idx[0], dig[0]);
}

static void test_random_workload_same_state_everywhere(void **state)
{
    (void)state;
    rng = getenv("TYPES_SEED") ? strtoull(getenv("TYPES_SEED"), NULL, 10) : 0x9E3779B97F4A7C15ULL;
    int ops = getenv("TYPES_OPS") ? atoi(getenv("TYPES_OPS")) : 4000;
    fprintf(stderr, "  TYPES_SEED=%llu TYPES_OPS=%d\n", (unsigned long long)rng, ops);
    int l = cluster_leader(&cl, 15000);
    assert_true(l >= 0);
    char buf[128];
    cl_write(&cl, &l, 15000, buf, sizeof(buf), "SET", "start", "1", NULL);
    if (strcmp(buf, "+OK") != 0) fail_msg("no leader took a write: %s", buf);

    redisContext *ctx[CLUSTER_N];
    for (int i = 0; i < CLUSTER_N; i++) {
        ctx[i] = cl_connect(&cl, i, 10000);
        assert_non_null(ctx[i]);
    }
    int errors = 0, sent = 0;
    line_t line;
    while (sent < ops) {
        /* a batch of up to 50 pipelined commands, to one node (the leader
         * mostly; a follower passes them on), sometimes inside MULTI */
        int node = rnd() % 4 == 0 ? (int)(rnd() % CLUSTER_N) : l;
        int n = 1 + (int)(rnd() % 50), queued = 0;
        bool multi = rnd() % 8 == 0;
        if (multi) {
            line.argc = 0;
            add(&line, "MULTI");
            send_line(ctx[node], &line);
            queued++;
        }
        for (int i = 0; i < n && sent < ops; i++, sent++) {
            gen(&line);
            send_line(ctx[node], &line);
            queued++;
        }
        if (multi) {
            line.argc = 0;
            add(&line, "EXEC");
            send_line(ctx[node], &line);
            queued++;
        }
        errors += drain(ctx[node], queued);
        /* state is compared along the way too: later stores and deletes
         * could otherwise overwrite a difference before the end */
        if (sent / 1000 != (sent - n) / 1000 && sent < ops) check_digests_equal();
    }
    for (int i = 0; i < CLUSTER_N; i++) redisFree(ctx[i]);
    fprintf(stderr, "  %d commands, %d answered with an error (WRONGTYPE and such)\n", sent, errors);
    /* the short TTLs run out and the leader's expiry deletes go through the log */
    usleep(600000);
    check_digests_equal();

    /* and the state is not trivially empty */
    redisContext *c = cl_connect(&cl, l, 10000);
    redisReply *r = cl_cmd(c, "DBSIZE", NULL);
    assert_non_null(r);
    fprintf(stderr, "  %lld keys at the end\n", r->integer);
    assert_true(r->integer > 3);
    freeReplyObject(r);
    redisFree(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_workload_same_state_everywhere),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
