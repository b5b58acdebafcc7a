/* linearize_search: the search over one key (Wing & Gong's search with Lowe's
 * memoization, see linearize.h) and the reports on where it got stuck. Part
 * of the checker of linearize.c; shared types in linearize_int.h. */
#include "support/linearize_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- the search over one key --------------------------------------------- */

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
void lin_search_init(search_t *s, const lin_history_t *h, const size_t *idx, size_t n)
{
    memset(s, 0, sizeof(*s));
    s->h = h;
    s->n_ops = n;
    lin_vt_init(&s->vals);
    uint32_t *vid = lin_xcalloc(n, sizeof(uint32_t));
    for (size_t i = 0; i < n; i++) {
        const lin_op_t *o = &h->ops[idx[i]];
        if (o->kind == LIN_SET) vid[i] = lin_vt_intern(&s->vals, o->arg, o->arg_len);
        if (o->kind == LIN_GET && !o->outcome_unknown && !o->nil)
            vid[i] = lin_vt_intern(&s->vals, o->val, o->val_len);
        if (o->outcome_unknown) s->n_unknown++;
    }
    uint32_t nv = s->vals.n;
    uint32_t *writers = lin_xcalloc(nv, sizeof(uint32_t));
    int64_t *first_read_ret = lin_xcalloc(nv, sizeof(int64_t));
    bool *read = lin_xcalloc(nv, sizeof(bool));
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

    s->fx = lin_xcalloc(n, sizeof(sop_t));
    s->uo = lin_xcalloc(n, sizeof(sop_t));
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
    s->readers_left = lin_xcalloc(nv, sizeof(int32_t));
    s->writers_left = lin_xcalloc(nv, sizeof(int32_t));
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
    s->ent = lin_xcalloc(ne + 1, sizeof(ent_t));
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
    s->onext = lin_xcalloc(s->no + 1, sizeof(int32_t));
    s->oprev = lin_xcalloc(s->no + 1, sizeof(int32_t));
    for (uint32_t j = 0; j <= s->no; j++) {
        s->onext[j] = (int32_t)(j < s->no ? j + 1 : 0);
        s->oprev[j] = (int32_t)(j ? j - 1 : s->no);
    }
    s->fwords = (s->nf + 63) / 64;
    s->owords = (s->no + 63) / 64;
    s->fbits = lin_xcalloc(s->fwords, sizeof(uint64_t));
    s->obits = lin_xcalloc(s->owords, sizeof(uint64_t));
    s->best_fbits = lin_xcalloc(s->fwords, sizeof(uint64_t));
    s->best_obits = lin_xcalloc(s->owords, sizeof(uint64_t));
    s->hi = -1;
    s->stack = lin_xcalloc(s->nf + 1, sizeof(frame_t));
    s->chain = lin_xcalloc(s->no, sizeof(int32_t));
    s->av_set = lin_xcalloc(s->no, sizeof(int32_t));
    s->av_incr = lin_xcalloc(s->no, sizeof(int32_t));
    s->state = NIL;
}

void lin_search_free(search_t *s)
{
    lin_vt_free(&s->vals);
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
        m->a = lin_xrealloc(m->a, cap * sizeof(uint64_t));
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
    m->bucket = lin_xcalloc(nb, sizeof(uint64_t));
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
        return f->err ? pre : lin_vt_int(&s->vals, f->num);
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
    if ((s->steps & 1023) == 0 && lin_now_us() > s->deadline) {
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
lin_verdict_t lin_search_run(search_t *s)
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
                if (m > 0) pre = lin_vt_int(&s->vals, (bst == NIL ? 0 : s->vals.v[bst].i) + m);
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
        lin_sb_printf(b, "read ");
        lin_fmt_val(b, &s->vals, f->res);
        lin_sb_printf(b, " but the register holds ");
        lin_fmt_val(b, &s->vals, q);
        return;
    case LIN_INCR:
        lin_sb_printf(b, "the register holds ");
        lin_fmt_val(b, &s->vals, q);
        if (q != NIL && (!v->is_int || v->i == INT64_MAX))
            lin_sb_printf(b, ", so INCR would reply an error");
        else
            lin_sb_printf(b, ", so INCR would reply %" PRId64, q == NIL ? 1 : v->i + 1);
        return;
    case LIN_DEL:
        lin_sb_printf(b, "the register holds ");
        lin_fmt_val(b, &s->vals, q);
        lin_sb_printf(b, ", so DEL would reply %d", q == NIL ? 0 : 1);
        return;
    case LIN_SET:
        return;
    }
}

