/* Unit tests for tests/support/linearize.c on hand-made histories
 * (sequential, concurrent, the classic violations, unknown outcomes, INCR and
 * DEL) and on loading the text format (errors, lenient parsing). The random,
 * brute-force, size, budget and save/load round-trip tests are in
 * test_linearize.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "support/lintest.h"

/* ---- hand-made histories ------------------------------------------------- */

static void test_empty(void **state)
{
    lin_history_t *h = lin_history_new();
    lin_result_t r;
    assert_int_equal(lin_check(h, NULL, &r), LIN_LINEARIZABLE);
    assert_int_equal(r.n_keys, 0);
    assert_non_null(strstr(r.explain, "LINEARIZABLE"));
    lin_result_free(&r);
    lin_history_free(h);
}

static void test_sequential(void **state)
{
    lin_history_t *h = lin_history_new();
    lin_get(h, 1, "k", NULL, 0, 10);
    lin_set(h, 1, "k", "a", 20, 30);
    lin_get(h, 2, "k", "a", 40, 50);
    lin_set(h, 3, "k", "b", 60, 70);
    lin_get(h, 1, "k", "b", 80, 90);
    lin_del(h, 2, "k", 1, 100, 110);
    lin_get(h, 3, "k", NULL, 120, 130);
    lin_del(h, 1, "k", 0, 140, 150);
    lin_incr(h, 1, "n", 1, 0, 10);
    lin_incr(h, 2, "n", 2, 20, 30);
    lin_get(h, 3, "n", "2", 40, 50);
    lin_set(h, 3, "n", "41", 60, 70);
    lin_incr(h, 1, "n", 42, 80, 90);
    lin_set(h, 2, "n", "x", 100, 110);
    lin_incr_error(h, 3, "n", 120, 130);
    lin_get(h, 1, "n", "x", 140, 150);
    lin_set(h, 1, "n", "9223372036854775807", 160, 170);
    lin_incr_error(h, 2, "n", 180, 190);
    lin_set(h, 1, "n", "-5", 200, 210);
    lin_incr(h, 2, "n", -4, 220, 230);
    expect(h, LIN_LINEARIZABLE);

    lin_result_t r;
    lin_check(h, NULL, &r);
    assert_int_equal(r.n_keys, 2);
    assert_string_equal(r.keys[0].key, "k");
    assert_int_equal(r.keys[0].n_ops, 8);
    assert_string_equal(r.keys[1].key, "n");
    assert_int_equal(r.keys[1].n_ops, 12);
    lin_result_free(&r);
    lin_history_free(h);
}

/* Redis's integer syntax: "007", "+1", " 1", "-0" and 20 digits are not
 * integers, so INCR replies an error on them. */
static void test_incr_syntax(void **state)
{
    const char *bad[] = {
        "007", "+1", " 1", "-0", "1 ", "", "99999999999999999999", "1e3", "9223372036854775808"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        lin_history_t *h = lin_history_new();
        lin_set(h, 1, "k", bad[i], 0, 10);
        lin_incr_error(h, 1, "k", 20, 30);
        expect(h, LIN_LINEARIZABLE);
        lin_incr(h, 1, "k", 1, 40, 50);
        expect(h, LIN_NOT_LINEARIZABLE);
        lin_history_free(h);
    }
    lin_history_t *h = lin_history_new();
    lin_set(h, 1, "k", "-9223372036854775808", 0, 10);
    lin_incr(h, 1, "k", INT64_MIN + 1, 20, 30);
    lin_set(h, 1, "k", "0", 40, 50);
    lin_incr(h, 1, "k", 1, 60, 70);
    expect(h, LIN_LINEARIZABLE);
    lin_incr_error(h, 1, "k", 80, 90); /* "1" is an integer */
    expect(h, LIN_NOT_LINEARIZABLE);
    lin_history_free(h);
}

