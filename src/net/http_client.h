/* A small asynchronous HTTP/1.1 client on the libuv loop, for the admin
 * side of a node: a node started with --join <host:port> POSTs
 * /cluster/join to a member (and, answered 307, to the leader its
 * Location names), and other admin code may call other nodes' HTTP API
 * the same way.
 *
 * One request per connection: it is sent with Host, Content-Length and
 * Connection: close, and the response is parsed with http-parser (the
 * library the server in net/http.c uses) in response mode: bodies of a
 * Content-Length, chunked, or ended by the server's close; interim 1xx
 * responses (100 Continue) are skipped; a response to HEAD has no body.
 * No TLS, no keep-alive, no redirect following (the caller gets the 307
 * and its Location, and decides).
 *
 * The callback is called exactly once per request, from the loop, never
 * from inside http_client_request: with the response (status >= 100), or
 * with status 0 and the reason in error. Status 0 means no usable
 * response came: bad arguments, a name that does not resolve, connection
 * refused on every address, reset, timeout, a malformed response, a
 * response over the limits, or http_client_cancel. What resp points to
 * is valid only during the callback.
 *
 * Limits: the response body at most HTTP_CLIENT_MAX_BODY (1 MB, refused
 * as soon as a Content-Length or chunk size announces more); the status
 * line and headers at most http-parser's limit, which is process-wide:
 * HTTP_MAX_HEAD (16 KB) once net/http.c's server has started, the
 * library's 80 KB before; either way well under 1 MB.
 *
 * One timeout covers the whole request: resolving the name, connecting,
 * writing and reading. A name is resolved with uv_getaddrinfo (on libuv's
 * thread pool) and its addresses are tried in turn until one accepts the
 * connection; an IPv4 or IPv6 literal is used as it is. */
#ifndef REDRAFT_NET_HTTP_CLIENT_H
#define REDRAFT_NET_HTTP_CLIENT_H

#include <stddef.h>
#include <uv.h>

#define HTTP_CLIENT_MAX_BODY (1024 * 1024)
#define HTTP_CLIENT_DEFAULT_TIMEOUT_MS 10000

typedef struct http_client http_client_t;

typedef struct http_client_resp {
    int status;           /* 0 = no response (see error) */
    const char *error;    /* why status is 0, else NULL */
    const char *location; /* the Location header's value, "" when absent */
    const char *body;     /* body_len bytes, NUL-terminated; "" when none */
    size_t body_len;
} http_client_resp_t;

typedef void http_client_cb(void *ud, const http_client_resp_t *resp);

/* Starts a request: method "GET", "POST"...; host a name or an IPv4/IPv6
 * literal (without brackets); path "/cluster/join" (a query may follow);
 * extra_headers NULL or "Name: value\r\n" lines (the last CRLF may be
 * left out); body NULL or body_len bytes; content_type NULL (no header)
 * or e.g. "application/json"; timeout_ms <= 0 takes
 * HTTP_CLIENT_DEFAULT_TIMEOUT_MS. Arguments that cannot make a request
 * (port outside 1..65535, a path without its leading '/', CR or LF in a
 * field) are reported through the callback like any other failure.
 *
 * Returns the request's handle, valid until its callback returns; only
 * NULL (and no callback) when loop or cb is NULL. */
http_client_t *http_client_request(uv_loop_t *loop, const char *method, const char *host, int port,
                                   const char *path, const char *extra_headers, const char *body,
                                   size_t body_len, const char *content_type, int timeout_ms,
                                   http_client_cb *cb, void *ud);

/* Gives a request up (at shutdown, or when its answer is no longer
 * wanted): its callback is called at once, before this returns, with
 * status 0 and error "cancelled". A no-op from inside the request's own
 * callback. Its handles are closed and its memory freed by the loop
 * afterwards, so the loop must run on for that (uv_run until it ends).
 * Never call it with a handle whose callback has returned: keep the
 * handle, and forget it in the callback. */
void http_client_cancel(http_client_t *h);

/* Splits "http://host:port/path?query" (a Location header) or
 * "host:port" (a --join argument; path "/") into host, port and path.
 * The port is required (1..65535). An IPv6 host may be in brackets
 * ("[::1]:8080") or not ("::1:8080": the last colon comes before the
 * port, as in the rest of redraft's addresses); either way host gets it
 * without them. A fragment ("#...") is dropped. Returns 0, or -1 for
 * anything else (another scheme, no port, user info, spaces or control
 * characters, a host or path too long for its buffer). */
int http_client_parse_url(const char *url, char *host, size_t hostlen, int *port, char *path,
                          size_t pathlen);

#endif
