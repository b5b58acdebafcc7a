/* Unit tests for src/node/wire.c, the binary form of Raft messages between
 * nodes (layout in src/node/wire.h):
 *   "RM" | u8 version | u8 type | u8 flags | u64 cluster_id | 8 x u64 fields
 *   | u32 n_entries | n x (u64 term | u8 type | u32 len | bytes)
 *   | SNAPSHOT only: u64 index | u64 term | u32 conf_len | conf
 * Every message type is encoded and decoded back field by field and entry by
 * entry; every truncation and hand-made malformed message must be refused
 * with an error, without reading past the end (inputs are copied into
 * exact-size heap buffers so ASan sees any over-read) and without allocating
 * for counts the bytes cannot hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/wire.h"
#include "raft/raft.h"

#define HDR_LEN 81       /* magic, version, type, flags, 9 x u64, u32 count */
#define ENTRY_HDR_LEN 13 /* u64 term, u8 type, u32 len */
#define OFF_TYPE 3
#define OFF_FLAGS 4
#define OFF_COUNT 77

/* ---- helpers ------------------------------------------------------------ */

static char *dup_exact(const void *p, size_t n)
{
    char *b = malloc(n ? n : 1);
    assert_non_null(b);
    if (n) memcpy(b, p, n);
    return b;
}

/* A byte string built by hand, to spell out the layout independently of
 * wire_encode. */
typedef struct {
    char *b;
    size_t n, cap;
} bytes_t;

static void put_mem(bytes_t *s, const void *p, size_t n)
{
    if (s->n + n > s->cap) {
        s->cap = (s->n + n) * 2 + 64;
        s->b = realloc(s->b, s->cap);
        assert_non_null(s->b);
    }
    if (n) memcpy(s->b + s->n, p, n);
    s->n += n;
}

static void put_u8(bytes_t *s, unsigned v)
{
    unsigned char c = (unsigned char)v;
    put_mem(s, &c, 1);
}

static void put_le(bytes_t *s, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) put_u8(s, (unsigned)(v >> (8 * i)) & 0xff);
}

static void put_u16(bytes_t *s, uint64_t v) { put_le(s, v, 2); }
static void put_u32(bytes_t *s, uint64_t v) { put_le(s, v, 4); }
static void put_u64(bytes_t *s, uint64_t v) { put_le(s, v, 8); }

static void set_u32(char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (char)(v >> (8 * i));
}

/* The header of a message, as wire.h lays it out. */
static void put_header(bytes_t *s, unsigned type, unsigned flags, uint64_t cluster, const raft_msg_t *m,
                       uint32_t n_entries)
{
    put_mem(s, "RM", 2);
    put_u8(s, WIRE_VERSION);
    put_u8(s, type);
    put_u8(s, flags);
    put_u64(s, cluster);
    put_u64(s, m->from);
    put_u64(s, m->to);
    put_u64(s, m->term);
    put_u64(s, m->log_term);
    put_u64(s, m->index);
    put_u64(s, m->commit);
    put_u64(s, m->reject_hint);
    put_u64(s, m->ctx);
    put_u32(s, n_entries);
}

static raft_msg_t msg_of(uint8_t type, uint64_t from, uint64_t to, uint64_t term)
{
    raft_msg_t m;
    memset(&m, 0, sizeof(m));
    m.type = type;
    m.from = from;
    m.to = to;
    m.term = term;
    return m;
}

/* Encodes m into an exact-size heap buffer, checking wire_size agrees with
 * what wire_encode wrote. */
static char *encode_exact(const raft_msg_t *m, uint64_t cluster, size_t *len)
{
    size_t n = wire_size(m);
    char *buf = malloc(n);
    assert_non_null(buf);
    assert_int_equal(wire_encode(m, cluster, buf, n), n);
    *len = n;
    return buf;
}

static void assert_conf_equal(const raft_conf_t *want, const raft_conf_t *got)
{
    assert_int_equal(got->n, want->n);
    for (int i = 0; i < want->n; i++) {
        assert_true(got->m[i].id == want->m[i].id);
        assert_int_equal(got->m[i].voter, want->m[i].voter);
        assert_string_equal(got->m[i].addr, want->m[i].addr);
    }
    assert_int_equal(got->n_removed, want->n_removed);
    for (int i = 0; i < want->n_removed; i++) assert_true(got->removed[i] == want->removed[i]);
}

/* got (decoded from buf, len bytes) equals want field by field and entry by
 * entry; entry indexes follow from want->index, and entry data are views
 * into buf. */
static void assert_msg_equal(const raft_msg_t *want, const raft_msg_t *got, const char *buf, size_t len)
{
    assert_int_equal(got->type, want->type);
    assert_int_equal(got->reject, want->reject);
    assert_int_equal(got->transfer, want->transfer);
    assert_true(got->from == want->from);
    assert_true(got->to == want->to);
    assert_true(got->term == want->term);
    assert_true(got->log_term == want->log_term);
    assert_true(got->index == want->index);
    assert_true(got->commit == want->commit);
    assert_true(got->reject_hint == want->reject_hint);
    assert_true(got->ctx == want->ctx);
    assert_int_equal(got->n_entries, want->n_entries);
    if (want->n_entries == 0) assert_null(got->entries);
    for (uint32_t i = 0; i < want->n_entries; i++) {
        const raft_entry_t *w = &want->entries[i], *g = &got->entries[i];
        assert_true(g->term == w->term);
        assert_true(g->index == want->index + 1 + i);
        assert_int_equal(g->type, w->type);
        assert_int_equal(g->len, w->len);
        assert_null(g->buf);
        assert_non_null(g->data);
        assert_true(g->data >= buf && g->data + g->len <= buf + len); /* a view, not a copy */
        if (w->len) assert_memory_equal(g->data, w->data, w->len);
    }
    if (want->type == RAFT_MSG_SNAPSHOT) {
        assert_non_null(got->snapshot);
        assert_true(got->snapshot->index == want->snapshot->index);
        assert_true(got->snapshot->term == want->snapshot->term);
        assert_conf_equal(&want->snapshot->conf, &got->snapshot->conf);
    } else {
        assert_null(got->snapshot);
    }
}

