/* The wire: pipelining, inline commands, malformed input, many clients,
 * clients that vanish with work in flight. Expected bytes are redis-server
 * 7.0.15's (PROTOCOL_TARGET=redis runs the same cases against it; the few
 * cases where redraft is deliberately stricter are skipped there). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/proc.h"
#include "support/respcmp.h"

static testproc_t srv;
static bool vs_redis;

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static int group_setup(void **state)
{
    const char *t = getenv("PROTOCOL_TARGET");
    vs_redis = t && strcmp(t, "redis") == 0;
    if ((vs_redis ? proc_start_redis(&srv) : proc_start(&srv, NULL)) != 0) return -1;
    rc_t *c = rc_open(srv.port);
    const char *r = c ? RC(c, "FLUSHALL") : NULL;
    bool ok = r && strcmp(r, "+OK\r\n") == 0;
    r = c ? RC(c, "SET", "sentinel", "still-here") : NULL;
    ok = ok && r && strcmp(r, "+OK\r\n") == 0;
    rc_close(c);
    return ok ? 0 : -1;
}

static int group_teardown(void **state)
{
    return proc_finish(&srv);
}

/* After anything a client did: the server is up, a new client gets PONG and
 * the data is intact. */
static void assert_server_healthy(void)
{
    assert_true(proc_alive(&srv));
    rc_t *c = rc_open(srv.port);
    assert_non_null(c);
    EXPECT(c, "+PONG\r\n", "PING");
    EXPECT(c, "$10\r\nstill-here\r\n", "GET", "sentinel");
    rc_close(c);
}

/* ---- pipelining ---------------------------------------------------------- */

#define NPIPE 10000
#define NKEYS 100

/* Compares a pipelined run reply by reply and names the first difference. */
static void assert_replies(const rbuf_t *got, const size_t *goff, const rbuf_t *want, const size_t *woff, int n,
                           rbuf_t *cmds, const size_t *coff)
{
    for (int i = 0; i < n; i++) {
        size_t gl = goff[i + 1] - goff[i], wl = woff[i + 1] - woff[i];
        if (gl == wl && memcmp(got->p + goff[i], want->p + woff[i], gl) == 0) continue;
        char *g = resp_escape(got->p + goff[i], gl), *w = resp_escape(want->p + woff[i], wl);
        char *cm = resp_escape(cmds->p + coff[i], coff[i + 1] - coff[i]);
        fail_msg("reply %d of %d differs\n  command %s\n  want %s\n  got  %s", i, n, cm, w, g);
    }
}

