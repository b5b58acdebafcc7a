/* The HTTP admin API (src/node/admin.c) on a real 3-node cluster: every
 * endpoint's JSON checked field by field, the leader-only endpoints, 307
 * from followers, leadership transfer, the Prometheus text (and `promtool
 * check metrics` when promtool is installed), the admin token, and bad
 * requests (malformed JSON, wrong types, unknown path, wrong method, a huge
 * body, a client that sends too slowly), after each of which the node still
 * serves. Requests go over plain sockets, so that what is sent is exact. */
#include <errno.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/cluster.h"
#include "support/httpc.h"

static cluster_t cl;
static bool test_done;

typedef httpc_resp_t resp_t;

static void resp_free(resp_t *r)
{
    httpc_free(r);
}

static int http_port(int i)
{
    return cl.node[i].port + 1000;
}

static int connect_to(int port)
{
    char err[256];
    int fd = httpc_connect(port, 15000, err, sizeof(err));
    if (fd < 0) fail_msg("%s", err);
    return fd;
}

/* Reads one response (head + Content-Length body) from fd, and not a byte
 * more (tests/support/httpc.c), so that a pipelined second response stays in
 * the socket for the next call. */
static void read_resp_at(int fd, resp_t *r, int line)
{
    char err[256];
    if (httpc_read(fd, r, err, sizeof(err)) < 0) fail_msg("line %d: %s", line, err);
}
#define read_resp(fd, r) read_resp_at(fd, r, __LINE__)

/* One request on a new connection. body may be NULL; token NULL: none. */
static void call(int i, const char *method, const char *path, const char *body, const char *token, resp_t *r)
{
    char err[256];
    if (httpc_request(http_port(i), method, path, body, token, 15000, r, err, sizeof(err)) < 0)
        fail_msg("%s %s on node %d: %s", method, path, i + 1, err);
}

static json_t *json_of(const resp_t *r)
{
    json_error_t e;
    json_t *j = json_loads(r->body, 0, &e);
    if (!j) fail_msg("not JSON (%s): %s", e.text, r->body);
    return j;
}

static json_int_t int_field(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_integer(v)) fail_msg("field %s is not an integer", k);
    return json_integer_value(v);
}

static const char *str_field(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_string(v)) fail_msg("field %s is not a string", k);
    return json_string_value(v);
}

static bool bool_field(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_boolean(v)) fail_msg("field %s is not a boolean", k);
    return json_is_true(v);
}

static void expect_status(const resp_t *r, int want, const char *what)
{
    if (r->status != want) fail_msg("%s: status %d, expected %d; body %s", what, r->status, want, r->body);
}

/* The body is {"error": "..."} containing want. */
static void expect_error_json(const resp_t *r, int status, const char *want)
{
    expect_status(r, status, want);
    json_t *j = json_of(r);
    const char *e = str_field(j, "error");
    if (!strstr(e, want)) fail_msg("error \"%s\" does not say \"%s\"", e, want);
    json_decref(j);
}

/* The node answers its RESP port and /health after a bad request. */
static void still_serving(int i)
{
    resp_t r;
    call(i, "GET", "/health", NULL, NULL, &r);
    if (r.status != 200 && r.status != 503) fail_msg("node %d: /health answered %d", i + 1, r.status);
    resp_free(&r);
    redisContext *c = cl_connect(&cl, i, 5000);
    assert_non_null(c);
    redisReply *rep = redisCommand(c, "PING");
    assert_non_null(rep);
    assert_string_equal(rep->str, "PONG");
    freeReplyObject(rep);
    redisFree(c);
}

static int setup_plain(void **state)
{
    (void)state;
    test_done = false;
    return cluster_start(&cl, cluster_fast_args, NULL);
}

static const char *const token_args[] = {"--admin_token", "s3cr3t-t0ken", NULL};
static int setup_token(void **state)
{
    (void)state;
    test_done = false;
    return cluster_start(&cl, cluster_fast_args, token_args);
}

static int teardown(void **state)
{
    (void)state;
    if (!test_done) cluster_dump_logs(&cl, 30);
    return cluster_finish(&cl);
}

