/* Chaos with a linearizability check: clients SET unique values and GET a
 * few keys through any node (follower_mode proxy) while a nemesis kills -9,
 * restarts and pauses nodes at random; the recorded history must be
 * linearizable for a register per key (tests/support/linearize.h).
 *
 * A write that got an error or no answer is recorded with an unknown
 * outcome (it may have been applied, at any time after it was sent); a read
 * that got an error observed nothing and is left out. CHAOS_SECONDS sets the
 * length (8 s in make test, longer with make chaos); a failing history is
 * saved to build/test-logs/chaos-history.txt for lin_history_load.
 * CHAOS_READONLY=1 makes the clients send READONLY (stale reads on
 * followers), which the check should then catch: a test of the test. The
 * nodes snapshot and compact every 50 entries, so restarted and paused
 * nodes often catch up through a snapshot install in the middle of it all.
 * A membership nemesis adds a node (a new id each time, started with
 * --join) and removes it again (POST /cluster/leave, then stops it), so
 * configuration changes, learner catch-up and promotions happen under the
 * same faults; clients talk to the three founding nodes. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/cluster.h"
#include "support/httpc.h"
#include "support/linearize.h"

#define NCLIENTS 5
#define NKEYS 4
#define OP_TIMEOUT_MS 3000

static cluster_t cl;
static atomic_bool stop;
static pthread_mutex_t hist_mu = PTHREAD_MUTEX_INITIALIZER;
static lin_history_t *hist;
static atomic_long n_ok, n_unknown, n_read_err;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static unsigned next_rand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 16;
}

/* One client: random SET (unique value) or GET on a random key, through a
 * random node; a broken connection moves to another node. */
static void *client_main(void *arg)
{
    int id = (int)(intptr_t)arg;
    unsigned seed = 7919u * (unsigned)(id + 1);
    redisContext *ctx = NULL;
    long seq = 0;
    while (!atomic_load(&stop)) {
        if (!ctx) {
            ctx = cl_connect(&cl, (int)(next_rand(&seed) % CLUSTER_N), OP_TIMEOUT_MS);
            if (!ctx) {
                usleep(50000);
                continue;
            }
            if (getenv("CHAOS_READONLY")) { /* a check of the check: stale follower reads must be caught */
                redisReply *r = redisCommand(ctx, "READONLY");
                if (r) freeReplyObject(r);
            }
        }
        char key[16], val[48];
        snprintf(key, sizeof(key), "k%u", next_rand(&seed) % NKEYS);
        bool write = next_rand(&seed) % 2 == 0;
        snprintf(val, sizeof(val), "c%d-%ld", id, ++seq);
        int64_t inv = now_us();
        redisReply *r = write ? redisCommand(ctx, "SET %s %s", key, val) : redisCommand(ctx, "GET %s", key);
        int64_t ret = now_us();
        pthread_mutex_lock(&hist_mu);
        if (write) {
            size_t i = lin_set(hist, id, key, val, inv, ret);
            if (!r || r->type != REDIS_REPLY_STATUS || strcmp(r->str, "OK") != 0) {
                lin_unknown(hist, i);
                atomic_fetch_add(&n_unknown, 1);
            } else {
                atomic_fetch_add(&n_ok, 1);
            }
        } else if (r && r->type == REDIS_REPLY_STRING) {
            lin_get(hist, id, key, r->str, inv, ret);
        } else if (r && r->type == REDIS_REPLY_NIL) {
            lin_get(hist, id, key, NULL, inv, ret);
        } else {
            atomic_fetch_add(&n_read_err, 1);
        }
        pthread_mutex_unlock(&hist_mu);
        if (!r) {
            redisFree(ctx);
            ctx = NULL;
        } else {
            if (r->type == REDIS_REPLY_ERROR) usleep(20000); /* no leader now: don't spin */
            freeReplyObject(r);
        }
    }
    if (ctx) redisFree(ctx);
    return NULL;
}

/* POST path body to founding node at, following one 307: the final status
 * (0: no answer). */
static int admin_post(int at, const char *path, const char *body)
{
    httpc_resp_t r;
    char err[256], loc_path[256];
    int port = cluster_http_port(&cl, at);
    for (int hop = 0; hop < 3; hop++) {
        if (httpc_request(port, "POST", path, body, NULL, 10000, &r, err, sizeof(err)) != 0) return 0;
        int status = r.status;
        char loc[512];
        bool redirect = status == 307 && httpc_header(&r, "Location", loc, sizeof(loc)) &&
                        httpc_parse_location(loc, &port, loc_path, sizeof(loc_path)) == 0;
        fprintf(stderr, "chaos: POST %s %s -> %d %.*s", path, body, status, (int)(r.len > 200 ? 200 : r.len),
                r.body ? r.body : "");
        if (r.len == 0 || r.body[r.len - 1] != '\n') fprintf(stderr, "\n");
        httpc_free(&r);
        if (!redirect) return status;
        path = loc_path;
    }
    return 0;
}

static int next_id = 4;  /* ids are never reused */
static int extra = -1;   /* the index of the node added, if any */

/* Adds a node, or removes the one added (and stops it once it is out). A
 * removal the leader refuses (no quorum while a founder is down) leaves it
 * for the next round. */
