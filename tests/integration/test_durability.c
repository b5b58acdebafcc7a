/* Durability: what a client saw acknowledged survives a clean restart (SIGTERM
 * or SHUTDOWN) and a kill -9, TTLs included; a crash keeps a prefix of each connection's
 * writes (no holes), transactions whole or not at all, and the key count
 * right. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/proc.h"
#include "support/respcmp.h"

static testproc_t srv;

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void assert_between(long long v, long long lo, long long hi)
{
    if (v < lo || v > hi) fail_msg("%lld not in [%lld, %lld]", v, lo, hi);
}

static int group_setup(void **state)
{
    return proc_start(&srv, NULL);
}

static int group_teardown(void **state)
{
    return proc_finish(&srv);
}

static void restart(void)
{
    if (proc_restart(&srv) != 0) {
        proc_dump_log(&srv, 30);
        fail_msg("the server did not come back on its data dir");
    }
}

/* ---- clean restart ------------------------------------------------------- */

/* SHUTDOWN, as redis-cli shutdown sends it: its errors as Redis gives them,
 * refused inside MULTI (the transaction then fails), and when it goes ahead
 * no reply, the connection closed, the process ended with exit code 0 and
 * every write it had acknowledged there after a restart. */
static void test_shutdown_command(void **state)
{
    rc_t *c = rc_open(srv.port);
    EXPECT(c, "+OK\r\n", "FLUSHALL");
    EXPECT(c, "+OK\r\n", "SET", "before-shutdown", "kept");
    EXPECT(c, ":3\r\n", "RPUSH", "list", "a", "b", "c");
    EXPECT(c, "-ERR No shutdown in progress.\r\n", "SHUTDOWN", "ABORT");
    EXPECT(c, "-ERR No shutdown in progress.\r\n", "shutdown", "abort", "ABORT");
    EXPECT(c, "-ERR syntax error\r\n", "SHUTDOWN", "LATER");
    EXPECT(c, "-ERR syntax error\r\n", "SHUTDOWN", "SAVE", "NOSAVE");
    EXPECT(c, "-ERR syntax error\r\n", "SHUTDOWN", "NOW", "ABORT");
    EXPECT(c, "-ERR syntax error\r\n", "SHUTDOWN", "ABORT", "FORCE");
    EXPECT(c, "+OK\r\n", "MULTI");
    EXPECT(c, "+QUEUED\r\n", "SET", "in-multi", "1");
    EXPECT(c, "-ERR Command not allowed inside a transaction\r\n", "SHUTDOWN", "NOSAVE");
    EXPECT(c, "-EXECABORT Transaction discarded because of previous errors.\r\n", "EXEC");
    EXPECT(c, ":0\r\n", "EXISTS", "in-multi");
    assert_true(proc_alive(&srv));

    /* it goes ahead: no reply, the connection closes, the process exits 0 */
    const char *r = RC(c, "SHUTDOWN", "NOSAVE", "NOW");
    if (r) fail_msg("SHUTDOWN answered %s; Redis answers nothing and closes the connection", r);
    if (!c->eof) fail_msg("SHUTDOWN: no reply, but the connection was not closed either");
    int st = 0;
    if (!proc_wait_dead(&srv, 10000, &st)) fail_msg("the server still runs 10 s after SHUTDOWN");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char b[96];
        fail_msg("after SHUTDOWN the server ended with %s", proc_status_str(st, b, sizeof(b)));
    }
    rc_close(c);
    restart();
    c = rc_open(srv.port);
    EXPECT(c, "$4\r\nkept\r\n", "GET", "before-shutdown");
    EXPECT(c, "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", "LRANGE", "list", "0", "-1");
    rc_close(c);
}

