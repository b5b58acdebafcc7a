/* Pub/Sub on a real 3-node cluster (src/node/pubsub.c): a message never
 * enters the log; it goes to the node's own subscribers and over the peer
 * links (RAFT.PUBLISH) to every other member's.
 *  - every node delivers every message: RESP2 subscribers on the three
 *    nodes (the leader's with a pattern too) and a RESP3 one get a PUBLISH
 *    made on each node, PUBLISH answers the local receivers; 200 pipelined
 *    messages from one follower connection arrive in order on every node;
 *    SPUBLISH reaches the shard subscribers of every node; nothing arrives
 *    twice or as the wrong kind; a PUBLISH inside a transaction with a write
 *    sent to a follower is published once, and SUBSCRIBE there is refused;
 *  - PUBSUB CHANNELS/NUMSUB/NUMPAT/SHARDCHANNELS/SHARDNUMSUB and INFO's
 *    pubsub fields count the node's own subscribers only, and drop when one
 *    disconnects;
 *  - a follower killed (kill -9) misses what is published meanwhile, the
 *    others do not; restarted, it gets nothing old (no replay from the log)
 *    and new messages once the links are back, both ways;
 *  - a subscriber that does not read is closed past the 32 MB output limit
 *    (never before): pubsub_client_dropped in the log, gone from CLIENT
 *    LIST, EOF after its bytes; readers on that node and another get every
 *    1 MB message and the node still answers; a RESP3 client that publishes
 *    to itself and never reads is dropped the same way, and so is one sent a
 *    single message over the limit;
 *  - on a follower: a RESP2 subscriber's context (errors, PING's array),
 *    RESET leaving it (GET, a proxied SET), CLIENT LIST TYPE pubsub before
 *    and after, CLIENT KILL TYPE pubsub.
 * hiredis 0.14 reads no RESP3: the RESP3 subscriber is a raw connection
 * (tests/support/respcmp.c) checked byte for byte.
 * Every process is killed by its pid, also when a test fails. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "support/cluster.h"
#include "support/httpc.h"
#include "support/respcmp.h"

#define TIMEOUT_MS 3000 /* for any reply or message that must come */
#define ARGS(...) ((const char *[]){__VA_ARGS__, NULL})

static cluster_t cl;
static bool test_done;

/* Every node's links to the two others are up (INFO raft's link=up): what
 * is published before may be missed, as designed. */
static bool wait_links(int ms)
{
    int64_t deadline = cl_mono_ms() + ms;
    for (;;) {
        int ok = 0;
        for (int i = 0; i < CLUSTER_N; i++) {
            redisContext *c = cl_connect(&cl, i, 2000);
            redisReply *r = c ? cl_cmd(c, "INFO", "raft", NULL) : NULL;
            int up = 0;
            const char *p = r && r->type == REDIS_REPLY_STRING ? r->str : "";
            for (; (p = strstr(p, "link=up")); p++) up++;
            ok += up == CLUSTER_N - 1;
            if (r) freeReplyObject(r);
            if (c) redisFree(c);
        }
        if (ok == CLUSTER_N) return true;
        if (cl_mono_ms() > deadline) return false;
        usleep(20000);
    }
}

static int setup(void **state)
{
    (void)state;
    test_done = false;
    if (cluster_start(&cl, cluster_fast_args, NULL) < 0) return -1;
    if (wait_links(10000)) return 0;
    fprintf(stderr, "peer links not up after 10 s\n");
    cluster_dump_logs(&cl, 30);
    return -1;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < cl.n; i++)
        if (cl.stopped[i]) cluster_sigcont(&cl, i);
    if (!test_done) cluster_dump_logs(&cl, 30);
    return cluster_finish(&cl);
}

static redisContext *conn(int i)
{
    redisContext *c = cl_connect(&cl, i, TIMEOUT_MS);
    if (!c) fail_msg("cannot connect to node %d", cl.id[i]);
    return c;
}

/* A reply (or NULL) in cl_str's form; the reply is freed. */
static const char *str_of(redisReply *r, redisContext *c, char *b, size_t len)
{
    cl_str(r, c, b, len);
    if (r) freeReplyObject(r);
    return b;
}

/* The reply of a command must be want, in cl_str's one-line form; with
 * WAIT_REPLY it is asked again until it is (3 s: what follows a close). */
#define EXPECT_REPLY(c, want, ...) expect_reply_(__LINE__, (c), (want), false, ARGS(__VA_ARGS__))
#define WAIT_REPLY(c, want, ...) expect_reply_(__LINE__, (c), (want), true, ARGS(__VA_ARGS__))
static void expect_reply_(int line, redisContext *c, const char *want, bool wait, const char **argv)
{
    int argc = 0;
    while (argv[argc]) argc++;
    int64_t deadline = cl_mono_ms() + TIMEOUT_MS;
    char b[512];
    for (;;) {
        redisReply *r = redisCommandArgv(c, argc, argv, NULL);
        bool broken = !r;
        if (strcmp(str_of(r, c, b, sizeof(b)), want) == 0) return;
        if (!wait || broken || cl_mono_ms() > deadline)
            fail_msg("line %d: %s %s: got %s, want %s", line, argv[0], argc > 1 ? argv[1] : "", b, want);
        usleep(10000);
    }
}

