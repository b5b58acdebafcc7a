/* PING ECHO QUIT HELLO AUTH SELECT TIME MULTI EXEC DISCARD RESET SHUTDOWN
 * BGSAVE LASTSAVE. */
#include "node/server_cmds.h"
#include "node/cluster_cmds.h"
#include "node/node.h"
#include "node/pubsub.h"
#include "node/slowlog.h"
#include "node/wait_cmd.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "util/log.h"
#include "util/version.h"

/* A RESP2 subscriber gets ["pong", arg] (a message-shaped reply its
 * message loop can read), as in Redis. */
static void pingCommand(cmd_ctx_t *c)
{
    if (c->argc > 2) {
        reply_wrong_arity(c->reply, "ping");
        return;
    }
    const session_t *s = c->sess;
    if (s && s->proto == 2 && (s->nsub || s->npsub || s->nssub)) {
        reply_array(c->reply, 2);
        reply_bulk(c->reply, "pong", 4);
        reply_bulk(c->reply, c->argc == 2 ? c->argv[1] : "", c->argc == 2 ? c->argvlen[1] : 0);
        return;
    }
    if (c->argc == 2)
        reply_bulk(c->reply, c->argv[1], c->argvlen[1]);
    else
        reply_simple(c->reply, "PONG");
}

static void echoCommand(cmd_ctx_t *c)
{
    reply_bulk(c->reply, c->argv[1], c->argvlen[1]);
}

static void quitCommand(cmd_ctx_t *c)
{
    reply_ok(c->reply);
    if (c->sess) c->sess->close_asap = true;
}

/* Constant-time comparison so AUTH does not leak the password's prefix
 * through timing. */
static bool password_ok(const char *want, const char *got, size_t gotlen)
{
    size_t wlen = strlen(want);
    unsigned diff = (unsigned)(wlen != gotlen);
    for (size_t i = 0; i < gotlen; i++) diff |= (unsigned char)got[i] ^ (unsigned char)want[i < wlen ? i : 0];
    return diff == 0;
}

static node_t *node_of(cmd_ctx_t *c)
{
    return c->server;
}

/* AUTH [username] password: only the "default" user exists, as in Redis
 * without ACL files. */
static int check_auth(cmd_ctx_t *c, int ui, int pi)
{
    node_t *n = node_of(c);
    const char *pass = n->cfg->requirepass;
    if (pass[0] == '\0') {
        if (ui < 0) {
            reply_error(c->reply, "ERR AUTH <password> called without any password configured for the default "
                                  "user. Are you sure your configuration is correct?");
            return -1;
        }
    }
    bool user_ok = ui < 0 || (c->argvlen[ui] == 7 && strncmp(c->argv[ui], "default", 7) == 0);
    bool ok = user_ok && (pass[0] == '\0' ? true : password_ok(pass, c->argv[pi], c->argvlen[pi]));
    if (!ok) {
        reply_error(c->reply, "WRONGPASS invalid username-password pair or user is disabled.");
        return -1;
    }
    if (c->sess) c->sess->authed = true;
    return 0;
}

static void authCommand(cmd_ctx_t *c)
{
    if (c->argc > 3) {
        reply_error(c->reply, ERR_SYNTAX);
        return;
    }
    if (check_auth(c, c->argc == 3 ? 1 : -1, c->argc == 3 ? 2 : 1) == 0) reply_ok(c->reply);
}

/* HELLO [protover [AUTH user pass] [SETNAME name]]: switches RESP version
 * and answers with the server's description, as Redis 7 does. */
