/* Sorted set commands, part two: the set operations (ZUNION, ZINTER, ZDIFF,
 * their STORE forms, ZINTERCARD), the pops (ZPOPMIN, ZPOPMAX, ZMPOP and the
 * command side of BZPOPMIN, BZPOPMAX, BZMPOP), ZRANDMEMBER and ZSCAN.
 *
 * Writes are deterministic functions of the state and the arguments: the
 * set operations work on copies read before the destination is written, so
 * a destination that is also a source comes out right. ZRANDMEMBER and
 * ZSCAN are reads and may use node-local state (a PRNG, a cursor table). */
#include "cmd/t_zset.h"

#include "cmd/cursor.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- sources of the set operations ------------------------------------------ */

typedef struct zsrc {
    const char *key;
    size_t klen;
    obj_type_t type; /* OBJ_NONE: absent (an empty input) */
    coll_t co;
    double weight;
} zsrc_t;

/* Opens every input as Redis looks them up: a missing key is an empty
 * input, a set counts with score 1, anything else is WRONGTYPE (replied,
 * returns -1). */
static int open_sources(cmd_ctx_t *c, zsrc_t *src, long long n, int first)
{
    for (long long i = 0; i < n; i++) {
        zsrc_t *s = &src[i];
        s->key = c->argv[first + i];
        s->klen = c->argvlen[first + i];
        s->weight = 1.0;
        dbkey_t k;
        int found = db_lookup(c, s->key, s->klen, &k);
        obj_type_t t = found > 0 ? k.meta.type : OBJ_NONE;
        db_release(&k);
        if (found < 0) return -1;
        if (t != OBJ_NONE && t != OBJ_ZSET && t != OBJ_SET) {
            reply_error(c->reply, ERR_WRONGTYPE);
            return -1;
        }
        s->type = t; /* from here on close_sources releases s->co */
        if (t != OBJ_NONE && coll_open(c, s->key, s->klen, t, &s->co) < 0) return -1;
    }
    return 0;
}

static void close_sources(zsrc_t *src, long long n)
{
    for (long long i = 0; i < n; i++)
        if (src[i].type != OBJ_NONE) coll_release(&src[i].co);
}

static uint64_t src_size(const zsrc_t *s)
{
    return s->type == OBJ_NONE ? 0 : s->co.size;
}

/* Every element of an input with its unweighted score. */
static void src_load(cmd_ctx_t *c, zsrc_t *s, zs_vec_t *out)
{
    if (s->type == OBJ_ZSET) {
        zs_take_ends(c, &s->co, false, LLONG_MAX, out);
    } else if (s->type == OBJ_SET) {
        coll_iter_t *it = coll_iter_new(c, &s->co, NULL, 0, false);
        for (; coll_iter_valid(it); coll_iter_next(it)) {
            size_t len;
            const char *m = coll_iter_sub(it, &len);
            zs_vec_push(out, m, len, 1.0);
        }
        coll_iter_free(it);
    }
}

/* Whether an input holds member m, and its unweighted score: 1, 0, or -1
 * on a storage error (replied). */
static int src_find(cmd_ctx_t *c, zsrc_t *s, const char *m, size_t len, double *score)
{
    if (s->type == OBJ_ZSET) return zs_get_score(c, &s->co, m, len, score);
    if (s->type == OBJ_NONE) return 0;
    char *val;
    size_t vlen;
    int rc = coll_get(c, &s->co, m, len, &val, &vlen);
    if (rc > 0) store_free(val);
    *score = 1.0;
    return rc;
}

/* Inputs from the smallest to the largest, equal sizes keeping their order
 * (the stable qsort of glibc that Redis runs on): the order in which
 * scores are summed, which floating point can tell. Pointers are sorted,
 * never the inputs: a coll_t may point into itself. */
static void sort_by_size(zsrc_t **src, long long n)
{
    for (long long i = 1; i < n; i++) {
        zsrc_t *t = src[i];
        long long j = i;
        for (; j > 0 && src_size(src[j - 1]) > src_size(t); j--) src[j] = src[j - 1];
        src[j] = t;
    }
}

/* ---- a member -> element index map for ZUNION ------------------------------------ */

typedef struct mmap {
    size_t *slot; /* element index + 1; 0 empty */
    size_t cap;
} mmap_t;

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h;
}

