/* A real 3-node cluster (tests/support/cluster.h): writes acknowledged by
 * the leader are readable at once on every node (linearizable reads),
 * followers redirect writes (-MOVED, redis-cli -c follows it), a kill -9 of
 * the leader fails over within 3 s at the default timings without losing an
 * acknowledged write, a stopped follower or leader is survived and catches
 * up or steps down, a minority never acknowledges a write, TTLs are the same
 * on every node, and (last, follower_mode proxy) followers forward writes.
 *
 * Every test gets a fresh cluster (fast timings unless the test is about the
 * default ones); when a test fails, the teardown prints the tail of every
 * node's log. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/cluster.h"

static cluster_t cl;
static bool test_done; /* the running test reached its end */

/* Findings that fail the test at its end (finish_test) but let it go on
 * checking the rest: one wrong detail should not hide the others. */
static char soft[2048];
static int nsoft;

static void soft_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void soft_fail(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "  FAILED CHECK: %s\n", line);
    size_t n = strlen(soft);
    snprintf(soft + n, sizeof(soft) - n, "%s%s", nsoft++ ? "; " : "", line);
}

static void finish_test(void)
{
    if (nsoft) fail_msg("%d failed check(s): %s", nsoft, soft);
    test_done = true;
}

static const char *const redirect_args[] = {"--follower_mode", "redirect", NULL};
static const char *const proxy_args[] = {"--follower_mode", "proxy", NULL};
#define FAST_RT CLUSTER_FAST_REQUEST_TIMEOUT_MS

/* ---- writers (test 3) ----------------------------------------------------- */

#define NWRITERS 4

typedef struct writer {
    int id;
    int start; /* node to begin with */
    int request_timeout_ms;
    pthread_t th;
    bool running;
    /* results: every acknowledged sequence number, when and by which node */
    long *seq;
    int64_t *at_ms;
    int *node;
    size_t n, cap;
    long conn_errors, retries, redirects;
    long unexpected;
    char first_unexpected[256];
} writer_t;

static writer_t writers[NWRITERS];
static atomic_bool writers_stop;
/* the kill (test 3): when and which node; the first write acknowledged by
 * another node after it, and by which */
static _Atomic int64_t kill_at, first_new_ack;
static atomic_int killed_node, first_new_node;

static void writer_ack(writer_t *w, long seq, int node)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 1024;
        w->seq = realloc(w->seq, w->cap * sizeof(*w->seq));
        w->at_ms = realloc(w->at_ms, w->cap * sizeof(*w->at_ms));
        w->node = realloc(w->node, w->cap * sizeof(*w->node));
    }
    w->seq[w->n] = seq;
    w->at_ms[w->n] = cl_mono_ms();
    w->node[w->n] = node;
    w->n++;
    int64_t k = atomic_load(&kill_at), zero = 0;
    if (k && node != atomic_load(&killed_node) && w->at_ms[w->n - 1] >= k &&
        atomic_compare_exchange_strong(&first_new_ack, &zero, w->at_ms[w->n - 1]))
        atomic_store(&first_new_node, node);
}

static void writer_key(char *buf, size_t len, int id, long seq)
{
    snprintf(buf, len, "t3:w%d:%ld", id, seq);
}

/* A cluster-aware client: one connection, follows -MOVED, moves on to the
 * next node when a connection fails, retries CLUSTERDOWN/TRYAGAIN/TIMEOUT.
 * Every key is written once at most until acknowledged (a retry of the same
 * SET is harmless); the next key only after an +OK. */
static void *writer_main(void *arg)
{
    writer_t *w = arg;
    int cur = w->start;
    redisContext *ctx = NULL;
    long seq = 0;
    char key[64];
    while (!atomic_load(&writers_stop)) {
        if (!ctx) {
            ctx = cluster_up(&cl, cur) ? cl_connect(&cl, cur, w->request_timeout_ms + 3000) : NULL;
            if (!ctx) {
                w->conn_errors++;
                cur = (cur + 1) % CLUSTER_N;
                usleep(20000);
                continue;
            }
        }
        writer_key(key, sizeof(key), w->id, seq);
        redisReply *r = cl_cmd(ctx, "SET", key, key, NULL);
        if (!r) {
            w->conn_errors++;
            redisFree(ctx);
            ctx = NULL;
            cur = (cur + 1) % CLUSTER_N;
            continue;
        }
        if (r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0) {
            writer_ack(w, seq, cur);
            seq++;
        } else if (cl_is_err(r, "MOVED ")) {
            const char *sp = strrchr(r->str, ' ');
            int m = sp ? cluster_index_of_addr(&cl, sp + 1) : -1;
            w->redirects++;
            if (m >= 0 && m != cur) {
                cur = m;
                redisFree(ctx);
                ctx = NULL;
            } else {
                usleep(20000);
            }
        } else if (cl_is_retryable(r)) {
            w->retries++;
            usleep(10000);
        } else {
            if (w->unexpected++ == 0) {
                char b[200];
                snprintf(w->first_unexpected, sizeof(w->first_unexpected), "SET %s on node %d: %s",
                         key, cur + 1, cl_str(r, ctx, b, sizeof(b)));
            }
            usleep(10000);
        }
        freeReplyObject(r);
    }
    if (ctx) redisFree(ctx);
    return NULL;
}

