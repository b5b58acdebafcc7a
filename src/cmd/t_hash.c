/* Hash commands: HSET and friends, counters, whole-hash reads, HRANDFIELD
 * and HSCAN.
 *
 * A hash is a collection (coll.h): one sub-key per field, holding the
 * field's value, so every single-field command is one point lookup and the
 * field order of HKEYS/HVALS/HGETALL/HSCAN is the fields' byte order (Redis's
 * order is unspecified). Replies and errors are byte for byte those of Redis
 * 7.0. Writes are deterministic: none of them needs randomness or a clock,
 * and a hash keeps its TTL across every change of its fields. */
#include "cmd/coll.h"
#include "cmd/cursor.h"
#include "cmd/db.h"
#include "cmd/families.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every hash command names its key in argv[1]. */
static int open_hash(cmd_ctx_t *c, coll_t *co)
{
    return coll_open(c, c->argv[1], c->argvlen[1], OBJ_HASH, co);
}

/* ---- HSET, HMSET, HSETNX, HDEL --------------------------------------------- */

/* HSET answers how many fields are new, HMSET just OK. The arity of the
 * table cannot say "pairs", so an odd count gets the arity error here. A
 * field named twice is written twice (the last value wins) and counted once,
 * because the second lookup sees the first put. */
static void hset_generic(cmd_ctx_t *c, bool hmset)
{
    if (c->argc % 2 == 1) {
        reply_wrong_arity(c->reply, hmset ? "hmset" : "hset");
        return;
    }
    coll_t co;
    int rc = open_hash(c, &co);
    if (rc < 0) goto out;
    if (rc == 0) coll_create(c, &co);
    long long created = 0;
    for (int j = 2; j < c->argc; j += 2) {
        int had = coll_has(c, &co, c->argv[j], c->argvlen[j]);
        if (had < 0) goto out;
        coll_put(c, &co, c->argv[j], c->argvlen[j], c->argv[j + 1], c->argvlen[j + 1]);
        if (!had) {
            created++;
            co.size++;
        }
    }
    coll_save(c, &co, true);
    if (hmset)
        reply_ok(c->reply);
    else
        reply_int(c->reply, created);
out:
    coll_release(&co);
}

static void hsetCommand(cmd_ctx_t *c)
{
    hset_generic(c, false);
}

static void hmsetCommand(cmd_ctx_t *c)
{
    hset_generic(c, true);
}

/* An existing field is left alone and nothing is written, so HSETNX on a
 * present field costs no write at all. */
static void hsetnxCommand(cmd_ctx_t *c)
{
    coll_t co;
    int rc = open_hash(c, &co);
    if (rc < 0) goto out;
    if (rc > 0) {
        int had = coll_has(c, &co, c->argv[2], c->argvlen[2]);
        if (had < 0) goto out;
        if (had) {
            reply_int(c->reply, 0);
            goto out;
        }
    } else {
        coll_create(c, &co);
    }
    coll_put(c, &co, c->argv[2], c->argvlen[2], c->argv[3], c->argvlen[3]);
    co.size++;
    coll_save(c, &co, true);
    reply_int(c->reply, 1);
out:
    coll_release(&co);
}

/* A field named twice is deleted once; the hash disappears with its last
 * field (coll_save deletes the key at size 0, as Redis does). */
static void hdelCommand(cmd_ctx_t *c)
{
    coll_t co;
    int rc = open_hash(c, &co);
    if (rc <= 0) {
        if (rc == 0) reply_int(c->reply, 0);
        goto out;
    }
    long long deleted = coll_del_present(c, &co, c->argv + 2, c->argvlen + 2, c->argc - 2);
    if (deleted >= 0) reply_int(c->reply, deleted);
out:
    coll_release(&co);
}

/* ---- HGET, HMGET, HLEN, HSTRLEN, HEXISTS ----------------------------------- */

