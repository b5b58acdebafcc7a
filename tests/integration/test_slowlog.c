/* SLOWLOG against redis-server 7.0.15, both logging every command
 * (slowlog-log-slower-than 0) and keeping 8 entries: after the same
 * commands (a client name, AUTH and HELLO AUTH (passwords redacted), a
 * write, a MULTI with a write and a read inside, a command of 40 arguments,
 * an argument of 300 bytes) SLOWLOG GET
 * gives the same entries newest first — each one's arguments (kept to 32,
 * cut at 128 bytes with Redis's "... (N more ...)" notes) and client name
 * byte for byte, its own client address, ids decreasing by one, a time of
 * now and a duration — and LEN, RESET, HELP and the argument errors answer
 * the same bytes. Then the threshold: a node with the default 10 ms logs
 * none of a few quick commands, one with -1 logs nothing. CONFIG SET: its
 * errors as Redis's, slowlog-max-len and slowlog-log-slower-than changed on
 * a running node (the log cut to the new length), maxclients. Without
 * redis-server the comparison skips; the threshold test runs anyway. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "support/proc.h"
#include "support/respcmp.h"

#define KEEP 8

static testproc_t ours, ref;
static bool have_ref;

static int setup(void **state)
{
    (void)state;
    const char *args[] = {"--slowlog_log_slower_than", "0", "--slowlog_max_len", "8", NULL};
    if (proc_start(&ours, args) != 0) return -1;
    const char *rargs[] = {"--slowlog-log-slower-than", "0", "--slowlog-max-len", "8", NULL};
    have_ref = proc_start_redis_args(&ref, rargs) == 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int rc = proc_finish(&ours);
    if (have_ref) proc_cleanup(&ref);
    return rc;
}

static redisReply *cmd(redisContext *c, const char *fmt)
{
    redisReply *r = redisCommand(c, fmt);
    if (!r) fail_msg("%s: %s", fmt, c->errstr);
    return r;
}

/* The same commands on either server; returns SLOWLOG GET -1. */
static redisReply *workload(redisContext *c)
{
    freeReplyObject(cmd(c, "SLOWLOG RESET"));
    freeReplyObject(cmd(c, "CLIENT SETNAME bob"));
    freeReplyObject(cmd(c, "AUTH secret"));                 /* "(redacted)" */
    freeReplyObject(cmd(c, "HELLO 2 AUTH default secret")); /* after AUTH too */
    freeReplyObject(cmd(c, "SET k v"));
    freeReplyObject(cmd(c, "MULTI"));
    freeReplyObject(cmd(c, "SET a 1"));
    freeReplyObject(cmd(c, "GET a"));
    freeReplyObject(cmd(c, "EXEC"));
    const char *argv[40];
    size_t lens[40];
    char words[40][8];
    argv[0] = "RPUSH";
    lens[0] = 5;
    for (int i = 1; i < 40; i++) {
        lens[i] = (size_t)snprintf(words[i], sizeof(words[i]), "e%d", i);
        argv[i] = words[i];
    }
    freeReplyObject(redisCommandArgv(c, 40, argv, lens));
    char big[301];
    memset(big, 'x', 300);
    big[300] = '\0';
    const char *sargv[] = {"SET", "big", big};
    freeReplyObject(redisCommandArgv(c, 3, sargv, NULL));
    return cmd(c, "SLOWLOG GET -1");
}

static const char *my_addr(redisContext *c, char *buf, size_t len)
{
    redisReply *r = cmd(c, "CLIENT INFO");
    const char *p = strstr(r->str, "addr=");
    if (!p) fail_msg("CLIENT INFO has no addr");
    size_t n = strcspn(p + 5, " ");
    snprintf(buf, len, "%.*s", (int)n, p + 5);
    freeReplyObject(r);
    return buf;
}

