/* Bitmap commands against a real RocksDB keyspace. Every expected reply was
 * checked against redis-server 7.0.15 byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define CT_SHORT_NAMES
#include "support/cmdtest.h"

static const char BADOFF[] = "-ERR bit offset is not an integer or out of range\r\n";
static const char BADBIT[] = "-ERR bit is not an integer or out of range\r\n";
static const char BADTYPE[] = "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not "
                              "supported but i64 is.\r\n";

/* The value of key as a GET reply would carry it (binary: compared by length). */
static void value_is(cmdtest_t *t, const char *key, const char *val, size_t n)
{
    char want[256];
    int h = snprintf(want, sizeof(want), "$%zu\r\n", n);
    memcpy(want + h, val, n);
    memcpy(want + h + n, "\r\n", 2);
    R("GET", key);
    assert_int_equal(t->outlen, (size_t)h + n + 2);
    assert_memory_equal(t->out, want, t->outlen);
}

static void test_setbit_getbit(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SETBIT", "k", "10", "1"), ":0\r\n");
    value_is(t, "k", "\x00\x20", 2);
    EQ(W("SETBIT", "k", "10", "1"), ":1\r\n");
    EQ(W("SETBIT", "k", "10", "0"), ":1\r\n");
    value_is(t, "k", "\x00\x00", 2);
    /* clearing a bit past the end still grows the string */
    EQ(W("SETBIT", "k", "31", "0"), ":0\r\n");
    value_is(t, "k", "\x00\x00\x00\x00", 4);
    EQ(W("SETBIT", "k", "0", "1"), ":0\r\n");
    EQ(R("GETBIT", "k", "0"), ":1\r\n");
    EQ(R("GETBIT", "k", "1"), ":0\r\n");
    EQ(R("GETBIT", "k", "100000"), ":0\r\n");
    EQ(R("GETBIT", "nokey", "5"), ":0\r\n");
    /* offsets: 2^32-1 is the last valid one */
    EQ(W("SETBIT", "k", "4294967296", "1"), BADOFF);
    EQ(W("SETBIT", "k", "-1", "1"), BADOFF);
    EQ(W("SETBIT", "k", "x", "1"), BADOFF);
    EQ(W("SETBIT", "k", "01", "1"), BADOFF);
    EQ(W("SETBIT", "k", "0", "2"), BADBIT);
    EQ(W("SETBIT", "k", "0", "-1"), BADBIT);
    EQ(W("SETBIT", "k", "0", "x"), BADBIT);
    /* the offset is checked before the bit, both before the key */
    EQ(W("SETBIT", "k", "x", "x"), BADOFF);
    EQ(R("GETBIT", "k", "4294967296"), BADOFF);
    EQ(R("GETBIT", "k", "4294967295"), ":0\r\n");
    EQ(R("GETBIT", "nokey", "x"), BADOFF);
    EQ(W("SET", "s", "\xff"), "+OK\r\n");
    EQ(R("GETBIT", "s", "7"), ":1\r\n");
    ct_put_collection(t, "h", 1, OBJ_HASH, 1, 0);
    EQ(W("SETBIT", "h", "0", "1"), WRONGTYPE);
    EQ(R("GETBIT", "h", "0"), WRONGTYPE);
    EQ(W("SETBIT", "h", "x", "1"), BADOFF);
    EQ(W("SETBIT", "k"), "-ERR wrong number of arguments for 'setbit' command\r\n");
    COUNTERS(3, 0);
}

