/* Linearizable reads without log writes (thesis §6.4): ReadIndex.
 *
 * A read arriving at the leader takes the commit index as its read index,
 * once the leader has committed an entry of its own term (before that the
 * commit index may be behind what earlier leaders acknowledged). It is
 * confirmed when a quorum has answered a heartbeat round sent after it
 * arrived: every read waiting shares the next round. A confirmed read is
 * handed to the application once this node has applied up to its index. A
 * follower forwards its reads to the leader and waits the same way for its
 * own apply. With lease reads the round is skipped while the leader's lease
 * (check-quorum) holds. */
#include <stdlib.h>
#include <string.h>

#include "raft_int.h"

static void push(readvec_t *v, pending_read_t pr) {
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        pending_read_t *n = realloc(v->r, cap * sizeof(*n));
        if (!n) return;
        v->r = n;
        v->cap = cap;
    }
    v->r[v->n++] = pr;
}

void read_out(raft_t *r, uint64_t index, uint64_t ctx, bool rejected) {
    if (r->n_reads_out == r->cap_reads_out) {
        size_t cap = r->cap_reads_out ? r->cap_reads_out * 2 : 16;
        raft_read_state_t *n = realloc(r->reads_out, cap * sizeof(*n));
        if (!n) return;
        r->reads_out = n;
        r->cap_reads_out = cap;
    }
    r->reads_out[r->n_reads_out++] = (raft_read_state_t){index, ctx, rejected};
}

/* A read whose leadership is confirmed: ours waits for our apply, a
 * follower's gets its index back. */
static void confirm(raft_t *r, const pending_read_t *pr) {
    if (pr->from == 0 || pr->from == r->id) {
        push(&r->reads_apply, (pending_read_t){pr->ctx, 0, pr->index, 0, 0});
        return;
    }
    raft_msg_t *m = send_msg(r, RAFT_MSG_READ_INDEX_RESP, pr->from);
    if (m) m->index = pr->index, m->ctx = pr->ctx;
}

static void reject(raft_t *r, const pending_read_t *pr) {
    if (pr->from == 0 || pr->from == r->id) {
        read_out(r, 0, pr->ctx, true);
        return;
    }
    raft_msg_t *m = send_msg(r, RAFT_MSG_READ_INDEX_RESP, pr->from);
    if (m) m->reject = true, m->ctx = pr->ctx;
}

static bool committed_in_term(const raft_t *r) { return rlog_term(&r->log, r->commit) == r->term; }

/* The lease holds while a quorum answered a heartbeat round sent less than
 * an election timeout ago (minus a tick of margin): within that time no
 * voter of that quorum grants a vote to anyone else (in_lease in raft.c). */
static bool lease_valid(const raft_t *r) {
    /* After a TIMEOUT_NOW the target may win votes inside our lease. */
    if (!r->cfg.lease_reads || r->lease_broken) return false;
    int ok = 0;
    for (int i = 0; i < r->n_prs; i++) {
        const progress_t *p = &r->prs[i];
        if (!p->voter) continue;
        if (p->id == r->id) {
            ok++;
            continue;
        }
        if (p->round_acked == 0 || r->round - p->round_acked >= ROUND_RING) continue;
        uint64_t sent = r->round_tick[p->round_acked % ROUND_RING];
        if (sent + (uint64_t)r->cfg.election_ticks > r->ticks + 1) ok++;
    }
    return ok >= quorum_size(r);
}

/* A read on the leader, from this node (from == 0) or a follower. A node
 * outside the configuration is refused: it gets no entries from us, so it
 * could never apply up to the read's index. */
void read_request(raft_t *r, uint64_t ctx, uint64_t from) {
    pending_read_t pr = {ctx, from, r->commit, 0, 0};
    if (from && from != r->id && !progress_of(r, from)) {
        reject(r, &pr);
        return;
    }
    if (FAULT(RAFT_FAULT_READ_NO_QUORUM)) {
        confirm(r, &pr);
        return;
    }
    if (!committed_in_term(r)) {
        pr.index = 0; /* assigned when the no-op commits */
        push(&r->reads_leader, pr);
        return;
    }
    if (lease_valid(r)) {
        confirm(r, &pr);
        return;
    }
    if (quorum_size(r) == 1 && is_voter(r, r->id)) {
        confirm(r, &pr);
        return;
    }
    pr.round = r->round + 1;
    r->round_needed = true;
    push(&r->reads_leader, pr);
}

