/* The simulator's small pieces: the PRNG every decision comes from, hashes,
 * the key-value state machine the entries drive, the trace and the failure
 * record. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim/sim.h"

/* ---- PRNG ------------------------------------------------------------------ */

/* splitmix64 step: expands one seed into the xoshiro state. */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* A seed fixes every later draw, which is what makes a run replayable. */
void rng_seed(sim_rng_t *g, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        g->s[i] = splitmix64(&x);
}

/* Rotation, the building block of xoshiro. */
static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256**: fast, good enough statistically, and the same everywhere. */
uint64_t rng_next(sim_rng_t *g)
{
    uint64_t *s = g->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n); the modulo bias is irrelevant at these sizes. */
uint64_t rng_below(sim_rng_t *g, uint64_t n)
{
    return n ? rng_next(g) % n : 0;
}

/* Uniform in [lo, hi]. */
uint64_t rng_range(sim_rng_t *g, uint64_t lo, uint64_t hi)
{
    return hi <= lo ? lo : lo + rng_below(g, hi - lo + 1);
}

/* Probabilities in parts per million: integers, so no floating point can make
 * two machines disagree about a run. */
bool rng_ppm(sim_rng_t *g, uint32_t ppm)
{
    return ppm && rng_below(g, 1000000) < ppm;
}

/* ---- hashes ---------------------------------------------------------------- */

/* A 64-bit finalizer (murmur3's), to spread values before combining them. */
uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDULL;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ULL;
    return x ^ (x >> 33);
}

/* FNV-1a, finalized: identifies entry contents in the checks. */
uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0xCBF29CE484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001B3ULL;
    return mix64(h);
}

/* What an entry is, for comparing two copies: type and data (not the term or
 * index, which the checks compare on their own). */
uint64_t entry_hash(const raft_entry_t *e)
{
    return mix64(hash_bytes(e->data, e->len) + e->type);
}

/* ---- the state machine ------------------------------------------------------ */

/* The data of a client write: its unique op number, its key, and padding so
 * that entries have varied sizes (the core's byte limits get exercised). */
size_t op_encode(char *buf, size_t cap, uint64_t op, unsigned key, size_t pad)
{
    int n = snprintf(buf, cap, "w%" PRIu64 " k%u ", op, key);
    if (n < 0 || (size_t)n >= cap) return 0;
    size_t len = (size_t)n + pad < cap ? (size_t)n + pad : cap;
    memset(buf + n, '.', len - (size_t)n);
    return len;
}

/* Parses a decimal number at d[*i]; false if there is none. */
static bool parse_u64(const char *d, size_t len, size_t *i, uint64_t *out)
{
    uint64_t v = 0;
    size_t start = *i;
    while (*i < len && d[*i] >= '0' && d[*i] <= '9')
        v = v * 10 + (uint64_t)(d[(*i)++] - '0');
    *out = v;
    return *i > start;
}

/* Reads back what op_encode wrote. */
bool op_decode(const char *d, size_t len, uint64_t *op, unsigned *key)
{
    size_t i = 0;
    uint64_t k;
    if (len < 4 || d[i++] != 'w' || !parse_u64(d, len, &i, op)) return false;
    if (i + 1 >= len || d[i++] != ' ' || d[i++] != 'k' || !parse_u64(d, len, &i, &k)) return false;
    if (k >= SIM_KEYS) return false;
    *key = (unsigned)k;
    return true;
}

/* Applies one committed entry: a write extends its key's hash chain; no-ops
 * and configurations leave the keys alone. */
bool kv_apply(kv_t *kv, const raft_entry_t *e)
{
    if (e->type != RAFT_ENTRY_NORMAL) return true;
    uint64_t op;
    unsigned key;
    if (!op_decode(e->data, e->len, &op, &key)) return false;
    kv->val[key] = mix64(kv->val[key] ^ mix64(op + 1));
    kv->cnt[key]++;
    return true;
}

/* The whole state in one number, to compare two nodes' states at an index. */
uint64_t kv_hash(const kv_t *kv)
{
    uint64_t h = 0;
    for (int k = 0; k < SIM_KEYS; k++)
        h = mix64(h ^ kv->val[k]) + kv->cnt[k];
    return h;
}

/* ---- trace and failures ------------------------------------------------------ */

/* Bounds are stated in ticks; the simulation counts units. */
uint64_t ticks_to_units(uint64_t ticks)
{
    return ticks * SIM_TICK_UNITS;
}

/* One line per event, only with --trace. */
void sim_trace(sim_t *s, const char *fmt, ...)
{
    if (!s->opt.trace) return;
    va_list ap;
    va_start(ap, fmt);
    printf("t=%" PRIu64 " ", s->now);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
}

/* Records the first violation; the run stops at the end of the step. */
void sim_fail(sim_t *s, const char *fmt, ...)
{
    if (s->failed) return;
    s->failed = true;
    int n = snprintf(s->why, sizeof(s->why), "step %" PRIu64 ": ", s->now);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof(s->why))
        vsnprintf(s->why + n, sizeof(s->why) - (size_t)n, fmt, ap);
    va_end(ap);
    sim_trace(s, "VIOLATION %s", s->why);
}

/* A message in one line, for the trace. */
void fmt_msg(char *buf, size_t cap, const raft_msg_t *m)
{
    int n = snprintf(buf, cap, "%" PRIu64 "->%" PRIu64 " %s term=%" PRIu64, m->from, m->to,
                     raft_msg_type_name(m->type), m->term);
    if (n < 0 || (size_t)n >= cap) return;
    switch (m->type) {
    case RAFT_MSG_PREVOTE:
    case RAFT_MSG_VOTE:
    case RAFT_MSG_APPEND:
        n += snprintf(buf + n, cap - (size_t)n, " log=%" PRIu64 "/%" PRIu64, m->log_term, m->index);
        break;
    case RAFT_MSG_APPEND_RESP:
        n += snprintf(buf + n, cap - (size_t)n, " index=%" PRIu64, m->index);
        if (m->reject)
            n += snprintf(buf + n, cap - (size_t)n, " hint=%" PRIu64 "/%" PRIu64, m->log_term,
                          m->reject_hint);
        break;
    case RAFT_MSG_READ_INDEX_RESP:
        n += snprintf(buf + n, cap - (size_t)n, " index=%" PRIu64, m->index);
        break;
    case RAFT_MSG_SNAPSHOT:
        if (m->snapshot)
            n += snprintf(buf + n, cap - (size_t)n, " snap=%" PRIu64 "/%" PRIu64, m->snapshot->term,
                          m->snapshot->index);
        break;
    default:
        break;
    }
    if ((size_t)n >= cap) return;
    if (m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT)
        n += snprintf(buf + n, cap - (size_t)n, " commit=%" PRIu64, m->commit);
    if ((size_t)n >= cap) return;
    if (m->n_entries)
        n += snprintf(buf + n, cap - (size_t)n, " entries=%" PRIu64 "..%" PRIu64,
                      m->entries[0].index, m->entries[m->n_entries - 1].index);
    if ((size_t)n >= cap) return;
    if (m->ctx) n += snprintf(buf + n, cap - (size_t)n, " ctx=%" PRIu64, m->ctx);
    if ((size_t)n >= cap) return;
    if (m->reject) n += snprintf(buf + n, cap - (size_t)n, " reject");
    if ((size_t)n >= cap) return;
    if (m->transfer) snprintf(buf + n, cap - (size_t)n, " transfer");
}
