/* Set commands: SADD, SREM, membership, random members, SMOVE, the
 * intersection / union / difference family and SSCAN.
 *
 * A set is a collection (coll.h): one sub-key per member, with an empty
 * value (docs/encoding.md), so members come in byte order. Replies and
 * errors are those of Redis 7.0; only the order of members differs (Redis's
 * is an intset's numeric order or a hash table's).
 *
 * Writes are applied on every replica, so SPOP draws its members from a
 * generator seeded by the entry's index and the command's place in it, never
 * from a clock. Commands that change keys while reading others first collect
 * what they will write: a write txn's iterator must not see the key under it
 * change (RocksDB's WriteBatchWithIndex rule). */
#include "cmd/coll.h"
#include "cmd/cursor.h"
#include "cmd/db.h"
#include "cmd/families.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ---------------------------------------------------------- */

/* Members copied out of iterators: the iterator's bytes are only valid
 * until it moves. */
typedef struct member {
    char *p;
    size_t len;
} member_t;

typedef struct mvec {
    member_t *v;
    size_t n, cap;
} mvec_t;

static void mvec_push(mvec_t *m, const char *p, size_t len)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 16;
        m->v = realloc(m->v, m->cap * sizeof(*m->v));
    }
    char *copy = malloc(len ? len : 1);
    if (len) memcpy(copy, p, len);
    m->v[m->n].p = copy;
    m->v[m->n].len = len;
    m->n++;
}

static void mvec_free(mvec_t *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i].p);
    free(m->v);
    memset(m, 0, sizeof(*m));
}

/* Every member of an open set, in byte order. */
static void set_collect(cmd_ctx_t *c, const coll_t *co, mvec_t *out)
{
    coll_iter_t *it = coll_iter_new(c, co, NULL, 0, false);
    for (; coll_iter_valid(it); coll_iter_next(it)) {
        size_t len;
        const char *m = coll_iter_sub(it, &len);
        mvec_push(out, m, len);
    }
    coll_iter_free(it);
}

/* The reply of a set-valued command: a RESP3 set, a RESP2 array. */
static void reply_members(cmd_ctx_t *c, const mvec_t *m)
{
    reply_set(c->reply, (long long)m->n);
    for (size_t i = 0; i < m->n; i++)
        reply_bulk(c->reply, m->v[i].p, m->v[i].len);
}

/* One random member (the set is not empty): coll_iter_seek_random, exactly
 * uniform up to COLL_RANDOM_WALK_MAX members, O(log N) seeks above. */
static void set_pick(cmd_ctx_t *c, const coll_t *co, coll_rng_t *g, mvec_t *out)
{
    coll_iter_t *it = coll_iter_open(c, co);
    if (coll_iter_seek_random(it, NULL, 0, g)) {
        size_t len;
        const char *m = coll_iter_sub(it, &len);
        mvec_push(out, m, len);
    }
    coll_iter_free(it);
}

/* count random members of a large set by separate draws (coll_random_cheap
 * said they beat a walk), distinct or not. False when distinct draws gave
 * up on a skewed set: the caller walks instead. */
static bool set_draw(cmd_ctx_t *c, const coll_t *co, uint64_t count, bool distinct, coll_rng_t *g,
                     mvec_t *out)
{
    coll_elems_t e = {0};
    if (!coll_random_elems(c, co, NULL, 0, count, distinct, false, g, &e)) return false;
    for (size_t i = 0; i < e.n; i++)
        mvec_push(out, e.v[i].sub, e.v[i].slen);
    coll_elems_free(&e);
    return true;
}

/* count distinct members (count < size) chosen uniformly, in one pass over
 * the set (selection sampling: each member is taken with probability
 * needed / remaining). The result is in byte order. */
static void set_sample(cmd_ctx_t *c, const coll_t *co, uint64_t count, coll_rng_t *g, mvec_t *out)
{
    uint64_t remaining = co->size, needed = count;
    coll_iter_t *it = coll_iter_new(c, co, NULL, 0, false);
    for (; needed && coll_iter_valid(it); coll_iter_next(it), remaining--) {
        if (coll_rng_below(g, remaining) < needed) {
            size_t len;
            const char *m = coll_iter_sub(it, &len);
            mvec_push(out, m, len);
            needed--;
        }
    }
    coll_iter_free(it);
}

