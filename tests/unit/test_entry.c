/* Unit tests for src/node/entry.c, the log entry payload:
 *   [u8 type][u64 BE time_ms][u32 BE ncmds] ncmds x ([u32 BE argc] argc x ([u32 BE len][bytes]))
 * Built with entry_begin/add_cmd/end and with the streaming
 * entry_cmd_start/arg/end, decoded back byte for byte; every truncation of
 * a valid entry and hand-made malformed entries must be rejected (or give a
 * clean prefix of the commands) without reading past the end. Inputs are
 * copied into exact-size heap buffers so ASan sees any over-read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/entry.h"
#include "storage/encoding.h"

typedef struct {
    int argc;
    const char *argv[8];
    size_t len[8];
} cmd_t;

typedef struct {
    const char **argv;
    size_t *argvlen;
    int cap;
} args_t;

static void args_free(args_t *a)
{
    free(a->argv);
    free(a->argvlen);
    memset(a, 0, sizeof(*a));
}

static char *dup_exact(const char *p, size_t n)
{
    char *b = malloc(n ? n : 1);
    if (n) memcpy(b, p, n);
    return b;
}

/* Decodes buf (copied to an exact-size buffer) and checks it holds exactly
 * the given commands. */
static void expect_entry(const char *buf, size_t len, entry_type_t type, int64_t time_ms, const cmd_t *cmds,
                         uint32_t ncmds)
{
    char *b = dup_exact(buf, len);
    entry_view_t v;
    args_t a = {0};
    assert_int_equal(entry_decode(&v, b, len), 0);
    assert_int_equal(v.type, type);
    assert_true(v.time_ms == time_ms);
    assert_int_equal(v.ncmds, ncmds);
    for (uint32_t i = 0; i < ncmds; i++) {
        int argc = entry_next_cmd(&v, &a.argv, &a.argvlen, &a.cap);
        assert_int_equal(argc, cmds[i].argc);
        assert_true(a.cap >= argc);
        for (int j = 0; j < argc; j++) {
            assert_int_equal(a.argvlen[j], cmds[i].len[j]);
            assert_memory_equal(a.argv[j], cmds[i].argv[j], cmds[i].len[j]);
            assert_true(a.argv[j] >= b && a.argv[j] + a.argvlen[j] <= b + len); /* a view into buf */
        }
    }
    assert_int_equal(entry_next_cmd(&v, &a.argv, &a.argvlen, &a.cap), 0);
    assert_int_equal(entry_next_cmd(&v, &a.argv, &a.argvlen, &a.cap), 0); /* stays at the end */
    args_free(&a);
    free(b);
}

static void test_exact_bytes(void **state)
{
    (void)state;
    entry_buf_t e = {0};
    const char *argv[] = {"SET", "k", "vv"};
    const size_t lens[] = {3, 1, 2};
    entry_begin(&e, ENTRY_CMD, 0x0102030405060708LL);
    entry_add_cmd(&e, 3, argv, lens);
    entry_end(&e);
    static const char want[] = "\x01"
                               "\x01\x02\x03\x04\x05\x06\x07\x08"
                               "\x00\x00\x00\x01"
                               "\x00\x00\x00\x03"
                               "\x00\x00\x00\x03SET"
                               "\x00\x00\x00\x01k"
                               "\x00\x00\x00\x02vv";
    assert_int_equal(e.len, sizeof(want) - 1);
    assert_memory_equal(e.buf, want, e.len);
    entry_buf_free(&e);
    assert_null(e.buf);
    assert_int_equal(e.len, 0);

    /* a NOOP entry is only the header, with zero commands */
    entry_begin(&e, ENTRY_NOOP, 5);
    entry_end(&e);
    assert_int_equal(e.len, 13);
    assert_memory_equal(e.buf, "\0\0\0\0\0\0\0\0\x05\0\0\0\0", 13);
    expect_entry(e.buf, e.len, ENTRY_NOOP, 5, NULL, 0);
    entry_buf_free(&e);
}

static void test_round_trip(void **state)
{
    (void)state;
    entry_buf_t e = {0};
    const cmd_t cmds[] = {
        {3, {"SET", "key", "value"}, {3, 3, 5}},
        {3, {"SET", "bin\0key", "\0\xff\0"}, {3, 7, 3}},      /* NULs and high bytes */
        {4, {"MSET", "", "", "x"}, {4, 0, 0, 1}},             /* empty arguments */
        {1, {"PING"}, {4}},
        {2, {"\0", "\r\n$3\r\n"}, {1, 6}},
    };
    const uint32_t n = sizeof(cmds) / sizeof(cmds[0]);
    const int64_t times[] = {0, 1700000000000LL, -1, INT64_MAX, INT64_MIN};
    for (size_t t = 0; t < sizeof(times) / sizeof(times[0]); t++) {
        entry_begin(&e, ENTRY_MULTI, times[t]); /* the buffer is reused */
        for (uint32_t i = 0; i < n; i++) entry_add_cmd(&e, cmds[i].argc, cmds[i].argv, cmds[i].len);
        entry_end(&e);
        expect_entry(e.buf, e.len, ENTRY_MULTI, times[t], cmds, n);

        entry_begin(&e, ENTRY_CMD, times[t]);
        entry_add_cmd(&e, cmds[1].argc, cmds[1].argv, cmds[1].len);
        entry_end(&e);
        expect_entry(e.buf, e.len, ENTRY_CMD, times[t], &cmds[1], 1);
    }
    entry_buf_free(&e);
}

