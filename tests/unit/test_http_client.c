/* Unit tests for src/net/http_client.c, on real sockets on 127.0.0.1 (and
 * ::1 when there is one), everything on one loop of the test's own:
 *   - our HTTP server (net/http.h) for ordinary answers;
 *   - a raw server written here, which reads a request in full and then
 *     answers exact bytes (or nothing), and then closes, resets or keeps
 *     the connection open, for what our server never sends: chunked
 *     bodies, bodies ended by the close, 1xx, garbage, oversized answers.
 * Every callback is recorded in a result; the teardown runs the loop until
 * every handle is closed (uv_loop_close must succeed: the client left
 * nothing open) and checks that each callback ran exactly once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/http.h"
#include "net/http_client.h"

static uv_loop_t loop;
static uv_timer_t watchdog;
static bool watchdog_fired;

/* ---- results ------------------------------------------------------------- */

typedef struct result {
    int calls;
    int status;
    bool error_null;
    char error[512];
    char location[512];
    char *body;
    size_t body_len;
    bool body_terminated; /* body[body_len] was '\0' */
    http_client_t *h;     /* for cancel_self */
    bool cancel_self;     /* calls http_client_cancel on its own handle */
} result_t;

#define MAX_RESULTS 128
static result_t results[MAX_RESULTS];
static int nresults;

static result_t *new_result(void)
{
    assert_true(nresults < MAX_RESULTS);
    result_t *r = &results[nresults++];
    memset(r, 0, sizeof(*r));
    return r;
}

/* Records what the callback saw; assertions are made outside, by the
 * test, so that a failure never longjmps out of the middle of libuv. */
static void on_resp(void *ud, const http_client_resp_t *resp)
{
    result_t *r = ud;
    r->calls++;
    r->status = resp->status;
    r->error_null = resp->error == NULL;
    snprintf(r->error, sizeof(r->error), "%s", resp->error ? resp->error : "");
    snprintf(r->location, sizeof(r->location), "%s", resp->location ? resp->location : "(null)");
    free(r->body);
    r->body = malloc(resp->body_len + 1);
    memcpy(r->body, resp->body, resp->body_len);
    r->body[resp->body_len] = '\0';
    r->body_len = resp->body_len;
    r->body_terminated = resp->body[resp->body_len] == '\0';
    if (r->cancel_self) http_client_cancel(r->h); /* a no-op */
}

static void on_watchdog(uv_timer_t *t)
{
    (void)t;
    watchdog_fired = true;
}

/* Runs the loop until r's callback has run, or ms pass (the test fails). */
static void wait_for(result_t *r, int ms)
{
    watchdog_fired = false;
    uv_timer_start(&watchdog, on_watchdog, (uint64_t)ms, 0);
    while (r->calls == 0 && !watchdog_fired)
        uv_run(&loop, UV_RUN_ONCE);
    uv_timer_stop(&watchdog);
    if (r->calls == 0) fail_msg("no callback within %d ms", ms);
}

/* Runs the loop for about ms. */
static void pump(int ms)
{
    watchdog_fired = false;
    uv_timer_start(&watchdog, on_watchdog, (uint64_t)ms, 0);
    while (!watchdog_fired)
        uv_run(&loop, UV_RUN_ONCE);
}

static result_t *request(const char *method, const char *host, int port, const char *path,
                         const char *extra, const char *body, const char *ctype, int timeout_ms)
{
    result_t *r = new_result();
    r->h = http_client_request(&loop, method, host, port, path, extra, body,
                               body ? strlen(body) : 0, ctype, timeout_ms, on_resp, r);
    assert_non_null(r->h);
    assert_int_equal(r->calls, 0); /* never from inside the call */
    return r;
}

static result_t *get(const char *host, int port, const char *path)
{
    result_t *r = request("GET", host, port, path, NULL, NULL, NULL, 3000);
    wait_for(r, 5000);
    return r;
}

/* A failure: status 0, an error that says why, no location, no body. */
static void assert_failed(const result_t *r, const char *error_part)
{
    assert_int_equal(r->calls, 1);
    assert_int_equal(r->status, 0);
    assert_false(r->error_null);
    if (!strstr(r->error, error_part)) fail_msg("error \"%s\" lacks \"%s\"", r->error, error_part);
    assert_string_equal(r->location, "");
    assert_int_equal(r->body_len, 0);
}

