/* Simulated nodes: creating a core (founding member or joining learner),
 * crashing it (everything in memory and every write not yet durable is
 * lost), restarting it from its disk with raft_restore, and handling its
 * ready batches: reads, committed entries, snapshot installs, messages, and
 * the writes queued on the disk. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

/* The node with this id, if it was ever created. */
sim_node_t *sim_node(sim_t *s, uint64_t id)
{
    if (id == 0 || id > SIM_MAX_IDS || s->nodes[id].state == NODE_NONE) return NULL;
    return &s->nodes[id];
}

/* The node with this id if it is running (not crashed, not gone). */
sim_node_t *node_up(sim_t *s, uint64_t id)
{
    sim_node_t *n = sim_node(s, id);
    return n && n->state == NODE_UP ? n : NULL;
}

/* raft_config_t.rand: each incarnation of a node draws its election timeouts
 * from its own generator, seeded from the simulation's. */
static uint64_t node_rand(void *arg)
{
    return rng_next(arg);
}

/* A new incarnation: a fresh core with the run's configuration and its own
 * generator, and the in-memory state machine loaded from the disk's snapshot. */
static bool node_new_core(sim_t *s, sim_node_t *n)
{
    raft_config_t cfg = s->p.cfg;
    cfg.id = n->id;
    rng_seed(&n->rng, rng_next(&s->rng));
    cfg.rand = node_rand;
    cfg.rand_arg = &n->rng;
    n->r = raft_new(&cfg);
    if (!n->r) {
        sim_fail(s, "raft_new refused the configuration of node %" PRIu64, n->id);
        return false;
    }
    n->state = NODE_UP;
    n->inc++;
    n->kv = n->disk.image;
    n->applied = n->disk.snap.index;
    n->mem_snap = n->disk.snap;
    n->mem_image = n->disk.image;
    n->n_recv = 0;
    n->lead_term = n->lead_commit = 0;
    memset(&n->st, 0, sizeof(n->st));
    return true;
}

/* A founding member: its disk starts with the initial configuration as the
 * snapshot at index 0, which is what raft_bootstrap gives the core. */
void node_boot(sim_t *s, uint64_t id, const raft_conf_t *conf)
{
    sim_node_t *n = &s->nodes[id];
    memset(n, 0, sizeof(*n));
    n->id = id;
    n->tick_phase = (unsigned)rng_below(&s->rng, SIM_TICK_UNITS);
    n->disk.snap.conf = *conf;
    if (!node_new_core(s, n)) return;
    int rc = raft_bootstrap(n->r, conf);
    if (rc != RAFT_OK) sim_fail(s, "raft_bootstrap of node %" PRIu64 " failed (%d)", id, rc);
}

/* A new node joining as a learner: an empty disk, no configuration; it learns
 * the cluster from what the leader sends. */
void node_join(sim_t *s, uint64_t id)
{
    sim_node_t *n = &s->nodes[id];
    memset(n, 0, sizeof(*n));
    n->id = id;
    n->tick_phase = (unsigned)rng_below(&s->rng, SIM_TICK_UNITS);
    if (!node_new_core(s, n)) return;
    sim_trace(s, "join n%" PRIu64, id);
}

/* A crash loses the core, the in-memory state machine and every write not yet
 * durable; a node that leaves for good (gone) loses its disk too. */
void node_crash(sim_t *s, sim_node_t *n, bool gone)
{
    if (n->state == NODE_UP) {
        node_drop_pending(n);
        raft_free(n->r);
        n->r = NULL;
        clients_on_crash(s, n);
    }
    memset(&n->kv, 0, sizeof(n->kv));
    n->applied = 0;
    n->n_recv = 0;
    memset(&n->st, 0, sizeof(n->st));
    n->state = gone ? NODE_GONE : NODE_DOWN;
    if (gone)
        disk_free(&n->disk);
    else
        s->stats.crashes++;
    sim_trace(s, "%s n%" PRIu64, gone ? "gone" : "crash", n->id);
}

/* A restart rebuilds the core from the disk alone: hard state, snapshot meta
 * and the log after it; the state machine is the snapshot image, and the core
 * hands the committed entries after it out again. */
