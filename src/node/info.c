/* INFO and CONFIG, answered as Redis 7.0 answers them. Nothing here touches
 * the data: they read the node, its configuration and its statistics. */
#include "node/introspect.h"
#include "node/pubsub.h"
#include "node/slowlog.h"
#include "util/log.h"
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
    S_MODULES, S_COMMANDSTATS, S_ERRORSTATS, S_LATENCYSTATS, S_CLUSTER, S_KEYSPACE, S_RAFT, S_COUNT
};
static const char *const section_names[S_COUNT] = {
    "server", "clients", "memory", "persistence", "stats", "replication", "cpu",
    "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace", "raft"};
static const char *const section_titles[S_COUNT] = {
    "Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
    "Modules", "Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace", "Raft"};
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
              "client_recent_max_input_buffer:0\r\n" "client_recent_max_output_buffer:0\r\n" "blocked_clients:%d\r\n"
              "tracking_clients:0\r\n"
              "clients_in_timeout_table:%d\r\n",
              n->srv.nclients, n->cfg->maxclients, n->nblocked, n->nblocked);
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
              (unsigned long long)store_log_size(n->store));
}

/* Every write is in the synced raft log before it is acknowledged, which is
 * what aof_enabled:1 promises; the raft counters follow Redis's fields. */
