/* Runs the snapshot chunk / manifest fuzz target (tests/fuzz/fuzz_snapwire.c)
 * over 50k deterministic inputs, so `make test` exercises snapwire_decode and
 * snap_manifest_decode under ASan/UBSan without libFuzzer; the target checks
 * each input against its reference decoder (see its header comment).
 *
 * The inputs are valid chunks and manifests built with the real encoders
 * (snapwire_encode, snap_manifest_encode): BEGIN chunks carrying a manifest
 * or arbitrary bytes, DATA chunks with empty, small and large data, any file
 * number and offsets up to UINT64_MAX; manifests with 0, 1, a few or
 * hundreds of files, names from 1 to SNAP_NAME_MAX-1 bytes, empty to full
 * (SNAP_CONF_MAX) configurations, sizes adding up to exactly the limit. Then
 * mutated: truncated anywhere or at a field, bytes flipped, inserted or
 * deleted, a length or count set to a huge, zero or off-by-one value,
 * trailing garbage, bad magic/version/kind, a zero sender or index, a wrong
 * checksum, a file name replaced by an unsafe one ("../x", "a/b", ".hidden",
 * a NUL, empty, 128 bytes...) with its length kept consistent, sizes pushed
 * over the total limit. Most inputs set the selector's fix-the-checksums bit,
 * so that mutations get past the checksum to the checks behind it.
 *
 * test_known_inputs pins a few hand-built edge cases to their outcome, so
 * that the reference itself is checked against the layout, not only the
 * decoder against the reference. At the end every outcome class of both
 * decoders must have been reached (coverage of the generator). A failing
 * input is printed in hex (selector byte first) by the target before it
 * aborts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../fuzz/fuzz_snapwire.c"
#include "util/crc32c.h"

#define REPLAY_INPUTS 50000
#define REPLAY_MAX 32768
#define MAX_FIELDS 2048
#define GEN_MAX_FILES 400

static uint64_t gen_rng = 0xA0761D6478BD642FULL;

static uint64_t gen_next(void)
{
    uint64_t x = gen_rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return gen_rng = x;
}

/* The kinds of field a mutation can aim at. */
enum {
    F_DEAD,    /* overwritten by a splice */
    F_LEN,     /* u32: a chunk's body length, a manifest's conf_len or nfiles */
    F_NAME,    /* u16: a file's name length; the name follows */
    F_SIZE,    /* u64: a file's size */
    F_CRC,     /* u32: a checksum (a DATA chunk's, a file's) */
    F_NONZERO, /* u64: a chunk's from or snap_index */
    F_VALUE,   /* any other number: ids, terms, indexes, file, offset */
};

typedef struct {
    size_t at;
    int width; /* bytes, little-endian */
    int kind;
} field_t;

/* A generated input: its bytes (without the selector) and its fields. */
typedef struct {
    uint8_t b[REPLAY_MAX];
    size_t len;
    field_t field[MAX_FIELDS];
    int nfields;
    bool manifest; /* a manifest, else a chunk */
    bool begin;    /* a BEGIN chunk: its u32 len (at 44) follows name splices */
    bool fix;      /* the selector's fix-the-checksums bit */
} gen_t;

static void gen_field(gen_t *g, size_t at, int width, int kind)
{
    if (g->nfields < MAX_FIELDS) g->field[g->nfields++] = (field_t){at, width, kind};
}

static uint64_t gen_u64(void)
{
    uint64_t r = gen_next();
    switch (r % 5) {
    case 0: return 0;
    case 1: return (r >> 8) % 16;
    case 2: return (r >> 8) % 100000;
    case 3: return UINT64_MAX - (r >> 8) % 4;
    default: return gen_next();
    }
}

/* ---- valid inputs ------------------------------------------------------------ */

static const char *const sample_names[] = {
    "CURRENT",  "IDENTITY", "MANIFEST-000005", "OPTIONS-000007", "000012.sst", "000123.log", "a",
    "x.y",      "a..b",     "-",               "~",              "back\\slash", "sp ace",    "\xc3\xa9t\xc3\xa9",
    "\x7f\xff", "LOCK",
};

