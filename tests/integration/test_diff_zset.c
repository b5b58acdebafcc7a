/* Differential test of the sorted set commands against redis-server 7.0:
 * random sequences of every Z* command (and DEL, TYPE, EXISTS, EXPIRE, SET
 * for WRONGTYPE and replaced keys) on the key space all families share,
 * with replies compared byte for byte. ZRANDMEMBER is compared by shape
 * and ZSCAN as the set of pairs a full iteration returns; the blocking
 * pops are only sent inside MULTI, where they never block.
 *
 * Scores mix integers, 1.5, -0, +-inf, 1e300 and values whose sums round
 * (0.1, 1.1, ...), so aggregation order and the formatting of doubles are
 * exercised; members are few, so they collide. Sets stay small, as in
 * Redis's listpack encoding, whose behaviour (e.g. -0 stored as 0) is the
 * one redraft follows. DIFF_SEED / DIFF_OPS / DIFF_TRACE as difftest.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/difftest.h"

static void add_score(dt_prng_t *g, dt_op_t *o)
{
    static const char *s[] = {"1",   "1.5",   "-0",  "0",    "inf",  "-inf", "+inf", "1e300", "-1e300", "2",
                              "3",   "0.1",   "0.2", "1.1",  "2.2",  "3.3",  "-2.5", "10",    "5",      "-1"};
    static const char *bad[] = {"abc", "nan", "", " 1", "1 ", "(1", "0x10", "1e400"};
    int r = dt_rn(g, 40);
    if (r == 0) dt_adds(o, bad[dt_rn(g, 8)]);
    else if (r < 10) dt_addf(o, "%d", dt_rn(g, 21) - 5);
    else dt_adds(o, s[dt_rn(g, 20)]);
}

static void add_member(dt_prng_t *g, dt_op_t *o)
{
    static const struct {
        const char *s;
        size_t n;
    } m[] = {{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}, {"e", 1}, {"ab", 2}, {"abc", 3}, {"", 0},
             {"\0", 1}, {"a\0b", 3}, {"B", 1}, {"zz", 2}, {"1", 1}, {"-", 1}};
    int i = dt_rn(g, 14);
    dt_add(o, m[i].s, m[i].n);
}

static void add_score_bound(dt_prng_t *g, dt_op_t *o)
{
    static const char *b[] = {"-inf", "+inf", "inf", "(1", "1", "1.5", "(1.5", "0", "(0", "-0", "2", "(2",
                              "10", "(10", "-1", "(-inf", "(inf", "3.3", "(3.3", "5"};
    static const char *bad[] = {"abc", "[1", "nan", "(", "", " 1", "1 "};
    if (dt_rn(g, 25) == 0) dt_adds(o, bad[dt_rn(g, 7)]);
    else if (dt_rn(g, 4) == 0) dt_addf(o, "%s%d", dt_rn(g, 2) ? "(" : "", dt_rn(g, 13) - 3);
    else dt_adds(o, b[dt_rn(g, 20)]);
}

static void add_lex_bound(dt_prng_t *g, dt_op_t *o)
{
    static const struct {
        const char *s;
        size_t n;
    } b[] = {{"-", 1}, {"+", 1}, {"[a", 2}, {"(a", 2}, {"[b", 2}, {"(b", 2}, {"[c", 2}, {"(c", 2}, {"[ab", 3},
             {"(abc", 4}, {"[", 1}, {"(", 1}, {"[\0", 2}, {"[zz", 3}, {"(e", 2}, {"[e", 2},
             {"a", 1}, {"+a", 2}, {"--", 2}, {"", 0}};
    int i = dt_rn(g, 30);
    i = i < 16 ? i : i < 28 ? i % 4 : 16 + dt_rn(g, 4);
    dt_add(o, b[i].s, b[i].n);
}

static void add_rank(dt_prng_t *g, dt_op_t *o)
{
    static const char *odd[] = {"100", "-100", "9223372036854775807", "-9223372036854775808", "x", "1.5"};
    if (dt_rn(g, 12)) dt_addf(o, "%d", dt_rn(g, 15) - 7);
    else dt_adds(o, odd[dt_rn(g, 6)]);
}

static void add_count(dt_prng_t *g, dt_op_t *o)
{
    static const char *odd[] = {"0", "-1", "x", "100", "9223372036854775807"};
    if (dt_rn(g, 8)) dt_addf(o, "%d", dt_rn(g, 5) + 1);
    else dt_adds(o, odd[dt_rn(g, 5)]);
}

/* numkeys (sometimes wrong) and that many keys (sometimes a few more). */
static int add_keys_numkeys(dt_prng_t *g, dt_op_t *o)
{
    int n = dt_rn(g, 3) + 1;
    int r = dt_rn(g, 30);
    if (r == 0) dt_adds(o, "0");
    else if (r == 1) dt_adds(o, "-1");
    else if (r == 2) dt_adds(o, "x");
    else if (r == 3) dt_addf(o, "%d", n + 5);
    else dt_addf(o, "%d", n);
    for (int i = 0; i < n; i++) dt_add_key(g, o);
    return n;
}

