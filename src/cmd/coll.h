/* Collections (hash, list, set, zset) as their command families see them: a
 * key's metadata record plus its elements as sub-keys under the key's
 * current version (docs/encoding.md).
 *
 * A command opens a collection (coll_open), reads and changes elements,
 * adjusting co->size (and co->head for lists) as it goes, and ends with
 * coll_save, which writes the metadata or, once the collection is empty,
 * deletes the key as Redis does. Elements of an older version are never
 * seen again: deleting a collection of any size only deletes its metadata,
 * and a compaction filter reclaims the rest (store.c). */
#ifndef REDRAFT_CMD_COLL_H
#define REDRAFT_CMD_COLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd/db.h"

#define COLL_PREFIX_STACK 128

typedef struct coll {
    const char *key; /* the caller's buffer: must outlive the coll */
    size_t klen;
    obj_type_t type;
    dbkey_t old;      /* the record as found (old.meta.type OBJ_NONE: absent) */
    bool exists;      /* the key holds a collection of this type */
    uint64_t version; /* 0 until the collection exists or is created */
    uint64_t size;    /* elements; the caller keeps it right */
    uint64_t head;    /* lists: position of the first element */
    int64_t expire_ms;
    uint8_t flags;    /* the record's: META_COLL_BIG (coll_put and coll_save set it) */
    char *prefix;     /* 's' <u32 keylen> key <u64 version> */
    size_t plen;
    char pstack[COLL_PREFIX_STACK];
} coll_t;

/* Redis 7.0's default limits of the small encodings (hash-max-listpack-*,
 * set-max-intset-entries, zset-max-listpack-*): a collection past one of
 * them is converted to the big encoding for good (META_COLL_BIG). */
#define COLL_HASH_MAX_LISTPACK_ENTRIES 512
#define COLL_HASH_MAX_LISTPACK_VALUE 64
#define COLL_SET_MAX_INTSET_ENTRIES 512
#define COLL_ZSET_MAX_LISTPACK_ENTRIES 128
#define COLL_ZSET_MAX_LISTPACK_VALUE 64

/* The position of the first element of a new list: the middle of the u64
 * range, so LPUSH and RPUSH both have room. */
#define COLL_LIST_HEAD0 (1ULL << 63)

/* Looks key up for a command on collections of `type`.
 * Returns 1 (a live collection of that type), 0 (absent: co is ready for
 * coll_create), -1 (the key holds another type: WRONGTYPE replied; or a
 * storage error replied). Release with coll_release in every case. */
int coll_open(cmd_ctx_t *c, const char *key, size_t klen, obj_type_t type, coll_t *co);
/* Prepares key to be replaced by a new collection of `type` whatever it
 * holds now (SINTERSTORE, ZUNIONSTORE, ... destinations): co is absent
 * and created, with old set so that coll_save replaces (or, when the new
 * collection stays empty, deletes) the old key. Returns 0 or -1 (replied). */
int coll_open_replace(cmd_ctx_t *c, const char *key, size_t klen, obj_type_t type, coll_t *co);
/* Gives an absent collection a new version (writes only): elements can
 * then be put. The metadata is written by coll_save. The new collection
 * starts in the small encoding (flags 0), whatever the key held before. */
void coll_create(cmd_ctx_t *c, coll_t *co);
/* Writes the metadata (size, head, flags) or deletes the key when size is
 * 0. Keeps the TTL unless keep_ttl is false (a command that replaces a key,
 * such as SINTERSTORE, drops it as Redis does). A size past the type's
 * small-encoding limit sets META_COLL_BIG. */
void coll_save(cmd_ctx_t *c, coll_t *co, bool keep_ttl);
/* Deletes the collection at once (its elements become unreachable). */
void coll_delete(cmd_ctx_t *c, coll_t *co);
void coll_release(coll_t *co);

/* One element's value by sub-key: 1 found (*val owned, free with
 * store_free), 0 absent, -1 storage error (replied). */
int coll_get(cmd_ctx_t *c, const coll_t *co, const char *sub, size_t slen, char **val, size_t *vlen);
/* Whether an element exists: 1, 0, or -1 after a storage error (replied). */
int coll_has(cmd_ctx_t *c, const coll_t *co, const char *sub, size_t slen);
/* Deletes those of the n elements named that exist (HDEL, SREM), keeping
 * co->size right and saving the collection if any went: how many went, or
 * -1 after a storage error (replied). */
