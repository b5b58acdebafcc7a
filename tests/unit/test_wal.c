/* Unit tests for src/storage/wal.c on small segments (64 KB) in temporary
 * directories: append/get/bounds, rollover across segments, truncation and
 * overwrite, compaction (and the hard state surviving the deletion of the
 * segments that held it), recovery from a torn last write at every byte
 * offset, refusal to open on damage anywhere else, a missing segment or a
 * second open, reads from another thread during appends, a crash without
 * close, and a random sequence of operations checked against a model.
 *
 * The tests know the record layout of docs/encoding.md: a 16-byte header,
 * then an ENTRY's 16 bytes of index and term, then its bytes, padded to 8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage/wal.h"
#include "support/storetest.h" /* rnd(), st_rm_rf() */

#define SEG (64 * 1024)

/* ---- helpers ----------------------------------------------------------------- */

static void make_tmpdir(char *dir, size_t len)
{
    snprintf(dir, len, "/tmp/redraft-test-wal-XXXXXX");
    if (!mkdtemp(dir)) fail_msg("mkdtemp failed");
}

static wal_t *wopen(const char *dir)
{
    char err[512] = "";
    wal_t *w = wal_open(dir, SEG, err, sizeof(err));
    if (!w) fail_msg("wal_open(%s): %s", dir, err);
    return w;
}

/* Opens dir expecting failure; returns the message (static buffer). */
static const char *wopen_fails(const char *dir)
{
    static char err[512];
    err[0] = '\0';
    wal_t *w = wal_open(dir, SEG, err, sizeof(err));
    if (w) {
        wal_close(w);
        fail_msg("wal_open(%s) succeeded, expected a failure", dir);
    }
    assert_true(strlen(err) > 0);
    return err;
}

/* Entry bytes that depend on index and term, so a reader can check any
 * version it gets; 1..300 bytes, some several KB, the last byte nonzero. */
static size_t data_for(uint64_t index, uint64_t term, char *buf)
{
    size_t n = (index % 41 == 0) ? 3000 + index % 1000 : (size_t)((index * 7 + term) % 300) + 1;
    for (size_t k = 0; k < n; k++) buf[k] = (char)(index * 31 + term * 17 + k * 7);
    buf[n - 1] = 'z';
    return n;
}

static void append_range(wal_t *w, uint64_t from, uint64_t to, uint64_t term, int batch, bool sync)
{
    wal_entry_t *es = calloc((size_t)batch, sizeof(*es));
    char *bufs = malloc((size_t)batch * 8192);
    char err[512] = "";
    for (uint64_t i = from; i <= to;) {
        int n = 0;
        for (; n < batch && i <= to; n++, i++) {
            es[n].index = i;
            es[n].term = term;
            es[n].data = bufs + (size_t)n * 8192;
            es[n].len = data_for(i, term, bufs + (size_t)n * 8192);
        }
        if (wal_append(w, es, n, sync, err, sizeof(err)) != 0) fail_msg("append %llu: %s", (unsigned long long)i, err);
    }
    free(bufs);
    free(es);
}

static void expect_entry(wal_t *w, uint64_t i, uint64_t term)
{
    char err[512] = "", want[8192];
    wal_entry_t e;
    int rc = wal_get(w, i, &e, err, sizeof(err));
    if (rc != 0) fail_msg("get %llu: rc %d %s", (unsigned long long)i, rc, err);
    size_t n = data_for(i, term, want);
    if (e.index != i || e.term != term || e.len != n || memcmp(e.data, want, n) != 0)
        fail_msg("entry %llu: term %llu len %zu, want term %llu len %zu", (unsigned long long)i,
                 (unsigned long long)e.term, e.len, (unsigned long long)term, n);
    free((void *)e.data);
}

static void expect_absent(wal_t *w, uint64_t i)
{
    char err[512] = "";
    wal_entry_t e;
    int rc = wal_get(w, i, &e, err, sizeof(err));
    if (rc == 0) free((void *)e.data);
    if (rc != 1) fail_msg("entry %llu: rc %d (%s), want absent", (unsigned long long)i, rc, err);
}

