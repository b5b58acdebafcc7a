/* List commands against a real RocksDB keyspace. Expected replies were
 * checked against redis-server 7.0.15, RESP2 and RESP3. */
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

static const char T_FLOAT[] = "-ERR timeout is not a float or out of range\r\n";
static const char T_NEG[] = "-ERR timeout is negative\r\n";

/* Runs a write and keeps what the command said about blocking. */
typedef struct blk {
    bool blocked;
    int64_t timeout_ms;
} blk_t;

static const char *run_blk(cmdtest_t *t, blk_t *b, int argc, const char *const *argv)
{
    ct_runv(t, true, false, argc, argv);
    b->blocked = t->blocked;
    b->timeout_ms = t->block_timeout_ms;
    return t->out;
}
#define B(b, ...)                                                                                  \
    run_blk(t, (b), (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)),           \
            (const char *[]){__VA_ARGS__})

/* ---- push, pop, length ------------------------------------------------------- */

static void test_push_pop(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("LPUSH", "l", "a", "b", "c"), ":3\r\n");
    EQ(W("RPUSH", "l", "d", "e"), ":5\r\n");
    EQ(R("LRANGE", "l", "0", "-1"), "*5\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nd\r\n$1\r\ne\r\n");
    EQ(R("LLEN", "l"), ":5\r\n");
    EQ(R("LLEN", "nokey"), ":0\r\n");
    COUNTERS(1, 0);
    assert_int_equal(ct_count_prefix(t, 's'), 5);
    EQ(W("LPOP", "l"), "$1\r\nc\r\n");
    EQ(W("RPOP", "l"), "$1\r\ne\r\n");
    assert_int_equal(ct_count_prefix(t, 's'), 3); /* popped sub-keys are gone */
    EQ(W("LPOP", "l", "0"), "*0\r\n");
    EQ(W("LPOP", "l", "-1"), POSITIVE);
    EQ(W("LPOP", "l", "x"), POSITIVE);
    EQ(W("RPOP", "l", "01"), POSITIVE);
    EQ(W("LPOP", "l", "1", "2"), "-ERR wrong number of arguments for 'lpop' command\r\n");
    EQ(W("RPOP", "l", "1", "2"), "-ERR wrong number of arguments for 'rpop' command\r\n");
    EQ(W("LPUSH", "l"), "-ERR wrong number of arguments for 'lpush' command\r\n");
    EQ(W("RPOP", "l", "2"), "*2\r\n$1\r\nd\r\n$1\r\na\r\n");
    EQ(W("LPOP", "l", "9223372036854775807"), "*1\r\n$1\r\nb\r\n");
    /* the last pop deleted the key */
    EQ(R("EXISTS", "l"), ":0\r\n");
    COUNTERS(0, 0);
    EQ(W("LPOP", "l"), "$-1\r\n");
    EQ(W("LPOP", "l", "1"), "*-1\r\n");
    EQ(W("LPOP", "l", "0"), "*-1\r\n");
    EQ(W("LPOP", "l", "-1"), POSITIVE); /* count before the key */
    t->proto = 3;
    EQ(W("LPOP", "l"), "_\r\n");
    EQ(W("RPOP", "l", "1"), "_\r\n");
    EQ(W("RPUSH", "l", "x"), ":1\r\n");
    EQ(W("RPOP", "l", "3"), "*1\r\n$1\r\nx\r\n");
    EQ(W("RPUSH", "l", "x"), ":1\r\n");
    EQ(W("LPOP", "l", "0"), "*0\r\n");
    EQ(W("RPOP", "l"), "$1\r\nx\r\n");
    COUNTERS(0, 0);
}

static void test_pushx_wrongtype(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("LPUSHX", "l", "a"), ":0\r\n");
    EQ(W("RPUSHX", "l", "a", "b"), ":0\r\n");
    EQ(R("EXISTS", "l"), ":0\r\n");
    EQ(W("RPUSH", "l", "a"), ":1\r\n");
    EQ(W("LPUSHX", "l", "b", "c"), ":3\r\n");
    EQ(W("RPUSHX", "l", "d"), ":4\r\n");
    EQ(R("LRANGE", "l", "0", "-1"), "*4\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nd\r\n");
    EQ(W("SET", "s", "v"), "+OK\r\n");
    EQ(W("LPUSH", "s", "a"), WRONGTYPE);
    EQ(W("RPUSH", "s", "a"), WRONGTYPE);
    EQ(W("LPUSHX", "s", "a"), WRONGTYPE);
    EQ(W("RPUSHX", "s", "a"), WRONGTYPE);
    EQ(W("LPOP", "s"), WRONGTYPE);
    EQ(W("RPOP", "s", "1"), WRONGTYPE);
    EQ(W("LPOP", "s", "x"), POSITIVE);
    EQ(R("LLEN", "s"), WRONGTYPE);
    EQ(R("LRANGE", "s", "0", "1"), WRONGTYPE);
    EQ(R("LRANGE", "s", "x", "1"), NOTINT); /* indices first */
    EQ(R("LINDEX", "s", "x"), WRONGTYPE);    /* key first */
    EQ(W("LSET", "s", "x", "a"), WRONGTYPE);
    EQ(W("LTRIM", "s", "0", "1"), WRONGTYPE);
    EQ(W("LTRIM", "s", "x", "1"), NOTINT);
    EQ(W("LREM", "s", "0", "a"), WRONGTYPE);
    EQ(W("LREM", "s", "x", "a"), NOTINT);
    EQ(W("LINSERT", "s", "before", "a", "b"), WRONGTYPE);
    EQ(W("LINSERT", "s", "middle", "a", "b"), SYNTAX);
    EQ(R("LPOS", "s", "a"), WRONGTYPE);
    EQ(R("LPOS", "s", "a", "rank", "0"),
       "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to "
       "start from the end of the list\r\n");
    EQ(W("LMOVE", "s", "l", "left", "left"), WRONGTYPE);
    EQ(W("LMOVE", "l", "s", "left", "left"), WRONGTYPE);
    EQ(W("LMOVE", "nokey", "s", "left", "left"), "$-1\r\n"); /* empty source: dst not looked at */
    EQ(W("RPOPLPUSH", "l", "s"), WRONGTYPE);
    EQ(W("LMPOP", "2", "nokey", "s", "left"), WRONGTYPE);
    EQ(W("LMPOP", "2", "l", "s", "left"), "*2\r\n$1\r\nl\r\n*1\r\n$1\r\nc\r\n");
    EQ(R("LLEN", "l"), ":3\r\n"); /* the failed moves moved nothing */
    EQ(R("GET", "s"), "$1\r\nv\r\n");
    COUNTERS(2, 0);
}

