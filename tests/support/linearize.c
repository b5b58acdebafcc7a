/* linearize: the linearizability checker of the chaos tests. linearize.h has
 * the contract and the algorithm; the comments here say why each part is
 * shaped the way it is. Plain libc, no cmocka: a failing chaos run prints the
 * report, and the checker must not share code with the server it checks. */
#include "support/linearize.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NIL 0u          /* value id of nil; values interned are 1, 2, ... */
#define TAIL 6          /* moves of the longest linearization shown in a report */
#define SHOW_MAX 40     /* bytes of a value shown in a report */
#define CANDS_MAX 12    /* candidates shown where the search got stuck */
#define WITNESS_SHOW 40 /* witnesses longer than this are not listed */

/* ---- small helpers ------------------------------------------------------- */

static void oom(void)
{
    fputs("linearize: out of memory\n", stderr);
    abort();
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) oom();
    return q;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom();
    return p;
}

/* Every byte string the checker keeps is a NUL-terminated copy, so reports can
 * print keys and the history never points into its caller's buffers. */
static char *dupbytes(const char *p, size_t n)
{
    char *d = xrealloc(NULL, n + 1);
    if (n) memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
    return h;
}

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

/* Redis's string2ll: the only strings INCR counts with (nil aside). */
static bool parse_ll(const char *s, size_t len, int64_t *out)
{
    if (len == 0 || len > 20) return false;
    if (len == 1 && s[0] == '0') {
        *out = 0;
        return true;
    }
    size_t i = 0;
    bool neg = s[0] == '-';
    if (neg) {
        if (len == 1) return false;
        i = 1;
    }
    if (s[i] < '1' || s[i] > '9') return false;
    uint64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1) return false;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX) return false;
        *out = (int64_t)v;
    }
    return true;
}

/* ---- text building ------------------------------------------------------- */

/* Reports are built piece by piece and handed to the caller as one string. */
typedef struct sb {
    char *p;
    size_t n, cap;
} sb_t;

static void sb_reserve(sb_t *b, size_t more)
{
    if (b->n + more + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + more + 1)
        cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
}

static void sb_printf(sb_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sb_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k <= 0) return;
    sb_reserve(b, (size_t)k);
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

/* The quoted form of the text format, so that what a report shows can be
 * searched for in a saved history. max > 0 cuts long values (reports). */
static void sb_quoted(sb_t *b, const char *p, size_t len, size_t max)
{
    size_t n = max && len > max ? max : len;
    sb_reserve(b, 4 * n + 8);
    b->p[b->n++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\') {
            b->p[b->n++] = '\\';
            b->p[b->n++] = (char)c;
        } else if (c >= ' ' && c <= '~') {
            b->p[b->n++] = (char)c;
        } else {
            b->n += (size_t)snprintf(b->p + b->n, 5, "\\x%02x", c);
        }
    }
    b->p[b->n++] = '"';
    if (n < len) {
        memcpy(b->p + b->n, "...", 3);
        b->n += 3;
    }
    b->p[b->n] = '\0';
}

static void sb_append(sb_t *dst, const sb_t *src)
{
    if (!src->n) return;
    sb_reserve(dst, src->n);
    memcpy(dst->p + dst->n, src->p, src->n + 1);
    dst->n += src->n;
}

static char *sb_take(sb_t *b)
{
    if (!b->p) return dupbytes("", 0);
    char *p = b->p;
    memset(b, 0, sizeof(*b));
    return p;
}

/* ---- the history --------------------------------------------------------- */

static const char *const kind_names[] = {"GET", "SET", "INCR", "DEL"};

lin_history_t *lin_history_new(void)
{
    return xcalloc(1, sizeof(lin_history_t));
}

void lin_history_free(lin_history_t *h)
{
    if (!h) return;
    for (size_t i = 0; i < h->n; i++) {
        free(h->ops[i].key);
        free(h->ops[i].arg);
        free(h->ops[i].val);
    }
    free(h->ops);
    free(h);
}

/* A malformed op is a bug in the recording test, and a checker that guessed
 * what it meant could pass a broken server: stop at once instead. */
static void bad_op(const char *why)
{
    fprintf(stderr, "lin_history_add: %s\n", why);
    abort();
}

size_t lin_history_add(lin_history_t *h, const lin_op_t *op)
{
    if ((unsigned)op->kind > LIN_DEL) bad_op("kind out of range");
    if (!op->key) bad_op("NULL key");
    if (!op->outcome_unknown && op->return_us < op->invoke_us) bad_op("return_us before invoke_us");
    if (op->kind == LIN_SET && !op->arg && op->arg_len) bad_op("NULL SET value");
    if (op->kind == LIN_GET && !op->nil && !op->val && op->val_len) bad_op("NULL GET value");
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 64;
        h->ops = xrealloc(h->ops, h->cap * sizeof(lin_op_t));
    }
    lin_op_t *o = &h->ops[h->n];
    memset(o, 0, sizeof(*o));
    o->client = op->client;
    o->kind = op->kind;
    o->key = dupbytes(op->key, op->key_len);
    o->key_len = op->key_len;
    if (op->kind == LIN_SET) {
        o->arg = dupbytes(op->arg ? op->arg : "", op->arg_len);
        o->arg_len = op->arg_len;
    }
    if (op->kind == LIN_GET) {
        o->nil = op->nil;
        if (!op->nil) {
            o->val = dupbytes(op->val ? op->val : "", op->val_len);
            o->val_len = op->val_len;
        }
    }
    if (op->kind == LIN_INCR || op->kind == LIN_DEL) o->num = op->num;
    if (op->kind == LIN_INCR) o->error = op->error;
    o->invoke_us = op->invoke_us;
    o->return_us = op->return_us;
    o->outcome_unknown = op->outcome_unknown;
    return h->n++;
}

void lin_history_append(lin_history_t *dst, const lin_history_t *src)
{
    for (size_t i = 0; i < src->n; i++)
        lin_history_add(dst, &src->ops[i]);
}

static lin_op_t op_base(int client, lin_kind_t kind, const char *key, int64_t inv, int64_t ret)
{
    lin_op_t o;
    memset(&o, 0, sizeof(o));
    o.client = client;
    o.kind = kind;
    o.key = (char *)key;
    o.key_len = key ? strlen(key) : 0;
    o.invoke_us = inv;
    o.return_us = ret;
    return o;
}

size_t lin_set(lin_history_t *h, int client, const char *key, const char *value, int64_t inv,
               int64_t ret)
{
    lin_op_t o = op_base(client, LIN_SET, key, inv, ret);
    o.arg = (char *)value;
    o.arg_len = value ? strlen(value) : 0;
    return lin_history_add(h, &o);
}

size_t lin_get(lin_history_t *h, int client, const char *key, const char *value, int64_t inv,
               int64_t ret)
{
    lin_op_t o = op_base(client, LIN_GET, key, inv, ret);
    o.nil = value == NULL;
    o.val = (char *)value;
    o.val_len = value ? strlen(value) : 0;
    return lin_history_add(h, &o);
}

size_t lin_incr(lin_history_t *h, int client, const char *key, int64_t result, int64_t inv,
                int64_t ret)
{
    lin_op_t o = op_base(client, LIN_INCR, key, inv, ret);
    o.num = result;
    return lin_history_add(h, &o);
}

size_t lin_incr_error(lin_history_t *h, int client, const char *key, int64_t inv, int64_t ret)
{
    lin_op_t o = op_base(client, LIN_INCR, key, inv, ret);
    o.error = true;
    return lin_history_add(h, &o);
}

size_t lin_del(lin_history_t *h, int client, const char *key, int64_t deleted, int64_t inv,
               int64_t ret)
{
    lin_op_t o = op_base(client, LIN_DEL, key, inv, ret);
    o.num = deleted;
    return lin_history_add(h, &o);
}

size_t lin_unknown(lin_history_t *h, size_t i)
{
    if (i >= h->n) bad_op("lin_unknown: no such op");
    h->ops[i].outcome_unknown = true;
    return i;
}

const char *lin_verdict_name(lin_verdict_t v)
{
    switch (v) {
    case LIN_LINEARIZABLE:
        return "LINEARIZABLE";
    case LIN_NOT_LINEARIZABLE:
        return "NOT_LINEARIZABLE";
    case LIN_UNKNOWN:
        return "UNKNOWN";
    }
    return "?";
}

/* One line per op in reports: its index in the history (the line of the saved
 * file), the client, the command and reply, and the times, so the op can be
 * found in the chaos test's log. */
static void fmt_op(sb_t *b, const lin_history_t *h, size_t i)
{
    const lin_op_t *o = &h->ops[i];
    sb_printf(b, "#%zu client %d: %s", i, o->client, kind_names[o->kind]);
    if (o->kind == LIN_SET) {
        sb_printf(b, " ");
        sb_quoted(b, o->arg, o->arg_len, SHOW_MAX);
    }
    sb_printf(b, " -> ");
    if (o->outcome_unknown) {
        sb_printf(b, "? (outcome unknown)  [%" PRId64 " .. ", o->invoke_us);
        if (o->return_us >= o->invoke_us)
            sb_printf(b, "gave up at %" PRId64 "]", o->return_us);
        else
            sb_printf(b, "?]");
        return;
    }
    switch (o->kind) {
    case LIN_GET:
        if (o->nil)
            sb_printf(b, "nil");
        else
            sb_quoted(b, o->val, o->val_len, SHOW_MAX);
        break;
    case LIN_SET:
        sb_printf(b, "OK");
        break;
    case LIN_INCR:
        if (o->error)
            sb_printf(b, "ERR");
        else
            sb_printf(b, "%" PRId64, o->num);
        break;
    case LIN_DEL:
        sb_printf(b, "%" PRId64, o->num);
        break;
    }
    sb_printf(b, "  [%" PRId64 " .. %" PRId64 "]", o->invoke_us, o->return_us);
}

