/* Unit tests of the Raft core: leader election, votes, pre-vote and
 * check-quorum (raft paper §5.2, §5.4.1; Ongaro's thesis §3.4, §3.6, §9.6). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "support/raftnet.h"

#define E 10 /* election_ticks of rn_config */

static raft_config_t cfg_with(bool pre_vote, bool check_quorum)
{
    raft_config_t c;
    rn_config(&c);
    c.pre_vote = pre_vote;
    c.check_quorum = check_quorum;
    return c;
}

static raft_msg_t vote_msg(int type, uint64_t from, uint64_t to, uint64_t term, uint64_t log_term,
                           uint64_t index)
{
    raft_msg_t m;
    memset(&m, 0, sizeof(m));
    m.type = (uint8_t)type;
    m.from = from;
    m.to = to;
    m.term = term;
    m.log_term = log_term;
    m.index = index;
    return m;
}

/* The answer `from` queued for `to` (type), which must exist. */
static const raft_msg_t *answer(raftnet_t *net, uint64_t from, uint64_t to, int type)
{
    const raft_msg_t *m = rn_find_queued(net, from, to, type);
    if (!m)
        fail_msg("no %s from %llu to %llu queued", raft_msg_type_name(type),
                 (unsigned long long)from, (unsigned long long)to);
    return m;
}

/* True when `from` queued a granting answer of `type` for `to`. */
static bool granted(raftnet_t *net, uint64_t from, uint64_t to, int type)
{
    const raft_msg_t *m = rn_find_queued(net, from, to, type);
    return m && !m->reject;
}

/* §5.2, thesis §3.4: a follower that hears from no leader starts an election
 * once its randomized election timeout, drawn from [e, 2e) ticks, elapses;
 * the timeout really is random (several seeds give several values). */
static void test_campaign_after_randomized_timeout(void **state)
{
    (void)state;
    bool seen[2 * E] = {false};
    int distinct = 0;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        raftnet_t *net = rn_new_empty(NULL);
        net->seed = seed;
        raft_conf_t conf;
        rn_conf_voters(&conf, 3);
        rn_start_bootstrap(net, 1, &conf);
        int t = 0;
        while (rn_role(net, 1) == RAFT_FOLLOWER && t < 3 * E) {
            rn_tick(net, 1, 1);
            t++;
        }
        if (t < E || t > 2 * E - 1)
            fail_msg("seed %llu: campaigned after %d ticks, outside [%d, %d)",
                     (unsigned long long)seed, t, E, 2 * E);
        /* pre-vote is on: it asks both peers */
        assert_int_equal(rn_count_trace(net, 1, 2, RAFT_MSG_PREVOTE), 1);
        assert_int_equal(rn_count_trace(net, 1, 3, RAFT_MSG_PREVOTE), 1);
        if (!seen[t]) distinct++;
        seen[t] = true;
        rn_free(net);
    }
    assert_true(distinct >= 3);
}

/* §5.2: a candidate votes for itself (persisted), asks every voter with its
 * last log position, and becomes leader once a majority granted. */
