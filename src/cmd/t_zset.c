/* Sorted set commands, part one: the storage of members (t_zset.h), ZADD
 * and ZINCRBY, ZREM, the single-member reads, and every range command
 * (by rank, score or lex; reading, counting, storing and removing), whose
 * ranges and walks are in t_zset_range.c. Set operations, pops, random
 * members and ZSCAN are in t_zset_ops.c.
 *
 * Replies and errors are byte for byte those of Redis 7.0. Arguments are
 * always parsed before the key is looked up, so a syntax error wins over
 * WRONGTYPE exactly as in Redis. Ranks are found by walking the score
 * order (O(rank)); there is no rank index yet. */
#include "cmd/t_zset.h"

#include "cmd/families.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUB_STACK 256

/* ---- storage of members ---------------------------------------------------- */

/* 'm' + member, in stack storage when it fits. */
static char *member_sub(const char *m, size_t len, char *stack, size_t *out)
{
    *out = len + 1;
    char *k = *out <= SUB_STACK ? stack : malloc(*out);
    k[0] = ZS_MEMBER;
    if (len) memcpy(k + 1, m, len);
    return k;
}

/* 's' + ordered score + member: its byte order is Redis's element order. */
static char *score_sub(double score, const char *m, size_t len, char *stack, size_t *out)
{
    *out = len + 9;
    char *k = *out <= SUB_STACK ? stack : malloc(*out);
    k[0] = ZS_SCORE;
    enc_put_double(k + 1, score);
    if (len) memcpy(k + 9, m, len);
    return k;
}

int zs_get_score(cmd_ctx_t *c, const coll_t *co, const char *m, size_t len, double *score)
{
    char stack[SUB_STACK], *val;
    size_t klen, vlen;
    char *k = member_sub(m, len, stack, &klen);
    int rc = coll_get(c, co, k, klen, &val, &vlen);
    if (k != stack) free(k);
    if (rc <= 0) return rc;
    if (vlen != 8) {
        store_free(val);
        reply_error(c->reply, "ERR corrupt sorted set member");
        return -1;
    }
    *score = enc_get_double(val);
    store_free(val);
    return 1;
}

/* Writes both sub-keys of a member (the 'm' value is its score). */
static void put_member(cmd_ctx_t *c, coll_t *co, const char *m, size_t len, double score)
{
    char stack[SUB_STACK], val[8];
    size_t klen;
    enc_put_double(val, score);
    char *k = member_sub(m, len, stack, &klen);
    coll_put(c, co, k, klen, val, 8);
    if (k != stack) free(k);
    k = score_sub(score, m, len, stack, &klen);
    coll_put(c, co, k, klen, "", 0);
    if (k != stack) free(k);
}

static void del_score_sub(cmd_ctx_t *c, coll_t *co, const char *m, size_t len, double score)
{
    char stack[SUB_STACK];
    size_t klen;
    char *k = score_sub(score, m, len, stack, &klen);
    coll_del(c, co, k, klen);
    if (k != stack) free(k);
}

void zs_insert(cmd_ctx_t *c, coll_t *co, const char *m, size_t len, double score)
{
    put_member(c, co, m, len, score);
    co->size++;
}

void zs_rescore(cmd_ctx_t *c, coll_t *co, const char *m, size_t len, double old, double score)
{
    del_score_sub(c, co, m, len, old);
    put_member(c, co, m, len, score);
}

void zs_remove(cmd_ctx_t *c, coll_t *co, const char *m, size_t len, double score)
{
    char stack[SUB_STACK];
    size_t klen;
    char *k = member_sub(m, len, stack, &klen);
    coll_del(c, co, k, klen);
    if (k != stack) free(k);
    del_score_sub(c, co, m, len, score);
    co->size--;
}

/* ---- element vectors --------------------------------------------------------- */

void zs_vec_push(zs_vec_t *vec, const char *m, size_t len, double score)
{
    if (vec->n == vec->cap) {
        vec->cap = vec->cap ? vec->cap * 2 : 16;
        vec->v = realloc(vec->v, vec->cap * sizeof(*vec->v));
    }
    zs_elem_t *e = &vec->v[vec->n++];
    e->m = malloc(len ? len : 1);
    if (len) memcpy(e->m, m, len);
    e->len = len;
    e->score = score;
}

