/* The state machine's transactions (store.h): the overlay of a write txn,
 * the batched prefetch of what a batch will read, point reads through the
 * commit queue and the read cache, the committer thread that writes
 * handed-off batches into RocksDB, and iterators. */
#include "storage/store.h"
#include "storage/store_int.h"
#include "util/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void cache_update(struct store_txn *t);
static int reap_committed(store_t *s);

/* ---- transactions ------------------------------------------------------ */

/* A write txn remembers the latest value of every key it wrote in a hash
 * overlay, so the commands later in the same batch read their predecessors'
 * writes without a search through RocksDB. The committer turns the overlay
 * into a WriteBatch (build_batch), off the loop thread; only if an iterator is
 * asked for is it turned into a WriteBatchWithIndex, which merges with the
 * database. */
typedef struct ovl_entry {
    uint64_t hash;
    size_t koff, voff;
    uint32_t klen, vlen;
    uint8_t cf;
    bool deleted;
} ovl_entry_t;

struct store_txn {
    store_t *s;
    bool write;
    uint64_t nwrites; /* puts and deletes so far (store_txn_writes) */
    rocksdb_writebatch_wi_t *wbwi;
    ovl_entry_t *ents;
    size_t nents, capents;
    struct store_txn *qprev, *qnext; /* in the committer's queue */
    bool done;                       /* written by the committer */
    uint32_t *idx; /* open addressing: entry index + 1, 0 = empty */
    size_t idxcap; /* power of two */
    char *arena;
    size_t alen, acap;
    struct prefetch *pf; /* store_txn_prefetch's answers, or NULL */
};

/* What a MultiGet answered for a txn's keys, as of s->reaped == gen: a
 * key in no queued batch has the same value in RocksDB until a batch that
 * holds it is reaped (reaping happens at a commit, or when an iterator
 * drains the queue), so past that the answers are dropped. */
typedef struct pf_ent {
    uint64_t hash;
    size_t koff, voff;
    uint32_t klen, vlen;
    bool found;
} pf_ent_t;

struct prefetch {
    uint64_t gen;
    pf_ent_t *ents;
    size_t n, capents;
    uint32_t *idx; /* entry index + 1; 0 = empty */
    size_t cap;    /* power of two */
    char *arena;
    size_t alen, acap;
};

/* The overlay's hash of a key: its cache hash (h) mixed with the cf. */
static uint64_t ovl_hash_of(store_cf_t cf, uint64_t h)
{
    return h ^ ((uint64_t)cf * 0x9E3779B97F4A7C15ull);
}

static uint64_t ovl_hash(store_cf_t cf, const char *key, size_t klen)
{
    return ovl_hash_of(cf, cache_hash(key, klen));
}

static ovl_entry_t *ovl_find(store_txn_t *t, store_cf_t cf, uint64_t h, const char *key, size_t klen, size_t *slot)
{
    if (!t->idxcap) return NULL;
    size_t i = h & (t->idxcap - 1);
    while (t->idx[i]) {
        ovl_entry_t *e = &t->ents[t->idx[i] - 1];
        if (e->hash == h && e->cf == cf && e->klen == klen && memcmp(t->arena + e->koff, key, klen) == 0) {
            if (slot) *slot = i;
            return e;
        }
        i = (i + 1) & (t->idxcap - 1);
    }
    if (slot) *slot = i;
    return NULL;
}

/* Appends n bytes to a growing buffer and returns where they start. */
static size_t bytes_push(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
    if (*len + n > *cap) {
        size_t ncap = *cap ? *cap * 2 : 4096;
        while (ncap < *len + n) ncap *= 2;
        *buf = realloc(*buf, ncap);
        *cap = ncap;
    }
    size_t off = *len;
    if (n) memcpy(*buf + off, p, n);
    *len += n;
    return off;
}

static size_t arena_add(store_txn_t *t, const char *p, size_t n)
{
    return bytes_push(&t->arena, &t->alen, &t->acap, p, n);
}

