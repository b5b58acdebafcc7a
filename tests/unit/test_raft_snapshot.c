/* Unit tests of the Raft core: log compaction and snapshots (raft paper §7;
 * Ongaro's thesis §5.1-§5.3, and etcd's progress states for snapshots). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "support/raftnet.h"

#define E 10

static void propose_n(raftnet_t *net, uint64_t leader, int n, const char *prefix)
{
    char s[32];
    for (int i = 0; i < n; i++) {
        snprintf(s, sizeof(s), "%s%d", prefix, i);
        assert_int_equal(rn_propose(net, leader, s, NULL), RAFT_OK);
    }
}

/* A 1-node cluster with entries 1 (no-op) .. 11 applied. */
static raftnet_t *single(void)
{
    raftnet_t *net = rn_new(1, NULL);
    assert_int_equal(rn_campaign(net, 1), 1);
    propose_n(net, 1, 10, "e");
    rn_run(net);
    assert_int_equal(rn_applied_index(net, 1), 11);
    return net;
}

/* §7, thesis §5.1: compaction drops the entries the state machine covers;
 * the snapshot point keeps its term (for the consistency check of the next
 * entry); raft_term_at of any other compacted index is 0. */
static void test_compact_drops_entries(void **state)
{
    (void)state;
    raftnet_t *net = single();
    raft_t *r = rn_raft(net, 1);
    uint64_t t = raft_term_at(r, 8);
    assert_true(t > 0);
    raft_snapshot_meta_t meta;
    memset(&meta, 0, sizeof(meta));
    assert_int_equal(raft_compact(r, 8, 0, &meta), RAFT_OK);
    assert_int_equal(meta.index, 8);
    assert_int_equal(meta.term, t);
    assert_int_equal(meta.conf.n, 1);
    assert_int_equal(meta.conf.m[0].id, 1);
    assert_int_equal(raft_term_at(r, 1), 0);
    assert_int_equal(raft_term_at(r, 7), 0);
    assert_int_equal(raft_term_at(r, 8), t);
    for (uint64_t i = 9; i <= 11; i++)
        assert_int_equal(raft_term_at(r, i), t);
    assert_int_equal(raft_term_at(r, 12), 0);
    const raft_status_t *st = rn_status(net, 1);
    assert_int_equal(st->first_index, 9);
    assert_int_equal(st->last_index, 11);
    assert_int_equal(st->snap_index, 8);
    assert_int_equal(st->snap_term, t);
    /* not beyond what was applied */
    assert_int_equal(raft_compact(r, 12, 0, &meta), RAFT_EINVAL);
    assert_int_equal(rn_status(net, 1)->first_index, 9);
    /* the log goes on */
    rn_propose(net, 1, "more", NULL);
    rn_run(net);
    assert_int_equal(rn_count_applied(net, 1, "more"), 1);
    rn_free(net);

    /* trailing entries are kept for slow followers */
    net = single();
    r = rn_raft(net, 1);
    assert_int_equal(raft_compact(r, 10, 3, &meta), RAFT_OK);
    assert_int_equal(meta.index, 10);
    assert_int_equal(meta.term, raft_term_at(r, 10));
    assert_int_equal(rn_status(net, 1)->first_index, 8);
    assert_int_equal(raft_term_at(r, 6), 0);
    assert_true(raft_term_at(r, 8) > 0);
    rn_free(net);
}

/* A 3-node cluster led by 1 where node 3 missed 10 entries that node 1 then
 * compacted away; returns the snapshot index. */
static uint64_t lagging(raftnet_t **netp)
{
    raftnet_t *net = rn_new(3, NULL);
    assert_int_equal(rn_campaign(net, 1), 1);
    rn_tick_all(net, 2);
    rn_isolate(net, 3);
    propose_n(net, 1, 10, "e");
    rn_run(net);
    rn_tick_all(net, 1);
    uint64_t ci = rn_applied_index(net, 1);
    assert_int_equal(ci, 11);
    raft_snapshot_meta_t meta;
    assert_int_equal(raft_compact(rn_raft(net, 1), ci, 0, &meta), RAFT_OK);
    assert_true(rn_last_index(net, 3) < ci);
    *netp = net;
    return ci;
}

/* §7 (InstallSnapshot), thesis §5.3: a follower whose next entry was
 * compacted gets RAFT_MSG_SNAPSHOT; it installs it (its ready has_snapshot),
 * acknowledges, and then receives entries from the snapshot index + 1 on. */
