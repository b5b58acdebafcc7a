/* INFO, CONFIG, CLIENT and COMMAND run against a bare node (no listener, no
 * clients connected). Expected bytes marked "redis" were checked against
 * redis-server 7.0.15; the rest are redraft's own (sets what it cannot know,
 * SETINFO as 7.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node/node.h"
#include "node/server_cmds.h"

typedef struct fixture {
    node_t node;
    config_t cfg;
    session_t sess;
    reply_t reply;
    char dir[64];
    char *out;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    char err[256];
    cmd_register_data_commands();
    node_register_commands();
    config_defaults(&f->cfg);
    snprintf(f->dir, sizeof(f->dir), "/tmp/redraft-test-info-XXXXXX");
    if (!mkdtemp(f->dir)) fail_msg("mkdtemp failed");
    f->node.cfg = &f->cfg;
    f->node.loop = uv_default_loop();
    store_options_t o = {.wal_segment_size = 64 * 1024}; /* small log segments: cheap to open */
    f->node.store = store_open_opts(f->dir, &o, err, sizeof(err));
    if (!f->node.store) fail_msg("store_open: %s", err);
    f->node.start_ms = node_wall_ms();
    session_init(&f->sess, 7);
    f->sess.authed = true;
    reply_init(&f->reply, 2);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    char cmd[128];
    store_close(f->node.store);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    if (system(cmd) != 0) fail_msg("cleanup failed");
    session_free(&f->sess);
    reply_free(&f->reply);
    free(f->out);
    free(f);
    return 0;
}

/* Runs one command as the dispatcher would for a local command: lookup and
 * top-level arity first, then the proc. Returns the reply, NUL-terminated. */
static const char *run(fixture_t *f, int proto, const char *arg0, ...)
{
    const char *argv[32];
    size_t lens[32];
    int argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a; a = va_arg(ap, const char *)) {
        argv[argc] = a;
        lens[argc++] = strlen(a);
    }
    va_end(ap);
    reply_clear(&f->reply);
    f->reply.proto = f->sess.proto = proto;
    const command_t *cmd = cmd_lookup(argv[0], lens[0]);
    if (!cmd) fail_msg("unknown command %s", argv[0]);
    if (cmd->arity > 0 ? argc != cmd->arity : argc < -cmd->arity) {
        reply_wrong_arity(&f->reply, cmd->name);
    } else {
        cmd_ctx_t c = {.argc = argc, .argv = argv, .argvlen = lens, .reply = &f->reply, .db = &f->node.db,
                       .sess = &f->sess, .server = &f->node};
        cmd->proc(&c);
    }
    free(f->out);
    f->out = strndup(f->reply.buf ? f->reply.buf : "", f->reply.len);
    return f->out;
}

#define R2(...) run(f, 2, __VA_ARGS__, (const char *)NULL)
#define R3(...) run(f, 3, __VA_ARGS__, (const char *)NULL)
#define EQ(got, want) assert_string_equal((got), (want))

