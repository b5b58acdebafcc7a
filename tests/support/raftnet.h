/* raftnet: a small deterministic in-memory cluster of raft_t's for the unit
 * tests of the Raft core (tests/unit/test_raft_*.c).
 *
 * Every node has a synchronous "disk": when its ready is taken the harness
 * writes the snapshot, the entries and the hard state into the node's disk
 * mirror at once, calls raft_persisted, queues rd.msgs and rd.msgs_after,
 * applies rd.committed to the node's state machine (a list of entries) and
 * calls raft_applied. A node in manual-persist mode instead sends rd.msgs and
 * applies rd.committed at once (the header says committed entries are durable
 * already), and holds the writes and rd.msgs_after until rn_persist() (the
 * write is "in flight").
 *
 * Messages travel through one FIFO queue. They are deep copies: entries have
 * buf == NULL and data owned by the queue, so they outlive raft_ready_free.
 * Links can be cut (one way or both), nodes stopped, and a filter may drop or
 * rewrite any message just before it is delivered. Every message a node hands
 * out is also recorded in a trace (type, from, to, whether it came from
 * rd.msgs_after, ...) that the tests count.
 *
 * The harness checks on its own, failing the running test:
 *  - state-machine safety: every entry any node applies at an index equals
 *    what every other node applied there; entries are applied in order;
 *  - rd.committed holds only entries already durable on the node's disk;
 *  - a leader's APPEND/HEARTBEAT/SNAPSHOT/TIMEOUT_NOW of term T leaves through
 *    rd.msgs only when term T is durable on the sender's disk;
 *  - no message the core produced is refused by raft_step as malformed;
 *  - election safety: at most one node is leader in any term. */
#ifndef REDRAFT_TESTS_RAFTNET_H
#define REDRAFT_TESTS_RAFTNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft/raft.h"

#define RN_MAX_ID 9 /* node ids are 1 .. RN_MAX_ID */

/* An entry the harness owns (a copy). */
typedef struct rn_entry {
    uint64_t index, term;
    uint8_t type;
    uint32_t len;
    char *data;
    bool present; /* rn's canonical log: this index was applied somewhere */
} rn_entry_t;

/* One message as it left a node. */
typedef struct rn_trace {
    uint8_t type;
    bool reject, transfer;
    bool after;       /* it was in rd.msgs_after */
    raft_role_t role; /* the sender's role in that ready */
    uint64_t from, to, term, log_term, index, commit, reject_hint, ctx;
    uint32_t n_entries;
    uint64_t first, last; /* indexes of the entries carried (0 when none) */
    uint64_t bytes;       /* sum of the entries' len */
    uint64_t snap_index;  /* SNAPSHOT: the metadata's index */
} rn_trace_t;

/* A read state as the node handed it out. */
typedef struct rn_read {
    uint64_t index, ctx;
    bool rejected;
    uint64_t applied; /* what the node had applied (raft_applied) when it came out */
} rn_read_t;

/* What a node made durable. */
typedef struct rn_disk {
    raft_hard_state_t hs;
    raft_snapshot_meta_t snap;
    rn_entry_t *log; /* log[i].index == snap.index + 1 + i */
    size_t n, cap;
} rn_disk_t;

typedef struct rn_node {
    uint64_t id;
    bool up; /* started and not stopped */
    raft_t *r;
    raft_config_t cfg;
    uint64_t rng;
    bool manual_persist;
    raft_ready_t *held; /* manual persist: readies whose writes are in flight */
    size_t n_held, cap_held;
    rn_disk_t disk;
    rn_entry_t *applied; /* the state machine: applied[i].index == i + 1 */
    size_t n_applied, cap_applied;
    rn_read_t *reads;
    size_t n_reads, cap_reads;
    int snapshots_installed;
    raft_snapshot_meta_t last_installed;
} rn_node_t;

/* A filter sees every message just before delivery. It may rewrite the
 * message (e.g. remove entries; it owns the copy) and returns false to drop it. */
typedef bool (*rn_filter_fn)(raft_msg_t *m, void *arg);

