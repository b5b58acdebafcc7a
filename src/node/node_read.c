/* Linearizable reads (ReadIndex, thesis §6.4) on any node.
 *
 * A read command is copied and queued. All reads that arrive during one
 * loop iteration form a batch that asks the core for one read index (one
 * heartbeat round on the leader, or one READ_INDEX to it from a follower).
 * When the core hands the batch's read state out, the index is committed in
 * the leader's term, a quorum confirmed the leadership after the reads
 * arrived, and this node has applied up to the index: the reads run against
 * the local state machine.
 *
 * Batches are released strictly in order, so a client's pipelined reads are
 * answered in order even when one batch has to be asked again (its read
 * state was rejected: no leader, a leader change). A batch not served within
 * request_timeout_ms answers -CLUSTERDOWN. */
#include "node/node.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

enum { B_OPEN, B_WAITING, B_READY, B_RETRY, B_FAILED };

struct read_batch {
    uint64_t seq;   /* position in the FIFO of batches */
    uint64_t ctx;   /* the core's read id; 0 while open */
    int state;
    int64_t deadline_ms;
};

struct read_req {
    client_t *cl;   /* NULL: a barrier (fn is called instead of running a command) */
    void (*fn)(void *ud, bool ok);
    void *ud;
    uint64_t batch; /* seq of its batch */
    uint64_t start_us; /* when its dispatch began (cmdstats.c) */
    int32_t cmd_pos;   /* the command's position in the table */
    const command_t *cmd;
    int argc;
    const char **argv;
    size_t *argvlen;
    /* argv pointers, lengths and bytes follow in the same allocation */
};

static read_batch_t *batch_at(node_t *n, uint64_t seq)
{
    if (n->bhead == n->bn) return NULL;
    uint64_t first = n->batches[n->bhead].seq;
    if (seq < first || seq - first >= n->bn - n->bhead) return NULL;
    return &n->batches[n->bhead + (seq - first)];
}

/* The batch new reads join: the last one while it has not been sent. */
static read_batch_t *open_batch(node_t *n)
{
    if (n->bn > n->bhead && n->batches[n->bn - 1].state == B_OPEN) return &n->batches[n->bn - 1];
    if (n->bhead == n->bn) n->bhead = n->bn = 0;
    if (n->bn == n->bcap) {
        if (n->bhead > 0) {
            memmove(n->batches, n->batches + n->bhead, sizeof(*n->batches) * (n->bn - n->bhead));
            n->bn -= n->bhead;
            n->bhead = 0;
        } else {
            n->bcap = n->bcap ? n->bcap * 2 : 64;
            n->batches = realloc(n->batches, sizeof(*n->batches) * n->bcap);
        }
    }
    uint64_t seq = ++n->read_seq;
    read_batch_t *b = &n->batches[n->bn++];
    *b = (read_batch_t){.seq = seq, .state = B_OPEN,
                        .deadline_ms = (int64_t)uv_now(n->loop) + n->cfg->request_timeout_ms};
    return b;
}

bool node_read_now(const node_t *n)
{
    if (n->role != RAFT_LEADER || n->voters != 1 || n->rqhead != n->rqn) return false;
    /* As for any ReadIndex: only once the leader has committed an entry of
     * its own term is its commit index known to cover every acknowledged
     * write (after a restart it is just the applied index until then). */
    uint64_t commit = raft_commit_index(n->raft);
    return raft_term_at(n->raft, commit) == n->term && n->db.applied >= commit;
}

static void queue_req(node_t *n, read_req_t *r);

void node_read(node_t *n, client_t *cl, const command_t *cmd, int argc, const char **argv, const size_t *argvlen)
{
    size_t bytes = 0;
    for (int i = 0; i < argc; i++) bytes += argvlen[i];
    size_t ptrs = sizeof(char *) * (size_t)argc, lens = sizeof(size_t) * (size_t)argc;
    read_req_t *r = malloc(sizeof(*r) + ptrs + lens + bytes);
    r->cl = cl;
    r->cmd = cmd;
    r->argc = argc;
    r->argv = (const char **)(r + 1);
    r->argvlen = (size_t *)((char *)r->argv + ptrs);
    char *p = (char *)r->argvlen + lens;
    for (int i = 0; i < argc; i++) {
        memcpy(p, argv[i], argvlen[i]);
        r->argv[i] = p;
        r->argvlen[i] = argvlen[i];
        p += argvlen[i];
    }
    r->fn = NULL;
    r->ud = NULL;
    r->start_us = cl->req.start_us;
    r->cmd_pos = cl->req.cmd;
    cl->req.deferred = true; /* counted when its batch answers it */
    cl->pending++;
    cl->pending_reads++;
    queue_req(n, r);
}

