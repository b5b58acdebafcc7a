/* Configuration values: checking and storing them.
 *
 * The file parser (config_file.c) and the command line (config_cli.c) each
 * turn their text into a value_t; cfg_set_key() then checks it against the
 * key's type and range (integers, booleans, strings, enums, the member list)
 * and stores it in config_t. Keeping this in one place is what makes both
 * paths give the same message for the same mistake. The defaults in the
 * table also come through here, via cfg_value_from_text(). */
#include "util/config.h"
#include "util/config_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Where key k's value lives in c. */
static void *field(config_t *c, const cfgkey_t *k)
{
    return (char *)c + k->off;
}

/* Frees an array value's items; any value may be passed. */
void cfg_value_free(value_t *v)
{
    free(v->items);
    v->items = NULL;
    v->nitems = 0;
}

/* Appends one item to an array value. */
int cfg_value_push(value_t *v, const char *s, size_t len)
{
    span_t *n = realloc(v->items, sizeof(*n) * (size_t)(v->nitems + 1));
    if (!n) return -1;
    v->items = n;
    v->items[v->nitems].s = s;
    v->items[v->nitems].len = len;
    v->nitems++;
    return 0;
}

enum { INT_OK = 0, INT_BAD, INT_LEADING_ZERO, INT_UNDERSCORE, INT_OVERFLOW };

/* TOML decimal integer: [+-]? (0 | [1-9] (_? [0-9])*). Hex, octal, binary
 * and floats are not accepted. */
static int parse_int(const char *s, size_t len, long long *out)
{
    size_t i = 0;
    int neg = 0, overflow = 0;
    unsigned long long acc = 0;
    unsigned long long limit = (unsigned long long)LLONG_MAX;

    if (i < len && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    if (i == len || !is_digit((unsigned char)s[i])) return INT_BAD;
    if (s[i] == '0' && i + 1 < len) {
        for (size_t j = i + 1; j < len; j++)
            if (!is_digit((unsigned char)s[j]) && s[j] != '_') return INT_BAD;
        return INT_LEADING_ZERO;
    }
    if (neg) limit++;
    for (; i < len; i++) {
        if (s[i] == '_') {
            if (!is_digit((unsigned char)s[i - 1]) || i + 1 == len ||
                !is_digit((unsigned char)s[i + 1]))
                return INT_UNDERSCORE;
            continue;
        }
        if (!is_digit((unsigned char)s[i])) return INT_BAD;
        unsigned d = (unsigned)(s[i] - '0');
        if (acc > (limit - d) / 10)
            overflow = 1;
        else
            acc = acc * 10 + d;
    }
    if (overflow) return INT_OVERFLOW;
    if (neg)
        *out = acc == limit ? LLONG_MIN : -(long long)acc;
    else
        *out = (long long)acc;
    return INT_OK;
}

/* The message every integer key uses for a wrong type or range. */
static void int_range_error(const cfgkey_t *k, char *msg, size_t msglen)
{
    if (k->max == LLONG_MAX)
        cfg_seterr(msg, msglen, "value for '%s' must be an integer >= %lld", k->name, k->min);
    else
        cfg_seterr(msg, msglen, "value for '%s' must be an integer between %lld and %lld", k->name,
                   k->min, k->max);
}

/* Parses a decimal integer inside a member spec ("1", "7379"). */
static int parse_plain_uint(const char *s, size_t len, long long max, long long *out)
{
    long long v = 0;

    if (len == 0 || len > 10) return -1;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit((unsigned char)s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > max) return -1;
    *out = v;
    return 0;
}

/* "id:host:port": the id ends at the first ':', the port starts after the
 * last one, and the host is what lies between ("[::1]" is unbracketed). */
static int parse_member(const char *s, size_t len, config_member_t *m, char *msg, size_t msglen)
{
    const char *first = memchr(s, ':', len);
    const char *last = NULL;
    long long id, port;

    for (size_t i = len; i > 0; i--) {
        if (s[i - 1] == ':') {
            last = s + i - 1;
            break;
        }
    }
    if (!first || first == last) {
        cfg_seterr(msg, msglen, "bad member \"%.*s\": expected \"id:host:port\"", (int)len, s);
        return -1;
    }
    if (parse_plain_uint(s, (size_t)(first - s), INT_MAX, &id) < 0) {
        cfg_seterr(msg, msglen, "bad member \"%.*s\": id must be an integer between 1 and %d",
                   (int)len, s, INT_MAX);
        return -1;
    }
    if (parse_plain_uint(last + 1, (size_t)(s + len - last - 1), 65535, &port) < 0) {
        cfg_seterr(msg, msglen, "bad member \"%.*s\": port must be an integer between 1 and 65535",
                   (int)len, s);
        return -1;
    }
    const char *host = first + 1;
    size_t hlen = (size_t)(last - host);
    if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
        host++;
        hlen -= 2;
    }
    if (hlen == 0) {
        cfg_seterr(msg, msglen, "bad member \"%.*s\": empty host", (int)len, s);
        return -1;
    }
    if (hlen >= CONFIG_HOST_MAX) {
        cfg_seterr(msg, msglen, "bad member \"%.*s\": host is too long (max %d bytes)", (int)len, s,
                   CONFIG_HOST_MAX - 1);
        return -1;
    }
    for (size_t i = 0; i < hlen; i++) {
        unsigned char ch = (unsigned char)host[i];
        if (ch <= ' ' || ch >= 0x7f || ch == '/' || ch == ',') {
            cfg_seterr(msg, msglen, "bad member \"%.*s\": invalid character in host", (int)len, s);
            return -1;
        }
    }
    m->id = (int)id;
    memcpy(m->host, host, hlen);
    m->host[hlen] = '\0';
    m->port = (int)port;
    return 0;
}

