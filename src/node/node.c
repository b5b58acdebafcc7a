/* The node's write path: propose through Raft, apply what commits, answer
 * the clients that wait for their entries; start and stop. */
#include "node/node.h"
#include "node/pubsub.h"
#include "node/slowlog.h"
#include "node/join.h"
#include "node/admin.h"
#include "cmd/prefetch.h"
#include "storage/encoding.h"
#include "node/wait_cmd.h"
#include "util/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int64_t node_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

reply_t *client_reply(client_t *cl)
{
    if (cl && cl->conn) return conn_reply(cl->conn);
    return cl ? &cl->node->scratch : NULL;
}

/* Entry time is the wall clock, held monotonic so that expiry decisions of
 * later entries never go back in time even if the clock does. */
int64_t node_entry_time(node_t *n)
{
    int64_t now = node_wall_ms();
    if (now < n->last_time_ms) now = n->last_time_ms;
    n->last_time_ms = now;
    return now;
}

bool node_is_leader(const node_t *n)
{
    return n->role == RAFT_LEADER;
}

uint64_t node_leader(node_t *n, const char **addr)
{
    if (addr) *addr = "";
    if (!n->leader || !n->raft) return n->leader;
    raft_status_t st;
    raft_status(n->raft, &st);
    const raft_member_t *m = raft_conf_find(st.conf, n->leader);
    if (m && addr) {
        member_resp_addr(m->addr, n->leader_addr, sizeof(n->leader_addr));
        *addr = n->leader_addr;
    }
    return n->leader;
}

/* Keeps waiters ordered by (index, term). Proposals come in index order, so
 * this is an append except after a leadership change, when a new entry may
 * reuse the index of one that is still waiting for its fate. */
static void waiter_add(node_t *n, uint64_t index, uint64_t term, client_t *cl)
{
    if (n->whead > 0 && n->whead == n->wn) n->whead = n->wn = 0;
    if (n->wn == n->wcap) {
        if (n->whead > n->wcap / 2) {
            memmove(n->waiters, n->waiters + n->whead, sizeof(*n->waiters) * (n->wn - n->whead));
            n->wn -= n->whead;
            n->whead = 0;
        } else {
            n->wcap = n->wcap ? n->wcap * 2 : 256;
            n->waiters = realloc(n->waiters, sizeof(*n->waiters) * n->wcap);
        }
    }
    size_t i = n->wn;
    while (i > n->whead && (n->waiters[i - 1].index > index ||
                            (n->waiters[i - 1].index == index && n->waiters[i - 1].term > term)))
        i--;
    memmove(n->waiters + i + 1, n->waiters + i, sizeof(*n->waiters) * (n->wn - i));
    n->waiters[i] = (waiter_t){index, term, cl, (int64_t)uv_now(n->loop) + n->cfg->request_timeout_ms,
                               cl->req.start_us, cl->req.cmd};
    n->wn++;
    cl->req.deferred = true; /* counted when the apply (or a timeout) answers it */
}

uint64_t node_propose(node_t *n, client_t *cl)
{
    uint64_t index = 0;
    int rc = n->role == RAFT_LEADER ? raft_propose(n->raft, n->ebuf.buf, n->ebuf.len, &index) : RAFT_ENOTLEADER;
    if (rc != RAFT_OK) {
        if (cl) {
            reply_t *r = client_reply(cl);
            if (rc == RAFT_EBUSY)
                reply_error(r, "TRYAGAIN leadership transfer in progress");
            else if (rc == RAFT_ETOOBIG)
                reply_error(r, "ERR write too large for the log");
            else
                reply_error(r, "TRYAGAIN this node is no longer the leader");
        }
        return 0;
    }
    if (cl) {
        cl->pending++;
        cl->sess.prev_write_index = cl->sess.last_write_index;
        cl->sess.last_write_index = index;
        waiter_add(n, index, raft_term_at(n->raft, index), cl);
    }
    node_kick(n);
    return index;
}

/* ---- apply -------------------------------------------------------------- */