/* ---- values -------------------------------------------------------------- */

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

static void vt_init(vtab_t *t)
{
    memset(t, 0, sizeof(*t));
    t->cap = 16;
    t->v = xcalloc(t->cap, sizeof(val_t));
    t->n = 1;
    t->nslot = 32;
    t->slot = xcalloc(t->nslot, sizeof(uint32_t));
}

static void vt_free(vtab_t *t)
{
    for (uint32_t i = 1; i < t->n; i++)
        free(t->v[i].p);
    free(t->v);
    free(t->slot);
    memset(t, 0, sizeof(*t));
}

static uint32_t vt_intern(vtab_t *t, const char *p, size_t len)
{
    uint64_t hh = hash_bytes(p, len);
    uint32_t mask = t->nslot - 1, i = (uint32_t)hh & mask;
    for (; t->slot[i]; i = (i + 1) & mask) {
        const val_t *v = &t->v[t->slot[i]];
        if (v->hash == hh && v->len == len && memcmp(v->p, p, len) == 0) return t->slot[i];
    }
    if (t->n == t->cap) {
        t->cap *= 2;
        t->v = xrealloc(t->v, t->cap * sizeof(val_t));
    }
    uint32_t id = t->n++;
    val_t *v = &t->v[id];
    v->p = dupbytes(p, len);
    v->len = len;
    v->hash = hh;
    v->is_int = parse_ll(p, len, &v->i);
    if (2 * t->n <= t->nslot) {
        t->slot[i] = id;
        return id;
    }
    free(t->slot);
    t->nslot *= 2;
    t->slot = xcalloc(t->nslot, sizeof(uint32_t));
    mask = t->nslot - 1;
    for (uint32_t k = 1; k < t->n; k++) {
        uint32_t j = (uint32_t)t->v[k].hash & mask;
        while (t->slot[j])
            j = (j + 1) & mask;
        t->slot[j] = k;
    }
    return id;
}

static uint32_t vt_int(vtab_t *t, int64_t i)
{
    char buf[24];
    int k = snprintf(buf, sizeof(buf), "%" PRId64, i);
    return vt_intern(t, buf, (size_t)k);
}

static void fmt_val(sb_t *b, const vtab_t *t, uint32_t id)
{
    if (id == NIL)
        sb_printf(b, "nil");
    else
        sb_quoted(b, t->v[id].p, t->v[id].len, SHOW_MAX);
}

/* ---- the search over one key --------------------------------------------- */

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

static int cmp_sop(const void *a, const void *b)
{
    const sop_t *x = a, *y = b;
    if (x->inv != y->inv) return x->inv < y->inv ? -1 : 1;
    return x->h < y->h ? -1 : x->h > y->h;
}

/* Calls sort before returns at the same time: ops whose times touch are
 * concurrent (the lenient reading; a clock tick is not an order). */
static int cmp_ent(const void *a, const void *b)
{
    const ent_t *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    if (x->ret != y->ret) return x->ret ? 1 : -1;
    return x->op < y->op ? -1 : x->op > y->op;
}

/* Builds the search for the ops idx[0..n) of one key, pruning first.
 *
 * drop_unread: an unknown-outcome SET s of value v that no GET returned is
 * dropped when every INCR and DEL of the key returned before s was invoked.
 * Dropping an op whose outcome is unknown is always allowed (it may never
 * have happened), so a history without s that is linearizable is one with s
 * too. Conversely take a linearization that places s: nothing after s in it
 * is an INCR or a DEL, and a GET between s and the next SET would have read
 * v, which none did; so s is followed by a SET or by nothing, its value is
 * never seen, and removing it leaves every reply as it was. Both ways agree,
 * so s cannot matter. (With an INCR or DEL that may follow s, s could be
 * what makes INCR count from a number or DEL find the key, so it stays.)
 *
 * Pinning: an unknown SET s of v, where no other op writes v (and no INCR
 * can make v), that a GET g returned, took effect before g; g took effect
 * before it returned; so s happened, inside [s.inv, min g.ret], and becomes
 * a known op with that interval. Exactly the same linearizations remain, and
 * a mandatory op with an end is much cheaper to search than an open one. If
 * the earliest such read returned before s was invoked, s is left open: the
 * read can then never be placed, and the search says so. */
static void search_init(search_t *s, const lin_history_t *h, const size_t *idx, size_t n)
{
    memset(s, 0, sizeof(*s));
    s->h = h;
    s->n_ops = n;
    vt_init(&s->vals);
    uint32_t *vid = xcalloc(n, sizeof(uint32_t));
    for (size_t i = 0; i < n; i++) {
        const lin_op_t *o = &h->ops[idx[i]];
        if (o->kind == LIN_SET) vid[i] = vt_intern(&s->vals, o->arg, o->arg_len);
        if (o->kind == LIN_GET && !o->outcome_unknown && !o->nil)
            vid[i] = vt_intern(&s->vals, o->val, o->val_len);
        if (o->outcome_unknown) s->n_unknown++;
    }
    uint32_t nv = s->vals.n;
    uint32_t *writers = xcalloc(nv, sizeof(uint32_t));
    int64_t *first_read_ret = xcalloc(nv, sizeof(int64_t));
    bool *read = xcalloc(nv, sizeof(bool));
    bool has_incr = false;
    int64_t observer_ret = INT64_MIN; /* latest return of an INCR or DEL */
    for (size_t i = 0; i < n; i++) {
        const lin_op_t *o = &h->ops[idx[i]];
        switch (o->kind) {
        case LIN_SET:
            writers[vid[i]]++;
            break;
        case LIN_GET:
            if (vid[i] != NIL) {
                if (!read[vid[i]] || o->return_us < first_read_ret[vid[i]])
                    first_read_ret[vid[i]] = o->return_us;
                read[vid[i]] = true;
            }
            break;
        case LIN_INCR:
        case LIN_DEL:
            if (o->kind == LIN_INCR) has_incr = true;
            if (o->outcome_unknown)
                observer_ret = INT64_MAX;
            else if (o->return_us > observer_ret)
                observer_ret = o->return_us;
            break;
        }
    }

    s->fx = xcalloc(n, sizeof(sop_t));
    s->uo = xcalloc(n, sizeof(sop_t));
    for (size_t i = 0; i < n; i++) {
        const lin_op_t *o = &h->ops[idx[i]];
        sop_t so;
        memset(&so, 0, sizeof(so));
        so.h = idx[i];
        so.kind = o->kind;
        so.err = o->kind == LIN_INCR && o->error;
        so.arg = o->kind == LIN_SET ? vid[i] : NIL;
        so.res = o->kind == LIN_GET ? vid[i] : NIL;
        so.num = o->num;
        so.inv = o->invoke_us;
        so.ret = o->return_us;
        bool open = false;
        if (o->outcome_unknown) {
            if (o->kind == LIN_GET) {
                s->n_dropped++;
                continue;
            }
            open = true;
            if (o->kind == LIN_SET) {
                uint32_t v = vid[i];
                if (!read[v]) {
                    if (observer_ret < o->invoke_us) { /* drop_unread */
                        s->n_dropped++;
                        continue;
                    }
                } else if (writers[v] == 1 && !(s->vals.v[v].is_int && has_incr) &&
                           first_read_ret[v] >= o->invoke_us) {
                    so.ret = first_read_ret[v];
                    so.pinned = true;
                    open = false;
                    s->n_pinned++;
                }
            }
        }
        if (open)
            s->uo[s->no++] = so;
        else
            s->fx[s->nf++] = so;
    }
    free(vid);
    free(writers);
    free(first_read_ret);
    free(read);
    s->nv0 = nv;
    s->has_incr = has_incr;
    s->monotone = true;
    s->readers_left = xcalloc(nv, sizeof(int32_t));
    s->writers_left = xcalloc(nv, sizeof(int32_t));
    for (uint32_t i = 0; i < s->nf + s->no; i++) {
        const sop_t *o = i < s->nf ? &s->fx[i] : &s->uo[i - s->nf];
        if (o->kind == LIN_GET) s->readers_left[o->res]++;
        if (o->kind == LIN_SET) s->writers_left[o->arg]++;
        if (o->kind == LIN_DEL) s->writers_left[NIL]++;
        if (o->kind == LIN_SET || o->kind == LIN_DEL) s->monotone = false;
    }
    qsort(s->fx, s->nf, sizeof(sop_t), cmp_sop);
    qsort(s->uo, s->no, sizeof(sop_t), cmp_sop);

    uint32_t ne = 2 * s->nf;
    s->ent = xcalloc(ne + 1, sizeof(ent_t));
    for (uint32_t i = 0; i < s->nf; i++) {
        s->ent[1 + 2 * i] = (ent_t){.op = (int32_t)i, .ret = false, .t = s->fx[i].inv};
        s->ent[2 + 2 * i] = (ent_t){.op = (int32_t)i, .ret = true, .t = s->fx[i].ret};
    }
    qsort(s->ent + 1, ne, sizeof(ent_t), cmp_ent);
    for (uint32_t k = 0; k <= ne; k++) {
        s->ent[k].prev = (int32_t)(k ? k - 1 : ne);
        s->ent[k].next = (int32_t)(k < ne ? k + 1 : 0);
        if (k == 0) continue;
        if (s->ent[k].ret)
            s->fx[s->ent[k].op].rete = (int32_t)k;
        else
            s->fx[s->ent[k].op].call = (int32_t)k;
    }
    s->onext = xcalloc(s->no + 1, sizeof(int32_t));
    s->oprev = xcalloc(s->no + 1, sizeof(int32_t));
    for (uint32_t j = 0; j <= s->no; j++) {
        s->onext[j] = (int32_t)(j < s->no ? j + 1 : 0);
        s->oprev[j] = (int32_t)(j ? j - 1 : s->no);
    }
    s->fwords = (s->nf + 63) / 64;
    s->owords = (s->no + 63) / 64;
    s->fbits = xcalloc(s->fwords, sizeof(uint64_t));
    s->obits = xcalloc(s->owords, sizeof(uint64_t));
    s->best_fbits = xcalloc(s->fwords, sizeof(uint64_t));
    s->best_obits = xcalloc(s->owords, sizeof(uint64_t));
    s->hi = -1;
    s->stack = xcalloc(s->nf + 1, sizeof(frame_t));
    s->chain = xcalloc(s->no, sizeof(int32_t));
    s->av_set = xcalloc(s->no, sizeof(int32_t));
    s->av_incr = xcalloc(s->no, sizeof(int32_t));
    s->state = NIL;
}

