/* Encoding and decoding of Raft messages between nodes; the format is in
 * wire.h. Decoding trusts nothing: every field is read through a bounds-
 * checked cursor and the result must pass raft_msg_valid. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/wire.h"

#define HDR_LEN (2 + 1 + 1 + 1 + 9 * 8 + 4)
#define ENTRY_HDR_LEN (8 + 1 + 4)

static char *put_u64(char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) *p++ = (char)(v >> (8 * i));
    return p;
}

static char *put_u32(char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) *p++ = (char)(v >> (8 * i));
    return p;
}

size_t wire_size(const raft_msg_t *m) {
    size_t n = HDR_LEN;
    for (uint32_t i = 0; i < m->n_entries; i++) n += ENTRY_HDR_LEN + m->entries[i].len;
    if (m->type == RAFT_MSG_SNAPSHOT && m->snapshot) {
        char conf[8192];
        n += 8 + 8 + 4 + raft_conf_encode(&m->snapshot->conf, conf, sizeof(conf));
    }
    return n;
}

size_t wire_encode(const raft_msg_t *m, uint64_t cluster_id, char *buf, size_t cap) {
    if (cap < wire_size(m)) return 0;
    char *p = buf;
    *p++ = 'R';
    *p++ = 'M';
    *p++ = WIRE_VERSION;
    *p++ = (char)m->type;
    *p++ = (char)((m->reject ? 1 : 0) | (m->transfer ? 2 : 0));
    p = put_u64(p, cluster_id);
    p = put_u64(p, m->from);
    p = put_u64(p, m->to);
    p = put_u64(p, m->term);
    p = put_u64(p, m->log_term);
    p = put_u64(p, m->index);
    p = put_u64(p, m->commit);
    p = put_u64(p, m->reject_hint);
    p = put_u64(p, m->ctx);
    p = put_u32(p, m->n_entries);
    for (uint32_t i = 0; i < m->n_entries; i++) {
        const raft_entry_t *e = &m->entries[i];
        p = put_u64(p, e->term);
        *p++ = (char)e->type;
        p = put_u32(p, e->len);
        if (e->len) memcpy(p, e->data, e->len);
        p += e->len;
    }
    if (m->type == RAFT_MSG_SNAPSHOT && m->snapshot) {
        char conf[8192];
        size_t clen = raft_conf_encode(&m->snapshot->conf, conf, sizeof(conf));
        if (clen == 0) return 0;
        p = put_u64(p, m->snapshot->index);
        p = put_u64(p, m->snapshot->term);
        p = put_u32(p, (uint32_t)clen);
        memcpy(p, conf, clen);
        p += clen;
    }
    return (size_t)(p - buf);
}

/* A bounds-checked reader: once it runs out, every read fails. */
typedef struct cursor {
    const unsigned char *p, *end;
    bool bad;
} cursor_t;

static uint64_t get_n(cursor_t *c, int n) {
    if (c->bad || c->end - c->p < n) {
        c->bad = true;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)c->p[i] << (8 * i);
    c->p += n;
    return v;
}

static int fail(char *err, size_t errlen, const char *msg) {
    if (err && errlen) snprintf(err, errlen, "%s", msg);
    return -1;
}

int wire_decode(wire_msg_t *w, const char *buf, size_t len, char *err, size_t errlen) {
    cursor_t c = {(const unsigned char *)buf, (const unsigned char *)buf + len, false};
    raft_msg_t *m = &w->m;
    memset(m, 0, sizeof(*m));
    if (len < HDR_LEN) return fail(err, errlen, "message too short");
    if (buf[0] != 'R' || buf[1] != 'M') return fail(err, errlen, "bad magic");
    if (buf[2] != WIRE_VERSION) return fail(err, errlen, "unsupported message version");
    c.p += 3;
    m->type = (uint8_t)get_n(&c, 1);
    unsigned flags = (unsigned)get_n(&c, 1);
    if (flags & ~3u) return fail(err, errlen, "unknown flags");
    m->reject = flags & 1;
    m->transfer = (flags & 2) != 0;
    w->cluster_id = get_n(&c, 8);
    m->from = get_n(&c, 8);
    m->to = get_n(&c, 8);
    m->term = get_n(&c, 8);
    m->log_term = get_n(&c, 8);
    m->index = get_n(&c, 8);
    m->commit = get_n(&c, 8);
    m->reject_hint = get_n(&c, 8);
    m->ctx = get_n(&c, 8);
    uint32_t n = (uint32_t)get_n(&c, 4);
    /* Every entry takes at least its header: a count the bytes cannot hold
     * is refused before anything is allocated for it. */
    if (n > WIRE_MAX_ENTRIES || (size_t)(c.end - c.p) / ENTRY_HDR_LEN < n)
        return fail(err, errlen, "entry count exceeds message");
    if (n > w->ents_cap) {
        raft_entry_t *e = realloc(w->ents, n * sizeof(*e));
        if (!e) return fail(err, errlen, "out of memory");
        w->ents = e;
        w->ents_cap = n;
    }
    for (uint32_t i = 0; i < n; i++) {
        raft_entry_t *e = &w->ents[i];
        e->term = get_n(&c, 8);
        e->type = (uint8_t)get_n(&c, 1);
        e->len = (uint32_t)get_n(&c, 4);
        e->index = m->index + 1 + i;
        e->buf = NULL;
        if (c.bad || (size_t)(c.end - c.p) < e->len) return fail(err, errlen, "entry exceeds message");
        e->data = (const char *)c.p;
        c.p += e->len;
    }
    m->n_entries = n;
    m->entries = n ? w->ents : NULL;
    if (m->type == RAFT_MSG_SNAPSHOT) {
        w->snap.index = get_n(&c, 8);
        w->snap.term = get_n(&c, 8);
        uint32_t clen = (uint32_t)get_n(&c, 4);
        if (c.bad || (size_t)(c.end - c.p) < clen) return fail(err, errlen, "snapshot metadata exceeds message");
        if (raft_conf_decode(&w->snap.conf, (const char *)c.p, clen) != 0)
            return fail(err, errlen, "bad snapshot configuration");
        c.p += clen;
        m->snapshot = &w->snap;
    }
    if (c.bad) return fail(err, errlen, "message truncated");
    if (c.p != c.end) return fail(err, errlen, "trailing bytes after message");
    if (!raft_msg_valid(m)) return fail(err, errlen, "invalid message");
    return 0;
}

void wire_msg_free(wire_msg_t *w) {
    free(w->ents);
    memset(w, 0, sizeof(*w));
}