static void test_pipeline_10000(void **state)
{
    rc_t *c = rc_open(srv.port);
    assert_non_null(c);
    char *model[NKEYS] = {0};
    long long counter = 0;
    rbuf_t cmds = {0}, want = {0}, got = {0};
    size_t *coff = calloc(NPIPE + 1, sizeof(size_t));
    size_t *woff = calloc(NPIPE + 1, sizeof(size_t));
    size_t *goff = calloc(NPIPE + 1, sizeof(size_t));
    unsigned seed = 12345;
    for (int i = 0; i < NPIPE; i++) {
        seed = seed * 1103515245u + 12345u;
        int op = (int)((seed >> 16) % 10);
        seed = seed * 1103515245u + 12345u;
        int k = (int)((seed >> 16) % NKEYS);
        char key[32], val[48];
        snprintf(key, sizeof(key), "pp:%d", k);
        coff[i] = cmds.len;
        woff[i] = want.len;
        if (op < 3) { /* SET */
            snprintf(val, sizeof(val), "value-%d-%d", i, k);
            resp_encodel(&cmds, "SET", key, val, (const char *)NULL);
            rbuf_printf(&want, "+OK\r\n");
            free(model[k]);
            model[k] = strdup(val);
        } else if (op < 6) { /* GET: must see the SET just before it */
            resp_encodel(&cmds, "GET", key, (const char *)NULL);
            if (model[k]) rbuf_printf(&want, "$%zu\r\n%s\r\n", strlen(model[k]), model[k]);
            else rbuf_printf(&want, "$-1\r\n");
        } else if (op < 8) { /* INCR */
            resp_encodel(&cmds, "INCR", "pp:counter", (const char *)NULL);
            rbuf_printf(&want, ":%lld\r\n", ++counter);
        } else if (op == 8) { /* DEL */
            resp_encodel(&cmds, "DEL", key, (const char *)NULL);
            rbuf_printf(&want, ":%d\r\n", model[k] ? 1 : 0);
            free(model[k]);
            model[k] = NULL;
        } else { /* APPEND */
            resp_encodel(&cmds, "APPEND", key, "+", (const char *)NULL);
            size_t l = model[k] ? strlen(model[k]) : 0;
            char *nv = malloc(l + 2);
            memcpy(nv, model[k] ? model[k] : "", l);
            nv[l] = '+';
            nv[l + 1] = '\0';
            free(model[k]);
            model[k] = nv;
            rbuf_printf(&want, ":%zu\r\n", l + 1);
        }
    }
    coff[NPIPE] = cmds.len;
    woff[NPIPE] = want.len;
    int64_t t0 = now_ms();
    int rc = rc_pipeline(c, cmds.p, cmds.len, NPIPE, &got, goff);
    if (rc != 0) fail_msg("pipeline: only %zu bytes of replies after %lld ms", got.len, (long long)(now_ms() - t0));
    assert_replies(&got, goff, &want, woff, NPIPE, &cmds, coff);
    /* nothing more than the 10000 replies */
    EXPECT(c, "+PONG\r\n", "PING");
    /* and the state is the model's */
    for (int k = 0; k < NKEYS; k++) {
        char key[32];
        snprintf(key, sizeof(key), "pp:%d", k);
        size_t n;
        const char *argv[] = {"GET", key};
        const char *r = rc_cmdv(c, 2, argv, NULL, &n);
        assert_non_null(r);
        char w[128];
        if (model[k]) snprintf(w, sizeof(w), "$%zu\r\n%s\r\n", strlen(model[k]), model[k]);
        else snprintf(w, sizeof(w), "$-1\r\n");
        ASSERT_RESP(r, n, w, strlen(w));
        free(model[k]);
    }
    assert_int_equal(RCI(c, "GET", "pp:counter") == LLONG_MIN, 1); /* GET answers a bulk, not an integer */
    char cnt[32];
    snprintf(cnt, sizeof(cnt), "%lld", counter + 1);
    size_t n;
    const char *iv[] = {"INCR", "pp:counter"};
    const char *r = rc_cmdv(c, 2, iv, NULL, &n);
    char w[48];
    snprintf(w, sizeof(w), ":%s\r\n", cnt);
    ASSERT_RESP(r, n, w, strlen(w));
    rbuf_free(&cmds);
    rbuf_free(&want);
    rbuf_free(&got);
    free(coff);
    free(woff);
    free(goff);
    rc_close(c);
}

/* Container commands (CLIENT, CONFIG, COMMAND) are checked before they run
 * or are queued, as Redis checks them: an unknown subcommand or a
 * subcommand's arity error inside MULTI aborts the EXEC; a valid one is
 * queued. Also while a write of the same connection is pending. */