/* The streaming builder writes the same bytes as entry_add_cmd, also mixed
 * with it in one entry and across buffer growth. */
static void test_streaming_equals_add(void **state)
{
    (void)state;
    entry_buf_t a = {0}, s = {0};
    char big[1000];
    for (size_t i = 0; i < sizeof(big); i++) big[i] = (char)(i * 31);
    const cmd_t cmds[] = {
        {3, {"SET", "k", big}, {3, 1, sizeof(big)}},
        {2, {"DEL", ""}, {3, 0}},
        {5, {"__expire", "a", "b\0", big, "c"}, {8, 1, 2, 300, 1}},
    };
    entry_begin(&a, ENTRY_MULTI, 99);
    entry_begin(&s, ENTRY_MULTI, 99);
    for (int i = 0; i < 3; i++) {
        entry_add_cmd(&a, cmds[i].argc, cmds[i].argv, cmds[i].len);
        if (i == 1) {
            entry_add_cmd(&s, cmds[i].argc, cmds[i].argv, cmds[i].len);
            continue;
        }
        entry_cmd_start(&s);
        for (int j = 0; j < cmds[i].argc; j++) entry_cmd_arg(&s, cmds[i].argv[j], cmds[i].len[j]);
        entry_cmd_end(&s);
    }
    entry_end(&a);
    entry_end(&s);
    assert_int_equal(a.len, s.len);
    assert_memory_equal(a.buf, s.buf, a.len);
    assert_int_equal(s.ncmds, 3);
    expect_entry(s.buf, s.len, ENTRY_MULTI, 99, cmds, 3);

    /* a streamed command with many keys, as the expiry cycle builds it */
    enum { NKEYS = 5000 };
    static char keys[NKEYS][12];
    entry_begin(&s, ENTRY_CMD, 7);
    entry_cmd_start(&s);
    entry_cmd_arg(&s, "__expire", 8);
    for (int i = 0; i < NKEYS; i++) {
        int kl = snprintf(keys[i], sizeof(keys[i]), "k%d", i);
        entry_cmd_arg(&s, keys[i], (size_t)kl);
    }
    entry_cmd_end(&s);
    entry_end(&s);
    entry_view_t v;
    args_t args = {0};
    char *b = dup_exact(s.buf, s.len);
    assert_int_equal(entry_decode(&v, b, s.len), 0);
    assert_int_equal(v.ncmds, 1);
    assert_int_equal(entry_next_cmd(&v, &args.argv, &args.argvlen, &args.cap), NKEYS + 1);
    assert_true(args.cap >= NKEYS + 1);
    assert_memory_equal(args.argv[0], "__expire", 8);
    for (int i = 0; i < NKEYS; i++) {
        assert_int_equal(args.argvlen[i + 1], strlen(keys[i]));
        assert_memory_equal(args.argv[i + 1], keys[i], strlen(keys[i]));
    }
    assert_int_equal(entry_next_cmd(&v, &args.argv, &args.argvlen, &args.cap), 0);
    free(b);
    args_free(&args);
    entry_buf_free(&a);
    entry_buf_free(&s);
}

