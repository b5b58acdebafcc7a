/* Unit tests for the command counters (src/node/cmdstats.c) and the
 * histogram helpers they use (src/util/histogram.c): bounds given as a list,
 * cumulative counts, reset; the mark a proxied request carries through the
 * upstream (packed into a pointer, never NULL, start time kept to 48 bits)
 * and the elapsed time across its wrap; counting by table position. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "node/node.h"
#include "util/histogram.h"

/* Bounds are kept as given, each observation lands in the first bucket
 * whose bound holds it (a value on a bound included), cumulative counts
 * never go down, and a reset keeps the layout. */
static void test_histogram_bounds(void **state)
{
    (void)state;
    static const double le[] = {0.001, 0.0025, 0.005, 0.01};
    histogram_t h;
    histo_init_bounds(&h, le, 4);
    assert_int_equal(h.n, 4);
    for (int i = 0; i < 4; i++) assert_true(h.le[i] == le[i]);
    histo_observe(&h, 0.0005);
    histo_observe(&h, 0.001); /* on the bound: in it */
    histo_observe(&h, 0.003);
    histo_observe(&h, 0.02); /* above every bound: +Inf only */
    assert_int_equal(histo_cumulative(&h, 0), 2);
    assert_int_equal(histo_cumulative(&h, 1), 2);
    assert_int_equal(histo_cumulative(&h, 2), 3);
    assert_int_equal(histo_cumulative(&h, 3), 3);
    assert_int_equal(h.total, 4);
    assert_true(h.sum > 0.0244 && h.sum < 0.0246);
    histo_reset(&h);
    assert_int_equal(h.n, 4);
    assert_true(h.le[3] == 0.01);
    assert_int_equal(histo_cumulative(&h, 3), 0);
    assert_int_equal(h.total, 0);
    assert_true(h.sum == 0);

    double many[HISTO_MAX_BUCKETS + 5];
    for (int i = 0; i < HISTO_MAX_BUCKETS + 5; i++) many[i] = i + 1;
    histo_init_bounds(&h, many, HISTO_MAX_BUCKETS + 5);
    assert_int_equal(h.n, HISTO_MAX_BUCKETS); /* the rest is dropped, not overflowed */
}

/* A tag is never NULL (NULL marks the proxy's handshake), gives back the
 * command and the start time's low 48 bits, and the elapsed time computed
 * from it is right across the 48-bit wrap. */
static void test_tag_roundtrip(void **state)
{
    (void)state;
    const uint64_t mask = (UINT64_C(1) << 48) - 1;
    const uint64_t starts[] = {0, 1, 123456789, mask, mask + 1, UINT64_C(0xfedcba9876543210)};
    const int32_t cmds[] = {-1, 0, 1, 200, 1023};
    for (size_t s = 0; s < sizeof(starts) / sizeof(starts[0]); s++)
        for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
            void *tag = cmdstats_tag(starts[s], cmds[c]);
            assert_non_null(tag);
            uint64_t st;
            int32_t cmd;
            cmdstats_untag(tag, &st, &cmd);
            assert_int_equal(cmd, cmds[c]);
            assert_int_equal(st, starts[s] & mask);
            /* 1.5 ms later, measured from the truncated start */
            assert_int_equal(cmdstats_elapsed_us(st, starts[s] + 1500), 1500);
        }
    /* a full start and now (no truncation) */
    assert_int_equal(cmdstats_elapsed_us(1000, 251000), 250000);
    /* the clock's low bits wrapped between start and now */
    assert_int_equal(cmdstats_elapsed_us(mask - 9, mask + 11), 20);
    assert_true(node_now_us() > 0);
}

/* On a node whose table is registered: each done counts its command once,
 * as a call (with its time) or as rejected (time in the histogram only);
 * no command (-1) and positions outside the table count nothing; reset
 * zeroes counters and histogram alike. */
static void test_counting(void **state)
{
    (void)state;
    cmd_register_data_commands();
    node_register_commands();
    node_t n;
    memset(&n, 0, sizeof(n));
    cmdstats_init(&n);
    assert_int_equal(n.ncmdstats, cmd_table_count());
    uint32_t set_pos, get_pos;
    assert_non_null(cmd_lookup_pos("SET", 3, &set_pos));
    assert_non_null(cmd_lookup_pos("get", 3, &get_pos));
    assert_string_equal(cmd_table_at(set_pos)->name, "set");
    assert_string_equal(cmd_table_at(get_pos)->name, "get");
    uint32_t untouched = 77;
    assert_null(cmd_lookup_pos("nosuch", 6, &untouched));
    assert_int_equal(untouched, 77);

    uint64_t t0 = node_now_us();
    cmdstats_done(&n, (int32_t)set_pos, t0, false);
    cmdstats_done(&n, (int32_t)set_pos, t0, false);
    cmdstats_done(&n, (int32_t)get_pos, t0, true);
    cmdstats_done(&n, -1, t0, false);
    cmdstats_done(&n, (int32_t)n.ncmdstats, t0, false);
    assert_int_equal(n.cmdstats[set_pos].calls, 2);
    assert_int_equal(n.cmdstats[set_pos].rejected, 0);
    assert_int_equal(n.cmdstats[get_pos].calls, 0);
    assert_int_equal(n.cmdstats[get_pos].rejected, 1);
    assert_int_equal(n.cmdstats[get_pos].usec, 0);
    assert_int_equal(n.stats.command_seconds.total, 3);
    const histogram_t *h = &n.stats.command_seconds;
    assert_true(h->n >= 10 && h->le[0] <= 0.0001 && h->le[h->n - 1] >= 10);
    for (int i = 1; i < h->n; i++) assert_true(h->le[i] > h->le[i - 1]);

    cmdstats_reset(&n);
    assert_int_equal(n.cmdstats[set_pos].calls, 0);
    assert_int_equal(n.stats.command_seconds.total, 0);
    assert_true(n.stats.command_seconds.n == h->n);
    cmdstats_free(&n);
    assert_null(n.cmdstats);
    cmdstats_reset(&n); /* a node without counters (INFO on a bare node) */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_histogram_bounds),
        cmocka_unit_test(test_tag_roundtrip),
        cmocka_unit_test(test_counting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
