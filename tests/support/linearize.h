/* linearize: a linearizability checker for histories of GET, SET, INCR and DEL
 * on string keys, recorded by clients of a cluster (the chaos tests), and a
 * text format to save a history and check it again offline.
 *
 * The history. Each operation is one command of one client on one key: when
 * it was sent (invoke_us) and when its reply arrived (return_us), both from
 * one monotonic clock in microseconds, and what the reply said. A client
 * whose call timed out or whose connection broke does not know whether the
 * command took effect: it records the operation with outcome_unknown set.
 * Such an operation may have taken effect at any moment after its invocation
 * (even after the client gave up and moved on) or never, and its reply is not
 * looked at: the checker treats it as returning at +infinity with any result.
 * An error reply that does not prove the command had no effect (a leader that
 * lost its leadership after proposing it, a timeout inside the server) must be
 * recorded as outcome_unknown too; only errors that prove the command was
 * refused before it could take effect may be left out of the history. The
 * only error reply modelled is INCR's ("value is not an integer" or "would
 * overflow": op.error), which is a read of a value INCR cannot count with.
 * Commands that return other errors, or that span several keys, are not
 * modelled: a chaos test must not record them.
 *
 * The model. Every key is a register holding nil or a byte string. GET reads
 * it; SET writes it and replies OK; DEL makes it nil and replies 1 if it was
 * not nil, else 0; INCR reads it as an integer the way Redis does (nil is 0;
 * otherwise the whole string must be a base-10 long long: optional '-', no
 * leading zeros, no '+', no spaces), writes back and replies the incremented
 * number, or replies an error and changes nothing if the value is not such an
 * integer or is LLONG_MAX. The model is written here from the Redis
 * documentation, not taken from src/, so the checker shares no code with the
 * server it checks. Operation A precedes B in real time when A returned
 * strictly before B was invoked (equal times count as concurrent).
 *
 * The algorithm. A history is linearizable when every operation (every one
 * with a known outcome; any subset of the unknown ones) can be given a point
 * inside its interval so that, in point order, each reply is what the model
 * gives. Keys are independent registers, and linearizability is local
 * (Herlihy & Wing 1990; the "P-compositionality" of Horn & Kroening 2015), so
 * each key's sub-history is checked alone. A key is checked by the
 * depth-first search of Wing & Gong (1993) as improved by Lowe (2017) and
 * implemented by Anish Athalye's Porcupine: the calls and returns of the
 * operations with a known outcome sit in one time-ordered doubly linked list;
 * the candidates for the next point are the calls that come before the first
 * return still in the list (an operation that returned before another was
 * invoked is always placed first, so the search never tries an order the real
 * time forbids); a candidate whose reply the model accepts is unlinked from
 * the list and the search goes deeper, and a dead end puts the last one back
 * (dancing links) and tries the next. Every configuration reached (the set
 * of operations placed, a bitset, and the register's value) is remembered in
 * a hash table, and a configuration seen before is not explored again, which
 * is what makes the search fast on real histories (Lowe's memoization).
 *
 * Unknown-outcome operations have no return in the list and are placed only
 * where they are needed: just before a placed operation whose reply needs
 * them, as a short chain (at most one SET or DEL, then INCRs). A chain of
 * any other shape only adds operations whose effect nobody sees. Of several
 * unknown INCRs (or DELs) the earliest invoked is used first, since they are
 * interchangeable. The memo table then stores the set of unknown operations
 * placed apart from the rest: a configuration is skipped when one seen before
 * had the same known operations placed, the same register value, and a subset
 * of its unknown operations placed (having more of them left can only help).
 *
 * Pruning, each exact (linearize.c argues each where it is done):
 *  - before the search, per key: unknown-outcome GETs are dropped (they
 *    change nothing); an unknown-outcome SET whose value no GET returned is
 *    dropped when no INCR or DEL can come after it (see search_init); an
 *    unknown-outcome SET whose value, written by no other operation of the
 *    key, was read by a GET must have taken effect before that GET returned,
 *    so it gets that GET's return as its own and becomes an ordinary
 *    operation (the unique value pins the write);
 *  - real time: only calls before the first return are candidates, so an
 *    operation that returned before another was invoked always comes first;
 *  - an observer (GET, DEL of nothing, failed INCR) whose reply fits the
 *    register is placed at once and nothing else is tried at that point (it
 *    can be moved to the front of any linearization from there);
 *  - moves without unknown operations are all tried before moves with some;
 *  - a move that replaces a value that a GET not yet placed returned, when
 *    no operation left can write that value again, is refused at once (a
 *    unique value read later pins its write before the next write);
 *  - on a key with only INCR and GET the register only grows, so a move that
 *    takes it past what a waiting INCR or GET needs is refused at once.
 * With these, typical chaos histories (tens of thousands of operations, a
 * few hundred of unknown outcome) take milliseconds per key; the budget is
 * for the pathological rest.
 *
 * The verdict. lin_check gives LIN_LINEARIZABLE, LIN_NOT_LINEARIZABLE or
 * LIN_UNKNOWN (a key's step, time or memory budget ran out: no proof either
 * way; the chaos tests pass with a warning). A violation is explained with
 * the key, a small set of that key's operations that cannot be linearized on
 * their own, and where the longest linearization of that set got stuck: the
 * last operations placed, the register's value, the operation that had to be
 * placed next and why each candidate could not be, and notes on reads whose
 * value nobody wrote, was written only later, or was overwritten by a write
 * entirely between (a stale read). The set is found by delta debugging
 * (Zeller's ddmin) that removes only operations whose removal cannot turn a
 * linearizable history into one that is not (observers; DELs and SETs under
 * conditions; an operation after all others), so it is a real witness. On a
 * GET/SET/DEL key a stale read shrinks to its 2 or 3 operations; a counter
 * (INCR) keeps its INCRs. Ops are printed as "#index" (the position in the
 * history, also the line of the saved file after its header), client,
 * command, reply and times.
 *
 * Memory: the history owns copies of every key and value. Not thread-safe:
 * client threads record under the caller's lock (or one history each,
 * appended into one before the check). Allocation failures abort. */
