/* List commands: pushes and pops at both ends, ranges, positions, the
 * middle-of-list edits, moves between lists, and the command side of the
 * blocking pops.
 *
 * Replies and errors are byte for byte those of Redis 7.0, including the
 * order in which arguments and the key are checked (it decides which error
 * wins). Elements live in sub-keys by position (t_list.h); a list left
 * empty is deleted by coll_save, as Redis deletes it.
 *
 * Blocking commands do not block here: when every key is empty they reply
 * as Redis does when it cannot block (inside MULTI) and set c->blocked and
 * c->block_timeout_ms; the node then parks the client and runs the command
 * again when one of its keys changes. */
#include "cmd/db.h"
#include "cmd/families.h"
#include "cmd/t_list.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char ERR_NOSUCHKEY[] = "ERR no such key";
static const char ERR_INDEX_RANGE[] = "ERR index out of range";
static const char ERR_NUMKEYS[] = "ERR numkeys should be greater than 0";
static const char ERR_COUNT_POSITIVE[] = "ERR count should be greater than 0";
static const char ERR_RANK_ZERO[] = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
                                    "second ... or use negative to start from the end of the list";
static const char ERR_TIMEOUT_FLOAT[] = "ERR timeout is not a float or out of range";
static const char ERR_TIMEOUT_NEGATIVE[] = "ERR timeout is negative";

static bool same_key(const char *a, size_t al, const char *b, size_t bl)
{
    return al == bl && memcmp(a, b, al) == 0;
}

/* Redis 7.0 turns seconds into ms as (long long)ceill(seconds * 1000), so a
 * tiny negative timeout rounds up to 0 (block forever) and anything too large
 * for a long long converts to LLONG_MIN and is "negative" (what x86 gives
 * for an out-of-range conversion, spelled out here). 7.0 has no "out of
 * range" error: the node caps what it adds to its clock. */
static int parse_timeout(cmd_ctx_t *c, int argi, int64_t *ms)
{
    long double v;
    if (cmd_parse_ld(c->argv[argi], c->argvlen[argi], &v) < 0) {
        reply_error(c->reply, ERR_TIMEOUT_FLOAT);
        return -1;
    }
    long double t = ceill(v * 1000.0L);
    long long tval = (t >= 9223372036854775808.0L || t < -9223372036854775808.0L) ? LLONG_MIN : (long long)t;
    if (tval < 0) {
        reply_error(c->reply, ERR_TIMEOUT_NEGATIVE);
        return -1;
    }
    *ms = tval;
    return 0;
}

/* Nothing to pop: the reply Redis gives when it may not block, and the
 * request to block for the node. */
static void block(cmd_ctx_t *c, int64_t timeout_ms, bool bulk)
{
    if (bulk)
        reply_null(c->reply);
    else
        reply_null_array(c->reply);
    c->blocked = true;
    c->block_timeout_ms = timeout_ms;
}

/* ---- LPUSH, RPUSH, LPUSHX, RPUSHX, LLEN -------------------------------- */

/* The X variants never create a key, but a key of another type is still
 * WRONGTYPE for them. Elements go in one at a time, so LPUSH a b c leaves
 * c first as in Redis. Pushing keeps the list's TTL. */
static void push_generic(cmd_ctx_t *c, list_where_t where, bool only_existing)
{
    coll_t co;
    int found = coll_open(c, c->argv[1], c->argvlen[1], OBJ_LIST, &co);
    if (found < 0) goto out;
    if (!found && only_existing) {
        reply_int(c->reply, 0);
        goto out;
    }
    for (int j = 2; j < c->argc; j++) list_push(c, &co, where, c->argv[j], c->argvlen[j]);
    coll_save(c, &co, true);
    reply_int(c->reply, (long long)co.size);
out:
    coll_release(&co);
}

static void lpushCommand(cmd_ctx_t *c)
{
    push_generic(c, LIST_HEAD, false);
}

static void rpushCommand(cmd_ctx_t *c)
{
    push_generic(c, LIST_TAIL, false);
}

static void lpushxCommand(cmd_ctx_t *c)
{
    push_generic(c, LIST_HEAD, true);
}

static void rpushxCommand(cmd_ctx_t *c)
{
    push_generic(c, LIST_TAIL, true);
}