static void ovl_rehash(store_txn_t *t)
{
    size_t ncap = t->idxcap ? t->idxcap * 2 : 64;
    free(t->idx);
    t->idx = calloc(ncap, sizeof(*t->idx));
    t->idxcap = ncap;
    for (size_t k = 0; k < t->nents; k++) {
        size_t i = t->ents[k].hash & (ncap - 1);
        while (t->idx[i]) i = (i + 1) & (ncap - 1);
        t->idx[i] = (uint32_t)(k + 1);
    }
}

static void ovl_record(store_txn_t *t, store_cf_t cf, const char *key, size_t klen, const char *val, size_t vlen,
                       bool deleted)
{
    uint64_t h = ovl_hash(cf, key, klen);
    size_t slot;
    ovl_entry_t *e = ovl_find(t, cf, h, key, klen, &slot);
    if (!e) {
        if ((t->nents + 1) * 2 > t->idxcap) {
            ovl_rehash(t);
            ovl_find(t, cf, h, key, klen, &slot);
        }
        if (t->nents == t->capents) {
            t->capents = t->capents ? t->capents * 2 : 64;
            t->ents = realloc(t->ents, sizeof(*t->ents) * t->capents);
        }
        e = &t->ents[t->nents++];
        t->idx[slot] = (uint32_t)t->nents;
        e->hash = h;
        e->cf = (uint8_t)cf;
        e->klen = (uint32_t)klen;
        e->koff = arena_add(t, key, klen);
    }
    e->deleted = deleted;
    e->vlen = deleted ? 0 : (uint32_t)vlen;
    e->voff = deleted ? 0 : arena_add(t, val, vlen);
}

static void ovl_reset(store_txn_t *t)
{
    t->nents = 0;
    t->alen = 0;
    if (t->idxcap) memset(t->idx, 0, t->idxcap * sizeof(*t->idx));
}

store_txn_t *store_txn_begin(store_t *s, bool write)
{
    if (!write) return s->reader_ptr;
    store_txn_t *t = calloc(1, sizeof(*t));
    t->s = s;
    t->write = true;
    return t;
}

bool store_txn_is_write(const store_txn_t *t)
{
    return t->write;
}

static char *copy_out(const char *p, size_t n)
{
    char *v = malloc(n ? n : 1);
    if (n) memcpy(v, p, n);
    return v;
}

static int reap_committed(store_t *s);

/* ---- prefetch (store_txn_prefetch) ------------------------------------------ */

#define CACHE_AHEAD 8 /* batched cache probes: slots loaded this many keys ahead */

static size_t pf_arena_add(struct prefetch *pf, const char *p, size_t n)
{
    return bytes_push(&pf->arena, &pf->alen, &pf->acap, p, n);
}

/* The entry for key, or NULL; *slot gets where it is or would go. */
static pf_ent_t *pf_slot(const struct prefetch *pf, uint64_t h, const char *key, size_t klen, size_t *slot)
{
    size_t i = h & (pf->cap - 1);
    while (pf->idx[i]) {
        pf_ent_t *e = &pf->ents[pf->idx[i] - 1];
        if (e->hash == h && e->klen == klen && memcmp(pf->arena + e->koff, key, klen) == 0) {
            if (slot) *slot = i;
            return e;
        }
        i = (i + 1) & (pf->cap - 1);
    }
    if (slot) *slot = i;
    return NULL;
}

static const pf_ent_t *pf_find(const struct prefetch *pf, uint64_t h, const char *key, size_t klen)
{
    return pf->n ? pf_slot(pf, h, key, klen, NULL) : NULL;
}

static void pf_free(struct prefetch *pf)
{
    if (!pf) return;
    free(pf->ents);
    free(pf->idx);
    free(pf->arena);
    free(pf);
}

