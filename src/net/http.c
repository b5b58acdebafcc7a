/* The admin API's HTTP/1.1 server (see net/http.h): libuv moves the bytes,
 * http-parser cuts them into requests.
 *
 * A connection is in one of five states:
 *   IDLE      between requests: the idle timer runs;
 *   READING   a request has begun (its first byte came): the request timer
 *             runs from that byte, and the request is built in c->req;
 *   PENDING   the request went to the handler and waits for http_respond:
 *             parsing stops (the parser is paused right after the message),
 *             bytes that come meanwhile are only buffered, one buffer at
 *             most, so that a client who closes is noticed;
 *   DRAINING  no more requests: what is queued is written, then the
 *             connection is shut down for writing;
 *   LINGER    after that shutdown, what the client still sends is read and
 *             dropped until it closes (or LINGER_MS), so that an error
 *             answered before the body was read is not lost to a TCP reset.
 * Every response is one uv_write of head and body; writes queue in order. */
#include "net/http.h"

#include <http_parser.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define READ_BUF (16 * 1024)      /* bytes read at once, and buffered while a request is pending */
#define WRITE_HIGH (256 * 1024)   /* parse no further while this much waits to be written */
#define LINGER_MS 2000            /* how long a closing connection waits for the client's close */
#define BODY_PREALLOC (64 * 1024) /* a body of known length gets this much before it arrives */

#define DEFAULT_MAX_BODY (1024 * 1024)
#define DEFAULT_REQUEST_TIMEOUT_MS 10000
#define DEFAULT_IDLE_TIMEOUT_MS 60000
#define DEFAULT_MAX_CONNS 1024

/* A growing NUL-terminated string. */
typedef struct str {
    char *p;
    size_t len, cap;
} str_t;

typedef enum { C_IDLE, C_READING, C_PENDING, C_DRAINING, C_LINGER } conn_state_t;

/* A request as it is built, then handed out: pub comes first so that the
 * handler's http_request_t * converts back to it. */
typedef struct req {
    http_request_t pub;
    str_t url;
    str_t field; /* the header name being read */
    str_t auth, ctype, expect;
    str_t *target;     /* where the current header's value goes, NULL: dropped */
    bool in_value;     /* the last header callback was a value */
    bool headers_done; /* what follows are trailers: ignored */
    char *body;
    size_t body_len, body_cap;
    bool keep_alive;
    bool is_head;
} req_t;

struct http_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_shutdown_t shut;
    http_server_t *srv;
    http_conn_t *prev, *next;
    http_parser parser;
    conn_state_t state;
    req_t *req; /* being read (READING) or waiting for its answer (PENDING) */
    char *rbuf; /* READ_BUF bytes: [rpos, rlen) not parsed yet */
    size_t rpos, rlen;
    size_t out_bytes; /* queued with uv_write and not yet written */
    int nwrites;
    int handles;    /* tcp and timer not yet closed */
    int err_status; /* set by a parser callback that stops the parse: 413, 400 */
    const char *err_msg;
    bool reading;
    bool busy;     /* process_input is on the stack */
    bool peer_eof; /* the client closed its side */
    bool closing;
    char peer_ip[64];
    bool peer_loopback;
};

struct http_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    http_server_opts_t opts;
    http_handler_fn *handler;
    void *ud;
    http_conn_t *conns;
    int nconns;
    int live; /* the listener plus the connections not yet freed */
    int port;
    bool stopped;
    http_stats_t stats;
};

typedef struct wreq {
    uv_write_t req;
    http_conn_t *conn;
    size_t len;
    char data[];
} wreq_t;

static void process_input(http_conn_t *c);
static void close_now(http_conn_t *c);
static void start_drain(http_conn_t *c);
static const http_parser_settings http_settings;

/* ---- small helpers ------------------------------------------------------ */

/* Appends n bytes, keeping the string NUL-terminated. */
static void str_append(str_t *s, const char *p, size_t n)
{
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 64;
        while (cap < s->len + n + 1)
            cap *= 2;
        s->p = realloc(s->p, cap);
        s->cap = cap;
    }
    if (n) memcpy(s->p + s->len, p, n);
    s->len += n;
    s->p[s->len] = '\0';
}