/* The length is in the metadata: no element is read. */
static void llenCommand(cmd_ctx_t *c)
{
    coll_t co;
    int found = coll_open(c, c->argv[1], c->argvlen[1], OBJ_LIST, &co);
    if (found >= 0) reply_int(c->reply, found ? (long long)co.size : 0);
    coll_release(&co);
}

/* ---- pops ----------------------------------------------------------------- */

/* Pops up to count elements from one end of an open, non-empty list and
 * replies them as an array; saves the list. Taking the whole list reads it
 * with one iterator and drops the key, whose sub-keys compaction reclaims. */
static int pop_many(cmd_ctx_t *c, coll_t *co, list_where_t where, long long count)
{
    if ((unsigned long long)count >= co->size) {
        reply_array(c->reply, (long long)co->size);
        coll_iter_t *it = list_iter(c, co, where == LIST_HEAD ? 0 : co->size - 1, where == LIST_TAIL);
        uint64_t n = 0;
        for (; n < co->size && coll_iter_valid(it); n++, coll_iter_next(it)) {
            size_t vl;
            const char *v = coll_iter_value(it, &vl);
            reply_bulk(c->reply, v, vl);
        }
        coll_iter_free(it);
        for (; n < co->size; n++) reply_null(c->reply); /* damaged: keep the reply well formed */
        coll_delete(c, co);
        return 0;
    }
    reply_array(c->reply, count);
    for (long long i = 0; i < count; i++) {
        char *v;
        size_t vl;
        if (list_pop(c, co, where, &v, &vl) <= 0) return -1;
        reply_bulk(c->reply, v, vl);
        store_free(v);
    }
    coll_save(c, co, true);
    return 0;
}

/* LPOP/RPOP key [count]: without count one bulk (or null); with count an
 * array, a null array when the key is absent, an empty one for count 0.
 * count is validated before the key is looked at. */
static void pop_generic(cmd_ctx_t *c, list_where_t where, const char *cmdname)
{
    long long count = 0;
    bool hascount = c->argc == 3;
    if (c->argc > 3) {
        reply_wrong_arity(c->reply, cmdname);
        return;
    }
    if (cmd_parse_pop_count(c, 2, &count) < 0) return;
    coll_t co;
    int found = coll_open(c, c->argv[1], c->argvlen[1], OBJ_LIST, &co);
    if (found < 0) goto out;
    if (!found) {
        if (hascount)
            reply_null_array(c->reply);
        else
            reply_null(c->reply);
        goto out;
    }
    if (hascount) {
        if (count == 0)
            reply_array(c->reply, 0);
        else
            pop_many(c, &co, where, count);
        goto out;
    }
    char *v;
    size_t vl;
    if (list_pop(c, &co, where, &v, &vl) > 0) {
        coll_save(c, &co, true);
        reply_bulk(c->reply, v, vl);
        store_free(v);
    }
out:
    coll_release(&co);
}

static void lpopCommand(cmd_ctx_t *c)
{
    pop_generic(c, LIST_HEAD, "lpop");
}

static void rpopCommand(cmd_ctx_t *c)
{
    pop_generic(c, LIST_TAIL, "rpop");
}

/* BLPOP/BRPOP key [key ...] timeout: the first non-empty key in argument
 * order gives one element, replied with its key. A key of another type
 * before it is WRONGTYPE. The timeout is checked first. */
static void bpop_generic(cmd_ctx_t *c, list_where_t where)
{
    int64_t timeout;
    if (parse_timeout(c, c->argc - 1, &timeout) < 0) return;
    for (int j = 1; j < c->argc - 1; j++) {
        coll_t co;
        int found = coll_open(c, c->argv[j], c->argvlen[j], OBJ_LIST, &co);
        if (found < 0) {
            coll_release(&co);
            return;
        }
        if (found) {
            char *v;
            size_t vl;
            if (list_pop(c, &co, where, &v, &vl) > 0) {
                coll_save(c, &co, true);
                reply_array(c->reply, 2);
                reply_bulk(c->reply, c->argv[j], c->argvlen[j]);
                reply_bulk(c->reply, v, vl);
                store_free(v);
            }
            coll_release(&co);
            return;
        }
        coll_release(&co);
    }
    block(c, timeout, false);
}

