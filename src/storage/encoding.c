#include "storage/encoding.h"

#include <stdlib.h>
#include <string.h>

void enc_put_u32(char *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8) p[i] = (char)(v & 0xff);
}

void enc_put_u64(char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (char)(v & 0xff);
}

uint32_t enc_get_u32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

uint64_t enc_get_u64(const char *p)
{
    return (uint64_t)enc_get_u32(p) << 32 | enc_get_u32(p + 4);
}

/* IEEE-754 bits with the sign bit flipped for positives and all bits flipped
 * for negatives sort as unsigned integers in numeric order. -0.0 is folded
 * into +0.0 so the two never sort apart. */
void enc_put_double(char *p, double d)
{
    uint64_t u;
    if (d == 0) d = 0.0;
    memcpy(&u, &d, 8);
    u = (u & (1ULL << 63)) ? ~u : u | (1ULL << 63);
    enc_put_u64(p, u);
}

double enc_get_double(const char *p)
{
    uint64_t u = enc_get_u64(p);
    u = (u & (1ULL << 63)) ? u & ~(1ULL << 63) : ~u;
    double d;
    memcpy(&d, &u, 8);
    return d;
}

size_t enc_meta_key(char *buf, const char *key, size_t klen)
{
    buf[0] = ENC_META_PREFIX;
    memcpy(buf + 1, key, klen);
    return klen + 1;
}

size_t enc_expire_key(char *buf, int64_t expire_ms, const char *key, size_t klen)
{
    buf[0] = ENC_EXPIRE_PREFIX;
    enc_put_u64(buf + 1, (uint64_t)expire_ms);
    memcpy(buf + 9, key, klen);
    return klen + 9;
}

size_t enc_sub_prefix(char *buf, const char *key, size_t klen, uint64_t version)
{
    buf[0] = ENC_SUB_PREFIX;
    enc_put_u32(buf + 1, (uint32_t)klen);
    memcpy(buf + 5, key, klen);
    enc_put_u64(buf + 5 + klen, version);
    return klen + 13;
}

int enc_meta_decode(meta_t *m, const char *buf, size_t len)
{
    memset(m, 0, sizeof(*m));
    if (len < ENC_META_HDR) return -1;
    m->type = (obj_type_t)(unsigned char)buf[0];
    m->flags = (uint8_t)buf[1];
    m->expire_ms = (int64_t)enc_get_u64(buf + 2);
    if (m->type == OBJ_STRING) {
        m->value = buf + ENC_META_HDR;
        m->vlen = len - ENC_META_HDR;
        return 0;
    }
    size_t want = m->type == OBJ_LIST ? ENC_META_HDR + 24 : ENC_META_HDR + 16;
    if (m->type < OBJ_LIST || m->type > OBJ_HASH || len != want) return -1;
    m->version = enc_get_u64(buf + ENC_META_HDR);
    m->size = enc_get_u64(buf + ENC_META_HDR + 8);
    if (m->type == OBJ_LIST) m->head = enc_get_u64(buf + ENC_META_HDR + 16);
    return 0;
}

size_t enc_meta_encode_string(char **out, int64_t expire_ms, const char *val, size_t vlen)
{
    char *b = malloc(ENC_META_HDR + vlen);
    b[0] = OBJ_STRING;
    b[1] = 0;
    enc_put_u64(b + 2, (uint64_t)expire_ms);
    if (vlen) memcpy(b + ENC_META_HDR, val, vlen);
    *out = b;
    return ENC_META_HDR + vlen;
}

size_t enc_meta_encode_coll(char *buf, obj_type_t type, int64_t expire_ms, uint64_t version, uint64_t size,
                            uint64_t head)
{
    buf[0] = (char)type;
    buf[1] = 0;
    enc_put_u64(buf + 2, (uint64_t)expire_ms);
    enc_put_u64(buf + ENC_META_HDR, version);
    enc_put_u64(buf + ENC_META_HDR + 8, size);
    if (type != OBJ_LIST) return ENC_META_HDR + 16;
    enc_put_u64(buf + ENC_META_HDR + 16, head);
    return ENC_META_HDR + 24;
}

const char *obj_type_name(obj_type_t t)
{
    switch (t) {
    case OBJ_STRING: return "string";
    case OBJ_LIST: return "list";
    case OBJ_SET: return "set";
    case OBJ_ZSET: return "zset";
    case OBJ_HASH: return "hash";
    default: return "none";
    }
}
