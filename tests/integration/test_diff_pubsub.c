/* Pub/Sub and RESET against redis-server 7.0.15 (tests/support/difftest.h
 * starts both; without redis-server the tests skip): the same script runs
 * on four connections to each server, and every reply and every message
 * must be the same bytes, RESP2 and RESP3 subscribers alike:
 * SUBSCRIBE/PSUBSCRIBE/SSUBSCRIBE and their UNSUBSCRIBEs (with and without
 * names, and with nothing subscribed), message/pmessage/smessage, PUBLISH
 * and SPUBLISH counts, PUBSUB's subcommands and errors, the RESP2
 * subscriber context (its error, PING's array), RESET, SUBSCRIBE and
 * PUBLISH inside MULTI. Where Redis's order comes from a dict (UNSUBSCRIBE
 * of everything, PUBSUB CHANNELS) the replies are compared as a multiset.
 * A last PING on every connection shows no message was left over. Then
 * random subscriptions on five connections checked against a model of
 * them (redraft only). */
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
#include "util/glob.h"

#define NCONN 4

enum {
    EXACT = 0, /* each reply byte for byte */
    BAG,       /* UNSUBSCRIBE of everything: see as_bag */
    ANYORDER,  /* the replies of the step as a multiset */
    SORTED,    /* one array reply, its elements in any order */
    SKIP,      /* not compared (HELLO: the servers describe themselves) */
};

typedef struct step {
    int conn;        /* the connection that sends, or reads */
    const char *cmd; /* words separated by single spaces ("" is an empty word
                      * only as '\1'); NULL: only read nreplies messages */
    int nreplies;
    int cmp;
} step_t;

static char *esc(const char *p, size_t n)
{
    return resp_escape(p, n);
}

/* Splits cmd at spaces; '\1' stands for an empty argument. */
static int split(const char *cmd, char words[][256], const char **argv, size_t *lens)
{
    int argc = 0;
    const char *p = cmd;
    while (*p && argc < 16) {
        const char *e = strchr(p, ' ');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 1 && p[0] == '\1') n = 0;
        memcpy(words[argc], p, n);
        words[argc][n] = '\0';
        argv[argc] = words[argc];
        lens[argc] = n;
        argc++;
        p = e ? e + 1 : p + strlen(p);
    }
    return argc;
}

/* The step's replies on one server, concatenated; offs[i] is where reply i
 * begins. False on a timeout or a closed connection. */
static bool run_step(rc_t *c, const step_t *s, rbuf_t *out, size_t *offs)
{
    if (s->cmd) {
        char words[16][256];
        const char *argv[16];
        size_t lens[16];
        int argc = split(s->cmd, words, argv, lens);
        rbuf_t req = {0};
        resp_encode(&req, argc, argv, lens);
        int rc = rc_write(c, req.p, req.len);
        rbuf_free(&req);
        if (rc < 0) return false;
    }
    for (int i = 0; i < s->nreplies; i++) {
        const char *r;
        offs[i] = out->len;
        long n = rc_read(c, &r);
        if (n < 0) return false;
        rbuf_append(out, r, (size_t)n);
    }
    offs[s->nreplies] = out->len;
    return true;
}

static int cmp_bytes(const void *a, const void *b)
{
    const rbuf_t *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int d = memcmp(x->p, y->p, n);
    return d ? d : (x->len > y->len) - (x->len < y->len);
}

/* The replies of an UNSUBSCRIBE of everything, whose order is Redis's dict
 * order: each reply without its count, sorted, then the counts in the
 * order they came (they count down whatever the order). */
static void as_bag(const rbuf_t *in, const size_t *offs, int n, rbuf_t *out, bool whole)
{
    rbuf_t *parts = calloc((size_t)n + 1, sizeof(*parts));
    rbuf_t counts = {0};
    for (int i = 0; i < n; i++) {
        const char *p = in->p + offs[i];
        size_t len = offs[i + 1] - offs[i], cut = len;
        for (size_t k = len - 2; k > 0 && !whole; k--) /* the last line, ":N\r\n" */
            if (p[k - 1] == '\n') {
                cut = k;
                break;
            }
        rbuf_append(&parts[i], p, cut);
        rbuf_append(&counts, p + cut, len - cut);
    }
    qsort(parts, (size_t)n, sizeof(*parts), cmp_bytes);
    for (int i = 0; i < n; i++) {
        rbuf_append(out, parts[i].p, parts[i].len);
        rbuf_free(&parts[i]);
    }
    rbuf_append(out, counts.p, counts.len);
    rbuf_free(&counts);
    free(parts);
}