static void test_subcommand_checks(void **state)
{
    rc_t *c = rc_open(srv.port);
    assert_non_null(c);
    EXPECT(c, "-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n", "CLIENT", "FOO");
    EXPECT(c, "-ERR wrong number of arguments for 'config|get' command\r\n", "CONFIG", "GET");
    EXPECT(c, "+OK\r\n", "MULTI");
    EXPECT(c, "-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n", "CLIENT", "FOO");
    EXPECT(c, "-EXECABORT Transaction discarded because of previous errors.\r\n", "EXEC");
    EXPECT(c, "+OK\r\n", "MULTI");
    EXPECT(c, "-ERR wrong number of arguments for 'client|getname' command\r\n", "CLIENT", "GETNAME", "x");
    EXPECT(c, "-EXECABORT Transaction discarded because of previous errors.\r\n", "EXEC");
    EXPECT(c, "+OK\r\n", "MULTI");
    EXPECT(c, "+QUEUED\r\n", "CLIENT", "SETNAME", "sub");
    EXPECT(c, "*1\r\n+OK\r\n", "EXEC");
    EXPECT(c, "$3\r\nsub\r\n", "CLIENT", "GETNAME");
    /* pipelined behind a write: the error still comes in order */
    rbuf_t cmds = {0}, got = {0};
    size_t off[3];
    resp_encodel(&cmds, "SET", "subk", "v", (const char *)NULL);
    resp_encodel(&cmds, "CLIENT", "FOO", (const char *)NULL);
    assert_int_equal(rc_pipeline(c, cmds.p, cmds.len, 2, &got, off), 0);
    const char want[] = "+OK\r\n-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n";
    ASSERT_RESP(got.p, got.len, want, sizeof(want) - 1);
    rbuf_free(&cmds);
    rbuf_free(&got);
    /* CLIENT LIST names each connection's last command: a plain one by its
     * name, a subcommand as container|sub */
    rc_t *other = rc_open(srv.port);
    assert_non_null(other);
    EXPECT(other, "$1\r\nv\r\n", "GET", "subk");
    size_t n;
    const char *argv[] = {"CLIENT", "LIST"};
    const char *list = rc_cmdv(c, 2, argv, NULL, &n);
    assert_non_null(list);
    assert_non_null(strstr(list, " cmd=get "));
    assert_non_null(strstr(list, " cmd=client|list "));
    rc_close(other);
    rc_close(c);
}

/* Two pipelines on two connections at once; then a write acknowledged on
 * one connection is seen at once by a read on the other. */
static void test_read_your_writes(void **state)
{
    rc_t *a = rc_open(srv.port), *b = rc_open(srv.port);
    assert_non_null(a);
    assert_non_null(b);
    for (int i = 0; i < 300; i++) {
        char v[32];
        snprintf(v, sizeof(v), "%d", i);
        rc_t *w = (i & 1) ? a : b, *r = (i & 1) ? b : a;
        EXPECT(w, "+OK\r\n", "SET", "ryw", v);
        char want[48];
        snprintf(want, sizeof(want), "$%zu\r\n%s\r\n", strlen(v), v);
        size_t n;
        const char *argv[] = {"GET", "ryw"};
        const char *got = rc_cmdv(r, 2, argv, NULL, &n);
        ASSERT_RESP(got, n, want, strlen(want));
    }
    /* a write and a read pipelined together on one connection */
    rbuf_t cmds = {0}, got = {0};
    size_t off[5];
    resp_encodel(&cmds, "SET", "ryw", "x", (const char *)NULL);
    resp_encodel(&cmds, "GET", "ryw", (const char *)NULL);
    resp_encodel(&cmds, "APPEND", "ryw", "y", (const char *)NULL);
    resp_encodel(&cmds, "GET", "ryw", (const char *)NULL);
    assert_int_equal(rc_pipeline(a, cmds.p, cmds.len, 4, &got, off), 0);
    const char want[] = "+OK\r\n$1\r\nx\r\n:2\r\n$2\r\nxy\r\n";
    ASSERT_RESP(got.p, got.len, want, sizeof(want) - 1);
    rbuf_free(&cmds);
    rbuf_free(&got);
    rc_close(a);
    rc_close(b);
}

