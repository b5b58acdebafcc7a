/* The HTTP admin API on http_port (docs/http-api.md): the cluster's state
 * for operators and load balancers, Prometheus metrics (admin_metrics.c),
 * and the requests that change the cluster.
 *
 * Every answer is JSON (jansson: a well-kept library, so that escaping and
 * number formats are never hand-made), pretty with ?pretty. Errors are
 * {"error": "..."} with the status that says what went wrong. Requests that
 * change the cluster need "Authorization: Bearer <admin_token>" when a token
 * is set and come only from loopback when none is; GET requests need the
 * token only with admin_token_for_reads. A follower answers a change with
 * 307 and the leader's URL (curl -L follows it, body and all). */
#include "node/admin.h"
#include "node/admin_int.h"
#include "node/node.h"
#include "util/log.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------------ */

/* The admin address of a member: the one it joined with, else its RESP
 * port + 1000 on the same host (this node's own: the port it really
 * listens on). */
void admin_member_http_addr(const node_t *n, const raft_member_t *m, char *out, size_t len)
{
    if (m->id == n->id && n->http) {
        snprintf(out, len, "%.255s:%d", n->cfg->binding, http_server_port(n->http) & 0xffff);
        return;
    }
    member_http_addr_of(m->addr, out, len);
}

void admin_respond_json(http_request_t *req, int status, json_t *j)
{
    char v[8];
    size_t flags = http_query_param(req, "pretty", v, sizeof(v)) ? JSON_INDENT(2) : JSON_COMPACT;
    char *s = json_dumps(j, flags | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (!s) {
        http_respond_error(req, 500, "cannot encode the answer");
        return;
    }
    size_t len = strlen(s);
    char *body = malloc(len + 2);
    memcpy(body, s, len);
    body[len] = '\n';
    free(s);
    http_respond(req, status, "application/json", body, len + 1, NULL);
    free(body);
}

static const raft_member_t *find_member(const raft_conf_t *c, uint64_t id)
{
    return raft_conf_find(c, id);
}

/* Whether req may go on: GETs need the token only with
 * admin_token_for_reads; changes need it, or loopback when there is none. */
static bool allowed(node_t *n, http_request_t *req, bool change)
{
    const char *token = n->cfg->admin_token;
    if (!token[0]) {
        if (change && !req->peer_loopback) {
            http_respond_error(req, 403, "changes are accepted from loopback only: set admin_token to allow others");
            return false;
        }
        return true;
    }
    if (!change && !n->cfg->admin_token_for_reads) return true;
    const char *a = req->authorization;
    size_t tl = strlen(token);
    bool ok = strncmp(a, "Bearer ", 7) == 0 && strlen(a + 7) == tl;
    unsigned char d = 0; /* compared in time independent of where they differ */
    for (size_t i = 0; ok && i < tl; i++) d |= (unsigned char)(a[7 + i] ^ token[i]);
    if (!ok || d) {
        const char *msg = "{\"error\":\"a valid Authorization: Bearer token is required\"}\n";
        http_respond(req, 401, "application/json", msg, strlen(msg), "WWW-Authenticate: Bearer\r\n");
        return false;
    }
    return true;
}

/* ---- GET /cluster/status, /cluster/members ------------------------------------------ */

static json_t *leader_json(node_t *n, const raft_status_t *st)
{
    const raft_member_t *m = st->leader ? find_member(st->conf, st->leader) : NULL;
    if (!m) return json_null();
    char http[320], resp[RAFT_ADDR_MAX];
    admin_member_http_addr(n, m, http, sizeof(http));
    member_resp_addr(m->addr, resp, sizeof(resp));
    return json_pack("{s:I, s:s, s:s}", "id", (json_int_t)m->id, "addr", resp, "http_addr", http);
}

static json_t *members_json(node_t *n, const raft_status_t *st, bool progress)
{
    json_t *arr = json_array();
    peer_stats_t ps[RAFT_MAX_NODES];
    int np = peers_stats(&n->peers, ps, RAFT_MAX_NODES);
    for (int i = 0; i < st->conf->n; i++) {
        const raft_member_t *m = &st->conf->m[i];
        char http[320], resp[RAFT_ADDR_MAX];
        admin_member_http_addr(n, m, http, sizeof(http));
        member_resp_addr(m->addr, resp, sizeof(resp));
        json_t *o = json_pack("{s:I, s:s, s:s, s:b, s:b}", "id", (json_int_t)m->id, "addr", resp, "http_addr",
                              http, "voter", m->voter, "self", m->id == n->id);
        if (progress) {
            bool reachable = m->id == n->id;
            for (int k = 0; k < np; k++)
                if (ps[k].id == m->id && ps[k].connected) reachable = true;
            json_object_set_new(o, "reachable", json_boolean(reachable));
            const raft_peer_status_t *p = NULL;
            for (int k = 0; k < st->n_peers; k++)
                if (st->peers[k].id == m->id) p = &st->peers[k];
            if (p) { /* the leader knows where each member is */
                uint64_t lag = st->last_index > p->match ? st->last_index - p->match : 0;
                json_object_set_new(o, "match_index", json_integer((json_int_t)p->match));
                json_object_set_new(o, "lag", json_integer((json_int_t)lag));
                json_object_set_new(o, "last_contact_ms",
                                    json_integer((json_int_t)(p->ticks_since_ack * (uint64_t)n->tick_ms)));
                static const char *const states[] = {"probe", "replicate", "snapshot"};
                json_object_set_new(o, "replication",
                                    json_string(m->id == n->id ? "self" : states[p->state]));
            } else {
                json_object_set_new(o, "match_index", json_null());
                json_object_set_new(o, "lag", json_null());
                json_object_set_new(o, "last_contact_ms", json_null());
            }
        }
        json_array_append_new(arr, o);
    }
    return arr;
}

static void get_status(node_t *n, http_request_t *req)
{
    raft_status_t st;
    raft_status(n->raft, &st);
    char cid[24];
    snprintf(cid, sizeof(cid), "%016" PRIx64, n->cluster_id);
    const raft_member_t *self = find_member(st.conf, n->id);
    json_t *j = json_pack("{s:I, s:s, s:s, s:b, s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "id",
                          (json_int_t)n->id, "cluster_id", cid, "role", raft_role_name(st.role), "voter",
                          self && self->voter, "term", (json_int_t)st.term, "leader", leader_json(n, &st),
                          "commit_index", (json_int_t)st.commit, "applied_index", (json_int_t)n->db.applied,
                          "last_index", (json_int_t)st.last_index, "first_index", (json_int_t)st.first_index,
                          "snapshot_index", (json_int_t)n->snap.cur.index, "snapshot_term",
                          (json_int_t)n->snap.cur.term, "conf_index", (json_int_t)st.conf_index);
    json_object_set_new(j, "members", members_json(n, &st, true));
    admin_respond_json(req, 200, j);
}

static void get_members(node_t *n, http_request_t *req)
{
    raft_status_t st;
    raft_status(n->raft, &st);
    json_t *removed = json_array();
    for (int i = 0; i < st.conf->n_removed; i++) json_array_append_new(removed, json_integer((json_int_t)st.conf->removed[i]));
    json_t *j = json_pack("{s:I, s:o, s:o}", "conf_index", (json_int_t)st.conf_index, "members",
                          members_json(n, &st, false), "removed", removed);
    admin_respond_json(req, 200, j);
}

/* ---- health ------------------------------------------------------------------ */

/* Why this node cannot serve now ("" when it can): no leader known, or a
 * learner still catching up. */
static const char *unhealthy(node_t *n, const raft_status_t *st)
{
    if (n->removed) return "removed from the cluster";
    if (!st->leader) return "no leader";
    const raft_member_t *self = find_member(st->conf, n->id);
    if (!self) return "not a member of the cluster (yet: waiting to be added, or receiving its first snapshot)";
    if (!self->voter && n->db.applied + 1000 < st->commit) return "a learner still catching up";
    return "";
}

static void get_health(node_t *n, http_request_t *req, bool leader_only)
{
    raft_status_t st;
    raft_status(n->raft, &st);
    const char *why = unhealthy(n, &st);
    if (!why[0] && leader_only && st.role != RAFT_LEADER) why = "not the leader";
    json_t *j = json_pack("{s:s, s:s, s:I}", "health", why[0] ? "unavailable" : "ok", "role", raft_role_name(st.role),
                          "leader", (json_int_t)st.leader);
    if (why[0]) json_object_set_new(j, "reason", json_string(why));
    admin_respond_json(req, why[0] ? 503 : 200, j);
}

typedef struct ready_wait {
    node_t *n;
    http_request_t *req;
} ready_wait_t;

static void readyz_answer(node_t *n, http_request_t *req, bool ok, bool sync)
{
    raft_status_t st;
    raft_status(n->raft, &st);
    bool ready = ok && st.leader && n->db.applied >= st.commit;
    json_t *j = json_pack("{s:b, s:b, s:I, s:I}", "ready", ready, "sync", sync, "applied_index",
                          (json_int_t)n->db.applied, "commit_index", (json_int_t)st.commit);
    if (!ready)
        json_object_set_new(j, "reason", json_string(!st.leader ? "no leader"
                                                     : !ok      ? "no leader confirmed a read point in time"
                                                                : "applying"));
    admin_respond_json(req, ready ? 200 : 503, j);
}

static void readyz_barrier_done(void *ud, bool ok)
{
    ready_wait_t *w = ud;
    if (http_request_gone(w->req) || w->n->shutting_down) http_respond_error(w->req, 503, "shutting down");
    else readyz_answer(w->n, w->req, ok, true);
    free(w);
}

/* GET /readyz: applied up to this node's commit index; with ?sync, up to
 * the leader's commit index as of the request (a ReadIndex round). */
static void get_readyz(node_t *n, http_request_t *req)
{
    char v[8];
    if (!http_query_param(req, "sync", v, sizeof(v))) {
        readyz_answer(n, req, true, false);
        return;
    }
    ready_wait_t *w = malloc(sizeof(*w));
    *w = (ready_wait_t){n, req};
    node_read_barrier(n, readyz_barrier_done, w);
}

/* ---- POST /cluster/transfer-leader ------------------------------------------------ */

typedef struct transfer_wait {
    node_t *n;
    http_request_t *req;
    uint64_t to;
    int64_t deadline_ms;
    uv_timer_t timer;
} transfer_wait_t;

static void transfer_free(uv_handle_t *h)
{
    free(h->data);
}

static void transfer_poll(uv_timer_t *t)
{
    transfer_wait_t *w = t->data;
    node_t *n = w->n;
    int64_t now = (int64_t)uv_now(n->loop);
    if (n->role != RAFT_LEADER && n->leader && n->leader != n->id) {
        json_t *j = json_pack("{s:I, s:I}", "leader", (json_int_t)n->leader, "term", (json_int_t)n->term);
        admin_respond_json(w->req, 200, j);
    } else if (now >= w->deadline_ms || n->shutting_down) {
        http_respond_error(w->req, 503, "the leadership did not move in time");
    } else {
        return;
    }
    uv_timer_stop(t);
    uv_close((uv_handle_t *)t, transfer_free);
}

/* The voter most up to date (highest match) other than this node. */
uint64_t admin_best_transferee(node_t *n, const raft_status_t *st)
{
    uint64_t best = 0, best_match = 0;
    for (int i = 0; i < st->n_peers; i++) {
        const raft_peer_status_t *p = &st->peers[i];
        if (p->id == n->id || !p->voter) continue;
        if (!best || p->match > best_match) {
            best = p->id;
            best_match = p->match;
        }
    }
    return best;
}

bool admin_parse_body(http_request_t *req, json_t **out)
{
    if (req->body_len == 0) {
        *out = json_object();
        return true;
    }
    json_error_t e;
    *out = json_loadb(req->body, req->body_len, 0, &e);
    if (!*out || !json_is_object(*out)) {
        char msg[256];
        snprintf(msg, sizeof(msg), "the body must be a JSON object: %s", *out ? "not an object" : e.text);
        if (*out) json_decref(*out);
        http_respond_error(req, 400, msg);
        return false;
    }
    return true;
}

/* An optional positive integer field; false (answered 400) when present
 * but not one. */
bool admin_id_field(http_request_t *req, json_t *body, const char *name, uint64_t *id)
{
    json_t *v = json_object_get(body, name);
    *id = 0;
    if (!v) return true;
    if (!json_is_integer(v) || json_integer_value(v) <= 0) {
        char msg[128];
        snprintf(msg, sizeof(msg), "\"%s\" must be a positive integer", name);
        http_respond_error(req, 400, msg);
        return false;
    }
    *id = (uint64_t)json_integer_value(v);
    return true;
}

/* Not the leader: 307 to the leader's same URL, or 503 when there is none. */
bool admin_redirect_to_leader(node_t *n, http_request_t *req)
{
    raft_status_t st;
    raft_status(n->raft, &st);
    const raft_member_t *m = st.leader ? find_member(st.conf, st.leader) : NULL;
    if (!m) {
        http_respond_error(req, 503, "no leader: try again after an election");
        return true;
    }
    char http[320], hdr[1024];
    admin_member_http_addr(n, m, http, sizeof(http));
    snprintf(hdr, sizeof(hdr), "Location: http://%s%s%s%s\r\n", http, req->path, req->query[0] ? "?" : "",
             req->query);
    json_t *j = json_pack("{s:s, s:I}", "error", "not the leader", "leader", (json_int_t)m->id);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    http_respond(req, 307, "application/json", s, strlen(s), hdr);
    free(s);
    return true;
}

static void post_transfer(node_t *n, http_request_t *req)
{
    if (n->role != RAFT_LEADER) {
        admin_redirect_to_leader(n, req);
        return;
    }
    json_t *body;
    if (!admin_parse_body(req, &body)) return;
    uint64_t to;
    bool ok = admin_id_field(req, body, "id", &to);
    json_decref(body);
    if (!ok) return;
    raft_status_t st;
    raft_status(n->raft, &st);
    if (!to) to = admin_best_transferee(n, &st);
    const raft_member_t *m = to ? find_member(st.conf, to) : NULL;
    if (to == n->id) {
        json_t *j = json_pack("{s:I, s:I}", "leader", (json_int_t)n->id, "term", (json_int_t)n->term);
        admin_respond_json(req, 200, j);
        return;
    }
    if (!m || !m->voter) {
        http_respond_error(req, to ? 409 : 503, to ? "no such voter" : "no other voter to transfer to");
        return;
    }
    int rc = raft_transfer_leader(n->raft, to);
    if (rc != RAFT_OK) {
        http_respond_error(req, 409, "the leadership cannot move now (another change or transfer is in progress)");
        return;
    }
    node_kick(n);
    log_info("leader_transfer", " to=%" PRIu64 " by=http", to);
    transfer_wait_t *w = calloc(1, sizeof(*w));
    w->n = n;
    w->req = req;
    w->to = to;
    w->deadline_ms = (int64_t)uv_now(n->loop) + 2 * n->cfg->election_timeout_max_ms;
    uv_timer_init(n->loop, &w->timer);
    w->timer.data = w;
    uv_timer_start(&w->timer, transfer_poll, 10, 10);
}

/* ---- routing ------------------------------------------------------------------------ */

typedef struct route {
    const char *path;
    const char *method;
    bool change;
    void (*fn)(node_t *n, http_request_t *req);
} route_t;

static void get_health_any(node_t *n, http_request_t *req) { get_health(n, req, false); }
static void get_health_leader(node_t *n, http_request_t *req) { get_health(n, req, true); }

static const route_t routes[] = {
    {"/cluster/status", "GET", false, get_status},
    {"/cluster/members", "GET", false, get_members},
    {"/cluster/transfer-leader", "POST", true, post_transfer},
    {"/cluster/join", "POST", true, admin_post_join},
    {"/cluster/leave", "POST", true, admin_post_leave},
    {"/health", "GET", false, get_health_any},
    {"/health/leader", "GET", false, get_health_leader},
    {"/readyz", "GET", false, get_readyz},
    {"/metrics", "GET", false, admin_metrics},
};

static bool is_member(node_t *n)
{
    raft_status_t st;
    raft_status(n->raft, &st);
    return !n->removed && raft_conf_find(st.conf, n->id) != NULL;
}

static void on_request(http_request_t *req)
{
    node_t *n = req->ud;
    if (!n->raft || n->shutting_down) {
        http_respond_error(req, 503, "the node is starting or stopping");
        return;
    }
    const route_t *found = NULL;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (strcmp(routes[i].path, req->path) != 0) continue;
        found = &routes[i];
        if (strcmp(routes[i].method, req->method) == 0) {
            if (!allowed(n, req, routes[i].change)) return;
            if (routes[i].change && !is_member(n)) {
                /* a node waiting to join, or removed: it knows no leader to send
                 * the client to */
                http_respond_error(req, 421, n->removed ? "this node was removed from the cluster: send the request to a member"
                                                        : "this node is not a member of the cluster (yet): send the request to a member");
                return;
            }
            routes[i].fn(n, req);
            return;
        }
    }
    if (found) {
        char hdr[64];
        snprintf(hdr, sizeof(hdr), "Allow: %s\r\n", found->method);
        const char *msg = "{\"error\":\"method not allowed\"}\n";
        http_respond(req, 405, "application/json", msg, strlen(msg), hdr);
        return;
    }
    http_respond_error(req, 404, "no such endpoint");
}

int admin_start(node_t *n)
{
    int port = n->cfg->http_port ? n->cfg->http_port : n->cfg->port + 1000;
    int rc = http_server_start(&n->http, n->loop, n->cfg->binding, port, NULL, on_request, n);
    if (rc != 0) {
        log_error("http_listen_failed", " addr=%s:%d error=\"%s\"", n->cfg->binding, port, uv_strerror(rc));
        n->http = NULL;
        return -1;
    }
    log_info("http_listening", " addr=%s:%d", n->cfg->binding, http_server_port(n->http));
    return 0;
}

void admin_stop(node_t *n)
{
    admin_members_free(n);
    if (n->http) http_server_stop(n->http);
    n->http = NULL;
}
