/* Unit tests for src/resp/scan.c: every RESP2 and RESP3 type, partial input
 * at every split point, invalid input, nesting and length limits, the
 * incremental state, randomly generated replies whose boundaries are known by
 * construction, the fuzz target's invariants over generated inputs, and the
 * reply boundaries of a real redis-server (RESP2 and RESP3) when one is
 * installed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../fuzz/fuzz_resp_scan.c"
#include "resp/scan.h"
#include "support/proc.h"
#include "support/respcmp.h"

#define S(lit) lit, sizeof(lit) - 1
#define DEPTH 64

/* Scans an exact-size heap copy, so ASan catches any read past len. */
static ssize_t scan_copy(const char *data, size_t len, size_t depth, char *type)
{
    char *b = malloc(len ? len : 1);
    memcpy(b, data, len);
    resp_scan_t s;
    resp_scan_init(&s, depth);
    ssize_t r = resp_scan(&s, b, len);
    if (type) *type = s.type;
    resp_scan_free(&s);
    free(b);
    return r;
}

static void expect_len(const char *data, size_t len, ssize_t want, int line)
{
    ssize_t got = scan_copy(data, len, DEPTH, NULL);
    if (got != want) {
        char *e = resp_escape(data, len);
        fail_msg("line %d: %s: want %zd, got %zd", line, e, want, got);
    }
}
#define EXPECT_LEN(lit, want) expect_len(S(lit), (want), __LINE__)

/* ---- every type ------------------------------------------------------------ */

typedef struct {
    const char *bytes;
    size_t len;
    char type;
} sample_t;

#define SAMPLE(lit, t)                                                                             \
    {                                                                                              \
        lit, sizeof(lit) - 1, t                                                                    \
    }

/* One valid reply of every kind, as Redis writes them where it does. */
static const sample_t samples[] = {
    SAMPLE("+OK\r\n", '+'),
    SAMPLE("+\r\n", '+'),
    SAMPLE("+a\nb\r\n", '+'), /* a lone \n is a byte of the line */
    SAMPLE("-ERR unknown command 'x'\r\n", '-'),
    SAMPLE(":0\r\n", ':'),
    SAMPLE(":-9223372036854775808\r\n", ':'),
    SAMPLE(":9223372036854775807\r\n", ':'),
    SAMPLE("$5\r\nhello\r\n", '$'),
    SAMPLE("$0\r\n\r\n", '$'),
    SAMPLE("$4\r\n\r\n\r\n\r\n", '$'), /* the payload is counted, not searched */
    SAMPLE("$3\r\na\0b\r\n", '$'),
    SAMPLE("$-1\r\n", '$'),
    SAMPLE("*-1\r\n", '*'),
    SAMPLE("*0\r\n", '*'),
    SAMPLE("*2\r\n$1\r\na\r\n:1\r\n", '*'),
    SAMPLE("*3\r\n$-1\r\n*-1\r\n_\r\n", '*'),
    SAMPLE("_\r\n", '_'),
    SAMPLE(",3.141592653589793\r\n", ','),
    SAMPLE(",-1.7976931348623157e+308\r\n", ','),
    SAMPLE(",1e-05\r\n", ','),
    SAMPLE(",10\r\n", ','),
    SAMPLE(",.5\r\n", ','),
    SAMPLE(",inf\r\n", ','),
    SAMPLE(",-inf\r\n", ','),
    SAMPLE(",nan\r\n", ','),
    SAMPLE(",-nan\r\n", ','),
    SAMPLE("#t\r\n", '#'),
    SAMPLE("#f\r\n", '#'),
    SAMPLE("!21\r\nSYNTAX invalid syntax\r\n", '!'),
    SAMPLE("!0\r\n\r\n", '!'),
    SAMPLE("=15\r\ntxt:Some string\r\n", '='),
    SAMPLE("=4\r\ntxt:\r\n", '='),
    SAMPLE("(3492890328409238509324850943850943825024385\r\n", '('),
    SAMPLE("(-1\r\n", '('),
    SAMPLE("%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n", '%'),
    SAMPLE("%0\r\n", '%'),
    SAMPLE("~3\r\n+a\r\n+b\r\n+c\r\n", '~'),
    SAMPLE(">2\r\n$7\r\nmessage\r\n$3\r\nhi!\r\n", '>'),
    /* an attribute and its reply are one reply, of the reply's type */
    SAMPLE("|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:"
           "2039123\r\n:9543892\r\n",
           '*'),
    SAMPLE("|0\r\n:1\r\n", ':'),
    SAMPLE("|1\r\n+a\r\n+b\r\n|1\r\n+c\r\n+d\r\n$-1\r\n", '$'),
    SAMPLE("*2\r\n|1\r\n+ttl\r\n:3600\r\n:1\r\n:2\r\n", '*'),  /* inside an aggregate */
    SAMPLE("|1\r\n|1\r\n+x\r\n+y\r\n+k\r\n+v\r\n+r\r\n", '+'), /* an attribute's key with one */
    SAMPLE("*1\r\n*1\r\n*1\r\n*0\r\n", '*'),
    SAMPLE("%1\r\n*2\r\n:1\r\n:2\r\n~1\r\n%1\r\n_\r\n#t\r\n", '%'),
};

