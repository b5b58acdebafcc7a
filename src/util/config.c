/* Configuration: the table of keys, and what is read straight off it.
 *
 * One table of keys is shared by the defaults, the file loader, the command
 * line and CONFIG GET. This file holds that table, the Redis names CONFIG GET
 * also answers to, the defaults, the rules that involve more than one key
 * (config_finalize) and CONFIG GET itself. The rest of the module:
 * config_value.c (checking and storing a value), config_file.c (the TOML
 * subset), config_cli.c (--name value); config_internal.h is what they share.
 *
 * The file format is a strict subset of TOML (see config.h and
 * docs/configuration.md). Values go through two steps: the parser (file) or
 * config_set (command line) turns text into a value_t, then cfg_set_key() checks
 * it against the key's type and range and stores it. Both paths therefore
 * produce the same messages for the same mistakes. */
#include "util/config.h"
#include "util/config_internal.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/glob.h"

/* ------------------------------------------------------------------------ */
/* The table of keys                                                         */
/* ------------------------------------------------------------------------ */

const char *const cfg_section_names[SEC_COUNT] = {"server", "cluster", "storage"};

#define FIELD(f) offsetof(config_t, f), sizeof(((config_t *)0)->f)

static const char *const follower_modes[] = {"proxy", "redirect", NULL};
static const char *const read_modes[] = {"readindex", "lease", NULL};
static const char *const log_levels[] = {"debug", "info", "warn", "error", NULL};

_Static_assert(sizeof(follower_mode_t) == sizeof(int), "enum stored as int");
_Static_assert(sizeof(read_mode_t) == sizeof(int), "enum stored as int");

