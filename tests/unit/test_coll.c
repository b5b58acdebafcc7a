/* The collection layer under the families (src/cmd/coll.c) and what keeps
 * deletion O(1): versions that never repeat, and the compaction filter that
 * reclaims the sub-keys of deleted or replaced collections. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/coll.h"
#include "cmd/coll_int.h"
#include "support/cmdtest.h"

/* Writes n fields f0..f{n-1} into hash key through HSET, one entry. */
static void fill_hash(cmdtest_t *t, const char *key, int n)
{
    const char *argv[2 + 2 * 64];
    size_t lens[2 + 2 * 64];
    char names[64][16];
    for (int base = 0; base < n; base += 64) {
        int argc = 0;
        argv[argc] = "HSET", lens[argc++] = 4;
        argv[argc] = key, lens[argc++] = strlen(key);
        for (int i = base; i < n && i < base + 64; i++) {
            snprintf(names[i - base], sizeof(names[0]), "f%d", i);
            argv[argc] = names[i - base], lens[argc++] = strlen(names[i - base]);
            argv[argc] = "v", lens[argc++] = 1;
        }
        const char *r = ct_run(t, true, true, argc, argv, lens);
        assert_true(r[0] == ':');
    }
}

/* DEL of a big hash deletes one record; the filter reclaims the rest at the
 * next compaction, and leaves a live collection's elements alone. */
static void test_compaction_reclaims_deleted_collections(void **state)
{
    cmdtest_t *t = *state;
    fill_hash(t, "big", 500);
    fill_hash(t, "keep", 20);
    assert_int_equal(ct_count_prefix(t, 's'), 520);
    assert_string_equal(CT_W(t, "DEL", "big"), ":1\r\n");
    /* deletion wrote no sub-key: they stay until compaction */
    assert_int_equal(ct_count_prefix(t, 's'), 520);
    store_compact_data(t->store);
    assert_int_equal(ct_count_prefix(t, 's'), 20);
    assert_string_equal(CT_R(t, "HLEN", "keep"), ":20\r\n");
    assert_string_equal(CT_R(t, "HGET", "keep", "f19"), "$1\r\nv\r\n");
    assert_true(ct_counters_consistent(t));
}

/* A collection replaced under the same name (by a string, by a new hash)
 * leaves its old version's elements unreachable and then reclaimed. */
static void test_replaced_collections(void **state)
{
    cmdtest_t *t = *state;
    fill_hash(t, "h", 30);
    assert_string_equal(CT_W(t, "SET", "h", "now a string"), "+OK\r\n");
    fill_hash(t, "g", 30);
    assert_string_equal(CT_W(t, "DEL", "g"), ":1\r\n");
    assert_string_equal(CT_W(t, "HSET", "g", "only", "1"), ":1\r\n");
    /* the new g sees none of the old fields */
    assert_string_equal(CT_R(t, "HLEN", "g"), ":1\r\n");
    assert_string_equal(CT_R(t, "HGET", "g", "f3"), "$-1\r\n");
    assert_int_equal(ct_count_prefix(t, 's'), 61);
    store_compact_data(t->store);
    assert_int_equal(ct_count_prefix(t, 's'), 1);
    assert_string_equal(CT_R(t, "GET", "h"), "$12\r\nnow a string\r\n");
    /* an emptied collection is no key, and its elements go too */
    fill_hash(t, "e", 3);
    assert_string_equal(CT_W(t, "HDEL", "e", "f0", "f1", "f2"), ":3\r\n");
    assert_string_equal(CT_R(t, "EXISTS", "e"), ":0\r\n");
    store_compact_data(t->store);
    assert_int_equal(ct_count_prefix(t, 's'), 1);
    /* and after a restart everything reads the same */
    ct_reopen(t);
    assert_string_equal(CT_R(t, "HGET", "g", "only"), "$1\r\n1\r\n");
    assert_true(ct_counters_consistent(t));
}

/* Versions grow strictly, even for two creations in one command, and the
 * last one survives a restart (it is part of the state machine). */
