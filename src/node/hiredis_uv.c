/* A libuv binding for hiredis async contexts (see hiredis_uv.h). */
#include "node/hiredis_uv.h"

#include <hiredis/hiredis.h>
#include <stdlib.h>

typedef struct binding {
    redisAsyncContext *ac; /* NULL once hiredis cleaned up */
    uv_poll_t poll;
    int events;
} binding_t;

static void on_poll(uv_poll_t *h, int status, int events)
{
    binding_t *b = h->data;
    if (status < 0) {
        /* Let hiredis meet the error itself: before the connection is up
         * the write handler checks the connect's result; after, a read
         * fails and hiredis disconnects. */
        if (!b->ac) return;
        if (!(b->ac->c.flags & REDIS_CONNECTED))
            redisAsyncHandleWrite(b->ac);
        else
            redisAsyncHandleRead(b->ac);
        return;
    }
    if ((events & UV_READABLE) && b->ac) redisAsyncHandleRead(b->ac);
    if ((events & UV_WRITABLE) && b->ac) redisAsyncHandleWrite(b->ac);
}

static void update(binding_t *b, int events)
{
    if (events == b->events) return;
    b->events = events;
    if (events)
        uv_poll_start(&b->poll, events, on_poll);
    else
        uv_poll_stop(&b->poll);
}

static void add_read(void *p) { binding_t *b = p; update(b, b->events | UV_READABLE); }
static void del_read(void *p) { binding_t *b = p; update(b, b->events & ~UV_READABLE); }
static void add_write(void *p) { binding_t *b = p; update(b, b->events | UV_WRITABLE); }
static void del_write(void *p) { binding_t *b = p; update(b, b->events & ~UV_WRITABLE); }

static void on_close(uv_handle_t *h)
{
    free(h->data);
}

/* hiredis is freeing the context: the poll handle goes, and the binding
 * with it once libuv has closed the handle (maybe later in this loop run,
 * so on_poll must not touch the context any more). */
static void cleanup(void *p)
{
    binding_t *b = p;
    b->ac = NULL;
    uv_poll_stop(&b->poll);
    uv_close((uv_handle_t *)&b->poll, on_close);
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
    b->ac = ac;
    b->poll.data = b;
    ac->ev.data = b;
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
    return 0;
}
