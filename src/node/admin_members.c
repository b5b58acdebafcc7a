/* Membership changes through the admin API: POST /cluster/join and POST
 * /cluster/leave, and the leader's promotion of learners that caught up.
 *
 * The Raft core makes single-server changes, one at a time: a join adds the
 * node as a learner (it receives the log, or a snapshot, without voting);
 * the leader promotes it to voter once it has caught up, so that a new
 * voter never counts toward a quorum while it is far behind. A change
 * requested while another is uncommitted waits for it (up to
 * request_timeout_ms) instead of failing at once: two operators adding two
 * nodes both succeed, one after the other.
 *
 * A request that changes the membership lives in a member_op_t until its
 * configuration entry is applied (or the leadership is lost, or time runs
 * out); admin_tick moves every op along and runs the promotions. */
#include "node/admin.h"
#include "node/admin_int.h"
#include "node/node.h"
#include "util/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { OP_JOIN, OP_LEAVE } op_kind_t;

typedef enum {
    PH_PROPOSE,  /* waiting for the previous change to commit */
    PH_COMMIT,   /* our entry is in the log: waiting for its apply */
    PH_PROMOTE,  /* join?wait=true: waiting for the learner to become a voter */
    PH_TRANSFER, /* leave of the leader itself: waiting for the leadership to move */
} op_phase_t;

typedef struct member_op {
    node_t *n;
    http_request_t *req;
    op_kind_t kind;
    op_phase_t phase;
    uint64_t id;
    char addr[RAFT_ADDR_MAX]; /* join: the member address to add (RESP[@http]) */
    char resp[RAFT_ADDR_MAX]; /* join: its RESP part, what identifies the node */
    bool wait;                /* join: until promoted */
    bool force;               /* leave: without the quorum check */
    uint64_t index, term;     /* the configuration entry proposed */
    int64_t busy_deadline_ms; /* PH_PROPOSE / PH_TRANSFER give up here */
    int64_t deadline_ms;      /* PH_PROMOTE gives up here (answered 202) */
    struct member_op *next;
} member_op_t;

/* Per node: the ops in flight and, per learner, the commit index it must
 * reach to be promoted (taken when it was first seen replicating). */
typedef struct members_state {
    member_op_t *ops;
    struct {
        uint64_t id, target;
    } learner[RAFT_MAX_NODES];
    int64_t last_promote_ms;
} members_state_t;

static members_state_t *state_of(node_t *n)
{
    if (!n->members_admin) n->members_admin = calloc(1, sizeof(members_state_t));
    return n->members_admin;
}

static int64_t now_ms(node_t *n)
{
    return (int64_t)uv_now(n->loop);
}

/* ---- answers ------------------------------------------------------------------ */

/* What a join answer says about the member id: where it is, and how far
 * along (learner or voter). */
static json_t *member_answer(node_t *n, uint64_t id, bool added, bool already, uint64_t conf_index)
{
    raft_status_t st;
    raft_status(n->raft, &st);
    const raft_member_t *m = raft_conf_find(st.conf, id);
    char resp[RAFT_ADDR_MAX] = "", http[320] = "", cid[24];
    if (m) {
        member_resp_addr(m->addr, resp, sizeof(resp));
        admin_member_http_addr(n, m, http, sizeof(http));
    }
    snprintf(cid, sizeof(cid), "%016" PRIx64, n->cluster_id);
    bool voter = m && m->voter;
    return json_pack("{s:I, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:s, s:I, s:I}", "id", (json_int_t)id, "addr", resp,
                     "http_addr", http, "added", added, "already_member", already, "learner", m && !voter,
                     "voter", voter, "promoted", voter, "cluster_id", cid, "leader", (json_int_t)n->id,
                     "conf_index", (json_int_t)(conf_index ? conf_index : st.conf_index));
}

static void op_free(member_op_t *op)
{
    members_state_t *s = state_of(op->n);
    for (member_op_t **p = &s->ops; *p; p = &(*p)->next)
        if (*p == op) {
            *p = op->next;
            break;
        }
    free(op);
}