/* On a key that only counts, an INCR that replied no more than an INCR
 * that returned before it was invoked is a lost or repeated increment. */
static void note_count(sb_t *b, const search_t *s, const sop_t *f)
{
    for (uint32_t i = 0; i < s->nf; i++) {
        const sop_t *x = &s->fx[i];
        if (x->kind != LIN_INCR || x->err || x->ret >= f->inv || x->num < f->num) continue;
        lin_sb_printf(b,
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
        uint32_t pre = m > 0 ? lin_vt_int(&s->vals, (bst == NIL ? 0 : s->vals.v[bst].i) + m) : bst;
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
                lin_sb_printf(b, "the register would pass %s, which #%zu needs first\n",
                              s->fx[x].kind == LIN_GET ? "the value" : "the count", s->fx[x].h);
                return SIZE_MAX;
            }
        }
        if (r == SIZE_MAX) {
            lin_sb_printf(b, "its reply fits here, but nothing can follow it\n");
            return SIZE_MAX;
        }
        reader = r;
        lost = v;
    }
    lin_sb_printf(b, "it would replace ");
    lin_fmt_val(b, &s->vals, lost);
    lin_sb_printf(b, ", which #%zu must still read, and no op left writes it\n", reader);
    return reader;
}

/* Where the longest linearization got stuck: its last moves, the register,
 * the known op that had to be placed next at the latest (the one returning
 * first), and for each candidate why it could not come next. The open ops
 * available there are found from the saved bitset, the same set gather()
 * gives during the search. */
void lin_describe_stuck(sb_t *b, search_t *s, const size_t *key_ops, size_t nkey)
{
    const lin_history_t *h = s->h;
    lin_sb_printf(b,
                  "  The longest linearization found places %u of the %u ops that had to be "
                  "placed",
                  s->best_sp, s->nf);
    if (s->best_ntail)
        lin_sb_printf(b, ", ending with:\n");
    else
        lin_sb_printf(b, ".\n");
    for (uint32_t i = 0; i < s->best_ntail; i++) {
        const tail_t *t = &s->best_tail[i];
        if (t->blind >= 0) {
            lin_sb_printf(b, "      ");
            lin_fmt_op(b, h, s->uo[t->blind].h);
            lin_sb_printf(b, "\n");
        }
        if (t->m) lin_sb_printf(b, "      + %u unknown-outcome INCR(s)\n", t->m);
        lin_sb_printf(b, "    ");
        lin_fmt_op(b, h, s->fx[t->f].h);
        if (s->fx[t->f].pinned)
            lin_sb_printf(b, " (pinned: placed by %" PRId64 ")", s->fx[t->f].ret);
        lin_sb_printf(b, "\n        register: ");
        lin_fmt_val(b, &s->vals, t->state);
        lin_sb_printf(b, "\n");
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
    lin_sb_printf(b, "  Then the register holds ");
    lin_fmt_val(b, &s->vals, s->best_state);
    lin_sb_printf(b,
                  " and #%zu (returned at %" PRId64 ") or an op invoked before that must come "
                  "next",
                  s->fx[blocker].h, limit);
    if (nopen) lin_sb_printf(b, " (%u unknown-outcome op(s) could be placed first)", nopen);
    lin_sb_printf(b, "; none can:\n");
    uint32_t shown = 0;
    size_t waiting = SIZE_MAX; /* a read that a candidate would strand */
    for (uint32_t i = 0; i < s->nf && shown < CANDS_MAX; i++) {
        const sop_t *f = &s->fx[i];
        if (bit(s->best_fbits, i) || f->inv > limit) continue;
        shown++;
        lin_sb_printf(b, "    ");
        lin_fmt_op(b, h, f->h);
        lin_sb_printf(b, "\n        ");
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
        if (nopen) lin_sb_printf(b, " (no unknown-outcome op available changes that)");
        lin_sb_printf(b, "\n");
        if (s->monotone && f->kind == LIN_INCR && !f->err) note_count(b, s, f);
    }
    if (waiting != SIZE_MAX) {
        lin_sb_printf(b, "  The read waiting for the value:\n    ");
        lin_fmt_op(b, h, waiting);
        lin_sb_printf(b, "\n");
        if (key_ops) lin_note_read(b, h, key_ops, nkey, waiting);
    }
}
