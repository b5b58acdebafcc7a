/* Simulated clients. Each proposes writes, one at a time, to the node it
 * believes is leader (moving on when told it is not); a write is acknowledged
 * once the node that accepted it applies its index with its term, and given
 * up when that node crashes or moves to a later term (its fate is then
 * unknown, as for a real client). Reads go through raft_read_index on any
 * node; when the read state comes back, the node's state machine must hold
 * every write committed before the read began. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

#define CLIENT_TIMEOUT_TICKS 60 /* while faults run, a client gives up on a write */
#define READ_TIMEOUT_TICKS 100  /* ... and forgets a read (it may have been lost) */
#define MAX_READS 64

/* A random node that is up, or NULL. */
static sim_node_t *random_up(sim_t *s)
{
    uint64_t ids[SIM_MAX_IDS];
    int n = 0;
    for (uint64_t id = 1; id < s->next_id; id++)
        if (s->nodes[id].state == NODE_UP) ids[n++] = id;
    return n ? &s->nodes[ids[rng_below(&s->rng, (uint64_t)n)]] : NULL;
}

/* The client stops waiting for its write (its fate may stay unknown); the next
 * write is a new op, so nothing is ever applied twice. */
static void give_up(sim_t *s, client_t *c, const char *why)
{
    sim_trace(s, "client %d gives up op %" PRIu64 " at %" PRIu64 "/%" PRIu64 " on n%" PRIu64 ": %s",
              (int)(c - s->clients), c->op, c->term, c->index, c->node, why);
    c->state = CLIENT_IDLE;
}

/* Proposes a new write to the believed leader; a refusal points the client
 * at the leader the node knows of, or at a random node. */
static void client_write(sim_t *s, client_t *c)
{
    sim_node_t *n = node_up(s, c->guess);
    if (!n) n = random_up(s);
    if (!n) return;
    char buf[4096];
    uint64_t op = ++s->next_op;
    unsigned key = (unsigned)rng_below(&s->rng, SIM_KEYS);
    size_t pad =
        rng_below(&s->rng, 50) == 0 ? rng_range(&s->rng, 100, 3000) : rng_below(&s->rng, 24);
    size_t len = op_encode(buf, sizeof(buf), op, key, pad);
    uint64_t index = 0;
    int rc = raft_propose(n->r, buf, len, &index);
    if (rc == RAFT_OK) {
        c->state = CLIENT_WRITING;
        c->op = op;
        c->key = key;
        c->node = n->id;
        c->inc = n->inc;
        c->index = index;
        c->term = raft_term_at(n->r, index);
        c->since = s->now;
        c->prog_max = 0;
        c->prog_at = s->now;
        sim_trace(s, "client %d propose op %" PRIu64 " k%u to n%" PRIu64 ": %" PRIu64 "/%" PRIu64,
                  (int)(c - s->clients), op, key, n->id, c->term, index);
    } else if (rc == RAFT_ENOTLEADER || rc == RAFT_EBUSY) {
        raft_status_t st;
        raft_status(n->r, &st);
        sim_node_t *next = st.leader != n->id ? node_up(s, st.leader) : NULL;
        if (!next && rc == RAFT_ENOTLEADER) next = random_up(s);
        c->guess = next ? next->id : n->id;
        sim_trace(s, "client %d propose to n%" PRIu64 ": %s, next n%" PRIu64, (int)(c - s->clients),
                  n->id, rc == RAFT_EBUSY ? "busy" : "not leader", c->guess);
    } else {
        sim_fail(s, "raft_propose on node %" PRIu64 " failed (%d)", n->id, rc);
    }
}

/* Starts a read on a random node, recording what was committed by now: the
 * answer must include all of it. */
static void client_read(sim_t *s)
{
    sim_node_t *n = random_up(s);
    if (!n || s->n_reads >= MAX_READS) return;
    uint64_t ctx = ++s->next_ctx;
    int rc = raft_read_index(n->r, ctx);
    if (rc != RAFT_OK) {
        sim_trace(s, "read ctx %" PRIu64 " on n%" PRIu64 " refused (%d)", ctx, n->id, rc);
        return;
    }
    if (s->n_reads == s->cap_reads) {
        s->cap_reads = s->cap_reads ? 2 * s->cap_reads : 16;
        s->reads = realloc(s->reads, s->cap_reads * sizeof(*s->reads));
        if (!s->reads) abort();
    }
    read_op_t *r = &s->reads[s->n_reads++];
    r->ctx = ctx;
    r->node = n->id;
    r->inc = n->inc;
    r->start = s->now;
    r->key = (unsigned)rng_below(&s->rng, SIM_KEYS);
    r->need_index = s->chk.commit_max;
    r->need_cnt = s->chk.ref.cnt[r->key];
    /* Liveness applies to reads asked once a stable leader has committed an
     * entry of its term, of a node that was caught up (a lagging one may
     * legitimately take long). */
    sim_node_t *l = s->stable_at ? node_up(s, s->stable_id) : NULL;
    r->must_answer = !sim_faulting(s) && l && l->st.role == RAFT_LEADER &&
                     raft_term_at(l->r, l->st.commit) == l->st.term &&
                     n->applied >= s->chk.commit_max;
    sim_trace(s,
              "read ctx %" PRIu64 " k%u on n%" PRIu64 " (committed %" PRIu64 ", %" PRIu64
              " writes to k%u)",
              ctx, r->key, n->id, r->need_index, r->need_cnt, r->key);
}