static void test_restart_keeps_everything(void **state)
{
    rc_t *c = rc_open(srv.port);
    EXPECT(c, "+OK\r\n", "FLUSHALL");
    EXPECT(c, "+OK\r\n", "SET", "plain", "value");
    EXPECT(c, "+OK\r\n", "SET", "ex", "e", "EX", "1000");
    EXPECT(c, "+OK\r\n", "SET", "px", "p", "PX", "500000");
    char at[32];
    snprintf(at, sizeof(at), "%lld", (long long)(now_ms() + 3600000));
    EXPECT(c, "+OK\r\n", "SET", "pxat", "a", "PXAT", at);
    int64_t short_set = now_ms();
    EXPECT(c, "+OK\r\n", "SET", "short", "s", "PX", "300");
    EXPECT(c, "+OK\r\n", "MSET", "m1", "1", "m2", "2", "m3", "3");
    EXPECT(c, ":1\r\n", "DEL", "m2");
    EXPECT(c, ":42\r\n", "INCRBY", "n", "42");
    EXPECT(c, "$4\r\n43.5\r\n", "INCRBYFLOAT", "n", "1.5");
    EXPECT(c, ":6\r\n", "APPEND", "plain", "!");
    EXPECT(c, ":6\r\n", "SETRANGE", "plain", "0", "V");
    EXPECT(c, "+OK\r\n", "RENAME", "m3", "renamed");
    EXPECT(c, ":1\r\n", "EXPIRE", "renamed", "2000");
    EXPECT(c, ":1\r\n", "PERSIST", "ex");
    EXPECT(c, ":1\r\n", "EXPIRE", "ex", "1000");
    size_t big = 300000;
    char *v = malloc(big);
    for (size_t i = 0; i < big; i++) v[i] = (char)(i * 31 + 7);
    const char *sv[] = {"SET", "big\0bin", v};
    const size_t sl[] = {3, 7, big};
    EXPECTV(c, "+OK\r\n", 3, sv, sl);
    EXPECT(c, "+OK\r\n", "MULTI");
    EXPECT(c, "+QUEUED\r\n", "SET", "tx1", "1");
    EXPECT(c, "+QUEUED\r\n", "SET", "tx2", "2", "EX", "900");
    EXPECT(c, "*2\r\n+OK\r\n+OK\r\n", "EXEC");
    long long ex_at = RCI(c, "PEXPIRETIME", "ex");
    long long px_at = RCI(c, "PEXPIRETIME", "px");
    long long ren_at = RCI(c, "PEXPIRETIME", "renamed");
    long long tx2_at = RCI(c, "PEXPIRETIME", "tx2");
    assert_true(ex_at > 0 && px_at > 0 && ren_at > 0 && tx2_at > 0);
    /* plain ex px pxat short m1 m3->renamed n big tx1 tx2 */
    rc_close(c);

    int st;
    if (proc_stop_status(&srv, &st) != 0) {
        char b[96];
        fail_msg("SIGTERM did not stop the server cleanly: %s", proc_status_str(st, b, sizeof(b)));
    }
    while (now_ms() < short_set + 350) usleep(10000); /* "short" expires while the server is down */
    restart();

    c = rc_open(srv.port);
    EXPECT(c, "$6\r\nValue!\r\n", "GET", "plain");
    EXPECT(c, ":-1\r\n", "TTL", "plain");
    EXPECT(c, "$1\r\ne\r\n", "GET", "ex");
    /* absolute expiry times are the same as before the restart */
    assert_int_equal(RCI(c, "PEXPIRETIME", "ex"), ex_at);
    assert_int_equal(RCI(c, "PEXPIRETIME", "px"), px_at);
    assert_int_equal(RCI(c, "PEXPIRETIME", "renamed"), ren_at);
    assert_int_equal(RCI(c, "PEXPIRETIME", "tx2"), tx2_at);
    assert_between(RCI(c, "TTL", "ex"), 990, 1000);
    assert_between(RCI(c, "PTTL", "px"), 490000, 500000);
    assert_between(RCI(c, "TTL", "pxat"), 3590, 3600);
    EXPECT(c, "$1\r\np\r\n", "GET", "px");
    EXPECT(c, "$1\r\na\r\n", "GET", "pxat");
    /* expired during the downtime: gone for reads at once */
    EXPECT(c, "$-1\r\n", "GET", "short");
    EXPECT(c, ":-2\r\n", "TTL", "short");
    EXPECT(c, "*3\r\n$1\r\n1\r\n$-1\r\n$-1\r\n", "MGET", "m1", "m2", "m3");
    EXPECT(c, "$1\r\n3\r\n", "GET", "renamed");
    EXPECT(c, "$4\r\n43.5\r\n", "GET", "n");
    EXPECT(c, "$1\r\n1\r\n", "GET", "tx1");
    EXPECT(c, "$1\r\n2\r\n", "GET", "tx2");
    size_t n;
    const char *gv[] = {"GET", "big\0bin"};
    const size_t gl[] = {3, 7};
    const char *r = rc_cmdv(c, 2, gv, gl, &n);
    assert_non_null(r);
    assert_int_equal(n, big + 11);
    assert_memory_equal(r, "$300000\r\n", 9);
    assert_memory_equal(r + 9, v, big);
    free(v);
    /* 10 live keys; "short" leaves the count once the expiry cycle ran */
    long long size = -1;
    for (int64_t t0 = now_ms(); now_ms() < t0 + 2000;) {
        size = RCI(c, "DBSIZE");
        if (size == 10) break;
        usleep(20000);
    }
    assert_int_equal(size, 10);
    /* and it keeps working: new writes land after the old ones */
    EXPECT(c, ":2\r\n", "INCR", "m1");
    EXPECT(c, "$1\r\n2\r\n", "GET", "m1");
    rc_close(c);
}

