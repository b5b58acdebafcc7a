#include "storage/cache.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Open addressing with linear probing over an array of (hash, entry) slots,
 * at most half full: a lookup reads one slot line and, on a hash match, the
 * entry. Eviction is CLOCK (second chance): a hit only sets the entry's
 * reference bit, so unlike an LRU list it never touches other entries'
 * memory — with a large cache each such touch is a cache miss. */
typedef struct centry {
    uint64_t hash;
    uint32_t klen;
    bool ref;     /* used since the clock hand last passed */
    int64_t vlen; /* -1: the key is absent */
    char data[];  /* key, then value */
} centry_t;

typedef struct slot {
    uint64_t hash;
    centry_t *e; /* NULL: empty */
} slot_t;

struct cache {
    slot_t *slots;
    size_t cap; /* power of two */
    size_t entries, bytes, max_bytes;
    size_t hand;
    uint64_t hits, misses;
    bool complete; /* holds every key of the data set: a miss means absent */
};

/* 64-bit hash reading 8 bytes at a time, with murmur3's finalizer so that
 * keys differing only in their last bytes ("key:000123") still spread over
 * the low bits that pick the slot. */
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
    c->cap = 1024;
    c->slots = calloc(c->cap, sizeof(*c->slots));
    c->max_bytes = max_bytes;
    return c;
}

static size_t entry_bytes(const centry_t *e)
{
    return sizeof(*e) + e->klen + (e->vlen > 0 ? (size_t)e->vlen : 0) + 16;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t find(const cache_t *c, uint64_t h, const char *key, size_t klen)
{
    size_t mask = c->cap - 1, i = h & mask;
    for (;;) {
        const slot_t *s = &c->slots[i];
        if (!s->e) return i;
        if (s->hash == h && s->e->klen == klen && memcmp(s->e->data, key, klen) == 0) return i;
        i = (i + 1) & mask;
    }
}

/* Empties slot i and shifts later members of its probe run back, so that
 * every key stays reachable from its home slot without tombstones. */
static void remove_at(cache_t *c, size_t i)
{
    size_t mask = c->cap - 1;
    centry_t *e = c->slots[i].e;
    c->entries--;
    c->bytes -= entry_bytes(e);
    free(e);
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!c->slots[j].e) break;
        size_t home = c->slots[j].hash & mask;
        /* slot j may move to i only if its home is not in (i, j] (cyclically) */
        bool in_between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (in_between) continue;
        c->slots[i] = c->slots[j];
        i = j;
    }
    c->slots[i].e = NULL;
    c->slots[i].hash = 0;
}

static void grow(cache_t *c)
{
    slot_t *old = c->slots;
    size_t oldcap = c->cap;
    c->cap *= 2;
    c->slots = calloc(c->cap, sizeof(*c->slots));
    for (size_t i = 0; i < oldcap; i++) {
        if (!old[i].e) continue;
        size_t j = old[i].hash & (c->cap - 1);
        while (c->slots[j].e) j = (j + 1) & (c->cap - 1);
        c->slots[j] = old[i];
    }
    free(old);
    c->hand = 0;
}

/* Advances the clock hand until the cache fits its budget: a referenced
 * entry loses its bit and is passed over once, an unreferenced one goes. */
static void evict(cache_t *c)
{
    while (c->bytes > c->max_bytes && c->entries) {
        slot_t *s = &c->slots[c->hand];
        if (s->e && s->e->ref) {
            s->e->ref = false;
        } else if (s->e) {
            c->complete = false;
            remove_at(c, c->hand); /* a later entry may now sit here: look again */
            continue;
        }
        c->hand = (c->hand + 1) & (c->cap - 1);
    }
}

int cache_get(cache_t *c, uint64_t h, const char *key, size_t klen, const char **val, size_t *vlen)
{
    if (!c) return -1;
    centry_t *e = c->slots[find(c, h, key, klen)].e;
    if (!e && c->complete) { /* answered: the key is not in the data set */
        c->hits++;
        return 0;
    }
    if (!e) {
        c->misses++;
        return -1;
    }
    c->hits++;
    e->ref = true;
    if (e->vlen < 0) return 0;
    *val = e->data + e->klen;
    *vlen = (size_t)e->vlen;
    return 1;
}

void cache_put(cache_t *c, uint64_t h, const char *key, size_t klen, const char *val, size_t vlen)
{
    if (!c || c->max_bytes == 0) return;
    size_t i = find(c, h, key, klen);
    centry_t *old = c->slots[i].e;
    if (old && val && old->vlen == (int64_t)vlen) { /* same size: overwrite in place */
        if (vlen) memcpy(old->data + old->klen, val, vlen);
        old->ref = true;
        return;
    }
    size_t need = sizeof(centry_t) + klen + (val ? vlen : 0) + 16;
    if (need > c->max_bytes / 8) { /* huge values would flush everything else */
        c->complete = false;            /* and the key is in the data set */
        if (old) remove_at(c, i);
        return;
    }
    centry_t *e = malloc(sizeof(centry_t) + klen + (val ? vlen : 0));
    e->hash = h;
    e->klen = (uint32_t)klen;
    e->vlen = val ? (int64_t)vlen : -1;
    e->ref = true;
    memcpy(e->data, key, klen);
    if (val && vlen) memcpy(e->data + klen, val, vlen);
    if (old) { /* replace in the same slot */
        c->bytes -= entry_bytes(old);
        free(old);
        c->slots[i].e = e;
        c->bytes += entry_bytes(e);
    } else {
        if ((c->entries + 1) * 2 > c->cap) {
            grow(c);
            i = find(c, h, key, klen);
        }
        c->slots[i].hash = h;
        c->slots[i].e = e;
        c->entries++;
        c->bytes += entry_bytes(e);
    }
    evict(c);
}

void cache_clear(cache_t *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->cap; i++) {
        free(c->slots[i].e);
        c->slots[i].e = NULL;
        c->slots[i].hash = 0;
    }
    c->entries = c->bytes = 0;
    c->hand = 0;
    c->complete = false;
}

void cache_set_complete(cache_t *c)
{
    if (c && c->max_bytes) c->complete = true;
}

bool cache_knows(const cache_t *c, uint64_t h, const char *key, size_t klen)
{
    return c && (c->complete || c->slots[find(c, h, key, klen)].e);
}

void cache_prefetch(const cache_t *c, uint64_t h)
{
    if (c) __builtin_prefetch(&c->slots[h & (c->cap - 1)]);
}

void cache_prefetch_entry(const cache_t *c, uint64_t h)
{
    if (!c) return;
    const centry_t *e = c->slots[h & (c->cap - 1)].e;
    if (e) __builtin_prefetch(e);
}

void cache_free(cache_t *c)
{
    if (!c) return;
    cache_clear(c);
    free(c->slots);
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
    out->complete = c->complete;
}
