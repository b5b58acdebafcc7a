/* The deterministic Raft simulator: N cores of src/raft/ on a simulated
 * network and simulated disks, driven by one seeded PRNG, with the safety and
 * liveness checks of the paper run after every step.
 *
 * Time is counted in units; every node ticks once every SIM_TICK_UNITS units
 * (each with its own phase). One step of the simulation is one unit: faults
 * and client actions are drawn, due disk writes become durable, due messages
 * are delivered, nodes tick, every node's ready batches are handled, then the
 * invariants are checked.
 *
 * Files: sim_util.c (PRNG, hashes, the key-value state machine, trace),
 * sim_net.c (network), sim_disk.c (disks and persistence), sim_node.c (node
 * lifecycle and ready handling), sim_client.c (clients: writes and reads),
 * sim_check.c (invariants), sim.c (one seed: schedule and step loop),
 * sim_seeds.c (many seeds over worker processes). */
#ifndef REDRAFT_TESTS_SIM_SIM_H
#define REDRAFT_TESTS_SIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft/raft.h"

#define SIM_MAX_IDS 16    /* node ids ever created in one run (1..16) */
#define SIM_KEYS 8        /* keys of the state machine */
#define SIM_MAX_CLIENTS 8 /* clients writing and reading (each run draws how many) */
#define SIM_TICK_UNITS 2  /* units of time per tick */
#define SIM_ELECTION_TICKS 10
#define SIM_RECV_IMAGES 4 /* snapshot images a node remembers having received */

/* Liveness bounds, in ticks, once the faults stop. */
#define SIM_LEADER_BOUND 200 /* a leader every voter follows */
#define SIM_COMMIT_BOUND 40  /* a read is answered; replication toward a write progresses */
#define SIM_CATCHUP_BOUND 60 /* a lagging member applies something new */
#define SIM_QUIET_TICKS 40   /* at the end, clients stop so that followers catch up */

/* ---- PRNG (sim_util.c) --------------------------------------------------- */

typedef struct sim_rng {
    uint64_t s[4];
} sim_rng_t;

void rng_seed(sim_rng_t *g, uint64_t seed);
uint64_t rng_next(sim_rng_t *g);
uint64_t rng_below(sim_rng_t *g, uint64_t n);               /* [0, n), 0 when n == 0 */
uint64_t rng_range(sim_rng_t *g, uint64_t lo, uint64_t hi); /* [lo, hi] */
bool rng_ppm(sim_rng_t *g, uint32_t ppm);                   /* true with probability ppm/1e6 */

uint64_t mix64(uint64_t x);
uint64_t hash_bytes(const void *p, size_t n);

/* ---- the state machine (sim_util.c) -------------------------------------- */

/* Each key holds a hash chain of every write applied to it and their count,
 * so two states are equal only if the same writes were applied in the same
 * order. */
typedef struct kv {
    uint64_t val[SIM_KEYS];
    uint64_t cnt[SIM_KEYS];
} kv_t;

/* Entry data of a client write: "w<op> k<key>" and padding. */
size_t op_encode(char *buf, size_t cap, uint64_t op, unsigned key, size_t pad);
bool op_decode(const char *d, size_t len, uint64_t *op, unsigned *key);
/* Applies a committed entry; false when a normal entry is not a valid write. */
bool kv_apply(kv_t *kv, const raft_entry_t *e);
uint64_t kv_hash(const kv_t *kv);
uint64_t entry_hash(const raft_entry_t *e);

/* ---- the network (sim_net.c) --------------------------------------------- */

/* A message on the wire: a deep copy (entries with buf == NULL), the state
 * machine image beside a SNAPSHOT, and what the sender was when it sent. */
typedef struct net_msg {
    uint64_t at, seq; /* delivery time; ties broken by send order */
    raft_msg_t m;
    kv_t *image;
    uint32_t from_inc; /* incarnation of the sender */
    bool snap_fail;    /* SNAPSHOT: the transfer fails (reported to the sender) */
} net_msg_t;

typedef struct net {
    net_msg_t **heap;
    size_t n, cap;
    uint64_t seq;
    bool cut[SIM_MAX_IDS + 1][SIM_MAX_IDS + 1]; /* cut[a][b]: a cannot reach b */
} net_t;

/* ---- disks (sim_disk.c) -------------------------------------------------- */

/* What a node has made durable: hard state, the snapshot meta with the state
 * machine image at it, and the log after it (log[k].index == snap.index+1+k,
 * data owned, buf NULL, so it can be handed to raft_restore as is). */
typedef struct disk {
    raft_hard_state_t hs;
    raft_snapshot_meta_t snap;
    kv_t image;
    raft_entry_t *log;
    size_t n, cap;
} disk_t;

