/* A scratch keyspace for command tests: a RocksDB store in a temporary
 * directory and a runner that executes one command the way the server does,
 * either as an applied write (write txn, commit, counters saved) or as a read
 * (read txn), at a time the test chooses. */
#ifndef REDRAFT_TESTS_CMDTEST_H
#define REDRAFT_TESTS_CMDTEST_H

#include <stdbool.h>
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
    /* what the last command said about blocking (cmd_ctx_t's fields of the
     * same names): BLPOP, BZPOPMIN, ... that found nothing */
    bool blocked;
    int64_t block_timeout_ms;
} cmdtest_t;

/* Opens an empty keyspace (registering the data commands once) with
 * now_ms = CT_T0. */
#define CT_T0 1700000000000LL
cmdtest_t *ct_open(void);
/* Closes the store and removes its directory. */
void ct_close(cmdtest_t *t);
/* The same as cmocka's setup and teardown: *state is the cmdtest_t. */
int ct_setup(void **state);
int ct_teardown(void **state);
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
/* The same with NUL-terminated arguments. */
const char *ct_runv(cmdtest_t *t, bool write, bool check_flags, int argc, const char *const *argv);

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
/* Tombstones RocksDB iterators of this thread stepped over since the last
 * call (the first call starts counting): the work a read does past deleted
 * keys, which is what keeps a pop or an expiry cycle from costing O(all
 * deleted before it). */
uint64_t ct_tombstones_skipped(void);

/* ---- checking replies ------------------------------------------------------ */

/* The macros need <cmocka.h> where they are used. */
#define CT_EQ(got, want) assert_string_equal((got), (want))
/* The key and expiry counters are these, and agree with the disk. */
#define CT_COUNTERS(t, keys, expires)                                                              \
    do {                                                                                           \
        assert_int_equal((t)->db.nkeys, (keys));                                                   \
        assert_int_equal((t)->db.nexpires, (expires));                                             \
        assert_true(ct_counters_consistent(t));                                                    \
    } while (0)

/* Redis's errors as replies carry them. */
#define CT_WRONGTYPE "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
#define CT_NOTINT "-ERR value is not an integer or out of range\r\n"
#define CT_NOTFLOAT "-ERR value is not a valid float\r\n"
#define CT_SYNTAX "-ERR syntax error\r\n"
#define CT_POSITIVE "-ERR value is out of range, must be positive\r\n"

/* A tiny RESP reader for replies whose parts a test looks at one by one:
 * each call reads one item at *pos in r (rlen bytes), fails the test if it
 * is not there, and moves *pos past it. */
typedef struct ct_bulk {
    const char *p; /* into r */
    size_t len;
} ct_bulk_t;
/* "$len\r\n<bytes>\r\n" */
ct_bulk_t ct_read_bulk(const char *r, size_t rlen, size_t *pos);
/* An aggregate's header of the given type ('*', '%', '~', ...): its count. */
size_t ct_read_agg(const char *r, size_t rlen, size_t *pos, char type);

/* A data command's table entry (the data commands registered first),
 * checked for what every test of a family's table checks: it is there,
 * under that name, with that arity, those flags and those key positions
 * (COMMAND INFO's first key, last key and step). */
const command_t *ct_command(const char *name, int arity, uint32_t flags, int first, int last,
                            int step);

/* Runs "cmd [key] cursor opts..." as a read (key NULL: SCAN itself) and
 * reads the head of its reply [cursor, [items]]: returns the next cursor,
 * with *nitems the count of items and *pos where they start in t->out. */
uint64_t ct_scan(cmdtest_t *t, const char *cmd, const char *key, uint64_t cursor,
                 const char *const *opts, int nopts, size_t *pos, size_t *nitems);

/* The short names the command tests (tests/unit/test_t_*.c) are written
 * in, for a file that defines CT_SHORT_NAMES before including this header.
 * W and R run a write or a read, COUNTERS checks the counters: each wants
 * the test's cmdtest_t in a variable t. */
#ifdef CT_SHORT_NAMES
#define W(...) CT_W(t, __VA_ARGS__)
#define R(...) CT_R(t, __VA_ARGS__)
#define EQ(got, want) CT_EQ(got, want)
#define COUNTERS(keys, expires) CT_COUNTERS(t, keys, expires)
#define WRONGTYPE CT_WRONGTYPE
#define NOTINT CT_NOTINT
#define NOTFLOAT CT_NOTFLOAT
#define SYNTAX CT_SYNTAX
#define POSITIVE CT_POSITIVE
typedef ct_bulk_t bulk_t;
#define read_bulk ct_read_bulk
#define read_agg ct_read_agg
#endif

#endif
