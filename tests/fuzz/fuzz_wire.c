// fuzz-sources: src/node/wire.c src/raft/*.c
/* libFuzzer target for the wire form of Raft messages (src/node/wire.c, the
 * layout is in wire.h); scripts/fuzz.sh builds it, and
 * tests/unit/test_wire_fuzz_replay.c includes this file and runs it over
 * generated inputs in `make test`. It links all of src/raft/ (a pure library:
 * raft_msg_valid lives in raft.c, which needs the rest of the core; the
 * sources line is a glob that fuzz.sh's shell expands).
 *
 * Each input is decoded from an exact-size heap copy (so ASan sees any read
 * past the end), once into a wire_msg_t that is reused across inputs and once
 * into a fresh one, and checked against an independent reference decoder
 * written with plain offsets:
 *   - both decodes agree (result and error text) with each other, and accept
 *     exactly what the reference accepts; a refusal gives the reason the
 *     reference expects (the first rule the bytes break, in wire.c's order);
 *   - an accepted message equals the reference's field by field and entry by
 *     entry (entries are views into the input at the reference's offsets,
 *     their indexes follow from `index`), and passes raft_msg_valid;
 *   - re-encoding an accepted message gives back exactly the input bytes,
 *     wire_size is the input's length, and a buffer one byte short is
 *     refused. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/wire.h"
#include "raft/raft.h"

#define FZW_HDR_LEN 81       /* "RM", version, type, flags, 9 x u64, u32 count */
#define FZW_ENTRY_HDR_LEN 13 /* u64 term, u8 type, u32 len */

/* How often each outcome was seen (the replay test checks coverage). */
enum {
    FZW_SHORT,     /* fewer bytes than the header */
    FZW_MAGIC,     /* not "RM" */
    FZW_VERSION,   /* version byte not 1 */
    FZW_FLAGS,     /* flag bits other than reject|transfer */
    FZW_COUNT,     /* entry count above the limit or than the bytes can hold */
    FZW_ENTRY_LEN, /* an entry header or its data runs past the end */
    FZW_SNAP_LEN,  /* SNAPSHOT metadata or configuration runs past the end */
    FZW_SNAP_CONF, /* the snapshot configuration does not decode */
    FZW_TRAILING,  /* bytes after the message */
    FZW_INVALID,   /* well formed, but raft_msg_valid refuses it */
    FZW_OK,        /* accepted, no entries, not a snapshot */
    FZW_OK_ENTRIES,
    FZW_OK_SNAPSHOT,
    FZW_NSTATS
};
static unsigned long fuzz_wire_stats[FZW_NSTATS];

/* The reason wire_decode gives for each refusal. */
static const char *const fzw_reason[FZW_NSTATS] = {
    [FZW_SHORT] = "message too short",
    [FZW_MAGIC] = "bad magic",
    [FZW_VERSION] = "unsupported message version",
    [FZW_FLAGS] = "unknown flags",
    [FZW_COUNT] = "entry count exceeds message",
    [FZW_ENTRY_LEN] = "entry exceeds message",
    [FZW_SNAP_LEN] = "snapshot metadata exceeds message",
    [FZW_SNAP_CONF] = "bad snapshot configuration",
    [FZW_TRAILING] = "trailing bytes after message",
    [FZW_INVALID] = "invalid message",
};

static const uint8_t *fzw_data;
static size_t fzw_size;

/* Prints the input (so a failure in the replay test can be reproduced) and
 * aborts, which libFuzzer reports as a crash. */
static void fzw_fail(const char *what, int line)
{
    fprintf(stderr, "fuzz_wire: invariant failed (line %d): %s\ninput (%zu bytes): ", line, what, fzw_size);
    for (size_t i = 0; i < fzw_size && i < 4096; i++) fprintf(stderr, "\\x%02x", fzw_data[i]);
    fprintf(stderr, "\n");
    abort();
}

