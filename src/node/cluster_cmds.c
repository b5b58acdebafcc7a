/* CLUSTER, ROLE, READONLY, READWRITE and DEBUG, in the shapes Redis 7.0
 * gives them, answered from this node's raft state.
 *
 * The mapping onto Redis Cluster: the keyspace is one shard, slots 0-16383,
 * whose master is the raft leader; every other member (voters and learners)
 * is one of its replicas. A member's 40-hex node name is a SHA-1 of the
 * cluster id and its raft id, so every node names every member alike. The
 * cluster bus port Redis shows is port + 10000, as Redis derives it. Epochs
 * are raft terms, replication offsets are applied (or, on the leader, match)
 * indexes, and a link is "connected" when this node's raft connection to
 * that member is up. With no leader known the shard has no master: SLOTS and
 * SHARDS are empty, INFO says cluster_state:fail.
 *
 * DEBUG DIGEST is a SHA-1 of the whole data column family in key order (each
 * key's type, flags, expiry and value), so replicas at the same applied index
 * answer the same 40 hex digits. Nothing here goes through the log. */
#include "node/cluster_cmds.h"
#include "node/introspect.h"
#include "storage/encoding.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- SHA-1 (FIPS 180-4) --------------------------------------------------- */

typedef struct sha1 {
    uint32_t h[5];
    uint64_t bytes;
    unsigned char buf[64];
    size_t nbuf;
} sha1_t;

static uint32_t rol32(uint32_t x, int n)
{
    return x << n | x >> (32 - n);
}