/* A request arriving one byte at a time, and a big value in many pieces. */
static void test_fragmented_requests(void **state)
{
    rc_t *c = rc_open(srv.port);
    const char req[] = "*3\r\n$3\r\nSET\r\n$4\r\nfrag\r\n$5\r\nhello\r\nGET frag\r\n";
    for (size_t i = 0; i < sizeof(req) - 1; i++) {
        assert_int_equal(rc_write(c, req + i, 1), 0);
        usleep(300);
    }
    const char *r;
    assert_true(rc_read(c, &r) > 0);
    assert_string_equal(r, "+OK\r\n");
    assert_true(rc_read(c, &r) > 0);
    assert_string_equal(r, "$5\r\nhello\r\n");

    size_t big = 8u << 20;
    char *v = malloc(big);
    for (size_t i = 0; i < big; i++) v[i] = (char)(i % 251);
    rbuf_t b = {0};
    const char *argv[] = {"SET", "bigfrag", v};
    const size_t lens[] = {3, 7, big};
    resp_encode(&b, 3, argv, lens);
    for (size_t off = 0; off < b.len; off += 65536) {
        size_t n = b.len - off < 65536 ? b.len - off : 65536;
        assert_int_equal(rc_write(c, b.p + off, n), 0);
    }
    assert_true(rc_read(c, &r) > 0);
    assert_string_equal(r, "+OK\r\n");
    size_t n;
    const char *gv[] = {"GET", "bigfrag"};
    r = rc_cmdv(c, 2, gv, NULL, &n);
    assert_non_null(r);
    assert_int_equal(n, big + 12); /* "$8388608\r\n" ... "\r\n" */
    assert_memory_equal(r, "$8388608\r\n", 10);
    assert_memory_equal(r + 10, v, big);
    assert_memory_equal(r + 10 + big, "\r\n", 2);
    EXPECT(c, ":1\r\n", "DEL", "bigfrag");
    free(v);
    rbuf_free(&b);
    rc_close(c);
}

/* ---- inline commands ----------------------------------------------------- */

static void test_inline(void **state)
{
    rc_t *c = rc_open(srv.port);
    rbuf_t got = {0};
    size_t off[16];
    const char in[] = "PING\r\n"
                      "SET inl value\r\n"
                      "GET inl\n"                       /* LF alone ends a line too */
                      "\r\n"                            /* empty lines are skipped */
                      "   \r\n"
                      "  SET   inl2   \"a b\\x41\\n\"  \r\n" /* quotes and escapes */
                      "GET inl2\r\n"
                      "SET inl3 'it\\'s'\r\n"          /* single quotes: only \' is an escape */
                      "GET inl3\r\n"
                      "*1\r\n$4\r\nPING\r\n"            /* multibulk and inline mixed */
                      "ECHO \"\"\r\n"                   /* an empty argument */
                      "ping\r\n";
    assert_int_equal(rc_pipeline(c, in, sizeof(in) - 1, 10, &got, off), 0);
    const char want[] = "+PONG\r\n+OK\r\n$5\r\nvalue\r\n+OK\r\n$5\r\na bA\n\r\n+OK\r\n$4\r\nit's\r\n"
                        "+PONG\r\n$0\r\n\r\n+PONG\r\n";
    ASSERT_RESP(got.p, got.len, want, sizeof(want) - 1);
    rbuf_free(&got);
    /* a 60 KB inline line is fine */
    rbuf_t big = {0};
    rbuf_append(&big, "ECHO ", 5);
    for (int i = 0; i < 60000; i++) rbuf_append(&big, "a", 1);
    rbuf_append(&big, "\r\n", 2);
    assert_int_equal(rc_pipeline(c, big.p, big.len, 1, &got, off), 0);
    assert_int_equal(got.len, 60000 + 10);
    assert_memory_equal(got.p, "$60000\r\naaa", 11);
    rbuf_free(&got);
    rbuf_free(&big);
    EXPECT(c, "+PONG\r\n", "PING");
    rc_close(c);
}

/* ---- malformed input ----------------------------------------------------- */

typedef struct pcase {
    const char *name;
    const char *in;
    size_t inlen;
    const char *out; /* all the bytes the server sends back */
    size_t outlen;
    bool closes;      /* the server closes the connection after out */
    bool redraft_only;
} pcase_t;

#define S(x) x, sizeof(x) - 1

static char *repeat(char ch, size_t n, const char *prefix, size_t *len)
{
    size_t pl = strlen(prefix);
    char *b = malloc(pl + n);
    memcpy(b, prefix, pl);
    memset(b + pl, ch, n);
    *len = pl + n;
    return b;
}