/* The string for the request: "" when nothing was set, trailing blanks cut
 * (http-parser keeps them in header values). */
static const char *str_value(str_t *s)
{
    if (!s->p) return "";
    while (s->len && (s->p[s->len - 1] == ' ' || s->p[s->len - 1] == '\t'))
        s->p[--s->len] = '\0';
    return s->p;
}

/* A request and all it holds. */
static void req_free(req_t *rq)
{
    free(rq->url.p);
    free(rq->field.p);
    free(rq->auth.p);
    free(rq->ctype.p);
    free(rq->expect.p);
    free(rq->body);
    free(rq);
}

/* Which status line text goes with a status: the common ones, else none
 * (the reason phrase may be empty). */
static const char *reason(int status)
{
    static const struct {
        int status;
        const char *text;
    } reasons[] = {
        {100, "Continue"},
        {200, "OK"},
        {201, "Created"},
        {202, "Accepted"},
        {204, "No Content"},
        {301, "Moved Permanently"},
        {302, "Found"},
        {303, "See Other"},
        {304, "Not Modified"},
        {307, "Temporary Redirect"},
        {308, "Permanent Redirect"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {408, "Request Timeout"},
        {409, "Conflict"},
        {411, "Length Required"},
        {413, "Payload Too Large"},
        {415, "Unsupported Media Type"},
        {417, "Expectation Failed"},
        {421, "Misdirected Request"},
        {422, "Unprocessable Content"},
        {429, "Too Many Requests"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
    };
    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        if (reasons[i].status == status) return reasons[i].text;
    return "";
}

/* {"error":"msg"}\n with msg escaped as JSON wants (quotes, backslashes,
 * control characters); bytes from 0x80 pass as they are (UTF-8). The
 * caller frees the result. */
static char *json_error(const char *msg, size_t *len)
{
    str_t s = {0};
    str_append(&s, "{\"error\":\"", 10);
    for (const unsigned char *p = (const unsigned char *)(msg ? msg : ""); *p; p++) {
        char esc[8];
        switch (*p) {
        case '"':
            str_append(&s, "\\\"", 2);
            break;
        case '\\':
            str_append(&s, "\\\\", 2);
            break;
        case '\n':
            str_append(&s, "\\n", 2);
            break;
        case '\r':
            str_append(&s, "\\r", 2);
            break;
        case '\t':
            str_append(&s, "\\t", 2);
            break;
        case '\b':
            str_append(&s, "\\b", 2);
            break;
        case '\f':
            str_append(&s, "\\f", 2);
            break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                snprintf(esc, sizeof(esc), "\\u%04x", *p);
                str_append(&s, esc, 6);
            } else {
                str_append(&s, (const char *)p, 1);
            }
        }
    }
    str_append(&s, "\"}\n", 3);
    *len = s.len;
    return s.p;
}

/* The client's address as text, and whether it is a loopback one:
 * 127.0.0.0/8, ::1 and 127.x mapped into IPv6 (::ffff:127.x.y.z). */
static void peer_of(http_conn_t *c)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    snprintf(c->peer_ip, sizeof(c->peer_ip), "?");
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0) return;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
        uv_ip4_name(a, c->peer_ip, sizeof(c->peer_ip));
        c->peer_loopback = ((const unsigned char *)&a->sin_addr)[0] == 127;
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
        uv_ip6_name(a, c->peer_ip, sizeof(c->peer_ip));
        const unsigned char *b = a->sin6_addr.s6_addr;
        static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        c->peer_loopback =
            IN6_IS_ADDR_LOOPBACK(&a->sin6_addr) || (memcmp(b, v4mapped, 12) == 0 && b[12] == 127);
    }
}

/* ---- the connection's machinery ----------------------------------------- */

static void on_timer(uv_timer_t *t);

/* One timer per connection serves every state: only the deadline of the
 * current one matters. */
static void set_timer(http_conn_t *c, int ms)
{
    uv_timer_start(&c->timer, on_timer, (uint64_t)ms, 0);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);