static void test_versions_never_repeat(void **state)
{
    cmdtest_t *t = *state;
    cmd_ctx_t c = {.txn = store_txn_begin(t->store, true), .reply = &t->reply, .now_ms = t->now_ms,
                   .db = &t->db, .index = 7, .seq = 2};
    uint64_t a = db_new_version(&c), b = db_new_version(&c);
    assert_true(a == (7ULL << 16 | 2));
    assert_true(b == a + 1);
    c.index = 3; /* never smaller in practice; still never repeats */
    uint64_t d = db_new_version(&c);
    assert_true(d == b + 1);
    db_save(&t->db, c.txn);
    char err[128];
    assert_int_equal(store_txn_commit(c.txn, err, sizeof(err)), 0);
    ct_reopen(t);
    assert_true(t->db.version == d);
}

/* RENAME of a collection moves every element under the new name. */
static void test_rename_moves_elements(void **state)
{
    cmdtest_t *t = *state;
    fill_hash(t, "src", 100);
    assert_string_equal(CT_W(t, "PEXPIRE", "src", "100000"), ":1\r\n");
    assert_string_equal(CT_W(t, "RENAME", "src", "dst"), "+OK\r\n");
    assert_string_equal(CT_R(t, "HLEN", "dst"), ":100\r\n");
    assert_string_equal(CT_R(t, "HGET", "dst", "f99"), "$1\r\nv\r\n");
    assert_string_equal(CT_R(t, "EXISTS", "src"), ":0\r\n");
    assert_string_equal(CT_R(t, "PTTL", "dst"), ":100000\r\n");
    store_compact_data(t->store);
    assert_int_equal(ct_count_prefix(t, 's'), 100);
    assert_true(ct_counters_consistent(t));
}

/* ---- random elements ---------------------------------------------------- */

enum { NBIN = 300 };

/* Binary members: the edges of the byte range (empty, NULs, 0xff runs, one
 * member a prefix of another) and the rest 1..8 pseudo-random bytes. */
static size_t bin_member(int i, char *out)
{
    static const char *const edges[] = {"", "\x00", "\x00\x00", "\x00\xff", "\xff", "\xff\xff", "\xff\xff\xff", "a", "ab", "abc"};
    static const size_t elens[] = {0, 1, 2, 2, 1, 2, 3, 1, 2, 3};
    if (i < 10) {
        memcpy(out, edges[i], elens[i]);
        return elens[i];
    }
    uint64_t x = (uint64_t)i * 0x9E3779B97F4A7C15ULL;
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ULL;
    size_t len = 1 + (size_t)(x % 8);
    for (size_t k = 0; k < len; k++)
        out[k] = (char)(x >> (8 * k));
    return len;
}

/* The index of a member, by search (NBIN is small). */
static int bin_index(const char *m, size_t len)
{
    char buf[16];
    for (int i = 0; i < NBIN; i++) {
        size_t l = bin_member(i, buf);
        if (l == len && memcmp(buf, m, len) == 0) return i;
    }
    return -1;
}

/* Above COLL_RANDOM_WALK_MAX elements the draw interpolates or descends the
 * byte trie: with binary sub-keys at the edges of the byte range every
 * element is still reached, the same generator state draws the same
 * element, and distinct draws are distinct. */
