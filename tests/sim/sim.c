/* One run of the simulator: a seed draws the run's knobs (loss, delays,
 * crash and partition rates, the cores' flow-control settings, ...), then
 * every step draws faults and client actions, completes durable writes,
 * delivers messages, ticks the nodes, handles their ready batches and checks
 * the invariants. The fault schedule covers the first steps; in the rest the
 * network heals, crashed nodes restart and nothing fails any more, and the
 * liveness checks apply. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

/* Whether faults still run (the liveness phase has not begun). */
bool sim_faulting(const sim_t *s)
{
    return s->now < s->heal_at;
}

/* One of n values, uniformly: for knobs that only make sense at a few settings. */
static uint64_t pick(sim_rng_t *g, const uint64_t *v, size_t n)
{
    return v[rng_below(g, n)];
}

/* Draws the knobs of this run from its seed, so that seeds cover calm and
 * stormy networks, fast and slow disks, small and large batches. */
static void draw_params(sim_t *s)
{
    sim_params_t *p = &s->p;
    sim_rng_t *g = &s->rng;
    p->drop_ppm = rng_below(g, 5) == 0 ? 0 : (uint32_t)rng_range(g, 0, 100000);
    p->dup_ppm = (uint32_t)rng_range(g, 0, 50000);
    p->delay_max = rng_range(g, 1, 6);
    p->slow_ppm = (uint32_t)rng_range(g, 0, 30000);
    p->slow_max = rng_range(g, 10, 80);
    p->snap_fail_ppm = (uint32_t)rng_range(g, 0, 300000);
    p->disk_max = rng_range(g, 0, 8);
    p->crash_ppm = (uint32_t)rng_range(g, 0, 4000);
    p->restart_ppm = (uint32_t)rng_range(g, 5000, 50000);
    p->part_ppm = (uint32_t)rng_range(g, 0, 5000);
    p->heal_ppm = (uint32_t)rng_range(g, 5000, 30000);
    p->compact_ppm = (uint32_t)rng_range(g, 0, 10000);
    p->conf_ppm = (uint32_t)rng_range(g, 0, 5000);
    p->transfer_ppm = (uint32_t)rng_range(g, 0, 3000);
    p->campaign_ppm = (uint32_t)rng_range(g, 0, 1000);
    p->write_ppm = (uint32_t)rng_range(g, 50000, 400000);
    p->read_ppm = (uint32_t)rng_range(g, 10000, 150000);
    s->n_clients = (int)rng_range(g, 1, SIM_MAX_CLIENTS);
    bool storm = rng_below(g, 4) == 0;
    if (storm) { /* leaders come and go while their logs diverge (Figure 8 and friends) */
        p->crash_ppm = (uint32_t)rng_range(g, 5000, 20000);
        p->restart_ppm = (uint32_t)rng_range(g, 20000, 100000);
        p->part_ppm = (uint32_t)rng_range(g, 5000, 20000);
        p->heal_ppm = (uint32_t)rng_range(g, 20000, 60000);
        p->campaign_ppm = (uint32_t)rng_range(g, 1000, 5000);
        p->kill_leader_ppm = (uint32_t)rng_range(g, 100000, 600000);
    }

    static const uint64_t entries[] = {1, 2, 4, 16, 64}, bytes[] = {64, 512, 4096, 1 << 20},
                          inflight_bytes[] = {0, 1024, 8192, 0};
    raft_config_t *c = &p->cfg;
    raft_config_default(c, 1);
    c->election_ticks = SIM_ELECTION_TICKS;
    c->heartbeat_ticks = (int)rng_range(g, 1, 3);
    c->pre_vote = rng_below(g, 5) != 0;
    c->check_quorum = rng_below(g, 5) != 0;
    /* Ticks are in step on every node, so leases hold. (Drawn from the seed
     * apart from the PRNG, so that seeds kept their runs when lease reads
     * came in.) */
    c->lease_reads = c->check_quorum && (mix64(s->opt.seed ^ 0x1EA5E) & 1);
    c->max_msg_entries = storm && rng_below(g, 2) ? 1 : (uint32_t)pick(g, entries, 5);
    c->max_msg_bytes = pick(g, bytes, 4);
    c->max_inflight_msgs = (uint32_t)rng_range(g, 1, 16);
    c->max_inflight_bytes = pick(g, inflight_bytes, 4);
    sim_trace(
        s,
        "params:%s %d clients, drop %u dup %u slow %u (to %" PRIu64 ") ppm, delay 1..%" PRIu64
        ", disk 0..%" PRIu64 ", crash %u restart %u partition %u heal %u compact %u conf %u"
        " transfer %u campaign %u write %u read %u kill-leader %u ppm, snapshot failures %u ppm;"
        " heartbeat %d, pre-vote %d, check-quorum %d, lease reads %d, %u entries / %" PRIu64
        " bytes per append, %u / %" PRIu64 " bytes in flight; faults until t=%" PRIu64,
        storm ? " storm," : "", s->n_clients, p->drop_ppm, p->dup_ppm, p->slow_ppm, p->slow_max,
        p->delay_max, p->disk_max, p->crash_ppm, p->restart_ppm, p->part_ppm, p->heal_ppm,
        p->compact_ppm, p->conf_ppm, p->transfer_ppm, p->campaign_ppm, p->write_ppm, p->read_ppm,
        p->kill_leader_ppm, p->snap_fail_ppm, c->heartbeat_ticks, c->pre_vote, c->check_quorum,
        c->lease_reads, c->max_msg_entries, c->max_msg_bytes, c->max_inflight_msgs,
        c->max_inflight_bytes, s->heal_at);
}