static void run_case(const pcase_t *pc)
{
    rc_t *c = rc_open(srv.port);
    assert_non_null(c);
    c->timeout_ms = 3000;
    assert_int_equal(rc_write(c, pc->in, pc->inlen), 0);
    rbuf_t got = {0};
    rbuf_append(&got, "", 0);
    if (pc->closes) {
        if (!rc_wait_closed(c, 3000, &got)) {
            char *e = resp_escape(got.p, got.len);
            fail_msg("%s: the connection stayed open (got \"%s\")", pc->name, e);
        }
    } else {
        /* read exactly the expected bytes, then the connection must answer PING
         * with nothing in between */
        while (got.len < pc->outlen) {
            const char *r;
            long n = rc_read(c, &r);
            if (n < 0) break;
            rbuf_append(&got, r, (size_t)n);
        }
        EXPECT(c, "+PONG\r\n", "PING");
    }
    if (got.len != pc->outlen || memcmp(got.p, pc->out, got.len) != 0) {
        char *g = resp_escape(got.p, got.len), *w = resp_escape(pc->out, pc->outlen);
        fail_msg("%s\n  want \"%s\"\n  got  \"%s\"", pc->name, w, g);
    }
    rbuf_free(&got);
    rc_close(c);
    assert_server_healthy();
}