/* SETBIT and BITFIELD keep the TTL; BITOP drops the destination's. */
static void test_ttl(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SET", "k", "a", "EX", "100"), "+OK\r\n");
    EQ(W("SETBIT", "k", "20", "1"), ":0\r\n");
    EQ(R("TTL", "k"), ":100\r\n");
    EQ(W("BITFIELD", "k", "SET", "u8", "100", "1"), "*1\r\n:0\r\n");
    EQ(R("TTL", "k"), ":100\r\n");
    EQ(W("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u8", "200", "256"), "*1\r\n$-1\r\n");
    EQ(R("TTL", "k"), ":100\r\n");
    COUNTERS(1, 1);
    EQ(W("SET", "d", "x", "PX", "5000"), "+OK\r\n");
    COUNTERS(2, 2);
    EQ(W("BITOP", "OR", "d", "k"), ":26\r\n");
    EQ(R("TTL", "d"), ":-1\r\n");
    COUNTERS(2, 1);
    /* an empty result deletes the destination, TTL and all */
    EQ(W("SET", "d", "x", "PX", "5000"), "+OK\r\n");
    EQ(W("BITOP", "AND", "d", "nokey"), ":0\r\n");
    EQ(R("EXISTS", "d"), ":0\r\n");
    COUNTERS(1, 1);
    /* an expired key reads as missing and is replaced */
    t->now_ms += 200000;
    EQ(W("SETBIT", "k", "0", "1"), ":0\r\n");
    value_is(t, "k", "\x80", 1);
    EQ(R("TTL", "k"), ":-1\r\n");
    COUNTERS(1, 0);
}

static void test_bitcount(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SET", "k", "foobar"), "+OK\r\n");
    EQ(R("BITCOUNT", "k"), ":26\r\n");
    EQ(R("BITCOUNT", "k", "0", "0"), ":4\r\n");
    EQ(R("BITCOUNT", "k", "1", "1"), ":6\r\n");
    EQ(R("BITCOUNT", "k", "1", "1", "byte"), ":6\r\n");
    EQ(R("BITCOUNT", "k", "5", "30", "BIT"), ":17\r\n");
    EQ(R("BITCOUNT", "k", "-5", "-1", "bit"), ":2\r\n");
    EQ(R("BITCOUNT", "k", "-100", "-1", "bit"), ":26\r\n");
    EQ(R("BITCOUNT", "k", "-100", "-90", "bit"), ":0\r\n");
    EQ(R("BITCOUNT", "k", "0", "-1", "bit"), ":26\r\n");
    EQ(R("BITCOUNT", "k", "2", "1"), ":0\r\n");
    EQ(R("BITCOUNT", "k", "-2", "-1"), ":7\r\n");
    EQ(R("BITCOUNT", "k", "0", "1000"), ":26\r\n");
    EQ(R("BITCOUNT", "k", "1000", "2000"), ":0\r\n");
    /* two negative indices in the wrong order answer 0 before the unit is read */
    EQ(R("BITCOUNT", "k", "-1", "-2", "foo"), ":0\r\n");
    EQ(R("BITCOUNT", "k", "0", "-1", "bits"), SYNTAX);
    EQ(R("BITCOUNT", "k", "1"), SYNTAX);
    EQ(R("BITCOUNT", "k", "0", "1", "bit", "x"), SYNTAX);
    EQ(R("BITCOUNT", "k", "a", "b"), NOTINT);
    /* a missing key answers 0 before its arguments are parsed */
    EQ(R("BITCOUNT", "nokey", "a", "b", "c"), ":0\r\n");
    EQ(R("BITCOUNT", "nokey", "1"), ":0\r\n");
    EQ(W("SET", "e", ""), "+OK\r\n");
    EQ(R("BITCOUNT", "e"), ":0\r\n");
    EQ(R("BITCOUNT", "e", "0", "-1", "bit"), ":0\r\n");
    ct_put_collection(t, "l", 1, OBJ_LIST, 1, 0);
    EQ(R("BITCOUNT", "l"), WRONGTYPE);
    /* long runs: the word-at-a-time path and both ragged ends */
    char big[1000];
    memset(big, 0xff, sizeof(big));
    const char *argv[] = {"SET", "big", big};
    size_t lens[] = {3, 3, sizeof(big)};
    ct_run(t, true, true, 3, argv, lens);
    EQ(R("BITCOUNT", "big"), ":8000\r\n");
    EQ(R("BITCOUNT", "big", "3", "7996", "bit"), ":7994\r\n");
    EQ(R("BITCOUNT", "big", "1", "998"), ":7984\r\n");
    t->proto = 3;
    EQ(R("BITCOUNT", "k"), ":26\r\n");
}