static void search_free(search_t *s)
{
    vt_free(&s->vals);
    free(s->fx);
    free(s->uo);
    free(s->ent);
    free(s->onext);
    free(s->oprev);
    free(s->fbits);
    free(s->obits);
    free(s->best_fbits);
    free(s->best_obits);
    free(s->stack);
    free(s->chain);
    free(s->av_set);
    free(s->av_incr);
    free(s->readers_left);
    free(s->writers_left);
    free(s->memo.a);
    free(s->memo.bucket);
    memset(s, 0, sizeof(*s));
}

/* lo and hi follow the bits as they change, so that a memo probe hashes only
 * the window of words between them instead of the whole bitset. */
static void fbit_set(search_t *s, uint32_t i)
{
    uint32_t w = i >> 6;
    s->fbits[w] |= 1ULL << (i & 63);
    if ((int64_t)w > s->hi) s->hi = w;
    while (s->lo < s->fwords && s->fbits[s->lo] == ~0ULL)
        s->lo++;
}

static void fbit_clear(search_t *s, uint32_t i)
{
    uint32_t w = i >> 6;
    s->fbits[w] &= ~(1ULL << (i & 63));
    if (w < s->lo) s->lo = w;
    while (s->hi >= 0 && s->fbits[s->hi] == 0)
        s->hi--;
}

static void obit_flip(search_t *s, uint32_t j)
{
    s->obits[j >> 6] ^= 1ULL << (j & 63);
}

static bool memo_fits(const search_t *s, size_t words)
{
    return words * sizeof(uint64_t) <= s->max_memory;
}

static void memo_link(memo_t *m, size_t off)
{
    uint64_t *rec = m->a + off;
    uint64_t *head = &m->bucket[rec[1] & (m->nbucket - 1)];
    rec[0] = *head;
    *head = off + 1;
}

/* Looks the current configuration up and records it. Returns 1 if it is new,
 * 0 if one seen before covers it (same known ops placed, same register, a
 * subset of the open ops placed: from there every continuation of this one
 * was possible too, and it failed or is being explored), -1 if the table
 * would outgrow the memory budget. */
static int memo_visit(search_t *s)
{
    memo_t *m = &s->memo;
    uint32_t cnt = s->hi >= (int64_t)s->lo ? (uint32_t)(s->hi - s->lo + 1) : 0;
    const uint64_t *fw = s->fbits + s->lo;
    uint64_t key2 = (uint64_t)s->state | ((uint64_t)cnt << 32);
    uint64_t hh = mix64(key2 ^ mix64(s->lo + 0x9e3779b97f4a7c15ULL));
    for (uint32_t i = 0; i < cnt; i++)
        hh = mix64(hh ^ fw[i]);
    if (m->nbucket) {
        for (uint64_t r = m->bucket[hh & (m->nbucket - 1)]; r; r = m->a[r - 1]) {
            const uint64_t *rec = m->a + r - 1;
            if (rec[1] != hh || rec[2] != key2 || rec[3] != s->lo) continue;
            if (cnt && memcmp(rec + 4, fw, cnt * sizeof(uint64_t)) != 0) continue;
            const uint64_t *ow = rec + 4 + cnt;
            uint32_t w = 0;
            while (w < s->owords && !(ow[w] & ~s->obits[w]))
                w++;
            if (w == s->owords) return 0;
        }
    }
    size_t len = 4 + cnt + s->owords;
    if (m->n + len > m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 4096;
        while (cap < m->n + len)
            cap *= 2;
        if (!memo_fits(s, cap + m->nbucket)) return -1;
        m->a = xrealloc(m->a, cap * sizeof(uint64_t));
        m->cap = cap;
    }
    size_t off = m->n;
    uint64_t *rec = m->a + off;
    rec[1] = hh;
    rec[2] = key2;
    rec[3] = s->lo;
    if (cnt) memcpy(rec + 4, fw, cnt * sizeof(uint64_t));
    if (s->owords) memcpy(rec + 4 + cnt, s->obits, s->owords * sizeof(uint64_t));
    m->n += len;
    m->nrec++;
    if (m->nrec <= m->nbucket) {
        memo_link(m, off);
        return 1;
    }
    size_t nb = m->nbucket ? 2 * m->nbucket : 1024;
    if (!memo_fits(s, m->cap + nb)) return -1;
    free(m->bucket);
    m->bucket = xcalloc(nb, sizeof(uint64_t));
    m->nbucket = nb;
    for (size_t o = 0; o < m->n; o += 4 + (m->a[o + 2] >> 32) + s->owords)
        memo_link(m, o);
    return 1;
}

/* The open ops a chain may use at this node: those not placed yet that were
 * invoked no later than the first return still in the list. One invoked
 * after it would follow, in real time, the known op returning there, which
 * is not placed yet. Only the earliest open DEL is offered (open DELs are
 * interchangeable, and using the earliest first loses nothing), and INCRs
 * are offered in invocation order for the same reason. */
static void gather(search_t *s)
{
    int32_t e = s->ent[0].next;
    while (e && !s->ent[e].ret)
        e = s->ent[e].next;
    int64_t limit = e ? s->ent[e].t : INT64_MAX;
    s->n_set = s->n_incr = 0;
    s->av_del = -1;
    for (int32_t j = s->onext[s->no]; j != (int32_t)s->no && s->uo[j].inv <= limit;
         j = s->onext[j]) {
        switch (s->uo[j].kind) {
        case LIN_SET:
            s->av_set[s->n_set++] = j;
            break;
        case LIN_INCR:
            s->av_incr[s->n_incr++] = j;
            break;
        case LIN_DEL:
            if (s->av_del < 0) s->av_del = j;
            break;
        case LIN_GET:
            break;
        }
    }
}

/* m >= 1 INCRs that take the counter from c to target, if there are that
 * many available; -1 otherwise. */
static int64_t incrs_to(int64_t c, int64_t target, uint32_t avail)
{
    if (target <= c) return -1;
    uint64_t d = (uint64_t)target - (uint64_t)c;
    return d <= avail ? (int64_t)d : -1;
}

/* How many open INCRs must run on the register value bst (what the chain's
 * blind write left) for known op f to get the reply it got; -1 if no number
 * does. At most one number can be right, except for DEL replying 1, where
 * one INCR is as good as any more and uses fewer open ops. */
static int64_t need_incrs(const search_t *s, const sop_t *f, uint32_t bst)
{
    bool bnil = bst == NIL;
    const val_t *bv = &s->vals.v[bst];
    bool bint = !bnil && bv->is_int;
    bool counts = bnil || bint; /* INCRs on it would succeed */
    int64_t c = bint ? bv->i : 0;
    switch (f->kind) {
    case LIN_SET:
        return 0;
    case LIN_GET:
        if (f->res == bst) return 0;
        if (f->res != NIL && s->vals.v[f->res].is_int && counts)
            return incrs_to(c, s->vals.v[f->res].i, s->n_incr);
        return -1;
    case LIN_INCR:
        if (f->err) {
            if (!bnil && (!bint || bv->i == INT64_MAX)) return 0;
            return counts ? incrs_to(c, INT64_MAX, s->n_incr) : -1;
        }
        if (f->num == INT64_MIN) return -1;
        if (bnil ? f->num == 1 : (bint && bv->i == f->num - 1)) return 0;
        return counts ? incrs_to(c, f->num - 1, s->n_incr) : -1;
    case LIN_DEL:
        if (f->num == 1) return !bnil ? 0 : s->n_incr ? 1 : -1;
        if (f->num == 0) return bnil ? 0 : -1;
        return -1;
    }
    return -1;
}

/* The register after known op f ran on pre (which need_incrs accepted). */
static uint32_t apply_known(search_t *s, const sop_t *f, uint32_t pre)
{
    switch (f->kind) {
    case LIN_GET:
        return pre;
    case LIN_SET:
        return f->arg;
    case LIN_INCR:
        return f->err ? pre : vt_int(&s->vals, f->num);
    case LIN_DEL:
        return NIL;
    }
    return pre;
}

/* The chain choice bpos of the current node for known op f: its blind write
 * (or -1) and the register after it. false if the choice is pointless: a
 * blind write before a known SET (overwritten unseen), a SET of the value
 * already there, a DEL of nil (each the same as no blind write, with one
 * more open op used). */
static bool blind_choice(const search_t *s, const sop_t *f, int32_t bpos, int32_t *blind,
                         uint32_t *bst)
{
    *blind = -1;
    *bst = s->state;
    if (bpos == 0) return true;
    if (f->kind == LIN_SET) return false;
    if (bpos <= (int32_t)s->n_set) {
        *blind = s->av_set[bpos - 1];
        *bst = s->uo[*blind].arg;
        return *bst != s->state;
    }
    *blind = s->av_del;
    *bst = NIL;
    return s->state != NIL;
}