/* Reads when there is something to do with the bytes: between requests and
 * within one once all that came is parsed, while a request is pending as
 * long as the buffer has room (to notice the client's close), and when
 * lingering (to drop them). Never with more than WRITE_HIGH bytes waiting
 * to go out: a client that sends and does not read is held back. */
static void update_reading(http_conn_t *c)
{
    bool want = false;
    if (c->closing) return;
    switch (c->state) {
    case C_IDLE:
    case C_READING:
        want = !c->peer_eof && c->rpos == c->rlen && c->out_bytes < WRITE_HIGH;
        break;
    case C_PENDING:
        want = !c->peer_eof && c->rlen - c->rpos < READ_BUF;
        break;
    case C_DRAINING:
        want = false;
        break;
    case C_LINGER:
        want = true;
        break;
    }
    if (want && !c->reading) {
        if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0) c->reading = true;
    } else if (!want && c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
}

/* Each of a connection's two handles ends here; the last one frees the
 * connection, and the last connection of a stopped server the server. */
static void on_conn_closed(uv_handle_t *h)
{
    http_conn_t *c = h->data;
    if (--c->handles > 0) return;
    http_server_t *s = c->srv;
    free(c->rbuf);
    free(c);
    if (--s->live == 0 && s->stopped) free(s);
}

/* Closes the connection now. A request being read goes; one waiting for
 * its answer is let go of (http_request_gone says so) and freed by
 * http_respond. The memory goes once libuv has closed both handles. */
static void close_now(http_conn_t *c)
{
    if (c->closing) return;
    c->closing = true;
    http_server_t *s = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    s->nconns--;
    if (c->req) {
        if (c->state == C_PENDING)
            c->req->pub.conn = NULL;
        else
            req_free(c->req);
        c->req = NULL;
    }
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
    uv_close((uv_handle_t *)&c->timer, on_conn_closed);
}

/* A response (or 100 Continue) is out: a draining connection may now shut
 * down, and a connection that held back parsing for its writes goes on. */
static void on_write(uv_write_t *req, int status)
{
    wreq_t *w = (wreq_t *)req;
    http_conn_t *c = w->conn;
    c->out_bytes -= w->len;
    c->nwrites--;
    free(w);
    if (c->closing) return;
    if (status < 0) {
        close_now(c);
        return;
    }
    switch (c->state) {
    case C_DRAINING:
        if (c->nwrites == 0) start_drain(c);
        break;
    case C_IDLE:
        set_timer(c, c->srv->opts.idle_timeout_ms); /* the client reads: not idle */
        /* fall through */
    case C_READING:
        process_input(c); /* parsing may have waited for the writes to go */
        break;
    default:
        break;
    }
}

/* Queues head and body to write, copied into one buffer. On failure the
 * connection is closed. */
static void queue_write(http_conn_t *c, const char *head, size_t hlen, const char *body,
                        size_t blen)
{
    if (c->closing) return;
    wreq_t *w = malloc(sizeof(*w) + hlen + blen);
    w->conn = c;
    w->len = hlen + blen;
    memcpy(w->data, head, hlen);
    if (blen) memcpy(w->data + hlen, body, blen);
    uv_buf_t b = uv_buf_init(w->data, (unsigned)w->len);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_write) != 0) {
        free(w);
        close_now(c);
        return;
    }
    c->out_bytes += w->len;
    c->nwrites++;
}

/* Status line, Content-Type, Content-Length, Connection and the caller's
 * headers, then the body (none for HEAD, none and no length for 1xx, 204
 * and 304, as HTTP says). */