/* One 64-byte block into the state: the 80 rounds of the standard. */
static void sha1_block(uint32_t h[5], const unsigned char *p)
{
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
               (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 80; i++) w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) {
            f = (b & c) | (~b & d);
            k = 0x5A827999u;
        } else if (i < 40) {
            f = b ^ c ^ d;
            k = 0x6ED9EBA1u;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8F1BBCDCu;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6u;
        }
        uint32_t t = rol32(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = rol32(b, 30);
        b = a;
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

static void sha1_init(sha1_t *s)
{
    static const uint32_t iv[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
    memcpy(s->h, iv, sizeof(iv));
    s->bytes = 0;
    s->nbuf = 0;
}

/* Buffers a partial block; whole blocks go straight from the input. */
static void sha1_update(sha1_t *s, const void *data, size_t len)
{
    const unsigned char *p = data;
    s->bytes += len;
    if (s->nbuf) {
        size_t take = 64 - s->nbuf < len ? 64 - s->nbuf : len;
        memcpy(s->buf + s->nbuf, p, take);
        s->nbuf += take;
        p += take;
        len -= take;
        if (s->nbuf < 64) return;
        sha1_block(s->h, s->buf);
        s->nbuf = 0;
    }
    for (; len >= 64; p += 64, len -= 64) sha1_block(s->h, p);
    memcpy(s->buf, p, len);
    s->nbuf = len;
}

/* Padding: 0x80, zeros up to 56 mod 64, the length in bits big-endian. */
static void sha1_final(sha1_t *s, unsigned char out[20])
{
    uint64_t bits = s->bytes * 8;
    unsigned char pad[72] = {0x80};
    size_t padlen = s->nbuf < 56 ? 56 - s->nbuf : 120 - s->nbuf;
    unsigned char len[8];
    for (int i = 0; i < 8; i++) len[i] = (unsigned char)(bits >> (56 - 8 * i));
    sha1_update(s, pad, padlen);
    sha1_update(s, len, 8);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++) out[4 * i + j] = (unsigned char)(s->h[i] >> (24 - 8 * j));
}

void cluster_sha1(const void *p, size_t len, unsigned char out[20])
{
    sha1_t s;
    sha1_init(&s);
    sha1_update(&s, p, len);
    sha1_final(&s, out);
}

/* A tagged, length-prefixed field: the tags and lengths keep two different
 * sequences of records from ever producing the same byte stream. */
static void sha1_field(sha1_t *s, char tag, const void *p, size_t len)
{
    unsigned char hdr[9];
    hdr[0] = (unsigned char)tag;
    for (int i = 0; i < 8; i++) hdr[1 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
    sha1_update(s, hdr, sizeof(hdr));
    sha1_update(s, p, len);
}

static void hex40(const unsigned char d[20], char out[41])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 20; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[40] = '\0';
}

/* ---- slots and names -------------------------------------------------------- */

/* CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), Redis's crc16. */
static uint16_t crc16(const char *p, size_t len)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)((unsigned char)p[i] << 8);
        for (int b = 0; b < 8; b++) crc = crc & 0x8000 ? (uint16_t)(crc << 1 ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

/* Redis's keyHashSlot: only the part between the first '{' and the first
 * '}' after it counts, if that part is not empty. */
unsigned cluster_keyslot(const char *key, size_t len)
{
    size_t s = 0;
    while (s < len && key[s] != '{') s++;
    if (s == len) return crc16(key, len) & (CLUSTER_SLOTS - 1);
    size_t e = s + 1;
    while (e < len && key[e] != '}') e++;
    if (e == len || e == s + 1) return crc16(key, len) & (CLUSTER_SLOTS - 1);
    return crc16(key + s + 1, e - s - 1) & (CLUSTER_SLOTS - 1);
}

/* Derived, not stored: every node computes every member's name from what
 * all of them share (the cluster id) and the member's raft id. */
void cluster_node_name(uint64_t cluster_id, uint64_t node_id, char out[41])
{
    char buf[64];
    int n = snprintf(buf, sizeof(buf), "redraft-node %016llx %llu", (unsigned long long)cluster_id,
                     (unsigned long long)node_id);
    unsigned char d[20];
    cluster_sha1(buf, (size_t)n, d);
    hex40(d, out);
}

/* ---- the cluster as this node sees it ------------------------------------------ */

typedef struct member_view {
    uint64_t id;
    bool voter, self, leader;
    bool link;            /* self, or this node's raft connection to it is up (and, on the
                           * leader, it answered within an election timeout) */
    char ip[RAFT_ADDR_MAX];
    int port;
    char name[41];
    uint64_t offset;      /* its applied (self) or match (seen from the leader) index; 0 unknown */
    long long pong_ms;    /* when it was last heard from, as far as known (0: not) */
} member_view_t;

typedef struct cluster_view {
    int n;
    member_view_t m[RAFT_MAX_NODES];
    int leader, self;     /* indexes into m; -1: none */
    uint64_t term, applied;
} cluster_view_t;

/* One member from its "host:port" address: an IPv6 host loses its brackets,
 * as Redis prints addresses. */
static void member_addr(member_view_t *mv, const char *addr)
{
    char host[RAFT_ADDR_MAX];
    if (peer_parse_addr(addr, host, sizeof(host), &mv->port) < 0) {
        snprintf(host, sizeof(host), "%s", addr);
        mv->port = 0;
    }
    size_t hl = strlen(host);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        host[hl - 1] = '\0';
        memmove(host, host + 1, hl - 1);
    }
    snprintf(mv->ip, sizeof(mv->ip), "%s", host);
}

/* Gathers what every reply below needs in one pass, so they all describe
 * the same moment: the members of the current configuration (the configured
 * ones while the core is not running), who leads, link states, offsets. */
