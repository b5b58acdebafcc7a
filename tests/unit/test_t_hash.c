/* Hash commands against a real RocksDB keyspace. Every expected reply was
 * checked against redis-server 7.0.15 byte for byte, except the order of
 * fields in whole-hash replies (ours is the fields' byte order, Redis's is
 * unspecified) and random picks, which are checked by their properties. */
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

/* ---- HSET, HMSET, HSETNX, HGET --------------------------------------------- */

static void test_hset_hget(void **state)
{
    cmdtest_t *t = *state;
    EQ(R("HGET", "h", "a"), "$-1\r\n");
    EQ(W("HSET", "h", "a", "1", "b", "2"), ":2\r\n");
    EQ(W("HSET", "h", "a", "x", "c", "3"), ":1\r\n"); /* a is updated, c is new */
    EQ(R("HGET", "h", "a"), "$1\r\nx\r\n");
    EQ(R("hget", "h", "c"), "$1\r\n3\r\n");
    EQ(R("HGET", "h", "nope"), "$-1\r\n");
    EQ(R("HLEN", "h"), ":3\r\n");
    /* a field named twice: counted once, the last value wins */
    EQ(W("HSET", "h", "d", "1", "d", "2"), ":1\r\n");
    EQ(R("HGET", "h", "d"), "$1\r\n2\r\n");
    EQ(R("HLEN", "h"), ":4\r\n");
    EQ(W("HMSET", "h", "a", "y", "e", "5"), "+OK\r\n");
    EQ(R("HGET", "h", "a"), "$1\r\ny\r\n");
    EQ(R("HLEN", "h"), ":5\r\n");
    EQ(W("HSET", "h", "empty", ""), ":1\r\n");
    EQ(R("HGET", "h", "empty"), "$0\r\n\r\n");
    COUNTERS(1, 0);

    /* the pairing is checked by the command, with the arity wording */
    EQ(W("HSET", "h", "a", "1", "b"), "-ERR wrong number of arguments for 'hset' command\r\n");
    EQ(W("hmset", "h", "a", "1", "b"), "-ERR wrong number of arguments for 'hmset' command\r\n");
    EQ(W("HSET", "h", "a"), "-ERR wrong number of arguments for 'hset' command\r\n");
    EQ(R("HGET", "h"), "-ERR wrong number of arguments for 'hget' command\r\n");
    EQ(R("HLEN", "h"), ":6\r\n");

    EQ(W("HSETNX", "h", "a", "z"), ":0\r\n");
    EQ(R("HGET", "h", "a"), "$1\r\ny\r\n");
    EQ(W("HSETNX", "h", "f", "6"), ":1\r\n");
    EQ(R("HGET", "h", "f"), "$1\r\n6\r\n");
    EQ(W("HSETNX", "h2", "f", "v"), ":1\r\n"); /* creates the hash */
    EQ(R("HGET", "h2", "f"), "$1\r\nv\r\n");
    EQ(R("TYPE", "h2"), "+hash\r\n");
    COUNTERS(2, 0);

    t->proto = 3;
    EQ(R("HGET", "h", "nope"), "_\r\n");
    EQ(R("HGET", "nokey", "a"), "_\r\n");
    EQ(R("HGET", "h", "a"), "$1\r\ny\r\n");
}

/* ---- HDEL and the key's life ----------------------------------------------- */

static void test_hdel_and_empty_key(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("HDEL", "nokey", "a"), ":0\r\n");
    COUNTERS(0, 0);
    EQ(W("HSET", "h", "a", "1", "b", "2", "c", "3"), ":3\r\n");
    EQ(W("HDEL", "h", "a", "a", "nope"), ":1\r\n");
    EQ(R("HLEN", "h"), ":2\r\n");
    EQ(R("HEXISTS", "h", "a"), ":0\r\n");
    EQ(W("HDEL", "h", "b", "c", "b"), ":2\r\n");
    /* the last field took the key with it */
    EQ(R("EXISTS", "h"), ":0\r\n");
    EQ(R("TYPE", "h"), "+none\r\n");
    EQ(R("HLEN", "h"), ":0\r\n");
    assert_int_equal(ct_count_prefix(t, 'm'), 0);
    COUNTERS(0, 0);
    EQ(W("HDEL", "h", "a"), ":0\r\n");

    /* with a TTL: the expiry index entry goes with the key */
    EQ(W("HSET", "h", "a", "1"), ":1\r\n");
    EQ(W("EXPIRE", "h", "100"), ":1\r\n");
    COUNTERS(1, 1);
    EQ(W("HDEL", "h", "a"), ":1\r\n");
    COUNTERS(0, 0);
    assert_int_equal(ct_count_prefix(t, 'e'), 0);
    EQ(W("HDEL", "h"), "-ERR wrong number of arguments for 'hdel' command\r\n");
}

/* A hash keeps its TTL through every change of its fields, as in Redis. */
static void test_ttl_kept(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("HSET", "h", "a", "1"), ":1\r\n");
    EQ(W("PEXPIRE", "h", "100000"), ":1\r\n");
    EQ(W("HSET", "h", "b", "2"), ":1\r\n");
    EQ(W("HMSET", "h", "a", "3"), "+OK\r\n");
    EQ(W("HSETNX", "h", "c", "4"), ":1\r\n");
    EQ(W("HINCRBY", "h", "n", "1"), ":1\r\n");
    EQ(W("HINCRBYFLOAT", "h", "f", "1.5"), "$3\r\n1.5\r\n");
    EQ(W("HDEL", "h", "a"), ":1\r\n");
    EQ(R("PTTL", "h"), ":100000\r\n");
    COUNTERS(1, 1);

    /* an expired hash is gone for every command: a write starts afresh */
    t->now_ms = CT_T0 + 100001;
    EQ(R("HGET", "h", "b"), "$-1\r\n");
    EQ(R("HLEN", "h"), ":0\r\n");
    EQ(R("HGETALL", "h"), "*0\r\n");
    EQ(W("HSET", "h", "z", "9"), ":1\r\n");
    EQ(R("HGETALL", "h"), "*2\r\n$1\r\nz\r\n$1\r\n9\r\n");
    EQ(R("PTTL", "h"), ":-1\r\n");
    COUNTERS(1, 0);
}