/* decode(encode(m)) == m, from an exact-size buffer; the decoded message
 * re-encodes to the same bytes. */
static void round_trip(const raft_msg_t *m, uint64_t cluster)
{
    size_t len;
    char *buf = encode_exact(m, cluster, &len);
    wire_msg_t w = {0};
    char err[128] = "";
    assert_int_equal(wire_decode(&w, buf, len, err, sizeof(err)), 0);
    assert_true(w.cluster_id == cluster);
    assert_msg_equal(m, &w.m, buf, len);
    assert_true(raft_msg_valid(&w.m));
    size_t len2;
    char *again = encode_exact(&w.m, w.cluster_id, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(again, buf, len);
    free(again);
    wire_msg_free(&w);
    free(buf);
}

/* Decodes len bytes (copied to an exact-size buffer) into a fresh
 * wire_msg_t and expects a refusal whose reason contains `why`. */
static void expect_reject(const void *bytes, size_t len, const char *why)
{
    char *buf = dup_exact(bytes, len);
    wire_msg_t w = {0};
    char err[128] = "";
    int rc = wire_decode(&w, buf, len, err, sizeof(err));
    if (rc != -1 || strstr(err, why) == NULL)
        fail_msg("%zu bytes: rc %d, err \"%s\", wanted a refusal for \"%s\"", len, rc, err, why);
    wire_msg_free(&w);
    free(buf);
}

/* A configuration with voters, learners, an empty and a longest address, and
 * removed ids. */
static void sample_conf(raft_conf_t *c)
{
    memset(c, 0, sizeof(*c));
    static const struct {
        uint64_t id;
        bool voter;
        const char *addr;
    } mem[] = {
        {1, true, "10.0.0.1:7001"},
        {2, true, "node-two.example:7002"},
        {0x0102030405060708ULL, true, ""},
        {40, false, "learner:7040"},
        {UINT64_MAX, false, "x"},
    };
    for (size_t i = 0; i < sizeof(mem) / sizeof(mem[0]); i++) {
        c->m[i].id = mem[i].id;
        c->m[i].voter = mem[i].voter;
        snprintf(c->m[i].addr, sizeof(c->m[i].addr), "%s", mem[i].addr);
    }
    c->n = 5;
    memset(c->m[3].addr, 'a', RAFT_ADDR_MAX - 1); /* the longest address */
    c->m[3].addr[RAFT_ADDR_MAX - 1] = '\0';
    c->n_removed = 3;
    c->removed[0] = 3;
    c->removed[1] = 7;
    c->removed[2] = 0xfedcba9876543210ULL;
}

/* ---- round trips -------------------------------------------------------- */

/* The bytes are exactly wire.h's layout, little-endian, checked against a
 * message spelled out by hand (an APPEND with two entries, one empty, and a
 * SNAPSHOT with its configuration in conf.c's layout). */
static void test_exact_bytes(void **state)
{
    (void)state;
    raft_entry_t ents[2] = {
        {.term = 6, .type = RAFT_ENTRY_NORMAL, .len = 3, .data = "a\0b"},
        {.term = 7, .type = RAFT_ENTRY_NOOP, .len = 0, .data = NULL},
    };
    raft_msg_t m = msg_of(RAFT_MSG_APPEND, 0x1122334455667788ULL, 2, 7);
    m.log_term = 5;
    m.index = 0x0102030405060708ULL;
    m.commit = 9;
    m.reject_hint = 0xa1a2a3a4a5a6a7a8ULL;
    m.ctx = 42;
    m.n_entries = 2;
    m.entries = ents;

    bytes_t want = {0};
    put_header(&want, RAFT_MSG_APPEND, 0, 0xc0ffee, &m, 2);
    put_u64(&want, 6);
    put_u8(&want, RAFT_ENTRY_NORMAL);
    put_u32(&want, 3);
    put_mem(&want, "a\0b", 3);
    put_u64(&want, 7);
    put_u8(&want, RAFT_ENTRY_NOOP);
    put_u32(&want, 0);
    assert_int_equal(want.n, HDR_LEN + 2 * ENTRY_HDR_LEN + 3);
    assert_memory_equal(want.b, "RM\x01\x05\x00\xee\xff\xc0\0\0\0\0\0\x88\x77\x66\x55\x44\x33\x22\x11", 21);

    size_t len;
    char *buf = encode_exact(&m, 0xc0ffee, &len);
    assert_int_equal(len, want.n);
    assert_memory_equal(buf, want.b, len);
    free(buf);

    /* a SNAPSHOT: flags, then the metadata and configuration after the (zero) entries */
    raft_snapshot_meta_t snap = {.index = 1000, .term = 4};
    snap.conf.n = 2;
    snap.conf.m[0] = (raft_member_t){.id = 1, .voter = true, .addr = "h:1"};
    snap.conf.m[1] = (raft_member_t){.id = 9, .voter = false, .addr = ""};
    snap.conf.n_removed = 1;
    snap.conf.removed[0] = 5;
    raft_msg_t s = msg_of(RAFT_MSG_SNAPSHOT, 1, 9, 4);
    s.reject = true;
    s.transfer = true;
    s.snapshot = &snap;
    want.n = 0;
    put_header(&want, RAFT_MSG_SNAPSHOT, 3, 1, &s, 0);
    put_u64(&want, 1000);
    put_u64(&want, 4);
    put_u32(&want, 1 + 2 + (8 + 1 + 1 + 3) + (8 + 1 + 1) + 2 + 8);
    put_u8(&want, 1); /* conf version */
    put_u16(&want, 2);
    put_u64(&want, 1);
    put_u8(&want, 1);
    put_u8(&want, 3);
    put_mem(&want, "h:1", 3);
    put_u64(&want, 9);
    put_u8(&want, 0);
    put_u8(&want, 0);
    put_u16(&want, 1);
    put_u64(&want, 5);
    buf = encode_exact(&s, 1, &len);
    assert_int_equal(len, want.n);
    assert_memory_equal(buf, want.b, len);
    free(buf);
    free(want.b);
}

/* Every message type, without entries, survives a round trip with every
 * header field set to a distinct value (so a swapped or narrowed field shows),
 * for several cluster ids. */
static void test_round_trip_every_type(void **state)
{
    (void)state;
    raft_snapshot_meta_t snap = {.index = 77, .term = 3};
    sample_conf(&snap.conf);
    const uint64_t clusters[] = {0, 1, 0x8000000000000001ULL, UINT64_MAX};
    for (uint8_t t = RAFT_MSG_PREVOTE; t < RAFT_MSG_TYPE_MAX; t++) {
        for (size_t c = 0; c < sizeof(clusters) / sizeof(clusters[0]); c++) {
            raft_msg_t m = msg_of(t, 0x0101010101010101ULL * (t + 1), 0x0202020202020202ULL, 0x0303030303030303ULL);
            m.log_term = 0x0404040404040404ULL;
            m.index = 0x0505050505050505ULL;
            m.commit = 0x0606060606060606ULL;
            m.reject_hint = 0x0707070707070707ULL;
            m.ctx = 0x0808080808080808ULL + c;
            if (t == RAFT_MSG_SNAPSHOT) m.snapshot = &snap;
            round_trip(&m, clusters[c]);
            /* and with every field at its extremes */
            m.from = m.to = m.term = m.log_term = m.index = m.commit = m.reject_hint = m.ctx = UINT64_MAX;
            round_trip(&m, clusters[c]);
            m.to = m.term = m.log_term = m.index = m.commit = m.reject_hint = m.ctx = 0;
            m.from = 1;
            round_trip(&m, clusters[c]);
        }
    }
}

/* APPEND with one entry, and with many: empty data, binary data with NULs
 * and high bytes, every entry type, terms rising from log_term up to the
 * message term, and one large entry. */
static void test_round_trip_entries(void **state)
{
    (void)state;
    enum { MANY = 300, BIG = 100000 };
    static raft_entry_t ents[MANY];
    static char data[MANY][40];
    char *big = malloc(BIG);
    assert_non_null(big);
    for (size_t i = 0; i < BIG; i++) big[i] = (char)(i * 7 % 251);

    /* one entry */
    raft_msg_t m = msg_of(RAFT_MSG_APPEND, 1, 2, 3);
    m.log_term = 2;
    m.index = 10;
    m.commit = 9;
    ents[0] = (raft_entry_t){.term = 3, .type = RAFT_ENTRY_NORMAL, .len = 5, .data = "\0\xff\0x\0"};
    m.entries = ents;
    m.n_entries = 1;
    round_trip(&m, 5);

    /* one empty entry (a leader's no-op), with data NULL */
    ents[0] = (raft_entry_t){.term = 3, .type = RAFT_ENTRY_NOOP, .len = 0, .data = NULL};
    round_trip(&m, 5);

    /* many */
    m.term = 50;
    m.log_term = 1;
    m.index = 0;
    for (int i = 0; i < MANY; i++) {
        size_t n = (size_t)(i % 5 == 0 ? 0 : i % 40);
        for (size_t k = 0; k < n; k++) data[i][k] = (char)(k % 3 == 0 ? 0 : (i * 13 + (int)k) & 0xff);
        ents[i] = (raft_entry_t){.term = 1 + (uint64_t)i / 7, .type = (uint8_t)(i % 3), .len = (uint32_t)n,
                                 .data = n ? data[i] : NULL};
    }
    ents[MANY / 2].len = BIG;
    ents[MANY / 2].data = big;
    m.n_entries = MANY;
    round_trip(&m, 0);
    free(big);
}

/* The flags byte: reject and transfer, alone and together, on the types that
 * use them (and on one that does not: the wire carries them regardless). */
static void test_round_trip_flags(void **state)
{
    (void)state;
    const uint8_t types[] = {RAFT_MSG_PREVOTE,    RAFT_MSG_PREVOTE_RESP, RAFT_MSG_VOTE,
                             RAFT_MSG_VOTE_RESP,  RAFT_MSG_APPEND_RESP,  RAFT_MSG_READ_INDEX_RESP,
                             RAFT_MSG_HEARTBEAT};
    for (size_t i = 0; i < sizeof(types); i++) {
        for (int f = 0; f < 4; f++) {
            raft_msg_t m = msg_of(types[i], 3, 4, 8);
            m.reject = f & 1;
            m.transfer = (f & 2) != 0;
            m.reject_hint = 17;
            m.log_term = 6;
            round_trip(&m, 99);
            size_t len;
            char *buf = encode_exact(&m, 99, &len);
            assert_int_equal((unsigned char)buf[OFF_FLAGS], f);
            free(buf);
        }
    }
}

/* SNAPSHOT metadata: a configuration with voters, learners and removed ids;
 * the largest configuration (all members with the longest addresses, all
 * removed slots); an empty one. */
static void test_round_trip_snapshot(void **state)
{
    (void)state;
    raft_snapshot_meta_t snap = {.index = 123456789, .term = 12};
    sample_conf(&snap.conf);
    raft_msg_t m = msg_of(RAFT_MSG_SNAPSHOT, 1, 4, 12);
    m.snapshot = &snap;
    m.commit = 123456789;
    round_trip(&m, 7);

    memset(&snap.conf, 0, sizeof(snap.conf));
    snap.conf.n = RAFT_MAX_NODES;
    for (int i = 0; i < RAFT_MAX_NODES; i++) {
        snap.conf.m[i].id = 100 + (uint64_t)i;
        snap.conf.m[i].voter = i % 3 != 0;
        memset(snap.conf.m[i].addr, 'A' + i, RAFT_ADDR_MAX - 1);
    }
    snap.conf.n_removed = RAFT_MAX_REMOVED;
    for (int i = 0; i < RAFT_MAX_REMOVED; i++) snap.conf.removed[i] = 1000 + (uint64_t)i;
    snap.index = UINT64_MAX;
    snap.term = UINT64_MAX;
    round_trip(&m, UINT64_MAX);

    memset(&snap.conf, 0, sizeof(snap.conf));
    snap.index = snap.term = 0;
    round_trip(&m, 0);
}

/* wire_encode refuses a buffer smaller than wire_size without writing into
 * it, and fills a larger one only up to wire_size. */
static void test_encode_capacity(void **state)
{
    (void)state;
    raft_entry_t e = {.term = 1, .len = 4, .data = "abcd"};
    raft_msg_t m = msg_of(RAFT_MSG_APPEND, 1, 2, 1);
    m.entries = &e;
    m.n_entries = 1;
    size_t need = wire_size(&m);
    assert_int_equal(need, HDR_LEN + ENTRY_HDR_LEN + 4);
    char buf[256];
    memset(buf, 0x5a, sizeof(buf));
    assert_int_equal(wire_encode(&m, 0, buf, need - 1), 0);
    assert_int_equal(wire_encode(&m, 0, buf, 0), 0);
    for (size_t i = 0; i < sizeof(buf); i++) assert_int_equal((unsigned char)buf[i], 0x5a);
    assert_int_equal(wire_encode(&m, 0, buf, sizeof(buf)), need);
    for (size_t i = need; i < sizeof(buf); i++) assert_int_equal((unsigned char)buf[i], 0x5a);
}

/* A SNAPSHOT whose configuration cannot be encoded (member or removed counts
 * out of range) is not encoded at all, and the counts are checked before the
 * members are read (the configuration is on the heap, sized exactly, so ASan
 * sees a read past its member array). */
static void test_encode_bad_conf(void **state)
{
    (void)state;
    const int bad[][2] = {{RAFT_MAX_NODES + 1, 0}, {1000, 0}, {-1, 0}, {0, RAFT_MAX_REMOVED + 1}, {0, -1}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        raft_snapshot_meta_t *snap = calloc(1, sizeof(*snap));
        assert_non_null(snap);
        snap->conf.n = bad[i][0];
        snap->conf.n_removed = bad[i][1];
        raft_msg_t m = msg_of(RAFT_MSG_SNAPSHOT, 1, 2, 3);
        m.snapshot = snap;
        char buf[4096];
        assert_int_equal(wire_encode(&m, 0, buf, sizeof(buf)), 0);
        free(snap);
    }
}

/* ---- refusals ----------------------------------------------------------- */

/* Every proper prefix of a valid encoding is refused: header, entry headers,
 * entry data, snapshot metadata and configuration cut anywhere. */
static void test_truncations(void **state)
{
    (void)state;
    raft_entry_t ents[3] = {
        {.term = 2, .type = RAFT_ENTRY_NORMAL, .len = 6, .data = "ab\0cd\0"},
        {.term = 2, .type = RAFT_ENTRY_CONF, .len = 0, .data = NULL},
        {.term = 3, .type = RAFT_ENTRY_NOOP, .len = 2, .data = "zz"},
    };
    raft_msg_t app = msg_of(RAFT_MSG_APPEND, 1, 2, 3);
    app.log_term = 1;
    app.index = 5;
    app.entries = ents;
    app.n_entries = 3;
    raft_snapshot_meta_t snap = {.index = 9, .term = 3};
    sample_conf(&snap.conf);
    raft_msg_t sn = msg_of(RAFT_MSG_SNAPSHOT, 1, 2, 3);
    sn.snapshot = &snap;
    raft_msg_t hb = msg_of(RAFT_MSG_HEARTBEAT, 1, 2, 3);
    const raft_msg_t *msgs[] = {&app, &sn, &hb};
    for (size_t k = 0; k < 3; k++) {
        size_t len;
        char *full = encode_exact(msgs[k], 8, &len);
        for (size_t cut = 0; cut < len; cut++) expect_reject(full, cut, "");
        free(full);
    }
}

/* The header's constants: magic "RM", version 1, flags within 1|2. */
static void test_bad_magic_version_flags(void **state)
{
    (void)state;
    raft_msg_t m = msg_of(RAFT_MSG_HEARTBEAT, 1, 2, 3);
    size_t len;
    char *good = encode_exact(&m, 0, &len);
    char *b = dup_exact(good, len);

    const char *magics[] = {"rm", "MR", "R\0", "\0M", "XM", "RX"};
    for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
        memcpy(b, magics[i], 2);
        expect_reject(b, len, "bad magic");
    }
    memcpy(b, good, len);
    const unsigned versions[] = {0, 2, 3, 0x81, 0xff};
    for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
        b[2] = (char)versions[i];
        expect_reject(b, len, "version");
    }
    memcpy(b, good, len);
    const unsigned flags[] = {4, 5, 7, 8, 0x10, 0x80, 0xfc, 0xff};
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        b[OFF_FLAGS] = (char)flags[i];
        expect_reject(b, len, "unknown flags");
    }
    free(b);
    free(good);
}

