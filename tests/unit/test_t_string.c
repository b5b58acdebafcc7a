/* String commands against a real RocksDB keyspace. Every expected reply was
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

static void test_get_set(void **state)
{
    cmdtest_t *t = *state;
    EQ(R("GET", "k"), "$-1\r\n");
    EQ(W("SET", "k", "v"), "+OK\r\n");
    EQ(R("GET", "k"), "$1\r\nv\r\n");
    EQ(R("get", "k"), "$1\r\nv\r\n");
    COUNTERS(1, 0);
    EQ(W("SET", "k", "hello world"), "+OK\r\n");
    EQ(R("GET", "k"), "$11\r\nhello world\r\n");
    EQ(W("SET", "empty", ""), "+OK\r\n");
    EQ(R("GET", "empty"), "$0\r\n\r\n");
    COUNTERS(2, 0);
    t->proto = 3;
    EQ(R("GET", "nokey"), "_\r\n");
    t->proto = 2;
    /* arity is the dispatcher's check, but the table must hold Redis's */
    EQ(R("GET"), "-ERR wrong number of arguments for 'get' command\r\n");
    EQ(R("GET", "a", "b"), "-ERR wrong number of arguments for 'get' command\r\n");
    EQ(W("SET", "k"), "-ERR wrong number of arguments for 'set' command\r\n");
}

static void test_set_expire_options(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SET", "k", "v", "EX", "10"), "+OK\r\n");
    EQ(R("PTTL", "k"), ":10000\r\n");
    EQ(R("PEXPIRETIME", "k"), ":1700000010000\r\n");
    COUNTERS(1, 1);
    EQ(W("SET", "k", "v", "px", "1500"), "+OK\r\n");
    EQ(R("PEXPIRETIME", "k"), ":1700000001500\r\n");
    COUNTERS(1, 1);
    EQ(W("SET", "k", "v", "EXAT", "1800000000"), "+OK\r\n");
    EQ(R("PEXPIRETIME", "k"), ":1800000000000\r\n");
    EQ(W("SET", "k", "v", "PXAT", "1800000000123"), "+OK\r\n");
    EQ(R("PEXPIRETIME", "k"), ":1800000000123\r\n");
    /* a repeated expiry option is accepted, the last one wins */
    EQ(W("SET", "k", "v", "EX", "10", "EX", "20"), "+OK\r\n");
    EQ(R("TTL", "k"), ":20\r\n");
    /* KEEPTTL keeps it, a plain SET drops it */
    EQ(W("SET", "k", "v2", "KEEPTTL"), "+OK\r\n");
    EQ(R("TTL", "k"), ":20\r\n");
    EQ(W("SET", "k", "v3", "keepttl", "KEEPTTL"), "+OK\r\n");
    EQ(R("TTL", "k"), ":20\r\n");
    COUNTERS(1, 1);
    EQ(W("SET", "k", "v4"), "+OK\r\n");
    EQ(R("TTL", "k"), ":-1\r\n");
    COUNTERS(1, 0);
    /* KEEPTTL on a missing key: no TTL */
    EQ(W("SET", "n", "v", "KEEPTTL"), "+OK\r\n");
    EQ(R("TTL", "n"), ":-1\r\n");
    /* an absolute time in the past stores an already expired key */
    EQ(W("SET", "past", "v", "PXAT", "1"), "+OK\r\n");
    EQ(R("EXISTS", "past"), ":0\r\n");
    EQ(R("GET", "past"), "$-1\r\n");
    COUNTERS(3, 1);
    /* expiry exactly "now" is still alive, one ms later it is gone */
    EQ(W("SET", "edge", "v", "PX", "5"), "+OK\r\n");
    t->now_ms = CT_T0 + 5;
    EQ(R("GET", "edge"), "$1\r\nv\r\n");
    EQ(R("PTTL", "edge"), ":0\r\n");
    t->now_ms = CT_T0 + 6;
    EQ(R("GET", "edge"), "$-1\r\n");
}

