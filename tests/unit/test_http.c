/* Unit tests for src/net/http.c: the server runs on a loop of the test's own,
 * driven from the test's thread one non-blocking step at a time while
 * clients on real sockets (non-blocking too) talk to it. Nothing runs on
 * another thread, so what the handler sees and when is deterministic; the
 * only waits are the timeouts under test (a few hundred ms each).
 *
 * The handler's endpoints:
 *   /async      answered 50 ms later from a timer
 *   /hold       kept in t.held until the test answers it
 *   /error      http_respond_error(409, t.err_msg)
 *   /redirect   307 with extra headers (the last without its CRLF)
 *   /big?n=N    N bytes of 'x'
 *   /nocontent  204
 *   anything else: an echo of the request as text */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/http.h"

/* ---- the server under test ----------------------------------------------- */

static struct {
    uv_loop_t loop;
    http_server_t *srv;
    int port;
    int calls;            /* handler calls */
    http_request_t *held; /* /hold */
    http_request_t *async_req;
    uv_timer_t async_timer;
    int64_t async_answered_ms;
    const char *err_msg;
    char last_path[256];
} t;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void async_fire(uv_timer_t *tm)
{
    (void)tm;
    http_request_t *r = t.async_req;
    t.async_req = NULL;
    t.async_answered_ms = now_ms();
    http_respond(r, 200, "text/plain", "async", 5, NULL);
}

static void handler(http_request_t *req)
{
    assert_ptr_equal(req->ud, &t);
    t.calls++;
    snprintf(t.last_path, sizeof(t.last_path), "%s", req->path);
    if (strcmp(req->path, "/async") == 0) {
        t.async_req = req;
        uv_timer_start(&t.async_timer, async_fire, 50, 0);
    } else if (strcmp(req->path, "/hold") == 0) {
        t.held = req;
    } else if (strcmp(req->path, "/error") == 0) {
        http_respond_error(req, 409, t.err_msg);
    } else if (strcmp(req->path, "/redirect") == 0) {
        http_respond(req, 307, NULL, "{}", 2, "Location: /there\r\nX-Two: 2");
    } else if (strcmp(req->path, "/nocontent") == 0) {
        http_respond(req, 204, NULL, NULL, 0, NULL);
    } else if (strcmp(req->path, "/big") == 0) {
        char v[32];
        size_t n = http_query_param(req, "n", v, sizeof(v)) ? (size_t)atol(v) : 0;
        char *b = malloc(n + 1);
        memset(b, 'x', n);
        http_respond(req, 200, "text/plain", b, n, NULL);
        free(b);
    } else {
        size_t cap = req->body_len + 1024;
        char *b = malloc(cap);
        int n = snprintf(b, cap, "%s %s ?%s ct=%s auth=%s peer=%s lo=%d len=%zu body=%s",
                         req->method, req->path, req->query, req->content_type, req->authorization,
                         req->peer_ip, req->peer_loopback, req->body_len, req->body);
        http_respond(req, 200, "text/plain", b, (size_t)n, NULL);
        free(b);
    }
}

static int start_on(const char *host, const http_server_opts_t *opts)
{
    memset(&t, 0, sizeof(t));
    assert_int_equal(uv_loop_init(&t.loop), 0);
    uv_timer_init(&t.loop, &t.async_timer);
    int rc = http_server_start(&t.srv, &t.loop, host, 0, opts, handler, &t);
    if (rc == 0) t.port = http_server_port(t.srv);
    return rc;
}

static void start(const http_server_opts_t *opts)
{
    assert_int_equal(start_on("127.0.0.1", opts), 0);
    assert_true(t.port > 0);
}

/* Stops the server and runs the loop until every handle is closed: the
 * loop closes cleanly and (under ASan) nothing leaks. */
static void stop(void)
{
    if (t.srv) http_server_stop(t.srv);
    t.srv = NULL;
    if (t.held) http_respond(t.held, 200, NULL, "{}", 2, NULL);
    t.held = NULL;
    if (t.async_req) http_respond(t.async_req, 200, NULL, "{}", 2, NULL);
    t.async_req = NULL;
    uv_close((uv_handle_t *)&t.async_timer, NULL);
    uv_run(&t.loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&t.loop), 0);
}

/* One step of the server's loop (never blocks) and a nap of at most 1 ms
 * (cut short when fd becomes readable). */
static void tick(int fd)
{
    uv_run(&t.loop, UV_RUN_NOWAIT);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    poll(&p, fd >= 0 ? 1 : 0, 1);
    uv_run(&t.loop, UV_RUN_NOWAIT);
}

static void pump(int ms)
{
    int64_t end = now_ms() + ms;
    while (now_ms() < end)
        tick(-1);
}

/* ---- the client ---------------------------------------------------------- */

typedef struct client {
    int fd;
    char *buf; /* received, not yet taken as a response */
    size_t len, cap;
    bool eof, reset;
} client_t;

