/* The simulated network: every message a core hands out is deep-copied onto
 * the wire with a random delivery time, so messages are delayed and reordered;
 * while faults run, some are lost and some duplicated, links are cut (both
 * ways or one way) and healed. A SNAPSHOT carries the state machine image of
 * the sender beside its metadata, and its outcome is reported back to the
 * sender with raft_report_snapshot. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

/* An empty wire: no message in flight, every link up. */
void net_init(net_t *n)
{
    memset(n, 0, sizeof(*n));
}

/* Messages still in flight at the end of a run are never delivered. */
void net_free(net_t *n)
{
    for (size_t i = 0; i < n->n; i++)
        free(n->heap[i]);
    free(n->heap);
    memset(n, 0, sizeof(*n));
}

/* ---- the queue of messages in flight: a binary heap on (at, seq) ---------- */

/* Delivery order: by time, then by send order, so equal times stay deterministic. */
static bool before(const net_msg_t *a, const net_msg_t *b)
{
    return a->at != b->at ? a->at < b->at : a->seq < b->seq;
}

/* Queues a message in flight. */
static void heap_push(net_t *n, net_msg_t *x)
{
    if (n->n == n->cap) {
        n->cap = n->cap ? 2 * n->cap : 64;
        n->heap = realloc(n->heap, n->cap * sizeof(*n->heap));
        if (!n->heap) abort();
    }
    size_t i = n->n++;
    while (i > 0 && before(x, n->heap[(i - 1) / 2])) {
        n->heap[i] = n->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    n->heap[i] = x;
}

/* Takes the message due first. */
static net_msg_t *heap_pop(net_t *n)
{
    net_msg_t *top = n->heap[0], *last = n->heap[--n->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n->n) break;
        if (c + 1 < n->n && before(n->heap[c + 1], n->heap[c])) c++;
        if (!before(n->heap[c], last)) break;
        n->heap[i] = n->heap[c];
        i = c;
    }
    if (n->n) n->heap[i] = last;
    return top;
}

/* ---- copies ---------------------------------------------------------------- */

/* One allocation holds the message, its entries, the snapshot meta, the image
 * and the entry bytes: the core's buffers die at raft_ready_free, the copy
 * lives until delivery, and the entries it delivers have buf == NULL. */
static net_msg_t *msg_copy(const raft_msg_t *m, const kv_t *image)
{
    size_t data = 0;
    for (uint32_t i = 0; i < m->n_entries; i++)
        data += m->entries[i].len;
    size_t size = sizeof(net_msg_t) + m->n_entries * sizeof(raft_entry_t) +
                  (m->snapshot ? sizeof(raft_snapshot_meta_t) : 0) + (image ? sizeof(kv_t) : 0) +
                  data;
    char *p = calloc(1, size);
    if (!p) abort();
    net_msg_t *x = (net_msg_t *)p;
    p += sizeof(net_msg_t);
    x->m = *m;
    if (m->n_entries) {
        x->m.entries = (raft_entry_t *)p;
        p += m->n_entries * sizeof(raft_entry_t);
    } else {
        x->m.entries = NULL;
    }
    if (m->snapshot) {
        x->m.snapshot = (raft_snapshot_meta_t *)p;
        *x->m.snapshot = *m->snapshot;
        p += sizeof(raft_snapshot_meta_t);
    }
    if (image) {
        x->image = (kv_t *)p;
        *x->image = *image;
        p += sizeof(kv_t);
    }
    for (uint32_t i = 0; i < m->n_entries; i++) {
        raft_entry_t *e = &x->m.entries[i];
        *e = m->entries[i];
        e->buf = NULL;
        if (e->len) memcpy(p, m->entries[i].data, e->len);
        e->data = e->len ? p : NULL;
        p += e->len;
    }
    return x;
}

/* ---- sending ----------------------------------------------------------------- */

/* The persistence contract, checked on every message as it leaves: a granted
 * vote must already be durable, and so must every entry an acknowledgement
 * claims. */
static void check_durable_before_send(sim_t *s, sim_node_t *from, const raft_msg_t *m)
{
    const disk_t *d = &from->disk;
    /* A durable later term covers the vote too: the node never votes in
     * m->term again. */
    if (m->type == RAFT_MSG_VOTE_RESP && !m->reject && d->hs.term <= m->term &&
        (d->hs.term != m->term || d->hs.vote != m->to))
        sim_fail(s,
                 "persistence: node %" PRIu64 " sent its vote for %" PRIu64 " in term %" PRIu64
                 " while its durable hard state is term %" PRIu64 " vote %" PRIu64,
                 from->id, m->to, m->term, d->hs.term, d->hs.vote);
    if (m->type == RAFT_MSG_APPEND_RESP && !m->reject && m->index > disk_last(d) &&
        m->index > d->snap.index)
        sim_fail(s,
                 "persistence: node %" PRIu64 " acknowledged index %" PRIu64 " in term %" PRIu64
                 " while its durable log ends at %" PRIu64,
                 from->id, m->index, m->term, disk_last(d));
    else if (m->type == RAFT_MSG_APPEND_RESP && !m->reject && disk_term(d, m->index) > m->term)
        sim_fail(s,
                 "persistence: node %" PRIu64 " acknowledged index %" PRIu64 " in term %" PRIu64
                 " while its durable entry there is of term %" PRIu64,
                 from->id, m->index, m->term, disk_term(d, m->index));
}