static void assert_ok(const result_t *r, int status, const char *body)
{
    assert_int_equal(r->calls, 1);
    if (r->status != status) fail_msg("status %d (%s), not %d", r->status, r->error, status);
    assert_true(r->error_null);
    assert_true(r->body_terminated);
    if (body) {
        assert_int_equal(r->body_len, strlen(body));
        assert_string_equal(r->body, body);
    }
}

/* ---- our HTTP server ----------------------------------------------------- */

static http_server_t *srv;
static int srv_port;

/* /redirect: 307 with a Location; /big?n=N: N bytes of 'x'; anything
 * else: the request echoed as text. */
static void handler(http_request_t *req)
{
    if (strcmp(req->path, "/redirect") == 0) {
        http_respond(req, 307, NULL, "{\"error\":\"not the leader\"}", 26,
                     "Location: http://127.0.0.1:7001/cluster/join?x=1\r\n");
    } else if (strcmp(req->path, "/big") == 0) {
        char v[32];
        size_t n = http_query_param(req, "n", v, sizeof(v)) ? (size_t)atol(v) : 0;
        char *b = malloc(n + 1);
        memset(b, 'x', n);
        http_respond(req, 200, "text/plain", b, n, NULL);
        free(b);
    } else {
        char b[2048];
        int n = snprintf(b, sizeof(b), "%s %s ?%s ct=%s auth=%s body=%s", req->method, req->path,
                         req->query, req->content_type, req->authorization, req->body);
        http_respond(req, 200, "text/plain", b, (size_t)n, NULL);
    }
}

static void start_server(void)
{
    assert_int_equal(http_server_start(&srv, &loop, "127.0.0.1", 0, NULL, handler, NULL), 0);
    srv_port = http_server_port(srv);
}

/* ---- the raw server ------------------------------------------------------ */

enum { RAW_CLOSE, RAW_KEEP, RAW_RESET }; /* what follows the answer */

typedef struct rconn rconn_t;
typedef struct raw {
    uv_tcp_t listener;
    int port;
    const char *resp; /* NULL: never answers */
    size_t resp_len;
    int after;
    int conns;           /* accepted */
    int requests;        /* read in full */
    char last_req[4096]; /* the last request, head and body */
    rconn_t *open;
    bool listening;
} raw_t;

struct rconn {
    uv_tcp_t tcp;
    uv_write_t w;
    raw_t *raw;
    rconn_t *next, *prev;
    char buf[8192];
    size_t len;
    bool answered;
};

static raw_t raw;

static void rconn_closed(uv_handle_t *h)
{
    rconn_t *c = h->data;
    if (c->prev)
        c->prev->next = c->next;
    else
        c->raw->open = c->next;
    if (c->next) c->next->prev = c->prev;
    free(c);
}

static void rconn_close(rconn_t *c, bool reset)
{
    if (uv_is_closing((uv_handle_t *)&c->tcp)) return;
    if (reset) {
        uv_os_fd_t fd;
        struct linger l = {.l_onoff = 1, .l_linger = 0};
        if (uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    }
    uv_close((uv_handle_t *)&c->tcp, rconn_closed);
}

static void rconn_written(uv_write_t *w, int status)
{
    rconn_t *c = w->data;
    (void)status; /* the client may have gone (it refused an oversized answer) */
    if (c->raw->after != RAW_KEEP) rconn_close(c, c->raw->after == RAW_RESET);
}

static void rconn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    rconn_t *c = h->data;
    (void)suggested;
    if (c->len == sizeof(c->buf)) c->len = 0; /* only the start matters */
    *buf = uv_buf_init(c->buf + c->len, (unsigned)(sizeof(c->buf) - c->len));
}

/* A request is in when its head is and as many body bytes as its
 * Content-Length says; then the canned answer goes out. */