/* Runs one decoded command of an entry inside the apply batch. Returns true
 * when its client is now blocked (keywait.c) rather than answered. */
static bool apply_cmd(node_t *n, store_txn_t *txn, const entry_view_t *v, uint64_t index, uint32_t seq,
                      client_t *cl, int argc)
{
    reply_t *r = cl ? client_reply(cl) : &n->scratch;
    const command_t *cmd = cmd_lookup(n->argv[0], n->argvlen[0]);
    if (!cmd || !cmd->proc) { /* a log written by a version that knows more commands */
        log_error("apply_unknown_command", " index=%llu name=%.*s", (unsigned long long)index,
                  (int)(n->argvlen[0] < 64 ? n->argvlen[0] : 64), n->argv[0]);
        reply_error(r, "ERR unknown command in log entry");
        return false;
    }
    cmd_ctx_t c = {
        .argc = argc, .argv = n->argv, .argvlen = n->argvlen, .txn = txn, .reply = r,
        .now_ms = v->time_ms, .index = index, .seq = seq, .in_exec = v->type == ENTRY_MULTI,
        .proposed_here = cl != NULL, .db = &n->db,
        .sess = (cl && cl->conn) ? &cl->sess : NULL, .server = n,
    };
    size_t reply_from = r->len;
    uint64_t writes = store_txn_writes(txn);
    uint64_t t0 = slowlog_enabled(n) ? node_now_us() : 0;
    cmd->proc(&c);
    if (t0) slowlog_check(n, cmd, argc, n->argv, n->argvlen, c.sess, node_now_us() - t0);
    bool held = false;
    if (cl && c.blocked && v->type != ENTRY_MULTI) /* inside MULTI nothing blocks, as in Redis */
        held = keywait_block(n, cl, &c, reply_from);
    else if (cl && cl->blocked)
        keywait_unblock(n, cl);
    if (store_txn_writes(txn) != writes) keywait_touched(n, cmd, argc, n->argv, n->argvlen);
    return held;
}

/* Applies one entry. Everything it changes goes into txn; its reply (or
 * EXEC's array of replies) goes to the waiting client. */
static bool apply_entry(node_t *n, store_txn_t *txn, uint64_t index, const char *data, size_t len, client_t *cl)
{
    entry_view_t v;
    reply_t *r = cl ? client_reply(cl) : &n->scratch;
    if (entry_decode(&v, data, len) < 0) {
        log_error("apply_bad_entry", " index=%llu len=%zu", (unsigned long long)index, len);
        reply_error(r, "ERR corrupt log entry");
        return false;
    }
    if (v.type == ENTRY_NOOP) return false;
    if (v.type == ENTRY_MULTI) reply_array(r, v.ncmds);
    uint32_t seq = 0;
    int argc;
    bool held = false;
    while ((argc = entry_next_cmd(&v, &n->argv, &n->argvlen, &n->argcap)) > 0)
        held |= apply_cmd(n, txn, &v, index, seq++, cl, argc);
    if (argc < 0) log_error("apply_bad_entry", " index=%llu reason=truncated_command", (unsigned long long)index);
    n->stats.entries_applied++;
    return held;
}

client_t *client_new(node_t *n)
{
    client_t *cl = calloc(1, sizeof(*cl));
    cl->node = n;
    cl->next = n->clients;
    if (n->clients) n->clients->prev = cl;
    n->clients = cl;
    return cl;
}

void client_free(client_t *cl)
{
    node_t *n = cl->node;
    if (cl->prev) cl->prev->next = cl->next;
    else n->clients = cl->next;
    if (cl->next) cl->next->prev = cl->prev;
    session_free(&cl->sess);
    free(cl);
}

/* Ends the wait of a client whose write was answered: its held requests, if
 * any, may go on now; a client that left meanwhile is freed. */
void client_done(client_t *cl)
{
    cl->pending--;
    if (!cl->conn) {
        if (cl->pending == 0) client_free(cl);
        return;
    }
    conn_mark_dirty(cl->conn);
    if (cl->pending == 0) conn_resume(cl->conn);
}