static void add_zadd_flags(dt_prng_t *g, dt_op_t *o, bool incr_ok)
{
    static const char *flags[] = {"NX", "XX", "GT", "LT", "CH", "INCR", "nx", "ch"};
    if (dt_rn(g, 2)) return;
    int n = dt_rn(g, 3) + 1;
    for (int i = 0; i < n; i++) {
        const char *f = flags[dt_rn(g, 8)];
        if (!incr_ok && strcmp(f, "INCR") == 0) f = "CH";
        /* conflicting pairs stay rare, so most ZADDs do something */
        dt_adds(o, f);
        if (dt_rn(g, 3)) break;
    }
}

static void gen_zadd(dt_prng_t *g, dt_op_t *o)
{
    dt_adds(o, "ZADD");
    dt_add_key(g, o);
    bool incr = dt_rn(g, 8) == 0;
    add_zadd_flags(g, o, false);
    if (incr) dt_adds(o, "INCR");
    int pairs = incr ? 1 : dt_rn(g, 4) + 1;
    if (incr && dt_rn(g, 15) == 0) pairs = 2;
    for (int i = 0; i < pairs; i++) {
        add_score(g, o);
        add_member(g, o);
    }
    if (dt_rn(g, 40) == 0) add_score(g, o); /* odd argument count */
}

/* Options of ZRANGE-like commands. */
static void range_opts(dt_prng_t *g, dt_op_t *o, bool withscores_ok, bool rev_ok, bool by_ok, bool limit_ok)
{
    int n = dt_rn(g, 3);
    for (int i = 0; i < n; i++) {
        int r = dt_rn(g, 10);
        if (r < 3 && withscores_ok) dt_adds(o, "WITHSCORES");
        else if (r < 6 && limit_ok) {
            dt_adds(o, "LIMIT");
            dt_addf(o, "%d", dt_rn(g, 8) ? dt_rn(g, 4) : -1);
            dt_addf(o, "%d", dt_rn(g, 6) - 1);
        } else if (r < 8 && rev_ok) dt_adds(o, "REV");
        else if (r < 9 && by_ok) dt_adds(o, dt_rn(g, 2) ? "BYSCORE" : "BYLEX");
        else if (r == 9 && dt_rn(g, 3) == 0) dt_adds(o, "foo");
    }
}