static void test_every_type(void **state)
{
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        const sample_t *sm = &samples[i];
        char type = 0;
        ssize_t r = scan_copy(sm->bytes, sm->len, DEPTH, &type);
        if (r != (ssize_t)sm->len || type != sm->type) {
            char *e = resp_escape(sm->bytes, sm->len);
            fail_msg("sample %zu %s: want %zu '%c', got %zd '%c'", i, e, sm->len, sm->type, r,
                     type);
        }
        /* followed by anything, still the same length */
        char *two = malloc(sm->len + 7);
        memcpy(two, sm->bytes, sm->len);
        memcpy(two + sm->len, "garbage", 7);
        assert_int_equal(scan_copy(two, sm->len + 7, DEPTH, NULL), (ssize_t)sm->len);
        free(two);
        /* every proper prefix needs more */
        for (size_t k = 0; k < sm->len; k++)
            if (scan_copy(sm->bytes, k, DEPTH, NULL) != 0) {
                char *e = resp_escape(sm->bytes, sm->len);
                fail_msg("sample %zu %s: prefix %zu is not 'need more'", i, e, k);
            }
    }
}

/* ---- invalid input --------------------------------------------------------- */

static void test_invalid(void **state)
{
    /* not a type; streamed forms are rejected */
    EXPECT_LEN("x\r\n", -1);
    EXPECT_LEN("\r\n", -1);
    EXPECT_LEN("OK\r\n", -1);
    EXPECT_LEN("$?\r\n;4\r\nHell\r\n;0\r\n", -1);
    EXPECT_LEN("*?\r\n:1\r\n.\r\n", -1);
    EXPECT_LEN("%?\r\n", -1);
    EXPECT_LEN(";4\r\nHell\r\n", -1);
    EXPECT_LEN(".\r\n", -1);
    EXPECT_LEN("*2\r\n:1\r\nx\r\n", -1); /* inside an aggregate too */
    /* lines end in \r\n */
    EXPECT_LEN("+OK\rX", -1);
    EXPECT_LEN("+a\rb\r\n", -1);
    EXPECT_LEN(":1\n", 0);       /* no \r yet: waits... */
    EXPECT_LEN(":1\nx\r\n", -1); /* ...and \n is no digit */
    /* lengths and counts */
    EXPECT_LEN("$-2\r\n", -1);
    EXPECT_LEN("$-0\r\n", -1);
    EXPECT_LEN("$01\r\na\r\n", -1);
    EXPECT_LEN("$+1\r\na\r\n", -1);
    EXPECT_LEN("$ 1\r\na\r\n", -1);
    EXPECT_LEN("$1 \r\na\r\n", -1);
    EXPECT_LEN("$\r\n", -1);
    EXPECT_LEN("$-\r\n", -1);
    EXPECT_LEN("$1x\r\n", -1);
    EXPECT_LEN("$1099511627777\r\n", -1);        /* above 2^40 */
    EXPECT_LEN("$99999999999999999999\r\n", -1); /* above int64 */
    EXPECT_LEN("*1099511627777\r\n", -1);
    EXPECT_LEN("*-2\r\n", -1);
    EXPECT_LEN("*-9223372036854775808\r\n", -1);
    EXPECT_LEN("%-1\r\n", -1); /* only $ and * have a null length */
    EXPECT_LEN("~-1\r\n", -1);
    EXPECT_LEN(">-1\r\n", -1);
    EXPECT_LEN("|-1\r\n", -1);
    EXPECT_LEN("!-1\r\n", -1);
    EXPECT_LEN("=-1\r\n", -1);
    /* payloads end in \r\n */
    EXPECT_LEN("$1\r\nab\r\n", -1);
    EXPECT_LEN("$1\r\na\n\r", -1);
    EXPECT_LEN("$1\r\na\r\r", -1);
    EXPECT_LEN("!1\r\naXY", -1);
    /* verbatim strings are "xxx:..." */
    EXPECT_LEN("=3\r\ntxt\r\n", -1);
    EXPECT_LEN("=5\r\ntxt-a\r\n", -1);
    /* scalars */
    EXPECT_LEN(":\r\n", -1);
    EXPECT_LEN(":-\r\n", -1);
    EXPECT_LEN(":01\r\n", -1);
    EXPECT_LEN(":-0\r\n", -1);
    EXPECT_LEN(":+1\r\n", -1);
    EXPECT_LEN(":1.5\r\n", -1);
    EXPECT_LEN(":9223372036854775808\r\n", -1);
    EXPECT_LEN(":-9223372036854775809\r\n", -1);
    EXPECT_LEN("_x\r\n", -1);
    EXPECT_LEN("_ \r\n", -1);
    EXPECT_LEN("#\r\n", -1);
    EXPECT_LEN("#T\r\n", -1);
    EXPECT_LEN("#tt\r\n", -1);
    EXPECT_LEN(",\r\n", -1);
    EXPECT_LEN(",.\r\n", -1);
    EXPECT_LEN(",1.2.3\r\n", -1);
    EXPECT_LEN(",1e\r\n", -1);
    EXPECT_LEN(",e5\r\n", -1);
    EXPECT_LEN(",1,5\r\n", -1);
    EXPECT_LEN(",infinity\r\n", -1);
    EXPECT_LEN(",--1\r\n", -1);
    EXPECT_LEN("(\r\n", -1);
    EXPECT_LEN("(-\r\n", -1);
    EXPECT_LEN("(+1\r\n", -1);
    EXPECT_LEN("(1a\r\n", -1);
    /* a header line that is already too long is rejected before its end */
    EXPECT_LEN("$123456789012345678901", -1);
    EXPECT_LEN(":123456789012345678901", -1);
    EXPECT_LEN("#tr", -1);
    EXPECT_LEN("_x", -1);
    EXPECT_LEN("*1\r\n$11111111111111111111111", -1);
    /* an attribute must be followed by its reply: within the aggregate */
    EXPECT_LEN("*1\r\n|1\r\n+a\r\n+b\r\n", 0);
}

