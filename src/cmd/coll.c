/* Collections on the metadata + versioned sub-key encoding (coll.h). */
#include "cmd/coll_int.h"

#include <stdlib.h>
#include <string.h>

static void set_prefix(coll_t *co)
{
    size_t need = co->klen + 13;
    if (co->prefix && co->prefix != co->pstack) free(co->prefix);
    co->prefix = need <= sizeof(co->pstack) ? co->pstack : malloc(need);
    co->plen = enc_sub_prefix(co->prefix, co->key, co->klen, co->version);
}

static void init(coll_t *co, const char *key, size_t klen, obj_type_t type)
{
    memset(co, 0, sizeof(*co));
    co->key = key;
    co->klen = klen;
    co->type = type;
    co->head = COLL_LIST_HEAD0;
}

int coll_open(cmd_ctx_t *c, const char *key, size_t klen, obj_type_t type, coll_t *co)
{
    init(co, key, klen, type);
    int found = db_lookup(c, key, klen, &co->old);
    if (found <= 0) return found;
    if (co->old.meta.type != type) {
        reply_error(c->reply, ERR_WRONGTYPE);
        return -1;
    }
    co->exists = true;
    co->version = co->old.meta.version;
    co->size = co->old.meta.size;
    co->expire_ms = co->old.meta.expire_ms;
    co->flags = co->old.meta.flags & META_COLL_BIG;
    if (type == OBJ_LIST) co->head = co->old.meta.head;
    set_prefix(co);
    return 1;
}

int coll_open_replace(cmd_ctx_t *c, const char *key, size_t klen, obj_type_t type, coll_t *co)
{
    init(co, key, klen, type);
    if (db_lookup(c, key, klen, &co->old) < 0) return -1;
    coll_create(c, co);
    return 0;
}

void coll_create(cmd_ctx_t *c, coll_t *co)
{
    co->version = db_new_version(c);
    co->size = 0;
    co->head = COLL_LIST_HEAD0;
    co->expire_ms = 0;
    co->flags = 0;
    set_prefix(co);
}

/* Redis converts a hash or sorted set past its listpack entry limit, a set
 * past its intset limit, and never back; lists have no such record (7.0
 * always reports quicklist). */
static bool past_entry_limit(obj_type_t type, uint64_t size)
{
    switch (type) {
    case OBJ_HASH: return size > COLL_HASH_MAX_LISTPACK_ENTRIES;
    case OBJ_SET: return size > COLL_SET_MAX_INTSET_ENTRIES;
    case OBJ_ZSET: return size > COLL_ZSET_MAX_LISTPACK_ENTRIES;
    default: return false;
    }
}

/* Whether an element written as (sub, val) makes Redis convert: checked on
 * every put, as Redis checks the arguments of HSET/ZADD/SADD... before or
 * while it inserts (an element already there is only rewritten by writes
 * that check too: HSET, HINCRBY). A zset's 's' records repeat the member
 * and are not looked at. */
static bool element_too_big(obj_type_t type, const char *sub, size_t slen, size_t vlen)
{
    long long v;
    switch (type) {
    case OBJ_HASH: return slen > COLL_HASH_MAX_LISTPACK_VALUE || vlen > COLL_HASH_MAX_LISTPACK_VALUE;
    case OBJ_SET: return cmd_parse_ll(sub, slen, &v) != 0;
    case OBJ_ZSET: return slen > 0 && sub[0] == 'm' && slen - 1 > COLL_ZSET_MAX_LISTPACK_VALUE;
    default: return false;
    }
}

/* A collection left empty is no key at all, as in Redis. */
void coll_save(cmd_ctx_t *c, coll_t *co, bool keep_ttl)
{
    bool had = co->old.meta.type != OBJ_NONE;
    if (!keep_ttl) co->expire_ms = 0;
    if (past_entry_limit(co->type, co->size)) co->flags |= META_COLL_BIG;
    if (co->size == 0) {
        if (had) db_delete(c, co->key, co->klen, &co->old);
    } else {
        db_set_coll(c, co->key, co->klen, co->type, co->expire_ms, co->version, co->size, co->head,
                    co->flags, had ? &co->old : NULL);
    }
    /* the record now on disk is the one to account against next time */
    db_release(&co->old);
    if (co->size) {
        co->old.meta.type = co->type;
        co->old.meta.expire_ms = co->expire_ms;
        co->old.meta.version = co->version;
        co->old.meta.size = co->size;
        co->old.meta.head = co->head;
        co->old.meta.flags = co->flags;
    }
    co->exists = co->size > 0;
}

void coll_delete(cmd_ctx_t *c, coll_t *co)
{
    co->size = 0;
    coll_save(c, co, true);
}

void coll_release(coll_t *co)
{
    db_release(&co->old);
    if (co->prefix && co->prefix != co->pstack) free(co->prefix);
    co->prefix = NULL;
}

