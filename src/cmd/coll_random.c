/* Random elements of collections (coll.h), for SPOP, SRANDMEMBER,
 * HRANDFIELD, ZRANDMEMBER.
 *
 * Sub-keys are ordered but not indexed by rank, so reaching the element at
 * a random rank walks half the collection on average: 15 ms for a set of
 * 200k members, which an SPOP (applied in the log's single apply thread)
 * cannot afford. Instead a large collection is drawn from by descending the
 * byte trie its sub-keys form, with a few seeks per branch point:
 *
 *   the first and last sub-keys F and L bound the range; they share a
 *   prefix P of length n. The members under P branch at byte n: into F
 *   itself when F ends there, and into one child per byte value present
 *   between F[n] and L[n]. A value v in that range is drawn uniformly and
 *   the iterator seeks to P v. When the element found starts with P v, the
 *   child is taken: F becomes that element and L the last one starting with
 *   P v (one seek back from P v+1), and the descent goes on under the longer
 *   prefix. When it does not, v fell into a gap between children and is
 *   drawn again (RANDOM_TRIES times at most; then the child found is taken).
 *   The descent ends when F and L are the same element.
 *
 * So every child of a branch point is equally likely and an element's
 * chance is the product of 1 / (children) along its path. For members that
 * fill the trie evenly (same-length keys over a dense alphabet, such as
 * zero-padded numbers, hex or random ids) that is uniform or close; for a
 * skewed collection it is not: with the members "a" and "b0".."b99", "a" is
 * drawn half of the time. Redis draws exactly uniformly (a hash table's
 * random bucket); an ordered store without a rank index cannot do that in
 * less than O(N), and a skew is a better price than a stall of the log.
 * Deleted elements (SPOP's tombstones) make seeks skip more: the ends are
 * kept (coll_ends.c) and small collections listed, so the first and last
 * elements and a small collection's ranks cost no walk past them. */

#include <stdlib.h>
#include <string.h>

#include "cmd/coll_int.h"

#define RANDOM_TRIES 8   /* draws at one branch point before a gap's child is taken */
#define RANDOM_LEVELS 64 /* branch points descended at most (then F is taken) */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Reads may be random for real: one generator per process, started from
 * the clock the first time. */
static uint64_t read_state;

/* A write's generator depends only on where the command sits in the log
 * (entry index, place in a MULTI), so every replica draws the same. */
void coll_rng_init(coll_rng_t *g, const cmd_ctx_t *c)
{
    g->deterministic = c->index != 0;
    g->state = 0;
    if (g->deterministic) {
        g->state = c->index * 0xD1B54A32D192ED03ULL ^ ((uint64_t)c->seq + 1) * 0x8CB92BA72F3D8DD7ULL;
        splitmix64(&g->state);
    } else if (read_state == 0) {
        read_state = (uint64_t)c->now_ms ^ 0x5DEECE66DULL;
    }
}

uint64_t coll_rng_next(coll_rng_t *g)
{
    return splitmix64(g->deterministic ? &g->state : &read_state);
}

/* Draws again above the largest multiple of n, so every value is equally
 * likely. */
uint64_t coll_rng_below(coll_rng_t *g, uint64_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t r;
    do {
        r = coll_rng_next(g);
    } while (r >= limit);
    return r % n;
}

/* A growable copy of a sub-key: the iterator's bytes move with it. */
typedef struct kbuf {
    char *p;
    size_t len, cap;
} kbuf_t;

static void kbuf_set(kbuf_t *b, const char *p, size_t len)
{
    if (len + 1 > b->cap) {
        b->cap = len + 16;
        b->p = realloc(b->p, b->cap);
    }
    if (len) memmove(b->p, p, len);
    b->len = len;
}

/* The first n bytes of p followed by byte v. */
static void kbuf_set_child(kbuf_t *b, const kbuf_t *p, size_t n, unsigned v)
{
    kbuf_set(b, p->p, n);
    b->p[n] = (char)v;
    b->len = n + 1;
}

static void kbuf_push(kbuf_t *b, unsigned byte)
{
    if (b->len + 1 > b->cap) {
        b->cap = b->len + 16;
        b->p = realloc(b->p, b->cap);
    }
    b->p[b->len++] = (char)byte;
}