/* Fisher-Yates, so that sampled members do not come back sorted. */
static void mvec_shuffle(mvec_t *m, coll_rng_t *g)
{
    for (size_t i = m->n; i > 1; i--) {
        size_t j = (size_t)coll_rng_below(g, i);
        member_t tmp = m->v[i - 1];
        m->v[i - 1] = m->v[j];
        m->v[j] = tmp;
    }
}

/* SRANDMEMBER's replies: an array, in RESP3 too. */
static void reply_members_array(cmd_ctx_t *c, const mvec_t *m)
{
    reply_array(c->reply, (long long)m->n);
    for (size_t i = 0; i < m->n; i++)
        reply_bulk(c->reply, m->v[i].p, m->v[i].len);
}

/* ---- SADD, SREM, SISMEMBER, SMISMEMBER, SCARD ----------------------------------- */

/* A member given twice counts once: the second lookup sees the first put
 * (the txn's overlay). */
static void saddCommand(cmd_ctx_t *c)
{
    coll_t co;
    int rc = coll_open(c, c->argv[1], c->argvlen[1], OBJ_SET, &co);
    if (rc < 0) goto out;
    if (rc == 0) coll_create(c, &co);
    long long added = 0;
    for (int j = 2; j < c->argc; j++) {
        int has = coll_has(c, &co, c->argv[j], c->argvlen[j]);
        if (has < 0) goto out;
        if (!has) {
            coll_put(c, &co, c->argv[j], c->argvlen[j], "", 0);
            co.size++;
            added++;
        }
    }
    if (added) coll_save(c, &co, true);
    reply_int(c->reply, added);
out:
    coll_release(&co);
}

/* Removing the last member removes the key (coll_save). */
static void sremCommand(cmd_ctx_t *c)
{
    coll_t co;
    int rc = coll_open(c, c->argv[1], c->argvlen[1], OBJ_SET, &co);
    if (rc <= 0) {
        if (rc == 0) reply_int(c->reply, 0);
        goto out;
    }
    long long removed = coll_del_present(c, &co, c->argv + 2, c->argvlen + 2, c->argc - 2);
    if (removed >= 0) reply_int(c->reply, removed);
out:
    coll_release(&co);
}

/* A missing key is an empty set: not a member. */
static void sismemberCommand(cmd_ctx_t *c)
{
    coll_t co;
    int rc = coll_open(c, c->argv[1], c->argvlen[1], OBJ_SET, &co);
    if (rc >= 0) {
        int has = rc ? coll_has(c, &co, c->argv[2], c->argvlen[2]) : 0;
        if (has >= 0) reply_int(c->reply, has);
    }
    coll_release(&co);
}

/* Redis 7.0 answers integers here, in RESP3 too (not booleans). The reply
 * is built aside so that a storage error mid-way leaves one error only. */
static void smismemberCommand(cmd_ctx_t *c)
{
    coll_t co;
    int rc = coll_open(c, c->argv[1], c->argvlen[1], OBJ_SET, &co);
    if (rc < 0) goto out;
    reply_t tmp;
    reply_init(&tmp, c->reply->proto);
    for (int j = 2; j < c->argc; j++) {
        int has = rc ? coll_has(c, &co, c->argv[j], c->argvlen[j]) : 0;
        if (has < 0) {
            reply_free(&tmp);
            goto out;
        }
        reply_int(&tmp, has);
    }
    reply_array(c->reply, c->argc - 2);
    reply_raw(c->reply, tmp.buf, tmp.len);
    reply_free(&tmp);
out:
    coll_release(&co);
}

/* The size is in the metadata: one lookup. */
static void scardCommand(cmd_ctx_t *c)
{
    coll_t co;
    int rc = coll_open(c, c->argv[1], c->argvlen[1], OBJ_SET, &co);
    if (rc >= 0) reply_int(c->reply, rc ? (long long)co.size : 0);
    coll_release(&co);
}

