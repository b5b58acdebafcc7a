// fuzz-sources: src/node/entry.c src/storage/encoding.c
/* libFuzzer target for the log entry decoder (src/node/entry.c); scripts/fuzz.sh
 * builds it, and tests/unit/test_entry_fuzz_replay.c includes this file and
 * runs it over generated inputs in `make test`.
 *
 * Each input is decoded as a log entry payload from an exact-size heap copy
 * (so ASan sees any read past the end) and checked against an independent
 * reference decoder written with plain offsets:
 *   - entry_decode accepts exactly the entries whose header is whole, whose
 *     type is known and whose commands are all well formed and exactly as
 *     many as the header says (so nothing of a bad entry is ever applied);
 *   - entry_next_cmd, over a view of any body, returns the same commands as
 *     the reference, as views at the same offsets, and fails (-1) exactly
 *     where the reference does;
 *   - the commands decoded so far, re-encoded with entry_add_cmd and with
 *     the streaming entry_cmd_start/arg/end, give back the input's bytes
 *     (the command count in the header aside, which decoding does not check)
 *     and the two builders agree byte for byte. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/entry.h"
#include "storage/encoding.h"

/* How often each outcome was seen (the replay test checks coverage). */
enum {
    FZE_SHORT_HDR,      /* fewer than 13 bytes */
    FZE_BAD_TYPE,       /* type byte > ENTRY_MULTI */
    FZE_OK,             /* well formed, command count as in the header */
    FZE_OK_COUNT_DIFF,  /* well formed commands, but not as many as the header says */
    FZE_ARGC0,          /* a command with argc 0 */
    FZE_ARGC_BIG,       /* argc larger than the bytes left could hold */
    FZE_ARG_LEN,        /* an argument length (or its field) runs past the end */
    FZE_TRAILING,       /* 1..3 bytes after the last command */
    FZE_NSTATS
};
static unsigned long fuzz_entry_stats[FZE_NSTATS];

static const uint8_t *fze_data;
static size_t fze_size;

/* Prints the input (so a failure in the replay test can be reproduced) and
 * aborts, which libFuzzer reports as a crash. */
static void fze_fail(const char *what, int line)
{
    fprintf(stderr, "fuzz_entry: invariant failed (line %d): %s\ninput (%zu bytes): ", line, what, fze_size);
    for (size_t i = 0; i < fze_size && i < 4096; i++) fprintf(stderr, "\\x%02x", fze_data[i]);
    fprintf(stderr, "\n");
    abort();
}