/* The slot holding m or the empty slot where it belongs. */
static size_t *mmap_find(mmap_t *mp, const zs_vec_t *vec, const char *m, size_t len)
{
    size_t i = hash_bytes(m, len) & (mp->cap - 1);
    for (;; i = (i + 1) & (mp->cap - 1)) {
        size_t *sl = &mp->slot[i];
        if (!*sl) return sl;
        const zs_elem_t *e = &vec->v[*sl - 1];
        if (e->len == len && memcmp(e->m, m, len) == 0) return sl;
    }
}

/* Keeps the load factor under a half (rehashing from vec). */
static void mmap_grow(mmap_t *mp, const zs_vec_t *vec)
{
    if ((vec->n + 1) * 2 <= mp->cap) return;
    size_t cap = mp->cap ? mp->cap * 2 : 64;
    while ((vec->n + 1) * 2 > cap) cap *= 2;
    free(mp->slot);
    mp->slot = calloc(cap, sizeof(size_t));
    mp->cap = cap;
    for (size_t i = 0; i < vec->n; i++) *mmap_find(mp, vec, vec->v[i].m, vec->v[i].len) = i + 1;
}

/* ---- ZUNION / ZINTER / ZDIFF -------------------------------------------------------------- */

typedef enum { OP_UNION, OP_INTER, OP_DIFF } setop_t;
typedef enum { AGG_SUM, AGG_MIN, AGG_MAX } agg_t;

/* Redis's aggregation: a sum of +inf and -inf is 0, and MIN/MAX keep the
 * current value against NaN. */
static void aggregate(double *target, double val, agg_t agg)
{
    if (agg == AGG_SUM) {
        *target = *target + val;
        if (isnan(*target)) *target = 0.0;
    } else if (agg == AGG_MIN) {
        *target = val < *target ? val : *target;
    } else {
        *target = val > *target ? val : *target;
    }
}

/* A weighted score: inf * 0 is NaN, which Redis takes as 0. */
static double weighted(double score, double weight)
{
    double v = score * weight;
    return isnan(v) ? 0.0 : v;
}

static void do_union(cmd_ctx_t *c, zsrc_t **src, long long n, agg_t agg, zs_vec_t *out)
{
    mmap_t mp = {0};
    zs_vec_t in = {0};
    for (long long i = 0; i < n; i++) {
        src_load(c, src[i], &in);
        for (size_t k = 0; k < in.n; k++) {
            zs_elem_t *e = &in.v[k];
            double score = weighted(e->score, src[i]->weight);
            mmap_grow(&mp, out);
            size_t *sl = mmap_find(&mp, out, e->m, e->len);
            if (*sl) {
                aggregate(&out->v[*sl - 1].score, score, agg);
            } else {
                zs_vec_push(out, e->m, e->len, score);
                *sl = out->n;
            }
        }
        zs_vec_free(&in);
    }
    free(mp.slot);
}

/* Members of the smallest input found in all the others; with limit > 0
 * (ZINTERCARD) it stops at that many. Returns -1 on a storage error. */
static int do_inter(cmd_ctx_t *c, zsrc_t **src, long long n, agg_t agg, long long limit, zs_vec_t *out,
                    long long *count)
{
    zs_vec_t in = {0};
    int rc = 0;
    src_load(c, src[0], &in);
    for (size_t k = 0; k < in.n && rc == 0; k++) {
        zs_elem_t *e = &in.v[k];
        double score = weighted(e->score, src[0]->weight);
        long long j;
        for (j = 1; j < n; j++) {
            double v;
            int has = src_find(c, src[j], e->m, e->len, &v);
            if (has < 0) rc = -1;
            if (has <= 0) break;
            aggregate(&score, v * src[j]->weight, agg);
        }
        if (j < n) continue;
        (*count)++;
        if (out) zs_vec_push(out, e->m, e->len, score);
        if (limit > 0 && *count >= limit) break;
    }
    zs_vec_free(&in);
    return rc;
}

/* Members of the first input found in none of the others, with their
 * scores in the first. */
