/* Snapshot transfers: a leader streams its latest snapshot to a follower
 * whose next entry it compacted away; the follower writes it aside, checks
 * it, seals it and only then lets its core install it.
 *
 * Sender (leader): one BEGIN chunk (the manifest), then the files' bytes as
 * DATA chunks of snapshot_chunk_size, read on the thread pool, at most
 * snapshot_chunks_in_flight unacknowledged (each RAFT.SNAP gets a reply:
 * that is the flow control, and the heartbeats on the same connection are
 * never more than a few chunks behind); then the core's SNAPSHOT message.
 * It is over when the core sees the follower's acknowledgement (the peer
 * leaves the snapshot state), or failed (reported to the core, which probes
 * and sends a new SNAPSHOT later) when a chunk is refused, the connection
 * drops, this node stops leading, or nothing moves for too long.
 *
 * Receiver (follower): a BEGIN starts over in a fresh recv-* directory;
 * every chunk must be the next one expected, its checksum right, and every
 * file's checksum right once complete. The SNAPSHOT message is stepped into
 * the core only after the whole directory is synced and sealed (thread
 * pool); a restart at any earlier point finds only a recv-* directory,
 * deleted at start, and the old state intact. */
#include "node/node.h"
#include "node/snapwire.h"
#include "util/crc32c.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEND_STALL_MS 30000 /* no acknowledgement for this long: give up */
#define RETRY_MIN_MS 500    /* after a failed transfer to a peer, the next waits this long, */
#define RETRY_MAX_MS 30000  /* doubling up to this */

struct snap_send {
    snap_send_t *next;
    node_t *n;
    uint64_t to, tag;
    snap_manifest_t m;
    char path[CONFIG_STR_MAX + 128];
    raft_msg_t msg;
    raft_snapshot_meta_t meta;
    uint32_t file;   /* next chunk to read: file and offset */
    uint64_t off;
    int fd;
    int inflight;    /* chunks sent and not acknowledged */
    bool reading;    /* a read is on the thread pool */
    bool dead;       /* freed when the read comes back */
    bool msg_sent;
    uv_fs_t req;
    char *buf, *wire;
    size_t wirecap;
    int64_t started_ms, last_ms, next_ms, deadline_ms;
};

struct snap_recv {
    uint64_t from, term, index, snap_term;
    snap_manifest_t m;
    char dir[CONFIG_STR_MAX + 128], final[CONFIG_STR_MAX + 128];
    uint32_t file;
    uint64_t off;
    uint32_t crc;
    int fd;
    bool complete, sealing, dead;
    raft_msg_t msg;
    raft_snapshot_meta_t meta;
    uv_work_t work;
    int rc;
    char err[256];
    node_t *n;
};

static int64_t now_ms(node_t *n)
{
    return (int64_t)uv_now(n->loop);
}

/* ---- sending ---------------------------------------------------------------------- */

static void send_free(snap_send_t *s)
{
    if (s->fd >= 0) close(s->fd);
    snap_manifest_free(&s->m);
    free(s->buf);
    free(s->wire);
    free(s);
}

