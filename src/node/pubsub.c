/* Pub/Sub (see pubsub.h): the subscription tables, delivery, and the
 * commands. Three tables, one per kind (channels, patterns, shard
 * channels), each an entry per name with its subscribers in subscription
 * order; each client keeps the entries it subscribes to, in its order, so
 * that an UNSUBSCRIBE without arguments and a closing client find them. */
#include "node/pubsub.h"
#include "node/introspect.h"
#include "node/node.h"
#include "util/glob.h"
#include "util/log.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct ps_entry {
    char *name;
    size_t len;
    uint64_t hash;
    client_t **subs; /* in subscription order */
    size_t nsubs, cap;
    struct ps_entry *next; /* hash chain */
} ps_entry_t;

typedef struct ps_table {
    ps_entry_t **b;
    size_t nb, n;
} ps_table_t;

/* A map from an entry to its place in a client's array (open addressing;
 * a NULL key is a free slot). */
typedef struct ps_map {
    const void **keys;
    size_t *vals;
    size_t cap, n;
} ps_map_t;

/* What one client subscribes to, per kind (see "a client's subscriptions"). */
struct ps_client {
    ps_entry_t **e[3];
    size_t n[3], cap[3];
    ps_map_t at[3];
};

/* Messages a client published to itself wait here for the end of the
 * command: inside EXEC they would otherwise land in the middle of its
 * reply (Redis 7.0 writes them there, breaking the EXEC array). */
typedef struct self_msg {
    client_t *cl;
    reply_t r;
} self_msg_t;

typedef struct pubsub {
    ps_table_t t[3];
    self_msg_t *self;
    size_t nself, capself;
    client_t **kill; /* over the output limit: closed before the next flush */
    size_t nkill, capkill;
} pubsub_t;

static const char *const kind_sub[3] = {"subscribe", "psubscribe", "ssubscribe"};
static const char *const kind_unsub[3] = {"unsubscribe", "punsubscribe", "sunsubscribe"};

static pubsub_t *ps_of(node_t *n)
{
    if (!n->pubsub) n->pubsub = calloc(1, sizeof(pubsub_t));
    return n->pubsub;
}

static client_t *client_of(session_t *s)
{
    return (client_t *)(void *)((char *)s - offsetof(client_t, sess));
}

/* ---- the tables ---------------------------------------------------------- */

static uint64_t hash_bytes(const char *p, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h;
}

static ps_entry_t *table_find(const ps_table_t *t, const char *name, size_t len, uint64_t h)
{
    if (!t->nb) return NULL;
    for (ps_entry_t *e = t->b[h & (t->nb - 1)]; e; e = e->next)
        if (e->hash == h && e->len == len && memcmp(e->name, name, len) == 0) return e;
    return NULL;
}

/* Rehashes into nb buckets: doubled when the table fills, halved when it
 * is mostly empty (every PUBLISH walks the pattern table's buckets, so a
 * table emptied by departed subscribers must not stay large). */
static void table_rehash(ps_table_t *t, size_t nb)
{
    ps_entry_t **b = calloc(nb, sizeof(*b));
    for (size_t i = 0; i < t->nb; i++) {
        ps_entry_t *next;
        for (ps_entry_t *e = t->b[i]; e; e = next) {
            next = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
        }
    }
    free(t->b);
    t->b = b;
    t->nb = nb;
}

static ps_entry_t *table_add(ps_table_t *t, const char *name, size_t len)
{
    uint64_t h = hash_bytes(name, len);
    ps_entry_t *e = table_find(t, name, len, h);
    if (e) return e;
    if (t->n >= t->nb) table_rehash(t, t->nb ? t->nb * 2 : 64);
    e = calloc(1, sizeof(*e));
    e->name = malloc(len ? len : 1);
    memcpy(e->name, name, len);
    e->len = len;
    e->hash = h;
    e->next = t->b[h & (t->nb - 1)];
    t->b[h & (t->nb - 1)] = e;
    t->n++;
    return e;
}

static void table_remove(ps_table_t *t, ps_entry_t *gone)
{
    ps_entry_t **pp = &t->b[gone->hash & (t->nb - 1)];
    while (*pp != gone) pp = &(*pp)->next;
    *pp = gone->next;
    t->n--;
    free(gone->subs);
    free(gone->name);
    free(gone);
    if (t->nb > 64 && t->n < t->nb / 8) table_rehash(t, t->nb / 2);
}