const cfgkey_t cfg_keys[] = {
    /* [server] */
    {SEC_SERVER, "binding", T_STR, FIELD(binding), 0, 0, NULL, "127.0.0.1", F_NONEMPTY,
     "address the RESP port binds"},
    {SEC_SERVER, "port", T_INT, FIELD(port), 1, 65535, NULL, "7379", 0, "RESP port"},
    {SEC_SERVER, "http_port", T_INT, FIELD(http_port), 0, 65535, NULL, "0", 0,
     "admin HTTP port; 0 means port + 1000"},
    {SEC_SERVER, "admin_token", T_STR, FIELD(admin_token), 0, 0, NULL, "", F_SECRET,
     "bearer token the HTTP admin API requires for changes; empty allows them from loopback only"},
    {SEC_SERVER, "admin_token_for_reads", T_BOOL, FIELD(admin_token_for_reads), 0, 0, NULL, "false", 0,
     "require the admin token for the API's GET endpoints too"},
    {SEC_SERVER, "requirepass", T_STR, FIELD(requirepass), 0, 0, NULL, "", 0,
     "password clients must AUTH with; empty disables AUTH"},
    {SEC_SERVER, "maxclients", T_INT, FIELD(maxclients), 1, 1000000, NULL, "10000", F_RUNTIME,
     "maximum simultaneous client connections"},
    {SEC_SERVER, "proto_max_bulk_len", T_LL, FIELD(proto_max_bulk_len), 1, LLONG_MAX, NULL,
     "536870912", 0, "largest bulk string a client may send, in bytes"},
    {SEC_SERVER, "client_query_buffer_limit", T_LL, FIELD(client_query_buffer_limit), 1024,
     LLONG_MAX, NULL, "1073741824", 0, "largest unparsed input buffered per client, in bytes"},
    {SEC_SERVER, "max_inline_len", T_INT, FIELD(max_inline_len), 1, INT_MAX, NULL, "65536", 0,
     "longest inline (non-RESP) command line, in bytes"},
    {SEC_SERVER, "max_multibulk_len", T_INT, FIELD(max_multibulk_len), 1, INT_MAX, NULL, "1048576",
     0, "most arguments in one command"},
    {SEC_SERVER, "log_level", T_ENUM_STR, FIELD(log_level), 0, 0, log_levels, "info", 0,
     "least severe level logged"},
    {SEC_SERVER, "log_file", T_STR, FIELD(log_file), 0, 0, NULL, "", 0,
     "file the log is appended to; empty means stderr"},
    {SEC_SERVER, "slowlog_log_slower_than", T_LL, FIELD(slowlog_log_slower_than), -1, LLONG_MAX, NULL, "10000", F_RUNTIME,
     "commands whose execution takes at least this many microseconds go to SLOWLOG; -1 disables it"},
    {SEC_SERVER, "slowlog_max_len", T_INT, FIELD(slowlog_max_len), 0, 1000000, NULL, "128", F_RUNTIME,
     "entries SLOWLOG keeps (the newest)"},
    {SEC_SERVER, "active_expire_interval_ms", T_INT, FIELD(active_expire_interval_ms), 1, 3600000,
     NULL, "100", 0, "how often the leader looks for expired keys"},
    {SEC_SERVER, "active_expire_keys", T_INT, FIELD(active_expire_keys), 0, 1000000, NULL, "200", 0,
     "expired keys deleted per cycle at most; 0 disables active expiry"},

    /* [cluster] */
    {SEC_CLUSTER, "enabled", T_BOOL, FIELD(enabled), 0, 0, NULL, "false", 0,
     "run as a member of a raft cluster; false runs a single node"},
    {SEC_CLUSTER, "node_id", T_INT, FIELD(node_id), 1, INT_MAX, NULL, "1", 0,
     "which member of cluster.members this process is"},
    {SEC_CLUSTER, "members", T_MEMBERS, FIELD(members), 0, 0, NULL, "", 0,
     "the initial voters, as \"id:host:port\""},
    {SEC_CLUSTER, "data_dir", T_STR, FIELD(data_dir), 0, 0, NULL, "./data", F_NONEMPTY,
     "where data lives; a cluster node uses <data_dir>/node<id>"},
    {SEC_CLUSTER, "heartbeat_interval_ms", T_INT, FIELD(heartbeat_interval_ms), 1, 60000, NULL,
     "100", 0, "leader heartbeat period"},
    {SEC_CLUSTER, "election_timeout_min_ms", T_INT, FIELD(election_timeout_min_ms), 1, 600000, NULL,
     "1000", 0, "lower bound of the randomized election timeout"},
    {SEC_CLUSTER, "election_timeout_max_ms", T_INT, FIELD(election_timeout_max_ms), 1, 600000, NULL,
     "2000", 0, "upper bound of the randomized election timeout"},
    {SEC_CLUSTER, "request_timeout_ms", T_INT, FIELD(request_timeout_ms), 1, 3600000, NULL, "5000",
     0, "how long a client waits for a commit before getting an error"},
    {SEC_CLUSTER, "follower_mode", T_ENUM_INT, FIELD(follower_mode), 0, 0, follower_modes, "proxy",
     0, "what a follower does with writes: proxy them or redirect the client"},
    {SEC_CLUSTER, "read_mode", T_ENUM_INT, FIELD(read_mode), 0, 0, read_modes, "readindex", 0,
     "how the leader confirms leadership for reads"},
    {SEC_CLUSTER, "join", T_STR, FIELD(join), 0, 0, NULL, "", 0,
     "a member's HTTP address (host:port): a new node not in members asks it to be added"},
    {SEC_CLUSTER, "cluster_secret", T_STR, FIELD(cluster_secret), 0, 0, NULL, "", F_SECRET,
     "shared secret peers present to each other; empty disables the check"},

    /* [storage] */
    {SEC_STORAGE, "fsync", T_BOOL, FIELD(fsync), 0, 0, NULL, "true", 0,
     "sync the raft log to disk on every append"},
    {SEC_STORAGE, "cache_size_mb", T_INT, FIELD(cache_size_mb), 0, 1048576, NULL, "256", 0,
     "in-memory cache of recently used keys, in MB; 0 disables it"},
    {SEC_STORAGE, "block_cache_mb", T_INT, FIELD(block_cache_mb), 1, 1048576, NULL, "128", 0,
     "RocksDB's block cache (uncompressed data blocks read from disk), in MB"},
    {SEC_STORAGE, "log_segment_size", T_LL, FIELD(log_segment_size), 65536, 1LL << 32, NULL, "67108864", 0,
     "bytes per raft log segment file (preallocated; compaction deletes whole segments)"},
    {SEC_STORAGE, "snapshot_threshold", T_LL, FIELD(snapshot_threshold), 1, LLONG_MAX, NULL, "100000", 0,
     "log entries past the last snapshot that trigger a new snapshot and compaction"},
    {SEC_STORAGE, "snapshot_threshold_bytes", T_LL, FIELD(snapshot_threshold_bytes), 4096, LLONG_MAX, NULL,
     "67108864", 0, "log bytes that trigger a snapshot and compaction, whatever the entry count (the core holds them in memory)"},
    {SEC_STORAGE, "snapshot_trailing", T_LL, FIELD(snapshot_trailing), 0, LLONG_MAX, NULL, "5000", 0,
     "entries kept behind a snapshot for followers that are only a little behind"},
    {SEC_STORAGE, "snapshot_chunk_size", T_INT, FIELD(snapshot_chunk_size), 4096, 64 << 20, NULL, "1048576", 0,
     "bytes per chunk when a snapshot is sent to a follower"},
    {SEC_STORAGE, "snapshot_chunks_in_flight", T_INT, FIELD(snapshot_chunks_in_flight), 1, 64, NULL, "4", 0,
     "unacknowledged snapshot chunks a leader sends ahead"},
    {SEC_STORAGE, "snapshot_chunk_delay_ms", T_INT, FIELD(snapshot_chunk_delay_ms), 0, 600000, NULL, "0", 0,
     "pause before each snapshot chunk (tests use it to interrupt a transfer); 0 in production"},
};