/* A ready taken from the core whose writes are not durable yet. */
typedef struct pending {
    raft_ready_t rd;
    uint64_t durable_at;
    kv_t image; /* rd.has_snapshot: the state machine image it installs */
} pending_t;

/* ---- nodes (sim_node.c) -------------------------------------------------- */

enum { NODE_NONE, NODE_UP, NODE_DOWN, NODE_GONE };

typedef struct recv_image {
    uint64_t index, term;
    kv_t kv;
} recv_image_t;

typedef struct sim_node {
    uint64_t id;
    int state;
    uint32_t inc; /* incarnation: bumped by every restart */
    raft_t *r;
    sim_rng_t rng; /* the core's randomness (raft_config_t.rand) */
    unsigned tick_phase;
    disk_t disk;
    pending_t *pend;
    size_t n_pend, cap_pend;
    kv_t kv; /* in-memory state machine */
    uint64_t applied;
    raft_snapshot_meta_t mem_snap; /* the latest snapshot the core knows of */
    kv_t mem_image;
    recv_image_t recv[SIM_RECV_IMAGES];
    unsigned n_recv;
    uint64_t gone_at;                   /* its removal committed: leaves at this time (0: no) */
    uint64_t live_applied, live_target; /* liveness: applied and leader commit at the last mark */
    uint64_t lead_term, lead_commit;    /* leader: its term, its commit index when last seen */
    raft_status_t st;                   /* refreshed at every check */
} sim_node_t;

/* ---- clients (sim_client.c) ---------------------------------------------- */

enum { CLIENT_IDLE, CLIENT_WRITING };

typedef struct client {
    int state;
    uint64_t guess; /* the node believed to be leader */
    uint64_t op;
    unsigned key;
    uint64_t node, index, term, since;
    uint32_t inc;
    uint64_t acked;
    uint64_t prog_max, prog_at; /* liveness: replication toward the write, and when it last grew */
} client_t;

typedef struct read_op {
    uint64_t ctx, node, start;
    uint32_t inc;
    bool
        must_answer; /* issued on a caught-up node of a working cluster: answered in bounded time */
    unsigned key;
    uint64_t need_index, need_cnt; /* committed before the read began */
} read_op_t;

/* ---- checks (sim_check.c) ------------------------------------------------ */

typedef struct commit_rec {
    uint64_t term;  /* 0: not known committed */
    uint64_t cterm; /* every leader of a term >= cterm must hold it */
    uint64_t dhash, kvhash;
    bool applied;
} commit_rec_t;

typedef struct reg_slot {
    uint64_t index, term, dhash, prev_term;
} reg_slot_t;

typedef struct check {
    uint64_t *term_leader; /* term -> leader id; bit 63: completeness scanned */
    size_t cap_terms;
    uint64_t max_leader_term;
    commit_rec_t *c; /* by index */
    size_t cap_c;
    uint64_t commit_max, checked_to; /* known committed; checked against leaders */
    kv_t ref;                        /* state after commit index ref_index */
    uint64_t ref_index;
    reg_slot_t *reg; /* (index, term) -> entry hash, previous term: open addressing */
    size_t cap_reg, n_reg;
} check_t;

/* ---- one run -------------------------------------------------------------- */

typedef struct sim_opts {
    uint64_t seed, steps;
    int nodes;
    bool trace;
    bool quiet;        /* sim_seeds: do not print failures */
    const char *argv0; /* the replay line: "<argv0> <replay_extra>--seed N ..." */
    const char *replay_extra;
    const char *const *expect; /* sim_seeds: only failures whose reason contains one of these
                                  (NULL-terminated) count */
} sim_opts_t;

typedef struct sim_stats {
    uint64_t seeds, steps, failed;
    uint64_t leaders, committed, acked, reads_ok, reads_rejected;
    uint64_t msgs, dropped, snaps_sent, snaps_installed, compactions;
    uint64_t crashes, partitions, conf_changes, transfers;
    uint64_t max_leader_wait, max_commit_wait, max_read_wait; /* ticks, after the faults stop */
} sim_stats_t;

/* Per-seed knobs, drawn at the start of each run. */
typedef struct sim_params {
    uint32_t drop_ppm, dup_ppm, slow_ppm, snap_fail_ppm;
    uint64_t delay_max, slow_max, disk_max;
    uint32_t crash_ppm, restart_ppm, part_ppm, heal_ppm;
    uint32_t compact_ppm, conf_ppm, transfer_ppm, campaign_ppm;
    uint32_t write_ppm, read_ppm;
    uint32_t
        kill_leader_ppm; /* a new leader is crashed or isolated a few steps after its election */
    raft_config_t cfg;   /* template of every node's configuration */
} sim_params_t;

