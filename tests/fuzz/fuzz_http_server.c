// fuzz-sources: src/net/http.c
// fuzz-libs: -luv -lhttp_parser
/* libFuzzer target for the admin API's HTTP server (src/net/http.c): the
 * input is sent over a real loopback TCP connection to a server on a libuv
 * loop, and the server must answer and close without crashing, leaking
 * (ASan/LSan) or stalling.
 *
 * Input: a 5-byte header, then the bytes to send.
 *   byte 0, bit 0:  "wait" mode: the client never half-closes; it talks to a
 *                   second server with 5 ms request/idle timeouts and waits
 *                   for that server to close (408s, idle closes). Otherwise
 *                   the client half-closes after sending (the server must
 *                   then answer what came and close with no timer's help).
 *   bytes 1-2, 3-4: two positions (u16 LE, modulo the payload's length + 1)
 *                   where the payload is cut into up to three writes; each
 *                   write goes after a loop turn, so the server reads the
 *                   parts separately.
 * An input shorter than the header is sent whole, in normal mode.
 *
 * Both servers (started once, on a static loop) have max_body 4096. The
 * handler answers every request: 200 with the path as body (status from
 * the query's "s", so 1xx/204/304/odd statuses are covered too); "/later"
 * answers from a 0 ms timer (the asynchronous path), "/error" answers
 * http_respond_error with the body as the message. It reads the query with
 * http_query_param (a small buffer, to cut values) and touches every body
 * byte (ASan checks body_len).
 *
 * Per input the loop runs until the client has seen the server close and
 * every handle opened for the input is closed (connections, timers): a
 * watchdog timer (1 s) traps if that does not happen, so a stall is a crash.
 * In normal mode the server's timeouts are 10 s, so a connection that is
 * only ended by a timer trips the watchdog. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "net/http.h"

#define HDR 5
#define WATCHDOG_MS 1000

static uv_loop_t loop;
static http_server_t *srv_normal, *srv_wait;
static int port_normal, port_wait;
static int baseline; /* handles that live across inputs */

/* ---- the handler -------------------------------------------------------- */

typedef struct later {
    uv_timer_t t;
    http_request_t *req;
} later_t;

static void answer(http_request_t *req)
{
    char val[8];
    char big[512];
    int status = 200;
    if (http_query_param(req, "s", big, sizeof(big))) status = atoi(big);
    (void)http_query_param(req, "a", val, sizeof(val)); /* cut to 7 bytes */
    (void)http_query_param(req, "", NULL, 0);
    volatile unsigned sum = 0;
    for (size_t i = 0; i < req->body_len; i++) sum += (unsigned char)req->body[i];
    if (req->body[req->body_len] != '\0') __builtin_trap();
    sum += (unsigned)strlen(req->method) + (unsigned)strlen(req->authorization) +
           (unsigned)strlen(req->content_type) + (unsigned)strlen(req->peer_ip);
    (void)http_request_gone(req);
    if (strcmp(req->path, "/error") == 0)
        http_respond_error(req, status, req->body);
    else
        http_respond(req, status, "text/plain", req->path, strlen(req->path),
                     strcmp(req->path, "/redirect") == 0 ? "Location: /elsewhere" : NULL);
}

static void later_closed(uv_handle_t *h)
{
    free(h->data);
}

static void later_fire(uv_timer_t *t)
{
    later_t *l = t->data;
    answer(l->req);
    uv_close((uv_handle_t *)&l->t, later_closed);
}

static void handler(http_request_t *req)
{
    if (strcmp(req->path, "/later") == 0) {
        later_t *l = calloc(1, sizeof(*l));
        l->req = req;
        uv_timer_init(&loop, &l->t);
        l->t.data = l;
        uv_timer_start(&l->t, later_fire, 0, 0);
        return;
    }
    answer(req);
}

/* ---- the client ---------------------------------------------------------- */

static struct {
    uv_tcp_t tcp;
    uv_connect_t conn;
    uv_write_t wr;
    uv_shutdown_t shut;
    uv_timer_t next;     /* the next part goes after a loop turn */
    uv_timer_t watchdog; /* a stall traps */
    char *data;
    size_t part_off[3], part_len[3];
    int nparts, cur;
    bool wait_mode;
    bool closed;   /* the client's tcp is closed */
    bool closing;
    char rbuf[4096];
} cl;

static void cl_closed(uv_handle_t *h)
{
    (void)h;
    cl.closed = true;
}

static void cl_close(void)
{
    if (cl.closing) return;
    cl.closing = true;
    uv_timer_stop(&cl.next);
    uv_close((uv_handle_t *)&cl.tcp, cl_closed);
}

static void cl_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
    (void)h;
    (void)sz;
    *b = uv_buf_init(cl.rbuf, sizeof(cl.rbuf));
}

