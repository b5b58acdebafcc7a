/* Building outgoing messages: the two output queues (now, and after the
 * writes are durable), APPENDs from a follower's progress, heartbeats. */
#include <stdlib.h>
#include <string.h>

#include "raft_int.h"

/* Which messages wait for durability: a vote request or grant (the vote and
 * term must be on disk first) and an acknowledgement of entries (they must be
 * on disk before a leader counts them). Everything else leaves at once. */
static bool after_persist(int type) {
    return type == RAFT_MSG_VOTE || type == RAFT_MSG_VOTE_RESP || type == RAFT_MSG_APPEND_RESP;
}

/* Appends a message to the right queue and returns it for the caller to fill
 * at once (the pointer dies at the next send_msg). */
raft_msg_t *send_msg(raft_t *r, int type, uint64_t to) {
    msgvec_t *v = after_persist(type) ? &r->msgs_after : &r->msgs;
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        raft_msg_t *m = realloc(v->m, cap * sizeof(*m));
        if (!m) return NULL;
        v->m = m;
        v->cap = cap;
    }
    raft_msg_t *m = &v->m[v->n++];
    memset(m, 0, sizeof(*m));
    m->type = (uint8_t)type;
    m->from = r->id;
    m->to = to;
    m->term = r->term;
    return m;
}

/* Adds a reference to e to the queue's shared entry array; messages get their
 * pointers into it when the ready is taken (the array may move until then). */
static bool queue_entry(msgvec_t *v, const raft_entry_t *e) {
    if (v->ne == v->ecap) {
        size_t cap = v->ecap ? v->ecap * 2 : 64;
        raft_entry_t *n = realloc(v->ents, cap * sizeof(*n));
        if (!n) return false;
        v->ents = n;
        v->ecap = cap;
    }
    v->ents[v->ne++] = entry_ref(e);
    return true;
}

static void send_snapshot(raft_t *r, progress_t *p) {
    raft_snapshot_meta_t *s = malloc(sizeof(*s));
    if (!s) return;
    raft_msg_t *m = send_msg(r, RAFT_MSG_SNAPSHOT, p->id);
    if (!m) {
        free(s);
        return;
    }
    *s = r->snap;
    m->snapshot = s;
    m->index = s->index;
    m->log_term = s->term;
    progress_become_snapshot(p, s->index);
}

/* Sends p the entries it lacks from p->next on, or a snapshot when they are
 * compacted away. A follower in probe gets one message until it answers; in
 * replicate, messages stream while the in-flight window has room, each
 * batching entries up to the count and byte caps. */
bool send_append(raft_t *r, progress_t *p, bool send_if_empty) {
    if (p->id == r->id || p->state == RAFT_PROGRESS_SNAPSHOT) return false;
    if (p->state == RAFT_PROGRESS_PROBE && p->probe_sent) return false;
    if (p->state == RAFT_PROGRESS_REPLICATE && inflights_full(&p->inf, r->cfg.max_inflight_bytes))
        return false;
    uint64_t prev = p->next - 1, last = rlog_last_index(&r->log);
    if (prev < r->log.prev_index) {
        send_snapshot(r, p);
        return true;
    }
    uint64_t n = 0, bytes = 0;
    for (uint64_t i = p->next; i <= last && n < r->cfg.max_msg_entries; i++) {
        const raft_entry_t *e = rlog_at(&r->log, i);
        if (n > 0 && bytes + e->len > r->cfg.max_msg_bytes) break;
        n++;
        bytes += e->len;
    }
    if (n == 0 && !send_if_empty) return false;
    raft_msg_t *m = send_msg(r, RAFT_MSG_APPEND, p->id);
    if (!m) return false;
    m->index = prev;
    m->log_term = rlog_term(&r->log, prev);
    m->commit = r->commit;
    uint32_t queued = 0;
    for (uint64_t i = 0; i < n; i++)
        if (queue_entry(&r->msgs, rlog_at(&r->log, p->next + i))) queued++;
    /* The message may have moved if the queue grew: find it again. */
    m = &r->msgs.m[r->msgs.n - 1];
    m->n_entries = queued;
    if (queued < n) n = queued;
    if (p->state == RAFT_PROGRESS_REPLICATE && n > 0) {
        p->next += n;
        inflights_add(&p->inf, p->next - 1, bytes);
    } else if (p->state == RAFT_PROGRESS_PROBE) {
        p->probe_sent = true;
    }
    return true;
}

/* Streams to a follower in replicate state until it has everything or the
 * window is full; a probing follower gets its one message. */
void send_appends(raft_t *r, progress_t *p, bool send_if_empty) {
    if (!send_append(r, p, send_if_empty)) return;
    while (p->state == RAFT_PROGRESS_REPLICATE && p->next <= rlog_last_index(&r->log) &&
           send_append(r, p, false)) {
    }
}

/* Sends every follower what it lacks; used after the leader's log or commit
 * index moved. */
void bcast_append(raft_t *r, bool send_if_empty) {
    for (int i = 0; i < r->n_prs; i++)
        if (r->prs[i].id != r->id) send_appends(r, &r->prs[i], send_if_empty);
}

/* A heartbeat carries the commit index (capped by the follower's match, so it
 * never commits entries the follower has not matched) and the number of a
 * new round; answers to a round confirm the leadership for reads. */
void bcast_heartbeat(raft_t *r) {
    r->round++;
    r->round_tick[r->round % ROUND_RING] = r->ticks;
    r->round_needed = false;
    for (int i = 0; i < r->n_prs; i++) {
        progress_t *p = &r->prs[i];
        if (p->id == r->id) {
            p->round_acked = r->round;
            continue;
        }
        raft_msg_t *m = send_msg(r, RAFT_MSG_HEARTBEAT, p->id);
        if (!m) continue;
        m->commit = p->match < r->commit ? p->match : r->commit;
        m->ctx = r->round;
    }
    /* A lone voter confirms its own rounds. */
    reads_on_round_ack(r);
}
