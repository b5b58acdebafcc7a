/* Snapshots and log compaction on a real 3-node cluster
 * (tests/support/cluster.h), with thresholds small enough that they happen
 * all the time:
 *  1. 200,000 writes: every node's log stays within a small multiple of
 *     threshold + trailing, in entries and in bytes; after kill -9 of every
 *     node and a restart, every key is there and the digests agree;
 *  2. a follower that was down while the others compacted past it comes
 *     back through a snapshot, ends with the leader's digest, and keeps
 *     replicating; writes made through it (and, after a failover, by it
 *     when it leads) still go through the log;
 *  3. a follower killed in the middle of receiving a snapshot restarts on
 *     its old state and completes the install on the next try; a leader
 *     killed in the middle of sending is replaced by one that sends its own;
 *  4. a snapshot of some tens of MB moves with the default timings without
 *     an election and without the leader's memory growing beyond a few
 *     chunks.
 * The chaos test (test_chaos.c) runs with a tiny threshold as well. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/cluster.h"

static cluster_t cl;
static bool test_done;
static redisContext *ctxs[CLUSTER_N];

static void drop(int i)
{
    if (ctxs[i]) redisFree(ctxs[i]);
    ctxs[i] = NULL;
}

static redisContext *ctx(int i)
{
    if (!ctxs[i]) ctxs[i] = cl_connect(&cl, i, 10000);
    if (!ctxs[i]) fail_msg("node %d: cannot connect", i + 1);
    return ctxs[i];
}

static redisReply *cmd(int i, const char *arg0, ...)
{
    const char *argv[16];
    int argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a && argc < 16; a = va_arg(ap, const char *)) argv[argc++] = a;
    va_end(ap);
    redisReply *r = redisCommandArgv(ctx(i), argc, argv, NULL);
    if (!r) {
        char err[128];
        snprintf(err, sizeof(err), "%s", ctx(i)->errstr);
        drop(i);
        fail_msg("node %d: %s: connection error %s", i + 1, arg0, err);
    }
    return r;
}

/* A number from INFO raft (-1 when the field is missing). */
static long long info(int i, const char *field)
{
    redisReply *r = cmd(i, "INFO", "raft", NULL);
    if (r->type != REDIS_REPLY_STRING) fail_msg("node %d: INFO raft: not a string", i + 1);
    char pat[80];
    snprintf(pat, sizeof(pat), "\r\n%s:", field);
    const char *p = strstr(r->str, pat);
    long long v = p ? strtoll(p + strlen(pat), NULL, 10) : -1;
    freeReplyObject(r);
    return v;
}

static int leader(void)
{
    int l = cluster_log_leader(&cl, 15000);
    if (l < 0) fail_msg("no leader within 15 s");
    return l;
}

/* Writes keys prefix:from .. prefix:from+count-1 (values of vlen bytes) to
 * node i, pipelined 500 at a time; every reply must be +OK. */
static void write_keys(int i, const char *prefix, long from, long count, size_t vlen)
{
    char *val = malloc(vlen + 1);
    memset(val, 'v', vlen);
    val[vlen] = 0;
    redisContext *c = ctx(i);
    for (long done = 0; done < count;) {
        long batch = count - done < 500 ? count - done : 500;
        for (long k = 0; k < batch; k++) {
            char key[64];
            snprintf(key, sizeof(key), "%s:%ld", prefix, from + done + k);
            redisAppendCommand(c, "SET %s %b", key, val, vlen);
        }
        for (long k = 0; k < batch; k++) {
            redisReply *r = NULL;
            if (redisGetReply(c, (void **)&r) != REDIS_OK || !r) fail_msg("node %d: write: %s", i + 1, c->errstr);
            if (r->type != REDIS_REPLY_STATUS || strcmp(r->str, "OK") != 0)
                fail_msg("node %d: SET %s:%ld -> %s", i + 1, prefix, from + done + k,
                         r->type == REDIS_REPLY_ERROR ? r->str : "(not OK)");
            freeReplyObject(r);
        }
        done += batch;
    }
    free(val);
}

/* Waits until every running node has applied the same index and returns
 * after checking their DEBUG DIGESTs agree there. */
