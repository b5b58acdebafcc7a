/* Introspection: INFO, CONFIG, CLIENT and COMMAND, answered as Redis 7.0
 * answers them (CLIENT SETINFO and the lib-name/lib-ver fields as 7.2).
 *
 * Nothing here touches the data: these commands read the node, its
 * configuration, its connections and the command table, on the loop thread. */
#include "node/server_cmds.h"
#include "node/node.h"
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

#define REDRAFT_VERSION "0.1.0"

static node_t *node_of(cmd_ctx_t *c)
{
    return c->server;
}

/* ---- a growable string for INFO and CLIENT LIST texts ------------------ */

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf_t;

/* Appends printf-style text, growing the buffer as needed. */
static void sb_printf(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf_t *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) return;
        if (b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 1024;
        while (cap <= b->len + (size_t)n) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) abort();
        b->p = p;
        b->cap = cap;
    }
}

/* Redis's bytesToHuman: 1023B, 1.00K, 12.50M ... */
static void bytes_human(char *out, size_t outlen, unsigned long long n)
{
    const char *units = "KMGTP";
    double d = (double)n;
    if (n < 1024) {
        snprintf(out, outlen, "%lluB", n);
        return;
    }
    for (int i = 0; units[i]; i++) {
        d /= 1024;
        if (d < 1024 || units[i + 1] == '\0') {
            snprintf(out, outlen, "%.2f%c", d, units[i]);
            return;
        }
    }
}

/* ---- process-wide values that INFO keeps between calls ------------------ */

static char run_id[41], repl_id[41];
static uint64_t mem_peak;

/* The run id must be random per start and stable during the run: made once. */
static void ensure_ids(void)
{
    if (run_id[0]) return;
    unsigned char raw[40];
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
        srand((unsigned)time(NULL) ^ (unsigned)getpid());
        for (size_t i = 0; i < sizeof(raw); i++) raw[i] = (unsigned char)rand();
    }
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 40; i++) {
        run_id[i] = hex[raw[i / 2] >> ((i & 1) * 4) & 15];
        repl_id[i] = hex[raw[20 + i / 2] >> ((i & 1) * 4) & 15];
    }
}

/* instantaneous_*: a ring of counter samples, taken lazily (at most one per
 * 100 ms) whenever INFO runs; rates are measured against the newest sample at
 * least a second old, or the oldest one we have. */
typedef struct sample {
    uint64_t ms, cmds, in, out;
} sample_t;
#define NSAMPLES 32
static sample_t samples[NSAMPLES];
static int sample_head, sample_count;

static void sample_rates(node_t *n, long long *ops, double *in_kbps, double *out_kbps)
{
    const server_stats_t *st = &n->srv.stats;
    sample_t cur = {uv_now(n->loop), st->commands_processed, st->net_input_bytes, st->net_output_bytes};
    const sample_t *base = NULL;
    for (int i = 0; i < sample_count; i++) {
        const sample_t *s = &samples[(sample_head - 1 - i + NSAMPLES) % NSAMPLES];
        base = s;
        if (cur.ms - s->ms >= 1000) break;
    }
    *ops = 0;
    *in_kbps = *out_kbps = 0;
    if (base && cur.ms > base->ms && cur.cmds >= base->cmds) {
        double secs = (double)(cur.ms - base->ms) / 1000.0;
        *ops = (long long)((double)(cur.cmds - base->cmds) / secs + 0.5);
        *in_kbps = (double)(cur.in - base->in) / secs / 1024.0;
        *out_kbps = (double)(cur.out - base->out) / secs / 1024.0;
    }
    const sample_t *last = sample_count ? &samples[(sample_head - 1 + NSAMPLES) % NSAMPLES] : NULL;
    if (!last || cur.ms - last->ms >= 100) {
        samples[sample_head] = cur;
        sample_head = (sample_head + 1) % NSAMPLES;
        if (sample_count < NSAMPLES) sample_count++;
    }
}

/* used_memory from the allocator (RocksDB's caches included), RSS from statm. */
static void memory_usage(uint64_t *used, uint64_t *rss)
{
    struct mallinfo2 mi = mallinfo2();
    *used = (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
    *rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        unsigned long long size, res;
        if (fscanf(f, "%llu %llu", &size, &res) == 2) *rss = res * (uint64_t)sysconf(_SC_PAGESIZE);
        fclose(f);
    }
    if (*used > mem_peak) mem_peak = *used;
}

/* ---- INFO --------------------------------------------------------------- */

enum {
    S_SERVER, S_CLIENTS, S_MEMORY, S_PERSISTENCE, S_STATS, S_REPLICATION, S_CPU,
    S_MODULES, S_COMMANDSTATS, S_ERRORSTATS, S_LATENCYSTATS, S_CLUSTER, S_KEYSPACE, S_COUNT
};
static const char *const section_names[S_COUNT] = {
    "server", "clients", "memory", "persistence", "stats", "replication", "cpu",
    "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace"};