/* The next message on a subscriber must be want (cl_str's form); the
 * connection's timeout fails a missing one. */
#define EXPECT_MSG(c, want) expect_msg_(__LINE__, (c), (want))
static void expect_msg_(int line, redisContext *c, const char *want)
{
    redisReply *r = NULL;
    char b[512];
    if (redisGetReply(c, (void **)&r) != REDIS_OK) r = NULL;
    if (strcmp(str_of(r, c, b, sizeof(b)), want) != 0) fail_msg("line %d: message %s, want %s", line, b, want);
}

/* Subscribes with kind (subscribe, psubscribe, ssubscribe) to one name:
 * the confirmation must carry count. */
#define SUB_ADD(c, kind, name, count) sub_add_(__LINE__, (c), (kind), (name), (count))
static void sub_add_(int line, redisContext *c, const char *kind, const char *name, int count)
{
    char want[256];
    snprintf(want, sizeof(want), "*3[$%s,$%s,:%d]", kind, name, count);
    expect_reply_(line, c, want, false, ARGS(kind, name));
}

/* The next reply on c within ms, leaving the connection usable after a
 * timeout (hiredis's own timeout breaks it): 1 and *out, 0 on timeout, -1. */
static int sub_poll(redisContext *c, int ms, redisReply **out)
{
    int64_t deadline = cl_mono_ms() + ms;
    for (;;) {
        void *r = NULL;
        if (redisGetReplyFromReader(c, &r) != REDIS_OK) return -1;
        if (r) {
            *out = r;
            return 1;
        }
        int left = (int)(deadline - cl_mono_ms());
        if (left <= 0) return 0;
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        int k = poll(&p, 1, left);
        if (k < 0 && errno != EINTR) return -1;
        if (k > 0 && redisBufferRead(c) != REDIS_OK) return -1;
    }
}

/* Nothing more arrives on any of the subscribers within 150 ms. */
static void expect_quiet(redisContext **subs, int n, rc_t *raw)
{
    struct pollfd p[8];
    int np = 0;
    for (int i = 0; i < n; i++) {
        void *r = NULL;
        if (redisGetReplyFromReader(subs[i], &r) != REDIS_OK || r) fail_msg("subscriber %d: an extra message", i);
        p[np++] = (struct pollfd){.fd = subs[i]->fd, .events = POLLIN};
    }
    if (raw && raw->off != raw->len) fail_msg("RESP3 subscriber: extra bytes");
    if (raw) p[np++] = (struct pollfd){.fd = raw->fd, .events = POLLIN};
    if (poll(p, (nfds_t)np, 150) != 0) fail_msg("a subscriber got more than it should");
}

/* The next reply on a raw RESP3 subscriber must be the push of a message. */
#define EXPECT_PUSH(c, kind, ch, msg) expect_push_(__LINE__, (c), (kind), (ch), (msg))
static void expect_push_(int line, rc_t *c, const char *kind, const char *ch, const char *msg)
{
    char want[512];
    snprintf(want, sizeof(want), ">3\r\n$%zu\r\n%s\r\n$%zu\r\n%s\r\n$%zu\r\n%s\r\n", strlen(kind), kind,
             strlen(ch), ch, strlen(msg), msg);
    const char *got;
    long n = rc_read(c, &got);
    if (n < 0) fail_msg("line %d: RESP3 subscriber: nothing (timeout or close), want %s", line, msg);
    resp_assert_eq_(__FILE__, line, got, (size_t)n, want, strlen(want));
}

/* INFO stats' field must be (become, within 3 s) want. */
#define WAIT_INFO(c, field, want) wait_info_(__LINE__, (c), (field), (want))
static void wait_info_(int line, redisContext *c, const char *field, long long want)
{
    int64_t deadline = cl_mono_ms() + TIMEOUT_MS;
    char key[64];
    snprintf(key, sizeof(key), "\n%s:", field);
    for (;;) {
        redisReply *r = cl_cmd(c, "INFO", "stats", NULL);
        const char *p = r && r->type == REDIS_REPLY_STRING ? strstr(r->str, key) : NULL;
        long long v = p ? atoll(p + strlen(key)) : -1;
        if (r) freeReplyObject(r);
        if (v == want) return;
        if (cl_mono_ms() > deadline) fail_msg("line %d: INFO %s = %lld, want %lld", line, field, v, want);
        usleep(10000);
    }
}

/* CLIENT LIST [TYPE type] on c, malloc'ed. */
static char *client_list(redisContext *c, const char *type)
{
    redisReply *r = type ? cl_cmd(c, "CLIENT", "LIST", "TYPE", type, NULL) : cl_cmd(c, "CLIENT", "LIST", NULL);
    if (!r || r->type != REDIS_REPLY_STRING) fail_msg("CLIENT LIST: no text");
    char *s = strdup(r->str);
    freeReplyObject(r);
    return s;
}

