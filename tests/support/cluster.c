/* See cluster.h. */
#include "support/cluster.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *const cluster_fast_args[] = {
    "--heartbeat_interval_ms",
    "50",
    "--election_timeout_min_ms",
    "300",
    "--election_timeout_max_ms",
    "600",
    "--request_timeout_ms",
    "1500",
    NULL,
};

int64_t cl_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms_(int ms)
{
    usleep((useconds_t)ms * 1000);
}

/* Indexes in use (a zeroed or partly started cluster: the founding three,
 * whose empty slots every loop skips). */
static int count(const cluster_t *c)
{
    return c->n > CLUSTER_N && c->n <= CLUSTER_MAX ? c->n : CLUSTER_N;
}

/* The shipped configuration, as the brief's command line uses it; without it
 * (a test run from elsewhere) the cluster is enabled on the command line. */
static const char *conf_path(void)
{
    const char *e = getenv("REDRAFT_CONF");
    if (e && *e) return e;
    return access("conf/cluster.conf", R_OK) == 0 ? "conf/cluster.conf" : NULL;
}

static void add_arg(testproc_t *p, const char *a)
{
    size_t n = strlen(a);
    if (p->nextra < (int)(sizeof(p->extra) / sizeof(p->extra[0])) && n < sizeof(p->extra[0])) {
        memcpy(p->extra[p->nextra], a, n + 1);
        p->nextra++;
    } else {
        fprintf(stderr, "cluster: argument %s dropped (too many or too long)\n", a);
    }
}

static void add_args(testproc_t *p, const char *const *args)
{
    for (int i = 0; args && args[i]; i++)
        add_arg(p, args[i]);
}

static int pick_ports(int ports[CLUSTER_N])
{
    for (int i = 0; i < CLUSTER_N; i++) {
        for (int tries = 0;; tries++) {
            if (tries > 50) return -1;
            int p = proc_free_port();
            if (p <= 0 || p + 1000 > 65535) continue; /* http_port defaults to port + 1000 */
            bool dup = false;
            for (int j = 0; j < i; j++)
                dup |= ports[j] == p;
            if (dup) continue;
            ports[i] = p;
            break;
        }
    }
    return 0;
}

static int try_start(cluster_t *c, const char *const *args1, const char *const *args2)
{
    int ports[CLUSTER_N];
    if (pick_ports(ports) < 0) return -1;
    int n = 0;
    for (int i = 0; i < CLUSTER_N; i++)
        n += snprintf(c->members + n, sizeof(c->members) - (size_t)n, "%s%d:127.0.0.1:%d",
                      i ? "," : "", i + 1, ports[i]);
    const char *conf = conf_path();
    c->n = CLUSTER_N;
    c->args[0] = args1;
    c->args[1] = args2;
    for (int i = 0; i < CLUSTER_N; i++) {
        testproc_t *p = &c->node[i];
        memset(p, 0, sizeof(*p));
        c->stopped[i] = false;
        c->id[i] = i + 1;
        snprintf(p->bin, sizeof(p->bin), "%s", proc_server_bin());
        if (conf) snprintf(p->conf, sizeof(p->conf), "%s", conf);
        snprintf(p->dir, sizeof(p->dir), "/tmp/redraft-cluster-XXXXXX");
        if (!mkdtemp(p->dir)) {
            p->dir[0] = '\0';
            return -1;
        }
        char dir[sizeof(p->dir)];
        memcpy(dir, p->dir, sizeof(dir));
        snprintf(p->log, sizeof(p->log), "%s.log", dir);
        p->port = ports[i];
        char id[16];
        snprintf(id, sizeof(id), "%d", i + 1);
        add_arg(p, "--cluster.enabled");
        add_arg(p, "true");
        add_arg(p, "--node-id");
        add_arg(p, id);
        add_arg(p, "--cluster.members");
        add_arg(p, c->members);
        add_arg(p, "--log_level");
        add_arg(p, "info");
        add_args(p, args1);
        add_args(p, args2);
    }
    for (int i = 0; i < CLUSTER_N; i++)
        if (proc_launch_nowait(&c->node[i]) < 0) return -1;
    int rc = 0;
    for (int i = 0; i < CLUSTER_N; i++)
        if (proc_wait_ready(&c->node[i], 20000) < 0) rc = -1;
    return rc;
}

int cluster_start(cluster_t *c, const char *const *args1, const char *const *args2)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        memset(c, 0, sizeof(*c));
        if (try_start(c, args1, args2) == 0) return 0;
        fprintf(stderr, "cluster: start attempt %d failed (members %s)\n", attempt + 1, c->members);
        cluster_dump_logs(c, 20);
        for (int i = 0; i < CLUSTER_N; i++) {
            proc_kill9(&c->node[i]);
            proc_cleanup(&c->node[i]);
        }
    }
    memset(c, 0, sizeof(*c));
    return -1;
}

