/* Generic key commands: existence, type, deletion, renaming, expiry and
 * iteration of the keyspace, plus the internal __expire used by the active
 * expiry cycle.
 *
 * Everything here works on the metadata record alone (type, expiry, and for
 * strings the value), so the commands serve every type, including the
 * collections that arrive later. Replies and errors are those of Redis 7.0.
 * Writes judge time by c->now_ms (the entry's time) only. */
#include "cmd/coll.h"
#include "cmd/cursor.h"
#include "cmd/db.h"
#include "cmd/families.h"
#include "util/glob.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- DEL, UNLINK, EXISTS, TOUCH, TYPE ----------------------------------- */

/* DEL and UNLINK are the same here: deleting any key is O(1) because a
 * collection's sub-keys are reclaimed by compaction, not by the command. */
static void delCommand(cmd_ctx_t *c)
{
    long long deleted = 0;
    for (int j = 1; j < c->argc; j++) {
        dbkey_t k;
        int found = db_lookup(c, c->argv[j], c->argvlen[j], &k);
        if (found < 0) return;
        if (found) {
            db_delete(c, c->argv[j], c->argvlen[j], &k);
            deleted++;
        }
        db_release(&k);
    }
    reply_int(c->reply, deleted);
}

/* EXISTS and TOUCH count every argument that names a live key, so a key
 * given twice counts twice, as in Redis. TOUCH has no access time to update
 * (RocksDB keeps none), which leaves it equal to EXISTS. */
static void existsCommand(cmd_ctx_t *c)
{
    long long n = 0;
    for (int j = 1; j < c->argc; j++) {
        dbkey_t k;
        int found = db_lookup(c, c->argv[j], c->argvlen[j], &k);
        if (found < 0) return;
        n += found;
        db_release(&k);
    }
    reply_int(c->reply, n);
}

/* TYPE answers a status reply, in RESP3 too; the name comes from the
 * metadata record so every type is covered. */
static void typeCommand(cmd_ctx_t *c)
{
    dbkey_t k;
    int found = db_lookup(c, c->argv[1], c->argvlen[1], &k);
    if (found < 0) return;
    reply_simple(c->reply, obj_type_name(found ? k.meta.type : OBJ_NONE));
    db_release(&k);
}

/* ---- RENAME, RENAMENX, COPY ------------------------------------------------ */

/* Writes the value of the live key src (sk) under dst (dk: what dst holds,
 * replaced) with the expiry exp. A collection's elements are copied under a
 * new version of dst: sub-keys carry their key's name, so a collection
 * cannot move in O(1) as in Redis (docs/encoding.md). Returns 0 or -1
 * (replied). */
static int copy_key(cmd_ctx_t *c, const char *src, size_t slen, const dbkey_t *sk, const char *dst, size_t dlen,
                    const dbkey_t *dk, int64_t exp)
{
    if (sk->meta.type == OBJ_STRING) {
        db_set_string_flags(c, dst, dlen, sk->meta.value, sk->meta.vlen, exp, sk->meta.flags, dk);
        return 0;
    }
    coll_t from, to;
    int rc = coll_open(c, src, slen, sk->meta.type, &from);
    if (rc > 0) rc = coll_open_replace(c, dst, dlen, sk->meta.type, &to);
    else rc = -1;
    if (rc == 0) {
        /* A write to the txn invalidates the iterator's key and value (they
         * may point into the batch it grows), so each element is copied out
         * before it is put. */
        char *buf = NULL;
        size_t cap = 0;
        coll_iter_t *it = coll_iter_new(c, &from, NULL, 0, false);
        for (; coll_iter_valid(it); coll_iter_next(it)) {
            size_t sl, vl;
            const char *sub = coll_iter_sub(it, &sl), *val = coll_iter_value(it, &vl);
            if (!buf || sl + vl > cap) {
                cap = (sl + vl) * 2 + 64;
                buf = realloc(buf, cap);
            }
            if (sl) memcpy(buf, sub, sl);
            if (vl) memcpy(buf + sl, val, vl);
            coll_put(c, &to, buf, sl, buf + sl, vl);
        }
        coll_iter_free(it);
        free(buf);
        to.size = from.size;
        to.head = from.head;
        to.flags |= from.flags; /* Redis's RENAME moves the object, COPY dups it in its encoding */
        to.expire_ms = exp;
        coll_save(c, &to, true);
        coll_release(&to);
    }
    coll_release(&from);
    (void)dk;
    return rc;
}

