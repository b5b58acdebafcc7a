/* Unit tests for src/net/upstream.c, on a loop of their own, against a tiny
 * libuv server in the same loop that answers canned raw replies and writes
 * them in odd-sized pieces (one piece per loop iteration), so replies arrive
 * split at arbitrary points. Also against a real redis-server when one is
 * installed.
 *
 * The test server understands a few commands (parsed with resp/parser.c):
 *   RAW <bytes>   sends <bytes> as they are (a reply, half of one, garbage)
 *   ECHO <x>      a bulk string
 *   NUM <n>       ":<n>"
 *   ARGS ...      an array of its arguments as bulk strings
 *   CLOSE         closes the connection once everything before it was sent
 *   SILENT        no reply
 * and records every command it received. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net/upstream.h"
#include "resp/parser.h"
#include "support/proc.h"
#include "support/respcmp.h"

#define S(lit) lit, sizeof(lit) - 1
/* ASSERT_RESP with the expected bytes given as S("...") */
#define ASSERT_BYTES(got, gotlen, ...)                                                             \
    resp_assert_eq_(__FILE__, __LINE__, (got), (gotlen), __VA_ARGS__)
#define MAXEV 4096

/* ---- the test server -------------------------------------------------------- */

typedef struct tserver tserver_t;

typedef struct tconn {
    uv_tcp_t tcp;
    uv_idle_t idle; /* writes one piece per loop iteration */
    tserver_t *srv;
    char *q; /* received, not yet parsed */
    size_t qlen, qcap;
    resp_parser_t parser;
    rbuf_t out; /* replies not yet written */
    size_t outpos;
    size_t close_at; /* close once out has been written up to here (SIZE_MAX: no) */
    unsigned chunk;  /* index into the chunk sizes */
    int open_handles;
    bool closing;
    struct tconn *next;
} tconn_t;

struct tserver {
    uv_loop_t *loop;
    uv_tcp_t listener;
    int port;
    bool whole; /* write replies in one piece instead of odd chunks */
    tconn_t *conns;
    int ncmds;   /* commands received */
    rbuf_t args; /* of every command: "<argc>" then "<len>:<bytes>" each */
    bool listening;
};

static const unsigned chunk_sizes[] = {1, 2, 3, 5, 7, 11, 13, 1, 64, 4, 17, 1, 1, 300, 2, 700};

typedef struct wreq {
    uv_write_t req;
    char data[];
} wreq_t;

static void conn_closed(uv_handle_t *h)
{
    tconn_t *c = h->data;
    if (--c->open_handles > 0) return;
    tserver_t *s = c->srv;
    for (tconn_t **pp = &s->conns; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    resp_parser_free(&c->parser);
    rbuf_free(&c->out);
    free(c->q);
    free(c);
}

static void tconn_close(tconn_t *c)
{
    if (c->closing) return;
    c->closing = true;
    uv_close((uv_handle_t *)&c->tcp, conn_closed);
    uv_close((uv_handle_t *)&c->idle, conn_closed);
}

static void written(uv_write_t *req, int status)
{
    free(req);
}

/* One piece of the pending output per loop iteration (an idle handle runs
 * once per iteration, before the poll that lets the client read it; a 0 ms
 * timer re-armed in its callback would run again at once). */
static void tick(uv_idle_t *t)
{
    tconn_t *c = t->data;
    if (c->closing) return;
    size_t left = c->out.len - c->outpos;
    if (c->close_at != SIZE_MAX) left = c->close_at - c->outpos;
    if (left > 0) {
        size_t n = c->srv->whole
                       ? left
                       : chunk_sizes[c->chunk++ % (sizeof(chunk_sizes) / sizeof(unsigned))];
        if (n > left) n = left;
        wreq_t *w = malloc(sizeof(wreq_t) + n);
        memcpy(w->data, c->out.p + c->outpos, n);
        uv_buf_t b = uv_buf_init(w->data, (unsigned)n);
        if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, written) < 0) free(w);
        c->outpos += n;
        left -= n;
    }
    if (left > 0) return;
    uv_idle_stop(&c->idle);
    if (c->close_at != SIZE_MAX) tconn_close(c);
}

static void reply_raw(tconn_t *c, const void *p, size_t n)
{
    rbuf_append(&c->out, p, n);
    uv_idle_start(&c->idle, tick);
}

