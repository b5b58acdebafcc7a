/* Differential testing against redis-server: the same random command
 * sequences go to a reference redis-server (7.x, started by the harness)
 * and to a single redraft node, and the replies must match byte for byte,
 * or under a declared normalization where Redis's own reply is not
 * deterministic (element order of a hash or set, random members).
 *
 * A family test provides a generator (one command per call) and runs
 * dt_run from a cmocka test; the group setup/teardown start and stop the
 * two servers. Without redis-server on the machine the tests skip.
 *
 * On a mismatch the test fails with the last commands and both replies, and
 * says how to replay the seed (DIFF_SEED=<n>, DIFF_OPS=<n>, DIFF_TRACE=1
 * prints every command and both replies). Each seed starts from FLUSHALL;
 * every other seed speaks RESP3. After each seed the whole keyspace is
 * compared (every key's type, value and PTTL). */
#ifndef REDRAFT_TESTS_DIFFTEST_H
#define REDRAFT_TESTS_DIFFTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DT_MAXARG 64

typedef enum {
    DT_EXACT,  /* byte for byte */
    DT_SORTED, /* an array (or RESP3 set) whose elements may come in any order */
    DT_PAIRS,  /* a flat array of field/value pairs or a RESP3 map: the pairs in any order */
    DT_TTL,    /* an integer number of seconds, tolerance 1 (negative values exact) */
    DT_PTTL,   /* an integer number of milliseconds, small tolerance */
    DT_SHAPE,  /* a random reply (SRANDMEMBER, SPOP, HRANDFIELD, ...): same RESP
                * type and, for aggregates, the same element count; see resync_key */
    DT_SCAN,   /* a cursor command: iterated to cursor 0 on each server (cursor at
                * argv[o->cursor_arg]); the union of the elements compared as a set
                * (as pairs when o->scan_pairs) */
    DT_RANDOMKEY, /* RANDOMKEY-like: nil on both, or a key that exists on each side */
} dt_kind_t;

typedef struct dt_op {
    int argc;
    char *argv[DT_MAXARG];
    size_t len[DT_MAXARG];
    int kind;        /* dt_kind_t */
    int cursor_arg;  /* DT_SCAN: 1 for SCAN, 2 for HSCAN/SSCAN/ZSCAN */
    bool scan_pairs; /* DT_SCAN: elements come as pairs (HSCAN, ZSCAN) */
    /* DT_SHAPE: when the command may have changed the two servers' state
     * differently (SPOP picks other members), the harness then copies key
     * resync_key from the reference to redraft (DEL, a rebuild by type from
     * the reference's full contents, PEXPIRE). NULL: a read, nothing to do. */
    const char *resync_key;
    size_t resync_len;
} dt_op_t;

typedef struct dt_prng {
    uint64_t s;
} dt_prng_t;

uint64_t dt_rnd(dt_prng_t *g);
int dt_rn(dt_prng_t *g, int n); /* 0..n-1 */

void dt_add(dt_op_t *o, const char *s, size_t n);
void dt_adds(dt_op_t *o, const char *s);
void dt_addf(dt_op_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dt_op_free(dt_op_t *o);
/* Appends one key of the small key space every family shares (so that
 * commands of different families collide on a key and WRONGTYPE happens):
 * "a".."f", "key:1", a binary name and the empty name. */
void dt_add_key(dt_prng_t *g, dt_op_t *o);
/* Appends a value: small integers, big and edge integers, floats, short
 * words, binary bytes, the empty string, sometimes long. */
void dt_add_value(dt_prng_t *g, dt_op_t *o);
/* Upper-cases or lower-cases some letters of the command name. */
void dt_random_case(dt_prng_t *g, dt_op_t *o);

/* One command of the family. in_multi: the command goes inside MULTI/EXEC,
 * so its reply must be comparable as DT_EXACT (no random or scan commands). */
typedef void dt_gen_fn(dt_prng_t *g, dt_op_t *o, bool in_multi);

typedef struct dt_config {
    const char *name;   /* shown in messages and in the replay hint */
    dt_gen_fn *gen;
    long nops;          /* per seed; DIFF_OPS overrides */
    int multi_one_in;   /* a MULTI block once in this many commands (0: never) */
} dt_config_t;

/* cmocka group setup/teardown: start/stop redis-server and redraft. */
int dt_setup(void **state);
int dt_teardown(void **state);
/* Whether a reference server runs (else the tests call skip()). */
bool dt_have_ref(void);
/* The redraft node's port (for extra direct checks). */
int dt_redraft_port(void);
int dt_ref_port(void);

/* Runs the fixed seeds (or DIFF_SEED) with cfg; fails the test on a mismatch. */
void dt_run(const dt_config_t *cfg);
/* The comparison under a kind, exposed so that a test can check that the
 * normalizations themselves can fail. ptol: DT_PTTL tolerance in ms. */
bool dt_same(int kind, const char *a, size_t al, const char *b, size_t bl, int ptol);

#endif
