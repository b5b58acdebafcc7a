/* Sorted set commands against a real RocksDB keyspace. Expected replies
 * were checked against redis-server 7.0.15 (RESP2 and RESP3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define CT_SHORT_NAMES
#include "support/cmdtest.h"

#define CONSISTENT() assert_true(ct_counters_consistent(t))

static const char NOTRANGE[] = "-ERR min or max is not a float\r\n";
static const char NOTLEX[] = "-ERR min or max not valid string range item\r\n";

/* A set as the set family stores it (members as sub-keys with empty
 * values), written directly so SET inputs of ZUNION & co. can be tested. */
static void put_set(cmdtest_t *t, const char *key, const char *const *members, size_t n)
{
    ct_put_collection(t, key, strlen(key), OBJ_SET, n, 0);
    uint64_t version = t->index << 16;
    store_txn_t *txn = store_txn_begin(t->store, true);
    for (size_t i = 0; i < n; i++) {
        char k[256];
        size_t kl = enc_sub_prefix(k, key, strlen(key), version);
        memcpy(k + kl, members[i], strlen(members[i]));
        store_put(txn, CF_DATA, k, kl + strlen(members[i]), "", 0);
    }
    char err[256];
    assert_int_equal(store_txn_commit(txn, err, sizeof(err)), 0);
}

/* Runs a write and hands back its context's blocking fields. */
static const char *write_ctx(cmdtest_t *t, bool *blocked, int64_t *timeout, int argc, const char *const *argv)
{
    ct_runv(t, true, false, argc, argv);
    *blocked = t->blocked;
    *timeout = t->block_timeout_ms;
    return t->out;
}

/* ---- ZADD and order ------------------------------------------------------------- */

static void test_order_and_formatting(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("ZADD", "z", "1", "a", "2", "b", "-0", "c", "inf", "d", "-inf", "e", "1.5", "f", "1e300", "g"), ":7\r\n");
    EQ(R("ZRANGE", "z", "0", "-1", "WITHSCORES"),
       "*14\r\n$1\r\ne\r\n$4\r\n-inf\r\n$1\r\nc\r\n$1\r\n0\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nf\r\n$3\r\n1.5\r\n"
       "$1\r\nb\r\n$1\r\n2\r\n$1\r\ng\r\n$23\r\n1.0000000000000001e+300\r\n$1\r\nd\r\n$3\r\ninf\r\n");
    /* equal scores: member bytes order (shorter first on a common prefix) */
    EQ(W("ZADD", "q", "0", "b", "0", "ab", "0", "a", "0", "", "0", "B"), ":5\r\n");
    EQ(R("ZRANGE", "q", "0", "-1"), "*5\r\n$0\r\n\r\n$1\r\nB\r\n$1\r\na\r\n$2\r\nab\r\n$1\r\nb\r\n");
    /* -0 and 0 are the same score: stored as 0 */
    EQ(W("ZADD", "q", "-0", "zz"), ":1\r\n");
    EQ(R("ZSCORE", "q", "zz"), "$1\r\n0\r\n");
    EQ(R("ZRANGEBYSCORE", "q", "0", "0"), "*6\r\n$0\r\n\r\n$1\r\nB\r\n$1\r\na\r\n$2\r\nab\r\n$1\r\nb\r\n$2\r\nzz\r\n");
    EQ(R("ZCARD", "q"), ":6\r\n");
    EQ(R("ZCARD", "nokey"), ":0\r\n");
    EQ(R("TYPE", "z"), "+zset\r\n");
    CONSISTENT();
}

static void test_zadd_options(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("ZADD", "z", "nx", "xx", "1", "a"), "-ERR XX and NX options at the same time are not compatible\r\n");
    EQ(W("ZADD", "z", "gt", "lt", "1", "a"), "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n");
    EQ(W("ZADD", "z", "nx", "gt", "1", "a"), "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n");
    EQ(W("ZADD", "z", "incr", "1", "a", "2", "b"), "-ERR INCR option supports a single increment-element pair\r\n");
    EQ(W("ZADD", "z", "x", "a"), NOTFLOAT);
    EQ(W("ZADD", "z", "nan", "a"), NOTFLOAT);
    EQ(W("ZADD", "z", "1", "a", "2"), SYNTAX);
    EQ(W("ZADD", "z", "incr"), "-ERR wrong number of arguments for 'zadd' command\r\n");
    EQ(W("ZADD", "z", "1", "a", "x", "b"), NOTFLOAT); /* nothing applied */
    EQ(R("EXISTS", "z"), ":0\r\n");
    EQ(W("ZADD", "z", "xx", "1", "a"), ":0\r\n");
    EQ(R("EXISTS", "z"), ":0\r\n");
    EQ(W("ZADD", "z", "xx", "incr", "1", "a"), "$-1\r\n");
    EQ(W("ZADD", "z", "1", "a", "inf", "b"), ":2\r\n");
    EQ(W("ZADD", "z", "incr", "-inf", "b"), "-ERR resulting score is not a number (NaN)\r\n");
    EQ(R("ZSCORE", "z", "b"), "$3\r\ninf\r\n");
    EQ(W("ZADD", "z", "ch", "5", "a", "9", "nn"), ":2\r\n");
    EQ(W("ZADD", "z", "5", "a"), ":0\r\n");
    EQ(W("ZADD", "z", "ch", "5", "a"), ":0\r\n");
    /* GT never lowers, but adds new members */
    EQ(W("ZADD", "z", "gt", "ch", "1", "a", "10", "nn", "3", "new"), ":2\r\n");
    EQ(W("ZADD", "z", "lt", "ch", "4", "a", "20", "nn"), ":1\r\n");
    EQ(W("ZADD", "z", "lt", "xx", "incr", "1", "a"), "$-1\r\n");
    EQ(W("ZADD", "z", "gt", "incr", "1", "a"), "$1\r\n5\r\n");
    EQ(W("ZADD", "z", "nx", "incr", "1", "a"), "$-1\r\n");
    EQ(W("ZADD", "z", "xx", "ch", "7", "a", "1", "nothere"), ":1\r\n");
    EQ(W("ZADD", "z", "incr", "0", "a"), "$1\r\n7\r\n"); /* unchanged, still processed */
    EQ(R("ZRANGE", "z", "0", "-1", "WITHSCORES"),
       "*8\r\n$3\r\nnew\r\n$1\r\n3\r\n$1\r\na\r\n$1\r\n7\r\n$2\r\nnn\r\n$2\r\n10\r\n$1\r\nb\r\n$3\r\ninf\r\n");
    EQ(W("ZADD", "z", "NX", "Ch", "100", "a", "1", "fresh"), ":1\r\n");
    CONSISTENT();
}

