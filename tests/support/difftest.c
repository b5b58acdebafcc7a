/* The differential harness (difftest.h): redis-server and a redraft node,
 * the same generated commands to both, replies compared under the op's
 * normalization, and the whole keyspace compared at the end of each seed. */
#include "support/difftest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/proc.h"
#include "support/respcmp.h"

static testproc_t ref, srv;
static bool have_ref;

/* ---- generation ------------------------------------------------------------ */

uint64_t dt_rnd(dt_prng_t *g)
{
    g->s ^= g->s >> 12;
    g->s ^= g->s << 25;
    g->s ^= g->s >> 27;
    return g->s * 2685821657736338717ULL;
}

int dt_rn(dt_prng_t *g, int n)
{
    return (int)(dt_rnd(g) % (uint64_t)n);
}

void dt_add(dt_op_t *o, const char *s, size_t n)
{
    if (o->argc >= DT_MAXARG) return;
    o->argv[o->argc] = malloc(n + 1);
    if (n) memcpy(o->argv[o->argc], s, n);
    o->argv[o->argc][n] = '\0';
    o->len[o->argc++] = n;
}

void dt_adds(dt_op_t *o, const char *s)
{
    dt_add(o, s, strlen(s));
}

void dt_addf(dt_op_t *o, const char *fmt, ...)
{
    char b[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof(b), fmt, ap);
    va_end(ap);
    dt_adds(o, b);
}

void dt_op_free(dt_op_t *o)
{
    for (int i = 0; i < o->argc; i++) free(o->argv[i]);
    o->argc = 0;
}

void dt_random_case(dt_prng_t *g, dt_op_t *o)
{
    if (o->argc == 0 || dt_rn(g, 10)) return;
    for (size_t i = 0; i < o->len[0]; i++) {
        char ch = o->argv[0][i];
        if (((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) && dt_rn(g, 2)) o->argv[0][i] ^= 0x20;
    }
}

/* A small key space, binary and empty names included, so commands collide. */
void dt_add_key(dt_prng_t *g, dt_op_t *o)
{
    static const struct {
        const char *s;
        size_t n;
    } keys[] = {{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}, {"n", 1}, {"f", 1}, {"key:1", 5}, {"k\0\r\n", 4}, {"", 0}};
    int i = dt_rn(g, 20);
    i = i < 14 ? i % 6 : 6 + (i - 14) % 3;
    dt_add(o, keys[i].s, keys[i].n);
}

void dt_add_value(dt_prng_t *g, dt_op_t *o)
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
    int r = dt_rn(g, 20);
    if (r < 4) dt_addf(o, "%d", dt_rn(g, 121) - 20);
    else if (r == 4) dt_adds(o, ints[dt_rn(g, 7)]);
    else if (r < 7) dt_adds(o, floats[dt_rn(g, 16)]);
    else if (r == 7) dt_adds(o, odd[dt_rn(g, 7)]);
    else if (r < 11) dt_adds(o, words[dt_rn(g, 6)]);
    else if (r == 11) dt_add(o, "", 0);
    else if (r == 12) {
        int i = dt_rn(g, 5);
        dt_add(o, bins[i].s, bins[i].n);
    } else if (r == 13) {
        char b[40];
        int n = dt_rn(g, 40);
        for (int i = 0; i < n; i++) b[i] = (char)dt_rnd(g);
        dt_add(o, b, (size_t)n);
    } else if (r == 14) {
        size_t n = (size_t)dt_rn(g, 5000);
        char *b = malloc(n + 1);
        for (size_t i = 0; i < n; i++) b[i] = (char)('a' + i % 26);
        dt_add(o, b, n);
        free(b);
    } else {
        char b[9];
        int n = 1 + dt_rn(g, 8);
        for (int i = 0; i < n; i++) b[i] = "abcxyz0123456789"[dt_rn(g, 16)];
        dt_add(o, b, (size_t)n);
    }
}


/* ---- comparison ------------------------------------------------------------ */