static void fatal_storage(const char *what, const char *err)
{
    log_error("storage_failure", " op=%s error=\"%s\" action=exit", what, err);
    exit(1);
}

/* The waiter of index, if any (copied to *out): the client gets the reply
 * when the entry applied there is its own (same term); otherwise its write
 * was replaced by another leader's entry and never happened. */
static client_t *take_waiter(node_t *n, uint64_t index, uint64_t term, waiter_t *out)
{
    client_t *mine = NULL;
    while (n->whead < n->wn && n->waiters[n->whead].index <= index) {
        waiter_t w = n->waiters[n->whead++];
        if (!w.client) continue;
        if (w.index == index && w.term == term) {
            mine = w.client;
            *out = w; /* counted once the apply has written its reply */
            continue;
        }
        reply_error(client_reply(w.client), "TRYAGAIN the write was lost in a leader change and not applied");
        n->stats.writes_lost++;
        cmdstats_done(n, w.cmd, w.start_us, false);
        client_done(w.client);
    }
    return mine;
}

/* Applies committed entries in one atomic state-machine batch with the new
 * applied index, then answers the clients whose entries they were. */
/* Byte strings in one growing buffer, for the prefetch lists below. */
typedef struct strlist {
    char *buf;
    size_t blen, bcap;
    size_t *offs, *lens;
    size_t n, cap;
} strlist_t;

/* Appends the string a+b+c (any part may be empty) and returns its index. */
static size_t strlist_add(strlist_t *l, const char *a, size_t alen, const char *b, size_t blen, const char *c,
                          size_t clen)
{
    size_t len = alen + blen + clen;
    if (l->blen + len > l->bcap) {
        l->bcap = (l->blen + len) * 2 + 256;
        l->buf = realloc(l->buf, l->bcap);
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->offs = realloc(l->offs, sizeof(*l->offs) * l->cap);
        l->lens = realloc(l->lens, sizeof(*l->lens) * l->cap);
    }
    char *p = l->buf + l->blen;
    if (alen) memcpy(p, a, alen);
    if (blen) memcpy(p + alen, b, blen);
    if (clen) memcpy(p + alen + blen, c, clen);
    l->offs[l->n] = l->blen;
    l->lens[l->n] = len;
    l->blen += len;
    return l->n++;
}

static void strlist_prefetch(store_txn_t *txn, const strlist_t *l)
{
    if (!l->n) return;
    const char **ptrs = malloc(sizeof(*ptrs) * l->n);
    for (size_t k = 0; k < l->n; k++)
        ptrs[k] = l->buf + l->offs[k];
    store_txn_prefetch(txn, ptrs, l->lens, l->n);
    free(ptrs);
}

static void strlist_free(strlist_t *l)
{
    free(l->buf);
    free(l->offs);
    free(l->lens);
}

/* An element a command will look up: its collection's metadata key (an
 * index into the key list), the type it must have, the element's tag. */
typedef struct elem_req {
    size_t meta, elem;
    obj_type_t type;
    char tag;
} elem_req_t;

/* The keys of a batch's commands (by their key specs), then the elements
 * of collections they test or change (prefetch.h), looked up in two
 * batched reads before the batch is applied (store_txn_prefetch): the
 * commands then find them without a RocksDB lookup each. A batch of one
 * gains nothing. */
