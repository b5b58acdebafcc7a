/* The generic key commands against a live redraft-server, with the exact
 * reply bytes redis-server 7.0.15 gives: DEL, UNLINK, EXISTS, TYPE, TOUCH,
 * RENAME/RENAMENX, KEYS, SCAN, RANDOMKEY, the EXPIRE family (TTL, PTTL,
 * EXPIRETIME, PERSIST, NX/XX/GT/LT), DBSIZE, FLUSHDB/FLUSHALL; expiry timing
 * (active expiry removes keys nobody reads) and, on a server with active
 * expiry off, expired keys invisible to every read and absent to every
 * write.
 *
 * STRINGS_KEYS_TARGET=redis runs the same tests against redis-server: that
 * is how the expected bytes were checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/itest.h"
#include "support/proc.h"
#include "support/respcmp.h"

static testproc_t srv;
static bool vs_redis;   /* the reference server is the target */
static rc_t *c;         /* the connection of the running test */
static testproc_t *cur; /* the server of the running group */

static int group_setup(void **state)
{
    cur = &srv;
    if (itest_start(&srv, NULL) != 0) {
        fprintf(stderr, "could not start the server under test\n");
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    return proc_finish(&srv);
}

/* Each test: a fresh connection on an empty keyspace. */
static int test_setup(void **state)
{
    return itest_open_flushed(&c, srv.port);
}

static int test_teardown(void **state)
{
    return itest_close_alive(&c, cur);
}

/* ---- DEL, RENAME, KEYS, SCAN, RANDOMKEY ------------------------------------ */

static void test_del_unlink_exists_type(void **state)
{
    E("+OK\r\n", "MSET", "a", "1", "b", "2", "c", "3", "d", "4");
    E(":2\r\n", "DEL", "a", "b", "x");
    E(":0\r\n", "DEL", "a", "b");
    E(":1\r\n", "DEL", "c", "c");
    E(":1\r\n", "UNLINK", "d", "nope");
    E(":0\r\n", "DBSIZE");
    E("+OK\r\n", "MSET", "a", "1", "b", "2");
    E(":2\r\n", "EXISTS", "a", "a");
    E(":3\r\n", "EXISTS", "a", "b", "a", "z");
    E(":0\r\n", "EXISTS", "z");
    E("+string\r\n", "TYPE", "a");
    E("+none\r\n", "TYPE", "z");
    E(":2\r\n", "TOUCH", "a", "b", "z");
    E(":0\r\n", "TOUCH", "z");
    E(ARITY("del"), "DEL");
    E(ARITY("unlink"), "UNLINK");
    E(ARITY("exists"), "EXISTS");
    E(ARITY("type"), "TYPE");
    E(ARITY("type"), "TYPE", "a", "b");
    E(ARITY("touch"), "TOUCH");
    /* a deleted key with a TTL comes back without one */
    E("+OK\r\n", "SET", "t", "v", "EX", "100");
    E(":1\r\n", "DEL", "t");
    E("+OK\r\n", "SET", "t", "v");
    E(":-1\r\n", "TTL", "t");
}

static void test_rename(void **state)
{
    E("-ERR no such key\r\n", "RENAME", "a", "b");
    E("-ERR no such key\r\n", "RENAMENX", "a", "b");
    E("+OK\r\n", "SET", "a", "1");
    E("+OK\r\n", "RENAME", "a", "b");
    E(":0\r\n", "EXISTS", "a");
    E("$1\r\n1\r\n", "GET", "b");
    E("+OK\r\n", "RENAME", "b", "b");
    E("$1\r\n1\r\n", "GET", "b");
    E(":0\r\n", "RENAMENX", "b", "b");
    /* the TTL moves with the value; the destination's TTL is dropped */
    E("+OK\r\n", "SET", "src", "s", "EX", "100");
    E("+OK\r\n", "SET", "dst", "d", "EX", "5000");
    E("+OK\r\n", "RENAME", "src", "dst");
    E("$1\r\ns\r\n", "GET", "dst");
    E(":100\r\n", "TTL", "dst");
    E("+OK\r\n", "SET", "p", "plain");
    E("+OK\r\n", "RENAME", "p", "dst");
    E(":-1\r\n", "TTL", "dst");
    E(":2\r\n", "DBSIZE");
    /* RENAMENX */
    E("+OK\r\n", "SET", "x", "X", "PX", "100000");
    E(":0\r\n", "RENAMENX", "x", "dst");
    E("$1\r\nX\r\n", "GET", "x");
    E("$5\r\nplain\r\n", "GET", "dst");
    E(":1\r\n", "RENAMENX", "x", "y");
    E(":0\r\n", "EXISTS", "x");
    E("$1\r\nX\r\n", "GET", "y");
    assert_between(RCI(c, "PTTL", "y"), 90000, 100000);
    /* binary key names */
    const char *rv[] = {"RENAME", "y", "\0\r\n"};
    const size_t rl[] = {6, 1, 3};
    EXPECTV(c, "+OK\r\n", 3, rv, rl);
    const char *gv[] = {"GET", "\0\r\n"};
    const size_t gl[] = {3, 3};
    EXPECTV(c, "$1\r\nX\r\n", 2, gv, gl);
    E(ARITY("rename"), "RENAME", "a");
    E(ARITY("renamenx"), "RENAMENX", "a", "b", "c");
}

/* KEYS order is unspecified: both sides sorted. */
static void keys_is(const char *pattern, const char *want_sorted)
{
    size_t n;
    const char *argv[] = {"KEYS", pattern};
    const char *r = rc_cmdv(c, 2, argv, NULL, &n);
    assert_non_null(r);
    rbuf_t got = {0};
    if (!resp_sorted(r, n, &got)) {
        char *e = resp_escape(r, n);
        fail_msg("KEYS %s: not an array: %s", pattern, e);
    }
    rbuf_t want = {0};
    assert_true(resp_sorted(want_sorted, strlen(want_sorted), &want));
    if (got.len != want.len || memcmp(got.p, want.p, got.len) != 0) {
        char *g = resp_escape(got.p, got.len), *w = resp_escape(want.p, want.len);
        fail_msg("KEYS %s\n  want %s\n  got  %s", pattern, w, g);
    }
    rbuf_free(&got);
    rbuf_free(&want);
}

static void test_keys(void **state)
{
    E("*0\r\n", "KEYS", "*");
    E("+OK\r\n", "MSET", "hello", "1", "hallo", "1", "hxllo", "1", "hllo", "1", "heeeello", "1", "h*llo", "1",
      "h?llo", "1", "other", "1");
    keys_is("*", "*8\r\n$5\r\nhello\r\n$5\r\nhallo\r\n$5\r\nhxllo\r\n$4\r\nhllo\r\n$8\r\nheeeello\r\n"
                 "$5\r\nh*llo\r\n$5\r\nh?llo\r\n$5\r\nother\r\n");
    keys_is("h?llo", "*5\r\n$5\r\nhello\r\n$5\r\nhallo\r\n$5\r\nhxllo\r\n$5\r\nh*llo\r\n$5\r\nh?llo\r\n");
    keys_is("h*llo", "*7\r\n$5\r\nhello\r\n$5\r\nhallo\r\n$5\r\nhxllo\r\n$4\r\nhllo\r\n$8\r\nheeeello\r\n"
                     "$5\r\nh*llo\r\n$5\r\nh?llo\r\n");
    keys_is("h[ae]llo", "*2\r\n$5\r\nhello\r\n$5\r\nhallo\r\n");
    keys_is("h[^e]llo", "*4\r\n$5\r\nhallo\r\n$5\r\nhxllo\r\n$5\r\nh*llo\r\n$5\r\nh?llo\r\n");
    keys_is("h[a-b]llo", "*1\r\n$5\r\nhallo\r\n");
    keys_is("h\\*llo", "*1\r\n$5\r\nh*llo\r\n");
    keys_is("h\\?llo", "*1\r\n$5\r\nh?llo\r\n");
    keys_is("hello", "*1\r\n$5\r\nhello\r\n");
    keys_is("nomatch*", "*0\r\n");
    keys_is("*o", "*7\r\n$5\r\nhello\r\n$5\r\nhallo\r\n$5\r\nhxllo\r\n$4\r\nhllo\r\n$8\r\nheeeello\r\n"
                  "$5\r\nh*llo\r\n$5\r\nh?llo\r\n");
    keys_is("?????", "*6\r\n$5\r\nhello\r\n$5\r\nhallo\r\n$5\r\nhxllo\r\n$5\r\nh*llo\r\n$5\r\nh?llo\r\n"
                     "$5\r\nother\r\n");
    keys_is("[", "*0\r\n");
    keys_is("", "*0\r\n");
    E(ARITY("keys"), "KEYS");
    /* expired keys are not listed */
    E("+OK\r\n", "SET", "gone", "1", "PXAT", "1");
    keys_is("g*", "*0\r\n");
}

/* Iterates SCAN to cursor 0 with the given options; returns the keys seen
 * (with repeats) as a parsed array node the caller frees, and the number of
 * calls in *calls. */
static rnode_t *scan_all(int nopts, const char *const *opts, int *calls)
{
    rnode_t *all = calloc(1, sizeof(*all));
    all->type = '*';
    char cursor[64] = "0";
    int n = 0;
    do {
        const char *argv[16] = {"SCAN", cursor};
        for (int i = 0; i < nopts; i++) argv[2 + i] = opts[i];
        size_t len;
        const char *r = rc_cmdv(c, 2 + nopts, argv, NULL, &len);
        assert_non_null(r);
        rnode_t *t = rc_parse_reply(r, len);
        if (!t || t->type != '*' || t->n != 2 || t->e[0]->type != '$' || t->e[1]->type != '*') {
            char *e = resp_escape(r, len);
            fail_msg("bad SCAN reply %s", e);
        }
        snprintf(cursor, sizeof(cursor), "%s", t->e[0]->s);
        rnode_t *keys = t->e[1];
        all->e = realloc(all->e, sizeof(*all->e) * (size_t)(all->n + keys->n + 1));
        for (int i = 0; i < keys->n; i++) {
            all->e[all->n++] = keys->e[i];
            keys->e[i] = NULL;
        }
        keys->n = 0;
        rnode_free(t);
        if (++n > 100000) fail_msg("SCAN does not end");
    } while (strcmp(cursor, "0") != 0);
    if (calls) *calls = n;
    return all;
}

/* Every expected key was seen, and nothing else. */
static void assert_scan_set(rnode_t *seen, const char *prefix, int count)
{
    char *hit = calloc((size_t)count, 1);
    for (int i = 0; i < seen->n; i++) {
        const rnode_t *k = seen->e[i];
        size_t pl = strlen(prefix);
        int idx = -1;
        if (k->slen > pl && memcmp(k->s, prefix, pl) == 0) idx = atoi(k->s + pl);
        if (idx < 0 || idx >= count) fail_msg("SCAN returned an unexpected key '%s'", k->s);
        hit[idx] = 1;
    }
    for (int i = 0; i < count; i++)
        if (!hit[i]) fail_msg("SCAN never returned %s%d", prefix, i);
    free(hit);
}

static void test_scan(void **state)
{
    E("*2\r\n$1\r\n0\r\n*0\r\n", "SCAN", "0");
    rbuf_t b = {0};
    for (int i = 0; i < 500; i++) {
        char k[32];
        snprintf(k, sizeof(k), "key:%d", i);
        resp_encodel(&b, "SET", k, "v", (const char *)NULL);
    }
    for (int i = 0; i < 60; i++) {
        char k[32];
        snprintf(k, sizeof(k), "other:%d", i);
        resp_encodel(&b, "SET", k, "v", (const char *)NULL);
    }
    assert_int_equal(rc_write(c, b.p, b.len), 0);
    rbuf_free(&b);
    for (int i = 0; i < 560; i++) {
        const char *r;
        assert_true(rc_read(c, &r) > 0);
        assert_string_equal(r, "+OK\r\n");
    }
    E(":560\r\n", "DBSIZE");

    int calls;
    rnode_t *all = scan_all(0, NULL, &calls);
    assert_true(all->n >= 560);
    rnode_t *keys = calloc(1, sizeof(*keys)); /* split by prefix */
    keys->e = calloc((size_t)all->n, sizeof(*keys->e));
    rnode_t *others = calloc(1, sizeof(*others));
    others->e = calloc((size_t)all->n, sizeof(*others->e));
    for (int i = 0; i < all->n; i++) {
        rnode_t *k = all->e[i];
        if (strncmp(k->s, "key:", 4) == 0) keys->e[keys->n++] = k;
        else others->e[others->n++] = k;
    }
    assert_scan_set(keys, "key:", 500);
    assert_scan_set(others, "other:", 60);
    free(keys->e);
    free(keys);
    free(others->e);
    free(others);
    rnode_free(all);

    const char *o1[] = {"COUNT", "7"};
    all = scan_all(2, o1, &calls);
    assert_true(calls > 1); /* a small COUNT takes several calls */
    assert_true(all->n >= 560);
    rnode_free(all);

    const char *o2[] = {"MATCH", "other:*", "COUNT", "13"};
    all = scan_all(4, o2, &calls);
    assert_scan_set(all, "other:", 60);
    rnode_free(all);

    const char *o3[] = {"MATCH", "key:1?", "TYPE", "string"};
    all = scan_all(4, o3, &calls);
    assert_int_equal(all->n, 10); /* key:10 .. key:19 */
    for (int i = 0; i < all->n; i++) assert_true(strncmp(all->e[i]->s, "key:1", 5) == 0 && all->e[i]->slen == 6);
    rnode_free(all);

    const char *o4[] = {"TYPE", "hash"};
    all = scan_all(2, o4, &calls);
    assert_int_equal(all->n, 0);
    rnode_free(all);

    const char *o5[] = {"type", "STRING", "match", "*", "count", "1000"};
    all = scan_all(6, o5, &calls);
    assert_true(all->n >= 560);
    rnode_free(all);

    E("-ERR invalid cursor\r\n", "SCAN", "abc");
    E("-ERR invalid cursor\r\n", "SCAN", "1x");
    E(SYNTAX, "SCAN", "0", "COUNT", "0");
    E(SYNTAX, "SCAN", "0", "COUNT", "-1");
    E(NOTINT, "SCAN", "0", "COUNT", "x");
    E(SYNTAX, "SCAN", "0", "MATCH");
    E(SYNTAX, "SCAN", "0", "FOO", "bar");
    E(SYNTAX, "SCAN", "0", "COUNT");
    E(ARITY("scan"), "SCAN");
}

static void test_randomkey(void **state)
{
    E("$-1\r\n", "RANDOMKEY");
    E("+OK\r\n", "SET", "only", "1");
    E("$4\r\nonly\r\n", "RANDOMKEY");
    E("+OK\r\n", "MSET", "a", "1", "b", "1", "c", "1");
    bool seen[4] = {0};
    for (int i = 0; i < 200; i++) {
        const char *r = RC(c, "RANDOMKEY");
        assert_non_null(r);
        if (strcmp(r, "$4\r\nonly\r\n") == 0) seen[0] = true;
        else if (strcmp(r, "$1\r\na\r\n") == 0) seen[1] = true;
        else if (strcmp(r, "$1\r\nb\r\n") == 0) seen[2] = true;
        else if (strcmp(r, "$1\r\nc\r\n") == 0) seen[3] = true;
        else fail_msg("RANDOMKEY gave %s", r);
    }
    /* random means more than one key ever comes out */
    assert_true(seen[0] + seen[1] + seen[2] + seen[3] >= 2);
    /* an expired key is never returned */
    E(":1\r\n", "DEL", "only", "x");
    E("+OK\r\n", "FLUSHALL");
    E("+OK\r\n", "SET", "gone", "1", "PXAT", "1");
    E("$-1\r\n", "RANDOMKEY");
    E(ARITY("randomkey"), "RANDOMKEY", "x");
}

/* ---- expiry, DBSIZE, FLUSH ------------------------------------------------- */

static void test_expire_family(void **state)
{
    E(":0\r\n", "EXPIRE", "k", "100");
    E(":0\r\n", "PEXPIRE", "k", "100000");
    E(":0\r\n", "EXPIREAT", "k", "99999999999");
    E(":0\r\n", "PEXPIREAT", "k", "99999999999999");
    E(":-2\r\n", "TTL", "k");
    E(":-2\r\n", "PTTL", "k");
    E(":-2\r\n", "EXPIRETIME", "k");
    E(":-2\r\n", "PEXPIRETIME", "k");
    E(":0\r\n", "PERSIST", "k");
    E("+OK\r\n", "SET", "k", "v");
    E(":-1\r\n", "TTL", "k");
    E(":-1\r\n", "PTTL", "k");
    E(":-1\r\n", "EXPIRETIME", "k");
    E(":-1\r\n", "PEXPIRETIME", "k");
    E(":0\r\n", "PERSIST", "k");
    E(":1\r\n", "EXPIRE", "k", "100");
    E(":100\r\n", "TTL", "k");
    assert_between(RCI(c, "PTTL", "k"), 99000, 100000);
    long long et = RCI(c, "EXPIRETIME", "k");
    assert_between(et, now_ms() / 1000 + 98, now_ms() / 1000 + 101);
    long long pet = RCI(c, "PEXPIRETIME", "k");
    assert_between(pet, now_ms() + 98000, now_ms() + 100001);
    assert_true(pet / 1000 == et || (pet + 999) / 1000 == et);
    E(":1\r\n", "PEXPIRE", "k", "200000");
    E(":200\r\n", "TTL", "k");
    E(":1\r\n", "PERSIST", "k");
    E(":-1\r\n", "TTL", "k");
    E("$1\r\nv\r\n", "GET", "k");
    char at[32];
    snprintf(at, sizeof(at), "%lld", (long long)(now_ms() / 1000 + 500));
    E(":1\r\n", "EXPIREAT", "k", at);
    assert_between(RCI(c, "TTL", "k"), 498, 500);
    snprintf(at, sizeof(at), "%lld", (long long)(now_ms() + 600000));
    E(":1\r\n", "PEXPIREAT", "k", at);
    char want[48];
    snprintf(want, sizeof(want), ":%s\r\n", at);
    const char *r = RC(c, "PEXPIRETIME", "k");
    assert_string_equal(r, want);

    /* NX XX GT LT (a key without TTL counts as an infinite TTL) */
    E("+OK\r\n", "SET", "o", "v");
    E(":0\r\n", "EXPIRE", "o", "100", "XX");
    E(":0\r\n", "EXPIRE", "o", "100", "GT");
    E(":-1\r\n", "TTL", "o");
    E(":1\r\n", "EXPIRE", "o", "100", "LT");
    E(":100\r\n", "TTL", "o");
    E(":0\r\n", "EXPIRE", "o", "50", "NX");
    E(":100\r\n", "TTL", "o");
    E(":1\r\n", "EXPIRE", "o", "200", "XX");
    E(":200\r\n", "TTL", "o");
    E(":0\r\n", "EXPIRE", "o", "100", "GT");
    E(":1\r\n", "EXPIRE", "o", "300", "gt");
    E(":300\r\n", "TTL", "o");
    E(":0\r\n", "EXPIRE", "o", "400", "LT");
    E(":1\r\n", "EXPIRE", "o", "250", "lt");
    E(":250\r\n", "TTL", "o");
    E(":1\r\n", "EXPIRE", "o", "260", "XX", "GT");
    E(":0\r\n", "EXPIRE", "o", "250", "GT", "XX");
    E(":260\r\n", "TTL", "o");
    E(":1\r\n", "PEXPIRE", "o", "270000", "GT");
    E(":270\r\n", "TTL", "o");
    E(":1\r\n", "PERSIST", "o");
    E(":1\r\n", "PEXPIRE", "o", "1000000", "NX");
    E(":1000\r\n", "TTL", "o");
    E("-ERR NX and XX, GT or LT options at the same time are not compatible\r\n", "EXPIRE", "o", "1", "NX", "XX");
    E("-ERR NX and XX, GT or LT options at the same time are not compatible\r\n", "EXPIRE", "o", "1", "NX", "GT");
    E("-ERR NX and XX, GT or LT options at the same time are not compatible\r\n", "PEXPIRE", "o", "1", "LT", "NX");
    E("-ERR GT and LT options at the same time are not compatible\r\n", "EXPIRE", "o", "1", "GT", "LT");
    E("-ERR Unsupported option foo\r\n", "EXPIRE", "o", "1", "foo");
    E("-ERR Unsupported option 1\r\n", "EXPIREAT", "o", "1", "1");
    E(NOTINT, "EXPIRE", "o", "abc");
    E(NOTINT, "EXPIRE", "o", "1.5");
    E(NOTINT, "PEXPIREAT", "o", "");
    E("-ERR invalid expire time in 'expire' command\r\n", "EXPIRE", "o", "9223372036854775807");
    E("-ERR invalid expire time in 'expire' command\r\n", "EXPIRE", "o", "-9223372036854775808");
    E("-ERR invalid expire time in 'pexpire' command\r\n", "PEXPIRE", "o", "9223372036854775807");
    E("-ERR invalid expire time in 'expireat' command\r\n", "EXPIREAT", "o", "9223372036854775807");
    E(":1000\r\n", "TTL", "o"); /* none of the failures changed it */
    E(ARITY("expire"), "EXPIRE", "o");
    E(ARITY("ttl"), "TTL");
    E(ARITY("persist"), "PERSIST");
    E(ARITY("pexpiretime"), "PEXPIRETIME", "a", "b");

    /* a TTL in the past deletes the key */
    E("+OK\r\n", "MSET", "d1", "1", "d2", "1", "d3", "1", "d4", "1", "d5", "1");
    E(":1\r\n", "EXPIRE", "d1", "0");
    E(":1\r\n", "EXPIRE", "d2", "-100");
    E(":1\r\n", "PEXPIRE", "d3", "-1");
    E(":1\r\n", "EXPIREAT", "d4", "1");
    E(":1\r\n", "PEXPIREAT", "d5", "0");
    E(":0\r\n", "EXISTS", "d1", "d2", "d3", "d4", "d5");
    E("*2\r\n$-1\r\n$-1\r\n", "MGET", "d1", "d5");
    /* ... unless a condition refuses the change */
    E("+OK\r\n", "SET", "g", "v");
    E(":0\r\n", "EXPIRE", "g", "-1", "GT");
    E(":0\r\n", "EXPIRE", "g", "-1", "XX");
    E(":1\r\n", "EXISTS", "g");
    E(":1\r\n", "EXPIRE", "g", "-1", "LT");
    E(":0\r\n", "EXISTS", "g");
    E(":2\r\n", "DBSIZE"); /* k and o */
}

static void test_dbsize_flush(void **state)
{
    E(":0\r\n", "DBSIZE");
    E("+OK\r\n", "MSET", "a", "1", "b", "2", "c", "3");
    E("+OK\r\n", "SET", "t", "1", "EX", "100");
    E(":4\r\n", "DBSIZE");
    E("+OK\r\n", "FLUSHDB");
    E(":0\r\n", "DBSIZE");
    E("$-1\r\n", "GET", "a");
    E(":-2\r\n", "TTL", "t");
    E("+OK\r\n", "SET", "a", "1");
    E("+OK\r\n", "FLUSHALL", "ASYNC");
    E(":0\r\n", "DBSIZE");
    E("+OK\r\n", "SET", "a", "1");
    E("+OK\r\n", "FLUSHALL", "sync");
    E(":0\r\n", "DBSIZE");
    E("+OK\r\n", "FLUSHDB", "ASYNC");
    E("+OK\r\n", "FLUSHDB", "SYNC");
    E(SYNTAX, "FLUSHALL", "foo");
    E(SYNTAX, "FLUSHDB", "ASYNC", "SYNC");
    E(ARITY("dbsize"), "DBSIZE", "x");
    /* the keyspace works after a flush (counters restart from zero) */
    E(":1\r\n", "INCR", "n");
    E(":1\r\n", "DBSIZE");
    E("+OK\r\n", "SET", "t", "1", "EX", "100");
    E(":100\r\n", "TTL", "t");
}

/* A key with PX 200 is readable before, invisible right after, and removed
 * by the active expiry cycle without any access. */
static void test_expiry_timing(void **state)
{
    int64_t t0 = now_ms();
    E("+OK\r\n", "SET", "k", "v", "PX", "200");
    const char *r = RC(c, "GET", "k");
    if (now_ms() - t0 < 150) assert_string_equal(r, "$1\r\nv\r\n");
    while (now_ms() < t0 + 230) sleep_ms(5);
    E("$-1\r\n", "GET", "k");
    E(":0\r\n", "EXISTS", "k");
    E(":-2\r\n", "PTTL", "k");

    E("+OK\r\n", "FLUSHALL");
    E("+OK\r\n", "SET", "keep", "1");
    t0 = now_ms();
    rbuf_t b = {0};
    for (int i = 0; i < 50; i++) {
        char k[16];
        snprintf(k, sizeof(k), "e%d", i);
        resp_encodel(&b, "SET", k, "v", "PX", "200", (const char *)NULL);
    }
    resp_encodel(&b, "DBSIZE", (const char *)NULL);
    assert_int_equal(rc_write(c, b.p, b.len), 0);
    rbuf_free(&b);
    for (int i = 0; i < 50; i++) {
        assert_true(rc_read(c, &r) > 0);
        assert_string_equal(r, "+OK\r\n");
    }
    assert_true(rc_read(c, &r) > 0);
    if (now_ms() - t0 < 150) assert_string_equal(r, ":51\r\n");
    /* only DBSIZE from now on: nothing reads the keys */
    long long size = -1;
    while (now_ms() < t0 + 1500) {
        size = RCI(c, "DBSIZE");
        if (size == 1) break;
        sleep_ms(20);
    }
    if (size != 1) fail_msg("DBSIZE still %lld %lld ms after the keys expired", size, (long long)(now_ms() - t0 - 200));
    E("$1\r\n1\r\n", "GET", "keep");
}

/* With active expiry off, expired keys are still invisible to every read
 * and treated as absent by every write. */
static testproc_t na_srv;
static int na_group_setup(void **state)
{
    vs_redis = itest_target_redis();
    cur = &na_srv;
    if (vs_redis) {
        const char *args[] = {"--enable-debug-command", "yes", NULL};
        if (proc_start_redis_args(&na_srv, args) != 0) return -1;
        rc_t *x = rc_open(na_srv.port);
        const char *r = x ? RC(x, "DEBUG", "SET-ACTIVE-EXPIRE", "0") : NULL;
        bool ok = r && strcmp(r, "+OK\r\n") == 0;
        rc_close(x);
        return ok ? 0 : -1;
    }
    const char *args[] = {"--active_expire_keys", "0", NULL};
    return proc_start(&na_srv, args);
}

static int na_group_teardown(void **state)
{
    return proc_finish(&na_srv);
}

static int na_setup(void **state)
{
    c = rc_open(na_srv.port);
    return c ? 0 : -1;
}

static void test_expired_invisible(void **state)
{
    E("+OK\r\n", "MSET", "live1", "1", "live2", "2");
    rbuf_t b = {0};
    const char *names[] = {"k", "s", "n", "a", "x", "g", "d", "r", "nx", "ren", "px", "gx", "t", "sr", "ms"};
    int nn = (int)(sizeof(names) / sizeof(names[0]));
    for (int i = 0; i < nn; i++) resp_encodel(&b, "SET", names[i], "10", "PX", "100", (const char *)NULL);
    assert_int_equal(rc_write(c, b.p, b.len), 0);
    rbuf_free(&b);
    for (int i = 0; i < nn; i++) {
        const char *r;
        assert_true(rc_read(c, &r) > 0);
        assert_string_equal(r, "+OK\r\n");
    }
    sleep_ms(150);
    E("$-1\r\n", "GET", "k");
    E(":0\r\n", "EXISTS", "k", "s", "n");
    E(":-2\r\n", "TTL", "k");
    E(":-2\r\n", "PTTL", "k");
    E(":-2\r\n", "EXPIRETIME", "k");
    E(":-2\r\n", "PEXPIRETIME", "k");
    E(":0\r\n", "STRLEN", "k");
    E("$0\r\n\r\n", "GETRANGE", "k", "0", "-1");
    E("*3\r\n$-1\r\n$1\r\n1\r\n$-1\r\n", "MGET", "k", "live1", "s");
    E("+none\r\n", "TYPE", "k");
    E(":0\r\n", "TOUCH", "k");
    E(":0\r\n", "PERSIST", "k");
    E(":0\r\n", "EXPIRE", "k", "100");
    E(":0\r\n", "PEXPIRE", "k", "100", "NX");
    keys_is("*", "*2\r\n$5\r\nlive1\r\n$5\r\nlive2\r\n");
    const char *o[] = {"COUNT", "3"};
    rnode_t *all = scan_all(2, o, NULL);
    for (int i = 0; i < all->n; i++)
        if (strncmp(all->e[i]->s, "live", 4) != 0) fail_msg("SCAN returned expired key %s", all->e[i]->s);
    rnode_free(all);
    for (int i = 0; i < 100; i++) {
        const char *r = RC(c, "RANDOMKEY");
        assert_non_null(r);
        if (strcmp(r, "$5\r\nlive1\r\n") != 0 && strcmp(r, "$5\r\nlive2\r\n") != 0)
            fail_msg("RANDOMKEY returned %s", r);
    }
    E("-ERR no such key\r\n", "RENAME", "ren", "dst");
    E("-ERR no such key\r\n", "RENAMENX", "ren", "dst");
    E(":0\r\n", "DEL", "d");
    E(":0\r\n", "UNLINK", "d");
    /* writes see the key as absent */
    E(":1\r\n", "SETNX", "s", "new");
    E(":-1\r\n", "TTL", "s");
    E(":1\r\n", "INCR", "n");
    E(":-1\r\n", "TTL", "n");
    E(":1\r\n", "APPEND", "a", "z");
    E("$1\r\nz\r\n", "GET", "a");
    E("$-1\r\n", "SET", "x", "v", "XX");
    E(":0\r\n", "EXISTS", "x");
    E("$-1\r\n", "GETSET", "g", "v");
    E("$1\r\nv\r\n", "GET", "g");
    E("+OK\r\n", "SET", "nx", "v", "NX");
    E("$-1\r\n", "GETDEL", "r");
    E("$-1\r\n", "GETEX", "gx", "PERSIST");
    E(":0\r\n", "EXISTS", "gx");
    E("$-1\r\n", "SET", "px", "v", "GET");
    E(":-1\r\n", "TTL", "px");
    E("$3\r\n1.5\r\n", "INCRBYFLOAT", "t", "1.5");
    E(":3\r\n", "SETRANGE", "sr", "2", "x");
    E("$3\r\n\0\0x\r\n", "GET", "sr");
    E(":1\r\n", "MSETNX", "ms", "1");
    E(":1\r\n", "RENAMENX", "live2", "ren");
    E("+OK\r\n", "FLUSHALL");
}

/* A burst of keys expiring together is deleted at the pace of the log,
 * not one batch per interval: with 10 keys a cycle every second, 200 keys
 * took 20 s before a full batch brought the next cycle forward (a tenth of
 * the interval). INFO counts them in expired_keys. */
static testproc_t burst_srv;
static int burst_group_setup(void **state)
{
    cur = &burst_srv;
    if (itest_target_redis()) return 0; /* redraft's configuration */
    const char *args[] = {"--active_expire_keys", "10", "--active_expire_interval_ms", "1000", NULL};
    return proc_start(&burst_srv, args);
}

static int burst_group_teardown(void **state)
{
    return itest_target_redis() ? 0 : proc_finish(&burst_srv);
}

static int burst_setup(void **state)
{
    if (itest_target_redis()) return 0;
    c = rc_open(burst_srv.port);
    return c ? 0 : -1;
}

static int burst_teardown(void **state)
{
    return itest_target_redis() ? 0 : itest_close_alive(&c, cur);
}

static void test_expiry_burst(void **state)
{
    if (itest_target_redis()) skip();
    enum { KEYS = 200 };
    rbuf_t b = {0};
    for (int i = 0; i < KEYS; i++) {
        char k[16];
        snprintf(k, sizeof(k), "b%d", i);
        resp_encodel(&b, "SET", k, "v", "PX", "100", (const char *)NULL);
    }
    assert_int_equal(rc_write(c, b.p, b.len), 0);
    rbuf_free(&b);
    for (int i = 0; i < KEYS; i++) {
        const char *r;
        assert_true(rc_read(c, &r) > 0);
        assert_string_equal(r, "+OK\r\n");
    }
    int64_t t0 = now_ms();
    long long size = -1;
    while (now_ms() < t0 + 8000) {
        size = RCI(c, "DBSIZE");
        if (size == 0) break;
        sleep_ms(50);
    }
    if (size != 0) fail_msg("DBSIZE still %lld after %lld ms", size, (long long)(now_ms() - t0));
    const char *info = RC(c, "INFO", "stats");
    assert_non_null(strstr(info, "\r\nexpired_keys:200\r\n"));
}

int main(void)
{
    const struct CMUnitTest main_tests[] = {
        cmocka_unit_test_setup_teardown(test_del_unlink_exists_type, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_rename, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_keys, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_scan, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_randomkey, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_expire_family, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_dbsize_flush, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_expiry_timing, test_setup, test_teardown),
    };
    const struct CMUnitTest noactive_tests[] = {
        cmocka_unit_test_setup_teardown(test_expired_invisible, na_setup, test_teardown),
    };
    const struct CMUnitTest burst_tests[] = {
        cmocka_unit_test_setup_teardown(test_expiry_burst, burst_setup, burst_teardown),
    };
    int failed = cmocka_run_group_tests_name("keys", main_tests, group_setup, group_teardown);
    failed += cmocka_run_group_tests_name("expired_invisible", noactive_tests, na_group_setup, na_group_teardown);
    failed += cmocka_run_group_tests_name("expiry_burst", burst_tests, burst_group_setup, burst_group_teardown);
    return failed ? 1 : 0;
}
