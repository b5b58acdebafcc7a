/* CLIENT and its subcommands: what a connection knows about itself and others. */
#include "node/introspect.h"
#include "node/server_cmds.h"
#include "util/glob.h"

#include <ctype.h>
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* ---- CLIENT --------------------------------------------------------------- */

/* The client behind a connection, or NULL while it is being closed. */
static client_t *conn_client(conn_t *cn)
{
    return cn->closing ? NULL : cn->udata;
}

static conn_t *oldest_conn(node_t *n)
{
    conn_t *cn = n->srv.clients;
    while (cn && cn->next) cn = cn->next;
    return cn;
}

/* The client_t whose session this is (the caller), NULL if not connected. */
static client_t *self_client(node_t *n, session_t *s)
{
    for (conn_t *cn = n->srv.clients; cn && s; cn = cn->next) {
        client_t *cl = conn_client(cn);
        if (cl && &cl->sess == s) return cl;
    }
    return NULL;
}

static bool subscribed(const session_t *s)
{
    return s->nsub || s->npsub || s->nssub;
}

static int session_type(const session_t *s)
{
    return subscribed(s) ? 2 : 1;
}

/* One CLIENT LIST line in Redis 7.0's field order, lib-name/lib-ver last as
 * 7.2 writes them. Buffers are described from the connection's own. */
static void client_line(sbuf_t *b, node_t *n, const session_t *s, const conn_t *cn)
{
    int64_t now = node_wall_ms();
    long long age = s->created_ms ? (long long)((now - s->created_ms) / 1000) : 0;
    long long idle = s->last_cmd_ms ? (long long)(((int64_t)uv_now(n->loop) - s->last_cmd_ms) / 1000) : age;
    char flags[8];
    int f = 0;
    if (subscribed(s)) flags[f++] = 'P';
    if (s->in_multi) flags[f++] = 'x';
    if (s->close_asap || (cn && cn->close_after_flush)) flags[f++] = 'A';
    if (f == 0) flags[f++] = 'N';
    flags[f] = '\0';
    size_t multimem = 0;
    for (int i = 0; i < s->nqueued; i++)
        for (int j = 0; j < s->queue[i].argc; j++) multimem += s->queue[i].argvlen[j];
    size_t qbuf = cn ? cn->qlen - cn->qpos : 0, qfree = cn ? cn->qcap - cn->qlen : 0;
    size_t rbs = cn ? cn->out.cap : 0, obl = cn ? cn->out.len : 0, omem = cn ? cn->inflight.len : 0;
    size_t tot = multimem + (cn ? cn->qcap + cn->out.cap + cn->inflight.cap + sizeof(*cn) : 0) + sizeof(client_t);
    const char *events = !cn ? "" : cn->reading ? ((cn->writing || cn->dirty) ? "rw" : "r")
                                                : ((cn->writing || cn->dirty) ? "w" : "");
    sb_printf(b,
              "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=0 sub=%d psub=%d ssub=%d "
              "multi=%d qbuf=%zu qbuf-free=%zu argv-mem=0 multi-mem=%zu rbs=%zu rbp=%zu obl=%zu oll=0 omem=%zu "
              "tot-mem=%zu events=%s cmd=%s user=default redir=-1 resp=%d lib-name=%s lib-ver=%s\n",
              (unsigned long long)s->id, s->addr, s->laddr, s->fd, s->name, age, idle, flags, s->nsub, s->npsub, s->nssub,
              s->in_multi ? s->nqueued : -1, qbuf, qfree, multimem, rbs, obl, obl, omem, tot, events,
              s->last_cmd ? s->last_cmd : "NULL", s->proto, s->lib_name, s->lib_ver);
}

static void clientIdCommand(cmd_ctx_t *c)
{
    reply_int(c->reply, c->sess ? (long long)c->sess->id : 0);
}

static void clientGetnameCommand(cmd_ctx_t *c)
{
    if (c->sess && c->sess->name[0])
        reply_bulk_cstr(c->reply, c->sess->name);
    else
        reply_null(c->reply);
}

/* Names and lib attributes end up space-separated in CLIENT LIST: Redis
 * accepts printable ASCII without spaces only. */
static bool attr_ok(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] < '!' || p[i] > '~') return false;
    return true;
}

