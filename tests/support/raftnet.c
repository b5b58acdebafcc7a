/* raftnet: the in-memory cluster of the Raft core's unit tests (raftnet.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/raftnet.h"

#define RN_MAX_STEPS 2000000 /* rn_run gives up (fails the test) after this many */

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    assert_non_null(q);
    return q;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    assert_non_null(p);
    return p;
}

#define GROW(arr, n, cap)                                                                          \
    do {                                                                                           \
        if ((n) == (cap)) {                                                                        \
            (cap) = (cap) ? 2 * (cap) : 16;                                                        \
            (arr) = xrealloc((arr), (cap) * sizeof(*(arr)));                                       \
        }                                                                                          \
    } while (0)

static char *dupbytes(const char *p, size_t n)
{
    char *d = xcalloc(1, n + 1);
    if (n) memcpy(d, p, n);
    return d;
}

static void entry_own(rn_entry_t *dst, const raft_entry_t *src)
{
    dst->index = src->index;
    dst->term = src->term;
    dst->type = src->type;
    dst->len = src->len;
    dst->data = dupbytes(src->data, src->len);
    dst->present = true;
}

static void entry_dup(rn_entry_t *dst, const rn_entry_t *src)
{
    *dst = *src;
    dst->data = dupbytes(src->data, src->len);
}

static void entry_drop(rn_entry_t *e)
{
    free(e->data);
    memset(e, 0, sizeof(*e));
}

