/* The Raft consensus core: a pure state machine, after the extended Raft paper
 * and Ongaro's thesis. No sockets, files, clocks or threads: only libc.
 *
 * The application drives it from one thread:
 *
 *   inputs   raft_tick()            one logical clock tick (the node: a timer)
 *            raft_step(msg)         a message from a peer
 *            raft_propose(...)      a new entry (leader only)
 *            raft_read_index(ctx)   ask for a linearizable read point
 *            raft_propose_conf(...) a membership change (leader only)
 *            raft_transfer_leader() hand leadership to another voter
 *   output   raft_ready()           what to persist, send and apply now
 *   feedback raft_persisted()       a ready's writes are durable
 *            raft_applied()         entries up to an index are applied
 *            raft_compact()         the state machine covers the log up to here
 *            raft_report_*()        a peer is unreachable / a snapshot failed
 *
 * PERSISTENCE CONTRACT. A ready batch asks for up to three writes, to be made
 * durable in this order and in the order the readies were taken:
 *   1. rd.snapshot (if rd.has_snapshot): replace the state machine and the log
 *      with the snapshot (a follower installing what its leader sent);
 *   2. rd.entries: append them, first deleting every stored entry with an index
 *      >= rd.entries[0].index (a follower overwrites a conflicting suffix);
 *   3. rd.hs (if rd.hs_changed): the hard state (term, vote).
 * Messages in rd.msgs may be sent at once, even while the writes are in flight
 * (a leader sends entries to followers in parallel with its own append,
 * thesis §10.2.1). Messages in rd.msgs_after must not leave before the writes
 * of this ready AND of every earlier ready are durable: they are votes,
 * acknowledgements of entries, and anything else whose truth depends on state
 * the core was told to persist. When the writes are durable the application
 * calls raft_persisted(r, rd); only then does the core count its own log
 * toward a quorum or hand its entries out for applying. The core never assumes
 * durability it was not told about; a crash that loses an unpersisted ready is
 * safe because nothing that depended on it was sent.
 *
 * rd.committed lists entries to apply, in order, all durable locally; once
 * applied the application calls raft_applied(). It includes the NOOP entries
 * of new leaders and CONF entries (the configuration is already in force; the
 * application may record it). rd.reads lists read requests
 * that are now safe: their index is committed in the leader's term, a quorum
 * confirmed the leadership after the read arrived, and this node has applied
 * up to the index (the core holds them back until raft_applied says so).
 *
 * The in-memory log holds every entry since the last compaction point; on
 * restart the application hands back what it persisted with raft_restore(),
 * then calls raft_applied() with its state machine's applied index (entries up
 * to the snapshot index count as applied; later ones would be handed out
 * again).
 * Entry data lives in reference-counted buffers owned by the core: a ready,
 * and the entries and messages in it, stay valid until raft_ready_free(), even
 * while the core goes on stepping and ticking.
 *
 * Memberships are single-server changes (thesis §4): a configuration takes
 * effect on every node as soon as its entry is appended (not committed), only
 * one may be uncommitted at a time, learners receive the log without voting.
 * A configuration entry carries the whole new configuration, including every
 * id ever removed, so that no id is reused. */
#ifndef REDRAFT_RAFT_RAFT_H
#define REDRAFT_RAFT_RAFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RAFT_MAX_NODES 16     /* members (voters + learners) of one configuration */
#define RAFT_MAX_REMOVED 64   /* removed ids remembered to refuse their reuse */
#define RAFT_ADDR_MAX 64      /* an opaque address string per member, NUL included */

/* Errors returned by the calls below (0 is success). */
enum {
    RAFT_OK = 0,
    RAFT_ENOTLEADER = -1,  /* only the leader can do this */
    RAFT_EBUSY = -2,       /* a leadership transfer or a membership change is in progress */
    RAFT_EINVAL = -3,      /* an argument is invalid (unknown node, bad state, ...) */
    RAFT_ETOOBIG = -4,     /* an entry larger than max_entry_bytes */
    RAFT_ELASTVOTER = -5,  /* would remove the last voter */
    RAFT_EREMOVED = -6,    /* this id was removed before and cannot be reused */
    RAFT_ENOMEM = -7,
};

typedef enum { RAFT_FOLLOWER, RAFT_PRE_CANDIDATE, RAFT_CANDIDATE, RAFT_LEADER } raft_role_t;

typedef enum {
    RAFT_ENTRY_NORMAL = 0, /* application data */
    RAFT_ENTRY_NOOP = 1,   /* appended by a new leader at the start of its term */
    RAFT_ENTRY_CONF = 2,   /* a configuration (raft_conf_encode) */
} raft_entry_type_t;