typedef struct raftnet {
    rn_node_t node[RN_MAX_ID + 1];          /* by id; node[0] unused */
    raft_config_t tmpl;                     /* the config nodes start with (id replaced) */
    uint64_t seed;                          /* mixed into every node's PRNG */
    bool cut[RN_MAX_ID + 1][RN_MAX_ID + 1]; /* cut[from][to]: messages are lost */
    rn_filter_fn filter;
    void *filter_arg;
    /* Like a transport would: a message lost on a cut link or to a stopped node
     * makes the harness call raft_report_unreachable (APPEND) or
     * raft_report_snapshot(false) (SNAPSHOT) on the sender. A delivered SNAPSHOT
     * calls raft_report_snapshot(true). Both default to true. */
    bool report_unreachable;
    bool report_snapshot;
    raft_msg_t *q; /* queued messages, oldest first */
    size_t nq, capq;
    rn_trace_t *trace;
    size_t ntrace, captrace;
    rn_entry_t *canon; /* canon[i - 1]: what was applied at index i */
    size_t ncanon;
    uint64_t delivered; /* messages stepped so far */
    uint64_t *leaders;  /* leaders[t]: the node that led term t (0: none seen) */
    size_t nleaders;
} raftnet_t;

/* The test defaults: raft_config_default, then election 10 ticks, heartbeat 1,
 * pre-vote and check-quorum on, lease reads off. */
void rn_config(raft_config_t *cfg);

/* A cluster of voters 1..n, bootstrapped and started, with cfg (NULL: rn_config). */
raftnet_t *rn_new(int n, const raft_config_t *cfg);
/* An empty net: start nodes with rn_start_*. */
raftnet_t *rn_new_empty(const raft_config_t *cfg);
void rn_free(raftnet_t *net);
/* cmocka teardown: frees every net the test did not free (it failed midway). */
int rn_teardown(void **state);
#define RN_TEST(f) cmocka_unit_test_teardown(f, rn_teardown)

/* The configuration with voters 1..n (addresses "node<id>"). */
void rn_conf_voters(raft_conf_t *c, int n);
/* Starts node id: bootstrapped with conf / restored from a hard state, a
 * snapshot (NULL: index 0 term 0 with conf NULL: voters 1..n_voters) and entries given
 * as their terms (entry i has index snap+1+i, term terms[i], data "t<term>i<index>") /
 * with an empty configuration (a node about to be added to a cluster). */
void rn_start_bootstrap(raftnet_t *net, uint64_t id, const raft_conf_t *conf);
void rn_start_log(raftnet_t *net, uint64_t id, int n_voters, uint64_t hs_term,
                  const uint64_t *terms, size_t n);
void rn_start_joining(raftnet_t *net, uint64_t id);
/* Stops a node (it loses what was not persisted); rn_restart restores it from its disk. */
void rn_stop(raftnet_t *net, uint64_t id);
void rn_restart(raftnet_t *net, uint64_t id);

raft_t *rn_raft(raftnet_t *net, uint64_t id);
rn_node_t *rn_node(raftnet_t *net, uint64_t id);

/* ---- driving ------------------------------------------------------------ */

/* Takes every ready node id has (persist, send, apply). */
void rn_process(raftnet_t *net, uint64_t id);
void rn_process_all(raftnet_t *net);
/* Manual persist mode for id; rn_persist completes the held readies in order
 * (and then processes the node again). */
void rn_set_manual_persist(raftnet_t *net, uint64_t id, bool on);
void rn_persist(raftnet_t *net, uint64_t id);
/* Completes only the oldest held ready (false: none held). */
bool rn_persist_one(raftnet_t *net, uint64_t id);

/* Delivers the oldest queued message (then processes the receiver); false when
 * the queue is empty. rn_deliver_match delivers the oldest one matching
 * (0 = any from/to/type). */