static void digests_agree(const char *when)
{
    int64_t deadline = cl_mono_ms() + 30000;
    for (;;) {
        long long idx[CLUSTER_N] = {0};
        char dig[CLUSTER_N][41] = {{0}};
        bool stable = true;
        int first = -1;
        for (int i = 0; i < CLUSTER_N; i++) {
            if (!cluster_up(&cl, i)) continue;
            long long before = info(i, "raft_applied_index");
            redisReply *r = cmd(i, "DEBUG", "DIGEST", NULL);
            if (r->type == REDIS_REPLY_STATUS) snprintf(dig[i], 41, "%s", r->str);
            freeReplyObject(r);
            idx[i] = info(i, "raft_applied_index");
            if (first < 0) first = i;
            stable = stable && before == idx[i] && idx[i] == idx[first] && dig[i][0];
        }
        if (stable) {
            for (int i = 0; i < CLUSTER_N; i++)
                if (cluster_up(&cl, i) && strcmp(dig[i], dig[first]) != 0)
                    fail_msg("%s: at index %lld node %d has digest %s, node %d %s", when, idx[first], first + 1,
                             dig[first], i + 1, dig[i]);
            fprintf(stderr, "  %s: all at index %lld, digest %s\n", when, idx[first], dig[first]);
            return;
        }
        if (cl_mono_ms() > deadline)
            fail_msg("%s: applied indexes never settled: %lld %lld %lld", when, idx[0], idx[1], idx[2]);
        usleep(50000);
    }
}

static long long dbsize(int i)
{
    redisReply *r = cmd(i, "DBSIZE", NULL);
    long long v = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    return v;
}

/* The value of GET key on node i as a string ("(nil)" / "-ERR..."). */
static void get_is(int i, const char *key, const char *want)
{
    redisReply *r = cmd(i, "GET", key, NULL);
    char got[256];
    snprintf(got, sizeof(got), "%s",
             r->type == REDIS_REPLY_STRING ? r->str : r->type == REDIS_REPLY_NIL ? "(nil)" : r->str ? r->str : "?");
    freeReplyObject(r);
    if (strcmp(got, want) != 0) fail_msg("node %d: GET %s = %s, expected %s", i + 1, key, got, want);
}

/* Polls INFO field of node i until it is >= want. */
static void wait_info_at_least(int i, const char *field, long long want, int timeout_ms)
{
    int64_t deadline = cl_mono_ms() + timeout_ms;
    long long v;
    while ((v = info(i, field)) < want) {
        if (cl_mono_ms() > deadline) fail_msg("node %d: %s is %lld after %d ms, expected >= %lld", i + 1, field, v,
                                              timeout_ms, want);
        usleep(20000);
    }
}

/* True once node i's log has a line containing s. */
static bool log_has(int i, const char *s)
{
    FILE *f = fopen(cl.node[i].log, "r");
    if (!f) return false;
    char line[2048];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f)) found = strstr(line, s) != NULL;
    fclose(f);
    return found;
}

static void wait_log(int i, const char *s, int timeout_ms)
{
    int64_t deadline = cl_mono_ms() + timeout_ms;
    while (!log_has(i, s)) {
        if (cl_mono_ms() > deadline) fail_msg("node %d: no \"%s\" in its log after %d ms", i + 1, s, timeout_ms);
        usleep(10000);
    }
}

static int start_with(const char *const *args)
{
    test_done = false;
    return cluster_start(&cl, cluster_fast_args, args);
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < CLUSTER_N; i++) drop(i);
    if (!test_done) {
        fprintf(stderr, "---- the test failed; logs of the cluster (members %s):\n", cl.members);
        cluster_dump_logs(&cl, 30);
    }
    return cluster_finish(&cl);
}

/* ---- 1. bounded log, restart ---------------------------------------------------- */

#define T1_THRESHOLD 2000
#define T1_TRAILING 200
#define T1_SEGMENT 262144
static const char *const t1_args[] = {"--snapshot_threshold", "2000", "--snapshot_trailing", "200",
                                      "--log_segment_size", "262144", NULL};