typedef struct hist {
    char *cmd, *a, *b;
} hist_t;

#define HIST 30
typedef struct run {
    const dt_config_t *cfg;
    unsigned long long seed;
    int proto;
    rc_t *ra, *rb; /* reference, redraft */
    long opno;
    hist_t h[HIST];
    long nh;
    int ptol;
    long compared, normalized;
} run_t;

static char *op_str(const dt_op_t *o)
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

static void remember(run_t *r, const dt_op_t *o, const char *a, size_t al, const char *b, size_t bl)
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
    print_error("\nDIFFERENTIAL MISMATCH (%s, seed %llu, RESP%d, operation %ld): %s\n", r->cfg->name, r->seed,
                r->proto, r->opno, why);
    print_error("the last commands (reference redis-server | redraft):\n");
    long from = r->nh > HIST ? r->nh - HIST : 0;
    for (long i = from; i < r->nh; i++) {
        hist_t *h = &r->h[i % HIST];
        print_error("  %s\n      redis:   %s\n      redraft: %s\n", h->cmd, h->a, h->b);
    }
    print_error("replay with: DIFF_SEED=%llu DIFF_TRACE=1 and the same test binary\n", r->seed);
    fail_msg("differential mismatch (%s) at seed %llu operation %ld", r->cfg->name, r->seed, r->opno);
}

static bool is_int(const char *p, size_t n, long long *v)
{
    if (n < 4 || p[0] != ':') return false;
    *v = strtoll(p + 1, NULL, 10);
    return true;
}

static int buf_cmp(const void *x, const void *y)
{
    const rbuf_t *a = x, *b = y;
    size_t m = a->len < b->len ? a->len : b->len;
    int c = m ? memcmp(a->p, b->p, m) : 0;
    return c ? c : (a->len < b->len ? -1 : a->len > b->len);
}

/* An aggregate as its header plus its elements (or pairs of elements),
 * each serialized, sorted: the reply with its order taken out. */
static bool canonical(const char *p, size_t len, int group, rbuf_t *out)
{
    rnode_t *n = rc_parse_reply(p, len);
    if (!n) return false;
    if (n->null || (n->type != '*' && n->type != '~' && n->type != '%') || n->n % group) {
        resp_write(out, n);
        rnode_free(n);
        return true;
    }
    int items = n->n / group;
    rbuf_t *parts = calloc((size_t)items + 1, sizeof(*parts));
    for (int i = 0; i < items; i++)
        for (int k = 0; k < group; k++) resp_write(&parts[i], n->e[i * group + k]);
    qsort(parts, (size_t)items, sizeof(*parts), buf_cmp);
    rbuf_printf(out, "%c%d\r\n", n->type, n->type == '%' ? n->n / 2 : n->n);
    for (int i = 0; i < items; i++) {
        rbuf_append(out, parts[i].p, parts[i].len);
        rbuf_free(&parts[i]);
    }
    free(parts);
    rnode_free(n);
    return true;
}

/* Same RESP type, same nullness, same element count. */
static bool same_shape(const char *a, size_t al, const char *b, size_t bl)
{
    if (a[0] == '-' || b[0] == '-') return al == bl && memcmp(a, b, al) == 0;
    rnode_t *x = rc_parse_reply(a, al), *y = rc_parse_reply(b, bl);
    bool ok = x && y && x->type == y->type && x->null == y->null && x->n == y->n;
    rnode_free(x);
    rnode_free(y);
    return ok;
}

