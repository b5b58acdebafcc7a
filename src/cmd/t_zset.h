/* Sorted sets: what t_zset.c (storage, ZADD, single-key reads and range
 * commands), t_zset_range.c (ranges and the walks over them) and
 * t_zset_ops.c (set operations, pops, random members, scan) share.
 *
 * A member is two sub-keys under the key's version (docs/encoding.md):
 *   'm' member                -> 8-byte ordered score
 *   's' <8-byte score> member -> ""
 * so the 's' range is Redis's order: by score, equal scores by member bytes.
 * -0.0 is stored as 0.0, as Redis's small (listpack) sorted sets keep it. */
#ifndef REDRAFT_CMD_T_ZSET_H
#define REDRAFT_CMD_T_ZSET_H

#include <stdbool.h>
#include <stddef.h>

#include "cmd/coll.h"

#define ZS_MEMBER 'm'
#define ZS_SCORE 's'

/* One member with its score, owning its bytes. */
typedef struct zs_elem {
    char *m;
    size_t len;
    double score;
} zs_elem_t;

typedef struct zs_vec {
    zs_elem_t *v;
    size_t n, cap;
} zs_vec_t;

void zs_vec_push(zs_vec_t *vec, const char *m, size_t len, double score);
void zs_vec_free(zs_vec_t *vec);
/* Sorts by (score, member bytes): the order of a sorted set. */
void zs_vec_sort(zs_vec_t *vec);
/* Reverses the order of the elements. */
void zs_vec_reverse(zs_vec_t *vec);
/* Redis compares members as sdscmp does: common bytes first, then length. */
int zs_member_cmp(const char *a, size_t al, const char *b, size_t bl);

/* The score of a member: 1 found, 0 absent, -1 storage error (replied). */
int zs_get_score(cmd_ctx_t *c, const coll_t *co, const char *m, size_t len, double *score);
/* Adds a member known to be absent (size kept). */
void zs_insert(cmd_ctx_t *c, coll_t *co, const char *m, size_t len, double score);
/* Moves a present member from one score to another. */
void zs_rescore(cmd_ctx_t *c, coll_t *co, const char *m, size_t len, double old, double score);
/* Removes a present member (size kept). */
void zs_remove(cmd_ctx_t *c, coll_t *co, const char *m, size_t len, double score);

/* Elements in score order (reverse: descending). */
typedef struct zs_iter {
    coll_iter_t *it;
} zs_iter_t;
void zs_iter_start(cmd_ctx_t *c, const coll_t *co, bool reverse, zs_iter_t *zi);
/* Positions an iterator on the 's' range: forward at the first sub-key >=
 * from, reverse at the last <= from. */
void zs_iter_from(cmd_ctx_t *c, const coll_t *co, bool reverse, const char *from, size_t flen,
                  zs_iter_t *zi);
bool zs_iter_valid(zs_iter_t *zi);
/* The current element: its member (into the iterator's storage) and score. */
const char *zs_iter_get(zs_iter_t *zi, size_t *len, double *score);
void zs_iter_next(zs_iter_t *zi);
void zs_iter_end(zs_iter_t *zi);

/* Up to count elements from the low end (or the high end when max), in
 * that order, appended to out. */
void zs_take_ends(cmd_ctx_t *c, const coll_t *co, bool max, long long count, zs_vec_t *out);

/* ---- ranges (t_zset_range.c) ---- */

/* A score range: min and max, each inclusive or exclusive ("(" in Redis). */
typedef struct srange {
    double min, max;
    bool minex, maxex;
} srange_t;

/* A lex bound: "-" (inf -1), "+" (inf 1), or a string, inclusive or not. */
typedef struct lbound {
    int inf;
    const char *s;
    size_t len;
    bool ex;
} lbound_t;

typedef struct lrange {
    lbound_t min, max;
} lrange_t;

/* Parse the min and max arguments (at mini, maxi) of a score or a lex
 * range as Redis does; -1 with Redis's error replied when either is not a
 * bound ("ERR min or max is not a float", "... not valid string range
 * item"). The lex bounds point into the arguments. */
int zs_parse_srange(cmd_ctx_t *c, int mini, int maxi, srange_t *r);
int zs_parse_lrange(cmd_ctx_t *c, int mini, int maxi, lrange_t *r);

/* Redis's rank sanitizing: negative ranks count from the end; false when
 * nothing is left. */
bool zs_sanitize_ranks(long long size, long long *start, long long *end);

/* Called for each element a walk visits; false stops the walk. */
typedef bool zs_visit_fn(void *ud, const char *m, size_t len, double score);

/* Ranks [start, end] (0 <= start <= end < size, as zs_sanitize_ranks
 * leaves them) from the low end, or from the high end when reverse,
 * appended to out in that order. */
void zs_walk_rank(cmd_ctx_t *c, const coll_t *co, long long start, long long end, bool reverse,
                  zs_vec_t *out);
/* Elements in a score or a lex range, from min up (max down when
 * reverse), the first offset skipped and at most limit visited (limit <
 * 0: all), as Redis's ZRANGEBYSCORE and ZRANGEBYLEX walk them. */
void zs_walk_score(cmd_ctx_t *c, const coll_t *co, const srange_t *r, bool reverse, long long offset,
                   long long limit, zs_visit_fn *fn, void *ud);
void zs_walk_lex(cmd_ctx_t *c, const coll_t *co, const lrange_t *r, bool reverse, long long offset,
                 long long limit, zs_visit_fn *fn, void *ud);

/* ---- replies and results ---- */

/* A score in a reply: a RESP3 double, or in RESP2 a bulk string. */
void zs_reply_score(cmd_ctx_t *c, double score);
/* Members, with scores if asked: RESP2 a flat array; RESP3 an array of
 * [member, score] pairs when nested_resp3, else flat. */
void zs_reply_elems(cmd_ctx_t *c, const zs_vec_t *vec, bool withscores, bool nested_resp3);
/* A score as Redis writes it into a bulk string ("inf", %.17g). */
size_t zs_format_score(char *buf, size_t cap, double score);

/* Writes elements (sorted, distinct) as a new sorted set at key, replacing
 * whatever the key held and dropping its TTL; an empty result deletes it.
 * Returns 0, or -1 with an error replied. */
int zs_store(cmd_ctx_t *c, const char *key, size_t klen, const zs_vec_t *vec);

void t_zset_ops_register(void);

#endif