static void pf_grow(struct prefetch *pf, size_t more)
{
    if (pf->n + more > pf->capents) {
        pf->capents = (pf->n + more) * 2;
        pf->ents = realloc(pf->ents, sizeof(*pf->ents) * pf->capents);
    }
    if ((pf->n + more) * 2 <= pf->cap) return;
    size_t ncap = pf->cap ? pf->cap : 16;
    while (ncap < (pf->n + more) * 2) ncap *= 2;
    free(pf->idx);
    pf->idx = calloc(ncap, sizeof(*pf->idx));
    pf->cap = ncap;
    for (size_t k = 0; k < pf->n; k++) {
        size_t i = pf->ents[k].hash & (ncap - 1);
        while (pf->idx[i]) i = (i + 1) & (ncap - 1);
        pf->idx[i] = (uint32_t)(k + 1);
    }
}

void store_txn_prefetch(store_txn_t *t, const char *const *keys, const size_t *lens, size_t n)
{
    if (!t->write || n == 0) return;
    store_t *s = t->s;
    if (t->pf && t->pf->gen != s->reaped) {
        pf_free(t->pf);
        t->pf = NULL;
    }
    if (!t->pf) {
        t->pf = calloc(1, sizeof(*t->pf));
        t->pf->gen = s->reaped;
    }
    struct prefetch *pf = t->pf;
    pf_grow(pf, n);
    /* distinct keys only: a batch often writes one key many times */
    const char **uk = malloc(sizeof(*uk) * n);
    size_t *ul = malloc(sizeof(*ul) * n);
    uint64_t *hs = malloc(sizeof(*hs) * n);
    size_t nu = 0, first = pf->n;
    for (size_t i = 0; i < n; i++)
        hs[i] = cache_hash(keys[i], lens[i]);
    /* what the read cache answers (get_committed asks it after the queued
     * batches) needs no RocksDB lookup: only the rest goes to the MultiGet */
    if (s->cache) pthread_mutex_lock(&s->cache_mu);
    for (size_t i = 0; i < n; i++) {
        uint64_t h = hs[i];
        size_t slot;
        if (i + CACHE_AHEAD < n) cache_prefetch(s->cache, hs[i + CACHE_AHEAD]);
        if (i + CACHE_AHEAD / 2 < n) cache_prefetch_entry(s->cache, hs[i + CACHE_AHEAD / 2]);
        if (pf_slot(pf, h, keys[i], lens[i], &slot)) continue;
        if (s->cache && cache_knows(s->cache, h, keys[i], lens[i])) continue;
        pf_ent_t *e = &pf->ents[pf->n];
        *e = (pf_ent_t){.hash = h, .klen = (uint32_t)lens[i], .koff = pf_arena_add(pf, keys[i], lens[i])};
        pf->idx[slot] = (uint32_t)++pf->n;
        uk[nu] = keys[i];
        ul[nu++] = lens[i];
    }
    if (s->cache) pthread_mutex_unlock(&s->cache_mu);
    free(hs);
    rocksdb_pinnableslice_t **vals = calloc(nu ? nu : 1, sizeof(*vals));
    char **errs = calloc(nu ? nu : 1, sizeof(*errs));
    if (nu) rocksdb_batched_multi_get_cf(s->smdb, s->ropts, s->cf[CF_DATA], nu, uk, ul, vals, errs, false);
    for (size_t i = 0; i < nu; i++) {
        pf_ent_t *e = &pf->ents[first + i];
        if (errs[i]) { /* not answered: forget the key, its read goes the usual way */
            free(errs[i]);
            e->klen = UINT32_MAX; /* never matches */
        } else if (vals[i]) {
            size_t vl;
            const char *v = rocksdb_pinnableslice_value(vals[i], &vl);
            e->found = true;
            e->vlen = (uint32_t)vl;
            e->voff = pf_arena_add(pf, v, vl);
        }
        if (vals[i]) rocksdb_pinnableslice_destroy(vals[i]);
    }
    free(vals);
    free(errs);
    free(uk);
    free(ul);
}