const int cfg_nkeys = (int)(sizeof(cfg_keys) / sizeof(cfg_keys[0]));
_Static_assert(sizeof(cfg_keys) / sizeof(cfg_keys[0]) <= CFG_MAX_KEYS, "cli_set has 64 bits");
_Static_assert(CFG_MAX_KEYS <= sizeof(((config_t *)0)->cli_set) * CHAR_BIT, "a bit per key");

/* Names Redis clients and tools ask CONFIG GET for. A target names a key of
 * the table; otherwise value is a constant. */
static const struct {
    const char *name, *target, *value;
} aliases[] = {
    {"bind", "binding", NULL},
    {"proto-max-bulk-len", "proto_max_bulk_len", NULL},
    {"client-query-buffer-limit", "client_query_buffer_limit", NULL},
    {"slowlog-log-slower-than", "slowlog_log_slower_than", NULL},
    {"slowlog-max-len", "slowlog_max_len", NULL},
    {"appendonly", NULL, "yes"}, /* every write is durable in the raft log */
    {"save", NULL, ""},
    {"databases", NULL, "1"},
};

/* ------------------------------------------------------------------------ */
/* Lookups and errors, shared by the other config files                      */
/* ------------------------------------------------------------------------ */

/* All errors go through here so a NULL or empty err buffer is harmless. */
void cfg_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0) return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Finds a key by name within a section, or in any section when section < 0. */
const cfgkey_t *cfg_find_key(int section, const char *name, size_t len)
{
    for (int i = 0; i < cfg_nkeys; i++) {
        if (section >= 0 && cfg_keys[i].section != section) continue;
        if (strlen(cfg_keys[i].name) == len && memcmp(cfg_keys[i].name, name, len) == 0)
            return &cfg_keys[i];
    }
    return NULL;
}

/* The key's position in the table, which is also its bit in cli_set. */
int cfg_key_index(const cfgkey_t *k)
{
    return (int)(k - cfg_keys);
}

/* ------------------------------------------------------------------------ */
/* Defaults and the rules across keys                                        */
/* ------------------------------------------------------------------------ */

/* Defaults come from the table, through the same path as the command line,
 * so the table is the only place they are written down. */
void config_defaults(config_t *c)
{
    char msg[256];

    memset(c, 0, sizeof(*c));
    for (int i = 0; i < cfg_nkeys; i++) {
        value_t v;
        if (cfg_value_from_text(&cfg_keys[i], cfg_keys[i].def, &v) < 0 ||
            cfg_set_key(c, &cfg_keys[i], &v, true, msg, sizeof(msg)) < 0) {
            fprintf(stderr, "config: bad built-in default for %s: %s\n", cfg_keys[i].name, msg);
            abort();
        }
        cfg_value_free(&v);
    }
}

/* True when the key was given on the command line (its cli_set bit). */
static bool cli_given(const config_t *c, const char *name)
{
    const cfgkey_t *k = cfg_find_key(-1, name, strlen(name));
    return k && (c->cli_set & (1ULL << cfg_key_index(k)));
}

