/* The Raft core on the event loop: restoring it from disk, the tick, and the
 * ready loop that sends, persists and applies what the core hands out.
 *
 * Persistence follows the contract of raft.h. A ready's messages (`msgs`)
 * leave at once; its writes (hard state, entries) join the queue of writes;
 * one thread-pool job writes every queued ready with a single fdatasync at
 * the end (group commit), while the loop goes on serving; when the job is
 * done each of its readies is reported persisted, in order, and only then
 * are its `msgs_after` (votes, acknowledgements) sent. Committed entries are
 * applied as soon as a ready hands them out: the core gives only entries
 * already durable here. */
#include "node/admin.h"
#include "node/node.h"
#include "node/wait_cmd.h"
#include "node/wire.h"
#include "storage/store.h"
#include "util/log.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define BOOT_CONF_KEY "raft_boot_conf"

static void fatal(const char *what, const char *err)
{
    log_error("storage_failure", " op=%s error=\"%s\" action=exit", what, err);
    exit(1);
}

/* ---- the log's term field ------------------------------------------------------ */

/* The log stores an entry's raft type (normal, no-op, configuration) in the
 * top byte of its term, so that the bytes of an entry are stored as they
 * are, without a copy to prefix them. Terms never reach 2^56. Entries of the
 * single-node versions before Raft have type 0: normal. */
#define TERM_TYPE_SHIFT 56
#define TERM_MASK ((1ULL << TERM_TYPE_SHIFT) - 1)

static uint64_t stored_term(uint64_t t) { return t & TERM_MASK; }
static uint8_t stored_type(uint64_t t) { return (uint8_t)(t >> TERM_TYPE_SHIFT); }
static uint64_t term_with_type(const raft_entry_t *e) { return e->term | ((uint64_t)e->type << TERM_TYPE_SHIFT); }

/* ---- configuration at first start ----------------------------------------- */

/* The configuration a brand-new cluster starts from: the members of the
 * config file (or this node alone). It is stored at the first start and
 * read back on every later one, so that editing cluster.conf never changes a
 * running cluster's membership: that lives in the log. */
static int boot_conf(node_t *n, raft_conf_t *c)
{
    store_txn_t *t = store_txn_begin(n->store, false);
    char *val = NULL;
    size_t vlen = 0;
    int rc = store_get(t, CF_META, BOOT_CONF_KEY, strlen(BOOT_CONF_KEY), &val, &vlen);
    store_txn_abort(t);
    if (rc == 1) {
        rc = raft_conf_decode(c, val, vlen);
        store_free(val);
        if (rc != 0) log_error("boot_conf_corrupt", " dir=%s", n->cfg->node_dir);
        return rc;
    }
    memset(c, 0, sizeof(*c));
    const config_t *cfg = n->cfg;
    if (cfg->enabled && !config_member(cfg, cfg->node_id)) {
        /* not a founding member: an empty configuration, so that it never
         * campaigns, until a leader adds it and sends it the log */
        log_info("joining", " id=%d reason=\"not in members: waits to be added\" join=%s", cfg->node_id,
                 cfg->join[0] ? cfg->join : "-");
    } else if (cfg->enabled) {
        for (int i = 0; i < cfg->nmembers && i < RAFT_MAX_NODES; i++) {
            raft_member_t *m = &c->m[c->n++];
            m->id = (uint64_t)cfg->members[i].id;
            m->voter = true;
            if (strlen(cfg->members[i].host) > RAFT_ADDR_MAX - 8) {
                log_error("member_host_too_long", " id=%d max=%d", cfg->members[i].id, RAFT_ADDR_MAX - 8);
                return -1;
            }
            snprintf(m->addr, sizeof(m->addr), "%.*s:%d", RAFT_ADDR_MAX - 8, cfg->members[i].host,
                     cfg->members[i].port);
        }
    } else {
        raft_member_t *m = &c->m[c->n++];
        m->id = n->id;
        m->voter = true;
        snprintf(m->addr, sizeof(m->addr), "%.*s:%d", RAFT_ADDR_MAX - 8, cfg->binding, cfg->port);
    }
    char buf[4096], err[256];
    size_t len = raft_conf_encode(c, buf, sizeof(buf));
    /* no log entry carries it: a synced write of its own */
    if (store_sm_put_sync(n->store, CF_META, BOOT_CONF_KEY, strlen(BOOT_CONF_KEY), buf, len, err, sizeof(err)) < 0)
        fatal("boot_conf", err);
    return 0;
}