static void test_follower_behind_compaction_gets_snapshot(void **state)
{
    (void)state;
    raftnet_t *net;
    uint64_t ci = lagging(&net);
    rn_trace_clear(net);
    rn_heal(net);
    rn_tick_all(net, 3);
    assert_true(rn_count_trace(net, 1, 3, RAFT_MSG_SNAPSHOT) >= 1);
    assert_int_equal(rn_last_trace(net, 1, 3, RAFT_MSG_SNAPSHOT)->snap_index, ci);
    rn_node_t *n3 = rn_node(net, 3);
    assert_int_equal(n3->snapshots_installed, 1);
    assert_int_equal(n3->last_installed.index, ci);
    assert_int_equal(n3->last_installed.term, raft_term_at(rn_raft(net, 1), ci));
    assert_int_equal(n3->last_installed.conf.n, 3);
    const raft_status_t *st = rn_status(net, 3);
    assert_int_equal(st->snap_index, ci);
    assert_int_equal(st->first_index, ci + 1);
    assert_int_equal(st->commit, ci);
    assert_int_equal(rn_applied_index(net, 3), ci);
    assert_true(rn_logs_equal(net, 1, 3));
    const raft_peer_status_t *p = rn_peer(net, 1, 3);
    assert_int_equal(p->state, RAFT_PROGRESS_REPLICATE);
    assert_int_equal(p->match, ci);

    size_t before = net->ntrace;
    uint64_t ia;
    rn_propose(net, 1, "after", &ia);
    assert_int_equal(ia, ci + 1);
    rn_run(net);
    rn_tick_all(net, 1);
    assert_int_equal(rn_count_applied(net, 3, "after"), 1);
    for (size_t i = before; i < net->ntrace; i++) {
        const rn_trace_t *t = &net->trace[i];
        if (t->type == RAFT_MSG_APPEND && t->to == 3 && t->n_entries) {
            assert_int_equal(t->index, ci);
            assert_int_equal(t->first, ci + 1);
            break;
        }
    }
    assert_int_equal(rn_count_trace(net, 1, 3, RAFT_MSG_SNAPSHOT), 1);
    rn_free(net);
}

static bool drop_snapshots(raft_msg_t *m, void *arg)
{
    int *n = arg;
    if (m->type != RAFT_MSG_SNAPSHOT) return true;
    ++*n;
    return false;
}

/* etcd's progress states (thesis §5.3 leaves them to the implementation):
 * the leader holds a follower in SNAPSHOT state while the snapshot is on its
 * way (no APPENDs meanwhile); raft_report_snapshot(false) puts it back to
 * PROBE, and a new snapshot is sent later; a successful one ends in REPLICATE. */
static void test_snapshot_progress_states(void **state)
{
    (void)state;
    raftnet_t *net;
    uint64_t ci = lagging(&net);
    net->report_snapshot = false;
    int dropped = 0;
    rn_set_filter(net, drop_snapshots, &dropped);
    rn_heal(net);
    rn_tick_all(net, 2);
    assert_true(dropped >= 1);
    assert_int_equal(rn_peer(net, 1, 3)->state, RAFT_PROGRESS_SNAPSHOT);
    rn_trace_clear(net);
    rn_propose(net, 1, "p", NULL);
    rn_tick_all(net, 2);
    for (size_t i = 0; i < net->ntrace; i++)
        if (net->trace[i].type == RAFT_MSG_APPEND && net->trace[i].to == 3 &&
            net->trace[i].n_entries)
            fail_msg("APPEND with entries sent to a follower in snapshot state");
    assert_int_equal(rn_peer(net, 1, 3)->state, RAFT_PROGRESS_SNAPSHOT);

    raft_report_snapshot(rn_raft(net, 1), 3, false);
    rn_process(net, 1);
    assert_int_equal(rn_peer(net, 1, 3)->state, RAFT_PROGRESS_PROBE);

    rn_set_filter(net, NULL, NULL);
    net->report_snapshot = true;
    rn_trace_clear(net);
    rn_tick_all(net, 3);
    assert_int_equal(rn_count_trace(net, 1, 3, RAFT_MSG_SNAPSHOT), 1);
    assert_int_equal(rn_node(net, 3)->snapshots_installed, 1);
    assert_true(rn_node(net, 3)->last_installed.index >= ci);
    const raft_peer_status_t *p = rn_peer(net, 1, 3);
    assert_int_equal(p->state, RAFT_PROGRESS_REPLICATE);
    assert_int_equal(p->match, rn_last_index(net, 1));
    assert_int_equal(rn_count_applied(net, 3, "p"), 1);
    rn_free(net);
}