/* A safe name: a sample, 1..30 (short: 1..16) random bytes, or the longest
 * allowed. */
static void gen_name(char *out, bool short_only)
{
    uint64_t r = gen_next();
    if (r % 3 == 0) {
        snprintf(out, SNAP_NAME_MAX, "%s", sample_names[(r >> 8) % (sizeof(sample_names) / sizeof(sample_names[0]))]);
        return;
    }
    size_t n = !short_only && (r >> 8) % 8 == 0 ? SNAP_NAME_MAX - 1 : 1 + (size_t)((r >> 16) % (short_only ? 16 : 30));
    for (size_t i = 0; i < n; i++) {
        char c = (char)(1 + gen_next() % 255);
        if (c == '/') c = '_';
        if (i == 0 && c == '.') c = 'f';
        out[i] = c;
    }
    out[n] = 0;
}

/* A valid manifest encoded into out (cap bytes), its fields recorded at
 * base + their offset in it; small keeps it to a few KB. Returns its length. */
static size_t gen_manifest(gen_t *g, uint8_t *out, size_t cap, size_t base, bool small)
{
    static snap_manifest_t m;
    static snap_file_t files[GEN_MAX_FILES];
    memset(&m, 0, sizeof(m));
    m.index = gen_u64();
    m.term = gen_u64();
    uint64_t r = gen_next();
    switch (r % 8) {
    case 0: m.conf_len = 0; break;
    case 1: m.conf_len = small ? 300 : SNAP_CONF_MAX; break;
    case 2: m.conf_len = (uint32_t)((r >> 8) % (small ? 300 : SNAP_CONF_MAX + 1)); break;
    default: m.conf_len = (uint32_t)((r >> 8) % 64); break;
    }
    for (uint32_t i = 0; i < m.conf_len; i++) m.conf[i] = (char)gen_next();

    r = gen_next();
    uint32_t nf;
    bool many = false;
    switch (r % 6) {
    case 0: nf = 0; break;
    case 1: nf = 1; break;
    case 2:
        if (!small) {
            nf = 100 + (uint32_t)((r >> 8) % (GEN_MAX_FILES - 99));
            many = true;
            break;
        }
        /* fall through */
    default: nf = 2 + (uint32_t)((r >> 8) % 19); break;
    }
    uint64_t sum = 0;
    for (uint32_t i = 0; i < nf; i++) {
        snap_file_t *f = &files[i];
        if (i > 0 && gen_next() % 20 == 0)
            snprintf(f->name, sizeof(f->name), "%s", files[i - 1].name); /* duplicates are not refused */
        else
            gen_name(f->name, many);
        uint64_t s = gen_next();
        f->size = s % 4 == 0 ? 0 : s % 4 == 1 ? (s >> 8) % 1000000 : gen_u64();
        if (f->size > FZS_M_BYTES_MAX - sum) f->size = FZS_M_BYTES_MAX - sum; /* the total exactly at the limit */
        sum += f->size;
        f->crc = (uint32_t)gen_next();
    }
    m.nfiles = nf;
    m.files = nf ? files : NULL;
    size_t len = snap_manifest_encode(&m, (char *)out, cap);
    assert_int_not_equal(len, 0);
    assert_int_equal(len, snap_manifest_size(&m));

    /* where the fields are, walking the layout of snapshot.h */
    gen_field(g, base + 19, 4, F_LEN);
    size_t o = 23 + m.conf_len;
    gen_field(g, base + o, 4, F_LEN);
    o += 4;
    for (uint32_t i = 0; i < nf; i++) {
        gen_field(g, base + o, 2, F_NAME);
        o += 2 + strlen(files[i].name);
        gen_field(g, base + o, 8, F_SIZE);
        gen_field(g, base + o + 8, 4, F_CRC);
        o += 12;
    }
    assert_int_equal(o + 4, len);
    return len;
}