static const char *const section_titles[S_COUNT] = {
    "Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
    "Modules", "Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace"};
#define SECTIONS_ALL ((1u << S_COUNT) - 1)
#define SECTIONS_DEFAULT (SECTIONS_ALL & ~((1u << S_COMMANDSTATS) | (1u << S_LATENCYSTATS)))

static void info_server(sbuf_t *b, node_t *n)
{
    struct utsname un;
    struct timeval tv;
    char exe[PATH_MAX] = "", cfgpath[PATH_MAX] = "";
    ssize_t elen = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[elen > 0 ? elen : 0] = '\0';
    if (n->cfg->config_file[0] && !realpath(n->cfg->config_file, cfgpath))
        snprintf(cfgpath, sizeof(cfgpath), "%s", n->cfg->config_file);
    uname(&un);
    gettimeofday(&tv, NULL);
    int64_t up = (node_wall_ms() - n->start_ms) / 1000;
    int hz = n->cfg->active_expire_interval_ms > 0 ? 1000 / n->cfg->active_expire_interval_ms : 10;
    sb_printf(b,
              "redis_version:7.0.15\r\n"
              "redraft_version:" REDRAFT_VERSION "\r\n"
              "redis_git_sha1:00000000\r\n" "redis_git_dirty:0\r\n" "redis_build_id:0\r\n" "redis_mode:%s\r\n"
              "os:%s %s %s\r\n" "arch_bits:%d\r\n" "monotonic_clock:POSIX clock_gettime\r\n"
              "multiplexing_api:epoll\r\n" "atomicvar_api:c11-builtin\r\n" "gcc_version:%d.%d.%d\r\n"
              "process_id:%ld\r\n" "process_supervised:no\r\n" "run_id:%s\r\n" "tcp_port:%d\r\n"
              "server_time_usec:%lld\r\n" "uptime_in_seconds:%lld\r\n" "uptime_in_days:%lld\r\n" "hz:%d\r\n"
              "configured_hz:%d\r\n" "lru_clock:%lld\r\n" "executable:%s\r\n" "config_file:%s\r\n"
              "io_threads_active:0\r\n",
              n->cfg->enabled ? "cluster" : "standalone", un.sysname, un.release, un.machine,
              (int)sizeof(long) * 8,
#ifdef __GNUC__
              __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__,
#else
              0, 0, 0,
#endif
              (long)getpid(), run_id, n->cfg->port, (long long)tv.tv_sec * 1000000 + tv.tv_usec, (long long)up,
              (long long)up / 86400, hz, hz, (long long)(tv.tv_sec & ((1 << 24) - 1)), exe, cfgpath);
}

static void info_clients(sbuf_t *b, node_t *n)
{
    sb_printf(b,
              "connected_clients:%d\r\n" "cluster_connections:0\r\n" "maxclients:%d\r\n"
              "client_recent_max_input_buffer:0\r\n" "client_recent_max_output_buffer:0\r\n" "blocked_clients:0\r\n"
              "tracking_clients:0\r\n"
              "clients_in_timeout_table:0\r\n",
              n->srv.nclients, n->cfg->maxclients);
}

static void info_memory(sbuf_t *b, node_t *n)
{
    uint64_t used, rss;
    memory_usage(&used, &rss);
    uint64_t total = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
    char h_used[32], h_rss[32], h_peak[32], h_total[32];
    bytes_human(h_used, sizeof(h_used), used);
    bytes_human(h_rss, sizeof(h_rss), rss);
    bytes_human(h_peak, sizeof(h_peak), mem_peak);
    bytes_human(h_total, sizeof(h_total), total);
    sb_printf(b,
              "used_memory:%llu\r\n" "used_memory_human:%s\r\n" "used_memory_rss:%llu\r\n"
              "used_memory_rss_human:%s\r\n" "used_memory_peak:%llu\r\n" "used_memory_peak_human:%s\r\n"
              "used_memory_peak_perc:%.2f%%\r\n" "total_system_memory:%llu\r\n" "total_system_memory_human:%s\r\n"
              "maxmemory:0\r\n" "maxmemory_human:0B\r\n" "maxmemory_policy:noeviction\r\n"
              "mem_fragmentation_ratio:%.2f\r\n" "mem_allocator:libc\r\n" "lazyfree_pending_objects:0\r\n"
              "storage_data_bytes:%llu\r\n"
              "storage_log_bytes:%llu\r\n",
              (unsigned long long)used, h_used, (unsigned long long)rss, h_rss, (unsigned long long)mem_peak,
              h_peak, mem_peak ? (double)used * 100 / (double)mem_peak : 100.0, (unsigned long long)total,
              h_total, used ? (double)rss / (double)used : 0.0,
              (unsigned long long)store_approx_size(n->store, CF_DATA),
              (unsigned long long)store_approx_size(n->store, CF_LOG));
}

