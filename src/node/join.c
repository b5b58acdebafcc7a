/* A new node asks to be added: started outside the founding members with
 * `join = "host:port"` (a member's admin API), it POSTs /cluster/join with
 * its own id and addresses, follows the 307 of a follower to the leader,
 * and retries while no leader answers. The leader adds it as a learner and
 * promotes it once it has caught up; this node never campaigns before
 * (its configuration is empty until the leader's log or snapshot arrives),
 * so it cannot form a cluster of its own by mistake.
 *
 * A definitive refusal (its id was removed, or is taken at another
 * address, a bad token) stops the node with exit code 1: waiting would
 * not change the answer. */
#include "node/join.h"
#include "net/http_client.h"
#include "node/node.h"
#include "util/log.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JOIN_TIMEOUT_MS 70000   /* one request: the leader may wait for a change in flight */
#define JOIN_MAX_HOPS 5         /* redirects followed in a row */
#define JOIN_BACKOFF_MIN_MS 250
#define JOIN_BACKOFF_MAX_MS 5000

struct joiner {
    node_t *n;
    uv_timer_t timer;
    char host[256], path[256]; /* where the next request goes */
    int port;
    int hops;
    int backoff_ms;
    int attempts;
    bool in_flight, stopping;
    http_client_t *req;
};

static void join_send(joiner_t *j);

static void on_retry(uv_timer_t *t)
{
    join_send(t->data);
}

/* Back to the configured member after a while: the leader we were sent to
 * may be gone. */
static void retry_later(joiner_t *j, const char *why)
{
    if (j->stopping) return;
    if (j->attempts == 1 || j->attempts % 10 == 0)
        log_warn("join_retry", " attempt=%d target=%s:%d reason=\"%s\" retry_ms=%d", j->attempts, j->host, j->port,
                 why, j->backoff_ms);
    http_client_parse_url(j->n->cfg->join, j->host, sizeof(j->host), &j->port, j->path, sizeof(j->path));
    snprintf(j->path, sizeof(j->path), "/cluster/join");
    j->hops = 0;
    uv_timer_start(&j->timer, on_retry, (uint64_t)j->backoff_ms, 0);
    j->backoff_ms = j->backoff_ms * 2 > JOIN_BACKOFF_MAX_MS ? JOIN_BACKOFF_MAX_MS : j->backoff_ms * 2;
}

/* The leader accepted: the answer carries the cluster id, taken now so
 * that only that cluster's members are listened to. */
static void joined(joiner_t *j, int status, const char *body, size_t len)
{
    json_t *o = json_loadb(body, len, 0, NULL);
    const char *cid = o ? json_string_value(json_object_get(o, "cluster_id")) : NULL;
    uint64_t id = cid ? strtoull(cid, NULL, 16) : 0;
    if (id && j->n->cluster_id && id != j->n->cluster_id)
        log_error("join_cluster_mismatch", " ours=%016" PRIx64 " theirs=%016" PRIx64, j->n->cluster_id, id);
    else
        node_adopt_cluster_id(j->n, id);
    log_info("joined", " status=%d as=%s leader=%" PRId64 " attempts=%d", status,
             o && json_is_true(json_object_get(o, "voter")) ? "voter" : "learner",
             o ? (int64_t)json_integer_value(json_object_get(o, "leader")) : 0, j->attempts);
    if (o) json_decref(o);
}

static void on_answer(void *ud, const http_client_resp_t *r)
{
    joiner_t *j = ud;
    j->in_flight = false;
    j->req = NULL;
    if (j->stopping) return;
    char why[320];
    if (r->status == 0) {
        retry_later(j, r->error ? r->error : "no answer");
        return;
    }
    if (r->status == 200 || r->status == 202) {
        joined(j, r->status, r->body, r->body_len);
        return;
    }
    if (r->status == 307 || r->status == 308) {
        if (++j->hops > JOIN_MAX_HOPS ||
            http_client_parse_url(r->location, j->host, sizeof(j->host), &j->port, j->path, sizeof(j->path)) < 0) {
            snprintf(why, sizeof(why), "a redirect that leads nowhere: \"%.200s\"", r->location);
            retry_later(j, why);
            return;
        }
        join_send(j);
        return;
    }
    snprintf(why, sizeof(why), "HTTP %d: %.*s", r->status, (int)(r->body_len < 250 ? r->body_len : 250),
             r->body ? r->body : "");
    for (char *p = why; *p; p++)
        if (*p == '\n' || *p == '"') *p = ' ';
    if (r->status == 503 || r->status >= 500 || r->status == 408 || r->status == 429) {
        retry_later(j, why);
        return;
    }
    /* 400, 401, 403, 404, 409: asking again gets the same answer */
    log_error("join_refused", " status=%d target=%s:%d reason=\"%s\" action=exit", r->status, j->host, j->port, why);
    j->n->exit_code = 1;
    node_stop(j->n);
}

static void join_send(joiner_t *j)
{
    if (j->stopping || j->in_flight) return;
    node_t *n = j->n;
    j->attempts++;
    char body[1024], auth[CONFIG_STR_MAX + 64] = "";
    snprintf(body, sizeof(body), "{\"id\": %d, \"addr\": \"%s:%d\", \"http_addr\": \"%s:%d\"}", n->cfg->node_id,
             n->cfg->binding, n->cfg->port, n->cfg->binding, n->cfg->http_port);
    if (n->cfg->admin_token[0]) snprintf(auth, sizeof(auth), "Authorization: Bearer %s\r\n", n->cfg->admin_token);
    j->in_flight = true;
    j->req = http_client_request(n->loop, "POST", j->host, j->port, j->path, auth, body, strlen(body),
                                 "application/json", JOIN_TIMEOUT_MS, on_answer, j);
    if (!j->req) {
        j->in_flight = false;
        retry_later(j, "the request could not be started");
    }
}

joiner_t *node_join_start(node_t *n)
{
    const config_t *cfg = n->cfg;
    raft_status_t st;
    raft_status(n->raft, &st);
    if (!cfg->enabled || !cfg->join[0]) return NULL;
    if (raft_conf_find(st.conf, n->id)) {
        log_info("join_skipped", " reason=\"already a member\" join=%s", cfg->join);
        return NULL;
    }
    joiner_t *j = calloc(1, sizeof(*j));
    j->n = n;
    j->backoff_ms = JOIN_BACKOFF_MIN_MS;
    if (http_client_parse_url(cfg->join, j->host, sizeof(j->host), &j->port, j->path, sizeof(j->path)) < 0) {
        log_error("join_bad_address", " join=\"%s\" expected=host:port", cfg->join);
        free(j);
        return NULL;
    }
    snprintf(j->path, sizeof(j->path), "/cluster/join");
    uv_timer_init(n->loop, &j->timer);
    j->timer.data = j;
    log_info("join_start", " target=%s:%d id=%d addr=%s:%d", j->host, j->port, cfg->node_id, cfg->binding, cfg->port);
    join_send(j);
    return j;
}

static void on_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

void node_join_stop(joiner_t *j)
{
    if (!j || j->stopping) return;
    j->stopping = true;
    if (j->req) http_client_cancel(j->req);
    uv_timer_stop(&j->timer);
    uv_close((uv_handle_t *)&j->timer, on_timer_closed);
}