static void writers_start(int start, int request_timeout_ms)
{
    atomic_store(&writers_stop, false);
    atomic_store(&kill_at, 0);
    atomic_store(&first_new_ack, 0);
    atomic_store(&killed_node, -1);
    atomic_store(&first_new_node, -1);
    for (int i = 0; i < NWRITERS; i++) {
        writer_t *w = &writers[i];
        memset(w, 0, sizeof(*w));
        w->id = i;
        w->start = start;
        w->request_timeout_ms = request_timeout_ms;
        w->running = pthread_create(&w->th, NULL, writer_main, w) == 0;
        assert_true(w->running);
    }
}

static void writers_join(void)
{
    atomic_store(&writers_stop, true);
    for (int i = 0; i < NWRITERS; i++)
        if (writers[i].running) {
            pthread_join(writers[i].th, NULL);
            writers[i].running = false;
        }
}

static void writers_free(void)
{
    writers_join();
    for (int i = 0; i < NWRITERS; i++) {
        free(writers[i].seq);
        free(writers[i].at_ms);
        free(writers[i].node);
        memset(&writers[i], 0, sizeof(writers[i]));
    }
}

/* ---- fixtures ------------------------------------------------------------- */

static int start_with(const char *const *a1, const char *const *a2)
{
    test_done = false;
    soft[0] = '\0';
    nsoft = 0;
    if (cluster_start(&cl, a1, a2) != 0) {
        fprintf(stderr, "could not start the cluster\n");
        return -1;
    }
    return 0;
}

static int setup_fast(void **state)
{
    return start_with(cluster_fast_args, redirect_args);
}

/* Default timings: only the follower mode is given (the shipped config's
 * timings are the defaults: 100 ms heartbeat, 1000-2000 ms election). */
static int setup_default_timings(void **state)
{
    return start_with(redirect_args, NULL);
}

static int setup_proxy(void **state)
{
    return start_with(cluster_fast_args, proxy_args);
}

static void disc_all(void);

static int teardown(void **state)
{
    writers_free();
    disc_all();
    if (!test_done) {
        fprintf(stderr, "---- the test failed; logs of the cluster (members %s):\n", cl.members);
        cluster_dump_logs(&cl, 40);
    }
    return cluster_finish(&cl);
}

/* ---- helpers -------------------------------------------------------------- */

static int leader(int timeout_ms)
{
    int64_t t0 = cl_mono_ms();
    int l = cluster_leader(&cl, timeout_ms);
    if (l < 0) fail_msg("no node acknowledged a write within %d ms", timeout_ms);
    fprintf(stderr, "  leader: node %d (port %d), found in %lld ms\n", l + 1, cl.node[l].port,
            (long long)(cl_mono_ms() - t0));
    return l;
}

/* The test's connections, so that a failing test (which leaves by a
 * longjmp) still closes them in the teardown. */
static redisContext *open_ctx[32];

static redisContext *track(redisContext *ctx)
{
    for (size_t k = 0; ctx && k < sizeof(open_ctx) / sizeof(open_ctx[0]); k++)
        if (!open_ctx[k]) {
            open_ctx[k] = ctx;
            break;
        }
    return ctx;
}

static void disc(redisContext *ctx)
{
    for (size_t k = 0; k < sizeof(open_ctx) / sizeof(open_ctx[0]); k++)
        if (open_ctx[k] == ctx) open_ctx[k] = NULL;
    if (ctx) redisFree(ctx);
}

static void disc_all(void)
{
    for (size_t k = 0; k < sizeof(open_ctx) / sizeof(open_ctx[0]); k++)
        if (open_ctx[k]) {
            redisFree(open_ctx[k]);
            open_ctx[k] = NULL;
        }
}

static redisContext *conn(int i, int timeout_ms)
{
    redisContext *ctx = track(cl_connect(&cl, i, timeout_ms));
    if (!ctx) fail_msg("cannot connect to node %d (port %d)", i + 1, cl.node[i].port);
    return ctx;
}

/* Runs a command (NULL-terminated arguments) on node `node`'s connection
 * and requires the one-line reply `want` (see cl_str). */
static void expect_(const char *file, int line, redisContext *ctx, int node, const char *want,
                    const char *arg0, ...)
{
    const char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a && argc < 32; a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    redisReply *r = redisCommandArgv(ctx, argc, argv, NULL);
    char got[512];
    cl_str(r, ctx, got, sizeof(got));
    if (r) freeReplyObject(r);
    if (strcmp(got, want) != 0) {
        char cmd[256];
        int n = 0;
        for (int i = 0; i < argc && n < (int)sizeof(cmd) - 1; i++)
            n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, "%s%s", i ? " " : "", argv[i]);
        print_error("node %d (port %d): %s\n  got:  %s\n  want: %s\n", node + 1, cl.node[node].port,
                    cmd, got, want);
        _fail(file, line);
    }
}
#define EXPECT_R(ctx, node, want, ...)                                                             \
    expect_(__FILE__, __LINE__, (ctx), (node), (want), __VA_ARGS__, NULL)