static void op_error(member_op_t *op, int status, const char *msg)
{
    http_respond_error(op->req, status, msg);
    op_free(op);
}

/* ---- request parsing ------------------------------------------------------------ */

/* A "host:port" field; false (answered 400) when it is absent though
 * required, or not of that form. */
static bool addr_field(http_request_t *req, json_t *body, const char *name, bool required, char *out, size_t len)
{
    json_t *v = json_object_get(body, name);
    out[0] = '\0';
    char msg[160], host[RAFT_ADDR_MAX];
    int port;
    if (!v) {
        if (!required) return true;
        snprintf(msg, sizeof(msg), "\"%s\" is required: \"host:port\"", name);
        http_respond_error(req, 400, msg);
        return false;
    }
    const char *s = json_string_value(v);
    if (!s || strchr(s, '@') || strchr(s, ' ') || strlen(s) >= len ||
        peer_parse_addr(s, host, sizeof(host), &port) < 0) {
        snprintf(msg, sizeof(msg), "\"%s\" must be a string \"host:port\" (port 1-65535, at most %zu bytes)", name,
                 len - 1);
        http_respond_error(req, 400, msg);
        return false;
    }
    snprintf(out, len, "%s", s);
    return true;
}

/* An optional boolean field, false when absent; false (answered 400) when
 * present but not a boolean. */
static bool bool_field(http_request_t *req, json_t *body, const char *name, bool *out)
{
    json_t *v = json_object_get(body, name);
    *out = false;
    if (!v) return true;
    if (!json_is_boolean(v)) {
        char msg[96];
        snprintf(msg, sizeof(msg), "\"%s\" must be true or false", name);
        http_respond_error(req, 400, msg);
        return false;
    }
    *out = json_is_true(v);
    return true;
}

/* A query flag: ?wait, ?wait=true, ?wait=1 (not ?wait=false or =0). */
static bool query_flag(http_request_t *req, const char *name)
{
    char v[16];
    if (!http_query_param(req, name, v, sizeof(v))) return false;
    return strcmp(v, "false") != 0 && strcmp(v, "0") != 0;
}

static member_op_t *op_new(node_t *n, http_request_t *req, op_kind_t kind, uint64_t id)
{
    member_op_t *op = calloc(1, sizeof(*op));
    op->n = n;
    op->req = req;
    op->kind = kind;
    op->id = id;
    op->phase = PH_PROPOSE;
    op->busy_deadline_ms = now_ms(n) + n->cfg->request_timeout_ms;
    members_state_t *s = state_of(n);
    op->next = s->ops;
    s->ops = op;
    return op;
}

/* ---- proposing ---------------------------------------------------------------- */

/* Whether the voters left after removing id would still include a quorum
 * of live ones (this node, and peers heard from within an election
 * timeout): *live and *voters say how many. */
static bool quorum_after_removal(node_t *n, const raft_status_t *st, uint64_t id, int *live, int *voters)
{
    *live = *voters = 0;
    for (int i = 0; i < st->conf->n; i++) {
        const raft_member_t *m = &st->conf->m[i];
        if (!m->voter || m->id == id) continue;
        (*voters)++;
        if (m->id == n->id) {
            (*live)++;
            continue;
        }
        /* recent_active alone flickers: the core clears it every election
         * timeout (check quorum) and a healthy peer shows inactive until its
         * next message; an acknowledgement within an election timeout counts */
        for (int k = 0; k < st->n_peers; k++)
            if (st->peers[k].id == m->id &&
                (st->peers[k].recent_active || st->peers[k].ticks_since_ack < (uint64_t)n->election_ticks))
                (*live)++;
    }
    return *live >= *voters / 2 + 1;
}

static bool is_removed(const raft_conf_t *c, uint64_t id)
{
    for (int i = 0; i < c->n_removed; i++)
        if (c->removed[i] == id) return true;
    return false;
}

