/* Unit tests for src/storage/cache.c, the write-through CLOCK cache of data-CF
 * records: hits and misses, negative entries, replacement, CLOCK eviction, the
 * byte budget, huge values, clear, hash collisions and growth, and a
 * randomized check against a model (a cached answer must always be the
 * latest value put, never an older one). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/cache.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static void put(cache_t *c, const char *k, const char *v)
{
    cache_put(c, cache_hash(k, strlen(k)), k, strlen(k), v, v ? strlen(v) : 0);
}

/* -1 not cached, 0 cached absent, 1 cached with value *v (NUL-terminated copy in buf) */
static int get(cache_t *c, const char *k, char *buf, size_t cap)
{
    const char *v = NULL;
    size_t vl = 0;
    int rc = cache_get(c, cache_hash(k, strlen(k)), k, strlen(k), &v, &vl);
    if (rc == 1) {
        assert_true(vl < cap);
        memcpy(buf, v, vl);
        buf[vl] = '\0';
    }
    return rc;
}

static cache_stats_t stats(const cache_t *c)
{
    cache_stats_t st;
    cache_get_stats(c, &st);
    return st;
}

/* The bytes one entry of this key/value size is charged for. */
static uint64_t entry_cost(size_t klen, size_t vlen, int present)
{
    cache_t *c = cache_new(1 << 20);
    char k[256], v[256];
    memset(k, 'k', klen);
    memset(v, 'v', vlen);
    cache_put(c, cache_hash(k, klen), k, klen, present ? v : NULL, vlen);
    uint64_t b = stats(c).bytes;
    cache_free(c);
    return b;
}

static void test_get_put_basic(void **state)
{
    (void)state;
    cache_t *c = cache_new(1 << 20);
    char buf[64];
    assert_int_equal(get(c, "a", buf, sizeof(buf)), -1);
    put(c, "a", "alpha");
    put(c, "b", "");
    assert_int_equal(get(c, "a", buf, sizeof(buf)), 1);
    assert_string_equal(buf, "alpha");
    assert_int_equal(get(c, "b", buf, sizeof(buf)), 1); /* an empty value is present, not absent */
    assert_string_equal(buf, "");
    assert_int_equal(get(c, "c", buf, sizeof(buf)), -1);

    /* binary keys: "k\0x" and "k\0y" and "k" are three keys */
    cache_put(c, cache_hash("k\0x", 3), "k\0x", 3, "1", 1);
    cache_put(c, cache_hash("k\0y", 3), "k\0y", 3, "2", 1);
    const char *v;
    size_t vl;
    assert_int_equal(cache_get(c, cache_hash("k\0x", 3), "k\0x", 3, &v, &vl), 1);
    assert_memory_equal(v, "1", 1);
    assert_int_equal(cache_get(c, cache_hash("k\0y", 3), "k\0y", 3, &v, &vl), 1);
    assert_memory_equal(v, "2", 1);
    assert_int_equal(cache_get(c, cache_hash("k", 1), "k", 1, &v, &vl), -1);
    /* the empty key is a key */
    cache_put(c, cache_hash("", 0), "", 0, "E", 1);
    assert_int_equal(cache_get(c, cache_hash("", 0), "", 0, &v, &vl), 1);
    assert_int_equal(vl, 1);

    cache_stats_t st = stats(c);
    assert_int_equal(st.entries, 5);
    assert_int_equal(st.hits, 5);
    assert_int_equal(st.misses, 3);
    cache_free(c);
}

static void test_negative_entries(void **state)
{
    (void)state;
    cache_t *c = cache_new(1 << 20);
    char buf[64];
    put(c, "gone", NULL);
    assert_int_equal(get(c, "gone", buf, sizeof(buf)), 0);
    assert_int_equal(stats(c).entries, 1);
    assert_int_equal(stats(c).hits, 1);
    /* absent -> present -> absent */
    put(c, "gone", "back");
    assert_int_equal(get(c, "gone", buf, sizeof(buf)), 1);
    assert_string_equal(buf, "back");
    put(c, "gone", NULL);
    assert_int_equal(get(c, "gone", buf, sizeof(buf)), 0);
    assert_int_equal(stats(c).entries, 1);
    /* a negative entry is charged for its key, not for a value */
    assert_int_equal(stats(c).bytes, entry_cost(4, 0, 0));
    assert_true(entry_cost(4, 0, 0) == entry_cost(4, 0, 1));
    assert_true(entry_cost(4, 10, 1) == entry_cost(4, 0, 1) + 10);
    cache_free(c);
}