long long coll_del_present(cmd_ctx_t *c, coll_t *co, const char *const *subs, const size_t *lens, int n);
/* Puts or deletes one element (size is the caller's to adjust). A put
 * that Redis could not keep in the small encoding (a hash field or value,
 * a zset member over 64 bytes, a set member that is no integer) sets
 * META_COLL_BIG in co->flags. */
void coll_put(cmd_ctx_t *c, coll_t *co, const char *sub, size_t slen, const char *val, size_t vlen);
void coll_del(cmd_ctx_t *c, const coll_t *co, const char *sub, size_t slen);

/* Elements in sub-key byte order (reverse: descending). from (may be NULL)
 * is where to start: the first sub-key >= from, or with reverse the last
 * sub-key <= from. The iterator sees the command's own earlier writes. */
typedef struct coll_iter coll_iter_t;
coll_iter_t *coll_iter_new(cmd_ctx_t *c, const coll_t *co, const char *from, size_t flen, bool reverse);
/* The elements whose sub-keys start with the byte tag, from the first (or
 * with reverse the last) of them; past them the iterator goes on into the
 * rest of the collection. */
coll_iter_t *coll_iter_tag(cmd_ctx_t *c, const coll_t *co, char tag, bool reverse);
bool coll_iter_valid(coll_iter_t *it);
void coll_iter_next(coll_iter_t *it);
/* The sub-key (without the collection's prefix) and value of the current
 * element. Any write to the txn (coll_put, coll_del, coll_save, ...)
 * invalidates both pointers: copy them out before writing. */
const char *coll_iter_sub(coll_iter_t *it, size_t *len);
const char *coll_iter_value(coll_iter_t *it, size_t *len);
void coll_iter_free(coll_iter_t *it);

/* ---- random elements (coll_random.c) ---- */

/* A generator for picking elements. A write (c->index != 0) gets one seeded
 * by its place in the log, so every replica draws the same; a read shares a
 * process-wide one started from the clock. */
typedef struct coll_rng {
    bool deterministic;
    uint64_t state;
} coll_rng_t;
void coll_rng_init(coll_rng_t *g, const cmd_ctx_t *c);
uint64_t coll_rng_next(coll_rng_t *g);
/* Uniform in [0, n), n > 0, without modulo bias. */
uint64_t coll_rng_below(coll_rng_t *g, uint64_t n);

/* Collections of up to this many elements are drawn from exactly uniformly
 * (a walk to a random rank); larger ones by a descent of the sub-key trie. */
#define COLL_RANDOM_WALK_MAX 128

/* An iterator that is not positioned yet (coll_iter_valid is false until
 * it is): for coll_iter_seek_random, which seeks where it needs. */
coll_iter_t *coll_iter_open(cmd_ctx_t *c, const coll_t *co);
/* Positions it (coll_iter_open or coll_iter_new, any direction) on a random element
 * among the sub-keys that start with tag (taglen 0: all of them; co->size
 * must be their number). Up to COLL_RANDOM_WALK_MAX elements every one is
 * equally likely; above, each branch of the sub-keys' byte trie is, which
 * costs O(depth) seeks instead of O(N) steps (coll_random.c tells the difference).
 * Returns false when there is no such element. */
bool coll_iter_seek_random(coll_iter_t *it, const char *tag, size_t taglen, coll_rng_t *g);

/* Elements copied out of iterators: the sub-key (without the collection's
 * prefix) and the value. */
typedef struct coll_elem {
    char *sub, *val; /* one allocation: val follows sub */
    size_t slen, vlen;
} coll_elem_t;

typedef struct coll_elems {
    coll_elem_t *v;
    size_t n, cap;
} coll_elems_t;

void coll_elems_push(coll_elems_t *e, const char *sub, size_t slen, const char *val, size_t vlen);
void coll_elems_free(coll_elems_t *e);

/* Whether count random draws (coll_random_elems) cost less than one walk of
 * the whole collection: false for small collections and for counts that
 * are a sizeable fraction of the size, where a full pass is better. */
bool coll_random_cheap(const coll_t *co, uint64_t count);
/* count draws of coll_iter_seek_random appended to out, in draw order, or
 * with distinct the elements of count different draws, in sub-key order;
 * with their values, or (values false) with empty ones.
 * Returns false when distinct draws kept hitting the same elements (a
 * skewed collection): out is then emptied and the caller makes a full pass. */
bool coll_random_elems(cmd_ctx_t *c, const coll_t *co, const char *tag, size_t taglen, uint64_t count,
                       bool distinct, bool values, coll_rng_t *g, coll_elems_t *out);

/* List positions as sub-keys (8 bytes, big-endian: byte order is position order). */
void coll_list_sub(char out[8], uint64_t pos);

#endif