static void test_entries_like_redis(void **state)
{
    (void)state;
    if (!have_ref) skip();
    redisContext *a = proc_connect(&ours), *b = proc_connect(&ref);
    assert_non_null(a);
    assert_non_null(b);
    char aaddr[64], baddr[64];
    my_addr(a, aaddr, sizeof(aaddr));
    my_addr(b, baddr, sizeof(baddr));
    redisReply *x = workload(a), *y = workload(b);
    assert_int_equal(x->type, REDIS_REPLY_ARRAY);
    assert_int_equal(y->type, REDIS_REPLY_ARRAY);
    assert_int_equal(y->elements, KEEP); /* the log is full: the limit holds */
    assert_int_equal(x->elements, y->elements);
    long long now = (long long)time(NULL);
    for (size_t i = 0; i < x->elements; i++) {
        redisReply *e = x->element[i], *f = y->element[i];
        assert_int_equal(e->type, REDIS_REPLY_ARRAY);
        assert_int_equal(e->elements, 6);
        if (i > 0 && e->element[0]->integer != x->element[i - 1]->element[0]->integer - 1)
            fail_msg("entry %zu: id %lld after %lld", i, e->element[0]->integer, x->element[i - 1]->element[0]->integer);
        if (e->element[1]->integer < now - 30 || e->element[1]->integer > now + 30)
            fail_msg("entry %zu: time %lld, now %lld", i, e->element[1]->integer, now);
        if (e->element[2]->integer < 0 || e->element[2]->integer > 5000000)
            fail_msg("entry %zu: duration %lld us", i, e->element[2]->integer);
        redisReply *args = e->element[3], *rargs = f->element[3];
        if (args->elements != rargs->elements)
            fail_msg("entry %zu (%s): %zu arguments, redis %zu (%s)", i, args->element[0]->str, args->elements,
                     rargs->elements, rargs->element[0]->str);
        for (size_t j = 0; j < args->elements; j++)
            if (args->element[j]->len != rargs->element[j]->len ||
                memcmp(args->element[j]->str, rargs->element[j]->str, args->element[j]->len) != 0)
                fail_msg("entry %zu argument %zu: \"%s\", redis \"%s\"", i, j, args->element[j]->str,
                         rargs->element[j]->str);
        assert_string_equal(e->element[4]->str, aaddr);
        assert_string_equal(f->element[4]->str, baddr);
        assert_string_equal(e->element[5]->str, f->element[5]->str);
    }
    freeReplyObject(x);
    freeReplyObject(y);
    redisFree(a);
    redisFree(b);
}

static void test_replies_like_redis(void **state)
{
    (void)state;
    if (!have_ref) skip();
    rc_t *a = rc_open(ours.port), *b = rc_open(ref.port);
    assert_non_null(a);
    assert_non_null(b);
    static const char *const lines[][5] = { /* NULL-terminated */
        {"SLOWLOG", "GET", "-2", NULL},  {"SLOWLOG", "GET", "x", NULL},  {"SLOWLOG", "GET", "1", "2"},
        {"SLOWLOG", "LEN", "x", NULL},   {"SLOWLOG", "HELP", NULL, NULL}, {"SLOWLOG", "FOO", NULL, NULL},
        {"SLOWLOG", NULL, NULL, NULL},   {"SLOWLOG", "RESET", NULL, NULL}, {"SLOWLOG", "LEN", NULL, NULL},
        {"SLOWLOG", "GET", "0", NULL},
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) EXPECT_SAME(a, b, lines[i]);
    rc_close(a);
    rc_close(b);
}

/* The default threshold (10 ms) lets quick commands by; -1 logs nothing. */
static void test_threshold(void **state)
{
    (void)state;
    testproc_t def, off;
    const char *none[] = {"--slowlog_log_slower_than", "-1", NULL};
    assert_int_equal(proc_start(&def, NULL), 0);
    assert_int_equal(proc_start(&off, none), 0);
    testproc_t *p[2] = {&def, &off};
    for (int k = 0; k < 2; k++) {
        redisContext *c = proc_connect(p[k]);
        assert_non_null(c);
        for (int i = 0; i < 20; i++) {
            freeReplyObject(cmd(c, "SET k v"));
            freeReplyObject(cmd(c, "GET k"));
        }
        redisReply *r = cmd(c, "SLOWLOG LEN");
        assert_int_equal(r->type, REDIS_REPLY_INTEGER);
        if (r->integer != 0) fail_msg("%s: SLOWLOG LEN %lld after quick commands", k ? "off" : "default", r->integer);
        freeReplyObject(r);
        r = cmd(c, "CONFIG GET slowlog-log-slower-than");
        assert_int_equal(r->elements, 2);
        assert_string_equal(r->element[1]->str, k ? "-1" : "10000");
        freeReplyObject(r);
        redisFree(c);
    }
    assert_int_equal(proc_finish(&def), 0);
    assert_int_equal(proc_finish(&off), 0);
}

/* CONFIG SET's replies against Redis's (what both can or cannot change),
 * its effect on SLOWLOG, and maxclients on a running node. */