static void blpopCommand(cmd_ctx_t *c)
{
    bpop_generic(c, LIST_HEAD);
}

static void brpopCommand(cmd_ctx_t *c)
{
    bpop_generic(c, LIST_TAIL);
}

/* LMPOP/BLMPOP's shared part, argv[nk] being numkeys: numkeys, then the
 * direction, then COUNT (once), then for BLMPOP the timeout, each error in
 * Redis's order. Pops up to count elements from the first non-empty key
 * and replies [key, [elements]]. */
static void mpop_generic(cmd_ctx_t *c, int nk, bool blocking)
{
    long long numkeys, count = -1;
    list_where_t where;
    if (cmd_parse_ll(c->argv[nk], c->argvlen[nk], &numkeys) < 0 || numkeys < 1) {
        reply_error(c->reply, ERR_NUMKEYS);
        return;
    }
    if (numkeys > c->argc - nk - 2) { /* no room for the keys and the direction */
        reply_error(c->reply, ERR_SYNTAX);
        return;
    }
    int where_idx = nk + (int)numkeys + 1;
    if (list_parse_where(c, where_idx, &where) < 0) return;
    for (int j = where_idx + 1; j < c->argc; j++) {
        if (count == -1 && cmd_arg_is(c, j, "count") && j + 1 < c->argc) {
            j++;
            if (cmd_parse_ll(c->argv[j], c->argvlen[j], &count) < 0 || count < 1) {
                reply_error(c->reply, ERR_COUNT_POSITIVE);
                return;
            }
        } else {
            reply_error(c->reply, ERR_SYNTAX);
            return;
        }
    }
    if (count == -1) count = 1;
    int64_t timeout = 0;
    if (blocking && parse_timeout(c, 1, &timeout) < 0) return;
    for (int j = nk + 1; j < where_idx; j++) {
        coll_t co;
        int found = coll_open(c, c->argv[j], c->argvlen[j], OBJ_LIST, &co);
        if (found < 0) {
            coll_release(&co);
            return;
        }
        if (found) {
            reply_array(c->reply, 2);
            reply_bulk(c->reply, c->argv[j], c->argvlen[j]);
            pop_many(c, &co, where, count);
            coll_release(&co);
            return;
        }
        coll_release(&co);
    }
    if (blocking)
        block(c, timeout, false);
    else
        reply_null_array(c->reply);
}

/* LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] */
static void lmpopCommand(cmd_ctx_t *c)
{
    mpop_generic(c, 1, false);
}

/* BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count] */
static void blmpopCommand(cmd_ctx_t *c)
{
    mpop_generic(c, 2, true);
}

/* ---- LMOVE and friends ------------------------------------------------------ */

/* Moves one element from src's `from` end to dst's `to` end and replies it.
 * An absent src is a null reply (or a block) before dst is looked at; a
 * dst of another type is WRONGTYPE and nothing moves. With src == dst the
 * list rotates through one coll_t, so no stale metadata is written. A new
 * dst gets src's element but not its TTL. */
static void move_generic(cmd_ctx_t *c, list_where_t from, list_where_t to, bool blocking, int64_t timeout)
{
    const char *sk = c->argv[1], *dk = c->argv[2];
    size_t sl = c->argvlen[1], dl = c->argvlen[2];
    coll_t src, dst;
    bool same = same_key(sk, sl, dk, dl);
    int found = coll_open(c, sk, sl, OBJ_LIST, &src);
    if (found <= 0) {
        if (found == 0) {
            if (blocking)
                block(c, timeout, true);
            else
                reply_null(c->reply);
        }
        coll_release(&src);
        return;
    }
    coll_t *d = &src;
    if (!same) {
        d = &dst;
        if (coll_open(c, dk, dl, OBJ_LIST, &dst) < 0) {
            coll_release(&dst);
            coll_release(&src);
            return;
        }
    }
    char *v;
    size_t vl;
    if (list_pop(c, &src, from, &v, &vl) > 0) {
        list_push(c, d, to, v, vl);
        if (!same) coll_save(c, &src, true);
        coll_save(c, d, true);
        reply_bulk(c->reply, v, vl);
        store_free(v);
    }
    if (!same) coll_release(&dst);
    coll_release(&src);
}