/* A join judged against the committed configuration: already there (with
 * the same address: success; with another: 409), refused, or proposed.
 * false when the op ended. */
static bool decide_join(member_op_t *op, const raft_status_t *st)
{
    node_t *n = op->n;
    char msg[256];
    if (is_removed(st->conf, op->id)) {
        op_error(op, 409, "this node id was removed from the cluster; ids are never reused: pick a new one");
        return false;
    }
    const raft_member_t *m = raft_conf_find(st->conf, op->id);
    if (m) {
        char have[RAFT_ADDR_MAX];
        member_resp_addr(m->addr, have, sizeof(have));
        if (strcmp(have, op->resp) != 0) {
            snprintf(msg, sizeof(msg), "node %" PRIu64 " is already a member at %s: remove it first", op->id, have);
            op_error(op, 409, msg);
            return false;
        }
        if (op->wait && !m->voter) { /* the same node asking again: wait for its promotion */
            op->phase = PH_PROMOTE;
            return true;
        }
        admin_respond_json(op->req, 200, member_answer(n, op->id, false, true, 0));
        op_free(op);
        return false;
    }
    for (int i = 0; i < st->conf->n; i++) {
        char have[RAFT_ADDR_MAX];
        member_resp_addr(st->conf->m[i].addr, have, sizeof(have));
        if (strcmp(have, op->resp) == 0) {
            snprintf(msg, sizeof(msg), "%s is the address of node %" PRIu64 ": one address, one node", op->resp,
                     st->conf->m[i].id);
            op_error(op, 409, msg);
            return false;
        }
    }
    if (st->conf->n >= RAFT_MAX_NODES) {
        op_error(op, 409, "the cluster has as many members as it can (16)");
        return false;
    }
    return true;
}

/* A leave judged against the committed configuration. false when the op
 * ended (answered, or handed to a leadership transfer). */
static bool decide_leave(member_op_t *op, const raft_status_t *st)
{
    node_t *n = op->n;
    const raft_member_t *m = raft_conf_find(st->conf, op->id);
    if (!m) {
        if (!is_removed(st->conf, op->id)) {
            op_error(op, 404, "no member has this id");
            return false;
        }
        json_t *j = json_pack("{s:I, s:b, s:b, s:I, s:I}", "id", (json_int_t)op->id, "removed", 1, "already_removed",
                              1, "voters", (json_int_t)raft_conf_voters(st->conf), "conf_index",
                              (json_int_t)st->conf_index);
        admin_respond_json(op->req, 200, j);
        op_free(op);
        return false;
    }
    if (m->voter && raft_conf_voters(st->conf) == 1) {
        op_error(op, 409, "this is the last voter: the cluster cannot lose it");
        return false;
    }
    int live, voters;
    if (m->voter && !op->force && !quorum_after_removal(n, st, op->id, &live, &voters)) {
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "without node %" PRIu64 " only %d of the %d voters left are reachable, short of a quorum: add "
                 "\"force\": true to remove it anyway",
                 op->id, live, voters);
        op_error(op, 409, msg);
        return false;
    }
    if (op->id == n->id) {
        /* the leader leaves: first the leadership goes to the most up to
         * date voter, which then takes the request (307) */
        uint64_t to = admin_best_transferee(n, st);
        if (!to || raft_transfer_leader(n->raft, to) != RAFT_OK) {
            op_error(op, 503, "the leadership cannot move now: retry");
            return false;
        }
        log_info("leader_transfer", " to=%" PRIu64 " by=leave", to);
        node_kick(n);
        op->phase = PH_TRANSFER;
        op->busy_deadline_ms = now_ms(n) + 2 * n->cfg->election_timeout_max_ms;
        return false; /* not ended, but nothing to propose */
    }
    return true;
}

/* Judges op against the configuration once it is committed (an answer
 * from one that may still be lost could be wrong: "already a member" of a
 * change that never happens), then proposes its change. false when the op
 * ended or moved to another phase. */