static void helloCommand(cmd_ctx_t *c)
{
    node_t *n = node_of(c);
    long long ver = 0;
    int i = 1;
    if (c->argc >= 2) {
        if (cmd_parse_ll(c->argv[1], c->argvlen[1], &ver) < 0) {
            reply_error(c->reply, "ERR Protocol version is not an integer or out of range");
            return;
        }
        i = 2;
        if (ver < 2 || ver > 3) {
            reply_error(c->reply, "NOPROTO unsupported protocol version");
            return;
        }
    }
    const char *setname = NULL;
    size_t setnamelen = 0;
    for (; i < c->argc; i++) {
        int more = c->argc - i - 1;
        if (cmd_arg_is(c, i, "auth") && more >= 2) {
            if (check_auth(c, i + 1, i + 2) < 0) return;
            i += 2;
        } else if (cmd_arg_is(c, i, "setname") && more >= 1) {
            setname = c->argv[i + 1];
            setnamelen = c->argvlen[i + 1];
            i++;
        } else {
            reply_errorf(c->reply, "ERR Syntax error in HELLO option '%.*s'", (int)c->argvlen[i], c->argv[i]);
            return;
        }
    }
    if (c->sess && !c->sess->authed) {
        reply_error(c->reply, "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                              "HELLO AUTH <user> <pass> option can be used to authenticate the client and "
                              "select the RESP protocol version at the same time");
        return;
    }
    if (setname) {
        for (size_t k = 0; k < setnamelen; k++)
            if (setname[k] < '!' || setname[k] > '~') {
                reply_error(c->reply, "ERR Client names cannot contain spaces, newlines or special characters.");
                return;
            }
        if (c->sess) snprintf(c->sess->name, sizeof(c->sess->name), "%.*s", (int)setnamelen, setname);
    }
    if (ver && c->sess) c->sess->proto = (int)ver;
    if (ver) c->reply->proto = (int)ver;
    reply_map(c->reply, 7);
    reply_bulk_cstr(c->reply, "server");
    reply_bulk_cstr(c->reply, "redis");
    reply_bulk_cstr(c->reply, "version");
    reply_bulk_cstr(c->reply, "7.0.15");
    reply_bulk_cstr(c->reply, "proto");
    reply_int(c->reply, c->reply->proto);
    reply_bulk_cstr(c->reply, "id");
    reply_int(c->reply, c->sess ? (long long)c->sess->id : 0);
    reply_bulk_cstr(c->reply, "mode");
    reply_bulk_cstr(c->reply, n->cfg->enabled ? "cluster" : "standalone");
    reply_bulk_cstr(c->reply, "role");
    reply_bulk_cstr(c->reply, "master");
    reply_bulk_cstr(c->reply, "modules");
    reply_array(c->reply, 0);
}

static void selectCommand(cmd_ctx_t *c)
{
    long long db;
    if (cmd_parse_ll(c->argv[1], c->argvlen[1], &db) < 0) {
        reply_error(c->reply, "ERR value is not an integer or out of range");
        return;
    }
    if (db != 0) {
        reply_error(c->reply, "ERR DB index is out of range (redraft has a single database, 0)");
        return;
    }
    reply_ok(c->reply);
}

static void timeCommand(cmd_ctx_t *c)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    reply_array(c->reply, 2);
    reply_bulk_ll(c->reply, (long long)tv.tv_sec);
    reply_bulk_ll(c->reply, (long long)tv.tv_usec);
}

static void multiCommand(cmd_ctx_t *c)
{
    if (!c->sess) return;
    if (c->sess->in_multi) {
        reply_error(c->reply, "ERR MULTI calls can not be nested");
        return;
    }
    c->sess->in_multi = true;
    c->sess->multi_dirty = false;
    reply_ok(c->reply);
}

static void discardCommand(cmd_ctx_t *c)
{
    if (!c->sess) return;
    if (!c->sess->in_multi) {
        reply_error(c->reply, "ERR DISCARD without MULTI");
        return;
    }
    session_discard(c->sess);
    reply_ok(c->reply);
}

/* EXEC is run by the dispatcher (it may need to propose); this entry exists
 * for the table, COMMAND INFO and arity checks. */
static void execCommand(cmd_ctx_t *c)
{
    reply_error(c->reply, "ERR EXEC without MULTI");
}

/* RESET: the connection as it was when it opened, as Redis's
 * clearClientConnectionState: no transaction, watches or subscriptions,
 * RESP2, no name, not READONLY, authenticated only if no password is set.
 * A proxied session to the leader (with its watches) is closed: the next
 * write opens a fresh one. */