static int do_diff(cmd_ctx_t *c, zsrc_t **src, long long n, zs_vec_t *out)
{
    zs_vec_t in = {0};
    int rc = 0;
    src_load(c, src[0], &in);
    for (size_t k = 0; k < in.n && rc == 0; k++) {
        zs_elem_t *e = &in.v[k];
        long long j;
        for (j = 1; j < n; j++) {
            double v;
            int has = src_find(c, src[j], e->m, e->len, &v);
            if (has < 0) rc = -1;
            if (has) break;
        }
        if (j == n) zs_vec_push(out, e->m, e->len, e->score);
    }
    zs_vec_free(&in);
    return rc;
}

/* The parser and executor of the set operations, as Redis's
 * zunionInterDiffGenericCommand: numkeys, then the inputs (looked up, so
 * WRONGTYPE comes before any option error), then WEIGHTS and AGGREGATE
 * (not for ZDIFF), WITHSCORES (no destination) or LIMIT (ZINTERCARD). */
static void setop_generic(cmd_ctx_t *c, const char *name, int numkeys_idx, bool store, setop_t op, bool card_only)
{
    long long setnum;
    if (cmd_parse_ll(c->argv[numkeys_idx], c->argvlen[numkeys_idx], &setnum) < 0) {
        reply_error(c->reply, ERR_NOTINT);
        return;
    }
    if (setnum < 1) {
        reply_errorf(c->reply, "ERR at least 1 input key is needed for '%s' command", name);
        return;
    }
    if (setnum > c->argc - (numkeys_idx + 1)) {
        reply_error(c->reply, ERR_SYNTAX);
        return;
    }
    zsrc_t *src = calloc((size_t)setnum, sizeof(*src));
    zs_vec_t out = {0};
    if (open_sources(c, src, setnum, numkeys_idx + 1) < 0) goto done;

    agg_t agg = AGG_SUM;
    bool withscores = false;
    long long limit = 0;
    for (int j = numkeys_idx + 1 + (int)setnum; j < c->argc;) {
        int remaining = c->argc - j;
        if (op != OP_DIFF && !card_only && remaining >= setnum + 1 && cmd_arg_is(c, j, "weights")) {
            j++;
            for (long long i = 0; i < setnum; i++, j++) {
                if (cmd_parse_double(c->argv[j], c->argvlen[j], &src[i].weight) < 0) {
                    reply_error(c->reply, "ERR weight value is not a float");
                    goto done;
                }
            }
        } else if (op != OP_DIFF && !card_only && remaining >= 2 && cmd_arg_is(c, j, "aggregate")) {
            j++;
            if (cmd_arg_is(c, j, "sum")) {
                agg = AGG_SUM;
            } else if (cmd_arg_is(c, j, "min")) {
                agg = AGG_MIN;
            } else if (cmd_arg_is(c, j, "max")) {
                agg = AGG_MAX;
            } else {
                reply_error(c->reply, ERR_SYNTAX);
                goto done;
            }
            j++;
        } else if (!store && !card_only && cmd_arg_is(c, j, "withscores")) {
            j++;
            withscores = true;
        } else if (card_only && remaining >= 2 && cmd_arg_is(c, j, "limit")) {
            j++;
            if (cmd_parse_ll(c->argv[j], c->argvlen[j], &limit) < 0 || limit < 0) {
                reply_error(c->reply, "ERR LIMIT can't be negative");
                goto done;
            }
            j++;
        } else {
            reply_error(c->reply, ERR_SYNTAX);
            goto done;
        }
    }

    long long count = 0;
    int rc = 0;
    zsrc_t **order = malloc(sizeof(*order) * (size_t)setnum);
    for (long long i = 0; i < setnum; i++) order[i] = &src[i];
    if (op == OP_DIFF) {
        rc = do_diff(c, order, setnum, &out);
    } else {
        sort_by_size(order, setnum);
        if (op == OP_UNION)
            do_union(c, order, setnum, agg, &out);
        else
            rc = do_inter(c, order, setnum, agg, limit, card_only ? NULL : &out, &count);
    }
    free(order);
    if (rc < 0) goto done;
    if (card_only) {
        reply_int(c->reply, count);
        goto done;
    }
    zs_vec_sort(&out);
    if (store) {
        if (zs_store(c, c->argv[1], c->argvlen[1], &out) == 0) reply_int(c->reply, (long long)out.n);
    } else {
        zs_reply_elems(c, &out, withscores, true);
    }
done:
    zs_vec_free(&out);
    close_sources(src, setnum);
    free(src);
}