/* LMOVE source destination LEFT|RIGHT LEFT|RIGHT */
static void lmoveCommand(cmd_ctx_t *c)
{
    list_where_t from, to;
    if (list_parse_where(c, 3, &from) < 0 || list_parse_where(c, 4, &to) < 0) return;
    move_generic(c, from, to, false, 0);
}

/* RPOPLPUSH source destination: LMOVE source destination RIGHT LEFT. */
static void rpoplpushCommand(cmd_ctx_t *c)
{
    move_generic(c, LIST_TAIL, LIST_HEAD, false, 0);
}

/* BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout: directions are
 * checked before the timeout. */
static void blmoveCommand(cmd_ctx_t *c)
{
    list_where_t from, to;
    int64_t timeout;
    if (list_parse_where(c, 3, &from) < 0 || list_parse_where(c, 4, &to) < 0) return;
    if (parse_timeout(c, 5, &timeout) < 0) return;
    move_generic(c, from, to, true, timeout);
}

static void brpoplpushCommand(cmd_ctx_t *c)
{
    int64_t timeout;
    if (parse_timeout(c, 3, &timeout) < 0) return;
    move_generic(c, LIST_TAIL, LIST_HEAD, true, timeout);
}


/* ---- LRANGE, LINDEX, LSET, LTRIM ----------------------------------------- */

/* Redis's clamping of a [start, end] pair against a list of n elements:
 * negative indices count from the end; false when the range is empty. */
static bool clamp_range(long long start, long long end, uint64_t n, uint64_t *from, uint64_t *to)
{
    long long llen = (long long)n;
    if (start < 0) start += llen;
    if (end < 0) end += llen;
    if (start < 0) start = 0;
    if (start > end || start >= llen) return false;
    if (end >= llen) end = llen - 1;
    *from = (uint64_t)start;
    *to = (uint64_t)end;
    return true;
}

/* LRANGE's and LTRIM's start and end (argv[2], argv[3]); -1 after
 * ERR_NOTINT. */
static int parse_indices(cmd_ctx_t *c, long long *start, long long *end)
{
    if (cmd_parse_ll(c->argv[2], c->argvlen[2], start) < 0 || cmd_parse_ll(c->argv[3], c->argvlen[3], end) < 0) {
        reply_error(c->reply, ERR_NOTINT);
        return -1;
    }
    return 0;
}

/* Indices are parsed before the key is looked at, so a bad index wins
 * over WRONGTYPE, as in Redis. One iterator walks the range. */
static void lrangeCommand(cmd_ctx_t *c)
{
    long long start, end;
    if (parse_indices(c, &start, &end) < 0) return;
    coll_t co;
    int found = coll_open(c, c->argv[1], c->argvlen[1], OBJ_LIST, &co);
    uint64_t from, to;
    if (found == 0 || (found > 0 && !clamp_range(start, end, co.size, &from, &to))) {
        reply_array(c->reply, 0);
    } else if (found > 0) {
        uint64_t want = to - from + 1, n = 0;
        reply_array(c->reply, (long long)want);
        coll_iter_t *it = list_iter(c, &co, from, false);
        for (; n < want && coll_iter_valid(it); n++, coll_iter_next(it)) {
            size_t vl;
            const char *v = coll_iter_value(it, &vl);
            reply_bulk(c->reply, v, vl);
        }
        coll_iter_free(it);
        for (; n < want; n++) reply_null(c->reply); /* damaged: keep the reply well formed */
    }
    coll_release(&co);
}

/* Turns a possibly negative index into a position; false when outside. */
static bool list_index(long long index, uint64_t n, uint64_t *i)
{
    if (index < 0) index += (long long)n;
    if (index < 0 || (uint64_t)index >= n) return false;
    *i = (uint64_t)index;
    return true;
}

/* LINDEX looks the key up before it parses the index: an absent key is a
 * null reply whatever the index says. */
static void lindexCommand(cmd_ctx_t *c)
{
    coll_t co;
    int found = coll_open(c, c->argv[1], c->argvlen[1], OBJ_LIST, &co);
    long long index;
    uint64_t i;
    char *v;
    size_t vl;
    if (found < 0) goto out;
    if (!found) {
        reply_null(c->reply);
    } else if (cmd_parse_ll(c->argv[2], c->argvlen[2], &index) < 0) {
        reply_error(c->reply, ERR_NOTINT);
    } else if (!list_index(index, co.size, &i)) {
        reply_null(c->reply);
    } else if (list_get(c, &co, i, &v, &vl) > 0) {
        reply_bulk(c->reply, v, vl);
        store_free(v);
    }
out:
    coll_release(&co);
}