/* A valid chunk: BEGIN with a manifest or arbitrary bytes, or DATA. */
static void gen_chunk(gen_t *g)
{
    static uint8_t body[REPLAY_MAX];
    snapwire_t c;
    memset(&c, 0, sizeof(c));
    uint64_t r = gen_next();
    c.kind = r % 5 < 2 ? SNAPWIRE_BEGIN : SNAPWIRE_DATA;
    c.cluster_id = gen_u64();
    c.from = (r >> 8) % 10 == 0 ? UINT64_MAX : 1 + gen_next() % 1000;
    c.term = gen_u64();
    c.snap_index = gen_u64();
    if (c.snap_index == 0) c.snap_index = 1;
    c.snap_term = gen_u64();
    g->begin = c.kind == SNAPWIRE_BEGIN;

    gen_field(g, 4, 8, F_VALUE);
    gen_field(g, 12, 8, F_NONZERO);
    gen_field(g, 20, 8, F_VALUE);
    gen_field(g, 28, 8, F_NONZERO);
    gen_field(g, 36, 8, F_VALUE);
    uint64_t x = gen_next();
    if (c.kind == SNAPWIRE_BEGIN) {
        gen_field(g, 44, 4, F_LEN);
        if (x % 5 < 3) {
            c.len = (uint32_t)gen_manifest(g, body, sizeof(body), FZS_BEGIN_BODY, true);
        } else {
            c.len = x % 4 == 0 ? 0 : (uint32_t)((x >> 8) % 200);
            for (uint32_t i = 0; i < c.len; i++) body[i] = (uint8_t)gen_next();
        }
    } else {
        gen_field(g, 44, 4, F_VALUE);
        gen_field(g, 48, 8, F_VALUE);
        gen_field(g, 56, 4, F_LEN);
        gen_field(g, 60, 4, F_CRC);
        c.file = (x >> 8) % 3 == 0 ? 0 : (uint32_t)gen_u64();
        c.offset = gen_u64();
        switch (x % 20) {
        case 0:
        case 1: c.len = 0; break;
        case 2: c.len = 8000 + (uint32_t)((x >> 16) % 12000); break;
        case 3:
        case 4:
        case 5: c.len = 100 + (uint32_t)((x >> 16) % 1900); break;
        default: c.len = 1 + (uint32_t)((x >> 16) % 100); break;
        }
        for (uint32_t i = 0; i < c.len; i++) body[i] = (uint8_t)gen_next();
    }
    c.body = (const char *)body;
    g->len = snapwire_encode(&c, (char *)g->b, sizeof(g->b));
    assert_int_not_equal(g->len, 0);
    assert_int_equal(g->len, snapwire_size(&c));
}

static void gen_valid(gen_t *g)
{
    g->nfields = 0;
    g->begin = false;
    g->manifest = gen_next() % 20 < 9;
    g->fix = gen_next() % 8 != 0;
    if (g->manifest)
        g->len = gen_manifest(g, g->b, sizeof(g->b), 0, false);
    else
        gen_chunk(g);
}

/* ---- mutations --------------------------------------------------------------- */

/* Replaces del bytes at `at` by the nins bytes of ins; fields after move,
 * fields the change overlaps are dead. Returns false (nothing done) when it
 * would not fit. */
static bool gen_splice(gen_t *g, size_t at, size_t del, const uint8_t *ins, size_t nins)
{
    if (at > g->len || del > g->len - at || g->len - del + nins > REPLAY_MAX) return false;
    memmove(g->b + at + nins, g->b + at + del, g->len - at - del);
    if (nins) memcpy(g->b + at, ins, nins);
    g->len = g->len - del + nins;
    for (int i = 0; i < g->nfields; i++) {
        field_t *f = &g->field[i];
        if (f->at >= at + del)
            f->at = f->at - del + nins;
        else if (f->at + (size_t)f->width > at)
            f->kind = F_DEAD;
    }
    return true;
}