/* Unlinks s; the memory goes now, or when its read comes back. */
static void send_remove(snap_send_t *s)
{
    node_t *n = s->n;
    for (snap_send_t **pp = &n->snap.sends; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    if (s->reading) s->dead = true;
    else send_free(s);
}

/* The retry slot of peer `to` (a free or the oldest one if it has none). */
static int retry_slot(node_t *n, uint64_t to)
{
    int best = 0;
    for (int i = 0; i < RAFT_MAX_NODES; i++) {
        if (n->snap.retry[i].peer == to) return i;
        if (n->snap.retry[i].not_before_ms < n->snap.retry[best].not_before_ms) best = i;
    }
    n->snap.retry[best].peer = to;
    n->snap.retry[best].backoff_ms = 0;
    return best;
}

static void send_fail(snap_send_t *s, const char *why)
{
    node_t *n = s->n;
    int k = retry_slot(n, s->to);
    int b = n->snap.retry[k].backoff_ms;
    b = b ? (b * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : b * 2) : RETRY_MIN_MS;
    n->snap.retry[k].backoff_ms = b;
    n->snap.retry[k].not_before_ms = now_ms(n) + b;
    log_warn("snapshot_send_failed", " peer=%" PRIu64 " index=%" PRIu64 " file=%u offset=%" PRIu64 " reason=\"%s\"",
             s->to, s->m.index, s->file, s->off, why);
    n->snap.send_failed++;
    if (n->raft) raft_report_snapshot(n->raft, s->to, false);
    send_remove(s);
}

static snap_send_t *send_find(node_t *n, uint64_t to, uint64_t tag)
{
    for (snap_send_t *s = n->snap.sends; s; s = s->next)
        if (s->to == to && (tag == 0 || s->tag == tag)) return s;
    return NULL;
}

static void on_ack(void *ud, uint64_t peer, uint64_t tag, bool ok, const char *err);

static bool send_chunk(snap_send_t *s, const snapwire_t *c)
{
    node_t *n = s->n;
    size_t need = snapwire_size(c);
    if (need > s->wirecap) {
        char *w = realloc(s->wire, need);
        if (!w) return false;
        s->wire = w;
        s->wirecap = need;
    }
    size_t len = snapwire_encode(c, s->wire, s->wirecap);
    if (!len || !peers_send_cmd(&n->peers, s->to, "RAFT.SNAP", s->wire, len, on_ack, s->tag)) return false;
    s->inflight++;
    peers_flush(&n->peers);
    return true;
}

/* Skips files with nothing to read (the receiver creates them itself). */
static void skip_empty_send(snap_send_t *s)
{
    while (s->file < s->m.nfiles && s->off >= s->m.files[s->file].size) {
        if (s->fd >= 0) close(s->fd);
        s->fd = -1;
        s->file++;
        s->off = 0;
    }
}

static void on_read(uv_fs_t *req);

/* Sends what the window allows: the next chunk is read on the thread pool,
 * and once every chunk is acknowledged the SNAPSHOT message goes. */
static void pump(snap_send_t *s)
{
    node_t *n = s->n;
    if (s->dead || s->reading || s->msg_sent) return;
    skip_empty_send(s);
    if (s->file >= s->m.nfiles) {
        if (s->inflight) return;
        if (!peers_send(&n->peers, &s->msg)) {
            send_fail(s, "peer not connected");
            return;
        }
        peers_flush(&n->peers);
        s->msg_sent = true;
        /* the follower syncs and installs everything: allow for its disk */
        s->deadline_ms = now_ms(n) + SEND_STALL_MS + (int64_t)(s->m.bytes / (20u << 20)) * 1000;
        return;
    }
    if (s->inflight >= n->cfg->snapshot_chunks_in_flight) return;
    if (n->cfg->snapshot_chunk_delay_ms && now_ms(n) < s->next_ms) return; /* the tick comes back */
    if (s->fd < 0) {
        char path[sizeof(s->path) + SNAP_NAME_MAX + 2];
        snprintf(path, sizeof(path), "%s/%s", s->path, s->m.files[s->file].name);
        s->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (s->fd < 0) {
            send_fail(s, strerror(errno));
            return;
        }
    }
    uint64_t left = s->m.files[s->file].size - s->off;
    size_t want = left < (uint64_t)n->cfg->snapshot_chunk_size ? (size_t)left : (size_t)n->cfg->snapshot_chunk_size;
    uv_buf_t b = uv_buf_init(s->buf, (unsigned)want);
    s->req.data = s;
    s->reading = true;
    if (uv_fs_read(n->loop, &s->req, s->fd, &b, 1, (int64_t)s->off, on_read) < 0) {
        s->reading = false;
        send_fail(s, "read could not start");
    }
}

static void on_read(uv_fs_t *req)
{
    snap_send_t *s = req->data;
    ssize_t got = req->result;
    uv_fs_req_cleanup(req);
    s->reading = false;
    if (s->dead) {
        send_free(s);
        return;
    }
    node_t *n = s->n;
    if (got <= 0) {
        send_fail(s, got < 0 ? uv_strerror((int)got) : "file shorter than its manifest");
        return;
    }
    snapwire_t c = {.kind = SNAPWIRE_DATA, .cluster_id = n->cluster_id, .from = n->id, .term = n->term,
                    .snap_index = s->m.index, .snap_term = s->m.term, .body = s->buf, .len = (uint32_t)got,
                    .file = s->file, .offset = s->off};
    if (!send_chunk(s, &c)) {
        send_fail(s, "peer not connected");
        return;
    }
    s->off += (uint64_t)got;
    s->next_ms = now_ms(n) + n->cfg->snapshot_chunk_delay_ms;
    pump(s);
}

static void on_ack(void *ud, uint64_t peer, uint64_t tag, bool ok, const char *err)
{
    node_t *n = ud;
    snap_send_t *s = send_find(n, peer, tag);
    if (!s) return;
    if (!ok) {
        send_fail(s, err ? err : "refused");
        return;
    }
    s->inflight--;
    s->last_ms = now_ms(n);
    pump(s);
}

void snap_send_start(node_t *n, const raft_msg_t *m)
{
    snap_send_t *old = send_find(n, m->to, 0);
    if (old) send_remove(old); /* a new attempt replaces the old one */
    int k = retry_slot(n, m->to);
    if (now_ms(n) < n->snap.retry[k].not_before_ms) { /* failed a moment ago: not yet, and quietly */
        raft_report_snapshot(n->raft, m->to, false);
        return;
    }
    if (!m->snapshot || m->snapshot->index != n->snap.cur.index || n->snap.cur.index == 0) {
        log_warn("snapshot_send_failed", " peer=%" PRIu64 " index=%" PRIu64 " reason=\"not the snapshot on disk\"",
                 m->to, m->snapshot ? m->snapshot->index : 0);
        raft_report_snapshot(n->raft, m->to, false);
        return;
    }
    snap_send_t *s = calloc(1, sizeof(*s));
    if (!s || snap_manifest_copy(&s->m, &n->snap.cur) < 0 || !(s->buf = malloc((size_t)n->cfg->snapshot_chunk_size))) {
        if (s) send_free(s);
        raft_report_snapshot(n->raft, m->to, false);
        return;
    }
    s->n = n;
    s->fd = -1;
    s->to = m->to;
    s->tag = ++n->snap.seq;
    snprintf(s->path, sizeof(s->path), "%s", n->snap.path);
    s->meta = *m->snapshot;
    s->msg = *m;
    s->msg.snapshot = &s->meta;
    s->started_ms = s->last_ms = now_ms(n);
    s->next = n->snap.sends;
    n->snap.sends = s;

    size_t mlen = snap_manifest_size(&s->m);
    char *mbuf = malloc(mlen);
    bool ok = mbuf && snap_manifest_encode(&s->m, mbuf, mlen) == mlen;
    snapwire_t c = {.kind = SNAPWIRE_BEGIN, .cluster_id = n->cluster_id, .from = n->id, .term = n->term,
                    .snap_index = s->m.index, .snap_term = s->m.term, .body = mbuf, .len = (uint32_t)mlen};
    ok = ok && send_chunk(s, &c);
    free(mbuf);
    if (!ok) {
        send_fail(s, "peer not connected");
        return;
    }
    log_info("snapshot_send_started", " peer=%" PRIu64 " index=%" PRIu64 " term=%" PRIu64 " files=%u bytes=%" PRIu64,
             s->to, s->m.index, s->m.term, s->m.nfiles, s->m.bytes);
    pump(s);
}

void snap_send_abort_all(node_t *n, const char *why)
{
    while (n->snap.sends) {
        snap_send_t *s = n->snap.sends;
        log_info("snapshot_send_aborted", " peer=%" PRIu64 " index=%" PRIu64 " reason=%s", s->to, s->m.index, why);
        send_remove(s);
    }
}

void snap_send_tick(node_t *n)
{
    if (!n->snap.sends) return;
    if (n->role != RAFT_LEADER) {
        snap_send_abort_all(n, "not_leader");
        return;
    }
    raft_status_t st;
    raft_status(n->raft, &st);
    int64_t now = now_ms(n);
    snap_send_t *next;
    for (snap_send_t *s = n->snap.sends; s; s = next) {
        next = s->next;
        bool still = false;
        for (int i = 0; i < st.n_peers; i++)
            if (st.peers[i].id == s->to && st.peers[i].state == RAFT_PROGRESS_SNAPSHOT) still = true;
        if (!still) { /* acknowledged (or the core moved on by itself) */
            n->snap.retry[retry_slot(n, s->to)].backoff_ms = 0;
            if (s->msg_sent) {
                n->snap.sent++;
                log_info("snapshot_sent", " peer=%" PRIu64 " index=%" PRIu64 " bytes=%" PRIu64 " ms=%" PRId64, s->to,
                         s->m.index, s->m.bytes, now - s->started_ms);
            }
            send_remove(s);
        } else if (s->msg_sent ? now > s->deadline_ms : now - s->last_ms > SEND_STALL_MS) {
            send_fail(s, s->msg_sent ? "no acknowledgement of the install" : "transfer stalled");
        } else {
            pump(s);
        }
    }
}

uint64_t snap_send_min_index(node_t *n)
{
    uint64_t m = UINT64_MAX;
    for (snap_send_t *s = n->snap.sends; s; s = s->next)
        if (s->m.index < m) m = s->m.index;
    return m;
}

int snap_send_paths(node_t *n, char **out, int max)
{
    int k = 0;
    for (snap_send_t *s = n->snap.sends; s && k < max; s = s->next) out[k++] = strdup(s->path);
    if (n->snap.recv && k < max) out[k++] = strdup(n->snap.recv->dir);
    return k;
}

/* ---- receiving --------------------------------------------------------------------- */

static void recv_free(snap_recv_t *r)
{
    if (r->fd >= 0) close(r->fd);
    snap_manifest_free(&r->m);
    free(r);
}

void snap_recv_abort(node_t *n, const char *why)
{
    snap_recv_t *r = n->snap.recv;
    if (!r) return;
    n->snap.recv = NULL;
    if (why) {
        log_warn("snapshot_receive_aborted", " from=%" PRIu64 " index=%" PRIu64 " reason=\"%s\"", r->from, r->index,
                 why);
        n->snap.recv_failed++;
    }
    if (r->sealing) { /* the seal on the thread pool frees it */
        r->dead = true;
        return;
    }
    snap_rmtree(r->dir);
    recv_free(r);
}

/* Creates the files with nothing in them and moves past them. */
static int skip_empty_recv(snap_recv_t *r)
{
    while (r->file < r->m.nfiles && r->m.files[r->file].size == 0) {
        char path[sizeof(r->dir) + SNAP_NAME_MAX + 2];
        snprintf(path, sizeof(path), "%s/%s", r->dir, r->m.files[r->file].name);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) return -1;
        close(fd);
        r->file++;
    }
    if (r->file == r->m.nfiles) r->complete = true;
    return 0;
}

