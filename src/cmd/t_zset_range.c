/* Sorted sets: the ranges the range commands of t_zset.c take (by rank,
 * score or lex), their parsing as Redis 7.0 parses them, and the walks
 * that visit the elements inside them in Redis's order (t_zset.h). */
#include "cmd/t_zset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- range specifications ---------------------------------------------------------- */

/* Redis reads score bounds with strtod over the C string, so leading
 * spaces, hex and "infinity" are accepted, an empty string is 0, and an
 * embedded NUL ends the number; only NaN and trailing bytes are refused. */
static int parse_score_bound(const char *s, size_t len, double *v, bool *ex)
{
    char stack[128];
    char *buf = len < sizeof(stack) ? stack : malloc(len + 1);
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *p = buf, *end;
    *ex = false;
    if (p[0] == '(') {
        *ex = true;
        p++;
    }
    *v = strtod(p, &end);
    int rc = (*end != '\0' || isnan(*v)) ? -1 : 0;
    if (buf != stack) free(buf);
    return rc;
}

int zs_parse_srange(cmd_ctx_t *c, int mini, int maxi, srange_t *r)
{
    if (parse_score_bound(c->argv[mini], c->argvlen[mini], &r->min, &r->minex) < 0 ||
        parse_score_bound(c->argv[maxi], c->argvlen[maxi], &r->max, &r->maxex) < 0) {
        reply_error(c->reply, "ERR min or max is not a float");
        return -1;
    }
    return 0;
}

static int parse_lbound(const char *s, size_t len, lbound_t *b)
{
    memset(b, 0, sizeof(*b));
    if (len == 0) return -1;
    switch (s[0]) {
    case '+':
    case '-':
        if (len != 1) return -1;
        b->inf = s[0] == '+' ? 1 : -1;
        b->ex = true;
        return 0;
    case '(':
    case '[':
        b->ex = s[0] == '(';
        b->s = s + 1;
        b->len = len - 1;
        return 0;
    default:
        return -1;
    }
}

int zs_parse_lrange(cmd_ctx_t *c, int mini, int maxi, lrange_t *r)
{
    if (parse_lbound(c->argv[mini], c->argvlen[mini], &r->min) < 0 ||
        parse_lbound(c->argv[maxi], c->argvlen[maxi], &r->max) < 0) {
        reply_error(c->reply, "ERR min or max not valid string range item");
        return -1;
    }
    return 0;
}

static bool score_gte_min(const srange_t *r, double s)
{
    return r->minex ? s > r->min : s >= r->min;
}

static bool score_lte_max(const srange_t *r, double s)
{
    return r->maxex ? s < r->max : s <= r->max;
}

static bool srange_empty(const srange_t *r)
{
    return r->min > r->max || (r->min == r->max && (r->minex || r->maxex));
}

/* A member against a bound: "-" is below and "+" above every member. */
static int lex_cmp(const char *m, size_t len, const lbound_t *b)
{
    if (b->inf) return -b->inf;
    return zs_member_cmp(m, len, b->s, b->len);
}

static bool lex_gte_min(const lrange_t *r, const char *m, size_t len)
{
    int cmp = lex_cmp(m, len, &r->min);
    return r->min.ex ? cmp > 0 : cmp >= 0;
}

static bool lex_lte_max(const lrange_t *r, const char *m, size_t len)
{
    int cmp = lex_cmp(m, len, &r->max);
    return r->max.ex ? cmp < 0 : cmp <= 0;
}

/* Whether min > max, or min == max with an exclusive end: "- -" and "+ +"
 * are equal (and exclusive), "-" is below and "+" above any string. */
static bool lrange_empty(const lrange_t *r)
{
    int cmp;
    if (r->min.inf && r->min.inf == r->max.inf)
        cmp = 0;
    else if (r->min.inf == -1 || r->max.inf == 1)
        cmp = -1;
    else if (r->min.inf == 1 || r->max.inf == -1)
        cmp = 1;
    else
        cmp = zs_member_cmp(r->min.s, r->min.len, r->max.s, r->max.len);
    return cmp > 0 || (cmp == 0 && (r->min.ex || r->max.ex));
}

/* ---- walks ----------------------------------------------------------------------------- */

/* Ranks [start, end] (0 <= start <= end < size) from the low end, or from
 * the high end when reverse, in that order. The walk starts at whichever
 * end of the set is nearer. */
void zs_walk_rank(cmd_ctx_t *c, const coll_t *co, long long start, long long end, bool reverse, zs_vec_t *out)
{
    long long size = (long long)co->size;
    bool flip = start > size - 1 - end;
    long long skip = flip ? size - 1 - end : start, take = end - start + 1;
    size_t first = out->n;
    zs_iter_t zi;
    zs_iter_start(c, co, reverse != flip, &zi);
    for (; zs_iter_valid(&zi) && skip > 0; skip--) zs_iter_next(&zi);
    for (; zs_iter_valid(&zi) && take > 0; take--, zs_iter_next(&zi)) {
        size_t len;
        double s;
        const char *m = zs_iter_get(&zi, &len, &s);
        zs_vec_push(out, m, len, s);
    }
    zs_iter_end(&zi);
    if (flip) {
        zs_vec_t tail = {out->v + first, out->n - first, 0};
        zs_vec_reverse(&tail);
    }
}

/* Adds one to the 8-byte big-endian number at p; false when it wraps. */
static bool inc_be64(char *p)
{
    for (int i = 7; i >= 0; i--)
        if (++p[i] != 0) return true;
    return false;
}

/* Elements in a score range, from min up (or max down when reverse), the
 * first offset skipped and at most limit visited (limit < 0: all), as
 * Redis's ZRANGEBYSCORE walks them. fn may stop the walk. */