static void expect_bounds(wal_t *w, uint64_t first, uint64_t last)
{
    uint64_t a = 7, b = 7;
    wal_bounds(w, &a, &b);
    if (a != first || b != last)
        fail_msg("bounds %llu..%llu, want %llu..%llu", (unsigned long long)a, (unsigned long long)b,
                 (unsigned long long)first, (unsigned long long)last);
}

static void seg_path(const char *dir, uint64_t seq, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%016llx.wal", dir, (unsigned long long)seq);
}

static int count_segments(const char *dir)
{
    int n = 0;
    char p[256];
    for (uint64_t seq = 1; seq < 100000; seq++) {
        seg_path(dir, seq, p, sizeof(p));
        if (access(p, F_OK) == 0) n++;
    }
    return n;
}

static uint64_t highest_segment(const char *dir)
{
    uint64_t hi = 0;
    char p[256];
    for (uint64_t seq = 1; seq < 100000; seq++) {
        seg_path(dir, seq, p, sizeof(p));
        if (access(p, F_OK) == 0) hi = seq;
    }
    return hi;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (fread(p, 1, (size_t)n, f) != (size_t)n) fail_msg("read %s", path);
    fclose(f);
    *len = (size_t)n;
    return p;
}

static void write_file(const char *path, const char *p, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) fail_msg("create %s", path);
    if (fwrite(p, 1, len, f) != len) fail_msg("write %s", path);
    fclose(f);
}

/* Where the records of a segment end: past its last nonzero byte, rounded
 * up to the 8-byte record alignment (entries end with a nonzero byte). */
static size_t records_end(const char *path)
{
    size_t len;
    char *p = read_file(path, &len);
    while (len && !p[len - 1]) len--;
    free(p);
    return (len + 7) & ~(size_t)7;
}

static void xor_byte(const char *path, size_t off, int mask)
{
    size_t len;
    char *p = read_file(path, &len);
    assert_true(off < len);
    p[off] ^= (char)mask;
    write_file(path, p, len);
    free(p);
}

/* ---- basics ------------------------------------------------------------------- */

static void test_append_get_bounds_reopen(void **state)
{
    (void)state;
    char dir[64], err[512];
    make_tmpdir(dir, sizeof(dir));
    wal_t *w = wopen(dir);
    expect_bounds(w, 0, 0);
    expect_absent(w, 1);
    append_range(w, 1, 300, 1, 7, true);
    expect_bounds(w, 1, 300);
    for (uint64_t i = 1; i <= 300; i++) expect_entry(w, i, 1);
    expect_absent(w, 0);
    expect_absent(w, 301);
    expect_absent(w, UINT64_MAX);
    assert_true(wal_size(w) > 300 * 32);

    /* no gaps, no index 0, consecutive batches only */
    wal_entry_t e = {.index = 302, .term = 1, .data = "x", .len = 1};
    assert_int_equal(wal_append(w, &e, 1, true, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "gap"));
    e.index = 0;
    assert_int_equal(wal_append(w, &e, 1, true, err, sizeof(err)), -1);
    wal_entry_t two[2] = {{.index = 301, .term = 1, .data = "a", .len = 1}, {.index = 303, .term = 1, .data = "b", .len = 1}};
    assert_int_equal(wal_append(w, two, 2, true, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "consecutive"));
    expect_bounds(w, 1, 300);

    /* a second open of the same log is refused while it is open */
    assert_non_null(strstr(wopen_fails(dir), "already open"));

    uint64_t size = wal_size(w);
    wal_close(w);
    w = wopen(dir);
    expect_bounds(w, 1, 300);
    for (uint64_t i = 1; i <= 300; i++) expect_entry(w, i, 1);
    assert_true(wal_size(w) == size);
    /* an empty entry given as (NULL, 0) */
    e = (wal_entry_t){.index = 301, .term = 2, .data = NULL, .len = 0};
    assert_int_equal(wal_append(w, &e, 1, false, err, sizeof(err)), 0);
    wal_entry_t got;
    assert_int_equal(wal_get(w, 301, &got, err, sizeof(err)), 0);
    assert_int_equal(got.len, 0);
    assert_true(got.term == 2);
    free((void *)got.data);
    wal_close(w);
    w = wopen(dir);
    expect_bounds(w, 1, 301);
    wal_close(w);
    st_rm_rf(dir);
}