/* A live field of the given kind (-1: any) inside the bytes, or NULL. */
static const field_t *gen_pick(const gen_t *g, int kind)
{
    static int idx[MAX_FIELDS];
    int n = 0;
    for (int i = 0; i < g->nfields; i++) {
        const field_t *f = &g->field[i];
        if (f->kind != F_DEAD && (kind < 0 || f->kind == kind) && f->at + (size_t)f->width <= g->len) idx[n++] = i;
    }
    return n ? &g->field[idx[gen_next() % (uint64_t)n]] : NULL;
}

/* An interesting value for the field f. */
static uint64_t gen_len_value(const gen_t *g, const field_t *f, uint64_t r)
{
    uint64_t old = fzs_le(g->b + f->at, f->width);
    uint64_t rem = g->len - f->at - (size_t)f->width;
    uint64_t max = f->width == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * f->width)) - 1;
    uint64_t v;
    switch (r % 16) {
    case 0: v = 0; break;
    case 1: v = max; break;
    case 2: v = max / 2 + 1; break;
    case 3: v = old + 1; break;
    case 4: v = old - 1; break;
    case 5: v = rem; break;
    case 6: v = rem + 1; break;
    case 7: v = rem - 4; break; /* a manifest's bytes up to its checksum */
    case 8: v = rem - 3; break;
    case 9: v = rem / FZS_M_FILE_MIN; break;
    case 10: v = rem / FZS_M_FILE_MIN + 1; break;
    case 11: v = SNAP_CONF_MAX + (r >> 8) % 2; break;
    case 12: v = SNAP_MAX_FILES + (r >> 8) % 2; break;
    case 13: v = SNAP_NAME_MAX - 1 + (r >> 8) % 2; break;
    case 14: v = (r >> 8) & 1 ? old + 1 + (r >> 9) % 20 : old - 1 - (r >> 9) % 20; break;
    default: v = r >> 16; break;
    }
    return v & max;
}

static void gen_put(gen_t *g, const field_t *f, uint64_t v)
{
    fzs_put_le(g->b + f->at, v, f->width);
}

/* Names a manifest must refuse (and a few it must take), with their lengths. */
static const struct {
    const char *s;
    size_t n;
} edge_names[] = {
    {"", 0},       {".", 1},        {"..", 2},       {"../x", 4}, {"a/b", 3},   {"/etc/passwd", 11},
    {".hidden", 7}, {"a\0b", 3},    {"\0", 1},       {"x/", 2},   {"...", 3},   {"..\\x", 4},
    {"a..b", 4},   {"\\x", 2},      {"x", 1},
};

/* A file's name replaced by an edge-case one (or one of 127, 128 or 300
 * bytes), its length field set to match (or, now and then, left as it was);
 * a BEGIN chunk's body length follows. */
static void gen_rename(gen_t *g, uint64_t r)
{
    static uint8_t name[300];
    const field_t *f = gen_pick(g, F_NAME);
    if (!f) return;
    size_t at = f->at, old = (size_t)fzs_le(g->b + at, 2);
    if (at + 2 + old > g->len) return;
    size_t n;
    size_t pick = (r >> 8) % (sizeof(edge_names) / sizeof(edge_names[0]) + 3);
    if (pick < sizeof(edge_names) / sizeof(edge_names[0])) {
        n = edge_names[pick].n;
        memcpy(name, edge_names[pick].s, n);
    } else {
        static const size_t longs[] = {SNAP_NAME_MAX - 1, SNAP_NAME_MAX, 300};
        n = longs[pick - sizeof(edge_names) / sizeof(edge_names[0])];
        memset(name, 'n', n);
    }
    if (!gen_splice(g, at + 2, old, name, n)) return;
    if ((r >> 16) % 10 != 0) fzs_put_le(g->b + at, n, 2);
    if (g->begin && g->len >= FZS_BEGIN_BODY)
        fzs_put_le(g->b + 44, fzs_le(g->b + 44, 4) + n - old, 4);
}

/* A file's size set so that the sizes add up to exactly the limit (accepted)
 * or just over it. */
