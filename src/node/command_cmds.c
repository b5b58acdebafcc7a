/* COMMAND and its subcommands: the command table as clients and redis-cli read it. */
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

/* ---- COMMAND ---------------------------------------------------------------- */

static bool cmd_hidden(const command_t *cmd)
{
    return cmd->group && strcmp(cmd->group, "internal") == 0;
}

/* Looks a name up as COMMAND INFO/DOCS do: "get" or "config|get". */
static const command_t *lookup_full(const char *name, size_t len, const command_t **parent)
{
    const char *bar = memchr(name, '|', len);
    const command_t *cmd = cmd_lookup(name, bar ? (size_t)(bar - name) : len);
    *parent = NULL;
    if (!cmd || cmd_hidden(cmd)) return NULL;
    if (!bar) return cmd;
    *parent = cmd;
    return find_sub(cmd->subcommands, bar + 1, len - (size_t)(bar - name) - 1);
}

/* Redis's ACL categories, in the order COMMAND INFO lists them. */
static const char *const acl_names[] = {
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog", "geo",
    "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection", "transaction", "scripting"};
enum { ACL_WRITE = 2, ACL_READ = 1, ACL_PUBSUB = 12, ACL_ADMIN = 13, ACL_FAST = 14, ACL_SLOW = 15,
       ACL_DANGEROUS = 17, ACL_NCATS = 21 };

static int acl_index(const char *p, size_t len)
{
    for (int i = 0; i < ACL_NCATS; i++)
        if (strlen(acl_names[i]) == len && strncasecmp(acl_names[i], p, len) == 0) return i;
    return -1;
}

/* The command's categories: its acl field plus those Redis derives from the
 * flags (setImplicitACLCategories), so COMMAND INFO stays consistent. */
static uint32_t acl_mask(const command_t *cmd)
{
    uint32_t m = 0;
    for (const char *p = cmd->acl ? cmd->acl : ""; *p;) {
        while (*p == ' ' || *p == '@') p++;
        size_t len = strcspn(p, " ");
        int i = len ? acl_index(p, len) : -1;
        if (i >= 0) m |= 1u << i;
        p += len;
    }
    if (cmd->flags & CMD_WRITE) m |= 1u << ACL_WRITE;
    if (cmd->flags & CMD_READONLY) m |= 1u << ACL_READ;
    if (cmd->flags & CMD_ADMIN) m |= (1u << ACL_ADMIN) | (1u << ACL_DANGEROUS);
    if (cmd->flags & CMD_PUBSUB) m |= 1u << ACL_PUBSUB;
    if (cmd->flags & CMD_FAST) m |= 1u << ACL_FAST;
    if (!(m & (1u << ACL_FAST))) m |= 1u << ACL_SLOW;
    return m;
}

static const struct {
    uint32_t flag;
    const char *name;
} flag_names[] = {
    /* Redis's order */
    {CMD_WRITE, "write"}, {CMD_READONLY, "readonly"}, {CMD_DENYOOM, "denyoom"}, {CMD_ADMIN, "admin"},
    {CMD_PUBSUB, "pubsub"}, {CMD_NOSCRIPT, "noscript"}, {CMD_BLOCKING, "blocking"}, {CMD_LOADING, "loading"},
    {CMD_STALE, "stale"}, {CMD_FAST, "fast"}, {CMD_NOAUTH, "no_auth"}, {CMD_NOASYNCLOADING, "no_async_loading"},
    {CMD_NOMULTI, "no_multi"},
    {CMD_MOVABLEKEYS, "movablekeys"}, /* may_replicate: hidden, as in Redis */
};

/* Redis 7.0.15's command tips (COMMAND INFO's eighth field), by full name,
 * sorted. Cluster-aware clients read request_policy and response_policy to
 * route keyless and multi-key commands; with one shard every policy lands on
 * the leader, so the tips are Redis's as they are. Kept here, not in the
 * family tables, because they are only ever printed. */