/* ---- kill -9 --------------------------------------------------------------- */

/* Key and value of write i of writer w in round r: deterministic, so the
 * check after the crash needs no record of what was sent. Values vary in
 * length and hold binary bytes. */
static void make_kv(const char *tag, int r, int w, long i, char *k, size_t klen, char *v, size_t *vlen)
{
    snprintf(k, klen, "%s:%d:%d:%ld", tag, r, w, i);
    unsigned h = (unsigned)r * 7919u + (unsigned)w * 104729u + (unsigned)i * 2654435761u;
    int n = snprintf(v, 64, "v%ld-%08x-", i, h);
    int extra = (int)(h % 23);
    for (int j = 0; j < extra; j++) v[n++] = (char)("\0\r\nabc"[j % 6]);
    *vlen = (size_t)n;
}

static void encode_set(rbuf_t *b, const char *tag, int r, int w, long i)
{
    char k[64], v[96];
    size_t vl;
    make_kv(tag, r, w, i, k, sizeof(k), v, &vl);
    const char *argv[] = {"SET", k, v};
    const size_t lens[] = {3, strlen(k), vl};
    resp_encode(b, 3, argv, lens);
}

/* GETs keys [0, upto) of (tag, r, w), pipelined. Returns how many are
 * present; they must be a prefix (a crash keeps a prefix of one
 * connection's writes) and hold exactly their values. */
static long present_prefix(rc_t *c, const char *tag, int r, int w, long upto)
{
    long prefix = 0;
    long hole = -1;
    for (long from = 0; from < upto; from += 5000) {
        long to = from + 5000 < upto ? from + 5000 : upto;
        rbuf_t cmds = {0}, got = {0};
        size_t *off = malloc(sizeof(size_t) * (size_t)(to - from + 1));
        for (long i = from; i < to; i++) {
            char k[64];
            snprintf(k, sizeof(k), "%s:%d:%d:%ld", tag, r, w, i);
            resp_encodel(&cmds, "GET", k, (const char *)NULL);
        }
        if (rc_pipeline(c, cmds.p, cmds.len, (int)(to - from), &got, off) != 0) fail_msg("GETs after restart failed");
        for (long i = from; i < to; i++) {
            const char *rep = got.p + off[i - from];
            size_t rl = off[i - from + 1] - off[i - from];
            char k[64], v[96];
            size_t vl;
            make_kv(tag, r, w, i, k, sizeof(k), v, &vl);
            if (rl == 5 && memcmp(rep, "$-1\r\n", 5) == 0) {
                if (hole < 0) hole = i;
                continue;
            }
            if (hole >= 0) fail_msg("%s is present but %s:%d:%d:%ld (written before it on the same connection) is lost", k, tag, r, w, hole);
            char want[128];
            int wl = snprintf(want, sizeof(want), "$%zu\r\n", vl);
            memcpy(want + wl, v, vl);
            memcpy(want + wl + vl, "\r\n", 2);
            if (rl != (size_t)wl + vl + 2 || memcmp(rep, want, rl) != 0) {
                char *g = resp_escape(rep, rl), *e = resp_escape(want, (size_t)wl + vl + 2);
                fail_msg("%s after restart: want %s got %s", k, e, g);
            }
            prefix = i + 1;
        }
        free(off);
        rbuf_free(&cmds);
        rbuf_free(&got);
    }
    return prefix;
}