/* Order of pending reads does not matter: the last one fills the hole. */
static void remove_read(sim_t *s, size_t i)
{
    s->reads[i] = s->reads[--s->n_reads];
}

/* Every step: writes whose leader moved on are given up (and, while faults
 * run, writes and reads that took too long), then new writes and reads are
 * started at random (except in the quiet end of the run). */
void clients_step(sim_t *s)
{
    bool faults = sim_faulting(s);
    bool quiet = s->now + ticks_to_units(SIM_QUIET_TICKS) >= s->opt.steps;
    for (int i = 0; i < s->n_clients; i++) {
        client_t *c = &s->clients[i];
        if (c->state == CLIENT_WRITING) {
            sim_node_t *n = node_up(s, c->node);
            if (!n || n->inc != c->inc)
                give_up(s, c, "node restarted");
            else if (n->st.term > c->term)
                give_up(s, c, "node moved to a later term");
            else if (faults && s->now - c->since > ticks_to_units(CLIENT_TIMEOUT_TICKS))
                give_up(s, c, "timeout");
        }
        if (quiet) continue;
        if (c->state == CLIENT_IDLE && rng_ppm(&s->rng, s->p.write_ppm)) client_write(s, c);
        if (rng_ppm(&s->rng, s->p.read_ppm)) client_read(s);
    }
    for (size_t i = 0; i < s->n_reads;) {
        if (!s->reads[i].must_answer &&
            s->now - s->reads[i].start > ticks_to_units(READ_TIMEOUT_TICKS))
            remove_read(s, i);
        else
            i++;
    }
}

/* An entry applied on a node: the write a client proposed there at this
 * index is acknowledged if the term matches, and lost otherwise. */
void client_on_apply(sim_t *s, sim_node_t *n, const raft_entry_t *e)
{
    for (int i = 0; i < s->n_clients; i++) {
        client_t *c = &s->clients[i];
        if (c->state != CLIENT_WRITING || c->node != n->id || c->inc != n->inc ||
            c->index != e->index)
            continue;
        if (e->term != c->term) {
            give_up(s, c, "another entry was committed at its index");
            continue;
        }
        uint64_t op;
        unsigned key;
        if (e->type != RAFT_ENTRY_NORMAL || !op_decode(e->data, e->len, &op, &key) || op != c->op) {
            sim_fail(s,
                     "entry %" PRIu64 "/%" PRIu64 " on node %" PRIu64 " is not the op %" PRIu64
                     " proposed there",
                     e->term, e->index, n->id, c->op);
            return;
        }
        c->state = CLIENT_IDLE;
        c->acked++;
        s->stats.acked++;
        if (s->stable_at) {
            uint64_t from = c->since > s->stable_at ? c->since : s->stable_at;
            uint64_t wait = (s->now - from) / SIM_TICK_UNITS;
            if (wait > s->stats.max_commit_wait) s->stats.max_commit_wait = wait;
        }
        sim_trace(s, "client %d ack op %" PRIu64 " at %" PRIu64 "/%" PRIu64, i, c->op, c->term,
                  c->index);
    }
}

/* A read state handed out: the node's state machine must hold every write
 * committed before the read began (linearizability of ReadIndex). */
void client_on_read(sim_t *s, sim_node_t *n, const raft_read_state_t *rs)
{
    size_t i = 0;
    while (i < s->n_reads && s->reads[i].ctx != rs->ctx)
        i++;
    if (i == s->n_reads) {
        sim_trace(s, "read ctx %" PRIu64 " answered on n%" PRIu64 " again or after it was dropped",
                  rs->ctx, n->id);
        return;
    }
    read_op_t r = s->reads[i];
    remove_read(s, i);
    if (r.node != n->id) {
        sim_fail(s, "read ctx %" PRIu64 " asked on node %" PRIu64 " is answered on node %" PRIu64,
                 r.ctx, r.node, n->id);
        return;
    }
    if (rs->rejected) {
        s->stats.reads_rejected++;
        sim_trace(s, "read ctx %" PRIu64 " on n%" PRIu64 " rejected", r.ctx, n->id);
        return;
    }
    if (rs->index > n->applied)
        sim_fail(s,
                 "read ctx %" PRIu64 " on node %" PRIu64 " handed out at index %" PRIu64
                 " before the node applied it (applied %" PRIu64 ")",
                 r.ctx, n->id, rs->index, n->applied);
    else if (rs->index < r.need_index)
        sim_fail(s,
                 "linearizability: read ctx %" PRIu64 " on node %" PRIu64 " got read index %" PRIu64
                 " but index %" PRIu64 " was committed before the read began (at %" PRIu64 ")",
                 r.ctx, n->id, rs->index, r.need_index, r.start);
    else if (n->kv.cnt[r.key] < r.need_cnt)
        sim_fail(s,
                 "linearizability: read ctx %" PRIu64 " of k%u on node %" PRIu64 " sees %" PRIu64
                 " writes but %" PRIu64 " were committed before the read began (at %" PRIu64 ")",
                 r.ctx, r.key, n->id, n->kv.cnt[r.key], r.need_cnt, r.start);
    s->stats.reads_ok++;
    if (r.must_answer) {
        uint64_t wait = (s->now - r.start) / SIM_TICK_UNITS;
        if (wait > s->stats.max_read_wait) s->stats.max_read_wait = wait;
    }
    sim_trace(
        s, "read ctx %" PRIu64 " on n%" PRIu64 " at index %" PRIu64 ": k%u has %" PRIu64 " writes",
        r.ctx, n->id, rs->index, r.key, n->kv.cnt[r.key]);
}

