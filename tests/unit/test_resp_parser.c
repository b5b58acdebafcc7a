/* Unit tests for src/resp/parser.c. Expected results (argument splits and
 * every error message) were captured from redis-server 7.0.15. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp/parser.h"

#define S(lit) lit, sizeof(lit) - 1

/* One parse result, with the arguments copied out of the buffer. */
typedef struct {
    resp_status_t st;
    size_t consumed;
    int argc;
    char *args[64];
    size_t lens[64];
    char err[64];
} result_t;

static void result_take(result_t *r, resp_status_t st, const resp_parser_t *p, const char *buf)
{
    memset(r, 0, sizeof(*r));
    r->st = st;
    if (st == RESP_ERROR) {
        snprintf(r->err, sizeof(r->err), "%s", p->err);
        return;
    }
    if (st == RESP_NEED_MORE) return;
    r->consumed = p->consumed;
    r->argc = p->argc;
    for (int i = 0; i < p->argc && i < 64; i++) {
        r->lens[i] = p->arglen[i];
        r->args[i] = malloc(p->arglen[i] + 1);
        memcpy(r->args[i], buf + p->argoff[i], p->arglen[i]);
        r->args[i][p->arglen[i]] = '\0';
    }
}

static void result_free(result_t *r)
{
    for (int i = 0; i < 64; i++)
        free(r->args[i]);
    memset(r, 0, sizeof(*r));
}

static void assert_same(const result_t *a, const result_t *b)
{
    assert_int_equal(a->st, b->st);
    assert_int_equal(a->consumed, b->consumed);
    assert_int_equal(a->argc, b->argc);
    assert_string_equal(a->err, b->err);
    for (int i = 0; i < a->argc && i < 64; i++) {
        assert_int_equal(a->lens[i], b->lens[i]);
        assert_memory_equal(a->args[i], b->args[i], a->lens[i]);
    }
}

/* Parses the first request of data[0..len) in one go, on an exact-size copy
 * (so ASan sees any read past len). */
static resp_status_t parse_once(const resp_limits_t *lim, const char *data, size_t len,
                                result_t *out)
{
    resp_parser_t p;
    resp_parser_init(&p, lim);
    char *buf = malloc(len ? len : 1);
    memcpy(buf, data, len);
    resp_status_t st = resp_parse(&p, buf, len);
    result_take(out, st, &p, buf);
    free(buf);
    resp_parser_free(&p);
    return st;
}

/* Expects data to be one complete request parsed into the given args. */
static void expect_args(const char *data, size_t len, int argc, const char *const *argv,
                        const size_t *lens)
{
    result_t r;
    parse_once(NULL, data, len, &r);
    assert_int_equal(r.st, argc ? RESP_DONE : RESP_EMPTY);
    assert_int_equal(r.consumed, len);
    assert_int_equal(r.argc, argc);
    for (int i = 0; i < argc; i++) {
        size_t l = lens ? lens[i] : strlen(argv[i]);
        assert_int_equal(r.lens[i], l);
        assert_memory_equal(r.args[i], argv[i], l);
    }
    result_free(&r);
}

static void expect_error(const resp_limits_t *lim, const char *data, size_t len, const char *msg)
{
    result_t r;
    parse_once(lim, data, len, &r);
    assert_int_equal(r.st, RESP_ERROR);
    assert_string_equal(r.err, msg);
    result_free(&r);
}

static void expect_need_more(const resp_limits_t *lim, const char *data, size_t len)
{
    result_t r;
    parse_once(lim, data, len, &r);
    assert_int_equal(r.st, RESP_NEED_MORE);
    result_free(&r);
}

/* Feeds data as a prefix of k bytes, then the whole of it (each time in a
 * freshly allocated buffer, so stale pointers would be caught), for every
 * k; and once more one byte at a time. Every way must give the one-shot
 * result, and a prefix may only say NEED_MORE or give that same result. */