static const struct {
    const char *name;
    const char *tips; /* space-separated */
} command_tips[] = {
    {"client|info", "nondeterministic_output"},
    {"client|list", "nondeterministic_output"},
    {"cluster|getkeysinslot", "nondeterministic_output"},
    {"cluster|info", "nondeterministic_output"},
    {"cluster|nodes", "nondeterministic_output"},
    {"cluster|shards", "nondeterministic_output"},
    {"cluster|slots", "nondeterministic_output"},
    {"command", "nondeterministic_output_order"},
    {"command|docs", "nondeterministic_output_order"},
    {"command|info", "nondeterministic_output_order"},
    {"command|list", "nondeterministic_output_order"},
    {"config|set", "request_policy:all_nodes response_policy:all_succeeded"},
    {"dbsize", "request_policy:all_shards response_policy:agg_sum"},
    {"del", "request_policy:multi_shard response_policy:agg_sum"},
    {"exists", "request_policy:multi_shard response_policy:agg_sum"},
    {"flushall", "request_policy:all_shards response_policy:all_succeeded"},
    {"flushdb", "request_policy:all_shards response_policy:all_succeeded"},
    {"hgetall", "nondeterministic_output_order"},
    {"hkeys", "nondeterministic_output_order"},
    {"hrandfield", "nondeterministic_output"},
    {"hscan", "nondeterministic_output"},
    {"hvals", "nondeterministic_output_order"},
    {"info", "nondeterministic_output request_policy:all_shards response_policy:special"},
    {"keys", "request_policy:all_shards nondeterministic_output_order"},
    {"lastsave", "nondeterministic_output"},
    {"mget", "request_policy:multi_shard"},
    {"mset", "request_policy:multi_shard response_policy:all_succeeded"},
    {"msetnx", "request_policy:multi_shard response_policy:agg_min"},
    {"object|encoding", "nondeterministic_output"},
    {"object|freq", "nondeterministic_output"},
    {"object|idletime", "nondeterministic_output"},
    {"object|refcount", "nondeterministic_output"},
    {"ping", "request_policy:all_shards response_policy:all_succeeded"},
    {"pttl", "nondeterministic_output"},
    {"randomkey", "request_policy:all_shards nondeterministic_output"},
    {"scan", "nondeterministic_output request_policy:special"},
    {"sdiff", "nondeterministic_output_order"},
    {"sinter", "nondeterministic_output_order"},
    {"slowlog|get", "request_policy:all_nodes nondeterministic_output"},
    {"slowlog|len", "request_policy:all_nodes response_policy:agg_sum nondeterministic_output"},
    {"slowlog|reset", "request_policy:all_nodes response_policy:all_succeeded"},
    {"smembers", "nondeterministic_output_order"},
    {"spop", "nondeterministic_output"},
    {"srandmember", "nondeterministic_output"},
    {"sscan", "nondeterministic_output"},
    {"sunion", "nondeterministic_output_order"},
    {"time", "nondeterministic_output"},
    {"touch", "request_policy:multi_shard response_policy:agg_sum"},
    {"ttl", "nondeterministic_output"},
    {"unlink", "request_policy:multi_shard response_policy:agg_sum"},
    {"wait", "request_policy:all_shards response_policy:agg_min"},
    {"zrandmember", "nondeterministic_output"},
    {"zscan", "nondeterministic_output"},
};

static const char *tips_of(const char *name)
{
    size_t lo = 0, hi = sizeof(command_tips) / sizeof(command_tips[0]);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(command_tips[mid].name, name);
        if (c == 0) return command_tips[mid].tips;
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    return NULL;
}

static void reply_tips(reply_t *r, const char *name)
{
    const char *t = tips_of(name);
    size_t n = 0;
    for (const char *p = t; p && *p; p += strcspn(p, " "), p += *p == ' ') n++;
    reply_set(r, (long long)n);
    for (const char *p = t; p && *p; p += *p == ' ') { /* bulk strings, unlike flags */
        size_t len = strcspn(p, " ");
        reply_bulk(r, p, len);
        p += len;
    }
}

static size_t nsubs(const command_t *cmd)
{
    size_t n = 0;
    for (const command_t *s = cmd->subcommands; s && s->name; s++) n++;
    return n;
}

