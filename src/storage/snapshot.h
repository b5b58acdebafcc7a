/* Snapshots on disk: a RocksDB checkpoint of the state machine at a log
 * index, plus a manifest that names its files with their sizes and CRC-32C.
 * docs/raft.md ("Snapshots") has the protocol and the crash-safety argument.
 *
 *   <root>/<index:016x>-<term:016x>/   a complete snapshot: checkpoint files
 *                                      and SNAPSHOT.meta (the manifest, with
 *                                      its own checksum), written last
 *   <root>/tmp-*                       a checkpoint being made
 *   <root>/recv-*                      a snapshot being received from a leader
 *
 * A directory only gets its final name (one rename, then an fsync of root)
 * once every file in it and the manifest are synced, so a crash leaves
 * either a complete snapshot or a tmp-/recv- directory that the next start
 * deletes. The raft configuration travels as opaque bytes: storage does not
 * know the raft types. */
#ifndef REDRAFT_STORAGE_SNAPSHOT_H
#define REDRAFT_STORAGE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/store.h"

#define SNAP_META_NAME "SNAPSHOT.meta"
#define SNAP_NAME_MAX 128       /* a checkpoint file name */
#define SNAP_MAX_FILES 100000   /* refused beyond: not a checkpoint of ours */
#define SNAP_CONF_MAX 8192      /* encoded configuration */

typedef struct snap_file {
    char name[SNAP_NAME_MAX];
    uint64_t size;
    uint32_t crc;
} snap_file_t;

typedef struct snap_manifest {
    uint64_t index, term;
    char conf[SNAP_CONF_MAX];
    uint32_t conf_len;
    uint32_t nfiles;
    snap_file_t *files; /* malloc'ed */
    uint64_t bytes;     /* sum of the files' sizes */
} snap_manifest_t;

void snap_manifest_free(snap_manifest_t *m);
/* Deep copy (files duplicated). Returns 0, -1 when out of memory. */
int snap_manifest_copy(snap_manifest_t *dst, const snap_manifest_t *src);

/* The manifest's bytes (little-endian), checksummed:
 *   "RS" u8 version | u64 index | u64 term | u32 conf_len | conf
 *   | u32 nfiles | nfiles x (u16 name_len | name | u64 size | u32 crc)
 *   | u32 crc32c of everything before
 * encode returns the length (0 when cap is too small); decode checks every
 * length and the checksum and refuses names with '/' or starting with '.',
 * so that a peer's manifest cannot name a file outside its directory. */
size_t snap_manifest_size(const snap_manifest_t *m);
size_t snap_manifest_encode(const snap_manifest_t *m, char *buf, size_t cap);
int snap_manifest_decode(snap_manifest_t *m, const char *buf, size_t len, char *err, size_t errlen);

/* Makes a checkpoint of s's state machine in a new <root>/tmp-* directory
 * (its path goes to tmpdir), reads back the applied index it holds (the
 * meta-CF value under applied_key: see store_checkpoint) into m->index, and
 * lists its files with sizes and checksums. Table files (*.sst) never
 * change, and a checkpoint links most of them from the last one: their
 * checksums are taken from prev (may be empty) when name and size match, so
 * the cost is that of the new files, not of the whole state machine. Term
 * and configuration are the caller's to fill in. Safe on a
 * thread-pool thread while the loop applies. Returns 0, -1 with err. */
int snap_create(store_t *s, const char *root, const char *applied_key, const snap_manifest_t *prev,
                snap_manifest_t *m, char *tmpdir, size_t tmplen, char *err, size_t errlen);

/* Writes m as dir/SNAPSHOT.meta, syncs the files in dir (when sync_files),
 * the manifest and dir, renames dir to <root>/<index>-<term> and syncs root.
 * The final path goes to out. Returns 0, -1 with err. */
int snap_seal(const char *root, const char *dir, const snap_manifest_t *m, bool sync_files, char *out, size_t outlen,
              char *err, size_t errlen);

/* The complete snapshot with the highest index under root (m and its path);
 * returns 1 when found, 0 when there is none, -1 on an I/O error. A
 * directory whose manifest does not decode is skipped with a warning. */
int snap_latest(const char *root, snap_manifest_t *m, char *path, size_t pathlen, char *err, size_t errlen);

/* Reads and checks dir's manifest. Returns 0, -1 with err. */
int snap_read_manifest(const char *dir, snap_manifest_t *m, char *err, size_t errlen);

/* Checks every file of m in dir against its size and checksum (reads it
 * all). Returns 0, -1 with err. */
int snap_verify(const char *dir, const snap_manifest_t *m, char *err, size_t errlen);

/* Deletes every entry of root except the directories named in keep (full
 * paths, n of them). With keep_recv (the node is running) it also leaves
 * recv- and tmp- directories (a transfer or a checkpoint in progress owns
 * them) and snapshots newer than the newest kept (sealed since the list was
 * made); at start (keep_recv false) everything else goes. */
void snap_prune(const char *root, const char *const *keep, int n, bool keep_recv);

/* rm -rf path (no symlinks followed). Returns 0, -1 with errno. */
int snap_rmtree(const char *path);

/* Syncs a directory (its entries). Returns 0, -1 with errno. */
int snap_sync_dir(const char *path);

#endif