static void test_random_elements(void **state)
{
    cmdtest_t *t = *state;
    int n = 0;
    for (int i = 0; i < NBIN; i++) {
        char m[16];
        size_t len = bin_member(i, m);
        const char *argv[] = {"SADD", "bin", m};
        size_t lens[] = {4, 3, len};
        n += ct_run(t, true, true, 3, argv, lens)[1] == '1';
    }
    assert_true(n > 280 && n <= NBIN); /* the pseudo-random ones may repeat */
    store_txn_t *txn = store_txn_begin(t->store, false);
    cmd_ctx_t c = {.txn = txn, .reply = &t->reply, .now_ms = t->now_ms, .db = &t->db, .index = 5, .seq = 1};
    coll_t co;
    assert_int_equal(coll_open(&c, "bin", 3, OBJ_SET, &co), 1);
    assert_int_equal(co.size, (uint64_t)n);
    assert_true(co.size > COLL_RANDOM_WALK_MAX);

    static int count[NBIN];
    coll_rng_t g, g2;
    coll_rng_init(&g, &c);
    assert_true(g.deterministic);
    coll_iter_t *it = coll_iter_open(&c, &co);
    for (int d = 0; d < 100 * NBIN; d++) {
        g2 = g;
        assert_true(coll_iter_seek_random(it, NULL, 0, &g));
        size_t len;
        const char *m = coll_iter_sub(it, &len);
        int x = bin_index(m, len);
        assert_true(x >= 0);
        count[x]++;
        if (d % 1000 == 0) { /* the same state draws the same element */
            char first[16];
            memcpy(first, m, len);
            assert_true(coll_iter_seek_random(it, NULL, 0, &g2));
            size_t len2;
            const char *m2 = coll_iter_sub(it, &len2);
            assert_true(len2 == len && memcmp(m2, first, len) == 0);
        }
    }
    coll_iter_free(it);
    for (int i = 0; i < NBIN; i++) {
        char m[16];
        size_t len = bin_member(i, m);
        if (bin_index(m, len) == i) assert_true(count[i] > 0); /* repeats count once */
    }

    coll_elems_t e = {0};
    assert_true(coll_random_cheap(&co, 2));
    assert_false(coll_random_cheap(&co, co.size / 2));
    assert_true(coll_random_elems(&c, &co, NULL, 0, 40, true, false, &g, &e));
    assert_int_equal(e.n, 40);
    for (size_t i = 1; i < e.n; i++) /* sorted, so distinct means increasing */
        assert_true(memcmp(e.v[i - 1].sub, e.v[i].sub,
                           e.v[i - 1].slen < e.v[i].slen ? e.v[i - 1].slen : e.v[i].slen) <= 0 &&
                    bin_index(e.v[i].sub, e.v[i].slen) != bin_index(e.v[i - 1].sub, e.v[i - 1].slen));
    coll_elems_free(&e);
    assert_true(coll_random_elems(&c, &co, NULL, 0, 500, false, true, &g, &e));
    assert_int_equal(e.n, 500);
    coll_elems_free(&e);
    coll_release(&co);
    store_txn_abort(txn);
}

/* ---- the ends of collections (coll_ends.c) ---------------------------------- */

static void zadd_range(cmdtest_t *t, const char *key, int from, int to)
{
    for (int i = from; i < to; i++) {
        char score[16], m[16];
        snprintf(score, sizeof(score), "%d", i);
        snprintf(m, sizeof(m), "m%05d", i);
        assert_string_equal(CT_W(t, "ZADD", key, score, m), ":1\r\n");
    }
}

/* The reply of ZPOPMIN/ZPOPMAX key (one element) for member m%05d, score i. */
static const char *popped(int i)
{
    static char buf[64];
    char score[16];
    snprintf(score, sizeof(score), "%d", i);
    snprintf(buf, sizeof(buf), "*2\r\n$6\r\nm%05d\r\n$%zu\r\n%s\r\n", i, strlen(score), score);
    return buf;
}

/* Pops from both ends of a sorted set go to the bounds the process keeps,
 * not past every tombstone of the elements popped before; and what they
 * find is exactly what a seek from the start would: an element added before
 * the bound, or at a popped element's place, is the next one popped, and a
 * restart (a new epoch: nothing kept) changes no answer. */
