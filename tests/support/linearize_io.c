/* linearize_io: saving a history in the text format and loading it back,
 * to check a chaos run's history again offline. Part of the checker of
 * linearize.c; shared types in linearize_int.h. */
#include "support/linearize_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- saving and loading -------------------------------------------------- */

int lin_history_save(const lin_history_t *h, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    sb_t b = {0};
    fputs("# redraft linearizability history v1: client invoke_us return_us KIND \"key\" "
          "[\"value\"] result\n",
          f);
    for (size_t i = 0; i < h->n; i++) {
        const lin_op_t *o = &h->ops[i];
        b.n = 0;
        lin_sb_printf(&b, "%d %" PRId64 " %" PRId64 " %s ", o->client, o->invoke_us, o->return_us,
                      lin_kind_names[o->kind]);
        lin_sb_quoted(&b, o->key, o->key_len, 0);
        if (o->kind == LIN_SET) {
            lin_sb_printf(&b, " ");
            lin_sb_quoted(&b, o->arg, o->arg_len, 0);
        }
        if (o->outcome_unknown)
            lin_sb_printf(&b, " ?");
        else if (o->kind == LIN_GET && o->nil)
            lin_sb_printf(&b, " nil");
        else if (o->kind == LIN_GET) {
            lin_sb_printf(&b, " ");
            lin_sb_quoted(&b, o->val, o->val_len, 0);
        } else if (o->kind == LIN_SET)
            lin_sb_printf(&b, " OK");
        else if (o->kind == LIN_INCR && o->error)
            lin_sb_printf(&b, " ERR");
        else
            lin_sb_printf(&b, " %" PRId64, o->num);
        lin_sb_printf(&b, "\n");
        fwrite(b.p, 1, b.n, f);
    }
    free(b.p);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        if (!errno) errno = EIO;
        return -1;
    }
    return 0;
}

/* One token of a line: a bare word, or a quoted string unescaped into buf
 * (which the caller frees). */
typedef struct tok {
    const char *p;
    size_t len;
    bool quoted;
    char *buf;
} tok_t;

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* 1: a token; 0: end of line; -1: a malformed quoted string (*why says). */
static int next_tok(const char **cur, tok_t *t, const char **why)
{
    const char *p = *cur;
    while (*p == ' ' || *p == '\t')
        p++;
    memset(t, 0, sizeof(*t));
    if (*p == '\0' || *p == '\n' || *p == '\r') {
        *cur = p;
        return 0;
    }
    if (*p != '"') {
        const char *s = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            p++;
        t->p = s;
        t->len = (size_t)(p - s);
        *cur = p;
        return 1;
    }
    p++;
    t->quoted = true;
    t->buf = lin_xrealloc(NULL, strlen(p) + 1);
    size_t n = 0;
    for (;;) {
        if (*p == '\0' || *p == '\n' || *p == '\r') {
            *why = "unterminated string";
            free(t->buf);
            t->buf = NULL;
            return -1;
        }
        if (*p == '"') break;
        if (*p != '\\') {
            t->buf[n++] = *p++;
            continue;
        }
        p++;
        if (*p == '"' || *p == '\\') {
            t->buf[n++] = *p++;
        } else if (*p == 'x' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            t->buf[n++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
            p += 3;
        } else {
            *why = "bad escape in string";
            free(t->buf);
            t->buf = NULL;
            return -1;
        }
    }
    p++;
    if (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
        *why = "text right after a closing quote";
        free(t->buf);
        t->buf = NULL;
        return -1;
    }
    t->p = t->buf;
    t->len = n;
    *cur = p;
    return 1;
}

static bool tok_is(const tok_t *t, const char *word)
{
    return !t->quoted && t->len == strlen(word) && memcmp(t->p, word, t->len) == 0;
}

static bool tok_int(const tok_t *t, int64_t *v)
{
    return !t->quoted && lin_parse_ll(t->p, t->len, v);
}

/* Parses one op line into *o (its strings pointing into toks[]); NULL on
 * success, else what is wrong. */
static const char *parse_line(const char *line, lin_op_t *o, tok_t *toks, int *ntok)
{
    const char *why = NULL;
    const char *cur = line;
    *ntok = 0;
    for (;;) {
        if (*ntok == 8) return "too many fields";
        int r = next_tok(&cur, &toks[*ntok], &why);
        if (r < 0) return why;
        if (r == 0) break;
        (*ntok)++;
    }
    if (*ntok < 6) return "too few fields";
    memset(o, 0, sizeof(*o));
    int64_t client;
    if (!tok_int(&toks[0], &client) || client < INT32_MIN || client > INT32_MAX)
        return "bad client";
    o->client = (int)client;
    if (!tok_int(&toks[1], &o->invoke_us)) return "bad invoke time";
    if (!tok_int(&toks[2], &o->return_us)) return "bad return time";
    int kind = -1;
    for (int k = 0; k < 4; k++)
        if (tok_is(&toks[3], lin_kind_names[k])) kind = k;
    if (kind < 0) return "unknown command (GET, SET, INCR or DEL)";
    o->kind = (lin_kind_t)kind;
    if (!toks[4].quoted) return "the key must be quoted";
    o->key = (char *)toks[4].p;
    o->key_len = toks[4].len;
    int r = 5;
    if (o->kind == LIN_SET) {
        if (*ntok < 7 || !toks[5].quoted) return "SET needs a quoted value";
        o->arg = (char *)toks[5].p;
        o->arg_len = toks[5].len;
        r = 6;
    }
    if (*ntok != r + 1) return "wrong number of fields";
    const tok_t *res = &toks[r];
    if (tok_is(res, "?")) {
        o->outcome_unknown = true;
        return NULL;
    }
    switch (o->kind) {
    case LIN_GET:
        if (tok_is(res, "nil")) {
            o->nil = true;
        } else if (res->quoted) {
            o->val = (char *)res->p;
            o->val_len = res->len;
        } else {
            return "GET's result must be nil, a quoted value or ?";
        }
        break;
    case LIN_SET:
        if (!tok_is(res, "OK")) return "SET's result must be OK or ?";
        break;
    case LIN_INCR:
        if (tok_is(res, "ERR"))
            o->error = true;
        else if (!tok_int(res, &o->num))
            return "INCR's result must be a number, ERR or ?";
        break;
    case LIN_DEL:
        if (!tok_int(res, &o->num)) return "DEL's result must be a number or ?";
        break;
    }
    if (o->return_us < o->invoke_us) return "returned before it was invoked";
    return NULL;
}

lin_history_t *lin_history_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (err) snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    lin_history_t *h = lin_history_new();
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t len;
    tok_t toks[8];
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0') continue;
        if (strlen(line) != (size_t)len) {
            if (err) snprintf(err, errlen, "%s:%zu: a NUL byte in the line", path, lineno);
            goto fail;
        }
        lin_op_t o;
        int ntok = 0;
        const char *why = parse_line(line, &o, toks, &ntok);
        if (!why) lin_history_add(h, &o);
        for (int k = 0; k < ntok; k++)
            free(toks[k].buf);
        if (why) {
            if (err) snprintf(err, errlen, "%s:%zu: %s", path, lineno, why);
            goto fail;
        }
    }
    if (ferror(f)) {
        if (err) snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto fail;
    }
    free(line);
    fclose(f);
    return h;
fail:
    free(line);
    fclose(f);
    lin_history_free(h);
    return NULL;
}