static void test_candidate_wins_with_majority(void **state)
{
    (void)state;
    raft_config_t cfg = cfg_with(false, true);
    raftnet_t *net = rn_new(3, &cfg);
    uint64_t t0 = rn_term(net, 1);
    assert_int_equal(raft_campaign(rn_raft(net, 1)), RAFT_OK);
    rn_process(net, 1);
    const raft_status_t *st = rn_status(net, 1);
    assert_int_equal(st->role, RAFT_CANDIDATE);
    assert_int_equal(st->term, t0 + 1);
    assert_int_equal(st->vote, 1);
    assert_int_equal(rn_node(net, 1)->disk.hs.term, t0 + 1);
    assert_int_equal(rn_node(net, 1)->disk.hs.vote, 1);
    for (uint64_t to = 2; to <= 3; to++) {
        const raft_msg_t *v = answer(net, 1, to, RAFT_MSG_VOTE);
        assert_int_equal(v->term, t0 + 1);
        assert_int_equal(v->log_term, 0);
        assert_int_equal(v->index, 0);
        assert_false(v->transfer);
    }
    /* one grant (node 2) plus its own vote: 2 of 3 */
    assert_true(rn_deliver_match(net, 1, 2, RAFT_MSG_VOTE));
    assert_true(granted(net, 2, 1, RAFT_MSG_VOTE_RESP));
    assert_true(rn_deliver_match(net, 2, 1, RAFT_MSG_VOTE_RESP));
    assert_int_equal(rn_role(net, 1), RAFT_LEADER);
    assert_int_equal(rn_term(net, 1), t0 + 1);
    rn_run(net);
    assert_int_equal(rn_status(net, 2)->leader, 1);
    assert_int_equal(rn_status(net, 3)->leader, 1);
    rn_free(net);

    /* 5 voters, 2 unreachable: 3 of 5 is still a majority */
    net = rn_new(5, &cfg);
    rn_isolate(net, 4);
    rn_isolate(net, 5);
    assert_int_equal(rn_campaign(net, 1), 1);
    assert_int_equal(rn_term(net, 1), 1);
    rn_free(net);
}

/* §5.2: without a majority of votes a candidate does not become leader; it
 * starts a new election (next term) after another randomized timeout. */
static void test_candidate_loses_without_majority(void **state)
{
    (void)state;
    raft_config_t cfg = cfg_with(false, true);
    raftnet_t *net = rn_new(5, &cfg);
    rn_isolate(net, 3);
    rn_isolate(net, 4);
    rn_isolate(net, 5);
    rn_campaign(net, 1); /* node 2 grants: 2 of 5 */
    assert_int_equal(rn_role(net, 1), RAFT_CANDIDATE);
    assert_int_equal(rn_term(net, 1), 1);
    assert_int_equal(rn_status(net, 2)->vote, 1);
    int t = 0;
    while (rn_term(net, 1) == 1 && t < 2 * E) {
        rn_tick(net, 1, 1);
        rn_run(net);
        t++;
    }
    assert_true(t >= E && t <= 2 * E - 1);
    assert_int_equal(rn_role(net, 1), RAFT_CANDIDATE);
    assert_int_equal(rn_term(net, 1), 2);
    assert_int_equal(rn_leader(net), 0);
    rn_free(net);
}

/* §5.2: a candidate that hears from a leader of its own term returns to
 * follower and follows it. */
static void test_candidate_yields_to_leader_of_same_term(void **state)
{
    (void)state;
    raft_config_t cfg = cfg_with(false, true);
    raftnet_t *net = rn_new(3, &cfg);
    assert_int_equal(raft_campaign(rn_raft(net, 2)), RAFT_OK);
    rn_process(net, 2);
    assert_int_equal(rn_role(net, 2), RAFT_CANDIDATE);
    raft_msg_t m = vote_msg(RAFT_MSG_APPEND, 1, 2, 1, 0, 0);
    assert_int_equal(rn_step(net, &m), RAFT_OK);
    assert_int_equal(rn_role(net, 2), RAFT_FOLLOWER);
    assert_int_equal(rn_term(net, 2), 1);
    assert_int_equal(rn_status(net, 2)->leader, 1);
    rn_free(net);
}

/* Thesis §3.4 (and §6.4): a new leader appends a no-op entry of its own term
 * at once; every node applies it. */