/* Every write is in the synced raft log before it is acknowledged, which is
 * what aof_enabled:1 promises; the raft counters follow Redis's fields. */
static void info_persistence(sbuf_t *b, node_t *n)
{
    sb_printf(b,
              "loading:0\r\n" "async_loading:0\r\n" "current_cow_peak:0\r\n" "current_cow_size:0\r\n"
              "current_cow_size_age:0\r\n" "current_fork_perc:0.00\r\n" "current_save_keys_processed:0\r\n"
              "current_save_keys_total:0\r\n" "rdb_changes_since_last_save:0\r\n" "rdb_bgsave_in_progress:0\r\n"
              "rdb_last_save_time:%lld\r\n" "rdb_last_bgsave_status:ok\r\n" "rdb_last_bgsave_time_sec:-1\r\n"
              "rdb_current_bgsave_time_sec:-1\r\n" "rdb_saves:0\r\n" "rdb_last_cow_size:0\r\n"
              "rdb_last_load_keys_expired:0\r\n" "rdb_last_load_keys_loaded:0\r\n" "aof_enabled:1\r\n"
              "aof_rewrite_in_progress:0\r\n" "aof_rewrite_scheduled:0\r\n" "aof_last_rewrite_time_sec:-1\r\n"
              "aof_current_rewrite_time_sec:-1\r\n" "aof_last_bgrewrite_status:ok\r\n" "aof_rewrites:0\r\n"
              "aof_rewrites_consecutive_failures:0\r\n" "aof_last_write_status:%s\r\n" "aof_last_cow_size:0\r\n"
              "module_fork_in_progress:0\r\n" "module_fork_last_cow_size:0\r\n" "aof_current_size:%llu\r\n"
              "aof_base_size:0\r\n" "aof_pending_rewrite:0\r\n" "aof_buffer_length:0\r\n"
              "aof_pending_bio_fsync:0\r\n" "aof_delayed_fsync:0\r\n" "raft_term:%llu\r\n"
              "raft_applied_index:%llu\r\n" "log_last_index:%llu\r\n" "log_appends:%llu\r\n"
              "log_last_append_usec:%lld\r\n"
              "log_entries_applied:%llu\r\n",
              (long long)(n->start_ms / 1000), n->append_rc == 0 ? "ok" : "err",
              (unsigned long long)store_approx_size(n->store, CF_LOG), (unsigned long long)n->term,
              (unsigned long long)n->db.applied, (unsigned long long)n->last_index,
              (unsigned long long)n->stats.appends, (long long)n->stats.last_append_us,
              (unsigned long long)n->stats.entries_applied);
}

static void info_stats(sbuf_t *b, node_t *n)
{
    const server_stats_t *st = &n->srv.stats;
    long long ops;
    double in_kbps, out_kbps;
    sample_rates(n, &ops, &in_kbps, &out_kbps);
    sb_printf(b,
              "total_connections_received:%llu\r\n" "total_commands_processed:%llu\r\n"
              "instantaneous_ops_per_sec:%lld\r\n" "total_net_input_bytes:%llu\r\n" "total_net_output_bytes:%llu\r\n"
              "total_net_repl_input_bytes:0\r\n" "total_net_repl_output_bytes:0\r\n"
              "instantaneous_input_kbps:%.2f\r\n" "instantaneous_output_kbps:%.2f\r\n"
              "instantaneous_input_repl_kbps:0.00\r\n" "instantaneous_output_repl_kbps:0.00\r\n"
              "rejected_connections:%llu\r\n" "sync_full:0\r\n" "sync_partial_ok:0\r\n" "sync_partial_err:0\r\n"
              "expired_keys:0\r\n" "expired_stale_perc:0.00\r\n" "expired_time_cap_reached_count:0\r\n"
              "expire_cycle_cpu_milliseconds:0\r\n" "evicted_keys:0\r\n" "evicted_clients:0\r\n"
              "total_eviction_exceeded_time:0\r\n" "current_eviction_exceeded_time:0\r\n" "keyspace_hits:%llu\r\n"
              "keyspace_misses:%llu\r\n" "pubsub_channels:0\r\n" "pubsub_patterns:0\r\n" "pubsubshard_channels:0\r\n"
              "latest_fork_usec:0\r\n" "total_forks:0\r\n" "migrate_cached_sockets:0\r\n"
              "slave_expires_tracked_keys:0\r\n" "active_defrag_hits:0\r\n" "active_defrag_misses:0\r\n"
              "active_defrag_key_hits:0\r\n" "active_defrag_key_misses:0\r\n" "total_active_defrag_time:0\r\n"
              "current_active_defrag_time:0\r\n" "tracking_total_keys:0\r\n" "tracking_total_items:0\r\n"
              "tracking_total_prefixes:0\r\n" "unexpected_error_replies:0\r\n" "total_error_replies:0\r\n"
              "dump_payload_sanitizations:0\r\n" "total_reads_processed:0\r\n" "total_writes_processed:0\r\n"
              "io_threaded_reads_processed:0\r\n" "io_threaded_writes_processed:0\r\n" "reply_buffer_shrinks:0\r\n"
              "reply_buffer_expands:0\r\n"
              "redraft_expire_cycles:%llu\r\n",
              (unsigned long long)st->connections_received, (unsigned long long)st->commands_processed, ops,
              (unsigned long long)st->net_input_bytes, (unsigned long long)st->net_output_bytes, in_kbps, out_kbps,
              (unsigned long long)st->rejected_connections, (unsigned long long)n->stats.keyspace_hits,
              (unsigned long long)n->stats.keyspace_misses, (unsigned long long)n->stats.expire_cycles);
}