static void view_build(node_t *n, cluster_view_t *v)
{
    memset(v, 0, sizeof(*v));
    v->leader = v->self = -1;
    long long now = (long long)node_wall_ms();
    if (!n->raft) {
        v->applied = n->db.applied;
        for (int i = 0; i < n->cfg->nmembers && v->n < RAFT_MAX_NODES; i++) {
            member_view_t *mv = &v->m[v->n];
            const config_member_t *cm = &n->cfg->members[i];
            mv->id = (uint64_t)cm->id;
            mv->voter = true;
            mv->self = mv->id == n->id;
            mv->link = mv->self;
            snprintf(mv->ip, sizeof(mv->ip), "%s", cm->host);
            mv->port = cm->port;
            if (mv->self) v->self = v->n;
            v->n++;
        }
    } else {
        raft_status_t st;
        raft_status(n->raft, &st);
        peer_stats_t ps[RAFT_MAX_NODES];
        int np = peers_stats(&n->peers, ps, RAFT_MAX_NODES);
        uint64_t leader = node_leader(n, NULL);
        bool lead = node_is_leader(n);
        v->term = st.term;
        v->applied = st.applied;
        for (int i = 0; i < st.conf->n && v->n < RAFT_MAX_NODES; i++) {
            const raft_member_t *m = &st.conf->m[i];
            member_view_t *mv = &v->m[v->n];
            mv->id = m->id;
            mv->voter = m->voter;
            mv->self = m->id == n->id;
            mv->leader = leader != 0 && m->id == leader;
            member_addr(mv, m->addr);
            mv->link = mv->self;
            for (int k = 0; k < np; k++)
                if (ps[k].id == m->id && ps[k].connected) mv->link = true;
            if (mv->self) {
                mv->offset = st.applied;
                mv->pong_ms = now / 1000 * 1000;
            } else {
                mv->pong_ms = mv->link ? now : 0;
                if (mv->leader) mv->offset = st.commit; /* the leader has committed at least that */
            }
            for (int k = 0; lead && !mv->self && k < st.n_peers; k++)
                if (st.peers[k].id == m->id) {
                    /* connected but silent for an election timeout: as good as down */
                    long long silent_ms = (long long)st.peers[k].ticks_since_ack * n->tick_ms;
                    mv->offset = st.peers[k].match;
                    if (silent_ms > n->cfg->election_timeout_max_ms) mv->link = false;
                    mv->pong_ms = mv->link ? now - silent_ms : 0;
                }
            if (mv->self) v->self = v->n;
            if (mv->leader) v->leader = v->n;
            v->n++;
        }
    }
    for (int i = 0; i < v->n; i++) cluster_node_name(n->cluster_id, v->m[i].id, v->m[i].name);
}

/* ---- CLUSTER -------------------------------------------------------------------- */

static void clusterMyidCommand(cmd_ctx_t *c)
{
    node_t *n = node_of(c);
    char name[41];
    cluster_node_name(n->cluster_id, n->id, name);
    reply_bulk(c->reply, name, 40);
}

/* Redis's field list; the per-type message counters Redis prints only when
 * non-zero are left out (raft messages have no such types). */
static void clusterInfoCommand(cmd_ctx_t *c)
{
    node_t *n = node_of(c);
    cluster_view_t v;
    view_build(n, &v);
    bool ok = v.leader >= 0;
    sbuf_t b = {0};
    sb_printf(&b,
              "cluster_state:%s\r\n" "cluster_slots_assigned:%d\r\n" "cluster_slots_ok:%d\r\n"
              "cluster_slots_pfail:0\r\n" "cluster_slots_fail:%d\r\n" "cluster_known_nodes:%d\r\n"
              "cluster_size:1\r\n" "cluster_current_epoch:%llu\r\n" "cluster_my_epoch:%llu\r\n"
              "cluster_stats_messages_sent:%llu\r\n" "cluster_stats_messages_received:%llu\r\n"
              "total_cluster_links_buffer_limit_exceeded:0\r\n",
              ok ? "ok" : "fail", CLUSTER_SLOTS, ok ? CLUSTER_SLOTS : 0, ok ? 0 : CLUSTER_SLOTS, v.n,
              (unsigned long long)v.term, (unsigned long long)(ok ? v.term : 0),
              (unsigned long long)n->stats.msgs_out, (unsigned long long)n->stats.msgs_in);
    reply_verbatim(c->reply, b.p, b.len, "txt");
    free(b.p);
}

/* One line per member, in configuration order:
 * <id> <ip:port@cport> <flags> <master> <ping-sent> <pong-recv> <epoch> <link> [0-16383] */