/* LSET key index element: "no such key" comes before the index is parsed.
 * The element's position is known, so this is one put; the metadata does
 * not change. */
static void lsetCommand(cmd_ctx_t *c)
{
    coll_t co;
    int found = coll_open(c, c->argv[1], c->argvlen[1], OBJ_LIST, &co);
    long long index;
    uint64_t i;
    if (found < 0) goto out;
    if (!found) {
        reply_error(c->reply, ERR_NOSUCHKEY);
    } else if (cmd_parse_ll(c->argv[2], c->argvlen[2], &index) < 0) {
        reply_error(c->reply, ERR_NOTINT);
    } else if (!list_index(index, co.size, &i)) {
        reply_error(c->reply, ERR_INDEX_RANGE);
    } else {
        list_set(c, &co, i, c->argv[3], c->argvlen[3]);
        reply_ok(c->reply);
    }
out:
    coll_release(&co);
}

/* LTRIM deletes the elements outside the range one by one, O(removed);
 * an empty range drops the key at once. An absent key is +OK. */
static void ltrimCommand(cmd_ctx_t *c)
{
    long long start, end;
    if (parse_indices(c, &start, &end) < 0) return;
    coll_t co;
    int found = coll_open(c, c->argv[1], c->argvlen[1], OBJ_LIST, &co);
    uint64_t from, to;
    if (found > 0) {
        if (!clamp_range(start, end, co.size, &from, &to))
            coll_delete(c, &co);
        else if (from > 0 || to + 1 < co.size) {
            list_trim(c, &co, from, co.size - 1 - to);
            coll_save(c, &co, true);
        }
    }
    if (found >= 0) reply_ok(c->reply);
    coll_release(&co);
}

/* ---- LINSERT, LREM, LPOS ----------------------------------------------------- */

/* LINSERT key BEFORE|AFTER pivot element: the direction is checked first,
 * then the key (absent: 0); the first element equal to pivot from the head
 * decides the place; -1 when there is none. */
static void linsertCommand(cmd_ctx_t *c)
{
    bool after;
    if (cmd_arg_is(c, 2, "after")) {
        after = true;
    } else if (cmd_arg_is(c, 2, "before")) {
        after = false;
    } else {
        reply_error(c->reply, ERR_SYNTAX);
        return;
    }
    coll_t co;
    int found = coll_open(c, c->argv[1], c->argvlen[1], OBJ_LIST, &co);
    if (found <= 0) {
        if (found == 0) reply_int(c->reply, 0);
        coll_release(&co);
        return;
    }
    uint64_t i = 0;
    bool hit = false;
    coll_iter_t *it = list_iter(c, &co, 0, false);
    for (; i < co.size && coll_iter_valid(it); i++, coll_iter_next(it)) {
        size_t vl;
        const char *v = coll_iter_value(it, &vl);
        if (same_key(v, vl, c->argv[3], c->argvlen[3])) {
            hit = true;
            break;
        }
    }
    coll_iter_free(it);
    if (!hit) {
        reply_int(c->reply, -1);
    } else if (list_insert(c, &co, after ? i + 1 : i, c->argv[4], c->argvlen[4]) == 0) {
        coll_save(c, &co, true);
        reply_int(c->reply, (long long)co.size);
    }
    coll_release(&co);
}

/* LREM key count element: count > 0 removes the first count matches from
 * the head, count < 0 from the tail, 0 all of them. The matches are found
 * first, then one pass closes the gaps (t_list_ops.c). */