static void gen_total(gen_t *g, uint64_t r)
{
    const field_t *f = gen_pick(g, F_SIZE);
    if (!f) return;
    uint64_t others = 0;
    for (int i = 0; i < g->nfields; i++) {
        const field_t *o = &g->field[i];
        if (o == f || o->kind != F_SIZE || o->at + 8 > g->len) continue;
        uint64_t v = fzs_le(g->b + o->at, 8);
        if (v > FZS_M_BYTES_MAX - others) return;
        others += v;
    }
    uint64_t v = FZS_M_BYTES_MAX - others;
    switch ((r >> 8) % 4) {
    case 0: break;
    case 1: v += 1; break;
    case 2: v += 1 + (r >> 12) % 1000; break;
    default: v = UINT64_MAX - (r >> 12) % 4; break;
    }
    gen_put(g, f, v);
}

static void gen_mutate(gen_t *g)
{
    int muts = (int)(gen_next() % 4);
    for (int k = 0; k < muts; k++) {
        uint64_t r = gen_next();
        size_t at = (size_t)((r >> 16) % (g->len + 1));
        const field_t *f;
        switch (r % 14) {
        case 0: /* truncate anywhere */
            g->len = at;
            break;
        case 1: /* truncate at the start or end of a field */
            if ((f = gen_pick(g, -1))) g->len = f->at + ((r >> 8) & 1 ? (size_t)f->width : 0);
            break;
        case 2: /* a byte changed */
            if (at < g->len) g->b[at] ^= (uint8_t)(1 + (r >> 40) % 255);
            break;
        case 3:
        case 4: /* a length or count set to an interesting value */
            if ((f = gen_pick(g, (r >> 8) % 3 == 0 ? F_NAME : F_LEN))) gen_put(g, f, gen_len_value(g, f, r >> 10));
            break;
        case 5: { /* trailing garbage */
            uint8_t junk[24];
            size_t n = 1 + (size_t)(r >> 40) % sizeof(junk);
            for (size_t i = 0; i < n; i++) junk[i] = (uint8_t)(gen_next() % 3);
            gen_splice(g, g->len, 0, junk, n);
            break;
        }
        case 6: { /* a few bytes inserted or deleted */
            size_t n = 1 + (size_t)(r >> 40) % 8;
            if ((r >> 8) & 1) {
                uint8_t junk[8];
                for (size_t i = 0; i < n; i++) junk[i] = (uint8_t)gen_next();
                gen_splice(g, at, 0, junk, n);
            } else if (at < g->len) {
                gen_splice(g, at, n < g->len - at ? n : g->len - at, NULL, 0);
            }
            break;
        }
        case 7: /* the header's constants: magic, version, kind */
            if (g->len < 4) break;
            switch ((r >> 8) % (g->manifest ? 2 : 3)) {
            case 0: g->b[(r >> 12) & 1] ^= (uint8_t)(1 + (r >> 16) % 255); break;
            case 1: g->b[2] = (uint8_t)((r >> 16) % 3 == 0 ? 0xff : (r >> 16) % 3 == 1 ? 0 : 2); break;
            default: {
                static const uint8_t kinds[] = {0, 3, 0xff, SNAPWIRE_BEGIN, SNAPWIRE_DATA};
                g->b[3] = kinds[(r >> 16) % sizeof(kinds)];
                break;
            }
            }
            break;
        case 8: /* a wrong checksum: the fix bit cleared, a bit flipped near the end or in a crc field */
            g->fix = false;
            if ((r >> 8) & 1 && (f = gen_pick(g, F_CRC)))
                g->b[f->at + (r >> 9) % 4] ^= (uint8_t)(1u << ((r >> 12) % 8));
            else if (g->len)
                g->b[g->len - 1 - (size_t)((r >> 16) % (g->len < 4 ? g->len : 4))] ^= (uint8_t)(1u << ((r >> 12) % 8));
            break;
        case 9:
        case 10: /* a file's name replaced */
            gen_rename(g, r);
            break;
        case 11: /* any field set to an interesting value */
            if ((f = gen_pick(g, -1))) gen_put(g, f, gen_len_value(g, f, r >> 8));
            break;
        case 12: /* a zero sender or snapshot index */
            if ((f = gen_pick(g, F_NONZERO))) gen_put(g, f, 0);
            break;
        default: /* the sizes' total at or over the limit */
            gen_total(g, r);
            break;
        }
    }
}