static void clusterNodesCommand(cmd_ctx_t *c)
{
    node_t *n = node_of(c);
    cluster_view_t v;
    view_build(n, &v);
    sbuf_t b = {0};
    sb_printf(&b, "%s", "");
    for (int i = 0; i < v.n; i++) {
        const member_view_t *m = &v.m[i];
        char flags[64];
        snprintf(flags, sizeof(flags), "%s%s%s%s", m->self ? "myself," : "", m->leader ? "master" : "slave",
                 m->link ? "" : ",fail?", m->voter ? "" : ",nofailover");
        sb_printf(&b, "%s %s:%d@%d %s %s 0 %lld %llu %s%s\n", m->name, m->ip, m->port, m->port + 10000, flags,
                  v.leader >= 0 && !m->leader ? v.m[v.leader].name : "-", m->pong_ms,
                  (unsigned long long)(m->leader ? v.term : 0), m->link ? "connected" : "disconnected",
                  m->leader ? " 0-16383" : "");
    }
    reply_verbatim(c->reply, b.p, b.len, "txt");
    free(b.p);
}

/* A replica clients may be sent to: not the leader, and reachable. */
static bool serving_replica(const cluster_view_t *v, int i)
{
    return i != v->leader && v->m[i].link;
}

/* [ip, port, id, {}]: Redis 7's node entry, with its empty map of extra
 * networking metadata. */
static void reply_slot_node(reply_t *r, const member_view_t *m)
{
    reply_array(r, 4);
    reply_bulk_cstr(r, m->ip);
    reply_int(r, m->port);
    reply_bulk(r, m->name, 40);
    reply_map(r, 0);
}

/* One range, 0-16383: the leader, then the reachable replicas (Redis leaves
 * failed replicas out too). Empty with no leader known. */
static void clusterSlotsCommand(cmd_ctx_t *c)
{
    cluster_view_t v;
    view_build(node_of(c), &v);
    if (v.leader < 0) {
        reply_array(c->reply, 0);
        return;
    }
    int nrep = 0;
    for (int i = 0; i < v.n; i++) nrep += serving_replica(&v, i);
    reply_array(c->reply, 1);
    reply_array(c->reply, 3 + nrep);
    reply_int(c->reply, 0);
    reply_int(c->reply, CLUSTER_SLOTS - 1);
    reply_slot_node(c->reply, &v.m[v.leader]);
    for (int i = 0; i < v.n; i++)
        if (serving_replica(&v, i)) reply_slot_node(c->reply, &v.m[i]);
}

static void reply_shard_node(reply_t *r, const member_view_t *m)
{
    reply_map(r, 7);
    reply_bulk_cstr(r, "id");
    reply_bulk(r, m->name, 40);
    reply_bulk_cstr(r, "port");
    reply_int(r, m->port);
    reply_bulk_cstr(r, "ip");
    reply_bulk_cstr(r, m->ip);
    reply_bulk_cstr(r, "endpoint");
    reply_bulk_cstr(r, m->ip);
    reply_bulk_cstr(r, "role");
    reply_bulk_cstr(r, m->leader ? "master" : "replica");
    reply_bulk_cstr(r, "replication-offset");
    reply_int(r, (long long)m->offset);
    reply_bulk_cstr(r, "health");
    reply_bulk_cstr(r, m->link ? "online" : "failed");
}

/* One shard with every member, the leader first; empty with no leader. */
static void clusterShardsCommand(cmd_ctx_t *c)
{
    cluster_view_t v;
    view_build(node_of(c), &v);
    if (v.leader < 0) {
        reply_array(c->reply, 0);
        return;
    }
    reply_array(c->reply, 1);
    reply_map(c->reply, 2);
    reply_bulk_cstr(c->reply, "slots");
    reply_array(c->reply, 2);
    reply_int(c->reply, 0);
    reply_int(c->reply, CLUSTER_SLOTS - 1);
    reply_bulk_cstr(c->reply, "nodes");
    reply_array(c->reply, v.n);
    reply_shard_node(c->reply, &v.m[v.leader]);
    for (int i = 0; i < v.n; i++)
        if (i != v.leader) reply_shard_node(c->reply, &v.m[i]);
}

