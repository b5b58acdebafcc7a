/* RESP reply writer. Every function writes the bytes Redis 7.0's addReply*
 * family writes for the same reply (networking.c), checked against a running
 * redis-server 7.0 in both protocols. */
#include "resp/reply.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLY_MIN_CAP 256

void reply_init(reply_t *r, int proto)
{
    r->buf = NULL;
    r->len = 0;
    r->cap = 0;
    r->proto = proto == 3 ? 3 : 2;
}

void reply_free(reply_t *r)
{
    free(r->buf);
    r->buf = NULL;
    r->len = r->cap = 0;
}

void reply_clear(reply_t *r)
{
    r->len = 0;
}

/* Makes room for n more bytes; doubling keeps appends amortised O(1). */
static void reserve(reply_t *r, size_t n)
{
    if (r->cap - r->len >= n) return;
    size_t cap = r->cap ? r->cap : REPLY_MIN_CAP;
    while (cap - r->len < n)
        cap *= 2;
    char *b = realloc(r->buf, cap);
    if (!b) abort();
    r->buf = b;
    r->cap = cap;
}

static inline void put(reply_t *r, const void *p, size_t n)
{
    memcpy(r->buf + r->len, p, n);
    r->len += n;
}

static const char digit_pairs[201] = "00010203040506070809"
                                     "10111213141516171819"
                                     "20212223242526272829"
                                     "30313233343536373839"
                                     "40414243444546474849"
                                     "50515253545556575859"
                                     "60616263646566676869"
                                     "70717273747576777879"
                                     "80818283848586878889"
                                     "90919293949596979899";

/* Decimal digits of v written at dst (at least 20 bytes), no terminator.
 * Two digits per division: integers are the most common thing we write
 * (lengths, counters), so this avoids snprintf on the hot path. */
static size_t u64_to_str(char *dst, unsigned long long v)
{
    char tmp[20];
    char *p = tmp + sizeof(tmp);
    while (v >= 100) {
        unsigned i = (unsigned)(v % 100) * 2;
        v /= 100;
        *--p = digit_pairs[i + 1];
        *--p = digit_pairs[i];
    }
    if (v < 10) {
        *--p = (char)('0' + v);
    } else {
        unsigned i = (unsigned)v * 2;
        *--p = digit_pairs[i + 1];
        *--p = digit_pairs[i];
    }
    size_t n = (size_t)(tmp + sizeof(tmp) - p);
    memcpy(dst, p, n);
    return n;
}

/* ll2string: at most 20 bytes ("-9223372036854775808"). */
static size_t ll_to_str(char *dst, long long v)
{
    if (v < 0) {
        *dst = '-';
        return 1 + u64_to_str(dst + 1, 0ULL - (unsigned long long)v);
    }
    return u64_to_str(dst, (unsigned long long)v);
}

/* "<prefix><n>\r\n": every length header and integer reply. */
static void put_header(reply_t *r, char prefix, long long n)
{
    reserve(r, 1 + 20 + 2);
    r->buf[r->len++] = prefix;
    r->len += ll_to_str(r->buf + r->len, n);
    r->buf[r->len++] = '\r';
    r->buf[r->len++] = '\n';
}

void reply_raw(reply_t *r, const void *p, size_t n)
{
    reserve(r, n);
    put(r, p, n);
}

void reply_simple(reply_t *r, const char *s)
{
    size_t n = strlen(s);
    reserve(r, n + 3);
    r->buf[r->len++] = '+';
    put(r, s, n);
    put(r, "\r\n", 2);
}

void reply_ok(reply_t *r)
{
    reply_raw(r, "+OK\r\n", 5);
}

/* Error codes Redis 7 sends as the first word of an error. A message that
 * starts with one of them is sent as it is; anything else gets "ERR ". A
 * list rather than "any upper-case word" because Redis has plain messages
 * that start with a command name: "-ERR EXEC without MULTI". */
