/* Unit tests for src/storage/store.c in a temporary directory (removed at
 * teardown), part one: crc32c, opening and reopening the store (and its
 * failures), the raft log through the store's calls (append, get, bounds,
 * truncation, compaction, damage found at open and at read, an empty entry
 * given as NULL) and the hard state. The log's own format, recovery and
 * concurrency are tested in test_wal.c; transactions, iterators, range
 * deletion and the cache in test_store_txn.c; the shared fixture (small log
 * segments) is tests/support/storetest.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage/store.h"
#include "support/storetest.h"
#include "util/crc32c.h"

/* ---- crc32c --------------------------------------------------------------- */

static uint32_t crc32c_bitwise(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    }
    return ~c;
}

static void test_crc32c(void **state)
{
    (void)state;
    assert_int_equal(crc32c(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(crc32c(0, "", 0), 0);
    /* RFC 3720 B.4: 32 bytes of zeros, of 0xff */
    unsigned char b32[32];
    memset(b32, 0, sizeof(b32));
    assert_int_equal(crc32c(0, b32, 32), 0x8A9136AAu);
    memset(b32, 0xff, sizeof(b32));
    assert_int_equal(crc32c(0, b32, 32), 0x62A8AB43u);
    /* every length and alignment against a bit-at-a-time reference, and
     * extending in two pieces equals one pass */
    unsigned char buf[300];
    for (size_t i = 0; i < sizeof(buf); i++) buf[i] = (unsigned char)rnd();
    for (size_t off = 0; off < 8; off++) {
        for (size_t n = 0; n + off <= 140; n++) {
            uint32_t want = crc32c_bitwise(buf + off, n);
            assert_int_equal(crc32c(0, buf + off, n), want);
            size_t cut = n ? (size_t)(rnd() % (n + 1)) : 0;
            assert_int_equal(crc32c(crc32c(0, buf + off, cut), buf + off + cut, n - cut), want);
        }
    }
}

/* ---- open / close ---------------------------------------------------------- */

static void test_open_reopen(void **state)
{
    fx_t *f = *state;
    store_txn_t *t = store_txn_begin(f->s, true);
    tput(t, CF_DATA, "mkey", "data value");
    tput(t, CF_META, "applied", "12345678");
    commit(t);
    store_entry_t e = {.index = 1, .term = 2, .data = "entry", .len = 5};
    char err[256] = "";
    assert_int_equal(store_log_append(f->s, &e, 1, true, err, sizeof(err)), 0);
    assert_int_equal(store_meta_put_u64(f->s, "term", 9, true), 0);

    reopen(f);
    store_txn_t *r = store_txn_begin(f->s, false);
    expect_get(r, CF_DATA, "mkey", "data value");
    expect_get(r, CF_META, "applied", "12345678");
    expect_get(r, CF_DATA, "applied", NULL); /* column families are separate */
    expect_get(r, CF_META, "mkey", NULL);
    store_txn_abort(r);
    store_entry_t got;
    assert_int_equal(store_log_get(f->s, 1, &got, err, sizeof(err)), 0);
    assert_int_equal(got.len, 5);
    assert_memory_equal(got.data, "entry", 5);
    free((void *)got.data);
    assert_true(store_meta_get_u64(f->s, "term", 0) == 9);
    assert_int_equal(access(f->dir, F_OK), 0);

    /* the directory holds the log's segments and the state machine */
    char p[128];
    snprintf(p, sizeof(p), "%s/wal/0000000000000001.wal", f->dir);
    assert_int_equal(access(p, F_OK), 0);
    snprintf(p, sizeof(p), "%s/sm/CURRENT", f->dir);
    assert_int_equal(access(p, F_OK), 0);
    snprintf(p, sizeof(p), "%s/log", f->dir);
    assert_int_not_equal(access(p, F_OK), 0);
}

static void test_open_failures(void **state)
{
    fx_t *f = *state;
    char err[256] = "";
    /* the same directory twice: the log's lock refuses the second */
    store_t *s2 = store_open(f->dir, err, sizeof(err));
    assert_null(s2);
    assert_non_null(strstr(err, "already open"));

    /* the log opens but the state machine cannot: everything is released */
    char dir2[80], p[128];
    snprintf(dir2, sizeof(dir2), "%s/other", f->dir);
    assert_int_equal(mkdir(dir2, 0700), 0);
    snprintf(p, sizeof(p), "%s/sm", dir2);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fclose(fp);
    err[0] = '\0';
    s2 = store_open(dir2, err, sizeof(err));
    assert_null(s2);
    assert_non_null(strstr(err, "state machine"));
    /* and the log is not left locked */
    assert_int_equal(remove(p), 0);
    s2 = open_store(dir2);
    store_close(s2);

    /* a directory with the raft log of an older version (RocksDB in log/) */
    snprintf(dir2, sizeof(dir2), "%s/old", f->dir);
    assert_int_equal(mkdir(dir2, 0700), 0);
    snprintf(p, sizeof(p), "%s/log", dir2);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof(p), "%s/log/CURRENT", dir2);
    fp = fopen(p, "w");
    fclose(fp);
    err[0] = '\0';
    assert_null(store_open(dir2, err, sizeof(err)));
    assert_non_null(strstr(err, "old RocksDB format"));

    /* a path below a regular file */
    snprintf(p, sizeof(p), "%s/file", f->dir);
    fp = fopen(p, "w");
    fclose(fp);
    snprintf(dir2, sizeof(dir2), "%s/file/sub", f->dir);
    err[0] = '\0';
    assert_null(store_open(dir2, err, sizeof(err)));
    assert_true(strlen(err) > 0);
}

/* ---- the log -------------------------------------------------------------- */

/* Entry i's bytes: a length and contents that depend on i (some empty, some
 * with NULs, some several KB). */
static size_t entry_bytes(uint64_t i, char *buf, size_t cap)
{
    size_t n = (i % 97 == 0) ? 0 : (i % 13 == 0) ? 3000 + i : (size_t)(i % 50) + 1;
    if (n > cap) n = cap;
    for (size_t k = 0; k < n; k++) buf[k] = (char)(i * 31 + k * 7);
    return n;
}

static uint64_t term_of(uint64_t i)
{
    return 1 + i / 100;
}

static void append_range(store_t *s, uint64_t from, uint64_t to, uint64_t term_bump, int batch)
{
    store_entry_t *es = calloc((size_t)batch, sizeof(*es));
    char **bufs = calloc((size_t)batch, sizeof(char *));
    for (int b = 0; b < batch; b++) bufs[b] = malloc(8192);
    char err[256] = "";
    for (uint64_t i = from; i <= to;) {
        int n = 0;
        for (; n < batch && i <= to; n++, i++) {
            es[n].index = i;
            es[n].term = term_of(i) + term_bump;
            es[n].len = entry_bytes(i + term_bump, bufs[n], 8192);
            es[n].data = bufs[n];
        }
        if (store_log_append(s, es, n, (i / (uint64_t)batch) % 2 == 0, err, sizeof(err)) != 0)
            fail_msg("append: %s", err);
    }
    for (int b = 0; b < batch; b++) free(bufs[b]);
    free(bufs);
    free(es);
}

static void expect_entry(store_t *s, uint64_t i, uint64_t term_bump)
{
    char err[256] = "", want[8192];
    store_entry_t e;
    int rc = store_log_get(s, i, &e, err, sizeof(err));
    if (rc != 0) fail_msg("log get %llu: rc %d %s", (unsigned long long)i, rc, err);
    size_t n = entry_bytes(i + term_bump, want, sizeof(want));
    assert_true(e.index == i);
    assert_true(e.term == term_of(i) + term_bump);
    assert_int_equal(e.len, n);
    assert_non_null(e.data);
    assert_memory_equal(e.data, want, n);
    free((void *)e.data);
}

static void expect_bounds(store_t *s, uint64_t first, uint64_t last)
{
    uint64_t a = 7, b = 7;
    store_log_bounds(s, &a, &b);
    if (a != first || b != last)
        fail_msg("bounds %llu..%llu, want %llu..%llu", (unsigned long long)a, (unsigned long long)b,
                 (unsigned long long)first, (unsigned long long)last);
}

static void test_log_append_get_bounds(void **state)
{
    fx_t *f = *state;
    char err[256] = "";
    store_entry_t e;
    expect_bounds(f->s, 0, 0);
    assert_int_equal(store_log_get(f->s, 1, &e, err, sizeof(err)), 1);

    append_range(f->s, 1, 1000, 0, 64);
    expect_bounds(f->s, 1, 1000);
    for (uint64_t i = 1; i <= 1000; i++) expect_entry(f->s, i, 0);
    assert_int_equal(store_log_get(f->s, 0, &e, err, sizeof(err)), 1);
    assert_int_equal(store_log_get(f->s, 1001, &e, err, sizeof(err)), 1);
    assert_int_equal(store_log_get(f->s, UINT64_MAX, &e, err, sizeof(err)), 1);
    append_range(f->s, 1001, 1001, 0, 1);
    expect_bounds(f->s, 1, 1001);
    /* a raft log has no holes */
    store_entry_t gap = {.index = 1003, .term = 1, .data = "g", .len = 1};
    assert_int_equal(store_log_append(f->s, &gap, 1, true, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "gap"));

    /* an append over existing indexes replaces them */
    append_range(f->s, 990, 1001, 5, 7);
    for (uint64_t i = 980; i < 990; i++) expect_entry(f->s, i, 0);
    for (uint64_t i = 990; i <= 1001; i++) expect_entry(f->s, i, 5);

    /* everything survives a reopen */
    reopen(f);
    expect_bounds(f->s, 1, 1001);
    for (uint64_t i = 1; i < 990; i += 7) expect_entry(f->s, i, 0);
    expect_entry(f->s, 1001, 5);
    assert_true(store_log_size(f->s) > 1000 * 28);
}

static void test_log_truncate_suffix(void **state)
{
    fx_t *f = *state;
    char err[256] = "";
    store_entry_t e;
    append_range(f->s, 1, 1000, 0, 100);
    assert_int_equal(store_log_truncate_suffix(f->s, 501, err, sizeof(err)), 0);
    expect_bounds(f->s, 1, 500);
    expect_entry(f->s, 500, 0);
    for (uint64_t i = 501; i <= 1000; i += 37) assert_int_equal(store_log_get(f->s, i, &e, err, sizeof(err)), 1);
    assert_int_equal(store_log_get(f->s, 1000, &e, err, sizeof(err)), 1);

    /* a follower's new suffix after the truncation */
    append_range(f->s, 501, 600, 3, 50);
    expect_bounds(f->s, 1, 600);
    expect_entry(f->s, 501, 3);
    expect_entry(f->s, 600, 3);
    expect_entry(f->s, 499, 0);

    /* truncating past the end changes nothing */
    assert_int_equal(store_log_truncate_suffix(f->s, 601, err, sizeof(err)), 0);
    expect_bounds(f->s, 1, 600);
    /* the truncation survives a reopen */
    assert_int_equal(store_log_truncate_suffix(f->s, 551, err, sizeof(err)), 0);
    reopen(f);
    expect_bounds(f->s, 1, 550);
    assert_int_equal(store_log_get(f->s, 551, &e, err, sizeof(err)), 1);

    assert_int_equal(store_log_truncate_suffix(f->s, 100, err, sizeof(err)), 0);
    expect_bounds(f->s, 1, 99);

    /* truncating everything empties the log */
    assert_int_equal(store_log_truncate_suffix(f->s, 1, err, sizeof(err)), 0);
    expect_bounds(f->s, 0, 0);
    /* and a log may start at any index (after a snapshot) */
    append_range(f->s, 70000, 70010, 0, 4);
    expect_bounds(f->s, 70000, 70010);
    expect_entry(f->s, 70005, 0);
}

/* Flips one byte of a log segment file behind the store's back. */
static void flip_segment_byte(const char *dir, uint64_t seq, long off)
{
    char p[160];
    snprintf(p, sizeof(p), "%s/wal/%016llx.wal", dir, (unsigned long long)seq);
    FILE *fp = fopen(p, "r+b");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, off, SEEK_SET), 0);
    int c = fgetc(fp);
    assert_int_equal(fseek(fp, off, SEEK_SET), 0);
    fputc(c ^ 0x01, fp);
    fclose(fp);
}