/* The cluster id every message carries: fixed at the first start from the
 * founding members, kept in the store's metadata. A joining node has none
 * until its cluster tells it (node_adopt_cluster_id). */
static uint64_t cluster_id(node_t *n, const raft_conf_t *c)
{
    uint64_t id = store_meta_get_u64(n->store, "cluster_id", 0);
    if (id) return id;
    if (c->n == 0) return 0; /* joining: the cluster's id comes with its leader (node_adopt_cluster_id) */
    uint64_t h = 1469598103934665603ULL; /* FNV-1a over the founding members */
    for (int i = 0; i < c->n; i++) {
        char line[128];
        int len = snprintf(line, sizeof(line), "%" PRIu64 "@%s;", c->m[i].id, c->m[i].addr);
        for (int k = 0; k < len; k++) h = (h ^ (unsigned char)line[k]) * 1099511628211ULL;
    }
    if (h == 0) h = 1;
    if (store_meta_put_u64(n->store, "cluster_id", h, true) < 0) fatal("cluster_id", "write failed");
    return h;
}

/* A joining node learns its cluster's id from the first member that
 * speaks to it (its leader's HELLO, or the answer to its join request) and
 * keeps it: from then on it talks to that cluster only. */
void node_adopt_cluster_id(node_t *n, uint64_t id)
{
    if (n->cluster_id || !id) return;
    if (store_meta_put_u64(n->store, "cluster_id", id, true) < 0) fatal("cluster_id", "write failed");
    n->cluster_id = id;
    n->peers.cluster_id = id;
    log_info("cluster_id_adopted", " cluster_id=%016" PRIx64, id);
}

/* ---- start -------------------------------------------------------------------- */

/* Which part of the log follows the snapshot: [*from, *last] (empty when
 * *from > *last). Entries up to the snapshot are covered by it; if the log
 * does not hold the snapshot's own entry with its term (a snapshot installed
 * from a leader, then a crash before the log was reset), nothing in it can
 * be trusted to follow the snapshot and it is emptied. */
static int align_log(node_t *n, const raft_snapshot_meta_t *snap, uint64_t *from, uint64_t *last)
{
    uint64_t first;
    char err[256];
    store_log_bounds(n->store, &first, last);
    if (snap->index == 0) {
        if (*last && first != 1) {
            log_error("log_start_invalid", " first=%" PRIu64 " reason=\"the log was compacted but no snapshot is "
                      "left\"", first);
            return -1;
        }
        *from = first ? first : 1;
        return 0;
    }
    if (*last == 0 || first == snap->index + 1) { /* nothing, or it starts right after */
        *from = first ? first : snap->index + 1;
        if (*last == 0) *last = snap->index;
        return 0;
    }
    if (first <= snap->index && *last >= snap->index) {
        store_entry_t e;
        if (store_log_get(n->store, snap->index, &e, err, sizeof(err)) == 0) {
            bool same = stored_term(e.term) == snap->term;
            free((void *)e.data);
            if (same) {
                *from = snap->index + 1;
                return 0;
            }
        }
    }
    if (first > snap->index + 1) {
        log_error("log_start_invalid", " first=%" PRIu64 " snapshot=%" PRIu64 " reason=\"a gap after the snapshot\"",
                  first, snap->index);
        return -1;
    }
    log_warn("log_reset", " first=%" PRIu64 " last=%" PRIu64 " snapshot=%" PRIu64 " reason=\"does not follow the "
             "snapshot\"", first, *last, snap->index);
    if (store_log_truncate_suffix(n->store, first, err, sizeof(err)) < 0 ||
        store_log_compact(n->store, snap->index, err, sizeof(err)) < 0) {
        log_error("log_reset_failed", " error=\"%s\"", err);
        return -1;
    }
    *from = snap->index + 1;
    *last = snap->index;
    return 0;
}

/* Ticks are a tenth of the heartbeat interval, so that election timeouts
 * drawn at random fall on ~100 distinct values rather than ~10: two
 * followers of a dead leader seldom time out together and split the vote.
 * Client timeouts are checked every heartbeat interval. */
#define TICKS_PER_HEARTBEAT 10