static void test_need_more(void **state)
{
    EXPECT_LEN("", 0);
    EXPECT_LEN("+", 0);
    EXPECT_LEN("+OK", 0);
    EXPECT_LEN("+OK\r", 0);
    EXPECT_LEN("$5\r\nhel", 0);
    EXPECT_LEN("$5\r\nhello", 0);
    EXPECT_LEN("$5\r\nhello\r", 0);
    EXPECT_LEN("$12345678901234567890", 0); /* 20 characters may still be a number... */
    EXPECT_LEN("$1099511627776\r\n", 0);    /* 2^40 itself is allowed */
    EXPECT_LEN("*1099511627776\r\n", 0);
    EXPECT_LEN("%1099511627776\r\n", 0);
    EXPECT_LEN("*2\r\n:1\r\n", 0);
    EXPECT_LEN("%1\r\n:1\r\n", 0);
    EXPECT_LEN("|1\r\n:1\r\n:2\r\n", 0); /* the attribute, not its reply */
    EXPECT_LEN("|0\r\n", 0);
    EXPECT_LEN("#", 0);
    EXPECT_LEN("#t", 0);
    EXPECT_LEN("_", 0);
    EXPECT_LEN("+a very long simple string without its end yet.....................", 0);
}

/* ---- split points ---------------------------------------------------------- */

/* The samples back to back, followed by an incomplete tail. */
static void build_stream(rbuf_t *b, size_t *ends, size_t *n)
{
    *n = 0;
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        rbuf_append(b, samples[i].bytes, samples[i].len);
        ends[(*n)++] = b->len;
    }
    rbuf_append(b, S("*2\r\n$3\r\nab"));
}

/* Every reply of the stream, cut at every point: a one-shot scan of each
 * prefix, and an incremental scan given the prefix first and then all. */
static void test_every_split_point(void **state)
{
    rbuf_t b = {0};
    size_t ends[128], n;
    build_stream(&b, ends, &n);
    size_t off = 0;
    for (size_t i = 0; i <= n; i++) {
        size_t rest = b.len - off;
        ssize_t want = i < n ? (ssize_t)(ends[i] - off) : 0;
        for (size_t k = 0; k <= rest; k++) {
            ssize_t once = scan_copy(b.p + off, k, DEPTH, NULL);
            assert_int_equal(once, (want > 0 && (size_t)want <= k) ? want : 0);

            resp_scan_t s;
            resp_scan_init(&s, DEPTH);
            char *first = malloc(k ? k : 1);
            memcpy(first, b.p + off, k);
            ssize_t r1 = resp_scan(&s, first, k);
            free(first);
            if (r1 == 0) {
                char *all = malloc(rest);
                memcpy(all, b.p + off, rest);
                r1 = resp_scan(&s, all, rest);
                free(all);
            }
            assert_int_equal(r1, want);
            resp_scan_free(&s);
            if (want > 0 && k > (size_t)want + 16) break; /* longer prefixes repeat the above */
        }
        if (i < n) off = ends[i];
    }
    rbuf_free(&b);
}

/* The whole stream fed one byte at a time, each call on a fresh buffer. */
static void test_byte_by_byte(void **state)
{
    rbuf_t b = {0};
    size_t ends[128], n;
    build_stream(&b, ends, &n);
    resp_scan_t s;
    resp_scan_init(&s, DEPTH);
    size_t start = 0, got = 0;
    for (size_t k = 1; k <= b.len; k++) {
        size_t have = k - start;
        char *buf = malloc(have);
        memcpy(buf, b.p + start, have);
        ssize_t r = resp_scan(&s, buf, have);
        free(buf);
        assert_true(r >= 0);
        if (r > 0) {
            assert_true(got < n);
            assert_int_equal(start + (size_t)r, ends[got]);
            assert_int_equal(k, ends[got]); /* found as soon as its last byte came */
            got++;
            start = k;
        }
    }
    assert_int_equal(got, n);
    resp_scan_free(&s);
    rbuf_free(&b);
}

/* The state's contract: resuming on a moved buffer, a shorter buffer
 * restarting the scan, reset forgetting a partial reply. */
