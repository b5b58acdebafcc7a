/* See storetest.h. */
#include "support/storetest.h"
#include "storage/snapshot.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static uint64_t rng_state = 0x853C49E6748FEA9BULL;

uint64_t st_rnd(void)
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

void st_rm_rf(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Small log segments: opening stays cheap (a segment is zero-filled before
 * use) and the log tests cross segment boundaries. */
store_t *st_open_store(const char *dir)
{
    char err[256] = "";
    store_options_t o = {.wal_segment_size = 64 * 1024};
    store_t *s = store_open_opts(dir, &o, err, sizeof(err));
    if (!s) fail_msg("store_open(%s): %s", dir, err);
    store_set_inline_commits(s, st_commit_inline);
    return s;
}

bool st_commit_inline;

int st_setup_inline(void **state)
{
    st_commit_inline = true;
    return st_setup(state);
}

int st_setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/redraft-test-store-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    f->s = st_open_store(f->dir);
    *state = f;
    return 0;
}

int st_teardown(void **state)
{
    fx_t *f = *state;
    store_close(f->s);
    st_rm_rf(f->dir);
    free(f);
    st_commit_inline = false;
    return 0;
}

void st_reopen(fx_t *f)
{
    store_close(f->s);
    f->s = st_open_store(f->dir);
}

void st_put(store_txn_t *t, store_cf_t cf, const char *k, const char *v)
{
    store_put(t, cf, k, strlen(k), v, strlen(v));
}

void st_del(store_txn_t *t, store_cf_t cf, const char *k)
{
    store_del(t, cf, k, strlen(k));
}

void st_expect_get_at(const char *file, int line, store_txn_t *t, store_cf_t cf, const char *k, const char *want)
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

void st_commit(store_txn_t *t)
{
    char err[256] = "";
    if (store_txn_commit(t, err, sizeof(err)) != 0) fail_msg("commit: %s", err);
}

void st_put_commit(store_t *s, store_cf_t cf, const char *k, const char *v)
{
    store_txn_t *t = store_txn_begin(s, true);
    if (v) st_put(t, cf, k, v);
    else st_del(t, cf, k);
    st_commit(t);
}

void st_expect_same_manifest(const snap_manifest_t *a, const snap_manifest_t *b)
{
    assert_int_equal(a->index, b->index);
    assert_int_equal(a->term, b->term);
    assert_int_equal(a->conf_len, b->conf_len);
    if (a->conf_len) assert_memory_equal(a->conf, b->conf, a->conf_len);
    assert_int_equal(a->nfiles, b->nfiles);
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < a->nfiles; i++) {
        assert_string_equal(a->files[i].name, b->files[i].name);
        assert_int_equal(a->files[i].size, b->files[i].size);
        assert_int_equal(a->files[i].crc, b->files[i].crc);
        bytes += a->files[i].size;
    }
    assert_int_equal(b->bytes, bytes);
}

