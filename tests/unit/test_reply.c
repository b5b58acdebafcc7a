/* Unit tests for src/resp/reply.c. Expected bytes were captured from
 * redis-server 7.0.15 (raw sockets, RESP2 and after HELLO 3). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp/reply.h"

#define S(lit) lit, sizeof(lit) - 1

static void expect_bytes(reply_t *r, const char *want, size_t n)
{
    if (r->len != n || memcmp(r->buf, want, n) != 0) {
        print_error("got %zu bytes: '%.*s'\nwant %zu: '%.*s'\n", r->len, (int)r->len,
                    r->buf ? r->buf : "", n, (int)n, want);
        fail();
    }
    reply_clear(r);
}
#define EXPECT(r, lit) expect_bytes((r), S(lit))

static void test_simple_and_raw(void **state)
{
    reply_t r;
    reply_init(&r, 2);
    reply_ok(&r);
    EXPECT(&r, "+OK\r\n");
    reply_simple(&r, "PONG");
    EXPECT(&r, "+PONG\r\n");
    reply_simple(&r, "");
    EXPECT(&r, "+\r\n");
    reply_raw(&r, "ab\0c", 4);
    expect_bytes(&r, "ab\0c", 4);
    reply_free(&r);
}

static void test_integers(void **state)
{
    for (int proto = 2; proto <= 3; proto++) {
        reply_t r;
        reply_init(&r, proto);
        reply_int(&r, 0);
        EXPECT(&r, ":0\r\n");
        reply_int(&r, 1);
        EXPECT(&r, ":1\r\n");
        reply_int(&r, -1);
        EXPECT(&r, ":-1\r\n");
        reply_int(&r, 10);
        EXPECT(&r, ":10\r\n");
        reply_int(&r, 100);
        EXPECT(&r, ":100\r\n");
        reply_int(&r, LLONG_MAX);
        EXPECT(&r, ":9223372036854775807\r\n");
        reply_int(&r, LLONG_MIN);
        EXPECT(&r, ":-9223372036854775808\r\n");

        /* every digit count and sign against snprintf */
        unsigned long long x = 88172645463325252ULL;
        for (int i = 0; i < 200000; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            long long v = (long long)(x >> (x % 64));
            if (i & 1) v = -v;
            char want[32];
            int n = snprintf(want, sizeof(want), ":%lld\r\n", v);
            reply_int(&r, v);
            expect_bytes(&r, want, (size_t)n);
        }
        reply_free(&r);
    }
}

static void test_bulk(void **state)
{
    for (int proto = 2; proto <= 3; proto++) {
        reply_t r;
        reply_init(&r, proto);
        reply_bulk(&r, "hello", 5);
        EXPECT(&r, "$5\r\nhello\r\n");
        reply_bulk(&r, "", 0);
        EXPECT(&r, "$0\r\n\r\n");
        reply_bulk(&r, "a\r\n\0b", 5);
        EXPECT(&r, "$5\r\na\r\n\0b\r\n");
        reply_bulk_cstr(&r, "v");
        EXPECT(&r, "$1\r\nv\r\n");
        reply_bulk_ll(&r, -42);
        EXPECT(&r, "$3\r\n-42\r\n");
        reply_bulk_ll(&r, LLONG_MIN);
        EXPECT(&r, "$20\r\n-9223372036854775808\r\n");
        reply_bulk_ll(&r, 0);
        EXPECT(&r, "$1\r\n0\r\n");
        reply_free(&r);
    }

    reply_t r;
    reply_init(&r, 2);
    reply_bulk_cstr(&r, NULL);
    EXPECT(&r, "$-1\r\n");
    reply_free(&r);
    reply_init(&r, 3);
    reply_bulk_cstr(&r, NULL);
    EXPECT(&r, "_\r\n");

    /* a bulk bigger than the initial buffer */
    size_t n = 1 << 20;
    char *big = malloc(n);
    memset(big, 'x', n);
    reply_bulk(&r, big, n);
    assert_int_equal(r.len, n + 12);
    assert_memory_equal(r.buf, "$1048576\r\nxx", 12);
    assert_memory_equal(r.buf + r.len - 3, "x\r\n", 3);
    free(big);
    reply_free(&r);
}

