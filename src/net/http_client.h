/* A small asynchronous HTTP/1.1 client on the libuv loop: one request per
 * connection (Connection: close), the response parsed with http-parser in
 * response mode. A node started with `join` uses it to ask a member to add
 * it (src/node/join.c).
 *
 * The callback runs exactly once per request started, from the loop: with
 * the response (status >= 100), or with status 0 and an error (resolve or
 * connect failure, timeout, a malformed or oversized answer, cancel). What
 * it is given is valid during the call only. */
#ifndef REDRAFT_NET_HTTP_CLIENT_H
#define REDRAFT_NET_HTTP_CLIENT_H

#include <stddef.h>
#include <uv.h>

#define HTTP_CLIENT_MAX_RESPONSE (1u << 20) /* head + body bytes accepted */

typedef struct http_client http_client_t;

typedef struct http_client_resp {
    int status;           /* 0: no usable response (see error) */
    const char *error;    /* why status is 0, else NULL */
    const char *location; /* the Location header, "" when none */
    const char *body;     /* NUL-terminated; body_len bytes */
    size_t body_len;
} http_client_resp_t;

typedef void http_client_cb(void *ud, const http_client_resp_t *resp);

/* Sends method path to host:port (a name or an address) with the body (may
 * be NULL) and extra_headers ("Name: value\r\n"..., or NULL), giving up
 * after timeout_ms in all. Returns a handle for http_client_cancel, or NULL
 * when the request could not be started (cb is then never called). */
http_client_t *http_client_request(uv_loop_t *loop, const char *method, const char *host, int port,
                                   const char *path, const char *extra_headers, const char *body, size_t body_len,
                                   const char *content_type, int timeout_ms, http_client_cb *cb, void *ud);
/* Abandons a request: its callback runs now with status 0 and error
 * "cancelled"; the handle is invalid afterwards. */
void http_client_cancel(http_client_t *c);

/* "http://host:port/path", "host:port/path" or "host:port" (path "/");
 * "[v6]:port" keeps its brackets off host. 0, or -1 when it is not of
 * that form (no port, port outside 1-65535, a field too long). */
int http_client_parse_url(const char *url, char *host, size_t hostlen, int *port, char *path, size_t pathlen);

#endif