static void test_leader_appends_noop_of_its_term(void **state)
{
    (void)state;
    raftnet_t *net = rn_new(3, NULL);
    assert_int_equal(rn_campaign(net, 1), 1);
    uint64_t t1 = rn_term(net, 1);
    assert_int_equal(rn_last_index(net, 1), 1);
    const rn_entry_t *e = rn_disk_entry(net, 1, 1);
    assert_non_null(e);
    assert_int_equal(e->type, RAFT_ENTRY_NOOP);
    assert_int_equal(e->term, t1);
    assert_int_equal(rn_commit(net, 1), 1);
    rn_tick_all(net, 1); /* followers learn the commit index from the next message */
    for (uint64_t i = 1; i <= 3; i++) {
        assert_int_equal(rn_commit(net, i), 1);
        assert_int_equal(rn_applied_index(net, i), 1);
        assert_int_equal(rn_node(net, i)->applied[0].type, RAFT_ENTRY_NOOP);
    }
    /* the next leader appends its own */
    rn_tick_all(net, 3 * E); /* leases expire only once node 1 is gone */
    rn_isolate(net, 1);
    rn_tick_all(net, 4 * E);
    uint64_t l2 = rn_leader(net);
    assert_true(l2 == 2 || l2 == 3);
    uint64_t t2 = rn_term(net, l2);
    assert_true(t2 > t1);
    e = rn_disk_entry(net, l2, 2);
    assert_non_null(e);
    assert_int_equal(e->type, RAFT_ENTRY_NOOP);
    assert_int_equal(e->term, t2);
    rn_free(net);
}

/* §5.2, Figure 2 (RequestVote): at most one vote per term, first come first
 * served; the same candidate may ask again; the vote is durable (it survives a
 * restart) and its grant goes out only after the write (msgs_after). */
static void test_one_vote_per_term(void **state)
{
    (void)state;
    raft_config_t cfg = cfg_with(false, false);
    raftnet_t *net = rn_new(3, &cfg);
    raft_msg_t m = vote_msg(RAFT_MSG_VOTE, 1, 3, 1, 0, 0);
    assert_int_equal(rn_step(net, &m), RAFT_OK);
    assert_true(granted(net, 3, 1, RAFT_MSG_VOTE_RESP));
    assert_int_equal(rn_node(net, 3)->disk.hs.term, 1);
    assert_int_equal(rn_node(net, 3)->disk.hs.vote, 1);
    assert_int_equal(rn_count_trace(net, 3, 1, RAFT_MSG_VOTE_RESP), 1);
    assert_true(rn_last_trace(net, 3, 1, RAFT_MSG_VOTE_RESP)->after);
    rn_drop_queued(net, 0, 0, 0);

    m = vote_msg(RAFT_MSG_VOTE, 2, 3, 1, 0, 0);
    rn_step(net, &m);
    assert_true(answer(net, 3, 2, RAFT_MSG_VOTE_RESP)->reject);
    assert_int_equal(rn_status(net, 3)->vote, 1);
    rn_drop_queued(net, 0, 0, 0);

    m = vote_msg(RAFT_MSG_VOTE, 1, 3, 1, 0, 0); /* a retry by the same candidate */
    rn_step(net, &m);
    assert_true(granted(net, 3, 1, RAFT_MSG_VOTE_RESP));
    rn_drop_queued(net, 0, 0, 0);

    rn_restart(net, 3);
    assert_int_equal(rn_term(net, 3), 1);
    assert_int_equal(rn_status(net, 3)->vote, 1);
    m = vote_msg(RAFT_MSG_VOTE, 2, 3, 1, 0, 0);
    rn_step(net, &m);
    assert_false(granted(net, 3, 2, RAFT_MSG_VOTE_RESP));
    rn_drop_queued(net, 0, 0, 0);

    /* a new term frees the vote */
    m = vote_msg(RAFT_MSG_VOTE, 2, 3, 2, 0, 0);
    rn_step(net, &m);
    assert_true(granted(net, 3, 2, RAFT_MSG_VOTE_RESP));
    assert_int_equal(rn_node(net, 3)->disk.hs.vote, 2);
    rn_free(net);
}

/* §5.4.1: a vote (and a pre-vote, thesis §9.6) is granted only to a candidate
 * whose log is at least as up-to-date: higher last term wins, then the longer
 * log. The voter's log is [1:t1, 2:t2]. */