static void queue_response(http_conn_t *c, int status, const char *ctype, const char *body,
                           size_t len, const char *extra, bool keep_alive, bool is_head)
{
    if (status < 100 || status > 999) status = 500;
    if (!body) len = 0;
    if (!extra) extra = "";
    size_t elen = strlen(extra);
    const char *eol = elen >= 2 && strcmp(extra + elen - 2, "\r\n") == 0 ? "" : elen ? "\r\n" : "";
    bool no_body = status < 200 || status == 204 || status == 304;
    const char *conn = keep_alive ? "keep-alive" : "close";
    char fixed[512];
    int n;
    if (no_body)
        n = snprintf(fixed, sizeof(fixed), "HTTP/1.1 %d %s\r\nConnection: %s\r\n", status,
                     reason(status), conn);
    else
        n = snprintf(fixed, sizeof(fixed),
                     "HTTP/1.1 %d %s\r\nContent-Type: %.300s\r\nContent-Length: %zu\r\n"
                     "Connection: %s\r\n",
                     status, reason(status), ctype ? ctype : "application/json", len, conn);
    str_t head = {0};
    str_append(&head, fixed, (size_t)n);
    str_append(&head, extra, elen);
    str_append(&head, eol, strlen(eol));
    str_append(&head, "\r\n", 2);
    queue_write(c, head.p, head.len, body, no_body || is_head ? 0 : len);
    free(head.p);
}

/* The connection takes no more requests: the request being read is
 * dropped, reading stops, and once the queued writes are out the
 * connection shuts down for writing and lingers (or closes at once if the
 * client has closed already). A stalled write gets idle_timeout_ms. */
static void start_drain(http_conn_t *c)
{
    if (c->closing) return;
    if (c->state != C_DRAINING) {
        if (c->req && c->state == C_READING) {
            req_free(c->req);
            c->req = NULL;
        }
        c->state = C_DRAINING;
        set_timer(c, c->srv->opts.idle_timeout_ms);
        update_reading(c);
    }
    if (c->nwrites > 0) return;
    if (c->peer_eof) {
        close_now(c);
        return;
    }
    c->shut.data = c;
    if (uv_shutdown(&c->shut, (uv_stream_t *)&c->tcp, NULL) != 0)
        close_now(c);
    else {
        c->state = C_LINGER;
        set_timer(c, LINGER_MS);
        update_reading(c);
    }
}

/* The server's own error for the request being read (or about to be):
 * {"error": msg} and the connection ends. */
static void fail_request(http_conn_t *c, int status, const char *msg)
{
    size_t len;
    char *body = json_error(msg, &len);
    if (status == 408)
        c->srv->stats.timeouts++;
    else
        c->srv->stats.bad_requests++;
    queue_response(c, status, "application/json", body, len, NULL, false, false);
    free(body);
    start_drain(c);
}

/* What the parser's error means for the client: 431 for a head over the
 * limit, the callback's own verdict (413, ...) or 400. */
static void fail_parse(http_conn_t *c, enum http_errno e)
{
    char msg[160];
    int status = c->err_status ? c->err_status : e == HPE_HEADER_OVERFLOW ? 431 : 400;
    if (c->err_status)
        snprintf(msg, sizeof(msg), "%s", c->err_msg);
    else if (e == HPE_HEADER_OVERFLOW)
        snprintf(msg, sizeof(msg), "request line and headers over %d bytes", HTTP_MAX_HEAD);
    else
        snprintf(msg, sizeof(msg), "malformed HTTP request: %s", http_errno_description(e));
    fail_request(c, status, msg);
}

/* The request came in full: its strings finished, it goes to the handler,
 * and the connection waits for http_respond (which may come right away,
 * from inside the handler). */
static void dispatch(http_conn_t *c)
{
    req_t *rq = c->req;
    http_request_t *r = &rq->pub;
    r->method = http_method_str((enum http_method)c->parser.method);
    /* the path and the query, cut in place: "/p?q#f"; an absolute URL
     * ("http://host/p") loses its scheme and host */
    if (!rq->url.p) str_append(&rq->url, "", 0);
    char *url = rq->url.p;
    char *hash = strchr(url, '#');
    if (hash) *hash = '\0';
    char *q = strchr(url, '?');
    r->query = "";
    if (q) {
        *q = '\0';
        r->query = q + 1;
    }
    r->path = url;
    if (url[0] != '/' && url[0] != '*') {
        char *scheme = strstr(url, "://");
        if (scheme) {
            char *slash = strchr(scheme + 3, '/');
            r->path = slash ? slash : "/";
        }
    }
    r->authorization = str_value(&rq->auth);
    r->content_type = str_value(&rq->ctype);
    if (!rq->body) rq->body = calloc(1, 1);
    rq->body[rq->body_len] = '\0';
    r->body = rq->body;
    r->body_len = rq->body_len;

    c->state = C_PENDING;
    uv_timer_stop(&c->timer);
    c->srv->stats.requests++;
    c->srv->handler(r);
}