/* A one-line reply of a command (a fresh connection with timeout_ms) on node i. */
static const char *ask(int i, int timeout_ms, char *buf, size_t len, const char *arg0, ...)
{
    const char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a && argc < 32; a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    redisContext *ctx = cl_connect(&cl, i, timeout_ms);
    if (!ctx) {
        snprintf(buf, len, "(conn: cannot connect)");
        return buf;
    }
    redisReply *r = redisCommandArgv(ctx, argc, argv, NULL);
    cl_str(r, ctx, buf, len);
    if (r) freeReplyObject(r);
    redisFree(ctx);
    return buf;
}

static bool is_retryable_str(const char *s)
{
    return strncmp(s, "(conn", 5) == 0 || strncmp(s, "-CLUSTERDOWN", 12) == 0 ||
           strncmp(s, "-TRYAGAIN", 9) == 0 || strncmp(s, "-TIMEOUT", 8) == 0;
}

/* A linearizable read on node i: retries errors a client retries (and
 * connection errors) until timeout_ms, then requires `want`. A read that
 * answers with another value fails at once: it would be a stale read. */
static void read_eventually_(const char *file, int line, int i, int timeout_ms, const char *want,
                             const char *arg0, const char *arg1)
{
    int64_t deadline = cl_mono_ms() + timeout_ms;
    char got[512];
    for (;;) {
        ask(i, timeout_ms, got, sizeof(got), arg0, arg1, NULL);
        if (strcmp(got, want) == 0) return;
        if (!is_retryable_str(got) || cl_mono_ms() >= deadline) break;
        usleep(50000);
    }
    print_error("node %d (port %d): %s %s\n  got:  %s\n  want: %s\n", i + 1, cl.node[i].port, arg0,
                arg1, got, want);
    _fail(file, line);
}
#define READ_EVENTUALLY(i, ms, want, cmd, key)                                                     \
    read_eventually_(__FILE__, __LINE__, (i), (ms), (want), (cmd), (key))

/* A write that must succeed: on the node believed to lead (*at), following
 * -MOVED and retrying transient errors (a legitimate re-election under load)
 * for up to 10 s. */
static void write_ok_(const char *file, int line, int *at, const char *k, const char *v)
{
    char got[512];
    cl_write(&cl, at, 10000, got, sizeof(got), "SET", k, v, NULL);
    if (strcmp(got, "+OK") != 0) {
        print_error("SET %s %s (cluster-aware client, last node %d): %s\n", k, v, *at + 1, got);
        _fail(file, line);
    }
}
#define WRITE_OK(at, k, v) write_ok_(__FILE__, __LINE__, (at), (k), (v))

/* Checks that every key acknowledged to the writers reads back (value = key)
 * on node i: pipelined GETs; errors a client retries are retried until
 * timeout_ms; a nil or another value is a lost write (or a stale read). */
static void check_acked_on(int i, int timeout_ms)
{
    int64_t deadline = cl_mono_ms() + timeout_ms;
    size_t total = 0, missing = 0;
    char first_missing[256] = "";
    redisContext *ctx = NULL;
    for (int wi = 0; wi < NWRITERS; wi++) {
        writer_t *w = &writers[wi];
        for (size_t off = 0; off < w->n;) {
            size_t cnt = w->n - off < 500 ? w->n - off : 500;
            if (!ctx) ctx = track(cl_connect(&cl, i, 10000));
            if (!ctx) {
                if (cl_mono_ms() >= deadline) fail_msg("node %d: cannot connect", i + 1);
                usleep(100000);
                continue;
            }
            char key[64];
            for (size_t k = 0; k < cnt; k++) {
                writer_key(key, sizeof(key), w->id, w->seq[off + k]);
                redisAppendCommand(ctx, "GET %s", key);
            }
            bool retry = false;
            char why[256] = "";
            size_t bad = 0;
            char first_bad[256] = "";
            for (size_t k = 0; k < cnt; k++) {
                redisReply *r = NULL;
                if (redisGetReply(ctx, (void **)&r) != REDIS_OK || !r) {
                    snprintf(why, sizeof(why), "connection: %s", ctx->errstr);
                    retry = true;
                    break;
                }
                writer_key(key, sizeof(key), w->id, w->seq[off + k]);
                if (cl_is_retryable(r)) {
                    if (!retry) snprintf(why, sizeof(why), "%s", r->str);
                    retry = true;
                } else if (r->type != REDIS_REPLY_STRING || strcmp(r->str, key) != 0) {
                    if (bad++ == 0) {
                        char b[200];
                        snprintf(first_bad, sizeof(first_bad), "GET %s -> %s", key,
                                 cl_str(r, ctx, b, sizeof(b)));
                    }
                }
                freeReplyObject(r);
            }
            if (retry && ctx->err) {
                disc(ctx);
                ctx = NULL;
            }
            if (retry) { /* a failed batch is asked again as a whole */
                if (cl_mono_ms() >= deadline)
                    fail_msg("node %d: reads still failing after %d ms: %s", i + 1, timeout_ms,
                             why);
                usleep(100000);
                continue;
            }
            if (bad && !missing) snprintf(first_missing, sizeof(first_missing), "%s", first_bad);
            missing += bad;
            total += cnt;
            off += cnt;
        }
    }
    disc(ctx);
    if (missing)
        fail_msg("node %d (port %d): %zu of %zu acknowledged writes missing or wrong, e.g. %s",
                 i + 1, cl.node[i].port, missing, total, first_missing);
    fprintf(stderr, "  node %d: all %zu acknowledged keys present\n", i + 1, total);
}

