/* Unit tests of the Raft core: single-server membership changes and learners
 * (Ongaro's thesis §4.1-§4.2, §4.2.1 learners, §4.2.2 removing the leader,
 * §4.2.3 disruptive servers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "support/raftnet.h"

#define E 10

/* n voters led by node 1, leases established. */
static raftnet_t *cluster(int n)
{
    raftnet_t *net = rn_new(n, NULL);
    assert_int_equal(rn_campaign(net, 1), 1);
    rn_tick_all(net, 2);
    return net;
}

/* A membership change proposed on `leader`, replicated and committed. */
static uint64_t change(raftnet_t *net, uint64_t leader, raft_conf_op_t op, uint64_t id)
{
    uint64_t ix = 0;
    char addr[16] = "node0";
    addr[4] = (char)('0' + id % 10);
    assert_int_equal(raft_propose_conf(rn_raft(net, leader), op, id, addr, &ix), RAFT_OK);
    rn_process(net, leader);
    rn_run(net);
    rn_tick_all(net, 2);
    assert_true(rn_commit(net, leader) >= ix);
    return ix;
}

static const raft_member_t *member(raftnet_t *net, uint64_t node, uint64_t id)
{
    return raft_conf_find(rn_status(net, node)->conf, id);
}

static bool removed(raftnet_t *net, uint64_t node, uint64_t id)
{
    const raft_conf_t *c = rn_status(net, node)->conf;
    for (int i = 0; i < c->n_removed; i++)
        if (c->removed[i] == id) return true;
    return false;
}

/* Thesis §4.2.1: a learner receives and applies the log, but is not counted
 * in any quorum, is not asked for votes and never campaigns. */
static void test_learner_receives_log_but_has_no_say(void **state)
{
    (void)state;
    raftnet_t *net = cluster(3);
    rn_start_joining(net, 4);
    uint64_t ic = change(net, 1, RAFT_CONF_ADD_LEARNER, 4);
    const raft_member_t *m = member(net, 1, 4);
    assert_non_null(m);
    assert_false(m->voter);
    assert_string_equal(m->addr, "node4");
    assert_int_equal(raft_conf_voters(rn_status(net, 1)->conf), 3);
    assert_int_equal(rn_status(net, 4)->conf_index, ic);
    assert_non_null(member(net, 4, 4));
    assert_false(member(net, 4, 4)->voter);

    rn_propose(net, 1, "a", NULL);
    rn_run(net);
    rn_tick_all(net, 1);
    assert_int_equal(rn_count_applied(net, 4, "a"), 1);
    assert_true(rn_logs_equal(net, 1, 4));

    /* the learner's copy is no quorum */
    rn_isolate(net, 2);
    rn_isolate(net, 3);
    uint64_t ib;
    rn_propose(net, 1, "b", &ib);
    rn_run(net);
    assert_int_equal(rn_last_index(net, 4), ib);
    assert_true(rn_commit(net, 1) < ib);
    rn_heal(net);
    rn_tick_all(net, 3);
    assert_int_equal(rn_count_applied(net, 4, "b"), 1);

    /* the learner never campaigns, candidates do not ask it */
    rn_trace_clear(net);
    rn_isolate(net, 4);
    rn_tick(net, 4, 6 * E);
    assert_int_equal(rn_role(net, 4), RAFT_FOLLOWER);
    rn_heal(net);
    rn_isolate(net, 1);
    rn_tick_all(net, 6 * E);
    assert_true(rn_leader(net) == 2 || rn_leader(net) == 3);
    assert_int_equal(rn_count_trace(net, 4, 0, RAFT_MSG_PREVOTE), 0);
    assert_int_equal(rn_count_trace(net, 4, 0, RAFT_MSG_VOTE), 0);
    assert_int_equal(rn_count_trace(net, 0, 4, RAFT_MSG_PREVOTE), 0);
    assert_int_equal(rn_count_trace(net, 0, 4, RAFT_MSG_VOTE), 0);
    assert_int_equal(raft_campaign(rn_raft(net, 4)), RAFT_EINVAL);
    rn_free(net);
}