static void prefetch_keys(node_t *n, store_txn_t *txn, const raft_entry_t *e, size_t count)
{
    if (count < 2) return;
    strlist_t keys = {0}, elems = {0}, subs = {0};
    elem_req_t *reqs = NULL;
    size_t nreq = 0, capreq = 0;
    for (size_t i = 0; i < count; i++) {
        entry_view_t v;
        if (e[i].type != RAFT_ENTRY_NORMAL || entry_decode(&v, e[i].data, e[i].len) < 0) continue;
        int argc;
        while ((argc = entry_next_cmd(&v, &n->argv, &n->argvlen, &n->argcap)) > 0) {
            const command_t *cmd = cmd_lookup(n->argv[0], n->argvlen[0]);
            if (!cmd || !cmd->proc || !cmd_has_keys(cmd)) continue;
            if (cmd->arity > 0 ? argc != cmd->arity : argc < -cmd->arity) continue;
            cmd_key_t ks[8];
            int m = cmd_get_keys(cmd, argc, n->argv, n->argvlen, ks, 8);
            if (m > 8) m = 8; /* the first few are enough to gain */
            const char prefix = ENC_META_PREFIX;
            for (int k = 0; k < m; k++)
                strlist_add(&keys, &prefix, 1, n->argv[ks[k].pos], n->argvlen[ks[k].pos], NULL, 0);
            int pos[PREFETCH_MAX_ELEMS];
            obj_type_t type;
            char tag;
            int ne = m > 0 && ks[0].pos == 1 ? prefetch_elements(cmd, argc, n->argv, n->argvlen, &type, &tag, pos) : 0;
            for (int k = 0; k < ne; k++) {
                if (nreq == capreq) {
                    capreq = capreq ? capreq * 2 : 64;
                    reqs = realloc(reqs, sizeof(*reqs) * capreq);
                }
                reqs[nreq++] = (elem_req_t){.meta = keys.n - (size_t)m, .type = type, .tag = tag,
                                            .elem = strlist_add(&elems, n->argv[pos[k]], n->argvlen[pos[k]], NULL,
                                                                0, NULL, 0)};
            }
        }
    }
    strlist_prefetch(txn, &keys);
    /* the elements' sub-keys need their collection's version: in the
     * metadata just read (answered from what was prefetched) */
    size_t last_meta = SIZE_MAX;
    meta_t meta = {0};
    bool ok = false;
    char pstack[128], *prefix = pstack;
    size_t plen = 0;
    for (size_t r = 0; r < nreq; r++) {
        if (reqs[r].meta != last_meta) {
            last_meta = reqs[r].meta;
            char *raw = NULL;
            size_t rawlen = 0;
            const char *mk = keys.buf + keys.offs[last_meta];
            size_t mklen = keys.lens[last_meta];
            ok = store_get(txn, CF_DATA, mk, mklen, &raw, &rawlen) == 1 && enc_meta_decode(&meta, raw, rawlen) == 0 &&
                 meta.type == reqs[r].type;
            store_free(raw);
            if (ok) {
                if (prefix != pstack) free(prefix);
                prefix = mklen + 12 <= sizeof(pstack) ? pstack : malloc(mklen + 12);
                plen = enc_sub_prefix(prefix, mk + 1, mklen - 1, meta.version);
            }
        }
        if (!ok) continue;
        /* the sub-key: prefix, the tag if any, the element */
        strlist_add(&subs, prefix, plen, &reqs[r].tag, reqs[r].tag ? 1 : 0, elems.buf + elems.offs[reqs[r].elem],
                    elems.lens[reqs[r].elem]);
    }
    strlist_prefetch(txn, &subs);
    if (prefix != pstack) free(prefix);
    free(reqs);
    strlist_free(&keys);
    strlist_free(&elems);
    strlist_free(&subs);
}

static void expire_applied(node_t *n);

