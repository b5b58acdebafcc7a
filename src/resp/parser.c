/* RESP request parser. See parser.h for the contract.
 *
 * The rules follow Redis 7.0 networking.c (processMultibulkBuffer and
 * processInlineBuffer) and sds.c (sdssplitargs), checked against a running
 * redis-server 7.0:
 *
 * - A request starting with '*' is multibulk, anything else is inline.
 * - Header lines ("*<n>", "$<len>") end at the first '\r'; the byte after it
 *   must be present but is not checked (Redis skips it blindly), and the
 *   same is true of the two bytes after a bulk payload.
 * - Numbers are parsed as string2ll does: optional '-', no '+', no leading
 *   zeros, no spaces, at most 20 characters.
 * - "*<n>" with n <= 0 is an empty request; n > max_multibulk, or not a
 *   number, is "invalid multibulk length". "$<len>" with len < 0 or
 *   len > max_bulk_len is "invalid bulk length".
 * - Inline requests end at '\n' (a '\r' just before it is dropped) and are
 *   split like sdssplitargs, quotes and escapes included.
 */
#include "resp/parser.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { REQ_UNKNOWN = 0, REQ_MULTIBULK = 1, REQ_INLINE = 2 };

/* Preallocate at most this many argument slots from a "*<n>" header; more
 * are added as arguments actually arrive (Redis caps argv_len the same way),
 * so "*1048576\r\n" alone costs nothing. */
#define RESP_PREALLOC_ARGS 1024

void resp_limits_default(resp_limits_t *lim)
{
    lim->max_bulk_len = 512LL * 1024 * 1024; /* proto-max-bulk-len */
    lim->max_multibulk = INT_MAX;            /* Redis 7.0: "ll > INT_MAX" */
    lim->max_inline = 64 * 1024;             /* PROTO_INLINE_MAX_SIZE */
}

void resp_parser_init(resp_parser_t *p, const resp_limits_t *lim)
{
    memset(p, 0, sizeof(*p));
    if (lim)
        p->lim = *lim;
    else
        resp_limits_default(&p->lim);
    p->bulklen = -1;
}

void resp_parser_free(resp_parser_t *p)
{
    free(p->argoff);
    free(p->arglen);
    p->argoff = NULL;
    p->arglen = NULL;
    p->argcap = 0;
    p->argc = 0;
}

void resp_parser_reset(resp_parser_t *p)
{
    p->reqtype = REQ_UNKNOWN;
    p->mbulk = 0;
    p->bulklen = -1;
    p->pos = 0;
    p->scan = 0;
}

/* Grows the argument arrays to at least `need` entries (doubling, but never
 * past `limit`, the most this request can use). The arrays are kept between
 * requests, so the steady state allocates nothing. */
static void grow_args(resp_parser_t *p, long long need, long long limit)
{
    long long cap = p->argcap ? p->argcap : 8;
    while (cap < need)
        cap *= 2;
    if (cap > limit) cap = limit;
    if (cap < need) cap = need;
    if (cap > INT_MAX) abort(); /* unreachable: argc is bounded by max_multibulk <= INT_MAX */
    size_t *off = realloc(p->argoff, (size_t)cap * sizeof(size_t));
    if (!off) abort();
    p->argoff = off;
    size_t *len = realloc(p->arglen, (size_t)cap * sizeof(size_t));
    if (!len) abort();
    p->arglen = len;
    p->argcap = (int)cap;
}

static inline void push_arg(resp_parser_t *p, size_t off, size_t len)
{
    if (p->argc == p->argcap) grow_args(p, (long long)p->argc + 1, INT_MAX);
    p->argoff[p->argc] = off;
    p->arglen[p->argc] = len;
    p->argc++;
}

/* string2ll's rules on s[0..n): what Redis accepts as "*<n>" and "$<len>".
 * Header numbers are short, so a plain loop is as fast as anything. */
static int parse_ll(const char *s, size_t n, long long *v)
{
    if (n == 0 || n >= 21) return 0;
    if (n == 1 && s[0] == '0') {
        *v = 0;
        return 1;
    }
    int neg = 0;
    if (s[0] == '-') {
        neg = 1;
        s++;
        n--;
        if (n == 0) return 0;
    }
    if (s[0] < '1' || s[0] > '9') return 0;
    unsigned long long u = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9) return 0;
        if (u > ULLONG_MAX / 10) return 0;
        u *= 10;
        if (u > ULLONG_MAX - d) return 0;
        u += d;
    }
    if (neg) {
        if (u > (unsigned long long)LLONG_MAX + 1) return 0;
        *v = u == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)u;
    } else {
        if (u > (unsigned long long)LLONG_MAX) return 0;
        *v = (long long)u;
    }
    return 1;
}

enum { EOL_MORE = 0, EOL_FOUND = 1, EOL_TOOBIG = -1 };