/* Thesis §4.2.1: a promoted learner is a voter: the quorum of 4 voters is 3. */
static void test_promote_learner(void **state)
{
    (void)state;
    raftnet_t *net = cluster(3);
    rn_start_joining(net, 4);
    change(net, 1, RAFT_CONF_ADD_LEARNER, 4);
    change(net, 1, RAFT_CONF_PROMOTE, 4);
    assert_true(member(net, 1, 4)->voter);
    assert_true(member(net, 4, 4)->voter);
    assert_int_equal(raft_conf_voters(rn_status(net, 1)->conf), 4);

    rn_isolate(net, 2);
    rn_isolate(net, 3);
    uint64_t ix;
    rn_propose(net, 1, "x", &ix);
    rn_run(net);
    assert_int_equal(rn_last_index(net, 4), ix);
    assert_true(rn_commit(net, 1) < ix); /* 2 of 4 */
    rn_heal(net);
    rn_isolate(net, 3);
    rn_tick_all(net, 2);
    assert_int_equal(rn_commit(net, 1), ix); /* 1, 2 and 4 */
    rn_free(net);
}

/* Thesis §4.1: a removed voter leaves the configuration (its id goes to the
 * removed list on every node) and the quorum is counted among the remaining
 * voters: 1 and 2 commit without 3. */
static void test_remove_member(void **state)
{
    (void)state;
    raftnet_t *net = cluster(3);
    change(net, 1, RAFT_CONF_REMOVE, 3);
    assert_null(member(net, 1, 3));
    assert_int_equal(rn_status(net, 1)->conf->n, 2);
    assert_true(removed(net, 1, 3));
    assert_true(removed(net, 2, 3));
    rn_isolate(net, 3);
    uint64_t ix;
    rn_propose(net, 1, "x", &ix);
    rn_run(net);
    assert_int_equal(rn_commit(net, 1), ix);
    rn_free(net);
}

/* Thesis §4.1: only one configuration change may be uncommitted at a time. */
static void test_one_change_in_flight(void **state)
{
    (void)state;
    raftnet_t *net = cluster(3);
    rn_isolate(net, 2);
    rn_isolate(net, 3);
    raft_t *r1 = rn_raft(net, 1);
    assert_int_equal(raft_propose_conf(r1, RAFT_CONF_ADD_LEARNER, 4, "node4", NULL), RAFT_OK);
    rn_process(net, 1);
    uint64_t last = rn_last_index(net, 1);
    assert_int_equal(raft_propose_conf(r1, RAFT_CONF_ADD_LEARNER, 5, "node5", NULL), RAFT_EBUSY);
    assert_int_equal(raft_propose_conf(r1, RAFT_CONF_PROMOTE, 4, NULL, NULL), RAFT_EBUSY);
    assert_int_equal(raft_propose_conf(r1, RAFT_CONF_REMOVE, 3, NULL, NULL), RAFT_EBUSY);
    assert_int_equal(rn_last_index(net, 1), last);
    assert_int_equal(rn_propose(net, 1, "data", NULL), RAFT_OK); /* ordinary entries go on */
    rn_heal(net);
    rn_run(net);
    rn_tick_all(net, 2);
    assert_int_equal(raft_propose_conf(r1, RAFT_CONF_ADD_LEARNER, 5, "node5", NULL), RAFT_OK);
    rn_free(net);
}

/* Thesis §4.1: a node uses a configuration as soon as its entry is in its
 * log, committed or not: the leader right after proposing, a follower right
 * after appending. */
static void test_conf_effective_on_append(void **state)
{
    (void)state;
    raftnet_t *net = cluster(3);
    uint64_t ic;
    assert_int_equal(raft_propose_conf(rn_raft(net, 1), RAFT_CONF_ADD_LEARNER, 4, "node4", &ic),
                     RAFT_OK);
    assert_non_null(member(net, 1, 4));
    assert_int_equal(rn_status(net, 1)->conf_index, ic);
    rn_process(net, 1);
    assert_true(rn_commit(net, 1) < ic);
    assert_null(member(net, 2, 4));
    assert_true(rn_deliver_match(net, 1, 2, RAFT_MSG_APPEND));
    assert_int_equal(rn_last_index(net, 2), ic);
    assert_true(rn_commit(net, 2) < ic);
    assert_non_null(member(net, 2, 4));
    assert_int_equal(rn_status(net, 2)->conf_index, ic);
    rn_free(net);
}