static void record_best(search_t *s)
{
    s->best_sp = s->sp;
    s->best_state = s->state;
    memcpy(s->best_fbits, s->fbits, s->fwords * sizeof(uint64_t));
    memcpy(s->best_obits, s->obits, s->owords * sizeof(uint64_t));
    uint32_t k = s->sp < TAIL ? s->sp : TAIL;
    s->best_ntail = k;
    for (uint32_t i = 0; i < k; i++) {
        uint32_t at = s->sp - k + i;
        const frame_t *fr = &s->stack[at];
        s->best_tail[i] = (tail_t){.f = s->ent[fr->e].op,
                                   .blind = fr->blind,
                                   .m = fr->m,
                                   .state = at + 1 < s->sp ? s->stack[at + 1].state : s->state};
    }
}

static void unlink_ent(ent_t *e, int32_t x)
{
    e[e[x].prev].next = e[x].next;
    e[e[x].next].prev = e[x].prev;
}

static void relink_ent(ent_t *e, int32_t x)
{
    e[e[x].prev].next = x;
    e[e[x].next].prev = x;
}

static void unlink_open(search_t *s, int32_t j)
{
    s->onext[s->oprev[j]] = s->onext[j];
    s->oprev[s->onext[j]] = s->oprev[j];
}

static void relink_open(search_t *s, int32_t j)
{
    s->onext[s->oprev[j]] = j;
    s->oprev[s->onext[j]] = j;
}

/* Sets or clears the bits of a move (known op, blind write, INCRs). */
static void move_bits(search_t *s, int32_t f, int32_t blind, const int32_t *incrs, uint32_t m,
                      bool set)
{
    if (set)
        fbit_set(s, (uint32_t)f);
    else
        fbit_clear(s, (uint32_t)f);
    if (blind >= 0) obit_flip(s, (uint32_t)blind);
    for (uint32_t k = 0; k < m; k++)
        obit_flip(s, (uint32_t)incrs[k]);
}

/* Out of budget? The clock is read every 1024 steps only. */
static bool over_budget(search_t *s)
{
    s->steps++;
    if (s->steps > s->max_steps) {
        s->outof = OUT_STEPS;
        return true;
    }
    if ((s->steps & 1023) == 0 && now_us() > s->deadline) {
        s->outof = OUT_TIME;
        return true;
    }
    return false;
}

/* Observers: ops that leave the register as they found it (GET, DEL that
 * found nothing, INCR that replied an error). */
static bool observer(const sop_t *f)
{
    return f->kind == LIN_GET || (f->kind == LIN_DEL && f->num == 0) ||
           (f->kind == LIN_INCR && f->err);
}

/* Keeps readers_left and writers_left in step with a move placed (d = -1)
 * or undone (d = +1). */
static void count_move(search_t *s, const sop_t *f, int32_t blind, int32_t d)
{
    if (f->kind == LIN_GET) s->readers_left[f->res] += d;
    if (f->kind == LIN_SET) s->writers_left[f->arg] += d;
    if (f->kind == LIN_DEL) s->writers_left[NIL] += d;
    if (blind >= 0) s->writers_left[s->uo[blind].kind == LIN_SET ? s->uo[blind].arg : NIL] += d;
}

/* Value v, once replaced, can never be read again: a known GET still waits
 * for it, yet no op left can write it (and INCR cannot make it). A move that
 * replaces it leads to a dead end however deep the search goes on, so it is
 * refused at once. This is what a unique value pinning its write buys during
 * the search: a SET placed too early (before its value's reads) is refused
 * at the next write, not discovered hundreds of levels later. */
static bool stranded(const search_t *s, uint32_t v)
{
    return v < s->nv0 && s->readers_left[v] > 0 && s->writers_left[v] == 0 &&
           !(s->has_incr && v != NIL && s->vals.v[v].is_int);
}

/* On a key that only counts, the register only grows: a known op that
 * waits in the window (the candidates) for a smaller value, an INCR whose
 * reply is at most the new value or a GET of nil, of a smaller number or of
 * something INCR never makes, can never be placed once the register has
 * passed it. Returns that op's index in fx, or -1. Without this, a move that
 * reaches a later INCR's reply through open INCRs (skipping known INCRs
 * still in flight) is found dead only a whole window later. */
static int32_t overtaken(const search_t *s, int32_t skip_e, uint32_t post)
{
    int64_t c = s->vals.v[post].i;
    for (int32_t e = s->ent[0].next; e && !s->ent[e].ret; e = s->ent[e].next) {
        const sop_t *f = &s->fx[s->ent[e].op];
        if (e == skip_e) continue;
        if (f->kind == LIN_INCR && !f->err && f->num <= c) return s->ent[e].op;
        if (f->kind == LIN_GET &&
            (f->res == NIL || !s->vals.v[f->res].is_int || s->vals.v[f->res].i < c))
            return s->ent[e].op;
    }
    return -1;
}

/* Places a move whose reply the model accepted: 1 if placed (the search goes
 * deeper), 0 if refused (a value stranded, or the memo has seen as much),
 * -1 if the memo is out of memory. */
static int place(search_t *s, int32_t e, int32_t bpos, int32_t blind, uint32_t m, uint32_t post,
                 uint8_t pass, bool forced)
{
    int32_t fi = s->ent[e].op;
    const sop_t *f = &s->fx[fi];
    uint32_t before = s->state;
    count_move(s, f, blind, -1);
    uint32_t bval = blind < 0 ? before : s->uo[blind].kind == LIN_SET ? s->uo[blind].arg : NIL;
    if ((post != before && stranded(s, before)) || (bval != post && stranded(s, bval)) ||
        (s->monotone && post != before && overtaken(s, e, post) >= 0)) {
        count_move(s, f, blind, +1);
        return 0;
    }
    move_bits(s, fi, blind, s->av_incr, m, true);
    s->state = post;
    int seen = memo_visit(s);
    if (seen <= 0) {
        move_bits(s, fi, blind, s->av_incr, m, false);
        s->state = before;
        count_move(s, f, blind, +1);
        return seen;
    }
    frame_t *fr = &s->stack[s->sp++];
    *fr = (frame_t){.e = e,
                    .bpos = bpos,
                    .blind = blind,
                    .m = m,
                    .chain_at = s->nchain,
                    .state = before,
                    .pass = pass,
                    .forced = forced};
    unlink_ent(s->ent, f->call);
    unlink_ent(s->ent, f->rete);
    if (blind >= 0) unlink_open(s, blind);
    for (uint32_t k = 0; k < m; k++) {
        s->chain[s->nchain++] = s->av_incr[k];
        unlink_open(s, s->av_incr[k]);
    }
    return 1;
}

/* The depth-first search (linearize.h). A node is a configuration. If a
 * candidate is an observer whose reply fits the register as it is, it is
 * placed and nothing else is tried there: in any linearization from this
 * node it can be moved to the front (it changes nothing, and nothing not
 * placed must precede it), so if placing it fails, the node fails. Otherwise
 * the moves are tried in two passes: first every candidate alone, then every
 * candidate after a chain of open ops (after each usable blind write, with
 * the INCRs its reply needs). A linearizable history rarely needs its open
 * ops, and trying a chain first would explore, for nothing, what follows an
 * op placed long before its time. A node whose moves are exhausted is left
 * by undoing the move that led to it and trying the next one there. Written
 * as a loop with gotos: the depth is the number of known ops, too deep to
 * recurse. */
static lin_verdict_t search_run(search_t *s)
{
    int32_t e, bpos;
    uint8_t pass;
    int r;
    if (memo_visit(s) < 0) goto out_of_memory;
enter:
    if (s->track && s->sp > s->best_sp) record_best(s);
    if (s->sp == s->nf) return LIN_LINEARIZABLE;
    gather(s);
    for (e = s->ent[0].next; e && !s->ent[e].ret; e = s->ent[e].next) {
        const sop_t *f = &s->fx[s->ent[e].op];
        if (observer(f) && need_incrs(s, f, s->state) == 0) break;
    }
    if (e && !s->ent[e].ret) {
        if (over_budget(s)) return LIN_UNKNOWN;
        r = place(s, e, 0, -1, 0, apply_known(s, &s->fx[s->ent[e].op], s->state), 0, true);
        if (r < 0) goto out_of_memory;
        if (r > 0) goto enter;
        goto backtrack;
    }
    pass = 0;
    e = s->ent[0].next;
    bpos = 0;
moves:
    for (; pass < 2; pass++, e = s->ent[0].next, bpos = 0) {
        for (; e && !s->ent[e].ret; e = s->ent[e].next, bpos = 0) {
            const sop_t *f = &s->fx[s->ent[e].op];
            int32_t nb = pass == 0 ? 1 : 1 + (int32_t)s->n_set + (s->av_del >= 0);
            for (; bpos < nb; bpos++) {
                int32_t blind;
                uint32_t bst;
                if (!blind_choice(s, f, bpos, &blind, &bst)) continue;
                if (over_budget(s)) return LIN_UNKNOWN;
                int64_t m = need_incrs(s, f, bst);
                if (m < 0 || (pass == 0) != (bpos == 0 && m == 0)) continue;
                uint32_t pre = bst;
                if (m > 0) pre = vt_int(&s->vals, (bst == NIL ? 0 : s->vals.v[bst].i) + m);
                r = place(s, e, bpos, blind, (uint32_t)m, apply_known(s, f, pre), pass, false);
                if (r < 0) goto out_of_memory;
                if (r > 0) goto enter;
            }
        }
    }
backtrack:
    if (s->sp == 0) return LIN_NOT_LINEARIZABLE;
    {
        frame_t fr = s->stack[--s->sp];
        int32_t fi = s->ent[fr.e].op;
        const sop_t *f = &s->fx[fi];
        for (uint32_t k = fr.m; k-- > 0;)
            relink_open(s, s->chain[fr.chain_at + k]);
        if (fr.blind >= 0) relink_open(s, fr.blind);
        relink_ent(s->ent, f->rete);
        relink_ent(s->ent, f->call);
        move_bits(s, fi, fr.blind, s->chain + fr.chain_at, fr.m, false);
        count_move(s, f, fr.blind, +1);
        s->nchain = fr.chain_at;
        s->state = fr.state;
        if (fr.forced) goto backtrack;
        gather(s);
        e = fr.e;
        bpos = fr.bpos + 1;
        pass = fr.pass;
    }
    goto moves;
out_of_memory:
    s->outof = OUT_MEMORY;
    return LIN_UNKNOWN;
}