/* Whether the line of client id in CLIENT LIST [TYPE type] holds every
 * one of the (NULL-terminated) fields; false when it is not listed. */
static bool client_has(redisContext *c, const char *type, long long id, const char **fields)
{
    char *list = client_list(c, type), key[32];
    int kn = snprintf(key, sizeof(key), "id=%lld ", id);
    const char *p = list;
    while (p && strncmp(p, key, (size_t)kn) != 0) p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL;
    bool ok = p && *p;
    size_t len = ok ? strcspn(p, "\n") : 0;
    for (int i = 0; ok && fields[i]; i++) ok = memmem(p, len, fields[i], strlen(fields[i])) != NULL;
    free(list);
    return ok;
}

/* Reads a message on the leader's subscriber (channel, then pattern),
 * the two others' and the RESP3 one. */
static void expect_news(redisContext **sub, int l, rc_t *r3, const char *msg)
{
    char want[256];
    snprintf(want, sizeof(want), "*3[$message,$news,$%s]", msg);
    for (int j = 0; j < CLUSTER_N; j++)
        EXPECT_MSG(sub[j], want);
    snprintf(want, sizeof(want), "*4[$pmessage,$n*,$news,$%s]", msg);
    EXPECT_MSG(sub[l], want);
    EXPECT_PUSH(r3, "message", "news", msg);
}

static void test_every_node_delivers(void **state)
{
    (void)state;
    int l = cluster_log_leader(&cl, 10000);
    if (l < 0) fail_msg("no leader");
    int f = (l + 1) % CLUSTER_N, g = (l + 2) % CLUSTER_N, order[CLUSTER_N] = {l, f, g};
    redisContext *sub[CLUSTER_N], *pub[CLUSTER_N];
    for (int i = 0; i < CLUSTER_N; i++) {
        sub[i] = conn(i);
        pub[i] = conn(i);
        SUB_ADD(sub[i], "subscribe", "news", 1);
    }
    SUB_ADD(sub[l], "psubscribe", "n*", 2); /* the leader's gets each message twice */
    rc_t *r3 = rc_open(cl.node[f].port);
    assert_non_null(r3);
    r3->timeout_ms = TIMEOUT_MS;
    const char *hello = RC(r3, "HELLO", "3");
    if (!hello || hello[0] != '%') fail_msg("HELLO 3: %s", hello ? hello : "(nothing)");
    EXPECT(r3, ">3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n", "SUBSCRIBE", "news");
    long long local[CLUSTER_N];
    local[l] = 2, local[f] = 2, local[g] = 1;

    /* one message from each node (leader first): everybody gets all three */
    char msg[64], want[64];
    for (int k = 0; k < CLUSTER_N; k++) {
        int i = order[k];
        snprintf(msg, sizeof(msg), "from-node-%d", cl.id[i]);
        snprintf(want, sizeof(want), ":%lld", local[i]);
        EXPECT_REPLY(pub[i], want, "PUBLISH", "news", msg);
        expect_news(sub, l, r3, msg);
    }

    /* 200 pipelined messages from one follower connection: in order everywhere */
    enum { SEQ = 200 };
    for (int k = 0; k < SEQ; k++)
        redisAppendCommand(pub[g], "PUBLISH news seq-%03d", k);
    for (int k = 0; k < SEQ; k++) {
        redisReply *r = NULL;
        if (redisGetReply(pub[g], (void **)&r) != REDIS_OK || r->type != REDIS_REPLY_INTEGER || r->integer != local[g])
            fail_msg("pipelined PUBLISH %d: %s", k, str_of(r, pub[g], want, sizeof(want)));
        freeReplyObject(r);
    }
    for (int k = 0; k < SEQ; k++) {
        snprintf(msg, sizeof(msg), "seq-%03d", k);
        expect_news(sub, l, r3, msg);
    }

    /* shard channels: a shard subscriber on each node, SPUBLISH on each node */
    for (int j = 0; j < CLUSTER_N; j++)
        SUB_ADD(sub[j], "ssubscribe", "snews", 1);
    for (int k = 0; k < CLUSTER_N; k++) {
        snprintf(msg, sizeof(msg), "shard-from-node-%d", cl.id[order[k]]);
        EXPECT_REPLY(pub[order[k]], ":1", "SPUBLISH", "snews", msg);
        for (int j = 0; j < CLUSTER_N; j++) {
            char w[128];
            snprintf(w, sizeof(w), "*3[$smessage,$snews,$%s]", msg);
            EXPECT_MSG(sub[j], w);
        }
    }
    /* a channel and a shard channel of the same name are apart; n* is no match */
    EXPECT_REPLY(pub[l], ":0", "PUBLISH", "snews", "nobody");
    EXPECT_REPLY(pub[f], ":0", "SPUBLISH", "news", "nobody");
    expect_quiet(sub, CLUSTER_N, r3);

    /* PUBLISH inside a transaction with a write, sent to a follower (proxied
     * to the leader, applied on every node): published once, by the leader
     * (whose receivers it counts), never again by a follower's apply */
    EXPECT_REPLY(pub[g], "+OK", "MULTI");
    EXPECT_REPLY(pub[g], "+QUEUED", "SET", "tx", "1");
    EXPECT_REPLY(pub[g], "+QUEUED", "PUBLISH", "news", "in-tx");
    EXPECT_REPLY(pub[g], "*2[+OK,:2]", "EXEC");
    expect_news(sub, l, r3, "in-tx");
    /* SUBSCRIBE in such a transaction would subscribe the forwarding session */
    EXPECT_REPLY(pub[g], "+OK", "MULTI");
    EXPECT_REPLY(pub[g], "+QUEUED", "SET", "tx", "2");
    EXPECT_REPLY(pub[g], "+QUEUED", "SUBSCRIBE", "x");
    EXPECT_REPLY(pub[g], "*2[+OK,-ERR SUBSCRIBE inside a transaction is not supported through a follower; run it "
                         "on its own]",
                 "EXEC");
    EXPECT_REPLY(pub[g], "$2", "GET", "tx"); /* not a subscriber: it runs anything */
    expect_quiet(sub, CLUSTER_N, r3);

    for (int i = 0; i < CLUSTER_N; i++) {
        redisFree(sub[i]);
        redisFree(pub[i]);
    }
    rc_close(r3);
    test_done = true;
}