#define FZE_CHECK(cond)                                                                            \
    do {                                                                                           \
        if (!(cond)) fze_fail(#cond, __LINE__);                                                    \
    } while (0)

static uint32_t fze_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The reference: checks the command at *off against what entry_next_cmd
 * returned (rc, argv, argvlen over buf). Returns the outcome class for a
 * failure, -1 for a command that matched, -2 for the clean end. */
static int fze_ref_cmd(const char *buf, size_t size, size_t *off, int rc, const char *const *argv,
                       const size_t *argvlen)
{
    const uint8_t *d = (const uint8_t *)buf;
    size_t o = *off;
    if (o == size) {
        FZE_CHECK(rc == 0);
        return -2;
    }
    int why = -1;
    uint32_t argc = 0;
    if (size - o < 4) {
        why = FZE_TRAILING;
    } else {
        argc = fze_u32(d + o);
        o += 4;
        if (argc == 0) why = FZE_ARGC0;
        else if ((uint64_t)argc * 4 > size - o) why = FZE_ARGC_BIG;
    }
    for (uint32_t i = 0; why < 0 && i < argc; i++) {
        if (size - o < 4) {
            why = FZE_ARG_LEN;
            break;
        }
        uint32_t n = fze_u32(d + o);
        o += 4;
        if (n > size - o) {
            why = FZE_ARG_LEN;
            break;
        }
        if (rc > 0 && i < (uint32_t)rc) {
            FZE_CHECK(argv[i] == buf + o); /* a view at the right place, not a copy */
            FZE_CHECK(argvlen[i] == n);
        }
        o += n;
    }
    if (why >= 0) {
        FZE_CHECK(rc == -1);
        return why;
    }
    FZE_CHECK(rc > 0 && (uint32_t)rc == argc);
    *off = o;
    return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fze_data = data;
    fze_size = size;
    char *buf = malloc(size ? size : 1); /* exact size: reads past the end trip ASan */
    if (size) memcpy(buf, data, size);
    else buf[0] = 0;

    entry_view_t v;
    int rc = entry_decode(&v, buf, size);
    if (size < 13 || data[0] > ENTRY_MULTI) {
        FZE_CHECK(rc == -1);
        fuzz_entry_stats[size < 13 ? FZE_SHORT_HDR : FZE_BAD_TYPE]++;
        free(buf);
        return 0;
    }
    entry_view_t decoded = v;
    int decode_rc = rc;
    /* walk the body through a view made by hand, whatever decode said */
    v = (entry_view_t){.type = (entry_type_t)data[0],
                       .time_ms = (int64_t)((uint64_t)fze_u32(data + 1) << 32 | fze_u32(data + 5)),
                       .ncmds = fze_u32(data + 9), .p = buf + 13, .end = buf + size};

    /* argv arrays as the node keeps them: sometimes none yet, sometimes small */
    int cap = 0;
    const char **argv = NULL;
    size_t *argvlen = NULL;
    if (size & 1) {
        cap = 2;
        argv = malloc(sizeof(*argv) * 2);
        argvlen = malloc(sizeof(*argvlen) * 2);
    }
    entry_buf_t added = {0}, streamed = {0};
    entry_begin(&added, v.type, v.time_ms);
    entry_begin(&streamed, v.type, v.time_ms);

    size_t off = 13;
    uint32_t count = 0;
    int outcome;
    for (;;) {
        rc = entry_next_cmd(&v, &argv, &argvlen, &cap);
        FZE_CHECK(rc >= -1);
        outcome = fze_ref_cmd(buf, size, &off, rc, argv, argvlen);
        if (outcome != -1) break;
        FZE_CHECK(cap >= rc);
        FZE_CHECK(v.p == buf + off);
        count++;
        entry_add_cmd(&added, rc, argv, argvlen);
        entry_cmd_start(&streamed);
        for (int i = 0; i < rc; i++) entry_cmd_arg(&streamed, argv[i], argvlen[i]);
        entry_cmd_end(&streamed);
    }
    entry_end(&added);
    entry_end(&streamed);

    /* the two builders agree, and give back the input up to the last good command */
    FZE_CHECK(added.len == streamed.len && memcmp(added.buf, streamed.buf, added.len) == 0);
    FZE_CHECK(added.len == off);
    FZE_CHECK(memcmp(added.buf, buf, 9) == 0);
    FZE_CHECK(fze_u32((const uint8_t *)added.buf + 9) == count);
    FZE_CHECK(memcmp(added.buf + 13, buf + 13, off - 13) == 0);
    if (outcome == -2) {
        FZE_CHECK(off == size);
        /* and then it stays at the end */
        FZE_CHECK(entry_next_cmd(&v, &argv, &argvlen, &cap) == 0);
        fuzz_entry_stats[count == v.ncmds ? FZE_OK : FZE_OK_COUNT_DIFF]++;
    } else {
        fuzz_entry_stats[outcome]++;
    }
    /* decode accepts exactly the whole, well-formed entries */
    bool whole = outcome == -2 && count == v.ncmds;
    FZE_CHECK((decode_rc == 0) == whole);
    if (whole) {
        FZE_CHECK(decoded.type == v.type && decoded.time_ms == v.time_ms && decoded.ncmds == v.ncmds);
        FZE_CHECK(decoded.p == buf + 13 && decoded.end == buf + size);
    }

    entry_buf_free(&added);
    entry_buf_free(&streamed);
    free(argv);
    free(argvlen);
    free(buf);
    return 0;
}