static void recv_begin(node_t *n, const snapwire_t *c, reply_t *rp)
{
    char err[256];
    if (n->snap.recv && n->snap.recv->sealing) {
        reply_error(rp, "ERR raft: a snapshot is being installed");
        return;
    }
    snap_recv_abort(n, n->snap.recv ? "a new transfer began" : NULL);
    snap_recv_t *r = calloc(1, sizeof(*r));
    if (!r) {
        reply_error(rp, "ERR raft: out of memory");
        return;
    }
    r->fd = -1;
    r->n = n;
    if (snap_manifest_decode(&r->m, c->body, c->len, err, sizeof(err)) < 0) {
        reply_errorf(rp, "ERR raft: bad snapshot manifest: %s", err);
        recv_free(r);
        return;
    }
    if (r->m.index != c->snap_index || r->m.term != c->snap_term) {
        reply_error(rp, "ERR raft: bad snapshot manifest: its index or term differs from the chunk's");
        recv_free(r);
        return;
    }
    r->from = c->from;
    r->term = c->term;
    r->index = c->snap_index;
    r->snap_term = c->snap_term;
    snprintf(r->dir, sizeof(r->dir), "%s/recv-%016" PRIx64 "-%016" PRIx64, n->snap.root, r->index, r->snap_term);
    snap_rmtree(r->dir);
    if (mkdir(r->dir, 0755) < 0 || skip_empty_recv(r) < 0) {
        reply_errorf(rp, "ERR raft: cannot write the snapshot: %s", strerror(errno));
        recv_free(r);
        return;
    }
    n->snap.recv = r;
    log_info("snapshot_receive_started", " from=%" PRIu64 " index=%" PRIu64 " term=%" PRIu64 " files=%u bytes=%" PRIu64,
             r->from, r->index, r->snap_term, r->m.nfiles, r->m.bytes);
    reply_simple(rp, "OK");
}