static void test_rollover(void **state)
{
    (void)state;
    char dir[64];
    make_tmpdir(dir, sizeof(dir));
    wal_t *w = wopen(dir);
    assert_int_equal(wal_meta_put(w, "term", 4, true, NULL, 0), 0);
    append_range(w, 1, 4000, 4, 13, false);
    expect_bounds(w, 1, 4000);
    int nseg = count_segments(dir);
    if (nseg < 8) fail_msg("only %d segments after ~700 KB of entries", nseg);
    for (uint64_t i = 1; i <= 4000; i++) expect_entry(w, i, 4);
    wal_close(w);
    w = wopen(dir);
    expect_bounds(w, 1, 4000);
    for (uint64_t i = 4000; i >= 1; i--) expect_entry(w, i, 4);
    assert_true(wal_meta_get(w, "term", 0) == 4);
    /* every segment is exactly the segment size: nothing grows */
    char p[256];
    struct stat st;
    for (uint64_t seq = 1; seq <= (uint64_t)nseg; seq++) {
        seg_path(dir, seq, p, sizeof(p));
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_size, SEG);
    }
    /* an entry bigger than a segment gets a segment of its own */
    char *big = malloc(3 * SEG);
    for (size_t k = 0; k < 3 * SEG; k++) big[k] = (char)(k * 13 + 1);
    wal_entry_t e = {.index = 4001, .term = 4, .data = big, .len = 3 * SEG};
    char err[512] = "";
    assert_int_equal(wal_append(w, &e, 1, true, err, sizeof(err)), 0);
    append_range(w, 4002, 4100, 4, 5, true);
    wal_close(w);
    w = wopen(dir);
    wal_entry_t got;
    assert_int_equal(wal_get(w, 4001, &got, err, sizeof(err)), 0);
    assert_int_equal(got.len, 3 * SEG);
    assert_memory_equal(got.data, big, 3 * SEG);
    free((void *)got.data);
    free(big);
    for (uint64_t i = 3990; i <= 4100; i++)
        if (i != 4001) expect_entry(w, i, 4);
    wal_close(w);
    st_rm_rf(dir);
}

static void test_truncate_and_overwrite(void **state)
{
    (void)state;
    char dir[64], err[512] = "";
    make_tmpdir(dir, sizeof(dir));
    wal_t *w = wopen(dir);
    append_range(w, 1, 3000, 1, 50, true);
    /* truncate into an older segment, then a new suffix */
    assert_int_equal(wal_truncate_suffix(w, 1000, err, sizeof(err)), 0);
    expect_bounds(w, 1, 999);
    expect_absent(w, 1000);
    expect_absent(w, 3000);
    append_range(w, 1000, 1500, 2, 30, true);
    expect_bounds(w, 1, 1500);
    /* truncating past the end writes nothing and changes nothing */
    uint64_t size = wal_size(w);
    assert_int_equal(wal_truncate_suffix(w, 1501, err, sizeof(err)), 0);
    assert_true(wal_size(w) == size);
    /* an append at or below the last index replaces the suffix */
    append_range(w, 1200, 1210, 3, 4, true);
    expect_bounds(w, 1, 1210);
    wal_close(w);
    w = wopen(dir);
    expect_bounds(w, 1, 1210);
    for (uint64_t i = 1; i <= 999; i += 3) expect_entry(w, i, 1);
    for (uint64_t i = 1000; i < 1200; i++) expect_entry(w, i, 2);
    for (uint64_t i = 1200; i <= 1210; i++) expect_entry(w, i, 3);
    expect_absent(w, 1211);
    /* truncating everything empties the log; it may start anywhere again */
    assert_int_equal(wal_truncate_suffix(w, 1, err, sizeof(err)), 0);
    expect_bounds(w, 0, 0);
    append_range(w, 70000, 70010, 5, 4, true);
    wal_close(w);
    w = wopen(dir);
    expect_bounds(w, 70000, 70010);
    expect_entry(w, 70005, 5);
    /* an append replacing the whole log */
    append_range(w, 69000, 69001, 6, 2, true);
    expect_bounds(w, 69000, 69001);
    wal_close(w);
    w = wopen(dir);
    expect_bounds(w, 69000, 69001);
    expect_entry(w, 69000, 6);
    wal_close(w);
    st_rm_rf(dir);
}

