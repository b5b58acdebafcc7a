/* Differential test of the set commands: random sequences go to
 * redis-server 7.0.15 and to redraft (tests/support/difftest.h), mixed with
 * a few generic and string commands on the same shared keys so that
 * WRONGTYPE, expiry and deletion meet the sets.
 *
 * Normalizations: SMEMBERS, SINTER, SUNION and SDIFF compare as unordered
 * (Redis orders an intset numerically and a hash table at random, we order
 * by bytes); SSCAN is iterated to cursor 0 on both and the member sets
 * compared; SRANDMEMBER and SPOP compare by shape, and after SPOP the key is
 * copied from the reference, since the two servers pop different members.
 * Everything else, errors included, is byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/difftest.h"

/* Members: often small integers (Redis keeps those sets as intsets, a code
 * path of its own), short words, now and then anything dt_add_value makes
 * (binary, floats, long strings). */
static void add_member(dt_prng_t *g, dt_op_t *o)
{
    static const char *ints[] = {"9223372036854775807", "-9223372036854775808", "-1", "0", "007", "1e3", "-0"};
    static const char *words[] = {"a", "b", "c", "d", "e", "x", "yy", "zzz", "hello", "A"};
    int r = dt_rn(g, 10);
    if (r < 4) dt_addf(o, "%d", dt_rn(g, 30) - 5);
    else if (r == 4) dt_adds(o, ints[dt_rn(g, 7)]);
    else if (r < 8) dt_adds(o, words[dt_rn(g, 10)]);
    else dt_add_value(g, o);
}

/* Members for a whole command: sometimes every one an integer, so that the
 * reference's set stays an intset. */
static void add_members(dt_prng_t *g, dt_op_t *o, int max)
{
    bool ints_only = dt_rn(g, 3) == 0;
    for (int i = 1 + dt_rn(g, max); i > 0; i--) {
        if (ints_only) dt_addf(o, "%d", dt_rn(g, 40) - 5);
        else add_member(g, o);
    }
}

/* A count for SPOP / SRANDMEMBER: small values of both signs mostly, the
 * errors sometimes. Never a huge negative count: Redis would try to build a
 * reply that size. */
static void add_count(dt_prng_t *g, dt_op_t *o)
{
    static const char *odd[] = {"x", "", "-0", "1.5", "-9223372036854775808", "9223372036854775807", " 1", "+1"};
    if (dt_rn(g, 8)) dt_addf(o, "%d", dt_rn(g, 30) - 8);
    else dt_adds(o, odd[dt_rn(g, 8)]);
}

static void add_keys(dt_prng_t *g, dt_op_t *o, int max)
{
    for (int i = 1 + dt_rn(g, max); i > 0; i--) dt_add_key(g, o);
}

/* Relative expiries are long, so nothing expires while a seed runs. */
static void add_rel_expiry(dt_prng_t *g, dt_op_t *o)
{
    if (dt_rn(g, 12) == 0) dt_adds(o, dt_rn(g, 2) ? "0" : "abc");
    else dt_addf(o, "%llu", 1000ULL + dt_rnd(g) % 1000000ULL);
}

/* SINTERCARD numkeys key... [LIMIT n], with its argument errors now and then. */
static void gen_sintercard(dt_prng_t *g, dt_op_t *o)
{
    dt_adds(o, "SINTERCARD");
    int n = 1 + dt_rn(g, 3);
    int r = dt_rn(g, 20);
    if (r == 0) dt_adds(o, "0");
    else if (r == 1) dt_adds(o, "x");
    else if (r == 2) dt_addf(o, "%d", n + 1); /* more keys than arguments */
    else dt_addf(o, "%d", n);
    for (int i = 0; i < n; i++) dt_add_key(g, o);
    int l = dt_rn(g, 6);
    if (l == 0) {
        dt_adds(o, dt_rn(g, 2) ? "LIMIT" : "limit");
        static const char *lim[] = {"0", "1", "2", "5", "-1", "x"};
        dt_adds(o, lim[dt_rn(g, 6)]);
    } else if (l == 1) {
        dt_adds(o, dt_rn(g, 2) ? "LIMIT" : "FOO");
    }
}

/* SSCAN key cursor [MATCH p] [COUNT n]: the harness iterates it to the end. */
static void gen_sscan(dt_prng_t *g, dt_op_t *o)
{
    static const char *pats[] = {"*", "a*", "?", "[a-c]", "1*", "*1", "-*", "h*o", "\\*"};
    dt_adds(o, "SSCAN");
    dt_add_key(g, o);
    dt_adds(o, dt_rn(g, 25) ? "0" : "abc");
    int n = dt_rn(g, 3);
    for (int i = 0; i < n; i++) {
        int w = dt_rn(g, 9);
        if (w < 4) { dt_adds(o, "MATCH"); dt_adds(o, pats[dt_rn(g, 9)]); }
        else if (w < 8) { dt_adds(o, "COUNT"); dt_addf(o, "%d", dt_rn(g, 12) - 1); }
        else dt_adds(o, dt_rn(g, 2) ? "TYPE" : "NOVALUE");
    }
    o->kind = DT_SCAN;
    o->cursor_arg = 2;
}

