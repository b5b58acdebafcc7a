/* A tiny HTTP/1.1 client over plain sockets for the admin API tests
 * (test_admin.c, test_membership.c): what is sent is exact, and a response
 * is read to its Content-Length and not a byte more, so that a pipelined
 * second response stays in the socket for the next read.
 *
 * No cmocka here: every call returns -1 with a message in err, and the test
 * turns that into a failure. */
#ifndef REDRAFT_TESTS_HTTPC_H
#define REDRAFT_TESTS_HTTPC_H

#include <stdbool.h>
#include <stddef.h>

typedef struct httpc_resp {
    int status;
    char head[4096]; /* status line and headers, up to the blank line */
    char *body;      /* malloc'ed, NUL-terminated */
    size_t len;
} httpc_resp_t;

/* A connection to 127.0.0.1:port whose reads time out after timeout_ms; the
 * fd, or -1 (err says why). */
int httpc_connect(int port, int timeout_ms, char *err, size_t errlen);
/* Reads one response from fd: 0, or -1 (err says why; nothing to free). */
int httpc_read(int fd, httpc_resp_t *r, char *err, size_t errlen);
/* Writes all of req; 0 or -1. */
int httpc_send(int fd, const char *req, size_t len, char *err, size_t errlen);
/* Formats a request: "METHOD path HTTP/1.1", Host, Connection: close (unless
 * keep_alive), "Authorization: Bearer token" (token NULL: none) and the JSON
 * body with its Content-Length (body NULL: none). Returns its length, or -1
 * if it does not fit. */
int httpc_format(char *buf, size_t len, const char *method, const char *path, const char *body,
                 const char *token, bool keep_alive);
/* One request on a new connection to 127.0.0.1:port: 0, or -1. */
int httpc_request(int port, const char *method, const char *path, const char *body,
                  const char *token, int timeout_ms, httpc_resp_t *r, char *err, size_t errlen);
/* The value of header name (case-insensitive) of r, trimmed, in out; false
 * when there is none. */
bool httpc_header(const httpc_resp_t *r, const char *name, char *out, size_t len);
/* "http://host:port/path?query" into its port and its path with the query;
 * 0, or -1 when it is not of that form (host must be 127.0.0.1 or
 * localhost: the tests run there). */
int httpc_parse_location(const char *url, int *port, char *path, size_t pathlen);
void httpc_free(httpc_resp_t *r);

#endif
