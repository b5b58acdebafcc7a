/* What the server knows of one client connection that commands may read or
 * change: identity, protocol, auth, the MULTI queue. Lives in the connection;
 * commands see it through cmd_ctx_t.sess. */
#ifndef REDRAFT_CMD_SESSION_H
#define REDRAFT_CMD_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct queued_cmd {
    int argc;
    char **argv;
    size_t *argvlen;
} queued_cmd_t;

/* A key under WATCH, with the expiry it had then (a watched key that
 * expires before EXEC aborts it, as in Redis). */
typedef struct watched_key {
    char *key;
    size_t len;
    int64_t expire_ms;
} watched_key_t;

typedef struct session {
    uint64_t id;
    int proto;          /* 2 or 3 */
    bool authed;
    char name[128];
    char lib_name[64];
    char lib_ver[64];
    char addr[64];      /* peer ip:port */
    char laddr[64];     /* local ip:port */
    int fd;
    int64_t created_ms;
    int64_t last_cmd_ms;
    const char *last_cmd; /* for CLIENT LIST: a command's (static) name, or last_sub */
    char last_sub[32];    /* "client|list": a container's subcommand */
    bool close_asap;    /* QUIT: close once the reply is out */
    bool readonly;      /* READONLY: reads on a follower are served locally, stale */
    uint64_t peer_id;   /* RAFT.HELLO: this connection is that node's raft link */
    bool proxied;       /* RAFT.PROXY: a follower forwards its client here; never forward again */
    bool in_multi;
    bool multi_dirty;   /* an error while queueing: EXEC aborts */
    queued_cmd_t *queue;
    int nqueued, capqueued;
    size_t qbuf_len, obuf_len; /* for CLIENT LIST */
    watched_key_t *watched;    /* WATCH, on the leader (node/keywait.c) */
    int nwatched, capwatched;
    bool watch_dirty;          /* an applied write touched a watched key */
    const void *watch_remote;  /* proxy mode: the session on the leader WATCH went to */
    uint64_t last_write_index; /* the log index of its last write proposed here (WAIT) */
    uint64_t prev_write_index; /* the one before (WAIT inside a transaction with writes) */
    int nsub, npsub, nssub;    /* channels, patterns, shard channels subscribed (node/pubsub.c) */
} session_t;

void session_init(session_t *s, uint64_t id);
void session_queue(session_t *s, int argc, const char *const *argv, const size_t *argvlen);
void session_discard(session_t *s); /* drops the MULTI queue and state, and the watches (as Redis) */
void session_watch(session_t *s, const char *key, size_t len, int64_t expire_ms);
void session_unwatch(session_t *s);
bool session_watches(const session_t *s, const char *key, size_t len);
/* How many sessions of the process watch keys: an apply skips the watch
 * checks while none does. */
int session_watching(void);
void session_free(session_t *s);

#endif