static void test_zincrby(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("ZINCRBY", "z", "x", "a"), NOTFLOAT);
    EQ(W("ZINCRBY", "z", "1"), "-ERR wrong number of arguments for 'zincrby' command\r\n");
    EQ(W("ZINCRBY", "z", "0.1", "a"), "$19\r\n0.10000000000000001\r\n");
    EQ(W("ZINCRBY", "z", "1", "a"), "$18\r\n1.1000000000000001\r\n");
    /* a new member at -0 answers "-0" (the sum), and is stored as 0 */
    EQ(W("ZINCRBY", "z", "-0", "y"), "$2\r\n-0\r\n");
    EQ(W("ZINCRBY", "z", "-0", "y"), "$1\r\n0\r\n");
    EQ(W("ZINCRBY", "z", "inf", "i"), "$3\r\ninf\r\n");
    EQ(W("ZINCRBY", "z", "-inf", "i"), "-ERR resulting score is not a number (NaN)\r\n");
    EQ(R("ZSCORE", "z", "i"), "$3\r\ninf\r\n");
    EQ(W("SET", "s", "x"), "+OK\r\n");
    EQ(W("ZINCRBY", "s", "1", "a"), WRONGTYPE);
    EQ(W("ZINCRBY", "s", "x", "a"), NOTFLOAT); /* the score is checked first */
    t->proto = 3;
    EQ(W("ZINCRBY", "z", "1", "y"), ",1\r\n");
    CONSISTENT();
}

/* ---- ZREM, reads --------------------------------------------------------------------- */

static void test_zrem_and_reads(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("ZREM", "z", "a"), ":0\r\n");
    EQ(W("ZADD", "z", "1", "a", "2", "b", "3", "c"), ":3\r\n");
    EQ(R("ZSCORE", "z", "b"), "$1\r\n2\r\n");
    EQ(R("ZSCORE", "z", "x"), "$-1\r\n");
    EQ(R("ZSCORE", "nokey", "x"), "$-1\r\n");
    EQ(R("ZMSCORE", "z", "a", "x", "c"), "*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n3\r\n");
    EQ(R("ZMSCORE", "nokey", "a", "b"), "*2\r\n$-1\r\n$-1\r\n");
    EQ(R("ZRANK", "z", "a"), ":0\r\n");
    EQ(R("ZRANK", "z", "c"), ":2\r\n");
    EQ(R("ZREVRANK", "z", "c"), ":0\r\n");
    EQ(R("ZREVRANK", "z", "a"), ":2\r\n");
    EQ(R("ZRANK", "z", "x"), "$-1\r\n");
    EQ(R("ZRANK", "nokey", "x"), "$-1\r\n");
    EQ(W("ZREM", "z", "a", "x", "a"), ":1\r\n");
    EQ(R("ZCARD", "z"), ":2\r\n");
    /* the last member gone, the key is gone, sub-keys and all */
    EQ(W("ZREM", "z", "b", "c"), ":2\r\n");
    EQ(R("EXISTS", "z"), ":0\r\n");
    assert_int_equal(ct_count_prefix(t, 's'), 0);
    assert_int_equal(t->db.nkeys, 0);
    EQ(W("SET", "s", "x"), "+OK\r\n");
    EQ(W("ZREM", "s", "a"), WRONGTYPE);
    EQ(R("ZSCORE", "s", "a"), WRONGTYPE);
    EQ(R("ZMSCORE", "s", "a"), WRONGTYPE);
    EQ(R("ZCARD", "s"), WRONGTYPE);
    EQ(R("ZRANK", "s", "a"), WRONGTYPE);
    EQ(R("ZREVRANK", "s", "a"), WRONGTYPE);
    CONSISTENT();
}

/* ---- ranges ------------------------------------------------------------------------------------ */

static void test_rank_ranges(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"), ":5\r\n");
    EQ(R("ZRANGE", "z", "1", "-2"), "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n");
    EQ(R("ZRANGE", "z", "-100", "100"), "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n");
    EQ(R("ZRANGE", "z", "3", "1"), "*0\r\n");
    EQ(R("ZRANGE", "z", "5", "10"), "*0\r\n");
    EQ(R("ZRANGE", "z", "4", "4"), "*1\r\n$1\r\ne\r\n"); /* walked from the high end */
    EQ(R("ZRANGE", "z", "3", "4", "WITHSCORES"), "*4\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\ne\r\n$1\r\n5\r\n");
    EQ(R("ZRANGE", "z", "0", "1", "REV"), "*2\r\n$1\r\ne\r\n$1\r\nd\r\n");
    EQ(R("ZREVRANGE", "z", "0", "1", "WITHSCORES"), "*4\r\n$1\r\ne\r\n$1\r\n5\r\n$1\r\nd\r\n$1\r\n4\r\n");
    EQ(R("ZREVRANGE", "z", "-1", "-1"), "*1\r\n$1\r\na\r\n");
    EQ(R("ZREVRANGE", "z", "3", "4"), "*2\r\n$1\r\nb\r\n$1\r\na\r\n");
    EQ(R("ZRANGE", "z", "a", "b"), NOTINT);
    EQ(R("ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"),
       "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n");
    EQ(R("ZRANGE", "z", "0", "-1", "LIMIT", "0", "-1"), "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n");
    EQ(R("ZREVRANGE", "z", "0", "-1", "LIMIT", "0", "1"),
       "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n");
    EQ(R("ZRANGE", "z", "0", "-1", "REV", "REV"), SYNTAX);
    EQ(R("ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX"), SYNTAX);
    EQ(R("ZREVRANGE", "z", "0", "-1", "REV"), SYNTAX);
    EQ(R("ZRANGE", "nokey", "0", "-1"), "*0\r\n");
    EQ(W("SET", "s", "x"), "+OK\r\n");
    EQ(R("ZRANGE", "s", "0", "-1"), WRONGTYPE);
    EQ(R("ZRANGE", "s", "0", "-1", "foo"), SYNTAX); /* arguments before the type */
}