static bool kbuf_eq(const kbuf_t *a, const kbuf_t *b)
{
    return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

/* ---- where a draw reads ------------------------------------------------------
 *
 * A draw moves a cursor: over the collection's list (coll_ends.c) when the
 * slot has one (ci->list), else the RocksDB iterator. The list holds
 * exactly the elements under the tag, so every step below finds on it what
 * the iterator would: the same pick, list or not, on every replica. */

static bool cur_valid(coll_iter_t *ci)
{
    return ci->list ? ci->lpos.valid : coll_iter_valid(ci);
}

static const char *cur_sub(coll_iter_t *ci, size_t *len)
{
    return ci->list ? ends_list_sub(ci->list, ci->lpos, len) : coll_iter_sub(ci, len);
}

static void cur_next(coll_iter_t *ci)
{
    if (ci->list)
        ends_list_next(ci->list, &ci->lpos);
    else
        store_iter_next(coll_iter_store(ci));
}

static void cur_prev(coll_iter_t *ci)
{
    if (ci->list)
        ends_list_prev(ci->list, &ci->lpos);
    else
        store_iter_prev(coll_iter_store(ci));
}

/* Whether the cursor stands on an element whose sub-key starts with p. */
static bool at_under(coll_iter_t *ci, const char *p, size_t plen)
{
    if (!cur_valid(ci)) return false;
    size_t len;
    const char *sub = cur_sub(ci, &len);
    return len >= plen && (plen == 0 || memcmp(sub, p, plen) == 0);
}

static void take_sub(kbuf_t *b, coll_iter_t *ci)
{
    size_t len;
    const char *sub = cur_sub(ci, &len);
    kbuf_set(b, sub, len);
}

/* To the first element >= sub (prev: the last <= sub). */
static void seek_sub_dir(coll_iter_t *ci, const char *sub, size_t slen, bool prev)
{
    if (ci->list) {
        ci->lpos = prev ? ends_list_floor(ci->list, sub, slen) : ends_list_ceil(ci->list, sub, slen);
        return;
    }
    char stack[256];
    size_t klen;
    char *k = coll_subkey(ci->co, sub, slen, stack, sizeof(stack), &klen);
    if (prev)
        store_iter_seek_for_prev(coll_iter_store(ci), k, klen);
    else
        store_iter_seek(coll_iter_store(ci), k, klen);
    if (k != stack) free(k);
}

static void seek_sub(coll_iter_t *ci, const char *sub, size_t slen)
{
    seek_sub_dir(ci, sub, slen, false);
}

/* Positions the cursor on the last element whose sub-key starts with p:
 * the last one before the first key past them all (p with its last byte
 * below 0xff incremented, or past the collection). False when there is none. */
static bool seek_last_under(coll_iter_t *ci, const char *p, size_t plen)
{
    size_t n = plen;
    while (n && (unsigned char)p[n - 1] == 0xff)
        n--;
    if (n == 0 && ci->list) {
        ci->lpos = ci->list->n ? ends_list_at(ci->list, ci->list->n - 1) : (ends_pos_t){0};
        return at_under(ci, p, plen);
    }
    if (n == 0) {
        size_t klen;
        char *k = coll_upper_bound(ci->co, &klen);
        store_iter_seek_for_prev(coll_iter_store(ci), k, klen);
        free(k);
        return at_under(ci, p, plen);
    }
    kbuf_t bound = {0};
    kbuf_set(&bound, p, n);
    bound.p[n - 1]++;
    seek_sub_dir(ci, bound.p, bound.len, true);
    /* the bound itself, when it is an element, is not under p */
    if (cur_valid(ci)) {
        size_t len;
        const char *sub = cur_sub(ci, &len);
        if (len == bound.len && memcmp(sub, bound.p, len) == 0) cur_prev(ci);
    }
    free(bound.p);
    return at_under(ci, p, plen);
}

/* Positions the cursor on the first (last) element under the tag: the
 * list's, or the iterator from the slot's bound when there is one (past the
 * tombstones of elements popped from that end at most once), which becomes
 * that element. */
static bool seek_end(coll_iter_t *ci, ends_t *e, const char *tag, size_t taglen, bool last)
{
    if (ci->list) {
        ci->lpos = ci->list->n ? ends_list_at(ci->list, last ? ci->list->n - 1 : 0) : (ends_pos_t){0};
        return at_under(ci, tag, taglen);
    }
    ends_bound_t *b = e ? (last ? &e->l : &e->f) : NULL;
    bool ok;
    if (b && b->known) {
        seek_sub_dir(ci, b->sub, b->len, last);
        ok = at_under(ci, tag, taglen);
    } else if (last) {
        ok = seek_last_under(ci, tag, taglen);
    } else {
        seek_sub(ci, tag, taglen);
        ok = at_under(ci, tag, taglen);
    }
    if (ok && b) {
        size_t len;
        const char *sub = cur_sub(ci, &len);
        ends_bound_set(b, sub, len);
    }
    return ok;
}

/* The first (last) element under the tag, copied to out: from the slot
 * when it knows it, else sought. */
static bool get_end(coll_iter_t *ci, ends_t *e, const char *tag, size_t taglen, bool last, kbuf_t *out)
{
    ends_bound_t *b = e ? (last ? &e->l : &e->f) : NULL;
    if (!ci->list && b && b->known && b->live) {
        kbuf_set(out, b->sub, b->len);
        return true;
    }
    if (!seek_end(ci, e, tag, taglen, last)) return false;
    take_sub(out, ci);
    return true;
}

/* Lists the size elements under the tag in the slot, from one walk of the
 * iterator: later draws read the list (coll_ends.c keeps it right). The
 * slot stays unlisted when they are not size or do not fit; its draws
 * count again from 0, so a collection that does not fit is walked once
 * per size / ENDS_DRAWS draws at most. */
static void list_build(coll_iter_t *ci, ends_t *e, const char *tag, size_t taglen, uint64_t size)
{
    ci->list = NULL;
    ends_list_begin(e);
    if (seek_end(ci, e, tag, taglen, false)) {
        for (; at_under(ci, tag, taglen) && e->n <= size && !e->unfit; cur_next(ci)) {
            size_t len;
            const char *sub = cur_sub(ci, &len);
            ends_list_append(e, sub, len);
        }
    }
    ends_list_end(e, size);
    if (!e->listed) e->draws = 0;
}

/* Exactly uniform for small collections: the element at rank r of the tag
 * range. From the list when there is one, else by a walk from the nearer
 * end, whose cost grows with the tombstones of deleted elements between the
 * live ones: an SPOP emptying a set of 200k members walked past ~100k of
 * them for each of its last 128 draws before small collections were listed. */
static bool walk_to_rank(coll_iter_t *ci, ends_t *e, const char *tag, size_t taglen, uint64_t r, uint64_t size)
{
    if (ci->list) {
        ci->lpos = ends_list_at(ci->list, r);
        return at_under(ci, tag, taglen);
    }
    if (r >= size / 2) {
        if (!seek_end(ci, e, tag, taglen, true)) return false;
        for (uint64_t i = r + 1; i < size && at_under(ci, tag, taglen); i++)
            cur_prev(ci);
    } else {
        if (!seek_end(ci, e, tag, taglen, false)) return false;
        for (uint64_t i = 0; i < r && at_under(ci, tag, taglen); i++)
            cur_next(ci);
    }
    return at_under(ci, tag, taglen);
}

/* The length of the common prefix of two sub-keys. */
static size_t common_prefix(const kbuf_t *a, const kbuf_t *b)
{
    size_t n = 0, max = a->len < b->len ? a->len : b->len;
    while (n < max && a->p[n] == b->p[n])
        n++;
    return n;
}

/* The descent described above. f and l hold the current range's first and
 * last sub-keys; f ends as the pick. */
static bool descend(coll_iter_t *ci, coll_rng_t *g, kbuf_t *f, kbuf_t *l)
{
    kbuf_t p = {0}, next = {0};
    bool ok = true;
    for (int level = 0; level < RANDOM_LEVELS && !kbuf_eq(f, l); level++) {
        size_t n = common_prefix(f, l);
        /* f < l, so l is longer than n; f ends at n or branches there */
        bool term = f->len == n;
        unsigned hi = (unsigned char)l->p[n], lo;
        if (term) {
            /* the children by byte start after f */
            seek_sub(ci, f->p, f->len);
            cur_next(ci);
            if (!at_under(ci, f->p, n)) {
                ok = false;
                break;
            }
            take_sub(&next, ci);
            lo = (unsigned char)next.p[n];
        } else {
            lo = (unsigned char)f->p[n];
        }
        uint64_t choices = (uint64_t)term + hi - lo + 1;
        unsigned v = 0;
        bool stop = false;
        for (int tries = 0;; tries++) {
            uint64_t o = coll_rng_below(g, choices);
            if (term && o == 0) { /* f itself */
                stop = true;
                break;
            }
            v = lo + (unsigned)(o - term);
            if (v == lo) { /* the first child starts at f, or right after it */
                if (term) kbuf_set(f, next.p, next.len);
                break;
            }
            kbuf_set_child(&p, f, n, v);
            seek_sub(ci, p.p, p.len);
            /* p <= l: an element longer than the prefix is found */
            if (!at_under(ci, f->p, n)) {
                ok = false;
                stop = true;
                break;
            }
            size_t klen;
            const char *k = cur_sub(ci, &klen);
            if ((unsigned char)k[n] != v && tries + 1 < RANDOM_TRIES) continue; /* a gap */
            take_sub(f, ci);
            v = (unsigned char)f->p[n];
            break;
        }
        if (stop) {
            kbuf_set(l, f->p, f->len);
            break;
        }
        if (v != hi) { /* the child's last element */
            kbuf_set_child(&p, f, n, v);
            if (!seek_last_under(ci, p.p, p.len)) {
                ok = false;
                break;
            }
            take_sub(l, ci);
        }
    }
    free(p.p);
    free(next.p);
    return ok;
}

/* The first stage, interpolation: sub-keys read as numbers. After the
 * common prefix of F and L, up to `digits` bytes are digits in base radix:
 * 0 for the end of the key, 1 + (byte - a) for a byte of the alphabet a ..
 * a + radix - 2, which is the range of the bytes F and L hold there, widened
 * to whole classes (digits, upper case, lower case): so the numbers of
 * decimal or hex members are dense where raw bytes would leave 246 of 256
 * values of each position empty. A byte outside the alphabet ends the
 * number as the nearest value in order would (the rest 0 below, the rest
 * the largest digit above), so the value never decreases along the order. */
typedef struct interp {
    size_t n;
    unsigned a;
    uint64_t radix;
    int digits;
} interp_t;

static uint64_t interp_value(const interp_t *ip, const char *k, size_t len)
{
    uint64_t v = 0, fill = 0;
    bool ended = false;
    for (int i = 0; i < ip->digits; i++) {
        uint64_t d = fill;
        size_t at = ip->n + (size_t)i;
        if (!ended && at >= len) {
            d = 0, ended = true;
        } else if (!ended) {
            unsigned x = (unsigned char)k[at];
            if (x < ip->a) {
                d = 1, ended = true;
            } else if (x - ip->a + 2 > ip->radix) {
                d = fill = ip->radix - 1, ended = true;
            } else {
                d = x - ip->a + 1;
            }
        }
        v = v * ip->radix + d;
    }
    return v;
}

/* The widest class a byte belongs to: its bounds. */
static void byte_class(unsigned x, unsigned *lo, unsigned *hi)
{
    if (x >= '0' && x <= '9')
        *lo = '0', *hi = '9';
    else if (x >= 'A' && x <= 'Z')
        *lo = 'A', *hi = 'Z';
    else if (x >= 'a' && x <= 'z')
        *lo = 'a', *hi = 'z';
    else
        *lo = *hi = x;
}

static void interp_init(interp_t *ip, const kbuf_t *f, const kbuf_t *l, size_t n)
{
    unsigned lo = 255, hi = 0, clo, chi;
    const kbuf_t *both[2] = {f, l};
    for (int j = 0; j < 2; j++) {
        for (size_t i = n; i < both[j]->len && i < n + 64; i++) {
            byte_class((unsigned char)both[j]->p[i], &clo, &chi);
            if (clo < lo) lo = clo;
            if (chi > hi) hi = chi;
        }
    }
    if (lo > hi) lo = hi = 0; /* cannot happen: l is longer than n */
    ip->n = n;
    ip->a = lo;
    ip->radix = hi - lo + 2;
    ip->digits = 0;
    for (uint64_t p = 1; p <= (1ULL << 62) / ip->radix; p *= ip->radix)
        ip->digits++;
}

/* The smallest key whose value is at least t: t's digits as bytes, up to
 * a digit 0 (the end of the key), or the alphabet's first byte there when
 * t goes on after it. */
static void interp_key(const interp_t *ip, const kbuf_t *f, uint64_t t, kbuf_t *out)
{
    uint64_t d[64];
    for (int i = ip->digits - 1; i >= 0; i--) {
        d[i] = t % ip->radix;
        t /= ip->radix;
    }
    int last = ip->digits - 1; /* the last digit that is not 0 */
    while (last >= 0 && d[last] == 0)
        last--;
    kbuf_set(out, f->p, ip->n);
    for (int i = 0; i <= last; i++) {
        kbuf_push(out, d[i] == 0 ? ip->a : ip->a + (unsigned)d[i] - 1);
        if (d[i] == 0) break;
    }
}

#define INTERP_TRIES 8 /* interpolation draws before the descent takes over */

/* A uniform number t between F's and L's values (plus one mean gap g0,
 * which stands for F's own gap, wrapping around) lands on the first element
 * whose value is >= t: an element preceded by a wide gap would be found
 * far more often than one in a dense stretch. So the landing counts only
 * when the element's value is within g0 of t: every element's chance is
 * then proportional to min(its gap, g0), never above the mean, and for
 * members spread evenly (gaps close to g0) nearly uniform. Most draws
 * count (about 63 % for random members), each costing one seek.
 * Returns true with the iterator on the pick, false to fall back on the
 * descent (elements whose values tie, beyond the digits read, are only
 * reached there). */
static bool interpolate(coll_iter_t *ci, coll_rng_t *g, const kbuf_t *f, const kbuf_t *l, uint64_t size)
{
    interp_t ip;
    interp_init(&ip, f, l, common_prefix(f, l));
    uint64_t vf = interp_value(&ip, f->p, f->len), vl = interp_value(&ip, l->p, l->len);
    if (vl <= vf || size < 2) return false;
    uint64_t g0 = (vl - vf) / (size - 1);
    if (g0 == 0) g0 = 1;
    kbuf_t key = {0};
    bool ok = false;
    for (int tries = 0; tries < INTERP_TRIES && !ok; tries++) {
        uint64_t t = vf + coll_rng_below(g, vl - vf + g0);
        if (t > vl) { /* F's gap, past L */
            seek_sub(ci, f->p, f->len);
            ok = at_under(ci, f->p, f->len);
            break;
        }
        interp_key(&ip, f, t, &key);
        seek_sub(ci, key.p, key.len);
        if (!at_under(ci, f->p, ip.n)) continue;
        size_t klen;
        const char *k = cur_sub(ci, &klen);
        uint64_t vk = interp_value(&ip, k, klen);
        ok = vk < t || vk - t < g0;
    }
    free(key.p);
    return ok;
}

/* The list a draw from co under the tag may read: the slot's, built first
 * when the collection is small or the draws from it have paid for a walk
 * (size / ENDS_DRAWS of them, each a few seeks) and it fits the budget. */
static ends_t *draw_list(coll_iter_t *ci, ends_t *e, const char *tag, size_t taglen)
{
    uint64_t size = ci->co->size;
    if (!e) return NULL;
    if (e->listed && e->n != size) { /* cannot happen: dropped, not trusted */
        ends_list_begin(e);
        ends_list_end(e, size + 1);
    }
    if (!e->listed) {
        e->draws++;
        if ((size <= ENDS_SMALL || e->draws * ENDS_DRAWS >= size) && size <= ENDS_LIST_ELEMS &&
            ends_list_affordable(ci->db, size))
            list_build(ci, e, tag, taglen, size);
    }
    return e->listed ? e : NULL;
}

bool coll_iter_seek_random(coll_iter_t *ci, const char *tag, size_t taglen, coll_rng_t *g)
{
    const coll_t *co = ci->co;
    ci->picked = false;
    ci->list = NULL;
    if (ci->empty || co->size == 0) return false;
    ends_t *e = ends_claim(ci->db, co, tag, taglen);
    ci->list = draw_list(ci, e, tag, taglen);
    kbuf_t f = {0}, l = {0};
    bool ok = false;
    if (co->size <= COLL_RANDOM_WALK_MAX) {
        ok = walk_to_rank(ci, e, tag, taglen, coll_rng_below(g, co->size), co->size);
        goto out;
    }
    if (!get_end(ci, e, tag, taglen, false, &f) || !get_end(ci, e, tag, taglen, true, &l)) goto out;
    if (interpolate(ci, g, &f, &l, co->size)) {
        ok = true;
        goto out;
    }
    if (!descend(ci, g, &f, &l)) goto out;
    seek_sub(ci, f.p, f.len);
    ok = at_under(ci, f.p, f.len);
out:
    if (ok && ci->list) { /* the pick is the list's: the iterator moves there only if asked */
        size_t len;
        const char *sub = cur_sub(ci, &len);
        if (len > ci->pickcap || !ci->pick) {
            ci->pickcap = len ? len : 1;
            ci->pick = realloc(ci->pick, ci->pickcap);
        }
        if (len) memcpy(ci->pick, sub, len);
        ci->picklen = len;
        ci->picked = true;
    }
    ci->list = NULL;
    free(f.p);
    free(l.p);
    return ok;
}

void coll_elems_push(coll_elems_t *e, const char *sub, size_t slen, const char *val, size_t vlen)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 16;
        e->v = realloc(e->v, e->cap * sizeof(*e->v));
    }
    coll_elem_t *x = &e->v[e->n++];
    x->sub = malloc(slen + vlen + 1);
    x->val = x->sub + slen;
    if (slen) memcpy(x->sub, sub, slen);
    if (vlen) memcpy(x->val, val, vlen);
    x->slen = slen;
    x->vlen = vlen;
}