void zs_vec_free(zs_vec_t *vec)
{
    for (size_t i = 0; i < vec->n; i++) free(vec->v[i].m);
    free(vec->v);
    memset(vec, 0, sizeof(*vec));
}

/* Redis compares members as sdscmp does: common bytes first, then length. */
int zs_member_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    size_t n = al < bl ? al : bl;
    int r = n ? memcmp(a, b, n) : 0;
    if (r) return r;
    return al < bl ? -1 : al > bl;
}

static int elem_cmp(const void *pa, const void *pb)
{
    const zs_elem_t *a = pa, *b = pb;
    if (a->score < b->score) return -1;
    if (a->score > b->score) return 1;
    return zs_member_cmp(a->m, a->len, b->m, b->len);
}

void zs_vec_sort(zs_vec_t *vec)
{
    if (vec->n > 1) qsort(vec->v, vec->n, sizeof(*vec->v), elem_cmp);
}

void zs_vec_reverse(zs_vec_t *vec)
{
    for (size_t i = 0, j = vec->n; i + 1 < j; i++, j--) {
        zs_elem_t t = vec->v[i];
        vec->v[i] = vec->v[j - 1];
        vec->v[j - 1] = t;
    }
}

/* ---- score order iteration ----------------------------------------------------- */

/* Positions an iterator on the 's' range: forward at the first sub-key >=
 * from, reverse at the last <= from. */
void zs_iter_from(cmd_ctx_t *c, const coll_t *co, bool reverse, const char *from, size_t flen, zs_iter_t *zi)
{
    zi->it = coll_iter_new(c, co, from, flen, reverse);
}

void zs_iter_start(cmd_ctx_t *c, const coll_t *co, bool reverse, zs_iter_t *zi)
{
    zi->it = coll_iter_tag(c, co, ZS_SCORE, reverse);
}

bool zs_iter_valid(zs_iter_t *zi)
{
    if (!coll_iter_valid(zi->it)) return false;
    size_t len;
    const char *sub = coll_iter_sub(zi->it, &len);
    return len >= 9 && sub[0] == ZS_SCORE;
}

const char *zs_iter_get(zs_iter_t *zi, size_t *len, double *score)
{
    size_t sl;
    const char *sub = coll_iter_sub(zi->it, &sl);
    *score = enc_get_double(sub + 1);
    *len = sl - 9;
    return sub + 9;
}

void zs_iter_next(zs_iter_t *zi)
{
    coll_iter_next(zi->it);
}

void zs_iter_end(zs_iter_t *zi)
{
    coll_iter_free(zi->it);
    zi->it = NULL;
}

/* Visitors for the walks (t_zset_range.c): every element visited goes to
 * a vec, or is counted. */
static bool collect(void *ud, const char *m, size_t len, double score)
{
    zs_vec_push(ud, m, len, score);
    return true;
}

static bool count_one(void *ud, const char *m, size_t len, double score)
{
    (*(long long *)ud)++;
    return true;
}

void zs_take_ends(cmd_ctx_t *c, const coll_t *co, bool max, long long count, zs_vec_t *out)
{
    zs_iter_t zi;
    zs_iter_start(c, co, max, &zi);
    for (; count > 0 && zs_iter_valid(&zi); count--, zs_iter_next(&zi)) {
        size_t len;
        double s;
        const char *m = zs_iter_get(&zi, &len, &s);
        zs_vec_push(out, m, len, s);
    }
    zs_iter_end(&zi);
}

/* ---- replies ------------------------------------------------------------------------ */

void zs_reply_score(cmd_ctx_t *c, double score)
{
    reply_double(c->reply, score);
}