static void zunionstoreCommand(cmd_ctx_t *c)
{
    setop_generic(c, "zunionstore", 2, true, OP_UNION, false);
}

static void zinterstoreCommand(cmd_ctx_t *c)
{
    setop_generic(c, "zinterstore", 2, true, OP_INTER, false);
}

static void zdiffstoreCommand(cmd_ctx_t *c)
{
    setop_generic(c, "zdiffstore", 2, true, OP_DIFF, false);
}

static void zunionCommand(cmd_ctx_t *c)
{
    setop_generic(c, "zunion", 1, false, OP_UNION, false);
}

static void zinterCommand(cmd_ctx_t *c)
{
    setop_generic(c, "zinter", 1, false, OP_INTER, false);
}

static void zdiffCommand(cmd_ctx_t *c)
{
    setop_generic(c, "zdiff", 1, false, OP_DIFF, false);
}

static void zintercardCommand(cmd_ctx_t *c)
{
    setop_generic(c, "zintercard", 1, false, OP_INTER, true);
}

/* ---- pops ------------------------------------------------------------------------------------ */

/* Removes up to count elements from one end of an open, live set. */
static void pop_elems(cmd_ctx_t *c, coll_t *co, bool max, long long count, zs_vec_t *out)
{
    zs_take_ends(c, co, max, count, out);
    for (size_t i = 0; i < out->n; i++) zs_remove(c, co, out->v[i].m, out->v[i].len, out->v[i].score);
    coll_save(c, co, true);
}

/* ZPOPMIN / ZPOPMAX key [count]. Without a count the reply is a flat
 * [member, score]; with one, RESP3 nests each pair. */
static void zpop_command(cmd_ctx_t *c, bool max)
{
    long long count = -1;
    if (c->argc > 3) {
        reply_error(c->reply, ERR_SYNTAX);
        return;
    }
    if (cmd_parse_pop_count(c, 2, &count) < 0) return;
    coll_t co;
    int found = coll_open(c, c->argv[1], c->argvlen[1], OBJ_ZSET, &co);
    if (found == 0 || (found > 0 && count == 0)) reply_array(c->reply, 0);
    if (found > 0 && count != 0) {
        zs_vec_t out = {0};
        pop_elems(c, &co, max, count < 0 ? 1 : count, &out);
        zs_reply_elems(c, &out, true, count >= 0);
        zs_vec_free(&out);
    }
    coll_release(&co);
}

static void zpopminCommand(cmd_ctx_t *c)
{
    zpop_command(c, false);
}

static void zpopmaxCommand(cmd_ctx_t *c)
{
    zpop_command(c, true);
}

typedef enum { POP_BZPOP, POP_MPOP } pop_reply_t;

/* Pops from the first of keys[0..n) holding elements, checking the type of
 * every existing key before it; replies as BZPOP* ([key, member, score])
 * or as ZMPOP ([key, [[member, score], ...]]). Returns 1 popped, 0 every
 * key empty (nothing replied), -1 error replied. */
static int pop_first(cmd_ctx_t *c, int first, long long n, bool max, long long count, pop_reply_t kind)
{
    for (long long i = 0; i < n; i++) {
        const char *key = c->argv[first + i];
        size_t klen = c->argvlen[first + i];
        coll_t co;
        int found = coll_open(c, key, klen, OBJ_ZSET, &co);
        if (found <= 0) {
            coll_release(&co);
            if (found < 0) return -1;
            continue;
        }
        zs_vec_t out = {0};
        pop_elems(c, &co, max, count, &out);
        coll_release(&co);
        if (kind == POP_BZPOP) {
            reply_array(c->reply, 3);
            reply_bulk(c->reply, key, klen);
            reply_bulk(c->reply, out.v[0].m, out.v[0].len);
            zs_reply_score(c, out.v[0].score);
        } else {
            reply_array(c->reply, 2);
            reply_bulk(c->reply, key, klen);
            reply_array(c->reply, (long long)out.n);
            for (size_t k = 0; k < out.n; k++) {
                reply_array(c->reply, 2);
                reply_bulk(c->reply, out.v[k].m, out.v[k].len);
                zs_reply_score(c, out.v[k].score);
            }
        }
        zs_vec_free(&out);
        return 1;
    }
    return 0;
}

