/* See itest.h. */
#include "support/itest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

bool itest_target_redis(void)
{
    const char *t = getenv("STRINGS_KEYS_TARGET");
    return t && strcmp(t, "redis") == 0;
}

int itest_start(testproc_t *p, const char *const *extra_args)
{
    return itest_target_redis() ? proc_start_redis_args(p, extra_args) : proc_start(p, extra_args);
}

int itest_open_flushed(rc_t **c, int port)
{
    *c = rc_open(port);
    if (!*c) return -1;
    const char *r = RC(*c, "FLUSHALL");
    if (!r || strcmp(r, "+OK\r\n") != 0) return -1;
    return 0;
}

int itest_close_alive(rc_t **c, testproc_t *p)
{
    rc_close(*c);
    *c = NULL;
    /* whatever the test did, the server must still be up */
    if (!proc_alive(p)) {
        fprintf(stderr, "server died; log %s\n", p->log);
        return -1;
    }
    return 0;
}

int64_t itest_now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void itest_sleep_ms(int ms)
{
    usleep((useconds_t)ms * 1000);
}

void itest_assert_between(long long v, long long lo, long long hi)
{
    if (v < lo || v > hi) fail_msg("%lld not in [%lld, %lld]", v, lo, hi);
}
