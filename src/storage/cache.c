#include "storage/cache.h"

#include <stdlib.h>
#include <string.h>

typedef struct centry {
    struct centry *hnext;      /* bucket chain */
    struct centry *prev, *next; /* LRU list, most recent at head */
    uint64_t hash;
    uint32_t klen;
    int64_t vlen;              /* -1: the key is absent */
    char data[];               /* key, then value */
} centry_t;

struct cache {
    centry_t **buckets;
    size_t nbuckets; /* power of two */
    size_t entries, bytes, max_bytes;
    centry_t *head, *tail;
    uint64_t hits, misses;
};

/* 64-bit hash reading 8 bytes at a time, with murmur3's finalizer so that
 * keys differing only in their last bytes ("key:000123") still spread over
 * the low bits that pick the bucket. */
uint64_t cache_hash(const char *key, size_t klen)
{
    const uint64_t m = 0x9E3779B97F4A7C15ull;
    uint64_t h = 0x1234567ull ^ (klen * m);
    size_t i = 0;
    for (; i + 8 <= klen; i += 8) {
        uint64_t w;
        memcpy(&w, key + i, 8);
        h ^= w;
        h = (h ^ (h >> 31)) * m;
        h = (h << 27) | (h >> 37);
    }
    uint64_t w = 0;
    memcpy(&w, key + i, klen - i);
    h ^= w;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

cache_t *cache_new(size_t max_bytes)
{
    cache_t *c = calloc(1, sizeof(*c));
    c->nbuckets = 1024;
    c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
    c->max_bytes = max_bytes;
    return c;
}

static size_t entry_bytes(const centry_t *e)
{
    return sizeof(*e) + e->klen + (e->vlen > 0 ? (size_t)e->vlen : 0) + 16;
}

static void lru_unlink(cache_t *c, centry_t *e)
{
    if (e->prev) e->prev->next = e->next; else c->head = e->next;
    if (e->next) e->next->prev = e->prev; else c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push_front(cache_t *c, centry_t *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head) c->head->prev = e;
    c->head = e;
    if (!c->tail) c->tail = e;
}

static centry_t **find_slot(cache_t *c, uint64_t h, const char *key, size_t klen)
{
    centry_t **pp = &c->buckets[h & (c->nbuckets - 1)];
    for (; *pp; pp = &(*pp)->hnext) {
        centry_t *e = *pp;
        if (e->hash == h && e->klen == klen && memcmp(e->data, key, klen) == 0) return pp;
    }
    return pp;
}

static void remove_entry(cache_t *c, centry_t **pp)
{
    centry_t *e = *pp;
    *pp = e->hnext;
    lru_unlink(c, e);
    c->entries--;
    c->bytes -= entry_bytes(e);
    free(e);
}

static void grow(cache_t *c)
{
    size_t nb = c->nbuckets * 2;
    centry_t **b = calloc(nb, sizeof(*b));
    for (size_t i = 0; i < c->nbuckets; i++) {
        centry_t *e = c->buckets[i];
        while (e) {
            centry_t *next = e->hnext;
            e->hnext = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
            e = next;
        }
    }
    free(c->buckets);
    c->buckets = b;
    c->nbuckets = nb;
}

int cache_get(cache_t *c, uint64_t h, const char *key, size_t klen, const char **val, size_t *vlen)
{
    if (!c) return -1;
    centry_t *e = *find_slot(c, h, key, klen);
    if (!e) {
        c->misses++;
        return -1;
    }
    c->hits++;
    if (c->head != e) {
        lru_unlink(c, e);
        lru_push_front(c, e);
    }
    if (e->vlen < 0) return 0;
    *val = e->data + e->klen;
    *vlen = (size_t)e->vlen;
    return 1;
}

void cache_put(cache_t *c, uint64_t h, const char *key, size_t klen, const char *val, size_t vlen)
{
    if (!c || c->max_bytes == 0) return;
    centry_t **pp = find_slot(c, h, key, klen);
    if (*pp && val && (*pp)->vlen == (int64_t)vlen) { /* same size: overwrite in place */
        centry_t *e = *pp;
        if (vlen) memcpy(e->data + e->klen, val, vlen);
        if (c->head != e) {
            lru_unlink(c, e);
            lru_push_front(c, e);
        }
        return;
    }
    if (*pp) remove_entry(c, pp);
    size_t need = sizeof(centry_t) + klen + (val ? vlen : 0) + 16;
    if (need > c->max_bytes / 8) return; /* huge values would flush everything else */
    centry_t *e = malloc(sizeof(centry_t) + klen + (val ? vlen : 0));
    e->hash = h;
    e->klen = (uint32_t)klen;
    e->vlen = val ? (int64_t)vlen : -1;
    memcpy(e->data, key, klen);
    if (val && vlen) memcpy(e->data + klen, val, vlen);
    if (c->entries >= c->nbuckets) {
        grow(c);
        pp = find_slot(c, h, key, klen);
    }
    e->hnext = *pp;
    *pp = e;
    lru_push_front(c, e);
    c->entries++;
    c->bytes += entry_bytes(e);
    while (c->bytes > c->max_bytes && c->tail) {
        centry_t *victim = c->tail;
        remove_entry(c, find_slot(c, victim->hash, victim->data, victim->klen));
    }
}

void cache_clear(cache_t *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->nbuckets; i++) {
        centry_t *e = c->buckets[i];
        while (e) {
            centry_t *next = e->hnext;
            free(e);
            e = next;
        }
        c->buckets[i] = NULL;
    }
    c->head = c->tail = NULL;
    c->entries = c->bytes = 0;
}

void cache_free(cache_t *c)
{
    if (!c) return;
    cache_clear(c);
    free(c->buckets);
    free(c);
}

void cache_get_stats(const cache_t *c, cache_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!c) return;
    out->hits = c->hits;
    out->misses = c->misses;
    out->entries = c->entries;
    out->bytes = c->bytes;
}