/* The newest committed value of key in the batches the committer has not
 * finished: ents and arena of a handed-off txn never change, and the queue's
 * links are the loop thread's, so this needs no lock. */
static ovl_entry_t *queued_find(store_t *s, store_cf_t cf, uint64_t h, const char *key, size_t klen,
                                store_txn_t **in)
{
    if (!s->q_tail) return NULL;
    uint64_t oh = ovl_hash_of(cf, h);
    for (store_txn_t *q = s->q_tail; q; q = q->qprev) {
        ovl_entry_t *e = q->nents ? ovl_find(q, cf, oh, key, klen, NULL) : NULL;
        if (e) {
            *in = q;
            return e;
        }
    }
    return NULL;
}

/* Committed state: the batches the committer has not finished (newest
 * first), else the cache, else the database (which then fills the cache if
 * asked to). The committer updates the cache after it writes a batch and
 * before the batch counts as done, so a key found in no queued batch has its
 * latest value in the cache or, evicted, in the database. */
static int get_committed(store_t *s, const struct prefetch *pf, store_cf_t cf, const char *key, size_t klen,
                         char **val, size_t *vlen, bool fill_cache)
{
    uint64_t h = cache_hash(key, klen); /* one hash for the queue, the prefetch and the cache */
    store_txn_t *q;
    ovl_entry_t *e = queued_find(s, cf, h, key, klen, &q);
    if (e) {
        if (e->deleted) return 0;
        *val = copy_out(q->arena + e->voff, e->vlen);
        *vlen = e->vlen;
        return 1;
    }
    if (pf && cf == CF_DATA && pf->gen == s->reaped) {
        const pf_ent_t *p = pf_find(pf, h, key, klen);
        if (p) {
            if (!p->found) return 0;
            *val = copy_out(pf->arena + p->voff, p->vlen);
            *vlen = p->vlen;
            return 1;
        }
    }
    if (cf == CF_DATA && s->cache) {
        const char *cv;
        size_t cl;
        pthread_mutex_lock(&s->cache_mu);
        int rc = cache_get(s->cache, h, key, klen, &cv, &cl);
        if (rc == 1) {
            *val = copy_out(cv, cl);
            *vlen = cl;
        }
        pthread_mutex_unlock(&s->cache_mu);
        if (rc >= 0) return rc;
    }
    char *rerr = NULL;
    char *v = rocksdb_get_cf(s->smdb, s->ropts, s->cf[cf], key, klen, vlen, &rerr);
    if (rerr) {
        free(rerr);
        return -1;
    }
    if (fill_cache && cf == CF_DATA && s->cache) {
        pthread_mutex_lock(&s->cache_mu);
        cache_put(s->cache, h, key, klen, v, v ? *vlen : 0);
        pthread_mutex_unlock(&s->cache_mu);
    }
    *val = v;
    return v != NULL;
}

int store_get(store_txn_t *t, store_cf_t cf, const char *key, size_t klen, char **val, size_t *vlen)
{
    if (t->write && t->nents) {
        ovl_entry_t *e = ovl_find(t, cf, ovl_hash(cf, key, klen), key, klen, NULL);
        if (e) {
            if (e->deleted) return 0;
            *val = copy_out(t->arena + e->voff, e->vlen);
            *vlen = e->vlen;
            return 1;
        }
    }
    /* a lookup inside apply does not fill the cache: the commit that follows
     * puts the key's new value there anyway */
    return get_committed(t->s, t->pf, cf, key, klen, val, vlen, !t->write);
}

/* Transactions belong to the state machine; the log has its own calls. A
 * cf outside the enum (a caller's bug) must not reach RocksDB as a stray
 * handle. */
static void txn_cf_check(store_cf_t cf)
{
    if (cf != CF_META && cf != CF_DATA) {
        log_error("store_misuse", " op=txn_write cf=%d", (int)cf);
        abort();
    }
}

