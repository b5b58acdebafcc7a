/* See httpc.h. */
#include "support/httpc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int httpc_connect(int port, int timeout_ms, char *err, size_t errlen)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        snprintf(err, errlen, "connect to port %d: %s", port, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int httpc_read(int fd, httpc_resp_t *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    size_t cap = 1 << 12, len = 0;
    char *buf = malloc(cap);
    bool end = false;
    int e = 0;
    /* the head byte by byte: nothing of a following response is taken */
    while (!end) {
        if (len + 1 == cap) buf = realloc(buf, cap *= 2);
        ssize_t k = read(fd, buf + len, 1);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) e = errno;
        if (k <= 0) break;
        len++;
        end = len >= 4 && memcmp(buf + len - 4, "\r\n\r\n", 4) == 0;
    }
    if (!end) {
        free(buf);
        snprintf(err, errlen, "no HTTP response (got %zu bytes, %s)", len, e ? strerror(e) : "EOF");
        return -1;
    }
    buf[len] = 0;
    const char *clh = strcasestr(buf, "\r\nContent-Length:");
    size_t want = clh ? (size_t)strtoul(clh + 17, NULL, 10) : 0;
    snprintf(r->head, sizeof(r->head), "%.*s",
             (int)(len < sizeof(r->head) - 1 ? len : sizeof(r->head) - 1), buf);
    r->status = len > 9 ? atoi(buf + 9) : 0;
    free(buf);
    r->body = malloc(want + 1);
    while (r->len < want) {
        ssize_t k = read(fd, r->body + r->len, want - r->len);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            snprintf(err, errlen, "the body ended after %zu of %zu bytes (%s)", r->len, want,
                     k < 0 ? strerror(errno) : "EOF");
            free(r->body);
            r->body = NULL;
            return -1;
        }
        r->len += (size_t)k;
    }
    r->body[r->len] = 0;
    return 0;
}

int httpc_send(int fd, const char *req, size_t len, char *err, size_t errlen)
{
    size_t off = 0;
    while (off < len) {
        ssize_t w = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            snprintf(err, errlen, "send: %s", w < 0 ? strerror(errno) : "nothing written");
            return -1;
        }
        off += (size_t)w;
    }
    return 0;
}

int httpc_format(char *buf, size_t len, const char *method, const char *path, const char *body,
                 const char *token, bool keep_alive)
{
    int n = snprintf(buf, len, "%s %s HTTP/1.1\r\nHost: x\r\n%s", method, path,
                     keep_alive ? "" : "Connection: close\r\n");
    if (token && n >= 0 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n, "Authorization: Bearer %s\r\n", token);
    if (body && n >= 0 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n,
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n", strlen(body));
    if (n >= 0 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n, "\r\n%s", body ? body : "");
    return n >= 0 && (size_t)n < len ? n : -1;
}

int httpc_request(int port, const char *method, const char *path, const char *body,
                  const char *token, int timeout_ms, httpc_resp_t *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    size_t cap = 1024 + strlen(path) + (body ? strlen(body) : 0) + (token ? strlen(token) : 0);
    char *req = malloc(cap);
    int n = httpc_format(req, cap, method, path, body, token, false);
    if (n < 0) {
        free(req);
        snprintf(err, errlen, "request too long");
        return -1;
    }
    int fd = httpc_connect(port, timeout_ms, err, errlen);
    int rc = fd < 0 ? -1 : httpc_send(fd, req, (size_t)n, err, errlen);
    if (rc == 0) rc = httpc_read(fd, r, err, errlen);
    if (fd >= 0) close(fd);
    free(req);
    return rc;
}

bool httpc_header(const httpc_resp_t *r, const char *name, char *out, size_t len)
{
    size_t nl = strlen(name);
    for (const char *p = strstr(r->head, "\r\n"); p; p = strstr(p, "\r\n")) {
        p += 2;
        if (strncasecmp(p, name, nl) != 0 || p[nl] != ':') continue;
        const char *v = p + nl + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t vl = strcspn(v, "\r\n");
        while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
            vl--;
        snprintf(out, len, "%.*s", (int)vl, v);
        return true;
    }
    return false;
}

int httpc_parse_location(const char *url, int *port, char *path, size_t pathlen)
{
    const char *p;
    if (strncmp(url, "http://127.0.0.1:", 17) == 0)
        p = url + 17;
    else if (strncmp(url, "http://localhost:", 17) == 0)
        p = url + 17;
    else
        return -1;
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p || v <= 0 || v > 65535 || (*end != '/' && *end != '\0')) return -1;
    *port = (int)v;
    snprintf(path, pathlen, "%s", *end ? end : "/");
    return 0;
}

void httpc_free(httpc_resp_t *r)
{
    free(r->body);
    r->body = NULL;
}