void node_apply_committed(node_t *n, const raft_entry_t *e, size_t count)
{
    store_txn_t *txn = store_txn_begin(n->store, true);
    prefetch_keys(n, txn, e, count);
    client_t *stack[64], **done = count <= 64 ? stack : malloc(sizeof(*done) * count);
    size_t ndone = 0;
    for (size_t i = 0; i < count; i++) {
        waiter_t w = {0};
        client_t *cl = take_waiter(n, e[i].index, e[i].term, &w);
        bool held = false;
        if (e[i].type == RAFT_ENTRY_NORMAL) held = apply_entry(n, txn, e[i].index, e[i].data, e[i].len, cl);
        else if (cl) reply_error(client_reply(cl), "ERR internal: a client waited on a raft entry");
        if (cl) pubsub_flush_self(n); /* a message it published to itself follows its reply */
        if (cl) cmdstats_done(n, w.cmd, w.start_us, false);
        n->db.applied = e[i].index;
        if (e[i].index == n->expire_index) expire_applied(n);
        if (cl && !held) done[ndone++] = cl;
        if (e[i].type == RAFT_ENTRY_CONF) {
            raft_status_t st;
            raft_status(n->raft, &st);
            peers_sync(&n->peers, st.conf);
        }
    }
    db_save(&n->db, txn);
    char err[256];
    if (store_txn_commit(txn, err, sizeof(err)) < 0) fatal_storage("apply", err);
    reply_clear(&n->scratch);
    raft_applied(n->raft, n->db.applied);
    for (size_t i = 0; i < ndone; i++) client_done(done[i]);
    if (done != stack) free(done);
    if (n->blocked_head) keywait_after_apply(n);
}

static void resume_waiting(node_t *n);

/* A write whose entry did not commit within request_timeout_ms gets an
 * error that says its fate is unknown; the entry may still commit later
 * (then nobody is told). */
void node_tick_waiters(node_t *n)
{
    int64_t now = (int64_t)uv_now(n->loop);
    for (size_t i = n->whead; i < n->wn; i++) {
        waiter_t *w = &n->waiters[i];
        if (!w->client || w->deadline_ms > now) continue;
        reply_error(client_reply(w->client), "TIMEOUT the write was not committed within request_timeout_ms; "
                                             "it may or may not be applied");
        n->stats.writes_timed_out++;
        cmdstats_done(n, w->cmd, w->start_us, false);
        client_t *cl = w->client;
        w->client = NULL;
        client_done(cl);
    }
    resume_waiting(n); /* lets held requests time out */
    proxy_drop_stale(n);
}

void node_wait_for_leader(node_t *n, client_t *cl)
{
    if (cl->waiting) return;
    if (n->nwaiting == n->capwaiting) {
        n->capwaiting = n->capwaiting ? n->capwaiting * 2 : 16;
        n->waiting = realloc(n->waiting, sizeof(*n->waiting) * n->capwaiting);
    }
    cl->waiting = true;
    cl->pending++; /* keeps the client alive and its requests held */
    n->waiting[n->nwaiting++] = cl;
}

/* Requests held for a leader are offered again, and decide for themselves
 * whether to go on, redirect, or give up. */
static void resume_waiting(node_t *n)
{
    size_t count = n->nwaiting;
    n->nwaiting = 0;
    for (size_t i = 0; i < count; i++) {
        client_t *cl = n->waiting[i];
        cl->waiting = false;
        client_done(cl);
    }
}

void node_role_changed(node_t *n)
{
    /* as etcd counts: a new leader, not the gap without one in between */
    if (n->leader && n->leader != n->last_leader) {
        n->stats.leader_changes++;
        n->last_leader = n->leader;
    }
    const char *addr;
    node_leader(n, &addr);
    log_info("raft_role", " role=%s term=%llu leader=%llu leader_addr=%s", raft_role_name(n->role),
             (unsigned long long)n->term, (unsigned long long)n->leader, addr[0] ? addr : "none");
    keywait_role_changed(n);
    resume_waiting(n);
    n->leader_changed_ms = (int64_t)uv_now(n->loop);
    n->proxy_stale = true;
}

/* ---- active expiry ------------------------------------------------------ */

static void expire_cycle(uv_timer_t *t);

/* A cycle that found a full batch left more behind, as Redis's fast cycle
 * assumes: the next one runs after a tenth of the interval, not the whole
 * (200 keys a cycle every 100 ms deleted 2,000 keys/s; a burst of keys
 * set with the same TTL stayed on disk for minutes). */
static void expire_applied(node_t *n)
{
    n->expire_inflight = false;
    if (!n->expire_full || n->shutting_down) return;
    uint64_t every = (uint64_t)n->cfg->active_expire_interval_ms;
    uv_timer_start(&n->expire_timer, expire_cycle, every / 10 ? every / 10 : 1, every);
}