bool dt_same(int kind, const char *a, size_t al, const char *b, size_t bl, int ptol)
{
    if (al == bl && memcmp(a, b, al) == 0) return true;
    switch (kind) {
    case DT_TTL:
    case DT_PTTL: {
        long long x, y;
        if (!is_int(a, al, &x) || !is_int(b, bl, &y)) return false;
        if (x < 0 || y < 0) return false; /* -1 / -2 must agree exactly */
        return llabs(x - y) <= (kind == DT_TTL ? 1 : ptol);
    }
    case DT_SORTED:
    case DT_PAIRS: {
        if (a[0] == '-' || b[0] == '-') return false;
        int group = kind == DT_PAIRS ? 2 : 1;
        rbuf_t sa = {0}, sb = {0};
        bool ok = canonical(a, al, group, &sa) && canonical(b, bl, group, &sb) && sa.len == sb.len &&
                  memcmp(sa.p, sb.p, sa.len) == 0;
        rbuf_free(&sa);
        rbuf_free(&sb);
        return ok;
    }
    case DT_SHAPE:
        return same_shape(a, al, b, bl);
    default:
        return false;
    }
}

static void resync(run_t *r, const dt_op_t *o);

/* Sends a batch of ops to both servers (pipelined) and compares. */
static void run_batch(run_t *r, dt_op_t *ops, int n)
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
        if (!have_b) { /* how many complete replies redraft gave */
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
        if (!(al == bl && memcmp(a, b, al) == 0)) {
            if (!dt_same(ops[i].kind, a, al, b, bl, r->ptol)) mismatch(r, "replies differ");
            r->normalized++;
        }
    }
    for (int i = 0; i < n; i++)
        if (ops[i].resync_key) resync(r, &ops[i]);
    free(oa);
    free(ob);
    rbuf_free(&cmds);
    rbuf_free(&ga);
    rbuf_free(&gb);
}

/* One command on one server, its reply parsed (NULL: no reply). */
static rnode_t *ask(rc_t *c, int argc, const char *const *argv, const size_t *lens)
{
    size_t n;
    const char *rep = rc_cmdv(c, argc, argv, lens, &n);
    return rep ? rc_parse_reply(rep, n) : NULL;
}

/* Copies key k from the reference to redraft: after a random write the
 * two servers hold different members, and the run goes on from the
 * reference's state. */
static void resync(run_t *r, const dt_op_t *o)
{
    const char *k = o->resync_key;
    size_t kl = o->resync_len;
    const char *tv[] = {"TYPE", k};
    const size_t tl[] = {4, kl};
    rnode_t *t = ask(r->ra, 2, tv, tl);
    if (!t) fail_msg("the reference server stopped answering");
    const char *dv[] = {"DEL", k};
    const size_t dl[] = {3, kl};
    rnode_free(ask(r->rb, 2, dv, dl));
    const char *dump = NULL, *build = NULL;
    int dump_argc = 2;
    const char *dargs[4] = {NULL, k, "0", "-1"};
    size_t dlens[4] = {0, kl, 1, 2};
    if (strcmp(t->s, "set") == 0) dump = "SMEMBERS", build = "SADD";
    else if (strcmp(t->s, "hash") == 0) dump = "HGETALL", build = "HSET";
    else if (strcmp(t->s, "list") == 0) dump = "LRANGE", build = "RPUSH", dump_argc = 4;
    else if (strcmp(t->s, "zset") == 0) dump = "ZRANGE", build = "ZADD", dump_argc = 5;
    else if (strcmp(t->s, "string") == 0) dump = "GET", build = "SET";
    rnode_free(t);
    if (!dump) return; /* gone on the reference too */
    const char *zargs[5] = {"ZRANGE", k, "0", "-1", "WITHSCORES"};
    size_t zlens[5] = {6, kl, 1, 2, 10};
    dargs[0] = dump;
    dlens[0] = strlen(dump);
    rnode_t *v = dump_argc == 5 ? ask(r->ra, 5, zargs, zlens) : ask(r->ra, dump_argc, dargs, dlens);
    if (!v) fail_msg("the reference server stopped answering");
    int ne = v->type == '$' ? 1 : 2 * v->n;
    const char **bv = calloc((size_t)ne + 2, sizeof(*bv));
    size_t *bl = calloc((size_t)ne + 2, sizeof(*bl));
    bv[0] = build, bl[0] = strlen(build), bv[1] = k, bl[1] = kl;
    int argc = 2;
    if (v->type == '$') {
        bv[argc] = v->s, bl[argc++] = v->slen;
    } else if (strcmp(build, "ZADD") == 0 && v->n && v->e[0]->type == '*') { /* RESP3: [member, score] */
        for (int i = 0; i < v->n; i++) {
            if (v->e[i]->n != 2) continue;
            bv[argc] = v->e[i]->e[1]->s, bl[argc++] = v->e[i]->e[1]->slen;
            bv[argc] = v->e[i]->e[0]->s, bl[argc++] = v->e[i]->e[0]->slen;
        }
    } else if (strcmp(build, "ZADD") == 0) { /* member, score -> score, member */
        for (int i = 0; i + 1 < v->n; i += 2) {
            bv[argc] = v->e[i + 1]->s, bl[argc++] = v->e[i + 1]->slen;
            bv[argc] = v->e[i]->s, bl[argc++] = v->e[i]->slen;
        }
    } else {
        for (int i = 0; i < v->n; i++) bv[argc] = v->e[i]->s, bl[argc++] = v->e[i]->slen;
    }
    if (argc > 2) rnode_free(ask(r->rb, argc, bv, bl));
    free(bv);
    free(bl);
    rnode_free(v);
    const char *pv[] = {"PTTL", k};
    const size_t pl[] = {4, kl};
    rnode_t *p = ask(r->ra, 2, pv, pl);
    if (p && p->type == ':' && p->i > 0) {
        char ms[32];
        snprintf(ms, sizeof(ms), "%lld", p->i);
        const char *ev[] = {"PEXPIRE", k, ms};
        const size_t el[] = {7, kl, strlen(ms)};
        rnode_free(ask(r->rb, 3, ev, el));
    }
    rnode_free(p);
}