static void test_counts_are_per_node(void **state)
{
    (void)state;
    redisContext *ctl[CLUSTER_N];
    for (int i = 0; i < CLUSTER_N; i++)
        ctl[i] = conn(i);
    /* node 1: two on a, one on b; node 2: one on a, two patterns; node 3: a shard channel */
    redisContext *a1 = conn(0), *a2 = conn(0), *b1 = conn(0), *a3 = conn(1), *p1 = conn(1), *s1 = conn(2);
    SUB_ADD(a1, "subscribe", "a", 1);
    SUB_ADD(a2, "subscribe", "a", 1);
    SUB_ADD(b1, "subscribe", "b", 1);
    SUB_ADD(a3, "subscribe", "a", 1);
    SUB_ADD(p1, "psubscribe", "p*", 1);
    SUB_ADD(p1, "psubscribe", "q*", 2);
    SUB_ADD(s1, "ssubscribe", "sa", 1);

    EXPECT_REPLY(ctl[0], "*1[$a]", "PUBSUB", "CHANNELS", "a"); /* of the two (INFO below) */
    EXPECT_REPLY(ctl[0], "*1[$b]", "PUBSUB", "CHANNELS", "b*");
    EXPECT_REPLY(ctl[0], "*6[$a,:2,$b,:1,$c,:0]", "PUBSUB", "NUMSUB", "a", "b", "c");
    EXPECT_REPLY(ctl[0], ":0", "PUBSUB", "NUMPAT");
    EXPECT_REPLY(ctl[0], "*0[]", "PUBSUB", "SHARDCHANNELS");
    EXPECT_REPLY(ctl[0], "*2[$sa,:0]", "PUBSUB", "SHARDNUMSUB", "sa");
    EXPECT_REPLY(ctl[1], "*1[$a]", "PUBSUB", "CHANNELS");
    EXPECT_REPLY(ctl[1], "*4[$a,:1,$b,:0]", "PUBSUB", "NUMSUB", "a", "b");
    EXPECT_REPLY(ctl[1], ":2", "PUBSUB", "NUMPAT");
    EXPECT_REPLY(ctl[1], "*0[]", "PUBSUB", "SHARDCHANNELS");
    EXPECT_REPLY(ctl[2], "*0[]", "PUBSUB", "CHANNELS");
    EXPECT_REPLY(ctl[2], "*2[$a,:0]", "PUBSUB", "NUMSUB", "a");
    EXPECT_REPLY(ctl[2], ":0", "PUBSUB", "NUMPAT");
    EXPECT_REPLY(ctl[2], "*1[$sa]", "PUBSUB", "SHARDCHANNELS");
    EXPECT_REPLY(ctl[2], "*2[$sa,:1]", "PUBSUB", "SHARDNUMSUB", "sa");
    static const char *const fields[3] = {"pubsub_channels", "pubsub_patterns", "pubsubshard_channels"};
    const long long want[CLUSTER_N][3] = {{2, 0, 0}, {1, 2, 0}, {0, 0, 1}};
    for (int i = 0; i < CLUSTER_N; i++)
        for (int k = 0; k < 3; k++)
            WAIT_INFO(ctl[i], fields[k], want[i][k]);
    /* PUBLISH counts the same: local receivers only */
    EXPECT_REPLY(ctl[0], ":2", "PUBLISH", "a", "x");
    EXPECT_REPLY(ctl[1], ":1", "PUBLISH", "a", "x");
    EXPECT_REPLY(ctl[1], ":1", "PUBLISH", "pa", "x");
    EXPECT_REPLY(ctl[2], ":0", "PUBLISH", "a", "x");

    /* subscribers leave by closing: their node's counts drop, others' stay */
    redisFree(b1);
    WAIT_REPLY(ctl[0], "*2[$b,:0]", "PUBSUB", "NUMSUB", "b");
    EXPECT_REPLY(ctl[0], "*1[$a]", "PUBSUB", "CHANNELS");
    WAIT_INFO(ctl[0], "pubsub_channels", 1);
    redisFree(a1);
    WAIT_REPLY(ctl[0], "*2[$a,:1]", "PUBSUB", "NUMSUB", "a");
    EXPECT_REPLY(ctl[1], "*2[$a,:1]", "PUBSUB", "NUMSUB", "a");
    redisFree(p1);
    WAIT_REPLY(ctl[1], ":0", "PUBSUB", "NUMPAT");
    WAIT_INFO(ctl[1], "pubsub_patterns", 0);
    WAIT_INFO(ctl[1], "pubsub_channels", 1);
    redisFree(s1);
    WAIT_REPLY(ctl[2], "*2[$sa,:0]", "PUBSUB", "SHARDNUMSUB", "sa");
    EXPECT_REPLY(ctl[2], "*0[]", "PUBSUB", "SHARDCHANNELS");
    WAIT_INFO(ctl[2], "pubsubshard_channels", 0);
    redisFree(a2);
    WAIT_REPLY(ctl[0], "*2[$a,:0]", "PUBSUB", "NUMSUB", "a");
    EXPECT_REPLY(ctl[0], "*0[]", "PUBSUB", "CHANNELS");
    WAIT_INFO(ctl[0], "pubsub_channels", 0);
    EXPECT_REPLY(ctl[1], "*2[$a,:1]", "PUBSUB", "NUMSUB", "a");
    redisFree(a3);
    for (int i = 0; i < CLUSTER_N; i++)
        redisFree(ctl[i]);
    test_done = true;
}

