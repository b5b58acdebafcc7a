/* WATCH/MULTI/EXEC and the blocking pops (src/node/keywait.c) on a real
 * 3-node cluster (tests/support/cluster.h), replies compared byte for byte:
 *  1. WATCH on the leader: aborts (another client's write, the client's own,
 *     an expiry, a missing key created), runs when untouched, forgotten by
 *     UNWATCH, EXEC and DISCARD; WATCH inside MULTI; RESP3 null;
 *  2. WATCH through a follower: proxied to the leader (follower_mode proxy),
 *     -MOVED (redirect);
 *  3. a leadership change between WATCH and EXEC aborts the EXEC;
 *  4. BLPOP and friends block on the leader until a push, time out with
 *     Redis's reply, serve the oldest first, forget a client that left,
 *     never block inside MULTI, and block on the leader when sent to a
 *     follower; the numkeys ones (BLMPOP, BZMPOP) wake, and LMPOP/ZMPOP
 *     abort a WATCH, by their keys only.
 * When a test fails, its teardown prints the tail of every node's log. */
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

#include "support/cluster.h"
#include "support/httpc.h"
#include "support/respcmp.h"

static cluster_t cl;
static bool test_done; /* the running test reached its end */
static int L;          /* the leader's index, found by the test's setup */

static const char *const redirect_args[] = {"--follower_mode", "redirect", NULL};

/* ---- connections ------------------------------------------------------------- */

#define MAXCONNS 16
static rc_t *conns[MAXCONNS]; /* closed by the teardown, whatever happened */

static rc_t *open_at(int i)
{
    rc_t *c = rc_open(cl.node[i].port);
    if (!c) fail_msg("cannot connect to node %d (port %d)", i + 1, cl.node[i].port);
    for (int k = 0; k < MAXCONNS; k++)
        if (!conns[k]) {
            conns[k] = c;
            return c;
        }
    fail_msg("too many connections");
    return NULL;
}

static void close_conn(rc_t *c)
{
    for (int k = 0; k < MAXCONNS; k++)
        if (conns[k] == c) conns[k] = NULL;
    rc_close(c);
}

static void close_all(void)
{
    for (int k = 0; k < MAXCONNS; k++)
        if (conns[k]) rc_close(conns[k]), conns[k] = NULL;
}

/* The node a connection goes to, for messages. */
static int node_of(const rc_t *c)
{
    return cluster_index_of_port(&cl, c->port) + 1;
}

/* ---- exact replies -------------------------------------------------------------- */

static int collect(const char *arg0, va_list ap, const char **argv)
{
    int argc = 0;
    for (const char *a = arg0; a && argc < 32; a = va_arg(ap, const char *)) argv[argc++] = a;
    return argc;
}

static void send_argv(rc_t *c, int argc, const char **argv)
{
    rbuf_t b = {0};
    resp_encode(&b, argc, argv, NULL);
    int w = rc_write(c, b.p, b.len);
    rbuf_free(&b);
    if (w < 0) fail_msg("node %d: cannot send %s", node_of(c), argv[0]);
}

/* Sends a command without waiting for its reply (a blocking one). */
static void send_cmd_(rc_t *c, const char *arg0, ...)
{
    const char *argv[32];
    va_list ap;
    va_start(ap, arg0);
    int argc = collect(arg0, ap, argv);
    va_end(ap);
    send_argv(c, argc, argv);
}
#define SEND(c, ...) send_cmd_((c), __VA_ARGS__, (const char *)NULL)

/* The next reply on c must be exactly want, within c's timeout. */
static void reply_is_(int line, rc_t *c, const char *what, const char *want, size_t wantlen)
{
    const char *got;
    long n = rc_read(c, &got);
    if (n < 0) fail_msg("line %d: node %d: %s: no reply (%s)", line, node_of(c), what, c->eof ? "closed" : "timeout");
    if ((size_t)n != wantlen || memcmp(got, want, wantlen) != 0) {
        char *g = resp_escape(got, (size_t)n), *w = resp_escape(want, wantlen);
        fprintf(stderr, "line %d: node %d: %s\n  got:  %s\n  want: %s\n", line, node_of(c), what, g, w);
        free(g);
        free(w);
        fail_msg("line %d: unexpected reply", line);
    }
}
#define REPLY_IS(c, what, want) reply_is_(__LINE__, (c), (what), (want), sizeof(want) - 1)

static void expect_(int line, rc_t *c, const char *want, size_t wantlen, const char *arg0, ...)
{
    const char *argv[32];
    va_list ap;
    va_start(ap, arg0);
    int argc = collect(arg0, ap, argv);
    va_end(ap);
    send_argv(c, argc, argv);
    char what[160];
    int n = 0;
    for (int i = 0; i < argc && n < (int)sizeof(what) - 1; i++)
        n += snprintf(what + n, sizeof(what) - (size_t)n, "%s%s", i ? " " : "", argv[i]);
    reply_is_(line, c, what, want, wantlen);
}
/* X(c, want, cmd...): the command's reply on c is exactly want (a literal). */
#define X(c, want, ...) expect_(__LINE__, (c), (want), sizeof(want) - 1, __VA_ARGS__, (const char *)NULL)

/* The same command gives the same reply on every node (reads are
 * linearizable: an acknowledged write is visible everywhere at once). */
#define EVERYWHERE(want, ...)                                                                                \
    do {                                                                                                     \
        for (int i_ = 0; i_ < CLUSTER_N; i_++) {                                                             \
            rc_t *e_ = open_at(i_);                                                                          \
            X(e_, want, __VA_ARGS__);                                                                        \
            close_conn(e_);                                                                                  \
        }                                                                                                    \
    } while (0)

/* Nothing arrives on c for ms (it is still blocked). */
static void silent_(int line, rc_t *c, int ms)
{
    int saved = c->timeout_ms;
    c->timeout_ms = ms;
    const char *got;
    long n = rc_read(c, &got);
    c->timeout_ms = saved;
    if (n >= 0) {
        char *g = resp_escape(got, (size_t)n), text[256];
        snprintf(text, sizeof(text), "%s", g);
        free(g);
        fail_msg("line %d: node %d: expected no reply yet, got %s", line, node_of(c), text);
    }
    if (c->eof) fail_msg("line %d: node %d: the connection closed", line, node_of(c));
}
#define SILENT(c, ms) silent_(__LINE__, (c), (ms))