static void test_sequential_wrong(void **state)
{
    lin_history_t *h = lin_history_new();
    lin_set(h, 1, "k", "a", 0, 10);
    lin_get(h, 2, "k", "a", 20, 30);
    lin_del(h, 1, "k", 0, 40, 50); /* the key was there */
    expect(h, LIN_NOT_LINEARIZABLE);
    lin_history_free(h);

    h = lin_history_new();
    lin_incr(h, 1, "k", 1, 0, 10);
    lin_incr_error(h, 1, "k", 20, 30); /* "1" counts */
    expect(h, LIN_NOT_LINEARIZABLE);
    lin_history_free(h);

    h = lin_history_new();
    lin_del(h, 1, "k", 1, 0, 10); /* nothing to delete */
    expect(h, LIN_NOT_LINEARIZABLE);
    lin_history_free(h);
}

/* Overlapping writes and reads: either order is fine. */
static void test_concurrent_either_order(void **state)
{
    for (int pick = 0; pick < 2; pick++) {
        lin_history_t *h = lin_history_new();
        lin_set(h, 1, "k", "a", 0, 100);
        lin_set(h, 2, "k", "b", 10, 90);
        lin_get(h, 3, "k", pick ? "a" : "b", 95, 200);
        expect(h, LIN_LINEARIZABLE);
        lin_history_free(h);
    }
    /* a read overlapping a write sees the old or the new value */
    for (int pick = 0; pick < 2; pick++) {
        lin_history_t *h = lin_history_new();
        lin_set(h, 1, "k", "old", 0, 10);
        lin_set(h, 1, "k", "new", 20, 100);
        lin_get(h, 2, "k", pick ? "old" : "new", 30, 40);
        lin_get(h, 3, "k", "new", 110, 120);
        expect(h, LIN_LINEARIZABLE);
        lin_history_free(h);
    }
    /* two overlapping reads may see new then old while the write is in flight */
    lin_history_t *h = lin_history_new();
    lin_set(h, 1, "k", "a", 0, 10);
    lin_set(h, 1, "k", "b", 20, 100);
    lin_get(h, 2, "k", "b", 30, 60);
    lin_get(h, 3, "k", "a", 50, 70);
    expect(h, LIN_LINEARIZABLE);
    lin_history_free(h);
    /* concurrent INCRs in either order, DEL racing a SET */
    h = lin_history_new();
    lin_incr(h, 1, "n", 2, 0, 100);
    lin_incr(h, 2, "n", 1, 10, 90);
    lin_get(h, 3, "n", "2", 110, 120);
    lin_set(h, 1, "d", "x", 0, 100);
    lin_del(h, 2, "d", 0, 10, 90);
    lin_get(h, 3, "d", "x", 110, 120);
    expect(h, LIN_LINEARIZABLE);
    lin_history_free(h);
}

/* Ops whose times touch are concurrent; one tick apart they are ordered. */
static void test_touching_times(void **state)
{
    lin_history_t *h = lin_history_new();
    lin_set(h, 1, "k", "a", 0, 10);
    lin_get(h, 2, "k", NULL, 10, 20);
    expect(h, LIN_LINEARIZABLE);
    lin_history_free(h);
    h = lin_history_new();
    lin_set(h, 1, "k", "a", 0, 10);
    lin_get(h, 2, "k", NULL, 11, 20);
    expect(h, LIN_NOT_LINEARIZABLE);
    lin_history_free(h);
    /* zero-length intervals */
    h = lin_history_new();
    lin_set(h, 1, "k", "a", 5, 5);
    lin_get(h, 2, "k", "a", 5, 5);
    lin_get(h, 3, "k", NULL, 5, 5);
    expect(h, LIN_LINEARIZABLE);
    lin_history_free(h);
}