void store_put(store_txn_t *t, store_cf_t cf, const char *key, size_t klen, const char *val, size_t vlen)
{
    txn_cf_check(cf);
    if (t->wbwi) rocksdb_writebatch_wi_put_cf(t->wbwi, t->s->cf[cf], key, klen, val, vlen);
    ovl_record(t, cf, key, klen, val, vlen, false);
    t->nwrites++;
}

void store_del(store_txn_t *t, store_cf_t cf, const char *key, size_t klen)
{
    txn_cf_check(cf);
    if (t->wbwi) rocksdb_writebatch_wi_delete_cf(t->wbwi, t->s->cf[cf], key, klen);
    ovl_record(t, cf, key, klen, NULL, 0, true);
    t->nwrites++;
}

void store_compact_data(store_t *s)
{
    store_drain(s);
    rocksdb_compact_range_cf(s->smdb, s->cf[CF_DATA], NULL, 0, NULL, 0);
}

uint64_t store_txn_writes(const store_txn_t *t)
{
    return t->nwrites;
}

/* Pushes the txn's data-CF changes into the cache once they are written.
 * Each put is a probe into a table far larger than the CPU caches: the slots
 * (and then the entries) of the next puts are loaded ahead, so the probes'
 * memory stalls overlap instead of following one another. The lock is
 * released every 32 keys: the loop's reads wait for a few updates, not for
 * a whole batch. */
static void cache_update(store_txn_t *t)
{
    store_t *s = t->s;
    if (!s->cache || t->nents == 0) return;
    size_t n = t->nents;
    uint64_t *hs = malloc(sizeof(*hs) * n);
    for (size_t i = 0; i < n; i++)
        hs[i] = t->ents[i].cf == CF_DATA ? cache_hash(t->arena + t->ents[i].koff, t->ents[i].klen) : 0;
    pthread_mutex_lock(&s->cache_mu);
    for (size_t i = 0; i < n; i++) {
        if (i + CACHE_AHEAD < n) cache_prefetch(s->cache, hs[i + CACHE_AHEAD]);
        if (i + CACHE_AHEAD / 2 < n) cache_prefetch_entry(s->cache, hs[i + CACHE_AHEAD / 2]);
        ovl_entry_t *e = &t->ents[i];
        if (e->cf != CF_DATA) continue;
        cache_put(s->cache, hs[i], t->arena + e->koff, e->klen, e->deleted ? NULL : t->arena + e->voff, e->vlen);
        if ((i & 31) == 31) {
            pthread_mutex_unlock(&s->cache_mu);
            pthread_mutex_lock(&s->cache_mu);
        }
    }
    pthread_mutex_unlock(&s->cache_mu);
    free(hs);
}

static int ent_cmp(const void *a, const void *b, void *arg)
{
    const store_txn_t *sort_txn = arg;
    const ovl_entry_t *x = &sort_txn->ents[*(const uint32_t *)a], *y = &sort_txn->ents[*(const uint32_t *)b];
    if (x->cf != y->cf) return x->cf < y->cf ? -1 : 1;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(sort_txn->arena + x->koff, sort_txn->arena + y->koff, n);
    if (c) return c;
    return x->klen < y->klen ? -1 : x->klen > y->klen;
}

/* The txn's final state as a WriteBatch: the overlay holds each key once,
 * with its last value, and a batch is applied atomically, so this writes
 * exactly what the txn's puts and deletes did, in any order. In key order,
 * each memtable insert starts from where the previous one ended (RocksDB's
 * splice) instead of from the top of the skiplist: inserts were most of the
 * committer's time. */
