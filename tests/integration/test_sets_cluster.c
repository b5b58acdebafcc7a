/* SPOP on a real 3-node cluster: every replica applies the same entries, so
 * every replica must pop the same members, single SPOPs and several SPOPs
 * inside one MULTI entry alike (their draws differ only by their place in
 * the entry). After the pops, each node's SMEMBERS (byte order: the same
 * bytes wherever the set is equal) must equal the leader's, and no member
 * the leader popped may be left anywhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/cluster.h"

static cluster_t cl;

static int group_setup(void **state)
{
    (void)state;
    return cluster_start(&cl, cluster_fast_args, NULL);
}

static int group_teardown(void **state)
{
    (void)state;
    return cluster_finish(&cl);
}

/* SMEMBERS of key on node i in one-line form (cl_str). */
static void members_on(int i, const char *key, char *buf, size_t len)
{
    redisContext *ctx = cl_connect(&cl, i, 5000);
    assert_non_null(ctx);
    redisReply *r = cl_cmd(ctx, "SMEMBERS", key, NULL);
    cl_str(r, ctx, buf, len);
    if (r) freeReplyObject(r);
    redisFree(ctx);
}

/* Waits until every node's SMEMBERS of key equals the leader's l (a
 * follower may be an entry or two behind), failing after 10 s; returns the
 * leader's, in one-line form. */
static const char *same_members_everywhere(int l, const char *key)
{
    static char want[65536], got[65536];
    members_on(l, key, want, sizeof(want));
    for (int i = 0; i < CLUSTER_N; i++) {
        if (i == l) continue;
        for (int tries = 0; tries < 200; tries++) {
            members_on(i, key, got, sizeof(got));
            if (strcmp(got, want) == 0) break;
            usleep(50000);
        }
        if (strcmp(got, want) != 0) {
            cluster_dump_logs(&cl, 20);
            fail_msg("node %d holds another set than the leader:\n  leader: %.300s\n  node:   %.300s", i + 1, want,
                     got);
        }
    }
    return want;
}

static void test_spop_same_on_every_replica(void **state)
{
    (void)state;
    int l = cluster_leader(&cl, 15000);
    assert_true(l >= 0);
    redisContext *ctx = cl_connect(&cl, l, 10000);
    assert_non_null(ctx);

    /* 300 members in one SADD */
    const char *argv[302];
    size_t lens[302];
    static char names[300][24];
    argv[0] = "SADD";
    argv[1] = "s";
    for (int i = 0; i < 300; i++) {
        snprintf(names[i], sizeof(names[i]), "member:%d", i);
        argv[2 + i] = names[i];
    }
    for (int i = 0; i < 302; i++) lens[i] = strlen(argv[i]);
    redisReply *r = redisCommandArgv(ctx, 302, argv, lens);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_int_equal(r->integer, 300);
    freeReplyObject(r);

    /* popped members, as the leader reports them */
    static char popped[400][16];
    int npopped = 0;
    for (int round = 0; round < 20; round++) {
        r = cl_cmd(ctx, "SPOP", "s", NULL);
        assert_non_null(r);
        assert_int_equal(r->type, REDIS_REPLY_STRING);
        snprintf(popped[npopped++], sizeof(popped[0]), "%s", r->str);
        freeReplyObject(r);
        r = cl_cmd(ctx, "SPOP", "s", "3", NULL);
        assert_non_null(r);
        assert_int_equal(r->type, REDIS_REPLY_ARRAY);
        assert_int_equal(r->elements, 3);
        for (size_t j = 0; j < r->elements; j++)
            snprintf(popped[npopped++], sizeof(popped[0]), "%s", r->element[j]->str);
        freeReplyObject(r);
        /* several pops in one entry: each its own draw */
        freeReplyObject(cl_cmd(ctx, "MULTI", NULL));
        for (int k = 0; k < 3; k++) freeReplyObject(cl_cmd(ctx, "SPOP", "s", NULL));
        r = cl_cmd(ctx, "EXEC", NULL);
        assert_non_null(r);
        assert_int_equal(r->type, REDIS_REPLY_ARRAY);
        assert_int_equal(r->elements, 3);
        for (size_t j = 0; j < 3; j++) {
            assert_int_equal(r->element[j]->type, REDIS_REPLY_STRING);
            snprintf(popped[npopped++], sizeof(popped[0]), "%s", r->element[j]->str);
            for (size_t k = 0; k < j; k++) assert_string_not_equal(r->element[j]->str, r->element[k]->str);
        }
        freeReplyObject(r);
    }
    assert_int_equal(npopped, 140);
    r = cl_cmd(ctx, "SCARD", "s", NULL);
    assert_non_null(r);
    assert_int_equal(r->integer, 160);
    freeReplyObject(r);
    for (int i = 0; i < npopped; i++) {
        r = cl_cmd(ctx, "SISMEMBER", "s", popped[i], NULL);
        assert_non_null(r);
        assert_int_equal(r->integer, 0);
        freeReplyObject(r);
    }
    redisFree(ctx);

    assert_true(strncmp(same_members_everywhere(l, "s"), "*160[", 5) == 0);
}

/* A replica that restarts has an empty table of collection ends (no list
 * of the set's members, which the others built after size / 64 draws):
 * its draws seek the iterator while theirs read a list, and must still pick
 * the same members, single and several SPOPs alike. */
static void test_spop_same_after_a_replica_restarts(void **state)
{
    (void)state;
    int l = cluster_leader(&cl, 15000);
    assert_true(l >= 0);
    redisContext *ctx = cl_connect(&cl, l, 10000);
    assert_non_null(ctx);
    static char names[500][24];
    const char *argv[502];
    size_t lens[502];
    for (int part = 0; part < 4; part++) { /* 2000 members */
        argv[0] = "SADD", argv[1] = "big";
        for (int i = 0; i < 500; i++) {
            snprintf(names[i], sizeof(names[i]), "m%08d", (part * 500 + i) * 7919 % 100000);
            argv[2 + i] = names[i];
        }
        for (int i = 0; i < 502; i++) lens[i] = strlen(argv[i]);
        redisReply *r = redisCommandArgv(ctx, 502, argv, lens);
        assert_non_null(r);
        assert_int_equal(r->integer, 500);
        freeReplyObject(r);
    }
    /* enough draws for every node to list the set (2000 / 64) */
    for (int i = 0; i < 50; i++) freeReplyObject(cl_cmd(ctx, "SPOP", "big", NULL));
    redisFree(ctx);

    int f = (l + 1) % CLUSTER_N;
    cluster_kill9(&cl, f);
    assert_int_equal(cluster_restart(&cl, f), 0);
    l = cluster_leader(&cl, 15000);
    assert_true(l >= 0);
    ctx = cl_connect(&cl, l, 10000);
    assert_non_null(ctx);
    for (int i = 0; i < 40; i++) {
        redisReply *r = cl_cmd(ctx, "SPOP", "big", NULL);
        assert_true(r && r->type == REDIS_REPLY_STRING);
        freeReplyObject(r);
        r = cl_cmd(ctx, "SPOP", "big", "2", NULL);
        assert_true(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2);
        freeReplyObject(r);
    }
    redisReply *r = cl_cmd(ctx, "SCARD", "big", NULL);
    assert_non_null(r);
    assert_int_equal(r->integer, 2000 - 50 - 120);
    freeReplyObject(r);
    redisFree(ctx);

    same_members_everywhere(l, "big");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spop_same_on_every_replica),
        cmocka_unit_test(test_spop_same_after_a_replica_restarts),
    };
    return cmocka_run_group_tests_name("sets on a cluster", tests, group_setup, group_teardown);
}
