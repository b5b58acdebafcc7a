/* Log replication (paper §5.3, thesis §3.5 and §10.2): the leader appends
 * and commits; followers check consistency, overwrite conflicting suffixes
 * and answer with hints that let the leader skip a whole term per round trip;
 * heartbeats and snapshots. */
#include <stdlib.h>
#include <string.h>

#include "raft_int.h"

/* Appends a core-owned entry to the leader's log in its term. A configuration
 * takes effect here, on append (thesis §4.1). Followers are sent the new
 * entries at the next ready, so everything proposed in one loop iteration
 * travels in one APPEND per follower. */
void leader_append(raft_t *r, uint8_t type, raft_entry_t *e) {
    e->term = r->term;
    e->index = rlog_last_index(&r->log) + 1;
    e->type = type;
    if (rlog_append(&r->log, e) != RAFT_OK) {
        entry_unref(e);
        return;
    }
    if (type == RAFT_ENTRY_CONF) {
        raft_conf_t c;
        if (raft_conf_decode(&c, e->data, e->len) == 0) apply_conf(r, &c, e->index);
    }
    r->bcast_pending = true;
}

static int cmp_desc(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Commits the highest index a quorum of voters holds, but only if it is of
 * the current term (§5.4.2, the Figure 8 rule): an older entry is committed
 * by the current-term entry after it. The leader's own log counts only as
 * far as it is durable (stable). */
bool maybe_commit(raft_t *r) {
    uint64_t m[RAFT_MAX_NODES];
    int n = 0;
    for (int i = 0; i < r->n_prs; i++) {
        progress_t *p = &r->prs[i];
        if (!p->voter) continue;
        m[n++] = p->id == r->id ? r->stable : p->match;
    }
    if (n == 0) return false;
    qsort(m, (size_t)n, sizeof(m[0]), cmp_desc);
    uint64_t q = m[quorum_size(r) - 1];
    if (q <= r->commit) return false;
    if (rlog_term(&r->log, q) != r->term && !FAULT(RAFT_FAULT_COMMIT_OLD_TERM)) return false;
    r->commit = q;
    r->bcast_pending = true;
    reads_on_commit(r);
    /* A leader that removed itself leaves once the removal is committed. */
    if (r->conf_index <= r->commit && !is_voter(r, r->id)) become_follower(r, r->term, 0);
    return true;
}

/* Takes back acknowledgements still waiting for durability (msgs_after)
 * that claim entries from `from` on: those entries were just replaced, so the
 * claim would never become true (the leader that sent them could count a
 * replica this node never stored). */
void withdraw_acks(raft_t *r, uint64_t from) {
    msgvec_t *v = &r->msgs_after;
    size_t keep = 0;
    for (size_t i = 0; i < v->n; i++) {
        const raft_msg_t *m = &v->m[i];
        if (m->type == RAFT_MSG_APPEND_RESP && !m->reject && m->index >= from) continue;
        v->m[keep++] = v->m[i]; /* APPEND_RESPs carry no entries: slices stay */
    }
    v->n = keep;
}

/* Drops our entries from index on (they conflict with the leader's): nothing
 * committed may go, and what is gone is neither durable nor in force. */
static void truncate_from(raft_t *r, uint64_t index) {
    withdraw_acks(r, index);
    rlog_truncate(&r->log, index);
    if (r->unstable_from > index) r->unstable_from = index;
    if (r->stable >= index) r->stable = index - 1;
    if (r->conf_index >= index) recompute_conf(r);
}

/* The largest index <= hint whose term is <= term: where the two logs could
 * match, so the next probe skips every entry of a conflicting term at once. */
static uint64_t find_conflict_by_term(const raft_t *r, uint64_t hint, uint64_t term) {
    uint64_t last = rlog_last_index(&r->log);
    if (hint > last) hint = last;
    while (hint > r->log.prev_index && rlog_term(&r->log, hint) > term) hint--;
    return hint;
}

static void reply_append(raft_t *r, uint64_t to, uint64_t index) {
    raft_msg_t *o = send_msg(r, RAFT_MSG_APPEND_RESP, to);
    if (o) o->index = index;
}

void handle_append(raft_t *r, const raft_msg_t *m) {
    r->election_elapsed = 0;
    r->leader = m->from;
    if (m->index < r->commit) {
        reply_append(r, m->from, r->commit);
        return;
    }
    if (m->index > rlog_last_index(&r->log) || rlog_term(&r->log, m->index) != m->log_term) {
        uint64_t hint = find_conflict_by_term(r, m->index, m->log_term);
        raft_msg_t *o = send_msg(r, RAFT_MSG_APPEND_RESP, m->from);
        if (!o) return;
        o->reject = true;
        o->index = m->index;
        o->reject_hint = hint;
        o->log_term = rlog_term(&r->log, hint);
        return;
    }
    uint32_t i = 0;
    for (; i < m->n_entries; i++) {
        const raft_entry_t *e = &m->entries[i];
        if (e->index > rlog_last_index(&r->log)) break;
        if (rlog_term(&r->log, e->index) != e->term) {
            if (e->index <= r->commit) return; /* never: a committed entry conflicts */
            truncate_from(r, e->index);
            break;
        }
    }
    for (; i < m->n_entries; i++) {
        raft_entry_t e;
        if (entry_copy(&e, &m->entries[i]) != RAFT_OK || rlog_append(&r->log, &e) != RAFT_OK) {
            entry_unref(&e);
            break;
        }
        if (e.type == RAFT_ENTRY_CONF) {
            raft_conf_t c;
            if (raft_conf_decode(&c, e.data, e.len) == 0) apply_conf(r, &c, e.index);
        }
    }
    uint64_t last_new = m->index + i;
    uint64_t c = m->commit < last_new ? m->commit : last_new;
    if (c > r->commit) r->commit = c;
    reply_append(r, m->from, last_new);
}

/* Sends TIMEOUT_NOW to the transfer target once it holds the whole log. */
void leader_check_transfer(raft_t *r, progress_t *p) {
    if (r->transferee != p->id || p->match != rlog_last_index(&r->log)) return;
    if (send_msg(r, RAFT_MSG_TIMEOUT_NOW, p->id)) r->lease_broken = true;
}

void handle_append_resp(raft_t *r, const raft_msg_t *m) {
    progress_t *p = progress_of(r, m->from);
    if (!p || p->id == r->id) return;
    p->recent_active = true;
    p->last_ack_tick = r->ticks;
    if (m->reject) {
        if (p->state == RAFT_PROGRESS_SNAPSHOT) {
            return; /* answers to what came before the snapshot: it is on its way */
        } else if (p->state == RAFT_PROGRESS_REPLICATE) {
            if (m->index <= p->match) return; /* stale */
        } else if (p->next - 1 != m->index) {
            return; /* an answer to an older probe */
        }
        uint64_t hint = m->log_term ? find_conflict_by_term(r, m->reject_hint, m->log_term) : m->reject_hint;
        uint64_t next = m->index < hint + 1 ? m->index : hint + 1;
        /* A follower that answers the probe right behind its match with a
         * hint below it has lost entries it had acknowledged (its disk was
         * wiped, or replaced): it holds only what the hint says, and probing
         * goes on from there (down to a snapshot if need be) instead of at
         * match + 1 forever. Lowering match never lowers the commit index;
         * it only stops counting this follower for entries it lacks. */
        if (p->state == RAFT_PROGRESS_PROBE && m->index == p->match && hint < p->match) p->match = hint;
        if (next < p->match + 1) next = p->match + 1;
        if (next < 1) next = 1;
        progress_become_probe(p);
        p->next = next;
        send_appends(r, p, true);
        return;
    }
    bool advanced = false;
    if (m->index > p->match) {
        p->match = m->index;
        advanced = true;
    }
    if (p->next < m->index + 1) p->next = m->index + 1;
    switch (p->state) {
    case RAFT_PROGRESS_PROBE:
        progress_become_replicate(p);
        break;
    case RAFT_PROGRESS_SNAPSHOT:
        if (p->match >= p->pending_snapshot) progress_become_replicate(p);
        break;
    case RAFT_PROGRESS_REPLICATE:
        inflights_free_to(&p->inf, m->index);
        break;
    }
    if (advanced) maybe_commit(r);
    if (r->role != RAFT_LEADER) return; /* it removed itself and stepped down */
    leader_check_transfer(r, p);
    send_appends(r, p, false);
}

void handle_heartbeat(raft_t *r, const raft_msg_t *m) {
    r->election_elapsed = 0;
    r->leader = m->from;
    uint64_t last = rlog_last_index(&r->log);
    uint64_t c = m->commit < last ? m->commit : last;
    if (c > r->commit) r->commit = c;
    raft_msg_t *o = send_msg(r, RAFT_MSG_HEARTBEAT_RESP, m->from);
    if (o) o->ctx = m->ctx;
}

void handle_heartbeat_resp(raft_t *r, const raft_msg_t *m) {
    progress_t *p = progress_of(r, m->from);
    if (!p || p->id == r->id) return;
    p->recent_active = true;
    p->last_ack_tick = r->ticks;
    p->probe_sent = false;
    /* Messages of a full window may be lost: let one more through so a
     * rejection can bring the follower back to probing. */
    if (p->state == RAFT_PROGRESS_REPLICATE && inflights_full(&p->inf, r->cfg.max_inflight_bytes))
        inflights_free_to(&p->inf, p->inf.index[p->inf.start]);
    if (m->ctx > p->round_acked && m->ctx <= r->round) {
        p->round_acked = m->ctx;
        reads_on_round_ack(r);
        if (r->role != RAFT_LEADER) return;
    }
    /* An APPEND may have been lost while the follower was in replicate
     * state: an APPEND at `next`, even empty, makes the follower reject it if
     * it lacks what came before, and the leader goes back to probing. A
     * follower in probe (after a new connection: it may have lost its log)
     * is probed even when it seemed to hold everything. */
    if (p->match < rlog_last_index(&r->log) || p->state == RAFT_PROGRESS_PROBE) send_appends(r, p, true);
}

/* A follower gets the leader's snapshot metadata once the application has
 * the data. An old snapshot (not beyond our commit) is refused; one our log
 * already agrees with only moves the commit index; otherwise the log is
 * replaced and the snapshot goes out in the next ready for installing. */
void handle_snapshot(raft_t *r, const raft_msg_t *m) {
    const raft_snapshot_meta_t *s = m->snapshot;
    r->election_elapsed = 0;
    r->leader = m->from;
    if (s->index <= r->commit) {
        reply_append(r, m->from, r->commit);
        return;
    }
    if (rlog_term(&r->log, s->index) == s->term) {
        r->commit = s->index;
        reply_append(r, m->from, s->index);
        return;
    }
    r->snap = *s;
    r->snap_pending = true;
    withdraw_acks(r, s->index + 1);
    rlog_reset(&r->log, s->index, s->term);
    r->commit = s->index;
    r->stable = 0;
    r->unstable_from = s->index + 1;
    /* Earlier readies wrote entries this snapshot wipes: their completion
     * must not count as durability of the new log. */
    r->persist_floor = r->ready_seq + 1;
    apply_conf(r, &s->conf, s->index);
    reply_append(r, m->from, s->index);
}
