/* Unit tests for src/storage/store_txn.c against real RocksDB instances in a
 * temporary directory (removed at teardown), part two: state-machine
 * transactions (the overlay, isolation from readers, commit through the
 * committer thread and its queue, abort), iterators merging a write txn with
 * the database, range deletion, and the write-through cache (coherence with
 * commits, negative entries, tiny budgets, huge values). The log and the
 * hard state are in test_store_log.c; the shared fixture is
 * tests/support/storetest.c. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/store.h"
#include "support/storetest.h"

/* The cache's counters (store_cache_stats); NULL for any not wanted. */
static void cache_stats(store_t *s, uint64_t *hits, uint64_t *misses, uint64_t *entries, uint64_t *bytes)
{
    uint64_t h, m, e, b;
    store_cache_stats(s, &h, &m, &e, &b);
    if (hits) *hits = h;
    if (misses) *misses = m;
    if (entries) *entries = e;
    if (bytes) *bytes = b;
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

static void test_clear(void **state)
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

    /* a write of the txn before the clear is cleared with the rest; one
     * after it stays; a reader sees the clear once it is written */
    store_txn_t *r = store_txn_begin(f->s, false);
    t = store_txn_begin(f->s, true);
    tput(t, CF_DATA, "mbb", "written before the clear");
    store_clear(t, CF_DATA);
    expect_get(t, CF_DATA, "mb", NULL);
    expect_get(t, CF_DATA, "mbb", NULL);
    expect_get(r, CF_DATA, "ma", NULL);
    tput(t, CF_DATA, "mb", "after");
    expect_get(t, CF_DATA, "mb", "after");
    collect(t, CF_DATA, "", NULL, out, sizeof(out));
    assert_string_equal(out, "mb=after;");
    commit(t);
    expect_get(r, CF_DATA, "mb", "after");
    expect_get(r, CF_DATA, "mbb", NULL);
    expect_get(r, CF_META, "nkeys", "3");

    /* everything, as FLUSHALL does; the meta CF is untouched */
    t = store_txn_begin(f->s, true);
    tput(t, CF_META, "nkeys", "0");
    store_clear(t, CF_DATA);
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

/* A clear empties the cache: no value or absence cached before it is served
 * after it. */
static void test_clear_empties_cache(void **state)
{
    fx_t *f = *state;
    store_enable_cache(f->s, 1 << 20);
    put_commit(f->s, CF_DATA, "ma", "1");
    put_commit(f->s, CF_DATA, "mb", "2");
    store_drain(f->s); /* reads of a batch still queued are answered from it, not the cache */
    store_txn_t *r = store_txn_begin(f->s, false);
    expect_get(r, CF_DATA, "ma", "1");
    expect_get(r, CF_DATA, "mb", "2");
    uint64_t entries;
    cache_stats(f->s, NULL, NULL, &entries, NULL);
    assert_true(entries >= 2);

    store_txn_t *t = store_txn_begin(f->s, true);
    store_clear(t, CF_DATA);
    cache_stats(f->s, NULL, NULL, &entries, NULL);
    assert_int_equal(entries, 0);
    expect_get(r, CF_DATA, "ma", NULL); /* the deletion is written at once */
    tput(t, CF_DATA, "mb", "3");
    commit(t);
    expect_get(r, CF_DATA, "ma", NULL);
    expect_get(r, CF_DATA, "mb", "3");
}

/* A clear of another CF writes the txn's earlier data-CF changes
 * at once and starts the txn over with an empty overlay: those changes must
 * still reach the write-through cache (store.h: commits update it). */
static void test_clear_other_cf_keeps_cache_coherent(void **state)
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
    store_clear(t, CF_META);
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
        store_drain(f->s); /* else the read is answered by the queued batch */
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

/* The committer writes batches into the cache (and evicts from it) while the
 * loop thread reads: every read, whether answered by a queued batch, the
 * cache or RocksDB, is the latest committed value. Many small batches keep
 * the committer busy during the reads; a small budget keeps it evicting. */
static void test_cache_reads_while_committer_updates(void **state)
{
    fx_t *f = *state;
    store_enable_cache(f->s, 16384);
    enum { N = 300, ROUNDS = 4000 };
    static int model[N]; /* 0: absent, else the value's number */
    memset(model, 0, sizeof(model));
    char k[32], v[64];
    store_txn_t *r = store_txn_begin(f->s, false);
    for (int round = 1; round <= ROUNDS; round++) {
        store_txn_t *t = store_txn_begin(f->s, true);
        for (int w = 0; w < 4; w++) {
            int i = (int)(rnd() % N);
            snprintf(k, sizeof(k), "key%d", i);
            if (rnd() % 5 == 0) {
                tdel(t, CF_DATA, k);
                model[i] = 0;
            } else {
                snprintf(v, sizeof(v), "%d-%0*d", round, (int)(rnd() % 40), w);
                tput(t, CF_DATA, k, v);
                model[i] = round * 4 + w;
            }
            /* a write txn sees its own write and everything committed */
            int j = (int)(rnd() % N);
            snprintf(k, sizeof(k), "key%d", j);
            char *got = NULL;
            size_t glen = 0;
            int rc = store_get(t, CF_DATA, k, strlen(k), &got, &glen);
            assert_int_equal(rc, model[j] != 0);
            store_free(got);
        }
        commit(t);
        for (int q = 0; q < 6; q++) {
            int i = (int)(rnd() % N);
            snprintf(k, sizeof(k), "key%d", i);
            char *got = NULL;
            size_t glen = 0;
            int rc = store_get(r, CF_DATA, k, strlen(k), &got, &glen);
            assert_int_equal(rc, model[i] != 0);
            if (rc == 1) { /* the value starts with the round that wrote it */
                assert_int_equal(atoi(got), model[i] / 4);
            }
            store_free(got);
        }
    }
    store_drain(f->s);
    reopen(f); /* what the committer wrote agrees with the model */
    r = store_txn_begin(f->s, false);
    for (int i = 0; i < N; i++) {
        snprintf(k, sizeof(k), "key%d", i);
        char *got = NULL;
        size_t glen = 0;
        int rc = store_get(r, CF_DATA, k, strlen(k), &got, &glen);
        assert_int_equal(rc, model[i] != 0);
        if (rc == 1) assert_int_equal(atoi(got), model[i] / 4);
        store_free(got);
    }
}

/* ---- prefetch ---------------------------------------------------------------- */

static void prefetch(store_txn_t *t, const char **keys, size_t n)
{
    size_t lens[16];
    for (size_t i = 0; i < n; i++)
        lens[i] = strlen(keys[i]);
    store_txn_prefetch(t, keys, lens, n);
}

/* What a txn reads after a batched prefetch is what it would read without:
 * committed values and absences, duplicates, its own writes over them, and
 * a batch still queued over what RocksDB (or the cache) answered. */
static void prefetch_answers(fx_t *f, size_t cache_bytes)
{
    store_enable_cache(f->s, cache_bytes);
    put_commit(f->s, CF_DATA, "a", "1");
    put_commit(f->s, CF_DATA, "b", "2");
    put_commit(f->s, CF_DATA, "gone", "x");
    put_commit(f->s, CF_DATA, "gone", NULL);
    store_drain(f->s);
    put_commit(f->s, CF_DATA, "b", "2 queued"); /* may still be queued during the prefetch */
    store_txn_t *t = store_txn_begin(f->s, true);
    const char *keys[] = {"a", "b", "gone", "never", "a", ""};
    prefetch(t, keys, 6);
    expect_get(t, CF_DATA, "a", "1");
    expect_get(t, CF_DATA, "b", "2 queued");
    expect_get(t, CF_DATA, "gone", NULL);
    expect_get(t, CF_DATA, "never", NULL);
    expect_get(t, CF_DATA, "", NULL);
    tput(t, CF_DATA, "a", "mine");
    tdel(t, CF_DATA, "b");
    expect_get(t, CF_DATA, "a", "mine");
    expect_get(t, CF_DATA, "b", NULL);
    expect_get(t, CF_DATA, "notprefetched", NULL);
    commit(t);
    store_txn_t *r = store_txn_begin(f->s, false);
    expect_get(r, CF_DATA, "a", "mine");
    expect_get(r, CF_DATA, "b", NULL);
}

/* no cache: every key goes to the MultiGet */
static void test_prefetch_answers(void **state)
{
    prefetch_answers(*state, 0);
}

/* a cache over an empty store holds the whole data set: the keys it answers
 * skip the MultiGet */
static void test_prefetch_answers_complete_cache(void **state)
{
    prefetch_answers(*state, 1 << 20);
}

/* a cache made over data it never saw: the keys it holds skip the MultiGet,
 * the rest is asked */
static void test_prefetch_answers_cold_cache(void **state)
{
    fx_t *f = *state;
    put_commit(f->s, CF_DATA, "old", "o");
    store_drain(f->s);
    reopen(f);
    store_enable_cache(f->s, 1 << 20);
    store_txn_t *r = store_txn_begin(f->s, false);
    expect_get(r, CF_DATA, "old", "o"); /* now cached */
    store_txn_t *t = store_txn_begin(f->s, true);
    const char *keys[] = {"old", "missing"};
    prefetch(t, keys, 2);
    expect_get(t, CF_DATA, "old", "o");
    expect_get(t, CF_DATA, "missing", NULL);
    store_txn_abort(t);
    prefetch_answers(f, 1 << 20);
}

/* A cache made over an empty data set holds all of it: a key it does not
 * hold is absent, answered without RocksDB and without a negative entry.
 * It stops being complete when it drops an entry (eviction, a value too
 * large to keep) and is complete again when the data set is emptied. */
static void test_cache_complete(void **state)
{
    fx_t *f = *state;
    char k[32], v[64];
    uint64_t h0, m0, e0, h1, m1, e1;
    store_enable_cache(f->s, 1 << 20);
    store_txn_t *r = store_txn_begin(f->s, false);
    put_commit(f->s, CF_DATA, "k", "v");
    store_drain(f->s);
    cache_stats(f->s, &h0, &m0, &e0, NULL);
    for (int i = 0; i < 100; i++) {
        snprintf(k, sizeof(k), "absent%d", i);
        expect_get(r, CF_DATA, k, NULL);
    }
    expect_get(r, CF_DATA, "k", "v");
    cache_stats(f->s, &h1, &m1, &e1, NULL);
    assert_int_equal(m1, m0);       /* no miss: the cache answered */
    assert_int_equal(h1, h0 + 101);
    assert_int_equal(e1, e0);       /* no negative entries needed */

    /* reopened over data it never saw: a miss is a miss */
    reopen(f);
    store_enable_cache(f->s, 1 << 20);
    r = store_txn_begin(f->s, false);
    cache_stats(f->s, &h0, &m0, NULL, NULL);
    expect_get(r, CF_DATA, "absent0", NULL);
    expect_get(r, CF_DATA, "k", "v");
    cache_stats(f->s, NULL, &m1, NULL, NULL);
    assert_int_equal(m1, m0 + 2);

    /* emptied: complete again */
    store_txn_t *t = store_txn_begin(f->s, true);
    store_clear(t, CF_DATA);
    commit(t);
    store_drain(f->s);
    cache_stats(f->s, NULL, &m0, NULL, NULL);
    expect_get(r, CF_DATA, "k", NULL);
    expect_get(r, CF_DATA, "absent1", NULL);
    cache_stats(f->s, NULL, &m1, NULL, NULL);
    assert_int_equal(m1, m0);

    /* a value too large to keep: the key exists though the cache lacks it */
    store_enable_cache(f->s, 8192);
    char *big = malloc(2001);
    memset(big, 'B', 2000);
    big[2000] = '\0';
    put_commit(f->s, CF_DATA, "big", big);
    store_drain(f->s);
    expect_get(r, CF_DATA, "big", big);
    free(big);

    /* evictions: the keys dropped are still there */
    store_txn_t *d = store_txn_begin(f->s, true);
    store_clear(d, CF_DATA);
    commit(d);
    store_enable_cache(f->s, 4096);
    for (int i = 0; i < 200; i++) {
        snprintf(k, sizeof(k), "e%d", i);
        snprintf(v, sizeof(v), "value %d", i);
        put_commit(f->s, CF_DATA, k, v);
    }
    store_drain(f->s);
    for (int i = 0; i < 200; i++) {
        snprintf(k, sizeof(k), "e%d", i);
        snprintf(v, sizeof(v), "value %d", i);
        expect_get(r, CF_DATA, k, v);
    }
    expect_get(r, CF_DATA, "absent2", NULL);

    /* empty, but behind more tombstones than the look at the data set steps
     * over: not complete (correct either way; the bound keeps it cheap) */
    store_txn_t *w = store_txn_begin(f->s, true);
    store_clear(w, CF_DATA);
    for (int i = 0; i < 12000; i++) {
        snprintf(k, sizeof(k), "t%05d", i);
        tput(w, CF_DATA, k, "x");
    }
    commit(w);
    w = store_txn_begin(f->s, true);
    for (int i = 0; i < 12000; i++) {
        snprintf(k, sizeof(k), "t%05d", i);
        tdel(w, CF_DATA, k);
    }
    commit(w);
    store_enable_cache(f->s, 1 << 20);
    cache_stats(f->s, NULL, &m0, NULL, NULL);
    expect_get(r, CF_DATA, "t00001", NULL);
    cache_stats(f->s, NULL, &m1, NULL, NULL);
    assert_int_equal(m1, m0 + 1);
}

/* A prefetched answer holds only while no batch leaves the commit queue: a
 * batch written after the prefetch and reaped (here: by a drain, as an
 * iterator does) must be read, not the older answer. */
static void test_prefetch_dropped_when_batches_reaped(void **state)
{
    fx_t *f = *state;
    store_enable_cache(f->s, 1 << 20);
    put_commit(f->s, CF_DATA, "k", "old");
    store_drain(f->s);
    store_txn_t *t1 = store_txn_begin(f->s, true);
    const char *keys[] = {"k"};
    prefetch(t1, keys, 1);
    expect_get(t1, CF_DATA, "k", "old");
    put_commit(f->s, CF_DATA, "k", "new"); /* another txn's commit */
    store_drain(f->s);                     /* written and reaped */
    expect_get(t1, CF_DATA, "k", "new");
    store_txn_abort(t1);

    /* a range deletion inside the txn: the prefetched value is gone too */
    store_txn_t *t2 = store_txn_begin(f->s, true);
    prefetch(t2, keys, 1);
    expect_get(t2, CF_DATA, "k", "new");
    store_clear(t2, CF_DATA);
    expect_get(t2, CF_DATA, "k", NULL);
    commit(t2);
}

/* The data CF's tuning reaches RocksDB (it goes through an options string
 * that a library could refuse, and then only a warning says so): its
 * OPTIONS file names the insert hint per record kind and the L0 trigger.
 * And writes through the hinted inserts read back right: random keys
 * in sorted batches, over a few memtable flushes (into L0 and through
 * compactions), some overwritten and some deleted in later batches, and a
 * clear halfway (RocksDB 7.8, built with assertions, aborts if its range
 * tombstone meets a hint), checked after a reopen. */
static void test_data_cf_tuning(void **state)
{
    fx_t *f = *state;
    enum { N = 30000, B = 600 };
    char k[32], v[320];
    static uint32_t val_of[N]; /* 0: absent, else the value's tag */
    memset(val_of, 0, sizeof(val_of));
    uint32_t tag = 1;
    for (int b = 0; b < 3 * N / B; b++, tag++) {
        store_txn_t *t = store_txn_begin(f->s, true);
        if (b == 3 * N / B / 2) { /* FLUSHALL's range tombstone between hinted inserts (store_clear) */
            store_clear(t, CF_DATA);
            memset(val_of, 0, sizeof(val_of));
        }
        for (int i = 0; i < B; i++) {
            uint32_t key = (uint32_t)(rnd() % N);
            snprintf(k, sizeof(k), "m%08u", key);
            if (rnd() % 8 == 0) {
                tdel(t, CF_DATA, k);
                val_of[key] = 0;
            } else {
                snprintf(v, sizeof(v), "%u:%u:%0300u", tag, key, key);
                tput(t, CF_DATA, k, v);
                val_of[key] = tag;
            }
        }
        commit(t);
    }
    reopen(f);
    store_txn_t *r = store_txn_begin(f->s, false);
    for (uint32_t key = 0; key < N; key++) {
        snprintf(k, sizeof(k), "m%08u", key);
        if (val_of[key]) snprintf(v, sizeof(v), "%u:%u:%0300u", val_of[key], key, key);
        expect_get(r, CF_DATA, k, val_of[key] ? v : NULL);
    }
    store_txn_abort(r);

    /* the newest OPTIONS file, its data CF section */
    char path[128], best[256] = "";
    snprintf(path, sizeof(path), "%s/sm", f->dir);
    DIR *d = opendir(path);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, "OPTIONS-", 8) == 0 && strcmp(e->d_name, best) > 0)
            snprintf(best, sizeof(best), "%s", e->d_name);
    closedir(d);
    assert_true(best[0]);
    char file[400];
    snprintf(file, sizeof(file), "%s/%s", path, best);
    FILE *fp = fopen(file, "r");
    assert_non_null(fp);
    char line[512];
    bool in_data = false, hint = false, trigger = false;
    while (fgets(line, sizeof(line), fp)) {
        if (line[0] == '[') in_data = strstr(line, "[CFOptions \"data\"]") != NULL;
        if (!in_data) continue;
        hint |= strstr(line, "memtable_insert_with_hint_prefix_extractor=rocksdb.FixedPrefix.1") != NULL;
        trigger |= strstr(line, "level0_file_num_compaction_trigger=8\n") != NULL;
    }
    fclose(fp);
    assert_true(hint);
    assert_true(trigger);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, st_setup, st_teardown)