static void build_batch(const store_txn_t *t, rocksdb_writebatch_t *wb)
{
    uint32_t *order = malloc(sizeof(*order) * (t->nents ? t->nents : 1));
    for (size_t i = 0; i < t->nents; i++)
        order[i] = (uint32_t)i;
    qsort_r(order, t->nents, sizeof(*order), ent_cmp, (void *)t);
    for (size_t i = 0; i < t->nents; i++) {
        const ovl_entry_t *e = &t->ents[order[i]];
        if (e->deleted)
            rocksdb_writebatch_delete_cf(wb, t->s->cf[e->cf], t->arena + e->koff, e->klen);
        else
            rocksdb_writebatch_put_cf(wb, t->s->cf[e->cf], t->arena + e->koff, e->klen, t->arena + e->voff, e->vlen);
    }
    free(order);
}

/* Writes the txn into RocksDB (not synced: the log is) and then the cache. */
static char *write_txn(store_txn_t *t, rocksdb_writebatch_t *wb)
{
    char *rerr = NULL;
    rocksdb_writebatch_clear(wb);
    build_batch(t, wb);
    rocksdb_write(t->s->smdb, t->s->wnosync, wb, &rerr);
    if (!rerr) cache_update(t);
    return rerr;
}

/* A range deletion cannot be answered from the overlay, so the batch so far
 * and the range deletion are written together right now and the txn goes on
 * with an empty batch. Crash-safe for its only user, FLUSHALL: replaying the
 * entries before it cannot change what the range deletion leaves behind.
 * The range is ["", "\xff"): every key (no key of either CF starts with
 * 0xff). Its start must stay the empty key: RocksDB before 9.2 shares the
 * memtable insert hints between point keys and range tombstones, which
 * corrupts the skiplist (RocksDB #12558); the empty key is outside the data
 * CF's hint domain (keys of at least one byte), so the tombstone never takes
 * or leaves a hint. */
void store_clear(store_txn_t *t, store_cf_t cf)
{
    static const char end[1] = {(char)0xff};
    const char *start = end; /* any pointer: the length is 0 */
    size_t slen = 0, elen = sizeof(end);
    txn_cf_check(cf);
    store_drain(t->s);
    t->s->reaped++; /* the range is gone: no prefetched answer holds */
    t->nwrites++;
    rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
    build_batch(t, wb);
    rocksdb_writebatch_delete_range_cf(wb, t->s->cf[cf], start, slen, end, elen);
    char *rerr = NULL;
    rocksdb_write(t->s->smdb, t->s->wnosync, wb, &rerr);
    free(rerr);
    rocksdb_writebatch_destroy(wb);
    if (t->wbwi) {
        rocksdb_writebatch_wi_destroy(t->wbwi);
        t->wbwi = NULL;
    }
    cache_update(t); /* what was just written leaves the overlay: the cache must know it */
    ovl_reset(t);
    if (cf == CF_DATA) store_cache_reset(t->s);
}

/* The data set was emptied or replaced (FLUSHALL, a snapshot installed, the
 * cache made anew): the cache starts over, and when the data set is now
 * empty, it holds all of it (cache_set_complete). Queued batches are
 * written by then. */
void store_cache_reset(store_t *s)
{
    if (!s->cache) return;
    /* a data set just emptied may still hold its deleted keys' tombstones:
     * past 10,000 of them the look gives up (incomplete) and the cache is
     * simply not complete, instead of the loop walking them all */
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_readoptions_set_max_skippable_internal_keys(ro, 10000);
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->smdb, ro, s->cf[CF_DATA]);
    rocksdb_iter_seek_to_first(it);
    char *ierr = NULL;
    bool empty = !rocksdb_iter_valid(it);
    rocksdb_iter_get_error(it, &ierr);
    if (ierr) {
        empty = false;
        free(ierr);
    }
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    pthread_mutex_lock(&s->cache_mu);
    cache_clear(s->cache);
    if (empty) cache_set_complete(s->cache);
    pthread_mutex_unlock(&s->cache_mu);
}

store_txn_t *store_reader_new(store_t *s)
{
    store_txn_t *t = calloc(1, sizeof(*t));
    t->s = s;
    return t;
}

