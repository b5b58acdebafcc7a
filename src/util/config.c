/* Configuration: one table of keys shared by the defaults, the file loader,
 * the command line and CONFIG GET.
 *
 * The file format is a strict subset of TOML (see config.h and
 * docs/configuration.md). Values go through two steps: the parser (file) or
 * config_set (command line) turns text into a value_t, then set_key() checks
 * it against the key's type and range and stores it. Both paths therefore
 * produce the same messages for the same mistakes. */
#include "util/config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/glob.h"

/* ------------------------------------------------------------------------ */
/* The table of keys                                                         */
/* ------------------------------------------------------------------------ */

enum { SEC_SERVER = 0, SEC_CLUSTER, SEC_STORAGE, SEC_COUNT };
static const char *const section_names[SEC_COUNT] = {"server", "cluster", "storage"};

typedef enum {
    T_STR,      /* char[size] */
    T_INT,      /* int, range min..max */
    T_LL,       /* long long, range min..max */
    T_BOOL,     /* bool */
    T_ENUM_INT, /* int (a C enum): index into choices */
    T_ENUM_STR, /* char[size]: one of choices, stored by name */
    T_MEMBERS,  /* members[] + nmembers */
} ktype_t;

#define F_NONEMPTY 1 /* a string that may not be "" */
#define F_SECRET 2   /* not shown by CONFIG GET */

typedef struct cfgkey {
    int section;
    const char *name;
    ktype_t type;
    size_t off, size;           /* where the value lives in config_t */
    long long min, max;         /* T_INT, T_LL */
    const char *const *choices; /* T_ENUM_*: NULL-terminated */
    const char *def;            /* default, written as on the command line */
    int flags;
    const char *desc;
} cfgkey_t;

#define FIELD(f) offsetof(config_t, f), sizeof(((config_t *)0)->f)

static const char *const follower_modes[] = {"proxy", "redirect", NULL};
static const char *const read_modes[] = {"readindex", "lease", NULL};
static const char *const log_levels[] = {"debug", "info", "warn", "error", NULL};

_Static_assert(sizeof(follower_mode_t) == sizeof(int), "enum stored as int");
_Static_assert(sizeof(read_mode_t) == sizeof(int), "enum stored as int");

