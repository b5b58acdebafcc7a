/* Client connections: read, parse, hand requests to the owner, write replies. */
#include "net/conn.h"
#include "net/server.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

#define READ_CHUNK (16 * 1024)

static void process_input(conn_t *c);
static void start_write(conn_t *c);

void conn_flush(conn_t *c)
{
    start_write(c);
}

/* The read buffer is the query buffer itself, so parsed arguments point into
 * the bytes the kernel wrote: no copy between socket and command. Before
 * growing, the already consumed prefix is dropped. */
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    conn_t *c = h->data;
    (void)suggested;
    if (c->qpos == c->qlen) c->qpos = c->qlen = 0;
    if (c->qcap - c->qlen < READ_CHUNK && c->qpos > 0) {
        memmove(c->qbuf, c->qbuf + c->qpos, c->qlen - c->qpos);
        c->qlen -= c->qpos;
        c->qpos = 0;
    }
    if (c->qcap - c->qlen < READ_CHUNK) {
        size_t ncap = c->qcap ? c->qcap * 2 : READ_CHUNK * 2;
        while (ncap - c->qlen < READ_CHUNK) ncap *= 2;
        c->qbuf = realloc(c->qbuf, ncap);
        c->qcap = ncap;
    }
    buf->base = c->qbuf + c->qlen;
    buf->len = c->qcap - c->qlen;
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    conn_t *c = st->data;
    (void)buf;
    if (nread < 0) {
        conn_close(c);
        return;
    }
    if (nread == 0) return;
    c->qlen += (size_t)nread;
    c->srv->stats.net_input_bytes += (uint64_t)nread;
    if ((long long)(c->qlen - c->qpos) > c->srv->query_buffer_limit) {
        log_warn("client_closed", " id=%llu addr=%s reason=max_query_buffer qbuf=%zu",
                 (unsigned long long)c->id, c->addr, c->qlen - c->qpos);
        conn_close(c);
        return;
    }
    process_input(c);
}