/* Validates a member list as a whole (ids and addresses unique). */
static int set_members(config_t *c, const value_t *v, bool store, char *msg, size_t msglen)
{
    config_member_t ms[CONFIG_MAX_MEMBERS];

    if (v->nitems > CONFIG_MAX_MEMBERS) {
        cfg_seterr(msg, msglen, "too many members in 'members' (max %d)", CONFIG_MAX_MEMBERS);
        return -1;
    }
    for (int i = 0; i < v->nitems; i++) {
        if (parse_member(v->items[i].s, v->items[i].len, &ms[i], msg, msglen) < 0) return -1;
        for (int j = 0; j < i; j++) {
            if (ms[j].id == ms[i].id) {
                cfg_seterr(msg, msglen, "duplicate member id %d in 'members'", ms[i].id);
                return -1;
            }
            if (ms[j].port == ms[i].port && strcasecmp(ms[j].host, ms[i].host) == 0) {
                cfg_seterr(msg, msglen, "duplicate member address %s:%d in 'members'", ms[i].host,
                           ms[i].port);
                return -1;
            }
        }
    }
    if (store) {
        memcpy(c->members, ms, sizeof(ms[0]) * (size_t)v->nitems);
        c->nmembers = v->nitems;
    }
    return 0;
}

/* Checks v against key k's type and range, and stores it unless store is
 * false (a file value shadowed by the command line is still validated). */
