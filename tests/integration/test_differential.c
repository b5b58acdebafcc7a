/* Differential test: the same random command sequences go to redis-server
 * 7.0.15 and to redraft, and the replies must match byte for byte.
 *
 * Seeds: DIFF_SEED=<n> replays one seed; otherwise a fixed list. DIFF_OPS
 * sets the number of operations per seed; DIFF_TRACE=1 prints every
 * command with both replies. Each seed runs on a fresh
 * keyspace, every other seed in RESP3.
 *
 * Replies that legitimately differ are normalized, never skipped:
 *   KEYS         elements sorted on both sides;
 *   SCAN         iterated to cursor 0 on each server, the key sets compared
 *                (an error reply is compared byte for byte);
 *   RANDOMKEY    nil on both, or on each side a key that EXISTS there;
 *   TTL/PTTL/EXPIRETIME/PEXPIRETIME of relative expiries: integers within
 *                a small tolerance (the two servers read their clocks at
 *                slightly different moments);
 *   HELLO        the connection id.
 * TIME and INFO are not generated. Relative expiries are long (>= 1000 s),
 * so nothing expires while a seed runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/difftest.h"

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
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
    static const char *fl[] = {"1.5", "-0.25", "1e3", "3.0e-2", "0.1", "10", "-10", "5.", "inf", "-inf", "nan",
                               "1e400", "-1e400", "abc", "", " 1", "1e-400", "0.3", "1.0000000000000001"};
    if (dt_rn(g, 3)) dt_addf(o, "%d.%d", dt_rn(g, 200) - 100, dt_rn(g, 100));
    else dt_adds(o, fl[dt_rn(g, 19)]);
}

static void add_index(dt_prng_t *g, dt_op_t *o)
{
    static const char *odd[] = {"0", "-1", "100", "-100", "9223372036854775807", "-9223372036854775808", "abc",
                                "1.5"};
    if (dt_rn(g, 10) < 7) dt_addf(o, "%d", dt_rn(g, 41) - 20);
    else dt_adds(o, odd[dt_rn(g, 8)]);
}

/* Relative expiry: long, and spread wide so two of them never fall within
 * the clock skew of the two servers. */
static void add_rel(dt_prng_t *g, dt_op_t *o, bool ms, bool allow_bad)
{
    static const char *bad[] = {"0", "-5", "abc", "9223372036854775807", "1.5", ""};
    if (allow_bad && dt_rn(g, 15) == 0) {
        dt_adds(o, bad[dt_rn(g, 6)]);
        return;
    }
    if (ms) dt_addf(o, "%llu", 1000000ULL + dt_rnd(g) % 1000000000ULL);
    else dt_addf(o, "%llu", 1000ULL + dt_rnd(g) % 1000000ULL);
}

/* The generator's clock: the wall clock, or a fixed time when a test needs
 * the same seed to give the same bytes twice. */
static long long gen_fixed_now;

/* Absolute expiry: the same number goes to both servers. */
static void add_abs(dt_prng_t *g, dt_op_t *o, bool ms, bool allow_past)
{
    long long now = gen_fixed_now ? gen_fixed_now : now_ms();
    if (allow_past && dt_rn(g, 8) == 0) {
        dt_adds(o, dt_rn(g, 2) ? "1" : "0");
        return;
    }
    long long at = ms ? now + 1000000LL + (long long)(dt_rnd(g) % 1000000000ULL)
                      : now / 1000 + 1000 + (long long)(dt_rnd(g) % 1000000ULL);
    dt_addf(o, "%lld", at);
}

static void set_options(dt_prng_t *g, dt_op_t *o)
{
    int n = dt_rn(g, 4);
    for (int i = 0; i < n; i++) {
        switch (dt_rn(g, 11)) {
        case 0: dt_adds(o, "NX"); break;
        case 1: dt_adds(o, "XX"); break;
        case 2: case 3: dt_adds(o, "GET"); break;
        case 4: dt_adds(o, "KEEPTTL"); break;
        case 5: dt_adds(o, "EX"); add_rel(g, o, false, true); break;
        case 6: dt_adds(o, "PX"); add_rel(g, o, true, true); break;
        case 7: dt_adds(o, "EXAT"); add_abs(g, o, false, false); break;
        case 8: dt_adds(o, "PXAT"); add_abs(g, o, true, false); break;
        case 9: dt_adds(o, dt_rn(g, 2) ? "ex" : "px"); add_rel(g, o, dt_rn(g, 2), false); break;
        default: dt_adds(o, dt_rn(g, 3) ? "EX" : "BOGUS"); break; /* a missing value or an unknown option */
        }
    }
}

