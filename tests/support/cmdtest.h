/* A scratch keyspace for command tests: a RocksDB store in a temporary
 * directory and a runner that executes one command the way the server does,
 * either as an applied write (write txn, commit, counters saved) or as a read
 * (read txn), at a time the test chooses. */
#ifndef REDRAFT_TESTS_CMDTEST_H
#define REDRAFT_TESTS_CMDTEST_H

#include <stddef.h>
#include <stdint.h>

#include "cmd/command.h"
#include "cmd/db.h"

typedef struct cmdtest {
    char dir[64];
    store_t *store;
    db_t db;
    reply_t reply;
    int64_t now_ms; /* the entry time (writes) or wall clock (reads) to use */
    uint64_t index; /* index of the last applied write; each write uses index+1 */
    int proto;      /* 2 or 3 */
    char *out;      /* the last reply, NUL-terminated */
    size_t outlen;  /* its length (replies may hold NUL bytes) */
} cmdtest_t;

/* Opens an empty keyspace (registering the data commands once) with
 * now_ms = CT_T0. */
#define CT_T0 1700000000000LL
cmdtest_t *ct_open(void);
/* Closes the store and removes its directory. */
void ct_close(cmdtest_t *t);
/* Closes and reopens the store, reloading the counters: what survives a restart. */
void ct_reopen(cmdtest_t *t);

/* Runs a command given as NUL-terminated strings (end the list with NULL;
 * the CT_W/CT_R macros do it). The command must exist and be a write
 * (ct_write) or not (ct_read); a wrong arity gets the dispatcher's error.
 * Returns the reply bytes, NUL-terminated, valid until the next command. */
const char *ct_write(cmdtest_t *t, const char *arg0, ...);
const char *ct_read(cmdtest_t *t, const char *arg0, ...);
#define CT_W(t, ...) ct_write((t), __VA_ARGS__, (const char *)NULL)
#define CT_R(t, ...) ct_read((t), __VA_ARGS__, (const char *)NULL)

/* The same with explicit lengths (binary-safe arguments). write selects the
 * txn kind; check_flags false skips the write/read flag check (e.g. to run a
 * read command inside an applied entry, as MULTI does). */
const char *ct_run(cmdtest_t *t, bool write, bool check_flags, int argc, const char *const *argv,
                   const size_t *lens);

/* Creates a collection's metadata record (no sub-keys) as the collection
 * families will, with the counters and expiry index kept right, so generic
 * commands and WRONGTYPE checks can be tested before those families exist. */
void ct_put_collection(cmdtest_t *t, const char *key, size_t klen, obj_type_t type, uint64_t size,
                       int64_t expire_ms);

/* Counts the data CF records whose key starts with the byte prefix
 * ('m' metadata, 'e' expiry index, 's' sub-keys). */
size_t ct_count_prefix(cmdtest_t *t, char prefix);
/* True when db.nkeys and db.nexpires agree with the records on disk. */
bool ct_counters_consistent(cmdtest_t *t);

#endif
