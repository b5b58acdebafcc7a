/* Lists on the collection encoding (coll.h), shared by the two halves of the
 * list family: t_list_ops.c (element positions) and t_list.c (commands).
 *
 * Element i of a list lives at position co->head + i; its sub-key is the
 * position as 8 big-endian bytes, so sub-key order is list order and both
 * ends grow in O(1). Positions are contiguous: a removal or insertion in the
 * middle moves the elements of the shorter side. */
#ifndef REDRAFT_CMD_T_LIST_H
#define REDRAFT_CMD_T_LIST_H

#include "cmd/coll.h"

typedef enum { LIST_HEAD = 0, LIST_TAIL = 1 } list_where_t;

/* Element i (0 <= i < size): 1 with *val owned (store_free), -1 on a
 * storage error or a missing element (replied). */
int list_get(cmd_ctx_t *c, const coll_t *co, uint64_t i, char **val, size_t *vlen);
/* Overwrites element i (0 <= i < size). */
void list_set(cmd_ctx_t *c, coll_t *co, uint64_t i, const char *val, size_t vlen);
/* Adds one element at an end; creates the collection's version first when
 * it has none. */
void list_push(cmd_ctx_t *c, coll_t *co, list_where_t where, const char *val, size_t vlen);
/* Removes the element at an end: 1 (*val owned), 0 (empty), -1 (replied). */
int list_pop(cmd_ctx_t *c, coll_t *co, list_where_t where, char **val, size_t *vlen);
/* Inserts val so that it becomes element idx (0 <= idx <= size). 0 or -1. */
int list_insert(cmd_ctx_t *c, coll_t *co, uint64_t idx, const char *val, size_t vlen);
/* Removes the k elements at the ascending, distinct indices idx. 0 or -1. */
int list_remove(cmd_ctx_t *c, coll_t *co, const uint64_t *idx, size_t k);
/* Removes ltrim elements from the head and rtrim from the tail (fewer than
 * size in all). */
void list_trim(cmd_ctx_t *c, coll_t *co, uint64_t ltrim, uint64_t rtrim);
/* An iterator over the elements from index i towards the tail (reverse:
 * towards the head). */
coll_iter_t *list_iter(cmd_ctx_t *c, const coll_t *co, uint64_t i, bool reverse);

/* LEFT/RIGHT of LMOVE, LMPOP and friends: 0, or -1 with a syntax error replied. */
int list_parse_where(cmd_ctx_t *c, int argi, list_where_t *where);

#endif