char *coll_subkey(const coll_t *co, const char *sub, size_t slen, char *stack, size_t stacklen, size_t *len)
{
    *len = co->plen + slen;
    char *k = *len <= stacklen ? stack : malloc(*len);
    memcpy(k, co->prefix, co->plen);
    if (slen) memcpy(k + co->plen, sub, slen);
    return k;
}

int coll_sub_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    int r = memcmp(a, b, al < bl ? al : bl);
    return r ? r : (al > bl) - (al < bl);
}

int coll_get(cmd_ctx_t *c, const coll_t *co, const char *sub, size_t slen, char **val, size_t *vlen)
{
    if (!co->version) return 0;
    char stack[256];
    size_t klen;
    char *k = coll_subkey(co, sub, slen, stack, sizeof(stack), &klen);
    int rc = store_get(c->txn, CF_DATA, k, klen, val, vlen);
    if (k != stack) free(k);
    if (rc < 0) reply_error(c->reply, "ERR storage read failed");
    return rc;
}

/* The value is fetched and dropped: RocksDB has no cheaper existence test
 * that also sees the batch's own writes. */
int coll_has(cmd_ctx_t *c, const coll_t *co, const char *sub, size_t slen)
{
    char *v = NULL;
    size_t vlen;
    int rc = coll_get(c, co, sub, slen, &v, &vlen);
    if (rc > 0) store_free(v);
    return rc;
}

long long coll_del_present(cmd_ctx_t *c, coll_t *co, const char *const *subs, const size_t *lens, int n)
{
    long long deleted = 0;
    for (int j = 0; j < n && co->size > 0; j++) {
        int had = coll_has(c, co, subs[j], lens[j]);
        if (had < 0) return -1;
        if (had) {
            coll_del(c, co, subs[j], lens[j]);
            co->size--;
            deleted++;
        }
    }
    if (deleted) coll_save(c, co, true);
    return deleted;
}

void coll_put(cmd_ctx_t *c, coll_t *co, const char *sub, size_t slen, const char *val, size_t vlen)
{
    if (element_too_big(co->type, sub, slen, vlen)) co->flags |= META_COLL_BIG;
    char stack[256];
    size_t klen;
    char *k = coll_subkey(co, sub, slen, stack, sizeof(stack), &klen);
    store_put(c->txn, CF_DATA, k, klen, val, vlen);
    if (k != stack) free(k);
    ends_on_put(c->db, co, sub, slen);
}

void coll_del(cmd_ctx_t *c, const coll_t *co, const char *sub, size_t slen)
{
    char stack[256];
    size_t klen;
    char *k = coll_subkey(co, sub, slen, stack, sizeof(stack), &klen);
    store_del(c->txn, CF_DATA, k, klen);
    if (k != stack) free(k);
    ends_on_del(c->db, co, sub, slen);
}
/* ---- iteration -------------------------------------------------------------- */

/* The first key past every sub-key of the version: the same prefix with
 * version + 1 (a later version of the same key cannot exist yet). */
char *coll_upper_bound(const coll_t *co, size_t *len)
{
    char *k = malloc(co->plen);
    *len = enc_sub_prefix(k, co->key, co->klen, co->version + 1);
    return k;
}

/* Seeks cost several microseconds each on an LSM tree: random draws
 * position the iterator themselves, so it starts nowhere; and a draw from
 * a list (coll_random.c) needs no RocksDB iterator at all, so it is made
 * at the first seek (making one also waits for the commit queue). */
coll_iter_t *coll_iter_open(cmd_ctx_t *c, const coll_t *co)
{
    coll_iter_t *ci = calloc(1, sizeof(*ci));
    ci->co = co;
    ci->db = c->db;
    ci->txn = c->txn;
    ci->empty = !co->version;
    return ci;
}

static store_iter_t *iter_made(coll_iter_t *ci)
{
    if (!ci->it) ci->it = store_iter_new(ci->txn, CF_DATA);
    return ci->it;
}

store_iter_t *coll_iter_store(coll_iter_t *ci)
{
    store_iter_t *it = iter_made(ci);
    if (ci->picked) {
        ci->picked = false;
        char stack[256];
        size_t klen;
        char *k = coll_subkey(ci->co, ci->pick, ci->picklen, stack, sizeof(stack), &klen);
        store_iter_seek(it, k, klen);
        if (k != stack) free(k);
    }
    return it;
}

/* Seeks to the first element >= sub (reverse: the last <= sub; sub NULL:
 * the collection's first, or last). */