static void clusterKeyslotCommand(cmd_ctx_t *c)
{
    reply_int(c->reply, cluster_keyslot(c->argv[2], c->argvlen[2]));
}

typedef struct slot_scan {
    unsigned slot;
    long long max, n;
    reply_t *r; /* GETKEYSINSLOT: where the names go */
} slot_scan_t;

static bool slot_scan_key(void *ud, const char *key, size_t klen, const meta_t *m)
{
    slot_scan_t *s = ud;
    (void)m;
    if (cluster_keyslot(key, klen) != s->slot) return true;
    s->n++;
    if (s->r) reply_bulk(s->r, key, klen);
    return s->max < 0 || s->n < s->max;
}

/* Live keys only, found by a scan of the whole keyspace: O(N) here, where
 * Redis keeps a per-slot index. */
static void clusterCountkeysinslotCommand(cmd_ctx_t *c)
{
    long long slot;
    if (cmd_parse_ll(c->argv[2], c->argvlen[2], &slot) < 0) {
        reply_error(c->reply, ERR_NOTINT);
        return;
    }
    if (slot < 0 || slot >= CLUSTER_SLOTS) {
        reply_error(c->reply, "ERR Invalid slot");
        return;
    }
    slot_scan_t s = {.slot = (unsigned)slot, .max = -1};
    db_scan(c, "", 0, slot_scan_key, &s);
    reply_int(c->reply, s.n);
}

static void clusterGetkeysinslotCommand(cmd_ctx_t *c)
{
    long long slot, max;
    if (cmd_parse_ll(c->argv[2], c->argvlen[2], &slot) < 0 || cmd_parse_ll(c->argv[3], c->argvlen[3], &max) < 0) {
        reply_error(c->reply, ERR_NOTINT);
        return;
    }
    if (slot < 0 || slot >= CLUSTER_SLOTS || max < 0) {
        reply_error(c->reply, "ERR Invalid slot or number of keys");
        return;
    }
    size_t off = reply_defer(c->reply);
    slot_scan_t s = {.slot = (unsigned)slot, .max = max, .r = c->reply};
    if (max > 0) db_scan(c, "", 0, slot_scan_key, &s);
    reply_defer_array(c->reply, off, s.n);
}

static void clusterHelpCommand(cmd_ctx_t *c)
{
    static const char *const lines[] = {
        "COUNTKEYSINSLOT <slot>", "    Return the number of keys in <slot>.",
        "GETKEYSINSLOT <slot> <count>", "    Return key names stored by current node in a slot.",
        "INFO", "    Return information about the cluster.",
        "KEYSLOT <key>", "    Return the hash slot for <key>.",
        "MYID", "    Return the node id.",
        "NODES", "    Return cluster configuration seen by node. Output format:",
        "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
        "SLOTS", "    Return information about slots range mappings. Each range is made of:",
        "    start, end, master and replicas IP addresses, ports and ids",
        "SHARDS", "    Return information about slot range mappings and the nodes associated with them.",
        NULL};
    reply_help(c, lines);
}

static const char *const ERR_NOCLUSTER = "ERR This instance has cluster support disabled";

/* Every subcommand, HELP included, is refused on a standalone node, as
 * Redis refuses them without cluster-enabled (the dispatcher has already
 * answered unknown subcommands and wrong arities, as Redis does). */
static void clusterCommand(cmd_ctx_t *c);

