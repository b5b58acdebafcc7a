/* The invariants, checked as events happen and after every step:
 *   election safety      at most one leader per term (term -> leader, forever);
 *   commit rule          a leader's commit index only moves onto entries of its
 *                        own term (Figure 8);
 *   log matching         an (index, term) seen in any persisted log always has the
 *                        same data and the same previous term, so equal (index,
 *                        term) means equal prefixes; in-memory logs are compared
 *                        pairwise with raft_term_at every few steps;
 *   leader completeness  every committed entry is in the log of every leader of
 *                        a later term;
 *   state machine safety no two nodes apply different entries at one index, and
 *                        their states after it are equal (snapshots included);
 *   committed never lost a committed entry stays durable on enough voters that
 *                        no quorum of the newest leader's configuration lacks it;
 * and, once the faults stop, liveness: a leader every voter follows within
 * SIM_LEADER_BOUND ticks, then every write and read answered, every member
 * caught up. (Reads are checked in sim_client.c, persistence in sim_disk.c and
 * sim_net.c.) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

#define SCANNED (1ULL << 63) /* in term_leader: completeness checked when elected */
#define FULL_CHECK_EVERY 64  /* steps between pairwise in-memory log comparisons */

/* The checker starts knowing nothing: no leaders, commits or log entries seen. */
void check_init(check_t *c)
{
    memset(c, 0, sizeof(*c));
}

/* Everything the checker remembered lives for one run only. */
void check_free(check_t *c)
{
    free(c->term_leader);
    free(c->c);
    free(c->reg);
    memset(c, 0, sizeof(*c));
}

/* Grows a zero-filled array so that index i is valid. */
static void *grow(void *p, size_t *cap, size_t i, size_t elem)
{
    if (i < *cap) return p;
    size_t n = *cap ? *cap : 256;
    while (n <= i)
        n *= 2;
    p = realloc(p, n * elem);
    if (!p) abort();
    memset((char *)p + *cap * elem, 0, (n - *cap) * elem);
    *cap = n;
    return p;
}

/* ---- leader completeness ------------------------------------------------------ */

/* Every entry in [lo, hi] known committed under a term <= term must be in the
 * log of n, leader of term (or under its snapshot). */
static void leader_must_hold(sim_t *s, sim_node_t *n, uint64_t term, uint64_t lo, uint64_t hi)
{
    check_t *c = &s->chk;
    raft_status_t st;
    raft_status(n->r, &st);
    if (lo <= st.snap_index) lo = st.snap_index + 1;
    for (uint64_t i = lo; i <= hi && !s->failed; i++) {
        const commit_rec_t *rec = &c->c[i];
        if (!rec->term || rec->cterm > term) continue;
        uint64_t t = raft_term_at(n->r, i);
        if (t != rec->term)
            sim_fail(s,
                     "leader completeness: node %" PRIu64 ", leader of term %" PRIu64
                     ", has %" PRIu64 "/%" PRIu64 " but %" PRIu64 "/%" PRIu64 " was committed",
                     n->id, term, t, i, rec->term, i);
    }
}

/* The commit rule (paper §5.4.2, Figure 8): a leader moves its commit index
 * only onto an entry of its own term; older entries are committed by that
 * one. (Its commit index may start at an older entry, inherited from when it
 * followed.) n->st is fresh. */
static void check_commit_rule(sim_t *s, sim_node_t *n, uint64_t term)
{
    if (n->lead_term != term) {
        n->lead_term = term;
        n->lead_commit = n->st.commit;
        return;
    }
    if (n->st.commit <= n->lead_commit) return;
    uint64_t t = raft_term_at(n->r, n->st.commit);
    if (t != term)
        sim_fail(s,
                 "commit rule: node %" PRIu64 ", leader of term %" PRIu64
                 ", moved its commit index from %" PRIu64 " to %" PRIu64
                 ", an entry of term %" PRIu64 " (Figure 8)",
                 n->id, term, n->lead_commit, n->st.commit, t);
    n->lead_commit = n->st.commit;
}

/* Node n is leader of term: no other node may ever be (election safety), its
 * commit index only moves onto entries of its term, and the first time, its
 * log must hold everything committed so far. n->st is fresh. */
void check_leader(sim_t *s, sim_node_t *n, uint64_t term)
{
    check_commit_rule(s, n, term);
    check_t *c = &s->chk;
    c->term_leader = grow(c->term_leader, &c->cap_terms, term, sizeof(uint64_t));
    uint64_t v = c->term_leader[term] & ~SCANNED;
    if (v == 0) {
        c->term_leader[term] = n->id;
        s->stats.leaders++;
        if (term > c->max_leader_term) c->max_leader_term = term;
        sim_trace(s, "leader n%" PRIu64 " term %" PRIu64, n->id, term);
    } else if (v != n->id) {
        sim_fail(s, "election safety: term %" PRIu64 " has two leaders, %" PRIu64 " and %" PRIu64,
                 term, v, n->id);
        return;
    }
    if (!(c->term_leader[term] & SCANNED)) {
        c->term_leader[term] |= SCANNED;
        leader_must_hold(s, n, term, 1, c->commit_max);
    }
}