/* One connection pipelines 20000 SETs and reads every reply; kill -9 right
 * after the last +OK; every acknowledged write is there after restart. */
static void test_kill9_after_burst(void **state)
{
    enum { N = 20000 };
    rc_t *c = rc_open(srv.port);
    EXPECT(c, "+OK\r\n", "FLUSHALL");
    rbuf_t cmds = {0}, got = {0};
    size_t *off = malloc(sizeof(size_t) * (N + 1));
    for (long i = 0; i < N; i++) encode_set(&cmds, "burst", 0, 0, i);
    assert_int_equal(rc_pipeline(c, cmds.p, cmds.len, N, &got, off), 0);
    long acked = 0;
    for (long i = 0; i < N; i++) {
        if (off[i + 1] - off[i] != 5 || memcmp(got.p + off[i], "+OK\r\n", 5) != 0) break;
        acked++;
    }
    proc_kill9(&srv);
    assert_int_equal(acked, N);
    rc_close(c);
    free(off);
    rbuf_free(&cmds);
    rbuf_free(&got);
    restart();
    c = rc_open(srv.port);
    long present = present_prefix(c, "burst", 0, 0, N);
    assert_int_equal(present, N);
    assert_int_equal(RCI(c, "DBSIZE"), N);
    rc_close(c);
}

typedef struct writer {
    int port, round, id;
    const char *tag;
    int batch;
    atomic_long sent;  /* writes that may have reached the server (upper bound) */
    atomic_long acked; /* writes acknowledged, in order: a prefix */
    char err[256];
} writer_t;

/* SETs of distinct keys in pipelined batches until the server goes away. */
static void *set_writer(void *arg)
{
    writer_t *w = arg;
    rc_t *c = rc_open(w->port);
    if (!c) {
        snprintf(w->err, sizeof(w->err), "connect failed");
        return NULL;
    }
    rbuf_t b = {0};
    for (long next = 0;; next += w->batch) {
        b.len = 0;
        for (long i = next; i < next + w->batch; i++) encode_set(&b, w->tag, w->round, w->id, i);
        atomic_store(&w->sent, next + w->batch);
        if (rc_write(c, b.p, b.len) < 0) break;
        int j = 0;
        for (; j < w->batch; j++) {
            const char *r;
            if (rc_read(c, &r) < 0) break;
            if (strcmp(r, "+OK\r\n") != 0) {
                snprintf(w->err, sizeof(w->err), "SET reply %.100s", r);
                goto out;
            }
            atomic_store(&w->acked, next + j + 1);
        }
        if (j < w->batch) break;
    }
out:
    rbuf_free(&b);
    rc_close(c);
    return NULL;
}

/* MULTI blocks of 10 SETs: acked counts whole EXEC replies. */
#define BLOCK 10
static void *multi_writer(void *arg)
{
    writer_t *w = arg;
    rc_t *c = rc_open(w->port);
    if (!c) {
        snprintf(w->err, sizeof(w->err), "connect failed");
        return NULL;
    }
    rbuf_t b = {0};
    char exec_ok[BLOCK * 5 + 8];
    int el = snprintf(exec_ok, sizeof(exec_ok), "*%d\r\n", BLOCK);
    for (int j = 0; j < BLOCK; j++) el += snprintf(exec_ok + el, sizeof(exec_ok) - (size_t)el, "+OK\r\n");
    for (long blk = 0;; blk += 4) {
        b.len = 0;
        for (long x = blk; x < blk + 4; x++) {
            resp_encodel(&b, "MULTI", (const char *)NULL);
            for (int j = 0; j < BLOCK; j++) encode_set(&b, w->tag, w->round, w->id, x * BLOCK + j);
            resp_encodel(&b, "EXEC", (const char *)NULL);
        }
        atomic_store(&w->sent, blk + 4);
        if (rc_write(c, b.p, b.len) < 0) break;
        for (long x = blk; x < blk + 4; x++) {
            const char *r;
            bool ok = rc_read(c, &r) > 0 && strcmp(r, "+OK\r\n") == 0;
            for (int j = 0; ok && j < BLOCK; j++) ok = rc_read(c, &r) > 0 && strcmp(r, "+QUEUED\r\n") == 0;
            if (ok) ok = rc_read(c, &r) > 0 && strcmp(r, exec_ok) == 0;
            if (!ok) {
                if (!c->eof && !(c->len == c->off)) snprintf(w->err, sizeof(w->err), "MULTI block reply %.100s", r);
                goto out;
            }
            atomic_store(&w->acked, x + 1);
        }
    }
out:
    rbuf_free(&b);
    rc_close(c);
    return NULL;
}

