/* The node: everything on the one event loop glued together.
 *
 * A write becomes a log entry (node_propose); all entries proposed during one
 * loop iteration are appended to the log (storage/wal.c) in one synced write
 * on a thread-pool thread; once durable they are applied in order in one batch
 * and each waiting client gets its reply. Reads run at once — unless the
 * client still waits for one of its own writes, in which case the read is
 * held (CONN_PAUSE) so replies keep request order and a client always reads
 * its own writes.
 *
 * The log is single-node today; Raft replaces "durable locally" with
 * "committed by a quorum" in node_ready without changing the callers. */
#ifndef REDRAFT_NODE_NODE_H
#define REDRAFT_NODE_NODE_H

#include <uv.h>

#include "cmd/command.h"
#include "cmd/db.h"
#include "cmd/session.h"
#include "net/server.h"
#include "node/entry.h"
#include "util/config.h"

typedef struct node node_t;

/* A connected client as the node sees it. Outlives its connection while
 * writes it proposed are still on their way (conn is then NULL). */
typedef struct client {
    node_t *node;
    conn_t *conn;
    session_t sess;
    int pending; /* proposed writes not yet answered */
} client_t;

typedef struct proposal {
    client_t *client; /* NULL: nobody waits for the reply */
    uint64_t index;
    size_t off, len;  /* the entry bytes in the queue's arena */
} proposal_t;

typedef struct prop_queue {
    proposal_t *items;
    int n, cap;
    char *arena;
    size_t alen, acap;
} prop_queue_t;

typedef struct node_stats {
    uint64_t entries_applied;
    uint64_t appends;        /* synced log writes */
    uint64_t expire_cycles;  /* __expire entries proposed */
    uint64_t keyspace_hits, keyspace_misses;
    int64_t last_append_us;
} node_stats_t;

struct node {
    config_t *cfg;
    uv_loop_t *loop;
    store_t *store;
    db_t db;
    server_t srv;

    uint64_t term;
    uint64_t last_index;   /* highest index proposed */
    int64_t last_time_ms;  /* time_ms of the last entry proposed */

    prop_queue_t queue;    /* proposed, waiting for the next append */
    prop_queue_t batch;    /* being appended right now */
    bool appending;
    uv_work_t work;
    int append_rc;
    char append_err[256];

    uv_check_t check;
    uv_timer_t expire_timer;
    bool expire_inflight;
    uint64_t expire_index;
    uv_signal_t sigterm, sigint;

    entry_buf_t ebuf;      /* scratch for building entries */
    reply_t scratch;       /* replies nobody reads */
    const char **argv;     /* scratch for decoding entries */
    size_t *argvlen;
    int argcap;

    int64_t start_ms;
    node_stats_t stats;
    bool shutting_down;
};

/* Opens the store, replays the log past the applied index, starts listening.
 * Returns 0, or -1 after logging why. */
int node_start(node_t *n, config_t *cfg, uv_loop_t *loop);
/* Stops accepting, waits for the append in flight, closes the store. */
void node_stop(node_t *n);
/* Releases what is left once the loop has ended. */
void node_free(node_t *n);

/* Queues an entry built in n->ebuf; cl (may be NULL) is answered on apply. */
uint64_t node_propose(node_t *n, client_t *cl);

/* Runs a command now against the live state (reads, server commands). */
void node_exec_local(node_t *n, client_t *cl, const command_t *cmd, int argc, const char *const *argv,
                     const size_t *argvlen);

/* The reply buffer of a client (a scratch buffer once it disconnected). */
reply_t *client_reply(client_t *cl);

int64_t node_wall_ms(void);
/* The time_ms of the next entry: the wall clock, never below the last entry's. */
int64_t node_entry_time(node_t *n);

/* dispatch.c: the connection handler the server calls. */
extern const conn_handler_t node_conn_handler;
/* server_cmds.c: registers connection, server and transaction commands. */
void node_register_commands(void);

#endif