static void rconn_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    rconn_t *c = st->data;
    (void)buf;
    if (nread < 0) {
        rconn_close(c, false);
        return;
    }
    c->len += (size_t)nread;
    if (c->answered) return;
    char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
    if (!end) return;
    size_t head = (size_t)(end - c->buf) + 4;
    char *cl = memmem(c->buf, head, "Content-Length: ", 16);
    size_t blen = cl ? (size_t)atol(cl + 16) : 0;
    if (c->len < head + blen) return;
    c->answered = true;
    raw_t *r = c->raw;
    r->requests++;
    snprintf(r->last_req, sizeof(r->last_req), "%.*s", (int)c->len, c->buf);
    if (!r->resp) return; /* silent */
    if (r->resp_len == 0) {
        rconn_close(c, r->after == RAW_RESET);
        return;
    }
    uv_buf_t b = uv_buf_init((char *)r->resp, (unsigned)r->resp_len);
    c->w.data = c;
    uv_write(&c->w, (uv_stream_t *)&c->tcp, &b, 1, rconn_written);
}

static void raw_connection(uv_stream_t *l, int status)
{
    raw_t *r = l->data;
    if (status < 0) return;
    rconn_t *c = calloc(1, sizeof(*c));
    c->raw = r;
    uv_tcp_init(&loop, &c->tcp);
    c->tcp.data = c;
    c->next = r->open;
    if (r->open) r->open->prev = c;
    r->open = c;
    assert_int_equal(uv_accept(l, (uv_stream_t *)&c->tcp), 0);
    r->conns++;
    uv_read_start((uv_stream_t *)&c->tcp, rconn_alloc, rconn_read);
}

/* Listens on ip:0; false when the address is not available (no IPv6). */
static bool raw_start_on(const char *ip)
{
    memset(&raw, 0, sizeof(raw));
    struct sockaddr_storage a;
    int len = sizeof(a);
    if (strchr(ip, ':'))
        uv_ip6_addr(ip, 0, (struct sockaddr_in6 *)&a);
    else
        uv_ip4_addr(ip, 0, (struct sockaddr_in *)&a);
    uv_tcp_init(&loop, &raw.listener);
    raw.listener.data = &raw;
    raw.listening = true;
    if (uv_tcp_bind(&raw.listener, (struct sockaddr *)&a, 0) != 0 ||
        uv_listen((uv_stream_t *)&raw.listener, 16, raw_connection) != 0)
        return false;
    uv_tcp_getsockname(&raw.listener, (struct sockaddr *)&a, &len);
    raw.port = ntohs(a.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&a)->sin6_port
                                             : ((struct sockaddr_in *)&a)->sin_port);
    return true;
}

/* The raw server on 127.0.0.1, silent until told what to answer. */
static void raw_start(void)
{
    assert_true(raw_start_on("127.0.0.1"));
}

/* What the next connections get: len bytes of resp (NULL: nothing,
 * ever), then the connection is closed, reset or kept. */
static void raw_answer_n(const char *resp, size_t len, int after)
{
    raw.resp = resp;
    raw.resp_len = len;
    raw.after = after;
}

static void raw_answer(const char *resp, int after)
{
    raw_answer_n(resp, resp ? strlen(resp) : 0, after);
}

static void raw_listener_closed(uv_handle_t *h)
{
    ((raw_t *)h->data)->listening = false;
}

/* Closes the listener and every connection, and waits for their close
 * callbacks (so that raw can be started again, and the buffers of the
 * writes they cancel be freed). */
static void raw_stop(void)
{
    if (!raw.listening) return;
    for (rconn_t *c = raw.open; c; c = c->next)
        rconn_close(c, false);
    if (!uv_is_closing((uv_handle_t *)&raw.listener))
        uv_close((uv_handle_t *)&raw.listener, raw_listener_closed);
    while (raw.open || raw.listening)
        uv_run(&loop, UV_RUN_ONCE);
}

/* ---- setup and teardown -------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    assert_int_equal(uv_loop_init(&loop), 0);
    uv_timer_init(&loop, &watchdog);
    nresults = 0;
    srv = NULL;
    memset(&raw, 0, sizeof(raw));
    return 0;
}

/* Everything is closed and the loop runs dry: a handle the client left
 * open would keep it running (and uv_loop_close would fail); no callback
 * runs late or twice. */