/* Puts a message from a ready on the wire: checked, then (while faults run)
 * maybe lost or duplicated, each copy with its own random delay. */
void net_send(sim_t *s, sim_node_t *from, const raft_msg_t *m)
{
    char line[256];
    fmt_msg(line, sizeof(line), m);
    s->stats.msgs++;
    if (!raft_msg_valid(m) || m->from != from->id || m->to == from->id) {
        sim_fail(s, "node %" PRIu64 " sent an invalid message: %s", from->id, line);
        return;
    }
    check_durable_before_send(s, from, m);
    const kv_t *image = NULL;
    if (m->type == RAFT_MSG_SNAPSHOT) {
        if (m->snapshot->index != from->mem_snap.index ||
            m->snapshot->term != from->mem_snap.term) {
            sim_fail(s,
                     "node %" PRIu64 " sent snapshot %" PRIu64 "/%" PRIu64
                     " but its latest snapshot is %" PRIu64 "/%" PRIu64,
                     from->id, m->snapshot->term, m->snapshot->index, from->mem_snap.term,
                     from->mem_snap.index);
            return;
        }
        image = &from->mem_image;
        s->stats.snaps_sent++;
    }
    bool faults = sim_faulting(s);
    /* A snapshot transfer is a stream the transport watches: it is never lost
     * silently (it fails, and that is reported) and never duplicated. */
    if (!image && faults && rng_ppm(&s->rng, s->p.drop_ppm)) {
        s->stats.dropped++;
        sim_trace(s, "lost %s", line);
        return;
    }
    int copies = !image && faults && rng_ppm(&s->rng, s->p.dup_ppm) ? 2 : 1;
    for (int c = 0; c < copies; c++) {
        net_msg_t *x = msg_copy(m, image);
        uint64_t delay = rng_range(&s->rng, 1, s->p.delay_max);
        if (faults && rng_ppm(&s->rng, s->p.slow_ppm))
            delay = rng_range(&s->rng, s->p.delay_max, s->p.slow_max);
        x->at = s->now + delay;
        x->seq = s->net.seq++;
        x->from_inc = from->inc;
        x->snap_fail = image && faults && rng_ppm(&s->rng, s->p.snap_fail_ppm);
        heap_push(&s->net, x);
        sim_trace(s, "send %s delay=%" PRIu64 "%s%s", line, delay, c ? " (duplicate)" : "",
                  x->snap_fail ? " (transfer will fail)" : "");
    }
}

/* ---- delivery --------------------------------------------------------------- */

/* The sender learns how its snapshot transfer ended (if it is still the same
 * incarnation that sent it). */
static void report_snapshot(sim_t *s, const net_msg_t *x, bool ok)
{
    sim_node_t *from = node_up(s, x->m.from);
    if (!from || from->inc != x->from_inc) return;
    sim_trace(s, "report snapshot %" PRIu64 "->%" PRIu64 " %s", x->m.from, x->m.to,
              ok ? "ok" : "failed");
    raft_report_snapshot(from->r, x->m.to, ok);
}

/* A message that could not be delivered: snapshots are reported failed, and a
 * lost APPEND is sometimes reported as unreachable (as a transport would). */
static void undeliverable(sim_t *s, const net_msg_t *x, const char *why)
{
    char line[256];
    fmt_msg(line, sizeof(line), &x->m);
    s->stats.dropped++;
    sim_trace(s, "drop %s (%s)", line, why);
    if (x->m.type == RAFT_MSG_SNAPSHOT) {
        report_snapshot(s, x, false);
    } else if (x->m.type == RAFT_MSG_APPEND && rng_below(&s->rng, 2) == 0) {
        sim_node_t *from = node_up(s, x->m.from);
        if (from && from->inc == x->from_inc) {
            sim_trace(s, "report unreachable %" PRIu64 "->%" PRIu64, x->m.from, x->m.to);
            raft_report_unreachable(from->r, x->m.to);
        }
    }
}

/* Hands a due message to its addressee, unless it is down or the link is cut;
 * a snapshot's image goes with it, and the sender learns the transfer is done. */
static void deliver(sim_t *s, net_msg_t *x)
{
    sim_node_t *to = node_up(s, x->m.to);
    if (!to) {
        undeliverable(s, x, "node down");
        return;
    }
    if (!net_link_up(s, x->m.from, x->m.to)) {
        undeliverable(s, x, "link cut");
        return;
    }
    if (x->snap_fail) {
        undeliverable(s, x, "snapshot transfer failed");
        return;
    }
    if (s->opt.trace) {
        char line[256];
        fmt_msg(line, sizeof(line), &x->m);
        sim_trace(s, "recv %s", line);
    }
    if (x->image) node_store_image(to, x->m.snapshot->index, x->m.snapshot->term, x->image);
    int rc = raft_step(to->r, &x->m);
    if (rc != RAFT_OK) sim_fail(s, "node %" PRIu64 " refused a valid message (%d)", to->id, rc);
    if (x->image) report_snapshot(s, x, true);
}