static void getex_options(dt_prng_t *g, dt_op_t *o)
{
    int n = dt_rn(g, 3);
    for (int i = 0; i < n; i++) {
        switch (dt_rn(g, 7)) {
        case 0: dt_adds(o, "EX"); add_rel(g, o, false, true); break;
        case 1: dt_adds(o, "PX"); add_rel(g, o, true, true); break;
        case 2: dt_adds(o, "EXAT"); add_abs(g, o, false, true); break;
        case 3: dt_adds(o, "PXAT"); add_abs(g, o, true, true); break;
        case 4: case 5: dt_adds(o, "PERSIST"); break;
        default: dt_adds(o, dt_rn(g, 2) ? "KEEPTTL" : "EX"); break;
        }
    }
}

static void expire_flags(dt_prng_t *g, dt_op_t *o)
{
    static const char *fl[] = {"NX", "XX", "GT", "LT", "nx", "gt", "FOO"};
    int n = dt_rn(g, 5) == 0 ? 2 : dt_rn(g, 2);
    for (int i = 0; i < n; i++) dt_adds(o, fl[dt_rn(g, 7)]);
}

/* One command. in_multi: only commands whose reply is deterministic inside
 * an EXEC array. */
static void gen_cmd(dt_prng_t *g, dt_op_t *o, bool in_multi)
{
    o->kind = DT_EXACT;
    int r = dt_rn(g, 118);
    if (r < 8) { dt_adds(o, "GET"); dt_add_key(g, o); }
    else if (r < 18) { dt_adds(o, "SET"); dt_add_key(g, o); dt_add_value(g, o); set_options(g, o); }
    else if (r < 20) { dt_adds(o, "SETNX"); dt_add_key(g, o); dt_add_value(g, o); }
    else if (r < 22) { dt_adds(o, "SETEX"); dt_add_key(g, o); add_rel(g, o, false, true); dt_add_value(g, o); }
    else if (r < 24) { dt_adds(o, "PSETEX"); dt_add_key(g, o); add_rel(g, o, true, true); dt_add_value(g, o); }
    else if (r < 27) { dt_adds(o, "MGET"); for (int i = dt_rn(g, 4); i >= 0; i--) dt_add_key(g, o); }
    else if (r < 30) { dt_adds(o, "MSET"); for (int i = dt_rn(g, 3); i >= 0; i--) { dt_add_key(g, o); dt_add_value(g, o); } }
    else if (r < 32) { dt_adds(o, "MSETNX"); for (int i = dt_rn(g, 3); i >= 0; i--) { dt_add_key(g, o); dt_add_value(g, o); } }
    else if (r < 34) { dt_adds(o, "GETSET"); dt_add_key(g, o); dt_add_value(g, o); }
    else if (r < 36) { dt_adds(o, "GETDEL"); dt_add_key(g, o); }
    else if (r < 39) { dt_adds(o, "GETEX"); dt_add_key(g, o); getex_options(g, o); }
    else if (r < 43) { dt_adds(o, "INCR"); dt_add_key(g, o); }
    else if (r < 45) { dt_adds(o, "DECR"); dt_add_key(g, o); }
    else if (r < 48) { dt_adds(o, "INCRBY"); dt_add_key(g, o); add_incr(g, o); }
    else if (r < 50) { dt_adds(o, "DECRBY"); dt_add_key(g, o); add_incr(g, o); }
    else if (r < 53) { dt_adds(o, "INCRBYFLOAT"); dt_add_key(g, o); add_float_incr(g, o); }
    else if (r < 57) { dt_adds(o, "APPEND"); dt_add_key(g, o); dt_add_value(g, o); }
    else if (r < 59) { dt_adds(o, "STRLEN"); dt_add_key(g, o); }
    else if (r < 62) { dt_adds(o, dt_rn(g, 4) ? "GETRANGE" : "SUBSTR"); dt_add_key(g, o); add_index(g, o); add_index(g, o); }
    else if (r < 65) {
        dt_adds(o, "SETRANGE");
        dt_add_key(g, o);
        int k = dt_rn(g, 20);
        if (k == 0) dt_adds(o, "-1");
        else if (k == 1) dt_adds(o, "536870912");
        else if (k == 2) dt_adds(o, "x");
        else dt_addf(o, "%d", dt_rn(g, k < 5 ? 1000 : 20));
        dt_add_value(g, o);
    }
    else if (r < 68) { dt_adds(o, "DEL"); for (int i = dt_rn(g, 3); i >= 0; i--) dt_add_key(g, o); }
    else if (r < 69) { dt_adds(o, "UNLINK"); for (int i = dt_rn(g, 3); i >= 0; i--) dt_add_key(g, o); }
    else if (r < 71) { dt_adds(o, "EXISTS"); for (int i = dt_rn(g, 3); i >= 0; i--) dt_add_key(g, o); }
    else if (r < 72) { dt_adds(o, "TYPE"); dt_add_key(g, o); }
    else if (r < 74) { dt_adds(o, "RENAME"); dt_add_key(g, o); dt_add_key(g, o); }
    else if (r < 76) { dt_adds(o, "RENAMENX"); dt_add_key(g, o); dt_add_key(g, o); }
    else if (r < 79) { dt_adds(o, "EXPIRE"); dt_add_key(g, o); add_rel(g, o, false, true); expire_flags(g, o); }
    else if (r < 81) { dt_adds(o, "PEXPIRE"); dt_add_key(g, o); add_rel(g, o, true, true); expire_flags(g, o); }
    else if (r < 83) { dt_adds(o, "EXPIREAT"); dt_add_key(g, o); add_abs(g, o, false, true); expire_flags(g, o); }
    else if (r < 84) { dt_adds(o, "PEXPIREAT"); dt_add_key(g, o); add_abs(g, o, true, true); expire_flags(g, o); }
    else if (r < 86) { dt_adds(o, "PERSIST"); dt_add_key(g, o); }
    else if (r < 87) { dt_adds(o, "TOUCH"); for (int i = dt_rn(g, 3); i >= 0; i--) dt_add_key(g, o); }
    else if (r < 88) { dt_adds(o, "DBSIZE"); }
    else if (r < 89) { dt_adds(o, "PING"); if (dt_rn(g, 2)) dt_add_value(g, o); }
    else if (r < 90) { dt_adds(o, "ECHO"); dt_add_value(g, o); }
    else if (r < 91) { dt_adds(o, dt_rn(g, 2) ? "NOSUCHCMD" : "GETT"); if (dt_rn(g, 2)) dt_add_key(g, o); }
    else if (r < 92 && dt_rn(g, 6) == 0) { dt_adds(o, dt_rn(g, 2) ? "FLUSHDB" : "FLUSHALL"); }
    else if (in_multi || r < 100) { dt_adds(o, "GET"); dt_add_key(g, o); }
    /* non-deterministic replies: never inside MULTI */
    else if (r < 103) { dt_adds(o, "TTL"); dt_add_key(g, o); o->kind = DT_TTL; }
    else if (r < 105) { dt_adds(o, "PTTL"); dt_add_key(g, o); o->kind = DT_PTTL; }
    else if (r < 106) { dt_adds(o, "EXPIRETIME"); dt_add_key(g, o); o->kind = DT_TTL; }
    else if (r < 107) { dt_adds(o, "PEXPIRETIME"); dt_add_key(g, o); o->kind = DT_PTTL; }
    else if (r < 111) {
        static const char *pats[] = {"*", "a", "?", "[a-d]", "[^a]*", "*a*", "k*", "\\*", "[", "n?", "", "*:*"};
        dt_adds(o, "KEYS");
        dt_adds(o, pats[dt_rn(g, 12)]);
        o->kind = DT_SORTED;
    } else if (r < 114) {
        static const char *pats[] = {"*", "a*", "?", "[a-c]", "k*", "*1"};
        dt_adds(o, "SCAN");
        dt_adds(o, dt_rn(g, 20) ? "0" : "abc");
        int n = dt_rn(g, 3);
        for (int i = 0; i < n; i++) {
            int w = dt_rn(g, 3);
            if (w == 0) { dt_adds(o, "MATCH"); dt_adds(o, pats[dt_rn(g, 6)]); }
            else if (w == 1) { dt_adds(o, "COUNT"); dt_addf(o, "%d", dt_rn(g, 12) - 1); }
            else { dt_adds(o, "TYPE"); dt_adds(o, dt_rn(g, 4) ? "string" : "hash"); }
        }
        o->kind = DT_SCAN;
    } else { dt_adds(o, "RANDOMKEY"); o->kind = DT_RANDOMKEY; }
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

/* ---- running and comparing ---------------------------------------------- */

/* ---- tests ------------------------------------------------------------------- */

static const dt_config_t strings_cfg = {
    .name = "strings and keys", .gen = gen_cmd, .nops = 3000, .multi_one_in = 30};

static void test_random_sequences(void **state)
{
    dt_run(&strings_cfg);
}

/* The differential machinery itself must be able to fail: a reply that
 * differs is caught (checked against the reference server alone, which
 * must disagree with a deliberately wrong expectation). */
static void test_normalization_rules(void **state)
{
    if (!dt_have_ref()) skip();
    assert_true(dt_same(DT_TTL, ":100\r\n", 6, ":99\r\n", 5, 250));
    assert_false(dt_same(DT_TTL, ":100\r\n", 6, ":98\r\n", 5, 250));
    assert_false(dt_same(DT_TTL, ":-1\r\n", 5, ":-2\r\n", 5, 250));
    assert_false(dt_same(DT_TTL, ":-1\r\n", 5, ":0\r\n", 4, 250));
    assert_true(dt_same(DT_PTTL, ":100000\r\n", 9, ":99900\r\n", 8, 250));
    assert_false(dt_same(DT_PTTL, ":100000\r\n", 9, ":99000\r\n", 8, 250));
    assert_true(dt_same(DT_SORTED, "*2\r\n$1\r\na\r\n$1\r\nb\r\n", 18, "*2\r\n$1\r\nb\r\n$1\r\na\r\n", 18, 0));
    assert_false(dt_same(DT_SORTED, "*2\r\n$1\r\na\r\n$1\r\nb\r\n", 18, "*2\r\n$1\r\nb\r\n$1\r\nc\r\n", 18, 0));
    assert_false(dt_same(DT_SORTED, "*1\r\n$1\r\na\r\n", 11, "*2\r\n$1\r\na\r\n$1\r\na\r\n", 18, 0));
    /* a RESP3 set and an array are different replies */
    assert_false(dt_same(DT_SORTED, "~1\r\n$1\r\na\r\n", 11, "*1\r\n$1\r\na\r\n", 11, 0));
    /* pairs move as a whole: a field keeps its value */
    static const char p1[] = "*4\r\n$1\r\nf\r\n$1\r\n1\r\n$1\r\ng\r\n$1\r\n2\r\n";
    static const char p2[] = "*4\r\n$1\r\ng\r\n$1\r\n2\r\n$1\r\nf\r\n$1\r\n1\r\n";
    static const char p3[] = "*4\r\n$1\r\ng\r\n$1\r\n1\r\n$1\r\nf\r\n$1\r\n2\r\n";
    static const char m1[] = "%2\r\n$1\r\nf\r\n$1\r\n1\r\n$1\r\ng\r\n$1\r\n2\r\n";
    static const char m2[] = "%2\r\n$1\r\ng\r\n$1\r\n2\r\n$1\r\nf\r\n$1\r\n1\r\n";
    assert_true(dt_same(DT_PAIRS, p1, sizeof(p1) - 1, p2, sizeof(p2) - 1, 0));
    assert_false(dt_same(DT_PAIRS, p1, sizeof(p1) - 1, p3, sizeof(p3) - 1, 0));
    assert_true(dt_same(DT_PAIRS, m1, sizeof(m1) - 1, m2, sizeof(m2) - 1, 0));
    /* (as single elements they would pass: pairs need DT_PAIRS) */
    assert_true(dt_same(DT_SORTED, p1, sizeof(p1) - 1, p3, sizeof(p3) - 1, 0));
    /* a random reply: the shape only */
    assert_true(dt_same(DT_SHAPE, "*1\r\n$1\r\na\r\n", 11, "*1\r\n$1\r\nz\r\n", 11, 0));
    assert_false(dt_same(DT_SHAPE, "*1\r\n$1\r\na\r\n", 11, "*2\r\n$1\r\na\r\n$1\r\nb\r\n", 18, 0));
    assert_false(dt_same(DT_SHAPE, "$-1\r\n", 5, "$1\r\na\r\n", 7, 0));
    assert_false(dt_same(DT_SHAPE, "-ERR x\r\n", 8, "-ERR y\r\n", 8, 0));
    assert_false(dt_same(DT_EXACT, "$1\r\na\r\n", 7, "$1\r\nb\r\n", 7, 0));
    /* the generator is deterministic: a seed replays (at a fixed clock) */
    gen_fixed_now = 1700000000123LL;
    dt_prng_t g1 = {7}, g2 = {7};
    for (int i = 0; i < 200; i++) {
        dt_op_t a = {0}, b = {0};
        gen_cmd(&g1, &a, false);
        gen_cmd(&g2, &b, false);
        assert_int_equal(a.argc, b.argc);
        for (int j = 0; j < a.argc; j++) {
            assert_int_equal(a.len[j], b.len[j]);
            assert_memory_equal(a.argv[j], b.argv[j], a.len[j]);
        }
        dt_op_free(&a);
        dt_op_free(&b);
    }
    gen_fixed_now = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalization_rules),
        cmocka_unit_test(test_random_sequences),
    };
    return cmocka_run_group_tests_name("differential", tests, dt_setup, dt_teardown);
}