static void info_persistence(sbuf_t *b, node_t *n)
{
    sb_printf(b,
              "loading:0\r\n" "async_loading:0\r\n" "current_cow_peak:0\r\n" "current_cow_size:0\r\n"
              "current_cow_size_age:0\r\n" "current_fork_perc:0.00\r\n" "current_save_keys_processed:0\r\n"
              "current_save_keys_total:0\r\n" "rdb_changes_since_last_save:%llu\r\n" "rdb_bgsave_in_progress:%d\r\n"
              "rdb_last_save_time:%lld\r\n" "rdb_last_bgsave_status:ok\r\n" "rdb_last_bgsave_time_sec:%lld\r\n"
              "rdb_current_bgsave_time_sec:-1\r\n" "rdb_saves:%llu\r\n" "rdb_last_cow_size:0\r\n"
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
              (unsigned long long)(n->db.applied > n->snap.cur.index ? n->db.applied - n->snap.cur.index : 0),
              n->snap.making ? 1 : 0,
              (long long)((n->snap.made ? n->snap.last_time_ms : n->start_ms) / 1000),
              n->snap.made ? (long long)(n->snap.last_duration_ms / 1000) : -1LL, (unsigned long long)n->snap.made,
              n->write_rc == 0 ? "ok" : "err",
              (unsigned long long)store_log_size(n->store), (unsigned long long)n->term,
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
    size_t chans, pats, shard;
    pubsub_counts(n, &chans, &pats, &shard);
    sb_printf(b,
              "total_connections_received:%llu\r\n" "total_commands_processed:%llu\r\n"
              "instantaneous_ops_per_sec:%lld\r\n" "total_net_input_bytes:%llu\r\n" "total_net_output_bytes:%llu\r\n"
              "total_net_repl_input_bytes:0\r\n" "total_net_repl_output_bytes:0\r\n"
              "instantaneous_input_kbps:%.2f\r\n" "instantaneous_output_kbps:%.2f\r\n"
              "instantaneous_input_repl_kbps:0.00\r\n" "instantaneous_output_repl_kbps:0.00\r\n"
              "rejected_connections:%llu\r\n" "sync_full:0\r\n" "sync_partial_ok:0\r\n" "sync_partial_err:0\r\n"
              "expired_keys:%llu\r\n" "expired_stale_perc:0.00\r\n" "expired_time_cap_reached_count:0\r\n"
              "expire_cycle_cpu_milliseconds:0\r\n" "evicted_keys:0\r\n" "evicted_clients:0\r\n"
              "total_eviction_exceeded_time:0\r\n" "current_eviction_exceeded_time:0\r\n" "keyspace_hits:%llu\r\n"
              "keyspace_misses:%llu\r\n" "pubsub_channels:%zu\r\n" "pubsub_patterns:%zu\r\n" "pubsubshard_channels:%zu\r\n"
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
              (unsigned long long)st->rejected_connections, (unsigned long long)n->db.expired,
              (unsigned long long)n->stats.keyspace_hits,
              (unsigned long long)n->stats.keyspace_misses, chans, pats, shard, (unsigned long long)n->stats.expire_cycles);
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

/* The node's view of the cluster: who leads, how far the log is committed
 * and applied, and (on the leader) each member's progress. */
static void info_raft(sbuf_t *b, node_t *n)
{
    if (!n->raft) { /* a node being started or stopped */
        sb_printf(b, "raft_role:none\r\n");
        return;
    }
    raft_status_t st;
    raft_status(n->raft, &st);
    const char *addr;
    uint64_t leader = node_leader(n, &addr);
    sb_printf(b,
              "raft_node_id:%llu\r\n" "raft_cluster_id:%016llx\r\n" "raft_role:%s\r\n" "raft_term:%llu\r\n"
              "raft_leader_id:%llu\r\n" "raft_leader_addr:%s\r\n" "raft_commit_index:%llu\r\n"
              "raft_applied_index:%llu\r\n" "raft_last_index:%llu\r\n" "raft_last_term:%llu\r\n"
              "raft_members:%d\r\n" "raft_voters:%d\r\n" "raft_msgs_in:%llu\r\n" "raft_msgs_out:%llu\r\n"
              "raft_msgs_refused:%llu\r\n" "raft_writes_proxied:%llu\r\n" "raft_writes_redirected:%llu\r\n"
              "raft_writes_timed_out:%llu\r\n" "raft_writes_lost:%llu\r\n" "raft_reads_served:%llu\r\n"
              "raft_reads_retried:%llu\r\n" "raft_reads_failed:%llu\r\n",
              (unsigned long long)n->id, (unsigned long long)n->cluster_id, raft_role_name(st.role),
              (unsigned long long)st.term, (unsigned long long)leader, addr, (unsigned long long)st.commit,
              (unsigned long long)st.applied, (unsigned long long)st.last_index, (unsigned long long)st.last_term,
              st.conf->n, raft_conf_voters(st.conf), (unsigned long long)n->stats.msgs_in,
              (unsigned long long)n->stats.msgs_out, (unsigned long long)n->stats.msgs_bad,
              (unsigned long long)n->stats.writes_proxied, (unsigned long long)n->stats.writes_redirected,
              (unsigned long long)n->stats.writes_timed_out, (unsigned long long)n->stats.writes_lost,
              (unsigned long long)n->stats.reads_served, (unsigned long long)n->stats.reads_retried,
              (unsigned long long)n->stats.reads_failed);
    uint64_t first, last;
    store_log_bounds(n->store, &first, &last);
    int sending = 0;
    for (int k = 0; k < st.n_peers; k++) sending += st.peers[k].state == RAFT_PROGRESS_SNAPSHOT;
    const node_snap_t *sn = &n->snap;
    sb_printf(b,
              "raft_log_first_index:%llu\r\n" "raft_log_entries:%llu\r\n" "raft_log_bytes:%llu\r\n"
              "raft_snapshot_index:%llu\r\n" "raft_snapshot_term:%llu\r\n" "raft_snapshot_bytes:%llu\r\n"
              "raft_snapshot_files:%u\r\n" "raft_snapshot_in_progress:%d\r\n" "raft_last_snapshot_time:%lld\r\n"
              "raft_last_snapshot_duration_ms:%lld\r\n" "raft_snapshots_made:%llu\r\n"
              "raft_snapshots_sent:%llu\r\n" "raft_snapshots_received:%llu\r\n"
              "raft_snapshot_sends_failed:%llu\r\n" "raft_snapshot_receives_failed:%llu\r\n"
              "raft_snapshot_sending:%d\r\n" "raft_snapshot_receiving:%d\r\n",
              (unsigned long long)first, (unsigned long long)(last && last >= first ? last - first + 1 : 0),
              (unsigned long long)store_log_size(n->store), (unsigned long long)sn->cur.index,
              (unsigned long long)sn->cur.term, (unsigned long long)sn->cur.bytes, sn->cur.nfiles, sn->making ? 1 : 0,
              (long long)(sn->last_time_ms / 1000), (long long)sn->last_duration_ms, (unsigned long long)sn->made,
              (unsigned long long)sn->sent, (unsigned long long)sn->received, (unsigned long long)sn->send_failed,
              (unsigned long long)sn->recv_failed, sending, sn->recv ? 1 : 0);
    peer_stats_t ps[RAFT_MAX_NODES];
    int np = peers_stats(&n->peers, ps, RAFT_MAX_NODES);
    for (int i = 0; i < st.conf->n; i++) {
        const raft_member_t *m = &st.conf->m[i];
        const char *conn = m->id == n->id ? "self" : "down";
        for (int k = 0; k < np; k++)
            if (ps[k].id == m->id && ps[k].connected) conn = "up";
        sb_printf(b, "raft_member%d:id=%llu,addr=%s,voter=%d,link=%s", i, (unsigned long long)m->id, m->addr,
                  m->voter ? 1 : 0, conn);
        for (int k = 0; k < st.n_peers; k++)
            if (st.peers[k].id == m->id)
                sb_printf(b, ",match=%llu,last_contact_ticks=%llu", (unsigned long long)st.peers[k].match,
                          (unsigned long long)st.peers[k].ticks_since_ack);
        sb_printf(b, "\r\n");
    }
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

/* Redis 7's commandstats lines, for the commands called at least once.
 * Subcommands count under their container (cmdstat_config, not
 * cmdstat_config|get); usec is the time from dispatch to reply, which for a
 * write includes its commit; failed calls are not told apart from calls. */
static void info_commandstats(sbuf_t *b, node_t *n)
{
    for (size_t i = 0; i < n->ncmdstats; i++) {
        const cmd_stat_t *c = &n->cmdstats[i];
        if (c->calls + c->rejected == 0) continue;
        sb_printf(b, "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,failed_calls=0\r\n",
                  cmd_table_at(i)->name, (unsigned long long)c->calls, (unsigned long long)c->usec,
                  c->calls ? (double)c->usec / (double)c->calls : 0.0, (unsigned long long)c->rejected);
    }
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
        case S_RAFT: info_raft(&b, n); break;
        case S_COMMANDSTATS: info_commandstats(&b, n); break;
        case S_KEYSPACE:
            if (n->db.nkeys > 0)
                sb_printf(&b, "db0:keys=%lld,expires=%lld,avg_ttl=0\r\n", (long long)n->db.nkeys,
                          (long long)n->db.nexpires);
            break;
        default: break; /* modules, errorstats, latencystats: empty */
        }
    }
    reply_verbatim(c->reply, b.p, b.len, "txt");
    free(b.p);
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

/* CONFIG SET name value [name value ...]: on this node only, as in Redis,
 * and only for what a running node can change (maxclients and the
 * SLOWLOG settings); everything else is read at start ("can't set
 * immutable config"). All pairs are checked before any is applied. */
static void configSetCommand(cmd_ctx_t *c)
{
    node_t *n = node_of(c);
    if (c->argc % 2) { /* a name without its value (Redis's word for it) */
        reply_error(c->reply, "ERR syntax error");
        return;
    }
    if (!c->sess) { /* inside an entry applied on a follower: its settings are its own */
        reply_ok(c->reply);
        return;
    }
    char name[64], value[64], err[160];
    /* the names first, pair by pair as Redis: unknown, immutable, twice */
    for (int i = 2; i < c->argc; i += 2) {
        bool fits = c->argvlen[i] < sizeof(name) && !memchr(c->argv[i], '\0', c->argvlen[i]);
        if (fits) snprintf(name, sizeof(name), "%.*s", (int)c->argvlen[i], c->argv[i]);
        int rc = fits ? config_set_runtime(n->cfg, name, NULL, err, sizeof(err)) : CONFIG_SET_UNKNOWN;
        if (rc == CONFIG_SET_UNKNOWN) {
            reply_errorf(c->reply, "ERR Unknown option or number of arguments for CONFIG SET - '%.*s'",
                         (int)(c->argvlen[i] < 128 ? c->argvlen[i] : 128), c->argv[i]);
            return;
        }
        for (int j = 2; j < i && rc == 0; j += 2) {
            char other[64];
            snprintf(other, sizeof(other), "%.*s", (int)c->argvlen[j], c->argv[j]);
            if (config_same_key(name, other)) {
                snprintf(err, sizeof(err), "duplicate parameter");
                rc = CONFIG_SET_BAD_VALUE;
            }
        }
        if (rc < 0) {
            reply_errorf(c->reply, "ERR CONFIG SET failed (possibly related to argument '%s') - %s", name, err);
            return;
        }
    }
    /* then the values, on a copy: nothing changes unless every one is good */
    config_t scratch = *n->cfg;
    for (int i = 2; i < c->argc; i += 2) {
        snprintf(name, sizeof(name), "%.*s", (int)c->argvlen[i], c->argv[i]);
        bool fits = c->argvlen[i + 1] < sizeof(value) && !memchr(c->argv[i + 1], '\0', c->argvlen[i + 1]);
        snprintf(value, sizeof(value), "%.*s", fits ? (int)c->argvlen[i + 1] : 1, fits ? c->argv[i + 1] : "x");
        if (config_set_runtime(&scratch, name, value, err, sizeof(err)) < 0) {
            reply_errorf(c->reply, "ERR CONFIG SET failed (possibly related to argument '%s') - %s", name, err);
            return;
        }
    }
    for (int i = 2; i < c->argc; i += 2) {
        snprintf(name, sizeof(name), "%.*s", (int)c->argvlen[i], c->argv[i]);
        snprintf(value, sizeof(value), "%.*s", (int)c->argvlen[i + 1], c->argv[i + 1]);
        config_set_runtime(n->cfg, name, value, err, sizeof(err));
        log_info("config_set", " name=%s value=%s client=%s", name, value, c->sess->addr);
    }
    n->srv.maxclients = n->cfg->maxclients;
    slowlog_limit_changed(n);
    reply_ok(c->reply);
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
    n->db.expired = 0;
    cmdstats_reset(n);
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


static const command_t config_subcommands[] = {
    {"get", configGetCommand, -3, ADMINSUB, 0, 0, 0, "server", "Get the values of configuration parameters", "2.0.0",
     "O(N) when N is the number of configuration parameters provided", "admin slow dangerous", NULL,
     NULL},
    {"set", configSetCommand, -4, ADMINSUB, 0, 0, 0, "server", "Set configuration parameters to the given values",
     "2.0.0", "O(N) when N is the number of configuration parameters provided", "admin slow dangerous", NULL,
     NULL},
    {"resetstat", configResetstatCommand, 2, ADMINSUB, 0, 0, 0, "server", "Reset the stats returned by INFO", "2.0.0",
     "O(1)", "admin slow dangerous", NULL, NULL},
    {"rewrite", configRewriteCommand, 2, ADMINSUB, 0, 0, 0, "server",
     "Rewrite the configuration file with the in memory configuration", "2.8.0", "O(1)", "admin slow dangerous", NULL,
     NULL},
    {"help", configHelpCommand, 2, CMD_CONN | CMD_LOADING | CMD_STALE, 0, 0, 0, "server",
     "Show helpful text about the different subcommands", "5.0.0", "O(1)", "slow", NULL, NULL},
    {NULL},
};


static void configCommand(cmd_ctx_t *c)
{
    run_subcommand(c, &info_commands[1]);
}

const command_t info_commands[] = {
    {"info", infoCommand, -1, CMD_CONN | CMD_LOADING | CMD_STALE, 0, 0, 0, "server",
     "Get information and statistics about the server", "1.0.0", "O(1)", "slow dangerous", NULL,
     NULL},
    {"config", configCommand, -2, CMD_CONN | CMD_LOADING | CMD_STALE, 0, 0, 0, "server",
     "A container for server configuration commands", "2.0.0", "Depends on subcommand.", "slow", config_subcommands,
     NULL},
};
const size_t info_ncommands = sizeof(info_commands) / sizeof(info_commands[0]);