static void test_stale_read(void **state)
{
    lin_history_t *h = lin_history_new();
    lin_set(h, 1, "k", "a", 0, 10);
    lin_set(h, 2, "k", "b", 20, 30);
    lin_get(h, 3, "k", "a", 40, 50);
    lin_get(h, 3, "other", NULL, 40, 50);
    lin_result_t r;
    assert_int_equal(lin_check(h, NULL, &r), LIN_NOT_LINEARIZABLE);
    assert_int_equal(r.n_keys, 2);
    assert_int_equal(r.keys[0].verdict, LIN_NOT_LINEARIZABLE);
    assert_int_equal(r.keys[1].verdict, LIN_LINEARIZABLE);
    assert_int_equal(r.n_witness, 3);
    assert_true(witness_has(&r, 0) && witness_has(&r, 1) && witness_has(&r, 2));
    assert_true(r.witness_minimal);
    assert_non_null(strstr(r.explain, "key \"k\" is NOT linearizable"));
    assert_non_null(strstr(r.explain, "#2 client 3: GET -> \"a\"  [40 .. 50]"));
    assert_non_null(strstr(r.explain, "#1 client 2: SET \"b\" -> OK  [20 .. 30]\n"
                                      "        it would replace \"a\", which #2 must still read"));
    lin_result_free(&r);
    lin_history_free(h);
}

/* A read that returned new, then (strictly after it) a read that returned old. */
static void test_new_then_old(void **state)
{
    lin_history_t *h = lin_history_new();
    lin_set(h, 1, "k", "a", 0, 10);
    lin_set(h, 1, "k", "b", 20, 100);
    lin_get(h, 2, "k", "b", 30, 40);
    lin_get(h, 3, "k", "a", 50, 60);
    lin_get(h, 4, "k", "b", 200, 210);
    lin_result_t r;
    assert_int_equal(lin_check(h, NULL, &r), LIN_NOT_LINEARIZABLE);
    assert_int_equal(r.n_witness, 4);
    assert_false(witness_has(&r, 4));
    lin_result_free(&r);
    lin_history_free(h);
}

static void test_read_never_written(void **state)
{
    lin_history_t *h = lin_history_new();
    lin_set(h, 1, "k", "a", 0, 10);
    lin_get(h, 2, "k", "a", 20, 30);
    lin_get(h, 2, "k", "zz", 40, 50);
    lin_result_t r;
    assert_int_equal(lin_check(h, NULL, &r), LIN_NOT_LINEARIZABLE);
    assert_int_equal(r.n_witness, 1);
    assert_int_equal(r.witness[0], 2);
    assert_non_null(strstr(r.explain, "#2 read a value no op of this key ever wrote"));
    lin_result_free(&r);
    lin_history_free(h);
}

static void test_read_from_future(void **state)
{
    lin_history_t *h = lin_history_new();
    lin_get(h, 1, "k", "v", 0, 10);
    lin_set(h, 2, "k", "v", 20, 30);
    lin_result_t r;
    assert_int_equal(lin_check(h, NULL, &r), LIN_NOT_LINEARIZABLE);
    assert_non_null(strstr(r.explain, "written only by ops invoked after it returned"));
    lin_result_free(&r);
    lin_history_free(h);
    /* the same with the write's outcome unknown */
    h = lin_history_new();
    lin_get(h, 1, "k", "v", 0, 10);
    lin_unknown(h, lin_set(h, 2, "k", "v", 20, 30));
    expect(h, LIN_NOT_LINEARIZABLE);
    lin_history_free(h);
}

/* Acknowledged writes that a later read or INCR does not see. */
static void test_lost_write(void **state)
{
    lin_history_t *h = lin_history_new();
    lin_set(h, 1, "k", "a", 0, 10);
    lin_get(h, 2, "k", NULL, 20, 30);
    expect(h, LIN_NOT_LINEARIZABLE);
    lin_history_free(h);

    h = lin_history_new();
    lin_incr(h, 1, "n", 1, 0, 10);
    lin_incr(h, 2, "n", 1, 20, 30);
    expect(h, LIN_NOT_LINEARIZABLE);
    lin_history_free(h);

    h = lin_history_new();
    lin_set(h, 1, "k", "a", 0, 10);
    lin_del(h, 2, "k", 1, 20, 30);
    lin_get(h, 3, "k", "a", 40, 50);
    expect(h, LIN_NOT_LINEARIZABLE);
    lin_history_free(h);
}