static void check_all_splits(const resp_limits_t *lim, const char *data, size_t len)
{
    result_t once, r;
    parse_once(lim, data, len, &once);

    for (size_t k = 0; k <= len; k++) {
        resp_parser_t p;
        resp_parser_init(&p, lim);
        char *b1 = malloc(k ? k : 1);
        memcpy(b1, data, k);
        resp_status_t st = resp_parse(&p, b1, k);
        if (st != RESP_NEED_MORE) {
            result_take(&r, st, &p, b1);
            assert_same(&once, &r);
            result_free(&r);
        } else {
            char *b2 = malloc(len ? len : 1);
            memcpy(b2, data, len);
            free(b1);
            b1 = NULL;
            st = resp_parse(&p, b2, len);
            result_take(&r, st, &p, b2);
            assert_same(&once, &r);
            result_free(&r);
            free(b2);
        }
        free(b1);
        resp_parser_free(&p);
    }

    resp_parser_t p;
    resp_parser_init(&p, lim);
    resp_status_t st = RESP_NEED_MORE;
    char *b = NULL;
    size_t k;
    for (k = 1; k <= len && st == RESP_NEED_MORE; k++) {
        free(b);
        b = malloc(k);
        memcpy(b, data, k);
        st = resp_parse(&p, b, k);
    }
    result_take(&r, st, &p, b);
    assert_same(&once, &r);
    result_free(&r);
    free(b);
    resp_parser_free(&p);
    result_free(&once);
}

static void test_multibulk_basic(void **state)
{
    const char *argv[] = {"SET", "key", "hello"};
    expect_args(S("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nhello\r\n"), 3, argv, NULL);

    const char *empty[] = {"", "x"};
    expect_args(S("*2\r\n$0\r\n\r\n$1\r\nx\r\n"), 2, empty, NULL);
}

static void test_multibulk_binary(void **state)
{
    static const char req[] = "*2\r\n$3\r\nGET\r\n$9\r\na\r\nb\0c\r\nd\r\n";
    const char *argv[] = {"GET", "a\r\nb\0c\r\nd"};
    size_t lens[] = {3, 9};
    expect_args(req, sizeof(req) - 1, 2, argv, lens);
    check_all_splits(NULL, req, sizeof(req) - 1);
}

static void test_every_split_point(void **state)
{
    static const struct {
        const char *s;
        size_t n;
    } reqs[] = {
        {S("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nhello\r\n")},
        {S("*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n")},
        {S("*2\r\n$4\r\nECHO\r\n$12\r\n\r\n\r\n$1\r\n\r\n\r\n")},
        {S("*0\r\n")},
        {S("*-1\r\n")},
        {S("SET k v\r\n")},
        {S("SET k v\n")},
        {S("ECHO \"a\\x41\\n\" 'it\\'s' a\"b c\"\r\n")},
        {S("  \t \r\n")},
        {S("\n")},
        {S("*1\r\n$4\r\nPINGxx")},
        {S("*1\rX$4\r\nPING\r\n")},
        {S("*1\r\nX\r\n")},
        {S("*1\r\n$-1\r\n")},
        {S("*abc\r\n")},
        {S("ECHO \"unbalanced\r\n")},
        {S("*1\r\n$4\r\nPI\0G\r\n")},
        {S("PING\0\r\n")},
    };
    for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
        check_all_splits(NULL, reqs[i].s, reqs[i].n);

    /* small limits, so the "too big" paths are reached in few bytes */
    resp_limits_t lim = {.max_bulk_len = 10, .max_multibulk = 3, .max_inline = 8};
    static const struct {
        const char *s;
        size_t n;
    } small[] = {
        {S("*1\r\n$10\r\n0123456789\r\n")},
        {S("*1\r\n$11\r\n")},
        {S("*4\r\n")},
        {S("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n")},
        {S("12345678\n")},
        {S("123456789\n")},
        {S("1234567\r\n")},
        {S("12345678\r\n")},
        {S("*1234567\r\n")},
        {S("*12345678\r\n")},
        {S("*1\r\n$1234567\r\n")},
        {S("*1\r\n$12345678\r\n")},
        {S("*1\r\n$1\r\nx\r\n")},
        {S("PI\0G\r\n")},
    };
    for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++)
        check_all_splits(&lim, small[i].s, small[i].n);
}

