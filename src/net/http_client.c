/* The HTTP client (see net/http_client.h). A request goes through:
 *   start     a 0 ms timer, so that nothing (the callback above all) runs
 *             inside http_client_request; then the timer is the timeout;
 *   resolve   uv_getaddrinfo, skipped for an IP literal;
 *   connect   each address in turn, a new TCP handle for each;
 *   exchange  the request is written while the response is read and cut
 *             by http-parser; the response is complete when the parser
 *             says so (a length, the last chunk, or the server's close).
 * It ends in finish(), which closes the handles and calls the callback,
 * once. The memory goes when the timer, the TCP handle and the resolve in
 * flight have all let go of it (refs): libuv still calls back into a
 * closing handle, and a resolve on the thread pool cannot be taken back. */
#include "net/http_client.h"

#include <http_parser.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define READ_BUF (16 * 1024)
#define MAX_ADDRS 8 /* a name's addresses tried, at most */

/* A growing NUL-terminated buffer. */
typedef struct buf {
    char *p;
    size_t len, cap;
} buf_t;

struct http_client {
    uv_loop_t *loop;
    uv_timer_t timer; /* the start, then the timeout */
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    uv_write_t write_req;
    uv_getaddrinfo_t gai;
    http_parser parser;
    http_client_cb *cb;
    void *ud;
    int refs;       /* the timer, the TCP handle, the resolve in flight */
    bool done;      /* finish() has run: the callback is called or being called */
    bool bad_args;  /* the arguments were refused (err says why) */
    bool refused;   /* a parser callback refused the response (err says why) */
    bool tcp_open;  /* tcp is initialized and not being closed */
    bool resolving; /* gai is in flight */
    bool is_head;   /* the response has no body, whatever its length says */
    bool complete;  /* the final response is parsed */
    bool headers_done, in_value, in_location;
    int timeout_ms, port;
    const char *stage; /* what the request was doing, for the timeout's message */
    char host[256];
    struct sockaddr_storage addrs[MAX_ADDRS];
    int naddrs, next_addr;
    size_t received;             /* bytes of the response so far */
    buf_t out;                   /* the request's bytes */
    buf_t field, location, body; /* the header name being read, Location, the body */
    char rbuf[READ_BUF];
    char err[384]; /* room for the longest host name in a message */
};

static void connect_next(http_client_t *c);
static const http_parser_settings settings;

/* ---- small helpers ------------------------------------------------------ */

/* Appends n bytes, keeping the buffer NUL-terminated. */
static void buf_add(buf_t *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->p = realloc(b->p, cap);
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* Why the request fails, in c->err; fail() also ends it. */
#define set_err(c, ...) snprintf((c)->err, sizeof((c)->err), __VA_ARGS__)
#define fail(c, ...) (set_err(c, __VA_ARGS__), finish(c, 0, (c)->err))

/* True when every byte of s is visible ASCII or (with blanks) a space or a
 * tab: what may go into a request line or a header without breaking it. */
static bool clean(const char *s, bool blanks)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p == 0x7f || (*p <= 0x20 && !(blanks && (*p == ' ' || *p == '\t')))) return false;
    return true;
}

/* ---- the end of a request ----------------------------------------------- */

/* One of the request's holders lets go; the last frees it. */
static void release(http_client_t *c)
{
    if (--c->refs > 0) return;
    free(c->out.p);
    free(c->field.p);
    free(c->location.p);
    free(c->body.p);
    free(c);
}

/* The timer lives as long as the request: its close is the last step. */
static void on_timer_closed(uv_handle_t *h)
{
    release(h->data);
}

/* The TCP handle is closed: at the end, or after a failed connect, when
 * the next address is tried (in a fresh handle: libuv does not reuse one
 * whose connect failed). */
static void on_tcp_closed(uv_handle_t *h)
{
    http_client_t *c = h->data;
    if (!c->done) connect_next(c);
    release(c);
}

