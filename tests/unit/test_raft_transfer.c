/* Unit tests of the Raft core: leadership transfer (Ongaro's thesis §3.10). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "support/raftnet.h"

#define E 10

/* 3 nodes led by node 1, "a" committed everywhere, leases established. */
static raftnet_t *cluster(void)
{
    raftnet_t *net = rn_new(3, NULL);
    assert_int_equal(rn_campaign(net, 1), 1);
    rn_propose(net, 1, "a", NULL);
    rn_run(net);
    rn_tick_all(net, 2);
    return net;
}

/* Position of the first trace record matching, or ntrace. */
static size_t trace_pos(const raftnet_t *net, uint64_t from, uint64_t to, int type)
{
    for (size_t i = 0; i < net->ntrace; i++) {
        const rn_trace_t *t = &net->trace[i];
        if ((!from || t->from == from) && (!to || t->to == to) && t->type == type) return i;
    }
    return net->ntrace;
}

/* Thesis §3.10: to an up-to-date follower the leader sends TIMEOUT_NOW at
 * once; the target starts a real election right away (no pre-vote), its vote
 * requests carry the transfer flag that gets past the other voters' leader
 * lease, and it wins in the next term. */
static void test_transfer_to_up_to_date_follower(void **state)
{
    (void)state;
    raftnet_t *net = cluster();
    uint64_t term = rn_term(net, 1);
    rn_trace_clear(net);
    assert_int_equal(raft_transfer_leader(rn_raft(net, 1), 2), RAFT_OK);
    rn_process(net, 1);
    assert_int_equal(rn_count_queued(net, 1, 2, RAFT_MSG_TIMEOUT_NOW), 1);
    assert_int_equal(rn_find_queued(net, 1, 2, RAFT_MSG_TIMEOUT_NOW)->term, term);
    rn_run(net);
    assert_int_equal(rn_leader(net), 2);
    assert_int_equal(rn_term(net, 2), term + 1);
    assert_int_equal(rn_role(net, 1), RAFT_FOLLOWER);
    assert_int_equal(rn_status(net, 1)->leader, 2);
    assert_int_equal(rn_status(net, 1)->transferee, 0);
    assert_int_equal(rn_count_trace(net, 2, 0, RAFT_MSG_PREVOTE), 0);
    const rn_trace_t *v = rn_last_trace(net, 2, 3, RAFT_MSG_VOTE);
    assert_non_null(v);
    assert_true(v->transfer);
    /* the new leader works */
    rn_propose(net, 2, "b", NULL);
    rn_run(net);
    rn_tick_all(net, 1);
    for (uint64_t i = 1; i <= 3; i++)
        assert_int_equal(rn_count_applied(net, i, "b"), 1);
    rn_free(net);
}

/* Thesis §3.10 step 1: to a follower that lags, the leader first brings its
 * log up to date and only then sends TIMEOUT_NOW; meanwhile it refuses
 * proposals (RAFT_EBUSY) so the target can catch up. */
static void test_transfer_to_lagging_follower(void **state)
{
    (void)state;
    raftnet_t *net = cluster();
    uint64_t term = rn_term(net, 1);
    rn_isolate(net, 3);
    for (int i = 0; i < 5; i++)
        rn_propose(net, 1, "x", NULL);
    rn_run(net);
    rn_heal(net);
    uint64_t last = rn_last_index(net, 1);
    assert_true(rn_last_index(net, 3) < last);

    rn_trace_clear(net);
    assert_int_equal(raft_transfer_leader(rn_raft(net, 1), 3), RAFT_OK);
    rn_process(net, 1);
    assert_int_equal(rn_status(net, 1)->transferee, 3);
    assert_int_equal(rn_count_queued(net, 1, 3, RAFT_MSG_TIMEOUT_NOW), 0);
    assert_int_equal(rn_propose(net, 1, "refused", NULL), RAFT_EBUSY);
    assert_int_equal(rn_last_index(net, 1), last);

    for (int i = 0; i < E / 2 && rn_leader(net) != 3; i++) {
        rn_run(net);
        if (rn_leader(net) == 3) break;
        rn_tick(net, 1, 1);
    }
    assert_int_equal(rn_leader(net), 3);
    assert_int_equal(rn_term(net, 3), term + 1);
    assert_int_equal(rn_count_trace(net, 1, 3, RAFT_MSG_TIMEOUT_NOW), 1);
    /* before TIMEOUT_NOW left, node 3 had acknowledged the leader's last entry */
    size_t tn = trace_pos(net, 1, 3, RAFT_MSG_TIMEOUT_NOW);
    bool caught_up = false;
    for (size_t i = 0; i < tn; i++) {
        const rn_trace_t *t = &net->trace[i];
        if (t->from == 3 && t->type == RAFT_MSG_APPEND_RESP && !t->reject && t->index == last)
            caught_up = true;
    }
    assert_true(caught_up);
    assert_int_equal(rn_count_applied(net, 3, "refused"), 0);
    rn_free(net);
}