/* One command. Deterministic ones first: those are what MULTI may hold. */
static void gen_set(dt_prng_t *g, dt_op_t *o, bool in_multi)
{
    int r = dt_rn(g, in_multi ? 80 : 120);
    bool mutate = true; /* a wrong number of arguments now and then */
    if (r < 18) { dt_adds(o, "SADD"); dt_add_key(g, o); add_members(g, o, 5); }
    else if (r < 26) { dt_adds(o, "SREM"); dt_add_key(g, o); add_members(g, o, 4); }
    else if (r < 31) { dt_adds(o, "SISMEMBER"); dt_add_key(g, o); add_member(g, o); }
    else if (r < 35) { dt_adds(o, "SMISMEMBER"); dt_add_key(g, o); add_members(g, o, 4); }
    else if (r < 39) { dt_adds(o, "SCARD"); dt_add_key(g, o); }
    else if (r < 44) { dt_adds(o, "SMOVE"); dt_add_key(g, o); dt_add_key(g, o); add_member(g, o); }
    else if (r < 48) gen_sintercard(g, o);
    else if (r < 51) { dt_adds(o, "SINTERSTORE"); dt_add_key(g, o); add_keys(g, o, 3); }
    else if (r < 54) { dt_adds(o, "SUNIONSTORE"); dt_add_key(g, o); add_keys(g, o, 3); }
    else if (r < 57) { dt_adds(o, "SDIFFSTORE"); dt_add_key(g, o); add_keys(g, o, 3); }
    else if (r < 60) { dt_adds(o, "DEL"); add_keys(g, o, 2); }
    else if (r < 62) { dt_adds(o, "TYPE"); dt_add_key(g, o); }
    else if (r < 64) { dt_adds(o, "EXISTS"); add_keys(g, o, 3); }
    else if (r < 67) { dt_adds(o, "EXPIRE"); dt_add_key(g, o); add_rel_expiry(g, o); }
    else if (r < 68) { dt_adds(o, "PERSIST"); dt_add_key(g, o); }
    else if (r < 71) { dt_adds(o, "SET"); dt_add_key(g, o); dt_add_value(g, o); }
    else if (r < 73) { dt_adds(o, "RENAME"); dt_add_key(g, o); dt_add_key(g, o); }
    else if (r < 74) { dt_adds(o, "DBSIZE"); }
    else if (r < 75) {
        /* popping or sampling nothing is deterministic */
        dt_adds(o, dt_rn(g, 2) ? "SPOP" : "SRANDMEMBER");
        dt_add_key(g, o);
        dt_adds(o, dt_rn(g, 2) ? "0" : "x");
        mutate = false; /* without its count it would pop at random */
    } else if (in_multi || r < 80) { dt_adds(o, "GET"); dt_add_key(g, o); }
    /* replies that are unordered or random: never inside MULTI */
    else if (r < 88) {
        static const char *names[] = {"SMEMBERS", "SINTER", "SUNION", "SDIFF"};
        int w = dt_rn(g, 4);
        dt_adds(o, names[w]);
        if (w == 0) dt_add_key(g, o);
        else add_keys(g, o, 3);
        o->kind = DT_SORTED;
    } else if (r < 94) {
        gen_sscan(g, o);
        mutate = false; /* (the harness rewrites the cursor argument) */
    } else if (r < 102) {
        dt_adds(o, "SRANDMEMBER");
        dt_add_key(g, o);
        if (dt_rn(g, 3)) add_count(g, o);
        o->kind = DT_SHAPE;
    } else if (r < 112) {
        dt_adds(o, "SPOP");
        dt_add_key(g, o);
        if (dt_rn(g, 2)) add_count(g, o);
        o->kind = DT_SHAPE;
        o->resync_key = o->argv[1];
        o->resync_len = o->len[1];
        mutate = false; /* resync_key points at argv[1] */
    } else if (r < 116) {
        dt_adds(o, "TTL");
        dt_add_key(g, o);
        o->kind = DT_TTL;
    } else {
        dt_adds(o, "SSCAN");
        dt_add_key(g, o);
        dt_adds(o, "0");
        dt_adds(o, "COUNT");
        dt_adds(o, "1000"); /* one page whatever the set: still iterated by the harness */
        o->kind = DT_SCAN;
        o->cursor_arg = 2;
        mutate = false;
    }
    if (mutate && dt_rn(g, 60) == 0) {
        if (o->argc > 1 && dt_rn(g, 2)) {
            free(o->argv[--o->argc]);
            o->argv[o->argc] = NULL;
        } else if (o->kind == DT_EXACT || o->kind == DT_SORTED) {
            dt_adds(o, "extra");
        }
    }
    dt_random_case(g, o);
}