/* A log entry. data points into a buffer owned by the core (buf != NULL), or,
 * in a message the application built, into the application's own memory
 * (buf == NULL; the core copies what it keeps). */
typedef struct raft_entry {
    uint64_t term;
    uint64_t index;
    uint8_t type;
    uint32_t len;
    const char *data;
    void *buf;
} raft_entry_t;

/* ---- configuration ----------------------------------------------------- */

typedef struct raft_member {
    uint64_t id;
    bool voter;               /* false: a learner */
    char addr[RAFT_ADDR_MAX]; /* opaque to the core (the node stores "host:port") */
} raft_member_t;

typedef struct raft_conf {
    int n;
    raft_member_t m[RAFT_MAX_NODES];
    int n_removed;
    uint64_t removed[RAFT_MAX_REMOVED];
} raft_conf_t;

typedef enum {
    RAFT_CONF_ADD_LEARNER, /* a new id joins as a learner */
    RAFT_CONF_PROMOTE,     /* a learner becomes a voter */
    RAFT_CONF_REMOVE,      /* a member leaves (its id is never reused) */
} raft_conf_op_t;

/* Serializes conf into buf (at most cap bytes); returns the length, or 0 if it
 * does not fit. raft_conf_decode returns 0, or -1 when the bytes are not a
 * valid configuration (wrong length, duplicate ids, too many members). */
size_t raft_conf_encode(const raft_conf_t *c, char *buf, size_t cap);
int raft_conf_decode(raft_conf_t *c, const char *buf, size_t len);
const raft_member_t *raft_conf_find(const raft_conf_t *c, uint64_t id);
int raft_conf_voters(const raft_conf_t *c);

/* ---- messages ------------------------------------------------------------- */

typedef enum {
    RAFT_MSG_PREVOTE = 1,      /* term = the term the sender would campaign in */
    RAFT_MSG_PREVOTE_RESP,
    RAFT_MSG_VOTE,             /* log_term/index = the candidate's last entry */
    RAFT_MSG_VOTE_RESP,
    RAFT_MSG_APPEND,           /* log_term/index = the entry before `entries` */
    RAFT_MSG_APPEND_RESP,      /* index = last matching index; or reject with hints */
    RAFT_MSG_HEARTBEAT,        /* commit, ctx = read-index round */
    RAFT_MSG_HEARTBEAT_RESP,   /* ctx echoed */
    RAFT_MSG_SNAPSHOT,         /* snapshot metadata; the data travels beside it */
    RAFT_MSG_TIMEOUT_NOW,      /* leadership transfer: campaign now */
    RAFT_MSG_READ_INDEX,       /* follower -> leader: ctx identifies the request */
    RAFT_MSG_READ_INDEX_RESP,  /* leader -> follower: index to wait for, or reject */
    RAFT_MSG_TYPE_MAX
} raft_msg_type_t;

typedef struct raft_snapshot_meta {
    uint64_t index; /* last entry the snapshot covers */
    uint64_t term;  /* its term */
    raft_conf_t conf;
} raft_snapshot_meta_t;

typedef struct raft_msg {
    uint8_t type;
    bool reject;
    bool transfer;        /* VOTE/PREVOTE sent because of TIMEOUT_NOW */
    uint64_t from, to, term;
    uint64_t log_term;    /* see the types above; in a rejection: the hint's term */
    uint64_t index;
    uint64_t commit;
    uint64_t reject_hint; /* APPEND_RESP reject: the follower's best guess of a match */
    uint64_t ctx;         /* heartbeat round / read request id */
    uint32_t n_entries;
    raft_entry_t *entries;
    raft_snapshot_meta_t *snapshot; /* SNAPSHOT only */
} raft_msg_t;

/* ---- the core ------------------------------------------------------------- */

typedef struct raft raft_t;

