/* Outgoing connections to the other nodes (see peer.h). */
#include "node/peer.h"
#include "node/wire.h"
#include "util/histogram.h"
#include "util/log.h"

#include "node/hiredis_uv.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 1000
#define BACKOFF_REFUSED_MS 5000 /* the peer refused our HELLO: a config problem */
#define CONNECT_TIMEOUT_MS 1000

struct peer {
    peers_t *owner;
    uint64_t id;
    char addr[RAFT_ADDR_MAX];
    char host[RAFT_ADDR_MAX];
    int port;
    redisAsyncContext *ac;
    bool connected; /* the TCP connection is up and HELLO went out */
    bool closing;
    bool logged_down; /* "peer_down" said once per outage */
    int backoff_ms;
    uv_timer_t timer;
    uint64_t sent, dropped, connects;
    uint64_t pub_dropped; /* Pub/Sub messages not sent: the link was busy */
    histogram_t rtt; /* seconds from a RAFT.MSG to its reply */
};

/* A member's address is "host:port", or "host:port@httphost:httpport" when
 * its admin API is not at port + 1000 on the same host (a node that joined
 * with its own http_addr): only the part before '@' is the RESP address. */
int peer_parse_addr(const char *addr, char *host, size_t hostlen, int *port)
{
    const char *at = strchr(addr, '@');
    size_t alen = at ? (size_t)(at - addr) : strlen(addr);
    const char *colon = NULL;
    for (size_t i = 0; i < alen; i++)
        if (addr[i] == ':') colon = addr + i;
    if (!colon || colon == addr || (size_t)(colon - addr) >= hostlen) return -1;
    const char *end = addr + alen;
    if (colon + 1 == end || end - colon > 6) return -1;
    long p = 0;
    for (const char *d = colon + 1; d < end; d++) {
        if (*d < '0' || *d > '9') return -1;
        p = p * 10 + (*d - '0');
    }
    if (p <= 0 || p > 65535) return -1;
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    *port = (int)p;
    return 0;
}

/* The RESP part of a member's address ("host:port"), into out. */
void member_resp_addr(const char *addr, char *out, size_t len)
{
    const char *at = strchr(addr, '@');
    size_t alen = at ? (size_t)(at - addr) : strlen(addr);
    snprintf(out, len, "%.*s", (int)alen, addr);
}

/* The admin API address of a member: what follows '@', or its RESP host
 * with port + 1000 (the default http_port). "" when the address is bad. */
void member_http_addr_of(const char *addr, char *out, size_t len)
{
    const char *at = strchr(addr, '@');
    if (at) {
        snprintf(out, len, "%s", at + 1);
        return;
    }
    char host[RAFT_ADDR_MAX];
    int port;
    if (peer_parse_addr(addr, host, sizeof(host), &port) < 0 || port + 1000 > 65535)
        snprintf(out, len, "%s", "");
    else
        snprintf(out, len, "%s:%d", host, port + 1000);
}

static void peer_connect(peer_t *p);
static void schedule_reconnect(peer_t *p, int delay_ms);

static void on_timer(uv_timer_t *t)
{
    peer_connect(t->data);
}

/* A connection not up in time (a host that drops SYNs) is given up here
 * and tried again. */
static void on_connect_timeout(uv_timer_t *t)
{
    peer_t *p = t->data;
    if (!p->ac || p->connected) return;
    redisAsyncContext *ac = p->ac;
    p->ac = NULL;
    ac->data = NULL;
    redisAsyncFree(ac);
    schedule_reconnect(p, p->backoff_ms);
}

/* Tries again later, waiting longer each time, so a node that is down costs
 * a connection attempt per second at most. */
static void schedule_reconnect(peer_t *p, int delay_ms)
{
    if (p->closing) return;
    if (!p->logged_down) {
        log_info("peer_down", " peer=%" PRIu64 " addr=%s retry_ms=%d", p->id, p->addr, delay_ms);
        p->logged_down = true;
    }
    uv_timer_start(&p->timer, on_timer, (uint64_t)delay_ms, 0);
    p->backoff_ms = delay_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay_ms * 2;
}

/* A peer that refuses our HELLO (another cluster, a wrong secret) says why
 * once; we keep retrying slowly in case its configuration is fixed. */
static void on_hello_reply(redisAsyncContext *ac, void *r, void *priv)
{
    redisReply *reply = r;
    peer_t *p = ac->data;
    (void)priv;
    if (!p || !reply) return;
    if (reply->type == REDIS_REPLY_ERROR && strstr(reply->str, "was removed from the cluster")) {
        if (p->owner->on_removed) p->owner->on_removed(p->owner->ud, p->id);
        p->backoff_ms = BACKOFF_REFUSED_MS;
        redisAsyncDisconnect(ac);
    } else if (reply->type == REDIS_REPLY_ERROR) {
        log_warn("peer_refused", " peer=%" PRIu64 " addr=%s error=\"%.*s\"", p->id, p->addr,
                 (int)(reply->len < 200 ? reply->len : 200), reply->str);
        p->backoff_ms = BACKOFF_REFUSED_MS;
        redisAsyncDisconnect(ac);
    }
}