/* A port p, free a moment ago, such that neither p nor p + 1000 (its admin
 * port) is one of the cluster's. */
static int pick_extra_port(const cluster_t *c)
{
    for (int tries = 0; tries < 50; tries++) {
        int p = proc_free_port();
        if (p <= 0 || p + 1000 > 65535) continue;
        bool dup = false;
        for (int j = 0; j < count(c); j++) {
            int q = c->node[j].port;
            dup |= q && (q == p || q + 1000 == p || q == p + 1000);
        }
        if (!dup) return p;
    }
    return -1;
}

static bool has_members_arg(const char *const *args)
{
    for (int i = 0; args && args[i]; i++)
        if (!strcmp(args[i], "--cluster.members") || !strcmp(args[i], "--members")) return true;
    return false;
}

int cluster_start_extra(cluster_t *c, int node_id, const char *const *extra_args)
{
    int i = count(c);
    if (i >= CLUSTER_MAX) {
        fprintf(stderr, "cluster: no room for node %d (at most %d nodes)\n", node_id, CLUSTER_MAX);
        return -1;
    }
    const char *conf = conf_path();
    for (int attempt = 0; attempt < 3; attempt++) {
        testproc_t *p = &c->node[i];
        memset(p, 0, sizeof(*p));
        c->stopped[i] = false;
        c->id[i] = node_id;
        snprintf(p->bin, sizeof(p->bin), "%s", proc_server_bin());
        if (conf) snprintf(p->conf, sizeof(p->conf), "%s", conf);
        snprintf(p->dir, sizeof(p->dir), "/tmp/redraft-cluster-XXXXXX");
        if (!mkdtemp(p->dir)) {
            p->dir[0] = '\0';
            return -1;
        }
        char dir[sizeof(p->dir)];
        memcpy(dir, p->dir, sizeof(dir));
        snprintf(p->log, sizeof(p->log), "%s.log", dir);
        p->port = pick_extra_port(c);
        if (p->port < 0) return -1;
        c->n = i + 1; /* from now on finish/dump see it */
        char id[16];
        snprintf(id, sizeof(id), "%d", node_id);
        add_arg(p, "--cluster.enabled");
        add_arg(p, "true");
        add_arg(p, "--node-id");
        add_arg(p, id);
        if (!has_members_arg(extra_args)) {
            add_arg(p, "--cluster.members");
            add_arg(p, c->members);
        }
        add_arg(p, "--log_level");
        add_arg(p, "info");
        add_args(p, c->args[0]);
        add_args(p, c->args[1]);
        add_args(p, extra_args);
        if (proc_launch_nowait(p) == 0 && proc_wait_ready(p, 20000) == 0) return i;
        fprintf(stderr, "cluster: node %d did not start on port %d (attempt %d)\n", node_id, p->port, attempt + 1);
        proc_dump_log(p, 20);
        proc_kill9(p);
        proc_cleanup(p);
        c->n = i;
    }
    memset(&c->node[i], 0, sizeof(c->node[i]));
    return -1;
}

int cluster_index_of_id(const cluster_t *c, int id)
{
    for (int i = 0; i < count(c); i++)
        if (c->id[i] == id) return i;
    return -1;
}

int cluster_http_port(const cluster_t *c, int i)
{
    return c->node[i].port + 1000;
}

int cluster_finish(cluster_t *c)
{
    int rc = 0;
    int n = count(c);
    for (int i = 0; i < n; i++)
        if (c->stopped[i]) cluster_sigcont(c, i);
    for (int i = 0; i < n; i++) {
        if (!c->node[i].dir[0] && c->node[i].pid <= 0) continue;
        if (proc_finish(&c->node[i]) != 0) rc = -1;
    }
    memset(c, 0, sizeof(*c));
    return rc;
}

void cluster_dump_logs(const cluster_t *c, int lines)
{
    for (int i = 0; i < count(c); i++) {
        if (!c->node[i].log[0]) continue;
        fprintf(stderr, "== node %d (port %d, pid %d%s)\n", c->id[i] ? c->id[i] : i + 1, c->node[i].port,
                (int)c->node[i].pid, c->stopped[i] ? ", SIGSTOPped" : "");
        proc_dump_log(&c->node[i], lines);
    }
}

int cluster_index_of_port(const cluster_t *c, int port)
{
    for (int i = 0; i < count(c); i++)
        if (c->node[i].port == port) return i;
    return -1;
}