static void test_vote_refused_to_less_up_to_date_log(void **state)
{
    (void)state;
    static const uint64_t terms[] = {1, 2};
    static const struct {
        uint64_t log_term, index;
        bool grant;
    } cases[] = {
        {1, 5, false}, /* longer, but an older last term */
        {2, 1, false}, /* same last term, shorter */
        {2, 2, true},  /* identical */
        {2, 3, true},  /* same last term, longer */
        {3, 1, true},  /* newer last term, shorter */
        {0, 0, false},
    };
    raft_config_t cfg = cfg_with(false, false);
    for (int pre = 0; pre <= 1; pre++) {
        int type = pre ? RAFT_MSG_PREVOTE : RAFT_MSG_VOTE;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            raftnet_t *net = rn_new_empty(&cfg);
            rn_start_log(net, 3, 3, 2, terms, 2);
            raft_msg_t m = vote_msg(type, 1, 3, 3, cases[i].log_term, cases[i].index);
            assert_int_equal(rn_step(net, &m), RAFT_OK);
            bool g = granted(net, 3, 1, type + 1);
            if (g != cases[i].grant)
                fail_msg("%s last (%llu, %llu) against voter (2, 2): granted=%d, want %d",
                         raft_msg_type_name(type), (unsigned long long)cases[i].log_term,
                         (unsigned long long)cases[i].index, g, cases[i].grant);
            /* a pre-vote changes neither term nor vote (thesis §9.6) */
            if (pre) {
                assert_int_equal(rn_term(net, 3), 2);
                assert_int_equal(rn_status(net, 3)->vote, 0);
            } else {
                assert_int_equal(rn_term(net, 3), 3);
                assert_int_equal(rn_status(net, 3)->vote, cases[i].grant ? 1 : 0);
            }
            rn_free(net);
        }
    }
}

/* §5.1: a leader that sees a higher term becomes a follower of that term. */
static void test_higher_term_makes_leader_step_down(void **state)
{
    (void)state;
    /* a vote request of a later term (no check-quorum: no lease to ignore it) */
    raft_config_t cfg = cfg_with(false, false);
    raftnet_t *net = rn_new(3, &cfg);
    assert_int_equal(rn_campaign(net, 1), 1);
    raft_msg_t m = vote_msg(RAFT_MSG_VOTE, 3, 1, 5, 1, 1);
    rn_step(net, &m);
    assert_int_equal(rn_role(net, 1), RAFT_FOLLOWER);
    assert_int_equal(rn_term(net, 1), 5);
    assert_int_equal(rn_status(net, 1)->vote, 3);
    assert_int_equal(rn_node(net, 1)->disk.hs.term, 5);
    rn_free(net);

    /* any message of a later term, here an APPEND_RESP (check-quorum on) */
    net = rn_new(3, NULL);
    assert_int_equal(rn_campaign(net, 1), 1);
    m = vote_msg(RAFT_MSG_APPEND_RESP, 2, 1, 7, 0, 0);
    rn_step(net, &m);
    assert_int_equal(rn_role(net, 1), RAFT_FOLLOWER);
    assert_int_equal(rn_term(net, 1), 7);
    /* a heartbeat of a later term: its sender is the leader */
    m = vote_msg(RAFT_MSG_HEARTBEAT, 3, 1, 8, 0, 0);
    rn_step(net, &m);
    assert_int_equal(rn_term(net, 1), 8);
    assert_int_equal(rn_status(net, 1)->leader, 3);
    rn_free(net);
}

/* Thesis §9.6: a node cut off from the cluster only pre-campaigns: its term
 * stays, and when it rejoins it neither bumps anyone's term nor disturbs the
 * healthy leader. */
static void test_prevote_rejoining_node_does_not_disrupt(void **state)
{
    (void)state;
    raftnet_t *net = rn_new(3, NULL);
    assert_int_equal(rn_campaign(net, 1), 1);
    uint64_t term = rn_term(net, 1);
    rn_tick_all(net, 2);
    rn_isolate(net, 3);
    rn_trace_clear(net);
    rn_tick_all(net, 6 * E);
    assert_true(rn_count_trace(net, 3, 0, RAFT_MSG_PREVOTE) > 0);
    const rn_trace_t *t = NULL;
    for (size_t i = 0; i < net->ntrace; i++)
        if (net->trace[i].from == 3 && net->trace[i].type == RAFT_MSG_PREVOTE) t = &net->trace[i];
    assert_int_equal(t->term, term + 1); /* the term it would campaign in */
    assert_int_equal(rn_count_trace(net, 3, 0, RAFT_MSG_VOTE), 0);
    assert_int_equal(rn_term(net, 3), term);
    assert_int_equal(rn_node(net, 3)->disk.hs.term, term);
    assert_int_not_equal(rn_role(net, 3), RAFT_CANDIDATE);
    assert_int_equal(rn_leader(net), 1);

    rn_heal(net);
    rn_tick_all(net, 4 * E);
    assert_int_equal(rn_leader(net), 1);
    for (uint64_t i = 1; i <= 3; i++) {
        assert_int_equal(rn_term(net, i), term);
        assert_int_equal(rn_status(net, i)->leader, 1);
    }
    assert_int_equal(rn_role(net, 3), RAFT_FOLLOWER);
    assert_int_equal(rn_count_trace(net, 3, 0, RAFT_MSG_VOTE), 0);
    rn_free(net);
}