static void test_score_ranges(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("ZADD", "z", "-inf", "m", "1", "a", "1.5", "b", "2", "c", "2", "cc", "10", "d", "inf", "i"), ":7\r\n");
    EQ(R("ZRANGEBYSCORE", "z", "(1", "2"), "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$2\r\ncc\r\n");
    EQ(R("ZRANGEBYSCORE", "z", "1", "(2"), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    EQ(R("ZRANGEBYSCORE", "z", "-inf", "+inf"),
       "*7\r\n$1\r\nm\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$2\r\ncc\r\n$1\r\nd\r\n$1\r\ni\r\n");
    EQ(R("ZRANGEBYSCORE", "z", "(-inf", "(inf"), "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$2\r\ncc\r\n$1\r\nd\r\n");
    EQ(R("ZRANGEBYSCORE", "z", "inf", "inf", "WITHSCORES"), "*2\r\n$1\r\ni\r\n$3\r\ninf\r\n");
    EQ(R("ZRANGEBYSCORE", "z", "2", "2", "LIMIT", "1", "5"), "*1\r\n$2\r\ncc\r\n");
    EQ(R("ZRANGEBYSCORE", "z", "0", "10", "LIMIT", "1", "2", "WITHSCORES"),
       "*4\r\n$1\r\nb\r\n$3\r\n1.5\r\n$1\r\nc\r\n$1\r\n2\r\n");
    EQ(R("ZRANGEBYSCORE", "z", "0", "10", "LIMIT", "-1", "2"), "*0\r\n");
    EQ(R("ZRANGEBYSCORE", "z", "0", "10", "LIMIT", "4", "-5"), "*1\r\n$1\r\nd\r\n");
    EQ(R("ZRANGEBYSCORE", "z", "0", "10", "LIMIT", "0", "0"), "*0\r\n");
    EQ(R("ZRANGEBYSCORE", "z", "2", "1"), "*0\r\n");
    EQ(R("ZRANGEBYSCORE", "z", "(2", "2"), "*0\r\n");
    EQ(R("ZREVRANGEBYSCORE", "z", "2", "(1"), "*3\r\n$2\r\ncc\r\n$1\r\nc\r\n$1\r\nb\r\n");
    EQ(R("ZREVRANGEBYSCORE", "z", "(10", "-inf", "LIMIT", "1", "2"), "*2\r\n$1\r\nc\r\n$1\r\nb\r\n");
    EQ(R("ZRANGE", "z", "(10", "1", "BYSCORE", "REV", "LIMIT", "0", "2", "WITHSCORES"),
       "*4\r\n$2\r\ncc\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n2\r\n");
    EQ(R("ZCOUNT", "z", "-inf", "+inf"), ":7\r\n");
    EQ(R("ZCOUNT", "z", "(1", "(10"), ":3\r\n");
    EQ(R("ZCOUNT", "nokey", "1", "2"), ":0\r\n");
    /* strtod rules: spaces before, "" as 0, hex, "infinity"; NaN refused */
    EQ(R("ZRANGEBYSCORE", "z", " 1", "1"), "*1\r\n$1\r\na\r\n");
    EQ(R("ZRANGEBYSCORE", "z", "", "1"), "*1\r\n$1\r\na\r\n");
    EQ(R("ZRANGEBYSCORE", "z", "0x1", "1"), "*1\r\n$1\r\na\r\n");
    EQ(R("ZRANGEBYSCORE", "z", "infinity", "+Infinity"), "*1\r\n$1\r\ni\r\n");
    EQ(R("ZRANGEBYSCORE", "z", "nan", "1"), NOTRANGE);
    EQ(R("ZRANGEBYSCORE", "z", "1 ", "2"), NOTRANGE);
    EQ(R("ZRANGEBYSCORE", "z", "[1", "2"), NOTRANGE);
    EQ(R("ZCOUNT", "z", "x", "1"), NOTRANGE);
    EQ(R("ZRANGEBYSCORE", "z", "0", "10", "REV"), SYNTAX);
    EQ(R("ZRANGEBYSCORE", "z", "0", "10", "LIMIT", "0"), SYNTAX);
    EQ(R("ZRANGEBYSCORE", "z", "0", "10", "LIMIT", "x", "1"), NOTINT);
}

static void test_lex_ranges(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "f"), ":6\r\n");
    EQ(R("ZRANGEBYLEX", "z", "[b", "(e"), "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n");
    EQ(R("ZRANGEBYLEX", "z", "(b", "[e", "LIMIT", "1", "1"), "*1\r\n$1\r\nd\r\n");
    EQ(R("ZRANGEBYLEX", "z", "-", "+"), "*6\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nf\r\n");
    EQ(R("ZRANGEBYLEX", "z", "-", "-"), "*0\r\n");
    EQ(R("ZRANGEBYLEX", "z", "+", "+"), "*0\r\n");
    EQ(R("ZRANGEBYLEX", "z", "[c", "[c"), "*1\r\n$1\r\nc\r\n");
    EQ(R("ZRANGEBYLEX", "z", "(c", "[c"), "*0\r\n");
    EQ(R("ZRANGEBYLEX", "z", "[", "(b"), "*1\r\n$1\r\na\r\n");
    EQ(R("ZREVRANGEBYLEX", "z", "[e", "(a", "LIMIT", "0", "3"), "*3\r\n$1\r\ne\r\n$1\r\nd\r\n$1\r\nc\r\n");
    EQ(R("ZREVRANGEBYLEX", "z", "+", "[e"), "*2\r\n$1\r\nf\r\n$1\r\ne\r\n");
    EQ(R("ZRANGE", "z", "[z", "[a", "BYLEX", "REV"),
       "*6\r\n$1\r\nf\r\n$1\r\ne\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n");
    EQ(R("ZLEXCOUNT", "z", "-", "+"), ":6\r\n");
    EQ(R("ZLEXCOUNT", "z", "(a", "(f"), ":4\r\n");
    EQ(R("ZLEXCOUNT", "nokey", "-", "+"), ":0\r\n");
    EQ(R("ZRANGEBYLEX", "z", "a", "+"), NOTLEX);
    EQ(R("ZRANGEBYLEX", "z", "-a", "+"), NOTLEX);
    EQ(R("ZRANGEBYLEX", "z", "++", "+"), NOTLEX);
    EQ(R("ZRANGEBYLEX", "z", "", "+"), NOTLEX);
    EQ(R("ZLEXCOUNT", "z", "x", "+"), NOTLEX);
    EQ(R("ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"),
       "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n");
    EQ(R("ZRANGE", "z", "[a", "[b", "BYLEX", "WITHSCORES"),
       "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n");
    /* mixed scores: Redis's walk in score order (answers checked against it) */
    EQ(W("ZADD", "mix", "1", "b", "2", "a", "3", "d", "0", "c"), ":4\r\n");
    EQ(R("ZRANGEBYLEX", "mix", "-", "+"), "*4\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nd\r\n");
    EQ(R("ZRANGEBYLEX", "mix", "[a", "[c"), "*3\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n");
    EQ(R("ZREVRANGEBYLEX", "mix", "[c", "-"), "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
    EQ(R("ZREVRANGEBYLEX", "mix", "+", "[b"), "*1\r\n$1\r\nd\r\n");
    EQ(R("ZLEXCOUNT", "mix", "[b", "+"), ":4\r\n");
    EQ(W("ZREMRANGEBYLEX", "mix", "[c", "+"), ":4\r\n");
    EQ(R("EXISTS", "mix"), ":0\r\n");
    CONSISTENT();
}