/* INCR of one counter in batches: acked is the last value acknowledged. */
static void *incr_writer(void *arg)
{
    writer_t *w = arg;
    rc_t *c = rc_open(w->port);
    if (!c) {
        snprintf(w->err, sizeof(w->err), "connect failed");
        return NULL;
    }
    rbuf_t b = {0};
    for (int i = 0; i < 50; i++) resp_encodel(&b, "INCR", "ctr", (const char *)NULL);
    long prev = atomic_load(&w->acked);
    for (;;) {
        atomic_fetch_add(&w->sent, 50);
        if (rc_write(c, b.p, b.len) < 0) break;
        int j = 0;
        for (; j < 50; j++) {
            const char *r;
            if (rc_read(c, &r) < 0) break;
            long v = r[0] == ':' ? atol(r + 1) : -1;
            if (v != prev + 1) {
                snprintf(w->err, sizeof(w->err), "INCR gave %.60s after %ld", r, prev);
                goto out;
            }
            prev = v;
            atomic_store(&w->acked, v);
        }
        if (j < 50) break;
    }
out:
    rbuf_free(&b);
    rc_close(c);
    return NULL;
}

/* Several rounds of: writers on several connections (plain SETs, MULTI
 * blocks, an INCR counter), kill -9 while they are sending, restart, check.
 * The data of every round stays through the later crashes. */
