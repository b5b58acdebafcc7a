// fuzz-sources: src/net/http_client.c
// fuzz-libs: -luv -lhttp_parser
/* libFuzzer target for the HTTP client (src/net/http_client.c): a raw libuv
 * server on the same loop answers the client's request with the input's
 * bytes and closes; the client must call back exactly once (never twice,
 * never through its timeout: the server's close always ends the response),
 * and free everything (ASan/LSan), whatever the bytes.
 *
 * Input: a 4-byte header, then the answer.
 *   bytes 0-1, 2-3: two positions (u16 LE, modulo the answer's length + 1)
 *                   where the answer is cut into up to three writes, each
 *                   after a loop turn, so the client reads them separately.
 * An input shorter than the header is the answer whole.
 *
 * The raw server reads the request (its first bytes; the client sends it in
 * one write), writes the parts, shuts down its side and closes when the
 * client does. Per input the loop runs until the callback came and every
 * handle opened for the input is closed; a watchdog (5 s, above the client's
 * 2 s timeout) traps if that does not happen. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "net/http_client.h"

#define HDR 4
#define CLIENT_TIMEOUT_MS 2000
#define WATCHDOG_MS 5000

static uv_loop_t loop;
static uv_tcp_t listener;
static int port;
static int baseline;
static uv_timer_t next_timer, watchdog;

/* The one connection of the current input (the client makes exactly one). */
static struct {
    uv_tcp_t tcp;
    uv_write_t wr;
    uv_shutdown_t shut;
    bool open, closing, answering;
    int conns; /* connections accepted for this input */
    char rbuf[4096];
} sv;

static char *answer;
static size_t part_off[3], part_len[3];
static int cur;
static int calls;
static char last_error[128];

static void sv_closed(uv_handle_t *h)
{
    (void)h;
    sv.open = false;
}

static void sv_close(void)
{
    if (sv.closing) return;
    sv.closing = true;
    uv_timer_stop(&next_timer);
    uv_close((uv_handle_t *)&sv.tcp, sv_closed);
}

static void sv_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
    (void)h;
    (void)sz;
    *b = uv_buf_init(sv.rbuf, sizeof(sv.rbuf));
}

static void sv_write_next(void);

static void next_fire(uv_timer_t *t)
{
    (void)t;
    sv_write_next();
}

static void sv_written(uv_write_t *w, int status)
{
    (void)w;
    if (sv.closing) return;
    if (status < 0) { /* the client has gone */
        sv_close();
        return;
    }
    cur++;
    uv_timer_start(&next_timer, next_fire, 0, 0);
}

static void sv_write_next(void)
{
    if (sv.closing) return;
    while (cur < 3 && part_len[cur] == 0) cur++;
    if (cur < 3) {
        uv_buf_t b = uv_buf_init(answer + part_off[cur], (unsigned)part_len[cur]);
        if (uv_write(&sv.wr, (uv_stream_t *)&sv.tcp, &b, 1, sv_written) != 0) sv_close();
        return;
    }
    if (uv_shutdown(&sv.shut, (uv_stream_t *)&sv.tcp, NULL) != 0) sv_close();
}

/* The request's bytes start the answer; the client's close (EOF, reset)
 * ends the connection. */
static void sv_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    (void)s;
    (void)b;
    if (n < 0) {
        sv_close();
        return;
    }
    if (n > 0 && !sv.answering) {
        sv.answering = true;
        sv_write_next();
    }
}

static void on_connection(uv_stream_t *l, int status)
{
    if (status < 0) return;
    if (sv.open || sv.conns++ > 0) {
        fprintf(stderr, "fuzz_http_client: a second connection for one request\n");
        __builtin_trap();
    }
    uv_tcp_init(&loop, &sv.tcp);
    sv.open = true;
    if (uv_accept(l, (uv_stream_t *)&sv.tcp) != 0) {
        sv_close();
        return;
    }
    uv_read_start((uv_stream_t *)&sv.tcp, sv_alloc, sv_read);
}

static void client_cb(void *ud, const http_client_resp_t *r)
{
    (void)ud;
    calls++;
    if (r->status == 0) {
        if (!r->error) __builtin_trap();
        snprintf(last_error, sizeof(last_error), "%s", r->error);
    } else {
        if (r->status < 100 || r->error) __builtin_trap();
        last_error[0] = '\0';
    }
    /* what it was given is readable in full */
    if (!r->location || !r->body || r->body[r->body_len] != '\0') __builtin_trap();
    volatile unsigned sum = (unsigned)strlen(r->location);
    for (size_t i = 0; i < r->body_len; i++) sum += (unsigned char)r->body[i];
}

static void on_watchdog(uv_timer_t *t)
{
    (void)t;
    fprintf(stderr, "fuzz_http_client: not done within %d ms (callbacks: %d)\n", WATCHDOG_MS, calls);
    uv_print_all_handles(&loop, stderr);
    __builtin_trap();
}

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
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", 0, &addr);
    uv_tcp_init(&loop, &listener);
    if (uv_tcp_bind(&listener, (const struct sockaddr *)&addr, 0) != 0) abort();
    if (uv_listen((uv_stream_t *)&listener, 16, on_connection) != 0) abort();
    int len = sizeof(addr);
    uv_tcp_getsockname(&listener, (struct sockaddr *)&addr, &len);
    port = ntohs(addr.sin_port);
    uv_timer_init(&loop, &next_timer);
    uv_timer_init(&loop, &watchdog);
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
    size_t p1 = 0, p2 = 0;
    if (size >= HDR) {
        p1 = (size_t)data[0] | (size_t)data[1] << 8;
        p2 = (size_t)data[2] | (size_t)data[3] << 8;
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
    answer = malloc(size ? size : 1);
    if (size) memcpy(answer, data, size);
    part_off[0] = 0, part_len[0] = p1;
    part_off[1] = p1, part_len[1] = p2 - p1;
    part_off[2] = p2, part_len[2] = size - p2;
    cur = 0;
    calls = 0;
    memset(&sv, 0, sizeof(sv));

    http_client_t *c = http_client_request(&loop, "POST", "127.0.0.1", port, "/cluster/join", "X-A: b\r\n",
                                           "{}", 2, "application/json", CLIENT_TIMEOUT_MS, client_cb, NULL);
    if (!c) __builtin_trap();
    uv_timer_start(&watchdog, on_watchdog, WATCHDOG_MS, 0);
    while (calls == 0 || sv.open || count_handles() > baseline) uv_run(&loop, UV_RUN_ONCE);
    uv_timer_stop(&watchdog);
    if (calls != 1) {
        fprintf(stderr, "fuzz_http_client: %d callbacks for one request\n", calls);
        __builtin_trap();
    }
    /* the server's close ends every answer: the timeout is never needed */
    if (strcmp(last_error, "timed out") == 0) {
        fprintf(stderr, "fuzz_http_client: the client waited for its timeout after the server closed\n");
        __builtin_trap();
    }
    free(answer);
    return 0;
}