/* A missing key and a missing field are both nil. */
static void hgetCommand(cmd_ctx_t *c)
{
    coll_t co;
    int rc = open_hash(c, &co);
    if (rc == 0) reply_null(c->reply);
    if (rc > 0) {
        char *v;
        size_t vlen;
        int found = coll_get(c, &co, c->argv[2], c->argvlen[2], &v, &vlen);
        if (found > 0) {
            reply_bulk(c->reply, v, vlen);
            store_free(v);
        } else if (found == 0) {
            reply_null(c->reply);
        }
    }
    coll_release(&co);
}

/* Unlike MGET, HMGET on a key of another type is an error, as in Redis. */
static void hmgetCommand(cmd_ctx_t *c)
{
    coll_t co;
    int rc = open_hash(c, &co);
    if (rc < 0) goto out;
    reply_array(c->reply, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        char *v;
        size_t vlen;
        int found = rc > 0 ? coll_get(c, &co, c->argv[j], c->argvlen[j], &v, &vlen) : 0;
        if (found > 0) {
            reply_bulk(c->reply, v, vlen);
            store_free(v);
        } else if (found == 0) {
            reply_null(c->reply);
        } /* < 0: the error stands in for this element */
    }
out:
    coll_release(&co);
}

/* The size is in the metadata: no sub-key is read. */
static void hlenCommand(cmd_ctx_t *c)
{
    coll_t co;
    int rc = open_hash(c, &co);
    if (rc >= 0) reply_int(c->reply, rc > 0 ? (long long)co.size : 0);
    coll_release(&co);
}

/* Both HSTRLEN and HEXISTS answer 0 for a missing key or field. */
static void hstrlen_exists(cmd_ctx_t *c, bool strlen_of)
{
    coll_t co;
    int rc = open_hash(c, &co);
    if (rc == 0) reply_int(c->reply, 0);
    if (rc > 0) {
        char *v;
        size_t vlen = 0;
        int found = coll_get(c, &co, c->argv[2], c->argvlen[2], &v, &vlen);
        if (found > 0) store_free(v);
        if (found >= 0) reply_int(c->reply, strlen_of ? (long long)(found ? vlen : 0) : found);
    }
    coll_release(&co);
}

static void hstrlenCommand(cmd_ctx_t *c)
{
    hstrlen_exists(c, true);
}

static void hexistsCommand(cmd_ctx_t *c)
{
    hstrlen_exists(c, false);
}

/* ---- HKEYS, HVALS, HGETALL ------------------------------------------------- */

#define WANT_FIELDS 1
#define WANT_VALUES 2

/* One walk over the fields in byte order. The header is written after the
 * elements with the count actually seen, so the reply is well formed even
 * if the stored size were ever wrong. HGETALL is a map in RESP3. */
static void getall_generic(cmd_ctx_t *c, int what)
{
    coll_t co;
    int rc = open_hash(c, &co);
    if (rc < 0) goto out;
    size_t off = reply_defer(c->reply);
    long long n = 0;
    coll_iter_t *it = coll_iter_new(c, &co, NULL, 0, false);
    for (; coll_iter_valid(it); coll_iter_next(it)) {
        size_t len;
        if (what & WANT_FIELDS) {
            const char *f = coll_iter_sub(it, &len);
            reply_bulk(c->reply, f, len);
        }
        if (what & WANT_VALUES) {
            const char *v = coll_iter_value(it, &len);
            reply_bulk(c->reply, v, len);
        }
        n++;
    }
    coll_iter_free(it);
    if (what == (WANT_FIELDS | WANT_VALUES))
        reply_defer_map(c->reply, off, n);
    else
        reply_defer_array(c->reply, off, n);
out:
    coll_release(&co);
}

static void hkeysCommand(cmd_ctx_t *c)
{
    getall_generic(c, WANT_FIELDS);
}

static void hvalsCommand(cmd_ctx_t *c)
{
    getall_generic(c, WANT_VALUES);
}