static int64_t ms_since(int64_t t0)
{
    return cl_mono_ms() - t0;
}

static void sleep_ms(int ms)
{
    usleep((useconds_t)ms * 1000);
}

/* HELLO proto on c: RESP3's reply is a map, RESP2's an array. */
static void hello(rc_t *c, int proto)
{
    const char *r = RC(c, "HELLO", proto == 3 ? "3" : "2");
    assert_true(r && r[0] == (proto == 3 ? '%' : '*'));
}

/* ---- the cluster ------------------------------------------------------------------- */

/* The port node i's ROLE names as its master (its own when it leads). */
static int role_master_port(int i)
{
    rc_t *c = open_at(i);
    const char *r = RC(c, "ROLE");
    int port = 0;
    rnode_t *t = r ? rc_parse_reply(r, strlen(r)) : NULL;
    if (t && t->type == '*' && t->n >= 3 && t->e[0]->s) {
        if (strcmp(t->e[0]->s, "master") == 0) port = cl.node[i].port;
        else if (t->n == 5 && t->e[2]->type == ':') port = (int)t->e[2]->i;
    }
    rnode_free(t);
    close_conn(c);
    return port;
}

/* Waits until every running node names the same leader; its index. */
static int agreed_leader(int timeout_ms)
{
    int64_t deadline = cl_mono_ms() + timeout_ms;
    for (;;) {
        int port = -1;
        bool same = true;
        for (int i = 0; i < CLUSTER_N && same; i++) {
            if (!cluster_up(&cl, i)) continue;
            int p = role_master_port(i);
            same = p > 0 && (port < 0 || p == port);
            port = p;
        }
        if (same && port > 0) return cluster_index_of_port(&cl, port);
        if (cl_mono_ms() > deadline) fail_msg("the nodes never agreed on a leader");
        sleep_ms(50);
    }
}

/* POST /cluster/transfer-leader on the leader `from`, to node `to`; then
 * waits until every node names `to`. */
static void transfer_leader(int from, int to)
{
    char body[32], err[256];
    snprintf(body, sizeof(body), "{\"id\": %d}", to + 1);
    httpc_resp_t r;
    if (httpc_request(cluster_http_port(&cl, from), "POST", "/cluster/transfer-leader", body, NULL, 15000, &r, err,
                      sizeof(err)) < 0)
        fail_msg("transfer-leader on node %d: %s", from + 1, err);
    int status = r.status;
    char text[256];
    snprintf(text, sizeof(text), "%s", r.body ? r.body : "");
    httpc_free(&r);
    if (status != 200) fail_msg("transfer-leader %d -> %d: status %d %s", from + 1, to + 1, status, text);
    int64_t deadline = cl_mono_ms() + 10000;
    while (agreed_leader(10000) != to)
        if (cl_mono_ms() > deadline) fail_msg("node %d never became the agreed leader", to + 1);
    fprintf(stderr, "  leader moved: node %d -> node %d\n", from + 1, to + 1);
}

static int start_proxy(void **state)
{
    return cluster_start(&cl, cluster_fast_args, NULL);
}

static int start_redirect(void **state)
{
    return cluster_start(&cl, cluster_fast_args, redirect_args);
}

static int finish(void **state)
{
    close_all();
    return cluster_finish(&cl);
}

static int test_setup(void **state)
{
    test_done = false;
    L = cluster_log_leader(&cl, 10000);
    if (L < 0) return -1;
    L = agreed_leader(10000);
    fprintf(stderr, "  leader: node %d (port %d)\n", L + 1, cl.node[L].port);
    return 0;
}

static int test_teardown(void **state)
{
    close_all();
    for (int i = 0; i < CLUSTER_N; i++)
        if (cl.stopped[i]) cluster_sigcont(&cl, i);
    if (!test_done) cluster_dump_logs(&cl, 40);
    return 0;
}

/* A fresh cluster per test: for the tests that move the leadership. */
static int fresh_setup(void **state)
{
    if (cluster_start(&cl, cluster_fast_args, NULL) < 0) return -1;
    return test_setup(state);
}

static int fresh_teardown(void **state)
{
    test_teardown(state);
    return cluster_finish(&cl);
}

#define F1 ((L + 1) % CLUSTER_N)
#define F2 ((L + 2) % CLUSTER_N)
#define NULLARR "*-1\r\n"
#define OK "+OK\r\n"
#define QUEUED "+QUEUED\r\n"
#define RAN "*1\r\n+OK\r\n" /* the EXEC of one SET that ran */

/* MULTI, SET key val, EXEC on c: the EXEC's reply must be exec_want, RAN
 * or, when a watched key changed, the null reply (NULLARR, RESP3 "_"). */
static void multi_set_(int line, rc_t *c, const char *key, const char *val, const char *exec_want)
{
    expect_(line, c, OK, strlen(OK), "MULTI", (const char *)NULL);
    expect_(line, c, QUEUED, strlen(QUEUED), "SET", key, val, (const char *)NULL);
    expect_(line, c, exec_want, strlen(exec_want), "EXEC", (const char *)NULL);
}
#define MULTI_SET(c, key, val, exec_want) multi_set_(__LINE__, (c), (key), (val), (exec_want))

/* After WATCH key on a, a DISCARD (or, execabort, an EXEC that EXECABORT
 * discarded) forgets the watch: b's write then aborts nothing, and a's next
 * transaction runs, everywhere. */
static void watch_forgotten_after(rc_t *a, rc_t *b, const char *key, bool execabort)
{
    X(a, OK, "WATCH", key);
    X(a, OK, "MULTI");
    if (execabort) {
        X(a, "-ERR wrong number of arguments for 'set' command\r\n", "SET", key);
        X(a, "-EXECABORT Transaction discarded because of previous errors.\r\n", "EXEC");
    } else {
        X(a, QUEUED, "SET", key, "discarded");
        X(a, OK, "DISCARD");
    }
    X(b, OK, "SET", key, "b");
    MULTI_SET(a, key, "a", RAN);
    EVERYWHERE("$1\r\na\r\n", "GET", key);
}