static void test_set_option_errors(void **state)
{
    cmdtest_t *t = *state;
    static const char INVALID[] = "-ERR invalid expire time in 'set' command\r\n";
    EQ(W("SET", "k", "v", "EX", "0"), INVALID);
    EQ(W("SET", "k", "v", "EX", "-1"), INVALID);
    EQ(W("SET", "k", "v", "PX", "0"), INVALID);
    EQ(W("SET", "k", "v", "EXAT", "0"), INVALID);
    EQ(W("SET", "k", "v", "PXAT", "-5"), INVALID);
    EQ(W("SET", "k", "v", "EX", "9223372036854775807"), INVALID);
    EQ(W("SET", "k", "v", "EX", "9223372036854775"), INVALID); /* *1000 + now overflows */
    EQ(W("SET", "k", "v", "PX", "9223372036854775807"), INVALID);
    EQ(W("SET", "k", "v", "PX", "9223372036854775000"), INVALID);
    EQ(W("SET", "k", "v", "EX", "abc"), NOTINT);
    EQ(W("SET", "k", "v", "EX", "1.5"), NOTINT);
    EQ(W("SET", "k", "v", "EX"), SYNTAX);
    EQ(W("SET", "k", "v", "EX", "10", "PX", "10"), SYNTAX);
    EQ(W("SET", "k", "v", "EXAT", "1", "PX", "5"), SYNTAX);
    EQ(W("SET", "k", "v", "PXAT", "1", "EXAT", "5"), SYNTAX);
    EQ(W("SET", "k", "v", "KEEPTTL", "EX", "10"), SYNTAX);
    EQ(W("SET", "k", "v", "EX", "10", "KEEPTTL"), SYNTAX);
    EQ(W("SET", "k", "v", "NX", "XX"), SYNTAX);
    EQ(W("SET", "k", "v", "XX", "NX"), SYNTAX);
    EQ(W("SET", "k", "v", "PERSIST"), SYNTAX);
    EQ(W("SET", "k", "v", "foo"), SYNTAX);
    EQ(W("SET", "k", "v", "EXX", "1"), SYNTAX);
    /* the syntax is checked before the expire value */
    EQ(W("SET", "k", "v", "EX", "0", "foo"), SYNTAX);
    COUNTERS(0, 0);
}

static void test_set_nx_xx_get(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SET", "k", "v", "XX"), "$-1\r\n");
    EQ(R("EXISTS", "k"), ":0\r\n");
    EQ(W("SET", "k", "v", "NX"), "+OK\r\n");
    EQ(W("SET", "k", "w", "NX"), "$-1\r\n");
    EQ(W("SET", "k", "v", "nx", "nx"), "$-1\r\n");
    EQ(R("GET", "k"), "$1\r\nv\r\n");
    EQ(W("SET", "k", "w", "XX"), "+OK\r\n");
    EQ(R("GET", "k"), "$1\r\nw\r\n");
    /* GET: the old value is the reply, whether or not NX/XX allowed the set */
    EQ(W("SET", "k", "x", "GET"), "$1\r\nw\r\n");
    EQ(W("SET", "k", "y", "GET", "GET"), "$1\r\nx\r\n");
    EQ(W("SET", "k", "z", "NX", "GET"), "$1\r\ny\r\n");
    EQ(R("GET", "k"), "$1\r\ny\r\n");
    EQ(W("SET", "k2", "v", "NX", "GET"), "$-1\r\n");
    EQ(R("GET", "k2"), "$1\r\nv\r\n");
    EQ(W("SET", "k3", "v", "XX", "GET"), "$-1\r\n");
    EQ(R("EXISTS", "k3"), ":0\r\n");
    EQ(W("SET", "k3", "v", "GET", "EX", "100"), "$-1\r\n");
    EQ(R("TTL", "k3"), ":100\r\n");
    COUNTERS(3, 1);
    /* GET on a non-string refuses the whole command; a plain SET overwrites */
    ct_put_collection(t, "l", 1, OBJ_LIST, 3, 0);
    COUNTERS(4, 1);
    EQ(W("SET", "l", "v", "GET"), WRONGTYPE);
    EQ(R("TYPE", "l"), "+list\r\n");
    EQ(W("SET", "l", "v", "NX", "GET"), WRONGTYPE);
    EQ(W("SET", "l", "v", "NX"), "$-1\r\n");
    EQ(W("SET", "l", "v"), "+OK\r\n");
    EQ(R("TYPE", "l"), "+string\r\n");
    COUNTERS(4, 1);
}