static void test_incremental_state(void **state)
{
    resp_scan_t s;
    resp_scan_init(&s, DEPTH);
    char a[64] = "*2\r\n$5\r\nhel";
    assert_int_equal(resp_scan(&s, a, strlen(a)), 0);
    char moved[64] = "*2\r\n$5\r\nhello\r\n+OK";
    assert_int_equal(resp_scan(&s, moved, strlen(moved)), 0);
    assert_int_equal(resp_scan(&s, moved, strlen(moved) + 0), 0);
    strcat(moved, "\r\n:9\r\n");
    assert_int_equal(resp_scan(&s, moved, strlen(moved)), 20);
    assert_int_equal(s.type, '*');

    /* fewer bytes than last time: starts over */
    assert_int_equal(resp_scan(&s, S("+a long line not yet ended")), 0);
    assert_int_equal(resp_scan(&s, S(":12\r\n")), 5);

    assert_int_equal(resp_scan(&s, S("*3\r\n:1\r\n")), 0);
    resp_scan_reset(&s);
    assert_int_equal(resp_scan(&s, S("+x\r\n")), 4);

    /* after -1 the state is fresh too */
    assert_int_equal(resp_scan(&s, S("*2\r\n?\r\n")), -1);
    assert_int_equal(resp_scan(&s, S("#t\r\n")), 4);
    resp_scan_free(&s);
}

/* ---- nesting and sizes ------------------------------------------------------ */

static char *nested(size_t levels, const char *open, const char *leaf, size_t *len)
{
    size_t ol = strlen(open), ll = strlen(leaf);
    char *p = malloc(levels * ol + ll);
    for (size_t i = 0; i < levels; i++)
        memcpy(p + i * ol, open, ol);
    memcpy(p + levels * ol, leaf, ll);
    *len = levels * ol + ll;
    return p;
}

static void test_deep_nesting(void **state)
{
    size_t len;
    char *p = nested(100000, "*1\r\n", ":1\r\n", &len);
    assert_int_equal(resp_reply_len(p, len, 100000), (ssize_t)len);
    assert_int_equal(resp_reply_len(p, len, 99999), -1);
    assert_int_equal(resp_reply_len(p, len, 1000), -1);
    assert_int_equal(resp_reply_len(p, len - 1, 100000), 0);
    /* rejected as soon as the level above the limit opens */
    assert_int_equal(resp_reply_len(p, 4 * 11, 10), -1);
    assert_int_equal(resp_reply_len(p, 4 * 10, 10), 0);
    free(p);

    /* maps and attributes are levels too */
    p = nested(5000, "%1\r\n:1\r\n", "_\r\n", &len);
    assert_int_equal(resp_reply_len(p, len, 5000), (ssize_t)len);
    assert_int_equal(resp_reply_len(p, len, 4999), -1);
    free(p);
    /* each attribute's value is the next attribute and the value it
     * describes: |1 +k |1 +k ... +v +r ... +r */
    p = nested(3000, "|1\r\n+k\r\n", "+v\r\n", &len);
    rbuf_t attrs = {0};
    rbuf_append(&attrs, p, len);
    free(p);
    for (int i = 0; i < 3000; i++)
        rbuf_append(&attrs, "+r\r\n", 4);
    assert_int_equal(resp_reply_len(attrs.p, attrs.len, 3000), (ssize_t)attrs.len);
    assert_int_equal(resp_reply_len(attrs.p, attrs.len - 1, 3000), 0);
    assert_int_equal(resp_reply_len(attrs.p, attrs.len, 2999), -1);
    rbuf_free(&attrs);

    /* a depth of 0 allows no aggregate, empty or not, but the nulls */
    assert_int_equal(resp_reply_len(S(":1\r\n"), 0), 4);
    assert_int_equal(resp_reply_len(S("*-1\r\n"), 0), 5);
    assert_int_equal(resp_reply_len(S("*0\r\n"), 0), -1);
    assert_int_equal(resp_reply_len(S("*0\r\n"), 1), 4);

    /* deep and then shallow again with one state: the heap part is reused */
    resp_scan_t s;
    resp_scan_init(&s, 200);
    for (int round = 0; round < 3; round++) {
        p = nested(150, "*2\r\n:0\r\n", "_\r\n", &len);
        assert_int_equal(resp_scan(&s, p, len), (ssize_t)len);
        free(p);
        assert_int_equal(resp_scan(&s, S("*1\r\n:1\r\n")), 8);
    }
    resp_scan_free(&s);
}

/* Wide aggregates and large payloads arriving in small pieces: every call
 * scans only the new bytes, so this is fast; a scanner that restarted from
 * the reply's start each time would take minutes. */
static void test_linear_time(void **state)
{
    const size_t big = 8 * 1024 * 1024, step = 1024;
    rbuf_t b = {0};
    rbuf_printf(&b, "*3\r\n+");
    char *line = malloc(big);
    memset(line, 'x', big);
    rbuf_append(&b, line, big);
    rbuf_printf(&b, "\r\n$%zu\r\n", big);
    rbuf_append(&b, line, big);
    rbuf_printf(&b, "\r\n*%zu\r\n", big / 4);
    for (size_t i = 0; i < big / 4; i++)
        rbuf_append(&b, ":1\r\n", 4);
    free(line);

    clock_t t0 = clock();
    resp_scan_t s;
    resp_scan_init(&s, DEPTH);
    ssize_t r = 0;
    for (size_t k = step; r == 0; k += step)
        r = resp_scan(&s, b.p, k < b.len ? k : b.len);
    assert_int_equal(r, (ssize_t)b.len);
    resp_scan_free(&s);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    assert_true(secs < 20);
    rbuf_free(&b);
}