#ifndef REDRAFT_TESTS_LINEARIZE_H
#define REDRAFT_TESTS_LINEARIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { LIN_GET = 0, LIN_SET = 1, LIN_INCR = 2, LIN_DEL = 3 } lin_kind_t;

/* One operation. Keys and values are byte strings (they may hold NULs); in a
 * history they are NUL-terminated copies owned by the history. */
typedef struct lin_op {
    int client;
    lin_kind_t kind;
    char *key;
    size_t key_len;
    char *arg; /* SET: the value written (NULL otherwise) */
    size_t arg_len;
    bool nil;  /* GET: the reply was nil */
    char *val; /* GET: the value read when !nil (NULL otherwise) */
    size_t val_len;
    int64_t num;          /* INCR: the reply (the new value); DEL: keys deleted, 0 or 1 */
    bool error;           /* INCR: the reply was an error (not an integer, or overflow) */
    int64_t invoke_us;    /* sent */
    int64_t return_us;    /* reply received (>= invoke_us); outcome_unknown: when the
                             client gave up, informational only */
    bool outcome_unknown; /* no reply: may have taken effect at any time after
                             invoke_us, or never; the result fields are ignored */
} lin_op_t;

typedef struct lin_history {
    lin_op_t *ops;
    size_t n, cap;
} lin_history_t;

lin_history_t *lin_history_new(void);
void lin_history_free(lin_history_t *h);

/* Appends a copy of *op (its byte strings copied) and returns its index.
 * Aborts on an op no client can observe: a kind out of range, a NULL key, a
 * known outcome with return_us < invoke_us. */
size_t lin_history_add(lin_history_t *h, const lin_op_t *op);

/* Appends copies of all of src's operations to dst (histories of client
 * threads recorded apart). */
void lin_history_append(lin_history_t *dst, const lin_history_t *src);

/* Shorthands for NUL-terminated keys and values; each returns the index.
 * lin_get's value NULL is a nil reply. */
size_t lin_set(lin_history_t *h, int client, const char *key, const char *value, int64_t inv,
               int64_t ret);
size_t lin_get(lin_history_t *h, int client, const char *key, const char *value, int64_t inv,
               int64_t ret);