/* Key flag names, in the order Redis prints them (addReplyFlagsForKeyArgs). */
static const struct {
    uint32_t flag;
    const char *name;
} key_flag_names[] = {
    {KS_RO, "RO"}, {KS_RW, "RW"}, {KS_OW, "OW"}, {KS_RM, "RM"}, {KS_ACCESS, "access"}, {KS_UPDATE, "update"},
    {KS_INSERT, "insert"}, {KS_DELETE, "delete"}, {KS_NOT_KEY, "not_key"}, {KS_INCOMPLETE, "incomplete"},
    {KS_VARIABLE_FLAGS, "variable_flags"},
};
#define NKEYFLAGS (sizeof(key_flag_names) / sizeof(key_flag_names[0]))

/* A set of key flag names: a key spec's flags, or one key's in GETKEYSANDFLAGS. */
static void reply_key_flags(reply_t *r, uint32_t flags)
{
    size_t n = 0;
    for (size_t i = 0; i < NKEYFLAGS; i++)
        if (flags & key_flag_names[i].flag) n++;
    reply_set(r, (long long)n);
    for (size_t i = 0; i < NKEYFLAGS; i++)
        if (flags & key_flag_names[i].flag) reply_simple(r, key_flag_names[i].name);
}

/* One key spec as Redis's addReplyCommandKeySpecs writes it: notes (when
 * there are), flags, begin_search, find_keys. */
static void reply_key_spec(reply_t *r, const key_spec_t *ks)
{
    reply_map(r, ks->notes ? 4 : 3);
    if (ks->notes) {
        reply_bulk_cstr(r, "notes");
        reply_bulk_cstr(r, ks->notes);
    }
    reply_bulk_cstr(r, "flags");
    reply_key_flags(r, ks->flags);
    reply_bulk_cstr(r, "begin_search");
    reply_map(r, 2);
    reply_bulk_cstr(r, "type");
    if (ks->begin == KS_BS_INDEX) {
        reply_bulk_cstr(r, "index");
        reply_bulk_cstr(r, "spec");
        reply_map(r, 1);
        reply_bulk_cstr(r, "index");
        reply_int(r, ks->index);
    } else {
        reply_bulk_cstr(r, "keyword");
        reply_bulk_cstr(r, "spec");
        reply_map(r, 2);
        reply_bulk_cstr(r, "keyword");
        reply_bulk_cstr(r, ks->keyword);
        reply_bulk_cstr(r, "startfrom");
        reply_int(r, ks->startfrom);
    }
    reply_bulk_cstr(r, "find_keys");
    reply_map(r, 2);
    reply_bulk_cstr(r, "type");
    if (ks->find == KS_FK_RANGE) {
        reply_bulk_cstr(r, "range");
        reply_bulk_cstr(r, "spec");
        reply_map(r, 3);
        reply_bulk_cstr(r, "lastkey");
        reply_int(r, ks->lastkey);
        reply_bulk_cstr(r, "keystep");
        reply_int(r, ks->keystep);
        reply_bulk_cstr(r, "limit");
        reply_int(r, ks->limit);
    } else {
        reply_bulk_cstr(r, "keynum");
        reply_bulk_cstr(r, "spec");
        reply_map(r, 3);
        reply_bulk_cstr(r, "keynumidx");
        reply_int(r, ks->keynumidx);
        reply_bulk_cstr(r, "firstkey");
        reply_int(r, ks->firstkey);
        reply_bulk_cstr(r, "keystep");
        reply_int(r, ks->keystep);
    }
}

static size_t nkeyspecs(const command_t *cmd)
{
    size_t n = 0;
    while (cmd->key_specs && cmd->key_specs[n].begin != KS_BS_END) n++;
    return n;
}

/* One COMMAND INFO element: name, arity, flags, first, last, step, ACL
 * categories, tips, key specs, subcommands. */
