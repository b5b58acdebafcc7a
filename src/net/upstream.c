/* Upstream connections: commands out, raw replies back. See upstream.h for
 * the contract.
 *
 * Writes: commands are encoded into `out`. When nothing is being written,
 * `out` is swapped with the idle write buffer and handed to uv_write, so a
 * pipeline of commands sent while a write is in flight leaves together in
 * the next one. Reads: the read buffer is the kernel's target (as in conn.c);
 * the scanner cuts complete replies out of it and each is handed to its
 * command's callback in place, without a copy.
 *
 * Lifetime: a failure (connect error, read or write error, EOF, garbage)
 * closes the handle at once and fails the outstanding commands, but the
 * struct lives on until the owner calls upstream_close. The struct is freed
 * by whichever comes second: the handle's close callback or upstream_close.
 * A failure found inside upstream_send (a write refused at once) is reported
 * from the close callback instead, since upstream_send never calls back. */
#include "net/upstream.h"
#include "resp/scan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define READ_CHUNK (64 * 1024)
/* Buffers larger than this are released when they empty, so one huge reply
 * or command does not pin its memory for the connection's lifetime. */
#define KEEP_BUFFER (1024 * 1024)

typedef struct req {
    void *ud;
    uint64_t end; /* offset just past the command in the output stream */
} req_t;

struct upstream {
    uv_tcp_t tcp;
    uv_connect_t connreq;
    uv_write_t wreq;
    upstream_cb_t cb;
    void *ud;

    bool connected;
    bool writing;       /* a uv_write of wbuf is in flight */
    bool closing;       /* upstream_close was called */
    bool handle_closed; /* libuv's close callback ran */
    bool fail_sent;     /* for upstream_fail_sent, during on_fail */
    bool fail_deferred; /* failed inside upstream_send: report from on_closed */
    bool in_closed_cb;  /* on_closed is reporting: upstream_close must not free */
    int failed;         /* the error that ended the connection, or 0 */

    char *out; /* encoded commands not yet handed to uv_write */
    size_t outlen, outcap;
    char *wbuf; /* the buffer uv_write is sending (or an idle one) */
    size_t wcap;
    uint64_t encoded; /* bytes encoded since the start */
    uint64_t handed;  /* bytes handed to uv_write since the start */

    req_t *q; /* outstanding commands, a ring in send order */
    size_t qhead, qcount, qcap;

    char *in; /* read buffer; the current reply starts at ipos */
    size_t ipos, ilen, icap;
    resp_scan_t scan;
    size_t max_reply;
};

static void start_write(upstream_t *u);

static void free_upstream(upstream_t *u)
{
    free(u->out);
    free(u->wbuf);
    free(u->q);
    free(u->in);
    resp_scan_free(&u->scan);
    free(u);
}

/* Fails every outstanding command, oldest first. Each is taken off the
 * queue before its callback, so a callback that closes the upstream (which
 * drains the queue itself) leaves nothing for this loop to repeat. */
static void fail_all(upstream_t *u, int status)
{
    while (u->qcount > 0) {
        req_t r = u->q[u->qhead];
        u->qhead = (u->qhead + 1) % u->qcap;
        u->qcount--;
        u->fail_sent = r.end <= u->handed;
        u->cb.on_fail(u->ud, r.ud, status);
    }
    u->fail_sent = false;
}

/* What the owner hears when the connection ends by itself: each command's
 * failure, then on_down, unless a callback closed the upstream meanwhile. */
static void report_failure(upstream_t *u)
{
    fail_all(u, u->failed);
    if (!u->closing && u->cb.on_down) u->cb.on_down(u->ud, u->failed);
}

/* Frees the struct if the owner has closed it; otherwise it stays for
 * upstream_close. A failure that arose inside upstream_send is reported
 * here, the first moment callbacks are allowed. */
static void on_closed(uv_handle_t *h)
{
    upstream_t *u = h->data;
    u->handle_closed = true;
    if (u->fail_deferred && !u->closing) {
        u->fail_deferred = false;
        u->in_closed_cb = true; /* a callback may call upstream_close */
        report_failure(u);
        u->in_closed_cb = false;
    }
    if (u->closing) free_upstream(u);
}

/* The connection is lost by itself: close the handle, fail what waits, tell
 * the owner. The struct stays for upstream_close. */
static void fail_conn(upstream_t *u, int status)
{
    if (u->failed || u->closing) return;
    u->failed = status;
    u->connected = false;
    uv_close((uv_handle_t *)&u->tcp, on_closed);
    report_failure(u);
}

/* The same where callbacks must not run yet (inside upstream_send): the
 * report waits for the handle's close callback. */
static void fail_conn_later(upstream_t *u, int status)
{
    if (u->failed || u->closing) return;
    u->failed = status;
    u->connected = false;
    u->fail_deferred = true;
    uv_close((uv_handle_t *)&u->tcp, on_closed);
}