/* Thesis §4.1: "a log entry for a configuration change can be removed (if
 * leadership changes); in this case, a server must be prepared to fall back
 * to the previous configuration in its log". Node 1 (leader) and node 2 hold
 * an uncommitted ADD_LEARNER 6; nodes 3-5 elect a leader that overwrites it. */
static void test_conf_rolled_back_when_truncated(void **state)
{
    (void)state;
    raftnet_t *net = cluster(5);
    uint64_t prev_index = rn_status(net, 1)->conf_index;
    uint64_t ic;
    assert_int_equal(raft_propose_conf(rn_raft(net, 1), RAFT_CONF_ADD_LEARNER, 6, "node6", &ic),
                     RAFT_OK);
    rn_process(net, 1);
    assert_true(rn_deliver_match(net, 1, 2, RAFT_MSG_APPEND));
    rn_drop_queued(net, 0, 0, 0);
    assert_non_null(member(net, 1, 6));
    assert_non_null(member(net, 2, 6));

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
    rn_propose(net, l, "x", NULL);
    rn_run(net);
    rn_heal(net);
    rn_tick_all(net, 4);
    assert_int_equal(rn_leader(net), l);
    for (uint64_t k = 1; k <= 2; k++) {
        assert_true(rn_logs_equal(net, l, k));
        assert_null(member(net, k, 6));
        assert_int_equal(rn_status(net, k)->conf->n, 5);
        assert_int_equal(rn_status(net, k)->conf_index, prev_index);
        assert_int_equal(rn_count_applied(net, k, "x"), 1);
    }
    rn_free(net);
}

/* Thesis §4.2.2: a leader that removes itself keeps leading until the entry
 * commits, without counting itself in the new configuration's quorum; then it
 * steps down and the remaining voters elect a leader among themselves. */
static void test_remove_leader(void **state)
{
    (void)state;
    raftnet_t *net = cluster(3);
    uint64_t term = rn_term(net, 1);
    rn_isolate(net, 3);
    uint64_t ir;
    assert_int_equal(raft_propose_conf(rn_raft(net, 1), RAFT_CONF_REMOVE, 1, NULL, &ir), RAFT_OK);
    rn_process(net, 1);
    rn_run(net);
    rn_tick(net, 1, 2);
    rn_run(net);
    /* node 2 has it: 1 and 2 would be 2 of 3, but in {2, 3} only 2 counts */
    assert_int_equal(rn_last_index(net, 2), ir);
    assert_true(rn_commit(net, 1) < ir);
    assert_int_equal(rn_role(net, 1), RAFT_LEADER);

    rn_heal(net);
    for (int i = 0; i < 3 && rn_role(net, 1) == RAFT_LEADER; i++) {
        rn_tick(net, 1, 1);
        rn_run(net);
    }
    assert_true(rn_commit(net, 1) >= ir);
    assert_int_not_equal(rn_role(net, 1), RAFT_LEADER);

    rn_tick_all(net, 6 * E);
    uint64_t l = rn_leader(net);
    assert_true(l == 2 || l == 3);
    assert_true(rn_term(net, l) > term);
    rn_propose(net, l, "after", NULL);
    rn_run(net);
    rn_tick_all(net, 1);
    assert_int_equal(rn_count_applied(net, 2, "after"), 1);
    assert_int_equal(rn_count_applied(net, 3, "after"), 1);
    rn_free(net);
}

/* Header (RAFT_ELASTVOTER): removing the only voter is refused, also when
 * learners remain. */