static void serve(tconn_t *c, int argc, const char **argv, const size_t *lens)
{
    tserver_t *s = c->srv;
    s->ncmds++;
    rbuf_printf(&s->args, "%d", argc);
    for (int i = 0; i < argc; i++) {
        rbuf_printf(&s->args, "%zu:", lens[i]);
        rbuf_append(&s->args, argv[i], lens[i]);
    }
    rbuf_t r = {0};
    if (!strcmp(argv[0], "RAW") && argc == 2) {
        rbuf_append(&r, argv[1], lens[1]);
    } else if (!strcmp(argv[0], "ECHO") && argc == 2) {
        rbuf_printf(&r, "$%zu\r\n", lens[1]);
        rbuf_append(&r, argv[1], lens[1]);
        rbuf_printf(&r, "\r\n");
    } else if (!strcmp(argv[0], "NUM") && argc == 2) {
        rbuf_printf(&r, ":%.*s\r\n", (int)lens[1], argv[1]);
    } else if (!strcmp(argv[0], "ARGS")) {
        rbuf_printf(&r, "*%d\r\n", argc - 1);
        for (int i = 1; i < argc; i++) {
            rbuf_printf(&r, "$%zu\r\n", lens[i]);
            rbuf_append(&r, argv[i], lens[i]);
            rbuf_printf(&r, "\r\n");
        }
    } else if (!strcmp(argv[0], "CLOSE")) {
        c->close_at = c->out.len;
        uv_idle_start(&c->idle, tick);
    } else if (!strcmp(argv[0], "SILENT")) {
    } else {
        rbuf_printf(&r, "-ERR unknown\r\n");
    }
    if (r.len && c->close_at == SIZE_MAX) reply_raw(c, r.p, r.len);
    rbuf_free(&r);
}

static void srv_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    tconn_t *c = h->data;
    if (c->qcap - c->qlen < 65536) {
        c->qcap = c->qcap * 2 + 65536;
        c->q = realloc(c->q, c->qcap);
    }
    buf->base = c->q + c->qlen;
    buf->len = c->qcap - c->qlen;
}

static void srv_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    tconn_t *c = st->data;
    if (nread < 0) {
        tconn_close(c);
        return;
    }
    c->qlen += (size_t)nread;
    size_t off = 0;
    while (off < c->qlen && !c->closing) {
        resp_status_t st2 = resp_parse(&c->parser, c->q + off, c->qlen - off);
        if (st2 == RESP_NEED_MORE) break;
        assert_int_not_equal(st2, RESP_ERROR);
        if (st2 == RESP_DONE) {
            const char *argv[64];
            char *base = c->q + off;
            int argc = c->parser.argc < 64 ? c->parser.argc : 64;
            /* NUL-terminate a copy of the name for strcmp */
            char name[16] = {0};
            memcpy(name, base + c->parser.argoff[0],
                   c->parser.arglen[0] < 15 ? c->parser.arglen[0] : 15);
            argv[0] = name;
            for (int i = 1; i < argc; i++)
                argv[i] = base + c->parser.argoff[i];
            serve(c, argc, argv, c->parser.arglen);
        }
        off += c->parser.consumed;
    }
    memmove(c->q, c->q + off, c->qlen - off);
    c->qlen -= off;
}

static void srv_accept(uv_stream_t *l, int status)
{
    tserver_t *s = l->data;
    tconn_t *c = calloc(1, sizeof(*c));
    c->srv = s;
    c->close_at = SIZE_MAX;
    resp_parser_init(&c->parser, NULL);
    uv_tcp_init(s->loop, &c->tcp);
    uv_idle_init(s->loop, &c->idle);
    c->tcp.data = c;
    c->idle.data = c;
    c->open_handles = 2;
    c->next = s->conns;
    s->conns = c;
    if (uv_accept(l, (uv_stream_t *)&c->tcp) != 0) {
        tconn_close(c);
        return;
    }
    uv_read_start((uv_stream_t *)&c->tcp, srv_alloc, srv_read);
}

static void tserver_start(tserver_t *s, uv_loop_t *loop)
{
    memset(s, 0, sizeof(*s));
    s->loop = loop;
    for (int attempt = 0; attempt < 10; attempt++) {
        s->port = proc_free_port();
        struct sockaddr_in a;
        uv_ip4_addr("127.0.0.1", s->port, &a);
        uv_tcp_init(loop, &s->listener);
        s->listener.data = s;
        if (uv_tcp_bind(&s->listener, (struct sockaddr *)&a, 0) == 0 &&
            uv_listen((uv_stream_t *)&s->listener, 16, srv_accept) == 0) {
            s->listening = true;
            return;
        }
        uv_close((uv_handle_t *)&s->listener, NULL);
        uv_run(loop, UV_RUN_NOWAIT);
    }
    fail_msg("no port to listen on");
}

static void tserver_stop(tserver_t *s)
{
    if (s->listening) uv_close((uv_handle_t *)&s->listener, NULL);
    s->listening = false;
    for (tconn_t *c = s->conns; c; c = c->next)
        tconn_close(c);
    rbuf_free(&s->args);
}

/* ---- what the upstream reported ---------------------------------------------- */

typedef struct event {
    char kind; /* 'r' reply, 'f' fail */
    int req;
    int status;
    bool sent;
    char *bytes;
    size_t len;
} event_t;

typedef struct tctx {
    uv_loop_t loop;
    uv_timer_t watchdog;
    tserver_t srv;
    upstream_t *u;
    bool closed; /* upstream_close was called */
    event_t ev[MAXEV];
    int nev;
    int downs, down_status;
    rbuf_t pushes;
    int npushes;
    /* behaviour of the callbacks */
    int close_on_reply; /* close inside the reply of this request (-1: no) */
    bool close_on_fail; /* close inside the first on_fail */
    bool close_on_down;
    int send_in_cb_status; /* what upstream_send returned inside a callback after close */
    bool send_from_fail;
    uv_handle_t *found;
} tctx_t;