static void run_script(const step_t *steps, size_t nsteps)
{
    if (!dt_have_ref()) skip();
    rc_t *ours[NCONN], *ref[NCONN];
    for (int i = 0; i < NCONN; i++) {
        ours[i] = rc_open(dt_redraft_port());
        ref[i] = rc_open(dt_ref_port());
        if (!ours[i] || !ref[i]) fail_msg("cannot connect");
        ours[i]->timeout_ms = ref[i]->timeout_ms = 3000;
    }
    for (size_t k = 0; k < nsteps; k++) {
        const step_t *s = &steps[k];
        rbuf_t a = {0}, b = {0};
        size_t oa[16], ob[16];
        bool ok_b = run_step(ref[s->conn], s, &b, ob);
        if (!ok_b) fail_msg("step %zu (conn %d %s): redis-server did not answer", k, s->conn, s->cmd ? s->cmd : "read");
        bool ok_a = run_step(ours[s->conn], s, &a, oa);
        if (!ok_a) {
            char *eb = esc(b.p, b.len);
            fail_msg("step %zu (conn %d %s): redraft did not answer %d replies; redis: %s", k, s->conn,
                     s->cmd ? s->cmd : "read", s->nreplies, eb);
        }
        if (getenv("DIFF_TRACE")) {
            char *ea = esc(a.p, a.len), *eb = esc(b.p, b.len);
            fprintf(stderr, "step %zu conn %d %s\n  redraft: %s\n  redis:   %s\n", k, s->conn, s->cmd ? s->cmd : "read",
                    ea, eb);
            free(ea);
            free(eb);
        }
        rbuf_t x = {0}, y = {0};
        if (s->cmp == BAG || s->cmp == ANYORDER) {
            as_bag(&a, oa, s->nreplies, &x, s->cmp == ANYORDER);
            as_bag(&b, ob, s->nreplies, &y, s->cmp == ANYORDER);
        } else if (s->cmp == SORTED) {
            if (!resp_sorted(a.p, a.len, &x) || !resp_sorted(b.p, b.len, &y)) fail_msg("step %zu: not an array", k);
        } else {
            rbuf_append(&x, a.p, a.len);
            rbuf_append(&y, b.p, b.len);
        }
        if (s->cmp != SKIP && (x.len != y.len || memcmp(x.p, y.p, x.len) != 0)) {
            char *ea = esc(a.p, a.len), *eb = esc(b.p, b.len);
            fail_msg("step %zu (conn %d %s) differs\n  redraft: %s\n  redis:   %s", k, s->conn,
                     s->cmd ? s->cmd : "read", ea, eb);
        }
        rbuf_free(&a);
        rbuf_free(&b);
        rbuf_free(&x);
        rbuf_free(&y);
    }
    /* nothing left over: the next reply on each connection is PING's */
    for (int i = 0; i < NCONN; i++) {
        step_t ping = {i, "PING", 1, EXACT};
        rbuf_t a = {0}, b = {0};
        size_t oa[2], ob[2];
        if (!run_step(ref[i], &ping, &b, ob) || !run_step(ours[i], &ping, &a, oa)) fail_msg("final PING %d", i);
        if (a.len != b.len || memcmp(a.p, b.p, a.len) != 0) {
            char *ea = esc(a.p, a.len), *eb = esc(b.p, b.len);
            fail_msg("connection %d: final PING differs (a message left over?)\n  redraft: %s\n  redis:   %s", i, ea,
                     eb);
        }
        rbuf_free(&a);
        rbuf_free(&b);
        rc_close(ours[i]);
        rc_close(ref[i]);
    }
}