void coll_elems_free(coll_elems_t *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i].sub);
    free(e->v);
    memset(e, 0, sizeof(*e));
}

/* What one draw costs in elements walked: measured on a set of 260k
 * members, a draw took ~16 us (3 to 4 seeks) and a walk ~0.17 us per
 * member, so count draws beat the walk up to about size / 94. */
#define RANDOM_DRAW_COST 100

bool coll_random_cheap(const coll_t *co, uint64_t count)
{
    return co->size > COLL_RANDOM_WALK_MAX && count <= co->size / RANDOM_DRAW_COST;
}

static int elem_cmp(const void *a, const void *b)
{
    const coll_elem_t *x = a, *y = b;
    int r = memcmp(x->sub, y->sub, x->slen < y->slen ? x->slen : y->slen);
    return r ? r : (x->slen > y->slen) - (x->slen < y->slen);
}

/* Sorts and drops repeated elements. */
static void elems_unique(coll_elems_t *e)
{
    if (e->n < 2) return;
    qsort(e->v, e->n, sizeof(*e->v), elem_cmp);
    size_t w = 1;
    for (size_t i = 1; i < e->n; i++) {
        if (elem_cmp(&e->v[i], &e->v[w - 1]) == 0)
            free(e->v[i].sub);
        else
            e->v[w++] = e->v[i];
    }
    e->n = w;
}

