/* An upstream connection: one client's commands forwarded to another server
 * (a follower passing writes to the Raft leader) over a libuv TCP client, with
 * the server's replies handed back as their exact bytes.
 *
 * Commands are encoded as RESP multibulk requests and pipelined; replies are
 * cut out of the byte stream by the reply scanner (resp/scan.h), never parsed
 * into objects, so RESP2 and RESP3 replies ("$-1" vs "*-1", maps, attributes,
 * verbatim strings...) reach the client unchanged. Each reply is matched to
 * the oldest outstanding command. A server that sends bytes that are not RESP,
 * a reply nobody asked for, or a reply larger than the limit, loses the
 * connection: it cannot be trusted to stay in step with the commands.
 *
 * Everything runs on the loop's thread; no call blocks. Writes to a closed
 * socket raise SIGPIPE, which the process must ignore (main.c does). */
#ifndef REDRAFT_NET_UPSTREAM_H
#define REDRAFT_NET_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

/* The largest reply accepted by default: Redis's 512 MB bulk string limit
 * plus room for its header and for a few small replies around it. */
#define UPSTREAM_DEFAULT_MAX_REPLY (512ULL * 1024 * 1024 + 1024 * 1024)
/* Deeper nesting in a reply is treated as garbage. */
#define UPSTREAM_MAX_DEPTH 1024

typedef struct upstream upstream_t;

/* The owner's callbacks; the struct is copied by upstream_new. `ud` is the
 * owner's pointer given to upstream_new, `req_ud` the one given with each
 * command. Every callback may call upstream_send and upstream_close. */
typedef struct upstream_cb {
    /* The complete reply to the command sent with req_ud: its exact bytes
     * (attributes before it included), valid only during the call. Replies
     * come in the order the commands were sent. */
    void (*on_reply)(void *ud, void *req_ud, const char *bytes, size_t len);
    /* The command will get no reply: the connection failed or was closed
     * first. status is a libuv error code: the connect's error (e.g.
     * UV_ECONNREFUSED), a read or write error, UV_EOF (the server closed),
     * UV_EPROTO (the server sent bytes that are not RESP, or a reply no
     * command was waiting for), UV_EMSGSIZE (a reply above the limit), or
     * UV_ECANCELED (upstream_close). Whether the server executed the command
     * is unknown if the command was written to the socket, and it was not
     * executed otherwise: upstream_fail_sent() tells which, during this call. */
    void (*on_fail)(void *ud, void *req_ud, int status);
    /* Optional. A RESP3 push (a top-level value of type '>', after any
     * attribute) is out-of-band data (e.g. a tracking invalidation), not a
     * reply: it goes here, as its exact bytes, and answers no command. When
     * NULL, a push is taken as the next command's reply (in RESP3 a
     * subscribe's confirmation is one). */
    void (*on_push)(void *ud, const char *bytes, size_t len);
    /* Optional. The connection ended by itself (not by upstream_close), with
     * the status above; called after the outstanding commands' on_fail. The
     * owner still calls upstream_close to free the upstream. */
    void (*on_down)(void *ud, int status);
} upstream_cb_t;

/* Starts connecting to host:port. host is an IPv4 or IPv6 address literal
 * ("10.0.0.2", "::1"); names are not resolved. Returns NULL if host is not
 * an address or the connect could not be started (nothing to free then). A
 * connect that fails later fails the outstanding commands as above. */
upstream_t *upstream_new(uv_loop_t *loop, const char *host, int port, const upstream_cb_t *cb,
                         void *ud);

/* Queues a command (argc >= 1 arguments, binary-safe) and sends it as soon
 * as the connection is up, together with whatever else is queued. Returns 0,
 * after which the command gets exactly one on_reply or on_fail, never from
 * inside this call; or a libuv error code and no callback: UV_EINVAL (argc <
 * 1), UV_ECANCELED (upstream_close was called), or the error that already
 * ended the connection. */
int upstream_send(upstream_t *u, int argc, const char *const *argv, const size_t *argvlen,
                  void *req_ud);

/* Closes the connection and frees the upstream. Every outstanding command
 * gets on_fail(UV_ECANCELED) before this returns; after that no callback
 * comes any more, and u must not be used (the memory itself is released once
 * libuv has closed the handle). Safe at any moment, including from inside any
 * of the callbacks (a reply being delivered stays valid until its on_reply
 * returns). Must be called once for every upstream_new that returned one,
 * also after on_down. NULL is ignored. */
void upstream_close(upstream_t *u);

/* True while the connection is established and usable. */
bool upstream_connected(const upstream_t *u);
/* Commands sent that still wait for their reply. */
size_t upstream_pending(const upstream_t *u);
/* 0, or the error that ended the connection. */
int upstream_status(const upstream_t *u);
/* Only inside on_fail: true if the failing command was written to the socket
 * (it may have been executed), false if it never left this process. */
bool upstream_fail_sent(const upstream_t *u);
/* A reply longer than this ends the connection with UV_EMSGSIZE (default
 * UPSTREAM_DEFAULT_MAX_REPLY). It bounds the read buffer at about this size. */
void upstream_set_max_reply(upstream_t *u, size_t bytes);

#endif