/* The key moves with its type and TTL. A missing source is an error even
 * when source and destination are the same name; an existing one renamed to
 * itself is a no-op that still answers OK (RENAMENX: 0). */
static void rename_generic(cmd_ctx_t *c, bool nx)
{
    const char *src = c->argv[1], *dst = c->argv[2];
    size_t slen = c->argvlen[1], dlen = c->argvlen[2];
    dbkey_t sk, dk;

    int found = db_lookup(c, src, slen, &sk);
    if (found < 0) return;
    if (!found) {
        reply_error(c->reply, "ERR no such key");
        return;
    }
    if (slen == dlen && memcmp(src, dst, slen) == 0) {
        if (nx)
            reply_int(c->reply, 0);
        else
            reply_ok(c->reply);
        db_release(&sk);
        return;
    }
    int dfound = db_lookup(c, dst, dlen, &dk);
    if (dfound < 0) goto out;
    if (dfound && nx) {
        reply_int(c->reply, 0);
        goto out;
    }

    if (copy_key(c, src, slen, &sk, dst, dlen, &dk, sk.meta.expire_ms) < 0) goto out;
    db_delete(c, src, slen, &sk);
    if (nx)
        reply_int(c->reply, 1);
    else
        reply_ok(c->reply);
out:
    db_release(&dk);
    db_release(&sk);
}

/* COPY source destination [DB db] [REPLACE]: there is one database, so DB
 * may only name 0 (SELECT's wording for any other). */
static void copyCommand(cmd_ctx_t *c)
{
    bool replace = false;
    for (int j = 3; j < c->argc; j++) {
        if (cmd_arg_is(c, j, "replace")) {
            replace = true;
        } else if (cmd_arg_is(c, j, "db") && j + 1 < c->argc) {
            long long db;
            if (cmd_parse_ll(c->argv[j + 1], c->argvlen[j + 1], &db) < 0 || db < INT_MIN || db > INT_MAX) {
                reply_error(c->reply, ERR_NOTINT);
                return;
            }
            if (db != 0) {
                reply_error(c->reply, "ERR DB index is out of range (redraft has a single database, 0)");
                return;
            }
            j++;
        } else {
            reply_error(c->reply, ERR_SYNTAX);
            return;
        }
    }
    const char *src = c->argv[1], *dst = c->argv[2];
    size_t slen = c->argvlen[1], dlen = c->argvlen[2];
    if (slen == dlen && memcmp(src, dst, slen) == 0) {
        reply_error(c->reply, "ERR source and destination objects are the same");
        return;
    }
    dbkey_t sk, dk;
    int found = db_lookup(c, src, slen, &sk);
    if (found <= 0) {
        if (found == 0) reply_int(c->reply, 0);
        return;
    }
    int dfound = db_lookup(c, dst, dlen, &dk);
    if (dfound >= 0) {
        if (dfound && !replace)
            reply_int(c->reply, 0);
        else if (copy_key(c, src, slen, &sk, dst, dlen, &dk, sk.meta.expire_ms) == 0)
            reply_int(c->reply, 1);
    }
    db_release(&dk);
    db_release(&sk);
}

/* Thin entry points: the table needs one proc per command name. */
static void renameCommand(cmd_ctx_t *c)
{
    rename_generic(c, false);
}

static void renamenxCommand(cmd_ctx_t *c)
{
    rename_generic(c, true);
}

/* ---- EXPIRE family, TTL family, PERSIST ------------------------------------ */