/* Connection 0: a RESP2 subscriber; 1: a RESP3 one; 2: the publisher;
 * 3: transactions. */
static const step_t subscribe_publish[] = {
    {1, "HELLO 3", 1, SKIP},
    {0, "SUBSCRIBE news sport", 2, EXACT},
    {1, "PSUBSCRIBE n* s?ort", 2, EXACT},
    {1, "SSUBSCRIBE news", 1, EXACT},
    {1, "SSUBSCRIBE news other", 2, EXACT},
    {2, "PUBLISH news hello", 1, EXACT},
    {0, NULL, 1, EXACT},
    {1, NULL, 1, EXACT},
    {2, "SPUBLISH news shard", 1, EXACT},
    {1, NULL, 1, EXACT},
    {2, "PUBLISH sport goal", 1, EXACT},
    {0, NULL, 1, EXACT},
    {1, NULL, 1, EXACT},
    {2, "PUBLISH none x", 1, EXACT},
    {1, NULL, 1, EXACT},
    {2, "PUBLISH news \1", 1, EXACT},
    {0, NULL, 1, EXACT},
    {1, NULL, 1, EXACT},
    {2, "PUBSUB NUMSUB news sport none", 1, EXACT},
    {2, "PUBSUB NUMSUB", 1, EXACT},
    {2, "PUBSUB NUMPAT", 1, EXACT},
    {2, "PUBSUB CHANNELS", 1, SORTED},
    {2, "PUBSUB CHANNELS n*", 1, EXACT},
    {2, "PUBSUB CHANNELS zz*", 1, EXACT},
    {2, "PUBSUB SHARDCHANNELS", 1, SORTED},
    {2, "PUBSUB SHARDNUMSUB news nothing", 1, EXACT},
    /* the RESP2 subscriber's context; RESP3 may run anything */
    {0, "GET x", 1, EXACT},
    {0, "PING", 1, EXACT},
    {0, "PING hi", 1, EXACT},
    {0, "MULTI", 1, EXACT},
    {0, "PUBSUB NUMPAT", 1, EXACT},
    {0, "CLIENT ID", 1, EXACT},
    {1, "GET x", 1, EXACT},
    {1, "PING", 1, EXACT},
    {0, "UNSUBSCRIBE news nothing", 2, EXACT},
    {0, "UNSUBSCRIBE", 1, EXACT},
    {0, "UNSUBSCRIBE", 1, EXACT},
    {0, "PING", 1, EXACT},
    {0, "GET x", 1, EXACT},
    /* a RESP3 client publishing to itself: the message comes after
     * PUBLISH's reply here, before it in Redis 7.0 (a push may come
     * anywhere between replies) */
    {1, "SUBSCRIBE self", 1, EXACT},
    {1, "PUBLISH self me", 2, ANYORDER},
    {1, "UNSUBSCRIBE self", 1, EXACT},
    {1, "PUNSUBSCRIBE", 2, BAG},
    {1, "PUNSUBSCRIBE", 1, EXACT},
    {1, "SUNSUBSCRIBE nope", 1, EXACT},
    {1, "SUNSUBSCRIBE", 2, BAG},
    {1, "SUNSUBSCRIBE", 1, EXACT},
    /* a RESP3 transaction that subscribes (a push inside EXEC's array) */
    {1, "MULTI", 1, EXACT},
    {1, "SUBSCRIBE t3", 1, EXACT},
    {1, "GET k", 1, EXACT},
    {1, "EXEC", 1, EXACT},
    {1, "UNSUBSCRIBE t3", 1, EXACT},
    /* the same channel twice: subscribed once */
    {0, "SUBSCRIBE a a", 2, EXACT},
    {2, "PUBLISH a once", 1, EXACT},
    {0, NULL, 1, EXACT},
    {2, "PUBSUB NUMSUB a", 1, EXACT},
    /* channel and pattern both match: two messages */
    {0, "PSUBSCRIBE a", 1, EXACT},
    {2, "PUBLISH a twice", 1, EXACT},
    {0, NULL, 2, EXACT},
    /* RESET leaves everything */
    {0, "RESET", 1, EXACT},
    {0, "PING", 1, EXACT},
    {2, "PUBSUB NUMSUB a", 1, EXACT},
    {2, "PUBSUB NUMPAT", 1, EXACT},
    {2, "PUBLISH a gone", 1, EXACT},
    {0, "SUBSCRIBE b", 1, EXACT},
    /* transactions: SSUBSCRIBE refused inside EXEC, SUBSCRIBE queued and
     * run by it; PUBLISH with a write */
    {3, "MULTI", 1, EXACT},
    {3, "SSUBSCRIBE sx", 1, EXACT},
    {3, "EXEC", 1, EXACT},
    {3, "PING", 1, EXACT},
    {3, "MULTI", 1, EXACT},
    {3, "SUBSCRIBE m", 1, EXACT},
    {3, "EXEC", 1, EXACT},
    {3, "PING", 1, EXACT},
    {2, "MULTI", 1, EXACT},
    {2, "SET k v", 1, EXACT},
    {2, "PUBLISH m in-exec", 1, EXACT},
    {2, "PUBLISH b in-exec-too", 1, EXACT},
    {2, "EXEC", 1, EXACT},
    {3, NULL, 1, EXACT},
    {0, NULL, 1, EXACT},
    {2, "MULTI", 1, EXACT},
    {2, "PUBLISH m read-only-exec", 1, EXACT},
    {2, "EXEC", 1, EXACT},
    {3, NULL, 1, EXACT},
    {3, "RESET", 1, EXACT},
    {2, "DEL k", 1, EXACT},
};