/* ---- compaction and the hard state ---------------------------------------------- */

static void test_compact_keeps_hard_state(void **state)
{
    (void)state;
    char dir[64], err[512] = "", p[256];
    make_tmpdir(dir, sizeof(dir));
    wal_t *w = wopen(dir);
    assert_int_equal(wal_meta_put(w, "term", 7, true, err, sizeof(err)), 0);
    assert_int_equal(wal_meta_put(w, "vote", 3, false, err, sizeof(err)), 0);
    append_range(w, 1, 2000, 7, 20, false);
    assert_int_equal(wal_meta_put(w, "term", 8, true, err, sizeof(err)), 0);
    append_range(w, 2001, 4000, 8, 20, false);
    int before = count_segments(dir);
    assert_true(before >= 6);

    /* nothing to do below the first index */
    assert_int_equal(wal_compact(w, 0, err, sizeof(err)), 0);
    assert_int_equal(count_segments(dir), before);

    assert_int_equal(wal_compact(w, 3000, err, sizeof(err)), 0);
    expect_bounds(w, 3001, 4000);
    expect_absent(w, 3000);
    expect_absent(w, 1);
    expect_entry(w, 3001, 8);
    int after = count_segments(dir);
    if (after >= before - 2) fail_msg("compaction left %d of %d segments", after, before);
    seg_path(dir, 1, p, sizeof(p));
    assert_int_not_equal(access(p, F_OK), 0); /* the segment holding the META records is gone */

    /* appends below the compacted index are refused */
    wal_entry_t e = {.index = 2999, .term = 9, .data = "x", .len = 1};
    assert_int_equal(wal_append(w, &e, 1, true, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "compacted"));
    wal_close(w);

    w = wopen(dir);
    expect_bounds(w, 3001, 4000);
    assert_true(wal_meta_get(w, "term", 0) == 8);
    assert_true(wal_meta_get(w, "vote", 0) == 3);
    assert_true(wal_meta_get(w, "nope", 11) == 11);
    for (uint64_t i = 3001; i <= 4000; i += 9) expect_entry(w, i, 8);

    /* compaction past the end empties the log; appends go on above it */
    assert_int_equal(wal_compact(w, 5000, err, sizeof(err)), 0);
    expect_bounds(w, 0, 0);
    e.index = 5000;
    assert_int_equal(wal_append(w, &e, 1, true, err, sizeof(err)), -1);
    append_range(w, 5001, 5100, 9, 10, true);
    assert_int_equal(wal_compact(w, UINT64_MAX, err, sizeof(err)), -1);
    wal_close(w);
    w = wopen(dir);
    expect_bounds(w, 5001, 5100);
    assert_true(wal_meta_get(w, "term", 0) == 8);
    /* the floor survives too: 5000 is still refused after a reopen */
    assert_int_equal(wal_append(w, &e, 1, true, err, sizeof(err)), -1);
    wal_close(w);
    st_rm_rf(dir);
}