/* Rules that involve more than one key, and the values derived from them. */
int config_finalize(config_t *c, char *err, size_t errlen)
{
    if (c->election_timeout_min_ms >= c->election_timeout_max_ms) {
        cfg_seterr(err, errlen,
                   "election_timeout_min_ms (%d) must be less than election_timeout_max_ms (%d)",
                   c->election_timeout_min_ms, c->election_timeout_max_ms);
        return -1;
    }
    if (c->heartbeat_interval_ms >= c->election_timeout_min_ms) {
        cfg_seterr(err, errlen,
                   "heartbeat_interval_ms (%d) must be less than election_timeout_min_ms (%d)",
                   c->heartbeat_interval_ms, c->election_timeout_min_ms);
        return -1;
    }

    /* data_dir without trailing slashes ("/" stays usable as a prefix). */
    int dlen = (int)strlen(c->data_dir);
    while (dlen > 1 && c->data_dir[dlen - 1] == '/')
        dlen--;

    if (c->enabled) {
        /* A node outside the founding members joins a running cluster: it
         * says so with join, or (members empty) waits to be added by POST
         * /cluster/join; either way it never forms a cluster of its own. */
        const config_member_t *m = config_member(c, c->node_id);
        if (!m && c->nmembers > 0 && !c->join[0]) {
            cfg_seterr(err, errlen,
                       "node_id %d is not in cluster.members (a new node joining a running cluster needs "
                       "--join <a member's HTTP address>)",
                       c->node_id);
            return -1;
        }
        if (!m && c->nmembers == 0 && !c->join[0] && !cli_given(c, "port")) {
            cfg_seterr(err, errlen,
                       "cluster.enabled is true but cluster.members is empty (a node to be added with POST "
                       "/cluster/join needs --port)");
            return -1;
        }
        /* Same size buffers; memcpy because the compiler cannot see that
         * m points into c->members, not at c->binding. */
        if (m && !cli_given(c, "binding")) memcpy(c->binding, m->host, strlen(m->host) + 1);
        if (m && !cli_given(c, "port")) c->port = m->port;
        if (dlen == 1 && c->data_dir[0] == '/') dlen = 0;
        snprintf(c->node_dir, sizeof(c->node_dir), "%.*s/node%d", dlen, c->data_dir, c->node_id);
    } else {
        snprintf(c->node_dir, sizeof(c->node_dir), "%.*s", dlen, c->data_dir);
    }

    if (c->http_port == 0) {
        if (c->port + 1000 > 65535) {
            cfg_seterr(err, errlen,
                       "http_port defaults to port + 1000 = %d, which is above 65535; "
                       "set http_port explicitly",
                       c->port + 1000);
            return -1;
        }
        c->http_port = c->port + 1000;
    }
    if (c->http_port == c->port) {
        cfg_seterr(err, errlen, "http_port (%d) must differ from port", c->http_port);
        return -1;
    }
    return 0;
}

/* Looks up a member by id; NULL if absent. */
const config_member_t *config_member(const config_t *c, int id)
{
    for (int i = 0; i < c->nmembers; i++)
        if (c->members[i].id == id) return &c->members[i];
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* CONFIG GET                                                                */
/* ------------------------------------------------------------------------ */

/* Where key k's value lives in a read-only config. */
static const void *cfield(const config_t *c, const cfgkey_t *k)
{
    return (const char *)c + k->off;
}

/* Renders a key's current value the way it would be typed on the command
 * line, so CONFIG GET output can be fed back as --name value. */
static void format_value(const config_t *c, const cfgkey_t *k, char *buf, size_t buflen)
{
    switch (k->type) {
    case T_STR:
    case T_ENUM_STR:
        if ((k->flags & F_SECRET) && ((const char *)cfield(c, k))[0])
            snprintf(buf, buflen, "(hidden)");
        else
            snprintf(buf, buflen, "%s", (const char *)cfield(c, k));
        break;
    case T_INT:
        snprintf(buf, buflen, "%d", *(const int *)cfield(c, k));
        break;
    case T_LL:
        snprintf(buf, buflen, "%lld", *(const long long *)cfield(c, k));
        break;
    case T_BOOL:
        snprintf(buf, buflen, "%s", *(const bool *)cfield(c, k) ? "true" : "false");
        break;
    case T_ENUM_INT: {
        int idx = *(const int *)cfield(c, k), n = 0;
        while (k->choices[n])
            n++;
        snprintf(buf, buflen, "%s", idx >= 0 && idx < n ? k->choices[idx] : "");
        break;
    }
    case T_MEMBERS: {
        size_t n = 0;
        buf[0] = '\0';
        for (int i = 0; i < c->nmembers && n < buflen; i++) {
            const config_member_t *m = &c->members[i];
            const char *fmt = strchr(m->host, ':') ? "%s%d:[%s]:%d" : "%s%d:%s:%d";
            n += (size_t)snprintf(buf + n, buflen - n, fmt, i ? "," : "", m->id, m->host, m->port);
        }
        break;
    }
    }
}

/* CONFIG GET: our keys by their file names, then the Redis names clients
 * ask for. The pattern is matched without regard to case, as Redis does. */
void config_foreach(const config_t *c, const char *pattern,
                    void (*fn)(void *ud, const char *name, const char *value), void *ud)
{
    char buf[CONFIG_MAX_MEMBERS * (CONFIG_HOST_MAX + 32) + 16];
    size_t plen = strlen(pattern);

    for (int i = 0; i < cfg_nkeys; i++) {
        if (!glob_match(pattern, plen, cfg_keys[i].name, strlen(cfg_keys[i].name), 1)) continue;
        format_value(c, &cfg_keys[i], buf, sizeof(buf));
        fn(ud, cfg_keys[i].name, buf);
    }
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
        if (!glob_match(pattern, plen, aliases[i].name, strlen(aliases[i].name), 1)) continue;
        if (aliases[i].target) {
            const cfgkey_t *k = cfg_find_key(-1, aliases[i].target, strlen(aliases[i].target));
            format_value(c, k, buf, sizeof(buf));
            fn(ud, aliases[i].name, buf);
        } else {
            fn(ud, aliases[i].name, aliases[i].value);
        }
    }
}