/* ZRANGE / ZRANGESTORE with a range matching (mostly) their BY option. */
static void gen_zrange(dt_prng_t *g, dt_op_t *o, bool store)
{
    dt_adds(o, store ? "ZRANGESTORE" : "ZRANGE");
    if (store) dt_add_key(g, o);
    dt_add_key(g, o);
    int by = dt_rn(g, 3); /* rank, score, lex */
    if (by == 0) {
        add_rank(g, o);
        add_rank(g, o);
    } else if (by == 1) {
        add_score_bound(g, o);
        add_score_bound(g, o);
    } else {
        add_lex_bound(g, o);
        add_lex_bound(g, o);
    }
    if (by == 1) dt_adds(o, "BYSCORE");
    if (by == 2) dt_adds(o, "BYLEX");
    if (dt_rn(g, 3) == 0) dt_adds(o, "REV");
    if (by && dt_rn(g, 3) == 0) {
        dt_adds(o, "LIMIT");
        dt_addf(o, "%d", dt_rn(g, 8) ? dt_rn(g, 4) : -1);
        dt_addf(o, "%d", dt_rn(g, 6) - 1);
    }
    if (!store && by != 2 && dt_rn(g, 2)) dt_adds(o, "WITHSCORES");
    if (dt_rn(g, 20) == 0) range_opts(g, o, !store, true, true, true);
}

static void gen_setop(dt_prng_t *g, dt_op_t *o)
{
    static const char *ops[] = {"ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE", "ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD"};
    int op = dt_rn(g, 7);
    dt_adds(o, ops[op]);
    bool store = op < 3, diff = op == 2 || op == 5, card = op == 6;
    if (store) dt_add_key(g, o);
    int n = add_keys_numkeys(g, o);
    if (!diff && !card && dt_rn(g, 3) == 0) {
        dt_adds(o, "WEIGHTS");
        static const char *w[] = {"1", "2", "-1", "0", "0.5", "inf", "-inf", "1.5", "x"};
        for (int i = 0; i < n; i++) dt_adds(o, w[dt_rn(g, dt_rn(g, 20) ? 8 : 9)]);
    }
    if (!diff && !card && dt_rn(g, 3) == 0) {
        static const char *a[] = {"SUM", "MIN", "MAX", "min", "avg"};
        dt_adds(o, "AGGREGATE");
        dt_adds(o, a[dt_rn(g, dt_rn(g, 20) ? 4 : 5)]);
    }
    if (!store && !card && dt_rn(g, 2)) dt_adds(o, "WITHSCORES");
    if (card && dt_rn(g, 2)) {
        dt_adds(o, "LIMIT");
        dt_addf(o, "%d", dt_rn(g, 10) ? dt_rn(g, 4) : -1);
    }
    if (dt_rn(g, 40) == 0) dt_adds(o, "WITHSCORES"); /* misplaced or repeated */
}

static void gen_mpop(dt_prng_t *g, dt_op_t *o, bool blocking)
{
    dt_adds(o, blocking ? "BZMPOP" : "ZMPOP");
    if (blocking) dt_adds(o, dt_rn(g, 10) ? "0" : dt_rn(g, 2) ? "-1" : "0.5");
    add_keys_numkeys(g, o);
    int r = dt_rn(g, 20);
    dt_adds(o, r == 0 ? "middle" : r < 10 ? "MIN" : "max");
    if (dt_rn(g, 2)) {
        dt_adds(o, "COUNT");
        add_count(g, o);
    }
}