/* TIMEOUT is redraft's own: a write whose fate is unknown. */
static const char *const error_codes[] = {
    "ERR",       "WRONGTYPE",  "EXECABORT",   "NOAUTH",     "WRONGPASS",  "NOPROTO",  "MOVED",
    "ASK",       "TRYAGAIN",   "CLUSTERDOWN", "CROSSSLOT",  "BUSY",       "BUSYKEY",  "BUSYGROUP",
    "NOGROUP",   "NOSCRIPT",   "LOADING",     "READONLY",   "NOTBUSY",    "OOM",      "NOPERM",
    "UNBLOCKED", "MASTERDOWN", "MISCONF",     "NOREPLICAS", "UNKILLABLE", "NOTREADY", "TIMEOUT",  NULL,
};

static int has_error_code(const char *msg, size_t n)
{
    size_t w = 0;
    while (w < n && msg[w] != ' ')
        w++;
    for (int i = 0; error_codes[i]; i++)
        if (strlen(error_codes[i]) == w && memcmp(msg, error_codes[i], w) == 0) return 1;
    return 0;
}

/* addReplyErrorLength: a message that already starts with '-' carries its
 * own code and is sent as it is; otherwise "-" (plus "ERR " when there is no
 * known code). \r and \n would break the protocol, so they become spaces. */
static void put_error(reply_t *r, const char *msg, size_t n)
{
    reserve(r, n + 7);
    if (n && msg[0] == '-') {
        r->buf[r->len++] = '-';
        msg++;
        n--;
    } else if (has_error_code(msg, n)) {
        r->buf[r->len++] = '-';
    } else {
        put(r, "-ERR ", 5);
    }
    char *dst = r->buf + r->len;
    put(r, msg, n);
    for (size_t i = 0; i < n; i++)
        if (dst[i] == '\r' || dst[i] == '\n') dst[i] = ' ';
    put(r, "\r\n", 2);
}

void reply_error(reply_t *r, const char *msg)
{
    put_error(r, msg, strlen(msg));
}

/* addReplyErrorFormat: formats, trims \r and \n from both ends, then as
 * reply_error. */
void reply_errorf(reply_t *r, const char *fmt, ...)
{
    char small[256], *s = small;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof(small)) {
        s = malloc((size_t)n + 1);
        if (!s) abort();
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    size_t b = 0, e = (size_t)n;
    while (b < e && (s[b] == '\r' || s[b] == '\n'))
        b++;
    while (e > b && (s[e - 1] == '\r' || s[e - 1] == '\n'))
        e--;
    put_error(r, s + b, e - b);
    if (s != small) free(s);
}

void reply_int(reply_t *r, long long v)
{
    put_header(r, ':', v);
}

void reply_bulk(reply_t *r, const void *p, size_t n)
{
    reserve(r, 1 + 20 + 2 + n + 2);
    r->buf[r->len++] = '$';
    r->len += u64_to_str(r->buf + r->len, n);
    put(r, "\r\n", 2);
    put(r, p, n);
    put(r, "\r\n", 2);
}

/* addReplyBulkCString: a NULL string is a null reply. */
void reply_bulk_cstr(reply_t *r, const char *s)
{
    if (!s)
        reply_null(r);
    else
        reply_bulk(r, s, strlen(s));
}

void reply_bulk_ll(reply_t *r, long long v)
{
    char tmp[24];
    reply_bulk(r, tmp, ll_to_str(tmp, v));
}

void reply_null(reply_t *r)
{
    if (r->proto == 3)
        reply_raw(r, "_\r\n", 3);
    else
        reply_raw(r, "$-1\r\n", 5);
}

void reply_null_array(reply_t *r)
{
    if (r->proto == 3)
        reply_raw(r, "_\r\n", 3);
    else
        reply_raw(r, "*-1\r\n", 5);
}

void reply_array(reply_t *r, long long n)
{
    put_header(r, '*', n);
}

void reply_map(reply_t *r, long long n)
{
    if (r->proto == 3)
        put_header(r, '%', n);
    else
        put_header(r, '*', n * 2);
}

void reply_set(reply_t *r, long long n)
{
    put_header(r, r->proto == 3 ? '~' : '*', n);
}

void reply_push(reply_t *r, long long n)
{
    put_header(r, r->proto == 3 ? '>' : '*', n);
}

/* The text of a double as Redis 7.0 writes it: "inf"/"-inf" spelled out,
 * everything else (nan included, which glibc prints as "nan" or "-nan")
 * through "%.17g". Integral values below 1e17 print as plain integers
 * under %.17g, so they take the integer path (ZSCOREs are often integers). */