static void add_expired_key(void *ud, const char *key, size_t klen)
{
    entry_cmd_arg(ud, key, klen);
}

/* Finds keys whose time has passed and proposes their deletion through the
 * log as one "__expire k1 k2 ..." entry, so every replica deletes the same
 * keys at the same point in history. One such entry in flight at a time. */
static void expire_cycle(uv_timer_t *t)
{
    node_t *n = t->data;
    if (n->expire_inflight || n->shutting_down || n->role != RAFT_LEADER) return;
    /* the entry's own time decides, so the keys found are expired at it too */
    int64_t now = node_entry_time(n);
    entry_buf_t *e = &n->ebuf;
    entry_begin(e, ENTRY_CMD, now);
    entry_cmd_start(e);
    entry_cmd_arg(e, "__expire", 8);
    size_t found = db_collect_expired(&n->db, now, (size_t)n->cfg->active_expire_keys, add_expired_key, e);
    n->expire_full = found > 0 && found == (size_t)n->cfg->active_expire_keys;
    if (found == 0) return;
    entry_cmd_end(e);
    entry_end(e);
    n->expire_index = node_propose(n, NULL);
    n->expire_inflight = n->expire_index != 0;
    n->stats.expire_cycles++;
}

/* ---- local execution ---------------------------------------------------- */

void node_exec_local(node_t *n, client_t *cl, const command_t *cmd, int argc, const char *const *argv,
                     const size_t *argvlen)
{
    store_txn_t *txn = store_txn_begin(n->store, false);
    cmd_ctx_t c = {
        .argc = argc, .argv = argv, .argvlen = argvlen, .txn = txn, .reply = client_reply(cl),
        .now_ms = node_wall_ms(), .in_exec = n->in_exec, .db = &n->db, .sess = cl ? &cl->sess : NULL,
        .server = n,
    };
    uint64_t t0 = slowlog_enabled(n) ? node_now_us() : 0;
    cmd->proc(&c);
    if (t0) slowlog_check(n, cmd, argc, argv, argvlen, c.sess, node_now_us() - t0);
    store_txn_abort(txn);
}

/* ---- start and stop ----------------------------------------------------- */

static int mkdir_p(const char *path)
{
    char tmp[1024];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) < 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    return (mkdir(tmp, 0755) < 0 && errno != EEXIST) ? -1 : 0;
}

/* Once per loop iteration, after the I/O of the iteration was handled:
 * everything proposed, read or received meanwhile goes into one ready. */
static void on_check(uv_check_t *h)
{
    node_raft_process(h->data);
}

static void on_stop_timer(uv_timer_t *t)
{
    uv_close((uv_handle_t *)t, NULL);
    node_stop(t->data);
}

void node_stop_soon(node_t *n)
{
    if (n->stop_requested || n->shutting_down) return;
    n->stop_requested = true;
    uv_timer_init(n->loop, &n->stop_timer);
    n->stop_timer.data = n;
    uv_timer_start(&n->stop_timer, on_stop_timer, 0, 0);
}

static void on_signal(uv_signal_t *s, int signum)
{
    node_t *n = s->data;
    log_info("shutdown", " signal=%d", signum);
    node_stop(n);
}