static void reply_command_info(reply_t *r, const command_t *parent, const command_t *cmd)
{
    char name[64];
    full_name(name, sizeof(name), parent, cmd);
    reply_array(r, 10);
    reply_bulk_cstr(r, name);
    reply_int(r, cmd->arity);
    size_t nf = 0;
    for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
        if (cmd->flags & flag_names[i].flag) nf++;
    reply_set(r, (long long)nf);
    for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
        if (cmd->flags & flag_names[i].flag) reply_simple(r, flag_names[i].name);
    reply_int(r, cmd->first_key);
    reply_int(r, cmd->last_key);
    reply_int(r, cmd->key_step);
    uint32_t m = acl_mask(cmd);
    reply_set(r, __builtin_popcount(m));
    for (int i = 0; i < ACL_NCATS; i++)
        if (m & (1u << i)) {
            char cat[32];
            snprintf(cat, sizeof(cat), "@%s", acl_names[i]);
            reply_simple(r, cat);
        }
    reply_tips(r, name);
    reply_set(r, (long long)nkeyspecs(cmd)); /* key specs and subcommands: sets in RESP3, as Redis 7.0 */
    for (size_t i = 0; i < nkeyspecs(cmd); i++) reply_key_spec(r, &cmd->key_specs[i]);
    reply_set(r, (long long)nsubs(cmd));
    for (const command_t *s = cmd->subcommands; s && s->name; s++) reply_command_info(r, cmd, s);
}

/* One COMMAND DOCS value: summary, since, group, complexity, subcommands. */
static void reply_command_docs(reply_t *r, const command_t *parent, const command_t *cmd)
{
    const char *group = cmd->group ? cmd->group : parent && parent->group ? parent->group : "generic";
    size_t ns = nsubs(cmd);
    reply_map(r, 1 + !!cmd->summary + !!cmd->since + !!cmd->complexity + (ns > 0));
    if (cmd->summary) {
        reply_bulk_cstr(r, "summary");
        reply_bulk_cstr(r, cmd->summary);
    }
    if (cmd->since) {
        reply_bulk_cstr(r, "since");
        reply_bulk_cstr(r, cmd->since);
    }
    reply_bulk_cstr(r, "group");
    reply_bulk_cstr(r, group);
    if (cmd->complexity) {
        reply_bulk_cstr(r, "complexity");
        reply_bulk_cstr(r, cmd->complexity);
    }
    if (ns > 0) {
        reply_bulk_cstr(r, "subcommands");
        reply_map(r, (long long)ns);
        for (const command_t *s = cmd->subcommands; s && s->name; s++) {
            char name[64];
            full_name(name, sizeof(name), cmd, s);
            reply_bulk_cstr(r, name);
            reply_command_docs(r, cmd, s);
        }
    }
}

static size_t visible_count(void)
{
    size_t n = 0;
    for (size_t i = 0; i < cmd_table_count(); i++)
        if (!cmd_hidden(cmd_table_at(i))) n++;
    return n;
}

static void reply_all_commands(reply_t *r)
{
    reply_array(r, (long long)visible_count());
    for (size_t i = 0; i < cmd_table_count(); i++)
        if (!cmd_hidden(cmd_table_at(i))) reply_command_info(r, NULL, cmd_table_at(i));
}

/* COMMAND with no subcommand: every command. */
static void commandCommand(cmd_ctx_t *c)
{
    if (c->argc == 1) {
        reply_all_commands(c->reply);
        return;
    }
    run_subcommand(c, &command_commands[0]);
}

static void commandCountCommand(cmd_ctx_t *c)
{
    reply_int(c->reply, (long long)visible_count());
}

static void commandInfoCommand(cmd_ctx_t *c)
{
    if (c->argc == 2) {
        reply_all_commands(c->reply);
        return;
    }
    reply_array(c->reply, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        const command_t *parent, *cmd = lookup_full(c->argv[i], c->argvlen[i], &parent);
        if (cmd)
            reply_command_info(c->reply, parent, cmd);
        else
            reply_null(c->reply);
    }
}