/* ---- 1. WATCH on the leader --------------------------------------------------------- */

static void test_watch_basic(void **state)
{
    rc_t *a = open_at(L), *b = open_at(L);

    /* another client's write after WATCH aborts; the write stays */
    X(a, OK, "SET", "w1", "a");
    X(a, OK, "WATCH", "w1");
    X(b, OK, "SET", "w1", "b");
    MULTI_SET(a, "w1", "c", NULLARR);
    EVERYWHERE("$1\r\nb\r\n", "GET", "w1");

    /* ...also when it comes between MULTI and EXEC */
    X(a, OK, "WATCH", "w1");
    X(a, OK, "MULTI");
    X(a, QUEUED, "SET", "w1", "c");
    X(b, OK, "SET", "w1", "d");
    X(a, NULLARR, "EXEC");
    EVERYWHERE("$1\r\nd\r\n", "GET", "w1");

    /* untouched: it runs, and every replica has its writes */
    X(a, OK, "WATCH", "w2", "w2:other");
    X(b, OK, "SET", "w2:unrelated", "x");
    X(a, OK, "MULTI");
    X(a, QUEUED, "SET", "w2", "x");
    X(a, QUEUED, "INCR", "w2:n");
    X(a, "*2\r\n+OK\r\n:1\r\n", "EXEC");
    EVERYWHERE("$1\r\nx\r\n", "GET", "w2");
    EVERYWHERE("$1\r\n1\r\n", "GET", "w2:n");

    /* one of several watched keys touched is enough */
    X(a, OK, "WATCH", "w3:a", "w3:b", "w3:c");
    X(b, ":0\r\n", "DEL", "w3:zz");
    X(b, ":1\r\n", "INCR", "w3:b");
    MULTI_SET(a, "w3:a", "1", NULLARR);
    EVERYWHERE("$-1\r\n", "GET", "w3:a");

    /* a read-only transaction is checked too */
    X(a, OK, "WATCH", "w3:b");
    X(b, ":2\r\n", "INCR", "w3:b");
    X(a, OK, "MULTI");
    X(a, QUEUED, "GET", "w3:b");
    X(a, NULLARR, "EXEC");
    X(a, OK, "WATCH", "w3:b");
    X(a, OK, "MULTI");
    X(a, QUEUED, "GET", "w3:b");
    X(a, "*1\r\n$1\r\n2\r\n", "EXEC");

    X(a, "-ERR wrong number of arguments for 'watch' command\r\n", "WATCH");
    test_done = true;
}

static void test_watch_own_write(void **state)
{
    rc_t *a = open_at(L);
    X(a, OK, "SET", "o1", "v");
    X(a, OK, "WATCH", "o1");
    X(a, OK, "SET", "o1", "own");
    MULTI_SET(a, "o1", "t", NULLARR);
    EVERYWHERE("$3\r\nown\r\n", "GET", "o1");

    /* the key written by another command form (MSET's keys, EXPIRE) */
    X(a, OK, "WATCH", "o2");
    X(a, OK, "MSET", "o2:x", "1", "o2", "2");
    MULTI_SET(a, "o2", "t", NULLARR);
    X(a, OK, "WATCH", "o2");
    X(a, ":1\r\n", "EXPIRE", "o2", "1000");
    MULTI_SET(a, "o2", "t", NULLARR);
    EVERYWHERE("$1\r\n2\r\n", "GET", "o2");
    test_done = true;
}

/* A value equal to a watched key's name is not that key. */
static void test_watch_key_positions(void **state)
{
    rc_t *a = open_at(L), *b = open_at(L);
    X(a, OK, "WATCH", "kp");
    X(b, OK, "MSET", "kp:1", "kp", "kp:2", "kp");
    X(b, OK, "SET", "kp:3", "kp");
    MULTI_SET(a, "kp", "ran", RAN);
    EVERYWHERE("$3\r\nran\r\n", "GET", "kp");
    test_done = true;
}

static void test_watch_forgotten(void **state)
{
    rc_t *a = open_at(L), *b = open_at(L);

    /* UNWATCH */
    X(a, OK, "WATCH", "f1");
    X(a, OK, "UNWATCH");
    X(b, OK, "SET", "f1", "b");
    MULTI_SET(a, "f1", "a", RAN);
    EVERYWHERE("$1\r\na\r\n", "GET", "f1");

    /* EXEC (run): the next transaction is not watched */
    X(a, OK, "WATCH", "f2");
    MULTI_SET(a, "f2", "1", RAN);
    X(b, OK, "SET", "f2", "2");
    MULTI_SET(a, "f2", "3", RAN);
    EVERYWHERE("$1\r\n3\r\n", "GET", "f2");

    /* EXEC (aborted) forgets them too */
    X(a, OK, "WATCH", "f3");
    X(b, OK, "SET", "f3", "1");
    MULTI_SET(a, "f3", "lost", NULLARR);
    X(b, OK, "SET", "f3", "2");
    MULTI_SET(a, "f3", "3", RAN);
    EVERYWHERE("$1\r\n3\r\n", "GET", "f3");

    /* DISCARD, EXECABORT */
    watch_forgotten_after(a, b, "f4", false);
    watch_forgotten_after(a, b, "f5", true);
    test_done = true;
}

static void test_watch_inside_multi(void **state)
{
    rc_t *a = open_at(L), *b = open_at(L);
    X(a, OK, "MULTI");
    X(a, "-ERR WATCH inside MULTI is not allowed\r\n", "WATCH", "m1");
    X(a, QUEUED, "SET", "m1", "v");
    X(b, OK, "SET", "m1", "other"); /* not watched: the WATCH was refused */
    X(a, "*1\r\n+OK\r\n", "EXEC");
    EVERYWHERE("$1\r\nv\r\n", "GET", "m1");
    test_done = true;
}

