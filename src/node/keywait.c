/* What waits on keys: WATCH and the blocking pops (node.h, "keywait").
 *
 * WATCH. The watches live in the client's session on the leader. Every write
 * applied here marks the sessions that watch one of its keys. An EXEC with
 * watches is decided before its entry is proposed, and must see every write
 * ordered before it in the log: the applied ones through the marks, and the
 * ones proposed but not applied yet by reading their commands from the log
 * the core holds. The decision then travels as the entry itself (proposed or
 * not), so every replica agrees without knowing about watches. A session
 * whose node lost the leadership, or whose proxied session changed, aborts.
 *
 * Blocking pops. BLPOP and the like are writes: applied, they pop if they
 * can. When nothing was there (the command set c->blocked) and the client
 * waits on this node, the leader, the client is blocked instead of answered:
 * its command is kept (the reply it wrote, what Redis answers inside MULTI,
 * is dropped), and an applied write touching one of its keys sends the
 * command through the log again (oldest blocked client first). At the
 * timeout the client gets a null array, as every blocking pop answers in
 * Redis. The pop itself therefore always happens in the log, on every
 * replica alike. One timer per node (block_timer) is armed for the earliest
 * deadline among the blocked clients that wait here (not those whose
 * command is in the log again), so a timeout is answered when it falls, not
 * at the next heartbeat; it is re-armed whenever that set changes. */
#include "node/node.h"
#include "util/log.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct blocked {
    client_t *cl;
    const command_t *cmd;
    int argc;
    char **argv;
    size_t *argvlen;
    int64_t deadline_ms;  /* loop time; 0: no timeout */
    bool woken;           /* a key was touched: to go through the log again */
    bool in_log;          /* its command is proposed and not applied yet */
    struct blocked *prev, *next;
} blocked_t;

/* ---- keys of a command ------------------------------------------------------- */

/* The keys of a command line by its key specs (cmd_get_keys), in *keys: the
 * caller's buffer, or for a line with more keys a malloc'ed one (keys_done).
 * -1: the command touches every key: it has no key specs (FLUSHALL), or its
 * arguments do not fit them (a line the command refuses; counting it as
 * touching everything is merely cautious). Waking or aborting too often is
 * safe, missing a touch is not. */
#define KEYBUF 16
static int keys_of(const command_t *cmd, int argc, const char *const *argv, const size_t *argvlen,
                   cmd_key_t *buf, cmd_key_t **keys)
{
    *keys = buf;
    if (!cmd_has_keys(cmd)) return -1;
    int n = cmd_get_keys(cmd, argc, argv, argvlen, buf, KEYBUF);
    if (n > KEYBUF) {
        *keys = malloc(sizeof(**keys) * (size_t)n);
        cmd_get_keys(cmd, argc, argv, argvlen, *keys, n);
    }
    return n;
}

static void keys_done(cmd_key_t *buf, cmd_key_t *keys)
{
    if (keys != buf) free(keys);
}

/* Whether a command line touches key (every key when keys_of says -1). */
static bool cmd_touches(const command_t *cmd, int argc, const char *const *argv, const size_t *argvlen,
                        const char *key, size_t klen)
{
    cmd_key_t buf[KEYBUF], *keys;
    int n = keys_of(cmd, argc, argv, argvlen, buf, &keys);
    bool hit = n < 0;
    for (int i = 0; i < n && !hit; i++) {
        int p = keys[i].pos;
        hit = argvlen[p] == klen && (klen == 0 || memcmp(argv[p], key, klen) == 0);
    }
    keys_done(buf, keys);
    return hit;
}

/* ---- WATCH ------------------------------------------------------------------- */

/* Marks the sessions that watch a key the applied write touched. */
static void touch_watchers(node_t *n, const command_t *cmd, int argc, const char *const *argv,
                           const size_t *argvlen)
{
    for (client_t *cl = n->clients; cl; cl = cl->next) {
        session_t *s = &cl->sess;
        if (!s->nwatched || s->watch_dirty) continue;
        for (int k = 0; k < s->nwatched && !s->watch_dirty; k++)
            if (cmd_touches(cmd, argc, argv, argvlen, s->watched[k].key, s->watched[k].len)) s->watch_dirty = true;
    }
}

/* Whether an entry proposed but not applied yet writes a watched key. */
static bool pending_touches(const session_t *s, const raft_entry_t *e)
{
    if (e->type != RAFT_ENTRY_NORMAL) return false;
    entry_view_t v;
    if (entry_decode(&v, e->data, e->len) < 0) return true;
    const char **argv = NULL;
    size_t *argvlen = NULL;
    int cap = 0, argc;
    bool hit = false;
    while (!hit && (argc = entry_next_cmd(&v, &argv, &argvlen, &cap)) > 0) {
        const command_t *cmd = cmd_lookup(argv[0], argvlen[0]);
        if (!cmd || !(cmd->flags & CMD_WRITE)) continue;
        for (int k = 0; k < s->nwatched && !hit; k++)
            hit = cmd_touches(cmd, argc, argv, argvlen, s->watched[k].key, s->watched[k].len);
    }
    free(argv);
    free(argvlen);
    return hit;
}