/* j of a message "<prefix>-<j>" on channel news (r freed), or -1 with the
 * message in b. */
static int seq_of(redisReply *r, redisContext *c, const char *prefix, char *b, size_t len)
{
    size_t pl = strlen(prefix);
    int j = -1;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[2]->type == REDIS_REPLY_STRING &&
        strcmp(r->element[0]->str, "message") == 0 && strcmp(r->element[1]->str, "news") == 0 &&
        strncmp(r->element[2]->str, prefix, pl) == 0 && r->element[2]->str[pl] == '-')
        j = atoi(r->element[2]->str + pl + 1);
    str_of(r, c, b, len);
    return j;
}

/* Reads "<prefix>-<j>" messages on c, j increasing (every j from 0 when
 * all), until j == last. */
static void drain_until(int line, redisContext *c, const char *prefix, int next, int last, bool all)
{
    while (next <= last) {
        redisReply *r = NULL;
        char b[256];
        if (redisGetReply(c, (void **)&r) != REDIS_OK) r = NULL;
        int j = seq_of(r, c, prefix, b, sizeof(b));
        if (j < next || (all && j != next)) fail_msg("line %d: got %s, want %s-%d", line, b, prefix, next);
        next = j + 1;
    }
}

/* Publishes "<prefix>-<k>" on pub (each answering local) for k = 0, 1, ...
 * until `to` gets one (10 s at most), then reads what `to` has up to the
 * last; returns the last k. What `to` gets first must be one of them. */
static int publish_until(int line, redisContext *pub, long long local, const char *prefix, redisContext *to)
{
    int64_t deadline = cl_mono_ms() + 10000;
    char msg[64], want[16], b[256];
    snprintf(want, sizeof(want), ":%lld", local);
    for (int k = 0;; k++) {
        snprintf(msg, sizeof(msg), "%s-%d", prefix, k);
        expect_reply_(line, pub, want, false, ARGS("PUBLISH", "news", msg));
        redisReply *r = NULL;
        int got = sub_poll(to, 200, &r);
        if (got < 0) fail_msg("line %d: subscriber lost: %s", line, to->errstr);
        if (got == 0 && cl_mono_ms() < deadline) continue;
        if (got == 0) fail_msg("line %d: nothing delivered after 10 s (%d messages)", line, k + 1);
        int j = seq_of(r, to, prefix, b, sizeof(b));
        if (j < 0 || j > k) fail_msg("line %d: first message after the restart: %s", line, b);
        drain_until(line, to, prefix, j + 1, k, true);
        print_message("%s: first delivered: %s-%d of %d published\n", prefix, prefix, j, k + 1);
        return k;
    }
}