static void test_watch_expiry(void **state)
{
    rc_t *a = open_at(L);
    /* the watched key expires before EXEC */
    X(a, OK, "SET", "e1", "v");
    X(a, ":1\r\n", "PEXPIRE", "e1", "300");
    X(a, OK, "WATCH", "e1");
    sleep_ms(700);
    MULTI_SET(a, "e1:x", "ran", NULLARR);
    EVERYWHERE("$-1\r\n", "GET", "e1:x");

    /* a TTL that has not run out is no change */
    X(a, OK, "SET", "e2", "v", "PX", "100000");
    X(a, OK, "WATCH", "e2");
    sleep_ms(300);
    MULTI_SET(a, "e2:x", "ran", RAN);
    EVERYWHERE("$3\r\nran\r\n", "GET", "e2:x");
    test_done = true;
}

static void test_watch_missing_key(void **state)
{
    rc_t *a = open_at(L), *b = open_at(L);
    /* created by another client: abort */
    X(a, OK, "WATCH", "n1");
    X(b, OK, "SET", "n1", "created");
    MULTI_SET(a, "n1", "mine", NULLARR);
    EVERYWHERE("$7\r\ncreated\r\n", "GET", "n1");
    /* still missing: it runs */
    X(a, OK, "WATCH", "n2");
    MULTI_SET(a, "n2", "mine", RAN);
    EVERYWHERE("$4\r\nmine\r\n", "GET", "n2");
    test_done = true;
}

/* Redis aborts only for a write that changed the key: a write that left
 * it as it was (SETNX on an existing key, DEL of a missing one) is not a
 * modification (signalModifiedKey is not called). */
static void test_watch_noop_writes(void **state)
{
    rc_t *a = open_at(L), *b = open_at(L);
    X(a, OK, "SET", "nw1", "v");
    X(a, OK, "WATCH", "nw1", "nw2");
    X(b, ":0\r\n", "SETNX", "nw1", "other");
    X(b, ":0\r\n", "DEL", "nw2");
    MULTI_SET(a, "nw1", "ran", RAN);
    EVERYWHERE("$3\r\nran\r\n", "GET", "nw1");
    test_done = true;
}

static void test_watch_resp3(void **state)
{
    rc_t *a = open_at(L), *b = open_at(L);
    hello(a, 3);
    X(a, OK, "WATCH", "r1");
    X(b, OK, "SET", "r1", "b");
    MULTI_SET(a, "r1", "a", "_\r\n");
    X(a, OK, "WATCH", "r1");
    MULTI_SET(a, "r1", "a", RAN);
    test_done = true;
}

/* The numkeys commands touch their keys only (their key specs): an LMPOP or
 * ZMPOP of other keys, even one whose other arguments equal the watched
 * names, aborts nothing; one that pops a watched key aborts. */
static void test_watch_numkeys(void **state)
{
    rc_t *a = open_at(L), *b = open_at(L);
    X(b, ":2\r\n", "RPUSH", "wn:l", "x", "y");
    X(b, ":1\r\n", "ZADD", "wn:z", "1", "m");
    X(a, OK, "WATCH", "wn:w", "LEFT", "1", "MIN");
    X(b, "*2\r\n$4\r\nwn:l\r\n*1\r\n$1\r\nx\r\n", "LMPOP", "1", "wn:l", "LEFT");
    X(b, "*2\r\n$4\r\nwn:z\r\n*1\r\n*2\r\n$1\r\nm\r\n$1\r\n1\r\n", "ZMPOP", "1", "wn:z", "MIN");
    MULTI_SET(a, "wn:w", "ran", RAN);
    /* the watched key among the numkeys keys: popped, so aborted */
    X(b, ":1\r\n", "RPUSH", "wn:w2", "v");
    X(a, OK, "WATCH", "wn:w2");
    X(b, "*2\r\n$5\r\nwn:w2\r\n*1\r\n$1\r\nv\r\n", "LMPOP", "2", "wn:none", "wn:w2", "RIGHT");
    MULTI_SET(a, "wn:w2:x", "t", NULLARR);
    EVERYWHERE(":0\r\n", "EXISTS", "wn:w2", "wn:w2:x");
    test_done = true;
}

/* A blocking pop that found nothing changed nothing: no abort. */
static void test_watch_blocking_pop_no_change(void **state)
{
    rc_t *a = open_at(L), *b = open_at(L);
    X(a, OK, "WATCH", "wb1");
    X(b, NULLARR, "BLPOP", "wb1", "0.3");
    X(b, NULLARR, "BLMOVE", "wb1", "wb1", "LEFT", "LEFT", "0.3"); /* a real timeout: *-1, as Redis */
    MULTI_SET(a, "wb1:x", "ran", RAN);
    EVERYWHERE("$3\r\nran\r\n", "GET", "wb1:x");
    test_done = true;
}

/* ---- 2. WATCH through a follower -------------------------------------------------------- */

static void test_watch_via_follower_proxy(void **state)
{
    int f = F1;
    rc_t *a = open_at(f), *b = open_at(L), *o = open_at(F2);
    /* modified through the leader: abort */
    X(a, OK, "SET", "p1", "a");
    X(a, OK, "WATCH", "p1");
    X(b, OK, "SET", "p1", "b");
    MULTI_SET(a, "p1", "c", NULLARR);
    EVERYWHERE("$1\r\nb\r\n", "GET", "p1");
    /* modified through the other follower: abort */
    X(a, OK, "WATCH", "p1");
    X(o, OK, "SET", "p1", "o");
    MULTI_SET(a, "p1", "c", NULLARR);
    EVERYWHERE("$1\r\no\r\n", "GET", "p1");
    /* its own write through the follower: abort */
    X(a, OK, "WATCH", "p1");
    X(a, OK, "SET", "p1", "own");
    MULTI_SET(a, "p1", "c", NULLARR);
    EVERYWHERE("$3\r\nown\r\n", "GET", "p1");
    /* untouched: it runs, everywhere */
    X(a, OK, "WATCH", "p1", "p2");
    X(a, OK, "MULTI");
    X(a, QUEUED, "SET", "p1", "c");
    X(a, QUEUED, "INCR", "p2");
    X(a, "*2\r\n+OK\r\n:1\r\n", "EXEC");
    EVERYWHERE("$1\r\nc\r\n", "GET", "p1");
    EVERYWHERE("$1\r\n1\r\n", "GET", "p2");
    /* UNWATCH through the follower */
    X(a, OK, "WATCH", "p1");
    X(a, OK, "UNWATCH");
    X(b, OK, "SET", "p1", "b2");
    MULTI_SET(a, "p1", "u", RAN);
    EVERYWHERE("$1\r\nu\r\n", "GET", "p1");
    /* a missing key created through the leader */
    X(a, OK, "WATCH", "p3");
    X(b, OK, "SET", "p3", "created");
    MULTI_SET(a, "p3", "mine", NULLARR);
    EVERYWHERE("$7\r\ncreated\r\n", "GET", "p3");
    /* WATCH inside MULTI on the follower */
    X(a, OK, "MULTI");
    X(a, "-ERR WATCH inside MULTI is not allowed\r\n", "WATCH", "p4");
    X(a, QUEUED, "SET", "p4", "v");
    X(a, "*1\r\n+OK\r\n", "EXEC");
    EVERYWHERE("$1\r\nv\r\n", "GET", "p4");
    test_done = true;
}

