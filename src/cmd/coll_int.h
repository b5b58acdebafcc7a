/* What the three files of collections share (coll.c: elements and
 * iteration; coll_ends.c: what the process remembers of where a
 * collection's elements lie; coll_random.c: random draws). Not for the
 * command families, which see coll.h only. */
#ifndef REDRAFT_CMD_COLL_INT_H
#define REDRAFT_CMD_COLL_INT_H

#include "cmd/coll.h"
#include "storage/store.h"

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
 * cost O(pops so far) each).
 *
 * A collection that random draws keep coming back to also gets every
 * element under the tag listed, in order (the sub-keys only, in chunks):
 * a draw then reads the list instead of seeking a RocksDB iterator (each
 * seek ~25 us, an SPOP one or two). Lists are built from one walk, at the
 * first draw of a small collection (ENDS_SMALL) and after size / ENDS_DRAWS
 * draws of a larger one, up to ENDS_LIST_ELEMS elements (the walk runs in
 * the apply, which waits for it) and within a memory budget for the whole
 * process (ENDS_LIST_BYTES).
 *
 * Every sub-key of a collection is written through coll_put and coll_del,
 * which keep the table right, and a write txn always commits (apply has no
 * rollback), so what the table answers is exactly what seeks would find, on
 * every replica alike, whatever else each one's table holds. Keyed by the
 * database's epoch (new at every db_load: a restart, a snapshot's install)
 * and the version (never reused). */
#define ENDS_MAX 96                     /* the longest key and sub-keys kept */
#define ENDS_SMALL COLL_RANDOM_WALK_MAX /* listed at the first draw */
#define ENDS_DRAWS 64                   /* larger: listed after size / ENDS_DRAWS draws */
#define ENDS_LIST_BYTES (64u << 20)     /* all lists together */
#define ENDS_LIST_ELEMS (1u << 18)      /* one list: its walk holds up the apply ~80 ms */
#define ENDS_CHUNK 128                  /* sub-keys per chunk of a list */

typedef struct ends_bound {
    bool known; /* no element under the tag lies beyond sub */
    bool live;  /* sub is an element itself: the first (f) or last (l) one */
    size_t len;
    char sub[ENDS_MAX];
} ends_bound_t;

typedef struct ends_chunk {
    size_t n;
    uint8_t lens[ENDS_CHUNK]; /* <= ENDS_MAX */
    char *subs[ENDS_CHUNK];   /* each malloc'd */
} ends_chunk_t;

typedef struct ends {
    uint64_t epoch; /* 0: a free slot */
    uint64_t version;
    size_t klen, taglen;
    char key[ENDS_MAX], tag[1];
    ends_bound_t f, l;
    uint64_t draws;      /* random draws since the slot was claimed, while unlisted */
    bool listed;         /* the chunks hold every element under the tag */
    bool unfit;          /* the list being built did not fit: it is given up */
    size_t n;            /* how many */
    size_t nchunks, cap; /* chunks, none empty, in byte order */
    ends_chunk_t **chunks;
    size_t bytes; /* what the list costs, against ENDS_LIST_BYTES */
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
/* An element was written or deleted (coll_put, coll_del). */
void ends_on_put(const db_t *db, const coll_t *co, const char *sub, size_t slen);
void ends_on_del(const db_t *db, const coll_t *co, const char *sub, size_t slen);

/* Building a list: begin, append every element in order, end with the
 * number there should be (it is kept only when that many were appended
 * and all fitted). */
void ends_list_begin(ends_t *e);
void ends_list_append(ends_t *e, const char *sub, size_t len);
void ends_list_end(ends_t *e, uint64_t expect);
/* Whether a new list of about `size` elements fits in the budget. */
bool ends_list_affordable(const db_t *db, uint64_t size);

/* A place in a list (valid false: before the first or past the last). */
typedef struct ends_pos {
    size_t c, j;
    bool valid;
} ends_pos_t;
/* The first element >= sub, the last <= sub, the one at rank r. */
ends_pos_t ends_list_ceil(const ends_t *e, const char *sub, size_t len);
ends_pos_t ends_list_floor(const ends_t *e, const char *sub, size_t len);
ends_pos_t ends_list_at(const ends_t *e, uint64_t r);
void ends_list_next(const ends_t *e, ends_pos_t *p);
void ends_list_prev(const ends_t *e, ends_pos_t *p);
const char *ends_list_sub(const ends_t *e, ends_pos_t p, size_t *len);

/* Forgets every slot (tests: a replica whose table holds nothing). */
void ends_reset_all(void);
/* Sets what all lists may take (ENDS_LIST_BYTES; tests: 0, no lists);
 * returns what it was. */
size_t ends_list_budget(size_t bytes);
/* Lists built (begun) since the start: tests see a list kept, not rebuilt. */
uint64_t ends_list_builds(void);

/* ---- iterators ---------------------------------------------------------------- */

struct coll_iter {
    store_iter_t *it; /* created at the first seek: a draw from a list needs none */
    store_txn_t *txn;
    const coll_t *co;
    const db_t *db; /* for the ends */
    bool reverse;
    bool empty; /* the collection has no version: nothing to see */
    /* a random draw that read a list (coll_random.c): its pick, where the
     * iterator is moved only when something other than the sub-key is asked */
    ends_t *list;
    ends_pos_t lpos;
    bool picked;
    char *pick;
    size_t picklen, pickcap;
};

/* The iterator, created at the first use and moved to a pending pick. */
store_iter_t *coll_iter_store(coll_iter_t *ci);

#endif