/* ---- reports ------------------------------------------------------------- */

static bool bit(const uint64_t *w, uint32_t i)
{
    return (w[i >> 6] >> (i & 63)) & 1;
}

/* Why known op f cannot be the next op placed on the register q: the reply
 * the model would give instead. */
static void why_not(sb_t *b, const search_t *s, const sop_t *f, uint32_t q)
{
    const val_t *v = &s->vals.v[q];
    switch (f->kind) {
    case LIN_GET:
        sb_printf(b, "read ");
        fmt_val(b, &s->vals, f->res);
        sb_printf(b, " but the register holds ");
        fmt_val(b, &s->vals, q);
        return;
    case LIN_INCR:
        sb_printf(b, "the register holds ");
        fmt_val(b, &s->vals, q);
        if (q != NIL && (!v->is_int || v->i == INT64_MAX))
            sb_printf(b, ", so INCR would reply an error");
        else
            sb_printf(b, ", so INCR would reply %" PRId64, q == NIL ? 1 : v->i + 1);
        return;
    case LIN_DEL:
        sb_printf(b, "the register holds ");
        fmt_val(b, &s->vals, q);
        sb_printf(b, ", so DEL would reply %d", q == NIL ? 0 : 1);
        return;
    case LIN_SET:
        return;
    }
}

static void note_read(sb_t *b, const lin_history_t *h, const size_t *key_ops, size_t n, size_t gi);

/* On a key that only counts, an INCR that replied no more than an INCR
 * that returned before it was invoked is a lost or repeated increment. */
static void note_count(sb_t *b, const search_t *s, const sop_t *f)
{
    for (uint32_t i = 0; i < s->nf; i++) {
        const sop_t *x = &s->fx[i];
        if (x->kind != LIN_INCR || x->err || x->ret >= f->inv || x->num < f->num) continue;
        sb_printf(b,
                  "        Note: #%zu had replied %" PRId64 " and returned before this INCR "
                  "was invoked; a counter only grows.\n",
                  x->h, x->num);
        return;
    }
}

/* At the deepest configuration, value v is stranded if it is replaced (see
 * stranded()): returns a known GET not placed that reads it, when no op not
 * placed (other than open op skip) writes it; SIZE_MAX otherwise. */
static size_t stranded_at_best(const search_t *s, uint32_t v, int32_t skip)
{
    if (s->has_incr && v != NIL && s->vals.v[v].is_int) return SIZE_MAX;
    size_t reader = SIZE_MAX;
    for (uint32_t i = 0; i < s->nf + s->no; i++) {
        bool known = i < s->nf;
        uint32_t j = known ? i : i - s->nf;
        if (known ? bit(s->best_fbits, j) : (bit(s->best_obits, j) || (int32_t)j == skip)) continue;
        const sop_t *o = known ? &s->fx[j] : &s->uo[j];
        if ((o->kind == LIN_SET && o->arg == v) || (o->kind == LIN_DEL && v == NIL))
            return SIZE_MAX;
        if (o->kind == LIN_GET && o->res == v && reader == SIZE_MAX) reader = o->h;
    }
    return reader;
}

/* overtaken() at the deepest configuration: the candidates there are the
 * known ops not placed that were invoked by the first return among them. */
static int32_t overtaken_at_best(const search_t *s, const sop_t *f, uint32_t post)
{
    int64_t limit = INT64_MAX, c = s->vals.v[post].i;
    for (uint32_t i = 0; i < s->nf; i++)
        if (!bit(s->best_fbits, i) && s->fx[i].ret < limit) limit = s->fx[i].ret;
    for (uint32_t i = 0; i < s->nf; i++) {
        const sop_t *o = &s->fx[i];
        if (bit(s->best_fbits, i) || o->inv > limit || o == f) continue;
        if (o->kind == LIN_INCR && !o->err && o->num <= c) return (int32_t)i;
        if (o->kind == LIN_GET &&
            (o->res == NIL || !s->vals.v[o->res].is_int || s->vals.v[o->res].i < c))
            return (int32_t)i;
    }
    return -1;
}

/* Why the candidate f, whose reply fits the register at the deepest
 * configuration (after some chain), was not placed there: either every way
 * to place it replaces a value a read still waits for, or what followed it
 * failed. */
static size_t why_fits(sb_t *b, search_t *s, const sop_t *f)
{
    uint32_t q = s->best_state;
    int32_t nb = 1 + (int32_t)s->n_set + (s->av_del >= 0);
    size_t reader = SIZE_MAX;
    uint32_t lost = NIL;
    for (int32_t bpos = 0; bpos < nb; bpos++) {
        int32_t blind;
        uint32_t bst;
        if (!blind_choice(s, f, bpos, &blind, &bst)) continue;
        int64_t m = need_incrs(s, f, bst);
        if (m < 0) continue;
        uint32_t pre = m > 0 ? vt_int(&s->vals, (bst == NIL ? 0 : s->vals.v[bst].i) + m) : bst;
        uint32_t post = apply_known(s, f, pre);
        size_t r = post != q ? stranded_at_best(s, q, blind) : SIZE_MAX;
        uint32_t v = q;
        if (r == SIZE_MAX && bst != post) {
            r = stranded_at_best(s, bst, blind);
            v = bst;
        }
        if (r == SIZE_MAX && s->monotone && post != q) {
            int32_t x = overtaken_at_best(s, f, post);
            if (x >= 0) {
                sb_printf(b, "the register would pass %s, which #%zu needs first\n",
                          s->fx[x].kind == LIN_GET ? "the value" : "the count", s->fx[x].h);
                return SIZE_MAX;
            }
        }
        if (r == SIZE_MAX) {
            sb_printf(b, "its reply fits here, but nothing can follow it\n");
            return SIZE_MAX;
        }
        reader = r;
        lost = v;
    }
    sb_printf(b, "it would replace ");
    fmt_val(b, &s->vals, lost);
    sb_printf(b, ", which #%zu must still read, and no op left writes it\n", reader);
    return reader;
}

/* Where the longest linearization got stuck: its last moves, the register,
 * the known op that had to be placed next at the latest (the one returning
 * first), and for each candidate why it could not come next. The open ops
 * available there are found from the saved bitset, the same set gather()
 * gives during the search. */
static void describe_stuck(sb_t *b, search_t *s, const size_t *key_ops, size_t nkey)
{
    const lin_history_t *h = s->h;
    sb_printf(b,
              "  The longest linearization found places %u of the %u ops that had to be "
              "placed",
              s->best_sp, s->nf);
    if (s->best_ntail)
        sb_printf(b, ", ending with:\n");
    else
        sb_printf(b, ".\n");
    for (uint32_t i = 0; i < s->best_ntail; i++) {
        const tail_t *t = &s->best_tail[i];
        if (t->blind >= 0) {
            sb_printf(b, "      ");
            fmt_op(b, h, s->uo[t->blind].h);
            sb_printf(b, "\n");
        }
        if (t->m) sb_printf(b, "      + %u unknown-outcome INCR(s)\n", t->m);
        sb_printf(b, "    ");
        fmt_op(b, h, s->fx[t->f].h);
        if (s->fx[t->f].pinned) sb_printf(b, " (pinned: placed by %" PRId64 ")", s->fx[t->f].ret);
        sb_printf(b, "\n        register: ");
        fmt_val(b, &s->vals, t->state);
        sb_printf(b, "\n");
    }
    int32_t blocker = -1;
    for (uint32_t i = 0; i < s->nf; i++)
        if (!bit(s->best_fbits, i) && (blocker < 0 || s->fx[i].ret < s->fx[blocker].ret))
            blocker = (int32_t)i;
    if (blocker < 0) return;
    int64_t limit = s->fx[blocker].ret;
    s->state = s->best_state;
    s->n_set = s->n_incr = 0;
    s->av_del = -1;
    for (uint32_t j = 0; j < s->no; j++) {
        if (bit(s->best_obits, j) || s->uo[j].inv > limit) continue;
        if (s->uo[j].kind == LIN_SET) s->av_set[s->n_set++] = (int32_t)j;
        if (s->uo[j].kind == LIN_INCR) s->av_incr[s->n_incr++] = (int32_t)j;
        if (s->uo[j].kind == LIN_DEL && s->av_del < 0) s->av_del = (int32_t)j;
    }
    uint32_t nopen = s->n_set + s->n_incr + (s->av_del >= 0);
    sb_printf(b, "  Then the register holds ");
    fmt_val(b, &s->vals, s->best_state);
    sb_printf(b,
              " and #%zu (returned at %" PRId64 ") or an op invoked before that must come "
              "next",
              s->fx[blocker].h, limit);
    if (nopen) sb_printf(b, " (%u unknown-outcome op(s) could be placed first)", nopen);
    sb_printf(b, "; none can:\n");
    uint32_t shown = 0;
    size_t waiting = SIZE_MAX; /* a read that a candidate would strand */
    for (uint32_t i = 0; i < s->nf && shown < CANDS_MAX; i++) {
        const sop_t *f = &s->fx[i];
        if (bit(s->best_fbits, i) || f->inv > limit) continue;
        shown++;
        sb_printf(b, "    ");
        fmt_op(b, h, f->h);
        sb_printf(b, "\n        ");
        bool fits = false;
        int32_t nb = 1 + (int32_t)s->n_set + (s->av_del >= 0);
        for (int32_t bpos = 0; bpos < nb && !fits; bpos++) {
            int32_t blind;
            uint32_t bst;
            fits = blind_choice(s, f, bpos, &blind, &bst) && need_incrs(s, f, bst) >= 0;
        }
        if (fits) {
            size_t r = why_fits(b, s, f);
            if (r != SIZE_MAX) waiting = r;
            continue;
        }
        why_not(b, s, f, s->best_state);
        if (nopen) sb_printf(b, " (no unknown-outcome op available changes that)");
        sb_printf(b, "\n");
        if (s->monotone && f->kind == LIN_INCR && !f->err) note_count(b, s, f);
    }
    if (waiting != SIZE_MAX) {
        sb_printf(b, "  The read waiting for the value:\n    ");
        fmt_op(b, h, waiting);
        sb_printf(b, "\n");
        if (key_ops) note_read(b, h, key_ops, nkey, waiting);
    }
}