static void test_meta(void **state)
{
    (void)state;
    char dir[64], err[512] = "", name[WAL_META_NAME_MAX + 2];
    make_tmpdir(dir, sizeof(dir));
    wal_t *w = wopen(dir);
    assert_true(wal_meta_get(w, "term", 77) == 77);
    memset(name, 'n', sizeof(name));
    name[WAL_META_NAME_MAX] = '\0';
    assert_int_equal(wal_meta_put(w, name, 1, true, err, sizeof(err)), 0);
    name[WAL_META_NAME_MAX] = 'n';
    name[WAL_META_NAME_MAX + 1] = '\0';
    assert_int_equal(wal_meta_put(w, name, 1, true, err, sizeof(err)), -1);
    assert_int_equal(wal_meta_put(w, "", 1, true, err, sizeof(err)), -1);
    for (uint64_t v = 1; v <= 3000; v++) /* many META records: several segments */
        assert_int_equal(wal_meta_put(w, v % 2 ? "term" : "vote", v, v % 100 == 0, err, sizeof(err)), 0);
    assert_int_equal(wal_meta_put(w, "termx", UINT64_MAX, true, err, sizeof(err)), 0);
    wal_close(w);
    w = wopen(dir);
    assert_true(wal_meta_get(w, "term", 0) == 2999);
    assert_true(wal_meta_get(w, "vote", 0) == 3000);
    assert_true(wal_meta_get(w, "termx", 0) == UINT64_MAX);
    assert_true(wal_meta_get(w, "ter", 5) == 5);
    name[WAL_META_NAME_MAX] = '\0';
    assert_true(wal_meta_get(w, name, 0) == 1);
    wal_close(w);
    st_rm_rf(dir);
}

/* ---- recovery ------------------------------------------------------------------- */

/* Builds entries 1..20 (one write each) and a last entry 21 with len bytes
 * in dir; returns where record 21 starts and ends in segment 1. */
static void build_last_record(const char *dir, size_t len, size_t *start, size_t *end)
{
    char p[256], buf[512];
    seg_path(dir, 1, p, sizeof(p));
    wal_t *w = wopen(dir);
    assert_int_equal(wal_meta_put(w, "term", 3, true, NULL, 0), 0);
    for (uint64_t i = 1; i <= 20; i++) append_range(w, i, i, 3, 1, true);
    wal_close(w);
    *start = records_end(p);
    w = wopen(dir);
    memset(buf, 'q', len);
    wal_entry_t e = {.index = 21, .term = 3, .data = buf, .len = len};
    assert_int_equal(wal_append(w, &e, 1, true, NULL, 0), 0);
    wal_close(w);
    *end = records_end(p);
    assert_int_equal(*end - *start, (16 + 16 + len + 7) & ~(size_t)7);
}

/* After recovery, the log holds 1..20 (and 21 when keep21), takes a new
 * entry 21 or 22, and still has everything after another reopen. */
static void expect_recovered(const char *dir, bool keep21)
{
    wal_t *w = wopen(dir);
    uint64_t last = keep21 ? 21 : 20;
    expect_bounds(w, 1, last);
    expect_entry(w, 20, 3);
    assert_true(wal_meta_get(w, "term", 0) == 3);
    append_range(w, last + 1, last + 1, 4, 1, true);
    wal_close(w);
    w = wopen(dir);
    expect_bounds(w, 1, last + 1);
    expect_entry(w, last + 1, 4);
    wal_close(w);
}

static void test_torn_tail_every_offset(void **state)
{
    (void)state;
    char src[64], dir[64], p[256], q[256];
    static const size_t lens[] = {40, 37}; /* no padding; 3 bytes of padding */
    for (size_t li = 0; li < 2; li++) {
        size_t start, end, seglen;
        make_tmpdir(src, sizeof(src));
        build_last_record(src, lens[li], &start, &end);
        seg_path(src, 1, p, sizeof(p));
        char *seg = read_file(p, &seglen);
        size_t payload_end = start + 32 + lens[li];
        for (size_t k = start; k < end; k++) {
            /* the file cut at k: the record is incomplete */
            make_tmpdir(dir, sizeof(dir));
            seg_path(dir, 1, q, sizeof(q));
            write_file(q, seg, k);
            expect_recovered(dir, k >= payload_end);
            st_rm_rf(dir);
            /* byte k damaged: the checksum fails, or the padding is not zero */
            make_tmpdir(dir, sizeof(dir));
            seg_path(dir, 1, q, sizeof(q));
            write_file(q, seg, seglen);
            xor_byte(q, k, 0x55);
            expect_recovered(dir, false);
            st_rm_rf(dir);
        }
        /* the record's header zeroed but its payload there */
        make_tmpdir(dir, sizeof(dir));
        seg_path(dir, 1, q, sizeof(q));
        memset(seg + start, 0, 16);
        write_file(q, seg, seglen);
        expect_recovered(dir, false);
        st_rm_rf(dir);
        free(seg);
        st_rm_rf(src);
    }
}