typedef struct resp {
    int status;
    char head[20000];
    char *body;
    size_t len;
} resp_t;

static client_t *cl_connect_to(int family, const char *ip)
{
    client_t *c = calloc(1, sizeof(*c));
    c->fd = socket(family, SOCK_STREAM, 0);
    assert_true(c->fd >= 0);
    int rc;
    if (family == AF_INET6) {
        struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)t.port)};
        inet_pton(AF_INET6, ip, &a.sin6_addr);
        rc = connect(c->fd, (struct sockaddr *)&a, sizeof(a));
    } else {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)t.port)};
        inet_pton(AF_INET, ip, &a.sin_addr);
        rc = connect(c->fd, (struct sockaddr *)&a, sizeof(a));
    }
    assert_int_equal(rc, 0); /* the kernel completes it from the backlog */
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->cap = 1 << 16;
    c->buf = malloc(c->cap);
    return c;
}

static client_t *cl_connect(void)
{
    return cl_connect_to(AF_INET, "127.0.0.1");
}

static void cl_close(client_t *c)
{
    if (c->fd >= 0) close(c->fd);
    free(c->buf);
    free(c);
}

/* Closes with a reset (SO_LINGER 0) rather than a FIN. */
static void cl_reset(client_t *c)
{
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    close(c->fd);
    c->fd = -1;
}

/* Takes what the socket has (one read) into c->buf. */
static void cl_recv(client_t *c)
{
    if (c->eof) return;
    if (c->cap - c->len < 4096) {
        c->cap *= 2;
        c->buf = realloc(c->buf, c->cap);
    }
    ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
    if (n > 0)
        c->len += (size_t)n;
    else if (n == 0)
        c->eof = true;
    else if (errno != EAGAIN && errno != EWOULDBLOCK)
        c->eof = c->reset = true;
}

static void cl_send(client_t *c, const char *data, size_t len)
{
    size_t off = 0;
    int64_t end = now_ms() + 5000;
    while (off < len) {
        ssize_t n = send(c->fd, data + off, len - off, MSG_NOSIGNAL);
        if (n > 0)
            off += (size_t)n;
        else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            fail_msg("send: %s", strerror(errno));
        if (off < len) {
            tick(-1);
            cl_recv(c); /* the server may be waiting for us to read */
        }
        if (now_ms() > end) fail_msg("send stalled");
    }
}

static void cl_sends(client_t *c, const char *s)
{
    cl_send(c, s, strlen(s));
}

/* A header's value in a response head, or NULL. */
static const char *header(const resp_t *r, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    for (const char *p = strstr(r->head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, nl) == 0 && p[2 + nl] == ':') {
            const char *v = p + 3 + nl;
            while (*v == ' ')
                v++;
            const char *e = strstr(v, "\r\n");
            size_t l = e ? (size_t)(e - v) : strlen(v);
            snprintf(out, outlen, "%.*s", (int)l, v);
            return out;
        }
    }
    return NULL;
}

/* Cuts one response out of what was received; false while incomplete. A
 * response to HEAD has a length but no body (head_only). */
static bool take_resp(client_t *c, resp_t *r, bool head_only)
{
    char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
    if (!end) return false;
    size_t hl = (size_t)(end - c->buf) + 4;
    memset(r, 0, sizeof(*r));
    snprintf(r->head, sizeof(r->head), "%.*s",
             (int)(hl < sizeof(r->head) ? hl : sizeof(r->head) - 1), c->buf);
    r->status = atoi(c->buf + 9);
    char v[32];
    size_t blen = header(r, "Content-Length", v, sizeof(v)) && !head_only ? (size_t)atol(v) : 0;
    if (c->len < hl + blen) return false;
    r->body = malloc(blen + 1);
    memcpy(r->body, c->buf + hl, blen);
    r->body[blen] = '\0';
    r->len = blen;
    memmove(c->buf, c->buf + hl + blen, c->len - hl - blen);
    c->len -= hl + blen;
    return true;
}

/* Runs the loop until a whole response came (true) or the connection
 * ended or timeout_ms passed (false). */
static bool cl_read_resp_opt(client_t *c, resp_t *r, int timeout_ms, bool head_only)
{
    int64_t end = now_ms() + timeout_ms;
    for (;;) {
        if (take_resp(c, r, head_only)) return true;
        if (c->eof || now_ms() > end) return false;
        tick(c->fd);
        cl_recv(c);
    }
}

static void cl_read_resp(client_t *c, resp_t *r)
{
    if (!cl_read_resp_opt(c, r, 3000, false))
        fail_msg("no response (eof=%d, %zu bytes: %.*s)", c->eof, c->len,
                 (int)(c->len > 200 ? 200 : c->len), c->buf);
}

static void resp_free(resp_t *r)
{
    free(r->body);
    r->body = NULL;
}

/* Runs the loop until the server closes the connection; true if it did
 * within timeout_ms (and nothing more came). */
