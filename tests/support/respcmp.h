/* A raw RESP client for integration tests: encodes argv as a multibulk
 * request, frames exactly one complete reply (RESP2 or RESP3) out of the
 * bytes a socket returns, and compares replies byte for byte. Unlike hiredis
 * it keeps the reply's exact bytes, which is what "same reply as Redis"
 * means. Also a small reply tree for the tests that must normalize replies
 * (KEYS order, SCAN cursors). */
#ifndef REDRAFT_TESTS_RESPCMP_H
#define REDRAFT_TESTS_RESPCMP_H

#include <stdbool.h>
#include <stddef.h>

/* A growable byte buffer. */
typedef struct rbuf {
    char *p;
    size_t len, cap;
} rbuf_t;

void rbuf_append(rbuf_t *b, const void *data, size_t len);
void rbuf_printf(rbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rbuf_free(rbuf_t *b);

/* Appends "*argc\r\n$len\r\narg\r\n..." (lens NULL: every arg is a C string). */
void resp_encode(rbuf_t *b, int argc, const char *const *argv, const size_t *lens);
/* The same for a NULL-terminated list of C strings. */
void resp_encodel(rbuf_t *b, const char *arg0, ...);

/* Length of the one complete reply at p (RESP2 and RESP3 types, attributes
 * included), 0 if more bytes are needed, -1 if the bytes are not RESP. */
long resp_frame(const char *p, size_t len);

/* A client connection on 127.0.0.1. */
typedef struct rc {
    int fd;
    int port;
    int timeout_ms;    /* for every read (default 10000) */
    char *in;          /* received bytes; [off, len) not consumed yet */
    size_t off, len, cap;
    char *last;        /* the last reply, NUL-terminated */
    size_t lastlen;
    bool eof;          /* the peer closed */
} rc_t;

rc_t *rc_open(int port);
void rc_close(rc_t *c);
/* Writes every byte (0) or fails (-1). */
int rc_write(rc_t *c, const void *data, size_t len);
/* Reads one complete reply: returns its length with *out = c->last
 * (NUL-terminated, valid until the next read), or -1 on timeout, close or
 * malformed bytes. */
long rc_read(rc_t *c, const char **out);
/* Sends one command and reads its reply (NULL on failure; *outlen optional). */
const char *rc_cmdv(rc_t *c, int argc, const char *const *argv, const size_t *lens, size_t *outlen);
const char *rc_cmd(rc_t *c, const char *arg0, ...);
#define RC(c, ...) rc_cmd((c), __VA_ARGS__, (const char *)NULL)
/* Pipelining: writes all of data (one send as far as the socket takes it)
 * while reading, so neither side blocks on full buffers, until nreplies
 * complete replies have arrived. The replies are appended to *out, reply i
 * at out->p + offs[i] (offs has nreplies + 1 entries). Returns 0, or -1 on
 * timeout/close (with the replies read so far). */
int rc_pipeline(rc_t *c, const char *data, size_t len, int nreplies, rbuf_t *out, size_t *offs);
/* Waits up to ms for the peer to close the connection, discarding any
 * bytes (appended to *rest if not NULL). True if it closed. */
bool rc_wait_closed(rc_t *c, int ms, rbuf_t *rest);
/* The integer of a ":N\r\n" reply (or LLONG_MIN if it is not one). */
long long rc_int(rc_t *c, const char *arg0, ...);
#define RCI(c, ...) rc_int((c), __VA_ARGS__, (const char *)NULL)

/* Printable form of bytes: \r \n \0 \xNN escaped. malloc'ed. */
char *resp_escape(const char *p, size_t len);

/* cmocka assertions: the command's reply must be exactly `want`. They print
 * the command and both replies (escaped) and fail the test otherwise. */
void rc_expect_(const char *file, int line, rc_t *c, const char *want, size_t wantlen, const char *arg0, ...);
void rc_expectv_(const char *file, int line, rc_t *c, const char *want, size_t wantlen, int argc,
                 const char *const *argv, const size_t *lens);
void resp_assert_eq_(const char *file, int line, const char *got, size_t gotlen, const char *want,
                     size_t wantlen);
/* The same command (argv, NULL-terminated) to redraft and to the reference
 * server: the two replies must be the same bytes. */
void rc_expect_same_(const char *file, int line, rc_t *ours, rc_t *ref, const char *const *argv);
#define EXPECT_SAME(ours, ref, argv) rc_expect_same_(__FILE__, __LINE__, (ours), (ref), (argv))
/* want must be a string literal (it may hold \0). */
#define EXPECT(c, want, ...)                                                                                 \
    rc_expect_(__FILE__, __LINE__, (c), (want), sizeof(want) - 1, __VA_ARGS__, (const char *)NULL)
#define EXPECTV(c, want, argc, argv, lens)                                                                   \
    rc_expectv_(__FILE__, __LINE__, (c), (want), sizeof(want) - 1, (argc), (argv), (lens))
#define ASSERT_RESP(got, gotlen, want, wantlen) resp_assert_eq_(__FILE__, __LINE__, (got), (gotlen), (want), (wantlen))

/* A parsed reply. type is the RESP type byte ('+', '-', ':', '$', '*', '_',
 * ',', '#', '%', '~', '=', '(', '!', '>'). Strings (simple, error, bulk,
 * verbatim, big number, double) are in s/slen; integers and booleans in i;
 * null bulk/array in RESP2 have null = true; aggregates have n elements
 * (maps: 2n, key then value). */
typedef struct rnode {
    char type;
    bool null;
    long long i;
    char *s;
    size_t slen;
    int n;
    struct rnode **e;
} rnode_t;

/* Parses one complete reply (as framed by resp_frame); NULL if malformed. */
rnode_t *rc_parse_reply(const char *p, size_t len);
void rnode_free(rnode_t *n);
/* Sorts an aggregate's elements by their bytes (memcmp, then length). */
void rnode_sort(rnode_t *n);
/* Encodes the tree back to RESP (RESP2 nulls as "$-1"/"*-1"). */
void resp_write(rbuf_t *b, const rnode_t *n);
/* The reply with its top-level array elements sorted (for KEYS), in *out;
 * false if the reply is not an array. */
bool resp_sorted(const char *p, size_t len, rbuf_t *out);

#endif
