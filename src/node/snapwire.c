/* Snapshot chunks on the wire (snapwire.h). */
#include "node/snapwire.h"
#include "util/crc32c.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static char *put(char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) p[i] = (char)(v >> (8 * i));
    return p + n;
}

size_t snapwire_size(const snapwire_t *c)
{
    return SNAPWIRE_HDR + (c->kind == SNAPWIRE_DATA ? 4 + 8 + 4 + 4 : 4) + c->len;
}

size_t snapwire_encode(const snapwire_t *c, char *buf, size_t cap)
{
    if ((c->kind != SNAPWIRE_BEGIN && c->kind != SNAPWIRE_DATA) || cap < snapwire_size(c)) return 0;
    char *p = buf;
    *p++ = 'S';
    *p++ = 'C';
    *p++ = SNAPWIRE_VERSION;
    *p++ = (char)c->kind;
    p = put(p, c->cluster_id, 8);
    p = put(p, c->from, 8);
    p = put(p, c->term, 8);
    p = put(p, c->snap_index, 8);
    p = put(p, c->snap_term, 8);
    if (c->kind == SNAPWIRE_DATA) {
        p = put(p, c->file, 4);
        p = put(p, c->offset, 8);
        p = put(p, c->len, 4);
        p = put(p, crc32c(0, c->body, c->len), 4);
    } else {
        p = put(p, c->len, 4);
    }
    if (c->len) memcpy(p, c->body, c->len);
    return (size_t)(p - buf) + c->len;
}

typedef struct cur {
    const unsigned char *p, *end;
    bool bad;
} cur_t;

static uint64_t get(cur_t *c, int n)
{
    if (c->bad || c->end - c->p < n) {
        c->bad = true;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)c->p[i] << (8 * i);
    c->p += n;
    return v;
}

static int fail(char *err, size_t errlen, const char *why)
{
    if (err && errlen) snprintf(err, errlen, "%s", why);
    return -1;
}

int snapwire_decode(snapwire_t *c, const char *buf, size_t len, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    if (len < SNAPWIRE_HDR || buf[0] != 'S' || buf[1] != 'C') return fail(err, errlen, "not a snapshot chunk");
    if (buf[2] != SNAPWIRE_VERSION) return fail(err, errlen, "unknown snapshot chunk version");
    cur_t k = {(const unsigned char *)buf + 3, (const unsigned char *)buf + len, false};
    c->kind = (uint8_t)get(&k, 1);
    c->cluster_id = get(&k, 8);
    c->from = get(&k, 8);
    c->term = get(&k, 8);
    c->snap_index = get(&k, 8);
    c->snap_term = get(&k, 8);
    uint32_t crc = 0;
    if (c->kind == SNAPWIRE_DATA) {
        c->file = (uint32_t)get(&k, 4);
        c->offset = get(&k, 8);
        c->len = (uint32_t)get(&k, 4);
        crc = (uint32_t)get(&k, 4);
    } else if (c->kind == SNAPWIRE_BEGIN) {
        c->len = (uint32_t)get(&k, 4);
    } else {
        return fail(err, errlen, "unknown snapshot chunk kind");
    }
    if (k.bad || (size_t)(k.end - k.p) != c->len) return fail(err, errlen, "snapshot chunk length mismatch");
    if (c->from == 0 || c->snap_index == 0) return fail(err, errlen, "snapshot chunk without sender or index");
    c->body = (const char *)k.p;
    if (c->kind == SNAPWIRE_DATA && crc32c(0, c->body, c->len) != crc)
        return fail(err, errlen, "snapshot chunk checksum mismatch");
    return 0;
}