static void test_unknown_write_read_later(void **state)
{
    lin_history_t *h = lin_history_new();
    lin_set(h, 1, "k", "a", 0, 10);
    lin_unknown(h, lin_set(h, 2, "k", "b", 20, 30));
    lin_get(h, 3, "k", "b", 1000, 1010);
    lin_get(h, 3, "k", "b", 1020, 1030);
    lin_result_t r;
    assert_int_equal(lin_check(h, NULL, &r), LIN_LINEARIZABLE);
    assert_int_equal(r.keys[0].n_unknown, 1);
    assert_int_equal(r.keys[0].n_pinned, 1);
    lin_result_free(&r);
    lin_history_free(h);
    /* read long after the client gave up: it took effect late */
    h = lin_history_new();
    lin_unknown(h, lin_set(h, 2, "k", "b", 20, 30));
    lin_get(h, 3, "k", NULL, 500, 510);
    lin_get(h, 3, "k", "b", 1000, 1010);
    expect(h, LIN_LINEARIZABLE);
    lin_history_free(h);
}

static void test_unknown_write_never_read(void **state)
{
    lin_history_t *h = lin_history_new();
    lin_set(h, 1, "k", "a", 0, 10);
    for (int i = 0; i < 50; i++) {
        char v[16];
        snprintf(v, sizeof(v), "lost%d", i);
        lin_unknown(h, lin_set(h, 2 + i % 3, "k", v, 20 + i, 30 + i));
    }
    lin_get(h, 3, "k", "a", 1000, 1010);
    lin_unknown(h, lin_get(h, 3, "k", "a", 2000, 2010));
    lin_result_t r;
    assert_int_equal(lin_check(h, NULL, &r), LIN_LINEARIZABLE);
    assert_int_equal(r.keys[0].n_unknown, 51);
    assert_int_equal(r.keys[0].n_dropped, 51);
    lin_result_free(&r);
    lin_history_free(h);
}

/* An unknown write that was read, then a read of an older value: wrong only
 * if real time forces the older write before the unknown one. */
static void test_unknown_read_then_unread(void **state)
{
    /* the older write returned before the unknown one was invoked */
    lin_history_t *h = lin_history_new();
    lin_set(h, 1, "k", "x", 0, 10);
    lin_unknown(h, lin_set(h, 2, "k", "y", 20, 25));
    lin_get(h, 3, "k", "y", 30, 40);
    lin_get(h, 3, "k", "x", 50, 60);
    lin_result_t r;
    assert_int_equal(lin_check(h, NULL, &r), LIN_NOT_LINEARIZABLE);
    assert_int_equal(r.n_witness, 4);
    lin_result_free(&r);
    lin_history_free(h);
    /* it overlaps the read of y: x can come after y */
    h = lin_history_new();
    lin_set(h, 1, "k", "x", 0, 100);
    lin_unknown(h, lin_set(h, 2, "k", "y", 20, 25));
    lin_get(h, 3, "k", "y", 30, 40);
    lin_get(h, 3, "k", "x", 50, 60);
    expect(h, LIN_LINEARIZABLE);
    lin_history_free(h);
    /* it overlaps the unknown write only: y took effect before the read of y,
     * so x (done by 25) came before the read of y too, and so before y */
    h = lin_history_new();
    lin_set(h, 1, "k", "x", 15, 25);
    lin_unknown(h, lin_set(h, 2, "k", "y", 20, 25));
    lin_get(h, 3, "k", "y", 30, 40);
    lin_get(h, 3, "k", "x", 50, 60);
    expect(h, LIN_NOT_LINEARIZABLE);
    lin_history_free(h);
    /* the same value written twice, one unknown: not pinned, still placed */
    h = lin_history_new();
    lin_set(h, 1, "k", "v", 0, 10);
    lin_set(h, 1, "k", "w", 20, 30);
    lin_unknown(h, lin_set(h, 2, "k", "v", 40, 45));
    lin_get(h, 3, "k", "v", 50, 60);
    lin_check(h, NULL, &r);
    assert_int_equal(r.verdict, LIN_LINEARIZABLE);
    assert_int_equal(r.keys[0].n_pinned, 0);
    lin_result_free(&r);
    lin_history_free(h);
    h = lin_history_new();
    lin_set(h, 1, "k", "v", 0, 10);
    lin_set(h, 1, "k", "w", 20, 30);
    lin_get(h, 3, "k", "v", 50, 60);
    expect(h, LIN_NOT_LINEARIZABLE);
    lin_history_free(h);
}

