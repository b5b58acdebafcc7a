/* Collections on the metadata + versioned sub-key encoding (coll.h). */
#include "cmd/coll.h"

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

/* Builds prefix + sub in stack storage when it fits. */
static char *subkey(const coll_t *co, const char *sub, size_t slen, char *stack, size_t stacklen, size_t *len)
{
    *len = co->plen + slen;
    char *k = *len <= stacklen ? stack : malloc(*len);
    memcpy(k, co->prefix, co->plen);
    if (slen) memcpy(k + co->plen, sub, slen);
    return k;
}

/* ---- the ends of large collections -------------------------------------------
 *
 * A random draw (below) starts from the first and last sub-keys of the
 * collection: two seeks out of three or four, each several microseconds on
 * an LSM tree. They rarely change (SPOP takes one of them once in size / 2
 * draws), so the last ones found are kept per collection in a small table
 * of the process, keyed by the database's epoch (new at every db_load: a
 * restart, a snapshot's install), the key and its version (never reused),
 * and kept right by coll_put and coll_del, through which every sub-key of a
 * collection is written (and a write txn always commits: apply has no
 * rollback). What the table answers is therefore exactly what the seeks
 * would find, on every replica alike, whatever else each one's table holds. */
#define ENDS_SLOTS 64
#define ENDS_MAX 96 /* the longest key and sub-keys kept */

typedef struct ends {
    uint64_t epoch; /* 0: a free slot */
    uint64_t version;
    size_t klen, taglen, flen, llen;
    char key[ENDS_MAX], tag[1], f[ENDS_MAX], l[ENDS_MAX];
} ends_t;

static ends_t ends_table[ENDS_SLOTS];

/* Byte order of sub-keys: memcmp, then the shorter first. */
static int sub_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    int r = memcmp(a, b, al < bl ? al : bl);
    return r ? r : (al > bl) - (al < bl);
}

static ends_t *ends_slot(const coll_t *co)
{
    uint64_t h = co->version * 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < co->klen; i++)
        h = (h ^ (unsigned char)co->key[i]) * 0x100000001B3ULL;
    return &ends_table[(h >> 32) % ENDS_SLOTS];
}

/* The slot holding co's ends, or NULL. */
static ends_t *ends_find(const db_t *db, const coll_t *co)
{
    if (!db || !co->version || co->klen > ENDS_MAX) return NULL;
    ends_t *e = ends_slot(co);
    if (e->epoch != db->epoch || e->version != co->version || e->klen != co->klen ||
        memcmp(e->key, co->key, co->klen) != 0)
        return NULL;
    return e;
}

/* A sub-key was put: it may be the new first or last one. */
static void ends_on_put(const db_t *db, const coll_t *co, const char *sub, size_t slen)
{
    ends_t *e = ends_find(db, co);
    if (!e || (e->taglen && (slen < e->taglen || memcmp(sub, e->tag, e->taglen) != 0))) return;
    bool first = sub_cmp(sub, slen, e->f, e->flen) < 0, last = sub_cmp(sub, slen, e->l, e->llen) > 0;
    if ((first || last) && slen > ENDS_MAX) {
        e->epoch = 0;
        return;
    }
    if (first) memcpy(e->f, sub, e->flen = slen);
    if (last) memcpy(e->l, sub, e->llen = slen);
}

/* A sub-key was deleted: when it was an end, the ends must be sought again. */
static void ends_on_del(const db_t *db, const coll_t *co, const char *sub, size_t slen)
{
    ends_t *e = ends_find(db, co);
    if (e && (sub_cmp(sub, slen, e->f, e->flen) == 0 || sub_cmp(sub, slen, e->l, e->llen) == 0)) e->epoch = 0;
}

int coll_get(cmd_ctx_t *c, const coll_t *co, const char *sub, size_t slen, char **val, size_t *vlen)
{
    if (!co->version) return 0;
    char stack[256];
    size_t klen;
    char *k = subkey(co, sub, slen, stack, sizeof(stack), &klen);
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
    char *k = subkey(co, sub, slen, stack, sizeof(stack), &klen);
    store_put(c->txn, CF_DATA, k, klen, val, vlen);
    if (k != stack) free(k);
    ends_on_put(c->db, co, sub, slen);
}

