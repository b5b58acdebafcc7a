/* What the files of the Raft core share: the raft_t structure, the in-memory
 * log, per-follower progress and the output queues. Not part of the public
 * API (raft.h is). */
#ifndef REDRAFT_RAFT_RAFT_INT_H
#define REDRAFT_RAFT_RAFT_INT_H

#include "raft.h"

/* ---- reference-counted entry buffers (log.c) ------------------------------ */

typedef struct rbuf {
    uint32_t refs;
    uint32_t len;
    char data[];
} rbuf_t;

/* Makes a core-owned copy of e (data copied into a new buffer). */
int entry_copy(raft_entry_t *dst, const raft_entry_t *src);
/* A new reference to a core-owned entry. */
raft_entry_t entry_ref(const raft_entry_t *e);
void entry_unref(raft_entry_t *e);

/* ---- the in-memory log (log.c) -------------------------------------------- */

/* Entries snap.index+1 .. last, in a vector whose head may be compacted away.
 * `first` entries before the vector's logical start are gone; the term of the
 * entry just before the first one kept is remembered (prev_index/prev_term). */
typedef struct rlog {
    raft_entry_t *e; /* e[head .. head+n) are indexes prev_index+1 .. */
    size_t head, n, cap;
    uint64_t prev_index, prev_term; /* the compaction point of the log */
} rlog_t;

void rlog_init(rlog_t *l);
void rlog_free(rlog_t *l);
uint64_t rlog_last_index(const rlog_t *l);
uint64_t rlog_last_term(const rlog_t *l);
uint64_t rlog_first_index(const rlog_t *l);
/* Term at index, 0 when unknown (compacted before prev_index, or past last). */
uint64_t rlog_term(const rlog_t *l, uint64_t index);
/* The entry at index (prev_index < index <= last), or NULL. */
raft_entry_t *rlog_at(const rlog_t *l, uint64_t index);
/* Appends a core-owned entry (takes the reference). */
int rlog_append(rlog_t *l, raft_entry_t *e);
/* Drops entries with index >= from. */
void rlog_truncate(rlog_t *l, uint64_t from);
/* Drops entries up to and including index (index <= last). */
void rlog_compact(rlog_t *l, uint64_t index);
/* Empties the log and restarts it after (index, term). */
void rlog_reset(rlog_t *l, uint64_t index, uint64_t term);

/* ---- per-follower progress (progress.c) ----------------------------------- */

typedef struct inflights {
    uint64_t *index;  /* ring of last indexes of APPENDs in flight */
    uint64_t *bytes;
    uint32_t start, count, cap;
    uint64_t total_bytes;
} inflights_t;

typedef struct progress {
    uint64_t id;
    bool voter;
    uint64_t match, next;
    raft_progress_state_t state;
    bool probe_sent;          /* probe: one APPEND per heartbeat until answered */
    uint64_t pending_snapshot;/* snapshot: the index being sent */
    bool recent_active;       /* heard from since the last check-quorum */
    uint64_t last_ack_tick;
    uint64_t round_acked;     /* highest heartbeat round acknowledged */
    inflights_t inf;
} progress_t;

int inflights_init(inflights_t *f, uint32_t cap);
void inflights_free(inflights_t *f);
bool inflights_full(const inflights_t *f, uint64_t max_bytes);
void inflights_add(inflights_t *f, uint64_t index, uint64_t bytes);
/* Frees every message whose last index is <= index. */
void inflights_free_to(inflights_t *f, uint64_t index);
void inflights_reset(inflights_t *f);

void progress_become_probe(progress_t *p);
void progress_become_replicate(progress_t *p);
void progress_become_snapshot(progress_t *p, uint64_t index);

/* ---- growable arrays of output -------------------------------------------- */

typedef struct msgvec {
    raft_msg_t *m;
    size_t n, cap;
    raft_entry_t *ents; /* entries of all messages, in message order */
    size_t ne, ecap;
} msgvec_t;

/* A read waiting for its heartbeat round, for the leader's commit in its
 * term, or for this node to apply up to its index. */
typedef struct pending_read {
    uint64_t ctx;
    uint64_t from;  /* 0: this node; else the follower that asked */
    uint64_t index;
    uint64_t round; /* heartbeat round that confirms it; 0: not assigned yet */
    uint64_t tick;  /* forwarded reads: when the READ_INDEX left */
} pending_read_t;

typedef struct readvec {
    pending_read_t *r;
    size_t n, cap;
} readvec_t;

/* ---- the core ---------------------------------------------------------------- */