static void info_replication(sbuf_t *b, node_t *n)
{
    sb_printf(b,
              "role:master\r\n" "connected_slaves:0\r\n" "master_failover_state:no-failover\r\n"
              "master_replid:%s\r\n" "master_replid2:0000000000000000000000000000000000000000\r\n"
              "master_repl_offset:0\r\n" "second_repl_offset:-1\r\n" "repl_backlog_active:0\r\n"
              "repl_backlog_size:1048576\r\n" "repl_backlog_first_byte_offset:0\r\n"
              "repl_backlog_histlen:0\r\n",
              repl_id);
}

static void info_cpu(sbuf_t *b)
{
    struct rusage self, children, thread;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    getrusage(RUSAGE_THREAD, &thread); /* INFO runs on the loop (main) thread */
#define TV(t) (long)(t).tv_sec, (long)(t).tv_usec
    sb_printf(b,
              "used_cpu_sys:%ld.%06ld\r\n" "used_cpu_user:%ld.%06ld\r\n" "used_cpu_sys_children:%ld.%06ld\r\n"
              "used_cpu_user_children:%ld.%06ld\r\n" "used_cpu_sys_main_thread:%ld.%06ld\r\n"
              "used_cpu_user_main_thread:%ld.%06ld\r\n",
              TV(self.ru_stime), TV(self.ru_utime), TV(children.ru_stime), TV(children.ru_utime),
              TV(thread.ru_stime), TV(thread.ru_utime));
#undef TV
}

/* INFO [section ...]: sections in Redis's fixed order whatever the order
 * asked; each after the first is preceded by a blank line. */
static void infoCommand(cmd_ctx_t *c)
{
    node_t *n = node_of(c);
    unsigned want = 0;
    if (c->argc == 1) want = SECTIONS_DEFAULT;
    for (int i = 1; i < c->argc; i++) {
        if (cmd_arg_is(c, i, "all") || cmd_arg_is(c, i, "everything"))
            want |= SECTIONS_ALL;
        else if (cmd_arg_is(c, i, "default"))
            want |= SECTIONS_DEFAULT;
        else
            for (int s = 0; s < S_COUNT; s++)
                if (cmd_arg_is(c, i, section_names[s])) want |= 1u << s;
    }
    ensure_ids();
    sbuf_t b = {0};
    sb_printf(&b, "%s", ""); /* allocates: b.p is never NULL below */
    int emitted = 0;
    for (int s = 0; s < S_COUNT; s++) {
        if (!(want & (1u << s))) continue;
        sb_printf(&b, "%s# %s\r\n", emitted++ ? "\r\n" : "", section_titles[s]);
        switch (s) {
        case S_SERVER: info_server(&b, n); break;
        case S_CLIENTS: info_clients(&b, n); break;
        case S_MEMORY: info_memory(&b, n); break;
        case S_PERSISTENCE: info_persistence(&b, n); break;
        case S_STATS: info_stats(&b, n); break;
        case S_REPLICATION: info_replication(&b, n); break;
        case S_CPU: info_cpu(&b); break;
        case S_CLUSTER: sb_printf(&b, "cluster_enabled:0\r\n"); break;
        case S_KEYSPACE:
            if (n->db.nkeys > 0)
                sb_printf(&b, "db0:keys=%lld,expires=%lld,avg_ttl=0\r\n", (long long)n->db.nkeys,
                          (long long)n->db.nexpires);
            break;
        default: break; /* modules, commandstats, errorstats, latencystats: empty */
        }
    }
    reply_verbatim(c->reply, b.p, b.len, "txt");
    free(b.p);
}

/* ---- subcommands ---------------------------------------------------------- */