/* A type byte outside PREVOTE..READ_INDEX_RESP is refused. */
static void test_unknown_type(void **state)
{
    (void)state;
    raft_msg_t m = msg_of(RAFT_MSG_HEARTBEAT, 1, 2, 3);
    size_t len;
    char *b = encode_exact(&m, 0, &len);
    const unsigned types[] = {0, RAFT_MSG_TYPE_MAX, RAFT_MSG_TYPE_MAX + 1, 0x7f, 0x80, 0xff};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        b[OFF_TYPE] = (char)types[i];
        expect_reject(b, len, "invalid message");
    }
    free(b);
}

/* An entry count the received bytes cannot hold (at least 13 bytes per
 * entry), or above WIRE_MAX_ENTRIES, is refused before anything is allocated
 * for it: a fresh wire_msg_t gets no entry array, a reused one keeps its
 * array as it was. (Under ASan, an attempt to allocate 0xffffffff entries
 * would also abort the test as an oversized allocation.) */
static void test_huge_entry_count(void **state)
{
    (void)state;
    raft_entry_t ents[3] = {{.term = 1, .len = 1, .data = "a"}, {.term = 1}, {.term = 2, .len = 2, .data = "bc"}};
    raft_msg_t m = msg_of(RAFT_MSG_APPEND, 1, 2, 2);
    m.entries = ents;
    m.n_entries = 3;
    size_t len;
    char *good = encode_exact(&m, 0, &len);

    wire_msg_t reused = {0};
    char err[128];
    assert_int_equal(wire_decode(&reused, good, len, err, sizeof(err)), 0);
    raft_entry_t *arr = reused.ents;
    size_t cap = reused.ents_cap;
    assert_true(cap >= 3);

    size_t room = (len - HDR_LEN) / ENTRY_HDR_LEN; /* 3 entries of 13..15 bytes: 3 */
    const uint32_t counts[] = {0xffffffffu, 0x80000000u, 0x7fffffffu, 0x10000000u, WIRE_MAX_ENTRIES + 1,
                               (uint32_t)room + 1, (uint32_t)room + 100};
    char *b = dup_exact(good, len);
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        set_u32(b + OFF_COUNT, counts[i]);
        wire_msg_t fresh = {0};
        err[0] = '\0';
        assert_int_equal(wire_decode(&fresh, b, len, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "entry count"));
        assert_null(fresh.ents);
        assert_int_equal(fresh.ents_cap, 0);
        assert_int_equal(wire_decode(&reused, b, len, err, sizeof(err)), -1);
        assert_ptr_equal(reused.ents, arr);
        assert_int_equal(reused.ents_cap, cap);
    }
    /* a count within what the bytes can hold fails later, for its lengths */
    set_u32(b + OFF_COUNT, (uint32_t)room);
    assert_int_equal(wire_decode(&reused, b, len, err, sizeof(err)), 0);
    set_u32(b + OFF_COUNT, 2);
    expect_reject(b, len, "");
    free(b);
    wire_msg_free(&reused);
    free(good);
}