/* argv arrays grow as needed: a small command, then one with many args. */
static void test_many_args(void **state)
{
    (void)state;
    enum { N = 3000 };
    const char **argv = malloc(sizeof(char *) * N);
    size_t *lens = malloc(sizeof(size_t) * N);
    char *store = malloc(N * 8);
    for (int i = 0; i < N; i++) {
        lens[i] = (size_t)(i % 8);
        memset(store + i * 8, 'a' + i % 26, 8);
        argv[i] = store + i * 8;
    }
    entry_buf_t e = {0};
    entry_begin(&e, ENTRY_MULTI, 1);
    const char *small[] = {"GET", "x"};
    const size_t smalll[] = {3, 1};
    entry_add_cmd(&e, 2, small, smalll);
    entry_add_cmd(&e, N, argv, lens);
    entry_add_cmd(&e, 2, small, smalll);
    entry_end(&e);

    char *b = dup_exact(e.buf, e.len);
    entry_view_t v;
    args_t a = {0};
    a.cap = 1; /* smaller than the first command: grows at once */
    a.argv = malloc(sizeof(char *));
    a.argvlen = malloc(sizeof(size_t));
    assert_int_equal(entry_decode(&v, b, e.len), 0);
    assert_int_equal(entry_next_cmd(&v, &a.argv, &a.argvlen, &a.cap), 2);
    assert_int_equal(entry_next_cmd(&v, &a.argv, &a.argvlen, &a.cap), N);
    assert_true(a.cap >= N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(a.argvlen[i], lens[i]);
        assert_memory_equal(a.argv[i], argv[i], lens[i]);
    }
    assert_int_equal(entry_next_cmd(&v, &a.argv, &a.argvlen, &a.cap), 2);
    assert_memory_equal(a.argv[0], "GET", 3);
    assert_int_equal(entry_next_cmd(&v, &a.argv, &a.argvlen, &a.cap), 0);
    args_free(&a);
    free(b);
    entry_buf_free(&e);
    free(argv);
    free(lens);
    free(store);
}

/* Every truncation of a valid entry is rejected, or (when it ends exactly at
 * a command boundary) is a clean prefix of the commands; no read past the
 * end (each prefix is in its own exact-size buffer). */