static void cb_reply(void *ud, void *req_ud, const char *bytes, size_t len)
{
    tctx_t *t = ud;
    assert_true(t->nev < MAXEV);
    event_t *e = &t->ev[t->nev++];
    e->kind = 'r';
    e->req = (int)(intptr_t)req_ud;
    e->bytes = malloc(len ? len : 1);
    memcpy(e->bytes, bytes, len);
    e->len = len;
    if (e->req == t->close_on_reply) {
        upstream_close(t->u);
        t->closed = true;
        /* the rest failed inside the close; the reply stays readable */
        assert_memory_equal(e->bytes, bytes, len);
        const char *argv[] = {"NUM", "1"};
        size_t lens[] = {3, 1};
        t->send_in_cb_status = upstream_send(t->u, 2, argv, lens, (void *)(intptr_t)999);
    }
}

static void cb_fail(void *ud, void *req_ud, int status)
{
    tctx_t *t = ud;
    assert_true(t->nev < MAXEV);
    event_t *e = &t->ev[t->nev++];
    e->kind = 'f';
    e->req = (int)(intptr_t)req_ud;
    e->status = status;
    e->sent = upstream_fail_sent(t->u);
    if (t->send_from_fail) {
        const char *argv[] = {"NUM", "1"};
        size_t lens[] = {3, 1};
        t->send_in_cb_status = upstream_send(t->u, 2, argv, lens, (void *)(intptr_t)999);
    }
    if (t->close_on_fail && !t->closed) {
        t->closed = true;
        upstream_close(t->u);
    }
}

static void cb_push(void *ud, const char *bytes, size_t len)
{
    tctx_t *t = ud;
    rbuf_append(&t->pushes, bytes, len);
    t->npushes++;
}

static void cb_down(void *ud, int status)
{
    tctx_t *t = ud;
    t->downs++;
    t->down_status = status;
    if (t->close_on_down && !t->closed) {
        t->closed = true;
        upstream_close(t->u);
    }
}

static const upstream_cb_t callbacks = {cb_reply, cb_fail, cb_push, cb_down};
static const upstream_cb_t callbacks_nopush = {cb_reply, cb_fail, NULL, NULL};

static void watchdog(uv_timer_t *t) {}

static int setup(void **state)
{
    signal(SIGPIPE, SIG_IGN);
    tctx_t *t = calloc(1, sizeof(*t));
    assert_int_equal(uv_loop_init(&t->loop), 0);
    uv_timer_init(&t->loop, &t->watchdog);
    uv_timer_start(&t->watchdog, watchdog, 10, 10);
    uv_unref((uv_handle_t *)&t->watchdog);
    tserver_start(&t->srv, &t->loop);
    t->close_on_reply = -1;
    *state = t;
    return 0;
}

/* Closes whatever is open; every handle must be gone afterwards (a handle
 * the upstream forgot would make uv_loop_close fail). */
static int teardown(void **state)
{
    tctx_t *t = *state;
    if (t->u && !t->closed) upstream_close(t->u);
    tserver_stop(&t->srv);
    uv_close((uv_handle_t *)&t->watchdog, NULL);
    uv_run(&t->loop, UV_RUN_DEFAULT);
    int rc = uv_loop_close(&t->loop);
    for (int i = 0; i < t->nev; i++)
        free(t->ev[i].bytes);
    rbuf_free(&t->pushes);
    free(t);
    return rc == 0 ? 0 : -1;
}

/* Runs the loop until cond holds, at most 10 s. */
static void run_until(tctx_t *t, bool (*cond)(tctx_t *))
{
    uint64_t start = uv_now(&t->loop);
    while (!cond(t)) {
        uv_ref((uv_handle_t *)&t->watchdog);
        uv_run(&t->loop, UV_RUN_ONCE);
        uv_unref((uv_handle_t *)&t->watchdog);
        if (uv_now(&t->loop) - start > 10000) fail_msg("timed out with %d events", t->nev);
    }
}

static int want_events;
static bool have_events(tctx_t *t)
{
    return t->nev >= want_events;
}

static void wait_events(tctx_t *t, int n)
{
    want_events = n;
    run_until(t, have_events);
}

/* Runs a few more iterations, to see that nothing else arrives. */
static void settle(tctx_t *t)
{
    for (int i = 0; i < 20; i++) {
        uv_ref((uv_handle_t *)&t->watchdog);
        uv_run(&t->loop, UV_RUN_ONCE);
        uv_unref((uv_handle_t *)&t->watchdog);
    }
}

static void send_cmd(tctx_t *t, int req, int argc, const char *const *argv, const size_t *lens)
{
    size_t l[16];
    if (!lens) {
        for (int i = 0; i < argc; i++)
            l[i] = strlen(argv[i]);
        lens = l;
    }
    assert_int_equal(upstream_send(t->u, argc, argv, lens, (void *)(intptr_t)req), 0);
}

static void send2(tctx_t *t, int req, const char *a, const char *b, size_t blen)
{
    const char *argv[] = {a, b};
    size_t lens[] = {strlen(a), blen};
    send_cmd(t, req, 2, argv, lens);
}
#define SEND_RAW(t, req, lit) send2((t), (req), "RAW", lit, sizeof(lit) - 1)