void upstream_close(upstream_t *u)
{
    if (!u || u->closing) return;
    u->closing = true;
    u->connected = false;
    if (!u->failed) {
        u->failed = UV_ECANCELED;
        uv_close((uv_handle_t *)&u->tcp, on_closed);
    }
    fail_all(u, UV_ECANCELED);
    /* Already closed by a failure: no libuv callback is pending, and unless
     * on_closed is reporting (it frees on its way out), none of our frames
     * is on the stack. */
    if (u->handle_closed && !u->in_closed_cb) free_upstream(u);
}

/* ---- reading ------------------------------------------------------------- */

/* Gives the kernel at least READ_CHUNK bytes after the buffered ones. The
 * consumed prefix is dropped first; the buffer only grows while one reply is
 * incomplete, and process_input keeps that below max_reply, so the buffer
 * stays below max_reply plus two chunks. */
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    upstream_t *u = h->data;
    (void)suggested;
    if (u->ipos == u->ilen) {
        u->ipos = u->ilen = 0;
        if (u->icap > KEEP_BUFFER) {
            free(u->in);
            u->in = NULL;
            u->icap = 0;
        }
    }
    if (u->icap - u->ilen < READ_CHUNK && u->ipos > 0) {
        memmove(u->in, u->in + u->ipos, u->ilen - u->ipos);
        u->ilen -= u->ipos;
        u->ipos = 0;
    }
    if (u->icap - u->ilen < READ_CHUNK) {
        size_t ncap = u->icap ? u->icap * 2 : READ_CHUNK;
        size_t most = u->max_reply + 2 * (size_t)READ_CHUNK;
        if (most > u->max_reply && ncap > most) ncap = most; /* unless it wrapped */
        if (ncap < u->ilen + READ_CHUNK) ncap = u->ilen + READ_CHUNK;
        char *p = realloc(u->in, ncap);
        if (!p) abort(); /* as the rest of the server: out of memory is fatal */
        u->in = p;
        u->icap = ncap;
    }
    buf->base = u->in + u->ilen;
    buf->len = u->icap - u->ilen;
}

/* Hands every complete reply in the buffer to its command, in place. The
 * reply's bytes stay where they are until the next on_alloc, which is after
 * the callback returned. */
static void process_input(upstream_t *u)
{
    while (!u->failed && u->ipos < u->ilen) {
        ssize_t n = resp_scan(&u->scan, u->in + u->ipos, u->ilen - u->ipos);
        if (n < 0) {
            fail_conn(u, UV_EPROTO);
            return;
        }
        if (n == 0) {
            if (u->ilen - u->ipos > u->max_reply) fail_conn(u, UV_EMSGSIZE);
            return;
        }
        /* The limit holds however the bytes were chunked. */
        if ((size_t)n > u->max_reply) {
            fail_conn(u, UV_EMSGSIZE);
            return;
        }
        const char *reply = u->in + u->ipos;
        u->ipos += (size_t)n;
        if (u->scan.type == '>' && u->cb.on_push) {
            u->cb.on_push(u->ud, reply, (size_t)n);
            continue;
        }
        if (u->qcount == 0) { /* a reply to nothing: we are out of step */
            fail_conn(u, UV_EPROTO);
            return;
        }
        req_t r = u->q[u->qhead];
        u->qhead = (u->qhead + 1) % u->qcap;
        u->qcount--;
        u->cb.on_reply(u->ud, r.ud, reply, (size_t)n);
    }
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    upstream_t *u = st->data;
    (void)buf;
    if (u->failed) return;
    if (nread < 0) {
        fail_conn(u, (int)nread);
        return;
    }
    u->ilen += (size_t)nread;
    process_input(u);
}

static void on_connect(uv_connect_t *req, int status)
{
    upstream_t *u = req->data;
    if (u->failed) return; /* closed meanwhile: status is UV_ECANCELED */
    if (status < 0) {
        fail_conn(u, status);
        return;
    }
    int r = uv_read_start((uv_stream_t *)&u->tcp, on_alloc, on_read);
    if (r < 0) {
        fail_conn(u, r);
        return;
    }
    u->connected = true;
    start_write(u);
}

/* ---- writing ------------------------------------------------------------- */

static void on_written(uv_write_t *req, int status)
{
    upstream_t *u = req->data;
    u->writing = false;
    if (u->failed) return;
    if (status < 0) {
        fail_conn(u, status);
        return;
    }
    if (u->wcap > KEEP_BUFFER) {
        free(u->wbuf);
        u->wbuf = NULL;
        u->wcap = 0;
    }
    start_write(u);
}

/* Sends everything encoded so far in one uv_write, unless one is in flight
 * (on_written comes back here) or the connection is not up yet (on_connect
 * does). */
