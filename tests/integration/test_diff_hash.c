/* Differential test of the hash commands: random sequences go to
 * redis-server 7.0.15 and to redraft (tests/support/difftest.h), and the
 * replies must match byte for byte, except where Redis's own reply has no
 * fixed order or is random:
 *   HKEYS, HVALS   elements compared as a multiset (DT_SORTED);
 *   HGETALL        field/value pairs in any order (DT_PAIRS);
 *   HSCAN          iterated to cursor 0 on each server, the pairs compared as
 *                  a set (DT_SCAN; an error reply exactly);
 *   HRANDFIELD     the reply's type and element count (DT_SHAPE): it is a
 *                  read, so the servers' states stay the same.
 * The hash commands share a small key space with strings (SET, GET, INCR)
 * and generic commands (DEL, EXPIRE, RENAME, COPY, ...), so WRONGTYPE, keys
 * emptied by HDEL, expiry kept or dropped and recreated keys all happen.
 * Fields come from a small set so that commands collide on them; some HSETs
 * add many fields at once and some values are long, so Redis converts
 * hashes from listpack to hashtable encoding and HSCAN really pages there.
 *
 * DIFF_SEED=<n>, DIFF_OPS=<n>, DIFF_TRACE=1 as for every differential test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/difftest.h"

/* A field: mostly from a small set (so commands collide), sometimes one of
 * many numbered ones (to grow big hashes), sometimes any value. */
static void add_field(dt_prng_t *g, dt_op_t *o)
{
    static const struct {
        const char *s;
        size_t n;
    } fields[] = {{"f1", 2}, {"f2", 2}, {"f3", 2}, {"name", 4}, {"count", 5},
                  {"", 0},   {"\0", 1}, {"a\r\nb", 4}, {"\xff", 1}, {"F1", 2}};
    int r = dt_rn(g, 10);
    if (r < 6) {
        int i = dt_rn(g, 10);
        dt_add(o, fields[i].s, fields[i].n);
    } else if (r < 9) {
        dt_addf(o, "n%d", dt_rn(g, 300));
    } else {
        dt_add_value(g, o);
    }
}

static void add_incr(dt_prng_t *g, dt_op_t *o)
{
    static const char *odd[] = {"9223372036854775807", "-9223372036854775808", "9223372036854775808",
                                "abc", "1.5", "", " 1", "+1", "01", "-0"};
    if (dt_rn(g, 6)) dt_addf(o, "%d", dt_rn(g, 2001) - 1000);
    else dt_adds(o, odd[dt_rn(g, 10)]);
}

static void add_float_incr(dt_prng_t *g, dt_op_t *o)
{
    static const char *fl[] = {"1.5", "-0.25", "1e3", "3.0e-2", "0.1", "10", "-10", "5.", "inf", "-inf",
                               "nan", "1e400", "-1e400", "abc", "", " 1", "1e-400", "0.3",
                               "1.0000000000000001", "1e4000", "-1e4000", "0x10", ".5"};
    if (dt_rn(g, 3)) dt_addf(o, "%d.%d", dt_rn(g, 200) - 100, dt_rn(g, 100));
    else dt_adds(o, fl[dt_rn(g, 23)]);
}

/* HRANDFIELD's count: small of both signs mostly, and the edges (huge,
 * the range limits, not a number). Never a huge negative count that is
 * valid (-4611686018427387904 is an error only with WITHVALUES, which the
 * arity mutation may drop): Redis would try to build a reply that large. */
static void add_rand_count(dt_prng_t *g, dt_op_t *o)
{
    static const char *odd[] = {"0", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
                                "4611686018427387903", "4611686018427387904", "abc", "1.0", "", "-0", "01",
                                "1000000", "-300"};
    if (dt_rn(g, 5)) dt_addf(o, "%d", dt_rn(g, 61) - 30);
    else dt_adds(o, odd[dt_rn(g, 13)]);
}

/* The key of a hash command: a shared key mostly, else "big", which only
 * hash commands touch, so it grows past Redis's listpack limit (128
 * fields) and Redis pages HSCAN over a real hashtable. */
static void add_hkey(dt_prng_t *g, dt_op_t *o)
{
    if (dt_rn(g, 4)) dt_add_key(g, o);
    else dt_adds(o, "big");
}