static void hgetallCommand(cmd_ctx_t *c)
{
    getall_generic(c, WANT_FIELDS | WANT_VALUES);
}

/* ---- HINCRBY, HINCRBYFLOAT ------------------------------------------------- */

/* Looks the field up for a counter, creating the hash when missing. found:
 * whether the field exists, its value in *v (owned). Returns 0, or -1 after
 * replying. */
static int counter_field(cmd_ctx_t *c, coll_t *co, char **v, size_t *vlen, int *found)
{
    int rc = open_hash(c, co);
    *found = 0;
    if (rc < 0) return -1;
    if (rc == 0) {
        coll_create(c, co);
        return 0;
    }
    *found = coll_get(c, co, c->argv[2], c->argvlen[2], v, vlen);
    return *found < 0 ? -1 : 0;
}

/* Stores the counter's new text and adjusts the size for a new field. */
static void counter_store(cmd_ctx_t *c, coll_t *co, int found, const char *buf, size_t n)
{
    coll_put(c, co, c->argv[2], c->argvlen[2], buf, n);
    if (!found) co->size++;
    coll_save(c, co, true);
}

/* The increment is checked before the key, and overflow is refused rather
 * than wrapped; a missing field counts from 0. */
static void hincrbyCommand(cmd_ctx_t *c)
{
    long long incr, value = 0;
    if (cmd_parse_ll(c->argv[3], c->argvlen[3], &incr) < 0) {
        reply_error(c->reply, ERR_NOTINT);
        return;
    }
    coll_t co;
    char *v = NULL;
    size_t vlen;
    int found;
    if (counter_field(c, &co, &v, &vlen, &found) < 0) goto out;
    if (found && cmd_parse_ll(v, vlen, &value) < 0) {
        reply_error(c->reply, "ERR hash value is not an integer");
        goto out;
    }
    if (cmd_incr_ll(c, &value, incr) < 0) goto out;
    char buf[24];
    int n = snprintf(buf, sizeof(buf), "%lld", value);
    counter_store(c, &co, found, buf, (size_t)n);
    reply_int(c->reply, value);
out:
    if (v) store_free(v);
    coll_release(&co);
}

/* As INCRBYFLOAT: long double arithmetic, the result stored and replied as
 * its %.17Lf text with trailing zeros stripped, which is the same on every
 * replica running the same binary. Redis 7.0 refuses an infinite increment
 * outright, before it looks at the key. */
static void hincrbyfloatCommand(cmd_ctx_t *c)
{
    long double incr, value = 0;
    if (cmd_parse_ld(c->argv[3], c->argvlen[3], &incr) < 0) {
        reply_error(c->reply, ERR_NOTFLOAT);
        return;
    }
    if (isnan(incr) || isinf(incr)) {
        reply_error(c->reply, "ERR value is NaN or Infinity");
        return;
    }
    coll_t co;
    char *v = NULL;
    size_t vlen;
    int found;
    if (counter_field(c, &co, &v, &vlen, &found) < 0) goto out;
    if (found && cmd_parse_ld(v, vlen, &value) < 0) {
        reply_error(c->reply, "ERR hash value is not a float");
        goto out;
    }
    char buf[CMD_LONG_DOUBLE_CHARS];
    int n = cmd_incr_long_double(c, value, incr, buf, sizeof(buf));
    if (n < 0) goto out;
    counter_store(c, &co, found, buf, (size_t)n);
    reply_bulk(c->reply, buf, (size_t)n);
out:
    if (v) store_free(v);
    coll_release(&co);
}

/* ---- HRANDFIELD ------------------------------------------------------------ */

/* A field and value copied out of an iterator. */
typedef struct fv {
    char *f, *v;
    size_t flen, vlen;
} fv_t;

static void fv_copy(fv_t *e, coll_iter_t *it)
{
    const char *f = coll_iter_sub(it, &e->flen), *v = coll_iter_value(it, &e->vlen);
    e->f = malloc(e->flen + e->vlen + 1);
    e->v = e->f + e->flen;
    memcpy(e->f, f, e->flen);
    memcpy(e->v, v, e->vlen);
}