/* ---- ranges and positions ---------------------------------------------------- */

static void test_lrange_lindex_lset(void **state)
{
    cmdtest_t *t = *state;
    EQ(R("LRANGE", "l", "0", "-1"), "*0\r\n");
    EQ(R("LRANGE", "l", "x", "-1"), NOTINT);
    EQ(W("RPUSH", "l", "a", "b", "c", "d", "e", "f"), ":6\r\n");
    EQ(R("LRANGE", "l", "-100", "100"),
       "*6\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nf\r\n");
    EQ(R("LRANGE", "l", "-9223372036854775808", "9223372036854775807"),
       "*6\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nf\r\n");
    EQ(R("LRANGE", "l", "2", "1"), "*0\r\n");
    EQ(R("LRANGE", "l", "-2", "-1"), "*2\r\n$1\r\ne\r\n$1\r\nf\r\n");
    EQ(R("LRANGE", "l", "5", "10"), "*1\r\n$1\r\nf\r\n");
    EQ(R("LRANGE", "l", "6", "10"), "*0\r\n");
    EQ(R("LRANGE", "l", "1", "-6"), "*0\r\n");
    EQ(R("LRANGE", "l", "0", "-7"), "*0\r\n");
    EQ(R("LRANGE", "l", "1", "2"), "*2\r\n$1\r\nb\r\n$1\r\nc\r\n");
    EQ(R("LINDEX", "l", "0"), "$1\r\na\r\n");
    EQ(R("LINDEX", "l", "-1"), "$1\r\nf\r\n");
    EQ(R("LINDEX", "l", "-6"), "$1\r\na\r\n");
    EQ(R("LINDEX", "l", "-7"), "$-1\r\n");
    EQ(R("LINDEX", "l", "6"), "$-1\r\n");
    EQ(R("LINDEX", "l", "x"), NOTINT);
    EQ(R("LINDEX", "nokey", "x"), "$-1\r\n");
    EQ(W("LSET", "l", "0", "A"), "+OK\r\n");
    EQ(W("LSET", "l", "-1", "F"), "+OK\r\n");
    EQ(W("LSET", "l", "2", "C"), "+OK\r\n");
    EQ(W("LSET", "l", "6", "z"), "-ERR index out of range\r\n");
    EQ(W("LSET", "l", "-7", "z"), "-ERR index out of range\r\n");
    EQ(W("LSET", "l", "x", "z"), NOTINT);
    EQ(W("LSET", "nokey", "x", "z"), "-ERR no such key\r\n");
    EQ(R("LRANGE", "l", "0", "-1"),
       "*6\r\n$1\r\nA\r\n$1\r\nb\r\n$1\r\nC\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nF\r\n");
    assert_int_equal(ct_count_prefix(t, 's'), 6);
    t->proto = 3;
    EQ(R("LINDEX", "l", "9"), "_\r\n");
    EQ(R("LINDEX", "nokey", "0"), "_\r\n");
    EQ(R("LRANGE", "nokey", "0", "-1"), "*0\r\n");
    COUNTERS(1, 0);
}

static void test_ltrim(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("LTRIM", "l", "0", "1"), "+OK\r\n");
    EQ(W("LTRIM", "l", "x", "1"), NOTINT);
    EQ(W("RPUSH", "l", "a", "b", "c", "d", "e", "f"), ":6\r\n");
    EQ(W("LTRIM", "l", "1", "-2"), "+OK\r\n");
    EQ(R("LRANGE", "l", "0", "-1"), "*4\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n");
    assert_int_equal(ct_count_prefix(t, 's'), 4);
    EQ(W("LTRIM", "l", "-100", "100"), "+OK\r\n");
    EQ(R("LLEN", "l"), ":4\r\n");
    EQ(W("LTRIM", "l", "-2", "-1"), "+OK\r\n");
    EQ(R("LRANGE", "l", "0", "-1"), "*2\r\n$1\r\nd\r\n$1\r\ne\r\n");
    EQ(W("LTRIM", "l", "1", "0"), "+OK\r\n");
    EQ(R("EXISTS", "l"), ":0\r\n");
    EQ(W("RPUSH", "l", "a", "b"), ":2\r\n");
    EQ(W("LTRIM", "l", "2", "5"), "+OK\r\n");
    EQ(R("EXISTS", "l"), ":0\r\n");
    COUNTERS(0, 0);
}