static void stop_reading(conn_t *c)
{
    if (c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
}

static void start_reading(conn_t *c)
{
    if (!c->reading && !c->closing && !c->close_after_flush) {
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
        c->reading = true;
    }
}

/* Offers the parsed request to the owner and acts on its verdict. Returns
 * true when the next request may be parsed. again: a held request offered
 * once more (it is not counted twice). */
static bool dispatch(conn_t *c, resp_status_t st, bool again)
{
    conn_verdict_t v;
    if (st == RESP_ERROR) {
        const char *msg = c->parser.err;
        v = c->srv->handler.on_command(c->srv->handler.ud, c, -1, &msg, NULL);
    } else {
        if (c->argvcap < c->parser.argc) {
            c->argvcap = c->parser.argc;
            c->argv = realloc(c->argv, sizeof(char *) * (size_t)c->argvcap);
        }
        char *base = c->qbuf + c->qpos;
        for (int i = 0; i < c->parser.argc; i++) c->argv[i] = base + c->parser.argoff[i];
        if (!again) c->srv->stats.commands_processed++; /* a held request offered again is one command */
        v = c->srv->handler.on_command(c->srv->handler.ud, c, c->parser.argc, c->argv, c->parser.arglen);
    }
    if (c->closing) return false;
    switch (v) {
    case CONN_PAUSE:
        c->paused = true;
        stop_reading(c);
        return false;
    case CONN_CLOSE:
        conn_close_after_flush(c);
        return false;
    default:
        if (st == RESP_ERROR) { /* the owner must close on a protocol error */
            conn_close_after_flush(c);
            return false;
        }
        c->qpos += c->parser.consumed;
        c->paused = false;
        return true;
    }
}

/* Cuts as many requests out of the buffer as are complete. A paused
 * connection keeps its held request (parser state included) untouched. */
static void process_input(conn_t *c)
{
    while (!c->paused && !c->closing && !c->close_after_flush && c->qpos < c->qlen) {
        resp_status_t st = resp_parse(&c->parser, c->qbuf + c->qpos, c->qlen - c->qpos);
        if (st == RESP_NEED_MORE) break;
        if (st == RESP_EMPTY) {
            c->qpos += c->parser.consumed;
            continue;
        }
        c->held_status = st;
        if (!dispatch(c, st, false)) break;
    }
    if (c->out.len) conn_mark_dirty(c);
}

void conn_resume(conn_t *c)
{
    if (!c->paused || c->closing) return;
    c->paused = false;
    if (dispatch(c, c->held_status, true)) {
        process_input(c);
        start_reading(c);
    }
    if (c->out.len) conn_mark_dirty(c);
}

void conn_mark_dirty(conn_t *c)
{
    if (c->dirty || c->closing) return;
    c->dirty = true;
    c->next_dirty = c->srv->dirty;
    c->srv->dirty = c;
}

static void on_closed(uv_handle_t *h)
{
    conn_t *c = h->data;
    server_t *s = c->srv;
    if (c->dirty) { /* unlink from the pending-write list */
        for (conn_t **pp = &s->dirty; *pp; pp = &(*pp)->next_dirty)
            if (*pp == c) {
                *pp = c->next_dirty;
                break;
            }
    }
    resp_parser_free(&c->parser);
    reply_free(&c->out);
    reply_free(&c->inflight);
    free(c->qbuf);
    free(c->argv);
    free(c);
}

void conn_close(conn_t *c)
{
    if (c->closing) return;
    c->closing = true;
    server_t *s = c->srv;
    if (c->prev) c->prev->next = c->next; else s->clients = c->next;
    if (c->next) c->next->prev = c->prev;
    s->nclients--;
    if (s->handler.on_close && c->udata) s->handler.on_close(s->handler.ud, c);
    c->udata = NULL;
    uv_close((uv_handle_t *)&c->tcp, on_closed);
}

void conn_close_after_flush(conn_t *c)
{
    c->close_after_flush = true;
    stop_reading(c);
    conn_mark_dirty(c);
    if (c->out.len == 0 && !c->writing) conn_close(c);
}

static void on_written(uv_write_t *req, int status)
{
    conn_t *c = req->data;
    c->writing = false;
    c->inflight.len = 0;
    if (c->closing) return;
    if (status < 0) {
        conn_close(c);
        return;
    }
    if (c->out.len)
        start_write(c);
    else if (c->close_after_flush)
        conn_close(c);
}

/* Tries the write right away; what the kernel does not take goes to a
 * uv_write of the whole remainder, and new replies collect meanwhile in the
 * other buffer. */
static void start_write(conn_t *c)
{
    if (c->writing || c->closing) return;
    if (c->out.len == 0) {
        if (c->close_after_flush) conn_close(c);
        return;
    }
    uv_buf_t b = uv_buf_init(c->out.buf, (unsigned)c->out.len);
    int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (n == UV_EAGAIN || n == UV_ENOSYS) n = 0;
    if (n < 0) {
        conn_close(c);
        return;
    }
    c->srv->stats.net_output_bytes += (uint64_t)n;
    if ((size_t)n == c->out.len) {
        reply_clear(&c->out);
        if (c->close_after_flush) conn_close(c);
        return;
    }
    reply_t tmp = c->inflight;
    c->inflight = c->out;
    c->out = tmp;
    reply_clear(&c->out);
    c->out.proto = c->inflight.proto;
    b = uv_buf_init(c->inflight.buf + n, (unsigned)(c->inflight.len - (size_t)n));
    c->srv->stats.net_output_bytes += b.len;
    c->writing = true;
    c->wreq.data = c;
    if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_written) < 0) {
        c->writing = false;
        conn_close(c);
    }
}

static void format_addr(const struct sockaddr_storage *ss, char *out, size_t outlen)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        uv_ip4_name(a, ip, sizeof(ip));
        port = ntohs(a->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        uv_ip6_name(a, ip, sizeof(ip));
        port = ntohs(a->sin6_port);
    }
    snprintf(out, outlen, "%s:%d", ip, port);
}

/* Accepts one client from the listener and starts reading from it. */
void conn_accept(server_t *s)
{
    uv_stream_t *listener = (uv_stream_t *)&s->listener;
    conn_t *c = calloc(1, sizeof(*c));
    c->srv = s;
    c->id = ++s->next_id;
    uv_tcp_init(s->loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
        uv_close((uv_handle_t *)&c->tcp, (uv_close_cb)free);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    resp_parser_init(&c->parser, &s->limits);
    reply_init(&c->out, 2);
    reply_init(&c->inflight, 2);
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) format_addr(&ss, c->addr, sizeof(c->addr));
    len = sizeof(ss);
    if (uv_tcp_getsockname(&c->tcp, (struct sockaddr *)&ss, &len) == 0) format_addr(&ss, c->laddr, sizeof(c->laddr));
    uv_os_fd_t fd;
    c->fd = uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0 ? (int)fd : -1;

    c->next = s->clients;
    if (s->clients) s->clients->prev = c;
    s->clients = c;
    s->nclients++;
    s->stats.connections_received++;

    if (s->nclients > s->maxclients) {
        s->stats.rejected_connections++;
        reply_error(&c->out, "ERR max number of clients reached");
        conn_close_after_flush(c);
        return;
    }
    c->udata = s->handler.on_open ? s->handler.on_open(s->handler.ud, c) : c;
    if (!c->udata) {
        conn_close_after_flush(c);
        return;
    }
    start_reading(c);
}