/* One timer callback per tick would let time in ticks run slow whenever the
 * loop is busy (a long apply, a burst of clients): elections would then take
 * longer than the configured timeouts say. So each callback runs as many
 * ticks as wall time has passed, at most an election timeout's worth (after a
 * SIGSTOP the node does not replay the whole pause at once), and a callback
 * far behind its time is logged: it explains a slow failover. */
static void ask_if_member(node_t *n);

static void on_tick(uv_timer_t *t)
{
    node_t *n = t->data;
    int64_t now = (int64_t)(uv_hrtime() / 1000000);
    if (!n->tick_at_ms) n->tick_at_ms = now - n->tick_ms;
    int64_t behind = now - n->tick_at_ms;
    int due = behind > 0 ? (int)(behind / n->tick_ms) : 0;
    static int64_t last_late_ms;
    if (behind >= 200 && now - last_late_ms >= 1000) {
        last_late_ms = now;
        log_warn("loop_late", " ms=%" PRId64 " ticks_due=%d", behind, due);
    }
    int cap = n->election_ticks > 0 ? n->election_ticks : 100;
    if (due > cap) {
        n->tick_at_ms = now - (int64_t)cap * n->tick_ms;
        due = cap;
    }
    node_snapshot_tick(n);
    if (now - n->tombstones_checked_ms >= 1000) { /* a run of deletes must not sit in an idle memtable */
        n->tombstones_checked_ms = now;
        store_flush_tombstones(n->store);
    }
    for (int i = 0; i < due; i++) {
        n->tick_at_ms += n->tick_ms;
        if (!n->removed) raft_tick(n->raft);
        wait_check(n); /* timeouts */
        if (++n->ticks % TICKS_PER_HEARTBEAT) continue;
        node_tick_waiters(n);
        reads_tick(n);
        ask_if_member(n);
    }
    admin_tick(n);
}

/* A member says this node was removed: its core stops ticking (no more
 * campaigns; client timeouts still run), and says so once; it still answers stale reads and
 * the admin API (/health says why it is unavailable). */
static void on_removed(void *ud, uint64_t by)
{
    node_t *n = ud;
    if (n->removed) return;
    n->removed = true;
    log_error("removed_from_cluster", " told_by=%" PRIu64 " action=\"stopped campaigning; stop this process\"", by);
}

/* A voter cut off from its leader campaigns, and a member that removed it
 * answers that it was removed (on_removed). A learner never campaigns, and
 * neither does a node a leader has started to add (it has the cluster's id)
 * before the entry that adds it arrived: removed while it could not hear it
 * (stopped, cut off, not yet caught up), it would wait for a leader
 * forever. So such a node, having heard no leader for the longest election
 * timeout, asks its links again once a second: a HELLO is answered
 * "removed" by a member that removed it, and OK otherwise. */
static void ask_if_member(node_t *n)
{
    if (n->removed || n->role == RAFT_LEADER) return;
    int64_t now = (int64_t)uv_now(n->loop);
    if (!n->leader_heard_ms) n->leader_heard_ms = now; /* counts from the start */
    if (now - n->leader_heard_ms < n->cfg->election_timeout_max_ms || now - n->member_asked_ms < 1000) return;
    raft_status_t st;
    raft_status(n->raft, &st);
    const raft_member_t *me = raft_conf_find(st.conf, n->id);
    if (me ? me->voter : !n->cluster_id) return;
    n->member_asked_ms = now;
    peers_hello(&n->peers);
}

static void on_unreachable(void *ud, uint64_t id)
{
    node_t *n = ud;
    raft_report_unreachable(n->raft, id);
}

/* Loads the hard state and the whole log into the core (it keeps the log in
 * memory until compaction) and tells it what the state machine has applied. */
