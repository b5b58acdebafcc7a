/* Every data type on a real 3-node cluster (issue 7): a seeded random
 * workload over strings, hashes, lists, sets, sorted sets and bitmaps
 * (random members, pops, moves, stores, renames, copies, expiries, MULTI
 * blocks, WRONGTYPE), sent pipelined to the leader and through the
 * followers (proxied), must leave the three state machines identical:
 * DEBUG DIGEST (every key's type, TTL and elements) equal on every node at
 * the same applied index, every thousand commands and at the end. Random
 * commands (SPOP, ...) and expiry are where replicas could drift apart.
 *
 * Then blocking pops across leader changes: consumers block on every node
 * (through the followers, proxied) while a producer pushes unique values
 * and the leadership moves twice. Every acknowledged value must come out
 * exactly once, to a consumer or left in the list; a consumer whose pop was
 * answered with an error got no value (the element stays), and only a pop
 * whose outcome the cluster could not know (-TIMEOUT) may have taken one
 * unseen. TYPES_SEED and TYPES_OPS
 * replay or lengthen a run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/cluster.h"
#include "support/httpc.h"

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

/* The leader node i follows, as an index (-1: none yet). */
static int leader_seen_by(int i)
{
    return cluster_leader_seen_by(&cl, i);
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

/* ---- blocking pops across leader changes ----------------------------------- */

#define NVALUES 600
#define NCONSUMERS 3

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int seen[NVALUES];        /* times a consumer received value i */
static int pushed[NVALUES];      /* 1 acknowledged, 2 outcome unknown */
static int unknown_pops, error_pops, strange_pops; /* cmocka's checks belong to the main thread */
static volatile int stop_consumers;

/* The value number of "e<i>", or -1. */
static int value_no(const char *s)
{
    int i = s[0] == 'e' ? atoi(s + 1) : -1;
    return i >= 0 && i < NVALUES ? i : -1;
}

/* An error that leaves the write's fate unknown (TIMEOUT, a broken
 * connection) against one that says it did not happen. */
static bool outcome_unknown(const redisReply *r)
{
    return !r || (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "TIMEOUT", 7) == 0);
}

static void *consumer(void *arg)
{
    int node = (int)(intptr_t)arg;
    redisContext *ctx = NULL;
    int empty_after_stop = 0;
    while (empty_after_stop < 3) {
        if (!ctx && !(ctx = cl_connect(&cl, node, 5000))) {
            usleep(20000);
            continue;
        }
        redisReply *r = redisCommand(ctx, "BLPOP q 0.2");
        pthread_mutex_lock(&mu);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            if (outcome_unknown(r)) unknown_pops++;
            else error_pops++;
        } else if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
            int i = value_no(r->element[1]->str);
            if (i < 0) strange_pops++;
            else seen[i]++;
            empty_after_stop = 0;
        } else if (stop_consumers) {
            empty_after_stop++;
        }
        pthread_mutex_unlock(&mu);
        if (!r) {
            redisFree(ctx);
            ctx = NULL;
        } else {
            bool err = r->type == REDIS_REPLY_ERROR;
            freeReplyObject(r);
            if (err) usleep(20000);
        }
    }
    if (ctx) redisFree(ctx);
    return NULL;
}

static void *producer(void *arg)
{
    (void)arg;
    redisContext *ctx = NULL;
    for (int i = 0; i < NVALUES;) {
        if (!ctx && !(ctx = cl_connect(&cl, (int)(i % CLUSTER_N), 5000))) {
            usleep(20000);
            continue;
        }
        char v[16];
        snprintf(v, sizeof(v), "e%d", i);
        redisReply *r = redisCommand(ctx, "RPUSH q %s", v);
        if (r && r->type == REDIS_REPLY_INTEGER) {
            pushed[i++] = 1;
        } else if (outcome_unknown(r)) {
            pushed[i++] = 2; /* not pushed again: it may be in the list */
        } else {
            usleep(20000); /* refused (TRYAGAIN, CLUSTERDOWN): not applied, push it again */
        }
        if (!r) {
            redisFree(ctx);
            ctx = NULL;
        } else {
            freeReplyObject(r);
        }
        usleep(2000);
    }
    if (ctx) redisFree(ctx);
    return NULL;
}

