/* The ready batch and the application's feedback: what to persist, send and
 * apply; what became durable or applied; compaction; status. See the
 * persistence contract in raft.h. */
#include <stdlib.h>
#include <string.h>

#include "raft_int.h"

/* Entries to apply: committed, durable here, and not behind a snapshot that
 * is still being installed. */
static uint64_t apply_limit(const raft_t *r) {
    if (r->snap_pending || r->snap_persisting) return r->applying;
    uint64_t hi = r->commit < r->stable ? r->commit : r->stable;
    uint64_t last = rlog_last_index(&r->log);
    return hi < last ? hi : last;
}

static bool hs_changed(const raft_t *r) { return r->term != r->prev_hs.term || r->vote != r->prev_hs.vote; }

static bool reads_releasable(const raft_t *r) {
    for (size_t i = 0; i < r->reads_apply.n; i++)
        if (r->reads_apply.r[i].index <= r->applied) return true;
    return false;
}

bool raft_has_ready(const raft_t *r) {
    if (r->msgs.n || r->msgs_after.n || r->snap_pending || hs_changed(r) || r->n_reads_out) return true;
    if (r->unstable_from <= rlog_last_index(&r->log)) return true;
    if (apply_limit(r) > r->applying) return true;
    if (r->role == RAFT_LEADER && (r->bcast_pending || r->round_needed)) return true;
    return reads_releasable(r);
}

/* Moves a message queue into the ready: each message gets its slice of the
 * queue's shared entry array. */
static void take_msgs(msgvec_t *v, raft_msg_t **m, size_t *n, raft_entry_t **ents, size_t *ne) {
    size_t off = 0;
    for (size_t i = 0; i < v->n; i++) {
        v->m[i].entries = v->m[i].n_entries ? v->ents + off : NULL;
        off += v->m[i].n_entries;
    }
    *m = v->n ? v->m : NULL;
    *n = v->n;
    *ents = v->ne ? v->ents : NULL;
    *ne = v->ne;
    if (!v->n) free(v->m);
    if (!v->ne) free(v->ents);
    memset(v, 0, sizeof(*v));
}

void raft_ready(raft_t *r, raft_ready_t *rd) {
    memset(rd, 0, sizeof(*rd));
    rd->seq_ = ++r->ready_seq;
    if (r->role == RAFT_LEADER) {
        reads_start_round(r);
        if (r->bcast_pending) {
            bool commit_moved = r->commit > r->commit_sent;
            bcast_append(r, commit_moved);
            r->commit_sent = r->commit;
            r->bcast_pending = false;
        }
    }
    if (r->snap_pending) {
        rd->has_snapshot = true;
        rd->snapshot = r->snap;
        r->snap_pending = false;
        r->snap_persisting = r->snap.index;
    }
    uint64_t last = rlog_last_index(&r->log);
    if (r->unstable_from <= r->log.prev_index) r->unstable_from = r->log.prev_index + 1;
    if (r->unstable_from <= last) {
        size_t n = (size_t)(last - r->unstable_from + 1);
        rd->entries = malloc(n * sizeof(*rd->entries));
        if (rd->entries) {
            for (size_t i = 0; i < n; i++) rd->entries[i] = entry_ref(rlog_at(&r->log, r->unstable_from + i));
            rd->n_entries = n;
            rd->persist_index_ = last;
            rd->persist_term_ = rlog_last_term(&r->log);
            r->unstable_from = last + 1;
        }
    }
    if (hs_changed(r)) {
        rd->hs_changed = true;
        r->prev_hs = (raft_hard_state_t){r->term, r->vote, r->commit};
    }
    rd->hs = (raft_hard_state_t){r->term, r->vote, r->commit};
    take_msgs(&r->msgs, &rd->msgs, &rd->n_msgs, &rd->msg_ents_, &rd->n_msg_ents_);
    take_msgs(&r->msgs_after, &rd->msgs_after, &rd->n_msgs_after, &rd->msg_ents_after_,
              &rd->n_msg_ents_after_);
    uint64_t hi = apply_limit(r);
    if (hi > r->applying) {
        size_t n = (size_t)(hi - r->applying);
        rd->committed = malloc(n * sizeof(*rd->committed));
        if (rd->committed) {
            for (size_t i = 0; i < n; i++) rd->committed[i] = entry_ref(rlog_at(&r->log, r->applying + 1 + i));
            rd->n_committed = n;
            r->applying = hi;
        }
    }
    reads_release_applied(r);
    if (r->n_reads_out) {
        rd->reads = r->reads_out;
        rd->n_reads = r->n_reads_out;
        r->reads_out = NULL;
        r->n_reads_out = r->cap_reads_out = 0;
    }
    rd->role = r->role;
    rd->leader = r->leader;
}

/* The ready's writes are durable: its entries count as stable if the log
 * still holds them (a later truncation or snapshot may have replaced them),
 * and a leader counts them toward its quorum. */