#define CLSUB (CMD_CONN | CMD_STALE)
static const command_t cluster_subcommands[] = {
    {"countkeysinslot", clusterCountkeysinslotCommand, 3, CLSUB, 0, 0, 0, "cluster",
     "Return the number of local keys in the specified hash slot", "3.0.0", "O(1)", "slow", NULL,
     NULL},
    {"getkeysinslot", clusterGetkeysinslotCommand, 4, CLSUB, 0, 0, 0, "cluster",
     "Return local key names in the specified hash slot", "3.0.0",
     "O(log(N)) where N is the number of requested keys", "slow", NULL, NULL},
    {"info", clusterInfoCommand, 2, CLSUB, 0, 0, 0, "cluster", "Provides info about Redis Cluster node state",
     "3.0.0", "O(1)", "slow", NULL, NULL},
    {"keyslot", clusterKeyslotCommand, 3, CLSUB, 0, 0, 0, "cluster", "Returns the hash slot of the specified key",
     "3.0.0", "O(N) where N is the number of bytes in the key", "slow", NULL, NULL},
    {"myid", clusterMyidCommand, 2, CLSUB, 0, 0, 0, "cluster", "Return the node id", "3.0.0", "O(1)", "slow", NULL,
     NULL},
    {"nodes", clusterNodesCommand, 2, CLSUB, 0, 0, 0, "cluster", "Get Cluster config for the node", "3.0.0",
     "O(N) where N is the total number of Cluster nodes", "slow", NULL, NULL},
    {"shards", clusterShardsCommand, 2, CLSUB, 0, 0, 0, "cluster", "Get array of cluster slots to node mappings",
     "7.0.0", "O(N) where N is the total number of cluster nodes", "slow", NULL, NULL},
    {"slots", clusterSlotsCommand, 2, CLSUB, 0, 0, 0, "cluster", "Get array of Cluster slot to node mappings",
     "3.0.0", "O(N) where N is the total number of Cluster nodes", "slow", NULL, NULL},
    {"help", clusterHelpCommand, 2, CLSUB | CMD_LOADING, 0, 0, 0, "cluster",
     "Show helpful text about the different subcommands", "5.0.0", "O(1)", "slow", NULL, NULL},
    {NULL},
};

/* ---- ROLE, READONLY, READWRITE ---------------------------------------------------- */

/* The leader (or a standalone node): ["master", applied, [[ip, "port",
 * "offset"], ...]] listing the followers whose link is up, with their match
 * index. Anyone else: ["slave", leader ip, leader port, "connected" or
 * "connect", applied]; with no leader known the ip is "" and the port 0. */
static void roleCommand(cmd_ctx_t *c)
{
    node_t *n = node_of(c);
    cluster_view_t v;
    view_build(n, &v);
    reply_t *r = c->reply;
    if (!n->cfg->enabled || (v.leader >= 0 && v.leader == v.self)) {
        int nrep = 0;
        for (int i = 0; n->cfg->enabled && i < v.n; i++) nrep += serving_replica(&v, i);
        reply_array(r, 3);
        reply_bulk_cstr(r, "master");
        reply_int(r, (long long)v.applied);
        reply_array(r, nrep);
        for (int i = 0; nrep && i < v.n; i++) {
            if (!serving_replica(&v, i)) continue;
            reply_array(r, 3);
            reply_bulk_cstr(r, v.m[i].ip);
            reply_bulk_ll(r, v.m[i].port);
            reply_bulk_ll(r, (long long)v.m[i].offset);
        }
        return;
    }
    const member_view_t *l = v.leader >= 0 ? &v.m[v.leader] : NULL;
    reply_array(r, 5);
    reply_bulk_cstr(r, "slave");
    reply_bulk_cstr(r, l ? l->ip : "");
    reply_int(r, l ? l->port : 0);
    reply_bulk_cstr(r, l && l->link ? "connected" : "connect");
    reply_int(r, (long long)v.applied);
}

/* The session flag the dispatcher reads: reads on a follower run at once
 * against its local state. Refused on a standalone node, as in Redis. */
static void set_readonly(cmd_ctx_t *c, bool on)
{
    if (!node_of(c)->cfg->enabled) {
        reply_error(c->reply, ERR_NOCLUSTER);
        return;
    }
    if (c->sess) c->sess->readonly = on;
    reply_ok(c->reply);
}

static void readonlyCommand(cmd_ctx_t *c)
{
    set_readonly(c, true);
}