static size_t double_to_str(char *dst, size_t cap, double d)
{
    if (isinf(d)) {
        if (d > 0) {
            memcpy(dst, "inf", 3);
            return 3;
        }
        memcpy(dst, "-inf", 4);
        return 4;
    }
    if (d > -1e17 && d < 1e17 && d == (double)(long long)d) {
        if (d == 0 && signbit(d)) {
            memcpy(dst, "-0", 2);
            return 2;
        }
        return ll_to_str(dst, (long long)d);
    }
    int n = snprintf(dst, cap, "%.17g", d);
    return n > 0 ? (size_t)n : 0;
}

void reply_double(reply_t *r, double d)
{
    char tmp[64];
    size_t n = double_to_str(tmp, sizeof(tmp), d);
    if (r->proto == 3) {
        reserve(r, n + 3);
        r->buf[r->len++] = ',';
        put(r, tmp, n);
        put(r, "\r\n", 2);
    } else {
        reply_bulk(r, tmp, n);
    }
}

/* ld2string(LD_STR_HUMAN), used by INCRBYFLOAT and HINCRBYFLOAT: "%.17Lf"
 * without trailing zeros and dot, and "-0" written as "0". Returns 0 when
 * buf is too small (Redis uses MAX_LONG_DOUBLE_CHARS, 5 KB). */
int reply_format_long_double(char *buf, size_t buflen, long double v)
{
    size_t l;
    if (isinf(v)) {
        if (buflen < 5) return 0;
        l = v > 0 ? 3 : 4;
        memcpy(buf, v > 0 ? "inf" : "-inf", l);
        buf[l] = '\0';
        return (int)l;
    }
    int n = snprintf(buf, buflen, "%.17Lf", v);
    if (n < 0 || (size_t)n + 1 > buflen) return 0;
    l = (size_t)n;
    if (memchr(buf, '.', l)) {
        while (buf[l - 1] == '0')
            l--;
        if (buf[l - 1] == '.') l--;
    }
    if (l == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        l = 1;
    }
    buf[l] = '\0';
    return (int)l;
}

void reply_bool(reply_t *r, int b)
{
    if (r->proto == 3)
        reply_raw(r, b ? "#t\r\n" : "#f\r\n", 4);
    else
        reply_raw(r, b ? ":1\r\n" : ":0\r\n", 4);
}

/* addReplyVerbatim: the 3-byte format is padded with spaces if shorter. */
void reply_verbatim(reply_t *r, const char *p, size_t n, const char *ext)
{
    if (r->proto != 3) {
        reply_bulk(r, p, n);
        return;
    }
    reserve(r, 1 + 20 + 2 + 4 + n + 2);
    r->buf[r->len++] = '=';
    r->len += u64_to_str(r->buf + r->len, n + 4);
    put(r, "\r\n", 2);
    for (int i = 0; i < 3; i++) {
        if (ext && *ext)
            r->buf[r->len++] = *ext++;
        else
            r->buf[r->len++] = ' ';
    }
    r->buf[r->len++] = ':';
    put(r, p, n);
    put(r, "\r\n", 2);
}

size_t reply_defer(reply_t *r)
{
    return r->len;
}

/* Inserts "<prefix><n>\r\n" at off, moving what was written since. */
static void insert_header(reply_t *r, size_t off, char prefix, long long n)
{
    char hdr[24];
    size_t h = 0;
    hdr[h++] = prefix;
    h += ll_to_str(hdr + h, n);
    hdr[h++] = '\r';
    hdr[h++] = '\n';
    reserve(r, h);
    memmove(r->buf + off + h, r->buf + off, r->len - off);
    memcpy(r->buf + off, hdr, h);
    r->len += h;
}

void reply_defer_array(reply_t *r, size_t off, long long n)
{
    insert_header(r, off, '*', n);
}

void reply_defer_map(reply_t *r, size_t off, long long n)
{
    if (r->proto == 3)
        insert_header(r, off, '%', n);
    else
        insert_header(r, off, '*', n * 2);
}

void reply_defer_set(reply_t *r, size_t off, long long n)
{
    insert_header(r, off, r->proto == 3 ? '~' : '*', n);
}