/* Argument errors and HELP. */
static const step_t errors[] = {
    {2, "SUBSCRIBE", 1, EXACT},
    {2, "PSUBSCRIBE", 1, EXACT},
    {2, "SSUBSCRIBE", 1, EXACT},
    {2, "PUBLISH a", 1, EXACT},
    {2, "PUBLISH a b c", 1, EXACT},
    {2, "SPUBLISH a", 1, EXACT},
    {2, "PUBSUB", 1, EXACT},
    {2, "PUBSUB FOO", 1, EXACT},
    {2, "PUBSUB CHANNELS a b", 1, EXACT},
    {2, "PUBSUB SHARDCHANNELS a b", 1, EXACT},
    {2, "PUBSUB NUMPAT x", 1, EXACT},
    {2, "PUBSUB help", 1, EXACT},
    {2, "RESET x", 1, EXACT},
    {2, "UNSUBSCRIBE", 1, EXACT},
    {2, "PUNSUBSCRIBE x", 1, EXACT},
    {2, "SUNSUBSCRIBE", 1, EXACT},
    /* RESET inside MULTI discards the transaction; RESP3 back to RESP2 */
    {1, "HELLO 3", 1, SKIP},
    {1, "MULTI", 1, EXACT},
    {1, "SET x y", 1, EXACT},
    {1, "RESET", 1, EXACT},
    {1, "EXEC", 1, EXACT},
    {1, "GET x", 1, EXACT},
    {1, "CLIENT GETNAME", 1, EXACT},
    {1, "CLIENT SETNAME me", 1, EXACT},
    {1, "RESET", 1, EXACT},
    {1, "CLIENT GETNAME", 1, EXACT},
};

/* ---- random operations against a model -------------------------------------
 *
 * Five RESP2 connections subscribe and unsubscribe at random (channels,
 * patterns, shard channels; duplicates, RESET, reconnects) over a small set
 * of names, and a sixth publishes. Every (un)subscribe reply must carry the
 * count the model says, every PUBLISH the model's number of receivers, and
 * at the end PUBSUB NUMSUB/SHARDNUMSUB/NUMPAT the model's totals: it drives
 * the per-client index of subscriptions through many insertions and
 * removals in every order. */

#define MNAMES 8
#define MCONN 5
static const char *const mnames[MNAMES] = {"a", "b", "c*", "[ab]", "a?", "", "x\001y", "*"};

typedef struct mconn {
    rc_t *c;
    bool in[3][MNAMES]; /* channel, pattern, shard */
} mconn_t;

static int mcount(const mconn_t *m, int k)
{
    int n = 0;
    for (int i = 0; i < MNAMES; i++) n += m->in[k][i];
    return n;
}

