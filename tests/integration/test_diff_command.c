/* COMMAND INFO, COMMAND GETKEYS and COMMAND GETKEYSANDFLAGS against
 * redis-server 7.0.15 (tests/support/difftest.h starts both servers; without
 * redis-server the tests skip), in RESP2 and RESP3:
 *  1. COMMAND INFO of every command redraft lists (COMMAND LIST, subcommands
 *     included): name, arity, first/last/step and the key specs byte for
 *     byte, tips included; flags and ACL categories equal
 *     except for the commands of info_exceptions (docs/commands.md);
 *  2. GETKEYS and GETKEYSANDFLAGS byte for byte: every command with
 *     arguments of the right count, the numkeys commands with every kind of
 *     numkeys Redis treats specially (0, negative, too large, not a number,
 *     atoi-only forms, values truncated to an int), SET and BITFIELD, whose
 *     key flags depend on the arguments, and random numkeys lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/difftest.h"
#include "support/respcmp.h"

/* Commands whose COMMAND INFO flags or ACL categories differ from Redis's on
 * purpose (docs/commands.md): the connection and server commands do not
 * show noscript, loading, allow_busy or skip_slowlog as Redis does (SHUTDOWN
 * and RESET: all but allow_busy), nor
 * Redis's stale where we have none, and their CMD_STALE/CMD_LOADING mean
 * what redraft does without a leader; OBJECT is a read here (it runs as a
 * linearizable read like its subcommands), Redis gives the container no
 * flags. */
static const char *const info_exceptions[] = {
    "auth", "client", "client|getname", "client|id", "client|info", "client|kill", "client|list",
    "client|no-evict", "client|reply", "client|setname", "config", "config|get", "config|resetstat",
    "config|rewrite", "config|set", "debug", "discard", "echo", "exec", "hello", "multi", "object", "ping",
    "quit", "reset", "role", "select", "shutdown", "time", "unwatch", "watch", NULL};

static bool info_exception(const char *name)
{
    for (int i = 0; info_exceptions[i]; i++)
        if (strcmp(info_exceptions[i], name) == 0) return true;
    return false;
}

static rc_t *open_or_fail(int port)
{
    rc_t *c = rc_open(port);
    if (!c) fail_msg("cannot connect to port %d", port);
    return c;
}

static void hello(rc_t *c, int proto)
{
    const char *r = RC(c, "HELLO", proto == 3 ? "3" : "2");
    if (!r || r[0] != (proto == 3 ? '%' : '*')) fail_msg("HELLO %d failed", proto);
}

/* The RESP bytes of one element of a parsed reply. */
static char *elem_bytes(const rnode_t *n)
{
    rbuf_t b = {0};
    resp_write(&b, n);
    rbuf_append(&b, "", 1);
    return b.p;
}

/* Element i of the two COMMAND INFO entries must be the same bytes. */
static int same_elem(const char *name, const char *what, const rnode_t *a, const rnode_t *b)
{
    char *x = elem_bytes(a), *y = elem_bytes(b);
    int bad = strcmp(x, y) != 0;
    if (bad) {
        char *ex = resp_escape(x, strlen(x)), *ey = resp_escape(y, strlen(y));
        fprintf(stderr, "COMMAND INFO %s: %s differ\n  redraft: %s\n  redis:   %s\n", name, what, ex, ey);
        free(ex);
        free(ey);
    }
    free(x);
    free(y);
    return bad;
}

/* Every name redraft's COMMAND LIST gives. */
static rnode_t *command_list(rc_t *c)
{
    size_t len;
    const char *argv[] = {"COMMAND", "LIST"};
    const char *r = rc_cmdv(c, 2, argv, NULL, &len);
    rnode_t *t = r ? rc_parse_reply(r, len) : NULL;
    if (!t || (t->type != '*' && t->type != '~') || t->n < 150) fail_msg("COMMAND LIST: unexpected reply");
    return t;
}

