/* Differential test of the list family: random sequences of list commands,
 * mixed with generic and string commands on the same small key space (so
 * WRONGTYPE, expiry and deletion meet lists), go to redis-server 7.0.15
 * and to redraft; every reply must match byte for byte (list replies are
 * deterministic: DT_EXACT throughout).
 *
 * Blocking commands must never block the reference server: inside MULTI
 * Redis never blocks, so there they go on any key; outside MULTI one comes
 * only right after an RPUSH to its first key, so that key holds elements
 * (or is of another type: WRONGTYPE), or with a timeout that is an error.
 *
 * DIFF_SEED, DIFF_OPS and DIFF_TRACE work as in every difftest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/difftest.h"

/* Elements: mostly a few short words, so that LREM, LPOS and LINSERT find
 * matches; sometimes anything dt_add_value makes (binary, long, empty). */
static void add_elem(dt_prng_t *g, dt_op_t *o)
{
    static const char *few[] = {"a", "b", "c", "x", "1", "-1"};
    if (dt_rn(g, 4)) dt_adds(o, few[dt_rn(g, 6)]);
    else dt_add_value(g, o);
}

/* Indices and counts: small ones, negative ones, the extremes, non-integers. */
static void add_index(dt_prng_t *g, dt_op_t *o)
{
    static const char *odd[] = {"0", "-1", "100", "-100", "9223372036854775807", "-9223372036854775808",
                                "abc", "1.5", "", "01", "+1", "9223372036854775808"};
    if (dt_rn(g, 10) < 8) dt_addf(o, "%d", dt_rn(g, 31) - 12);
    else dt_adds(o, odd[dt_rn(g, 12)]);
}

static void add_count(dt_prng_t *g, dt_op_t *o)
{
    static const char *odd[] = {"0", "-1", "9223372036854775807", "9223372036854775808", "abc", "-0", "1.0", ""};
    if (dt_rn(g, 5)) dt_addf(o, "%d", 1 + dt_rn(g, 8));
    else dt_adds(o, odd[dt_rn(g, 8)]);
}

static void add_where(dt_prng_t *g, dt_op_t *o)
{
    int r = dt_rn(g, 30);
    dt_adds(o, r < 14 ? "LEFT" : r < 28 ? "RIGHT" : r == 28 ? "middle" : "");
}

/* A timeout that returns at once: the element is there, or inside MULTI. */
static void add_timeout(dt_prng_t *g, dt_op_t *o)
{
    static const char *t[] = {"0", "0.01", "1", "1.5", "0x10", "-0", "-0.0001", "1e-400", "0.0009", "100"};
    dt_adds(o, t[dt_rn(g, 10)]);
}

/* A timeout that is an error, checked before any key: safe anywhere. */
static void add_bad_timeout(dt_prng_t *g, dt_op_t *o)
{
    static const char *t[] = {"x", "-1", "nan", "inf", "1e400", "-1e400", " 1", "", "-0.002", "9223372036854776"};
    dt_adds(o, t[dt_rn(g, 10)]);
}

/* A blocking command whose first key is `key` (NULL: a random one). */
static void gen_blocking(dt_prng_t *g, dt_op_t *o, const char *key, size_t klen, bool bad_timeout)
{
    int r = dt_rn(g, 5);
    int nkeys = 1 + dt_rn(g, 3);
#define FIRST_KEY() (key ? dt_add(o, key, klen) : dt_add_key(g, o))
#define TIMEOUT() (bad_timeout ? add_bad_timeout(g, o) : add_timeout(g, o))
    if (r < 2) {
        dt_adds(o, r == 0 ? "BLPOP" : "BRPOP");
        FIRST_KEY();
        for (int i = 1; i < nkeys; i++) dt_add_key(g, o);
        TIMEOUT();
    } else if (r == 2) {
        dt_adds(o, "BLMOVE");
        FIRST_KEY();
        dt_add_key(g, o);
        dt_adds(o, dt_rn(g, 2) ? "LEFT" : "RIGHT"); /* a bad direction would beat a bad timeout */
        dt_adds(o, dt_rn(g, 2) ? "left" : "right");
        TIMEOUT();
    } else if (r == 3) {
        dt_adds(o, "BRPOPLPUSH");
        FIRST_KEY();
        dt_add_key(g, o);
        TIMEOUT();
    } else {
        dt_adds(o, "BLMPOP");
        TIMEOUT();
        dt_addf(o, "%d", nkeys);
        FIRST_KEY();
        for (int i = 1; i < nkeys; i++) dt_add_key(g, o);
        dt_adds(o, dt_rn(g, 2) ? "LEFT" : "RIGHT");
        if (dt_rn(g, 2)) {
            dt_adds(o, "COUNT");
            dt_addf(o, "%d", 1 + dt_rn(g, 5));
        }
    }
#undef FIRST_KEY
#undef TIMEOUT
}