void zs_reply_elems(cmd_ctx_t *c, const zs_vec_t *vec, bool withscores, bool nested_resp3)
{
    bool nested = withscores && nested_resp3 && c->reply->proto == 3;
    reply_array(c->reply, (long long)(withscores && !nested ? vec->n * 2 : vec->n));
    for (size_t i = 0; i < vec->n; i++) {
        if (nested) reply_array(c->reply, 2);
        reply_bulk(c->reply, vec->v[i].m, vec->v[i].len);
        if (withscores) zs_reply_score(c, vec->v[i].score);
    }
}

size_t zs_format_score(char *buf, size_t cap, double score)
{
    if (isinf(score)) {
        const char *s = score > 0 ? "inf" : "-inf";
        size_t n = strlen(s);
        memcpy(buf, s, n);
        return n;
    }
    int n = snprintf(buf, cap, "%.17g", score);
    return n > 0 ? (size_t)n : 0;
}

int zs_store(cmd_ctx_t *c, const char *key, size_t klen, const zs_vec_t *vec)
{
    coll_t co;
    if (coll_open_replace(c, key, klen, OBJ_ZSET, &co) < 0) {
        coll_release(&co);
        return -1;
    }
    for (size_t i = 0; i < vec->n; i++) zs_insert(c, &co, vec->v[i].m, vec->v[i].len, vec->v[i].score);
    coll_save(c, &co, false);
    coll_release(&co);
    return 0;
}

/* ---- ZADD / ZINCRBY ------------------------------------------------------------------- */

#define ZADD_NX (1 << 0)
#define ZADD_XX (1 << 1)
#define ZADD_GT (1 << 2)
#define ZADD_LT (1 << 3)
#define ZADD_CH (1 << 4)
#define ZADD_INCR (1 << 5)

static const char ERR_NAN[] = "ERR resulting score is not a number (NaN)";

/* The core of ZADD and ZINCRBY (which is ZADD INCR without options): all
 * scores are parsed before anything changes, so the command applies fully
 * or not at all, save an INCR that would produce NaN (a single member). */
static void zadd_generic(cmd_ctx_t *c, int flags)
{
    int si = 2;
    for (; si < c->argc; si++) {
        if (cmd_arg_is(c, si, "nx"))
            flags |= ZADD_NX;
        else if (cmd_arg_is(c, si, "xx"))
            flags |= ZADD_XX;
        else if (cmd_arg_is(c, si, "gt"))
            flags |= ZADD_GT;
        else if (cmd_arg_is(c, si, "lt"))
            flags |= ZADD_LT;
        else if (cmd_arg_is(c, si, "ch"))
            flags |= ZADD_CH;
        else if (cmd_arg_is(c, si, "incr"))
            flags |= ZADD_INCR;
        else
            break;
    }
    int elements = c->argc - si;
    if (elements % 2 || elements == 0) {
        reply_error(c->reply, ERR_SYNTAX);
        return;
    }
    elements /= 2;
    bool nx = flags & ZADD_NX, xx = flags & ZADD_XX, gt = flags & ZADD_GT, lt = flags & ZADD_LT;
    bool incr = flags & ZADD_INCR;
    if (nx && xx) {
        reply_error(c->reply, "ERR XX and NX options at the same time are not compatible");
        return;
    }
    if ((gt && nx) || (lt && nx) || (gt && lt)) {
        reply_error(c->reply, "ERR GT, LT, and/or NX options at the same time are not compatible");
        return;
    }
    if (incr && elements > 1) {
        reply_error(c->reply, "ERR INCR option supports a single increment-element pair");
        return;
    }
    double *scores = malloc(sizeof(double) * (size_t)elements);
    for (int j = 0; j < elements; j++) {
        int a = si + j * 2;
        if (cmd_parse_double(c->argv[a], c->argvlen[a], &scores[j]) < 0) {
            reply_error(c->reply, ERR_NOTFLOAT);
            free(scores);
            return;
        }
    }

    coll_t co;
    int found = coll_open(c, c->argv[1], c->argvlen[1], OBJ_ZSET, &co);
    long long added = 0, updated = 0, processed = 0;
    double score = 0;
    if (found < 0) goto done;
    if (found == 0) {
        if (xx) goto reply;
        coll_create(c, &co);
    }
    for (int j = 0; j < elements; j++) {
        const char *m = c->argv[si + j * 2 + 1];
        size_t len = c->argvlen[si + j * 2 + 1];
        score = scores[j];
        double cur;
        int has = zs_get_score(c, &co, m, len, &cur);
        if (has < 0) goto done;
        if (has) {
            if (nx) continue;
            if (incr) {
                score += cur;
                if (isnan(score)) {
                    reply_error(c->reply, ERR_NAN);
                    goto done;
                }
            }
            if ((lt && score >= cur) || (gt && score <= cur)) continue;
            processed++;
            if (score != cur) {
                zs_rescore(c, &co, m, len, cur, score);
                updated++;
            }
        } else if (!xx) {
            zs_insert(c, &co, m, len, score);
            added++;
            processed++;
        }
    }
    if (added || updated) coll_save(c, &co, true);
reply:
    if (incr) {
        if (processed)
            zs_reply_score(c, score);
        else
            reply_null(c->reply);
    } else {
        reply_int(c->reply, (flags & ZADD_CH) ? added + updated : added);
    }
done:
    coll_release(&co);
    free(scores);
}

/* ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...] */
static void zaddCommand(cmd_ctx_t *c)
{
    zadd_generic(c, 0);
}

/* ZINCRBY key increment member */
static void zincrbyCommand(cmd_ctx_t *c)
{
    zadd_generic(c, ZADD_INCR);
}

/* ---- ZREM and single-member reads ------------------------------------------------------ */

/* Every command names its sorted set by an argument: coll_open's answer
 * (1 found, 0 absent, -1 WRONGTYPE or error already replied). */
static int open_zset(cmd_ctx_t *c, int argi, coll_t *co)
{
    return coll_open(c, c->argv[argi], c->argvlen[argi], OBJ_ZSET, co);
}

/* ZREM key member [member ...] */
static void zremCommand(cmd_ctx_t *c)
{
    coll_t co;
    int found = open_zset(c, 1, &co);
    long long deleted = 0;
    if (found == 0) reply_int(c->reply, 0);
    if (found <= 0) goto done;
    for (int j = 2; j < c->argc; j++) {
        double s;
        int has = zs_get_score(c, &co, c->argv[j], c->argvlen[j], &s);
        if (has < 0) goto done;
        if (has) {
            zs_remove(c, &co, c->argv[j], c->argvlen[j], s);
            deleted++;
        }
    }
    if (deleted) coll_save(c, &co, true);
    reply_int(c->reply, deleted);
done:
    coll_release(&co);
}

/* ZSCORE key member */
static void zscoreCommand(cmd_ctx_t *c)
{
    coll_t co;
    int found = open_zset(c, 1, &co);
    double s;
    if (found == 0) reply_null(c->reply);
    if (found > 0) {
        int has = zs_get_score(c, &co, c->argv[2], c->argvlen[2], &s);
        if (has == 0) reply_null(c->reply);
        if (has > 0) zs_reply_score(c, s);
    }
    coll_release(&co);
}

/* ZMSCORE key member [member ...]: an absent key answers nulls. */
static void zmscoreCommand(cmd_ctx_t *c)
{
    coll_t co;
    int found = open_zset(c, 1, &co);
    if (found >= 0) {
        size_t off = reply_defer(c->reply);
        int j;
        for (j = 2; j < c->argc; j++) {
            double s;
            int has = found ? zs_get_score(c, &co, c->argv[j], c->argvlen[j], &s) : 0;
            if (has < 0) break;
            if (has)
                zs_reply_score(c, s);
            else
                reply_null(c->reply);
        }
        if (j == c->argc) reply_defer_array(c->reply, off, c->argc - 2);
    }
    coll_release(&co);
}

/* ZCARD key */
static void zcardCommand(cmd_ctx_t *c)
{
    coll_t co;
    int found = open_zset(c, 1, &co);
    if (found >= 0) reply_int(c->reply, (long long)co.size);
    coll_release(&co);
}