/* The limit itself: WIRE_MAX_ENTRIES empty entries are accepted, one more is
 * refused even when the bytes are there. */
static void test_max_entry_count(void **state)
{
    (void)state;
    raft_msg_t m = msg_of(RAFT_MSG_APPEND, 1, 2, 1);
    bytes_t hdr = {0};
    put_header(&hdr, RAFT_MSG_APPEND, 0, 0, &m, WIRE_MAX_ENTRIES);
    size_t len = HDR_LEN + (size_t)WIRE_MAX_ENTRIES * ENTRY_HDR_LEN;
    char *b = calloc(1, len); /* every entry: term 0, NORMAL, length 0 */
    assert_non_null(b);
    memcpy(b, hdr.b, HDR_LEN);
    wire_msg_t w = {0};
    char err[128] = "";
    assert_int_equal(wire_decode(&w, b, len, err, sizeof(err)), 0);
    assert_int_equal(w.m.n_entries, WIRE_MAX_ENTRIES);
    assert_true(w.m.entries[WIRE_MAX_ENTRIES - 1].index == WIRE_MAX_ENTRIES);
    assert_int_equal(wire_size(&w.m), len);
    wire_msg_free(&w);
    free(b);

    len += ENTRY_HDR_LEN;
    b = calloc(1, len);
    assert_non_null(b);
    memcpy(b, hdr.b, HDR_LEN);
    set_u32(b + OFF_COUNT, WIRE_MAX_ENTRIES + 1);
    assert_int_equal(wire_decode(&w, b, len, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "entry count"));
    assert_null(w.ents);
    free(b);
    free(hdr.b);
}