void store_enable_cache(store_t *s, size_t max_bytes)
{
    store_drain(s);
    pthread_mutex_lock(&s->cache_mu);
    cache_free(s->cache);
    s->cache = max_bytes ? cache_new(max_bytes) : NULL;
    pthread_mutex_unlock(&s->cache_mu);
    store_cache_reset(s);
}

void store_cache_stats(store_t *s, uint64_t *hits, uint64_t *misses, uint64_t *entries, uint64_t *bytes)
{
    cache_stats_t st;
    pthread_mutex_lock(&s->cache_mu);
    cache_get_stats(s->cache, &st);
    pthread_mutex_unlock(&s->cache_mu);
    *hits = st.hits;
    *misses = st.misses;
    *entries = st.entries;
    *bytes = st.bytes;
}

static void txn_free(store_txn_t *t)
{
    if (!t->write) return;
    pf_free(t->pf);
    if (t->wbwi) rocksdb_writebatch_wi_destroy(t->wbwi);
    free(t->ents);
    free(t->idx);
    free(t->arena);
    free(t);
}

/* ---- the committer ------------------------------------------------------ */

/* Writing an apply batch into RocksDB (mostly memtable inserts) is the
 * largest single cost of a write, and nothing waits for it: the entries are
 * already durable in the log, and a crash before the batch lands is repaired
 * by replaying the log from the state machine's applied index. So the loop
 * thread hands batches to this thread and goes on; until a batch is written,
 * reads find its values in the cache or in the batch itself (get_committed),
 * and iterators wait for the queue to drain (store_drain). */
static void *committer_main(void *arg)
{
    store_t *s = arg;
    store_thread_init();
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->q_next && !s->stopping) pthread_cond_wait(&s->cv_work, &s->mu);
        if (!s->q_next) break;
        store_txn_t *t = s->q_next;
        s->q_next = t->qnext;
        s->committing = true;
        pthread_mutex_unlock(&s->mu);

        char *rerr = write_txn(t, s->cwb);
        if (rerr) { /* the state machine can no longer follow the log */
            log_error("storage_failure", " op=apply error=\"%s\" action=exit", rerr);
            _exit(1);
        }

        pthread_mutex_lock(&s->mu);
        t->done = true;
        s->committing = false;
        pthread_cond_broadcast(&s->cv_done);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

void store_committer_start(store_t *s)
{
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv_work, NULL);
    pthread_cond_init(&s->cv_done, NULL);
    s->cwb = rocksdb_writebatch_create();
    s->committer_running = pthread_create(&s->committer, NULL, committer_main, s) == 0;
}