static void queue_req(node_t *n, read_req_t *r)
{
    r->batch = open_batch(n)->seq;
    if (n->rqhead == n->rqn) n->rqhead = n->rqn = 0;
    if (n->rqn == n->rqcap) {
        if (n->rqhead > 0) {
            memmove(n->rq, n->rq + n->rqhead, sizeof(*n->rq) * (n->rqn - n->rqhead));
            n->rqn -= n->rqhead;
            n->rqhead = 0;
        } else {
            n->rqcap = n->rqcap ? n->rqcap * 2 : 256;
            n->rq = realloc(n->rq, sizeof(*n->rq) * n->rqcap);
        }
    }
    n->rq[n->rqn++] = r;
    node_kick(n);
}

void node_read_barrier(node_t *n, void (*fn)(void *ud, bool ok), void *ud)
{
    read_req_t *r = calloc(1, sizeof(*r));
    r->fn = fn;
    r->ud = ud;
    queue_req(n, r);
}

/* Sends the open batch (and any batch to ask again) to the core. */
void reads_request(node_t *n)
{
    for (size_t i = n->bhead; i < n->bn; i++) {
        read_batch_t *b = &n->batches[i];
        if (b->state != B_OPEN && b->state != B_RETRY) continue;
        /* Without a leader anywhere, asking again at once would spin: a
         * rejected batch waits for the next tick (reads_tick). */
        if (b->state == B_RETRY) continue;
        b->ctx = ++n->read_ctx;
        b->state = B_WAITING;
        raft_read_index(n->raft, b->ctx); /* ENOTLEADER comes back as a rejected state */
    }
}

void reads_on_state(node_t *n, const raft_read_state_t *rs)
{
    for (size_t i = n->bhead; i < n->bn; i++) {
        read_batch_t *b = &n->batches[i];
        if (b->ctx != rs->ctx || b->state != B_WAITING) continue;
        b->state = rs->rejected ? B_RETRY : B_READY;
        if (rs->rejected) n->stats.reads_retried++;
        return;
    }
}

static void finish(client_t *cl)
{
    cl->pending_reads--;
    client_done(cl);
}

/* Runs (or fails) the reads at the head of the queue whose batch is
 * decided, stopping at the first batch still waiting. */
void reads_release(node_t *n)
{
    while (n->rqhead < n->rqn) {
        read_req_t *r = n->rq[n->rqhead];
        read_batch_t *b = batch_at(n, r->batch);
        if (!b || (b->state != B_READY && b->state != B_FAILED)) break;
        client_t *cl = r->cl;
        if (!cl) { /* a barrier */
            n->rqhead++;
            r->fn(r->ud, b->state == B_READY);
            free(r);
            continue;
        }
        if (cl->conn) {
            if (b->state == B_READY) {
                node_exec_local(n, cl, r->cmd, r->argc, r->argv, r->argvlen);
                n->stats.reads_served++;
            } else {
                reply_error(client_reply(cl), "CLUSTERDOWN No raft leader confirmed this read in time");
                n->stats.reads_failed++;
            }
        }
        cmdstats_done(n, r->cmd_pos, r->start_us, false); /* also when its client left: it ends here */
        n->rqhead++;
        free(r);
        finish(cl);
        /* the batch is done once no request behind it belongs to it */
        while (n->bhead < n->bn &&
               (n->rqhead == n->rqn || n->rq[n->rqhead]->batch != n->batches[n->bhead].seq) &&
               (n->batches[n->bhead].state == B_READY || n->batches[n->bhead].state == B_FAILED))
            n->bhead++;
    }
    /* batches without requests left (all their clients gone) */
    while (n->bhead < n->bn && n->rqhead == n->rqn && n->batches[n->bhead].state != B_OPEN &&
           n->batches[n->bhead].state != B_WAITING && n->batches[n->bhead].state != B_RETRY)
        n->bhead++;
}

/* Once per tick: rejected batches are asked again, and batches past their
 * deadline fail (in order, by reads_release). */
void reads_tick(node_t *n)
{
    int64_t now = (int64_t)uv_now(n->loop);
    for (size_t i = n->bhead; i < n->bn; i++) {
        read_batch_t *b = &n->batches[i];
        if ((b->state == B_RETRY || b->state == B_WAITING) && now >= b->deadline_ms) {
            b->state = B_FAILED;
        } else if (b->state == B_RETRY) {
            b->ctx = ++n->read_ctx;
            b->state = B_WAITING;
            raft_read_index(n->raft, b->ctx);
        }
    }
    reads_release(n);
}

void reads_free(node_t *n)
{
    for (size_t i = n->rqhead; i < n->rqn; i++) {
        if (!n->rq[i]->cl) n->rq[i]->fn(n->rq[i]->ud, false);
        free(n->rq[i]);
    }
    free(n->rq);
    free(n->batches);
    n->rq = NULL;
    n->batches = NULL;
    n->rqn = n->rqhead = n->bn = n->bhead = 0;
}