/* ---- generated replies -------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
    return xorshift(&rng_state);
}

static void gen_bytes(rbuf_t *b, size_t n, bool binary)
{
    for (size_t i = 0; i < n; i++) {
        char c;
        if (binary) {
            uint64_t x = rnd() % 8;
            c = x == 0 ? '\r' : x == 1 ? '\n' : x == 2 ? '\0' : (char)('a' + rnd() % 26);
        } else {
            c = (char)(' ' + rnd() % 95);
        }
        rbuf_append(b, &c, 1);
    }
}

/* Appends one random valid value (possibly with attributes) and returns the
 * type its reply reports. */
static char gen_value(rbuf_t *b, int depth, int maxdepth)
{
    if (depth < maxdepth && rnd() % 12 == 0) { /* an attribute first */
        size_t n = rnd() % 3;
        rbuf_printf(b, "|%zu\r\n", n);
        for (size_t i = 0; i < 2 * n; i++)
            gen_value(b, depth + 1, maxdepth);
    }
    static const char types[] = "+-:$$$**_,#!=(%~>";
    char t = types[rnd() % (sizeof(types) - 1)];
    if (depth >= maxdepth && strchr("*%~>", t)) t = '$';
    switch (t) {
    case '+':
    case '-':
        rbuf_append(b, &t, 1);
        gen_bytes(b, rnd() % 20, false);
        rbuf_printf(b, "\r\n");
        break;
    case ':':
        rbuf_printf(b, ":%lld\r\n", (long long)(rnd() % 2000001) - 1000000);
        break;
    case '$':
    case '!': {
        if (t == '$' && rnd() % 6 == 0) {
            rbuf_printf(b, "$-1\r\n");
            break;
        }
        size_t n = rnd() % 4 == 0 ? rnd() % 3000 : rnd() % 12;
        rbuf_printf(b, "%c%zu\r\n", t, n);
        gen_bytes(b, n, true);
        rbuf_printf(b, "\r\n");
        break;
    }
    case '=': {
        size_t n = rnd() % 10;
        rbuf_printf(b, "=%zu\r\ntxt:", n + 4);
        gen_bytes(b, n, true);
        rbuf_printf(b, "\r\n");
        break;
    }
    case '_':
        rbuf_printf(b, "_\r\n");
        break;
    case ',': {
        static const char *const d[] = {"1.5", "-0.25", "1e+300", "3.1415926535897931",
                                        "inf", "-inf",  "nan",    "0"};
        rbuf_printf(b, ",%s\r\n", d[rnd() % 8]);
        break;
    }
    case '#':
        rbuf_printf(b, "#%c\r\n", rnd() % 2 ? 't' : 'f');
        break;
    case '(':
        rbuf_printf(b, "(%s%llu%llu\r\n", rnd() % 2 ? "-" : "", (unsigned long long)rnd(),
                    (unsigned long long)rnd());
        break;
    default: { /* aggregates */
        if (t == '*' && rnd() % 8 == 0) {
            rbuf_printf(b, "*-1\r\n");
            break;
        }
        size_t n = rnd() % 5;
        rbuf_printf(b, "%c%zu\r\n", t, n);
        for (size_t i = 0; i < (t == '%' ? 2 * n : n); i++)
            gen_value(b, depth + 1, maxdepth);
        break;
    }
    }
    return t;
}

/* Streams of generated replies: the scanner must cut exactly where the
 * generator put the boundaries, fed in random chunks, and report the type. */
static void test_generated_streams(void **state)
{
    for (int iter = 0; iter < 400; iter++) {
        rbuf_t b = {0};
        size_t ends[40];
        char types[40];
        int n = 1 + (int)(rnd() % 40);
        int maxdepth = 1 + (int)(rnd() % 12);
        for (int i = 0; i < n; i++) {
            types[i] = gen_value(&b, 0, maxdepth);
            ends[i] = b.len;
        }
        resp_scan_t s;
        resp_scan_init(&s, 64);
        size_t start = 0, have = 0;
        int got = 0;
        while (got < n) {
            size_t chunk = rnd() % 3 == 0 ? 1 : 1 + rnd() % 700;
            have += chunk;
            if (have > b.len) have = b.len;
            for (;;) {
                char *buf = malloc(have - start ? have - start : 1);
                memcpy(buf, b.p + start, have - start);
                ssize_t r = resp_scan(&s, buf, have - start);
                free(buf);
                assert_true(r >= 0);
                if (r == 0) break;
                assert_int_equal(start + (size_t)r, ends[got]);
                assert_int_equal(s.type, types[got]);
                start += (size_t)r;
                got++;
            }
        }
        assert_int_equal(start, b.len);
        resp_scan_free(&s);
        /* a depth limit below the generated one can only reject */
        ssize_t shallow = resp_reply_len(b.p, b.len, 1);
        assert_true(shallow == -1 || shallow == (ssize_t)ends[0]);
        rbuf_free(&b);
    }
}

/* The fuzz target's invariants over generated streams, mutated: truncated,
 * bytes flipped, inserted or removed, lengths and counts replaced. */