static void test_zrangestore(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("ZADD", "z", "1", "a", "2", "b", "3", "c"), ":3\r\n");
    EQ(W("ZRANGESTORE", "d", "z", "0", "-1", "WITHSCORES"), SYNTAX);
    EQ(W("ZRANGESTORE", "d", "z", "1", "-1"), ":2\r\n");
    EQ(R("ZRANGE", "d", "0", "-1", "WITHSCORES"), "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n");
    EQ(W("ZRANGESTORE", "d", "z", "(1", "+inf", "BYSCORE", "REV", "LIMIT", "0", "1"), ":0\r\n");
    EQ(R("EXISTS", "d"), ":0\r\n"); /* an empty result deletes the destination */
    EQ(W("ZRANGESTORE", "d", "z", "+inf", "(1", "BYSCORE", "REV", "LIMIT", "0", "1"), ":1\r\n");
    EQ(R("ZRANGE", "d", "0", "-1"), "*1\r\n$1\r\nc\r\n");
    EQ(W("ZRANGESTORE", "d", "z", "[a", "[b", "BYLEX"), ":2\r\n");
    /* over a string with a TTL: replaced, TTL dropped */
    EQ(W("SET", "s", "x", "EX", "100"), "+OK\r\n");
    EQ(W("ZRANGESTORE", "s", "z", "0", "0"), ":1\r\n");
    EQ(R("TYPE", "s"), "+zset\r\n");
    EQ(R("TTL", "s"), ":-1\r\n");
    /* over a zset with a TTL, from itself */
    EQ(W("EXPIRE", "z", "100"), ":1\r\n");
    EQ(W("ZRANGESTORE", "z", "z", "1", "2"), ":2\r\n");
    EQ(R("ZRANGE", "z", "0", "-1"), "*2\r\n$1\r\nb\r\n$1\r\nc\r\n");
    EQ(R("TTL", "z"), ":-1\r\n");
    EQ(W("ZRANGESTORE", "s", "nokey", "0", "-1"), ":0\r\n");
    EQ(R("EXISTS", "s"), ":0\r\n");
    EQ(W("SET", "str", "x"), "+OK\r\n");
    EQ(W("ZRANGESTORE", "d", "str", "0", "-1"), WRONGTYPE);
    EQ(R("ZCARD", "d"), ":2\r\n"); /* untouched */
    CONSISTENT();
}

static void test_zremrange(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"), ":5\r\n");
    EQ(W("ZREMRANGEBYRANK", "z", "x", "1"), NOTINT);
    EQ(W("ZREMRANGEBYSCORE", "z", "x", "1"), NOTRANGE);
    EQ(W("ZREMRANGEBYLEX", "z", "x", "1"), NOTLEX);
    EQ(W("ZREMRANGEBYRANK", "z", "3", "1"), ":0\r\n");
    EQ(W("ZREMRANGEBYRANK", "z", "-1", "-1"), ":1\r\n");
    EQ(W("ZREMRANGEBYSCORE", "z", "(1", "2"), ":1\r\n");
    EQ(R("ZRANGE", "z", "0", "-1"), "*3\r\n$1\r\na\r\n$1\r\nc\r\n$1\r\nd\r\n");
    EQ(W("ZREMRANGEBYRANK", "nokey", "0", "-1"), ":0\r\n");
    EQ(W("EXPIRE", "z", "100"), ":1\r\n");
    EQ(W("ZREMRANGEBYRANK", "z", "0", "0"), ":1\r\n");
    EQ(R("TTL", "z"), ":100\r\n"); /* a removal keeps the TTL */
    EQ(W("ZREMRANGEBYSCORE", "z", "-inf", "+inf"), ":2\r\n");
    EQ(R("EXISTS", "z"), ":0\r\n");
    assert_int_equal(t->db.nexpires, 0);
    EQ(W("SET", "s", "x"), "+OK\r\n");
    EQ(W("ZREMRANGEBYRANK", "s", "0", "1"), WRONGTYPE);
    CONSISTENT();
}

/* ---- set operations ---------------------------------------------------------------------------- */

static void test_setops(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("ZADD", "z1", "1", "a", "2", "b", "3", "c", "inf", "d", "-inf", "e"), ":5\r\n");
    EQ(W("ZADD", "z2", "1", "b", "2", "c", "3", "x", "-inf", "d", "inf", "e"), ":5\r\n");
    EQ(R("ZUNION", "2", "z1", "z2", "WITHSCORES"),
       "*12\r\n$1\r\nd\r\n$1\r\n0\r\n$1\r\ne\r\n$1\r\n0\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n3\r\n"
       "$1\r\nx\r\n$1\r\n3\r\n$1\r\nc\r\n$1\r\n5\r\n");
    EQ(R("ZUNION", "2", "z1", "z2", "AGGREGATE", "MAX", "WITHSCORES"),
       "*12\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nx\r\n$1\r\n3\r\n"
       "$1\r\nd\r\n$3\r\ninf\r\n$1\r\ne\r\n$3\r\ninf\r\n");
    /* inf * 0 is NaN, taken as 0 */
    EQ(R("ZUNION", "2", "z1", "z2", "WEIGHTS", "0", "1", "WITHSCORES"),
       "*12\r\n$1\r\nd\r\n$4\r\n-inf\r\n$1\r\na\r\n$1\r\n0\r\n$1\r\nb\r\n$1\r\n1\r\n$1\r\nc\r\n$1\r\n2\r\n"
       "$1\r\nx\r\n$1\r\n3\r\n$1\r\ne\r\n$3\r\ninf\r\n");
    EQ(R("ZINTER", "2", "z1", "z2", "WITHSCORES"),
       "*8\r\n$1\r\nd\r\n$1\r\n0\r\n$1\r\ne\r\n$1\r\n0\r\n$1\r\nb\r\n$1\r\n3\r\n$1\r\nc\r\n$1\r\n5\r\n");
    EQ(R("ZINTER", "3", "z1", "z2", "z1", "AGGREGATE", "min"), "*4\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nb\r\n$1\r\nc\r\n");
    EQ(R("ZINTER", "2", "z1", "nokey"), "*0\r\n");
    EQ(R("ZDIFF", "2", "z1", "z2", "WITHSCORES"), "*2\r\n$1\r\na\r\n$1\r\n1\r\n");
    EQ(R("ZDIFF", "2", "z1", "z1"), "*0\r\n");
    EQ(R("ZINTERCARD", "2", "z1", "z2"), ":4\r\n");
    EQ(R("ZINTERCARD", "2", "z1", "z2", "LIMIT", "2"), ":2\r\n");
    EQ(R("ZINTERCARD", "2", "z1", "z2", "LIMIT", "0"), ":4\r\n");
    /* -0 survives in a reply, not in a stored set */
    EQ(W("ZADD", "s0", "0", "a"), ":1\r\n");
    EQ(R("ZUNION", "1", "s0", "WEIGHTS", "-1", "WITHSCORES"), "*2\r\n$1\r\na\r\n$2\r\n-0\r\n");
    EQ(W("ZUNIONSTORE", "d", "1", "s0", "WEIGHTS", "-1"), ":1\r\n");
    EQ(R("ZSCORE", "d", "a"), "$1\r\n0\r\n");
    /* sets count with score 1 */
    const char *members[] = {"a", "b", "zz"};
    put_set(t, "set", members, 3);
    EQ(R("ZUNION", "2", "z1", "set", "WITHSCORES"),
       "*12\r\n$1\r\ne\r\n$4\r\n-inf\r\n$2\r\nzz\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$1\r\n3\r\n"
       "$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$3\r\ninf\r\n");
    EQ(R("ZINTER", "2", "set", "z1", "AGGREGATE", "MAX", "WITHSCORES"),
       "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
    EQ(R("ZDIFF", "2", "set", "z1", "WITHSCORES"), "*2\r\n$2\r\nzz\r\n$1\r\n1\r\n");
    /* stores: over a string with a TTL, into a source, empty results */
    EQ(W("SET", "str", "x", "EX", "100"), "+OK\r\n");
    EQ(W("ZINTERSTORE", "str", "2", "z1", "z2", "WEIGHTS", "2", "1"), ":4\r\n");
    EQ(R("TYPE", "str"), "+zset\r\n");
    EQ(R("TTL", "str"), ":-1\r\n");
    EQ(R("ZRANGE", "str", "0", "-1", "WITHSCORES"),
       "*8\r\n$1\r\nd\r\n$1\r\n0\r\n$1\r\ne\r\n$1\r\n0\r\n$1\r\nb\r\n$1\r\n5\r\n$1\r\nc\r\n$1\r\n8\r\n");
    EQ(W("ZUNIONSTORE", "z1", "2", "z1", "z2"), ":6\r\n");
    EQ(W("ZDIFFSTORE", "str", "2", "z2", "z1"), ":0\r\n");
    EQ(R("EXISTS", "str"), ":0\r\n");
    EQ(W("ZDIFFSTORE", "out", "1", "set"), ":3\r\n");
    CONSISTENT();
}