/* Frees the batches the committer has written, oldest first. Loop thread. */
static int reap_committed(store_t *s)
{
    int n = 0;
    pthread_mutex_lock(&s->mu);
    while (s->q_head && s->q_head->done) {
        store_txn_t *t = s->q_head;
        s->q_head = t->qnext;
        if (s->q_head) s->q_head->qprev = NULL; else s->q_tail = NULL;
        s->q_len--;
        s->reaped++;
        n++;
        pthread_mutex_unlock(&s->mu);
        txn_free(t);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* Waits until at most `keep` batches are still queued. */
static void wait_queue(store_t *s, int keep)
{
    if (!s->committer_running) return;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        int pending = 0;
        for (store_txn_t *q = s->q_head; q; q = q->qnext) pending += !q->done;
        if (pending <= keep) break;
        pthread_cond_wait(&s->cv_done, &s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    reap_committed(s);
}

void store_drain(store_t *s)
{
    wait_queue(s, 0);
}

#define MAX_QUEUED 8 /* batches the committer may lag behind before apply waits */

/* With inline commits on, a small batch with nothing queued before it is
 * written in the calling (loop) thread: waking the committer for a few dozen
 * inserts cost more than the inserts on two cores shared with the clients
 * (one node at -P 1, 50 clients: INCR +12 % or more in each of 8 alternating
 * runs, SET a few %). A large one, or one behind others, still goes to the
 * committer, in order. Off by default: in a cluster the loop's time is on
 * the path of the acknowledgements, and writing there cost cluster SET and
 * INCR at -P 1 10-20 %; the node turns it on while it is the only voter. */
#define INLINE_MAX_ENTS 128

void store_set_inline_commits(store_t *s, bool on)
{
    s->inline_commits = on;
}

int store_txn_commit(store_txn_t *t, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    if (!t->write) return 0;
    store_t *s = t->s;
    bool small = s->inline_commits && t->nents <= INLINE_MAX_ENTS;
    if (s->committer_running && small) reap_committed(s);
    if (!s->committer_running || (small && !s->q_head)) { /* write here */
        rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
        char *rerr = write_txn(t, wb);
        rocksdb_writebatch_destroy(wb);
        txn_free(t);
        if (rerr) {
            store_set_err(err, errlen, "apply", rerr);
            return -1;
        }
        return 0;
    }
    pthread_mutex_lock(&s->mu);
    t->qprev = s->q_tail;
    t->qnext = NULL;
    if (s->q_tail) s->q_tail->qnext = t; else s->q_head = t;
    s->q_tail = t;
    if (!s->q_next) s->q_next = t;
    s->q_len++;
    pthread_cond_signal(&s->cv_work);
    pthread_mutex_unlock(&s->mu);
    reap_committed(s);
    if (s->q_len > MAX_QUEUED) wait_queue(s, MAX_QUEUED / 2);
    return 0;
}

void store_txn_abort(store_txn_t *t)
{
    txn_free(t);
}

void store_free(void *p)
{
    free(p);
}

/* An iterator over a write txn needs the txn's changes merged with the
 * database: build the indexed batch from the overlay on first use. */
static void materialize_wbwi(store_txn_t *t)
{
    if (t->wbwi) return;
    t->wbwi = rocksdb_writebatch_wi_create(0, 1);
    for (size_t i = 0; i < t->nents; i++) {
        ovl_entry_t *e = &t->ents[i];
        if (e->deleted)
            rocksdb_writebatch_wi_delete_cf(t->wbwi, t->s->cf[e->cf], t->arena + e->koff, e->klen);
        else
            rocksdb_writebatch_wi_put_cf(t->wbwi, t->s->cf[e->cf], t->arena + e->koff, e->klen, t->arena + e->voff,
                                         e->vlen);
    }
}

/* ---- iterators --------------------------------------------------------- */

store_iter_t *store_iter_new(store_txn_t *t, store_cf_t cf)
{
    store_drain(t->s);
    store_iter_t *it = malloc(sizeof(*it));
    rocksdb_iterator_t *base = rocksdb_create_iterator_cf(t->s->smdb, t->s->ropts, t->s->cf[cf]);
    if (t->write) materialize_wbwi(t);
    it->it = t->write ? rocksdb_writebatch_wi_create_iterator_with_base_cf(t->wbwi, base, t->s->cf[cf]) : base;
    return it;
}

void store_iter_seek(store_iter_t *it, const char *key, size_t klen)
{
    rocksdb_iter_seek(it->it, key, klen);
}
void store_iter_seek_for_prev(store_iter_t *it, const char *key, size_t klen)
{
    rocksdb_iter_seek_for_prev(it->it, key, klen);
}
bool store_iter_valid(store_iter_t *it)
{
    return rocksdb_iter_valid(it->it);
}
void store_iter_next(store_iter_t *it)
{
    rocksdb_iter_next(it->it);
}
void store_iter_prev(store_iter_t *it)
{
    rocksdb_iter_prev(it->it);
}
const char *store_iter_key(store_iter_t *it, size_t *klen)
{
    return rocksdb_iter_key(it->it, klen);
}
const char *store_iter_value(store_iter_t *it, size_t *vlen)
{
    return rocksdb_iter_value(it->it, vlen);
}
void store_iter_free(store_iter_t *it)
{
    rocksdb_iter_destroy(it->it);
    free(it);
}