static void test_nulls_and_aggregates(void **state)
{
    reply_t r2, r3;
    reply_init(&r2, 2);
    reply_init(&r3, 3);

    reply_null(&r2);
    EXPECT(&r2, "$-1\r\n");
    reply_null(&r3);
    EXPECT(&r3, "_\r\n");
    reply_null_array(&r2);
    EXPECT(&r2, "*-1\r\n");
    reply_null_array(&r3);
    EXPECT(&r3, "_\r\n");

    reply_array(&r2, 3);
    EXPECT(&r2, "*3\r\n");
    reply_array(&r3, 0);
    EXPECT(&r3, "*0\r\n");
    reply_array(&r2, 123456);
    EXPECT(&r2, "*123456\r\n");

    /* HGETALL h with f=v g=w */
    reply_map(&r2, 2);
    reply_bulk_cstr(&r2, "f");
    reply_bulk_cstr(&r2, "v");
    reply_bulk_cstr(&r2, "g");
    reply_bulk_cstr(&r2, "w");
    EXPECT(&r2, "*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\ng\r\n$1\r\nw\r\n");
    reply_map(&r3, 2);
    reply_bulk_cstr(&r3, "f");
    reply_bulk_cstr(&r3, "v");
    reply_bulk_cstr(&r3, "g");
    reply_bulk_cstr(&r3, "w");
    EXPECT(&r3, "%2\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\ng\r\n$1\r\nw\r\n");
    reply_map(&r2, 0);
    EXPECT(&r2, "*0\r\n");
    reply_map(&r3, 0);
    EXPECT(&r3, "%0\r\n");

    /* SMEMBERS s with a */
    reply_set(&r2, 1);
    reply_bulk_cstr(&r2, "a");
    EXPECT(&r2, "*1\r\n$1\r\na\r\n");
    reply_set(&r3, 1);
    reply_bulk_cstr(&r3, "a");
    EXPECT(&r3, "~1\r\n$1\r\na\r\n");

    reply_bool(&r2, 1);
    EXPECT(&r2, ":1\r\n");
    reply_bool(&r2, 0);
    EXPECT(&r2, ":0\r\n");
    reply_bool(&r3, 1);
    EXPECT(&r3, "#t\r\n");
    reply_bool(&r3, 0);
    EXPECT(&r3, "#f\r\n");

    reply_free(&r2);
    reply_free(&r3);
}

/* {value, RESP2 bytes, RESP3 bytes} as redis-server 7.0.15 sent them for
 * EVAL "return {double=...}" and ZSCORE. */