/* The one way out: the handles are closed first (so that a callback that
 * never returns, e.g. a test's failed assertion, leaves nothing open), the
 * resolve in flight is cancelled if it has not started, then the caller
 * is told. Its memory stays until the close callbacks, in a later phase of
 * the loop, so resp's strings live through the callback. */
static void finish(http_client_t *c, int status, const char *error)
{
    if (c->done) return;
    c->done = true;
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
    if (c->tcp_open) {
        c->tcp_open = false;
        uv_close((uv_handle_t *)&c->tcp, on_tcp_closed);
    }
    if (c->resolving) uv_cancel((uv_req_t *)&c->gai);
    http_client_resp_t r = {
        .status = status, .error = status ? NULL : error, .location = "", .body = ""};
    if (status) {
        buf_t *l = &c->location; /* http-parser leaves trailing blanks in values */
        while (l->len && (l->p[l->len - 1] == ' ' || l->p[l->len - 1] == '\t'))
            l->p[--l->len] = '\0';
        if (l->p) r.location = l->p;
        if (c->body.p) r.body = c->body.p;
        r.body_len = c->body.len;
    }
    c->cb(c->ud, &r);
}

/* One deadline covers the whole request, whatever stage it is in: the
 * caller wants an answer in time, not a per-step budget. */
static void on_timeout(uv_timer_t *t)
{
    http_client_t *c = t->data;
    fail(c, "no response within %d ms (%s)", c->timeout_ms, c->stage);
}

/* ---- http-parser's callbacks -------------------------------------------- */

/* Stops the parse with a reason (a callback's nonzero return). */
static int verdict(http_client_t *c, const char *msg)
{
    set_err(c, "%s", msg);
    c->refused = true;
    return -1;
}

/* Header names may come in pieces (across reads): a name after a value
 * starts the next header. Trailers (after a chunked body) are ignored. */
static int on_header_field(http_parser *p, const char *at, size_t len)
{
    http_client_t *c = p->data;
    if (c->headers_done) return 0;
    if (c->in_value) {
        c->in_value = false;
        c->field.len = 0;
    }
    buf_add(&c->field, at, len);
    return 0;
}

/* The first piece of a value decides by the name whether it is kept: only
 * Location is, the first one if it comes twice. */
static int on_header_value(http_parser *p, const char *at, size_t len)
{
    http_client_t *c = p->data;
    if (c->headers_done) return 0;
    if (!c->in_value) {
        c->in_value = true;
        c->in_location = !c->location.p && c->field.p && strcasecmp(c->field.p, "location") == 0;
        if (c->in_location) buf_add(&c->location, "", 0); /* present, even if empty */
    }
    if (c->in_location) buf_add(&c->location, at, len);
    return 0;
}

/* The head is in: a status below 100 cannot be told from "no response",
 * a body announced over the limit is refused before it comes, and the
 * answer to HEAD has no body whatever its Content-Length says (1). */
static int on_headers_complete(http_parser *p)
{
    http_client_t *c = p->data;
    c->headers_done = true;
    if (p->status_code < 100) return verdict(c, "malformed response: status below 100");
    if (p->content_length != ULLONG_MAX && p->content_length > HTTP_CLIENT_MAX_BODY)
        return verdict(c, "response body over 1 MB (its Content-Length)");
    return c->is_head ? 1 : 0;
}

/* A chunk's size comes before its data: refused as soon as it would take
 * the body over the limit. */
static int on_chunk_header(http_parser *p)
{
    http_client_t *c = p->data;
    if (p->content_length > HTTP_CLIENT_MAX_BODY - c->body.len)
        return verdict(c, "response body over 1 MB");
    return 0;
}

/* Body bytes (a chunk's data when chunked), kept; never past the limit
 * (a body that ends at the close has no length to check beforehand). */
static int on_body(http_parser *p, const char *at, size_t len)
{
    http_client_t *c = p->data;
    if (len > HTTP_CLIENT_MAX_BODY - c->body.len) return verdict(c, "response body over 1 MB");
    buf_add(&c->body, at, len);
    return 0;
}