/* ---- a client's subscriptions ---------------------------------------------
 *
 * Per kind, a dense array of the entries (for UNSUBSCRIBE of everything and
 * for the close) and a map from entry to its place in that array, so that
 * subscribing, the "already subscribed?" check and leaving one are O(1)
 * whatever the number of subscriptions (one client may hold a million). */

static size_t ptr_hash(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static size_t *map_get(const ps_map_t *m, const void *key)
{
    if (!m->cap) return NULL;
    for (size_t i = ptr_hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->keys[i]) return NULL;
        if (m->keys[i] == key) return &m->vals[i];
    }
}

static void map_put(ps_map_t *m, const void *key, size_t val);

static void map_grow(ps_map_t *m)
{
    ps_map_t old = *m;
    m->cap = old.cap ? old.cap * 2 : 16;
    m->n = 0;
    m->keys = calloc(m->cap, sizeof(*m->keys));
    m->vals = calloc(m->cap, sizeof(*m->vals));
    for (size_t i = 0; i < old.cap; i++)
        if (old.keys[i]) map_put(m, old.keys[i], old.vals[i]);
    free(old.keys);
    free(old.vals);
}

static void map_put(ps_map_t *m, const void *key, size_t val)
{
    size_t *v = map_get(m, key);
    if (v) {
        *v = val;
        return;
    }
    if ((m->n + 1) * 2 > m->cap) map_grow(m);
    size_t i = ptr_hash(key) & (m->cap - 1);
    while (m->keys[i]) i = (i + 1) & (m->cap - 1);
    m->keys[i] = key;
    m->vals[i] = val;
    m->n++;
}

/* Linear probing's deletion: the entries after the hole that would not be
 * found across it move back into it. */
static void map_del(ps_map_t *m, const void *key)
{
    if (!m->cap) return;
    size_t mask = m->cap - 1, i = ptr_hash(key) & mask;
    while (m->keys[i] && m->keys[i] != key) i = (i + 1) & mask;
    if (!m->keys[i]) return;
    m->keys[i] = NULL;
    m->n--;
    for (size_t j = (i + 1) & mask; m->keys[j]; j = (j + 1) & mask) {
        size_t home = ptr_hash(m->keys[j]) & mask;
        /* keys[j] stays unless the hole lies between its home and j */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (stays) continue;
        m->keys[i] = m->keys[j];
        m->vals[i] = m->vals[j];
        m->keys[j] = NULL;
        i = j;
    }
}

static void sync_counts(client_t *cl)
{
    struct ps_client *pc = cl->ps;
    cl->sess.nsub = pc ? (int)pc->n[PS_CHANNEL] : 0;
    cl->sess.npsub = pc ? (int)pc->n[PS_PATTERN] : 0;
    cl->sess.nssub = pc ? (int)pc->n[PS_SHARD] : 0;
}

/* Subscribes cl; false when it already was. */
static bool subscribe(pubsub_t *ps, client_t *cl, ps_kind_t k, const char *name, size_t len)
{
    if (!cl->ps) cl->ps = calloc(1, sizeof(*cl->ps));
    struct ps_client *pc = cl->ps;
    ps_entry_t *e = table_add(&ps->t[k], name, len);
    if (map_get(&pc->at[k], e)) return false;
    if (e->nsubs == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 4;
        e->subs = realloc(e->subs, e->cap * sizeof(*e->subs));
    }
    e->subs[e->nsubs++] = cl;
    if (pc->n[k] == pc->cap[k]) {
        pc->cap[k] = pc->cap[k] ? pc->cap[k] * 2 : 4;
        pc->e[k] = realloc(pc->e[k], pc->cap[k] * sizeof(*pc->e[k]));
    }
    map_put(&pc->at[k], e, pc->n[k]);
    pc->e[k][pc->n[k]++] = e;
    sync_counts(cl);
    return true;
}

/* Unsubscribes cl from entry e (it is subscribed); the entry goes with its
 * last subscriber. The entry's subscribers keep their order (delivery
 * follows it; leaving costs a walk of that channel's subscribers, as in
 * Redis 7.0); the client's own list does not need one. */
