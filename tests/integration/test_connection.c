/* The connection commands against a live redraft-server, with the exact
 * reply bytes redis-server 7.0.15 gives: MULTI/EXEC/DISCARD, PING, ECHO,
 * SELECT, TIME, unknown commands and arity errors, HELLO and RESP3 replies,
 * QUIT (also pipelined and inside MULTI), and AUTH on a server with
 * requirepass (NOAUTH, WRONGPASS, HELLO AUTH, the unauthenticated limits).
 *
 * STRINGS_KEYS_TARGET=redis runs the same tests against redis-server (the
 * assertions marked redraft-only are skipped): that is how the expected
 * bytes were checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/itest.h"
#include "support/proc.h"
#include "support/respcmp.h"

static testproc_t srv;
static bool vs_redis; /* the reference server is the target */
static rc_t *c;       /* the connection of the running test */

static int group_setup(void **state)
{
    vs_redis = itest_target_redis();
    if (itest_start(&srv, NULL) != 0) {
        fprintf(stderr, "could not start the server under test\n");
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    return proc_finish(&srv);
}

/* Each test: a fresh connection on an empty keyspace. */
static int test_setup(void **state)
{
    return itest_open_flushed(&c, srv.port);
}

static int test_teardown(void **state)
{
    return itest_close_alive(&c, &srv);
}

/* ---- MULTI, PING, ECHO, SELECT, TIME, HELLO, QUIT ------------------------- */

static void test_multi_exec(void **state)
{
    E("+OK\r\n", "MULTI");
    E("+QUEUED\r\n", "SET", "a", "1");
    E("+QUEUED\r\n", "INCR", "a");
    E("+QUEUED\r\n", "GET", "a");
    E("+QUEUED\r\n", "SET", "b", "x", "PX", "100000");
    E("+QUEUED\r\n", "PTTL", "missing");
    E("*5\r\n+OK\r\n:2\r\n$1\r\n2\r\n+OK\r\n:-2\r\n", "EXEC");
    assert_between(RCI(c, "PTTL", "b"), 90000, 100000);
    /* an empty transaction */
    E("+OK\r\n", "MULTI");
    E("*0\r\n", "EXEC");
    /* errors at run time do not stop the others */
    E("+OK\r\n", "SET", "s", "abc");
    E("+OK\r\n", "MULTI");
    E("+QUEUED\r\n", "INCR", "s");
    E("+QUEUED\r\n", "SET", "t", "1");
    E("+QUEUED\r\n", "SET", "t2", "1", "EX", "0");
    E("+QUEUED\r\n", "INCR", "t");
    E("*4\r\n" NOTINT "+OK\r\n-ERR invalid expire time in 'set' command\r\n:2\r\n", "EXEC");
    E("$1\r\n2\r\n", "GET", "t");
    /* a queueing error aborts it all */
    E("+OK\r\n", "MULTI");
    E("+QUEUED\r\n", "SET", "a", "100");
    E("-ERR unknown command 'NOSUCH', with args beginning with: 'x' \r\n", "NOSUCH", "x");
    E("+QUEUED\r\n", "SET", "b", "100");
    E("-EXECABORT Transaction discarded because of previous errors.\r\n", "EXEC");
    E("$1\r\n2\r\n", "GET", "a");
    E("+OK\r\n", "MULTI");
    E(ARITY("get"), "GET");
    E("+QUEUED\r\n", "INCR", "a");
    E("-EXECABORT Transaction discarded because of previous errors.\r\n", "EXEC");
    E("$1\r\n2\r\n", "GET", "a");
    /* after EXECABORT the connection is out of MULTI */
    E("-ERR EXEC without MULTI\r\n", "EXEC");
    E("-ERR DISCARD without MULTI\r\n", "DISCARD");
    /* DISCARD */
    E("+OK\r\n", "MULTI");
    E("+QUEUED\r\n", "SET", "a", "discarded");
    E("+OK\r\n", "DISCARD");
    E("$1\r\n2\r\n", "GET", "a");
    /* nested MULTI is refused but the transaction goes on */
    E("+OK\r\n", "MULTI");
    E("-ERR MULTI calls can not be nested\r\n", "MULTI");
    E("+QUEUED\r\n", "INCR", "a");
    E("*1\r\n:3\r\n", "EXEC");
    /* read-only transactions */
    E("+OK\r\n", "MULTI");
    E("+QUEUED\r\n", "GET", "a");
    E("+QUEUED\r\n", "MGET", "a", "nope");
    E("+QUEUED\r\n", "EXISTS", "a", "nope");
    E("+QUEUED\r\n", "STRLEN", "a");
    E("+QUEUED\r\n", "TTL", "a");
    E("+QUEUED\r\n", "PING");
    E("+QUEUED\r\n", "ECHO", "e");
    E("*7\r\n$1\r\n3\r\n*2\r\n$1\r\n3\r\n$-1\r\n:1\r\n:1\r\n:-1\r\n+PONG\r\n$1\r\ne\r\n", "EXEC");
    /* a transaction sees its own writes, in order */
    E("+OK\r\n", "MULTI");
    E("+QUEUED\r\n", "DEL", "a");
    E("+QUEUED\r\n", "GET", "a");
    E("+QUEUED\r\n", "APPEND", "a", "xy");
    E("+QUEUED\r\n", "GETRANGE", "a", "1", "1");
    E("+QUEUED\r\n", "RENAME", "a", "z");
    E("+QUEUED\r\n", "EXISTS", "a", "z");
    E("+QUEUED\r\n", "DBSIZE");
    E("*7\r\n:1\r\n$-1\r\n:2\r\n$1\r\ny\r\n+OK\r\n:1\r\n:4\r\n", "EXEC"); /* b s t z */
}

static void test_connection_commands(void **state)
{
    E("+PONG\r\n", "PING");
    E("+PONG\r\n", "ping");
    E("$5\r\nhello\r\n", "PING", "hello");
    E("$0\r\n\r\n", "PING", "");
    E(ARITY("ping"), "PING", "a", "b");
    E("$3\r\nabc\r\n", "ECHO", "abc");
    E("$0\r\n\r\n", "ECHO", "");
    const char *ev[] = {"ECHO", "a\0\r\nb"};
    const size_t el[] = {4, 5};
    EXPECTV(c, "$5\r\na\0\r\nb\r\n", 2, ev, el);
    E(ARITY("echo"), "ECHO");
    E(ARITY("echo"), "ECHO", "a", "b");
    E("+OK\r\n", "SELECT", "0");
    E(NOTINT, "SELECT", "abc");
    E(ARITY("select"), "SELECT");
    if (!vs_redis) /* a single database: SELECT 1 is refused (Redis has 16) */
        E("-ERR DB index is out of range (redraft has a single database, 0)\r\n", "SELECT", "1");
    /* TIME: [seconds, microseconds] as bulk strings, close to our clock */
    size_t n;
    const char *tv[] = {"TIME"};
    const char *r = rc_cmdv(c, 1, tv, NULL, &n);
    rnode_t *t = rc_parse_reply(r, n);
    assert_non_null(t);
    assert_int_equal(t->type, '*');
    assert_int_equal(t->n, 2);
    assert_int_equal(t->e[0]->type, '$');
    assert_int_equal(t->e[1]->type, '$');
    long long secs = atoll(t->e[0]->s), usecs = atoll(t->e[1]->s);
    assert_between(secs, now_ms() / 1000 - 2, now_ms() / 1000 + 2);
    assert_between(usecs, 0, 999999);
    rnode_free(t);
    E(ARITY("time"), "TIME", "x");
    /* unknown commands */
    E("-ERR unknown command 'NOSUCH', with args beginning with: \r\n", "NOSUCH");
    E("-ERR unknown command 'nosuch', with args beginning with: 'a' 'b c' \r\n", "nosuch", "a", "b c");
    E("-ERR unknown command '', with args beginning with: \r\n", "");
    /* the connection still works */
    E("+PONG\r\n", "PING");
}

/* The HELLO map Redis 7.0.15 sends, with the connection id it gave. */
static void expect_hello(const char *r, size_t n, int proto)
{
    rnode_t *t = rc_parse_reply(r, n);
    assert_non_null(t);
    long long id = -1;
    for (int i = 0; i + 1 < t->n; i += 2)
        if (t->e[i]->slen == 2 && memcmp(t->e[i]->s, "id", 2) == 0) id = t->e[i + 1]->i;
    rnode_free(t);
    assert_true(id >= 0);
    char want[512];
    int wl = snprintf(want, sizeof(want),
                      "%c7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:%d\r\n"
                      "$2\r\nid\r\n:%lld\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
                      "$7\r\nmodules\r\n*0\r\n",
                      proto == 3 ? '%' : '*', proto, id);
    if (proto == 2) { /* RESP2: a flat array of 14 */
        wl = snprintf(want, sizeof(want),
                      "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:2\r\n"
                      "$2\r\nid\r\n:%lld\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
                      "$7\r\nmodules\r\n*0\r\n",
                      id);
    }
    ASSERT_RESP(r, n, want, (size_t)wl);
}

static void test_hello_resp3(void **state)
{
    size_t n;
    const char *h3[] = {"HELLO", "3"};
    const char *r = rc_cmdv(c, 2, h3, NULL, &n);
    assert_non_null(r);
    expect_hello(r, n, 3);
    /* RESP3 replies */
    E("_\r\n", "GET", "missing");
    E("+OK\r\n", "SET", "a", "1");
    E("*2\r\n$1\r\n1\r\n_\r\n", "MGET", "a", "missing");
    E("_\r\n", "SET", "a", "2", "NX");
    E("_\r\n", "SET", "n", "2", "XX", "GET");
    E("$1\r\n1\r\n", "SET", "a", "2", "GET");
    E(":1\r\n", "EXISTS", "a");
    E(":-2\r\n", "TTL", "missing");
    E("$3\r\n2.5\r\n", "INCRBYFLOAT", "a", "0.5");
    E("_\r\n", "GETDEL", "missing");
    E("_\r\n", "GETEX", "missing");
    E("$1\r\na\r\n", "RANDOMKEY");
    E("*1\r\n$1\r\na\r\n", "KEYS", "*");
    E("*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n", "SCAN", "0", "COUNT", "100");
    E("+PONG\r\n", "PING");
    E("+OK\r\n", "MULTI");
    E("+QUEUED\r\n", "GET", "missing");
    E("+QUEUED\r\n", "SET", "b", "1", "NX");
    E("+QUEUED\r\n", "SET", "b", "1", "NX");
    E("*3\r\n_\r\n+OK\r\n_\r\n", "EXEC");
    E("-ERR wrong number of arguments for 'get' command\r\n", "GET");
    E("-NOPROTO unsupported protocol version\r\n", "HELLO", "4");
    E("-NOPROTO unsupported protocol version\r\n", "HELLO", "1");
    E("-ERR Protocol version is not an integer or out of range\r\n", "HELLO", "three");
    E("-ERR Syntax error in HELLO option 'foo'\r\n", "HELLO", "3", "foo");
    E("_\r\n", "GET", "missing"); /* still RESP3 after the failed HELLOs */
    /* HELLO without a version: the description, protocol unchanged */
    const char *h0[] = {"HELLO"};
    r = rc_cmdv(c, 1, h0, NULL, &n);
    expect_hello(r, n, 3);
    /* back to RESP2 */
    const char *h2[] = {"HELLO", "2"};
    r = rc_cmdv(c, 2, h2, NULL, &n);
    expect_hello(r, n, 2);
    E("$-1\r\n", "GET", "missing");
    E("*2\r\n$1\r\n1\r\n$-1\r\n", "MGET", "b", "missing");
    E("+OK\r\n", "MULTI");
    E("+QUEUED\r\n", "GET", "missing");
    E("*1\r\n$-1\r\n", "EXEC");
    /* SETNAME */
    const char *hs[] = {"HELLO", "3", "SETNAME", "tester"};
    r = rc_cmdv(c, 4, hs, NULL, &n);
    expect_hello(r, n, 3);
    E("-ERR Client names cannot contain spaces, newlines or special characters.\r\n", "HELLO", "3", "SETNAME",
      "a b");
}

static void test_quit(void **state)
{
    rc_t *q = rc_open(srv.port);
    assert_non_null(q);
    EXPECT(q, "+OK\r\n", "QUIT");
    assert_true(rc_wait_closed(q, 5000, NULL));
    rc_close(q);
    /* commands pipelined behind QUIT are not run */
    q = rc_open(srv.port);
    rbuf_t b = {0};
    resp_encodel(&b, "PING", (const char *)NULL);
    resp_encodel(&b, "QUIT", (const char *)NULL);
    resp_encodel(&b, "SET", "after-quit", "1", (const char *)NULL);
    assert_int_equal(rc_write(q, b.p, b.len), 0);
    rbuf_t rest = {0};
    assert_true(rc_wait_closed(q, 5000, &rest));
    ASSERT_RESP(rest.p, rest.len, "+PONG\r\n+OK\r\n", 12);
    rbuf_free(&b);
    rbuf_free(&rest);
    rc_close(q);
    E(":0\r\n", "EXISTS", "after-quit");
    /* QUIT inside MULTI closes too */
    q = rc_open(srv.port);
    EXPECT(q, "+OK\r\n", "MULTI");
    EXPECT(q, "+QUEUED\r\n", "SET", "in-multi", "1");
    EXPECT(q, "+OK\r\n", "QUIT");
    assert_true(rc_wait_closed(q, 5000, NULL));
    rc_close(q);
    E(":0\r\n", "EXISTS", "in-multi");
}

/* ---- AUTH ------------------------------------------------------------------- */

static testproc_t auth_srv;
static int auth_group_setup(void **state)
{
    vs_redis = itest_target_redis();
    const char *args[] = {"--requirepass", "secret", NULL};
    return itest_start(&auth_srv, args);
}

static int auth_group_teardown(void **state)
{
    return proc_finish(&auth_srv);
}

#define NOAUTH "-NOAUTH Authentication required.\r\n"
#define WRONGPASS "-WRONGPASS invalid username-password pair or user is disabled.\r\n"

static void test_auth(void **state)
{
    rc_t *a = rc_open(auth_srv.port);
    assert_non_null(a);
    EXPECT(a, NOAUTH, "GET", "k");
    EXPECT(a, NOAUTH, "SET", "k", "v");
    EXPECT(a, NOAUTH, "PING");
    EXPECT(a, NOAUTH, "DBSIZE");
    EXPECT(a, NOAUTH, "MULTI");
    EXPECT(a, NOAUTH, "SELECT", "0");
    EXPECT(a, WRONGPASS, "AUTH", "wrong");
    EXPECT(a, WRONGPASS, "AUTH", "default", "wrong");
    EXPECT(a, WRONGPASS, "AUTH", "nobody", "secret");
    EXPECT(a, WRONGPASS, "AUTH", "");
    EXPECT(a, SYNTAX, "AUTH", "a", "b", "c");
    EXPECT(a, ARITY("auth"), "AUTH");
    EXPECT(a, WRONGPASS, "HELLO", "3", "AUTH", "default", "wrong");
    EXPECT(a, NOAUTH, "GET", "k"); /* still not authenticated */
    /* an unknown command is reported as unknown even before AUTH */
    EXPECT(a, "-ERR unknown command 'nosuch', with args beginning with: \r\n", "nosuch");
    EXPECT(a, "+OK\r\n", "AUTH", "secret");
    EXPECT(a, "$-1\r\n", "GET", "k");
    EXPECT(a, "+OK\r\n", "SET", "k", "v");
    EXPECT(a, "+PONG\r\n", "PING");
    EXPECT(a, WRONGPASS, "AUTH", "wrong"); /* a failed AUTH does not log out */
    EXPECT(a, "$1\r\nv\r\n", "GET", "k");
    rc_close(a);

    a = rc_open(auth_srv.port);
    EXPECT(a, "+OK\r\n", "AUTH", "default", "secret");
    EXPECT(a, "$1\r\nv\r\n", "GET", "k");
    rc_close(a);

    a = rc_open(auth_srv.port);
    size_t n;
    const char *hv[] = {"HELLO", "3", "AUTH", "default", "secret"};
    const char *r = rc_cmdv(a, 5, hv, NULL, &n);
    assert_non_null(r);
    assert_true(n > 0 && r[0] == '%');
    EXPECT(a, "$1\r\nv\r\n", "GET", "k");
    EXPECT(a, "_\r\n", "GET", "nokey");
    rc_close(a);

    /* QUIT works unauthenticated */
    a = rc_open(auth_srv.port);
    EXPECT(a, "+OK\r\n", "QUIT");
    assert_true(rc_wait_closed(a, 5000, NULL));
    rc_close(a);
}

/* HELLO before AUTH: the exact NOAUTH text of Redis 7.0.15. */
static void test_auth_hello_noauth_message(void **state)
{
    rc_t *a = rc_open(auth_srv.port);
    assert_non_null(a);
    EXPECT(a, "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH "
              "<user> <pass> option can be used to authenticate the client and select the RESP protocol "
              "version at the same time\r\n",
           "HELLO", "3");
    EXPECT(a, NOAUTH, "GET", "k");
    rc_close(a);
}

/* Redis limits what an unauthenticated client may make it buffer: at most
 * 10 arguments and 16 KB bulks before AUTH. */
static void test_auth_unauthenticated_limits(void **state)
{
    rc_t *a = rc_open(auth_srv.port);
    const char big_mb[] = "*11\r\n";
    assert_int_equal(rc_write(a, big_mb, sizeof(big_mb) - 1), 0);
    rbuf_t rest = {0};
    rbuf_append(&rest, "", 0);
    bool closed = rc_wait_closed(a, 2000, &rest);
    ASSERT_RESP(rest.p, rest.len, "-ERR Protocol error: unauthenticated multibulk length\r\n", 55);
    assert_true(closed);
    rbuf_free(&rest);
    rc_close(a);

    a = rc_open(auth_srv.port);
    const char big_bulk[] = "*2\r\n$4\r\nAUTH\r\n$16385\r\n";
    assert_int_equal(rc_write(a, big_bulk, sizeof(big_bulk) - 1), 0);
    rbuf_append(&rest, "", 0);
    closed = rc_wait_closed(a, 2000, &rest);
    ASSERT_RESP(rest.p, rest.len, "-ERR Protocol error: unauthenticated bulk length\r\n", 50);
    assert_true(closed);
    rbuf_free(&rest);
    rc_close(a);

    /* within the limits, and after AUTH, anything goes */
    a = rc_open(auth_srv.port);
    EXPECT(a, NOAUTH, "MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e");
    EXPECT(a, "+OK\r\n", "AUTH", "secret");
    EXPECT(a, "+OK\r\n", "MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5");
    char *v = malloc(20000);
    memset(v, 'x', 20000);
    const char *sv[] = {"SET", "big", v};
    const size_t sl[] = {3, 3, 20000};
    EXPECTV(a, "+OK\r\n", 3, sv, sl);
    EXPECT(a, ":20000\r\n", "STRLEN", "big");
    free(v);
    rc_close(a);
}

int main(void)
{
    const struct CMUnitTest main_tests[] = {
        cmocka_unit_test_setup_teardown(test_multi_exec, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_connection_commands, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_hello_resp3, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_quit, test_setup, test_teardown),
    };
    const struct CMUnitTest auth_tests[] = {
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_auth_hello_noauth_message),
        cmocka_unit_test(test_auth_unauthenticated_limits),
    };
    int failed = cmocka_run_group_tests_name("connection", main_tests, group_setup, group_teardown);
    failed += cmocka_run_group_tests_name("auth", auth_tests, auth_group_setup, auth_group_teardown);
    return failed ? 1 : 0;
}
