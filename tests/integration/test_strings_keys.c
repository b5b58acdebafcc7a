/* Every string and generic-key command against a live redraft-server, with
 * the exact reply bytes redis-server 7.0.15 gives.
 *
 * STRINGS_KEYS_TARGET=redis runs the same tests against redis-server (the
 * assertions marked redraft-only are skipped): that is how the expected bytes
 * were checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/proc.h"
#include "support/respcmp.h"

static testproc_t srv;
static bool vs_redis; /* the reference server is the target */
static rc_t *c;       /* the connection of the running test */
static testproc_t *cur; /* the server of the running group */

#define E(want, ...) EXPECT(c, want, __VA_ARGS__)
#define NOTINT "-ERR value is not an integer or out of range\r\n"
#define SYNTAX "-ERR syntax error\r\n"
#define ARITY(cmd) "-ERR wrong number of arguments for '" cmd "' command\r\n"

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void sleep_ms(int ms)
{
    usleep((useconds_t)ms * 1000);
}

static int group_setup(void **state)
{
    const char *t = getenv("STRINGS_KEYS_TARGET");
    vs_redis = t && strcmp(t, "redis") == 0;
    cur = &srv;
    int rc = vs_redis ? proc_start_redis(&srv) : proc_start(&srv, NULL);
    if (rc != 0) {
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
    c = rc_open(srv.port);
    if (!c) return -1;
    const char *r = RC(c, "FLUSHALL");
    if (!r || strcmp(r, "+OK\r\n") != 0) return -1;
    return 0;
}

static int test_teardown(void **state)
{
    rc_close(c);
    c = NULL;
    /* whatever the test did, the server must still be up */
    if (!proc_alive(cur)) {
        fprintf(stderr, "server died; log %s\n", cur->log);
        return -1;
    }
    return 0;
}

static void assert_between(long long v, long long lo, long long hi)
{
    if (v < lo || v > hi) fail_msg("%lld not in [%lld, %lld]", v, lo, hi);
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

static void test_del_unlink_exists_type(void **state)
{
    E("+OK\r\n", "MSET", "a", "1", "b", "2", "c", "3", "d", "4");
    E(":2\r\n", "DEL", "a", "b", "x");
    E(":0\r\n", "DEL", "a", "b");
    E(":1\r\n", "DEL", "c", "c");
    E(":1\r\n", "UNLINK", "d", "nope");
    E(":0\r\n", "DBSIZE");
    E("+OK\r\n", "MSET", "a", "1", "b", "2");
    E(":2\r\n", "EXISTS", "a", "a");
    E(":3\r\n", "EXISTS", "a", "b", "a", "z");
    E(":0\r\n", "EXISTS", "z");
    E("+string\r\n", "TYPE", "a");
    E("+none\r\n", "TYPE", "z");
    E(":2\r\n", "TOUCH", "a", "b", "z");
    E(":0\r\n", "TOUCH", "z");
    E(ARITY("del"), "DEL");
    E(ARITY("unlink"), "UNLINK");
    E(ARITY("exists"), "EXISTS");
    E(ARITY("type"), "TYPE");
    E(ARITY("type"), "TYPE", "a", "b");
    E(ARITY("touch"), "TOUCH");
    /* a deleted key with a TTL comes back without one */
    E("+OK\r\n", "SET", "t", "v", "EX", "100");
    E(":1\r\n", "DEL", "t");
    E("+OK\r\n", "SET", "t", "v");
    E(":-1\r\n", "TTL", "t");
}

static void test_rename(void **state)
{
    E("-ERR no such key\r\n", "RENAME", "a", "b");
    E("-ERR no such key\r\n", "RENAMENX", "a", "b");
    E("+OK\r\n", "SET", "a", "1");
    E("+OK\r\n", "RENAME", "a", "b");
    E(":0\r\n", "EXISTS", "a");
    E("$1\r\n1\r\n", "GET", "b");
    E("+OK\r\n", "RENAME", "b", "b");
    E("$1\r\n1\r\n", "GET", "b");
    E(":0\r\n", "RENAMENX", "b", "b");
    /* the TTL moves with the value; the destination's TTL is dropped */
    E("+OK\r\n", "SET", "src", "s", "EX", "100");
    E("+OK\r\n", "SET", "dst", "d", "EX", "5000");
    E("+OK\r\n", "RENAME", "src", "dst");
    E("$1\r\ns\r\n", "GET", "dst");
    E(":100\r\n", "TTL", "dst");
    E("+OK\r\n", "SET", "p", "plain");
    E("+OK\r\n", "RENAME", "p", "dst");
    E(":-1\r\n", "TTL", "dst");
    E(":2\r\n", "DBSIZE");
    /* RENAMENX */
    E("+OK\r\n", "SET", "x", "X", "PX", "100000");
    E(":0\r\n", "RENAMENX", "x", "dst");
    E("$1\r\nX\r\n", "GET", "x");
    E("$5\r\nplain\r\n", "GET", "dst");
    E(":1\r\n", "RENAMENX", "x", "y");
    E(":0\r\n", "EXISTS", "x");
    E("$1\r\nX\r\n", "GET", "y");
    assert_between(RCI(c, "PTTL", "y"), 90000, 100000);
    /* binary key names */
    const char *rv[] = {"RENAME", "y", "\0\r\n"};
    const size_t rl[] = {6, 1, 3};
    EXPECTV(c, "+OK\r\n", 3, rv, rl);
    const char *gv[] = {"GET", "\0\r\n"};
    const size_t gl[] = {3, 3};
    EXPECTV(c, "$1\r\nX\r\n", 2, gv, gl);
    E(ARITY("rename"), "RENAME", "a");
    E(ARITY("renamenx"), "RENAMENX", "a", "b", "c");
}

/* KEYS order is unspecified: both sides sorted. */
static void keys_is(const char *pattern, const char *want_sorted)
{
    size_t n;
    const char *argv[] = {"KEYS", pattern};
    const char *r = rc_cmdv(c, 2, argv, NULL, &n);
    assert_non_null(r);
    rbuf_t got = {0};
    if (!resp_sorted(r, n, &got)) {
        char *e = resp_escape(r, n);
        fail_msg("KEYS %s: not an array: %s", pattern, e);
    }
    rbuf_t want = {0};
    assert_true(resp_sorted(want_sorted, strlen(want_sorted), &want));
    if (got.len != want.len || memcmp(got.p, want.p, got.len) != 0) {
        char *g = resp_escape(got.p, got.len), *w = resp_escape(want.p, want.len);
        fail_msg("KEYS %s\n  want %s\n  got  %s", pattern, w, g);
    }
    rbuf_free(&got);
    rbuf_free(&want);
}

static void test_keys(void **state)
{
    E("*0\r\n", "KEYS", "*");
    E("+OK\r\n", "MSET", "hello", "1", "hallo", "1", "hxllo", "1", "hllo", "1", "heeeello", "1", "h*llo", "1",
      "h?llo", "1", "other", "1");
    keys_is("*", "*8\r\n$5\r\nhello\r\n$5\r\nhallo\r\n$5\r\nhxllo\r\n$4\r\nhllo\r\n$8\r\nheeeello\r\n"
                 "$5\r\nh*llo\r\n$5\r\nh?llo\r\n$5\r\nother\r\n");
    keys_is("h?llo", "*5\r\n$5\r\nhello\r\n$5\r\nhallo\r\n$5\r\nhxllo\r\n$5\r\nh*llo\r\n$5\r\nh?llo\r\n");
    keys_is("h*llo", "*7\r\n$5\r\nhello\r\n$5\r\nhallo\r\n$5\r\nhxllo\r\n$4\r\nhllo\r\n$8\r\nheeeello\r\n"
                     "$5\r\nh*llo\r\n$5\r\nh?llo\r\n");
    keys_is("h[ae]llo", "*2\r\n$5\r\nhello\r\n$5\r\nhallo\r\n");
    keys_is("h[^e]llo", "*4\r\n$5\r\nhallo\r\n$5\r\nhxllo\r\n$5\r\nh*llo\r\n$5\r\nh?llo\r\n");
    keys_is("h[a-b]llo", "*1\r\n$5\r\nhallo\r\n");
    keys_is("h\\*llo", "*1\r\n$5\r\nh*llo\r\n");
    keys_is("h\\?llo", "*1\r\n$5\r\nh?llo\r\n");
    keys_is("hello", "*1\r\n$5\r\nhello\r\n");
    keys_is("nomatch*", "*0\r\n");
    keys_is("*o", "*7\r\n$5\r\nhello\r\n$5\r\nhallo\r\n$5\r\nhxllo\r\n$4\r\nhllo\r\n$8\r\nheeeello\r\n"
                  "$5\r\nh*llo\r\n$5\r\nh?llo\r\n");
    keys_is("?????", "*6\r\n$5\r\nhello\r\n$5\r\nhallo\r\n$5\r\nhxllo\r\n$5\r\nh*llo\r\n$5\r\nh?llo\r\n"
                     "$5\r\nother\r\n");
    keys_is("[", "*0\r\n");
    keys_is("", "*0\r\n");
    E(ARITY("keys"), "KEYS");
    /* expired keys are not listed */
    E("+OK\r\n", "SET", "gone", "1", "PXAT", "1");
    keys_is("g*", "*0\r\n");
}

/* Iterates SCAN to cursor 0 with the given options; returns the keys seen
 * (with repeats) as a parsed array node the caller frees, and the number of
 * calls in *calls. */
static rnode_t *scan_all(int nopts, const char *const *opts, int *calls)
{
    rnode_t *all = calloc(1, sizeof(*all));
    all->type = '*';
    char cursor[64] = "0";
    int n = 0;
    do {
        const char *argv[16] = {"SCAN", cursor};
        for (int i = 0; i < nopts; i++) argv[2 + i] = opts[i];
        size_t len;
        const char *r = rc_cmdv(c, 2 + nopts, argv, NULL, &len);
        assert_non_null(r);
        rnode_t *t = rc_parse_reply(r, len);
        if (!t || t->type != '*' || t->n != 2 || t->e[0]->type != '$' || t->e[1]->type != '*') {
            char *e = resp_escape(r, len);
            fail_msg("bad SCAN reply %s", e);
        }
        snprintf(cursor, sizeof(cursor), "%s", t->e[0]->s);
        rnode_t *keys = t->e[1];
        all->e = realloc(all->e, sizeof(*all->e) * (size_t)(all->n + keys->n + 1));
        for (int i = 0; i < keys->n; i++) {
            all->e[all->n++] = keys->e[i];
            keys->e[i] = NULL;
        }
        keys->n = 0;
        rnode_free(t);
        if (++n > 100000) fail_msg("SCAN does not end");
    } while (strcmp(cursor, "0") != 0);
    if (calls) *calls = n;
    return all;
}

/* Every expected key was seen, and nothing else. */
static void assert_scan_set(rnode_t *seen, const char *prefix, int count)
{
    char *hit = calloc((size_t)count, 1);
    for (int i = 0; i < seen->n; i++) {
        const rnode_t *k = seen->e[i];
        size_t pl = strlen(prefix);
        int idx = -1;
        if (k->slen > pl && memcmp(k->s, prefix, pl) == 0) idx = atoi(k->s + pl);
        if (idx < 0 || idx >= count) fail_msg("SCAN returned an unexpected key '%s'", k->s);
        hit[idx] = 1;
    }
    for (int i = 0; i < count; i++)
        if (!hit[i]) fail_msg("SCAN never returned %s%d", prefix, i);
    free(hit);
}

static void test_scan(void **state)
{
    E("*2\r\n$1\r\n0\r\n*0\r\n", "SCAN", "0");
    rbuf_t b = {0};
    for (int i = 0; i < 500; i++) {
        char k[32];
        snprintf(k, sizeof(k), "key:%d", i);
        resp_encodel(&b, "SET", k, "v", (const char *)NULL);
    }
    for (int i = 0; i < 60; i++) {
        char k[32];
        snprintf(k, sizeof(k), "other:%d", i);
        resp_encodel(&b, "SET", k, "v", (const char *)NULL);
    }
    assert_int_equal(rc_write(c, b.p, b.len), 0);
    rbuf_free(&b);
    for (int i = 0; i < 560; i++) {
        const char *r;
        assert_true(rc_read(c, &r) > 0);
        assert_string_equal(r, "+OK\r\n");
    }
    E(":560\r\n", "DBSIZE");

    int calls;
    rnode_t *all = scan_all(0, NULL, &calls);
    assert_true(all->n >= 560);
    rnode_t *keys = calloc(1, sizeof(*keys)); /* split by prefix */
    keys->e = calloc((size_t)all->n, sizeof(*keys->e));
    rnode_t *others = calloc(1, sizeof(*others));
    others->e = calloc((size_t)all->n, sizeof(*others->e));
    for (int i = 0; i < all->n; i++) {
        rnode_t *k = all->e[i];
        if (strncmp(k->s, "key:", 4) == 0) keys->e[keys->n++] = k;
        else others->e[others->n++] = k;
    }
    assert_scan_set(keys, "key:", 500);
    assert_scan_set(others, "other:", 60);
    free(keys->e);
    free(keys);
    free(others->e);
    free(others);
    rnode_free(all);

    const char *o1[] = {"COUNT", "7"};
    all = scan_all(2, o1, &calls);
    assert_true(calls > 1); /* a small COUNT takes several calls */
    assert_true(all->n >= 560);
    rnode_free(all);

    const char *o2[] = {"MATCH", "other:*", "COUNT", "13"};
    all = scan_all(4, o2, &calls);
    assert_scan_set(all, "other:", 60);
    rnode_free(all);

    const char *o3[] = {"MATCH", "key:1?", "TYPE", "string"};
    all = scan_all(4, o3, &calls);
    assert_int_equal(all->n, 10); /* key:10 .. key:19 */
    for (int i = 0; i < all->n; i++) assert_true(strncmp(all->e[i]->s, "key:1", 5) == 0 && all->e[i]->slen == 6);
    rnode_free(all);

    const char *o4[] = {"TYPE", "hash"};
    all = scan_all(2, o4, &calls);
    assert_int_equal(all->n, 0);
    rnode_free(all);

    const char *o5[] = {"type", "STRING", "match", "*", "count", "1000"};
    all = scan_all(6, o5, &calls);
    assert_true(all->n >= 560);
    rnode_free(all);

    E("-ERR invalid cursor\r\n", "SCAN", "abc");
    E("-ERR invalid cursor\r\n", "SCAN", "1x");
    E(SYNTAX, "SCAN", "0", "COUNT", "0");
    E(SYNTAX, "SCAN", "0", "COUNT", "-1");
    E(NOTINT, "SCAN", "0", "COUNT", "x");
    E(SYNTAX, "SCAN", "0", "MATCH");
    E(SYNTAX, "SCAN", "0", "FOO", "bar");
    E(SYNTAX, "SCAN", "0", "COUNT");
    E(ARITY("scan"), "SCAN");
}

static void test_randomkey(void **state)
{
    E("$-1\r\n", "RANDOMKEY");
    E("+OK\r\n", "SET", "only", "1");
    E("$4\r\nonly\r\n", "RANDOMKEY");
    E("+OK\r\n", "MSET", "a", "1", "b", "1", "c", "1");
    bool seen[4] = {0};
    for (int i = 0; i < 200; i++) {
        const char *r = RC(c, "RANDOMKEY");
        assert_non_null(r);
        if (strcmp(r, "$4\r\nonly\r\n") == 0) seen[0] = true;
        else if (strcmp(r, "$1\r\na\r\n") == 0) seen[1] = true;
        else if (strcmp(r, "$1\r\nb\r\n") == 0) seen[2] = true;
        else if (strcmp(r, "$1\r\nc\r\n") == 0) seen[3] = true;
        else fail_msg("RANDOMKEY gave %s", r);
    }
    /* random means more than one key ever comes out */
    assert_true(seen[0] + seen[1] + seen[2] + seen[3] >= 2);
    /* an expired key is never returned */
    E(":1\r\n", "DEL", "only", "x");
    E("+OK\r\n", "FLUSHALL");
    E("+OK\r\n", "SET", "gone", "1", "PXAT", "1");
    E("$-1\r\n", "RANDOMKEY");
    E(ARITY("randomkey"), "RANDOMKEY", "x");
}

static void test_expire_family(void **state)
{
    E(":0\r\n", "EXPIRE", "k", "100");
    E(":0\r\n", "PEXPIRE", "k", "100000");
    E(":0\r\n", "EXPIREAT", "k", "99999999999");
    E(":0\r\n", "PEXPIREAT", "k", "99999999999999");
    E(":-2\r\n", "TTL", "k");
    E(":-2\r\n", "PTTL", "k");
    E(":-2\r\n", "EXPIRETIME", "k");
    E(":-2\r\n", "PEXPIRETIME", "k");
    E(":0\r\n", "PERSIST", "k");
    E("+OK\r\n", "SET", "k", "v");
    E(":-1\r\n", "TTL", "k");
    E(":-1\r\n", "PTTL", "k");
    E(":-1\r\n", "EXPIRETIME", "k");
    E(":-1\r\n", "PEXPIRETIME", "k");
    E(":0\r\n", "PERSIST", "k");
    E(":1\r\n", "EXPIRE", "k", "100");
    E(":100\r\n", "TTL", "k");
    assert_between(RCI(c, "PTTL", "k"), 99000, 100000);
    long long et = RCI(c, "EXPIRETIME", "k");
    assert_between(et, now_ms() / 1000 + 98, now_ms() / 1000 + 101);
    long long pet = RCI(c, "PEXPIRETIME", "k");
    assert_between(pet, now_ms() + 98000, now_ms() + 100001);
    assert_true(pet / 1000 == et || (pet + 999) / 1000 == et);
    E(":1\r\n", "PEXPIRE", "k", "200000");
    E(":200\r\n", "TTL", "k");
    E(":1\r\n", "PERSIST", "k");
    E(":-1\r\n", "TTL", "k");
    E("$1\r\nv\r\n", "GET", "k");
    char at[32];
    snprintf(at, sizeof(at), "%lld", (long long)(now_ms() / 1000 + 500));
    E(":1\r\n", "EXPIREAT", "k", at);
    assert_between(RCI(c, "TTL", "k"), 498, 500);
    snprintf(at, sizeof(at), "%lld", (long long)(now_ms() + 600000));
    E(":1\r\n", "PEXPIREAT", "k", at);
    char want[48];
    snprintf(want, sizeof(want), ":%s\r\n", at);
    const char *r = RC(c, "PEXPIRETIME", "k");
    assert_string_equal(r, want);

    /* NX XX GT LT (a key without TTL counts as an infinite TTL) */
    E("+OK\r\n", "SET", "o", "v");
    E(":0\r\n", "EXPIRE", "o", "100", "XX");
    E(":0\r\n", "EXPIRE", "o", "100", "GT");
    E(":-1\r\n", "TTL", "o");
    E(":1\r\n", "EXPIRE", "o", "100", "LT");
    E(":100\r\n", "TTL", "o");
    E(":0\r\n", "EXPIRE", "o", "50", "NX");
    E(":100\r\n", "TTL", "o");
    E(":1\r\n", "EXPIRE", "o", "200", "XX");
    E(":200\r\n", "TTL", "o");
    E(":0\r\n", "EXPIRE", "o", "100", "GT");
    E(":1\r\n", "EXPIRE", "o", "300", "gt");
    E(":300\r\n", "TTL", "o");
    E(":0\r\n", "EXPIRE", "o", "400", "LT");
    E(":1\r\n", "EXPIRE", "o", "250", "lt");
    E(":250\r\n", "TTL", "o");
    E(":1\r\n", "EXPIRE", "o", "260", "XX", "GT");
    E(":0\r\n", "EXPIRE", "o", "250", "GT", "XX");
    E(":260\r\n", "TTL", "o");
    E(":1\r\n", "PEXPIRE", "o", "270000", "GT");
    E(":270\r\n", "TTL", "o");
    E(":1\r\n", "PERSIST", "o");
    E(":1\r\n", "PEXPIRE", "o", "1000000", "NX");
    E(":1000\r\n", "TTL", "o");
    E("-ERR NX and XX, GT or LT options at the same time are not compatible\r\n", "EXPIRE", "o", "1", "NX", "XX");
    E("-ERR NX and XX, GT or LT options at the same time are not compatible\r\n", "EXPIRE", "o", "1", "NX", "GT");
    E("-ERR NX and XX, GT or LT options at the same time are not compatible\r\n", "PEXPIRE", "o", "1", "LT", "NX");
    E("-ERR GT and LT options at the same time are not compatible\r\n", "EXPIRE", "o", "1", "GT", "LT");
    E("-ERR Unsupported option foo\r\n", "EXPIRE", "o", "1", "foo");
    E("-ERR Unsupported option 1\r\n", "EXPIREAT", "o", "1", "1");
    E(NOTINT, "EXPIRE", "o", "abc");
    E(NOTINT, "EXPIRE", "o", "1.5");
    E(NOTINT, "PEXPIREAT", "o", "");
    E("-ERR invalid expire time in 'expire' command\r\n", "EXPIRE", "o", "9223372036854775807");
    E("-ERR invalid expire time in 'expire' command\r\n", "EXPIRE", "o", "-9223372036854775808");
    E("-ERR invalid expire time in 'pexpire' command\r\n", "PEXPIRE", "o", "9223372036854775807");
    E("-ERR invalid expire time in 'expireat' command\r\n", "EXPIREAT", "o", "9223372036854775807");
    E(":1000\r\n", "TTL", "o"); /* none of the failures changed it */
    E(ARITY("expire"), "EXPIRE", "o");
    E(ARITY("ttl"), "TTL");
    E(ARITY("persist"), "PERSIST");
    E(ARITY("pexpiretime"), "PEXPIRETIME", "a", "b");

    /* a TTL in the past deletes the key */
    E("+OK\r\n", "MSET", "d1", "1", "d2", "1", "d3", "1", "d4", "1", "d5", "1");
    E(":1\r\n", "EXPIRE", "d1", "0");
    E(":1\r\n", "EXPIRE", "d2", "-100");
    E(":1\r\n", "PEXPIRE", "d3", "-1");
    E(":1\r\n", "EXPIREAT", "d4", "1");
    E(":1\r\n", "PEXPIREAT", "d5", "0");
    E(":0\r\n", "EXISTS", "d1", "d2", "d3", "d4", "d5");
    E("*2\r\n$-1\r\n$-1\r\n", "MGET", "d1", "d5");
    /* ... unless a condition refuses the change */
    E("+OK\r\n", "SET", "g", "v");
    E(":0\r\n", "EXPIRE", "g", "-1", "GT");
    E(":0\r\n", "EXPIRE", "g", "-1", "XX");
    E(":1\r\n", "EXISTS", "g");
    E(":1\r\n", "EXPIRE", "g", "-1", "LT");
    E(":0\r\n", "EXISTS", "g");
    E(":2\r\n", "DBSIZE"); /* k and o */
}

static void test_dbsize_flush(void **state)
{
    E(":0\r\n", "DBSIZE");
    E("+OK\r\n", "MSET", "a", "1", "b", "2", "c", "3");
    E("+OK\r\n", "SET", "t", "1", "EX", "100");
    E(":4\r\n", "DBSIZE");
    E("+OK\r\n", "FLUSHDB");
    E(":0\r\n", "DBSIZE");
    E("$-1\r\n", "GET", "a");
    E(":-2\r\n", "TTL", "t");
    E("+OK\r\n", "SET", "a", "1");
    E("+OK\r\n", "FLUSHALL", "ASYNC");
    E(":0\r\n", "DBSIZE");
    E("+OK\r\n", "SET", "a", "1");
    E("+OK\r\n", "FLUSHALL", "sync");
    E(":0\r\n", "DBSIZE");
    E("+OK\r\n", "FLUSHDB", "ASYNC");
    E("+OK\r\n", "FLUSHDB", "SYNC");
    E(SYNTAX, "FLUSHALL", "foo");
    E(SYNTAX, "FLUSHDB", "ASYNC", "SYNC");
    E(ARITY("dbsize"), "DBSIZE", "x");
    /* the keyspace works after a flush (counters restart from zero) */
    E(":1\r\n", "INCR", "n");
    E(":1\r\n", "DBSIZE");
    E("+OK\r\n", "SET", "t", "1", "EX", "100");
    E(":100\r\n", "TTL", "t");
}

static void test_multi_exec(void **state)
{
    E("+OK\r\n", "MULTI");
    E("+QUEUED\r\n", "SET", "a", "1");
    E("+QUEUED\r\n", "INCR", "a");
    E("+QUEUED\r\n", "GET", "a");
    E("+QUEUED\r\n", "SET", "b", "x", "PX", "100000");
    E("+QUEUED\r\n", "PTTL", "missing");
    E("*5\r\n+OK\r\n:2\r\n$1\r\n2\r\n+OK\r\n:-2\r\n", "EXEC");
    assert_between(RCI(c, "PTTL", "b"), 90000, 100000);
    /* an empty transaction */
    E("+OK\r\n", "MULTI");
    E("*0\r\n", "EXEC");
    /* errors at run time do not stop the others */
    E("+OK\r\n", "SET", "s", "abc");
    E("+OK\r\n", "MULTI");
    E("+QUEUED\r\n", "INCR", "s");
    E("+QUEUED\r\n", "SET", "t", "1");
    E("+QUEUED\r\n", "SET", "t2", "1", "EX", "0");
    E("+QUEUED\r\n", "INCR", "t");
    E("*4\r\n" NOTINT "+OK\r\n-ERR invalid expire time in 'set' command\r\n:2\r\n", "EXEC");
    E("$1\r\n2\r\n", "GET", "t");
    /* a queueing error aborts it all */
    E("+OK\r\n", "MULTI");
    E("+QUEUED\r\n", "SET", "a", "100");
    E("-ERR unknown command 'NOSUCH', with args beginning with: 'x' \r\n", "NOSUCH", "x");
    E("+QUEUED\r\n", "SET", "b", "100");
    E("-EXECABORT Transaction discarded because of previous errors.\r\n", "EXEC");
    E("$1\r\n2\r\n", "GET", "a");
    E("+OK\r\n", "MULTI");
    E(ARITY("get"), "GET");
    E("+QUEUED\r\n", "INCR", "a");
    E("-EXECABORT Transaction discarded because of previous errors.\r\n", "EXEC");
    E("$1\r\n2\r\n", "GET", "a");
    /* after EXECABORT the connection is out of MULTI */
    E("-ERR EXEC without MULTI\r\n", "EXEC");
    E("-ERR DISCARD without MULTI\r\n", "DISCARD");
    /* DISCARD */
    E("+OK\r\n", "MULTI");
    E("+QUEUED\r\n", "SET", "a", "discarded");
    E("+OK\r\n", "DISCARD");
    E("$1\r\n2\r\n", "GET", "a");
    /* nested MULTI is refused but the transaction goes on */
    E("+OK\r\n", "MULTI");
    E("-ERR MULTI calls can not be nested\r\n", "MULTI");
    E("+QUEUED\r\n", "INCR", "a");
    E("*1\r\n:3\r\n", "EXEC");
    /* read-only transactions */
    E("+OK\r\n", "MULTI");
    E("+QUEUED\r\n", "GET", "a");
    E("+QUEUED\r\n", "MGET", "a", "nope");
    E("+QUEUED\r\n", "EXISTS", "a", "nope");
    E("+QUEUED\r\n", "STRLEN", "a");
    E("+QUEUED\r\n", "TTL", "a");
    E("+QUEUED\r\n", "PING");
    E("+QUEUED\r\n", "ECHO", "e");
    E("*7\r\n$1\r\n3\r\n*2\r\n$1\r\n3\r\n$-1\r\n:1\r\n:1\r\n:-1\r\n+PONG\r\n$1\r\ne\r\n", "EXEC");
    /* a transaction sees its own writes, in order */
    E("+OK\r\n", "MULTI");
    E("+QUEUED\r\n", "DEL", "a");
    E("+QUEUED\r\n", "GET", "a");
    E("+QUEUED\r\n", "APPEND", "a", "xy");
    E("+QUEUED\r\n", "GETRANGE", "a", "1", "1");
    E("+QUEUED\r\n", "RENAME", "a", "z");
    E("+QUEUED\r\n", "EXISTS", "a", "z");
    E("+QUEUED\r\n", "DBSIZE");
    E("*7\r\n:1\r\n$-1\r\n:2\r\n$1\r\ny\r\n+OK\r\n:1\r\n:4\r\n", "EXEC"); /* b s t z */
}

static void test_connection_commands(void **state)
{
    E("+PONG\r\n", "PING");
    E("+PONG\r\n", "ping");
    E("$5\r\nhello\r\n", "PING", "hello");
    E("$0\r\n\r\n", "PING", "");
    E(ARITY("ping"), "PING", "a", "b");
    E("$3\r\nabc\r\n", "ECHO", "abc");
    E("$0\r\n\r\n", "ECHO", "");
    const char *ev[] = {"ECHO", "a\0\r\nb"};
    const size_t el[] = {4, 5};
    EXPECTV(c, "$5\r\na\0\r\nb\r\n", 2, ev, el);
    E(ARITY("echo"), "ECHO");
    E(ARITY("echo"), "ECHO", "a", "b");
    E("+OK\r\n", "SELECT", "0");
    E(NOTINT, "SELECT", "abc");
    E(ARITY("select"), "SELECT");
    if (!vs_redis) /* a single database: SELECT 1 is refused (Redis has 16) */
        E("-ERR DB index is out of range (redraft has a single database, 0)\r\n", "SELECT", "1");
    /* TIME: [seconds, microseconds] as bulk strings, close to our clock */
    size_t n;
    const char *tv[] = {"TIME"};
    const char *r = rc_cmdv(c, 1, tv, NULL, &n);
    rnode_t *t = rc_parse_reply(r, n);
    assert_non_null(t);
    assert_int_equal(t->type, '*');
    assert_int_equal(t->n, 2);
    assert_int_equal(t->e[0]->type, '$');
    assert_int_equal(t->e[1]->type, '$');
    long long secs = atoll(t->e[0]->s), usecs = atoll(t->e[1]->s);
    assert_between(secs, now_ms() / 1000 - 2, now_ms() / 1000 + 2);
    assert_between(usecs, 0, 999999);
    rnode_free(t);
    E(ARITY("time"), "TIME", "x");
    /* unknown commands */
    E("-ERR unknown command 'NOSUCH', with args beginning with: \r\n", "NOSUCH");
    E("-ERR unknown command 'nosuch', with args beginning with: 'a' 'b c' \r\n", "nosuch", "a", "b c");
    E("-ERR unknown command '', with args beginning with: \r\n", "");
    /* the connection still works */
    E("+PONG\r\n", "PING");
}

/* The HELLO map Redis 7.0.15 sends, with the connection id it gave. */
static void expect_hello(const char *r, size_t n, int proto)
{
    rnode_t *t = rc_parse_reply(r, n);
    assert_non_null(t);
    long long id = -1;
    for (int i = 0; i + 1 < t->n; i += 2)
        if (t->e[i]->slen == 2 && memcmp(t->e[i]->s, "id", 2) == 0) id = t->e[i + 1]->i;
    rnode_free(t);
    assert_true(id >= 0);
    char want[512];
    int wl = snprintf(want, sizeof(want),
                      "%c7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:%d\r\n"
                      "$2\r\nid\r\n:%lld\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
                      "$7\r\nmodules\r\n*0\r\n",
                      proto == 3 ? '%' : '*', proto, id);
    if (proto == 2) { /* RESP2: a flat array of 14 */
        wl = snprintf(want, sizeof(want),
                      "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:2\r\n"
                      "$2\r\nid\r\n:%lld\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
                      "$7\r\nmodules\r\n*0\r\n",
                      id);
    }
    ASSERT_RESP(r, n, want, (size_t)wl);
}

static void test_hello_resp3(void **state)
{
    size_t n;
    const char *h3[] = {"HELLO", "3"};
    const char *r = rc_cmdv(c, 2, h3, NULL, &n);
    assert_non_null(r);
    expect_hello(r, n, 3);
    /* RESP3 replies */
    E("_\r\n", "GET", "missing");
    E("+OK\r\n", "SET", "a", "1");
    E("*2\r\n$1\r\n1\r\n_\r\n", "MGET", "a", "missing");
    E("_\r\n", "SET", "a", "2", "NX");
    E("_\r\n", "SET", "n", "2", "XX", "GET");
    E("$1\r\n1\r\n", "SET", "a", "2", "GET");
    E(":1\r\n", "EXISTS", "a");
    E(":-2\r\n", "TTL", "missing");
    E("$3\r\n2.5\r\n", "INCRBYFLOAT", "a", "0.5");
    E("_\r\n", "GETDEL", "missing");
    E("_\r\n", "GETEX", "missing");
    E("$1\r\na\r\n", "RANDOMKEY");
    E("*1\r\n$1\r\na\r\n", "KEYS", "*");
    E("*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n", "SCAN", "0", "COUNT", "100");
    E("+PONG\r\n", "PING");
    E("+OK\r\n", "MULTI");
    E("+QUEUED\r\n", "GET", "missing");
    E("+QUEUED\r\n", "SET", "b", "1", "NX");
    E("+QUEUED\r\n", "SET", "b", "1", "NX");
    E("*3\r\n_\r\n+OK\r\n_\r\n", "EXEC");
    E("-ERR wrong number of arguments for 'get' command\r\n", "GET");
    E("-NOPROTO unsupported protocol version\r\n", "HELLO", "4");
    E("-NOPROTO unsupported protocol version\r\n", "HELLO", "1");
    E("-ERR Protocol version is not an integer or out of range\r\n", "HELLO", "three");
    E("-ERR Syntax error in HELLO option 'foo'\r\n", "HELLO", "3", "foo");
    E("_\r\n", "GET", "missing"); /* still RESP3 after the failed HELLOs */
    /* HELLO without a version: the description, protocol unchanged */
    const char *h0[] = {"HELLO"};
    r = rc_cmdv(c, 1, h0, NULL, &n);
    expect_hello(r, n, 3);
    /* back to RESP2 */
    const char *h2[] = {"HELLO", "2"};
    r = rc_cmdv(c, 2, h2, NULL, &n);
    expect_hello(r, n, 2);
    E("$-1\r\n", "GET", "missing");
    E("*2\r\n$1\r\n1\r\n$-1\r\n", "MGET", "b", "missing");
    E("+OK\r\n", "MULTI");
    E("+QUEUED\r\n", "GET", "missing");
    E("*1\r\n$-1\r\n", "EXEC");
    /* SETNAME */
    const char *hs[] = {"HELLO", "3", "SETNAME", "tester"};
    r = rc_cmdv(c, 4, hs, NULL, &n);
    expect_hello(r, n, 3);
    E("-ERR Client names cannot contain spaces, newlines or special characters.\r\n", "HELLO", "3", "SETNAME",
      "a b");
}

static void test_quit(void **state)
{
    rc_t *q = rc_open(srv.port);
    assert_non_null(q);
    EXPECT(q, "+OK\r\n", "QUIT");
    assert_true(rc_wait_closed(q, 5000, NULL));
    rc_close(q);
    /* commands pipelined behind QUIT are not run */
    q = rc_open(srv.port);
    rbuf_t b = {0};
    resp_encodel(&b, "PING", (const char *)NULL);
    resp_encodel(&b, "QUIT", (const char *)NULL);
    resp_encodel(&b, "SET", "after-quit", "1", (const char *)NULL);
    assert_int_equal(rc_write(q, b.p, b.len), 0);
    rbuf_t rest = {0};
    assert_true(rc_wait_closed(q, 5000, &rest));
    ASSERT_RESP(rest.p, rest.len, "+PONG\r\n+OK\r\n", 12);
    rbuf_free(&b);
    rbuf_free(&rest);
    rc_close(q);
    E(":0\r\n", "EXISTS", "after-quit");
    /* QUIT inside MULTI closes too */
    q = rc_open(srv.port);
    EXPECT(q, "+OK\r\n", "MULTI");
    EXPECT(q, "+QUEUED\r\n", "SET", "in-multi", "1");
    EXPECT(q, "+OK\r\n", "QUIT");
    assert_true(rc_wait_closed(q, 5000, NULL));
    rc_close(q);
    E(":0\r\n", "EXISTS", "in-multi");
}

/* A key with PX 200 is readable before, invisible right after, and removed
 * by the active expiry cycle without any access. */
static void test_expiry_timing(void **state)
{
    int64_t t0 = now_ms();
    E("+OK\r\n", "SET", "k", "v", "PX", "200");
    const char *r = RC(c, "GET", "k");
    if (now_ms() - t0 < 150) assert_string_equal(r, "$1\r\nv\r\n");
    while (now_ms() < t0 + 230) sleep_ms(5);
    E("$-1\r\n", "GET", "k");
    E(":0\r\n", "EXISTS", "k");
    E(":-2\r\n", "PTTL", "k");

    E("+OK\r\n", "FLUSHALL");
    E("+OK\r\n", "SET", "keep", "1");
    t0 = now_ms();
    rbuf_t b = {0};
    for (int i = 0; i < 50; i++) {
        char k[16];
        snprintf(k, sizeof(k), "e%d", i);
        resp_encodel(&b, "SET", k, "v", "PX", "200", (const char *)NULL);
    }
    resp_encodel(&b, "DBSIZE", (const char *)NULL);
    assert_int_equal(rc_write(c, b.p, b.len), 0);
    rbuf_free(&b);
    for (int i = 0; i < 50; i++) {
        assert_true(rc_read(c, &r) > 0);
        assert_string_equal(r, "+OK\r\n");
    }
    assert_true(rc_read(c, &r) > 0);
    if (now_ms() - t0 < 150) assert_string_equal(r, ":51\r\n");
    /* only DBSIZE from now on: nothing reads the keys */
    long long size = -1;
    while (now_ms() < t0 + 1500) {
        size = RCI(c, "DBSIZE");
        if (size == 1) break;
        sleep_ms(20);
    }
    if (size != 1) fail_msg("DBSIZE still %lld %lld ms after the keys expired", size, (long long)(now_ms() - t0 - 200));
    E("$1\r\n1\r\n", "GET", "keep");
}

/* With active expiry off, expired keys are still invisible to every read
 * and treated as absent by every write. */
static testproc_t na_srv;
static int na_group_setup(void **state)
{
    const char *t = getenv("STRINGS_KEYS_TARGET");
    vs_redis = t && strcmp(t, "redis") == 0;
    cur = &na_srv;
    if (vs_redis) {
        const char *args[] = {"--enable-debug-command", "yes", NULL};
        if (proc_start_redis_args(&na_srv, args) != 0) return -1;
        rc_t *x = rc_open(na_srv.port);
        const char *r = x ? RC(x, "DEBUG", "SET-ACTIVE-EXPIRE", "0") : NULL;
        bool ok = r && strcmp(r, "+OK\r\n") == 0;
        rc_close(x);
        return ok ? 0 : -1;
    }
    const char *args[] = {"--active_expire_keys", "0", NULL};
    return proc_start(&na_srv, args);
}

static int na_group_teardown(void **state)
{
    return proc_finish(&na_srv);
}

static int na_setup(void **state)
{
    c = rc_open(na_srv.port);
    return c ? 0 : -1;
}

static void test_expired_invisible(void **state)
{
    E("+OK\r\n", "MSET", "live1", "1", "live2", "2");
    rbuf_t b = {0};
    const char *names[] = {"k", "s", "n", "a", "x", "g", "d", "r", "nx", "ren", "px", "gx", "t", "sr", "ms"};
    int nn = (int)(sizeof(names) / sizeof(names[0]));
    for (int i = 0; i < nn; i++) resp_encodel(&b, "SET", names[i], "10", "PX", "100", (const char *)NULL);
    assert_int_equal(rc_write(c, b.p, b.len), 0);
    rbuf_free(&b);
    for (int i = 0; i < nn; i++) {
        const char *r;
        assert_true(rc_read(c, &r) > 0);
        assert_string_equal(r, "+OK\r\n");
    }
    sleep_ms(150);
    E("$-1\r\n", "GET", "k");
    E(":0\r\n", "EXISTS", "k", "s", "n");
    E(":-2\r\n", "TTL", "k");
    E(":-2\r\n", "PTTL", "k");
    E(":-2\r\n", "EXPIRETIME", "k");
    E(":-2\r\n", "PEXPIRETIME", "k");
    E(":0\r\n", "STRLEN", "k");
    E("$0\r\n\r\n", "GETRANGE", "k", "0", "-1");
    E("*3\r\n$-1\r\n$1\r\n1\r\n$-1\r\n", "MGET", "k", "live1", "s");
    E("+none\r\n", "TYPE", "k");
    E(":0\r\n", "TOUCH", "k");
    E(":0\r\n", "PERSIST", "k");
    E(":0\r\n", "EXPIRE", "k", "100");
    E(":0\r\n", "PEXPIRE", "k", "100", "NX");
    keys_is("*", "*2\r\n$5\r\nlive1\r\n$5\r\nlive2\r\n");
    const char *o[] = {"COUNT", "3"};
    rnode_t *all = scan_all(2, o, NULL);
    for (int i = 0; i < all->n; i++)
        if (strncmp(all->e[i]->s, "live", 4) != 0) fail_msg("SCAN returned expired key %s", all->e[i]->s);
    rnode_free(all);
    for (int i = 0; i < 100; i++) {
        const char *r = RC(c, "RANDOMKEY");
        assert_non_null(r);
        if (strcmp(r, "$5\r\nlive1\r\n") != 0 && strcmp(r, "$5\r\nlive2\r\n") != 0)
            fail_msg("RANDOMKEY returned %s", r);
    }
    E("-ERR no such key\r\n", "RENAME", "ren", "dst");
    E("-ERR no such key\r\n", "RENAMENX", "ren", "dst");
    E(":0\r\n", "DEL", "d");
    E(":0\r\n", "UNLINK", "d");
    /* writes see the key as absent */
    E(":1\r\n", "SETNX", "s", "new");
    E(":-1\r\n", "TTL", "s");
    E(":1\r\n", "INCR", "n");
    E(":-1\r\n", "TTL", "n");
    E(":1\r\n", "APPEND", "a", "z");
    E("$1\r\nz\r\n", "GET", "a");
    E("$-1\r\n", "SET", "x", "v", "XX");
    E(":0\r\n", "EXISTS", "x");
    E("$-1\r\n", "GETSET", "g", "v");
    E("$1\r\nv\r\n", "GET", "g");
    E("+OK\r\n", "SET", "nx", "v", "NX");
    E("$-1\r\n", "GETDEL", "r");
    E("$-1\r\n", "GETEX", "gx", "PERSIST");
    E(":0\r\n", "EXISTS", "gx");
    E("$-1\r\n", "SET", "px", "v", "GET");
    E(":-1\r\n", "TTL", "px");
    E("$3\r\n1.5\r\n", "INCRBYFLOAT", "t", "1.5");
    E(":3\r\n", "SETRANGE", "sr", "2", "x");
    E("$3\r\n\0\0x\r\n", "GET", "sr");
    E(":1\r\n", "MSETNX", "ms", "1");
    E(":1\r\n", "RENAMENX", "live2", "ren");
    E("+OK\r\n", "FLUSHALL");
}

/* ---- AUTH ------------------------------------------------------------------- */

static testproc_t auth_srv;
static int auth_group_setup(void **state)
{
    const char *t = getenv("STRINGS_KEYS_TARGET");
    vs_redis = t && strcmp(t, "redis") == 0;
    const char *args[] = {"--requirepass", "secret", NULL};
    cur = &auth_srv;
    return vs_redis ? proc_start_redis_args(&auth_srv, args) : proc_start(&auth_srv, args);
}

static int auth_group_teardown(void **state)
{
    return proc_finish(&auth_srv);
}

#define NOAUTH "-NOAUTH Authentication required.\r\n"
#define WRONGPASS "-WRONGPASS invalid username-password pair or user is disabled.\r\n"

static void test_auth(void **state)
{
    rc_t *a = rc_open(auth_srv.port);
    assert_non_null(a);
    EXPECT(a, NOAUTH, "GET", "k");
    EXPECT(a, NOAUTH, "SET", "k", "v");
    EXPECT(a, NOAUTH, "PING");
    EXPECT(a, NOAUTH, "DBSIZE");
    EXPECT(a, NOAUTH, "MULTI");
    EXPECT(a, NOAUTH, "SELECT", "0");
    EXPECT(a, WRONGPASS, "AUTH", "wrong");
    EXPECT(a, WRONGPASS, "AUTH", "default", "wrong");
    EXPECT(a, WRONGPASS, "AUTH", "nobody", "secret");
    EXPECT(a, WRONGPASS, "AUTH", "");
    EXPECT(a, SYNTAX, "AUTH", "a", "b", "c");
    EXPECT(a, ARITY("auth"), "AUTH");
    EXPECT(a, WRONGPASS, "HELLO", "3", "AUTH", "default", "wrong");
    EXPECT(a, NOAUTH, "GET", "k"); /* still not authenticated */
    /* an unknown command is reported as unknown even before AUTH */
    EXPECT(a, "-ERR unknown command 'nosuch', with args beginning with: \r\n", "nosuch");
    EXPECT(a, "+OK\r\n", "AUTH", "secret");
    EXPECT(a, "$-1\r\n", "GET", "k");
    EXPECT(a, "+OK\r\n", "SET", "k", "v");
    EXPECT(a, "+PONG\r\n", "PING");
    EXPECT(a, WRONGPASS, "AUTH", "wrong"); /* a failed AUTH does not log out */
    EXPECT(a, "$1\r\nv\r\n", "GET", "k");
    rc_close(a);

    a = rc_open(auth_srv.port);
    EXPECT(a, "+OK\r\n", "AUTH", "default", "secret");
    EXPECT(a, "$1\r\nv\r\n", "GET", "k");
    rc_close(a);

    a = rc_open(auth_srv.port);
    size_t n;
    const char *hv[] = {"HELLO", "3", "AUTH", "default", "secret"};
    const char *r = rc_cmdv(a, 5, hv, NULL, &n);
    assert_non_null(r);
    assert_true(n > 0 && r[0] == '%');
    EXPECT(a, "$1\r\nv\r\n", "GET", "k");
    EXPECT(a, "_\r\n", "GET", "nokey");
    rc_close(a);

    /* QUIT works unauthenticated */
    a = rc_open(auth_srv.port);
    EXPECT(a, "+OK\r\n", "QUIT");
    assert_true(rc_wait_closed(a, 5000, NULL));
    rc_close(a);
}

/* HELLO before AUTH: the exact NOAUTH text of Redis 7.0.15. */
static void test_auth_hello_noauth_message(void **state)
{
    rc_t *a = rc_open(auth_srv.port);
    assert_non_null(a);
    EXPECT(a, "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH "
              "<user> <pass> option can be used to authenticate the client and select the RESP protocol "
              "version at the same time\r\n",
           "HELLO", "3");
    EXPECT(a, NOAUTH, "GET", "k");
    rc_close(a);
}

/* Redis limits what an unauthenticated client may make it buffer: at most
 * 10 arguments and 16 KB bulks before AUTH. */
static void test_auth_unauthenticated_limits(void **state)
{
    rc_t *a = rc_open(auth_srv.port);
    const char big_mb[] = "*11\r\n";
    assert_int_equal(rc_write(a, big_mb, sizeof(big_mb) - 1), 0);
    rbuf_t rest = {0};
    rbuf_append(&rest, "", 0);
    bool closed = rc_wait_closed(a, 2000, &rest);
    ASSERT_RESP(rest.p, rest.len, "-ERR Protocol error: unauthenticated multibulk length\r\n", 55);
    assert_true(closed);
    rbuf_free(&rest);
    rc_close(a);

    a = rc_open(auth_srv.port);
    const char big_bulk[] = "*2\r\n$4\r\nAUTH\r\n$16385\r\n";
    assert_int_equal(rc_write(a, big_bulk, sizeof(big_bulk) - 1), 0);
    rbuf_append(&rest, "", 0);
    closed = rc_wait_closed(a, 2000, &rest);
    ASSERT_RESP(rest.p, rest.len, "-ERR Protocol error: unauthenticated bulk length\r\n", 50);
    assert_true(closed);
    rbuf_free(&rest);
    rc_close(a);

    /* within the limits, and after AUTH, anything goes */
    a = rc_open(auth_srv.port);
    EXPECT(a, NOAUTH, "MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e");
    EXPECT(a, "+OK\r\n", "AUTH", "secret");
    EXPECT(a, "+OK\r\n", "MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5");
    char *v = malloc(20000);
    memset(v, 'x', 20000);
    const char *sv[] = {"SET", "big", v};
    const size_t sl[] = {3, 3, 20000};
    EXPECTV(a, "+OK\r\n", 3, sv, sl);
    EXPECT(a, ":20000\r\n", "STRLEN", "big");
    free(v);
    rc_close(a);
}

int main(void)
{
    const struct CMUnitTest main_tests[] = {
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
        cmocka_unit_test_setup_teardown(test_del_unlink_exists_type, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_rename, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_keys, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_scan, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_randomkey, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_expire_family, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_dbsize_flush, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_multi_exec, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_connection_commands, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_hello_resp3, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_quit, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_expiry_timing, test_setup, test_teardown),
    };
    const struct CMUnitTest noactive_tests[] = {
        cmocka_unit_test_setup_teardown(test_expired_invisible, na_setup, test_teardown),
    };
    const struct CMUnitTest auth_tests[] = {
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_auth_hello_noauth_message),
        cmocka_unit_test(test_auth_unauthenticated_limits),
    };
    int failed = cmocka_run_group_tests_name("strings_keys", main_tests, group_setup, group_teardown);
    failed += cmocka_run_group_tests_name("expired_invisible", noactive_tests, na_group_setup, na_group_teardown);
    failed += cmocka_run_group_tests_name("auth", auth_tests, auth_group_setup, auth_group_teardown);
    return failed ? 1 : 0;
}