static void clientSetnameCommand(cmd_ctx_t *c)
{
    const char *p = c->argv[2];
    size_t len = c->argvlen[2];
    if (!attr_ok(p, len)) {
        reply_error(c->reply, "ERR Client names cannot contain spaces, newlines or special characters.");
        return;
    }
    if (c->sess && len >= sizeof(c->sess->name)) {
        reply_errorf(c->reply, "ERR Client names longer than %zu bytes are not supported", sizeof(c->sess->name) - 1);
        return;
    }
    if (c->sess) snprintf(c->sess->name, sizeof(c->sess->name), "%.*s", (int)len, p);
    reply_ok(c->reply);
}

/* CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2). */
static void clientSetinfoCommand(cmd_ctx_t *c)
{
    bool is_name = cmd_arg_is(c, 2, "lib-name");
    if (!is_name && !cmd_arg_is(c, 2, "lib-ver")) {
        reply_errorf(c->reply, "ERR Unrecognized option '%.*s'", (int)c->argvlen[2], c->argv[2]);
        return;
    }
    if (!attr_ok(c->argv[3], c->argvlen[3])) {
        reply_errorf(c->reply, "ERR %.*s cannot contain spaces, newlines or special characters.", (int)c->argvlen[2],
                     c->argv[2]);
        return;
    }
    if (!c->sess) {
        reply_ok(c->reply);
        return;
    }
    char *dest = is_name ? c->sess->lib_name : c->sess->lib_ver;
    size_t destlen = is_name ? sizeof(c->sess->lib_name) : sizeof(c->sess->lib_ver);
    if (c->argvlen[3] >= destlen) {
        reply_errorf(c->reply, "ERR %.*s longer than %zu bytes is not supported", (int)c->argvlen[2], c->argv[2],
                     destlen - 1);
        return;
    }
    snprintf(dest, destlen, "%.*s", (int)c->argvlen[3], c->argv[3]);
    reply_ok(c->reply);
}

/* Client types: a client subscribed to anything is "pubsub", every other
 * one "normal"; master, slave and replica are valid names that match
 * nobody. Returns 1 normal, 2 pubsub, 0 another valid type, -1 unknown. */
static int client_type(const char *p, size_t len)
{
    if (len == 6 && strncasecmp(p, "normal", 6) == 0) return 1;
    if (len == 6 && strncasecmp(p, "pubsub", 6) == 0) return 2;
    static const char *const others[] = {"master", "slave", "replica"};
    for (size_t i = 0; i < 3; i++)
        if (strlen(others[i]) == len && strncasecmp(p, others[i], len) == 0) return 0;
    return -1;
}

static void clientListCommand(cmd_ctx_t *c)
{
    node_t *n = node_of(c);
    sbuf_t b = {0};
    sb_printf(&b, "%s", ""); /* allocates: b.p is never NULL below */
    if (c->argc == 4 && cmd_arg_is(c, 2, "type")) {
        int t = client_type(c->argv[3], c->argvlen[3]);
        if (t < 0) {
            reply_errorf(c->reply, "ERR Unknown client type '%.*s'", (int)c->argvlen[3], c->argv[3]);
            free(b.p);
            return;
        }
        for (conn_t *cn = oldest_conn(n); cn && t > 0; cn = cn->prev)
            if (conn_client(cn) && session_type(&conn_client(cn)->sess) == t)
                client_line(&b, n, &conn_client(cn)->sess, cn);
    } else if (c->argc > 3 && cmd_arg_is(c, 2, "id")) {
        for (int i = 3; i < c->argc; i++) {
            long long id;
            if (cmd_parse_ll(c->argv[i], c->argvlen[i], &id) < 0) {
                reply_error(c->reply, "ERR Invalid client ID");
                free(b.p);
                return;
            }
            for (conn_t *cn = n->srv.clients; cn; cn = cn->next)
                if (conn_client(cn) && conn_client(cn)->sess.id == (uint64_t)id)
                    client_line(&b, n, &conn_client(cn)->sess, cn);
        }
    } else if (c->argc != 2) {
        reply_error(c->reply, ERR_SYNTAX);
        free(b.p);
        return;
    } else {
        for (conn_t *cn = oldest_conn(n); cn; cn = cn->prev)
            if (conn_client(cn)) client_line(&b, n, &conn_client(cn)->sess, cn);
    }
    reply_verbatim(c->reply, b.p, b.len, "txt");
    free(b.p);
}

static void clientInfoCommand(cmd_ctx_t *c)
{
    sbuf_t b = {0};
    sb_printf(&b, "%s", ""); /* allocates: b.p is never NULL below */
    if (c->sess) {
        client_t *cl = self_client(node_of(c), c->sess);
        client_line(&b, node_of(c), c->sess, cl ? cl->conn : NULL);
    }
    reply_verbatim(c->reply, b.p, b.len, "txt");
    free(b.p);
}