/* A pipeline is parsed one request at a time by advancing past consumed. */
static void test_pipeline(void **state)
{
    char buf[] = "PING\r\n*1\r\n$4\r\nPING\r\n\r\n*0\r\nECHO x\n*2\r\n$4\r\nECHO";
    size_t len = sizeof(buf) - 1, off = 0;
    resp_parser_t p;
    resp_parser_init(&p, NULL);

    static const resp_status_t want[] = {RESP_DONE,  RESP_DONE, RESP_EMPTY,
                                         RESP_EMPTY, RESP_DONE, RESP_NEED_MORE};
    static const int wargc[] = {1, 1, 0, 0, 2, 0};
    static const size_t wcons[] = {6, 14, 2, 4, 7, 0};
    for (size_t i = 0; i < 6; i++) {
        resp_status_t st = resp_parse(&p, buf + off, len - off);
        assert_int_equal(st, want[i]);
        if (st == RESP_NEED_MORE) break;
        assert_int_equal(p.argc, wargc[i]);
        assert_int_equal(p.consumed, wcons[i]);
        if (st == RESP_DONE)
            assert_memory_equal(buf + off + p.argoff[0], i == 4 ? "ECHO" : "PING", 4);
        off += p.consumed;
    }
    /* the partial request continues when the rest arrives in a new buffer */
    char more[] = "*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n";
    resp_status_t st = resp_parse(&p, more, sizeof(more) - 1);
    assert_int_equal(st, RESP_DONE);
    assert_int_equal(p.argc, 2);
    assert_memory_equal(more + p.argoff[1], "hi", 2);
    assert_int_equal(p.consumed, sizeof(more) - 1);
    resp_parser_free(&p);
}

static void test_empty_requests(void **state)
{
    expect_args(S("*0\r\n"), 0, NULL, NULL);
    expect_args(S("*-1\r\n"), 0, NULL, NULL);
    expect_args(S("*-5\r\n"), 0, NULL, NULL);
    expect_args(S("\r\n"), 0, NULL, NULL);
    expect_args(S("\n"), 0, NULL, NULL);
    expect_args(S("   \t\r\n"), 0, NULL, NULL);
    expect_args(S("\r\r\n"), 0, NULL, NULL);
}

static void test_multibulk_errors(void **state)
{
    expect_error(NULL, S("*\r\n"), "invalid multibulk length");
    expect_error(NULL, S("*01\r\n"), "invalid multibulk length");
    expect_error(NULL, S("*+1\r\n"), "invalid multibulk length");
    expect_error(NULL, S("*-0\r\n"), "invalid multibulk length");
    expect_error(NULL, S("*abc\r\n"), "invalid multibulk length");
    expect_error(NULL, S("*1 \r\n"), "invalid multibulk length");
    expect_error(NULL, S("*2147483648\r\n"), "invalid multibulk length");
    expect_error(NULL, S("*99999999999999999999\r\n"), "invalid multibulk length");
}

static void test_bulk_errors(void **state)
{
    /* what redis-server 7.0.15 answers, after "-ERR Protocol error: " */
    expect_error(NULL, S("*1\r\nX\r\n"), "expected '$', got 'X'");
    expect_error(NULL, S("*1\r\n\r\r\n"), "expected '$', got ' '");
    expect_error(NULL, S("*1\r\n\n\r\n"), "expected '$', got ' '");
    expect_error(NULL, S("*2\r\n$1\r\na\r\n:1\r\n"), "expected '$', got ':'");
    expect_error(NULL, S("*1\r\n\xff\r\n"), "expected '$', got '\xff'");
    expect_error(NULL, S("*1\r\n$-1\r\n"), "invalid bulk length");
    expect_error(NULL, S("*1\r\n$-0\r\n"), "invalid bulk length");
    expect_error(NULL, S("*1\r\n$04\r\n"), "invalid bulk length");
    expect_error(NULL, S("*1\r\n$\r\n"), "invalid bulk length");
    expect_error(NULL, S("*1\r\n$\xff\r\n"), "invalid bulk length");
    expect_error(NULL, S("*1\r\n$3\nfoo\r\n"), "invalid bulk length");
    expect_error(NULL, S("*1\r\n$536870913\r\n"), "invalid bulk length");
    expect_error(NULL, S("*1\r\n$2147483648\r\n"), "invalid bulk length");
    expect_error(NULL, S("*1\r\n$123456789012345678901\r\n"), "invalid bulk length");
    expect_error(NULL, S("*1\r\n$-9223372036854775808\r\n"), "invalid bulk length");
}

