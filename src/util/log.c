/* Structured logging: one logfmt line per event.
 *
 * Each line is built in a stack buffer and handed to the stream with a single
 * fwrite() (stdio locks the stream per call), so lines from the loop thread
 * and from libuv thread-pool threads never interleave. The settings are
 * atomics so that log_init() may be called again while other threads log. */
#include "util/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Longest line written; longer lines end in "..." (before the newline). */
#define LOG_LINE_MAX 4096

static atomic_int log_node = 0;
static atomic_int log_min = LOG_INFO;
static _Atomic(FILE *) log_out = NULL; /* NULL: stderr */

static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* Called at start-up with defaults and again once the config is known. */
void log_init(int node_id, log_level_t min_level, FILE *out)
{
    atomic_store(&log_node, node_id);
    atomic_store(&log_min, (int)min_level);
    atomic_store(&log_out, out);
}

/* Accepts the names used in the config file (and "warning", which people
 * type). Case-insensitive. */
int log_level_parse(const char *s, log_level_t *out)
{
    for (int i = LOG_DEBUG; i <= LOG_ERROR; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (log_level_t)i;
            return 0;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = LOG_WARN;
        return 0;
    }
    return -1;
}

const char *log_level_name(log_level_t lvl)
{
    if ((int)lvl < LOG_DEBUG || lvl > LOG_ERROR) return "unknown";
    return level_names[lvl];
}

/* Cheap test so callers can skip building expensive debug fields. */
int log_enabled(log_level_t lvl)
{
    return (int)lvl >= atomic_load(&log_min);
}

/* Writes "2026-11-22T05:00:00.123Z" (RFC 3339, UTC, milliseconds) into buf
 * and returns its length. */
static size_t format_ts(char *buf, size_t buflen)
{
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, buflen, "%Y-%m-%dT%H:%M:%S", &tm);
    int m = snprintf(buf + n, buflen - n, ".%03ldZ", ts.tv_nsec / 1000000);
    return n + (size_t)m;
}

/* One event, one line, one write. Fields are expected to be " k=v k=v";
 * any newline slipping into them is turned into a space so that a line is
 * always exactly one event. */
void log_event(log_level_t lvl, const char *event, const char *fields_fmt, ...)
{
    char line[LOG_LINE_MAX];
    size_t cap = sizeof(line) - 1; /* room for the '\n' */
    size_t n, start;
    bool truncated = false;
    va_list ap;
    int r;

    if (!log_enabled(lvl)) return;

    memcpy(line, "ts=", 3);
    n = 3 + format_ts(line + 3, cap - 3);
    r = snprintf(line + n, cap - n, " level=%s node=%d event=%s", log_level_name(lvl),
                 atomic_load(&log_node), event);
    if (r < 0) r = 0;
    if ((size_t)r >= cap - n) {
        n = cap; /* full; the NUL at cap-1 is covered by "..." below */
        truncated = true;
    } else {
        n += (size_t)r;
    }

    start = n;
    if (!truncated && fields_fmt) {
        va_start(ap, fields_fmt);
        r = vsnprintf(line + n, cap - n, fields_fmt, ap);
        va_end(ap);
        if (r < 0) r = 0;
        if ((size_t)r >= cap - n) {
            n = cap;
            truncated = true;
        } else {
            n += (size_t)r;
        }
    }
    for (size_t i = start; i < n; i++)
        if (line[i] == '\n' || line[i] == '\r') line[i] = ' ';
    if (truncated) memcpy(line + n - 3, "...", 3);
    line[n++] = '\n';

    FILE *out = atomic_load(&log_out);
    if (!out) out = stderr;
    fwrite(line, 1, n, out);
    fflush(out); /* log files are fully buffered; events must not sit there */
}

/* True when s can be written unquoted: non-empty printable ASCII with no
 * space, quote, backslash or '='. */
static bool is_plain_token(const char *s, size_t len)
{
    if (len == 0) return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c >= 0x7f || c == '"' || c == '=' || c == '\\') return false;
    }
    return true;
}

/* How a byte is written inside quotes: into esc, returning its length. */
static size_t quote_byte(unsigned char c, char esc[5])
{
    if (c == '"' || c == '\\') {
        esc[0] = '\\';
        esc[1] = (char)c;
        return 2;
    }
    if (c < ' ' || c >= 0x7f) {
        snprintf(esc, 5, "\\x%02x", c);
        return 4;
    }
    esc[0] = (char)c;
    return 1;
}

/* Quotes a field value when needed so that the line stays one parsable
 * logfmt record. A value that does not fit ends in "..." (inside the quotes
 * for a quoted value). */
const char *log_quote(char *buf, size_t buflen, const char *s, size_t len)
{
    char esc[5];
    size_t n = 0, full = 2;

    if (buflen == 0) return buf;
    if (is_plain_token(s, len)) {
        if (len < buflen) {
            memcpy(buf, s, len);
            buf[len] = '\0';
        } else {
            n = buflen - 1;
            memcpy(buf, s, n);
            if (n >= 3) memcpy(buf + n - 3, "...", 3);
            buf[n] = '\0';
        }
        return buf;
    }

    if (buflen < 3) { /* not even room for "" */
        buf[0] = '\0';
        return buf;
    }
    for (size_t i = 0; i < len; i++)
        full += quote_byte((unsigned char)s[i], esc);

    /* When it all fits, room for the closing quote is the only limit;
     * otherwise keep room for "..." too. */
    size_t limit = buflen - 2; /* content ends before this index */
    if (full >= buflen) limit = limit >= 4 ? limit - 3 : 1;
    buf[n++] = '"';
    for (size_t i = 0; i < len; i++) {
        size_t elen = quote_byte((unsigned char)s[i], esc);
        if (n + elen > limit) break;
        memcpy(buf + n, esc, elen);
        n += elen;
    }
    if (full >= buflen && n + 3 <= buflen - 2) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n++] = '"';
    buf[n] = '\0';
    return buf;
}
