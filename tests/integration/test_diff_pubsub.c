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
 * A last PING on every connection shows no message was left over. */
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
    };
    return cmocka_run_group_tests_name("Pub/Sub and RESET against redis", tests, dt_setup, dt_teardown);
}