static void test_inline_errors(void **state)
{
    expect_error(NULL, S("\"unbal\r\n"), "unbalanced quotes in request");
    expect_error(NULL, S("PING \"a\"b\r\n"), "unbalanced quotes in request");
    expect_error(NULL, S("ECHO 'a'b\r\n"), "unbalanced quotes in request");
    expect_error(NULL, S("ECHO \"a\\\"\r\n"), "unbalanced quotes in request");
    expect_error(NULL, S("ECHO 'a\r\n"), "unbalanced quotes in request");
    expect_error(NULL, S("ECHO \"a\\\r\n"), "unbalanced quotes in request");
    expect_error(NULL, S("ECHO \"a\"\"b\"\r\n"), "unbalanced quotes in request");
}

static void test_incomplete(void **state)
{
    expect_need_more(NULL, "", 0);
    expect_need_more(NULL, S("*"));
    expect_need_more(NULL, S("*1\r"));
    expect_need_more(NULL, S("*1\r\n"));
    expect_need_more(NULL, S("*1\r\nX"));
    expect_need_more(NULL, S("*1\r\nX\r"));
    expect_need_more(NULL, S("*1\r\n$4\r\nPING"));
    expect_need_more(NULL, S("*1\r\n$4\r\nPING\r"));
    expect_need_more(NULL, S("PING"));
    expect_need_more(NULL, S("PING\r"));
    expect_need_more(NULL, S("*1\r\n$536870912\r\n"));
}

/* Redis skips the two bytes after a payload and after a header's '\r'
 * without looking at them. */
static void test_unchecked_line_ends(void **state)
{
    const char *ping[] = {"PING"};
    expect_args(S("*1\r\n$4\r\nPINGxx"), 1, ping, NULL);
    expect_args(S("*1\rX$4\r\nPING\r\n"), 1, ping, NULL);
    expect_args(S("*1\r\n$4\r\0PING\r\n"), 1, ping, NULL);
}

/* strchr in Redis stops at NUL: a NUL before the line end hides it, and the
 * request waits until it is too big. Bulk payloads may hold NULs. */
static void test_nul_hides_line_end(void **state)
{
    expect_need_more(NULL, S("PING\0\n"));
    expect_need_more(NULL, S("PING\0x\r\n"));
    expect_need_more(NULL, S("*1\0\r\n"));
    expect_need_more(NULL, S("*1\r\n$4\0\r\nPING\r\n"));
    expect_need_more(NULL, S("\0\r\n"));

    size_t n = 65537;
    char *b = malloc(n);
    memset(b, 'a', n);
    memcpy(b, "PING\0", 5);
    expect_error(NULL, b, n, "too big inline request");
    b[n - 1] = '\n';
    expect_error(NULL, b, n, "too big inline request");
    expect_need_more(NULL, b, n - 1);
    b[0] = '*';
    b[1] = '\0';
    expect_error(NULL, b, n, "too big mbulk count string");
    free(b);

    const char *argv[] = {"SET", "k\0v"};
    size_t lens[] = {3, 3};
    expect_args(S("*2\r\n$3\r\nSET\r\n$3\r\nk\0v\r\n"), 2, argv, lens);
}

