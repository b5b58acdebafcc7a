/* WAIT. In Redis it makes a write safer by waiting for replicas; here every
 * acknowledged write is already on a majority, so WAIT mostly tells how
 * many other members hold the client's writes (their match index reaches
 * the index of its last write), and can wait for all of them. Members are
 * the voters and learners other than the leader; on a node alone: 0. */
#include "node/wait_cmd.h"
#include "node/node.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/time.h>
#include <string.h>
#include <strings.h>

typedef struct held_wait {
    client_t *cl;
    uint64_t index;      /* the client's last write */
    long long want;      /* numreplicas */
    int64_t deadline_ms; /* 0: none */
} held_wait_t;

/* How many members other than this leader have the log up to index (0 on
 * a node that does not lead: it does not know). */
static long long members_holding(node_t *n, uint64_t index)
{
    if (!n || !n->raft || n->role != RAFT_LEADER) return 0;
    raft_status_t st;
    raft_status(n->raft, &st);
    long long count = 0;
    for (int i = 0; i < st.n_peers; i++)
        if (st.peers[i].id != n->id && st.peers[i].match >= index) count++;
    return count;
}

/* Redis's argument checks, in its order; false after an error reply. */
static bool parse_args(reply_t *r, const char *const *argv, const size_t *argvlen, long long *want,
                       long long *timeout)
{
    if (cmd_parse_ll(argv[1], argvlen[1], want) < 0) {
        reply_error(r, "ERR value is not an integer or out of range");
        return false;
    }
    if (cmd_parse_ll(argv[2], argvlen[2], timeout) < 0) {
        reply_error(r, "ERR timeout is not an integer or out of range");
        return false;
    }
    if (*timeout < 0) {
        reply_error(r, "ERR timeout is negative");
        return false;
    }
    struct timeval tv;
    gettimeofday(&tv, NULL);
    if (*timeout > LLONG_MAX - ((long long)tv.tv_sec * 1000 + tv.tv_usec / 1000)) {
        reply_error(r, "ERR timeout is out of range");
        return false;
    }
    return true;
}

/* The table's procedure: WAIT inside MULTI, run by EXEC. As in Redis it
 * never blocks there: the count for the writes before the transaction
 * (applied as an entry of its own when it writes: c->index). */
static void waitCommand(cmd_ctx_t *c)
{
    long long want, timeout;
    if (!parse_args(c->reply, c->argv, c->argvlen, &want, &timeout)) return;
    uint64_t index = 0;
    if (c->sess) index = c->index && c->sess->last_write_index == c->index ? c->sess->prev_write_index
                                                                           : c->sess->last_write_index;
    reply_int(c->reply, members_holding(c->server, index));
}

static const command_t wait_commands[] = {
    {"wait", waitCommand, 3, CMD_CONN | CMD_NOSCRIPT, 0, 0, 0, "generic",
     "Wait for the synchronous replication of all the write commands sent in the context of the current "
     "connection",
     "3.0.0", "O(1)", "slow connection", NULL, NULL},
};

void wait_register(void)
{
    cmd_table_add(wait_commands, sizeof(wait_commands) / sizeof(wait_commands[0]));
}

bool wait_is_cmd(const command_t *cmd)
{
    return cmd->proc == waitCommand;
}

void wait_start(node_t *n, client_t *cl, int argc, const char *const *argv, const size_t *argvlen)
{
    reply_t *r = client_reply(cl);
    long long want, timeout;
    (void)argc;
    if (!parse_args(r, argv, argvlen, &want, &timeout)) return;
    uint64_t index = cl->sess.last_write_index;
    long long have = members_holding(n, index);
    if (have >= want) {
        reply_int(r, have);
        return;
    }
    if (n->nwaits == n->capwaits) {
        n->capwaits = n->capwaits ? n->capwaits * 2 : 8;
        n->waits = realloc(n->waits, sizeof(*n->waits) * n->capwaits);
    }
    int64_t now = (int64_t)uv_now(n->loop);
    n->waits[n->nwaits++] = (held_wait_t){cl, index, want, timeout ? now + timeout : 0};
    cl->pending++; /* its later requests wait behind the answer */
}

/* The answered clients are released only once the list is settled:
 * releasing one runs its pipelined requests at once, and another WAIT among
 * them is added to the list. */
void wait_check(node_t *n)
{
    if (!n->nwaits) return;
    int64_t now = (int64_t)uv_now(n->loop);
    size_t keep = 0, ndone = 0;
    client_t *stack[16], **done = n->nwaits <= 16 ? stack : malloc(sizeof(*done) * n->nwaits);
    for (size_t i = 0; i < n->nwaits; i++) {
        held_wait_t *w = &n->waits[i];
        long long have = members_holding(n, w->index);
        if (have < w->want && !(w->deadline_ms && now >= w->deadline_ms) && n->role == RAFT_LEADER &&
            !n->shutting_down && w->cl->conn) {
            n->waits[keep++] = *w;
            continue;
        }
        reply_int(client_reply(w->cl), have);
        done[ndone++] = w->cl;
    }
    n->nwaits = keep;
    for (size_t i = 0; i < ndone; i++) client_done(done[i]);
    if (done != stack) free(done);
}

void wait_free(node_t *n)
{
    free(n->waits);
    n->waits = NULL;
    n->nwaits = n->capwaits = 0;
}
