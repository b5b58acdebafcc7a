/* Pub/Sub: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, their UNSUBSCRIBEs, PUBLISH,
 * SPUBLISH and PUBSUB, with Redis 7.0's replies.
 *
 * Messages are not data: they never enter the log. A PUBLISH is delivered
 * to this node's subscribers at once and sent to every other member over
 * the peer links (RAFT.PUBLISH), which deliver it to theirs, as Redis
 * Cluster spreads PUBLISH over its bus. So a subscriber on any node gets
 * every message published on any node that is up and connected to it, in
 * the order each publisher's node sent them; a node that is down or cut off
 * misses what is published meanwhile (at most once, as in Redis). PUBLISH
 * answers the number of receivers on the node that took it. With one shard,
 * SPUBLISH reaches the same nodes as PUBLISH, on the shard channels. */
#ifndef REDRAFT_NODE_PUBSUB_H
#define REDRAFT_NODE_PUBSUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd/command.h"

struct node;
struct client;

/* A subscriber's unsent output past which it is disconnected (Redis's
 * client-output-buffer-limit pubsub hard limit). */
#define PUBSUB_OUTPUT_LIMIT (32u << 20)

typedef enum { PS_CHANNEL = 0, PS_PATTERN = 1, PS_SHARD = 2 } ps_kind_t;

/* Registers the commands in the command table. */
void pubsub_register(void);
/* What a RESP2 client may run while it subscribes to something. */
bool pubsub_allowed_in_context(const command_t *cmd);
/* Delivers a message published on another node (RAFT.PUBLISH). kind is
 * PS_CHANNEL or PS_SHARD. Returns the number of local receivers. */
long long pubsub_deliver(struct node *n, ps_kind_t kind, const char *ch, size_t chlen, const char *msg,
                         size_t msglen);
/* Drops every subscription of a client that said RESET (a client already
 * over the output limit is still closed: its output stays). */
void pubsub_client_reset(struct node *n, struct client *cl);
/* The same for a client that is gone, and forgets it entirely. */
void pubsub_client_gone(struct node *n, struct client *cl);
/* Messages a client published to itself, appended after the reply of the
 * command that published them (the dispatcher and the apply call it after
 * each command). */
void pubsub_flush_self(struct node *n);
/* Before the server writes replies out: pubsub_flush_self, and subscribers
 * over the output limit are closed. */
void pubsub_before_flush(struct node *n);
/* Active channels, patterns, shard channels: INFO's pubsub_* fields. */
void pubsub_counts(const struct node *n, size_t *channels, size_t *patterns, size_t *shard);
void pubsub_free(struct node *n);

#endif