static void test_replace_value(void **state)
{
    (void)state;
    cache_t *c = cache_new(1 << 20);
    char buf[256];
    put(c, "k", "short");
    uint64_t b1 = stats(c).bytes;
    put(c, "k", "a much longer value than before");
    assert_int_equal(get(c, "k", buf, sizeof(buf)), 1);
    assert_string_equal(buf, "a much longer value than before");
    assert_int_equal(stats(c).entries, 1);
    assert_int_equal(stats(c).bytes, b1 - 5 + strlen("a much longer value than before"));
    put(c, "k", "s");
    assert_int_equal(get(c, "k", buf, sizeof(buf)), 1);
    assert_string_equal(buf, "s");
    assert_int_equal(stats(c).bytes, b1 - 4);
    cache_free(c);
}

/* CLOCK: an entry used since the last eviction is never the next one evicted
 * while an unused entry remains; a get, a put and a same-size overwrite all
 * count as uses, and negative entries age like any other. */
static void test_clock_second_chance(void **state)
{
    (void)state;
    const uint64_t cost = entry_cost(4, 8, 1); /* "k000" -> "v0000000" */
    cache_t *c = cache_new(10 * cost);
    char k[16], v[16], buf[16];
    for (int i = 0; i < 10; i++) {
        snprintf(k, sizeof(k), "k%03d", i);
        snprintf(v, sizeof(v), "v%07d", i);
        put(c, k, v);
    }
    assert_int_equal(stats(c).entries, 10);
    assert_int_equal(stats(c).bytes, 10 * cost);
    /* one more: every entry is referenced, so the hand clears them all and
     * then evicts exactly one */
    put(c, "k010", "v0000010");
    assert_int_equal(stats(c).entries, 10);
    int gone = -1;
    for (int i = 0; i < 10; i++) {
        snprintf(k, sizeof(k), "k%03d", i);
        if (get(c, k, buf, sizeof(buf)) == -1) gone = i;
    }
    assert_true(gone >= 0);
    /* the gets above referenced every survivor: one more put sends the hand
     * round once more, clearing every bit, and evicts one of them */
    put(c, "x000", "v0000000");
    assert_int_equal(stats(c).entries, 10);
    /* from here only a chosen few are used between evictions, and they must
     * outlive all the others */
    const char *keep[3] = {NULL, NULL, NULL};
    char keepbuf[3][16];
    int nkeep = 0;
    for (int i = 0; i < 10 && nkeep < 3; i++) {
        snprintf(keepbuf[nkeep], sizeof(keepbuf[0]), "k%03d", i);
        if (get(c, keepbuf[nkeep], buf, sizeof(buf)) == 1) {
            keep[nkeep] = keepbuf[nkeep];
            nkeep++;
        }
    }
    assert_int_equal(nkeep, 3);
    for (int round = 0; round < 6; round++) {
        for (int j = 0; j < 3; j++) {
            if (j == 0) {
                assert_int_equal(get(c, keep[j], buf, sizeof(buf)), 1);
            } else if (j == 1) {
                char same[16];
                snprintf(same, sizeof(same), "w%07d", round); /* same size: in-place overwrite */
                put(c, keep[j], same);
            } else {
                assert_int_equal(get(c, keep[j], buf, sizeof(buf)), 1);
            }
        }
        snprintf(k, sizeof(k), "n%03d", round);
        put(c, k, round == 5 ? NULL : "v9999999"); /* the last one negative */
        assert_true(stats(c).bytes <= 10 * cost);
        for (int j = 0; j < 3; j++) assert_int_equal(get(c, keep[j], buf, sizeof(buf)), 1);
    }
    assert_int_equal(get(c, keep[1], buf, sizeof(buf)), 1);
    assert_string_equal(buf, "w0000005");
    assert_int_equal(get(c, "n005", buf, sizeof(buf)), 0);
    cache_free(c);
}