/* A write of several records torn in its middle (some sectors reached the
 * disk, some not): its whole records before the gap stay, the rest of the
 * write goes, the records after the gap included. */
static void test_torn_multi_record_write(void **state)
{
    (void)state;
    char dir[64], p[256];
    make_tmpdir(dir, sizeof(dir));
    seg_path(dir, 1, p, sizeof(p));
    wal_t *w = wopen(dir);
    append_range(w, 1, 10, 1, 1, true);
    wal_close(w);
    size_t start = records_end(p);
    w = wopen(dir);
    append_range(w, 11, 30, 1, 20, true);
    wal_close(w);
    size_t end = records_end(p), len;
    char *seg = read_file(p, &len);
    memset(seg + start + (end - start) / 3, 0, 512); /* a lost sector in the middle */
    write_file(p, seg, len);
    free(seg);
    w = wopen(dir);
    uint64_t first, last;
    wal_bounds(w, &first, &last);
    if (first != 1 || last <= 10 || last >= 29) fail_msg("recovered %llu..%llu", (unsigned long long)first,
                                                       (unsigned long long)last);
    expect_entry(w, last, 1);
    append_range(w, last + 1, last + 2, 2, 2, true);
    wal_close(w);
    w = wopen(dir);
    expect_bounds(w, 1, last + 2);
    expect_entry(w, last, 1);
    expect_entry(w, last + 2, 2);
    wal_close(w);
    st_rm_rf(dir);
}

static void test_corruption_fails_open(void **state)
{
    (void)state;
    char src[64], dir[64], p[256], q[256];
    size_t start, end, seglen;
    make_tmpdir(src, sizeof(src));
    build_last_record(src, 40, &start, &end);
    seg_path(src, 1, p, sizeof(p));
    char *seg = read_file(p, &seglen);
    /* any byte of an earlier record: a later write follows, so the damaged
     * record was synced (and maybe acknowledged) before it */
    for (size_t k = 0; k < start; k += 7) {
        make_tmpdir(dir, sizeof(dir));
        seg_path(dir, 1, q, sizeof(q));
        write_file(q, seg, seglen);
        xor_byte(q, k, 0x01);
        const char *msg = wopen_fails(dir);
        if (!strstr(msg, "corrupt") || !strstr(msg, "later write")) fail_msg("offset %zu: %s", k, msg);
        st_rm_rf(dir);
    }
    free(seg);
    st_rm_rf(src);

    /* damage in a segment that is not the last */
    make_tmpdir(dir, sizeof(dir));
    wal_t *w = wopen(dir);
    append_range(w, 1, 1500, 1, 10, true);
    wal_close(w);
    assert_true(count_segments(dir) >= 3);
    seg_path(dir, 2, q, sizeof(q));
    xor_byte(q, records_end(q) - 1, 0x01); /* its very last record */
    assert_non_null(strstr(wopen_fails(dir), "not the last"));
    xor_byte(q, records_end(q) - 1, 0x01);
    w = wopen(dir);
    expect_bounds(w, 1, 1500);
    wal_close(w);
    /* stray bytes after the records of a segment that is not the last */
    xor_byte(q, SEG - 1, 0x01);
    assert_non_null(strstr(wopen_fails(dir), "not the last"));
    xor_byte(q, SEG - 1, 0x01);

    /* a missing segment */
    char moved[300];
    snprintf(moved, sizeof(moved), "%s.moved", q);
    assert_int_equal(rename(q, moved), 0);
    assert_non_null(strstr(wopen_fails(dir), "missing"));
    assert_int_equal(rename(moved, q), 0);
    /* a checksum error found by a read after the open */
    w = wopen(dir);
    wal_close(w);
    st_rm_rf(dir);
}