typedef struct sim {
    sim_opts_t opt;
    sim_params_t p;
    sim_rng_t rng;
    uint64_t now;
    uint64_t heal_at; /* faults stop at this time */
    uint64_t stable_at,
        stable_id; /* after healing: when every voter first followed a leader, which */
    uint64_t seen_term, kill_id, kill_at; /* the leader killer: last leader term seen, its plan */
    sim_node_t nodes[SIM_MAX_IDS + 1];    /* by id; [0] unused */
    uint64_t next_id;
    net_t net;
    client_t clients[SIM_MAX_CLIENTS];
    int n_clients;
    read_op_t *reads;
    size_t n_reads, cap_reads;
    uint64_t next_op, next_ctx;
    check_t chk;
    sim_stats_t stats;
    bool failed;
    char why[512];
} sim_t;

/* sim.c */
int sim_run(const sim_opts_t *o, sim_stats_t *st, char *why, size_t cap);

/* sim_seeds.c: runs seeds first .. first+count-1 over `jobs` processes,
 * printing each failure with its replay line (unless o->quiet); with
 * stop_at_first, stops once one fails. Returns the number of failed seeds;
 * *failed_seed gets the lowest one found (0: none). */
uint64_t sim_seeds(const sim_opts_t *o, uint64_t first, uint64_t count, int jobs,
                   bool stop_at_first, sim_stats_t *st, uint64_t *failed_seed, char *why,
                   size_t cap);
int sim_default_jobs(void);
void sim_print_stats(const char *label, const sim_opts_t *o, const sim_stats_t *st, double secs);
void sim_stats_add(sim_stats_t *a, const sim_stats_t *b);
bool sim_faulting(const sim_t *s);

/* sim_util.c */
void sim_trace(sim_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sim_fail(sim_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fmt_msg(char *buf, size_t cap, const raft_msg_t *m);
uint64_t ticks_to_units(uint64_t ticks);

/* sim_net.c */
void net_init(net_t *n);
void net_free(net_t *n);
void net_send(sim_t *s, sim_node_t *from, const raft_msg_t *m);
void net_deliver_due(sim_t *s);
bool net_link_up(const sim_t *s, uint64_t from, uint64_t to);
void net_partition(sim_t *s);
void net_heal_one(sim_t *s);
void net_heal_all(sim_t *s);
bool net_any_cut(const sim_t *s);

/* sim_disk.c */
void disk_free(disk_t *d);
uint64_t disk_last(const disk_t *d);
uint64_t disk_term(const disk_t *d, uint64_t index);
bool disk_holds(const disk_t *d, uint64_t index, uint64_t term);
void disk_compact(disk_t *d, const raft_snapshot_meta_t *meta, const kv_t *image);
void disk_write(sim_t *s, sim_node_t *n, pending_t *p);
void node_queue_ready(sim_t *s, sim_node_t *n, const raft_ready_t *rd, const kv_t *image);
bool node_disk_progress(sim_t *s, sim_node_t *n);
void node_drop_pending(sim_node_t *n);

/* sim_node.c */
sim_node_t *sim_node(sim_t *s, uint64_t id);
sim_node_t *node_up(sim_t *s, uint64_t id);
void node_boot(sim_t *s, uint64_t id, const raft_conf_t *conf);
void node_join(sim_t *s, uint64_t id);
void node_crash(sim_t *s, sim_node_t *n, bool gone);
void node_restart(sim_t *s, sim_node_t *n);
void node_process(sim_t *s, sim_node_t *n);
void node_compact(sim_t *s, sim_node_t *n);
void node_store_image(sim_node_t *n, uint64_t index, uint64_t term, const kv_t *kv);
void node_free(sim_node_t *n);

/* sim_client.c */
void clients_step(sim_t *s);
void client_on_apply(sim_t *s, sim_node_t *n, const raft_entry_t *e);
void client_on_read(sim_t *s, sim_node_t *n, const raft_read_state_t *rs);
void clients_on_crash(sim_t *s, sim_node_t *n);
void clients_check_live(sim_t *s);
void clients_check_end(sim_t *s);
void clients_free(sim_t *s);

/* sim_check.c */
void check_init(check_t *c);
void check_free(check_t *c);
void check_leader(sim_t *s, sim_node_t *n, uint64_t term);
void check_committed(sim_t *s, uint64_t index, uint64_t term, uint64_t cterm);
void check_apply(sim_t *s, sim_node_t *n, const raft_entry_t *e);
void check_image(sim_t *s, sim_node_t *n, uint64_t index, const kv_t *kv);
void check_persist_entry(sim_t *s, sim_node_t *n, const raft_entry_t *e, uint64_t prev_term);
void check_step(sim_t *s);
void check_logs_full(sim_t *s);
void check_liveness(sim_t *s);

#endif
