/* The keyspace as commands see it: metadata lookup with expiry applied,
 * writes that keep the key and expiry counters and the expiry index right.
 *
 * Expired keys are invisible to every read at once. Inside apply (a write
 * txn) an expired key that a command touches is deleted in the same batch, a
 * decision every replica makes alike because "now" is the entry's time. */
#ifndef REDRAFT_CMD_DB_H
#define REDRAFT_CMD_DB_H

#include "cmd/command.h"
#include "storage/encoding.h"

typedef struct db {
    store_t *store;
    int64_t nkeys;     /* keys in the data CF, expired-but-present included (DBSIZE) */
    int64_t nexpires;  /* keys with a TTL */
    uint64_t applied;  /* last applied log index */
    uint64_t version;  /* the last collection version handed out (db_new_version) */
    uint64_t epoch;    /* new at every db_load: what node-local caches of the state (coll.c) hold for */
    /* No expiry index key lies before this one (db_collect_expired starts
     * here, not at the index's start, past the tombstones of every key
     * expired before): learned by each collection, lowered by every
     * expiry written below it, forgotten by db_load. */
    uint64_t expired; /* keys deleted because their time had passed (INFO expired_keys; since start) */
    bool exp_floor_known;
    size_t exp_floor_len;
    char exp_floor[96];
} db_t;

/* Loads counters and applied index from the meta CF. */
void db_load(db_t *db, store_t *s);
/* Adds the counters and applied index to a write txn (called once per batch). */
void db_save(db_t *db, store_txn_t *t);

/* A looked-up key: meta decoded from raw (owned; release with db_release). */
typedef struct dbkey {
    meta_t meta;
    char *raw;
    size_t rawlen;
} dbkey_t;

/* Looks key up. Returns 1 (found, live), 0 (absent or expired), -1 (I/O or
 * corrupt record: an "ERR" reply has been written). */
int db_lookup(cmd_ctx_t *c, const char *key, size_t klen, dbkey_t *out);
/* The same for a command that only works on strings (the string and
 * bitmap families): a key of another type is -1 with WRONGTYPE replied. */
int db_lookup_string(cmd_ctx_t *c, const char *key, size_t klen, dbkey_t *out);
void db_release(dbkey_t *k);

/* Writes a string value, replacing whatever the key held; expire_ms 0 = no TTL.
 * `existed` tells whether the key was live before (for the counters). */
void db_set_string(cmd_ctx_t *c, const char *key, size_t klen, const char *val, size_t vlen,
                   int64_t expire_ms, const dbkey_t *old);
/* The same with the record's flags (META_STR_RAW, META_STR_NOINT): what
 * OBJECT ENCODING reports for the value. db_set_string writes 0. */
void db_set_string_flags(cmd_ctx_t *c, const char *key, size_t klen, const char *val, size_t vlen,
                         int64_t expire_ms, uint8_t flags, const dbkey_t *old);
/* Writes a collection's metadata record, replacing whatever the key held
 * (old: as db_lookup found it; its type may differ, e.g. SINTERSTORE over a
 * string). head is used for lists only; flags: META_COLL_BIG or 0. */
void db_set_coll(cmd_ctx_t *c, const char *key, size_t klen, obj_type_t type, int64_t expire_ms, uint64_t version,
                 uint64_t size, uint64_t head, uint8_t flags, const dbkey_t *old);
/* A version for a collection created by the command being applied: larger
 * than every version before it and the same on every replica, as it derives
 * from the entry's index and the command's place in it (docs/encoding.md). */
uint64_t db_new_version(cmd_ctx_t *c);
/* Deletes a key found by db_lookup (any type). */
void db_delete(cmd_ctx_t *c, const char *key, size_t klen, const dbkey_t *old);
/* Changes a live key's expiry (0 removes it), rewriting its metadata. */
void db_set_expire(cmd_ctx_t *c, const char *key, size_t klen, dbkey_t *k, int64_t expire_ms);
/* Removes every key (FLUSHALL/FLUSHDB). */
void db_flush(cmd_ctx_t *c);

/* Iterates live keys from `start` (inclusive) in key order; calls fn for
 * each until it returns false. Returns the number visited. */
typedef bool db_scan_fn(void *ud, const char *key, size_t klen, const meta_t *m);
size_t db_scan(cmd_ctx_t *c, const char *start, size_t slen, db_scan_fn *fn, void *ud);

/* Collects up to max keys whose expiry is <= now (the active expiry cycle). */
typedef void db_expired_fn(void *ud, const char *key, size_t klen);
size_t db_collect_expired(db_t *db, int64_t now_ms, size_t max, db_expired_fn *fn, void *ud);

#endif
