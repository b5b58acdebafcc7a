// fuzz-sources: src/resp/scan.c
/* libFuzzer target for the RESP reply scanner (scripts/fuzz.sh builds it;
 * tests/unit/test_resp_scan.c includes this file and runs it over generated
 * inputs in `make test`).
 *
 * The input is taken as a stream of replies. Invariants checked:
 * - a result is -1, 0, or a length <= the input's, ending in "\r\n";
 * - prefixes: for a reply of length L, every prefix shorter than L scans as
 *   0 (more needed) and every longer one as L; for invalid input, prefixes
 *   scan as 0 up to some point and -1 from there on, never as a length;
 * - the incremental scan (bytes fed in chunks, each time into a fresh
 *   exact-size buffer) gives at every step what a one-shot scan of the same
 *   bytes gives;
 * - a complete reply followed by anything (itself, or the next reply in
 *   the stream placed before it) scans as its own length;
 * - a smaller max_depth gives the same result or -1, never another length;
 * - the type reported is the first byte that is not an attribute's. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp/scan.h"

#define FUZZ_DEPTH_BIG 64
#define FUZZ_DEPTH_SMALL 3
#define FUZZ_MAX_REPLIES 32
#define FUZZ_ALL_PREFIXES 512 /* inputs up to this size: every prefix is checked */

/* How often each outcome was seen (the replay test checks coverage). */
enum { FZ_REPLY, FZ_MORE, FZ_INVALID, FZ_DEPTH, FZ_NSTATS };
static unsigned long fuzz_stats[FZ_NSTATS];

static const uint8_t *fuzz_data;
static size_t fuzz_size;

/* Prints the input (so a failure in the replay test can be reproduced) and
 * aborts, which libFuzzer reports as a crash. */
static void fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz_resp_scan: invariant failed: %s\ninput (%zu bytes): ", what, fuzz_size);
    for (size_t i = 0; i < fuzz_size && i < 4096; i++)
        fprintf(stderr, "\\x%02x", fuzz_data[i]);
    fprintf(stderr, "\n");
    abort();
}

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) fuzz_fail(#cond);                                                             \
    } while (0)

/* One-shot scan of an exact-size heap copy, so ASan sees a read past len. */
static ssize_t fuzz_scan(const uint8_t *data, size_t len, size_t depth)
{
    char *b = malloc(len ? len : 1);
    if (len) memcpy(b, data, len);
    ssize_t r = resp_reply_len(b, len, depth);
    free(b);
    FUZZ_CHECK(r >= -1 && (r < 0 || (size_t)r <= len));
    if (r > 0) FUZZ_CHECK(r >= 3 && data[r - 2] == '\r' && data[r - 1] == '\n');
    return r;
}

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* What a prefix of length k must scan as, given the whole input's result r
 * and the first k at which a prefix was invalid (SIZE_MAX if none yet). */
static void fuzz_check_prefix(ssize_t r, size_t k, ssize_t rk)
{
    if (r > 0) {
        FUZZ_CHECK(rk == ((size_t)r <= k ? r : 0));
    } else {
        FUZZ_CHECK(rk == 0 || rk == -1);
        if (r == 0) FUZZ_CHECK(rk == 0);
    }
}

/* Prefixes: all of them for small inputs, else a sample around the ends. */
static void fuzz_prefixes(const uint8_t *data, size_t size, ssize_t r, uint64_t seed)
{
    ssize_t prev = 0;
    if (size <= FUZZ_ALL_PREFIXES) {
        for (size_t k = 0; k <= size; k++) {
            ssize_t rk = fuzz_scan(data, k, FUZZ_DEPTH_BIG);
            fuzz_check_prefix(r, k, rk);
            if (r < 0) FUZZ_CHECK(!(prev == -1 && rk == 0)); /* once invalid, stays so */
            prev = rk;
        }
        return;
    }
    for (int i = 0; i < 48; i++) {
        size_t k = (size_t)(xorshift(&seed) % (size + 1));
        if (i < 4 && r > 0) k = (size_t)r - 1 + (size_t)i % 2; /* either side of the end */
        fuzz_check_prefix(r, k, fuzz_scan(data, k, FUZZ_DEPTH_BIG));
    }
}

/* The bytes arrive in chunks; the buffer is reallocated to its exact size
 * each time. Every intermediate result must equal the one-shot result of
 * the same prefix. */
static void fuzz_incremental(const uint8_t *data, size_t size, ssize_t r, uint64_t seed)
{
    resp_scan_t s;
    resp_scan_init(&s, FUZZ_DEPTH_BIG);
    char *b = NULL;
    size_t have = 0;
    ssize_t got = 0;
    int steps = 0;
    while (have < size) {
        uint64_t x = xorshift(&seed);
        size_t chunk = x % 4 == 0 ? 1 : x % 4 == 1 ? 1 + (x >> 8) % 8 : 1 + (x >> 8) % 256;
        if (chunk > size - have) chunk = size - have;
        char *nb = malloc(have + chunk);
        if (have) memcpy(nb, b, have);
        memcpy(nb + have, data + have, chunk);
        free(b);
        b = nb;
        have += chunk;
        got = resp_scan(&s, b, have);
        if (++steps <= 64 || got != 0 || have == size) {
            ssize_t once = fuzz_scan(data, have, FUZZ_DEPTH_BIG);
            FUZZ_CHECK(got == once);
        }
        if (got != 0) break;
    }
    free(b);
    resp_scan_free(&s);
    FUZZ_CHECK(got == r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_data = data;
    fuzz_size = size;
    uint64_t seed = 14695981039346656037ULL;
    for (size_t i = 0; i < size; i++)
        seed = (seed ^ data[i]) * 1099511628211ULL;
    seed |= 1;

    size_t off = 0;
    ssize_t prev_len = 0;
    for (int n = 0; n < FUZZ_MAX_REPLIES; n++) {
        const uint8_t *p = data + off;
        size_t len = size - off;
        ssize_t r = fuzz_scan(p, len, FUZZ_DEPTH_BIG);
        fuzz_stats[r > 0 ? FZ_REPLY : r == 0 ? FZ_MORE : FZ_INVALID]++;

        ssize_t rs = fuzz_scan(p, len, FUZZ_DEPTH_SMALL);
        FUZZ_CHECK(rs == r || rs == -1);
        if (rs != r) fuzz_stats[FZ_DEPTH]++;

        if (n < 4) {
            fuzz_prefixes(p, len, r, seed + (uint64_t)n);
            fuzz_incremental(p, len, r, seed + (uint64_t)n);
        }
        if (r <= 0) break;

        /* the type of the reply, past any attributes */
        resp_scan_t s;
        resp_scan_init(&s, FUZZ_DEPTH_BIG);
        FUZZ_CHECK(resp_scan(&s, (const char *)p, (size_t)r) == r);
        if (p[0] != '|') FUZZ_CHECK(s.type == (char)p[0]);
        FUZZ_CHECK(s.type != '|');
        resp_scan_free(&s);

        /* the reply twice, and the previous reply behind this one */
        size_t rl = (size_t)r;
        size_t pl = (size_t)prev_len;
        uint8_t *two = malloc(2 * rl + pl);
        memcpy(two, p, rl);
        memcpy(two + rl, p, rl);
        FUZZ_CHECK(fuzz_scan(two, 2 * rl, FUZZ_DEPTH_BIG) == r);
        if (pl) {
            memcpy(two + rl, p - pl, pl);
            FUZZ_CHECK(fuzz_scan(two, rl + pl, FUZZ_DEPTH_BIG) == r);
        }
        free(two);

        prev_len = r;
        off += rl;
    }
    return 0;
}