static void test_node_down_misses(void **state)
{
    (void)state;
    int l = cluster_log_leader(&cl, 10000);
    if (l < 0) fail_msg("no leader");
    int f = (l + 1) % CLUSTER_N, g = (l + 2) % CLUSTER_N;
    redisContext *sub[CLUSTER_N];
    for (int i = 0; i < CLUSTER_N; i++) {
        sub[i] = conn(i);
        SUB_ADD(sub[i], "subscribe", "news", 1);
    }
    redisContext *pl = conn(l), *pg = conn(g);

    cluster_kill9(&cl, f);
    redisFree(sub[f]);
    EXPECT_REPLY(pl, ":1", "PUBLISH", "news", "while-down-1");
    EXPECT_REPLY(pg, ":1", "PUBLISH", "news", "while-down-2");
    EXPECT_MSG(sub[l], "*3[$message,$news,$while-down-1]");
    EXPECT_MSG(sub[g], "*3[$message,$news,$while-down-1]");
    EXPECT_MSG(sub[l], "*3[$message,$news,$while-down-2]");
    EXPECT_MSG(sub[g], "*3[$message,$news,$while-down-2]");

    if (cluster_restart(&cl, f) < 0) fail_msg("node %d did not restart", cl.id[f]);
    sub[f] = conn(f);
    SUB_ADD(sub[f], "subscribe", "news", 1);
    /* leader -> restarted node once the leader's link is back; nothing old */
    int last = publish_until(__LINE__, pl, 1, "probe", sub[f]);
    drain_until(__LINE__, sub[l], "probe", 0, last, true);
    drain_until(__LINE__, sub[g], "probe", 0, last, true);
    /* restarted node -> the others, over its own new links */
    redisContext *pf = conn(f);
    last = publish_until(__LINE__, pf, 1, "back", sub[l]);
    drain_until(__LINE__, sub[f], "back", 0, last, true);
    drain_until(__LINE__, sub[g], "back", 0, last, false);
    /* and from then on everybody gets everything */
    EXPECT_REPLY(pg, ":1", "PUBLISH", "news", "all-up");
    for (int i = 0; i < CLUSTER_N; i++)
        EXPECT_MSG(sub[i], "*3[$message,$news,$all-up]");
    expect_quiet(sub, CLUSTER_N, NULL);

    for (int i = 0; i < CLUSTER_N; i++)
        redisFree(sub[i]);
    redisFree(pl);
    redisFree(pg);
    redisFree(pf);
    test_done = true;
}

/* Whether node i's log has a line holding both a and b. */
static bool log_has(int i, const char *a, const char *b)
{
    FILE *fp = fopen(cl.node[i].log, "r");
    if (!fp) return false;
    char *line = NULL;
    size_t cap = 0;
    bool found = false;
    while (!found && getline(&line, &cap, fp) > 0)
        found = strstr(line, a) && strstr(line, b);
    free(line);
    fclose(fp);
    return found;
}

/* A client of node i that never reads, with a small receive window (set
 * before connecting), and its "addr=ip:port " as CLIENT LIST and the log
 * name it. */
static rc_t *unread_client(int i, char *addr, size_t addrlen)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), small = 4096;
    assert_true(fd >= 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cl.node[i].port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) fail_msg("connect: %s", strerror(errno));
    rc_t *c = calloc(1, sizeof(*c)); /* as rc_open makes it */
    c->fd = fd;
    c->port = cl.node[i].port;
    c->timeout_ms = TIMEOUT_MS;
    struct sockaddr_in me;
    socklen_t melen = sizeof(me);
    getsockname(fd, (struct sockaddr *)&me, &melen);
    snprintf(addr, addrlen, "addr=127.0.0.1:%d ", ntohs(me.sin_port));
    return c;
}

/* Node i's log says it dropped the client at addr, within ms. */
static void wait_dropped(int i, const char *addr, int ms, const char *who)
{
    int64_t deadline = cl_mono_ms() + ms;
    while (!log_has(i, "event=pubsub_client_dropped", addr))
        if (cl_mono_ms() > deadline) fail_msg("%s (%s) was not dropped by node %d", who, addr, cl.id[i]);
        else usleep(10000);
}