/* A response is whole. An interim one (100 Continue, 1xx but 101) is
 * forgotten and the final one follows; the final one pauses the parser,
 * so that nothing after it is looked at. */
static int on_message_complete(http_parser *p)
{
    http_client_t *c = p->data;
    if (p->status_code / 100 == 1 && p->status_code != 101) {
        free(c->location.p);
        c->location = (buf_t){0};
        c->body.len = 0; /* an interim response's body (none should have one) is dropped */
        if (c->body.p) c->body.p[0] = '\0';
        c->headers_done = c->in_value = c->in_location = false;
        return 0;
    }
    c->complete = true;
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_chunk_header = on_chunk_header,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* ---- libuv's callbacks -------------------------------------------------- */

/* Feeds bytes to the parser (len 0: the server closed) and ends the
 * request when the response is whole or cannot be. */
static void parse(http_client_t *c, const char *data, size_t len)
{
    http_parser_execute(&c->parser, &settings, data, len);
    enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
    if (c->complete)
        finish(c, c->parser.status_code, NULL);
    else if (c->refused) /* a callback's verdict is in c->err */
        finish(c, 0, c->err);
    else if (len == 0)
        fail(c, c->received ? "the connection closed before the response was complete"
                            : "the connection closed without a response");
    else if (e == HPE_HEADER_OVERFLOW)
        fail(c, "response head over http-parser's limit");
    else if (e != HPE_OK)
        fail(c, "malformed response: %s", http_errno_description(e));
}

/* Every read goes to the one buffer: the parser copies what it keeps. */
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    http_client_t *c = h->data;
    (void)suggested;
    *buf = uv_buf_init(c->rbuf, sizeof(c->rbuf));
}

/* Bytes, the server's close, or an error (a reset: no response). */
static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    http_client_t *c = st->data;
    (void)buf;
    if (c->done) return;
    if (nread > 0) {
        c->received += (size_t)nread;
        parse(c, c->rbuf, (size_t)nread);
    } else if (nread == UV_EOF) {
        parse(c, NULL, 0);
    } else if (nread < 0) {
        fail(c, "connection lost: %s", uv_strerror((int)nread));
    }
}

/* A connect failed (now or in its callback): the handle is closed, and its
 * close callback tries the next address or gives up with this error. */
static void connect_failed(http_client_t *c, int rc)
{
    set_err(c, "cannot connect to %s port %d: %s", c->host, c->port, uv_strerror(rc));
    c->tcp_open = false;
    uv_close((uv_handle_t *)&c->tcp, on_tcp_closed);
}

/* Connected: the request goes out, and reading starts at once. */
static void on_connect(uv_connect_t *req, int status)
{
    http_client_t *c = req->data;
    if (c->done || status == UV_ECANCELED) return;
    if (status < 0) {
        connect_failed(c, status);
        return;
    }
    c->stage = "waiting for the response";
    uv_tcp_nodelay(&c->tcp, 1);
    uv_buf_t b = uv_buf_init(c->out.p, (unsigned)c->out.len);
    /* a failed write needs no callback: the read sees the reset or close */
    int rc = uv_write(&c->write_req, (uv_stream_t *)&c->tcp, &b, 1, NULL);
    if (rc == 0) rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (rc != 0) fail(c, "cannot send the request: %s", uv_strerror(rc));
}

/* Tries the next address; with none left, the last connect error ends
 * the request. */
static void connect_next(http_client_t *c)
{
    if (c->next_addr >= c->naddrs) {
        finish(c, 0, c->err);
        return;
    }
    const struct sockaddr *sa = (const struct sockaddr *)&c->addrs[c->next_addr++];
    c->stage = "connecting";
    uv_tcp_init(c->loop, &c->tcp);
    c->tcp.data = c;
    c->tcp_open = true;
    c->refs++;
    c->connect_req.data = c;
    int rc = uv_tcp_connect(&c->connect_req, &c->tcp, sa, on_connect);
    if (rc != 0) connect_failed(c, rc);
}

/* The name's addresses (IPv4 and IPv6, in the resolver's order) are kept
 * and tried in turn. */
