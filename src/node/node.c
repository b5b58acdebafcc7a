/* The node's write path: propose, append durably, apply, answer. */
#include "node/node.h"
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

/* ---- proposal queues ---------------------------------------------------- */

static void queue_push(prop_queue_t *q, client_t *cl, uint64_t index, const char *data, size_t len)
{
    if (q->n == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 256;
        q->items = realloc(q->items, sizeof(*q->items) * (size_t)q->cap);
    }
    if (q->alen + len > q->acap) {
        size_t ncap = q->acap ? q->acap * 2 : 64 * 1024;
        while (ncap < q->alen + len) ncap *= 2;
        q->arena = realloc(q->arena, ncap);
        q->acap = ncap;
    }
    memcpy(q->arena + q->alen, data, len);
    q->items[q->n++] = (proposal_t){.client = cl, .index = index, .off = q->alen, .len = len};
    q->alen += len;
}

static void queue_clear(prop_queue_t *q)
{
    q->n = 0;
    q->alen = 0;
}

static void queue_free(prop_queue_t *q)
{
    free(q->items);
    free(q->arena);
    memset(q, 0, sizeof(*q));
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

uint64_t node_propose(node_t *n, client_t *cl)
{
    uint64_t index = ++n->last_index;
    queue_push(&n->queue, cl, index, n->ebuf.buf, n->ebuf.len);
    if (cl) cl->pending++;
    return index;
}

/* ---- apply -------------------------------------------------------------- */

/* Runs one decoded command of an entry inside the apply batch. */
static void apply_cmd(node_t *n, store_txn_t *txn, const entry_view_t *v, uint64_t index, uint32_t seq,
                      client_t *cl, int argc)
{
    reply_t *r = cl ? client_reply(cl) : &n->scratch;
    const command_t *cmd = cmd_lookup(n->argv[0], n->argvlen[0]);
    if (!cmd || !cmd->proc) { /* a log written by a version that knows more commands */
        log_error("apply_unknown_command", " index=%llu name=%.*s", (unsigned long long)index,
                  (int)(n->argvlen[0] < 64 ? n->argvlen[0] : 64), n->argv[0]);
        reply_error(r, "ERR unknown command in log entry");
        return;
    }
    cmd_ctx_t c = {
        .argc = argc, .argv = n->argv, .argvlen = n->argvlen, .txn = txn, .reply = r,
        .now_ms = v->time_ms, .index = index, .seq = seq, .db = &n->db,
        .sess = (cl && cl->conn) ? &cl->sess : NULL, .server = n,
    };
    cmd->proc(&c);
}

/* Applies one entry. Everything it changes goes into txn; its reply (or
 * EXEC's array of replies) goes to the waiting client. */
static void apply_entry(node_t *n, store_txn_t *txn, uint64_t index, const char *data, size_t len, client_t *cl)
{
    entry_view_t v;
    reply_t *r = cl ? client_reply(cl) : &n->scratch;
    if (entry_decode(&v, data, len) < 0) {
        log_error("apply_bad_entry", " index=%llu len=%zu", (unsigned long long)index, len);
        reply_error(r, "ERR corrupt log entry");
        return;
    }
    if (v.type == ENTRY_NOOP) return;
    if (v.type == ENTRY_MULTI) reply_array(r, v.ncmds);
    uint32_t seq = 0;
    int argc;
    while ((argc = entry_next_cmd(&v, &n->argv, &n->argvlen, &n->argcap)) > 0) apply_cmd(n, txn, &v, index, seq++, cl, argc);
    if (argc < 0) log_error("apply_bad_entry", " index=%llu reason=truncated_command", (unsigned long long)index);
    n->stats.entries_applied++;
}

/* Ends the wait of a client whose write was answered: its held requests, if
 * any, may go on now; a client that left meanwhile is freed. */
static void client_done(client_t *cl)
{
    cl->pending--;
    if (!cl->conn) {
        if (cl->pending == 0) {
            session_free(&cl->sess);
            free(cl);
        }
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

/* The batch is durable: apply it in one atomic write with the new applied
 * index, then answer the waiting clients. */
static void apply_batch(node_t *n, prop_queue_t *q)
{
    if (q->n == 0) return;
    store_txn_t *txn = store_txn_begin(n->store, true);
    for (int i = 0; i < q->n; i++) {
        proposal_t *p = &q->items[i];
        apply_entry(n, txn, p->index, q->arena + p->off, p->len, p->client);
        n->db.applied = p->index;
        if (p->index == n->expire_index) n->expire_inflight = false;
    }
    db_save(&n->db, txn);
    char err[256];
    if (store_txn_commit(txn, err, sizeof(err)) < 0) fatal_storage("apply", err);
    reply_clear(&n->scratch);
    for (int i = 0; i < q->n; i++)
        if (q->items[i].client) client_done(q->items[i].client);
}

/* ---- the append --------------------------------------------------------- */

static void append_work(uv_work_t *w)
{
    node_t *n = w->data;
    prop_queue_t *q = &n->batch;
    store_entry_t stack[64], *es = q->n <= 64 ? stack : malloc(sizeof(*es) * (size_t)q->n);
    for (int i = 0; i < q->n; i++)
        es[i] = (store_entry_t){.index = q->items[i].index, .term = n->term,
                                .data = q->arena + q->items[i].off, .len = q->items[i].len};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    n->append_rc = store_log_append(n->store, es, q->n, n->cfg->fsync, n->append_err, sizeof(n->append_err));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    n->stats.last_append_us = (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
    if (es != stack) free(es);
}

static void maybe_start_append(node_t *n);

static void append_done(uv_work_t *w, int status)
{
    node_t *n = w->data;
    n->appending = false;
    if (status != 0 || n->append_rc != 0) fatal_storage("log_append", status ? uv_strerror(status) : n->append_err);
    n->stats.appends++;
    apply_batch(n, &n->batch);
    queue_clear(&n->batch);
    maybe_start_append(n);
}

/* One append in flight at a time: whatever is proposed meanwhile waits and
 * goes out together in the next one, which is what makes writes cheap under
 * load (group commit). */
static void maybe_start_append(node_t *n)
{
    if (n->appending || n->queue.n == 0) return;
    prop_queue_t tmp = n->batch;
    n->batch = n->queue;
    n->queue = tmp;
    queue_clear(&n->queue);
    n->appending = true;
    n->work.data = n;
    uv_queue_work(n->loop, &n->work, append_work, append_done);
}

static void on_check(uv_check_t *h)
{
    maybe_start_append(h->data);
}

/* ---- active expiry ------------------------------------------------------ */

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
    if (n->expire_inflight || n->shutting_down) return;
    /* the entry's own time decides, so the keys found are expired at it too */
    int64_t now = node_entry_time(n);
    entry_buf_t *e = &n->ebuf;
    entry_begin(e, ENTRY_CMD, now);
    entry_cmd_start(e);
    entry_cmd_arg(e, "__expire", 8);
    size_t found = db_collect_expired(&n->db, now, (size_t)n->cfg->active_expire_keys, add_expired_key, e);
    if (found == 0) return;
    entry_cmd_end(e);
    entry_end(e);
    n->expire_index = node_propose(n, NULL);
    n->expire_inflight = true;
    n->stats.expire_cycles++;
}

/* ---- local execution ---------------------------------------------------- */

void node_exec_local(node_t *n, client_t *cl, const command_t *cmd, int argc, const char *const *argv,
                     const size_t *argvlen)
{
    store_txn_t *txn = store_txn_begin(n->store, false);
    cmd_ctx_t c = {
        .argc = argc, .argv = argv, .argvlen = argvlen, .txn = txn, .reply = client_reply(cl),
        .now_ms = node_wall_ms(), .db = &n->db, .sess = cl ? &cl->sess : NULL, .server = n,
    };
    cmd->proc(&c);
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

/* Entries past the applied index were durable but not yet applied when the
 * node stopped: apply them before serving anyone. */
static int replay_log(node_t *n)
{
    uint64_t first, last;
    store_log_bounds(n->store, &first, &last);
    n->last_index = last > n->db.applied ? last : n->db.applied;
    if (last <= n->db.applied) return 0;
    uint64_t from = n->db.applied + 1;
    store_txn_t *txn = store_txn_begin(n->store, true);
    char err[256];
    for (uint64_t i = from; i <= last; i++) {
        store_entry_t e;
        int rc = store_log_get(n->store, i, &e, err, sizeof(err));
        if (rc != 0) {
            log_error("replay_failed", " index=%llu error=\"%s\"", (unsigned long long)i, rc > 0 ? "missing entry" : err);
            store_txn_abort(txn);
            return -1;
        }
        entry_view_t v;
        if (entry_decode(&v, e.data, e.len) == 0 && v.time_ms > n->last_time_ms) n->last_time_ms = v.time_ms;
        apply_entry(n, txn, i, e.data, e.len, NULL);
        reply_clear(&n->scratch);
        n->db.applied = i;
        free((void *)e.data);
    }
    db_save(&n->db, txn);
    if (store_txn_commit(txn, err, sizeof(err)) < 0) {
        log_error("replay_failed", " error=\"%s\"", err);
        return -1;
    }
    log_info("log_replayed", " from=%llu to=%llu", (unsigned long long)from, (unsigned long long)last);
    return 0;
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
    n->cfg = cfg;
    n->loop = loop;
    n->start_ms = node_wall_ms();
    reply_init(&n->scratch, 2);
    char err[512];
    if (mkdir_p(cfg->node_dir) < 0) {
        log_error("data_dir_failed", " dir=%s error=\"%s\"", cfg->node_dir, strerror(errno));
        return -1;
    }
    n->store = store_open(cfg->node_dir, err, sizeof(err));
    if (!n->store) {
        log_error("store_open_failed", " dir=%s error=\"%s\"", cfg->node_dir, err);
        return -1;
    }
    store_enable_cache(n->store, (size_t)cfg->cache_size_mb << 20);
    db_load(&n->db, n->store);
    n->term = store_meta_get_u64(n->store, "term", 0);
    if (n->term == 0) {
        n->term = 1;
        store_meta_put_u64(n->store, "term", 1, true);
    }
    /* the command table must exist before the log is replayed through it */
    static bool registered;
    if (!registered) {
        registered = true;
        cmd_register_data_commands();
        node_register_commands();
    }
    if (replay_log(n) < 0) return -1;


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
    uv_check_init(loop, &n->check);
    n->check.data = n;
    uv_check_start(&n->check, on_check);
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
    log_info("ready", " addr=%s:%d data=%s applied=%llu last_index=%llu keys=%lld", cfg->binding, cfg->port,
             cfg->node_dir, (unsigned long long)n->db.applied, (unsigned long long)n->last_index,
             (long long)n->db.nkeys);
    return 0;
}

static void close_handle(uv_handle_t *h)
{
    if (!uv_is_closing(h)) uv_close(h, NULL);
}

/* Closes every handle; the loop then ends once the append in flight (if any)
 * has completed and been applied, so nothing acknowledged is lost. */
void node_stop(node_t *n)
{
    if (n->shutting_down) return;
    n->shutting_down = true;
    server_stop(&n->srv);
    uv_timer_stop(&n->expire_timer);
    close_handle((uv_handle_t *)&n->expire_timer);
    uv_signal_stop(&n->sigterm);
    uv_signal_stop(&n->sigint);
    close_handle((uv_handle_t *)&n->sigterm);
    close_handle((uv_handle_t *)&n->sigint);
    uv_check_stop(&n->check);
    close_handle((uv_handle_t *)&n->check);
}

/* After the loop has ended. */
void node_free(node_t *n)
{
    store_close(n->store);
    n->store = NULL;
    queue_free(&n->queue);
    queue_free(&n->batch);
    entry_buf_free(&n->ebuf);
    reply_free(&n->scratch);
    free(n->argv);
    free(n->argvlen);
}