static bool op_propose(member_op_t *op)
{
    node_t *n = op->n;
    raft_status_t st;
    raft_status(n->raft, &st);
    bool busy = st.conf_index > st.commit || st.transferee;
    if (!busy) {
        bool go = op->kind == OP_JOIN ? decide_join(op, &st) : decide_leave(op, &st);
        if (!go || op->phase != PH_PROPOSE) return go && op->phase != PH_PROPOSE;
    }
    raft_conf_op_t cop = op->kind == OP_JOIN ? RAFT_CONF_ADD_LEARNER : RAFT_CONF_REMOVE;
    uint64_t index = 0;
    int rc = busy ? RAFT_EBUSY : raft_propose_conf(n->raft, cop, op->id, op->kind == OP_JOIN ? op->addr : NULL, &index);
    switch (rc) {
    case RAFT_OK:
        op->phase = PH_COMMIT;
        op->index = index;
        op->term = raft_term_at(n->raft, index);
        log_info(op->kind == OP_JOIN ? "member_add_proposed" : "member_remove_proposed",
                 " id=%" PRIu64 " addr=%s index=%" PRIu64, op->id, op->kind == OP_JOIN ? op->addr : "-", index);
        node_kick(n);
        return true;
    case RAFT_EBUSY:
        if (now_ms(n) < op->busy_deadline_ms) return true; /* the previous change commits first */
        op_error(op, 409, "another membership change (or a leadership transfer) is still in progress: retry");
        return false;
    case RAFT_ENOTLEADER:
        admin_redirect_to_leader(n, op->req);
        op_free(op);
        return false;
    case RAFT_EREMOVED:
        op_error(op, 409, "this node id was removed from the cluster; ids are never reused: pick a new one");
        return false;
    case RAFT_ELASTVOTER:
        op_error(op, 409, "this is the last voter: the cluster cannot lose it");
        return false;
    default:
        op_error(op, 409, "the change is not possible in the current configuration");
        return false;
    }
}

/* Moves one op along; false when it ended. */
static bool op_step(member_op_t *op)
{
    node_t *n = op->n;
    if (http_request_gone(op->req) || n->shutting_down) {
        op_error(op, 503, "shutting down or the client left");
        return false;
    }
    switch (op->phase) {
    case PH_PROPOSE:
        if (n->role != RAFT_LEADER) {
            admin_redirect_to_leader(n, op->req);
            op_free(op);
            return false;
        }
        return op_propose(op);
    case PH_TRANSFER:
        if (n->role != RAFT_LEADER && n->leader && n->leader != n->id) {
            /* the new leader removes this node: the client follows the 307 */
            log_info("member_remove_redirected", " id=%" PRIu64 " leader=%" PRIu64, op->id, n->leader);
            admin_redirect_to_leader(n, op->req);
            op_free(op);
            return false;
        }
        if (now_ms(n) >= op->busy_deadline_ms) {
            op_error(op, 503, "the leadership did not move in time: retry");
            return false;
        }
        return true;
    case PH_COMMIT: {
        if (raft_term_at(n->raft, op->index) != op->term && n->db.applied < op->index) {
            op_error(op, 503, "the leadership changed before the change committed; its outcome is unknown: retry "
                              "(the request is idempotent)");
            return false;
        }
        if (n->db.applied < op->index) {
            if (n->role != RAFT_LEADER) {
                op_error(op, 503, "this node stopped leading before the change committed; its outcome is "
                                  "unknown: retry (the request is idempotent)");
                return false;
            }
            return true;
        }
        if (op->kind == OP_LEAVE) {
            raft_status_t st;
            raft_status(n->raft, &st);
            log_info("member_removed", " id=%" PRIu64 " index=%" PRIu64 " voters=%d", op->id, op->index,
                     raft_conf_voters(st.conf));
            json_t *j = json_pack("{s:I, s:b, s:b, s:I, s:I}", "id", (json_int_t)op->id, "removed", 1,
                                  "already_removed", 0, "voters", (json_int_t)raft_conf_voters(st.conf),
                                  "conf_index", (json_int_t)st.conf_index);
            admin_respond_json(op->req, 200, j);
            op_free(op);
            return false;
        }
        log_info("member_added", " id=%" PRIu64 " addr=%s index=%" PRIu64 " as=learner", op->id, op->addr,
                 op->index);
        if (!op->wait) {
            admin_respond_json(op->req, 200, member_answer(n, op->id, true, false, op->index));
            op_free(op);
            return false;
        }
        op->phase = PH_PROMOTE;
        return true;
    }
    case PH_PROMOTE: {
        raft_status_t st;
        raft_status(n->raft, &st);
        const raft_member_t *m = raft_conf_find(st.conf, op->id);
        if (m && m->voter && st.commit >= st.conf_index) {
            admin_respond_json(op->req, 200, member_answer(n, op->id, true, false, op->index));
            op_free(op);
            return false;
        }
        if (!m) {
            op_error(op, 409, "the node was removed while it was waiting for its promotion");
            return false;
        }
        if (n->role != RAFT_LEADER || now_ms(n) >= op->deadline_ms) {
            json_t *j = member_answer(n, op->id, true, false, op->index);
            json_object_set_new(j, "reason", json_string(n->role != RAFT_LEADER
                                                             ? "this node stopped leading: ask the new leader"
                                                             : "not caught up yet: it is promoted once it is"));
            admin_respond_json(op->req, 202, j);
            op_free(op);
            return false;
        }
        return true;
    }
    }
    return false;
}