static void test_setop_errors(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("ZUNIONSTORE", "d", "0", "a"), "-ERR at least 1 input key is needed for 'zunionstore' command\r\n");
    EQ(R("ZUNION", "-1", "a"), "-ERR at least 1 input key is needed for 'zunion' command\r\n");
    EQ(R("ZINTERCARD", "0", "a"), "-ERR at least 1 input key is needed for 'zintercard' command\r\n");
    EQ(R("ZDIFF", "0", "a"), "-ERR at least 1 input key is needed for 'zdiff' command\r\n");
    EQ(R("ZUNION", "x", "a"), NOTINT);
    EQ(R("ZUNION", "2", "a"), SYNTAX);
    EQ(R("ZUNION", "1", "a", "b"), SYNTAX);
    EQ(R("ZINTERCARD", "1", "a", "LIMIT", "-1"), "-ERR LIMIT can't be negative\r\n");
    EQ(R("ZINTERCARD", "1", "a", "WITHSCORES"), SYNTAX);
    EQ(R("ZDIFF", "1", "a", "WEIGHTS", "1"), SYNTAX);
    EQ(R("ZUNION", "1", "a", "WEIGHTS", "x"), "-ERR weight value is not a float\r\n");
    EQ(R("ZUNION", "1", "a", "AGGREGATE", "avg"), SYNTAX);
    EQ(W("ZUNIONSTORE", "d", "1", "a", "WITHSCORES"), SYNTAX);
    EQ(W("ZINTERSTORE", "d", "1", "a", "LIMIT", "1"), SYNTAX);
    EQ(W("SET", "s", "x"), "+OK\r\n");
    /* WRONGTYPE is found while the keys are read, before the options */
    EQ(R("ZUNION", "1", "s", "WEIGHTS", "x"), WRONGTYPE);
    EQ(R("ZUNION", "2", "nokey", "s"), WRONGTYPE);
    EQ(W("ZUNIONSTORE", "d", "1", "s"), WRONGTYPE);
    EQ(R("EXISTS", "d"), ":0\r\n");
}

/* Sums depend on the order of the inputs (smallest first, equal sizes in
 * argument order), as floating point tells: checked against Redis. */
static void test_setop_sum_order(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("ZADD", "t", "1.1", "a", "2.2", "b"), ":2\r\n");
    EQ(W("ZADD", "u", "3.3", "a", "1e300", "b"), ":2\r\n");
    EQ(W("ZADD", "v", "-1e300", "b", "0.1", "a"), ":2\r\n");
    EQ(R("ZUNION", "3", "t", "u", "v", "WITHSCORES"), "*4\r\n$1\r\nb\r\n$1\r\n0\r\n$1\r\na\r\n$3\r\n4.5\r\n");
    EQ(R("ZUNION", "3", "v", "u", "t", "WITHSCORES"),
       "*4\r\n$1\r\nb\r\n$18\r\n2.2000000000000002\r\n$1\r\na\r\n$3\r\n4.5\r\n");
}

/* ---- pops --------------------------------------------------------------------------------------- */

