/* Cursor tables, options and pages of SCAN, HSCAN, SSCAN and ZSCAN
 * (cursor.h says why they work as they do). */
#include "cmd/cursor.h"

#include "util/glob.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the table ------------------------------------------------------------- */

uint64_t cursor_save(cursor_table_t *t, int64_t now_ms, const char *key, size_t klen,
                     const char *pos, size_t plen)
{
    if (t->next == 0) t->next = (now_ms > 0 ? (uint64_t)now_ms : 1) << 10;
    uint64_t cur = t->next++;
    cursor_slot_t *s = &t->slots[cur % t->nslots];
    free(s->buf);
    s->buf = malloc(klen + plen + 1);
    if (klen) memcpy(s->buf, key, klen);
    if (plen) memcpy(s->buf + klen, pos, plen);
    s->buf[klen + plen] = '\0'; /* pos + NUL: the smallest position after pos */
    s->klen = klen;
    s->plen = plen;
    s->cursor = cur;
    return cur;
}

bool cursor_find(const cursor_table_t *t, uint64_t cur, const char *key, size_t klen,
                 const char **from, size_t *flen)
{
    const cursor_slot_t *s = &t->slots[cur % t->nslots];
    if (!cur || s->cursor != cur || s->klen != klen || (klen && memcmp(s->buf, key, klen) != 0))
        return false;
    *from = s->buf + s->klen;
    *flen = s->plen + 1;
    return true;
}

/* ---- arguments --------------------------------------------------------------- */

int cursor_parse(const char *s, size_t len, uint64_t *out)
{
    const char *nul = memchr(s, '\0', len);
    if (nul) len = (size_t)(nul - s);
    size_t i = 0;
    bool neg = false;
    if (len && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        if (++i == len) return -1;
    }
    uint64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = neg ? 0 - v : v;
    return 0;
}

int cursor_arg(cmd_ctx_t *c, int i, uint64_t *out)
{
    if (cursor_parse(c->argv[i], c->argvlen[i], out) == 0) return 0;
    reply_error(c->reply, "ERR invalid cursor");
    return -1;
}

int cursor_opts_parse(cmd_ctx_t *c, int first, bool with_type, cursor_opts_t *o)
{
    *o = (cursor_opts_t){.count = 10};
    for (int i = first; i < c->argc; i += 2) {
        bool has_value = i + 1 < c->argc;
        if (cmd_arg_is(c, i, "count") && has_value) {
            if (cmd_parse_ll(c->argv[i + 1], c->argvlen[i + 1], &o->count) < 0) {
                reply_error(c->reply, ERR_NOTINT);
                return -1;
            }
            if (o->count < 1) {
                reply_error(c->reply, ERR_SYNTAX);
                return -1;
            }
        } else if (cmd_arg_is(c, i, "match") && has_value) {
            o->pat = c->argv[i + 1];
            o->plen = c->argvlen[i + 1];
            if (o->plen == 1 && o->pat[0] == '*') o->pat = NULL;
        } else if (with_type && cmd_arg_is(c, i, "type") && has_value) {
            o->type = c->argv[i + 1];
            o->typelen = c->argvlen[i + 1];
        } else {
            reply_error(c->reply, ERR_SYNTAX);
            return -1;
        }
    }
    o->prefix = o->pat ? glob_literal_prefix(o->pat, o->plen) : 0;
    return 0;
}

bool cursor_opts_within(const cursor_opts_t *o, const char *s, size_t len)
{
    return !o->prefix || (len >= o->prefix && memcmp(s, o->pat, o->prefix) == 0);
}

bool cursor_opts_match(const cursor_opts_t *o, const char *s, size_t len)
{
    return !o->pat || glob_match(o->pat, o->plen, s, len, 0);
}

void cursor_opts_narrow(const cursor_opts_t *o, const char **from, size_t *flen)
{
    if (!o->prefix) return;
    size_t n = *flen < o->prefix ? *flen : o->prefix;
    int cmp = memcmp(*from, o->pat, n);
    if (cmp < 0 || (cmp == 0 && *flen < o->prefix)) {
        *from = o->pat;
        *flen = o->prefix;
    }
}