static void test_setnx_setex_psetex(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SETNX", "k", "v"), ":1\r\n");
    EQ(W("SETNX", "k", "w"), ":0\r\n");
    EQ(R("GET", "k"), "$1\r\nv\r\n");
    EQ(W("SETEX", "k", "100", "x"), "+OK\r\n");
    EQ(R("PTTL", "k"), ":100000\r\n");
    EQ(R("GET", "k"), "$1\r\nx\r\n");
    EQ(W("PSETEX", "k", "1500", "y"), "+OK\r\n");
    EQ(R("PTTL", "k"), ":1500\r\n");
    COUNTERS(1, 1);
    EQ(W("SETEX", "k", "0", "v"), "-ERR invalid expire time in 'setex' command\r\n");
    EQ(W("SETEX", "k", "-1", "v"), "-ERR invalid expire time in 'setex' command\r\n");
    EQ(W("setex", "k", "9223372036854775807", "v"),
       "-ERR invalid expire time in 'setex' command\r\n");
    EQ(W("SETEX", "k", "abc", "v"), NOTINT);
    EQ(W("PSETEX", "k", "0", "v"), "-ERR invalid expire time in 'psetex' command\r\n");
    EQ(W("PSETEX", "k", "9223372036854775807", "v"),
       "-ERR invalid expire time in 'psetex' command\r\n");
    EQ(W("SETEX", "k", "10"), "-ERR wrong number of arguments for 'setex' command\r\n");
    EQ(R("GET", "k"), "$1\r\ny\r\n");
    /* SETNX on an expired key: the write deletes it first */
    t->now_ms = CT_T0 + 1501;
    EQ(W("SETNX", "k", "new"), ":1\r\n");
    EQ(R("TTL", "k"), ":-1\r\n");
    COUNTERS(1, 0);
}

static void test_getex(void **state)
{
    cmdtest_t *t = *state;
    static const char INVALID[] = "-ERR invalid expire time in 'getex' command\r\n";
    EQ(W("GETEX", "nokey"), "$-1\r\n");
    EQ(W("GETEX", "nokey", "EX", "0"), "$-1\r\n"); /* key looked up first */
    EQ(W("SET", "s", "hello"), "+OK\r\n");
    EQ(W("GETEX", "s"), "$5\r\nhello\r\n");
    EQ(R("TTL", "s"), ":-1\r\n");
    EQ(W("GETEX", "s", "EX", "0"), INVALID);
    EQ(W("GETEX", "s", "EX", "-5"), INVALID);
    EQ(W("GETEX", "s", "PX", "9223372036854775807"), INVALID);
    EQ(W("GETEX", "s", "EX", "9223372036854775"), INVALID);
    EQ(W("GETEX", "s", "EX", "abc"), NOTINT);
    EQ(W("GETEX", "s", "EX"), SYNTAX);
    EQ(W("GETEX", "s", "PERSIST", "EX", "10"), SYNTAX);
    EQ(W("GETEX", "s", "EX", "10", "PERSIST"), SYNTAX);
    EQ(W("GETEX", "s", "NX"), SYNTAX);
    EQ(W("GETEX", "s", "KEEPTTL"), SYNTAX);
    EQ(W("GETEX", "s", "GET"), SYNTAX);
    EQ(W("GETEX", "s", "EX", "10", "PX", "10"), SYNTAX);
    COUNTERS(1, 0);
    EQ(W("GETEX", "s", "EX", "10", "EX", "20"), "$5\r\nhello\r\n");
    EQ(R("TTL", "s"), ":20\r\n");
    COUNTERS(1, 1);
    EQ(W("GETEX", "s", "PX", "1234"), "$5\r\nhello\r\n");
    EQ(R("PTTL", "s"), ":1234\r\n");
    EQ(W("GETEX", "s", "EXAT", "1800000000"), "$5\r\nhello\r\n");
    EQ(R("PEXPIRETIME", "s"), ":1800000000000\r\n");
    EQ(W("GETEX", "s", "PXAT", "1800000000001"), "$5\r\nhello\r\n");
    EQ(R("PEXPIRETIME", "s"), ":1800000000001\r\n");
    COUNTERS(1, 1);
    EQ(W("GETEX", "s", "PERSIST", "PERSIST"), "$5\r\nhello\r\n");
    EQ(R("TTL", "s"), ":-1\r\n");
    COUNTERS(1, 0);
    EQ(W("GETEX", "s", "PERSIST"), "$5\r\nhello\r\n");
    COUNTERS(1, 0);
    /* an absolute time not after "now" returns the value and deletes */
    EQ(W("GETEX", "s", "PXAT", "1700000000000"), "$5\r\nhello\r\n");
    EQ(R("EXISTS", "s"), ":0\r\n");
    COUNTERS(0, 0);
    EQ(W("SET", "s", "x", "EX", "100"), "+OK\r\n");
    EQ(W("GETEX", "s", "EXAT", "1"), "$1\r\nx\r\n");
    COUNTERS(0, 0);
    ct_put_collection(t, "h", 1, OBJ_HASH, 1, 0);
    EQ(W("GETEX", "h"), WRONGTYPE);
    EQ(W("GETEX", "h", "EX", "0"), WRONGTYPE);
}

