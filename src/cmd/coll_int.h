/* What the three files of collections share (coll.c: elements and
 * iteration; coll_ends.c: what the process remembers of where a
 * collection's elements lie; coll_random.c: random draws). Not for the
 * command families, which see coll.h only. */
#ifndef REDRAFT_CMD_COLL_INT_H
#define REDRAFT_CMD_COLL_INT_H

#include "cmd/coll.h"
#include "storage/store.h"

struct coll_iter {
    store_iter_t *it;
    const coll_t *co;
    const db_t *db; /* for the ends (coll_ends.c) */
    bool reverse;
    bool empty; /* the collection has no version: nothing to see */
};

/* prefix + sub, in stack when it fits (else malloc: free it when != stack). */
char *coll_subkey(const coll_t *co, const char *sub, size_t slen, char *stack, size_t stacklen,
                  size_t *len);
/* The first key past every sub-key of co's version (malloc'd). */
char *coll_upper_bound(const coll_t *co, size_t *len);
/* Byte order of sub-keys: memcmp, then the shorter first. */
int coll_sub_cmp(const char *a, size_t al, const char *b, size_t bl);

/* ---- ends (coll_ends.c) -------------------------------------------------------
 *
 * Per collection (key, version) and tag (the first byte of its sub-keys, or
 * none: all of them), the process remembers bounds of the elements under
 * the tag: no element lies before f or after l. A bound may itself be an
 * element (live: then it is the first, or the last) or not any more (it was
 * deleted; the next element is found by a seek from it, past its one
 * tombstone, instead of from the start of the tag, past every tombstone of
 * the elements popped before: ZPOPMIN on a large sorted set would otherwise
 * cost O(pops so far) each). Small collections (up to ENDS_LIST_MAX
 * elements under the tag) may also have every element listed, so a random
 * draw needs no walk.
 *
 * Every sub-key of a collection is written through coll_put and coll_del,
 * which keep the table right, and a write txn always commits (apply has no
 * rollback), so what the table answers is exactly what seeks would find, on
 * every replica alike, whatever else each one's table holds. Keyed by the
 * database's epoch (new at every db_load: a restart, a snapshot's install)
 * and the version (never reused). */
#define ENDS_MAX 96                              /* the longest key and sub-keys kept */
#define ENDS_LIST_MAX (2 * COLL_RANDOM_WALK_MAX) /* a list outgrowing this is dropped */

typedef struct ends_bound {
    bool known; /* no element under the tag lies beyond sub */
    bool live;  /* sub is an element itself: the first (f) or last (l) one */
    size_t len;
    char sub[ENDS_MAX];
} ends_bound_t;

typedef struct ends {
    uint64_t epoch; /* 0: a free slot */
    uint64_t version;
    size_t klen, taglen;
    char key[ENDS_MAX], tag[1];
    ends_bound_t f, l;
    bool listed;                 /* subs holds every element under the tag */
    size_t n;                    /* how many */
    char *subs[ENDS_LIST_MAX];   /* in byte order, each malloc'd */
    uint8_t lens[ENDS_LIST_MAX]; /* <= ENDS_MAX */
} ends_t;

/* The slot of co under tag, or NULL. */
ends_t *ends_find(const db_t *db, const coll_t *co, const char *tag, size_t taglen);
/* The slot of co under tag, taken over (emptied) when it held something
 * else; NULL when the key or tag is too long to be kept. */
ends_t *ends_claim(const db_t *db, const coll_t *co, const char *tag, size_t taglen);
/* Records that sub is the first (last) element under the tag. */
void ends_bound_set(ends_bound_t *b, const char *sub, size_t len);
/* Whether sub lies under the slot's tag. */
bool ends_under_tag(const ends_t *e, const char *sub, size_t slen);
/* Lists the n elements (sorted, each <= ENDS_MAX bytes): false (nothing
 * kept) when one is too long or n > ENDS_LIST_MAX. */
bool ends_list_set(ends_t *e, char *const *subs, const size_t *lens, size_t n);
/* An element was written or deleted (coll_put, coll_del). */
void ends_on_put(const db_t *db, const coll_t *co, const char *sub, size_t slen);
void ends_on_del(const db_t *db, const coll_t *co, const char *sub, size_t slen);

#endif
