/* What the leader knows of each follower's log (thesis §10.2): the states
 * probe (one APPEND per heartbeat until a match is found), replicate (stream
 * optimistically, bounded by the in-flight window) and snapshot (wait for
 * the snapshot being sent), and the window itself. */
#include <stdlib.h>
#include <string.h>

#include "raft_int.h"

int inflights_init(inflights_t *f, uint32_t cap) {
    memset(f, 0, sizeof(*f));
    if (cap == 0) cap = 1;
    f->index = calloc(cap, sizeof(*f->index));
    f->bytes = calloc(cap, sizeof(*f->bytes));
    if (!f->index || !f->bytes) {
        inflights_free(f);
        return RAFT_ENOMEM;
    }
    f->cap = cap;
    return RAFT_OK;
}

void inflights_free(inflights_t *f) {
    free(f->index);
    free(f->bytes);
    memset(f, 0, sizeof(*f));
}

/* Full by count, or by bytes once something is in flight: a single entry
 * larger than the byte budget must still be able to go out alone. */
bool inflights_full(const inflights_t *f, uint64_t max_bytes) {
    if (f->count >= f->cap) return true;
    return max_bytes && f->count > 0 && f->total_bytes >= max_bytes;
}

void inflights_add(inflights_t *f, uint64_t index, uint64_t bytes) {
    if (f->count >= f->cap) return;
    uint32_t slot = (f->start + f->count) % f->cap;
    f->index[slot] = index;
    f->bytes[slot] = bytes;
    f->count++;
    f->total_bytes += bytes;
}

void inflights_free_to(inflights_t *f, uint64_t index) {
    while (f->count > 0 && f->index[f->start] <= index) {
        f->total_bytes -= f->bytes[f->start];
        f->start = (f->start + 1) % f->cap;
        f->count--;
    }
    if (f->count == 0) f->start = 0;
}

void inflights_reset(inflights_t *f) {
    f->start = f->count = 0;
    f->total_bytes = 0;
}

void progress_become_probe(progress_t *p) {
    /* After a snapshot, probing resumes right behind it. */
    if (p->state == RAFT_PROGRESS_SNAPSHOT) {
        uint64_t after = p->pending_snapshot + 1;
        p->next = after > p->match + 1 ? after : p->match + 1;
    } else {
        p->next = p->match + 1;
    }
    p->state = RAFT_PROGRESS_PROBE;
    p->probe_sent = false;
    p->pending_snapshot = 0;
    inflights_reset(&p->inf);
}

void progress_become_replicate(progress_t *p) {
    p->state = RAFT_PROGRESS_REPLICATE;
    p->next = p->match + 1;
    p->probe_sent = false;
    p->pending_snapshot = 0;
    inflights_reset(&p->inf);
}

void progress_become_snapshot(progress_t *p, uint64_t index) {
    p->state = RAFT_PROGRESS_SNAPSHOT;
    p->pending_snapshot = index;
    p->probe_sent = false;
    inflights_reset(&p->inf);
}