static void transfer_leader(int from, int to)
{
    char body[32], err[256];
    snprintf(body, sizeof(body), "{\"id\": %d}", to + 1);
    httpc_resp_t r;
    if (httpc_request(cluster_http_port(&cl, from), "POST", "/cluster/transfer-leader", body, NULL, 15000, &r, err,
                      sizeof(err)) < 0)
        fail_msg("transfer-leader on node %d: %s", from + 1, err);
    int status = r.status;
    httpc_free(&r);
    if (status != 200) fail_msg("transfer-leader %d -> %d: status %d", from + 1, to + 1, status);
    fprintf(stderr, "  leadership: node %d -> node %d\n", from + 1, to + 1);
}

static void test_blocking_pops_across_leader_changes(void **state)
{
    (void)state;
    int l = cluster_leader(&cl, 15000);
    assert_true(l >= 0);
    char buf[128];
    cl_write(&cl, &l, 15000, buf, sizeof(buf), "DEL", "q", NULL);
    l = leader_seen_by(l);
    pthread_t cons[NCONSUMERS], prod;
    for (int i = 0; i < NCONSUMERS; i++) pthread_create(&cons[i], NULL, consumer, (void *)(intptr_t)(i % CLUSTER_N));
    usleep(300000); /* the consumers are blocked: the first pushes wake them */
    pthread_create(&prod, NULL, producer, NULL);
    for (int t = 0; t < 2; t++) {
        usleep(500000);
        int to = (l + 1) % CLUSTER_N;
        transfer_leader(l, to);
        int64_t deadline = cl_mono_ms() + 10000;
        while (leader_seen_by(to) != to || leader_seen_by(l) != to)
            if (cl_mono_ms() > deadline) fail_msg("node %d never led", to + 1);
            else usleep(50000);
        l = to;
    }
    pthread_join(prod, NULL);
    stop_consumers = 1;
    for (int i = 0; i < NCONSUMERS; i++) pthread_join(cons[i], NULL);

    assert_int_equal(strange_pops, 0); /* a BLPOP gave a value nobody pushed */
    /* what is left in the list counts as not popped */
    redisContext *c = cl_connect(&cl, l, 10000);
    assert_non_null(c);
    redisReply *r = cl_cmd(c, "LRANGE", "q", "0", "-1", NULL);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    int left = (int)r->elements, received = 0, acked = 0, missing = 0;
    for (size_t k = 0; k < r->elements; k++) {
        int i = value_no(r->element[k]->str);
        assert_true(i >= 0);
        seen[i]++;
    }
    freeReplyObject(r);
    redisFree(c);
    for (int i = 0; i < NVALUES; i++) {
        received += seen[i];
        if (seen[i] > 1) fail_msg("value e%d came out %d times", i, seen[i]);
        if (pushed[i] == 0 && seen[i]) fail_msg("value e%d came out but was never pushed", i);
        if (pushed[i] == 1) {
            acked++;
            if (seen[i] == 0) missing++;
        }
    }
    received -= left;
    fprintf(stderr, "  %d values pushed (%d acknowledged), %d popped by consumers, %d left in the list; "
                    "pops answered with an error: %d, with an unknown outcome: %d; acknowledged values "
                    "not found: %d\n",
            NVALUES, acked, received, left, error_pops, unknown_pops, missing);
    if (missing > unknown_pops)
        fail_msg("%d acknowledged values are lost (only %d pops had an unknown outcome)", missing, unknown_pops);
    assert_true(received > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_workload_same_state_everywhere),
        cmocka_unit_test(test_blocking_pops_across_leader_changes),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