typedef struct raft_config {
    uint64_t id;                /* this node, never 0 */
    int election_ticks;         /* base election timeout; randomized in [e, max) */
    int election_ticks_max;     /* exclusive upper bound; 0 (or <= e) means 2e */
    int heartbeat_ticks;        /* leader heartbeat interval, < election_ticks */
    bool pre_vote;              /* thesis §9.6: no term change without a winnable
                                   election; refused while a leader is heard */
    bool check_quorum;          /* leader steps down without a quorum; a voter
                                   that heard a leader ignores vote requests */
    bool lease_reads;           /* ReadIndex answered from the lease (needs
                                   check_quorum; set alike on every node: a
                                   restarted voter then ignores vote requests
                                   for an election timeout, a leader stops lease
                                   reads in a term where it sent TIMEOUT_NOW) */
    uint32_t max_msg_entries;   /* entries per APPEND */
    uint64_t max_msg_bytes;     /* entry bytes per APPEND (at least one entry is sent) */
    uint32_t max_inflight_msgs; /* APPENDs in flight per follower */
    uint64_t max_inflight_bytes;/* entry bytes in flight per follower (0 = no limit;
                                   the last message may cross it) */
    uint32_t max_entry_bytes;   /* largest entry accepted by raft_propose */
    /* The source of randomness (election timeouts). NULL: an internal generator
     * seeded with rand_seed. */
    uint64_t (*rand)(void *arg);
    void *rand_arg;
    uint64_t rand_seed;
} raft_config_t;

/* Fills cfg with defaults (election 10 ticks, heartbeat 1, pre-vote and
 * check-quorum on, 64 entries / 1 MB per message, 256 messages / 16 MB in
 * flight, 512 MB per entry). */
void raft_config_default(raft_config_t *cfg, uint64_t id);

typedef struct raft_hard_state {
    uint64_t term;
    uint64_t vote;
    uint64_t commit; /* informational: lets a restarted node know what was committed */
} raft_hard_state_t;

raft_t *raft_new(const raft_config_t *cfg);
void raft_free(raft_t *r);

/* Loads what was persisted before a restart (or, for a brand-new cluster, the
 * initial configuration as a snapshot at index 0). Call once, before anything
 * else. entries must follow snap->index without gaps; they are copied. A node
 * joining an existing cluster starts from nothing (or an empty configuration
 * as a snapshot at 0): it is no voter, never campaigns, and takes the log or a
 * snapshot from the leader that added it. */
int raft_restore(raft_t *r, const raft_hard_state_t *hs, const raft_snapshot_meta_t *snap,
                 const raft_entry_t *entries, size_t n);

/* Bootstraps a brand-new cluster: the configuration every founding member
 * agrees on, as a snapshot at index 0 term 0. */
int raft_bootstrap(raft_t *r, const raft_conf_t *conf);

void raft_tick(raft_t *r);
/* Steps a message addressed to this node. Returns RAFT_EINVAL for malformed
 * ones (raft_msg_valid). Dropped without effect: vote requests from ids
 * outside the configuration in force (before their term is looked at),
 * anything from an id whose removal is committed, and messages of an older
 * term (a stale leader, pre-candidate or reader gets an answer in our term).
 * Everything else from an unknown id is accepted: it may be the leader of a
 * configuration this node has not seen yet, or this node may be joining. */
int raft_step(raft_t *r, const raft_msg_t *m);

/* Appends an entry (leader only); *index (if not NULL) gets its index. */
int raft_propose(raft_t *r, const void *data, size_t len, uint64_t *index);
/* Proposes a membership change (leader only). RAFT_EBUSY while the previous
 * change is uncommitted, during a transfer, and until the leader has committed
 * an entry of its own term (its no-op): the single-server change fix. */
int raft_propose_conf(raft_t *r, raft_conf_op_t op, uint64_t id, const char *addr, uint64_t *index);
/* Asks for a read point; ctx (unique among the reads in flight) comes back in
 * exactly one raft_read_state_t of a later ready: served, or rejected with
 * index 0 (no leader known: then this call also returns RAFT_ENOTLEADER; the
 * leader changed or the term moved on; a follower's forwarded read got no
 * answer within an election timeout). Rejected reads are retried by the
 * application. */
int raft_read_index(raft_t *r, uint64_t ctx);
/* Hands leadership to `to` (leader only). */
int raft_transfer_leader(raft_t *r, uint64_t to);
/* Starts an election now, without a pre-vote (a node told to take over;
 * tests). Voters in a leader's lease still ignore it. */
int raft_campaign(raft_t *r);

/* The application could not reach `to` (its messages were lost): the leader
 * stops streaming to it and probes instead. */
void raft_report_unreachable(raft_t *r, uint64_t to);
/* The snapshot sent to `to` failed (ok=false) or finished (ok=true). */
void raft_report_snapshot(raft_t *r, uint64_t to, bool ok);

/* ---- ready ---------------------------------------------------------------- */

typedef struct raft_read_state {
    uint64_t index; /* apply up to here (already done when handed out), then read */
    uint64_t ctx;
    bool rejected;  /* no leader could serve it: retry later */
} raft_read_state_t;