/* DISCARD and a discarded EXEC forget the watches on the follower: the
 * leader, which keeps them for the proxied session, must forget them too. */
static void test_watch_via_follower_forgotten(void **state)
{
    rc_t *a = open_at(F1), *b = open_at(L);
    watch_forgotten_after(a, b, "pd1", false);
    watch_forgotten_after(a, b, "pd2", true);
    test_done = true;
}

static void test_watch_via_follower_resp3(void **state)
{
    rc_t *a = open_at(F1), *b = open_at(L);
    hello(a, 3);
    X(a, OK, "WATCH", "p3r");
    X(b, OK, "SET", "p3r", "b");
    MULTI_SET(a, "p3r", "a", "_\r\n");

    /* a client that wrote through the follower before saying HELLO 3 */
    rc_t *c = open_at(F2);
    X(c, OK, "SET", "p3r:first", "1");
    hello(c, 3);
    X(c, OK, "WATCH", "p3r");
    X(b, OK, "SET", "p3r", "b2");
    MULTI_SET(c, "p3r", "c", "_\r\n");
    /* and back to RESP2 */
    hello(c, 2);
    X(c, OK, "WATCH", "p3r");
    X(b, OK, "SET", "p3r", "b3");
    MULTI_SET(c, "p3r", "c", NULLARR);
    EVERYWHERE("$2\r\nb3\r\n", "GET", "p3r");
    test_done = true;
}

static void test_watch_via_follower_redirect(void **state)
{
    rc_t *a = open_at(F1);
    char want[64];
    int n = snprintf(want, sizeof(want), "-MOVED 0 127.0.0.1:%d\r\n", cl.node[L].port);
    SEND(a, "WATCH", "rd1");
    reply_is_(__LINE__, a, "WATCH on a follower", want, (size_t)n);
    /* nothing is watched there: a transaction through the leader runs */
    rc_t *b = open_at(L), *c = open_at(L);
    X(b, OK, "WATCH", "rd1");
    X(c, OK, "SET", "rd1", "c");
    MULTI_SET(b, "rd1", "b", NULLARR);
    EVERYWHERE("$1\r\nc\r\n", "GET", "rd1");
    test_done = true;
}

/* ---- 3. leadership change between WATCH and EXEC ---------------------------------------- */

/* On the leader, which hands the leadership to a follower. */
static void test_watch_transfer_from_leader(void **state)
{
    rc_t *a = open_at(L);
    X(a, OK, "SET", "t1", "before");
    X(a, OK, "WATCH", "t1");
    transfer_leader(L, F1);
    MULTI_SET(a, "t1", "unchecked", NULLARR);
    EVERYWHERE("$6\r\nbefore\r\n", "GET", "t1");
    test_done = true;
}

/* On the leader, which loses the leadership and gets it back. */
static void test_watch_transfer_and_back(void **state)
{
    rc_t *a = open_at(L);
    int old = L, f = F1;
    X(a, OK, "SET", "t2", "before");
    X(a, OK, "WATCH", "t2");
    transfer_leader(old, f);
    transfer_leader(f, old);
    MULTI_SET(a, "t2", "unchecked", NULLARR);
    EVERYWHERE("$6\r\nbefore\r\n", "GET", "t2");
    test_done = true;
}

/* Through a follower (proxied): to the third node, and to the follower itself. */
static void test_watch_transfer_via_follower(void **state)
{
    int f = F1, o = F2, old = L;
    rc_t *a = open_at(f);
    X(a, OK, "SET", "t3", "before");
    X(a, OK, "WATCH", "t3");
    transfer_leader(old, o);
    MULTI_SET(a, "t3", "unchecked", NULLARR);
    EVERYWHERE("$6\r\nbefore\r\n", "GET", "t3");

    X(a, OK, "WATCH", "t3");
    transfer_leader(o, f);
    MULTI_SET(a, "t3", "unchecked", NULLARR);
    EVERYWHERE("$6\r\nbefore\r\n", "GET", "t3");
    /* the watch is gone with that EXEC: a new transaction runs */
    MULTI_SET(a, "t3", "after", RAN);
    EVERYWHERE("$5\r\nafter\r\n", "GET", "t3");
    test_done = true;
}

/* Through a follower, the leader killed: the new leader never saw the WATCH. */
static void test_watch_leader_killed(void **state)
{
    int f = F1, old = L;
    rc_t *a = open_at(f);
    X(a, OK, "SET", "t4", "before");
    X(a, OK, "WATCH", "t4");
    cluster_kill9(&cl, old);
    int nl;
    int64_t deadline = cl_mono_ms() + 15000;
    while ((nl = agreed_leader(15000)) == old)
        if (cl_mono_ms() > deadline) fail_msg("no new leader after the kill");
    fprintf(stderr, "  node %d killed, new leader node %d\n", old + 1, nl + 1);
    MULTI_SET(a, "t4", "unchecked", NULLARR);
    for (int i = 0; i < CLUSTER_N; i++) {
        if (i == old) continue;
        rc_t *c = open_at(i);
        X(c, "$6\r\nbefore\r\n", "GET", "t4");
        close_conn(c);
    }
    assert_int_equal(cluster_restart(&cl, old), 0);
    test_done = true;
}