/* ---- commits and applies ----------------------------------------------------- */

/* (index, term) is committed, learned by a node in term cterm (so every leader
 * of a term >= cterm must hold it). A committed index never changes term. */
void check_committed(sim_t *s, uint64_t index, uint64_t term, uint64_t cterm)
{
    check_t *c = &s->chk;
    if (index == 0 || term == 0) return;
    c->c = grow(c->c, &c->cap_c, index, sizeof(commit_rec_t));
    commit_rec_t *rec = &c->c[index];
    if (!rec->term) {
        rec->term = term;
        rec->cterm = cterm;
    } else if (rec->term != term) {
        sim_fail(s,
                 "committed entry lost: index %" PRIu64 " was committed with term %" PRIu64
                 ", now with term %" PRIu64,
                 index, rec->term, term);
    } else if (cterm < rec->cterm) {
        rec->cterm = cterm;
    }
    if (index > c->commit_max) c->commit_max = index;
}

/* Node n applied e: the same entry, and the same state after it, as on every
 * other node that applied this index. The first state seen at the highest
 * index is the reference reads are checked against. */
void check_apply(sim_t *s, sim_node_t *n, const raft_entry_t *e)
{
    check_t *c = &s->chk;
    commit_rec_t *rec = &c->c[e->index];
    uint64_t dh = entry_hash(e), kh = kv_hash(&n->kv);
    if (!rec->applied) {
        rec->applied = true;
        rec->dhash = dh;
        rec->kvhash = kh;
        if (e->index > c->ref_index) {
            c->ref = n->kv;
            c->ref_index = e->index;
        }
    } else if (rec->dhash != dh) {
        sim_fail(s,
                 "state machine safety: node %" PRIu64
                 " applies a different entry at index %" PRIu64 " than another node did",
                 n->id, e->index);
    } else if (rec->kvhash != kh) {
        sim_fail(s,
                 "state machine safety: node %" PRIu64 "'s state after index %" PRIu64
                 " differs from another node's",
                 n->id, e->index);
    }
}

/* A snapshot image installed on n must be the state other nodes had at its
 * index. */
void check_image(sim_t *s, sim_node_t *n, uint64_t index, const kv_t *kv)
{
    check_t *c = &s->chk;
    if (index < c->cap_c && c->c[index].applied && c->c[index].kvhash != kv_hash(kv))
        sim_fail(s,
                 "state machine safety: the snapshot image at %" PRIu64
                 " installed on node %" PRIu64 " differs from the state other nodes had there",
                 index, n->id);
}

/* ---- log matching ---------------------------------------------------------------- */

/* The slot of (index, term) in the log registry, or the empty slot where it goes. */
static size_t reg_find(const check_t *c, uint64_t index, uint64_t term)
{
    size_t mask = c->cap_reg - 1, i = mix64(index * 0x9E3779B97F4A7C15ULL ^ term) & mask;
    while (c->reg[i].index && (c->reg[i].index != index || c->reg[i].term != term))
        i = (i + 1) & mask;
    return i;
}

/* Doubles the registry (kept at most half full, so probes stay short). */
static void reg_grow(check_t *c)
{
    reg_slot_t *old = c->reg;
    size_t n = c->cap_reg;
    c->cap_reg = n ? 2 * n : 4096;
    c->reg = calloc(c->cap_reg, sizeof(*c->reg));
    if (!c->reg) abort();
    for (size_t i = 0; i < n; i++)
        if (old[i].index) c->reg[reg_find(c, old[i].index, old[i].term)] = old[i];
    free(old);
}

/* Node n persists e after an entry of term prev_term: whoever else holds
 * (index, term) must hold the same entry after the same term. */
void check_persist_entry(sim_t *s, sim_node_t *n, const raft_entry_t *e, uint64_t prev_term)
{
    check_t *c = &s->chk;
    if (2 * (c->n_reg + 1) > c->cap_reg) reg_grow(c);
    reg_slot_t *slot = &c->reg[reg_find(c, e->index, e->term)];
    uint64_t dh = entry_hash(e);
    if (!slot->index) {
        *slot = (reg_slot_t){e->index, e->term, dh, prev_term};
        c->n_reg++;
    } else if (slot->dhash != dh) {
        sim_fail(s,
                 "log matching: node %" PRIu64 " persists entry %" PRIu64 "/%" PRIu64
                 " with other data than another node's",
                 n->id, e->term, e->index);
    } else if (slot->prev_term != prev_term) {
        sim_fail(s,
                 "log matching: node %" PRIu64 " persists entry %" PRIu64 "/%" PRIu64
                 " after term %" PRIu64 ", another node after term %" PRIu64,
                 n->id, e->term, e->index, prev_term, slot->prev_term);
    }
}