static void test_kill9_with_writes_in_flight(void **state)
{
    enum { ROUNDS = 5, NSET = 3 };
    rc_t *c = rc_open(srv.port);
    EXPECT(c, "+OK\r\n", "FLUSHALL");
    rc_close(c);
    long ctr = 0;        /* the counter's value after the last restart */
    long ctr_sent = 0;   /* INCRs that may have been applied, over all rounds */
    long total_keys = 0; /* keys that must exist */
    long prefixes[ROUNDS][NSET];
    long blocks[ROUNDS];
    for (int round = 0; round < ROUNDS; round++) {
        writer_t w[NSET + 2];
        pthread_t th[NSET + 2];
        for (int i = 0; i < NSET + 2; i++) {
            w[i] = (writer_t){.port = srv.port, .round = round, .id = i, .tag = "w", .batch = 100 + 150 * i};
            atomic_init(&w[i].sent, 0);
            atomic_init(&w[i].acked, 0);
        }
        w[NSET].tag = "m";
        atomic_init(&w[NSET + 1].acked, ctr);
        for (int i = 0; i < NSET; i++) pthread_create(&th[i], NULL, set_writer, &w[i]);
        pthread_create(&th[NSET], NULL, multi_writer, &w[NSET]);
        pthread_create(&th[NSET + 1], NULL, incr_writer, &w[NSET + 1]);
        /* let them get going, then kill while they are still sending */
        int64_t t0 = now_ms();
        for (;;) {
            long acked = 0;
            for (int i = 0; i < NSET; i++) acked += atomic_load(&w[i].acked);
            bool all = atomic_load(&w[NSET].acked) > 5 && atomic_load(&w[NSET + 1].acked) > ctr + 100;
            if ((acked > 6000 && all) || now_ms() > t0 + 10000) break;
            usleep(2000);
        }
        usleep((useconds_t)(round * 7919 % 20000));
        proc_kill9(&srv);
        for (int i = 0; i < NSET + 2; i++) pthread_join(th[i], NULL);
        for (int i = 0; i < NSET + 2; i++)
            if (w[i].err[0]) fail_msg("round %d writer %d: %s", round, i, w[i].err);
        for (int i = 0; i < NSET; i++) assert_true(atomic_load(&w[i].acked) > 0);
        restart();

        c = rc_open(srv.port);
        /* plain SETs: at least everything acknowledged, no holes, exact values */
        for (int i = 0; i < NSET; i++) {
            long acked = atomic_load(&w[i].acked), sent = atomic_load(&w[i].sent);
            long p = present_prefix(c, "w", round, i, sent);
            if (p < acked) fail_msg("round %d writer %d: %ld writes acknowledged, only %ld survived", round, i, acked, p);
            prefixes[round][i] = p;
            total_keys += p;
        }
        /* MULTI blocks: whole or absent, a prefix, all acknowledged ones */
        long bsent = atomic_load(&w[NSET].sent), backed = atomic_load(&w[NSET].acked);
        long keys = present_prefix(c, "m", round, NSET, bsent * BLOCK);
        if (keys % BLOCK != 0) fail_msg("round %d: a MULTI block survived in part (%ld keys)", round, keys);
        if (keys / BLOCK < backed)
            fail_msg("round %d: %ld MULTI blocks acknowledged, only %ld survived", round, backed, keys / BLOCK);
        blocks[round] = keys / BLOCK;
        total_keys += keys;
        /* the counter: never below the last acknowledged value */
        long acked_ctr = atomic_load(&w[NSET + 1].acked);
        ctr_sent += atomic_load(&w[NSET + 1].sent);
        const char *r = RC(c, "GET", "ctr");
        assert_non_null(r);
        long now = r[0] == '$' && r[1] != '-' ? atol(strchr(r, '\n') + 1) : 0;
        if (now < acked_ctr) fail_msg("round %d: INCR acknowledged %ld, counter after restart %ld", round, acked_ctr, now);
        if (now > ctr_sent) fail_msg("round %d: counter %ld but only %ld INCRs were ever sent", round, now, ctr_sent);
        ctr = now;
        if (round == 0) total_keys += 1;
        /* earlier rounds are all still there, exactly */
        for (int pr = 0; pr < round; pr++) {
            for (int i = 0; i < NSET; i++)
                assert_int_equal(present_prefix(c, "w", pr, i, prefixes[pr][i] + 50), prefixes[pr][i]);
            assert_int_equal(present_prefix(c, "m", pr, NSET, (blocks[pr] + 1) * BLOCK), blocks[pr] * BLOCK);
        }
        fprintf(stderr, "round %d: sets acked/survived/sent", round);
        for (int i = 0; i < NSET; i++)
            fprintf(stderr, " %ld/%ld/%ld", (long)atomic_load(&w[i].acked), prefixes[round][i],
                    (long)atomic_load(&w[i].sent));
        fprintf(stderr, "; multi %ld/%ld/%ld; counter acked %ld now %ld\n", backed, blocks[round], bsent, acked_ctr, now);
        /* and the key count agrees with what is there */
        long long size = RCI(c, "DBSIZE");
        if (size != total_keys) fail_msg("round %d: DBSIZE %lld, but %ld keys exist", round, size, total_keys);
        rc_close(c);
    }
}