/* ---- running the target ------------------------------------------------------ */

/* Runs the target on the selector and bytes; returns the outcome class of
 * the top-level decode (a chunk's or a manifest's). */
static int run_target(bool manifest, bool fix, const uint8_t *b, size_t n)
{
    unsigned long before[FZS_C_N + FZS_M_N];
    unsigned long *stats = manifest ? fuzz_snapwire_manifest_stats : fuzz_snapwire_chunk_stats;
    int nstats = manifest ? FZS_M_N : FZS_C_N;
    memcpy(before, stats, sizeof(*stats) * (size_t)nstats);
    uint8_t *in = malloc(n + 1);
    assert_non_null(in);
    in[0] = (uint8_t)((manifest ? FZS_SEL_MANIFEST : 0) | (fix ? FZS_SEL_FIX_CRC : 0));
    if (n) memcpy(in + 1, b, n);
    LLVMFuzzerTestOneInput(in, n + 1);
    free(in);
    for (int k = 0; k < nstats; k++)
        if (stats[k] != before[k]) return k;
    fail_msg("no outcome counted");
    return -1;
}

/* ---- tests ------------------------------------------------------------------- */

/* The target's CRC-32C agrees with src/util/crc32c.c and the standard check
 * value. */
static void test_crc_reference(void **state)
{
    (void)state;
    assert_int_equal(fzs_crc32c((const uint8_t *)"123456789", 9), 0xE3069283u);
    assert_int_equal(crc32c(0, "123456789", 9), 0xE3069283u);
    static uint8_t b[3000];
    for (size_t n = 0; n < sizeof(b); n += 1 + n / 7) {
        for (size_t i = 0; i < n; i++) b[i] = (uint8_t)gen_next();
        assert_int_equal(fzs_crc32c(b, n), crc32c(0, b, n));
    }
}

/* A manifest written byte by byte (not with the encoder, so that any name can
 * go in): no configuration, the given files, the right checksum. */
static size_t raw_manifest(uint8_t *out, int nf, const char *const *names, const size_t *lens, const uint64_t *sizes)
{
    size_t o = 0;
    out[o++] = 'R';
    out[o++] = 'S';
    out[o++] = 1;
    fzs_put_le(out + o, 7, 8); /* index */
    fzs_put_le(out + o + 8, 3, 8); /* term */
    fzs_put_le(out + o + 16, 0, 4); /* conf_len */
    fzs_put_le(out + o + 20, (uint64_t)nf, 4);
    o += 24;
    for (int i = 0; i < nf; i++) {
        fzs_put_le(out + o, lens[i], 2);
        memcpy(out + o + 2, names[i], lens[i]);
        o += 2 + lens[i];
        fzs_put_le(out + o, sizes[i], 8);
        fzs_put_le(out + o + 8, 0x12345678, 4);
        o += 12;
    }
    fzs_put_le(out + o, crc32c(0, out, o), 4);
    return o + 4;
}

static int one_file(const char *name, size_t len, uint64_t size)
{
    static uint8_t b[1024];
    size_t n = raw_manifest(b, 1, &name, &len, &size);
    return run_target(true, false, b, n);
}

static int chunk_outcome(uint8_t kind, uint64_t from, uint64_t index, uint32_t file, uint64_t offset, uint32_t len)
{
    static uint8_t b[256], body[100];
    memset(body, 'd', sizeof(body));
    snapwire_t c = {.kind = kind, .cluster_id = 9, .from = from, .term = 2, .snap_index = index, .snap_term = 1,
                    .body = (const char *)body, .len = len, .file = file, .offset = offset};
    size_t n = snapwire_encode(&c, (char *)b, sizeof(b));
    assert_int_not_equal(n, 0);
    return run_target(false, false, b, n);
}