/* A node crashed: the writes it accepted and the reads asked of it are
 * given up. */
void clients_on_crash(sim_t *s, sim_node_t *n)
{
    for (int i = 0; i < s->n_clients; i++)
        if (s->clients[i].state == CLIENT_WRITING && s->clients[i].node == n->id)
            give_up(s, &s->clients[i], "node crashed");
    for (size_t i = 0; i < s->n_reads;) {
        if (s->reads[i].node == n->id)
            remove_read(s, i);
        else
            i++;
    }
}

/* How far replication toward write c has come on its leader l: l's commit
 * index plus, for every other voter, how much of l's log up to the write it
 * holds. It grows while the cluster works toward committing the write. */
static uint64_t write_progress(sim_t *s, const client_t *c, sim_node_t *l)
{
    uint64_t m = l->st.commit;
    const raft_conf_t *conf = l->st.conf;
    for (int i = 0; conf && i < conf->n; i++) {
        sim_node_t *v = node_up(s, conf->m[i].id);
        if (v && v != l && conf->m[i].voter)
            m += v->st.last_index < c->index ? v->st.last_index : c->index;
    }
    return m;
}

/* Liveness, once a stable leader exists after the faults stopped: a write
 * pending on a leader must be committed, and replication toward it may not
 * stand still for SIM_COMMIT_BOUND ticks (how fast a lagging quorum catches
 * up depends on the run's flow control; that it gets there does not); every
 * read that must be answered is answered within SIM_COMMIT_BOUND ticks. */
void clients_check_live(sim_t *s)
{
    if (!s->stable_at) return;
    uint64_t bound = ticks_to_units(SIM_COMMIT_BOUND);
    for (int i = 0; i < s->n_clients && !s->failed; i++) {
        client_t *c = &s->clients[i];
        sim_node_t *l = node_up(s, c->node);
        if (c->state != CLIENT_WRITING || !l || l->inc != c->inc || l->st.role != RAFT_LEADER)
            continue;
        uint64_t m = write_progress(s, c, l);
        if (m > c->prog_max) {
            c->prog_max = m;
            c->prog_at = s->now;
        }
        uint64_t from = c->prog_at > s->stable_at ? c->prog_at : s->stable_at;
        if (s->now - from > bound)
            sim_fail(s,
                     "liveness: client %d's write op %" PRIu64 " (%" PRIu64 "/%" PRIu64
                     " on node %" PRIu64
                     ") is not committed, and replication toward it made no progress for %d ticks",
                     i, c->op, c->term, c->index, c->node, SIM_COMMIT_BOUND);
    }
    for (size_t i = 0; i < s->n_reads; i++) {
        const read_op_t *r = &s->reads[i];
        if (r->must_answer && s->now - r->start > bound)
            sim_fail(s,
                     "liveness: read ctx %" PRIu64 " on node %" PRIu64
                     " is not answered within %d ticks",
                     r->ctx, r->node, SIM_COMMIT_BOUND);
    }
}

/* Liveness at the end of the run (after a quiet period without clients): a
 * read asked after the faults stopped, on a node that has now applied
 * everything its leader committed, must have been answered (served or
 * rejected); a lagging node may still be catching up. */
void clients_check_end(sim_t *s)
{
    sim_node_t *l = s->stable_at ? node_up(s, s->stable_id) : NULL;
    if (!l || l->st.role != RAFT_LEADER) return;
    for (size_t i = 0; i < s->n_reads && !s->failed; i++) {
        const read_op_t *r = &s->reads[i];
        sim_node_t *n = node_up(s, r->node);
        if (r->start < s->heal_at || !n || n->inc != r->inc || n->applied < l->st.commit) continue;
        sim_fail(
            s,
            "liveness: read ctx %" PRIu64 " asked on node %" PRIu64 " at t=%" PRIu64
            " is never answered, though the node applied everything the leader committed (%" PRIu64
            ")",
            r->ctx, r->node, r->start, l->st.commit);
    }
}

/* Pending reads die with the run. */
void clients_free(sim_t *s)
{
    free(s->reads);
    s->reads = NULL;
    s->n_reads = s->cap_reads = 0;
}
