#include "support/respcmp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

/* ---- buffers and encoding ------------------------------------------------ */

static void rbuf_reserve(rbuf_t *b, size_t more)
{
    if (b->len + more + 1 <= b->cap) return;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < b->len + more + 1) ncap *= 2;
    b->p = realloc(b->p, ncap);
    if (!b->p) abort();
    b->cap = ncap;
}

void rbuf_append(rbuf_t *b, const void *data, size_t len)
{
    rbuf_reserve(b, len);
    if (len) memcpy(b->p + b->len, data, len);
    b->len += len;
    b->p[b->len] = '\0';
}

void rbuf_printf(rbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    rbuf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void rbuf_free(rbuf_t *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

void resp_encode(rbuf_t *b, int argc, const char *const *argv, const size_t *lens)
{
    rbuf_printf(b, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        size_t l = lens ? lens[i] : strlen(argv[i]);
        rbuf_printf(b, "$%zu\r\n", l);
        rbuf_append(b, argv[i], l);
        rbuf_append(b, "\r\n", 2);
    }
}

#define MAXARGS 256

static int collect(const char *arg0, va_list ap, const char **argv)
{
    int argc = 0;
    for (const char *a = arg0; a && argc < MAXARGS; a = va_arg(ap, const char *)) argv[argc++] = a;
    return argc;
}

void resp_encodel(rbuf_t *b, const char *arg0, ...)
{
    const char *argv[MAXARGS];
    va_list ap;
    va_start(ap, arg0);
    int argc = collect(arg0, ap, argv);
    va_end(ap);
    resp_encode(b, argc, argv, NULL);
}

/* ---- framing ------------------------------------------------------------- */

/* Parses the integer of the header line [s, e); false if not a number. */
static bool line_ll(const char *s, const char *e, long long *v)
{
    if (s == e) return false;
    bool neg = false;
    if (*s == '-') {
        neg = true;
        s++;
    }
    if (s == e) return false;
    long long x = 0;
    for (; s < e; s++) {
        if (*s < '0' || *s > '9') return false;
        if (x > (LLONG_MAX - 9) / 10) return false;
        x = x * 10 + (*s - '0');
    }
    *v = neg ? -x : x;
    return true;
}

/* End offset of the reply starting at pos, 0 if incomplete, -1 if bad. */
static long frame_at(const char *p, size_t len, size_t pos, int depth)
{
    if (depth > 64) return -1;
    if (pos >= len) return 0;
    const char *eol = NULL;
    for (size_t i = pos + 1; i + 1 < len; i++)
        if (p[i] == '\r' && p[i + 1] == '\n') {
            eol = p + i;
            break;
        }
    char t = p[pos];
    switch (t) {
    case '+': case '-': case ':': case '_': case ',': case '#': case '(':
        break;
    case '$': case '!': case '=': case '*': case '~': case '>': case '%': case '|':
        break;
    default:
        return -1;
    }
    if (!eol) {
        /* a header line cannot be longer than a few dozen bytes */
        if (t != '+' && t != '-' && t != ',' && t != '(' && len - pos > 64) return -1;
        return 0;
    }
    size_t after = (size_t)(eol - p) + 2;
    if (t == '+' || t == '-' || t == ':' || t == '_' || t == ',' || t == '#' || t == '(') return (long)after;
    long long n;
    if (!line_ll(p + pos + 1, eol, &n)) return -1;
    if (t == '$' || t == '!' || t == '=') {
        if (n == -1 && t == '$') return (long)after;
        if (n < 0) return -1;
        if (len < after + (size_t)n + 2) return 0;
        if (p[after + n] != '\r' || p[after + n + 1] != '\n') return -1;
        return (long)(after + (size_t)n + 2);
    }
    if (n == -1 && (t == '*')) return (long)after;
    if (n < 0) return -1;
    long long count = (t == '%' || t == '|') ? 2 * n : n;
    size_t at = after;
    for (long long k = 0; k < count; k++) {
        long e = frame_at(p, len, at, depth + 1);
        if (e <= 0) return e;
        at = (size_t)e;
    }
    if (t == '|') return frame_at(p, len, at, depth + 1); /* the attribute, then the reply */
    return (long)at;
}

long resp_frame(const char *p, size_t len)
{
    return frame_at(p, len, 0, 0);
}

/* ---- connection ---------------------------------------------------------- */

rc_t *rc_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return NULL;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        return NULL;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    rc_t *c = calloc(1, sizeof(*c));
    c->fd = fd;
    c->port = port;
    c->timeout_ms = 10000;
    return c;
}

void rc_close(rc_t *c)
{
    if (!c) return;
    if (c->fd >= 0) close(c->fd);
    free(c->in);
    free(c->last);
    free(c);
}

int rc_write(rc_t *c, const void *data, size_t len)
{
    const char *d = data;
    size_t off = 0;
    while (off < len) {
        ssize_t w = send(c->fd, d + off, len - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        off += (size_t)w;
    }
    return 0;
}

/* Reads more bytes into c->in; 1 read, 0 closed, -1 timeout/error. */
static int fill(rc_t *c, int ms)
{
    if (c->eof) return 0;
    if (c->off > 0 && c->off == c->len) c->off = c->len = 0;
    if (c->len + 65536 > c->cap) {
        if (c->off > 0) {
            memmove(c->in, c->in + c->off, c->len - c->off);
            c->len -= c->off;
            c->off = 0;
        }
        if (c->len + 65536 > c->cap) {
            c->cap = (c->len + 65536) * 2;
            c->in = realloc(c->in, c->cap);
        }
    }
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    int pr;
    do pr = poll(&pfd, 1, ms);
    while (pr < 0 && errno == EINTR);
    if (pr <= 0) return -1;
    ssize_t r;
    do r = recv(c->fd, c->in + c->len, c->cap - c->len, 0);
    while (r < 0 && errno == EINTR);
    if (r == 0 || (r < 0 && errno == ECONNRESET)) {
        c->eof = true;
        return 0;
    }
    if (r < 0) return -1;
    c->len += (size_t)r;
    return 1;
}

long rc_read(rc_t *c, const char **out)
{
    for (;;) {
        long f = resp_frame(c->in + c->off, c->len - c->off);
        if (f < 0) return -1;
        if (f > 0) {
            free(c->last);
            c->last = malloc((size_t)f + 1);
            memcpy(c->last, c->in + c->off, (size_t)f);
            c->last[f] = '\0';
            c->lastlen = (size_t)f;
            c->off += (size_t)f;
            if (out) *out = c->last;
            return f;
        }
        if (fill(c, c->timeout_ms) <= 0) return -1;
    }
}

const char *rc_cmdv(rc_t *c, int argc, const char *const *argv, const size_t *lens, size_t *outlen)
{
    rbuf_t b = {0};
    resp_encode(&b, argc, argv, lens);
    int w = rc_write(c, b.p, b.len);
    rbuf_free(&b);
    if (w < 0) return NULL;
    const char *out;
    long n = rc_read(c, &out);
    if (n < 0) return NULL;
    if (outlen) *outlen = (size_t)n;
    return out;
}

const char *rc_cmd(rc_t *c, const char *arg0, ...)
{
    const char *argv[MAXARGS];
    va_list ap;
    va_start(ap, arg0);
    int argc = collect(arg0, ap, argv);
    va_end(ap);
    return rc_cmdv(c, argc, argv, NULL, NULL);
}

long long rc_int(rc_t *c, const char *arg0, ...)
{
    const char *argv[MAXARGS];
    va_list ap;
    va_start(ap, arg0);
    int argc = collect(arg0, ap, argv);
    va_end(ap);
    size_t n;
    const char *r = rc_cmdv(c, argc, argv, NULL, &n);
    if (!r || r[0] != ':') return LLONG_MIN;
    return strtoll(r + 1, NULL, 10);
}

int rc_pipeline(rc_t *c, const char *data, size_t len, int nreplies, rbuf_t *out, size_t *offs)
{
    size_t sent = 0;
    int got = 0;
    if (offs) offs[0] = out->len;
    while (got < nreplies) {
        /* frame whatever is complete */
        for (;;) {
            long f = resp_frame(c->in + c->off, c->len - c->off);
            if (f < 0) return -1;
            if (f == 0) break;
            rbuf_append(out, c->in + c->off, (size_t)f);
            c->off += (size_t)f;
            got++;
            if (offs) offs[got] = out->len;
            if (got == nreplies) break;
        }
        if (got == nreplies) break;
        if (c->eof) return -1;
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN | (sent < len ? POLLOUT : 0)};
        int pr = poll(&pfd, 1, c->timeout_ms);
        if (pr < 0 && errno == EINTR) continue;
        if (pr <= 0) return -1;
        if ((pfd.revents & POLLOUT) && sent < len) {
            ssize_t w = send(c->fd, data + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0) sent += (size_t)w;
            else if (w < 0 && errno != EAGAIN && errno != EINTR) return -1;
        }
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            if (fill(c, 0) == 0 && c->len == c->off) return -1;
        }
    }
    return sent == len ? 0 : -1;
}