static void test_unknown_incr_del(void **state)
{
    /* an unknown INCR needed to explain a later reply */
    lin_history_t *h = lin_history_new();
    lin_incr(h, 1, "n", 1, 0, 10);
    lin_unknown(h, lin_incr(h, 2, "n", 0, 20, 30));
    lin_incr(h, 1, "n", 3, 40, 50);
    expect(h, LIN_LINEARIZABLE);
    lin_history_free(h);
    /* ... or not taking effect */
    h = lin_history_new();
    lin_incr(h, 1, "n", 1, 0, 10);
    lin_unknown(h, lin_incr(h, 2, "n", 0, 20, 30));
    lin_incr(h, 1, "n", 2, 40, 50);
    lin_get(h, 1, "n", "2", 60, 70);
    expect(h, LIN_LINEARIZABLE);
    lin_history_free(h);
    /* a jump of 3 with only two unknown INCRs, then with three */
    h = lin_history_new();
    lin_incr(h, 1, "n", 1, 0, 10);
    lin_unknown(h, lin_incr(h, 2, "n", 0, 20, 30));
    lin_unknown(h, lin_incr(h, 3, "n", 0, 20, 30));
    lin_get(h, 1, "n", "4", 40, 50);
    expect(h, LIN_NOT_LINEARIZABLE);
    lin_unknown(h, lin_incr(h, 4, "n", 0, 35, 36));
    expect(h, LIN_LINEARIZABLE);
    lin_history_free(h);
    /* an unknown INCR invoked after the read cannot explain it */
    h = lin_history_new();
    lin_incr(h, 1, "n", 1, 0, 10);
    lin_get(h, 1, "n", "2", 40, 50);
    lin_unknown(h, lin_incr(h, 2, "n", 0, 60, 70));
    expect(h, LIN_NOT_LINEARIZABLE);
    lin_history_free(h);
    /* an unknown DEL, and an unknown SET before a DEL that found the key */
    for (int pick = 0; pick < 2; pick++) {
        h = lin_history_new();
        lin_set(h, 1, "k", "a", 0, 10);
        lin_unknown(h, lin_del(h, 2, "k", 0, 20, 30));
        lin_get(h, 3, "k", pick ? "a" : NULL, 40, 50);
        expect(h, LIN_LINEARIZABLE);
        lin_history_free(h);
    }
    h = lin_history_new();
    lin_unknown(h, lin_set(h, 2, "k", "a", 0, 5));
    lin_del(h, 1, "k", 1, 20, 30);
    lin_get(h, 3, "k", NULL, 40, 50);
    expect(h, LIN_LINEARIZABLE);
    lin_history_free(h);
    h = lin_history_new();
    lin_unknown(h, lin_incr(h, 2, "k", 0, 0, 5));
    lin_del(h, 1, "k", 1, 20, 30);
    lin_del(h, 1, "k", 1, 40, 50);
    expect(h, LIN_NOT_LINEARIZABLE);
    lin_history_free(h);
    /* an unknown SET of an integer, then counted */
    h = lin_history_new();
    lin_unknown(h, lin_set(h, 2, "n", "10", 0, 5));
    lin_unknown(h, lin_incr(h, 2, "n", 0, 6, 7));
    lin_incr(h, 1, "n", 12, 20, 30);
    expect(h, LIN_LINEARIZABLE);
    lin_history_free(h);
    /* an unknown SET of a non-integer explains an INCR error */
    h = lin_history_new();
    lin_incr(h, 1, "n", 1, 0, 10);
    lin_unknown(h, lin_set(h, 2, "n", "abc", 20, 25));
    lin_incr_error(h, 1, "n", 40, 50);
    lin_set(h, 1, "n", "5", 60, 70);
    lin_incr(h, 1, "n", 6, 80, 90);
    expect(h, LIN_LINEARIZABLE);
    lin_history_free(h);
}