/* An error answer to RAFT.MSG means the peer cannot take our messages
 * (e.g. it lost our HELLO): reconnecting starts over with a HELLO. */
/* The peer answered a RAFT.MSG: its round trip is measured (priv carries
 * the send time), and a refusal ends the connection. */
static void on_msg_reply(redisAsyncContext *ac, void *r, void *priv)
{
    redisReply *reply = r;
    peer_t *p = ac->data;
    if (p && reply && reply->type != REDIS_REPLY_ERROR)
        histo_observe(&p->rtt, (double)(uv_hrtime() - (uint64_t)(uintptr_t)priv) / 1e9);
    if (!p || !reply || reply->type != REDIS_REPLY_ERROR || !p->connected) return;
    if (strstr(reply->str, "was removed from the cluster") && p->owner->on_removed) {
        p->owner->on_removed(p->owner->ud, p->id);
        return;
    }
    log_warn("peer_msg_refused", " peer=%" PRIu64 " error=\"%.*s\"", p->id,
             (int)(reply->len < 200 ? reply->len : 200), reply->str);
    p->connected = false;
    redisAsyncDisconnect(ac);
}

/* RAFT.HELLO <cluster_id> <node_id> <secret> [<addr>]: our own address
 * lets a node that does not know us yet (one that is joining, its
 * configuration still empty) answer our messages. */
static void send_hello(peer_t *p)
{
    char cid[24], self[24];
    snprintf(cid, sizeof(cid), "%" PRIu64, p->owner->cluster_id);
    snprintf(self, sizeof(self), "%" PRIu64, p->owner->self);
    const char *argv[5] = {"RAFT.HELLO", cid, self, p->owner->secret ? p->owner->secret : "", p->owner->self_addr};
    size_t lens[5] = {10, strlen(cid), strlen(self), strlen(argv[3]), strlen(argv[4])};
    redisAsyncCommandArgv(p->ac, on_hello_reply, NULL, argv[4][0] ? 5 : 4, argv, lens);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    peer_t *p = ac->data;
    if (!p) return;
    if (status != REDIS_OK) { /* hiredis frees ac after this callback */
        uv_timer_stop(&p->timer);
        p->ac = NULL;
        schedule_reconnect(p, p->backoff_ms);
        return;
    }
    uv_timer_stop(&p->timer);
    p->connected = true;
    p->connects++;
    p->backoff_ms = BACKOFF_MIN_MS;
    if (p->logged_down || p->connects == 1)
        log_info("peer_up", " peer=%" PRIu64 " addr=%s", p->id, p->addr);
    p->logged_down = false;
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    peer_t *p = ac->data;
    (void)status;
    if (!p) return;
    p->ac = NULL;
    p->connected = false;
    schedule_reconnect(p, p->backoff_ms);
}