/* ---- the requests ----------------------------------------------------------------- */

/* The wait of ?wait=true: &timeout_ms=N, 60 s by default. */
static int64_t wait_deadline(node_t *n, http_request_t *req)
{
    char v[16];
    long t = http_query_param(req, "timeout_ms", v, sizeof(v)) ? strtol(v, NULL, 10) : 0;
    return now_ms(n) + (t > 0 && t <= 3600000 ? t : 60000);
}

/* What join and leave begin with: on a follower, the 307 to the leader;
 * then the body and its required "id". false when answered (the body is
 * then released); else the caller owns *body. */
static bool begin_change(node_t *n, http_request_t *req, json_t **body, uint64_t *id)
{
    if (n->role != RAFT_LEADER) {
        admin_redirect_to_leader(n, req);
        return false;
    }
    if (!admin_parse_body(req, body)) return false;
    bool ok = admin_id_field(req, *body, "id", id);
    if (ok && !*id) {
        http_respond_error(req, 400, "\"id\" is required: a positive integer");
        ok = false;
    }
    if (!ok) json_decref(*body);
    return ok;
}

/* POST /cluster/join {"id": 4, "addr": "host:port", "http_addr": "host:port"};
 * ?wait=true (&timeout_ms=N) waits for the promotion. */
void admin_post_join(node_t *n, http_request_t *req)
{
    json_t *body;
    uint64_t id;
    if (!begin_change(n, req, &body, &id)) return;
    char addr[RAFT_ADDR_MAX], http[RAFT_ADDR_MAX];
    bool ok = addr_field(req, body, "addr", true, addr, sizeof(addr)) &&
              addr_field(req, body, "http_addr", false, http, sizeof(http));
    json_decref(body);
    if (!ok) return;
    if (id > INT32_MAX) {
        http_respond_error(req, 400, "\"id\" must be at most 2147483647");
        return;
    }
    /* the member address: the admin API's only when it is not the default */
    char member[RAFT_ADDR_MAX * 2 + 2], derived[RAFT_ADDR_MAX];
    member_http_addr_of(addr, derived, sizeof(derived));
    if (http[0] && strcmp(http, derived) != 0)
        snprintf(member, sizeof(member), "%s@%s", addr, http);
    else
        snprintf(member, sizeof(member), "%s", addr);
    size_t mlen = strlen(member);
    if (mlen >= RAFT_ADDR_MAX) {
        http_respond_error(req, 400, "\"addr\" and \"http_addr\" together are too long (63 bytes at most)");
        return;
    }
    member_op_t *op = op_new(n, req, OP_JOIN, id);
    memcpy(op->addr, member, mlen + 1);
    memcpy(op->resp, addr, strlen(addr) + 1); /* shorter than RAFT_ADDR_MAX: addr_field checked */
    op->wait = query_flag(req, "wait");
    op->deadline_ms = wait_deadline(n, req);
    op_step(op);
}

