/* BGSAVE and LASTSAVE on one node: BGSAVE makes a snapshot in the
 * background (as RAFT.SNAPSHOT) with Redis's answers — started, already in
 * progress for a second one pipelined behind it, syntax errors — and INFO
 * persistence then shows it done (rdb_bgsave_in_progress 0, rdb_saves up,
 * rdb_changes_since_last_save down to what was written after it); LASTSAVE
 * is the start time before any snapshot and the snapshot's time after. The
 * answers are compared byte for byte with redis-server's where both can
 * give the same (without redis-server that part skips); the node is
 * restarted at the end and has every key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/proc.h"
#include "support/respcmp.h"

static testproc_t srv, ref;
static bool have_ref;

static int setup(void **state)
{
    (void)state;
    if (proc_start(&srv, NULL) != 0) return -1;
    have_ref = proc_start_redis(&ref) == 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int rc = proc_finish(&srv);
    if (have_ref) proc_cleanup(&ref);
    return rc;
}

/* An INFO persistence field, as a number. */
static long long info_field(redisContext *c, const char *name)
{
    redisReply *r = redisCommand(c, "INFO persistence");
    assert_non_null(r);
    char key[64];
    snprintf(key, sizeof(key), "\n%s:", name);
    const char *p = strstr(r->str, key);
    if (!p) fail_msg("INFO persistence has no %s", name);
    long long v = atoll(p + strlen(key));
    freeReplyObject(r);
    return v;
}

static long long int_reply(redisContext *c, const char *cmd)
{
    redisReply *r = redisCommand(c, cmd);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

static void test_bgsave(void **state)
{
    (void)state;
    redisContext *c = proc_connect(&srv);
    assert_non_null(c);
    long long now = (long long)time(NULL);
    long long before = int_reply(c, "LASTSAVE");
    if (before > now || before < now - 120) fail_msg("LASTSAVE %lld before any snapshot, now %lld", before, now);
    assert_int_equal(info_field(c, "rdb_saves"), 0);
    for (int i = 0; i < 500; i++) redisAppendCommand(c, "SET k%d v%d", i, i);
    for (int i = 0; i < 500; i++) {
        redisReply *r;
        assert_int_equal(redisGetReply(c, (void **)&r), REDIS_OK);
        freeReplyObject(r);
    }
    if (info_field(c, "rdb_changes_since_last_save") < 500) fail_msg("rdb_changes_since_last_save below 500 writes");
    sleep(1); /* LASTSAVE must move to a later second */

    /* started, then already in progress for the one right behind it */
    rc_t *raw = rc_open(srv.port);
    assert_non_null(raw);
    const char *two = "*1\r\n$6\r\nBGSAVE\r\n*2\r\n$6\r\nBGSAVE\r\n$8\r\nSCHEDULE\r\n";
    rbuf_t out = {0};
    size_t offs[3];
    assert_int_equal(rc_pipeline(raw, two, strlen(two), 2, &out, offs), 0);
    ASSERT_RESP(out.p, out.len, "+Background saving started\r\n-ERR Background save already in progress\r\n",
                strlen("+Background saving started\r\n-ERR Background save already in progress\r\n"));
    rbuf_free(&out);
    rc_close(raw);

    int waited = 0;
    while (info_field(c, "rdb_bgsave_in_progress") != 0 || info_field(c, "rdb_saves") < 1) {
        if (++waited > 1000) fail_msg("the snapshot was not done in 10 s");
        usleep(10000);
    }
    long long after = int_reply(c, "LASTSAVE");
    if (after <= before || after > (long long)time(NULL)) fail_msg("LASTSAVE %lld after a snapshot (%lld before)", after, before);
    if (info_field(c, "rdb_changes_since_last_save") > 5) fail_msg("rdb_changes_since_last_save not reset by the snapshot");
    if (info_field(c, "rdb_last_bgsave_time_sec") < 0) fail_msg("rdb_last_bgsave_time_sec still -1");
    redisFree(c);

    /* restarted, the node has everything (from the snapshot and the log after it) */
    assert_int_equal(proc_stop(&srv), 0);
    assert_int_equal(proc_restart(&srv), 0);
    c = proc_connect(&srv);
    assert_non_null(c);
    assert_int_equal(int_reply(c, "DBSIZE"), 500);
    redisFree(c);
}

static void test_errors_like_redis(void **state)
{
    (void)state;
    if (!have_ref) skip();
    rc_t *a = rc_open(srv.port), *b = rc_open(ref.port);
    assert_non_null(a);
    assert_non_null(b);
    static const char *const lines[][5] = { /* NULL-terminated */
        {"BGSAVE", "x", NULL},
        {"BGSAVE", "SCHEDULE", "x", NULL},
        {"LASTSAVE", "x", NULL},
        {"MULTI", NULL},
        {"LASTSAVE", NULL},
        {"DISCARD", NULL},
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) EXPECT_SAME(a, b, lines[i]);
    rc_close(a);
    rc_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors_like_redis),
        cmocka_unit_test(test_bgsave),
    };
    return cmocka_run_group_tests_name("BGSAVE and LASTSAVE", tests, setup, teardown);
}
