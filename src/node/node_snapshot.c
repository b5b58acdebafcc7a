/* Snapshots of this node's state machine and the compaction of its log
 * behind them; restoring the latest one at start; installing one a leader
 * sent. docs/raft.md ("Snapshots") tells the protocol and why it is
 * crash-safe.
 *
 * Making one takes three trips to the thread pool, so that the loop never
 * waits on a flush, a checksum or an fsync:
 *   1. checkpoint the state machine (RocksDB flushes and links its files),
 *      read back the applied index it holds, checksum its files;
 *   2. (loop) learn that index's term and configuration from the core;
 *      (pool) seal the directory (manifest, fsyncs, rename), then delete the
 *      log segments before index - snapshot_trailing (or before the
 *      snapshot a follower is being sent, so that it can go on from the log
 *      once it has installed it);
 *   3. (loop) tell the core (raft_compact); (pool) delete older snapshots
 *      that no transfer is reading. */
#include "node/node.h"
#include "util/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct make_job {
    uv_work_t work;
    node_t *n;
    int step;
    snap_manifest_t m;
    snap_manifest_t prev; /* the last snapshot: checksums of files it shares */
    char tmp[CONFIG_STR_MAX + 128], final[CONFIG_STR_MAX + 128];
    char *keep[RAFT_MAX_NODES + 3];
    int nkeep;
    uint64_t compact_upto;
    uint64_t trailing;  /* entries kept behind the snapshot: snapshot_trailing, or more for a transfer */
    int64_t t0;
    int64_t step_ms[4]; /* time each step took on the thread pool */
    bool owns;          /* n->snap.making is this job's: only it may clear it (a job
                           that gave up clears it at once, and a newer job may then run
                           while this one's cleanup step still goes on) */
    int rc;
    char err[256];
} make_job_t;

static void make_after(uv_work_t *w, int status);

static void make_work(uv_work_t *w)
{
    make_job_t *j = w->data;
    node_t *n = j->n;
    store_thread_init();
    j->rc = 0;
    uint64_t t0 = uv_hrtime();
    switch (j->step) {
    case 1:
        j->rc = snap_create(n->store, n->snap.root, "applied", &j->prev, &j->m, j->tmp, sizeof(j->tmp), j->err,
                            sizeof(j->err));
        break;
    case 2:
        j->rc = snap_seal(n->snap.root, j->tmp, &j->m, true, j->final, sizeof(j->final), j->err, sizeof(j->err));
        if (j->rc == 0 && j->compact_upto)
            j->rc = store_log_compact(n->store, j->compact_upto, j->err, sizeof(j->err));
        break;
    case 3:
        snap_prune(n->snap.root, (const char *const *)j->keep, j->nkeep, true);
        break;
    case 4: /* a checkpoint nobody wants */
        snap_rmtree(j->tmp);
        break;
    }
    if (j->step < 4) j->step_ms[j->step] = (int64_t)((uv_hrtime() - t0) / 1000000);
}

static void job_free(make_job_t *j)
{
    snap_manifest_free(&j->m);
    snap_manifest_free(&j->prev);
    for (int i = 0; i < j->nkeep; i++) free(j->keep[i]);
    free(j);
}

static void queue_step(make_job_t *j, int step)
{
    j->step = step;
    uv_queue_work(j->n->loop, &j->work, make_work, make_after);
}

/* How many entries to keep behind a snapshot at index: snapshot_trailing,
 * but no more than max_bytes of them. The core holds its log in memory
 * until it is compacted, so a thousand large entries (HSET of a thousand
 * fields each) would otherwise pin a hundred megabytes; a follower further
 * behind than what is kept gets the snapshot instead. */
static uint64_t trailing_within(node_t *n, uint64_t index, uint64_t entries, uint64_t max_bytes)
{
    uint64_t kept = 0, bytes = 0;
    while (kept < entries && kept < index) {
        const raft_entry_t *e = raft_entry_at(n->raft, index - kept);
        if (!e) break;
        bytes += e->len;
        if (bytes > max_bytes) break;
        kept++;
    }
    return kept;
}

/* Step 3's list: the new snapshot and every directory a transfer reads. */
static void queue_prune(make_job_t *j)
{
    node_t *n = j->n;
    j->keep[j->nkeep++] = strdup(n->snap.path);
    j->nkeep += snap_send_paths(n, j->keep + j->nkeep, (int)(sizeof(j->keep) / sizeof(j->keep[0])) - j->nkeep);
    queue_step(j, 3);
}