static int setup_t1(void **state)
{
    (void)state;
    return start_with(t1_args);
}

static void test_log_bounded_and_restart(void **state)
{
    (void)state;
    int l = leader();
    const long total = 200000;
    long long max_entries = 0, max_bytes = 0;
    for (long done = 0; done < total; done += 20000) {
        write_keys(l, "k", done, 20000, 16);
        for (int i = 0; i < CLUSTER_N; i++) {
            long long e = info(i, "raft_log_entries"), b = info(i, "raft_log_bytes");
            if (e > max_entries) max_entries = e;
            if (b > max_bytes) max_bytes = b;
        }
    }
    /* Under load, a snapshot starts once threshold entries are past the
     * last one and takes a moment in the background (100-200 ms here, mostly
     * the checkpoint's memtable flush), while the writes go on at full
     * speed: the log then holds what arrives during one snapshot, ~10,000
     * entries at this test's rate, whatever the total written (200,000).
     * At rest it is within threshold + trailing, give or take the one
     * segment that compaction cannot delete because it still holds newer
     * entries. */
    long long load_entries = 20 * (T1_THRESHOLD + T1_TRAILING);
    long long load_bytes = 3 * T1_SEGMENT + load_entries * 128;
    fprintf(stderr, "  under load: log at most %lld entries (bound %lld), %lld bytes (bound %lld)\n", max_entries,
            load_entries, max_bytes, load_bytes);
    assert_true(max_entries > 0 && max_entries <= load_entries);
    assert_true(max_bytes > 0 && max_bytes <= load_bytes);
    digests_agree("after 200000 writes");
    for (int i = 0; i < CLUSTER_N; i++) {
        long long e = info(i, "raft_log_entries"), b = info(i, "raft_log_bytes");
        fprintf(stderr, "  node %d at rest: %lld entries, %lld bytes\n", i + 1, e, b);
        assert_true(e <= 3 * (T1_THRESHOLD + T1_TRAILING));
        assert_true(b <= 2 * T1_SEGMENT);
    }
    for (int i = 0; i < CLUSTER_N; i++) {
        assert_true(info(i, "raft_snapshots_made") >= 20);
        assert_true(info(i, "raft_log_first_index") > total / 2);
    }

    /* every node dies at once and comes back */
    for (int i = 0; i < CLUSTER_N; i++) {
        drop(i);
        cluster_kill9(&cl, i);
    }
    int all[] = {0, 1, 2, -1};
    assert_int_equal(cluster_restart_many(&cl, all), 0);
    l = leader();
    for (int i = 0; i < CLUSTER_N; i++) {
        assert_int_equal(dbsize(i), total);
        get_is(i, "k:0", "vvvvvvvvvvvvvvvv");
        get_is(i, "k:199999", "vvvvvvvvvvvvvvvv");
    }
    write_keys(l, "after", 0, 100, 4);
    digests_agree("after restarting every node");
    test_done = true;
}

/* ---- 2. catching up through a snapshot ---------------------------------------------- */

static const char *const t2_args[] = {"--snapshot_threshold", "500", "--snapshot_trailing", "50", NULL};

static int setup_t2(void **state)
{
    (void)state;
    return start_with(t2_args);
}

