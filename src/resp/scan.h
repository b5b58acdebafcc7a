/* RESP reply boundary scanner: where does the first complete reply in a
 * buffer end? A proxy that passes a server's replies on byte for byte (a
 * follower forwarding writes to the leader, src/net/upstream.c) needs
 * nothing more: it never builds a reply object, so RESP2's "$-1" and "*-1"
 * and every RESP3 type survive unchanged.
 *
 * All RESP2 and RESP3 types are understood: + - : $ * _ , # ! = ( % ~ > |.
 * An attribute ("|") and the reply it belongs to count as one reply, at the
 * top level and inside aggregates. Streamed strings and aggregates ("$?",
 * "*?", ";" chunks, "." end) are rejected as invalid: Redis never sends them.
 * The scan is iterative (an explicit stack of open aggregates), linear in the
 * bytes, never reads past len, and can resume where it stopped. */
#ifndef REDRAFT_RESP_SCAN_H
#define REDRAFT_RESP_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Lengths and counts above this (1 TB) are refused as absurd. */
#define RESP_SCAN_MAX_LEN (1ULL << 40)
/* Open aggregates kept inside the struct; deeper nesting uses the heap. */
#define RESP_SCAN_INLINE_DEPTH 8

/* What is valid:
 * - A line ends at its first '\r', which must be followed by '\n'. A lone
 *   '\n' inside a simple string or error is taken as a byte of it.
 * - "$", "!", "=" lengths, and "*", "%", "~", ">", "|" counts, are written as
 *   Redis's string2ll reads them (no '+', no leading zeros, no spaces), are at
 *   most RESP_SCAN_MAX_LEN, and are not negative, except "$-1" and "*-1"
 *   (the RESP2 nulls). A payload must be followed by "\r\n"; a verbatim
 *   string's ("=") is at least 4 bytes with ':' as the 4th ("txt:...").
 * - ":" is a 64-bit integer in the same notation; "(" is '-'? digits; ","
 *   is a decimal ([+-]?digits[.digits][e[+-]digits], also ".5" or "5.") or
 *   inf/nan with an optional sign; "#" is "t" or "f"; "_" is empty.
 * - Every aggregate or attribute header (not "*-1") opens a level; more than
 *   max_depth open levels is invalid. */
typedef struct resp_scan {
    size_t max_depth;

    /* After resp_scan returned a length: the type byte of the reply (the
     * value after any attribute), e.g. '>' for a RESP3 push. */
    char type;

    /* private incremental state */
    size_t pos;                           /* bytes of the current reply already scanned */
    size_t scan;                          /* the line-end search resumes here (0: at the line) */
    int64_t bulk;                         /* payload length awaited at pos, or -1 */
    char bulktype;                        /* '$', '!' or '=' while bulk >= 0 */
    size_t depth;                         /* open aggregates and attributes */
    uint64_t inl[RESP_SCAN_INLINE_DEPTH]; /* elements left per open level */
    uint64_t *deep;                       /* the levels past RESP_SCAN_INLINE_DEPTH */
    size_t deepcap;
} resp_scan_t;

void resp_scan_init(resp_scan_t *s, size_t max_depth);
/* Frees the heap part of the stack (the struct itself is the caller's). */
void resp_scan_free(resp_scan_t *s);
/* Forgets a partial reply (a length or -1 returned does this by itself). */
void resp_scan_reset(resp_scan_t *s);

/* Scans buf[0..len), which starts at the first byte of a reply. Returns the
 * reply's length (> 0), 0 if it is not complete yet, or -1 if the bytes are
 * not valid RESP (the stream cannot be trusted after that).
 *
 * After a 0, the state remembers how far it got: call again with the same
 * reply at buf[0] and more bytes appended (buf may have moved, len must not
 * shrink), and only the new bytes are scanned. A len smaller than before
 * restarts the scan from the beginning. */
ssize_t resp_scan(resp_scan_t *s, const char *buf, size_t len);

/* One-shot: the same as resp_scan on a fresh state. */
ssize_t resp_reply_len(const char *buf, size_t len, size_t max_depth);

#endif