static void test_bad_input(void **state)
{
    size_t l70, lmb, lbb;
    char *inline70 = repeat('a', 70 * 1024, "", &l70);
    char *mb70 = repeat('1', 70 * 1024, "*", &lmb);
    char *bb70 = repeat('1', 70 * 1024, "*1\r\n$", &lbb);
    const pcase_t cases[] = {
        {"garbage bytes", S("\x01\x02\xff garbage\r\n"),
         S("-ERR unknown command '\x01\x02\xff', with args beginning with: 'garbage' \r\n"), false, false},
        {"huge bulk length", S("*1\r\n$2147483648\r\n"), S("-ERR Protocol error: invalid bulk length\r\n"), true,
         false},
        {"bulk length above proto-max-bulk-len", S("*1\r\n$536870913\r\n"),
         S("-ERR Protocol error: invalid bulk length\r\n"), true, false},
        {"negative bulk length", S("*1\r\n$-1\r\n"), S("-ERR Protocol error: invalid bulk length\r\n"), true, false},
        {"bulk length not a number", S("*1\r\n$abc\r\n"), S("-ERR Protocol error: invalid bulk length\r\n"), true,
         false},
        {"negative multibulk length", S("*-5\r\n"), S(""), false, false},
        {"zero multibulk length", S("*0\r\n"), S(""), false, false},
        {"multibulk length not a number", S("*abc\r\n"), S("-ERR Protocol error: invalid multibulk length\r\n"),
         true, false},
        {"more than max_multibulk_len arguments", S("*3000000\r\n"),
         S("-ERR Protocol error: invalid multibulk length\r\n"), true, true},
        {"multibulk length above INT_MAX", S("*2147483648\r\n"),
         S("-ERR Protocol error: invalid multibulk length\r\n"), true, false},
        {"'$' without '*'", S("$3\r\nfoo\r\n"),
         S("-ERR unknown command '$3', with args beginning with: \r\n"
           "-ERR unknown command 'foo', with args beginning with: \r\n"),
         false, false},
        {"no '$' in a multibulk", S("*1\r\nfoo\r\n"), S("-ERR Protocol error: expected '$', got 'f'\r\n"), true,
         false},
        {"70KB inline line without newline", inline70, l70, S("-ERR Protocol error: too big inline request\r\n"),
         true, false},
        {"70KB multibulk count", mb70, lmb, S("-ERR Protocol error: too big mbulk count string\r\n"), true, false},
        {"70KB bulk count", bb70, lbb, S("-ERR Protocol error: too big bulk count string\r\n"), true, false},
        {"unbalanced quotes", S("SET a \"b\r\n"), S("-ERR Protocol error: unbalanced quotes in request\r\n"), true,
         false},
        {"closing quote followed by a letter", S("SET a \"b\"c\r\n"),
         S("-ERR Protocol error: unbalanced quotes in request\r\n"), true, false},
        {"bulk payload not followed by CRLF (skipped blindly)", S("*1\r\n$4\r\nPINGxx"), S("+PONG\r\n"), false,
         false},
        {"CR and LF inside an unknown command name", S("*2\r\n$3\r\na\nb\r\n$3\r\nc\rd\r\n"),
         S("-ERR unknown command 'a b', with args beginning with: 'c d' \r\n"), false, false},
        {"empty command name", S("*1\r\n$0\r\n\r\n"), S("-ERR unknown command '', with args beginning with: \r\n"),
         false, false},
        {"error then valid command in one packet", S("*1\r\n$3\r\nFOO\r\n*1\r\n$4\r\nPING\r\n"),
         S("-ERR unknown command 'FOO', with args beginning with: \r\n+PONG\r\n"), false, false},
        {"protocol error ends the pipeline", S("*1\r\n$4\r\nPING\r\n*x\r\n*1\r\n$4\r\nPING\r\n"),
         S("+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n"), true, false},
        {"write then protocol error", S("*3\r\n$3\r\nSET\r\n$3\r\npe1\r\n$1\r\nv\r\n*1\r\n$-7\r\n"),
         S("+OK\r\n-ERR Protocol error: invalid bulk length\r\n"), true, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (vs_redis && cases[i].redraft_only) continue;
        run_case(&cases[i]);
    }
    /* the write before the protocol error was applied */
    rc_t *c = rc_open(srv.port);
    EXPECT(c, "$1\r\nv\r\n", "GET", "pe1");
    rc_close(c);
    free(inline70);
    free(mb70);
    free(bb70);
}

/* A request cut short by the client closing: nothing is applied. */
static void test_unterminated_then_close(void **state)
{
    const char *parts[] = {
        "*3\r\n$3\r\nSET\r\n$2\r\nut\r\n$1\r\nv",   /* bulk without its CRLF */
        "*3\r\n$3\r\nSET\r\n$2\r\nut\r\n$100\r\nabc", /* bulk shorter than announced */
        "*3\r\n$3\r\nSET\r\n$2\r\nut\r\n",           /* an argument missing */
        "*3\r\n$3\r\nSET\r\n$2",                     /* header cut */
        "*3",                                        /* count without CRLF */
        "SET ut v",                                  /* inline without newline */
        "*1\r\n$4\r\nPING",                          /* a complete-looking command without CRLF */
    };
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        rc_t *c = rc_open(srv.port);
        assert_int_equal(rc_write(c, parts[i], strlen(parts[i])), 0);
        usleep(20000);
        rc_close(c);
    }
    /* the same with a reset instead of a close */
    rc_t *c = rc_open(srv.port);
    assert_int_equal(rc_write(c, parts[0], strlen(parts[0])), 0);
    struct linger lg = {1, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    rc_close(c);
    assert_server_healthy();
    c = rc_open(srv.port);
    EXPECT(c, ":0\r\n", "EXISTS", "ut");
    rc_close(c);
}

/* ---- many clients -------------------------------------------------------- */

#define NCLIENTS 200
#define NINCR 50

static void test_many_clients(void **state)
{
    rc_t **cs = calloc(NCLIENTS, sizeof(*cs));
    for (int i = 0; i < NCLIENTS; i++) {
        cs[i] = rc_open(srv.port);
        assert_non_null(cs[i]);
    }
    char *seen = calloc(2 * NCLIENTS * NINCR + 1, 1);
    long long *last = calloc(NCLIENTS, sizeof(*last));
    rbuf_t one = {0};
    resp_encodel(&one, "INCR", "mc:counter", (const char *)NULL);
    /* round one: every client one INCR at a time, all in flight together */
    for (int r = 0; r < NINCR; r++) {
        for (int i = 0; i < NCLIENTS; i++) assert_int_equal(rc_write(cs[i], one.p, one.len), 0);
        for (int i = 0; i < NCLIENTS; i++) {
            const char *rep;
            assert_true(rc_read(cs[i], &rep) > 0);
            assert_int_equal(rep[0], ':');
            long long v = atoll(rep + 1);
            assert_true(v > last[i]); /* each client sees its own increments in order */
            assert_true(v >= 1 && v <= 2 * NCLIENTS * NINCR);
            assert_false(seen[v]); /* and no two increments return the same value */
            seen[v] = 1;
            last[i] = v;
        }
    }
    /* round two: every client pipelines all its INCRs at once */
    rbuf_t many = {0};
    for (int k = 0; k < NINCR; k++) rbuf_append(&many, one.p, one.len);
    for (int i = 0; i < NCLIENTS; i++) assert_int_equal(rc_write(cs[i], many.p, many.len), 0);
    for (int i = 0; i < NCLIENTS; i++)
        for (int k = 0; k < NINCR; k++) {
            const char *rep;
            assert_true(rc_read(cs[i], &rep) > 0);
            assert_int_equal(rep[0], ':');
            long long v = atoll(rep + 1);
            assert_true(v > last[i]);
            assert_true(v >= 1 && v <= 2 * NCLIENTS * NINCR);
            assert_false(seen[v]);
            seen[v] = 1;
            last[i] = v;
        }
    char want[32];
    snprintf(want, sizeof(want), "$5\r\n%d\r\n", 2 * NCLIENTS * NINCR);
    size_t n;
    const char *gv[] = {"GET", "mc:counter"};
    const char *r = rc_cmdv(cs[0], 2, gv, NULL, &n);
    ASSERT_RESP(r, n, want, strlen(want));
    for (int i = 0; i < NCLIENTS; i++) rc_close(cs[i]);
    free(cs);
    free(seen);
    free(last);
    rbuf_free(&one);
    rbuf_free(&many);
    assert_server_healthy();
}

/* Several threads, each with its own keys, writing and reading back. */
typedef struct worker {
    int port, id, errors;
    char msg[256];
} worker_t;

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    rc_t *c = rc_open(w->port);
    if (!c) {
        w->errors++;
        return NULL;
    }
    for (int i = 0; i < 300 && !w->errors; i++) {
        char k[32], v[32];
        snprintf(k, sizeof(k), "w%d:%d", w->id, i % 10);
        snprintf(v, sizeof(v), "%d-%d", w->id, i);
        const char *r = RC(c, "SET", k, v);
        if (!r || strcmp(r, "+OK\r\n") != 0) {
            snprintf(w->msg, sizeof(w->msg), "SET %s -> %s", k, r ? r : "(none)");
            w->errors++;
            break;
        }
        r = RC(c, "GET", k);
        char want[48];
        snprintf(want, sizeof(want), "$%zu\r\n%s\r\n", strlen(v), v);
        if (!r || strcmp(r, want) != 0) {
            snprintf(w->msg, sizeof(w->msg), "GET %s -> %s, want %s", k, r ? r : "(none)", want);
            w->errors++;
        }
    }
    rc_close(c);
    return NULL;
}

