/* Differential test of the bitmap commands (and OBJECT ENCODING of
 * strings) against redis-server: random SETBIT, GETBIT, BITCOUNT, BITPOS,
 * BITOP, BITFIELD, BITFIELD_RO mixed with the string writes that build the
 * same values (SET, APPEND, SETRANGE, INCRBYFLOAT), DEL and EXPIRE, on the
 * shared key space; every reply must be byte-identical (DT_EXACT).
 * Offsets stay within a few thousand bits, with occasional huge, negative
 * or malformed ones (errors only: no 512 MB strings). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "support/difftest.h"

/* A bit offset: mostly small, sometimes past the usual values, sometimes
 * at or beyond the 2^32 limit, negative or not a number. */
static void add_bit_offset(dt_prng_t *g, dt_op_t *o)
{
    static const char *odd[] = {"4294967296", "-1", "abc", "", "1.5", "+1", "01", "9223372036854775807",
                                "-9223372036854775808", " 1"};
    int r = dt_rn(g, 40);
    if (r < 25) dt_addf(o, "%d", dt_rn(g, 80));
    else if (r < 37) dt_addf(o, "%d", dt_rn(g, 4000));
    else if (r < 39) dt_adds(o, odd[dt_rn(g, 10)]);
    else dt_adds(o, dt_rn(g, 2) ? "0" : "7");
}

/* A range index: small, signed, sometimes extreme or malformed. */
static void add_index(dt_prng_t *g, dt_op_t *o)
{
    static const char *odd[] = {"9223372036854775807", "-9223372036854775808", "abc", "1.0", "", "-0"};
    int r = dt_rn(g, 30);
    if (r < 20) dt_addf(o, "%d", dt_rn(g, 41) - 20);
    else if (r < 28) dt_addf(o, "%d", dt_rn(g, 801) - 400);
    else dt_adds(o, odd[dt_rn(g, 6)]);
}

/* BITFIELD types: the interesting widths, rarely an invalid one. */
static void add_bf_type(dt_prng_t *g, dt_op_t *o)
{
    static const char *bad[] = {"u64", "i65", "i0", "u0", "I8", "x8", "u", "", "i-1", "u08"};
    static const int widths[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 31, 32, 33, 48, 63, 64};
    if (dt_rn(g, 25) == 0) {
        dt_adds(o, bad[dt_rn(g, 10)]);
        return;
    }
    bool sign = dt_rn(g, 2);
    int w = widths[dt_rn(g, 16)];
    if (!sign && w == 64) w = 63;
    dt_addf(o, "%c%d", sign ? 'i' : 'u', w);
}

/* A BITFIELD offset: plain or '#'-indexed. */
static void add_bf_offset(dt_prng_t *g, dt_op_t *o)
{
    static const char *odd[] = {"#-1", "#", "#abc", "4294967296", "#144115188075855873", "-1", "#0"};
    int r = dt_rn(g, 30);
    if (r < 18) dt_addf(o, "%d", dt_rn(g, 200));
    else if (r < 24) dt_addf(o, "#%d", dt_rn(g, 20));
    else if (r < 28) dt_addf(o, "%d", dt_rn(g, 3000));
    else dt_adds(o, odd[dt_rn(g, 7)]);
}

/* A BITFIELD SET value or INCRBY increment, edges of every width included. */
static void add_bf_value(dt_prng_t *g, dt_op_t *o)
{
    static const char *edge[] = {"127", "128", "-128", "-129", "255", "256", "-1", "0", "1",
                                 "9223372036854775807", "-9223372036854775808", "4294967295", "4294967296",
                                 "-2147483648", "18446744073709551615", "abc", "1.5"};
    int r = dt_rn(g, 10);
    if (r < 5) dt_addf(o, "%d", dt_rn(g, 601) - 300);
    else if (r < 9) dt_adds(o, edge[dt_rn(g, 17)]);
    else dt_addf(o, "%lld", (long long)dt_rnd(g));
}

static void add_unit(dt_prng_t *g, dt_op_t *o)
{
    static const char *u[] = {"BIT", "byte", "bit", "BYTE", "bits", ""};
    dt_adds(o, u[dt_rn(g, 10) < 9 ? dt_rn(g, 4) : 4 + dt_rn(g, 2)]);
}

/* BITFIELD's operations: a few GET/SET/INCRBY with OVERFLOW changes. */
static void add_bitfield_ops(dt_prng_t *g, dt_op_t *o, bool ro)
{
    static const char *ow[] = {"WRAP", "sat", "FAIL", "fail", "wrap", "SAT", "bogus"};
    int n = dt_rn(g, 5);
    for (int i = 0; i < n && o->argc < DT_MAXARG - 5; i++) {
        int r = dt_rn(g, ro ? 14 : 10);
        if (r < 3 || r >= 10) {
            dt_adds(o, dt_rn(g, 2) ? "GET" : "get");
            add_bf_type(g, o);
            add_bf_offset(g, o);
        } else if (r < 6) {
            dt_adds(o, dt_rn(g, 2) ? "SET" : "set");
            add_bf_type(g, o);
            add_bf_offset(g, o);
            add_bf_value(g, o);
        } else if (r < 9) {
            dt_adds(o, dt_rn(g, 2) ? "INCRBY" : "incrby");
            add_bf_type(g, o);
            add_bf_offset(g, o);
            add_bf_value(g, o);
        } else {
            dt_adds(o, "OVERFLOW");
            dt_adds(o, ow[dt_rn(g, dt_rn(g, 20) ? 6 : 7)]);
        }
    }
    if (dt_rn(g, 40) == 0) dt_adds(o, dt_rn(g, 2) ? "GET" : "bogus"); /* missing arguments */
}