static rnode_t *ask_info(rc_t *c, const char *name)
{
    size_t len;
    const char *argv[] = {"COMMAND", "INFO", name};
    const char *r = rc_cmdv(c, 3, argv, NULL, &len);
    rnode_t *t = r ? rc_parse_reply(r, len) : NULL;
    if (!t || t->type != '*' || t->n != 1) fail_msg("COMMAND INFO %s: unexpected reply", name);
    return t;
}

static void info_matches(int proto)
{
    if (!dt_have_ref()) skip();
    rc_t *ours = open_or_fail(dt_redraft_port()), *ref = open_or_fail(dt_ref_port());
    hello(ours, proto);
    hello(ref, proto);
    rnode_t *names = command_list(ours);
    int bad = 0, compared = 0, with_specs = 0;
    for (int i = 0; i < names->n; i++) {
        const char *name = names->e[i]->s;
        rnode_t *a = ask_info(ours, name), *b = ask_info(ref, name);
        const rnode_t *x = a->e[0], *y = b->e[0];
        if (y->null || y->type == '_') { /* newer than 7.0 (CLIENT SETINFO, NO-TOUCH) */
            rnode_free(a);
            rnode_free(b);
            continue;
        }
        assert_int_equal(x->n, 10);
        assert_int_equal(y->n, 10);
        compared++;
        bad += same_elem(name, "name", x->e[0], y->e[0]);
        bad += same_elem(name, "arity", x->e[1], y->e[1]);
        bad += same_elem(name, "first key", x->e[3], y->e[3]);
        bad += same_elem(name, "last key", x->e[4], y->e[4]);
        bad += same_elem(name, "key step", x->e[5], y->e[5]);
        bad += same_elem(name, "tips", x->e[7], y->e[7]);
        bad += same_elem(name, "key specs", x->e[8], y->e[8]);
        if (!info_exception(name)) {
            bad += same_elem(name, "flags", x->e[2], y->e[2]);
            bad += same_elem(name, "ACL categories", x->e[6], y->e[6]);
        }
        with_specs += y->e[8]->n > 0;
        rnode_free(a);
        rnode_free(b);
    }
    fprintf(stderr, "  RESP%d: %d commands compared, %d with key specs, %d differences\n", proto, compared,
            with_specs, bad);
    rnode_free(names);
    rc_close(ours);
    rc_close(ref);
    assert_int_equal(bad, 0);
    assert_true(with_specs > 100);
}

static void test_info_resp2(void **state)
{
    info_matches(2);
}

static void test_info_resp3(void **state)
{
    info_matches(3);
}

/* ---- GETKEYS ------------------------------------------------------------------ */

typedef struct {
    rc_t *ours, *ref;
    int bad, n;
} gk_t;

/* COMMAND GETKEYS and GETKEYSANDFLAGS of argv on both servers: same bytes. */
static void getkeys_same(gk_t *g, int argc, const char **argv)
{
    const char *full[80];
    if (argc > 76) return;
    for (int sub = 0; sub < 2; sub++) {
        full[0] = "COMMAND";
        full[1] = sub ? "GETKEYSANDFLAGS" : "GETKEYS";
        for (int i = 0; i < argc; i++) full[2 + i] = argv[i];
        size_t al, bl;
        const char *a = rc_cmdv(g->ours, argc + 2, full, NULL, &al);
        char *ac = a ? strndup(a, al) : NULL;
        const char *b = rc_cmdv(g->ref, argc + 2, full, NULL, &bl);
        if (!ac || !b) fail_msg("no reply to COMMAND %s %s", full[1], argv[0]);
        g->n++;
        if (al != bl || memcmp(ac, b, al) != 0) {
            g->bad++;
            char line[512];
            int n = 0;
            for (int i = 1; i < argc + 2 && n < (int)sizeof(line) - 1; i++)
                n += snprintf(line + n, sizeof(line) - (size_t)n, " %s", full[i]);
            char *ea = resp_escape(ac, al), *eb = resp_escape(b, bl);
            fprintf(stderr, "COMMAND%s\n  redraft: %s\n  redis:   %s\n", line, ea, eb);
            free(ea);
            free(eb);
        }
        free(ac);
    }
}