/* Parses what is buffered, one request at a time: stops at a pending
 * request, at an error, or when the writes lag. Guarded against re-entry:
 * a handler that answers at once calls back into here through
 * http_respond, and the loop on the stack goes on instead. */
static void process_input(http_conn_t *c)
{
    if (c->busy || c->closing) return;
    c->busy = true;
    while (!c->closing && (c->state == C_IDLE || c->state == C_READING) && c->rpos < c->rlen &&
           c->out_bytes < WRITE_HIGH) {
        size_t n =
            http_parser_execute(&c->parser, &http_settings, c->rbuf + c->rpos, c->rlen - c->rpos);
        c->rpos += n;
        if (c->closing) break;
        enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
        if (e == HPE_OK && n == 0) break; /* cannot happen: the parser takes all it is given */
        if (e == HPE_PAUSED) {            /* by on_message_complete: one whole request */
            http_parser_pause(&c->parser, 0);
            dispatch(c);
        } else if (e != HPE_OK) {
            fail_parse(c, e);
        }
    }
    c->busy = false;
    if (c->closing) return;
    /* the client closed and what it sent is parsed: no request can come */
    if (c->peer_eof && (c->state == C_IDLE || c->state == C_READING) && c->rpos == c->rlen) {
        start_drain(c);
        return;
    }
    update_reading(c);
}

/* ---- http-parser's callbacks -------------------------------------------- */

/* Each callback stops the parse (nonzero) with c->err_status set when the
 * request breaks a limit; without a request (it was dropped) it stops too. */
static int parse_error(http_conn_t *c, int status, const char *msg)
{
    c->err_status = status;
    c->err_msg = msg;
    return -1;
}

/* A request's first byte: its clock starts. */
static int on_message_begin(http_parser *p)
{
    http_conn_t *c = p->data;
    if (c->req) req_free(c->req);
    req_t *rq = calloc(1, sizeof(*rq));
    rq->pub.conn = c;
    rq->pub.ud = c->srv->ud;
    memcpy(rq->pub.peer_ip, c->peer_ip, sizeof(rq->pub.peer_ip));
    rq->pub.peer_loopback = c->peer_loopback;
    c->req = rq;
    c->state = C_READING;
    c->err_status = 0;
    set_timer(c, c->srv->opts.request_timeout_ms);
    return 0;
}

/* The URL, possibly in pieces; split into path and query once complete. */
static int on_url(http_parser *p, const char *at, size_t len)
{
    http_conn_t *c = p->data;
    if (!c->req) return -1;
    str_append(&c->req->url, at, len);
    return 0;
}

/* Header names and values may come in pieces (across reads): a name after
 * a value starts the next header. */
static int on_header_field(http_parser *p, const char *at, size_t len)
{
    http_conn_t *c = p->data;
    req_t *rq = c->req;
    if (!rq) return -1;
    if (rq->headers_done) return 0;
    if (rq->in_value) {
        rq->in_value = false;
        rq->field.len = 0;
    }
    str_append(&rq->field, at, len);
    return 0;
}

/* The first piece of a value picks where it goes, by the header's name;
 * the headers kept must not come twice (which of two Authorization
 * headers would count?). */
static int on_header_value(http_parser *p, const char *at, size_t len)
{
    http_conn_t *c = p->data;
    req_t *rq = c->req;
    if (!rq) return -1;
    if (rq->headers_done) return 0;
    if (!rq->in_value) {
        rq->in_value = true;
        const char *name = rq->field.p ? rq->field.p : "";
        rq->target = strcasecmp(name, "authorization") == 0  ? &rq->auth
                     : strcasecmp(name, "content-type") == 0 ? &rq->ctype
                     : strcasecmp(name, "expect") == 0       ? &rq->expect
                                                             : NULL;
        if (rq->target && rq->target->p)
            return parse_error(c, 400, "a header that may appear once came twice");
        if (rq->target) str_append(rq->target, "", 0); /* present, even if empty */
    }
    if (rq->target) str_append(rq->target, at, len);
    return 0;
}

