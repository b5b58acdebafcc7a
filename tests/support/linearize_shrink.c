/* linearize_shrink: shrinking a violation to a small set of one key's ops
 * that still cannot be linearized (delta debugging, see linearize.h), and
 * the notes on reads that reports print. Part of the checker of linearize.c;
 * shared types in linearize_int.h. */
#include "support/linearize_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- shrinking a violation ----------------------------------------------- */

lin_verdict_t lin_run_key(search_t *s, const budget_t *b)
{
    s->max_steps = b->steps;
    s->deadline = b->deadline;
    s->max_memory = b->memory;
    return lin_search_run(s);
}

static lin_verdict_t check_subset(const lin_history_t *h, const size_t *idx, size_t n,
                                  const budget_t *b)
{
    search_t s;
    lin_search_init(&s, h, idx, n);
    lin_verdict_t v = lin_run_key(&s, b);
    lin_search_free(&s);
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
    if (lin_now_us() > z->b->deadline) {
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
        read = lin_xcalloc(nv, sizeof(bool));
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
size_t lin_shrink(const lin_history_t *h, size_t *w, size_t n, const budget_t *b, bool *minimal)
{
    shrinker_t z = {.h = h, .w = w, .n = n, .b = b};
    z.alive = lin_xcalloc(n, sizeof(bool));
    z.vid = lin_xcalloc(n, sizeof(uint32_t));
    z.cand = lin_xcalloc(n, sizeof(size_t));
    z.pick = lin_xcalloc(n, sizeof(size_t));
    vtab_t vt;
    lin_vt_init(&vt);
    for (size_t i = 0; i < n; i++) {
        const lin_op_t *o = &h->ops[w[i]];
        z.alive[i] = true;
        if (o->kind == LIN_SET) z.vid[i] = lin_vt_intern(&vt, o->arg, o->arg_len);
        if (o->kind == LIN_GET && !o->nil && !o->outcome_unknown)
            z.vid[i] = lin_vt_intern(&vt, o->val, o->val_len);
    }
    lin_vt_free(&vt);
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
void lin_note_read(sb_t *b, const lin_history_t *h, const size_t *key_ops, size_t n, size_t gi)
{
    const lin_op_t *g = &h->ops[gi];
    if (g->kind != LIN_GET || g->nil || g->outcome_unknown) return;
    size_t writers = 0, early = 0, writer = SIZE_MAX;
    for (size_t k = 0; k < n; k++) {
        const lin_op_t *o = &h->ops[key_ops[k]];
        int64_t dummy;
        if (o->kind == LIN_INCR && lin_parse_ll(g->val, g->val_len, &dummy)) return;
        if (o->kind != LIN_SET || o->arg_len != g->val_len ||
            memcmp(o->arg, g->val, g->val_len) != 0)
            continue;
        writers++;
        writer = key_ops[k];
        if (o->invoke_us <= g->return_us) early++;
    }
    if (writers == 0) {
        lin_sb_printf(b, "  Note: #%zu read a value no op of this key ever wrote.\n", gi);
        return;
    }
    if (early == 0) {
        lin_sb_printf(
            b, "  Note: #%zu read a value written only by ops invoked after it returned.\n", gi);
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
            lin_sb_printf(b,
                          "  Note: #%zu read the value of #%zu, but #%zu, a later write, returned "
                          "before #%zu was invoked (a stale read).\n",
                          gi, writer, key_ops[k], gi);
            return;
        }
    }
}