/* Deleting a hash only drops its metadata; a new hash under the same name
 * must not see the old fields (they live under the old version). */
static void test_versions(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("HSET", "h", "a", "1", "b", "2", "c", "3"), ":3\r\n");
    EQ(W("DEL", "h"), ":1\r\n");
    EQ(W("HSET", "h", "x", "9"), ":1\r\n");
    EQ(R("HGETALL", "h"), "*2\r\n$1\r\nx\r\n$1\r\n9\r\n");
    EQ(R("HGET", "h", "a"), "$-1\r\n");
    EQ(R("HLEN", "h"), ":1\r\n");
    EQ(W("HDEL", "h", "a", "b"), ":0\r\n");
    /* overwritten by a string, then a hash again */
    EQ(W("SET", "h", "str"), "+OK\r\n");
    EQ(R("HGET", "h", "x"), WRONGTYPE);
    EQ(W("DEL", "h"), ":1\r\n");
    EQ(W("HSETNX", "h", "y", "8"), ":1\r\n");
    EQ(R("HKEYS", "h"), "*1\r\n$1\r\ny\r\n");
    /* emptied by HDEL, then recreated */
    EQ(W("HDEL", "h", "y"), ":1\r\n");
    EQ(W("HINCRBY", "h", "x", "5"), ":5\r\n");
    EQ(R("HGETALL", "h"), "*2\r\n$1\r\nx\r\n$1\r\n5\r\n");
    /* expired, then recreated */
    EQ(W("HSET", "h", "p", "1", "q", "2"), ":2\r\n");
    EQ(W("PEXPIRE", "h", "10"), ":1\r\n");
    t->now_ms += 11;
    EQ(W("HSET", "h", "r", "3"), ":1\r\n");
    EQ(R("HGETALL", "h"), "*2\r\n$1\r\nr\r\n$1\r\n3\r\n");
    COUNTERS(1, 0);
}

/* RENAME and COPY (t_keys.c) move every field, and the TTL. */
static void test_rename_copy(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("HSET", "h", "a", "1", "b", "2", "c", "3"), ":3\r\n");
    EQ(W("PEXPIRE", "h", "50000"), ":1\r\n");
    EQ(W("COPY", "h", "h2"), ":1\r\n");
    EQ(W("RENAME", "h", "h3"), "+OK\r\n");
    EQ(R("EXISTS", "h"), ":0\r\n");
    const char *all = "*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n";
    EQ(R("HGETALL", "h2"), all);
    EQ(R("HGETALL", "h3"), all);
    EQ(R("HLEN", "h3"), ":3\r\n");
    EQ(R("PTTL", "h3"), ":50000\r\n");
    /* the copies are independent */
    EQ(W("HSET", "h2", "a", "changed"), ":0\r\n");
    EQ(W("HDEL", "h3", "b"), ":1\r\n");
    EQ(R("HGET", "h3", "a"), "$1\r\n1\r\n");
    EQ(R("HGET", "h2", "b"), "$1\r\n2\r\n");
    /* RENAME onto an existing hash replaces it entirely */
    EQ(W("HSET", "d", "old", "x"), ":1\r\n");
    EQ(W("RENAME", "h2", "d"), "+OK\r\n");
    EQ(R("HGET", "d", "old"), "$-1\r\n");
    EQ(R("HLEN", "d"), ":3\r\n");
    COUNTERS(2, 2);
}

/* ---- WRONGTYPE --------------------------------------------------------------- */

static void test_wrongtype(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SET", "s", "v"), "+OK\r\n");
    EQ(W("HSET", "s", "a", "1"), WRONGTYPE);
    EQ(W("HMSET", "s", "a", "1"), WRONGTYPE);
    EQ(W("HSETNX", "s", "a", "1"), WRONGTYPE);
    EQ(W("HDEL", "s", "a"), WRONGTYPE);
    EQ(W("HINCRBY", "s", "a", "1"), WRONGTYPE);
    EQ(W("HINCRBYFLOAT", "s", "a", "1"), WRONGTYPE);
    EQ(R("HGET", "s", "a"), WRONGTYPE);
    EQ(R("HMGET", "s", "a"), WRONGTYPE);
    EQ(R("HLEN", "s"), WRONGTYPE);
    EQ(R("HSTRLEN", "s", "a"), WRONGTYPE);
    EQ(R("HEXISTS", "s", "a"), WRONGTYPE);
    EQ(R("HKEYS", "s"), WRONGTYPE);
    EQ(R("HVALS", "s"), WRONGTYPE);
    EQ(R("HGETALL", "s"), WRONGTYPE);
    EQ(R("HRANDFIELD", "s"), WRONGTYPE);
    EQ(R("HRANDFIELD", "s", "0"), WRONGTYPE); /* the type is checked before count 0 */
    EQ(R("HRANDFIELD", "s", "2", "WITHVALUES"), WRONGTYPE);
    EQ(R("HSCAN", "s", "0"), WRONGTYPE);
    EQ(R("HSCAN", "s", "0", "COUNT", "0"), WRONGTYPE); /* before the options */
    /* argument errors come first where Redis checks them first */
    EQ(W("HINCRBY", "s", "a", "x"), NOTINT);
    EQ(W("HINCRBYFLOAT", "s", "a", "x"), NOTFLOAT);
    EQ(R("HRANDFIELD", "s", "x"), NOTINT);
    EQ(R("HRANDFIELD", "s", "1", "x"), SYNTAX);
    EQ(R("HSCAN", "s", "x"), "-ERR invalid cursor\r\n");
    /* and a hash is the wrong type for strings */
    EQ(W("HSET", "h", "a", "1"), ":1\r\n");
    EQ(R("GET", "h"), WRONGTYPE);
    EQ(W("INCR", "h"), WRONGTYPE);
    EQ(R("GET", "s"), "$1\r\nv\r\n");
    COUNTERS(2, 0);
}