size_t lin_incr(lin_history_t *h, int client, const char *key, int64_t result, int64_t inv,
                int64_t ret);
size_t lin_incr_error(lin_history_t *h, int client, const char *key, int64_t inv, int64_t ret);
size_t lin_del(lin_history_t *h, int client, const char *key, int64_t deleted, int64_t inv,
               int64_t ret);
/* Marks op i outcome-unknown and returns i: lin_unknown(h, lin_set(h, ...)). */
size_t lin_unknown(lin_history_t *h, size_t i);

typedef enum {
    LIN_LINEARIZABLE = 0,
    LIN_NOT_LINEARIZABLE = 1,
    LIN_UNKNOWN = 2, /* a budget ran out before a proof either way */
} lin_verdict_t;

const char *lin_verdict_name(lin_verdict_t v);

/* Zero fields mean the default. */
typedef struct lin_options {
    uint64_t max_steps; /* per key: moves tried; default LIN_DEFAULT_STEPS */
    int64_t max_us;     /* per key: wall time; default LIN_DEFAULT_US; < 0: no limit */
    size_t max_memory;  /* per key: bytes of the memo table; default LIN_DEFAULT_MEMORY */
    bool no_shrink;     /* do not look for a small witness of a violation */
    int64_t shrink_us;  /* per failing key: time to shrink; default LIN_DEFAULT_SHRINK_US */
} lin_options_t;

#define LIN_DEFAULT_STEPS 20000000ULL /* about 4 s of search */
#define LIN_DEFAULT_US 10000000LL
#define LIN_DEFAULT_MEMORY ((size_t)512 << 20)
#define LIN_DEFAULT_SHRINK_US 3000000LL

typedef struct lin_key_report {
    char *key; /* a NUL-terminated copy */
    size_t key_len;
    lin_verdict_t verdict;
    size_t n_ops;     /* the key's operations in the history */
    size_t n_unknown; /* of which outcome-unknown */
    size_t n_dropped; /* pruned before the search (unknown GETs, unread unknown SETs) */
    size_t n_pinned;  /* unknown SETs pinned by a read of their value */
    uint64_t steps;   /* moves tried */
    int64_t elapsed_us;
} lin_key_report_t;

typedef struct lin_result {
    lin_verdict_t verdict; /* NOT_LINEARIZABLE if a key is, else UNKNOWN if a key is */
    lin_key_report_t *keys;
    size_t n_keys; /* in order of first appearance in the history */
    /* NOT_LINEARIZABLE: the witness found on the first key that is not
     * linearizable, as history indexes in invocation order; the witness
     * alone is not linearizable. */
    size_t *witness;
    size_t n_witness;
    bool witness_minimal; /* shrinking finished: no single op of it may be removed */
    char *explain;        /* a NUL-terminated report: a summary line per key and the
                             details of the first key that failed or ran out of budget */
} lin_result_t;

/* Checks h against the model, key by key. opt may be NULL. Fills *res (free
 * it with lin_result_free) and returns res->verdict. */
lin_verdict_t lin_check(const lin_history_t *h, const lin_options_t *opt, lin_result_t *res);
void lin_result_free(lin_result_t *res);

/* The text format, one operation per line after a header comment, fields
 * separated by spaces:
 *     client invoke_us return_us KIND "key" ["value"] result
 * KIND is GET, SET, INCR or DEL; the value follows SET only; result is, for
 * GET, nil or a quoted value; for SET, OK; for INCR, a number or ERR; for
 * DEL, a number; and ? for an unknown outcome. Quoted strings escape '"' and
 * '\' with a backslash and any byte outside ' '..'~' as \xHH. Blank lines
 * and lines starting with '#' are skipped. Operation #i is on line i + 2 of
 * a file lin_history_save wrote.
 *
 * lin_history_save returns 0, or -1 with errno set. lin_history_load returns
 * a new history, or NULL with a message ("path:line: what") in err (which
 * may be NULL; errlen bytes) on a file that cannot be read or a line that is
 * malformed. */
int lin_history_save(const lin_history_t *h, const char *path);
lin_history_t *lin_history_load(const char *path, char *err, size_t errlen);

#endif