/* ---- one call's page ------------------------------------------------------------ */

void cursor_page_init(cursor_page_t *p, cmd_ctx_t *c, long long count)
{
    *p = (cursor_page_t){.count = count};
    reply_init(&p->items, c->reply->proto);
}

bool cursor_page_step(cursor_page_t *p, const char *pos, size_t len)
{
    if (p->visited == p->count) {
        p->more = true;
        return false;
    }
    p->visited++;
    if (len > p->lastcap) {
        p->lastcap = len * 2;
        p->last = realloc(p->last, p->lastcap);
    }
    if (len) memcpy(p->last, pos, len);
    p->lastlen = len;
    return true;
}

void cursor_page_reply(cursor_page_t *p, cmd_ctx_t *c, cursor_table_t *t, const char *key,
                       size_t klen)
{
    uint64_t next = p->more ? cursor_save(t, c->now_ms, key, klen, p->last, p->lastlen) : 0;
    char buf[24];
    int n = snprintf(buf, sizeof(buf), "%llu", (unsigned long long)next);
    reply_array(c->reply, 2);
    reply_bulk(c->reply, buf, (size_t)n);
    reply_array(c->reply, p->nitems);
    if (p->items.len) reply_raw(c->reply, p->items.buf, p->items.len);
    reply_free(&p->items);
    free(p->last);
}

void cursor_reply_empty(cmd_ctx_t *c)
{
    reply_array(c->reply, 2);
    reply_bulk(c->reply, "0", 1);
    reply_array(c->reply, 0);
}

/* ---- HSCAN, SSCAN, ZSCAN ----------------------------------------------------- */

long long cursor_emit_elem(reply_t *items, const char *elem, size_t len, const char *val,
                           size_t vlen)
{
    reply_bulk(items, elem, len);
    return 1;
}

long long cursor_emit_pair(reply_t *items, const char *elem, size_t len, const char *val,
                           size_t vlen)
{
    reply_bulk(items, elem, len);
    reply_bulk(items, val, vlen);
    return 2;
}

/* The walk over the sub-keys that start with the tag (all of them without
 * one); positions are whole sub-keys, tag included, and the pattern and
 * emit see the element after the tag. */
void cursor_scan_coll(cmd_ctx_t *c, const cursor_coll_scan_t *how)
{
    uint64_t cursor;
    if (cursor_arg(c, 2, &cursor) < 0) return;
    coll_t co;
    int rc = coll_open(c, c->argv[1], c->argvlen[1], how->type, &co);
    if (rc == 0) cursor_reply_empty(c);
    if (rc <= 0) goto out;
    cursor_opts_t o;
    if (cursor_opts_parse(c, 3, false, &o) < 0) goto out;
    bool whole = how->whole && co.size <= how->whole;
    if (whole) o.count = LLONG_MAX;

    size_t tlen = how->tag ? 1 : 0;
    const char *from = how->tag ? &how->tag : ""; /* the first element */
    size_t flen = tlen;
    if (!whole) cursor_find(how->table, cursor, c->argv[1], c->argvlen[1], &from, &flen);
    if (how->narrow) cursor_opts_narrow(&o, &from, &flen);

    cursor_page_t p;
    cursor_page_init(&p, c, o.count);
    coll_iter_t *it = coll_iter_new(c, &co, from, flen, false);
    for (; coll_iter_valid(it); coll_iter_next(it)) {
        size_t sl, vl;
        const char *sub = coll_iter_sub(it, &sl);
        if (sl < tlen || (tlen && sub[0] != how->tag)) break;
        const char *e = sub + tlen;
        size_t elen = sl - tlen;
        if ((how->narrow && !cursor_opts_within(&o, e, elen)) || !cursor_page_step(&p, sub, sl))
            break;
        if (!cursor_opts_match(&o, e, elen)) continue;
        const char *v = coll_iter_value(it, &vl);
        p.nitems += how->emit(&p.items, e, elen, v, vl);
    }
    coll_iter_free(it);
    cursor_page_reply(&p, c, how->table, c->argv[1], c->argvlen[1]);
out:
    coll_release(&co);
}