static void test_double(void **state)
{
    static const struct {
        double d;
        const char *r2, *r3;
    } cases[] = {
        {0.0, "$1\r\n0\r\n", ",0\r\n"},
        {-0.0, "$2\r\n-0\r\n", ",-0\r\n"},
        {1.1, "$18\r\n1.1000000000000001\r\n", ",1.1000000000000001\r\n"},
        {1e300, "$23\r\n1.0000000000000001e+300\r\n", ",1.0000000000000001e+300\r\n"},
        {-1e-300, "$7\r\n-1e-300\r\n", ",-1e-300\r\n"},
        {3.14159, "$18\r\n3.1415899999999999\r\n", ",3.1415899999999999\r\n"},
        {100, "$3\r\n100\r\n", ",100\r\n"},
        {1.5e17, "$7\r\n1.5e+17\r\n", ",1.5e+17\r\n"},
        {12345678901234567890.0, "$22\r\n1.2345678901234567e+19\r\n",
         ",1.2345678901234567e+19\r\n"},
        {0.1 + 0.2, "$19\r\n0.30000000000000004\r\n", ",0.30000000000000004\r\n"},
        {9007199254740992.0, "$16\r\n9007199254740992\r\n", ",9007199254740992\r\n"},
        {5e-324, "$23\r\n4.9406564584124654e-324\r\n", ",4.9406564584124654e-324\r\n"},
        {HUGE_VAL, "$3\r\ninf\r\n", ",inf\r\n"},
        {-HUGE_VAL, "$4\r\n-inf\r\n", ",-inf\r\n"},
        {-1.0, "$2\r\n-1\r\n", ",-1\r\n"},
        {99999999999999984.0, "$17\r\n99999999999999984\r\n", ",99999999999999984\r\n"},
        {1e17, "$5\r\n1e+17\r\n", ",1e+17\r\n"},
        {-1e17, "$6\r\n-1e+17\r\n", ",-1e+17\r\n"},
        {0.0001, "$6\r\n0.0001\r\n", ",0.0001\r\n"},
        {0.00001, "$22\r\n1.0000000000000001e-05\r\n", ",1.0000000000000001e-05\r\n"},
    };
    reply_t r2, r3;
    reply_init(&r2, 2);
    reply_init(&r3, 3);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        reply_double(&r2, cases[i].d);
        expect_bytes(&r2, cases[i].r2, strlen(cases[i].r2));
        reply_double(&r3, cases[i].d);
        expect_bytes(&r3, cases[i].r3, strlen(cases[i].r3));
    }
    /* NaN: Redis 7.0 prints it with %.17g, so its sign shows (Lua's 0/0
     * is a negative NaN on x86 and came back as ",-nan") */
    reply_double(&r3, copysign(NAN, -1.0));
    EXPECT(&r3, ",-nan\r\n");
    reply_double(&r3, copysign(NAN, 1.0));
    EXPECT(&r3, ",nan\r\n");
    reply_double(&r2, copysign(NAN, -1.0));
    EXPECT(&r2, "$4\r\n-nan\r\n");

    /* the integer shortcut and the general case agree with "%.17g" */
    unsigned long long x = 2463534242ULL;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        switch (i % 4) {
        case 0:
            d = (double)(long long)(x >> (x % 64));
            break;
        case 1:
            d = -(double)(x % 100000000000000000ULL);
            break;
        case 2:
            memcpy(&d, &x, sizeof(d));
            break;
        default:
            d = (double)(x % 1000000) / 1000.0;
            break;
        }
        if (isinf(d)) continue;
        char want[64];
        int n = snprintf(want, sizeof(want), ",%.17g\r\n", d);
        reply_double(&r3, d);
        expect_bytes(&r3, want, (size_t)n);
    }
    reply_free(&r2);
    reply_free(&r3);
}

static void expect_ld(long double v, const char *want)
{
    char buf[5 * 1024];
    int n = reply_format_long_double(buf, sizeof(buf), v);
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(buf, want);
}

/* INCRBYFLOAT results as redis-server 7.0.15 returned them. */
static void test_long_double(void **state)
{
    expect_ld(0.0L + -0.0L, "0");
    expect_ld(-0.0L, "0");
    expect_ld(strtold("0", NULL) + strtold("0.1", NULL), "0.1");
    expect_ld(strtold("0.1", NULL) + strtold("0.2", NULL), "0.3");
    expect_ld(strtold("-1e-20", NULL), "0");
    expect_ld(strtold("1e-20", NULL), "0");
    expect_ld(strtold("3.0e3", NULL), "3000");
    expect_ld(strtold("10.5", NULL) + strtold("-21", NULL), "-10.5");
    expect_ld(strtold("1.1", NULL), "1.1");
    expect_ld(strtold("5.0e3", NULL) + strtold("2.0e2", NULL), "5200");
    expect_ld(1 + strtold("1e17", NULL), "100000000000000001");
    expect_ld(strtold("1e-17", NULL), "0.00000000000000001");
    expect_ld(strtold("1.5e-17", NULL), "0.00000000000000002");
    expect_ld(strtold("123456789012345678", NULL), "123456789012345678");
    expect_ld(strtold("-1e-18", NULL), "0");
    expect_ld(strtold("1e308", NULL),
              "999999999999999999966858796558456456605600998474155672077970479949217348688380"
              "618721001269218885393204467472250540132231521347495939605835974208144301964187"
              "679591000196031907786631096045071066679391533957889389145605435630612683649016"
              "18630217086589253444881623791300855757318142424510452728255046343928578048");
    expect_ld((long double)HUGE_VAL, "inf");
    expect_ld(-(long double)HUGE_VAL, "-inf");

    char small[4];
    assert_int_equal(reply_format_long_double(small, sizeof(small), 12345.0L), 0);
    assert_int_equal(reply_format_long_double(small, sizeof(small), (long double)HUGE_VAL), 0);
    char fits[3];
    assert_int_equal(reply_format_long_double(fits, sizeof(fits), 1.0L), 0); /* "1.000..." */
}