static void test_every_truncation(void **state)
{
    (void)state;
    const cmd_t cmds[] = {
        {3, {"SET", "k\0", "v"}, {3, 2, 1}},
        {1, {""}, {0}},
        {2, {"GET", "\xff\xff\xff\xff"}, {3, 4}},
        {4, {"A", "", "BB", ""}, {1, 0, 2, 0}},
    };
    const int n = 4;
    entry_buf_t e = {0};
    entry_begin(&e, ENTRY_MULTI, 123456789);
    size_t boundary[5];
    boundary[0] = e.len;
    for (int i = 0; i < n; i++) {
        entry_add_cmd(&e, cmds[i].argc, cmds[i].argv, cmds[i].len);
        boundary[i + 1] = e.len;
    }
    entry_end(&e);
    /* every strict truncation is refused as a whole, before anything of it
     * could be applied; the whole entry decodes to exactly its commands */
    for (size_t len = 0; len < e.len; len++) {
        char *b = dup_exact(e.buf, len);
        entry_view_t v;
        assert_int_equal(entry_decode(&v, b, len), -1);
        free(b);
    }
    char *b = dup_exact(e.buf, e.len);
    entry_view_t v;
    assert_int_equal(entry_decode(&v, b, e.len), 0);
    assert_int_equal(v.type, ENTRY_MULTI);
    assert_true(v.time_ms == 123456789);
    args_t a = {0};
    int got = 0, rc;
    while ((rc = entry_next_cmd(&v, &a.argv, &a.argvlen, &a.cap)) > 0) {
        assert_true(got < n);
        assert_int_equal(rc, cmds[got].argc);
        for (int j = 0; j < rc; j++) {
            assert_int_equal(a.argvlen[j], cmds[got].len[j]);
            assert_memory_equal(a.argv[j], cmds[got].argv[j], a.argvlen[j]);
        }
        got++;
        assert_true((size_t)(v.p - b) == boundary[got]);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(got, n);
    args_free(&a);
    free(b);
    entry_buf_free(&e);
}

/* Builds an entry by hand from a list of u32 words and raw bytes. */
typedef struct {
    char b[256];
    size_t n;
} raw_t;

static void raw_hdr(raw_t *r, int type, uint32_t ncmds)
{
    r->n = 0;
    r->b[r->n++] = (char)type;
    enc_put_u64(r->b + r->n, 1000);
    r->n += 8;
    enc_put_u32(r->b + r->n, ncmds);
    r->n += 4;
}

static void raw_u32(raw_t *r, uint32_t v)
{
    enc_put_u32(r->b + r->n, v);
    r->n += 4;
}

static void raw_bytes(raw_t *r, const char *p, size_t n)
{
    memcpy(r->b + r->n, p, n);
    r->n += n;
}

/* Decodes r; returns the result of the first entry_next_cmd. */
static int first_cmd(const raw_t *r, int *cap_after)
{
    char *b = dup_exact(r->b, r->n);
    entry_view_t v;
    args_t a = {0};
    int rc = entry_decode(&v, b, r->n);
    if (rc == 0) rc = entry_next_cmd(&v, &a.argv, &a.argvlen, &a.cap);
    else rc = -2;
    if (cap_after) *cap_after = a.cap;
    args_free(&a);
    free(b);
    return rc;
}

static void test_malformed(void **state)
{
    (void)state;
    raw_t r;
    int cap;

    /* sanity: the hand-built form of a good command */
    raw_hdr(&r, ENTRY_CMD, 1);
    raw_u32(&r, 1);
    raw_u32(&r, 4);
    raw_bytes(&r, "PING", 4);
    assert_int_equal(first_cmd(&r, NULL), 1);

    /* unknown entry types */
    for (int t = 3; t < 256; t += 84) {
        raw_hdr(&r, t, 1);
        raw_u32(&r, 1);
        raw_u32(&r, 0);
        assert_int_equal(first_cmd(&r, NULL), -2);
    }
    raw_hdr(&r, 0xff, 0);
    assert_int_equal(first_cmd(&r, NULL), -2);

    /* argc 0: hand-made and through the builder */
    raw_hdr(&r, ENTRY_CMD, 1);
    raw_u32(&r, 0);
    assert_int_equal(first_cmd(&r, NULL), -2); /* refused by entry_decode */
    raw_u32(&r, 0);
    raw_u32(&r, 0);
    assert_int_equal(first_cmd(&r, NULL), -2); /* refused by entry_decode */
    entry_buf_t e = {0};
    entry_begin(&e, ENTRY_CMD, 1);
    entry_add_cmd(&e, 0, NULL, NULL);
    entry_end(&e);
    {
        char *b = dup_exact(e.buf, e.len);
        entry_view_t v;
        assert_int_equal(entry_decode(&v, b, e.len), -1); /* argc 0 is never valid */
        free(b);
    }
    entry_buf_free(&e);

    /* absurd argc: rejected before any allocation sized by it */
    const uint32_t big_argc[] = {0xFFFFFFFFu, 0x80000000u, 0x7FFFFFFFu, 0x40000000u, 1000000u, 3u};
    for (size_t i = 0; i < sizeof(big_argc) / sizeof(big_argc[0]); i++) {
        raw_hdr(&r, ENTRY_CMD, 1);
        raw_u32(&r, big_argc[i]);
        raw_u32(&r, 1);
        raw_bytes(&r, "x", 1); /* room for less than 3 arguments */
        assert_int_equal(first_cmd(&r, &cap), -2); /* refused by entry_decode */
        assert_true(cap <= 2);
    }

    /* absurd argument lengths */
    const uint32_t big_len[] = {0xFFFFFFFFu, 0x80000000u, 0x7FFFFFFFu, 0x10000u, 5u};
    for (size_t i = 0; i < sizeof(big_len) / sizeof(big_len[0]); i++) {
        raw_hdr(&r, ENTRY_CMD, 1);
        raw_u32(&r, 1);
        raw_u32(&r, big_len[i]);
        raw_bytes(&r, "abcd", 4); /* one byte short of 5 */
        assert_int_equal(first_cmd(&r, NULL), -2); /* refused by entry_decode */
    }
    /* the second argument's length runs past the end */
    raw_hdr(&r, ENTRY_CMD, 1);
    raw_u32(&r, 2);
    raw_u32(&r, 1);
    raw_bytes(&r, "a", 1);
    raw_u32(&r, 2);
    raw_bytes(&r, "b", 1);
    assert_int_equal(first_cmd(&r, NULL), -2); /* refused by entry_decode */
    /* the second argument's length itself is cut */
    raw_hdr(&r, ENTRY_CMD, 1);
    raw_u32(&r, 2);
    raw_u32(&r, 1);
    raw_bytes(&r, "a", 1);
    raw_bytes(&r, "\0\0\0", 3);
    assert_int_equal(first_cmd(&r, NULL), -2); /* refused by entry_decode */

    /* 1..3 trailing bytes after a good command: the whole entry is refused */
    for (size_t extra = 1; extra <= 3; extra++) {
        raw_hdr(&r, ENTRY_CMD, 1);
        raw_u32(&r, 1);
        raw_u32(&r, 1);
        raw_bytes(&r, "a", 1);
        raw_bytes(&r, "\0\0\0", extra);
        char *b = dup_exact(r.b, r.n);
        entry_view_t v;
        assert_int_equal(entry_decode(&v, b, r.n), -1);
        free(b);
    }
    /* a header announcing more (or fewer) commands than the body holds */
    for (uint32_t announced = 0; announced <= 3; announced += 2) {
        raw_hdr(&r, ENTRY_MULTI, announced);
        raw_u32(&r, 1);
        raw_u32(&r, 1);
        raw_bytes(&r, "a", 1);
        char *b = dup_exact(r.b, r.n);
        entry_view_t v;
        assert_int_equal(entry_decode(&v, b, r.n), -1);
        free(b);
    }

    /* headers shorter than 13 bytes */
    for (size_t len = 0; len < 13; len++) {
        char *b = dup_exact("\x01\0\0\0\0\0\0\0\0\0\0\0\0", len);
        entry_view_t v;
        assert_int_equal(entry_decode(&v, b, len), -1);
        free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_bytes),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_streaming_equals_add),
        cmocka_unit_test(test_many_args),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