static void test_linsert_lrem(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("LINSERT", "l", "before", "a", "b"), ":0\r\n");
    EQ(W("LINSERT", "l", "middle", "a", "b"), SYNTAX);
    EQ(R("EXISTS", "l"), ":0\r\n");
    EQ(W("RPUSH", "l", "a", "b", "c"), ":3\r\n");
    EQ(W("LINSERT", "l", "BEFORE", "a", "0"), ":4\r\n");
    EQ(W("LINSERT", "l", "After", "c", "9"), ":5\r\n");
    EQ(W("LINSERT", "l", "after", "a", "1"), ":6\r\n");
    EQ(W("LINSERT", "l", "before", "c", "2"), ":7\r\n");
    EQ(W("LINSERT", "l", "before", "zz", "2"), ":-1\r\n");
    EQ(R("LRANGE", "l", "0", "-1"),
       "*7\r\n$1\r\n0\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n9\r\n");
    assert_int_equal(ct_count_prefix(t, 's'), 7);
    EQ(W("RPUSH", "l", "a", "x", "a"), ":10\r\n");
    EQ(W("LREM", "l", "1", "a"), ":1\r\n");
    EQ(W("LREM", "l", "-1", "a"), ":1\r\n");
    EQ(R("LRANGE", "l", "0", "-1"),
       "*8\r\n$1\r\n0\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n9\r\n$1\r\na\r\n$1\r\nx\r\n");
    EQ(W("LREM", "l", "0", "zz"), ":0\r\n");
    EQ(W("LREM", "l", "x", "zz"), NOTINT);
    EQ(W("LREM", "nokey", "0", "a"), ":0\r\n");
    EQ(W("RPUSH", "m", "a", "b", "a", "c", "a"), ":5\r\n");
    EQ(W("LREM", "m", "-2", "a"), ":2\r\n");
    EQ(R("LRANGE", "m", "0", "-1"), "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
    EQ(W("RPUSH", "m", "a", "a"), ":5\r\n");
    EQ(W("LREM", "m", "0", "a"), ":3\r\n");
    EQ(R("LRANGE", "m", "0", "-1"), "*2\r\n$1\r\nb\r\n$1\r\nc\r\n");
    assert_int_equal(ct_count_prefix(t, 's'), 10);
    EQ(W("LREM", "m", "-9223372036854775808", "b"), ":1\r\n");
    EQ(W("LREM", "m", "0", "c"), ":1\r\n");
    EQ(R("EXISTS", "m"), ":0\r\n");
    COUNTERS(1, 0);
}

static void test_lpos(void **state)
{
    cmdtest_t *t = *state;
    EQ(R("LPOS", "l", "a"), "$-1\r\n");
    EQ(R("LPOS", "l", "a", "count", "0"), "*0\r\n");
    EQ(W("RPUSH", "l", "a", "b", "c", "a", "b", "c"), ":6\r\n");
    EQ(R("LPOS", "l", "a"), ":0\r\n");
    EQ(R("LPOS", "l", "c"), ":2\r\n");
    EQ(R("LPOS", "l", "zz"), "$-1\r\n");
    EQ(R("LPOS", "l", "a", "rank", "2"), ":3\r\n");
    EQ(R("LPOS", "l", "a", "rank", "-1"), ":3\r\n");
    EQ(R("LPOS", "l", "a", "rank", "-2"), ":0\r\n");
    EQ(R("LPOS", "l", "a", "rank", "3"), "$-1\r\n");
    EQ(R("LPOS", "l", "a", "rank", "1", "rank", "2"), ":3\r\n");
    EQ(R("LPOS", "l", "a", "count", "0"), "*2\r\n:0\r\n:3\r\n");
    EQ(R("LPOS", "l", "a", "count", "1"), "*1\r\n:0\r\n");
    EQ(R("LPOS", "l", "zz", "count", "1"), "*0\r\n");
    EQ(R("LPOS", "l", "a", "rank", "2", "count", "0"), "*1\r\n:3\r\n");
    EQ(R("LPOS", "l", "a", "rank", "-1", "count", "0", "maxlen", "3"), "*1\r\n:3\r\n");
    EQ(R("LPOS", "l", "c", "rank", "-1", "count", "0", "maxlen", "3"), "*1\r\n:5\r\n");
    EQ(R("LPOS", "l", "c", "maxlen", "3"), ":2\r\n");
    EQ(R("LPOS", "l", "c", "maxlen", "2"), "$-1\r\n");
    EQ(R("LPOS", "l", "a", "RANK", "2", "COUNT", "1", "MAXLEN", "0"), "*1\r\n:3\r\n");
    EQ(R("LPOS", "l", "a", "rank", "9223372036854775807"), "$-1\r\n");
    EQ(R("LPOS", "l", "a", "rank", "-9223372036854775807", "count", "1"), "*0\r\n");
    /* Redis 7.0: the most negative rank reaches every match from the tail */
    EQ(R("LPOS", "l", "a", "rank", "-9223372036854775808"), ":3\r\n");
    EQ(R("LPOS", "l", "a", "rank", "-9223372036854775808", "count", "1"), "*2\r\n:3\r\n:0\r\n");
    /* errors */
    EQ(R("LPOS", "l", "a", "rank", "0"),
       "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to "
       "start from the end of the list\r\n");
    EQ(R("LPOS", "l", "a", "rank", "x"), NOTINT);
    EQ(R("LPOS", "l", "a", "count", "-1"), "-ERR COUNT can't be negative\r\n");
    EQ(R("LPOS", "l", "a", "count", "x"), "-ERR COUNT can't be negative\r\n");
    EQ(R("LPOS", "l", "a", "maxlen", "-1"), "-ERR MAXLEN can't be negative\r\n");
    EQ(R("LPOS", "l", "a", "maxlen", "x"), "-ERR MAXLEN can't be negative\r\n");
    EQ(R("LPOS", "l", "a", "rank"), SYNTAX);
    EQ(R("LPOS", "l", "a", "foo"), SYNTAX);
    EQ(R("LPOS", "l", "a", "rank", "1", "count"), SYNTAX);
    EQ(R("LPOS", "nokey", "a", "rank", "0"),
       "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to "
       "start from the end of the list\r\n");
    t->proto = 3;
    EQ(R("LPOS", "l", "zz"), "_\r\n");
    EQ(R("LPOS", "nokey", "zz"), "_\r\n");
    EQ(R("LPOS", "nokey", "zz", "count", "0"), "*0\r\n");
}