/* An entry length running past the end of the message is refused: off by
 * one, huge, and on an entry that is not the last. */
static void test_entry_length_past_end(void **state)
{
    (void)state;
    raft_entry_t ents[2] = {{.term = 1, .len = 3, .data = "abc"}, {.term = 1, .len = 4, .data = "\0\0\0\0"}};
    raft_msg_t m = msg_of(RAFT_MSG_APPEND, 1, 2, 1);
    m.entries = ents;
    m.n_entries = 2;
    size_t len;
    char *good = encode_exact(&m, 0, &len);
    size_t len0 = HDR_LEN + 9, len1 = HDR_LEN + ENTRY_HDR_LEN + 3 + 9; /* the two length fields */
    const struct {
        size_t at;
        uint32_t v;
    } cases[] = {
        {len1, 5},           {len1, 0xffffffffu},      {len1, 0x80000000u},
        {len0, 3 + 18},      {len0, 0xffffffffu},      {len0, (uint32_t)(len - HDR_LEN)},
    };
    char *b = dup_exact(good, len);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memcpy(b, good, len);
        set_u32(b + cases[i].at, cases[i].v);
        expect_reject(b, len, "entry exceeds message");
    }
    /* a shorter first length shifts the second entry's header: refused too */
    memcpy(b, good, len);
    set_u32(b + len0, 2);
    expect_reject(b, len, "");
    free(b);
    free(good);
}

