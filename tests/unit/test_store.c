/* Unit tests for src/storage/store.c against real RocksDB instances in a
 * temporary directory (removed at teardown): the raft log (append, get,
 * bounds, truncation, checksums, a corrupted value written behind the
 * store's back), the hard state, state-machine transactions (the overlay,
 * isolation from readers, commit through the committer thread, abort),
 * iterators merging a write txn with the database, range deletion, and the
 * write-through cache (negative entries, tiny budgets, huge values). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <rocksdb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage/encoding.h"
#include "storage/store.h"
#include "util/crc32c.h"

typedef struct {
    char dir[64];
    store_t *s;
} fx_t;

static uint64_t rng_state = 0x853C49E6748FEA9BULL;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_rf(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static store_t *open_store(const char *dir)
{
    char err[256] = "";
    store_t *s = store_open(dir, err, sizeof(err));
    if (!s) fail_msg("store_open(%s): %s", dir, err);
    return s;
}

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/redraft-test-store-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    f->s = open_store(f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    store_close(f->s);
    rm_rf(f->dir);
    free(f);
    return 0;
}

static void reopen(fx_t *f)
{
    store_close(f->s);
    f->s = open_store(f->dir);
}

/* ---- small helpers ------------------------------------------------------- */

static void tput(store_txn_t *t, store_cf_t cf, const char *k, const char *v)
{
    store_put(t, cf, k, strlen(k), v, strlen(v));
}

static void tdel(store_txn_t *t, store_cf_t cf, const char *k)
{
    store_del(t, cf, k, strlen(k));
}

/* Checks store_get(t, cf, k): want NULL means absent. */
#define expect_get(t, cf, k, want) expect_get_at(__FILE__, __LINE__, (t), (cf), (k), (want))
static void expect_get_at(const char *file, int line, store_txn_t *t, store_cf_t cf, const char *k, const char *want)
{
    char *v = NULL;
    size_t vl = 0;
    int rc = store_get(t, cf, k, strlen(k), &v, &vl);
    if (!want) {
        if (rc == 1) {
            char shown[64];
            snprintf(shown, sizeof(shown), "%.*s", (int)(vl < 60 ? vl : 60), v);
            store_free(v);
            fail_msg("%s:%d: %s: expected absent, got '%s' (%zu bytes)", file, line, k, shown, vl);
        }
        if (rc != 0) fail_msg("%s:%d: %s: expected absent, got rc %d", file, line, k, rc);
        return;
    }
    if (rc != 1) fail_msg("%s:%d: %s: expected '%s', got rc %d", file, line, k, want, rc);
    int same = vl == strlen(want) && memcmp(v, want, vl) == 0;
    char shown[64];
    snprintf(shown, sizeof(shown), "%.*s", (int)(vl < 60 ? vl : 60), v);
    store_free(v);
    if (!same) fail_msg("%s:%d: %s: expected '%.60s', got '%s' (%zu bytes)", file, line, k, want, shown, vl);
}

static void commit(store_txn_t *t)
{
    char err[256] = "";
    if (store_txn_commit(t, err, sizeof(err)) != 0) fail_msg("commit: %s", err);
}

static void put_commit(store_t *s, store_cf_t cf, const char *k, const char *v)
{
    store_txn_t *t = store_txn_begin(s, true);
    if (v) tput(t, cf, k, v);
    else tdel(t, cf, k);
    commit(t);
}

static void cache_stats(store_t *s, uint64_t *hits, uint64_t *misses, uint64_t *entries, uint64_t *bytes)
{
    uint64_t h, m, e, b;
    store_cache_stats(s, &h, &m, &e, &b);
    if (hits) *hits = h;
    if (misses) *misses = m;
    if (entries) *entries = e;
    if (bytes) *bytes = b;
}

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

    /* the directory holds the two instances */
    char p[128];
    snprintf(p, sizeof(p), "%s/log/CURRENT", f->dir);
    assert_int_equal(access(p, F_OK), 0);
    snprintf(p, sizeof(p), "%s/sm/CURRENT", f->dir);
    assert_int_equal(access(p, F_OK), 0);
}

static void test_open_failures(void **state)
{
    fx_t *f = *state;
    char err[256] = "";
    /* the same directory twice: RocksDB's lock refuses the second */
    store_t *s2 = store_open(f->dir, err, sizeof(err));
    assert_null(s2);
    assert_true(strlen(err) > 0);

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

    /* indexes sort numerically (big-endian keys): 256 after 255, 1000 last */
    append_range(f->s, 1001, 1001, 0, 1);
    expect_bounds(f->s, 1, 1001);

    /* an append over existing indexes replaces them */
    append_range(f->s, 990, 1001, 5, 7);
    for (uint64_t i = 980; i < 990; i++) expect_entry(f->s, i, 0);
    for (uint64_t i = 990; i <= 1001; i++) expect_entry(f->s, i, 5);

    /* everything survives a reopen */
    reopen(f);
    expect_bounds(f->s, 1, 1001);
    for (uint64_t i = 1; i < 990; i += 7) expect_entry(f->s, i, 0);
    expect_entry(f->s, 1001, 5);
    assert_true(store_approx_size(f->s, CF_LOG) > 0);
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

    /* the largest index is covered too (the range end is exclusive) */
    store_entry_t top = {.index = UINT64_MAX, .term = 1, .data = "t", .len = 1};
    assert_int_equal(store_log_append(f->s, &top, 1, true, err, sizeof(err)), 0);
    expect_bounds(f->s, 1, UINT64_MAX);
    assert_int_equal(store_log_truncate_suffix(f->s, 100, err, sizeof(err)), 0);
    expect_bounds(f->s, 1, 99);
    assert_int_equal(store_log_get(f->s, UINT64_MAX, &e, err, sizeof(err)), 1);

    /* truncating everything empties the log */
    assert_int_equal(store_log_truncate_suffix(f->s, 1, err, sizeof(err)), 0);
    expect_bounds(f->s, 0, 0);
    /* and a log may start at any index (after a snapshot) */
    append_range(f->s, 70000, 70010, 0, 4);
    expect_bounds(f->s, 70000, 70010);
    expect_entry(f->s, 70005, 0);
}