static void test_slow_subscriber_dropped(void **state)
{
    (void)state;
    int l = cluster_log_leader(&cl, 10000);
    if (l < 0) fail_msg("no leader");
    int i = (l + 1) % CLUSTER_N; /* the slow one on a follower, a reader on the leader too */
    /* a subscriber that never reads */
    char addr[64];
    rc_t *slow = unread_client(i, addr, sizeof(addr));
    EXPECT(slow, "*3\r\n$9\r\nsubscribe\r\n$3\r\nbig\r\n:1\r\n", "SUBSCRIBE", "big");

    redisContext *readers[2] = {conn(i), conn(l)}, *pub = conn(i), *ctl = conn(i);
    SUB_ADD(readers[0], "subscribe", "big", 1);
    SUB_ADD(readers[1], "subscribe", "big", 1);
    char *list = client_list(ctl, "pubsub");
    bool listed = strstr(list, addr) != NULL;
    free(list);
    if (!listed) fail_msg("the slow subscriber (%s) is not in CLIENT LIST TYPE pubsub", addr);

    /* 1 MB messages until the slow one is dropped, never before 32 MB are
     * queued for it; the readers get each one */
    enum { MB = 1 << 20, MAXMSG = 64 };
    char *payload = malloc(MB);
    memset(payload, 'x', MB);
    const char *argv[3] = {"PUBLISH", "big", payload};
    size_t lens[3] = {7, 3, MB};
    int twos = 0;
    bool dropped = false;
    for (int k = 0; k < MAXMSG && !dropped; k++) {
        char tag[16];
        snprintf(tag, sizeof(tag), "%06d:", k);
        memcpy(payload, tag, 7);
        redisReply *r = redisCommandArgv(pub, 3, argv, lens);
        if (!r || r->type != REDIS_REPLY_INTEGER || r->integer < 1 || r->integer > 2)
            fail_msg("PUBLISH %d: %s", k, r ? "not :1 or :2" : pub->errstr);
        twos += r->integer == 2;
        dropped = r->integer == 1;
        freeReplyObject(r);
        for (int j = 0; j < 2; j++) {
            redisReply *m = NULL;
            if (redisGetReply(readers[j], (void **)&m) != REDIS_OK)
                fail_msg("reader %d: message %d: %s", j, k, readers[j]->errstr);
            bool ok = m->type == REDIS_REPLY_ARRAY && m->elements == 3 && m->element[2]->len == MB &&
                      memcmp(m->element[2]->str, payload, MB) == 0;
            freeReplyObject(m);
            if (!ok) fail_msg("reader %d: message %d is not the one published", j, k);
        }
    }
    free(payload);
    if (!dropped) fail_msg("the slow subscriber was not dropped after %d MB", MAXMSG);
    if (twos < 33) fail_msg("dropped after %d messages: before 32 MB were queued", twos);
    print_message("slow subscriber dropped after %d messages of 1 MB\n", twos);

    list = client_list(ctl, NULL);
    listed = strstr(list, addr) != NULL;
    free(list);
    if (listed) fail_msg("the slow subscriber is still in CLIENT LIST");
    wait_dropped(i, addr, TIMEOUT_MS, "the slow subscriber");
    /* what the kernel held for it, then the end */
    if (!rc_wait_closed(slow, TIMEOUT_MS, NULL)) fail_msg("the slow subscriber's connection is still open");
    rc_close(slow);

    /* a RESP3 client publishing to itself and never reading is held to the
     * same limit (its messages wait for the end of each PUBLISH first) */
    rc_t *self = unread_client(i, addr, sizeof(addr));
    const char *hello3[] = {"HELLO", "3"};
    if (!rc_cmdv(self, 2, hello3, NULL, NULL)) fail_msg("HELLO 3");
    EXPECT(self, ">3\r\n$9\r\nsubscribe\r\n$2\r\nme\r\n:1\r\n", "SUBSCRIBE", "me");
    payload = malloc(MB);
    memset(payload, 'y', MB);
    rbuf_t req = {0};
    const char *pargv[3] = {"PUBLISH", "me", payload};
    size_t plens[3] = {7, 2, MB};
    resp_encode(&req, 3, pargv, plens);
    for (int k = 0; k < 48; k++)
        if (rc_write(self, req.p, req.len) < 0) break; /* closed by the node: expected at some point */
    rbuf_free(&req);
    free(payload);
    wait_dropped(i, addr, 30000, "the self-publishing client"); /* 48 MB of requests: slow under ASan */
    list = client_list(ctl, NULL);
    listed = strstr(list, addr) != NULL;
    free(list);
    if (listed) fail_msg("the self-publishing client is still in CLIENT LIST");
    rc_close(self);

    /* one message bigger than the limit is enough (nothing else would ever
     * come to make the node look again) */
    rc_t *huge = unread_client(i, addr, sizeof(addr));
    EXPECT(huge, "*3\r\n$9\r\nsubscribe\r\n$4\r\nhuge\r\n:1\r\n", "SUBSCRIBE", "huge");
    size_t hlen = 40u << 20;
    char *hp = malloc(hlen);
    memset(hp, 'h', hlen);
    const char *hargv[3] = {"PUBLISH", "huge", hp};
    size_t hlens[3] = {7, 4, hlen};
    redisReply *hr = redisCommandArgv(pub, 3, hargv, hlens);
    free(hp);
    if (!hr || hr->type != REDIS_REPLY_INTEGER) fail_msg("PUBLISH of 40 MB: %s", hr ? "not an integer" : pub->errstr);
    freeReplyObject(hr);
    wait_dropped(i, addr, 30000, "the subscriber of one 40 MB message");
    rc_close(huge);

    /* the node and the other subscribers go on; the link to the leader may
     * still carry the 40 MB message, and a link that busy drops messages
     * (at most once): publish until the leader's reader gets one */
    EXPECT_REPLY(ctl, "+PONG", "PING");
    EXPECT_REPLY(ctl, "*2[$big,:1]", "PUBSUB", "NUMSUB", "big");
    int64_t deadline = cl_mono_ms() + 15000;
    for (bool got = false; !got;) {
        if (cl_mono_ms() > deadline) fail_msg("the leader's reader got nothing after the 40 MB message");
        EXPECT_REPLY(pub, ":1", "PUBLISH", "big", "after");
        EXPECT_MSG(readers[0], "*3[$message,$big,$after]");
        redisReply *m = NULL;
        int k = sub_poll(readers[1], 300, &m);
        if (k < 0) fail_msg("the leader's reader: %s", readers[1]->errstr);
        if (k == 1) {
            char b[128];
            if (strcmp(str_of(m, readers[1], b, sizeof(b)), "*3[$message,$big,$after]") != 0)
                fail_msg("the leader's reader got %s", b);
            got = true;
        }
    }
    for (int j = 0; j < 2; j++) redisFree(readers[j]);

    /* /metrics counts the three subscribers dropped and what was published */
    httpc_resp_t hres;
    char herr[128];
    if (httpc_request(cluster_http_port(&cl, i), "GET", "/metrics", NULL, NULL, TIMEOUT_MS, &hres, herr,
                      sizeof(herr)) < 0)
        fail_msg("GET /metrics: %s", herr);
    static const char dkey[] = "\nredraft_pubsub_clients_dropped_total ", pkey[] = "\nredraft_pubsub_published_total ";
    const char *dropline = strstr(hres.body, dkey), *published = strstr(hres.body, pkey);
    if (!dropline || atoll(dropline + sizeof(dkey) - 1) != 3) fail_msg("redraft_pubsub_clients_dropped_total is not 3");
    if (!published || atoll(published + sizeof(pkey) - 1) < 35)
        fail_msg("redraft_pubsub_published_total below the 35 sent");
    httpc_free(&hres);
    redisFree(pub);
    redisFree(ctl);
    test_done = true;
}