int raft_read_index(raft_t *r, uint64_t ctx) {
    if (r->role == RAFT_LEADER) {
        read_request(r, ctx, 0);
        return RAFT_OK;
    }
    if (r->leader == 0) {
        read_out(r, 0, ctx, true);
        return RAFT_ENOTLEADER;
    }
    raft_msg_t *m = send_msg(r, RAFT_MSG_READ_INDEX, r->leader);
    if (!m) return RAFT_ENOMEM;
    m->ctx = ctx;
    push(&r->reads_fwd, (pending_read_t){ctx, r->leader, 0, 0, r->ticks});
    return RAFT_OK;
}

/* The leader's first commit in its term gives waiting reads their index. */
void reads_on_commit(raft_t *r) {
    if (!committed_in_term(r)) return;
    for (size_t i = 0; i < r->reads_leader.n; i++) {
        pending_read_t *pr = &r->reads_leader.r[i];
        if (pr->round == 0) {
            pr->index = r->commit;
            pr->round = r->round + 1;
            r->round_needed = true;
        }
    }
}

/* Confirms every read whose round a quorum of voters has answered. */
void reads_on_round_ack(raft_t *r) {
    if (r->reads_leader.n == 0) return;
    uint64_t acked[RAFT_MAX_NODES];
    int n = 0;
    for (int i = 0; i < r->n_prs; i++)
        if (r->prs[i].voter) acked[n++] = r->prs[i].id == r->id ? r->round : r->prs[i].round_acked;
    int q = quorum_size(r);
    if (n < q) return;
    /* the q-th highest acknowledged round */
    for (int i = 0; i < q; i++)
        for (int j = i + 1; j < n; j++)
            if (acked[j] > acked[i]) {
                uint64_t t = acked[i];
                acked[i] = acked[j];
                acked[j] = t;
            }
    uint64_t round = acked[q - 1];
    size_t keep = 0;
    for (size_t i = 0; i < r->reads_leader.n; i++) {
        pending_read_t pr = r->reads_leader.r[i];
        if (pr.round != 0 && pr.round <= round)
            confirm(r, &pr);
        else
            r->reads_leader.r[keep++] = pr;
    }
    r->reads_leader.n = keep;
}

void reads_start_round(raft_t *r) {
    if (r->role == RAFT_LEADER && r->round_needed) bcast_heartbeat(r);
}

/* The leadership was lost or changed: reads that were not confirmed cannot
 * be any more; the application retries them. Confirmed ones stay valid. */
void reads_fail_all(raft_t *r) {
    for (size_t i = 0; i < r->reads_leader.n; i++) reject(r, &r->reads_leader.r[i]);
    r->reads_leader.n = 0;
    for (size_t i = 0; i < r->reads_fwd.n; i++) read_out(r, 0, r->reads_fwd.r[i].ctx, true);
    r->reads_fwd.n = 0;
    r->round_needed = false;
}

void reads_fwd_resp(raft_t *r, const raft_msg_t *m) {
    for (size_t i = 0; i < r->reads_fwd.n; i++) {
        if (r->reads_fwd.r[i].ctx != m->ctx || r->reads_fwd.r[i].from != m->from) continue;
        if (m->reject)
            read_out(r, 0, m->ctx, true);
        else /* waits for our apply, which a cut-off follower may never do */
            push(&r->reads_apply, (pending_read_t){m->ctx, 0, m->index, 0, r->ticks});
        r->reads_fwd.r[i] = r->reads_fwd.r[--r->reads_fwd.n];
        return;
    }
}

static void expire(raft_t *r, readvec_t *v, bool all) {
    size_t keep = 0;
    for (size_t i = 0; i < v->n; i++) {
        pending_read_t pr = v->r[i];
        if ((all || pr.tick) && r->ticks - pr.tick >= (uint64_t)r->cfg.election_ticks)
            read_out(r, 0, pr.ctx, true);
        else
            v->r[keep++] = pr;
    }
    v->n = keep;
}

/* A forwarded read that got no answer within an election timeout is
 * rejected (its READ_INDEX or the answer was lost), and so is one the leader
 * confirmed that this follower has not applied up to within an election
 * timeout after (it may be cut off, or removed without knowing it). The
 * application retries; a late answer finds nothing and is ignored. */
void reads_fwd_expire(raft_t *r) {
    expire(r, &r->reads_fwd, true);
    expire(r, &r->reads_apply, false);
}

/* Hands out confirmed reads whose index this node has applied. */
void reads_release_applied(raft_t *r) {
    size_t keep = 0;
    for (size_t i = 0; i < r->reads_apply.n; i++) {
        pending_read_t pr = r->reads_apply.r[i];
        if (pr.index <= r->applied)
            read_out(r, pr.index, pr.ctx, false);
        else
            r->reads_apply.r[keep++] = pr;
    }
    r->reads_apply.n = keep;
}
