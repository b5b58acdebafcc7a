/* A 3-node redraft cluster of real server processes for integration tests
 * (tests/integration/test_cluster.c): free ports on 127.0.0.1, one private
 * data dir and log per node, the three started at once from
 * conf/cluster.conf with the members, node ids and any overrides on the
 * command line; more nodes started later to join it (cluster_start_extra);
 * the leader found by a probe write; kill -9, SIGSTOP/SIGCONT and restart
 * (same arguments, same data dir) by node index. Every pid goes
 * through proc.c, whose atexit/signal guard kills exactly those.
 *
 * Replies are shown as one-line strings by cl_str: "+OK", "-MOVED 0 h:p",
 * ":1", "$value", "(nil)", "*2[+OK,:1]"; NULL (a connection error or
 * timeout) is "(conn: <hiredis error>)". */
#ifndef REDRAFT_TESTS_CLUSTER_H
#define REDRAFT_TESTS_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>
#include <hiredis.h>

#include "support/proc.h"

#define CLUSTER_N 3   /* the founding members: indexes 0..2, node ids 1..3 */
#define CLUSTER_MAX 8 /* with the nodes cluster_start_extra adds */

typedef struct cluster {
    testproc_t node[CLUSTER_MAX];
    bool stopped[CLUSTER_MAX]; /* SIGSTOPped by us */
    int id[CLUSTER_MAX];       /* the node id at each index (index + 1 for the founding three) */
    int n;                     /* indexes in use: CLUSTER_N + the extra nodes */
    char members[256];         /* "1:127.0.0.1:P1,2:...,3:..." */
    const char *const *args[2]; /* the founding nodes' extra arguments, also given to extra nodes */
} cluster_t;

/* Timings for the tests that need no default ones: fast elections, short
 * request timeout. A NULL-terminated list of "--key", "value". */
extern const char *const cluster_fast_args[];
#define CLUSTER_FAST_REQUEST_TIMEOUT_MS 1500

/* Starts the three nodes with extra "--key value" arguments (NULL-terminated
 * lists; each may be NULL) and waits until all answer PING. Tries fresh
 * ports again if a node does not come up. Returns 0 or -1 (logs printed). */
int cluster_start(cluster_t *c, const char *const *args1, const char *const *args2);
/* Starts one more node (a 4th, 5th...: its own free port, data dir and
 * log; same binary and conf) with node id node_id, the founding nodes'
 * arguments, "--cluster.members <the founding members>" unless extra_args
 * gives --cluster.members (or --members) itself, then extra_args (e.g.
 * {"--join", "127.0.0.1:8379", NULL} or {"--cluster.members", "", NULL}).
 * Waits until it answers PING. It is stopped, dumped and cleaned up with the
 * others. Returns its index (>= CLUSTER_N), or -1. */
int cluster_start_extra(cluster_t *c, int node_id, const char *const *extra_args);
/* The index of node id (-1: none). */
int cluster_index_of_id(const cluster_t *c, int id);
/* The admin HTTP port of index i (its RESP port + 1000). */
int cluster_http_port(const cluster_t *c, int i);

/* SIGCONTs stopped nodes, stops every node with SIGTERM and removes the data
 * dirs; -1 if a node had crashed or did not exit cleanly (its log tail is
 * printed). Safe on a zeroed or partly started cluster. */
int cluster_finish(cluster_t *c);
/* The last `lines` lines of every node's log, on stderr. */
void cluster_dump_logs(const cluster_t *c, int lines);

/* The index whose node listens on port / on "127.0.0.1:port" (-1: none). */
int cluster_index_of_port(const cluster_t *c, int port);
int cluster_index_of_addr(const cluster_t *c, const char *addr);
/* Running and not SIGSTOPped. */
bool cluster_up(cluster_t *c, int i);

/* The node that acknowledges a probe write (SET __probe x), asking every
 * running node in turn until timeout_ms: its index, or -1. */
int cluster_leader(cluster_t *c, int timeout_ms);

/* The leader as the logs tell it (for follower_mode proxy, where a probe
 * write succeeds everywhere): of the running nodes whose last
 * "event=raft_role" line says role=leader, the one of the highest term;
 * polled until timeout_ms. Its index, or -1. */
int cluster_log_leader(cluster_t *c, int timeout_ms);
/* The leader node i follows (INFO raft's raft_leader_id), as an index; -1
 * when it knows none or cannot be asked. */
int cluster_leader_seen_by(cluster_t *c, int i);

void cluster_kill9(cluster_t *c, int i);
void cluster_sigstop(cluster_t *c, int i);
void cluster_sigcont(cluster_t *c, int i);
/* Starts node i again with the same arguments and data dir; waits for PING.
 * Returns 0 or -1. */
int cluster_restart(cluster_t *c, int i);
/* The same for every node of the list (-1 terminated) at once. */
int cluster_restart_many(cluster_t *c, const int *idx);

/* A hiredis connection to node i whose every call times out after
 * timeout_ms, or NULL. */
redisContext *cl_connect(const cluster_t *c, int i, int timeout_ms);
/* A command on a connection (NULL-terminated C strings); NULL on a
 * connection error or timeout (the connection is then unusable). */
redisReply *cl_cmd(redisContext *ctx, const char *arg0, ...);
/* One-line form of a reply (see above), in buf. */
const char *cl_str(const redisReply *r, const redisContext *ctx, char *buf, size_t len);
/* The reply is an error starting with prefix (e.g. "MOVED "). */
bool cl_is_err(const redisReply *r, const char *prefix);
/* The reply is an error a client retries: CLUSTERDOWN, TRYAGAIN, TIMEOUT. */
bool cl_is_retryable(const redisReply *r);

/* Runs a write the way a cluster-aware client does, starting at node
 * *at: follows -MOVED, reconnects on connection errors (next node), retries
 * CLUSTERDOWN/TRYAGAIN/TIMEOUT, until it gets any other reply or timeout_ms
 * passes. Returns that reply's one-line form in buf (the last one seen on
 * timeout) and leaves in *at the node that gave it. */
const char *cl_write(cluster_t *c, int *at, int timeout_ms, char *buf, size_t len, const char *arg0,
                     ...);

/* Milliseconds of a monotonic clock. */
int64_t cl_mono_ms(void);

#endif