/* Thesis §9.6: with pre-vote an election timeout first asks PREVOTE (no term
 * change), then runs a real election in term + 1. */
static void test_prevote_then_vote(void **state)
{
    (void)state;
    raftnet_t *net = rn_new(3, NULL);
    uint64_t t0 = rn_term(net, 1);
    for (int i = 0; i < 2 * E && rn_role(net, 1) == RAFT_FOLLOWER; i++)
        rn_tick(net, 1, 1);
    assert_int_equal(rn_role(net, 1), RAFT_PRE_CANDIDATE);
    assert_int_equal(rn_term(net, 1), t0);
    assert_int_equal(rn_count_queued(net, 1, 0, RAFT_MSG_PREVOTE), 2);
    assert_int_equal(rn_count_queued(net, 1, 0, RAFT_MSG_VOTE), 0);
    assert_int_equal(answer(net, 1, 2, RAFT_MSG_PREVOTE)->term, t0 + 1);
    rn_run(net);
    assert_int_equal(rn_leader(net), 1);
    assert_int_equal(rn_term(net, 1), t0 + 1);
    assert_int_equal(rn_count_trace(net, 1, 0, RAFT_MSG_VOTE), 2);
    rn_free(net);
}

/* Two followers of a dead leader time out at the same tick: as
 * pre-candidates with the same log they would grant each other, both stand
 * in the next term and split its vote. The higher id yields its pre-vote,
 * so the lower one wins that term without a second election. */
static void test_simultaneous_prevotes_do_not_split(void **state)
{
    (void)state;
    raft_config_t cfg = cfg_with(true, true);
    raftnet_t *net = rn_new(3, &cfg);
    rn_stop(net, 1);
    uint64_t t0 = rn_term(net, 2);
    for (int i = 0; i < 3 * E && rn_role(net, 2) == RAFT_FOLLOWER; i++)
        rn_tick(net, 2, 1);
    for (int i = 0; i < 3 * E && rn_role(net, 3) == RAFT_FOLLOWER; i++)
        rn_tick(net, 3, 1);
    assert_int_equal(rn_role(net, 2), RAFT_PRE_CANDIDATE);
    assert_int_equal(rn_role(net, 3), RAFT_PRE_CANDIDATE);
    rn_run(net);
    assert_int_equal(rn_leader(net), 2);
    assert_int_equal(rn_term(net, 2), t0 + 1);
    assert_int_equal(rn_term(net, 3), t0 + 1);
    assert_int_equal(rn_status(net, 3)->leader, 2);
    rn_free(net);
}

/* Thesis §6.2 (check-quorum): a leader that has not heard from a quorum for
 * an election timeout steps down; one that hears from it stays. */