/* Writes a few keys through the leader (so indexes move). */
static int write_some(void)
{
    /* writes succeed on any node (followers proxy them): the logs tell who leads */
    int l = cluster_log_leader(&cl, 10000);
    if (l < 0) fail_msg("no leader");
    redisContext *c = cl_connect(&cl, l, 5000);
    for (int k = 0; k < 20; k++) {
        redisReply *r = redisCommand(c, "SET k%d v", k);
        assert_non_null(r);
        freeReplyObject(r);
    }
    redisFree(c);
    return l;
}

/* ---- 1. status, members, health, readyz ------------------------------------------ */

/* Whether node i's status lists three members that all pass ok(member,
 * want): the polling step of the waits below. */
static bool members_all(int i, bool (*ok)(json_t *m, long long want), long long want)
{
    resp_t r;
    call(i, "GET", "/cluster/status", NULL, NULL, &r);
    json_t *j = r.status == 200 ? json_loads(r.body, 0, NULL) : NULL;
    json_t *ms = j ? json_object_get(j, "members") : NULL;
    bool all = ms && json_array_size(ms) == 3;
    for (size_t k = 0; all && k < 3; k++) all = ok(json_array_get(ms, k), want);
    if (j) json_decref(j);
    resp_free(&r);
    return all;
}

static bool matched(json_t *m, long long want)
{
    json_t *v = json_object_get(m, "match_index");
    return json_is_integer(v) && json_integer_value(v) >= want;
}

static bool reachable(json_t *m, long long unused)
{
    (void)unused;
    return json_is_true(json_object_get(m, "reachable"));
}

/* Polls the leader's status until every member's match index reached the
 * writes (a leader learns them from acknowledgements). */
static void wait_matches(int l, long long want)
{
    int64_t deadline = cl_mono_ms() + 5000;
    while (!members_all(l, matched, want)) {
        if (cl_mono_ms() > deadline) fail_msg("the leader's match indexes did not reach %lld", want);
        usleep(20000);
    }
}

/* Polls every node's status until it reports all members reachable: a
 * node started before another retries its connection with a backoff (up to
 * 1 s), so a follower may see the member that started last a little late. */
static void wait_reachable(void)
{
    int64_t deadline = cl_mono_ms() + 5000;
    for (int i = 0; i < CLUSTER_N; i++) {
        while (!members_all(i, reachable, 0)) {
            if (cl_mono_ms() > deadline) fail_msg("node %d does not see every member reachable", i + 1);
            usleep(20000);
        }
    }
}