static void test_byte_budget(void **state)
{
    (void)state;
    const size_t budget = 64 * 1024;
    cache_t *c = cache_new(budget);
    char k[32], v[2048];
    memset(v, 'x', sizeof(v));
    uint64_t max_seen = 0;
    for (int i = 0; i < 20000; i++) {
        int kl = snprintf(k, sizeof(k), "key:%06d", (int)(rnd() % 5000));
        size_t vl = rnd() % 1000; /* up to 1000 + overhead <= budget/8 */
        cache_put(c, cache_hash(k, (size_t)kl), k, (size_t)kl, (rnd() % 5) ? v : NULL, vl);
        cache_stats_t st = stats(c);
        if (st.bytes > budget) fail_msg("%llu bytes cached, budget %zu", (unsigned long long)st.bytes, budget);
        if (st.bytes > max_seen) max_seen = st.bytes;
    }
    /* the budget is used, not just respected */
    assert_true(max_seen > budget / 2);
    assert_true(stats(c).entries > 20);
    cache_free(c);
}

/* A value bigger than an eighth of the budget is not cached (it would flush
 * everything else), and putting one drops the key's older cached value. */
static void test_huge_value_not_cached(void **state)
{
    (void)state;
    const size_t budget = 8000;
    cache_t *c = cache_new(budget);
    char buf[64];
    put(c, "small", "1");
    put(c, "big", "old");
    char *huge = malloc(budget);
    memset(huge, 'h', budget);
    cache_put(c, cache_hash("big", 3), "big", 3, huge, budget / 8);
    assert_int_equal(get(c, "big", buf, sizeof(buf)), -1); /* never the stale "old" */
    assert_int_equal(get(c, "small", buf, sizeof(buf)), 1);
    assert_string_equal(buf, "1");
    assert_int_equal(stats(c).entries, 1);
    cache_put(c, cache_hash("big2", 4), "big2", 4, huge, budget);
    assert_int_equal(get(c, "big2", buf, sizeof(buf)), -1);
    assert_int_equal(get(c, "small", buf, sizeof(buf)), 1);
    /* a value that fits stays */
    cache_put(c, cache_hash("mid", 3), "mid", 3, huge, 100);
    const char *v;
    size_t vl;
    assert_int_equal(cache_get(c, cache_hash("mid", 3), "mid", 3, &v, &vl), 1);
    assert_int_equal(vl, 100);
    assert_memory_equal(v, huge, 100);
    free(huge);
    cache_free(c);
}

static void test_clear(void **state)
{
    (void)state;
    cache_t *c = cache_new(1 << 20);
    char k[32], buf[64];
    for (int i = 0; i < 3000; i++) {
        snprintf(k, sizeof(k), "k%d", i);
        put(c, k, (i % 3) ? k : NULL);
    }
    assert_int_equal(stats(c).entries, 3000);
    cache_clear(c);
    cache_stats_t st = stats(c);
    assert_int_equal(st.entries, 0);
    assert_int_equal(st.bytes, 0);
    for (int i = 0; i < 3000; i += 7) {
        snprintf(k, sizeof(k), "k%d", i);
        assert_int_equal(get(c, k, buf, sizeof(buf)), -1);
    }
    /* usable again afterwards */
    put(c, "k1", "again");
    assert_int_equal(get(c, "k1", buf, sizeof(buf)), 1);
    assert_string_equal(buf, "again");
    assert_int_equal(stats(c).entries, 1);
    cache_clear(c);
    cache_clear(c);
    cache_free(c);
}

/* Keys that share one hash value (the caller supplies the hash) live in one
 * bucket chain: each is still found, replaced, evicted and cleared alone. */
