/* Client connections on the libuv loop: bytes in, requests cut by the RESP
 * parser, replies out in request order.
 *
 * The owner (the node) sees each request through on_command and answers
 * into conn_reply(). It may hold a request back (CONN_PAUSE) — e.g. a read
 * behind this client's own unfinished write — and later call conn_resume(),
 * which offers the same request again before parsing on. Replies are not
 * written at once: a connection with new output joins the server's list of
 * pending writes, flushed once per loop iteration (server_flush_pending). */
#ifndef REDRAFT_NET_CONN_H
#define REDRAFT_NET_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "resp/parser.h"
#include "resp/reply.h"

typedef struct conn conn_t;
typedef struct server server_t;

typedef enum {
    CONN_CONTINUE = 0, /* request handled: go on with the next one */
    CONN_PAUSE,        /* keep this request and stop until conn_resume() */
    CONN_CLOSE,        /* flush what is buffered, then close */
} conn_verdict_t;

typedef struct conn_handler {
    /* A new client. Returns the owner's per-client data, or NULL to refuse
     * (an error has then been written with conn_reply and the connection closes). */
    void *(*on_open)(void *ud, conn_t *c);
    /* One request. argc == -1 means a protocol error: argv[0] is the message. */
    conn_verdict_t (*on_command)(void *ud, conn_t *c, int argc, const char **argv, const size_t *argvlen);
    /* The connection is gone; after this the owner must not touch c. */
    void (*on_close)(void *ud, conn_t *c);
    /* Optional: called before the pending replies are written out, for
     * output that must follow whole replies (Pub/Sub messages a client
     * published to itself). */
    void (*before_flush)(void *ud);
    void *ud;
} conn_handler_t;

struct conn {
    uv_tcp_t tcp;
    server_t *srv;
    uint64_t id;
    void *udata; /* the owner's per-client data */

    char *qbuf;          /* query buffer; the current request starts at qpos */
    size_t qpos, qlen, qcap;
    resp_parser_t parser;
    const char **argv;   /* pointers rebuilt from the parser's offsets */
    int argvcap;

    reply_t out;         /* replies not yet handed to the kernel */
    reply_t inflight;    /* the buffer a uv_write is sending */
    uv_write_t wreq;
    bool writing;
    bool dirty;          /* on the server's pending-write list */
    conn_t *next_dirty;

    bool paused;         /* a request is held: see CONN_PAUSE */
    int held_status;     /* resp_status_t of the held request */
    bool reading;
    bool close_after_flush;
    bool closing;

    char addr[64], laddr[64];
    int fd;
    conn_t *prev, *next; /* the server's list of clients */
};

/* Accepts a pending connection on the server's listener. */
void conn_accept(server_t *s);
/* Hands buffered replies to the kernel now. */
void conn_flush(conn_t *c);
/* The request was answered later (a write applied): queue a flush. */
void conn_mark_dirty(conn_t *c);
/* Offers the held request again and goes on reading. */
void conn_resume(conn_t *c);
/* Flushes what is buffered, then closes. */
void conn_close_after_flush(conn_t *c);
/* Closes now, dropping unsent output. */
void conn_close(conn_t *c);

static inline reply_t *conn_reply(conn_t *c)
{
    return &c->out;
}

#endif
