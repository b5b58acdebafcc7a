/* RESP reply boundary scanner. See scan.h for the contract and what counts
 * as valid.
 *
 * The scan walks the reply value by value without recursion. Each open
 * aggregate (or attribute) is one entry on a stack holding how many elements
 * it still waits for; a finished value decrements the top entry, and an entry
 * reaching zero is popped and counts as a finished value of its parent. An
 * attribute is the exception: its entry carries ATTR_LEVEL, and when it is
 * popped nothing is finished, because the value the attribute describes
 * comes next. The reply is complete when a value finishes with no level open.
 *
 * Between calls the state keeps the offset of the first value not yet
 * scanned (every value before it is finished or open on the stack), the
 * position where the search for a line end resumes, and the length of a
 * bulk payload being waited for, so each byte is looked at a bounded number
 * of times however the reply is split. */
#include "resp/scan.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ATTR_LEVEL (1ULL << 63)

/* The longest content a line of these types can have: a length or count
 * fits in 20 characters ("-9223372036854775808"), a boolean in 1, a null in
 * 0. Checking it as bytes arrive rejects a stream of garbage early instead
 * of buffering it while waiting for a '\r'. */
static size_t line_limit(char t)
{
    switch (t) {
    case '$':
    case '!':
    case '=':
    case '*':
    case '%':
    case '~':
    case '>':
    case '|':
    case ':':
        return 20;
    case '#':
        return 1;
    case '_':
        return 0;
    case '+':
    case '-':
    case ',':
    case '(':
        return SIZE_MAX;
    default:
        return SIZE_MAX - 1; /* not a type: the caller rejects it */
    }
}

void resp_scan_init(resp_scan_t *s, size_t max_depth)
{
    memset(s, 0, sizeof(*s));
    s->max_depth = max_depth;
    s->bulk = -1;
}

void resp_scan_free(resp_scan_t *s)
{
    free(s->deep);
    s->deep = NULL;
    s->deepcap = 0;
}

void resp_scan_reset(resp_scan_t *s)
{
    s->pos = 0;
    s->scan = 0;
    s->bulk = -1;
    s->depth = 0;
}

/* The stack entry of level d (0 is the outermost). The first levels live in
 * the struct, so the replies Redis sends in practice need no allocation and
 * the struct may be copied or moved while it has no deeper levels. */
static uint64_t *level(resp_scan_t *s, size_t d)
{
    return d < RESP_SCAN_INLINE_DEPTH ? &s->inl[d] : &s->deep[d - RESP_SCAN_INLINE_DEPTH];
}

/* Opens a level waiting for n > 0 elements. The heap part grows by doubling
 * up to max_depth, so a deep reply costs O(depth) memory once per state. */
static void push_level(resp_scan_t *s, uint64_t n)
{
    if (s->depth >= RESP_SCAN_INLINE_DEPTH) {
        size_t i = s->depth - RESP_SCAN_INLINE_DEPTH;
        if (i == s->deepcap) {
            size_t cap = s->deepcap ? s->deepcap * 2 : 16;
            size_t most = s->max_depth - RESP_SCAN_INLINE_DEPTH;
            if (cap > most) cap = most;
            uint64_t *p = realloc(s->deep, cap * sizeof(uint64_t));
            if (!p) abort(); /* as the rest of the server: out of memory is fatal */
            s->deep = p;
            s->deepcap = cap;
        }
    }
    *level(s, s->depth) = n;
    s->depth++;
}

/* Records that one value finished. Returns true when that completes the
 * reply: no level is open any more. */
static bool value_done(resp_scan_t *s)
{
    while (s->depth > 0) {
        uint64_t *top = level(s, s->depth - 1);
        uint64_t left = (*top & ~ATTR_LEVEL) - 1;
        bool attr = (*top & ATTR_LEVEL) != 0;
        *top = left | (attr ? ATTR_LEVEL : 0);
        if (left > 0) return false;
        s->depth--;
        if (attr) return false; /* the value the attribute describes follows */
    }
    return true;
}

/* Redis's string2ll notation for s[0..n): optional '-', digits without a
 * leading zero (except "0" itself), within int64. The same for the lengths,
 * counts and integers Redis writes, so anything else is not from a server. */
static bool parse_i64(const char *s, size_t n, int64_t *v)
{
    bool neg = false;
    if (n > 0 && s[0] == '-') {
        neg = true;
        s++;
        n--;
    }
    if (n == 0 || n > 19) return false;
    if (s[0] == '0' && (n > 1 || neg)) return false;
    uint64_t u = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9) return false;
        u = u * 10 + d; /* 19 digits cannot overflow a uint64 */
    }
    if (neg) {
        if (u > (uint64_t)INT64_MAX + 1) return false;
        *v = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
    } else {
        if (u > (uint64_t)INT64_MAX) return false;
        *v = (int64_t)u;
    }
    return true;
}

static size_t count_digits(const char *s, size_t n, size_t i)
{
    size_t k = 0;
    while (i + k < n && s[i + k] >= '0' && s[i + k] <= '9')
        k++;
    return k;
}