/* Thesis §5.3 (and §7: "if the follower receives a snapshot describing a
 * prefix of its log..."): a snapshot that is not beyond the follower's commit
 * index is refused: nothing to install, log and commit unchanged. */
static void test_old_snapshot_refused(void **state)
{
    (void)state;
    static const uint64_t terms[] = {1, 1, 1, 1, 1};
    raftnet_t *net = rn_new_empty(NULL);
    rn_start_log(net, 2, 3, 1, terms, 5);
    raft_msg_t m;
    memset(&m, 0, sizeof(m));
    m.type = RAFT_MSG_APPEND;
    m.from = 1;
    m.to = 2;
    m.term = 1;
    m.log_term = 1;
    m.index = 5;
    m.commit = 5;
    assert_int_equal(rn_step(net, &m), RAFT_OK);
    assert_int_equal(rn_commit(net, 2), 5);

    for (uint64_t si = 3; si <= 5; si++) {
        raft_snapshot_meta_t meta;
        memset(&meta, 0, sizeof(meta));
        meta.index = si;
        meta.term = 1;
        rn_conf_voters(&meta.conf, 3);
        memset(&m, 0, sizeof(m));
        m.type = RAFT_MSG_SNAPSHOT;
        m.from = 1;
        m.to = 2;
        m.term = 1;
        m.snapshot = &meta;
        assert_int_equal(rn_step(net, &m), RAFT_OK);
        assert_int_equal(rn_node(net, 2)->snapshots_installed, 0);
        const raft_status_t *st = rn_status(net, 2);
        assert_int_equal(st->commit, 5);
        assert_int_equal(st->last_index, 5);
        assert_int_equal(st->first_index, 1);
        assert_int_equal(st->snap_index, 0);
        assert_int_equal(rn_node(net, 2)->disk.n, 5);
    }
    rn_free(net);
}

/* Thesis §4.2.1 + §5.3: a new learner joining after the leader compacted its
 * log bootstraps from a snapshot (whose metadata carries the configuration),
 * then gets the rest of the log, including its own ADD_LEARNER entry. */
static void test_new_learner_from_snapshot(void **state)
{
    (void)state;
    raftnet_t *net = rn_new(3, NULL);
    assert_int_equal(rn_campaign(net, 1), 1);
    propose_n(net, 1, 5, "e");
    rn_run(net);
    rn_tick_all(net, 2);
    raft_snapshot_meta_t meta;
    assert_int_equal(raft_compact(rn_raft(net, 1), rn_applied_index(net, 1), 0, &meta), RAFT_OK);
    rn_start_joining(net, 4);
    uint64_t ic;
    assert_int_equal(raft_propose_conf(rn_raft(net, 1), RAFT_CONF_ADD_LEARNER, 4, "node4", &ic),
                     RAFT_OK);
    rn_process(net, 1);
    rn_run(net);
    rn_tick_all(net, 4);
    rn_node_t *n4 = rn_node(net, 4);
    assert_int_equal(n4->snapshots_installed, 1);
    assert_int_equal(n4->last_installed.index, meta.index);
    assert_int_equal(n4->last_installed.conf.n, 3);
    assert_int_equal(rn_status(net, 4)->conf_index, ic);
    assert_non_null(raft_conf_find(rn_status(net, 4)->conf, 4));
    assert_true(rn_logs_equal(net, 1, 4));
    assert_int_equal(rn_applied_index(net, 4), rn_applied_index(net, 1));
    rn_free(net);
}

/* Header (raft_restore): a node restarted from its snapshot and the entries
 * after it has the same log, term and configuration, and goes on. */
