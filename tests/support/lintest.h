/* What the unit tests of the linearizability checker share (test_linearize.c
 * and test_linearize_cases.c): a seeded generator, a clock, checks of a
 * verdict and its witness, a temp file. Include after cmocka.h. */
#ifndef REDRAFT_TESTS_LINTEST_H
#define REDRAFT_TESTS_LINTEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "support/linearize.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static inline uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static inline uint64_t below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

static inline int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Checks h and asserts the verdict, printing the report when it is wrong. */
static inline void expect(const lin_history_t *h, lin_verdict_t want)
{
    lin_result_t r;
    lin_verdict_t v = lin_check(h, NULL, &r);
    if (v != want) print_message("expected %s, got:\n%s", lin_verdict_name(want), r.explain);
    lin_result_free(&r);
    assert_int_equal(v, want);
}

static inline bool witness_has(const lin_result_t *r, size_t i)
{
    for (size_t k = 0; k < r->n_witness; k++)
        if (r->witness[k] == i) return true;
    return false;
}

/* The witness of r as a history of its own. */
static inline lin_history_t *witness_history(const lin_history_t *h, const lin_result_t *r)
{
    lin_history_t *w = lin_history_new();
    for (size_t k = 0; k < r->n_witness; k++)
        lin_history_add(w, &h->ops[r->witness[k]]);
    return w;
}

static inline void tmp_path(char *buf, size_t n)
{
    snprintf(buf, n, "/tmp/test_linearize_XXXXXX");
    int fd = mkstemp(buf);
    assert_true(fd >= 0);
    close(fd);
}

#endif