/* ---- moves --------------------------------------------------------------------- */

static void test_lmove_rpoplpush(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("LMOVE", "l", "m", "left", "right"), "$-1\r\n");
    EQ(W("LMOVE", "l", "m", "up", "right"), SYNTAX);
    EQ(W("LMOVE", "l", "m", "left", "down"), SYNTAX);
    EQ(W("RPOPLPUSH", "l", "m"), "$-1\r\n");
    EQ(W("RPUSH", "l", "a", "b", "c"), ":3\r\n");
    /* rotation on one key */
    EQ(W("LMOVE", "l", "l", "left", "right"), "$1\r\na\r\n");
    EQ(R("LRANGE", "l", "0", "-1"), "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n");
    EQ(W("RPOPLPUSH", "l", "l"), "$1\r\na\r\n");
    EQ(R("LRANGE", "l", "0", "-1"), "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
    EQ(W("LMOVE", "l", "l", "left", "left"), "$1\r\na\r\n");
    EQ(W("LMOVE", "l", "l", "RIGHT", "RIGHT"), "$1\r\nc\r\n");
    EQ(R("LRANGE", "l", "0", "-1"), "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
    assert_int_equal(ct_count_prefix(t, 's'), 3);
    EQ(W("LMOVE", "l", "m", "right", "left"), "$1\r\nc\r\n");
    EQ(W("LMOVE", "l", "m", "left", "left"), "$1\r\na\r\n");
    EQ(W("RPOPLPUSH", "l", "m"), "$1\r\nb\r\n");
    EQ(R("EXISTS", "l"), ":0\r\n");
    EQ(R("LRANGE", "m", "0", "-1"), "*3\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nc\r\n");
    /* a one-element list moved onto itself stays */
    EQ(W("RPUSH", "one", "x"), ":1\r\n");
    EQ(W("LMOVE", "one", "one", "left", "right"), "$1\r\nx\r\n");
    EQ(W("LMOVE", "one", "one", "right", "left"), "$1\r\nx\r\n");
    EQ(R("LRANGE", "one", "0", "-1"), "*1\r\n$1\r\nx\r\n");
    assert_int_equal(ct_count_prefix(t, 's'), 4);
    COUNTERS(2, 0);
    t->proto = 3;
    EQ(W("LMOVE", "nokey", "m", "left", "right"), "_\r\n");
    EQ(W("RPOPLPUSH", "nokey", "m"), "_\r\n");
}

static void test_lmpop(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("LMPOP", "1", "l", "left"), "*-1\r\n");
    EQ(W("RPUSH", "b", "1", "2", "3"), ":3\r\n");
    EQ(W("LMPOP", "2", "a", "b", "left"), "*2\r\n$1\r\nb\r\n*1\r\n$1\r\n1\r\n");
    EQ(W("LMPOP", "2", "a", "b", "RIGHT", "count", "1"), "*2\r\n$1\r\nb\r\n*1\r\n$1\r\n3\r\n");
    EQ(W("RPUSH", "a", "x", "y"), ":2\r\n");
    EQ(W("LMPOP", "2", "a", "b", "right", "COUNT", "10"), "*2\r\n$1\r\na\r\n*2\r\n$1\r\ny\r\n$1\r\nx\r\n");
    EQ(W("LMPOP", "2", "a", "b", "left", "count", "9223372036854775807"), "*2\r\n$1\r\nb\r\n*1\r\n$1\r\n2\r\n");
    EQ(W("LMPOP", "2", "a", "b", "left"), "*-1\r\n");
    COUNTERS(0, 0);
    /* errors, in Redis's order */
    EQ(W("LMPOP", "0", "a", "left"), "-ERR numkeys should be greater than 0\r\n");
    EQ(W("LMPOP", "-1", "a", "left"), "-ERR numkeys should be greater than 0\r\n");
    EQ(W("LMPOP", "x", "a", "left"), "-ERR numkeys should be greater than 0\r\n");
    EQ(W("LMPOP", "2", "a", "left"), SYNTAX);
    EQ(W("LMPOP", "9223372036854775807", "a", "left"), SYNTAX);
    EQ(W("LMPOP", "1", "a", "middle"), SYNTAX);
    EQ(W("LMPOP", "1", "a", "left", "count", "0"), "-ERR count should be greater than 0\r\n");
    EQ(W("LMPOP", "1", "a", "left", "count", "-1"), "-ERR count should be greater than 0\r\n");
    EQ(W("LMPOP", "1", "a", "left", "count", "9223372036854775808"), "-ERR count should be greater than 0\r\n");
    EQ(W("LMPOP", "1", "a", "left", "count", "1", "count", "2"), SYNTAX);
    EQ(W("LMPOP", "1", "a", "left", "count"), SYNTAX);
    EQ(W("LMPOP", "1", "a", "left", "foo"), SYNTAX);
    EQ(W("LMPOP", "2", "a"), "-ERR wrong number of arguments for 'lmpop' command\r\n");
    t->proto = 3;
    EQ(W("LMPOP", "1", "a", "left"), "_\r\n");
    EQ(W("RPUSH", "a", "x"), ":1\r\n");
    EQ(W("LMPOP", "1", "a", "left"), "*2\r\n$1\r\na\r\n*1\r\n$1\r\nx\r\n");
}

/* ---- blocking commands, as the log applies them --------------------------------- */