static void unsubscribe_entry(pubsub_t *ps, client_t *cl, ps_kind_t k, ps_entry_t *e)
{
    for (size_t i = 0; i < e->nsubs; i++)
        if (e->subs[i] == cl) {
            memmove(e->subs + i, e->subs + i + 1, (e->nsubs - i - 1) * sizeof(*e->subs));
            e->nsubs--;
            break;
        }
    struct ps_client *pc = cl->ps;
    size_t *at = map_get(&pc->at[k], e);
    if (at) {
        size_t i = *at;
        ps_entry_t *last = pc->e[k][--pc->n[k]];
        pc->e[k][i] = last;
        if (last != e) map_put(&pc->at[k], last, i);
        map_del(&pc->at[k], e);
    }
    if (e->nsubs == 0) table_remove(&ps->t[k], e);
    sync_counts(cl);
}

static ps_entry_t *client_entry(pubsub_t *ps, client_t *cl, ps_kind_t k, const char *name, size_t len)
{
    if (!cl->ps) return NULL;
    ps_entry_t *e = table_find(&ps->t[k], name, len, hash_bytes(name, len));
    return e && map_get(&cl->ps->at[k], e) ? e : NULL;
}

/* ---- delivery ------------------------------------------------------------ */

static void put_message(reply_t *r, ps_kind_t k, const ps_entry_t *pat, const char *ch, size_t chlen,
                        const char *msg, size_t msglen)
{
    if (pat) {
        reply_push(r, 4);
        reply_bulk(r, "pmessage", 8);
        reply_bulk(r, pat->name, pat->len);
    } else {
        reply_push(r, 3);
        if (k == PS_SHARD)
            reply_bulk(r, "smessage", 8);
        else
            reply_bulk(r, "message", 7);
    }
    reply_bulk(r, ch, chlen);
    reply_bulk(r, msg, msglen);
}

static reply_t *self_buffer(pubsub_t *ps, client_t *cl)
{
    for (size_t i = 0; i < ps->nself; i++)
        if (ps->self[i].cl == cl) return &ps->self[i].r;
    if (ps->nself == ps->capself) {
        ps->capself = ps->capself ? ps->capself * 2 : 4;
        ps->self = realloc(ps->self, ps->capself * sizeof(*ps->self));
    }
    self_msg_t *m = &ps->self[ps->nself++];
    m->cl = cl;
    reply_init(&m->r, cl->conn->out.proto);
    return &m->r;
}

/* One message to one subscriber. A subscriber that does not read, with more
 * than PUBSUB_OUTPUT_LIMIT unsent counting this message, loses it and is closed before
 * the next flush (pubsub_before_flush): closing it here would change the
 * lists being walked, or end the connection whose command is running. */
static void deliver_one(pubsub_t *ps, client_t *to, client_t *self, ps_kind_t k, const ps_entry_t *pat,
                        const char *ch, size_t chlen, const char *msg, size_t msglen)
{
    conn_t *c = to->conn;
    if (!c || c->closing) return;
    /* what it would hold with this message: one message over the limit is
     * enough, as in Redis (which checks after adding it) */
    size_t pending = c->out.len + c->inflight.len + msglen + chlen + (pat ? pat->len : 0) + 64;
    if (to == self)
        for (size_t i = 0; i < ps->nself; i++)
            if (ps->self[i].cl == to) pending += ps->self[i].r.len;
    if (pending > PUBSUB_OUTPUT_LIMIT) {
        for (size_t i = 0; i < ps->nkill; i++)
            if (ps->kill[i] == to) return;
        if (ps->nkill == ps->capkill) {
            ps->capkill = ps->capkill ? ps->capkill * 2 : 4;
            ps->kill = realloc(ps->kill, ps->capkill * sizeof(*ps->kill));
        }
        ps->kill[ps->nkill++] = to;
        return;
    }
    if (to == self) {
        put_message(self_buffer(ps, to), k, pat, ch, chlen, msg, msglen);
        return;
    }
    put_message(conn_reply(c), k, pat, ch, chlen, msg, msglen);
    conn_mark_dirty(c);
}

/* Delivers to this node's subscribers: a channel's subscribers first, in
 * subscription order, then those of every matching pattern, as Redis does.
 * Returns the number of messages sent. */