/* Field/value pairs: one to three, now and then many (a big hash). */
static void add_pairs(dt_prng_t *g, dt_op_t *o)
{
    int n = dt_rn(g, 5) == 0 ? 20 + dt_rn(g, 11) : 1 + dt_rn(g, 3);
    for (int i = 0; i < n; i++) {
        add_field(g, o);
        dt_add_value(g, o);
    }
}

static void gen_hash(dt_prng_t *g, dt_op_t *o, bool in_multi)
{
    o->kind = DT_EXACT;
    int r = dt_rn(g, in_multi ? 100 : 125);
    /* clang-format off */
    if (r < 18) { dt_adds(o, "HSET"); add_hkey(g, o); add_pairs(g, o); }
    else if (r < 21) { dt_adds(o, "HMSET"); add_hkey(g, o); add_pairs(g, o); }
    else if (r < 24) { dt_adds(o, "HSETNX"); add_hkey(g, o); add_field(g, o); dt_add_value(g, o); }
    else if (r < 31) { dt_adds(o, "HGET"); add_hkey(g, o); add_field(g, o); }
    else if (r < 35) { dt_adds(o, "HMGET"); add_hkey(g, o); for (int i = dt_rn(g, 4); i >= 0; i--) add_field(g, o); }
    else if (r < 43) { dt_adds(o, "HDEL"); add_hkey(g, o); for (int i = dt_rn(g, 3); i >= 0; i--) add_field(g, o); }
    else if (r < 46) { dt_adds(o, "HLEN"); add_hkey(g, o); }
    else if (r < 49) { dt_adds(o, "HSTRLEN"); add_hkey(g, o); add_field(g, o); }
    else if (r < 53) { dt_adds(o, "HEXISTS"); add_hkey(g, o); add_field(g, o); }
    else if (r < 59) {
        dt_adds(o, "HINCRBY"); add_hkey(g, o);
        if (dt_rn(g, 2)) dt_adds(o, "count"); else add_field(g, o);
        add_incr(g, o);
    } else if (r < 64) {
        dt_adds(o, "HINCRBYFLOAT"); add_hkey(g, o);
        if (dt_rn(g, 2)) dt_adds(o, "count"); else add_field(g, o);
        add_float_incr(g, o);
    }
    else if (r < 66) { dt_adds(o, "SET"); dt_add_key(g, o); dt_add_value(g, o); }
    else if (r < 68) { dt_adds(o, "GET"); dt_add_key(g, o); }
    else if (r < 69) { dt_adds(o, "INCR"); dt_add_key(g, o); }
    else if (r < 72) { dt_adds(o, "DEL"); for (int i = dt_rn(g, 2); i >= 0; i--) dt_add_key(g, o); }
    else if (r < 75) { dt_adds(o, "EXISTS"); for (int i = dt_rn(g, 3); i >= 0; i--) dt_add_key(g, o); }
    else if (r < 79) { dt_adds(o, "TYPE"); dt_add_key(g, o); }
    else if (r < 83) {
        dt_adds(o, dt_rn(g, 2) ? "EXPIRE" : "PEXPIRE"); dt_add_key(g, o);
        /* long enough not to expire during the run, or negative: at once */
        dt_addf(o, "%d", dt_rn(g, 8) ? 100000 + dt_rn(g, 100000) : -dt_rn(g, 10));
    }
    else if (r < 85) { dt_adds(o, "PERSIST"); dt_add_key(g, o); }
    else if (r < 87) { dt_adds(o, dt_rn(g, 2) ? "RENAME" : "RENAMENX"); dt_add_key(g, o); dt_add_key(g, o); }
    else if (r < 89) {
        dt_adds(o, "COPY"); dt_add_key(g, o); dt_add_key(g, o);
        if (dt_rn(g, 2)) dt_adds(o, "REPLACE");
    }
    else if (r < 91) { dt_adds(o, "HSET"); add_hkey(g, o); add_field(g, o); } /* odd: arity */
    else if (r < 96) { dt_adds(o, "HGET"); add_hkey(g, o); add_field(g, o); }
    /* a hash that got a long value keeps "hashtable" once it is overwritten */
    else if (in_multi || r < 100) { dt_adds(o, "OBJECT"); dt_adds(o, "ENCODING"); add_hkey(g, o); }
    /* replies without a fixed order or random: never inside MULTI */
    else if (r < 104) { dt_adds(o, "HKEYS"); add_hkey(g, o); o->kind = DT_SORTED; }
    else if (r < 107) { dt_adds(o, "HVALS"); add_hkey(g, o); o->kind = DT_SORTED; }
    else if (r < 111) { dt_adds(o, "HGETALL"); add_hkey(g, o); o->kind = DT_PAIRS; }
    else if (r < 117) {
        dt_adds(o, "HRANDFIELD"); add_hkey(g, o);
        if (dt_rn(g, 4)) {
            add_rand_count(g, o);
            int w = dt_rn(g, 8);
            if (w < 4) dt_adds(o, w ? "WITHVALUES" : "withvalues");
            else if (w == 4) dt_adds(o, "WITHVALUE");
        }
        o->kind = DT_SHAPE;
    } else if (r < 122) {
        static const char *pats[] = {"*", "f*", "n1*", "?", "[a-f]*", "*1", "n2?", "\\*", "[", ""};
        dt_adds(o, "HSCAN");
        add_hkey(g, o);
        int c = dt_rn(g, 30);
        dt_adds(o, c ? "0" : (dt_rn(g, 2) ? "abc" : "-"));
        int n = dt_rn(g, 3);
        for (int i = 0; i < n; i++) {
            int w = dt_rn(g, 12);
            if (w < 5) { dt_adds(o, "MATCH"); dt_adds(o, pats[dt_rn(g, 10)]); }
            else if (w < 10) {
                dt_adds(o, "COUNT");
                int k = dt_rn(g, 10);
                if (k == 0) dt_addf(o, "%d", dt_rn(g, 3) - 1);
                else if (k == 1) dt_adds(o, "x");
                else dt_addf(o, "%d", 1 + dt_rn(g, k < 5 ? 5 : 500));
            }
            else if (w == 10) { dt_adds(o, "NOVALUES"); }
            else { dt_adds(o, "TYPE"); dt_adds(o, "hash"); }
        }
        o->kind = DT_SCAN;
        o->cursor_arg = 2;
        o->scan_pairs = true;
    } else { dt_adds(o, "TTL"); dt_add_key(g, o); o->kind = DT_TTL; }
    /* clang-format on */
    /* now and then a wrong number of arguments */
    if (dt_rn(g, 50) == 0) {
        if (o->argc > 1 && dt_rn(g, 2)) {
            free(o->argv[--o->argc]);
            o->argv[o->argc] = NULL;
        } else {
            dt_adds(o, "extra");
        }
    }
    dt_random_case(g, o);
}