/* Damage in the middle of the log fails the open with a clear message (the
 * entries behind it were acknowledged); damage found by a read is reported
 * as a checksum error. The torn-tail cases are in test_wal.c. */
static void test_log_checksum_detects_corruption(void **state)
{
    fx_t *f = *state;
    char err[512] = "";
    store_entry_t e;
    for (uint64_t i = 1; i <= 10; i++) {
        char d[40];
        int n = snprintf(d, sizeof(d), "entry number %llu with payload", (unsigned long long)i);
        store_entry_t one = {.index = i, .term = 4, .data = d, .len = (size_t)n};
        assert_int_equal(store_log_append(f->s, &one, 1, true, err, sizeof(err)), 0);
    }
    store_close(f->s);
    f->s = NULL;

    flip_segment_byte(f->dir, 1, 100); /* inside an early record */
    assert_null(store_open(f->dir, err, sizeof(err)));
    assert_non_null(strstr(err, "corrupt"));
    flip_segment_byte(f->dir, 1, 100);
    f->s = open_store(f->dir);
    expect_bounds(f->s, 1, 10);

    /* damaged while open: the read says so, the neighbours are intact */
    flip_segment_byte(f->dir, 1, 100);
    int bad = 0;
    for (uint64_t i = 1; i <= 10; i++) {
        err[0] = '\0';
        int rc = store_log_get(f->s, i, &e, err, sizeof(err));
        if (rc == 0) {
            free((void *)e.data);
            continue;
        }
        assert_int_equal(rc, -1);
        assert_non_null(strstr(err, "checksum"));
        bad++;
    }
    assert_int_equal(bad, 1);
    assert_int_equal(store_log_get(f->s, 10, &e, err, sizeof(err)), 0);
    assert_true(e.term == 4);
    assert_memory_equal(e.data, "entry number 10 with payload", e.len);
    free((void *)e.data);
    flip_segment_byte(f->dir, 1, 100);
}

