/* Configuration: defaults, the TOML subset of conf/cluster.conf, command-line
 * overrides, and the derived per-node values.
 *
 * The file format is a strict subset of TOML: [section] headers, key = value
 * lines, values that are "strings", integers, true/false, or ["arrays", "of",
 * "strings"] on one line; '#' comments and blank lines. Anything else is an
 * error reported as "file:line: message". Keys are known in advance (see the
 * table in config.c); an unknown key or section is an error, not a warning. */
#ifndef REDRAFT_UTIL_CONFIG_H
#define REDRAFT_UTIL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define CONFIG_MAX_MEMBERS 16
#define CONFIG_HOST_MAX 256
#define CONFIG_STR_MAX 512

typedef struct config_member {
    int id;
    char host[CONFIG_HOST_MAX];
    int port;
} config_member_t;

typedef enum { FOLLOWER_PROXY = 0, FOLLOWER_REDIRECT } follower_mode_t;
typedef enum { READ_INDEX = 0, READ_LEASE } read_mode_t;

typedef struct config {
    /* [server] */
    char binding[CONFIG_HOST_MAX]; /* address the RESP port binds */
    int port;                      /* RESP port */
    int http_port;                 /* admin HTTP port; 0 = port + 1000 */
    char requirepass[CONFIG_STR_MAX];
    char admin_token[CONFIG_STR_MAX];  /* HTTP admin API bearer token; "" = loopback only */
    bool admin_token_for_reads;        /* GET endpoints need it too */
    int maxclients;                    /* default 10000 */
    long long slowlog_log_slower_than; /* microseconds; -1: off */
    int slowlog_max_len;
    long long proto_max_bulk_len;      /* default 512 MB */
    long long client_query_buffer_limit; /* default 1 GB */
    int max_inline_len;                /* default 64 KB */
    int max_multibulk_len;             /* default 1048576 */
    char log_level[16];                /* debug | info | warn | error */
    char log_file[CONFIG_STR_MAX];     /* "" = stderr */
    int active_expire_interval_ms;     /* default 100 */
    int active_expire_keys;            /* keys proposed per cycle, default 200 */

    /* [cluster] */
    bool enabled;
    int node_id;
    config_member_t members[CONFIG_MAX_MEMBERS];
    int nmembers;
    char data_dir[CONFIG_STR_MAX];
    int heartbeat_interval_ms;
    int election_timeout_min_ms;
    int election_timeout_max_ms;
    int request_timeout_ms;            /* default 5000 */
    follower_mode_t follower_mode;
    read_mode_t read_mode;
    char cluster_secret[CONFIG_STR_MAX];
    char join[CONFIG_STR_MAX];         /* a member's HTTP address to ask to be added; "" = founding member */

    /* [storage] */
    bool fsync;                        /* sync the log on every append; default true */
    int cache_size_mb;                 /* read cache in front of RocksDB; default 256 */
    int block_cache_mb;                /* RocksDB's block cache; default 128 */
    long long log_segment_size;        /* bytes per log segment; default 64 MB */
    long long snapshot_threshold;      /* entries past the last snapshot; default 10000 */
    long long snapshot_threshold_bytes; /* log bytes on disk; default 256 MB */
    long long snapshot_trailing;       /* entries kept behind a snapshot; default 1000 */
    int snapshot_chunk_size;           /* default 1 MB */
    int snapshot_chunks_in_flight;     /* default 4 */
    int snapshot_chunk_delay_ms;       /* test hook; default 0 */

    /* derived by config_finalize() */
    char node_dir[CONFIG_STR_MAX + 32]; /* where this node's RocksDB lives */
    char config_file[CONFIG_STR_MAX];   /* the file loaded, "" if none */

    /* Bit i is set when key i of the table in config.c was given on the
     * command line: a file loaded later does not override it, and
     * config_finalize() keeps an explicit binding/port. */
    unsigned long long cli_set;
} config_t;

/* Fills in the defaults: a single node on 127.0.0.1:7379 with data in ./data. */
void config_defaults(config_t *c);

/* Loads a file over the current values. On error returns -1 and writes
 * "path:line: message" into err. */
int config_load_file(config_t *c, const char *path, char *err, size_t errlen);

/* Sets one key from the command line. name may use '-' or '_' ("node-id",
 * "node_id") and may be qualified by its section ("cluster.node_id"). The
 * value is given as it would be typed after "--name": strings unquoted,
 * arrays as a comma-separated list. Returns -1 with a message in err. */
int config_set(config_t *c, const char *name, const char *value, char *err, size_t errlen);

/* CONFIG SET on a running node: name is Redis's ("slowlog-max-len") or
 * ours; value NULL only checks that the name can be set. Returns 0, or one
 * of these with Redis's reason in err. */
enum { CONFIG_SET_UNKNOWN = -1, CONFIG_SET_IMMUTABLE = -2, CONFIG_SET_BAD_VALUE = -3 };
int config_set_runtime(config_t *c, const char *name, const char *value, char *err, size_t errlen);
/* Whether two CONFIG SET names are one key ('-' and '_' alike, any case). */
bool config_same_key(const char *a, const char *b);

/* Checks cross-field rules and derives per-node values: when the cluster is
 * enabled, node_id must name a member, whose host:port become binding:port
 * (unless given explicitly on the command line) and node_dir becomes
 * <data_dir>/node<N>; otherwise node_dir is data_dir. Returns -1 with err. */
int config_finalize(config_t *c, char *err, size_t errlen);

/* Looks up a member by id; NULL if absent. */
const config_member_t *config_member(const config_t *c, int id);

/* For CONFIG GET: calls fn(name, value) for every key whose name matches the
 * glob pattern (Redis-style glob, case-insensitive). Values as strings. */
void config_foreach(const config_t *c, const char *pattern,
                    void (*fn)(void *ud, const char *name, const char *value), void *ud);

#endif