/* A blocking timeout in seconds as Redis 7.0 reads it: a long double
 * times 1000 rounded up to integer ms (so 0.0001 is 1 ms, not "forever");
 * a product out of the long long range gives LLONG_MIN as the x86
 * conversion does, hence "negative" for 1e30 or inf; there is no upper
 * bound check. Returns 0 or -1 (replied). */
static int parse_timeout(cmd_ctx_t *c, int argi, int64_t *ms)
{
    long double v;
    if (cmd_parse_ld(c->argv[argi], c->argvlen[argi], &v) < 0) {
        reply_error(c->reply, "ERR timeout is not a float or out of range");
        return -1;
    }
    long double p = ceill(v * 1000.0);
    long long t = (p >= 0x1p63L || p < -0x1p63L) ? LLONG_MIN : (long long)p;
    if (t < 0) {
        reply_error(c->reply, "ERR timeout is negative");
        return -1;
    }
    *ms = t;
    return 0;
}

/* Nothing to pop: the timeout reply, and the node is told to block. */
static void block_client(cmd_ctx_t *c, int64_t timeout_ms)
{
    reply_null_array(c->reply);
    c->blocked = true;
    c->block_timeout_ms = timeout_ms;
}

/* BZPOPMIN / BZPOPMAX key [key ...] timeout */
static void bzpop_command(cmd_ctx_t *c, bool max)
{
    int64_t timeout;
    if (parse_timeout(c, c->argc - 1, &timeout) < 0) return;
    if (pop_first(c, 1, c->argc - 2, max, 1, POP_BZPOP) == 0) block_client(c, timeout);
}

static void bzpopminCommand(cmd_ctx_t *c)
{
    bzpop_command(c, false);
}

static void bzpopmaxCommand(cmd_ctx_t *c)
{
    bzpop_command(c, true);
}

/* ZMPOP numkeys key [key ...] MIN|MAX [COUNT count], and BZMPOP with the
 * timeout first (parsed after everything else, as Redis does). */
static void mpop_generic(cmd_ctx_t *c, bool blocking)
{
    int numkeys_idx = blocking ? 2 : 1;
    int64_t timeout = 0;
    long long numkeys;
    if (cmd_parse_ll(c->argv[numkeys_idx], c->argvlen[numkeys_idx], &numkeys) < 0 || numkeys < 1) {
        reply_error(c->reply, "ERR numkeys should be greater than 0");
        return;
    }
    if (numkeys >= c->argc - numkeys_idx) {
        reply_error(c->reply, ERR_SYNTAX);
        return;
    }
    int where_idx = numkeys_idx + (int)numkeys + 1;
    bool max;
    if (cmd_arg_is(c, where_idx, "min")) {
        max = false;
    } else if (cmd_arg_is(c, where_idx, "max")) {
        max = true;
    } else {
        reply_error(c->reply, ERR_SYNTAX);
        return;
    }
    long long count = -1;
    for (int j = where_idx + 1; j < c->argc; j++) {
        if (count == -1 && cmd_arg_is(c, j, "count") && j + 1 < c->argc) {
            j++;
            if (cmd_parse_ll(c->argv[j], c->argvlen[j], &count) < 0 || count < 1) {
                reply_error(c->reply, "ERR count should be greater than 0");
                return;
            }
        } else {
            reply_error(c->reply, ERR_SYNTAX);
            return;
        }
    }
    if (count == -1) count = 1;
    if (blocking && parse_timeout(c, 1, &timeout) < 0) return;
    int rc = pop_first(c, numkeys_idx + 1, numkeys, max, count, POP_MPOP);
    if (rc != 0) return;
    if (blocking)
        block_client(c, timeout);
    else
        reply_null_array(c->reply);
}

static void zmpopCommand(cmd_ctx_t *c)
{
    mpop_generic(c, false);
}

static void bzmpopCommand(cmd_ctx_t *c)
{
    mpop_generic(c, true);
}

/* ---- ZRANDMEMBER --------------------------------------------------------------------------------- */

/* A count that is a small part of a large sorted set: separate draws from
 * the member sub-keys ('m' member -> score), distinct ones shuffled. False,
 * with nothing replied, when a walk is the better way. */
