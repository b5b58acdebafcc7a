/* From request to answer: the checks Redis makes before running a command
 * (known, arity, auth, MULTI queueing), then a proposal to the log (writes,
 * on the leader), a -MOVED or a wait for a leader (writes elsewhere), a
 * ReadIndex read (data reads) or a local run (everything else).
 *
 * Ordering rule: a client's replies leave in request order. A write's reply
 * comes when its entry is applied and a read's when its batch is confirmed,
 * so while a client has requests in flight, anything that would be answered
 * at once (an error, +QUEUED, PING) is held with CONN_PAUSE until they are
 * answered. Writes behind writes are proposed at once (the log keeps their
 * order, and a pipeline of writes shares one synced append); reads behind
 * reads are queued at once (read batches are released in order); a write
 * behind a read, or a read behind a write, waits. */
#include "net/upstream.h"
#include "node/introspect.h"
#include "node/node.h"
#include "node/pubsub.h"
#include "node/wait_cmd.h"
#include "node/server_cmds.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void *on_open(void *ud, conn_t *c)
{
    node_t *n = ud;
    client_t *cl = client_new(n);
    cl->conn = c;
    session_init(&cl->sess, c->id);
    cl->sess.authed = n->cfg->requirepass[0] == '\0';
    cl->sess.fd = c->fd;
    cl->sess.created_ms = node_wall_ms();
    snprintf(cl->sess.addr, sizeof(cl->sess.addr), "%s", c->addr);
    snprintf(cl->sess.laddr, sizeof(cl->sess.laddr), "%s", c->laddr);
    c->parser.unauthenticated = !cl->sess.authed;
    return cl;
}

/* The client may still have writes in flight: it is freed when the last of
 * them is answered (client_done), not before. */
static void on_close(void *ud, conn_t *c)
{
    client_t *cl = c->udata;
    (void)ud;
    cl->conn = NULL;
    cl->sess.peer_id = 0;
    proxy_close(cl);
    keywait_client_gone(cl->node, cl);
    pubsub_client_gone(cl->node, cl);
    if (cl->pending == 0) client_free(cl);
}

/* Redis's text for an unknown command: the name and the first arguments,
 * quoted, cut at 128 bytes. */
static void reply_unknown_command(reply_t *r, int argc, const char **argv, const size_t *argvlen)
{
    char args[512];
    size_t alen = 0;
    args[0] = '\0';
    for (int i = 1; i < argc && alen < 128; i++) {
        int room = 128 - (int)alen;
        int take = (int)argvlen[i] < room ? (int)argvlen[i] : room;
        alen += (size_t)snprintf(args + alen, sizeof(args) - alen, "'%.*s' ", take, argv[i]);
    }
    int nlen = argvlen[0] < 128 ? (int)argvlen[0] : 128;
    reply_errorf(r, "ERR unknown command '%.*s', with args beginning with: %s", nlen, argv[0], args);
}

static bool arity_ok(const command_t *cmd, int argc)
{
    return cmd->arity > 0 ? argc == cmd->arity : argc >= -cmd->arity;
}

/* A container's subcommand is known and its arity holds (no reply written). */
static bool subcommand_ok(const command_t *cmd, int argc, const char **argv, const size_t *argvlen)
{
    const command_t *sub = find_sub(cmd->subcommands, argv[1], argvlen[1]);
    return sub && arity_ok(sub, argc);
}

/* Builds and proposes a single-command entry. */
static void propose_cmd(node_t *n, client_t *cl, int argc, const char **argv, const size_t *argvlen)
{
    entry_begin(&n->ebuf, ENTRY_CMD, node_entry_time(n));
    entry_add_cmd(&n->ebuf, argc, argv, argvlen);
    entry_end(&n->ebuf);
    node_propose(n, cl);
}

/* Where a write goes when this node is not the leader: -MOVED to the
 * leader (the cluster clients' redirect), or, with no leader known, a wait
 * of up to request_timeout_ms for one (the request is held and offered
 * again on every tick and leadership change), then -CLUSTERDOWN. Returns
 * CONN_CONTINUE when the caller may go on and propose (this node leads). */