/* Bytes after a complete message are refused, with and without entries and
 * snapshot. */
static void test_trailing_bytes(void **state)
{
    (void)state;
    raft_entry_t e = {.term = 1, .len = 2, .data = "hi"};
    raft_msg_t app = msg_of(RAFT_MSG_APPEND, 1, 2, 1);
    app.entries = &e;
    app.n_entries = 1;
    raft_snapshot_meta_t snap = {.index = 3, .term = 1};
    sample_conf(&snap.conf);
    raft_msg_t sn = msg_of(RAFT_MSG_SNAPSHOT, 1, 2, 1);
    sn.snapshot = &snap;
    raft_msg_t vote = msg_of(RAFT_MSG_VOTE, 1, 2, 1);
    const raft_msg_t *msgs[] = {&app, &sn, &vote};
    const size_t extras[] = {1, 4, ENTRY_HDR_LEN, 20, 100};
    for (size_t k = 0; k < 3; k++) {
        size_t len;
        char *good = encode_exact(msgs[k], 0, &len);
        for (size_t i = 0; i < sizeof(extras) / sizeof(extras[0]); i++) {
            char *b = calloc(1, len + extras[i]);
            assert_non_null(b);
            memcpy(b, good, len);
            expect_reject(b, len + extras[i], "trailing bytes");
            free(b);
        }
        free(good);
    }
}

/* A SNAPSHOT carrying conf (len bytes) as its configuration is refused for
 * its configuration. */
static void expect_bad_conf(const char *conf, size_t len, const char *what)
{
    raft_msg_t m = msg_of(RAFT_MSG_SNAPSHOT, 1, 2, 5);
    bytes_t s = {0};
    put_header(&s, RAFT_MSG_SNAPSHOT, 0, 0, &m, 0);
    put_u64(&s, 10);
    put_u64(&s, 5);
    put_u32(&s, len);
    put_mem(&s, conf, len);
    char *buf = dup_exact(s.b, s.n);
    wire_msg_t w = {0};
    char err[128] = "";
    if (wire_decode(&w, buf, s.n, err, sizeof(err)) != -1 || !strstr(err, "configuration"))
        fail_msg("conf \"%s\" was not refused as a bad configuration (err \"%s\")", what, err);
    free(buf);
    free(s.b);
}

/* A SNAPSHOT whose metadata runs past the end, or whose configuration does
 * not decode, is refused. */
