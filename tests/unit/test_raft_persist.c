/* Unit tests of the Raft core: the persistence contract of the header (what
 * must be durable before which message leaves, what may be applied) and the
 * leader's parallel append (Ongaro's thesis §10.2.1; raft paper §5.2, §5.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "support/raftnet.h"

#define E 10

static raft_config_t cfg_with(bool pre_vote, bool check_quorum)
{
    raft_config_t c;
    rn_config(&c);
    c.pre_vote = pre_vote;
    c.check_quorum = check_quorum;
    return c;
}

/* Queued APPENDs from -> to that carry entries. */
static size_t queued_appends(const raftnet_t *net, uint64_t from, uint64_t to)
{
    size_t n = 0;
    for (size_t i = 0; i < net->nq; i++)
        n += net->q[i].type == RAFT_MSG_APPEND && net->q[i].from == from && net->q[i].to == to &&
             net->q[i].n_entries > 0;
    return n;
}

/* Thesis §10.2.1 and the header's persistence contract: a leader sends its
 * entries before its own write is durable, but counts its own log toward a
 * quorum only after raft_persisted. */
static void test_own_log_counts_only_when_persisted(void **state)
{
    (void)state;
    /* one node: nothing commits before the write is durable */
    raftnet_t *net = rn_new(1, NULL);
    rn_set_manual_persist(net, 1, true);
    assert_int_equal(raft_campaign(rn_raft(net, 1)), RAFT_OK);
    rn_process(net, 1);
    for (int i = 0; i < 5 && (rn_role(net, 1) != RAFT_LEADER || rn_applied_index(net, 1) < 1); i++)
        rn_persist(net, 1);
    assert_int_equal(rn_role(net, 1), RAFT_LEADER);
    assert_int_equal(rn_commit(net, 1), 1);
    uint64_t ix;
    assert_int_equal(rn_propose(net, 1, "x", &ix), RAFT_OK);
    assert_int_equal(ix, 2);
    assert_int_equal(rn_commit(net, 1), 1);
    rn_tick(net, 1, 3);
    assert_int_equal(rn_commit(net, 1), 1);
    assert_int_equal(rn_count_applied(net, 1, "x"), 0);
    rn_persist(net, 1);
    assert_int_equal(rn_commit(net, 1), 2);
    rn_persist(net, 1);
    assert_int_equal(rn_count_applied(net, 1, "x"), 1);
    rn_free(net);

    /* three nodes, one cut off: the follower's copy alone is not a quorum */
    net = rn_new(3, NULL);
    assert_int_equal(rn_campaign(net, 1), 1);
    rn_set_manual_persist(net, 1, true);
    rn_isolate(net, 3);
    uint64_t c0 = rn_commit(net, 1);
    assert_int_equal(rn_propose(net, 1, "y", &ix), RAFT_OK);
    /* the APPEND left before the leader's write (§10.2.1) */
    assert_int_equal(queued_appends(net, 1, 2), 1);
    rn_run(net);
    assert_int_equal(rn_status(net, 2)->last_index, ix);
    assert_int_equal(rn_commit(net, 1), c0);
    rn_persist(net, 1);
    rn_run(net);
    assert_int_equal(rn_commit(net, 1), ix);
    rn_persist(net, 1);
    assert_int_equal(rn_count_applied(net, 1, "y"), 1);
    rn_free(net);

    /* the leader durable, both followers cut off: nothing commits */
    net = rn_new(3, NULL);
    assert_int_equal(rn_campaign(net, 1), 1);
    rn_isolate(net, 1);
    c0 = rn_commit(net, 1);
    rn_propose(net, 1, "z", &ix);
    rn_run(net);
    assert_int_equal(rn_status(net, 1)->stable, ix);
    assert_int_equal(rn_commit(net, 1), c0);
    rn_free(net);
}

/* Header, persistence contract: a new leader's messages of term T may leave
 * at once only when term T and its vote are durable; otherwise a crash could
 * let it vote again in T (two leaders of one term, §5.2). The harness fails
 * any leader message in rd.msgs whose term is not on the sender's disk. */