static bool strict_ll(const char *s, long long *out)
{
    size_t len = strlen(s), i = 0;
    bool neg = false;
    if (len == 0 || len > 20) return false;
    if (len == 1 && s[0] == '0') {
        *out = 0;
        return true;
    }
    if (s[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i >= len || s[i] < '1' || s[i] > '9') return false;
    unsigned long long v = 0;
    for (; i < len; i++) {
        if (!is_digit(s[i])) return false;
        unsigned long long d = (unsigned long long)(s[i] - '0');
        if (v > (ULLONG_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    if (neg ? v > (unsigned long long)LLONG_MAX + 1 : v > (unsigned long long)LLONG_MAX) return false;
    *out = neg ? (long long)(0 - v) : (long long)v;
    return true;
}

/* CONFIG SET: Redis's name or ours for a key CONFIG SET may change; its
 * value checked as Redis checks an integer. value NULL checks the name. */
int config_set_runtime(config_t *c, const char *name, const char *value, char *err, size_t errlen)
{
    char norm[64];
    size_t len = strlen(name);
    const cfgkey_t *k = NULL;
    bool alias = false;
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (strcasecmp(aliases[i].name, name) == 0) {
            alias = true;
            if (aliases[i].target) k = cfg_find_key(-1, aliases[i].target, strlen(aliases[i].target));
        }
    if (!alias && len < sizeof(norm)) {
        for (size_t i = 0; i <= len; i++)
            norm[i] = name[i] == '-' ? '_' : (char)tolower((unsigned char)name[i]);
        k = cfg_find_key(-1, norm, len);
    }
    if (!alias && !k) {
        cfg_seterr(err, errlen, "unknown");
        return CONFIG_SET_UNKNOWN;
    }
    if (!k || !(k->flags & F_RUNTIME) || (k->type != T_INT && k->type != T_LL)) {
        cfg_seterr(err, errlen, "can't set immutable config");
        return CONFIG_SET_IMMUTABLE;
    }
    if (!value) return 0; /* the name alone was asked about */
    /* integers only, for now: as Redis reads them (string2ll: no sign but
     * '-', no leading zero, no "-0", no blanks) and words its refusals */
    long long v;
    if (!strict_ll(value, &v)) {
        cfg_seterr(err, errlen, "argument couldn't be parsed into an integer");
        return CONFIG_SET_BAD_VALUE;
    }
    if (v < k->min || v > k->max) {
        cfg_seterr(err, errlen, "argument must be between %lld and %lld inclusive", k->min, k->max);
        return CONFIG_SET_BAD_VALUE;
    }
    if (k->type == T_INT)
        *(int *)((char *)c + k->off) = (int)v;
    else
        *(long long *)((char *)c + k->off) = v;
    return 0;
}

/* Whether two names CONFIG SET accepts are the same key ("slowlog-max-len",
 * "slowlog_max_len"). */
bool config_same_key(const char *a, const char *b)
{
    char x[64], y[64];
    size_t la = strlen(a), lb = strlen(b);
    if (la >= sizeof(x) || lb >= sizeof(y) || la != lb) return strcasecmp(a, b) == 0;
    for (size_t i = 0; i <= la; i++) {
        x[i] = a[i] == '-' ? '_' : (char)tolower((unsigned char)a[i]);
        y[i] = b[i] == '-' ? '_' : (char)tolower((unsigned char)b[i]);
    }
    return strcmp(x, y) == 0;
}