static int teardown(void **state)
{
    (void)state;
    if (srv) http_server_stop(srv);
    srv = NULL;
    raw_stop();
    uv_close((uv_handle_t *)&watchdog, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    for (int i = 0; i < nresults; i++) {
        if (results[i].calls != 1) fail_msg("result %d: %d callbacks", i, results[i].calls);
        free(results[i].body);
    }
    return 0;
}

/* ---- tests --------------------------------------------------------------- */

/* 200 with a Content-Length body from our server: method, path, query,
 * content type, extra headers and body arrive; no Location. */
static void test_ok_content_length(void **state)
{
    (void)state;
    start_server();
    result_t *r = request("POST", "127.0.0.1", srv_port, "/cluster/join?dry=1",
                          "Authorization: Bearer tok", "{\"id\":4}", "application/json", 3000);
    wait_for(r, 5000);
    assert_ok(r, 200,
              "POST /cluster/join ?dry=1 ct=application/json auth=Bearer tok body={\"id\":4}");
    assert_string_equal(r->location, "");
    r = get("127.0.0.1", srv_port, "/status");
    assert_ok(r, 200, "GET /status ? ct= auth= body=");
    /* exactly the limit is fine */
    r = get("127.0.0.1", srv_port, "/big?n=1048576");
    assert_ok(r, 200, NULL);
    assert_int_equal(r->body_len, HTTP_CLIENT_MAX_BODY);
    assert_int_equal(strspn(r->body, "x"), HTTP_CLIENT_MAX_BODY);
}

/* The request's exact bytes. */
static void test_request_bytes(void **state)
{
    (void)state;
    raw_start();
    raw_answer("HTTP/1.1 204 No Content\r\n\r\n", RAW_CLOSE);
    result_t *r = request("POST", "127.0.0.1", raw.port, "/cluster/join", "X-A: 1\r\nX-B: 2",
                          "{\"id\":4}", "application/json", 3000);
    wait_for(r, 5000);
    assert_ok(r, 204, "");
    char want[512];
    snprintf(want, sizeof(want),
             "POST /cluster/join HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n"
             "Content-Length: 8\r\nContent-Type: application/json\r\nX-A: 1\r\nX-B: 2\r\n\r\n"
             "{\"id\":4}",
             raw.port);
    assert_string_equal(raw.last_req, want);
    r = request("GET", "127.0.0.1", raw.port, "/x", "X-C: 3\r\n", NULL, NULL, 3000);
    wait_for(r, 5000);
    snprintf(want, sizeof(want),
             "GET /x HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\nContent-Length: 0\r\n"
             "X-C: 3\r\n\r\n",
             raw.port);
    assert_string_equal(raw.last_req, want);
}

/* Chunked, with an extension and a trailer; the server keeps the
 * connection open, so the end is the last chunk, not the close. */
static void test_chunked(void **state)
{
    (void)state;
    raw_start();
    raw_answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nLocation: /x\r\n\r\n"
               "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nLocation: /trailer\r\n\r\n",
               RAW_KEEP);
    uint64_t t0 = uv_hrtime();
    result_t *r = request("GET", "127.0.0.1", raw.port, "/c", NULL, NULL, NULL, 3000);
    wait_for(r, 5000);
    assert_ok(r, 200, "hello world");
    assert_string_equal(r->location, "/x"); /* trailers do not count */
    assert_true((uv_hrtime() - t0) / 1000000 < 1000);
}

/* A body ended by the close: HTTP/1.0 without a length, and HTTP/1.1 with
 * Connection: close and no length. */
static void test_body_until_close(void **state)
{
    (void)state;
    raw_start();
    raw_answer("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the\r\nclose", RAW_CLOSE);
    result_t *r = get("127.0.0.1", raw.port, "/a");
    assert_ok(r, 200, "until the\r\nclose");
    raw_answer("HTTP/1.1 201 Created\r\nConnection: close\r\n\r\nxyz", RAW_CLOSE);
    r = get("127.0.0.1", raw.port, "/b");
    assert_ok(r, 201, "xyz");
    raw_answer("HTTP/1.0 200 OK\r\n\r\n", RAW_CLOSE); /* empty */
    r = get("127.0.0.1", raw.port, "/c");
    assert_ok(r, 200, "");
}