/* ---- shrinking a violation ----------------------------------------------- */

typedef struct budget {
    uint64_t steps;
    int64_t deadline;
    size_t memory;
} budget_t;

static lin_verdict_t run_key(search_t *s, const budget_t *b)
{
    s->max_steps = b->steps;
    s->deadline = b->deadline;
    s->max_memory = b->memory;
    return search_run(s);
}

static lin_verdict_t check_subset(const lin_history_t *h, const size_t *idx, size_t n,
                                  const budget_t *b)
{
    search_t s;
    search_init(&s, h, idx, n);
    lin_verdict_t v = run_key(&s, b);
    search_free(&s);
    return v;
}

/* Shrinking works on the ops of one key, by invocation: w[i] is a history
 * index, alive[i] says it is still in the witness. */
typedef struct shrinker {
    const lin_history_t *h;
    const size_t *w;
    size_t n;
    bool *alive;
    uint32_t *vid; /* SET: its value; known GET of a value: that value */
    size_t *cand;  /* scratch: the ops of a sub-history to check */
    size_t *pick;  /* scratch: positions removable in this phase */
    const budget_t *b;
    bool stopped; /* out of time */
} shrinker_t;

/* Is what is alive, minus positions out[0..k), still not linearizable? */
static bool still_fails(shrinker_t *z, const size_t *out, size_t k)
{
    if (now_us() > z->b->deadline) {
        z->stopped = true;
        return false;
    }
    size_t m = 0, j = 0;
    for (size_t i = 0; i < z->n; i++) {
        if (j < k && out[j] == i) {
            j++;
            continue;
        }
        if (z->alive[i]) z->cand[m++] = z->w[i];
    }
    return check_subset(z->h, z->cand, m, z->b) == LIN_NOT_LINEARIZABLE;
}

/* ddmin (Zeller) over one list of removable positions: remove halves, then
 * quarters, ... then single ops, keeping a removal while what remains still
 * fails. A violation usually needs few ops, so most chunks go at the first
 * try and the cost is about (ops needed) x log(ops) checks. Returns true if
 * something was removed. */
static bool ddmin(shrinker_t *z, size_t *c, size_t nc)
{
    bool any = false;
    size_t chunk = nc / 2 ? nc / 2 : 1;
    while (nc && !z->stopped) {
        bool progress = false;
        for (size_t a = 0; a < nc && !z->stopped;) {
            size_t k = a + chunk < nc ? chunk : nc - a;
            if (still_fails(z, c + a, k)) {
                for (size_t i = a; i < a + k; i++)
                    z->alive[c[i]] = false;
                memmove(c + a, c + a + k, (nc - a - k) * sizeof(size_t));
                nc -= k;
                progress = any = true;
            } else {
                a += k;
            }
        }
        if (chunk == 1 && !progress) break;
        chunk = chunk / 2 < nc / 2 ? chunk / 2 : nc / 2;
        if (chunk == 0) chunk = 1;
    }
    return any;
}

/* The positions one phase may remove, given what is alive.
 *
 * Only removals that cannot turn a linearizable history into one that is not
 * are made, so that what remains, if it is not linearizable, proves that the
 * whole history is not. Each removal is one of these (L is a linearization of
 * the history before it; L without the op must be one of the history after
 * it), and each phase's condition holds for all its removals together, since
 * removing its own kind of op cannot break it:
 *  0. an observer (a GET, a DEL that deleted nothing, an INCR that failed): it
 *     changed nothing, so nothing else sees a difference;
 *  1. a DEL, when no known op alive observes nil (a GET of nil, a DEL of
 *     nothing) and no INCR is alive: up to the next SET in L, nothing saw the
 *     nil it made (a DEL of 1 right after it would have been wrong in L);
 *  2. a SET whose value no GET alive returned, when no INCR and no known DEL
 *     of 1 is alive: up to the next SET or DEL in L nothing read its value (a
 *     GET of nil or a DEL of 0 right after it would have been wrong in L);
 *  3. (one at a time, latest first) an op invoked after every other known op
 *     alive returned: it comes after all of them in L, and only open ops,
 *     whose replies do not matter, can follow it. */
static size_t phase_picks(shrinker_t *z, int phase)
{
    const lin_history_t *h = z->h;
    size_t incrs = 0, nil_observers = 0, del1 = 0, np = 0;
    for (size_t i = 0; i < z->n; i++) {
        const lin_op_t *o = &h->ops[z->w[i]];
        if (!z->alive[i]) continue;
        bool known = !o->outcome_unknown;
        if (known && ((o->kind == LIN_GET && o->nil) || (o->kind == LIN_DEL && o->num == 0)))
            nil_observers++;
        if (o->kind == LIN_INCR) incrs++;
        if (o->kind == LIN_DEL && known && o->num == 1) del1++;
    }
    if (phase == 1 && (nil_observers || incrs)) return 0;
    if (phase == 2 && (incrs || del1)) return 0;
    bool *read = NULL;
    if (phase == 2) {
        uint32_t nv = 0;
        for (size_t i = 0; i < z->n; i++)
            if (z->vid[i] >= nv) nv = z->vid[i] + 1;
        read = xcalloc(nv, sizeof(bool));
        for (size_t i = 0; i < z->n; i++) {
            const lin_op_t *o = &h->ops[z->w[i]];
            if (z->alive[i] && o->kind == LIN_GET && !o->outcome_unknown && !o->nil)
                read[z->vid[i]] = true;
        }
    }
    for (size_t i = 0; i < z->n; i++) {
        const lin_op_t *o = &h->ops[z->w[i]];
        if (!z->alive[i]) continue;
        bool known = !o->outcome_unknown;
        bool ok = false;
        if (phase == 0)
            ok = o->kind == LIN_GET || (known && o->kind == LIN_DEL && o->num == 0) ||
                 (known && o->kind == LIN_INCR && o->error);
        else if (phase == 1)
            ok = o->kind == LIN_DEL;
        else if (phase == 2)
            ok = o->kind == LIN_SET && !read[z->vid[i]];
        if (ok) z->pick[np++] = i;
    }
    free(read);
    return np;
}

/* Phase 3: the latest op, while it comes after every other known op alive. */
static bool trim_last(shrinker_t *z)
{
    const lin_history_t *h = z->h;
    bool any = false;
    while (!z->stopped) {
        size_t last = SIZE_MAX;
        int64_t latest_ret = INT64_MIN;
        for (size_t i = 0; i < z->n; i++) {
            if (!z->alive[i]) continue;
            if (last == SIZE_MAX || h->ops[z->w[i]].invoke_us >= h->ops[z->w[last]].invoke_us)
                last = i;
        }
        if (last == SIZE_MAX) break;
        for (size_t i = 0; i < z->n; i++) {
            const lin_op_t *o = &h->ops[z->w[i]];
            if (z->alive[i] && i != last && !o->outcome_unknown && o->return_us > latest_ret)
                latest_ret = o->return_us;
        }
        if (h->ops[z->w[last]].invoke_us <= latest_ret || !still_fails(z, &last, 1)) break;
        z->alive[last] = false;
        any = true;
    }
    return any;
}

/* Shrinks w[0..n) (one key's ops, by invocation, not linearizable) to a
 * smaller set that is still not linearizable, in phases by kind of op (each
 * frees the next), over again until none removes anything. Returns the new
 * size; *minimal says it ran to the end (no op alive can be removed by one
 * of the rules), not out of time. */
