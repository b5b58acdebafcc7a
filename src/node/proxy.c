/* follower_mode = proxy: a follower forwards its clients' writes to the
 * leader, one upstream session (net/upstream.h) per client connection, and
 * hands the leader's replies back exactly as they came (RESP2 or RESP3, nil
 * kinds kept apart), so the client sees what the leader would have said.
 *
 * The session is opened on the first write and says who it is first:
 * RAFT.PROXY (the leader must not forward it again: a node that is no
 * longer leader answers -MOVED instead, so two nodes that each think the
 * other leads cannot bounce a write between them), AUTH when requirepass is
 * set, HELLO 3 for a RESP3 client. The answers to those are not passed on.
 * A MULTI transaction queued here goes to the leader whole at EXEC, and only
 * EXEC's reply is passed on. When the leader changes, the session is closed
 * once its requests are answered and the next write opens one to the new
 * leader. A failed session answers its requests with an error that says
 * whether the write may have happened. */
#include "net/upstream.h"
#include "node/node.h"
#include "util/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* A forwarded request ends (its req_ud is its cmdstats mark): counted, with
 * the time from its dispatch here to the leader's answer passed back. */
static void count_done(client_t *cl, void *req_ud)
{
    uint64_t start_us;
    int32_t cmd;
    cmdstats_untag(req_ud, &start_us, &cmd);
    cmdstats_done(cl->node, cmd, start_us, false);
}

static void on_reply(void *ud, void *req_ud, const char *bytes, size_t len)
{
    client_t *cl = ud;
    if (!req_ud) return; /* a handshake or a queued command: not passed on */
    if (cl->conn) reply_raw(client_reply(cl), bytes, len);
    count_done(cl, req_ud);
    client_done(cl);
}

static void on_fail(void *ud, void *req_ud, int status)
{
    client_t *cl = ud;
    if (!req_ud) return;
    count_done(cl, req_ud);
    if (cl->conn) {
        bool sent = cl->up ? upstream_fail_sent(cl->up) : true;
        if (cl->up_abandoned)
            reply_error(client_reply(cl), "TIMEOUT the leader changed and the former one did not answer; the write "
                                          "may or may not be applied");
        else if (sent)
            reply_errorf(client_reply(cl), "TIMEOUT the connection to the leader failed (%s); the write may or "
                                           "may not be applied", uv_strerror(status));
        else
            reply_errorf(client_reply(cl), "TRYAGAIN could not reach the leader (%s)", uv_strerror(status));
    }
    client_done(cl);
}

/* The session's connection ended by itself (the leader restarted, or
 * closed it): its requests have had their on_fail. A failed upstream takes
 * no more commands, so it goes now and the client's next write opens a new
 * session; kept, it would refuse every later write of this client. */
static void on_down(void *ud, int status)
{
    client_t *cl = ud;
    log_info("proxy_session_down", " client=%" PRIu64 " error=\"%s\"", cl->sess.id, uv_strerror(status));
    proxy_close(cl);
}

static const upstream_cb_t callbacks = {.on_reply = on_reply, .on_fail = on_fail, .on_down = on_down};

static void send_quiet(upstream_t *u, int argc, const char **argv)
{
    size_t lens[4];
    for (int i = 0; i < argc; i++) lens[i] = strlen(argv[i]);
    upstream_send(u, argc, argv, lens, NULL);
}

/* Opens cl's session to the leader and queues its handshake. */
static int open_session(node_t *n, client_t *cl, uint64_t leader, const char *addr)
{
    char host[RAFT_ADDR_MAX];
    int port;
    if (peer_parse_addr(addr, host, sizeof(host), &port) < 0) return -1;
    cl->up = upstream_new(n->loop, host, port, &callbacks, cl);
    if (!cl->up) return -1;
    cl->up_leader = leader;
    char id[24];
    snprintf(id, sizeof(id), "%" PRIu64, n->id);
    send_quiet(cl->up, 2, (const char *[]){"RAFT.PROXY", id});
    if (n->cfg->requirepass[0]) send_quiet(cl->up, 2, (const char *[]){"AUTH", n->cfg->requirepass});
    if (cl->sess.proto == 3) send_quiet(cl->up, 2, (const char *[]){"HELLO", "3"});
    return 0;
}

void proxy_drop_stale(node_t *n)
{
    if (!n->proxy_stale || (int64_t)uv_now(n->loop) - n->leader_changed_ms < n->cfg->request_timeout_ms) return;
    n->proxy_stale = false;
    int dropped = 0;
    client_t *next;
    for (client_t *cl = n->clients; cl; cl = next) {
        next = cl->next;
        if (!cl->up || cl->up_leader == n->leader || !upstream_pending(cl->up)) continue;
        cl->up_abandoned = true;
        proxy_close(cl);
        cl->up_abandoned = false;
        dropped++;
        if (cl->pending) continue;
        if (cl->conn)
            conn_resume(cl->conn); /* requests held behind the failed ones go on */
        else
            client_free(cl); /* gone, and nothing holds it now */
    }
    if (dropped) log_warn("proxy_sessions_dropped", " sessions=%d reason=\"the former leader did not answer\"", dropped);
}

conn_verdict_t proxy_forward(node_t *n, client_t *cl, int argc, const char **argv, const size_t *argvlen,
                             bool exec)
{
    const char *addr;
    uint64_t leader = node_leader(n, &addr);
    /* replies keep request order only if all that is in flight is in the session */
    if (cl->pending && (!cl->up || upstream_pending(cl->up) != (size_t)cl->pending)) return CONN_PAUSE;
    if (cl->up && cl->up_leader != leader) {
        if (upstream_pending(cl->up)) return CONN_PAUSE; /* let the old session finish first */
        proxy_close(cl);
    }
    if (!cl->up && open_session(n, cl, leader, addr) < 0) {
        if (cl->pending) return CONN_PAUSE;
        reply_error(conn_reply(cl->conn), "TRYAGAIN could not open a session to the leader");
        return CONN_CONTINUE;
    }
    void *tag = cmdstats_tag(cl->req.start_us, cl->req.cmd); /* never NULL: NULL marks what is not passed on */
    int rc;
    if (exec) {
        session_t *s = &cl->sess;
        send_quiet(cl->up, 1, (const char *[]){"MULTI"});
        for (int i = 0; i < s->nqueued; i++)
            upstream_send(cl->up, s->queue[i].argc, (const char *const *)s->queue[i].argv, s->queue[i].argvlen,
                          NULL);
        rc = upstream_send(cl->up, 1, (const char *[]){"EXEC"}, (size_t[]){4}, tag);
        session_discard(s);
    } else {
        rc = upstream_send(cl->up, argc, argv, argvlen, tag);
    }
    if (rc != 0) {
        /* the session had already failed: nothing was sent, and no callback
         * will ever answer this request, so it is answered here */
        proxy_close(cl);
        reply_errorf(conn_reply(cl->conn), "TRYAGAIN could not reach the leader (%s)", uv_strerror(rc));
        return CONN_CONTINUE;
    }
    cl->req.deferred = true; /* counted when the leader's answer comes back (or the session fails) */
    cl->pending++;
    n->stats.writes_proxied++;
    return CONN_CONTINUE;
}

void proxy_close(client_t *cl)
{
    if (!cl->up) return;
    upstream_t *u = cl->up;
    cl->up = NULL;
    cl->pending++; /* the failures of its requests must not free cl under us */
    upstream_close(u);
    cl->pending--;
}