int node_raft_start(node_t *n)
{
    const config_t *cfg = n->cfg;
    n->id = cfg->enabled ? (uint64_t)cfg->node_id : 1;
    raft_conf_t conf;
    if (boot_conf(n, &conf) != 0) return -1;
    n->cluster_id = cluster_id(n, &conf);

    int hb = cfg->heartbeat_interval_ms > 0 ? cfg->heartbeat_interval_ms : 100;
    n->tick_ms = hb / TICKS_PER_HEARTBEAT > 0 ? hb / TICKS_PER_HEARTBEAT : 1;
    raft_config_t rc;
    raft_config_default(&rc, n->id);
    rc.heartbeat_ticks = (hb + n->tick_ms - 1) / n->tick_ms;
    rc.election_ticks = (cfg->election_timeout_min_ms + n->tick_ms - 1) / n->tick_ms;
    if (rc.election_ticks <= rc.heartbeat_ticks) rc.election_ticks = rc.heartbeat_ticks + 1;
    n->election_ticks = rc.election_ticks;
    rc.election_ticks_max = (cfg->election_timeout_max_ms + n->tick_ms - 1) / n->tick_ms;
    rc.lease_reads = cfg->read_mode == READ_LEASE;
    rc.max_entry_bytes = (uint32_t)(cfg->proto_max_bulk_len + (1 << 20) > UINT32_MAX ? UINT32_MAX
                                                                                   : cfg->proto_max_bulk_len + (1 << 20));
    rc.rand_seed = n->id ^ (uint64_t)node_wall_ms() ^ ((uint64_t)uv_os_getpid() << 32);
    n->raft = raft_new(&rc);
    if (!n->raft) {
        log_error("raft_config_invalid", " election_ticks=%d", rc.election_ticks);
        return -1;
    }

    raft_hard_state_t hs = {
        .term = store_meta_get_u64(n->store, "term", 0),
        .vote = store_meta_get_u64(n->store, "vote", 0),
        .commit = store_meta_get_u64(n->store, "commit", 0),
    };
    raft_snapshot_meta_t snap = {.index = 0, .term = 0, .conf = conf};
    if (node_snapshot_restore(n, &snap) < 0) return -1;
    uint64_t first, last;
    if (align_log(n, &snap, &first, &last) < 0) return -1;
    size_t count = last >= first && last ? (size_t)(last - first + 1) : 0;
    raft_entry_t *ents = count ? calloc(count, sizeof(*ents)) : NULL;
    char err[256];
    for (size_t i = 0; i < count; i++) {
        store_entry_t e;
        if (store_log_get(n->store, first + i, &e, err, sizeof(err)) != 0) {
            log_error("log_read_failed", " index=%" PRIu64 " error=\"%s\"", first + i, err);
            return -1;
        }
        ents[i] = (raft_entry_t){.term = stored_term(e.term), .index = e.index, .type = stored_type(e.term),
                                 .len = (uint32_t)e.len, .data = e.data};
        entry_view_t v;
        if (ents[i].type == RAFT_ENTRY_NORMAL && entry_decode(&v, e.data, e.len) == 0 && v.time_ms > n->last_time_ms)
            n->last_time_ms = v.time_ms;
    }
    int rrc = raft_restore(n->raft, &hs, &snap, ents, count);
    for (size_t i = 0; i < count; i++) free((void *)ents[i].data);
    free(ents);
    if (rrc != RAFT_OK) {
        log_error("raft_restore_failed", " rc=%d term=%" PRIu64 " last=%" PRIu64, rrc, hs.term, last);
        return -1;
    }
    raft_applied(n->raft, n->db.applied);
    n->last_index = last;

    peers_init(&n->peers, n->loop, n->id, n->cluster_id, cfg->cluster_secret);
    n->peers.on_unreachable = on_unreachable;
    n->peers.on_removed = on_removed;
    n->peers.ud = n;
    raft_status_t st;
    raft_status(n->raft, &st);
    const raft_member_t *me = raft_conf_find(st.conf, n->id);
    if (me)
        snprintf(n->peers.self_addr, sizeof(n->peers.self_addr), "%s", me->addr);
    else if (strcmp(cfg->binding, "0.0.0.0") != 0 && strcmp(cfg->binding, "::") != 0)
        snprintf(n->peers.self_addr, sizeof(n->peers.self_addr), "%.50s:%d", cfg->binding, cfg->port);
    peers_sync(&n->peers, st.conf);
    /* A cluster of one need not wait an election timeout for itself. */
    if (raft_conf_voters(st.conf) == 1 && raft_conf_find(st.conf, n->id)) raft_campaign(n->raft);

    uv_idle_init(n->loop, &n->idle);
    n->idle.data = n;
    uv_timer_init(n->loop, &n->tick_timer);
    n->tick_timer.data = n;
    uv_timer_start(&n->tick_timer, on_tick, (uint64_t)n->tick_ms, (uint64_t)n->tick_ms);
    log_info("raft_started", " id=%" PRIu64 " cluster_id=%016" PRIx64 " term=%" PRIu64 " log=%" PRIu64 "..%" PRIu64
             " applied=%" PRIu64 " members=%d tick_ms=%d election_ticks=%d",
             n->id, n->cluster_id, hs.term, first, last, n->db.applied, st.conf->n, n->tick_ms, rc.election_ticks);
    return 0;
}