/* ---- SPOP, SRANDMEMBER -------------------------------------------------------- */

/* Redis's SPOP with a count removes members one by one while at least a
 * fifth of the count remains, else it rebuilds the set. */
#define SPOP_MOVE_STRATEGY_MUL 5

/* SPOP key [count]. The count is parsed before the key is looked up, so a
 * bad count wins over WRONGTYPE, as in Redis; a non-number gets the same
 * "must be positive" text as a negative one there. Popping everything
 * deletes the key. */
static void spopCommand(cmd_ctx_t *c)
{
    long long count = -1;
    if (c->argc > 3) {
        reply_error(c->reply, ERR_SYNTAX);
        return;
    }
    if (cmd_parse_pop_count(c, 2, &count) < 0) return;
    coll_t co;
    mvec_t m = {0};
    int rc = coll_open(c, c->argv[1], c->argvlen[1], OBJ_SET, &co);
    if (rc < 0) goto out;
    if (rc == 0 || count == 0) {
        if (count < 0)
            reply_null(c->reply);
        else
            reply_set(c->reply, 0);
        goto out;
    }
    coll_rng_t g;
    coll_rng_init(&g, c);
    bool all = count >= 0 && (unsigned long long)count >= co.size;
    if (count < 0)
        set_pick(c, &co, &g, &m);
    else if (all)
        set_collect(c, &co, &m);
    else if (!coll_random_cheap(&co, (uint64_t)count) || !set_draw(c, &co, (uint64_t)count, true, &g, &m))
        set_sample(c, &co, (uint64_t)count, &g, &m);
    if (count < 0 && m.n == 0) { /* only with a stored size that overstates the members */
        reply_null(c->reply);
        goto out;
    }
    /* popping everything deletes the key alone: its sub-keys are left to
     * the compaction filter, as for DEL */
    for (size_t i = 0; i < m.n && !all; i++)
        coll_del(c, &co, m.v[i].p, m.v[i].len);
    /* When few members remain (fewer than a fifth of the count), Redis
     * builds a new set of them (spopWithCountCommand's third case), whose
     * encoding depends on those members alone. */
    if (count > 0 && !all && (co.size - (uint64_t)count) * SPOP_MOVE_STRATEGY_MUL <= (uint64_t)count)
        co.flags &= (uint8_t)~META_COLL_BIG;
    co.size -= m.n;
    coll_save(c, &co, true);
    if (count < 0)
        reply_bulk(c->reply, m.v[0].p, m.v[0].len);
    else
        reply_members(c, &m);
out:
    mvec_free(&m);
    coll_release(&co);
}

/* The largest |count| SRANDMEMBER accepts with repetitions. Redis accepts up
 * to LONG_MAX and then builds a reply that size, which exhausts memory; a
 * node of a cluster must not fall over on one command. */
#define SRANDMEMBER_MAX_REPEAT (64LL * 1024 * 1024)

/* SRANDMEMBER key [count]: a positive count gives distinct members (all of
 * them when count >= size), a negative one -count members with repetitions.
 * A read: any randomness will do. The reply is an array, in RESP3 too. */