/* COMMAND DOCS [name ...]: a map of name to docs; unknown names are left out. */
static void commandDocsCommand(cmd_ctx_t *c)
{
    if (c->argc == 2) {
        reply_map(c->reply, (long long)visible_count());
        for (size_t i = 0; i < cmd_table_count(); i++) {
            const command_t *cmd = cmd_table_at(i);
            if (cmd_hidden(cmd)) continue;
            reply_bulk_cstr(c->reply, cmd->name);
            reply_command_docs(c->reply, NULL, cmd);
        }
        return;
    }
    size_t off = reply_defer(c->reply);
    long long n = 0;
    for (int i = 2; i < c->argc; i++) {
        const command_t *parent, *cmd = lookup_full(c->argv[i], c->argvlen[i], &parent);
        if (!cmd) continue;
        char name[64];
        full_name(name, sizeof(name), parent, cmd);
        reply_bulk_cstr(c->reply, name);
        reply_command_docs(c->reply, parent, cmd);
        n++;
    }
    reply_defer_map(c->reply, off, n);
}

/* COMMAND LIST [FILTERBY MODULE m | ACLCAT cat | PATTERN p]: names, each
 * command followed by its subcommands ("client|list"). */
static void commandListCommand(cmd_ctx_t *c)
{
    enum { F_NONE, F_MODULE, F_ACLCAT, F_PATTERN } filter = F_NONE;
    const char *arg = NULL;
    size_t arglen = 0;
    for (int i = 2; i < c->argc; i += 3) {
        if (!cmd_arg_is(c, i, "filterby") || c->argc - 1 - i != 2) {
            reply_error(c->reply, ERR_SYNTAX);
            return;
        }
        if (cmd_arg_is(c, i + 1, "module"))
            filter = F_MODULE;
        else if (cmd_arg_is(c, i + 1, "aclcat"))
            filter = F_ACLCAT;
        else if (cmd_arg_is(c, i + 1, "pattern"))
            filter = F_PATTERN;
        else {
            reply_error(c->reply, ERR_SYNTAX);
            return;
        }
        arg = c->argv[i + 2];
        arglen = c->argvlen[i + 2];
    }
    int cat = filter == F_ACLCAT ? acl_index(arg, arglen) : -1;
    size_t off = reply_defer(c->reply);
    long long n = 0;
    for (size_t i = 0; i < cmd_table_count(); i++) {
        const command_t *top = cmd_table_at(i);
        if (cmd_hidden(top)) continue;
        for (const command_t *cmd = top; cmd && cmd->name; cmd = cmd == top ? top->subcommands : cmd + 1) {
            char name[64];
            full_name(name, sizeof(name), cmd == top ? NULL : top, cmd);
            bool ok = filter == F_NONE || (filter == F_ACLCAT && cat >= 0 && (acl_mask(cmd) & (1u << cat))) ||
                      (filter == F_PATTERN && glob_match(arg, arglen, name, strlen(name), 1));
            if (ok) {
                reply_bulk_cstr(c->reply, name);
                n++;
            }
        }
    }
    reply_defer_array(c->reply, off, n);
}

/* COMMAND GETKEYS / GETKEYSANDFLAGS <command> [arg ...]: the keys its key
 * specs find (cmd_get_keys), with Redis's checks and messages; when the
 * specs do not fit the arguments, what Redis's own key finder of the
 * command then answers (cmd_get_keys_fallback: keys without flags). */