/* Thesis §3.10: during a transfer the leader refuses new proposals and
 * membership changes (RAFT_EBUSY); reads are unaffected. */
static void test_proposals_refused_during_transfer(void **state)
{
    (void)state;
    raftnet_t *net = cluster();
    rn_isolate(net, 3);
    assert_int_equal(raft_transfer_leader(rn_raft(net, 1), 3), RAFT_OK);
    rn_process(net, 1);
    uint64_t last = rn_last_index(net, 1);
    assert_int_equal(rn_propose(net, 1, "x", NULL), RAFT_EBUSY);
    assert_int_equal(raft_propose_conf(rn_raft(net, 1), RAFT_CONF_ADD_LEARNER, 4, "node4", NULL),
                     RAFT_EBUSY);
    assert_int_equal(rn_last_index(net, 1), last);
    assert_int_equal(rn_status(net, 1)->conf->n, 3);
    rn_free(net);
}

/* Thesis §3.10 step 3: if the transfer does not complete within an election
 * timeout the leader aborts it and accepts proposals again (still leader,
 * same term). */
static void test_transfer_aborts_after_election_timeout(void **state)
{
    (void)state;
    raftnet_t *net = cluster();
    uint64_t term = rn_term(net, 1);
    rn_isolate(net, 3);
    assert_int_equal(raft_transfer_leader(rn_raft(net, 1), 3), RAFT_OK);
    rn_process(net, 1);
    for (int i = 0; i < E - 1; i++) {
        rn_tick(net, 1, 1);
        rn_tick(net, 2, 1);
        rn_run(net);
    }
    assert_int_equal(rn_status(net, 1)->transferee, 3);
    assert_int_equal(rn_propose(net, 1, "x", NULL), RAFT_EBUSY);
    int extra = 0;
    while (rn_status(net, 1)->transferee != 0 && extra < 2) {
        rn_tick(net, 1, 1);
        rn_tick(net, 2, 1);
        rn_run(net);
        extra++;
    }
    if (rn_status(net, 1)->transferee != 0)
        fail_msg("transfer still pending after %d ticks (election timeout %d)", E - 1 + extra, E);
    assert_int_equal(rn_role(net, 1), RAFT_LEADER);
    assert_int_equal(rn_term(net, 1), term);
    assert_int_equal(rn_propose(net, 1, "y", NULL), RAFT_OK);
    rn_run(net);
    assert_int_equal(rn_count_applied(net, 1, "y"), 1);
    rn_free(net);
}

/* Header (raft_transfer_leader): leader only; the target must be a voter of
 * the configuration. */
static void test_transfer_errors(void **state)
{
    (void)state;
    raftnet_t *net = cluster();
    assert_int_equal(raft_transfer_leader(rn_raft(net, 2), 3), RAFT_ENOTLEADER);
    assert_int_equal(raft_transfer_leader(rn_raft(net, 1), 7), RAFT_EINVAL);
    assert_int_equal(raft_transfer_leader(rn_raft(net, 1), 0), RAFT_EINVAL);
    /* to itself: nothing happens, proposals go on */
    raft_transfer_leader(rn_raft(net, 1), 1);
    rn_run(net);
    assert_int_equal(rn_leader(net), 1);
    assert_int_equal(rn_status(net, 1)->transferee, 0);
    assert_int_equal(rn_propose(net, 1, "x", NULL), RAFT_OK);
    rn_run(net);
    /* a learner cannot lead */
    rn_start_joining(net, 4);
    assert_int_equal(raft_propose_conf(rn_raft(net, 1), RAFT_CONF_ADD_LEARNER, 4, "node4", NULL),
                     RAFT_OK);
    rn_process(net, 1);
    rn_run(net);
    rn_tick_all(net, 2);
    assert_int_equal(raft_transfer_leader(rn_raft(net, 1), 4), RAFT_EINVAL);
    assert_int_equal(rn_status(net, 1)->transferee, 0);
    rn_free(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RN_TEST(test_transfer_to_up_to_date_follower),
        RN_TEST(test_transfer_to_lagging_follower),
        RN_TEST(test_proposals_refused_during_transfer),
        RN_TEST(test_transfer_aborts_after_election_timeout),
        RN_TEST(test_transfer_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