#define EXPIRE_NX (1 << 0)
#define EXPIRE_XX (1 << 1)
#define EXPIRE_GT (1 << 2)
#define EXPIRE_LT (1 << 3)

/* NX/XX/GT/LT of EXPIRE (Redis 7). Options are parsed before the time
 * argument, so an unknown option wins over a bad number, as in Redis. */
static int parse_expire_opts(cmd_ctx_t *c, int *flags)
{
    *flags = 0;
    for (int j = 3; j < c->argc; j++) {
        if (cmd_arg_is(c, j, "nx")) {
            *flags |= EXPIRE_NX;
        } else if (cmd_arg_is(c, j, "xx")) {
            *flags |= EXPIRE_XX;
        } else if (cmd_arg_is(c, j, "gt")) {
            *flags |= EXPIRE_GT;
        } else if (cmd_arg_is(c, j, "lt")) {
            *flags |= EXPIRE_LT;
        } else {
            /* %s like Redis: the option is shown up to a NUL byte. */
            reply_errorf(c->reply, "ERR Unsupported option %.*s",
                         (int)strnlen(c->argv[j], c->argvlen[j]), c->argv[j]);
            return -1;
        }
    }
    if ((*flags & EXPIRE_NX) && (*flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT))) {
        reply_error(c->reply,
                    "ERR NX and XX, GT or LT options at the same time are not compatible");
        return -1;
    }
    if ((*flags & EXPIRE_GT) && (*flags & EXPIRE_LT)) {
        reply_error(c->reply, "ERR GT and LT options at the same time are not compatible");
        return -1;
    }
    return 0;
}

/* EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (Redis's expireGenericCommand).
 * basetime is the entry's time for the relative forms and 0 for the
 * absolute ones. Negative times are allowed; only overflow is an error. A
 * time not after "now" deletes the key at once. For GT/LT a key without TTL
 * counts as never expiring. */
static void expire_generic(cmd_ctx_t *c, int64_t basetime, bool seconds, const char *cmdname)
{
    int flags;
    long long when;
    if (parse_expire_opts(c, &flags) < 0) return;
    if (cmd_parse_ll(c->argv[2], c->argvlen[2], &when) < 0) {
        reply_error(c->reply, ERR_NOTINT);
        return;
    }
    if (seconds) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) goto invalid;
        when *= 1000;
    }
    if (when > LLONG_MAX - basetime) goto invalid;
    when += basetime;

    dbkey_t k;
    int found = db_lookup(c, c->argv[1], c->argvlen[1], &k);
    if (found < 0) return;
    if (!found) {
        reply_int(c->reply, 0);
        return;
    }
    int64_t cur = k.meta.expire_ms; /* 0: no TTL */
    if (((flags & EXPIRE_NX) && cur) || ((flags & EXPIRE_XX) && !cur) ||
        ((flags & EXPIRE_GT) && (!cur || when <= cur)) ||
        ((flags & EXPIRE_LT) && cur && when >= cur)) {
        reply_int(c->reply, 0);
        db_release(&k);
        return;
    }
    if (when <= c->now_ms)
        db_delete(c, c->argv[1], c->argvlen[1], &k);
    else
        db_set_expire(c, c->argv[1], c->argvlen[1], &k, when);
    reply_int(c->reply, 1);
    db_release(&k);
    return;

invalid:
    reply_errorf(c->reply, "ERR invalid expire time in '%s' command", cmdname);
}

/* The four forms differ in unit and base time only; the name is needed
 * for the error text. */
static void expireCommand(cmd_ctx_t *c)
{
    expire_generic(c, c->now_ms, true, "expire");
}

static void pexpireCommand(cmd_ctx_t *c)
{
    expire_generic(c, c->now_ms, false, "pexpire");
}

static void expireatCommand(cmd_ctx_t *c)
{
    expire_generic(c, 0, true, "expireat");
}

static void pexpireatCommand(cmd_ctx_t *c)
{
    expire_generic(c, 0, false, "pexpireat");
}

/* TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 for no key, -1 for no TTL. The
 * second forms round to the nearest second, as Redis does. */
static void ttl_generic(cmd_ctx_t *c, bool ms, bool absolute)
{
    dbkey_t k;
    int found = db_lookup(c, c->argv[1], c->argvlen[1], &k);
    if (found < 0) return;
    if (!found) {
        reply_int(c->reply, -2);
        return;
    }
    int64_t exp = k.meta.expire_ms;
    db_release(&k);
    if (!exp) {
        reply_int(c->reply, -1);
        return;
    }
    long long ttl = absolute ? exp : exp - c->now_ms;
    if (ttl < 0) ttl = 0;
    reply_int(c->reply, ms ? ttl : (ttl + 500) / 1000);
}

/* Thin entry points over ttl_generic(). */
static void ttlCommand(cmd_ctx_t *c)
{
    ttl_generic(c, false, false);
}

static void pttlCommand(cmd_ctx_t *c)
{
    ttl_generic(c, true, false);
}

static void expiretimeCommand(cmd_ctx_t *c)
{
    ttl_generic(c, false, true);
}

static void pexpiretimeCommand(cmd_ctx_t *c)
{
    ttl_generic(c, true, true);
}

/* Only a key that has a TTL is rewritten, so PERSIST on a plain key costs
 * no write. */
static void persistCommand(cmd_ctx_t *c)
{
    dbkey_t k;
    int found = db_lookup(c, c->argv[1], c->argvlen[1], &k);
    if (found < 0) return;
    if (found && k.meta.expire_ms) {
        db_set_expire(c, c->argv[1], c->argvlen[1], &k, 0);
        reply_int(c->reply, 1);
    } else {
        reply_int(c->reply, 0);
    }
    db_release(&k);
}

/* __expire key [key ...]: proposed by the leader's active expiry cycle for
 * keys its expiry index saw as expired. Each replica decides again with the
 * entry's time: db_lookup in a write txn deletes a key that is expired at
 * c->now_ms, and leaves alone one that was since given a new TTL or value.
 * The reply is the number of keys deleted; db_lookup does not say whether it
 * deleted, the key counter does. */
static void internalExpireCommand(cmd_ctx_t *c)
{
    long long deleted = 0;
    for (int j = 1; j < c->argc; j++) {
        dbkey_t k;
        int64_t before = c->db->nkeys;
        if (db_lookup(c, c->argv[j], c->argvlen[j], &k) < 0) return;
        deleted += before - c->db->nkeys;
        db_release(&k);
    }
    reply_int(c->reply, deleted);
}

/* ---- DBSIZE, FLUSHDB, FLUSHALL -------------------------------------------- */

/* Expired keys not yet deleted are counted, as Redis counts them. */
static void dbsizeCommand(cmd_ctx_t *c)
{
    reply_int(c->reply, c->db->nkeys);
}

/* There is one database, so FLUSHDB and FLUSHALL are the same. ASYNC and
 * SYNC are accepted and mean the same thing: db_flush is a range delete. */
static void flushallCommand(cmd_ctx_t *c)
{
    if (c->argc > 2 || (c->argc == 2 && !cmd_arg_is(c, 1, "sync") && !cmd_arg_is(c, 1, "async"))) {
        reply_error(c->reply, ERR_SYNTAX);
        return;
    }
    db_flush(c);
    reply_ok(c->reply);
}

/* ---- KEYS ------------------------------------------------------------------ */

typedef struct keys_state {
    cmd_ctx_t *c;
    const char *pat;
    size_t plen, prefix;
    bool allkeys;
    long long n;
} keys_state_t;

/* A pattern with a literal prefix only needs the keys starting with it: the
 * scan seeks there and stops at the first key past it. */
static bool keys_visit(void *ud, const char *key, size_t klen, const meta_t *m)
{
    keys_state_t *st = ud;
    if (st->prefix && (klen < st->prefix || memcmp(key, st->pat, st->prefix) != 0)) return false;
    if (st->allkeys || glob_match(st->pat, st->plen, key, klen, 0)) {
        reply_bulk(st->c->reply, key, klen);
        st->n++;
    }
    return true;
}