static void test_getdel_getset(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("GETDEL", "nokey"), "$-1\r\n");
    EQ(W("SET", "k", "v", "EX", "100"), "+OK\r\n");
    COUNTERS(1, 1);
    EQ(W("GETDEL", "k"), "$1\r\nv\r\n");
    EQ(R("EXISTS", "k"), ":0\r\n");
    COUNTERS(0, 0);
    EQ(W("GETSET", "k", "a"), "$-1\r\n");
    EQ(W("EXPIRE", "k", "100"), ":1\r\n");
    EQ(W("GETSET", "k", "b"), "$1\r\na\r\n");
    EQ(R("TTL", "k"), ":-1\r\n"); /* GETSET drops the TTL */
    EQ(R("GET", "k"), "$1\r\nb\r\n");
    COUNTERS(1, 0);
    ct_put_collection(t, "l", 1, OBJ_LIST, 1, 0);
    EQ(W("GETDEL", "l"), WRONGTYPE);
    EQ(W("GETSET", "l", "x"), WRONGTYPE);
    EQ(R("TYPE", "l"), "+list\r\n");
    COUNTERS(2, 0);
}

static void test_mget_mset_msetnx(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("MSET", "a", "1", "b"), "-ERR wrong number of arguments for 'mset' command\r\n");
    EQ(W("MSETNX", "a", "1", "b"), "-ERR wrong number of arguments for 'msetnx' command\r\n");
    COUNTERS(0, 0);
    EQ(W("MSET", "a", "1", "b", "2", "a", "3"), "+OK\r\n");
    EQ(R("MGET", "a", "b", "c"), "*3\r\n$1\r\n3\r\n$1\r\n2\r\n$-1\r\n");
    COUNTERS(2, 0);
    EQ(W("EXPIRE", "a", "100"), ":1\r\n");
    EQ(W("MSET", "a", "4"), "+OK\r\n");
    EQ(R("TTL", "a"), ":-1\r\n");
    COUNTERS(2, 0);
    EQ(W("MSETNX", "a", "1", "z", "2"), ":0\r\n");
    EQ(R("EXISTS", "z"), ":0\r\n");
    EQ(W("MSETNX", "x", "1", "x", "2"), ":1\r\n");
    EQ(R("GET", "x"), "$1\r\n2\r\n");
    EQ(W("MSETNX", "y", "1", "w", "2"), ":1\r\n");
    COUNTERS(5, 0);
    ct_put_collection(t, "l", 1, OBJ_LIST, 1, 0);
    EQ(R("MGET", "l", "y", "nokey"), "*3\r\n$-1\r\n$1\r\n1\r\n$-1\r\n");
    EQ(W("MSETNX", "l", "1", "q", "2"), ":0\r\n");
    /* an expired key does not block MSETNX */
    EQ(W("SET", "e", "v", "PX", "10"), "+OK\r\n");
    t->now_ms += 11;
    EQ(R("MGET", "e"), "*1\r\n$-1\r\n");
    EQ(W("MSETNX", "e", "new"), ":1\r\n");
    EQ(R("GET", "e"), "$3\r\nnew\r\n");
    COUNTERS(7, 0);
}