/* 307 from our server: status, Location, the body; the Location parses. */
static void test_redirect(void **state)
{
    (void)state;
    start_server();
    result_t *r = get("127.0.0.1", srv_port, "/redirect");
    assert_ok(r, 307, "{\"error\":\"not the leader\"}");
    assert_string_equal(r->location, "http://127.0.0.1:7001/cluster/join?x=1");
    char host[64], path[128];
    int port;
    assert_int_equal(
        http_client_parse_url(r->location, host, sizeof(host), &port, path, sizeof(path)), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 7001);
    assert_string_equal(path, "/cluster/join?x=1");
    /* a Location with blanks around it, and the first of two */
    raw_start();
    raw_answer("HTTP/1.1 307 Temporary Redirect\r\nLocation:   http://h:1/a  \r\n"
               "location: http://h:2/b\r\nContent-Length: 0\r\n\r\n",
               RAW_KEEP);
    r = get("127.0.0.1", raw.port, "/");
    assert_ok(r, 307, "");
    assert_string_equal(r->location, "http://h:1/a");
}

/* Interim 100 Continue before the answer, and HEAD (a length, no body). */
static void test_interim_and_head(void **state)
{
    (void)state;
    raw_start();
    raw_answer("HTTP/1.1 100 Continue\r\nLocation: /no\r\n\r\n"
               "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
               RAW_CLOSE);
    result_t *r = get("127.0.0.1", raw.port, "/");
    assert_ok(r, 201, "ok");
    assert_string_equal(r->location, "");
    /* an interim answer with a body (found by fuzz_http_client): the final
     * one's empty body is still an empty string */
    raw_answer("HTTP/1.1 100 Continue\r\nContent-Length: 3\r\n\r\nabc"
               "HTTP/1.1 204 No Content\r\n\r\n",
               RAW_CLOSE);
    r = get("127.0.0.1", raw.port, "/");
    assert_ok(r, 204, "");
    raw_answer("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", RAW_KEEP);
    r = request("HEAD", "127.0.0.1", raw.port, "/", NULL, NULL, NULL, 3000);
    wait_for(r, 2000); /* not the timeout: the body is not waited for */
    assert_ok(r, 200, "");
}

/* Nothing listens: refused, with the address in the message. */
static void test_refused(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    socklen_t len = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd); /* bound, never listened: the port is free and refuses */
    int port = ntohs(a.sin_port);
    result_t *r = get("127.0.0.1", port, "/");
    char want[96];
    snprintf(want, sizeof(want), "cannot connect to 127.0.0.1 port %d: connection refused", port);
    assert_failed(r, want);
}

/* A server that accepts and never answers: the timeout ends it, once. */
static void test_timeout(void **state)
{
    (void)state;
    raw_start();
    uint64_t t0 = uv_hrtime();
    result_t *r = request("GET", "127.0.0.1", raw.port, "/", NULL, NULL, NULL, 200);
    wait_for(r, 3000);
    uint64_t ms = (uv_hrtime() - t0) / 1000000;
    assert_failed(r, "no response within 200 ms (waiting for the response)");
    assert_true(ms >= 190 && ms < 1500);
    assert_int_equal(raw.requests, 1); /* it had the request */
    pump(50);                          /* the server sees the close */
    assert_null(raw.open);
}

/* Answers that are not HTTP, or cut short. */
static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *resp;
        int after;
        const char *error;
    } cases[] = {
        {"HELLO WORLD\r\n\r\n", RAW_CLOSE, "malformed response"},
        {"HTTP/1.1 2x0 OK\r\n\r\n", RAW_CLOSE, "malformed response"},
        {"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", RAW_CLOSE, "malformed response"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", RAW_CLOSE,
         "malformed response"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", RAW_KEEP,
         "malformed response"},
        {"HTTP/1.1 200 OK\r\nNo colon\r\n\r\n", RAW_KEEP, "malformed response"},
        {"HTTP/1.1 099 Low\r\n\r\n", RAW_KEEP, "status below 100"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", RAW_CLOSE,
         "closed before the response was complete"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", RAW_CLOSE,
         "closed before the response was complete"},
        {"HTTP/1.1 200 O", RAW_CLOSE, "closed before the response was complete"},
        {"", RAW_CLOSE, "closed without a response"},
        {"", RAW_RESET, ""}, /* "connection lost" or "closed": either way no response */
    };
    raw_start();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        raw_answer(cases[i].resp, cases[i].after);
        result_t *r = request("GET", "127.0.0.1", raw.port, "/", NULL, NULL, NULL, 3000);
        wait_for(r, 5000);
        assert_failed(r, cases[i].error);
    }
}