/* Delivers (or drops) every message due by now, in delivery order. */
void net_deliver_due(sim_t *s)
{
    while (s->net.n && s->net.heap[0]->at <= s->now && !s->failed) {
        net_msg_t *x = heap_pop(&s->net);
        deliver(s, x);
        free(x);
    }
}

/* ---- partitions --------------------------------------------------------------- */

/* Whether from can reach to now (links can be cut one way). */
bool net_link_up(const sim_t *s, uint64_t from, uint64_t to)
{
    if (from > SIM_MAX_IDS || to > SIM_MAX_IDS) return false;
    return !s->net.cut[from][to];
}

/* Whether any link is cut, so that healing has something to do. */
bool net_any_cut(const sim_t *s)
{
    for (uint64_t a = 1; a <= SIM_MAX_IDS; a++)
        for (uint64_t b = 1; b <= SIM_MAX_IDS; b++)
            if (s->net.cut[a][b]) return true;
    return false;
}

/* Ids of every node created and not gone, into ids; returns how many. */
static int live_ids(const sim_t *s, uint64_t *ids)
{
    int n = 0;
    for (uint64_t id = 1; id < s->next_id; id++)
        if (s->nodes[id].state == NODE_UP || s->nodes[id].state == NODE_DOWN) ids[n++] = id;
    return n;
}

/* Cuts links at random: a node isolated, the cluster split in two, a node
 * that cannot send or cannot receive, or one link cut one way or both ways. */
void net_partition(sim_t *s)
{
    uint64_t ids[SIM_MAX_IDS];
    int n = live_ids(s, ids);
    if (n < 2) return;
    uint64_t x = ids[rng_below(&s->rng, (uint64_t)n)];
    uint64_t y = ids[rng_below(&s->rng, (uint64_t)n)];
    int kind = (int)rng_below(&s->rng, 6);
    bool side[SIM_MAX_IDS + 1] = {false};
    if (kind == 1)
        for (int k = 0; k < n; k++)
            side[ids[k]] = rng_below(&s->rng, 2);
    for (int i = 0; i < n; i++) {
        uint64_t a = ids[i];
        for (int j = 0; j < n; j++) {
            uint64_t b = ids[j];
            if (a == b) continue;
            switch (kind) {
            case 0: /* x isolated */
                if (a == x || b == x) s->net.cut[a][b] = true;
                break;
            case 1: /* two sides */
                if (side[a] != side[b]) s->net.cut[a][b] = true;
                break;
            case 2: /* x cannot send */
                if (a == x) s->net.cut[a][b] = true;
                break;
            case 3: /* x cannot receive */
                if (b == x) s->net.cut[a][b] = true;
                break;
            case 4: /* x cannot reach y */
                if (a == x && b == y) s->net.cut[a][b] = true;
                break;
            default: /* x and y cannot talk */
                if ((a == x && b == y) || (a == y && b == x)) s->net.cut[a][b] = true;
                break;
            }
        }
    }
    static const char *kinds[] = {"isolate", "split", "no-send", "no-recv", "one-way", "link"};
    if (s->opt.trace) {
        char buf[512];
        int len = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (s->net.cut[ids[i]][ids[j]] && len < (int)sizeof(buf) - 16)
                    len += snprintf(buf + len, sizeof(buf) - (size_t)len, " %" PRIu64 "-x>%" PRIu64,
                                    ids[i], ids[j]);
        buf[len] = '\0';
        sim_trace(s, "partition %s x=%" PRIu64 " y=%" PRIu64 ", cut:%s", kinds[kind], x, y, buf);
    }
    s->stats.partitions++;
}

/* Heals one cut pair (both directions). */
void net_heal_one(sim_t *s)
{
    uint64_t pairs[SIM_MAX_IDS * SIM_MAX_IDS][2];
    int n = 0;
    for (uint64_t a = 1; a <= SIM_MAX_IDS; a++)
        for (uint64_t b = 1; b <= SIM_MAX_IDS; b++)
            if (s->net.cut[a][b]) pairs[n][0] = a, pairs[n][1] = b, n++;
    if (!n) return;
    uint64_t *p = pairs[rng_below(&s->rng, (uint64_t)n)];
    s->net.cut[p[0]][p[1]] = s->net.cut[p[1]][p[0]] = false;
    sim_trace(s, "heal %" PRIu64 "<->%" PRIu64, p[0], p[1]);
}

/* Every link up again (at random while faults run, and when they stop). */
void net_heal_all(sim_t *s)
{
    memset(s->net.cut, 0, sizeof(s->net.cut));
    sim_trace(s, "heal all");
}
