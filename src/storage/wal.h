/* The raft log and the raft hard state on disk: a write-ahead log of
 * preallocated, zero-filled segment files (docs/encoding.md has the byte
 * format, docs/architecture.md the reasons).
 *
 *   <dir>/0000000000000001.wal, 0000000000000002.wal, ...  the segments
 *   <dir>/next.tmp   the next segment, being zero-filled in the background
 *   <dir>/LOCK       held (flock) while the log is open
 *
 * Every write is one pwrite of whole records (and one fdatasync when synced)
 * into the current segment. A segment is filled with zeros and synced before
 * it is used, so a synced write never changes the file's size or extents and
 * fdatasync flushes only the data. Records: ENTRY (index, term, bytes), META
 * (a named u64 of the hard state; the last value wins), TRUNCATE (entries >=
 * index are gone) and COMPACT (entries < index are gone). An ENTRY at an
 * index <= the last one also drops everything from that index on first (a
 * follower overwriting a conflicting suffix), so an append never needs a
 * TRUNCATE record. Each segment starts with the META values and the COMPACT
 * index current when it was begun, so older segments can be deleted whole.
 *
 * Thread safety: one writer at a time (wal_append, wal_meta_put,
 * wal_truncate_suffix, wal_compact serialize on a lock), while any thread
 * may call wal_get, wal_bounds and wal_meta_get. */
#ifndef REDRAFT_STORAGE_WAL_H
#define REDRAFT_STORAGE_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WAL_DEFAULT_SEGMENT_SIZE (64u << 20)
#define WAL_META_NAME_MAX 64

typedef struct wal wal_t;

/* One raft log entry: index, term and opaque bytes. */
typedef struct wal_entry {
    uint64_t index;
    uint64_t term;
    const char *data;
    size_t len;
} wal_entry_t;

/* Opens the log in dir (created if missing), rebuilding the in-memory index
 * of entries from the segments, so that reads and appends can go straight
 * to the right file offset. A torn last write (a crash during a write) is
 * cut off and zeroed; damage anywhere else fails the open with a message in
 * err, because the entries behind it were acknowledged. segment_size 0 means
 * WAL_DEFAULT_SEGMENT_SIZE (tests use small ones). Returns NULL on failure. */
wal_t *wal_open(const char *dir, uint64_t segment_size, char *err, size_t errlen);

/* Stops the background preparer and closes every file; the log stays as it
 * is on disk (unsynced writes are synced first, so a clean stop loses none). */
void wal_close(wal_t *w);

/* Appends n consecutive entries in one write (synced when sync is true), so
 * a batch costs one write and one fdatasync. The first index may be at most
 * last + 1; one at or below the last drops the entries from there on first.
 * Returns 0, or -1 with err (the log refuses further writes after an I/O
 * error: a failed fsync cannot be retried safely). */
int wal_append(wal_t *w, const wal_entry_t *e, int n, bool sync, char *err, size_t errlen);

/* A named hard-state value for wal_write. */
typedef struct wal_meta {
    const char *name;
    uint64_t v;
} wal_meta_t;

/* Writes nm hard-state values and then n consecutive entries (same rules as
 * wal_append) as one write and at most one fdatasync, so that a raft ready
 * (new term or vote, new entries) costs one sync. */
int wal_write(wal_t *w, const wal_meta_t *m, int nm, const wal_entry_t *e, int n, bool sync, char *err,
              size_t errlen);

/* Reads entry `index` with pread, checking its checksum, so that the loop
 * thread can read while an append runs. out->data is malloc'ed (free()).
 * Returns 0, 1 if absent, -1 on a checksum or I/O error (err). */
int wal_get(wal_t *w, uint64_t index, wal_entry_t *out, char *err, size_t errlen);

/* First and last index present (0, 0 when the log is empty). */
void wal_bounds(wal_t *w, uint64_t *first, uint64_t *last);

/* Drops entries >= from, durably (a synced TRUNCATE record), for a
 * follower whose suffix conflicts with the leader's. */
int wal_truncate_suffix(wal_t *w, uint64_t from, char *err, size_t errlen);

/* Forgets entries <= upto (a snapshot covers them): writes a synced COMPACT
 * record, then deletes the segments that hold nothing still needed. Entries
 * below upto + 1 can no longer be appended. */
int wal_compact(wal_t *w, uint64_t upto, char *err, size_t errlen);

/* The hard state: named u64 values (name up to WAL_META_NAME_MAX bytes)
 * kept in the log itself, so a term or vote is as durable as the entries
 * written before it. get returns def when the name was never put. */
uint64_t wal_meta_get(wal_t *w, const char *name, uint64_t def);
int wal_meta_put(wal_t *w, const char *name, uint64_t v, bool sync, char *err, size_t errlen);

/* Bytes of records in the live segments, for INFO. */
uint64_t wal_size(wal_t *w);

#endif