static void test_remove_last_voter_refused(void **state)
{
    (void)state;
    raftnet_t *net = rn_new(1, NULL);
    assert_int_equal(rn_campaign(net, 1), 1);
    rn_run(net);
    assert_int_equal(raft_propose_conf(rn_raft(net, 1), RAFT_CONF_REMOVE, 1, NULL, NULL),
                     RAFT_ELASTVOTER);
    rn_start_joining(net, 2);
    change(net, 1, RAFT_CONF_ADD_LEARNER, 2);
    assert_int_equal(raft_propose_conf(rn_raft(net, 1), RAFT_CONF_REMOVE, 1, NULL, NULL),
                     RAFT_ELASTVOTER);
    assert_int_equal(raft_conf_voters(rn_status(net, 1)->conf), 1);
    /* a learner can go */
    change(net, 1, RAFT_CONF_REMOVE, 2);
    assert_int_equal(rn_status(net, 1)->conf->n, 1);
    rn_free(net);
}

/* Header (RAFT_EREMOVED) and the issue: a removed id is never reused; other
 * invalid changes are refused with RAFT_EINVAL; only the leader may propose. */
static void test_invalid_changes(void **state)
{
    (void)state;
    raftnet_t *net = cluster(3);
    change(net, 1, RAFT_CONF_REMOVE, 3);
    raft_t *r1 = rn_raft(net, 1);
    assert_int_equal(raft_propose_conf(r1, RAFT_CONF_ADD_LEARNER, 3, "node3", NULL), RAFT_EREMOVED);
    assert_int_equal(raft_propose_conf(r1, RAFT_CONF_ADD_LEARNER, 2, "node2", NULL), RAFT_EINVAL);
    assert_int_equal(raft_propose_conf(r1, RAFT_CONF_PROMOTE, 2, NULL, NULL), RAFT_EINVAL);
    assert_int_equal(raft_propose_conf(r1, RAFT_CONF_PROMOTE, 9, NULL, NULL), RAFT_EINVAL);
    assert_int_equal(raft_propose_conf(r1, RAFT_CONF_REMOVE, 9, NULL, NULL), RAFT_EINVAL);
    assert_int_equal(raft_propose_conf(r1, RAFT_CONF_ADD_LEARNER, 0, "x", NULL), RAFT_EINVAL);
    assert_int_equal(raft_propose_conf(rn_raft(net, 2), RAFT_CONF_ADD_LEARNER, 5, "n5", NULL),
                     RAFT_ENOTLEADER);
    assert_int_equal(rn_status(net, 1)->conf->n, 2);
    /* the removed list survives later changes */
    rn_start_joining(net, 4);
    change(net, 1, RAFT_CONF_ADD_LEARNER, 4);
    assert_true(removed(net, 1, 3));
    assert_true(removed(net, 4, 3));
    rn_free(net);
}

/* Thesis §4.2.3: a server removed while cut off (it never learns it) may
 * time out and campaign; with pre-vote and leader leases it does not disturb
 * the remaining cluster. */
static void test_removed_node_does_not_disrupt(void **state)
{
    (void)state;
    raftnet_t *net = cluster(3);
    uint64_t term = rn_term(net, 1);
    rn_isolate(net, 3);
    change(net, 1, RAFT_CONF_REMOVE, 3);
    rn_tick_all(net, 4 * E); /* node 3 pre-campaigns in vain */
    rn_heal(net);
    rn_tick_all(net, 6 * E);
    assert_int_equal(rn_leader(net), 1);
    assert_int_equal(rn_term(net, 1), term);
    assert_int_equal(rn_term(net, 2), term);
    rn_free(net);
}

/* Thesis §6.2 with §4.2.1: check-quorum counts voters only; a leader that
 * hears from its learner but from no other voter steps down. */
static void test_check_quorum_ignores_learners(void **state)
{
    (void)state;
    raftnet_t *net = cluster(3);
    rn_start_joining(net, 4);
    change(net, 1, RAFT_CONF_ADD_LEARNER, 4);
    rn_isolate(net, 2);
    rn_isolate(net, 3);
    int t = 0;
    while (rn_role(net, 1) == RAFT_LEADER && t < 4 * E) {
        rn_tick(net, 1, 1);
        rn_tick(net, 4, 1);
        rn_run(net);
        t++;
    }
    if (t > 2 * E) fail_msg("leader with only a learner stayed %d ticks", t);
    assert_true(rn_count_trace(net, 4, 1, RAFT_MSG_HEARTBEAT_RESP) > 0);
    rn_free(net);
}