static void test_follower_catches_up(void **state)
{
    (void)state;
    int l = leader();
    write_keys(l, "a", 0, 1000, 32);
    int f = (l + 1) % CLUSTER_N, other = (l + 2) % CLUSTER_N;
    wait_info_at_least(f, "raft_applied_index", info(l, "raft_commit_index"), 5000);
    long long f_last = info(f, "raft_last_index");
    drop(f);
    cluster_kill9(&cl, f);
    write_keys(l, "b", 0, 5000, 32);
    /* the others compacted past what the follower has */
    wait_info_at_least(l, "raft_log_first_index", f_last + 2, 10000);
    wait_info_at_least(other, "raft_log_first_index", f_last + 2, 10000);

    assert_int_equal(cluster_restart(&cl, f), 0);
    wait_info_at_least(f, "raft_snapshots_received", 1, 15000);
    wait_info_at_least(l, "raft_snapshots_sent", 1, 5000);
    digests_agree("after the install");
    get_is(f, "a:0", "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv");
    get_is(f, "b:4999", "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv");

    /* it keeps replicating, and writes through it still go through the log */
    long long last_before = info(f, "raft_last_index");
    write_keys(l, "c", 0, 300, 8);
    write_keys(f, "d", 0, 300, 8); /* proxied to the leader */
    wait_info_at_least(f, "raft_last_index", last_before + 600, 5000);
    get_is(other, "d:299", "vvvvvvvv");
    digests_agree("after more writes");

    /* the installed node may lead: stop the leader; whoever takes over,
     * writes reach every running node through the log */
    cluster_sigstop(&cl, l);
    drop(l);
    int nl = cluster_leader(&cl, 15000);
    if (nl < 0) fail_msg("no new leader after stopping node %d", l + 1);
    fprintf(stderr, "  new leader: node %d (the installed one is node %d)\n", nl + 1, f + 1);
    long long other_last = info(nl == f ? other : f, "raft_last_index");
    write_keys(nl, "e", 0, 200, 8);
    wait_info_at_least(nl == f ? other : f, "raft_last_index", other_last + 200, 5000);
    cluster_sigcont(&cl, l);
    digests_agree("after a failover");
    test_done = true;
}

/* ---- 3. interrupted transfers ----------------------------------------------------------- */

static const char *const t3_args[] = {"--snapshot_threshold", "300", "--snapshot_trailing", "30",
                                      "--snapshot_chunk_size", "16384", "--snapshot_chunk_delay_ms", "25", NULL};

static int setup_t3(void **state)
{
    (void)state;
    return start_with(t3_args);
}

/* Stops follower f, writes enough for a snapshot of ~1.5 MB past it, starts
 * it again and waits until it is receiving (from sender s, if >= 0). */
static void make_follower_need_snapshot(int l, int f, const char *prefix)
{
    drop(f);
    cluster_kill9(&cl, f);
    write_keys(l, prefix, 0, 12000, 100);
    assert_int_equal(cluster_restart(&cl, f), 0);
    wait_log(f, "event=snapshot_receive_started", 15000);
}

static void test_interrupted_transfers(void **state)
{
    (void)state;
    int l = leader();
    write_keys(l, "base", 0, 500, 10);
    int f = (l + 1) % CLUSTER_N;
    wait_info_at_least(f, "raft_applied_index", info(l, "raft_commit_index"), 5000);
    long long applied_before = info(f, "raft_applied_index");

    /* the follower dies while receiving: it restarts on its old state */
    make_follower_need_snapshot(l, f, "p");
    usleep(300000);
    assert_int_equal(info(f, "raft_snapshot_receiving"), 1);
    drop(f);
    cluster_kill9(&cl, f);
    char line[128];
    snprintf(line, sizeof(line), "event=raft_started id=%d ", f + 1);
    assert_int_equal(cluster_restart(&cl, f), 0);
    /* the second start's raft_started line tells the applied index it found */
    {
        FILE *fp = fopen(cl.node[f].log, "r");
        char buf[2048];
        long long applied_at_start = -1;
        while (fp && fgets(buf, sizeof(buf), fp))
            if (strstr(buf, "event=raft_started")) {
                const char *p = strstr(buf, " applied=");
                if (p) applied_at_start = strtoll(p + 9, NULL, 10);
            }
        if (fp) fclose(fp);
        fprintf(stderr, "  follower restarted with applied=%lld (before the transfer: %lld)\n", applied_at_start,
                applied_before);
        assert_true(applied_at_start >= applied_before);
        assert_true(applied_at_start < info(l, "raft_snapshot_index"));
    }
    wait_info_at_least(f, "raft_snapshots_received", 1, 30000);
    digests_agree("after the interrupted install was redone");

    /* the leader dies while sending: the next leader sends its own */
    make_follower_need_snapshot(l, f, "q");
    usleep(300000);
    drop(l);
    cluster_kill9(&cl, l);
    int nl = -1;
    int64_t deadline = cl_mono_ms() + 15000;
    while (nl < 0 || nl == l) {
        nl = cluster_log_leader(&cl, 1000);
        if (cl_mono_ms() > deadline) fail_msg("no new leader after killing node %d", l + 1);
    }
    fprintf(stderr, "  killed leader node %d mid-send; node %d leads now\n", l + 1, nl + 1);
    assert_true(nl != f); /* the receiver cannot win: its log is behind */
    char from[64];
    snprintf(from, sizeof(from), "event=snapshot_receive_started from=%d ", nl + 1);
    wait_log(f, from, 20000);
    wait_log(nl, "event=snapshot_sent ", 60000);
    assert_int_equal(cluster_restart(&cl, l), 0);
    write_keys(nl, "r", 0, 100, 8);
    digests_agree("after the new leader's snapshot");
    test_done = true;
}