static void test_status_and_health(void **state)
{
    (void)state;
    int l = write_some();
    wait_matches(l, 21);
    wait_reachable();
    json_int_t term = -1, leader_id = -1;
    for (int i = 0; i < CLUSTER_N; i++) {
        resp_t r;
        call(i, "GET", "/cluster/status", NULL, NULL, &r);
        expect_status(&r, 200, "status");
        assert_non_null(strcasestr(r.head, "Content-Type: application/json"));
        json_t *j = json_of(&r);
        assert_int_equal(int_field(j, "id"), i + 1);
        assert_int_equal(strlen(str_field(j, "cluster_id")), 16);
        const char *role = str_field(j, "role");
        assert_string_equal(role, i == l ? "leader" : "follower");
        assert_true(bool_field(j, "voter"));
        if (term < 0) term = int_field(j, "term");
        assert_int_equal(int_field(j, "term"), term);
        json_t *ld = json_object_get(j, "leader");
        assert_true(json_is_object(ld));
        if (leader_id < 0) leader_id = int_field(ld, "id");
        assert_int_equal(int_field(ld, "id"), l + 1);
        char want[64];
        snprintf(want, sizeof(want), "127.0.0.1:%d", cl.node[l].port);
        assert_string_equal(str_field(ld, "addr"), want);
        snprintf(want, sizeof(want), "127.0.0.1:%d", http_port(l));
        assert_string_equal(str_field(ld, "http_addr"), want);
        assert_true(int_field(j, "commit_index") >= (i == l ? 21 : 1)); /* a follower learns it a heartbeat later */
        assert_true(int_field(j, "applied_index") >= 1);
        assert_true(int_field(j, "last_index") >= int_field(j, "commit_index"));
        assert_true(int_field(j, "snapshot_index") >= 0);
        json_t *ms = json_object_get(j, "members");
        assert_true(json_is_array(ms));
        assert_int_equal(json_array_size(ms), 3);
        int selves = 0;
        for (size_t k = 0; k < 3; k++) {
            json_t *m = json_array_get(ms, k);
            json_int_t id = int_field(m, "id");
            assert_true(id >= 1 && id <= 3);
            snprintf(want, sizeof(want), "127.0.0.1:%d", cl.node[id - 1].port);
            assert_string_equal(str_field(m, "addr"), want);
            snprintf(want, sizeof(want), "127.0.0.1:%d", http_port((int)id - 1));
            assert_string_equal(str_field(m, "http_addr"), want);
            assert_true(bool_field(m, "voter"));
            selves += bool_field(m, "self");
            assert_true(bool_field(m, "reachable"));
            if (i == l) { /* the leader knows every member's progress */
                assert_true(int_field(m, "match_index") >= 1);
                assert_true(int_field(m, "lag") >= 0);
                assert_true(int_field(m, "last_contact_ms") >= 0);
            } else {
                assert_true(json_is_null(json_object_get(m, "match_index")));
            }
        }
        assert_int_equal(selves, 1);
        json_decref(j);
        resp_free(&r);

        /* ?pretty indents */
        call(i, "GET", "/cluster/status?pretty", NULL, NULL, &r);
        expect_status(&r, 200, "status?pretty");
        assert_non_null(strstr(r.body, "\n  \"id\""));
        resp_free(&r);

        call(i, "GET", "/cluster/members", NULL, NULL, &r);
        expect_status(&r, 200, "members");
        j = json_of(&r);
        assert_int_equal(json_array_size(json_object_get(j, "members")), 3);
        assert_true(json_is_array(json_object_get(j, "removed")));
        assert_true(int_field(j, "conf_index") >= 0);
        json_decref(j);
        resp_free(&r);

        call(i, "GET", "/health", NULL, NULL, &r);
        expect_status(&r, 200, "health");
        j = json_of(&r);
        assert_string_equal(str_field(j, "health"), "ok");
        assert_int_equal(int_field(j, "leader"), l + 1);
        json_decref(j);
        resp_free(&r);

        call(i, "GET", "/health/leader", NULL, NULL, &r);
        expect_status(&r, i == l ? 200 : 503, "health/leader");
        j = json_of(&r);
        if (i != l) assert_string_equal(str_field(j, "reason"), "not the leader");
        json_decref(j);
        resp_free(&r);

        for (int sync = 0; sync < 2; sync++) {
            call(i, "GET", sync ? "/readyz?sync" : "/readyz", NULL, NULL, &r);
            expect_status(&r, 200, "readyz");
            j = json_of(&r);
            assert_true(bool_field(j, "ready"));
            assert_int_equal(bool_field(j, "sync"), sync);
            assert_true(int_field(j, "applied_index") >= int_field(j, "commit_index"));
            json_decref(j);
            resp_free(&r);
        }
    }

    /* a node that lost the others: no leader, 503 with the reason */
    int f = (l + 1) % CLUSTER_N;
    cluster_sigstop(&cl, l);
    cluster_sigstop(&cl, (l + 2) % CLUSTER_N);
    int64_t deadline = cl_mono_ms() + 5000;
    resp_t r;
    for (;;) {
        call(f, "GET", "/health", NULL, NULL, &r);
        if (r.status == 503 || cl_mono_ms() > deadline) break;
        resp_free(&r);
        usleep(100000);
    }
    expect_status(&r, 503, "health without a leader");
    json_t *j = json_of(&r);
    assert_string_equal(str_field(j, "health"), "unavailable");
    assert_string_equal(str_field(j, "reason"), "no leader");
    json_decref(j);
    resp_free(&r);
    call(f, "GET", "/readyz?sync", NULL, NULL, &r);
    expect_status(&r, 503, "readyz?sync without a leader");
    resp_free(&r);
    cluster_sigcont(&cl, l);
    cluster_sigcont(&cl, (l + 2) % CLUSTER_N);
    test_done = true;
}