static void test_fuzz_replay(void **state)
{
    static const char *const numbers[] = {
        "-1", "-2", "0", "01", "-0", "1099511627776", "1099511627777", "99999999999999999999",
        "?",  "",   "3", "+1"};
    static const char interesting[] = "\r\n$*%~>|_,#!=(:+-.;?0t";
    memset(fuzz_stats, 0, sizeof(fuzz_stats));
    for (int iter = 0; iter < 3000; iter++) {
        rbuf_t b = {0};
        int n = 1 + (int)(rnd() % 4);
        for (int i = 0; i < n; i++)
            gen_value(&b, 0, 1 + (int)(rnd() % 4));
        if (b.len > 600) b.len = 600;
        int muts = (int)(rnd() % 4);
        for (int m = 0; m < muts && b.len > 0; m++) {
            size_t at = rnd() % b.len;
            switch (rnd() % 5) {
            case 0: /* truncate */
                b.len = at;
                break;
            case 1: /* flip */
                b.p[at] = interesting[rnd() % (sizeof(interesting) - 1)];
                break;
            case 2: { /* insert */
                char c = interesting[rnd() % (sizeof(interesting) - 1)];
                rbuf_append(&b, &c, 1);
                memmove(b.p + at + 1, b.p + at, b.len - at - 1);
                b.p[at] = c;
                break;
            }
            case 3: /* remove */
                memmove(b.p + at, b.p + at + 1, b.len - at - 1);
                b.len--;
                break;
            default: { /* replace the number after a type byte */
                char *t = memchr(b.p + at, '\r', b.len - at);
                if (!t) break;
                size_t start = at;
                while (start > 0 && b.p[start - 1] != '\n')
                    start--;
                if (start >= (size_t)(t - b.p)) break;
                const char *num = numbers[rnd() % (sizeof(numbers) / sizeof(numbers[0]))];
                rbuf_t nb = {0};
                rbuf_append(&nb, b.p, start + 1);
                rbuf_append(&nb, num, strlen(num));
                rbuf_append(&nb, t, b.len - (size_t)(t - b.p));
                rbuf_free(&b);
                b = nb;
                break;
            }
            }
        }
        LLVMFuzzerTestOneInput((const uint8_t *)b.p, b.len);
        rbuf_free(&b);
    }
    /* the replay reached every outcome */
    for (int i = 0; i < FZ_NSTATS; i++)
        assert_true(fuzz_stats[i] > 0);
}

/* The seed corpus of the fuzz target, when run from the source tree. */
static void test_fuzz_seeds(void **state)
{
    static const char *const names[] = {"simple", "nulls",     "bulk",        "array",    "map",
                                        "set",    "attrib",    "push",        "verbatim", "double",
                                        "bignum", "bool_blob", "attr_inside", "nested",   "exec"};
    int found = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[256];
        snprintf(path, sizeof(path), "tests/fuzz/corpus/fuzz_resp_scan/%s", names[i]);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        char buf[4096];
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        found++;
        LLVMFuzzerTestOneInput((const uint8_t *)buf, n);
        /* every seed is a stream of complete, valid replies */
        size_t off = 0;
        while (off < n) {
            ssize_t r = resp_reply_len(buf + off, n - off, DEPTH);
            if (r <= 0) fail_msg("seed %s: %zd at offset %zu", names[i], r, off);
            off += (size_t)r;
        }
    }
    if (!found) skip();
}

/* ---- against redis-server ------------------------------------------------------ */

static int sock_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends the command followed by ECHO <marker> and returns the bytes before
 * the ECHO's reply: exactly the command's replies, however the server chunks
 * them, and found without parsing them. */
static void exchange(int fd, rbuf_t *pre, int argc, const char *const *argv, const size_t *lens,
                     const char *marker, rbuf_t *stream, size_t *cmd_len, size_t *marker_len)
{
    rbuf_t req = {0};
    if (pre) {
        rbuf_append(&req, pre->p, pre->len);
        pre->len = 0;
    }
    resp_encode(&req, argc, argv, lens);
    const char *echo[] = {"ECHO", marker};
    resp_encode(&req, 2, echo, NULL);
    for (size_t off = 0; off < req.len;) {
        ssize_t w = send(fd, req.p + off, req.len - off, MSG_NOSIGNAL);
        assert_true(w > 0);
        off += (size_t)w;
    }
    rbuf_free(&req);

    rbuf_t want = {0};
    rbuf_printf(&want, "$%zu\r\n%s\r\n", strlen(marker), marker);
    rbuf_t got = {0};
    while (got.len < want.len || memcmp(got.p + got.len - want.len, want.p, want.len) != 0) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        assert_true(poll(&pfd, 1, 10000) > 0);
        char buf[65536];
        ssize_t r = recv(fd, buf, sizeof(buf), 0);
        assert_true(r > 0);
        rbuf_append(&got, buf, (size_t)r);
    }
    *cmd_len = got.len - want.len;
    *marker_len = want.len;
    rbuf_append(stream, got.p, got.len);
    rbuf_free(&got);
    rbuf_free(&want);
}

typedef struct {
    bool batch; /* sent with the next command: no marker of its own */
    const char *args[8];
    int nreplies; /* in RESP2, RESP3 (0: the same as in RESP2) */
    int nreplies3;
    char type2, type3; /* of the first reply, 0: not checked */
} rcmd_t;