static void test_isolated_leader_steps_down(void **state)
{
    (void)state;
    raftnet_t *net = rn_new(3, NULL);
    assert_int_equal(rn_campaign(net, 1), 1);
    rn_tick_all(net, 5 * E);
    assert_int_equal(rn_leader(net), 1);
    uint64_t term = rn_term(net, 1);

    rn_isolate(net, 1);
    int t = 0;
    while (rn_role(net, 1) == RAFT_LEADER && t < 4 * E) {
        rn_tick(net, 1, 1);
        rn_run(net);
        t++;
    }
    if (t < E || t > 2 * E)
        fail_msg("isolated leader stepped down after %d ticks, want within [%d, %d]", t, E, 2 * E);
    assert_int_equal(rn_role(net, 1), RAFT_FOLLOWER);
    assert_int_equal(rn_term(net, 1), term);
    rn_free(net);

    /* without check-quorum it stays (the control) */
    raft_config_t cfg = cfg_with(true, false);
    net = rn_new(3, &cfg);
    assert_int_equal(rn_campaign(net, 1), 1);
    rn_isolate(net, 1);
    for (int i = 0; i < 4 * E; i++) {
        rn_tick(net, 1, 1);
        rn_run(net);
    }
    assert_int_equal(rn_role(net, 1), RAFT_LEADER);
    rn_free(net);
}

/* Thesis §4.2.3 / §6.2: a voter that heard from its leader within the
 * election timeout ignores vote and pre-vote requests (no term change, no
 * grant), unless they come from a leadership transfer. */
static void test_vote_ignored_within_leader_lease(void **state)
{
    (void)state;
    raftnet_t *net = rn_new(3, NULL);
    assert_int_equal(rn_campaign(net, 1), 1);
    rn_tick_all(net, 2);
    uint64_t term = rn_term(net, 2), last = rn_last_index(net, 2);

    raft_msg_t m = vote_msg(RAFT_MSG_PREVOTE, 3, 2, term + 1, term, last);
    rn_step(net, &m);
    assert_false(granted(net, 2, 3, RAFT_MSG_PREVOTE_RESP));
    m = vote_msg(RAFT_MSG_VOTE, 3, 2, term + 1, term, last);
    rn_step(net, &m);
    assert_false(granted(net, 2, 3, RAFT_MSG_VOTE_RESP));
    assert_int_equal(rn_term(net, 2), term);
    assert_int_equal(rn_status(net, 2)->leader, 1);
    assert_int_equal(rn_node(net, 2)->disk.hs.term, term);
    rn_drop_queued(net, 0, 0, 0);

    m.transfer = true;
    rn_step(net, &m);
    assert_true(granted(net, 2, 3, RAFT_MSG_VOTE_RESP));
    assert_int_equal(rn_term(net, 2), term + 1);
    assert_int_equal(rn_status(net, 2)->vote, 3);
    rn_free(net);

    /* once the lease is over (an election timeout without the leader) it votes */
    net = rn_new(3, NULL);
    assert_int_equal(rn_campaign(net, 1), 1);
    rn_tick_all(net, 2);
    term = rn_term(net, 2);
    last = rn_last_index(net, 2);
    rn_isolate(net, 1);
    rn_tick(net, 2, E);
    rn_drop_queued(net, 0, 0, 0);
    assert_int_not_equal(rn_role(net, 2), RAFT_CANDIDATE);
    m = vote_msg(RAFT_MSG_VOTE, 3, 2, term + 1, term, last);
    rn_step(net, &m);
    assert_true(granted(net, 2, 3, RAFT_MSG_VOTE_RESP));
    rn_free(net);
}

/* §5.2 ("randomized election timeouts ensure that split votes are rare and
 * resolved quickly"): five nodes started together without pre-vote elect
 * one leader within a few timeouts, for every seed; the harness checks there
 * is never more than one leader per term. */
static void test_split_votes_resolve(void **state)
{
    (void)state;
    raft_config_t cfg = cfg_with(false, true);
    for (uint64_t seed = 1; seed <= 30; seed++) {
        raftnet_t *net = rn_new_empty(&cfg);
        net->seed = seed;
        raft_conf_t conf;
        rn_conf_voters(&conf, 5);
        for (uint64_t i = 1; i <= 5; i++)
            rn_start_bootstrap(net, i, &conf);
        int t = 0;
        while (!rn_leader(net) && t < 10 * E) {
            rn_tick_all(net, 1);
            t++;
        }
        if (!rn_leader(net))
            fail_msg("seed %llu: no leader after %d ticks", (unsigned long long)seed, t);
        uint64_t l = rn_leader(net);
        rn_tick_all(net, 3);
        assert_int_equal(rn_leader(net), l);
        for (uint64_t i = 1; i <= 5; i++)
            assert_int_equal(rn_status(net, i)->leader, l);
        rn_free(net);
    }
}