static void test_threads(void **state)
{
    enum { NT = 8 };
    pthread_t th[NT];
    worker_t w[NT];
    for (int i = 0; i < NT; i++) {
        w[i] = (worker_t){.port = srv.port, .id = i};
        pthread_create(&th[i], NULL, worker_main, &w[i]);
    }
    for (int i = 0; i < NT; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < NT; i++)
        if (w[i].errors) fail_msg("worker %d: %s", i, w[i].msg);
    assert_server_healthy();
}

/* ---- clients that vanish ------------------------------------------------- */

static void test_disconnect_with_pending_writes(void **state)
{
    rbuf_t b = {0};
    for (int i = 0; i < 2000; i++) {
        char k[32];
        snprintf(k, sizeof(k), "dc:%d", i);
        resp_encodel(&b, "SET", k, "some value that is not tiny at all", (const char *)NULL);
    }
    rc_t *other = rc_open(srv.port); /* a well-behaved client working meanwhile */
    for (int round = 0; round < 20; round++) {
        rc_t *c = rc_open(srv.port);
        assert_non_null(c);
        assert_int_equal(rc_write(c, b.p, b.len), 0);
        if (round % 2) { /* reset instead of close */
            struct linger lg = {1, 0};
            setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        }
        if (round % 4 == 3) usleep(2000); /* let some be in the log when it goes */
        rc_close(c);
        char want[32];
        snprintf(want, sizeof(want), ":%d\r\n", round + 1);
        const char *r = RC(other, "INCR", "dc:other");
        assert_non_null(r);
        assert_string_equal(r, want);
    }
    rbuf_free(&b);
    /* a transaction with writes, then gone before EXEC's reply */
    for (int round = 0; round < 10; round++) {
        rc_t *c = rc_open(srv.port);
        rbuf_t m = {0};
        resp_encodel(&m, "MULTI", (const char *)NULL);
        for (int i = 0; i < 50; i++) resp_encodel(&m, "INCR", "dc:multi", (const char *)NULL);
        resp_encodel(&m, "EXEC", (const char *)NULL);
        assert_int_equal(rc_write(c, m.p, m.len), 0);
        rbuf_free(&m);
        rc_close(c);
    }
    /* the well-behaved client never noticed */
    EXPECT(other, ":21\r\n", "INCR", "dc:other");
    /* the transactions were all-or-nothing: a multiple of 50 */
    long long m = RCI(other, "INCRBY", "dc:multi", "0");
    assert_true(m >= 0 && m % 50 == 0);
    rc_close(other);
    assert_server_healthy();
}