/* The head is in: a body over max_body is refused before it is read, and
 * a client that waits for "100 Continue" is told to send it. */
static int on_headers_complete(http_parser *p)
{
    http_conn_t *c = p->data;
    req_t *rq = c->req;
    if (!rq) return -1;
    rq->headers_done = true;
    size_t max = c->srv->opts.max_body;
    bool chunked = (p->flags & F_CHUNKED) != 0;
    bool has_len = p->content_length != ULLONG_MAX;
    if (has_len && p->content_length > max)
        return parse_error(c, 413, "request body over the limit");
    rq->keep_alive = http_should_keep_alive(p) && !p->upgrade;
    rq->is_head = p->method == HTTP_HEAD;
    if (has_len && p->content_length > 0) { /* room for it, up to a size that costs nothing */
        rq->body_cap =
            p->content_length < BODY_PREALLOC ? (size_t)p->content_length + 1 : BODY_PREALLOC;
        rq->body = malloc(rq->body_cap);
    }
    if (rq->expect.p && strcasecmp(str_value(&rq->expect), "100-continue") == 0 &&
        p->http_major == 1 && p->http_minor >= 1 &&
        (chunked || (has_len && p->content_length > 0))) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        /* should this fail, the connection closes and the callbacks after
         * this one, finding no request, stop the parse */
        queue_write(c, cont, sizeof(cont) - 1, NULL, 0);
    }
    return 0;
}

/* A chunk's size is known before its data: refused as soon as it would
 * take the body over max_body. */
static int on_chunk_header(http_parser *p)
{
    http_conn_t *c = p->data;
    if (!c->req) return -1;
    if (p->content_length > c->srv->opts.max_body - c->req->body_len)
        return parse_error(c, 413, "request body over the limit");
    return 0;
}

/* Body bytes (a chunk's data when chunked), copied; never past max_body. */
static int on_body(http_parser *p, const char *at, size_t len)
{
    http_conn_t *c = p->data;
    req_t *rq = c->req;
    if (!rq) return -1;
    size_t max = c->srv->opts.max_body;
    if (len > max - rq->body_len) return parse_error(c, 413, "request body over the limit");
    if (rq->body_len + len + 1 > rq->body_cap) {
        size_t cap = rq->body_cap ? rq->body_cap : 1024;
        while (cap < rq->body_len + len + 1)
            cap *= 2;
        if (cap > max + 1) cap = max + 1;
        rq->body = realloc(rq->body, cap);
        rq->body_cap = cap;
    }
    memcpy(rq->body + rq->body_len, at, len);
    rq->body_len += len;
    return 0;
}

/* One request is complete: the parser pauses here, so that it is handled
 * before the bytes after it are looked at. */
static int on_message_complete(http_parser *p)
{
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings http_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
    .on_chunk_header = on_chunk_header,
};

/* ---- libuv's callbacks -------------------------------------------------- */

/* Reads go to the end of the connection's buffer (after what waits to be
 * parsed, moved to the front); when lingering, anywhere. */
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    http_conn_t *c = h->data;
    (void)suggested;
    if (!c->rbuf) c->rbuf = malloc(READ_BUF);
    if (c->state == C_LINGER || c->rpos == c->rlen) {
        c->rpos = c->rlen = 0;
    } else if (c->rpos > 0) {
        memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
        c->rlen -= c->rpos;
        c->rpos = 0;
    }
    *buf = uv_buf_init(c->rbuf + c->rlen, (unsigned)(READ_BUF - c->rlen));
}

/* The client closed its side. Its pending request is still answered (a
 * client that only half-closed gets it), then the connection ends. */
static void on_eof(http_conn_t *c)
{
    c->peer_eof = true;
    switch (c->state) {
    case C_LINGER:
        close_now(c);
        break;
    case C_DRAINING:
    case C_PENDING:
        update_reading(c);
        break;
    default:
        process_input(c);
        break;
    }
}

