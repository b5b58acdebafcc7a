/* Runs the log entry fuzz target (tests/fuzz/fuzz_entry.c) over 100k
 * deterministic inputs, so `make test` exercises the decoder under
 * ASan/UBSan without libFuzzer. The inputs are valid entries (random type,
 * time, commands, binary arguments, empty arguments) built with the real
 * builder, then mutated: truncated anywhere or at a command boundary, bytes
 * flipped, inserted or deleted, a length or count field replaced by a huge,
 * zero or off-by-one value, trailing garbage, commands duplicated, the type
 * or command count changed. A failing input is printed in hex by the target
 * before it aborts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../fuzz/fuzz_entry.c"

#define REPLAY_INPUTS 100000
#define REPLAY_MAX 4096
#define MAX_FIELDS 256

static uint64_t gen_rng = 0xD1B54A32D192ED03ULL;

static uint64_t gen_next(void)
{
    uint64_t x = gen_rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return gen_rng = x;
}

/* A generated entry: its bytes, where its u32 fields are (the command count,
 * every argc and every argument length) and where each command starts. */
typedef struct {
    uint8_t b[REPLAY_MAX];
    size_t len;
    size_t field[MAX_FIELDS];
    int nfields;
    size_t boundary[64];
    int nbound;
} gen_t;

static void gen_valid(gen_t *g, entry_buf_t *e)
{
    static char arg[400];
    const char *argv[48];
    size_t lens[48];
    uint64_t r = gen_next();
    int64_t t = (r & 3) == 0 ? 0 : (r & 3) == 1 ? -(int64_t)(r >> 8) : (int64_t)(r >> 20);
    entry_type_t type = (entry_type_t)(gen_next() % 3);
    entry_begin(e, type, t);
    g->nfields = 0;
    g->nbound = 0;
    g->field[g->nfields++] = 9;
    g->boundary[g->nbound++] = e->len;
    int ncmds = type == ENTRY_NOOP ? (int)(gen_next() % 2) : 1 + (int)(gen_next() % 5);
    for (int c = 0; c < ncmds; c++) {
        int argc = (gen_next() % 16 == 0) ? 20 + (int)(gen_next() % 28) : 1 + (int)(gen_next() % 6);
        size_t total = 0, pos = 0;
        for (int i = 0; i < argc; i++) {
            uint64_t lr = gen_next();
            size_t n = (lr % 8 == 0) ? 0 : (lr % 29 == 0) ? 100 + (size_t)(lr >> 40) % 300 : (size_t)(lr >> 32) % 12;
            if (total + n > sizeof(arg)) n = 0;
            for (size_t k = 0; k < n; k++) {
                uint64_t br = gen_next();
                arg[total + k] = (br % 5 == 0) ? '\0' : (char)(br >> 16);
            }
            argv[i] = arg + total;
            lens[i] = n;
            total += n;
        }
        if (e->len + 4 + 4 * (size_t)argc + total + 16 > REPLAY_MAX) break;
        size_t at = e->len;
        if (gen_next() & 1) {
            entry_add_cmd(e, argc, argv, lens);
        } else {
            entry_cmd_start(e);
            for (int i = 0; i < argc; i++) entry_cmd_arg(e, argv[i], lens[i]);
            entry_cmd_end(e);
        }
        if (g->nfields < MAX_FIELDS) g->field[g->nfields++] = at;
        pos = at + 4;
        for (int i = 0; i < argc; i++) {
            if (g->nfields < MAX_FIELDS) g->field[g->nfields++] = pos;
            pos += 4 + lens[i];
        }
        g->boundary[g->nbound++] = e->len;
    }
    entry_end(e);
    memcpy(g->b, e->buf, e->len);
    g->len = e->len;
}

static void gen_insert(gen_t *g, size_t at, const uint8_t *p, size_t n)
{
    if (g->len + n > REPLAY_MAX) return;
    memmove(g->b + at + n, g->b + at, g->len - at);
    memcpy(g->b + at, p, n);
    g->len += n;
}