/* ZRANK / ZREVRANK: counts the members before it in the command's order. */
static void rank_generic(cmd_ctx_t *c, bool reverse)
{
    coll_t co;
    int found = open_zset(c, 1, &co);
    double s;
    int has = 0;
    if (found > 0) has = zs_get_score(c, &co, c->argv[2], c->argvlen[2], &s);
    if (found >= 0 && has >= 0) {
        if (!has) {
            reply_null(c->reply);
        } else {
            long long rank = 0;
            zs_iter_t zi;
            zs_iter_start(c, &co, reverse, &zi);
            for (; zs_iter_valid(&zi); zs_iter_next(&zi), rank++) {
                size_t len;
                double es;
                const char *m = zs_iter_get(&zi, &len, &es);
                if (es == s && len == c->argvlen[2] && memcmp(m, c->argv[2], len) == 0) break;
            }
            zs_iter_end(&zi);
            reply_int(c->reply, rank);
        }
    }
    coll_release(&co);
}

static void zrankCommand(cmd_ctx_t *c)
{
    rank_generic(c, false);
}

static void zrevrankCommand(cmd_ctx_t *c)
{
    rank_generic(c, true);
}

/* ---- counts ------------------------------------------------------------------------------- */

/* ZCOUNT key min max */
static void zcountCommand(cmd_ctx_t *c)
{
    srange_t r;
    if (zs_parse_srange(c, 2, 3, &r) < 0) return;
    coll_t co;
    int found = open_zset(c, 1, &co);
    long long n = 0;
    if (found > 0) zs_walk_score(c, &co, &r, false, 0, -1, count_one, &n);
    if (found >= 0) reply_int(c->reply, n);
    coll_release(&co);
}

/* ZLEXCOUNT key min max */
static void zlexcountCommand(cmd_ctx_t *c)
{
    lrange_t r;
    if (zs_parse_lrange(c, 2, 3, &r) < 0) return;
    coll_t co;
    int found = open_zset(c, 1, &co);
    long long n = 0;
    if (found > 0) zs_walk_lex(c, &co, &r, false, 0, -1, count_one, &n);
    if (found >= 0) reply_int(c->reply, n);
    coll_release(&co);
}

/* ---- ZRANGE and friends --------------------------------------------------------------------- */

typedef enum { RANGE_AUTO, RANGE_RANK, RANGE_SCORE, RANGE_LEX } range_type_t;
typedef enum { DIR_AUTO, DIR_FORWARD, DIR_REVERSE } range_dir_t;

/* The one parser and executor behind ZRANGE, ZRANGESTORE, ZREVRANGE,
 * Z[REV]RANGEBYSCORE and Z[REV]RANGEBYLEX, as Redis's zrangeGenericCommand:
 * argv[start] is the source key, then min and max; store: argv[1] is the
 * destination. A command that fixes the range type or direction refuses
 * the option that would change it (a syntax error). */