static void srandmemberCommand(cmd_ctx_t *c)
{
    long long count = 0;
    bool with_count = c->argc == 3;
    if (c->argc > 3) {
        reply_error(c->reply, ERR_SYNTAX);
        return;
    }
    if (with_count) {
        if (cmd_parse_ll(c->argv[2], c->argvlen[2], &count) < 0) {
            reply_error(c->reply, ERR_NOTINT);
            return;
        }
        if (count == LLONG_MIN) {
            reply_error(c->reply,
                        "ERR value is out of range, value must between -9223372036854775807 and "
                        "9223372036854775807");
            return;
        }
        if (count < -SRANDMEMBER_MAX_REPEAT) {
            reply_errorf(
                c->reply,
                "ERR value is out of range, value must between %lld and 9223372036854775807",
                -SRANDMEMBER_MAX_REPEAT);
            return;
        }
    }
    coll_t co;
    mvec_t m = {0};
    int rc = coll_open(c, c->argv[1], c->argvlen[1], OBJ_SET, &co);
    if (rc < 0) goto out;
    if (rc == 0 || (with_count && count == 0)) {
        if (with_count)
            reply_array(c->reply, 0);
        else
            reply_null(c->reply);
        goto out;
    }
    coll_rng_t g;
    coll_rng_init(&g, c);
    if (!with_count) {
        set_pick(c, &co, &g, &m);
        if (m.n)
            reply_bulk(c->reply, m.v[0].p, m.v[0].len);
        else
            reply_null(c->reply);
    } else if (count < 0 && coll_random_cheap(&co, (uint64_t)-count) &&
               set_draw(c, &co, (uint64_t)-count, false, &g, &m)) {
        /* a few draws from a large set: each its own pick */
        reply_members_array(c, &m);
    } else if (count < 0) {
        set_collect(c, &co, &m);
        reply_array(c->reply, -count);
        for (long long i = 0; i < -count; i++) {
            const member_t *e = &m.v[coll_rng_below(&g, m.n)];
            reply_bulk(c->reply, e->p, e->len);
        }
    } else {
        if ((unsigned long long)count >= co.size)
            set_collect(c, &co, &m);
        else if (!coll_random_cheap(&co, (uint64_t)count) || !set_draw(c, &co, (uint64_t)count, true, &g, &m))
            set_sample(c, &co, (uint64_t)count, &g, &m);
        mvec_shuffle(&m, &g);
        reply_members_array(c, &m);
    }
out:
    mvec_free(&m);
    coll_release(&co);
}

/* ---- SMOVE ------------------------------------------------------------------------ */

/* SMOVE source destination member, in Redis's order of checks: a missing
 * source answers 0 whatever the destination holds; then both types; a move
 * onto itself only tells whether the member is there. */
static void smoveCommand(cmd_ctx_t *c)
{
    coll_t src, dst;
    bool dst_open = false;
    const char *m = c->argv[3];
    size_t mlen = c->argvlen[3];
    int rc = coll_open(c, c->argv[1], c->argvlen[1], OBJ_SET, &src);
    if (rc <= 0) {
        if (rc == 0) {
            /* Redis still looks the destination up (an expired one goes)
             * but answers 0 whatever type it holds. */
            dbkey_t k;
            int found = db_lookup(c, c->argv[2], c->argvlen[2], &k);
            if (found >= 0) reply_int(c->reply, 0);
            db_release(&k);
        }
        goto out;
    }
    if (c->argvlen[1] == c->argvlen[2] && memcmp(c->argv[1], c->argv[2], c->argvlen[1]) == 0) {
        int has = coll_has(c, &src, m, mlen);
        if (has >= 0) reply_int(c->reply, has);
        goto out;
    }
    int drc = coll_open(c, c->argv[2], c->argvlen[2], OBJ_SET, &dst);
    dst_open = true;
    if (drc < 0) goto out;
    int has = coll_has(c, &src, m, mlen);
    if (has <= 0) {
        if (has == 0) reply_int(c->reply, 0);
        goto out;
    }
    int dhas = drc ? coll_has(c, &dst, m, mlen) : 0;
    if (dhas < 0) goto out;
    coll_del(c, &src, m, mlen);
    src.size--;
    coll_save(c, &src, true);
    if (!dhas) {
        if (drc == 0) coll_create(c, &dst);
        coll_put(c, &dst, m, mlen, "", 0);
        dst.size++;
        coll_save(c, &dst, true);
    }
    reply_int(c->reply, 1);
out:
    if (dst_open) coll_release(&dst);
    coll_release(&src);
}

/* ---- SINTER, SUNION, SDIFF and their STORE and CARD forms -------------------------- */

/* Opens the n sets named from argv[first], in argument order, so the first
 * key of another type gets WRONGTYPE before anything is computed, as in
 * Redis (a missing key before it does not stop the check). Returns the
 * array (close with sets_close) or NULL with the error replied. */