static void test_config_set(void **state)
{
    (void)state;
    if (!have_ref) skip();
    rc_t *a = rc_open(ours.port), *b = rc_open(ref.port);
    assert_non_null(a);
    assert_non_null(b);
    static const char *const lines[][8] = { /* NULL-terminated */
        {"CONFIG", "SET", "foo", "1", NULL},
        {"CONFIG", "SET", "databases", "4", NULL},
        {"CONFIG", "SET", "slowlog-max-len", "abc", NULL},
        {"CONFIG", "SET", "slowlog-max-len", "", NULL},
        {"CONFIG", "SET", "slowlog-log-slower-than", "-5", NULL},
        {"CONFIG", "SET", "slowlog-max-len", "10", "slowlog-max-len", "5", NULL},
        {"CONFIG", "SET", "slowlog-max-len", "1", "x", NULL},
        {"CONFIG", "SET", "slowlog-max-len", "+5", NULL},
        {"CONFIG", "SET", "slowlog-max-len", "007", NULL},
        {"CONFIG", "SET", "slowlog-max-len", "-0", NULL},
        {"CONFIG", "SET", "slowlog-max-len", " 5", NULL},
        {"CONFIG", "SET", "slowlog-max-len", "abc", "nosuch", "1", NULL},
        {"CONFIG", "SET", "slowlog-max-len", "abc", "databases", "4", NULL},
        {"CONFIG", "SET", "slowlog-max-len", "abc", "slowlog-max-len", "5", NULL},
        /* all or nothing: the good first pair is not applied */
        {"CONFIG", "SET", "slowlog-max-len", "7", "slowlog-log-slower-than", "-5", NULL},
        {"CONFIG", "GET", "slowlog-max-len", NULL},
        {"CONFIG", "SET", "slowlog-max-len", "3", "slowlog-log-slower-than", "0", NULL},
        {"CONFIG", "GET", "slowlog-max-len", NULL},
        {"CONFIG", "GET", "slowlog-log-slower-than", NULL},
        {"SLOWLOG", "LEN", NULL},
        {"PING", NULL},
        {"ECHO", "x", NULL},
        {"SLOWLOG", "LEN", NULL},
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) EXPECT_SAME(a, b, lines[i]);
    /* the newest three are the same commands */
    redisContext *x = proc_connect(&ours), *y = proc_connect(&ref);
    redisReply *p = cmd(x, "SLOWLOG GET -1"), *q = cmd(y, "SLOWLOG GET -1");
    assert_int_equal(p->elements, 3);
    assert_int_equal(q->elements, 3);
    for (size_t i = 0; i < 3; i++) {
        redisReply *u = p->element[i]->element[3], *v = q->element[i]->element[3];
        assert_int_equal(u->elements, v->elements);
        for (size_t j = 0; j < u->elements; j++) assert_string_equal(u->element[j]->str, v->element[j]->str);
    }
    freeReplyObject(p);
    freeReplyObject(q);
    redisFree(y);

    /* maxclients: a and x are connected; with 3 the next one is served and
     * the one after it refused, as in Redis */
    redisReply *r = cmd(x, "CONFIG SET maxclients 3");
    assert_string_equal(r->str, "OK");
    freeReplyObject(r);
    redisContext *second = proc_connect(&ours), *third = proc_connect(&ours);
    assert_non_null(second);
    assert_non_null(third);
    r = redisCommand(second, "PING");
    if (!r || r->type != REDIS_REPLY_STATUS || strcmp(r->str, "PONG") != 0)
        fail_msg("the third client (maxclients 3) was not served");
    freeReplyObject(r);
    r = redisCommand(third, "PING");
    if (!r || r->type != REDIS_REPLY_ERROR || !strstr(r->str, "max number of clients reached"))
        fail_msg("a third client was not refused: %s", r ? (r->str ? r->str : "(no text)") : third->errstr);
    freeReplyObject(r);
    redisFree(third);
    redisFree(second);
    r = cmd(x, "CONFIG SET maxclients 10000");
    assert_string_equal(r->str, "OK");
    freeReplyObject(r);
    redisFree(x);
    rc_close(a);
    rc_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entries_like_redis),
        cmocka_unit_test(test_replies_like_redis),
        cmocka_unit_test(test_threshold),
        cmocka_unit_test(test_config_set),
    };
    return cmocka_run_group_tests_name("SLOWLOG", tests, setup, teardown);
}