/* splitmix64 */
static uint64_t rn_rand(void *arg)
{
    uint64_t *s = arg;
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void rn_config(raft_config_t *cfg)
{
    raft_config_default(cfg, 1);
    cfg->election_ticks = 10;
    cfg->heartbeat_ticks = 1;
    cfg->pre_vote = true;
    cfg->check_quorum = true;
    cfg->lease_reads = false;
}

void rn_msg_copy(raft_msg_t *dst, const raft_msg_t *src)
{
    *dst = *src;
    dst->entries = NULL;
    dst->snapshot = NULL;
    if (src->n_entries && src->entries) {
        dst->entries = xcalloc(src->n_entries, sizeof(raft_entry_t));
        for (uint32_t i = 0; i < src->n_entries; i++) {
            dst->entries[i] = src->entries[i];
            dst->entries[i].data = dupbytes(src->entries[i].data, src->entries[i].len);
            dst->entries[i].buf = NULL;
        }
    }
    if (src->snapshot) {
        dst->snapshot = xcalloc(1, sizeof(*dst->snapshot));
        *dst->snapshot = *src->snapshot;
    }
}

void rn_msg_release(raft_msg_t *m)
{
    if (m->entries) {
        for (uint32_t i = 0; i < m->n_entries; i++)
            free((void *)m->entries[i].data);
        free(m->entries);
    }
    free(m->snapshot);
    m->entries = NULL;
    m->snapshot = NULL;
    m->n_entries = 0;
}

/* ---- nodes ---------------------------------------------------------------- */

/* Nets alive, so that a failed test's nets are freed by rn_teardown. */
#define RN_MAX_LIVE 64
static raftnet_t *live[RN_MAX_LIVE];

raftnet_t *rn_new_empty(const raft_config_t *cfg)
{
    raftnet_t *net = xcalloc(1, sizeof(*net));
    for (int i = 0; i < RN_MAX_LIVE; i++) {
        if (!live[i]) {
            live[i] = net;
            break;
        }
    }
    if (cfg)
        net->tmpl = *cfg;
    else
        rn_config(&net->tmpl);
    net->seed = 1;
    net->report_unreachable = true;
    net->report_snapshot = true;
    return net;
}

raftnet_t *rn_new(int n, const raft_config_t *cfg)
{
    raftnet_t *net = rn_new_empty(cfg);
    raft_conf_t conf;
    rn_conf_voters(&conf, n);
    for (int i = 1; i <= n; i++)
        rn_start_bootstrap(net, (uint64_t)i, &conf);
    return net;
}

void rn_conf_voters(raft_conf_t *c, int n)
{
    memset(c, 0, sizeof(*c));
    c->n = n;
    for (int i = 0; i < n; i++) {
        c->m[i].id = (uint64_t)i + 1;
        c->m[i].voter = true;
        snprintf(c->m[i].addr, sizeof(c->m[i].addr), "node%d", i + 1);
    }
}

static void disk_free(rn_disk_t *d)
{
    for (size_t i = 0; i < d->n; i++)
        entry_drop(&d->log[i]);
    free(d->log);
    memset(d, 0, sizeof(*d));
}

static void sm_truncate(rn_node_t *nd, size_t n)
{
    while (nd->n_applied > n)
        entry_drop(&nd->applied[--nd->n_applied]);
}

static void node_drop_held(rn_node_t *nd)
{
    for (size_t i = 0; i < nd->n_held; i++)
        raft_ready_free(nd->r, &nd->held[i]);
    nd->n_held = 0;
}

static void node_free(rn_node_t *nd)
{
    if (nd->r) {
        node_drop_held(nd);
        raft_free(nd->r);
    }
    free(nd->held);
    disk_free(&nd->disk);
    sm_truncate(nd, 0);
    free(nd->applied);
    free(nd->reads);
    memset(nd, 0, sizeof(*nd));
}

int rn_teardown(void **state)
{
    (void)state;
    for (int i = 0; i < RN_MAX_LIVE; i++)
        if (live[i]) rn_free(live[i]);
    return 0;
}

void rn_free(raftnet_t *net)
{
    if (!net) return;
    for (int i = 0; i < RN_MAX_LIVE; i++)
        if (live[i] == net) live[i] = NULL;
    for (int i = 1; i <= RN_MAX_ID; i++)
        node_free(&net->node[i]);
    for (size_t i = 0; i < net->nq; i++)
        rn_msg_release(&net->q[i]);
    free(net->q);
    free(net->trace);
    for (size_t i = 0; i < net->ncanon; i++)
        entry_drop(&net->canon[i]);
    free(net->canon);
    free(net->leaders);
    free(net);
}

static rn_node_t *node_new(raftnet_t *net, uint64_t id)
{
    assert_true(id >= 1 && id <= RN_MAX_ID);
    rn_node_t *nd = &net->node[id];
    assert_null(nd->r);
    nd->id = id;
    nd->cfg = net->tmpl;
    nd->cfg.id = id;
    nd->rng = net->seed * 1000003ULL + id;
    nd->cfg.rand = rn_rand;
    nd->cfg.rand_arg = &nd->rng;
    nd->r = raft_new(&nd->cfg);
    assert_non_null(nd->r);
    nd->up = true;
    return nd;
}

void rn_start_bootstrap(raftnet_t *net, uint64_t id, const raft_conf_t *conf)
{
    rn_node_t *nd = node_new(net, id);
    assert_int_equal(raft_bootstrap(nd->r, conf), RAFT_OK);
    nd->disk.snap.conf = *conf;
}

void rn_start_log(raftnet_t *net, uint64_t id, int n_voters, uint64_t hs_term,
                  const uint64_t *terms, size_t n)
{
    rn_node_t *nd = node_new(net, id);
    raft_hard_state_t hs = {.term = hs_term, .vote = 0, .commit = 0};
    raft_snapshot_meta_t snap;
    memset(&snap, 0, sizeof(snap));
    rn_conf_voters(&snap.conf, n_voters);
    raft_entry_t *ents = xcalloc(n, sizeof(*ents));
    char(*bufs)[32] = xcalloc(n, 32);
    for (size_t i = 0; i < n; i++) {
        ents[i].index = i + 1;
        ents[i].term = terms[i];
        ents[i].type = RAFT_ENTRY_NORMAL;
        ents[i].len =
            (uint32_t)snprintf(bufs[i], 32, "t%llui%zu", (unsigned long long)terms[i], i + 1);
        ents[i].data = bufs[i];
        ents[i].buf = NULL;
    }
    assert_int_equal(raft_restore(nd->r, &hs, &snap, ents, n), RAFT_OK);
    nd->disk.hs = hs;
    nd->disk.snap = snap;
    for (size_t i = 0; i < n; i++) {
        GROW(nd->disk.log, nd->disk.n, nd->disk.cap);
        entry_own(&nd->disk.log[nd->disk.n++], &ents[i]);
    }
    free(bufs);
    free(ents);
}

void rn_start_joining(raftnet_t *net, uint64_t id)
{
    rn_node_t *nd = node_new(net, id);
    raft_hard_state_t hs = {0, 0, 0};
    raft_snapshot_meta_t snap;
    memset(&snap, 0, sizeof(snap));
    assert_int_equal(raft_restore(nd->r, &hs, &snap, NULL, 0), RAFT_OK);
}

void rn_stop(raftnet_t *net, uint64_t id)
{
    rn_node_t *nd = &net->node[id];
    assert_non_null(nd->r);
    node_drop_held(nd);
    raft_free(nd->r);
    nd->r = NULL;
    nd->up = false;
}

void rn_restart(raftnet_t *net, uint64_t id)
{
    rn_node_t *nd = &net->node[id];
    if (nd->r) rn_stop(net, id);
    nd->r = raft_new(&nd->cfg);
    assert_non_null(nd->r);
    raft_entry_t *ents = xcalloc(nd->disk.n, sizeof(*ents));
    for (size_t i = 0; i < nd->disk.n; i++) {
        const rn_entry_t *e = &nd->disk.log[i];
        ents[i] = (raft_entry_t){e->term, e->index, e->type, e->len, e->data, NULL};
    }
    assert_int_equal(raft_restore(nd->r, &nd->disk.hs, &nd->disk.snap, ents, nd->disk.n), RAFT_OK);
    free(ents);
    /* the state machine restarts from the snapshot */
    sm_truncate(nd, (size_t)nd->disk.snap.index);
    nd->up = true;
}

raft_t *rn_raft(raftnet_t *net, uint64_t id)
{
    assert_true(id >= 1 && id <= RN_MAX_ID);
    assert_non_null(net->node[id].r);
    return net->node[id].r;
}

rn_node_t *rn_node(raftnet_t *net, uint64_t id)
{
    assert_true(id >= 1 && id <= RN_MAX_ID);
    return &net->node[id];
}

/* ---- readies ---------------------------------------------------------------- */

static void trace_add(raftnet_t *net, const raft_msg_t *m, bool after, raft_role_t role)
{
    GROW(net->trace, net->ntrace, net->captrace);
    rn_trace_t *t = &net->trace[net->ntrace++];
    memset(t, 0, sizeof(*t));
    t->type = m->type;
    t->reject = m->reject;
    t->transfer = m->transfer;
    t->after = after;
    t->role = role;
    t->from = m->from;
    t->to = m->to;
    t->term = m->term;
    t->log_term = m->log_term;
    t->index = m->index;
    t->commit = m->commit;
    t->reject_hint = m->reject_hint;
    t->ctx = m->ctx;
    t->n_entries = m->n_entries;
    if (m->n_entries && m->entries) {
        t->first = m->entries[0].index;
        t->last = m->entries[m->n_entries - 1].index;
        for (uint32_t i = 0; i < m->n_entries; i++)
            t->bytes += m->entries[i].len;
    }
    if (m->snapshot) t->snap_index = m->snapshot->index;
}

/* Messages only a leader sends, in its term. */
static bool leader_msg(int type)
{
    return type == RAFT_MSG_APPEND || type == RAFT_MSG_HEARTBEAT || type == RAFT_MSG_SNAPSHOT ||
           type == RAFT_MSG_TIMEOUT_NOW;
}

static void send_msgs(raftnet_t *net, rn_node_t *nd, const raft_msg_t *msgs, size_t n, bool after,
                      raft_role_t role)
{
    for (size_t i = 0; i < n; i++) {
        /* The persistence contract: what leaves through rd.msgs must not depend
         * on unpersisted state. A leader's message of term T claims "I won T",
         * which needs its term and vote durable (else a crash could let it vote
         * again in T and a second leader of T appear). */
        if (!after && leader_msg(msgs[i].type) && nd->disk.hs.term != msgs[i].term)
            fail_msg("node %llu sent a %s of term %llu in rd.msgs while its durable term is "
                     "%llu",
                     (unsigned long long)nd->id, raft_msg_type_name(msgs[i].type),
                     (unsigned long long)msgs[i].term, (unsigned long long)nd->disk.hs.term);
        trace_add(net, &msgs[i], after, role);
        GROW(net->q, net->nq, net->capq);
        rn_msg_copy(&net->q[net->nq++], &msgs[i]);
    }
}

/* The canonical entry at index (state-machine safety). */
static void canon_check(raftnet_t *net, const rn_entry_t *e)
{
    assert_true(e->index >= 1);
    if (e->index > net->ncanon) {
        net->canon = xrealloc(net->canon, e->index * sizeof(*net->canon));
        memset(net->canon + net->ncanon, 0, (e->index - net->ncanon) * sizeof(*net->canon));
        net->ncanon = e->index;
    }
    rn_entry_t *c = &net->canon[e->index - 1];
    if (!c->present) {
        entry_dup(c, e);
        c->present = true;
        return;
    }
    if (c->term != e->term || c->len != e->len || c->type != e->type ||
        memcmp(c->data, e->data, e->len) != 0)
        fail_msg("state machine safety: two different entries applied at index %llu "
                 "(terms %llu and %llu)",
                 (unsigned long long)e->index, (unsigned long long)c->term,
                 (unsigned long long)e->term);
}

static void disk_write(rn_node_t *nd, const raft_ready_t *rd)
{
    rn_disk_t *d = &nd->disk;
    if (rd->has_snapshot) {
        for (size_t i = 0; i < d->n; i++)
            entry_drop(&d->log[i]);
        d->n = 0;
        d->snap = rd->snapshot;
    }
    if (rd->n_entries) {
        uint64_t first = rd->entries[0].index;
        assert_true(first > d->snap.index);
        assert_true(first <= d->snap.index + d->n + 1);
        size_t keep = (size_t)(first - d->snap.index - 1);
        while (d->n > keep)
            entry_drop(&d->log[--d->n]);
        for (size_t i = 0; i < rd->n_entries; i++) {
            assert_int_equal(rd->entries[i].index, first + i);
            GROW(d->log, d->n, d->cap);
            entry_own(&d->log[d->n++], &rd->entries[i]);
        }
    }
    if (rd->hs_changed) d->hs = rd->hs;
}

/* Term of index on nd's disk (the snapshot's index answers its term; 0: none). */
static uint64_t disk_term(const rn_node_t *nd, uint64_t index)
{
    const rn_disk_t *d = &nd->disk;
    if (index == d->snap.index) return d->snap.term;
    if (index < d->snap.index || index > d->snap.index + d->n) return 0;
    return d->log[index - d->snap.index - 1].term;
}

/* The contract of rd.committed: every entry is durable locally already (on
 * disk before this ready's own writes) and the state machine is right
 * before it. Then they are applied, and the reads recorded. */
static void check_committed_durable(const rn_node_t *nd, const raft_ready_t *rd)
{
    for (size_t i = 0; i < rd->n_committed; i++) {
        const raft_entry_t *e = &rd->committed[i];
        if (disk_term(nd, e->index) != e->term)
            fail_msg("node %llu: committed entry %llu (term %llu) handed out before it was "
                     "durable locally (disk has term %llu there)",
                     (unsigned long long)nd->id, (unsigned long long)e->index,
                     (unsigned long long)e->term, (unsigned long long)disk_term(nd, e->index));
    }
}

static void apply_ready(raftnet_t *net, rn_node_t *nd, const raft_ready_t *rd)
{
    /* reads come out against what raft_applied said before this ready */
    for (size_t i = 0; i < rd->n_reads; i++) {
        GROW(nd->reads, nd->n_reads, nd->cap_reads);
        nd->reads[nd->n_reads++] =
            (rn_read_t){rd->reads[i].index, rd->reads[i].ctx, rd->reads[i].rejected, nd->n_applied};
    }
    for (size_t i = 0; i < rd->n_committed; i++) {
        const raft_entry_t *e = &rd->committed[i];
        if (e->index != nd->n_applied + 1)
            fail_msg("node %llu: committed entry %llu handed out after applied %zu",
                     (unsigned long long)nd->id, (unsigned long long)e->index, nd->n_applied);
        GROW(nd->applied, nd->n_applied, nd->cap_applied);
        entry_own(&nd->applied[nd->n_applied], e);
        canon_check(net, &nd->applied[nd->n_applied]);
        nd->n_applied++;
    }
    if (rd->n_committed) raft_applied(nd->r, rd->committed[rd->n_committed - 1].index);
}

/* The writes of a ready are durable now: disk, raft_persisted, msgs_after,
 * and a snapshot installed into the state machine. */
static void write_ready(raftnet_t *net, rn_node_t *nd, raft_ready_t *rd)
{
    disk_write(nd, rd);
    raft_persisted(nd->r, rd);
    send_msgs(net, nd, rd->msgs_after, rd->n_msgs_after, true, rd->role);
    if (rd->has_snapshot) {
        /* install: the state machine becomes the snapshot */
        uint64_t si = rd->snapshot.index;
        sm_truncate(nd, 0);
        for (uint64_t i = 1; i <= si; i++) {
            assert_true(i <= net->ncanon && net->canon[i - 1].present);
            GROW(nd->applied, nd->n_applied, nd->cap_applied);
            entry_dup(&nd->applied[nd->n_applied++], &net->canon[i - 1]);
        }
        nd->snapshots_installed++;
        nd->last_installed = rd->snapshot;
        raft_applied(nd->r, si);
    }
}

static bool ready_writes(const raft_ready_t *rd)
{
    return rd->has_snapshot || rd->n_entries || rd->hs_changed;
}

/* Election safety (§5.2): one leader per term, whoever looks. */
static void check_leader(raftnet_t *net, rn_node_t *nd)
{
    raft_status_t st;
    raft_status(nd->r, &st);
    if (st.role != RAFT_LEADER) return;
    if (st.term >= net->nleaders) {
        size_t n = (size_t)st.term + 16;
        net->leaders = xrealloc(net->leaders, n * sizeof(*net->leaders));
        memset(net->leaders + net->nleaders, 0, (n - net->nleaders) * sizeof(*net->leaders));
        net->nleaders = n;
    }
    uint64_t *l = &net->leaders[st.term];
    if (*l && *l != nd->id)
        fail_msg("election safety: nodes %llu and %llu both led term %llu", (unsigned long long)*l,
                 (unsigned long long)nd->id, (unsigned long long)st.term);
    *l = nd->id;
}

/* A ready is taken: rd.msgs leave at once; rd.committed is applied at once
 * (it is durable already); the writes are made now, or, in manual-persist
 * mode, held until rn_persist (writes of readies complete in order). */
void rn_process(raftnet_t *net, uint64_t id)
{
    rn_node_t *nd = &net->node[id];
    if (!nd->up || !nd->r) return;
    check_leader(net, nd);
    for (int guard = 0; raft_has_ready(nd->r); guard++) {
        assert_true(guard < 100000);
        raft_ready_t rd;
        raft_ready(nd->r, &rd);
        check_committed_durable(nd, &rd);
        send_msgs(net, nd, rd.msgs, rd.n_msgs, false, rd.role);
        if (!nd->manual_persist) {
            write_ready(net, nd, &rd);
            apply_ready(net, nd, &rd);
            raft_ready_free(nd->r, &rd);
            continue;
        }
        apply_ready(net, nd, &rd);
        if (nd->n_held == 0 && !ready_writes(&rd)) {
            write_ready(net, nd, &rd);
            raft_ready_free(nd->r, &rd);
            continue;
        }
        GROW(nd->held, nd->n_held, nd->cap_held);
        nd->held[nd->n_held++] = rd;
    }
}

void rn_process_all(raftnet_t *net)
{
    for (uint64_t i = 1; i <= RN_MAX_ID; i++)
        rn_process(net, i);
}

void rn_set_manual_persist(raftnet_t *net, uint64_t id, bool on)
{
    rn_node_t *nd = rn_node(net, id);
    if (!on && nd->n_held) rn_persist(net, id);
    nd->manual_persist = on;
}

void rn_persist(raftnet_t *net, uint64_t id)
{
    rn_node_t *nd = rn_node(net, id);
    size_t n = nd->n_held;
    for (size_t i = 0; i < n; i++) {
        write_ready(net, nd, &nd->held[i]);
        raft_ready_free(nd->r, &nd->held[i]);
    }
    memmove(nd->held, nd->held + n, (nd->n_held - n) * sizeof(*nd->held));
    nd->n_held -= n;
    rn_process(net, id);
}

bool rn_persist_one(raftnet_t *net, uint64_t id)
{
    rn_node_t *nd = rn_node(net, id);
    if (!nd->n_held) return false;
    write_ready(net, nd, &nd->held[0]);
    raft_ready_free(nd->r, &nd->held[0]);
    memmove(nd->held, nd->held + 1, (nd->n_held - 1) * sizeof(*nd->held));
    nd->n_held--;
    rn_process(net, id);
    return true;
}

/* ---- delivery ------------------------------------------------------------------ */

bool rn_msg_matches(const raft_msg_t *m, uint64_t from, uint64_t to, int type)
{
    return (!from || m->from == from) && (!to || m->to == to) && (!type || m->type == type);
}

static void deliver_at(raftnet_t *net, size_t i)
{
    raft_msg_t m = net->q[i];
    memmove(net->q + i, net->q + i + 1, (net->nq - i - 1) * sizeof(*net->q));
    net->nq--;

    rn_node_t *dst = (m.to >= 1 && m.to <= RN_MAX_ID) ? &net->node[m.to] : NULL;
    rn_node_t *src = (m.from >= 1 && m.from <= RN_MAX_ID) ? &net->node[m.from] : NULL;
    bool lost = !dst || !dst->up || !dst->r || net->cut[m.from][m.to];
    if (lost) {
        if (src && src->up && src->r) {
            if (m.type == RAFT_MSG_APPEND && net->report_unreachable)
                raft_report_unreachable(src->r, m.to);
            if (m.type == RAFT_MSG_SNAPSHOT && net->report_snapshot)
                raft_report_snapshot(src->r, m.to, false);
            rn_process(net, m.from);
        }
        rn_msg_release(&m);
        return;
    }
    if (net->filter && !net->filter(&m, net->filter_arg)) {
        rn_msg_release(&m);
        return;
    }
    int rc = raft_step(dst->r, &m);
    if (rc == RAFT_EINVAL)
        fail_msg("node %llu refused a %s from %llu as malformed", (unsigned long long)m.to,
                 raft_msg_type_name(m.type), (unsigned long long)m.from);
    net->delivered++;
    if (m.type == RAFT_MSG_SNAPSHOT && net->report_snapshot && src && src->up && src->r) {
        raft_report_snapshot(src->r, m.to, true);
        rn_process(net, m.from);
    }
    rn_msg_release(&m);
    rn_process(net, dst->id);
}

bool rn_deliver_one(raftnet_t *net)
{
    if (!net->nq) return false;
    deliver_at(net, 0);
    return true;
}

bool rn_deliver_match(raftnet_t *net, uint64_t from, uint64_t to, int type)
{
    for (size_t i = 0; i < net->nq; i++) {
        if (rn_msg_matches(&net->q[i], from, to, type)) {
            deliver_at(net, i);
            return true;
        }
    }
    return false;
}

void rn_run(raftnet_t *net)
{
    for (long steps = 0;; steps++) {
        if (steps > RN_MAX_STEPS) fail_msg("rn_run: the cluster never went quiet");
        rn_process_all(net);
        if (!rn_deliver_one(net)) break;
    }
}

void rn_tick(raftnet_t *net, uint64_t id, int n)
{
    for (int i = 0; i < n; i++) {
        raft_tick(rn_raft(net, id));
        rn_process(net, id);
    }
}

void rn_tick_all(raftnet_t *net, int n)
{
    for (int k = 0; k < n; k++) {
        for (uint64_t i = 1; i <= RN_MAX_ID; i++) {
            if (net->node[i].up && net->node[i].r) {
                raft_tick(net->node[i].r);
                rn_process(net, i);
            }
        }
        rn_run(net);
    }
}

uint64_t rn_campaign(raftnet_t *net, uint64_t id)
{
    assert_int_equal(raft_campaign(rn_raft(net, id)), RAFT_OK);
    rn_run(net);
    return rn_leader(net);
}

int rn_propose(raftnet_t *net, uint64_t id, const char *s, uint64_t *index)
{
    int rc = raft_propose(rn_raft(net, id), s, strlen(s), index);
    rn_process(net, id);
    return rc;
}

int rn_step(raftnet_t *net, const raft_msg_t *m)
{
    int rc = raft_step(rn_raft(net, m->to), m);
    rn_process(net, m->to);
    return rc;
}