bool keywait_exec_aborts(node_t *n, client_t *cl)
{
    session_t *s = &cl->sess;
    if (!s->nwatched) return false;
    if (s->watch_dirty || !node_is_leader(n)) return true;
    int64_t now = node_wall_ms();
    for (int k = 0; k < s->nwatched; k++)
        if (s->watched[k].expire_ms > 0 && now > s->watched[k].expire_ms) return true;
    raft_status_t st;
    raft_status(n->raft, &st);
    for (uint64_t i = n->db.applied + 1; i <= st.last_index; i++) {
        const raft_entry_t *e = raft_entry_at(n->raft, i);
        if (!e || pending_touches(s, e)) return true;
    }
    return false;
}

/* WATCH key [key ...]: answered by the leader (dispatch routes it there like
 * a write); the expiry each key has now is kept, so that one that expires
 * before EXEC aborts it. */
static void watchCommand(cmd_ctx_t *c)
{
    if (!c->sess) return;
    if (c->sess->in_multi) {
        reply_error(c->reply, "ERR WATCH inside MULTI is not allowed");
        return;
    }
    for (int j = 1; j < c->argc; j++) {
        dbkey_t k;
        int found = db_lookup(c, c->argv[j], c->argvlen[j], &k);
        if (found < 0) return;
        session_watch(c->sess, c->argv[j], c->argvlen[j], found ? k.meta.expire_ms : 0);
        db_release(&k);
    }
    reply_ok(c->reply);
}

static void unwatchCommand(cmd_ctx_t *c)
{
    if (c->sess) session_unwatch(c->sess);
    reply_ok(c->reply);
}

static const command_t keywait_commands[] = {
    {"watch", watchCommand, -2, CMD_CONN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST, 1, -1, 1, "transactions",
     "Monitors changes to keys to determine the execution of a transaction.", "2.2.0",
     "O(1) for every key.", "fast transaction", NULL, KEYSPECS(KS_RANGE(1, -1, 1, KS_RO))},
    {"unwatch", unwatchCommand, 1, CMD_CONN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST, 0, 0, 0, "transactions",
     "Forgets about watched keys of a transaction.", "2.2.0", "O(1)", "fast transaction", NULL, NULL},
};

void keywait_register_commands(void)
{
    cmd_table_add(keywait_commands, sizeof(keywait_commands) / sizeof(keywait_commands[0]));
}

/* ---- blocking ------------------------------------------------------------------ */

static void on_block_timer(uv_timer_t *t);

/* Arms block_timer for the earliest deadline of a client that waits here,
 * or stops it when there is none. Called after every change of the blocked
 * set (O(blocked clients), as the wake-ups already are). */
static void arm_block_timer(node_t *n)
{
    if (n->shutting_down || !n->block_timer.data) return; /* not started yet, or stopping */
    int64_t first = 0;
    for (blocked_t *b = n->blocked_head; b; b = b->next)
        if (!b->in_log && b->deadline_ms && (!first || b->deadline_ms < first)) first = b->deadline_ms;
    if (!first) {
        uv_timer_stop(&n->block_timer);
        return;
    }
    int64_t now = (int64_t)uv_now(n->loop);
    uv_timer_start(&n->block_timer, on_block_timer, first > now ? (uint64_t)(first - now) : 0, 0);
}

static void unlink_block(node_t *n, blocked_t *b)
{
    if (b->prev) b->prev->next = b->next;
    else n->blocked_head = b->next;
    if (b->next) b->next->prev = b->prev;
    else n->blocked_tail = b->prev;
    n->nblocked--;
    b->cl->blocked = NULL;
    for (int i = 0; i < b->argc; i++) free(b->argv[i]);
    free(b->argv);
    free(b->argvlen);
    free(b);
}

bool keywait_block(node_t *n, client_t *cl, const cmd_ctx_t *c, size_t reply_from)
{
    if (!cl->conn || n->role != RAFT_LEADER) return false;
    reply_t *r = client_reply(cl);
    blocked_t *b = cl->blocked;
    if (!b) { /* blocked for the first time: the timeout counts from now */
        b = calloc(1, sizeof(*b));
        b->cl = cl;
        b->cmd = cmd_lookup(c->argv[0], c->argvlen[0]);
        b->argc = c->argc;
        b->argv = malloc(sizeof(*b->argv) * (size_t)c->argc);
        b->argvlen = malloc(sizeof(*b->argvlen) * (size_t)c->argc);
        for (int i = 0; i < c->argc; i++) {
            b->argv[i] = malloc(c->argvlen[i] + 1);
            memcpy(b->argv[i], c->argv[i], c->argvlen[i]);
            b->argv[i][c->argvlen[i]] = '\0';
            b->argvlen[i] = c->argvlen[i];
        }
        /* a timeout beyond any lifetime (BLPOP k 9e15 is valid) is none */
        int64_t now = (int64_t)uv_now(n->loop);
        b->deadline_ms = c->block_timeout_ms > 0 && c->block_timeout_ms < INT64_MAX / 2 - now
                             ? now + c->block_timeout_ms
                             : 0;
        b->prev = n->blocked_tail;
        if (n->blocked_tail) n->blocked_tail->next = b;
        else n->blocked_head = b;
        n->blocked_tail = b;
        n->nblocked++;
        cl->blocked = b;
    }
    r->len = reply_from; /* the client hears nothing until it pops or times out */
    b->in_log = false;
    b->woken = false;
    arm_block_timer(n);
    return true;
}

