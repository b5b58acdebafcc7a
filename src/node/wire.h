/* The wire form of Raft messages between nodes (the payload of RAFT.MSG).
 *
 *   "RM" | u8 version (1) | u8 type | u8 flags (1 reject, 2 transfer)
 *   | u64 cluster_id | from | to | term | log_term | index | commit
 *   | reject_hint | ctx                                   (all little-endian)
 *   | u32 n_entries | n × (u64 term | u8 type | u32 len | len bytes)
 *   | SNAPSHOT only: u64 index | u64 term | u32 conf_len | conf (raft_conf_encode)
 *
 * Entry indexes are not sent: they follow from `index`. Decoding checks every
 * length against the bytes received and the message against raft_msg_valid,
 * so a peer speaking nonsense gets an error, never a crash; entries point
 * into the received buffer (the core copies what it keeps). */
#ifndef REDRAFT_NODE_WIRE_H
#define REDRAFT_NODE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "raft/raft.h"

#define WIRE_VERSION 1
#define WIRE_MAX_ENTRIES (1u << 20)

/* Bytes wire_encode will write for m. */
size_t wire_size(const raft_msg_t *m);
/* Encodes m into buf (cap >= wire_size(m)); returns the length, 0 if it does
 * not fit. */
size_t wire_encode(const raft_msg_t *m, uint64_t cluster_id, char *buf, size_t cap);

/* A decoded message and the memory it needs besides the input buffer. */
typedef struct wire_msg {
    raft_msg_t m;
    uint64_t cluster_id;
    raft_snapshot_meta_t snap;
    raft_entry_t *ents;
    size_t ents_cap;
} wire_msg_t;

/* Decodes len bytes; returns 0, or -1 with a reason in err. The entries'
 * data point into buf, which must outlive w->m's use. w may be reused
 * between calls (its entry array grows as needed). */
int wire_decode(wire_msg_t *w, const char *buf, size_t len, char *err, size_t errlen);
void wire_msg_free(wire_msg_t *w);

#endif
