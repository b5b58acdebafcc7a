/* The wire form of snapshot chunks (the payload of RAFT.SNAP), leader to
 * follower, little-endian:
 *
 *   "SC" | u8 version (1) | u8 kind | u64 cluster_id | from | term
 *   | snap_index | snap_term
 *   BEGIN: u32 len | the manifest (storage/snapshot.h's bytes)
 *   DATA:  u32 file | u64 offset | u32 len | u32 crc32c(data) | data
 *
 * A transfer is one BEGIN, the files' bytes in order as DATA chunks, then
 * the raft SNAPSHOT message itself as a RAFT.MSG. Decoding checks every
 * length against the bytes received and the chunk's checksum, so garbage
 * from a peer is an error, never a crash; data points into the input. */
#ifndef REDRAFT_NODE_SNAPWIRE_H
#define REDRAFT_NODE_SNAPWIRE_H

#include <stddef.h>
#include <stdint.h>

#define SNAPWIRE_VERSION 1
#define SNAPWIRE_HDR (4 + 5 * 8)

typedef enum { SNAPWIRE_BEGIN = 1, SNAPWIRE_DATA = 2 } snapwire_kind_t;

typedef struct snapwire {
    uint8_t kind;
    uint64_t cluster_id, from, term, snap_index, snap_term;
    const char *body; /* BEGIN: the manifest; DATA: the chunk's bytes */
    uint32_t len;
    uint32_t file;    /* DATA */
    uint64_t offset;  /* DATA */
} snapwire_t;

/* Bytes snapwire_encode writes for c (c->len bytes of body). */
size_t snapwire_size(const snapwire_t *c);
/* Encodes c into buf (cap >= snapwire_size(c)); returns the length or 0.
 * The checksum of a DATA chunk is computed here. */
size_t snapwire_encode(const snapwire_t *c, char *buf, size_t cap);
/* Decodes len bytes into c. Returns 0, or -1 with a reason in err. */
int snapwire_decode(snapwire_t *c, const char *buf, size_t len, char *err, size_t errlen);

#endif