/* A manifest of nf one-letter files (15 bytes each), with the right
 * checksum; malloc'ed into *out. */
static size_t many_files(uint8_t **out, uint32_t nf)
{
    size_t n = FZS_M_MIN + (size_t)nf * FZS_M_FILE_MIN;
    uint8_t *b = malloc(n);
    assert_non_null(b);
    memset(b, 0, n);
    b[0] = 'R';
    b[1] = 'S';
    b[2] = 1;
    fzs_put_le(b + 23, nf, 4);
    size_t o = 27;
    for (uint32_t i = 0; i < nf; i++, o += FZS_M_FILE_MIN) {
        fzs_put_le(b + o, 1, 2);
        b[o + 2] = (uint8_t)('a' + i % 26);
        fzs_put_le(b + o + 3, i, 8);
    }
    fzs_put_le(b + o, crc32c(0, b, o), 4);
    *out = b;
    return n;
}

static void test_known_inputs(void **state)
{
    (void)state;
    static char longest[SNAP_NAME_MAX + 1];
    memset(longest, 'n', SNAP_NAME_MAX);
    assert_int_equal(one_file("000012.sst", 10, 100), FZS_M_OK_ONE);
    assert_int_equal(one_file("a..b", 4, 0), FZS_M_OK_ONE);
    assert_int_equal(one_file(longest, SNAP_NAME_MAX - 1, 1), FZS_M_OK_ONE);
    assert_int_equal(one_file(longest, SNAP_NAME_MAX, 1), FZS_M_NAME_UNSAFE);
    /* a lone empty name leaves 14 bytes for a file: refused by the count */
    assert_int_equal(one_file("", 0, 1), FZS_M_COUNT);
    assert_int_equal(one_file(".", 1, 1), FZS_M_NAME_UNSAFE);
    assert_int_equal(one_file("..", 2, 1), FZS_M_NAME_UNSAFE);
    assert_int_equal(one_file("../x", 4, 1), FZS_M_NAME_UNSAFE);
    assert_int_equal(one_file("a/b", 3, 1), FZS_M_NAME_UNSAFE);
    assert_int_equal(one_file(".hidden", 7, 1), FZS_M_NAME_UNSAFE);
    assert_int_equal(one_file("a\0b", 3, 1), FZS_M_NAME_UNSAFE);
    assert_int_equal(one_file("x", 1, FZS_M_BYTES_MAX), FZS_M_OK_ONE);
    assert_int_equal(one_file("x", 1, FZS_M_BYTES_MAX + 1), FZS_M_TOTAL);

    static uint8_t b[1024];
    const char *names[] = {"a", "b"};
    const size_t lens[] = {1, 1};
    const uint64_t sizes[] = {FZS_M_BYTES_MAX, 0}, over[] = {FZS_M_BYTES_MAX, 1};
    size_t n = raw_manifest(b, 0, names, lens, sizes);
    assert_int_equal(n, FZS_M_MIN);
    assert_int_equal(run_target(true, false, b, n), FZS_M_OK_EMPTY);
    assert_int_equal(run_target(true, false, b, n - 1), FZS_M_SHORT);
    n = raw_manifest(b, 2, names, lens, sizes);
    assert_int_equal(run_target(true, false, b, n), FZS_M_OK_MANY);
    const char *empty_first[] = {"", "a-longer-second-name"}; /* room for two by the count */
    n = raw_manifest(b, 2, empty_first, (const size_t[]){0, 20}, sizes);
    assert_int_equal(run_target(true, false, b, n), FZS_M_NAME_UNSAFE);
    n = raw_manifest(b, 2, names, lens, over);
    assert_int_equal(run_target(true, false, b, n), FZS_M_TOTAL);
    b[n - 1] ^= 1;
    assert_int_equal(run_target(true, false, b, n), FZS_M_CRC);
    assert_int_equal(run_target(true, true, b, n), FZS_M_TOTAL); /* the fix bit repairs it */

    /* a file before the last taking the total over the limit is refused
     * right there, as a bad length */
    const uint64_t first_over[] = {FZS_M_BYTES_MAX + 1, 0};
    n = raw_manifest(b, 2, names, lens, first_over);
    assert_int_equal(run_target(true, false, b, n), FZS_M_TOTAL);
    static snap_manifest_t m;
    char err[128];
    assert_int_equal(snap_manifest_decode(&m, (const char *)b, n, err, sizeof(err)), -1);
    assert_string_equal(err, "snapshot manifest: bad length");

    /* SNAP_MAX_FILES files are taken, one more is refused (1.5 MB each) */
    uint8_t *big;
    n = many_files(&big, SNAP_MAX_FILES);
    assert_int_equal(run_target(true, false, big, n), FZS_M_OK_MANY);
    free(big);
    n = many_files(&big, SNAP_MAX_FILES + 1);
    assert_int_equal(run_target(true, false, big, n), FZS_M_COUNT);
    free(big);

    assert_int_equal(chunk_outcome(SNAPWIRE_BEGIN, 1, 1, 0, 0, 0), FZS_C_OK_BEGIN);
    assert_int_equal(chunk_outcome(SNAPWIRE_DATA, 1, 1, 0, 0, 0), FZS_C_OK_DATA_EMPTY);
    assert_int_equal(chunk_outcome(SNAPWIRE_DATA, UINT64_MAX, UINT64_MAX, UINT32_MAX, UINT64_MAX, 100), FZS_C_OK_DATA);
    assert_int_equal(chunk_outcome(SNAPWIRE_DATA, 0, 1, 0, 0, 5), FZS_C_ZERO);
    assert_int_equal(chunk_outcome(SNAPWIRE_BEGIN, 1, 0, 0, 0, 5), FZS_C_ZERO);
    static const uint8_t header_only[SNAPWIRE_HDR] = {'S', 'C', 1, SNAPWIRE_DATA};
    assert_int_equal(run_target(false, false, header_only, SNAPWIRE_HDR), FZS_C_LEN_SHORT);
    assert_int_equal(run_target(false, false, header_only, SNAPWIRE_HDR - 1), FZS_C_SHORT);
}

