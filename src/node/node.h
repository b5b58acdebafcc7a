/* The node: everything on the one event loop glued together.
 *
 * Every node runs the Raft core (src/raft/), a cluster of one included. A
 * write on the leader becomes a log entry (node_propose); the core's ready
 * batches are driven from one place (node_raft.c): messages go to the peers
 * (peer.c), new entries and the hard state are written to the log
 * (storage/wal.c) in one synced write on a thread-pool thread while the loop
 * goes on, committed entries are applied in order and each waiting client
 * gets its reply from the apply of its own entry. Reads (node_read.c) wait
 * for a ReadIndex confirmed by a quorum and for the local apply to reach
 * it, then run against the local state. Writes reaching a follower are
 * answered -MOVED or wait for a leader (dispatch.c).
 *
 * Reply order: a client's replies leave in request order. Writes behind
 * writes and reads behind reads are started at once (commit order and the
 * FIFO of read batches keep them in order); anything else waits
 * (CONN_PAUSE) until what the client has in flight is answered. */
#ifndef REDRAFT_NODE_NODE_H
#define REDRAFT_NODE_NODE_H

#include <uv.h>

#include "cmd/command.h"
#include "cmd/db.h"
#include "cmd/session.h"
#include "net/server.h"
#include "node/entry.h"
#include "node/peer.h"
#include "node/wire.h"
#include "raft/raft.h"
#include "net/http.h"
#include "storage/snapshot.h"
#include "util/config.h"
#include "util/histogram.h"

typedef struct node node_t;

/* The request a client has in dispatch (dispatch.c), for the per-command
 * counters and the duration histogram (cmdstats.c): when its handling began
 * (a request held with CONN_PAUSE keeps the time of its first offer) and
 * which command it is. */
typedef struct req_mark {
    uint64_t start_us; /* node_now_us() at the first offer; 0: no request */
    int32_t cmd;       /* position in the command table; -1: not counted */
    bool rejected;     /* refused before running: arity, NOAUTH, -MOVED, -CLUSTERDOWN */
    bool deferred;     /* answered later (an apply, a read batch, the leader): counted then */
} req_mark_t;

/* A connected client as the node sees it. Outlives its connection while
 * writes it proposed are still on their way (conn is then NULL). */
typedef struct client {
    node_t *node;
    conn_t *conn;
    session_t sess;
    int pending;       /* requests in flight (writes and reads) */
    int pending_reads; /* of which reads */
    bool waiting;      /* held until a leader is known (node->waiting) */
    struct client *prev, *next; /* every client the node has (node->clients) */
    struct upstream *up;  /* proxy mode: this client's session on the leader */
    uint64_t up_leader;   /* the node id it goes to */
    bool up_abandoned;    /* closed by proxy_drop_stale: its requests fail as such */
    int64_t wait_since_ms;
    req_mark_t req;       /* the request being dispatched */
    struct blocked *blocked; /* BLPOP and the like, blocked on the leader (keywait.c) */
    struct ps_client *ps;    /* its subscriptions (pubsub.c), or NULL */
} client_t;

/* A client waiting for the apply of the entry it proposed at (index, term).
 * The entry applied at that index may turn out to be another leader's: then
 * the write was not done and the client is told so. */
typedef struct waiter {
    uint64_t index, term;
    client_t *client; /* NULL once answered (a timeout) */
    int64_t deadline_ms;
    uint64_t start_us; /* when the command's dispatch began (node_now_us) */
    int32_t cmd;       /* its position in the command table */
} waiter_t;

typedef struct snap_send snap_send_t;
typedef struct snap_recv snap_recv_t;

/* Snapshots (node_snapshot.c makes and restores them, snap_transfer.c sends
 * and receives them). */