/* Opens <dir>/log with RocksDB's C API, behind the store's back. */
typedef struct {
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_column_family_handle_t *h[3];
} rawlog_t;

static void rawlog_open(rawlog_t *r, const char *dir)
{
    char path[128], *rerr = NULL;
    snprintf(path, sizeof(path), "%s/log", dir);
    r->opts = rocksdb_options_create();
    const char *names[3] = {"default", "log", "raft"};
    const rocksdb_options_t *o[3] = {r->opts, r->opts, r->opts};
    r->db = rocksdb_open_column_families(r->opts, path, 3, names, o, r->h, &rerr);
    if (rerr) fail_msg("raw open: %s", rerr);
}

static void rawlog_close(rawlog_t *r)
{
    for (int i = 0; i < 3; i++) rocksdb_column_family_handle_destroy(r->h[i]);
    rocksdb_close(r->db);
    rocksdb_options_destroy(r->opts);
}

/* Rewrites the stored value of log index i: flip byte `at` (if >= 0), then
 * cut it to newlen bytes (if != (size_t)-1) or append one byte (grow). */
static void rawlog_corrupt(rawlog_t *r, uint64_t i, long at, size_t newlen, int grow)
{
    char key[8], *rerr = NULL;
    size_t vl;
    enc_put_u64(key, i);
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    char *v = rocksdb_get_cf(r->db, ro, r->h[1], key, 8, &vl, &rerr);
    rocksdb_readoptions_destroy(ro);
    assert_null(rerr);
    assert_non_null(v);
    char *nv = malloc(vl + 1);
    memcpy(nv, v, vl);
    rocksdb_free(v);
    if (at >= 0) {
        assert_true((size_t)at < vl);
        nv[at] ^= 0x01;
    }
    if (newlen != (size_t)-1) vl = newlen;
    if (grow) nv[vl++] = 'x';
    rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
    rocksdb_put_cf(r->db, wo, r->h[1], key, 8, nv, vl, &rerr);
    rocksdb_writeoptions_destroy(wo);
    assert_null(rerr);
    free(nv);
}

static void test_log_checksum_detects_corruption(void **state)
{
    fx_t *f = *state;
    char err[256] = "";
    store_entry_t e;
    for (uint64_t i = 1; i <= 10; i++) {
        char d[40];
        int n = snprintf(d, sizeof(d), "entry number %llu with payload", (unsigned long long)i);
        store_entry_t one = {.index = i, .term = 4, .data = d, .len = (size_t)n};
        assert_int_equal(store_log_append(f->s, &one, 1, true, err, sizeof(err)), 0);
    }
    store_close(f->s);
    f->s = NULL;

    rawlog_t r;
    rawlog_open(&r, f->dir);
    rawlog_corrupt(&r, 2, 0, (size_t)-1, 0);  /* the checksum itself */
    rawlog_corrupt(&r, 3, 5, (size_t)-1, 0);  /* the term */
    rawlog_corrupt(&r, 4, 12, (size_t)-1, 0); /* the first data byte */
    rawlog_corrupt(&r, 5, 30, (size_t)-1, 0); /* a later data byte */
    rawlog_corrupt(&r, 6, -1, 11, 0);         /* shorter than crc + term */
    rawlog_corrupt(&r, 7, -1, 0, 0);          /* empty */
    rawlog_corrupt(&r, 8, -1, (size_t)-1, 1); /* one byte appended */
    rawlog_corrupt(&r, 9, -1, 20, 0);         /* data cut short */
    rawlog_close(&r);

    f->s = open_store(f->dir);
    for (uint64_t i = 2; i <= 9; i++) {
        err[0] = '\0';
        int rc = store_log_get(f->s, i, &e, err, sizeof(err));
        if (rc != -1) fail_msg("corrupted entry %llu: rc %d", (unsigned long long)i, rc);
        assert_non_null(strstr(err, "checksum"));
    }
    /* the neighbours are intact */
    assert_int_equal(store_log_get(f->s, 1, &e, err, sizeof(err)), 0);
    assert_memory_equal(e.data, "entry number 1 with payload", e.len);
    free((void *)e.data);
    assert_int_equal(store_log_get(f->s, 10, &e, err, sizeof(err)), 0);
    assert_true(e.term == 4);
    free((void *)e.data);
    expect_bounds(f->s, 1, 10);
}