bool rn_deliver_one(raftnet_t *net);
bool rn_deliver_match(raftnet_t *net, uint64_t from, uint64_t to, int type);
/* Processes and delivers until no node has a ready and the queue is empty. */
void rn_run(raftnet_t *net);
/* Ticks node id n times, processing its ready after each tick (no delivery). */
void rn_tick(raftnet_t *net, uint64_t id, int n);
/* n rounds of: tick every running node once, then rn_run. */
void rn_tick_all(raftnet_t *net, int n);
/* raft_campaign(id) then rn_run. Returns the id of the leader afterwards. */
uint64_t rn_campaign(raftnet_t *net, uint64_t id);
/* A string entry proposed on id (then processed); returns the raft_propose code. */
int rn_propose(raftnet_t *net, uint64_t id, const char *s, uint64_t *index);
/* Steps a message built by the test into m->to (then processes it); returns
 * raft_step's code. */
int rn_step(raftnet_t *net, const raft_msg_t *m);

/* ---- network ------------------------------------------------------------- */

void rn_cut(raftnet_t *net, uint64_t a, uint64_t b); /* both ways */
void rn_cut_one(raftnet_t *net, uint64_t from, uint64_t to);
void rn_isolate(raftnet_t *net, uint64_t id);
void rn_heal(raftnet_t *net); /* every link up again (the filter stays) */
void rn_set_filter(raftnet_t *net, rn_filter_fn f, void *arg);

/* m is from -> to of that type (0 = any). */
bool rn_msg_matches(const raft_msg_t *m, uint64_t from, uint64_t to, int type);
size_t rn_count_queued(const raftnet_t *net, uint64_t from, uint64_t to, int type);
const raft_msg_t *rn_find_queued(const raftnet_t *net, uint64_t from, uint64_t to, int type);
/* Removes matching queued messages; returns how many. */
size_t rn_drop_queued(raftnet_t *net, uint64_t from, uint64_t to, int type);

/* ---- inspection ---------------------------------------------------------- */

/* Messages in the trace matching (0 = any). */
size_t rn_count_trace(const raftnet_t *net, uint64_t from, uint64_t to, int type);
void rn_trace_clear(raftnet_t *net);
/* Prints the trace from record `from` on (debugging). */
void rn_dump_trace(const raftnet_t *net, size_t from);
/* The latest matching trace record (NULL: none). */
const rn_trace_t *rn_last_trace(const raftnet_t *net, uint64_t from, uint64_t to, int type);

raft_role_t rn_role(raftnet_t *net, uint64_t id);
uint64_t rn_term(raftnet_t *net, uint64_t id);
uint64_t rn_commit(raftnet_t *net, uint64_t id);
uint64_t rn_last_index(raftnet_t *net, uint64_t id);
/* The id of the running leader with the highest term (0: none). */
uint64_t rn_leader(raftnet_t *net);
/* raft_status(id) into a static buffer (valid until the next call). */
const raft_status_t *rn_status(raftnet_t *net, uint64_t id);
/* The leader's view of a peer (NULL when absent). */
const raft_peer_status_t *rn_peer(raftnet_t *net, uint64_t leader, uint64_t peer);

/* Applied NORMAL entries of id whose data equals s. */
int rn_count_applied(raftnet_t *net, uint64_t id, const char *s);
uint64_t rn_applied_index(raftnet_t *net, uint64_t id);
/* The read of id with that ctx (NULL: none yet). */
const rn_read_t *rn_find_read(raftnet_t *net, uint64_t id, uint64_t ctx);

/* Node ids' persisted logs (disk) are equal: same snapshot-independent terms at
 * every index both hold, same last index. */
bool rn_logs_equal(raftnet_t *net, uint64_t a, uint64_t b);
/* Term of the entry at index on id's disk (0: none). */
uint64_t rn_disk_term(raftnet_t *net, uint64_t id, uint64_t index);
const rn_entry_t *rn_disk_entry(raftnet_t *net, uint64_t id, uint64_t index);

/* Deep copy / release of a message (entries and snapshot metadata owned). */
void rn_msg_copy(raft_msg_t *dst, const raft_msg_t *src);
void rn_msg_release(raft_msg_t *m);

#endif