/* Answers over the limits: each refused as soon as it is known, without
 * waiting for the rest (the server keeps the connection open). */
static void test_oversized(void **state)
{
    (void)state;
    raw_start();
    /* announced by Content-Length */
    raw_answer("HTTP/1.1 200 OK\r\nContent-Length: 1048577\r\n\r\nxx", RAW_KEEP);
    result_t *r = get("127.0.0.1", raw.port, "/");
    assert_failed(r, "response body over 1 MB (its Content-Length)");
    /* a chunk announced over it */
    raw_answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\nxx", RAW_KEEP);
    r = get("127.0.0.1", raw.port, "/");
    assert_failed(r, "response body over 1 MB");
    /* chunks that add up to more */
    char *big[3];
    size_t n[3] = {0};
    for (int k = 0; k < 3; k++)
        big[k] = malloc(2 * 1024 * 1024);
    n[0] = (size_t)sprintf(big[0], "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 17; i++) { /* 17 x 64 KB */
        n[0] += (size_t)sprintf(big[0] + n[0], "10000\r\n");
        memset(big[0] + n[0], 'c', 65536);
        n[0] += 65536;
        n[0] += (size_t)sprintf(big[0] + n[0], "\r\n");
    }
    raw_answer_n(big[0], n[0], RAW_KEEP);
    r = get("127.0.0.1", raw.port, "/");
    assert_failed(r, "response body over 1 MB");
    /* ended by the close, one byte too many */
    n[1] = (size_t)sprintf(big[1], "HTTP/1.0 200 OK\r\n\r\n");
    memset(big[1] + n[1], 'b', HTTP_CLIENT_MAX_BODY + 1);
    n[1] += HTTP_CLIENT_MAX_BODY + 1;
    raw_answer_n(big[1], n[1], RAW_CLOSE);
    r = get("127.0.0.1", raw.port, "/");
    assert_failed(r, "response body over 1 MB");
    /* a head over http-parser's limit */
    n[2] = (size_t)sprintf(big[2], "HTTP/1.1 200 OK\r\nX-Big: ");
    memset(big[2] + n[2], 'h', 100 * 1024);
    n[2] += 100 * 1024;
    n[2] += (size_t)sprintf(big[2] + n[2], "\r\nContent-Length: 0\r\n\r\n");
    raw_answer_n(big[2], n[2], RAW_KEEP);
    r = get("127.0.0.1", raw.port, "/");
    assert_failed(r, "response head over http-parser's limit");
    raw_stop(); /* the writes end before their buffers go */
    for (int k = 0; k < 3; k++)
        free(big[k]);
}

/* Cancel at each stage: the callback runs inside http_client_cancel, once,
 * with "cancelled"; the handles close and the memory goes afterwards. */
static void test_cancel(void **state)
{
    (void)state;
    raw_start();
    /* before the loop ever ran for it */
    result_t *r = request("GET", "127.0.0.1", raw.port, "/", NULL, NULL, NULL, 3000);
    http_client_cancel(r->h);
    assert_failed(r, "cancelled");
    /* waiting for the answer */
    r = request("GET", "127.0.0.1", raw.port, "/", NULL, NULL, NULL, 3000);
    while (raw.requests == 0)
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(r->calls, 0);
    http_client_cancel(r->h);
    assert_failed(r, "cancelled");
    pump(30);
    assert_int_equal(r->calls, 1);
    /* while the name is being resolved on the thread pool */
    r = request("GET", "localhost", raw.port, "/", NULL, NULL, NULL, 3000);
    uv_run(&loop, UV_RUN_NOWAIT); /* starts the resolve */
    http_client_cancel(r->h);
    assert_failed(r, "cancelled");
    /* from inside its own callback: nothing more happens */
    raw_answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", RAW_KEEP);
    r = new_result();
    r->cancel_self = true;
    r->h = http_client_request(&loop, "GET", "127.0.0.1", raw.port, "/", NULL, NULL, 0, NULL, 3000,
                               on_resp, r);
    wait_for(r, 5000);
    assert_ok(r, 200, "ok");
    /* the timer of a cancelled request does not fire later */
    r = request("GET", "127.0.0.1", raw.port, "/", NULL, NULL, NULL, 50);
    uv_run(&loop, UV_RUN_NOWAIT);
    http_client_cancel(r->h);
    pump(120);
    assert_failed(r, "cancelled");
}