static void test_bitpos(void **state)
{
    cmdtest_t *t = *state;
    EQ(R("BITPOS", "nokey", "1"), ":-1\r\n");
    EQ(R("BITPOS", "nokey", "0"), ":0\r\n");
    EQ(R("BITPOS", "nokey", "1", "abc"), ":-1\r\n");
    EQ(W("SET", "k", "foobar"), "+OK\r\n");
    EQ(R("BITPOS", "k", "1"), ":1\r\n");
    EQ(R("BITPOS", "k", "0"), ":0\r\n");
    EQ(R("BITPOS", "k", "1", "2"), ":17\r\n");
    EQ(R("BITPOS", "k", "1", "2", "-1", "bit"), ":2\r\n");
    EQ(R("BITPOS", "k", "0", "7", "15", "bit"), ":7\r\n");
    EQ(R("BITPOS", "k", "1", "7", "15", "BIT"), ":9\r\n");
    EQ(R("BITPOS", "k", "1", "-3", "-1", "bit"), ":46\r\n");
    EQ(R("BITPOS", "k", "0", "-3", "-1", "bit"), ":45\r\n");
    EQ(R("BITPOS", "k", "1", "3", "2"), ":-1\r\n");
    EQ(R("BITPOS", "k", "2"), "-ERR The bit argument must be 1 or 0.\r\n");
    EQ(R("BITPOS", "k", "x"), NOTINT);
    EQ(R("BITPOS", "k", "1", "a"), NOTINT);
    EQ(R("BITPOS", "k", "1", "0", "a"), NOTINT);
    EQ(R("BITPOS", "k", "1", "0", "-1", "foo"), SYNTAX);
    EQ(R("BITPOS", "k", "1", "0", "-1", "bit", "extra"), SYNTAX);
    /* all ones: a 0 past the end without an explicit end, -1 with one */
    EQ(W("SET", "ones", "\xff\xff\xff"), "+OK\r\n");
    EQ(R("BITPOS", "ones", "0"), ":24\r\n");
    EQ(R("BITPOS", "ones", "0", "1"), ":24\r\n");
    EQ(R("BITPOS", "ones", "0", "1", "2"), ":-1\r\n");
    EQ(R("BITPOS", "ones", "0", "0", "-1", "bit"), ":-1\r\n");
    EQ(R("BITPOS", "ones", "1", "5", "5", "bit"), ":5\r\n");
    EQ(R("BITPOS", "ones", "1", "-1"), ":16\r\n");
    const char *zargv[] = {"SET", "z", "\x00\x00\x01"};
    size_t zlens[] = {3, 1, 3};
    EQ(ct_run(t, true, true, 3, zargv, zlens), "+OK\r\n");
    EQ(R("BITPOS", "z", "1"), ":23\r\n");
    EQ(R("BITPOS", "z", "0", "-100", "-50"), ":0\r\n");
    EQ(W("SET", "e", ""), "+OK\r\n");
    EQ(R("BITPOS", "e", "0"), ":-1\r\n");
    EQ(R("BITPOS", "e", "1"), ":-1\r\n");
    ct_put_collection(t, "h", 1, OBJ_HASH, 1, 0);
    EQ(R("BITPOS", "h", "1"), WRONGTYPE);
    EQ(R("BITPOS", "h", "2"), "-ERR The bit argument must be 1 or 0.\r\n");
}