/* The in-memory logs: terms never decrease, each (index, term) follows the
 * term persisted logs have before it, and two nodes that agree on an entry
 * agree on everything before it. */
void check_logs_full(sim_t *s)
{
    check_t *c = &s->chk;
    for (uint64_t a = 1; a < s->next_id && !s->failed; a++) {
        sim_node_t *na = node_up(s, a);
        if (!na) continue;
        const raft_status_t *x = &na->st;
        uint64_t prev = raft_term_at(na->r, x->snap_index);
        for (uint64_t i = x->snap_index + 1; i <= x->last_index && !s->failed; i++) {
            uint64_t t = raft_term_at(na->r, i);
            if (t < prev || t == 0) {
                sim_fail(s,
                         "node %" PRIu64 "'s log has term %" PRIu64 " at %" PRIu64
                         " after term %" PRIu64,
                         a, t, i, prev);
                break;
            }
            const reg_slot_t *slot = c->cap_reg ? &c->reg[reg_find(c, i, t)] : NULL;
            if (slot && slot->index && slot->prev_term != prev && i - 1 > x->snap_index)
                sim_fail(s,
                         "log matching: node %" PRIu64 " holds %" PRIu64 "/%" PRIu64
                         " after term %" PRIu64 ", a persisted log after term %" PRIu64,
                         a, t, i, prev, slot->prev_term);
            prev = t;
        }
        for (uint64_t b = a + 1; b < s->next_id && !s->failed; b++) {
            sim_node_t *nb = node_up(s, b);
            if (!nb) continue;
            const raft_status_t *y = &nb->st;
            uint64_t lo = x->snap_index > y->snap_index ? x->snap_index : y->snap_index;
            uint64_t hi = x->last_index < y->last_index ? x->last_index : y->last_index;
            uint64_t agree = 0;
            for (uint64_t i = hi; i > lo && !agree; i--)
                if (raft_term_at(na->r, i) == raft_term_at(nb->r, i)) agree = i;
            for (uint64_t i = lo + 1; i < agree && !s->failed; i++) {
                uint64_t ta = raft_term_at(na->r, i), tb = raft_term_at(nb->r, i);
                if (ta != tb)
                    sim_fail(s,
                             "log matching: nodes %" PRIu64 " and %" PRIu64 " agree on %" PRIu64
                             "/%" PRIu64 " but have terms %" PRIu64 " and %" PRIu64 " at %" PRIu64,
                             a, b, raft_term_at(na->r, agree), agree, ta, tb, i);
            }
        }
    }
}

/* ---- after every step ---------------------------------------------------------- */

/* Committed never lost: the highest committed entry is durable on enough
 * voters of the newest leader's configuration that its non-holders cannot
 * form a quorum. */
static void check_durable_quorum(sim_t *s, sim_node_t *leader)
{
    check_t *c = &s->chk;
    if (!c->commit_max || leader->st.term < c->max_leader_term) return;
    const commit_rec_t *rec = &c->c[c->commit_max];
    const raft_conf_t *conf = leader->st.conf;
    int voters = 0, missing = 0;
    for (int i = 0; i < conf->n; i++) {
        if (!conf->m[i].voter) continue;
        voters++;
        sim_node_t *v = sim_node(s, conf->m[i].id);
        if (!v || v->state == NODE_GONE || !disk_holds(&v->disk, c->commit_max, rec->term))
            missing++;
    }
    if (voters && missing >= voters / 2 + 1)
        sim_fail(s,
                 "committed entry lost: %" PRIu64 "/%" PRIu64
                 " is durable on only %d of the %d voters",
                 rec->term, c->commit_max, voters - missing, voters);
}

/* After every step: statuses refreshed, commit indexes recorded, leaders
 * checked (election safety, completeness of new commits), durability of the
 * latest commit; the pairwise log comparison every FULL_CHECK_EVERY steps. */