static void getkeys(cmd_ctx_t *c, bool with_flags)
{
    int argc = c->argc - 2;
    const char *const *argv = c->argv + 2;
    const size_t *argvlen = c->argvlen + 2;
    const command_t *cmd = cmd_lookup(argv[0], argvlen[0]);
    if (cmd && cmd_hidden(cmd)) cmd = NULL;
    if (cmd && cmd->subcommands && argc >= 2) cmd = find_sub(cmd->subcommands, argv[1], argvlen[1]);
    if (!cmd) {
        reply_error(c->reply, "ERR Invalid command specified");
        return;
    }
    if (!cmd_has_keys(cmd)) {
        reply_error(c->reply, "ERR The command has no key arguments");
        return;
    }
    if ((cmd->arity > 0 && cmd->arity != argc) || argc < -cmd->arity) {
        reply_error(c->reply, "ERR Invalid number of arguments specified for command");
        return;
    }
    cmd_key_t buf[16], *keys = buf;
    int n = cmd_get_keys(cmd, argc, argv, argvlen, keys, 16);
    bool fallback = n < 0;
    if (fallback) n = cmd_get_keys_fallback(cmd, argc, argv, argvlen, keys, 16);
    if (n > 16) {
        keys = malloc(sizeof(*keys) * (size_t)n);
        if (fallback)
            cmd_get_keys_fallback(cmd, argc, argv, argvlen, keys, n);
        else
            cmd_get_keys(cmd, argc, argv, argvlen, keys, n);
    }
    if (n <= 0) {
        reply_error(c->reply, "ERR Invalid arguments specified for command");
        return;
    }
    reply_array(c->reply, n);
    for (int i = 0; i < n; i++) {
        if (with_flags) {
            reply_array(c->reply, 2);
            reply_bulk(c->reply, argv[keys[i].pos], argvlen[keys[i].pos]);
            reply_key_flags(c->reply, keys[i].flags);
        } else {
            reply_bulk(c->reply, argv[keys[i].pos], argvlen[keys[i].pos]);
        }
    }
    if (keys != buf) free(keys);
}

static void commandGetkeysCommand(cmd_ctx_t *c)
{
    getkeys(c, false);
}

static void commandGetkeysandflagsCommand(cmd_ctx_t *c)
{
    getkeys(c, true);
}

static void commandHelpCommand(cmd_ctx_t *c)
{
    static const char *const lines[] = {
        "(no subcommand)", "    Return details about all Redis commands.",
        "COUNT", "    Return the total number of commands in this Redis server.",
        "LIST", "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]", "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all", "    commands are returned.",
        "DOCS [<command-name> ...]", "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all", "    commands are returned.",
        "GETKEYS <full-command>", "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>", "    Return the keys and the access flags from a full Redis command.",
        NULL};
    reply_help(c, lines);
}


static const command_t command_subcommands[] = {
    {"count", commandCountCommand, 2, SUBFLAGS, 0, 0, 0, "server", "Get total number of Redis commands", "2.8.13",
     "O(1)", "slow connection", NULL, NULL},
    {"docs", commandDocsCommand, -2, SUBFLAGS, 0, 0, 0, "server", "Get array of specific Redis command documentation",
     "7.0.0", "O(N) where N is the number of commands to look up", "slow connection", NULL, NULL},
    {"getkeys", commandGetkeysCommand, -4, SUBFLAGS, 0, 0, 0, "server", "Extract keys given a full Redis command",
     "2.8.13", "O(N) where N is the number of arguments to the command", "slow connection", NULL,
     NULL},
    {"getkeysandflags", commandGetkeysandflagsCommand, -4, SUBFLAGS, 0, 0, 0, "server",
     "Extract keys and access flags given a full Redis command", "7.0.0",
     "O(N) where N is the number of arguments to the command", "slow connection", NULL, NULL},
    {"help", commandHelpCommand, 2, SUBFLAGS, 0, 0, 0, "server", "Show helpful text about the different subcommands",
     "5.0.0", "O(1)", "slow connection", NULL, NULL},
    {"info", commandInfoCommand, -2, SUBFLAGS, 0, 0, 0, "server",
     "Get array of specific Redis command details, or all when no argument is given.", "2.8.13",
     "O(N) where N is the number of commands to look up", "slow connection", NULL, NULL},
    {"list", commandListCommand, -2, SUBFLAGS, 0, 0, 0, "server", "Get an array of Redis command names", "7.0.0",
     "O(N) where N is the total number of Redis commands", "slow connection", NULL, NULL},
    {NULL},
};


const command_t command_commands[] = {
    {"command", commandCommand, -1, CMD_CONN | CMD_LOADING | CMD_STALE, 0, 0, 0, "server",
     "Get array of Redis command details", "2.8.13", "O(N) where N is the total number of Redis commands",
     "slow connection", command_subcommands, NULL},
};
const size_t command_ncommands = sizeof(command_commands) / sizeof(command_commands[0]);
