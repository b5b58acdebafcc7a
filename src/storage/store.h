/* The node's storage: the raft log and hard state, the state machine's
 * metadata and the user data.
 *
 *   the log  : our own write-ahead log of preallocated segments in wal/
 *              (wal.h): entries by index, the hard state (term, later vote)
 *              as named u64s in the same files (store_meta_get/put_u64)
 *   meta CF  : the state machine's own records (applied index, key counters)
 *   data CF  : the state machine, encoded as docs/encoding.md says
 * meta and data are one RocksDB instance (sm/). The log is not in RocksDB:
 * a synced append to a pre-zeroed file costs about half of a synced
 * RocksDB write here, and the append is what a write waits for (see
 * docs/architecture.md).
 *
 * Log appends are synced and may run on a libuv thread-pool thread while the
 * loop thread reads the log (wal.h: reads use pread under the index lock)
 * and applies.
 *
 * State-machine changes go through a txn: a write txn collects puts and
 * deletes (so later commands of the same batch read their predecessors'
 * writes) and commits them atomically together with the new applied index.
 * A read txn reads the database directly. */
#ifndef REDRAFT_STORAGE_STORE_H
#define REDRAFT_STORAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/wal.h"

typedef enum { CF_META = 0, CF_DATA, CF_COUNT } store_cf_t;

typedef struct store store_t;
typedef struct store_txn store_txn_t;
typedef struct store_iter store_iter_t;

/* One raft log entry as stored: index, term and opaque bytes. */
typedef wal_entry_t store_entry_t;

/* What store_open_opts can change; zeros mean the defaults. */
typedef struct store_options {
    uint64_t wal_segment_size; /* bytes per log segment (tests use small ones) */
    uint64_t block_cache_bytes; /* RocksDB's block cache (default 128 MB) */
} store_options_t;

/* Opens (creating if needed) the log and the database in dir. Returns NULL
 * and a message in err on failure. */
store_t *store_open(const char *dir, char *err, size_t errlen);
store_t *store_open_opts(const char *dir, const store_options_t *o, char *err, size_t errlen);
void store_close(store_t *s);
/* Per-thread RocksDB settings (turns off its perf counters); cheap to repeat. */
void store_thread_init(void);

/* Puts a write-through cache of max_bytes in front of data-CF point
 * reads (0 turns it off). Loop thread only. */
void store_enable_cache(store_t *s, size_t max_bytes);
void store_cache_stats(store_t *s, uint64_t *hits, uint64_t *misses, uint64_t *entries, uint64_t *bytes);

/* ---- the log ---------------------------------------------------------- */

/* Appends n consecutive entries in one write and, when sync is true, one
 * fdatasync. The first index may be at most last + 1; an index at or below
 * the last replaces the entries from there on (a follower's conflicting
 * suffix). Safe to call from a thread-pool thread. Returns 0, or -1 with err. */
int store_log_append(store_t *s, const store_entry_t *e, int n, bool sync, char *err, size_t errlen);

/* Writes hard-state values and entries together (wal_write): one write,
 * one fdatasync when sync is true. */
typedef wal_meta_t store_meta_t;
int store_log_write(store_t *s, const store_meta_t *m, int nm, const store_entry_t *e, int n, bool sync, char *err,
                    size_t errlen);

/* Reads entry `index`; data is malloc'ed (free with free()). Returns 0,
 * 1 if absent, -1 on a checksum or I/O error (message in err). */
int store_log_get(store_t *s, uint64_t index, store_entry_t *out, char *err, size_t errlen);

/* First and last index present in the log (0, 0 when empty). */
void store_log_bounds(store_t *s, uint64_t *first, uint64_t *last);

/* Deletes entries with index >= from (a follower's conflicting suffix). */
int store_log_truncate_suffix(store_t *s, uint64_t from, char *err, size_t errlen);

/* Forgets entries <= upto, durably, once a snapshot covers them: whole
 * segments holding nothing newer are deleted. Later appends must be above
 * upto. Returns 0, or -1 with err. */
int store_log_compact(store_t *s, uint64_t upto, char *err, size_t errlen);

/* Bytes of records in the log, for INFO. */
uint64_t store_log_size(store_t *s);

/* ---- raft hard state (in the log's segments, synced) ------------------------ */

/* Reads a u64 hard-state value; returns def when absent. Names have 1 to
 * WAL_META_NAME_MAX bytes. */
uint64_t store_meta_get_u64(store_t *s, const char *name, uint64_t def);
int store_meta_put_u64(store_t *s, const char *name, uint64_t v, bool sync);

/* ---- state-machine transactions --------------------------------------- */

/* Writes one record of the state machine at once, durably (synced), outside
 * any transaction: for what no log entry would replay after a crash.
 * Metadata only (the data CF's read cache would not see it): -1 for CF_DATA. */