static void assert_reply(const event_t *e, int req, const char *bytes, size_t len)
{
    if (e->kind != 'r')
        fail_msg("request %d: on_fail %d (%s), want a reply", req, e->status,
                 uv_strerror(e->status));
    assert_int_equal(e->req, req);
    ASSERT_RESP(e->bytes, e->len, bytes, len);
}

static void assert_fail(const event_t *e, int req, int status)
{
    if (e->kind != 'f')
        fail_msg("request %d: reply %s, want on_fail", req, resp_escape(e->bytes, e->len));
    assert_int_equal(e->req, req);
    if (e->status != status)
        fail_msg("request %d: status %s, want %s", req, uv_err_name(e->status),
                 uv_err_name(status));
}

static upstream_t *connect_test(tctx_t *t, const upstream_cb_t *cb)
{
    upstream_t *u = upstream_new(&t->loop, "127.0.0.1", t->srv.port, cb, t);
    assert_non_null(u);
    t->u = u;
    return u;
}

/* ---- tests -------------------------------------------------------------------- */

static const struct {
    const char *bytes;
    size_t len;
} canned[] = {
    {S("+OK\r\n")},
    {S("$-1\r\n")},
    {S("*-1\r\n")},
    {S("_\r\n")},
    {S("-ERR something\r\n")},
    {S(":-42\r\n")},
    {S("%2\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n")},
    {S("|1\r\n+key-popularity\r\n*1\r\n:1\r\n$5\r\nhello\r\n")},
    {S("=15\r\ntxt:Some string\r\n")},
    {S(",3.14\r\n")},
    {S("#t\r\n")},
    {S("(123456789012345678901234567890\r\n")},
    {S("!5\r\nerror\r\n")},
    {S("~2\r\n+a\r\n*0\r\n")},
    {S("*3\r\n*-1\r\n$-1\r\n*2\r\n$0\r\n\r\n:0\r\n")},
    {S("$4\r\n\r\n\r\n\r\n")},
};
#define NCANNED (int)(sizeof(canned) / sizeof(canned[0]))

/* Commands queued before the connection is up, answered in odd pieces:
 * each reply's exact bytes, in order; then a large reply. */
static void test_order_and_chunks(void **state)
{
    tctx_t *t = *state;
    upstream_t *u = connect_test(t, &callbacks);
    assert_false(upstream_connected(u));
    for (int i = 0; i < NCANNED; i++)
        send2(t, i, "RAW", canned[i].bytes, canned[i].len);
    assert_int_equal(upstream_pending(u), NCANNED);
    assert_int_equal(t->nev, 0); /* never from inside upstream_send */
    wait_events(t, NCANNED);
    assert_true(upstream_connected(u));
    assert_int_equal(upstream_pending(u), 0);
    for (int i = 0; i < NCANNED; i++)
        assert_reply(&t->ev[i], i, canned[i].bytes, canned[i].len);

    /* a 1 MB bulk string and a reply behind it, written whole */
    t->srv.whole = true;
    size_t big = 1 << 20;
    char *v = malloc(big);
    for (size_t i = 0; i < big; i++)
        v[i] = (char)(i * 7);
    send2(t, 100, "ECHO", v, big);
    send2(t, 101, "NUM", "7", 1);
    wait_events(t, NCANNED + 2);
    rbuf_t want = {0};
    rbuf_printf(&want, "$%zu\r\n", big);
    rbuf_append(&want, v, big);
    rbuf_printf(&want, "\r\n");
    assert_reply(&t->ev[NCANNED], 100, want.p, want.len);
    assert_reply(&t->ev[NCANNED + 1], 101, S(":7\r\n"));
    rbuf_free(&want);
    free(v);
    assert_int_equal(t->srv.ncmds, NCANNED + 2);
    assert_int_equal(t->downs, 0);
    assert_int_equal(upstream_status(u), 0);
}

/* 1000 commands pipelined at once, answered in odd pieces. */
static void test_pipeline_1000(void **state)
{
    tctx_t *t = *state;
    connect_test(t, &callbacks);
    wait_events(t, 0);
    char buf[32];
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(buf, sizeof(buf), "value-%d", i);
        send2(t, i, i % 2 ? "ECHO" : "NUM", buf + (i % 2 ? 0 : 6), (size_t)n - (i % 2 ? 0 : 6));
    }
    assert_int_equal(upstream_pending(t->u), 1000);
    wait_events(t, 1000);
    for (int i = 0; i < 1000; i++) {
        char want[64];
        int n = i % 2 ? snprintf(want, sizeof(want), "$%d\r\nvalue-%d\r\n",
                                 (int)strlen("value-") + snprintf(buf, sizeof(buf), "%d", i), i)
                      : snprintf(want, sizeof(want), ":%d\r\n", i);
        assert_reply(&t->ev[i], i, want, (size_t)n);
    }
    assert_int_equal(upstream_pending(t->u), 0);
    assert_int_equal(t->srv.ncmds, 1000);
}