/* Compaction through the store: entries up to the index go, whole segments
 * are deleted, the hard state and the rest of the log stay. */
static void test_log_compact(void **state)
{
    fx_t *f = *state;
    char err[256] = "";
    store_entry_t e;
    assert_int_equal(store_meta_put_u64(f->s, "term", 3, true), 0);
    append_range(f->s, 1, 3000, 0, 50);
    uint64_t size = store_log_size(f->s);
    assert_int_equal(store_log_compact(f->s, 2500, err, sizeof(err)), 0);
    expect_bounds(f->s, 2501, 3000);
    assert_int_equal(store_log_get(f->s, 2500, &e, err, sizeof(err)), 1);
    expect_entry(f->s, 2501, 0);
    assert_true(store_log_size(f->s) < size / 2);
    char p[160];
    snprintf(p, sizeof(p), "%s/wal/0000000000000001.wal", f->dir);
    assert_int_not_equal(access(p, F_OK), 0);
    reopen(f);
    expect_bounds(f->s, 2501, 3000);
    expect_entry(f->s, 3000, 0);
    assert_true(store_meta_get_u64(f->s, "term", 0) == 3);
    store_entry_t below = {.index = 2400, .term = 9, .data = "b", .len = 1};
    assert_int_equal(store_log_append(f->s, &below, 1, true, err, sizeof(err)), -1);
}