static void test_info_framing(void **state)
{
    fixture_t *f = *state;
    EQ(R2("INFO", "foo"), "$0\r\n\r\n");                                              /* redis */
    EQ(R2("INFO", "cluster"), "$30\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n");         /* redis */
    EQ(R3("INFO", "cluster"), "=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n");    /* redis */
    EQ(R2("INFO", "keyspace"), "$12\r\n# Keyspace\r\n\r\n");
    f->node.db.nkeys = 1;
    EQ(R2("INFO", "keyspace", "foo"), "$44\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n\r\n"); /* redis */
    f->node.db.nkeys = 0;
    EQ(R2("INFO", "modules", "Errorstats"), "$27\r\n# Modules\r\n\r\n# Errorstats\r\n\r\n");
    /* fixed order whatever was asked; duplicates once */
    const char *s = R2("INFO", "cpu", "server", "CPU");
    assert_non_null(strstr(s, "# Server\r\nredis_version:7.0.15\r\nredraft_version:0.1.0\r\n"));
    assert_true(strstr(s, "# Server") < strstr(s, "\r\n\r\n# CPU\r\nused_cpu_sys:"));
    assert_null(strstr(strstr(s, "# CPU") + 1, "# CPU"));
    /* default: no commandstats; all: every section */
    s = R2("INFO");
    static const char *const def[] = {"# Server", "# Clients", "# Memory", "# Persistence", "# Stats",
                                      "# Replication", "# CPU", "# Modules", "# Errorstats", "# Cluster",
                                      "# Keyspace"};
    const char *prev = s;
    for (size_t i = 0; i < sizeof(def) / sizeof(def[0]); i++) {
        const char *at = strstr(s, def[i]);
        assert_non_null(at);
        assert_true(at >= prev);
        prev = at;
    }
    assert_null(strstr(s, "# Commandstats"));
    assert_non_null(strstr(R2("INFO", "all"), "# Commandstats\r\n\r\n# Errorstats"));
    assert_non_null(strstr(R2("INFO", "everything"), "# Latencystats"));
    s = R2("INFO", "persistence");
    assert_non_null(strstr(s, "\r\naof_enabled:1\r\n"));
    assert_non_null(strstr(s, "\r\nraft_applied_index:0\r\n"));
    s = R2("INFO", "server");
    char runid[41];
    const char *r = strstr(s, "run_id:");
    assert_non_null(r);
    memcpy(runid, r + 7, 40);
    runid[40] = '\0';
    assert_int_equal(strspn(runid, "0123456789abcdef"), 40);
    assert_non_null(strstr(R2("INFO", "server"), runid)); /* stable */
}

static void test_info_stats_resetstat(void **state)
{
    fixture_t *f = *state;
    f->node.srv.stats.commands_processed = 41;
    f->node.srv.stats.connections_received = 3;
    assert_non_null(strstr(R2("INFO", "stats"), "total_commands_processed:41\r\n"));
    EQ(R2("CONFIG", "RESETSTAT"), "+OK\r\n");
    const char *s = R2("INFO", "stats");
    assert_non_null(strstr(s, "total_connections_received:0\r\ntotal_commands_processed:0\r\n"));
    assert_non_null(strstr(s, "instantaneous_ops_per_sec:0\r\n"));
    EQ(R2("CONFIG", "RESETSTAT", "x"), "-ERR wrong number of arguments for 'config|resetstat' command\r\n");
}

static void test_config(void **state)
{
    fixture_t *f = *state;
    EQ(R2("CONFIG", "GET", "port"), "*2\r\n$4\r\nport\r\n$4\r\n7379\r\n");
    EQ(R2("CONFIG", "GET", "PORT"), "*2\r\n$4\r\nPORT\r\n$4\r\n7379\r\n"); /* echoed as typed, as redis */
    EQ(R2("CONFIG", "GET", "port", "port", "nosuch"), "*2\r\n$4\r\nport\r\n$4\r\n7379\r\n");
    EQ(R3("CONFIG", "GET", "port", "maxclients"), "%2\r\n$4\r\nport\r\n$4\r\n7379\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n");
    EQ(R3("CONFIG", "GET", "nosuch"), "%0\r\n");
    assert_non_null(strstr(R2("CONFIG", "GET", "*"), "$4\r\nport\r\n"));
    EQ(R2("CONFIG", "GET"), "-ERR wrong number of arguments for 'config|get' command\r\n"); /* redis */
    EQ(R2("CONFIG", "SET", "x"), "-ERR wrong number of arguments for 'config|set' command\r\n"); /* redis */
    EQ(R2("config", "foo"), "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n");           /* redis */
    EQ(R2("CONFIG"), "-ERR wrong number of arguments for 'config' command\r\n");
    /* read at start: CONFIG SET changes only what a running node can change */
    EQ(R2("CONFIG", "SET", "port", "1"),
       "-ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config\r\n");
    EQ(R2("CONFIG", "SET", "slowlog-max-len", "64"), "+OK\r\n");
    EQ(R2("CONFIG", "GET", "slowlog_max_len"), "*2\r\n$15\r\nslowlog_max_len\r\n$2\r\n64\r\n");
    assert_true(strncmp(R2("CONFIG", "REWRITE"), "-ERR CONFIG REWRITE is not supported", 36) == 0);
    EQ(R2("CONFIG", "HELP"), /* redis */
       "*11\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+GET <pattern>\r\n"
       "+    Return parameters matching the glob-like <pattern> and their values.\r\n+SET <directive> <value>\r\n"
       "+    Set the configuration <directive> to <value>.\r\n+RESETSTAT\r\n"
       "+    Reset statistics reported by the INFO command.\r\n+REWRITE\r\n+    Rewrite the configuration file.\r\n"
       "+HELP\r\n+    Prints this help.\r\n");
}