static conn_verdict_t route_write(node_t *n, client_t *cl, reply_t *r, bool *go, int argc, const char **argv,
                                  const size_t *argvlen, bool exec)
{
    *go = false;
    if (node_is_leader(n)) {
        cl->wait_since_ms = 0;
        *go = true;
        return CONN_CONTINUE;
    }
    const char *addr;
    int64_t now = (int64_t)uv_now(n->loop);
    if (n->cfg->follower_mode == FOLLOWER_PROXY && !cl->sess.proxied && node_leader(n, &addr) && addr[0]) {
        cl->wait_since_ms = 0;
        return proxy_forward(n, cl, argc, argv, argvlen, exec);
    }
    if (cl->pending) return CONN_PAUSE; /* answered at once: after what is in flight */
    if (node_leader(n, &addr) && addr[0]) {
        cl->wait_since_ms = 0;
        reply_errorf(r, "MOVED 0 %s", addr);
        n->stats.writes_redirected++;
        cl->req.rejected = true; /* as Redis Cluster counts a redirect */
        return CONN_CONTINUE;
    }
    if (n->removed) { /* no leader will come: say why at once */
        cl->wait_since_ms = 0;
        reply_error(r, "CLUSTERDOWN This node was removed from the cluster");
        cl->req.rejected = true;
        return CONN_CONTINUE;
    }
    if (!cl->wait_since_ms) cl->wait_since_ms = now;
    if (now - cl->wait_since_ms >= n->cfg->request_timeout_ms) {
        cl->wait_since_ms = 0;
        reply_error(r, "CLUSTERDOWN No raft leader");
        cl->req.rejected = true;
        return CONN_CONTINUE;
    }
    node_wait_for_leader(n, cl);
    return CONN_PAUSE;
}

/* Watches that went to the leader through this client's proxied session
 * live there: whatever forgets them here (DISCARD, a discarded or aborted
 * EXEC) must forget them there too, or the next transaction sent through
 * that session would be checked against them. The UNWATCH's answer is not
 * passed on (no req_ud), and the session keeps it ahead of what follows. */
static void forget_remote_watches(client_t *cl)
{
    if (cl->sess.watch_remote && cl->sess.watch_remote == cl->up)
        upstream_send(cl->up, 1, (const char *[]){"UNWATCH"}, (size_t[]){7}, NULL);
}

/* EXEC: a transaction with a write in it becomes one entry, applied
 * atomically on every replica; a read-only one runs here and now, which is
 * just as atomic on the single loop. */
static conn_verdict_t exec_transaction(node_t *n, client_t *cl, reply_t *r)
{
    session_t *s = &cl->sess;
    if (!s->in_multi) {
        reply_error(r, "ERR EXEC without MULTI");
        return CONN_CONTINUE;
    }
    if (s->multi_dirty) {
        reply_error(r, "EXECABORT Transaction discarded because of previous errors.");
        forget_remote_watches(cl);
        session_discard(s);
        return CONN_CONTINUE;
    }
    /* WATCH: decided here, before the entry is proposed (keywait.c); watches
     * that went to the leader through a proxied session are the leader's to
     * check, as long as it is still that session */
    bool remote = s->watch_remote != NULL;
    const char *laddr;
    bool same_session = remote && s->watch_remote == cl->up && !node_is_leader(n) &&
                        cl->up_leader == node_leader(n, &laddr);
    if ((remote && !same_session) || (!remote && keywait_exec_aborts(n, cl))) {
        reply_null_array(r);
        forget_remote_watches(cl);
        session_discard(s);
        return CONN_CONTINUE;
    }
    bool writes = remote; /* a watched transaction is checked where its watches are */
    for (int i = 0; i < s->nqueued; i++) {
        const command_t *cmd = cmd_lookup(s->queue[i].argv[0], s->queue[i].argvlen[0]);
        if (cmd && (cmd->flags & CMD_WRITE)) writes = true;
    }
    if (writes) {
        bool go;
        conn_verdict_t v = route_write(n, cl, r, &go, 0, NULL, NULL, true);
        if (!go) {
            if (v == CONN_CONTINUE && s->in_multi) session_discard(s); /* answered -MOVED or -CLUSTERDOWN */
            return v;
        }
        entry_begin(&n->ebuf, ENTRY_MULTI, node_entry_time(n));
        for (int i = 0; i < s->nqueued; i++)
            entry_add_cmd(&n->ebuf, s->queue[i].argc, (const char *const *)s->queue[i].argv, s->queue[i].argvlen);
        entry_end(&n->ebuf);
        node_propose(n, cl);
    } else {
        reply_array(r, s->nqueued);
        n->in_exec = true;
        for (int i = 0; i < s->nqueued; i++) {
            queued_cmd_t *q = &s->queue[i];
            const command_t *cmd = cmd_lookup(q->argv[0], q->argvlen[0]);
            node_exec_local(n, cl, cmd, q->argc, (const char *const *)q->argv, q->argvlen);
        }
        n->in_exec = false;
    }
    session_discard(s);
    return CONN_CONTINUE;
}