/* ---- 1. writes on the leader, reads everywhere ---------------------------- */

static void test_write_on_leader_read_everywhere(void **state)
{
    int l = leader(10000);
    int at = l;
    redisContext *ctx = conn(l, 10000);
    char k[32], v[32];
    int moved = 0;
    for (int i = 0; i < 200; i++) {
        snprintf(k, sizeof(k), "t1:%d", i);
        snprintf(v, sizeof(v), "v%d", i);
        redisReply *r = cl_cmd(ctx, "SET", k, v, NULL);
        bool ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0;
        if (r) freeReplyObject(r);
        if (!ok) { /* leadership moved meanwhile: finish the write like a cluster client */
            moved++;
            WRITE_OK(&at, k, v);
            disc(ctx);
            ctx = conn(at, 10000);
        }
    }
    disc(ctx);
    if (moved) fprintf(stderr, "  note: %d writes found the leadership moved\n", moved);
    /* every acknowledged write is visible at once on every node */
    for (int n = 0; n < CLUSTER_N; n++) {
        ctx = conn(n, 10000);
        for (int i = 0; i < 200; i++) {
            snprintf(k, sizeof(k), "t1:%d", i);
            snprintf(v, sizeof(v), "$v%d", i);
            EXPECT_R(ctx, n, v, "GET", k);
        }
        EXPECT_R(ctx, n, "(nil)", "GET", "t1:absent");
        disc(ctx);
    }
    finish_test();
}

/* ---- 2. followers redirect ------------------------------------------------ */

static void test_follower_redirect(void **state)
{
    int l = leader(10000);
    char want[64];
    snprintf(want, sizeof(want), "-MOVED 0 127.0.0.1:%d", cl.node[l].port);
    for (int f = 0; f < CLUSTER_N; f++) {
        if (f == l) continue;
        redisContext *ctx = conn(f, 10000);
        EXPECT_R(ctx, f, want, "SET", "t2:k", "v");
        EXPECT_R(ctx, f, want, "INCR", "t2:n");
        disc(ctx);
    }
    /* a redirected write was not done */
    redisContext *ctx = conn(l, 10000);
    EXPECT_R(ctx, l, "(nil)", "GET", "t2:k");
    EXPECT_R(ctx, l, "(nil)", "GET", "t2:n");
    disc(ctx);

    if (access("/usr/bin/redis-cli", X_OK) != 0) {
        fprintf(stderr, "  redis-cli absent: its part of the test is skipped\n");
        finish_test();
        return;
    }
    int f = (l + 1) % CLUSTER_N;
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "/usr/bin/redis-cli -c -h 127.0.0.1 -p %d SET t2:cli hello 2>&1",
             cl.node[f].port);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char out[512] = "";
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    if (strcmp(out, "OK\n") != 0 || st != 0)
        fail_msg("%s: exit status %d, output \"%s\"", cmd, st, out);
    for (int i = 0; i < CLUSTER_N; i++) {
        ctx = conn(i, 10000);
        EXPECT_R(ctx, i, "$hello", "GET", "t2:cli");
        disc(ctx);
    }
    finish_test();
}

/* ---- 3. kill -9 of the leader, default timings ---------------------------- */

/* The last `max` role changes in node i's log (how an election went). */
static void print_roles(int i, int max)
{
    FILE *f = fopen(cl.node[i].log, "r");
    if (!f) return;
    char lines[16][1024], buf[1024];
    int n = 0;
    if (max > 16) max = 16;
    while (fgets(buf, sizeof(buf), f))
        if (strstr(buf, "event=raft_role")) snprintf(lines[n++ % max], sizeof(lines[0]), "%s", buf);
    fclose(f);
    for (int k = n > max ? n - max : 0; k < n; k++)
        fprintf(stderr, "    %s", lines[k % max]);
}

static size_t total_acked(void)
{
    size_t n = 0;
    for (int i = 0; i < NWRITERS; i++)
        n += writers[i].n;
    return n;
}

/* The election as the survivors' logs tell it (role changes, late loops,
 * slow disk writes), printed when a failover was slow: the wall-clock
 * time of the kill lets the lines be read against it. */
static void print_election(int old, const char *kill_ts)
{
    fprintf(stderr, "  DIAG the kill was at %s\n", kill_ts);
    for (int i = 0; i < CLUSTER_N; i++) {
        if (i == old) continue;
        FILE *f = fopen(cl.node[i].log, "r");
        if (!f) continue;
        char line[1024];
        int shown = 0;
        while (fgets(line, sizeof(line), f) && shown < 60) {
            if (!strstr(line, "event=raft_role") && !strstr(line, "event=raft_vote") && !strstr(line, "level=warn") &&
                !strstr(line, "level=error"))
                continue;
            if (strncmp(line, "ts=", 3) == 0 && strncmp(line + 3, kill_ts, strlen(kill_ts) - 4) < 0)
                continue; /* same second as the kill or later only */
            fprintf(stderr, "  DIAG node %d: %s", i + 1, line);
            shown++;
        }
        fclose(f);
    }
}