/* ---- 2. transfer-leader, 307 ---------------------------------------------------------- */

static void test_transfer_leader(void **state)
{
    (void)state;
    int l = write_some();
    int to = (l + 1) % CLUSTER_N;
    resp_t r;
    /* on a follower: 307 to the leader's same URL */
    call(to, "POST", "/cluster/transfer-leader", "{}", NULL, &r);
    expect_status(&r, 307, "transfer on a follower");
    char want[128];
    snprintf(want, sizeof(want), "Location: http://127.0.0.1:%d/cluster/transfer-leader\r\n", http_port(l));
    if (!strstr(r.head, want)) fail_msg("no %s in:\n%s", want, r.head);
    resp_free(&r);
    /* on the leader, to a named voter */
    char body[64];
    snprintf(body, sizeof(body), "{\"id\": %d}", to + 1);
    call(l, "POST", "/cluster/transfer-leader", body, NULL, &r);
    expect_status(&r, 200, "transfer");
    json_t *j = json_of(&r);
    assert_int_equal(int_field(j, "leader"), to + 1);
    json_decref(j);
    resp_free(&r);
    call(to, "GET", "/health/leader", NULL, NULL, &r);
    expect_status(&r, 200, "health/leader on the new leader");
    resp_free(&r);
    /* no id: the most up-to-date follower */
    call(to, "POST", "/cluster/transfer-leader", "", NULL, &r);
    expect_status(&r, 200, "transfer to anyone");
    j = json_of(&r);
    assert_true(int_field(j, "leader") != to + 1);
    json_decref(j);
    resp_free(&r);
    int nl = cluster_log_leader(&cl, 5000);
    assert_true(nl >= 0 && nl != to);
    /* bad ids */
    call(nl, "POST", "/cluster/transfer-leader", "{\"id\": 9}", NULL, &r);
    expect_error_json(&r, 409, "no such voter");
    resp_free(&r);
    call(nl, "POST", "/cluster/transfer-leader", "{\"id\": \"two\"}", NULL, &r);
    expect_error_json(&r, 400, "positive integer");
    resp_free(&r);
    call(nl, "POST", "/cluster/transfer-leader", "{\"id\": -1}", NULL, &r);
    expect_error_json(&r, 400, "positive integer");
    resp_free(&r);
    call(nl, "POST", "/cluster/transfer-leader", "{\"id\": ", NULL, &r);
    expect_error_json(&r, 400, "JSON");
    resp_free(&r);
    call(nl, "POST", "/cluster/transfer-leader", "[1]", NULL, &r);
    expect_error_json(&r, 400, "JSON object");
    resp_free(&r);
    still_serving(nl);
    test_done = true;
}

/* ---- 3. metrics -------------------------------------------------------------------------- */

/* The value of the sample whose name and labels are exactly `series`
 * (e.g. redraft_commands_total{cmd="set"}), or -1 when there is none. */
static double sample_value(const char *body, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = body; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, series, n) == 0 && p[n] == ' ') return strtod(p + n + 1, NULL);
    return -1;
}

#define N_SETS 25
#define N_GETS 15

/* Commands sent to node i, for the per-command counters: SETs (proposed on
 * the leader, proxied by a follower), GETs (ReadIndex reads), a CONFIG GET
 * (counted under "config"), an unknown command (not counted) and a GET with
 * a wrong arity (counted, as rejected). */