/* The up leader of the highest term, or NULL (statuses of the last check). */
static sim_node_t *current_leader(sim_t *s)
{
    sim_node_t *l = NULL;
    for (uint64_t id = 1; id < s->next_id; id++) {
        sim_node_t *n = node_up(s, id);
        if (n && n->st.role == RAFT_LEADER && (!l || n->st.term > l->st.term)) l = n;
    }
    return l;
}

/* A random member of conf: voters only, learners only, or any. */
static uint64_t random_member(sim_t *s, const raft_conf_t *conf, int want_voter, uint64_t except)
{
    uint64_t ids[RAFT_MAX_NODES];
    int n = 0;
    for (int i = 0; i < conf->n; i++)
        if ((want_voter < 0 || conf->m[i].voter == (want_voter > 0)) && conf->m[i].id != except)
            ids[n++] = conf->m[i].id;
    return n ? ids[rng_below(&s->rng, (uint64_t)n)] : 0;
}

/* A membership change at the leader: a learner with a fresh id joins, a
 * learner is promoted, or a member leaves (the leader included), keeping at
 * least three voters; sometimes a removed id is offered again, which the
 * core must refuse. */
static void conf_change(sim_t *s, sim_node_t *l)
{
    const raft_conf_t *conf = l->st.conf;
    int voters = raft_conf_voters(conf);
    uint64_t index = 0, id = 0;
    raft_conf_op_t op;
    char addr[RAFT_ADDR_MAX];
    switch (rng_below(&s->rng, 7)) {
    case 0:
    case 1:
        if (s->next_id > SIM_MAX_IDS || conf->n >= s->opt.nodes + 2) return;
        op = RAFT_CONF_ADD_LEARNER;
        id = s->next_id;
        break;
    case 2:
    case 3:
        op = RAFT_CONF_PROMOTE;
        id = random_member(s, conf, 0, 0);
        break;
    case 4:
    case 5:
        op = RAFT_CONF_REMOVE;
        id = random_member(s, conf, voters > 3 ? -1 : 0, 0);
        break;
    default:
        if (!conf->n_removed) return;
        op = RAFT_CONF_ADD_LEARNER;
        id = conf->removed[rng_below(&s->rng, (uint64_t)conf->n_removed)];
        break;
    }
    if (!id) return;
    snprintf(addr, sizeof(addr), "sim:%" PRIu64, id);
    int rc = raft_propose_conf(l->r, op, id, addr, &index);
    static const char *ops[] = {"add learner", "promote", "remove"};
    sim_trace(s, "conf n%" PRIu64 ": %s %" PRIu64 " -> %d (index %" PRIu64 ")", l->id, ops[op], id,
              rc, index);
    bool reused = op == RAFT_CONF_ADD_LEARNER && id < s->next_id;
    if (reused && rc != RAFT_EREMOVED && rc != RAFT_EBUSY)
        sim_fail(s, "raft_propose_conf accepted removed id %" PRIu64 " again (%d)", id, rc);
    if (rc != RAFT_OK || reused) return;
    s->stats.conf_changes++;
    if (op == RAFT_CONF_ADD_LEARNER) {
        s->next_id++;
        node_join(s, id);
    }
}