void coll_del(cmd_ctx_t *c, const coll_t *co, const char *sub, size_t slen)
{
    char stack[256];
    size_t klen;
    char *k = subkey(co, sub, slen, stack, sizeof(stack), &klen);
    store_del(c->txn, CF_DATA, k, klen);
    if (k != stack) free(k);
    ends_on_del(c->db, co, sub, slen);
}

/* ---- iteration -------------------------------------------------------------- */

struct coll_iter {
    store_iter_t *it;
    const coll_t *co;
    const db_t *db; /* for the ends of random draws */
    bool reverse;
    bool empty; /* the collection has no version: nothing to see */
};

/* The first key past every sub-key of the version: the same prefix with
 * version + 1 (a later version of the same key cannot exist yet). */
static char *upper_bound(const coll_t *co, size_t *len)
{
    char *k = malloc(co->plen);
    *len = enc_sub_prefix(k, co->key, co->klen, co->version + 1);
    return k;
}

/* Seeks cost several microseconds each on an LSM tree: random draws
 * position the iterator themselves, so it starts nowhere. */
coll_iter_t *coll_iter_open(cmd_ctx_t *c, const coll_t *co)
{
    coll_iter_t *ci = calloc(1, sizeof(*ci));
    ci->co = co;
    ci->db = c->db;
    if (!co->version)
        ci->empty = true;
    else
        ci->it = store_iter_new(c->txn, CF_DATA);
    return ci;
}

coll_iter_t *coll_iter_new(cmd_ctx_t *c, const coll_t *co, const char *from, size_t flen, bool reverse)
{
    coll_iter_t *ci = coll_iter_open(c, co);
    ci->reverse = reverse;
    if (ci->empty) return ci;
    char stack[256];
    size_t klen;
    if (from) {
        char *k = subkey(co, from, flen, stack, sizeof(stack), &klen);
        if (reverse)
            store_iter_seek_for_prev(ci->it, k, klen);
        else
            store_iter_seek(ci->it, k, klen);
        if (k != stack) free(k);
    } else if (reverse) {
        char *k = upper_bound(co, &klen);
        store_iter_seek_for_prev(ci->it, k, klen);
        free(k);
    } else {
        store_iter_seek(ci->it, co->prefix, co->plen);
    }
    return ci;
}

bool coll_iter_valid(coll_iter_t *ci)
{
    if (ci->empty || !store_iter_valid(ci->it)) return false;
    size_t kl;
    const char *k = store_iter_key(ci->it, &kl);
    return kl >= ci->co->plen && memcmp(k, ci->co->prefix, ci->co->plen) == 0;
}

void coll_iter_next(coll_iter_t *ci)
{
    if (ci->reverse)
        store_iter_prev(ci->it);
    else
        store_iter_next(ci->it);
}

const char *coll_iter_sub(coll_iter_t *ci, size_t *len)
{
    size_t kl;
    const char *k = store_iter_key(ci->it, &kl);
    *len = kl - ci->co->plen;
    return k + ci->co->plen;
}

const char *coll_iter_value(coll_iter_t *ci, size_t *len)
{
    return store_iter_value(ci->it, len);
}

void coll_iter_free(coll_iter_t *ci)
{
    if (!ci) return;
    if (ci->it) store_iter_free(ci->it);
    free(ci);
}

void coll_list_sub(char out[8], uint64_t pos)
{
    enc_put_u64(out, pos);
}

/* ---- random elements ---------------------------------------------------------
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
 * Deleted elements (SPOP's tombstones) only make seeks skip more. */

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

/* Whether the iterator stands on an element whose sub-key starts with p. */
static bool at_under(coll_iter_t *ci, const char *p, size_t plen)
{
    if (!coll_iter_valid(ci)) return false;
    size_t len;
    const char *sub = coll_iter_sub(ci, &len);
    return len >= plen && (plen == 0 || memcmp(sub, p, plen) == 0);
}

static void take_sub(kbuf_t *b, coll_iter_t *ci)
{
    size_t len;
    const char *sub = coll_iter_sub(ci, &len);
    kbuf_set(b, sub, len);
}

/* Seeks to the first element >= sub. */
static void seek_sub(coll_iter_t *ci, const char *sub, size_t slen)
{
    char stack[256];
    size_t klen;
    char *k = subkey(ci->co, sub, slen, stack, sizeof(stack), &klen);
    store_iter_seek(ci->it, k, klen);
    if (k != stack) free(k);
}