/* ---- the writes ------------------------------------------------------------ */

static bool has_writes(const raft_ready_t *rd)
{
    return rd->n_entries || rd->hs_changed || rd->has_snapshot;
}

/* Elections are rare and short: every vote message, in or out (and whether
 * it could be sent), is one log line, so a slow failover can be read from
 * the logs afterwards. */
void node_log_vote(node_t *n, const raft_msg_t *m, const char *dir, bool ok)
{
    if (m->type != RAFT_MSG_VOTE && m->type != RAFT_MSG_VOTE_RESP && m->type != RAFT_MSG_PREVOTE &&
        m->type != RAFT_MSG_PREVOTE_RESP)
        return;
    bool resp = m->type == RAFT_MSG_VOTE_RESP || m->type == RAFT_MSG_PREVOTE_RESP;
    log_info("raft_vote", " dir=%s type=%s peer=%" PRIu64 " term=%" PRIu64 " last=%" PRIu64 "/%" PRIu64 "%s%s",
             dir, raft_msg_type_name(m->type), dir[0] == 'i' ? m->from : m->to, m->term, m->index, m->log_term,
             resp ? (m->reject ? " granted=false" : " granted=true") : "", ok ? "" : " sent=false");
    (void)n;
}

static void send_all(node_t *n, const raft_msg_t *m, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (m[i].type == RAFT_MSG_SNAPSHOT) { /* the data goes first (snap_transfer.c) */
            snap_send_start(n, &m[i]);
            continue;
        }
        bool ok = peers_send(&n->peers, &m[i]);
        node_log_vote(n, &m[i], "out", ok);
        if (ok)
            n->stats.msgs_out++;
        else if (m[i].type == RAFT_MSG_APPEND)
            raft_report_unreachable(n->raft, m[i].to);
    }
}

/* Thread pool: every queued ready's hard state and entries, each as one
 * write, synced once at the end. */
