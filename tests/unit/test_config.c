/* Unit tests for src/util/config.c: defaults, the TOML-subset parser with
 * every error message, command-line overrides, finalize rules, CONFIG GET,
 * and the shipped conf/cluster.conf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/config.h"

static char tmpdir[64];
static char tmpconf[128];

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/redraft-test-config-XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    snprintf(tmpconf, sizeof(tmpconf), "%s/t.conf", tmpdir);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    unlink(tmpconf);
    return rmdir(tmpdir);
}

/* Path of a file in the source tree: tests normally run from the project
 * root; REDRAFT_ROOT overrides. */
static void root_path(char *buf, size_t len, const char *rel)
{
    const char *root = getenv("REDRAFT_ROOT");
    snprintf(buf, len, "%s%s%s", root ? root : "", root ? "/" : "", rel);
}

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Writes text to the scratch file and loads it over c. */
static int load_bytes(config_t *c, const char *text, size_t len, char *err, size_t errlen)
{
    write_file(tmpconf, text, len);
    int rc = config_load_file(c, tmpconf, err, errlen);
    unlink(tmpconf);
    return rc;
}

static int load_text(config_t *c, const char *text, char *err, size_t errlen)
{
    return load_bytes(c, text, strlen(text), err, errlen);
}

static char *read_whole(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* ---- defaults ------------------------------------------------------------ */

static void test_defaults(void **state)
{
    (void)state;
    config_t c;
    config_defaults(&c);
    assert_int_equal(c.port, 7379);
    assert_string_equal(c.binding, "127.0.0.1");
    assert_int_equal(c.http_port, 0);
    assert_string_equal(c.requirepass, "");
    assert_int_equal(c.maxclients, 10000);
    assert_true(c.proto_max_bulk_len == 512LL * 1024 * 1024);
    assert_true(c.client_query_buffer_limit == 1024LL * 1024 * 1024);
    assert_int_equal(c.max_inline_len, 65536);
    assert_int_equal(c.max_multibulk_len, 1048576);
    assert_string_equal(c.log_level, "info");
    assert_string_equal(c.log_file, "");
    assert_int_equal(c.active_expire_interval_ms, 100);
    assert_int_equal(c.active_expire_keys, 200);
    assert_false(c.enabled);
    assert_int_equal(c.node_id, 1);
    assert_int_equal(c.nmembers, 0);
    assert_string_equal(c.data_dir, "./data");
    assert_int_equal(c.heartbeat_interval_ms, 100);
    assert_int_equal(c.election_timeout_min_ms, 1000);
    assert_int_equal(c.election_timeout_max_ms, 2000);
    assert_int_equal(c.request_timeout_ms, 5000);
    assert_int_equal(c.follower_mode, FOLLOWER_PROXY);
    assert_int_equal(c.read_mode, READ_INDEX);
    assert_string_equal(c.cluster_secret, "");
    assert_true(c.fsync);
    assert_string_equal(c.config_file, "");
    assert_true(c.cli_set == 0);

    char err[256];
    assert_int_equal(config_finalize(&c, err, sizeof(err)), 0);
    assert_string_equal(c.node_dir, "./data");
    assert_int_equal(c.http_port, 8379);
    assert_int_equal(c.port, 7379);
}

/* ---- the shipped conf/cluster.conf --------------------------------------- */

static void check_node(int id, int port)
{
    char path[512], err[512], idbuf[16];
    config_t c;

    root_path(path, sizeof(path), "conf/cluster.conf");
    config_defaults(&c);
    snprintf(idbuf, sizeof(idbuf), "%d", id);
    /* Command line first, file second: the command line must still win. */
    assert_int_equal(config_set(&c, "node-id", idbuf, err, sizeof(err)), 0);
    if (config_load_file(&c, path, err, sizeof(err)) != 0) fail_msg("%s", err);
    assert_string_equal(c.config_file, path);
    assert_int_equal(config_finalize(&c, err, sizeof(err)), 0);
    assert_true(c.enabled);
    assert_int_equal(c.node_id, id);
    assert_int_equal(c.nmembers, 3);
    assert_int_equal(c.port, port);
    assert_int_equal(c.http_port, port + 1000);
    assert_string_equal(c.binding, "127.0.0.1");
    char dir[64];
    snprintf(dir, sizeof(dir), "./raft_data/node%d", id);
    assert_string_equal(c.node_dir, dir);
    assert_string_equal(c.data_dir, "./raft_data");
    assert_int_equal(c.heartbeat_interval_ms, 100);
    assert_int_equal(c.election_timeout_min_ms, 1000);
    assert_int_equal(c.election_timeout_max_ms, 2000);
    assert_true(c.proto_max_bulk_len == 536870912LL);
    assert_true(c.client_query_buffer_limit == 1073741824LL);
    assert_true(c.fsync);
}

static void test_cluster_conf_nodes(void **state)
{
    (void)state;
    check_node(1, 7379);
    check_node(2, 7380);
    check_node(3, 7381);

    /* A node id outside the member list is refused at finalize. */
    char path[512], err[512];
    config_t c;
    root_path(path, sizeof(path), "conf/cluster.conf");
    config_defaults(&c);
    assert_int_equal(config_load_file(&c, path, err, sizeof(err)), 0);
    assert_int_equal(config_set(&c, "node-id", "4", err, sizeof(err)), 0);
    assert_int_equal(config_finalize(&c, err, sizeof(err)), -1);
    assert_string_equal(err, "node_id 4 is not in cluster.members (a new node joining a running cluster needs --join <a member's HTTP address>)");
}

struct names {
    char list[64][64];
    char values[64][1024];
    int n;
};

static void collect(void *ud, const char *name, const char *value)
{
    struct names *ns = ud;
    assert_true(ns->n < 64);
    snprintf(ns->list[ns->n], sizeof(ns->list[0]), "%s", name);
    snprintf(ns->values[ns->n], sizeof(ns->values[0]), "%s", value);
    ns->n++;
}

static const char *lookup(const struct names *ns, const char *name)
{
    for (int i = 0; i < ns->n; i++)
        if (!strcmp(ns->list[i], name)) return ns->values[i];
    return NULL;
}

/* The table's own keys: CONFIG GET * minus the Redis compatibility names. */
static int is_alias(const char *name)
{
    return strchr(name, '-') || !strcmp(name, "bind") || !strcmp(name, "appendonly") ||
           !strcmp(name, "save") || !strcmp(name, "databases");
}

/* Every key in the table is present in conf/cluster.conf and documented in
 * docs/configuration.md, so neither can silently fall behind. */
static void test_every_key_shipped_and_documented(void **state)
{
    (void)state;
    char path[512];
    config_t c;
    struct names ns = {.n = 0};

    config_defaults(&c);
    config_foreach(&c, "*", collect, &ns);
    root_path(path, sizeof(path), "conf/cluster.conf");
    char *conf = read_whole(path);
    assert_non_null(conf);
    root_path(path, sizeof(path), "docs/configuration.md");
    char *doc = read_whole(path);
    assert_non_null(doc);

    int nkeys = 0;
    for (int i = 0; i < ns.n; i++) {
        char needle[128];
        if (is_alias(ns.list[i])) continue;
        nkeys++;
        snprintf(needle, sizeof(needle), "\n%s = ", ns.list[i]);
        if (!strstr(conf, needle)) fail_msg("key %s missing from conf/cluster.conf", ns.list[i]);
        snprintf(needle, sizeof(needle), "`%s`", ns.list[i]);
        if (!strstr(doc, needle)) fail_msg("key %s missing from docs/configuration.md", ns.list[i]);
    }
    assert_int_equal(nkeys, 39);
    free(conf);
    free(doc);
}

/* ---- parser: accepted syntax --------------------------------------------- */

static void test_parse_valid_syntax(void **state)
{
    (void)state;
    char err[512];
    config_t c;
    const char *text =
        "# leading comment\n"
        "\n"
        "  [server]   # trailing comment\n"
        "\tport=7400\n"
        "binding = \"a#b \\\"q\\\" \\\\ \\t\\u00e9\\U0001F600\" # comment with \"quotes\"\n"
        "maxclients = +1_000\n"
        "proto_max_bulk_len = 9_223_372_036_854_775_807\n"
        "log_level = \"DEBUG\"\n"
        "requirepass = \"\"\n"
        "active_expire_keys = 0\n"
        "[ cluster ]\n"
        "enabled = false\n"
        "members = [ \"1:a:1\" , \"2:[::1]:2\", ]   # trailing comma\n"
        "follower_mode = \"redirect\"\n"
        "read_mode = \"lease\"\n"
        "\n"
        "[storage]\n"
        "fsync = false\n";

    config_defaults(&c);
    if (load_text(&c, text, err, sizeof(err)) != 0) fail_msg("%s", err);
    assert_int_equal(c.port, 7400);
    assert_string_equal(c.binding, "a#b \"q\" \\ \t\xc3\xa9\xf0\x9f\x98\x80");
    assert_int_equal(c.maxclients, 1000);
    assert_true(c.proto_max_bulk_len == LLONG_MAX);
    assert_string_equal(c.log_level, "debug"); /* stored by its canonical name */
    assert_int_equal(c.active_expire_keys, 0);
    assert_false(c.enabled);
    assert_int_equal(c.nmembers, 2);
    assert_int_equal(c.members[0].id, 1);
    assert_string_equal(c.members[0].host, "a");
    assert_int_equal(c.members[0].port, 1);
    assert_int_equal(c.members[1].id, 2);
    assert_string_equal(c.members[1].host, "::1");
    assert_int_equal(c.members[1].port, 2);
    assert_int_equal(c.follower_mode, FOLLOWER_REDIRECT);
    assert_int_equal(c.read_mode, READ_LEASE);
    assert_false(c.fsync);
    assert_string_equal(c.config_file, tmpconf);

    /* CRLF line endings, an empty array, and a file with no final newline. */
    config_defaults(&c);
    const char *crlf = "[cluster]\r\nmembers = []\r\nnode_id = 3\r\n[server]\r\nport = 1";
    if (load_text(&c, crlf, err, sizeof(err)) != 0) fail_msg("%s", err);
    assert_int_equal(c.nmembers, 0);
    assert_int_equal(c.node_id, 3);
    assert_int_equal(c.port, 1);

    /* An empty file changes nothing but is fine. */
    config_defaults(&c);
    assert_int_equal(load_text(&c, "", err, sizeof(err)), 0);
    assert_int_equal(c.port, 7379);
}

/* ---- parser: every error, with its file:line message --------------------- */

struct bad_case {
    const char *text;
    const char *msg; /* expected err after "path:" */
};

static const struct bad_case bad_cases[] = {
    /* structure */
    {"[server]\nprot = 1\n", "2: unknown key 'prot' in section [server]"},
    {"[cluster]\nport = 1\n",
     "2: unknown key 'port' in section [cluster] (it belongs in [server])"},
    {"[server]\nport 7379\n", "2: expected '=' after key 'port'"},
    {"[server]\nport\n", "2: expected '=' after key 'port'"},
    {"[server]\nport: 7379\n", "2: expected '=' after key 'port'"},
    {"[foo]\n", "1: unknown section [foo]"},
    {"\n[server.x]\n", "2: unknown section [server.x]"},
    {"[server]\n[server]\n", "2: duplicate section [server] (first on line 1)"},
    {"[[server]]\n", "1: arrays of tables ([[...]]) are not supported"},
    {"[server\n", "1: expected ']' after section name"},
    {"[]\n", "1: empty section name"},
    {"[\"server\"]\n", "1: invalid section name"},
    {"[server] port = 1\n", "1: unexpected text after section header: 'port = 1'"},
    {"[server]\nport = 1\nport = 2\n",
     "3: duplicate key 'port' in section [server] (first set on line 2)"},
    {"port = 1\n", "1: key 'port' is outside any section (it belongs in [server])"},
    {"# c\nbogus = 1\n", "2: key 'bogus' is outside any section"},
    {"[server]\nserver.port = 1\n", "2: dotted keys are not supported; use a [section]"},
    {"[server]\n\"port\" = 1\n", "2: quoted keys are not supported"},
    {"[server]\n= 1\n", "2: expected a key, a [section] or a comment"},
    {"[server]\nport =\n", "2: missing value after '='"},
    {"[server]\nport = # nothing\n", "2: missing value after '='"},
    {"[server]\nport = 7379 garbage\n", "2: unexpected text after value: 'garbage'"},
    {"[server]\nport = 7379,\n", "2: unexpected text after value: ','"},
    {"[server]\nbinding = \"a\" \"b\"\n", "2: unexpected text after value: '\"b\"'"},
    {"[server]\nport = =\n", "2: unexpected '=' where a value was expected"},
    /* strings */
    {"[server]\nbinding = \"abc\n", "2: unterminated string"},
    {"[server]\nbinding = \"abc\\\"\n", "2: unterminated string"},
    {"[server]\nbinding = \"abc\\\n", "2: unterminated string"},
    {"[server]\nbinding = \"a\\qb\"\n", "2: invalid escape '\\q' in string"},
    {"[server]\nbinding = \"\\u12\"\n", "2: invalid \\u escape in string: expected 4 hex digits"},
    {"[server]\nbinding = \"\\U0000123\"\n",
     "2: invalid \\U escape in string: expected 8 hex digits"},
    {"[server]\nbinding = \"\\uD800\"\n", "2: invalid \\u escape in string: U+D800 is not allowed"},
    {"[server]\nbinding = \"\\U00110000\"\n",
     "2: invalid \\U escape in string: U+110000 is not allowed"},
    {"[server]\nbinding = \"\\u0000\"\n", "2: invalid \\u escape in string: U+0000 is not allowed"},
    {"[server]\nbinding = \"a\x01"
     "b\"\n",
     "2: control character 0x01 in string"},
    {"[server]\nbinding = 'x'\n", "2: single-quoted strings are not supported; use double quotes"},
    {"[server]\nbinding = \"\"\"x\"\"\"\n", "2: multi-line strings (\"\"\") are not supported"},
    {"[server]\nbinding = {a = 1}\n", "2: inline tables are not supported"},
    {"[server]\nbinding = 127.0.0.1\n", "2: value for 'binding' must be a string in double quotes"},
    {"[server]\nbinding = true\n", "2: value for 'binding' must be a string in double quotes"},
    {"[server]\nbinding = \"\"\n", "2: value for 'binding' must not be empty"},
    {"[cluster]\ndata_dir = \"\"\n", "2: value for 'data_dir' must not be empty"},
    /* integers */
    {"[server]\nport = 70000\n", "2: value for 'port' must be an integer between 1 and 65535"},
    {"[server]\nport = 0\n", "2: value for 'port' must be an integer between 1 and 65535"},
    {"[server]\nport = -1\n", "2: value for 'port' must be an integer between 1 and 65535"},
    {"[server]\nport = \"7379\"\n", "2: value for 'port' must be an integer between 1 and 65535"},
    {"[server]\nport = abc\n", "2: value for 'port' must be an integer between 1 and 65535"},
    {"[server]\nport = 1.5\n", "2: value for 'port' must be an integer between 1 and 65535"},
    {"[server]\nport = 0x1F\n", "2: value for 'port' must be an integer between 1 and 65535"},
    {"[server]\nport = true\n", "2: value for 'port' must be an integer between 1 and 65535"},
    {"[server]\nport = [\"1\"]\n", "2: value for 'port' must be an integer between 1 and 65535"},
    {"[server]\nport = 99999999999999999999\n",
     "2: value for 'port' must be an integer between 1 and 65535"},
    {"[server]\nport = 07379\n",
     "2: invalid integer '07379' for 'port' (leading zeros are not allowed)"},
    {"[server]\nport = 73__79\n",
     "2: invalid integer '73__79' for 'port' (an '_' must sit between digits)"},
    {"[server]\nport = 7379_\n",
     "2: invalid integer '7379_' for 'port' (an '_' must sit between digits)"},
    {"[server]\nport = +_7379\n", "2: value for 'port' must be an integer between 1 and 65535"},
    {"[server]\nproto_max_bulk_len = 9223372036854775808\n",
     "2: value for 'proto_max_bulk_len' must be an integer >= 1"},
    {"[server]\nclient_query_buffer_limit = 1023\n",
     "2: value for 'client_query_buffer_limit' must be an integer >= 1024"},
    {"[cluster]\nnode_id = 0\n",
     "2: value for 'node_id' must be an integer between 1 and 2147483647"},
    {"[cluster]\nnode_id = 2147483648\n",
     "2: value for 'node_id' must be an integer between 1 and 2147483647"},
    {"[server]\nhttp_port = 65536\n",
     "2: value for 'http_port' must be an integer between 0 and 65535"},
    /* booleans and enums */
    {"[cluster]\nenabled = \"yes\"\n", "2: value for 'enabled' must be true or false"},
    {"[cluster]\nenabled = yes\n", "2: value for 'enabled' must be true or false"},
    {"[cluster]\nenabled = True\n", "2: value for 'enabled' must be true or false"},
    {"[storage]\nfsync = 1\n", "2: value for 'fsync' must be true or false"},
    {"[cluster]\nfollower_mode = \"bogus\"\n",
     "2: value for 'follower_mode' must be one of \"proxy\", \"redirect\""},
    {"[cluster]\nread_mode = readindex\n",
     "2: value for 'read_mode' must be one of \"readindex\", \"lease\""},
    {"[server]\nlog_level = \"verbose\"\n",
     "2: value for 'log_level' must be one of \"debug\", \"info\", \"warn\", \"error\""},
    /* arrays and members */
    {"[cluster]\nmembers = [\"1:127.0.0.1\"]\n",
     "2: bad member \"1:127.0.0.1\": expected \"id:host:port\""},
    {"[cluster]\nmembers = [\"127.0.0.1\"]\n",
     "2: bad member \"127.0.0.1\": expected \"id:host:port\""},
    {"[cluster]\nmembers = [\"0:h:1\"]\n",
     "2: bad member \"0:h:1\": id must be an integer between 1 and 2147483647"},
    {"[cluster]\nmembers = [\"x:h:1\"]\n",
     "2: bad member \"x:h:1\": id must be an integer between 1 and 2147483647"},
    {"[cluster]\nmembers = [\"-1:h:1\"]\n",
     "2: bad member \"-1:h:1\": id must be an integer between 1 and 2147483647"},
    {"[cluster]\nmembers = [\"1:h:0\"]\n",
     "2: bad member \"1:h:0\": port must be an integer between 1 and 65535"},
    {"[cluster]\nmembers = [\"1:h:65536\"]\n",
     "2: bad member \"1:h:65536\": port must be an integer between 1 and 65535"},
    {"[cluster]\nmembers = [\"1:h:\"]\n",
     "2: bad member \"1:h:\": port must be an integer between 1 and 65535"},
    {"[cluster]\nmembers = [\"1::7379\"]\n", "2: bad member \"1::7379\": empty host"},
    {"[cluster]\nmembers = [\"1:a b:7379\"]\n",
     "2: bad member \"1:a b:7379\": invalid character in host"},
    {"[cluster]\nmembers = [\"1:h:1\", \"1:g:2\"]\n", "2: duplicate member id 1 in 'members'"},
    {"[cluster]\nmembers = [\"1:h:1\", \"2:h:1\"]\n",
     "2: duplicate member address h:1 in 'members'"},
    {"[cluster]\nmembers = \"1:h:1\"\n",
     "2: value for 'members' must be an array of \"id:host:port\" strings"},
    {"[cluster]\nmembers = [1, 2]\n", "2: arrays may only contain strings in double quotes"},
    {"[cluster]\nmembers = [[\"1:h:1\"]]\n", "2: arrays may only contain strings in double quotes"},
    {"[cluster]\nmembers = [\"1:h:1\",\n", "2: unterminated array (arrays must be on one line)"},
    {"[cluster]\nmembers = [\"1:h:1\" # c ]\n",
     "2: unterminated array (arrays must be on one line)"},
    {"[cluster]\nmembers = [\"1:h:1\" \"2:h:2\"]\n", "2: expected ',' or ']' in array"},
    {"[cluster]\nmembers = [,]\n", "2: arrays may only contain strings in double quotes"},
    {"[cluster]\nmembers = [\"1:h:1\"] x\n", "2: unexpected text after value: 'x'"},
};

static void test_parse_errors(void **state)
{
    (void)state;
    char err[512], want[768];

    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        config_t c, before;
        config_defaults(&c);
        memcpy(&before, &c, sizeof(c));
        if (load_text(&c, bad_cases[i].text, err, sizeof(err)) != -1)
            fail_msg("case %zu was accepted: %s", i, bad_cases[i].text);
        snprintf(want, sizeof(want), "%s:%s", tmpconf, bad_cases[i].msg);
        if (strcmp(err, want) != 0) fail_msg("case %zu:\n  got  %s\n  want %s", i, err, want);
        /* A bad file leaves the config exactly as it was. */
        assert_memory_equal(&c, &before, sizeof(c));
    }
}