static void test_bitop(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SET", "a", "\xff\x0f\xf0"), "+OK\r\n");
    EQ(W("SET", "b", "\x0f"), "+OK\r\n");
    /* a shorter source is padded with zeros */
    EQ(W("BITOP", "AND", "d", "a", "b"), ":3\r\n");
    value_is(t, "d", "\x0f\x00\x00", 3);
    EQ(W("BITOP", "or", "d", "a", "b"), ":3\r\n");
    value_is(t, "d", "\xff\x0f\xf0", 3);
    EQ(W("BITOP", "Xor", "d", "a", "b"), ":3\r\n");
    value_is(t, "d", "\xf0\x0f\xf0", 3);
    EQ(W("BITOP", "NOT", "d", "a"), ":3\r\n");
    value_is(t, "d", "\x00\xf0\x0f", 3);
    /* a missing source is an empty string: AND gives zeros */
    EQ(W("BITOP", "AND", "d", "a", "nokey"), ":3\r\n");
    value_is(t, "d", "\x00\x00\x00", 3);
    EQ(W("BITOP", "AND", "d", "nokey", "a"), ":3\r\n");
    value_is(t, "d", "\x00\x00\x00", 3);
    /* the destination may be a source */
    EQ(W("BITOP", "NOT", "b", "b"), ":1\r\n");
    value_is(t, "b", "\xf0", 1);
    /* empty result: the destination goes, whatever it held */
    ct_put_collection(t, "h", 1, OBJ_HASH, 1, 0);
    EQ(W("BITOP", "OR", "h", "nokey"), ":0\r\n");
    EQ(R("EXISTS", "h"), ":0\r\n");
    EQ(W("BITOP", "NOT", "new", "nokey"), ":0\r\n");
    EQ(R("EXISTS", "new"), ":0\r\n");
    /* a non-empty one replaces a collection */
    ct_put_collection(t, "h", 1, OBJ_HASH, 1, 0);
    EQ(W("BITOP", "OR", "h", "b"), ":1\r\n");
    EQ(R("TYPE", "h"), "+string\r\n");
    ct_put_collection(t, "l", 1, OBJ_LIST, 1, 0);
    EQ(W("BITOP", "OR", "d", "a", "l"), WRONGTYPE);
    value_is(t, "d", "\x00\x00\x00", 3);
    EQ(W("BITOP", "NOT", "d", "a", "b"), "-ERR BITOP NOT must be called with a single source key.\r\n");
    EQ(W("BITOP", "NAND", "d", "a"), SYNTAX);
    EQ(W("BITOP", "AND", "d"), "-ERR wrong number of arguments for 'bitop' command\r\n");
    COUNTERS(5, 0);
}

