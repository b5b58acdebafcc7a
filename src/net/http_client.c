/* The HTTP client of http_client.h: resolve, connect, write the request,
 * read until the response is complete (by Content-Length, chunks, or the
 * server's close), all under one timer. Every path ends in finish(), which
 * calls back once and closes the handles; the memory goes when the last
 * handle (and a resolve still pending) is done. */
#include "net/http_client.h"

#include <http_parser.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOCATION_MAX 1024

struct http_client {
    uv_loop_t *loop;
    uv_getaddrinfo_t gai;
    uv_connect_t connect;
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_write_t write;
    http_parser parser;
    http_client_cb *cb;
    void *ud;
    char *request; /* the bytes to send */
    size_t request_len;
    char *body;    /* the response body so far */
    size_t body_len, body_cap;
    size_t received; /* bytes read, head included */
    char field[16];  /* the header name being read (only "Location" matters) */
    size_t field_len;
    bool field_done, in_location;
    char location[LOCATION_MAX];
    size_t location_len;
    bool complete;
    bool done;        /* the callback ran (or never will) */
    bool resolving;   /* the getaddrinfo request is pending */
    bool tcp_open;
    int handles;      /* handles open: the timer, the tcp */
    char readbuf[16384];
};

static void maybe_free(http_client_t *c)
{
    if (c->handles > 0 || c->resolving) return;
    free(c->request);
    free(c->body);
    free(c);
}

static void on_closed(uv_handle_t *h)
{
    http_client_t *c = h->data;
    c->handles--;
    maybe_free(c);
}

/* Calls back once (unless told not to) and lets go of everything. */
static void finish(http_client_t *c, int status, const char *error, bool call)
{
    if (c->done) return;
    c->done = true;
    if (call) {
        if (c->body) c->body[c->body_len] = '\0';
        c->location[c->location_len] = '\0';
        http_client_resp_t r = {
            .status = status,
            .error = status ? NULL : error,
            .location = c->location,
            .body = c->body ? c->body : "",
            .body_len = c->body_len,
        };
        c->cb(c->ud, &r);
    }
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, on_closed);
    if (c->tcp_open) uv_close((uv_handle_t *)&c->tcp, on_closed);
    if (c->resolving) uv_cancel((uv_req_t *)&c->gai);
}

/* ---- the parser's callbacks ------------------------------------------------- */

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    http_client_t *c = p->data;
    if (c->field_done) { /* a new header begins */
        c->field_len = 0;
        c->field_done = false;
    }
    c->in_location = false;
    if (c->field_len + len < sizeof(c->field)) {
        memcpy(c->field + c->field_len, at, len);
        c->field_len += len;
    } else {
        c->field_len = sizeof(c->field); /* too long to be Location */
    }
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    http_client_t *c = p->data;
    if (!c->field_done) {
        c->field_done = true;
        c->in_location = c->field_len == 8 && strncasecmp(c->field, "Location", 8) == 0;
        if (c->in_location) c->location_len = 0;
    }
    if (c->in_location && c->location_len + len < LOCATION_MAX) {
        memcpy(c->location + c->location_len, at, len);
        c->location_len += len;
    }
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    http_client_t *c = p->data;
    if (c->body_len + len + 1 > c->body_cap) {
        size_t cap = c->body_cap ? c->body_cap : 1024;
        while (cap < c->body_len + len + 1)
            cap *= 2;
        char *b = realloc(c->body, cap);
        if (!b) return -1;
        c->body = b;
        c->body_cap = cap;
    }
    memcpy(c->body + c->body_len, at, len);
    c->body_len += len;
    return 0;
}

static int on_message_complete(http_parser *p)
{
    http_client_t *c = p->data;
    c->complete = true;
    return 0;
}

static const http_parser_settings settings = {
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* ---- I/O ------------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    http_client_t *c = h->data;
    (void)suggested;
    *buf = uv_buf_init(c->readbuf, sizeof(c->readbuf));
}

/* Feeds what arrived to the parser; nread == UV_EOF tells it the server
 * closed (the end of a body without a length). */
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    http_client_t *c = s->data;
    if (c->done || nread == 0) return;
    if (nread < 0 && nread != UV_EOF) {
        finish(c, 0, uv_strerror((int)nread), true);
        return;
    }
    size_t len = nread > 0 ? (size_t)nread : 0;
    c->received += len;
    if (c->received > HTTP_CLIENT_MAX_RESPONSE) {
        finish(c, 0, "the response is too large", true);
        return;
    }
    size_t used = http_parser_execute(&c->parser, &settings, len ? buf->base : NULL, len);
    if (c->complete) {
        /* http-parser takes any status of one to three digits: one below 100
         * ("HTTP/1.1 0 X", "HTTP/1.1 42 X") is no answer, and a status 0
         * would be a callback with neither status nor error */
        if (c->parser.status_code < 100)
            finish(c, 0, "malformed response: status below 100", true);
        else
            finish(c, (int)c->parser.status_code, NULL, true);
        return;
    }
    if (nread == UV_EOF && c->parser.status_code) { /* a response had begun */
        finish(c, 0, "the connection closed before the response ended", true);
        return;
    }
    if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK || used != len || nread == UV_EOF)
        finish(c, 0, "malformed response", true);
}

