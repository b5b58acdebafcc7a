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

static size_t list_bytes;                    /* all lists together */
static size_t list_budget = ENDS_LIST_BYTES; /* what they may take */

static uint64_t list_builds;

uint64_t ends_list_builds(void)
{
    return list_builds;
}

size_t ends_list_budget(size_t bytes)
{
    size_t was = list_budget;
    list_budget = bytes;
    return was;
}

/* What one listed element costs: its bytes, the allocator's header, its
 * place in a chunk. */
static size_t elem_cost(size_t len)
{
    return len + 16 + sizeof(char *) + 1;
}

static void list_drop(ends_t *e)
{
    for (size_t c = 0; c < e->nchunks; c++) {
        for (size_t j = 0; j < e->chunks[c]->n; j++)
            free(e->chunks[c]->subs[j]);
        free(e->chunks[c]);
    }
    free(e->chunks);
    e->chunks = NULL;
    e->nchunks = e->cap = 0;
    list_bytes -= e->bytes;
    e->bytes = 0;
    e->n = 0;
    e->listed = false;
}

void ends_reset_all(void)
{
    for (size_t i = 0; i < ENDS_SLOTS; i++) {
        list_drop(&ends_table[i]);
        ends_table[i].epoch = 0;
    }
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
    e->draws = 0;
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

/* ---- lists ------------------------------------------------------------------ */

/* Lists of another state of the database (an older epoch: before a
 * snapshot's install) can never be read again: they make room first. */
bool ends_list_affordable(const db_t *db, uint64_t size)
{
    uint64_t need = size * elem_cost(16);
    if (list_bytes + need > list_budget) {
        for (size_t i = 0; i < ENDS_SLOTS; i++)
            if (ends_table[i].epoch != db->epoch && ends_table[i].nchunks) list_drop(&ends_table[i]);
    }
    return list_bytes + need <= list_budget;
}

/* A new empty chunk at index c. */
static ends_chunk_t *chunk_insert(ends_t *e, size_t c)
{
    if (e->nchunks == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 8;
        e->chunks = realloc(e->chunks, e->cap * sizeof(*e->chunks));
    }
    memmove(&e->chunks[c + 1], &e->chunks[c], (e->nchunks - c) * sizeof(*e->chunks));
    e->nchunks++;
    e->chunks[c] = calloc(1, sizeof(ends_chunk_t));
    return e->chunks[c];
}

static void chunk_remove(ends_t *e, size_t c)
{
    free(e->chunks[c]);
    memmove(&e->chunks[c], &e->chunks[c + 1], (e->nchunks - c - 1) * sizeof(*e->chunks));
    e->nchunks--;
}

/* Puts a copy of sub at j in chunk ch (room checked by the caller). */
static void chunk_put(ends_t *e, ends_chunk_t *ch, size_t j, const char *sub, size_t len)
{
    memmove(&ch->subs[j + 1], &ch->subs[j], (ch->n - j) * sizeof(ch->subs[0]));
    memmove(&ch->lens[j + 1], &ch->lens[j], (ch->n - j) * sizeof(ch->lens[0]));
    ch->subs[j] = malloc(len ? len : 1);
    if (len) memcpy(ch->subs[j], sub, len);
    ch->lens[j] = (uint8_t)len;
    ch->n++;
    e->n++;
    e->bytes += elem_cost(len);
    list_bytes += elem_cost(len);
}

void ends_list_begin(ends_t *e)
{
    list_builds++;
    list_drop(e);
    e->unfit = false;
}

void ends_list_append(ends_t *e, const char *sub, size_t len)
{
    if (e->unfit) return;
    if (len > ENDS_MAX || list_bytes + elem_cost(len) > list_budget) {
        list_drop(e);
        e->unfit = true;
        return;
    }
    ends_chunk_t *ch = e->nchunks ? e->chunks[e->nchunks - 1] : NULL;
    if (!ch || ch->n == ENDS_CHUNK) ch = chunk_insert(e, e->nchunks);
    chunk_put(e, ch, ch->n, sub, len);
}

void ends_list_end(ends_t *e, uint64_t expect)
{
    if (e->unfit || e->n != expect) {
        list_drop(e);
        return;
    }
    e->listed = true;
}

static int chunk_last_cmp(const ends_chunk_t *ch, const char *sub, size_t len)
{
    return coll_sub_cmp(ch->subs[ch->n - 1], ch->lens[ch->n - 1], sub, len);
}

/* The first index in ch whose element is >= sub (ch->n: none). */
static size_t chunk_lower(const ends_chunk_t *ch, const char *sub, size_t len)
{
    size_t lo = 0, hi = ch->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (coll_sub_cmp(ch->subs[mid], ch->lens[mid], sub, len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The first chunk whose last element is >= sub (nchunks: none). */
static size_t chunk_for(const ends_t *e, const char *sub, size_t len)
{
    size_t lo = 0, hi = e->nchunks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (chunk_last_cmp(e->chunks[mid], sub, len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

ends_pos_t ends_list_ceil(const ends_t *e, const char *sub, size_t len)
{
    ends_pos_t p = {0};
    p.c = chunk_for(e, sub, len);
    if (p.c == e->nchunks) return p;
    p.j = chunk_lower(e->chunks[p.c], sub, len);
    p.valid = true;
    return p;
}

ends_pos_t ends_list_floor(const ends_t *e, const char *sub, size_t len)
{
    ends_pos_t p = ends_list_ceil(e, sub, len);
    if (p.valid) {
        const ends_chunk_t *ch = e->chunks[p.c];
        if (coll_sub_cmp(ch->subs[p.j], ch->lens[p.j], sub, len) == 0) return p;
        ends_list_prev(e, &p);
        return p;
    }
    /* every element is < sub: the last one */
    if (e->nchunks == 0) return p;
    p.c = e->nchunks - 1;
    p.j = e->chunks[p.c]->n - 1;
    p.valid = true;
    return p;
}

ends_pos_t ends_list_at(const ends_t *e, uint64_t r)
{
    ends_pos_t p = {0};
    for (size_t c = 0; c < e->nchunks; c++) {
        if (r < e->chunks[c]->n) {
            p.c = c, p.j = (size_t)r, p.valid = true;
            return p;
        }
        r -= e->chunks[c]->n;
    }
    return p;
}

void ends_list_next(const ends_t *e, ends_pos_t *p)
{
    if (!p->valid) return;
    if (++p->j < e->chunks[p->c]->n) return;
    p->j = 0;
    p->valid = ++p->c < e->nchunks;
}

void ends_list_prev(const ends_t *e, ends_pos_t *p)
{
    if (!p->valid) return;
    if (p->j > 0) {
        p->j--;
        return;
    }
    if (p->c == 0) {
        p->valid = false;
        return;
    }
    p->c--;
    p->j = e->chunks[p->c]->n - 1;
}

const char *ends_list_sub(const ends_t *e, ends_pos_t p, size_t *len)
{
    const ends_chunk_t *ch = e->chunks[p.c];
    *len = ch->lens[p.j];
    return ch->subs[p.j];
}

static void list_put(ends_t *e, const char *sub, size_t slen)
{
    if (slen > ENDS_MAX || list_bytes + elem_cost(slen) > list_budget) {
        list_drop(e);
        return;
    }
    size_t c = chunk_for(e, sub, slen);
    if (c == e->nchunks) { /* past every element: the last chunk, or a first one */
        if (c == 0)
            chunk_insert(e, 0);
        else
            c--;
    }
    ends_chunk_t *ch = e->chunks[c];
    size_t j = chunk_lower(ch, sub, slen);
    if (j < ch->n && coll_sub_cmp(ch->subs[j], ch->lens[j], sub, slen) == 0)
        return;                /* there already */
    if (ch->n == ENDS_CHUNK) { /* split: the upper half to a new chunk after it */
        ends_chunk_t *up = chunk_insert(e, c + 1);
        ch = e->chunks[c];
        size_t half = ENDS_CHUNK / 2;
        memcpy(up->subs, &ch->subs[half], (ch->n - half) * sizeof(ch->subs[0]));
        memcpy(up->lens, &ch->lens[half], (ch->n - half) * sizeof(ch->lens[0]));
        up->n = ch->n - half;
        ch->n = half;
        if (j > half) { /* (at half: the end of the lower one) */
            ch = up;
            j -= half;
        }
    }
    chunk_put(e, ch, j, sub, slen);
}

static void list_del(ends_t *e, const char *sub, size_t slen)
{
    size_t c = chunk_for(e, sub, slen);
    if (c == e->nchunks) return;
    ends_chunk_t *ch = e->chunks[c];
    size_t j = chunk_lower(ch, sub, slen);
    if (j == ch->n || coll_sub_cmp(ch->subs[j], ch->lens[j], sub, slen) != 0) return;
    free(ch->subs[j]);
    memmove(&ch->subs[j], &ch->subs[j + 1], (ch->n - j - 1) * sizeof(ch->subs[0]));
    memmove(&ch->lens[j], &ch->lens[j + 1], (ch->n - j - 1) * sizeof(ch->lens[0]));
    ch->n--;
    e->n--;
    e->bytes -= elem_cost(slen);
    list_bytes -= elem_cost(slen);
    if (ch->n == 0) chunk_remove(e, c);
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