/* "*" alone skips matching, which is also how Redis lets it return the
 * empty key (the glob matcher never matches an empty string with "*"). The
 * reply length is known only at the end, hence the deferred header. */
static void keysCommand(cmd_ctx_t *c)
{
    keys_state_t st = {.c = c, .pat = c->argv[1], .plen = c->argvlen[1]};
    st.allkeys = st.plen == 1 && st.pat[0] == '*';
    st.prefix = st.allkeys ? 0 : glob_literal_prefix(st.pat, st.plen);
    size_t off = reply_defer(c->reply);
    db_scan(c, st.pat, st.prefix, keys_visit, &st);
    reply_defer_array(c->reply, off, st.n);
}

/* ---- SCAN ------------------------------------------------------------------ */

/* The keyspace's cursors (cursor.h): a cursor names the last key a call
 * visited, under the key "". */
CURSOR_TABLE(scan_cursors, 8192);

typedef struct scan_state {
    const cursor_opts_t *o;
    cursor_page_t page;
} scan_state_t;

/* A key past the pattern's literal prefix or beyond COUNT ends the walk;
 * MATCH, then TYPE, decide whether a visited key is returned. */
static bool scan_visit(void *ud, const char *key, size_t klen, const meta_t *m)
{
    scan_state_t *st = ud;
    const cursor_opts_t *o = st->o;
    if (!cursor_opts_within(o, key, klen) || !cursor_page_step(&st->page, key, klen)) return false;
    if (!cursor_opts_match(o, key, klen)) return true;
    if (o->type) {
        const char *name = obj_type_name(m->type);
        if (strlen(name) != o->typelen || strncasecmp(name, o->type, o->typelen) != 0) return true;
    }
    reply_bulk(&st->page.items, key, klen);
    st->page.nitems++;
    return true;
}

/* SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]: resumes just
 * after the remembered key, or at the pattern's prefix if that comes
 * later. */
static void scanCommand(cmd_ctx_t *c)
{
    uint64_t cursor;
    if (cursor_arg(c, 1, &cursor) < 0) return;
    cursor_opts_t o;
    if (cursor_opts_parse(c, 2, true, &o) < 0) return;
    const char *start = "";
    size_t slen = 0;
    cursor_find(&scan_cursors, cursor, "", 0, &start, &slen);
    cursor_opts_narrow(&o, &start, &slen);

    scan_state_t st = {.o = &o};
    cursor_page_init(&st.page, c, o.count);
    db_scan(c, start, slen, scan_visit, &st);
    cursor_page_reply(&st.page, c, &scan_cursors, "", 0);
}

/* ---- RANDOMKEY ------------------------------------------------------------- */

/* A read, so ordinary randomness is allowed: splitmix64 seeded from the
 * clock spreads the picks well enough, successive draws included. */
static uint64_t random_state;

