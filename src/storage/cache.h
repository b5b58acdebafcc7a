/* A bounded cache (CLOCK eviction) of data-CF records, negative entries included ("this
 * key is absent"), so that point reads of hot keys — and of missing keys —
 * cost a hash lookup instead of a memtable search.
 *
 * It is write-through: every change of the data CF that RocksDB has written
 * updates it (store_txn.c's committer thread does that), so an entry always
 * equals the database's value. It is not thread-safe: the store holds a mutex
 * around every call. */
#ifndef REDRAFT_STORAGE_CACHE_H
#define REDRAFT_STORAGE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cache cache_t;

cache_t *cache_new(size_t max_bytes);
void cache_free(cache_t *c);

uint64_t cache_hash(const char *key, size_t klen);

/* Returns 1 and the cached value (valid until the next cache call) when the
 * key is cached as present, 0 when cached as absent (or not cached while the
 * cache is complete), -1 when not cached. */
int cache_get(cache_t *c, uint64_t h, const char *key, size_t klen, const char **val, size_t *vlen);
/* Records the committed value of key; val NULL means absent. */
void cache_put(cache_t *c, uint64_t h, const char *key, size_t klen, const char *val, size_t vlen);
/* Empties the cache; it is no longer complete. */
void cache_clear(cache_t *c);

/* The caller knows the data set is exactly what the cache holds (it is empty
 * and the cache was just cleared, say): from now on a key the cache does not
 * hold is absent, until the cache first has to drop an entry (eviction, or a
 * value too large to keep). While a data set fits in the cache, point reads
 * of keys that do not exist then cost no RocksDB lookup either. */
void cache_set_complete(cache_t *c);

/* Whether cache_get would answer key without the database. */
bool cache_knows(const cache_t *c, uint64_t h, const char *key, size_t klen);

/* Hints for a batch of lookups: start loading the slot of hash h, and (once
 * that slot is loaded) its entry, so that probes further on do not wait for
 * memory one after the other. */
void cache_prefetch(const cache_t *c, uint64_t h);
void cache_prefetch_entry(const cache_t *c, uint64_t h);

typedef struct cache_stats {
    uint64_t hits, misses, entries, bytes;
    bool complete;
} cache_stats_t;
void cache_get_stats(const cache_t *c, cache_stats_t *out);

#endif
