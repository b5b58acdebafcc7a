/* OBJECT ENCODING | FREQ | IDLETIME | REFCOUNT | HELP, answered as Redis 7.0
 * (default configuration) would answer for the same keyspace.
 *
 * We keep values in RocksDB, not in Redis's in-memory encodings, so
 * ENCODING is derived: what a Redis 7.0 with the default thresholds would
 * report for the key's current contents and, for strings, for the command
 * that made the value (the record's META_STR_* flags). A hash, set or
 * sorted set is in the big encoding once its record says so
 * (META_COLL_BIG: it outgrew the small one, and Redis never converts
 * back), else as its current contents say (records written before the
 * flag existed are judged by these alone).
 *
 * We keep no access time nor access counter: IDLETIME is always 0, and
 * FREQ answers Redis's error for a server without an LFU maxmemory policy
 * (ours has no maxmemory policy at all). */
#include "cmd/coll.h"
#include "cmd/families.h"
#include "cmd/session.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Redis 7.0's limit of an embedded string (the collections' are in coll.h). */
#define OBJ_EMBSTR_MAX 44
/* Redis shares the integers 0..9999 (OBJ_SHARED_INTEGERS); a shared
 * object's refcount reads INT_MAX. */
#define SHARED_INTEGERS 10000

/* A string's encoding: the record's flags first (how it was made), then
 * what tryObjectEncoding makes of the bytes. */
static const char *string_encoding(const meta_t *m)
{
    long long v;
    if (m->flags & META_STR_RAW) return "raw";
    if (!(m->flags & META_STR_NOINT) && cmd_parse_ll(m->value, m->vlen, &v) == 0) return "int";
    return m->vlen <= OBJ_EMBSTR_MAX ? "embstr" : "raw";
}

/* Whether every element of a small collection fits test(); stops at the
 * first that does not. prefix (may be NULL) restricts the walk to sub-keys
 * starting with that byte (a zset's 'm' records). Returns 1 yes, 0 no,
 * -1 storage error (replied). */
typedef bool elem_fits_fn(const char *sub, size_t slen, const char *val, size_t vlen);

static int all_fit(cmd_ctx_t *c, const char *key, size_t klen, obj_type_t type, const char *prefix,
                   elem_fits_fn *fits)
{
    coll_t co;
    int rc = coll_open(c, key, klen, type, &co);
    if (rc <= 0) {
        coll_release(&co);
        return rc < 0 ? -1 : 1;
    }
    coll_iter_t *it = coll_iter_new(c, &co, prefix, prefix ? 1 : 0, false);
    int ok = 1;
    for (; ok && coll_iter_valid(it); coll_iter_next(it)) {
        size_t sl, vl;
        const char *sub = coll_iter_sub(it, &sl), *val = coll_iter_value(it, &vl);
        if (prefix && (sl < 1 || sub[0] != prefix[0])) break;
        if (!fits(sub, sl, val, vl)) ok = 0;
    }
    coll_iter_free(it);
    coll_release(&co);
    return ok;
}

/* hash-max-listpack-value applies to fields and values alike. */
static bool hash_small(const char *sub, size_t slen, const char *val, size_t vlen)
{
    return slen <= COLL_HASH_MAX_LISTPACK_VALUE && vlen <= COLL_HASH_MAX_LISTPACK_VALUE;
}

/* An intset holds only members that string2ll accepts. */
static bool set_int(const char *sub, size_t slen, const char *val, size_t vlen)
{
    long long v;
    (void)val;
    (void)vlen;
    return cmd_parse_ll(sub, slen, &v) == 0;
}

/* A zset's 'm' sub-key is 'm' + member. */
static bool zset_small(const char *sub, size_t slen, const char *val, size_t vlen)
{
    (void)sub;
    (void)val;
    (void)vlen;
    return slen - 1 <= COLL_ZSET_MAX_LISTPACK_VALUE;
}

/* The encoding name for a live key, or NULL after a storage error. The
 * record's flag, then the element count alone decide when they can; only
 * then are the elements looked at. */
static const char *key_encoding(cmd_ctx_t *c, const char *key, size_t klen, const meta_t *m)
{
    int rc;
    bool big = m->flags & META_COLL_BIG;
    switch (m->type) {
    case OBJ_STRING: return string_encoding(m);
    case OBJ_LIST: return "quicklist";
    case OBJ_HASH:
        if (big || m->size > COLL_HASH_MAX_LISTPACK_ENTRIES) return "hashtable";
        rc = all_fit(c, key, klen, OBJ_HASH, NULL, hash_small);
        return rc < 0 ? NULL : rc ? "listpack" : "hashtable";
    case OBJ_SET:
        if (big || m->size > COLL_SET_MAX_INTSET_ENTRIES) return "hashtable";
        rc = all_fit(c, key, klen, OBJ_SET, NULL, set_int);
        return rc < 0 ? NULL : rc ? "intset" : "hashtable";
    case OBJ_ZSET:
        if (big || m->size > COLL_ZSET_MAX_LISTPACK_ENTRIES) return "skiplist";
        rc = all_fit(c, key, klen, OBJ_ZSET, "m", zset_small);
        return rc < 0 ? NULL : rc ? "listpack" : "skiplist";
    default: return NULL;
    }
}

/* Every key subcommand starts alike: a missing key answers nil. Returns 1
 * with *k filled, 0 or -1 after replying. */
static int lookup_object(cmd_ctx_t *c, dbkey_t *k)
{
    int found = db_lookup(c, c->argv[2], c->argvlen[2], k);
    if (found == 0) reply_null(c->reply);
    return found;
}

