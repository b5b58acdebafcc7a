// fuzz-sources: src/resp/parser.c
/* libFuzzer target for the RESP request parser (scripts/fuzz.sh builds it;
 * tests/unit/test_resp_fuzz_replay.c includes this file and runs it over
 * generated inputs in `make test`).
 *
 * Each input is parsed as a stream of pipelined requests twice: in one go,
 * and fed in chunks whose sizes come from a PRNG seeded by the input, the
 * way a connection's query buffer fills up (every chunk lands in a freshly
 * allocated exact-size buffer, and consumed requests are cut off the front,
 * so stale pointers or reads past the end trip ASan). Both runs must give
 * the same sequence of results, and every result must respect the
 * invariants below. This is done with Redis's default limits and with tiny
 * limits, so the "too big" and "invalid length" paths are reachable from
 * short inputs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp/parser.h"

#define FUZZ_MAX_REQS 64

/* How often each outcome was seen (the replay test checks coverage). */
enum {
    FZ_DONE,
    FZ_EMPTY,
    FZ_NEED_MORE,
    FZ_ERR_INLINE_BIG,
    FZ_ERR_QUOTES,
    FZ_ERR_MBULK_BIG,
    FZ_ERR_MBULK_LEN,
    FZ_ERR_BULK_BIG,
    FZ_ERR_EXPECTED,
    FZ_ERR_BULK_LEN,
    FZ_NSTATS
};
static unsigned long fuzz_stats[FZ_NSTATS];

typedef struct {
    resp_status_t st;
    size_t consumed;
    int argc;
    uint64_t hash; /* of the arguments' lengths and bytes */
    char err[40];
} fuzz_result_t;

static const uint8_t *fuzz_data;
static size_t fuzz_size;

/* Prints the input (so a failure in the replay test can be reproduced) and
 * aborts, which libFuzzer reports as a crash. */
static void fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz_resp_parser: invariant failed: %s\ninput (%zu bytes): ", what, fuzz_size);
    for (size_t i = 0; i < fuzz_size && i < 4096; i++)
        fprintf(stderr, "\\x%02x", fuzz_data[i]);
    fprintf(stderr, "\n");
    abort();
}

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) fuzz_fail(#cond);                                                             \
    } while (0)

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static int err_kind(const char *e)
{
    if (!strcmp(e, "too big inline request")) return FZ_ERR_INLINE_BIG;
    if (!strcmp(e, "unbalanced quotes in request")) return FZ_ERR_QUOTES;
    if (!strcmp(e, "too big mbulk count string")) return FZ_ERR_MBULK_BIG;
    if (!strcmp(e, "invalid multibulk length")) return FZ_ERR_MBULK_LEN;
    if (!strcmp(e, "too big bulk count string")) return FZ_ERR_BULK_BIG;
    if (!strcmp(e, "invalid bulk length")) return FZ_ERR_BULK_LEN;
    if (!strncmp(e, "expected '$', got '", 19) && strlen(e) == 21 && e[20] == '\'' &&
        e[19] != '\r' && e[19] != '\n' && e[19] != '\0')
        return FZ_ERR_EXPECTED;
    return -1;
}

/* Checks one result of resp_parse(p, buf, len) and records it. `first` is
 * buf[0] before the call (an inline request may rewrite it in place). */
static void fuzz_take(fuzz_result_t *r, resp_status_t st, const resp_parser_t *p, const char *buf,
                      size_t len, char first)
{
    memset(r, 0, sizeof(*r));
    r->st = st;
    FUZZ_CHECK(p->argc >= 0 && p->argc <= p->argcap);
    switch (st) {
    case RESP_NEED_MORE:
        FUZZ_CHECK(p->pos <= len);
        fuzz_stats[FZ_NEED_MORE]++;
        return;
    case RESP_ERROR: {
        FUZZ_CHECK(p->err != NULL);
        int k = err_kind(p->err);
        FUZZ_CHECK(k >= 0);
        fuzz_stats[k]++;
        snprintf(r->err, sizeof(r->err), "%s", p->err);
        return;
    }
    case RESP_EMPTY:
        FUZZ_CHECK(p->argc == 0);
        fuzz_stats[FZ_EMPTY]++;
        break;
    case RESP_DONE:
        FUZZ_CHECK(p->argc >= 1);
        fuzz_stats[FZ_DONE]++;
        break;
    default:
        FUZZ_CHECK(!"unknown status");
    }
    FUZZ_CHECK(p->consumed >= 1 && p->consumed <= len);
    r->consumed = p->consumed;
    r->argc = p->argc;
    int inline_req = first != '*';
    if (inline_req)
        FUZZ_CHECK(buf[p->consumed - 1] == '\n');
    else
        FUZZ_CHECK(p->consumed >= 4);
    uint64_t h = 14695981039346656037ULL;
    size_t prev_end = 0;
    for (int i = 0; i < p->argc; i++) {
        size_t off = p->argoff[i], n = p->arglen[i];
        FUZZ_CHECK(off <= p->consumed && n <= p->consumed - off);
        FUZZ_CHECK(off >= prev_end); /* in order, never overlapping */
        if (inline_req)
            FUZZ_CHECK(off + n < p->consumed);
        else
            FUZZ_CHECK(off >= 4 && off + n + 2 <= p->consumed);
        prev_end = off + n;
        h = fnv(h, &n, sizeof(n));
        h = fnv(h, buf + off, n);
    }
    r->hash = h;
}