int store_sm_put_sync(store_t *s, store_cf_t cf, const char *key, size_t klen, const char *val, size_t vlen,
                      char *err, size_t errlen);

/* A read txn (write=false) reads the live database; a write txn buffers. */
store_txn_t *store_txn_begin(store_t *s, bool write);

/* Gets key from cf, seeing this txn's own writes. Returns 1 and a malloc'ed
 * copy in *val (free with store_free) when found, 0 when absent, -1 on error. */
int store_get(store_txn_t *t, store_cf_t cf, const char *key, size_t klen, char **val, size_t *vlen);
/* Looks up these data-CF keys of a write txn in one batched RocksDB
 * MultiGet and keeps the answers for the txn's later store_get calls: a
 * batch's keys looked up one by one (a cache probe and a Get each, a memory
 * stall after another) were half of the apply time of SET. Duplicates are
 * fine; keys the txn has already written are answered by the txn anyway. */
/* Calls after the first add to what is kept. */
void store_txn_prefetch(store_txn_t *t, const char *const *keys, const size_t *lens, size_t n);
void store_put(store_txn_t *t, store_cf_t cf, const char *key, size_t klen, const char *val, size_t vlen);
void store_del(store_txn_t *t, store_cf_t cf, const char *key, size_t klen);
/* Deletes every key of cf (FLUSHALL), with one RocksDB range deletion.
 * Only whole column families: a range tombstone in the data CF must start at
 * the empty key (store.c data_cf_options says why). */
void store_clear(store_txn_t *t, store_cf_t cf);

/* Whether small commits may be written in the caller's thread when nothing
 * is queued (store_txn.c says when that pays); off at open. */
void store_set_inline_commits(store_t *s, bool on);

/* Hands the txn's changes to the committer thread, which writes them
 * atomically (not synced: the log is what is durable), and frees the txn.
 * The changes are visible to every later read at once. Returns 0 (or -1
 * with err when there is no committer and the write fails). A read txn just
 * frees. */
int store_txn_commit(store_txn_t *t, char *err, size_t errlen);
void store_txn_abort(store_txn_t *t);
bool store_txn_is_write(const store_txn_t *t);
/* How many puts and deletes the txn holds so far: a command that added none
 * changed nothing (WATCH and blocked clients need not hear of it). */
uint64_t store_txn_writes(const store_txn_t *t);
/* Waits until every committed txn is in RocksDB (iterators do this first). */
void store_drain(store_t *s);
/* Compacts the whole data CF now (flushing the memtable first), so the
 * compaction filter runs over every record: for tests and operators. */
void store_compact_data(store_t *s);
/* Starts a flush of the data CF's memtable (without waiting) when it holds
 * a run of deletions: at least TOMBSTONE_TRIGGER of them, half its entries
 * or more. Flushed, they reach a file, which compaction then drops (see
 * store.c); left in the memtable of an idle node, every iterator starting
 * before them steps over each one, for as long as no writes fill it.
 * Returns whether a flush was started. The node calls it once a second. */
bool store_flush_tombstones(store_t *s);
void store_free(void *p);

/* Iterators see the txn's own writes over the database. */
store_iter_t *store_iter_new(store_txn_t *t, store_cf_t cf);
void store_iter_seek(store_iter_t *it, const char *key, size_t klen);
void store_iter_seek_for_prev(store_iter_t *it, const char *key, size_t klen);
bool store_iter_valid(store_iter_t *it);
void store_iter_next(store_iter_t *it);
void store_iter_prev(store_iter_t *it);
const char *store_iter_key(store_iter_t *it, size_t *klen);
const char *store_iter_value(store_iter_t *it, size_t *vlen);
void store_iter_free(store_iter_t *it);

/* ---- snapshots (storage/snapshot.h has the files around them) ------------- */

/* Makes a RocksDB checkpoint of the state machine in dir (which must not
 * exist; memtables are flushed first) and reads back the applied index it
 * holds: the meta-CF value under applied_key (an encoding.h u64). Safe on a
 * thread-pool thread while the loop applies; never during store_install. */
int store_checkpoint(store_t *s, const char *dir, const char *applied_key, uint64_t *applied, char *err,
                     size_t errlen);

/* Replaces the state machine by a copy of the checkpoint in snapdir (table
 * files hard-linked, the rest copied), made current by renaming one small
 * file (SM_CURRENT), so that a crash at any point leaves either the old state
 * machine or the new one; then reopens it and empties the cache. Loop
 * thread. Returns 0, -1 with err (the old one is still in place unless the
 * reopen itself failed). */
int store_install(store_t *s, const char *snapdir, char *err, size_t errlen);

/* Approximate size of a column family, for INFO. */
uint64_t store_approx_size(store_t *s, store_cf_t cf);

#endif