static void membership_change(unsigned *seed)
{
    int at = (int)(next_rand(seed) % CLUSTER_N);
    if (!cluster_up(&cl, at)) at = (at + 1) % CLUSTER_N;
    if (extra < 0) {
        if (next_id >= 4 + (CLUSTER_MAX - CLUSTER_N)) return;
        char join[32];
        snprintf(join, sizeof(join), "127.0.0.1:%d", cluster_http_port(&cl, at));
        const char *args[] = {"--join", join, NULL};
        int id = next_id++;
        fprintf(stderr, "chaos: add node %d (join through node %d)\n", id, at + 1);
        extra = cluster_start_extra(&cl, id, args);
        if (extra < 0) fail_msg("node %d did not start", id);
        return;
    }
    char body[64];
    snprintf(body, sizeof(body), "{\"id\": %d}", cl.id[extra]);
    fprintf(stderr, "chaos: remove node %d\n", cl.id[extra]);
    if (admin_post(at, "/cluster/leave", body) != 200) return;
    proc_stop(&cl.node[extra]);
    proc_cleanup(&cl.node[extra]);
    extra = -1;
}

/* Kills, pauses and restarts one node at a time, so a majority is up most
 * of the time and the cluster keeps making progress between faults; now
 * and then the membership changes. */
static void nemesis(int seconds)
{
    unsigned seed = (unsigned)time(NULL);
    const char *env = getenv("CHAOS_SEED");
    if (env) seed = (unsigned)atoi(env);
    fprintf(stderr, "chaos: seed %u (CHAOS_SEED to replay the nemesis)\n", seed);
    int64_t end = cl_mono_ms() + seconds * 1000;
    while (cl_mono_ms() < end) {
        int victim = (int)(next_rand(&seed) % CLUSTER_N);
        int hold_ms = 300 + (int)(next_rand(&seed) % 1200);
        unsigned pick = next_rand(&seed) % 4;
        if (pick == 3) {
            membership_change(&seed);
            usleep((useconds_t)hold_ms * 1000);
            continue;
        }
        switch (pick) {
        case 0:
            fprintf(stderr, "chaos: kill -9 node %d for %d ms\n", victim + 1, hold_ms);
            cluster_kill9(&cl, victim);
            usleep((useconds_t)hold_ms * 1000);
            if (cluster_restart(&cl, victim) != 0) fail_msg("node %d did not restart", victim + 1);
            break;
        case 1:
            fprintf(stderr, "chaos: SIGSTOP node %d for %d ms\n", victim + 1, hold_ms);
            cluster_sigstop(&cl, victim);
            usleep((useconds_t)hold_ms * 1000);
            cluster_sigcont(&cl, victim);
            break;
        default:
            fprintf(stderr, "chaos: quiet for %d ms\n", hold_ms);
            usleep((useconds_t)hold_ms * 1000);
        }
        usleep(200000 + (next_rand(&seed) % 600) * 1000);
    }
}

static void test_chaos_linearizable(void **state)
{
    (void)state;
    int seconds = getenv("CHAOS_SECONDS") ? atoi(getenv("CHAOS_SECONDS")) : 8;
    /* compaction at a tiny threshold: a node that was down or paused for a
     * moment comes back through a snapshot, under the same faults */
    const char *args[] = {"--follower_mode", "proxy", "--request_timeout_ms", "1500", "--snapshot_threshold", "50",
                          "--snapshot_trailing", "10", "--snapshot_chunk_size", "4096", NULL};
    assert_int_equal(cluster_start(&cl, cluster_fast_args, args), 0);
    hist = lin_history_new();
    pthread_t th[NCLIENTS];
    for (int i = 0; i < NCLIENTS; i++) pthread_create(&th[i], NULL, client_main, (void *)(intptr_t)i);
    nemesis(seconds);
    usleep(1500000); /* the last faults heal; clients go on */
    atomic_store(&stop, true);
    for (int i = 0; i < NCLIENTS; i++) pthread_join(th[i], NULL);

    fprintf(stderr, "chaos: %zu ops, %ld writes acknowledged, %ld with unknown outcome, %ld failed reads\n",
            hist->n, atomic_load(&n_ok), atomic_load(&n_unknown), atomic_load(&n_read_err));
    lin_result_t res;
    lin_verdict_t v = lin_check(hist, NULL, &res);
    fprintf(stderr, "chaos: %s\n", lin_verdict_name(v));
    if (v == LIN_NOT_LINEARIZABLE) {
        const char *path = "build/test-logs/chaos-history.txt";
        lin_history_save(hist, path);
        fprintf(stderr, "%s\nhistory saved to %s\n", res.explain ? res.explain : "", path);
        cluster_dump_logs(&cl, 30);
    } else if (v == LIN_UNKNOWN) {
        fprintf(stderr, "chaos: warning: the checker ran out of budget; history not judged\n");
    }
    lin_result_free(&res);
    lin_history_free(hist);
    long long made = 0, installed = 0;
    for (int i = 0; i < CLUSTER_N; i++) {
        redisContext *c = cluster_up(&cl, i) ? cl_connect(&cl, i, 2000) : NULL;
        redisReply *r = c ? redisCommand(c, "INFO raft") : NULL;
        const char *p;
        if (r && r->type == REDIS_REPLY_STRING && (p = strstr(r->str, "raft_snapshots_made:"))) made += atoll(p + 20);
        if (r && r->type == REDIS_REPLY_STRING && (p = strstr(r->str, "raft_snapshots_received:")))
            installed += atoll(p + 24);
        if (r) freeReplyObject(r);
        if (c) redisFree(c);
    }
    fprintf(stderr, "chaos: %lld snapshots made, %lld installed from a leader (nodes as they are now)\n", made,
            installed);
    /* progress: the cluster did serve writes under the faults */
    assert_true(atomic_load(&n_ok) > 0);
    assert_int_not_equal(v, LIN_NOT_LINEARIZABLE);
    assert_int_equal(cluster_finish(&cl), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chaos_linearizable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