static coll_t *sets_open(cmd_ctx_t *c, int first, int n, bool *any_missing)
{
    coll_t *cos = calloc((size_t)n, sizeof(*cos));
    *any_missing = false;
    for (int i = 0; i < n; i++) {
        int rc = coll_open(c, c->argv[first + i], c->argvlen[first + i], OBJ_SET, &cos[i]);
        if (rc < 0) {
            for (int j = 0; j <= i; j++)
                coll_release(&cos[j]);
            free(cos);
            return NULL;
        }
        if (rc == 0) *any_missing = true;
    }
    return cos;
}

static void sets_close(coll_t *cos, int n)
{
    for (int i = 0; i < n; i++)
        coll_release(&cos[i]);
    free(cos);
}

/* The intersection, walking the smallest set and looking each member up in
 * the others. Members go to out (may be NULL: only counted); limit > 0 stops
 * at that many. A missing key makes it empty. Returns the count or -1
 * (storage error, replied). */
static long long set_inter(cmd_ctx_t *c, coll_t *cos, int n, bool any_missing, long long limit,
                           mvec_t *out)
{
    if (any_missing) return 0;
    int *order = malloc((size_t)n * sizeof(*order));
    for (int i = 0; i < n; i++) {
        int j = i;
        while (j > 0 && cos[order[j - 1]].size > cos[i].size) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    long long count = 0;
    coll_iter_t *it = coll_iter_new(c, &cos[order[0]], NULL, 0, false);
    for (; coll_iter_valid(it); coll_iter_next(it)) {
        size_t len;
        const char *m = coll_iter_sub(it, &len);
        bool all = true;
        for (int k = 1; k < n && all; k++) {
            int has = coll_has(c, &cos[order[k]], m, len);
            if (has < 0) {
                count = -1;
                goto done;
            }
            all = has;
        }
        if (!all) continue;
        if (out) mvec_push(out, m, len);
        if (++count == limit) break;
    }
done:
    coll_iter_free(it);
    free(order);
    return count;
}

/* Compares two members as byte strings (a prefix sorts first). */
static int member_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    int r = memcmp(a, b, al < bl ? al : bl);
    return r ? r : (al > bl) - (al < bl);
}

/* The union as a merge of the sets' sorted iterators: the smallest current
 * member is taken once and every iterator standing on it moves on. The
 * result comes sorted and without duplicates, with no hash table. */
static void set_union(cmd_ctx_t *c, coll_t *cos, int n, mvec_t *out)
{
    coll_iter_t **its = malloc((size_t)n * sizeof(*its));
    for (int i = 0; i < n; i++)
        its[i] = coll_iter_new(c, &cos[i], NULL, 0, false);
    for (;;) {
        const char *min = NULL;
        size_t minlen = 0;
        for (int i = 0; i < n; i++) {
            if (!coll_iter_valid(its[i])) continue;
            size_t len;
            const char *m = coll_iter_sub(its[i], &len);
            if (!min || member_cmp(m, len, min, minlen) < 0) {
                min = m;
                minlen = len;
            }
        }
        if (!min) break;
        mvec_push(out, min, minlen);
        const member_t *last = &out->v[out->n - 1];
        for (int i = 0; i < n; i++) {
            if (!coll_iter_valid(its[i])) continue;
            size_t len;
            const char *m = coll_iter_sub(its[i], &len);
            if (member_cmp(m, len, last->p, last->len) == 0) coll_iter_next(its[i]);
        }
    }
    for (int i = 0; i < n; i++)
        coll_iter_free(its[i]);
    free(its);
}

/* Whether Redis 7.0's SDIFFSTORE leaves its destination in the hash table
 * encoding whatever the result holds: with its second algorithm (chosen
 * when the first set is large against the others) it adds the whole first
 * set to the new intset before removing the others' members, so a member
 * that is no integer, or more than 512 members, converts it for good.
 * first_big: what set_diff found of the first set. */
static bool diff_leaves_big(const coll_t *cos, int n, bool first_big)
{
    if (!cos[0].exists || !first_big) return false;
    long long algo_one = 0, algo_two = 0;
    for (int i = 0; i < n; i++) {
        if (!cos[i].exists) continue;
        algo_one += (long long)cos[0].size;
        algo_two += (long long)cos[i].size;
    }
    return algo_one / 2 > algo_two;
}