/* A subcommand's own name: tables may spell it "list" or "client|list". */
static const char *sub_short(const command_t *sub)
{
    const char *bar = strchr(sub->name, '|');
    return bar ? bar + 1 : sub->name;
}

static void full_name(char *out, size_t outlen, const command_t *parent, const command_t *sub)
{
    if (!parent || strchr(sub->name, '|'))
        snprintf(out, outlen, "%s", sub->name);
    else
        snprintf(out, outlen, "%s|%s", parent->name, sub->name);
}

static const command_t *find_sub(const command_t *subs, const char *name, size_t len)
{
    for (const command_t *s = subs; s && s->name; s++) {
        const char *sn = sub_short(s);
        if (strlen(sn) == len && strncasecmp(sn, name, len) == 0) return s;
    }
    return NULL;
}

/* Runs argv[1] as a subcommand of the container, with the checks Redis makes
 * before calling it: known subcommand, then its own arity. The session's
 * last command becomes "client|list", as CLIENT LIST shows it. */
static void run_subcommand(cmd_ctx_t *c, const command_t *parent)
{
    const command_t *sub = find_sub(parent->subcommands, c->argv[1], c->argvlen[1]);
    char full[64], upper[32];
    if (!sub) {
        size_t k = 0;
        for (; parent->name[k] && k < sizeof(upper) - 1; k++) upper[k] = (char)toupper((unsigned char)parent->name[k]);
        upper[k] = '\0';
        int len = c->argvlen[1] < 128 ? (int)c->argvlen[1] : 128;
        reply_errorf(c->reply, "ERR unknown subcommand '%.*s'. Try %s HELP.", len, c->argv[1], upper);
        return;
    }
    full_name(full, sizeof(full), parent, sub);
    if (sub->arity > 0 ? c->argc != sub->arity : c->argc < -sub->arity) {
        reply_wrong_arity(c->reply, full);
        return;
    }
    if (c->sess) {
        size_t l = strlen(full) < sizeof(c->sess->last_cmd) ? strlen(full) : sizeof(c->sess->last_cmd) - 1;
        memcpy(c->sess->last_cmd, full, l);
        c->sess->last_cmd[l] = '\0';
    }
    sub->proc(c);
}

/* Redis's addReplyHelp: a title line, the given lines, then HELP. */
static void reply_help(cmd_ctx_t *c, const char *const *lines)
{
    char title[96], upper[32];
    size_t k = 0, n = 0;
    for (; k < c->argvlen[0] && k < sizeof(upper) - 1; k++) upper[k] = (char)toupper((unsigned char)c->argv[0][k]);
    upper[k] = '\0';
    while (lines[n]) n++;
    reply_array(c->reply, (long long)n + 3);
    snprintf(title, sizeof(title), "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", upper);
    reply_simple(c->reply, title);
    for (size_t i = 0; i < n; i++) reply_simple(c->reply, lines[i]);
    reply_simple(c->reply, "HELP");
    reply_simple(c->reply, "    Prints this help.");
}

/* ---- CONFIG --------------------------------------------------------------- */

typedef struct config_get {
    reply_t *r;
    const char *literal; /* the pattern when it has no glob characters */
    char **seen;
    size_t nseen, capseen;
} config_get_t;

/* One matching parameter: written once even when several patterns match it;
 * a name asked without glob characters is echoed as typed, as Redis does. */
static void config_get_one(void *ud, const char *name, const char *value)
{
    config_get_t *g = ud;
    if (g->literal) name = g->literal;
    for (size_t i = 0; i < g->nseen; i++)
        if (strcasecmp(g->seen[i], name) == 0) return;
    if (g->nseen == g->capseen) {
        g->capseen = g->capseen ? g->capseen * 2 : 16;
        g->seen = realloc(g->seen, g->capseen * sizeof(*g->seen));
        if (!g->seen) abort();
    }
    g->seen[g->nseen++] = strdup(name);
    reply_bulk_cstr(g->r, name);
    reply_bulk_cstr(g->r, value);
}

/* CONFIG GET pattern [pattern ...] (several patterns since Redis 7): a map of
 * name to value, flat in RESP2. */
static void configGetCommand(cmd_ctx_t *c)
{
    config_get_t g = {.r = c->reply};
    size_t off = reply_defer(c->reply);
    for (int i = 2; i < c->argc; i++) {
        char *pat = strndup(c->argv[i], c->argvlen[i]);
        if (!pat) abort();
        g.literal = strpbrk(pat, "[*?") ? NULL : pat;
        config_foreach(node_of(c)->cfg, pat, config_get_one, &g);
        free(pat);
    }
    reply_defer_map(c->reply, off, (long long)g.nseen);
    for (size_t i = 0; i < g.nseen; i++) free(g.seen[i]);
    free(g.seen);
}

