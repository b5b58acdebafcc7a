/* linearize_int.h: what the parts of the linearizability checker share, and
 * nothing else: the limits of reports, the small helpers, the text builder,
 * the value table, the search's types and the functions one part calls in
 * another. Internal to tests/support/linearize*.c; the contract and the
 * algorithm are in linearize.h. The parts:
 *   linearize.c         helpers, the history, values, lin_check and results
 *   linearize_search.c  the search over one key, and reports on where it got stuck
 *   linearize_shrink.c  shrinking a violation to a small witness
 *   linearize_io.c      saving and loading histories */
#ifndef REDRAFT_TESTS_LINEARIZE_INT_H
#define REDRAFT_TESTS_LINEARIZE_INT_H

#include "support/linearize.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NIL 0u          /* value id of nil; values interned are 1, 2, ... */
#define TAIL 6          /* moves of the longest linearization shown in a report */
#define SHOW_MAX 40     /* bytes of a value shown in a report */
#define CANDS_MAX 12    /* candidates shown where the search got stuck */
#define WITNESS_SHOW 40 /* witnesses longer than this are not listed */

/* ---- small helpers (linearize.c) ----------------------------------------- */

void *lin_xrealloc(void *p, size_t n);
void *lin_xcalloc(size_t n, size_t size);
int64_t lin_now_us(void);
bool lin_parse_ll(const char *s, size_t len, int64_t *out);

/* The memo table hashes bitset words that differ in a few low bits; a full
 * avalanche per word keeps its chains short. */
static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* ---- text building (linearize.c) ----------------------------------------- */

/* Reports are built piece by piece and handed to the caller as one string. */
typedef struct sb {
    char *p;
    size_t n, cap;
} sb_t;