void node_restart(sim_t *s, sim_node_t *n)
{
    if (!node_new_core(s, n)) return;
    int rc = raft_restore(n->r, &n->disk.hs, &n->disk.snap, n->disk.log, n->disk.n);
    if (rc != RAFT_OK) sim_fail(s, "raft_restore of node %" PRIu64 " failed (%d)", n->id, rc);
    sim_trace(s,
              "restart n%" PRIu64 " hs term=%" PRIu64 " vote=%" PRIu64 " commit=%" PRIu64
              " snap=%" PRIu64 "/%" PRIu64 " log to %" PRIu64,
              n->id, n->disk.hs.term, n->disk.hs.vote, n->disk.hs.commit, n->disk.snap.term,
              n->disk.snap.index, disk_last(&n->disk));
}

/* The end of the run: readies still pending are released before the core. */
void node_free(sim_node_t *n)
{
    if (n->r) {
        node_drop_pending(n);
        raft_free(n->r);
        n->r = NULL;
    }
    disk_free(&n->disk);
    free(n->pend);
    n->pend = NULL;
    n->n_pend = n->cap_pend = 0;
}

/* ---- snapshots -------------------------------------------------------------- */

/* Remembers the image that came with a SNAPSHOT message, for when the core
 * decides to install it. */
void node_store_image(sim_node_t *n, uint64_t index, uint64_t term, const kv_t *kv)
{
    recv_image_t *r = &n->recv[n->n_recv++ % SIM_RECV_IMAGES];
    r->index = index;
    r->term = term;
    r->kv = *kv;
}

/* The image received with the snapshot (index, term), or NULL. */
static const kv_t *find_image(const sim_node_t *n, uint64_t index, uint64_t term)
{
    for (unsigned i = 0; i < SIM_RECV_IMAGES && i < n->n_recv; i++)
        if (n->recv[i].index == index && n->recv[i].term == term) return &n->recv[i].kv;
    return NULL;
}

/* The application's side of compaction: the state machine covers everything
 * applied, so the core may drop its log up to there (keeping some entries for
 * slow followers); the image and the meta the core returns go to disk at once. */
void node_compact(sim_t *s, sim_node_t *n)
{
    if (n->applied <= n->mem_snap.index) return;
    for (size_t i = 0; i < n->n_pend; i++)
        if (n->pend[i].rd.has_snapshot) return;
    uint64_t trailing = rng_below(&s->rng, 3) == 0 ? 0 : rng_range(&s->rng, 1, 30);
    raft_snapshot_meta_t meta;
    int rc = raft_compact(n->r, n->applied, trailing, &meta);
    if (rc != RAFT_OK) {
        sim_fail(s, "raft_compact(%" PRIu64 ", %" PRIu64 ") on node %" PRIu64 " failed (%d)",
                 n->applied, trailing, n->id, rc);
        return;
    }
    if (meta.index != n->applied || meta.term != disk_term(&n->disk, meta.index)) {
        sim_fail(s,
                 "raft_compact on node %" PRIu64 " at %" PRIu64 "/%" PRIu64
                 " returned meta %" PRIu64 "/%" PRIu64,
                 n->id, disk_term(&n->disk, n->applied), n->applied, meta.term, meta.index);
        return;
    }
    disk_compact(&n->disk, &meta, &n->kv);
    n->mem_snap = meta;
    n->mem_image = n->kv;
    s->stats.compactions++;
    sim_trace(s, "compact n%" PRIu64 " at %" PRIu64 "/%" PRIu64 " trailing %" PRIu64, n->id,
              meta.term, meta.index, trailing);
}

/* ---- ready handling ------------------------------------------------------------ */

/* A configuration entry that removes members: each leaves some time after its
 * removal is committed (applied anywhere). */
static void note_removals(sim_t *s, const raft_entry_t *e)
{
    raft_conf_t c;
    if (raft_conf_decode(&c, e->data, e->len) != 0) {
        sim_fail(s, "configuration entry %" PRIu64 " does not decode", e->index);
        return;
    }
    for (int i = 0; i < c.n_removed; i++) {
        sim_node_t *x = sim_node(s, c.removed[i]);
        if (x && x->state != NODE_GONE && !x->gone_at) {
            x->gone_at = s->now + rng_range(&s->rng, 1, ticks_to_units(50));
            sim_trace(s, "removal of n%" PRIu64 " committed at %" PRIu64, x->id, e->index);
        }
    }
}

/* One committed entry: it must be the next one, durable here, and the same
 * entry every other node applied at that index. */