static void recv_data(node_t *n, const snapwire_t *c, reply_t *rp)
{
    snap_recv_t *r = n->snap.recv;
    if (!r || r->from != c->from || r->index != c->snap_index || r->snap_term != c->snap_term || r->sealing) {
        reply_error(rp, "ERR raft: no such snapshot transfer in progress");
        return;
    }
    const char *why = NULL;
    if (r->complete || c->file != r->file || c->offset != r->off)
        why = "chunk out of order";
    else if (c->len > r->m.files[r->file].size - r->off)
        why = "chunk beyond the end of its file";
    if (!why && r->fd < 0) {
        char path[sizeof(r->dir) + SNAP_NAME_MAX + 2];
        snprintf(path, sizeof(path), "%s/%s", r->dir, r->m.files[r->file].name);
        r->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (r->fd < 0) why = strerror(errno);
    }
    for (uint32_t done = 0; !why && done < c->len;) {
        ssize_t k = pwrite(r->fd, c->body + done, c->len - done, (off_t)(r->off + done));
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) why = strerror(errno);
        else done += (uint32_t)k;
    }
    if (!why) {
        r->crc = crc32c(r->crc, c->body, c->len);
        r->off += c->len;
        if (r->off == r->m.files[r->file].size) {
            close(r->fd);
            r->fd = -1;
            if (r->crc != r->m.files[r->file].crc) why = "file checksum mismatch";
            r->file++;
            r->off = 0;
            r->crc = 0;
            if (!why && skip_empty_recv(r) < 0) why = strerror(errno);
        }
    }
    if (why) {
        reply_errorf(rp, "ERR raft: snapshot chunk refused: %s", why);
        snap_recv_abort(n, why);
        return;
    }
    reply_simple(rp, "OK");
}