static void test_bitfield(void **state)
{
    cmdtest_t *t = *state;
    /* i8: wrap, then sat, then fail */
    EQ(W("BITFIELD", "bf", "SET", "i8", "0", "127", "INCRBY", "i8", "0", "1", "OVERFLOW", "SAT", "INCRBY", "i8",
         "0", "-1000", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "-1", "GET", "u8", "0"),
       "*5\r\n:0\r\n:-128\r\n:-128\r\n$-1\r\n:128\r\n");
    /* u8: a negative SET is a huge unsigned value */
    EQ(W("BITFIELD", "bf", "SET", "u8", "8", "-1", "OVERFLOW", "sat", "SET", "u8", "16", "-1", "OVERFLOW", "fail",
         "SET", "u8", "24", "256", "GET", "u32", "8"),
       "*4\r\n:0\r\n:0\r\n$-1\r\n:4294901760\r\n");
    EQ(W("BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "u8", "8", "10", "INCRBY", "u8", "8", "-300",
         "OVERFLOW", "WRAP", "INCRBY", "u8", "8", "-1"),
       "*3\r\n:255\r\n:0\r\n:255\r\n");
    /* u63 and i64 edges */
    EQ(W("BITFIELD", "bf", "OVERFLOW", "WRAP", "INCRBY", "u63", "32", "-1", "GET", "u63", "32", "OVERFLOW", "SAT",
         "INCRBY", "u63", "32", "-1", "INCRBY", "u63", "32", "1", "GET", "i64", "32"),
       "*5\r\n:9223372036854775807\r\n:9223372036854775807\r\n:9223372036854775806\r\n:9223372036854775807\r\n"
       ":-2\r\n");
    EQ(W("BITFIELD", "bf", "SET", "i64", "0", "-9223372036854775808", "INCRBY", "i64", "0", "-1", "OVERFLOW",
         "SAT", "INCRBY", "i64", "0", "-1", "OVERFLOW", "FAIL", "INCRBY", "i64", "0", "-1", "INCRBY", "i64", "0",
         "9223372036854775807"),
       "*5\r\n:-9151315538033508353\r\n:9223372036854775807\r\n:9223372036854775806\r\n:9223372036854775805\r\n"
       "$-1\r\n");
    /* '#' offsets count fields of the type's width */
    EQ(W("BITFIELD", "bf", "GET", "i64", "#2", "SET", "u4", "#3", "15", "GET", "u4", "#3", "GET", "u4", "#100"),
       "*4\r\n:0\r\n:15\r\n:15\r\n:0\r\n");
    value_is(t, "bf", "\x7f\xff\xff\xff\xff\xff\xff\xfd\xff\xff\xff\xfe", 12);
    /* Redis's SAT quirk: a SET far below a narrow signed field's minimum saturates to its maximum */
    EQ(W("BITFIELD", "q", "OVERFLOW", "SAT", "SET", "i15", "0", "-9223372036854775808", "GET", "i15", "0", "SET",
         "i15", "0", "-9223372036854759425", "GET", "i15", "0", "SET", "i15", "0", "-9223372036854759424", "GET",
         "i15", "0", "SET", "i15", "0", "-16385", "GET", "i15", "0"),
       "*8\r\n:0\r\n:16383\r\n:16383\r\n:16383\r\n:16383\r\n:-16384\r\n:-16384\r\n:-16384\r\n");
    EQ(W("BITFIELD", "q", "OVERFLOW", "SAT", "SET", "i63", "0", "-9223372036854775808", "GET", "i63", "0", "SET",
         "i1", "0", "-5", "GET", "i1", "0", "OVERFLOW", "WRAP", "SET", "i15", "0", "-9223372036854775808", "GET",
         "i15", "0", "OVERFLOW", "SAT", "INCRBY", "i2", "0", "-9223372036854775808"),
       "*7\r\n:-4611686018427387904\r\n:4611686018427387903\r\n:0\r\n:-1\r\n:-1\r\n:0\r\n:-2\r\n");
    /* OVERFLOW FAIL still creates the key, grown to the field */
    EQ(W("BITFIELD", "newk", "OVERFLOW", "FAIL", "SET", "u8", "0", "999"), "*1\r\n$-1\r\n");
    value_is(t, "newk", "\x00", 1);
    /* reads past the end are zeros; no operation at all is an empty array */
    EQ(W("BITFIELD", "newk", "GET", "u8", "4000"), "*1\r\n:0\r\n");
    EQ(W("BITFIELD", "newk"), "*0\r\n");
    EQ(W("BITFIELD", "nokey"), "*0\r\n");
    EQ(W("BITFIELD", "nokey", "GET", "i8", "0"), "*1\r\n:0\r\n");
    EQ(R("EXISTS", "nokey"), ":0\r\n");
    COUNTERS(3, 0);
}