#define GK(g, ...)                                                                                           \
    do {                                                                                                     \
        const char *v_[] = {__VA_ARGS__};                                                                    \
        getkeys_same((g), (int)(sizeof(v_) / sizeof(v_[0])), v_);                                            \
    } while (0)

/* Every command Redis 7.0 knows with as many arguments as its arity asks,
 * and more. */
static void getkeys_every_command(gk_t *g, rnode_t *names)
{
    static const char *const args[] = {"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"};
    for (int i = 0; i < names->n; i++) {
        char name[64];
        snprintf(name, sizeof(name), "%s", names->e[i]->s);
        const char *argv[16];
        int argc = 0;
        char *bar = strchr(name, '|');
        if (bar) *bar = '\0';
        argv[argc++] = name;
        if (bar) argv[argc++] = bar + 1;
        rnode_t *info = ask_info(g->ref, names->e[i]->s);
        bool known = !info->e[0]->null && info->e[0]->type != '_'; /* CLIENT SETINFO is 7.2 */
        rnode_free(info);
        if (!known) continue;
        info = ask_info(g->ours, names->e[i]->s);
        long long arity = info->e[0]->e[1]->i;
        rnode_free(info);
        int want = (int)(arity < 0 ? -arity : arity);
        for (int extra = 0; extra <= (arity < 0 ? 3 : 0); extra++) {
            int n = argc;
            while (n < want + extra && n - argc < 9) argv[n] = args[n - argc], n++;
            getkeys_same(g, n, argv);
        }
    }
}

/* The numkeys values Redis reads in a way of its own: string2ll for the
 * key spec, then atoi in the command's own key finder when the spec fails,
 * and the count truncated to an int. */
static const char *const numkeys_forms[] = {
    "0", "1", "2", "3", "4", "-1", "-0", "2x", " 2", "02", "+2", "", "x", "4294967297", "4294967298",
    "-4294967294", "2147483647", "2147483648", "2147483649", "9223372036854775807", "9223372036854775808",
    "-9223372036854775808", "99999999999", " -2", "\t1", "1 "};

static void getkeys_numkeys(gk_t *g)
{
    static const struct {
        const char *name;
        int before;        /* arguments before numkeys: the destination, the timeout */
        const char *after; /* what follows the keys */
    } cmds[] = {
        {"zunionstore", 1, "WEIGHTS"}, {"zinterstore", 1, NULL}, {"zdiffstore", 1, NULL}, {"zunion", 0, NULL},
        {"zinter", 0, "WITHSCORES"}, {"zdiff", 0, NULL}, {"zintercard", 0, "LIMIT"}, {"sintercard", 0, NULL},
        {"lmpop", 0, "LEFT"}, {"blmpop", 1, "RIGHT"}, {"zmpop", 0, "MIN"}, {"bzmpop", 1, "MAX"},
    };
    for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
        for (size_t f = 0; f < sizeof(numkeys_forms) / sizeof(numkeys_forms[0]); f++) {
            for (int nkeys = 1; nkeys <= 3; nkeys += 2) {
                const char *argv[16];
                int argc = 0;
                argv[argc++] = cmds[c].name;
                if (cmds[c].before) argv[argc++] = "d";
                argv[argc++] = numkeys_forms[f];
                static const char *const keys[] = {"a", "b", "c"};
                for (int k = 0; k < nkeys; k++) argv[argc++] = keys[k];
                if (cmds[c].after) argv[argc++] = cmds[c].after;
                getkeys_same(g, argc, argv);
            }
        }
    }
}