int cfg_set_key(config_t *c, const cfgkey_t *k, const value_t *v, bool store, char *msg,
                size_t msglen)
{
    switch (k->type) {
    case T_INT:
    case T_LL: {
        long long n = 0;
        int r = v->kind == V_WORD ? parse_int(v->s, v->len, &n) : INT_BAD;
        if (r == INT_LEADING_ZERO) {
            cfg_seterr(msg, msglen,
                       "invalid integer '%.*s' for '%s' (leading zeros are not allowed)",
                       (int)v->len, v->s, k->name);
            return -1;
        }
        if (r == INT_UNDERSCORE) {
            cfg_seterr(msg, msglen,
                       "invalid integer '%.*s' for '%s' (an '_' must sit between digits)",
                       (int)v->len, v->s, k->name);
            return -1;
        }
        if (r != INT_OK || n < k->min || n > k->max) {
            int_range_error(k, msg, msglen);
            return -1;
        }
        if (store) {
            if (k->type == T_INT)
                *(int *)field(c, k) = (int)n;
            else
                *(long long *)field(c, k) = n;
        }
        return 0;
    }
    case T_BOOL:
        if (v->kind != V_BOOL) {
            cfg_seterr(msg, msglen, "value for '%s' must be true or false", k->name);
            return -1;
        }
        if (store) *(bool *)field(c, k) = v->b;
        return 0;
    case T_STR:
        if (v->kind != V_STR) {
            cfg_seterr(msg, msglen, "value for '%s' must be a string in double quotes", k->name);
            return -1;
        }
        if (v->len >= k->size) {
            cfg_seterr(msg, msglen, "value for '%s' is too long (max %zu bytes)", k->name,
                       k->size - 1);
            return -1;
        }
        if (v->len == 0 && (k->flags & F_NONEMPTY)) {
            cfg_seterr(msg, msglen, "value for '%s' must not be empty", k->name);
            return -1;
        }
        if (store) {
            memcpy(field(c, k), v->s, v->len);
            ((char *)field(c, k))[v->len] = '\0';
        }
        return 0;
    case T_ENUM_INT:
    case T_ENUM_STR: {
        int idx = -1;
        if (v->kind == V_STR) {
            for (int i = 0; k->choices[i]; i++) {
                if (strlen(k->choices[i]) == v->len &&
                    strncasecmp(k->choices[i], v->s, v->len) == 0) {
                    idx = i;
                    break;
                }
            }
        }
        if (idx < 0) {
            char list[128];
            size_t n = 0;
            list[0] = '\0';
            for (int i = 0; k->choices[i]; i++)
                n += (size_t)snprintf(list + n, sizeof(list) - n, "%s\"%s\"", i ? ", " : "",
                                      k->choices[i]);
            cfg_seterr(msg, msglen, "value for '%s' must be one of %s", k->name, list);
            return -1;
        }
        if (store) {
            if (k->type == T_ENUM_INT)
                *(int *)field(c, k) = idx;
            else
                snprintf(field(c, k), k->size, "%s", k->choices[idx]);
        }
        return 0;
    }
    case T_MEMBERS:
        if (v->kind != V_ARRAY) {
            cfg_seterr(msg, msglen, "value for '%s' must be an array of \"id:host:port\" strings",
                       k->name);
            return -1;
        }
        return set_members(c, v, store, msg, msglen);
    }
    return -1;
}

/* Turns command-line text into a value of the key's kind: strings as typed,
 * integers as words to be parsed, booleans also as yes/no, arrays split on
 * commas with surrounding blanks removed. */
int cfg_value_from_text(const cfgkey_t *k, const char *text, value_t *v)
{
    memset(v, 0, sizeof(*v));
    v->s = text;
    v->len = strlen(text);
    switch (k->type) {
    case T_INT:
    case T_LL:
        v->kind = V_WORD;
        break;
    case T_BOOL:
        if (!strcasecmp(text, "true") || !strcasecmp(text, "yes")) {
            v->kind = V_BOOL;
            v->b = true;
        } else if (!strcasecmp(text, "false") || !strcasecmp(text, "no")) {
            v->kind = V_BOOL;
            v->b = false;
        } else {
            v->kind = V_WORD;
        }
        break;
    case T_STR:
    case T_ENUM_INT:
    case T_ENUM_STR:
        v->kind = V_STR;
        break;
    case T_MEMBERS: {
        const char *p = text;
        v->kind = V_ARRAY;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0') break; /* "" is the empty list */
        for (;;) {
            const char *end = strchr(p, ',');
            const char *e = end ? end : p + strlen(p);
            const char *b = p;
            while (*b == ' ' || *b == '\t')
                b++;
            while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
            if (cfg_value_push(v, b, (size_t)(e - b)) < 0) return -1;
            if (!end) break;
            p = end + 1;
        }
        break;
    }
    }
    return 0;
}