static const cfgkey_t keys[] = {
    /* [server] */
    {SEC_SERVER, "binding", T_STR, FIELD(binding), 0, 0, NULL, "127.0.0.1", F_NONEMPTY,
     "address the RESP port binds"},
    {SEC_SERVER, "port", T_INT, FIELD(port), 1, 65535, NULL, "7379", 0, "RESP port"},
    {SEC_SERVER, "http_port", T_INT, FIELD(http_port), 0, 65535, NULL, "0", 0,
     "admin HTTP port; 0 means port + 1000"},
    {SEC_SERVER, "requirepass", T_STR, FIELD(requirepass), 0, 0, NULL, "", 0,
     "password clients must AUTH with; empty disables AUTH"},
    {SEC_SERVER, "maxclients", T_INT, FIELD(maxclients), 1, 1000000, NULL, "10000", 0,
     "maximum simultaneous client connections"},
    {SEC_SERVER, "proto_max_bulk_len", T_LL, FIELD(proto_max_bulk_len), 1, LLONG_MAX, NULL,
     "536870912", 0, "largest bulk string a client may send, in bytes"},
    {SEC_SERVER, "client_query_buffer_limit", T_LL, FIELD(client_query_buffer_limit), 1024,
     LLONG_MAX, NULL, "1073741824", 0, "largest unparsed input buffered per client, in bytes"},
    {SEC_SERVER, "max_inline_len", T_INT, FIELD(max_inline_len), 1, INT_MAX, NULL, "65536", 0,
     "longest inline (non-RESP) command line, in bytes"},
    {SEC_SERVER, "max_multibulk_len", T_INT, FIELD(max_multibulk_len), 1, INT_MAX, NULL, "1048576",
     0, "most arguments in one command"},
    {SEC_SERVER, "log_level", T_ENUM_STR, FIELD(log_level), 0, 0, log_levels, "info", 0,
     "least severe level logged"},
    {SEC_SERVER, "log_file", T_STR, FIELD(log_file), 0, 0, NULL, "", 0,
     "file the log is appended to; empty means stderr"},
    {SEC_SERVER, "active_expire_interval_ms", T_INT, FIELD(active_expire_interval_ms), 1, 3600000,
     NULL, "100", 0, "how often the leader looks for expired keys"},
    {SEC_SERVER, "active_expire_keys", T_INT, FIELD(active_expire_keys), 0, 1000000, NULL, "200", 0,
     "expired keys deleted per cycle at most; 0 disables active expiry"},

    /* [cluster] */
    {SEC_CLUSTER, "enabled", T_BOOL, FIELD(enabled), 0, 0, NULL, "false", 0,
     "run as a member of a raft cluster; false runs a single node"},
    {SEC_CLUSTER, "node_id", T_INT, FIELD(node_id), 1, INT_MAX, NULL, "1", 0,
     "which member of cluster.members this process is"},
    {SEC_CLUSTER, "members", T_MEMBERS, FIELD(members), 0, 0, NULL, "", 0,
     "the initial voters, as \"id:host:port\""},
    {SEC_CLUSTER, "data_dir", T_STR, FIELD(data_dir), 0, 0, NULL, "./data", F_NONEMPTY,
     "where data lives; a cluster node uses <data_dir>/node<id>"},
    {SEC_CLUSTER, "heartbeat_interval_ms", T_INT, FIELD(heartbeat_interval_ms), 1, 60000, NULL,
     "100", 0, "leader heartbeat period"},
    {SEC_CLUSTER, "election_timeout_min_ms", T_INT, FIELD(election_timeout_min_ms), 1, 600000, NULL,
     "1000", 0, "lower bound of the randomized election timeout"},
    {SEC_CLUSTER, "election_timeout_max_ms", T_INT, FIELD(election_timeout_max_ms), 1, 600000, NULL,
     "2000", 0, "upper bound of the randomized election timeout"},
    {SEC_CLUSTER, "request_timeout_ms", T_INT, FIELD(request_timeout_ms), 1, 3600000, NULL, "5000",
     0, "how long a client waits for a commit before getting an error"},
    {SEC_CLUSTER, "follower_mode", T_ENUM_INT, FIELD(follower_mode), 0, 0, follower_modes, "proxy",
     0, "what a follower does with writes: proxy them or redirect the client"},
    {SEC_CLUSTER, "read_mode", T_ENUM_INT, FIELD(read_mode), 0, 0, read_modes, "readindex", 0,
     "how the leader confirms leadership for reads"},
    {SEC_CLUSTER, "cluster_secret", T_STR, FIELD(cluster_secret), 0, 0, NULL, "", F_SECRET,
     "shared secret peers present to each other; empty disables the check"},

    /* [storage] */
    {SEC_STORAGE, "fsync", T_BOOL, FIELD(fsync), 0, 0, NULL, "true", 0,
     "sync the raft log to disk on every append"},
    {SEC_STORAGE, "cache_size_mb", T_INT, FIELD(cache_size_mb), 0, 1048576, NULL, "256", 0,
     "in-memory cache of recently used keys, in MB; 0 disables it"},
};

#define NKEYS ((int)(sizeof(keys) / sizeof(keys[0])))
_Static_assert(sizeof(keys) / sizeof(keys[0]) <= 64, "cli_set has 64 bits");

/* Names Redis clients and tools ask CONFIG GET for. A target names a key of
 * the table; otherwise value is a constant. */
static const struct {
    const char *name, *target, *value;
} aliases[] = {
    {"bind", "binding", NULL},
    {"proto-max-bulk-len", "proto_max_bulk_len", NULL},
    {"client-query-buffer-limit", "client_query_buffer_limit", NULL},
    {"appendonly", NULL, "yes"}, /* every write is durable in the raft log */
    {"save", NULL, ""},
    {"databases", NULL, "1"},
};

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------ */

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* All errors go through here so a NULL or empty err buffer is harmless. */
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0) return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void *field(config_t *c, const cfgkey_t *k)
{
    return (char *)c + k->off;
}

static const void *cfield(const config_t *c, const cfgkey_t *k)
{
    return (const char *)c + k->off;
}

static int is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

/* Characters of a TOML bare key. */
static int is_bare(int ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || is_digit(ch) || ch == '_' ||
           ch == '-';
}