/* ---- HMGET, HLEN, HSTRLEN, HEXISTS ------------------------------------------- */

static void test_small_reads(void **state)
{
    cmdtest_t *t = *state;
    EQ(R("HMGET", "nokey", "a", "b"), "*2\r\n$-1\r\n$-1\r\n");
    EQ(W("HSET", "h", "a", "hello", "b", ""), ":2\r\n");
    EQ(R("HMGET", "h", "a", "nope", "b", "a"), "*4\r\n$5\r\nhello\r\n$-1\r\n$0\r\n\r\n$5\r\nhello\r\n");
    EQ(R("HMGET", "h"), "-ERR wrong number of arguments for 'hmget' command\r\n");
    EQ(R("HLEN", "nokey"), ":0\r\n");
    EQ(R("HLEN", "h"), ":2\r\n");
    EQ(R("HSTRLEN", "h", "a"), ":5\r\n");
    EQ(R("HSTRLEN", "h", "b"), ":0\r\n");
    EQ(R("HSTRLEN", "h", "nope"), ":0\r\n");
    EQ(R("HSTRLEN", "nokey", "a"), ":0\r\n");
    EQ(R("HEXISTS", "h", "a"), ":1\r\n");
    EQ(R("HEXISTS", "h", "b"), ":1\r\n");
    EQ(R("HEXISTS", "h", "nope"), ":0\r\n");
    EQ(R("HEXISTS", "nokey", "a"), ":0\r\n");
    t->proto = 3;
    EQ(R("HMGET", "h", "a", "nope"), "*2\r\n$5\r\nhello\r\n_\r\n");
    EQ(R("HMGET", "nokey", "a"), "*1\r\n_\r\n");
    EQ(R("HEXISTS", "h", "a"), ":1\r\n");
}

/* ---- HKEYS, HVALS, HGETALL --------------------------------------------------- */