static bool cl_wait_eof(client_t *c, int timeout_ms)
{
    int64_t end = now_ms() + timeout_ms;
    while (!c->eof && now_ms() < end) {
        tick(c->fd);
        cl_recv(c);
    }
    return c->eof && c->len == 0;
}

/* One request on a new connection; the response's status. */
static int simple(const char *req, resp_t *r)
{
    client_t *c = cl_connect();
    cl_sends(c, req);
    cl_read_resp(c, r);
    cl_close(c);
    return r->status;
}

/* The server still answers a plain request. */
static void still_serving(void)
{
    resp_t r;
    assert_int_equal(simple("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n", &r), 200);
    assert_non_null(strstr(r.body, "GET /ok"));
    resp_free(&r);
}

/* An error answer from the server itself: its status, a JSON body, and the
 * connection closed after it. */
static void expect_error_and_close(client_t *c, int status, const char *msg_part)
{
    resp_t r;
    char v[64];
    cl_read_resp(c, &r);
    assert_int_equal(r.status, status);
    assert_string_equal(header(&r, "Content-Type", v, sizeof(v)), "application/json");
    assert_string_equal(header(&r, "Connection", v, sizeof(v)), "close");
    assert_true(strncmp(r.body, "{\"error\":\"", 10) == 0);
    assert_non_null(strstr(r.body, msg_part));
    resp_free(&r);
    assert_true(cl_wait_eof(c, 3000));
}

/* ---- tests --------------------------------------------------------------- */

static void test_keepalive(void **state)
{
    (void)state;
    start(NULL);
    client_t *c = cl_connect();
    resp_t r;
    char v[64];
    cl_sends(c, "GET /a/b HTTP/1.1\r\nHost: x\r\n\r\n");
    cl_read_resp(c, &r);
    assert_int_equal(r.status, 200);
    assert_true(strncmp(r.head, "HTTP/1.1 200 OK\r\n", 17) == 0);
    assert_string_equal(header(&r, "Connection", v, sizeof(v)), "keep-alive");
    assert_string_equal(header(&r, "Content-Type", v, sizeof(v)), "text/plain");
    assert_int_equal(atoi(header(&r, "Content-Length", v, sizeof(v))), (int)r.len);
    assert_string_equal(r.body, "GET /a/b ? ct= auth= peer=127.0.0.1 lo=1 len=0 body=");
    resp_free(&r);
    cl_sends(c, "GET /second HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok  \r\n\r\n");
    cl_read_resp(c, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body,
                        "GET /second ? ct= auth=Bearer tok peer=127.0.0.1 lo=1 len=0 body=");
    resp_free(&r);
    assert_false(c->eof);
    http_stats_t st;
    http_server_stats(t.srv, &st);
    assert_int_equal(st.requests, 2);
    assert_int_equal(st.connections, 1);
    assert_int_equal(st.bad_requests, 0);
    cl_close(c);
    stop();
}

static void test_pipelined(void **state)
{
    (void)state;
    start(NULL);
    client_t *c = cl_connect();
    cl_sends(c, "GET /1 HTTP/1.1\r\n\r\nPOST /2 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /3?q "
                "HTTP/1.1\r\n\r\n");
    const char *want[] = {"GET /1 ?", "POST /2 ?", "GET /3 ?q"};
    for (int i = 0; i < 3; i++) {
        resp_t r;
        cl_read_resp(c, &r);
        assert_int_equal(r.status, 200);
        assert_true(strncmp(r.body, want[i], strlen(want[i])) == 0);
        resp_free(&r);
    }
    /* many small requests without reading, then the answers, all in order */
    char *many = malloc(3000 * 40);
    size_t n = 0;
    for (int i = 0; i < 3000; i++)
        n += (size_t)sprintf(many + n, "GET /big?n=%d HTTP/1.1\r\n\r\n", 100 + i);
    cl_send(c, many, n);
    free(many);
    for (int i = 0; i < 3000; i++) {
        resp_t r;
        cl_read_resp(c, &r);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.len, 100 + i);
        resp_free(&r);
    }
    cl_close(c);
    stop();
}

/* The handler answers 50 ms later; the request behind it waits, unseen by
 * the handler until then. A pending request has no request timeout. */
static void test_async_in_order(void **state)
{
    (void)state;
    http_server_opts_t o = {.request_timeout_ms = 30};
    start(&o);
    client_t *c = cl_connect();
    int64_t t0 = now_ms();
    cl_sends(c, "GET /async HTTP/1.1\r\n\r\nGET /after HTTP/1.1\r\n\r\n");
    pump(25);
    assert_int_equal(t.calls, 1); /* the second is not parsed yet */
    assert_string_equal(t.last_path, "/async");
    resp_t r;
    cl_read_resp(c, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "async");
    assert_true(now_ms() - t0 >= 45);
    resp_free(&r);
    cl_read_resp(c, &r);
    assert_int_equal(r.status, 200);
    assert_true(strncmp(r.body, "GET /after", 10) == 0);
    resp_free(&r);
    assert_int_equal(t.calls, 2);
    cl_close(c);
    stop();
}