void snap_recv_chunk(node_t *n, client_t *cl, const char *buf, size_t len, reply_t *rp)
{
    snapwire_t c;
    char err[128];
    const char *why = NULL;
    if (snapwire_decode(&c, buf, len, err, sizeof(err)) < 0)
        why = err;
    else if (c.cluster_id != n->cluster_id)
        why = "cluster id";
    else if (c.from != cl->sess.peer_id)
        why = "sender is not the node that said hello";
    else if (c.term < n->term)
        why = "stale term";
    if (why) {
        n->stats.msgs_bad++;
        log_warn("snapshot_chunk_refused", " from=%" PRIu64 " len=%zu reason=\"%s\"", cl->sess.peer_id, len, why);
        reply_errorf(rp, "ERR raft: bad snapshot chunk: %s", why);
        return;
    }
    if (c.kind == SNAPWIRE_BEGIN) recv_begin(n, &c, rp);
    else recv_data(n, &c, rp);
}

static void seal_work(uv_work_t *w)
{
    snap_recv_t *r = w->data;
    r->rc = snap_seal(r->n->snap.root, r->dir, &r->m, true, r->final, sizeof(r->final), r->err, sizeof(r->err));
}

static void seal_after(uv_work_t *w, int status)
{
    snap_recv_t *r = w->data;
    node_t *n = r->n;
    r->sealing = false;
    if (r->dead || !n->raft || n->shutting_down) {
        if (r->rc == 0) snap_rmtree(r->final);
        else snap_rmtree(r->dir);
        recv_free(r);
        return;
    }
    n->snap.recv = NULL;
    if (status != 0 || r->rc != 0) {
        log_error("snapshot_seal_failed", " index=%" PRIu64 " error=\"%s\"", r->index,
                  status ? uv_strerror(status) : r->err);
        n->snap.recv_failed++;
        snap_rmtree(r->dir);
        recv_free(r);
        return;
    }
    /* The data is durable: now the core may take the snapshot. It becomes
     * this node's current one if the core accepts it (the ready then asks
     * for the install). */
    snap_manifest_t prev = n->snap.cur;
    char prev_path[sizeof(n->snap.path)];
    snprintf(prev_path, sizeof(prev_path), "%s", n->snap.path);
    n->snap.cur = r->m;
    r->m.files = NULL;
    r->m.nfiles = 0;
    snprintf(n->snap.path, sizeof(n->snap.path), "%s", r->final);
    raft_step(n->raft, &r->msg);
    raft_status_t st;
    raft_status(n->raft, &st);
    if (st.snap_index == r->index && st.snap_term == r->snap_term) {
        snap_manifest_free(&prev);
        /* the old snapshot is not pruned here: a compaction prunes later */
    } else { /* refused (stale, or already covered): keep the old one */
        log_info("snapshot_not_needed", " index=%" PRIu64 " commit=%" PRIu64, r->index, st.commit);
        snap_rmtree(r->final);
        snap_manifest_free(&n->snap.cur);
        n->snap.cur = prev;
        snprintf(n->snap.path, sizeof(n->snap.path), "%s", prev_path);
    }
    recv_free(r);
    node_kick(n);
}

bool snap_recv_message(node_t *n, const raft_msg_t *m)
{
    if (m->snapshot->index <= raft_commit_index(n->raft)) return true; /* the core just acknowledges */
    snap_recv_t *r = n->snap.recv;
    if (!r || !r->complete || r->sealing || r->index != m->snapshot->index || r->snap_term != m->snapshot->term ||
        r->from != m->from) {
        log_warn("snapshot_message_dropped", " from=%" PRIu64 " index=%" PRIu64 " reason=\"its data was not received\"",
                 m->from, m->snapshot->index);
        return false;
    }
    r->meta = *m->snapshot;
    r->msg = *m;
    r->msg.snapshot = &r->meta;
    r->msg.entries = NULL;
    r->msg.n_entries = 0;
    r->sealing = true;
    r->work.data = r;
    uv_queue_work(n->loop, &r->work, seal_work, seal_after);
    return false;
}