static void test_blocking_pops(void **state)
{
    cmdtest_t *t = *state;
    blk_t b;
    EQ(W("RPUSH", "l", "a", "b", "c"), ":3\r\n");
    EQ(B(&b, "BLPOP", "nokey", "l", "0"), "*2\r\n$1\r\nl\r\n$1\r\na\r\n");
    assert_false(b.blocked);
    EQ(B(&b, "BRPOP", "l", "nokey", "1.5"), "*2\r\n$1\r\nl\r\n$1\r\nc\r\n");
    assert_false(b.blocked);
    EQ(B(&b, "BLPOP", "l", "0"), "*2\r\n$1\r\nl\r\n$1\r\nb\r\n");
    EQ(R("EXISTS", "l"), ":0\r\n");
    /* nothing to pop: the reply of a client that cannot block, and a request to block */
    EQ(B(&b, "BLPOP", "l", "m", "0"), "*-1\r\n");
    assert_true(b.blocked);
    assert_int_equal(b.timeout_ms, 0);
    EQ(B(&b, "BRPOP", "l", "2.5"), "*-1\r\n");
    assert_true(b.blocked);
    assert_int_equal(b.timeout_ms, 2500);
    EQ(B(&b, "BLPOP", "l", "0.0009"), "*-1\r\n"); /* rounded up: 1 ms, not forever */
    assert_int_equal(b.timeout_ms, 1);
    EQ(B(&b, "BLPOP", "l", "-0.0001"), "*-1\r\n"); /* rounds up to 0: forever */
    assert_true(b.blocked);
    assert_int_equal(b.timeout_ms, 0);
    EQ(B(&b, "BLPOP", "l", "0x10"), "*-1\r\n");
    assert_int_equal(b.timeout_ms, 16000);
    EQ(B(&b, "BLPOP", "l", "9223372036854775"), "*-1\r\n");
    assert_int_equal(b.timeout_ms, 9223372036854775000LL);
    t->proto = 3;
    EQ(B(&b, "BLPOP", "l", "1"), "_\r\n");
    assert_true(b.blocked);
    t->proto = 2;
    /* timeout errors come first and never block */
    EQ(B(&b, "BLPOP", "l", "x"), T_FLOAT);
    assert_false(b.blocked);
    EQ(B(&b, "BLPOP", "l", "nan"), T_FLOAT);
    EQ(B(&b, "BLPOP", "l", " 1"), T_FLOAT);
    EQ(B(&b, "BLPOP", "l", ""), T_FLOAT);
    EQ(B(&b, "BLPOP", "l", "-1"), T_NEG);
    EQ(B(&b, "BLPOP", "l", "-0.002"), T_NEG);
    EQ(B(&b, "BLPOP", "l", "inf"), T_NEG);
    EQ(B(&b, "BLPOP", "l", "1e20"), T_NEG);
    EQ(B(&b, "BLPOP", "l", "9223372036854776"), T_NEG);
    EQ(B(&b, "BRPOP", "l", "-1e400"), T_NEG);
    assert_false(b.blocked);
    /* WRONGTYPE is an error, not a block; a non-empty list before it wins */
    EQ(W("SET", "s", "v"), "+OK\r\n");
    EQ(B(&b, "BLPOP", "l", "s", "0"), WRONGTYPE);
    assert_false(b.blocked);
    EQ(W("RPUSH", "l", "x"), ":1\r\n");
    EQ(B(&b, "BLPOP", "l", "s", "0"), "*2\r\n$1\r\nl\r\n$1\r\nx\r\n");
    EQ(B(&b, "BLPOP", "s", "x"), T_FLOAT);
    COUNTERS(1, 0);
}

static void test_blocking_moves(void **state)
{
    cmdtest_t *t = *state;
    blk_t b;
    EQ(W("RPUSH", "l", "a", "b", "c"), ":3\r\n");
    EQ(B(&b, "BLMOVE", "l", "m", "left", "right", "0"), "$1\r\na\r\n");
    assert_false(b.blocked);
    EQ(B(&b, "BRPOPLPUSH", "l", "m", "0"), "$1\r\nc\r\n");
    EQ(B(&b, "BLMOVE", "l", "l", "right", "left", "0"), "$1\r\nb\r\n");
    EQ(R("LRANGE", "m", "0", "-1"), "*2\r\n$1\r\nc\r\n$1\r\na\r\n");
    EQ(B(&b, "BLMOVE", "nokey", "m", "left", "right", "3"), "$-1\r\n");
    assert_true(b.blocked);
    assert_int_equal(b.timeout_ms, 3000);
    EQ(B(&b, "BRPOPLPUSH", "nokey", "m", "0"), "$-1\r\n");
    assert_true(b.blocked);
    assert_int_equal(b.timeout_ms, 0);
    EQ(B(&b, "BLMOVE", "nokey", "m", "up", "right", "x"), SYNTAX); /* directions first */
    assert_false(b.blocked);
    EQ(B(&b, "BLMOVE", "nokey", "m", "left", "right", "x"), T_FLOAT);
    EQ(B(&b, "BRPOPLPUSH", "nokey", "m", "-1"), T_NEG);
    EQ(W("SET", "s", "v"), "+OK\r\n");
    EQ(B(&b, "BLMOVE", "s", "m", "left", "right", "0"), WRONGTYPE);
    EQ(B(&b, "BLMOVE", "m", "s", "left", "right", "0"), WRONGTYPE);
    assert_false(b.blocked);
    EQ(B(&b, "BLMOVE", "nokey", "s", "left", "right", "0"), "$-1\r\n");
    assert_true(b.blocked);
    t->proto = 3;
    EQ(B(&b, "BRPOPLPUSH", "nokey", "m", "0"), "_\r\n");
    assert_true(b.blocked);
}

