/* List element positions (t_list.h): reading, writing, and the moves that
 * keep positions contiguous when the middle of a list changes. */
#include "cmd/t_list.h"

#include <stdlib.h>
#include <string.h>

/* A position the metadata says exists but storage does not have: the
 * collection is damaged, and saying so beats replying with a wrong list. */
static int missing(cmd_ctx_t *c)
{
    reply_error(c->reply, "ERR list element missing in storage");
    return -1;
}

int list_get(cmd_ctx_t *c, const coll_t *co, uint64_t i, char **val, size_t *vlen)
{
    char sub[8];
    coll_list_sub(sub, co->head + i);
    int rc = coll_get(c, co, sub, sizeof(sub), val, vlen);
    if (rc == 0) return missing(c);
    return rc;
}

void list_set(cmd_ctx_t *c, coll_t *co, uint64_t i, const char *val, size_t vlen)
{
    char sub[8];
    coll_list_sub(sub, co->head + i);
    coll_put(c, co, sub, sizeof(sub), val, vlen);
}

/* Deletes the sub-key of element i. */
static void list_del(cmd_ctx_t *c, const coll_t *co, uint64_t i)
{
    char sub[8];
    coll_list_sub(sub, co->head + i);
    coll_del(c, co, sub, sizeof(sub));
}

void list_push(cmd_ctx_t *c, coll_t *co, list_where_t where, const char *val, size_t vlen)
{
    if (!co->version) coll_create(c, co);
    if (where == LIST_HEAD) {
        co->head--;
        co->size++;
        list_set(c, co, 0, val, vlen);
    } else {
        co->size++;
        list_set(c, co, co->size - 1, val, vlen);
    }
}

/* The popped element's sub-key is deleted even when the list empties: the
 * same command may push to the list again (LMOVE of a one-element list onto
 * itself), and a stale neighbour must never look like an element. */
int list_pop(cmd_ctx_t *c, coll_t *co, list_where_t where, char **val, size_t *vlen)
{
    if (co->size == 0) return 0;
    uint64_t i = where == LIST_HEAD ? 0 : co->size - 1;
    if (list_get(c, co, i, val, vlen) < 0) return -1;
    list_del(c, co, i);
    if (where == LIST_HEAD) co->head++;
    co->size--;
    return 1;
}

/* Copies element from to position to (both as indices against the current
 * head). */
static int list_move(cmd_ctx_t *c, coll_t *co, uint64_t from, uint64_t to)
{
    char *v;
    size_t vl;
    if (list_get(c, co, from, &v, &vl) < 0) return -1;
    list_set(c, co, to, v, vl);
    store_free(v);
    return 0;
}

/* The elements before idx move one step towards the head, or those from
 * idx on one step towards the tail, whichever are fewer: inserting near
 * either end stays cheap. Moves run in the order that never overwrites an
 * element not yet moved. */
int list_insert(cmd_ctx_t *c, coll_t *co, uint64_t idx, const char *val, size_t vlen)
{
    if (idx <= co->size / 2) {
        co->head--; /* old element j is now at index j + 1 */
        for (uint64_t j = 0; j < idx; j++)
            if (list_move(c, co, j + 1, j) < 0) return -1;
    } else {
        for (uint64_t j = co->size; j > idx; j--)
            if (list_move(c, co, j - 1, j) < 0) return -1;
    }
    co->size++;
    list_set(c, co, idx, val, vlen);
    return 0;
}

/* Closes the gaps left by k removed elements by moving the elements on the
 * cheaper side of them: those after the first removed one shift towards the
 * head, or those before the last removed one shift towards the tail. The
 * freed positions at that end are then deleted. */
int list_remove(cmd_ctx_t *c, coll_t *co, const uint64_t *idx, size_t k)
{
    if (k == 0) return 0;
    uint64_t n = co->size;
    uint64_t cost_up = n - 1 - idx[0] - (k - 1); /* elements after idx[0] that stay */
    uint64_t cost_down = idx[k - 1] - (k - 1);   /* elements before idx[k-1] that stay */
    if (cost_up <= cost_down) {
        size_t r = 1; /* removed so far, counting idx[0] */
        for (uint64_t j = idx[0] + 1; j < n; j++) {
            if (r < k && idx[r] == j) {
                r++;
                continue;
            }
            if (list_move(c, co, j, j - r) < 0) return -1;
        }
        for (uint64_t j = n - k; j < n; j++) list_del(c, co, j);
    } else {
        size_t r = 1; /* removed so far from the tail side, counting idx[k-1] */
        for (uint64_t j = idx[k - 1]; j-- > 0;) {
            if (r < k && idx[k - 1 - r] == j) {
                r++;
                continue;
            }
            if (list_move(c, co, j, j + r) < 0) return -1;
        }
        for (uint64_t j = 0; j < k; j++) list_del(c, co, j);
        co->head += k;
    }
    co->size -= k;
    return 0;
}

void list_trim(cmd_ctx_t *c, coll_t *co, uint64_t ltrim, uint64_t rtrim)
{
    for (uint64_t j = 0; j < ltrim; j++) list_del(c, co, j);
    for (uint64_t j = co->size - rtrim; j < co->size; j++) list_del(c, co, j);
    co->head += ltrim;
    co->size -= ltrim + rtrim;
}

coll_iter_t *list_iter(cmd_ctx_t *c, const coll_t *co, uint64_t i, bool reverse)
{
    char sub[8];
    coll_list_sub(sub, co->head + i);
    return coll_iter_new(c, co, sub, sizeof(sub), reverse);
}

int list_parse_where(cmd_ctx_t *c, int argi, list_where_t *where)
{
    if (cmd_arg_is(c, argi, "left")) {
        *where = LIST_HEAD;
    } else if (cmd_arg_is(c, argi, "right")) {
        *where = LIST_TAIL;
    } else {
        reply_error(c->reply, ERR_SYNTAX);
        return -1;
    }
    return 0;
}