static void write_work(uv_work_t *w)
{
    node_t *n = w->data;
    n->write_rc = 0;
    for (size_t i = 0; i < n->njob && n->write_rc == 0; i++) {
        raft_ready_t *rd = n->job[i];
        if (!has_writes(rd)) continue;
        bool last = true;
        for (size_t k = i + 1; k < n->njob; k++)
            if (has_writes(n->job[k])) last = false;
        store_meta_t metas[3];
        int nm = 0;
        if (rd->hs_changed) {
            metas[nm++] = (store_meta_t){"term", rd->hs.term};
            metas[nm++] = (store_meta_t){"vote", rd->hs.vote};
        }
        store_entry_t stack[64], *es = rd->n_entries <= 64 ? stack : malloc(sizeof(*es) * rd->n_entries);
        for (size_t k = 0; k < rd->n_entries; k++)
            es[k] = (store_entry_t){.index = rd->entries[k].index, .term = term_with_type(&rd->entries[k]),
                                    .data = rd->entries[k].data, .len = rd->entries[k].len};
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        n->write_rc = store_log_write(n->store, metas, nm, es, (int)rd->n_entries, last && n->cfg->fsync,
                                      n->write_err, sizeof(n->write_err));
        clock_gettime(CLOCK_MONOTONIC, &t1);
        n->stats.last_append_us = (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
        if (es != stack) free(es);
    }
}

static void maybe_start_write(node_t *n);

static void queue_done(node_t *n, raft_ready_t *rd)
{
    if (n->ndone == n->capdone) {
        n->capdone = n->capdone ? n->capdone * 2 : 16;
        n->done = realloc(n->done, sizeof(*n->done) * n->capdone);
    }
    n->done[n->ndone++] = rd;
}

/* The job's writes are durable: each ready is reported in order and its
 * held messages leave. */
static void finish_job(node_t *n, int status)
{
    n->writing = false;
    if (status != 0 || n->write_rc != 0) fatal("log_write", status ? uv_strerror(status) : n->write_err);
    n->stats.appends++;
    histo_observe(&n->stats.append_seconds, (double)n->stats.last_append_us / 1e6);
    /* a disk that stalls delays votes and acknowledgements alike: say so
     * (once a second at most), it explains a slow election */
    static int64_t last_slow_ms;
    int64_t now = (int64_t)uv_now(n->loop);
    if (n->stats.last_append_us >= 200000 && now - last_slow_ms >= 1000) {
        last_slow_ms = now;
        log_warn("log_append_slow", " ms=%" PRId64 " readies=%zu", n->stats.last_append_us / 1000, n->njob);
    }
    for (size_t i = 0; i < n->njob; i++) {
        raft_ready_t *rd = n->job[i];
        raft_persisted(n->raft, rd);
        send_all(n, rd->msgs_after, rd->n_msgs_after);
        if (n->in_ready) { /* the round still applies its committed entries */
            rd->n_msgs_after = 0;
            queue_done(n, rd);
        } else {
            raft_ready_free(n->raft, rd);
            free(rd);
        }
    }
    n->njob = 0;
}

static void write_done(uv_work_t *w, int status)
{
    node_t *n = w->data;
    finish_job(n, status);
    node_raft_process(n);
}

/* The next job: the pending readies up to the next one with a snapshot,
 * which starts a job of its own and is installed here first, on the loop
 * thread, with no write in flight (the earlier writes it wipes are done). */
static void take_job(node_t *n)
{
    size_t k = 1;
    while (k < n->npend && !n->pend[k]->has_snapshot) k++;
    if (k > n->capjob) {
        n->capjob = k < 16 ? 16 : k;
        n->job = realloc(n->job, sizeof(*n->job) * n->capjob);
    }
    memcpy(n->job, n->pend, sizeof(*n->job) * k);
    memmove(n->pend, n->pend + k, sizeof(*n->pend) * (n->npend - k));
    n->njob = k;
    n->npend -= k;
    n->writing = true;
    n->work.data = n;
    if (n->job[0]->has_snapshot) node_snapshot_install(n, &n->job[0]->snapshot);
}

/* One write in flight: what queues up meanwhile goes out in the next one.
 * The write runs on the thread pool, so the loop goes on serving (and a
 * leader's followers get their entries) during the fsync. */
static void maybe_start_write(node_t *n)
{
    if (n->writing || n->npend == 0) return;
    take_job(n);
    uv_queue_work(n->loop, &n->work, write_work, write_done);
}

/* Writes the queued readies in the loop thread, as Redis does with
 * appendfsync always: no thread hand-offs (two per write, which on a loaded
 * machine cost more than the write), and what arrives meanwhile waits in
 * its socket and forms the next batch. A follower always writes this way:
 * its loop has nothing more urgent than the acknowledgement the write
 * precedes. A leader does when the batch is large (many clients waiting, so
 * throughput is what counts); a small one goes to the thread pool, so that
 * the loop takes the followers' acknowledgements meanwhile and two of them
 * can commit the entry before the leader's own fsync ends (one client
 * waiting: latency is what counts). */
#define INLINE_MIN_ENTRIES 8
static bool write_inline(node_t *n)
{
    if (n->writing || n->npend == 0 || n->shutting_down) return false;
    if (n->voters != 1 && n->role == RAFT_LEADER) {
        size_t ents = 0;
        for (size_t i = 0; i < n->npend; i++) ents += n->pend[i]->n_entries;
        if (ents < INLINE_MIN_ENTRIES) return false;
    }
    peers_flush(&n->peers);
    take_job(n);
    write_work(&n->work);
    finish_job(n, 0);
    peers_flush(&n->peers);
    return true;
}

static void start_write(node_t *n)
{
    if (!write_inline(n)) maybe_start_write(n);
}

static void queue_ready(node_t *n, raft_ready_t *rd)
{
    if (n->npend == n->cappend) {
        n->cappend = n->cappend ? n->cappend * 2 : 16;
        n->pend = realloc(n->pend, sizeof(*n->pend) * n->cappend);
    }
    n->pend[n->npend++] = rd;
}

/* ---- the ready loop --------------------------------------------------------- */

/* Takes every ready the core has: sends, applies, queues the writes. Called
 * once per loop iteration (uv_check) and after each write completes, so that
 * everything proposed or received in one iteration shares one ready. */
static void on_idle(uv_idle_t *h)
{
    uv_idle_stop(h);
    node_raft_process(h->data);
}

void node_kick(node_t *n)
{
    if (n->raft && !n->shutting_down) uv_idle_start(&n->idle, on_idle);
}

void node_raft_process(node_t *n)
{
    if (!n->raft || n->in_ready) return;
    n->in_ready = true;
    /* Answering clients resumes their held requests, which may propose or
     * read again: go round until nothing is left for the core. */
    for (int rounds = 0; rounds < 16; rounds++) {
        reads_request(n);
        if (!raft_has_ready(n->raft)) {
            /* readies queued while the last write was in flight go now even
             * when the core has nothing new: a quiet follower's vote grant or
             * acknowledgement would otherwise wait for the next event (with
             * a new ready they go together with it, in one write, below) */
            if (!n->writing && n->npend) start_write(n);
            break;
        }
        while (raft_has_ready(n->raft)) {
            raft_ready_t *rd = malloc(sizeof(*rd));
            raft_ready(n->raft, rd);
            send_all(n, rd->msgs, rd->n_msgs);
            /* On a follower the log write starts before the apply: the
             * apply of earlier entries then overlaps the fsync (or, written
             * inline, follows the acknowledgement) instead of delaying it.
             * On a leader the apply comes first and its replies leave at
             * once (the entries for the followers too): written inline, the
             * next batch's fsync would otherwise hold the replies of this
             * one for its whole length. */
            bool apply_first = rd->role == RAFT_LEADER && rd->n_committed;
            if (apply_first) {
                peers_flush(&n->peers);
                node_apply_committed(n, rd->committed, rd->n_committed);
                server_flush_pending(&n->srv);
            }
            bool held = has_writes(rd) || ((n->npend || n->writing) && rd->n_msgs_after);
            if (held) {
                queue_ready(n, rd);
                start_write(n);
            }
            if (rd->n_committed && !apply_first) node_apply_committed(n, rd->committed, rd->n_committed);
            for (size_t i = 0; i < rd->n_reads; i++) reads_on_state(n, &rd->reads[i]);
            if (rd->role != n->role || rd->leader != n->leader || rd->hs.term != n->term) {
                n->role = rd->role;
                n->leader = rd->leader;
                n->term = rd->hs.term;
                node_role_changed(n);
            }
            if (!held) {
                send_all(n, rd->msgs_after, rd->n_msgs_after);
                raft_ready_free(n->raft, rd);
                free(rd);
            }
        }
        reads_release(n);
        /* what queued up while a write was in flight goes out now */
        if (!n->writing && n->npend) start_write(n);
    }
    for (size_t i = 0; i < n->ndone; i++) {
        raft_ready_free(n->raft, n->done[i]);
        free(n->done[i]);
    }
    n->ndone = 0;
    peers_flush(&n->peers);
    raft_status_t st;
    raft_status(n->raft, &st);
    n->last_index = st.last_index;
    n->commit = st.commit;
    n->voters = raft_conf_voters(st.conf);
    /* a node that is its own quorum has no acknowledgements waiting on its
     * loop: small applies are cheaper written there (store_txn.c) */
    store_set_inline_commits(n->store, n->voters == 1);
    n->in_ready = false;
    wait_check(n); /* acknowledgements moved the followers' match */
    if (raft_has_ready(n->raft)) node_kick(n);
}

void node_raft_stop(node_t *n)
{
    if (!n->raft) return;
    uv_timer_stop(&n->tick_timer);
    if (!uv_is_closing((uv_handle_t *)&n->tick_timer)) uv_close((uv_handle_t *)&n->tick_timer, NULL);
    uv_idle_stop(&n->idle);
    if (!uv_is_closing((uv_handle_t *)&n->idle)) uv_close((uv_handle_t *)&n->idle, NULL);
    peers_close(&n->peers);
}

void node_raft_free(node_t *n)
{
    for (size_t i = 0; i < n->npend; i++) {
        raft_ready_free(n->raft, n->pend[i]);
        free(n->pend[i]);
    }
    free(n->pend);
    free(n->job);
    free(n->done);
    n->done = NULL;
    n->pend = n->job = NULL;
    n->npend = n->njob = 0;
    raft_free(n->raft);
    n->raft = NULL;
}