void lin_sb_printf(sb_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lin_sb_quoted(sb_t *b, const char *p, size_t len, size_t max);

/* ---- the history (linearize.c) ------------------------------------------- */

extern const char *const lin_kind_names[];
void lin_fmt_op(sb_t *b, const lin_history_t *h, size_t i);

/* ---- values (linearize.c) ------------------------------------------------ */

/* A key's register values are interned, so the search compares and stores
 * the register as one 32-bit id. INCR makes new values while searching, and
 * their integer view is parsed once, here. */
typedef struct val {
    char *p;
    size_t len;
    uint64_t hash;
    bool is_int;
    int64_t i;
} val_t;

typedef struct vtab {
    val_t *v; /* v[0] stands for nil */
    uint32_t n, cap;
    uint32_t *slot; /* open addressing over ids; 0 is empty */
    uint32_t nslot;
} vtab_t;

void lin_vt_init(vtab_t *t);
void lin_vt_free(vtab_t *t);
uint32_t lin_vt_intern(vtab_t *t, const char *p, size_t len);
uint32_t lin_vt_int(vtab_t *t, int64_t i);
void lin_fmt_val(sb_t *b, const vtab_t *t, uint32_t id);

/* ---- the search over one key (linearize_search.c) ------------------------ */

/* An op as the search sees it. Ops with a known outcome ("known", also the
 * pinned unknown SETs) have a call and a return in the list and must all be
 * placed; "open" ops (unknown outcome) have no return and are placed only in
 * the chain of a move. */
typedef struct sop {
    size_t h; /* index in the history */
    lin_kind_t kind;
    bool pinned;  /* an unknown SET that a read of its value proved happened */
    bool err;     /* INCR replied an error */
    uint32_t arg; /* SET: value id */
    uint32_t res; /* GET: value id, NIL for nil */
    int64_t num;  /* INCR: reply; DEL: count */
    int64_t inv, ret;
    int32_t call, rete; /* known ops: their entries in the list */
} sop_t;

/* A call or a return; ent[0] heads the circular list. */
typedef struct ent {
    int32_t prev, next;
    int32_t op; /* index into fx */
    bool ret;
    int64_t t;
} ent_t;

/* One move on the stack: a chain of open ops (a blind write, then m INCRs)
 * and the known op it enables. pass and bpos say where the move was in the
 * node's order of moves, so that backtracking continues after it. */
typedef struct frame {
    int32_t e;     /* the call entry of the known op */
    int32_t bpos;  /* 0: no blind write; 1..n_set: av_set[bpos-1]; n_set+1: av_del */
    int32_t blind; /* open op, or -1 */
    uint32_t m;    /* open INCRs, on the chain stack from chain_at */
    uint32_t chain_at;
    uint32_t state; /* the register before the move */
    uint8_t pass;   /* 0: moves without open ops; 1: moves with some */
    bool forced;    /* a free observer: the node had no other move worth trying */
} frame_t;

typedef struct tail {
    int32_t f, blind;
    uint32_t m, state; /* state: the register after the move */
} tail_t;

/* The memo table: records in one arena of words (no per-record allocation),
 * chained through their first word. A record is [next+1, hash, state |
 * count << 32, lo, count words of the known-op bitset from word lo, the
 * open-op bitset]. Words below lo are all ones and words past the count are
 * zero, so a record holds only the window of ops in flight: a few words
 * even on a history of a million ops. */
typedef struct memo {
    uint64_t *a;
    size_t n, cap;
    uint64_t *bucket;
    size_t nbucket, nrec;
} memo_t;

typedef enum { OUT_NONE, OUT_STEPS, OUT_TIME, OUT_MEMORY } outof_t;

typedef struct search {
    const lin_history_t *h;
    vtab_t vals;
    sop_t *fx; /* known ops by invocation; known bit i is fx[i] */
    uint32_t nf;
    sop_t *uo; /* open ops by invocation; open bit j is uo[j] */
    uint32_t no;
    ent_t *ent;
    int32_t *onext, *oprev; /* the open ops not placed, circular through index no */
    uint64_t *fbits, *obits;
    uint32_t fwords, owords, lo;
    int64_t hi; /* last nonzero word of fbits, -1 if none */
    frame_t *stack;
    uint32_t sp;
    int32_t *chain;
    uint32_t nchain;
    int32_t *av_set, *av_incr; /* the open ops a chain may use at this node */
    uint32_t n_set, n_incr;
    int32_t av_del;
    uint32_t state;
    /* by value id (< nv0, the values of the history): known GETs not placed
     * that read it, and ops not placed that can write it (SETs of it, known
     * or open; for nil, DELs) */
    int32_t *readers_left, *writers_left;
    uint32_t nv0;
    bool has_incr; /* INCR can make integer values again */
    bool monotone; /* no SET or DEL: the register only grows (nil, 1, 2, ...) */
    memo_t memo;
    uint64_t steps, max_steps;
    int64_t deadline;
    size_t max_memory;
    outof_t outof;
    /* the deepest configuration: most known ops placed */
    bool track;
    uint32_t best_sp, best_state, best_ntail;
    uint64_t *best_fbits, *best_obits;
    tail_t best_tail[TAIL];
    /* what preparing the key did */
    size_t n_ops, n_unknown, n_dropped, n_pinned;
} search_t;

void lin_search_init(search_t *s, const lin_history_t *h, const size_t *idx, size_t n);
void lin_search_free(search_t *s);
lin_verdict_t lin_search_run(search_t *s);
void lin_describe_stuck(sb_t *b, search_t *s, const size_t *key_ops, size_t nkey);

/* ---- shrinking a violation (linearize_shrink.c) -------------------------- */

/* What one search may spend: steps, a deadline (now_us) and memo bytes. */
typedef struct budget {
    uint64_t steps;
    int64_t deadline;
    size_t memory;
} budget_t;

lin_verdict_t lin_run_key(search_t *s, const budget_t *b);
size_t lin_shrink(const lin_history_t *h, size_t *w, size_t n, const budget_t *b, bool *minimal);
void lin_note_read(sb_t *b, const lin_history_t *h, const size_t *key_ops, size_t n, size_t gi);

#endif