/* CLIENT KILL addr (old form, may kill the caller) or CLIENT KILL <filter
 * value> ... (replies the count; skips the caller unless SKIPME no). The
 * caller itself closes after this reply; others flush and close. */
static void clientKillCommand(cmd_ctx_t *c)
{
    node_t *n = node_of(c);
    const char *addr = NULL, *laddr = NULL;
    size_t addrlen = 0, laddrlen = 0;
    long long id = 0;
    int type = -2; /* any */
    bool skipme = true, oldform = c->argc == 3;
    if (oldform) {
        addr = c->argv[2];
        addrlen = c->argvlen[2];
        skipme = false;
    } else {
        for (int i = 2; i < c->argc; i += 2) {
            bool more = i + 1 < c->argc;
            if (cmd_arg_is(c, i, "id") && more) {
                if (cmd_parse_ll(c->argv[i + 1], c->argvlen[i + 1], &id) < 0 || id < 1) {
                    reply_error(c->reply, "ERR client-id should be greater than 0");
                    return;
                }
            } else if (cmd_arg_is(c, i, "type") && more) {
                type = client_type(c->argv[i + 1], c->argvlen[i + 1]);
                if (type < 0) {
                    reply_errorf(c->reply, "ERR Unknown client type '%.*s'", (int)c->argvlen[i + 1], c->argv[i + 1]);
                    return;
                }
            } else if (cmd_arg_is(c, i, "addr") && more) {
                addr = c->argv[i + 1];
                addrlen = c->argvlen[i + 1];
            } else if (cmd_arg_is(c, i, "laddr") && more) {
                laddr = c->argv[i + 1];
                laddrlen = c->argvlen[i + 1];
            } else if (cmd_arg_is(c, i, "user") && more) {
                if (c->argvlen[i + 1] != 7 || memcmp(c->argv[i + 1], "default", 7) != 0) { /* the only user */
                    reply_errorf(c->reply, "ERR No such user '%.*s'", (int)c->argvlen[i + 1], c->argv[i + 1]);
                    return;
                }
            } else if (cmd_arg_is(c, i, "skipme") && more) {
                if (cmd_arg_is(c, i + 1, "yes"))
                    skipme = true;
                else if (cmd_arg_is(c, i + 1, "no"))
                    skipme = false;
                else {
                    reply_error(c->reply, ERR_SYNTAX);
                    return;
                }
            } else {
                reply_error(c->reply, ERR_SYNTAX);
                return;
            }
        }
    }
    long long killed = 0;
    bool kill_self = false;
    conn_t *cn = c->sess ? oldest_conn(n) : NULL; /* nobody asked (an entry applied on a follower): no-op */
    while (cn) {
        conn_t *prev = cn->prev; /* closing may unlink cn */
        client_t *cl = conn_client(cn);
        session_t *s = cl ? &cl->sess : NULL;
        bool match = s && type != 0 && (type < 0 || session_type(s) == type) && (!addr || (strlen(s->addr) == addrlen && memcmp(s->addr, addr, addrlen) == 0)) &&
                     (!laddr || (strlen(s->laddr) == laddrlen && memcmp(s->laddr, laddr, laddrlen) == 0)) &&
                     (id == 0 || s->id == (uint64_t)id);
        if (match && s == c->sess && skipme) match = false;
        if (match) {
            killed++;
            if (s == c->sess)
                kill_self = true;
            else
                conn_close_after_flush(cn);
        }
        cn = prev;
    }
    if (oldform) {
        if (killed == 0)
            reply_error(c->reply, "ERR No such client");
        else
            reply_ok(c->reply);
    } else {
        reply_int(c->reply, killed);
    }
    if (kill_self) c->sess->close_asap = true;
}

/* NO-EVICT and NO-TOUCH: nothing is evicted and there is no LRU; accepted. */
static void clientOnOffCommand(cmd_ctx_t *c)
{
    if (cmd_arg_is(c, 2, "on") || cmd_arg_is(c, 2, "off"))
        reply_ok(c->reply);
    else
        reply_error(c->reply, ERR_SYNTAX);
}

static void clientReplyCommand(cmd_ctx_t *c)
{
    if (cmd_arg_is(c, 2, "on"))
        reply_ok(c->reply);
    else if (cmd_arg_is(c, 2, "off") || cmd_arg_is(c, 2, "skip"))
        reply_error(c->reply, "ERR CLIENT REPLY OFF|SKIP is not supported by redraft");
    else
        reply_error(c->reply, ERR_SYNTAX);
}