static void test_getall(void **state)
{
    cmdtest_t *t = *state;
    EQ(R("HKEYS", "nokey"), "*0\r\n");
    EQ(R("HVALS", "nokey"), "*0\r\n");
    EQ(R("HGETALL", "nokey"), "*0\r\n");
    EQ(W("HSET", "h", "b", "2", "a", "1", "c", "3"), ":3\r\n");
    EQ(R("HKEYS", "h"), "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
    EQ(R("HVALS", "h"), "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n");
    EQ(R("HGETALL", "h"), "*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n");
    /* another hash whose name extends this one's shares no field with it */
    EQ(W("HSET", "hh", "0", "x"), ":1\r\n");
    EQ(R("HKEYS", "h"), "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
    EQ(R("HKEYS", "hh"), "*1\r\n$1\r\n0\r\n");
    t->proto = 3;
    EQ(R("HGETALL", "h"), "%3\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n");
    EQ(R("HGETALL", "nokey"), "%0\r\n");
    EQ(R("HKEYS", "nokey"), "*0\r\n");
    EQ(R("HKEYS", "h"), "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
}

/* Fields and values are arbitrary bytes: NUL, 0xff, the empty field. */
static void test_binary(void **state)
{
    cmdtest_t *t = *state;
    const char *set[] = {"HSET", "b\0in", "\0\xff", "\x01\x00\x02", "", "empty-field", "f\r\n", ""};
    size_t setl[] = {4, 4, 2, 3, 0, 11, 3, 0};
    EQ(ct_run(t, true, true, 8, set, setl), ":3\r\n");
    const char *get[] = {"HGET", "b\0in", "\0\xff"};
    size_t getl[] = {4, 4, 2};
    ct_run(t, false, true, 3, get, getl);
    assert_int_equal(t->outlen, 9);
    assert_memory_equal(t->out, "$3\r\n\x01\x00\x02\r\n", 9);
    get[2] = "";
    getl[2] = 0;
    EQ(ct_run(t, false, true, 3, get, getl), "$11\r\nempty-field\r\n");
    const char *all[] = {"HGETALL", "b\0in"};
    size_t alll[] = {7, 4};
    ct_run(t, false, true, 2, all, alll);
    static const char want[] = "*6\r\n$0\r\n\r\n$11\r\nempty-field\r\n$2\r\n\0\xff\r\n$3\r\n\x01\x00\x02\r\n"
                               "$3\r\nf\r\n\r\n$0\r\n\r\n";
    assert_int_equal(t->outlen, sizeof(want) - 1);
    assert_memory_equal(t->out, want, sizeof(want) - 1);
    /* the key "b" (a prefix of "b\0in") is another key */
    EQ(R("HLEN", "b"), ":0\r\n");
    const char *del[] = {"HDEL", "b\0in", "", "\0\xff", "f\r\n"};
    size_t dell[] = {4, 4, 0, 2, 3};
    EQ(ct_run(t, true, true, 5, del, dell), ":3\r\n");
    COUNTERS(0, 0);
}

/* ---- HINCRBY, HINCRBYFLOAT --------------------------------------------------- */

static void test_hincrby(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("HINCRBY", "h", "n", "5"), ":5\r\n");
    EQ(W("HINCRBY", "h", "n", "-7"), ":-2\r\n");
    EQ(R("HGET", "h", "n"), "$2\r\n-2\r\n");
    EQ(W("HINCRBY", "h", "n", "x"), NOTINT);
    EQ(W("HINCRBY", "h", "n", "1.5"), NOTINT);
    EQ(W("HINCRBY", "h", "n", "9223372036854775808"), NOTINT);
    EQ(W("HSET", "h", "s", "abc", "sp", " 1", "lz", "01", "f", "1.0"), ":4\r\n");
    EQ(W("HINCRBY", "h", "s", "1"), "-ERR hash value is not an integer\r\n");
    EQ(W("HINCRBY", "h", "sp", "1"), "-ERR hash value is not an integer\r\n");
    EQ(W("HINCRBY", "h", "lz", "1"), "-ERR hash value is not an integer\r\n");
    EQ(W("HINCRBY", "h", "f", "1"), "-ERR hash value is not an integer\r\n");
    EQ(W("HINCRBY", "h", "max", "9223372036854775807"), ":9223372036854775807\r\n");
    EQ(W("HINCRBY", "h", "max", "1"), "-ERR increment or decrement would overflow\r\n");
    EQ(W("HINCRBY", "h", "min", "-9223372036854775808"), ":-9223372036854775808\r\n");
    EQ(W("HINCRBY", "h", "min", "-1"), "-ERR increment or decrement would overflow\r\n");
    EQ(W("HINCRBY", "h", "min", "9223372036854775807"), ":-1\r\n");
    EQ(R("HGET", "h", "max"), "$19\r\n9223372036854775807\r\n");
    EQ(R("HLEN", "h"), ":7\r\n");
    EQ(W("HINCRBY", "h", "n"), "-ERR wrong number of arguments for 'hincrby' command\r\n");
    /* a failed increment creates nothing */
    EQ(W("HINCRBY", "new", "n", "x"), NOTINT);
    EQ(R("EXISTS", "new"), ":0\r\n");
    COUNTERS(1, 0);
}

static void test_hincrbyfloat(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("HINCRBYFLOAT", "h", "f", "1.5"), "$3\r\n1.5\r\n");
    EQ(W("HINCRBYFLOAT", "h", "f", "-0.5"), "$1\r\n1\r\n");
    EQ(W("HINCRBYFLOAT", "h", "f", ".1"), "$3\r\n1.1\r\n");
    EQ(R("HGET", "h", "f"), "$3\r\n1.1\r\n");
    EQ(W("HINCRBYFLOAT", "h", "g", "5.0e3"), "$4\r\n5000\r\n");
    EQ(W("HINCRBYFLOAT", "h", "g", "1.5e-10"), "$22\r\n5000.00000000015000001\r\n");
    EQ(W("HINCRBYFLOAT", "h", "f", "abc"), NOTFLOAT);
    EQ(W("HINCRBYFLOAT", "h", "f", "nan"), NOTFLOAT);
    EQ(W("HINCRBYFLOAT", "h", "f", ""), NOTFLOAT);
    EQ(W("HINCRBYFLOAT", "h", "f", "inf"), "-ERR value is NaN or Infinity\r\n");
    EQ(W("HINCRBYFLOAT", "h", "f", "-inf"), "-ERR value is NaN or Infinity\r\n");
    EQ(W("HSET", "h", "s", "abc", "sp", " 1", "i", "10", "hex", "0x10", "neg0", "-0"), ":5\r\n");
    EQ(W("HINCRBYFLOAT", "h", "s", "1"), "-ERR hash value is not a float\r\n");
    EQ(W("HINCRBYFLOAT", "h", "sp", "1"), "-ERR hash value is not a float\r\n");
    EQ(W("HINCRBYFLOAT", "h", "i", "0.25"), "$5\r\n10.25\r\n");
    EQ(W("HINCRBYFLOAT", "h", "hex", "1"), "$2\r\n17\r\n");
    EQ(W("HINCRBYFLOAT", "h", "neg0", "0"), "$1\r\n0\r\n");
    /* a float value is not an integer for HINCRBY, but an integer is a float */
    EQ(W("HINCRBY", "h", "i", "1"), "-ERR hash value is not an integer\r\n");
    EQ(W("HINCRBY", "h", "neg0", "1"), ":1\r\n");
    /* overflow to infinity */
    /* %.17Lf of a huge long double: 4933 digits, no exponent */
    W("HINCRBYFLOAT", "h", "big", "1e4932");
    assert_int_equal(t->outlen, strlen("$4933\r\n") + 4933 + 2);
    assert_memory_equal(t->out, "$4933\r\n10000000000000000000", 27);
    EQ(R("HSTRLEN", "h", "big"), ":4933\r\n");
    EQ(W("HINCRBYFLOAT", "h", "big", "-1e4932"), "$1\r\n0\r\n");
    EQ(W("HSET", "h", "huge", "1.1e4932"), ":1\r\n");
    EQ(W("HINCRBYFLOAT", "h", "huge", "1.1e4932"), "-ERR increment would produce NaN or Infinity\r\n");
    EQ(R("HGET", "h", "huge"), "$8\r\n1.1e4932\r\n");
    t->proto = 3;
    EQ(W("HINCRBYFLOAT", "h", "f", "1"), "$3\r\n2.1\r\n"); /* a bulk string in RESP3 too */
    COUNTERS(1, 0);
}

/* ---- HRANDFIELD ---------------------------------------------------------- */

#define NFIELDS 20

/* Fields f00..f19 with values v00..v19. */
static void make_hash(cmdtest_t *t, const char *key, int n)
{
    for (int i = 0; i < n; i++) {
        char f[16], v[16];
        snprintf(f, sizeof(f), "f%02d", i);
        snprintf(v, sizeof(v), "v%02d", i);
        EQ(W("HSET", key, f, v), ":1\r\n");
    }
}

/* The field number of "fNN", checking the pair's value when given. */
static int field_no(bulk_t f, const bulk_t *v)
{
    assert_int_equal(f.len, 3);
    assert_true(f.p[0] == 'f');
    int n = (f.p[1] - '0') * 10 + (f.p[2] - '0');
    assert_true(n >= 0 && n < NFIELDS);
    if (v) {
        assert_int_equal(v->len, 3);
        assert_true(v->p[0] == 'v' && v->p[1] == f.p[1] && v->p[2] == f.p[2]);
    }
    return n;
}

/* Runs HRANDFIELD h <count> [WITHVALUES] and counts each field's picks. */
static size_t randfield(cmdtest_t *t, const char *count, bool withvalues, int seen[NFIELDS])
{
    if (withvalues)
        R("HRANDFIELD", "h", count, "WITHVALUES");
    else
        R("HRANDFIELD", "h", count);
    size_t pos = 0;
    size_t n = read_agg(t->out, t->outlen, &pos, '*');
    if (withvalues && t->proto == 2) {
        assert_int_equal(n % 2, 0);
        n /= 2;
    }
    memset(seen, 0, NFIELDS * sizeof(int));
    for (size_t i = 0; i < n; i++) {
        if (withvalues && t->proto == 3) assert_int_equal(read_agg(t->out, t->outlen, &pos, '*'), 2);
        bulk_t f = read_bulk(t->out, t->outlen, &pos);
        if (withvalues) {
            bulk_t v = read_bulk(t->out, t->outlen, &pos);
            seen[field_no(f, &v)]++;
        } else {
            seen[field_no(f, NULL)]++;
        }
    }
    assert_int_equal(pos, t->outlen);
    return n;
}

/* Fields <c>NNNNN with values v<same digits>, n of them, 100 per HSET. */
static void fill_big(cmdtest_t *t, const char *key, int n, char c)
{
    const char *argv[202];
    size_t lens[202];
    char names[100][2][16];
    for (int base = 0; base < n; base += 100) {
        int argc = 0;
        argv[argc] = "HSET", lens[argc++] = 4;
        argv[argc] = key, lens[argc++] = strlen(key);
        for (int i = base; i < n && i < base + 100; i++) {
            snprintf(names[i - base][0], 16, "%c%05d", c, i);
            snprintf(names[i - base][1], 16, "v%05d", i);
            argv[argc] = names[i - base][0], lens[argc++] = 6;
            argv[argc] = names[i - base][1], lens[argc++] = 6;
        }
        const char *r = ct_run(t, true, true, argc, argv, lens);
        assert_true(r[0] == ':');
    }
}

/* The number of a field <c>NNNNN (below n), checking its value if given. */
static int big_field(bulk_t f, const bulk_t *v, char c, int n)
{
    assert_int_equal(f.len, 6);
    assert_true(f.p[0] == c);
    int x = atoi(f.p + 1);
    assert_true(x >= 0 && x < n);
    if (v) {
        assert_int_equal(v->len, 6);
        assert_true(v->p[0] == 'v' && memcmp(v->p + 1, f.p + 1, 5) == 0);
    }
    return x;
}

/* A large hash is drawn from without a walk (coll_iter_seek_random): the
 * fields drawn exist with their values, small counts draw separately, and
 * draws from 200 evenly spread fields reach every one about equally. */
static void test_hrandfield_big(void **state)
{
    cmdtest_t *t = *state;
    fill_big(t, "big", 5000, 'f');
    for (int i = 0; i < 1000; i++) {
        R("HRANDFIELD", "big");
        size_t pos = 0;
        big_field(read_bulk(t->out, t->outlen, &pos), NULL, 'f', 5000);
        assert_int_equal(pos, t->outlen);
    }
    for (int proto = 2; proto <= 3; proto++) {
        t->proto = proto;
        for (int k = 0; k < 2; k++) {
            const char *count = k ? "15" : "-10";
            size_t want = k ? 15 : 10;
            R("HRANDFIELD", "big", count, "WITHVALUES");
            size_t pos = 0;
            size_t n = read_agg(t->out, t->outlen, &pos, '*');
            assert_int_equal(n, proto == 2 ? want * 2 : want);
            int got[15];
            for (size_t i = 0; i < want; i++) {
                if (proto == 3) assert_int_equal(read_agg(t->out, t->outlen, &pos, '*'), 2);
                bulk_t f = read_bulk(t->out, t->outlen, &pos);
                bulk_t v = read_bulk(t->out, t->outlen, &pos);
                got[i] = big_field(f, &v, 'f', 5000);
                for (size_t j = 0; k && j < i; j++)
                    assert_int_not_equal(got[i], got[j]);
            }
            assert_int_equal(pos, t->outlen);
        }
    }
    t->proto = 2;

    enum { N = 200 };
    int count[N] = {0};
    fill_big(t, "even", N, 'g');
    for (int i = 0; i < 20 * N; i++) {
        /* inside an applied entry: the entry's generator, no flakes */
        const char *argv[] = {"HRANDFIELD", "even"};
        ct_runv(t, true, false, 2, argv);
        size_t pos = 0;
        count[big_field(read_bulk(t->out, t->outlen, &pos), NULL, 'g', N)]++;
    }
    for (int i = 0; i < N; i++)
        assert_true(count[i] > 0 && count[i] <= 3 * 20);
}

static void test_hrandfield(void **state)
{
    cmdtest_t *t = *state;
    int seen[NFIELDS];
    EQ(R("HRANDFIELD", "h"), "$-1\r\n");
    EQ(R("HRANDFIELD", "h", "5"), "*0\r\n");
    EQ(R("HRANDFIELD", "h", "-5", "WITHVALUES"), "*0\r\n");
    make_hash(t, "h", NFIELDS);

    for (int proto = 2; proto <= 3; proto++) {
        t->proto = proto;
        for (int wv = 0; wv <= 1; wv++) {
            /* a positive count: distinct fields, all of them at most */
            for (int rep = 0; rep < 20; rep++) {
                assert_int_equal(randfield(t, "7", wv, seen), 7);
                for (int i = 0; i < NFIELDS; i++)
                    assert_true(seen[i] <= 1);
            }
            for (const char *const *c = (const char *const[]){"20", "21", "1000000", NULL}; *c; c++) {
                assert_int_equal(randfield(t, *c, wv, seen), NFIELDS);
                for (int i = 0; i < NFIELDS; i++)
                    assert_int_equal(seen[i], 1);
            }
            /* a negative count: exactly that many, repeats allowed */
            assert_int_equal(randfield(t, "-1000", wv, seen), 1000);
            int repeated = 0, missing = 0;
            for (int i = 0; i < NFIELDS; i++) {
                repeated += seen[i] > 1;
                missing += seen[i] == 0;
            }
            assert_true(repeated > 0);
            assert_int_equal(missing, 0); /* 1000 draws of 20: (19/20)^1000 */
            assert_int_equal(randfield(t, "-1", wv, seen), 1);
            EQ(wv ? R("HRANDFIELD", "h", "0", "WITHVALUES") : R("HRANDFIELD", "h", "0"), "*0\r\n");
        }
    }
    t->proto = 2;

    /* every field comes up, both for single picks and for subsets */
    int single[NFIELDS] = {0}, subset[NFIELDS] = {0};
    for (int rep = 0; rep < 2000; rep++) {
        R("HRANDFIELD", "h");
        size_t pos = 0;
        single[field_no(read_bulk(t->out, t->outlen, &pos), NULL)]++;
        assert_int_equal(pos, t->outlen);
    }
    for (int rep = 0; rep < 500; rep++) {
        randfield(t, "3", false, seen);
        for (int i = 0; i < NFIELDS; i++)
            subset[i] += seen[i];
    }
    for (int i = 0; i < NFIELDS; i++) {
        assert_true(single[i] > 30);  /* expected 100 */
        assert_true(subset[i] > 20);  /* expected 75 */
    }

    /* errors, in Redis's order */
    EQ(R("HRANDFIELD", "h", "x"), NOTINT);
    EQ(R("HRANDFIELD", "h", "1.0"), NOTINT);
    EQ(R("HRANDFIELD", "h", "9223372036854775808"), NOTINT);
    EQ(R("HRANDFIELD", "h", "-9223372036854775808"),
       "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n");
    EQ(R("HRANDFIELD", "h", "1", "withvalue"), SYNTAX);
    EQ(R("HRANDFIELD", "h", "1", "withvalues", "x"), SYNTAX);
    EQ(R("HRANDFIELD", "nokey", "1", "x"), SYNTAX);
    EQ(R("HRANDFIELD", "h", "x", "withvalues"), NOTINT);
    EQ(R("HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"), "-ERR value is out of range\r\n");
    EQ(R("HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"), "-ERR value is out of range\r\n");
    assert_int_equal(randfield(t, "4611686018427387903", true, seen), NFIELDS);
    EQ(R("HRANDFIELD"), "-ERR wrong number of arguments for 'hrandfield' command\r\n");
    /* a reply Redis would die building is refused (ours: a limit of our own) */
    EQ(R("HRANDFIELD", "h", "-4611686018427387904"), "-ERR count is too large: at most 134217728 draws with repeats\r\n");
    EQ(R("HRANDFIELD", "h", "-134217729"), "-ERR count is too large: at most 134217728 draws with repeats\r\n");
    EQ(R("HRANDFIELD", "nokey", "-4611686018427387904"), "*0\r\n");
    assert_int_equal(randfield(t, "-100000", true, seen), 100000);
    t->proto = 3;
    EQ(R("HRANDFIELD", "nokey"), "_\r\n");
    EQ(R("HRANDFIELD", "nokey", "3", "WITHVALUES"), "*0\r\n");

    /* one field: the pick is certain */
    t->proto = 2;
    EQ(W("HSET", "one", "f", "v"), ":1\r\n");
    EQ(R("HRANDFIELD", "one"), "$1\r\nf\r\n");
    EQ(R("HRANDFIELD", "one", "-3", "WITHVALUES"), "*6\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nf\r\n$1\r\nv\r\n");
    t->proto = 3;
    EQ(R("HRANDFIELD", "one", "-2", "WITHVALUES"), "*2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
    EQ(R("HRANDFIELD", "one", "5", "WITHVALUES"), "*1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
}

/* ---- HSCAN ------------------------------------------------------------------- */

#define NSCAN 1000

typedef struct seenf {
    int count[NSCAN];
    int other;
    int calls;
} seenf_t;

/* Runs HSCAN key cursor [opts]; counts "kNNNN" fields (checking that each
 * value is "vNNNN") and returns the next cursor. */
static uint64_t hscan_call(cmdtest_t *t, const char *key, uint64_t cursor, const char *const *opts, int nopts,
                           seenf_t *s)
{
    size_t pos, n;
    uint64_t next = ct_scan(t, "HSCAN", key, cursor, opts, nopts, &pos, &n);
    assert_int_equal(n % 2, 0);
    for (size_t i = 0; i < n; i += 2) {
        bulk_t f = read_bulk(t->out, t->outlen, &pos), v = read_bulk(t->out, t->outlen, &pos);
        if (f.len == 5 && f.p[0] == 'k') {
            int k = atoi(f.p + 1);
            assert_true(k >= 0 && k < NSCAN);
            assert_true(v.len == 5 && v.p[0] == 'v' && memcmp(v.p + 1, f.p + 1, 4) == 0);
            s->count[k]++;
        } else {
            s->other++;
        }
    }
    assert_int_equal(pos, t->outlen);
    s->calls++;
    return next;
}

static void make_scan_hash(cmdtest_t *t, const char *key)
{
    /* one entry, many fields: HSET with 100 pairs at a time */
    for (int b = 0; b < NSCAN; b += 100) {
        const char *argv[2 + 200];
        size_t lens[2 + 200];
        char fv[200][16];
        argv[0] = "HSET";
        argv[1] = key;
        lens[0] = 4;
        lens[1] = strlen(key);
        for (int i = 0; i < 100; i++) {
            snprintf(fv[2 * i], 16, "k%04d", b + i);
            snprintf(fv[2 * i + 1], 16, "v%04d", b + i);
            argv[2 + 2 * i] = fv[2 * i];
            argv[3 + 2 * i] = fv[2 * i + 1];
            lens[2 + 2 * i] = lens[3 + 2 * i] = 5;
        }
        EQ(ct_run(t, true, true, 202, argv, lens), ":100\r\n");
    }
}

static void test_hscan_full(void **state)
{
    cmdtest_t *t = *state;
    make_scan_hash(t, "h");
    EQ(R("HLEN", "h"), ":1000\r\n");

    /* default COUNT 10: every field exactly once, in about 100 calls */
    seenf_t s = {0};
    uint64_t cur = 0;
    do {
        cur = hscan_call(t, "h", cur, NULL, 0, &s);
        assert_true(s.calls <= 101);
    } while (cur);
    for (int i = 0; i < NSCAN; i++)
        assert_int_equal(s.count[i], 1);
    assert_int_equal(s.other, 0);
    assert_int_equal(s.calls, 100); /* the 100th call already answers 0 */

    /* a large COUNT: one call */
    memset(&s, 0, sizeof(s));
    assert_int_equal(hscan_call(t, "h", 0, (const char *[]){"COUNT", "5000"}, 2, &s), 0);
    for (int i = 0; i < NSCAN; i++)
        assert_int_equal(s.count[i], 1);

    /* MATCH with a literal prefix: only those, COUNT bounds the visits */
    memset(&s, 0, sizeof(s));
    cur = 0;
    do {
        cur = hscan_call(t, "h", cur, (const char *[]){"MATCH", "k01*", "COUNT", "7"}, 4, &s);
    } while (cur);
    for (int i = 0; i < NSCAN; i++)
        assert_int_equal(s.count[i], i >= 100 && i < 200);
    assert_int_equal(s.calls, 15); /* 100 fields, 7 a call */
    /* MATCH without a prefix filters what COUNT visits */
    memset(&s, 0, sizeof(s));
    cur = 0;
    do {
        cur = hscan_call(t, "h", cur, (const char *[]){"match", "*7", "count", "100"}, 4, &s);
    } while (cur);
    for (int i = 0; i < NSCAN; i++)
        assert_int_equal(s.count[i], i % 10 == 7);
    assert_int_equal(s.calls, 10);
    /* MATCH * is no filter */
    memset(&s, 0, sizeof(s));
    assert_int_equal(hscan_call(t, "h", 0, (const char *[]){"MATCH", "*", "COUNT", "1000"}, 4, &s), 0);
    for (int i = 0; i < NSCAN; i++)
        assert_int_equal(s.count[i], 1);
}

/* Fields present for the whole scan are returned at least once whatever
 * else is added or deleted meanwhile; unknown cursors start over. */
static void test_hscan_changes_and_cursors(void **state)
{
    cmdtest_t *t = *state;
    make_scan_hash(t, "h");
    seenf_t s = {0};
    uint64_t cur = 0;
    int step = 0;
    do {
        cur = hscan_call(t, "h", cur, (const char *[]){"COUNT", "25"}, 2, &s);
        /* delete the odd fields, add others before and after the cursor */
        char f[16];
        snprintf(f, sizeof(f), "k%04d", 2 * step + 1);
        EQ(W("HDEL", "h", f), ":1\r\n");
        snprintf(f, sizeof(f), "a%d", step);
        EQ(W("HSET", "h", f, "x"), ":1\r\n");
        snprintf(f, sizeof(f), "z%d", step);
        EQ(W("HSET", "h", f, "x"), ":1\r\n");
        step++;
    } while (cur);
    for (int i = 0; i < NSCAN; i += 2)
        assert_true(s.count[i] >= 1);

    /* an unknown cursor (or one of another key) restarts the iteration */
    memset(&s, 0, sizeof(s));
    EQ(W("HSET", "small", "k0001", "v0001", "k0002", "v0002", "k0003", "v0003"), ":3\r\n");
    cur = hscan_call(t, "small", 0, (const char *[]){"COUNT", "1"}, 2, &s);
    assert_true(cur != 0);
    assert_int_equal(s.count[1], 1);
    uint64_t c2 = hscan_call(t, "h", cur, (const char *[]){"COUNT", "2000"}, 2, &s);
    assert_int_equal(c2, 0);
    assert_int_equal(s.count[0], 1); /* h from its start */
    memset(&s, 0, sizeof(s));
    assert_int_equal(hscan_call(t, "small", 123456789, (const char *[]){"COUNT", "10"}, 2, &s), 0);
    assert_int_equal(s.count[1] + s.count[2] + s.count[3], 3);
    /* the cursor resumes after the last field, even if that one is gone */
    memset(&s, 0, sizeof(s));
    cur = hscan_call(t, "small", 0, (const char *[]){"COUNT", "1"}, 2, &s);
    EQ(W("HDEL", "small", "k0001"), ":1\r\n");
    assert_int_equal(hscan_call(t, "small", cur, (const char *[]){"COUNT", "5"}, 2, &s), 0);
    assert_int_equal(s.count[1] + s.count[2] + s.count[3], 3);

    /* argument errors and Redis's check order */
    EQ(R("HSCAN", "nokey", "0"), "*2\r\n$1\r\n0\r\n*0\r\n");
    EQ(R("HSCAN", "nokey", "0", "COUNT", "0"), "*2\r\n$1\r\n0\r\n*0\r\n"); /* options unread */
    EQ(R("HSCAN", "nokey", "x"), "-ERR invalid cursor\r\n");
    EQ(R("HSCAN", "small", "1x"), "-ERR invalid cursor\r\n");
    EQ(R("HSCAN", "small", " 1"), "-ERR invalid cursor\r\n");
    EQ(R("HSCAN", "small", "0", "COUNT", "0"), SYNTAX);
    EQ(R("HSCAN", "small", "0", "COUNT", "-1"), SYNTAX);
    EQ(R("HSCAN", "small", "0", "COUNT", "x"), NOTINT);
    EQ(R("HSCAN", "small", "0", "MATCH"), SYNTAX);
    EQ(R("HSCAN", "small", "0", "NOVALUES"), SYNTAX); /* 7.4 only */
    EQ(R("HSCAN", "small", "0", "TYPE", "hash"), SYNTAX); /* SCAN only */
    EQ(R("HSCAN", "small"), "-ERR wrong number of arguments for 'hscan' command\r\n");
    /* "", "-1" and "+0" are cursors, as strtoul reads them */
    EQ(R("HSCAN", "small", "", "COUNT", "10"),
       "*2\r\n$1\r\n0\r\n*4\r\n$5\r\nk0002\r\n$5\r\nv0002\r\n$5\r\nk0003\r\n$5\r\nv0003\r\n");
    EQ(R("HSCAN", "small", "+0", "COUNT", "10"),
       "*2\r\n$1\r\n0\r\n*4\r\n$5\r\nk0002\r\n$5\r\nv0002\r\n$5\r\nk0003\r\n$5\r\nv0003\r\n");
    EQ(R("HSCAN", "small", "-1", "COUNT", "10"),
       "*2\r\n$1\r\n0\r\n*4\r\n$5\r\nk0002\r\n$5\r\nv0002\r\n$5\r\nk0003\r\n$5\r\nv0003\r\n");
    t->proto = 3;
    EQ(R("HSCAN", "small", "0", "MATCH", "*3"), "*2\r\n$1\r\n0\r\n*2\r\n$5\r\nk0003\r\n$5\r\nv0003\r\n");
    EQ(R("HSCAN", "nokey", "0"), "*2\r\n$1\r\n0\r\n*0\r\n");
}

/* ---- persistence and counters ------------------------------------------------ */

static void test_reopen(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("HSET", "h", "a", "1", "b", "2"), ":2\r\n");
    EQ(W("HINCRBYFLOAT", "h", "c", "0.5"), "$3\r\n0.5\r\n");
    EQ(W("PEXPIRE", "h", "100000"), ":1\r\n");
    EQ(W("HSET", "g", "x", "y"), ":1\r\n");
    EQ(W("HDEL", "g", "x"), ":1\r\n");
    EQ(W("HSET", "gone", "x", "y"), ":1\r\n");
    EQ(W("DEL", "gone"), ":1\r\n");
    COUNTERS(1, 1);
    ct_reopen(t);
    COUNTERS(1, 1);
    EQ(R("HGETALL", "h"), "*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$3\r\n0.5\r\n");
    EQ(R("HLEN", "h"), ":3\r\n");
    EQ(R("PTTL", "h"), ":100000\r\n");
    EQ(R("EXISTS", "g", "gone"), ":0\r\n");
    EQ(R("HGETALL", "gone"), "*0\r\n");
    /* versions handed out after a restart still hide the old fields */
    EQ(W("HSET", "gone", "new", "1"), ":1\r\n");
    EQ(R("HGETALL", "gone"), "*2\r\n$3\r\nnew\r\n$1\r\n1\r\n");
    EQ(W("HSET", "h", "d", "4"), ":1\r\n");
    EQ(R("HLEN", "h"), ":4\r\n");
    COUNTERS(2, 1);
}

/* ---- the table --------------------------------------------------------------- */

static void test_table(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int arity;
        uint32_t flags;
        const char *acl, *since;
    } want[] = {
        {"hset", -4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, "write hash fast", "2.0.0"},
        {"hsetnx", 4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, "write hash fast", "2.0.0"},
        {"hget", 3, CMD_READONLY | CMD_FAST, "read hash fast", "2.0.0"},
        {"hmget", -3, CMD_READONLY | CMD_FAST, "read hash fast", "2.0.0"},
        {"hmset", -4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, "write hash fast", "2.0.0"},
        {"hdel", -3, CMD_WRITE | CMD_FAST, "write hash fast", "2.0.0"},
        {"hlen", 2, CMD_READONLY | CMD_FAST, "read hash fast", "2.0.0"},
        {"hstrlen", 3, CMD_READONLY | CMD_FAST, "read hash fast", "3.2.0"},
        {"hexists", 3, CMD_READONLY | CMD_FAST, "read hash fast", "2.0.0"},
        {"hkeys", 2, CMD_READONLY, "read hash slow", "2.0.0"},
        {"hvals", 2, CMD_READONLY, "read hash slow", "2.0.0"},
        {"hgetall", 2, CMD_READONLY, "read hash slow", "2.0.0"},
        {"hincrby", 4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, "write hash fast", "2.0.0"},
        {"hincrbyfloat", 4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, "write hash fast", "2.6.0"},
        {"hrandfield", -2, CMD_READONLY, "read hash slow", "6.2.0"},
        {"hscan", -3, CMD_READONLY, "read hash slow", "2.8.0"},
    };
    cmd_register_data_commands();
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const command_t *c = ct_command(want[i].name, want[i].arity, want[i].flags, 1, 1, 1);
        assert_string_equal(c->group, "hash");
        assert_string_equal(c->acl, want[i].acl);
        assert_string_equal(c->since, want[i].since);
        assert_non_null(c->summary);
        assert_non_null(c->complexity);
    }
    assert_string_equal(cmd_lookup("hset", 4)->summary, "Set the string value of a hash field");
    assert_string_equal(cmd_lookup("hrandfield", 10)->complexity, "O(N) where N is the number of fields returned");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hset_hget, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_hdel_and_empty_key, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_ttl_kept, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_versions, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_rename_copy, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_wrongtype, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_small_reads, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_getall, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_binary, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_hincrby, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_hincrbyfloat, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_hrandfield, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_hrandfield_big, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_hscan_full, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_hscan_changes_and_cursors, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_reopen, ct_setup, ct_teardown),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