/* Names go through the resolver; an IPv6 literal is used as it is (and in
 * brackets in Host). */
static void test_names_and_ipv6(void **state)
{
    (void)state;
    start_server();
    result_t *r = get("localhost", srv_port, "/by-name");
    assert_ok(r, 200, "GET /by-name ? ct= auth= body=");
    r = request("GET", "nonexistent.invalid", srv_port, "/", NULL, NULL, NULL, 2000);
    wait_for(r, 30000);
    assert_int_equal(r->status, 0); /* "cannot resolve", or the timeout if DNS is slow */
    assert_true(strstr(r->error, "cannot resolve nonexistent.invalid") ||
                strstr(r->error, "resolving the host"));
    if (!raw_start_on("::1")) {
        print_message("no ::1 here: the IPv6 part is skipped\n");
        return;
    }
    raw_answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nv6", RAW_CLOSE);
    r = get("::1", raw.port, "/six");
    assert_ok(r, 200, "v6");
    char want[128];
    snprintf(want, sizeof(want), "GET /six HTTP/1.1\r\nHost: [::1]:%d\r\n", raw.port);
    assert_true(strncmp(raw.last_req, want, strlen(want)) == 0);
}

/* Arguments that cannot make a request: reported through the callback,
 * from the loop, like any failure. */