static void readwriteCommand(cmd_ctx_t *c)
{
    set_readonly(c, false);
}

/* ---- DEBUG ------------------------------------------------------------------------ */

/* The canonical form of one key's value: type, flags and expiry, then the
 * string's bytes or, for a collection, its sub-records under the live
 * version (the version itself differs between equal values and is left
 * out, and sub-keys of dead versions are never seen). *sub is an iterator
 * made on first need and reused. */
static void digest_value(sha1_t *h, store_txn_t *txn, store_iter_t **sub, const char *key, size_t klen,
                         const meta_t *m)
{
    unsigned char hdr[10];
    hdr[0] = (unsigned char)m->type;
    hdr[1] = m->flags;
    for (int i = 0; i < 8; i++) hdr[2 + i] = (unsigned char)((uint64_t)m->expire_ms >> (56 - 8 * i));
    sha1_field(h, 'T', hdr, sizeof(hdr));
    if (m->type == OBJ_STRING) {
        sha1_field(h, 'V', m->value, m->vlen);
        return;
    }
    size_t plen = klen + 13;
    char *prefix = malloc(plen);
    if (!prefix) abort();
    enc_sub_prefix(prefix, key, klen, m->version);
    if (!*sub) *sub = store_iter_new(txn, CF_DATA);
    for (store_iter_seek(*sub, prefix, plen); store_iter_valid(*sub); store_iter_next(*sub)) {
        size_t kl, vl;
        const char *k = store_iter_key(*sub, &kl);
        if (kl < plen || memcmp(k, prefix, plen) != 0) break;
        const char *val = store_iter_value(*sub, &vl);
        sha1_field(h, 'S', k + plen, kl - plen);
        sha1_field(h, 'v', val, vl);
    }
    free(prefix);
}

/* DEBUG DIGEST: the data column family in key order — every key with the
 * canonical form of its value (expired keys not yet deleted included: they
 * are state every replica holds alike), the expiry index as stored, then the
 * key counters. Independent of the clock, so two replicas at the same
 * applied index agree. An empty keyspace gives 40 zeros, as in Redis. */
static void debugDigest(cmd_ctx_t *c)
{
    sha1_t h;
    sha1_init(&h);
    bool any = false;
    store_iter_t *it = store_iter_new(c->txn, CF_DATA), *sub = NULL;
    store_iter_seek(it, "", 0);
    while (store_iter_valid(it)) {
        size_t kl, vl;
        const char *k = store_iter_key(it, &kl);
        const char *val = store_iter_value(it, &vl);
        if (kl >= 1 && k[0] == ENC_SUB_PREFIX) { /* reached through their keys: skip past them */
            char next = ENC_SUB_PREFIX + 1;
            store_iter_seek(it, &next, 1);
            continue;
        }
        any = true;
        meta_t m;
        if (kl >= 1 && k[0] == ENC_META_PREFIX && enc_meta_decode(&m, val, vl) == 0) {
            sha1_field(&h, 'K', k + 1, kl - 1);
            digest_value(&h, c->txn, &sub, k + 1, kl - 1, &m);
        } else { /* the expiry index, and anything else, as stored */
            sha1_field(&h, 'R', k, kl);
            sha1_field(&h, 'r', val, vl);
        }
        store_iter_next(it);
    }
    if (sub) store_iter_free(sub);
    store_iter_free(it);
    unsigned char d[20] = {0};
    if (any || c->db->nkeys || c->db->nexpires) {
        char counters[64];
        int n = snprintf(counters, sizeof(counters), "%lld %lld", (long long)c->db->nkeys,
                         (long long)c->db->nexpires);
        sha1_field(&h, 'C', counters, (size_t)n);
        sha1_final(&h, d);
    }
    char hex[41];
    hex40(d, hex);
    reply_simple(c->reply, hex);
}

/* DEBUG DIGEST-VALUE key ...: the digest of each live key's value (type,
 * expiry and contents, not the name); 40 zeros for a missing or expired key. */
