/* Differential test: the same random command sequences go to redis-server
 * 7.0.15 and to redraft, and the replies must match byte for byte.
 *
 * Seeds: DIFF_SEED=<n> replays one seed; otherwise a fixed list. DIFF_OPS
 * sets the number of operations per seed; DIFF_TRACE=1 prints every
 * command with both replies. Each seed runs on a fresh
 * keyspace, every other seed in RESP3.
 *
 * Replies that legitimately differ are normalized, never skipped:
 *   KEYS         elements sorted on both sides;
 *   SCAN         iterated to cursor 0 on each server, the key sets compared
 *                (an error reply is compared byte for byte);
 *   RANDOMKEY    nil on both, or on each side a key that EXISTS there;
 *   TTL/PTTL/EXPIRETIME/PEXPIRETIME of relative expiries: integers within
 *                a small tolerance (the two servers read their clocks at
 *                slightly different moments);
 *   HELLO        the connection id.
 * TIME and INFO are not generated. Relative expiries are long (>= 1000 s),
 * so nothing expires while a seed runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/proc.h"
#include "support/respcmp.h"

static testproc_t ref, srv;
static bool have_ref;

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* ---- PRNG (xorshift64*) --------------------------------------------------- */

typedef struct prng {
    uint64_t s;
} prng_t;

static uint64_t rnd(prng_t *g)
{
    g->s ^= g->s >> 12;
    g->s ^= g->s << 25;
    g->s ^= g->s >> 27;
    return g->s * 2685821657736338717ULL;
}

static int rn(prng_t *g, int n)
{
    return (int)(rnd(g) % (uint64_t)n);
}

/* ---- operations ------------------------------------------------------------ */

enum kind {
    K_EXACT,     /* byte for byte */
    K_KEYS,      /* array, sorted */
    K_TTL,       /* integer, tolerance 1 (s) */
    K_PTTL,      /* integer, tolerance in ms */
    K_SCAN,      /* interactive: full iteration */
    K_RANDOMKEY, /* interactive: existence */
};

#define MAXARG 32

typedef struct op {
    int argc;
    char *argv[MAXARG];
    size_t len[MAXARG];
    int kind;
} op_t;

static void add(op_t *o, const char *s, size_t n)
{
    if (o->argc >= MAXARG) return;
    o->argv[o->argc] = malloc(n + 1);
    memcpy(o->argv[o->argc], s, n);
    o->argv[o->argc][n] = '\0';
    o->len[o->argc++] = n;
}

static void adds(op_t *o, const char *s)
{
    add(o, s, strlen(s));
}

