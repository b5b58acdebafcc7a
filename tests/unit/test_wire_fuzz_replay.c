/* Runs the Raft wire-message fuzz target (tests/fuzz/fuzz_wire.c) over 100k
 * deterministic inputs, so `make test` exercises the decoder under
 * ASan/UBSan without libFuzzer. The inputs are valid messages (every type,
 * flags, random header fields, APPENDs with empty, binary and large entries
 * of every entry type, SNAPSHOTs with configurations of members, learners and
 * removed ids) encoded with wire_encode, then mutated: truncated anywhere or
 * at an entry/section boundary, bytes flipped, inserted or deleted, a length
 * or count field replaced by a huge, zero or off-by-one value, trailing
 * garbage, the header's constants changed, fields changed so the message
 * breaks raft_msg_valid, the snapshot configuration damaged. A failing input
 * is printed in hex by the target before it aborts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../fuzz/fuzz_wire.c"

#define REPLAY_INPUTS 100000
#define REPLAY_MAX 16384
#define MAX_FIELDS 512

static uint64_t gen_rng = 0x9E3779B97F4A7C15ULL;

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
    F_LEN,   /* a length or count: entry count, entry length, conf length, member/removed count, address length */
    F_TERM,  /* an entry's term */
    F_ETYPE, /* an entry's type */
    F_ID,    /* a member or removed id in the configuration */
    F_VOTER, /* a member's voter byte */
    F_ADDR,  /* a byte of an address */
    F_ALEN,  /* a member's address length (also a length for the mutations of lengths) */
};

typedef struct {
    size_t at;
    int width; /* bytes, little-endian */
    int kind;
} field_t;

/* A generated message: its bytes, its fields and its section boundaries
 * (where each entry, the snapshot metadata and the configuration start). */
typedef struct {
    uint8_t b[REPLAY_MAX];
    size_t len;
    field_t field[MAX_FIELDS];
    int nfields;
    size_t boundary[80];
    int nbound;
    size_t conf_at; /* 0 when not a SNAPSHOT */
    size_t clen_at; /* where the configuration's length is */
} gen_t;

static void gen_field(gen_t *g, size_t at, int width, int kind)
{
    if (g->nfields < MAX_FIELDS) g->field[g->nfields++] = (field_t){at, width, kind};
}