static void seek_raw(coll_iter_t *ci, const char *sub, size_t slen, bool reverse)
{
    char stack[256];
    size_t klen;
    char *k;
    if (sub)
        k = coll_subkey(ci->co, sub, slen, stack, sizeof(stack), &klen);
    else if (reverse)
        k = coll_upper_bound(ci->co, &klen);
    else
        k = ci->co->prefix, klen = ci->co->plen;
    ci->picked = false;
    if (reverse)
        store_iter_seek_for_prev(iter_made(ci), k, klen);
    else
        store_iter_seek(iter_made(ci), k, klen);
    if (k != stack && k != ci->co->prefix) free(k);
}

/* The ends a start may use and teach (coll_ends.c). An edge start begins
 * (ends) a tag's elements: forward from NULL or a tag's one byte (every
 * sub-key from there to the tag's first element is under the tag), reverse
 * from NULL, and coll_iter_tag. It claims the tag's slot. Any other start
 * uses the slot the collection has, if from lies under its tag. */
static ends_t *start_ends(coll_iter_t *ci, const char *from, size_t flen, const char *tag, size_t taglen,
                          bool edge)
{
    if (edge) return ends_claim(ci->db, ci->co, tag, taglen);
    ends_t *e = flen ? ends_find(ci->db, ci->co, from, 1) : NULL;
    return e ? e : ends_find(ci->db, ci->co, NULL, 0);
}

/* A start before the first element (after the last) known under the tag
 * goes straight to that bound: the tombstones of elements deleted from the
 * front (ZPOPMIN, LREM...) are skipped once, not by every later start; and
 * the element the seek finds there is the new bound. Exact: every sub-key
 * between from and the bound is under the tag, and none is an element. */
static void seek_start(coll_iter_t *ci, const char *from, size_t flen, bool reverse, const char *tag, size_t taglen,
                       bool edge)
{
    ends_t *e = start_ends(ci, from, flen, tag, taglen, edge);
    ends_bound_t *b = e ? (reverse ? &e->l : &e->f) : NULL;
    bool beyond = edge; /* nothing under the tag lies between from and the bound */
    if (b && b->known && !edge) {
        int c = coll_sub_cmp(from, flen, b->sub, b->len);
        beyond = reverse ? c >= 0 : c <= 0;
    }
    if (b && b->known && beyond)
        seek_raw(ci, b->sub, b->len, reverse);
    else
        seek_raw(ci, from, flen, reverse);
    if (!b || !beyond || !coll_iter_valid(ci)) return;
    size_t len;
    const char *sub = coll_iter_sub(ci, &len);
    if (ends_under_tag(e, sub, len)) ends_bound_set(b, sub, len);
}

coll_iter_t *coll_iter_new(cmd_ctx_t *c, const coll_t *co, const char *from, size_t flen, bool reverse)
{
    coll_iter_t *ci = coll_iter_open(c, co);
    ci->reverse = reverse;
    if (ci->empty) return ci;
    if (!from)
        seek_start(ci, NULL, 0, reverse, NULL, 0, true);
    else if (!reverse && flen <= 1)
        seek_start(ci, from, flen, false, from, flen, true);
    else
        seek_start(ci, from, flen, reverse, NULL, 0, false);
    return ci;
}

coll_iter_t *coll_iter_tag(cmd_ctx_t *c, const coll_t *co, char tag, bool reverse)
{
    coll_iter_t *ci = coll_iter_open(c, co);
    ci->reverse = reverse;
    if (ci->empty) return ci;
    if (!reverse || (unsigned char)tag == 0xff) {
        seek_start(ci, reverse ? NULL : &tag, reverse ? 0 : 1, reverse, &tag, 1, true);
    } else {
        char past = (char)((unsigned char)tag + 1);
        seek_start(ci, &past, 1, true, &tag, 1, true);
    }
    return ci;
}

bool coll_iter_valid(coll_iter_t *ci)
{
    if (ci->picked) return true;
    if (ci->empty || !ci->it || !store_iter_valid(ci->it)) return false;
    size_t kl;
    const char *k = store_iter_key(ci->it, &kl);
    return kl >= ci->co->plen && memcmp(k, ci->co->prefix, ci->co->plen) == 0;
}

void coll_iter_next(coll_iter_t *ci)
{
    if (ci->reverse)
        store_iter_prev(coll_iter_store(ci));
    else
        store_iter_next(coll_iter_store(ci));
}

const char *coll_iter_sub(coll_iter_t *ci, size_t *len)
{
    if (ci->picked) {
        *len = ci->picklen;
        return ci->pick;
    }
    size_t kl;
    const char *k = store_iter_key(ci->it, &kl);
    *len = kl - ci->co->plen;
    return k + ci->co->plen;
}

const char *coll_iter_value(coll_iter_t *ci, size_t *len)
{
    return store_iter_value(coll_iter_store(ci), len);
}

void coll_iter_free(coll_iter_t *ci)
{
    if (!ci) return;
    if (ci->it) store_iter_free(ci->it);
    free(ci->pick);
    free(ci);
}

void coll_list_sub(char out[8], uint64_t pos)
{
    enc_put_u64(out, pos);
}

