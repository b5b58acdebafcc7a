/* Unit tests of the Raft core: malformed input (header: raft_step and
 * raft_msg_valid). A message built from a peer's bytes that is not well formed
 * is refused with RAFT_EINVAL and changes nothing: no term adopted, no entry
 * appended, no output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "support/raftnet.h"

/* What must not change. */
typedef struct snap {
    raft_role_t role;
    uint64_t term, vote, leader, commit, first, last, disk_n;
} snap_t;

static snap_t take(raftnet_t *net, uint64_t id)
{
    const raft_status_t *st = rn_status(net, id);
    return (snap_t){st->role,   st->term,        st->vote,       st->leader,
                    st->commit, st->first_index, st->last_index, rn_node(net, id)->disk.n};
}

static void same(const snap_t *a, const snap_t *b)
{
    assert_int_equal(a->role, b->role);
    assert_int_equal(a->term, b->term);
    assert_int_equal(a->vote, b->vote);
    assert_int_equal(a->leader, b->leader);
    assert_int_equal(a->commit, b->commit);
    assert_int_equal(a->first, b->first);
    assert_int_equal(a->last, b->last);
    assert_int_equal(a->disk_n, b->disk_n);
}

static raft_entry_t ents[3];
static raft_snapshot_meta_t meta;

static raft_msg_t base(int type, uint64_t from, uint64_t to, uint64_t term)
{
    raft_msg_t m;
    memset(&m, 0, sizeof(m));
    m.type = (uint8_t)type;
    m.from = from;
    m.to = to;
    m.term = term;
    return m;
}

/* The malformed messages, addressed to node `to` (in a cluster at `term`);
 * each has a higher term, so that a core that looked at it would change. */
static int malformed(raft_msg_t *out, uint64_t to, uint64_t term, uint64_t last)
{
    int n = 0;
    uint64_t t = term + 3;
    for (int i = 0; i < 3; i++)
        ents[i] = (raft_entry_t){t, 0, RAFT_ENTRY_NORMAL, 1, "x", NULL};
    out[n++] = base(0, 1, to, t);                   /* unknown type */
    out[n++] = base(RAFT_MSG_TYPE_MAX, 1, to, t);   /* unknown type */
    out[n++] = base(200, 1, to, t);                 /* unknown type */
    raft_msg_t m = base(RAFT_MSG_APPEND, 1, to, t); /* entries 5, 7 */
    m.log_term = term;
    m.index = last;
    ents[0].index = last + 1;
    ents[1].index = last + 3;
    m.n_entries = 2;
    m.entries = &ents[0];
    out[n++] = m;
    m.n_entries = 1; /* entry does not follow log_term/index */
    m.entries = &ents[1];
    out[n++] = m;
    m.n_entries = 2; /* n_entries without entries */
    m.entries = NULL;
    out[n++] = m;
    out[n++] = base(RAFT_MSG_SNAPSHOT, 1, to, t); /* snapshot without metadata */
    return n;
}

/* Header (raft_step): malformed messages return RAFT_EINVAL and change
 * nothing, on a follower and on a leader; raft_msg_valid says false for each. */