/* An iterator over the log column family sees the log (the log lives in
 * the log/ instance, not in sm/). */
static void test_log_iterator(void **state)
{
    fx_t *f = *state;
    append_range(f->s, 1, 50, 0, 10);
    store_txn_t *r = store_txn_begin(f->s, false);
    store_iter_t *it = store_iter_new(r, CF_LOG);
    uint64_t want = 1;
    for (store_iter_seek(it, "", 0); store_iter_valid(it); store_iter_next(it), want++) {
        size_t kl, vl;
        const char *k = store_iter_key(it, &kl);
        const char *v = store_iter_value(it, &vl);
        assert_int_equal(kl, 8);
        assert_true(enc_get_u64(k) == want);
        assert_true(vl >= 12);
        assert_int_equal(enc_get_u32(v), crc32c(0, v + 4, vl - 4));
    }
    store_iter_free(it);
    if (want != 51) fail_msg("iterator over CF_LOG saw %llu of 50 entries", (unsigned long long)(want - 1));
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

/* ---- transactions ---------------------------------------------------------------- */

static void test_txn_overlay(void **state)
{
    fx_t *f = *state;
    put_commit(f->s, CF_DATA, "old", "committed");
    store_txn_t *t = store_txn_begin(f->s, true);
    store_txn_t *r = store_txn_begin(f->s, false);
    assert_true(store_txn_is_write(t));
    assert_false(store_txn_is_write(r));

    expect_get(t, CF_DATA, "k", NULL);
    tput(t, CF_DATA, "k", "v1");
    expect_get(t, CF_DATA, "k", "v1");
    tput(t, CF_DATA, "k", "v2 longer");
    expect_get(t, CF_DATA, "k", "v2 longer");
    tdel(t, CF_DATA, "k");
    expect_get(t, CF_DATA, "k", NULL);
    tput(t, CF_DATA, "k", "v3");
    expect_get(t, CF_DATA, "k", "v3");
    /* a committed key seen, deleted, and the deletion seen */
    expect_get(t, CF_DATA, "old", "committed");
    tdel(t, CF_DATA, "old");
    expect_get(t, CF_DATA, "old", NULL);
    /* the same key name in another column family is another key */
    tput(t, CF_META, "k", "meta");
    expect_get(t, CF_META, "k", "meta");
    expect_get(t, CF_DATA, "k", "v3");
    /* binary keys: prefixes and NULs are other keys */
    store_put(t, CF_DATA, "b\0", 2, "nul", 3);
    expect_get(t, CF_DATA, "b", NULL);
    char *v;
    size_t vl;
    assert_int_equal(store_get(t, CF_DATA, "b\0", 2, &v, &vl), 1);
    assert_int_equal(vl, 3);
    store_free(v);

    /* a reader sees none of it before the commit */
    expect_get(r, CF_DATA, "k", NULL);
    expect_get(r, CF_META, "k", NULL);
    expect_get(r, CF_DATA, "old", "committed");
    commit(t);
    /* and all of it right after */
    expect_get(r, CF_DATA, "k", "v3");
    expect_get(r, CF_META, "k", "meta");
    expect_get(r, CF_DATA, "old", NULL);
    assert_int_equal(store_get(r, CF_DATA, "b\0", 2, &v, &vl), 1);
    store_free(v);
    /* still after the committer wrote it, and after a reopen */
    store_drain(f->s);
    expect_get(r, CF_DATA, "k", "v3");
    reopen(f);
    r = store_txn_begin(f->s, false);
    expect_get(r, CF_DATA, "k", "v3");
    expect_get(r, CF_META, "k", "meta");
    expect_get(r, CF_DATA, "old", NULL);
}

/* put, delete, put of one key within a txn over a committed value; and a
 * txn that deletes a committed key */
static void test_put_del_put(void **state)
{
    fx_t *f = *state;
    put_commit(f->s, CF_DATA, "k", "v0");
    store_txn_t *t = store_txn_begin(f->s, true);
    tput(t, CF_DATA, "k", "v1");
    tdel(t, CF_DATA, "k");
    tput(t, CF_DATA, "k", "v2");
    commit(t);
    store_txn_t *r = store_txn_begin(f->s, false);
    expect_get(r, CF_DATA, "k", "v2");

    t = store_txn_begin(f->s, true);
    tput(t, CF_DATA, "k", "v3");
    tdel(t, CF_DATA, "k");
    commit(t);
    expect_get(r, CF_DATA, "k", NULL);
    reopen(f);
    r = store_txn_begin(f->s, false);
    expect_get(r, CF_DATA, "k", NULL);
}

static void test_abort_discards(void **state)
{
    fx_t *f = *state;
    for (int cache = 0; cache < 2; cache++) {
        store_enable_cache(f->s, cache ? 1 << 20 : 0);
        put_commit(f->s, CF_DATA, "k", "kept");
        store_txn_t *r = store_txn_begin(f->s, false);
        expect_get(r, CF_DATA, "k", "kept"); /* fills the cache when on */
        store_txn_t *t = store_txn_begin(f->s, true);
        tput(t, CF_DATA, "k", "dropped");
        tput(t, CF_DATA, "new", "dropped");
        tput(t, CF_META, "m", "dropped");
        expect_get(t, CF_DATA, "k", "dropped");
        store_txn_abort(t);
        expect_get(r, CF_DATA, "k", "kept");
        expect_get(r, CF_DATA, "new", NULL);
        expect_get(r, CF_META, "m", NULL);
        t = store_txn_begin(f->s, true);
        tdel(t, CF_DATA, "k");
        store_txn_abort(t);
        expect_get(r, CF_DATA, "k", "kept");
    }
    reopen(f);
    store_txn_t *r = store_txn_begin(f->s, false);
    expect_get(r, CF_DATA, "k", "kept");
    expect_get(r, CF_DATA, "new", NULL);
}

/* The read txn is one shared object: beginning, committing or aborting it
 * frees nothing and it keeps reading the live database. */
static void test_read_txn_shared(void **state)
{
    fx_t *f = *state;
    store_txn_t *r1 = store_txn_begin(f->s, false), *r2 = store_txn_begin(f->s, false);
    assert_ptr_equal(r1, r2);
    assert_int_equal(store_txn_commit(r1, NULL, 0), 0);
    store_txn_abort(r2);
    put_commit(f->s, CF_DATA, "x", "1");
    expect_get(r1, CF_DATA, "x", "1");
    store_txn_abort(r1);
    expect_get(store_txn_begin(f->s, false), CF_DATA, "x", "1");
}

/* Many keys in one txn (the overlay's hash index grows), overwritten and
 * deleted, then committed. */
static void test_overlay_many_keys(void **state)
{
    fx_t *f = *state;
    enum { N = 20000 };
    char k[32], v[64];
    store_txn_t *t = store_txn_begin(f->s, true);
    for (int i = 0; i < N; i++) {
        snprintf(k, sizeof(k), "key:%d", i);
        snprintf(v, sizeof(v), "value:%d", i);
        tput(t, CF_DATA, k, v);
        if (i % 1000 == 999) {
            snprintf(k, sizeof(k), "key:%d", i / 2);
            snprintf(v, sizeof(v), "value:%d", i / 2);
            expect_get(t, CF_DATA, k, v);
        }
    }
    for (int i = 0; i < N; i += 2) {
        snprintf(k, sizeof(k), "key:%d", i);
        if (i % 4 == 0) {
            snprintf(v, sizeof(v), "again:%d", i);
            tput(t, CF_DATA, k, v);
        } else {
            tdel(t, CF_DATA, k);
        }
    }
    for (int pass = 0; pass < 2; pass++) {
        store_txn_t *x = pass ? store_txn_begin(f->s, false) : t;
        for (int i = 0; i < N; i++) {
            snprintf(k, sizeof(k), "key:%d", i);
            if (i % 4 == 0) snprintf(v, sizeof(v), "again:%d", i);
            else snprintf(v, sizeof(v), "value:%d", i);
            expect_get(x, CF_DATA, k, i % 4 == 2 ? NULL : v);
        }
        if (!pass) commit(t);
    }
}

/* Many commits in a row queue up behind the committer thread: every read in
 * between sees the newest committed value of each key (also deletions), and
 * so does the database afterwards. */
static void test_commit_queue_newest_wins(void **state)
{
    fx_t *f = *state;
    for (int cache = 0; cache < 2; cache++) {
        store_enable_cache(f->s, cache ? 4096 : 0); /* tiny: the queue answers most reads */
        store_txn_t *r = store_txn_begin(f->s, false);
        char k[32], v[64];
        for (int i = 0; i < 300; i++) {
            store_txn_t *t = store_txn_begin(f->s, true);
            snprintf(v, sizeof(v), "round %d", i);
            tput(t, CF_DATA, "hot", v);
            tput(t, CF_META, "applied", v);
            snprintf(k, sizeof(k), "k%d", i % 17);
            if (i % 5 == 4) tdel(t, CF_DATA, k);
            else tput(t, CF_DATA, k, v);
            commit(t);
            expect_get(r, CF_DATA, "hot", v);
            expect_get(r, CF_META, "applied", v);
            expect_get(r, CF_DATA, k, i % 5 == 4 ? NULL : v);
            /* a key written many rounds ago and not since */
            if (i >= 17) {
                int j = i - 16; /* the last round that wrote k(j % 17) */
                snprintf(k, sizeof(k), "k%d", j % 17);
                snprintf(v, sizeof(v), "round %d", j);
                expect_get(r, CF_DATA, k, j % 5 == 4 ? NULL : v);
            }
        }
        store_drain(f->s);
        expect_get(r, CF_DATA, "hot", "round 299");
        expect_get(r, CF_META, "applied", "round 299");
    }
    reopen(f);
    store_txn_t *r = store_txn_begin(f->s, false);
    expect_get(r, CF_DATA, "hot", "round 299");
    expect_get(r, CF_DATA, "k11", "round 283");
    expect_get(r, CF_DATA, "k10", NULL); /* round 299 is 4 mod 5: deleted */
}

static void test_empty_values(void **state)
{
    fx_t *f = *state;
    store_enable_cache(f->s, 1 << 20);
    store_txn_t *t = store_txn_begin(f->s, true);
    tput(t, CF_DATA, "e", "");
    tput(t, CF_META, "e", "");
    store_put(t, CF_DATA, "", 0, "empty key", 9);
    expect_get(t, CF_DATA, "e", "");
    commit(t);
    store_txn_t *r = store_txn_begin(f->s, false);
    expect_get(r, CF_DATA, "e", ""); /* from the cache */
    expect_get(r, CF_META, "e", "");
    store_drain(f->s);
    store_enable_cache(f->s, 0);
    expect_get(r, CF_DATA, "e", ""); /* from RocksDB */
    char *v;
    size_t vl;
    assert_int_equal(store_get(r, CF_DATA, "", 0, &v, &vl), 1);
    assert_int_equal(vl, 9);
    store_free(v);
    reopen(f);
    r = store_txn_begin(f->s, false);
    expect_get(r, CF_DATA, "e", "");
    expect_get(r, CF_META, "e", "");
}

/* ---- iterators ------------------------------------------------------------ */

/* Collects "key=value;" for every record in [from, to) of cf. */
static void collect(store_txn_t *t, store_cf_t cf, const char *from, const char *to, char *out, size_t cap)
{
    store_iter_t *it = store_iter_new(t, cf);
    size_t n = 0;
    out[0] = '\0';
    for (store_iter_seek(it, from, strlen(from)); store_iter_valid(it); store_iter_next(it)) {
        size_t kl, vl;
        const char *k = store_iter_key(it, &kl);
        if (to) {
            size_t tl = strlen(to), m = kl < tl ? kl : tl;
            int c = memcmp(k, to, m);
            if (c > 0 || (c == 0 && kl >= tl)) break; /* k >= to */
        }
        const char *v = store_iter_value(it, &vl);
        n += (size_t)snprintf(out + n, cap - n, "%.*s=%.*s;", (int)kl, k, (int)vl, v);
        assert_true(n < cap);
    }
    store_iter_free(it);
}

static void test_iter_write_txn_merges(void **state)
{
    fx_t *f = *state;
    store_txn_t *t = store_txn_begin(f->s, true);
    tput(t, CF_DATA, "a", "1");
    tput(t, CF_DATA, "c", "3");
    tput(t, CF_DATA, "e", "5");
    tput(t, CF_DATA, "g", "7");
    tput(t, CF_DATA, "zz", "outside");
    commit(t);

    t = store_txn_begin(f->s, true);
    tput(t, CF_DATA, "b", "2new");     /* new key */
    tput(t, CF_DATA, "d", "4new");     /* new key */
    tdel(t, CF_DATA, "c");             /* committed key deleted */
    tput(t, CF_DATA, "e", "5changed"); /* committed key changed */
    tput(t, CF_DATA, "f", "gone");     /* put then deleted in the txn */
    tdel(t, CF_DATA, "f");
    tdel(t, CF_DATA, "nothere"); /* deleting an absent key */
    tput(t, CF_META, "m", "meta");     /* another CF */
    char out[1024];
    collect(t, CF_DATA, "a", "z", out, sizeof(out));
    assert_string_equal(out, "a=1;b=2new;d=4new;e=5changed;g=7;");
    collect(t, CF_META, "", NULL, out, sizeof(out));
    assert_string_equal(out, "m=meta;");
    /* a reader sees only the committed state */
    store_txn_t *r = store_txn_begin(f->s, false);
    collect(r, CF_DATA, "a", "z", out, sizeof(out));
    assert_string_equal(out, "a=1;c=3;e=5;g=7;");

    /* seeks and backwards iteration over the merged view */
    store_iter_t *it = store_iter_new(t, CF_DATA);
    size_t kl;
    store_iter_seek(it, "c", 1);
    assert_true(store_iter_valid(it));
    assert_memory_equal(store_iter_key(it, &kl), "d", 1);
    store_iter_seek_for_prev(it, "c", 1);
    assert_true(store_iter_valid(it));
    assert_memory_equal(store_iter_key(it, &kl), "b", 1);
    store_iter_seek_for_prev(it, "f", 1);
    assert_memory_equal(store_iter_key(it, &kl), "e", 1);
    store_iter_prev(it);
    assert_memory_equal(store_iter_key(it, &kl), "d", 1);
    store_iter_prev(it);
    assert_memory_equal(store_iter_key(it, &kl), "b", 1);
    store_iter_prev(it);
    assert_memory_equal(store_iter_key(it, &kl), "a", 1);
    store_iter_prev(it);
    assert_false(store_iter_valid(it));
    store_iter_free(it);

    /* writes after the first iterator are seen by the next one, and by get */
    tput(t, CF_DATA, "c", "3again");
    tdel(t, CF_DATA, "g");
    tput(t, CF_DATA, "h", "8");
    expect_get(t, CF_DATA, "c", "3again");
    expect_get(t, CF_DATA, "g", NULL);
    collect(t, CF_DATA, "a", "z", out, sizeof(out));
    assert_string_equal(out, "a=1;b=2new;c=3again;d=4new;e=5changed;h=8;");
    commit(t);
    collect(r, CF_DATA, "", NULL, out, sizeof(out));
    assert_string_equal(out, "a=1;b=2new;c=3again;d=4new;e=5changed;h=8;zz=outside;");
}

/* Keys come back in unsigned byte order (binary keys, 0x00 and 0xff bytes,
 * prefixes), and an iterator sees every batch committed before it. */
static void test_iter_order_and_committed_batches(void **state)
{
    fx_t *f = *state;
    static const struct { const char *k; size_t n; } keys[] = {
        {"", 0}, {"\0", 1}, {"\0\0", 2}, {"\x01", 1}, {"a", 1}, {"a\0", 2}, {"a\xff", 2},
        {"ab", 2}, {"b", 1}, {"\x7f", 1}, {"\x80", 1}, {"\xfe\xff", 2}, {"\xff", 1}, {"\xff\xff\xff", 3},
    };
    const size_t n = sizeof(keys) / sizeof(keys[0]);
    /* committed one key per txn, in reverse, so several batches are queued */
    for (size_t i = n; i-- > 0;) {
        store_txn_t *t = store_txn_begin(f->s, true);
        char v[8];
        int vl = snprintf(v, sizeof(v), "%zu", i);
        store_put(t, CF_DATA, keys[i].k, keys[i].n, v, (size_t)vl);
        commit(t);
    }
    /* the expected order, by a plain unsigned comparison */
    size_t order[32];
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = 1; i < n; i++) {
        for (size_t j = i; j > 0; j--) {
            const size_t a = order[j - 1], b = order[j];
            size_t m = keys[a].n < keys[b].n ? keys[a].n : keys[b].n;
            int c = memcmp(keys[a].k, keys[b].k, m);
            if (c > 0 || (c == 0 && keys[a].n > keys[b].n)) {
                order[j - 1] = b;
                order[j] = a;
            }
        }
    }
    for (int w = 0; w < 2; w++) {
        store_txn_t *t = store_txn_begin(f->s, w == 1);
        store_iter_t *it = store_iter_new(t, CF_DATA);
        size_t i = 0;
        for (store_iter_seek(it, "", 0); store_iter_valid(it); store_iter_next(it), i++) {
            size_t kl, vl;
            const char *k = store_iter_key(it, &kl);
            const char *v = store_iter_value(it, &vl);
            assert_true(i < n);
            assert_int_equal(kl, keys[order[i]].n);
            assert_memory_equal(k, keys[order[i]].k, kl);
            char want[8];
            snprintf(want, sizeof(want), "%zu", order[i]);
            assert_int_equal(vl, strlen(want));
            assert_memory_equal(v, want, vl);
        }
        assert_int_equal(i, n);
        /* backwards from the end */
        store_iter_seek_for_prev(it, "\xff\xff\xff\xff", 4);
        for (i = n; i-- > 0; store_iter_prev(it)) {
            size_t kl;
            assert_true(store_iter_valid(it));
            const char *k = store_iter_key(it, &kl);
            assert_int_equal(kl, keys[order[i]].n);
            assert_memory_equal(k, keys[order[i]].k, kl);
        }
        assert_false(store_iter_valid(it));
        store_iter_free(it);
        if (w) store_txn_abort(t);
    }
}

