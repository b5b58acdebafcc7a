/* Cursors for the commands that iterate a little at a time: SCAN (the
 * keyspace, t_keys.c), HSCAN (t_hash.c), SSCAN (t_set.c) and ZSCAN
 * (t_zset_ops.c).
 *
 * Keys and elements are ordered by their bytes, so resuming an iteration
 * means seeking just past the last key or element the previous call
 * visited, while clients expect an integer cursor. A cursor table maps
 * cursor numbers to (key, that position). It is node-local state, which is
 * allowed because these commands are reads. Numbers only grow and a slot
 * remembers which number it holds, so a stale cursor whose slot was reused
 * can never alias a newer one: it is simply unknown. A cursor that is
 * unknown (stale, from another node, invented) or that was handed out for
 * another key restarts the iteration, which still honours the guarantee of
 * Redis's SCAN family: whatever is present throughout a full iteration is
 * returned at least once.
 *
 * Replies and errors, and their order, are those of Redis 7.0. */
#ifndef REDRAFT_CMD_CURSOR_H
#define REDRAFT_CMD_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd/coll.h"

/* ---- the table ------------------------------------------------------------- */

typedef struct cursor_slot {
    uint64_t cursor; /* 0: empty */
    char *buf;       /* key, then position, then a NUL */
    size_t klen, plen;
} cursor_slot_t;

typedef struct cursor_table {
    cursor_slot_t *slots;
    size_t nslots;
    uint64_t next; /* the next number to hand out; 0 until the first */
} cursor_table_t;

/* A command's own table of n slots (a file-scope static): each command has
 * its own numbers, and n bounds how many iterations it resumes at once. */
#define CURSOR_TABLE(name, n)                                                                      \
    static cursor_slot_t name##_slots[n];                                                          \
    static cursor_table_t name = {name##_slots, (n), 0}

/* Remembers that an iteration of key stopped at pos and returns the new
 * cursor for it. Numbers start from the wall clock times 1024, so numbers
 * handed out before a restart are very unlikely to come back after it,
 * while staying below 2^53 for clients that keep cursors in a double. */
uint64_t cursor_save(cursor_table_t *t, int64_t now_ms, const char *key, size_t klen,
                     const char *pos, size_t plen);

/* Where a known cursor of key resumes: *from is the remembered position
 * followed by a NUL, which with *flen = its length + 1 is the smallest
 * position after it (the seek target). Returns false, leaving *from and
 * *flen alone, for cursor 0 (never stored: it means "from the start") and
 * for an unknown cursor or one of another key, which restart. */
bool cursor_find(const cursor_table_t *t, uint64_t cur, const char *key, size_t klen,
                 const char **from, size_t *flen);

/* ---- arguments --------------------------------------------------------------- */

/* Parses a cursor as Redis does, with strtoul: an empty string is 0, a
 * leading sign is allowed ("-1" wraps), leading spaces and any trailing
 * garbage are not, and the parse stops at a NUL byte. Returns 0 or -1. */
int cursor_parse(const char *s, size_t len, uint64_t *out);

/* The cursor in argument i, or -1 with "ERR invalid cursor" replied: every
 * command of the family checks its cursor before anything else. */
int cursor_arg(cmd_ctx_t *c, int i, uint64_t *out);

/* The options [MATCH pattern] [COUNT count] (and for SCAN [TYPE type]). */
typedef struct cursor_opts {
    long long count;     /* what a call visits at the most (default 10) */
    const char *pat;     /* NULL: no MATCH, or MATCH "*", which matches all */
    size_t plen;
    size_t prefix;       /* pat's literal prefix: nothing else can match */
    const char *type;    /* SCAN's TYPE; NULL: none */
    size_t typelen;
} cursor_opts_t;

/* Parses the options from argument first on, as Redis does, in one pass:
 * a COUNT that is not an integer is ERR_NOTINT, a COUNT below 1, an
 * unknown option or one without its value is ERR_SYNTAX, each as met; the
 * last of a repeated option wins. TYPE is an option only with_type (SCAN).
 * Returns 0, or -1 with the error replied. */
int cursor_opts_parse(cmd_ctx_t *c, int first, bool with_type, cursor_opts_t *o);

/* Whether s still has the pattern's literal prefix. Iterating in byte
 * order, the first one without it ends the walk: nothing after can match. */
bool cursor_opts_within(const cursor_opts_t *o, const char *s, size_t len);

/* Whether s matches the pattern (everything does without one). */
bool cursor_opts_match(const cursor_opts_t *o, const char *s, size_t len);

/* Moves a resume position (*from, *flen; "" and 0 for the start) forward
 * to the pattern's literal prefix when that comes later: no key or element
 * before it can match, so a walk need not visit them. */
void cursor_opts_narrow(const cursor_opts_t *o, const char **from, size_t *flen);

/* ---- one call's page ------------------------------------------------------------ */

/* COUNT bounds what a call visits, not what it returns, as in Redis: with
 * MATCH (or TYPE) a call may return fewer items, even none. One position
 * beyond COUNT is peeked at so that the final call already answers cursor
 * 0 rather than a cursor that leads to an empty page. */
typedef struct cursor_page {
    reply_t items;    /* what the call returns, written by the command */
    long long nitems; /* elements in items: the command counts them */
    long long count, visited;
    bool more;        /* a position beyond COUNT exists */
    char *last;       /* a copy of the last position visited */
    size_t lastlen, lastcap;
} cursor_page_t;

void cursor_page_init(cursor_page_t *p, cmd_ctx_t *c, long long count);

/* Visits pos: returns true and remembers pos as the resume position, or,
 * once COUNT positions were visited, returns false (the walk stops) and
 * notes that there is more. pos is copied: an iterator may move on. */
bool cursor_page_step(cursor_page_t *p, const char *pos, size_t len);

/* Replies [cursor, items]: the cursor is 0 when the walk reached the end,
 * else a new cursor of key resuming after the last position visited (SCAN
 * passes the key "": the keyspace). Frees the page. */
void cursor_page_reply(cursor_page_t *p, cmd_ctx_t *c, cursor_table_t *t, const char *key,
                       size_t klen);

/* [0, []]: the answer for a missing key, whatever the options. */
void cursor_reply_empty(cmd_ctx_t *c);

/* ---- HSCAN, SSCAN, ZSCAN ----------------------------------------------------- */

/* Writes one returned element to items (its value: the sub-key's value)
 * and returns how many reply elements that was. */
typedef long long cursor_emit_fn(reply_t *items, const char *elem, size_t len, const char *val,
                                 size_t vlen);
/* The element alone (SSCAN's members), or the element and its value
 * (HSCAN's field, value pairs). */
cursor_emit_fn cursor_emit_elem, cursor_emit_pair;

/* How a collection is scanned. */
typedef struct cursor_coll_scan {
    obj_type_t type;
    cursor_table_t *table;
    char tag;       /* the byte before every element's sub-key ('m' in a zset); 0: none */
    uint64_t whole; /* a collection of up to this many elements is answered whole, with
                     * cursor 0, whatever the cursor and COUNT; 0: never */
    bool narrow;    /* a pattern's literal prefix narrows the walk (cursor_opts_narrow);
                     * only without a tag */
    cursor_emit_fn *emit;
} cursor_coll_scan_t;

/* The whole command "XSCAN key cursor [MATCH pattern] [COUNT count]" over
 * the collection in argv[1], in Redis 7.0's order: the cursor is checked
 * first, then the key (of another type: WRONGTYPE; missing: an empty final
 * page, without looking at the options), then the options. */
void cursor_scan_coll(cmd_ctx_t *c, const cursor_coll_scan_t *how);

#endif