static void lremCommand(cmd_ctx_t *c)
{
    long long count;
    if (cmd_parse_ll(c->argv[2], c->argvlen[2], &count) < 0) {
        reply_error(c->reply, ERR_NOTINT);
        return;
    }
    coll_t co;
    int found = coll_open(c, c->argv[1], c->argvlen[1], OBJ_LIST, &co);
    if (found <= 0) {
        if (found == 0) reply_int(c->reply, 0);
        coll_release(&co);
        return;
    }
    bool reverse = count < 0;
    unsigned long long limit = reverse ? 0ULL - (unsigned long long)count : (unsigned long long)count;
    uint64_t *idx = NULL;
    size_t k = 0, cap = 0;
    coll_iter_t *it = list_iter(c, &co, reverse ? co.size - 1 : 0, reverse);
    for (uint64_t n = 0; n < co.size && coll_iter_valid(it); n++, coll_iter_next(it)) {
        size_t vl;
        const char *v = coll_iter_value(it, &vl);
        if (!same_key(v, vl, c->argv[3], c->argvlen[3])) continue;
        if (k == cap) {
            cap = cap ? cap * 2 : 16;
            idx = realloc(idx, cap * sizeof(*idx));
        }
        idx[k++] = reverse ? co.size - 1 - n : n;
        if (limit && k == limit) break;
    }
    coll_iter_free(it);
    if (reverse) /* found from the tail: make the indices ascending */
        for (size_t a = 0, b = k; a + 1 < b; a++, b--) {
            uint64_t t = idx[a];
            idx[a] = idx[b - 1];
            idx[b - 1] = t;
        }
    int rc = 0;
    if (k == co.size)
        coll_delete(c, &co);
    else if (k && (rc = list_remove(c, &co, idx, k)) == 0)
        coll_save(c, &co, true);
    if (rc == 0) reply_int(c->reply, (long long)k);
    free(idx);
    coll_release(&co);
}

/* LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]: options
 * are all parsed (a later one replaces an earlier one) before the key is
 * looked at. RANK -9223372036854775808 behaves in Redis 7.0 as a rank
 * that every match reaches and COUNT never ends (its negation overflows),
 * which is kept. */
static void lposCommand(cmd_ctx_t *c)
{
    long long rank = 1, count = -1, maxlen = 0, v;
    for (int j = 3; j < c->argc; j++) {
        bool more = j + 1 < c->argc;
        if (cmd_arg_is(c, j, "rank") && more) {
            j++;
            if (cmd_parse_ll(c->argv[j], c->argvlen[j], &v) < 0) {
                reply_error(c->reply, ERR_NOTINT);
                return;
            }
            if (v == 0) {
                reply_error(c->reply, ERR_RANK_ZERO);
                return;
            }
            rank = v;
        } else if (cmd_arg_is(c, j, "count") && more) {
            j++;
            if (cmd_parse_ll(c->argv[j], c->argvlen[j], &v) < 0 || v < 0) {
                reply_error(c->reply, "ERR COUNT can't be negative");
                return;
            }
            count = v;
        } else if (cmd_arg_is(c, j, "maxlen") && more) {
            j++;
            if (cmd_parse_ll(c->argv[j], c->argvlen[j], &v) < 0 || v < 0) {
                reply_error(c->reply, "ERR MAXLEN can't be negative");
                return;
            }
            maxlen = v;
        } else {
            reply_error(c->reply, ERR_SYNTAX);
            return;
        }
    }
    coll_t co;
    int found = coll_open(c, c->argv[1], c->argvlen[1], OBJ_LIST, &co);
    if (found <= 0) {
        if (found == 0) {
            if (count >= 0)
                reply_array(c->reply, 0);
            else
                reply_null(c->reply);
        }
        coll_release(&co);
        return;
    }
    bool reverse = rank < 0;
    bool endless = rank == LLONG_MIN;
    unsigned long long want = endless ? 1 : reverse ? 0ULL - (unsigned long long)rank : (unsigned long long)rank;
    unsigned long long matches = 0, replied = 0;
    size_t off = count >= 0 ? reply_defer(c->reply) : 0;
    bool hit = false;
    coll_iter_t *it = list_iter(c, &co, reverse ? co.size - 1 : 0, reverse);
    for (uint64_t n = 0; n < co.size && (maxlen == 0 || n < (uint64_t)maxlen) && coll_iter_valid(it);
         n++, coll_iter_next(it)) {
        size_t vl;
        const char *e = coll_iter_value(it, &vl);
        if (!same_key(e, vl, c->argv[2], c->argvlen[2]) || ++matches < want) continue;
        long long pos = (long long)(reverse ? co.size - 1 - n : n);
        if (count < 0) {
            reply_int(c->reply, pos);
            hit = true;
            break;
        }
        reply_int(c->reply, pos);
        replied++;
        if (count > 0 && !endless && replied >= (unsigned long long)count) break;
    }
    coll_iter_free(it);
    if (count >= 0)
        reply_defer_array(c->reply, off, (long long)replied);
    else if (!hit)
        reply_null(c->reply);
    coll_release(&co);
}

