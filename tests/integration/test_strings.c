/* The string commands against a live redraft-server, with the exact reply
 * bytes redis-server 7.0.15 gives: GET/SET and every SET option, SETNX,
 * SETEX, PSETEX, MGET, MSET, MSETNX, GETSET, GETDEL, GETEX, INCR/DECR and
 * their BY forms, INCRBYFLOAT, APPEND, STRLEN, GETRANGE/SUBSTR, SETRANGE.
 *
 * STRINGS_KEYS_TARGET=redis runs the same tests against redis-server: that
 * is how the expected bytes were checked. (The key commands are in
 * test_keys.c, the connection commands in test_connection.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/itest.h"
#include "support/proc.h"
#include "support/respcmp.h"

static testproc_t srv;
static rc_t *c; /* the connection of the running test */

static int group_setup(void **state)
{
    if (itest_start(&srv, NULL) != 0) {
        fprintf(stderr, "could not start the server under test\n");
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    return proc_finish(&srv);
}

/* Each test: a fresh connection on an empty keyspace. */
static int test_setup(void **state)
{
    return itest_open_flushed(&c, srv.port);
}

static int test_teardown(void **state)
{
    return itest_close_alive(&c, &srv);
}

/* ---- GET / SET ------------------------------------------------------------ */

static void test_get_set(void **state)
{
    E("$-1\r\n", "GET", "k");
    E("+OK\r\n", "SET", "k", "v");
    E("$1\r\nv\r\n", "GET", "k");
    E("$1\r\nv\r\n", "get", "k");
    E("+OK\r\n", "sEt", "k", "hello world");
    E("$11\r\nhello world\r\n", "GET", "k");
    E("+OK\r\n", "SET", "empty", "");
    E("$0\r\n\r\n", "GET", "empty");
    E(":1\r\n", "EXISTS", "empty");
    /* binary-safe keys and values */
    const char *argv[] = {"SET", "b\0k\r\n", "\0\r\n\r\nx\0"};
    const size_t lens[] = {3, 5, 7};
    EXPECTV(c, "+OK\r\n", 3, argv, lens);
    const char *gv[] = {"GET", "b\0k\r\n"};
    const size_t gl[] = {3, 5};
    EXPECTV(c, "$7\r\n\0\r\n\r\nx\0\r\n", 2, gv, gl);
    const char *sv[] = {"STRLEN", "b\0k\r\n"};
    const size_t sl[] = {6, 5};
    EXPECTV(c, ":7\r\n", 2, sv, sl);
    const char *gk[] = {"GET", "b"};
    EXPECTV(c, "$-1\r\n", 2, gk, NULL);
    /* a 1 MB value comes back byte for byte */
    size_t big = 1 << 20;
    char *v = malloc(big);
    for (size_t i = 0; i < big; i++) v[i] = (char)(i * 7 + (i >> 8));
    const char *bv[] = {"SET", "big", v};
    const size_t bl[] = {3, 3, big};
    EXPECTV(c, "+OK\r\n", 3, bv, bl);
    size_t n = 0;
    const char *bg[] = {"GET", "big"};
    const char *r = rc_cmdv(c, 2, bg, NULL, &n);
    assert_non_null(r);
    assert_int_equal(n, big + 12); /* "$1048576\r\n" + value + "\r\n" */
    assert_memory_equal(r, "$1048576\r\n", 10);
    assert_memory_equal(r + 10, v, big);
    free(v);
    E(":1048576\r\n", "STRLEN", "big");
    E(ARITY("get"), "GET");
    E(ARITY("get"), "GET", "a", "b");
    E(ARITY("set"), "SET", "k");
}

static void test_set_expire_options(void **state)
{
    E("+OK\r\n", "SET", "k", "v", "EX", "100");
    E(":100\r\n", "TTL", "k");
    assert_between(RCI(c, "PTTL", "k"), 99000, 100000);
    E("+OK\r\n", "SET", "k", "v", "PX", "100000");
    E(":100\r\n", "TTL", "k");
    E("+OK\r\n", "SET", "k", "v", "px", "5500");
    assert_between(RCI(c, "PTTL", "k"), 5000, 5500);
    char at[32];
    long long now = now_ms();
    snprintf(at, sizeof(at), "%lld", now / 1000 + 200);
    E("+OK\r\n", "SET", "k", "v", "EXAT", at);
    assert_between(RCI(c, "TTL", "k"), 198, 200);
    E(":1\r\n", "EXISTS", "k");
    char expect[64];
    snprintf(expect, sizeof(expect), ":%s\r\n", at);
    const char *r = RC(c, "EXPIRETIME", "k");
    assert_non_null(r);
    assert_string_equal(r, expect);
    snprintf(at, sizeof(at), "%lld", now + 300000);
    E("+OK\r\n", "SET", "k", "v", "PXAT", at);
    snprintf(expect, sizeof(expect), ":%s\r\n", at);
    r = RC(c, "PEXPIRETIME", "k");
    assert_string_equal(r, expect);
    assert_between(RCI(c, "TTL", "k"), 298, 300);
    /* EXAT/PXAT in the past: the key is set and gone at once */
    E("+OK\r\n", "SET", "k", "v", "EXAT", "1");
    E("$-1\r\n", "GET", "k");
    E(":0\r\n", "EXISTS", "k");
    E("+OK\r\n", "SET", "k", "v", "PXAT", "1000");
    E(":-2\r\n", "TTL", "k");
    /* a plain SET clears the TTL, KEEPTTL keeps it */
    E("+OK\r\n", "SET", "k", "v", "EX", "100");
    E("+OK\r\n", "SET", "k", "v2", "KEEPTTL");
    E(":100\r\n", "TTL", "k");
    E("$2\r\nv2\r\n", "GET", "k");
    E("+OK\r\n", "SET", "k", "v3");
    E(":-1\r\n", "TTL", "k");
    E("+OK\r\n", "SET", "new", "v", "KEEPTTL");
    E(":-1\r\n", "TTL", "new");
    /* bad expire times */
    E("-ERR invalid expire time in 'set' command\r\n", "SET", "k", "v", "EX", "0");
    E("-ERR invalid expire time in 'set' command\r\n", "SET", "k", "v", "EX", "-1");
    E("-ERR invalid expire time in 'set' command\r\n", "SET", "k", "v", "PX", "0");
    E("-ERR invalid expire time in 'set' command\r\n", "SET", "k", "v", "EXAT", "0");
    E("-ERR invalid expire time in 'set' command\r\n", "SET", "k", "v", "PXAT", "-5");
    E("-ERR invalid expire time in 'set' command\r\n", "SET", "k", "v", "EX", "9223372036854775807");
    E("-ERR invalid expire time in 'set' command\r\n", "SET", "k", "v", "PX", "9223372036854775807");
    E("-ERR invalid expire time in 'set' command\r\n", "SET", "k", "v", "EX", "9223372036854776");
    E(NOTINT, "SET", "k", "v", "EX", "abc");
    E(NOTINT, "SET", "k", "v", "EX", "1.5");
    E(NOTINT, "SET", "k", "v", "PX", "");
    E(NOTINT, "SET", "k", "v", "EX", "9223372036854775808");
    /* option syntax */
    E(SYNTAX, "SET", "k", "v", "EX");
    E(SYNTAX, "SET", "k", "v", "EX", "10", "PX", "100");
    E("+OK\r\n", "SET", "k2", "v", "EX", "10", "EX", "100"); /* the same option twice: the last wins */
    E(":100\r\n", "TTL", "k2");
    E(SYNTAX, "SET", "k", "v", "EX", "10", "KEEPTTL");
    E(SYNTAX, "SET", "k", "v", "KEEPTTL", "PXAT", "100000000000000");
    E(SYNTAX, "SET", "k", "v", "NX", "XX");
    E(SYNTAX, "SET", "k", "v", "FOO");
    E(SYNTAX, "SET", "k", "v", "10");
    /* nothing of the above changed the value */
    E("$2\r\nv3\r\n", "GET", "k");
    E(":-1\r\n", "TTL", "k");
}

static void test_set_nx_xx_get(void **state)
{
    E("$-1\r\n", "SET", "k", "v", "XX");
    E(":0\r\n", "EXISTS", "k");
    E("+OK\r\n", "SET", "k", "v", "NX");
    E("$-1\r\n", "SET", "k", "w", "NX");
    E("$1\r\nv\r\n", "GET", "k");
    E("+OK\r\n", "SET", "k", "w", "XX");
    E("$1\r\nw\r\n", "GET", "k");
    /* GET returns the old value (nil if none) and still sets */
    E("$1\r\nw\r\n", "SET", "k", "x", "GET");
    E("$1\r\nx\r\n", "GET", "k");
    E("$-1\r\n", "SET", "g", "1", "GET");
    E("$1\r\n1\r\n", "GET", "g");
    E("$1\r\nx\r\n", "SET", "k", "y", "GET", "EX", "100");
    E(":100\r\n", "TTL", "k");
    E("$1\r\ny\r\n", "SET", "k", "z", "KEEPTTL", "GET");
    E(":100\r\n", "TTL", "k");
    /* NX GET (Redis 7): old value back, no write when the key exists */
    E("$1\r\nz\r\n", "SET", "k", "q", "NX", "GET");
    E("$1\r\nz\r\n", "GET", "k");
    E("$-1\r\n", "SET", "nx", "q", "NX", "GET");
    E("$1\r\nq\r\n", "GET", "nx");
    /* XX GET on a missing key: nil, nothing written */
    E("$-1\r\n", "SET", "xx", "q", "XX", "GET");
    E(":0\r\n", "EXISTS", "xx");
    E("$1\r\nz\r\n", "SET", "k", "r", "XX", "GET");
    E("$1\r\nr\r\n", "GET", "k");
    /* options are case-insensitive and may repeat when they agree */
    E("$-1\r\n", "SET", "k", "v", "nx", "NX");
    E("+OK\r\n", "SET", "k", "v", "xx", "XX", "ex", "5", "EX", "100");
    E(":100\r\n", "TTL", "k");
}

static void test_setnx_setex_psetex(void **state)
{
    E(":1\r\n", "SETNX", "k", "v");
    E(":0\r\n", "SETNX", "k", "w");
    E("$1\r\nv\r\n", "GET", "k");
    E(ARITY("setnx"), "SETNX", "k");
    E("+OK\r\n", "SETEX", "k", "100", "w");
    E(":100\r\n", "TTL", "k");
    E("$1\r\nw\r\n", "GET", "k");
    E("+OK\r\n", "PSETEX", "k", "100000", "x");
    assert_between(RCI(c, "PTTL", "k"), 99000, 100000);
    E("$1\r\nx\r\n", "GET", "k");
    E("-ERR invalid expire time in 'setex' command\r\n", "SETEX", "k", "0", "v");
    E("-ERR invalid expire time in 'setex' command\r\n", "SETEX", "k", "-10", "v");
    E("-ERR invalid expire time in 'psetex' command\r\n", "PSETEX", "k", "0", "v");
    E("-ERR invalid expire time in 'setex' command\r\n", "SETEX", "k", "9223372036854775807", "v");
    E(NOTINT, "SETEX", "k", "ten", "v");
    E(NOTINT, "PSETEX", "k", "1e3", "v");
    E(ARITY("setex"), "SETEX", "k", "10");
    E(ARITY("psetex"), "PSETEX", "k", "10", "v", "w");
    E("$1\r\nx\r\n", "GET", "k"); /* untouched by the failed ones */
    /* SETNX does not revive or touch the TTL of a live key */
    E(":0\r\n", "SETNX", "k", "y");
    assert_between(RCI(c, "PTTL", "k"), 90000, 100000);
}

static void test_mget_mset_msetnx(void **state)
{
    E("+OK\r\n", "MSET", "a", "1", "b", "2", "c", "");
    E("*4\r\n$1\r\n1\r\n$1\r\n2\r\n$0\r\n\r\n$-1\r\n", "MGET", "a", "b", "c", "d");
    E("*3\r\n$1\r\n1\r\n$1\r\n1\r\n$-1\r\n", "MGET", "a", "a", "zz");
    E("*1\r\n$-1\r\n", "MGET", "nothing");
    E(ARITY("mset"), "MSET", "a", "1", "b");
    E(ARITY("mset"), "MSET", "a");
    E(ARITY("mget"), "MGET");
    /* the last of a repeated key wins */
    E("+OK\r\n", "MSET", "a", "x", "a", "y");
    E("$1\r\ny\r\n", "GET", "a");
    /* MSET clears TTLs */
    E("+OK\r\n", "SET", "t", "v", "EX", "100");
    E("+OK\r\n", "MSET", "t", "w");
    E(":-1\r\n", "TTL", "t");
    /* MSETNX: all or nothing */
    E(":0\r\n", "MSETNX", "new1", "1", "a", "2");
    E(":0\r\n", "EXISTS", "new1");
    E("$1\r\ny\r\n", "GET", "a");
    E(":1\r\n", "MSETNX", "new1", "1", "new2", "2");
    E("*2\r\n$1\r\n1\r\n$1\r\n2\r\n", "MGET", "new1", "new2");
    E(ARITY("msetnx"), "MSETNX", "a", "1", "b");
    /* a key given twice to MSETNX: both new, the last wins */
    E(":1\r\n", "MSETNX", "dup", "1", "dup", "2");
    E("$1\r\n2\r\n", "GET", "dup");
    E(":7\r\n", "DBSIZE"); /* a b c t new1 new2 dup */
}

static void test_getset_getdel_getex(void **state)
{
    E("$-1\r\n", "GETSET", "k", "v");
    E("$1\r\nv\r\n", "GETSET", "k", "w");
    E("$1\r\nw\r\n", "GET", "k");
    E("+OK\r\n", "SET", "t", "v", "EX", "100");
    E("$1\r\nv\r\n", "GETSET", "t", "w");
    E(":-1\r\n", "TTL", "t"); /* GETSET clears the TTL */
    E(ARITY("getset"), "GETSET", "k");

    E("$1\r\nw\r\n", "GETDEL", "k");
    E(":0\r\n", "EXISTS", "k");
    E("$-1\r\n", "GETDEL", "k");
    E(ARITY("getdel"), "GETDEL");

    E("$-1\r\n", "GETEX", "missing");
    E("$-1\r\n", "GETEX", "missing", "EX", "100");
    E(":0\r\n", "EXISTS", "missing");
    E("+OK\r\n", "SET", "k", "v");
    E("$1\r\nv\r\n", "GETEX", "k");
    E(":-1\r\n", "TTL", "k");
    E("$1\r\nv\r\n", "GETEX", "k", "EX", "100");
    E(":100\r\n", "TTL", "k");
    E("$1\r\nv\r\n", "GETEX", "k", "PX", "50000");
    E(":50\r\n", "TTL", "k");
    char at[32];
    snprintf(at, sizeof(at), "%lld", (long long)(now_ms() / 1000 + 1000));
    E("$1\r\nv\r\n", "GETEX", "k", "EXAT", at);
    assert_between(RCI(c, "TTL", "k"), 998, 1000);
    snprintf(at, sizeof(at), "%lld", (long long)(now_ms() + 2000000));
    E("$1\r\nv\r\n", "GETEX", "k", "PXAT", at);
    assert_between(RCI(c, "TTL", "k"), 1998, 2000);
    E("$1\r\nv\r\n", "GETEX", "k", "PERSIST");
    E(":-1\r\n", "TTL", "k");
    E("-ERR invalid expire time in 'getex' command\r\n", "GETEX", "k", "EX", "0");
    E("-ERR invalid expire time in 'getex' command\r\n", "GETEX", "k", "PX", "-1");
    E("-ERR invalid expire time in 'getex' command\r\n", "GETEX", "k", "EX", "9223372036854775807");
    E(NOTINT, "GETEX", "k", "EX", "x");
    E(SYNTAX, "GETEX", "k", "EX");
    E(SYNTAX, "GETEX", "k", "PERSIST", "EX", "10");
    E(SYNTAX, "GETEX", "k", "EX", "10", "PX", "10000");
    E(SYNTAX, "GETEX", "k", "KEEPTTL");
    E(SYNTAX, "GETEX", "k", "NX");
    E(ARITY("getex"), "GETEX");
    /* a past EXAT deletes the key (the value is still returned) */
    E("$1\r\nv\r\n", "GETEX", "k", "EXAT", "1");
    E(":0\r\n", "EXISTS", "k");
    E("$-1\r\n", "GET", "k");
}

static void test_incr_decr(void **state)
{
    E(":1\r\n", "INCR", "n");
    E(":2\r\n", "INCR", "n");
    E(":1\r\n", "DECR", "n");
    E(":11\r\n", "INCRBY", "n", "10");
    E(":-9\r\n", "DECRBY", "n", "20");
    E(":-9\r\n", "INCRBY", "n", "0");
    E("$2\r\n-9\r\n", "GET", "n");
    E(":-1\r\n", "DECR", "neg");
    E(":-5\r\n", "INCRBY", "nb", "-5");
    E(":5\r\n", "DECRBY", "nd", "-5");
    /* values that are not integers */
    E("+OK\r\n", "SET", "s", "abc");
    E(NOTINT, "INCR", "s");
    E(NOTINT, "DECR", "s");
    E(NOTINT, "INCRBY", "s", "1");
    E("+OK\r\n", "SET", "s", " 1");
    E(NOTINT, "INCR", "s");
    E("+OK\r\n", "SET", "s", "1 ");
    E(NOTINT, "INCR", "s");
    E("+OK\r\n", "SET", "s", "01");
    E(NOTINT, "INCR", "s");
    E("+OK\r\n", "SET", "s", "+1");
    E(NOTINT, "INCR", "s");
    E("+OK\r\n", "SET", "s", "1.0");
    E(NOTINT, "INCR", "s");
    E("+OK\r\n", "SET", "s", "");
    E(NOTINT, "INCR", "s");
    E("+OK\r\n", "SET", "s", "-0");
    E(NOTINT, "INCR", "s");
    E("+OK\r\n", "SET", "s", "9223372036854775808");
    E(NOTINT, "INCR", "s");
    E("$19\r\n9223372036854775808\r\n", "GET", "s");
    /* bad increments */
    E(NOTINT, "INCRBY", "n", "x");
    E(NOTINT, "INCRBY", "n", "1.5");
    E(NOTINT, "INCRBY", "n", "");
    E(NOTINT, "INCRBY", "n", "9223372036854775808");
    E(NOTINT, "DECRBY", "n", "-9223372036854775809");
    /* overflow */
    E("+OK\r\n", "SET", "m", "9223372036854775806");
    E(":9223372036854775807\r\n", "INCR", "m");
    E("-ERR increment or decrement would overflow\r\n", "INCR", "m");
    E("-ERR increment or decrement would overflow\r\n", "INCRBY", "m", "1");
    E(":-1\r\n", "INCRBY", "m", "-9223372036854775808");
    E("+OK\r\n", "SET", "m", "-9223372036854775807");
    E(":-9223372036854775808\r\n", "DECR", "m");
    E("-ERR increment or decrement would overflow\r\n", "DECR", "m");
    E("-ERR increment or decrement would overflow\r\n", "DECRBY", "m", "1");
    E("$20\r\n-9223372036854775808\r\n", "GET", "m");
    E("+OK\r\n", "SET", "m", "0");
    E("-ERR decrement would overflow\r\n", "DECRBY", "m", "-9223372036854775808");
    /* INCR keeps the TTL */
    E("+OK\r\n", "SET", "t", "5", "EX", "100");
    E(":6\r\n", "INCR", "t");
    E(":100\r\n", "TTL", "t");
    E(ARITY("incr"), "INCR");
    E(ARITY("incrby"), "INCRBY", "n");
    E(ARITY("decrby"), "DECRBY", "n", "1", "2");
}

static void test_incrbyfloat(void **state)
{
    E("$3\r\n1.5\r\n", "INCRBYFLOAT", "f", "1.5");
    E("$1\r\n2\r\n", "INCRBYFLOAT", "f", "0.5");
    E("$3\r\n0.1\r\n", "INCRBYFLOAT", "f", "-1.9");
    E("$4\r\n10.6\r\n", "INCRBYFLOAT", "g", "10.6");
    E("$4\r\n5000\r\n", "INCRBYFLOAT", "h", "5.0e3");
    E("$4\r\n5200\r\n", "INCRBYFLOAT", "h", "2E2");
    E("$4\r\n5000\r\n", "INCRBYFLOAT", "h", "-200");
    E("+OK\r\n", "SET", "i", "10");
    E("$5\r\n10.25\r\n", "INCRBYFLOAT", "i", ".25");
    E("$5\r\n10.25\r\n", "GET", "i");
    /* long double arithmetic, trailing zeros trimmed, as Redis */
    E("$3\r\n0.1\r\n", "INCRBYFLOAT", "p", "0.1");
    E("$3\r\n0.3\r\n", "INCRBYFLOAT", "p", "0.2");
    E("$3\r\n0.3\r\n", "GET", "p");
    E("$3\r\n1.1\r\n", "INCRBYFLOAT", "q", "1.10");
    E("+OK\r\n", "SET", "x", "1");
    E("$21\r\n100000000000000000000\r\n", "INCRBYFLOAT", "x", "1e20");
    E("$3\r\n-20\r\n", "INCRBYFLOAT", "neg", "-20");
    E("$1\r\n0\r\n", "INCRBYFLOAT", "neg", "20");
    /* errors */
    E("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "p", "abc");
    E("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "p", "");
    E("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "p", " 1");
    E("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "p", "1 ");
    E("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "p", "1e");
    E("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "p", "nan");
    E("-ERR increment would produce NaN or Infinity\r\n", "INCRBYFLOAT", "p", "inf");
    E("-ERR increment would produce NaN or Infinity\r\n", "INCRBYFLOAT", "p", "-inf");
    E("+OK\r\n", "SET", "s", "abc");
    E("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "s", "1");
    E("+OK\r\n", "SET", "s", "1.5 ");
    E("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "s", "1");
    E("$3\r\n0.3\r\n", "GET", "p"); /* untouched */
    /* keeps the TTL */
    E("+OK\r\n", "SET", "t", "1", "EX", "100");
    E("$3\r\n1.5\r\n", "INCRBYFLOAT", "t", "0.5");
    E(":100\r\n", "TTL", "t");
    E(ARITY("incrbyfloat"), "INCRBYFLOAT", "t");
}

static void test_append_strlen(void **state)
{
    E(":0\r\n", "STRLEN", "k");
    E(":5\r\n", "APPEND", "k", "Hello");
    E(":11\r\n", "APPEND", "k", " World");
    E("$11\r\nHello World\r\n", "GET", "k");
    E(":11\r\n", "STRLEN", "k");
    E(":11\r\n", "APPEND", "k", "");
    E(":0\r\n", "APPEND", "e", "");
    E(":1\r\n", "EXISTS", "e"); /* APPEND of "" still creates the key */
    E("$0\r\n\r\n", "GET", "e");
    const char *av[] = {"APPEND", "k", "\0\r\n"};
    const size_t al[] = {6, 1, 3};
    EXPECTV(c, ":14\r\n", 3, av, al);
    E("$14\r\nHello World\0\r\n\r\n", "GET", "k");
    /* APPEND keeps the TTL and works on numbers */
    E("+OK\r\n", "SET", "t", "12", "EX", "100");
    E(":3\r\n", "APPEND", "t", "3");
    E(":100\r\n", "TTL", "t");
    E(":124\r\n", "INCR", "t");
    E(ARITY("append"), "APPEND", "k");
    E(ARITY("strlen"), "STRLEN");
}

static void test_getrange(void **state)
{
    E("$0\r\n\r\n", "GETRANGE", "missing", "0", "-1");
    E("+OK\r\n", "SET", "k", "Hello World");
    E("$5\r\nHello\r\n", "GETRANGE", "k", "0", "4");
    E("$5\r\nWorld\r\n", "GETRANGE", "k", "-5", "-1");
    E("$11\r\nHello World\r\n", "GETRANGE", "k", "0", "-1");
    E("$11\r\nHello World\r\n", "GETRANGE", "k", "-100", "100");
    E("$11\r\nHello World\r\n", "GETRANGE", "k", "0", "9223372036854775807");
    E("$1\r\nH\r\n", "GETRANGE", "k", "0", "-100");
    E("$0\r\n\r\n", "GETRANGE", "k", "100", "200");
    E("$0\r\n\r\n", "GETRANGE", "k", "5", "3");
    E("$0\r\n\r\n", "GETRANGE", "k", "-1", "-5");
    E("$1\r\nd\r\n", "GETRANGE", "k", "-1", "-1");
    E("$1\r\nd\r\n", "GETRANGE", "k", "10", "10");
    E("$0\r\n\r\n", "GETRANGE", "k", "11", "11");
    E("$1\r\nH\r\n", "GETRANGE", "k", "-9223372036854775808", "0");
    E("$5\r\nWorld\r\n", "SUBSTR", "k", "6", "10");
    E(NOTINT, "GETRANGE", "k", "a", "1");
    E(NOTINT, "GETRANGE", "k", "0", "1.5");
    E("+OK\r\n", "SET", "e", "");
    E("$0\r\n\r\n", "GETRANGE", "e", "0", "-1");
    E("$0\r\n\r\n", "GETRANGE", "e", "0", "0");
    E(ARITY("getrange"), "GETRANGE", "k", "0");
}

static void test_setrange(void **state)
{
    E(":6\r\n", "SETRANGE", "k", "5", "x");
    E("$6\r\n\0\0\0\0\0x\r\n", "GET", "k");
    E("+OK\r\n", "SET", "h", "Hello World");
    E(":11\r\n", "SETRANGE", "h", "6", "Redis");
    E("$11\r\nHello Redis\r\n", "GET", "h");
    E(":14\r\n", "SETRANGE", "h", "10", "s!!!");
    E("$14\r\nHello Redis!!!\r\n", "GET", "h");
    E(":14\r\n", "SETRANGE", "h", "0", "");
    E(":14\r\n", "SETRANGE", "h", "100", ""); /* empty value: nothing changes */
    E(":14\r\n", "STRLEN", "h");
    E(":0\r\n", "SETRANGE", "missing", "0", "");
    E(":0\r\n", "SETRANGE", "missing", "10", "");
    E(":0\r\n", "EXISTS", "missing");
    E("-ERR offset is out of range\r\n", "SETRANGE", "h", "-1", "x");
    E(NOTINT, "SETRANGE", "h", "x", "x");
    E("-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", "SETRANGE", "h", "536870912", "x");
    E("-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", "SETRANGE", "new", "536870912", "x");
    E(":0\r\n", "EXISTS", "new");
    E("$14\r\nHello Redis!!!\r\n", "GET", "h");
    /* keeps the TTL */
    E("+OK\r\n", "SET", "t", "abc", "EX", "100");
    E(":3\r\n", "SETRANGE", "t", "1", "X");
    E("$3\r\naXc\r\n", "GET", "t");
    E(":100\r\n", "TTL", "t");
    E(ARITY("setrange"), "SETRANGE", "h", "1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get_set, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_set_expire_options, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_set_nx_xx_get, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_setnx_setex_psetex, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_mget_mset_msetnx, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_getset_getdel_getex, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_incr_decr, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_incrbyfloat, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_append_strlen, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_getrange, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_setrange, test_setup, test_teardown),
    };
    return cmocka_run_group_tests_name("strings", tests, group_setup, group_teardown) ? 1 : 0;
}
