/* A small HTTP/1.1 server on the libuv loop, for the admin API
 * (src/node/admin.c). Requests are parsed with the http-parser library
 * (libhttp-parser-dev: Node.js's parser, well kept and fuzzed for years; a
 * hand-written parser would be the one place an operator's curl could crash
 * the node).
 *
 * One request at a time per connection, in order: reading pauses while a
 * request waits for its response (the handler may answer later, e.g. after a
 * commit), so pipelined requests are answered in order. Keep-alive as HTTP/1.1
 * says (Connection: close and HTTP/1.0 without keep-alive end the
 * connection after the response).
 *
 * Limits, each answered with a JSON error and the connection closed:
 *   - request line + headers over HTTP_MAX_HEAD bytes: 431;
 *   - a body over the server's max_body: 413 (known from Content-Length before
 *     reading it, or as it arrives when chunked);
 *   - malformed HTTP: 400;
 *   - a request not complete within request_timeout_ms of its first byte
 *     (slowloris): 408;
 *   - an idle keep-alive connection is closed after idle_timeout_ms.
 *   - more than max_conns connections: the new one is closed at once. */
#ifndef REDRAFT_NET_HTTP_H
#define REDRAFT_NET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define HTTP_MAX_HEAD (16 * 1024)

typedef struct http_server http_server_t;
typedef struct http_conn http_conn_t;

/* One request, valid until http_respond. Strings are NUL-terminated. */
typedef struct http_request {
    http_conn_t *conn;
    const char *method;  /* "GET", "POST", ... */
    const char *path;    /* the URL's path, percent-decoding not applied: "/cluster/status" */
    const char *query;   /* after '?', "" when none: "pretty&wait=true" */
    const char *authorization; /* the Authorization header's value, "" when absent */
    const char *content_type;  /* "" when absent */
    const char *body;    /* NUL-terminated copy; len bytes */
    size_t body_len;
    char peer_ip[64];    /* the client's address, "127.0.0.1" / "::1" / ... */
    bool peer_loopback;  /* it came from a loopback address */
    void *ud;            /* the server's ud */
} http_request_t;

/* Called once per request, which must end, now or later, with exactly one
 * http_respond (or http_respond_error). If the connection closes while a
 * request waits, the request stays valid until that call, which then only
 * frees it; http_request_gone tells a handler that waits whether anyone is
 * still listening. */
typedef void http_handler_fn(http_request_t *req);

/* A field left 0 takes its default. */
typedef struct http_server_opts {
    size_t max_body;            /* bytes; default 1 MB */
    int request_timeout_ms;     /* default 10000 */
    int idle_timeout_ms;        /* default 60000 */
    int max_conns;              /* default 1024 */
} http_server_opts_t;

/* Binds host:port and listens. opts may be NULL (defaults). Returns 0, or a
 * libuv error code. */
int http_server_start(http_server_t **out, uv_loop_t *loop, const char *host, int port,
                      const http_server_opts_t *opts, http_handler_fn *handler, void *ud);
/* Stops listening, closes every connection (pending requests are dropped);
 * the memory goes once libuv has closed the handles. */
void http_server_stop(http_server_t *s);
/* The port it listens on (useful with port 0). */
int http_server_port(const http_server_t *s);

/* Answers req: status code, Content-Type (NULL: application/json), body of
 * len bytes (copied); extra_headers NULL or "Name: value\r\n..." lines
 * (e.g. "Location: ...\r\n"). */
void http_respond(http_request_t *req, int status, const char *content_type, const char *body, size_t len,
                  const char *extra_headers);
/* The client of req has gone: its connection closed (req->conn is then
 * NULL), or the client closed its sending side. In the latter case the
 * answer is still written, for a client that only half-closed. */
bool http_request_gone(const http_request_t *req);
/* {"error": msg} with status (msg JSON-escaped here). */
void http_respond_error(http_request_t *req, int status, const char *msg);

/* The value of query parameter name ("pretty" in "a=1&pretty"): true and
 * its value ("" when it has none) copied into val, or false. */
bool http_query_param(const http_request_t *req, const char *name, char *val, size_t vlen);

/* Counters for /metrics. */
typedef struct http_stats {
    uint64_t requests, bad_requests, timeouts, connections, rejected;
} http_stats_t;
void http_server_stats(const http_server_t *s, http_stats_t *st);

#endif
