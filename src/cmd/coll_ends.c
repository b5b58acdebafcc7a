/* The ends of collections: bounds of their elements, and the elements of
 * small ones, remembered by the process (coll_int.h says what and why). */
#include <stdlib.h>
#include <string.h>

#include "cmd/coll_int.h"

#define ENDS_SLOTS 64

static ends_t ends_table[ENDS_SLOTS];

static ends_t *slot_of(const coll_t *co)
{
    uint64_t h = co->version * 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < co->klen; i++)
        h = (h ^ (unsigned char)co->key[i]) * 0x100000001B3ULL;
    return &ends_table[(h >> 32) % ENDS_SLOTS];
}

/* The slot holding co (under any tag), or NULL. */
static ends_t *find_any(const db_t *db, const coll_t *co)
{
    if (!db || !co->version || co->klen > ENDS_MAX) return NULL;
    ends_t *e = slot_of(co);
    if (e->epoch != db->epoch || e->version != co->version || e->klen != co->klen ||
        memcmp(e->key, co->key, co->klen) != 0)
        return NULL;
    return e;
}

ends_t *ends_find(const db_t *db, const coll_t *co, const char *tag, size_t taglen)
{
    ends_t *e = find_any(db, co);
    if (!e || e->taglen != taglen || (taglen && e->tag[0] != tag[0])) return NULL;
    return e;
}

static void list_drop(ends_t *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->subs[i]);
    e->n = 0;
    e->listed = false;
}

ends_t *ends_claim(const db_t *db, const coll_t *co, const char *tag, size_t taglen)
{
    if (!db || !co->version || co->klen > ENDS_MAX || taglen > 1) return NULL;
    ends_t *e = ends_find(db, co, tag, taglen);
    if (e) return e;
    e = slot_of(co);
    list_drop(e);
    e->epoch = db->epoch;
    e->version = co->version;
    memcpy(e->key, co->key, e->klen = co->klen);
    if ((e->taglen = taglen)) e->tag[0] = tag[0];
    e->f.known = e->l.known = false;
    return e;
}

void ends_bound_set(ends_bound_t *b, const char *sub, size_t len)
{
    b->known = b->live = len <= ENDS_MAX;
    if (b->known) memcpy(b->sub, sub, b->len = len);
}

bool ends_under_tag(const ends_t *e, const char *sub, size_t slen)
{
    return e->taglen == 0 || (slen >= 1 && sub[0] == e->tag[0]);
}

bool ends_list_set(ends_t *e, char *const *subs, const size_t *lens, size_t n)
{
    list_drop(e);
    if (n > ENDS_LIST_MAX) return false;
    for (size_t i = 0; i < n; i++)
        if (lens[i] > ENDS_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        e->subs[i] = malloc(lens[i] ? lens[i] : 1);
        memcpy(e->subs[i], subs[i], lens[i]);
        e->lens[i] = (uint8_t)lens[i];
    }
    e->n = n;
    e->listed = true;
    return true;
}

/* Where sub is in the list, or would go: *found says which. */
static size_t list_search(const ends_t *e, const char *sub, size_t slen, bool *found)
{
    size_t lo = 0, hi = e->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = coll_sub_cmp(e->subs[mid], e->lens[mid], sub, slen);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static void list_put(ends_t *e, const char *sub, size_t slen)
{
    bool found;
    size_t at = list_search(e, sub, slen, &found);
    if (found) return;
    if (e->n == ENDS_LIST_MAX || slen > ENDS_MAX) {
        list_drop(e);
        return;
    }
    memmove(&e->subs[at + 1], &e->subs[at], (e->n - at) * sizeof(e->subs[0]));
    memmove(&e->lens[at + 1], &e->lens[at], (e->n - at) * sizeof(e->lens[0]));
    e->subs[at] = malloc(slen ? slen : 1);
    memcpy(e->subs[at], sub, slen);
    e->lens[at] = (uint8_t)slen;
    e->n++;
}

static void list_del(ends_t *e, const char *sub, size_t slen)
{
    bool found;
    size_t at = list_search(e, sub, slen, &found);
    if (!found) return;
    free(e->subs[at]);
    memmove(&e->subs[at], &e->subs[at + 1], (e->n - at - 1) * sizeof(e->subs[0]));
    memmove(&e->lens[at], &e->lens[at + 1], (e->n - at - 1) * sizeof(e->lens[0]));
    e->n--;
}

/* A new element before f (after l) is the new first (last) one; one
 * written at a bound makes the bound live again. */
void ends_on_put(const db_t *db, const coll_t *co, const char *sub, size_t slen)
{
    ends_t *e = find_any(db, co);
    if (!e || !ends_under_tag(e, sub, slen)) return;
    if (e->f.known) {
        int c = coll_sub_cmp(sub, slen, e->f.sub, e->f.len);
        if (c < 0)
            ends_bound_set(&e->f, sub, slen);
        else if (c == 0)
            e->f.live = true;
    }
    if (e->l.known) {
        int c = coll_sub_cmp(sub, slen, e->l.sub, e->l.len);
        if (c > 0)
            ends_bound_set(&e->l, sub, slen);
        else if (c == 0)
            e->l.live = true;
    }
    if (e->listed) list_put(e, sub, slen);
}

/* A deleted bound stays a bound: nothing lies beyond it still. */
void ends_on_del(const db_t *db, const coll_t *co, const char *sub, size_t slen)
{
    ends_t *e = find_any(db, co);
    if (!e || !ends_under_tag(e, sub, slen)) return;
    if (e->f.known && coll_sub_cmp(sub, slen, e->f.sub, e->f.len) == 0) e->f.live = false;
    if (e->l.known && coll_sub_cmp(sub, slen, e->l.sub, e->l.len) == 0) e->l.live = false;
    if (e->listed) list_del(e, sub, slen);
}