static void test_verbatim(void **state)
{
    reply_t r;
    reply_init(&r, 3);
    reply_verbatim(&r, "hello", 5, "txt");
    EXPECT(&r, "=9\r\ntxt:hello\r\n");
    reply_verbatim(&r, "# x", 3, "md");
    EXPECT(&r, "=7\r\nmd :# x\r\n");
    reply_verbatim(&r, "", 0, "");
    EXPECT(&r, "=4\r\n   :\r\n");
    reply_free(&r);
    reply_init(&r, 2);
    reply_verbatim(&r, "hello", 5, "txt");
    EXPECT(&r, "$5\r\nhello\r\n");
    reply_free(&r);
}

static void test_errors(void **state)
{
    reply_t r;
    reply_init(&r, 2);
    /* messages as Redis sends them */
    reply_error(&r, "ERR wrong number of arguments for 'get' command");
    EXPECT(&r, "-ERR wrong number of arguments for 'get' command\r\n");
    reply_error(&r, "value is not an integer or out of range");
    EXPECT(&r, "-ERR value is not an integer or out of range\r\n");
    reply_error(&r, "EXEC without MULTI");
    EXPECT(&r, "-ERR EXEC without MULTI\r\n");
    reply_error(&r, "WRONGTYPE Operation against a key holding the wrong kind of value");
    EXPECT(&r, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    reply_error(&r, "MOVED 3999 127.0.0.1:6381");
    EXPECT(&r, "-MOVED 3999 127.0.0.1:6381\r\n");
    reply_error(&r, "NOSCRIPT No matching script. Please use EVAL.");
    EXPECT(&r, "-NOSCRIPT No matching script. Please use EVAL.\r\n");
    reply_error(&r, "Protocol error: invalid bulk length");
    EXPECT(&r, "-ERR Protocol error: invalid bulk length\r\n");
    /* a leading '-' carries its own code, as addReplyErrorLength */
    reply_error(&r, "-NOTLEADER try another node");
    EXPECT(&r, "-NOTLEADER try another node\r\n");
    /* upper-case but not a code */
    reply_error(&r, "DB index is out of range");
    EXPECT(&r, "-ERR DB index is out of range\r\n");
    reply_error(&r, "ERRX foo");
    EXPECT(&r, "-ERR ERRX foo\r\n");
    reply_error(&r, "");
    EXPECT(&r, "-ERR \r\n");
    reply_error(&r, "a\r\nb\nc");
    EXPECT(&r, "-ERR a  b c\r\n");

    /* addReplyErrorFormat */
    reply_errorf(&r, "unknown command '%s', with args beginning with: ", "FOO");
    EXPECT(&r, "-ERR unknown command 'FOO', with args beginning with: \r\n");
    reply_errorf(&r, "Protocol error: %s", "expected '$', got 'X'");
    EXPECT(&r, "-ERR Protocol error: expected '$', got 'X'\r\n");
    reply_errorf(&r, "unknown command '%s'", "F\r\nO");
    EXPECT(&r, "-ERR unknown command 'F  O'\r\n");
    reply_errorf(&r, "\r\n%s\n\n", "trimmed");
    EXPECT(&r, "-ERR trimmed\r\n");
    reply_errorf(&r, "WRONGTYPE %d", 1);
    EXPECT(&r, "-WRONGTYPE 1\r\n");

    char longmsg[1000];
    memset(longmsg, 'x', sizeof(longmsg) - 1);
    longmsg[sizeof(longmsg) - 1] = '\0';
    reply_errorf(&r, "%s!", longmsg);
    assert_int_equal(r.len, 5 + 999 + 1 + 2);
    assert_memory_equal(r.buf, "-ERR xxx", 8);
    assert_memory_equal(r.buf + r.len - 4, "x!\r\n", 4);
    reply_free(&r);
}

static void test_deferred(void **state)
{
    reply_t r2, r3;
    reply_init(&r2, 2);
    reply_init(&r3, 3);

    reply_ok(&r2);
    size_t off = reply_defer(&r2);
    reply_bulk_cstr(&r2, "a");
    reply_int(&r2, 7);
    reply_defer_array(&r2, off, 2);
    EXPECT(&r2, "+OK\r\n*2\r\n$1\r\na\r\n:7\r\n");

    off = reply_defer(&r2);
    reply_defer_array(&r2, off, 0);
    EXPECT(&r2, "*0\r\n");

    /* nested: outer array of two inner maps */
    size_t outer = reply_defer(&r3);
    for (int i = 0; i < 2; i++) {
        size_t inner = reply_defer(&r3);
        reply_bulk_cstr(&r3, "k");
        reply_int(&r3, i);
        reply_defer_map(&r3, inner, 1);
    }
    reply_defer_array(&r3, outer, 2);
    EXPECT(&r3, "*2\r\n%1\r\n$1\r\nk\r\n:0\r\n%1\r\n$1\r\nk\r\n:1\r\n");

    off = reply_defer(&r2);
    reply_bulk_cstr(&r2, "k");
    reply_bulk_cstr(&r2, "v");
    reply_defer_map(&r2, off, 1);
    EXPECT(&r2, "*2\r\n$1\r\nk\r\n$1\r\nv\r\n");

    off = reply_defer(&r3);
    reply_bulk_cstr(&r3, "m");
    reply_defer_set(&r3, off, 1);
    EXPECT(&r3, "~1\r\n$1\r\nm\r\n");
    off = reply_defer(&r2);
    reply_bulk_cstr(&r2, "m");
    reply_defer_set(&r2, off, 1);
    EXPECT(&r2, "*1\r\n$1\r\nm\r\n");

    /* many elements, so the insert has to grow the buffer */
    off = reply_defer(&r2);
    for (int i = 0; i < 100000; i++)
        reply_int(&r2, i);
    size_t body = r2.len;
    reply_defer_array(&r2, off, 100000);
    assert_int_equal(r2.len, body + 9);
    assert_memory_equal(r2.buf, "*100000\r\n:0\r\n:1\r\n", 17);
    assert_memory_equal(r2.buf + r2.len - 8, ":99999\r\n", 8);

    reply_free(&r2);
    reply_free(&r3);
}

static void test_buffer_reuse(void **state)
{
    reply_t r;
    reply_init(&r, 2);
    assert_int_equal(r.proto, 2);
    for (int i = 0; i < 1000; i++)
        reply_bulk(&r, "0123456789", 10);
    assert_int_equal(r.len, 1000 * 17);
    char *buf = r.buf;
    size_t cap = r.cap;
    reply_clear(&r);
    assert_int_equal(r.len, 0);
    reply_bulk(&r, "0123456789", 10);
    assert_ptr_equal(r.buf, buf);
    assert_int_equal(r.cap, cap);
    reply_free(&r);
    assert_null(r.buf);
    reply_init(&r, 3);
    assert_int_equal(r.proto, 3);
    reply_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_and_raw), cmocka_unit_test(test_integers),
        cmocka_unit_test(test_bulk),           cmocka_unit_test(test_nulls_and_aggregates),
        cmocka_unit_test(test_double),         cmocka_unit_test(test_long_double),
        cmocka_unit_test(test_verbatim),       cmocka_unit_test(test_errors),
        cmocka_unit_test(test_deferred),       cmocka_unit_test(test_buffer_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