/* An empty entry given as (NULL, 0) is stored and read back as empty. The
 * append runs in a forked child (on the parent's open store, whose
 * background threads are idle) because the bug it checks for, a memcpy
 * from NULL, makes UBSan end the process: this way the failure is reported
 * and the temp directory still removed. */
static void test_log_empty_entry_null_data(void **state)
{
    fx_t *f = *state;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(20);
        char err[256] = "";
        store_entry_t e = {.index = 1, .term = 3, .data = NULL, .len = 0}, got;
        if (store_log_append(f->s, &e, 1, false, err, sizeof(err)) != 0) _exit(2);
        if (store_log_get(f->s, 1, &got, err, sizeof(err)) != 0) _exit(3);
        _exit(got.len == 0 && got.term == 3 ? 0 : 4);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (WIFSIGNALED(st)) fail_msg("appending (NULL, 0) killed the process with signal %d", WTERMSIG(st));
    if (WEXITSTATUS(st) != 0)
        fail_msg("appending (NULL, 0): exit status %d (1: a sanitizer error, see above; 2: append failed; "
                 "3: get failed; 4: wrong entry read back)",
                 WEXITSTATUS(st));
}

/* ---- hard state ---------------------------------------------------------------- */

static void test_hard_state(void **state)
{
    fx_t *f = *state;
    assert_true(store_meta_get_u64(f->s, "term", 77) == 77);
    assert_true(store_meta_get_u64(f->s, "vote", 0) == 0);
    assert_int_equal(store_meta_put_u64(f->s, "term", 5, true), 0);
    assert_int_equal(store_meta_put_u64(f->s, "vote", 0xFFFFFFFFFFFFFFFEULL, false), 0);
    assert_int_equal(store_meta_put_u64(f->s, "termx", 1, true), 0);
    assert_int_equal(store_meta_put_u64(f->s, "", 1, true), -1); /* names have 1..64 bytes */
    assert_true(store_meta_get_u64(f->s, "term", 0) == 5);
    reopen(f);
    assert_true(store_meta_get_u64(f->s, "term", 0) == 5);
    assert_true(store_meta_get_u64(f->s, "vote", 0) == 0xFFFFFFFFFFFFFFFEULL);
    assert_true(store_meta_get_u64(f->s, "termx", 0) == 1);
    assert_true(store_meta_get_u64(f->s, "ter", 3) == 3);
    assert_int_equal(store_meta_put_u64(f->s, "term", 6, true), 0);
    reopen(f);
    assert_true(store_meta_get_u64(f->s, "term", 0) == 6);
    /* the hard state is not in the state machine's meta CF */
    store_txn_t *r = store_txn_begin(f->s, false);
    expect_get(r, CF_META, "term", NULL);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, st_setup, st_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c),
        T(test_open_reopen),
        T(test_open_failures),
        T(test_log_append_get_bounds),
        T(test_log_truncate_suffix),
        T(test_log_checksum_detects_corruption),
        T(test_log_compact),
        T(test_hard_state),
        T(test_log_empty_entry_null_data),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