static bool zrand_drawn(cmd_ctx_t *c, const coll_t *co, long long count, bool withscores, coll_rng_t *g)
{
    const char tag = ZS_MEMBER;
    uint64_t n = count < 0 ? (uint64_t)-count : (uint64_t)count;
    coll_elems_t e = {0};
    if (!coll_random_cheap(co, n) || !coll_random_elems(c, co, &tag, 1, n, count > 0, withscores, g, &e)) return false;
    zs_vec_t out = {0};
    for (size_t i = 0; i < e.n; i++) {
        const coll_elem_t *x = &e.v[i];
        zs_vec_push(&out, x->sub + 1, x->slen - 1, x->vlen == 8 ? enc_get_double(x->val) : 0);
    }
    coll_elems_free(&e);
    for (size_t i = count > 0 ? out.n : 0; i > 1; i--) { /* distinct draws come sorted */
        size_t j = (size_t)coll_rng_below(g, i);
        zs_elem_t t = out.v[i - 1];
        out.v[i - 1] = out.v[j];
        out.v[j] = t;
    }
    zs_reply_elems(c, &out, withscores, true);
    zs_vec_free(&out);
    return true;
}

/* ZRANDMEMBER key [count [WITHSCORES]]: a positive count gives distinct
 * members (all of them when count >= size), a negative one |count| picks
 * that may repeat. A read, so any randomness will do. Without a count, or
 * with one that is a small part of a large set, members are drawn from the
 * member sub-keys (coll_iter_seek_random: O(log N) seeks); otherwise the
 * set is read whole: O(N). */
static void zrandmemberCommand(cmd_ctx_t *c)
{
    long long count = 0;
    bool withscores = false, with_count = c->argc >= 3;
    if (with_count) {
        if (cmd_parse_ll(c->argv[2], c->argvlen[2], &count) < 0) {
            reply_error(c->reply, ERR_NOTINT);
            return;
        }
        if (count == LLONG_MIN) {
            reply_error(c->reply, "ERR value is out of range, value must between -9223372036854775807 and "
                                  "9223372036854775807");
            return;
        }
        if (c->argc > 4 || (c->argc == 4 && !cmd_arg_is(c, 3, "withscores"))) {
            reply_error(c->reply, ERR_SYNTAX);
            return;
        }
        if (c->argc == 4) {
            withscores = true;
            if (count < -LLONG_MAX / 2 || count > LLONG_MAX / 2) {
                reply_error(c->reply, "ERR value is out of range");
                return;
            }
        }
    }
    coll_t co;
    int found = coll_open(c, c->argv[1], c->argvlen[1], OBJ_ZSET, &co);
    if (found == 0) {
        if (with_count)
            reply_array(c->reply, 0);
        else
            reply_null(c->reply);
    }
    if (found <= 0) goto done;
    coll_rng_t g;
    coll_rng_init(&g, c);
    if (!with_count) {
        const char tag = ZS_MEMBER;
        coll_iter_t *it = coll_iter_open(c, &co);
        if (coll_iter_seek_random(it, &tag, 1, &g)) {
            size_t len;
            const char *sub = coll_iter_sub(it, &len); /* 'm' member */
            reply_bulk(c->reply, sub + 1, len - 1);
        } else {
            reply_null(c->reply);
        }
        coll_iter_free(it);
        goto done;
    }
    if (count != 0 && (count < 0 || (unsigned long long)count < co.size) &&
        zrand_drawn(c, &co, count, withscores, &g))
        goto done;
    zs_vec_t all = {0}, out = {0};
    zs_take_ends(c, &co, false, LLONG_MAX, &all);
    if (all.n == 0) { /* only with a stored size that overstates the members */
        reply_array(c->reply, 0);
    } else if (count < 0) {
        for (long long i = 0; i < -count; i++) {
            zs_elem_t *e = &all.v[coll_rng_below(&g, all.n)];
            zs_vec_push(&out, e->m, e->len, e->score);
        }
        zs_reply_elems(c, &out, withscores, true);
    } else {
        /* a partial Fisher-Yates shuffle: the first count are the pick */
        size_t n = (unsigned long long)count < all.n ? (size_t)count : all.n;
        for (size_t i = 0; i < n; i++) {
            size_t j = i + (size_t)coll_rng_below(&g, all.n - i);
            zs_elem_t t = all.v[i];
            all.v[i] = all.v[j];
            all.v[j] = t;
        }
        zs_vec_t pick = {all.v, n, n};
        zs_reply_elems(c, &pick, withscores, true);
    }
    zs_vec_free(&out);
    zs_vec_free(&all);
done:
    coll_release(&co);
}