static void resetCommand(cmd_ctx_t *c)
{
    session_t *s = c->sess;
    if (!s) return;
    node_t *n = node_of(c);
    client_t *cl = (client_t *)(void *)((char *)s - offsetof(client_t, sess));
    session_discard(s);
    s->watch_remote = NULL;
    proxy_close(cl);
    pubsub_client_reset(n, cl);
    s->proto = 2;
    c->reply->proto = 2;
    s->name[0] = '\0';
    s->readonly = false;
    s->authed = n->cfg->requirepass[0] == '\0';
    reply_simple(c->reply, "RESET");
}

static bool arg_is(cmd_ctx_t *c, int i, const char *word)
{
    return c->argvlen[i] == strlen(word) && strncasecmp(c->argv[i], word, c->argvlen[i]) == 0;
}

/* BGSAVE [SCHEDULE]: a snapshot of this node's state machine now, in the
 * background, and the log compacted behind it, as RAFT.SNAPSHOT (Redis's
 * answers; SCHEDULE, which waits for an AOF rewrite in Redis, is the
 * same). The snapshot is what a restart or a lagging follower starts from,
 * not an RDB file. */
static void bgsaveCommand(cmd_ctx_t *c)
{
    node_t *n = node_of(c);
    if (c->argc > 2 || (c->argc == 2 && !arg_is(c, 1, "schedule"))) {
        reply_error(c->reply, "ERR syntax error");
        return;
    }
    if (!c->sess) { /* inside an entry applied on a follower: each node snapshots on its own */
        reply_simple(c->reply, "Background saving started");
        return;
    }
    if (n->snap.making) {
        reply_error(c->reply, "ERR Background save already in progress");
        return;
    }
    node_snapshot_request(n);
    reply_simple(c->reply, "Background saving started");
}

/* LASTSAVE: when the latest snapshot was made (the start, without one). */
static void lastsaveCommand(cmd_ctx_t *c)
{
    node_t *n = node_of(c);
    reply_int(c->reply, n->snap.made ? (long long)(n->snap.last_time_ms / 1000) : (long long)(n->start_ms / 1000));
}

/* SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: stops this node as SIGTERM
 * does (the log write in flight completes first). There is nothing to save
 * (every acknowledged write is in the log) and nothing to wait for, so SAVE,
 * NOSAVE, NOW and FORCE change nothing, and no shutdown is ever in progress
 * for ABORT. Redis's argument checks and errors; a shutdown that goes ahead
 * answers nothing: the connection closes with the others. */
static void shutdownCommand(cmd_ctx_t *c)
{
    bool save = false, nosave = false, modifier = false, cancel = false;
    for (int i = 1; i < c->argc; i++) {
        if (arg_is(c, i, "nosave"))
            nosave = true;
        else if (arg_is(c, i, "save"))
            save = true;
        else if (arg_is(c, i, "now") || arg_is(c, i, "force"))
            modifier = true;
        else if (arg_is(c, i, "abort"))
            cancel = true;
        else {
            reply_error(c->reply, "ERR syntax error");
            return;
        }
    }
    if ((cancel && (save || nosave || modifier)) || (save && nosave)) {
        reply_error(c->reply, "ERR syntax error");
        return;
    }
    if (cancel) {
        reply_error(c->reply, "ERR No shutdown in progress.");
        return;
    }
    log_info("shutdown", " reason=command client=%s", c->sess ? c->sess->addr : "-");
    node_stop_soon(node_of(c));
}

