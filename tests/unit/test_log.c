/* Unit tests for src/util/log.c: the line format parsed back, levels,
 * truncation, quoting, and whole lines under concurrent writers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

/* Reads everything written to f so far as one string. */
static char *slurp(FILE *f)
{
    long n = ftell(f);
    char *buf = malloc((size_t)n + 1);
    rewind(f);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    return buf;
}

static void assert_matches(const char *text, const char *re)
{
    regex_t rx;
    assert_int_equal(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
    int rc = regexec(&rx, text, 0, NULL, 0);
    regfree(&rx);
    if (rc != 0) fail_msg("'%s' does not match /%s/", text, re);
}

static void test_levels(void **state)
{
    (void)state;
    log_level_t l;
    assert_int_equal(log_level_parse("debug", &l), 0);
    assert_int_equal(l, LOG_DEBUG);
    assert_int_equal(log_level_parse("info", &l), 0);
    assert_int_equal(l, LOG_INFO);
    assert_int_equal(log_level_parse("warn", &l), 0);
    assert_int_equal(l, LOG_WARN);
    assert_int_equal(log_level_parse("warning", &l), 0);
    assert_int_equal(l, LOG_WARN);
    assert_int_equal(log_level_parse("ERROR", &l), 0);
    assert_int_equal(l, LOG_ERROR);
    l = LOG_INFO;
    assert_int_equal(log_level_parse("verbose", &l), -1);
    assert_int_equal(log_level_parse("", &l), -1);
    assert_int_equal(l, LOG_INFO);

    assert_string_equal(log_level_name(LOG_DEBUG), "debug");
    assert_string_equal(log_level_name(LOG_INFO), "info");
    assert_string_equal(log_level_name(LOG_WARN), "warn");
    assert_string_equal(log_level_name(LOG_ERROR), "error");
    assert_string_equal(log_level_name((log_level_t)42), "unknown");

    log_init(1, LOG_WARN, NULL);
    assert_false(log_enabled(LOG_DEBUG));
    assert_false(log_enabled(LOG_INFO));
    assert_true(log_enabled(LOG_WARN));
    assert_true(log_enabled(LOG_ERROR));
    log_init(1, LOG_DEBUG, NULL);
    assert_true(log_enabled(LOG_DEBUG));
}

/* The line parses back into its parts, and the timestamp is now, in UTC. */
static void test_line_format(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    log_init(3, LOG_INFO, f);

    time_t before = time(NULL);
    log_info("listening", " addr=%s:%d", "127.0.0.1", 7379);
    time_t after = time(NULL);

    char *out = slurp(f);
    assert_matches(out, "^ts=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
                        "level=info node=3 event=listening addr=127\\.0\\.0\\.1:7379\n$");

    struct tm tm;
    int ms;
    memset(&tm, 0, sizeof(tm));
    assert_int_equal(sscanf(out, "ts=%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon,
                            &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms),
                     7);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    assert_true(t >= before && t <= after);
    assert_true(ms >= 0 && ms <= 999);
    free(out);
    fclose(f);
}

static int evaluated;

static int side_effect(void)
{
    evaluated++;
    return 7;
}

static void test_level_filter(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    log_init(2, LOG_WARN, f);

    evaluated = 0;
    log_debug("noisy", " x=%d", side_effect()); /* not even evaluated */
    assert_int_equal(evaluated, 0);
    log_info("skipped", " x=1");
    log_warn("slow_disk", " ms=%d", 250);
    log_error("boom", "%s", "");
    log_event(LOG_ERROR, "nofields", NULL);

    char *out = slurp(f);
    assert_matches(out, "^ts=[^ ]+ level=warn node=2 event=slow_disk ms=250\n"
                        "ts=[^ ]+ level=error node=2 event=boom\n"
                        "ts=[^ ]+ level=error node=2 event=nofields\n$");

    log_init(2, LOG_DEBUG, f);
    log_debug("noisy", " x=%d", side_effect());
    assert_int_equal(evaluated, 1);
    free(out);
    fclose(f);
}

/* One event is one line, even if a field smuggles in a newline. */
static void test_newlines_flattened(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    log_init(1, LOG_INFO, f);
    log_info("multi", " msg=%s", "a\nb\r\nc");
    char *out = slurp(f);
    assert_matches(out, "^ts=[^ ]+ level=info node=1 event=multi msg=a b  c\n$");
    free(out);
    fclose(f);
}

static void test_truncation(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    log_init(1, LOG_INFO, f);

    size_t n = 10000;
    char *big = malloc(n + 1);
    memset(big, 'x', n);
    big[n] = '\0';
    log_info("big", " v=%s", big);
    log_info("after", "%s", "");

    char *out = slurp(f);
    char *nl = strchr(out, '\n');
    assert_non_null(nl);
    size_t len = (size_t)(nl - out) + 1;
    assert_int_equal(len, 4096);
    assert_memory_equal(nl - 3, "...", 3);
    assert_memory_equal(out + len - 8, "xxxx...\n", 8);
    assert_matches(nl + 1, "^ts=[^ ]+ level=info node=1 event=after\n$");

    /* An absurdly long event name is cut too. */
    rewind(f);
    assert_int_equal(ftruncate(fileno(f), 0), 0);
    log_info(big, " k=v");
    free(out);
    out = slurp(f);
    assert_int_equal(strlen(out), 4096);
    assert_memory_equal(out + 4092, "...\n", 4);
    free(out);
    free(big);
    fclose(f);
}

/* log_init(..., NULL) writes to stderr. */
static void test_stderr_default(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    fflush(stderr);
    int saved = dup(2);
    assert_true(dup2(fileno(f), 2) >= 0);
    log_init(9, LOG_INFO, NULL);
    log_info("to_stderr", " a=1");
    fflush(stderr);
    assert_true(dup2(saved, 2) >= 0);
    close(saved);

    fseek(f, 0, SEEK_END);
    char *out = slurp(f);
    assert_matches(out, "^ts=[^ ]+ level=info node=9 event=to_stderr a=1\n$");
    free(out);
    fclose(f);
}

static void test_quote(void **state)
{
    (void)state;
    char buf[64];

    assert_string_equal(log_quote(buf, sizeof(buf), "plain", 5), "plain");
    assert_string_equal(log_quote(buf, sizeof(buf), "127.0.0.1:7379", 14), "127.0.0.1:7379");
    assert_string_equal(log_quote(buf, sizeof(buf), "", 0), "\"\"");
    assert_string_equal(log_quote(buf, sizeof(buf), "two words", 9), "\"two words\"");
    assert_string_equal(log_quote(buf, sizeof(buf), "k=v", 3), "\"k=v\"");
    assert_string_equal(log_quote(buf, sizeof(buf), "say \"hi\"", 8), "\"say \\\"hi\\\"\"");
    assert_string_equal(log_quote(buf, sizeof(buf), "a\\b", 3), "\"a\\\\b\"");
    assert_string_equal(log_quote(buf, sizeof(buf), "a\nb", 3), "\"a\\x0ab\"");
    assert_string_equal(log_quote(buf, sizeof(buf), "\x01\x7f\xff", 3), "\"\\x01\\x7f\\xff\"");
    assert_string_equal(log_quote(buf, sizeof(buf), "a\0b", 3), "\"a\\x00b\"");
    assert_string_equal(log_quote(buf, sizeof(buf), "tab\there", 8), "\"tab\\x09here\"");
    /* len is honoured: only the first 3 bytes are used. */
    assert_string_equal(log_quote(buf, sizeof(buf), "abcdef", 3), "abc");

    /* Truncation keeps the result well-formed. */
    char small[8];
    assert_string_equal(log_quote(small, sizeof(small), "abcdefghij", 10), "abcd...");
    assert_string_equal(log_quote(small, sizeof(small), "abcdefgh", 8), "abcd...");
    assert_string_equal(log_quote(small, sizeof(small), "abcdefg", 7), "abcdefg");
    assert_string_equal(log_quote(small, sizeof(small), "abcdef", 6), "abcdef");
    assert_string_equal(log_quote(small, sizeof(small), "a b c d e", 9), "\"a ...\"");
    assert_string_equal(log_quote(small, sizeof(small), "a b c", 5), "\"a b c\"");
    assert_string_equal(log_quote(small, sizeof(small), "\"\"\"\"", 4), "\"\\\"...\"");
    assert_string_equal(log_quote(small, sizeof(small), "\x01\x02", 2), "\"...\"");
    char tiny[3];
    assert_string_equal(log_quote(tiny, sizeof(tiny), "a b", 3), "\"\"");
    assert_string_equal(log_quote(tiny, 2, "a b", 3), "");
    char one[1] = {'x'};
    assert_string_equal(log_quote(one, 1, "abc", 3), "");
    char zero[1] = {'z'};
    log_quote(zero, 0, "abc", 3);
    assert_int_equal(zero[0], 'z');

    /* Every prefix of a nasty input fits its buffer and stays quoted. */
    const char *nasty = "x=\"y\" \\ \x01 end";
    for (size_t cap = 3; cap < 40; cap++) {
        char *b = malloc(cap);
        log_quote(b, cap, nasty, strlen(nasty));
        size_t l = strlen(b);
        assert_true(l < cap);
        assert_true(l >= 2 && b[0] == '"' && b[l - 1] == '"');
        free(b);
    }
}

/* Lines from many threads never interleave. */
#define THREADS 8
#define LINES 2000

static void *writer(void *arg)
{
    int id = (int)(intptr_t)arg;
    char pad[300];
    memset(pad, 'a' + id, sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    for (int i = 0; i < LINES; i++)
        log_info("tick", " thread=%d i=%d pad=%s", id, i, pad);
    return NULL;
}

static void test_concurrent_writers(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    log_init(5, LOG_INFO, f);

    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, writer, (void *)(intptr_t)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);

    char *out = slurp(f);
    int next[THREADS] = {0};
    int lines = 0;
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        int id, i;
        char pad[400];
        int n = sscanf(line, "ts=%*s level=info node=5 event=tick thread=%d i=%d pad=%399s", &id,
                       &i, pad);
        if (n != 3) fail_msg("bad line: %s", line);
        assert_true(id >= 0 && id < THREADS);
        assert_int_equal(i, next[id]); /* in order per thread, none lost */
        next[id]++;
        assert_int_equal(strlen(pad), 299);
        assert_int_equal(pad[0], 'a' + id);
        assert_int_equal(pad[298], 'a' + id);
        lines++;
    }
    assert_int_equal(lines, THREADS * LINES);
    free(out);
    fclose(f);
}

static int teardown(void **state)
{
    (void)state;
    log_init(0, LOG_INFO, NULL);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),       cmocka_unit_test(test_line_format),
        cmocka_unit_test(test_level_filter), cmocka_unit_test(test_newlines_flattened),
        cmocka_unit_test(test_truncation),   cmocka_unit_test(test_stderr_default),
        cmocka_unit_test(test_quote),        cmocka_unit_test(test_concurrent_writers),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