static const dt_config_t set_cfg = {.name = "sets", .gen = gen_set, .nops = 3000, .multi_one_in = 25};

/* A member of a big set: zero-padded, unpadded or worded, so that the
 * draws above 128 members meet evenly spread and clustered members. */
static void add_big_member(dt_prng_t *g, dt_op_t *o)
{
    int r = dt_rn(g, 10);
    if (r < 5) dt_addf(o, "m%05d", dt_rn(g, 20000));
    else if (r < 8) dt_addf(o, "%d", dt_rn(g, 100000));
    else dt_addf(o, "w:%x", dt_rn(g, 1 << 20));
}

/* Two keys grown by SADDs of up to 60 members and deleted now and then, so
 * they live on both sides of the 128 members where SPOP and SRANDMEMBER
 * stop walking and start drawing (coll_iter_seek_random); the draws are
 * compared by shape, and the popped key copied back from the reference. */
static void gen_bigset(dt_prng_t *g, dt_op_t *o, bool in_multi)
{
    static const char *counts[] = {"1", "3", "20", "-1", "-7", "-40", "300", "-300", "100000", "0"};
    const char *key = dt_rn(g, 2) ? "big" : "big2";
    int r = dt_rn(g, 100);
    if (r < 35) {
        dt_adds(o, "SADD");
        dt_adds(o, key);
        for (int i = 1 + dt_rn(g, 60); i > 0; i--) add_big_member(g, o);
    } else if (r < 43) {
        dt_adds(o, "SREM");
        dt_adds(o, key);
        for (int i = 1 + dt_rn(g, 10); i > 0; i--) add_big_member(g, o);
    } else if (r < 46) {
        dt_adds(o, "DEL");
        dt_adds(o, key);
    } else if (in_multi || r < 52) {
        dt_adds(o, "SCARD");
        dt_adds(o, key);
    } else if (r < 56) {
        dt_adds(o, "SISMEMBER");
        dt_adds(o, key);
        add_big_member(g, o);
    } else if (r < 76) {
        dt_adds(o, "SRANDMEMBER");
        dt_adds(o, key);
        if (dt_rn(g, 2)) dt_adds(o, counts[dt_rn(g, 10)]);
        o->kind = DT_SHAPE;
    } else {
        dt_adds(o, "SPOP");
        dt_adds(o, key);
        if (dt_rn(g, 2)) dt_adds(o, counts[dt_rn(g, 3)]);
        o->kind = DT_SHAPE;
        o->resync_key = o->argv[1];
        o->resync_len = o->len[1];
    }
    dt_random_case(g, o);
}

static const dt_config_t bigset_cfg = {.name = "big sets", .gen = gen_bigset, .nops = 800, .multi_one_in = 40};

static void test_big_sets(void **state)
{
    (void)state;
    dt_run(&bigset_cfg);
}

static void test_random_sequences(void **state)
{
    (void)state;
    dt_run(&set_cfg);
}

/* The generator must replay a seed exactly (DIFF_SEED is how a failure is
 * reproduced), and must keep random replies out of MULTI. */
static void test_generator(void **state)
{
    (void)state;
    dt_prng_t g1 = {11}, g2 = {11};
    int shapes = 0, scans = 0, sorted = 0;
    for (int i = 0; i < 3000; i++) {
        dt_op_t a = {0}, b = {0};
        gen_set(&g1, &a, false);
        gen_set(&g2, &b, false);
        assert_int_equal(a.argc, b.argc);
        for (int j = 0; j < a.argc; j++) {
            assert_int_equal(a.len[j], b.len[j]);
            assert_memory_equal(a.argv[j], b.argv[j], a.len[j]);
        }
        shapes += a.kind == DT_SHAPE;
        scans += a.kind == DT_SCAN;
        sorted += a.kind == DT_SORTED;
        if (a.resync_key) assert_ptr_equal(a.resync_key, a.argv[1]);
        dt_op_free(&a);
        dt_op_free(&b);
        dt_op_t m = {0};
        gen_set(&g1, &m, true);
        gen_set(&g2, &b, true);
        assert_int_equal(m.kind, DT_EXACT);
        assert_null(m.resync_key);
        dt_op_free(&m);
        dt_op_free(&b);
    }
    assert_true(shapes > 100 && scans > 50 && sorted > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generator),
        cmocka_unit_test(test_random_sequences),
        cmocka_unit_test(test_big_sets),
    };
    return cmocka_run_group_tests_name("differential sets", tests, dt_setup, dt_teardown);
}