static void test_collisions(void **state)
{
    (void)state;
    const uint64_t H = 0x42;
    cache_t *c = cache_new(1 << 22);
    char k[32], v[32];
    const char *got;
    size_t gl;
    const int N = 3000;
    for (int i = 0; i < N; i++) {
        int kl = snprintf(k, sizeof(k), "%.*s", 1 + i % 20, "aaaaaaaaaaaaaaaaaaaa"); /* prefixes of each other */
        kl += snprintf(k + kl, sizeof(k) - (size_t)kl, "%d", i);
        int vl = snprintf(v, sizeof(v), "v%d", i);
        cache_put(c, H, k, (size_t)kl, v, (size_t)vl);
    }
    assert_int_equal(stats(c).entries, N);
    for (int i = 0; i < N; i++) {
        int kl = snprintf(k, sizeof(k), "%.*s", 1 + i % 20, "aaaaaaaaaaaaaaaaaaaa");
        kl += snprintf(k + kl, sizeof(k) - (size_t)kl, "%d", i);
        int vl = snprintf(v, sizeof(v), "v%d", i);
        if (cache_get(c, H, k, (size_t)kl, &got, &gl) != 1) fail_msg("colliding key %s lost", k);
        assert_int_equal(gl, (size_t)vl);
        assert_memory_equal(got, v, gl);
        /* same bytes under another hash is another slot: a miss */
        assert_int_equal(cache_get(c, H + 1, k, (size_t)kl, &got, &gl), -1);
        /* a prefix of the key with the same hash is another key */
        assert_int_equal(cache_get(c, H, k, (size_t)kl - 1, &got, &gl) == 1 && gl == (size_t)vl &&
                             memcmp(got, v, gl) == 0,
                         0);
    }
    /* replace and negate every third one in the middle of the chain */
    for (int i = 0; i < N; i += 3) {
        int kl = snprintf(k, sizeof(k), "%.*s", 1 + i % 20, "aaaaaaaaaaaaaaaaaaaa");
        kl += snprintf(k + kl, sizeof(k) - (size_t)kl, "%d", i);
        cache_put(c, H, k, (size_t)kl, NULL, 0);
    }
    assert_int_equal(stats(c).entries, N);
    for (int i = 0; i < N; i++) {
        int kl = snprintf(k, sizeof(k), "%.*s", 1 + i % 20, "aaaaaaaaaaaaaaaaaaaa");
        kl += snprintf(k + kl, sizeof(k) - (size_t)kl, "%d", i);
        assert_int_equal(cache_get(c, H, k, (size_t)kl, &got, &gl), (i % 3) ? 1 : 0);
    }
    cache_free(c);

    /* eviction out of a single long chain keeps the chain consistent */
    c = cache_new(100 * entry_cost(6, 4, 1));
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof(k), "c%05d", i);
        snprintf(v, sizeof(v), "%04d", i);
        cache_put(c, H, k, 6, v, 4);
    }
    assert_int_equal(stats(c).entries, 100);
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof(k), "c%05d", i);
        int rc = cache_get(c, H, k, 6, &got, &gl);
        assert_int_equal(rc, i >= 900 ? 1 : -1);
        if (rc == 1) {
            snprintf(v, sizeof(v), "%04d", i);
            assert_memory_equal(got, v, 4);
        }
    }
    cache_free(c);
}

/* cache_hash: sequential keys ("key:000123") spread over the low bits that
 * pick a bucket, and nothing collides in 64 bits. */
static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void test_hash_spread(void **state)
{
    (void)state;
    enum { N = 100000, NB = 1024 };
    uint64_t *hs = malloc(sizeof(uint64_t) * N);
    unsigned *load = calloc(NB, sizeof(unsigned));
    char k[32];
    for (int i = 0; i < N; i++) {
        int kl = snprintf(k, sizeof(k), "key:%06d", i);
        hs[i] = cache_hash(k, (size_t)kl);
        load[hs[i] & (NB - 1)]++;
    }
    unsigned maxload = 0;
    for (int b = 0; b < NB; b++)
        if (load[b] > maxload) maxload = load[b];
    /* average ~98 per bucket; a poor spread piles far more into one */
    assert_true(maxload < 3 * N / NB);
    qsort(hs, N, sizeof(uint64_t), cmp_u64);
    for (int i = 1; i < N; i++)
        if (hs[i] == hs[i - 1]) fail_msg("64-bit hash collision among sequential keys");
    /* the length is part of the hash: "a" vs "a\0", "" vs "\0" */
    assert_true(cache_hash("a", 1) != cache_hash("a\0", 2));
    assert_true(cache_hash("", 0) != cache_hash("\0", 1));
    /* every byte position matters, at every length around the 8-byte step */
    char buf[24];
    for (size_t len = 1; len <= sizeof(buf); len++) {
        memset(buf, 'z', sizeof(buf));
        uint64_t h0 = cache_hash(buf, len);
        for (size_t pos = 0; pos < len; pos++) {
            buf[pos] = 'y';
            assert_true(cache_hash(buf, len) != h0);
            buf[pos] = 'z';
        }
        assert_true(cache_hash(buf, len) == h0); /* deterministic */
    }
    free(hs);
    free(load);
}