/* Finds the end of the line starting at `start`: the first `term` byte, which
 * must be followed by `after` more bytes. Redis looks for it with strchr, so
 * a NUL byte before it hides it; and it complains that the line is too big
 * when more than max_inline bytes follow the line start without a line end.
 * Only max_inline+1 bytes are searched (see parser.h for why), and p->scan
 * remembers how far we looked so a header arriving byte by byte is not
 * rescanned. */
static int find_eol(resp_parser_t *p, const char *buf, size_t len, size_t start, char term,
                    size_t after, size_t *eol)
{
    size_t avail = len - start;
    size_t max = p->lim.max_inline;
    size_t from = p->scan > start ? p->scan : start;
    size_t wend = avail > max ? start + max + 1 : len;

    if (p->scan != SIZE_MAX && from < wend) {
        const char *t = memchr(buf + from, term, wend - from);
        size_t stop = t ? (size_t)(t - buf) : wend;
        if (memchr(buf + from, '\0', stop - from)) {
            p->scan = SIZE_MAX; /* stays hidden: wait for the limit */
        } else if (!t) {
            p->scan = wend;
        } else if (len - stop <= after) {
            p->scan = stop; /* found, but the byte after it is still missing */
            return EOL_MORE;
        } else {
            p->scan = 0;
            *eol = stop;
            return EOL_FOUND;
        }
    }
    return avail > max ? EOL_TOOBIG : EOL_MORE;
}

static resp_status_t fail(resp_parser_t *p, const char *msg)
{
    p->err = msg;
    resp_parser_reset(p);
    return RESP_ERROR;
}

static resp_status_t finish(resp_parser_t *p, size_t consumed)
{
    p->consumed = consumed;
    resp_parser_reset(p);
    return p->argc ? RESP_DONE : RESP_EMPTY;
}

static inline int is_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r'); /* isspace() in the C locale */
}

