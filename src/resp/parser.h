/* RESP request parser: multibulk ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") and inline
 * ("GET k\r\n") requests, incremental across reads, zero-copy.
 *
 * The caller owns the bytes. It hands the parser the unconsumed part of its
 * query buffer, starting at the first byte of the current request; the parser
 * remembers how far it got, so feeding the same request again with more bytes
 * appended continues where it stopped (no rescanning of bulk payloads).
 * Arguments are returned as offsets into that buffer, so the caller may
 * realloc or move the buffer between calls as long as the request's first
 * byte stays at offset 0 of what it passes.
 *
 * Inline requests with quotes are unescaped in place (the result is never
 * longer than the source), which is why buf is not const.
 *
 * Limits and error messages follow Redis 7 (networking.c) exactly; on error
 * the caller replies "-ERR Protocol error: <msg>" and closes the connection.
 *
 * Two deliberate points where the parser is more deterministic than Redis:
 * Redis checks its 64 KB line limit only when a read leaves no line end in
 * the buffer, so whether a 70 KB inline line is accepted depends on how the
 * kernel chunked it. Here a line end must appear within max_inline+1 bytes
 * of the line start (what Redis does when bytes arrive one at a time), so
 * every split of the input gives the same result. Like Redis (which uses
 * strchr), a NUL byte before the line end hides it: the request then waits
 * until it exceeds the limit and fails with the "too big" error. */
#ifndef REDRAFT_RESP_PARSER_H
#define REDRAFT_RESP_PARSER_H

#include <stddef.h>

typedef enum {
    RESP_NEED_MORE = 0, /* request incomplete: call again with more bytes */
    RESP_DONE,          /* one request complete: see argc/argoff/arglen, consumed */
    RESP_EMPTY,         /* an empty inline line or empty multibulk ("*0"): skip `consumed` bytes */
    RESP_ERROR,         /* protocol error: see p->err */
} resp_status_t;

typedef struct resp_limits {
    long long max_bulk_len;  /* proto_max_bulk_len, default 512 MB */
    long long max_multibulk; /* max args; Redis 7.0 accepts up to INT_MAX (the default) */
    size_t max_inline;       /* max inline request / header line, default 64 KB */
} resp_limits_t;

/* Before AUTH, when a password is required, Redis 7 accepts only small
 * requests, so an unauthenticated client cannot make the server buffer much. */
#define RESP_UNAUTH_MAX_ARGS 10
#define RESP_UNAUTH_MAX_BULK 16384

typedef struct resp_parser {
    resp_limits_t lim;
    int unauthenticated; /* set by the owner: apply the RESP_UNAUTH_* limits */

    /* the request being parsed (valid after RESP_DONE until the next call) */
    int argc;
    size_t *argoff;  /* offset of each argument in buf */
    size_t *arglen;  /* length of each argument */
    size_t consumed; /* bytes of the request, including its final \r\n */
    const char *err; /* static message after RESP_ERROR, e.g. "invalid bulk length" */

    /* private incremental state */
    int argcap;
    int reqtype;       /* 0 unknown, 1 multibulk, 2 inline */
    long long mbulk;   /* args still to read */
    long long bulklen; /* -1 when the next thing is a $ header */
    size_t pos;        /* bytes of this request already parsed */
    size_t scan;       /* line-end search resumes here; SIZE_MAX: a NUL hides it */
    char errbuf[32];   /* "expected '$', got 'X'" */
} resp_parser_t;

void resp_parser_init(resp_parser_t *p, const resp_limits_t *lim);
void resp_parser_free(resp_parser_t *p);

/* Forget any partial request (after RESP_DONE/RESP_EMPTY this happens by itself). */
void resp_parser_reset(resp_parser_t *p);

/* Parses from buf[0..len). See resp_status_t. */
resp_status_t resp_parse(resp_parser_t *p, char *buf, size_t len);

/* Default limits as Redis 7. */
void resp_limits_default(resp_limits_t *lim);

#endif