/* The members of the first set found in none of the others. *first_big
 * tells whether the first set could not be an intset (diff_leaves_big).
 * Returns 0 or -1 (storage error, replied). */
static int set_diff(cmd_ctx_t *c, coll_t *cos, int n, mvec_t *out, bool *first_big)
{
    int rc = 0;
    *first_big = cos[0].size > COLL_SET_MAX_INTSET_ENTRIES;
    coll_iter_t *it = coll_iter_new(c, &cos[0], NULL, 0, false);
    for (; coll_iter_valid(it); coll_iter_next(it)) {
        size_t len;
        long long v;
        const char *m = coll_iter_sub(it, &len);
        if (!*first_big && cmd_parse_ll(m, len, &v) != 0) *first_big = true;
        bool found = false;
        for (int k = 1; k < n && !found; k++) {
            if (!cos[k].exists) continue;
            int has = coll_has(c, &cos[k], m, len);
            if (has < 0) {
                rc = -1;
                goto done;
            }
            found = has;
        }
        if (!found) mvec_push(out, m, len);
    }
done:
    coll_iter_free(it);
    return rc;
}

typedef enum { SETOP_INTER, SETOP_UNION, SETOP_DIFF } setop_t;

/* The six commands of the family: with store, argv[1] is the destination,
 * replaced by the result whatever it held (its TTL dropped), or deleted when
 * the result is empty; the reply is then the result's size. The result is
 * complete before the destination is touched, so a destination that is also
 * a source is read as it was. */
static void setop_generic(cmd_ctx_t *c, setop_t op, bool store)
{
    int first = store ? 2 : 1, n = c->argc - first;
    bool any_missing;
    coll_t *cos = sets_open(c, first, n, &any_missing);
    if (!cos) return;
    mvec_t m = {0};
    int rc = 0;
    bool big = false, first_big;
    if (op == SETOP_INTER) {
        rc = set_inter(c, cos, n, any_missing, 0, &m) < 0 ? -1 : 0;
    } else if (op == SETOP_UNION) {
        set_union(c, cos, n, &m);
    } else {
        rc = set_diff(c, cos, n, &m, &first_big);
        if (rc == 0) big = diff_leaves_big(cos, n, first_big);
    }
    sets_close(cos, n);
    if (rc < 0) goto out;
    if (!store) {
        reply_members(c, &m);
        goto out;
    }
    coll_t dst;
    if (coll_open_replace(c, c->argv[1], c->argvlen[1], OBJ_SET, &dst) == 0) {
        for (size_t i = 0; i < m.n; i++)
            coll_put(c, &dst, m.v[i].p, m.v[i].len, "", 0);
        dst.size = m.n;
        if (big) dst.flags |= META_COLL_BIG;
        coll_save(c, &dst, false);
        reply_int(c->reply, (long long)m.n);
    }
    coll_release(&dst);
out:
    mvec_free(&m);
}

/* Thin entry points: the table needs one proc per command. SMEMBERS is
 * SINTER of one key, as in Redis 7.0 (same replies, errors included). */
static void sinterCommand(cmd_ctx_t *c)
{
    setop_generic(c, SETOP_INTER, false);
}

static void sunionCommand(cmd_ctx_t *c)
{
    setop_generic(c, SETOP_UNION, false);
}

static void sdiffCommand(cmd_ctx_t *c)
{
    setop_generic(c, SETOP_DIFF, false);
}

static void sinterstoreCommand(cmd_ctx_t *c)
{
    setop_generic(c, SETOP_INTER, true);
}

static void sunionstoreCommand(cmd_ctx_t *c)
{
    setop_generic(c, SETOP_UNION, true);
}

static void sdiffstoreCommand(cmd_ctx_t *c)
{
    setop_generic(c, SETOP_DIFF, true);
}

/* SINTERCARD numkeys key [key ...] [LIMIT limit]: the arguments are all
 * checked before any key is looked up, so their errors win over WRONGTYPE;
 * Redis words a non-number like an out-of-range one in both checks. */