static inline int hex_val(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Splits buf[0..end) as sdssplitargs does, unescaping quoted tokens in place
 * (the write position never passes the read position). Plain tokens are
 * only delimited, never copied. The line holds no NUL (find_eol saw to it),
 * so "past the end" plays the role of sdssplitargs' terminating NUL.
 * Returns 0 on unbalanced quotes. */
static int split_inline(resp_parser_t *p, char *buf, size_t end)
{
#define AT(k) ((k) < end ? (unsigned char)buf[k] : 0)
    size_t i = 0;
    for (;;) {
        while (i < end && is_space((unsigned char)buf[i]))
            i++;
        if (i == end) return 1;

        /* Fast path: an unquoted token is just a slice of the line. */
        size_t start = i;
        while (i < end) {
            unsigned char c = (unsigned char)buf[i];
            if (c == ' ' || c == '\t' || c == '\r' || c == '"' || c == '\'') break;
            i++;
        }
        if (i == end || buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r') {
            push_arg(p, start, i - start);
            if (i < end) i++; /* the delimiter, as sdssplitargs' trailing p++ */
            continue;
        }

        /* Slow path: the token contains quotes; rewrite it from `w`. */
        size_t w = i;
        int inq = 0, insq = 0, done = 0;
        while (!done) {
            unsigned char c = AT(i);
            if (inq) {
                int h1, h2;
                if (c == '\\' && AT(i + 1) == 'x' && (h1 = hex_val(AT(i + 2))) >= 0 &&
                    (h2 = hex_val(AT(i + 3))) >= 0) {
                    buf[w++] = (char)(h1 * 16 + h2);
                    i += 3;
                } else if (c == '\\' && AT(i + 1)) {
                    i++;
                    switch (buf[i]) {
                    case 'n':
                        buf[w++] = '\n';
                        break;
                    case 'r':
                        buf[w++] = '\r';
                        break;
                    case 't':
                        buf[w++] = '\t';
                        break;
                    case 'b':
                        buf[w++] = '\b';
                        break;
                    case 'a':
                        buf[w++] = '\a';
                        break;
                    default:
                        buf[w++] = buf[i];
                        break;
                    }
                } else if (c == '"') {
                    /* the closing quote must be followed by a space or nothing */
                    if (AT(i + 1) && !is_space(AT(i + 1))) return 0;
                    done = 1;
                } else if (!c) {
                    return 0;
                } else {
                    buf[w++] = (char)c;
                }
            } else if (insq) {
                if (c == '\\' && AT(i + 1) == '\'') {
                    i++;
                    buf[w++] = '\'';
                } else if (c == '\'') {
                    if (AT(i + 1) && !is_space(AT(i + 1))) return 0;
                    done = 1;
                } else if (!c) {
                    return 0;
                } else {
                    buf[w++] = (char)c;
                }
            } else {
                switch (c) {
                case ' ':
                case '\n':
                case '\r':
                case '\t':
                case '\0':
                    done = 1;
                    break;
                case '"':
                    inq = 1;
                    break;
                case '\'':
                    insq = 1;
                    break;
                default:
                    buf[w++] = (char)c;
                    break;
                }
            }
            if (AT(i)) i++;
        }
        push_arg(p, start, w - start);
    }
#undef AT
}

/* One inline request: everything up to '\n'. */
static resp_status_t parse_inline(resp_parser_t *p, char *buf, size_t len)
{
    size_t nl;
    int r = find_eol(p, buf, len, 0, '\n', 0, &nl);
    if (r == EOL_MORE) return RESP_NEED_MORE;
    if (r == EOL_TOOBIG) return fail(p, "too big inline request");

    size_t end = nl;
    if (end > 0 && buf[end - 1] == '\r') end--;
    if (!split_inline(p, buf, end)) return fail(p, "unbalanced quotes in request");
    return finish(p, nl + 1);
}

/* "expected '$', got 'X'" with the offending byte; \r and \n become spaces
 * as addReplyErrorFormat does, so the message is always safe to send. */
static resp_status_t fail_expected(resp_parser_t *p, char got)
{
    static const char pre[] = "expected '$', got '";
    memcpy(p->errbuf, pre, sizeof(pre) - 1);
    size_t n = sizeof(pre) - 1;
    p->errbuf[n++] = (got == '\r' || got == '\n') ? ' ' : got;
    p->errbuf[n++] = '\'';
    p->errbuf[n] = '\0';
    return fail(p, p->errbuf);
}

/* One multibulk request, continuing from p->pos. While a bulk payload is
 * incomplete we only compare lengths, so big values are never rescanned. */
static resp_status_t parse_multibulk(resp_parser_t *p, char *buf, size_t len)
{
    size_t eol;
    long long ll;

    if (p->pos == 0) {
        int r = find_eol(p, buf, len, 0, '\r', 1, &eol);
        if (r == EOL_MORE) return RESP_NEED_MORE;
        if (r == EOL_TOOBIG) return fail(p, "too big mbulk count string");
        if (!parse_ll(buf + 1, eol - 1, &ll) || ll > p->lim.max_multibulk || ll > INT_MAX)
            return fail(p, "invalid multibulk length");
        if (p->unauthenticated && ll > RESP_UNAUTH_MAX_ARGS) return fail(p, "unauthenticated multibulk length");
        p->pos = eol + 2;
        if (ll <= 0) return finish(p, p->pos);
        p->mbulk = ll;
        p->bulklen = -1;
        if (p->argcap < ll && p->argcap < RESP_PREALLOC_ARGS)
            grow_args(p, ll < RESP_PREALLOC_ARGS ? ll : RESP_PREALLOC_ARGS, ll);
    }

    while (p->mbulk) {
        if (p->bulklen == -1) {
            int r = find_eol(p, buf, len, p->pos, '\r', 1, &eol);
            if (r == EOL_MORE) return RESP_NEED_MORE;
            if (r == EOL_TOOBIG) return fail(p, "too big bulk count string");
            if (buf[p->pos] != '$') return fail_expected(p, buf[p->pos]);
            if (!parse_ll(buf + p->pos + 1, eol - p->pos - 1, &ll) || ll < 0 ||
                ll > p->lim.max_bulk_len)
                return fail(p, "invalid bulk length");
            if (p->unauthenticated && ll > RESP_UNAUTH_MAX_BULK) return fail(p, "unauthenticated bulk length");
            p->pos = eol + 2;
            p->bulklen = ll;
        }
        if (len - p->pos < (unsigned long long)p->bulklen + 2) return RESP_NEED_MORE;
        if (p->argc == p->argcap)
            grow_args(p, (long long)p->argc + 1, (long long)p->argc + p->mbulk);
        p->argoff[p->argc] = p->pos;
        p->arglen[p->argc] = (size_t)p->bulklen;
        p->argc++;
        p->pos += (size_t)p->bulklen + 2; /* the "\r\n" is skipped, not checked */
        p->bulklen = -1;
        p->mbulk--;
    }
    return finish(p, p->pos);
}

resp_status_t resp_parse(resp_parser_t *p, char *buf, size_t len)
{
    if (p->reqtype == REQ_UNKNOWN) {
        p->argc = 0;
        p->consumed = 0;
        if (len == 0) return RESP_NEED_MORE;
        resp_parser_reset(p);
        p->reqtype = buf[0] == '*' ? REQ_MULTIBULK : REQ_INLINE;
    } else if (len < p->pos) {
        return RESP_NEED_MORE; /* the caller lost bytes it had given us */
    }
    if (p->reqtype == REQ_MULTIBULK) return parse_multibulk(p, buf, len);
    return parse_inline(p, buf, len);
}