/* A RESP3 double: what printf's %g family writes, and inf/nan. */
static bool valid_double(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) i++;
    if (n - i == 3 && (!strncasecmp(s + i, "inf", 3) || !strncasecmp(s + i, "nan", 3))) return true;
    size_t digits = count_digits(s, n, i);
    i += digits;
    if (i < n && s[i] == '.') {
        i++;
        size_t frac = count_digits(s, n, i);
        i += frac;
        digits += frac;
    }
    if (digits == 0) return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+')) i++;
        size_t exp = count_digits(s, n, i);
        if (exp == 0) return false;
        i += exp;
    }
    return i == n;
}

/* A RESP3 big number: an integer of any length. */
static bool valid_bignum(const char *s, size_t n)
{
    size_t i = (n > 0 && s[0] == '-') ? 1 : 0;
    return i < n && count_digits(s, n, i) == n - i;
}

static ssize_t invalid(resp_scan_t *s)
{
    resp_scan_reset(s);
    return -1;
}

static ssize_t complete(resp_scan_t *s)
{
    size_t n = s->pos;
    resp_scan_reset(s);
    return (ssize_t)n;
}

/* The payload of a "$", "!" or "=" whose header was read: it and its "\r\n"
 * are only counted, never searched. Returns 1 when it is complete, 0 if more
 * bytes are needed, -1 if invalid. */
static int finish_bulk(resp_scan_t *s, const char *buf, size_t len)
{
    uint64_t n = (uint64_t)s->bulk;
    if (len - s->pos < n + 2) return 0;
    const char *p = buf + s->pos;
    if (p[n] != '\r' || p[n + 1] != '\n') return -1;
    if (s->bulktype == '=' && p[3] != ':') return -1; /* the header checked n >= 4 */
    s->pos += n + 2;
    s->bulk = -1;
    return 1;
}

ssize_t resp_scan(resp_scan_t *s, const char *buf, size_t len)
{
    if (len < s->pos || len < s->scan) resp_scan_reset(s); /* fewer bytes than we saw: start over */

    for (;;) {
        if (s->bulk >= 0) {
            int r = finish_bulk(s, buf, len);
            if (r < 0) return invalid(s);
            if (r == 0) return 0;
            if (value_done(s)) return complete(s);
            continue;
        }

        /* A value starts at pos with its type byte and a line. */
        if (s->pos >= len) return 0;
        size_t at = s->pos;
        char t = buf[at];
        size_t limit = line_limit(t);
        if (limit == SIZE_MAX - 1) return invalid(s);

        /* The line's content is [at+1, cr). Search only where no earlier
         * call looked, and only as far as the content may reach. */
        size_t from = s->scan > at + 1 ? s->scan : at + 1;
        bool capped = limit != SIZE_MAX && len - (at + 1) > limit;
        size_t wend = capped ? at + 1 + limit + 1 : len;
        const char *cr = from < wend ? memchr(buf + from, '\r', wend - from) : NULL;
        if (!cr) {
            if (capped) return invalid(s); /* the content is already too long */
            s->scan = wend;
            return 0;
        }
        size_t crpos = (size_t)(cr - buf);
        if (crpos + 1 >= len) {
            s->scan = crpos;
            return 0;
        }
        if (buf[crpos + 1] != '\n') return invalid(s);
        s->scan = 0;

        const char *c = buf + at + 1;
        size_t clen = crpos - (at + 1);
        size_t next = crpos + 2;
        int64_t n = 0;
        if (s->depth == 0 && t != '|') s->type = t;

        switch (t) {
        case '+':
        case '-':
            break;
        case ':':
            if (!parse_i64(c, clen, &n)) return invalid(s);
            break;
        case '(':
            if (!valid_bignum(c, clen)) return invalid(s);
            break;
        case ',':
            if (!valid_double(c, clen)) return invalid(s);
            break;
        case '#':
            if (clen != 1 || (c[0] != 't' && c[0] != 'f')) return invalid(s);
            break;
        case '_':
            break; /* line_limit saw to it that the line is empty */
        case '$':
        case '!':
        case '=':
            if (!parse_i64(c, clen, &n)) return invalid(s);
            if (n == -1 && t == '$') break; /* the RESP2 null bulk */
            if (n < 0 || (uint64_t)n > RESP_SCAN_MAX_LEN) return invalid(s);
            if (t == '=' && n < 4) return invalid(s);
            s->pos = next;
            s->bulk = n;
            s->bulktype = t;
            continue;
        default: { /* '*', '%', '~', '>', '|' */
            if (!parse_i64(c, clen, &n)) return invalid(s);
            if (n == -1 && t == '*') break; /* the RESP2 null array */
            if (n < 0 || (uint64_t)n > RESP_SCAN_MAX_LEN) return invalid(s);
            if (s->depth >= s->max_depth) return invalid(s);
            uint64_t elems = (t == '%' || t == '|') ? 2 * (uint64_t)n : (uint64_t)n;
            s->pos = next;
            if (elems > 0) {
                push_level(s, elems | (t == '|' ? ATTR_LEVEL : 0));
                continue;
            }
            if (t == '|') continue; /* an empty attribute: its value follows */
            if (value_done(s)) return complete(s);
            continue;
        }
        }
        s->pos = next;
        if (value_done(s)) return complete(s);
    }
}

ssize_t resp_reply_len(const char *buf, size_t len, size_t max_depth)
{
    resp_scan_t s;
    resp_scan_init(&s, max_depth);
    ssize_t r = resp_scan(&s, buf, len);
    resp_scan_free(&s);
    return r;
}