static size_t shrink(const lin_history_t *h, size_t *w, size_t n, const budget_t *b, bool *minimal)
{
    shrinker_t z = {.h = h, .w = w, .n = n, .b = b};
    z.alive = xcalloc(n, sizeof(bool));
    z.vid = xcalloc(n, sizeof(uint32_t));
    z.cand = xcalloc(n, sizeof(size_t));
    z.pick = xcalloc(n, sizeof(size_t));
    vtab_t vt;
    vt_init(&vt);
    for (size_t i = 0; i < n; i++) {
        const lin_op_t *o = &h->ops[w[i]];
        z.alive[i] = true;
        if (o->kind == LIN_SET) z.vid[i] = vt_intern(&vt, o->arg, o->arg_len);
        if (o->kind == LIN_GET && !o->nil && !o->outcome_unknown)
            z.vid[i] = vt_intern(&vt, o->val, o->val_len);
    }
    vt_free(&vt);
    bool progress = true;
    while (progress && !z.stopped) {
        progress = false;
        for (int phase = 0; phase < 3 && !z.stopped; phase++) {
            size_t np = phase_picks(&z, phase);
            if (np && ddmin(&z, z.pick, np)) progress = true;
        }
        if (!z.stopped && trim_last(&z)) progress = true;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (z.alive[i]) w[m++] = w[i];
    *minimal = !z.stopped;
    free(z.alive);
    free(z.vid);
    free(z.cand);
    free(z.pick);
    return m;
}

/* A note on read g when no write can explain it on its own: a value no op
 * wrote, written only later, or (its only writer known) overwritten by a
 * known write that lies entirely between that writer and g. These are what
 * real bugs look like, and they are easier to read than a search's trace. */
static void note_read(sb_t *b, const lin_history_t *h, const size_t *key_ops, size_t n, size_t gi)
{
    const lin_op_t *g = &h->ops[gi];
    if (g->kind != LIN_GET || g->nil || g->outcome_unknown) return;
    size_t writers = 0, early = 0, writer = SIZE_MAX;
    for (size_t k = 0; k < n; k++) {
        const lin_op_t *o = &h->ops[key_ops[k]];
        int64_t dummy;
        if (o->kind == LIN_INCR && parse_ll(g->val, g->val_len, &dummy)) return;
        if (o->kind != LIN_SET || o->arg_len != g->val_len ||
            memcmp(o->arg, g->val, g->val_len) != 0)
            continue;
        writers++;
        writer = key_ops[k];
        if (o->invoke_us <= g->return_us) early++;
    }
    if (writers == 0) {
        sb_printf(b, "  Note: #%zu read a value no op of this key ever wrote.\n", gi);
        return;
    }
    if (early == 0) {
        sb_printf(b, "  Note: #%zu read a value written only by ops invoked after it returned.\n",
                  gi);
        return;
    }
    const lin_op_t *s = &h->ops[writer];
    if (writers != 1 || s->outcome_unknown) return;
    for (size_t k = 0; k < n; k++) {
        const lin_op_t *o = &h->ops[key_ops[k]];
        if (o->outcome_unknown || o->kind == LIN_GET || (o->kind == LIN_INCR && o->error) ||
            key_ops[k] == writer)
            continue;
        if (s->return_us < o->invoke_us && o->return_us < g->invoke_us) {
            sb_printf(b,
                      "  Note: #%zu read the value of #%zu, but #%zu, a later write, returned "
                      "before #%zu was invoked (a stale read).\n",
                      gi, writer, key_ops[k], gi);
            return;
        }
    }
}

/* ---- the check ----------------------------------------------------------- */

typedef struct group {
    size_t first; /* an op of the key, for its bytes */
    uint64_t hash;
    size_t *idx;
    size_t n, cap;
} group_t;

/* Splits the history by key, keys in order of first appearance (reports are
 * then stable from run to run). */
static group_t *group_by_key(const lin_history_t *h, size_t *ngroups)
{
    size_t cap = 16, ng = 0, nslot = 64;
    group_t *g = xcalloc(cap, sizeof(group_t));
    size_t *slot = xcalloc(nslot, sizeof(size_t)); /* group + 1; 0 is empty */
    for (size_t i = 0; i < h->n; i++) {
        const lin_op_t *o = &h->ops[i];
        uint64_t hh = hash_bytes(o->key, o->key_len);
        size_t j = hh & (nslot - 1);
        for (; slot[j]; j = (j + 1) & (nslot - 1)) {
            const group_t *gx = &g[slot[j] - 1];
            const lin_op_t *f = &h->ops[gx->first];
            if (gx->hash == hh && f->key_len == o->key_len &&
                memcmp(f->key, o->key, o->key_len) == 0)
                break;
        }
        size_t gi;
        if (slot[j]) {
            gi = slot[j] - 1;
        } else {
            if (ng == cap) {
                cap *= 2;
                g = xrealloc(g, cap * sizeof(group_t));
            }
            g[ng] = (group_t){.first = i, .hash = hh};
            gi = ng++;
            slot[j] = ng;
            if (2 * ng > nslot) {
                free(slot);
                nslot *= 2;
                slot = xcalloc(nslot, sizeof(size_t));
                for (size_t k = 0; k < ng; k++) {
                    size_t q = g[k].hash & (nslot - 1);
                    while (slot[q])
                        q = (q + 1) & (nslot - 1);
                    slot[q] = k + 1;
                }
            }
        }
        group_t *x = &g[gi];
        if (x->n == x->cap) {
            x->cap = x->cap ? 2 * x->cap : 64;
            x->idx = xrealloc(x->idx, x->cap * sizeof(size_t));
        }
        x->idx[x->n++] = i;
    }
    free(slot);
    *ngroups = ng;
    return g;
}

static const lin_history_t *sort_hist; /* qsort has no context argument */

static int cmp_by_invoke(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int64_t tx = sort_hist->ops[x].invoke_us, ty = sort_hist->ops[y].invoke_us;
    if (tx != ty) return tx < ty ? -1 : 1;
    return x < y ? -1 : x > y;
}

static void sort_by_invoke(const lin_history_t *h, size_t *idx, size_t n)
{
    sort_hist = h;
    qsort(idx, n, sizeof(size_t), cmp_by_invoke);
    sort_hist = NULL;
}

static void options_resolve(const lin_options_t *in, lin_options_t *o)
{
    if (in)
        *o = *in;
    else
        memset(o, 0, sizeof(*o));
    if (!o->max_steps) o->max_steps = LIN_DEFAULT_STEPS;
    if (!o->max_us) o->max_us = LIN_DEFAULT_US;
    if (!o->max_memory) o->max_memory = LIN_DEFAULT_MEMORY;
    if (!o->shrink_us) o->shrink_us = LIN_DEFAULT_SHRINK_US;
}

static budget_t budget_from(const lin_options_t *o, int64_t start, int64_t us)
{
    budget_t b = {.steps = o->max_steps, .deadline = INT64_MAX, .memory = o->max_memory};
    if (us >= 0 && start <= INT64_MAX - us) b.deadline = start + us;
    return b;
}

/* A failing key's details: the witness (shrunk unless told not to), notes on
 * its reads, and where the search of the witness got stuck. */
static void explain_violation(sb_t *b, const lin_history_t *h, const lin_options_t *o,
                              lin_key_report_t *kr, const size_t *key_ops, size_t n, search_t *full,
                              lin_result_t *res)
{
    size_t *w = xcalloc(n, sizeof(size_t));
    memcpy(w, key_ops, n * sizeof(size_t));
    sort_by_invoke(h, w, n);
    size_t nw = n;
    bool minimal = false;
    if (!o->no_shrink) {
        budget_t sb = budget_from(o, now_us(), o->shrink_us);
        nw = shrink(h, w, n, &sb, &minimal);
    }
    sb_printf(b, "\nkey ");
    sb_quoted(b, kr->key, kr->key_len, SHOW_MAX);
    sb_printf(b, " is NOT linearizable.\n");
    if (nw < n)
        sb_printf(b, "  These %zu of its %zu ops cannot be linearized on their own%s:\n", nw, n,
                  minimal ? "" : " (shrinking ran out of time: not minimal)");
    else
        sb_printf(b, "  Its %zu ops cannot be linearized%s:\n", n,
                  o->no_shrink ? " (not shrunk)" : "");
    if (nw <= WITNESS_SHOW) {
        for (size_t i = 0; i < nw; i++) {
            sb_printf(b, "    ");
            fmt_op(b, h, w[i]);
            sb_printf(b, "\n");
        }
        for (size_t i = 0; i < nw; i++)
            note_read(b, h, key_ops, n, w[i]);
    } else {
        sb_printf(b, "    (too many to list here: lin_result_t.witness has them; a history "
                     "saved with lin_history_save has them on lines #+2)\n");
    }
    if (nw < n) {
        search_t ws;
        search_init(&ws, h, w, nw);
        ws.track = true;
        budget_t wb = budget_from(o, now_us(), o->max_us);
        lin_verdict_t v = run_key(&ws, &wb);
        if (v == LIN_NOT_LINEARIZABLE) describe_stuck(b, &ws, key_ops, n);
        search_free(&ws);
    } else {
        describe_stuck(b, full, key_ops, n);
    }
    res->witness = w;
    res->n_witness = nw;
    res->witness_minimal = minimal;
}

static void explain_unknown(sb_t *b, lin_key_report_t *kr, search_t *s)
{
    static const char *const why[] = {"", "step", "time", "memory"};
    sb_printf(b, "\nkey ");
    sb_quoted(b, kr->key, kr->key_len, SHOW_MAX);
    sb_printf(b,
              ": no verdict, the %s budget ran out after %" PRIu64 " steps and %" PRId64 " ms.\n",
              why[s->outof], s->steps, kr->elapsed_us / 1000);
    describe_stuck(b, s, NULL, 0);
}

lin_verdict_t lin_check(const lin_history_t *h, const lin_options_t *opt, lin_result_t *res)
{
    lin_options_t o;
    options_resolve(opt, &o);
    memset(res, 0, sizeof(*res));
    int64_t t0 = now_us();
    size_t ng = 0;
    group_t *g = group_by_key(h, &ng);
    res->keys = xcalloc(ng, sizeof(lin_key_report_t));
    res->n_keys = ng;
    sb_t lines = {0}, bad = {0}, unk = {0};
    size_t n_unknown_ops = 0;
    bool have_bad = false, have_unk = false;
    for (size_t k = 0; k < ng; k++) {
        lin_key_report_t *kr = &res->keys[k];
        const lin_op_t *first = &h->ops[g[k].first];
        kr->key = dupbytes(first->key, first->key_len);
        kr->key_len = first->key_len;
        int64_t start = now_us();
        search_t s;
        search_init(&s, h, g[k].idx, g[k].n);
        s.track = true;
        budget_t b = budget_from(&o, start, o.max_us);
        kr->verdict = run_key(&s, &b);
        kr->n_ops = s.n_ops;
        kr->n_unknown = s.n_unknown;
        kr->n_dropped = s.n_dropped;
        kr->n_pinned = s.n_pinned;
        kr->steps = s.steps;
        kr->elapsed_us = now_us() - start;
        n_unknown_ops += s.n_unknown;
        sb_printf(&lines, "  key ");
        sb_quoted(&lines, kr->key, kr->key_len, SHOW_MAX);
        sb_printf(&lines,
                  ": %s, %zu ops (%zu outcome unknown: %zu dropped, %zu pinned), %" PRIu64
                  " steps, %" PRId64 " ms\n",
                  lin_verdict_name(kr->verdict), kr->n_ops, kr->n_unknown, kr->n_dropped,
                  kr->n_pinned, kr->steps, kr->elapsed_us / 1000);
        if (kr->verdict == LIN_NOT_LINEARIZABLE && !have_bad) {
            have_bad = true;
            explain_violation(&bad, h, &o, kr, g[k].idx, g[k].n, &s, res);
        } else if (kr->verdict == LIN_UNKNOWN && !have_unk) {
            have_unk = true;
            explain_unknown(&unk, kr, &s);
        }
        if (kr->verdict == LIN_NOT_LINEARIZABLE)
            res->verdict = LIN_NOT_LINEARIZABLE;
        else if (kr->verdict == LIN_UNKNOWN && res->verdict == LIN_LINEARIZABLE)
            res->verdict = LIN_UNKNOWN;
        search_free(&s);
    }
    sb_t out = {0};
    sb_printf(&out,
              "linearizability: %s (%zu keys, %zu ops, %zu outcome unknown; %" PRId64 " ms)\n",
              lin_verdict_name(res->verdict), ng, h->n, n_unknown_ops, (now_us() - t0) / 1000);
    sb_append(&out, &lines);
    sb_append(&out, have_bad ? &bad : &unk);
    res->explain = sb_take(&out);
    free(lines.p);
    free(bad.p);
    free(unk.p);
    for (size_t k = 0; k < ng; k++)
        free(g[k].idx);
    free(g);
    return res->verdict;
}

void lin_result_free(lin_result_t *res)
{
    for (size_t k = 0; k < res->n_keys; k++)
        free(res->keys[k].key);
    free(res->keys);
    free(res->witness);
    free(res->explain);
    memset(res, 0, sizeof(*res));
}

/* ---- saving and loading -------------------------------------------------- */

int lin_history_save(const lin_history_t *h, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    sb_t b = {0};
    fputs("# redraft linearizability history v1: client invoke_us return_us KIND \"key\" "
          "[\"value\"] result\n",
          f);
    for (size_t i = 0; i < h->n; i++) {
        const lin_op_t *o = &h->ops[i];
        b.n = 0;
        sb_printf(&b, "%d %" PRId64 " %" PRId64 " %s ", o->client, o->invoke_us, o->return_us,
                  kind_names[o->kind]);
        sb_quoted(&b, o->key, o->key_len, 0);
        if (o->kind == LIN_SET) {
            sb_printf(&b, " ");
            sb_quoted(&b, o->arg, o->arg_len, 0);
        }
        if (o->outcome_unknown)
            sb_printf(&b, " ?");
        else if (o->kind == LIN_GET && o->nil)
            sb_printf(&b, " nil");
        else if (o->kind == LIN_GET) {
            sb_printf(&b, " ");
            sb_quoted(&b, o->val, o->val_len, 0);
        } else if (o->kind == LIN_SET)
            sb_printf(&b, " OK");
        else if (o->kind == LIN_INCR && o->error)
            sb_printf(&b, " ERR");
        else
            sb_printf(&b, " %" PRId64, o->num);
        sb_printf(&b, "\n");
        fwrite(b.p, 1, b.n, f);
    }
    free(b.p);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        if (!errno) errno = EIO;
        return -1;
    }
    return 0;
}