static void make_after(uv_work_t *w, int status)
{
    make_job_t *j = w->data;
    node_t *n = j->n;
    if (status != 0 && j->rc == 0) {
        j->rc = -1;
        snprintf(j->err, sizeof(j->err), "%s", uv_strerror(status));
    }
    if (j->step >= 3 || n->shutting_down || !n->raft) {
        if (j->owns) n->snap.making = false;
        job_free(j);
        return;
    }
    if (j->rc != 0) {
        log_error("snapshot_failed", " step=%d error=\"%s\"", j->step, j->err);
        n->snap.making = false;
        j->owns = false;
        if (j->step == 1 || j->tmp[0]) queue_step(j, 4);
        return;
    }
    if (j->step == 1) {
        raft_snapshot_meta_t meta;
        if (j->m.index <= n->snap.cur.index || raft_snapshot_meta(n->raft, j->m.index, &meta) != RAFT_OK) {
            /* nothing new (or the core cannot place it): drop the checkpoint */
            log_debug("snapshot_skipped", " index=%" PRIu64 " last=%" PRIu64, j->m.index, n->snap.cur.index);
            queue_step(j, 4);
            n->snap.making = false;
            j->owns = false;
            return;
        }
        j->m.term = meta.term;
        j->m.conf_len = (uint32_t)raft_conf_encode(&meta.conf, j->m.conf, sizeof(j->m.conf));
        uint64_t trailing = trailing_within(n, j->m.index, (uint64_t)n->cfg->snapshot_trailing,
                                            (uint64_t)n->cfg->snapshot_threshold_bytes / 4);
        uint64_t sending = snap_send_min_index(n);
        if (sending < j->m.index && j->m.index - sending > trailing) trailing = j->m.index - sending;
        j->trailing = trailing;
        j->compact_upto = j->m.index > trailing ? j->m.index - trailing : 0;
        queue_step(j, 2);
        return;
    }
    /* step 2 done: the snapshot is durable and the log behind it is gone;
     * unless a leader's snapshot was installed meanwhile: this one is older */
    if (j->m.index <= n->snap.cur.index) {
        n->snap.making = false;
        j->owns = false;
        if (strcmp(j->final, n->snap.path) == 0) { /* the same index and term: the same state */
            job_free(j);
            return;
        }
        snprintf(j->tmp, sizeof(j->tmp), "%s", j->final);
        queue_step(j, 4);
        return;
    }
    raft_compact(n->raft, j->m.index, j->trailing, NULL);
    snap_manifest_free(&n->snap.cur);
    n->snap.cur = j->m;
    j->m.files = NULL;
    j->m.nfiles = 0;
    snprintf(n->snap.path, sizeof(n->snap.path), "%s", j->final);
    n->snap.made++;
    n->snap.last_time_ms = node_wall_ms();
    n->snap.last_duration_ms = (int64_t)uv_now(n->loop) - j->t0;
    /* The checkpoint holds what the committer had written, which may lag
     * the applies a RAFT.SNAPSHOT was asked after: then one more follows. */
    if (n->snap.want_index > n->snap.cur.index) n->snap.want = true;
    log_info("snapshot_made", " index=%" PRIu64 " term=%" PRIu64 " files=%u bytes=%" PRIu64
             " log_compacted_to=%" PRIu64 " ms=%" PRId64 " checkpoint_ms=%" PRId64 " seal_ms=%" PRId64,
             n->snap.cur.index, n->snap.cur.term, n->snap.cur.nfiles, n->snap.cur.bytes, j->compact_upto,
             n->snap.last_duration_ms, j->step_ms[1], j->step_ms[2]);
    queue_prune(j);
}

static void make_start(node_t *n)
{
    make_job_t *j = calloc(1, sizeof(*j));
    if (!j) return;
    j->n = n;
    j->work.data = j;
    j->t0 = (int64_t)uv_now(n->loop);
    if (snap_manifest_copy(&j->prev, &n->snap.cur) < 0) memset(&j->prev, 0, sizeof(j->prev));
    n->snap.making = true;
    j->owns = true;
    n->snap.want = false;
    queue_step(j, 1);
}

void node_snapshot_tick(node_t *n)
{
    snap_send_tick(n);
    if (n->snap.making || n->shutting_down || !n->raft) return;
    uint64_t applied = n->db.applied;
    if (applied <= n->snap.cur.index) {
        n->snap.want = false;
        return;
    }
    if (n->snap.want || applied - n->snap.cur.index >= (uint64_t)n->cfg->snapshot_threshold ||
        store_log_size(n->store) >= (uint64_t)n->cfg->snapshot_threshold_bytes)
        make_start(n);
}