static void test_incr_decr(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("INCR", "n"), ":1\r\n");
    EQ(W("INCRBY", "n", "9223372036854775806"), ":9223372036854775807\r\n");
    EQ(W("INCR", "n"), "-ERR increment or decrement would overflow\r\n");
    EQ(W("INCRBY", "n", "-1"), ":9223372036854775806\r\n");
    EQ(W("DECRBY", "n", "-9223372036854775808"), "-ERR decrement would overflow\r\n");
    EQ(W("DECRBY", "n", "9223372036854775807"), ":-1\r\n");
    EQ(R("GET", "n"), "$2\r\n-1\r\n");
    EQ(W("SET", "n", "-9223372036854775808"), "+OK\r\n");
    EQ(W("DECR", "n"), "-ERR increment or decrement would overflow\r\n");
    EQ(W("DECRBY", "n", "1"), "-ERR increment or decrement would overflow\r\n");
    EQ(W("INCRBY", "n", "-1"), "-ERR increment or decrement would overflow\r\n");
    EQ(W("INCR", "n"), ":-9223372036854775807\r\n");
    EQ(W("DECR", "d"), ":-1\r\n");
    EQ(W("DECRBY", "d", "10"), ":-11\r\n");
    EQ(W("INCRBY", "d", "11"), ":0\r\n");
    EQ(R("GET", "d"), "$1\r\n0\r\n");
    static const char *const bad[] = {
        " 1", "01", "+1", "1 ", "", "1.0", "abc", "99999999999999999999", "-0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        EQ(W("SET", "x", bad[i]), "+OK\r\n");
        EQ(W("INCR", "x"), NOTINT);
        char want[64];
        snprintf(want, sizeof(want), "$%zu\r\n%s\r\n", strlen(bad[i]), bad[i]);
        EQ(R("GET", "x"), want); /* unchanged */
    }
    EQ(W("INCRBY", "n", "abc"), NOTINT);
    EQ(W("INCRBY", "n", "1.5"), NOTINT);
    EQ(W("INCRBY", "n", "99999999999999999999"), NOTINT);
    EQ(W("DECRBY", "n", ""), NOTINT);
    /* the TTL survives */
    EQ(W("SET", "t", "41", "EX", "100"), "+OK\r\n");
    EQ(W("INCR", "t"), ":42\r\n");
    EQ(R("TTL", "t"), ":100\r\n");
    COUNTERS(4, 1);
    ct_put_collection(t, "l", 1, OBJ_LIST, 1, 0);
    EQ(W("INCR", "l"), WRONGTYPE);
    EQ(W("INCRBY", "l", "abc"), NOTINT); /* the increment is checked first */
    EQ(W("DECRBY", "l", "1"), WRONGTYPE);
}