void zs_walk_score(cmd_ctx_t *c, const coll_t *co, const srange_t *r, bool reverse, long long offset,
                   long long limit, zs_visit_fn *fn, void *ud)
{
    if (srange_empty(r) || offset < 0 || !co->exists) return;
    char from[9];
    from[0] = ZS_SCORE;
    zs_iter_t zi;
    /* an infinite bound starts at the end of the range itself, which the
     * collection's ends know (coll_ends.c): ZREMRANGEBYSCORE key -inf t, a
     * sliding window's trim, would otherwise step over the tombstones of
     * every element it removed before */
    if (!reverse && isinf(r->min) && r->min < 0) {
        zs_iter_start(c, co, false, &zi);
    } else if (!reverse) {
        enc_put_double(from + 1, r->min);
        zs_iter_from(c, co, false, from, 9, &zi);
    } else {
        enc_put_double(from + 1, r->max);
        if (!(isinf(r->max) && r->max > 0) && inc_be64(from + 1))
            zs_iter_from(c, co, true, from, 9, &zi);
        else
            zs_iter_start(c, co, true, &zi);
    }
    size_t len;
    double s;
    const char *m;
    for (; zs_iter_valid(&zi); zs_iter_next(&zi)) {
        zs_iter_get(&zi, &len, &s);
        if (reverse ? score_lte_max(r, s) : score_gte_min(r, s)) break;
    }
    for (; zs_iter_valid(&zi) && offset > 0; offset--) zs_iter_next(&zi);
    for (; zs_iter_valid(&zi) && limit != 0; zs_iter_next(&zi)) {
        m = zs_iter_get(&zi, &len, &s);
        if (!(reverse ? score_gte_min(r, s) : score_lte_max(r, s))) break;
        if (!fn(ud, m, len, s)) break;
        if (limit > 0) limit--;
    }
    zs_iter_end(&zi);
}

/* The first (or last) element: false when the set is empty. */
static bool end_elem(cmd_ctx_t *c, const coll_t *co, bool last, char score8[8], zs_vec_t *keep)
{
    zs_iter_t zi;
    zs_iter_start(c, co, last, &zi);
    bool ok = zs_iter_valid(&zi);
    if (ok) {
        size_t sl;
        const char *sub = coll_iter_sub(zi.it, &sl);
        memcpy(score8, sub + 1, 8);
        zs_vec_push(keep, sub + 9, sl - 9, enc_get_double(score8));
    }
    zs_iter_end(&zi);
    return ok;
}

/* Elements in a lex range as Redis's small sorted sets walk them: in score
 * order, from the first element >= min (or, reverse, the last <= max), and
 * while they stay within the other bound. That is the lex order Redis
 * documents when all scores are equal, and the same (unspecified, but
 * deterministic) answer as Redis's when they are not. With equal scores,
 * which the first and last elements tell, the start is found by a seek. */
void zs_walk_lex(cmd_ctx_t *c, const coll_t *co, const lrange_t *r, bool reverse, long long offset,
                 long long limit, zs_visit_fn *fn, void *ud)
{
    if (lrange_empty(r) || offset < 0 || !co->exists) return;
    char lo8[8], hi8[8];
    zs_vec_t ends = {0};
    if (!end_elem(c, co, false, lo8, &ends) || !end_elem(c, co, true, hi8, &ends)) {
        zs_vec_free(&ends);
        return;
    }
    /* Redis gives up at once unless last >= min and first <= max */
    bool in = lex_gte_min(r, ends.v[1].m, ends.v[1].len) && lex_lte_max(r, ends.v[0].m, ends.v[0].len);
    zs_vec_free(&ends);
    if (!in) return;

    bool uniform = memcmp(lo8, hi8, 8) == 0;
    const lbound_t *b = reverse ? &r->max : &r->min;
    zs_iter_t zi;
    if (uniform && !b->inf) {
        size_t flen = 9 + b->len;
        char *from = malloc(flen);
        from[0] = ZS_SCORE;
        memcpy(from + 1, lo8, 8);
        if (b->len) memcpy(from + 9, b->s, b->len);
        zs_iter_from(c, co, reverse, from, flen, &zi);
        free(from);
    } else {
        zs_iter_start(c, co, reverse, &zi);
    }
    size_t len;
    double s;
    const char *m;
    bool found = false;
    for (; zs_iter_valid(&zi); zs_iter_next(&zi)) {
        m = zs_iter_get(&zi, &len, &s);
        if (reverse ? lex_lte_max(r, m, len) : lex_gte_min(r, m, len)) {
            found = reverse ? lex_gte_min(r, m, len) : lex_lte_max(r, m, len);
            break;
        }
    }
    if (found) {
        for (; zs_iter_valid(&zi) && offset > 0; offset--) zs_iter_next(&zi);
        for (; zs_iter_valid(&zi) && limit != 0; zs_iter_next(&zi)) {
            m = zs_iter_get(&zi, &len, &s);
            if (!(reverse ? lex_gte_min(r, m, len) : lex_lte_max(r, m, len))) break;
            if (!fn(ud, m, len, s)) break;
            if (limit > 0) limit--;
        }
    }
    zs_iter_end(&zi);
}

/* Redis's rank sanitizing: negative ranks count from the end; false when
 * nothing is left. */
bool zs_sanitize_ranks(long long size, long long *start, long long *end)
{
    if (*start < 0) *start += size;
    if (*end < 0) *end += size;
    if (*start < 0) *start = 0;
    if (*start > *end || *start >= size) return false;
    if (*end >= size) *end = size - 1;
    return true;
}