/* Keys are independent: what happens on one does not explain another. */
static void test_keys_independent(void **state)
{
    lin_history_t *h = lin_history_new();
    lin_set(h, 1, "a", "1", 0, 10);
    lin_get(h, 2, "b", NULL, 20, 30);
    lin_get(h, 2, "a", "1", 20, 30);
    lin_set(h, 1, "b", "1", 40, 50);
    lin_get(h, 2, "b", "1", 60, 70);
    expect(h, LIN_LINEARIZABLE);
    lin_get(h, 3, "c", "1", 80, 90); /* "1" was written, but not to c */
    lin_result_t r;
    assert_int_equal(lin_check(h, NULL, &r), LIN_NOT_LINEARIZABLE);
    assert_int_equal(r.n_keys, 3);
    assert_int_equal(r.keys[2].verdict, LIN_NOT_LINEARIZABLE);
    assert_non_null(strstr(r.explain, "key \"c\" is NOT linearizable"));
    lin_result_free(&r);
    lin_history_free(h);
}

/* Keys and values are byte strings: NULs, quotes, backslashes, high bytes. */
static void test_binary_values(void **state)
{
    lin_history_t *h = lin_history_new();
    lin_op_t o = {.client = 1, .kind = LIN_SET, .key = "k\0ey", .key_len = 4};
    o.arg = "v\0\"\\\xff";
    o.arg_len = 5;
    o.invoke_us = 0;
    o.return_us = 10;
    lin_history_add(h, &o);
    lin_op_t g = {.client = 2, .kind = LIN_GET, .key = "k\0ey", .key_len = 4};
    g.val = "v\0\"\\\xff";
    g.val_len = 5;
    g.invoke_us = 20;
    g.return_us = 30;
    lin_history_add(h, &g);
    lin_get(h, 2, "k", NULL, 20, 30); /* another key */
    expect(h, LIN_LINEARIZABLE);
    g.val_len = 4;
    g.invoke_us = 40;
    g.return_us = 50;
    lin_history_add(h, &g);
    lin_result_t r;
    assert_int_equal(lin_check(h, NULL, &r), LIN_NOT_LINEARIZABLE);
    assert_non_null(strstr(r.explain, "key \"k\\x00ey\""));
    assert_non_null(strstr(r.explain, "\"v\\x00\\\"\\\\\""));
    lin_result_free(&r);
    lin_history_free(h);
}

static void test_append(void **state)
{
    lin_history_t *a = lin_history_new(), *b = lin_history_new();
    lin_set(a, 1, "k", "x", 0, 10);
    lin_get(b, 2, "k", "x", 20, 30);
    lin_history_append(a, b);
    assert_int_equal(a->n, 2);
    assert_string_equal(a->ops[1].val, "x");
    assert_ptr_not_equal(a->ops[1].val, b->ops[0].val);
    lin_history_free(b);
    expect(a, LIN_LINEARIZABLE);
    lin_history_free(a);
}

/* ---- loading the text format ------------------------------------------------ */

static void expect_load_error(const char *text, const char *msg)
{
    char path[64], err[256];
    tmp_path(path, sizeof(path));
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    lin_history_t *h = lin_history_load(path, err, sizeof(err));
    if (h || !strstr(err, msg)) print_message("%s -> %s\n", text, h ? "loaded" : err);
    assert_null(h);
    assert_non_null(strstr(err, msg));
    assert_non_null(strstr(err, path));
    unlink(path);
}

