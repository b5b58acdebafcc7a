/* Per-command counters and the command duration histogram, for GET /metrics
 * (redraft_commands_total{cmd}, redraft_command_duration_seconds) and INFO
 * commandstats.
 *
 * A command a client sent is counted once, on the node that received it,
 * when its reply is produced: at once in dispatch for what runs there, or
 * later by whoever answers it — the apply of its entry (node.c), its read
 * batch (node_read.c), the leader's reply to a proxied write (proxy.c).
 * Its duration runs from the first time dispatch was offered the request (a
 * request held with CONN_PAUSE keeps that time) to that reply. Entries
 * applied with nobody waiting (replication, active expiry) and ReadIndex
 * barriers are no client's commands and are not counted.
 *
 * The counters are an array indexed by the command's position in the
 * command table, allocated once at start: a request costs two reads of the
 * monotonic clock and a few increments, never an allocation. */
#include "node/node.h"

#include <stdlib.h>
#include <string.h>

/* 100 us .. 10 s in 1-2.5-5 steps: local commands land in the first
 * buckets, writes around the fsync and a round trip, request timeouts in the
 * last. */
static const double duration_buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};

/* Proxied requests carry their start time in 48 bits (8.9 years of the
 * monotonic clock, which counts from boot); durations are taken modulo that. */
#define TAG_TIME_MASK ((UINT64_C(1) << 48) - 1)

_Static_assert(sizeof(uintptr_t) >= sizeof(uint64_t), "a proxied request's mark must fit in a pointer");

/* The table is complete once node_start has registered every command, and
 * never changes after: one allocation for the life of the node. */
void cmdstats_init(node_t *n)
{
    histo_init_bounds(&n->stats.command_seconds, duration_buckets,
                      (int)(sizeof(duration_buckets) / sizeof(duration_buckets[0])));
    n->ncmdstats = cmd_table_count();
    n->cmdstats = calloc(n->ncmdstats ? n->ncmdstats : 1, sizeof(*n->cmdstats));
    if (!n->cmdstats) abort();
}

/* node_free: the counters go with the node. */
void cmdstats_free(node_t *n)
{
    free(n->cmdstats);
    n->cmdstats = NULL;
    n->ncmdstats = 0;
}

/* Durations must not jump with the wall clock; uv_hrtime is monotonic and
 * costs a vDSO call. Never 0, which means "no request" in a req_mark_t. */
uint64_t node_now_us(void)
{
    uint64_t t = uv_hrtime() / 1000;
    return t ? t : 1;
}

/* One subtraction for both kinds of start: a full timestamp and a proxied
 * request's 48-bit one give the same result modulo 2^48. */
uint64_t cmdstats_elapsed_us(uint64_t start_us, uint64_t now_us)
{
    return (now_us - start_us) & TAG_TIME_MASK;
}

/* The one place a command is counted, whatever path answered it, so the
 * counters and the histogram always agree. */
void cmdstats_done(node_t *n, int32_t cmd, uint64_t start_us, bool rejected)
{
    if (cmd < 0 || (size_t)cmd >= n->ncmdstats) return;
    uint64_t us = cmdstats_elapsed_us(start_us, node_now_us());
    cmd_stat_t *s = &n->cmdstats[cmd];
    if (rejected) {
        s->rejected++;
    } else {
        s->calls++;
        s->usec += us;
    }
    histo_observe(&n->stats.command_seconds, (double)us / 1e6);
}

/* CONFIG RESETSTAT zeroes commandstats in Redis; the histogram is the same
 * data seen another way, so it is zeroed with them. */
void cmdstats_reset(node_t *n)
{
    if (n->cmdstats) memset(n->cmdstats, 0, n->ncmdstats * sizeof(*n->cmdstats));
    histo_reset(&n->stats.command_seconds);
}

/* The upstream keeps one pointer per request and answers in order; packing
 * the mark into it (start time above, command + 2 in the low 16 bits, so it
 * is never NULL) avoids a queue of our own per proxied client. */
void *cmdstats_tag(uint64_t start_us, int32_t cmd)
{
    uint64_t low = (uint64_t)(uint16_t)(cmd + 2);
    return (void *)(uintptr_t)(((start_us & TAG_TIME_MASK) << 16) | low);
}

/* The inverse of cmdstats_tag (the start time in its 48 bits). */
void cmdstats_untag(const void *tag, uint64_t *start_us, int32_t *cmd)
{
    uint64_t v = (uint64_t)(uintptr_t)tag;
    *start_us = v >> 16;
    *cmd = (int32_t)(v & 0xffff) - 2;
}