static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    http_client_t *c = req->data;
    c->resolving = false;
    if (!c->done && status < 0) {
        fail(c, "cannot resolve %s: %s", c->host, uv_strerror(status));
    } else if (!c->done) {
        for (struct addrinfo *a = res; a && c->naddrs < MAX_ADDRS; a = a->ai_next)
            if ((a->ai_family == AF_INET || a->ai_family == AF_INET6) &&
                a->ai_addrlen <= sizeof(c->addrs[0]))
                memcpy(&c->addrs[c->naddrs++], a->ai_addr, a->ai_addrlen);
        set_err(c, "no address for %s", c->host);
        connect_next(c);
    }
    uv_freeaddrinfo(res);
    release(c);
}

/* The loop's first turn for the request: the timeout starts, an address
 * literal is connected to, a name resolved. */
static void on_start(uv_timer_t *t)
{
    http_client_t *c = t->data;
    if (c->bad_args) {
        finish(c, 0, c->err);
        return;
    }
    uv_timer_start(&c->timer, on_timeout, (uint64_t)c->timeout_ms, 0);
    if (uv_ip4_addr(c->host, c->port, (struct sockaddr_in *)&c->addrs[0]) == 0 ||
        uv_ip6_addr(c->host, c->port, (struct sockaddr_in6 *)&c->addrs[0]) == 0) {
        c->naddrs = 1;
        connect_next(c);
        return;
    }
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    char service[8];
    snprintf(service, sizeof(service), "%d", c->port);
    c->stage = "resolving the host";
    c->gai.data = c;
    int rc = uv_getaddrinfo(c->loop, &c->gai, on_resolved, c->host, service, &hints);
    if (rc != 0) {
        fail(c, "cannot resolve %s: %s", c->host, uv_strerror(rc));
        return;
    }
    c->resolving = true;
    c->refs++;
}

/* ---- the interface ------------------------------------------------------ */

/* Checks the arguments and writes the request's bytes into c->out; false
 * (and c->err) when they cannot make a request. The checks keep a
 * caller's string from breaking the request line or adding headers. */
static bool build_request(http_client_t *c, const char *method, const char *host, const char *path,
                          const char *extra, const char *body, size_t body_len, const char *ctype)
{
    bool ok = false;
    if (!method || !*method || strlen(method) > 32 ||
        strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(method))
        set_err(c, "invalid request: bad method");
    else if (!host || !*host || strlen(host) >= sizeof(c->host) || !clean(host, false) ||
             strpbrk(host, "/?#@[]"))
        set_err(c, "invalid request: bad host");
    else if (c->port < 1 || c->port > 65535)
        set_err(c, "invalid request: port %d outside 1..65535", c->port);
    else if (!path || path[0] != '/' || !clean(path, false))
        set_err(c, "invalid request: the path must start with '/' and hold no blanks");
    else if (ctype && !clean(ctype, true))
        set_err(c, "invalid request: bad content type");
    else if (extra && (strstr(extra, "\r\n\r\n") || strncmp(extra, "\r\n", 2) == 0))
        set_err(c, "invalid request: an empty line in the extra headers");
    else if (!body && body_len)
        set_err(c, "invalid request: no body for body_len %zu", body_len);
    else
        ok = true;
    if (!ok) return false;

    snprintf(c->host, sizeof(c->host), "%s", host);
    c->is_head = strcmp(method, "HEAD") == 0;
    bool v6 = strchr(host, ':') != NULL; /* Host wants an IPv6 address in brackets */
    size_t elen = extra ? strlen(extra) : 0;
    bool eol = elen && (elen < 2 || strcmp(extra + elen - 2, "\r\n") != 0);
    char *head;
    int n =
        asprintf(&head,
                 "%s %s HTTP/1.1\r\nHost: %s%s%s:%d\r\nConnection: close\r\nContent-Length: %zu\r\n"
                 "%s%s%s%s%s\r\n",
                 method, path, v6 ? "[" : "", host, v6 ? "]" : "", c->port, body_len,
                 ctype ? "Content-Type: " : "", ctype ? ctype : "", ctype ? "\r\n" : "",
                 extra ? extra : "", eol ? "\r\n" : "");
    if (n < 0) abort(); /* out of memory, as when malloc fails */
    buf_add(&c->out, head, (size_t)n);
    buf_add(&c->out, body, body_len);
    free(head);
    return true;
}