void raft_persisted(raft_t *r, const raft_ready_t *rd) {
    if (rd->has_snapshot && r->snap_persisting == rd->snapshot.index && !r->snap_pending) {
        r->snap_persisting = 0;
        if (r->stable < rd->snapshot.index) r->stable = rd->snapshot.index;
        if (r->applied < rd->snapshot.index) r->applied = rd->snapshot.index;
        if (r->applying < rd->snapshot.index) r->applying = rd->snapshot.index;
    }
    if (rd->n_entries && rd->seq_ >= r->persist_floor && rd->persist_index_ > r->stable &&
        rlog_term(&r->log, rd->persist_index_) == rd->persist_term_)
        r->stable = rd->persist_index_;
    if (r->role == RAFT_LEADER) {
        progress_t *self = progress_of(r, r->id);
        if (self) self->match = r->stable;
        maybe_commit(r);
    }
}

void raft_applied(raft_t *r, uint64_t index) {
    if (index <= r->applied) return;
    r->applied = index;
    if (r->applying < index) r->applying = index;
    if (r->commit < index) r->commit = index;
}

void raft_ready_free(raft_t *r, raft_ready_t *rd) {
    (void)r;
    for (size_t i = 0; i < rd->n_entries; i++) entry_unref(&rd->entries[i]);
    for (size_t i = 0; i < rd->n_committed; i++) entry_unref(&rd->committed[i]);
    for (size_t i = 0; i < rd->n_msg_ents_; i++) entry_unref(&rd->msg_ents_[i]);
    for (size_t i = 0; i < rd->n_msg_ents_after_; i++) entry_unref(&rd->msg_ents_after_[i]);
    for (size_t i = 0; i < rd->n_msgs; i++) free(rd->msgs[i].snapshot);
    for (size_t i = 0; i < rd->n_msgs_after; i++) free(rd->msgs_after[i].snapshot);
    free(rd->entries);
    free(rd->committed);
    free(rd->msgs);
    free(rd->msgs_after);
    free(rd->msg_ents_);
    free(rd->msg_ents_after_);
    free(rd->reads);
    memset(rd, 0, sizeof(*rd));
}

/* The configuration in force at index: the last configuration entry at or
 * before it, else the one in force at the log's compaction point. */
static void conf_at(const raft_t *r, uint64_t index, raft_conf_t *c) {
    for (uint64_t i = index; i > r->log.prev_index; i--) {
        const raft_entry_t *e = rlog_at(&r->log, i);
        if (e && e->type == RAFT_ENTRY_CONF && raft_conf_decode(c, e->data, e->len) == 0) return;
    }
    *c = r->snap.conf;
}

int raft_snapshot_meta(const raft_t *r, uint64_t index, raft_snapshot_meta_t *meta) {
    if (index == r->snap.index) {
        *meta = r->snap;
        return RAFT_OK;
    }
    if (index > r->applied || index < r->snap.index) return RAFT_EINVAL;
    meta->index = index;
    meta->term = rlog_term(&r->log, index);
    if (meta->term == 0) return RAFT_EINVAL;
    conf_at(r, index, &meta->conf);
    return RAFT_OK;
}

int raft_compact(raft_t *r, uint64_t index, uint64_t trailing, raft_snapshot_meta_t *meta) {
    if (index > r->applied || index > r->stable) return RAFT_EINVAL;
    if (index > r->snap.index) {
        uint64_t term = rlog_term(&r->log, index);
        if (term == 0) return RAFT_EINVAL;
        raft_snapshot_meta_t s;
        s.index = index;
        s.term = term;
        conf_at(r, index, &s.conf);
        r->snap = s;
    }
    if (index > trailing && index - trailing > r->log.prev_index) rlog_compact(&r->log, index - trailing);
    if (meta) *meta = r->snap;
    return RAFT_OK;
}

uint64_t raft_commit_index(const raft_t *r) { return r->commit; }

uint64_t raft_term_at(const raft_t *r, uint64_t index) {
    if (index == r->snap.index) return r->snap.term;
    return rlog_term(&r->log, index);
}

const raft_entry_t *raft_entry_at(const raft_t *r, uint64_t index) {
    return rlog_at(&r->log, index);
}

void raft_status(const raft_t *r, raft_status_t *st) {
    memset(st, 0, sizeof(*st));
    st->id = r->id;
    st->role = r->role;
    st->term = r->term;
    st->vote = r->vote;
    st->leader = r->leader;
    st->first_index = rlog_first_index(&r->log);
    st->last_index = rlog_last_index(&r->log);
    st->last_term = rlog_last_term(&r->log);
    st->commit = r->commit;
    st->applied = r->applied;
    st->stable = r->stable;
    st->snap_index = r->snap.index;
    st->snap_term = r->snap.term;
    st->transferee = r->transferee;
    st->conf_index = r->conf_index;
    st->conf = &r->conf;
    if (r->role != RAFT_LEADER) return;
    for (int i = 0; i < r->n_prs; i++) {
        const progress_t *p = &r->prs[i];
        raft_peer_status_t *ps = &st->peers[st->n_peers++];
        ps->id = p->id;
        ps->voter = p->voter;
        ps->match = p->id == r->id ? r->stable : p->match;
        ps->next = p->next;
        ps->state = p->state;
        ps->recent_active = p->id == r->id || p->recent_active;
        ps->ticks_since_ack = p->id == r->id ? 0 : r->ticks - p->last_ack_tick;
    }
}