/* ---- range deletion ----------------------------------------------------------- */

static void test_del_range(void **state)
{
    fx_t *f = *state;
    char out[1024];
    store_txn_t *t = store_txn_begin(f->s, true);
    tput(t, CF_DATA, "ma", "1");
    tput(t, CF_DATA, "mb", "2");
    tput(t, CF_DATA, "mc", "3");
    tput(t, CF_DATA, "ekey", "");
    tput(t, CF_DATA, "skey", "x");
    tput(t, CF_META, "nkeys", "3");
    commit(t);

    /* a sub-range */
    t = store_txn_begin(f->s, true);
    tput(t, CF_DATA, "mbb", "in range, written before the deletion");
    tput(t, CF_DATA, "z", "outside, written before");
    store_del_range(t, CF_DATA, "mb", 2, "mc", 2);
    expect_get(t, CF_DATA, "mb", NULL);
    expect_get(t, CF_DATA, "mbb", NULL);
    expect_get(t, CF_DATA, "ma", "1");
    expect_get(t, CF_DATA, "mc", "3");
    expect_get(t, CF_DATA, "z", "outside, written before");
    tput(t, CF_DATA, "mb", "after");
    expect_get(t, CF_DATA, "mb", "after");
    collect(t, CF_DATA, "m", "n", out, sizeof(out));
    assert_string_equal(out, "ma=1;mb=after;mc=3;");
    commit(t);
    store_txn_t *r = store_txn_begin(f->s, false);
    expect_get(r, CF_DATA, "mb", "after");
    expect_get(r, CF_DATA, "mbb", NULL);

    /* everything, as FLUSHALL does; the meta CF is untouched */
    t = store_txn_begin(f->s, true);
    tput(t, CF_META, "nkeys", "0");
    static const char lo[1] = {0}, hi[1] = {(char)0xff};
    store_del_range(t, CF_DATA, lo, 1, hi, 1);
    collect(t, CF_DATA, "", NULL, out, sizeof(out));
    assert_string_equal(out, "");
    tput(t, CF_DATA, "mnew", "n");
    commit(t);
    collect(r, CF_DATA, "", NULL, out, sizeof(out));
    assert_string_equal(out, "mnew=n;");
    expect_get(r, CF_META, "nkeys", "0");
    expect_get(r, CF_DATA, "ma", NULL);
    reopen(f);
    r = store_txn_begin(f->s, false);
    collect(r, CF_DATA, "", NULL, out, sizeof(out));
    assert_string_equal(out, "mnew=n;");
    expect_get(r, CF_META, "nkeys", "0");
}