/* Growth past the initial bucket count keeps every entry reachable. */
static void test_grow(void **state)
{
    (void)state;
    cache_t *c = cache_new(64u << 20);
    char k[32], buf[64];
    const int N = 20000;
    for (int i = 0; i < N; i++) {
        snprintf(k, sizeof(k), "g%d", i);
        put(c, k, k);
    }
    assert_int_equal(stats(c).entries, N);
    for (int i = 0; i < N; i++) {
        snprintf(k, sizeof(k), "g%d", i);
        assert_int_equal(get(c, k, buf, sizeof(buf)), 1);
        assert_string_equal(buf, k);
    }
    cache_free(c);
}

/* Random puts, negative puts and gets against a model: a cached answer is
 * always the latest put for that key, the budget always holds, and the
 * entry count equals what gets can see. */
static void test_model(void **state)
{
    (void)state;
    enum { NKEYS = 600 };
    const size_t budget = 24 * 1024;
    cache_t *c = cache_new(budget);
    char *model[NKEYS] = {0};
    int present[NKEYS] = {0}; /* -1 never put, 0 absent, 1 present */
    for (int i = 0; i < NKEYS; i++) present[i] = -1;
    char k[32], v[600];
    for (int op = 0; op < 60000; op++) {
        int i = (int)(rnd() % NKEYS);
        int kl = snprintf(k, sizeof(k), "m:%d", i);
        uint64_t h = (i % 4 == 0) ? 7 : cache_hash(k, (size_t)kl); /* a quarter of the keys collide */
        uint64_t r = rnd() % 10;
        if (r < 4) {
            size_t vl = rnd() % sizeof(v);
            for (size_t j = 0; j < vl; j++) v[j] = (char)('a' + (op + j) % 26);
            cache_put(c, h, k, (size_t)kl, v, vl);
            free(model[i]);
            model[i] = malloc(vl + 1);
            memcpy(model[i], v, vl);
            model[i][vl] = '\0';
            present[i] = 1;
        } else if (r < 5) {
            cache_put(c, h, k, (size_t)kl, NULL, 0);
            free(model[i]);
            model[i] = NULL;
            present[i] = 0;
        } else {
            const char *got;
            size_t gl;
            int rc = cache_get(c, h, k, (size_t)kl, &got, &gl);
            if (rc == -1) continue;
            if (present[i] == -1) fail_msg("key %d was never put but is cached", i);
            assert_int_equal(rc, present[i]);
            if (rc == 1) {
                assert_int_equal(gl, strlen(model[i]));
                assert_memory_equal(got, model[i], gl);
            }
        }
        assert_true(stats(c).bytes <= budget);
    }
    uint64_t seen = 0;
    for (int i = 0; i < NKEYS; i++) {
        int kl = snprintf(k, sizeof(k), "m:%d", i);
        uint64_t h = (i % 4 == 0) ? 7 : cache_hash(k, (size_t)kl);
        const char *got;
        size_t gl;
        seen += cache_get(c, h, k, (size_t)kl, &got, &gl) != -1;
        free(model[i]);
    }
    assert_int_equal(seen, stats(c).entries);
    cache_free(c);
}

/* A NULL cache (cache off) and a zero budget cache nothing and never crash. */
static void test_disabled(void **state)
{
    (void)state;
    const char *v;
    size_t vl;
    assert_int_equal(cache_get(NULL, 1, "k", 1, &v, &vl), -1);
    cache_put(NULL, 1, "k", 1, "v", 1);
    cache_clear(NULL);
    cache_stats_t st = stats(NULL);
    assert_true(st.hits == 0 && st.misses == 0 && st.entries == 0 && st.bytes == 0);
    cache_free(NULL);

    cache_t *c = cache_new(0);
    cache_put(c, cache_hash("k", 1), "k", 1, "v", 1);
    cache_put(c, cache_hash("n", 1), "n", 1, NULL, 0);
    assert_int_equal(cache_get(c, cache_hash("k", 1), "k", 1, &v, &vl), -1);
    assert_int_equal(cache_get(c, cache_hash("n", 1), "n", 1, &v, &vl), -1);
    assert_int_equal(stats(c).entries, 0);
    cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_put_basic),
        cmocka_unit_test(test_negative_entries),
        cmocka_unit_test(test_replace_value),
        cmocka_unit_test(test_clock_second_chance),
        cmocka_unit_test(test_byte_budget),
        cmocka_unit_test(test_huge_value_not_cached),
        cmocka_unit_test(test_clear),
        cmocka_unit_test(test_collisions),
        cmocka_unit_test(test_hash_spread),
        cmocka_unit_test(test_grow),
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_disabled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