/* One token of a line: a bare word, or a quoted string unescaped into buf
 * (which the caller frees). */
typedef struct tok {
    const char *p;
    size_t len;
    bool quoted;
    char *buf;
} tok_t;

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* 1: a token; 0: end of line; -1: a malformed quoted string (*why says). */
static int next_tok(const char **cur, tok_t *t, const char **why)
{
    const char *p = *cur;
    while (*p == ' ' || *p == '\t')
        p++;
    memset(t, 0, sizeof(*t));
    if (*p == '\0' || *p == '\n' || *p == '\r') {
        *cur = p;
        return 0;
    }
    if (*p != '"') {
        const char *s = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            p++;
        t->p = s;
        t->len = (size_t)(p - s);
        *cur = p;
        return 1;
    }
    p++;
    t->quoted = true;
    t->buf = xrealloc(NULL, strlen(p) + 1);
    size_t n = 0;
    for (;;) {
        if (*p == '\0' || *p == '\n' || *p == '\r') {
            *why = "unterminated string";
            free(t->buf);
            t->buf = NULL;
            return -1;
        }
        if (*p == '"') break;
        if (*p != '\\') {
            t->buf[n++] = *p++;
            continue;
        }
        p++;
        if (*p == '"' || *p == '\\') {
            t->buf[n++] = *p++;
        } else if (*p == 'x' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            t->buf[n++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
            p += 3;
        } else {
            *why = "bad escape in string";
            free(t->buf);
            t->buf = NULL;
            return -1;
        }
    }
    p++;
    if (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
        *why = "text right after a closing quote";
        free(t->buf);
        t->buf = NULL;
        return -1;
    }
    t->p = t->buf;
    t->len = n;
    *cur = p;
    return 1;
}

static bool tok_is(const tok_t *t, const char *word)
{
    return !t->quoted && t->len == strlen(word) && memcmp(t->p, word, t->len) == 0;
}

static bool tok_int(const tok_t *t, int64_t *v)
{
    return !t->quoted && parse_ll(t->p, t->len, v);
}

/* Parses one op line into *o (its strings pointing into toks[]); NULL on
 * success, else what is wrong. */
static const char *parse_line(const char *line, lin_op_t *o, tok_t *toks, int *ntok)
{
    const char *why = NULL;
    const char *cur = line;
    *ntok = 0;
    for (;;) {
        if (*ntok == 8) return "too many fields";
        int r = next_tok(&cur, &toks[*ntok], &why);
        if (r < 0) return why;
        if (r == 0) break;
        (*ntok)++;
    }
    if (*ntok < 6) return "too few fields";
    memset(o, 0, sizeof(*o));
    int64_t client;
    if (!tok_int(&toks[0], &client) || client < INT32_MIN || client > INT32_MAX)
        return "bad client";
    o->client = (int)client;
    if (!tok_int(&toks[1], &o->invoke_us)) return "bad invoke time";
    if (!tok_int(&toks[2], &o->return_us)) return "bad return time";
    int kind = -1;
    for (int k = 0; k < 4; k++)
        if (tok_is(&toks[3], kind_names[k])) kind = k;
    if (kind < 0) return "unknown command (GET, SET, INCR or DEL)";
    o->kind = (lin_kind_t)kind;
    if (!toks[4].quoted) return "the key must be quoted";
    o->key = (char *)toks[4].p;
    o->key_len = toks[4].len;
    int r = 5;
    if (o->kind == LIN_SET) {
        if (*ntok < 7 || !toks[5].quoted) return "SET needs a quoted value";
        o->arg = (char *)toks[5].p;
        o->arg_len = toks[5].len;
        r = 6;
    }
    if (*ntok != r + 1) return "wrong number of fields";
    const tok_t *res = &toks[r];
    if (tok_is(res, "?")) {
        o->outcome_unknown = true;
        return NULL;
    }
    switch (o->kind) {
    case LIN_GET:
        if (tok_is(res, "nil")) {
            o->nil = true;
        } else if (res->quoted) {
            o->val = (char *)res->p;
            o->val_len = res->len;
        } else {
            return "GET's result must be nil, a quoted value or ?";
        }
        break;
    case LIN_SET:
        if (!tok_is(res, "OK")) return "SET's result must be OK or ?";
        break;
    case LIN_INCR:
        if (tok_is(res, "ERR"))
            o->error = true;
        else if (!tok_int(res, &o->num))
            return "INCR's result must be a number, ERR or ?";
        break;
    case LIN_DEL:
        if (!tok_int(res, &o->num)) return "DEL's result must be a number or ?";
        break;
    }
    if (o->return_us < o->invoke_us) return "returned before it was invoked";
    return NULL;
}

lin_history_t *lin_history_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (err) snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    lin_history_t *h = lin_history_new();
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t len;
    tok_t toks[8];
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0') continue;
        if (strlen(line) != (size_t)len) {
            if (err) snprintf(err, errlen, "%s:%zu: a NUL byte in the line", path, lineno);
            goto fail;
        }
        lin_op_t o;
        int ntok = 0;
        const char *why = parse_line(line, &o, toks, &ntok);
        if (!why) lin_history_add(h, &o);
        for (int k = 0; k < ntok; k++)
            free(toks[k].buf);
        if (why) {
            if (err) snprintf(err, errlen, "%s:%zu: %s", path, lineno, why);
            goto fail;
        }
    }
    if (ferror(f)) {
        if (err) snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto fail;
    }
    free(line);
    fclose(f);
    return h;
fail:
    free(line);
    fclose(f);
    lin_history_free(h);
    return NULL;
}