static int mindex(const char *s, size_t len)
{
    for (int i = 0; i < MNAMES; i++)
        if (strlen(mnames[i]) == len && memcmp(mnames[i], s, len) == 0) return i;
    return -1;
}

/* The next reply on c that is not a message (messages from the publisher
 * come in between). */
static rnode_t *next_reply(rc_t *c)
{
    for (;;) {
        const char *r;
        long n = rc_read(c, &r);
        if (n < 0) fail_msg("no reply");
        rnode_t *t = rc_parse_reply(r, (size_t)n);
        if (!t) fail_msg("unparsable reply");
        bool msg = t->type == '*' && t->n >= 3 && t->e[0]->s &&
                   (strcmp(t->e[0]->s, "message") == 0 || strcmp(t->e[0]->s, "pmessage") == 0 ||
                    strcmp(t->e[0]->s, "smessage") == 0);
        if (!msg) return t;
        rnode_free(t);
    }
}

static void test_random_against_model(void **state)
{
    (void)state;
    static const char *const sub[3] = {"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE"};
    static const char *const unsub[3] = {"UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"};
    static const char *const subr[3] = {"subscribe", "psubscribe", "ssubscribe"};
    static const char *const unsubr[3] = {"unsubscribe", "punsubscribe", "sunsubscribe"};
    mconn_t m[MCONN];
    memset(m, 0, sizeof(m));
    for (int i = 0; i < MCONN; i++) m[i].c = rc_open(dt_redraft_port());
    rc_t *pub = rc_open(dt_redraft_port());
    uint64_t rng = 0x9E3779B97F4A7C15ULL;
#define RND(n) ((int)((rng = rng * 6364136223846793005ULL + 1442695040888963407ULL) >> 33) % (n))
    for (int step = 0; step < 4000; step++) {
        mconn_t *x = &m[RND(MCONN)];
        int op = RND(10), k = RND(3), nargs = RND(4);
        const char *argv[5];
        size_t lens[5];
        int idx[4];
        for (int j = 0; j < nargs; j++) {
            idx[j] = RND(MNAMES);
            argv[j + 1] = mnames[idx[j]];
            lens[j + 1] = strlen(mnames[idx[j]]);
        }
        if (op <= 3 && nargs > 0) { /* subscribe */
            argv[0] = sub[k];
            lens[0] = strlen(sub[k]);
            rbuf_t b = {0};
            resp_encode(&b, nargs + 1, argv, lens);
            rc_write(x->c, b.p, b.len);
            rbuf_free(&b);
            for (int j = 0; j < nargs; j++) {
                x->in[k][idx[j]] = true;
                rnode_t *t = next_reply(x->c);
                long long want = k == 2 ? mcount(x, 2) : mcount(x, 0) + mcount(x, 1);
                if (t->type != '*' || t->n != 3 || strcmp(t->e[0]->s, subr[k]) != 0 || t->e[2]->i != want)
                    fail_msg("step %d: %s reply, count %lld, model %lld", step, sub[k], t->n == 3 ? t->e[2]->i : -1, want);
                rnode_free(t);
            }
        } else if (op <= 6) { /* unsubscribe, named or all */
            argv[0] = unsub[k];
            lens[0] = strlen(unsub[k]);
            rbuf_t b = {0};
            resp_encode(&b, nargs + 1, argv, lens);
            rc_write(x->c, b.p, b.len);
            rbuf_free(&b);
            int replies = nargs ? nargs : (mcount(x, k) ? mcount(x, k) : 1);
            for (int j = 0; j < replies; j++) {
                rnode_t *t = next_reply(x->c);
                if (t->type != '*' || t->n != 3 || strcmp(t->e[0]->s, unsubr[k]) != 0)
                    fail_msg("step %d: %s reply is not one", step, unsub[k]);
                if (nargs)
                    x->in[k][idx[j]] = false;
                else if (!t->e[1]->null) {
                    int i = mindex(t->e[1]->s, t->e[1]->slen);
                    if (i < 0 || !x->in[k][i]) fail_msg("step %d: %s names what it was not in", step, unsub[k]);
                    x->in[k][i] = false;
                }
                long long want = k == 2 ? mcount(x, 2) : mcount(x, 0) + mcount(x, 1);
                if (t->e[2]->i != want) fail_msg("step %d: %s count %lld, model %lld", step, unsub[k], t->e[2]->i, want);
                rnode_free(t);
            }
        } else if (op == 7) { /* PUBLISH: the model's number of receivers */
            int ch = RND(MNAMES), kind = RND(2) ? 0 : 2;
            long long want = 0;
            for (int i = 0; i < MCONN; i++) {
                want += m[i].in[kind][ch];
                for (int p = 0; kind == 0 && p < MNAMES; p++)
                    if (m[i].in[1][p])
                        want += glob_match(mnames[p], strlen(mnames[p]), mnames[ch], strlen(mnames[ch]), 0);
            }
            const char *pa[3] = {kind ? "SPUBLISH" : "PUBLISH", mnames[ch], "m"};
            size_t pl[3] = {strlen(pa[0]), strlen(mnames[ch]), 1};
            size_t len;
            const char *r = rc_cmdv(pub, 3, pa, pl, &len);
            if (!r || r[0] != ':' || atoll(r + 1) != want)
                fail_msg("step %d: %s %s answered %s, model %lld", step, pa[0], mnames[ch], r ? r : "nothing", want);
        } else if (op == 8) { /* RESET */
            rc_write(x->c, "*1\r\n$5\r\nRESET\r\n", 15);
            rnode_t *t = next_reply(x->c);
            if (t->type != '+' || strcmp(t->s, "RESET") != 0) fail_msg("step %d: RESET", step);
            rnode_free(t);
            memset(x->in, 0, sizeof(x->in));
        } else if (op == 9 && RND(10) == 0) { /* gone, and a new client */
            rc_close(x->c);
            x->c = rc_open(dt_redraft_port());
            memset(x->in, 0, sizeof(x->in));
        }
    }
    /* the server's totals are the model's (closes are done once PING answers) */
    const char *ping[1] = {"PING"};
    rc_cmdv(pub, 1, ping, NULL, NULL);
    for (int i = 0; i < MNAMES; i++) {
        for (int kind = 0; kind < 3; kind += 2) {
            long long want = 0;
            for (int j = 0; j < MCONN; j++) want += m[j].in[kind][i];
            const char *a[3] = {"PUBSUB", kind ? "SHARDNUMSUB" : "NUMSUB", mnames[i]};
            size_t len;
            const char *r = rc_cmdv(pub, 3, a, NULL, &len);
            rnode_t *t = r ? rc_parse_reply(r, len) : NULL;
            if (!t || t->n != 2 || t->e[1]->i != want)
                fail_msg("%s %s: %lld, model %lld", a[1], mnames[i], t && t->n == 2 ? t->e[1]->i : -1, want);
            rnode_free(t);
        }
    }
    long long pats = 0;
    for (int p = 0; p < MNAMES; p++) {
        bool any = false;
        for (int j = 0; j < MCONN; j++) any |= m[j].in[1][p];
        pats += any;
    }
    const char *np[2] = {"PUBSUB", "NUMPAT"};
    const char *r = rc_cmdv(pub, 2, np, NULL, NULL);
    if (!r || atoll(r + 1) != pats) fail_msg("NUMPAT %s, model %lld", r ? r : "nothing", pats);
    for (int i = 0; i < MCONN; i++) rc_close(m[i].c);
    rc_close(pub);
#undef RND
}

static void test_subscribe_publish(void **state)
{
    (void)state;
    run_script(subscribe_publish, sizeof(subscribe_publish) / sizeof(subscribe_publish[0]));
}

static void test_errors_and_reset(void **state)
{
    (void)state;
    run_script(errors, sizeof(errors) / sizeof(errors[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subscribe_publish),
        cmocka_unit_test(test_errors_and_reset),
        cmocka_unit_test(test_random_against_model),
    };
    return cmocka_run_group_tests_name("Pub/Sub and RESET against redis", tests, dt_setup, dt_teardown);
}