/* Header (raft_step: messages from nodes outside the configuration are
 * dropped) and thesis §4.2.3: a vote request of a higher term from a removed
 * server changes nothing, even without pre-vote and leases. */
static void test_vote_from_removed_node_ignored(void **state)
{
    (void)state;
    raft_config_t cfg;
    rn_config(&cfg);
    cfg.pre_vote = false;
    cfg.check_quorum = false;
    raftnet_t *net = rn_new(3, &cfg);
    assert_int_equal(rn_campaign(net, 1), 1);
    change(net, 1, RAFT_CONF_REMOVE, 3);
    uint64_t term = rn_term(net, 2);
    raft_msg_t m;
    memset(&m, 0, sizeof(m));
    m.type = RAFT_MSG_VOTE;
    m.from = 3;
    m.to = 2;
    m.term = term + 5;
    m.log_term = term;
    m.index = rn_last_index(net, 2);
    rn_step(net, &m);
    assert_int_equal(rn_term(net, 2), term);
    assert_int_equal(rn_status(net, 2)->leader, 1);
    const raft_msg_t *r = rn_find_queued(net, 2, 3, RAFT_MSG_VOTE_RESP);
    assert_true(r == NULL || r->reject);
    m.to = 1;
    rn_step(net, &m);
    assert_int_equal(rn_role(net, 1), RAFT_LEADER);
    assert_int_equal(rn_term(net, 1), term);
    rn_free(net);
}

static bool drop_appends(raft_msg_t *m, void *arg)
{
    (void)arg;
    return m->type != RAFT_MSG_APPEND;
}

/* The fix to single-server changes (Ongaro, raft-dev 2015; in the thesis
 * errata): a leader may not append a configuration entry until it has
 * committed an entry of its own term; otherwise an uncommitted change of the
 * previous leader and the new one can make two disjoint majorities. */
static void test_conf_change_waits_for_commit_in_term(void **state)
{
    (void)state;
    raftnet_t *net = rn_new(3, NULL);
    rn_set_filter(net, drop_appends, NULL);
    assert_int_equal(rn_campaign(net, 1), 1);
    assert_true(rn_commit(net, 1) < rn_last_index(net, 1)); /* the no-op waits */
    raft_t *r1 = rn_raft(net, 1);
    assert_int_equal(raft_propose_conf(r1, RAFT_CONF_ADD_LEARNER, 4, "node4", NULL), RAFT_EBUSY);
    assert_int_equal(raft_propose_conf(r1, RAFT_CONF_REMOVE, 3, NULL, NULL), RAFT_EBUSY);
    rn_set_filter(net, NULL, NULL);
    rn_tick_all(net, 3);
    assert_int_equal(rn_commit(net, 1), rn_last_index(net, 1));
    assert_int_equal(raft_propose_conf(r1, RAFT_CONF_ADD_LEARNER, 4, "node4", NULL), RAFT_OK);
    rn_free(net);
}

/* Drops APPENDs from nodes 2-4, except those to node *arg. */
static bool appends_only_to(raft_msg_t *m, void *arg)
{
    return m->type != RAFT_MSG_APPEND || m->from < 2 || m->from > 4 ||
           m->to == *(const uint64_t *)arg;
}

/* The hazard behind that rule, played out (raft-dev, "bug in single-server
 * membership changes", 2015). Voters {1,2,3,4}, learner 5. Leader 1 promotes
 * 5 (C1, on nodes 1 and 5 only) and is cut off with 5. A new leader L of
 * term 2 removes V before its no-op commits (C2 = {1, L, P}), and commits C2
 * with P alone. Then 1, 5 and V elect a leader under C1 that overwrites what L
 * and P applied. A core that refuses C2 (RAFT_EBUSY) stops the story; one
 * that accepts it lets the harness catch two different entries applied at
 * the same index. */