static void test_restart_from_snapshot(void **state)
{
    (void)state;
    raftnet_t *net;
    uint64_t ci = lagging(&net);
    rn_heal(net);
    rn_tick_all(net, 3);
    propose_n(net, 1, 3, "post");
    rn_run(net);
    rn_tick_all(net, 1);
    raft_status_t before = *rn_status(net, 3);
    rn_restart(net, 3);
    const raft_status_t *st = rn_status(net, 3);
    assert_int_equal(st->snap_index, ci);
    assert_int_equal(st->first_index, ci + 1);
    assert_int_equal(st->last_index, before.last_index);
    assert_int_equal(st->term, before.term);
    assert_int_equal(st->conf->n, 3);
    rn_propose(net, 1, "again", NULL);
    rn_run(net);
    rn_tick_all(net, 2);
    assert_int_equal(rn_count_applied(net, 3, "again"), 1);
    assert_int_equal(rn_count_applied(net, 3, "post2"), 1);
    assert_true(rn_logs_equal(net, 1, 3));
    rn_free(net);
}

/* §7: "if the follower receives a snapshot that describes a prefix of its
 * log, then log entries covered by the snapshot are deleted but entries
 * following the snapshot are still valid and must be retained": no install,
 * the commit index moves to the snapshot index, entry 5 stays. */
static void test_snapshot_of_log_prefix(void **state)
{
    (void)state;
    static const uint64_t terms[] = {1, 1, 1, 1, 1};
    raftnet_t *net = rn_new_empty(NULL);
    rn_start_log(net, 2, 3, 1, terms, 5);
    raft_snapshot_meta_t meta;
    memset(&meta, 0, sizeof(meta));
    meta.index = 4;
    meta.term = 1;
    rn_conf_voters(&meta.conf, 3);
    raft_msg_t m;
    memset(&m, 0, sizeof(m));
    m.type = RAFT_MSG_SNAPSHOT;
    m.from = 1;
    m.to = 2;
    m.term = 1;
    m.snapshot = &meta;
    assert_int_equal(rn_step(net, &m), RAFT_OK);
    const raft_status_t *st = rn_status(net, 2);
    assert_int_equal(st->commit, 4);
    assert_int_equal(st->last_index, 5);
    assert_int_equal(raft_term_at(rn_raft(net, 2), 5), 1);
    assert_int_equal(rn_node(net, 2)->disk.n, 5);
    assert_int_equal(rn_node(net, 2)->snapshots_installed, 0);
    assert_int_equal(rn_applied_index(net, 2), 4);
    const raft_msg_t *r = rn_find_queued(net, 2, 1, RAFT_MSG_APPEND_RESP);
    assert_non_null(r);
    assert_false(r->reject);
    assert_int_equal(r->index, 4);
    rn_free(net);
}

/* Thesis §5.1 (Figure 5.1: the snapshot holds "the latest configuration as
 * of the last included index"): compacting at an index before a newer
 * configuration entry records the configuration in force at that index. */
static void test_compact_records_conf_at_index(void **state)
{
    (void)state;
    raftnet_t *net = rn_new(3, NULL);
    assert_int_equal(rn_campaign(net, 1), 1);
    propose_n(net, 1, 3, "e");
    rn_run(net);
    rn_start_joining(net, 4);
    uint64_t ic;
    assert_int_equal(raft_propose_conf(rn_raft(net, 1), RAFT_CONF_ADD_LEARNER, 4, "node4", &ic),
                     RAFT_OK);
    rn_process(net, 1);
    rn_run(net);
    rn_tick_all(net, 2);
    assert_true(rn_applied_index(net, 1) >= ic);
    raft_snapshot_meta_t meta;
    assert_int_equal(raft_compact(rn_raft(net, 1), ic - 1, 0, &meta), RAFT_OK);
    assert_int_equal(meta.index, ic - 1);
    assert_int_equal(meta.conf.n, 3);
    assert_null(raft_conf_find(&meta.conf, 4));
    assert_int_equal(raft_compact(rn_raft(net, 1), ic, 0, &meta), RAFT_OK);
    assert_int_equal(meta.conf.n, 4);
    assert_non_null(raft_conf_find(&meta.conf, 4));
    /* the configuration in force does not change */
    assert_int_equal(rn_status(net, 1)->conf->n, 4);
    rn_free(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RN_TEST(test_compact_drops_entries),
        RN_TEST(test_follower_behind_compaction_gets_snapshot),
        RN_TEST(test_snapshot_progress_states),
        RN_TEST(test_old_snapshot_refused),
        RN_TEST(test_new_learner_from_snapshot),
        RN_TEST(test_restart_from_snapshot),
        RN_TEST(test_snapshot_of_log_prefix),
        RN_TEST(test_compact_records_conf_at_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