/* The server closes in the middle of a reply: what was complete is
 * delivered, the rest fails with UV_EOF, the owner hears of it. */
static void test_server_closes_mid_reply(void **state)
{
    tctx_t *t = *state;
    upstream_t *u = connect_test(t, &callbacks);
    send2(t, 0, "NUM", "1", 1);
    send2(t, 1, "NUM", "2", 1);
    SEND_RAW(t, 2, "$10\r\nhel");
    const char *close_argv[] = {"CLOSE"};
    send_cmd(t, 3, 1, close_argv, NULL);
    send2(t, 4, "NUM", "3", 1);
    wait_events(t, 5);
    assert_reply(&t->ev[0], 0, S(":1\r\n"));
    assert_reply(&t->ev[1], 1, S(":2\r\n"));
    for (int i = 2; i < 5; i++) {
        assert_fail(&t->ev[i], i, UV_EOF);
        assert_true(t->ev[i].sent);
    }
    assert_int_equal(t->downs, 1);
    assert_int_equal(t->down_status, UV_EOF);
    assert_false(upstream_connected(u));
    assert_int_equal(upstream_status(u), UV_EOF);
    assert_int_equal(upstream_pending(u), 0);
    const char *argv[] = {"NUM", "5"};
    size_t lens[] = {3, 1};
    assert_int_equal(upstream_send(u, 2, argv, lens, NULL), UV_EOF);
    settle(t);
    assert_int_equal(t->nev, 5);
}

/* Nobody listens: every queued command fails, none was sent. */
static void test_connection_refused(void **state)
{
    tctx_t *t = *state;
    int port = proc_free_port();
    t->u = upstream_new(&t->loop, "127.0.0.1", port, &callbacks, t);
    assert_non_null(t->u);
    for (int i = 0; i < 5; i++)
        send2(t, i, "NUM", "1", 1);
    t->send_from_fail = true;
    wait_events(t, 5);
    for (int i = 0; i < 5; i++) {
        assert_fail(&t->ev[i], i, UV_ECONNREFUSED);
        assert_false(t->ev[i].sent);
    }
    assert_int_equal(t->send_in_cb_status, UV_ECONNREFUSED);
    assert_int_equal(t->downs, 1);
    assert_int_equal(t->down_status, UV_ECONNREFUSED);
    settle(t);
    assert_int_equal(t->nev, 5);
    assert_int_equal(upstream_pending(t->u), 0);
}

/* Bytes that are not RESP end the connection: UV_EPROTO for the command
 * that got them and every one after. */
static void test_garbage_reply(void **state)
{
    tctx_t *t = *state;
    upstream_t *u = connect_test(t, &callbacks);
    send2(t, 0, "NUM", "1", 1);
    SEND_RAW(t, 1, "?garbage\r\n");
    send2(t, 2, "NUM", "2", 1);
    wait_events(t, 3);
    assert_reply(&t->ev[0], 0, S(":1\r\n"));
    assert_fail(&t->ev[1], 1, UV_EPROTO);
    assert_fail(&t->ev[2], 2, UV_EPROTO);
    assert_int_equal(t->downs, 1);
    assert_int_equal(t->down_status, UV_EPROTO);
    assert_int_equal(upstream_status(u), UV_EPROTO);
}

static bool have_down(tctx_t *t)
{
    return t->downs > 0;
}

/* A header that cannot become valid is garbage at once, without waiting for
 * the rest; a reply to no command is garbage too. */
static void test_garbage_early_and_unsolicited(void **state)
{
    tctx_t *t = *state;
    upstream_t *u = connect_test(t, &callbacks);
    SEND_RAW(t, 0, "$12345678901234567890123");
    wait_events(t, 1);
    assert_fail(&t->ev[0], 0, UV_EPROTO);
    upstream_close(u);

    t->nev = 0;
    t->downs = 0;
    u = connect_test(t, &callbacks);
    SEND_RAW(t, 0, ":1\r\n:2\r\n"); /* two replies to one command */
    wait_events(t, 1);
    assert_reply(&t->ev[0], 0, S(":1\r\n"));
    run_until(t, have_down);
    assert_int_equal(t->down_status, UV_EPROTO);
    assert_int_equal(t->nev, 1);
}

/* upstream_close from inside on_reply: the commands behind fail with
 * UV_ECANCELED before it returns, nothing comes after, sending is refused. */
static void test_close_inside_reply(void **state)
{
    tctx_t *t = *state;
    connect_test(t, &callbacks);
    for (int i = 0; i < 10; i++)
        send2(t, i, "NUM", "5", 1);
    t->close_on_reply = 3;
    wait_events(t, 10);
    for (int i = 0; i <= 3; i++)
        assert_reply(&t->ev[i], i, S(":5\r\n"));
    for (int i = 4; i < 10; i++)
        assert_fail(&t->ev[i], i, UV_ECANCELED);
    assert_int_equal(t->send_in_cb_status, UV_ECANCELED);
    settle(t);
    assert_int_equal(t->nev, 10);
    assert_int_equal(t->downs, 0); /* the owner closed it: no on_down */
}