static void send_counted_commands(int i)
{
    redisContext *c = cl_connect(&cl, i, 5000);
    assert_non_null(c);
    for (int k = 0; k < N_SETS + N_GETS; k++) {
        redisReply *r = k < N_SETS ? redisCommand(c, "SET m%d v", k) : redisCommand(c, "GET m%d", k - N_SETS);
        if (!r || r->type == REDIS_REPLY_ERROR) fail_msg("node %d: command %d failed: %s", i + 1, k, r ? r->str : "");
        freeReplyObject(r);
    }
    static const char *const more[] = {"CONFIG GET maxclients", "NOSUCHCOMMAND x", "GET"};
    for (size_t k = 0; k < sizeof(more) / sizeof(more[0]); k++) {
        redisReply *r = redisCommand(c, more[k]);
        assert_non_null(r);
        freeReplyObject(r);
    }
    redisFree(c);
}

/* The per-command counters and the command duration histogram of node i,
 * after send_counted_commands(i): at least what was sent (the leader also
 * counts what followers proxied to it), every counted command observed once
 * in the histogram, and cumulative buckets that never go down. */
static void check_command_metrics(int i, const char *body)
{
    double sets = sample_value(body, "redraft_commands_total{cmd=\"set\"}");
    double gets = sample_value(body, "redraft_commands_total{cmd=\"get\"}");
    double configs = sample_value(body, "redraft_commands_total{cmd=\"config\"}");
    if (sets < N_SETS || gets < N_GETS + 1 || configs < 1)
        fail_msg("node %d: commands_total set=%g get=%g config=%g, sent %d, %d, 1", i + 1, sets, gets, configs,
                 N_SETS, N_GETS + 1);
    if (strstr(body, "cmd=\"nosuchcommand\"") || strstr(body, "cmd=\"unknown\""))
        fail_msg("node %d: an unknown command was counted", i + 1);
    assert_non_null(strstr(body, "# TYPE redraft_commands_total counter\n"));
    assert_non_null(strstr(body, "# TYPE redraft_command_duration_seconds histogram\n"));
    double count = sample_value(body, "redraft_command_duration_seconds_count");
    double sum = sample_value(body, "redraft_command_duration_seconds_sum");
    if (count < N_SETS + N_GETS + 2) fail_msg("node %d: duration count %g < %d", i + 1, count, N_SETS + N_GETS + 2);
    assert_true(sum > 0);
    /* each counted command is observed once, at the same moment */
    double total = 0;
    const char *prefix = "redraft_commands_total{cmd=\"";
    for (const char *p = strstr(body, prefix); p; p = strstr(p + 1, prefix))
        if (p == body || p[-1] == '\n') total += strtod(strchr(p, ' ') + 1, NULL);
    if (total != count) fail_msg("node %d: commands_total sums to %g, duration count is %g", i + 1, total, count);
    /* buckets: ascending bounds, cumulative counts, +Inf last and equal to the count */
    const char *bprefix = "redraft_command_duration_seconds_bucket{le=\"";
    double prev_le = -1, prev = 0;
    int buckets = 0;
    bool inf = false;
    for (const char *p = strstr(body, bprefix); p; p = strstr(p + 1, bprefix)) {
        assert_false(inf); /* nothing after +Inf */
        const char *le = p + strlen(bprefix);
        double v = strtod(strchr(p, ' ') + 1, NULL);
        if (strncmp(le, "+Inf\"", 5) == 0) {
            inf = true;
            if (v != count) fail_msg("node %d: +Inf bucket %g != count %g", i + 1, v, count);
        } else {
            double b = strtod(le, NULL);
            if (b <= prev_le) fail_msg("node %d: bucket bounds not ascending at le=%g", i + 1, b);
            prev_le = b;
        }
        if (v < prev) fail_msg("node %d: bucket le=%.*s holds %g, less than the one before (%g)", i + 1,
                               (int)(strchr(le, '"') - le), le, v, prev);
        prev = v;
        buckets++;
    }
    assert_true(inf);
    assert_true(buckets >= 10);
    assert_true(prev_le >= 10);
}

/* INFO commandstats on node i agrees: Redis 7's line format, at least the
 * SETs sent, and the GET of wrong arity as a rejected call. */
