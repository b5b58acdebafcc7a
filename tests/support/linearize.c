/* linearize: the linearizability checker of the chaos tests. linearize.h has
 * the contract and the algorithm; the comments here say why each part is
 * shaped the way it is. Plain libc, no cmocka: a failing chaos run prints the
 * report, and the checker must not share code with the server it checks.
 * This file holds the small helpers, the text builder, the history, the
 * value table and the check itself (lin_check and its result); the search,
 * shrinking and the text format are in linearize_search.c, linearize_shrink.c
 * and linearize_io.c, sharing linearize_int.h. */
#include "support/linearize_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- small helpers ------------------------------------------------------- */

static void oom(void)
{
    fputs("linearize: out of memory\n", stderr);
    abort();
}

void *lin_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) oom();
    return q;
}

void *lin_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom();
    return p;
}

/* Every byte string the checker keeps is a NUL-terminated copy, so reports can
 * print keys and the history never points into its caller's buffers. */
static char *dupbytes(const char *p, size_t n)
{
    char *d = lin_xrealloc(NULL, n + 1);
    if (n) memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

int64_t lin_now_us(void)
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

/* Redis's string2ll: the only strings INCR counts with (nil aside). */
bool lin_parse_ll(const char *s, size_t len, int64_t *out)
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

static void sb_reserve(sb_t *b, size_t more)
{
    if (b->n + more + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + more + 1)
        cap *= 2;
    b->p = lin_xrealloc(b->p, cap);
    b->cap = cap;
}

void lin_sb_printf(sb_t *b, const char *fmt, ...)
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
void lin_sb_quoted(sb_t *b, const char *p, size_t len, size_t max)
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

const char *const lin_kind_names[] = {"GET", "SET", "INCR", "DEL"};

lin_history_t *lin_history_new(void)
{
    return lin_xcalloc(1, sizeof(lin_history_t));
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
        h->ops = lin_xrealloc(h->ops, h->cap * sizeof(lin_op_t));
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
void lin_fmt_op(sb_t *b, const lin_history_t *h, size_t i)
{
    const lin_op_t *o = &h->ops[i];
    lin_sb_printf(b, "#%zu client %d: %s", i, o->client, lin_kind_names[o->kind]);
    if (o->kind == LIN_SET) {
        lin_sb_printf(b, " ");
        lin_sb_quoted(b, o->arg, o->arg_len, SHOW_MAX);
    }
    lin_sb_printf(b, " -> ");
    if (o->outcome_unknown) {
        lin_sb_printf(b, "? (outcome unknown)  [%" PRId64 " .. ", o->invoke_us);
        if (o->return_us >= o->invoke_us)
            lin_sb_printf(b, "gave up at %" PRId64 "]", o->return_us);
        else
            lin_sb_printf(b, "?]");
        return;
    }
    switch (o->kind) {
    case LIN_GET:
        if (o->nil)
            lin_sb_printf(b, "nil");
        else
            lin_sb_quoted(b, o->val, o->val_len, SHOW_MAX);
        break;
    case LIN_SET:
        lin_sb_printf(b, "OK");
        break;
    case LIN_INCR:
        if (o->error)
            lin_sb_printf(b, "ERR");
        else
            lin_sb_printf(b, "%" PRId64, o->num);
        break;
    case LIN_DEL:
        lin_sb_printf(b, "%" PRId64, o->num);
        break;
    }
    lin_sb_printf(b, "  [%" PRId64 " .. %" PRId64 "]", o->invoke_us, o->return_us);
}

/* ---- values -------------------------------------------------------------- */

void lin_vt_init(vtab_t *t)
{
    memset(t, 0, sizeof(*t));
    t->cap = 16;
    t->v = lin_xcalloc(t->cap, sizeof(val_t));
    t->n = 1;
    t->nslot = 32;
    t->slot = lin_xcalloc(t->nslot, sizeof(uint32_t));
}

void lin_vt_free(vtab_t *t)
{
    for (uint32_t i = 1; i < t->n; i++)
        free(t->v[i].p);
    free(t->v);
    free(t->slot);
    memset(t, 0, sizeof(*t));
}

uint32_t lin_vt_intern(vtab_t *t, const char *p, size_t len)
{
    uint64_t hh = hash_bytes(p, len);
    uint32_t mask = t->nslot - 1, i = (uint32_t)hh & mask;
    for (; t->slot[i]; i = (i + 1) & mask) {
        const val_t *v = &t->v[t->slot[i]];
        if (v->hash == hh && v->len == len && memcmp(v->p, p, len) == 0) return t->slot[i];
    }
    if (t->n == t->cap) {
        t->cap *= 2;
        t->v = lin_xrealloc(t->v, t->cap * sizeof(val_t));
    }
    uint32_t id = t->n++;
    val_t *v = &t->v[id];
    v->p = dupbytes(p, len);
    v->len = len;
    v->hash = hh;
    v->is_int = lin_parse_ll(p, len, &v->i);
    if (2 * t->n <= t->nslot) {
        t->slot[i] = id;
        return id;
    }
    free(t->slot);
    t->nslot *= 2;
    t->slot = lin_xcalloc(t->nslot, sizeof(uint32_t));
    mask = t->nslot - 1;
    for (uint32_t k = 1; k < t->n; k++) {
        uint32_t j = (uint32_t)t->v[k].hash & mask;
        while (t->slot[j])
            j = (j + 1) & mask;
        t->slot[j] = k;
    }
    return id;
}

uint32_t lin_vt_int(vtab_t *t, int64_t i)
{
    char buf[24];
    int k = snprintf(buf, sizeof(buf), "%" PRId64, i);
    return lin_vt_intern(t, buf, (size_t)k);
}

void lin_fmt_val(sb_t *b, const vtab_t *t, uint32_t id)
{
    if (id == NIL)
        lin_sb_printf(b, "nil");
    else
        lin_sb_quoted(b, t->v[id].p, t->v[id].len, SHOW_MAX);
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
    group_t *g = lin_xcalloc(cap, sizeof(group_t));
    size_t *slot = lin_xcalloc(nslot, sizeof(size_t)); /* group + 1; 0 is empty */
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
                g = lin_xrealloc(g, cap * sizeof(group_t));
            }
            g[ng] = (group_t){.first = i, .hash = hh};
            gi = ng++;
            slot[j] = ng;
            if (2 * ng > nslot) {
                free(slot);
                nslot *= 2;
                slot = lin_xcalloc(nslot, sizeof(size_t));
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
            x->idx = lin_xrealloc(x->idx, x->cap * sizeof(size_t));
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
    size_t *w = lin_xcalloc(n, sizeof(size_t));
    memcpy(w, key_ops, n * sizeof(size_t));
    sort_by_invoke(h, w, n);
    size_t nw = n;
    bool minimal = false;
    if (!o->no_shrink) {
        budget_t sb = budget_from(o, lin_now_us(), o->shrink_us);
        nw = lin_shrink(h, w, n, &sb, &minimal);
    }
    lin_sb_printf(b, "\nkey ");
    lin_sb_quoted(b, kr->key, kr->key_len, SHOW_MAX);
    lin_sb_printf(b, " is NOT linearizable.\n");
    if (nw < n)
        lin_sb_printf(b, "  These %zu of its %zu ops cannot be linearized on their own%s:\n", nw, n,
                      minimal ? "" : " (shrinking ran out of time: not minimal)");
    else
        lin_sb_printf(b, "  Its %zu ops cannot be linearized%s:\n", n,
                      o->no_shrink ? " (not shrunk)" : "");
    if (nw <= WITNESS_SHOW) {
        for (size_t i = 0; i < nw; i++) {
            lin_sb_printf(b, "    ");
            lin_fmt_op(b, h, w[i]);
            lin_sb_printf(b, "\n");
        }
        for (size_t i = 0; i < nw; i++)
            lin_note_read(b, h, key_ops, n, w[i]);
    } else {
        lin_sb_printf(b, "    (too many to list here: lin_result_t.witness has them; a history "
                         "saved with lin_history_save has them on lines #+2)\n");
    }
    if (nw < n) {
        search_t ws;
        lin_search_init(&ws, h, w, nw);
        ws.track = true;
        budget_t wb = budget_from(o, lin_now_us(), o->max_us);
        lin_verdict_t v = lin_run_key(&ws, &wb);
        if (v == LIN_NOT_LINEARIZABLE) lin_describe_stuck(b, &ws, key_ops, n);
        lin_search_free(&ws);
    } else {
        lin_describe_stuck(b, full, key_ops, n);
    }
    res->witness = w;
    res->n_witness = nw;
    res->witness_minimal = minimal;
}

static void explain_unknown(sb_t *b, lin_key_report_t *kr, search_t *s)
{
    static const char *const why[] = {"", "step", "time", "memory"};
    lin_sb_printf(b, "\nkey ");
    lin_sb_quoted(b, kr->key, kr->key_len, SHOW_MAX);
    lin_sb_printf(
        b, ": no verdict, the %s budget ran out after %" PRIu64 " steps and %" PRId64 " ms.\n",
        why[s->outof], s->steps, kr->elapsed_us / 1000);
    lin_describe_stuck(b, s, NULL, 0);
}

lin_verdict_t lin_check(const lin_history_t *h, const lin_options_t *opt, lin_result_t *res)
{
    lin_options_t o;
    options_resolve(opt, &o);
    memset(res, 0, sizeof(*res));
    int64_t t0 = lin_now_us();
    size_t ng = 0;
    group_t *g = group_by_key(h, &ng);
    res->keys = lin_xcalloc(ng, sizeof(lin_key_report_t));
    res->n_keys = ng;
    sb_t lines = {0}, bad = {0}, unk = {0};
    size_t n_unknown_ops = 0;
    bool have_bad = false, have_unk = false;
    for (size_t k = 0; k < ng; k++) {
        lin_key_report_t *kr = &res->keys[k];
        const lin_op_t *first = &h->ops[g[k].first];
        kr->key = dupbytes(first->key, first->key_len);
        kr->key_len = first->key_len;
        int64_t start = lin_now_us();
        search_t s;
        lin_search_init(&s, h, g[k].idx, g[k].n);
        s.track = true;
        budget_t b = budget_from(&o, start, o.max_us);
        kr->verdict = lin_run_key(&s, &b);
        kr->n_ops = s.n_ops;
        kr->n_unknown = s.n_unknown;
        kr->n_dropped = s.n_dropped;
        kr->n_pinned = s.n_pinned;
        kr->steps = s.steps;
        kr->elapsed_us = lin_now_us() - start;
        n_unknown_ops += s.n_unknown;
        lin_sb_printf(&lines, "  key ");
        lin_sb_quoted(&lines, kr->key, kr->key_len, SHOW_MAX);
        lin_sb_printf(&lines,
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
        lin_search_free(&s);
    }
    sb_t out = {0};
    lin_sb_printf(
        &out, "linearizability: %s (%zu keys, %zu ops, %zu outcome unknown; %" PRId64 " ms)\n",
        lin_verdict_name(res->verdict), ng, h->n, n_unknown_ops, (lin_now_us() - t0) / 1000);
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