/* A client asks for much output and leaves before reading it: the server's
 * write then fails with EPIPE/ECONNRESET, which must close that client and
 * nothing else (a server that does not ignore SIGPIPE dies here). */
static void test_disconnect_during_big_reply(void **state)
{
    rc_t *other = rc_open(srv.port);
    size_t big = 1 << 20;
    char *v = malloc(big);
    memset(v, 'o', big);
    const char *sv[] = {"SET", "dc:big", v};
    const size_t sl[] = {3, 6, big};
    EXPECTV(other, "+OK\r\n", 3, sv, sl);
    free(v);
    for (int round = 0; round < 4; round++) {
        rc_t *c = rc_open(srv.port);
        rbuf_t g = {0};
        for (int i = 0; i < 64; i++) resp_encodel(&g, "GET", "dc:big", (const char *)NULL);
        assert_int_equal(rc_write(c, g.p, g.len), 0);
        const char *r;
        if (round % 2) (void)rc_read(c, &r); /* read a little first */
        if (round >= 2) { /* reset instead of close */
            struct linger lg = {1, 0};
            setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        }
        rc_close(c);
        rbuf_free(&g);
        r = RC(other, "PING");
        if (!r || strcmp(r, "+PONG\r\n") != 0) {
            int st = 0;
            char b[96] = "still running";
            if (proc_wait_dead(&srv, 500, &st)) proc_status_str(st, b, sizeof(b));
            char *e = r ? resp_escape(r, strlen(r)) : strdup("(nothing: timeout or closed)");
            fail_msg("round %d: after a client left during a big reply, PING on another connection got %s "
                     "(server: %s)",
                     round, e, b);
        }
    }
    rc_close(other);
    assert_server_healthy();
}

/* If a test killed the server, the next ones get a fresh one on the same
 * data (and the group teardown still reports the crash). */
static int revive(void **state)
{
    if (proc_alive(&srv) || srv.dir[0] == '\0') return 0;
    fprintf(stderr, "(restarting the server for the next test)\n");
    return proc_restart(&srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_pipeline_10000, revive),
        cmocka_unit_test_setup(test_subcommand_checks, revive),
        cmocka_unit_test_setup(test_read_your_writes, revive),
        cmocka_unit_test_setup(test_fragmented_requests, revive),
        cmocka_unit_test_setup(test_inline, revive),
        cmocka_unit_test_setup(test_bad_input, revive),
        cmocka_unit_test_setup(test_unterminated_then_close, revive),
        cmocka_unit_test_setup(test_many_clients, revive),
        cmocka_unit_test_setup(test_threads, revive),
        cmocka_unit_test_setup(test_disconnect_with_pending_writes, revive),
        cmocka_unit_test_setup(test_disconnect_during_big_reply, revive),
    };
    return cmocka_run_group_tests_name("protocol", tests, group_setup, group_teardown);
}
