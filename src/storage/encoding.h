/* The key encoding of the state machine in the data column family; the full
 * description with rationale is docs/encoding.md.
 *
 *   'm' <user key>                         -> metadata record
 *   's' <u32 BE keylen> <user key> <u64 BE version> <sub-key> -> sub-value
 *   'e' <u64 BE expire_ms> <user key>      -> ""   (expiry index)
 *
 * Metadata record:
 *   [u8 type][u8 flags][u64 BE expire_ms, 0 = none]
 *   string:        [value bytes]
 *   other types:   [u64 BE version][u64 BE size]
 *   lists also:    [u64 BE head] (position of the first element)
 *
 * Versions come from the log: (entry index << 16) | sequence within the entry,
 * so every replica picks the same version without coordination. */
#ifndef REDRAFT_STORAGE_ENCODING_H
#define REDRAFT_STORAGE_ENCODING_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    OBJ_NONE = 0,
    OBJ_STRING = 1,
    OBJ_LIST = 2,
    OBJ_SET = 3,
    OBJ_ZSET = 4,
    OBJ_HASH = 5,
} obj_type_t;

#define ENC_META_PREFIX 'm'
#define ENC_SUB_PREFIX 's'
#define ENC_EXPIRE_PREFIX 'e'
#define ENC_META_HDR 10 /* type + flags + expire */

/* Flags of a string's record: how Redis 7.0 would hold the value, which
 * depends on how it was made, not only on the bytes (OBJECT ENCODING).
 * Neither set: as SET stores it ("int" when it is a canonical integer,
 * else "embstr" up to 44 bytes, else "raw"). */
#define META_STR_RAW 0x01   /* built in place (APPEND, SETRANGE, SETBIT, BITFIELD, BITOP): "raw" */
#define META_STR_NOINT 0x02 /* made as text (INCRBYFLOAT): never "int" */

/* Flag of a hash, set or sorted set's record: Redis 7.0 would hold it in
 * its big encoding (hashtable, skiplist) because it once outgrew the small
 * one (listpack, intset), and Redis never converts back when it shrinks.
 * Set by the writes that convert in Redis (coll.c), kept by RENAME/COPY and
 * expiry changes, gone with the key. */
#define META_COLL_BIG 0x04

typedef struct meta {
    obj_type_t type;
    uint8_t flags;
    int64_t expire_ms; /* absolute unix ms; 0 = no expiry */
    uint64_t version;  /* collections only */
    uint64_t size;     /* collections only */
    uint64_t head;     /* lists only: sub-key position of the first element */
    const char *value; /* strings only: points into the decoded buffer */
    size_t vlen;
} meta_t;

/* Big-endian helpers: byte order equals numeric order. */
void enc_put_u32(char *p, uint32_t v);
void enc_put_u64(char *p, uint64_t v);
uint32_t enc_get_u32(const char *p);
uint64_t enc_get_u64(const char *p);

/* Doubles as 8 bytes whose unsigned byte order is numeric order
 * (-inf < ... < -0.0 == 0.0 < ... < +inf). */
void enc_put_double(char *p, double d);
double enc_get_double(const char *p);

/* Builds 'm'+key into buf (must have klen+1 bytes); returns the length. */
size_t enc_meta_key(char *buf, const char *key, size_t klen);
/* Builds the expiry index key into buf (klen+9 bytes). */
size_t enc_expire_key(char *buf, int64_t expire_ms, const char *key, size_t klen);
/* Builds the sub-key prefix 's'+len+key+version (klen+13 bytes). */
size_t enc_sub_prefix(char *buf, const char *key, size_t klen, uint64_t version);

/* Decodes a metadata record. Returns 0, or -1 if it is malformed. */
int enc_meta_decode(meta_t *m, const char *buf, size_t len);
/* Encodes a string's metadata record: caller frees *out with free(). */
size_t enc_meta_encode_string(char **out, int64_t expire_ms, const char *val, size_t vlen);
/* Encodes a collection's metadata record into buf (ENC_META_MAX bytes);
 * head is written for lists only. */
#define ENC_META_MAX (ENC_META_HDR + 24)
size_t enc_meta_encode_coll(char *buf, obj_type_t type, int64_t expire_ms, uint64_t version, uint64_t size,
                            uint64_t head);

const char *obj_type_name(obj_type_t t); /* "string", "list", ... "none" */

#endif