/* Positions the iterator on the last element whose sub-key starts with p:
 * the last one before the first key past them all (p with its last byte
 * below 0xff incremented, or past the collection). False when there is none. */
static bool seek_last_under(coll_iter_t *ci, const char *p, size_t plen)
{
    size_t n = plen;
    while (n && (unsigned char)p[n - 1] == 0xff)
        n--;
    char stack[256];
    size_t klen;
    char *k;
    if (n == 0) {
        k = upper_bound(ci->co, &klen);
    } else {
        k = subkey(ci->co, p, n, stack, sizeof(stack), &klen);
        k[klen - 1]++;
    }
    store_iter_seek_for_prev(ci->it, k, klen);
    /* the bound itself, when it is an element, is not under p */
    if (store_iter_valid(ci->it)) {
        size_t kl;
        const char *cur = store_iter_key(ci->it, &kl);
        if (kl == klen && memcmp(cur, k, klen) == 0) store_iter_prev(ci->it);
    }
    if (k != stack) free(k);
    return at_under(ci, p, plen);
}

/* Exactly uniform for small collections: the element at rank r of the tag
 * range, walking from the nearer end. */
static bool walk_to_rank(coll_iter_t *ci, const char *tag, size_t taglen, uint64_t r, uint64_t size)
{
    if (r >= size / 2) {
        if (!seek_last_under(ci, tag, taglen)) return false;
        for (uint64_t i = r + 1; i < size && at_under(ci, tag, taglen); i++)
            store_iter_prev(ci->it);
    } else {
        seek_sub(ci, tag, taglen);
        for (uint64_t i = 0; i < r && at_under(ci, tag, taglen); i++)
            store_iter_next(ci->it);
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
            store_iter_next(ci->it);
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
            const char *k = coll_iter_sub(ci, &klen);
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
        const char *k = coll_iter_sub(ci, &klen);
        uint64_t vk = interp_value(&ip, k, klen);
        ok = vk < t || vk - t < g0;
    }
    free(key.p);
    return ok;
}

/* Remembers the ends just sought (ends_t), when they fit. */
static void ends_keep(coll_iter_t *ci, const char *tag, size_t taglen, const kbuf_t *f, const kbuf_t *l)
{
    const coll_t *co = ci->co;
    if (!ci->db || co->klen > ENDS_MAX || taglen > 1 || f->len > ENDS_MAX || l->len > ENDS_MAX) return;
    ends_t *e = ends_slot(co);
    e->epoch = ci->db->epoch;
    e->version = co->version;
    memcpy(e->key, co->key, e->klen = co->klen);
    if ((e->taglen = taglen)) e->tag[0] = tag[0];
    memcpy(e->f, f->p, e->flen = f->len);
    memcpy(e->l, l->p, e->llen = l->len);
}

bool coll_iter_seek_random(coll_iter_t *ci, const char *tag, size_t taglen, coll_rng_t *g)
{
    const coll_t *co = ci->co;
    if (ci->empty || co->size == 0) return false;
    if (co->size <= COLL_RANDOM_WALK_MAX) return walk_to_rank(ci, tag, taglen, coll_rng_below(g, co->size), co->size);
    kbuf_t f = {0}, l = {0};
    bool ok = false;
    ends_t *e = ends_find(ci->db, co);
    if (e && e->taglen == taglen && (taglen == 0 || memcmp(e->tag, tag, taglen) == 0)) {
        kbuf_set(&f, e->f, e->flen);
        kbuf_set(&l, e->l, e->llen);
    } else {
        seek_sub(ci, tag, taglen);
        if (!at_under(ci, tag, taglen)) goto out;
        take_sub(&f, ci);
        if (!seek_last_under(ci, tag, taglen)) goto out;
        take_sub(&l, ci);
        ends_keep(ci, tag, taglen, &f, &l);
    }
    if (interpolate(ci, g, &f, &l, co->size)) {
        ok = true;
        goto out;
    }
    if (!descend(ci, g, &f, &l)) goto out;
    seek_sub(ci, f.p, f.len);
    ok = at_under(ci, f.p, f.len);
out:
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
                       bool distinct, coll_rng_t *g, coll_elems_t *out)
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
            size_t slen, vlen;
            const char *sub = coll_iter_sub(it, &slen), *val = coll_iter_value(it, &vlen);
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