static void gen_bitmap(dt_prng_t *g, dt_op_t *o, bool in_multi)
{
    int r = dt_rn(g, 100);
    if (r < 16) {
        dt_adds(o, "SETBIT");
        dt_add_key(g, o);
        add_bit_offset(g, o);
        int v = dt_rn(g, 30);
        if (v < 28) dt_addf(o, "%d", v & 1);
        else dt_adds(o, v == 28 ? "2" : "-1");
    } else if (r < 24) {
        dt_adds(o, "GETBIT");
        dt_add_key(g, o);
        add_bit_offset(g, o);
    } else if (r < 34) {
        dt_adds(o, "BITCOUNT");
        dt_add_key(g, o);
        int n = dt_rn(g, 10);
        if (n >= 2) add_index(g, o), add_index(g, o);
        if (n >= 6) add_unit(g, o);
        if (n == 1) add_index(g, o);
    } else if (r < 44) {
        dt_adds(o, "BITPOS");
        dt_add_key(g, o);
        dt_adds(o, dt_rn(g, 20) ? (dt_rn(g, 2) ? "1" : "0") : "2");
        int n = dt_rn(g, 10);
        if (n >= 2) add_index(g, o);
        if (n >= 5) add_index(g, o);
        if (n >= 7) add_unit(g, o);
    } else if (r < 52) {
        static const char *ops[] = {"AND", "or", "XOR", "not", "Not", "and", "OR", "nand"};
        dt_adds(o, "BITOP");
        int op = dt_rn(g, 40) ? dt_rn(g, 7) : 7;
        dt_adds(o, ops[op]);
        dt_add_key(g, o);
        int n = (op == 3 || op == 4) && dt_rn(g, 10) ? 1 : 1 + dt_rn(g, 3);
        for (int i = 0; i < n; i++) dt_add_key(g, o);
    } else if (r < 64) {
        dt_adds(o, "BITFIELD");
        dt_add_key(g, o);
        add_bitfield_ops(g, o, false);
    } else if (r < 68) {
        dt_adds(o, "BITFIELD_RO");
        dt_add_key(g, o);
        add_bitfield_ops(g, o, true);
    } else if (r < 74) {
        dt_adds(o, "SET");
        dt_add_key(g, o);
        dt_add_value(g, o);
    } else if (r < 78) {
        dt_adds(o, "APPEND");
        dt_add_key(g, o);
        dt_add_value(g, o);
    } else if (r < 81) {
        dt_adds(o, "SETRANGE");
        dt_add_key(g, o);
        dt_addf(o, "%d", dt_rn(g, 20) ? dt_rn(g, 300) : -1);
        dt_add_value(g, o);
    } else if (r < 83) {
        dt_adds(o, "INCRBYFLOAT");
        dt_add_key(g, o);
        dt_adds(o, dt_rn(g, 2) ? "1" : "0.5");
    } else if (r < 86) {
        dt_adds(o, "GET");
        dt_add_key(g, o);
    } else if (r < 88) {
        dt_adds(o, "DEL");
        dt_add_key(g, o);
    } else if (r < 90) {
        dt_adds(o, "EXPIRE");
        dt_add_key(g, o);
        dt_addf(o, "%d", 100 + dt_rn(g, 1000));
    } else if (r < 92) {
        dt_adds(o, "TTL");
        dt_add_key(g, o);
    } else if (r < 99) {
        /* not IDLETIME: Redis counts real seconds, we answer 0 */
        static const char *sub[] = {"ENCODING", "encoding", "REFCOUNT", "Encoding", "FREQ", "bogus"};
        dt_adds(o, "OBJECT");
        int i = dt_rn(g, 20) ? dt_rn(g, 4) : 4 + dt_rn(g, 2);
        /* inside MULTI Redis's queued argv still holds a SET's value:
         * its REFCOUNT reads one more there */
        if (in_multi && i == 2) i = 0;
        dt_adds(o, sub[i]);
        dt_add_key(g, o);
    } else {
        dt_adds(o, "STRLEN");
        dt_add_key(g, o);
    }
    o->kind = DT_EXACT;
    if (!strcmp(o->argv[0], "TTL")) o->kind = DT_TTL;
    dt_random_case(g, o);
}

static void test_bitmap_random(void **state)
{
    (void)state;
    if (!dt_have_ref()) skip();
    dt_config_t cfg = {.name = "bitmap", .gen = gen_bitmap, .nops = 3000, .multi_one_in = 40};
    dt_run(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bitmap_random),
    };
    return cmocka_run_group_tests_name("diff_bitmap", tests, dt_setup, dt_teardown);
}