typedef struct node_snap {
    char root[CONFIG_STR_MAX + 64]; /* <node_dir>/snap */
    snap_manifest_t cur;            /* the latest sealed snapshot (index 0: none) */
    char path[CONFIG_STR_MAX + 128]; /* its directory */
    bool making;                    /* one is being made on the thread pool */
    bool want;                      /* RAFT.SNAPSHOT asked for one */
    uint64_t want_index;            /* ... covering at least this applied index */
    snap_send_t *sends;             /* transfers to followers */
    snap_recv_t *recv;              /* the transfer being received, if any */
    uint64_t seq;                   /* tags of chunks sent */
    struct {                        /* after a failed transfer to a peer, the next waits */
        uint64_t peer;
        int64_t not_before_ms;
        int backoff_ms;
    } retry[RAFT_MAX_NODES];
    uint64_t made, sent, received, send_failed, recv_failed;
    int64_t last_time_ms, last_duration_ms;
} node_snap_t;

typedef struct read_req read_req_t;
typedef struct read_batch read_batch_t;

typedef struct node_stats {
    uint64_t entries_applied;
    uint64_t appends;        /* synced log writes */
    uint64_t reads_served, reads_retried, reads_failed;
    uint64_t pubsub_published;       /* PUBLISH and SPUBLISH taken on this node */
    uint64_t pubsub_clients_dropped; /* subscribers closed at the output limit */
    uint64_t writes_timed_out, writes_lost, writes_redirected, writes_proxied;
    uint64_t msgs_in, msgs_out, msgs_bad;
    uint64_t expire_cycles;  /* __expire entries proposed */
    uint64_t keyspace_hits, keyspace_misses;
    int64_t last_append_us;
    uint64_t leader_changes;  /* a different leader (or none) became known */
    histogram_t append_seconds; /* synced log writes (write + fdatasync) */
    histogram_t command_seconds; /* client commands, dispatch to reply (cmdstats.c) */
} node_stats_t;

/* One command's counters (cmdstats.c), by position in the command table. */
typedef struct cmd_stat {
    uint64_t calls;    /* answered after running (or being queued by MULTI) */
    uint64_t rejected; /* answered with an error before running */
    uint64_t usec;     /* time of the calls, dispatch to reply */
} cmd_stat_t;

struct node {
    config_t *cfg;
    uv_loop_t *loop;
    store_t *store;
    db_t db;
    server_t srv;

    /* raft */
    raft_t *raft;
    uint64_t id, cluster_id;
    peers_t peers;
    wire_msg_t wmsg;       /* decoding scratch for RAFT.MSG */
    raft_role_t role;      /* as of the last ready */
    uint64_t leader, term;
    char leader_addr[RAFT_ADDR_MAX]; /* node_leader's answer: the RESP part */
    uint64_t last_index;   /* last index in the log (status) */
    uint64_t commit;
    int voters;            /* voters in the configuration (as of the last ready round) */
    int64_t last_time_ms;  /* time_ms of the last entry proposed */
    uv_timer_t tick_timer;
    int tick_ms;
    int election_ticks;
    uint64_t ticks;
    int64_t tick_at_ms; /* wall time (ms) the ticks run so far stand for */
    int64_t leader_since_ms; /* when the current leader became known */

    /* clients waiting for their entries, by (index, term) ascending */
    waiter_t *waiters;
    size_t wn, whead, wcap;

    /* readies whose writes are not yet durable, in order: `job` is being
     * written on the thread pool, `pend` waits for the next write */
    raft_ready_t **pend, **job;
    size_t npend, cappend, njob, capjob;
    /* readies written during a round, freed at its end (node_raft.c) */
    raft_ready_t **done;
    size_t ndone, capdone;
    bool writing;
    uv_work_t work;
    int write_rc;
    char write_err[256];
    bool in_ready;         /* node_raft_process is running */

    /* reads: FIFO of requests and of their batches (node_read.c) */
    read_req_t **rq;
    size_t rqn, rqhead, rqcap;
    read_batch_t *batches;
    size_t bn, bhead, bcap;
    uint64_t read_ctx;     /* last ctx handed to the core */
    uint64_t read_seq;     /* last batch number */

    client_t *clients;     /* every client, connected or still answered */

    /* connections held until a leader is known */
    client_t **waiting;
    size_t nwaiting, capwaiting;
    /* clients blocked on keys, oldest first (keywait.c) */
    struct blocked *blocked_head, *blocked_tail;
    int nblocked;
    uv_timer_t block_timer; /* armed for the earliest deadline among them */