static void on_written(uv_write_t *w, int status)
{
    http_client_t *c = w->data;
    if (status < 0 && !c->done) finish(c, 0, uv_strerror(status), true);
}

static void on_connect(uv_connect_t *req, int status)
{
    http_client_t *c = req->data;
    if (c->done) return;
    if (status < 0) {
        finish(c, 0, uv_strerror(status), true);
        return;
    }
    uv_buf_t b = uv_buf_init(c->request, (unsigned)c->request_len);
    c->write.data = c;
    int rc = uv_write(&c->write, (uv_stream_t *)&c->tcp, &b, 1, on_written);
    if (rc == 0) rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (rc < 0) finish(c, 0, uv_strerror(rc), true);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    http_client_t *c = req->data;
    c->resolving = false;
    if (c->done) {
        if (res) uv_freeaddrinfo(res);
        maybe_free(c);
        return;
    }
    if (status < 0 || !res) {
        if (res) uv_freeaddrinfo(res);
        finish(c, 0, status < 0 ? uv_strerror(status) : "no address", true);
        return;
    }
    uv_tcp_init(c->loop, &c->tcp);
    c->tcp.data = c;
    c->tcp_open = true;
    c->handles++;
    c->connect.data = c;
    int rc = uv_tcp_connect(&c->connect, &c->tcp, res->ai_addr, on_connect);
    uv_freeaddrinfo(res);
    if (rc < 0) finish(c, 0, uv_strerror(rc), true);
}

static void on_timeout(uv_timer_t *t)
{
    finish(t->data, 0, "timed out", true);
}

/* ---- the API ----------------------------------------------------------------- */

http_client_t *http_client_request(uv_loop_t *loop, const char *method, const char *host, int port,
                                   const char *path, const char *extra_headers, const char *body, size_t body_len,
                                   const char *content_type, int timeout_ms, http_client_cb *cb, void *ud)
{
    if (!host[0] || port <= 0 || port > 65535 || !path[0]) return NULL;
    http_client_t *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    c->loop = loop;
    c->cb = cb;
    c->ud = ud;
    if (!body) body_len = 0;
    bool v6 = strchr(host, ':') != NULL;
    size_t cap = strlen(method) + strlen(path) + strlen(host) + (extra_headers ? strlen(extra_headers) : 0) +
                 (content_type ? strlen(content_type) : 0) + body_len + 256;
    c->request = malloc(cap);
    int n = snprintf(c->request, cap,
                     "%s %s HTTP/1.1\r\nHost: %s%s%s:%d\r\nConnection: close\r\nContent-Length: %zu\r\n%s%s%s%s\r\n",
                     method, path, v6 ? "[" : "", host, v6 ? "]" : "", port, body_len,
                     content_type ? "Content-Type: " : "", content_type ? content_type : "", content_type ? "\r\n" : "",
                     extra_headers ? extra_headers : "");
    if (n < 0 || (size_t)n + body_len >= cap) {
        free(c->request);
        free(c);
        return NULL;
    }
    if (body_len) memcpy(c->request + n, body, body_len);
    c->request_len = (size_t)n + body_len;
    http_parser_init(&c->parser, HTTP_RESPONSE);
    c->parser.data = c;

    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->handles = 1;
    uv_timer_start(&c->timer, on_timeout, (uint64_t)(timeout_ms > 0 ? timeout_ms : 1), 0);
    char portstr[8];
    snprintf(portstr, sizeof(portstr), "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    c->gai.data = c;
    c->resolving = true;
    if (uv_getaddrinfo(loop, &c->gai, on_resolved, host, portstr, &hints) < 0) {
        c->resolving = false;
        finish(c, 0, NULL, false);
        return NULL;
    }
    return c;
}

void http_client_cancel(http_client_t *c)
{
    if (c) finish(c, 0, "cancelled", true);
}

int http_client_parse_url(const char *url, char *host, size_t hostlen, int *port, char *path, size_t pathlen)
{
    if (strncmp(url, "http://", 7) == 0) url += 7;
    const char *slash = strchr(url, '/');
    size_t alen = slash ? (size_t)(slash - url) : strlen(url);
    const char *hs = url, *he;
    const char *colon;
    if (alen && url[0] == '[') { /* [v6]:port */
        const char *rb = memchr(url, ']', alen);
        if (!rb || rb + 1 >= url + alen || rb[1] != ':') return -1;
        hs = url + 1;
        he = rb;
        colon = rb + 1;
    } else {
        colon = NULL;
        for (size_t i = 0; i < alen; i++)
            if (url[i] == ':') colon = url + i;
        if (!colon) return -1;
        he = colon;
    }
    size_t hl = (size_t)(he - hs);
    if (hl == 0 || hl >= hostlen) return -1;
    const char *ps = colon + 1, *pe = url + alen;
    if (ps == pe || pe - ps > 5) return -1;
    long p = 0;
    for (const char *d = ps; d < pe; d++) {
        if (*d < '0' || *d > '9') return -1;
        p = p * 10 + (*d - '0');
    }
    if (p < 1 || p > 65535) return -1;
    const char *pa = slash ? slash : "/";
    if (strlen(pa) >= pathlen) return -1;
    memcpy(host, hs, hl);
    host[hl] = '\0';
    *port = (int)p;
    snprintf(path, pathlen, "%s", pa);
    return 0;
}