static uint64_t random_u64(int64_t now_ms)
{
    if (random_state == 0) random_state = (uint64_t)now_ms;
    uint64_t z = (random_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* A raw data-CF key ('m' + user key) copied out of an iterator. */
typedef struct rawkey {
    char *p;
    size_t len, cap;
} rawkey_t;

static void rawkey_set(rawkey_t *k, const char *p, size_t len)
{
    if (len > k->cap) {
        k->cap = len;
        k->p = realloc(k->p, len);
    }
    memcpy(k->p, p, len);
    k->len = len;
}

/* Copies the iterator's key if it is a metadata record. */
static bool rawkey_from_iter(rawkey_t *k, store_iter_t *it)
{
    size_t kl;
    if (!store_iter_valid(it)) return false;
    const char *kp = store_iter_key(it, &kl);
    if (kl < 1 || kp[0] != ENC_META_PREFIX) return false;
    rawkey_set(k, kp, kl);
    return true;
}

/* db_scan callback: the first live key is the answer. */
static bool pick_first(void *ud, const char *key, size_t klen, const meta_t *m)
{
    cmd_ctx_t *c = ud;
    reply_bulk(c->reply, key, klen);
    return false;
}

#define RANDOMKEY_DEPTH 16
#define RANDOMKEY_TRIES 32

/* Seeking to uniformly random bytes would nearly always land before or after
 * keys that share a prefix ("user:..."), returning the same key every time.
 * Instead this walks down the keyspace like a trie: [lo, hi] is the range of
 * keys still possible, P their common prefix; a random next byte between
 * lo's and hi's picks a branch (drawn again when no key has that byte), and
 * the range narrows to the keys of that branch. Every branch of a level is
 * equally likely, so the pick is spread over all groups of keys, though not
 * uniform over keys. Each level costs a few seeks. The first live key at or
 * after the chosen one is the answer, wrapping around to the start. */
static void randomkeyCommand(cmd_ctx_t *c)
{
    rawkey_t lo = {0}, hi = {0}, probe = {0};
    const char first = ENC_META_PREFIX, past = ENC_META_PREFIX + 1;
    store_iter_t *it = store_iter_new(c->txn, CF_DATA);

    store_iter_seek(it, &first, 1);
    if (!rawkey_from_iter(&lo, it)) {
        store_iter_free(it);
        reply_null(c->reply);
        return;
    }
    store_iter_seek_for_prev(it, &past, 1);
    rawkey_from_iter(&hi, it);

    bool done = false;
    for (int depth = 0; depth < RANDOMKEY_DEPTH && !done; depth++) {
        size_t p = 0; /* common prefix of lo and hi, 'm' included */
        while (p < lo.len && p < hi.len && lo.p[p] == hi.p[p])
            p++;
        if (p == lo.len && p == hi.len) break; /* one key left */
        /* lo may be P itself (a prefix of hi): "end of key" is then a branch */
        int b0 = p < lo.len ? (unsigned char)lo.p[p] : -1, b1 = (unsigned char)hi.p[p];
        rawkey_set(&probe, hi.p, p + 1); /* P and a byte, replaced below (hi is longer than P) */
        for (int tries = 0;; tries++) {
            int b = b0 + (int)(random_u64(c->now_ms) % (uint64_t)(b1 - b0 + 1));
            if (b < 0) {
                done = true; /* lo it is */
                break;
            }
            probe.p[p] = (char)b;
            store_iter_seek(it, probe.p, p + 1);
            if (!rawkey_from_iter(&lo, it)) { /* cannot happen: hi >= probe */
                done = true;
                break;
            }
            /* An empty branch would hand its share to the next one: draw
             * again, within reason. */
            if ((unsigned char)lo.p[p] == b || tries == RANDOMKEY_TRIES) break;
        }
        if (done) break;
        unsigned char branch = (unsigned char)lo.p[p];
        if (branch == 0xff) continue; /* hi stays the range's end */
        probe.p[p] = (char)(branch + 1);
        store_iter_seek_for_prev(it, probe.p, p + 1); /* the branch's last key... */
        if (store_iter_valid(it)) {
            size_t kl;
            const char *kp = store_iter_key(it, &kl);
            if (kl == p + 1 && memcmp(kp, probe.p, kl) == 0)
                store_iter_prev(it); /* ...which is below the next branch's first key */
        }
        if (!rawkey_from_iter(&hi, it)) break;
    }
    store_iter_free(it);

    size_t before = c->reply->len;
    db_scan(c, lo.p + 1, lo.len - 1, pick_first, c);
    if (c->reply->len == before) db_scan(c, "", 0, pick_first, c);
    if (c->reply->len == before) reply_null(c->reply); /* every key has expired */
    free(lo.p);
    free(hi.p);
    free(probe.p);
}

/* ---- the table ------------------------------------------------------------- */

static const command_t keys_commands[] = {
    {"del", delCommand, -2, CMD_WRITE, 1, -1, 1, "generic", "Delete a key", "1.0.0",
     "O(N) where N is the number of keys that will be removed. When a key to remove holds a value "
     "other than a string, the individual complexity for this key is O(M) where M is the number of "
     "elements in the list, set, sorted set or hash. Removing a single key that holds a string "
     "value is O(1).",
     "keyspace write slow", NULL, KEYSPECS(KS_RANGE(1, -1, 1, KS_RM | KS_DELETE))},
    {"unlink", delCommand, -2, CMD_WRITE | CMD_FAST, 1, -1, 1, "generic",
     "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non "
     "blocking.",
     "4.0.0",
     "O(1) for each key removed regardless of its size. Then the command does O(N) work in a "
     "different thread in order to reclaim memory, where N is the number of allocations the "
     "deleted "
     "objects where composed of.",
     "keyspace write fast", NULL, KEYSPECS(KS_RANGE(1, -1, 1, KS_RM | KS_DELETE))},
    {"exists", existsCommand, -2, CMD_READONLY | CMD_FAST, 1, -1, 1, "generic",
     "Determine if a key exists", "1.0.0", "O(N) where N is the number of keys to check.",
     "keyspace read fast", NULL, KEYSPECS(KS_RANGE(1, -1, 1, KS_RO))},
    {"type", typeCommand, 2, CMD_READONLY | CMD_FAST, 1, 1, 1, "generic",
     "Determine the type stored at key", "1.0.0", "O(1)", "keyspace read fast", NULL, KEY1(KS_RO)},
    {"rename", renameCommand, 3, CMD_WRITE, 1, 2, 1, "generic", "Rename a key", "1.0.0", "O(1)",
     "keyspace write slow", NULL,
     KEYSPECS(KS_ONE(1, KS_RW | KS_ACCESS | KS_DELETE), KS_ONE(2, KS_OW | KS_UPDATE))},
    {"renamenx", renamenxCommand, 3, CMD_WRITE | CMD_FAST, 1, 2, 1, "generic",
     "Rename a key, only if the new key does not exist", "1.0.0", "O(1)", "keyspace write fast",
     NULL, KEYSPECS(KS_ONE(1, KS_RW | KS_ACCESS | KS_DELETE), KS_ONE(2, KS_OW | KS_INSERT))},
    {"copy", copyCommand, -3, CMD_WRITE | CMD_DENYOOM, 1, 2, 1, "generic",
     "Copy a key", "6.2.0", "O(N) worst case for collections, where N is the number of nested items. "
     "O(1) for string values.", "keyspace write slow", NULL,
     KEYSPECS(KS_ONE(1, KS_RO | KS_ACCESS), KS_ONE(2, KS_OW | KS_UPDATE))},
    {"keys", keysCommand, 2, CMD_READONLY, 0, 0, 0, "generic",
     "Find all keys matching the given pattern", "1.0.0",
     "O(N) with N being the number of keys in the database, under the assumption that the key "
     "names "
     "in the database and the given pattern have limited length.",
     "keyspace read slow dangerous", NULL, NULL},
    {"scan", scanCommand, -2, CMD_READONLY, 0, 0, 0, "generic",
     "Incrementally iterate the keys space", "2.8.0",
     "O(1) for every call. O(N) for a complete iteration, including enough command calls for the "
     "cursor to return back to 0. N is the number of elements inside the collection.",
     "keyspace read slow", NULL, NULL},
    {"randomkey", randomkeyCommand, 1, CMD_READONLY, 0, 0, 0, "generic",
     "Return a random key from the keyspace", "1.0.0", "O(1)", "keyspace read slow", NULL, NULL},
    {"expire", expireCommand, -3, CMD_WRITE | CMD_FAST, 1, 1, 1, "generic",
     "Set a key's time to live in seconds", "1.0.0", "O(1)", "keyspace write fast", NULL,
     KEY1(KS_RW | KS_UPDATE)},
    {"pexpire", pexpireCommand, -3, CMD_WRITE | CMD_FAST, 1, 1, 1, "generic",
     "Set a key's time to live in milliseconds", "2.6.0", "O(1)", "keyspace write fast", NULL,
     KEY1(KS_RW | KS_UPDATE)},
    {"expireat", expireatCommand, -3, CMD_WRITE | CMD_FAST, 1, 1, 1, "generic",
     "Set the expiration for a key as a UNIX timestamp", "1.2.0", "O(1)", "keyspace write fast",
     NULL, KEY1(KS_RW | KS_UPDATE)},
    {"pexpireat", pexpireatCommand, -3, CMD_WRITE | CMD_FAST, 1, 1, 1, "generic",
     "Set the expiration for a key as a UNIX timestamp specified in milliseconds", "2.6.0", "O(1)",
     "keyspace write fast", NULL, KEY1(KS_RW | KS_UPDATE)},
    {"ttl", ttlCommand, 2, CMD_READONLY | CMD_FAST, 1, 1, 1, "generic",
     "Get the time to live for a key in seconds", "1.0.0", "O(1)", "keyspace read fast", NULL,
     KEY1(KS_RO | KS_ACCESS)},
    {"pttl", pttlCommand, 2, CMD_READONLY | CMD_FAST, 1, 1, 1, "generic",
     "Get the time to live for a key in milliseconds", "2.6.0", "O(1)", "keyspace read fast", NULL,
     KEY1(KS_RO | KS_ACCESS)},
    {"expiretime", expiretimeCommand, 2, CMD_READONLY | CMD_FAST, 1, 1, 1, "generic",
     "Get the expiration Unix timestamp for a key", "7.0.0", "O(1)", "keyspace read fast", NULL,
     KEY1(KS_RO | KS_ACCESS)},
    {"pexpiretime", pexpiretimeCommand, 2, CMD_READONLY | CMD_FAST, 1, 1, 1, "generic",
     "Get the expiration Unix timestamp for a key in milliseconds", "7.0.0", "O(1)",
     "keyspace read fast", NULL, KEY1(KS_RO | KS_ACCESS)},
    {"persist", persistCommand, 2, CMD_WRITE | CMD_FAST, 1, 1, 1, "generic",
     "Remove the expiration from a key", "2.2.0", "O(1)", "keyspace write fast", NULL,
     KEY1(KS_RW | KS_UPDATE)},
    {"touch", existsCommand, -2, CMD_READONLY | CMD_FAST, 1, -1, 1, "generic",
     "Alters the last access time of a key(s). Returns the number of existing keys specified.",
     "3.2.1", "O(N) where N is the number of keys that will be touched.", "keyspace read fast",
     NULL, KEYSPECS(KS_RANGE(1, -1, 1, KS_RO))},
    {"dbsize", dbsizeCommand, 1, CMD_READONLY | CMD_FAST, 0, 0, 0, "server",
     "Return the number of keys in the selected database", "1.0.0", "O(1)", "keyspace read fast",
     NULL, NULL},
    {"flushdb", flushallCommand, -1, CMD_WRITE, 0, 0, 0, "server",
     "Remove all keys from the current database", "1.0.0",
     "O(N) where N is the number of keys in the selected database", "keyspace write slow dangerous",
     NULL, NULL},
    {"flushall", flushallCommand, -1, CMD_WRITE, 0, 0, 0, "server",
     "Remove all keys from all databases", "1.0.0",
     "O(N) where N is the total number of keys in all databases", "keyspace write slow dangerous",
     NULL, NULL},
    /* Internal: proposed by the active expiry cycle, hidden from COMMAND. */
    {"__expire", internalExpireCommand, -2, CMD_WRITE, 1, -1, 1, "internal",
     "Delete the given keys that have expired at the entry's time", "0.0.0", "O(N)",
     "keyspace write", NULL, KEYSPECS(KS_RANGE(1, -1, 1, KS_RM | KS_DELETE))},
};

/* Called once by cmd_register_data_commands(). */
void t_keys_register(void)
{
    cmd_table_add(keys_commands, sizeof(keys_commands) / sizeof(keys_commands[0]));
}
