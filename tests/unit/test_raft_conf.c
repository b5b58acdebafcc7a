/* Unit tests of the Raft core: the configuration value and its wire format
 * (header: raft_conf_encode / raft_conf_decode / raft_conf_find /
 * raft_conf_voters; a CONF entry carries the whole configuration, thesis §4.1,
 * including every removed id). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/raftnet.h"

#define BUF 65536

static void sample(raft_conf_t *c)
{
    memset(c, 0, sizeof(*c));
    c->n = 5;
    for (int i = 0; i < 5; i++) {
        c->m[i].id = (uint64_t)(i + 1) * 7;
        c->m[i].voter = i < 3;
        snprintf(c->m[i].addr, RAFT_ADDR_MAX, "10.0.0.%d:%d", i + 1, 7000 + i);
    }
    c->n_removed = 2;
    c->removed[0] = 100;
    c->removed[1] = 3;
}

/* The largest configuration: 16 members with 63-byte addresses, 64 removed ids. */
static void full(raft_conf_t *c)
{
    memset(c, 0, sizeof(*c));
    c->n = RAFT_MAX_NODES;
    for (int i = 0; i < RAFT_MAX_NODES; i++) {
        c->m[i].id = UINT64_MAX - (uint64_t)i;
        c->m[i].voter = i % 2;
        memset(c->m[i].addr, 'a' + i, RAFT_ADDR_MAX - 1);
    }
    c->n_removed = RAFT_MAX_REMOVED;
    for (int i = 0; i < RAFT_MAX_REMOVED; i++)
        c->removed[i] = 1000 + (uint64_t)i;
}

static void conf_equal(const raft_conf_t *a, const raft_conf_t *b)
{
    assert_int_equal(a->n, b->n);
    for (int i = 0; i < a->n; i++) {
        const raft_member_t *m = raft_conf_find(b, a->m[i].id);
        assert_non_null(m);
        assert_int_equal(m->voter, a->m[i].voter);
        assert_string_equal(m->addr, a->m[i].addr);
    }
    assert_int_equal(a->n_removed, b->n_removed);
    for (int i = 0; i < a->n_removed; i++) {
        bool found = false;
        for (int j = 0; j < b->n_removed; j++)
            found |= b->removed[j] == a->removed[i];
        assert_true(found);
    }
}

/* What decode accepted must be a configuration the core can live with. */
static void sane(const raft_conf_t *c)
{
    assert_true(c->n >= 0 && c->n <= RAFT_MAX_NODES);
    assert_true(c->n_removed >= 0 && c->n_removed <= RAFT_MAX_REMOVED);
    for (int i = 0; i < c->n; i++) {
        assert_true(c->m[i].id != 0);
        assert_non_null(memchr(c->m[i].addr, 0, RAFT_ADDR_MAX));
        for (int j = 0; j < i; j++)
            assert_true(c->m[i].id != c->m[j].id);
    }
}

/* encode then decode gives the same configuration back, also the largest one. */
static void test_round_trip(void **state)
{
    (void)state;
    char *buf = malloc(BUF);
    assert_non_null(buf);
    raft_conf_t c, d;
    for (int k = 0; k < 2; k++) {
        if (k == 0)
            sample(&c);
        else
            full(&c);
        size_t len = raft_conf_encode(&c, buf, BUF);
        assert_true(len > 0);
        memset(&d, 0xee, sizeof(d));
        assert_int_equal(raft_conf_decode(&d, buf, len), 0);
        conf_equal(&c, &d);
        sane(&d);
        /* the same bytes again (deterministic) */
        char *again = malloc(BUF);
        assert_non_null(again);
        assert_int_equal(raft_conf_encode(&d, again, BUF), len);
        assert_memory_equal(buf, again, len);
        free(again);
        /* too small a buffer: 0, for every size below the need */
        for (size_t cap = 0; cap < len; cap++)
            assert_int_equal(raft_conf_encode(&c, buf, cap), 0);
    }
    free(buf);
}

/* decode refuses what is not a configuration: empty, truncated, with extra
 * bytes, random bytes; a single flipped byte is refused or decodes to a sane
 * configuration; duplicate ids never come back. */
