/* SLOWLOG (see slowlog.h): a ring of the newest entries. An entry keeps
 * copies of at most 32 arguments of at most 128 bytes, as Redis's does, so
 * a slow command with a huge argument costs little to remember. */
#include "node/slowlog.h"
#include "node/introspect.h"
#include "node/node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#define MAX_ARGC 32    /* SLOWLOG_ENTRY_MAX_ARGC */
#define MAX_STRING 128 /* SLOWLOG_ENTRY_MAX_STRING */

typedef struct slow_entry {
    long long id;
    long long time;     /* unix seconds */
    long long duration; /* microseconds */
    int argc;
    char **argv;
    size_t *argvlen;
    char addr[64];
    char name[128];
} slow_entry_t;

typedef struct slowlog {
    slow_entry_t *e; /* ring of cap entries (cap grows up to the limit); the newest at head - 1 */
    size_t cap, len, head;
    long long next_id;
} slowlog_t;

int slowlog_enabled(const node_t *n)
{
    return n->cfg->slowlog_log_slower_than >= 0;
}

static void entry_free(slow_entry_t *e)
{
    for (int i = 0; i < e->argc; i++) free(e->argv[i]);
    free(e->argv);
    free(e->argvlen);
    memset(e, 0, sizeof(*e));
}

static char *dup_bytes(const char *p, size_t len)
{
    char *s = malloc(len + 1);
    memcpy(s, p, len);
    s[len] = '\0';
    return s;
}

/* Redis's slowlogCreateEntry: past 32 arguments the last kept one says how
 * many more there were; past 128 bytes an argument says how many more. */
static void entry_fill(slow_entry_t *e, int argc, const char *const *argv, const size_t *argvlen)
{
    int keep = argc > MAX_ARGC ? MAX_ARGC : argc;
    e->argc = keep;
    e->argv = calloc((size_t)keep, sizeof(*e->argv));
    e->argvlen = calloc((size_t)keep, sizeof(*e->argvlen));
    for (int j = 0; j < keep; j++) {
        char buf[MAX_STRING + 64];
        if (keep != argc && j == keep - 1) {
            int n = snprintf(buf, sizeof(buf), "... (%d more arguments)", argc - keep + 1);
            e->argv[j] = dup_bytes(buf, (size_t)n);
            e->argvlen[j] = (size_t)n;
        } else if (argvlen[j] > MAX_STRING) {
            memcpy(buf, argv[j], MAX_STRING);
            int n = snprintf(buf + MAX_STRING, sizeof(buf) - MAX_STRING, "... (%zu more bytes)", argvlen[j] - MAX_STRING);
            e->argv[j] = dup_bytes(buf, MAX_STRING + (size_t)n);
            e->argvlen[j] = MAX_STRING + (size_t)n;
        } else {
            e->argv[j] = dup_bytes(argv[j], argvlen[j]);
            e->argvlen[j] = argvlen[j];
        }
    }
}

static slowlog_t *log_of(node_t *n)
{
    if (!n->slowlog) n->slowlog = calloc(1, sizeof(slowlog_t));
    return n->slowlog;
}

/* Which arguments are passwords, shown "(redacted)" as Redis shows them:
 * all of AUTH's, and HELLO's after AUTH (user and password). */
static bool redacted(const command_t *cmd, int argc, const char *const *argv, const size_t *argvlen, int j)
{
    if (j == 0) return false;
    if (strcmp(cmd->name, "auth") == 0) return true;
    if (strcmp(cmd->name, "hello") != 0) return false;
    for (int a = 1; a < j && a < argc; a++)
        if (argvlen[a] == 4 && strncasecmp(argv[a], "auth", 4) == 0 && j - a <= 2) return true;
    return false;
}

void slowlog_check(node_t *n, const command_t *cmd, int argc, const char *const *argv, const size_t *argvlen,
                   const session_t *s, uint64_t us)
{
    long long min = n->cfg->slowlog_log_slower_than;
    size_t max = (size_t)n->cfg->slowlog_max_len;
    /* internal commands (the expiry's deletions) are the node's, not a client's: Redis never logs expiry */
    if (min < 0 || (long long)us < min || max == 0 || (cmd->group && strcmp(cmd->group, "internal") == 0)) return;
    slowlog_t *l = log_of(n);
    if (l->len == l->cap && l->cap < max) { /* grown as entries come, up to max */
        size_t cap = l->cap ? l->cap * 2 : 16;
        if (cap > max) cap = max;
        l->e = realloc(l->e, cap * sizeof(*l->e));
        memset(l->e + l->cap, 0, (cap - l->cap) * sizeof(*l->e));
        l->head = l->len; /* nothing was overwritten yet: the entries are [0, len) */
        l->cap = cap;
    }
    slow_entry_t *e = &l->e[l->head];
    entry_free(e);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    e->id = l->next_id++;
    e->time = (long long)tv.tv_sec;
    e->duration = (long long)us;
    const char *shown[MAX_ARGC];
    size_t shownlen[MAX_ARGC];
    int keep = argc > MAX_ARGC ? MAX_ARGC : argc;
    for (int j = 0; j < keep; j++) {
        bool r = redacted(cmd, argc, argv, argvlen, j);
        shown[j] = r ? "(redacted)" : argv[j];
        shownlen[j] = r ? 10 : argvlen[j];
    }
    entry_fill(e, argc, shown, shownlen);
    snprintf(e->addr, sizeof(e->addr), "%s", s ? s->addr : "");
    snprintf(e->name, sizeof(e->name), "%s", s ? s->name : "");
    l->head = (l->head + 1) % l->cap;
    if (l->len < l->cap) l->len++;
}