bool node_snapshot_request(node_t *n)
{
    bool now = !n->snap.making;
    n->snap.want = true; /* if one is being made, another follows it */
    if (n->db.applied > n->snap.want_index) n->snap.want_index = n->db.applied;
    node_snapshot_tick(n);
    return now;
}

/* ---- at start ---------------------------------------------------------------- */

int node_snapshot_restore(node_t *n, raft_snapshot_meta_t *snap)
{
    char err[256];
    snprintf(n->snap.root, sizeof(n->snap.root), "%s/snap", n->cfg->node_dir);
    if (mkdir(n->snap.root, 0755) < 0 && errno != EEXIST) {
        log_error("snapshot_dir_failed", " dir=%s error=\"%s\"", n->snap.root, strerror(errno));
        return -1;
    }
    snap_manifest_t m;
    char path[sizeof(n->snap.path)];
    int rc = snap_latest(n->snap.root, &m, path, sizeof(path), err, sizeof(err));
    if (rc < 0) {
        log_error("snapshot_read_failed", " dir=%s error=\"%s\"", n->snap.root, err);
        return -1;
    }
    /* what a crash left (checkpoints being made, transfers half received,
     * superseded snapshots) goes */
    const char *keep[1] = {path};
    snap_prune(n->snap.root, keep, rc == 1 ? 1 : 0, false);
    if (rc == 0) return 0;
    raft_conf_t conf;
    if (raft_conf_decode(&conf, m.conf, m.conf_len) != 0) {
        log_error("snapshot_corrupt", " dir=%s reason=configuration", path);
        snap_manifest_free(&m);
        return -1;
    }
    if (n->db.applied < m.index) {
        /* received and sealed, but the install did not happen before a
         * crash: the state machine is still the old one, so do it now */
        log_info("snapshot_install_resumed", " index=%" PRIu64 " applied=%" PRIu64, m.index, n->db.applied);
        if (store_install(n->store, path, err, sizeof(err)) < 0) {
            log_error("snapshot_install_failed", " dir=%s error=\"%s\"", path, err);
            snap_manifest_free(&m);
            return -1;
        }
        db_load(&n->db, n->store);
    }
    snap->index = m.index;
    snap->term = m.term;
    snap->conf = conf;
    n->snap.cur = m;
    snprintf(n->snap.path, sizeof(n->snap.path), "%s", path);
    return 1;
}

/* ---- installing what a leader sent --------------------------------------------- */

/* Empties the log and makes it continue after index: the snapshot replaces
 * everything in it (the core found no entry of ours agreeing with it). */
static int reset_log(node_t *n, uint64_t index, char *err, size_t errlen)
{
    uint64_t first, last;
    store_log_bounds(n->store, &first, &last);
    if (last && store_log_truncate_suffix(n->store, first, err, errlen) < 0) return -1;
    return store_log_compact(n->store, index, err, errlen);
}

void node_snapshot_install(node_t *n, const raft_snapshot_meta_t *m)
{
    char err[256];
    if (n->snap.cur.index != m->index || n->snap.cur.term != m->term) {
        log_error("snapshot_install_failed", " index=%" PRIu64 " reason=\"no such snapshot on disk\" action=exit",
                  m->index);
        _exit(1);
    }
    int64_t t0 = (int64_t)uv_now(n->loop);
    if (store_install(n->store, n->snap.path, err, sizeof(err)) < 0 || reset_log(n, m->index, err, sizeof(err)) < 0) {
        log_error("snapshot_install_failed", " index=%" PRIu64 " error=\"%s\" action=exit", m->index, err);
        _exit(1);
    }
    db_load(&n->db, n->store);
    peers_sync(&n->peers, &m->conf); /* the membership comes with it (a joining node learns it here) */
    n->snap.received++;
    uv_update_time(n->loop);
    log_info("snapshot_installed", " index=%" PRIu64 " term=%" PRIu64 " applied=%" PRIu64 " bytes=%" PRIu64
             " ms=%" PRId64,
             m->index, m->term, n->db.applied, n->snap.cur.bytes, (int64_t)uv_now(n->loop) - t0);
}

void node_snapshot_free(node_t *n)
{
    snap_send_abort_all(n, "shutdown");
    snap_recv_abort(n, "shutdown");
    snap_manifest_free(&n->snap.cur);
}