/* Everything is prepared here, nothing done: the work starts from the
 * loop (on_start), so the callback never runs before the caller has the
 * handle, and bad arguments end the same way as a refused connection. */
http_client_t *http_client_request(uv_loop_t *loop, const char *method, const char *host, int port,
                                   const char *path, const char *extra_headers, const char *body,
                                   size_t body_len, const char *content_type, int timeout_ms,
                                   http_client_cb *cb, void *ud)
{
    if (!loop || !cb) return NULL;
    http_client_t *c = calloc(1, sizeof(*c));
    c->loop = loop;
    c->cb = cb;
    c->ud = ud;
    c->port = port;
    c->timeout_ms = timeout_ms > 0 ? timeout_ms : HTTP_CLIENT_DEFAULT_TIMEOUT_MS;
    c->stage = "starting";
    http_parser_init(&c->parser, HTTP_RESPONSE);
    c->parser.data = c;
    c->bad_args =
        !build_request(c, method, host, path, extra_headers, body, body_len, content_type);
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->refs = 1;
    uv_timer_start(&c->timer, on_start, 0, 0);
    return c;
}

/* At shutdown the caller must know that its callback has run (to free
 * what ud points to): it runs now. */
void http_client_cancel(http_client_t *h)
{
    if (h) finish(h, 0, "cancelled");
}

/* A host as written in a URL: a name or IPv4 address of visible
 * characters, or an IPv6 literal (it has a colon). */
static bool url_host_ok(const char *h)
{
    unsigned char a6[16];
    if (!*h || !clean(h, false) || strpbrk(h, "[]@")) return false;
    return !strchr(h, ':') || uv_inet_pton(AF_INET6, h, a6) == 0;
}

/* A Location header and a --join argument, read the same way; strict, so
 * that a typo is an error at once rather than a connection to somewhere
 * unexpected. */
int http_client_parse_url(const char *url, char *host, size_t hostlen, int *port, char *path,
                          size_t pathlen)
{
    if (!url) return -1;
    const char *p = url;
    if (strncasecmp(p, "http://", 7) == 0) p += 7;
    size_t alen = strcspn(p, "/?#"); /* the authority: host:port */
    const char *scheme = strstr(p, "://");
    if (scheme && scheme < p + alen) return -1; /* https:// and the like */
    const char *colon = memrchr(p, ':', alen);
    if (!colon || memchr(p, '@', alen)) return -1;
    const char *digits = colon + 1;
    size_t dlen = alen - (size_t)(digits - p);
    if (dlen < 1 || dlen > 5 || strspn(digits, "0123456789") < dlen) return -1;
    int pn = atoi(digits);
    if (pn < 1 || pn > 65535) return -1;

    const char *h = p;
    size_t hl = (size_t)(colon - p);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
        if (!memchr(h, ':', hl)) return -1; /* brackets only around IPv6 */
    }
    char hbuf[256];
    if (hl >= sizeof(hbuf) || hl + 1 > hostlen) return -1;
    memcpy(hbuf, h, hl);
    hbuf[hl] = '\0';
    if (!url_host_ok(hbuf)) return -1;

    const char *rest = p + alen;
    size_t rlen = strcspn(rest, "#");
    bool slash = rest[0] == '/';
    if (rlen + (slash ? 0 : 1) + 1 > pathlen) return -1;
    char *o = path;
    if (!slash) *o++ = '/'; /* "" or "?q" */
    memcpy(o, rest, rlen);
    o[rlen] = '\0';
    if (!clean(path, false)) return -1;
    memcpy(host, hbuf, hl + 1);
    *port = pn;
    return 0;
}
