/* Unit tests of the snapshot manifest's bytes (src/storage/snapshot.c): round
 * trips, every damaged byte and every truncation refused, lengths and names a
 * peer must not get through. The rest of the snapshot code, on real RocksDB
 * stores, is tested in test_snapshot_store.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/snapshot.h"
#include "support/storetest.h"
#include "util/crc32c.h"
#include "util/log.h"

/* ---- the manifest's bytes ------------------------------------------------------ */

/* A manifest with nfiles files of assorted names and sizes, conf_len bytes of
 * configuration (NULs and 0xff included). */
static void sample_manifest(snap_manifest_t *m, uint32_t nfiles, uint32_t conf_len)
{
    memset(m, 0, sizeof(*m));
    m->index = 0x0123456789abcdefull;
    m->term = UINT64_MAX - 7;
    m->conf_len = conf_len;
    for (uint32_t i = 0; i < conf_len; i++) m->conf[i] = (char)(i * 37 % 256);
    m->nfiles = nfiles;
    m->files = nfiles ? calloc(nfiles, sizeof(*m->files)) : NULL;
    for (uint32_t i = 0; i < nfiles; i++) {
        snap_file_t *f = &m->files[i];
        if (i == 0) snprintf(f->name, sizeof(f->name), "000012.sst");
        else if (i == 1) snprintf(f->name, sizeof(f->name), "CURRENT");
        else if (i == 2) memset(f->name, 'n', SNAP_NAME_MAX - 1); /* the longest allowed */
        else snprintf(f->name, sizeof(f->name), "MANIFEST-%06u", i);
        f->size = i == 1 ? 0 : (1ull << 40) + i; /* an empty file, and big ones */
        f->crc = 0xdeadbeefu ^ i;
        m->bytes += f->size;
    }
}

static void fix_crc(char *buf, size_t len)
{
    uint32_t c = crc32c(0, buf, len - 4);
    for (int i = 0; i < 4; i++) buf[len - 4 + i] = (char)(c >> (8 * i));
}

static void put_le(char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) p[i] = (char)(v >> (8 * i));
}

static void expect_refused(const char *buf, size_t len, const char *why)
{
    snap_manifest_t m;
    char err[256] = "";
    if (snap_manifest_decode(&m, buf, len, err, sizeof(err)) == 0) {
        snap_manifest_free(&m);
        fail_msg("a manifest with %s was accepted", why);
    }
    assert_true(err[0] != 0);
    assert_null(m.files);
    assert_int_equal(m.nfiles, 0);
    snap_manifest_free(&m); /* harmless after a refusal */
}

static void test_manifest_round_trip(void **state)
{
    (void)state;
    static const struct {
        uint32_t nfiles, conf_len;
    } cases[] = {{0, 0}, {1, 0}, {1, 5}, {3, 17}, {7, 300}, {4, SNAP_CONF_MAX}};
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        snap_manifest_t m, d;
        sample_manifest(&m, cases[c].nfiles, cases[c].conf_len);
        size_t need = snap_manifest_size(&m);
        size_t want = 3 + 8 + 8 + 4 + m.conf_len + 4 + 4;
        for (uint32_t i = 0; i < m.nfiles; i++) want += 2 + strlen(m.files[i].name) + 8 + 4;
        assert_int_equal(need, want);
        char *buf = malloc(need + 16);
        assert_int_equal(snap_manifest_encode(&m, buf, need - 1), 0); /* too small */
        assert_int_equal(snap_manifest_encode(&m, buf, need + 16), need);
        assert_memory_equal(buf, "RS\x01", 3);
        char err[256] = "";
        if (snap_manifest_decode(&d, buf, need, err, sizeof(err)) != 0) fail_msg("case %zu: %s", c, err);
        st_expect_same_manifest(&m, &d);
        snap_manifest_free(&d);
        assert_null(d.files);
        assert_int_equal(d.nfiles, 0);

        /* every single damaged byte is refused: by the magic, the version or the checksum */
        for (size_t i = 0; i < need; i++)
            for (int bit = 0; bit < 8; bit += 7) {
                buf[i] ^= (char)(1 << bit);
                expect_refused(buf, need, "a flipped bit");
                buf[i] ^= (char)(1 << bit);
            }
        /* and every truncation, and a byte too many (even with its checksum fixed) */
        for (size_t len = 0; len < need; len++) expect_refused(buf, len, "a truncation");
        memmove(buf + need - 3, buf + need - 4, 4);
        buf[need - 4] = 0;
        fix_crc(buf, need + 1);
        expect_refused(buf, need + 1, "a trailing byte");

        /* the deep copy is a separate manifest */
        snap_manifest_t cp;
        assert_int_equal(snap_manifest_copy(&cp, &m), 0);
        st_expect_same_manifest(&m, &cp);
        if (m.nfiles) {
            assert_ptr_not_equal(cp.files, m.files);
            cp.files[0].crc ^= 1;
            assert_int_not_equal(cp.files[0].crc, m.files[0].crc);
        } else {
            assert_null(cp.files);
        }
        snap_manifest_free(&cp);
        snap_manifest_free(&m);
        free(buf);
    }
}

/* A manifest of nfiles files named names[i] (lens[i] bytes), built by hand
 * as a peer might send it, with a valid checksum. Returns its length. */