#define FZW_CHECK(cond)                                                                            \
    do {                                                                                           \
        if (!(cond)) fzw_fail(#cond, __LINE__);                                                    \
    } while (0)

static uint64_t fzw_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* The reference configuration decoder, from conf.c's layout:
 *   u8 version (1) | u16 n | n x (u64 id | u8 voter | u8 addrlen | addr)
 *   | u16 n_removed | n_removed x u64 id
 * At most RAFT_MAX_NODES members with distinct non-zero ids, voter 0 or 1,
 * addresses shorter than RAFT_ADDR_MAX without NULs; at most
 * RAFT_MAX_REMOVED removed ids, non-zero and not members; nothing after. */
static bool fzw_ref_conf(const uint8_t *p, size_t len, raft_conf_t *c)
{
    memset(c, 0, sizeof(*c));
    if (len < 3 || p[0] != 1) return false;
    size_t n = (size_t)fzw_le(p + 1, 2), o = 3;
    if (n > RAFT_MAX_NODES) return false;
    for (size_t i = 0; i < n; i++) {
        if (len - o < 10) return false;
        uint64_t id = fzw_le(p + o, 8);
        unsigned voter = p[o + 8], alen = p[o + 9];
        o += 10;
        if (id == 0 || voter > 1 || alen > RAFT_ADDR_MAX - 1 || alen > len - o) return false;
        for (unsigned k = 0; k < alen; k++)
            if (p[o + k] == 0) return false;
        for (size_t j = 0; j < i; j++)
            if (c->m[j].id == id) return false;
        c->m[i].id = id;
        c->m[i].voter = voter == 1;
        memcpy(c->m[i].addr, p + o, alen);
        o += alen;
        c->n = (int)i + 1;
    }
    if (len - o < 2) return false;
    size_t nr = (size_t)fzw_le(p + o, 2);
    o += 2;
    if (nr > RAFT_MAX_REMOVED || len - o != nr * 8) return false;
    for (size_t i = 0; i < nr; i++, o += 8) {
        uint64_t id = fzw_le(p + o, 8);
        if (id == 0) return false;
        for (int j = 0; j < c->n; j++)
            if (c->m[j].id == id) return false;
        c->removed[i] = id;
    }
    c->n_removed = (int)nr;
    return true;
}

/* What the reference decoded. */
typedef struct {
    raft_msg_t m;
    uint64_t cluster_id;
    raft_snapshot_meta_t snap;
    raft_entry_t *ents;
    size_t *ent_off; /* where each entry's data starts */
} fzw_ref_t;

/* The reference decoder: the outcome class of d (size bytes, which buf holds
 * too; entry data point into buf). */
static int fzw_ref(const uint8_t *d, const char *buf, size_t size, fzw_ref_t *r)
{
    memset(&r->m, 0, sizeof(r->m));
    if (size < FZW_HDR_LEN) return FZW_SHORT;
    if (d[0] != 'R' || d[1] != 'M') return FZW_MAGIC;
    if (d[2] != WIRE_VERSION) return FZW_VERSION;
    if (d[4] & ~3u) return FZW_FLAGS;
    r->m.type = d[3];
    r->m.reject = (d[4] & 1) != 0;
    r->m.transfer = (d[4] & 2) != 0;
    r->cluster_id = fzw_le(d + 5, 8);
    r->m.from = fzw_le(d + 13, 8);
    r->m.to = fzw_le(d + 21, 8);
    r->m.term = fzw_le(d + 29, 8);
    r->m.log_term = fzw_le(d + 37, 8);
    r->m.index = fzw_le(d + 45, 8);
    r->m.commit = fzw_le(d + 53, 8);
    r->m.reject_hint = fzw_le(d + 61, 8);
    r->m.ctx = fzw_le(d + 69, 8);
    uint32_t n = (uint32_t)fzw_le(d + 77, 4);
    size_t o = FZW_HDR_LEN;
    if (n > WIRE_MAX_ENTRIES || (uint64_t)n * FZW_ENTRY_HDR_LEN > size - o) return FZW_COUNT;
    if (n) {
        r->ents = calloc(n, sizeof(*r->ents));
        r->ent_off = calloc(n, sizeof(*r->ent_off));
        FZW_CHECK(r->ents && r->ent_off);
    }
    for (uint32_t i = 0; i < n; i++) {
        if (size - o < FZW_ENTRY_HDR_LEN) return FZW_ENTRY_LEN;
        raft_entry_t *e = &r->ents[i];
        e->term = fzw_le(d + o, 8);
        e->type = d[o + 8];
        e->len = (uint32_t)fzw_le(d + o + 9, 4);
        e->index = r->m.index + 1 + i;
        o += FZW_ENTRY_HDR_LEN;
        if (e->len > size - o) return FZW_ENTRY_LEN;
        e->data = buf + o;
        r->ent_off[i] = o;
        o += e->len;
    }
    r->m.n_entries = n;
    r->m.entries = n ? r->ents : NULL;
    if (r->m.type == RAFT_MSG_SNAPSHOT) {
        if (size - o < 20) return FZW_SNAP_LEN;
        r->snap.index = fzw_le(d + o, 8);
        r->snap.term = fzw_le(d + o + 8, 8);
        uint32_t clen = (uint32_t)fzw_le(d + o + 16, 4);
        o += 20;
        if (clen > size - o) return FZW_SNAP_LEN;
        if (!fzw_ref_conf(d + o, clen, &r->snap.conf)) return FZW_SNAP_CONF;
        o += clen;
        r->m.snapshot = &r->snap;
    }
    if (o != size) return FZW_TRAILING;
    /* the rules for a message's meaning are raft_msg_valid's, on the
     * reference's own reading of the bytes */
    if (!raft_msg_valid(&r->m)) return FZW_INVALID;
    if (r->m.type == RAFT_MSG_SNAPSHOT) return FZW_OK_SNAPSHOT;
    return n ? FZW_OK_ENTRIES : FZW_OK;
}

/* A decoded message equals the reference's, field by field. */
static void fzw_check_equal(const wire_msg_t *w, const fzw_ref_t *r, const char *buf)
{
    const raft_msg_t *m = &w->m, *want = &r->m;
    FZW_CHECK(w->cluster_id == r->cluster_id);
    FZW_CHECK(m->type == want->type && m->reject == want->reject && m->transfer == want->transfer);
    FZW_CHECK(m->from == want->from && m->to == want->to && m->term == want->term);
    FZW_CHECK(m->log_term == want->log_term && m->index == want->index && m->commit == want->commit);
    FZW_CHECK(m->reject_hint == want->reject_hint && m->ctx == want->ctx);
    FZW_CHECK(m->n_entries == want->n_entries);
    FZW_CHECK((m->entries == NULL) == (m->n_entries == 0));
    for (uint32_t i = 0; i < m->n_entries; i++) {
        const raft_entry_t *e = &m->entries[i], *we = &want->entries[i];
        FZW_CHECK(e->term == we->term && e->type == we->type && e->len == we->len);
        FZW_CHECK(e->index == m->index + 1 + i);
        FZW_CHECK(e->data == buf + r->ent_off[i]); /* a view into the input */
        FZW_CHECK(e->buf == NULL);
    }
    if (want->type == RAFT_MSG_SNAPSHOT) {
        FZW_CHECK(m->snapshot != NULL);
        const raft_snapshot_meta_t *s = m->snapshot;
        FZW_CHECK(s->index == r->snap.index && s->term == r->snap.term);
        FZW_CHECK(s->conf.n == r->snap.conf.n && s->conf.n_removed == r->snap.conf.n_removed);
        for (int i = 0; i < s->conf.n; i++) {
            FZW_CHECK(s->conf.m[i].id == r->snap.conf.m[i].id);
            FZW_CHECK(s->conf.m[i].voter == r->snap.conf.m[i].voter);
            FZW_CHECK(strcmp(s->conf.m[i].addr, r->snap.conf.m[i].addr) == 0);
        }
        for (int i = 0; i < s->conf.n_removed; i++) FZW_CHECK(s->conf.removed[i] == r->snap.conf.removed[i]);
    } else {
        FZW_CHECK(m->snapshot == NULL);
    }
}

/* Reused across inputs, as the node reuses one per connection. */
static wire_msg_t fzw_reused;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fzw_data = data;
    fzw_size = size;
    char *buf = malloc(size ? size : 1); /* exact size: reads past the end trip ASan */
    FZW_CHECK(buf != NULL);
    if (size) memcpy(buf, data, size);

    char err1[128] = "", err2[128] = "";
    wire_msg_t fresh = {0};
    int rc1 = wire_decode(&fzw_reused, buf, size, err1, sizeof(err1));
    int rc2 = wire_decode(&fresh, buf, size, err2, sizeof(err2));
    FZW_CHECK(rc1 == rc2);
    FZW_CHECK(strcmp(err1, err2) == 0);
    FZW_CHECK(fzw_reused.ents_cap >= fzw_reused.m.n_entries);

    fzw_ref_t ref;
    memset(&ref, 0, sizeof(ref));
    int outcome = fzw_ref(data, buf, size, &ref);
    fuzz_wire_stats[outcome]++;
    if (outcome < FZW_OK) {
        FZW_CHECK(rc1 == -1);
        FZW_CHECK(strcmp(err1, fzw_reason[outcome]) == 0);
    } else {
        FZW_CHECK(rc1 == 0);
        FZW_CHECK(err1[0] == '\0');
        FZW_CHECK(raft_msg_valid(&fzw_reused.m));
        fzw_check_equal(&fzw_reused, &ref, buf);
        fzw_check_equal(&fresh, &ref, buf);

        /* re-encoding gives back the input, into a buffer of exactly its size */
        FZW_CHECK(wire_size(&fzw_reused.m) == size);
        char *out = malloc(size);
        FZW_CHECK(out != NULL);
        FZW_CHECK(wire_encode(&fzw_reused.m, fzw_reused.cluster_id, out, size) == size);
        FZW_CHECK(memcmp(out, data, size) == 0);
        FZW_CHECK(wire_encode(&fzw_reused.m, fzw_reused.cluster_id, out, size - 1) == 0);
        free(out);
    }

    free(ref.ents);
    free(ref.ent_off);
    wire_msg_free(&fresh);
    free(buf);
    return 0;
}