bool rc_wait_closed(rc_t *c, int ms, rbuf_t *rest)
{
    for (;;) {
        if (c->len > c->off) {
            if (rest) rbuf_append(rest, c->in + c->off, c->len - c->off);
            c->off = c->len;
        }
        if (c->eof) return true;
        int r = fill(c, ms);
        if (r < 0) return false;
    }
}

/* ---- printing and assertions --------------------------------------------- */

char *resp_escape(const char *p, size_t len)
{
    rbuf_t b = {0};
    rbuf_append(&b, "", 0);
    size_t shown = len > 600 ? 600 : len;
    for (size_t i = 0; i < shown; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch == '\r') rbuf_append(&b, "\\r", 2);
        else if (ch == '\n') rbuf_append(&b, "\\n", 2);
        else if (ch == '\\') rbuf_append(&b, "\\\\", 2);
        else if (ch == '"') rbuf_append(&b, "\\\"", 2);
        else if (ch < 32 || ch >= 127) rbuf_printf(&b, "\\x%02x", ch);
        else rbuf_append(&b, p + i, 1);
    }
    if (shown < len) rbuf_printf(&b, "...(%zu bytes)", len);
    return b.p;
}

void resp_assert_eq_(const char *file, int line, const char *got, size_t gotlen, const char *want,
                     size_t wantlen)
{
    if (got && gotlen == wantlen && memcmp(got, want, wantlen) == 0) return;
    char *w = resp_escape(want, wantlen);
    char *g = got ? resp_escape(got, gotlen) : strdup("(no reply: timeout, closed or malformed)");
    print_error("reply mismatch\n  want \"%s\"\n  got  \"%s\"\n", w, g);
    free(w);
    free(g);
    _fail(file, line);
}