/* A cursor command iterated to cursor 0: the set of what it returned. An
 * error reply is returned as is in *err. */
static rbuf_t scan_all(rc_t *c, const dt_op_t *o, rbuf_t *err)
{
    rbuf_t all = {0};
    rbuf_t *items = NULL;
    size_t nitems = 0, cap = 0;
    int ca = o->cursor_arg ? o->cursor_arg : 1, group = o->scan_pairs ? 2 : 1;
    char cursor[64];
    snprintf(cursor, sizeof(cursor), "%s", o->argc > ca ? o->argv[ca] : "0");
    for (int calls = 0;; calls++) {
        const char *argv[DT_MAXARG];
        size_t lens[DT_MAXARG];
        for (int i = 0; i < o->argc; i++) argv[i] = o->argv[i], lens[i] = o->len[i];
        if (o->argc > ca) argv[ca] = cursor, lens[ca] = strlen(cursor);
        size_t n;
        const char *rep = rc_cmdv(c, o->argc, argv, lens, &n);
        if (!rep) {
            rbuf_append(err, "(no reply)", 10);
            break;
        }
        rnode_t *t = rc_parse_reply(rep, n);
        if (!t || t->type != '*' || t->n != 2 || t->e[0]->type != '$' || t->e[1]->type != '*' ||
            t->e[1]->n % group) {
            rbuf_append(err, rep, n);
            rnode_free(t);
            break;
        }
        snprintf(cursor, sizeof(cursor), "%s", t->e[0]->s);
        for (int i = 0; i + group <= t->e[1]->n; i += group) {
            if (nitems == cap) {
                cap = cap ? cap * 2 : 64;
                items = realloc(items, cap * sizeof(*items));
            }
            memset(&items[nitems], 0, sizeof(items[nitems]));
            for (int k = 0; k < group; k++) resp_write(&items[nitems], t->e[1]->e[i + k]);
            nitems++;
        }
        rnode_free(t);
        if (strcmp(cursor, "0") == 0) break;
        if (calls > 100000) {
            rbuf_append(err, "(the cursor never came back to 0)", 33);
            break;
        }
    }
    if (nitems) qsort(items, nitems, sizeof(*items), buf_cmp);
    rbuf_append(&all, "", 0);
    for (size_t i = 0; i < nitems; i++) {
        /* an element may be returned more than once: keep one */
        if (i == 0 || buf_cmp(&items[i - 1], &items[i]) != 0) rbuf_append(&all, items[i].p, items[i].len);
    }
    for (size_t i = 0; i < nitems; i++) rbuf_free(&items[i]);
    free(items);
    return all;
}