static const dt_config_t hash_cfg = {.name = "hashes", .gen = gen_hash, .nops = 3000, .multi_one_in = 30};

/* Two hashes grown by HSETs of up to 30 fields and deleted now and then,
 * so they live on both sides of the 128 fields above which HRANDFIELD
 * draws (coll_iter_seek_random) instead of walking; compared by shape. */
static void gen_bighash(dt_prng_t *g, dt_op_t *o, bool in_multi)
{
    static const char *counts[] = {"1", "3", "20", "-1", "-7", "-40", "300", "-300", "100000"};
    const char *key = dt_rn(g, 2) ? "bigh" : "bigh2";
    int r = dt_rn(g, 100);
    if (r < 40) {
        dt_adds(o, "HSET");
        dt_adds(o, key);
        for (int i = 1 + dt_rn(g, 30); i > 0; i--) {
            if (dt_rn(g, 2)) dt_addf(o, "f%05d", dt_rn(g, 20000));
            else dt_addf(o, "%d", dt_rn(g, 100000));
            dt_addf(o, "v%d", dt_rn(g, 1000));
        }
    } else if (r < 47) {
        dt_adds(o, "HDEL");
        dt_adds(o, key);
        for (int i = 1 + dt_rn(g, 10); i > 0; i--) dt_addf(o, "f%05d", dt_rn(g, 20000));
    } else if (r < 50) {
        dt_adds(o, "DEL");
        dt_adds(o, key);
    } else if (in_multi || r < 56) {
        dt_adds(o, "HLEN");
        dt_adds(o, key);
    } else {
        dt_adds(o, "HRANDFIELD");
        dt_adds(o, key);
        if (dt_rn(g, 3)) {
            dt_adds(o, counts[dt_rn(g, 9)]);
            if (dt_rn(g, 2)) dt_adds(o, "WITHVALUES");
        }
        o->kind = DT_SHAPE;
    }
    dt_random_case(g, o);
}