static const command_t server_commands[] = {
    {"ping", pingCommand, -1, CMD_FAST | CMD_CONN | CMD_STALE, 0, 0, 0, "connection",
     "Returns the server's liveliness response.", "1.0.0", "O(1)", "fast connection", NULL, NULL},
    {"echo", echoCommand, 2, CMD_FAST | CMD_CONN, 0, 0, 0, "connection", "Returns the given string.", "1.0.0",
     "O(1)", "fast connection", NULL, NULL},
    {"quit", quitCommand, -1, CMD_CONN | CMD_NOAUTH | CMD_STALE | CMD_FAST, 0, 0, 0, "connection",
     "Closes the connection.", "1.0.0", "O(1)", "fast connection", NULL, NULL},
    {"auth", authCommand, -2, CMD_CONN | CMD_NOAUTH | CMD_STALE | CMD_FAST, 0, 0, 0, "connection",
     "Authenticates the connection.", "1.0.0", "O(N) where N is the number of passwords defined for the user",
     "fast connection", NULL, NULL},
    {"hello", helloCommand, -1, CMD_CONN | CMD_NOAUTH | CMD_STALE | CMD_FAST, 0, 0, 0, "connection",
     "Handshakes with the Redis server.", "6.0.0", "O(1)", "fast connection", NULL, NULL},
    {"select", selectCommand, 2, CMD_CONN | CMD_STALE | CMD_FAST, 0, 0, 0, "connection",
     "Changes the selected database.", "1.0.0", "O(1)", "fast connection", NULL, NULL},
    {"time", timeCommand, 1, CMD_CONN | CMD_STALE | CMD_FAST, 0, 0, 0, "server", "Returns the server time.",
     "2.6.0", "O(1)", "fast", NULL, NULL},
    {"multi", multiCommand, 1, CMD_CONN | CMD_STALE | CMD_FAST, 0, 0, 0, "transactions",
     "Starts a transaction.", "1.2.0", "O(1)", "fast transaction", NULL, NULL},
    {"exec", execCommand, 1, CMD_CONN | CMD_STALE, 0, 0, 0, "transactions",
     "Executes all commands in a transaction.", "1.2.0", "Depends on commands in the transaction",
     "slow transaction", NULL, NULL},
    {"discard", discardCommand, 1, CMD_CONN | CMD_STALE | CMD_FAST, 0, 0, 0, "transactions",
     "Discards a transaction.", "2.0.0", "O(N), when N is the number of queued commands", "fast transaction",
     NULL, NULL},
    {"bgsave", bgsaveCommand, -1, CMD_ADMIN | CMD_NOSCRIPT | CMD_NOASYNCLOADING, 0, 0, 0, "server",
     "Asynchronously save the dataset to disk", "1.0.0", "O(1)", "admin slow dangerous", NULL, NULL},
    {"lastsave", lastsaveCommand, 1, CMD_CONN | CMD_LOADING | CMD_STALE | CMD_FAST, 0, 0, 0, "server",
     "Get the UNIX time stamp of the last successful save to disk", "1.0.0", "O(1)", "admin fast dangerous", NULL,
     NULL},
    {"reset", resetCommand, 1, CMD_CONN | CMD_NOAUTH | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST, 0, 0, 0,
     "connection", "Reset the connection", "6.2.0", "O(1)", "fast connection", NULL, NULL},
    {"shutdown", shutdownCommand, -1, CMD_ADMIN | CMD_CONN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NOMULTI, 0,
     0, 0, "server", "Synchronously save the dataset to disk and then shut down the server", "1.0.0",
     "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
     "admin slow dangerous", NULL, NULL},
};

bool server_cmd_runs_in_multi(const command_t *cmd)
{
    return cmd->proc == execCommand || cmd->proc == discardCommand || cmd->proc == multiCommand ||
           cmd->proc == quitCommand || cmd->proc == resetCommand || strcmp(cmd->name, "watch") == 0;
}

bool server_cmd_is_exec(const command_t *cmd)
{
    return cmd->proc == execCommand;
}

bool server_cmd_is_watch(const command_t *cmd)
{
    return strcmp(cmd->name, "watch") == 0 || strcmp(cmd->name, "unwatch") == 0;
}

void node_register_commands(void)
{
    static bool done;
    if (done) return;
    done = true;
    cmd_table_add(server_commands, sizeof(server_commands) / sizeof(server_commands[0]));
    keywait_register_commands();
    wait_register();
    introspect_register();
    cluster_cmds_register();
    pubsub_register();
    slowlog_register();
}