typedef struct raft_ready {
    bool has_snapshot;
    raft_snapshot_meta_t snapshot;
    raft_entry_t *entries;
    size_t n_entries;
    bool hs_changed;
    raft_hard_state_t hs;
    raft_msg_t *msgs;
    size_t n_msgs;
    raft_msg_t *msgs_after;
    size_t n_msgs_after;
    raft_entry_t *committed;
    size_t n_committed;
    raft_read_state_t *reads;
    size_t n_reads;
    /* soft state, for the application's information */
    raft_role_t role;
    uint64_t leader;
    /* internal: what raft_persisted records, and what raft_ready_free frees */
    uint64_t persist_index_, persist_term_, seq_;
    raft_entry_t *msg_ents_, *msg_ents_after_;
    size_t n_msg_ents_, n_msg_ents_after_;
} raft_ready_t;

bool raft_has_ready(const raft_t *r);
/* Takes everything pending into rd (rd is overwritten). */
void raft_ready(raft_t *r, raft_ready_t *rd);
/* rd's writes (snapshot, entries, hard state) are durable. */
void raft_persisted(raft_t *r, const raft_ready_t *rd);
/* Entries up to index are applied to the state machine. */
void raft_applied(raft_t *r, uint64_t index);
/* Releases rd's references. */
void raft_ready_free(raft_t *r, raft_ready_t *rd);

/* The state machine covers the log up to index (<= applied): the core drops
 * entries up to index - trailing, keeping `trailing` for slow followers (so
 * the snapshot index may lie above the first index still in the log).
 * Returns the snapshot metadata the application must store with its state. */
int raft_compact(raft_t *r, uint64_t index, uint64_t trailing, raft_snapshot_meta_t *meta);
/* What raft_compact(index) would record, without compacting: the term of
 * the entry at index and the configuration in force there (index between
 * the last snapshot and the applied index). RAFT_EINVAL otherwise. */
int raft_snapshot_meta(const raft_t *r, uint64_t index, raft_snapshot_meta_t *meta);

/* ---- status ---------------------------------------------------------------- */

typedef enum { RAFT_PROGRESS_PROBE, RAFT_PROGRESS_REPLICATE, RAFT_PROGRESS_SNAPSHOT } raft_progress_state_t;

typedef struct raft_peer_status {
    uint64_t id;
    bool voter;
    uint64_t match, next;
    raft_progress_state_t state;
    bool recent_active;
    uint64_t ticks_since_ack; /* leader only */
} raft_peer_status_t;

typedef struct raft_status {
    uint64_t id;
    raft_role_t role;
    uint64_t term, vote, leader;
    uint64_t first_index, last_index, last_term, commit, applied, stable;
    uint64_t snap_index, snap_term;
    uint64_t transferee;
    uint64_t conf_index; /* index of the entry that set the configuration (0: bootstrap/snapshot) */
    const raft_conf_t *conf;
    int n_peers;
    raft_peer_status_t peers[RAFT_MAX_NODES]; /* leader only */
} raft_status_t;

void raft_status(const raft_t *r, raft_status_t *st);
/* Term of the entry at index, or 0 when it is not in the log (compacted or
 * beyond the end; the snapshot's index answers its term). */
uint64_t raft_term_at(const raft_t *r, uint64_t index);
/* The entry at index while the core holds it (NULL: compacted or beyond the
 * log). Valid until the next call into the core. */
const raft_entry_t *raft_entry_at(const raft_t *r, uint64_t index);
/* The commit index, cheaper than raft_status for the hot path. */
uint64_t raft_commit_index(const raft_t *r);
const char *raft_role_name(raft_role_t role);
const char *raft_msg_type_name(int type);
/* Validates a message built from bytes a peer sent: known type, a sender,
 * entries only in APPEND, consecutive from index + 1, of known types, with
 * terms not decreasing from log_term and not above the message's term, data
 * present when len > 0; snapshot metadata present in SNAPSHOT. */
bool raft_msg_valid(const raft_msg_t *m);

#ifdef RAFT_FAULTS
/* Test-only switches that break the algorithm on purpose, so the simulator can
 * show it finds the breakage. */
enum {
    RAFT_FAULT_NONE = 0,
    RAFT_FAULT_COMMIT_OLD_TERM,  /* commit by counting replicas of a previous term's entry */
    RAFT_FAULT_DOUBLE_VOTE,      /* grant a second vote in the same term */
    RAFT_FAULT_READ_NO_QUORUM,   /* answer ReadIndex without confirming leadership */
};
extern int raft_fault;
#endif

#endif