/* The leader killer: some new leaders are crashed or cut off a few steps
 * after their election, before they replicate much, so that logs diverge
 * with entries of many terms at the same indexes (the Figure 8 hazard). */
static void kill_leaders(sim_t *s)
{
    sim_node_t *l = current_leader(s);
    if (l && l->st.term > s->seen_term) {
        s->seen_term = l->st.term;
        if (rng_ppm(&s->rng, s->p.kill_leader_ppm)) {
            s->kill_id = l->id;
            s->kill_at = s->now + rng_range(&s->rng, 0, 24);
        }
    }
    if (!s->kill_id || s->now < s->kill_at) return;
    sim_node_t *k = node_up(s, s->kill_id);
    s->kill_id = 0;
    if (!k) return;
    sim_trace(s, "kill leader n%" PRIu64, k->id);
    if (rng_below(&s->rng, 2)) {
        node_crash(s, k, false);
        return;
    }
    for (uint64_t id = 1; id < s->next_id; id++)
        if (id != k->id) s->net.cut[id][k->id] = s->net.cut[k->id][id] = true;
    s->stats.partitions++;
}

/* The faults of one step, each drawn with its run's probability. */
static void faults_step(sim_t *s)
{
    sim_params_t *p = &s->p;
    if (p->kill_leader_ppm) kill_leaders(s);
    if (rng_ppm(&s->rng, p->crash_ppm)) {
        uint64_t ids[SIM_MAX_IDS];
        int n = 0;
        for (uint64_t id = 1; id < s->next_id; id++)
            if (node_up(s, id)) ids[n++] = id;
        if (n) node_crash(s, &s->nodes[ids[rng_below(&s->rng, (uint64_t)n)]], false);
    }
    for (uint64_t id = 1; id < s->next_id; id++)
        if (s->nodes[id].state == NODE_DOWN && rng_ppm(&s->rng, p->restart_ppm))
            node_restart(s, &s->nodes[id]);
    if (rng_ppm(&s->rng, p->part_ppm)) net_partition(s);
    if (rng_ppm(&s->rng, p->heal_ppm) && net_any_cut(s)) {
        if (rng_below(&s->rng, 2))
            net_heal_one(s);
        else
            net_heal_all(s);
    }
    for (uint64_t id = 1; id < s->next_id; id++)
        if (node_up(s, id) && rng_ppm(&s->rng, p->compact_ppm)) node_compact(s, &s->nodes[id]);
    sim_node_t *l = current_leader(s);
    if (l && rng_ppm(&s->rng, p->conf_ppm)) conf_change(s, l);
    l = current_leader(s);
    if (l && l->r && rng_ppm(&s->rng, p->transfer_ppm)) {
        uint64_t to = random_member(s, l->st.conf, 1, l->id);
        if (to) {
            int rc = raft_transfer_leader(l->r, to);
            sim_trace(s, "transfer n%" PRIu64 " -> n%" PRIu64 ": %d", l->id, to, rc);
            if (rc == RAFT_OK) s->stats.transfers++;
        }
    }
    if (rng_ppm(&s->rng, p->campaign_ppm)) {
        sim_node_t *n = node_up(s, rng_range(&s->rng, 1, s->next_id - 1));
        if (n) {
            int rc = raft_campaign(n->r);
            sim_trace(s, "campaign n%" PRIu64 ": %d", n->id, rc);
        }
    }
}

/* The faults stop: every link heals and every crashed node restarts. */
static void heal(sim_t *s)
{
    sim_trace(s, "faults stop");
    net_heal_all(s);
    for (uint64_t id = 1; id < s->next_id; id++)
        if (s->nodes[id].state == NODE_DOWN) node_restart(s, &s->nodes[id]);
}