static void test_bad_arguments(void **state)
{
    (void)state;
    static const struct {
        const char *method, *host;
        int port;
        const char *path, *extra, *ctype;
    } cases[] = {
        {"GET", "127.0.0.1", 0, "/", NULL, NULL},
        {"GET", "127.0.0.1", 65536, "/", NULL, NULL},
        {"GET", "127.0.0.1", -1, "/", NULL, NULL},
        {"GET", "127.0.0.1", 80, "nopath", NULL, NULL},
        {"GET", "127.0.0.1", 80, "/a b", NULL, NULL},
        {"GET", "127.0.0.1", 80, "/a\r\nX: y", NULL, NULL},
        {"GET", "127.0.0.1", 80, NULL, NULL, NULL},
        {"get", "127.0.0.1", 80, "/", NULL, NULL},
        {"G T", "127.0.0.1", 80, "/", NULL, NULL},
        {NULL, "127.0.0.1", 80, "/", NULL, NULL},
        {"GET", "", 80, "/", NULL, NULL},
        {"GET", NULL, 80, "/", NULL, NULL},
        {"GET", "a b", 80, "/", NULL, NULL},
        {"GET", "[::1]", 80, "/", NULL, NULL},
        {"GET", "127.0.0.1", 80, "/", "X: 1\r\n\r\nGET / HTTP/1.1", NULL},
        {"GET", "127.0.0.1", 80, "/", "\r\n", NULL},
        {"GET", "127.0.0.1", 80, "/", NULL, "text/plain\r\nX: 1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        result_t *r = new_result();
        r->h =
            http_client_request(&loop, cases[i].method, cases[i].host, cases[i].port, cases[i].path,
                                cases[i].extra, NULL, 0, cases[i].ctype, 1000, on_resp, r);
        assert_non_null(r->h);
        assert_int_equal(r->calls, 0);
        wait_for(r, 2000);
        assert_failed(r, "invalid request");
    }
    result_t *r = new_result(); /* a body_len without a body */
    r->h = http_client_request(&loop, "POST", "127.0.0.1", 80, "/", NULL, NULL, 5, NULL, 1000,
                               on_resp, r);
    wait_for(r, 2000);
    assert_failed(r, "invalid request");
    /* no loop or no callback: no request at all */
    assert_null(http_client_request(NULL, "GET", "h", 1, "/", NULL, NULL, 0, NULL, 0, on_resp, r));
    assert_null(http_client_request(&loop, "GET", "h", 1, "/", NULL, NULL, 0, NULL, 0, NULL, r));
    http_client_cancel(NULL);
}

/* Many at once, each with its own answer. */
static void test_concurrent(void **state)
{
    (void)state;
    start_server();
    result_t *rs[40];
    char path[32];
    for (int i = 0; i < 40; i++) {
        snprintf(path, sizeof(path), "/n?i=%d", i);
        rs[i] = request("GET", "127.0.0.1", srv_port, path, NULL, NULL, NULL, 5000);
    }
    for (int i = 0; i < 40; i++) {
        wait_for(rs[i], 8000);
        char want[64];
        snprintf(want, sizeof(want), "GET /n ?i=%d ct= auth= body=", i);
        assert_ok(rs[i], 200, want);
    }
}

static void test_parse_url(void **state)
{
    (void)state;
    static const struct {
        const char *url, *host;
        int port;
        const char *path;
    } good[] = {
        {"http://127.0.0.1:8080/cluster/join", "127.0.0.1", 8080, "/cluster/join"},
        {"http://node1:7001", "node1", 7001, "/"},
        {"http://node1:7001/", "node1", 7001, "/"},
        {"HTTP://Node-1.example_x:1/a?b=c&d#frag", "Node-1.example_x", 1, "/a?b=c&d"},
        {"http://[::1]:9000/x", "::1", 9000, "/x"},
        {"[::1]:9000", "::1", 9000, "/"},
        {"[fe80::1%eth0]:9000", "fe80::1%eth0", 9000, "/"},
        {"::1:9000", "::1", 9000, "/"},
        {"http://:::8379/health", "::", 8379, "/health"},
        {"127.0.0.1:65535", "127.0.0.1", 65535, "/"},
        {"node2:7001", "node2", 7001, "/"},
        {"h:1?q=1", "h", 1, "/?q=1"},
        {"h:080", "h", 80, "/"},
        {"http://h:1#f", "h", 1, "/"},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char host[64] = "unset", path[64] = "unset";
        int port = -1;
        if (http_client_parse_url(good[i].url, host, sizeof(host), &port, path, sizeof(path)) != 0)
            fail_msg("refused: %s", good[i].url);
        assert_string_equal(host, good[i].host);
        assert_int_equal(port, good[i].port);
        assert_string_equal(path, good[i].path);
    }
    static const char *bad[] = {
        "http://host/path", /* no port */
        "http://host",
        "host",
        "host:",
        ":80",
        "http://:80/",
        "host:0",
        "host:00000",
        "host:65536",
        "host:99999",
        "host:123456",
        "host:-1",
        "host:+80",
        "host:8a",
        "host:80x/",
        "host: 80",
        "https://host:443/",
        "ftp://h:1/",
        "http://user@host:80/",
        "http://ho st:80/",
        "http://host:80/pa th",
        "http://host:80/\x01",
        "",
        "garbage",
        "http://",
        "[::1:80",
        "[::1]",
        "[nothex]:80",
        "[host]:80",
        "fe80::zz:80",
        "ho\tst:80",
        "h[:80",
        "http://[::1]/",
        "::1", /* ":" and "1" */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char host[64], path[64];
        int port;
        if (http_client_parse_url(bad[i], host, sizeof(host), &port, path, sizeof(path)) == 0)
            fail_msg("accepted: \"%s\" (host %s port %d path %s)", bad[i], host, port, path);
    }
    char host[64], path[64];
    int port;
    assert_int_equal(http_client_parse_url(NULL, host, sizeof(host), &port, path, sizeof(path)),
                     -1);
    /* buffers too small: refused, not cut */
    char small[5];
    assert_int_equal(
        http_client_parse_url("hostname:80/", small, sizeof(small), &port, path, sizeof(path)), -1);
    assert_int_equal(
        http_client_parse_url("host:80/", small, sizeof(small), &port, path, sizeof(path)),
        0); /* "host" just fits */
    assert_int_equal(
        http_client_parse_url("h:80/abcd", host, sizeof(host), &port, small, sizeof(small)), -1);
    assert_int_equal(
        http_client_parse_url("h:80/abc", host, sizeof(host), &port, small, sizeof(small)), 0);
    assert_string_equal(small, "/abc");
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ok_content_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chunked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_until_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redirect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interim_and_head, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversized, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_and_ipv6, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
        cmocka_unit_test(test_parse_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