void rc_expectv_(const char *file, int line, rc_t *c, const char *want, size_t wantlen, int argc,
                 const char *const *argv, const size_t *lens)
{
    size_t n = 0;
    const char *got = rc_cmdv(c, argc, argv, lens, &n);
    if (got && n == wantlen && memcmp(got, want, wantlen) == 0) return;
    rbuf_t cmd = {0};
    rbuf_append(&cmd, "", 0);
    for (int i = 0; i < argc; i++) {
        char *e = resp_escape(argv[i], lens ? lens[i] : strlen(argv[i]));
        rbuf_printf(&cmd, "%s\"%s\"", i ? " " : "", e);
        free(e);
    }
    print_error("command: %s\n", cmd.p);
    rbuf_free(&cmd);
    resp_assert_eq_(file, line, got, n, want, wantlen);
}

void rc_expect_(const char *file, int line, rc_t *c, const char *want, size_t wantlen, const char *arg0, ...)
{
    const char *argv[MAXARGS];
    va_list ap;
    va_start(ap, arg0);
    int argc = collect(arg0, ap, argv);
    va_end(ap);
    rc_expectv_(file, line, c, want, wantlen, argc, argv, NULL);
}

/* ---- reply tree ---------------------------------------------------------- */

static rnode_t *parse_at(const char *p, size_t len, size_t *pos, int depth)
{
    if (depth > 64 || *pos >= len) return NULL;
    const char *eol = NULL;
    for (size_t i = *pos + 1; i + 1 < len; i++)
        if (p[i] == '\r' && p[i + 1] == '\n') {
            eol = p + i;
            break;
        }
    if (!eol) return NULL;
    rnode_t *n = calloc(1, sizeof(*n));
    n->type = p[*pos];
    const char *hs = p + *pos + 1;
    size_t after = (size_t)(eol - p) + 2;
    long long v = 0;
    switch (n->type) {
    case '+': case '-': case ',': case '(':
        n->slen = (size_t)(eol - hs);
        n->s = malloc(n->slen + 1);
        memcpy(n->s, hs, n->slen);
        n->s[n->slen] = '\0';
        *pos = after;
        return n;
    case ':':
        if (!line_ll(hs, eol, &n->i)) break;
        *pos = after;
        return n;
    case '#':
        n->i = (*hs == 't');
        *pos = after;
        return n;
    case '_':
        n->null = true;
        *pos = after;
        return n;
    case '$': case '!': case '=':
        if (!line_ll(hs, eol, &v)) break;
        if (v == -1 && n->type == '$') {
            n->null = true;
            *pos = after;
            return n;
        }
        if (v < 0 || after + (size_t)v + 2 > len) break;
        n->slen = (size_t)v;
        n->s = malloc(n->slen + 1);
        memcpy(n->s, p + after, n->slen);
        n->s[n->slen] = '\0';
        *pos = after + (size_t)v + 2;
        return n;
    case '*': case '~': case '>': case '%': case '|': {
        if (!line_ll(hs, eol, &v)) break;
        if (v == -1 && n->type == '*') {
            n->null = true;
            *pos = after;
            return n;
        }
        if (v < 0 || v > 100000000) break;
        long long cnt = (n->type == '%' || n->type == '|') ? 2 * v : v;
        n->n = (int)cnt;
        n->e = calloc((size_t)cnt + 1, sizeof(*n->e));
        *pos = after;
        for (long long k = 0; k < cnt; k++) {
            n->e[k] = parse_at(p, len, pos, depth + 1);
            if (!n->e[k]) {
                rnode_free(n);
                return NULL;
            }
        }
        if (n->type == '|') { /* skip the attribute, return the reply */
            rnode_free(n);
            return parse_at(p, len, pos, depth + 1);
        }
        return n;
    }
    default:
        break;
    }
    rnode_free(n);
    return NULL;
}