/* A range deletion empties the cache: no value or absence cached before it
 * is served after it. */
static void test_del_range_clears_cache(void **state)
{
    fx_t *f = *state;
    store_enable_cache(f->s, 1 << 20);
    put_commit(f->s, CF_DATA, "ma", "1");
    put_commit(f->s, CF_DATA, "mb", "2");
    store_txn_t *r = store_txn_begin(f->s, false);
    expect_get(r, CF_DATA, "ma", "1");
    expect_get(r, CF_DATA, "mb", "2");
    uint64_t entries;
    cache_stats(f->s, NULL, NULL, &entries, NULL);
    assert_true(entries >= 2);

    store_txn_t *t = store_txn_begin(f->s, true);
    store_del_range(t, CF_DATA, "m", 1, "n", 1);
    cache_stats(f->s, NULL, NULL, &entries, NULL);
    assert_int_equal(entries, 0);
    expect_get(r, CF_DATA, "ma", NULL); /* the deletion is written at once */
    tput(t, CF_DATA, "mb", "3");
    commit(t);
    expect_get(r, CF_DATA, "ma", NULL);
    expect_get(r, CF_DATA, "mb", "3");
}

/* A range deletion in another CF writes the txn's earlier data-CF changes
 * at once and starts the txn over with an empty overlay: those changes must
 * still reach the write-through cache (store.h: commits update it). */