static void test_parse_errors_special(void **state)
{
    (void)state;
    char err[512], want[768];
    config_t c;

    /* A string longer than its field. */
    char text[1024];
    char longhost[300];
    memset(longhost, 'h', 256);
    longhost[256] = '\0';
    snprintf(text, sizeof(text), "[server]\nbinding = \"%s\"\n", longhost);
    config_defaults(&c);
    assert_int_equal(load_text(&c, text, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s:2: value for 'binding' is too long (max 255 bytes)", tmpconf);
    assert_string_equal(err, want);
    longhost[255] = '\0'; /* exactly at the limit is fine */
    snprintf(text, sizeof(text), "[server]\nbinding = \"%s\"\n", longhost);
    assert_int_equal(load_text(&c, text, err, sizeof(err)), 0);
    assert_int_equal(strlen(c.binding), 255);

    /* Too many members. */
    size_t n = (size_t)snprintf(text, sizeof(text), "[cluster]\nmembers = [");
    for (int i = 1; i <= CONFIG_MAX_MEMBERS + 1; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "\"%d:h:%d\", ", i, 1000 + i);
    snprintf(text + n, sizeof(text) - n, "]\n");
    config_defaults(&c);
    assert_int_equal(load_text(&c, text, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s:2: too many members in 'members' (max 16)", tmpconf);
    assert_string_equal(err, want);

    /* A NUL byte inside a line. */
    config_defaults(&c);
    assert_int_equal(load_bytes(&c, "[server]\nport = 1\0\n", 19, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s:2: NUL byte in line", tmpconf);
    assert_string_equal(err, want);

    /* Missing file, and a directory. */
    char missing[256];
    snprintf(missing, sizeof(missing), "%s/nope.conf", tmpdir);
    assert_int_equal(config_load_file(&c, missing, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", missing);
    assert_string_equal(err, want);
    assert_int_equal(config_load_file(&c, tmpdir, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: read error: Is a directory", tmpdir);
    assert_string_equal(err, want);

    /* A tiny err buffer is truncated, never overflowed. */
    char small[8];
    assert_int_equal(config_load_file(&c, missing, small, sizeof(small)), -1);
    assert_int_equal(strlen(small), 7);
    assert_int_equal(config_load_file(&c, missing, NULL, 0), -1);
}

/* ---- command line --------------------------------------------------------- */

static void test_config_set(void **state)
{
    (void)state;
    char err[512];
    config_t c;
    config_defaults(&c);

    assert_int_equal(config_set(&c, "port", "7400", err, sizeof(err)), 0);
    assert_int_equal(c.port, 7400);
    assert_int_equal(config_set(&c, "node-id", "2", err, sizeof(err)), 0);
    assert_int_equal(c.node_id, 2);
    assert_int_equal(config_set(&c, "node_id", "3", err, sizeof(err)), 0);
    assert_int_equal(c.node_id, 3);
    assert_int_equal(config_set(&c, "cluster.node-id", "4", err, sizeof(err)), 0);
    assert_int_equal(c.node_id, 4);
    assert_int_equal(config_set(&c, "--data_dir", "/tmp/x", err, sizeof(err)), 0);
    assert_string_equal(c.data_dir, "/tmp/x");
    assert_int_equal(config_set(&c, "Data-Dir", "/tmp/y", err, sizeof(err)), 0);
    assert_string_equal(c.data_dir, "/tmp/y");
    assert_int_equal(config_set(&c, "cluster.members", "1:h:1, 2:h:2 ,3:[::1]:3", err, sizeof(err)),
                     0);
    assert_int_equal(c.nmembers, 3);
    assert_string_equal(c.members[0].host, "h");
    assert_int_equal(c.members[1].id, 2);
    assert_int_equal(c.members[1].port, 2);
    assert_string_equal(c.members[2].host, "::1");
    assert_int_equal(config_set(&c, "members", "", err, sizeof(err)), 0);
    assert_int_equal(c.nmembers, 0);
    assert_int_equal(config_set(&c, "bind", "0.0.0.0", err, sizeof(err)), 0);
    assert_string_equal(c.binding, "0.0.0.0");
    assert_int_equal(config_set(&c, "server.binding", "10.0.0.1", err, sizeof(err)), 0);
    assert_string_equal(c.binding, "10.0.0.1");
    assert_int_equal(config_set(&c, "proto-max-bulk-len", "1_048_576", err, sizeof(err)), 0);
    assert_true(c.proto_max_bulk_len == 1048576);
    assert_int_equal(config_set(&c, "enabled", "yes", err, sizeof(err)), 0);
    assert_true(c.enabled);
    assert_int_equal(config_set(&c, "cluster.enabled", "false", err, sizeof(err)), 0);
    assert_false(c.enabled);
    assert_int_equal(config_set(&c, "storage.fsync", "NO", err, sizeof(err)), 0);
    assert_false(c.fsync);
    assert_int_equal(config_set(&c, "follower-mode", "REDIRECT", err, sizeof(err)), 0);
    assert_int_equal(c.follower_mode, FOLLOWER_REDIRECT);
    assert_int_equal(config_set(&c, "read_mode", "lease", err, sizeof(err)), 0);
    assert_int_equal(c.read_mode, READ_LEASE);
    assert_int_equal(config_set(&c, "log-level", "warn", err, sizeof(err)), 0);
    assert_string_equal(c.log_level, "warn");
    assert_int_equal(config_set(&c, "requirepass", "s3cr3t with spaces", err, sizeof(err)), 0);
    assert_string_equal(c.requirepass, "s3cr3t with spaces");
    assert_int_equal(config_set(&c, "requirepass", "", err, sizeof(err)), 0);
    assert_string_equal(c.requirepass, "");
}

struct set_case {
    const char *name, *value, *msg;
};

static const struct set_case set_errors[] = {
    {"xyz", "1", "unknown option '--xyz'"},
    {"--xyz", "1", "unknown option '--xyz'"},
    {"cluster.port", "1", "unknown option '--cluster.port'"},
    {"foo.port", "1", "unknown option '--foo.port'"},
    {"", "1", "unknown option '--'"},
    {"port", "70000", "--port: value for 'port' must be an integer between 1 and 65535"},
    {"port", "", "--port: value for 'port' must be an integer between 1 and 65535"},
    {"port", "12ab", "--port: value for 'port' must be an integer between 1 and 65535"},
    {"port", "007", "--port: invalid integer '007' for 'port' (leading zeros are not allowed)"},
    {"node-id", "0", "--node-id: value for 'node_id' must be an integer between 1 and 2147483647"},
    {"enabled", "maybe", "--enabled: value for 'enabled' must be true or false"},
    {"binding", "", "--binding: value for 'binding' must not be empty"},
    {"read-mode", "fast",
     "--read-mode: value for 'read_mode' must be one of \"readindex\", \"lease\""},
    {"cluster.members", "1:h", "--cluster.members: bad member \"1:h\": expected \"id:host:port\""},
    {"members", "1:h:1,", "--members: bad member \"\": expected \"id:host:port\""},
    {"members", "1:h:1,1:g:2", "--members: duplicate member id 1 in 'members'"},
};

static void test_config_set_errors(void **state)
{
    (void)state;
    char err[512];

    for (size_t i = 0; i < sizeof(set_errors) / sizeof(set_errors[0]); i++) {
        config_t c, before;
        config_defaults(&c);
        memcpy(&before, &c, sizeof(c));
        assert_int_equal(config_set(&c, set_errors[i].name, set_errors[i].value, err, sizeof(err)),
                         -1);
        if (strcmp(err, set_errors[i].msg) != 0)
            fail_msg("case %zu:\n  got  %s\n  want %s", i, err, set_errors[i].msg);
        assert_memory_equal(&c, &before, sizeof(c));
    }
}

/* The command line wins over the file whichever is applied first. */
static void test_cli_wins_over_file(void **state)
{
    (void)state;
    char err[512];
    config_t c;

    config_defaults(&c);
    assert_int_equal(config_set(&c, "port", "7400", err, sizeof(err)), 0);
    assert_int_equal(load_text(&c, "[server]\nport = 7500\nmaxclients = 5\n", err, sizeof(err)), 0);
    assert_int_equal(c.port, 7400);
    assert_int_equal(c.maxclients, 5);

    /* The shadowed file value is still checked. */
    assert_int_equal(load_text(&c, "[server]\nport = 0\n", err, sizeof(err)), -1);

    config_defaults(&c);
    assert_int_equal(load_text(&c, "[server]\nport = 7500\n", err, sizeof(err)), 0);
    assert_int_equal(config_set(&c, "port", "7400", err, sizeof(err)), 0);
    assert_int_equal(c.port, 7400);
}

/* ---- finalize ------------------------------------------------------------- */

static void cluster3(config_t *c)
{
    char err[256];
    config_defaults(c);
    assert_int_equal(config_set(c, "enabled", "true", err, sizeof(err)), 0);
    assert_int_equal(config_set(c, "members", "1:10.0.0.1:7001,2:10.0.0.2:7002,3:10.0.0.3:7003",
                                err, sizeof(err)),
                     0);
    c->cli_set = 0; /* as if these came from the file */
}

static void test_finalize_cluster(void **state)
{
    (void)state;
    char err[256];
    config_t c;

    cluster3(&c);
    c.node_id = 2;
    snprintf(c.data_dir, sizeof(c.data_dir), "/var/lib/redraft///");
    assert_int_equal(config_finalize(&c, err, sizeof(err)), 0);
    assert_string_equal(c.binding, "10.0.0.2");
    assert_int_equal(c.port, 7002);
    assert_int_equal(c.http_port, 8002);
    assert_string_equal(c.node_dir, "/var/lib/redraft/node2");
    assert_int_equal(config_member(&c, 3)->port, 7003);
    assert_null(config_member(&c, 4));

    /* Explicit --binding / --port survive; explicit http_port too. */
    cluster3(&c);
    assert_int_equal(config_set(&c, "binding", "0.0.0.0", err, sizeof(err)), 0);
    assert_int_equal(config_finalize(&c, err, sizeof(err)), 0);
    assert_string_equal(c.binding, "0.0.0.0");
    assert_int_equal(c.port, 7001);

    cluster3(&c);
    assert_int_equal(config_set(&c, "port", "9000", err, sizeof(err)), 0);
    assert_int_equal(config_set(&c, "http-port", "9999", err, sizeof(err)), 0);
    assert_int_equal(config_finalize(&c, err, sizeof(err)), 0);
    assert_string_equal(c.binding, "10.0.0.1");
    assert_int_equal(c.port, 9000);
    assert_int_equal(c.http_port, 9999);

    /* data_dir "/" gives "/node1", not "//node1". */
    cluster3(&c);
    snprintf(c.data_dir, sizeof(c.data_dir), "/");
    assert_int_equal(config_finalize(&c, err, sizeof(err)), 0);
    assert_string_equal(c.node_dir, "/node1");

    cluster3(&c);
    c.node_id = 4;
    assert_int_equal(config_finalize(&c, err, sizeof(err)), -1);
    assert_string_equal(err, "node_id 4 is not in cluster.members (a new node joining a running cluster needs --join <a member's HTTP address>)");

    config_defaults(&c);
    c.enabled = true;
    assert_int_equal(config_finalize(&c, err, sizeof(err)), -1);
    assert_string_equal(err, "cluster.enabled is true but cluster.members is empty (a node to be added with POST "
                             "/cluster/join needs --port)");

    /* a node outside the members joins: with join, or members empty and a port */
    cluster3(&c);
    c.node_id = 4;
    snprintf(c.join, sizeof(c.join), "127.0.0.1:8379");
    assert_int_equal(config_set(&c, "port", "7382", err, sizeof(err)), 0);
    assert_int_equal(config_finalize(&c, err, sizeof(err)), 0);
    assert_int_equal(c.port, 7382);
    assert_int_equal(c.http_port, 8382);
    assert_string_equal(c.node_dir, "./data/node4");
    config_defaults(&c);
    c.enabled = true;
    c.node_id = 5;
    assert_int_equal(config_set(&c, "port", "7383", err, sizeof(err)), 0);
    assert_int_equal(config_finalize(&c, err, sizeof(err)), 0);
    assert_int_equal(c.port, 7383);
}

static void test_finalize_rules(void **state)
{
    (void)state;
    char err[256];
    config_t c;

    /* Not a cluster: node_dir is data_dir, members are ignored. */
    config_defaults(&c);
    snprintf(c.data_dir, sizeof(c.data_dir), "/tmp/d/");
    assert_int_equal(config_set(&c, "members", "5:h:1", err, sizeof(err)), 0);
    assert_int_equal(config_finalize(&c, err, sizeof(err)), 0);
    assert_string_equal(c.node_dir, "/tmp/d");
    assert_int_equal(c.port, 7379);

    config_defaults(&c);
    c.election_timeout_min_ms = 2000;
    assert_int_equal(config_finalize(&c, err, sizeof(err)), -1);
    assert_string_equal(
        err, "election_timeout_min_ms (2000) must be less than election_timeout_max_ms (2000)");

    config_defaults(&c);
    c.heartbeat_interval_ms = 1000;
    assert_int_equal(config_finalize(&c, err, sizeof(err)), -1);
    assert_string_equal(
        err, "heartbeat_interval_ms (1000) must be less than election_timeout_min_ms (1000)");

    config_defaults(&c);
    c.port = 65000;
    assert_int_equal(config_finalize(&c, err, sizeof(err)), -1);
    assert_string_equal(err, "http_port defaults to port + 1000 = 66000, which is above 65535; "
                             "set http_port explicitly");
    c.http_port = 65001;
    assert_int_equal(config_finalize(&c, err, sizeof(err)), 0);

    config_defaults(&c);
    c.http_port = 7379;
    assert_int_equal(config_finalize(&c, err, sizeof(err)), -1);
    assert_string_equal(err, "http_port (7379) must differ from port");

    /* Finalizing twice is harmless. */
    config_defaults(&c);
    assert_int_equal(config_finalize(&c, err, sizeof(err)), 0);
    assert_int_equal(config_finalize(&c, err, sizeof(err)), 0);
    assert_int_equal(c.http_port, 8379);
}

/* ---- CONFIG GET ----------------------------------------------------------- */

static void test_foreach(void **state)
{
    (void)state;
    char err[256];
    config_t c;
    struct names ns = {.n = 0};

    config_defaults(&c);
    assert_int_equal(config_set(&c, "members", "1:a:1,2:::1:2", err, sizeof(err)), 0);
    assert_int_equal(config_finalize(&c, err, sizeof(err)), 0);

    config_foreach(&c, "*", collect, &ns);
    assert_int_equal(ns.n, 39 + 8);
    assert_string_equal(lookup(&ns, "port"), "7379");
    assert_string_equal(lookup(&ns, "slowlog-log-slower-than"), "10000");
    assert_string_equal(lookup(&ns, "slowlog_max_len"), "128");
    assert_string_equal(lookup(&ns, "http_port"), "8379");
    assert_string_equal(lookup(&ns, "binding"), "127.0.0.1");
    assert_string_equal(lookup(&ns, "bind"), "127.0.0.1");
    assert_string_equal(lookup(&ns, "maxclients"), "10000");
    assert_string_equal(lookup(&ns, "proto-max-bulk-len"), "536870912");
    assert_string_equal(lookup(&ns, "proto_max_bulk_len"), "536870912");
    assert_string_equal(lookup(&ns, "client-query-buffer-limit"), "1073741824");
    assert_string_equal(lookup(&ns, "requirepass"), "");
    assert_string_equal(lookup(&ns, "appendonly"), "yes");
    assert_string_equal(lookup(&ns, "save"), "");
    assert_string_equal(lookup(&ns, "databases"), "1");
    assert_string_equal(lookup(&ns, "enabled"), "false");
    assert_string_equal(lookup(&ns, "fsync"), "true");
    assert_string_equal(lookup(&ns, "follower_mode"), "proxy");
    assert_string_equal(lookup(&ns, "read_mode"), "readindex");
    assert_string_equal(lookup(&ns, "log_level"), "info");
    assert_string_equal(lookup(&ns, "members"), "1:a:1,2:[::1]:2");
    assert_string_equal(lookup(&ns, "cluster_secret"), "");
    assert_null(lookup(&ns, "node_dir"));

    /* Every name appears once. */
    for (int i = 0; i < ns.n; i++)
        for (int j = i + 1; j < ns.n; j++)
            assert_string_not_equal(ns.list[i], ns.list[j]);

    /* The members value round-trips through the command line. */
    config_t d;
    config_defaults(&d);
    assert_int_equal(config_set(&d, "members", lookup(&ns, "members"), err, sizeof(err)), 0);
    assert_int_equal(d.nmembers, 2);
    assert_string_equal(d.members[1].host, "::1");

    /* Case-insensitive glob. */
    ns.n = 0;
    config_foreach(&c, "PORT", collect, &ns);
    assert_int_equal(ns.n, 1);
    assert_string_equal(ns.list[0], "port");

    ns.n = 0;
    config_foreach(&c, "*port*", collect, &ns);
    assert_int_equal(ns.n, 2);
    assert_string_equal(ns.list[0], "port");
    assert_string_equal(ns.list[1], "http_port");

    ns.n = 0;
    config_foreach(&c, "nosuchkey", collect, &ns);
    assert_int_equal(ns.n, 0);

    /* The cluster secret is never shown. */
    assert_int_equal(config_set(&c, "cluster-secret", "xyzzy", err, sizeof(err)), 0);
    ns.n = 0;
    config_foreach(&c, "cluster_secret", collect, &ns);
    assert_int_equal(ns.n, 1);
    assert_string_equal(ns.values[0], "(hidden)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_cluster_conf_nodes),
        cmocka_unit_test(test_every_key_shipped_and_documented),
        cmocka_unit_test(test_parse_valid_syntax),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_errors_special),
        cmocka_unit_test(test_config_set),
        cmocka_unit_test(test_config_set_errors),
        cmocka_unit_test(test_cli_wins_over_file),
        cmocka_unit_test(test_finalize_cluster),
        cmocka_unit_test(test_finalize_rules),
        cmocka_unit_test(test_foreach),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