    uv_check_t check;
    uv_idle_t idle;        /* keeps the loop from blocking while work waits */
    uv_timer_t expire_timer;
    uv_timer_t stop_timer; /* node_stop_soon */
    bool stop_requested;
    bool expire_inflight;
    bool expire_full; /* the last cycle found active_expire_keys keys: more may wait */
    uint64_t expire_index;
    uv_signal_t sigterm, sigint;

    entry_buf_t ebuf;      /* scratch for building entries */
    reply_t scratch;       /* replies nobody reads */
    const char **argv;     /* scratch for decoding entries */
    size_t *argvlen;
    int argcap;

    node_snap_t snap;
    http_server_t *http;   /* the admin API (admin.c) */
    void *members_admin;   /* membership requests in flight (admin_members.c) */
    struct joiner *joiner; /* asking to be added (join.c), or NULL */
    uint64_t last_leader;  /* for leader_changes */

    int64_t start_ms;
    node_stats_t stats;
    cmd_stat_t *cmdstats;  /* cmd_table_count() of them; NULL before node_start */
    size_t ncmdstats;
    bool shutting_down;
    bool removed;          /* a member told us we were removed from the cluster */
    int64_t leader_heard_ms; /* loop time of the last APPEND, HEARTBEAT or SNAPSHOT */
    int64_t member_asked_ms; /* a learner's last "am I still a member?" (node_raft.c) */
    int64_t tombstones_checked_ms; /* store_flush_tombstones, once a second */
    int64_t leader_changed_ms; /* loop time of the last role change (proxy_drop_stale) */
    bool proxy_stale;          /* sessions may still wait on a former leader */
    struct held_wait *waits; /* WAITs held for their members (wait_cmd.c) */
    size_t nwaits, capwaits;
    struct pubsub *pubsub; /* subscriptions (pubsub.c), made at the first use */
    struct slowlog *slowlog; /* SLOWLOG's entries (slowlog.c), made at the first one */
    bool in_exec;            /* EXEC is running a read-only transaction here (dispatch.c) */
    int exit_code;         /* what main returns (a refused join: 1) */
};

/* Opens the store, replays the log past the applied index, starts listening.
 * Returns 0, or -1 after logging why. */
int node_start(node_t *n, config_t *cfg, uv_loop_t *loop);
/* Stops accepting, waits for the append in flight, closes the store. */
void node_stop(node_t *n);
/* node_stop on the loop's next turn, for a command that asks for it
 * (SHUTDOWN): its own client is still being served when it asks. */
void node_stop_soon(node_t *n);
/* Releases what is left once the loop has ended. */
void node_free(node_t *n);

/* Proposes the entry built in n->ebuf (leader only); cl (may be NULL) is
 * answered on apply. Returns its index, or 0 when this node cannot propose
 * now (cl, if any, has been answered with the reason). */
uint64_t node_propose(node_t *n, client_t *cl);

/* This node is the leader. */
bool node_is_leader(const node_t *n);
/* The current leader's id (0: unknown) and its RESP address from the
 * configuration ("" when unknown; valid until the next call). */
uint64_t node_leader(node_t *n, const char **addr);
/* Holds cl's current request until a leader is known (or it is too late):
 * the caller returns CONN_PAUSE; the request is offered again then. */
void node_wait_for_leader(node_t *n, client_t *cl);
/* Ends a wait for the client's request (a write or read was answered). */
void client_done(client_t *cl);
/* A new client of n, on the node's list; client_free unlinks and frees it.
 * Clients whose connection closed while requests were in flight stay on the
 * list until answered, or until node_free at shutdown. */
client_t *client_new(node_t *n);
void client_free(client_t *cl);

/* node_snapshot.c: at start, finds the latest snapshot (cleaning up what a
 * crash left), installs it if the state machine is behind it, and fills
 * *snap; returns 1 (found), 0 (none: *snap untouched) or -1 (logged). */
int node_snapshot_restore(node_t *n, raft_snapshot_meta_t *snap);
/* Every tick: starts a snapshot when the log has grown past the thresholds
 * (or one was asked for), and moves transfers along. */
