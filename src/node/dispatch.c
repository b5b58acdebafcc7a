/* From request to answer: the checks Redis makes before running a command
 * (known, arity, auth, MULTI queueing), then either a proposal to the log
 * (writes) or a local run (everything else).
 *
 * Ordering rule: a client's replies leave in request order. A write's reply
 * comes when its entry is applied, so while a client has writes pending,
 * anything that would be answered at once (a read, an error, +QUEUED) is held
 * with CONN_PAUSE until the pending writes are answered. Writes behind
 * writes are proposed at once: the log keeps their order, and consecutive
 * writes of a pipeline share one synced append. */
#include "node/introspect.h"
#include "node/node.h"
#include "node/server_cmds.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *on_open(void *ud, conn_t *c)
{
    node_t *n = ud;
    client_t *cl = calloc(1, sizeof(*cl));
    cl->node = n;
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
    if (cl->pending == 0) {
        session_free(&cl->sess);
        free(cl);
    }
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
        session_discard(s);
        return CONN_CONTINUE;
    }
    bool writes = false;
    for (int i = 0; i < s->nqueued; i++) {
        const command_t *cmd = cmd_lookup(s->queue[i].argv[0], s->queue[i].argvlen[0]);
        if (cmd && (cmd->flags & CMD_WRITE)) writes = true;
    }
    if (writes) {
        entry_begin(&n->ebuf, ENTRY_MULTI, node_entry_time(n));
        for (int i = 0; i < s->nqueued; i++)
            entry_add_cmd(&n->ebuf, s->queue[i].argc, (const char *const *)s->queue[i].argv, s->queue[i].argvlen);
        entry_end(&n->ebuf);
        node_propose(n, cl);
    } else {
        reply_array(r, s->nqueued);
        for (int i = 0; i < s->nqueued; i++) {
            queued_cmd_t *q = &s->queue[i];
            const command_t *cmd = cmd_lookup(q->argv[0], q->argvlen[0]);
            node_exec_local(n, cl, cmd, q->argc, (const char *const *)q->argv, q->argvlen);
        }
    }
    session_discard(s);
    return CONN_CONTINUE;
}

static conn_verdict_t on_command(void *ud, conn_t *conn, int argc, const char **argv, const size_t *argvlen)
{
    node_t *n = ud;
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
    const command_t *cmd = cmd_lookup(argv[0], argvlen[0]);

    if (!cmd || !arity_ok(cmd, argc) || (cmd->subcommands && argc >= 2 && !subcommand_ok(cmd, argc, argv, argvlen))) {
        if (cl->pending) return CONN_PAUSE;
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
        if (s->in_multi) s->multi_dirty = true;
        return CONN_CONTINUE;
    }
    if (s->in_multi && !server_cmd_runs_in_multi(cmd)) {
        if (cl->pending) return CONN_PAUSE;
        session_queue(s, argc, argv, argvlen);
        reply_simple(r, "QUEUED");
        return CONN_CONTINUE;
    }
    if (server_cmd_is_exec(cmd)) {
        if (cl->pending) return CONN_PAUSE;
        return exec_transaction(n, cl, r);
    }
    if (cmd->flags & CMD_WRITE) {
        propose_cmd(n, cl, argc, argv, argvlen);
        return CONN_CONTINUE;
    }
    if (cl->pending) return CONN_PAUSE;
    node_exec_local(n, cl, cmd, argc, argv, argvlen);
    if (conn->out.proto != s->proto) conn->out.proto = s->proto;
    conn->parser.unauthenticated = !s->authed;
    return s->close_asap ? CONN_CLOSE : CONN_CONTINUE;
}

const conn_handler_t node_conn_handler = {
    .on_open = on_open,
    .on_command = on_command,
    .on_close = on_close,
};