static void test_snapshot_bad_conf(void **state)
{
    (void)state;
    /* configurations in conf.c's layout: version, members, removed ids */
    static const struct {
        const char *bytes;
        size_t len;
        const char *what;
    } confs[] = {
        {"", 0, "empty"},
        {"\x01\x00", 2, "no member count end"},
        {"\x01\x00\x00", 3, "no removed count"},
        {"\x02\x00\x00\x00\x00", 5, "version 2"},
        {"\x00\x00\x00\x00\x00", 5, "version 0"},
        {"\x01\x11\x00\x00\x00", 5, "17 members"},
        {"\x01\xff\xff\x00\x00", 5, "65535 members"},
        {"\x01\x01\x00" "\0\0\0\0\0\0\0\0\x01\x00" "\x00\x00", 15, "member id 0"},
        {"\x01\x01\x00" "\x01\0\0\0\0\0\0\0\x02\x00" "\x00\x00", 15, "voter byte 2"},
        {"\x01\x01\x00" "\x01\0\0\0\0\0\0\0\x01\x05" "ab" "\x00\x00", 17, "address past the end"},
        {"\x01\x01\x00" "\x01\0\0\0\0\0\0\0\x01\x03" "a\0b" "\x00\x00", 18, "NUL in address"},
        {"\x01\x02\x00" "\x01\0\0\0\0\0\0\0\x01\x00" "\x01\0\0\0\0\0\0\0\x00\x00" "\x00\x00", 25,
         "duplicate member"},
        {"\x01\x01\x00" "\x01\0\0\0\0\0\0\0\x01\x00" "\x01\x00" "\x01\0\0\0\0\0\0\0", 23, "removed is a member"},
        {"\x01\x00\x00" "\x01\x00" "\0\0\0\0\0\0\0\0", 13, "removed id 0"},
        {"\x01\x00\x00" "\x02\x00" "\x05\0\0\0\0\0\0\0", 13, "removed count past the end"},
        {"\x01\x00\x00" "\x41\x00", 5, "65 removed"},
        {"\x01\x00\x00" "\x00\x00" "\x07", 6, "a byte after the configuration"},
    };
    for (size_t i = 0; i < sizeof(confs) / sizeof(confs[0]); i++)
        expect_bad_conf(confs[i].bytes, confs[i].len, confs[i].what);
    /* an address of RAFT_ADDR_MAX bytes, all present (one more than fits with its NUL) */
    char addr64[3 + 10 + RAFT_ADDR_MAX + 2] = "\x01\x01\x00" "\x01\0\0\0\0\0\0\0\x01\x40";
    memset(addr64 + 13, 'a', RAFT_ADDR_MAX);
    addr64[sizeof(addr64) - 2] = addr64[sizeof(addr64) - 1] = 0;
    expect_bad_conf(addr64, sizeof(addr64), "address length 64");

    /* the configuration length past the end, and the metadata cut short */
    raft_msg_t m = msg_of(RAFT_MSG_SNAPSHOT, 1, 2, 5);
    raft_snapshot_meta_t snap = {.index = 10, .term = 5};
    sample_conf(&snap.conf);
    m.snapshot = &snap;
    size_t len;
    char *good = encode_exact(&m, 0, &len);
    size_t clen_at = HDR_LEN + 16;
    uint32_t clen = (uint32_t)(len - clen_at - 4);
    const uint32_t bad[] = {clen + 1, clen + 1000, 0xffffffffu, 0x80000000u};
    char *b = dup_exact(good, len);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        set_u32(b + clen_at, bad[i]);
        expect_reject(b, len, "snapshot metadata exceeds message");
    }
    /* a configuration length one short cuts the last removed id */
    set_u32(b + clen_at, clen - 1);
    expect_reject(b, len, "");
    set_u32(b + clen_at, 0);
    expect_reject(b, len, "configuration");
    expect_reject(good, HDR_LEN + 19, "snapshot metadata exceeds message");
    free(b);
    free(good);
}

/* Well-formed bytes for a message raft_msg_valid refuses are refused:
 * sender 0, entries on a type other than APPEND, an entry term above the
 * message term, below log_term or below the previous entry's, an unknown
 * entry type. (Entry indexes are implicit, so they are always consecutive.) */
