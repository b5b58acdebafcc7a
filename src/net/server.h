/* The RESP listener and the set of client connections. */
#ifndef REDRAFT_NET_SERVER_H
#define REDRAFT_NET_SERVER_H

#include "net/conn.h"

typedef struct server_stats {
    uint64_t connections_received;
    uint64_t rejected_connections;
    uint64_t commands_processed;
    uint64_t net_input_bytes;
    uint64_t net_output_bytes;
} server_stats_t;

struct server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    uv_check_t check;
    conn_handler_t handler;
    resp_limits_t limits;
    long long query_buffer_limit;
    int maxclients;
    int nclients;
    uint64_t next_id;
    conn_t *clients;     /* doubly linked list */
    conn_t *dirty;       /* connections with output to flush */
    server_stats_t stats;
    char bind_addr[256];
    int port;
};

/* Binds host:port and starts accepting. Returns 0, or a libuv error code. */
int server_start(server_t *s, uv_loop_t *loop, const char *host, int port, const conn_handler_t *h,
                 const resp_limits_t *lim, long long qbuf_limit, int maxclients);
/* Stops accepting and closes every client. */
void server_stop(server_t *s);
/* Writes out every connection's pending replies (also run by a uv_check
 * handle after each loop iteration's I/O). */
void server_flush_pending(server_t *s);

#endif