/* Random numkeys lines: counts near the number of arguments, options. */
static void getkeys_random(gk_t *g)
{
    static const char *const cmds[] = {"zunionstore", "zunion", "zintercard", "sintercard",
                                       "lmpop",       "blmpop", "zmpop",      "bzmpop"};
    dt_prng_t r = {.s = 20240611};
    for (int it = 0; it < 400; it++) {
        const char *name = cmds[dt_rn(&r, 8)];
        dt_op_t o = {0};
        dt_adds(&o, name);
        if (strcmp(name, "zunionstore") == 0 || name[0] == 'b') dt_adds(&o, dt_rn(&r, 2) ? "d" : "0");
        int nargs = dt_rn(&r, 6);
        dt_addf(&o, "%d", dt_rn(&r, 9) - 2);
        for (int i = 0; i < nargs; i++) dt_addf(&o, "k%d", dt_rn(&r, 4));
        const char *argv[DT_MAXARG];
        for (int i = 0; i < o.argc; i++) argv[i] = o.argv[i];
        getkeys_same(g, o.argc, argv);
        dt_op_free(&o);
    }
}

static void getkeys_matches(int proto)
{
    if (!dt_have_ref()) skip();
    gk_t g = {.ours = open_or_fail(dt_redraft_port()), .ref = open_or_fail(dt_ref_port())};
    hello(g.ours, proto);
    hello(g.ref, proto);
    rnode_t *names = command_list(g.ours);
    getkeys_every_command(&g, names);
    rnode_free(names);
    getkeys_numkeys(&g);
    getkeys_random(&g);
    /* SET and BITFIELD: the flags depend on the arguments */
    GK(&g, "set", "k", "v");
    GK(&g, "set", "k", "v", "get");
    GK(&g, "set", "k", "v", "NX", "GeT");
    GK(&g, "set", "k", "v", "xget");
    GK(&g, "set", "k", "get");
    GK(&g, "bitfield", "k");
    GK(&g, "bitfield", "k", "get", "u8", "0");
    GK(&g, "bitfield", "k", "get", "u8");
    GK(&g, "bitfield", "k", "overflow", "wrap", "get", "u8", "0");
    GK(&g, "bitfield", "k", "overflow");
    GK(&g, "bitfield", "k", "get", "u8", "0", "set", "u8", "0", "1");
    GK(&g, "bitfield", "k", "incrby", "u8", "0", "1");
    GK(&g, "bitfield", "k", "incrby", "u8", "0");
    GK(&g, "bitfield", "k", "foo");
    /* the other commands with more than one spec, odd argument counts */
    GK(&g, "mset", "a", "1", "b");
    GK(&g, "msetnx", "a", "1", "b", "2");
    GK(&g, "bitop", "and", "d", "a", "b", "c");
    GK(&g, "rename", "a", "b");
    GK(&g, "lmove", "a", "b", "left", "right");
    GK(&g, "blpop", "a", "b", "c", "0");
    GK(&g, "sdiffstore", "d", "a");
    GK(&g, "object", "encoding", "k");
    GK(&g, "object", "help");
    GK(&g, "object");
    GK(&g, "nosuch", "k");
    GK(&g, "get", "a", "b");
    GK(&g, "ping");
    GK(&g, "GET", "A");
    fprintf(stderr, "  RESP%d: %d GETKEYS/GETKEYSANDFLAGS lines, %d differences\n", proto, g.n, g.bad);
    rc_close(g.ours);
    rc_close(g.ref);
    assert_int_equal(g.bad, 0);
}

static void test_getkeys_resp2(void **state)
{
    getkeys_matches(2);
}

static void test_getkeys_resp3(void **state)
{
    getkeys_matches(3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info_resp2),
        cmocka_unit_test(test_info_resp3),
        cmocka_unit_test(test_getkeys_resp2),
        cmocka_unit_test(test_getkeys_resp3),
    };
    return cmocka_run_group_tests_name("COMMAND INFO and GETKEYS against redis", tests, dt_setup, dt_teardown);
}