static void test_malformed_messages_refused(void **state)
{
    (void)state;
    raftnet_t *net = rn_new(3, NULL);
    assert_int_equal(rn_campaign(net, 1), 1);
    rn_tick_all(net, 2);
    raft_msg_t msgs[16];
    for (uint64_t to = 1; to <= 2; to++) {
        snap_t before = take(net, to);
        int n = malformed(msgs, to, before.term, before.last);
        for (int i = 0; i < n; i++) {
            if (to == 1) msgs[i].from = 2;
            assert_false(raft_msg_valid(&msgs[i]));
            int rc = raft_step(rn_raft(net, to), &msgs[i]);
            if (rc != RAFT_EINVAL)
                fail_msg("malformed message %d (type %d) to node %llu: raft_step returned %d", i,
                         msgs[i].type, (unsigned long long)to, rc);
            assert_false(raft_has_ready(rn_raft(net, to)));
            snap_t after = take(net, to);
            same(&before, &after);
        }
    }
    /* addressed to another node */
    snap_t before = take(net, 2);
    raft_msg_t m = base(RAFT_MSG_HEARTBEAT, 1, 3, before.term + 1);
    assert_int_equal(raft_step(rn_raft(net, 2), &m), RAFT_EINVAL);
    assert_false(raft_has_ready(rn_raft(net, 2)));
    snap_t after = take(net, 2);
    same(&before, &after);
    /* the cluster is fine */
    assert_int_equal(rn_propose(net, 1, "ok", NULL), RAFT_OK);
    rn_run(net);
    rn_tick_all(net, 1);
    assert_int_equal(rn_count_applied(net, 2, "ok"), 1);
    rn_free(net);
}

/* Header (raft_msg_valid): well-formed messages of every kind pass. */
static void test_msg_valid_accepts_good_messages(void **state)
{
    (void)state;
    for (int type = RAFT_MSG_PREVOTE; type < RAFT_MSG_TYPE_MAX; type++) {
        raft_msg_t m = base(type, 1, 2, 3);
        if (type == RAFT_MSG_SNAPSHOT) {
            memset(&meta, 0, sizeof(meta));
            meta.index = 10;
            meta.term = 2;
            rn_conf_voters(&meta.conf, 3);
            m.snapshot = &meta;
        }
        if (!raft_msg_valid(&m)) fail_msg("a plain %s is not valid", raft_msg_type_name(type));
    }
    raft_msg_t m = base(RAFT_MSG_APPEND, 1, 2, 3);
    m.log_term = 2;
    m.index = 4;
    for (int i = 0; i < 3; i++)
        ents[i] = (raft_entry_t){3, 5 + (uint64_t)i, RAFT_ENTRY_NORMAL, 1, "x", NULL};
    m.n_entries = 3;
    m.entries = ents;
    assert_true(raft_msg_valid(&m));
    m.n_entries = 0;
    m.entries = NULL;
    assert_true(raft_msg_valid(&m));
}

/* Header: the names of roles and message types exist for every value. */
static void test_names(void **state)
{
    (void)state;
    for (int type = RAFT_MSG_PREVOTE; type < RAFT_MSG_TYPE_MAX; type++) {
        const char *s = raft_msg_type_name(type);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
    }
    assert_non_null(raft_msg_type_name(200));
    assert_non_null(raft_role_name(RAFT_LEADER));
    assert_non_null(raft_role_name(RAFT_PRE_CANDIDATE));
}

/* Header (raft_restore): entries must follow the snapshot without gaps. */
static void test_restore_refuses_gaps(void **state)
{
    (void)state;
    raft_config_t cfg;
    rn_config(&cfg);
    cfg.id = 1;
    raft_t *r = raft_new(&cfg);
    assert_non_null(r);
    raft_hard_state_t hs = {2, 0, 0};
    memset(&meta, 0, sizeof(meta));
    rn_conf_voters(&meta.conf, 3);
    ents[0] = (raft_entry_t){1, 1, RAFT_ENTRY_NORMAL, 1, "x", NULL};
    ents[1] = (raft_entry_t){1, 3, RAFT_ENTRY_NORMAL, 1, "x", NULL};
    assert_int_equal(raft_restore(r, &hs, &meta, ents, 2), RAFT_EINVAL);
    raft_free(r);
    r = raft_new(&cfg);
    ents[0].index = 2; /* does not follow snapshot index 0 */
    ents[1].index = 3;
    assert_int_equal(raft_restore(r, &hs, &meta, ents, 2), RAFT_EINVAL);
    raft_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RN_TEST(test_malformed_messages_refused),
        RN_TEST(test_msg_valid_accepts_good_messages),
        RN_TEST(test_names),
        RN_TEST(test_restore_refuses_gaps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