/* POST /cluster/leave {"id": 3, "force": false} */
void admin_post_leave(node_t *n, http_request_t *req)
{
    json_t *body;
    uint64_t id;
    if (!begin_change(n, req, &body, &id)) return;
    bool force;
    bool ok = bool_field(req, body, "force", &force);
    json_decref(body);
    if (!ok) return;
    member_op_t *op = op_new(n, req, OP_LEAVE, id);
    op->force = force;
    op_step(op);
}

/* ---- the tick ---------------------------------------------------------------------- */

/* The leader promotes a learner once it has replicated up to the commit
 * index seen when it was first found replicating (so a learner that keeps
 * up with the writes gets there, and one that cannot never counts toward a
 * quorum), one change at a time. A learner that stops answering starts
 * over. */
static void promote_learners(node_t *n)
{
    members_state_t *s = state_of(n);
    raft_status_t st;
    raft_status(n->raft, &st);
    if (st.role != RAFT_LEADER || st.conf_index > st.commit) return;
    for (int k = 0; k < RAFT_MAX_NODES; k++) { /* forget who is no longer a learner */
        const raft_member_t *m = s->learner[k].id ? raft_conf_find(st.conf, s->learner[k].id) : NULL;
        if (!m || m->voter) s->learner[k].id = 0;
    }
    for (int i = 0; i < st.conf->n; i++) {
        const raft_member_t *m = &st.conf->m[i];
        if (m->voter) continue;
        const raft_peer_status_t *p = NULL;
        for (int k = 0; k < st.n_peers; k++)
            if (st.peers[k].id == m->id) p = &st.peers[k];
        int slot = -1, free_slot = -1;
        for (int k = 0; k < RAFT_MAX_NODES; k++) {
            if (s->learner[k].id == m->id) slot = k;
            if (!s->learner[k].id && free_slot < 0) free_slot = k;
        }
        if (slot < 0) {
            if (free_slot < 0) continue;
            slot = free_slot;
            s->learner[slot].id = m->id;
            s->learner[slot].target = 0;
        }
        if (!p || !p->recent_active || p->state != RAFT_PROGRESS_REPLICATE) {
            s->learner[slot].target = 0;
            continue;
        }
        if (!s->learner[slot].target) {
            s->learner[slot].target = st.commit;
            continue;
        }
        if (p->match < s->learner[slot].target) continue;
        uint64_t index;
        if (raft_propose_conf(n->raft, RAFT_CONF_PROMOTE, m->id, NULL, &index) == RAFT_OK) {
            log_info("member_promoted", " id=%" PRIu64 " match=%" PRIu64 " index=%" PRIu64, m->id, p->match,
                     index);
            s->learner[slot].id = 0;
            node_kick(n);
            return; /* one change at a time */
        }
    }
}

void admin_tick(node_t *n)
{
    if (!n->raft) return;
    members_state_t *s = state_of(n);
    member_op_t *op = s->ops;
    while (op) {
        member_op_t *next = op->next;
        op_step(op);
        op = next;
    }
    int64_t now = now_ms(n);
    if (n->role == RAFT_LEADER && now - s->last_promote_ms >= n->cfg->heartbeat_interval_ms) {
        s->last_promote_ms = now;
        promote_learners(n);
    }
}

/* Shutdown: every op waiting is answered 503. */
void admin_members_free(node_t *n)
{
    members_state_t *s = n->members_admin;
    if (!s) return;
    while (s->ops) op_error(s->ops, 503, "the node is stopping");
    free(s);
    n->members_admin = NULL;
}