static void run_scan(run_t *r, const dt_op_t *o)
{
    r->opno++;
    rbuf_t ea = {0}, eb = {0};
    rbuf_t sa = scan_all(r->ra, o, &ea), sb = scan_all(r->rb, o, &eb);
    const rbuf_t *wa = ea.len ? &ea : &sa, *wb = eb.len ? &eb : &sb;
    remember(r, o, wa->p, wa->len, wb->p, wb->len);
    r->compared++;
    if (wa->len != wb->len || memcmp(wa->p, wb->p, wa->len) != 0)
        mismatch(r, "a full cursor iteration (elements as a set) differs");
    if (!ea.len) r->normalized++;
    rbuf_free(&sa);
    rbuf_free(&sb);
    rbuf_free(&ea);
    rbuf_free(&eb);
}

static void run_randomkey(run_t *r, const dt_op_t *o)
{
    r->opno++;
    size_t al, bl;
    const char *argv[DT_MAXARG];
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
    if (!anull) { /* each key must exist on the server that returned it */
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

/* The final state: the same keys, and for each its type, contents (in an
 * order-free form where Redis's order is not ours) and TTL. */
static void compare_state(run_t *r)
{
    dt_op_t k = {0};
    dt_adds(&k, "KEYS");
    dt_adds(&k, "*");
    k.kind = DT_SORTED;
    run_batch(r, &k, 1);
    dt_op_free(&k);
    const char *kv[] = {"KEYS", "*"};
    rnode_t *t = ask(r->ra, 2, kv, NULL);
    assert_non_null(t);
    for (int i = 0; i < t->n; i++) {
        const char *key = t->e[i]->s;
        size_t kl = t->e[i]->slen;
        const char *tv[] = {"TYPE", key};
        const size_t tl[] = {4, kl};
        rnode_t *ty = ask(r->ra, 2, tv, tl);
        assert_non_null(ty);
        dt_op_t ops[3];
        memset(ops, 0, sizeof(ops));
        dt_adds(&ops[0], "TYPE");
        dt_add(&ops[0], key, kl);
        dt_op_t *c = &ops[1];
        if (strcmp(ty->s, "hash") == 0) {
            dt_adds(c, "HGETALL"), c->kind = DT_PAIRS;
        } else if (strcmp(ty->s, "set") == 0) {
            dt_adds(c, "SMEMBERS"), c->kind = DT_SORTED;
        } else if (strcmp(ty->s, "list") == 0) {
            dt_adds(c, "LRANGE");
        } else if (strcmp(ty->s, "zset") == 0) {
            dt_adds(c, "ZRANGE");
        } else {
            dt_adds(c, "GET");
        }
        dt_add(c, key, kl);
        if (strcmp(ty->s, "list") == 0 || strcmp(ty->s, "zset") == 0) {
            dt_adds(c, "0");
            dt_adds(c, "-1");
            if (strcmp(ty->s, "zset") == 0) dt_adds(c, "WITHSCORES");
        }
        dt_adds(&ops[2], "PTTL");
        dt_add(&ops[2], key, kl);
        ops[2].kind = DT_PTTL;
        rnode_free(ty);
        run_batch(r, ops, 3);
        for (int j = 0; j < 3; j++) dt_op_free(&ops[j]);
    }
    rnode_free(t);
    dt_op_t d = {0};
    dt_adds(&d, "DBSIZE");
    run_batch(r, &d, 1);
    dt_op_free(&d);
}

static void expect_hello(rc_t *c, int proto)
{
    char p[4];
    snprintf(p, sizeof(p), "%d", proto);
    const char *rep = rc_cmd(c, "HELLO", p, (const char *)NULL);
    if (!rep || rep[0] != (proto == 3 ? '%' : '*')) fail_msg("HELLO %d failed: %s", proto, rep ? rep : "(none)");
}

static void run_seed(const dt_config_t *cfg, unsigned long long seed, long nops)
{
    run_t r;
    memset(&r, 0, sizeof(r));
    r.cfg = cfg;
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
    dt_prng_t g = {seed * 0x9E3779B97F4A7C15ULL + 1};
    dt_op_t batch[80];
    int nb = 0;
    long done = 0;
    while (done < nops) {
        dt_op_t o;
        memset(&o, 0, sizeof(o));
        if (cfg->multi_one_in > 0 && dt_rn(&g, cfg->multi_one_in) == 0) { /* a MULTI block */
            dt_adds(&o, "MULTI");
            batch[nb++] = o;
            int k = 1 + dt_rn(&g, 5);
            for (int i = 0; i < k; i++) {
                memset(&o, 0, sizeof(o));
                if (dt_rn(&g, 40) == 0) dt_adds(&o, "MULTI"); /* nested: refused, the block goes on */
                else cfg->gen(&g, &o, true);
                o.kind = DT_EXACT;
                batch[nb++] = o;
            }
            memset(&o, 0, sizeof(o));
            dt_adds(&o, dt_rn(&g, 10) ? "EXEC" : "DISCARD");
            batch[nb++] = o;
            done += k + 2;
        } else {
            cfg->gen(&g, &o, false);
            done++;
            if (o.kind == DT_SCAN || o.kind == DT_RANDOMKEY) {
                run_batch(&r, batch, nb);
                for (int i = 0; i < nb; i++) dt_op_free(&batch[i]);
                nb = 0;
                if (o.kind == DT_SCAN) run_scan(&r, &o);
                else run_randomkey(&r, &o);
                dt_op_free(&o);
                continue;
            }
            batch[nb++] = o;
        }
        if (nb >= 64) {
            run_batch(&r, batch, nb);
            for (int i = 0; i < nb; i++) dt_op_free(&batch[i]);
            nb = 0;
        }
    }
    run_batch(&r, batch, nb);
    for (int i = 0; i < nb; i++) dt_op_free(&batch[i]);
    compare_state(&r);
    fprintf(stderr, "%s seed %llu (RESP%d): %ld operations, %ld replies compared, %ld of them normalized\n",
            cfg->name, seed, r.proto, r.opno, r.compared, r.normalized);
    for (int i = 0; i < HIST; i++) {
        free(r.h[i].cmd);
        free(r.h[i].a);
        free(r.h[i].b);
    }
    rc_close(r.ra);
    rc_close(r.rb);
}

void dt_run(const dt_config_t *cfg)
{
    if (!have_ref) skip();
    const char *e = getenv("DIFF_OPS");
    long nops = e && *e ? atol(e) : (cfg->nops > 0 ? cfg->nops : 3000);
    e = getenv("DIFF_SEED");
    if (e && *e) {
        run_seed(cfg, strtoull(e, NULL, 10), nops);
        return;
    }
    static const unsigned long long seeds[] = {1, 2, 3, 42, 20240601};
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) run_seed(cfg, seeds[i], nops);
}

/* ---- servers ------------------------------------------------------------------- */

int dt_setup(void **state)
{
    (void)state;
    have_ref = proc_start_redis(&ref) == 0;
    if (!have_ref) return 0; /* the tests skip */
    return proc_start(&srv, NULL);
}

int dt_teardown(void **state)
{
    (void)state;
    int rc = 0;
    if (have_ref) {
        rc |= proc_finish(&srv);
        rc |= proc_finish(&ref);
    }
    return rc;
}

bool dt_have_ref(void)
{
    return have_ref;
}

int dt_redraft_port(void)
{
    return srv.port;
}

int dt_ref_port(void)
{
    return ref.port;
}
