/* Unit test for the data CF's early compaction of deletion runs (store.c,
 * TOMBSTONE_WINDOW / TOMBSTONE_TRIGGER): after a contiguous range of keys is
 * deleted and the deletions reach disk, an iterator that starts before the
 * range must soon stop stepping over their tombstones, even though nothing
 * else is written (RocksDB's own triggers would leave them until L0 fills).
 * The steps are counted with RocksDB's internal_delete_skipped_count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "storage/store.h"
#include "support/cmdtest.h"
#include "support/storetest.h"

enum { KEYS = 120000, DELETED = 108000, FILLER = 60000, BATCH = 1000 };

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Keys "mk0000000".. with 100-byte values, or deletes of them, in batches
 * of BATCH from `from` to `to`, through the committer as a node does. */
static void write_range(store_t *s, const char *prefix, int from, int to, bool del)
{
    char k[32], v[101];
    memset(v, 'v', 100);
    v[100] = '\0';
    for (int b = from; b < to; b += BATCH) {
        store_txn_t *t = store_txn_begin(s, true);
        for (int i = b; i < to && i < b + BATCH; i++) {
            snprintf(k, sizeof(k), "%s%07d", prefix, i);
            if (del)
                tdel(t, CF_DATA, k);
            else
                tput(t, CF_DATA, k, v);
        }
        commit(t);
    }
    store_drain(s);
}

/* The first live key from "m" on (copied into first), and how many
 * tombstones the seek stepped over to find it. */
static uint64_t first_key(store_t *s, char *first, size_t len)
{
    ct_tombstones_skipped(); /* zeroed, and counting on in this thread */
    store_txn_t *t = store_txn_begin(s, false);
    store_iter_t *it = store_iter_new(t, CF_DATA);
    store_iter_seek(it, "m", 1);
    first[0] = '\0';
    if (store_iter_valid(it)) {
        size_t kl;
        const char *kp = store_iter_key(it, &kl);
        snprintf(first, len, "%.*s", (int)kl, kp);
    }
    store_iter_free(it);
    store_txn_abort(t);
    return ct_tombstones_skipped();
}

static void test_deleted_range_is_compacted(void **state)
{
    fx_t *f = *state;
    write_range(f->s, "mk", 0, KEYS, false);
    write_range(f->s, "mk", 0, DELETED, true);
    /* keys after the range push the deletions out of the memtables into
     * files, where only compaction drops them */
    write_range(f->s, "mz", 0, FILLER, false);

    char first[64], want[32];
    snprintf(want, sizeof(want), "mk%07d", DELETED);
    uint64_t skipped = first_key(f->s, first, sizeof(first));
    assert_string_equal(first, want);
    fprintf(stderr, "  right after the deletes: %llu tombstones stepped over\n", (unsigned long long)skipped);

    int64_t t0 = mono_ms(), deadline = t0 + 30000;
    while ((skipped = first_key(f->s, first, sizeof(first))) >= 1000) {
        assert_string_equal(first, want);
        if (mono_ms() > deadline)
            fail_msg("30 s after %d contiguous deletes a seek still steps over %llu tombstones: the files "
                     "holding them were never compacted",
                     DELETED, (unsigned long long)skipped);
        usleep(100000);
    }
    assert_string_equal(first, want);
    fprintf(stderr, "  %llu tombstones stepped over %lld ms later\n", (unsigned long long)skipped,
            (long long)(mono_ms() - t0));

    /* nothing live was lost with them */
    store_txn_t *t = store_txn_begin(f->s, false);
    char k[32];
    for (int i = 0; i < KEYS; i += 997) {
        snprintf(k, sizeof(k), "mk%07d", i);
        char *v = NULL;
        size_t vlen = 0;
        int rc = store_get(t, CF_DATA, k, strlen(k), &v, &vlen);
        assert_int_equal(rc, i < DELETED ? 0 : 1);
        if (rc == 1) {
            assert_int_equal(vlen, 100);
            store_free(v);
        }
    }
    store_txn_abort(t);
}

/* Deletions few enough to stay in the memtable: nothing flushes it on an
 * idle node, so store_flush_tombstones (the node calls it once a second)
 * must, and then they go the way of the test above. It leaves a memtable of
 * mostly live entries alone. */
static void test_deletes_in_memtable_are_flushed(void **state)
{
    fx_t *f = *state;
    enum { N = 30000, D = 20000 };
    write_range(f->s, "mk", 0, N, false);
    store_compact_data(f->s); /* the keys in a file, the memtable empty */
    write_range(f->s, "mk", 0, D / 10, true);
    assert_false(store_flush_tombstones(f->s)); /* 2,000 deletes: below the trigger */
    write_range(f->s, "mz", 0, D / 2, false);
    write_range(f->s, "mk", D / 10, 3 * D / 10, true);
    assert_false(store_flush_tombstones(f->s)); /* 6,000 deletes among 16,000 entries: mostly live */

    store_compact_data(f->s);
    write_range(f->s, "mk", 0, N, false);
    store_compact_data(f->s);
    write_range(f->s, "mk", 0, D, true);
    char first[64], want[32];
    snprintf(want, sizeof(want), "mk%07d", D);
    uint64_t skipped = first_key(f->s, first, sizeof(first));
    assert_string_equal(first, want);
    assert_true(skipped >= D);
    assert_true(store_flush_tombstones(f->s));
    int64_t t0 = mono_ms(), deadline = t0 + 30000;
    while ((skipped = first_key(f->s, first, sizeof(first))) >= 1000) {
        if (mono_ms() > deadline)
            fail_msg("30 s after the flush a seek still steps over %llu tombstones", (unsigned long long)skipped);
        usleep(100000);
    }
    assert_string_equal(first, want);
    fprintf(stderr, "  %d deletes in the memtable: %llu tombstones stepped over %lld ms after the flush\n", D,
            (unsigned long long)skipped, (long long)(mono_ms() - t0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_deleted_range_is_compacted, st_setup, st_teardown),
        cmocka_unit_test_setup_teardown(test_deletes_in_memtable_are_flushed, st_setup, st_teardown),
    };
    return cmocka_run_group_tests_name("store tombstones", tests, NULL, NULL);
}
