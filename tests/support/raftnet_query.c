/* raftnet: links, the message queue, the trace and the nodes' state as the
 * tests inspect them (raftnet.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "support/raftnet.h"

/* ---- network ------------------------------------------------------------------ */

void rn_cut(raftnet_t *net, uint64_t a, uint64_t b)
{
    net->cut[a][b] = net->cut[b][a] = true;
}

void rn_cut_one(raftnet_t *net, uint64_t from, uint64_t to)
{
    net->cut[from][to] = true;
}

void rn_isolate(raftnet_t *net, uint64_t id)
{
    for (uint64_t i = 1; i <= RN_MAX_ID; i++)
        if (i != id) rn_cut(net, id, i);
}

void rn_heal(raftnet_t *net)
{
    memset(net->cut, 0, sizeof(net->cut));
}

void rn_set_filter(raftnet_t *net, rn_filter_fn f, void *arg)
{
    net->filter = f;
    net->filter_arg = arg;
}

size_t rn_count_queued(const raftnet_t *net, uint64_t from, uint64_t to, int type)
{
    size_t n = 0;
    for (size_t i = 0; i < net->nq; i++)
        n += rn_msg_matches(&net->q[i], from, to, type);
    return n;
}

const raft_msg_t *rn_find_queued(const raftnet_t *net, uint64_t from, uint64_t to, int type)
{
    for (size_t i = 0; i < net->nq; i++)
        if (rn_msg_matches(&net->q[i], from, to, type)) return &net->q[i];
    return NULL;
}

size_t rn_drop_queued(raftnet_t *net, uint64_t from, uint64_t to, int type)
{
    size_t n = 0, j = 0;
    for (size_t i = 0; i < net->nq; i++) {
        if (rn_msg_matches(&net->q[i], from, to, type)) {
            rn_msg_release(&net->q[i]);
            n++;
        } else {
            net->q[j++] = net->q[i];
        }
    }
    net->nq = j;
    return n;
}

/* ---- inspection ------------------------------------------------------------------ */

size_t rn_count_trace(const raftnet_t *net, uint64_t from, uint64_t to, int type)
{
    size_t n = 0;
    for (size_t i = 0; i < net->ntrace; i++) {
        const rn_trace_t *t = &net->trace[i];
        n += (!from || t->from == from) && (!to || t->to == to) && (!type || t->type == type);
    }
    return n;
}

const rn_trace_t *rn_last_trace(const raftnet_t *net, uint64_t from, uint64_t to, int type)
{
    for (size_t i = net->ntrace; i-- > 0;) {
        const rn_trace_t *t = &net->trace[i];
        if ((!from || t->from == from) && (!to || t->to == to) && (!type || t->type == type))
            return t;
    }
    return NULL;
}

void rn_dump_trace(const raftnet_t *net, size_t from)
{
    for (size_t i = from; i < net->ntrace; i++) {
        const rn_trace_t *t = &net->trace[i];
        fprintf(stderr,
                "%4zu %llu->%llu %-16s term=%llu log_term=%llu index=%llu commit=%llu%s hint=%llu "
                "ctx=%llu n=%u [%llu..%llu]%s%s\n",
                i, (unsigned long long)t->from, (unsigned long long)t->to,
                raft_msg_type_name(t->type), (unsigned long long)t->term,
                (unsigned long long)t->log_term, (unsigned long long)t->index,
                (unsigned long long)t->commit, t->reject ? " REJECT" : "",
                (unsigned long long)t->reject_hint, (unsigned long long)t->ctx, t->n_entries,
                (unsigned long long)t->first, (unsigned long long)t->last, t->after ? " after" : "",
                t->transfer ? " transfer" : "");
    }
}

void rn_trace_clear(raftnet_t *net)
{
    net->ntrace = 0;
}

const raft_status_t *rn_status(raftnet_t *net, uint64_t id)
{
    static raft_status_t st;
    raft_status(rn_raft(net, id), &st);
    return &st;
}

raft_role_t rn_role(raftnet_t *net, uint64_t id)
{
    return rn_status(net, id)->role;
}

uint64_t rn_term(raftnet_t *net, uint64_t id)
{
    return rn_status(net, id)->term;
}

uint64_t rn_commit(raftnet_t *net, uint64_t id)
{
    return rn_status(net, id)->commit;
}

uint64_t rn_last_index(raftnet_t *net, uint64_t id)
{
    return rn_status(net, id)->last_index;
}

uint64_t rn_leader(raftnet_t *net)
{
    uint64_t best = 0, best_term = 0;
    for (uint64_t i = 1; i <= RN_MAX_ID; i++) {
        if (!net->node[i].up || !net->node[i].r) continue;
        raft_status_t st;
        raft_status(net->node[i].r, &st);
        if (st.role == RAFT_LEADER && (best == 0 || st.term > best_term)) {
            best = i;
            best_term = st.term;
        }
    }
    return best;
}

const raft_peer_status_t *rn_peer(raftnet_t *net, uint64_t leader, uint64_t peer)
{
    const raft_status_t *st = rn_status(net, leader);
    for (int i = 0; i < st->n_peers; i++)
        if (st->peers[i].id == peer) return &st->peers[i];
    return NULL;
}

int rn_count_applied(raftnet_t *net, uint64_t id, const char *s)
{
    rn_node_t *nd = rn_node(net, id);
    size_t len = strlen(s);
    int n = 0;
    for (size_t i = 0; i < nd->n_applied; i++) {
        const rn_entry_t *e = &nd->applied[i];
        n += e->type == RAFT_ENTRY_NORMAL && e->len == len && memcmp(e->data, s, len) == 0;
    }
    return n;
}

uint64_t rn_applied_index(raftnet_t *net, uint64_t id)
{
    return rn_node(net, id)->n_applied;
}

const rn_read_t *rn_find_read(raftnet_t *net, uint64_t id, uint64_t ctx)
{
    rn_node_t *nd = rn_node(net, id);
    for (size_t i = 0; i < nd->n_reads; i++)
        if (nd->reads[i].ctx == ctx) return &nd->reads[i];
    return NULL;
}

const rn_entry_t *rn_disk_entry(raftnet_t *net, uint64_t id, uint64_t index)
{
    rn_disk_t *d = &rn_node(net, id)->disk;
    if (index <= d->snap.index || index > d->snap.index + d->n) return NULL;
    return &d->log[index - d->snap.index - 1];
}

uint64_t rn_disk_term(raftnet_t *net, uint64_t id, uint64_t index)
{
    rn_disk_t *d = &rn_node(net, id)->disk;
    if (index == d->snap.index) return d->snap.term;
    const rn_entry_t *e = rn_disk_entry(net, id, index);
    return e ? e->term : 0;
}

bool rn_logs_equal(raftnet_t *net, uint64_t a, uint64_t b)
{
    rn_disk_t *da = &rn_node(net, a)->disk, *db = &rn_node(net, b)->disk;
    uint64_t last_a = da->snap.index + da->n, last_b = db->snap.index + db->n;
    if (last_a != last_b) return false;
    uint64_t from = da->snap.index > db->snap.index ? da->snap.index : db->snap.index;
    for (uint64_t i = from; i <= last_a; i++) {
        if (i == 0) continue;
        if (rn_disk_term(net, a, i) != rn_disk_term(net, b, i)) return false;
        const rn_entry_t *ea = rn_disk_entry(net, a, i), *eb = rn_disk_entry(net, b, i);
        if (ea && eb &&
            (ea->len != eb->len || ea->type != eb->type || memcmp(ea->data, eb->data, ea->len)))
            return false;
    }
    return true;
}