int node_start(node_t *n, config_t *cfg, uv_loop_t *loop)
{
    memset(n, 0, sizeof(*n));
    histo_init_exp(&n->stats.append_seconds, 0.0001, 2, 16); /* 100 us .. 3.3 s */
    n->cfg = cfg;
    n->loop = loop;
    n->start_ms = node_wall_ms();
    reply_init(&n->scratch, 2);
    char err[512];
    if (mkdir_p(cfg->node_dir) < 0) {
        log_error("data_dir_failed", " dir=%s error=\"%s\"", cfg->node_dir, strerror(errno));
        return -1;
    }
    store_options_t so = {.wal_segment_size = (uint64_t)cfg->log_segment_size,
                          .block_cache_bytes = (uint64_t)cfg->block_cache_mb << 20};
    n->store = store_open_opts(cfg->node_dir, &so, err, sizeof(err));
    if (!n->store) {
        log_error("store_open_failed", " dir=%s error=\"%s\"", cfg->node_dir, err);
        return -1;
    }
    store_enable_cache(n->store, (size_t)cfg->cache_size_mb << 20);
    db_load(&n->db, n->store);
    /* the command table must exist before entries are applied through it */
    static bool registered;
    if (!registered) {
        registered = true;
        cmd_register_data_commands();
        node_register_commands();
    }
    cmdstats_init(n); /* sized by the table just completed */
    n->role = RAFT_FOLLOWER;
    if (node_raft_start(n) < 0) return -1;

    resp_limits_t lim = {.max_bulk_len = cfg->proto_max_bulk_len, .max_multibulk = cfg->max_multibulk_len,
                         .max_inline = (size_t)cfg->max_inline_len};
    conn_handler_t h = node_conn_handler;
    h.ud = n;
    int rc = server_start(&n->srv, loop, cfg->binding, cfg->port, &h, &lim, cfg->client_query_buffer_limit,
                          cfg->maxclients);
    if (rc != 0) {
        log_error("listen_failed", " addr=%s:%d error=\"%s\"", cfg->binding, cfg->port, uv_strerror(rc));
        return -1;
    }
    if (admin_start(n) < 0) return -1;
    uv_check_init(loop, &n->check);
    n->check.data = n;
    uv_check_start(&n->check, on_check);
    keywait_start(n);
    uv_timer_init(loop, &n->expire_timer);
    n->expire_timer.data = n;
    uv_timer_start(&n->expire_timer, expire_cycle, (uint64_t)cfg->active_expire_interval_ms,
                   (uint64_t)cfg->active_expire_interval_ms);
    uv_signal_init(loop, &n->sigterm);
    n->sigterm.data = n;
    uv_signal_start(&n->sigterm, on_signal, SIGTERM);
    uv_signal_init(loop, &n->sigint);
    n->sigint.data = n;
    uv_signal_start(&n->sigint, on_signal, SIGINT);
    node_raft_process(n);
    n->joiner = node_join_start(n);
    log_info("ready", " addr=%s:%d data=%s applied=%llu last_index=%llu keys=%lld", cfg->binding, cfg->port,
             cfg->node_dir, (unsigned long long)n->db.applied, (unsigned long long)n->last_index,
             (long long)n->db.nkeys);
    return 0;
}

static void close_handle(uv_handle_t *h)
{
    if (!uv_is_closing(h)) uv_close(h, NULL);
}

/* Closes every handle; the loop then ends once the write in flight (if any)
 * has completed, so nothing acknowledged is lost. */
void node_stop(node_t *n)
{
    if (n->shutting_down) return;
    n->shutting_down = true;
    server_stop(&n->srv);
    node_join_stop(n->joiner);
    n->joiner = NULL;
    admin_stop(n);
    uv_timer_stop(&n->expire_timer);
    close_handle((uv_handle_t *)&n->expire_timer);
    keywait_stop(n);
    uv_signal_stop(&n->sigterm);
    uv_signal_stop(&n->sigint);
    close_handle((uv_handle_t *)&n->sigterm);
    close_handle((uv_handle_t *)&n->sigint);
    uv_check_stop(&n->check);
    close_handle((uv_handle_t *)&n->check);
    if (n->stop_requested) close_handle((uv_handle_t *)&n->stop_timer);
    node_snapshot_free(n);
    node_raft_stop(n);
}

/* After the loop has ended. */
void node_free(node_t *n)
{
    node_raft_free(n);
    reads_free(n);
    wait_free(n);
    pubsub_free(n);
    slowlog_free(n);
    while (n->clients) client_free(n->clients); /* left with requests in flight */
    free(n->waiters);
    free(n->waiting);
    entry_buf_free(&n->ebuf);
    reply_free(&n->scratch);
    free(n->argv);
    free(n->argvlen);
    cmdstats_free(n);
    store_close(n->store);
    n->store = NULL;
}