static void test_pops(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("ZPOPMIN", "z"), "*0\r\n");
    EQ(W("ZPOPMIN", "z", "-1"), "-ERR value is out of range, must be positive\r\n");
    EQ(W("ZPOPMIN", "z", "x"), "-ERR value is out of range, must be positive\r\n");
    EQ(W("ZPOPMIN", "z", "1", "2"), SYNTAX);
    EQ(W("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"), ":4\r\n");
    EQ(W("ZPOPMIN", "z", "0"), "*0\r\n");
    EQ(W("ZPOPMIN", "z"), "*2\r\n$1\r\na\r\n$1\r\n1\r\n");
    EQ(W("ZPOPMAX", "z", "2"), "*4\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\nc\r\n$1\r\n3\r\n");
    EQ(W("ZPOPMAX", "z", "10"), "*2\r\n$1\r\nb\r\n$1\r\n2\r\n");
    EQ(R("EXISTS", "z"), ":0\r\n");
    EQ(W("SET", "s", "x"), "+OK\r\n");
    EQ(W("ZPOPMIN", "s", "0"), WRONGTYPE);
    EQ(W("ZPOPMIN", "s", "x"), "-ERR value is out of range, must be positive\r\n");

    EQ(W("ZMPOP", "0", "z", "MIN"), "-ERR numkeys should be greater than 0\r\n");
    EQ(W("ZMPOP", "x", "z", "MIN"), "-ERR numkeys should be greater than 0\r\n");
    EQ(W("ZMPOP", "1", "z", "foo"), SYNTAX);
    EQ(W("ZMPOP", "2", "z", "MIN"), SYNTAX);
    EQ(W("ZMPOP", "1", "z", "MIN", "COUNT", "0"), "-ERR count should be greater than 0\r\n");
    EQ(W("ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "2"), SYNTAX);
    EQ(W("ZMPOP", "1", "z", "MIN"), "*-1\r\n");
    EQ(W("ZMPOP", "2", "nokey", "s", "MIN"), WRONGTYPE);
    EQ(W("ZADD", "z", "1", "a", "2", "b", "3", "c"), ":3\r\n");
    EQ(W("ZMPOP", "2", "z", "s", "MIN"), "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n");
    EQ(W("ZMPOP", "2", "s", "z", "MIN"), WRONGTYPE);
    EQ(W("ZMPOP", "2", "nokey", "z", "max", "COUNT", "5"),
       "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n");
    EQ(R("EXISTS", "z"), ":0\r\n");
    CONSISTENT();
}

static void test_blocking(void **state)
{
    cmdtest_t *t = *state;
    bool blocked;
    int64_t timeout;
    EQ(W("ZADD", "z", "1", "a", "2", "b"), ":2\r\n");
    const char *pop[] = {"BZPOPMIN", "nokey", "z", "0"};
    EQ(write_ctx(t, &blocked, &timeout, 4, pop), "*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n");
    assert_false(blocked);
    const char *popmax[] = {"BZPOPMAX", "z", "1.5"};
    EQ(write_ctx(t, &blocked, &timeout, 3, popmax), "*3\r\n$1\r\nz\r\n$1\r\nb\r\n$1\r\n2\r\n");
    assert_false(blocked);
    /* nothing to pop: the timeout reply, and the node is told to block */
    EQ(write_ctx(t, &blocked, &timeout, 3, popmax), "*-1\r\n");
    assert_true(blocked);
    assert_int_equal(timeout, 1500);
    EQ(write_ctx(t, &blocked, &timeout, 4, pop), "*-1\r\n");
    assert_true(blocked);
    assert_int_equal(timeout, 0);
    const char *tiny[] = {"BZPOPMIN", "z", "0.0001"};
    EQ(write_ctx(t, &blocked, &timeout, 3, tiny), "*-1\r\n");
    assert_int_equal(timeout, 1); /* rounded up, not "forever" */
    const char *mpop[] = {"BZMPOP", "2.5", "2", "nokey", "z", "MIN", "COUNT", "2"};
    EQ(write_ctx(t, &blocked, &timeout, 8, mpop), "*-1\r\n");
    assert_true(blocked);
    assert_int_equal(timeout, 2500);
    EQ(W("ZADD", "z", "1", "a", "2", "b", "3", "c"), ":3\r\n");
    EQ(write_ctx(t, &blocked, &timeout, 8, mpop),
       "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n");
    assert_false(blocked);
    /* errors, as Redis orders them */
    EQ(W("BZPOPMIN", "z", "-1"), "-ERR timeout is negative\r\n");
    EQ(W("BZPOPMIN", "z", "abc"), "-ERR timeout is not a float or out of range\r\n");
    EQ(W("BZPOPMIN", "z", "1e30"), "-ERR timeout is negative\r\n");
    EQ(W("BZPOPMIN", "z", "inf"), "-ERR timeout is negative\r\n");
    EQ(W("BZPOPMIN", "z", "9223372036854775.808"), "-ERR timeout is negative\r\n");
    EQ(W("BZMPOP", "x", "0", "z", "MIN"), "-ERR numkeys should be greater than 0\r\n");
    EQ(W("BZMPOP", "x", "1", "z", "MIN"), "-ERR timeout is not a float or out of range\r\n");
    EQ(W("BZMPOP", "0", "1", "z", "MIN", "COUNT", "0"), "-ERR count should be greater than 0\r\n");
    EQ(W("SET", "s", "x"), "+OK\r\n");
    EQ(W("BZPOPMIN", "nokey", "s", "0"), WRONGTYPE);
    EQ(W("BZPOPMIN", "z", "s", "0"), "*3\r\n$1\r\nz\r\n$1\r\nc\r\n$1\r\n3\r\n");
    t->proto = 3;
    EQ(write_ctx(t, &blocked, &timeout, 3, popmax), "_\r\n");
    assert_true(blocked);
    CONSISTENT();
}

/* ---- RESP3 -------------------------------------------------------------------------------------- */

static void test_resp3(void **state)
{
    cmdtest_t *t = *state;
    t->proto = 3;
    EQ(W("ZADD", "z", "1", "a", "2.5", "b", "inf", "c"), ":3\r\n");
    EQ(R("ZSCORE", "z", "b"), ",2.5\r\n");
    EQ(R("ZSCORE", "z", "x"), "_\r\n");
    EQ(R("ZMSCORE", "z", "c", "x"), "*2\r\n,inf\r\n_\r\n");
    EQ(R("ZRANK", "z", "x"), "_\r\n");
    EQ(R("ZRANGE", "z", "0", "1", "WITHSCORES"), "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n");
    EQ(R("ZRANGE", "z", "0", "1"), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    EQ(R("ZREVRANGEBYSCORE", "z", "+inf", "2", "WITHSCORES"),
       "*2\r\n*2\r\n$1\r\nc\r\n,inf\r\n*2\r\n$1\r\nb\r\n,2.5\r\n");
    EQ(R("ZUNION", "1", "z", "WITHSCORES"), "*3\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n*2\r\n$1\r\nc\r\n,inf\r\n");
    EQ(R("ZRANDMEMBER", "nokey"), "_\r\n");
    assert_int_equal(R("ZRANDMEMBER", "z", "-2", "WITHSCORES")[0], (int)'*');
    EQ(R("ZSCAN", "z", "0"), "*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n2.5\r\n$1\r\nc\r\n$3\r\ninf\r\n");
    EQ(W("ZINCRBY", "z", "1", "a"), ",2\r\n");
    EQ(W("ZADD", "z", "xx", "incr", "1", "nope"), "_\r\n");
    EQ(W("ZPOPMIN", "z"), "*2\r\n$1\r\na\r\n,2\r\n");
    EQ(W("ZPOPMIN", "z", "1"), "*1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n");
    EQ(W("ZMPOP", "1", "z", "MIN"), "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nc\r\n,inf\r\n");
    EQ(W("ZMPOP", "1", "z", "MIN"), "_\r\n");
}

/* ---- random members, scan ------------------------------------------------------------------------- */

static void test_zrandmember(void **state)
{
    cmdtest_t *t = *state;
    EQ(R("ZRANDMEMBER", "nokey"), "$-1\r\n");
    EQ(R("ZRANDMEMBER", "nokey", "2"), "*0\r\n");
    EQ(W("ZADD", "z", "1", "a", "2", "b"), ":2\r\n");
    EQ(R("ZRANDMEMBER", "z", "x"), NOTINT);
    EQ(R("ZRANDMEMBER", "z", "1", "foo"), SYNTAX);
    EQ(R("ZRANDMEMBER", "z", "1", "withscores", "x"), SYNTAX);
    EQ(R("ZRANDMEMBER", "z", "-9223372036854775808"),
       "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n");
    EQ(R("ZRANDMEMBER", "z", "-4611686018427387904", "withscores"), "-ERR value is out of range\r\n");
    EQ(R("ZRANDMEMBER", "z", "0"), "*0\r\n");
    const char *one = R("ZRANDMEMBER", "z");
    assert_true(strcmp(one, "$1\r\na\r\n") == 0 || strcmp(one, "$1\r\nb\r\n") == 0);
    /* a count at least the size gives every member once */
    const char *all = R("ZRANDMEMBER", "z", "5", "WITHSCORES");
    assert_true(strcmp(all, "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n") == 0 ||
                strcmp(all, "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n") == 0);
    /* a negative count may repeat */
    const char *rep = R("ZRANDMEMBER", "z", "-6");
    assert_memory_equal(rep, "*6\r\n", 4);
    assert_int_equal(strlen(rep), 4 + 6 * 7);
    EQ(W("SET", "s", "x"), "+OK\r\n");
    EQ(R("ZRANDMEMBER", "s"), WRONGTYPE);
}

/* Members <c>NNNNN with score NNNNN, n of them, 100 per ZADD. */
static void zfill_big(cmdtest_t *t, const char *key, int n, char c)
{
    const char *argv[202];
    size_t lens[202];
    char names[100][2][16];
    for (int base = 0; base < n; base += 100) {
        int argc = 0;
        argv[argc] = "ZADD", lens[argc++] = 4;
        argv[argc] = key, lens[argc++] = strlen(key);
        for (int i = base; i < n && i < base + 100; i++) {
            snprintf(names[i - base][0], 16, "%d", i);
            snprintf(names[i - base][1], 16, "%c%05d", c, i);
            argv[argc] = names[i - base][0], lens[argc++] = strlen(names[i - base][0]);
            argv[argc] = names[i - base][1], lens[argc++] = 6;
        }
        const char *r = ct_run(t, true, true, argc, argv, lens);
        assert_true(r[0] == ':');
    }
}

/* The number of a member <c>NNNNN below n; with a score, it must match. */
static int zbig_member(bulk_t m, const bulk_t *score, char c, int n)
{
    assert_int_equal(m.len, 6);
    assert_true(m.p[0] == c);
    int x = atoi(m.p + 1);
    assert_true(x >= 0 && x < n);
    if (score) {
        char want[16];
        snprintf(want, sizeof(want), "%d", x);
        assert_int_equal(score->len, strlen(want));
        assert_memory_equal(score->p, want, score->len);
    }
    return x;
}

/* A large sorted set is drawn from its member sub-keys without a walk:
 * members with their own scores, small counts drawn separately, and 200
 * evenly spread members all reached about equally often. */
static void test_zrandmember_big(void **state)
{
    cmdtest_t *t = *state;
    zfill_big(t, "big", 5000, 'm');
    for (int i = 0; i < 1000; i++) {
        R("ZRANDMEMBER", "big");
        size_t pos = 0;
        zbig_member(ct_read_bulk(t->out, t->outlen, &pos), NULL, 'm', 5000);
        assert_int_equal(pos, t->outlen);
    }
    for (int k = 0; k < 2; k++) {
        size_t want = k ? 12 : 10;
        R("ZRANDMEMBER", "big", k ? "12" : "-10", "WITHSCORES");
        size_t pos = 0;
        assert_int_equal(ct_read_agg(t->out, t->outlen, &pos, '*'), want * 2);
        int got[12];
        for (size_t i = 0; i < want; i++) {
            ct_bulk_t m = ct_read_bulk(t->out, t->outlen, &pos);
            ct_bulk_t sc = ct_read_bulk(t->out, t->outlen, &pos);
            got[i] = zbig_member(m, &sc, 'm', 5000);
            for (size_t j = 0; k && j < i; j++)
                assert_int_not_equal(got[i], got[j]);
        }
        assert_int_equal(pos, t->outlen);
    }
    t->proto = 3;
    R("ZRANDMEMBER", "big", "-3", "WITHSCORES");
    assert_memory_equal(t->out, "*3\r\n*2\r\n$6\r\nm", 13);
    t->proto = 2;

    enum { N = 200 };
    int count[N] = {0};
    zfill_big(t, "even", N, 'e');
    for (int i = 0; i < 20 * N; i++) {
        /* inside an applied entry: the entry's generator, no flakes */
        const char *argv[] = {"ZRANDMEMBER", "even"};
        ct_runv(t, true, false, 2, argv);
        size_t pos = 0;
        count[zbig_member(ct_read_bulk(t->out, t->outlen, &pos), NULL, 'e', N)]++;
    }
    for (int i = 0; i < N; i++)
        assert_true(count[i] > 0 && count[i] <= 3 * 20);
    CONSISTENT();
}

/* Parses a ZSCAN reply: returns the cursor, counts members into seen[]. */
static unsigned long long scan_reply(const char *r, int *seen, int *nitems)
{
    unsigned long long cur;
    const char *p = strstr(r, "\r\n") + 2; /* after *2 */
    p = strstr(p, "\r\n") + 2;             /* after $n */
    cur = strtoull(p, NULL, 10);
    p = strstr(p, "\r\n") + 2;
    int n = atoi(p + 1);
    p = strstr(p, "\r\n") + 2;
    *nitems = n;
    for (int i = 0; i < n; i += 2) {
        int len = atoi(p + 1);
        p = strstr(p, "\r\n") + 2;
        int m = atoi(p + 1); /* members are "m<number>" */
        assert_true(len > 1 && p[0] == 'm');
        seen[m]++;
        p += len + 2;
        len = atoi(p + 1);
        p = strstr(p, "\r\n") + 2 + len + 2;
    }
    return cur;
}

static void test_zscan(void **state)
{
    cmdtest_t *t = *state;
    EQ(R("ZSCAN", "nokey", "0", "COUNT", "0"), "*2\r\n$1\r\n0\r\n*0\r\n");
    EQ(W("ZADD", "z", "1", "a", "2", "b"), ":2\r\n");
    EQ(R("ZSCAN", "z", "x"), "-ERR invalid cursor\r\n");
    EQ(R("ZSCAN", "z", "0", "COUNT", "0"), SYNTAX);
    EQ(R("ZSCAN", "z", "0", "COUNT", "x"), NOTINT);
    EQ(R("ZSCAN", "z", "0", "TYPE", "zset"), SYNTAX);
    EQ(R("ZSCAN", "z", "0", "MATCH", "a"), "*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n");
    EQ(R("ZSCAN", "z", "0"), "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
    EQ(W("SET", "s", "x"), "+OK\r\n");
    EQ(R("ZSCAN", "s", "0"), WRONGTYPE);
    /* a large set: a full iteration returns every member, some calls in pieces */
    enum { N = 300 };
    for (int i = 0; i < N; i++) {
        char m[16], s[16];
        snprintf(m, sizeof(m), "m%d", i);
        snprintf(s, sizeof(s), "%d", i % 7);
        CT_W(t, "ZADD", "big", s, m);
    }
    int seen[N] = {0}, calls = 0, nitems;
    unsigned long long cur = 0;
    do {
        char cs[32];
        snprintf(cs, sizeof(cs), "%llu", cur);
        cur = scan_reply(R("ZSCAN", "big", cs, "COUNT", "25"), seen, &nitems);
        assert_true(nitems <= 50);
        calls++;
    } while (cur != 0 && calls < 1000);
    assert_true(calls > 5);
    for (int i = 0; i < N; i++) assert_int_equal(seen[i], 1);
}

/* ---- durability, determinism ------------------------------------------------------------------------- */

static void run_script(cmdtest_t *t)
{
    CT_W(t, "ZADD", "z", "1", "a", "2", "b", "-inf", "c", "1e300", "d");
    CT_W(t, "ZINCRBY", "z", "0.5", "a");
    CT_W(t, "ZADD", "y", "3", "a", "4", "x");
    CT_W(t, "ZUNIONSTORE", "u", "2", "z", "y", "WEIGHTS", "2", "0.5");
    CT_W(t, "ZINTERSTORE", "i", "2", "z", "y", "AGGREGATE", "MAX");
    CT_W(t, "ZPOPMAX", "z");
    CT_W(t, "ZRANGESTORE", "r", "u", "0", "1");
    CT_W(t, "ZREMRANGEBYSCORE", "y", "4", "4");
    CT_W(t, "EXPIRE", "u", "100");
}

static char *dump(cmdtest_t *t)
{
    const char *keys[] = {"z", "y", "u", "i", "r"};
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    for (size_t k = 0; k < 5; k++) {
        const char *r = CT_R(t, "ZRANGE", keys[k], "0", "-1", "WITHSCORES");
        size_t n = strlen(r);
        assert_true(len + n < cap);
        memcpy(out + len, r, n);
        len += n;
        r = CT_R(t, "TTL", keys[k]);
        n = strlen(r);
        assert_true(len + n < cap);
        memcpy(out + len, r, n);
        len += n;
    }
    out[len] = '\0';
    return out;
}

static void test_reopen_and_determinism(void **state)
{
    cmdtest_t *t = *state;
    run_script(t);
    char *before = dump(t);
    assert_string_equal(before,
                        "*6\r\n$1\r\nc\r\n$4\r\n-inf\r\n$1\r\na\r\n$3\r\n1.5\r\n$1\r\nb\r\n$1\r\n2\r\n:-1\r\n"
                        "*2\r\n$1\r\na\r\n$1\r\n3\r\n:-1\r\n"
                        "*10\r\n$1\r\nc\r\n$4\r\n-inf\r\n$1\r\nx\r\n$1\r\n2\r\n$1\r\nb\r\n$1\r\n4\r\n$1\r\na\r\n$3\r\n4.5\r\n"
                        "$1\r\nd\r\n$23\r\n2.0000000000000001e+300\r\n:100\r\n"
                        "*2\r\n$1\r\na\r\n$1\r\n3\r\n:-1\r\n"
                        "*4\r\n$1\r\nc\r\n$4\r\n-inf\r\n$1\r\nx\r\n$1\r\n2\r\n:-1\r\n");
    CONSISTENT();
    ct_reopen(t);
    char *after = dump(t);
    assert_string_equal(before, after);
    CONSISTENT();
    /* the same commands on another replica give the same state and records */
    cmdtest_t *t2 = ct_open();
    t2->now_ms = t->now_ms;
    run_script(t2);
    char *other = dump(t2);
    assert_string_equal(before, other);
    assert_int_equal(ct_count_prefix(t, 's'), ct_count_prefix(t2, 's'));
    assert_int_equal(ct_count_prefix(t, 'm'), ct_count_prefix(t2, 'm'));
    ct_close(t2);
    free(before);
    free(after);
    free(other);
}

static void test_wrongtype_everywhere(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SET", "s", "x"), "+OK\r\n");
    EQ(W("ZADD", "s", "1", "a"), WRONGTYPE);
    EQ(R("ZCOUNT", "s", "1", "2"), WRONGTYPE);
    EQ(R("ZLEXCOUNT", "s", "-", "+"), WRONGTYPE);
    EQ(R("ZRANGEBYSCORE", "s", "1", "2"), WRONGTYPE);
    EQ(R("ZRANGEBYLEX", "s", "-", "+"), WRONGTYPE);
    EQ(R("ZREVRANGE", "s", "0", "1"), WRONGTYPE);
    EQ(W("ZREMRANGEBYSCORE", "s", "1", "2"), WRONGTYPE);
    EQ(W("ZREMRANGEBYLEX", "s", "-", "+"), WRONGTYPE);
    EQ(W("ZPOPMAX", "s"), WRONGTYPE);
    EQ(R("ZINTER", "1", "s"), WRONGTYPE);
    EQ(R("ZDIFF", "1", "s"), WRONGTYPE);
    EQ(R("ZINTERCARD", "1", "s"), WRONGTYPE);
    EQ(R("GET", "s"), "$1\r\nx\r\n");
    EQ(W("ZADD", "z", "1", "a"), ":1\r\n");
    EQ(R("GET", "z"), WRONGTYPE);
    CONSISTENT();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_order_and_formatting, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_zadd_options, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_zincrby, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_zrem_and_reads, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_rank_ranges, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_score_ranges, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_lex_ranges, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_zrangestore, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_zremrange, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_setops, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_setop_errors, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_setop_sum_order, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_pops, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_blocking, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_resp3, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_zrandmember, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_zrandmember_big, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_zscan, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_reopen_and_determinism, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_wrongtype_everywhere, ct_setup, ct_teardown),
    };
    return cmocka_run_group_tests_name("t_zset", tests, NULL, NULL);
}