static void test_blocking_mpop(void **state)
{
    cmdtest_t *t = *state;
    blk_t b;
    EQ(W("RPUSH", "b", "1", "2", "3"), ":3\r\n");
    EQ(B(&b, "BLMPOP", "0", "2", "a", "b", "left", "count", "2"), "*2\r\n$1\r\nb\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    assert_false(b.blocked);
    EQ(B(&b, "BLMPOP", "0", "2", "a", "b", "right"), "*2\r\n$1\r\nb\r\n*1\r\n$1\r\n3\r\n");
    EQ(B(&b, "BLMPOP", "1.5", "2", "a", "b", "right"), "*-1\r\n");
    assert_true(b.blocked);
    assert_int_equal(b.timeout_ms, 1500);
    /* numkeys, direction and COUNT are checked before the timeout */
    EQ(B(&b, "BLMPOP", "x", "0", "a", "left"), "-ERR numkeys should be greater than 0\r\n");
    EQ(B(&b, "BLMPOP", "x", "1", "a", "up"), SYNTAX);
    EQ(B(&b, "BLMPOP", "x", "1", "a", "left", "count", "0"), "-ERR count should be greater than 0\r\n");
    EQ(B(&b, "BLMPOP", "x", "1", "a", "left"), T_FLOAT);
    EQ(B(&b, "BLMPOP", "-1", "1", "a", "left"), T_NEG);
    assert_false(b.blocked);
    EQ(W("SET", "s", "v"), "+OK\r\n");
    EQ(B(&b, "BLMPOP", "0", "2", "a", "s", "left"), WRONGTYPE);
    assert_false(b.blocked);
    t->proto = 3;
    EQ(B(&b, "BLMPOP", "0", "1", "a", "left"), "_\r\n");
    assert_true(b.blocked);
}

/* ---- keyspace behaviour ------------------------------------------------------------- */

static void test_ttl_and_expiry(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("RPUSH", "l", "a", "b", "c"), ":3\r\n");
    EQ(W("EXPIRE", "l", "100"), ":1\r\n");
    COUNTERS(1, 1);
    EQ(W("RPUSH", "l", "d"), ":4\r\n");
    EQ(W("LPOP", "l"), "$1\r\na\r\n");
    EQ(W("LSET", "l", "0", "B"), "+OK\r\n");
    EQ(W("LINSERT", "l", "before", "B", "z"), ":4\r\n");
    EQ(W("LREM", "l", "1", "z"), ":1\r\n");
    EQ(W("LTRIM", "l", "0", "1"), "+OK\r\n");
    EQ(W("LMOVE", "l", "l", "left", "right"), "$1\r\nB\r\n");
    EQ(R("TTL", "l"), ":100\r\n");
    COUNTERS(1, 1);
    /* a new destination gets no TTL */
    EQ(W("LMOVE", "l", "m", "left", "right"), "$1\r\nc\r\n");
    EQ(R("TTL", "m"), ":-1\r\n");
    COUNTERS(2, 1);
    /* popping the last element drops the key and its TTL */
    EQ(W("RPOP", "l"), "$1\r\nB\r\n");
    EQ(R("TTL", "l"), ":-2\r\n");
    COUNTERS(1, 0);
    /* an expired list is absent, and a push makes a fresh one */
    EQ(W("RPUSH", "e", "old1", "old2"), ":2\r\n");
    EQ(W("PEXPIRE", "e", "10"), ":1\r\n");
    t->now_ms += 20;
    EQ(R("LRANGE", "e", "0", "-1"), "*0\r\n");
    EQ(W("RPUSH", "e", "new"), ":1\r\n");
    EQ(R("LRANGE", "e", "0", "-1"), "*1\r\n$3\r\nnew\r\n");
    EQ(R("TTL", "e"), ":-1\r\n");
    COUNTERS(2, 0);
    EQ(W("SET", "e", "str"), "+OK\r\n"); /* a string replaces the list */
    EQ(R("LLEN", "e"), WRONGTYPE);
    EQ(W("DEL", "e"), ":1\r\n");
    EQ(W("LPUSH", "e", "again"), ":1\r\n");
    EQ(R("LRANGE", "e", "0", "-1"), "*1\r\n$5\r\nagain\r\n");
    COUNTERS(2, 0);
}

static void test_reopen(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("RPUSH", "l", "a", "b", "c"), ":3\r\n");
    EQ(W("LPUSH", "l", "z"), ":4\r\n");
    EQ(W("LINSERT", "l", "after", "a", "m"), ":5\r\n");
    EQ(W("EXPIRE", "l", "50"), ":1\r\n");
    EQ(W("RPUSH", "gone", "x"), ":1\r\n");
    EQ(W("RPOP", "gone"), "$1\r\nx\r\n");
    ct_reopen(t);
    COUNTERS(1, 1);
    EQ(R("LRANGE", "l", "0", "-1"), "*5\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\nm\r\n$1\r\nb\r\n$1\r\nc\r\n");
    EQ(R("TTL", "l"), ":50\r\n");
    EQ(R("EXISTS", "gone"), ":0\r\n");
    /* the head survived: pushes on both ends continue the same positions */
    EQ(W("LPUSH", "l", "y"), ":6\r\n");
    EQ(W("RPUSH", "l", "d"), ":7\r\n");
    EQ(R("LINDEX", "l", "0"), "$1\r\ny\r\n");
    EQ(R("LINDEX", "l", "-1"), "$1\r\nd\r\n");
    assert_int_equal(ct_count_prefix(t, 's'), 7);
}