/* ---- 4. a large snapshot with default timings ------------------------------------------------ */

static const char *const t4_args[] = {"--heartbeat_interval_ms", "100", "--election_timeout_min_ms", "1000",
                                      "--election_timeout_max_ms", "2000", "--snapshot_threshold", "2000",
                                      "--snapshot_trailing", "100", NULL};

static int setup_t4(void **state)
{
    (void)state;
    test_done = false;
    return cluster_start(&cl, t4_args, NULL);
}

static void test_large_snapshot(void **state)
{
    (void)state;
    int l = leader();
    int f = (l + 1) % CLUSTER_N;
    drop(f);
    cluster_kill9(&cl, f);
    const long keys = 24000; /* x 1 KB: a snapshot of ~25 MB */
    write_keys(l, "big", 0, keys, 1024);
    /* RAFT.SNAPSHOT makes one now (or right after the one being made) */
    redisReply *r = cmd(l, "RAFT.SNAPSHOT", NULL);
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    assert_true(strcmp(r->str, "Background snapshot started") == 0 || strcmp(r->str, "Background snapshot scheduled") == 0);
    freeReplyObject(r);
    /* the checkpoint holds what the committer had written; when that lagged
     * the applies, a second snapshot follows (node_snapshot.c): generous
     * for two snapshots under AddressSanitizer */
    wait_info_at_least(l, "raft_snapshot_index", info(l, "raft_applied_index"), 40000);
    long long bytes = info(l, "raft_snapshot_bytes");
    fprintf(stderr, "  leader's snapshot: %lld bytes\n", bytes);
    assert_true(bytes > 20 * 1024 * 1024);

    long long term0 = info(l, "raft_term");
    long rss0 = proc_rss_kb(cl.node[l].pid), rss_max = rss0;
    assert_int_equal(cluster_restart(&cl, f), 0);
    int64_t deadline = cl_mono_ms() + 90000;
    while (info(f, "raft_snapshots_received") < 1) {
        long kb = proc_rss_kb(cl.node[l].pid);
        if (kb > rss_max) rss_max = kb;
        for (int i = 0; i < CLUSTER_N; i++)
            if (info(i, "raft_term") != term0) fail_msg("node %d: an election happened during the transfer", i + 1);
        if (cl_mono_ms() > deadline) fail_msg("the follower did not install the snapshot within 90 s");
        usleep(20000);
    }
    for (int i = 0; i < CLUSTER_N; i++) assert_int_equal(info(i, "raft_term"), term0);
    /* a few chunks in flight, not the snapshot: under AddressSanitizer freed
     * memory sits in its quarantine (256 MB), so only the plain build can
     * tell */
    bool asan = getenv("REDRAFT_BIN") && strstr(getenv("REDRAFT_BIN"), "asan");
    fprintf(stderr, "  leader RSS %ld kB before, at most %ld kB during the transfer%s\n", rss0, rss_max,
            asan ? " (not bounded under ASan)" : "");
    if (!asan) assert_true(rss_max - rss0 < 48 * 1024);
    digests_agree("after the large snapshot");
    test_done = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_log_bounded_and_restart, setup_t1, teardown),
        cmocka_unit_test_setup_teardown(test_follower_catches_up, setup_t2, teardown),
        cmocka_unit_test_setup_teardown(test_interrupted_transfers, setup_t3, teardown),
        cmocka_unit_test_setup_teardown(test_large_snapshot, setup_t4, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