/* Thesis §9.6: pre-vote on its own (no check-quorum) already keeps a
 * rejoining node from disrupting: "the other servers will have been receiving
 * regular heartbeats from the leader", so they refuse its pre-vote, and a
 * leader refuses it too. Term and leader stay. */
static void test_prevote_alone_protects_the_leader(void **state)
{
    (void)state;
    raft_config_t cfg = cfg_with(true, false);
    raftnet_t *net = rn_new(3, &cfg);
    assert_int_equal(rn_campaign(net, 1), 1);
    uint64_t term = rn_term(net, 1);
    rn_tick_all(net, 2);
    rn_isolate(net, 3);
    rn_tick_all(net, 4 * E);
    assert_int_equal(rn_term(net, 3), term);
    rn_heal(net);
    rn_tick_all(net, 4 * E);
    for (uint64_t i = 1; i <= 3; i++)
        if (rn_term(net, i) != term)
            fail_msg("node %llu went from term %llu to %llu (leader now %llu)",
                     (unsigned long long)i, (unsigned long long)term,
                     (unsigned long long)rn_term(net, i), (unsigned long long)rn_leader(net));
    assert_int_equal(rn_leader(net), 1);
    /* the same by hand: a follower and the leader that hear from the leader */
    raft_msg_t m = vote_msg(RAFT_MSG_PREVOTE, 3, 2, term + 1, term, rn_last_index(net, 2));
    rn_step(net, &m);
    assert_false(granted(net, 2, 3, RAFT_MSG_PREVOTE_RESP));
    m.to = 1;
    rn_step(net, &m);
    assert_false(granted(net, 1, 3, RAFT_MSG_PREVOTE_RESP));
    rn_free(net);
}

/* Header (raft_step: "messages ... from nodes outside the configuration
 * (unless they could be joining) ... are dropped"): a vote request of a later
 * term from an id that is in no configuration changes no term and deposes no
 * leader (no check-quorum here, so no lease hides the question). */
static void test_vote_from_stranger_dropped(void **state)
{
    (void)state;
    raft_config_t cfg = cfg_with(false, false);
    raftnet_t *net = rn_new(3, &cfg);
    assert_int_equal(rn_campaign(net, 1), 1);
    rn_tick_all(net, 2);
    uint64_t term = rn_term(net, 1), last = rn_last_index(net, 1);
    for (uint64_t to = 1; to <= 2; to++) {
        raft_msg_t m = vote_msg(RAFT_MSG_VOTE, 9, to, term + 5, term, last);
        rn_step(net, &m);
        assert_int_equal(rn_term(net, to), term);
        assert_false(granted(net, to, 9, RAFT_MSG_VOTE_RESP));
    }
    assert_int_equal(rn_leader(net), 1);
    assert_int_equal(rn_role(net, 1), RAFT_LEADER);
    rn_free(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RN_TEST(test_campaign_after_randomized_timeout),
        RN_TEST(test_candidate_wins_with_majority),
        RN_TEST(test_candidate_loses_without_majority),
        RN_TEST(test_candidate_yields_to_leader_of_same_term),
        RN_TEST(test_leader_appends_noop_of_its_term),
        RN_TEST(test_one_vote_per_term),
        RN_TEST(test_vote_refused_to_less_up_to_date_log),
        RN_TEST(test_higher_term_makes_leader_step_down),
        RN_TEST(test_prevote_rejoining_node_does_not_disrupt),
        RN_TEST(test_prevote_then_vote),
        RN_TEST(test_simultaneous_prevotes_do_not_split),
        RN_TEST(test_isolated_leader_steps_down),
        RN_TEST(test_vote_ignored_within_leader_lease),
        RN_TEST(test_split_votes_resolve),
        RN_TEST(test_prevote_alone_protects_the_leader),
        RN_TEST(test_vote_from_stranger_dropped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