#define TI(name) {#name " (inline commits)", name, st_setup_inline, st_teardown, NULL}
    const struct CMUnitTest tests[] = {
        T(test_txn_overlay),
        T(test_put_del_put),
        T(test_abort_discards),
        T(test_read_txn_shared),
        T(test_overlay_many_keys),
        T(test_commit_queue_newest_wins),
        T(test_empty_values),
        T(test_iter_write_txn_merges),
        T(test_iter_order_and_committed_batches),
        T(test_clear),
        T(test_clear_empties_cache),
        T(test_cache_write_through),
        T(test_cache_negative),
        T(test_cache_tiny_budget),
        T(test_cache_huge_value),
        T(test_cache_reads_while_committer_updates),
        T(test_prefetch_answers),
        T(test_prefetch_answers_complete_cache),
        T(test_prefetch_answers_cold_cache),
        T(test_cache_complete),
        T(test_prefetch_dropped_when_batches_reaped),
        T(test_data_cf_tuning),
        /* the same with small commits written in the caller's thread, as a node does */
        TI(test_txn_overlay),
        TI(test_commit_queue_newest_wins),
        TI(test_iter_order_and_committed_batches),
        TI(test_clear),
        TI(test_clear_empties_cache),
        TI(test_cache_write_through),
        TI(test_cache_negative),
        TI(test_cache_reads_while_committer_updates),
        TI(test_prefetch_answers_complete_cache),
        TI(test_prefetch_answers_cold_cache),
        TI(test_cache_complete),
        TI(test_data_cf_tuning),
        /* bugs in store_txn.c that no caller reaches yet (see each test's comment) */
        T(test_clear_other_cf_keeps_cache_coherent),
    };
#undef T
#undef TI
    return cmocka_run_group_tests(tests, NULL, NULL);
}