static void test_limits(void **state)
{
    resp_limits_t def;
    resp_limits_default(&def);
    assert_int_equal(def.max_bulk_len, 536870912);
    assert_int_equal(def.max_multibulk, INT_MAX);
    assert_int_equal(def.max_inline, 65536);

    /* Redis 7.0 accepts any count up to INT_MAX */
    expect_need_more(NULL, S("*1048577\r\n"));
    expect_need_more(NULL, S("*2147483647\r\n"));
    resp_limits_t lim = def;
    lim.max_multibulk = 1048576;
    expect_need_more(&lim, S("*1048576\r\n"));
    expect_error(&lim, S("*1048577\r\n"), "invalid multibulk length");

    /* bulk length: up to proto_max_bulk_len */
    resp_parser_t p;
    resp_parser_init(&p, NULL);
    char hdr[] = "*1\r\n$536870912\r\n";
    assert_int_equal(resp_parse(&p, hdr, sizeof(hdr) - 1), RESP_NEED_MORE);
    assert_int_equal(p.bulklen, 536870912);
    assert_int_equal(p.pos, sizeof(hdr) - 1);
    resp_parser_free(&p);
    expect_error(NULL, S("*1\r\n$2147483648\r\n"), "invalid bulk length");
    lim = def;
    lim.max_bulk_len = 5;
    expect_error(&lim, S("*1\r\n$6\r\n"), "invalid bulk length");
    expect_need_more(&lim, S("*1\r\n$5\r\n"));

    /* a header without '\r' may be 64 KB; one byte more is an error */
    size_t n = 65536 + 8;
    char *b = malloc(n);
    memset(b, '1', n);
    b[0] = '*';
    expect_need_more(NULL, b, 65536);
    expect_error(NULL, b, 65537, "too big mbulk count string");
    memcpy(b, "*1\r\n$", 5);
    expect_need_more(NULL, b, 4 + 65536);
    expect_error(NULL, b, 4 + 65537, "too big bulk count string");

    /* an inline line of 64 KB is fine, a longer one is not */
    memset(b, 'a', n);
    expect_need_more(NULL, b, 65536);
    expect_error(NULL, b, 65537, "too big inline request");
    b[65536] = '\n';
    result_t r;
    parse_once(NULL, b, 65537, &r);
    assert_int_equal(r.st, RESP_DONE);
    assert_int_equal(r.argc, 1);
    assert_int_equal(r.lens[0], 65536);
    assert_int_equal(r.consumed, 65537);
    result_free(&r);
    b[65536] = '\r';
    b[65537] = '\n';
    /* line end at 65537: byte by byte Redis errors first, so we always do */
    expect_error(NULL, b, 65538, "too big inline request");
    free(b);

    /* the header may end with its '\r' exactly at the limit */
    lim = def;
    lim.max_inline = 8;
    expect_need_more(&lim, S("*1234567\r"));
    result_t r2;
    parse_once(&lim, S("*0000000\r\n"), &r2);
    assert_int_equal(r2.st, RESP_ERROR);
    assert_string_equal(r2.err, "invalid multibulk length");
    result_free(&r2);
    expect_error(&lim, S("*12345678\r\n"), "too big mbulk count string");
}

/* The header "*N" alone must not allocate N slots; slots grow with the
 * arguments that actually arrive. */
static void test_arg_growth(void **state)
{
    resp_parser_t p;
    resp_parser_init(&p, NULL);
    char hdr[] = "*1048576\r\n";
    assert_int_equal(resp_parse(&p, hdr, sizeof(hdr) - 1), RESP_NEED_MORE);
    assert_true(p.argcap <= 1024);
    resp_parser_free(&p);

    int n = 5000;
    size_t cap = 16 + (size_t)n * 7;
    char *b = malloc(cap);
    size_t len = (size_t)snprintf(b, cap, "*%d\r\n", n);
    for (int i = 0; i < n; i++) {
        memcpy(b + len, "$1\r\nx\r\n", 7);
        b[len + 4] = (char)('a' + i % 26);
        len += 7;
    }
    resp_parser_init(&p, NULL);
    assert_int_equal(resp_parse(&p, b, len), RESP_DONE);
    assert_int_equal(p.argc, n);
    assert_true(p.argcap >= n);
    for (int i = 0; i < n; i++) {
        assert_int_equal(p.arglen[i], 1);
        assert_int_equal(b[p.argoff[i]], 'a' + i % 26);
    }
    assert_int_equal(p.consumed, len);

    /* and the arrays are reused: a second parse does not shrink them */
    int cap_before = p.argcap;
    size_t *off_before = p.argoff;
    assert_int_equal(resp_parse(&p, b, len), RESP_DONE);
    assert_int_equal(p.argcap, cap_before);
    assert_ptr_equal(p.argoff, off_before);
    resp_parser_free(&p);
    free(b);

    /* many inline tokens */
    char line[600];
    size_t l = 0;
    for (int i = 0; i < 200; i++) {
        line[l++] = (char)('a' + i % 26);
        line[l++] = ' ';
    }
    line[l++] = '\n';
    resp_parser_init(&p, NULL);
    assert_int_equal(resp_parse(&p, line, l), RESP_DONE);
    assert_int_equal(p.argc, 200);
    assert_int_equal(line[p.argoff[199]], 'a' + 199 % 26);
    resp_parser_free(&p);
}