static char *skip_ws(char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static const cfgkey_t *find_key(int section, const char *name, size_t len)
{
    for (int i = 0; i < NKEYS; i++) {
        if (section >= 0 && keys[i].section != section) continue;
        if (strlen(keys[i].name) == len && memcmp(keys[i].name, name, len) == 0) return &keys[i];
    }
    return NULL;
}

static int key_index(const cfgkey_t *k)
{
    return (int)(k - keys);
}

/* ------------------------------------------------------------------------ */
/* Values and their validation                                               */
/* ------------------------------------------------------------------------ */

typedef enum {
    V_STR,   /* "quoted" in the file; any text on the command line */
    V_WORD,  /* a bare word: an integer, or a mistake */
    V_BOOL,  /* true / false */
    V_ARRAY, /* ["a", "b"] in the file; a,b on the command line */
} vkind_t;

typedef struct span {
    const char *s;
    size_t len;
} span_t;

typedef struct value {
    vkind_t kind;
    const char *s; /* V_STR, V_WORD */
    size_t len;
    bool b;        /* V_BOOL */
    span_t *items; /* V_ARRAY, malloc'ed */
    int nitems;
} value_t;

static void value_free(value_t *v)
{
    free(v->items);
    v->items = NULL;
    v->nitems = 0;
}

/* Appends one item to an array value. */
static int value_push(value_t *v, const char *s, size_t len)
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
        seterr(msg, msglen, "value for '%s' must be an integer >= %lld", k->name, k->min);
    else
        seterr(msg, msglen, "value for '%s' must be an integer between %lld and %lld", k->name,
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
        seterr(msg, msglen, "bad member \"%.*s\": expected \"id:host:port\"", (int)len, s);
        return -1;
    }
    if (parse_plain_uint(s, (size_t)(first - s), INT_MAX, &id) < 0) {
        seterr(msg, msglen, "bad member \"%.*s\": id must be an integer between 1 and %d", (int)len,
               s, INT_MAX);
        return -1;
    }
    if (parse_plain_uint(last + 1, (size_t)(s + len - last - 1), 65535, &port) < 0) {
        seterr(msg, msglen, "bad member \"%.*s\": port must be an integer between 1 and 65535",
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
        seterr(msg, msglen, "bad member \"%.*s\": empty host", (int)len, s);
        return -1;
    }
    if (hlen >= CONFIG_HOST_MAX) {
        seterr(msg, msglen, "bad member \"%.*s\": host is too long (max %d bytes)", (int)len, s,
               CONFIG_HOST_MAX - 1);
        return -1;
    }
    for (size_t i = 0; i < hlen; i++) {
        unsigned char ch = (unsigned char)host[i];
        if (ch <= ' ' || ch >= 0x7f || ch == '/' || ch == ',') {
            seterr(msg, msglen, "bad member \"%.*s\": invalid character in host", (int)len, s);
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
        seterr(msg, msglen, "too many members in 'members' (max %d)", CONFIG_MAX_MEMBERS);
        return -1;
    }
    for (int i = 0; i < v->nitems; i++) {
        if (parse_member(v->items[i].s, v->items[i].len, &ms[i], msg, msglen) < 0) return -1;
        for (int j = 0; j < i; j++) {
            if (ms[j].id == ms[i].id) {
                seterr(msg, msglen, "duplicate member id %d in 'members'", ms[i].id);
                return -1;
            }
            if (ms[j].port == ms[i].port && strcasecmp(ms[j].host, ms[i].host) == 0) {
                seterr(msg, msglen, "duplicate member address %s:%d in 'members'", ms[i].host,
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
static int set_key(config_t *c, const cfgkey_t *k, const value_t *v, bool store, char *msg,
                   size_t msglen)
{
    switch (k->type) {
    case T_INT:
    case T_LL: {
        long long n = 0;
        int r = v->kind == V_WORD ? parse_int(v->s, v->len, &n) : INT_BAD;
        if (r == INT_LEADING_ZERO) {
            seterr(msg, msglen, "invalid integer '%.*s' for '%s' (leading zeros are not allowed)",
                   (int)v->len, v->s, k->name);
            return -1;
        }
        if (r == INT_UNDERSCORE) {
            seterr(msg, msglen, "invalid integer '%.*s' for '%s' (an '_' must sit between digits)",
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
            seterr(msg, msglen, "value for '%s' must be true or false", k->name);
            return -1;
        }
        if (store) *(bool *)field(c, k) = v->b;
        return 0;
    case T_STR:
        if (v->kind != V_STR) {
            seterr(msg, msglen, "value for '%s' must be a string in double quotes", k->name);
            return -1;
        }
        if (v->len >= k->size) {
            seterr(msg, msglen, "value for '%s' is too long (max %zu bytes)", k->name, k->size - 1);
            return -1;
        }
        if (v->len == 0 && (k->flags & F_NONEMPTY)) {
            seterr(msg, msglen, "value for '%s' must not be empty", k->name);
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
            seterr(msg, msglen, "value for '%s' must be one of %s", k->name, list);
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
            seterr(msg, msglen, "value for '%s' must be an array of \"id:host:port\" strings",
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
static int value_from_text(const cfgkey_t *k, const char *text, value_t *v)
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
            if (value_push(v, b, (size_t)(e - b)) < 0) return -1;
            if (!end) break;
            p = end + 1;
        }
        break;
    }
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* The file parser                                                           */
/* ------------------------------------------------------------------------ */

/* Encodes a code point as UTF-8; returns the byte count. */
static size_t utf8_put(char *w, unsigned long cp)
{
    if (cp < 0x80) {
        w[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        w[0] = (char)(0xC0 | (cp >> 6));
        w[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        w[0] = (char)(0xE0 | (cp >> 12));
        w[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        w[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    w[0] = (char)(0xF0 | (cp >> 18));
    w[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    w[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    w[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Parses a TOML basic string at *pp (which points at the opening quote),
 * decoding escapes in place: the decoded text is never longer than the
 * source, so it is written over the line itself. */
static int parse_string(char **pp, value_t *v, char *msg, size_t msglen)
{
    char *p = *pp, *w = *pp, *start = *pp;

    if (p[1] == '"' && p[2] == '"') {
        seterr(msg, msglen, "multi-line strings (\"\"\") are not supported");
        return -1;
    }
    p++;
    for (;;) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '\0') {
            seterr(msg, msglen, "unterminated string");
            return -1;
        }
        if (ch == '"') {
            p++;
            break;
        }
        if (ch == '\\') {
            char e = p[1];
            p += 2;
            switch (e) {
            case '"':
                *w++ = '"';
                break;
            case '\\':
                *w++ = '\\';
                break;
            case 'n':
                *w++ = '\n';
                break;
            case 't':
                *w++ = '\t';
                break;
            case 'r':
                *w++ = '\r';
                break;
            case 'b':
                *w++ = '\b';
                break;
            case 'f':
                *w++ = '\f';
                break;
            case 'u':
            case 'U': {
                int ndig = e == 'u' ? 4 : 8;
                unsigned long cp = 0;
                for (int i = 0; i < ndig; i++) {
                    char h = p[i];
                    int d = is_digit((unsigned char)h) ? h - '0'
                            : (h >= 'a' && h <= 'f')   ? h - 'a' + 10
                            : (h >= 'A' && h <= 'F')   ? h - 'A' + 10
                                                       : -1;
                    if (d < 0) {
                        seterr(msg, msglen, "invalid \\%c escape in string: expected %d hex digits",
                               e, ndig);
                        return -1;
                    }
                    cp = cp * 16 + (unsigned long)d;
                }
                if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
                    seterr(msg, msglen, "invalid \\%c escape in string: U+%04lX is not allowed", e,
                           cp);
                    return -1;
                }
                p += ndig;
                w += utf8_put(w, cp);
                break;
            }
            case '\0':
                seterr(msg, msglen, "unterminated string");
                return -1;
            default:
                if ((unsigned char)e < ' ' || (unsigned char)e == 0x7f)
                    seterr(msg, msglen, "invalid escape in string");
                else
                    seterr(msg, msglen, "invalid escape '\\%c' in string", e);
                return -1;
            }
            continue;
        }
        if ((ch < ' ' && ch != '\t') || ch == 0x7f) {
            seterr(msg, msglen, "control character 0x%02x in string", ch);
            return -1;
        }
        *w++ = (char)ch;
        p++;
    }
    *w = '\0'; /* w < p: the terminator lands on text already read */
    v->kind = V_STR;
    v->s = start;
    v->len = (size_t)(w - start);
    *pp = p;
    return 0;
}

/* Parses a one-line array of strings at *pp ('['); a trailing comma before
 * ']' is allowed, as in TOML. */
static int parse_array(char **pp, value_t *v, char *msg, size_t msglen)
{
    char *p = *pp + 1;
    value_t item;

    v->kind = V_ARRAY;
    for (;;) {
        p = skip_ws(p);
        if (*p == ']') break;
        if (*p == '\0' || *p == '#') {
            seterr(msg, msglen, "unterminated array (arrays must be on one line)");
            return -1;
        }
        if (*p != '"') {
            seterr(msg, msglen, "arrays may only contain strings in double quotes");
            return -1;
        }
        if (parse_string(&p, &item, msg, msglen) < 0) return -1;
        if (value_push(v, item.s, item.len) < 0) {
            seterr(msg, msglen, "out of memory");
            return -1;
        }
        p = skip_ws(p);
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == ']') break;
        if (*p == '\0' || *p == '#') {
            seterr(msg, msglen, "unterminated array (arrays must be on one line)");
            return -1;
        }
        seterr(msg, msglen, "expected ',' or ']' in array");
        return -1;
    }
    *pp = p + 1;
    return 0;
}

/* Parses the value after '=' into v (generic: the key decides later what
 * it accepts). */
static int parse_value(char **pp, value_t *v, char *msg, size_t msglen)
{
    char *p = *pp;

    memset(v, 0, sizeof(*v));
    switch (*p) {
    case '"':
        return parse_string(pp, v, msg, msglen);
    case '[':
        return parse_array(pp, v, msg, msglen);
    case '\'':
        seterr(msg, msglen, "single-quoted strings are not supported; use double quotes");
        return -1;
    case '{':
        seterr(msg, msglen, "inline tables are not supported");
        return -1;
    case '\0':
    case '#':
        seterr(msg, msglen, "missing value after '='");
        return -1;
    }
    char *start = p;
    while (*p && !strchr(" \t#,[]{}\"'=", *p))
        p++;
    if (p == start) {
        seterr(msg, msglen, "unexpected '%c' where a value was expected", *p);
        return -1;
    }
    v->s = start;
    v->len = (size_t)(p - start);
    if (v->len == 4 && !memcmp(start, "true", 4)) {
        v->kind = V_BOOL;
        v->b = true;
    } else if (v->len == 5 && !memcmp(start, "false", 5)) {
        v->kind = V_BOOL;
        v->b = false;
    } else {
        v->kind = V_WORD;
    }
    *pp = p;
    return 0;
}

typedef struct parse_state {
    config_t *c;
    int section; /* -1 before the first header */
    int section_line[SEC_COUNT];
    int key_line[64];
} parse_state_t;

/* "[name]" */
static int parse_section(parse_state_t *ps, char *p, int lineno, char *msg, size_t msglen)
{
    p++;
    if (*p == '[') {
        seterr(msg, msglen, "arrays of tables ([[...]]) are not supported");
        return -1;
    }
    p = skip_ws(p);
    char *name = p;
    while (is_bare((unsigned char)*p) || *p == '.')
        p++;
    size_t len = (size_t)(p - name);
    p = skip_ws(p);
    if (len == 0) {
        seterr(msg, msglen, *p == ']' ? "empty section name" : "invalid section name");
        return -1;
    }
    if (*p != ']') {
        seterr(msg, msglen, "expected ']' after section name");
        return -1;
    }
    p = skip_ws(p + 1);
    if (*p && *p != '#') {
        seterr(msg, msglen, "unexpected text after section header: '%.40s'", p);
        return -1;
    }
    int sec = -1;
    for (int i = 0; i < SEC_COUNT; i++)
        if (strlen(section_names[i]) == len && !memcmp(section_names[i], name, len)) sec = i;
    if (sec < 0) {
        seterr(msg, msglen, "unknown section [%.*s]", (int)len, name);
        return -1;
    }
    if (ps->section_line[sec]) {
        seterr(msg, msglen, "duplicate section [%s] (first on line %d)", section_names[sec],
               ps->section_line[sec]);
        return -1;
    }
    ps->section_line[sec] = lineno;
    ps->section = sec;
    return 0;
}

/* "key = value" */
static int parse_keyval(parse_state_t *ps, char *p, int lineno, char *msg, size_t msglen)
{
    char *name = p;
    while (is_bare((unsigned char)*p))
        p++;
    size_t len = (size_t)(p - name);

    if (len == 0) {
        if (*p == '"' || *p == '\'')
            seterr(msg, msglen, "quoted keys are not supported");
        else
            seterr(msg, msglen, "expected a key, a [section] or a comment");
        return -1;
    }
    if (*p == '.') {
        seterr(msg, msglen, "dotted keys are not supported; use a [section]");
        return -1;
    }
    p = skip_ws(p);
    if (*p != '=') {
        seterr(msg, msglen, "expected '=' after key '%.*s'", (int)len, name);
        return -1;
    }
    p = skip_ws(p + 1);

    /* find_key(-1, ...) searches every section: only for the hint. */
    const cfgkey_t *k = ps->section < 0 ? NULL : find_key(ps->section, name, len);
    if (!k) {
        const cfgkey_t *elsewhere = find_key(-1, name, len);
        if (ps->section < 0 && elsewhere)
            seterr(msg, msglen, "key '%.*s' is outside any section (it belongs in [%s])", (int)len,
                   name, section_names[elsewhere->section]);
        else if (ps->section < 0)
            seterr(msg, msglen, "key '%.*s' is outside any section", (int)len, name);
        else if (elsewhere)
            seterr(msg, msglen, "unknown key '%.*s' in section [%s] (it belongs in [%s])", (int)len,
                   name, section_names[ps->section], section_names[elsewhere->section]);
        else
            seterr(msg, msglen, "unknown key '%.*s' in section [%s]", (int)len, name,
                   section_names[ps->section]);
        return -1;
    }
    int idx = key_index(k);
    if (ps->key_line[idx]) {
        seterr(msg, msglen, "duplicate key '%s' in section [%s] (first set on line %d)", k->name,
               section_names[k->section], ps->key_line[idx]);
        return -1;
    }

    value_t v;
    int rc = -1;
    if (parse_value(&p, &v, msg, msglen) < 0) goto done;
    p = skip_ws(p);
    if (*p && *p != '#') {
        seterr(msg, msglen, "unexpected text after value: '%.40s'", p);
        goto done;
    }
    /* A key given on the command line wins over the file; still check it. */
    bool store = !(ps->c->cli_set & (1ULL << idx));
    if (set_key(ps->c, k, &v, store, msg, msglen) < 0) goto done;
    ps->key_line[idx] = lineno;
    rc = 0;
done:
    value_free(&v);
    return rc;
}

/* One line of the file, without its newline. */
static int parse_line(parse_state_t *ps, char *line, int lineno, char *msg, size_t msglen)
{
    char *p = skip_ws(line);

    if (*p == '\0' || *p == '#') return 0;
    if (*p == '[') return parse_section(ps, p, lineno, msg, msglen);
    return parse_keyval(ps, p, lineno, msg, msglen);
}

/* Reads the whole file into a copy of the config so that a bad file leaves
 * the caller's config untouched. */
int config_load_file(config_t *c, const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        seterr(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }

    config_t *tmp = malloc(sizeof(*tmp));
    if (!tmp) {
        fclose(fp);
        seterr(err, errlen, "%s: out of memory", path);
        return -1;
    }
    *tmp = *c;

    parse_state_t ps;
    memset(&ps, 0, sizeof(ps));
    ps.c = tmp;
    ps.section = -1;

    char *line = NULL, msg[512];
    size_t cap = 0;
    ssize_t n;
    int lineno = 0, rc = 0;

    errno = 0;
    while ((n = getline(&line, &cap, fp)) != -1) {
        lineno++;
        if (n > 0 && line[n - 1] == '\n') line[--n] = '\0';
        if (n > 0 && line[n - 1] == '\r') line[--n] = '\0';
        if (strlen(line) != (size_t)n) {
            seterr(err, errlen, "%s:%d: NUL byte in line", path, lineno);
            rc = -1;
            break;
        }
        if (parse_line(&ps, line, lineno, msg, sizeof(msg)) < 0) {
            seterr(err, errlen, "%s:%d: %s", path, lineno, msg);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(fp)) {
        seterr(err, errlen, "%s: read error: %s", path, strerror(errno ? errno : EIO));
        rc = -1;
    }
    if (rc == 0 && strlen(path) >= sizeof(tmp->config_file)) {
        seterr(err, errlen, "%s: path is too long", path);
        rc = -1;
    }
    if (rc == 0) {
        snprintf(tmp->config_file, sizeof(tmp->config_file), "%s", path);
        *c = *tmp;
    }
    free(line);
    free(tmp);
    fclose(fp);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Defaults, command line, finalize, CONFIG GET                              */
/* ------------------------------------------------------------------------ */

/* Defaults come from the table, through the same path as the command line,
 * so the table is the only place they are written down. */
void config_defaults(config_t *c)
{
    char msg[256];

    memset(c, 0, sizeof(*c));
    for (int i = 0; i < NKEYS; i++) {
        value_t v;
        if (value_from_text(&keys[i], keys[i].def, &v) < 0 ||
            set_key(c, &keys[i], &v, true, msg, sizeof(msg)) < 0) {
            fprintf(stderr, "config: bad built-in default for %s: %s\n", keys[i].name, msg);
            abort();
        }
        value_free(&v);
    }
}

/* "--node-id 2", "--cluster.members a,b", "--bind 0.0.0.0". */
int config_set(config_t *c, const char *name, const char *value, char *err, size_t errlen)
{
    char norm[64];
    size_t len;
    int section = -1;

    while (*name == '-')
        name++;
    len = strlen(name);
    if (len == 0 || len >= sizeof(norm)) {
        seterr(err, errlen, "unknown option '--%s'", name);
        return -1;
    }
    for (size_t i = 0; i <= len; i++) {
        char ch = name[i];
        if (ch == '-') ch = '_';
        if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
        norm[i] = ch;
    }

    char *key = norm;
    char *dot = strchr(norm, '.');
    if (dot) {
        *dot = '\0';
        for (int i = 0; i < SEC_COUNT; i++)
            if (!strcmp(norm, section_names[i])) section = i;
        key = dot + 1;
        if (section < 0) {
            seterr(err, errlen, "unknown option '--%s'", name);
            return -1;
        }
    }
    if (!strcmp(key, "bind") && section <= SEC_SERVER) key = "binding";

    const cfgkey_t *k = find_key(section, key, strlen(key));
    if (!k) {
        seterr(err, errlen, "unknown option '--%s'", name);
        return -1;
    }

    value_t v;
    char msg[512];
    if (value_from_text(k, value, &v) < 0) {
        seterr(err, errlen, "--%s: out of memory", name);
        return -1;
    }
    int rc = set_key(c, k, &v, true, msg, sizeof(msg));
    value_free(&v);
    if (rc < 0) {
        seterr(err, errlen, "--%s: %s", name, msg);
        return -1;
    }
    c->cli_set |= 1ULL << key_index(k);
    return 0;
}

static bool cli_given(const config_t *c, const char *name)
{
    const cfgkey_t *k = find_key(-1, name, strlen(name));
    return k && (c->cli_set & (1ULL << key_index(k)));
}

/* Rules that involve more than one key, and the values derived from them. */
int config_finalize(config_t *c, char *err, size_t errlen)
{
    if (c->election_timeout_min_ms >= c->election_timeout_max_ms) {
        seterr(err, errlen,
               "election_timeout_min_ms (%d) must be less than election_timeout_max_ms (%d)",
               c->election_timeout_min_ms, c->election_timeout_max_ms);
        return -1;
    }
    if (c->heartbeat_interval_ms >= c->election_timeout_min_ms) {
        seterr(err, errlen,
               "heartbeat_interval_ms (%d) must be less than election_timeout_min_ms (%d)",
               c->heartbeat_interval_ms, c->election_timeout_min_ms);
        return -1;
    }

    /* data_dir without trailing slashes ("/" stays usable as a prefix). */
    int dlen = (int)strlen(c->data_dir);
    while (dlen > 1 && c->data_dir[dlen - 1] == '/')
        dlen--;

    if (c->enabled) {
        if (c->nmembers == 0) {
            seterr(err, errlen, "cluster.enabled is true but cluster.members is empty");
            return -1;
        }
        const config_member_t *m = config_member(c, c->node_id);
        if (!m) {
            seterr(err, errlen, "node_id %d is not in cluster.members", c->node_id);
            return -1;
        }
        /* Same size buffers; memcpy because the compiler cannot see that
         * m points into c->members, not at c->binding. */
        if (!cli_given(c, "binding")) memcpy(c->binding, m->host, strlen(m->host) + 1);
        if (!cli_given(c, "port")) c->port = m->port;
        if (dlen == 1 && c->data_dir[0] == '/') dlen = 0;
        snprintf(c->node_dir, sizeof(c->node_dir), "%.*s/node%d", dlen, c->data_dir, c->node_id);
    } else {
        snprintf(c->node_dir, sizeof(c->node_dir), "%.*s", dlen, c->data_dir);
    }

    if (c->http_port == 0) {
        if (c->port + 1000 > 65535) {
            seterr(err, errlen,
                   "http_port defaults to port + 1000 = %d, which is above 65535; "
                   "set http_port explicitly",
                   c->port + 1000);
            return -1;
        }
        c->http_port = c->port + 1000;
    }
    if (c->http_port == c->port) {
        seterr(err, errlen, "http_port (%d) must differ from port", c->http_port);
        return -1;
    }
    return 0;
}

const config_member_t *config_member(const config_t *c, int id)
{
    for (int i = 0; i < c->nmembers; i++)
        if (c->members[i].id == id) return &c->members[i];
    return NULL;
}

/* Renders a key's current value the way it would be typed on the command
 * line, so CONFIG GET output can be fed back as --name value. */
static void format_value(const config_t *c, const cfgkey_t *k, char *buf, size_t buflen)
{
    switch (k->type) {
    case T_STR:
    case T_ENUM_STR:
        if ((k->flags & F_SECRET) && ((const char *)cfield(c, k))[0])
            snprintf(buf, buflen, "(hidden)");
        else
            snprintf(buf, buflen, "%s", (const char *)cfield(c, k));
        break;
    case T_INT:
        snprintf(buf, buflen, "%d", *(const int *)cfield(c, k));
        break;
    case T_LL:
        snprintf(buf, buflen, "%lld", *(const long long *)cfield(c, k));
        break;
    case T_BOOL:
        snprintf(buf, buflen, "%s", *(const bool *)cfield(c, k) ? "true" : "false");
        break;
    case T_ENUM_INT: {
        int idx = *(const int *)cfield(c, k), n = 0;
        while (k->choices[n])
            n++;
        snprintf(buf, buflen, "%s", idx >= 0 && idx < n ? k->choices[idx] : "");
        break;
    }
    case T_MEMBERS: {
        size_t n = 0;
        buf[0] = '\0';
        for (int i = 0; i < c->nmembers && n < buflen; i++) {
            const config_member_t *m = &c->members[i];
            const char *fmt = strchr(m->host, ':') ? "%s%d:[%s]:%d" : "%s%d:%s:%d";
            n += (size_t)snprintf(buf + n, buflen - n, fmt, i ? "," : "", m->id, m->host, m->port);
        }
        break;
    }
    }
}

/* CONFIG GET: our keys by their file names, then the Redis names clients
 * ask for. The pattern is matched without regard to case, as Redis does. */
void config_foreach(const config_t *c, const char *pattern,
                    void (*fn)(void *ud, const char *name, const char *value), void *ud)
{
    char buf[CONFIG_MAX_MEMBERS * (CONFIG_HOST_MAX + 32) + 16];
    size_t plen = strlen(pattern);

    for (int i = 0; i < NKEYS; i++) {
        if (!glob_match(pattern, plen, keys[i].name, strlen(keys[i].name), 1)) continue;
        format_value(c, &keys[i], buf, sizeof(buf));
        fn(ud, keys[i].name, buf);
    }
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
        if (!glob_match(pattern, plen, aliases[i].name, strlen(aliases[i].name), 1)) continue;
        if (aliases[i].target) {
            const cfgkey_t *k = find_key(-1, aliases[i].target, strlen(aliases[i].target));
            format_value(c, k, buf, sizeof(buf));
            fn(ud, aliases[i].name, buf);
        } else {
            fn(ud, aliases[i].name, aliases[i].value);
        }
    }
}