static void test_binary(void **state)
{
    cmdtest_t *t = *state;
    const char key[] = "k\0y", e1[] = "\0\xff\r\n", e2[] = "";
    const char *push[] = {"RPUSH", key, e1, e2, e1};
    size_t pushl[] = {5, 3, 4, 0, 4};
    EQ(ct_run(t, true, true, 5, push, pushl), ":3\r\n");
    const char *rng[] = {"LRANGE", key, "0", "-1"};
    size_t rngl[] = {6, 3, 1, 2};
    ct_run(t, false, true, 4, rng, rngl);
    static const char want[] = "*3\r\n$4\r\n\0\xff\r\n\r\n$0\r\n\r\n$4\r\n\0\xff\r\n\r\n";
    assert_int_equal(t->outlen, sizeof(want) - 1);
    assert_memory_equal(t->out, want, sizeof(want) - 1);
    const char *pos[] = {"LPOS", key, e1, "COUNT", "0"};
    size_t posl[] = {4, 3, 4, 5, 1};
    EQ(ct_run(t, false, true, 5, pos, posl), "*2\r\n:0\r\n:2\r\n");
    const char *rem[] = {"LREM", key, "0", e1};
    size_t reml[] = {4, 3, 1, 4};
    EQ(ct_run(t, true, true, 4, rem, reml), ":2\r\n");
    const char *ins[] = {"LINSERT", key, "AFTER", e2, "\0"};
    size_t insl[] = {7, 3, 5, 0, 1};
    EQ(ct_run(t, true, true, 5, ins, insl), ":2\r\n");
    const char *pop[] = {"RPOP", key};
    size_t popl[] = {4, 3};
    ct_run(t, true, true, 2, pop, popl);
    assert_int_equal(t->outlen, 7);
    assert_memory_equal(t->out, "$1\r\n\0\r\n", 7);
    EQ(R("LLEN", "k"), ":0\r\n"); /* the key's prefix is another key */
    COUNTERS(1, 0);
}

/* ---- a long list against an array model ----------------------------------------- */

typedef struct model {
    char **v;
    size_t n, cap;
} model_t;

static void m_insert(model_t *m, size_t i, const char *s)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 1024;
        m->v = realloc(m->v, m->cap * sizeof(*m->v));
    }
    memmove(m->v + i + 1, m->v + i, (m->n - i) * sizeof(*m->v));
    m->v[i] = strdup(s);
    m->n++;
}

static void m_remove(model_t *m, size_t i)
{
    free(m->v[i]);
    memmove(m->v + i, m->v + i + 1, (m->n - i - 1) * sizeof(*m->v));
    m->n--;
}

/* The LRANGE reply the model gives for [from, to] (already clamped). */
static char *m_range(const model_t *m, size_t from, size_t to)
{
    size_t cap = 64, len = 0;
    char *out = malloc(cap);
    size_t cnt = from <= to && from < m->n ? to - from + 1 : 0;
    len += (size_t)sprintf(out, "*%zu\r\n", cnt);
    for (size_t i = from; i < from + cnt; i++) {
        size_t el = strlen(m->v[i]);
        while (len + el + 32 > cap) out = realloc(out, cap *= 2);
        len += (size_t)sprintf(out + len, "$%zu\r\n%s\r\n", el, m->v[i]);
    }
    return out;
}

static void check_all(cmdtest_t *t, const model_t *m)
{
    char *want = m_range(m, 0, m->n ? m->n - 1 : 0);
    EQ(R("LRANGE", "big", "0", "-1"), want);
    free(want);
    char n[32];
    snprintf(n, sizeof(n), ":%zu\r\n", m->n);
    EQ(R("LLEN", "big"), n);
    /* positions stay contiguous: no stale sub-key survives a move */
    assert_int_equal(ct_count_prefix(t, 's'), m->n);
}

static void test_long_list(void **state)
{
    cmdtest_t *t = *state;
    model_t m = {0};
    char buf[32], idx[32], idx2[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(buf, sizeof(buf), "e%d", i);
        if (i % 2) {
            EQ(W("RPUSH", "big", buf), (snprintf(idx, sizeof(idx), ":%d\r\n", i + 1), idx));
            m_insert(&m, m.n, buf);
        } else {
            EQ(W("LPUSH", "big", buf), (snprintf(idx, sizeof(idx), ":%d\r\n", i + 1), idx));
            m_insert(&m, 0, buf);
        }
    }
    check_all(t, &m);
    /* windows anywhere, with negative and out-of-range ends */
    static const long long win[][2] = {{0, 99}, {4950, 5049}, {9900, 20000}, {-100, -1}, {-10001, 5}, {5000, 5000}};
    for (size_t w = 0; w < sizeof(win) / sizeof(win[0]); w++) {
        snprintf(idx, sizeof(idx), "%lld", win[w][0]);
        snprintf(idx2, sizeof(idx2), "%lld", win[w][1]);
        long long a = win[w][0] < 0 ? win[w][0] + (long long)m.n : win[w][0];
        long long b = win[w][1] < 0 ? win[w][1] + (long long)m.n : win[w][1];
        if (a < 0) a = 0;
        if (b >= (long long)m.n) b = (long long)m.n - 1;
        char *want = m_range(&m, (size_t)a, (size_t)b);
        EQ(R("LRANGE", "big", idx, idx2), want);
        free(want);
    }
    /* LINDEX and LSET in the middle are single lookups */
    EQ(R("LINDEX", "big", "5000"), (snprintf(buf, sizeof(buf), "$%zu\r\n%s\r\n", strlen(m.v[5000]), m.v[5000]), buf));
    EQ(W("LSET", "big", "-5000", "mid"), "+OK\r\n");
    free(m.v[m.n - 5000]);
    m.v[m.n - 5000] = strdup("mid");
    /* random edits in the middle and at both ends, checked against the model */
    uint64_t s = 42;
    for (int step = 0; step < 400; step++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t r = (size_t)(s >> 33);
        size_t i = r % m.n;
        snprintf(buf, sizeof(buf), "n%d", step);
        switch (step % 5) {
        case 0: /* insert before or after a unique element */
            snprintf(idx, sizeof(idx), ":%zu\r\n", m.n + 1);
            EQ(W("LINSERT", "big", (r & 1) ? "AFTER" : "BEFORE", m.v[i], buf), idx);
            m_insert(&m, (r & 1) ? i + 1 : i, buf);
            break;
        case 1: /* remove a unique element */
            EQ(W("LREM", "big", (r & 2) ? "-1" : "1", m.v[i]), ":1\r\n");
            m_remove(&m, i);
            break;
        case 2: { /* a duplicated element removed everywhere */
            size_t j = (r >> 8) % m.n;
            EQ(W("LSET", "big", (snprintf(idx, sizeof(idx), "%zu", j), idx), m.v[i]), "+OK\r\n");
            free(m.v[j]);
            m.v[j] = strdup(m.v[i]);
            char *dup = strdup(m.v[i]);
            size_t k = i == j ? 1 : 2;
            snprintf(idx2, sizeof(idx2), ":%zu\r\n", k);
            EQ(W("LREM", "big", "0", dup), idx2);
            for (size_t x = m.n; x-- > 0;)
                if (strcmp(m.v[x], dup) == 0) m_remove(&m, x);
            free(dup);
            break;
        }
        case 3:
            EQ(W("LPOP", "big"), (snprintf(idx, sizeof(idx), "$%zu\r\n%s\r\n", strlen(m.v[0]), m.v[0]), idx));
            m_remove(&m, 0);
            break;
        default:
            EQ(W("RPUSH", "big", buf), (snprintf(idx, sizeof(idx), ":%zu\r\n", m.n + 1), idx));
            m_insert(&m, m.n, buf);
        }
        if (step % 50 == 0) check_all(t, &m);
    }
    check_all(t, &m);
    EQ(W("LTRIM", "big", "100", "-101"), "+OK\r\n");
    for (int k = 0; k < 100; k++) {
        m_remove(&m, 0);
        m_remove(&m, m.n - 1);
    }
    check_all(t, &m);
    COUNTERS(1, 0);
    ct_reopen(t);
    check_all(t, &m);
    for (size_t k = 0; k < m.n; k++) free(m.v[k]);
    free(m.v);
}