/* A big payload arriving in pieces: the parser keeps its place after the
 * header and does not look at the payload until all of it is there. */
static void test_big_bulk_incremental(void **state)
{
    size_t plen = 10 * 1000 * 1000;
    char hdr[] = "*2\r\n$3\r\nSET\r\n$10000000\r\n";
    size_t hlen = sizeof(hdr) - 1, len = hlen + plen + 2;
    char *b = malloc(len);
    memcpy(b, hdr, hlen);
    memset(b + hlen, 'v', plen);
    b[hlen + plen / 2] = '\r';
    b[hlen + plen / 2 + 1] = '\n';
    memcpy(b + hlen + plen, "\r\n", 2);

    resp_parser_t p;
    resp_parser_init(&p, NULL);
    size_t have;
    for (have = hlen; have < len; have += 65536) {
        assert_int_equal(resp_parse(&p, b, have), RESP_NEED_MORE);
        assert_int_equal(p.pos, hlen);
        assert_int_equal(p.bulklen, (long long)plen);
        assert_int_equal(p.argc, 1);
    }
    assert_int_equal(resp_parse(&p, b, len), RESP_DONE);
    assert_int_equal(p.argc, 2);
    assert_int_equal(p.argoff[1], hlen);
    assert_int_equal(p.arglen[1], plen);
    assert_int_equal(p.consumed, len);
    resp_parser_free(&p);
    free(b);
}

static void test_inline_quoting(void **state)
{
    const char *a1[] = {"ECHO", "aA\n"};
    expect_args(S("ECHO \"a\\x41\\n\"\r\n"), 2, a1, NULL);
    const char *a2[] = {"ECHO", "a\vb"};
    expect_args(S("ECHO a\vb\r\n"), 2, a2, NULL);
    const char *a3[] = {"ECHO", "ab"};
    expect_args(S("ECHO \vab\r\n"), 2, a3, NULL);
    const char *a4[] = {"ECHO", "it's"};
    expect_args(S("ECHO 'it\\'s'\r\n"), 2, a4, NULL);
    const char *a5[] = {"ECHO", "ab c"};
    expect_args(S("ECHO a\"b c\"\r\n"), 2, a5, NULL);
    const char *a6[] = {"ECHO", "a", "b"};
    expect_args(S("ECHO a\rb\n"), 3, a6, NULL);
    const char *a7[] = {"ECHO", "a"};
    expect_args(S("ECHO a\r\r\n"), 2, a7, NULL);
    const char *a8[] = {"ECHO", "\""};
    expect_args(S("ECHO \"\\\"\"\r\n"), 2, a8, NULL);
    const char *a9[] = {"ECHO", "axZZ"};
    expect_args(S("ECHO \"a\\xZZ\"\r\n"), 2, a9, NULL);
    const char *a10[] = {"ECHO", "a"};
    expect_args(S("ECHO \"a\"\v\r\n"), 2, a10, NULL);
    const char *a11[] = {"ECHO", "x4"};
    expect_args(S("ECHO \"\\x4\"\r\n"), 2, a11, NULL);
    const char *a12[] = {"ECHO", "a\\nb"};
    expect_args(S("ECHO 'a\\nb'\r\n"), 2, a12, NULL);
    const char *a13[] = {"ECHO", ""};
    expect_args(S("ECHO \"\"\r\n"), 2, a13, NULL);
    const char *a14[] = {"SET", "a", "b"};
    expect_args(S("SET a\tb\r\n"), 3, a14, NULL);
    const char *a15[] = {"X", "\t\r\b\a\\\"q", "\xff\x00z"};
    size_t l15[] = {1, 7, 3};
    expect_args(S("X \"\\t\\r\\b\\a\\\\\\\"\\q\" \"\\xfF\\x00z\"\n"), 3, a15, l15);
    const char *a16[] = {"ab", "c d", "e"};
    expect_args(S("  ab  'c d'\t\te \r\n"), 3, a16, NULL);
    const char *a17[] = {"a'b"};
    expect_args(S("'a\\'b'\n"), 1, a17, NULL);
    const char *a18[] = {"\"a", "b"};
    expect_args(S("'\"a' b\n"), 2, a18, NULL);
    expect_error(NULL, S("'x\\'\n"), "unbalanced quotes in request");
    const char *a20[] = {"a\fb\f", "c"}; /* \f skipped before a token, kept inside */
    expect_args(S("\fa\fb\f c\n"), 2, a20, NULL);
    const char *a21[] = {"", ""};
    expect_args(S("'' \"\"\n"), 2, a21, NULL);
}