/* Whatever the server answers is dropped; its close (EOF, or a reset)
 * ends the client. */
static void cl_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    (void)s;
    (void)b;
    if (n < 0) cl_close();
}

static void cl_write_next(void);

static void cl_next_fire(uv_timer_t *t)
{
    (void)t;
    cl_write_next();
}

static void cl_written(uv_write_t *w, int status)
{
    (void)w;
    if (cl.closing) return;
    if (status < 0) return; /* the server closed early: wait for its EOF */
    cl.cur++;
    uv_timer_start(&cl.next, cl_next_fire, 0, 0);
}

static void cl_write_next(void)
{
    if (cl.closing) return;
    while (cl.cur < cl.nparts && cl.part_len[cl.cur] == 0) cl.cur++;
    if (cl.cur < cl.nparts) {
        uv_buf_t b = uv_buf_init(cl.data + cl.part_off[cl.cur], (unsigned)cl.part_len[cl.cur]);
        if (uv_write(&cl.wr, (uv_stream_t *)&cl.tcp, &b, 1, cl_written) != 0) cl_close();
        return;
    }
    if (!cl.wait_mode && uv_shutdown(&cl.shut, (uv_stream_t *)&cl.tcp, NULL) != 0) cl_close();
}

static void cl_connected(uv_connect_t *c, int status)
{
    (void)c;
    if (status < 0) {
        fprintf(stderr, "fuzz_http_server: connect: %s\n", uv_strerror(status));
        __builtin_trap();
    }
    if (cl.closing) return;
    uv_read_start((uv_stream_t *)&cl.tcp, cl_alloc, cl_read);
    cl_write_next();
}

static void on_watchdog(uv_timer_t *t)
{
    (void)t;
    fprintf(stderr, "fuzz_http_server: the server did not answer and close within %d ms (%s mode)\n",
            WATCHDOG_MS, cl.wait_mode ? "wait" : "half-close");
    uv_print_all_handles(&loop, stderr);
    __builtin_trap();
}

/* ---- setup ---------------------------------------------------------------- */

static void count_handle(uv_handle_t *h, void *arg)
{
    (void)h;
    (*(int *)arg)++;
}

static int count_handles(void)
{
    int n = 0;
    uv_walk(&loop, count_handle, &n);
    return n;
}

static void setup(void)
{
    if (uv_loop_init(&loop) != 0) abort();
    http_server_opts_t normal = {.max_body = 4096};
    http_server_opts_t fast = {.max_body = 4096, .request_timeout_ms = 5, .idle_timeout_ms = 5};
    if (http_server_start(&srv_normal, &loop, "127.0.0.1", 0, &normal, handler, NULL) != 0) abort();
    if (http_server_start(&srv_wait, &loop, "127.0.0.1", 0, &fast, handler, NULL) != 0) abort();
    port_normal = http_server_port(srv_normal);
    port_wait = http_server_port(srv_wait);
    uv_timer_init(&loop, &cl.next);
    uv_timer_init(&loop, &cl.watchdog);
    baseline = count_handles();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool started;
    if (!started) {
        setup();
        started = true;
    }
    uint8_t flags = 0;
    size_t p1 = 0, p2 = 0;
    if (size >= HDR) {
        flags = data[0];
        p1 = (size_t)data[1] | (size_t)data[2] << 8;
        p2 = (size_t)data[3] | (size_t)data[4] << 8;
        data += HDR;
        size -= HDR;
        p1 %= size + 1;
        p2 %= size + 1;
    }
    if (p1 > p2) {
        size_t t = p1;
        p1 = p2;
        p2 = t;
    }
    cl.data = malloc(size ? size : 1);
    if (size) memcpy(cl.data, data, size);
    cl.part_off[0] = 0, cl.part_len[0] = p1;
    cl.part_off[1] = p1, cl.part_len[1] = p2 - p1;
    cl.part_off[2] = p2, cl.part_len[2] = size - p2;
    cl.nparts = 3;
    cl.cur = 0;
    cl.wait_mode = flags & 1;
    cl.closed = cl.closing = false;

    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", cl.wait_mode ? port_wait : port_normal, &addr);
    uv_tcp_init(&loop, &cl.tcp);
    uv_tcp_nodelay(&cl.tcp, 1);
    if (uv_tcp_connect(&cl.conn, &cl.tcp, (const struct sockaddr *)&addr, cl_connected) != 0) abort();
    uv_timer_start(&cl.watchdog, on_watchdog, WATCHDOG_MS, 0);

    /* each turn either makes progress or blocks until an event: the server's
     * timers in wait mode, the watchdog if nothing else comes */
    while (!cl.closed || count_handles() > baseline) uv_run(&loop, UV_RUN_ONCE);
    uv_timer_stop(&cl.watchdog);
    free(cl.data);
    return 0;
}