/* ---- ZSCAN ------------------------------------------------------------------------------------------ */

/* ZSCAN walks the members ('m' sub-keys) in byte order. A set of up to
 * 128 members is answered whole with cursor 0, as Redis answers its small
 * (listpack) sets. For larger sets a cursor (cursor.h) names the last
 * member a call visited. The walk is not narrowed to a pattern's prefix. */
CURSOR_TABLE(zscan_cursors, 1024);

static long long zscan_emit(reply_t *items, const char *m, size_t len, const char *val, size_t vlen)
{
    char buf[64];
    size_t n = vlen == 8 ? zs_format_score(buf, sizeof(buf), enc_get_double(val)) : 0;
    reply_bulk(items, m, len);
    reply_bulk(items, buf, n);
    return 2;
}

static const cursor_coll_scan_t zscan = {.type = OBJ_ZSET,
                                         .table = &zscan_cursors,
                                         .tag = ZS_MEMBER,
                                         .whole = 128,
                                         .emit = zscan_emit};

/* ZSCAN key cursor [MATCH pattern] [COUNT count] */
static void zscanCommand(cmd_ctx_t *c)
{
    cursor_scan_coll(c, &zscan);
}

/* ---- the command table ------------------------------------------------------------------------------- */

static const command_t zset_ops_commands[] = {
    {"zunionstore", zunionstoreCommand, -4, CMD_WRITE | CMD_DENYOOM | CMD_MOVABLEKEYS, 1, 1, 1, "sorted-set",
     "Add multiple sorted sets and store the resulting sorted set in a new key", "2.0.0",
     "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of "
     "elements in the resulting sorted set.",
     "write sortedset slow", NULL,
     KEYSPECS(KS_ONE(1, KS_OW | KS_UPDATE), KS_KEYNUM(2, KS_RO | KS_ACCESS))},
    {"zinterstore", zinterstoreCommand, -4, CMD_WRITE | CMD_DENYOOM | CMD_MOVABLEKEYS, 1, 1, 1, "sorted-set",
     "Intersect multiple sorted sets and store the resulting sorted set in a new key", "2.0.0",
     "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input "
     "sorted sets and M being the number of elements in the resulting sorted set.",
     "write sortedset slow", NULL,
     KEYSPECS(KS_ONE(1, KS_OW | KS_UPDATE), KS_KEYNUM(2, KS_RO | KS_ACCESS))},
    {"zdiffstore", zdiffstoreCommand, -4, CMD_WRITE | CMD_DENYOOM | CMD_MOVABLEKEYS, 1, 1, 1, "sorted-set",
     "Subtract multiple sorted sets and store the resulting sorted set in a new key", "6.2.0",
     "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of "
     "the first set, and K is the size of the result set.",
     "write sortedset slow", NULL,
     KEYSPECS(KS_ONE(1, KS_OW | KS_UPDATE), KS_KEYNUM(2, KS_RO | KS_ACCESS))},
    {"zunion", zunionCommand, -3, CMD_READONLY | CMD_MOVABLEKEYS, 0, 0, 0, "sorted-set", "Add multiple sorted sets", "6.2.0",
     "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of "
     "elements in the resulting sorted set.",
     "read sortedset slow", NULL, KEYSPECS(KS_KEYNUM(1, KS_RO | KS_ACCESS))},
    {"zinter", zinterCommand, -3, CMD_READONLY | CMD_MOVABLEKEYS, 0, 0, 0, "sorted-set", "Intersect multiple sorted sets", "6.2.0",
     "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input "
     "sorted sets and M being the number of elements in the resulting sorted set.",
     "read sortedset slow", NULL, KEYSPECS(KS_KEYNUM(1, KS_RO | KS_ACCESS))},
    {"zdiff", zdiffCommand, -3, CMD_READONLY | CMD_MOVABLEKEYS, 0, 0, 0, "sorted-set", "Subtract multiple sorted sets", "6.2.0",
     "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of "
     "the first set, and K is the size of the result set.",
     "read sortedset slow", NULL, KEYSPECS(KS_KEYNUM(1, KS_RO | KS_ACCESS))},
    {"zintercard", zintercardCommand, -3, CMD_READONLY | CMD_MOVABLEKEYS, 0, 0, 0, "sorted-set",
     "Intersect multiple sorted sets and return the cardinality of the result", "7.0.0",
     "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
     "read sortedset slow", NULL, KEYSPECS(KS_KEYNUM(1, KS_RO | KS_ACCESS))},
    {"zpopmin", zpopminCommand, -2, CMD_WRITE | CMD_FAST, 1, 1, 1, "sorted-set",
     "Remove and return members with the lowest scores in a sorted set", "5.0.0",
     "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements "
     "popped.",
     "write sortedset fast", NULL, KEY1(KS_RW | KS_ACCESS | KS_DELETE)},
    {"zpopmax", zpopmaxCommand, -2, CMD_WRITE | CMD_FAST, 1, 1, 1, "sorted-set",
     "Remove and return members with the highest scores in a sorted set", "5.0.0",
     "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements "
     "popped.",
     "write sortedset fast", NULL, KEY1(KS_RW | KS_ACCESS | KS_DELETE)},
    {"zmpop", zmpopCommand, -4, CMD_WRITE | CMD_MOVABLEKEYS, 0, 0, 0, "sorted-set",
     "Remove and return members with scores in a sorted set", "7.0.0",
     "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted "
     "set, and M being the number of elements popped.",
     "write sortedset slow", NULL, KEYSPECS(KS_KEYNUM(1, KS_RW | KS_ACCESS | KS_DELETE))},
    {"bzpopmin", bzpopminCommand, -3, CMD_WRITE | CMD_FAST | CMD_NOSCRIPT | CMD_BLOCKING, 1, -2, 1, "sorted-set",
     "Remove and return the member with the lowest score from one or more sorted sets, or block until one is "
     "available",
     "5.0.0", "O(log(N)) with N being the number of elements in the sorted set.", "write sortedset fast blocking",
     NULL, KEYSPECS(KS_RANGE(1, -2, 1, KS_RW | KS_ACCESS | KS_DELETE))},
    {"bzpopmax", bzpopmaxCommand, -3, CMD_WRITE | CMD_FAST | CMD_NOSCRIPT | CMD_BLOCKING, 1, -2, 1, "sorted-set",
     "Remove and return the member with the highest score from one or more sorted sets, or block until one is "
     "available",
     "5.0.0", "O(log(N)) with N being the number of elements in the sorted set.", "write sortedset fast blocking",
     NULL, KEYSPECS(KS_RANGE(1, -2, 1, KS_RW | KS_ACCESS | KS_DELETE))},
    {"bzmpop", bzmpopCommand, -5, CMD_WRITE | CMD_BLOCKING | CMD_MOVABLEKEYS, 0, 0, 0, "sorted-set",
     "Remove and return members with scores in a sorted set or block until one is available", "7.0.0",
     "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted "
     "set, and M being the number of elements popped.",
     "write sortedset slow blocking", NULL, KEYSPECS(KS_KEYNUM(2, KS_RW | KS_ACCESS | KS_DELETE))},
    {"zrandmember", zrandmemberCommand, -2, CMD_READONLY, 1, 1, 1, "sorted-set",
     "Get one or multiple random elements from a sorted set", "6.2.0",
     "O(N) where N is the number of elements returned", "read sortedset slow", NULL,
     KEY1(KS_RO | KS_ACCESS)},
    {"zscan", zscanCommand, -3, CMD_READONLY, 1, 1, 1, "sorted-set",
     "Incrementally iterate sorted sets elements and associated scores", "2.8.0",
     "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to "
     "return back to 0. N is the number of elements inside the collection..",
     "read sortedset slow", NULL, KEY1(KS_RO | KS_ACCESS)},
};

void t_zset_ops_register(void)
{
    cmd_table_add(zset_ops_commands, sizeof(zset_ops_commands) / sizeof(zset_ops_commands[0]));
}