static void peer_connect(peer_t *p)
{
    if (p->closing || p->ac) return;
    redisAsyncContext *ac = redisAsyncConnect(p->host, p->port);
    if (!ac || ac->err) {
        if (ac) redisAsyncFree(ac);
        schedule_reconnect(p, p->backoff_ms);
        return;
    }
    ac->data = p;
    if (hiredis_uv_attach(ac, p->owner->loop) != 0) {
        ac->data = NULL;
        redisAsyncFree(ac);
        schedule_reconnect(p, p->backoff_ms);
        return;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    p->ac = ac;
    uv_timer_start(&p->timer, on_connect_timeout, CONNECT_TIMEOUT_MS, 0);
    /* queued now, written first once the connection is up */
    send_hello(p);
}

static peer_t *peer_new(peers_t *ps, const raft_member_t *m)
{
    peer_t *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    p->owner = ps;
    p->id = m->id;
    snprintf(p->addr, sizeof(p->addr), "%s", m->addr);
    if (peer_parse_addr(m->addr, p->host, sizeof(p->host), &p->port) < 0) {
        log_error("peer_bad_address", " peer=%" PRIu64 " addr=\"%s\"", m->id, m->addr);
        free(p);
        return NULL;
    }
    p->backoff_ms = BACKOFF_MIN_MS;
    histo_init_exp(&p->rtt, 0.0001, 2, 16); /* 100 us .. 3.3 s */
    uv_timer_init(ps->loop, &p->timer);
    p->timer.data = p;
    peer_connect(p);
    return p;
}

static void free_peer(uv_handle_t *h)
{
    free(h->data);
}

static void peer_close(peer_t *p)
{
    p->closing = true;
    p->connected = false;
    if (p->ac) {
        redisAsyncContext *ac = p->ac;
        p->ac = NULL;
        ac->data = NULL;
        redisAsyncFree(ac);
    }
    uv_timer_stop(&p->timer);
    uv_close((uv_handle_t *)&p->timer, free_peer);
}

void peers_init(peers_t *ps, uv_loop_t *loop, uint64_t self, uint64_t cluster_id, const char *secret)
{
    memset(ps, 0, sizeof(*ps));
    ps->loop = loop;
    ps->self = self;
    ps->cluster_id = cluster_id;
    ps->secret = secret;
}

static bool is_removed(const raft_conf_t *c, uint64_t id)
{
    for (int i = 0; i < c->n_removed; i++)
        if (c->removed[i] == id) return true;
    return false;
}

/* The address to reach id at: the configuration's, else a hint from its
 * HELLO (a member this node's configuration does not list yet); NULL when
 * there is none or id was removed. */
static const char *wanted_addr(const peers_t *ps, uint64_t id)
{
    if (id == ps->self || is_removed(&ps->conf, id)) return NULL;
    const raft_member_t *m = raft_conf_find(&ps->conf, id);
    if (m) return m->addr;
    for (int i = 0; i < ps->nhints; i++)
        if (ps->hints[i].id == id) return ps->hints[i].addr;
    return NULL;
}

/* Makes the connections those of the configuration plus the hints: new
 * ones connect, removed ones close, a member whose address changed is
 * reconnected. */
static void peers_resync(peers_t *ps)
{
    int keep = 0;
    for (int i = 0; i < ps->n; i++) {
        peer_t *p = ps->p[i];
        const char *addr = wanted_addr(ps, p->id);
        if (addr && strcmp(addr, p->addr) == 0) {
            ps->p[keep++] = p;
        } else {
            log_info("peer_removed", " peer=%" PRIu64 " addr=%s", p->id, p->addr);
            peer_close(p);
        }
    }
    ps->n = keep;
    uint64_t ids[2 * RAFT_MAX_NODES];
    int nids = 0;
    for (int i = 0; i < ps->conf.n; i++) ids[nids++] = ps->conf.m[i].id;
    for (int i = 0; i < ps->nhints; i++) ids[nids++] = ps->hints[i].id;
    for (int i = 0; i < nids; i++) {
        const char *addr = wanted_addr(ps, ids[i]);
        if (!addr) continue;
        bool have = false;
        for (int j = 0; j < ps->n; j++)
            if (ps->p[j]->id == ids[i]) have = true;
        if (have || ps->n >= RAFT_MAX_NODES) continue;
        raft_member_t m = {.id = ids[i]};
        snprintf(m.addr, sizeof(m.addr), "%s", addr);
        peer_t *p = peer_new(ps, &m);
        if (p) ps->p[ps->n++] = p;
    }
}

void peers_sync(peers_t *ps, const raft_conf_t *conf)
{
    ps->conf = *conf;
    peers_resync(ps);
}

void peers_hint(peers_t *ps, uint64_t id, const char *addr)
{
    char host[RAFT_ADDR_MAX];
    int port;
    if (id == ps->self || raft_conf_find(&ps->conf, id) || is_removed(&ps->conf, id)) return;
    if (strlen(addr) >= RAFT_ADDR_MAX || peer_parse_addr(addr, host, sizeof(host), &port) < 0) return;
    int slot = -1;
    for (int i = 0; i < ps->nhints; i++)
        if (ps->hints[i].id == id) slot = i;
    if (slot >= 0 && strcmp(ps->hints[slot].addr, addr) == 0) return;
    if (slot < 0) {
        if (ps->nhints == RAFT_MAX_NODES) return;
        slot = ps->nhints++;
    }
    ps->hints[slot].id = id;
    snprintf(ps->hints[slot].addr, sizeof(ps->hints[slot].addr), "%s", addr);
    log_info("peer_hint", " peer=%" PRIu64 " addr=%s reason=\"not in this node's configuration yet\"", id, addr);
    peers_resync(ps);
}

static peer_t *find_peer(peers_t *ps, uint64_t id)
{
    for (int i = 0; i < ps->n; i++)
        if (ps->p[i]->id == id) return ps->p[i];
    return NULL;
}

bool peers_send(peers_t *ps, const raft_msg_t *m)
{
    peer_t *p = find_peer(ps, m->to);
    if (!p) return false;
    if (!p->connected || !p->ac || (p->ac->c.obuf && sdslen(p->ac->c.obuf) > PEER_OBUF_MAX)) {
        p->dropped++;
        return false;
    }
    size_t need = wire_size(m);
    if (need > ps->cap) {
        size_t cap = ps->cap ? ps->cap : 4096;
        while (cap < need) cap *= 2;
        char *b = realloc(ps->buf, cap);
        if (!b) return false;
        ps->buf = b;
        ps->cap = cap;
    }
    size_t len = wire_encode(m, ps->cluster_id, ps->buf, ps->cap);
    if (len == 0) return false;
    const char *argv[2] = {"RAFT.MSG", ps->buf};
    size_t lens[2] = {8, len};
    if (redisAsyncCommandArgv(p->ac, on_msg_reply, (void *)(uintptr_t)uv_hrtime(), 2, argv, lens) != REDIS_OK) {
        p->dropped++;
        return false;
    }
    p->sent++;
    return true;
}

/* The reply of a command sent with peers_send_cmd goes to its caller; the
 * trampoline carries the caller's function and tag through hiredis. */
typedef struct cmd_cb {
    peer_reply_fn *fn;
    void *ud;
    uint64_t peer, tag;
} cmd_cb_t;

static void on_cmd_reply(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    redisReply *reply = r;
    cmd_cb_t *cb = priv;
    const char *errstr = !reply ? "connection lost" : reply->type == REDIS_REPLY_ERROR ? reply->str : NULL;
    cb->fn(cb->ud, cb->peer, cb->tag, errstr == NULL, errstr);
    free(cb);
}

bool peers_send_cmd(peers_t *ps, uint64_t to, const char *cmd, const char *payload, size_t len, peer_reply_fn *fn,
                    uint64_t tag)
{
    peer_t *p = find_peer(ps, to);
    if (!p || !p->connected || !p->ac) return false;
    cmd_cb_t *cb = malloc(sizeof(*cb));
    if (!cb) return false;
    *cb = (cmd_cb_t){fn, ps->ud, to, tag};
    const char *argv[2] = {cmd, payload};
    size_t lens[2] = {strlen(cmd), len};
    if (redisAsyncCommandArgv(p->ac, on_cmd_reply, cb, 2, argv, lens) != REDIS_OK) {
        free(cb);
        return false;
    }
    return true;
}

void peers_publish(peers_t *ps, int argc, const char **argv, const size_t *argvlen)
{
    for (int i = 0; i < ps->n; i++) {
        peer_t *p = ps->p[i];
        if (!p->connected || !p->ac) continue;
        size_t queued = p->ac->c.obuf ? sdslen(p->ac->c.obuf) : 0;
        if (queued > PEER_PUBLISH_OBUF_MAX) { /* written out yet? what the kernel takes leaves the queue */
            hiredis_uv_flush(p->ac);
            queued = p->ac->c.obuf ? sdslen(p->ac->c.obuf) : 0;
        }
        if (queued > PEER_PUBLISH_OBUF_MAX) {
            p->pub_dropped++;
            static int64_t last_ms;
            int64_t now = (int64_t)uv_now(ps->loop);
            if (now - last_ms >= 1000) {
                last_ms = now;
                log_warn("pubsub_peer_dropped", " peer=%" PRIu64 " queued=%zu dropped=%" PRIu64
                         " reason=\"the link to the peer is busy\"", p->id, queued, p->pub_dropped);
            }
            continue;
        }
        redisAsyncCommandArgv(p->ac, NULL, NULL, argc, argv, argvlen);
    }
}

void peers_hello(peers_t *ps)
{
    for (int i = 0; i < ps->n; i++) {
        peer_t *p = ps->p[i];
        if (p->connected && p->ac) send_hello(p);
    }
}

void peers_flush(peers_t *ps)
{
    for (int i = 0; i < ps->n; i++) {
        peer_t *p = ps->p[i];
        if (p->connected && p->ac && p->ac->c.obuf && sdslen(p->ac->c.obuf) > 0) hiredis_uv_flush(p->ac);
    }
}

int peers_stats(const peers_t *ps, peer_stats_t *st, int max)
{
    for (int i = 0; i < ps->n && i < max; i++) {
        const peer_t *p = ps->p[i];
        st[i] = (peer_stats_t){.id = p->id, .connected = p->connected, .sent = p->sent,
                               .dropped = p->dropped, .connects = p->connects, .pub_dropped = p->pub_dropped,
                               .rtt = &p->rtt};
        snprintf(st[i].addr, sizeof(st[i].addr), "%s", p->addr);
    }
    return ps->n;
}

void peers_close(peers_t *ps)
{
    for (int i = 0; i < ps->n; i++) peer_close(ps->p[i]);
    ps->n = 0;
    free(ps->buf);
    ps->buf = NULL;
    ps->cap = 0;
}