static void test_client_session(void **state)
{
    fixture_t *f = *state;
    EQ(R2("CLIENT", "ID"), ":7\r\n");
    EQ(R2("CLIENT", "GETNAME"), "$-1\r\n");
    EQ(R2("CLIENT", "SETNAME", "foo bar"), "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
    EQ(R2("CLIENT", "SETNAME", "\xc3\xa9"), "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
    EQ(R2("CLIENT", "SETNAME", "x"), "+OK\r\n");
    EQ(R2("CLIENT", "GETNAME"), "$1\r\nx\r\n");
    EQ(R2("CLIENT", "SETNAME", ""), "+OK\r\n");
    EQ(R3("CLIENT", "GETNAME"), "_\r\n");
    EQ(R2("CLIENT", "GETNAME", "x"), "-ERR wrong number of arguments for 'client|getname' command\r\n"); /* redis */
    EQ(R2("client", "Foo"), "-ERR unknown subcommand 'Foo'. Try CLIENT HELP.\r\n");                   /* redis */
    EQ(R2("CLIENT", "SETINFO", "lib-name", "redis-py"), "+OK\r\n");
    EQ(R2("CLIENT", "SETINFO", "LIB-VER", "5.0.1"), "+OK\r\n");
    EQ(R2("CLIENT", "SETINFO", "lib-foo", "x"), "-ERR Unrecognized option 'lib-foo'\r\n");
    EQ(R2("CLIENT", "SETINFO", "lib-name", "a b"), "-ERR lib-name cannot contain spaces, newlines or special characters.\r\n");
    assert_string_equal(f->sess.lib_name, "redis-py");
    assert_string_equal(f->sess.lib_ver, "5.0.1");
    const char *s = R2("CLIENT", "INFO");
    assert_non_null(strstr(s, " name= age="));
    assert_non_null(strstr(s, " flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf="));
    assert_non_null(strstr(s, " cmd=client|info user=default redir=-1 resp=2 lib-name=redis-py lib-ver=5.0.1\n\r\n"));
    EQ(R2("CLIENT", "NO-EVICT", "on"), "+OK\r\n");
    EQ(R2("CLIENT", "NO-TOUCH", "off"), "+OK\r\n");
    EQ(R2("CLIENT", "NO-EVICT", "x"), "-ERR syntax error\r\n");
    EQ(R2("CLIENT", "REPLY", "ON"), "+OK\r\n");
    EQ(R2("CLIENT", "REPLY", "x"), "-ERR syntax error\r\n");
}

static void test_client_list_kill(void **state)
{
    fixture_t *f = *state;
    EQ(R2("CLIENT", "LIST"), "$0\r\n\r\n");
    EQ(R3("CLIENT", "LIST", "ID", "1", "2"), "=4\r\ntxt:\r\n");                  /* redis */
    EQ(R2("CLIENT", "LIST", "TYPE", "bad"), "-ERR Unknown client type 'bad'\r\n"); /* redis */
    EQ(R2("CLIENT", "LIST", "ID", "abc"), "-ERR Invalid client ID\r\n");          /* redis */
    EQ(R2("CLIENT", "LIST", "foo"), "-ERR syntax error\r\n");                     /* redis */
    EQ(R2("CLIENT", "KILL", "1.2.3.4:5"), "-ERR No such client\r\n");             /* redis */
    EQ(R2("CLIENT", "KILL", "ID", "999"), ":0\r\n");                              /* redis */
    EQ(R2("CLIENT", "KILL", "ID", "x"), "-ERR client-id should be greater than 0\r\n");
    EQ(R2("CLIENT", "KILL", "foo", "bar"), "-ERR syntax error\r\n");
    EQ(R2("CLIENT", "KILL", "USER", "bob", "ID", "1"), "-ERR No such user 'bob'\r\n");
    EQ(R2("CLIENT", "KILL", "TYPE", "bad", "ID", "1"), "-ERR Unknown client type 'bad'\r\n");
    EQ(R2("CLIENT", "KILL", "SKIPME", "maybe"), "-ERR syntax error\r\n");
    EQ(R2("CLIENT", "KILL", "ID", "1", "TYPE", "normal", "x"), "-ERR syntax error\r\n");
}

static const char GET_INFO2[] = /* redis */
    "*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n"
    "*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n"
    "$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n"
    "$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n";
static const char GET_INFO3[] = /* redis */
    "*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n+@string\r\n+@fast\r\n"
    "~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n"
    "$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n"
    "$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n";

static void test_command_info(void **state)
{
    fixture_t *f = *state;
    char want[1024];
    snprintf(want, sizeof(want), "*2\r\n%s$-1\r\n", GET_INFO2);
    EQ(R2("COMMAND", "INFO", "get", "nosuch"), want);
    snprintf(want, sizeof(want), "*2\r\n%s_\r\n", GET_INFO3);
    EQ(R3("COMMAND", "INFO", "GET", "nosuch"), want);
    EQ(R2("COMMAND", "INFO", "__expire", "config|nosuch"), "*2\r\n$-1\r\n$-1\r\n");
    const char *s = R2("COMMAND", "INFO", "CONFIG|GET");
    assert_true(strncmp(s, "*1\r\n*10\r\n$10\r\nconfig|get\r\n:-3\r\n*3\r\n+admin\r\n+loading\r\n+stale\r\n", 60) == 0);
    /* containers list their subcommands */
    s = R2("COMMAND", "INFO", "client");
    assert_non_null(strstr(s, "$11\r\nclient|list\r\n:-2\r\n"));
    /* COMMAND and COMMAND COUNT agree and hide internal commands */
    char count[32];
    snprintf(count, sizeof(count), "%s", R2("COMMAND", "COUNT"));
    s = R2("COMMAND");
    assert_int_equal(atoi(s + 1), atoi(count + 1));
    assert_null(strstr(s, "__expire"));
    assert_null(strstr(R2("COMMAND", "LIST"), "__expire"));
}

/* Key specs as Redis 7.0.15 shows them: a range and a keynum spec, notes
 * and variable flags, a keynum spec alone with no legacy range. */
static void test_command_info_key_specs(void **state)
{
    fixture_t *f = *state;
    EQ(R2("COMMAND", "INFO", "zunionstore"), /* redis */
       "*1\r\n*10\r\n$11\r\nzunionstore\r\n:-4\r\n*3\r\n+write\r\n+denyoom\r\n+movablekeys\r\n:1\r\n:1\r\n:1\r\n*3\r\n"
       "+@write\r\n+@sortedset\r\n+@slow\r\n*0\r\n*2\r\n*6\r\n$5\r\nflags\r\n*2\r\n+OW\r\n+update\r\n$12\r\n"
       "begin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n"
       "*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\n"
       "limit\r\n:0\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\n"
       "index\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:2\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$6\r\nkeynum\r\n$4\r\n"
       "spec\r\n*6\r\n$9\r\nkeynumidx\r\n:0\r\n$8\r\nfirstkey\r\n:1\r\n$7\r\nkeystep\r\n:1\r\n*0\r\n");
    EQ(R3("COMMAND", "INFO", "zunionstore"), /* redis */
       "*1\r\n*10\r\n$11\r\nzunionstore\r\n:-4\r\n~3\r\n+write\r\n+denyoom\r\n+movablekeys\r\n:1\r\n:1\r\n:1\r\n~3\r\n"
       "+@write\r\n+@sortedset\r\n+@slow\r\n~0\r\n~2\r\n%3\r\n$5\r\nflags\r\n~2\r\n+OW\r\n+update\r\n$12\r\n"
       "begin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n"
       "%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\n"
       "limit\r\n:0\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\n"
       "index\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:2\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$6\r\nkeynum\r\n$4\r\n"
       "spec\r\n%3\r\n$9\r\nkeynumidx\r\n:0\r\n$8\r\nfirstkey\r\n:1\r\n$7\r\nkeystep\r\n:1\r\n~0\r\n");
    EQ(R3("COMMAND", "INFO", "set"), /* redis */
       "*1\r\n*10\r\n$3\r\nset\r\n:-3\r\n~2\r\n+write\r\n+denyoom\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@write\r\n+@string\r\n"
       "+@slow\r\n~0\r\n~1\r\n%4\r\n$5\r\nnotes\r\n$48\r\nRW and ACCESS due to the optional `GET` argument\r\n"
       "$5\r\nflags\r\n~4\r\n+RW\r\n+access\r\n+update\r\n+variable_flags\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\n"
       "type\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n"
       "$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n");
    EQ(R2("COMMAND", "INFO", "lmpop"), /* redis */
       "*1\r\n*10\r\n$5\r\nlmpop\r\n:-4\r\n*2\r\n+write\r\n+movablekeys\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@write\r\n"
       "+@list\r\n+@slow\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n$12\r\n"
       "begin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n"
       "*4\r\n$4\r\ntype\r\n$6\r\nkeynum\r\n$4\r\nspec\r\n*6\r\n$9\r\nkeynumidx\r\n:0\r\n$8\r\nfirstkey\r\n:1\r\n$7\r\n"
       "keystep\r\n:1\r\n*0\r\n");
    /* two specs: RENAME's source and destination */
    const char *s = R2("COMMAND", "INFO", "rename");
    assert_non_null(strstr(s, "*2\r\n*6\r\n$5\r\nflags\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n"));
    assert_non_null(strstr(s, "*6\r\n$5\r\nflags\r\n*2\r\n+OW\r\n+update\r\n"));
}

static void test_command_docs_list(void **state)
{
    fixture_t *f = *state;
    EQ(R2("COMMAND", "DOCS", "nosuch"), "*0\r\n");
    EQ(R3("COMMAND", "DOCS", "nosuch"), "%0\r\n");
    EQ(R2("COMMAND", "DOCS", "config|help"),
       "*2\r\n$11\r\nconfig|help\r\n*8\r\n$7\r\nsummary\r\n$49\r\nShow helpful text about the different subcommands\r\n"
       "$5\r\nsince\r\n$5\r\n5.0.0\r\n$5\r\ngroup\r\n$6\r\nserver\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n"); /* redis */
    const char *s = R3("COMMAND", "DOCS", "config");
    assert_true(strncmp(s, "%1\r\n$6\r\nconfig\r\n%5\r\n$7\r\nsummary\r\n", 32) == 0);
    assert_non_null(strstr(s, "$11\r\nsubcommands\r\n%5\r\n$10\r\nconfig|get\r\n%4\r\n"));
    s = R2("COMMAND", "LIST", "FILTERBY", "PATTERN", "conf*");
    assert_true(strncmp(s, "*6\r\n$6\r\nconfig\r\n$10\r\nconfig|get\r\n", 30) == 0);
    EQ(R2("COMMAND", "LIST", "FILTERBY", "MODULE", "x"), "*0\r\n");           /* redis */
    EQ(R2("COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"), "*0\r\n");      /* redis */
    EQ(R2("COMMAND", "LIST", "FILTERBY", "foo", "x"), "-ERR syntax error\r\n"); /* redis */
    EQ(R2("COMMAND", "LIST", "x"), "-ERR syntax error\r\n");                  /* redis */
    assert_non_null(strstr(R2("COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection"), "$11\r\nclient|list\r\n"));
    EQ(R2("COMMAND", "foo"), "-ERR unknown subcommand 'foo'. Try COMMAND HELP.\r\n"); /* redis */
    assert_true(strncmp(R2("COMMAND", "HELP"), "*21\r\n+COMMAND <subcommand>", 25) == 0);
}

static void test_command_getkeys(void **state)
{
    fixture_t *f = *state;
    EQ(R2("COMMAND", "GETKEYS", "get"), "-ERR wrong number of arguments for 'command|getkeys' command\r\n"); /* redis */
    EQ(R2("COMMAND", "GETKEYS", "ping", "x"), "-ERR The command has no key arguments\r\n");              /* redis */
    EQ(R2("COMMAND", "GETKEYS", "nosuch", "x"), "-ERR Invalid command specified\r\n");                   /* redis */
    EQ(R2("COMMAND", "GETKEYS", "get", "a", "b"), "-ERR Invalid number of arguments specified for command\r\n");
    EQ(R2("COMMAND", "GETKEYS", "client", "list"), "-ERR The command has no key arguments\r\n");        /* redis */
    EQ(R2("COMMAND", "GETKEYS", "mset", "a", "b", "c", "d"), "*2\r\n$1\r\na\r\n$1\r\nc\r\n");            /* redis */
    EQ(R2("COMMAND", "GETKEYS", "mset", "a", "b", "c"), "*2\r\n$1\r\na\r\n$1\r\nc\r\n");                 /* redis */
    EQ(R2("COMMAND", "GETKEYSANDFLAGS", "get", "a"), "*1\r\n*2\r\n$1\r\na\r\n*2\r\n+RO\r\n+access\r\n"); /* redis */
    EQ(R3("COMMAND", "GETKEYSANDFLAGS", "get", "a"), "*1\r\n*2\r\n$1\r\na\r\n~2\r\n+RO\r\n+access\r\n");
}

#define INVALID_ARGS "-ERR Invalid arguments specified for command\r\n"

/* The numkeys commands: every one by its keynum spec, then the errors and
 * the odd numkeys Redis reads in its own way (all checked against redis). */
static void test_command_getkeys_numkeys(void **state)
{
    fixture_t *f = *state;
    EQ(R2("COMMAND", "GETKEYS", "zunionstore", "d", "2", "a", "b"), "*3\r\n$1\r\nd\r\n$1\r\na\r\n$1\r\nb\r\n");
    EQ(R2("COMMAND", "GETKEYS", "zinterstore", "d", "1", "a", "b"), "*2\r\n$1\r\nd\r\n$1\r\na\r\n");
    EQ(R2("COMMAND", "GETKEYS", "zdiffstore", "d", "3", "a", "b", "c"),
       "*4\r\n$1\r\nd\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
    EQ(R2("COMMAND", "GETKEYS", "zunion", "2", "a", "b", "WITHSCORES"), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    EQ(R2("COMMAND", "GETKEYS", "zinter", "1", "a"), "*1\r\n$1\r\na\r\n");
    EQ(R2("COMMAND", "GETKEYS", "zdiff", "2", "a", "b"), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    EQ(R2("COMMAND", "GETKEYS", "zintercard", "2", "a", "b", "LIMIT", "1"), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    EQ(R2("COMMAND", "GETKEYS", "sintercard", "1", "a"), "*1\r\n$1\r\na\r\n");
    EQ(R2("COMMAND", "GETKEYS", "lmpop", "2", "a", "b", "LEFT"), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    EQ(R2("COMMAND", "GETKEYS", "blmpop", "0", "2", "a", "b", "RIGHT"), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    EQ(R2("COMMAND", "GETKEYS", "zmpop", "1", "a", "MIN"), "*1\r\n$1\r\na\r\n");
    EQ(R2("COMMAND", "GETKEYS", "bzmpop", "0", "1", "a", "MAX"), "*1\r\n$1\r\na\r\n");
    /* errors: no keys, a negative count, more keys than arguments */
    EQ(R2("COMMAND", "GETKEYS", "zunionstore", "d", "0", "a"), INVALID_ARGS);
    EQ(R2("COMMAND", "GETKEYS", "zunionstore", "d", "-1", "a"), INVALID_ARGS);
    EQ(R2("COMMAND", "GETKEYS", "zunionstore", "d", "3", "a", "b"), INVALID_ARGS);
    EQ(R2("COMMAND", "GETKEYS", "lmpop", "4", "a", "b", "LEFT"), INVALID_ARGS);
    EQ(R2("COMMAND", "GETKEYS", "zunion", "9223372036854775808", "a", "b"), INVALID_ARGS);
    /* the spec takes whatever fits: the direction becomes a key */
    EQ(R2("COMMAND", "GETKEYS", "lmpop", "3", "a", "b", "LEFT"), "*3\r\n$1\r\na\r\n$1\r\nb\r\n$4\r\nLEFT\r\n");
    /* the count truncated to an int: 4294967297 is 1 */
    EQ(R2("COMMAND", "GETKEYS", "lmpop", "4294967297", "a", "b", "LEFT"), "*1\r\n$1\r\na\r\n");
    /* the spec's flags; Redis's own key finder (atoi: "02", "2x") has none
     * and puts the destination last */
    EQ(R2("COMMAND", "GETKEYSANDFLAGS", "zunionstore", "d", "2", "a", "b"),
       "*3\r\n*2\r\n$1\r\nd\r\n*2\r\n+OW\r\n+update\r\n*2\r\n$1\r\na\r\n*2\r\n+RO\r\n+access\r\n*2\r\n$1\r\nb\r\n"
       "*2\r\n+RO\r\n+access\r\n");
    EQ(R2("COMMAND", "GETKEYSANDFLAGS", "zunionstore", "d", "02", "a", "b"),
       "*3\r\n*2\r\n$1\r\na\r\n*0\r\n*2\r\n$1\r\nb\r\n*0\r\n*2\r\n$1\r\nd\r\n*0\r\n");
    EQ(R3("COMMAND", "GETKEYSANDFLAGS", "zunionstore", "d", "2x", "a", "b"),
       "*3\r\n*2\r\n$1\r\na\r\n~0\r\n*2\r\n$1\r\nb\r\n~0\r\n*2\r\n$1\r\nd\r\n~0\r\n");
    EQ(R2("COMMAND", "GETKEYSANDFLAGS", "blmpop", "0", "1", "a", "LEFT"),
       "*1\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n");
}

/* Flags that depend on the arguments (SET, BITFIELD) and commands with two
 * specs (all checked against redis). */
static void test_command_getkeys_flags(void **state)
{
    fixture_t *f = *state;
    EQ(R2("COMMAND", "GETKEYSANDFLAGS", "set", "k", "v"), "*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+OW\r\n+update\r\n");
    EQ(R2("COMMAND", "GETKEYSANDFLAGS", "set", "k", "v", "get"),
       "*1\r\n*2\r\n$1\r\nk\r\n*3\r\n+RW\r\n+access\r\n+update\r\n");
    EQ(R2("COMMAND", "GETKEYSANDFLAGS", "bitfield", "k", "get", "u8", "0"),
       "*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+RO\r\n+access\r\n");
    EQ(R2("COMMAND", "GETKEYSANDFLAGS", "bitfield", "k", "set", "u8", "0", "1"),
       "*1\r\n*2\r\n$1\r\nk\r\n*3\r\n+RW\r\n+access\r\n+update\r\n");
    EQ(R2("COMMAND", "GETKEYSANDFLAGS", "rename", "a", "b"),
       "*2\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n*2\r\n$1\r\nb\r\n*2\r\n+OW\r\n+update\r\n");
    EQ(R3("COMMAND", "GETKEYSANDFLAGS", "lmove", "a", "b", "left", "right"),
       "*2\r\n*2\r\n$1\r\na\r\n~3\r\n+RW\r\n+access\r\n+delete\r\n*2\r\n$1\r\nb\r\n~2\r\n+RW\r\n+insert\r\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_info_framing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_info_stats_resetstat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_list_kill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_info, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_docs_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_getkeys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_info_key_specs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_getkeys_numkeys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_getkeys_flags, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