static void addf(op_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void addf(op_t *o, const char *fmt, ...)
{
    char b[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof(b), fmt, ap);
    va_end(ap);
    adds(o, b);
}

static void op_free(op_t *o)
{
    for (int i = 0; i < o->argc; i++) free(o->argv[i]);
    o->argc = 0;
}

/* A small key space, binary and empty names included, so commands collide. */
static void add_key(prng_t *g, op_t *o)
{
    static const struct {
        const char *s;
        size_t n;
    } keys[] = {{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}, {"n", 1}, {"f", 1}, {"key:1", 5}, {"k\0\r\n", 4}, {"", 0}};
    int i = rn(g, 20);
    i = i < 14 ? i % 6 : 6 + (i - 14) % 3;
    add(o, keys[i].s, keys[i].n);
}

static void add_value(prng_t *g, op_t *o)
{
    static const char *ints[] = {"9223372036854775807", "-9223372036854775808", "9223372036854775806",
                                 "-9223372036854775807", "9223372036854775808", "0", "-1"};
    static const char *floats[] = {"1.5", "-0.25", "1e3", "3.0e-2", "0.1", "10.5", "-0", "5.", "inf", "nan",
                                   "1e400", "0x10", "1_000", ".5", "1.0000000000000001", "17.123456789012345678"};
    static const char *odd[] = {" 1", "01", "+1", "1 ", "-0", "1\n", "１"};
    static const char *words[] = {"hello", "world", "foo", "bar", "x", "Hello World"};
    static const struct {
        const char *s;
        size_t n;
    } bins[] = {{"\0", 1}, {"\r\n", 2}, {"a\0b\r\nc", 7}, {"\xff\xfe", 2}, {"$-1\r\n", 5}};
    int r = rn(g, 20);
    if (r < 4) addf(o, "%d", rn(g, 121) - 20);
    else if (r == 4) adds(o, ints[rn(g, 7)]);
    else if (r < 7) adds(o, floats[rn(g, 16)]);
    else if (r == 7) adds(o, odd[rn(g, 7)]);
    else if (r < 11) adds(o, words[rn(g, 6)]);
    else if (r == 11) add(o, "", 0);
    else if (r == 12) {
        int i = rn(g, 5);
        add(o, bins[i].s, bins[i].n);
    } else if (r == 13) {
        char b[40];
        int n = rn(g, 40);
        for (int i = 0; i < n; i++) b[i] = (char)rnd(g);
        add(o, b, (size_t)n);
    } else if (r == 14) {
        size_t n = (size_t)rn(g, 5000);
        char *b = malloc(n + 1);
        for (size_t i = 0; i < n; i++) b[i] = (char)('a' + i % 26);
        add(o, b, n);
        free(b);
    } else {
        char b[9];
        int n = 1 + rn(g, 8);
        for (int i = 0; i < n; i++) b[i] = "abcxyz0123456789"[rn(g, 16)];
        add(o, b, (size_t)n);
    }
}

static void add_incr(prng_t *g, op_t *o)
{
    static const char *odd[] = {"9223372036854775807", "-9223372036854775808", "9223372036854775808",
                                "abc", "1.5", "", " 1", "+1", "01", "-0"};
    if (rn(g, 6)) addf(o, "%d", rn(g, 2001) - 1000);
    else adds(o, odd[rn(g, 10)]);
}

static void add_float_incr(prng_t *g, op_t *o)
{
    static const char *fl[] = {"1.5", "-0.25", "1e3", "3.0e-2", "0.1", "10", "-10", "5.", "inf", "-inf", "nan",
                               "1e400", "-1e400", "abc", "", " 1", "1e-400", "0.3", "1.0000000000000001"};
    if (rn(g, 3)) addf(o, "%d.%d", rn(g, 200) - 100, rn(g, 100));
    else adds(o, fl[rn(g, 19)]);
}

static void add_index(prng_t *g, op_t *o)
{
    static const char *odd[] = {"0", "-1", "100", "-100", "9223372036854775807", "-9223372036854775808", "abc",
                                "1.5"};
    if (rn(g, 10) < 7) addf(o, "%d", rn(g, 41) - 20);
    else adds(o, odd[rn(g, 8)]);
}

/* Relative expiry: long, and spread wide so two of them never fall within
 * the clock skew of the two servers. */
static void add_rel(prng_t *g, op_t *o, bool ms, bool allow_bad)
{
    static const char *bad[] = {"0", "-5", "abc", "9223372036854775807", "1.5", ""};
    if (allow_bad && rn(g, 15) == 0) {
        adds(o, bad[rn(g, 6)]);
        return;
    }
    if (ms) addf(o, "%llu", 1000000ULL + rnd(g) % 1000000000ULL);
    else addf(o, "%llu", 1000ULL + rnd(g) % 1000000ULL);
}

/* The generator's clock: the wall clock, or a fixed time when a test needs
 * the same seed to give the same bytes twice. */
static long long gen_fixed_now;

/* Absolute expiry: the same number goes to both servers. */
static void add_abs(prng_t *g, op_t *o, bool ms, bool allow_past)
{
    long long now = gen_fixed_now ? gen_fixed_now : now_ms();
    if (allow_past && rn(g, 8) == 0) {
        adds(o, rn(g, 2) ? "1" : "0");
        return;
    }
    long long at = ms ? now + 1000000LL + (long long)(rnd(g) % 1000000000ULL)
                      : now / 1000 + 1000 + (long long)(rnd(g) % 1000000ULL);
    addf(o, "%lld", at);
}

static void set_options(prng_t *g, op_t *o)
{
    int n = rn(g, 4);
    for (int i = 0; i < n; i++) {
        switch (rn(g, 11)) {
        case 0: adds(o, "NX"); break;
        case 1: adds(o, "XX"); break;
        case 2: case 3: adds(o, "GET"); break;
        case 4: adds(o, "KEEPTTL"); break;
        case 5: adds(o, "EX"); add_rel(g, o, false, true); break;
        case 6: adds(o, "PX"); add_rel(g, o, true, true); break;
        case 7: adds(o, "EXAT"); add_abs(g, o, false, false); break;
        case 8: adds(o, "PXAT"); add_abs(g, o, true, false); break;
        case 9: adds(o, rn(g, 2) ? "ex" : "px"); add_rel(g, o, rn(g, 2), false); break;
        default: adds(o, rn(g, 3) ? "EX" : "BOGUS"); break; /* a missing value or an unknown option */
        }
    }
}

static void getex_options(prng_t *g, op_t *o)
{
    int n = rn(g, 3);
    for (int i = 0; i < n; i++) {
        switch (rn(g, 7)) {
        case 0: adds(o, "EX"); add_rel(g, o, false, true); break;
        case 1: adds(o, "PX"); add_rel(g, o, true, true); break;
        case 2: adds(o, "EXAT"); add_abs(g, o, false, true); break;
        case 3: adds(o, "PXAT"); add_abs(g, o, true, true); break;
        case 4: case 5: adds(o, "PERSIST"); break;
        default: adds(o, rn(g, 2) ? "KEEPTTL" : "EX"); break;
        }
    }
}

static void expire_flags(prng_t *g, op_t *o)
{
    static const char *fl[] = {"NX", "XX", "GT", "LT", "nx", "gt", "FOO"};
    int n = rn(g, 5) == 0 ? 2 : rn(g, 2);
    for (int i = 0; i < n; i++) adds(o, fl[rn(g, 7)]);
}

static void random_case(prng_t *g, op_t *o)
{
    if (rn(g, 10)) return;
    for (size_t i = 0; i < o->len[0]; i++)
        if (rn(g, 2)) o->argv[0][i] ^= 0x20; /* letters only in command names */
}

/* One command. in_multi: only commands whose reply is deterministic inside
 * an EXEC array. */
static void gen_cmd(prng_t *g, op_t *o, bool in_multi)
{
    o->kind = K_EXACT;
    int r = rn(g, 118);
    if (r < 8) { adds(o, "GET"); add_key(g, o); }
    else if (r < 18) { adds(o, "SET"); add_key(g, o); add_value(g, o); set_options(g, o); }
    else if (r < 20) { adds(o, "SETNX"); add_key(g, o); add_value(g, o); }
    else if (r < 22) { adds(o, "SETEX"); add_key(g, o); add_rel(g, o, false, true); add_value(g, o); }
    else if (r < 24) { adds(o, "PSETEX"); add_key(g, o); add_rel(g, o, true, true); add_value(g, o); }
    else if (r < 27) { adds(o, "MGET"); for (int i = rn(g, 4); i >= 0; i--) add_key(g, o); }
    else if (r < 30) { adds(o, "MSET"); for (int i = rn(g, 3); i >= 0; i--) { add_key(g, o); add_value(g, o); } }
    else if (r < 32) { adds(o, "MSETNX"); for (int i = rn(g, 3); i >= 0; i--) { add_key(g, o); add_value(g, o); } }
    else if (r < 34) { adds(o, "GETSET"); add_key(g, o); add_value(g, o); }
    else if (r < 36) { adds(o, "GETDEL"); add_key(g, o); }
    else if (r < 39) { adds(o, "GETEX"); add_key(g, o); getex_options(g, o); }
    else if (r < 43) { adds(o, "INCR"); add_key(g, o); }
    else if (r < 45) { adds(o, "DECR"); add_key(g, o); }
    else if (r < 48) { adds(o, "INCRBY"); add_key(g, o); add_incr(g, o); }
    else if (r < 50) { adds(o, "DECRBY"); add_key(g, o); add_incr(g, o); }
    else if (r < 53) { adds(o, "INCRBYFLOAT"); add_key(g, o); add_float_incr(g, o); }
    else if (r < 57) { adds(o, "APPEND"); add_key(g, o); add_value(g, o); }
    else if (r < 59) { adds(o, "STRLEN"); add_key(g, o); }
    else if (r < 62) { adds(o, rn(g, 4) ? "GETRANGE" : "SUBSTR"); add_key(g, o); add_index(g, o); add_index(g, o); }
    else if (r < 65) {
        adds(o, "SETRANGE");
        add_key(g, o);
        int k = rn(g, 20);
        if (k == 0) adds(o, "-1");
        else if (k == 1) adds(o, "536870912");
        else if (k == 2) adds(o, "x");
        else addf(o, "%d", rn(g, k < 5 ? 1000 : 20));
        add_value(g, o);
    }
    else if (r < 68) { adds(o, "DEL"); for (int i = rn(g, 3); i >= 0; i--) add_key(g, o); }
    else if (r < 69) { adds(o, "UNLINK"); for (int i = rn(g, 3); i >= 0; i--) add_key(g, o); }
    else if (r < 71) { adds(o, "EXISTS"); for (int i = rn(g, 3); i >= 0; i--) add_key(g, o); }
    else if (r < 72) { adds(o, "TYPE"); add_key(g, o); }
    else if (r < 74) { adds(o, "RENAME"); add_key(g, o); add_key(g, o); }
    else if (r < 76) { adds(o, "RENAMENX"); add_key(g, o); add_key(g, o); }
    else if (r < 79) { adds(o, "EXPIRE"); add_key(g, o); add_rel(g, o, false, true); expire_flags(g, o); }
    else if (r < 81) { adds(o, "PEXPIRE"); add_key(g, o); add_rel(g, o, true, true); expire_flags(g, o); }
    else if (r < 83) { adds(o, "EXPIREAT"); add_key(g, o); add_abs(g, o, false, true); expire_flags(g, o); }
    else if (r < 84) { adds(o, "PEXPIREAT"); add_key(g, o); add_abs(g, o, true, true); expire_flags(g, o); }
    else if (r < 86) { adds(o, "PERSIST"); add_key(g, o); }
    else if (r < 87) { adds(o, "TOUCH"); for (int i = rn(g, 3); i >= 0; i--) add_key(g, o); }
    else if (r < 88) { adds(o, "DBSIZE"); }
    else if (r < 89) { adds(o, "PING"); if (rn(g, 2)) add_value(g, o); }
    else if (r < 90) { adds(o, "ECHO"); add_value(g, o); }
    else if (r < 91) { adds(o, rn(g, 2) ? "NOSUCHCMD" : "GETT"); if (rn(g, 2)) add_key(g, o); }
    else if (r < 92 && rn(g, 6) == 0) { adds(o, rn(g, 2) ? "FLUSHDB" : "FLUSHALL"); }
    else if (in_multi || r < 100) { adds(o, "GET"); add_key(g, o); }
    /* non-deterministic replies: never inside MULTI */
    else if (r < 103) { adds(o, "TTL"); add_key(g, o); o->kind = K_TTL; }
    else if (r < 105) { adds(o, "PTTL"); add_key(g, o); o->kind = K_PTTL; }
    else if (r < 106) { adds(o, "EXPIRETIME"); add_key(g, o); o->kind = K_TTL; }
    else if (r < 107) { adds(o, "PEXPIRETIME"); add_key(g, o); o->kind = K_PTTL; }
    else if (r < 111) {
        static const char *pats[] = {"*", "a", "?", "[a-d]", "[^a]*", "*a*", "k*", "\\*", "[", "n?", "", "*:*"};
        adds(o, "KEYS");
        adds(o, pats[rn(g, 12)]);
        o->kind = K_KEYS;
    } else if (r < 114) {
        static const char *pats[] = {"*", "a*", "?", "[a-c]", "k*", "*1"};
        adds(o, "SCAN");
        adds(o, rn(g, 20) ? "0" : "abc");
        int n = rn(g, 3);
        for (int i = 0; i < n; i++) {
            int w = rn(g, 3);
            if (w == 0) { adds(o, "MATCH"); adds(o, pats[rn(g, 6)]); }
            else if (w == 1) { adds(o, "COUNT"); addf(o, "%d", rn(g, 12) - 1); }
            else { adds(o, "TYPE"); adds(o, rn(g, 4) ? "string" : "hash"); }
        }
        o->kind = K_SCAN;
    } else { adds(o, "RANDOMKEY"); o->kind = K_RANDOMKEY; }
    /* now and then a wrong number of arguments */
    if (rn(g, 50) == 0) {
        if (o->argc > 1 && rn(g, 2)) {
            free(o->argv[--o->argc]);
            o->argv[o->argc] = NULL;
        } else {
            adds(o, "extra");
        }
    }
    random_case(g, o);
}

/* ---- running and comparing ---------------------------------------------- */

typedef struct hist {
    char *cmd, *a, *b;
} hist_t;

#define HIST 30
typedef struct run {
    unsigned long long seed;
    int proto;
    rc_t *ra, *rb; /* reference, redraft */
    long opno;
    hist_t h[HIST];
    long nh;
    int ptol; /* ms tolerance of PTTL-like replies */
    long compared, normalized;
} run_t;

static char *op_str(const op_t *o)
{
    rbuf_t b = {0};
    rbuf_append(&b, "", 0);
    for (int i = 0; i < o->argc; i++) {
        char *e = resp_escape(o->argv[i], o->len[i] > 80 ? 80 : o->len[i]);
        rbuf_printf(&b, "%s\"%s%s\"", i ? " " : "", e, o->len[i] > 80 ? "..." : "");
        free(e);
    }
    return b.p;
}

static char *short_escape(const char *p, size_t n)
{
    return resp_escape(p, n > 300 ? 300 : n);
}

static void remember(run_t *r, const op_t *o, const char *a, size_t al, const char *b, size_t bl)
{
    static int trace = -1;
    if (trace < 0) trace = getenv("DIFF_TRACE") && *getenv("DIFF_TRACE") ? 1 : 0;
    hist_t *h = &r->h[r->nh++ % HIST];
    free(h->cmd);
    free(h->a);
    free(h->b);
    h->cmd = op_str(o);
    h->a = a ? short_escape(a, al) : strdup("(none)");
    h->b = b ? short_escape(b, bl) : strdup("(none)");
    if (trace) fprintf(stderr, "%ld %s -> %s | %s\n", r->opno, h->cmd, h->a, h->b);
}

static void mismatch(run_t *r, const char *why)
{
    print_error("\nDIFFERENTIAL MISMATCH (seed %llu, RESP%d, operation %ld): %s\n", r->seed, r->proto, r->opno, why);
    print_error("the last commands (reference redis-server | redraft):\n");
    long from = r->nh > HIST ? r->nh - HIST : 0;
    for (long i = from; i < r->nh; i++) {
        hist_t *h = &r->h[i % HIST];
        print_error("  %s\n      redis:   %s\n      redraft: %s\n", h->cmd, h->a, h->b);
    }
    print_error("replay with: DIFF_SEED=%llu build/release/tests/test_differential\n", r->seed);
    fail_msg("differential mismatch at seed %llu operation %ld", r->seed, r->opno);
}

static bool is_int(const char *p, size_t n, long long *v)
{
    if (n < 4 || p[0] != ':') return false;
    *v = strtoll(p + 1, NULL, 10);
    return true;
}

/* Compares one pair of replies under the op's normalization. */
static bool same(run_t *r, const op_t *o, const char *a, size_t al, const char *b, size_t bl)
{
    if (al == bl && memcmp(a, b, al) == 0) return true;
    if (o->kind == K_TTL || o->kind == K_PTTL) {
        long long x, y;
        if (!is_int(a, al, &x) || !is_int(b, bl, &y)) return false;
        if (x < 0 || y < 0) return false; /* -1 / -2 must agree exactly */
        long long tol = o->kind == K_TTL ? 1 : r->ptol;
        /* EXPIRETIME of an absolute EXAT/PXAT is exact; relative ones skew */
        if (llabs(x - y) > tol) return false;
        r->normalized++;
        return true;
    }
    if (o->kind == K_KEYS) {
        rbuf_t sa = {0}, sb = {0};
        bool ok = resp_sorted(a, al, &sa) && resp_sorted(b, bl, &sb) && sa.len == sb.len &&
                  memcmp(sa.p, sb.p, sa.len) == 0;
        rbuf_free(&sa);
        rbuf_free(&sb);
        if (ok) r->normalized++;
        return ok;
    }
    return false;
}

/* Sends a batch of ops to both servers (pipelined) and compares. */
static void run_batch(run_t *r, op_t *ops, int n)
{
    if (n == 0) return;
    rbuf_t cmds = {0}, ga = {0}, gb = {0};
    size_t *oa = malloc(sizeof(size_t) * (size_t)(n + 1)), *ob = malloc(sizeof(size_t) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) resp_encode(&cmds, ops[i].argc, (const char *const *)ops[i].argv, ops[i].len);
    int ea = rc_pipeline(r->ra, cmds.p, cmds.len, n, &ga, oa);
    int eb = rc_pipeline(r->rb, cmds.p, cmds.len, n, &gb, ob);
    if (ea != 0) fail_msg("the reference server stopped answering (seed %llu)", r->seed);
    for (int i = 0; i < n; i++) {
        r->opno++;
        const char *a = ga.p + oa[i], *b = NULL;
        size_t al = oa[i + 1] - oa[i], bl = 0;
        bool have_b = eb == 0;
        if (!have_b) {
            /* find how many complete replies redraft gave */
            size_t pos = 0;
            int k = 0;
            for (; k < i && pos < gb.len; k++) {
                long f = resp_frame(gb.p + pos, gb.len - pos);
                if (f <= 0) break;
                pos += (size_t)f;
            }
            long f = k == i ? resp_frame(gb.p + pos, gb.len - pos) : 0;
            if (f > 0) {
                b = gb.p + pos;
                bl = (size_t)f;
                have_b = true;
            }
        } else {
            b = gb.p + ob[i];
            bl = ob[i + 1] - ob[i];
        }
        remember(r, &ops[i], a, al, have_b ? b : NULL, bl);
        if (!have_b) mismatch(r, "redraft gave no reply (closed, timed out or malformed)");
        r->compared++;
        if (!same(r, &ops[i], a, al, b, bl)) mismatch(r, "replies differ");
    }
    free(oa);
    free(ob);
    rbuf_free(&cmds);
    rbuf_free(&ga);
    rbuf_free(&gb);
}

/* SCAN with the op's options, iterated to cursor 0: the set of keys. An
 * error reply is returned as is in *err. */
static rnode_t *scan_set(run_t *r, rc_t *c, const op_t *o, rbuf_t *err)
{
    rnode_t *all = calloc(1, sizeof(*all));
    all->type = '*';
    char cursor[64];
    snprintf(cursor, sizeof(cursor), "%s", o->argc > 1 ? o->argv[1] : "0");
    for (int calls = 0;; calls++) {
        const char *argv[MAXARG];
        size_t lens[MAXARG];
        for (int i = 0; i < o->argc; i++) {
            argv[i] = o->argv[i];
            lens[i] = o->len[i];
        }
        if (o->argc > 1) {
            argv[1] = cursor;
            lens[1] = strlen(cursor);
        }
        size_t n;
        const char *rep = rc_cmdv(c, o->argc, argv, lens, &n);
        if (!rep) {
            rbuf_append(err, "(no reply)", 10);
            return all;
        }
        rnode_t *t = rc_parse_reply(rep, n);
        if (!t || t->type != '*' || t->n != 2 || t->e[0]->type != '$' || (t->e[1]->type != '*')) {
            rbuf_append(err, rep, n);
            rnode_free(t);
            return all;
        }
        snprintf(cursor, sizeof(cursor), "%s", t->e[0]->s);
        rnode_t *keys = t->e[1];
        all->e = realloc(all->e, sizeof(*all->e) * (size_t)(all->n + keys->n + 1));
        for (int i = 0; i < keys->n; i++) {
            all->e[all->n++] = keys->e[i];
            keys->e[i] = NULL;
        }
        keys->n = 0;
        rnode_free(t);
        if (strcmp(cursor, "0") == 0) break;
        if (calls > 100000) {
            rbuf_append(err, "(SCAN never returned cursor 0)", 30);
            break;
        }
    }
    rnode_sort(all);
    /* SCAN may return a key more than once: keep one of each */
    int w = 0;
    for (int i = 0; i < all->n; i++) {
        if (w > 0 && all->e[w - 1]->slen == all->e[i]->slen &&
            memcmp(all->e[w - 1]->s, all->e[i]->s, all->e[i]->slen) == 0) {
            rnode_free(all->e[i]);
            continue;
        }
        all->e[w++] = all->e[i];
    }
    all->n = w;
    return all;
}

static void run_scan(run_t *r, const op_t *o)
{
    r->opno++;
    rbuf_t ea = {0}, eb = {0};
    rnode_t *sa = scan_set(r, r->ra, o, &ea), *sb = scan_set(r, r->rb, o, &eb);
    rbuf_t wa = {0}, wb = {0};
    if (ea.len) rbuf_append(&wa, ea.p, ea.len);
    else resp_write(&wa, sa);
    if (eb.len) rbuf_append(&wb, eb.p, eb.len);
    else resp_write(&wb, sb);
    remember(r, o, wa.p, wa.len, wb.p, wb.len);
    r->compared++;
    if (wa.len != wb.len || memcmp(wa.p, wb.p, wa.len) != 0)
        mismatch(r, "SCAN (full iteration, key sets sorted) differs");
    if (!ea.len) r->normalized++;
    rnode_free(sa);
    rnode_free(sb);
    rbuf_free(&ea);
    rbuf_free(&eb);
    rbuf_free(&wa);
    rbuf_free(&wb);
}

static void run_randomkey(run_t *r, const op_t *o)
{
    r->opno++;
    size_t al, bl;
    const char *argv[MAXARG];
    for (int i = 0; i < o->argc; i++) argv[i] = o->argv[i];
    const char *a = rc_cmdv(r->ra, o->argc, argv, o->len, &al);
    char *ac = a ? malloc(al + 1) : NULL;
    if (a) memcpy(ac, a, al + 1);
    const char *b = rc_cmdv(r->rb, o->argc, argv, o->len, &bl);
    remember(r, o, ac, al, b, bl);
    if (!ac) fail_msg("the reference server stopped answering");
    if (!b) mismatch(r, "redraft gave no reply");
    r->compared++;
    bool anull = ac[0] == '_' || memcmp(ac, "$-1\r\n", al < 5 ? al : 5) == 0;
    bool bnull = b[0] == '_' || memcmp(b, "$-1\r\n", bl < 5 ? bl : 5) == 0;
    if (ac[0] == '-' || b[0] == '-') { /* errors (arity) compare exactly */
        if (al != bl || memcmp(ac, b, al) != 0) mismatch(r, "RANDOMKEY error differs");
        free(ac);
        return;
    }
    if (anull != bnull) mismatch(r, "RANDOMKEY: nil on one server only");
    if (!anull) {
        /* each key must exist on the server that returned it */
        rc_t *cs[2] = {r->ra, r->rb};
        const char *reps[2] = {ac, b};
        size_t lens[2] = {al, bl};
        for (int s = 0; s < 2; s++) {
            rnode_t *t = rc_parse_reply(reps[s], lens[s]);
            if (!t || t->type != '$') mismatch(r, "RANDOMKEY reply is not a bulk string");
            const char *ev[] = {"EXISTS", t->s};
            const size_t el[] = {6, t->slen};
            size_t n;
            const char *e = rc_cmdv(cs[s], 2, ev, el, &n);
            bool ok = e && strcmp(e, ":1\r\n") == 0;
            rnode_free(t);
            if (!ok) mismatch(r, s ? "redraft's RANDOMKEY returned a key that does not exist"
                                   : "redis's RANDOMKEY returned a key that does not exist");
        }
        r->normalized++;
    }
    free(ac);
}

/* The final state: same keys, same values, same TTLs (within tolerance). */
static void compare_state(run_t *r)
{
    op_t k = {0};
    adds(&k, "KEYS");
    adds(&k, "*");
    k.kind = K_KEYS;
    run_batch(r, &k, 1);
    size_t n;
    const char *kv[] = {"KEYS", "*"};
    const char *rep = rc_cmdv(r->ra, 2, kv, NULL, &n);
    rnode_t *t = rc_parse_reply(rep, n);
    assert_non_null(t);
    op_t ops[64];
    int nops = 0;
    for (int i = 0; i < t->n; i++) {
        for (int j = 0; j < 2; j++) {
            op_t *o = &ops[nops++];
            memset(o, 0, sizeof(*o));
            adds(o, j ? "PTTL" : "GET");
            add(o, t->e[i]->s, t->e[i]->slen);
            o->kind = j ? K_PTTL : K_EXACT;
        }
        if (nops >= 60 || i == t->n - 1) {
            run_batch(r, ops, nops);
            for (int x = 0; x < nops; x++) op_free(&ops[x]);
            nops = 0;
        }
    }
    rnode_free(t);
    op_free(&k);
    op_t d = {0};
    adds(&d, "DBSIZE");
    run_batch(r, &d, 1);
    op_free(&d);
}

static void expect_hello(rc_t *c, int proto)
{
    char p[4];
    snprintf(p, sizeof(p), "%d", proto);
    const char *rep = rc_cmd(c, "HELLO", p, (const char *)NULL);
    if (!rep || rep[0] != (proto == 3 ? '%' : '*')) fail_msg("HELLO %d failed: %s", proto, rep ? rep : "(none)");
}

static void run_seed(unsigned long long seed, long nops)
{
    run_t r;
    memset(&r, 0, sizeof(r));
    r.seed = seed;
    r.proto = seed % 2 ? 3 : 2;
    r.ptol = getenv("REDRAFT_BIN") && strstr(getenv("REDRAFT_BIN"), "asan") ? 1000 : 250;
    r.ra = rc_open(ref.port);
    r.rb = rc_open(srv.port);
    assert_non_null(r.ra);
    assert_non_null(r.rb);
    EXPECT(r.ra, "+OK\r\n", "FLUSHALL");
    EXPECT(r.rb, "+OK\r\n", "FLUSHALL");
    if (r.proto == 3) {
        expect_hello(r.ra, 3);
        expect_hello(r.rb, 3);
    }
    prng_t g = {seed * 0x9E3779B97F4A7C15ULL + 1};
    op_t batch[80];
    int nb = 0;
    long done = 0;
    while (done < nops) {
        op_t o;
        memset(&o, 0, sizeof(o));
        if (rn(&g, 30) == 0) { /* a MULTI block */
            adds(&o, "MULTI");
            batch[nb++] = o;
            int k = 1 + rn(&g, 5);
            for (int i = 0; i < k; i++) {
                memset(&o, 0, sizeof(o));
                if (rn(&g, 40) == 0) adds(&o, "MULTI"); /* nested: refused, the block goes on */
                else gen_cmd(&g, &o, true);
                batch[nb++] = o;
            }
            memset(&o, 0, sizeof(o));
            adds(&o, rn(&g, 10) ? "EXEC" : "DISCARD");
            batch[nb++] = o;
            done += k + 2;
        } else {
            gen_cmd(&g, &o, false);
            done++;
            if (o.kind == K_SCAN || o.kind == K_RANDOMKEY) {
                run_batch(&r, batch, nb);
                for (int i = 0; i < nb; i++) op_free(&batch[i]);
                nb = 0;
                if (o.kind == K_SCAN) run_scan(&r, &o);
                else run_randomkey(&r, &o);
                op_free(&o);
                continue;
            }
            batch[nb++] = o;
        }
        if (nb >= 64) {
            run_batch(&r, batch, nb);
            for (int i = 0; i < nb; i++) op_free(&batch[i]);
            nb = 0;
        }
    }
    run_batch(&r, batch, nb);
    for (int i = 0; i < nb; i++) op_free(&batch[i]);
    compare_state(&r);
    fprintf(stderr, "seed %llu (RESP%d): %ld operations, %ld replies compared, %ld of them normalized\n", seed,
            r.proto, r.opno, r.compared, r.normalized);
    for (int i = 0; i < HIST; i++) {
        free(r.h[i].cmd);
        free(r.h[i].a);
        free(r.h[i].b);
    }
    rc_close(r.ra);
    rc_close(r.rb);
}

/* ---- tests ------------------------------------------------------------------- */

static int group_setup(void **state)
{
    have_ref = proc_start_redis(&ref) == 0;
    if (!have_ref) return 0; /* the tests skip */
    return proc_start(&srv, NULL);
}

static int group_teardown(void **state)
{
    int rc = 0;
    if (have_ref) {
        rc |= proc_finish(&srv);
        rc |= proc_finish(&ref);
    }
    return rc;
}

static long ops_per_seed(void)
{
    const char *e = getenv("DIFF_OPS");
    return e && *e ? atol(e) : 3000;
}

static void test_random_sequences(void **state)
{
    if (!have_ref) skip();
    const char *e = getenv("DIFF_SEED");
    if (e && *e) {
        run_seed(strtoull(e, NULL, 10), ops_per_seed());
        return;
    }
    static const unsigned long long seeds[] = {1, 2, 3, 42, 20240601};
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) run_seed(seeds[i], ops_per_seed());
}

