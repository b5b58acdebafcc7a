/* The RESP listener: accepts clients, enforces maxclients, and flushes the
 * connections with pending replies once per loop iteration. */
#include "net/server.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

void server_flush_pending(server_t *s)
{
    if (s->handler.before_flush) s->handler.before_flush(s->handler.ud);
    while (s->dirty) {
        conn_t *c = s->dirty;
        s->dirty = c->next_dirty;
        c->dirty = false;
        c->next_dirty = NULL;
        conn_flush(c);
    }
}

static void on_connection(uv_stream_t *listener, int status)
{
    if (status == 0) conn_accept(listener->data);
}

static void on_check(uv_check_t *h)
{
    server_flush_pending(h->data);
}

int server_start(server_t *s, uv_loop_t *loop, const char *host, int port, const conn_handler_t *h,
                 const resp_limits_t *lim, long long qbuf_limit, int maxclients)
{
    memset(s, 0, sizeof(*s));
    s->loop = loop;
    s->handler = *h;
    s->limits = *lim;
    s->query_buffer_limit = qbuf_limit;
    s->maxclients = maxclients;
    snprintf(s->bind_addr, sizeof(s->bind_addr), "%s", host);
    s->port = port;

    struct sockaddr_storage addr;
    int rc = strchr(host, ':') ? uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr)
                               : uv_ip4_addr(host, port, (struct sockaddr_in *)&addr);
    if (rc) return rc;
    uv_tcp_init(loop, &s->listener);
    s->listener.data = s;
    if ((rc = uv_tcp_bind(&s->listener, (struct sockaddr *)&addr, 0)) != 0) return rc;
    if ((rc = uv_listen((uv_stream_t *)&s->listener, 511, on_connection)) != 0) return rc;
    uv_check_init(loop, &s->check);
    s->check.data = s;
    uv_check_start(&s->check, on_check);
    return 0;
}

void server_stop(server_t *s)
{
    if (!uv_is_closing((uv_handle_t *)&s->listener)) uv_close((uv_handle_t *)&s->listener, NULL);
    uv_check_stop(&s->check);
    if (!uv_is_closing((uv_handle_t *)&s->check)) uv_close((uv_handle_t *)&s->check, NULL);
    while (s->clients) conn_close(s->clients);
}