/* Quoted arguments are unescaped in place: the buffer is rewritten, and the
 * offsets point into it. */
static void test_inline_in_place(void **state)
{
    char buf[] = "SET \"k\\x31\" 'v 2'\r\n";
    resp_parser_t p;
    resp_parser_init(&p, NULL);
    assert_int_equal(resp_parse(&p, buf, sizeof(buf) - 1), RESP_DONE);
    assert_int_equal(p.argc, 3);
    assert_int_equal(p.argoff[0], 0);
    assert_int_equal(p.argoff[1], 4);
    assert_int_equal(p.arglen[1], 2);
    assert_memory_equal(buf + 4, "k1", 2);
    assert_int_equal(p.argoff[2], 12);
    assert_int_equal(p.arglen[2], 3);
    assert_memory_equal(buf + 12, "v 2", 3);
    assert_int_equal(p.consumed, sizeof(buf) - 1);
    resp_parser_free(&p);
}

static void test_reset(void **state)
{
    resp_parser_t p;
    resp_parser_init(&p, NULL);
    char part[] = "*2\r\n$3\r\nGET\r\n$5\r\nab";
    assert_int_equal(resp_parse(&p, part, sizeof(part) - 1), RESP_NEED_MORE);
    assert_int_equal(p.argc, 1);
    resp_parser_reset(&p);
    char next[] = "PING\r\n";
    assert_int_equal(resp_parse(&p, next, sizeof(next) - 1), RESP_DONE);
    assert_int_equal(p.argc, 1);
    assert_int_equal(p.arglen[0], 4);

    /* after an error the parser starts afresh too */
    char bad[] = "*1\r\n$x\r\n";
    assert_int_equal(resp_parse(&p, bad, sizeof(bad) - 1), RESP_ERROR);
    assert_string_equal(p.err, "invalid bulk length");
    assert_int_equal(resp_parse(&p, next, sizeof(next) - 1), RESP_DONE);
    resp_parser_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multibulk_basic),
        cmocka_unit_test(test_multibulk_binary),
        cmocka_unit_test(test_every_split_point),
        cmocka_unit_test(test_pipeline),
        cmocka_unit_test(test_empty_requests),
        cmocka_unit_test(test_multibulk_errors),
        cmocka_unit_test(test_bulk_errors),
        cmocka_unit_test(test_inline_errors),
        cmocka_unit_test(test_incomplete),
        cmocka_unit_test(test_unchecked_line_ends),
        cmocka_unit_test(test_nul_hides_line_end),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_arg_growth),
        cmocka_unit_test(test_big_bulk_incremental),
        cmocka_unit_test(test_inline_quoting),
        cmocka_unit_test(test_inline_in_place),
        cmocka_unit_test(test_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
