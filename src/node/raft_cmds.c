/* The receiving end of the peer transport (peer.h): RAFT.HELLO makes a
 * connection a raft link from one node of this cluster, RAFT.MSG carries
 * one message to the core, RAFT.SNAP a snapshot chunk (snap_transfer.c),
 * RAFT.PUBLISH a Pub/Sub message (pubsub.c);
 * RAFT.SNAPSHOT is the operators' BGSAVE. Anything else from a peer, or a message that
 * does not decode, is refused with an error and logged; it never reaches
 * the core. */
#include "node/node.h"
#include "node/pubsub.h"
#include "util/log.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool parse_u64(const char *s, size_t len, uint64_t *out)
{
    if (len == 0 || len > 20) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* Compares secrets in time independent of where they differ. */
static bool secret_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    unsigned char d = alen != blen;
    for (size_t i = 0; i < alen && i < blen; i++) d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

/* A removal that is committed (the last one in the list is not while the
 * configuration that carries it is uncommitted: a new leader may drop it).
 * Only such a removal may be told to the node: it then stops for good. */
static bool peer_is_removed(node_t *n, uint64_t id)
{
    raft_status_t st;
    raft_status(n->raft, &st);
    int k = st.conf->n_removed;
    if (st.conf_index > st.commit && k > 0) k--;
    for (int i = 0; i < k; i++)
        if (st.conf->removed[i] == id) return true;
    return false;
}

/* RAFT.HELLO <cluster_id> <node_id> <secret> [<addr>]: addr is where the
 * peer listens, for a node whose configuration does not list it yet. */
static bool hello(node_t *n, client_t *cl, int argc, const char **argv, const size_t *argvlen, reply_t *r)
{
    uint64_t cid, from;
    if ((argc != 4 && argc != 5) || !parse_u64(argv[1], argvlen[1], &cid) || !parse_u64(argv[2], argvlen[2], &from) || from == 0) {
        reply_error(r, "ERR syntax: RAFT.HELLO <cluster_id> <node_id> <secret> [<addr>]");
        return true;
    }
    const char *secret = n->cfg->cluster_secret;
    if (secret[0] && !secret_eq(argv[3], argvlen[3], secret, strlen(secret))) {
        log_warn("peer_refused", " from=%" PRIu64 " addr=%s reason=bad_secret", from, cl->sess.addr);
        reply_error(r, "ERR raft: wrong cluster_secret");
        return true;
    }
    if (!n->cluster_id && cid) {
        /* a node that joins hears first from the leader that added it */
        log_info("peer_hello_adopt", " from=%" PRIu64 " addr=%s", from, cl->sess.addr);
        node_adopt_cluster_id(n, cid);
    }
    if (cid != n->cluster_id) {
        log_warn("peer_refused", " from=%" PRIu64 " addr=%s reason=cluster_id theirs=%016" PRIx64 " ours=%016" PRIx64,
                 from, cl->sess.addr, cid, n->cluster_id);
        reply_error(r, "ERR raft: this node belongs to another cluster");
        return true;
    }
    if (from == n->id) {
        log_warn("peer_refused", " from=%" PRIu64 " addr=%s reason=own_id", from, cl->sess.addr);
        reply_error(r, "ERR raft: a peer uses this node's own id");
        return true;
    }
    raft_status_t st;
    raft_status(n->raft, &st);
    if (peer_is_removed(n, from)) {
        log_warn("peer_refused", " from=%" PRIu64 " addr=%s reason=removed", from, cl->sess.addr);
        reply_error(r, "ERR raft: this node id was removed from the cluster");
        return true;
    }
    /* An id we do not know yet may be a member added by entries this node
     * has not received: accepted (the core ignores its vote requests). */
    if (!raft_conf_find(st.conf, from)) {
        log_info("peer_unknown", " from=%" PRIu64 " addr=%s action=accepted", from, cl->sess.addr);
        if (argc == 5 && argvlen[4] < RAFT_ADDR_MAX && !memchr(argv[4], 0, argvlen[4])) {
            char addr[RAFT_ADDR_MAX];
            memcpy(addr, argv[4], argvlen[4]);
            addr[argvlen[4]] = '\0';
            peers_hint(&n->peers, from, addr);
        }
    }
    cl->sess.peer_id = from;
    /* A peer that connects anew may have lost messages, or restarted with
     * less than it had (a wiped disk): the leader probes it again rather
     * than streaming on from where it believed it was. */
    if (n->raft && n->role == RAFT_LEADER) {
        raft_report_unreachable(n->raft, from);
        node_kick(n);
    }
    reply_simple(r, "OK");
    return true;
}


/* RAFT.MSG <bytes>: decoded (every length checked), then stepped. A
 * message naming another sender than the HELLO, another cluster or another
 * destination is refused; so is one the core finds malformed. */
static bool msg(node_t *n, client_t *cl, int argc, const char **argv, const size_t *argvlen, reply_t *r)
{
    if (!cl->sess.peer_id) {
        reply_error(r, "ERR raft: RAFT.MSG needs RAFT.HELLO first");
        return true;
    }
    if (argc != 2) {
        reply_error(r, "ERR syntax: RAFT.MSG <message>");
        return true;
    }
    char err[128];
    wire_msg_t *w = &n->wmsg;
    const char *why = NULL;
    if (wire_decode(w, argv[1], argvlen[1], err, sizeof(err)) != 0)
        why = err;
    else if (w->cluster_id != n->cluster_id)
        why = "cluster id";
    else if (w->m.from != cl->sess.peer_id)
        why = "sender is not the node that said hello";
    else if (w->m.to != n->id)
        why = "addressed to another node";
    else if (peer_is_removed(n, w->m.from)) {
        /* the sender was removed but does not know it (the leader stopped
         * sending it the log when the removal was appended): told, it
         * stops campaigning */
        reply_error(r, "ERR raft: this node id was removed from the cluster");
        return true;
    }
    else if (w->m.type == RAFT_MSG_SNAPSHOT && !snap_recv_message(n, &w->m))
        ; /* stepped once its data is sealed, or dropped (snap_transfer.c) */
    else if (raft_step(n->raft, &w->m) != RAFT_OK)
        why = "refused by the raft core";
    if (!why) node_log_vote(n, &w->m, "in", true);
    if (!why && (w->m.type == RAFT_MSG_APPEND || w->m.type == RAFT_MSG_HEARTBEAT || w->m.type == RAFT_MSG_SNAPSHOT))
        n->leader_heard_ms = (int64_t)uv_now(n->loop);
    if (why) {
        n->stats.msgs_bad++;
        /* one line per second at most, however much garbage comes */
        static int64_t last_ms;
        static uint64_t suppressed;
        int64_t now = (int64_t)uv_now(n->loop);
        if (now - last_ms >= 1000) {
            log_warn("peer_bad_message", " from=%" PRIu64 " addr=%s len=%zu reason=\"%s\" suppressed=%" PRIu64,
                     cl->sess.peer_id, cl->sess.addr, argvlen[1], why, suppressed);
            last_ms = now;
            suppressed = 0;
        } else {
            suppressed++;
        }
        reply_errorf(r, "ERR raft: bad message: %s", why);
        return true;
    }
    n->stats.msgs_in++;
    reply_simple(r, "OK");
    return true;
}

/* RAFT.SNAP <chunk>: a piece of a snapshot from the leader. */
static bool snap_chunk(node_t *n, client_t *cl, int argc, const char **argv, const size_t *argvlen, reply_t *r)
{
    if (!cl->sess.peer_id) {
        reply_error(r, "ERR raft: RAFT.SNAP needs RAFT.HELLO first");
        return true;
    }
    if (argc != 2) {
        reply_error(r, "ERR syntax: RAFT.SNAP <chunk>");
        return true;
    }
    snap_recv_chunk(n, cl, argv[1], argvlen[1], r);
    return true;
}

/* RAFT.SNAPSHOT: an operator asks for a snapshot (and log compaction) now,
 * as BGSAVE does in Redis; the work runs in the background. While one is
 * being made, another is scheduled to follow it (BGSAVE SCHEDULE). */
static bool snapshot_now(node_t *n, client_t *cl, int argc, reply_t *r)
{
    if (n->cfg->requirepass[0] && !cl->sess.authed) {
        reply_error(r, "NOAUTH Authentication required.");
        return true;
    }
    if (argc != 1) {
        reply_error(r, "ERR wrong number of arguments for 'raft.snapshot' command");
        return true;
    }
    reply_simple(r, node_snapshot_request(n) ? "Background snapshot started" : "Background snapshot scheduled");
    return true;
}

/* RAFT.PUBLISH c|s <channel> <message>: a message published on another
 * member, for this node's subscribers (pubsub.h). Answers how many got it;
 * the sender does not wait for that. */
static bool publish(node_t *n, client_t *cl, int argc, const char **argv, const size_t *argvlen, reply_t *r)
{
    if (!cl->sess.peer_id) {
        reply_error(r, "ERR raft: RAFT.PUBLISH needs RAFT.HELLO first");
        return true;
    }
    if (argc != 4 || argvlen[1] != 1 || (argv[1][0] != 'c' && argv[1][0] != 's')) {
        reply_error(r, "ERR syntax: RAFT.PUBLISH c|s <channel> <message>");
        return true;
    }
    ps_kind_t k = argv[1][0] == 's' ? PS_SHARD : PS_CHANNEL;
    reply_int(r, pubsub_deliver(n, k, argv[2], argvlen[2], argv[3], argvlen[3]));
    return true;
}

/* RAFT.PROXY <node_id>: the connection carries a follower's client. */
static bool proxy(client_t *cl, int argc, reply_t *r)
{
    if (argc != 2) {
        reply_error(r, "ERR syntax: RAFT.PROXY <node_id>");
        return true;
    }
    cl->sess.proxied = true;
    reply_simple(r, "OK");
    return true;
}

bool node_raft_command(node_t *n, client_t *cl, int argc, const char **argv, const size_t *argvlen, reply_t *r)
{
    if (argvlen[0] == 10 && strncasecmp(argv[0], "raft.proxy", 10) == 0) return proxy(cl, argc, r);
    if (argvlen[0] == 8 && strncasecmp(argv[0], "raft.msg", 8) == 0) return msg(n, cl, argc, argv, argvlen, r);
    if (argvlen[0] == 10 && strncasecmp(argv[0], "raft.hello", 10) == 0) return hello(n, cl, argc, argv, argvlen, r);
    if (argvlen[0] == 9 && strncasecmp(argv[0], "raft.snap", 9) == 0) return snap_chunk(n, cl, argc, argv, argvlen, r);
    if (argvlen[0] == 13 && strncasecmp(argv[0], "raft.snapshot", 13) == 0) return snapshot_now(n, cl, argc, r);
    if (argvlen[0] == 12 && strncasecmp(argv[0], "raft.publish", 12) == 0) return publish(n, cl, argc, argv, argvlen, r);
    reply_errorf(r, "ERR unknown raft command '%.*s'", (int)(argvlen[0] < 64 ? argvlen[0] : 64), argv[0]);
    return true;
}