#define NOT_IN_CONTEXT(cmd)                                                                                  \
    "-ERR Can't execute '" cmd "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed " \
    "in this context"

static void test_reset_on_follower(void **state)
{
    (void)state;
    int l = cluster_log_leader(&cl, 10000);
    if (l < 0) fail_msg("no leader");
    int f = (l + 1) % CLUSTER_N;
    redisContext *s = conn(f), *ctl = conn(f), *lc = conn(l);
    redisReply *r = cl_cmd(s, "CLIENT", "ID", NULL);
    assert_true(r && r->type == REDIS_REPLY_INTEGER);
    long long id = r->integer;
    freeReplyObject(r);
    SUB_ADD(s, "subscribe", "ch", 1);
    if (!client_has(ctl, "pubsub", id, ARGS(" flags=P ", " sub=1 psub=0 ssub=0 ")))
        fail_msg("the subscriber is not in CLIENT LIST TYPE pubsub with flags=P sub=1");

    /* a RESP2 subscriber's context */
    EXPECT_REPLY(s, NOT_IN_CONTEXT("get"), "GET", "rk");
    EXPECT_REPLY(s, NOT_IN_CONTEXT("set"), "SET", "rk", "v");
    EXPECT_REPLY(s, NOT_IN_CONTEXT("client|list"), "CLIENT", "LIST");
    EXPECT_REPLY(s, "*2[$pong,$]", "PING");
    EXPECT_REPLY(s, "*2[$pong,$hi]", "PING", "hi");
    EXPECT_REPLY(ctl, ":1", "PUBLISH", "ch", "m1");
    EXPECT_MSG(s, "*3[$message,$ch,$m1]");

    /* RESET: a plain connection again, its writes proxied to the leader */
    EXPECT_REPLY(s, "+RESET", "RESET");
    EXPECT_REPLY(s, "+PONG", "PING");
    EXPECT_REPLY(s, "(nil)", "GET", "rk");
    EXPECT_REPLY(s, "+OK", "SET", "rk", "v1");
    EXPECT_REPLY(s, "$v1", "GET", "rk");
    EXPECT_REPLY(lc, "$v1", "GET", "rk");
    if (client_has(ctl, "pubsub", id, ARGS("")))
        fail_msg("still in CLIENT LIST TYPE pubsub after RESET");
    if (!client_has(ctl, "normal", id, ARGS(" flags=N ", " sub=0 psub=0 ssub=0 ")))
        fail_msg("not in CLIENT LIST TYPE normal with flags=N sub=0 after RESET");
    EXPECT_REPLY(ctl, ":0", "PUBLISH", "ch", "m2");
    expect_quiet(&s, 1, NULL);

    /* CLIENT KILL TYPE pubsub closes the subscribers only */
    redisContext *k2 = conn(f);
    SUB_ADD(k2, "psubscribe", "c*", 1);
    EXPECT_REPLY(ctl, ":1", "CLIENT", "KILL", "TYPE", "pubsub");
    r = NULL;
    if (redisGetReply(k2, (void **)&r) == REDIS_OK) fail_msg("the killed subscriber got a reply");
    if (k2->err != REDIS_ERR_EOF && k2->err != REDIS_ERR_IO) fail_msg("killed subscriber: %s", k2->errstr);
    WAIT_REPLY(ctl, ":0", "PUBSUB", "NUMPAT");
    char *list = client_list(ctl, "pubsub");
    bool empty = list[0] == '\0';
    free(list);
    if (!empty) fail_msg("CLIENT LIST TYPE pubsub is not empty after CLIENT KILL TYPE pubsub");
    EXPECT_REPLY(s, "+PONG", "PING");
    redisFree(k2);
    redisFree(s);
    redisFree(ctl);
    redisFree(lc);
    test_done = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_node_delivers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counts_are_per_node, setup, teardown),
        cmocka_unit_test_setup_teardown(test_node_down_misses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_subscriber_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_on_follower, setup, teardown),
    };
    return cmocka_run_group_tests_name("pubsub_cluster", tests, NULL, NULL);
}