/* upstream_close from inside on_fail (after a refused connect) and from
 * inside on_down (after EOF): every command still fails exactly once. */
static void test_close_inside_fail_and_down(void **state)
{
    tctx_t *t = *state;
    int port = proc_free_port();
    t->u = upstream_new(&t->loop, "127.0.0.1", port, &callbacks, t);
    assert_non_null(t->u);
    for (int i = 0; i < 4; i++)
        send2(t, i, "NUM", "1", 1);
    t->close_on_fail = true;
    wait_events(t, 4);
    assert_fail(&t->ev[0], 0, UV_ECONNREFUSED);
    for (int i = 1; i < 4; i++) { /* failed by the close inside the first on_fail */
        assert_int_equal(t->ev[i].kind, 'f');
        assert_int_equal(t->ev[i].req, i);
    }
    settle(t);
    assert_int_equal(t->nev, 4);
    assert_int_equal(t->downs, 0);

    /* on_down */
    t->nev = 0;
    t->closed = false;
    t->close_on_fail = false;
    t->close_on_down = true;
    connect_test(t, &callbacks);
    const char *close_argv[] = {"CLOSE"};
    send_cmd(t, 0, 1, close_argv, NULL);
    send2(t, 1, "NUM", "1", 1);
    wait_events(t, 2);
    assert_fail(&t->ev[0], 0, UV_EOF);
    assert_fail(&t->ev[1], 1, UV_EOF);
    assert_int_equal(t->downs, 1);
    assert_true(t->closed);
    settle(t);
    assert_int_equal(t->nev, 2);
}

/* upstream_close right after upstream_new, with commands queued: they fail
 * at once as never sent; the connect in progress is cancelled quietly. */
static void test_close_before_connect(void **state)
{
    tctx_t *t = *state;
    upstream_t *u = connect_test(t, &callbacks);
    for (int i = 0; i < 3; i++)
        send2(t, i, "NUM", "1", 1);
    upstream_close(u);
    t->closed = true;
    assert_int_equal(t->nev, 3);
    for (int i = 0; i < 3; i++) {
        assert_fail(&t->ev[i], i, UV_ECANCELED);
        assert_false(t->ev[i].sent);
    }
    settle(t);
    assert_int_equal(t->nev, 3);
    assert_int_equal(t->srv.ncmds, 0);

    /* and after a failure, once the handle is already closed */
    t->closed = false;
    t->u = upstream_new(&t->loop, "127.0.0.1", proc_free_port(), &callbacks, t);
    assert_non_null(t->u);
    run_until(t, have_down);
    settle(t);
    upstream_close(t->u);
    t->closed = true;
}

/* The upstream's own TCP handle, found among the loop's handles. */
static void find_handle(uv_handle_t *h, void *arg)
{
    tctx_t *t = arg;
    if (h->type == UV_TCP && h->data == (void *)t->u) t->found = h;
}

static bool is_connected(tctx_t *t)
{
    return upstream_connected(t->u);
}

static void shutdown_done(uv_shutdown_t *req, int status)
{
    free(req);
}

/* Write errors. A uv_write refused at once (here: the handle was shut down
 * for writing behind the upstream's back) must not call back from inside
 * upstream_send: the command fails on a later iteration, never sent, and a
 * close from inside that on_fail is safe. A write failing in the kernel
 * (the socket shut down underneath libuv) fails through the write callback. */
static void test_write_errors(void **state)
{
    tctx_t *t = *state;
    connect_test(t, &callbacks);
    run_until(t, is_connected);
    uv_walk(&t->loop, find_handle, t);
    assert_non_null(t->found);
    uv_shutdown_t *sreq = malloc(sizeof(*sreq));
    assert_int_equal(uv_shutdown(sreq, (uv_stream_t *)t->found, shutdown_done), 0);
    send2(t, 0, "NUM", "1", 1);
    assert_int_equal(t->nev, 0);
    assert_false(upstream_connected(t->u));
    const char *argv[] = {"NUM", "2"};
    size_t lens[] = {3, 1};
    assert_int_equal(upstream_send(t->u, 2, argv, lens, NULL), UV_EPIPE);
    t->close_on_fail = true;
    wait_events(t, 1);
    assert_fail(&t->ev[0], 0, UV_EPIPE);
    assert_false(t->ev[0].sent);
    assert_true(t->closed);
    settle(t);
    assert_int_equal(t->nev, 1);
    assert_int_equal(t->downs, 0);

    t->nev = 0;
    t->closed = false;
    t->close_on_fail = false;
    t->found = NULL;
    connect_test(t, &callbacks);
    run_until(t, is_connected);
    uv_walk(&t->loop, find_handle, t);
    uv_os_fd_t fd;
    assert_int_equal(uv_fileno(t->found, &fd), 0);
    assert_int_equal(shutdown(fd, SHUT_WR), 0);
    send2(t, 0, "NUM", "1", 1);
    assert_int_equal(t->nev, 0);
    wait_events(t, 1);
    assert_int_equal(t->ev[0].kind, 'f');
    assert_true(t->ev[0].status == UV_EPIPE || t->ev[0].status == UV_EOF);
    run_until(t, have_down);
}