static void test_incrbyfloat(void **state)
{
    cmdtest_t *t = *state;
    static const char *const cases[][3] = {
        {"10.50", "0.1", "$4\r\n10.6\r\n"},
        {"10.6", "-5", "$3\r\n5.6\r\n"},
        {"5.0e3", "2.0e2", "$4\r\n5200\r\n"},
        {"1", "0", "$1\r\n1\r\n"},
        {"0.1", "0.2", "$3\r\n0.3\r\n"},
        {"3", "-3", "$1\r\n0\r\n"},
        {"-0", "0", "$1\r\n0\r\n"},
        {"3", "1.1e-5", "$8\r\n3.000011\r\n"},
        {"3.000011", "-4.0000110", "$2\r\n-1\r\n"},
        {"0", "1e-20", "$1\r\n0\r\n"},
        {"0", "123456789012345678", "$18\r\n123456789012345678\r\n"},
        {"0", "0x10", "$2\r\n16\r\n"},
        {"1.5", "inf", "-ERR increment would produce NaN or Infinity\r\n"},
        {"1.5", "-inf", "-ERR increment would produce NaN or Infinity\r\n"},
        {"1.5", "nan", "-ERR value is not a valid float\r\n"},
        {"1.5", "abc", "-ERR value is not a valid float\r\n"},
        {"1.5", " 1", "-ERR value is not a valid float\r\n"},
        {"1.5", "1.0.0", "-ERR value is not a valid float\r\n"},
        {"1.5", "", "-ERR value is not a valid float\r\n"},
        {"1.5", "1e-5000", "-ERR value is not a valid float\r\n"},
        {"abc", "1", "-ERR value is not a valid float\r\n"},
        {"1.2e4932", "0", "-ERR value is not a valid float\r\n"},
        {"1e308", "1e308",
         "$309\r\n199999999999999999993371759311691291321120199694831134415594095989843469737676123"
         "7442002"
         "53843777078640893494450108026446304269499187921167194841628860392837535918200039206381557"
         "3262192"
         "09014213335878306791577877829121087126122536729803237260434173178506889763247582601711514"
         "6362848"
         "49020905456510092687857156096\r\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        EQ(W("SET", "f", cases[i][0]), "+OK\r\n");
        const char *got = W("INCRBYFLOAT", "f", cases[i][1]);
        if (strcmp(got, cases[i][2]) != 0)
            fail_msg("INCRBYFLOAT %s %s: got %s", cases[i][0], cases[i][1], got);
    }
    /* a new key starts from 0, the stored text is the replied text */
    EQ(W("INCRBYFLOAT", "g", "3.0"), "$1\r\n3\r\n");
    EQ(R("GET", "g"), "$1\r\n3\r\n");
    EQ(W("INCRBYFLOAT", "k", "1e400"), "$401\r\n100000000000000000002818806839475865145864534336290"
                                       "5203862591069353968553400862986203936"
                                       "39948483241605220940539273176162002958227772592557340238289"
                                       "7659334066101779744743454617391786244"
                                       "81166749717237789438243915933380474706750262466844013592375"
                                       "1360383034373548550524495596497902182"
                                       "50382800910684149474024568986530409510175126580926158275889"
                                       "2018347251164331659136266413817630973"
                                       "4806343732497430221946880\r\n");
    EQ(W("SET", "f", "abc"), "+OK\r\n");
    EQ(W("INCRBYFLOAT", "f", "zzz"), NOTFLOAT);
    /* TTL kept */
    EQ(W("SET", "t", "1.5", "EX", "100"), "+OK\r\n");
    EQ(W("INCRBYFLOAT", "t", "1"), "$3\r\n2.5\r\n");
    EQ(R("TTL", "t"), ":100\r\n");
    ct_put_collection(t, "l", 1, OBJ_LIST, 1, 0);
    EQ(W("INCRBYFLOAT", "l", "1"), WRONGTYPE);
    EQ(W("INCRBYFLOAT", "l", "abc"), WRONGTYPE);
    COUNTERS(5, 1);
}

static void test_append_strlen(void **state)
{
    cmdtest_t *t = *state;
    EQ(R("STRLEN", "a"), ":0\r\n");
    EQ(W("APPEND", "a", ""), ":0\r\n");
    EQ(R("EXISTS", "a"), ":1\r\n");
    EQ(R("STRLEN", "a"), ":0\r\n");
    EQ(W("APPEND", "a", "hello"), ":5\r\n");
    EQ(W("APPEND", "a", " world"), ":11\r\n");
    EQ(R("GET", "a"), "$11\r\nhello world\r\n");
    EQ(R("STRLEN", "a"), ":11\r\n");
    EQ(W("SETEX", "t", "100", "abc"), "+OK\r\n");
    EQ(W("APPEND", "t", "def"), ":6\r\n");
    EQ(R("TTL", "t"), ":100\r\n");
    EQ(R("GET", "t"), "$6\r\nabcdef\r\n");
    COUNTERS(2, 1);
    ct_put_collection(t, "l", 1, OBJ_LIST, 1, 0);
    EQ(W("APPEND", "l", "x"), WRONGTYPE);
    EQ(R("STRLEN", "l"), WRONGTYPE);
}

static void test_getrange(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SET", "g", "This is a string"), "+OK\r\n");
    static const char *const cases[][3] = {
        {"0", "3", "$4\r\nThis\r\n"},
        {"-3", "-1", "$3\r\ning\r\n"},
        {"0", "-1", "$16\r\nThis is a string\r\n"},
        {"10", "100", "$6\r\nstring\r\n"},
        {"5", "3", "$0\r\n\r\n"},
        {"-1", "-5", "$0\r\n\r\n"},
        {"-100", "-200", "$0\r\n\r\n"},
        {"-100", "2", "$3\r\nThi\r\n"},
        {"0", "-100", "$1\r\nT\r\n"}, /* Redis 7.0 clamps the end to 0 */
        {"0", "-17", "$1\r\nT\r\n"},
        {"0", "-16", "$1\r\nT\r\n"},
        {"100", "200", "$0\r\n\r\n"},
        {"-1", "-1", "$1\r\ng\r\n"},
        {"-9223372036854775808", "9223372036854775807", "$16\r\nThis is a string\r\n"},
        {"9223372036854775807", "-9223372036854775808", "$0\r\n\r\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = R("GETRANGE", "g", cases[i][0], cases[i][1]);
        if (strcmp(got, cases[i][2]) != 0)
            fail_msg("GETRANGE %s %s: got %s", cases[i][0], cases[i][1], got);
    }
    EQ(R("SUBSTR", "g", "0", "3"), "$4\r\nThis\r\n");
    EQ(R("GETRANGE", "g", "abc", "1"), NOTINT);
    EQ(R("GETRANGE", "g", "1", "abc"), NOTINT);
    EQ(R("GETRANGE", "nokey", "0", "-1"), "$0\r\n\r\n");
    EQ(R("GETRANGE", "nokey", "abc", "1"), NOTINT);
    EQ(W("SET", "e", ""), "+OK\r\n");
    EQ(R("GETRANGE", "e", "0", "-1"), "$0\r\n\r\n");
    EQ(R("GETRANGE", "e", "0", "0"), "$0\r\n\r\n");
    EQ(R("GETRANGE", "e", "-1", "0"), "$0\r\n\r\n");
    ct_put_collection(t, "l", 1, OBJ_LIST, 1, 0);
    EQ(R("GETRANGE", "l", "0", "1"), WRONGTYPE);
}

static void test_setrange(void **state)
{
    cmdtest_t *t = *state;
    static const char TOOBIG[] =
        "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
    EQ(W("SETRANGE", "new", "0", ""), ":0\r\n");
    EQ(W("SETRANGE", "new", "100", ""), ":0\r\n");
    EQ(W("SETRANGE", "new", "536870912", ""), ":0\r\n");
    EQ(R("EXISTS", "new"), ":0\r\n");
    COUNTERS(0, 0);
    EQ(W("SETRANGE", "new", "-1", "x"), "-ERR offset is out of range\r\n");
    EQ(W("SETRANGE", "new", "abc", "x"), NOTINT);
    EQ(W("SETRANGE", "new", "9223372036854775808", "x"), NOTINT);
    EQ(W("SETRANGE", "new", "536870912", "x"), TOOBIG);
    EQ(W("SETRANGE", "new", "536870911", "xy"), TOOBIG);
    EQ(W("SETRANGE", "new", "9223372036854775807", "x"), TOOBIG);
    COUNTERS(0, 0);
    EQ(W("SETRANGE", "new", "3", "x"), ":4\r\n");
    const char *got = R("GET", "new");
    assert_int_equal(t->outlen, 10);
    assert_memory_equal(got, "$4\r\n\0\0\0x\r\n", 10);
    EQ(W("SETEX", "t", "100", "hello world"), "+OK\r\n");
    EQ(W("SETRANGE", "t", "6", "redis"), ":11\r\n");
    EQ(R("GET", "t"), "$11\r\nhello redis\r\n");
    EQ(W("SETRANGE", "t", "9", "XYZ"), ":12\r\n");
    EQ(R("GET", "t"), "$12\r\nhello redXYZ\r\n");
    EQ(R("TTL", "t"), ":100\r\n");
    EQ(W("SETRANGE", "t", "100", ""), ":12\r\n");
    EQ(W("SETRANGE", "t", "536870912", ""), ":12\r\n");
    EQ(W("SETRANGE", "t", "536870912", "x"), TOOBIG);
    COUNTERS(2, 1);
    ct_put_collection(t, "l", 1, OBJ_LIST, 1, 0);
    EQ(W("SETRANGE", "l", "0", "x"), WRONGTYPE);
    EQ(W("SETRANGE", "l", "0", ""), WRONGTYPE);
    EQ(W("SETRANGE", "l", "-1", "x"), "-ERR offset is out of range\r\n");
}

/* Reads never delete: an expired key stays counted until a write (or the
 * active expiry cycle) touches it. */
static void test_lazy_expiry(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SET", "k", "v", "PX", "100"), "+OK\r\n");
    EQ(W("SET", "k2", "v", "PX", "100"), "+OK\r\n");
    COUNTERS(2, 2);
    t->now_ms = CT_T0 + 101;
    EQ(R("GET", "k"), "$-1\r\n");
    EQ(R("STRLEN", "k"), ":0\r\n");
    EQ(R("MGET", "k", "k2"), "*2\r\n$-1\r\n$-1\r\n");
    COUNTERS(2, 2);
    EQ(R("DBSIZE"), ":2\r\n");
    /* a write that looks at the key deletes it in the same batch */
    EQ(W("APPEND", "k", "x"), ":1\r\n");
    EQ(R("TTL", "k"), ":-1\r\n");
    COUNTERS(2, 1);
    EQ(W("INCR", "k2"), ":1\r\n");
    COUNTERS(2, 0);
    /* a read command run inside an applied entry also deletes */
    EQ(W("SET", "k3", "v", "PX", "1"), "+OK\r\n");
    t->now_ms += 2;
    const char *argv[] = {"GET", "k3"};
    size_t lens[] = {3, 2};
    EQ(ct_run(t, true, false, 2, argv, lens), "$-1\r\n");
    COUNTERS(2, 0);
}

static void test_binary_safe(void **state)
{
    cmdtest_t *t = *state;
    const char key[] = "k\0ey", val[] = "v\0a\r\nl";
    const char *set[] = {"SET", key, val};
    size_t setl[] = {3, 4, 6};
    EQ(ct_run(t, true, true, 3, set, setl), "+OK\r\n");
    const char *get[] = {"GET", key};
    size_t getl[] = {3, 4};
    ct_run(t, false, true, 2, get, getl);
    assert_int_equal(t->outlen, 12);
    assert_memory_equal(t->out, "$6\r\nv\0a\r\nl\r\n", 12);
    /* the key differs from its prefix before the NUL */
    EQ(R("GET", "k"), "$-1\r\n");
    const char *app[] = {"APPEND", key, "\0"};
    size_t appl[] = {6, 4, 1};
    EQ(ct_run(t, true, true, 3, app, appl), ":7\r\n");
    const char *rng[] = {"GETRANGE", key, "-2", "-1"};
    size_t rngl[] = {8, 4, 2, 2};
    ct_run(t, false, true, 4, rng, rngl);
    assert_int_equal(t->outlen, 8);
    assert_memory_equal(t->out, "$2\r\nl\0\r\n", 8);
    const char *num[] = {"SET", key, "1\0"};
    size_t numl[] = {3, 4, 2};
    ct_run(t, true, true, 3, num, numl);
    const char *incr[] = {"INCR", key};
    size_t incrl[] = {4, 4};
    EQ(ct_run(t, true, true, 2, incr, incrl), NOTINT);
    COUNTERS(1, 0);
}

/* Counters and data travel in the same batch: both survive a restart. */
static void test_persistence(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SET", "a", "1"), "+OK\r\n");
    EQ(W("SET", "b", "2", "EX", "100"), "+OK\r\n");
    EQ(W("INCR", "a"), ":2\r\n");
    uint64_t applied = t->index;
    ct_reopen(t);
    COUNTERS(2, 1);
    assert_int_equal(t->db.applied, applied);
    EQ(R("GET", "a"), "$1\r\n2\r\n");
    EQ(R("TTL", "b"), ":100\r\n");
}

/* The table must say what Redis's COMMAND INFO/DOCS say. */
static void test_table(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int arity;
        uint32_t flags;
        int first, last, step;
        const char *acl;
    } want[] = {
        {"get", 2, CMD_READONLY | CMD_FAST, 1, 1, 1, "read string fast"},
        {"set", -3, CMD_WRITE | CMD_DENYOOM, 1, 1, 1, "write string slow"},
        {"setnx", 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "write string fast"},
        {"setex", 4, CMD_WRITE | CMD_DENYOOM, 1, 1, 1, "write string slow"},
        {"psetex", 4, CMD_WRITE | CMD_DENYOOM, 1, 1, 1, "write string slow"},
        {"mget", -2, CMD_READONLY | CMD_FAST, 1, -1, 1, "read string fast"},
        {"mset", -3, CMD_WRITE | CMD_DENYOOM, 1, -1, 2, "write string slow"},
        {"msetnx", -3, CMD_WRITE | CMD_DENYOOM, 1, -1, 2, "write string slow"},
        {"getset", 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "write string fast"},
        {"getdel", 2, CMD_WRITE | CMD_FAST, 1, 1, 1, "write string fast"},
        {"getex", -2, CMD_WRITE | CMD_FAST, 1, 1, 1, "write string fast"},
        {"incr", 2, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "write string fast"},
        {"decr", 2, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "write string fast"},
        {"incrby", 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "write string fast"},
        {"decrby", 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "write string fast"},
        {"incrbyfloat", 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "write string fast"},
        {"append", 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "write string fast"},
        {"strlen", 2, CMD_READONLY | CMD_FAST, 1, 1, 1, "read string fast"},
        {"getrange", 4, CMD_READONLY, 1, 1, 1, "read string slow"},
        {"substr", 4, CMD_READONLY, 1, 1, 1, "read string slow"},
        {"setrange", 4, CMD_WRITE | CMD_DENYOOM, 1, 1, 1, "write string slow"},
    };
    cmd_register_data_commands();
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const command_t *c = ct_command(want[i].name, want[i].arity, want[i].flags, want[i].first,
                                        want[i].last, want[i].step);
        assert_string_equal(c->acl, want[i].acl);
        assert_string_equal(c->group, "string");
        assert_non_null(c->summary);
        assert_non_null(c->since);
        assert_non_null(c->complexity);
    }
    const command_t *c = cmd_lookup("GETDEL", 6);
    assert_string_equal(c->summary, "Get the value of a key and delete the key");
    assert_string_equal(c->since, "6.2.0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get_set, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_set_expire_options, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_set_option_errors, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_set_nx_xx_get, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_setnx_setex_psetex, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_getex, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_getdel_getset, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_mget_mset_msetnx, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_incr_decr, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_incrbyfloat, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_append_strlen, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_getrange, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_setrange, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_lazy_expiry, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_binary_safe, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_persistence, ct_setup, ct_teardown),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