static void test_invalid_messages(void **state)
{
    (void)state;
    raft_entry_t ents[2];
    raft_msg_t base = msg_of(RAFT_MSG_APPEND, 1, 2, 5);
    base.log_term = 3;
    base.index = 40;
    base.entries = ents;
    base.n_entries = 2;
    const raft_entry_t good[2] = {{.term = 3, .len = 1, .data = "x"}, {.term = 5, .len = 1, .data = "y"}};

    /* the baseline is valid */
    memcpy(ents, good, sizeof(good));
    round_trip(&base, 0);

    raft_msg_t m = base;
    m.from = 0;
    size_t len;
    char *b = encode_exact(&m, 0, &len);
    expect_reject(b, len, "invalid message");
    free(b);

    const uint8_t others[] = {RAFT_MSG_HEARTBEAT, RAFT_MSG_APPEND_RESP, RAFT_MSG_VOTE, RAFT_MSG_READ_INDEX};
    for (size_t i = 0; i < sizeof(others); i++) {
        m = base;
        m.type = others[i];
        b = encode_exact(&m, 0, &len);
        expect_reject(b, len, "invalid message");
        free(b);
    }

    struct {
        uint64_t t0, t1;
        uint8_t type1;
        const char *what;
    } cases[] = {
        {3, 6, 0, "entry term above the message term"},
        {2, 5, 0, "first entry term below log_term"},
        {4, 3, 0, "entry terms decreasing"},
        {3, 5, RAFT_ENTRY_CONF + 1, "unknown entry type"},
        {3, 5, 0xff, "entry type 255"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memcpy(ents, good, sizeof(good));
        ents[0].term = cases[i].t0;
        ents[1].term = cases[i].t1;
        ents[1].type = cases[i].type1;
        b = encode_exact(&base, 0, &len);
        char *copy = dup_exact(b, len);
        wire_msg_t w = {0};
        char err[128] = "";
        if (wire_decode(&w, copy, len, err, sizeof(err)) != -1 || !strstr(err, "invalid message"))
            fail_msg("%s: not refused as invalid (err \"%s\")", cases[i].what, err);
        wire_msg_free(&w);
        free(copy);
        free(b);
    }
}

/* One wire_msg_t decodes message after message: the entry array grows and is
 * kept, entries and snapshot of an earlier message do not leak into a later
 * one, a refusal in between does not spoil the next decode, and each result
 * points into its own input (the earlier inputs are already freed). */
static void test_reuse(void **state)
{
    (void)state;
    static raft_entry_t ents[20];
    for (int i = 0; i < 20; i++)
        ents[i] = (raft_entry_t){.term = 2 + (uint64_t)i / 4, .len = (uint32_t)i % 4, .data = "\0ab"};
    raft_snapshot_meta_t snap = {.index = 99, .term = 4};
    sample_conf(&snap.conf);

    raft_msg_t seq[8];
    int n = 0;
    seq[n] = msg_of(RAFT_MSG_APPEND, 1, 2, 7), seq[n].entries = ents, seq[n++].n_entries = 5;
    seq[n] = msg_of(RAFT_MSG_APPEND, 1, 2, 7), seq[n].entries = ents + 3, seq[n++].n_entries = 2;
    seq[n] = msg_of(RAFT_MSG_APPEND, 1, 2, 7), seq[n].entries = ents, seq[n++].n_entries = 20;
    seq[n] = msg_of(RAFT_MSG_HEARTBEAT, 1, 2, 7), seq[n++].commit = 30;
    seq[n] = msg_of(RAFT_MSG_SNAPSHOT, 1, 2, 7), seq[n++].snapshot = &snap;
    seq[n] = msg_of(RAFT_MSG_APPEND, 1, 2, 7), seq[n].entries = ents + 10, seq[n++].n_entries = 1;
    seq[n] = msg_of(RAFT_MSG_APPEND_RESP, 2, 1, 7), seq[n].reject = true, seq[n++].reject_hint = 3;
    seq[n] = msg_of(RAFT_MSG_APPEND, 1, 2, 7), seq[n].entries = ents, seq[n++].n_entries = 20;

    wire_msg_t w = {0};
    char err[128];
    size_t prev_cap = 0;
    for (int i = 0; i < n; i++) {
        seq[i].index = 100 * (uint64_t)i;
        if (seq[i].n_entries) seq[i].log_term = seq[i].entries[0].term;
        size_t len;
        char *buf = encode_exact(&seq[i], (uint64_t)i, &len);
        if (i == 5) {
            /* a refusal in between: the 20-entry message cut short by a byte */
            raft_msg_t big = seq[2];
            size_t blen;
            char *bb = encode_exact(&big, 0, &blen);
            char *cut = dup_exact(bb, blen - 1);
            assert_int_equal(wire_decode(&w, cut, blen - 1, err, sizeof(err)), -1);
            free(cut);
            free(bb);
        }
        assert_int_equal(wire_decode(&w, buf, len, err, sizeof(err)), 0);
        assert_true(w.cluster_id == (uint64_t)i);
        assert_msg_equal(&seq[i], &w.m, buf, len);
        assert_true(w.ents_cap >= seq[i].n_entries); /* grows as needed, never shrinks */
        assert_true(w.ents_cap >= prev_cap);
        prev_cap = w.ents_cap;
        if (seq[i].n_entries) assert_ptr_equal(w.m.entries, w.ents);
        free(buf);
    }
    wire_msg_free(&w);
    assert_null(w.ents);
    assert_int_equal(w.ents_cap, 0);
    wire_msg_free(&w); /* freeing twice is harmless */
}

/* The error text is optional (err NULL or errlen 0) and is cut to errlen. */
static void test_error_buffer(void **state)
{
    (void)state;
    const char junk[HDR_LEN] = "XX";
    wire_msg_t w = {0};
    assert_int_equal(wire_decode(&w, junk, sizeof(junk), NULL, 0), -1);
    char err[4] = "zzz";
    assert_int_equal(wire_decode(&w, junk, sizeof(junk), err, 0), -1);
    assert_string_equal(err, "zzz");
    assert_int_equal(wire_decode(&w, junk, sizeof(junk), err, sizeof(err)), -1);
    assert_string_equal(err, "bad");
    assert_int_equal(wire_decode(&w, junk, 0, err, sizeof(err)), -1);
    wire_msg_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_bytes),
        cmocka_unit_test(test_round_trip_every_type),
        cmocka_unit_test(test_round_trip_entries),
        cmocka_unit_test(test_round_trip_flags),
        cmocka_unit_test(test_round_trip_snapshot),
        cmocka_unit_test(test_encode_capacity),
        cmocka_unit_test(test_encode_bad_conf),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_bad_magic_version_flags),
        cmocka_unit_test(test_unknown_type),
        cmocka_unit_test(test_huge_entry_count),
        cmocka_unit_test(test_max_entry_count),
        cmocka_unit_test(test_entry_length_past_end),
        cmocka_unit_test(test_trailing_bytes),
        cmocka_unit_test(test_snapshot_bad_conf),
        cmocka_unit_test(test_invalid_messages),
        cmocka_unit_test(test_reuse),
        cmocka_unit_test(test_error_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