static const rcmd_t redis_cmds[] = {
    {false, {"PING"}, 1, 0, '+', '+'},
    {false, {"SET", "k", "v"}, 1, 0, '+', '+'},
    {false, {"GET", "k"}, 1, 0, '$', '$'},
    {false, {"GET", "nokey"}, 1, 0, '$', '_'},
    {false, {"INCR", "n"}, 1, 0, ':', ':'},
    {false, {"NOSUCHCOMMAND", "x"}, 1, 0, '-', '-'},
    {false, {"RPUSH", "l", "a", "b\r\nc", ""}, 1, 0, ':', ':'},
    {false, {"LRANGE", "l", "0", "-1"}, 1, 0, '*', '*'},
    {false, {"LRANGE", "nolist", "0", "-1"}, 1, 0, '*', '*'},
    {false, {"HSET", "h", "f1", "v1", "f2", "v2"}, 1, 0, ':', ':'},
    {false, {"HGETALL", "h"}, 1, 0, '*', '%'},
    {false, {"SADD", "s", "x", "y"}, 1, 0, ':', ':'},
    {false, {"SMEMBERS", "s"}, 1, 0, '*', '~'},
    {false, {"ZADD", "z", "1.5", "a", "2", "b"}, 1, 0, ':', ':'},
    {false, {"ZRANGE", "z", "0", "-1", "WITHSCORES"}, 1, 0, '*', '*'},
    {false, {"ZSCORE", "z", "a"}, 1, 0, '$', ','},
    {false, {"BLPOP", "nokey", "0.01"}, 1, 0, '*', '_'},
    {true, {"MULTI"}, 1, 0, '+', '+'},
    {true, {"SET", "k2", "v2"}, 1, 0, '+', '+'},
    {true, {"GET", "k2"}, 1, 0, '+', '+'},
    {true, {"INCR", "k2"}, 1, 0, '+', '+'},
    {false, {"EXEC"}, 1, 0, '*', '*'},
    {false, {"XADD", "st", "*", "f", "v"}, 1, 0, '$', '$'},
    {false, {"XRANGE", "st", "-", "+"}, 1, 0, '*', '*'},
    {false, {"XINFO", "STREAM", "st"}, 1, 0, '*', '%'},
    {false, {"CONFIG", "GET", "maxmemory*"}, 1, 0, '*', '%'},
    {false, {"COMMAND", "INFO", "GET", "SET"}, 1, 0, '*', '*'},
    {false, {"OBJECT", "HELP"}, 1, 0, '*', '*'},
    {false,
     {"EVAL", "return {1,{2,{3,{4,{5,{6,{7,{8,{9,{10,{11,{'x'}}}}}}}}}}}}", "0"},
     1,
     0,
     '*',
     '*'},
    {false, {"EVAL", "return {err='My Error'}", "0"}, 1, 0, '-', '-'},
    {false, {"EVAL", "return redis.call('hgetall','h')", "0"}, 1, 0, '*', '*'},
    {false, {"DEBUG", "PROTOCOL", "string"}, 1, 0, '$', '$'},
    {false, {"DEBUG", "PROTOCOL", "integer"}, 1, 0, ':', ':'},
    {false, {"DEBUG", "PROTOCOL", "double"}, 1, 0, '$', ','},
    {false, {"DEBUG", "PROTOCOL", "bignum"}, 1, 0, '$', '('},
    {false, {"DEBUG", "PROTOCOL", "null"}, 1, 0, '$', '_'},
    {false, {"DEBUG", "PROTOCOL", "array"}, 1, 0, '*', '*'},
    {false, {"DEBUG", "PROTOCOL", "set"}, 1, 0, '*', '~'},
    {false, {"DEBUG", "PROTOCOL", "map"}, 1, 0, '*', '%'},
    {false, {"DEBUG", "PROTOCOL", "attrib"}, 1, 0, '$', '$'},
    {false, {"DEBUG", "PROTOCOL", "push"}, 1, 2, '-', '>'},
    {false, {"DEBUG", "PROTOCOL", "verbatim"}, 1, 0, '$', '='},
    {false, {"DEBUG", "PROTOCOL", "true"}, 1, 0, ':', '#'},
    {false, {"DEBUG", "PROTOCOL", "false"}, 1, 0, ':', '#'},
    {false, {"GET", "big"}, 1, 0, '$', '$'},
    {false, {"DEL", "k", "big"}, 1, 0, ':', ':'},
};

/* Runs the commands on one connection in RESP2, then HELLO 3 and the same in
 * RESP3, recording where each reply ends; then scans the whole recording in
 * one go, in random pieces, and byte by byte, and compares the boundaries. */