static void check_commandstats(int i)
{
    redisContext *c = cl_connect(&cl, i, 5000);
    assert_non_null(c);
    redisReply *r = redisCommand(c, "INFO commandstats");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    unsigned long long calls, usec, rejected, failed;
    double per_call;
    const char *line = strstr(r->str, "\r\ncmdstat_set:");
    if (!line || sscanf(line,
                        "\r\ncmdstat_set:calls=%llu,usec=%llu,usec_per_call=%lf,rejected_calls=%llu,"
                        "failed_calls=%llu",
                        &calls, &usec, &per_call, &rejected, &failed) != 5)
        fail_msg("node %d: no cmdstat_set line in:\n%s", i + 1, r->str);
    assert_true(calls >= N_SETS);
    assert_true(usec > 0 && per_call > 0);
    line = strstr(r->str, "\r\ncmdstat_get:");
    assert_non_null(line);
    if (sscanf(line, "\r\ncmdstat_get:calls=%llu,usec=%llu,usec_per_call=%lf,rejected_calls=%llu", &calls, &usec,
               &per_call, &rejected) != 4)
        fail_msg("node %d: bad cmdstat_get line", i + 1);
    assert_true(calls >= N_GETS);
    assert_true(rejected >= 1);
    assert_non_null(strstr(r->str, "\r\ncmdstat_config:calls="));
    freeReplyObject(r);
    redisFree(c);
}

static void test_metrics(void **state)
{
    (void)state;
    int l = write_some();
    for (int i = 0; i < CLUSTER_N; i++) send_counted_commands(i);
    for (int i = 0; i < CLUSTER_N; i++) {
        resp_t r;
        call(i, "GET", "/metrics", NULL, NULL, &r);
        expect_status(&r, 200, "metrics");
        assert_non_null(strcasestr(r.head, "Content-Type: text/plain; version=0.0.4"));
        static const char *const must[] = {
            "redraft_server_has_leader 1\n",
            "# TYPE redraft_server_leader_changes_seen_total counter\n",
            "# TYPE redraft_server_proposals_committed_total counter\n",
            "redraft_server_proposals_applied_total ",
            "redraft_server_proposals_pending ",
            "redraft_server_proposals_failed_total ",
            "# TYPE redraft_disk_log_fsync_duration_seconds histogram\n",
            "redraft_disk_log_fsync_duration_seconds_bucket{le=\"+Inf\"} ",
            "redraft_disk_log_fsync_duration_seconds_count ",
            "redraft_raft_term ",
            "redraft_raft_commit_index ",
            "redraft_raft_applied_index ",
            "# TYPE redraft_peer_round_trip_time_seconds histogram\n",
            "redraft_snapshot_made_total ",
            "redraft_connected_clients ",
            "redraft_rocksdb_data_size_bytes ",
            "redraft_pubsub_channels ",
            "redraft_pubsub_published_total ",
            "redraft_pubsub_clients_dropped_total ",
            "# TYPE redraft_pubsub_peer_dropped_total counter\n",
        };
        for (size_t k = 0; k < sizeof(must) / sizeof(must[0]); k++)
            if (!strstr(r.body, must[k])) fail_msg("node %d: no \"%s\" in /metrics", i + 1, must[k]);
        char line[128];
        snprintf(line, sizeof(line), "redraft_server_is_leader %d\n", i == l);
        assert_non_null(strstr(r.body, line));
        if (i == l) assert_non_null(strstr(r.body, "redraft_peer_lag_entries{peer=\""));
        check_command_metrics(i, r.body);
        /* promtool, when installed, judges the format */
        if (system("command -v promtool >/dev/null 2>&1") == 0) {
            char path[] = "/tmp/redraft-metrics-XXXXXX";
            int fd = mkstemp(path);
            assert_true(fd >= 0);
            assert_int_equal(write(fd, r.body, r.len), (ssize_t)r.len);
            close(fd);
            char cmd[256];
            snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
            int rc = system(cmd);
            unlink(path);
            if (rc != 0) fail_msg("node %d: promtool check metrics failed:\n%s", i + 1, r.body);
        } else if (i == 0) {
            fprintf(stderr, "  promtool not installed: format checked by the assertions only\n");
        }
        resp_free(&r);
        check_commandstats(i);
    }
    test_done = true;
}