static void test_del_range_other_cf_keeps_cache_coherent(void **state)
{
    fx_t *f = *state;
    store_enable_cache(f->s, 1 << 20);
    put_commit(f->s, CF_DATA, "k", "v1");
    put_commit(f->s, CF_DATA, "gone", "here");
    store_txn_t *r = store_txn_begin(f->s, false);
    expect_get(r, CF_DATA, "k", "v1"); /* cached */
    expect_get(r, CF_DATA, "gone", "here");
    expect_get(r, CF_DATA, "new", NULL); /* cached as absent */

    store_txn_t *t = store_txn_begin(f->s, true);
    tput(t, CF_DATA, "k", "v2");
    tdel(t, CF_DATA, "gone");
    tput(t, CF_DATA, "new", "n");
    store_del_range(t, CF_META, "a", 1, "b", 1);
    commit(t);

    /* what RocksDB holds */
    char out[256];
    collect(r, CF_DATA, "", NULL, out, sizeof(out));
    assert_string_equal(out, "k=v2;new=n;");
    /* what a point read answers must agree */
    expect_get(r, CF_DATA, "k", "v2");
    expect_get(r, CF_DATA, "gone", NULL);
    expect_get(r, CF_DATA, "new", "n");
}

/* ---- the write-through cache ------------------------------------------------ */

