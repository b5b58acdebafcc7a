/* Argument parsing and error texts shared by the command families. */
#include "cmd/command.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <limits.h>

const char *const ERR_SYNTAX = "ERR syntax error";
const char *const ERR_WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
const char *const ERR_NOTINT = "ERR value is not an integer or out of range";
const char *const ERR_NOTFLOAT = "ERR value is not a valid float";
const char *const ERR_OVERFLOW = "ERR increment or decrement would overflow";

void reply_wrong_arity(reply_t *r, const char *cmdname)
{
    reply_errorf(r, "ERR wrong number of arguments for '%s' command", cmdname);
}

/* Strict as Redis's string2ll: what it accepts is exactly what it would print
 * back, so "01", " 1", "+1" and "" are not integers. */
int cmd_parse_ll(const char *s, size_t len, long long *out)
{
    if (len == 0 || len > 20) return -1;
    size_t i = 0;
    bool neg = false;
    if (len == 1 && s[0] == '0') {
        *out = 0;
        return 0;
    }
    if (s[0] == '-') {
        neg = true;
        i = 1;
        if (len == 1) return -1;
    }
    if (s[i] < '1' || s[i] > '9') return -1;
    unsigned long long v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - d) / 10) return -1;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (unsigned long long)LLONG_MAX + 1) return -1;
        *out = (long long)(0 - v);
    } else {
        if (v > (unsigned long long)LLONG_MAX) return -1;
        *out = (long long)v;
    }
    return 0;
}

/* Copies an argument into a NUL-terminated buffer for strtod/strtold, with
 * the checks Redis makes before either: not empty, not too long (Redis's
 * MAX_LONG_DOUBLE_CHARS), no leading space. Returns 0 or -1. */
static int float_arg(char *buf, size_t cap, const char *s, size_t len)
{
    if (len == 0 || len >= cap) return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return isspace((unsigned char)buf[0]) ? -1 : 0;
}

/* As Redis string2ld: strtold over the whole argument, no NaN, no overflow. */
int cmd_parse_ld(const char *s, size_t len, long double *out)
{
    char buf[5 * 1024], *end; /* Redis: MAX_LONG_DOUBLE_CHARS, so at most 5119 chars */
    if (float_arg(buf, sizeof(buf), s, len) < 0) return -1;
    errno = 0;
    long double v = strtold(buf, &end);
    if ((size_t)(end - buf) != len || isnan(v) || (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || v == 0)))
        return -1;
    *out = v;
    return 0;
}

/* As Redis getDoubleFromObject: strtod over the whole argument, no NaN. */
int cmd_parse_double(const char *s, size_t len, double *out)
{
    char buf[5 * 1024 + 1], *end;
    if (float_arg(buf, sizeof(buf), s, len) < 0) return -1;
    errno = 0;
    double v = strtod(buf, &end);
    if ((size_t)(end - buf) != len || isnan(v) || (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || v == 0)))
        return -1;
    *out = v;
    return 0;
}

bool cmd_arg_is(const cmd_ctx_t *c, int i, const char *lit)
{
    size_t n = strlen(lit);
    return i < c->argc && c->argvlen[i] == n && strncasecmp(c->argv[i], lit, n) == 0;
}

int cmd_parse_pop_count(cmd_ctx_t *c, int i, long long *count)
{
    if (i >= c->argc) return 0;
    if (cmd_parse_ll(c->argv[i], c->argvlen[i], count) == 0 && *count >= 0) return 0;
    reply_error(c->reply, "ERR value is out of range, must be positive");
    return -1;
}

int cmd_incr_ll(cmd_ctx_t *c, long long *value, long long incr)
{
    if ((incr < 0 && *value < 0 && incr < LLONG_MIN - *value) ||
        (incr > 0 && *value > 0 && incr > LLONG_MAX - *value)) {
        reply_error(c->reply, ERR_OVERFLOW);
        return -1;
    }
    *value += incr;
    return 0;
}

int cmd_incr_long_double(cmd_ctx_t *c, long double value, long double incr, char *buf, size_t cap)
{
    value += incr;
    if (isnan(value) || isinf(value)) {
        reply_error(c->reply, "ERR increment would produce NaN or Infinity");
        return -1;
    }
    return reply_format_long_double(buf, cap, value);
}