static void gen_cmd(dt_prng_t *g, dt_op_t *o, bool in_multi)
{
    o->kind = DT_EXACT;
    int r = dt_rn(g, 100);
    if (r < 16) gen_zadd(g, o);
    else if (r < 19) { dt_adds(o, "ZINCRBY"); dt_add_key(g, o); add_score(g, o); add_member(g, o); }
    else if (r < 22) { dt_adds(o, "ZREM"); dt_add_key(g, o); for (int i = dt_rn(g, 3); i >= 0; i--) add_member(g, o); }
    else if (r < 24) { dt_adds(o, "ZSCORE"); dt_add_key(g, o); add_member(g, o); }
    else if (r < 25) { dt_adds(o, "ZMSCORE"); dt_add_key(g, o); for (int i = dt_rn(g, 3); i >= 0; i--) add_member(g, o); }
    else if (r < 27) { dt_adds(o, "ZCARD"); dt_add_key(g, o); }
    else if (r < 29) { dt_adds(o, "ZCOUNT"); dt_add_key(g, o); add_score_bound(g, o); add_score_bound(g, o); }
    else if (r < 30) { dt_adds(o, "ZLEXCOUNT"); dt_add_key(g, o); add_lex_bound(g, o); add_lex_bound(g, o); }
    else if (r < 32) { dt_adds(o, dt_rn(g, 2) ? "ZRANK" : "ZREVRANK"); dt_add_key(g, o); add_member(g, o); }
    else if (r < 39) gen_zrange(g, o, false);
    else if (r < 41) gen_zrange(g, o, true);
    else if (r < 43) {
        dt_adds(o, "ZREVRANGE"); dt_add_key(g, o); add_rank(g, o); add_rank(g, o);
        if (dt_rn(g, 2)) dt_adds(o, "WITHSCORES");
    } else if (r < 47) {
        bool rev = dt_rn(g, 2);
        dt_adds(o, rev ? "ZREVRANGEBYSCORE" : "ZRANGEBYSCORE"); dt_add_key(g, o);
        add_score_bound(g, o); add_score_bound(g, o);
        range_opts(g, o, true, false, false, true);
    } else if (r < 50) {
        bool rev = dt_rn(g, 2);
        dt_adds(o, rev ? "ZREVRANGEBYLEX" : "ZRANGEBYLEX"); dt_add_key(g, o);
        add_lex_bound(g, o); add_lex_bound(g, o);
        range_opts(g, o, dt_rn(g, 10) == 0, false, false, true);
    } else if (r < 54) {
        dt_adds(o, dt_rn(g, 2) ? "ZPOPMIN" : "ZPOPMAX"); dt_add_key(g, o);
        if (dt_rn(g, 2)) add_count(g, o);
    } else if (r < 56) { dt_adds(o, "ZREMRANGEBYRANK"); dt_add_key(g, o); add_rank(g, o); add_rank(g, o); }
    else if (r < 58) { dt_adds(o, "ZREMRANGEBYSCORE"); dt_add_key(g, o); add_score_bound(g, o); add_score_bound(g, o); }
    else if (r < 59) { dt_adds(o, "ZREMRANGEBYLEX"); dt_add_key(g, o); add_lex_bound(g, o); add_lex_bound(g, o); }
    else if (r < 68) gen_setop(g, o);
    else if (r < 71) gen_mpop(g, o, false);
    else if (r < 75) {
        if (in_multi) {
            int b = dt_rn(g, 3);
            if (b == 2) {
                gen_mpop(g, o, true);
            } else {
                dt_adds(o, b ? "BZPOPMAX" : "BZPOPMIN");
                for (int i = dt_rn(g, 3); i >= 0; i--) dt_add_key(g, o);
                dt_adds(o, dt_rn(g, 10) ? "0" : dt_rn(g, 2) ? "-1" : "x");
            }
        } else {
            dt_adds(o, "ZCARD");
            dt_add_key(g, o);
        }
    } else if (r < 79) {
        if (in_multi) {
            dt_adds(o, "ZCARD");
            dt_add_key(g, o);
        } else {
            o->kind = DT_SHAPE;
            dt_adds(o, "ZRANDMEMBER");
            dt_add_key(g, o);
            if (dt_rn(g, 4)) {
                static const char *cnt[] = {"1", "2", "3", "-1", "-3", "-5", "0", "10", "x"};
                dt_adds(o, cnt[dt_rn(g, 9)]);
                if (dt_rn(g, 2)) dt_adds(o, "WITHSCORES");
            }
        }
    } else if (r < 82) {
        if (in_multi) {
            dt_adds(o, "ZCARD");
            dt_add_key(g, o);
        } else {
            o->kind = DT_SCAN;
            o->cursor_arg = 2;
            o->scan_pairs = true;
            dt_adds(o, "ZSCAN");
            dt_add_key(g, o);
            dt_adds(o, "0");
            if (dt_rn(g, 3) == 0) { dt_adds(o, "MATCH"); dt_adds(o, dt_rn(g, 2) ? "a*" : "*"); }
            if (dt_rn(g, 3) == 0) { dt_adds(o, "COUNT"); dt_addf(o, "%d", dt_rn(g, 5) + 1); }
        }
    } else if (r < 86) { dt_adds(o, "DEL"); for (int i = dt_rn(g, 2); i >= 0; i--) dt_add_key(g, o); }
    else if (r < 88) { dt_adds(o, "TYPE"); dt_add_key(g, o); }
    else if (r < 90) { dt_adds(o, "EXISTS"); dt_add_key(g, o); }
    else if (r < 93) { dt_adds(o, "EXPIRE"); dt_add_key(g, o); dt_addf(o, "%d", 1000 + dt_rn(g, 100000)); }
    else if (r < 96) { dt_adds(o, "SET"); dt_add_key(g, o); dt_add_value(g, o); }
    else if (r < 98) { dt_adds(o, "ZCARD"); dt_add_key(g, o); }
    /* always listpack here: no member is long (a skiplist's lex ranges with
     * mixed scores differ from Redis's, docs/encoding.md) */
    else { dt_adds(o, "OBJECT"); dt_adds(o, "ENCODING"); dt_add_key(g, o); }
    if (dt_rn(g, 10) == 0) dt_random_case(g, o);
}

