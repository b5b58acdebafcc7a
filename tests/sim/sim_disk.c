/* Simulated disks. Each node's ready batches queue up as pending writes that
 * become durable after a random delay, in the order they were taken; only
 * then are they written to the node's disk, raft_persisted called and the
 * ready's msgs_after put on the wire. A crash drops every pending write. What
 * the disk holds is what a restart hands back to raft_restore. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

/* A node that leaves for good takes its disk with it (and so does the run's end). */
void disk_free(disk_t *d)
{
    for (size_t i = 0; i < d->n; i++)
        free((void *)d->log[i].data);
    free(d->log);
    d->log = NULL;
    d->n = d->cap = 0;
}

/* Index of the last durable entry (the snapshot's when the log is empty). */
uint64_t disk_last(const disk_t *d)
{
    return d->snap.index + d->n;
}

/* Term of the durable entry at index (the snapshot's at its index), 0 if none. */
uint64_t disk_term(const disk_t *d, uint64_t index)
{
    if (index == d->snap.index) return d->snap.term;
    if (index < d->snap.index || index > disk_last(d)) return 0;
    return d->log[index - d->snap.index - 1].term;
}

/* Whether the entry (index, term) is durable here, in the log or under the
 * snapshot. */
bool disk_holds(const disk_t *d, uint64_t index, uint64_t term)
{
    return index <= d->snap.index || disk_term(d, index) == term;
}

/* Drops the entries with index >= from. */
static void disk_truncate(disk_t *d, uint64_t from)
{
    while (d->n && disk_last(d) >= from)
        free((void *)d->log[--d->n].data);
}

/* Stores a copy: the core's buffer is released with its ready. */
static void disk_append(disk_t *d, const raft_entry_t *e)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 64;
        d->log = realloc(d->log, d->cap * sizeof(*d->log));
        if (!d->log) abort();
    }
    raft_entry_t *c = &d->log[d->n++];
    *c = *e;
    c->buf = NULL;
    c->data = NULL;
    if (e->len) {
        char *p = malloc(e->len);
        if (!p) abort();
        memcpy(p, e->data, e->len);
        c->data = p;
    }
}

/* A snapshot the node took itself: the log up to meta->index is now covered
 * by the image and leaves the disk. */
void disk_compact(disk_t *d, const raft_snapshot_meta_t *meta, const kv_t *image)
{
    size_t drop = 0;
    while (drop < d->n && d->log[drop].index <= meta->index)
        free((void *)d->log[drop++].data);
    memmove(d->log, d->log + drop, (d->n - drop) * sizeof(*d->log));
    d->n -= drop;
    d->snap = *meta;
    d->image = *image;
}

/* Makes one ready's writes durable, in the contract's order: snapshot, then
 * entries (overwriting a conflicting suffix), then hard state. Checks on the
 * way what the contract and Raft promise about them. */
void disk_write(sim_t *s, sim_node_t *n, pending_t *p)
{
    disk_t *d = &n->disk;
    const raft_ready_t *rd = &p->rd;
    if (rd->has_snapshot) {
        disk_truncate(d, 0);
        d->snap = rd->snapshot;
        d->image = p->image;
        sim_trace(s, "durable n%" PRIu64 " snapshot %" PRIu64 "/%" PRIu64, n->id, d->snap.term,
                  d->snap.index);
    }
    if (rd->n_entries) {
        uint64_t first = rd->entries[0].index;
        if (first <= d->snap.index || first > disk_last(d) + 1) {
            sim_fail(s,
                     "node %" PRIu64 " persists entries from %" PRIu64
                     " but its disk holds snapshot %" PRIu64 " and log up to %" PRIu64,
                     n->id, first, d->snap.index, disk_last(d));
            return;
        }
        disk_truncate(d, first);
        for (size_t i = 0; i < rd->n_entries; i++) {
            const raft_entry_t *e = &rd->entries[i];
            uint64_t prev = disk_term(d, e->index - 1);
            if (e->index != first + i || e->term < prev) {
                sim_fail(s,
                         "node %" PRIu64 " persists entry %" PRIu64 "/%" PRIu64 " after %" PRIu64
                         "/%" PRIu64,
                         n->id, e->term, e->index, prev, disk_last(d));
                return;
            }
            check_persist_entry(s, n, e, prev);
            disk_append(d, e);
        }
        sim_trace(s, "durable n%" PRIu64 " entries %" PRIu64 "..%" PRIu64 " (term %" PRIu64 ")",
                  n->id, first, disk_last(d), rd->entries[rd->n_entries - 1].term);
    }
    if (rd->hs_changed) {
        if (rd->hs.term < d->hs.term)
            sim_fail(s, "node %" PRIu64 " persists term %" PRIu64 " after term %" PRIu64, n->id,
                     rd->hs.term, d->hs.term);
        else if (rd->hs.term == d->hs.term && d->hs.vote && rd->hs.vote != d->hs.vote)
            sim_fail(s,
                     "node %" PRIu64 " changes its vote in term %" PRIu64 " from %" PRIu64
                     " to %" PRIu64,
                     n->id, rd->hs.term, d->hs.vote, rd->hs.vote);
        d->hs = rd->hs;
        sim_trace(s, "durable n%" PRIu64 " hs term=%" PRIu64 " vote=%" PRIu64 " commit=%" PRIu64,
                  n->id, d->hs.term, d->hs.vote, d->hs.commit);
    }
}

/* Queues a ready taken from the core; it becomes durable after a random
 * delay, never before an earlier one. */
void node_queue_ready(sim_t *s, sim_node_t *n, const raft_ready_t *rd, const kv_t *image)
{
    if (n->n_pend == n->cap_pend) {
        n->cap_pend = n->cap_pend ? 2 * n->cap_pend : 8;
        n->pend = realloc(n->pend, n->cap_pend * sizeof(*n->pend));
        if (!n->pend) abort();
    }
    pending_t *p = &n->pend[n->n_pend];
    uint64_t at = s->now + rng_range(&s->rng, 0, s->p.disk_max);
    if (n->n_pend && n->pend[n->n_pend - 1].durable_at > at) at = n->pend[n->n_pend - 1].durable_at;
    p->rd = *rd;
    p->durable_at = at;
    if (image) p->image = *image;
    n->n_pend++;
}

/* Completes every pending write due by now, oldest first: disk, then
 * raft_persisted, then the messages that waited for it. Returns whether any
 * completed. */
bool node_disk_progress(sim_t *s, sim_node_t *n)
{
    bool any = false;
    while (n->n_pend && n->pend[0].durable_at <= s->now && !s->failed) {
        pending_t *p = &n->pend[0];
        disk_write(s, n, p);
        raft_persisted(n->r, &p->rd);
        for (size_t i = 0; i < p->rd.n_msgs_after && !s->failed; i++)
            net_send(s, n, &p->rd.msgs_after[i]);
        raft_ready_free(n->r, &p->rd);
        memmove(n->pend, n->pend + 1, (n->n_pend - 1) * sizeof(*n->pend));
        n->n_pend--;
        any = true;
    }
    return any;
}

/* A crash: every write not yet durable is lost, with the messages that
 * waited for it. */
void node_drop_pending(sim_node_t *n)
{
    for (size_t i = 0; i < n->n_pend; i++)
        raft_ready_free(n->r, &n->pend[i].rd);
    n->n_pend = 0;
}
