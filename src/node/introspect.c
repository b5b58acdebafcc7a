/* Shared pieces of the introspection commands, and their registration. */
#include "node/introspect.h"
#include "node/server_cmds.h"
#include "util/glob.h"

#include <ctype.h>
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* ---- a growable string for INFO and CLIENT LIST texts ------------------ */

/* Appends printf-style text, growing the buffer as needed. */
void sb_printf(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_printf(sbuf_t *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) return;
        if (b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 1024;
        while (cap <= b->len + (size_t)n) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) abort();
        b->p = p;
        b->cap = cap;
    }
}

/* Redis's bytesToHuman: 1023B, 1.00K, 12.50M ... */
void bytes_human(char *out, size_t outlen, unsigned long long n)
{
    const char *units = "KMGTP";
    double d = (double)n;
    if (n < 1024) {
        snprintf(out, outlen, "%lluB", n);
        return;
    }
    for (int i = 0; units[i]; i++) {
        d /= 1024;
        if (d < 1024 || units[i + 1] == '\0') {
            snprintf(out, outlen, "%.2f%c", d, units[i]);
            return;
        }
    }
}

/* ---- subcommands ---------------------------------------------------------- */

/* A subcommand's own name: tables may spell it "list" or "client|list". */
const char *sub_short(const command_t *sub)
{
    const char *bar = strchr(sub->name, '|');
    return bar ? bar + 1 : sub->name;
}

void full_name(char *out, size_t outlen, const command_t *parent, const command_t *sub)
{
    if (!parent || strchr(sub->name, '|'))
        snprintf(out, outlen, "%s", sub->name);
    else
        snprintf(out, outlen, "%s|%s", parent->name, sub->name);
}

const command_t *find_sub(const command_t *subs, const char *name, size_t len)
{
    for (const command_t *s = subs; s && s->name; s++) {
        const char *sn = sub_short(s);
        if (strlen(sn) == len && strncasecmp(sn, name, len) == 0) return s;
    }
    return NULL;
}

/* The checks Redis makes on a container command's subcommand before running
 * anything: it exists, and its own arity holds. Returns the subcommand, or
 * NULL after writing the error. */
const command_t *subcommand_check(const command_t *parent, int argc, const char *const *argv,
                                  const size_t *argvlen, reply_t *r)
{
    const command_t *sub = find_sub(parent->subcommands, argv[1], argvlen[1]);
    if (!sub) {
        char upper[32];
        size_t k = 0;
        for (; parent->name[k] && k < sizeof(upper) - 1; k++) upper[k] = (char)toupper((unsigned char)parent->name[k]);
        upper[k] = '\0';
        int len = argvlen[1] < 128 ? (int)argvlen[1] : 128;
        reply_errorf(r, "ERR unknown subcommand '%.*s'. Try %s HELP.", len, argv[1], upper);
        return NULL;
    }
    if (sub->arity > 0 ? argc != sub->arity : argc < -sub->arity) {
        char full[64];
        full_name(full, sizeof(full), parent, sub);
        reply_wrong_arity(r, full);
        return NULL;
    }
    return sub;
}

/* Runs argv[1] as a subcommand of the container. The session's last command
 * becomes "client|list", as CLIENT LIST shows it. */
void run_subcommand(cmd_ctx_t *c, const command_t *parent)
{
    const command_t *sub = subcommand_check(parent, c->argc, c->argv, c->argvlen, c->reply);
    if (!sub) return;
    if (c->sess) {
        char full[64];
        full_name(full, sizeof(full), parent, sub);
        size_t l = strlen(full) < sizeof(c->sess->last_sub) ? strlen(full) : sizeof(c->sess->last_sub) - 1;
        memcpy(c->sess->last_sub, full, l);
        c->sess->last_sub[l] = '\0';
        c->sess->last_cmd = c->sess->last_sub;
    }
    sub->proc(c);
}

/* Redis's addReplyHelp: a title line, the given lines, then HELP. */
void reply_help(cmd_ctx_t *c, const char *const *lines)
{
    char title[96], upper[32];
    size_t k = 0, n = 0;
    for (; k < c->argvlen[0] && k < sizeof(upper) - 1; k++) upper[k] = (char)toupper((unsigned char)c->argv[0][k]);
    upper[k] = '\0';
    while (lines[n]) n++;
    reply_array(c->reply, (long long)n + 3);
    snprintf(title, sizeof(title), "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", upper);
    reply_simple(c->reply, title);
    for (size_t i = 0; i < n; i++) reply_simple(c->reply, lines[i]);
    reply_simple(c->reply, "HELP");
    reply_simple(c->reply, "    Prints this help.");
}

void introspect_register(void)
{
    cmd_table_add(info_commands, info_ncommands);
    cmd_table_add(client_commands, client_ncommands);
    cmd_table_add(command_commands, command_ncommands);
}