/* CONFIG SET slowlog-max-len: the newest entries that fit are kept, oldest
 * first at the start of an array just their size (the ring then grows from
 * there as entries come, up to the new limit). */
void slowlog_limit_changed(node_t *n)
{
    slowlog_t *l = n->slowlog;
    if (!l || !l->cap) return;
    size_t max = (size_t)n->cfg->slowlog_max_len, keep = l->len < max ? l->len : max;
    slow_entry_t *e = calloc(keep ? keep : 1, sizeof(*e));
    for (size_t i = 0; i < l->len; i++) { /* i = 0: the newest */
        slow_entry_t *old = &l->e[(l->head + l->cap - 1 - i) % l->cap];
        if (i < keep)
            e[keep - 1 - i] = *old; /* moved: the strings go with it */
        else
            entry_free(old);
    }
    free(l->e);
    l->e = e;
    l->cap = l->len = keep;
    l->head = 0;
}

static void reset(slowlog_t *l)
{
    for (size_t i = 0; l && i < l->cap; i++) entry_free(&l->e[i]);
    if (l) l->len = l->head = 0;
}

void slowlog_free(node_t *n)
{
    slowlog_t *l = n->slowlog;
    if (!l) return;
    reset(l);
    free(l->e);
    free(l);
    n->slowlog = NULL;
}

/* SLOWLOG GET [count]: newest first; count -1 is all of them. */
static void slowlogGetCommand(cmd_ctx_t *c)
{
    long long count = 10;
    if (c->argc > 3) {
        reply_errorf(c->reply, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try SLOWLOG HELP.",
                     (int)(c->argvlen[1] < 128 ? c->argvlen[1] : 128), c->argv[1]);
        return;
    }
    if (c->argc == 3 && (cmd_parse_ll(c->argv[2], c->argvlen[2], &count) < 0 || count < -1)) {
        reply_error(c->reply, "ERR count should be greater than or equal to -1");
        return;
    }
    slowlog_t *l = node_of(c)->slowlog;
    size_t have = l ? l->len : 0;
    size_t n = count == -1 || (unsigned long long)count > have ? have : (size_t)count;
    reply_array(c->reply, (long long)n);
    for (size_t i = 0; i < n; i++) {
        const slow_entry_t *e = &l->e[(l->head + l->cap - 1 - i) % l->cap];
        reply_array(c->reply, 6);
        reply_int(c->reply, e->id);
        reply_int(c->reply, e->time);
        reply_int(c->reply, e->duration);
        reply_array(c->reply, e->argc);
        for (int j = 0; j < e->argc; j++) reply_bulk(c->reply, e->argv[j], e->argvlen[j]);
        reply_bulk_cstr(c->reply, e->addr);
        reply_bulk_cstr(c->reply, e->name);
    }
}

static void slowlogLenCommand(cmd_ctx_t *c)
{
    slowlog_t *l = node_of(c)->slowlog;
    reply_int(c->reply, l ? (long long)l->len : 0);
}

static void slowlogResetCommand(cmd_ctx_t *c)
{
    if (c->sess) reset(node_of(c)->slowlog); /* not the followers' logs, from an entry they apply */
    reply_ok(c->reply);
}

static void slowlogHelpCommand(cmd_ctx_t *c)
{
    static const char *const lines[] = {
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        NULL,
    };
    reply_help(c, lines);
}

static const command_t slowlog_subcommands[] = {
    {"get", slowlogGetCommand, -2, ADMINSUB, 0, 0, 0, "server", "Get the slow log's entries", "2.2.12",
     "O(N) where N is the number of entries returned", "admin slow dangerous", NULL, NULL},
    {"help", slowlogHelpCommand, 2, CMD_LOADING | CMD_STALE, 0, 0, 0, "server",
     "Show helpful text about the different subcommands", "6.2.0", "O(1)", "slow", NULL, NULL},
    {"len", slowlogLenCommand, 2, ADMINSUB, 0, 0, 0, "server", "Get the slow log's length", "2.2.12", "O(1)",
     "admin slow dangerous", NULL, NULL},
    {"reset", slowlogResetCommand, 2, ADMINSUB, 0, 0, 0, "server", "Clear all entries from the slow log",
     "2.2.12", "O(N) where N is the number of entries in the slowlog", "admin slow dangerous", NULL, NULL},
    {NULL},
};

static void slowlogCommand(cmd_ctx_t *c);

static const command_t slowlog_commands[] = {
    {"slowlog", slowlogCommand, -2, 0, 0, 0, 0, "server", "A container for slow log commands", "2.2.12",
     "Depends on subcommand.", "slow", slowlog_subcommands, NULL},
};

static void slowlogCommand(cmd_ctx_t *c)
{
    run_subcommand(c, &slowlog_commands[0]);
}

void slowlog_register(void)
{
    cmd_table_add(slowlog_commands, sizeof(slowlog_commands) / sizeof(slowlog_commands[0]));
}