static void gen_bound(gen_t *g, size_t at)
{
    if (g->nbound < (int)(sizeof(g->boundary) / sizeof(g->boundary[0]))) g->boundary[g->nbound++] = at;
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

static void gen_put_le(uint8_t *p, uint64_t v, int width)
{
    for (int i = 0; i < width; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* A random configuration: 0..16 members with distinct ids, voters and
 * learners, addresses of 0..63 bytes; 0..64 removed ids, not members. */
static void gen_conf(raft_conf_t *c)
{
    memset(c, 0, sizeof(*c));
    uint64_t r = gen_next();
    int n = r % 8 == 0 ? (int)((r >> 8) % (RAFT_MAX_NODES + 1)) : 1 + (int)((r >> 8) % 6);
    uint64_t base = (r >> 16) % 3 == 0 ? UINT64_MAX - 200 : 1 + (r >> 20) % 1000;
    for (int i = 0; i < n; i++) {
        uint64_t x = gen_next();
        c->m[i].id = base + (uint64_t)i * (1 + x % 3);
        c->m[i].voter = (x >> 8) % 3 != 0;
        size_t alen = (x >> 16) % 10 == 0 ? (size_t)((x >> 24) % RAFT_ADDR_MAX) : (size_t)((x >> 24) % 20);
        for (size_t k = 0; k < alen; k++) c->m[i].addr[k] = (char)(1 + gen_next() % 255);
    }
    c->n = n;
    r = gen_next();
    int nr = r % 8 == 0 ? (int)((r >> 8) % (RAFT_MAX_REMOVED + 1)) : (int)((r >> 8) % 4);
    for (int i = 0; i < nr; i++) c->removed[i] = base + 10000 + (uint64_t)i; /* never a member */
    c->n_removed = nr;
}

static void gen_valid(gen_t *g)
{
    static raft_entry_t ents[64];
    static char data[64 * 48];
    static char big[2000];
    static raft_snapshot_meta_t snap;
    uint64_t r = gen_next();
    raft_msg_t m;
    memset(&m, 0, sizeof(m));
    int pick = (int)(r % 20);
    m.type = pick < 8 ? RAFT_MSG_APPEND : pick < 12 ? RAFT_MSG_SNAPSHOT : (uint8_t)(1 + (r >> 8) % (RAFT_MSG_TYPE_MAX - 1));
    m.reject = (r >> 16) & 1;
    m.transfer = (r >> 17) & 1;
    m.from = 1 + gen_u64() % 1000;
    m.to = gen_u64();
    m.term = gen_u64();
    m.log_term = gen_u64();
    m.index = gen_u64();
    m.commit = gen_u64();
    m.reject_hint = gen_u64();
    m.ctx = gen_u64();
    if (m.type == RAFT_MSG_APPEND) {
        /* terms rise from log_term to at most the message term */
        m.log_term = (gen_next() % 4 == 0) ? 0 : gen_next() % 50;
        m.term = m.log_term + gen_next() % 5;
        if ((r >> 20) % 7 == 0) m.index = UINT64_MAX - (r >> 24) % 8; /* indexes wrap (see the report) */
        uint64_t x = gen_next();
        uint32_t n = x % 6 == 0 ? 0 : x % 11 == 0 ? 20 + (uint32_t)((x >> 8) % 44) : 1 + (uint32_t)((x >> 8) % 6);
        uint64_t t = m.log_term;
        size_t used = FZW_HDR_LEN;
        for (uint32_t i = 0; i < n; i++) {
            uint64_t y = gen_next();
            if (y % 4 == 0 && t < m.term) t++;
            size_t len = y % 5 == 0 ? 0 : (size_t)((y >> 8) % 48);
            char *p = data + i * 48;
            for (size_t k = 0; k < len; k++) {
                uint64_t z = gen_next();
                p[k] = z % 4 == 0 ? '\0' : (char)(z >> 8);
            }
            ents[i] = (raft_entry_t){.term = t, .type = (uint8_t)((y >> 16) % 3), .len = (uint32_t)len,
                                     .data = len ? p : NULL};
            if ((y >> 24) % 40 == 0) {
                for (size_t k = 0; k < sizeof(big); k++) big[k] = (char)(k * 131);
                ents[i].len = 500 + (uint32_t)((y >> 32) % 1500);
                ents[i].data = big;
            }
            used += FZW_ENTRY_HDR_LEN + ents[i].len;
            if (used > REPLAY_MAX / 2) {
                n = i;
                break;
            }
        }
        m.entries = ents;
        m.n_entries = n;
    }
    if (m.type == RAFT_MSG_SNAPSHOT) {
        snap.index = gen_u64();
        snap.term = gen_u64();
        gen_conf(&snap.conf);
        m.snapshot = &snap;
    }
    uint64_t cluster = gen_u64();
    g->len = wire_encode(&m, cluster, (char *)g->b, sizeof(g->b));
    assert_int_not_equal(g->len, 0);

    /* where the fields are, walking the layout of wire.h */
    g->nfields = 0;
    g->nbound = 0;
    g->conf_at = 0;
    gen_field(g, 77, 4, F_LEN);
    size_t o = FZW_HDR_LEN;
    gen_bound(g, o);
    for (uint32_t i = 0; i < m.n_entries; i++) {
        gen_field(g, o, 8, F_TERM);
        gen_field(g, o + 8, 1, F_ETYPE);
        gen_field(g, o + 9, 4, F_LEN);
        o += FZW_ENTRY_HDR_LEN + m.entries[i].len;
        gen_bound(g, o);
    }
    if (m.type == RAFT_MSG_SNAPSHOT) {
        gen_field(g, o + 16, 4, F_LEN);
        g->clen_at = o + 16;
        o += 20;
        gen_bound(g, o);
        g->conf_at = o;
        gen_field(g, o + 1, 2, F_LEN);
        o += 3;
        for (int i = 0; i < snap.conf.n; i++) {
            size_t alen = strlen(snap.conf.m[i].addr);
            gen_field(g, o, 8, F_ID);
            gen_field(g, o + 8, 1, F_VOTER);
            gen_field(g, o + 9, 1, F_ALEN);
            if (alen) gen_field(g, o + 10 + gen_next() % alen, 1, F_ADDR);
            o += 10 + alen;
            gen_bound(g, o);
        }
        gen_field(g, o, 2, F_LEN);
        o += 2;
        for (int i = 0; i < snap.conf.n_removed; i++, o += 8) gen_field(g, o, 8, F_ID);
    }
    assert_int_equal(o, g->len);
}

static void gen_insert(gen_t *g, size_t at, const uint8_t *p, size_t n)
{
    if (g->len + n > REPLAY_MAX) return;
    memmove(g->b + at + n, g->b + at, g->len - at);
    memcpy(g->b + at, p, n);
    g->len += n;
}

/* A field of the given kind (-1: any), or NULL. */
static const field_t *gen_pick(gen_t *g, int kind)
{
    int idx[MAX_FIELDS], n = 0;
    for (int i = 0; i < g->nfields; i++)
        if ((kind < 0 || g->field[i].kind == kind || (kind == F_LEN && g->field[i].kind == F_ALEN)) &&
            g->field[i].at + (size_t)g->field[i].width <= g->len)
            idx[n++] = i;
    return n ? &g->field[idx[gen_next() % (uint64_t)n]] : NULL;
}

/* An interesting value for a length field of `width` bytes at f. */
static uint64_t gen_len_value(const gen_t *g, const field_t *f, uint64_t r)
{
    uint64_t old = fzw_le(g->b + f->at, f->width);
    uint64_t rem = g->len - f->at - (size_t)f->width;
    uint64_t max = f->width == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * f->width)) - 1;
    switch (r % 14) {
    case 0: return 0;
    case 1: return max;
    case 2: return max / 2 + 1;
    case 3: return old + 1;
    case 4: return old - 1;
    case 5: return rem;
    case 6: return rem + 1;
    case 7: return rem / FZW_ENTRY_HDR_LEN;
    case 8: return rem / FZW_ENTRY_HDR_LEN + 1;
    case 9: return WIRE_MAX_ENTRIES;
    case 10: return WIRE_MAX_ENTRIES + 1;
    case 11: return old + 1 + (r >> 8) % 20;
    case 12: return old - 1 - (r >> 8) % 20;
    default: return r >> 16;
    }
}

static void gen_mutate(gen_t *g)
{
    int muts = (int)(gen_next() % 4);
    for (int k = 0; k < muts; k++) {
        uint64_t r = gen_next();
        size_t at = g->len ? (size_t)(r >> 16) % (g->len + 1) : 0;
        switch (r % 11) {
        case 0: /* truncate anywhere */
            g->len = at;
            break;
        case 1: /* truncate at a boundary: a whole prefix of entries or members */
            if (g->nbound) {
                size_t b = g->boundary[(r >> 8) % (uint64_t)g->nbound];
                if (b < g->len) g->len = b;
            }
            break;
        case 2: /* flip a byte */
            if (at < g->len) g->b[at] = (uint8_t)(r >> 40);
            break;
        case 3:
        case 4: { /* a length or count field replaced by an interesting value */
            const field_t *f = gen_pick(g, F_LEN);
            if (f) gen_put_le(g->b + f->at, gen_len_value(g, f, r >> 8), f->width);
            break;
        }
        case 5: { /* trailing garbage */
            uint8_t junk[24];
            size_t n = 1 + (size_t)(r >> 40) % sizeof(junk);
            for (size_t i = 0; i < n; i++) junk[i] = (uint8_t)(gen_next() % 3);
            gen_insert(g, g->len, junk, n);
            break;
        }
        case 6: { /* insert or delete a few bytes */
            size_t n = 1 + (size_t)(r >> 40) % 8;
            if ((r >> 8) & 1) {
                uint8_t junk[8];
                for (size_t i = 0; i < n; i++) junk[i] = (uint8_t)gen_next();
                gen_insert(g, at, junk, n);
            } else if (at < g->len) {
                if (n > g->len - at) n = g->len - at;
                memmove(g->b + at, g->b + at + n, g->len - at - n);
                g->len -= n;
            }
            break;
        }
        case 7: /* the header's constants: magic, version, type, flags */
            if (g->len < 5) break;
            switch ((r >> 8) % 4) {
            case 0: g->b[(r >> 12) & 1] ^= (uint8_t)(1 + (r >> 16) % 255); break;
            case 1: g->b[2] = (uint8_t)((r >> 16) % 3 == 0 ? 0xff : (r >> 16) % 4); break;
            case 2: g->b[3] = (uint8_t)((r >> 16) % 5 == 0 ? (r >> 24) : (r >> 24) % RAFT_MSG_TYPE_MAX); break;
            default: g->b[4] = (uint8_t)((r >> 16) % 3 == 0 ? (r >> 24) : (r >> 24) % 4); break;
            }
            break;
        case 8: { /* well formed but breaking raft_msg_valid */
            if (g->len < FZW_HDR_LEN) break;
            const field_t *f;
            switch ((r >> 8) % 5) {
            case 0: gen_put_le(g->b + 13, 0, 8); break; /* from 0 */
            case 1:                                     /* an entry term above the message term */
                if ((f = gen_pick(g, F_TERM))) gen_put_le(g->b + f->at, fzw_le(g->b + 29, 8) + 1 + (r >> 16) % 3, 8);
                break;
            case 2: /* an entry term below its predecessor / log_term */
                if ((f = gen_pick(g, F_TERM))) gen_put_le(g->b + f->at, fzw_le(g->b + f->at, 8) - 1, 8);
                break;
            case 3: /* an unknown entry type */
                if ((f = gen_pick(g, F_ETYPE))) g->b[f->at] = (uint8_t)(3 + (r >> 16) % 253);
                break;
            default: /* the message term or log_term moved */
                gen_put_le(g->b + ((r >> 16) & 1 ? 29 : 37), (r >> 20) % 3 == 0 ? 0 : gen_u64(), 8);
                break;
            }
            break;
        }
        case 9: { /* the snapshot configuration damaged */
            const field_t *f;
            switch ((r >> 8) % 6) {
            case 0: /* an id 0, or a copy of another id */
                if ((f = gen_pick(g, F_ID))) {
                    const field_t *o = gen_pick(g, F_ID);
                    gen_put_le(g->b + f->at, (r >> 16) & 1 ? 0 : fzw_le(g->b + o->at, 8), 8);
                }
                break;
            case 1:
                if ((f = gen_pick(g, F_VOTER))) g->b[f->at] = (uint8_t)(2 + (r >> 16) % 254);
                break;
            case 2:
                if ((f = gen_pick(g, F_ADDR))) g->b[f->at] = 0;
                break;
            case 3:
                if (g->conf_at && g->conf_at < g->len) g->b[g->conf_at] = (uint8_t)((r >> 16) % 4);
                break;
            case 4: /* an address grown to RAFT_ADDR_MAX bytes, the lengths kept consistent */
                if ((f = gen_pick(g, F_ALEN)) && g->clen_at + 4 <= f->at) {
                    size_t old = g->b[f->at];
                    if (old >= RAFT_ADDR_MAX || f->at + 1 + old > g->len) break;
                    size_t grow = RAFT_ADDR_MAX - old;
                    uint8_t fill[RAFT_ADDR_MAX];
                    memset(fill, 'x', sizeof(fill));
                    gen_insert(g, f->at + 1 + old, fill, grow);
                    g->b[f->at] = RAFT_ADDR_MAX;
                    gen_put_le(g->b + g->clen_at, fzw_le(g->b + g->clen_at, 4) + grow, 4);
                }
                break;
            default: /* a byte anywhere in the configuration */
                if (g->conf_at && g->conf_at < g->len)
                    g->b[g->conf_at + (r >> 16) % (g->len - g->conf_at)] = (uint8_t)(r >> 40);
                break;
            }
            break;
        }
        case 10: { /* any field replaced by an interesting value */
            const field_t *f = gen_pick(g, -1);
            if (f) gen_put_le(g->b + f->at, gen_len_value(g, f, r >> 8), f->width);
            break;
        }
        }
    }
}

static void test_fuzz_replay(void **state)
{
    (void)state;
    static gen_t g;
    for (int i = 0; i < REPLAY_INPUTS; i++) {
        gen_valid(&g);
        gen_mutate(&g);
        LLVMFuzzerTestOneInput(g.b, g.len);
    }
    wire_msg_free(&fzw_reused);
    /* the inputs must actually reach every outcome */
    static const char *const names[FZW_NSTATS] = {
        "too short",    "bad magic",       "bad version",   "unknown flags",  "entry count",
        "entry length", "snapshot length", "snapshot conf", "trailing bytes", "invalid message",
        "ok",           "ok, entries",     "ok, snapshot",
    };
    for (int k = 0; k < FZW_NSTATS; k++) {
        print_message("%-16s %lu\n", names[k], fuzz_wire_stats[k]);
        assert_true(fuzz_wire_stats[k] > 100);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuzz_replay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