static void test_leader_term_durable_before_its_messages(void **state)
{
    (void)state;
    raft_config_t cfg = cfg_with(false, true);
    raftnet_t *net = rn_new(3, &cfg);
    rn_set_manual_persist(net, 1, true);
    assert_int_equal(raft_campaign(rn_raft(net, 1)), RAFT_OK);
    rn_process(net, 1);
    rn_run(net); /* votes may come back before the candidate's write */
    for (int i = 0; i < 4; i++) {
        rn_persist(net, 1);
        rn_run(net);
    }
    assert_int_equal(rn_role(net, 1), RAFT_LEADER);
    rn_propose(net, 1, "x", NULL);
    for (int i = 0; i < 4; i++) {
        rn_run(net);
        rn_persist(net, 1);
        rn_tick(net, 1, 1);
    }
    rn_run(net);
    assert_int_equal(rn_count_applied(net, 1, "x"), 1);
    assert_int_equal(rn_count_applied(net, 2, "x"), 1);
    rn_free(net);
}

/* Header (rd.committed: "all durable locally"): a follower whose write is
 * still in flight does not apply an entry the cluster committed until its own
 * copy is durable (the harness fails the test if it does). */
static void test_follower_applies_only_durable_entries(void **state)
{
    (void)state;
    raftnet_t *net = rn_new(3, NULL);
    assert_int_equal(rn_campaign(net, 1), 1);
    rn_tick_all(net, 2);
    rn_set_manual_persist(net, 2, true);
    uint64_t ix;
    rn_propose(net, 1, "x", &ix);
    rn_run(net);
    for (int i = 0; i < 3; i++) {
        rn_tick(net, 1, 1);
        rn_run(net);
    }
    assert_int_equal(rn_commit(net, 1), ix);
    assert_int_equal(rn_count_applied(net, 2, "x"), 0);
    rn_persist(net, 2);
    rn_tick(net, 1, 1);
    rn_run(net);
    rn_persist(net, 2);
    assert_int_equal(rn_count_applied(net, 2, "x"), 1);
    rn_free(net);
}

/* Header (persistence contract) and §5.3: when a follower overwrites an entry
 * whose first write is still in flight, the completion of that older write
 * does not make the new entry durable: it is neither acknowledged (that is in
 * the newer ready's msgs_after) nor applied before its own write completes. */
static void test_older_write_does_not_cover_overwritten_entry(void **state)
{
    (void)state;
    raftnet_t *net = rn_new(5, NULL);
    assert_int_equal(rn_campaign(net, 1), 1);
    rn_tick_all(net, 2);
    uint64_t t1 = rn_term(net, 1);
    rn_set_manual_persist(net, 2, true);
    uint64_t ix;
    rn_propose(net, 1, "x", &ix);
    assert_true(rn_deliver_match(net, 1, 2, RAFT_MSG_APPEND));
    rn_drop_queued(net, 0, 0, 0);
    assert_int_equal(rn_node(net, 2)->n_held, 1); /* [ix: "x"] being written */

    rn_isolate(net, 1);
    rn_isolate(net, 2);
    uint64_t l = 0;
    for (int i = 0; i < 8 * E && !l; i++) {
        for (uint64_t k = 3; k <= 5; k++)
            rn_tick(net, k, 1);
        rn_run(net);
        for (uint64_t k = 3; k <= 5; k++)
            if (rn_role(net, k) == RAFT_LEADER) l = k;
    }
    assert_true(l >= 3);
    uint64_t t2 = rn_term(net, l);
    assert_true(t2 > t1);
    assert_int_equal(raft_term_at(rn_raft(net, l), ix), t2); /* its no-op took index ix */
    rn_heal(net);
    rn_isolate(net, 1);
    for (int i = 0; i < 3; i++) {
        rn_tick(net, l, 1);
        rn_run(net);
    }
    assert_int_equal(raft_term_at(rn_raft(net, 2), ix), t2);
    assert_true(rn_node(net, 2)->n_held >= 2);
    assert_int_equal(rn_commit(net, l), ix);

    /* only the old write completes */
    rn_trace_clear(net);
    assert_true(rn_persist_one(net, 2));
    rn_run(net);
    assert_true(rn_status(net, 2)->stable < ix);
    assert_int_equal(rn_count_applied(net, 2, "x"), 0);
    assert_true(rn_applied_index(net, 2) < ix);
    for (size_t i = 0; i < net->ntrace; i++) {
        const rn_trace_t *t = &net->trace[i];
        /* (A's own ack, to node 1 for [ix: "x"], is right: that copy is durable) */
        if (t->from == 2 && t->to == l && t->type == RAFT_MSG_APPEND_RESP && !t->reject &&
            t->index >= ix)
            fail_msg("node 2 acknowledged index %llu to %llu while only the overwritten copy is "
                     "durable",
                     (unsigned long long)t->index, (unsigned long long)l);
    }
    rn_set_manual_persist(net, 2, false);
    rn_tick_all(net, 2);
    assert_int_equal(rn_node(net, 2)->applied[ix - 1].term, t2);
    assert_int_equal(rn_count_applied(net, 2, "x"), 0);
    rn_free(net);
}