/* A record damaged while the log is open is reported by wal_get. */
static void test_get_detects_damage(void **state)
{
    (void)state;
    char dir[64], p[256], err[512] = "";
    make_tmpdir(dir, sizeof(dir));
    seg_path(dir, 1, p, sizeof(p));
    wal_t *w = wopen(dir);
    append_range(w, 1, 5, 1, 1, true);
    size_t before = records_end(p);
    append_range(w, 6, 6, 1, 1, true);
    int fd = open(p, O_RDWR);
    assert_true(fd >= 0);
    char c;
    assert_int_equal(pread(fd, &c, 1, (off_t)before + 35), 1); /* a data byte of entry 6 */
    c ^= 0x10;
    assert_int_equal(pwrite(fd, &c, 1, (off_t)before + 35), 1);
    close(fd);
    wal_entry_t e;
    assert_int_equal(wal_get(w, 6, &e, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "checksum"));
    expect_entry(w, 5, 1);
    wal_close(w);
    st_rm_rf(dir);
}

/* Leftover temp files (a crash while a segment was being prepared) are
 * removed; the process dying without wal_close loses nothing written. */
static void test_crash_without_close(void **state)
{
    (void)state;
    char dir[64], p[256];
    make_tmpdir(dir, sizeof(dir));
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(20);
        char err[512];
        wal_t *w = wal_open(dir, SEG, err, sizeof(err));
        if (!w) _exit(2);
        wal_meta_put(w, "term", 5, false, err, sizeof(err));
        append_range(w, 1, 2000, 5, 16, false); /* never synced */
        _exit(0);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    snprintf(p, sizeof(p), "%s/new.tmp", dir);
    write_file(p, "junk", 4);
    snprintf(p, sizeof(p), "%s/next.tmp", dir);
    write_file(p, "junk", 4);
    wal_t *w = wopen(dir);
    expect_bounds(w, 1, 2000);
    for (uint64_t i = 1; i <= 2000; i += 11) expect_entry(w, i, 5);
    assert_true(wal_meta_get(w, "term", 0) == 5);
    snprintf(p, sizeof(p), "%s/new.tmp", dir);
    assert_int_not_equal(access(p, F_OK), 0);
    wal_close(w);
    st_rm_rf(dir);
}

/* ---- concurrency ---------------------------------------------------------------- */

typedef struct {
    wal_t *w;
    atomic_bool done;
    uint64_t top;
} writer_t;

/* Appends in batches, sometimes overwriting the last few entries with a
 * newer term, across many segment rollovers. */
static void *writer_main(void *arg)
{
    writer_t *wr = arg;
    uint64_t next = 1, term = 1;
    while (next <= wr->top) {
        uint64_t n = 1 + rnd() % 12;
        if (next > 20 && rnd() % 10 == 0) {
            next -= rnd() % 5 + 1;
            term++;
        }
        append_range(wr->w, next, next + n - 1, term, 12, next % 7 == 0);
        next += n;
    }
    atomic_store(&wr->done, true);
    return NULL;
}

static void test_concurrent_get_during_append(void **state)
{
    (void)state;
    char dir[64], err[512];
    make_tmpdir(dir, sizeof(dir));
    writer_t wr = {.w = wopen(dir), .top = 6000};
    atomic_init(&wr.done, false);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, writer_main, &wr), 0);
    uint64_t reads = 0;
    while (!atomic_load(&wr.done)) {
        uint64_t first, last;
        wal_bounds(wr.w, &first, &last);
        if (!last) continue;
        uint64_t i = first + rnd() % (last - first + 1);
        wal_entry_t e;
        int rc = wal_get(wr.w, i, &e, err, sizeof(err));
        if (rc == 1) continue; /* overwritten by a shorter suffix meanwhile */
        if (rc != 0) fail_msg("get %llu during appends: %s", (unsigned long long)i, err);
        char want[8192];
        size_t n = data_for(i, e.term, want);
        if (e.index != i || e.len != n || memcmp(e.data, want, n) != 0)
            fail_msg("entry %llu read during appends is wrong", (unsigned long long)i);
        free((void *)e.data);
        reads++;
    }
    pthread_join(th, NULL);
    assert_true(reads > 0);
    wal_close(wr.w);
    st_rm_rf(dir);
}

