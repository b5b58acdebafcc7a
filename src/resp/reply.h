/* RESP reply writer: appends replies to a growable buffer, in RESP2 or RESP3
 * (after HELLO 3) as Redis 7 writes them, byte for byte.
 *
 * One reply_t is the output buffer of a connection (or a scratch buffer for
 * replies nobody will read, e.g. entries applied on a follower). */
#ifndef REDRAFT_RESP_REPLY_H
#define REDRAFT_RESP_REPLY_H

#include <stdarg.h>
#include <stddef.h>

typedef struct reply {
    char *buf;
    size_t len, cap;
    int proto; /* 2 or 3 */
} reply_t;

void reply_init(reply_t *r, int proto);
void reply_free(reply_t *r);
void reply_clear(reply_t *r); /* len = 0, keeps the memory */

void reply_raw(reply_t *r, const void *p, size_t n);
void reply_simple(reply_t *r, const char *s); /* +s\r\n */
void reply_ok(reply_t *r);                    /* +OK\r\n */
/* -msg\r\n; msg starts with the code ("ERR ...", "WRONGTYPE ..."). If its
 * first word is not one of Redis's error codes (ERR WRONGTYPE EXECABORT
 * NOAUTH WRONGPASS NOPROTO MOVED ASK TRYAGAIN CLUSTERDOWN CROSSSLOT BUSY
 * BUSYKEY BUSYGROUP NOGROUP NOSCRIPT LOADING READONLY NOTBUSY OOM NOPERM
 * UNBLOCKED MASTERDOWN MISCONF NOREPLICAS UNKILLABLE NOTREADY), "ERR " is
 * prepended, so "EXEC without MULTI" gives "-ERR EXEC without MULTI" as in
 * Redis. For any other code, pass "-CODE message": a leading '-' is kept as
 * is (Redis's addReplyErrorLength rule). \r and \n inside msg are replaced
 * by spaces; reply_errorf also trims them from both ends first, as
 * addReplyErrorFormat does. */
void reply_error(reply_t *r, const char *msg);
void reply_errorf(reply_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_int(reply_t *r, long long v);              /* :v\r\n */
void reply_bulk(reply_t *r, const void *p, size_t n); /* $n\r\n...\r\n */
void reply_bulk_cstr(reply_t *r, const char *s);      /* NULL: reply_null */
void reply_bulk_ll(reply_t *r, long long v);          /* integer as a bulk string */
void reply_null(reply_t *r);                          /* RESP2 $-1, RESP3 _ */
void reply_null_array(reply_t *r);                    /* RESP2 *-1, RESP3 _ */
void reply_array(reply_t *r, long long n);            /* *n */
void reply_map(reply_t *r, long long n);              /* RESP2 *2n, RESP3 %n */
void reply_set(reply_t *r, long long n);              /* RESP2 *n, RESP3 ~n */
void reply_push(reply_t *r, long long n);             /* RESP2 *n, RESP3 >n (Pub/Sub) */
/* RESP3 ",<d>" ; RESP2 a bulk string. Formatting as Redis 7.0 addReplyDouble:
 * "inf"/"-inf", otherwise %.17g (so NaN is "nan" or "-nan" by its sign bit,
 * as Redis 7.0 on glibc writes it). */
void reply_double(reply_t *r, double d);
/* Formats a long double as INCRBYFLOAT/HINCRBYFLOAT do (humanfriendly %.17Lf
 * with trailing zeros and dot stripped, "-0" written "0", inf as "inf"/"-inf")
 * into buf, NUL-terminated; returns the length, 0 if buflen is too small
 * (Redis uses 5 KB: 1e308 takes 309 bytes). */
int reply_format_long_double(char *buf, size_t buflen, long double v);
void reply_bool(reply_t *r, int b); /* RESP3 #t/#f, RESP2 :1/:0 */
/* RESP3 "=len\r\ntxt:...", RESP2 a plain bulk string. ext is 3 chars ("txt");
 * a shorter one is padded with spaces as Redis does. */
void reply_verbatim(reply_t *r, const char *p, size_t n, const char *ext);

/* Arrays whose length is known only after their elements are written:
 * off = reply_defer(r); ...elements...; reply_defer_array(r, off, n).
 * The header is inserted at off (memmove of what follows). */
size_t reply_defer(reply_t *r);
void reply_defer_array(reply_t *r, size_t off, long long n);
void reply_defer_map(reply_t *r, size_t off, long long n);
void reply_defer_set(reply_t *r, size_t off, long long n);

#endif