/* ---- the table ------------------------------------------------------------------ */

#define RW_LIST "write list"
#define RO_LIST "read list"
#define PUSH_COMPLEXITY                                                                            \
    "O(1) for each element added, so O(N) to add N elements when the command is called with "      \
    "multiple arguments."
#define MPOP_COMPLEXITY                                                                            \
    "O(N+M) where N is the number of provided keys and M is the number of elements returned."
#define BPOP_COMPLEXITY "O(N) where N is the number of provided keys."
#define BLMOVE_SUMMARY                                                                             \
    "Pop an element from a list, push it to another list and return it; or block until one is "  \
    "available"

static const command_t list_commands[] = {
    {"lpush", lpushCommand, -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "list",
     "Prepend one or multiple elements to a list", "1.0.0", PUSH_COMPLEXITY, RW_LIST " fast", NULL,
     KEY1(KS_RW | KS_INSERT)},
    {"rpush", rpushCommand, -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "list",
     "Append one or multiple elements to a list", "1.0.0", PUSH_COMPLEXITY, RW_LIST " fast", NULL,
     KEY1(KS_RW | KS_INSERT)},
    {"lpushx", lpushxCommand, -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "list",
     "Prepend an element to a list, only if the list exists", "2.2.0", PUSH_COMPLEXITY, RW_LIST " fast", NULL,
     KEY1(KS_RW | KS_INSERT)},
    {"rpushx", rpushxCommand, -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "list",
     "Append an element to a list, only if the list exists", "2.2.0", PUSH_COMPLEXITY, RW_LIST " fast", NULL,
     KEY1(KS_RW | KS_INSERT)},
    {"lpop", lpopCommand, -2, CMD_WRITE | CMD_FAST, 1, 1, 1, "list", "Remove and get the first elements in a list",
     "1.0.0", "O(N) where N is the number of elements returned", RW_LIST " fast", NULL,
     KEY1(KS_RW | KS_ACCESS | KS_DELETE)},
    {"rpop", rpopCommand, -2, CMD_WRITE | CMD_FAST, 1, 1, 1, "list", "Remove and get the last elements in a list",
     "1.0.0", "O(N) where N is the number of elements returned", RW_LIST " fast", NULL,
     KEY1(KS_RW | KS_ACCESS | KS_DELETE)},
    {"llen", llenCommand, 2, CMD_READONLY | CMD_FAST, 1, 1, 1, "list", "Get the length of a list", "1.0.0", "O(1)",
     RO_LIST " fast", NULL, KEY1(KS_RO)},
    {"lrange", lrangeCommand, 4, CMD_READONLY, 1, 1, 1, "list", "Get a range of elements from a list", "1.0.0",
     "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) "
     "for large lists; and N is the number of elements in the specified range.",
     RO_LIST " slow", NULL, KEY1(KS_RO | KS_ACCESS)},
    {"lindex", lindexCommand, 3, CMD_READONLY, 1, 1, 1, "list", "Get an element from a list by its index",
     "1.0.0",
     "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for "
     "the first or the last element of the list O(1).",
     RO_LIST " slow", NULL, KEY1(KS_RO | KS_ACCESS)},
    {"lset", lsetCommand, 4, CMD_WRITE | CMD_DENYOOM, 1, 1, 1, "list",
     "Set the value of an element in a list by its index", "1.0.0",
     "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
     RW_LIST " slow", NULL, KEY1(KS_RW | KS_UPDATE)},
    {"linsert", linsertCommand, 5, CMD_WRITE | CMD_DENYOOM, 1, 1, 1, "list",
     "Insert an element before or after another element in a list", "2.2.0",
     "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that "
     "inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on "
     "the right end (tail) is O(N).",
     RW_LIST " slow", NULL, KEY1(KS_RW | KS_INSERT)},
    {"lrem", lremCommand, 4, CMD_WRITE, 1, 1, 1, "list", "Remove elements from a list", "1.0.0",
     "O(N+M) where N is the length of the list and M is the number of elements removed.", RW_LIST " slow", NULL,
     KEY1(KS_RW | KS_DELETE)},
    {"ltrim", ltrimCommand, 4, CMD_WRITE, 1, 1, 1, "list", "Trim a list to the specified range", "1.0.0",
     "O(N) where N is the number of elements to be removed by the operation.", RW_LIST " slow", NULL,
     KEY1(KS_RW | KS_DELETE)},
    {"lpos", lposCommand, -3, CMD_READONLY, 1, 1, 1, "list", "Return the index of matching elements on a list",
     "6.0.6",
     "O(N) where N is the number of elements in the list, for the average case. When searching for elements "
     "near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in "
     "constant time.",
     RO_LIST " slow", NULL, KEY1(KS_RO | KS_ACCESS)},
    {"lmove", lmoveCommand, 5, CMD_WRITE | CMD_DENYOOM, 1, 2, 1, "list",
     "Pop an element from a list, push it to another list and return it", "6.2.0", "O(1)", RW_LIST " slow", NULL,
     KEYSPECS(KS_ONE(1, KS_RW | KS_ACCESS | KS_DELETE), KS_ONE(2, KS_RW | KS_INSERT))},
    {"rpoplpush", rpoplpushCommand, 3, CMD_WRITE | CMD_DENYOOM, 1, 2, 1, "list",
     "Remove the last element in a list, prepend it to another list and return it", "1.2.0", "O(1)",
     RW_LIST " slow", NULL,
     KEYSPECS(KS_ONE(1, KS_RW | KS_ACCESS | KS_DELETE), KS_ONE(2, KS_RW | KS_INSERT))},
    {"lmpop", lmpopCommand, -4, CMD_WRITE | CMD_MOVABLEKEYS, 0, 0, 0, "list", "Pop elements from a list", "7.0.0", MPOP_COMPLEXITY,
     RW_LIST " slow", NULL, KEYSPECS(KS_KEYNUM(1, KS_RW | KS_ACCESS | KS_DELETE))},
    {"blpop", blpopCommand, -3, CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING, 1, -2, 1, "list",
     "Remove and get the first element in a list, or block until one is available", "2.0.0", BPOP_COMPLEXITY,
     RW_LIST " slow blocking", NULL, KEYSPECS(KS_RANGE(1, -2, 1, KS_RW | KS_ACCESS | KS_DELETE))},
    {"brpop", brpopCommand, -3, CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING, 1, -2, 1, "list",
     "Remove and get the last element in a list, or block until one is available", "2.0.0", BPOP_COMPLEXITY,
     RW_LIST " slow blocking", NULL, KEYSPECS(KS_RANGE(1, -2, 1, KS_RW | KS_ACCESS | KS_DELETE))},
    {"blmove", blmoveCommand, 6, CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT | CMD_BLOCKING, 1, 2, 1, "list", BLMOVE_SUMMARY, "6.2.0", "O(1)",
     RW_LIST " slow blocking", NULL,
     KEYSPECS(KS_ONE(1, KS_RW | KS_ACCESS | KS_DELETE), KS_ONE(2, KS_RW | KS_INSERT))},
    {"brpoplpush", brpoplpushCommand, 4, CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT | CMD_BLOCKING, 1, 2, 1, "list", BLMOVE_SUMMARY, "2.2.0", "O(1)",
     RW_LIST " slow blocking", NULL,
     KEYSPECS(KS_ONE(1, KS_RW | KS_ACCESS | KS_DELETE), KS_ONE(2, KS_RW | KS_INSERT))},
    {"blmpop", blmpopCommand, -5, CMD_WRITE | CMD_BLOCKING | CMD_MOVABLEKEYS, 0, 0, 0, "list", "Pop elements from a list, or block until one is available",
     "7.0.0", MPOP_COMPLEXITY, RW_LIST " slow blocking", NULL,
     KEYSPECS(KS_KEYNUM(2, KS_RW | KS_ACCESS | KS_DELETE))},
};

/* Called once by cmd_register_data_commands(). */
void t_list_register(void)
{
    cmd_table_add(list_commands, sizeof(list_commands) / sizeof(list_commands[0]));
}