/* raft_applied_index of INFO raft on node i. */
static long long applied_index(int i)
{
    rc_t *c = open_at(i);
    const char *r = RC(c, "INFO", "raft");
    const char *p = r ? strstr(r, "\r\nraft_applied_index:") : NULL;
    if (!p) fail_msg("node %d: no raft_applied_index in INFO raft", i + 1);
    long long v = strtoll(p + strlen("\r\nraft_applied_index:"), NULL, 10);
    close_conn(c);
    return v;
}

/* A client blocked on the leader when it steps down is released with
 * Redis's error for a master turned replica, and consumes nothing later. */
static void test_blocked_leader_steps_down(void **state)
{
    int old = L, f = F1;
    rc_t *a = open_at(old);
    SEND(a, "BLPOP", "sd", "0");
    SILENT(a, 300);
    transfer_leader(old, f);
    REPLY_IS(a, "BLPOP on a leader that stepped down",
             "-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n");
    rc_t *p = open_at(f);
    X(p, ":1\r\n", "RPUSH", "sd", "kept");
    sleep_ms(300);
    EVERYWHERE("*1\r\n$4\r\nkept\r\n", "LRANGE", "sd", "0", "-1");
    test_done = true;
}

/* ---- 4. blocking pops ---------------------------------------------------------------- */

static void test_blpop_wakes(void **state)
{
    rc_t *a = open_at(L), *b = open_at(L);
    int64_t t0 = cl_mono_ms();
    SEND(a, "BLPOP", "bl:none", "bl1", "0");
    SILENT(a, 100);
    /* a blocked client costs no log entries while it waits */
    long long before = applied_index(L);
    SILENT(a, 500);
    long long grown = applied_index(L) - before;
    if (grown > 3) fail_msg("the log grew by %lld entries while one client was blocked", grown);
    const char *info = RC(b, "INFO", "clients");
    if (!info || !strstr(info, "blocked_clients:1\r\n")) fail_msg("INFO clients: %s", info ? info : "(none)");
    X(b, ":1\r\n", "RPUSH", "bl1", "v1");
    REPLY_IS(a, "BLPOP woken", "*2\r\n$3\r\nbl1\r\n$2\r\nv1\r\n");
    assert_true(ms_since(t0) >= 500);
    EVERYWHERE(":0\r\n", "LLEN", "bl1");
    EVERYWHERE(":0\r\n", "EXISTS", "bl1");
    /* a push to another key does not wake it; then with a timeout */
    SEND(a, "BRPOP", "bl2", "10");
    X(b, ":1\r\n", "RPUSH", "bl2:other", "x");
    SILENT(a, 300);
    X(b, ":2\r\n", "RPUSH", "bl2", "first", "last");
    REPLY_IS(a, "BRPOP woken", "*2\r\n$3\r\nbl2\r\n$4\r\nlast\r\n");
    EVERYWHERE("*1\r\n$5\r\nfirst\r\n", "LRANGE", "bl2", "0", "-1");
    /* something there: no wait at all */
    X(a, "*2\r\n$3\r\nbl2\r\n$5\r\nfirst\r\n", "BLPOP", "bl2", "0");
    test_done = true;
}

/* BLMPOP and BZMPOP (numkeys) block on their keys only: a write to
 * another key, or to a key named like one of their other arguments, wakes
 * nothing (no entry proposed again); a push to one of their keys does. */