static void debugDigestValue(cmd_ctx_t *c)
{
    reply_array(c->reply, c->argc - 2);
    store_iter_t *sub = NULL;
    for (int i = 2; i < c->argc; i++) {
        unsigned char d[20] = {0};
        char *mk = malloc(c->argvlen[i] + 1), *raw = NULL;
        if (!mk) abort();
        size_t mklen = enc_meta_key(mk, c->argv[i], c->argvlen[i]), rawlen = 0;
        meta_t m;
        if (store_get(c->txn, CF_DATA, mk, mklen, &raw, &rawlen) == 1 && enc_meta_decode(&m, raw, rawlen) == 0 &&
            !(m.expire_ms && c->now_ms > m.expire_ms)) {
            sha1_t h;
            sha1_init(&h);
            digest_value(&h, c->txn, &sub, c->argv[i], c->argvlen[i], &m);
            sha1_final(&h, d);
        }
        free(raw);
        free(mk);
        char hex[41];
        hex40(d, hex);
        reply_simple(c->reply, hex);
    }
    if (sub) store_iter_free(sub);
}

static void debugHelp(cmd_ctx_t *c)
{
    static const char *const lines[] = {
        "DIGEST", "    Output a hex signature representing the current DB content.",
        "DIGEST-VALUE <key> [<key> ...]", "    Output a hex signature of the values of all the specified keys.",
        NULL};
    reply_help(c, lines);
}

/* DEBUG is not a container in Redis's table: it checks its own subcommands
 * and answers anything else with one error for both unknown names and
 * wrong arities. */
static void debugCommand(cmd_ctx_t *c)
{
    if (c->argc == 2 && cmd_arg_is(c, 1, "help"))
        debugHelp(c);
    else if (c->argc == 2 && cmd_arg_is(c, 1, "digest"))
        debugDigest(c);
    else if (cmd_arg_is(c, 1, "digest-value"))
        debugDigestValue(c);
    else
        reply_errorf(c->reply, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try DEBUG HELP.",
                     c->argvlen[1] < 128 ? (int)c->argvlen[1] : 128, c->argv[1]);
}

/* ---- the table ---------------------------------------------------------------------- */

static const command_t cluster_commands[] = {
    {"cluster", clusterCommand, -2, CMD_CONN, 0, 0, 0, "cluster", "A container for cluster commands", "3.0.0",
     "Depends on subcommand.", "slow", cluster_subcommands, NULL},
    {"role", roleCommand, 1, CMD_CONN | CMD_LOADING | CMD_STALE | CMD_FAST, 0, 0, 0, "server",
     "Return the role of the instance in the context of replication", "2.8.12", "O(1)", "admin fast dangerous",
     NULL, NULL},
    {"readonly", readonlyCommand, 1, CMD_CONN | CMD_LOADING | CMD_STALE | CMD_FAST, 0, 0, 0, "cluster",
     "Enables read queries for a connection to a cluster replica node", "3.0.0", "O(1)", "fast connection", NULL,
     NULL},
    {"readwrite", readwriteCommand, 1, CMD_CONN | CMD_LOADING | CMD_STALE | CMD_FAST, 0, 0, 0, "cluster",
     "Disables read queries for a connection to a cluster replica node", "3.0.0", "O(1)", "fast connection", NULL,
     NULL},
    {"debug", debugCommand, -2, CMD_CONN | CMD_ADMIN | CMD_LOADING | CMD_STALE, 0, 0, 0, "server",
     "A container for debugging commands", "1.0.0", "Depends on subcommand.", "admin slow dangerous", NULL,
     NULL},
};

static void clusterCommand(cmd_ctx_t *c)
{
    if (!node_of(c)->cfg->enabled) {
        reply_error(c->reply, ERR_NOCLUSTER);
        return;
    }
    run_subcommand(c, &cluster_commands[0]);
}

void cluster_cmds_register(void)
{
    cmd_table_add(cluster_commands, sizeof(cluster_commands) / sizeof(cluster_commands[0]));
}