static void sintercardCommand(cmd_ctx_t *c)
{
    long long numkeys, limit = 0;
    if (cmd_parse_ll(c->argv[1], c->argvlen[1], &numkeys) < 0 || numkeys < 1) {
        reply_error(c->reply, "ERR numkeys should be greater than 0");
        return;
    }
    if (numkeys > c->argc - 2) {
        reply_error(c->reply, "ERR Number of keys can't be greater than number of args");
        return;
    }
    for (int j = 2 + (int)numkeys; j < c->argc; j++) {
        if (cmd_arg_is(c, j, "limit") && j + 1 < c->argc) {
            j++;
            if (cmd_parse_ll(c->argv[j], c->argvlen[j], &limit) < 0 || limit < 0) {
                reply_error(c->reply, "ERR LIMIT can't be negative");
                return;
            }
        } else {
            reply_error(c->reply, ERR_SYNTAX);
            return;
        }
    }
    bool any_missing;
    coll_t *cos = sets_open(c, 2, (int)numkeys, &any_missing);
    if (!cos) return;
    long long count = set_inter(c, cos, (int)numkeys, any_missing, limit, NULL);
    sets_close(cos, (int)numkeys);
    if (count >= 0) reply_int(c->reply, count);
}

/* ---- SSCAN ------------------------------------------------------------------------ */

/* Members are in byte order: a cursor (cursor.h) names the last member a
 * call visited. */
CURSOR_TABLE(sscan_cursors, 4096);

/* SSCAN key cursor [MATCH pattern] [COUNT count]: cursor_scan_coll has
 * Redis 7.0's order of checks. */
static const cursor_coll_scan_t sscan = {
    .type = OBJ_SET, .table = &sscan_cursors, .narrow = true, .emit = cursor_emit_elem};

static void sscanCommand(cmd_ctx_t *c)
{
    cursor_scan_coll(c, &sscan);
}

/* ---- the table -------------------------------------------------------------------- */

#define INTER_COMPLEXITY                                                                           \
    "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of "     \
    "sets."
#define UNION_COMPLEXITY "O(N) where N is the total number of elements in all given sets."