static long long deliver(node_t *n, ps_kind_t k, const char *ch, size_t chlen, const char *msg, size_t msglen,
                         client_t *self)
{
    if (!n->pubsub) return 0;
    pubsub_t *ps = n->pubsub;
    long long count = 0;
    ps_entry_t *e = table_find(&ps->t[k], ch, chlen, hash_bytes(ch, chlen));
    for (size_t i = 0; e && i < e->nsubs; i++, count++)
        deliver_one(ps, e->subs[i], self, k, NULL, ch, chlen, msg, msglen);
    if (k == PS_CHANNEL) {
        ps_table_t *t = &ps->t[PS_PATTERN];
        for (size_t b = 0; b < t->nb; b++)
            for (ps_entry_t *p = t->b[b]; p; p = p->next) {
                if (!glob_match(p->name, p->len, ch, chlen, 0)) continue;
                for (size_t i = 0; i < p->nsubs; i++, count++)
                    deliver_one(ps, p->subs[i], self, k, p, ch, chlen, msg, msglen);
            }
    }
    return count;
}

long long pubsub_deliver(node_t *n, ps_kind_t kind, const char *ch, size_t chlen, const char *msg, size_t msglen)
{
    return deliver(n, kind, ch, chlen, msg, msglen, NULL);
}

void pubsub_flush_self(node_t *n)
{
    pubsub_t *ps = n->pubsub;
    if (!ps || !ps->nself) return;
    for (size_t i = 0; i < ps->nself; i++) {
        self_msg_t *m = &ps->self[i];
        if (m->cl->conn && !m->cl->conn->closing) {
            reply_raw(conn_reply(m->cl->conn), m->r.buf, m->r.len);
            conn_mark_dirty(m->cl->conn);
        }
        reply_free(&m->r);
    }
    ps->nself = 0;
}

void pubsub_before_flush(node_t *n)
{
    pubsub_t *ps = n->pubsub;
    if (!ps) return;
    pubsub_flush_self(n);
    while (ps->nkill) {
        client_t *cl = ps->kill[--ps->nkill]; /* off the list before its close frees it */
        n->stats.pubsub_clients_dropped++;
        log_warn("pubsub_client_dropped", " id=%" PRIu64 " addr=%s reason=\"output buffer over %u bytes\"",
                 cl->sess.id, cl->sess.addr, PUBSUB_OUTPUT_LIMIT);
        if (cl->conn && !cl->conn->closing) conn_close(cl->conn);
    }
}

void pubsub_client_reset(node_t *n, client_t *cl)
{
    struct ps_client *pc = cl->ps;
    if (!pc) return;
    for (int k = 0; k < 3; k++)
        while (pc->n[k]) unsubscribe_entry(n->pubsub, cl, (ps_kind_t)k, pc->e[k][pc->n[k] - 1]);
    for (int k = 0; k < 3; k++) {
        free(pc->e[k]);
        free(pc->at[k].keys);
        free(pc->at[k].vals);
    }
    free(pc);
    cl->ps = NULL;
    sync_counts(cl);
}

void pubsub_client_gone(node_t *n, client_t *cl)
{
    pubsub_t *ps = n->pubsub;
    if (ps)
        for (size_t i = 0; i < ps->nkill; i++)
            if (ps->kill[i] == cl) {
                ps->kill[i] = ps->kill[--ps->nkill];
                break;
            }
    if (ps)
        for (size_t i = 0; i < ps->nself; i++)
            if (ps->self[i].cl == cl) {
                reply_free(&ps->self[i].r);
                ps->self[i] = ps->self[--ps->nself];
                break;
            }
    pubsub_client_reset(n, cl);
}

void pubsub_counts(const node_t *n, size_t *channels, size_t *patterns, size_t *shard)
{
    const pubsub_t *ps = n->pubsub;
    *channels = ps ? ps->t[PS_CHANNEL].n : 0;
    *patterns = ps ? ps->t[PS_PATTERN].n : 0;
    *shard = ps ? ps->t[PS_SHARD].n : 0;
}

void pubsub_free(node_t *n)
{
    pubsub_t *ps = n->pubsub;
    if (!ps) return;
    for (client_t *cl = n->clients; cl; cl = cl->next) pubsub_client_gone(n, cl);
    for (int k = 0; k < 3; k++) free(ps->t[k].b);
    for (size_t i = 0; i < ps->nself; i++) reply_free(&ps->self[i].r);
    free(ps->self);
    free(ps->kill);
    free(ps);
    n->pubsub = NULL;
}

/* ---- commands ------------------------------------------------------------ */

/* The count a (un)subscribe reply carries: channels and patterns together,
 * shard channels apart (Redis 7.0). */