/* In RESP3 a pair is a two-element array of its own; in RESP2 the pairs
 * are flattened. */
static void reply_pick(cmd_ctx_t *c, const fv_t *e, bool withvalues)
{
    if (withvalues && c->reply->proto == 3) reply_array(c->reply, 2);
    reply_bulk(c->reply, e->f, e->flen);
    if (withvalues) reply_bulk(c->reply, e->v, e->vlen);
}

/* The header of a reply of n picks. */
static void reply_picks_header(cmd_ctx_t *c, uint64_t n, bool withvalues)
{
    reply_array(c->reply, (long long)(withvalues && c->reply->proto == 2 ? n * 2 : n));
}

/* Without a count, or with one that is a small part of a large hash, the
 * fields are drawn one by one (coll_iter_seek_random: O(log N) seeks).
 * Larger counts walk the fields once in order, at most up to the last
 * position they need: elements cannot be reached by position. */

/* A count at least the hash's size: the whole hash, in field order. */
static void rand_all(cmd_ctx_t *c, coll_t *co, bool withvalues)
{
    reply_picks_header(c, co->size, withvalues);
    uint64_t n = 0;
    coll_iter_t *it = coll_iter_new(c, co, NULL, 0, false);
    for (; coll_iter_valid(it) && n < co->size; coll_iter_next(it), n++) {
        fv_t e;
        e.f = (char *)coll_iter_sub(it, &e.flen);
        e.v = (char *)coll_iter_value(it, &e.vlen);
        reply_pick(c, &e, withvalues);
    }
    coll_iter_free(it);
    /* a size that overstated the fields would leave the array short: pad it
     * rather than send a malformed reply */
    for (; n < co->size; n++) {
        fv_t e = {"", "", 0, 0};
        reply_pick(c, &e, withvalues);
    }
}

/* A positive count below the size: distinct fields, each subset equally
 * likely (selection sampling, Knuth's algorithm S, in one pass), replied in
 * a shuffled order. */
static void rand_distinct(cmd_ctx_t *c, coll_t *co, uint64_t count, bool withvalues, coll_rng_t *g)
{
    fv_t *pick = calloc(count, sizeof(*pick));
    uint64_t got = 0, seen = 0;
    coll_iter_t *it = coll_iter_new(c, co, NULL, 0, false);
    for (; coll_iter_valid(it) && got < count && seen < co->size; coll_iter_next(it), seen++)
        if (coll_rng_below(g, co->size - seen) < count - got) fv_copy(&pick[got++], it);
    coll_iter_free(it);
    for (uint64_t i = got; i > 1; i--) {
        uint64_t j = coll_rng_below(g, i);
        fv_t tmp = pick[i - 1];
        pick[i - 1] = pick[j];
        pick[j] = tmp;
    }
    reply_picks_header(c, got, withvalues);
    for (uint64_t i = 0; i < got; i++) {
        reply_pick(c, &pick[i], withvalues);
        free(pick[i].f);
    }
    free(pick);
}

typedef struct draw {
    uint64_t pos; /* the field's position in byte order */
    uint64_t i;   /* the draw's place in the reply */
} draw_t;

