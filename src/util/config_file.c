/* The configuration file parser: the strict TOML subset of
 * conf/cluster.conf.
 *
 * [section] headers, key = value lines, values that are "strings" (with TOML
 * escapes), integers, true/false or one-line ["arrays", "of", "strings"];
 * '#' comments and blank lines. Anything else, and any unknown or repeated
 * section or key, is an error reported as "file:line: message". The parser
 * only recognises the shape of a value; cfg_set_key() (config_value.c)
 * decides whether the key accepts it. */
#include "util/config.h"
#include "util/config_internal.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* Characters of a TOML bare key. */
static int is_bare(int ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || is_digit(ch) || ch == '_' ||
           ch == '-';
}

/* Skips blanks and tabs. */
static char *skip_ws(char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

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
        cfg_seterr(msg, msglen, "multi-line strings (\"\"\") are not supported");
        return -1;
    }
    p++;
    for (;;) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '\0') {
            cfg_seterr(msg, msglen, "unterminated string");
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
                        cfg_seterr(msg, msglen,
                                   "invalid \\%c escape in string: expected %d hex digits", e,
                                   ndig);
                        return -1;
                    }
                    cp = cp * 16 + (unsigned long)d;
                }
                if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
                    cfg_seterr(msg, msglen, "invalid \\%c escape in string: U+%04lX is not allowed",
                               e, cp);
                    return -1;
                }
                p += ndig;
                w += utf8_put(w, cp);
                break;
            }
            case '\0':
                cfg_seterr(msg, msglen, "unterminated string");
                return -1;
            default:
                if ((unsigned char)e < ' ' || (unsigned char)e == 0x7f)
                    cfg_seterr(msg, msglen, "invalid escape in string");
                else
                    cfg_seterr(msg, msglen, "invalid escape '\\%c' in string", e);
                return -1;
            }
            continue;
        }
        if ((ch < ' ' && ch != '\t') || ch == 0x7f) {
            cfg_seterr(msg, msglen, "control character 0x%02x in string", ch);
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
            cfg_seterr(msg, msglen, "unterminated array (arrays must be on one line)");
            return -1;
        }
        if (*p != '"') {
            cfg_seterr(msg, msglen, "arrays may only contain strings in double quotes");
            return -1;
        }
        if (parse_string(&p, &item, msg, msglen) < 0) return -1;
        if (cfg_value_push(v, item.s, item.len) < 0) {
            cfg_seterr(msg, msglen, "out of memory");
            return -1;
        }
        p = skip_ws(p);
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == ']') break;
        if (*p == '\0' || *p == '#') {
            cfg_seterr(msg, msglen, "unterminated array (arrays must be on one line)");
            return -1;
        }
        cfg_seterr(msg, msglen, "expected ',' or ']' in array");
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
        cfg_seterr(msg, msglen, "single-quoted strings are not supported; use double quotes");
        return -1;
    case '{':
        cfg_seterr(msg, msglen, "inline tables are not supported");
        return -1;
    case '\0':
    case '#':
        cfg_seterr(msg, msglen, "missing value after '='");
        return -1;
    }
    char *start = p;
    while (*p && !strchr(" \t#,[]{}\"'=", *p))
        p++;
    if (p == start) {
        cfg_seterr(msg, msglen, "unexpected '%c' where a value was expected", *p);
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

/* What the parser remembers across lines: the current section, and the line
 * where each section and key first appeared (for the duplicate messages). */
typedef struct parse_state {
    config_t *c;
    int section; /* -1 before the first header */
    int section_line[SEC_COUNT];
    int key_line[CFG_MAX_KEYS];
} parse_state_t;

/* "[name]" */
static int parse_section(parse_state_t *ps, char *p, int lineno, char *msg, size_t msglen)
{
    p++;
    if (*p == '[') {
        cfg_seterr(msg, msglen, "arrays of tables ([[...]]) are not supported");
        return -1;
    }
    p = skip_ws(p);
    char *name = p;
    while (is_bare((unsigned char)*p) || *p == '.')
        p++;
    size_t len = (size_t)(p - name);
    p = skip_ws(p);
    if (len == 0) {
        cfg_seterr(msg, msglen, *p == ']' ? "empty section name" : "invalid section name");
        return -1;
    }
    if (*p != ']') {
        cfg_seterr(msg, msglen, "expected ']' after section name");
        return -1;
    }
    p = skip_ws(p + 1);
    if (*p && *p != '#') {
        cfg_seterr(msg, msglen, "unexpected text after section header: '%.40s'", p);
        return -1;
    }
    int sec = -1;
    for (int i = 0; i < SEC_COUNT; i++)
        if (strlen(cfg_section_names[i]) == len && !memcmp(cfg_section_names[i], name, len))
            sec = i;
    if (sec < 0) {
        cfg_seterr(msg, msglen, "unknown section [%.*s]", (int)len, name);
        return -1;
    }
    if (ps->section_line[sec]) {
        cfg_seterr(msg, msglen, "duplicate section [%s] (first on line %d)", cfg_section_names[sec],
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
            cfg_seterr(msg, msglen, "quoted keys are not supported");
        else
            cfg_seterr(msg, msglen, "expected a key, a [section] or a comment");
        return -1;
    }
    if (*p == '.') {
        cfg_seterr(msg, msglen, "dotted keys are not supported; use a [section]");
        return -1;
    }
    p = skip_ws(p);
    if (*p != '=') {
        cfg_seterr(msg, msglen, "expected '=' after key '%.*s'", (int)len, name);
        return -1;
    }
    p = skip_ws(p + 1);

    /* cfg_find_key(-1, ...) searches every section: only for the hint. */
    const cfgkey_t *k = ps->section < 0 ? NULL : cfg_find_key(ps->section, name, len);
    if (!k) {
        const cfgkey_t *elsewhere = cfg_find_key(-1, name, len);
        if (ps->section < 0 && elsewhere)
            cfg_seterr(msg, msglen, "key '%.*s' is outside any section (it belongs in [%s])",
                       (int)len, name, cfg_section_names[elsewhere->section]);
        else if (ps->section < 0)
            cfg_seterr(msg, msglen, "key '%.*s' is outside any section", (int)len, name);
        else if (elsewhere)
            cfg_seterr(msg, msglen, "unknown key '%.*s' in section [%s] (it belongs in [%s])",
                       (int)len, name, cfg_section_names[ps->section],
                       cfg_section_names[elsewhere->section]);
        else
            cfg_seterr(msg, msglen, "unknown key '%.*s' in section [%s]", (int)len, name,
                       cfg_section_names[ps->section]);
        return -1;
    }
    int idx = cfg_key_index(k);
    if (ps->key_line[idx]) {
        cfg_seterr(msg, msglen, "duplicate key '%s' in section [%s] (first set on line %d)",
                   k->name, cfg_section_names[k->section], ps->key_line[idx]);
        return -1;
    }

    value_t v;
    int rc = -1;
    if (parse_value(&p, &v, msg, msglen) < 0) goto done;
    p = skip_ws(p);
    if (*p && *p != '#') {
        cfg_seterr(msg, msglen, "unexpected text after value: '%.40s'", p);
        goto done;
    }
    /* A key given on the command line wins over the file; still check it. */
    bool store = !(ps->c->cli_set & (1ULL << idx));
    if (cfg_set_key(ps->c, k, &v, store, msg, msglen) < 0) goto done;
    ps->key_line[idx] = lineno;
    rc = 0;
done:
    cfg_value_free(&v);
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
        cfg_seterr(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }

    config_t *tmp = malloc(sizeof(*tmp));
    if (!tmp) {
        fclose(fp);
        cfg_seterr(err, errlen, "%s: out of memory", path);
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
            cfg_seterr(err, errlen, "%s:%d: NUL byte in line", path, lineno);
            rc = -1;
            break;
        }
        if (parse_line(&ps, line, lineno, msg, sizeof(msg)) < 0) {
            cfg_seterr(err, errlen, "%s:%d: %s", path, lineno, msg);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(fp)) {
        cfg_seterr(err, errlen, "%s: read error: %s", path, strerror(errno ? errno : EIO));
        rc = -1;
    }
    if (rc == 0 && strlen(path) >= sizeof(tmp->config_file)) {
        cfg_seterr(err, errlen, "%s: path is too long", path);
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