static void test_connection_close(void **state)
{
    (void)state;
    start(NULL);
    client_t *c = cl_connect();
    char v[64];
    cl_sends(c, "GET /x HTTP/1.1\r\nConnection: close\r\n\r\n");
    resp_t r;
    cl_read_resp(c, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(header(&r, "Connection", v, sizeof(v)), "close");
    resp_free(&r);
    assert_true(cl_wait_eof(c, 3000));
    cl_close(c);
    /* a request pipelined after Connection: close is not answered */
    c = cl_connect();
    cl_sends(c, "GET /x HTTP/1.1\r\nConnection: close\r\n\r\nGET /y HTTP/1.1\r\n\r\n");
    cl_read_resp(c, &r);
    assert_true(strncmp(r.body, "GET /x", 6) == 0);
    resp_free(&r);
    assert_true(cl_wait_eof(c, 3000));
    cl_close(c);
    assert_int_equal(t.calls, 2);
    stop();
}

static void test_http10(void **state)
{
    (void)state;
    start(NULL);
    char v[64];
    client_t *c = cl_connect();
    cl_sends(c, "GET /old HTTP/1.0\r\n\r\n");
    resp_t r;
    cl_read_resp(c, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(header(&r, "Connection", v, sizeof(v)), "close");
    resp_free(&r);
    assert_true(cl_wait_eof(c, 3000));
    cl_close(c);
    /* HTTP/1.0 asking for keep-alive keeps it */
    c = cl_connect();
    for (int i = 0; i < 2; i++) {
        cl_sends(c, "GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        cl_read_resp(c, &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(header(&r, "Connection", v, sizeof(v)), "keep-alive");
        resp_free(&r);
    }
    cl_close(c);
    stop();
}

static void test_head_and_no_content(void **state)
{
    (void)state;
    start(NULL);
    client_t *c = cl_connect();
    char v[64];
    resp_t r;
    cl_sends(c, "HEAD /big?n=10 HTTP/1.1\r\n\r\nGET /nocontent HTTP/1.1\r\n\r\nGET /redirect "
                "HTTP/1.1\r\n\r\n");
    assert_true(cl_read_resp_opt(c, &r, 3000, true));
    assert_int_equal(r.status, 200);
    assert_string_equal(header(&r, "Content-Length", v, sizeof(v)), "10");
    resp_free(&r);
    cl_read_resp(c, &r);
    assert_int_equal(r.status, 204);
    assert_null(header(&r, "Content-Length", v, sizeof(v)));
    resp_free(&r);
    cl_read_resp(c, &r);
    assert_int_equal(r.status, 307);
    assert_string_equal(header(&r, "Location", v, sizeof(v)), "/there");
    assert_string_equal(header(&r, "X-Two", v, sizeof(v)), "2");
    assert_string_equal(header(&r, "Content-Type", v, sizeof(v)), "application/json");
    assert_string_equal(r.body, "{}");
    resp_free(&r);
    /* a large answer */
    cl_sends(c, "GET /big?n=3000000 HTTP/1.1\r\n\r\n");
    cl_read_resp(c, &r);
    assert_int_equal(r.len, 3000000);
    resp_free(&r);
    cl_close(c);
    stop();
}

static void test_post_bodies(void **state)
{
    (void)state;
    start(NULL);
    client_t *c = cl_connect();
    resp_t r;
    cl_sends(c, "POST /p HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: "
                "11\r\n\r\n{\"a\":\"b c\"}");
    cl_read_resp(c, &r);
    assert_string_equal(
        r.body,
        "POST /p ? ct=application/json auth= peer=127.0.0.1 lo=1 len=11 body={\"a\":\"b c\"}");
    resp_free(&r);
    /* chunked, in pieces that split the chunk headers */
    const char *parts[] = {"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r",
                           "\nhello\r\n", "6\r\n wor", "ld\r\n0\r\n", "\r\n"};
    for (size_t i = 0; i < 5; i++) {
        cl_sends(c, parts[i]);
        pump(2);
    }
    cl_read_resp(c, &r);
    assert_string_equal(r.body, "POST /c ? ct= auth= peer=127.0.0.1 lo=1 len=11 body=hello world");
    resp_free(&r);
    /* an empty body, and a body with a NUL in it */
    cl_send(c, "PUT /z HTTP/1.1\r\nContent-Length: 3\r\n\r\na\0b", 41);
    cl_read_resp(c, &r);
    assert_non_null(strstr(r.body, "len=3 body=a"));
    resp_free(&r);
    cl_sends(c, "POST /e HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    cl_read_resp(c, &r);
    assert_non_null(strstr(r.body, "len=0 body="));
    resp_free(&r);
    /* Expect: 100-continue is answered before the body is sent */
    cl_sends(c, "POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
    int64_t end = now_ms() + 2000;
    while (!memmem(c->buf, c->len, "\r\n\r\n", 4) && now_ms() < end) {
        tick(c->fd);
        cl_recv(c);
    }
    assert_true(c->len >= 25 && memcmp(c->buf, "HTTP/1.1 100 Continue\r\n\r\n", 25) == 0);
    memmove(c->buf, c->buf + 25, c->len - 25);
    c->len -= 25;
    cl_sends(c, "ok");
    cl_read_resp(c, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "len=2 body=ok"));
    resp_free(&r);
    cl_close(c);
    stop();
}

static void test_body_limit(void **state)
{
    (void)state;
    http_server_opts_t o = {.max_body = 1000};
    start(&o);
    resp_t r;
    /* at the limit: fine */
    char *req = malloc(4096);
    int n = sprintf(req, "POST /p HTTP/1.1\r\nContent-Length: 1000\r\n\r\n");
    memset(req + n, 'b', 1000);
    client_t *c = cl_connect();
    cl_send(c, req, (size_t)n + 1000);
    cl_read_resp(c, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "len=1000"));
    resp_free(&r);
    cl_close(c);

    /* Content-Length over it: refused before the body is read, with or
     * without the body coming right behind */
    c = cl_connect();
    cl_sends(c, "POST /p HTTP/1.1\r\nContent-Length: 1001\r\n\r\n");
    expect_error_and_close(c, 413, "body");
    cl_close(c);
    c = cl_connect();
    n = sprintf(req, "POST /p HTTP/1.1\r\nContent-Length: 3000\r\n\r\n");
    memset(req + n, 'b', 3000);
    cl_send(c, req, (size_t)n + 3000);
    expect_error_and_close(c, 413, "body");
    cl_close(c);
    /* ... with much of the body sent already (unread by the server when it
     * answers; it lingers rather than reset the connection) */
    size_t big = 300000;
    char *bigreq = malloc(big + 100);
    n = sprintf(bigreq, "POST /p HTTP/1.1\r\nContent-Length: %zu\r\n\r\n", big);
    memset(bigreq + n, 'b', big);
    c = cl_connect();
    cl_send(c, bigreq, (size_t)n + big);
    free(bigreq);
    expect_error_and_close(c, 413, "body");
    cl_close(c);
    still_serving();

    /* chunked: as the chunks arrive, by a chunk's announced size or its data */
    c = cl_connect();
    cl_sends(c, "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    memset(req, 'c', 600);
    for (int i = 0; i < 2 && !c->eof; i++) {
        cl_sends(c, "258\r\n"); /* 600 */
        cl_send(c, req, 600);
        cl_sends(c, "\r\n");
        pump(5);
        cl_recv(c);
    }
    expect_error_and_close(c, 413, "body");
    cl_close(c);
    c = cl_connect();
    cl_sends(c, "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\n");
    expect_error_and_close(c, 413, "body");
    cl_close(c);
    assert_int_equal(t.calls, 2);
    still_serving();
    http_stats_t st;
    http_server_stats(t.srv, &st);
    assert_int_equal(st.bad_requests, 5);
    free(req);
    stop();
}

static void test_head_limit(void **state)
{
    (void)state;
    start(NULL);
    char *req = malloc(HTTP_MAX_HEAD * 2);
    /* just under the limit */
    int n = sprintf(req, "GET /h HTTP/1.1\r\nX-Big: ");
    memset(req + n, 'h', HTTP_MAX_HEAD - 200);
    n += HTTP_MAX_HEAD - 200;
    n += sprintf(req + n, "\r\n\r\n");
    client_t *c = cl_connect();
    cl_send(c, req, (size_t)n);
    resp_t r;
    cl_read_resp(c, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    cl_close(c);
    /* over it: in a header, and in the URL */
    n = sprintf(req, "GET /h HTTP/1.1\r\nX-Big: ");
    memset(req + n, 'h', HTTP_MAX_HEAD + 1000);
    n += HTTP_MAX_HEAD + 1000;
    n += sprintf(req + n, "\r\n\r\n");
    c = cl_connect();
    cl_send(c, req, (size_t)n);
    expect_error_and_close(c, 431, "16384");
    cl_close(c);
    n = sprintf(req, "GET /");
    memset(req + n, 'u', HTTP_MAX_HEAD + 10);
    n += HTTP_MAX_HEAD + 10;
    c = cl_connect();
    cl_send(c, req, (size_t)n); /* never finished: the limit is seen as it comes */
    expect_error_and_close(c, 431, "");
    cl_close(c);
    /* many small headers */
    n = sprintf(req, "GET / HTTP/1.1\r\n");
    while (n < HTTP_MAX_HEAD + 100)
        n += sprintf(req + n, "X-%d: v\r\n", n);
    n += sprintf(req + n, "\r\n");
    c = cl_connect();
    cl_send(c, req, (size_t)n);
    expect_error_and_close(c, 431, "");
    cl_close(c);
    free(req);
    assert_int_equal(t.calls, 1);
    still_serving();
    stop();
}

static void test_garbage(void **state)
{
    (void)state;
    start(NULL);
    const char *bad[] = {
        "\x01\x02 nonsense \r\n\r\n",
        "GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
        "GET /\x7f HTTP/1.1\r\n\r\n",
        "GET / HTTP/9.9.9\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab",
        "POST / HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "GET / HTTP/1.1\r\nAuthorization: a\r\nAuthorization: b\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        client_t *c = cl_connect();
        cl_sends(c, bad[i]);
        expect_error_and_close(c, 400, "");
        cl_close(c);
    }
    /* garbage after a good request on the same connection: the good one is answered */
    client_t *c = cl_connect();
    cl_sends(c, "GET /fine HTTP/1.1\r\n\r\n\x01\x02\x03\r\n\r\n");
    resp_t r;
    cl_read_resp(c, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    expect_error_and_close(c, 400, "malformed");
    cl_close(c);
    assert_int_equal(t.calls, 1);
    still_serving();
    http_stats_t st;
    http_server_stats(t.srv, &st);
    assert_int_equal(st.bad_requests, sizeof(bad) / sizeof(bad[0]) + 1);
    stop();
}

/* Deterministic noise: requests with bytes changed, cut, repeated; nothing
 * may crash or leak, and the server answers after it. */
static void test_noise(void **state)
{
    (void)state;
    http_server_opts_t o = {.max_body = 64};
    start(&o);
    const char *base =
        "POST /n?a=1&b HTTP/1.1\r\nHost: x\r\nContent-Type: a\r\nTransfer-Encoding: chunked\r\n"
        "Expect: 100-continue\r\n\r\n4\r\nabcd\r\n0\r\n\r\nGET / HTTP/1.0\r\nContent-Length: "
        "2\r\n\r\nxy";
    size_t blen = strlen(base);
    uint32_t seed = 12345;
    char buf[512];
    client_t *cs[8] = {0};
    for (int round = 0; round < 400; round++) {
        memcpy(buf, base, blen);
        size_t len = blen;
        int edits = 1 + round % 4;
        for (int e = 0; e < edits; e++) {
            seed = seed * 1103515245u + 12345u;
            size_t pos = (seed >> 8) % len;
            seed = seed * 1103515245u + 12345u;
            switch ((seed >> 16) % 4) {
            case 0:
                buf[pos] = (char)(seed >> 4);
                break;
            case 1:
                len = pos + 1;
                break;
            case 2:
                buf[pos] = "\r\n: 0-9aZ\t\x80"[(seed >> 3) % 12];
                break;
            default:
                buf[pos] = ' ';
                break;
            }
        }
        int slot = round % 8;
        if (cs[slot]) cl_close(cs[slot]);
        cs[slot] = cl_connect();
        cl_send(cs[slot], buf, len);
        tick(-1);
        cl_recv(cs[slot]);
    }
    pump(20);
    for (int i = 0; i < 8; i++)
        cl_close(cs[i]);
    pump(20);
    still_serving();
    stop();
}

static void test_slowloris(void **state)
{
    (void)state;
    http_server_opts_t o = {.request_timeout_ms = 300};
    start(&o);
    client_t *c = cl_connect();
    const char *slow = "GET /slow HTTP/1.1\r\nHost: x\r\nX-A: b\r\n";
    int64_t t0 = now_ms();
    for (const char *p = slow; *p && !c->len && !c->eof; p++) {
        cl_send(c, p, 1);
        int64_t next = now_ms() + 100;
        while (now_ms() < next && !c->len && !c->eof) {
            tick(c->fd);
            cl_recv(c);
        }
    }
    expect_error_and_close(c, 408, "300 ms");
    int64_t took = now_ms() - t0;
    assert_true(took >= 280 && took < 1500);
    cl_close(c);
    assert_int_equal(t.calls, 0);
    http_stats_t st;
    http_server_stats(t.srv, &st);
    assert_int_equal(st.timeouts, 1);
    still_serving();
    /* a slow body counts too */
    c = cl_connect();
    cl_sends(c, "POST /p HTTP/1.1\r\nContent-Length: 10\r\n\r\nab");
    expect_error_and_close(c, 408, "");
    cl_close(c);
    stop();
}

static void test_idle_timeout(void **state)
{
    (void)state;
    http_server_opts_t o = {.idle_timeout_ms = 200, .request_timeout_ms = 5000};
    start(&o);
    client_t *c = cl_connect();
    cl_sends(c, "GET /i HTTP/1.1\r\n\r\n");
    resp_t r;
    cl_read_resp(c, &r);
    resp_free(&r);
    int64_t t0 = now_ms();
    assert_true(cl_wait_eof(c, 2000));
    int64_t took = now_ms() - t0;
    assert_true(took >= 150 && took < 1000);
    assert_false(c->reset);
    cl_close(c);
    /* a connection that never sends a byte goes too */
    c = cl_connect();
    assert_true(cl_wait_eof(c, 2000));
    cl_close(c);
    /* a pending request is not idle */
    c = cl_connect();
    cl_sends(c, "GET /hold HTTP/1.1\r\n\r\n");
    pump(400);
    assert_non_null(t.held);
    assert_false(http_request_gone(t.held));
    http_respond(t.held, 200, NULL, "{}", 2, NULL);
    t.held = NULL;
    cl_read_resp(c, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    cl_close(c);
    stop();
}

static void test_query(void **state)
{
    (void)state;
    start(NULL);
    resp_t r;
    simple("GET /q?a=1&flag&x=y=z HTTP/1.1\r\n\r\n", &r);
    assert_true(strncmp(r.body, "GET /q ?a=1&flag&x=y=z ", 23) == 0);
    resp_free(&r);
    simple("GET /q? HTTP/1.1\r\n\r\n", &r);
    assert_true(strncmp(r.body, "GET /q ? ", 9) == 0);
    resp_free(&r);
    simple("GET /q#frag HTTP/1.1\r\n\r\n", &r);
    assert_true(strncmp(r.body, "GET /q ? ", 9) == 0);
    resp_free(&r);
    simple("GET http://host:8379/abs/path?k=v HTTP/1.1\r\n\r\n", &r);
    assert_true(strncmp(r.body, "GET /abs/path ?k=v ", 19) == 0);
    resp_free(&r);
    simple("GET /%41b HTTP/1.1\r\n\r\n", &r); /* the path stays as sent */
    assert_true(strncmp(r.body, "GET /%41b ?", 11) == 0);
    resp_free(&r);
    stop();

    /* http_query_param on its own */
    http_request_t q = {.query = "a=1&flag&x=y=z&empty=&&sp=a+b%20c%2&pct%3D=1&a=2"};
    char v[16];
    assert_true(http_query_param(&q, "a", v, sizeof(v)));
    assert_string_equal(v, "1"); /* the first wins */
    assert_true(http_query_param(&q, "flag", v, sizeof(v)));
    assert_string_equal(v, "");
    assert_true(http_query_param(&q, "x", v, sizeof(v)));
    assert_string_equal(v, "y=z");
    assert_true(http_query_param(&q, "empty", v, sizeof(v)));
    assert_string_equal(v, "");
    assert_true(http_query_param(&q, "sp", v, sizeof(v)));
    assert_string_equal(v, "a b c%2");
    assert_true(http_query_param(&q, "pct=", v, sizeof(v)));
    assert_string_equal(v, "1");
    assert_false(http_query_param(&q, "missing", v, sizeof(v)));
    assert_false(http_query_param(&q, "fla", v, sizeof(v)));
    assert_false(http_query_param(&q, "", v, sizeof(v)));
    assert_true(http_query_param(&q, "flag", NULL, 0));
    char small[3];
    assert_true(http_query_param(&q, "x", small, sizeof(small)));
    assert_string_equal(small, "y="); /* cut to fit */
    http_request_t none = {.query = ""};
    assert_false(http_query_param(&none, "a", v, sizeof(v)));
}

static void test_error_json(void **state)
{
    (void)state;
    start(NULL);
    resp_t r;
    t.err_msg = "say \"hi\" \\ back\n\t\x01\x1f caf\xc3\xa9";
    assert_int_equal(simple("GET /error HTTP/1.1\r\n\r\n", &r), 409);
    assert_string_equal(
        r.body, "{\"error\":\"say \\\"hi\\\" \\\\ back\\n\\t\\u0001\\u001f caf\xc3\xa9\"}\n");
    char v[64];
    assert_string_equal(header(&r, "Content-Type", v, sizeof(v)), "application/json");
    assert_true(strncmp(r.head, "HTTP/1.1 409 Conflict\r\n", 23) == 0);
    resp_free(&r);
    t.err_msg = "";
    simple("GET /error HTTP/1.1\r\n\r\n", &r);
    assert_string_equal(r.body, "{\"error\":\"\"}\n");
    resp_free(&r);
    stop();
}

static void test_max_conns(void **state)
{
    (void)state;
    http_server_opts_t o = {.max_conns = 2};
    start(&o);
    client_t *a = cl_connect(), *b = cl_connect();
    pump(20);
    client_t *c = cl_connect();
    assert_true(cl_wait_eof(c, 2000)); /* closed at once */
    cl_close(c);
    resp_t r;
    cl_sends(a, "GET /a HTTP/1.1\r\n\r\n");
    cl_read_resp(a, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    cl_close(a);
    pump(20); /* the server sees a's close */
    c = cl_connect();
    cl_sends(c, "GET /c HTTP/1.1\r\n\r\n");
    cl_read_resp(c, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    http_stats_t st;
    http_server_stats(t.srv, &st);
    assert_int_equal(st.rejected, 1);
    assert_int_equal(st.connections, 3);
    cl_close(b);
    cl_close(c);
    stop();
}

/* The client goes while its request waits: the handler's late answer only
 * frees it. */
static void test_client_gone(void **state)
{
    (void)state;
    start(NULL);
    /* closed (FIN): noticed, since a pending connection still reads */
    client_t *c = cl_connect();
    cl_sends(c, "GET /hold HTTP/1.1\r\n\r\n");
    pump(10);
    assert_non_null(t.held);
    assert_false(http_request_gone(t.held));
    cl_close(c);
    pump(20);
    assert_true(http_request_gone(t.held));
    http_respond(t.held, 200, NULL, "{}", 2, NULL);
    t.held = NULL;
    pump(20);
    still_serving();

    /* reset (RST) */
    c = cl_connect();
    cl_sends(c, "POST /hold HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi");
    pump(10);
    assert_non_null(t.held);
    cl_reset(c);
    pump(20);
    assert_true(http_request_gone(t.held));
    assert_null(t.held->conn);
    assert_string_equal(t.held->body, "hi"); /* still valid */
    http_respond_error(t.held, 503, "too late");
    t.held = NULL;
    cl_close(c);
    still_serving();

    /* a half-close still gets its answer */
    c = cl_connect();
    cl_sends(c, "GET /hold HTTP/1.1\r\n\r\n");
    pump(10);
    shutdown(c->fd, SHUT_WR);
    pump(10);
    assert_true(http_request_gone(t.held));
    http_respond(t.held, 200, NULL, "{}", 2, NULL);
    t.held = NULL;
    resp_t r;
    cl_read_resp(c, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    assert_true(cl_wait_eof(c, 2000));
    cl_close(c);

    /* the server stops while a request waits: answered after, only freed */
    c = cl_connect();
    cl_sends(c, "GET /hold HTTP/1.1\r\n\r\n");
    pump(10);
    assert_non_null(t.held);
    http_server_stop(t.srv);
    t.srv = NULL;
    assert_true(http_request_gone(t.held));
    pump(10);
    http_respond(t.held, 200, NULL, "{}", 2, NULL);
    t.held = NULL;
    cl_close(c);
    stop();
}

/* Loopback is told by the address: 127.0.0.0/8, ::1, ::ffff:127.x. */
static void test_peer_loopback(void **state)
{
    (void)state;
    if (start_on("::1", NULL) != 0) {
        uv_close((uv_handle_t *)&t.async_timer, NULL);
        uv_run(&t.loop, UV_RUN_DEFAULT);
        uv_loop_close(&t.loop);
        skip();
    }
    client_t *c = cl_connect_to(AF_INET6, "::1");
    resp_t r;
    cl_sends(c, "GET /v6 HTTP/1.1\r\n\r\n");
    cl_read_resp(c, &r);
    assert_non_null(strstr(r.body, "peer=::1 lo=1"));
    resp_free(&r);
    cl_close(c);
    stop();
    /* a dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d */
    assert_int_equal(start_on("::", NULL), 0);
    c = cl_connect_to(AF_INET, "127.0.0.1");
    cl_sends(c, "GET /v4 HTTP/1.1\r\n\r\n");
    cl_read_resp(c, &r);
    assert_non_null(strstr(r.body, "peer=::ffff:127.0.0.1 lo=1"));
    resp_free(&r);
    cl_close(c);
    stop();
}

static void test_start_errors(void **state)
{
    (void)state;
    memset(&t, 0, sizeof(t));
    uv_loop_init(&t.loop);
    http_server_t *s = (http_server_t *)1;
    assert_int_equal(http_server_start(&s, &t.loop, "not an address", 0, NULL, handler, &t),
                     UV_EINVAL);
    assert_null(s);
    http_server_t *a;
    assert_int_equal(http_server_start(&a, &t.loop, "127.0.0.1", 0, NULL, handler, &t), 0);
    assert_int_not_equal(
        http_server_start(&s, &t.loop, "127.0.0.1", http_server_port(a), NULL, handler, &t), 0);
    assert_null(s);
    http_server_stop(a);
    http_server_stop(NULL);
    uv_run(&t.loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&t.loop), 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keepalive),      cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_async_in_order), cmocka_unit_test(test_connection_close),
        cmocka_unit_test(test_http10),         cmocka_unit_test(test_head_and_no_content),
        cmocka_unit_test(test_post_bodies),    cmocka_unit_test(test_body_limit),
        cmocka_unit_test(test_head_limit),     cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_noise),          cmocka_unit_test(test_slowloris),
        cmocka_unit_test(test_idle_timeout),   cmocka_unit_test(test_query),
        cmocka_unit_test(test_error_json),     cmocka_unit_test(test_max_conns),
        cmocka_unit_test(test_client_gone),    cmocka_unit_test(test_peer_loopback),
        cmocka_unit_test(test_start_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