/* Everything dispatch decides about one request; on_command around it
 * counts the request once it is answered or handed on. */
static conn_verdict_t handle_command(node_t *n, conn_t *conn, int argc, const char **argv, const size_t *argvlen)
{
    client_t *cl = conn->udata;
    session_t *s = &cl->sess;
    reply_t *r = conn_reply(conn);

    if (argc < 0) { /* protocol error: answered in order, then the connection closes */
        if (cl->pending) return CONN_PAUSE;
        reply_errorf(r, "ERR Protocol error: %s", argv[0]);
        log_debug("protocol_error", " id=%llu addr=%s error=\"%s\"", (unsigned long long)s->id, s->addr, argv[0]);
        return CONN_CLOSE;
    }
    s->last_cmd_ms = (int64_t)uv_now(n->loop);
    if (argvlen[0] > 5 && strncasecmp(argv[0], "raft.", 5) == 0) {
        if (cl->pending) return CONN_PAUSE;
        return node_raft_command(n, cl, argc, argv, argvlen, r) ? CONN_CONTINUE : CONN_CLOSE;
    }
    uint32_t pos;
    const command_t *cmd = cmd_lookup_pos(argv[0], argvlen[0], &pos);
    if (cmd) cl->req.cmd = (int32_t)pos; /* unknown commands are not counted */

    if (!cmd || !arity_ok(cmd, argc) || (cmd->subcommands && argc >= 2 && !subcommand_ok(cmd, argc, argv, argvlen))) {
        if (cl->pending) return CONN_PAUSE;
        cl->req.rejected = true;
        if (!cmd)
            reply_unknown_command(r, argc, argv, argvlen);
        else if (!arity_ok(cmd, argc))
            reply_wrong_arity(r, cmd->name);
        else
            subcommand_check(cmd, argc, argv, argvlen, r);
        if (s->in_multi) s->multi_dirty = true;
        return CONN_CONTINUE;
    }
    s->last_cmd = cmd->name; /* no copy per command: names are static */
    if (!s->authed && !(cmd->flags & CMD_NOAUTH)) {
        if (cl->pending) return CONN_PAUSE;
        reply_error(r, "NOAUTH Authentication required.");
        cl->req.rejected = true;
        if (s->in_multi) s->multi_dirty = true;
        return CONN_CONTINUE;
    }
    if (s->proto == 2 && (s->nsub || s->npsub || s->nssub) && !pubsub_allowed_in_context(cmd)) {
        /* a RESP2 subscriber's connection carries messages: Redis allows
         * only what keeps that stream readable */
        if (cl->pending) return CONN_PAUSE;
        char name[96];
        const command_t *sub = cmd->subcommands && argc >= 2 ? find_sub(cmd->subcommands, argv[1], argvlen[1]) : NULL;
        if (sub)
            full_name(name, sizeof(name), cmd, sub);
        else
            snprintf(name, sizeof(name), "%s", cmd->name);
        reply_errorf(r, "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are "
                        "allowed in this context", name);
        cl->req.rejected = true;
        return CONN_CONTINUE;
    }
    if (s->in_multi && !server_cmd_runs_in_multi(cmd)) {
        if (cl->pending) return CONN_PAUSE;
        const char *addr;
        if ((cmd->flags & CMD_WRITE) && !node_is_leader(n) && node_leader(n, &addr) && addr[0] &&
            (n->cfg->follower_mode == FOLLOWER_REDIRECT || s->proxied)) {
            /* as Redis Cluster does for a key of another node inside MULTI */
            reply_errorf(r, "MOVED 0 %s", addr);
            s->multi_dirty = true;
            cl->req.rejected = true;
            return CONN_CONTINUE;
        }
        if (cmd->flags & CMD_NOMULTI) { /* SHUTDOWN: the transaction fails, as in Redis */
            reply_error(r, "ERR Command not allowed inside a transaction");
            s->multi_dirty = true;
            cl->req.rejected = true;
            return CONN_CONTINUE;
        }
        session_queue(s, argc, argv, argvlen);
        reply_simple(r, "QUEUED");
        return CONN_CONTINUE;
    }
    if (server_cmd_is_exec(cmd)) {
        if (cl->pending) return CONN_PAUSE;
        return exec_transaction(n, cl, r);
    }
    if (server_cmd_is_watch(cmd) && !s->in_multi) {
        /* the leader keeps the watches: WATCH goes where writes go */
        if (cl->pending) return CONN_PAUSE;
        if (argvlen[0] == 7) { /* UNWATCH */
            if (s->watch_remote && cl->up) {
                session_unwatch(s);
                bool go;
                return route_write(n, cl, r, &go, argc, argv, argvlen, false);
            }
            node_exec_local(n, cl, cmd, argc, argv, argvlen);
            return CONN_CONTINUE;
        }
        bool go;
        conn_verdict_t v = route_write(n, cl, r, &go, argc, argv, argvlen, false);
        if (go) node_exec_local(n, cl, cmd, argc, argv, argvlen);
        else if (cl->req.deferred && cl->up) s->watch_remote = cl->up; /* forwarded to the leader */
        return v;
    }
    if (wait_is_cmd(cmd)) { /* WAIT: where the writes go, after those in flight */
        if (cl->pending) return CONN_PAUSE;
        bool go;
        conn_verdict_t v = route_write(n, cl, r, &go, argc, argv, argvlen, false);
        if (go) wait_start(n, cl, argc, argv, argvlen);
        return v;
    }
    if (cmd->flags & CMD_WRITE) {
        if (cl->pending_reads) return CONN_PAUSE;
        bool go;
        conn_verdict_t v = route_write(n, cl, r, &go, argc, argv, argvlen, false);
        if (go) propose_cmd(n, cl, argc, argv, argvlen);
        return v;
    }
    if ((cmd->flags & CMD_READONLY) && !(s->readonly && !node_is_leader(n))) {
        if (cl->pending > cl->pending_reads) return CONN_PAUSE;
        if (cl->pending == 0 && node_read_now(n)) {
            node_exec_local(n, cl, cmd, argc, argv, argvlen);
            return CONN_CONTINUE;
        }
        node_read(n, cl, cmd, argc, argv, argvlen);
        return CONN_CONTINUE;
    }
    if (cl->pending) return CONN_PAUSE;
    if (s->in_multi && strcmp(cmd->name, "discard") == 0) forget_remote_watches(cl);
    int proto = s->proto;
    node_exec_local(n, cl, cmd, argc, argv, argvlen);
    if (conn->out.proto != s->proto) conn->out.proto = s->proto;
    /* HELLO after the proxied session opened: the leader must answer that
     * session in the new protocol too (a RESP3 client's null is "_"); the
     * HELLO's own answer there is not passed on */
    if (s->proto != proto && cl->up)
        upstream_send(cl->up, 2, (const char *[]){"HELLO", s->proto == 3 ? "3" : "2"}, (size_t[]){5, 1}, NULL);
    conn->parser.unauthenticated = !s->authed;
    return s->close_asap ? CONN_CLOSE : CONN_CONTINUE;
}

/* Times and counts each request (cmdstats.c). The clock starts at the first
 * offer and keeps running while the request is held (CONN_PAUSE: behind the
 * client's requests in flight, or waiting for a leader); a request answered
 * here is counted here, one handed on (proposed, queued for a ReadIndex,
 * proxied: req.deferred) by whoever answers it. */
static conn_verdict_t on_command(void *ud, conn_t *conn, int argc, const char **argv, const size_t *argvlen)
{
    node_t *n = ud;
    req_mark_t *m = &((client_t *)conn->udata)->req;
    if (!m->start_us) m->start_us = node_now_us();
    m->cmd = -1;
    m->rejected = m->deferred = false;
    conn_verdict_t v = handle_command(n, conn, argc, argv, argvlen);
    if (v == CONN_PAUSE) return v;
    pubsub_flush_self(n); /* a message it published to itself follows its reply */
    if (!m->deferred) cmdstats_done(n, m->cmd, m->start_us, m->rejected);
    m->start_us = 0;
    return v;
}

static void before_flush(void *ud)
{
    pubsub_before_flush(ud);
}

const conn_handler_t node_conn_handler = {
    .on_open = on_open,
    .on_command = on_command,
    .on_close = on_close,
    .before_flush = before_flush,
};