static void test_single_server_change_hazard(void **state)
{
    (void)state;
    raftnet_t *net = cluster(4);
    rn_start_joining(net, 5);
    change(net, 1, RAFT_CONF_ADD_LEARNER, 5);
    uint64_t k;
    assert_int_equal(raft_propose_conf(rn_raft(net, 1), RAFT_CONF_PROMOTE, 5, NULL, &k), RAFT_OK);
    rn_process(net, 1);
    assert_true(rn_deliver_match(net, 1, 5, RAFT_MSG_APPEND));
    rn_drop_queued(net, 0, 0, 0);
    rn_isolate(net, 1);
    rn_isolate(net, 5);

    /* nodes 2-4 elect L; its APPENDs are held back so its no-op stays uncommitted */
    uint64_t only = 0;
    rn_set_filter(net, appends_only_to, &only);
    uint64_t l = 0;
    for (int i = 0; i < 8 * E && !l; i++) {
        for (uint64_t n = 2; n <= 4; n++)
            rn_tick(net, n, 1);
        rn_run(net);
        for (uint64_t n = 2; n <= 4; n++)
            if (rn_role(net, n) == RAFT_LEADER) l = n;
    }
    assert_true(l >= 2);
    uint64_t p = l == 2 ? 3 : 2, v = l == 4 ? 3 : 4;
    int rc = raft_propose_conf(rn_raft(net, l), RAFT_CONF_REMOVE, v, NULL, NULL);
    if (rc == RAFT_EBUSY) { /* the rule holds: no hazard */
        rn_free(net);
        return;
    }
    assert_int_equal(rc, RAFT_OK);
    rn_process(net, l);
    only = p;
    for (int i = 0; i < 3; i++) {
        rn_tick(net, l, 1);
        rn_run(net);
    }
    assert_true(rn_applied_index(net, p) >= k); /* L and P applied term 2's entry at k */

    rn_set_filter(net, NULL, NULL);
    rn_heal(net);
    rn_isolate(net, l);
    rn_isolate(net, p);
    /* the harness fails here if a node applies C1 at index k */
    for (int i = 0; i < 10 * E; i++) {
        rn_tick(net, 1, 1);
        rn_tick(net, 5, 1);
        rn_tick(net, v, 1);
        rn_run(net);
    }
    rn_free(net);
}

/* Header (raft_restore) and thesis §4.1: the configuration in force comes
 * back from the log after a restart (the last CONF entry, committed or not). */
static void test_conf_survives_restart(void **state)
{
    (void)state;
    raftnet_t *net = cluster(3);
    rn_start_joining(net, 4);
    uint64_t ic = change(net, 1, RAFT_CONF_ADD_LEARNER, 4);
    rn_restart(net, 2);
    assert_int_equal(rn_status(net, 2)->conf_index, ic);
    assert_non_null(member(net, 2, 4));
    rn_restart(net, 4);
    assert_int_equal(rn_status(net, 4)->conf_index, ic);
    assert_false(member(net, 4, 4)->voter);
    /* an uncommitted change too */
    rn_isolate(net, 2);
    rn_isolate(net, 3);
    uint64_t ir;
    assert_int_equal(raft_propose_conf(rn_raft(net, 1), RAFT_CONF_REMOVE, 4, NULL, &ir), RAFT_OK);
    rn_process(net, 1);
    rn_restart(net, 1);
    assert_int_equal(rn_status(net, 1)->conf_index, ir);
    assert_null(member(net, 1, 4));
    rn_free(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RN_TEST(test_learner_receives_log_but_has_no_say),
        RN_TEST(test_promote_learner),
        RN_TEST(test_remove_member),
        RN_TEST(test_one_change_in_flight),
        RN_TEST(test_conf_effective_on_append),
        RN_TEST(test_conf_rolled_back_when_truncated),
        RN_TEST(test_remove_leader),
        RN_TEST(test_remove_last_voter_refused),
        RN_TEST(test_invalid_changes),
        RN_TEST(test_removed_node_does_not_disrupt),
        RN_TEST(test_check_quorum_ignores_learners),
        RN_TEST(test_vote_from_removed_node_ignored),
        RN_TEST(test_conf_change_waits_for_commit_in_term),
        RN_TEST(test_single_server_change_hazard),
        RN_TEST(test_conf_survives_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