void keywait_unblock(node_t *n, client_t *cl)
{
    if (!cl->blocked) return;
    unlink_block(n, cl->blocked);
    arm_block_timer(n);
}

/* Wakes the blocked clients one of whose keys (BLPOP's, BLMPOP's numkeys
 * keys) the applied write touched. */
static void wake_blocked(node_t *n, const command_t *cmd, int argc, const char *const *argv, const size_t *argvlen)
{
    for (blocked_t *b = n->blocked_head; b; b = b->next) {
        if (b->woken || b->in_log) continue;
        cmd_key_t buf[KEYBUF], *keys;
        int nk = keys_of(b->cmd, b->argc, (const char *const *)b->argv, b->argvlen, buf, &keys);
        if (nk < 0) b->woken = true;
        for (int i = 0; i < nk && !b->woken; i++) {
            int p = keys[i].pos;
            if (cmd_touches(cmd, argc, argv, argvlen, b->argv[p], b->argvlen[p])) b->woken = true;
        }
        keys_done(buf, keys);
    }
}

void keywait_touched(node_t *n, const command_t *cmd, int argc, const char *const *argv, const size_t *argvlen)
{
    if (!(cmd->flags & CMD_WRITE)) return;
    if (session_watching()) touch_watchers(n, cmd, argc, argv, argvlen);
    if (n->blocked_head) wake_blocked(n, cmd, argc, argv, argvlen);
}

void keywait_after_apply(node_t *n)
{
    for (blocked_t *b = n->blocked_head, *next; b; b = next) {
        next = b->next;
        if (!b->woken || b->in_log) continue;
        client_t *cl = b->cl;
        entry_begin(&n->ebuf, ENTRY_CMD, node_entry_time(n));
        entry_add_cmd(&n->ebuf, b->argc, (const char *const *)b->argv, b->argvlen);
        entry_end(&n->ebuf);
        if (node_propose(n, cl)) {
            b->in_log = true;
            b->woken = false;
            cl->pending--; /* the block's hold passes to the entry's waiter */
        } else { /* answered with an error by node_propose: no longer leader */
            unlink_block(n, b);
            client_done(cl);
        }
    }
    arm_block_timer(n);
}

/* block_timer: the clients whose timeout has passed get their answer. A
 * client whose command is in the log again is left to its entry: if it
 * blocks again, its deadline (kept) is past and the timer fires at once. */
static void on_block_timer(uv_timer_t *t)
{
    node_t *n = t->data;
    int64_t now = (int64_t)uv_now(n->loop);
    for (blocked_t *b = n->blocked_head, *next; b; b = next) {
        next = b->next;
        if (b->in_log || !b->deadline_ms || now < b->deadline_ms) continue;
        client_t *cl = b->cl;
        reply_null_array(client_reply(cl));
        unlink_block(n, b);
        client_done(cl);
    }
    arm_block_timer(n);
}

void keywait_start(node_t *n)
{
    uv_timer_init(n->loop, &n->block_timer);
    n->block_timer.data = n;
}

void keywait_stop(node_t *n)
{
    uv_timer_stop(&n->block_timer);
    if (!uv_is_closing((uv_handle_t *)&n->block_timer)) uv_close((uv_handle_t *)&n->block_timer, NULL);
}

void keywait_role_changed(node_t *n)
{
    for (client_t *cl = n->clients; cl; cl = cl->next)
        if (cl->sess.nwatched) cl->sess.watch_dirty = true;
    if (n->role == RAFT_LEADER) return;
    for (blocked_t *b = n->blocked_head, *next; b; b = next) {
        next = b->next;
        if (b->in_log) continue; /* its entry's waiter answers it */
        client_t *cl = b->cl;
        reply_error(client_reply(cl), "UNBLOCKED force unblock from blocking operation, instance state changed "
                                      "(master -> replica?)");
        unlink_block(n, b);
        client_done(cl);
    }
    arm_block_timer(n);
}

void keywait_client_gone(node_t *n, client_t *cl)
{
    blocked_t *b = cl->blocked;
    if (!b) return;
    bool held = !b->in_log; /* else the entry's waiter holds the client */
    unlink_block(n, b);
    if (held) cl->pending--; /* the caller frees the client once nothing holds it */
    arm_block_timer(n);
}