static void test_pops_from_the_ends(void **state)
{
    cmdtest_t *t = *state;
    zadd_range(t, "z", 0, 2000);
    ct_tombstones_skipped();
    for (int i = 0; i < 1000; i++)
        assert_string_equal(CT_W(t, "ZPOPMIN", "z"), popped(i));
    for (int i = 1999; i >= 1500; i--)
        assert_string_equal(CT_W(t, "ZPOPMAX", "z"), popped(i));
    /* each pop steps over the one tombstone its predecessor left: from the
     * start of the range the 1000th would step over 999 */
    uint64_t skipped = ct_tombstones_skipped();
    assert_true(skipped < 4 * 1500);

    /* below the first element, at a popped element's place, above the last */
    assert_string_equal(CT_W(t, "ZADD", "z", "-5", "low"), ":1\r\n");
    assert_string_equal(CT_R(t, "ZRANGE", "z", "0", "1"), "*2\r\n$3\r\nlow\r\n$6\r\nm01000\r\n");
    assert_string_equal(CT_W(t, "ZPOPMIN", "z"), "*2\r\n$3\r\nlow\r\n$2\r\n-5\r\n");
    zadd_range(t, "z", 999, 1000);
    assert_string_equal(CT_W(t, "ZPOPMIN", "z"), popped(999));
    assert_string_equal(CT_W(t, "ZADD", "z", "7000", "high"), ":1\r\n");
    assert_string_equal(CT_R(t, "ZREVRANGE", "z", "0", "0"), "*1\r\n$4\r\nhigh\r\n");
    assert_string_equal(CT_W(t, "ZPOPMAX", "z"), "*2\r\n$4\r\nhigh\r\n$4\r\n7000\r\n");
    zadd_range(t, "z", 1500, 1501);
    assert_string_equal(CT_W(t, "ZPOPMAX", "z"), popped(1500));
    /* ranges by score start at the bound too */
    assert_string_equal(CT_R(t, "ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "0", "1"),
                        "*1\r\n$6\r\nm01000\r\n");
    assert_string_equal(CT_R(t, "ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "0", "1"),
                        "*1\r\n$6\r\nm01499\r\n");
    assert_string_equal(CT_R(t, "ZCARD", "z"), ":500\r\n");

    ct_reopen(t);
    assert_string_equal(CT_W(t, "ZPOPMIN", "z"), popped(1000));
    assert_string_equal(CT_W(t, "ZPOPMAX", "z"), popped(1499));
    zadd_range(t, "z", 1000, 1001);
    assert_string_equal(CT_W(t, "ZPOPMIN", "z"), popped(1000));
    assert_true(ct_counters_consistent(t));
}

/* A sliding window (ZADD now, ZREMRANGEBYSCORE -inf now-window, ZCOUNT):
 * each trim and count starts at the window's first element, not past the
 * tombstones of everything trimmed before. */
static void test_sliding_window(void **state)
{
    cmdtest_t *t = *state;
    enum { WINDOW = 50, STEPS = 1500 };
    ct_tombstones_skipped();
    for (int now = 0; now < STEPS; now++) {
        char score[16], m[16], cut[16], reply[16];
        snprintf(score, sizeof(score), "%d", now);
        snprintf(m, sizeof(m), "r%d", now);
        assert_string_equal(CT_W(t, "ZADD", "w", score, m), ":1\r\n");
        snprintf(cut, sizeof(cut), "(%d", now - WINDOW);
        assert_string_equal(CT_W(t, "ZREMRANGEBYSCORE", "w", "-inf", cut), now > WINDOW ? ":1\r\n" : ":0\r\n");
        snprintf(reply, sizeof(reply), ":%d\r\n", now < WINDOW ? now + 1 : WINDOW + 1);
        assert_string_equal(CT_R(t, "ZCOUNT", "w", "-inf", "+inf"), reply);
    }
    /* from the start of the range step k would step over k - WINDOW */
    assert_true(ct_tombstones_skipped() < 4 * STEPS);
    assert_string_equal(CT_R(t, "ZRANGEBYSCORE", "w", "-inf", "+inf", "LIMIT", "0", "1"), "*1\r\n$5\r\nr1449\r\n");
    assert_string_equal(CT_R(t, "ZREVRANGEBYSCORE", "w", "+inf", "-inf", "LIMIT", "0", "1"), "*1\r\n$5\r\nr1499\r\n");
}

/* A small set's members are listed once and drawn from the list: SPOP from
 * a set left with few members among many popped ones steps over none of
 * their tombstones, and the list follows every SADD and SREM. */
static void test_small_set_draws(void **state)
{
    cmdtest_t *t = *state;
    enum { N = 1500, KEEP = 120, ROUNDS = 100 };
    static bool in[N + 100];
    for (int i = 0; i < N; i++) {
        char m[16];
        snprintf(m, sizeof(m), "x%05d", i);
        assert_string_equal(CT_W(t, "SADD", "s", m), ":1\r\n");
        in[i] = true;
    }
    int left = N;
    for (; left > KEEP; left--) {
        const char *r = CT_W(t, "SPOP", "s");
        int i;
        assert_int_equal(sscanf(r, "$6\r\nx%05d\r\n", &i), 1);
        assert_true(in[i]);
        in[i] = false;
    }
    ct_tombstones_skipped();
    for (int round = 0; round < ROUNDS; round++) {
        if (round % 3 == 0) { /* a member back, or a new one */
            int i = round % 2 ? N + round / 3 : round * 7 % N;
            char m[16];
            snprintf(m, sizeof(m), "x%05d", i);
            assert_string_equal(CT_W(t, "SADD", "s", m), in[i] ? ":0\r\n" : ":1\r\n");
            left += !in[i];
            in[i] = true;
        }
        if (round % 5 == 0) { /* one taken by name */
            int i = 0;
            while (!in[i])
                i++;
            char m[16];
            snprintf(m, sizeof(m), "x%05d", i);
            assert_string_equal(CT_W(t, "SREM", "s", m), ":1\r\n");
            in[i] = false;
            left--;
        }
        const char *r = CT_W(t, "SPOP", "s");
        int i;
        assert_int_equal(sscanf(r, "$6\r\nx%05d\r\n", &i), 1);
        assert_true(in[i]);
        in[i] = false;
        left--;
        char card[16];
        snprintf(card, sizeof(card), ":%d\r\n", left);
        assert_string_equal(CT_R(t, "SCARD", "s"), card);
    }
    assert_true(left > 10);
    /* a walk to a random rank would step over ~N/2 tombstones a draw */
    uint64_t sk = ct_tombstones_skipped();
    assert_true(sk < 20 * ROUNDS);
    while (left > 0) {
        int i;
        assert_int_equal(sscanf(CT_W(t, "SPOP", "s"), "$6\r\nx%05d\r\n", &i), 1);
        assert_true(in[i]);
        in[i] = false;
        left--;
    }
    assert_string_equal(CT_W(t, "SPOP", "s"), "$-1\r\n");
    assert_true(ct_counters_consistent(t));
}

/* n draws from key's elements under tag, seeded as entry 77 would be,
 * copied to out (sub-key and value). fresh: the process's table is emptied
 * before each draw, so no draw reads a list (a replica that just
 * restarted, with no room for lists); else the draws must have read the
 * list. */
static void draw_picks(cmdtest_t *t, const char *key, obj_type_t type, const char *tag, int n, bool fresh,
                       coll_elems_t *out)
{
    size_t taglen = tag ? 1 : 0;
    store_txn_t *txn = store_txn_begin(t->store, false);
    cmd_ctx_t c = {.txn = txn, .reply = &t->reply, .now_ms = t->now_ms, .db = &t->db, .index = 77, .seq = 1};
    coll_t co;
    assert_int_equal(coll_open(&c, key, strlen(key), type, &co), 1);
    coll_rng_t g;
    coll_rng_init(&g, &c);
    size_t budget = ends_list_budget(0);
    if (!fresh) ends_list_budget(budget);
    for (int d = 0; d < n; d++) {
        if (fresh) ends_reset_all();
        coll_iter_t *it = coll_iter_open(&c, &co);
        assert_true(coll_iter_seek_random(it, tag, taglen, &g));
        size_t slen, vlen;
        const char *sub = coll_iter_sub(it, &slen);
        const char *val = coll_iter_value(it, &vlen);
        coll_elems_push(out, sub, slen, val, vlen);
        coll_iter_free(it);
    }
    ends_list_budget(budget);
    ends_t *e = ends_find(&t->db, &co, tag, taglen);
    assert_true(e != NULL && e->listed == !fresh);
    coll_release(&co);
    store_txn_abort(txn);
}

/* What a draw picks is the same whether it reads the collection's list or
 * seeks the iterator: compared over many seeds, for a set (no tag), a hash
 * (values too: a pick read from the list moves the iterator only when the
 * value is asked) and a sorted set's members, after the list was kept
 * through SPOP, SADD and SREM, and for a small set. */
static void test_list_draws_match_seeks(void **state)
{
    cmdtest_t *t = *state;
    enum { DRAWS = 1500 };
    for (int i = 0; i < 3000; i++) {
        char m[16];
        size_t len = bin_member(i, m);
        const char *argv[] = {"SADD", "s", m};
        size_t lens[] = {4, 1, len};
        ct_run(t, true, true, 3, argv, lens);
    }
    for (int i = 0; i < 1000; i++) {
        char f[16], v[16], sc[16];
        snprintf(f, sizeof(f), "f%d", i * 7919 % 100000);
        snprintf(v, sizeof(v), "v%d", i * 7919 % 100000);
        snprintf(sc, sizeof(sc), "%d", i % 37);
        assert_string_equal(CT_W(t, "HSET", "h", f, v), ":1\r\n");
        assert_string_equal(CT_W(t, "ZADD", "z", sc, f), ":1\r\n");
        if (i < 90) assert_string_equal(CT_W(t, "SADD", "small", f), ":1\r\n");
    }
    /* the set's list is built by the SPOPs' draws (once) and kept by every write */
    uint64_t builds = ends_list_builds();
    for (int r = 0; r < 300; r++) {
        assert_true(CT_W(t, "SPOP", "s")[0] == '$');
        char m[16];
        snprintf(m, sizeof(m), "new%d", r);
        assert_string_equal(CT_W(t, "SADD", "s", m), ":1\r\n");
        size_t len = bin_member(3000 - r, m);
        const char *argv[] = {"SREM", "s", m};
        size_t lens[] = {4, 1, len};
        ct_run(t, true, true, 3, argv, lens);
    }
    assert_int_equal(ends_list_builds() - builds, 1);
    struct {
        const char *key;
        obj_type_t type;
        const char *tag;
    } cases[] = {{"s", OBJ_SET, NULL}, {"h", OBJ_HASH, NULL}, {"z", OBJ_ZSET, "m"}, {"small", OBJ_SET, NULL}};
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        coll_elems_t warm = {0}, listed = {0}, sought = {0};
        draw_picks(t, cases[k].key, cases[k].type, cases[k].tag, 100, false, &warm); /* lists it */
        draw_picks(t, cases[k].key, cases[k].type, cases[k].tag, DRAWS, false, &listed);
        draw_picks(t, cases[k].key, cases[k].type, cases[k].tag, DRAWS, true, &sought);
        for (int d = 0; d < DRAWS; d++) {
            const coll_elem_t *a = &listed.v[d], *b = &sought.v[d];
            assert_true(a->slen == b->slen && memcmp(a->sub, b->sub, a->slen) == 0);
            assert_true(a->vlen == b->vlen && memcmp(a->val, b->val, a->vlen) == 0);
            if (cases[k].type == OBJ_HASH) /* the value is the field's */
                assert_true(a->vlen == a->slen && memcmp(a->val + 1, a->sub + 1, a->slen - 1) == 0);
        }
        coll_elems_free(&warm);
        coll_elems_free(&listed);
        coll_elems_free(&sought);
    }
    ends_reset_all();
}

/* The lists of an older state of the database (before a restart or a
 * snapshot's install: a new epoch) are never read again: when a new list
 * does not fit the budget they go first. */
static void test_lists_of_an_older_state_make_room(void **state)
{
    cmdtest_t *t = *state;
    for (int i = 0; i < 300; i++) {
        char m[16];
        snprintf(m, sizeof(m), "x%05d", i);
        assert_string_equal(CT_W(t, "SADD", "old", m), ":1\r\n");
        assert_string_equal(CT_W(t, "SADD", "new", m), ":1\r\n");
    }
    coll_elems_t e = {0};
    draw_picks(t, "old", OBJ_SET, NULL, 10, false, &e); /* listed */
    coll_elems_free(&e);
    /* room for about one list of 300 */
    size_t was = ends_list_budget(300 * 45);
    ct_reopen(t);
    draw_picks(t, "new", OBJ_SET, NULL, 10, false, &e); /* must be listed too */
    coll_elems_free(&e);
    ends_list_budget(was);
    ends_reset_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_compaction_reclaims_deleted_collections, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_replaced_collections, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_versions_never_repeat, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_rename_moves_elements, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_random_elements, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_pops_from_the_ends, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_sliding_window, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_small_set_draws, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_list_draws_match_seeks, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_lists_of_an_older_state_make_room, ct_setup, ct_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