static const dt_config_t bighash_cfg = {.name = "big hashes", .gen = gen_bighash, .nops = 600, .multi_one_in = 40};

static void test_big_hashes(void **state)
{
    (void)state;
    dt_run(&bighash_cfg);
}

static void test_random_sequences(void **state)
{
    dt_run(&hash_cfg);
}

/* The normalizations this test leans on must be able to fail. */
static void test_normalizations_can_fail(void **state)
{
    if (!dt_have_ref()) skip();
    static const char p1[] = "*4\r\n$1\r\nf\r\n$1\r\n1\r\n$1\r\ng\r\n$1\r\n2\r\n";
    static const char p2[] = "*4\r\n$1\r\ng\r\n$1\r\n2\r\n$1\r\nf\r\n$1\r\n1\r\n";
    static const char p3[] = "*4\r\n$1\r\ng\r\n$1\r\n1\r\n$1\r\nf\r\n$1\r\n2\r\n";
    assert_true(dt_same(DT_PAIRS, p1, sizeof(p1) - 1, p2, sizeof(p2) - 1, 0));
    assert_false(dt_same(DT_PAIRS, p1, sizeof(p1) - 1, p3, sizeof(p3) - 1, 0));
    /* RESP3 HRANDFIELD WITHVALUES: two pairs vs one pair, or pairs vs flat */
    static const char r3a[] = "*2\r\n*2\r\n$1\r\nf\r\n$1\r\n1\r\n*2\r\n$1\r\ng\r\n$1\r\n2\r\n";
    static const char r3b[] = "*1\r\n*2\r\n$1\r\nf\r\n$1\r\n1\r\n";
    assert_false(dt_same(DT_SHAPE, r3a, sizeof(r3a) - 1, r3b, sizeof(r3b) - 1, 0));
    assert_false(dt_same(DT_SHAPE, r3a, sizeof(r3a) - 1, p1, sizeof(p1) - 1, 0));
    assert_false(dt_same(DT_SHAPE, "$-1\r\n", 5, "*0\r\n", 4, 0));
    static const char k1[] = "*2\r\n$1\r\na\r\n$1\r\nb\r\n";
    static const char k2[] = "*2\r\n$1\r\nb\r\n$1\r\na\r\n";
    static const char k3[] = "*2\r\n$1\r\na\r\n$1\r\na\r\n";
    assert_true(dt_same(DT_SORTED, k1, sizeof(k1) - 1, k2, sizeof(k2) - 1, 0));
    assert_false(dt_same(DT_SORTED, k1, sizeof(k1) - 1, k3, sizeof(k3) - 1, 0));
}

/* The generator is deterministic, so a seed replays. */
static void test_generator_replays(void **state)
{
    dt_prng_t g1 = {11}, g2 = {11};
    int kinds[8] = {0};
    for (int i = 0; i < 2000; i++) {
        dt_op_t a = {0}, b = {0};
        gen_hash(&g1, &a, false);
        gen_hash(&g2, &b, false);
        assert_int_equal(a.argc, b.argc);
        assert_int_equal(a.kind, b.kind);
        assert_true(a.argc <= DT_MAXARG);
        for (int j = 0; j < a.argc; j++) {
            assert_int_equal(a.len[j], b.len[j]);
            assert_memory_equal(a.argv[j], b.argv[j], a.len[j]);
        }
        if (a.kind >= 0 && a.kind < 8) kinds[a.kind]++;
        dt_op_free(&a);
        dt_op_free(&b);
    }
    /* every normalization is exercised */
    assert_true(kinds[DT_EXACT] > 0 && kinds[DT_SORTED] > 0 && kinds[DT_PAIRS] > 0 && kinds[DT_SHAPE] > 0 &&
                kinds[DT_SCAN] > 0 && kinds[DT_TTL] > 0);
    /* inside MULTI: nothing that needs a normalization */
    for (int i = 0; i < 2000; i++) {
        dt_op_t a = {0};
        gen_hash(&g1, &a, true);
        assert_int_equal(a.kind, DT_EXACT);
        dt_op_free(&a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generator_replays),
        cmocka_unit_test(test_normalizations_can_fail),
        cmocka_unit_test(test_random_sequences),
        cmocka_unit_test(test_big_hashes),
    };
    return cmocka_run_group_tests_name("differential hashes", tests, dt_setup, dt_teardown);
}
