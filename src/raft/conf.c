/* Membership configurations and their wire form, the payload of
 * RAFT_ENTRY_CONF entries and part of snapshot metadata:
 *
 *   u8 version (1) | u16 n | n × (u64 id | u8 voter | u8 addrlen | addr)
 *                  | u16 n_removed | n_removed × u64 id
 *
 * little-endian. Every node decodes the same bytes the same way, and bytes
 * that do not decode are treated as a no-op by all of them alike. */
#include <string.h>

#include "raft.h"

#define CONF_VERSION 1

static void put_u64(char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (char)(v >> (8 * i));
}

static uint64_t get_u64(const char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)(unsigned char)p[i] << (8 * i);
    return v;
}

size_t raft_conf_encode(const raft_conf_t *c, char *buf, size_t cap) {
    /* The counts are checked before the loop below walks c->m[0..n): with
     * n > RAFT_MAX_NODES it would read past the array. */
    if (c->n < 0 || c->n > RAFT_MAX_NODES || c->n_removed < 0 || c->n_removed > RAFT_MAX_REMOVED)
        return 0;
    size_t need = 1 + 2 + 2 + (size_t)c->n_removed * 8;
    for (int i = 0; i < c->n; i++) need += 8 + 1 + 1 + strnlen(c->m[i].addr, RAFT_ADDR_MAX - 1);
    if (need > cap) return 0;
    char *p = buf;
    *p++ = CONF_VERSION;
    *p++ = (char)(c->n & 0xff);
    *p++ = (char)(c->n >> 8);
    for (int i = 0; i < c->n; i++) {
        size_t alen = strnlen(c->m[i].addr, RAFT_ADDR_MAX - 1);
        put_u64(p, c->m[i].id);
        p += 8;
        *p++ = c->m[i].voter ? 1 : 0;
        *p++ = (char)alen;
        memcpy(p, c->m[i].addr, alen);
        p += alen;
    }
    *p++ = (char)(c->n_removed & 0xff);
    *p++ = (char)(c->n_removed >> 8);
    for (int i = 0; i < c->n_removed; i++, p += 8) put_u64(p, c->removed[i]);
    return (size_t)(p - buf);
}

int raft_conf_decode(raft_conf_t *c, const char *buf, size_t len) {
    raft_conf_t out;
    memset(&out, 0, sizeof(out));
    const char *p = buf, *end = buf + len;
    if (len < 3 || p[0] != CONF_VERSION) return -1;
    int n = (unsigned char)p[1] | (unsigned char)p[2] << 8;
    p += 3;
    if (n > RAFT_MAX_NODES) return -1;
    for (int i = 0; i < n; i++) {
        if (end - p < 10) return -1;
        uint64_t id = get_u64(p);
        unsigned voter = (unsigned char)p[8], alen = (unsigned char)p[9];
        p += 10;
        if (id == 0 || voter > 1 || alen >= RAFT_ADDR_MAX || end - p < (long)alen) return -1;
        if (memchr(p, 0, alen)) return -1; /* addresses are C strings */
        if (raft_conf_find(&out, id)) return -1;
        out.m[i].id = id;
        out.m[i].voter = voter;
        memcpy(out.m[i].addr, p, alen);
        out.m[i].addr[alen] = '\0';
        p += alen;
        out.n = i + 1;
    }
    if (end - p < 2) return -1;
    int nr = (unsigned char)p[0] | (unsigned char)p[1] << 8;
    p += 2;
    if (nr > RAFT_MAX_REMOVED || end - p != (long)nr * 8) return -1;
    for (int i = 0; i < nr; i++, p += 8) {
        out.removed[i] = get_u64(p);
        if (out.removed[i] == 0 || raft_conf_find(&out, out.removed[i])) return -1;
    }
    out.n_removed = nr;
    *c = out;
    return 0;
}

const raft_member_t *raft_conf_find(const raft_conf_t *c, uint64_t id) {
    for (int i = 0; i < c->n; i++)
        if (c->m[i].id == id) return &c->m[i];
    return NULL;
}

int raft_conf_voters(const raft_conf_t *c) {
    int v = 0;
    for (int i = 0; i < c->n; i++) v += c->m[i].voter;
    return v;
}
