/* The in-memory Raft log and the reference-counted buffers of its entries.
 *
 * Entries live in one vector from the compaction point on. Their data sits in
 * rbuf_t buffers shared by reference with ready batches and the messages in
 * them, so truncating the log while an older ready is still being written
 * never pulls memory from under the application. */
#include <stdlib.h>
#include <string.h>

#include "raft_int.h"

/* Copies src's bytes into a fresh buffer: the core keeps nothing that belongs
 * to the caller (a message's entries die with the message). */
int entry_copy(raft_entry_t *dst, const raft_entry_t *src) {
    rbuf_t *b = malloc(sizeof(*b) + src->len + 1);
    if (!b) return RAFT_ENOMEM;
    b->refs = 1;
    b->len = src->len;
    if (src->len) memcpy(b->data, src->data, src->len);
    b->data[src->len] = '\0';
    dst->term = src->term;
    dst->index = src->index;
    dst->type = src->type;
    dst->len = src->len;
    dst->data = b->data;
    dst->buf = b;
    return RAFT_OK;
}

raft_entry_t entry_ref(const raft_entry_t *e) {
    if (e->buf) ((rbuf_t *)e->buf)->refs++;
    return *e;
}

void entry_unref(raft_entry_t *e) {
    rbuf_t *b = e->buf;
    if (b && --b->refs == 0) free(b);
    e->buf = NULL;
    e->data = NULL;
}

void rlog_init(rlog_t *l) { memset(l, 0, sizeof(*l)); }

void rlog_free(rlog_t *l) {
    for (size_t i = 0; i < l->n; i++) entry_unref(&l->e[l->head + i]);
    free(l->e);
    memset(l, 0, sizeof(*l));
}

uint64_t rlog_first_index(const rlog_t *l) { return l->prev_index + 1; }
uint64_t rlog_last_index(const rlog_t *l) { return l->prev_index + l->n; }

uint64_t rlog_last_term(const rlog_t *l) {
    return l->n ? l->e[l->head + l->n - 1].term : l->prev_term;
}

raft_entry_t *rlog_at(const rlog_t *l, uint64_t index) {
    if (index <= l->prev_index || index > rlog_last_index(l)) return NULL;
    return &l->e[l->head + (index - l->prev_index - 1)];
}

uint64_t rlog_term(const rlog_t *l, uint64_t index) {
    if (index == l->prev_index) return l->prev_term;
    const raft_entry_t *e = rlog_at(l, index);
    return e ? e->term : 0;
}

/* Grows or slides the vector so one more entry fits at the end: sliding the
 * live part to the front when at least half the vector is dead head keeps
 * compaction O(1) amortized without a ring's index arithmetic. */
static int make_room(rlog_t *l) {
    if (l->head + l->n < l->cap) return RAFT_OK;
    if (l->head > 0 && l->head >= l->cap / 2) {
        memmove(l->e, l->e + l->head, l->n * sizeof(*l->e));
        l->head = 0;
        return RAFT_OK;
    }
    size_t cap = l->cap ? l->cap * 2 : 64;
    raft_entry_t *e = realloc(l->e, cap * sizeof(*e));
    if (!e) return RAFT_ENOMEM;
    l->e = e;
    l->cap = cap;
    return RAFT_OK;
}

int rlog_append(rlog_t *l, raft_entry_t *e) {
    if (make_room(l) != RAFT_OK) return RAFT_ENOMEM;
    l->e[l->head + l->n++] = *e;
    return RAFT_OK;
}

void rlog_truncate(rlog_t *l, uint64_t from) {
    if (from <= l->prev_index) from = l->prev_index + 1;
    while (rlog_last_index(l) >= from && l->n > 0) entry_unref(&l->e[l->head + --l->n]);
}

void rlog_compact(rlog_t *l, uint64_t index) {
    if (index <= l->prev_index) return;
    if (index > rlog_last_index(l)) index = rlog_last_index(l);
    uint64_t term = rlog_term(l, index);
    size_t drop = (size_t)(index - l->prev_index);
    for (size_t i = 0; i < drop; i++) entry_unref(&l->e[l->head + i]);
    l->head += drop;
    l->n -= drop;
    if (l->n == 0) l->head = 0;
    l->prev_index = index;
    l->prev_term = term;
}

void rlog_reset(rlog_t *l, uint64_t index, uint64_t term) {
    rlog_truncate(l, 0);
    l->head = 0;
    l->prev_index = index;
    l->prev_term = term;
}