static void objectEncodingCommand(cmd_ctx_t *c)
{
    dbkey_t k;
    if (lookup_object(c, &k) <= 0) return;
    const char *enc = key_encoding(c, c->argv[2], c->argvlen[2], &k.meta);
    if (enc) reply_bulk_cstr(c->reply, enc);
    db_release(&k);
}

/* Redis refuses FREQ unless maxmemory-policy is an LFU one; ours never is. */
static void objectFreqCommand(cmd_ctx_t *c)
{
    dbkey_t k;
    if (lookup_object(c, &k) <= 0) return;
    reply_error(c->reply, "ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
                          "Please note that when switching between policies at runtime LRU and LFU data "
                          "will take some time to adjust.");
    db_release(&k);
}

/* No access time is kept (reads do not write): every key reads as just used. */
static void objectIdletimeCommand(cmd_ctx_t *c)
{
    dbkey_t k;
    if (lookup_object(c, &k) <= 0) return;
    reply_int(c->reply, 0);
    db_release(&k);
}

/* Only Redis's shared small integers (SET/INCR of 0..9999) have a
 * refcount other than 1 that a client can see. */
static void objectRefcountCommand(cmd_ctx_t *c)
{
    dbkey_t k;
    if (lookup_object(c, &k) <= 0) return;
    long long v;
    bool shared = k.meta.type == OBJ_STRING && !(k.meta.flags & (META_STR_RAW | META_STR_NOINT)) &&
                  cmd_parse_ll(k.meta.value, k.meta.vlen, &v) == 0 && v >= 0 && v < SHARED_INTEGERS;
    reply_int(c->reply, shared ? INT_MAX : 1);
    db_release(&k);
}

/* Redis's text, line for line. */
static void objectHelpCommand(cmd_ctx_t *c)
{
    static const char *const lines[] = {
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    };
    size_t n = sizeof(lines) / sizeof(lines[0]);
    reply_array(c->reply, (long long)n);
    for (size_t i = 0; i < n; i++) reply_simple(c->reply, lines[i]);
}

#define OBJ_SUBFLAGS CMD_READONLY
#define OBJ_ACL "keyspace read slow"

static const command_t object_subcommands[] = {
    {"encoding", objectEncodingCommand, 3, OBJ_SUBFLAGS, 2, 2, 1, "generic",
     "Inspect the internal encoding of a Redis object", "2.2.3", "O(1)", OBJ_ACL, NULL,
     KEYSPECS(KS_ONE(2, KS_RO))},
    {"freq", objectFreqCommand, 3, OBJ_SUBFLAGS, 2, 2, 1, "generic",
     "Get the logarithmic access frequency counter of a Redis object", "4.0.0", "O(1)", OBJ_ACL, NULL,
     KEYSPECS(KS_ONE(2, KS_RO))},
    {"idletime", objectIdletimeCommand, 3, OBJ_SUBFLAGS, 2, 2, 1, "generic",
     "Get the time since a Redis object was last accessed", "2.2.3", "O(1)", OBJ_ACL, NULL,
     KEYSPECS(KS_ONE(2, KS_RO))},
    {"refcount", objectRefcountCommand, 3, OBJ_SUBFLAGS, 2, 2, 1, "generic",
     "Get the number of references to the value of the key", "2.2.3", "O(1)", OBJ_ACL, NULL,
     KEYSPECS(KS_ONE(2, KS_RO))},
    {"help", objectHelpCommand, 2, CMD_LOADING | CMD_STALE, 0, 0, 0, "generic",
     "Show helpful text about the different subcommands", "6.2.0", "O(1)", "keyspace slow", NULL,
     NULL},
    {NULL},
};

/* The node checks a container's subcommand and arity before running it
 * (dispatch.c), but a command run straight from the table (MULTI, tests)
 * arrives here unchecked: the same checks with the same texts, without
 * depending on the node layer. */
static void objectCommand(cmd_ctx_t *c)
{
    const command_t *sub = NULL;
    for (const command_t *s = object_subcommands; s->name; s++)
        if (strlen(s->name) == c->argvlen[1] && strncasecmp(s->name, c->argv[1], c->argvlen[1]) == 0) sub = s;
    if (!sub) {
        int len = c->argvlen[1] < 128 ? (int)c->argvlen[1] : 128;
        reply_errorf(c->reply, "ERR unknown subcommand '%.*s'. Try OBJECT HELP.", len, c->argv[1]);
        return;
    }
    if (sub->arity > 0 ? c->argc != sub->arity : c->argc < -sub->arity) {
        reply_errorf(c->reply, "ERR wrong number of arguments for 'object|%s' command", sub->name);
        return;
    }
    if (c->sess) {
        snprintf(c->sess->last_sub, sizeof(c->sess->last_sub), "object|%s", sub->name);
        c->sess->last_cmd = c->sess->last_sub;
    }
    sub->proc(c);
}

/* The container is READONLY (Redis gives it no flags) so that the node
 * serves it as a linearizable read like the subcommands it runs. */
static const command_t object_commands[] = {
    {"object", objectCommand, -2, CMD_READONLY, 0, 0, 0, "generic",
     "A container for object introspection commands", "2.2.3", "Depends on subcommand.", "slow",
     object_subcommands, NULL},
};

/* Called once by cmd_register_data_commands(). */
void t_object_register(void)
{
    cmd_table_add(object_commands, 1);
}