static void clientHelpCommand(cmd_ctx_t *c)
{
    static const char *const lines[] = {
        "GETNAME", "    Return the name of the current connection.",
        "ID", "    Return the ID of the current connection.",
        "INFO", "    Return information about the current client connection.",
        "KILL <ip:port>", "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]", "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)", "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)", "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Kill connections by type.",
        "    * USER <username>", "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)", "      Skip killing current connection (default: yes).",
        "    * ID <client-id>", "      Kill connections by client id.",
        "LIST [options ...]", "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Return clients of specified type.",
        "    * ID <client-id> [<client-id> ...]", "      Return clients with the given ids.",
        "REPLY ON", "    Control the replies sent to the current connection (OFF and SKIP are not supported).",
        "SETNAME <name>", "    Assign the name <name> to the current connection.",
        "SETINFO <option> <value>", "    Set client meta attr. Options are:",
        "    * LIB-NAME: the client lib name.", "    * LIB-VER: the client lib version.",
        "NO-EVICT (ON|OFF)", "    Protect current client connection from eviction.",
        "NO-TOUCH (ON|OFF)", "    Will not touch LRU/LFU stats when this mode is on.",
        NULL};
    reply_help(c, lines);
}


static const command_t client_subcommands[] = {
    {"id", clientIdCommand, 2, SUBFLAGS, 0, 0, 0, "connection", "Returns the client ID for the current connection",
     "5.0.0", "O(1)", "slow connection", NULL, NULL},
    {"getname", clientGetnameCommand, 2, SUBFLAGS, 0, 0, 0, "connection", "Get the current connection name", "2.6.9",
     "O(1)", "slow connection", NULL, NULL},
    {"setname", clientSetnameCommand, 3, SUBFLAGS, 0, 0, 0, "connection", "Set the current connection name", "2.6.9",
     "O(1)", "slow connection", NULL, NULL},
    {"setinfo", clientSetinfoCommand, 4, SUBFLAGS, 0, 0, 0, "connection", "Set client or connection specific info",
     "7.2.0", "O(1)", "slow connection", NULL, NULL},
    {"list", clientListCommand, -2, ADMINSUB, 0, 0, 0, "connection", "Get the list of client connections", "2.4.0",
     "O(N) where N is the number of client connections", "admin slow dangerous connection", NULL,
     NULL},
    {"info", clientInfoCommand, 2, SUBFLAGS, 0, 0, 0, "connection",
     "Returns information about the current client connection.", "6.2.0", "O(1)", "slow connection", NULL,
     NULL},
    {"kill", clientKillCommand, -3, ADMINSUB, 0, 0, 0, "connection", "Kill the connection of a client", "2.4.0",
     "O(N) where N is the number of client connections", "admin slow dangerous connection", NULL,
     NULL},
    {"no-evict", clientOnOffCommand, 3, ADMINSUB, 0, 0, 0, "connection",
     "Set client eviction mode for the current connection", "7.0.0", "O(1)", "admin slow dangerous connection", NULL,
     NULL},
    {"no-touch", clientOnOffCommand, 3, SUBFLAGS, 0, 0, 0, "connection",
     "Controls whether commands sent by the client will alter the LRU/LFU of the keys they access.", "7.2.0", "O(1)",
     "slow connection", NULL, NULL},
    {"reply", clientReplyCommand, 3, SUBFLAGS, 0, 0, 0, "connection",
     "Instruct the server whether to reply to commands", "3.2.0", "O(1)", "slow connection", NULL,
     NULL},
    {"help", clientHelpCommand, 2, CMD_CONN | CMD_LOADING | CMD_STALE, 0, 0, 0, "connection",
     "Show helpful text about the different subcommands", "5.0.0", "O(1)", "slow connection", NULL,
     NULL},
    {NULL},
};


static void clientCommand(cmd_ctx_t *c)
{
    run_subcommand(c, &client_commands[0]);
}

const command_t client_commands[] = {
    {"client", clientCommand, -2, CMD_CONN | CMD_LOADING | CMD_STALE, 0, 0, 0, "connection",
     "A container for client connection commands", "2.4.0", "Depends on subcommand.", "slow", client_subcommands,
     NULL},
};
const size_t client_ncommands = sizeof(client_commands) / sizeof(client_commands[0]);