static void node_apply(sim_t *s, sim_node_t *n, const raft_entry_t *e, uint64_t term)
{
    if (e->index != n->applied + 1) {
        sim_fail(s, "node %" PRIu64 " is handed entry %" PRIu64 " to apply after %" PRIu64, n->id,
                 e->index, n->applied);
        return;
    }
    if (!disk_holds(&n->disk, e->index, e->term)) {
        sim_fail(s,
                 "node %" PRIu64 " is handed entry %" PRIu64 "/%" PRIu64
                 " to apply before it is durable (disk log to %" PRIu64 ")",
                 n->id, e->term, e->index, disk_last(&n->disk));
        return;
    }
    if (!kv_apply(&n->kv, e)) {
        sim_fail(s, "node %" PRIu64 " applies entry %" PRIu64 " that no client wrote", n->id,
                 e->index);
        return;
    }
    n->applied = e->index;
    check_committed(s, e->index, e->term, term);
    check_apply(s, n, e);
    client_on_apply(s, n, e);
    if (e->type == RAFT_ENTRY_CONF) note_removals(s, e);
}

/* A snapshot sent by the leader is installed: the state machine becomes the
 * image that came with it. */
static const kv_t *install_snapshot(sim_t *s, sim_node_t *n, const raft_snapshot_meta_t *meta,
                                    uint64_t term)
{
    const kv_t *img = find_image(n, meta->index, meta->term);
    if (!img) {
        sim_fail(s, "node %" PRIu64 " installs snapshot %" PRIu64 "/%" PRIu64 " it never received",
                 n->id, meta->term, meta->index);
        return NULL;
    }
    if (meta->index < n->applied) {
        sim_fail(s,
                 "node %" PRIu64 " installs snapshot %" PRIu64 " behind its applied index %" PRIu64,
                 n->id, meta->index, n->applied);
        return NULL;
    }
    check_committed(s, meta->index, meta->term, term);
    check_image(s, n, meta->index, img);
    n->kv = *img;
    n->applied = meta->index;
    n->mem_snap = *meta;
    n->mem_image = *img;
    s->stats.snaps_installed++;
    sim_trace(s, "install n%" PRIu64 " snapshot %" PRIu64 "/%" PRIu64, n->id, meta->term,
              meta->index);
    return img;
}

/* One ready batch, in the order the contract allows: reads (already applied
 * up to their index), committed entries, a snapshot to install, messages that
 * may leave now; then its writes go to the disk queue. */
static void handle_ready(sim_t *s, sim_node_t *n)
{
    raft_ready_t rd;
    raft_ready(n->r, &rd);
    if (rd.role == RAFT_LEADER || rd.n_committed || rd.has_snapshot) {
        raft_status(n->r, &n->st);
        if (n->st.role == RAFT_LEADER) check_leader(s, n, n->st.term);
    }
    for (size_t i = 0; i < rd.n_reads; i++)
        client_on_read(s, n, &rd.reads[i]);
    for (size_t i = 0; i < rd.n_committed && !s->failed; i++)
        node_apply(s, n, &rd.committed[i], n->st.term);
    if (rd.n_committed && !s->failed) {
        sim_trace(s, "applied n%" PRIu64 " %" PRIu64 "..%" PRIu64, n->id, rd.committed[0].index,
                  rd.committed[rd.n_committed - 1].index);
        raft_applied(n->r, rd.committed[rd.n_committed - 1].index);
    }
    const kv_t *img = NULL;
    if (rd.has_snapshot && !s->failed) img = install_snapshot(s, n, &rd.snapshot, n->st.term);
    for (size_t i = 0; i < rd.n_msgs && !s->failed; i++)
        net_send(s, n, &rd.msgs[i]);
    node_queue_ready(s, n, &rd, img);
}

/* Runs a node until it is quiet: durable writes completed, ready batches
 * handled (a write may be durable at once, and persisting may make more
 * ready). */
void node_process(sim_t *s, sim_node_t *n)
{
    for (int rounds = 0; n->state == NODE_UP && !s->failed; rounds++) {
        if (rounds > 10000) {
            sim_fail(s, "node %" PRIu64 " never stops having a ready", n->id);
            return;
        }
        bool any = node_disk_progress(s, n);
        if (!s->failed && raft_has_ready(n->r)) {
            handle_ready(s, n);
            any = true;
        }
        if (!any) break;
    }
}