/* Header (persistence contract) and §5.2: a candidate's vote requests wait
 * for its term and self-vote to be durable; a crash before that loses the
 * election without a trace: nothing was sent, the restored term is the old. */
static void test_candidate_crash_before_persist(void **state)
{
    (void)state;
    raft_config_t cfg = cfg_with(false, true);
    raftnet_t *net = rn_new(3, &cfg);
    uint64_t t0 = rn_term(net, 1);
    rn_set_manual_persist(net, 1, true);
    assert_int_equal(raft_campaign(rn_raft(net, 1)), RAFT_OK);
    rn_process(net, 1);
    assert_int_equal(rn_term(net, 1), t0 + 1);
    assert_int_equal(rn_count_queued(net, 1, 0, RAFT_MSG_VOTE), 0);
    rn_run(net);
    assert_int_equal(rn_term(net, 2), t0);
    rn_restart(net, 1); /* the held write is lost */
    assert_int_equal(rn_term(net, 1), t0);
    assert_int_equal(rn_status(net, 1)->vote, 0);
    rn_free(net);
}

/* Thesis §10.2.1: the leader's entries reach a majority of followers before
 * its own write; then the entry is committed even though the leader crashes
 * and loses its copy, and the restarted node gets it back from the next
 * leader. */
static void test_leader_crash_loses_only_its_copy(void **state)
{
    (void)state;
    raftnet_t *net = rn_new(3, NULL);
    assert_int_equal(rn_campaign(net, 1), 1);
    rn_tick_all(net, 2);
    uint64_t term = rn_term(net, 1);
    rn_set_manual_persist(net, 1, true);
    uint64_t ix;
    rn_propose(net, 1, "x", &ix);
    rn_run(net);
    assert_int_equal(rn_commit(net, 1), ix); /* nodes 2 and 3 */
    rn_restart(net, 1);
    assert_int_equal(rn_last_index(net, 1), ix - 1);
    assert_int_equal(rn_term(net, 1), term);
    assert_int_equal(rn_role(net, 1), RAFT_FOLLOWER);
    rn_set_manual_persist(net, 1, false);
    rn_tick_all(net, 6 * E);
    uint64_t l = rn_leader(net);
    assert_true(l != 0);
    for (uint64_t i = 1; i <= 3; i++) {
        assert_int_equal(rn_count_applied(net, i, "x"), 1);
        assert_true(rn_logs_equal(net, l, i));
    }
    rn_free(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RN_TEST(test_own_log_counts_only_when_persisted),
        RN_TEST(test_leader_term_durable_before_its_messages),
        RN_TEST(test_follower_applies_only_durable_entries),
        RN_TEST(test_older_write_does_not_cover_overwritten_entry),
        RN_TEST(test_candidate_crash_before_persist),
        RN_TEST(test_leader_crash_loses_only_its_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