/* Parses data as pipelined requests in one go; returns how many results. */
static int fuzz_oneshot(const resp_limits_t *lim, const uint8_t *data, size_t size,
                        fuzz_result_t *res)
{
    resp_parser_t p;
    resp_parser_init(&p, lim);
    char *buf = malloc(size ? size : 1);
    if (size) memcpy(buf, data, size);
    size_t off = 0;
    int n = 0;
    while (n < FUZZ_MAX_REQS) {
        char first = off < size ? buf[off] : 0;
        resp_status_t st = resp_parse(&p, buf + off, size - off);
        fuzz_take(&res[n++], st, &p, buf + off, size - off, first);
        if (st != RESP_DONE && st != RESP_EMPTY) break;
        off += p.consumed;
    }
    free(buf);
    resp_parser_free(&p);
    return n;
}

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* The same, but the bytes arrive in chunks; the query buffer holds only the
 * unconsumed bytes and is reallocated to its exact size on every change. */
static int fuzz_chunked(const resp_limits_t *lim, const uint8_t *data, size_t size, uint64_t seed,
                        fuzz_result_t *res)
{
    resp_parser_t p;
    resp_parser_init(&p, lim);
    char *qb = NULL;
    size_t qlen = 0, fed = 0;
    int n = 0;

    for (;;) {
        size_t chunk = 0;
        if (fed < size) {
            uint64_t r = xorshift(&seed);
            chunk = r % 4 == 0 ? 1 : r % 4 == 1 ? 1 + (r >> 8) % 8 : 1 + (r >> 8) % 64;
            if (chunk > size - fed) chunk = size - fed;
        }
        char *nb = malloc(qlen + chunk ? qlen + chunk : 1);
        if (qlen) memcpy(nb, qb, qlen);
        if (chunk) memcpy(nb + qlen, data + fed, chunk);
        free(qb);
        qb = nb;
        qlen += chunk;
        fed += chunk;

        int stop = 0;
        for (;;) {
            char first = qlen ? qb[0] : 0;
            resp_status_t st = resp_parse(&p, qb, qlen);
            if (st == RESP_NEED_MORE && fed < size) break; /* wait for the next chunk */
            fuzz_take(&res[n++], st, &p, qb, qlen, first);
            if ((st != RESP_DONE && st != RESP_EMPTY) || n == FUZZ_MAX_REQS) {
                stop = 1;
                break;
            }
            /* cut the request off the front of the query buffer */
            size_t rest = qlen - p.consumed;
            char *rb = malloc(rest ? rest : 1);
            memcpy(rb, qb + p.consumed, rest);
            free(qb);
            qb = rb;
            qlen = rest;
        }
        if (stop) break;
    }
    free(qb);
    resp_parser_free(&p);
    return n;
}

static void fuzz_compare(const fuzz_result_t *a, int na, const fuzz_result_t *b, int nb)
{
    FUZZ_CHECK(na == nb);
    for (int i = 0; i < na; i++) {
        FUZZ_CHECK(a[i].st == b[i].st);
        FUZZ_CHECK(a[i].consumed == b[i].consumed);
        FUZZ_CHECK(a[i].argc == b[i].argc);
        FUZZ_CHECK(a[i].hash == b[i].hash);
        FUZZ_CHECK(!strcmp(a[i].err, b[i].err));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_result_t once[FUZZ_MAX_REQS], chunked[FUZZ_MAX_REQS];
    resp_limits_t lims[2];
    resp_limits_default(&lims[0]);
    lims[1].max_bulk_len = 64;
    lims[1].max_multibulk = 16;
    lims[1].max_inline = 32;

    fuzz_data = data;
    fuzz_size = size;
    uint64_t seed = fnv(14695981039346656037ULL, data, size) | 1;
    for (int l = 0; l < 2; l++) {
        int n1 = fuzz_oneshot(&lims[l], data, size, once);
        int n2 = fuzz_chunked(&lims[l], data, size, seed + (uint64_t)l * 2, chunked);
        fuzz_compare(once, n1, chunked, n2);
    }
    return 0;
}