static void test_mpop_wakes_by_key(void **state)
{
    rc_t *a = open_at(L), *z = open_at(L), *p = open_at(L);
    SEND(a, "BLMPOP", "0", "2", "mp:a", "mp:b", "LEFT", "COUNT", "2");
    SEND(z, "BZMPOP", "0", "1", "mp:z", "MAX");
    SILENT(a, 200);
    SILENT(z, 1);
    long long before = applied_index(L);
    X(p, ":1\r\n", "RPUSH", "mp:other", "x");
    X(p, ":1\r\n", "RPUSH", "LEFT", "x");
    X(p, ":1\r\n", "ZADD", "MAX", "1", "x");
    X(p, ":1\r\n", "ZADD", "2", "1", "x");
    SILENT(a, 300);
    SILENT(z, 1);
    long long grown = applied_index(L) - before;
    if (grown != 4) fail_msg("4 writes made the log grow by %lld entries: a blocked client was woken", grown);
    X(p, ":3\r\n", "RPUSH", "mp:b", "1", "2", "3");
    REPLY_IS(a, "BLMPOP woken", "*2\r\n$4\r\nmp:b\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    SILENT(z, 100);
    X(p, ":2\r\n", "ZADD", "mp:z", "1", "one", "2", "two");
    REPLY_IS(z, "BZMPOP woken", "*2\r\n$4\r\nmp:z\r\n*1\r\n*2\r\n$3\r\ntwo\r\n$1\r\n2\r\n");
    EVERYWHERE("*1\r\n$1\r\n3\r\n", "LRANGE", "mp:b", "0", "-1");
    EVERYWHERE("*1\r\n$3\r\none\r\n", "ZRANGE", "mp:z", "0", "-1");
    test_done = true;
}

static void test_blocking_timeout(void **state)
{
    rc_t *a = open_at(L);
    int64_t t0 = cl_mono_ms();
    X(a, NULLARR, "BLPOP", "bt1", "1");
    int64_t took = ms_since(t0);
    fprintf(stderr, "  BLPOP 1 answered after %lld ms\n", (long long)took);
    assert_true(took >= 950 && took <= 5000);
    t0 = cl_mono_ms();
    X(a, NULLARR, "BLMOVE", "bt2", "bt3", "LEFT", "RIGHT", "0.5"); /* *-1 on a real timeout, as Redis */
    took = ms_since(t0);
    assert_true(took >= 450 && took <= 5000);
    EVERYWHERE(":0\r\n", "EXISTS", "bt1", "bt2", "bt3");
    /* RESP3: null */
    hello(a, 3);
    X(a, "_\r\n", "BLPOP", "bt1", "0.3");
    X(a, "_\r\n", "BLMOVE", "bt2", "bt3", "LEFT", "RIGHT", "0.3");
    test_done = true;
}

/* Microseconds on the monotonic clock: the timeouts below are tens of ms. */
static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A timeout is answered at its deadline (a timer armed for it), not at the
 * next heartbeat (50 ms in these clusters). Lower bounds are exact: the deadline counts
 * from the apply of the command, after it was sent, on libuv's millisecond
 * clock (hence 19 ms for 20). Upper bounds leave room for a loaded machine:
 * ten 10 ms timeouts in a row must take well under ten heartbeats (with
 * the check on the heartbeat they took ~500 ms; now ~150). */
static void test_blocking_timeout_precise(void **state)
{
    rc_t *a = open_at(L);
    int64_t t0 = mono_us();
    X(a, NULLARR, "BLPOP", "bp1", "0.02");
    int64_t took = mono_us() - t0;
    fprintf(stderr, "  BLPOP 0.02 answered after %.1f ms\n", (double)took / 1000);
    assert_true(took >= 19000);
    t0 = mono_us();
    for (int i = 0; i < 10; i++) {
        int64_t t1 = mono_us();
        X(a, NULLARR, "BLPOP", "bp1", "0.01");
        assert_true(mono_us() - t1 >= 9000);
    }
    took = mono_us() - t0;
    fprintf(stderr, "  10 x BLPOP 0.01 answered after %.1f ms\n", (double)took / 1000);
    assert_true(took < 400000);
    /* two clients with different deadlines: each at its own */
    rc_t *b = open_at(L);
    t0 = mono_us();
    SEND(a, "BZPOPMIN", "bp2", "0.2");
    SEND(b, "BLPOP", "bp3", "0.05");
    REPLY_IS(b, "the earlier deadline", NULLARR);
    int64_t tb = mono_us() - t0;
    REPLY_IS(a, "the later deadline", NULLARR);
    int64_t ta = mono_us() - t0;
    fprintf(stderr, "  BLPOP 0.05 after %.1f ms, BZPOPMIN 0.2 after %.1f ms\n", (double)tb / 1000,
            (double)ta / 1000);
    assert_true(tb >= 49000 && ta >= 199000);
    test_done = true;
}

/* A blocked client woken by a write that leaves its key empty goes through
 * the log, finds nothing and blocks again: its deadline stays the first. */
static void test_blocking_timeout_kept_when_woken(void **state)
{
    rc_t *a = open_at(L), *p = open_at(L);
    int64_t t0 = cl_mono_ms();
    SEND(a, "BLPOP", "bw1", "0.5");
    SILENT(a, 250);
    X(p, OK, "MULTI");
    X(p, "+QUEUED\r\n", "RPUSH", "bw1", "x");
    X(p, "+QUEUED\r\n", "DEL", "bw1");
    X(p, "*2\r\n:1\r\n:1\r\n", "EXEC");
    REPLY_IS(a, "timeout", NULLARR);
    int64_t took = ms_since(t0);
    fprintf(stderr, "  BLPOP 0.5 woken at 250 ms answered after %lld ms\n", (long long)took);
    assert_true(took >= 490 && took < 700); /* from the wake-up on, it would be 750 */
    test_done = true;
}

static void test_blocking_fifo(void **state)
{
    rc_t *a = open_at(L), *b = open_at(L), *p = open_at(L);
    SEND(a, "BLPOP", "ff", "0");
    SILENT(a, 200);
    SEND(b, "BLPOP", "ff", "0");
    SILENT(b, 200);
    X(p, ":1\r\n", "RPUSH", "ff", "one");
    REPLY_IS(a, "first blocked", "*2\r\n$2\r\nff\r\n$3\r\none\r\n");
    SILENT(b, 300);
    X(p, ":1\r\n", "RPUSH", "ff", "two");
    REPLY_IS(b, "second blocked", "*2\r\n$2\r\nff\r\n$3\r\ntwo\r\n");
    EVERYWHERE(":0\r\n", "LLEN", "ff");
    /* one push of two elements serves both, oldest first */
    SEND(b, "BLPOP", "ff", "0");
    SILENT(b, 200);
    SEND(a, "BLPOP", "ff", "0");
    SILENT(a, 200);
    X(p, ":2\r\n", "RPUSH", "ff", "x", "y");
    REPLY_IS(b, "oldest", "*2\r\n$2\r\nff\r\n$1\r\nx\r\n");
    REPLY_IS(a, "next", "*2\r\n$2\r\nff\r\n$1\r\ny\r\n");
    EVERYWHERE(":0\r\n", "LLEN", "ff");
    test_done = true;
}

static void test_blocking_disconnect(void **state)
{
    rc_t *a = open_at(L), *p = open_at(L);
    SEND(a, "BLPOP", "dc", "0");
    SILENT(a, 300);
    close_conn(a);
    sleep_ms(300);
    X(p, ":1\r\n", "RPUSH", "dc", "kept");
    sleep_ms(300);
    EVERYWHERE("*1\r\n$4\r\nkept\r\n", "LRANGE", "dc", "0", "-1");
    /* the same through a follower: its session on the leader ends too */
    rc_t *f = open_at(F1);
    SEND(f, "BLPOP", "dc2", "0");
    SILENT(f, 300);
    close_conn(f);
    sleep_ms(300);
    X(p, ":1\r\n", "RPUSH", "dc2", "kept");
    sleep_ms(300);
    EVERYWHERE("*1\r\n$4\r\nkept\r\n", "LRANGE", "dc2", "0", "-1");
    test_done = true;
}

static void test_blmove_wakes(void **state)
{
    rc_t *a = open_at(L), *p = open_at(F2);
    SEND(a, "BLMOVE", "bm:src", "bm:dst", "RIGHT", "LEFT", "0");
    SILENT(a, 400);
    X(p, ":2\r\n", "RPUSH", "bm:src", "e1", "e2");
    REPLY_IS(a, "BLMOVE woken", "$2\r\ne2\r\n");
    EVERYWHERE("*1\r\n$2\r\ne1\r\n", "LRANGE", "bm:src", "0", "-1");
    EVERYWHERE("*1\r\n$2\r\ne2\r\n", "LRANGE", "bm:dst", "0", "-1");
    test_done = true;
}

static void test_bzpopmin_wakes(void **state)
{
    rc_t *a = open_at(L), *p = open_at(L);
    SEND(a, "BZPOPMIN", "bz", "0");
    SILENT(a, 400);
    X(p, ":2\r\n", "ZADD", "bz", "5", "five", "2", "two");
    REPLY_IS(a, "BZPOPMIN woken", "*3\r\n$2\r\nbz\r\n$3\r\ntwo\r\n$1\r\n2\r\n");
    EVERYWHERE("*2\r\n$4\r\nfive\r\n$1\r\n5\r\n", "ZRANGE", "bz", "0", "-1", "WITHSCORES");
    SEND(a, "BZPOPMAX", "bz:2", "0");
    SILENT(a, 300);
    X(p, ":1\r\n", "ZADD", "bz:2", "7", "seven");
    REPLY_IS(a, "BZPOPMAX woken", "*3\r\n$4\r\nbz:2\r\n$5\r\nseven\r\n$1\r\n7\r\n");
    EVERYWHERE(":0\r\n", "EXISTS", "bz:2");
    int64_t t0 = cl_mono_ms();
    X(a, NULLARR, "BZPOPMIN", "bz:3", "0.5");
    int64_t took = ms_since(t0);
    assert_true(took >= 450 && took <= 5000);
    X(a, OK, "MULTI");
    X(a, QUEUED, "BZPOPMIN", "bz:3", "0");
    X(a, QUEUED, "BZPOPMAX", "bz:3", "0");
    X(a, "*2\r\n*-1\r\n*-1\r\n", "EXEC");
    assert_true(ms_since(t0) < took + 1000);
    test_done = true;
}

static void test_blocking_in_multi(void **state)
{
    rc_t *a = open_at(L);
    X(a, OK, "MULTI");
    X(a, QUEUED, "BLPOP", "bm1", "0");
    X(a, QUEUED, "BLMOVE", "bm1", "bm2", "LEFT", "LEFT", "0");
    X(a, QUEUED, "SET", "bm:after", "1");
    int64_t t0 = cl_mono_ms();
    X(a, "*3\r\n*-1\r\n$-1\r\n+OK\r\n", "EXEC");
    assert_true(ms_since(t0) < 1000);
    EVERYWHERE("$1\r\n1\r\n", "GET", "bm:after");
    /* with something to pop it pops */
    X(a, ":1\r\n", "RPUSH", "bm1", "x");
    X(a, OK, "MULTI");
    X(a, QUEUED, "BLPOP", "bm1", "0");
    X(a, "*1\r\n*2\r\n$3\r\nbm1\r\n$1\r\nx\r\n", "EXEC");
    test_done = true;
}

static void test_blpop_via_follower(void **state)
{
    rc_t *a = open_at(F1), *p = open_at(F2);
    int64_t t0 = cl_mono_ms();
    SEND(a, "BLPOP", "bf", "0");
    /* longer than request_timeout_ms: a blocked pop is not a slow write */
    SILENT(a, CLUSTER_FAST_REQUEST_TIMEOUT_MS + 700);
    X(p, ":1\r\n", "LPUSH", "bf", "v");
    REPLY_IS(a, "BLPOP via a follower", "*2\r\n$2\r\nbf\r\n$1\r\nv\r\n");
    assert_true(ms_since(t0) >= CLUSTER_FAST_REQUEST_TIMEOUT_MS + 700);
    EVERYWHERE(":0\r\n", "LLEN", "bf");
    /* and its timeout */
    t0 = cl_mono_ms();
    X(a, NULLARR, "BLPOP", "bf", "1");
    int64_t took = ms_since(t0);
    assert_true(took >= 950 && took <= 5000);
    test_done = true;
}

/* A test on the group's cluster, or on a fresh cluster of its own. */
#define TEST(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)
#define FRESH_TEST(f) cmocka_unit_test_setup_teardown(f, fresh_setup, fresh_teardown)

int main(void)
{
    const struct CMUnitTest watch_tests[] = {
        TEST(test_watch_basic),
        TEST(test_watch_own_write),
        TEST(test_watch_key_positions),
        TEST(test_watch_forgotten),
        TEST(test_watch_inside_multi),
        TEST(test_watch_expiry),
        TEST(test_watch_missing_key),
        TEST(test_watch_noop_writes),
        TEST(test_watch_resp3),
        TEST(test_watch_numkeys),
        TEST(test_watch_blocking_pop_no_change),
        TEST(test_watch_via_follower_proxy),
        TEST(test_watch_via_follower_forgotten),
        TEST(test_watch_via_follower_resp3),
    };
    const struct CMUnitTest redirect_tests[] = {
        TEST(test_watch_via_follower_redirect),
    };
    const struct CMUnitTest failover_tests[] = {
        FRESH_TEST(test_watch_transfer_from_leader),
        FRESH_TEST(test_watch_transfer_and_back),
        FRESH_TEST(test_watch_transfer_via_follower),
        FRESH_TEST(test_watch_leader_killed),
        FRESH_TEST(test_blocked_leader_steps_down),
    };
    const struct CMUnitTest blocking_tests[] = {
        TEST(test_blpop_wakes),
        TEST(test_mpop_wakes_by_key),
        TEST(test_blocking_timeout),
        TEST(test_blocking_timeout_precise),
        TEST(test_blocking_timeout_kept_when_woken),
        TEST(test_blocking_fifo),
        TEST(test_blocking_disconnect),
        TEST(test_blmove_wakes),
        TEST(test_bzpopmin_wakes),
        TEST(test_blocking_in_multi),
        TEST(test_blpop_via_follower),
    };
    /* KEYWAIT_TEST=test_watch_* runs only the matching tests */
    const char *only = getenv("KEYWAIT_TEST");
    if (only && *only) cmocka_set_test_filter(only);
    int failed = cmocka_run_group_tests_name("watch", watch_tests, start_proxy, finish);
    failed += cmocka_run_group_tests_name("watch, follower_mode redirect", redirect_tests, start_redirect, finish);
    failed += cmocka_run_group_tests_name("leadership change", failover_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("blocking", blocking_tests, start_proxy, finish);
    return failed;
}