static size_t raw_files(char *buf, const char *const *names, const size_t *lens, uint32_t nfiles)
{
    char *p = buf;
    memcpy(p, "RS\x01", 3);
    p += 3;
    put_le(p, 7, 8), p += 8;      /* index */
    put_le(p, 1, 8), p += 8;      /* term */
    put_le(p, 0, 4), p += 4;      /* conf_len */
    put_le(p, nfiles, 4), p += 4; /* offset 23 */
    for (uint32_t i = 0; i < nfiles; i++) {
        put_le(p, lens[i], 2), p += 2; /* offset 27 for the first */
        memcpy(p, names[i], lens[i]), p += lens[i];
        put_le(p, 10, 8), p += 8; /* size */
        put_le(p, 0x1234, 4), p += 4;
    }
    size_t len = (size_t)(p - buf) + 4;
    fix_crc(buf, len);
    return len;
}

static size_t raw_one_file(char *buf, const char *name, size_t nl)
{
    return raw_files(buf, &name, &nl, 1);
}

static void test_manifest_refuses_bad_fields(void **state)
{
    (void)state;
    char buf[1024], err[256];
    snap_manifest_t m;

    /* the hand-built form is right: a plain name gets through */
    size_t len = raw_one_file(buf, "000001.sst", 10);
    assert_int_equal(snap_manifest_decode(&m, buf, len, err, sizeof(err)), 0);
    assert_int_equal(m.index, 7);
    assert_int_equal(m.nfiles, 1);
    assert_string_equal(m.files[0].name, "000001.sst");
    assert_int_equal(m.files[0].size, 10);
    assert_int_equal(m.files[0].crc, 0x1234);
    snap_manifest_free(&m);
    len = raw_one_file(buf, "a..b", 4); /* dots inside a name are fine */
    assert_int_equal(snap_manifest_decode(&m, buf, len, err, sizeof(err)), 0);
    snap_manifest_free(&m);

    /* names that could reach outside the directory, or are not names at all */
    static const struct {
        const char *name;
        size_t len;
    } bad[] = {
        {"../x", 4}, {"..", 2}, {".", 1}, {".hidden", 7}, {"a/b", 3}, {"/etc/passwd", 11},
        {"x/", 2},   {"", 0},   {"a\0b", 3},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        for (int second = 0; second < 2; second++) {
            /* alone, and first of two (so that an empty name cannot be
             * refused for the file count instead) */
            const char *names[2] = {bad[i].name, "000009.sst"};
            size_t lens[2] = {bad[i].len, 10};
            len = raw_files(buf, names, lens, second ? 2 : 1);
            err[0] = 0;
            if (snap_manifest_decode(&m, buf, len, err, sizeof(err)) != -1)
                fail_msg("file name \"%.*s\" accepted", (int)bad[i].len, bad[i].name);
            if (second || bad[i].len) assert_non_null(strstr(err, "file name"));
            assert_null(m.files);
        }
    /* and the second of two */
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *names[2] = {"000009.sst", bad[i].name};
        size_t lens[2] = {10, bad[i].len};
        len = raw_files(buf, names, lens, 2);
        assert_int_equal(snap_manifest_decode(&m, buf, len, err, sizeof(err)), -1);
        assert_null(m.files);
    }
    char longname[SNAP_NAME_MAX + 1];
    memset(longname, 'a', sizeof(longname));
    len = raw_one_file(buf, longname, SNAP_NAME_MAX - 1);
    assert_int_equal(snap_manifest_decode(&m, buf, len, err, sizeof(err)), 0);
    assert_int_equal(strlen(m.files[0].name), SNAP_NAME_MAX - 1);
    snap_manifest_free(&m);
    len = raw_one_file(buf, longname, SNAP_NAME_MAX); /* would not fit name[] with its NUL */
    assert_int_equal(snap_manifest_decode(&m, buf, len, err, sizeof(err)), -1);

    /* a name longer than what is left */
    len = raw_one_file(buf, "abc", 3);
    put_le(buf + 27, 200, 2);
    fix_crc(buf, len);
    expect_refused(buf, len, "a name running past the end");

    /* other magic or version, even with a valid checksum */
    len = raw_one_file(buf, "abc", 3);
    buf[0] = 'X';
    fix_crc(buf, len);
    expect_refused(buf, len, "another magic");
    len = raw_one_file(buf, "abc", 3);
    buf[2] = 2;
    fix_crc(buf, len);
    expect_refused(buf, len, "version 2");

    /* lengths and counts that do not fit */
    len = raw_one_file(buf, "abc", 3);
    put_le(buf + 19, SNAP_CONF_MAX + 1, 4);
    fix_crc(buf, len);
    expect_refused(buf, len, "a configuration over SNAP_CONF_MAX");
    len = raw_one_file(buf, "abc", 3);
    put_le(buf + 19, 1000, 4); /* below the maximum but past the end */
    fix_crc(buf, len);
    expect_refused(buf, len, "a configuration past the end");
    len = raw_one_file(buf, "abc", 3);
    put_le(buf + 23, 0xffffffffu, 4);
    fix_crc(buf, len);
    expect_refused(buf, len, "a huge file count");
    len = raw_one_file(buf, "abc", 3);
    put_le(buf + 23, 2, 4);
    fix_crc(buf, len);
    expect_refused(buf, len, "one file more than there is");
    len = raw_one_file(buf, "abc", 3);
    put_le(buf + 23, 0, 4);
    fix_crc(buf, len);
    expect_refused(buf, len, "one file more than counted");
    len = raw_one_file(buf, "abc", 3);
    put_le(buf + 32, UINT64_MAX, 8); /* size: the total would overflow */
    fix_crc(buf, len);
    expect_refused(buf, len, "an absurd file size");
    expect_refused("RS\x01", 3, "three bytes");
    expect_refused("", 0, "nothing");
}

int main(void)
{
    log_init(0, LOG_ERROR, NULL); /* the warnings the tests provoke are expected */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_round_trip),
        cmocka_unit_test(test_manifest_refuses_bad_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