/* The differential machinery itself must be able to fail: a reply that
 * differs is caught (checked against the reference server alone, which
 * must disagree with a deliberately wrong expectation). */
static void test_normalization_rules(void **state)
{
    if (!have_ref) skip();
    run_t r;
    memset(&r, 0, sizeof(r));
    r.ptol = 250;
    op_t o = {0};
    adds(&o, "TTL");
    adds(&o, "k");
    o.kind = K_TTL;
    assert_true(same(&r, &o, ":100\r\n", 6, ":99\r\n", 5));
    assert_false(same(&r, &o, ":100\r\n", 6, ":98\r\n", 5));
    assert_false(same(&r, &o, ":-1\r\n", 5, ":-2\r\n", 5));
    assert_false(same(&r, &o, ":-1\r\n", 5, ":0\r\n", 4));
    o.kind = K_PTTL;
    assert_true(same(&r, &o, ":100000\r\n", 9, ":99900\r\n", 8));
    assert_false(same(&r, &o, ":100000\r\n", 9, ":99000\r\n", 8));
    o.kind = K_KEYS;
    assert_true(same(&r, &o, "*2\r\n$1\r\na\r\n$1\r\nb\r\n", 18, "*2\r\n$1\r\nb\r\n$1\r\na\r\n", 18));
    assert_false(same(&r, &o, "*2\r\n$1\r\na\r\n$1\r\nb\r\n", 18, "*2\r\n$1\r\nb\r\n$1\r\nc\r\n", 18));
    assert_false(same(&r, &o, "*1\r\n$1\r\na\r\n", 11, "*2\r\n$1\r\na\r\n$1\r\na\r\n", 18));
    o.kind = K_EXACT;
    assert_false(same(&r, &o, "$1\r\na\r\n", 7, "$1\r\nb\r\n", 7));
    op_free(&o);
    /* the generator is deterministic: a seed replays (at a fixed clock) */
    gen_fixed_now = 1700000000123LL;
    prng_t g1 = {7}, g2 = {7};
    for (int i = 0; i < 200; i++) {
        op_t a = {0}, b = {0};
        gen_cmd(&g1, &a, false);
        gen_cmd(&g2, &b, false);
        assert_int_equal(a.argc, b.argc);
        for (int j = 0; j < a.argc; j++) {
            assert_int_equal(a.len[j], b.len[j]);
            assert_memory_equal(a.argv[j], b.argv[j], a.len[j]);
        }
        op_free(&a);
        op_free(&b);
    }
    gen_fixed_now = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalization_rules),
        cmocka_unit_test(test_random_sequences),
    };
    return cmocka_run_group_tests_name("differential", tests, group_setup, group_teardown);
}
