/* The Raft transport between nodes: one outgoing connection per peer,
 * speaking RESP on the peer's client port with hiredis async on the libuv
 * loop.
 *
 *   RAFT.HELLO <cluster_id> <node_id> <secret> [<addr>]
 *                                                  first, once per connection
 *   RAFT.MSG <wire bytes>                          then one per raft message
 *
 * The receiving side (dispatch.c) accepts RAFT.MSG only on a connection
 * that said a valid HELLO: same cluster id, the shared secret when
 * cluster_secret is set, a sender id that is not its own. Messages are
 * fire-and-forget: a peer that is not connected (or whose output buffer is
 * full) loses them, the core is told (raft_report_unreachable) and Raft's
 * own retries cover the loss. A lost connection is retried with a backoff
 * that doubles from 50 ms to 1 s. */
#ifndef REDRAFT_NODE_PEER_H
#define REDRAFT_NODE_PEER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "raft/raft.h"

#define PEER_OBUF_MAX (64u << 20) /* bytes queued to one peer before dropping */
/* Pub/Sub messages share the raft link: past this much queued to a peer
 * that the kernel would not take (its socket buffer is full: the peer is
 * slow) they are dropped, so raft messages never wait behind more. */
#define PEER_PUBLISH_OBUF_MAX (256u << 10)

typedef struct peer peer_t;

typedef struct peer_stats {
    uint64_t id;
    char addr[RAFT_ADDR_MAX];
    bool connected;
    uint64_t sent, dropped, connects;
    uint64_t pub_dropped; /* Pub/Sub messages not sent: the link was busy */
    const struct histogram *rtt; /* RAFT.MSG round trips, seconds (valid until the peer goes) */
} peer_stats_t;

typedef struct peers {
    uv_loop_t *loop;
    uint64_t self, cluster_id;
    const char *secret;
    peer_t *p[RAFT_MAX_NODES];
    int n;
    char *buf; /* encoding scratch */
    size_t cap;
    void (*on_unreachable)(void *ud, uint64_t id);
    /* a member told us this node was removed from the cluster */
    void (*on_removed)(void *ud, uint64_t by);
    void *ud;
    char self_addr[RAFT_ADDR_MAX]; /* sent in our HELLO ("" = none) */
    raft_conf_t conf;              /* the configuration last synced */
    struct {                       /* peers known from their HELLO only */
        uint64_t id;
        char addr[RAFT_ADDR_MAX];
    } hints[RAFT_MAX_NODES];
    int nhints;
} peers_t;

void peers_init(peers_t *ps, uv_loop_t *loop, uint64_t self, uint64_t cluster_id, const char *secret);
/* Makes the set of peers that of the configuration (every member but this
 * node): new members get a connection, removed ones lose theirs, a member
 * whose address changed is reconnected. */
void peers_sync(peers_t *ps, const raft_conf_t *conf);
/* A peer that said HELLO with its address though this node's
 * configuration does not list it (this node is joining, or has not yet
 * received the entry that added it): connect to it too, so that our
 * answers reach it. Ignored for members and removed ids. */
void peers_hint(peers_t *ps, uint64_t id, const char *addr);
/* Sends m to m->to; false (and the message dropped) when that peer is not
 * connected or too far behind. */
bool peers_send(peers_t *ps, const raft_msg_t *m);
/* Sends `cmd payload` to peer `to` and hands its reply to fn (with the
 * peers' ud and tag): ok, or not with an error string ("connection lost"
 * when the connection went first). Every accepted command gets exactly one
 * call. Returns false (and fn is never called) when the peer is not
 * connected. Snapshot chunks travel this way: their replies are the flow
 * control. */
typedef void peer_reply_fn(void *ud, uint64_t peer, uint64_t tag, bool ok, const char *err);
bool peers_send_cmd(peers_t *ps, uint64_t to, const char *cmd, const char *payload, size_t len, peer_reply_fn *fn,
                    uint64_t tag);
/* Says HELLO again on every connected link: a member answers an id it
 * removed with an error, which reaches on_removed. */
void peers_hello(peers_t *ps);
/* Sends a command to every connected peer, fire-and-forget (its reply is
 * read and dropped): Pub/Sub messages (pubsub.c). A peer that is not
 * connected, or with more than PEER_PUBLISH_OBUF_MAX queued, misses it
 * (logged once a second at most). */
void peers_publish(peers_t *ps, int argc, const char **argv, const size_t *argvlen);
/* Writes what is queued for each peer now (as much as the socket takes)
 * instead of on the loop's next poll: one loop iteration less per hop. */
void peers_flush(peers_t *ps);
/* Fills up to max entries of st; returns how many peers there are. */
int peers_stats(const peers_t *ps, peer_stats_t *st, int max);
/* Closes every connection; the memory goes once libuv has closed the
 * handles (the loop must run on). */
void peers_close(peers_t *ps);

/* A member's address: "host:port" (RESP), optionally followed by
 * "@httphost:httpport" when its admin API is not at port + 1000.
 * peer_parse_addr: the RESP part -> host (at most hostlen bytes, NUL
 * included) and port; 0, or -1 when it is not of that form.
 * member_resp_addr: the RESP part as a string; member_http_addr_of: the
 * admin API's "host:port" ("" when the address is bad). */
int peer_parse_addr(const char *addr, char *host, size_t hostlen, int *port);
void member_resp_addr(const char *addr, char *out, size_t len);
void member_http_addr_of(const char *addr, char *out, size_t len);

#endif