/* Bytes in: parsed at once, kept while a request is pending, dropped
 * while lingering. An error (a reset) ends the connection. */
static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    http_conn_t *c = st->data;
    (void)buf;
    if (c->closing) return;
    if (nread == UV_ENOBUFS) { /* the buffer is full: wait for the parser */
        uv_read_stop(st);
        c->reading = false;
        return;
    }
    if (nread == UV_EOF) {
        on_eof(c);
        return;
    }
    if (nread < 0) {
        close_now(c);
        return;
    }
    if (nread == 0 || c->state == C_LINGER) return;
    c->rlen += (size_t)nread;
    if (c->state == C_PENDING)
        update_reading(c);
    else
        process_input(c);
}

/* The connection's one deadline has passed: a request still incomplete is
 * answered 408; otherwise (idle, or a closing client that does not read or
 * close) the connection goes. A pending request has no deadline here: the
 * handler owns it. */
static void on_timer(uv_timer_t *t)
{
    http_conn_t *c = t->data;
    if (c->closing) return;
    switch (c->state) {
    case C_READING: {
        char msg[96];
        snprintf(msg, sizeof(msg), "the request did not arrive in full within %d ms",
                 c->srv->opts.request_timeout_ms);
        fail_request(c, 408, msg);
        break;
    }
    case C_PENDING:
        break;
    default:
        close_now(c);
        break;
    }
}

/* A new client: refused (closed at once) over max_conns, else read. */
static void on_connection(uv_stream_t *listener, int status)
{
    http_server_t *s = listener->data;
    if (status < 0 || s->stopped) return;
    http_conn_t *c = calloc(1, sizeof(*c));
    c->srv = s;
    uv_tcp_init(s->loop, &c->tcp);
    c->tcp.data = c;
    c->handles = 1;
    s->live++;
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0 || s->nconns >= s->opts.max_conns) {
        if (s->nconns >= s->opts.max_conns) s->stats.rejected++;
        c->closing = true;
        uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
        return;
    }
    uv_timer_init(s->loop, &c->timer);
    c->timer.data = c;
    c->handles = 2;
    uv_tcp_nodelay(&c->tcp, 1);
    peer_of(c);
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    c->next = s->conns;
    if (s->conns) s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    s->stats.connections++;
    c->state = C_IDLE;
    set_timer(c, s->opts.idle_timeout_ms);
    update_reading(c);
}

/* ---- the interface ------------------------------------------------------ */

/* The listener is closed: the server goes once its connections have. */
static void on_listener_closed(uv_handle_t *h)
{
    http_server_t *s = h->data;
    if (--s->live == 0) free(s);
}

/* Binds and listens; options left 0 take their defaults. The head limit is
 * http-parser's own (a process-wide setting, the same for every server). */
int http_server_start(http_server_t **out, uv_loop_t *loop, const char *host, int port,
                      const http_server_opts_t *opts, http_handler_fn *handler, void *ud)
{
    *out = NULL;
    struct sockaddr_storage addr;
    int rc = strchr(host, ':') ? uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr)
                               : uv_ip4_addr(host, port, (struct sockaddr_in *)&addr);
    if (rc) return rc;
    http_server_t *s = calloc(1, sizeof(*s));
    if (opts) s->opts = *opts;
    if (s->opts.max_body == 0) s->opts.max_body = DEFAULT_MAX_BODY;
    if (s->opts.request_timeout_ms <= 0) s->opts.request_timeout_ms = DEFAULT_REQUEST_TIMEOUT_MS;
    if (s->opts.idle_timeout_ms <= 0) s->opts.idle_timeout_ms = DEFAULT_IDLE_TIMEOUT_MS;
    if (s->opts.max_conns <= 0) s->opts.max_conns = DEFAULT_MAX_CONNS;
    s->loop = loop;
    s->handler = handler;
    s->ud = ud;
    http_parser_set_max_header_size(HTTP_MAX_HEAD);

    uv_tcp_init(loop, &s->listener);
    s->listener.data = s;
    s->live = 1;
    if ((rc = uv_tcp_bind(&s->listener, (struct sockaddr *)&addr, 0)) == 0 &&
        (rc = uv_listen((uv_stream_t *)&s->listener, 128, on_connection)) == 0) {
        int len = sizeof(addr);
        if (uv_tcp_getsockname(&s->listener, (struct sockaddr *)&addr, &len) == 0)
            s->port = ntohs(addr.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&addr)->sin6_port
                                                       : ((struct sockaddr_in *)&addr)->sin_port);
        *out = s;
        return 0;
    }
    s->stopped = true;
    uv_close((uv_handle_t *)&s->listener, on_listener_closed);
    return rc;
}