static void test_load_errors(void **state)
{
    expect_load_error("# c\n1 0 1 GET \"k\" nil\n1 0 1 PUT \"k\" \"v\" OK\n",
                      ":3: unknown command");
    expect_load_error("1 0 1 GET k nil\n", ":1: the key must be quoted");
    expect_load_error("1 0 1 GET \"k\"\n", "too few fields");
    expect_load_error("1 0 1 SET \"k\" OK\n", "SET needs a quoted value");
    expect_load_error("1 0 1 SET \"k\" v OK\n", "SET needs a quoted value");
    expect_load_error("1 0 1 GET \"k\" \"v\" extra\n", "wrong number of fields");
    expect_load_error("1 0 1 GET \"k\" \"v\n", "unterminated string");
    expect_load_error("1 0 1 GET \"k\" \"\\q\"\n", "bad escape");
    expect_load_error("1 0 1 GET \"k\"x nil\n", "closing quote");
    expect_load_error("1 5 1 GET \"k\" nil\n", "returned before it was invoked");
    expect_load_error("1 0 1 INCR \"k\" 1.5\n", "INCR's result");
    expect_load_error("1 0 1 DEL \"k\" ERR\n", "DEL's result");
    expect_load_error("1 0 1 SET \"k\" \"v\" nil\n", "SET's result");
    expect_load_error("1 0 1 GET \"k\" OK\n", "GET's result");
    expect_load_error("x 0 1 GET \"k\" nil\n", "bad client");
    expect_load_error("1 0 01 GET \"k\" nil\n", "bad return time");
    expect_load_error("1 0 1 GET \"k\" nil a b c d\n", "too many fields");
    char err[256];
    assert_null(lin_history_load("/nonexistent/dir/h.txt", err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/dir/h.txt: "));
    assert_null(lin_history_load("/nonexistent/dir/h.txt", NULL, 0));
    lin_history_t *h = lin_history_new();
    lin_set(h, 1, "k", "v", 0, 1);
    errno = 0;
    assert_int_equal(lin_history_save(h, "/nonexistent/dir/h.txt"), -1);
    assert_int_equal(errno, ENOENT);
    lin_history_free(h);
}

/* Comments, blank lines, CRLF and tabs are accepted. */
static void test_load_lenient(void **state)
{
    char path[64];
    tmp_path(path, sizeof(path));
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("# a history written by hand\n\n"
          "1\t0 10 SET \"k\" \"v\" OK\r\n"
          "   # indented comment\n"
          "2 20 30 GET \"k\" \"v\"\n"
          "3 40 45 INCR \"n\" ERR\n"
          "3 50 55 SET \"n\" \"\\x31\" ?\n"
          "4 60 70 DEL \"k\" 1",
          f);
    fclose(f);
    char err[256];
    lin_history_t *h = lin_history_load(path, err, sizeof(err));
    if (!h) print_message("%s\n", err);
    assert_non_null(h);
    assert_int_equal(h->n, 5);
    assert_true(h->ops[2].error);
    assert_true(h->ops[3].outcome_unknown);
    assert_string_equal(h->ops[3].arg, "1");
    assert_int_equal(h->ops[4].num, 1);
    lin_result_t r;
    assert_int_equal(lin_check(h, NULL, &r), LIN_NOT_LINEARIZABLE); /* INCR of nil errs */
    lin_result_free(&r);
    lin_history_free(h);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_sequential),
        cmocka_unit_test(test_incr_syntax),
        cmocka_unit_test(test_sequential_wrong),
        cmocka_unit_test(test_concurrent_either_order),
        cmocka_unit_test(test_touching_times),
        cmocka_unit_test(test_stale_read),
        cmocka_unit_test(test_new_then_old),
        cmocka_unit_test(test_read_never_written),
        cmocka_unit_test(test_read_from_future),
        cmocka_unit_test(test_lost_write),
        cmocka_unit_test(test_unknown_write_read_later),
        cmocka_unit_test(test_unknown_write_never_read),
        cmocka_unit_test(test_unknown_read_then_unread),
        cmocka_unit_test(test_unknown_incr_del),
        cmocka_unit_test(test_keys_independent),
        cmocka_unit_test(test_binary_values),
        cmocka_unit_test(test_append),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_load_lenient),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