/* Arguments are binary-safe: NUL, CR LF, empty, large; the server receives
 * them exactly and its array reply comes back exactly. */
static void test_binary_argv(void **state)
{
    tctx_t *t = *state;
    connect_test(t, &callbacks_nopush);
    size_t big = 100000;
    char *bigarg = malloc(big);
    for (size_t i = 0; i < big; i++)
        bigarg[i] = (char)(i % 251);
    const char *argv[] = {"ARGS", "a\0b", "\r\n", "", "$-1\r\n", "*1\r\n", bigarg, "\r"};
    size_t lens[] = {4, 3, 2, 0, 5, 4, big, 1};
    int argc = 8;
    send_cmd(t, 0, argc, argv, lens);
    wait_events(t, 1);

    rbuf_t want = {0};
    rbuf_printf(&want, "*%d\r\n", argc - 1);
    for (int i = 1; i < argc; i++) {
        rbuf_printf(&want, "$%zu\r\n", lens[i]);
        rbuf_append(&want, argv[i], lens[i]);
        rbuf_printf(&want, "\r\n");
    }
    assert_reply(&t->ev[0], 0, want.p, want.len);
    rbuf_free(&want);

    rbuf_t got = {0};
    rbuf_printf(&got, "%d", argc);
    for (int i = 0; i < argc; i++) {
        rbuf_printf(&got, "%zu:", lens[i]);
        rbuf_append(&got, argv[i], lens[i]);
    }
    ASSERT_RESP(t->srv.args.p, t->srv.args.len, got.p, got.len);
    rbuf_free(&got);
    free(bigarg);

    /* argc < 1 is refused */
    assert_int_equal(upstream_send(t->u, 0, argv, lens, NULL), UV_EINVAL);
}

/* The reply size limit: a reply of exactly the limit passes; one above it
 * fails, also while it is still arriving. */
static void test_max_reply(void **state)
{
    tctx_t *t = *state;
    upstream_t *u = connect_test(t, &callbacks);
    upstream_set_max_reply(u, 1000);
    char raw[1100];
    int h = snprintf(raw, sizeof(raw), "$%d\r\n", 1000 - 4 - 2 - 2);
    memset(raw + h, 'x', (size_t)(1000 - h - 2));
    memcpy(raw + 998, "\r\n", 2);
    send2(t, 0, "RAW", raw, 1000);
    wait_events(t, 1);
    assert_reply(&t->ev[0], 0, raw, 1000);

    /* 1001 bytes in one go */
    h = snprintf(raw, sizeof(raw), "$%d\r\n", 1001 - 4 - 2 - 2);
    memset(raw + h, 'y', (size_t)(1001 - h - 2));
    memcpy(raw + 999, "\r\n", 2);
    send2(t, 1, "RAW", raw, 1001);
    send2(t, 2, "NUM", "1", 1);
    wait_events(t, 3);
    assert_fail(&t->ev[1], 1, UV_EMSGSIZE);
    assert_fail(&t->ev[2], 2, UV_EMSGSIZE);
    upstream_close(u);

    /* a huge bulk string, of which the server sends only the first 2000
     * bytes: the upstream gives up without waiting for the rest */
    t->nev = 0;
    u = connect_test(t, &callbacks);
    upstream_set_max_reply(u, 1000);
    char part[2000];
    h = snprintf(part, sizeof(part), "$100000000\r\n");
    memset(part + h, 'z', sizeof(part) - (size_t)h);
    send2(t, 0, "RAW", part, sizeof(part));
    wait_events(t, 1);
    assert_fail(&t->ev[0], 0, UV_EMSGSIZE);
}