static int draw_by_pos(const void *a, const void *b)
{
    const draw_t *x = a, *y = b;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* A negative count: n independent draws, repeats allowed. When there are
 * at least as many draws as fields, the fields are loaded once and each
 * draw is an index; otherwise the draws are sorted by position so that one
 * walk serves them all, each field drawn copied once however often it was
 * drawn. Either way the memory is O(min(n, size)) besides the reply. */
static void rand_repeats(cmd_ctx_t *c, coll_t *co, uint64_t n, bool withvalues, coll_rng_t *g)
{
    fv_t none = {"", "", 0, 0};
    if (n >= co->size) {
        fv_t *all = calloc(co->size, sizeof(*all));
        uint64_t nf = 0;
        coll_iter_t *it = coll_iter_new(c, co, NULL, 0, false);
        for (; coll_iter_valid(it) && nf < co->size; coll_iter_next(it))
            fv_copy(&all[nf++], it);
        coll_iter_free(it);
        reply_picks_header(c, n, withvalues);
        for (uint64_t i = 0; i < n; i++)
            reply_pick(c, nf ? &all[coll_rng_below(g, nf)] : &none, withvalues);
        for (uint64_t i = 0; i < nf; i++)
            free(all[i].f);
        free(all);
        return;
    }
    draw_t *d = malloc(n * sizeof(*d));
    uint64_t *slot = malloc(n * sizeof(*slot)); /* draw -> index in fields */
    for (uint64_t i = 0; i < n; i++) {
        d[i].pos = coll_rng_below(g, co->size);
        d[i].i = i;
    }
    qsort(d, n, sizeof(*d), draw_by_pos);
    fv_t *fields = calloc(n, sizeof(*fields));
    uint64_t nf = 0, j = 0, pos = 0;
    coll_iter_t *it = coll_iter_new(c, co, NULL, 0, false);
    for (; coll_iter_valid(it) && j < n; coll_iter_next(it), pos++) {
        if (d[j].pos != pos) continue;
        fv_copy(&fields[nf], it);
        for (; j < n && d[j].pos == pos; j++)
            slot[d[j].i] = nf;
        nf++;
    }
    coll_iter_free(it);
    for (; j < n; j++)
        slot[d[j].i] = UINT64_MAX; /* only with a wrong stored size */
    reply_picks_header(c, n, withvalues);
    for (uint64_t i = 0; i < n; i++)
        reply_pick(c, slot[i] == UINT64_MAX ? &none : &fields[slot[i]], withvalues);
    for (uint64_t i = 0; i < nf; i++)
        free(fields[i].f);
    free(fields);
    free(slot);
    free(d);
}

/* A count that is a small part of a large hash: separate draws
 * (coll_random_elems) instead of a walk, distinct ones shuffled. Returns
 * false, having replied nothing, when the walk is the better way or the
 * distinct draws gave up. */
static bool rand_drawn(cmd_ctx_t *c, coll_t *co, long long count, bool withvalues, coll_rng_t *g)
{
    uint64_t n = count < 0 ? (uint64_t)-count : (uint64_t)count;
    coll_elems_t e = {0};
    if (!coll_random_cheap(co, n) || !coll_random_elems(c, co, NULL, 0, n, count > 0, withvalues, g, &e)) return false;
    for (size_t i = count > 0 ? e.n : 0; i > 1; i--) { /* distinct draws come sorted */
        size_t j = (size_t)coll_rng_below(g, i);
        coll_elem_t tmp = e.v[i - 1];
        e.v[i - 1] = e.v[j];
        e.v[j] = tmp;
    }
    reply_picks_header(c, e.n, withvalues);
    for (size_t i = 0; i < e.n; i++) {
        fv_t f = {e.v[i].sub, e.v[i].val, e.v[i].slen, e.v[i].vlen};
        reply_pick(c, &f, withvalues);
    }
    coll_elems_free(&e);
    return true;
}

/* The most draws a negative count may ask for: a reply of at least 7 bytes
 * a draw, so up to about 1 GB. */
#define HRANDFIELD_MAX_REPEATS (128LL * 1024 * 1024)

/* HRANDFIELD key [count [WITHVALUES]], checked in Redis's order: the count,
 * the options, then the key; a count of 0 still checks the key's type. With
 * WITHVALUES the count must leave room to double it. */
static void hrandfieldCommand(cmd_ctx_t *c)
{
    long long count = 0;
    bool withvalues = false, has_count = c->argc >= 3;
    if (has_count) {
        if (cmd_parse_ll(c->argv[2], c->argvlen[2], &count) < 0) {
            reply_error(c->reply, ERR_NOTINT);
            return;
        }
        if (count < -LLONG_MAX) {
            reply_errorf(c->reply, "ERR value is out of range, value must between %lld and %lld", -LLONG_MAX,
                         LLONG_MAX);
            return;
        }
        if (c->argc > 4 || (c->argc == 4 && !cmd_arg_is(c, 3, "withvalues"))) {
            reply_error(c->reply, ERR_SYNTAX);
            return;
        }
        withvalues = c->argc == 4;
        if (withvalues && (count < -LLONG_MAX / 2 || count > LLONG_MAX / 2)) {
            reply_error(c->reply, "ERR value is out of range");
            return;
        }
    }
    coll_t co;
    int rc = open_hash(c, &co);
    if (rc < 0) goto out;
    if (rc > 0 && count < -HRANDFIELD_MAX_REPEATS) {
        /* Redis would try to build this reply and exhaust memory or time;
         * a node that aborts on a failed allocation must refuse it */
        reply_errorf(c->reply, "ERR count is too large: at most %lld draws with repeats", HRANDFIELD_MAX_REPEATS);
        goto out;
    }
    if (rc == 0 || (has_count && count == 0)) {
        if (has_count)
            reply_array(c->reply, 0);
        else
            reply_null(c->reply);
        goto out;
    }
    coll_rng_t g;
    coll_rng_init(&g, c);
    if (!has_count) {
        coll_iter_t *it = coll_iter_open(c, &co);
        if (coll_iter_seek_random(it, NULL, 0, &g)) {
            size_t flen;
            const char *f = coll_iter_sub(it, &flen);
            reply_bulk(c->reply, f, flen);
        } else {
            reply_null(c->reply);
        }
        coll_iter_free(it);
    } else if (rand_drawn(c, &co, count, withvalues, &g)) {
        /* a few draws from a large hash: answered */
    } else if (count < 0) {
        rand_repeats(c, &co, (uint64_t)-count, withvalues, &g);
    } else if ((uint64_t)count >= co.size) {
        rand_all(c, &co, withvalues);
    } else {
        rand_distinct(c, &co, (uint64_t)count, withvalues, &g);
    }
out:
    coll_release(&co);
}

/* ---- HSCAN ----------------------------------------------------------------- */

/* Fields are ordered by their bytes: a cursor (cursor.h) names the last
 * field a call visited. */
CURSOR_TABLE(hscan_cursors, 4096);

/* HSCAN key cursor [MATCH pattern] [COUNT count]: cursor_scan_coll has
 * Redis 7.0's order of checks; NOVALUES and TYPE do not exist for HSCAN
 * in 7.0. */
static const cursor_coll_scan_t hscan = {
    .type = OBJ_HASH, .table = &hscan_cursors, .narrow = true, .emit = cursor_emit_pair};

static void hscanCommand(cmd_ctx_t *c)
{
    cursor_scan_coll(c, &hscan);
}

/* ---- the table ------------------------------------------------------------- */

#define RW_HASH "write hash"
#define RO_HASH "read hash"

static const command_t hash_commands[] = {
    {"hset", hsetCommand, -4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "hash",
     "Set the string value of a hash field", "2.0.0",
     "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is "
     "called with multiple field/value pairs.",
     RW_HASH " fast", NULL, KEY1(KS_RW | KS_UPDATE)},
    {"hsetnx", hsetnxCommand, 4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "hash",
     "Set the value of a hash field, only if the field does not exist", "2.0.0", "O(1)", RW_HASH " fast", NULL,
     KEY1(KS_RW | KS_INSERT)},
    {"hget", hgetCommand, 3, CMD_READONLY | CMD_FAST, 1, 1, 1, "hash", "Get the value of a hash field", "2.0.0",
     "O(1)", RO_HASH " fast", NULL, KEY1(KS_RO | KS_ACCESS)},
    {"hmget", hmgetCommand, -3, CMD_READONLY | CMD_FAST, 1, 1, 1, "hash",
     "Get the values of all the given hash fields", "2.0.0",
     "O(N) where N is the number of fields being requested.", RO_HASH " fast", NULL,
     KEY1(KS_RO | KS_ACCESS)},
    {"hmset", hmsetCommand, -4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "hash",
     "Set multiple hash fields to multiple values", "2.0.0", "O(N) where N is the number of fields being set.",
     RW_HASH " fast", NULL, KEY1(KS_RW | KS_UPDATE)},
    {"hdel", hdelCommand, -3, CMD_WRITE | CMD_FAST, 1, 1, 1, "hash", "Delete one or more hash fields", "2.0.0",
     "O(N) where N is the number of fields to be removed.", RW_HASH " fast", NULL,
     KEY1(KS_RW | KS_DELETE)},
    {"hlen", hlenCommand, 2, CMD_READONLY | CMD_FAST, 1, 1, 1, "hash", "Get the number of fields in a hash",
     "2.0.0", "O(1)", RO_HASH " fast", NULL, KEY1(KS_RO)},
    {"hstrlen", hstrlenCommand, 3, CMD_READONLY | CMD_FAST, 1, 1, 1, "hash",
     "Get the length of the value of a hash field", "3.2.0", "O(1)", RO_HASH " fast", NULL,
     KEY1(KS_RO)},
    {"hexists", hexistsCommand, 3, CMD_READONLY | CMD_FAST, 1, 1, 1, "hash", "Determine if a hash field exists",
     "2.0.0", "O(1)", RO_HASH " fast", NULL, KEY1(KS_RO)},
    {"hkeys", hkeysCommand, 2, CMD_READONLY, 1, 1, 1, "hash", "Get all the fields in a hash", "2.0.0",
     "O(N) where N is the size of the hash.", RO_HASH " slow", NULL, KEY1(KS_RO | KS_ACCESS)},
    {"hvals", hvalsCommand, 2, CMD_READONLY, 1, 1, 1, "hash", "Get all the values in a hash", "2.0.0",
     "O(N) where N is the size of the hash.", RO_HASH " slow", NULL, KEY1(KS_RO | KS_ACCESS)},
    {"hgetall", hgetallCommand, 2, CMD_READONLY, 1, 1, 1, "hash", "Get all the fields and values in a hash",
     "2.0.0", "O(N) where N is the size of the hash.", RO_HASH " slow", NULL,
     KEY1(KS_RO | KS_ACCESS)},
    {"hincrby", hincrbyCommand, 4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "hash",
     "Increment the integer value of a hash field by the given number", "2.0.0", "O(1)", RW_HASH " fast", NULL,
     KEY1(KS_RW | KS_ACCESS | KS_UPDATE)},
    {"hincrbyfloat", hincrbyfloatCommand, 4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "hash",
     "Increment the float value of a hash field by the given amount", "2.6.0", "O(1)", RW_HASH " fast", NULL,
     KEY1(KS_RW | KS_ACCESS | KS_UPDATE)},
    {"hrandfield", hrandfieldCommand, -2, CMD_READONLY, 1, 1, 1, "hash",
     "Get one or multiple random fields from a hash", "6.2.0", "O(N) where N is the number of fields returned",
     RO_HASH " slow", NULL, KEY1(KS_RO | KS_ACCESS)},
    {"hscan", hscanCommand, -3, CMD_READONLY, 1, 1, 1, "hash",
     "Incrementally iterate hash fields and associated values", "2.8.0",
     "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to "
     "return back to 0. N is the number of elements inside the collection..",
     RO_HASH " slow", NULL, KEY1(KS_RO | KS_ACCESS)},
};

/* Called once by cmd_register_data_commands(). */
void t_hash_register(void)
{
    cmd_table_add(hash_commands, sizeof(hash_commands) / sizeof(hash_commands[0]));
}
