/* Unit tests for src/net/http_client.c against a raw server on the same
 * libuv loop (port 0 on 127.0.0.1) that answers each request with the exact
 * bytes a test sets: a body by length, chunks, a body ended by close, a
 * redirect, garbage, too much, or nothing at all. Every test checks that
 * the callback ran exactly once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/http_client.h"

static struct {
    uv_loop_t loop;
    uv_tcp_t listener;
    int port;
    const char *canned;    /* what the server answers ("" : nothing) */
    size_t canned_len;
    bool close_after;      /* the server closes after answering */
    char got[4096];        /* what the server received */
    size_t got_len;
    /* the client's side */
    int calls;
    int status;
    char error[128], location[256], body[2 << 20];
    size_t body_len;
} t;

typedef struct sconn {
    uv_tcp_t tcp;
    uv_write_t w;
    char buf[4096];
    bool answered;
} sconn_t;

static void s_closed(uv_handle_t *h)
{
    free(h->data);
}

static void s_written(uv_write_t *w, int status)
{
    sconn_t *c = w->data;
    (void)status;
    if (t.close_after && !uv_is_closing((uv_handle_t *)&c->tcp)) uv_close((uv_handle_t *)&c->tcp, s_closed);
}

static void s_alloc(uv_handle_t *h, size_t n, uv_buf_t *b)
{
    sconn_t *c = h->data;
    (void)n;
    *b = uv_buf_init(c->buf, sizeof(c->buf));
}

/* Once the request's head is in, the canned answer goes out. */
static void s_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    sconn_t *c = s->data;
    if (nread < 0) {
        if (!uv_is_closing((uv_handle_t *)s)) uv_close((uv_handle_t *)s, s_closed);
        return;
    }
    if (t.got_len + (size_t)nread < sizeof(t.got)) {
        memcpy(t.got + t.got_len, b->base, (size_t)nread);
        t.got_len += (size_t)nread;
        t.got[t.got_len] = 0;
    }
    if (c->answered || !strstr(t.got, "\r\n\r\n") || !t.canned_len) return;
    c->answered = true;
    c->w.data = c;
    uv_buf_t out = uv_buf_init((char *)t.canned, (unsigned)t.canned_len);
    uv_write(&c->w, s, &out, 1, s_written);
}

static void s_conn(uv_stream_t *l, int status)
{
    assert_int_equal(status, 0);
    sconn_t *c = calloc(1, sizeof(*c));
    uv_tcp_init(&t.loop, &c->tcp);
    c->tcp.data = c;
    assert_int_equal(uv_accept(l, (uv_stream_t *)&c->tcp), 0);
    uv_read_start((uv_stream_t *)&c->tcp, s_alloc, s_read);
}

static void on_resp(void *ud, const http_client_resp_t *r)
{
    assert_ptr_equal(ud, &t);
    t.calls++;
    t.status = r->status;
    snprintf(t.error, sizeof(t.error), "%s", r->error ? r->error : "");
    snprintf(t.location, sizeof(t.location), "%s", r->location);
    assert_true(r->body_len < sizeof(t.body));
    memcpy(t.body, r->body, r->body_len);
    t.body_len = r->body_len;
    t.body[t.body_len] = 0;
}

static int setup(void **state)
{
    (void)state;
    memset(&t, 0, sizeof(t));
    uv_loop_init(&t.loop);
    uv_tcp_init(&t.loop, &t.listener);
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    assert_int_equal(uv_tcp_bind(&t.listener, (struct sockaddr *)&a, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&t.listener, 16, s_conn), 0);
    struct sockaddr_in b;
    int len = sizeof(b);
    uv_tcp_getsockname(&t.listener, (struct sockaddr *)&b, &len);
    t.port = ntohs(b.sin_port);
    return 0;
}

static void close_any(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h)) uv_close(h, h == (uv_handle_t *)&t.listener ? NULL : s_closed);
}

static int teardown(void **state)
{
    (void)state;
    uv_walk(&t.loop, close_any, NULL);
    uv_run(&t.loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&t.loop), 0);
    return 0;
}

static void answer(const char *bytes, bool close_after)
{
    t.canned = bytes;
    t.canned_len = strlen(bytes);
    t.close_after = close_after;
}

/* Runs the loop until the callback ran (or 5 s). */
static void run_request(const char *path, const char *body, int timeout_ms)
{
    http_client_t *c = http_client_request(&t.loop, "POST", "127.0.0.1", t.port, path, "X-Test: 1\r\n", body,
                                           body ? strlen(body) : 0, "application/json", timeout_ms, on_resp, &t);
    assert_non_null(c);
    for (int i = 0; i < 5000 && t.calls == 0; i++) uv_run(&t.loop, UV_RUN_ONCE);
    uv_run(&t.loop, UV_RUN_NOWAIT);
    assert_int_equal(t.calls, 1);
}

static void test_content_length(void **state)
{
    (void)state;
    answer("HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: keep-alive\r\n\r\n{\"ok\":true}", false);
    run_request("/cluster/join", "{\"id\": 4}", 2000);
    assert_int_equal(t.status, 200);
    assert_string_equal(t.body, "{\"ok\":true}");
    assert_string_equal(t.error, "");
    /* what was sent: the request line, our headers, the body */
    assert_non_null(strstr(t.got, "POST /cluster/join HTTP/1.1\r\n"));
    assert_non_null(strstr(t.got, "Content-Length: 9\r\n"));
    assert_non_null(strstr(t.got, "Content-Type: application/json\r\n"));
    assert_non_null(strstr(t.got, "X-Test: 1\r\n"));
    assert_non_null(strstr(t.got, "Connection: close\r\n"));
    assert_non_null(strstr(t.got, "\r\n\r\n{\"id\": 4}"));
}