/* ---- 4. bad requests -------------------------------------------------------------------------- */

static void test_bad_requests(void **state)
{
    (void)state;
    int l = write_some();
    resp_t r;
    call(l, "GET", "/nope", NULL, NULL, &r);
    expect_error_json(&r, 404, "no such endpoint");
    resp_free(&r);
    call(l, "DELETE", "/cluster/status", NULL, NULL, &r);
    expect_error_json(&r, 405, "method not allowed");
    assert_non_null(strstr(r.head, "Allow: GET\r\n"));
    resp_free(&r);
    call(l, "GET", "/cluster/transfer-leader", NULL, NULL, &r);
    expect_status(&r, 405, "GET of a POST endpoint");
    resp_free(&r);

    /* a body far over the limit: 413, told before it is read */
    int fd = connect_to(http_port(l));
    const char *head = "POST /cluster/transfer-leader HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n";
    assert_int_equal(write(fd, head, strlen(head)), (ssize_t)strlen(head));
    read_resp(fd, &r);
    expect_error_json(&r, 413, "");
    resp_free(&r);
    close(fd);
    still_serving(l);

    /* garbage */
    fd = connect_to(http_port(l));
    const char *junk = "\x01\x02 nonsense \r\n\r\n";
    assert_int_equal(write(fd, junk, strlen(junk)), (ssize_t)strlen(junk));
    read_resp(fd, &r);
    expect_status(&r, 400, "garbage");
    resp_free(&r);
    close(fd);

    /* keep-alive: two requests on one connection, pipelined */
    fd = connect_to(http_port(l));
    const char *two = "GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /cluster/members HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(write(fd, two, strlen(two)), (ssize_t)strlen(two));
    read_resp(fd, &r);
    expect_status(&r, 200, "first of two");
    assert_non_null(strstr(r.body, "\"health\""));
    resp_free(&r);
    read_resp(fd, &r);
    expect_status(&r, 200, "second of two");
    assert_non_null(strstr(r.body, "\"members\""));
    resp_free(&r);
    close(fd);

    /* a client that never finishes its request is answered 408 and let go */
    fd = connect_to(http_port(l));
    const char *slow = "GET /health HTTP/1.1\r\nHost: x\r\n";
    int64_t t0 = cl_mono_ms();
    for (const char *p = slow; *p; p++) {
        if (write(fd, p, 1) != 1) break;
        usleep(20000);
    }
    read_resp(fd, &r); /* waits for the server's timeout */
    expect_status(&r, 408, "slowloris");
    fprintf(stderr, "  a request left unfinished was answered 408 after %lld ms\n", (long long)(cl_mono_ms() - t0));
    resp_free(&r);
    close(fd);
    still_serving(l);
    test_done = true;
}

/* ---- 5. the admin token -------------------------------------------------------------------------- */

static void test_admin_token(void **state)
{
    (void)state;
    int l = write_some();
    resp_t r;
    call(l, "POST", "/cluster/transfer-leader", "{}", NULL, &r);
    expect_error_json(&r, 401, "Bearer");
    assert_non_null(strstr(r.head, "WWW-Authenticate: Bearer"));
    resp_free(&r);
    call(l, "POST", "/cluster/transfer-leader", "{}", "wrong", &r);
    expect_status(&r, 401, "wrong token");
    resp_free(&r);
    call(l, "POST", "/cluster/transfer-leader", "{}", "s3cr3t-t0ke", &r); /* a prefix of it */
    expect_status(&r, 401, "a prefix of the token");
    resp_free(&r);
    /* reads stay open (admin_token_for_reads is false) */
    call(l, "GET", "/cluster/status", NULL, NULL, &r);
    expect_status(&r, 200, "status without a token");
    resp_free(&r);
    call(l, "POST", "/cluster/transfer-leader", "{}", "s3cr3t-t0ken", &r);
    expect_status(&r, 200, "transfer with the token");
    resp_free(&r);
    test_done = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_status_and_health, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_transfer_leader, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_metrics, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_admin_token, setup_token, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