static const dt_config_t zset_cfg = {.name = "sorted sets", .gen = gen_cmd, .nops = 3000, .multi_one_in = 25};

/* Two sorted sets grown by ZADDs of up to 30 members and deleted now and
 * then, so they live on both sides of the 128 members above which
 * ZRANDMEMBER draws from the member sub-keys; compared by shape. */
static void gen_bigzset(dt_prng_t *g, dt_op_t *o, bool in_multi)
{
    static const char *counts[] = {"1", "3", "20", "-1", "-7", "-40", "300", "-300", "100000"};
    const char *key = dt_rn(g, 2) ? "bigz" : "bigz2";
    int r = dt_rn(g, 100);
    if (r < 40) {
        dt_adds(o, "ZADD");
        dt_adds(o, key);
        for (int i = 1 + dt_rn(g, 30); i > 0; i--) {
            dt_addf(o, "%d", dt_rn(g, 50) - 10);
            if (dt_rn(g, 2)) dt_addf(o, "m%05d", dt_rn(g, 20000));
            else dt_addf(o, "%d", dt_rn(g, 100000));
        }
    } else if (r < 47) {
        dt_adds(o, "ZREM");
        dt_adds(o, key);
        for (int i = 1 + dt_rn(g, 10); i > 0; i--) dt_addf(o, "m%05d", dt_rn(g, 20000));
    } else if (r < 50) {
        dt_adds(o, "DEL");
        dt_adds(o, key);
    } else if (in_multi || r < 56) {
        dt_adds(o, "ZCARD");
        dt_adds(o, key);
    } else {
        dt_adds(o, "ZRANDMEMBER");
        dt_adds(o, key);
        if (dt_rn(g, 3)) {
            dt_adds(o, counts[dt_rn(g, 9)]);
            if (dt_rn(g, 2)) dt_adds(o, "WITHSCORES");
        }
        o->kind = DT_SHAPE;
    }
    dt_random_case(g, o);
}

static const dt_config_t bigzset_cfg = {.name = "big sorted sets", .gen = gen_bigzset, .nops = 600, .multi_one_in = 40};

static void test_big_zsets(void **state)
{
    (void)state;
    dt_run(&bigzset_cfg);
}

static void test_random_sequences(void **state)
{
    dt_run(&zset_cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_sequences),
        cmocka_unit_test(test_big_zsets),
    };
    return cmocka_run_group_tests_name("differential: sorted sets", tests, dt_setup, dt_teardown);
}