/* A RESP3 push goes to on_push and answers no command. */
static void test_push(void **state)
{
    tctx_t *t = *state;
    connect_test(t, &callbacks);
    SEND_RAW(t, 0, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n:1\r\n");
    SEND_RAW(t, 1, "|1\r\n+a\r\n+b\r\n>1\r\n+p\r\n+OK\r\n");
    wait_events(t, 2);
    assert_reply(&t->ev[0], 0, S(":1\r\n"));
    assert_reply(&t->ev[1], 1, S("+OK\r\n"));
    assert_int_equal(t->npushes, 2);
    ASSERT_BYTES(t->pushes.p, t->pushes.len,
                 S(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n|1\r\n+a\r\n+b\r\n>1\r\n+p\r\n"));
}

/* Without on_push a push is an ordinary reply. */
static void test_push_without_handler(void **state)
{
    tctx_t *t = *state;
    connect_test(t, &callbacks_nopush);
    SEND_RAW(t, 0, ">1\r\n+p\r\n");
    wait_events(t, 1);
    assert_reply(&t->ev[0], 0, S(">1\r\n+p\r\n"));
}

static void test_bad_arguments(void **state)
{
    tctx_t *t = *state;
    assert_null(upstream_new(&t->loop, "localhost", t->srv.port, &callbacks, t));
    assert_null(upstream_new(&t->loop, "127.0.0.1:80", t->srv.port, &callbacks, t));
    assert_null(upstream_new(&t->loop, "", t->srv.port, &callbacks, t));
    assert_null(upstream_new(&t->loop, "127.0.0.1", 0, &callbacks, t));
    assert_null(upstream_new(&t->loop, "127.0.0.1", 65536, &callbacks, t));
    /* an IPv6 literal is accepted (whether ::1 answers depends on the host) */
    upstream_t *u = upstream_new(&t->loop, "::1", t->srv.port, &callbacks, t);
    assert_non_null(u);
    upstream_close(u);
    upstream_close(NULL);
}

/* ---- against redis-server ------------------------------------------------------ */

static void redis_cmd(tctx_t *t, int req, const char *a0, ...)
{
    const char *argv[16];
    int argc = 0;
    va_list ap;
    va_start(ap, a0);
    for (const char *a = a0; a && argc < 16; a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    send_cmd(t, req, argc, argv, NULL);
}
#define RCMD(t, req, ...) redis_cmd((t), (req), __VA_ARGS__, (const char *)NULL)

static void test_real_redis(void **state)
{
    tctx_t *t = *state;
    testproc_t srv;
    if (proc_start_redis(&srv) != 0) {
        fprintf(stderr, "redis-server not available: skipped\n");
        skip();
    }
    signal(SIGPIPE, SIG_IGN); /* proc's guard wants to kill us on SIGPIPE */
    t->u = upstream_new(&t->loop, "127.0.0.1", srv.port, &callbacks, t);
    assert_non_null(t->u);
    int n = 0;
    RCMD(t, n++, "SET", "k", "v");
    RCMD(t, n++, "GET", "k");
    RCMD(t, n++, "GET", "nokey");
    RCMD(t, n++, "DEL", "k");
    RCMD(t, n++, "MULTI");
    RCMD(t, n++, "SET", "k", "a\r\nb");
    RCMD(t, n++, "GET", "k");
    RCMD(t, n++, "LPOP", "k");
    RCMD(t, n++, "EXEC");
    RCMD(t, n++, "BLPOP", "nokey", "0.01");
    RCMD(t, n++, "HSET", "h", "f", "v");
    RCMD(t, n++, "HELLO", "3");
    RCMD(t, n++, "GET", "nokey");
    RCMD(t, n++, "HGETALL", "h");
    RCMD(t, n++, "BLPOP", "nokey", "0.01");
    RCMD(t, n++, "INCRBYFLOAT", "f", "1.5");
    RCMD(t, n++, "ZADD", "z", "2.5", "m");
    RCMD(t, n++, "ZSCORE", "z", "m");
    RCMD(t, n++, "NOSUCH");
    wait_events(t, n);
    int i = 0;
    assert_reply(&t->ev[i], i, S("+OK\r\n")), i++;
    assert_reply(&t->ev[i], i, S("$1\r\nv\r\n")), i++;
    assert_reply(&t->ev[i], i, S("$-1\r\n")), i++;
    assert_reply(&t->ev[i], i, S(":1\r\n")), i++;
    assert_reply(&t->ev[i], i, S("+OK\r\n")), i++;
    assert_reply(&t->ev[i], i, S("+QUEUED\r\n")), i++;
    assert_reply(&t->ev[i], i, S("+QUEUED\r\n")), i++;
    assert_reply(&t->ev[i], i, S("+QUEUED\r\n")), i++;
    assert_reply(&t->ev[i], i,
                 S("*3\r\n+OK\r\n$4\r\na\r\nb\r\n-WRONGTYPE Operation against a key holding the "
                   "wrong kind of "
                   "value\r\n")),
        i++;
    assert_reply(&t->ev[i], i, S("*-1\r\n")), i++;
    assert_reply(&t->ev[i], i, S(":1\r\n")), i++;
    assert_int_equal(t->ev[i].kind, 'r');
    assert_true(t->ev[i].len > 4 && memcmp(t->ev[i].bytes, "%7\r\n", 4) == 0), i++;
    assert_reply(&t->ev[i], i, S("_\r\n")), i++;
    assert_reply(&t->ev[i], i, S("%1\r\n$1\r\nf\r\n$1\r\nv\r\n")), i++;
    assert_reply(&t->ev[i], i, S("_\r\n")), i++;
    assert_reply(&t->ev[i], i, S("$3\r\n1.5\r\n")), i++;
    assert_reply(&t->ev[i], i, S(":1\r\n")), i++;
    assert_reply(&t->ev[i], i, S(",2.5\r\n")), i++;
    assert_reply(&t->ev[i], i, S("-ERR unknown command 'NOSUCH', with args beginning with: \r\n")),
        i++;
    assert_int_equal(upstream_pending(t->u), 0);

    /* redis-server going away fails what is outstanding */
    RCMD(t, 100, "BLPOP", "nokey", "0");
    settle(t);
    assert_int_equal(proc_finish(&srv), 0);
    wait_events(t, n + 1);
    assert_int_equal(t->ev[n].kind, 'f');
    assert_true(t->ev[n].sent);
    run_until(t, have_down);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_order_and_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipeline_1000, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_closes_mid_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connection_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_early_and_unsolicited, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_inside_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_inside_fail_and_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_before_connect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary_argv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_without_handler, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_real_redis, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