static void test_fuzz_replay(void **state)
{
    (void)state;
    static gen_t g;
    memset(fuzz_snapwire_chunk_stats, 0, sizeof(fuzz_snapwire_chunk_stats));
    memset(fuzz_snapwire_manifest_stats, 0, sizeof(fuzz_snapwire_manifest_stats));
    size_t total = 0;
    for (int i = 0; i < REPLAY_INPUTS; i++) {
        gen_valid(&g);
        gen_mutate(&g);
        run_target(g.manifest, g.fix, g.b, g.len);
        total += g.len + 1;
    }
    print_message("%d inputs, %zu bytes\n", REPLAY_INPUTS, total);

    /* the inputs must actually reach every outcome */
    static const char *const chunk_names[FZS_C_N] = {
        "too short", "bad magic", "bad version", "bad kind", "length short", "trailing bytes",
        "zero from/index", "bad checksum", "ok, begin", "ok, data", "ok, empty data",
    };
    static const char *const manifest_names[FZS_M_N] = {
        "too short",   "bad magic",    "bad version",  "bad checksum",   "conf length",
        "file count",  "name short",   "unsafe name",  "record short",   "total size",
        "trailing",    "ok, no files", "ok, one file", "ok, many files",
    };
    for (int k = 0; k < FZS_C_N; k++) print_message("chunk    %-16s %lu\n", chunk_names[k], fuzz_snapwire_chunk_stats[k]);
    for (int k = 0; k < FZS_M_N; k++)
        print_message("manifest %-16s %lu\n", manifest_names[k], fuzz_snapwire_manifest_stats[k]);
    for (int k = 0; k < FZS_C_N; k++) assert_true(fuzz_snapwire_chunk_stats[k] >= 20);
    for (int k = 0; k < FZS_M_N; k++) assert_true(fuzz_snapwire_manifest_stats[k] >= 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_reference),
        cmocka_unit_test(test_known_inputs),
        cmocka_unit_test(test_fuzz_replay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