int cluster_index_of_addr(const cluster_t *c, const char *addr)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || strncmp(addr, "127.0.0.1:", 10) != 0) return -1;
    return cluster_index_of_port(c, atoi(colon + 1));
}

bool cluster_up(cluster_t *c, int i)
{
    return !c->stopped[i] && proc_alive(&c->node[i]);
}

redisContext *cl_connect(const cluster_t *c, int i, int timeout_ms)
{
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    redisContext *ctx = redisConnectWithTimeout("127.0.0.1", c->node[i].port, tv);
    if (!ctx || ctx->err) {
        if (ctx) redisFree(ctx);
        return NULL;
    }
    redisSetTimeout(ctx, tv);
    return ctx;
}

static redisReply *cmd_va(redisContext *ctx, const char *arg0, va_list ap)
{
    const char *argv[64];
    int argc = 0;
    for (const char *a = arg0; a && argc < 64; a = va_arg(ap, const char *))
        argv[argc++] = a;
    return redisCommandArgv(ctx, argc, argv, NULL);
}

redisReply *cl_cmd(redisContext *ctx, const char *arg0, ...)
{
    va_list ap;
    va_start(ap, arg0);
    redisReply *r = cmd_va(ctx, arg0, ap);
    va_end(ap);
    return r;
}

static size_t put_str(const redisReply *r, char *buf, size_t len)
{
    if (len == 0) return 0;
    int n = 0;
    switch (r->type) {
    case REDIS_REPLY_STATUS:
        n = snprintf(buf, len, "+%s", r->str);
        break;
    case REDIS_REPLY_ERROR:
        n = snprintf(buf, len, "-%s", r->str);
        break;
    case REDIS_REPLY_INTEGER:
        n = snprintf(buf, len, ":%lld", r->integer);
        break;
    case REDIS_REPLY_STRING:
        n = snprintf(buf, len, "$%.*s", (int)r->len, r->str);
        break;
    case REDIS_REPLY_NIL:
        n = snprintf(buf, len, "(nil)");
        break;
    case REDIS_REPLY_ARRAY: {
        n = snprintf(buf, len, "*%zu[", r->elements);
        for (size_t i = 0; i < r->elements && (size_t)n < len; i++) {
            if (i && (size_t)n + 1 < len) buf[n++] = ',', buf[n] = '\0';
            n += (int)put_str(r->element[i], buf + n, len - (size_t)n);
        }
        if ((size_t)n + 1 < len) buf[n++] = ']', buf[n] = '\0';
        break;
    }
    default:
        n = snprintf(buf, len, "(type %d)", r->type);
        break;
    }
    return (size_t)n < len ? (size_t)n : len - 1;
}

const char *cl_str(const redisReply *r, const redisContext *ctx, char *buf, size_t len)
{
    if (!r)
        snprintf(buf, len, "(conn: %s)", ctx && ctx->err ? ctx->errstr : "no connection");
    else
        put_str(r, buf, len);
    return buf;
}

bool cl_is_err(const redisReply *r, const char *prefix)
{
    return r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, prefix, strlen(prefix)) == 0;
}

bool cl_is_retryable(const redisReply *r)
{
    return cl_is_err(r, "CLUSTERDOWN") || cl_is_err(r, "TRYAGAIN") || cl_is_err(r, "TIMEOUT");
}

/* Index named by a "-MOVED 0 host:port" reply, or -1. */
static int moved_index(const cluster_t *c, const redisReply *r)
{
    if (!cl_is_err(r, "MOVED ")) return -1;
    const char *sp = strrchr(r->str, ' ');
    return sp ? cluster_index_of_addr(c, sp + 1) : -1;
}

int cluster_leader(cluster_t *c, int timeout_ms)
{
    int64_t deadline = cl_mono_ms() + timeout_ms;
    int hint = -1;
    while (cl_mono_ms() < deadline) {
        for (int k = -1; k < count(c); k++) {
            int i = k < 0 ? hint : k;
            if (i < 0 || !cluster_up(c, i)) continue;
            /* a follower that knows no leader holds the probe: do not wait for it long */
            redisContext *ctx = cl_connect(c, i, 1000);
            if (!ctx) continue;
            redisReply *r = cl_cmd(ctx, "SET", "__probe", "x", NULL);
            bool ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0;
            int m = moved_index(c, r);
            if (r) freeReplyObject(r);
            redisFree(ctx);
            if (ok) return i;
            if (m >= 0 && m != i) hint = m;
        }
        sleep_ms_(50);
    }
    return -1;
}