#define ROUND_RING 64 /* send ticks of the latest heartbeat rounds, for leases */

struct raft {
    raft_config_t cfg;
    uint64_t id;
    uint64_t rng; /* internal generator state when cfg.rand is NULL */

    /* persistent state and what was last handed out for persisting */
    uint64_t term, vote;
    raft_hard_state_t prev_hs;

    rlog_t log;
    uint64_t stable;        /* entries up to here are durable */
    uint64_t unstable_from; /* first entry not yet handed out for persisting */
    uint64_t commit;
    uint64_t applied;       /* reported by raft_applied */
    uint64_t applying;      /* handed out in a ready */

    raft_snapshot_meta_t snap; /* the latest snapshot the state machine has */
    bool snap_pending;         /* an incoming snapshot waits to be handed out */
    uint64_t snap_persisting;  /* handed out, not yet persisted (its index) */
    uint64_t ready_seq;        /* readies handed out so far */
    uint64_t persist_floor;    /* entries of readies before this one were wiped by a snapshot */
    bool bcast_pending;        /* the leader's log grew: send at the next ready */
    uint64_t commit_sent;      /* commit index the followers were last sent */

    raft_conf_t conf;
    uint64_t conf_index;

    raft_role_t role;
    uint64_t leader;

    int election_elapsed, heartbeat_elapsed, randomized_timeout;
    uint64_t ticks;

    progress_t prs[RAFT_MAX_NODES];
    int n_prs;

    /* votes received in this election: ids and answers */
    uint64_t vote_ids[RAFT_MAX_NODES];
    int8_t vote_granted[RAFT_MAX_NODES];
    int n_votes;

    uint64_t transferee;
    bool lease_broken;   /* TIMEOUT_NOW was sent in this term: no lease reads */
    uint64_t quiet_until;/* a restarted voter ignores vote requests until this tick */

    /* reads */
    uint64_t round;      /* last heartbeat round sent (leader) */
    bool round_needed;   /* a read waits for a round not sent yet */
    uint64_t round_tick[ROUND_RING];
    readvec_t reads_leader;  /* leader: waiting for commit-in-term or a round */
    readvec_t reads_apply;   /* confirmed; waiting for applied >= index */
    readvec_t reads_fwd;     /* follower: asked the leader, no answer yet */
    raft_read_state_t *reads_out;
    size_t n_reads_out, cap_reads_out;

    msgvec_t msgs, msgs_after;
};

/* raft.c */
uint64_t raft_rand(raft_t *r);
void become_follower(raft_t *r, uint64_t term, uint64_t leader);
void reset_randomized_timeout(raft_t *r);
bool is_voter(const raft_t *r, uint64_t id);
int quorum_size(const raft_t *r);
progress_t *progress_of(raft_t *r, uint64_t id);
void apply_conf(raft_t *r, const raft_conf_t *c, uint64_t index);
void recompute_conf(raft_t *r);

/* send.c: building messages */
raft_msg_t *send_msg(raft_t *r, int type, uint64_t to);
bool send_append(raft_t *r, progress_t *p, bool send_if_empty);
void send_appends(raft_t *r, progress_t *p, bool send_if_empty);
void bcast_append(raft_t *r, bool send_if_empty);
void bcast_heartbeat(raft_t *r);

/* replication.c */
void leader_append(raft_t *r, uint8_t type, raft_entry_t *e);
bool maybe_commit(raft_t *r);
void handle_append(raft_t *r, const raft_msg_t *m);
void handle_append_resp(raft_t *r, const raft_msg_t *m);
void handle_heartbeat(raft_t *r, const raft_msg_t *m);
void handle_heartbeat_resp(raft_t *r, const raft_msg_t *m);
void handle_snapshot(raft_t *r, const raft_msg_t *m);
void withdraw_acks(raft_t *r, uint64_t from);
void leader_check_transfer(raft_t *r, progress_t *p);

/* read.c */
void read_request(raft_t *r, uint64_t ctx, uint64_t from);
void reads_on_commit(raft_t *r);
void reads_on_round_ack(raft_t *r);
void reads_start_round(raft_t *r);
void reads_fail_all(raft_t *r);
void reads_fwd_resp(raft_t *r, const raft_msg_t *m);
void reads_fwd_expire(raft_t *r);
void reads_release_applied(raft_t *r);
void read_out(raft_t *r, uint64_t index, uint64_t ctx, bool rejected);

#ifdef RAFT_FAULTS
#define FAULT(f) (raft_fault == (f))
#else
#define FAULT(f) 0
#endif

#endif