static void test_chunked(void **state)
{
    (void)state;
    answer("HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", false);
    run_request("/", NULL, 2000);
    assert_int_equal(t.status, 202);
    assert_string_equal(t.body, "hello world");
}

static void test_body_until_close(void **state)
{
    (void)state;
    answer("HTTP/1.0 200 OK\r\n\r\nall of it", true);
    run_request("/", NULL, 2000);
    assert_int_equal(t.status, 200);
    assert_string_equal(t.body, "all of it");
}

static void test_redirect(void **state)
{
    (void)state;
    answer("HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.1:8380/cluster/join?wait=true\r\n"
           "Content-Length: 2\r\n\r\n{}",
           false);
    run_request("/cluster/join", "{}", 2000);
    assert_int_equal(t.status, 307);
    assert_string_equal(t.location, "http://127.0.0.1:8380/cluster/join?wait=true");
    char host[64], path[128];
    int port;
    assert_int_equal(http_client_parse_url(t.location, host, sizeof(host), &port, path, sizeof(path)), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 8380);
    assert_string_equal(path, "/cluster/join?wait=true");
}

static void test_refused(void **state)
{
    (void)state;
    uv_close((uv_handle_t *)&t.listener, NULL); /* nobody listens on the port any more */
    uv_run(&t.loop, UV_RUN_NOWAIT);
    run_request("/", NULL, 2000);
    assert_int_equal(t.status, 0);
    assert_true(t.error[0]);
}

static void test_timeout(void **state)
{
    (void)state;
    answer("", false); /* the server reads and never answers */
    run_request("/", NULL, 200);
    assert_int_equal(t.status, 0);
    assert_string_equal(t.error, "timed out");
}

static void test_malformed(void **state)
{
    (void)state;
    answer("SMTP ready\r\n\r\n", true);
    run_request("/", NULL, 2000);
    assert_int_equal(t.status, 0);
    assert_string_equal(t.error, "malformed response");
}

/* Found by fuzz_http_client: http-parser accepts a status of one to three
 * digits, and a complete response with status 0 came back as status 0 with
 * error NULL (42: as an answer, against the header's status >= 100). */
static void test_status_below_100(void **state)
{
    (void)state;
    answer("HTTP/1.1 0 Zero\r\nContent-Length: 0\r\n\r\n", true);
    run_request("/", NULL, 2000);
    assert_int_equal(t.status, 0);
    assert_string_equal(t.error, "malformed response: status below 100");
}

static void test_status_two_digits(void **state)
{
    (void)state;
    answer("HTTP/1.1 42 chunked\r\n\r\n5\r\nhello", true);
    run_request("/", NULL, 2000);
    assert_int_equal(t.status, 0);
    assert_string_equal(t.error, "malformed response: status below 100");
}

static void test_truncated(void **state)
{
    (void)state;
    answer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", true);
    run_request("/", NULL, 2000);
    assert_int_equal(t.status, 0);
    assert_string_equal(t.error, "the connection closed before the response ended");
}

static void test_too_large(void **state)
{
    (void)state;
    size_t n = HTTP_CLIENT_MAX_RESPONSE + 4096;
    char *big = malloc(n + 128);
    int h = snprintf(big, 128, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", n);
    memset(big + h, 'x', n);
    big[h + n] = 0;
    answer(big, true);
    run_request("/", NULL, 5000);
    assert_int_equal(t.status, 0);
    assert_string_equal(t.error, "the response is too large");
    free(big);
}

static void test_cancel(void **state)
{
    (void)state;
    answer("", false);
    http_client_t *c = http_client_request(&t.loop, "GET", "127.0.0.1", t.port, "/", NULL, NULL, 0, NULL, 5000,
                                           on_resp, &t);
    assert_non_null(c);
    uv_run(&t.loop, UV_RUN_NOWAIT);
    http_client_cancel(c);
    assert_int_equal(t.calls, 1);
    assert_int_equal(t.status, 0);
    assert_string_equal(t.error, "cancelled");
    for (int i = 0; i < 20; i++) uv_run(&t.loop, UV_RUN_NOWAIT);
    assert_int_equal(t.calls, 1);
}

static void test_parse_url(void **state)
{
    (void)state;
    char host[64], path[64];
    int port;
    assert_int_equal(http_client_parse_url("127.0.0.1:8379", host, sizeof(host), &port, path, sizeof(path)), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 8379);
    assert_string_equal(path, "/");
    assert_int_equal(http_client_parse_url("http://node-2.local:80/a/b?c", host, sizeof(host), &port, path,
                                           sizeof(path)),
                     0);
    assert_string_equal(host, "node-2.local");
    assert_int_equal(port, 80);
    assert_string_equal(path, "/a/b?c");
    assert_int_equal(http_client_parse_url("http://[::1]:8379/x", host, sizeof(host), &port, path, sizeof(path)), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 8379);
    const char *bad[] = {"", "127.0.0.1", "127.0.0.1:", ":8379", "h:0", "h:65536", "h:12a", "h:123456",
                         "[::1]8379", "http://", "h:-1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (http_client_parse_url(bad[i], host, sizeof(host), &port, path, sizeof(path)) == 0)
            fail_msg("\"%s\" was accepted", bad[i]);
    char longhost[200];
    memset(longhost, 'a', 100);
    snprintf(longhost + 100, 100, ":1");
    assert_int_equal(http_client_parse_url(longhost, host, sizeof(host), &port, path, sizeof(path)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_content_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chunked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_until_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redirect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_below_100, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_two_digits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
        cmocka_unit_test(test_parse_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