void node_snapshot_tick(node_t *n);
/* RAFT.SNAPSHOT: makes one now. Returns false when one is being made. */
bool node_snapshot_request(node_t *n);
/* A ready with a snapshot to install (a follower, from its leader): replaces
 * the state machine and the log. Loop thread, no log write in flight.
 * Exits the process when the disk fails it (the state would be unknown). */
void node_snapshot_install(node_t *n, const raft_snapshot_meta_t *m);
/* Stops transfers and frees what snapshots hold (shutdown). */
void node_snapshot_free(node_t *n);

/* snap_transfer.c: the core sent a SNAPSHOT message: start streaming our
 * latest snapshot to m->to, the message itself going last. */
void snap_send_start(node_t *n, const raft_msg_t *m);
/* Abandons every transfer to followers (this node stopped leading). */
void snap_send_abort_all(node_t *n, const char *why);
/* The lowest index of the snapshots being sent (UINT64_MAX: none): the log
 * after it is kept, so that a follower that installs it goes on from the
 * log instead of needing the next snapshot. */
uint64_t snap_send_min_index(node_t *n);
/* strdup'ed directories the transfers read or write (at most max). */
int snap_send_paths(node_t *n, char **out, int max);
/* Per tick: paused chunks, finished installs, timeouts. */
void snap_send_tick(node_t *n);
/* RAFT.SNAP <chunk> from a peer; answers into r. */
void snap_recv_chunk(node_t *n, client_t *cl, const char *buf, size_t len, reply_t *r);
/* A SNAPSHOT message arrived: true when it may be stepped now (no data is
 * needed, or it was received and sealed); false when it must wait for the
 * seal (it is stepped then) or is dropped (no data: the leader retries). */
bool snap_recv_message(node_t *n, const raft_msg_t *m);
void snap_recv_abort(node_t *n, const char *why);

/* raft_cmds.c: RAFT.HELLO and RAFT.MSG from a peer (argv[0] starts with
 * "raft."); answers into r. Returns false to close the connection. */
bool node_raft_command(node_t *n, client_t *cl, int argc, const char **argv, const size_t *argvlen, reply_t *r);

/* proxy.c (follower_mode = proxy): forwards a write, or a whole MULTI
 * transaction (queued in cl's session) when exec is true, to the leader over
 * the client's own upstream session and passes the leader's reply back byte
 * for byte. Returns CONN_PAUSE when the request must wait (a session to an
 * old leader still has requests in flight). */
conn_verdict_t proxy_forward(node_t *n, client_t *cl, int argc, const char **argv, const size_t *argvlen,
                             bool exec);
/* The client is gone: its session to the leader closes. */
void proxy_close(client_t *cl);
/* Sessions still waiting on a node that stopped leading request_timeout_ms
 * ago are given up: their requests answer -TIMEOUT (the outcome unknown).
 * A leader that was frozen or cut off would otherwise hold them until it
 * came back. Called every heartbeat interval. */
void proxy_drop_stale(node_t *n);

/* node_read.c: queues a read command (copying argv) until a ReadIndex for it
 * is confirmed and applied; cl->pending counts it. */
void node_read(node_t *n, client_t *cl, const command_t *cmd, int argc, const char **argv, const size_t *argvlen);
/* A linearizable read point without a command: fn(ud, true) once this node
 * has applied everything committed when it was asked (ReadIndex), or
 * fn(ud, false) when no leader confirmed it within request_timeout_ms (or at
 * shutdown). For GET /readyz?sync. */
void node_read_barrier(node_t *n, void (*fn)(void *ud, bool ok), void *ud);
/* A read may run at once: this node is the only voter and leads (no other
 * node can be elected without it), and everything committed is applied —
 * what a ReadIndex would find, without queueing. */
bool node_read_now(const node_t *n);
/* Called from the ready loop and the tick. */
void reads_request(node_t *n);
void reads_on_state(node_t *n, const raft_read_state_t *rs);
void reads_release(node_t *n);
void reads_tick(node_t *n);
void reads_free(node_t *n);

/* node_raft.c: the ready loop, persistence and ticks. */
int node_raft_start(node_t *n);
void node_raft_process(node_t *n);
/* Work for the core appeared outside the I/O phase (a timer, a resumed
 * request): makes the loop process it without blocking in poll first. */