static void test_redis_boundaries(void **state)
{
    testproc_t srv;
    const char *args[] = {"--enable-debug-command", "yes", NULL};
    if (proc_start_redis_args(&srv, args) != 0) {
        fprintf(stderr, "redis-server not available: skipped\n");
        skip();
    }
    int fd = sock_open(srv.port);
    assert_true(fd >= 0);

    rbuf_t stream = {0};
    size_t ends[512];
    int counts[512];
    char types[512];
    int nb = 0;
    char marker[64];
    size_t cl, ml;
    const size_t ncmds = sizeof(redis_cmds) / sizeof(redis_cmds[0]);

    /* a large value with line ends inside */
    size_t biglen = 300000;
    char *bigval = malloc(biglen);
    for (size_t i = 0; i < biglen; i++)
        bigval[i] = i % 97 == 0 ? '\r' : i % 97 == 1 ? '\n' : (char)('a' + i % 26);

    for (int proto = 2; proto <= 3; proto++) {
        if (proto == 3) {
            const char *hello[] = {"HELLO", "3"};
            exchange(fd, NULL, 2, hello, NULL, "hello-marker", &stream, &cl, &ml);
            ends[nb] = stream.len - ml;
            counts[nb] = 1;
            types[nb++] = '%';
            ends[nb] = stream.len;
            counts[nb] = 1;
            types[nb++] = '$';
        }
        const char *set[] = {"SET", "big", bigval};
        size_t setl[] = {3, 3, biglen};
        exchange(fd, NULL, 3, set, setl, "big-marker", &stream, &cl, &ml);
        ends[nb] = stream.len - ml;
        counts[nb] = 1;
        types[nb++] = '+';
        ends[nb] = stream.len;
        counts[nb] = 1;
        types[nb++] = '$';
        rbuf_t batch = {0};
        int batched = 0;
        char batch_type = 0;
        for (size_t i = 0; i < ncmds; i++) {
            const rcmd_t *c = &redis_cmds[i];
            int argc = 0;
            while (argc < 8 && c->args[argc])
                argc++;
            int n = proto == 3 && c->nreplies3 ? c->nreplies3 : c->nreplies;
            char type = proto == 2 ? c->type2 : c->type3;
            if (c->batch) { /* inside MULTI an ECHO would be queued too */
                resp_encode(&batch, argc, c->args, NULL);
                if (!batched) batch_type = type;
                batched += n;
                continue;
            }
            snprintf(marker, sizeof(marker), "marker-%d-%zu", proto, i);
            exchange(fd, &batch, argc, c->args, NULL, marker, &stream, &cl, &ml);
            ends[nb] = stream.len - ml;
            counts[nb] = batched + n;
            types[nb++] = batched ? batch_type : type;
            ends[nb] = stream.len;
            counts[nb] = 1;
            types[nb++] = '$';
            batched = 0;
        }
        rbuf_free(&batch);
    }
    close(fd);
    free(bigval);
    assert_int_equal(proc_finish(&srv), 0);

    /* Redis did send the exotic types (no error in their place) */
    assert_non_null(memmem(stream.p, stream.len, S("|1\r\n$14\r\nkey-popularity")));
    assert_non_null(memmem(stream.p, stream.len, S("=29\r\ntxt:")));
    assert_non_null(memmem(stream.p, stream.len, S("\r\n>2\r\n")));

    /* one-shot: segment by segment, each holding counts[i] replies */
    size_t off = 0;
    for (int i = 0; i < nb; i++) {
        for (int k = 0; k < counts[i]; k++) {
            char type = 0;
            ssize_t r = scan_copy(stream.p + off, stream.len - off, DEPTH, &type);
            if (r <= 0) {
                char *e = resp_escape(stream.p + off, ends[i] - off < 200 ? ends[i] - off : 200);
                fail_msg("segment %d reply %d: %zd on %s", i, k, r, e);
            }
            if (k == 0 && types[i] && type != types[i])
                fail_msg("segment %d: type '%c', want '%c': %s", i, type, types[i],
                         resp_escape(stream.p + off, (size_t)r < 200 ? (size_t)r : 200));
            off += (size_t)r;
        }
        if (off != ends[i]) {
            char *e = resp_escape(stream.p + off, 80);
            fail_msg("segment %d ends at %zu, scanner at %zu: %s", i, ends[i], off, e);
        }
    }

    /* incremental, random pieces and single bytes */
    for (int mode = 0; mode < 2; mode++) {
        resp_scan_t s;
        resp_scan_init(&s, DEPTH);
        size_t start = 0, have = 0;
        int seg = 0, inseg = 0;
        while (start < stream.len) {
            have += mode == 0 ? 1 + rnd() % 3000 : 1;
            if (have > stream.len) have = stream.len;
            for (;;) {
                ssize_t r = resp_scan(&s, stream.p + start, have - start);
                assert_true(r >= 0);
                if (r == 0) break;
                start += (size_t)r;
                if (++inseg == counts[seg]) {
                    assert_int_equal(start, ends[seg]);
                    seg++;
                    inseg = 0;
                }
            }
        }
        assert_int_equal(seg, nb);
        resp_scan_free(&s);
    }

    /* the nested EVAL reply is 12 levels deep */
    const char *deep = memmem(stream.p, stream.len, S("*2\r\n:1\r\n*2\r\n:2\r\n"));
    assert_non_null(deep);
    assert_int_equal(resp_reply_len(deep, stream.len - (size_t)(deep - stream.p), 11), -1);
    assert_true(resp_reply_len(deep, stream.len - (size_t)(deep - stream.p), 12) > 0);
    rbuf_free(&stream);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_type),        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_need_more),         cmocka_unit_test(test_every_split_point),
        cmocka_unit_test(test_byte_by_byte),      cmocka_unit_test(test_incremental_state),
        cmocka_unit_test(test_deep_nesting),      cmocka_unit_test(test_linear_time),
        cmocka_unit_test(test_generated_streams), cmocka_unit_test(test_fuzz_replay),
        cmocka_unit_test(test_fuzz_seeds),        cmocka_unit_test(test_redis_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