static long long sub_count(const session_t *s, ps_kind_t k)
{
    return k == PS_SHARD ? s->nssub : (long long)s->nsub + s->npsub;
}

/* A (un)subscribe command where nobody waits (an entry applied on a
 * follower, or replayed) changes nothing; through a follower's proxied
 * session (inside a transaction the follower forwarded) it would subscribe
 * that session, which carries replies only: refused. */
static bool has_subscriber(cmd_ctx_t *c)
{
    if (!c->sess) {
        reply_null(c->reply);
        return false;
    }
    if (c->sess->proxied) {
        reply_errorf(c->reply, "ERR %.*s inside a transaction is not supported through a follower; run it on its own",
                     (int)(c->argvlen[0] < 32 ? c->argvlen[0] : 32), c->argv[0]);
        return false;
    }
    return true;
}

static void subscribe_kind(cmd_ctx_t *c, ps_kind_t k)
{
    if (k == PS_SHARD && c->in_exec) { /* Redis 7.0 refuses it there (SUBSCRIBE and PSUBSCRIBE it lets by) */
        reply_error(c->reply, "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
        return;
    }
    if (!has_subscriber(c)) return;
    pubsub_t *ps = ps_of(node_of(c));
    client_t *cl = client_of(c->sess);
    for (int i = 1; i < c->argc; i++) {
        subscribe(ps, cl, k, c->argv[i], c->argvlen[i]);
        reply_push(c->reply, 3);
        reply_bulk_cstr(c->reply, kind_sub[k]);
        reply_bulk(c->reply, c->argv[i], c->argvlen[i]);
        reply_int(c->reply, sub_count(c->sess, k));
    }
}

static void unsub_reply(cmd_ctx_t *c, ps_kind_t k, const char *name, size_t len, bool null)
{
    reply_push(c->reply, 3);
    reply_bulk_cstr(c->reply, kind_unsub[k]);
    if (null)
        reply_null(c->reply);
    else
        reply_bulk(c->reply, name, len);
    reply_int(c->reply, sub_count(c->sess, k));
}

static void unsubscribe_kind(cmd_ctx_t *c, ps_kind_t k)
{
    if (!has_subscriber(c)) return;
    pubsub_t *ps = ps_of(node_of(c));
    client_t *cl = client_of(c->sess);
    if (c->argc > 1) {
        for (int i = 1; i < c->argc; i++) {
            ps_entry_t *e = client_entry(ps, cl, k, c->argv[i], c->argvlen[i]);
            if (e) unsubscribe_entry(ps, cl, k, e);
            unsub_reply(c, k, c->argv[i], c->argvlen[i], false);
        }
        return;
    }
    if (!cl->ps || cl->ps->n[k] == 0) { /* nothing to leave: one reply with a null name */
        unsub_reply(c, k, NULL, 0, true);
        return;
    }
    while (cl->ps->n[k]) {
        ps_entry_t *e = cl->ps->e[k][cl->ps->n[k] - 1];
        size_t len = e->len;
        char *name = malloc(len ? len : 1); /* the entry may go with this client */
        memcpy(name, e->name, len);
        unsubscribe_entry(ps, cl, k, e);
        unsub_reply(c, k, name, len, false);
        free(name);
    }
}

static void subscribeCommand(cmd_ctx_t *c) { subscribe_kind(c, PS_CHANNEL); }
static void psubscribeCommand(cmd_ctx_t *c) { subscribe_kind(c, PS_PATTERN); }
static void ssubscribeCommand(cmd_ctx_t *c) { subscribe_kind(c, PS_SHARD); }
static void unsubscribeCommand(cmd_ctx_t *c) { unsubscribe_kind(c, PS_CHANNEL); }
static void punsubscribeCommand(cmd_ctx_t *c) { unsubscribe_kind(c, PS_PATTERN); }
static void sunsubscribeCommand(cmd_ctx_t *c) { unsubscribe_kind(c, PS_SHARD); }

/* PUBLISH and SPUBLISH: delivered here, then sent to every other member.
 * Inside a transaction with a write the command runs when the entry is
 * applied: only on the node that proposed it for a client (the leader; the
 * client may have left meanwhile, as EXEC runs in Redis once sent), so a
 * message is published once, never again by followers or a replay. */
static void publish_kind(cmd_ctx_t *c, ps_kind_t k)
{
    node_t *n = node_of(c);
    if (c->index && !c->proposed_here) {
        reply_int(c->reply, 0);
        return;
    }
    client_t *self = c->sess ? client_of(c->sess) : NULL;
    long long count = deliver(n, k, c->argv[1], c->argvlen[1], c->argv[2], c->argvlen[2], self);
    const char *argv[4] = {"RAFT.PUBLISH", k == PS_SHARD ? "s" : "c", c->argv[1], c->argv[2]};
    size_t lens[4] = {12, 1, c->argvlen[1], c->argvlen[2]};
    if (n->raft) peers_publish(&n->peers, 4, argv, lens);
    n->stats.pubsub_published++;
    reply_int(c->reply, count);
}

static void publishCommand(cmd_ctx_t *c) { publish_kind(c, PS_CHANNEL); }
static void spublishCommand(cmd_ctx_t *c) { publish_kind(c, PS_SHARD); }

static void reply_subsyntax(cmd_ctx_t *c)
{
    reply_errorf(c->reply, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try PUBSUB HELP.",
                 (int)(c->argvlen[1] < 128 ? c->argvlen[1] : 128), c->argv[1]);
}

/* PUBSUB CHANNELS and SHARDCHANNELS [pattern]: active names (with at least
 * one subscriber here), in table order, as Redis answers in dict order. */
static void list_channels(cmd_ctx_t *c, ps_kind_t k)
{
    if (c->argc > 3) {
        reply_subsyntax(c);
        return;
    }
    pubsub_t *ps = ps_of(node_of(c));
    ps_table_t *t = &ps->t[k];
    size_t off = reply_defer(c->reply);
    long long count = 0;
    for (size_t b = 0; b < t->nb; b++)
        for (ps_entry_t *e = t->b[b]; e; e = e->next) {
            if (c->argc == 3 && !glob_match(c->argv[2], c->argvlen[2], e->name, e->len, 0)) continue;
            reply_bulk(c->reply, e->name, e->len);
            count++;
        }
    reply_defer_array(c->reply, off, count);
}

static void numsub(cmd_ctx_t *c, ps_kind_t k)
{
    pubsub_t *ps = ps_of(node_of(c));
    reply_array(c->reply, (long long)(c->argc - 2) * 2);
    for (int i = 2; i < c->argc; i++) {
        ps_entry_t *e = table_find(&ps->t[k], c->argv[i], c->argvlen[i], hash_bytes(c->argv[i], c->argvlen[i]));
        reply_bulk(c->reply, c->argv[i], c->argvlen[i]);
        reply_int(c->reply, e ? (long long)e->nsubs : 0);
    }
}

static void pubsubChannelsCommand(cmd_ctx_t *c) { list_channels(c, PS_CHANNEL); }
static void pubsubShardchannelsCommand(cmd_ctx_t *c) { list_channels(c, PS_SHARD); }
static void pubsubNumsubCommand(cmd_ctx_t *c) { numsub(c, PS_CHANNEL); }
static void pubsubShardnumsubCommand(cmd_ctx_t *c) { numsub(c, PS_SHARD); }

static void pubsubNumpatCommand(cmd_ctx_t *c)
{
    reply_int(c->reply, (long long)ps_of(node_of(c))->t[PS_PATTERN].n);
}

static void pubsubHelpCommand(cmd_ctx_t *c)
{
    static const char *const lines[] = {
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        NULL,
    };
    reply_help(c, lines);
}

#define PSFLAGS (CMD_PUBSUB | CMD_LOADING | CMD_STALE)
#define SUBFLAGS_PS (CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)

static const command_t pubsub_subcommands[] = {
    {"channels", pubsubChannelsCommand, -2, PSFLAGS, 0, 0, 0, "pubsub", "List active channels", "2.8.0",
     "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively "
     "short channels and patterns)",
     "slow", NULL, NULL},
    {"help", pubsubHelpCommand, 2, CMD_LOADING | CMD_STALE, 0, 0, 0, "pubsub",
     "Show helpful text about the different subcommands", "6.2.0", "O(1)", "slow", NULL, NULL},
    {"numpat", pubsubNumpatCommand, 2, PSFLAGS, 0, 0, 0, "pubsub",
     "Get the count of unique patterns pattern subscriptions", "2.8.0", "O(1)", "slow", NULL, NULL},
    {"numsub", pubsubNumsubCommand, -2, PSFLAGS, 0, 0, 0, "pubsub", "Get the count of subscribers for channels",
     "2.8.0", "O(N) for the NUMSUB subcommand, where N is the number of requested channels", "slow", NULL, NULL},
    {"shardchannels", pubsubShardchannelsCommand, -2, PSFLAGS, 0, 0, 0, "pubsub", "List active shard channels",
     "7.0.0",
     "O(N) where N is the number of active shard channels, and assuming constant time pattern matching "
     "(relatively short shard channels).",
     "slow", NULL, NULL},
    {"shardnumsub", pubsubShardnumsubCommand, -2, PSFLAGS, 0, 0, 0, "pubsub",
     "Get the count of subscribers for shard channels", "7.0.0",
     "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels", "slow", NULL, NULL},
    {NULL},
};

static void pubsubCommand(cmd_ctx_t *c);

static const command_t pubsub_commands[] = {
    {"pubsub", pubsubCommand, -2, 0, 0, 0, 0, "pubsub", "A container for Pub/Sub commands", "2.8.0",
     "Depends on subcommand.", "slow", pubsub_subcommands, NULL},
    {"subscribe", subscribeCommand, -2, SUBFLAGS_PS, 0, 0, 0, "pubsub",
     "Listen for messages published to the given channels", "2.0.0",
     "O(N) where N is the number of channels to subscribe to.", "slow", NULL, NULL},
    {"unsubscribe", unsubscribeCommand, -1, SUBFLAGS_PS, 0, 0, 0, "pubsub",
     "Stop listening for messages posted to the given channels", "2.0.0",
     "O(N) where N is the number of clients already subscribed to a channel.", "slow", NULL, NULL},
    {"psubscribe", psubscribeCommand, -2, SUBFLAGS_PS, 0, 0, 0, "pubsub",
     "Listen for messages published to channels matching the given patterns", "2.0.0",
     "O(N) where N is the number of patterns the client is already subscribed to.", "slow", NULL, NULL},
    {"punsubscribe", punsubscribeCommand, -1, SUBFLAGS_PS, 0, 0, 0, "pubsub",
     "Stop listening for messages posted to channels matching the given patterns", "2.0.0",
     "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total "
     "patterns subscribed in the system (by any client).",
     "slow", NULL, NULL},
    {"ssubscribe", ssubscribeCommand, -2, SUBFLAGS_PS, 1, -1, 1, "pubsub",
     "Listen for messages published to the given shard channels", "7.0.0",
     "O(N) where N is the number of shard channels to subscribe to.", "slow", NULL,
     KEYSPECS(KS_RANGE(1, -1, 1, KS_NOT_KEY))},
    {"sunsubscribe", sunsubscribeCommand, -1, SUBFLAGS_PS, 1, -1, 1, "pubsub",
     "Stop listening for messages posted to the given shard channels", "7.0.0",
     "O(N) where N is the number of clients already subscribed to a shard channel.", "slow", NULL,
     KEYSPECS(KS_RANGE(1, -1, 1, KS_NOT_KEY))},
    {"publish", publishCommand, 3, PSFLAGS | CMD_FAST, 0, 0, 0, "pubsub", "Post a message to a channel",
     "2.0.0",
     "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of "
     "subscribed patterns (by any client).",
     "fast", NULL, NULL},
    {"spublish", spublishCommand, 3, PSFLAGS | CMD_FAST, 1, 1, 1, "pubsub", "Post a message to a shard channel",
     "7.0.0", "O(N) where N is the number of clients subscribed to the receiving shard channel.", "fast", NULL,
     KEYSPECS(KS_ONE(1, KS_NOT_KEY))},
};

static void pubsubCommand(cmd_ctx_t *c)
{
    run_subcommand(c, &pubsub_commands[0]);
}

bool pubsub_allowed_in_context(const command_t *cmd)
{
    if (cmd->proc == subscribeCommand || cmd->proc == unsubscribeCommand || cmd->proc == psubscribeCommand ||
        cmd->proc == punsubscribeCommand || cmd->proc == ssubscribeCommand || cmd->proc == sunsubscribeCommand)
        return true;
    return strcmp(cmd->name, "ping") == 0 || strcmp(cmd->name, "quit") == 0 || strcmp(cmd->name, "reset") == 0;
}

void pubsub_register(void)
{
    cmd_table_add(pubsub_commands, sizeof(pubsub_commands) / sizeof(pubsub_commands[0]));
}