static void gen_mutate(gen_t *g)
{
    int muts = (int)(gen_next() % 4);
    for (int m = 0; m < muts; m++) {
        uint64_t r = gen_next();
        size_t at = g->len ? (size_t)(r >> 16) % (g->len + 1) : 0;
        switch (r % 10) {
        case 0: /* truncate anywhere */
            g->len = at;
            break;
        case 1: /* truncate at a command boundary: a clean prefix with the wrong count */
            if (g->nbound > 1) {
                size_t b = g->boundary[(r >> 8) % (uint64_t)(g->nbound - 1)];
                if (b < g->len) g->len = b;
            }
            break;
        case 2: /* flip a byte */
            if (at < g->len) g->b[at] = (uint8_t)(r >> 40);
            break;
        case 3:
        case 4: { /* replace a u32 field with an interesting value */
            size_t f = g->field[(r >> 8) % (uint64_t)g->nfields];
            if (f + 4 > g->len) break;
            uint32_t old = fze_u32(g->b + f), rem = (uint32_t)(g->len - f - 4), nv;
            switch ((r >> 24) % 14) {
            case 0: nv = 0; break;
            case 1: nv = 0xFFFFFFFFu; break;
            case 2: nv = 0x7FFFFFFFu; break;
            case 3: nv = 0x80000000u; break;
            case 4: nv = 0x40000000u; break;
            case 5: nv = 0x40000001u; break;
            case 6: nv = old + 1; break;
            case 7: nv = old - 1; break;
            case 8: nv = rem; break;
            case 9: nv = rem + 1; break;
            case 10: nv = rem / 4; break;
            case 11: nv = rem / 4 + 1; break;
            case 12: nv = 1u << 24; break;
            default: nv = (uint32_t)(r >> 32); break;
            }
            enc_put_u32((char *)g->b + f, nv);
            break;
        }
        case 5: { /* trailing garbage, often shorter than a length field */
            uint8_t junk[8];
            size_t n = 1 + (size_t)(r >> 40) % 8;
            for (size_t k = 0; k < n; k++) junk[k] = (uint8_t)(gen_next() % 3);
            gen_insert(g, g->len, junk, n);
            break;
        }
        case 6: { /* insert or delete a few bytes */
            size_t n = 1 + (size_t)(r >> 40) % 6;
            if ((r >> 8) & 1) {
                uint8_t junk[6];
                for (size_t k = 0; k < n; k++) junk[k] = (uint8_t)gen_next();
                gen_insert(g, at, junk, n);
            } else if (at < g->len) {
                if (n > g->len - at) n = g->len - at;
                memmove(g->b + at, g->b + at + n, g->len - at - n);
                g->len -= n;
            }
            break;
        }
        case 7: /* the type byte */
            if (g->len) g->b[0] = (uint8_t)((r >> 8) % 4 == 0 ? 0xff : (r >> 8) % 6);
            break;
        case 8: /* the command count */
            if (g->len >= 13) enc_put_u32((char *)g->b + 9, (uint32_t)((r >> 8) % 8));
            break;
        case 9: /* duplicate a whole command at the end */
            if (g->nbound > 1) {
                int c = (int)((r >> 8) % (uint64_t)(g->nbound - 1));
                size_t s = g->boundary[c], e = g->boundary[c + 1];
                if (e <= g->len && g->len + (e - s) <= REPLAY_MAX) {
                    uint8_t tmp[REPLAY_MAX];
                    memcpy(tmp, g->b + s, e - s);
                    gen_insert(g, g->len, tmp, e - s);
                }
            }
            break;
        }
    }
}

static void test_fuzz_replay(void **state)
{
    (void)state;
    static gen_t g;
    entry_buf_t e = {0};
    for (int i = 0; i < REPLAY_INPUTS; i++) {
        gen_valid(&g, &e);
        gen_mutate(&g);
        LLVMFuzzerTestOneInput(g.b, g.len);
    }
    entry_buf_free(&e);
    /* the inputs must actually reach every outcome */
    static const char *const names[FZE_NSTATS] = {"short header", "bad type", "ok",         "ok, count differs",
                                                  "argc 0",       "argc big", "arg length", "trailing bytes"};
    for (int k = 0; k < FZE_NSTATS; k++) {
        print_message("%-18s %lu\n", names[k], fuzz_entry_stats[k]);
        assert_true(fuzz_entry_stats[k] > 100);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuzz_replay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