static void configSetCommand(cmd_ctx_t *c)
{
    reply_error(c->reply, "ERR CONFIG SET is not supported: redraft reads its configuration at start-up "
                          "(change the file or the command line and restart the node)");
}

static void configRewriteCommand(cmd_ctx_t *c)
{
    reply_error(c->reply, "ERR CONFIG REWRITE is not supported: redraft never rewrites its configuration file");
}

/* CONFIG RESETSTAT: zeroes the counters INFO reports, as Redis does. */
static void configResetstatCommand(cmd_ctx_t *c)
{
    node_t *n = node_of(c);
    if (!c->sess) { /* an entry applied on a follower: its counters are its own */
        reply_ok(c->reply);
        return;
    }
    memset(&n->srv.stats, 0, sizeof(n->srv.stats));
    n->stats.keyspace_hits = n->stats.keyspace_misses = 0;
    n->stats.expire_cycles = 0;
    sample_count = sample_head = 0;
    mem_peak = 0;
    reply_ok(c->reply);
}

static void configHelpCommand(cmd_ctx_t *c)
{
    static const char *const lines[] = {
        "GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>", "    Set the configuration <directive> to <value>.",
        "RESETSTAT", "    Reset statistics reported by the INFO command.",
        "REWRITE", "    Rewrite the configuration file.",
        NULL};
    reply_help(c, lines);
}

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

/* One CLIENT LIST line in Redis 7.0's field order, lib-name/lib-ver last as
 * 7.2 writes them. Buffers are described from the connection's own. */
static void client_line(sbuf_t *b, node_t *n, const session_t *s, const conn_t *cn)
{
    int64_t now = node_wall_ms();
    long long age = s->created_ms ? (long long)((now - s->created_ms) / 1000) : 0;
    long long idle = s->last_cmd_ms ? (long long)(((int64_t)uv_now(n->loop) - s->last_cmd_ms) / 1000) : age;
    char flags[8];
    int f = 0;
    if (s->close_asap || (cn && cn->close_after_flush)) flags[f++] = 'A';
    if (s->in_multi) flags[f++] = 'x';
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
              "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=0 sub=0 psub=0 ssub=0 "
              "multi=%d qbuf=%zu qbuf-free=%zu argv-mem=0 multi-mem=%zu rbs=%zu rbp=%zu obl=%zu oll=0 omem=%zu "
              "tot-mem=%zu events=%s cmd=%s user=default redir=-1 resp=%d lib-name=%s lib-ver=%s\n",
              (unsigned long long)s->id, s->addr, s->laddr, s->fd, s->name, age, idle, flags,
              s->in_multi ? s->nqueued : -1, qbuf, qfree, multimem, rbs, obl, obl, omem, tot, events,
              s->last_cmd[0] ? s->last_cmd : "NULL", s->proto, s->lib_name, s->lib_ver);
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

/* Client types: every redraft client is "normal"; the other names are valid
 * but match nobody. Returns 1 normal, 0 other valid type, -1 unknown. */
static int client_type(const char *p, size_t len)
{
    if (len == 6 && strncasecmp(p, "normal", 6) == 0) return 1;
    static const char *const others[] = {"master", "slave", "replica", "pubsub"};
    for (size_t i = 0; i < 4; i++)
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
        for (conn_t *cn = oldest_conn(n); cn && t == 1; cn = cn->prev)
            if (conn_client(cn)) client_line(&b, n, &conn_client(cn)->sess, cn);
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
        bool match = s && type != 0 && (!addr || (strlen(s->addr) == addrlen && memcmp(s->addr, addr, addrlen) == 0)) &&
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
    {CMD_WRITE, "write"}, {CMD_READONLY, "readonly"}, {CMD_DENYOOM, "denyoom"}, {CMD_ADMIN, "admin"},
    {CMD_PUBSUB, "pubsub"}, {CMD_LOADING, "loading"}, {CMD_STALE, "stale"}, {CMD_FAST, "fast"},
    {CMD_NOAUTH, "no_auth"}, {CMD_NOMULTI, "no_multi"}, /* may_replicate: hidden, as in Redis */
};

static size_t nsubs(const command_t *cmd)
{
    size_t n = 0;
    for (const command_t *s = cmd->subcommands; s && s->name; s++) n++;
    return n;
}