static void start_write(upstream_t *u)
{
    if (u->writing || !u->connected || u->failed || u->outlen == 0) return;
    char *b = u->wbuf;
    size_t cap = u->wcap;
    u->wbuf = u->out;
    u->wcap = u->outcap;
    u->out = b;
    u->outcap = cap;
    size_t len = u->outlen;
    u->outlen = 0;

    /* A uv_buf_t holds at most 4 GB on some platforms; libuv copies the
     * array, so it may live on the stack. */
    enum { PIECE = 1 << 30, NPIECES = 8 };
    uv_buf_t bufs[NPIECES];
    unsigned nb = 0;
    for (size_t off = 0; off < len && nb < NPIECES; off += PIECE, nb++) {
        size_t n = len - off < PIECE ? len - off : PIECE;
        bufs[nb] = uv_buf_init(u->wbuf + off, (unsigned)n);
    }
    if ((size_t)nb * PIECE < len) { /* over 8 GB in one go: no client gets there */
        fail_conn_later(u, UV_ENOBUFS);
        return;
    }
    /* libuv reports write errors through on_written; an error here means
     * the stream is unusable, and we may be inside upstream_send. */
    int r = uv_write(&u->wreq, (uv_stream_t *)&u->tcp, bufs, nb, on_written);
    if (r < 0) {
        fail_conn_later(u, r);
        return;
    }
    u->writing = true;
    u->handed += len;
}

static void out_reserve(upstream_t *u, size_t more)
{
    if (u->outcap - u->outlen >= more) return;
    size_t ncap = u->outcap ? u->outcap * 2 : 1024;
    while (ncap - u->outlen < more)
        ncap *= 2;
    char *p = realloc(u->out, ncap);
    if (!p) abort();
    u->out = p;
    u->outcap = ncap;
}

/* "<prefix><n>\r\n" for the multibulk and bulk headers. */
static void out_header(upstream_t *u, char prefix, size_t n)
{
    char tmp[24];
    int k = (int)sizeof(tmp);
    tmp[--k] = '\n';
    tmp[--k] = '\r';
    do {
        tmp[--k] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    tmp[--k] = prefix;
    size_t len = sizeof(tmp) - (size_t)k;
    memcpy(u->out + u->outlen, tmp + k, len);
    u->outlen += len;
}

int upstream_send(upstream_t *u, int argc, const char *const *argv, const size_t *argvlen,
                  void *req_ud)
{
    if (u->closing) return UV_ECANCELED;
    if (u->failed) return u->failed;
    if (argc < 1) return UV_EINVAL;

    /* The whole command first, so a huge one grows the buffer once. */
    size_t need = 24;
    for (int i = 0; i < argc; i++)
        need += 24 + argvlen[i] + 2;
    size_t before = u->outlen;
    out_reserve(u, need);
    out_header(u, '*', (size_t)argc);
    for (int i = 0; i < argc; i++) {
        out_header(u, '$', argvlen[i]);
        memcpy(u->out + u->outlen, argv[i], argvlen[i]);
        u->outlen += argvlen[i];
        u->out[u->outlen++] = '\r';
        u->out[u->outlen++] = '\n';
    }
    u->encoded += u->outlen - before;

    if (u->qcount == u->qcap) {
        size_t ncap = u->qcap ? u->qcap * 2 : 16;
        req_t *q = malloc(ncap * sizeof(req_t));
        if (!q) abort();
        for (size_t i = 0; i < u->qcount; i++)
            q[i] = u->q[(u->qhead + i) % u->qcap];
        free(u->q);
        u->q = q;
        u->qcap = ncap;
        u->qhead = 0;
    }
    u->q[(u->qhead + u->qcount) % u->qcap] = (req_t){.ud = req_ud, .end = u->encoded};
    u->qcount++;
    start_write(u);
    return 0;
}

/* ---- setup and queries ---------------------------------------------------- */

upstream_t *upstream_new(uv_loop_t *loop, const char *host, int port, const upstream_cb_t *cb,
                         void *ud)
{
    struct sockaddr_storage sa;
    if (port <= 0 || port > 65535) return NULL;
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&sa) != 0 &&
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&sa) != 0)
        return NULL;

    upstream_t *u = calloc(1, sizeof(*u));
    if (!u) abort();
    u->cb = *cb;
    u->ud = ud;
    u->max_reply = UPSTREAM_DEFAULT_MAX_REPLY;
    resp_scan_init(&u->scan, UPSTREAM_MAX_DEPTH);
    if (uv_tcp_init(loop, &u->tcp) != 0) {
        free_upstream(u);
        return NULL;
    }
    u->tcp.data = u;
    u->connreq.data = u;
    u->wreq.data = u;
    uv_tcp_nodelay(&u->tcp, 1); /* commands are small and latency is the point */
    if (uv_tcp_connect(&u->connreq, &u->tcp, (const struct sockaddr *)&sa, on_connect) != 0) {
        u->closing = true; /* freed by on_closed */
        u->failed = UV_ECANCELED;
        uv_close((uv_handle_t *)&u->tcp, on_closed);
        return NULL;
    }
    return u;
}

bool upstream_connected(const upstream_t *u)
{
    return u->connected && !u->failed;
}

size_t upstream_pending(const upstream_t *u)
{
    return u->qcount;
}

int upstream_status(const upstream_t *u)
{
    return u->failed;
}

bool upstream_fail_sent(const upstream_t *u)
{
    return u->fail_sent;
}

void upstream_set_max_reply(upstream_t *u, size_t bytes)
{
    u->max_reply = bytes;
}