/* TTLs written just before a kill -9 come back as they were. */
static void test_kill9_keeps_ttls(void **state)
{
    rc_t *c = rc_open(srv.port);
    rbuf_t cmds = {0}, got = {0};
    size_t off[402];
    for (int i = 0; i < 200; i++) {
        char k[32];
        snprintf(k, sizeof(k), "ttl:%d", i);
        resp_encodel(&cmds, "SET", k, "v", "EX", "1000", (const char *)NULL);
        resp_encodel(&cmds, "PEXPIRETIME", k, (const char *)NULL);
    }
    resp_encodel(&cmds, "SET", "ttl:gone", "v", "PX", "150", (const char *)NULL);
    resp_encodel(&cmds, "SET", "ttl:persisted", "v", "EX", "1000", (const char *)NULL);
    resp_encodel(&cmds, "PERSIST", "ttl:persisted", (const char *)NULL);
    size_t *o = malloc(sizeof(size_t) * 404);
    assert_int_equal(rc_pipeline(c, cmds.p, cmds.len, 403, &got, o), 0);
    int64_t set_at = now_ms();
    proc_kill9(&srv);
    long long at[200];
    for (int i = 0; i < 200; i++) {
        ASSERT_RESP(got.p + o[2 * i], o[2 * i + 1] - o[2 * i], "+OK\r\n", 5);
        at[i] = atoll(got.p + o[2 * i + 1] + 1);
        assert_true(at[i] > set_at);
    }
    ASSERT_RESP(got.p + o[402], o[403] - o[402], ":1\r\n", 4);
    (void)off;
    free(o);
    rc_close(c);
    rbuf_free(&cmds);
    rbuf_free(&got);
    while (now_ms() < set_at + 200) usleep(5000);
    restart();
    c = rc_open(srv.port);
    for (int i = 0; i < 200; i++) {
        char k[32];
        snprintf(k, sizeof(k), "ttl:%d", i);
        assert_int_equal(RCI(c, "PEXPIRETIME", k), at[i]);
    }
    EXPECT(c, "$-1\r\n", "GET", "ttl:gone");
    EXPECT(c, ":-1\r\n", "TTL", "ttl:persisted");
    rc_close(c);
}

/* ---- the founding members -------------------------------------------------- */

/* The founding members are stored at the first start (so that editing
 * cluster.conf later never changes a running cluster) and no log entry
 * carries them: a kill -9 right after that start must not lose them. Here a
 * one-member cluster is killed, then restarted with a second member added
 * to its command line: with its stored members it still leads alone and
 * takes writes; had it lost them, it would wait for a second vote and
 * answer -CLUSTERDOWN. */
static void test_kill9_keeps_founding_members(void **state)
{
    (void)state;
    testproc_t p;
    memset(&p, 0, sizeof(p));
    snprintf(p.bin, sizeof(p.bin), "%s", proc_server_bin());
    snprintf(p.dir, sizeof(p.dir), "/tmp/redraft-test-XXXXXX");
    assert_non_null(mkdtemp(p.dir));
    snprintf(p.log, sizeof(p.log), "%s.log", p.dir);
    p.port = proc_free_port();
    int ghost = proc_free_port();
    char one[64], two[128];
    snprintf(one, sizeof(one), "1:127.0.0.1:%d", p.port);
    snprintf(two, sizeof(two), "1:127.0.0.1:%d,2:127.0.0.1:%d", p.port, ghost);
    const char *args[] = {"--cluster.enabled", "true", "--node-id", "1", "--request_timeout_ms", "1000",
                          "--cluster.members", one};
    for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++)
        snprintf(p.extra[p.nextra++], sizeof(p.extra[0]), "%s", args[i]);
    if (proc_restart(&p) != 0) {
        proc_dump_log(&p, 30);
        proc_cleanup(&p);
        fail_msg("the one-member cluster did not start");
    }
    rc_t *c = rc_open(p.port);
    EXPECT(c, "+OK\r\n", "SET", "before", "1");
    rc_close(c);
    proc_kill9(&p);
    snprintf(p.extra[p.nextra - 1], sizeof(p.extra[0]), "%s", two);
    if (proc_restart(&p) != 0) {
        proc_dump_log(&p, 30);
        proc_cleanup(&p);
        fail_msg("the node did not come back after kill -9");
    }
    c = rc_open(p.port);
    const char *r = RC(c, "SET", "after", "2");
    char got[256];
    snprintf(got, sizeof(got), "%s", r ? r : "(nothing)");
    bool ok = strcmp(got, "+OK\r\n") == 0;
    if (!ok) proc_dump_log(&p, 30);
    rc_close(c);
    proc_finish(&p);
    if (!ok) fail_msg("after kill -9 the node forgot its founding members: SET answered %s", got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shutdown_command),
        cmocka_unit_test(test_restart_keeps_everything),
        cmocka_unit_test(test_kill9_after_burst),
        cmocka_unit_test(test_kill9_with_writes_in_flight),
        cmocka_unit_test(test_kill9_keeps_ttls),
        cmocka_unit_test(test_kill9_keeps_founding_members),
    };
    return cmocka_run_group_tests_name("durability", tests, group_setup, group_teardown);
}
