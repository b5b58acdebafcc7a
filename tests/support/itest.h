/* Shared pieces of the command integration tests (test_strings.c,
 * test_keys.c, test_connection.c): which server they target, the per-test
 * connection fixture, the clock, and the reply shorthands.
 *
 * STRINGS_KEYS_TARGET=redis runs those tests against a scratch redis-server
 * instead of redraft-server (the assertions marked redraft-only are
 * skipped): that is how the expected bytes were checked. */
#ifndef REDRAFT_TESTS_ITEST_H
#define REDRAFT_TESTS_ITEST_H

#include <stdbool.h>
#include <stdint.h>

#include "support/proc.h"
#include "support/respcmp.h"

/* True when STRINGS_KEYS_TARGET=redis: the reference server is the target. */
bool itest_target_redis(void);
/* Starts the server under test with extra "--key value" arguments
 * (NULL-terminated list, or NULL): redis-server when itest_target_redis(),
 * else redraft-server. Returns 0 or -1. */
int itest_start(testproc_t *p, const char *const *extra_args);
/* Per-test setup: *c = a fresh connection to port on an empty keyspace
 * (FLUSHALL). Returns 0 or -1. */
int itest_open_flushed(rc_t **c, int port);
/* Per-test teardown: closes *c (and clears it), then checks that p, the
 * server of the running group, is still up whatever the test did. Returns 0
 * or -1 with the server's log path on stderr. */
int itest_close_alive(rc_t **c, testproc_t *p);

/* Milliseconds since the epoch (wall clock). */
int64_t itest_now_ms(void);
void itest_sleep_ms(int ms);
/* Fails the running cmocka test unless lo <= v <= hi. */
void itest_assert_between(long long v, long long lo, long long hi);

/* The short names the tests use. Static inline so that nothing this generic
 * is exported into every test binary (each links all of tests/support/). */
static inline int64_t now_ms(void)
{
    return itest_now_ms();
}

static inline void sleep_ms(int ms)
{
    itest_sleep_ms(ms);
}

static inline void assert_between(long long v, long long lo, long long hi)
{
    itest_assert_between(v, lo, hi);
}

/* E runs a command on the including file's connection `c` (an rc_t *) and
 * requires the exact reply bytes `want` (a string literal). */
#define E(want, ...) EXPECT(c, want, __VA_ARGS__)
#define NOTINT "-ERR value is not an integer or out of range\r\n"
#define SYNTAX "-ERR syntax error\r\n"
#define ARITY(cmd) "-ERR wrong number of arguments for '" cmd "' command\r\n"

#endif