/* LPOS's options in any order, sometimes repeated, sometimes wrong. */
static void lpos_options(dt_prng_t *g, dt_op_t *o)
{
    int n = dt_rn(g, 4);
    for (int i = 0; i < n; i++) {
        switch (dt_rn(g, 8)) {
        case 0: case 1: dt_adds(o, "RANK"); add_index(g, o); break;
        case 2: case 3: dt_adds(o, "COUNT"); add_index(g, o); break;
        case 4: case 5: dt_adds(o, "MAXLEN"); add_index(g, o); break;
        case 6: dt_adds(o, dt_rn(g, 2) ? "rank" : "count"); break; /* a missing value */
        default: dt_adds(o, "BOGUS"); break;
        }
    }
}

/* The key the previous command pushed to (outside MULTI), for a blocking
 * command that must find an element. */
static char pushed[16];
static size_t pushed_len;
static bool pushed_valid;

static void gen_list(dt_prng_t *g, dt_op_t *o, bool in_multi)
{
    if (pushed_valid && !in_multi && dt_rn(g, 4)) {
        pushed_valid = false;
        gen_blocking(g, o, pushed, pushed_len, false);
        dt_random_case(g, o);
        return;
    }
    pushed_valid = false;
    int r = dt_rn(g, 100);
    if (r < 16) { /* pushes: several elements now and then, so lists grow long */
        static const char *cmds[] = {"LPUSH", "RPUSH", "LPUSH", "RPUSH", "LPUSHX", "RPUSHX"};
        dt_adds(o, cmds[dt_rn(g, 6)]);
        dt_add_key(g, o);
        int n = dt_rn(g, 8) ? 1 + dt_rn(g, 4) : 10 + dt_rn(g, 40);
        for (int i = 0; i < n; i++) add_elem(g, o);
    } else if (r < 22 && !in_multi) { /* an RPUSH that a blocking command follows */
        dt_adds(o, "RPUSH");
        dt_add_key(g, o);
        memcpy(pushed, o->argv[1], o->len[1]);
        pushed_len = o->len[1];
        for (int i = dt_rn(g, 3); i >= 0; i--) add_elem(g, o);
        pushed_valid = true;
        dt_random_case(g, o);
        return;
    } else if (r < 28) {
        dt_adds(o, dt_rn(g, 2) ? "LPOP" : "RPOP");
        dt_add_key(g, o);
        if (dt_rn(g, 2)) add_count(g, o);
    } else if (r < 30) {
        dt_adds(o, "LLEN");
        dt_add_key(g, o);
    } else if (r < 39) {
        dt_adds(o, "LRANGE");
        dt_add_key(g, o);
        add_index(g, o);
        add_index(g, o);
    } else if (r < 42) {
        dt_adds(o, "LINDEX");
        dt_add_key(g, o);
        add_index(g, o);
    } else if (r < 45) {
        dt_adds(o, "LSET");
        dt_add_key(g, o);
        add_index(g, o);
        add_elem(g, o);
    } else if (r < 49) {
        dt_adds(o, "LINSERT");
        dt_add_key(g, o);
        int w = dt_rn(g, 20);
        dt_adds(o, w < 9 ? "BEFORE" : w < 18 ? "after" : "middle");
        add_elem(g, o);
        add_elem(g, o);
    } else if (r < 53) {
        dt_adds(o, "LREM");
        dt_add_key(g, o);
        add_index(g, o);
        add_elem(g, o);
    } else if (r < 56) {
        dt_adds(o, "LTRIM");
        dt_add_key(g, o);
        add_index(g, o);
        add_index(g, o);
    } else if (r < 61) {
        dt_adds(o, "LPOS");
        dt_add_key(g, o);
        add_elem(g, o);
        lpos_options(g, o);
    } else if (r < 65) {
        dt_adds(o, "LMOVE");
        dt_add_key(g, o);
        dt_add_key(g, o);
        add_where(g, o);
        add_where(g, o);
    } else if (r < 67) {
        dt_adds(o, "RPOPLPUSH");
        dt_add_key(g, o);
        dt_add_key(g, o);
    } else if (r < 71) {
        dt_adds(o, "LMPOP");
        int n = dt_rn(g, 12) ? 1 + dt_rn(g, 3) : dt_rn(g, 2) ? 0 : 5;
        if (dt_rn(g, 30)) dt_addf(o, "%d", n);
        else dt_adds(o, dt_rn(g, 2) ? "abc" : "9223372036854775807");
        int have = 1 + dt_rn(g, 3);
        for (int i = 0; i < have; i++) dt_add_key(g, o);
        add_where(g, o);
        if (dt_rn(g, 2)) {
            dt_adds(o, "COUNT");
            if (dt_rn(g, 4)) add_count(g, o);
        }
        if (dt_rn(g, 15) == 0) dt_adds(o, "COUNT");
    } else if (r < 76) { /* blocking: anything inside MULTI; outside, a bad timeout */
        gen_blocking(g, o, NULL, 0, !in_multi);
    } else if (r < 78) {
        dt_adds(o, "SET");
        dt_add_key(g, o);
        dt_add_value(g, o);
    } else if (r < 86) {
        dt_adds(o, "DEL");
        for (int i = dt_rn(g, 2); i >= 0; i--) dt_add_key(g, o);
    } else if (r < 89) {
        dt_adds(o, "TYPE");
        dt_add_key(g, o);
    } else if (r < 92) {
        dt_adds(o, "EXISTS");
        for (int i = dt_rn(g, 3); i >= 0; i--) dt_add_key(g, o);
    } else if (r < 95) {
        dt_adds(o, "EXPIRE"); /* long: nothing expires while a seed runs */
        dt_add_key(g, o);
        dt_addf(o, "%d", 1000 + dt_rn(g, 100000));
    } else if (r < 97) {
        dt_adds(o, "PERSIST");
        dt_add_key(g, o);
    } else if (r < 99) { /* a list's elements move to another name */
        dt_adds(o, dt_rn(g, 2) ? "RENAME" : "COPY");
        dt_add_key(g, o);
        dt_add_key(g, o);
        if (strcmp(o->argv[0], "COPY") == 0 && dt_rn(g, 2)) dt_adds(o, "REPLACE");
    } else {
        dt_adds(o, "GET");
        dt_add_key(g, o);
    }
    /* now and then a wrong number of arguments (never on a blocking
     * command outside MULTI: a lost timeout argument could make a key
     * the timeout... and an error is all it would test) */
    bool blocking = o->len[0] > 1 && (o->argv[0][0] == 'B' || o->argv[0][0] == 'b');
    if (dt_rn(g, 50) == 0 && (in_multi || !blocking)) {
        if (o->argc > 1 && dt_rn(g, 2)) {
            free(o->argv[--o->argc]);
            o->argv[o->argc] = NULL;
        } else {
            dt_adds(o, "extra");
        }
    }
    dt_random_case(g, o);
}

