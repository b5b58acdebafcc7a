/* What store.c and store_txn.c share: the store itself. Not part of the
 * store's public face (store.h). */
#ifndef REDRAFT_STORAGE_STORE_INT_H
#define REDRAFT_STORAGE_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rocksdb/c.h>

#include "storage/cache.h"
#include "storage/store.h"
#include "storage/wal.h"

/* Under the node's directory:
 *   wal/ : the raft log and the raft hard state (wal.c); appends are synced.
 *   sm/  : the state machine (data, meta) in RocksDB (after a snapshot was
 *          installed: the sm-* directory that SM_CURRENT names); its WAL is written but
 *          not synced, because whatever it loses in a crash is replayed from
 *          the log. Applying entries never queues behind the fsync of the
 *          next log append, which runs at the same time on a thread-pool
 *          thread. */
struct store {
    wal_t *wal;
    rocksdb_t *smdb;
    rocksdb_options_t *opts;
    rocksdb_options_t *data_opts;
    rocksdb_column_family_handle_t *cf[CF_COUNT];
    rocksdb_column_family_handle_t *default_cf;
    rocksdb_block_based_table_options_t *table_opts;
    rocksdb_cache_t *block_cache;
    rocksdb_writeoptions_t *wnosync; /* apply batches: RocksDB's WAL off (the raft log replays them) */
    rocksdb_writeoptions_t *wsync;   /* the few writes outside the log: WAL on, synced */
    rocksdb_readoptions_t *ropts;
    rocksdb_t *_Atomic filter_db; /* what the filter reads metadata from; NULL while (re)opening */
    cache_t *cache;
    pthread_mutex_t cache_mu; /* the committer updates the cache while the loop reads it */
    struct store_txn *reader_ptr;
    bool sm_named;    /* SM_CURRENT exists (else the directory is "sm") */
    pthread_mutex_t cp_mu; /* a checkpoint (thread pool) and an install (loop) exclude each other */
    char dir[1024];   /* the node's directory */
    char smname[256]; /* the state machine's directory in it (SM_CURRENT) */

    /* The committer thread: writes handed-off apply batches in order. */
    pthread_t committer;
    bool committer_running;
    bool inline_commits; /* store_set_inline_commits */
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done;
    struct store_txn *q_head, *q_tail; /* handed off, oldest first (links: loop thread only) */
    struct store_txn *q_next;          /* the next one the committer writes */
    int q_len;
    uint64_t reaped; /* batches reaped so far: a prefetch is good until the next */
    bool committing, stopping;
    rocksdb_writebatch_t *cwb; /* the committer's batch, reused (its buffer keeps its size) */
};

struct store_iter {
    rocksdb_iterator_t *it;
};

/* err gets "what: rerr" (or "unknown error"); rerr is freed. */
void store_set_err(char *err, size_t errlen, const char *what, char *rerr);
/* The shared read txn (s->reader_ptr) and the committer thread, at open. */
struct store_txn *store_reader_new(store_t *s);
void store_committer_start(store_t *s);
/* Empties the read cache and marks it complete when the data set is empty. */
void store_cache_reset(store_t *s);

#endif
