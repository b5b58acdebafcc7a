/* Drives a hiredis async context from the libuv loop. hiredis ships a libuv
 * adapter, but the one of hiredis 0.14 (Debian 12) drops every poll error:
 * a refused connect never completes and a peer that dies (RST) is never
 * noticed, so the connection looks alive forever. This one hands an error
 * to hiredis as a read (or, before the connection is up, as the connect
 * completing), where read()/getsockopt() report it and hiredis disconnects
 * and calls the disconnect callback. */
#ifndef REDRAFT_NODE_HIREDIS_UV_H
#define REDRAFT_NODE_HIREDIS_UV_H

#include <hiredis/async.h>
#include <uv.h>

/* Returns 0 (REDIS_OK) or -1 when ac already has event hooks or no memory. */
int hiredis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop);

/* Writes what ac has queued now (as far as the socket takes it), instead of
 * at the loop's next pass. Output not flushed this way goes out before the
 * loop next waits for events. */
void hiredis_uv_flush(redisAsyncContext *ac);

#endif