static const dt_config_t list_cfg = {.name = "lists", .gen = gen_list, .nops = 3000, .multi_one_in = 25};

static void test_random_list_sequences(void **state)
{
    (void)state;
    pushed_valid = false;
    dt_run(&list_cfg);
}

/* The generator replays: a seed gives the same commands twice. */
static void test_generator_deterministic(void **state)
{
    (void)state;
    dt_prng_t g1 = {11}, g2 = {11};
    for (int i = 0; i < 500; i++) {
        dt_op_t a = {0}, b = {0};
        pushed_valid = false;
        gen_list(&g1, &a, i % 7 == 0);
        bool p1 = pushed_valid;
        pushed_valid = false;
        gen_list(&g2, &b, i % 7 == 0);
        assert_int_equal(p1, pushed_valid);
        assert_int_equal(a.argc, b.argc);
        for (int j = 0; j < a.argc; j++) {
            assert_int_equal(a.len[j], b.len[j]);
            assert_memory_equal(a.argv[j], b.argv[j], a.len[j]);
        }
        dt_op_free(&a);
        dt_op_free(&b);
    }
    pushed_valid = false;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generator_deterministic),
        cmocka_unit_test(test_random_list_sequences),
    };
    return cmocka_run_group_tests_name("differential lists", tests, dt_setup, dt_teardown);
}