static void test_failover_kill9_default_timings(void **state)
{
    int l = leader(15000);
    writers_start(l, 5000);
    usleep(1000 * 1000);
    /* the node that leads right now */
    int old = cluster_leader(&cl, 5000);
    if (old < 0) fail_msg("no leader before the kill");
    size_t before = total_acked();
    atomic_store(&killed_node, old);
    char kill_ts[32];
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    struct tm tm;
    gmtime_r(&wall.tv_sec, &tm);
    size_t kl = strftime(kill_ts, sizeof(kill_ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(kill_ts + kl, sizeof(kill_ts) - kl, ".%03ldZ", wall.tv_nsec / 1000000);
    int64_t t_kill = cl_mono_ms();
    atomic_store(&kill_at, t_kill);
    cluster_kill9(&cl, old);
    fprintf(stderr, "  killed the leader node %d after %zu acknowledged writes\n", old + 1, before);

    /* the first write acknowledged by another node, then ~2 s more */
    while (atomic_load(&first_new_ack) == 0 && cl_mono_ms() - t_kill < 10000)
        usleep(10000);
    int64_t failover = atomic_load(&first_new_ack);
    int by = atomic_load(&first_new_node);
    if (failover) usleep(2000 * 1000);
    writers_join();
    long conn_errors = 0, retries = 0, redirects = 0, unexpected = 0;
    const char *first_unexpected = "";
    for (int i = 0; i < NWRITERS; i++) {
        conn_errors += writers[i].conn_errors;
        retries += writers[i].retries;
        redirects += writers[i].redirects;
        if (writers[i].unexpected && !unexpected) first_unexpected = writers[i].first_unexpected;
        unexpected += writers[i].unexpected;
    }
    fprintf(stderr,
            "  %zu writes acknowledged (%zu before the kill); first write on a new leader %lld ms "
            "after the kill (node %d); connection errors %ld, retried errors %ld, redirects %ld\n",
            total_acked(), before, failover ? (long long)(failover - t_kill) : -1LL, by + 1,
            conn_errors, retries, redirects);
    if (unexpected)
        soft_fail("%ld unexpected replies to the writers, first: %s", unexpected, first_unexpected);
    for (int i = 0; i < CLUSTER_N; i++)
        if (i != old) print_roles(i, 6);
    if (!failover) fail_msg("no write was acknowledged by a new leader within 10 s of the kill");
    if (failover - t_kill >= 3000) print_election(old, kill_ts);
    if (failover - t_kill >= 3000) /* the data checks below still run */
        soft_fail("failover took %lld ms (from the kill to the first write acknowledged by the "
                  "new leader node %d); want < 3000",
                  (long long)(failover - t_kill), by + 1);
    assert_true(before > 0);

    for (int i = 0; i < CLUSTER_N; i++)
        if (i != old) check_acked_on(i, 10000);
    /* the killed node comes back on its data dir and catches up */
    if (cluster_restart(&cl, old) != 0) fail_msg("node %d did not start again", old + 1);
    int64_t t_restart = cl_mono_ms();
    check_acked_on(old, 10000);
    fprintf(stderr,
            "  restarted node %d served every acknowledged key %lld ms after answering PING\n",
            old + 1, (long long)(cl_mono_ms() - t_restart));
    finish_test();
}

/* ---- 4. SIGSTOP of a follower --------------------------------------------- */

static void test_sigstop_follower(void **state)
{
    int l = leader(10000);
    int f = (l + 1) % CLUSTER_N, o = (l + 2) % CLUSTER_N;
    redisContext *ctx = conn(l, 10000);
    EXPECT_R(ctx, l, "+OK", "SET", "t4:before", "1");
    cluster_sigstop(&cl, f);
    fprintf(stderr, "  stopped follower node %d\n", f + 1);
    char k[32], v[32];
    int64_t t0 = cl_mono_ms(), worst = 0;
    for (int i = 0; i < 100; i++) { /* the leader and the other follower are a quorum */
        snprintf(k, sizeof(k), "t4:k%d", i % 10);
        snprintf(v, sizeof(v), "+OK");
        char val[32];
        snprintf(val, sizeof(val), "v%d", i);
        int64_t t = cl_mono_ms();
        EXPECT_R(ctx, l, v, "SET", k, val);
        if (cl_mono_ms() - t > worst) worst = cl_mono_ms() - t;
    }
    fprintf(stderr, "  100 writes with a follower stopped: %lld ms, slowest %lld ms\n",
            (long long)(cl_mono_ms() - t0), (long long)worst);
    disc(ctx);
    /* the running follower reads them */
    ctx = conn(o, 10000);
    for (int i = 90; i < 100; i++) {
        snprintf(k, sizeof(k), "t4:k%d", i % 10);
        snprintf(v, sizeof(v), "$v%d", i);
        EXPECT_R(ctx, o, v, "GET", k);
    }
    disc(ctx);

    usleep(500 * 1000);
    cluster_sigcont(&cl, f);
    int64_t t_cont = cl_mono_ms();
    /* the resumed follower answers with the latest values (once it can: its
     * reads wait until it has applied what the leader had committed) */
    for (int i = 90; i < 100; i++) {
        snprintf(k, sizeof(k), "t4:k%d", i % 10);
        snprintf(v, sizeof(v), "$v%d", i);
        READ_EVENTUALLY(f, 10000, v, "GET", k);
    }
    READ_EVENTUALLY(f, 10000, "$1", "GET", "t4:before");
    fprintf(stderr, "  resumed follower caught up in %lld ms\n",
            (long long)(cl_mono_ms() - t_cont));
    /* and it still redirects writes to the same leader */
    char want[64], got[128];
    snprintf(want, sizeof(want), "-MOVED 0 127.0.0.1:%d", cl.node[l].port);
    assert_string_equal(ask(f, 10000, got, sizeof(got), "SET", "t4:after", "x", NULL), want);
    finish_test();
}

/* ---- 5. SIGSTOP of the leader --------------------------------------------- */

static void test_sigstop_leader(void **state)
{
    int l = leader(10000);
    int at = l;
    WRITE_OK(&at, "t5:before", "1");
    redisContext *stale = conn(l, 15000);
    cluster_sigstop(&cl, l);
    int64_t t_stop = cl_mono_ms();
    fprintf(stderr, "  stopped the leader node %d\n", l + 1);
    /* a write sent to the stopped leader: it sits in the socket until SIGCONT */
    redisAppendCommand(stale, "SET t5:stale v");
    int done = 0;
    while (!done)
        if (redisBufferWrite(stale, &done) != REDIS_OK)
            fail_msg("cannot send to the stopped leader");

    int n = cluster_leader(&cl, 10000); /* skips the stopped node */
    if (n < 0) fail_msg("no new leader within 10 s of stopping the leader");
    assert_int_not_equal(n, l);
    fprintf(stderr, "  node %d leads and acknowledged a write %lld ms after the stop\n", n + 1,
            (long long)(cl_mono_ms() - t_stop));
    redisContext *ctx = conn(n, 10000);
    EXPECT_R(ctx, n, "+OK", "SET", "t5:new", "n");
    EXPECT_R(ctx, n, "$1", "GET", "t5:before");
    disc(ctx);

    cluster_sigcont(&cl, l);
    int64_t t_cont = cl_mono_ms();
    /* the write it held: +OK only if it was committed */
    redisReply *r = NULL;
    char got[256];
    if (redisGetReply(stale, (void **)&r) != REDIS_OK) r = NULL;
    cl_str(r, stale, got, sizeof(got));
    if (r) freeReplyObject(r);
    disc(stale);
    fprintf(stderr, "  the write held by the stopped leader got %s\n", got);
    if (strcmp(got, "+OK") == 0) {
        READ_EVENTUALLY(n, 10000, "$v", "GET", "t5:stale");
    } else if (got[0] != '-' && strncmp(got, "(conn", 5) != 0) {
        fail_msg("unexpected reply to the held write: %s", got);
    }

    /* the old leader steps down: writes sent to it are redirected to the
     * current leader; anything it acknowledges meanwhile must be committed */
    int64_t deadline = cl_mono_ms() + 5000;
    int acked = 0;
    for (;;) {
        char key[32];
        snprintf(key, sizeof(key), "t5:after%d", acked);
        ask(l, 5000, got, sizeof(got), "SET", key, "a", NULL);
        if (strncmp(got, "-MOVED ", 7) == 0) break;
        if (strcmp(got, "+OK") == 0) {
            int cur = cluster_leader(&cl, 10000);
            fprintf(stderr, "  note: node %d acknowledged %s itself (leader now: node %d)\n", l + 1,
                    key, cur + 1);
            for (int i = 0; i < CLUSTER_N; i++)
                READ_EVENTUALLY(i, 10000, "$a", "GET", key);
            acked++;
        } else if (!is_retryable_str(got)) {
            fail_msg("node %d after SIGCONT: SET %s -> %s", l + 1, key, got);
        }
        if (cl_mono_ms() >= deadline)
            fail_msg("node %d still does not redirect 5 s after SIGCONT: last %s", l + 1, got);
        usleep(50000);
    }
    int cur = cluster_leader(&cl, 10000);
    assert_true(cur >= 0);
    char want[64];
    snprintf(want, sizeof(want), "-MOVED 0 127.0.0.1:%d", cl.node[cur].port);
    assert_string_equal(got, want);
    fprintf(stderr, "  node %d redirects to node %d %lld ms after SIGCONT\n", l + 1, cur + 1,
            (long long)(cl_mono_ms() - t_cont));
    /* its reads are linearizable: it sees what the new leader acknowledged */
    READ_EVENTUALLY(l, 10000, "$n", "GET", "t5:new");
    finish_test();
}

/* ---- 6. a minority never acknowledges ------------------------------------- */

static void test_minority_clusterdown(void **state)
{
    int l = leader(10000);
    redisContext *ctx = conn(l, 10000);
    char k[32], v[32];
    for (int i = 0; i < 20; i++) {
        snprintf(k, sizeof(k), "t6:%d", i);
        snprintf(v, sizeof(v), "v%d", i);
        EXPECT_R(ctx, l, "+OK", "SET", k, v);
    }
    disc(ctx);
    int dead[] = {(l + 1) % CLUSTER_N, (l + 2) % CLUSTER_N, -1};
    cluster_kill9(&cl, dead[0]);
    cluster_kill9(&cl, dead[1]);
    fprintf(stderr, "  killed nodes %d and %d; node %d (the leader) is alone\n", dead[0] + 1,
            dead[1] + 1, l + 1);

    /* writes right away (it still leads) and after it stepped down */
    const char *wkeys[] = {"t6:x", "t6:y", "t6:z"};
    for (int i = 0; i < 3; i++) {
        char got[256];
        int64_t t = cl_mono_ms();
        ask(l, FAST_RT + 5000, got, sizeof(got), "SET", wkeys[i], "1", NULL);
        int64_t dt = cl_mono_ms() - t;
        fprintf(stderr, "  SET %s on the survivor: %s after %lld ms\n", wkeys[i], got,
                (long long)dt);
        if (got[0] != '-')
            fail_msg("a write on a node without a quorum got %s (want an error)", got);
        if (strncmp(got, "-CLUSTERDOWN", 12) != 0 && strncmp(got, "-TIMEOUT", 8) != 0 &&
            strncmp(got, "-TRYAGAIN", 9) != 0)
            soft_fail("a write on a node without a quorum got %s (want -CLUSTERDOWN, -TIMEOUT or "
                      "-TRYAGAIN)",
                      got);
        if (dt > FAST_RT + 1000)
            fail_msg("the error took %lld ms; want <= %d", (long long)dt, FAST_RT + 1000);
        /* reads cannot be confirmed by a quorum either */
        t = cl_mono_ms();
        ask(l, FAST_RT + 5000, got, sizeof(got), "GET", "t6:0", NULL);
        dt = cl_mono_ms() - t;
        fprintf(stderr, "  GET t6:0 on the survivor: %s after %lld ms\n", got, (long long)dt);
        if (got[0] != '-')
            fail_msg("a read on a node without a quorum got %s (want an error)", got);
        if (dt > FAST_RT + 1000)
            fail_msg("the read error took %lld ms; want <= %d", (long long)dt, FAST_RT + 1000);
    }

    if (cluster_restart_many(&cl, dead) != 0) fail_msg("the killed nodes did not start again");
    int n = leader(15000);
    int at = n;
    WRITE_OK(&at, "t6:again", "1");
    for (int i = 0; i < CLUSTER_N; i++) {
        for (int j = 0; j < 20; j++) {
            snprintf(k, sizeof(k), "t6:%d", j);
            snprintf(v, sizeof(v), "$v%d", j);
            READ_EVENTUALLY(i, 10000, v, "GET", k);
        }
        READ_EVENTUALLY(i, 10000, "$1", "GET", "t6:again");
    }
    finish_test();
}

static int64_t now_wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* ---- 7. TTLs are the same on every node ----------------------------------- */

static void test_ttl_same_everywhere(void **state)
{
    int l = leader(10000);
    redisContext *ctx = conn(l, 10000);
    EXPECT_R(ctx, l, "+OK", "SET", "t7:k", "v", "PX", "1500");
    int64_t t_set = cl_mono_ms();
    disc(ctx);
    /* PTTL on each node, with the wall clock just before and after asking:
     * the node's own clock was in between, so its expiry instant (now +
     * PTTL) must lie in [before + PTTL, after + PTTL]; and that instant is
     * PEXPIRETIME, the same on every node (it comes from the entry). The
     * time a read takes on a loaded machine does not matter this way. */
    long long pttl[CLUSTER_N], pexat[CLUSTER_N];
    int64_t before[CLUSTER_N], after[CLUSTER_N];
    for (int k = 0; k < CLUSTER_N; k++) {
        int i = (l + k) % CLUSTER_N;
        ctx = conn(i, 10000);
        char b[128];
        before[i] = now_wall_ms();
        redisReply *r = cl_cmd(ctx, "PTTL", "t7:k", NULL);
        after[i] = now_wall_ms();
        if (!r || r->type != REDIS_REPLY_INTEGER)
            fail_msg("node %d: PTTL -> %s", i + 1, cl_str(r, ctx, b, sizeof(b)));
        pttl[i] = r->integer;
        freeReplyObject(r);
        r = cl_cmd(ctx, "PEXPIRETIME", "t7:k", NULL);
        if (!r || r->type != REDIS_REPLY_INTEGER)
            fail_msg("node %d: PEXPIRETIME -> %s", i + 1, cl_str(r, ctx, b, sizeof(b)));
        pexat[i] = r->integer;
        freeReplyObject(r);
        disc(ctx);
    }
    long long lo = LLONG_MAX, hi = LLONG_MIN;
    for (int i = 0; i < CLUSTER_N; i++) {
        long long at = (before[i] + after[i]) / 2 + pttl[i]; /* the expiry instant it implies */
        fprintf(stderr, "  node %d: PTTL %lld (asked in %lld ms), PEXPIRETIME %lld, implied %lld\n",
                i + 1, pttl[i], (long long)(after[i] - before[i]), pexat[i], at);
        /* the expiry time comes from the entry: the same everywhere */
        assert_int_equal(pexat[i], pexat[l]);
        if (pttl[i] == -2 && after[i] >= pexat[l]) continue; /* asked too late: gone, rightly */
        if (pttl[i] <= 0 || pttl[i] > 1500)
            fail_msg("node %d: PTTL %lld not in (0, 1500]", i + 1, pttl[i]);
        if (pexat[l] < before[i] + pttl[i] - 2 || pexat[l] > after[i] + pttl[i] + 2)
            fail_msg("node %d: PTTL %lld asked between %lld and %lld implies an expiry in [%lld, "
                     "%lld], not at %lld",
                     i + 1, pttl[i], (long long)before[i], (long long)after[i],
                     (long long)before[i] + pttl[i], (long long)after[i] + pttl[i], pexat[l]);
        if (at < lo) lo = at;
        if (at > hi) hi = at;
    }
    fprintf(stderr, "  implied expiry instants differ by %lld ms\n", hi - lo);

    while (cl_mono_ms() < t_set + 2000)
        usleep(10000);
    for (int i = 0; i < CLUSTER_N; i++) {
        ctx = conn(i, 10000);
        EXPECT_R(ctx, i, "(nil)", "GET", "t7:k");
        EXPECT_R(ctx, i, ":0", "EXISTS", "t7:k");
        EXPECT_R(ctx, i, ":-2", "PTTL", "t7:k");
        disc(ctx);
    }
    finish_test();
}

/* ---- 8. follower_mode proxy (last) ----------------------------------------- */

static void test_proxy_writes(void **state)
{
    int l = cluster_log_leader(&cl, 10000);
    if (l < 0) fail_msg("no node logged role=leader within 10 s");
    /* the leader acknowledges writes (and with it the followers know it) */
    int at = l;
    WRITE_OK(&at, "t8:first", "1");
    l = at;
    fprintf(stderr, "  leader: node %d (port %d)\n", l + 1, cl.node[l].port);
    for (int f = 0; f < CLUSTER_N; f++) {
        if (f == l) continue;
        char k[32], v[32], want[40];
        snprintf(k, sizeof(k), "t8:from%d", f + 1);
        snprintf(v, sizeof(v), "via%d", f + 1);
        snprintf(want, sizeof(want), "$via%d", f + 1);
        redisContext *ctx = conn(f, 10000);
        EXPECT_R(ctx, f, "+OK", "SET", k, v);
        EXPECT_R(ctx, f, ":1", "INCR", "t8:count");
        disc(ctx);
        for (int i = 0; i < CLUSTER_N; i++) {
            ctx = conn(i, 10000);
            EXPECT_R(ctx, i, want, "GET", k);
            disc(ctx);
        }
        /* a transaction on the follower */
        char tk[32], tc[32];
        snprintf(tk, sizeof(tk), "t8:tx%d", f + 1);
        snprintf(tc, sizeof(tc), "t8:txn%d", f + 1);
        ctx = conn(f, 10000);
        EXPECT_R(ctx, f, "+OK", "MULTI");
        EXPECT_R(ctx, f, "+QUEUED", "SET", tk, "a");
        EXPECT_R(ctx, f, "+QUEUED", "INCR", tc);
        EXPECT_R(ctx, f, "*2[+OK,:1]", "EXEC");
        disc(ctx);
        for (int i = 0; i < CLUSTER_N; i++) {
            ctx = conn(i, 10000);
            EXPECT_R(ctx, i, "$a", "GET", tk);
            EXPECT_R(ctx, i, "$1", "GET", tc);
            disc(ctx);
        }
        /* the counter got 1 from the first follower: reset it for the next */
        ctx = conn(l, 10000);
        EXPECT_R(ctx, l, ":1", "DEL", "t8:count");
        disc(ctx);
    }
    finish_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_on_leader_read_everywhere, setup_fast, teardown),
        cmocka_unit_test_setup_teardown(test_follower_redirect, setup_fast, teardown),
        cmocka_unit_test_setup_teardown(test_failover_kill9_default_timings, setup_default_timings,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sigstop_follower, setup_fast, teardown),
        cmocka_unit_test_setup_teardown(test_sigstop_leader, setup_fast, teardown),
        cmocka_unit_test_setup_teardown(test_minority_clusterdown, setup_fast, teardown),
        cmocka_unit_test_setup_teardown(test_ttl_same_everywhere, setup_fast, teardown),
        cmocka_unit_test_setup_teardown(test_proxy_writes, setup_proxy, teardown),
    };
    /* CLUSTER_TEST=test_sigstop_* runs only the matching tests */
    const char *only = getenv("CLUSTER_TEST");
    if (only && *only) cmocka_set_test_filter(only);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