/* ---- the table ----------------------------------------------------------------------- */

static void test_table(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int arity;
        uint32_t flags;
        int first, last, step;
        const char *acl;
        const char *since;
    } want[] = {
        {"lpush", -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "write list fast", "1.0.0"},
        {"rpush", -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "write list fast", "1.0.0"},
        {"lpushx", -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "write list fast", "2.2.0"},
        {"rpushx", -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "write list fast", "2.2.0"},
        {"lpop", -2, CMD_WRITE | CMD_FAST, 1, 1, 1, "write list fast", "1.0.0"},
        {"rpop", -2, CMD_WRITE | CMD_FAST, 1, 1, 1, "write list fast", "1.0.0"},
        {"llen", 2, CMD_READONLY | CMD_FAST, 1, 1, 1, "read list fast", "1.0.0"},
        {"lrange", 4, CMD_READONLY, 1, 1, 1, "read list slow", "1.0.0"},
        {"lindex", 3, CMD_READONLY, 1, 1, 1, "read list slow", "1.0.0"},
        {"lset", 4, CMD_WRITE | CMD_DENYOOM, 1, 1, 1, "write list slow", "1.0.0"},
        {"linsert", 5, CMD_WRITE | CMD_DENYOOM, 1, 1, 1, "write list slow", "2.2.0"},
        {"lrem", 4, CMD_WRITE, 1, 1, 1, "write list slow", "1.0.0"},
        {"ltrim", 4, CMD_WRITE, 1, 1, 1, "write list slow", "1.0.0"},
        {"lpos", -3, CMD_READONLY, 1, 1, 1, "read list slow", "6.0.6"},
        {"lmove", 5, CMD_WRITE | CMD_DENYOOM, 1, 2, 1, "write list slow", "6.2.0"},
        {"rpoplpush", 3, CMD_WRITE | CMD_DENYOOM, 1, 2, 1, "write list slow", "1.2.0"},
        {"lmpop", -4, CMD_WRITE | CMD_MOVABLEKEYS, 0, 0, 0, "write list slow", "7.0.0"},
        {"blpop", -3, CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING, 1, -2, 1, "write list slow blocking", "2.0.0"},
        {"brpop", -3, CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING, 1, -2, 1, "write list slow blocking", "2.0.0"},
        {"blmove", 6, CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT | CMD_BLOCKING, 1, 2, 1, "write list slow blocking", "6.2.0"},
        {"brpoplpush", 4, CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT | CMD_BLOCKING, 1, 2, 1, "write list slow blocking", "2.2.0"},
        {"blmpop", -5, CMD_WRITE | CMD_BLOCKING | CMD_MOVABLEKEYS, 0, 0, 0, "write list slow blocking", "7.0.0"},
    };
    cmd_register_data_commands();
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const command_t *c = ct_command(want[i].name, want[i].arity, want[i].flags, want[i].first,
                                        want[i].last, want[i].step);
        assert_string_equal(c->acl, want[i].acl);
        assert_string_equal(c->group, "list");
        assert_string_equal(c->since, want[i].since);
        assert_non_null(c->summary);
        assert_non_null(c->complexity);
    }
    assert_string_equal(cmd_lookup("LPOS", 4)->summary, "Return the index of matching elements on a list");
    assert_string_equal(cmd_lookup("blmove", 6)->summary,
                        "Pop an element from a list, push it to another list and return it; or block until one is "
                        "available");
    assert_string_equal(cmd_lookup("lmove", 5)->complexity, "O(1)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_push_pop, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_pushx_wrongtype, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_lrange_lindex_lset, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_ltrim, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_linsert_lrem, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_lpos, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_lmove_rpoplpush, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_lmpop, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_blocking_pops, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_blocking_moves, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_blocking_mpop, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_ttl_and_expiry, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_reopen, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_binary, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_long_list, ct_setup, ct_teardown),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