/* Stops listening and closes every connection; requests waiting for their
 * answer are let go of (http_respond then only frees them). */
void http_server_stop(http_server_t *s)
{
    if (!s || s->stopped) return;
    s->stopped = true;
    while (s->conns)
        close_now(s->conns);
    uv_close((uv_handle_t *)&s->listener, on_listener_closed);
}

/* The port bound, as the kernel chose it for port 0. */
int http_server_port(const http_server_t *s)
{
    return s->port;
}

/* Writes the answer and frees the request; the connection then goes on
 * with the next request, or ends (keep-alive off, or the client closed
 * and nothing more is buffered). For a connection gone, only frees. */
void http_respond(http_request_t *req, int status, const char *content_type, const char *body,
                  size_t len, const char *extra_headers)
{
    req_t *rq = (req_t *)req;
    http_conn_t *c = req->conn;
    if (!c) {
        req_free(rq);
        return;
    }
    bool keep = rq->keep_alive;
    queue_response(c, status, content_type, body, len, extra_headers, keep, rq->is_head);
    if (c->req == rq) c->req = NULL;
    req_free(rq);
    if (c->closing) return;
    if (!keep) {
        start_drain(c);
        return;
    }
    c->state = C_IDLE;
    set_timer(c, c->srv->opts.idle_timeout_ms);
    process_input(c); /* the next request, when one is buffered */
}

/* Gone: let go of by its connection, or the client sent its EOF (it may
 * only have half-closed, but most often it has given up). */
bool http_request_gone(const http_request_t *req)
{
    return !req->conn || req->conn->peer_eof;
}

/* Errors look the same everywhere: {"error": msg} as JSON. */
void http_respond_error(http_request_t *req, int status, const char *msg)
{
    size_t len;
    char *body = json_error(msg, &len);
    http_respond(req, status, "application/json", body, len, NULL);
    free(body);
}

/* The value of a hex digit, -1 for anything else. */
static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Percent-decodes n bytes of a query part into out (at most outlen - 1,
 * NUL-terminated); '+' is a space, as in forms. Broken escapes stay. */
static void query_decode(const char *p, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < outlen; i++) {
        char ch = p[i];
        if (ch == '+') {
            ch = ' ';
        } else if (ch == '%' && i + 2 < n && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) {
            ch = (char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
            i += 2;
        }
        out[o++] = ch;
    }
    out[o] = '\0';
}

/* The query is "a=1&b&c=x=y": parts split at '&', each a name and, after
 * the first '=', a value; both percent-decoded. The first part named so
 * wins; a value too long for val is cut. */
bool http_query_param(const http_request_t *req, const char *name, char *val, size_t vlen)
{
    const char *q = req->query ? req->query : "";
    char key[256];
    while (*q) {
        const char *end = strchr(q, '&');
        size_t part = end ? (size_t)(end - q) : strlen(q);
        const char *eq = memchr(q, '=', part);
        size_t klen = eq ? (size_t)(eq - q) : part;
        if (part > 0 && klen < sizeof(key)) {
            query_decode(q, klen, key, sizeof(key));
            if (strcmp(key, name) == 0) {
                if (val && vlen) {
                    if (eq)
                        query_decode(eq + 1, part - klen - 1, val, vlen);
                    else
                        val[0] = '\0';
                }
                return true;
            }
        }
        q += part;
        if (*q == '&') q++;
    }
    return false;
}

/* A copy of the counters, for /metrics. */
void http_server_stats(const http_server_t *s, http_stats_t *st)
{
    *st = s->stats;
}
