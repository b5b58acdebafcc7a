/* A libuv binding for hiredis async contexts (see hiredis_uv.h). */
#include "node/hiredis_uv.h"

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdlib.h>

typedef struct binding {
    redisAsyncContext *ac; /* NULL once hiredis cleaned up */
    uv_poll_t poll;
    uv_prepare_t prepare; /* writes output left over from the last iteration */
    int events;           /* what the poll handle watches */
    bool want_read;
    bool want_write; /* hiredis has output to write */
    bool blocked;    /* a write left output behind: wait until writable */
    bool in_flush;   /* inside redisAsyncHandleWrite, called by us */
    int open_handles;
} binding_t;

static void on_prepare(uv_prepare_t *h);
static void on_poll(uv_poll_t *h, int status, int events);

/* Output goes out from the loop's own passes (hiredis_uv_flush, and the
 * prepare handle before the loop blocks), not by waiting for the socket to
 * become writable: that wait would change the epoll set twice per message
 * (libuv removes and re-adds the descriptor on each change), three system
 * calls per peer per batch. The socket is watched for writability only
 * while connecting and while the kernel's send buffer is full. */
static void apply(binding_t *b)
{
    if (!b->ac) return;
    bool connected = (b->ac->c.flags & REDIS_CONNECTED) != 0;
    int events = (b->want_read ? UV_READABLE : 0) | (b->want_write && (b->blocked || !connected) ? UV_WRITABLE : 0);
    if (events != b->events) {
        b->events = events;
        if (events)
            uv_poll_start(&b->poll, events, on_poll);
        else
            uv_poll_stop(&b->poll);
    }
    if (b->want_write && connected && !b->blocked)
        uv_prepare_start(&b->prepare, on_prepare);
    else
        uv_prepare_stop(&b->prepare);
}

static void handle_write(binding_t *b)
{
    if (!b->ac) return;
    b->in_flush = true;
    redisAsyncHandleWrite(b->ac); /* may free the context: b->ac is then NULL */
    b->in_flush = false;
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    binding_t *b = h->data;
    if (status < 0) {
        /* Let hiredis meet the error itself: before the connection is up
         * the write handler checks the connect's result; after, a read
         * fails and hiredis disconnects. */
        if (!b->ac) return;
        if (!(b->ac->c.flags & REDIS_CONNECTED))
            handle_write(b);
        else
            redisAsyncHandleRead(b->ac);
        return;
    }
    if ((events & UV_READABLE) && b->ac) redisAsyncHandleRead(b->ac);
    if ((events & UV_WRITABLE) && b->ac) handle_write(b);
}

static void on_prepare(uv_prepare_t *h)
{
    binding_t *b = h->data;
    if (b->want_write) handle_write(b);
    apply(b);
}

static void add_read(void *p) { binding_t *b = p; b->want_read = true; apply(b); }
static void del_read(void *p) { binding_t *b = p; b->want_read = false; apply(b); }

/* hiredis has new output, or (inside its write handler) output it could
 * not write because the socket's buffer is full. */
static void add_write(void *p)
{
    binding_t *b = p;
    b->want_write = true;
    if (b->in_flush) b->blocked = true;
    apply(b);
}

static void del_write(void *p)
{
    binding_t *b = p;
    b->want_write = b->blocked = false;
    apply(b);
}

static void on_close(uv_handle_t *h)
{
    binding_t *b = h->data;
    if (--b->open_handles == 0) free(b);
}

/* hiredis is freeing the context: the handles go, and the binding with
 * them once libuv has closed both (maybe later in this loop run, so the
 * callbacks must not touch the context any more). */
static void cleanup(void *p)
{
    binding_t *b = p;
    b->ac = NULL;
    uv_poll_stop(&b->poll);
    uv_prepare_stop(&b->prepare);
    uv_close((uv_handle_t *)&b->poll, on_close);
    uv_close((uv_handle_t *)&b->prepare, on_close);
}

int hiredis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop)
{
    if (ac->ev.data) return -1;
    binding_t *b = calloc(1, sizeof(*b));
    if (!b) return -1;
    if (uv_poll_init_socket(loop, &b->poll, ac->c.fd) != 0) {
        free(b);
        return -1;
    }
    uv_prepare_init(loop, &b->prepare);
    b->open_handles = 2;
    b->ac = ac;
    b->poll.data = b;
    b->prepare.data = b;
    ac->ev.data = b;
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
    return 0;
}

void hiredis_uv_flush(redisAsyncContext *ac)
{
    binding_t *b = ac->ev.data;
    if (b && b->ac && b->want_write && (b->ac->c.flags & REDIS_CONNECTED)) {
        handle_write(b);
        apply(b);
    }
}
