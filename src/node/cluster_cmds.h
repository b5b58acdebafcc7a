/* CLUSTER, ROLE, READONLY, READWRITE and DEBUG: the commands through which
 * Redis Cluster clients and tools learn the topology, answered from the raft
 * state of the node that receives them (no log entry). The whole keyspace is
 * one shard: slots 0-16383 belong to the raft leader, the other members are
 * its replicas. docs/commands.md lists the reply shapes.
 *
 * The pure helpers are exported for the unit tests. */
#ifndef REDRAFT_NODE_CLUSTER_CMDS_H
#define REDRAFT_NODE_CLUSTER_CMDS_H

#include <stddef.h>
#include <stdint.h>

#include "cmd/command.h"

#define CLUSTER_SLOTS 16384

/* The hash slot of a key as Redis Cluster computes it: CRC16 (XMODEM) of
 * the key, or of the first non-empty {hash tag} in it, mod 16384. */
unsigned cluster_keyslot(const char *key, size_t len);

/* The 40-hex node name of member node_id of cluster cluster_id (NUL
 * terminated): the same on every node, stable across restarts. */
void cluster_node_name(uint64_t cluster_id, uint64_t node_id, char out[41]);

/* SHA-1 of len bytes (FIPS 180-4), for DEBUG DIGEST and the node names. */
void cluster_sha1(const void *p, size_t len, unsigned char out[20]);

/* Registers CLUSTER, ROLE, READONLY, READWRITE and DEBUG. */
void cluster_cmds_register(void);

#endif