rnode_t *rc_parse_reply(const char *p, size_t len)
{
    size_t pos = 0;
    rnode_t *n = parse_at(p, len, &pos, 0);
    if (n && pos != len) {
        rnode_free(n);
        return NULL;
    }
    return n;
}

void rnode_free(rnode_t *n)
{
    if (!n) return;
    for (int i = 0; i < n->n; i++) rnode_free(n->e[i]);
    free(n->e);
    free(n->s);
    free(n);
}

static int node_cmp(const void *a, const void *b)
{
    const rnode_t *x = *(rnode_t *const *)a, *y = *(rnode_t *const *)b;
    size_t m = x->slen < y->slen ? x->slen : y->slen;
    int c = m ? memcmp(x->s, y->s, m) : 0;
    if (c) return c;
    return x->slen < y->slen ? -1 : x->slen > y->slen;
}

void rnode_sort(rnode_t *n)
{
    if (n && n->n > 1) qsort(n->e, (size_t)n->n, sizeof(*n->e), node_cmp);
}

void resp_write(rbuf_t *b, const rnode_t *n)
{
    switch (n->type) {
    case '+': case '-': case ',': case '(':
        rbuf_printf(b, "%c", n->type);
        rbuf_append(b, n->s, n->slen);
        rbuf_append(b, "\r\n", 2);
        break;
    case ':':
        rbuf_printf(b, ":%lld\r\n", n->i);
        break;
    case '#':
        rbuf_printf(b, "#%c\r\n", n->i ? 't' : 'f');
        break;
    case '_':
        rbuf_append(b, "_\r\n", 3);
        break;
    case '$': case '!': case '=':
        if (n->null) {
            rbuf_append(b, "$-1\r\n", 5);
            break;
        }
        rbuf_printf(b, "%c%zu\r\n", n->type, n->slen);
        rbuf_append(b, n->s, n->slen);
        rbuf_append(b, "\r\n", 2);
        break;
    default: /* aggregates */
        if (n->null) {
            rbuf_append(b, "*-1\r\n", 5);
            break;
        }
        rbuf_printf(b, "%c%d\r\n", n->type, (n->type == '%' || n->type == '|') ? n->n / 2 : n->n);
        for (int i = 0; i < n->n; i++) resp_write(b, n->e[i]);
        break;
    }
}

bool resp_sorted(const char *p, size_t len, rbuf_t *out)
{
    rnode_t *n = rc_parse_reply(p, len);
    if (!n || (n->type != '*' && n->type != '~') || n->null) {
        rnode_free(n);
        return false;
    }
    rnode_sort(n);
    resp_write(out, n);
    rnode_free(n);
    return true;
}

void rc_expect_same_(const char *file, int line, rc_t *ours, rc_t *ref, const char *const *argv)
{
    int argc = 0;
    while (argv[argc]) argc++;
    size_t la = 0, lb = 0;
    const char *ra = rc_cmdv(ours, argc, argv, NULL, &la);
    char *copy = ra ? malloc(la + 1) : NULL;
    if (copy) memcpy(copy, ra, la);
    const char *rb = rc_cmdv(ref, argc, argv, NULL, &lb);
    if (!copy || !rb) {
        print_error("%s: no reply from %s\n", argv[0], copy ? "the reference" : "redraft");
        free(copy);
        _fail(file, line);
    }
    resp_assert_eq_(file, line, copy, la, rb, lb);
    free(copy);
}