void check_step(sim_t *s)
{
    check_t *c = &s->chk;
    sim_node_t *newest = NULL;
    for (uint64_t id = 1; id < s->next_id && !s->failed; id++) {
        sim_node_t *n = node_up(s, id);
        if (!n) continue;
        raft_status(n->r, &n->st);
        const raft_status_t *st = &n->st;
        if (st->commit > st->last_index)
            sim_fail(s, "node %" PRIu64 " has commit %" PRIu64 " beyond its log (%" PRIu64 ")", id,
                     st->commit, st->last_index);
        if (st->role == RAFT_LEADER) {
            for (uint64_t i = c->commit_max + 1; i <= st->commit && !s->failed; i++)
                check_committed(s, i, raft_term_at(n->r, i), st->term);
            if (!newest || st->term > newest->st.term) newest = n;
        }
        if (st->commit > st->snap_index && !s->failed)
            check_committed(s, st->commit, raft_term_at(n->r, st->commit), st->term);
    }
    for (uint64_t id = 1; id < s->next_id && !s->failed; id++) {
        sim_node_t *n = node_up(s, id);
        if (!n || n->st.role != RAFT_LEADER) continue;
        check_leader(s, n, n->st.term);
        if (c->checked_to < c->commit_max)
            leader_must_hold(s, n, n->st.term, c->checked_to + 1, c->commit_max);
    }
    c->checked_to = c->commit_max;
    if (newest && !s->failed) check_durable_quorum(s, newest);
    if (s->now % FULL_CHECK_EVERY == 0 && !s->failed) check_logs_full(s);
}

/* ---- liveness ------------------------------------------------------------------- */

/* The leader every voter of its configuration follows, in its term, or NULL. */
static sim_node_t *stable_leader(sim_t *s)
{
    for (uint64_t id = 1; id < s->next_id; id++) {
        sim_node_t *l = node_up(s, id);
        if (!l || l->st.role != RAFT_LEADER) continue;
        const raft_conf_t *conf = l->st.conf;
        bool all = true;
        for (int i = 0; i < conf->n && all; i++) {
            if (!conf->m[i].voter) continue;
            sim_node_t *v = node_up(s, conf->m[i].id);
            all = v && v->st.leader == l->id && v->st.term == l->st.term;
        }
        if (all) return l;
    }
    return NULL;
}

/* Once the faults stop: a stable leader within SIM_LEADER_BOUND ticks; then
 * clients answered within SIM_COMMIT_BOUND ticks; and every member that lags
 * behind the leader's commit index applies something new in every period of
 * SIM_CATCHUP_BOUND ticks (how fast it catches up depends on the run's flow
 * control settings; that it does not get stuck does not). */
void check_liveness(sim_t *s)
{
    if (s->now < s->heal_at || s->failed) return;
    if (!s->stable_at) {
        sim_node_t *l = stable_leader(s);
        if (l) {
            s->stable_at = s->now;
            s->stable_id = l->id;
            uint64_t wait = (s->now - s->heal_at) / SIM_TICK_UNITS;
            if (wait > s->stats.max_leader_wait) s->stats.max_leader_wait = wait;
            sim_trace(s, "stable leader n%" PRIu64 " term %" PRIu64 " after %" PRIu64 " ticks",
                      l->id, l->st.term, wait);
        } else if (s->now - s->heal_at > ticks_to_units(SIM_LEADER_BOUND)) {
            char who[256];
            int len = 0;
            for (uint64_t id = 1; id < s->next_id && len < (int)sizeof(who) - 64; id++) {
                sim_node_t *n = node_up(s, id);
                if (n)
                    len += snprintf(who + len, sizeof(who) - (size_t)len,
                                    " n%" PRIu64 ":%s/t%" PRIu64 "/l%" PRIu64, id,
                                    raft_role_name(n->st.role), n->st.term, n->st.leader);
            }
            sim_fail(s,
                     "liveness: no leader followed by every voter %d ticks after the faults "
                     "stopped (role/term/leader:%s)",
                     SIM_LEADER_BOUND, len ? who : " none up");
        }
        return;
    }
    clients_check_live(s);
    uint64_t since = s->now - s->stable_at, period = ticks_to_units(SIM_CATCHUP_BOUND);
    if (since < ticks_to_units(SIM_COMMIT_BOUND) || since % period) return;
    sim_node_t *l = stable_leader(s);
    if (!l) return; /* leadership moved on (e.g. a leader removed itself): no target */
    const raft_conf_t *conf = l->st.conf;
    for (int i = 0; i < conf->n && !s->failed; i++) {
        sim_node_t *m = node_up(s, conf->m[i].id);
        if (!m) continue;
        if (m->live_applied < m->live_target && m->applied == m->live_applied)
            sim_fail(s,
                     "liveness: node %" PRIu64 " is stuck at applied %" PRIu64
                     " for %d ticks, the leader (%" PRIu64 ") committed %" PRIu64,
                     m->id, m->applied, SIM_CATCHUP_BOUND, l->id, m->live_target);
        m->live_applied = m->applied;
        m->live_target = l->st.commit;
    }
}