static const command_t set_commands[] = {
    {"sadd", saddCommand, -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "set",
     "Add one or more members to a set", "1.0.0",
     "O(1) for each element added, so O(N) to add N elements when the command is called with "
     "multiple "
     "arguments.",
     "write set fast", NULL, KEY1(KS_RW | KS_INSERT)},
    {"srem", sremCommand, -3, CMD_WRITE | CMD_FAST, 1, 1, 1, "set",
     "Remove one or more members from a set", "1.0.0",
     "O(N) where N is the number of members to be removed.", "write set fast", NULL,
     KEY1(KS_RW | KS_DELETE)},
    {"smembers", sinterCommand, 2, CMD_READONLY, 1, 1, 1, "set", "Get all the members in a set",
     "1.0.0", "O(N) where N is the set cardinality.", "read set slow", NULL,
     KEY1(KS_RO | KS_ACCESS)},
    {"sismember", sismemberCommand, 3, CMD_READONLY | CMD_FAST, 1, 1, 1, "set",
     "Determine if a given value is a member of a set", "1.0.0", "O(1)", "read set fast", NULL,
     KEY1(KS_RO)},
    {"smismember", smismemberCommand, -3, CMD_READONLY | CMD_FAST, 1, 1, 1, "set",
     "Returns the membership associated with the given elements for a set", "6.2.0",
     "O(N) where N is the number of elements being checked for membership", "read set fast", NULL,
     KEY1(KS_RO | KS_ACCESS)},
    {"scard", scardCommand, 2, CMD_READONLY | CMD_FAST, 1, 1, 1, "set",
     "Get the number of members in a set", "1.0.0", "O(1)", "read set fast", NULL, KEY1(KS_RO)},
    {"spop", spopCommand, -2, CMD_WRITE | CMD_FAST, 1, 1, 1, "set",
     "Remove and return one or multiple random members from a set", "1.0.0",
     "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
     "write set fast", NULL, KEY1(KS_RW | KS_ACCESS | KS_DELETE)},
    {"srandmember", srandmemberCommand, -2, CMD_READONLY, 1, 1, 1, "set",
     "Get one or multiple random members from a set", "1.0.0",
     "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed "
     "count.",
     "read set slow", NULL, KEY1(KS_RO | KS_ACCESS)},
    {"smove", smoveCommand, 4, CMD_WRITE | CMD_FAST, 1, 2, 1, "set",
     "Move a member from one set to another", "1.0.0", "O(1)", "write set fast", NULL,
     KEYSPECS(KS_ONE(1, KS_RW | KS_ACCESS | KS_DELETE), KS_ONE(2, KS_RW | KS_INSERT))},
    {"sinter", sinterCommand, -2, CMD_READONLY, 1, -1, 1, "set", "Intersect multiple sets", "1.0.0",
     INTER_COMPLEXITY, "read set slow", NULL, KEYSPECS(KS_RANGE(1, -1, 1, KS_RO | KS_ACCESS))},
    /* numkeys-driven keys (movablekeys in Redis): no fixed key range */
    {"sintercard", sintercardCommand, -3, CMD_READONLY | CMD_MOVABLEKEYS, 0, 0, 0, "set",
     "Intersect multiple sets and return the cardinality of the result", "7.0.0", INTER_COMPLEXITY,
     "read set slow", NULL, KEYSPECS(KS_KEYNUM(1, KS_RO | KS_ACCESS))},
    {"sunion", sunionCommand, -2, CMD_READONLY, 1, -1, 1, "set", "Add multiple sets", "1.0.0",
     UNION_COMPLEXITY, "read set slow", NULL, KEYSPECS(KS_RANGE(1, -1, 1, KS_RO | KS_ACCESS))},
    {"sdiff", sdiffCommand, -2, CMD_READONLY, 1, -1, 1, "set", "Subtract multiple sets", "1.0.0",
     UNION_COMPLEXITY, "read set slow", NULL, KEYSPECS(KS_RANGE(1, -1, 1, KS_RO | KS_ACCESS))},
    {"sinterstore", sinterstoreCommand, -3, CMD_WRITE | CMD_DENYOOM, 1, -1, 1, "set",
     "Intersect multiple sets and store the resulting set in a key", "1.0.0", INTER_COMPLEXITY,
     "write set slow", NULL,
     KEYSPECS(KS_ONE(1, KS_RW | KS_UPDATE), KS_RANGE(2, -1, 1, KS_RO | KS_ACCESS))},
    {"sunionstore", sunionstoreCommand, -3, CMD_WRITE | CMD_DENYOOM, 1, -1, 1, "set",
     "Add multiple sets and store the resulting set in a key", "1.0.0", UNION_COMPLEXITY,
     "write set slow", NULL,
     KEYSPECS(KS_ONE(1, KS_OW | KS_UPDATE), KS_RANGE(2, -1, 1, KS_RO | KS_ACCESS))},
    {"sdiffstore", sdiffstoreCommand, -3, CMD_WRITE | CMD_DENYOOM, 1, -1, 1, "set",
     "Subtract multiple sets and store the resulting set in a key", "1.0.0", UNION_COMPLEXITY,
     "write set slow", NULL,
     KEYSPECS(KS_ONE(1, KS_OW | KS_UPDATE), KS_RANGE(2, -1, 1, KS_RO | KS_ACCESS))},
    {"sscan", sscanCommand, -3, CMD_READONLY, 1, 1, 1, "set", "Incrementally iterate Set elements",
     "2.8.0",
     "O(1) for every call. O(N) for a complete iteration, including enough command calls for the "
     "cursor to return "
     "back to 0. N is the number of elements inside the collection..",
     "read set slow", NULL, KEY1(KS_RO | KS_ACCESS)},
};

/* Called once by cmd_register_data_commands(). */
void t_set_register(void)
{
    cmd_table_add(set_commands, sizeof(set_commands) / sizeof(set_commands[0]));
}