static void test_cache_write_through(void **state)
{
    fx_t *f = *state;
    store_enable_cache(f->s, 1 << 20);
    store_txn_t *r = store_txn_begin(f->s, false);
    uint64_t h0, m0, h1, m1, entries;

    put_commit(f->s, CF_DATA, "k", "v1");
    store_drain(f->s);
    cache_stats(f->s, &h0, &m0, &entries, NULL);
    assert_int_equal(entries, 1); /* the commit put it there */
    expect_get(r, CF_DATA, "k", "v1");
    cache_stats(f->s, &h1, &m1, NULL, NULL);
    assert_true(h1 == h0 + 1 && m1 == m0); /* served by the cache */

    /* changed only through the store: the cache follows every commit */
    for (int i = 2; i < 40; i++) {
        char v[16];
        snprintf(v, sizeof(v), "v%d", i);
        put_commit(f->s, CF_DATA, "k", i % 7 == 0 ? NULL : v);
        expect_get(r, CF_DATA, "k", i % 7 == 0 ? NULL : v);
        store_txn_t *t = store_txn_begin(f->s, true);
        expect_get(t, CF_DATA, "k", i % 7 == 0 ? NULL : v); /* a write txn reads through it too */
        store_txn_abort(t);
    }
    cache_stats(f->s, &h0, &m0, NULL, NULL);
    assert_true(m0 == m1);       /* no read missed */
    assert_true(h0 >= h1 + 76); /* two reads per round, all hits */

    /* the meta CF is never cached */
    store_txn_t *t = store_txn_begin(f->s, true);
    tput(t, CF_META, "applied", "1");
    commit(t);
    cache_stats(f->s, NULL, NULL, &entries, NULL);
    expect_get(r, CF_META, "applied", "1");
    uint64_t e2;
    cache_stats(f->s, NULL, NULL, &e2, NULL);
    assert_true(e2 == entries);

    /* the cache starts cold after a reopen and is filled by reads */
    store_drain(f->s);
    reopen(f);
    store_enable_cache(f->s, 1 << 20);
    r = store_txn_begin(f->s, false);
    expect_get(r, CF_DATA, "k", "v39");
    cache_stats(f->s, &h0, &m0, &entries, NULL);
    assert_true(h0 == 0 && m0 == 1 && entries == 1);
    expect_get(r, CF_DATA, "k", "v39");
    cache_stats(f->s, &h0, NULL, NULL, NULL);
    assert_true(h0 == 1);
}