static void test_decode_rejects_garbage(void **state)
{
    (void)state;
    char *buf = malloc(BUF), *tmp = malloc(BUF);
    assert_non_null(buf);
    assert_non_null(tmp);
    raft_conf_t c, d;
    sample(&c);
    size_t len = raft_conf_encode(&c, buf, BUF);
    assert_true(len > 0);
    assert_int_equal(raft_conf_decode(&d, buf, 0), -1);
    for (size_t l = 0; l < len; l++)
        if (raft_conf_decode(&d, buf, l) != -1)
            fail_msg("a %zu-byte prefix of %zu decoded", l, len);
    memcpy(tmp, buf, len);
    tmp[len] = 0;
    assert_int_equal(raft_conf_decode(&d, tmp, len + 1), -1);

    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(tmp, buf, len);
            tmp[i] = (char)(tmp[i] ^ (1 << bit));
            if (raft_conf_decode(&d, tmp, len) == 0) sane(&d);
        }
    }
    uint64_t x = 88172645463325252ULL;
    int accepted = 0;
    for (int k = 0; k < 2000; k++) {
        size_t l = 1 + (size_t)(k % 400);
        for (size_t i = 0; i < l; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            tmp[i] = (char)x;
        }
        if (raft_conf_decode(&d, tmp, l) == 0) {
            sane(&d);
            accepted++;
        }
    }
    assert_true(accepted < 20);

    /* duplicate ids */
    c.m[1].id = c.m[0].id;
    len = raft_conf_encode(&c, buf, BUF);
    if (len) assert_int_equal(raft_conf_decode(&d, buf, len), -1);
    free(buf);
    free(tmp);
}

/* raft_conf_find and raft_conf_voters. */
static void test_find_and_voters(void **state)
{
    (void)state;
    raft_conf_t c;
    sample(&c);
    assert_int_equal(raft_conf_voters(&c), 3);
    const raft_member_t *m = raft_conf_find(&c, 21);
    assert_non_null(m);
    assert_int_equal(m->id, 21);
    assert_true(m->voter);
    assert_false(raft_conf_find(&c, 28)->voter);
    assert_null(raft_conf_find(&c, 1));
    assert_null(raft_conf_find(&c, 100)); /* removed, not a member */
    memset(&c, 0, sizeof(c));
    assert_int_equal(raft_conf_voters(&c), 0);
    assert_null(raft_conf_find(&c, 7));
}

/* Thesis §4.1: the CONF entry in the log carries the whole new configuration;
 * applied on any node it decodes to what raft_status shows. */
static void test_conf_entry_carries_whole_conf(void **state)
{
    (void)state;
    raftnet_t *net = rn_new(3, NULL);
    assert_int_equal(rn_campaign(net, 1), 1);
    rn_start_joining(net, 4);
    uint64_t ic;
    assert_int_equal(raft_propose_conf(rn_raft(net, 1), RAFT_CONF_ADD_LEARNER, 4, "h4:7004", &ic),
                     RAFT_OK);
    rn_process(net, 1);
    rn_run(net);
    rn_tick_all(net, 2);
    for (uint64_t id = 1; id <= 4; id++) {
        rn_node_t *nd = rn_node(net, id);
        assert_true(nd->n_applied >= ic);
        const rn_entry_t *e = &nd->applied[ic - 1];
        assert_int_equal(e->type, RAFT_ENTRY_CONF);
        raft_conf_t d;
        assert_int_equal(raft_conf_decode(&d, e->data, e->len), 0);
        conf_equal(rn_status(net, id)->conf, &d);
        assert_string_equal(raft_conf_find(&d, 4)->addr, "h4:7004");
        assert_false(raft_conf_find(&d, 4)->voter);
        assert_int_equal(raft_conf_voters(&d), 3);
    }
    rn_free(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RN_TEST(test_round_trip),
        RN_TEST(test_decode_rejects_garbage),
        RN_TEST(test_find_and_voters),
        RN_TEST(test_conf_entry_carries_whole_conf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