static void test_bitfield_errors(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SET", "k", "foobar"), "+OK\r\n");
    EQ(W("BITFIELD", "k", "GET", "i65", "0"), BADTYPE);
    EQ(W("BITFIELD", "k", "GET", "u64", "0"), BADTYPE);
    EQ(W("BITFIELD", "k", "GET", "I8", "0"), BADTYPE);
    EQ(W("BITFIELD", "k", "GET", "u0", "0"), BADTYPE);
    EQ(W("BITFIELD", "k", "GET", "u08", "0"), BADTYPE);
    EQ(W("BITFIELD", "k", "GET", "", "0"), BADTYPE);
    EQ(W("BITFIELD", "k", "OVERFLOW", "foo"), "-ERR Invalid OVERFLOW type specified\r\n");
    EQ(W("BITFIELD", "k", "OVERFLOW"), SYNTAX);
    EQ(W("BITFIELD", "k", "GET", "u8"), SYNTAX);
    EQ(W("BITFIELD", "k", "SET", "u8", "0"), SYNTAX);
    EQ(W("BITFIELD", "k", "FOO", "u8", "0"), SYNTAX);
    EQ(W("BITFIELD", "k", "GET", "u8", "#9223372036854775807"), BADOFF);
    EQ(W("BITFIELD", "k", "GET", "u8", "#-1"), BADOFF);
    EQ(W("BITFIELD", "k", "GET", "u8", "#"), BADOFF);
    EQ(W("BITFIELD", "k", "GET", "u8", "4294967296"), BADOFF);
    EQ(W("BITFIELD", "k", "GET", "u8", "#144115188075855873"), BADOFF);
    EQ(W("BITFIELD", "k", "SET", "u8", "0", "x"), NOTINT);
    EQ(W("BITFIELD", "k", "GET", "u8", "#1"), "*1\r\n:111\r\n");
    /* everything is parsed before anything runs */
    EQ(W("BITFIELD", "k", "SET", "u8", "0", "0", "GET", "u99", "0"), BADTYPE);
    value_is(t, "k", "foobar", 6);
    ct_put_collection(t, "h", 1, OBJ_HASH, 1, 0);
    EQ(W("BITFIELD", "h", "GET", "u8", "0"), WRONGTYPE);
    EQ(W("BITFIELD", "h"), WRONGTYPE);
    EQ(W("BITFIELD", "h", "GET", "u99", "0"), BADTYPE);
    /* BITFIELD_RO: GET only, checked after parsing */
    EQ(R("BITFIELD_RO", "k", "GET", "u8", "0", "GET", "i4", "#1"), "*2\r\n:102\r\n:6\r\n");
    EQ(R("BITFIELD_RO", "k", "SET", "u8", "0", "1"), "-ERR BITFIELD_RO only supports the GET subcommand\r\n");
    EQ(R("BITFIELD_RO", "k", "INCRBY", "u8", "0", "1"), "-ERR BITFIELD_RO only supports the GET subcommand\r\n");
    EQ(R("BITFIELD_RO", "k", "SET", "u8", "0", "x"), NOTINT);
    EQ(R("BITFIELD_RO", "nokey", "GET", "u8", "0"), "*1\r\n:0\r\n");
    EQ(R("BITFIELD_RO", "k", "OVERFLOW", "SAT"), "*0\r\n");
    EQ(R("BITFIELD_RO", "h", "GET", "u8", "0"), WRONGTYPE);
    t->proto = 3;
    EQ(W("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000", "GET", "u8", "0"),
       "*2\r\n_\r\n:102\r\n");
}

/* The table must hold Redis 7.0's arity, flags and key positions. */
static void test_table(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int arity;
        uint32_t flags;
        int first, last, step;
    } want[] = {
        {"setbit", 4, CMD_WRITE | CMD_DENYOOM, 1, 1, 1},
        {"getbit", 3, CMD_READONLY | CMD_FAST, 1, 1, 1},
        {"bitcount", -2, CMD_READONLY, 1, 1, 1},
        {"bitpos", -3, CMD_READONLY, 1, 1, 1},
        {"bitop", -4, CMD_WRITE | CMD_DENYOOM, 2, -1, 1},
        {"bitfield", -2, CMD_WRITE | CMD_DENYOOM, 1, 1, 1},
        {"bitfield_ro", -2, CMD_READONLY | CMD_FAST, 1, 1, 1},
    };
    cmd_register_data_commands();
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const command_t *c = ct_command(want[i].name, want[i].arity, want[i].flags, want[i].first,
                                        want[i].last, want[i].step);
        assert_string_equal(c->group, "bitmap");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_setbit_getbit, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_ttl, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_bitcount, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_bitpos, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_bitop, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_bitfield, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_bitfield_errors, ct_setup, ct_teardown),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests_name("t_bitmap", tests, NULL, NULL);
}