static void test_cache_negative(void **state)
{
    fx_t *f = *state;
    store_enable_cache(f->s, 1 << 20);
    store_txn_t *r = store_txn_begin(f->s, false);
    uint64_t h0, h1, m0, m1;
    expect_get(r, CF_DATA, "absent", NULL);
    cache_stats(f->s, &h0, &m0, NULL, NULL);
    expect_get(r, CF_DATA, "absent", NULL);
    cache_stats(f->s, &h1, &m1, NULL, NULL);
    assert_true(h1 == h0 + 1 && m1 == m0); /* absence answered by the cache */

    /* a txn that reads it as absent (through the cache), then writes it */
    store_txn_t *t = store_txn_begin(f->s, true);
    expect_get(t, CF_DATA, "absent", NULL);
    tput(t, CF_DATA, "absent", "present now");
    expect_get(r, CF_DATA, "absent", NULL); /* not before the commit */
    commit(t);
    expect_get(r, CF_DATA, "absent", "present now");
    /* and back to absent */
    put_commit(f->s, CF_DATA, "absent", NULL);
    expect_get(r, CF_DATA, "absent", NULL);
    store_drain(f->s);
    store_enable_cache(f->s, 0); /* the database agrees */
    expect_get(r, CF_DATA, "absent", NULL);
}

/* With a budget of a few entries, values come from the cache, the commit
 * queue or RocksDB, and are always the latest. */
static void test_cache_tiny_budget(void **state)
{
    fx_t *f = *state;
    const size_t budget = 2048;
    store_enable_cache(f->s, budget);
    enum { N = 800 };
    static int version[N];
    char k[32], v[160];
    store_txn_t *r = store_txn_begin(f->s, false);
    for (int round = 0; round < 4; round++) {
        store_txn_t *t = store_txn_begin(f->s, true);
        for (int i = 0; i < N; i++) {
            if ((i + round) % 3 == 0 && round) continue;
            version[i] = round + 1;
            snprintf(k, sizeof(k), "key%d", i);
            snprintf(v, sizeof(v), "%0100d:%d", round, i);
            tput(t, CF_DATA, k, v);
            if (i % 50 == 0) commit(t), t = store_txn_begin(f->s, true);
        }
        commit(t);
        for (int pass = 0; pass < 2; pass++) {
            for (int j = 0; j < N; j++) {
                int i = (int)(rnd() % N);
                snprintf(k, sizeof(k), "key%d", i);
                snprintf(v, sizeof(v), "%0100d:%d", version[i] - 1, i);
                expect_get(r, CF_DATA, k, v);
                uint64_t bytes;
                cache_stats(f->s, NULL, NULL, NULL, &bytes);
                assert_true(bytes <= budget);
            }
        }
    }
    uint64_t hits, misses, entries;
    cache_stats(f->s, &hits, &misses, &entries, NULL);
    assert_true(entries > 0 && entries < 20); /* evicting, not disabled */
    assert_true(misses > 0);
}

/* A value too big for the cache replaces a cached smaller one: the read
 * gets the new value, never the stale cached one. */
static void test_cache_huge_value(void **state)
{
    fx_t *f = *state;
    store_enable_cache(f->s, 8192);
    put_commit(f->s, CF_DATA, "k", "small");
    store_txn_t *r = store_txn_begin(f->s, false);
    expect_get(r, CF_DATA, "k", "small");
    char *big = malloc(5001);
    memset(big, 'B', 5000);
    big[5000] = '\0';
    put_commit(f->s, CF_DATA, "k", big);
    expect_get(r, CF_DATA, "k", big);
    store_drain(f->s);
    expect_get(r, CF_DATA, "k", big);
    put_commit(f->s, CF_DATA, "k", "small again");
    expect_get(r, CF_DATA, "k", "small again");
    free(big);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c),
        T(test_open_reopen),
        T(test_open_failures),
        T(test_log_append_get_bounds),
        T(test_log_truncate_suffix),
        T(test_log_checksum_detects_corruption),
        T(test_hard_state),
        T(test_txn_overlay),
        T(test_put_del_put),
        T(test_abort_discards),
        T(test_read_txn_shared),
        T(test_overlay_many_keys),
        T(test_commit_queue_newest_wins),
        T(test_empty_values),
        T(test_iter_write_txn_merges),
        T(test_iter_order_and_committed_batches),
        T(test_del_range),
        T(test_del_range_clears_cache),
        T(test_cache_write_through),
        T(test_cache_negative),
        T(test_cache_tiny_budget),
        T(test_cache_huge_value),
        /* bugs in store.c that no caller reaches yet (see each test's comment) */
        T(test_del_range_other_cf_keeps_cache_coherent),
        T(test_log_iterator),
        T(test_log_empty_entry_null_data),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