/* The role and term of the last "event=raft_role" line of node i's log. */
static bool last_role(const cluster_t *c, int i, char *role, size_t rlen, unsigned long long *term)
{
    FILE *f = fopen(c->node[i].log, "r");
    if (!f) return false;
    char line[1024];
    bool found = false;
    while (fgets(line, sizeof(line), f)) {
        const char *e = strstr(line, "event=raft_role role=");
        if (!e) continue;
        e += strlen("event=raft_role role=");
        size_t n = strcspn(e, " \n");
        if (n >= rlen) n = rlen - 1;
        memcpy(role, e, n);
        role[n] = '\0';
        const char *t = strstr(e, " term=");
        *term = t ? strtoull(t + 6, NULL, 10) : 0;
        found = true;
    }
    fclose(f);
    return found;
}

int cluster_leader_seen_by(cluster_t *c, int i)
{
    redisContext *ctx = cl_connect(c, i, 10000);
    if (!ctx) return -1;
    redisReply *r = cl_cmd(ctx, "INFO", "raft", NULL);
    int l = -1;
    const char *p = r && r->type == REDIS_REPLY_STRING ? strstr(r->str, "raft_leader_id:") : NULL;
    if (p) l = cluster_index_of_id(c, atoi(p + strlen("raft_leader_id:")));
    if (r) freeReplyObject(r);
    redisFree(ctx);
    return l;
}

int cluster_log_leader(cluster_t *c, int timeout_ms)
{
    int64_t deadline = cl_mono_ms() + timeout_ms;
    for (;;) {
        int best = -1;
        unsigned long long best_term = 0;
        for (int i = 0; i < count(c); i++) {
            char role[32];
            unsigned long long term;
            if (!cluster_up(c, i) || !last_role(c, i, role, sizeof(role), &term)) continue;
            if (strcmp(role, "leader") == 0 && (best < 0 || term > best_term))
                best = i, best_term = term;
        }
        if (best >= 0 || cl_mono_ms() >= deadline) return best;
        sleep_ms_(50);
    }
}

void cluster_kill9(cluster_t *c, int i)
{
    if (c->stopped[i]) cluster_sigcont(c, i);
    proc_kill9(&c->node[i]);
}

void cluster_sigstop(cluster_t *c, int i)
{
    if (c->node[i].pid <= 0) return;
    kill(c->node[i].pid, SIGSTOP);
    c->stopped[i] = true;
}

void cluster_sigcont(cluster_t *c, int i)
{
    if (c->node[i].pid > 0) kill(c->node[i].pid, SIGCONT);
    c->stopped[i] = false;
}

int cluster_restart(cluster_t *c, int i)
{
    int idx[] = {i, -1};
    return cluster_restart_many(c, idx);
}

int cluster_restart_many(cluster_t *c, const int *idx)
{
    int rc = 0;
    for (int k = 0; idx[k] >= 0; k++) {
        c->stopped[idx[k]] = false;
        if (proc_launch_nowait(&c->node[idx[k]]) < 0) rc = -1;
    }
    for (int k = 0; idx[k] >= 0; k++)
        if (c->node[idx[k]].pid > 0 && proc_wait_ready(&c->node[idx[k]], 20000) < 0) rc = -1;
    return rc;
}

const char *cl_write(cluster_t *c, int *at, int timeout_ms, char *buf, size_t len, const char *arg0,
                     ...)
{
    const char *argv[64];
    int argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a && argc < 64; a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);

    int64_t deadline = cl_mono_ms() + timeout_ms;
    int n = count(c);
    int i = *at >= 0 && *at < n ? *at : 0;
    snprintf(buf, len, "(no attempt)");
    while (cl_mono_ms() < deadline) {
        if (!cluster_up(c, i)) {
            i = (i + 1) % n;
            sleep_ms_(10);
            continue;
        }
        int left = (int)(deadline - cl_mono_ms());
        redisContext *ctx = cl_connect(c, i, left > 100 ? left : 100);
        if (!ctx) {
            snprintf(buf, len, "(conn: cannot connect to node %d)", i + 1);
            i = (i + 1) % n;
            sleep_ms_(20);
            continue;
        }
        redisReply *r = redisCommandArgv(ctx, argc, argv, NULL);
        cl_str(r, ctx, buf, len);
        int m = moved_index(c, r);
        bool broken = !r, timed_out = cl_is_err(r, "TIMEOUT");
        bool retry = broken || cl_is_retryable(r) || m >= 0;
        if (r) freeReplyObject(r);
        redisFree(ctx);
        if (!retry) {
            *at = i;
            return buf;
        }
        if (m >= 0)
            i = m;
        else if (broken)
            i = (i + 1) % n;
        if (m < 0 && !timed_out) sleep_ms_(20);
    }
    *at = i;
    return buf;
}
