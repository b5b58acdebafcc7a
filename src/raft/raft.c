/* The Raft core's roles and elections: creating and restoring a node, the
 * tick, message dispatch by term, pre-vote and vote, check-quorum,
 * leadership transfer, proposals and membership changes. Replication is in
 * replication.c, reads in read.c, the ready batch in ready.c. */
#include <stdlib.h>
#include <string.h>

#include "raft_int.h"

#ifdef RAFT_FAULTS
int raft_fault;
#endif

static void campaign(raft_t *r, bool pre, bool transfer);

void raft_config_default(raft_config_t *cfg, uint64_t id) {
    memset(cfg, 0, sizeof(*cfg));
    cfg->id = id;
    cfg->election_ticks = 10;
    cfg->heartbeat_ticks = 1;
    cfg->pre_vote = true;
    cfg->check_quorum = true;
    cfg->max_msg_entries = 64;
    cfg->max_msg_bytes = 1 << 20;
    cfg->max_inflight_msgs = 256;
    cfg->max_inflight_bytes = 16u << 20;
    cfg->max_entry_bytes = 512u << 20;
    cfg->rand_seed = id;
}

/* splitmix64: the fallback generator, so that a seed alone replays a run. */
uint64_t raft_rand(raft_t *r) {
    if (r->cfg.rand) return r->cfg.rand(r->cfg.rand_arg);
    uint64_t z = (r->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

raft_t *raft_new(const raft_config_t *cfg) {
    if (!cfg || cfg->id == 0 || cfg->election_ticks < 2 || cfg->heartbeat_ticks < 1 ||
        cfg->heartbeat_ticks >= cfg->election_ticks || cfg->max_inflight_msgs == 0)
        return NULL;
    raft_t *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    r->cfg = *cfg;
    if (r->cfg.max_msg_entries == 0) r->cfg.max_msg_entries = 1;
    if (r->cfg.lease_reads && !r->cfg.check_quorum) r->cfg.lease_reads = false;
    r->id = cfg->id;
    r->rng = cfg->rand_seed;
    rlog_init(&r->log);
    r->unstable_from = 1;
    r->role = RAFT_FOLLOWER;
    reset_randomized_timeout(r);
    return r;
}

static void free_msgvec(msgvec_t *v) {
    for (size_t i = 0; i < v->ne; i++) entry_unref(&v->ents[i]);
    for (size_t i = 0; i < v->n; i++) free(v->m[i].snapshot);
    free(v->m);
    free(v->ents);
}

void raft_free(raft_t *r) {
    if (!r) return;
    rlog_free(&r->log);
    for (int i = 0; i < r->n_prs; i++) inflights_free(&r->prs[i].inf);
    free_msgvec(&r->msgs);
    free_msgvec(&r->msgs_after);
    free(r->reads_leader.r);
    free(r->reads_apply.r);
    free(r->reads_fwd.r);
    free(r->reads_out);
    free(r);
}

int raft_restore(raft_t *r, const raft_hard_state_t *hs, const raft_snapshot_meta_t *snap,
                 const raft_entry_t *entries, size_t n) {
    if (rlog_last_index(&r->log) != 0 || r->snap.index != 0 || r->term != 0) return RAFT_EINVAL;
    if (snap) r->snap = *snap;
    rlog_reset(&r->log, r->snap.index, r->snap.term);
    for (size_t i = 0; i < n; i++) {
        if (entries[i].index != r->snap.index + 1 + i || entries[i].term < rlog_last_term(&r->log))
            return RAFT_EINVAL;
        raft_entry_t e;
        if (entry_copy(&e, &entries[i]) != RAFT_OK) return RAFT_ENOMEM;
        rlog_append(&r->log, &e);
    }
    uint64_t last = rlog_last_index(&r->log);
    if (hs) {
        r->term = hs->term;
        r->vote = hs->vote;
        r->commit = hs->commit < last ? hs->commit : last;
    }
    if (r->term < rlog_last_term(&r->log)) return RAFT_EINVAL;
    if (r->commit < r->snap.index) r->commit = r->snap.index;
    r->applied = r->applying = r->snap.index;
    r->stable = last;
    r->unstable_from = last + 1;
    r->prev_hs = (raft_hard_state_t){r->term, r->vote, r->commit};
    /* Before the restart this voter may have acknowledged a heartbeat that
     * gave a leader its lease; it forgot that, so with lease reads (set alike
     * on every node) it keeps the promise behind the lease by ignoring vote
     * requests for one election timeout. */
    if (r->term > 0 && r->cfg.lease_reads) r->quiet_until = r->ticks + (uint64_t)r->cfg.election_ticks;
    recompute_conf(r);
    return RAFT_OK;
}

int raft_bootstrap(raft_t *r, const raft_conf_t *conf) {
    raft_snapshot_meta_t s;
    memset(&s, 0, sizeof(s));
    s.conf = *conf;
    return raft_restore(r, NULL, &s, NULL, 0);
}

/* ---- configuration and progress ----------------------------------------- */

bool is_voter(const raft_t *r, uint64_t id) {
    const raft_member_t *m = raft_conf_find(&r->conf, id);
    return m && m->voter;
}

int quorum_size(const raft_t *r) { return raft_conf_voters(&r->conf) / 2 + 1; }

progress_t *progress_of(raft_t *r, uint64_t id) {
    for (int i = 0; i < r->n_prs; i++)
        if (r->prs[i].id == id) return &r->prs[i];
    return NULL;
}

/* Makes c the configuration in force (set by the entry at index, 0 for a
 * snapshot's), keeping the progress of members that stay: it takes effect
 * on append, so a leader starts replicating to a new learner at once. */
void apply_conf(raft_t *r, const raft_conf_t *c, uint64_t index) {
    progress_t old[RAFT_MAX_NODES];
    int n_old = r->n_prs;
    memcpy(old, r->prs, sizeof(old));
    r->conf = *c;
    r->conf_index = index;
    r->n_prs = 0;
    for (int i = 0; i < c->n; i++) {
        progress_t *p = &r->prs[r->n_prs];
        int found = -1;
        for (int j = 0; j < n_old; j++)
            if (old[j].id == c->m[i].id) found = j;
        if (found >= 0) {
            *p = old[found];
            old[found].id = 0;
        } else {
            memset(p, 0, sizeof(*p));
            p->id = c->m[i].id;
            p->next = rlog_last_index(&r->log) + 1;
            p->state = RAFT_PROGRESS_PROBE;
            p->recent_active = true;
            p->last_ack_tick = r->ticks;
            if (inflights_init(&p->inf, r->cfg.max_inflight_msgs) != RAFT_OK) continue;
        }
        p->voter = c->m[i].voter;
        r->n_prs++;
    }
    for (int j = 0; j < n_old; j++)
        if (old[j].id) inflights_free(&old[j].inf);
    if (r->transferee && !is_voter(r, r->transferee)) r->transferee = 0;
}

/* Finds the configuration the log says is in force: the last configuration
 * entry, else the snapshot's. Called after the log was restored or a
 * conflicting suffix (maybe holding a configuration) was cut off. */
void recompute_conf(raft_t *r) {
    raft_conf_t c;
    for (uint64_t i = rlog_last_index(&r->log); i > r->log.prev_index; i--) {
        const raft_entry_t *e = rlog_at(&r->log, i);
        if (e->type == RAFT_ENTRY_CONF && raft_conf_decode(&c, e->data, e->len) == 0) {
            if (r->conf_index != i || memcmp(&c, &r->conf, sizeof(c)) != 0) apply_conf(r, &c, i);
            return;
        }
    }
    apply_conf(r, &r->snap.conf, 0);
}

/* ---- roles ---------------------------------------------------------------- */

void reset_randomized_timeout(raft_t *r) {
    int e = r->cfg.election_ticks, max = r->cfg.election_ticks_max > e ? r->cfg.election_ticks_max : 2 * e;
    r->randomized_timeout = e + (int)(raft_rand(r) % (uint64_t)(max - e));
}

static void reset_term(raft_t *r, uint64_t term) {
    if (r->term != term) {
        r->term = term;
        r->vote = 0;
        r->lease_broken = false;
    }
    r->leader = 0;
    r->election_elapsed = 0;
    r->heartbeat_elapsed = 0;
    r->transferee = 0;
    r->n_votes = 0;
    reset_randomized_timeout(r);
}

/* Leaving leadership, or a new leader or term seen by a follower, fails
 * every read the old leader could no longer confirm (a forwarded read may
 * have been dropped by a leader that moved to a newer term). */
void become_follower(raft_t *r, uint64_t term, uint64_t leader) {
    bool was_leader = r->role == RAFT_LEADER;
    uint64_t old_leader = r->leader, old_term = r->term;
    reset_term(r, term);
    r->role = RAFT_FOLLOWER;
    r->leader = leader;
    if (was_leader || old_leader != leader || old_term != term) reads_fail_all(r);
}

static void become_leader(raft_t *r) {
    reset_term(r, r->term);
    r->role = RAFT_LEADER;
    r->leader = r->id;
    uint64_t last = rlog_last_index(&r->log);
    for (int i = 0; i < r->n_prs; i++) {
        progress_t *p = &r->prs[i];
        p->match = p->id == r->id ? r->stable : 0;
        p->next = last + 1;
        p->recent_active = true;
        p->last_ack_tick = r->ticks;
        p->round_acked = 0;
        progress_become_probe(p);
        p->next = last + 1;
    }
    r->round = 0;
    r->round_needed = false;
    /* The no-op of thesis §6.4: commits the previous terms' entries and lets
     * reads be served. */
    raft_entry_t e = {.type = RAFT_ENTRY_NOOP};
    leader_append(r, RAFT_ENTRY_NOOP, &e);
}

static int count_votes(const raft_t *r, bool granted) {
    int n = 0;
    for (int i = 0; i < r->n_votes; i++)
        if ((r->vote_granted[i] > 0) == granted && is_voter(r, r->vote_ids[i])) n++;
    return n;
}

static void record_vote(raft_t *r, uint64_t from, bool granted) {
    for (int i = 0; i < r->n_votes; i++)
        if (r->vote_ids[i] == from) return;
    if (r->n_votes >= RAFT_MAX_NODES) return;
    r->vote_ids[r->n_votes] = from;
    r->vote_granted[r->n_votes++] = granted ? 1 : -1;
}

/* Checks the tally: enough grants win (the pre-vote phase then runs the real
 * election), enough refusals lose. */
static void tally(raft_t *r) {
    int q = quorum_size(r);
    if (count_votes(r, true) >= q) {
        if (r->role == RAFT_PRE_CANDIDATE)
            campaign(r, false, false);
        else
            become_leader(r);
    } else if (count_votes(r, false) >= q) {
        become_follower(r, r->term, 0);
    }
}

/* Starts a pre-vote (pre: the term does not change yet) or an election. A
 * vote request waits for the candidate's own term and vote to be durable
 * (msgs_after): a vote counted before it was persisted could be given twice. */
static void campaign(raft_t *r, bool pre, bool transfer) {
    if (!is_voter(r, r->id)) return;
    uint64_t term;
    if (pre) {
        reset_term(r, r->term);
        r->role = RAFT_PRE_CANDIDATE;
        term = r->term + 1;
    } else {
        reset_term(r, r->term + 1);
        r->role = RAFT_CANDIDATE;
        r->vote = r->id;
        term = r->term;
    }
    reads_fail_all(r);
    record_vote(r, r->id, true);
    for (int i = 0; i < r->conf.n; i++) {
        const raft_member_t *mb = &r->conf.m[i];
        if (!mb->voter || mb->id == r->id) continue;
        raft_msg_t *m = send_msg(r, pre ? RAFT_MSG_PREVOTE : RAFT_MSG_VOTE, mb->id);
        if (!m) continue;
        m->term = term;
        m->index = rlog_last_index(&r->log);
        m->log_term = rlog_last_term(&r->log);
        m->transfer = transfer;
    }
    tally(r);
}

int raft_campaign(raft_t *r) {
    if (r->role == RAFT_LEADER) return RAFT_OK;
    if (!is_voter(r, r->id)) return RAFT_EINVAL;
    campaign(r, false, false);
    return RAFT_OK;
}

/* We heard from a leader less than an election timeout ago. */
static bool leader_heard(const raft_t *r) {
    return r->leader != 0 && r->election_elapsed < r->cfg.election_ticks;
}

/* Within a leader lease (check-quorum: we heard from a leader less than an
 * election timeout ago, or restarted less than one ago) a vote request is
 * ignored, so a node that was cut off cannot depose a healthy leader (thesis
 * §4.2.3) and a lease the leader counts on holds. */
static bool in_lease(const raft_t *r) {
    return r->cfg.check_quorum && (leader_heard(r) || r->ticks < r->quiet_until);
}

static bool log_up_to_date(const raft_t *r, uint64_t last_term, uint64_t last_index) {
    uint64_t lt = rlog_last_term(&r->log);
    return last_term > lt || (last_term == lt && last_index >= rlog_last_index(&r->log));
}

static void handle_vote(raft_t *r, const raft_msg_t *m) {
    bool pre = m->type == RAFT_MSG_PREVOTE;
    bool can = r->vote == m->from || (r->vote == 0 && r->leader == 0) || (pre && m->term > r->term) ||
               FAULT(RAFT_FAULT_DOUBLE_VOTE);
    /* Thesis §9.6: no pre-vote while a leader is heard from, so pre-vote on
     * its own (without check-quorum) keeps a rejoining node from deposing it. */
    if (pre && leader_heard(r)) can = false;
    /* Two pre-candidates with the same log would grant each other, both
     * stand, and split the real vote: a whole election timeout lost. The one
     * with the higher id yields, so the lower one wins at once. */
    if (pre && r->role == RAFT_PRE_CANDIDATE && m->from > r->id && m->log_term == rlog_last_term(&r->log) &&
        m->index == rlog_last_index(&r->log))
        can = false;
    bool grant = can && log_up_to_date(r, m->log_term, m->index) && is_voter(r, m->from);
    raft_msg_t *o = send_msg(r, pre ? RAFT_MSG_PREVOTE_RESP : RAFT_MSG_VOTE_RESP, m->from);
    if (!o) return;
    o->reject = !grant;
    /* A granted pre-vote answers in the proposed term; a refusal in ours, so
     * a pre-candidate from an old term catches up. */
    o->term = grant && pre ? m->term : r->term;
    if (grant && !pre) {
        r->vote = m->from;
        r->election_elapsed = 0;
    }
}

static void handle_vote_resp(raft_t *r, const raft_msg_t *m) {
    if ((m->type == RAFT_MSG_PREVOTE_RESP) != (r->role == RAFT_PRE_CANDIDATE)) return;
    if (r->role != RAFT_PRE_CANDIDATE && r->role != RAFT_CANDIDATE) return;
    record_vote(r, m->from, !m->reject);
    tally(r);
}

static void handle_timeout_now(raft_t *r, const raft_msg_t *m) {
    (void)m;
    if (r->role != RAFT_LEADER && is_voter(r, r->id)) campaign(r, false, true);
}

/* ---- tick ------------------------------------------------------------------ */

/* check-quorum: a leader that has not heard from a quorum during the last
 * election timeout steps down, so a partitioned leader stops serving. */
static bool leader_check_quorum(raft_t *r) {
    int active = 0;
    for (int i = 0; i < r->n_prs; i++) {
        progress_t *p = &r->prs[i];
        if (p->voter && (p->id == r->id || p->recent_active)) active++;
        if (p->id != r->id) p->recent_active = false;
    }
    return active >= quorum_size(r);
}

void raft_tick(raft_t *r) {
    r->ticks++;
    r->election_elapsed++;
    if (r->role != RAFT_LEADER) {
        reads_fwd_expire(r);
        if (r->election_elapsed >= r->randomized_timeout && is_voter(r, r->id)) {
            r->election_elapsed = 0;
            campaign(r, r->cfg.pre_vote, false);
        }
        return;
    }
    if (r->election_elapsed >= r->cfg.election_ticks) {
        r->election_elapsed = 0;
        if (r->cfg.check_quorum && !leader_check_quorum(r)) {
            become_follower(r, r->term, 0);
            return;
        }
        r->transferee = 0; /* a transfer not done within an election timeout is abandoned */
    }
    if (++r->heartbeat_elapsed >= r->cfg.heartbeat_ticks) {
        r->heartbeat_elapsed = 0;
        bcast_heartbeat(r);
    }
}

/* ---- step ------------------------------------------------------------------ */

/* Whether id was removed by a committed configuration. The configuration in
 * force may not be committed yet; then the removal it adds (the last one of
 * the list, which only grows) may still be cut from the log, and the node it
 * names may lead the term that cuts it, so its messages must get through.
 * Every earlier removal was committed before this entry was appended (one
 * change at a time). */
static bool removed_id(const raft_t *r, uint64_t id) {
    int n = r->conf.n_removed;
    if (r->conf_index > r->commit && n > 0) n--;
    for (int i = 0; i < n; i++)
        if (r->conf.removed[i] == id) return true;
    return false;
}

bool raft_msg_valid(const raft_msg_t *m) {
    if (!m || m->type < RAFT_MSG_PREVOTE || m->type >= RAFT_MSG_TYPE_MAX || m->from == 0) return false;
    if (m->n_entries > 0 && (m->type != RAFT_MSG_APPEND || !m->entries)) return false;
    if (m->type == RAFT_MSG_SNAPSHOT && !m->snapshot) return false;
    for (uint32_t i = 0; i < m->n_entries; i++) {
        const raft_entry_t *e = &m->entries[i];
        if (e->index != m->index + 1 + i || e->term > m->term || e->type > RAFT_ENTRY_CONF) return false;
        if (e->term < (i ? m->entries[i - 1].term : m->log_term)) return false;
        if (e->len && !e->data) return false;
    }
    return true;
}

int raft_step(raft_t *r, const raft_msg_t *m) {
    if (!raft_msg_valid(m) || m->to != r->id) return RAFT_EINVAL;
    if (removed_id(r, m->from)) return RAFT_OK;
    bool vote_req = m->type == RAFT_MSG_VOTE || m->type == RAFT_MSG_PREVOTE;
    /* A vote request from outside our configuration must not change our term
     * (a removed or unknown node would depose the leader). A real new member
     * is in the configuration of the quorum that added it, which elects. */
    if (vote_req && !raft_conf_find(&r->conf, m->from)) return RAFT_OK;
    if (m->term > r->term) {
        if (vote_req && !m->transfer && in_lease(r)) return RAFT_OK;
        if (m->type == RAFT_MSG_PREVOTE || (m->type == RAFT_MSG_PREVOTE_RESP && !m->reject)) {
            /* pre-votes do not change terms */
        } else if (m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT ||
                   m->type == RAFT_MSG_SNAPSHOT) {
            become_follower(r, m->term, m->from);
        } else {
            become_follower(r, m->term, 0);
        }
    } else if (m->term < r->term) {
        if (m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT) {
            /* A stale leader learns our term and steps down. */
            raft_msg_t *o = send_msg(r, RAFT_MSG_APPEND_RESP, m->from);
            if (o) o->index = 0, o->reject = false;
        } else if (m->type == RAFT_MSG_PREVOTE) {
            raft_msg_t *o = send_msg(r, RAFT_MSG_PREVOTE_RESP, m->from);
            if (o) o->reject = true;
        } else if (m->type == RAFT_MSG_READ_INDEX) {
            /* The asker learns our term and its read is not left hanging. */
            raft_msg_t *o = send_msg(r, RAFT_MSG_READ_INDEX_RESP, m->from);
            if (o) o->reject = true, o->ctx = m->ctx;
        }
        return RAFT_OK;
    }

    switch (m->type) {
    case RAFT_MSG_PREVOTE:
    case RAFT_MSG_VOTE:
        handle_vote(r, m);
        break;
    case RAFT_MSG_PREVOTE_RESP:
    case RAFT_MSG_VOTE_RESP:
        handle_vote_resp(r, m);
        break;
    case RAFT_MSG_APPEND:
        if (r->role != RAFT_FOLLOWER) become_follower(r, r->term, m->from);
        handle_append(r, m);
        break;
    case RAFT_MSG_HEARTBEAT:
        if (r->role != RAFT_FOLLOWER) become_follower(r, r->term, m->from);
        handle_heartbeat(r, m);
        break;
    case RAFT_MSG_SNAPSHOT:
        if (r->role != RAFT_FOLLOWER) become_follower(r, r->term, m->from);
        handle_snapshot(r, m);
        break;
    case RAFT_MSG_APPEND_RESP:
        if (r->role == RAFT_LEADER) handle_append_resp(r, m);
        break;
    case RAFT_MSG_HEARTBEAT_RESP:
        if (r->role == RAFT_LEADER) handle_heartbeat_resp(r, m);
        break;
    case RAFT_MSG_TIMEOUT_NOW:
        handle_timeout_now(r, m);
        break;
    case RAFT_MSG_READ_INDEX:
        if (r->role == RAFT_LEADER) {
            read_request(r, m->ctx, m->from);
        } else {
            raft_msg_t *o = send_msg(r, RAFT_MSG_READ_INDEX_RESP, m->from);
            if (o) o->reject = true, o->ctx = m->ctx;
        }
        break;
    case RAFT_MSG_READ_INDEX_RESP:
        reads_fwd_resp(r, m);
        break;
    }
    return RAFT_OK;
}

/* ---- proposals ------------------------------------------------------------- */

int raft_propose(raft_t *r, const void *data, size_t len, uint64_t *index) {
    if (r->role != RAFT_LEADER) return RAFT_ENOTLEADER;
    if (r->transferee) return RAFT_EBUSY;
    if (len > r->cfg.max_entry_bytes || len > UINT32_MAX) return RAFT_ETOOBIG;
    raft_entry_t src = {.type = RAFT_ENTRY_NORMAL, .len = (uint32_t)len, .data = data}, e;
    if (entry_copy(&e, &src) != RAFT_OK) return RAFT_ENOMEM;
    leader_append(r, RAFT_ENTRY_NORMAL, &e);
    if (index) *index = rlog_last_index(&r->log);
    return RAFT_OK;
}

int raft_propose_conf(raft_t *r, raft_conf_op_t op, uint64_t id, const char *addr, uint64_t *index) {
    if (r->role != RAFT_LEADER) return RAFT_ENOTLEADER;
    if (r->transferee || r->conf_index > r->commit) return RAFT_EBUSY;
    /* Not before an entry of this term is committed: a configuration left
     * uncommitted by an earlier leader could otherwise commit later alongside
     * ours, two single-server changes apart (Ongaro, raft-dev 2015). */
    if (rlog_term(&r->log, r->commit) != r->term) return RAFT_EBUSY;
    if (id == 0) return RAFT_EINVAL;
    raft_conf_t c = r->conf;
    raft_member_t *mb = NULL;
    for (int i = 0; i < c.n; i++)
        if (c.m[i].id == id) mb = &c.m[i];
    switch (op) {
    case RAFT_CONF_ADD_LEARNER:
        if (removed_id(r, id)) return RAFT_EREMOVED;
        if (mb || c.n >= RAFT_MAX_NODES) return RAFT_EINVAL;
        mb = &c.m[c.n++];
        memset(mb, 0, sizeof(*mb));
        mb->id = id;
        if (addr) strncpy(mb->addr, addr, RAFT_ADDR_MAX - 1);
        break;
    case RAFT_CONF_PROMOTE:
        if (!mb || mb->voter) return RAFT_EINVAL;
        mb->voter = true;
        break;
    case RAFT_CONF_REMOVE:
        if (!mb) return removed_id(r, id) ? RAFT_EREMOVED : RAFT_EINVAL;
        if (mb->voter && raft_conf_voters(&c) == 1) return RAFT_ELASTVOTER;
        if (c.n_removed >= RAFT_MAX_REMOVED) return RAFT_EINVAL;
        c.removed[c.n_removed++] = id;
        *mb = c.m[--c.n];
        break;
    default:
        return RAFT_EINVAL;
    }
    char buf[4096];
    size_t len = raft_conf_encode(&c, buf, sizeof(buf));
    if (len == 0) return RAFT_EINVAL;
    raft_entry_t src = {.type = RAFT_ENTRY_CONF, .len = (uint32_t)len, .data = buf}, e;
    if (entry_copy(&e, &src) != RAFT_OK) return RAFT_ENOMEM;
    leader_append(r, RAFT_ENTRY_CONF, &e);
    if (index) *index = rlog_last_index(&r->log);
    return RAFT_OK;
}

int raft_transfer_leader(raft_t *r, uint64_t to) {
    if (r->role != RAFT_LEADER) return RAFT_ENOTLEADER;
    if (to == r->id || !is_voter(r, to)) return RAFT_EINVAL;
    if (r->transferee == to) return RAFT_OK;
    r->transferee = to;
    r->election_elapsed = 0; /* the transfer must finish within an election timeout */
    progress_t *p = progress_of(r, to);
    if (p) {
        leader_check_transfer(r, p);
        if (r->transferee) send_appends(r, p, false);
    }
    return RAFT_OK;
}

void raft_report_unreachable(raft_t *r, uint64_t to) {
    progress_t *p = r->role == RAFT_LEADER ? progress_of(r, to) : NULL;
    if (p && p->state == RAFT_PROGRESS_REPLICATE) progress_become_probe(p);
}

void raft_report_snapshot(raft_t *r, uint64_t to, bool ok) {
    progress_t *p = r->role == RAFT_LEADER ? progress_of(r, to) : NULL;
    if (!p || p->state != RAFT_PROGRESS_SNAPSHOT) return;
    if (!ok) p->pending_snapshot = 0;
    progress_become_probe(p);
    /* Wait for the next heartbeat's answer before probing again. */
    p->probe_sent = true;
}

const char *raft_role_name(raft_role_t role) {
    switch (role) {
    case RAFT_FOLLOWER: return "follower";
    case RAFT_PRE_CANDIDATE: return "pre-candidate";
    case RAFT_CANDIDATE: return "candidate";
    case RAFT_LEADER: return "leader";
    }
    return "?";
}

const char *raft_msg_type_name(int type) {
    static const char *names[] = {"?", "PREVOTE", "PREVOTE_RESP", "VOTE", "VOTE_RESP", "APPEND",
                                  "APPEND_RESP", "HEARTBEAT", "HEARTBEAT_RESP", "SNAPSHOT",
                                  "TIMEOUT_NOW", "READ_INDEX", "READ_INDEX_RESP"};
    return type > 0 && type < RAFT_MSG_TYPE_MAX ? names[type] : "?";
}