/* One unit of time. */
static void step(sim_t *s)
{
    s->now++;
    if (sim_faulting(s))
        faults_step(s);
    else if (s->now == s->heal_at)
        heal(s);
    for (uint64_t id = 1; id < s->next_id; id++) {
        sim_node_t *n = &s->nodes[id];
        if (n->gone_at && s->now >= n->gone_at && n->state != NODE_GONE) node_crash(s, n, true);
    }
    clients_step(s);
    net_deliver_due(s);
    for (uint64_t id = 1; id < s->next_id; id++) {
        sim_node_t *n = node_up(s, id);
        if (n && (s->now + n->tick_phase) % SIM_TICK_UNITS == 0) raft_tick(n->r);
    }
    for (uint64_t id = 1; id < s->next_id && !s->failed; id++) {
        sim_node_t *n = node_up(s, id);
        if (n) node_process(s, n);
    }
    if (!s->failed) check_step(s);
    if (!s->failed) check_liveness(s);
}

/* Length of the liveness phase: a fifth of the run, and at least enough for
 * every liveness bound to be tested. */
static uint64_t live_units(uint64_t steps)
{
    uint64_t need =
        ticks_to_units(SIM_LEADER_BOUND + SIM_COMMIT_BOUND + SIM_CATCHUP_BOUND + SIM_QUIET_TICKS);
    return steps / 5 > need ? steps / 5 : need;
}

/* Sums the statistics of runs (maxima for the liveness waits), for the summary. */
void sim_stats_add(sim_stats_t *a, const sim_stats_t *b)
{
    a->seeds += b->seeds;
    a->steps += b->steps;
    a->failed += b->failed;
    a->leaders += b->leaders;
    a->committed += b->committed;
    a->acked += b->acked;
    a->reads_ok += b->reads_ok;
    a->reads_rejected += b->reads_rejected;
    a->msgs += b->msgs;
    a->dropped += b->dropped;
    a->snaps_sent += b->snaps_sent;
    a->snaps_installed += b->snaps_installed;
    a->compactions += b->compactions;
    a->crashes += b->crashes;
    a->partitions += b->partitions;
    a->conf_changes += b->conf_changes;
    a->transfers += b->transfers;
    if (b->max_leader_wait > a->max_leader_wait) a->max_leader_wait = b->max_leader_wait;
    if (b->max_commit_wait > a->max_commit_wait) a->max_commit_wait = b->max_commit_wait;
    if (b->max_read_wait > a->max_read_wait) a->max_read_wait = b->max_read_wait;
}

/* Runs one seed; returns 0 when every check passed, else 1 with the first
 * violation in why. Statistics are added to *st. */
int sim_run(const sim_opts_t *o, sim_stats_t *st, char *why, size_t cap)
{
    sim_t *s = calloc(1, sizeof(*s));
    if (!s) abort();
    s->opt = *o;
    if (s->opt.nodes < 1 || s->opt.nodes > RAFT_MAX_NODES - 2) s->opt.nodes = 3;
    rng_seed(&s->rng, o->seed);
    uint64_t live = live_units(o->steps);
    s->heal_at = o->steps > live ? o->steps - live : 1;
    draw_params(s);
    net_init(&s->net);
    check_init(&s->chk);

    raft_conf_t conf;
    memset(&conf, 0, sizeof(conf));
    conf.n = s->opt.nodes;
    for (int i = 0; i < conf.n; i++) {
        conf.m[i].id = (uint64_t)i + 1;
        conf.m[i].voter = true;
        snprintf(conf.m[i].addr, sizeof(conf.m[i].addr), "sim:%d", i + 1);
    }
    s->next_id = (uint64_t)conf.n + 1;
    for (int i = 0; i < conf.n && !s->failed; i++)
        node_boot(s, (uint64_t)i + 1, &conf);
    for (int i = 0; i < s->n_clients; i++)
        s->clients[i].guess = rng_range(&s->rng, 1, (uint64_t)conf.n);

    while (s->now < o->steps && !s->failed)
        step(s);
    if (!s->failed) check_logs_full(s);
    if (!s->failed) clients_check_end(s);

    s->stats.seeds = 1;
    s->stats.steps = s->now;
    s->stats.committed = s->chk.commit_max;
    s->stats.failed = s->failed;
    sim_stats_add(st, &s->stats);
    if (s->failed && why) snprintf(why, cap, "%s", s->why);
    int rc = s->failed ? 1 : 0;

    for (uint64_t id = 1; id <= SIM_MAX_IDS; id++)
        node_free(&s->nodes[id]);
    net_free(&s->net);
    check_free(&s->chk);
    clients_free(s);
    free(s);
    return rc;
}