static void zrange_generic(cmd_ctx_t *c, int start, bool store, range_type_t type, range_dir_t dir)
{
    int mini = start + 1, maxi = start + 2;
    bool withscores = false;
    long long offset = 0, limit = -1;
    for (int j = start + 3; j < c->argc; j++) {
        int left = c->argc - j - 1;
        if (!store && cmd_arg_is(c, j, "withscores")) {
            withscores = true;
        } else if (cmd_arg_is(c, j, "limit") && left >= 2) {
            if (cmd_parse_ll(c->argv[j + 1], c->argvlen[j + 1], &offset) < 0 ||
                cmd_parse_ll(c->argv[j + 2], c->argvlen[j + 2], &limit) < 0) {
                reply_error(c->reply, ERR_NOTINT);
                return;
            }
            j += 2;
        } else if (dir == DIR_AUTO && cmd_arg_is(c, j, "rev")) {
            dir = DIR_REVERSE;
        } else if (type == RANGE_AUTO && cmd_arg_is(c, j, "bylex")) {
            type = RANGE_LEX;
        } else if (type == RANGE_AUTO && cmd_arg_is(c, j, "byscore")) {
            type = RANGE_SCORE;
        } else {
            reply_error(c->reply, ERR_SYNTAX);
            return;
        }
    }
    if (dir == DIR_AUTO) dir = DIR_FORWARD;
    if (type == RANGE_AUTO) type = RANGE_RANK;
    if (limit != -1 && type == RANGE_RANK) {
        reply_error(c->reply, "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
        return;
    }
    if (withscores && type == RANGE_LEX) {
        reply_error(c->reply, "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
        return;
    }
    bool reverse = dir == DIR_REVERSE;
    if (reverse && type != RANGE_RANK) {
        int t = mini;
        mini = maxi;
        maxi = t;
    }
    long long rs = 0, re = 0;
    srange_t sr;
    lrange_t lr;
    if (type == RANGE_RANK) {
        if (cmd_parse_ll(c->argv[mini], c->argvlen[mini], &rs) < 0 ||
            cmd_parse_ll(c->argv[maxi], c->argvlen[maxi], &re) < 0) {
            reply_error(c->reply, ERR_NOTINT);
            return;
        }
    } else if (type == RANGE_SCORE) {
        if (zs_parse_srange(c, mini, maxi, &sr) < 0) return;
    } else if (zs_parse_lrange(c, mini, maxi, &lr) < 0) {
        return;
    }

    coll_t co;
    int found = open_zset(c, start, &co);
    zs_vec_t out = {0};
    if (found < 0) goto done;
    if (found > 0) {
        if (type == RANGE_RANK) {
            if (zs_sanitize_ranks((long long)co.size, &rs, &re)) zs_walk_rank(c, &co, rs, re, reverse, &out);
        } else if (type == RANGE_SCORE) {
            zs_walk_score(c, &co, &sr, reverse, offset, limit, collect, &out);
        } else {
            zs_walk_lex(c, &co, &lr, reverse, offset, limit, collect, &out);
        }
    }
    if (store) {
        if (zs_store(c, c->argv[1], c->argvlen[1], &out) == 0) reply_int(c->reply, (long long)out.n);
    } else {
        zs_reply_elems(c, &out, withscores, true);
    }
done:
    zs_vec_free(&out);
    coll_release(&co);
}

/* ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES] */
static void zrangeCommand(cmd_ctx_t *c)
{
    zrange_generic(c, 1, false, RANGE_AUTO, DIR_AUTO);
}

/* ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] */
static void zrangestoreCommand(cmd_ctx_t *c)
{
    zrange_generic(c, 2, true, RANGE_AUTO, DIR_AUTO);
}

static void zrevrangeCommand(cmd_ctx_t *c)
{
    zrange_generic(c, 1, false, RANGE_RANK, DIR_REVERSE);
}

static void zrangebyscoreCommand(cmd_ctx_t *c)
{
    zrange_generic(c, 1, false, RANGE_SCORE, DIR_FORWARD);
}

static void zrevrangebyscoreCommand(cmd_ctx_t *c)
{
    zrange_generic(c, 1, false, RANGE_SCORE, DIR_REVERSE);
}

static void zrangebylexCommand(cmd_ctx_t *c)
{
    zrange_generic(c, 1, false, RANGE_LEX, DIR_FORWARD);
}

static void zrevrangebylexCommand(cmd_ctx_t *c)
{
    zrange_generic(c, 1, false, RANGE_LEX, DIR_REVERSE);
}

/* ---- ZREMRANGEBY* ----------------------------------------------------------------------------- */

/* The range is parsed before the key is looked up; the removed elements
 * are collected first and deleted after, so the walk never sees its own
 * deletions. */
static void zremrange_generic(cmd_ctx_t *c, range_type_t type)
{
    long long rs = 0, re = 0;
    srange_t sr;
    lrange_t lr;
    if (type == RANGE_RANK) {
        if (cmd_parse_ll(c->argv[2], c->argvlen[2], &rs) < 0 || cmd_parse_ll(c->argv[3], c->argvlen[3], &re) < 0) {
            reply_error(c->reply, ERR_NOTINT);
            return;
        }
    } else if (type == RANGE_SCORE) {
        if (zs_parse_srange(c, 2, 3, &sr) < 0) return;
    } else if (zs_parse_lrange(c, 2, 3, &lr) < 0) {
        return;
    }
    coll_t co;
    int found = open_zset(c, 1, &co);
    zs_vec_t out = {0};
    if (found == 0) reply_int(c->reply, 0);
    if (found > 0) {
        if (type == RANGE_RANK) {
            if (zs_sanitize_ranks((long long)co.size, &rs, &re)) zs_walk_rank(c, &co, rs, re, false, &out);
        } else if (type == RANGE_SCORE) {
            zs_walk_score(c, &co, &sr, false, 0, -1, collect, &out);
        } else {
            zs_walk_lex(c, &co, &lr, false, 0, -1, collect, &out);
        }
        for (size_t i = 0; i < out.n; i++) zs_remove(c, &co, out.v[i].m, out.v[i].len, out.v[i].score);
        if (out.n) coll_save(c, &co, true);
        reply_int(c->reply, (long long)out.n);
    }
    zs_vec_free(&out);
    coll_release(&co);
}

static void zremrangebyrankCommand(cmd_ctx_t *c)
{
    zremrange_generic(c, RANGE_RANK);
}

static void zremrangebyscoreCommand(cmd_ctx_t *c)
{
    zremrange_generic(c, RANGE_SCORE);
}

static void zremrangebylexCommand(cmd_ctx_t *c)
{
    zremrange_generic(c, RANGE_LEX);
}

/* ---- the command table ----------------------------------------------------------------------------- */

static const command_t zset_commands[] = {
    {"zadd", zaddCommand, -4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "sorted-set",
     "Add one or more members to a sorted set, or update its score if it already exists", "1.2.0",
     "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
     "write sortedset fast", NULL, KEY1(KS_RW | KS_UPDATE)},
    {"zincrby", zincrbyCommand, 4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "sorted-set",
     "Increment the score of a member in a sorted set", "1.2.0",
     "O(log(N)) where N is the number of elements in the sorted set.", "write sortedset fast", NULL,
     KEY1(KS_RW | KS_ACCESS | KS_UPDATE)},
    {"zrem", zremCommand, -3, CMD_WRITE | CMD_FAST, 1, 1, 1, "sorted-set",
     "Remove one or more members from a sorted set", "1.2.0",
     "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be "
     "removed.",
     "write sortedset fast", NULL, KEY1(KS_RW | KS_DELETE)},
    {"zscore", zscoreCommand, 3, CMD_READONLY | CMD_FAST, 1, 1, 1, "sorted-set",
     "Get the score associated with the given member in a sorted set", "1.2.0", "O(1)", "read sortedset fast",
     NULL, KEY1(KS_RO | KS_ACCESS)},
    {"zmscore", zmscoreCommand, -3, CMD_READONLY | CMD_FAST, 1, 1, 1, "sorted-set",
     "Get the score associated with the given members in a sorted set", "6.2.0",
     "O(N) where N is the number of members being requested.", "read sortedset fast", NULL,
     KEY1(KS_RO | KS_ACCESS)},
    {"zcard", zcardCommand, 2, CMD_READONLY | CMD_FAST, 1, 1, 1, "sorted-set",
     "Get the number of members in a sorted set", "1.2.0", "O(1)", "read sortedset fast", NULL,
     KEY1(KS_RO)},
    {"zcount", zcountCommand, 4, CMD_READONLY | CMD_FAST, 1, 1, 1, "sorted-set",
     "Count the members in a sorted set with scores within the given values", "2.0.0",
     "O(log(N)) with N being the number of elements in the sorted set.", "read sortedset fast", NULL,
     KEY1(KS_RO | KS_ACCESS)},
    {"zlexcount", zlexcountCommand, 4, CMD_READONLY | CMD_FAST, 1, 1, 1, "sorted-set",
     "Count the number of members in a sorted set between a given lexicographical range", "2.8.9",
     "O(log(N)) with N being the number of elements in the sorted set.", "read sortedset fast", NULL,
     KEY1(KS_RO | KS_ACCESS)},
    {"zrank", zrankCommand, 3, CMD_READONLY | CMD_FAST, 1, 1, 1, "sorted-set",
     "Determine the index of a member in a sorted set", "2.0.0", "O(log(N))", "read sortedset fast", NULL,
     KEY1(KS_RO | KS_ACCESS)},
    {"zrevrank", zrevrankCommand, 3, CMD_READONLY | CMD_FAST, 1, 1, 1, "sorted-set",
     "Determine the index of a member in a sorted set, with scores ordered from high to low", "2.0.0",
     "O(log(N))", "read sortedset fast", NULL, KEY1(KS_RO | KS_ACCESS)},
    {"zrange", zrangeCommand, -4, CMD_READONLY, 1, 1, 1, "sorted-set", "Return a range of members in a sorted set",
     "1.2.0",
     "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements "
     "returned.",
     "read sortedset slow", NULL, KEY1(KS_RO | KS_ACCESS)},
    {"zrangestore", zrangestoreCommand, -5, CMD_WRITE | CMD_DENYOOM, 1, 2, 1, "sorted-set",
     "Store a range of members from sorted set into another key", "6.2.0",
     "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored "
     "into the destination key.",
     "write sortedset slow", NULL,
     KEYSPECS(KS_ONE(1, KS_OW | KS_UPDATE), KS_ONE(2, KS_RO | KS_ACCESS))},
    {"zrevrange", zrevrangeCommand, -4, CMD_READONLY, 1, 1, 1, "sorted-set",
     "Return a range of members in a sorted set, by index, with scores ordered from high to low", "1.2.0",
     "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements "
     "returned.",
     "read sortedset slow", NULL, KEY1(KS_RO | KS_ACCESS)},
    {"zrangebyscore", zrangebyscoreCommand, -4, CMD_READONLY, 1, 1, 1, "sorted-set",
     "Return a range of members in a sorted set, by score", "1.0.5",
     "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being "
     "returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider "
     "it O(log(N)).",
     "read sortedset slow", NULL, KEY1(KS_RO | KS_ACCESS)},
    {"zrevrangebyscore", zrevrangebyscoreCommand, -4, CMD_READONLY, 1, 1, 1, "sorted-set",
     "Return a range of members in a sorted set, by score, with scores ordered from high to low", "2.2.0",
     "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being "
     "returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider "
     "it O(log(N)).",
     "read sortedset slow", NULL, KEY1(KS_RO | KS_ACCESS)},
    {"zrangebylex", zrangebylexCommand, -4, CMD_READONLY, 1, 1, 1, "sorted-set",
     "Return a range of members in a sorted set, by lexicographical range", "2.8.9",
     "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being "
     "returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider "
     "it O(log(N)).",
     "read sortedset slow", NULL, KEY1(KS_RO | KS_ACCESS)},
    {"zrevrangebylex", zrevrangebylexCommand, -4, CMD_READONLY, 1, 1, 1, "sorted-set",
     "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower "
     "strings.",
     "2.8.9",
     "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being "
     "returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider "
     "it O(log(N)).",
     "read sortedset slow", NULL, KEY1(KS_RO | KS_ACCESS)},
    {"zremrangebyrank", zremrangebyrankCommand, 4, CMD_WRITE, 1, 1, 1, "sorted-set",
     "Remove all members in a sorted set within the given indexes", "2.0.0",
     "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed "
     "by the operation.",
     "write sortedset slow", NULL, KEY1(KS_RW | KS_DELETE)},
    {"zremrangebyscore", zremrangebyscoreCommand, 4, CMD_WRITE, 1, 1, 1, "sorted-set",
     "Remove all members in a sorted set within the given scores", "1.2.0",
     "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed "
     "by the operation.",
     "write sortedset slow", NULL, KEY1(KS_RW | KS_DELETE)},
    {"zremrangebylex", zremrangebylexCommand, 4, CMD_WRITE, 1, 1, 1, "sorted-set",
     "Remove all members in a sorted set between the given lexicographical range", "2.8.9",
     "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed "
     "by the operation.",
     "write sortedset slow", NULL, KEY1(KS_RW | KS_DELETE)},
};

void t_zset_register(void)
{
    cmd_table_add(zset_commands, sizeof(zset_commands) / sizeof(zset_commands[0]));
    t_zset_ops_register();
}