void node_kick(node_t *n);
void node_raft_stop(node_t *n);
/* A joining node (no cluster id yet) takes its cluster's. */
void node_adopt_cluster_id(node_t *n, uint64_t id);
void node_raft_free(node_t *n);
/* node.c, called by node_raft.c */
void node_apply_committed(node_t *n, const raft_entry_t *e, size_t count);
/* One log line per vote message sent (ok: it could be) or received. */
void node_log_vote(node_t *n, const raft_msg_t *m, const char *dir, bool ok);

/* keywait.c: what waits on keys. WATCH: the leader keeps the watches, and an
 * applied write marks the sessions watching its keys; EXEC checks them, and
 * the writes proposed but not applied yet, before its entry is proposed.
 * Blocking pops: a command that found nothing blocks its client on the
 * leader and goes through the log again when an applied write touches one of
 * its keys, or answers its timeout reply when the time is up. */
void keywait_register_commands(void);
/* After a write command that changed something was applied (a blocking pop
 * that found nothing, a SETNX that did not set, changed nothing: waking its
 * own blocked client would send it through the log again and again): marks
 * watchers, wakes blocked clients. */
void keywait_touched(node_t *n, const command_t *cmd, int argc, const char *const *argv, const size_t *argvlen);
/* A blocking command found nothing (c->blocked) for cl, whose reply holds
 * the command's answer from reply_from on: true when cl is now blocked (the
 * answer is dropped, the client stays held). */
bool keywait_block(node_t *n, client_t *cl, const cmd_ctx_t *c, size_t reply_from);
/* The command of a blocked client went through (it popped): the block ends. */
void keywait_unblock(node_t *n, client_t *cl);
/* After an apply batch: blocked commands whose keys were touched go to the log again. */
void keywait_after_apply(node_t *n);
/* The timer that answers blocked clients at their deadline: set up at
 * start, closed at stop. */
void keywait_start(node_t *n);
void keywait_stop(node_t *n);
/* This node's role changed: watches are void, blocked clients are released. */
void keywait_role_changed(node_t *n);
/* A connection closed: its block, if any, ends. */
void keywait_client_gone(node_t *n, client_t *cl);
/* Whether the EXEC of a session with watches must answer a null array: a
 * watched key was touched, expired, or is written by an entry not applied yet. */
bool keywait_exec_aborts(node_t *n, client_t *cl);
void node_role_changed(node_t *n);
void node_tick_waiters(node_t *n);

/* Runs a command now against the live state (reads, server commands). */
void node_exec_local(node_t *n, client_t *cl, const command_t *cmd, int argc, const char *const *argv,
                     const size_t *argvlen);

/* The reply buffer of a client (a scratch buffer once it disconnected). */
reply_t *client_reply(client_t *cl);

int64_t node_wall_ms(void);
/* The time_ms of the next entry: the wall clock, never below the last entry's. */
int64_t node_entry_time(node_t *n);

/* cmdstats.c: the per-command counters and the command duration histogram.
 * A client's command is counted once, when its reply is produced: at once in
 * dispatch, or later by whoever answers it (apply, read batch, proxy). */
void cmdstats_init(node_t *n);
void cmdstats_free(node_t *n);
/* The monotonic clock in microseconds (uv_hrtime). */
uint64_t node_now_us(void);
/* The command at table position cmd (-1: none, ignored), begun at start_us,
 * has its reply: counted, and its duration observed. */
void cmdstats_done(node_t *n, int32_t cmd, uint64_t start_us, bool rejected);
/* CONFIG RESETSTAT. */
void cmdstats_reset(node_t *n);
/* A proxied request's mark as the upstream's per-request pointer (never
 * NULL: NULL marks the handshake's requests), and back. */
void *cmdstats_tag(uint64_t start_us, int32_t cmd);
void cmdstats_untag(const void *tag, uint64_t *start_us, int32_t *cmd);
/* The duration of a request begun at start_us, given the tag's precision. */
uint64_t cmdstats_elapsed_us(uint64_t start_us, uint64_t now_us);

/* dispatch.c: the connection handler the server calls. */
extern const conn_handler_t node_conn_handler;
/* server_cmds.c: registers connection, server and transaction commands. */
void node_register_commands(void);

#endif