/* Distinct draws repeat their missing ones in rounds; a collection skewed
 * enough to need more than this many draws in all gets a full pass. */
#define RANDOM_DISTINCT_DRAWS(count) (4 * (count) + 16)

bool coll_random_elems(cmd_ctx_t *c, const coll_t *co, const char *tag, size_t taglen, uint64_t count,
                       bool distinct, bool values, coll_rng_t *g, coll_elems_t *out)
{
    coll_iter_t *it = coll_iter_open(c, co);
    uint64_t draws = 0;
    bool ok = true;
    while (out->n < count) {
        uint64_t want = count - out->n;
        for (uint64_t i = 0; i < want; i++, draws++) {
            if (!coll_iter_seek_random(it, tag, taglen, g)) {
                ok = false;
                break;
            }
            /* a pick read from a list has no value at hand: one more seek */
            size_t slen, vlen = 0;
            const char *sub = coll_iter_sub(it, &slen), *val = values ? coll_iter_value(it, &vlen) : "";
            coll_elems_push(out, sub, slen, val, vlen);
        }
        if (!ok || !distinct) break;
        elems_unique(out);
        if (out->n < count && draws >= RANDOM_DISTINCT_DRAWS(count)) {
            ok = false;
            break;
        }
    }
    coll_iter_free(it);
    if (!ok) coll_elems_free(out);
    return ok;
}