/* ---- a model check ----------------------------------------------------------------- */

/* Random appends (overwriting suffixes too), truncations, compactions,
 * hard-state writes and reopens, checked against a plain array. */
static void test_random_against_model(void **state)
{
    (void)state;
    char dir[64], err[512];
    make_tmpdir(dir, sizeof(dir));
    enum { MAXI = 5000 };
    uint64_t *terms = calloc(MAXI + 200, sizeof(*terms)); /* 0: absent */
    uint64_t first = 0, last = 0, floor = 0, term = 1, metav = 0;
    wal_t *w = wopen(dir);
    for (int step = 0; step < 600; step++) {
        int op = (int)(rnd() % 20);
        if (op < 12 && last < MAXI) {
            uint64_t from = last + 1;
            if (last && rnd() % 4 == 0) from = last - rnd() % (last - first + 1);
            if (from < floor) from = floor;
            if (!from) from = 1;
            uint64_t n = 1 + rnd() % 30;
            term++;
            append_range(w, from, from + n - 1, term, (int)(1 + rnd() % 8), rnd() % 2);
            for (uint64_t i = from; i < from + n; i++) terms[i] = term;
            for (uint64_t i = from + n; i <= last; i++) terms[i] = 0;
            if (!last || from < first) first = from;
            last = from + n - 1;
        } else if (op < 14 && last) {
            uint64_t from = first + rnd() % (last - first + 2);
            assert_int_equal(wal_truncate_suffix(w, from, err, sizeof(err)), 0);
            for (uint64_t i = from; i <= last; i++) terms[i] = 0;
            if (from <= first) first = last = 0;
            else if (from <= last) last = from - 1;
        } else if (op < 15 && last) {
            uint64_t upto = first + rnd() % (last - first + 1);
            assert_int_equal(wal_compact(w, upto, err, sizeof(err)), 0);
            for (uint64_t i = first; i <= upto && i <= last; i++) terms[i] = 0;
            if (upto + 1 > floor) floor = upto + 1;
            if (upto >= last) first = last = 0;
            else first = upto + 1;
        } else if (op < 17) {
            metav = rnd();
            assert_int_equal(wal_meta_put(w, "m", metav, rnd() % 2, err, sizeof(err)), 0);
        } else {
            wal_close(w);
            w = wopen(dir);
        }
        expect_bounds(w, first, last);
        if (last) {
            uint64_t i = first + rnd() % (last - first + 1);
            expect_entry(w, i, terms[i]);
        }
    }
    wal_close(w);
    w = wopen(dir);
    expect_bounds(w, first, last);
    for (uint64_t i = first; last && i <= last; i++) expect_entry(w, i, terms[i]);
    assert_true(wal_meta_get(w, "m", 0) == metav);
    assert_true(highest_segment(dir) > 3);
    wal_close(w);
    free(terms);
    st_rm_rf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_get_bounds_reopen),
        cmocka_unit_test(test_rollover),
        cmocka_unit_test(test_truncate_and_overwrite),
        cmocka_unit_test(test_compact_keeps_hard_state),
        cmocka_unit_test(test_meta),
        cmocka_unit_test(test_torn_tail_every_offset),
        cmocka_unit_test(test_torn_multi_record_write),
        cmocka_unit_test(test_corruption_fails_open),
        cmocka_unit_test(test_get_detects_damage),
        cmocka_unit_test(test_crash_without_close),
        cmocka_unit_test(test_concurrent_get_during_append),
        cmocka_unit_test(test_random_against_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