/* The one key spec first/last/step describe: an index then a range. */
static void reply_key_spec(reply_t *r, const command_t *cmd)
{
    bool rw = cmd->flags & CMD_WRITE;
    reply_map(r, 3);
    reply_bulk_cstr(r, "flags");
    reply_set(r, 2);
    reply_simple(r, rw ? "RW" : "RO");
    reply_simple(r, rw ? "update" : "access");
    reply_bulk_cstr(r, "begin_search");
    reply_map(r, 2);
    reply_bulk_cstr(r, "type");
    reply_bulk_cstr(r, "index");
    reply_bulk_cstr(r, "spec");
    reply_map(r, 1);
    reply_bulk_cstr(r, "index");
    reply_int(r, cmd->first_key);
    reply_bulk_cstr(r, "find_keys");
    reply_map(r, 2);
    reply_bulk_cstr(r, "type");
    reply_bulk_cstr(r, "range");
    reply_bulk_cstr(r, "spec");
    reply_map(r, 3);
    reply_bulk_cstr(r, "lastkey");
    reply_int(r, cmd->last_key < 0 ? cmd->last_key : cmd->last_key - cmd->first_key);
    reply_bulk_cstr(r, "keystep");
    reply_int(r, cmd->key_step);
    reply_bulk_cstr(r, "limit");
    reply_int(r, 0);
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
    reply_set(r, 0); /* tips */
    reply_set(r, cmd->first_key > 0); /* key specs and subcommands: sets in RESP3, as Redis 7.0 */
    if (cmd->first_key > 0) reply_key_spec(r, cmd);
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
    run_subcommand(c, &introspect_commands[3]);
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

/* COMMAND GETKEYS / GETKEYSANDFLAGS <command> [arg ...]: the keys that
 * first/last/step designate, with Redis's checks and messages. */
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
    if (cmd->first_key <= 0) {
        reply_error(c->reply, "ERR The command has no key arguments");
        return;
    }
    if ((cmd->arity > 0 && cmd->arity != argc) || argc < -cmd->arity) {
        reply_error(c->reply, "ERR Invalid number of arguments specified for command");
        return;
    }
    int last = cmd->last_key < 0 ? argc + cmd->last_key : cmd->last_key;
    int step = cmd->key_step > 0 ? cmd->key_step : 1;
    long long n = 0;
    for (int i = cmd->first_key; i <= last && i < argc; i += step) n++;
    if (n == 0) {
        reply_error(c->reply, "ERR Invalid arguments specified for command");
        return;
    }
    bool rw = cmd->flags & CMD_WRITE;
    reply_array(c->reply, n);
    for (int i = cmd->first_key; i <= last && i < argc; i += step) {
        if (with_flags) {
            reply_array(c->reply, 2);
            reply_bulk(c->reply, argv[i], argvlen[i]);
            reply_set(c->reply, 2);
            reply_simple(c->reply, rw ? "RW" : "RO");
            reply_simple(c->reply, rw ? "update" : "access");
        } else {
            reply_bulk(c->reply, argv[i], argvlen[i]);
        }
    }
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

/* ---- the tables ------------------------------------------------------------- */

#define SUBFLAGS (CMD_CONN | CMD_LOADING | CMD_STALE)
#define ADMINSUB (SUBFLAGS | CMD_ADMIN)

static const command_t client_subcommands[] = {
    {"id", clientIdCommand, 2, SUBFLAGS, 0, 0, 0, "connection", "Returns the client ID for the current connection",
     "5.0.0", "O(1)", "slow connection", NULL},
    {"getname", clientGetnameCommand, 2, SUBFLAGS, 0, 0, 0, "connection", "Get the current connection name", "2.6.9",
     "O(1)", "slow connection", NULL},
    {"setname", clientSetnameCommand, 3, SUBFLAGS, 0, 0, 0, "connection", "Set the current connection name", "2.6.9",
     "O(1)", "slow connection", NULL},
    {"setinfo", clientSetinfoCommand, 4, SUBFLAGS, 0, 0, 0, "connection", "Set client or connection specific info",
     "7.2.0", "O(1)", "slow connection", NULL},
    {"list", clientListCommand, -2, ADMINSUB, 0, 0, 0, "connection", "Get the list of client connections", "2.4.0",
     "O(N) where N is the number of client connections", "admin slow dangerous connection", NULL},
    {"info", clientInfoCommand, 2, SUBFLAGS, 0, 0, 0, "connection",
     "Returns information about the current client connection.", "6.2.0", "O(1)", "slow connection", NULL},
    {"kill", clientKillCommand, -3, ADMINSUB, 0, 0, 0, "connection", "Kill the connection of a client", "2.4.0",
     "O(N) where N is the number of client connections", "admin slow dangerous connection", NULL},
    {"no-evict", clientOnOffCommand, 3, ADMINSUB, 0, 0, 0, "connection",
     "Set client eviction mode for the current connection", "7.0.0", "O(1)", "admin slow dangerous connection", NULL},
    {"no-touch", clientOnOffCommand, 3, SUBFLAGS, 0, 0, 0, "connection",
     "Controls whether commands sent by the client will alter the LRU/LFU of the keys they access.", "7.2.0", "O(1)",
     "slow connection", NULL},
    {"reply", clientReplyCommand, 3, SUBFLAGS, 0, 0, 0, "connection",
     "Instruct the server whether to reply to commands", "3.2.0", "O(1)", "slow connection", NULL},
    {"help", clientHelpCommand, 2, CMD_CONN | CMD_LOADING | CMD_STALE, 0, 0, 0, "connection",
     "Show helpful text about the different subcommands", "5.0.0", "O(1)", "slow connection", NULL},
    {NULL},
};

static const command_t config_subcommands[] = {
    {"get", configGetCommand, -3, ADMINSUB, 0, 0, 0, "server", "Get the values of configuration parameters", "2.0.0",
     "O(N) when N is the number of configuration parameters provided", "admin slow dangerous", NULL},
    {"set", configSetCommand, -4, ADMINSUB, 0, 0, 0, "server", "Set configuration parameters to the given values",
     "2.0.0", "O(N) when N is the number of configuration parameters provided", "admin slow dangerous", NULL},
    {"resetstat", configResetstatCommand, 2, ADMINSUB, 0, 0, 0, "server", "Reset the stats returned by INFO", "2.0.0",
     "O(1)", "admin slow dangerous", NULL},
    {"rewrite", configRewriteCommand, 2, ADMINSUB, 0, 0, 0, "server",
     "Rewrite the configuration file with the in memory configuration", "2.8.0", "O(1)", "admin slow dangerous", NULL},
    {"help", configHelpCommand, 2, CMD_CONN | CMD_LOADING | CMD_STALE, 0, 0, 0, "server",
     "Show helpful text about the different subcommands", "5.0.0", "O(1)", "slow", NULL},
    {NULL},
};

static const command_t command_subcommands[] = {
    {"count", commandCountCommand, 2, SUBFLAGS, 0, 0, 0, "server", "Get total number of Redis commands", "2.8.13",
     "O(1)", "slow connection", NULL},
    {"docs", commandDocsCommand, -2, SUBFLAGS, 0, 0, 0, "server", "Get array of specific Redis command documentation",
     "7.0.0", "O(N) where N is the number of commands to look up", "slow connection", NULL},
    {"getkeys", commandGetkeysCommand, -4, SUBFLAGS, 0, 0, 0, "server", "Extract keys given a full Redis command",
     "2.8.13", "O(N) where N is the number of arguments to the command", "slow connection", NULL},
    {"getkeysandflags", commandGetkeysandflagsCommand, -4, SUBFLAGS, 0, 0, 0, "server",
     "Extract keys and access flags given a full Redis command", "7.0.0",
     "O(N) where N is the number of arguments to the command", "slow connection", NULL},
    {"help", commandHelpCommand, 2, SUBFLAGS, 0, 0, 0, "server", "Show helpful text about the different subcommands",
     "5.0.0", "O(1)", "slow connection", NULL},
    {"info", commandInfoCommand, -2, SUBFLAGS, 0, 0, 0, "server",
     "Get array of specific Redis command details, or all when no argument is given.", "2.8.13",
     "O(N) where N is the number of commands to look up", "slow connection", NULL},
    {"list", commandListCommand, -2, SUBFLAGS, 0, 0, 0, "server", "Get an array of Redis command names", "7.0.0",
     "O(N) where N is the total number of Redis commands", "slow connection", NULL},
    {NULL},
};

static void clientCommand(cmd_ctx_t *c);
static void configCommand(cmd_ctx_t *c);

/* Index 1 is CLIENT, 2 CONFIG, 3 COMMAND: the container procs find their own
 * entry (and so their subcommand table) here. */
const command_t introspect_commands[] = {
    {"info", infoCommand, -1, CMD_CONN | CMD_LOADING | CMD_STALE, 0, 0, 0, "server",
     "Get information and statistics about the server", "1.0.0", "O(1)", "slow dangerous", NULL},
    {"client", clientCommand, -2, CMD_CONN | CMD_LOADING | CMD_STALE, 0, 0, 0, "connection",
     "A container for client connection commands", "2.4.0", "Depends on subcommand.", "slow", client_subcommands},
    {"config", configCommand, -2, CMD_CONN | CMD_LOADING | CMD_STALE, 0, 0, 0, "server",
     "A container for server configuration commands", "2.0.0", "Depends on subcommand.", "slow", config_subcommands},
    {"command", commandCommand, -1, CMD_CONN | CMD_LOADING | CMD_STALE, 0, 0, 0, "server",
     "Get array of Redis command details", "2.8.13", "O(N) where N is the total number of Redis commands",
     "slow connection", command_subcommands},
};
const size_t introspect_ncommands = sizeof(introspect_commands) / sizeof(introspect_commands[0]);

static void clientCommand(cmd_ctx_t *c)
{
    run_subcommand(c, &introspect_commands[1]);
}

static void configCommand(cmd_ctx_t *c)
{
    run_subcommand(c, &introspect_commands[2]);
}
