/* Set commands against a real RocksDB keyspace. Expected replies were
 * checked against redis-server 7.0.15; only member order differs (ours is
 * byte order, which lets these tests spell whole replies out). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/coll.h"

#define CT_SHORT_NAMES
#include "support/cmdtest.h"

/* ---- reading replies ------------------------------------------------------------- */

/* The last reply as an aggregate of bulk strings, copied as C strings
 * (members in these tests hold no NUL). */
typedef struct strs {
    char *s[512];
    size_t n;
} strs_t;

static void strs_free(strs_t *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->s[i]);
    v->n = 0;
}

static strs_t last_strs(cmdtest_t *t, char type)
{
    strs_t v = {0};
    size_t pos = 0;
    size_t n = read_agg(t->out, t->outlen, &pos, type);
    assert_true(n <= 512);
    for (size_t i = 0; i < n; i++) {
        bulk_t b = read_bulk(t->out, t->outlen, &pos);
        v.s[i] = strndup(b.p, b.len);
    }
    v.n = n;
    assert_int_equal(pos, t->outlen);
    return v;
}

static bool strs_has(const strs_t *v, const char *s)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->s[i], s) == 0) return true;
    return false;
}

/* Adds members m0..m<n-1> to key in one SADD. */
static void fill_set(cmdtest_t *t, const char *key, int n)
{
    const char *argv[260];
    size_t lens[260];
    char names[256][16];
    assert_true(n <= 256);
    argv[0] = "SADD";
    argv[1] = key;
    for (int i = 0; i < n; i++) {
        snprintf(names[i], sizeof(names[i]), "m%03d", i);
        argv[2 + i] = names[i];
    }
    for (int i = 0; i < n + 2; i++)
        lens[i] = strlen(argv[i]);
    char want[32];
    snprintf(want, sizeof(want), ":%d\r\n", n);
    EQ(ct_run(t, true, true, n + 2, argv, lens), want);
}

/* ---- tests ------------------------------------------------------------------------- */

static void test_sadd_srem_members(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SADD", "s", "b", "a", "c"), ":3\r\n");
    EQ(W("SADD", "s", "c", "d", "d"), ":1\r\n"); /* a repeat within one call counts once */
    EQ(R("SCARD", "s"), ":4\r\n");
    EQ(R("TYPE", "s"), "+set\r\n");
    EQ(R("SMEMBERS", "s"), "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n");
    EQ(R("SISMEMBER", "s", "a"), ":1\r\n");
    EQ(R("SISMEMBER", "s", "x"), ":0\r\n");
    EQ(R("SISMEMBER", "nokey", "x"), ":0\r\n");
    EQ(R("SMISMEMBER", "s", "a", "x", "d"), "*3\r\n:1\r\n:0\r\n:1\r\n");
    EQ(R("SMISMEMBER", "nokey", "a", "b"), "*2\r\n:0\r\n:0\r\n");
    EQ(R("SMEMBERS", "nokey"), "*0\r\n");
    EQ(R("SCARD", "nokey"), ":0\r\n");
    COUNTERS(1, 0);
    assert_int_equal(ct_count_prefix(t, 's'), 4);

    EQ(W("SREM", "s", "a", "x", "a"), ":1\r\n");
    EQ(W("SREM", "nokey", "a"), ":0\r\n");
    EQ(W("SREM", "s", "zz"), ":0\r\n");
    EQ(R("SCARD", "s"), ":3\r\n");
    /* the last member takes the key with it */
    EQ(W("SREM", "s", "b", "c", "d"), ":3\r\n");
    EQ(R("EXISTS", "s"), ":0\r\n");
    EQ(R("TYPE", "s"), "+none\r\n");
    COUNTERS(0, 0);
    assert_int_equal(ct_count_prefix(t, 's'), 0);

    /* a set with a TTL keeps it through SADD and SREM */
    EQ(W("SADD", "e", "1", "2"), ":2\r\n");
    EQ(W("EXPIRE", "e", "100"), ":1\r\n");
    EQ(W("SADD", "e", "3"), ":1\r\n");
    EQ(W("SREM", "e", "1"), ":1\r\n");
    EQ(R("TTL", "e"), ":100\r\n");
    COUNTERS(1, 1);
    /* once expired it is gone, and a new SADD starts from nothing */
    t->now_ms += 100001;
    EQ(R("SCARD", "e"), ":0\r\n");
    EQ(W("SADD", "e", "9"), ":1\r\n");
    EQ(R("SMEMBERS", "e"), "*1\r\n$1\r\n9\r\n");
    EQ(R("TTL", "e"), ":-1\r\n");
    COUNTERS(1, 0);

    EQ(W("SADD", "s"), "-ERR wrong number of arguments for 'sadd' command\r\n");
    EQ(W("SREM", "s"), "-ERR wrong number of arguments for 'srem' command\r\n");
    EQ(R("SMISMEMBER", "s"), "-ERR wrong number of arguments for 'smismember' command\r\n");
    EQ(R("SMEMBERS", "s", "t"), "-ERR wrong number of arguments for 'smembers' command\r\n");
}

static void test_wrongtype(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SET", "str", "x"), "+OK\r\n");
    ct_put_collection(t, "h", 1, OBJ_HASH, 1, 0);
    EQ(W("SADD", "s", "1"), ":1\r\n");
    const char *keys[] = {"str", "h"};
    for (int i = 0; i < 2; i++) {
        const char *k = keys[i];
        EQ(W("SADD", k, "1"), WRONGTYPE);
        EQ(W("SREM", k, "1"), WRONGTYPE);
        EQ(R("SMEMBERS", k), WRONGTYPE);
        EQ(R("SISMEMBER", k, "1"), WRONGTYPE);
        EQ(R("SMISMEMBER", k, "1"), WRONGTYPE);
        EQ(R("SCARD", k), WRONGTYPE);
        EQ(W("SPOP", k), WRONGTYPE);
        EQ(W("SPOP", k, "0"), WRONGTYPE);
        EQ(W("SPOP", k, "3"), WRONGTYPE);
        EQ(R("SRANDMEMBER", k), WRONGTYPE);
        EQ(R("SRANDMEMBER", k, "0"), WRONGTYPE);
        EQ(R("SRANDMEMBER", k, "-3"), WRONGTYPE);
        /* a wrong type anywhere among the sources, even after a missing key */
        EQ(R("SINTER", "nokey", k), WRONGTYPE);
        EQ(R("SINTER", "s", k), WRONGTYPE);
        EQ(R("SUNION", "nokey", k), WRONGTYPE);
        EQ(R("SDIFF", "nokey", k), WRONGTYPE);
        EQ(R("SDIFF", "s", k), WRONGTYPE);
        EQ(R("SINTERCARD", "2", "nokey", k), WRONGTYPE);
        EQ(W("SINTERSTORE", "d", "nokey", k), WRONGTYPE);
        EQ(W("SUNIONSTORE", "d", "s", k), WRONGTYPE);
        EQ(W("SDIFFSTORE", "d", k), WRONGTYPE);
        EQ(R("SSCAN", k, "0"), WRONGTYPE);
        EQ(R("SSCAN", k, "0", "COUNT", "0"), WRONGTYPE); /* the key is checked before the options */
        /* SMOVE: either side of the wrong type, unless the source is missing */
        EQ(W("SMOVE", k, "s", "1"), WRONGTYPE);
        EQ(W("SMOVE", "s", k, "1"), WRONGTYPE);
        EQ(W("SMOVE", "s", k, "nonmember"), WRONGTYPE);
        EQ(W("SMOVE", "nokey", k, "1"), ":0\r\n");
    }
    EQ(R("GET", "str"), "$1\r\nx\r\n");
    EQ(R("SMEMBERS", "s"), "*1\r\n$1\r\n1\r\n");
    EQ(R("EXISTS", "d"), ":0\r\n");
    COUNTERS(3, 0);
}

static void test_argument_errors(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SADD", "s", "a", "b", "c"), ":3\r\n");
    /* SPOP: a bad count wins over the key, in the same words for a
     * non-number as for a negative number */
    EQ(W("SPOP", "s", "-1"), POSITIVE);
    EQ(W("SPOP", "s", "x"), POSITIVE);
    EQ(W("SPOP", "nokey", "x"), POSITIVE);
    EQ(W("SPOP", "s", "1", "2"), SYNTAX);
    EQ(W("SPOP"), "-ERR wrong number of arguments for 'spop' command\r\n");
    /* SRANDMEMBER */
    EQ(R("SRANDMEMBER", "s", "x"), NOTINT);
    EQ(R("SRANDMEMBER", "nokey", "x"), NOTINT);
    EQ(R("SRANDMEMBER", "s", "-0"), NOTINT);
    EQ(R("SRANDMEMBER", "s", "1", "2"), SYNTAX);
    EQ(R("SRANDMEMBER", "s", "-9223372036854775808"),
       "-ERR value is out of range, value must between -9223372036854775807 and "
       "9223372036854775807\r\n");
    /* SINTERCARD */
    EQ(R("SINTERCARD", "0", "s"), "-ERR numkeys should be greater than 0\r\n");
    EQ(R("SINTERCARD", "-1", "s"), "-ERR numkeys should be greater than 0\r\n");
    EQ(R("SINTERCARD", "x", "s"), "-ERR numkeys should be greater than 0\r\n");
    EQ(R("SINTERCARD", "99999999999999999999", "s"), "-ERR numkeys should be greater than 0\r\n");
    EQ(R("SINTERCARD", "3", "a", "b"),
       "-ERR Number of keys can't be greater than number of args\r\n");
    EQ(R("SINTERCARD", "1", "s", "LIMIT"), SYNTAX);
    EQ(R("SINTERCARD", "1", "s", "foo", "1"), SYNTAX);
    EQ(R("SINTERCARD", "1", "s", "limit", "1", "x"), SYNTAX);
    EQ(R("SINTERCARD", "1", "s", "LIMIT", "-1"), "-ERR LIMIT can't be negative\r\n");
    EQ(R("SINTERCARD", "1", "s", "LIMIT", "x"), "-ERR LIMIT can't be negative\r\n");
    EQ(W("SET", "str", "v"), "+OK\r\n");
    EQ(R("SINTERCARD", "1", "str", "LIMIT", "x"), "-ERR LIMIT can't be negative\r\n");
    EQ(R("SINTERCARD", "1"), "-ERR wrong number of arguments for 'sintercard' command\r\n");
    /* SSCAN: cursor first, then the key, then the options */
    EQ(R("SSCAN", "s", "x"), "-ERR invalid cursor\r\n");
    EQ(R("SSCAN", "nokey", "x"), "-ERR invalid cursor\r\n");
    EQ(R("SSCAN", "s", "18446744073709551616"), "-ERR invalid cursor\r\n");
    EQ(R("SSCAN", "nokey", "0", "COUNT", "0"), "*2\r\n$1\r\n0\r\n*0\r\n");
    EQ(R("SSCAN", "s", "0", "COUNT", "0"), SYNTAX);
    EQ(R("SSCAN", "s", "0", "COUNT", "-1"), SYNTAX);
    EQ(R("SSCAN", "s", "0", "COUNT", "x"), NOTINT);
    EQ(R("SSCAN", "s", "0", "MATCH"), SYNTAX);
    EQ(R("SSCAN", "s", "0", "TYPE", "set"), SYNTAX);
    EQ(R("SSCAN", "s", "0", "NOVALUE"), SYNTAX);
    /* cursors Redis's strtoul accepts */
    const char *all = "*2\r\n$1\r\n0\r\n*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n";
    EQ(R("SSCAN", "s", ""), all);
    EQ(R("SSCAN", "s", "-1"), all);
    EQ(R("SSCAN", "s", "18446744073709551615"), all);
    EQ(R("SMEMBERS", "s"), "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
    COUNTERS(2, 0);
}

static void test_spop(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SPOP", "nokey"), "$-1\r\n");
    EQ(W("SPOP", "nokey", "2"), "*0\r\n");
    fill_set(t, "s", 50);
    EQ(W("SPOP", "s", "0"), "*0\r\n");

    /* one member: gone afterwards */
    W("SPOP", "s");
    size_t pos = 0;
    bulk_t b = read_bulk(t->out, t->outlen, &pos);
    char popped[16];
    assert_true(b.len == 4);
    memcpy(popped, b.p, 4);
    popped[4] = '\0';
    EQ(R("SISMEMBER", "s", popped), ":0\r\n");
    EQ(R("SCARD", "s"), ":49\r\n");

    /* with a count: distinct members, all gone afterwards */
    W("SPOP", "s", "10");
    strs_t v = last_strs(t, '*');
    assert_int_equal(v.n, 10);
    for (size_t i = 0; i < v.n; i++) {
        EQ(R("SISMEMBER", "s", v.s[i]), ":0\r\n");
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(v.s[i], v.s[j]);
        assert_string_not_equal(v.s[i], popped);
    }
    strs_free(&v);
    EQ(R("SCARD", "s"), ":39\r\n");
    assert_int_equal(ct_count_prefix(t, 's'), 39);
    COUNTERS(1, 0);

    /* a count of at least the size pops everything and deletes the key */
    W("SPOP", "s", "1000");
    v = last_strs(t, '*');
    assert_int_equal(v.n, 39);
    strs_free(&v);
    EQ(R("EXISTS", "s"), ":0\r\n");
    COUNTERS(0, 0);
    /* its members were left behind for compaction: a new set under the
     * same name must not see them */
    EQ(W("SADD", "s", "m001", "new"), ":2\r\n");
    EQ(R("SMEMBERS", "s"), "*2\r\n$4\r\nm001\r\n$3\r\nnew\r\n");
    EQ(R("SSCAN", "s", "0"), "*2\r\n$1\r\n0\r\n*2\r\n$4\r\nm001\r\n$3\r\nnew\r\n");
    EQ(W("DEL", "s"), ":1\r\n");

    /* the last member popped alone also deletes the key; the TTL is kept
     * while members remain */
    EQ(W("SADD", "one", "x", "y"), ":2\r\n");
    EQ(W("EXPIRE", "one", "50"), ":1\r\n");
    W("SPOP", "one");
    EQ(R("TTL", "one"), ":50\r\n");
    COUNTERS(1, 1);
    W("SPOP", "one");
    EQ(R("EXISTS", "one"), ":0\r\n");
    COUNTERS(0, 0);

    t->proto = 3;
    EQ(W("SPOP", "nokey"), "_\r\n");
    EQ(W("SPOP", "nokey", "3"), "~0\r\n");
    EQ(W("SADD", "r3", "a"), ":1\r\n");
    EQ(W("SPOP", "r3", "0"), "~0\r\n");
    EQ(W("SPOP", "r3", "5"), "~1\r\n$1\r\na\r\n");
    t->proto = 2;
}

/* Pops everything from a 100-member set, one or three at a time,
 * recording the replies in order. */
static void spop_sequence(cmdtest_t *t, char *out, size_t outcap)
{
    fill_set(t, "s", 100);
    size_t len = 0;
    for (int i = 0; i < 40; i++) {
        if (i % 2)
            W("SPOP", "s", "3");
        else
            W("SPOP", "s");
        assert_true(len + t->outlen < outcap);
        memcpy(out + len, t->out, t->outlen);
        len += t->outlen;
    }
    out[len] = '\0';
}

/* SPOP is applied on every replica: the same entry must pop the same
 * members, wherever and whenever it is applied. */
static void test_spop_deterministic(void **state)
{
    cmdtest_t *t = *state;
    static char a[16384], b[16384], c[16384];
    spop_sequence(t, a, sizeof(a));
    cmdtest_t *t2 = ct_open();
    t2->now_ms = CT_T0 + 987654; /* time plays no part */
    spop_sequence(t2, b, sizeof(b));
    ct_close(t2);
    assert_string_equal(a, b);
    EQ(R("SCARD", "s"), ":20\r\n");

    /* another position in the log draws other members */
    cmdtest_t *t3 = ct_open();
    EQ(CT_W(t3, "SET", "shift", "1"), "+OK\r\n");
    spop_sequence(t3, c, sizeof(c));
    ct_close(t3);
    assert_string_not_equal(a, c);
}

static void test_srandmember(void **state)
{
    cmdtest_t *t = *state;
    EQ(R("SRANDMEMBER", "nokey"), "$-1\r\n");
    EQ(R("SRANDMEMBER", "nokey", "3"), "*0\r\n");
    EQ(R("SRANDMEMBER", "nokey", "-3"), "*0\r\n");
    fill_set(t, "s", 20);
    EQ(R("SRANDMEMBER", "s", "0"), "*0\r\n");

    /* no count: a member; over many draws, more than one of them */
    strs_t seen = {0};
    for (int i = 0; i < 200; i++) {
        R("SRANDMEMBER", "s");
        size_t pos = 0;
        bulk_t b = read_bulk(t->out, t->outlen, &pos);
        char m[16];
        assert_int_equal(b.len, 4);
        memcpy(m, b.p, 4);
        m[4] = '\0';
        assert_true(m[0] == 'm' && atoi(m + 1) < 20);
        if (!strs_has(&seen, m)) seen.s[seen.n++] = strdup(m);
    }
    assert_true(seen.n > 10);
    strs_free(&seen);

    /* a positive count: distinct members */
    R("SRANDMEMBER", "s", "7");
    strs_t v = last_strs(t, '*');
    assert_int_equal(v.n, 7);
    for (size_t i = 0; i < v.n; i++)
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(v.s[i], v.s[j]);
    strs_free(&v);
    /* at least the size: the whole set */
    R("SRANDMEMBER", "s", "20");
    v = last_strs(t, '*');
    assert_int_equal(v.n, 20);
    strs_free(&v);
    R("SRANDMEMBER", "s", "1000");
    v = last_strs(t, '*');
    assert_int_equal(v.n, 20);
    for (int i = 0; i < 20; i++) {
        char m[16];
        snprintf(m, sizeof(m), "m%03d", i);
        assert_true(strs_has(&v, m));
    }
    strs_free(&v);
    /* negative: that many, repeats allowed */
    R("SRANDMEMBER", "s", "-300");
    v = last_strs(t, '*');
    assert_int_equal(v.n, 300);
    for (size_t i = 0; i < v.n; i++)
        assert_true(v.s[i][0] == 'm' && atoi(v.s[i] + 1) < 20);
    strs_free(&v);
    EQ(R("SCARD", "s"), ":20\r\n"); /* a read changes nothing */

    t->proto = 3;
    EQ(R("SRANDMEMBER", "nokey"), "_\r\n");
    EQ(R("SRANDMEMBER", "nokey", "2"), "*0\r\n"); /* an array in RESP3 too */
    R("SRANDMEMBER", "s", "2");
    v = last_strs(t, '*');
    assert_int_equal(v.n, 2);
    strs_free(&v);
    t->proto = 2;
}

static void test_smove(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SADD", "src", "a", "b"), ":2\r\n");
    EQ(W("SMOVE", "nokey", "dst", "a"), ":0\r\n");
    EQ(W("SMOVE", "src", "dst", "x"), ":0\r\n");
    EQ(R("EXISTS", "dst"), ":0\r\n");
    EQ(W("SMOVE", "src", "src", "a"), ":1\r\n");
    EQ(W("SMOVE", "src", "src", "x"), ":0\r\n");
    EQ(W("SMOVE", "src", "dst", "a"), ":1\r\n");
    EQ(R("SMEMBERS", "src"), "*1\r\n$1\r\nb\r\n");
    EQ(R("SMEMBERS", "dst"), "*1\r\n$1\r\na\r\n");
    COUNTERS(2, 0);
    /* already in the destination: only removed from the source, which
     * goes when empty */
    EQ(W("SADD", "dst", "b"), ":1\r\n");
    EQ(W("EXPIRE", "dst", "100"), ":1\r\n");
    EQ(W("SMOVE", "src", "dst", "b"), ":1\r\n");
    EQ(R("EXISTS", "src"), ":0\r\n");
    EQ(R("SMEMBERS", "dst"), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    EQ(R("TTL", "dst"), ":100\r\n"); /* the destination keeps its TTL */
    COUNTERS(1, 1);
    assert_int_equal(ct_count_prefix(t, 's'), 2);
}

static void test_setops(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SADD", "a", "x", "y", "z", "1"), ":4\r\n");
    EQ(W("SADD", "b", "y", "z", "w"), ":3\r\n");
    EQ(W("SADD", "c", "z"), ":1\r\n");
    EQ(R("SINTER", "a", "b"), "*2\r\n$1\r\ny\r\n$1\r\nz\r\n");
    EQ(R("SINTER", "a", "b", "c"), "*1\r\n$1\r\nz\r\n");
    EQ(R("SINTER", "a", "b", "nokey"), "*0\r\n");
    EQ(R("SINTER", "a"), "*4\r\n$1\r\n1\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n");
    EQ(R("SINTER", "a", "a"), "*4\r\n$1\r\n1\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n");
    EQ(R("SUNION", "a", "b", "c"), "*5\r\n$1\r\n1\r\n$1\r\nw\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n");
    EQ(R("SUNION", "nokey", "c"), "*1\r\n$1\r\nz\r\n");
    EQ(R("SUNION", "nokey"), "*0\r\n");
    EQ(R("SDIFF", "a", "b"), "*2\r\n$1\r\n1\r\n$1\r\nx\r\n");
    EQ(R("SDIFF", "a", "b", "nokey", "c"), "*2\r\n$1\r\n1\r\n$1\r\nx\r\n");
    EQ(R("SDIFF", "a", "a"), "*0\r\n");
    EQ(R("SDIFF", "nokey", "a"), "*0\r\n");
    EQ(R("SDIFF", "c", "nokey"), "*1\r\n$1\r\nz\r\n");
    EQ(R("SINTERCARD", "2", "a", "b"), ":2\r\n");
    EQ(R("SINTERCARD", "2", "a", "b", "LIMIT", "1"), ":1\r\n");
    EQ(R("SINTERCARD", "2", "a", "b", "LIMIT", "0"), ":2\r\n");
    EQ(R("SINTERCARD", "1", "a", "limit", "1", "LIMIT", "3"), ":3\r\n");
    EQ(R("SINTERCARD", "2", "a", "nokey"), ":0\r\n");
    EQ(R("SINTERCARD", "1", "nokey"), ":0\r\n");

    t->proto = 3;
    EQ(R("SINTER", "a", "b"), "~2\r\n$1\r\ny\r\n$1\r\nz\r\n");
    EQ(R("SINTER", "a", "nokey"), "~0\r\n");
    EQ(R("SMEMBERS", "nokey"), "~0\r\n");
    EQ(R("SMEMBERS", "c"), "~1\r\n$1\r\nz\r\n");
    EQ(R("SUNION", "nokey"), "~0\r\n");
    EQ(R("SDIFF", "a", "a"), "~0\r\n");
    EQ(R("SMISMEMBER", "c", "z", "q"), "*2\r\n:1\r\n:0\r\n"); /* integers, not booleans */
    EQ(R("SSCAN", "c", "0"), "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nz\r\n");
    EQ(R("SINTERCARD", "1", "c"), ":1\r\n");
    t->proto = 2;
    COUNTERS(3, 0);
}

/* The STORE forms replace the destination whatever it holds, drop its
 * TTL, and delete it when the result is empty. */
static void test_store(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SADD", "a", "x", "y", "z"), ":3\r\n");
    EQ(W("SADD", "b", "y", "z", "w"), ":3\r\n");
    EQ(W("SINTERSTORE", "d", "a", "b"), ":2\r\n");
    EQ(R("SMEMBERS", "d"), "*2\r\n$1\r\ny\r\n$1\r\nz\r\n");
    EQ(W("SUNIONSTORE", "d", "a", "b"), ":4\r\n");
    EQ(R("SMEMBERS", "d"), "*4\r\n$1\r\nw\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n");
    EQ(W("SDIFFSTORE", "d", "a", "b"), ":1\r\n");
    EQ(R("SMEMBERS", "d"), "*1\r\n$1\r\nx\r\n");
    COUNTERS(3, 0);

    /* over a string with a TTL: replaced, TTL gone */
    EQ(W("SET", "str", "v", "EX", "100"), "+OK\r\n");
    COUNTERS(4, 1);
    EQ(W("SUNIONSTORE", "str", "a"), ":3\r\n");
    EQ(R("TYPE", "str"), "+set\r\n");
    EQ(R("TTL", "str"), ":-1\r\n");
    COUNTERS(4, 0);
    /* over a set with a TTL */
    EQ(W("EXPIRE", "str", "100"), ":1\r\n");
    EQ(W("SINTERSTORE", "str", "a", "b"), ":2\r\n");
    EQ(R("TTL", "str"), ":-1\r\n");
    COUNTERS(4, 0);
    /* an empty result deletes the destination, of any type */
    EQ(W("SDIFFSTORE", "str", "a", "a"), ":0\r\n");
    EQ(R("EXISTS", "str"), ":0\r\n");
    EQ(W("SET", "str", "v", "EX", "100"), "+OK\r\n");
    EQ(W("SINTERSTORE", "str", "a", "nokey"), ":0\r\n");
    EQ(R("EXISTS", "str"), ":0\r\n");
    EQ(W("SUNIONSTORE", "nothing", "nokey"), ":0\r\n");
    EQ(R("EXISTS", "nothing"), ":0\r\n");
    COUNTERS(3, 0);
    /* a destination that is also a source is read as it was */
    EQ(W("SUNIONSTORE", "a", "a", "b"), ":4\r\n");
    EQ(R("SMEMBERS", "a"), "*4\r\n$1\r\nw\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n");
    EQ(W("SDIFFSTORE", "a", "a", "d"), ":3\r\n");
    EQ(R("SMEMBERS", "a"), "*3\r\n$1\r\nw\r\n$1\r\ny\r\n$1\r\nz\r\n");
    EQ(W("SINTERSTORE", "b", "b", "d"), ":0\r\n");
    EQ(R("EXISTS", "b"), ":0\r\n");
    COUNTERS(2, 0);
    EQ(W("SINTERSTORE", "d"), "-ERR wrong number of arguments for 'sinterstore' command\r\n");
}

/* Members named m000.. seen by a full SSCAN (one call after another until
 * cursor 0). Returns the number of calls. */
static int sscan_all(cmdtest_t *t, const char *key, const char *count, const char *match, int *seen,
                     int nseen, void (*between)(cmdtest_t *, int))
{
    uint64_t cur = 0;
    int calls = 0;
    do {
        const char *opts[4] = {"COUNT", count, "MATCH", match};
        size_t pos, n;
        cur = ct_scan(t, "SSCAN", key, cur, opts, match ? 4 : 2, &pos, &n);
        for (size_t i = 0; i < n; i++) {
            bulk_t b = read_bulk(t->out, t->outlen, &pos);
            int idx;
            assert_true(b.len == 4 && b.p[0] == 'm' && sscanf(b.p + 1, "%3d", &idx) == 1);
            assert_true(idx >= 0 && idx < nseen);
            seen[idx]++;
        }
        assert_int_equal(pos, t->outlen);
        if (between) between(t, calls);
        calls++;
        assert_true(calls < 10000);
    } while (cur != 0);
    return calls;
}

/* Changes the set between SSCAN calls: removes m1xx members and adds
 * m2xx ones; m0xx stay throughout. */
static void churn(cmdtest_t *t, int call)
{
    char m[16];
    snprintf(m, sizeof(m), "m%03d", 100 + call);
    W("SREM", "s", m);
    snprintf(m, sizeof(m), "m%03d", 200 + call % 50);
    W("SADD", "s", m);
}

static void test_sscan(void **state)
{
    cmdtest_t *t = *state;
    fill_set(t, "s", 150);
    int seen[256];
    /* every member exactly once, whatever COUNT */
    const char *counts[] = {"1", "7", "10", "150", "1000"};
    for (int k = 0; k < 5; k++) {
        memset(seen, 0, sizeof(seen));
        int calls = sscan_all(t, "s", counts[k], NULL, seen, 256, NULL);
        for (int i = 0; i < 150; i++)
            assert_int_equal(seen[i], 1);
        int per = atoi(counts[k]);
        assert_int_equal(calls, per >= 150 ? 1 : (150 + per - 1) / per);
    }
    /* MATCH filters; the literal prefix narrows the walk */
    memset(seen, 0, sizeof(seen));
    sscan_all(t, "s", "3", "m01*", seen, 256, NULL);
    for (int i = 0; i < 150; i++)
        assert_int_equal(seen[i], i >= 10 && i < 20);
    memset(seen, 0, sizeof(seen));
    sscan_all(t, "s", "5", "*5", seen, 256, NULL);
    for (int i = 0; i < 150; i++)
        assert_int_equal(seen[i], i % 10 == 5);
    /* a pattern can give an empty page that is not the last */
    R("SSCAN", "s", "0", "COUNT", "2", "MATCH", "*9");
    size_t pos = 0;
    read_agg(t->out, t->outlen, &pos, '*');
    bulk_t c = read_bulk(t->out, t->outlen, &pos);
    assert_false(c.len == 1 && c.p[0] == '0');
    assert_int_equal(read_agg(t->out, t->outlen, &pos, '*'), 0);

    /* changes during the scan: members present throughout come back */
    memset(seen, 0, sizeof(seen));
    sscan_all(t, "s", "4", NULL, seen, 256, churn);
    for (int i = 0; i < 100; i++)
        assert_true(seen[i] >= 1);
    for (int i = 150; i < 200; i++)
        assert_int_equal(seen[i], 0);

    /* an unknown cursor, or one from another key, starts over */
    fill_set(t, "other", 5);
    R("SSCAN", "s", "0", "COUNT", "3");
    char cur[32];
    pos = 0;
    read_agg(t->out, t->outlen, &pos, '*');
    c = read_bulk(t->out, t->outlen, &pos);
    memcpy(cur, c.p, c.len);
    cur[c.len] = '\0';
    assert_string_not_equal(cur, "0");
    EQ(R("SSCAN", "other", cur), "*2\r\n$1\r\n0\r\n*5\r\n$4\r\nm000\r\n$4\r\nm001\r\n$"
                                 "4\r\nm002\r\n$4\r\nm003\r\n$4\r\nm004\r\n");
    EQ(R("SSCAN", "other", "12345"), "*2\r\n$1\r\n0\r\n*5\r\n$4\r\nm000\r\n$4\r\nm001\r\n$"
                                     "4\r\nm002\r\n$4\r\nm003\r\n$4\r\nm004\r\n");
    /* the cursor resumes after the last member seen */
    R("SSCAN", "s", cur, "COUNT", "1");
    strs_t v = {0};
    pos = 0;
    read_agg(t->out, t->outlen, &pos, '*');
    read_bulk(t->out, t->outlen, &pos);
    assert_int_equal(read_agg(t->out, t->outlen, &pos, '*'), 1);
    bulk_t m = read_bulk(t->out, t->outlen, &pos);
    assert_memory_equal(m.p, "m003", 4);
    strs_free(&v);
}

/* Members are bytes: NUL, CR LF, the empty string. */
static void test_binary_members(void **state)
{
    cmdtest_t *t = *state;
    const char *sadd[] = {"SADD", "k\0b", "a\0b", "", "\r\n", "a"};
    size_t saddl[] = {4, 3, 3, 0, 2, 1};
    EQ(ct_run(t, true, true, 6, sadd, saddl), ":4\r\n");
    const char *mem[] = {"SMEMBERS", "k\0b"};
    size_t meml[] = {8, 3};
    ct_run(t, false, true, 2, mem, meml);
    static const char want[] = "*4\r\n$0\r\n\r\n$2\r\n\r\n\r\n$1\r\na\r\n$3\r\na\0b\r\n";
    assert_int_equal(t->outlen, sizeof(want) - 1);
    assert_memory_equal(t->out, want, sizeof(want) - 1);
    const char *ism[] = {"SISMEMBER", "k\0b", "a\0b"};
    size_t isml[] = {9, 3, 3};
    EQ(ct_run(t, false, true, 3, ism, isml), ":1\r\n");
    isml[2] = 1; /* "a" */
    EQ(ct_run(t, false, true, 3, ism, isml), ":1\r\n");
    const char *ism2[] = {"SISMEMBER", "k", "a"};
    size_t ism2l[] = {9, 1, 1};
    EQ(ct_run(t, false, true, 3, ism2, ism2l), ":0\r\n"); /* "k" is another key */
    const char *rem[] = {"SREM", "k\0b", "", "a\0b"};
    size_t reml[] = {4, 3, 0, 3};
    EQ(ct_run(t, true, true, 4, rem, reml), ":2\r\n");
    const char *card[] = {"SCARD", "k\0b"};
    size_t cardl[] = {5, 3};
    EQ(ct_run(t, false, true, 2, card, cardl), ":2\r\n");
    COUNTERS(1, 0);
}

/* ---- random members of large sets ------------------------------------------------------ */

/* Adds n members printf'd from fmt (with the index) to key, 200 per SADD. */
static void fill_fmt(cmdtest_t *t, const char *key, int n, const char *fmt)
{
    const char *argv[202];
    size_t lens[202];
    char names[200][24];
    for (int base = 0; base < n; base += 200) {
        int argc = 0;
        argv[argc] = "SADD", lens[argc++] = 4;
        argv[argc] = key, lens[argc++] = strlen(key);
        for (int i = base; i < n && i < base + 200; i++) {
            snprintf(names[i - base], sizeof(names[0]), fmt, i);
            argv[argc] = names[i - base], lens[argc++] = strlen(names[i - base]);
        }
        const char *r = ct_run(t, true, true, argc, argv, lens);
        assert_true(r[0] == ':');
    }
}

/* The index of a member written with "<c>%05d" (or -1 when it is not one). */
static int big_index(const char *p, size_t len, char c)
{
    if (len != 6 || p[0] != c) return -1;
    int v = 0;
    for (size_t i = 1; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* The single bulk string of the last reply, as an index (big_index). */
static int last_index(cmdtest_t *t, char c)
{
    size_t pos = 0;
    bulk_t b = read_bulk(t->out, t->outlen, &pos);
    assert_int_equal(pos, t->outlen);
    return big_index(b.p, b.len, c);
}

/* Above COLL_RANDOM_WALK_MAX members the draws descend the members' byte
 * trie instead of walking: they still return members, SPOP still removes
 * them, and counts that are a small part of the set draw separately. */
static void test_random_big(void **state)
{
    cmdtest_t *t = *state;
    enum { N = 5000 };
    fill_fmt(t, "big", N, "m%05d");
    for (int i = 0; i < 2000; i++) {
        R("SRANDMEMBER", "big");
        int x = last_index(t, 'm');
        assert_true(x >= 0 && x < N);
    }
    /* small counts of both signs: separate draws */
    R("SRANDMEMBER", "big", "-10");
    strs_t v = last_strs(t, '*');
    assert_int_equal(v.n, 10);
    for (size_t i = 0; i < v.n; i++)
        assert_true(big_index(v.s[i], strlen(v.s[i]), 'm') >= 0);
    strs_free(&v);
    R("SRANDMEMBER", "big", "12");
    v = last_strs(t, '*');
    assert_int_equal(v.n, 12);
    for (size_t i = 0; i < v.n; i++) {
        assert_true(big_index(v.s[i], strlen(v.s[i]), 'm') >= 0);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(v.s[i], v.s[j]);
    }
    strs_free(&v);
    /* a large positive count still gives distinct members */
    R("SRANDMEMBER", "big", "400");
    v = last_strs(t, '*');
    assert_int_equal(v.n, 400);
    strs_free(&v);

    /* SPOP removes what it returns, never the same member twice */
    static bool popped[N];
    memset(popped, 0, sizeof(popped));
    for (int i = 0; i < 300; i++) {
        W("SPOP", "big");
        int x = last_index(t, 'm');
        assert_true(x >= 0 && x < N);
        assert_false(popped[x]);
        popped[x] = true;
        char m[16];
        snprintf(m, sizeof(m), "m%05d", x);
        EQ(R("SISMEMBER", "big", m), ":0\r\n");
    }
    EQ(R("SCARD", "big"), ":4700\r\n");
    W("SPOP", "big", "15");
    v = last_strs(t, '*');
    assert_int_equal(v.n, 15);
    for (size_t i = 0; i < v.n; i++) {
        int x = big_index(v.s[i], strlen(v.s[i]), 'm');
        assert_true(x >= 0 && !popped[x]);
        popped[x] = true;
        EQ(R("SISMEMBER", "big", v.s[i]), ":0\r\n");
    }
    strs_free(&v);
    EQ(R("SCARD", "big"), ":4685\r\n");
    assert_int_equal(ct_count_prefix(t, 's'), 4685);
    COUNTERS(1, 0);
    /* draws from a set full of deleted members still find live ones */
    for (int i = 0; i < 200; i++) {
        R("SRANDMEMBER", "big");
        int x = last_index(t, 'm');
        assert_true(x >= 0 && !popped[x]);
    }
}

/* Counts the members drawn by SRANDMEMBER run inside applied entries, so
 * that each draw comes from its entry's generator and the test cannot
 * flake. Members are fmt of their index. */
static void draw_counts(cmdtest_t *t, const char *key, int n, int draws, const char *fmt, int *count)
{
    memset(count, 0, (size_t)n * sizeof(*count));
    for (int i = 0; i < draws; i++) {
        const char *argv[] = {"SRANDMEMBER", key};
        ct_runv(t, true, false, 2, argv);
        size_t pos = 0;
        bulk_t b = read_bulk(t->out, t->outlen, &pos);
        char m[24], want[24];
        assert_true(b.len < sizeof(m));
        memcpy(m, b.p, b.len);
        m[b.len] = '\0';
        int x = atoi(m + (fmt[0] == '%' ? 0 : 1));
        snprintf(want, sizeof(want), fmt, x);
        assert_string_equal(m, want);
        assert_true(x >= 0 && x < n);
        count[x]++;
    }
}

/* Draws from sets of 200 members: every member is reached, and none much
 * more often than the mean. Zero-padded numbers are spread evenly, so the
 * draw is uniform (within Poisson noise). Unpadded ones are not: the 100
 * members "1xy" share a tenth of the value range that "3".."9" have one
 * each of, so those come up ~2x the mean and the "1xy" ones ~0.3x (the
 * skew docs/encoding.md describes). */
static void test_random_reach(void **state)
{
    cmdtest_t *t = *state;
    enum { N = 200 };
    int count[N];
    fill_fmt(t, "pad", N, "z%03d");
    draw_counts(t, "pad", N, 20 * N, "z%03d", count);
    for (int i = 0; i < N; i++)
        assert_true(count[i] > 0 && count[i] <= 3 * 20);

    fill_fmt(t, "num", N, "%d");
    draw_counts(t, "num", N, 100 * N, "%d", count);
    for (int i = 0; i < N; i++)
        assert_true(count[i] > 0 && count[i] <= 4 * 100);

    /* members whose numbers tie (they differ only past the bytes the
     * interpolation reads) are reached by the trie descent; "a" is one of
     * two branches at the first byte there, so it gets a good part */
    EQ(W("SADD", "tied", "a"), ":1\r\n");
    fill_fmt(t, "tied", N, "bxxxxxxxxxxxxxxxxxxx%03d");
    memset(count, 0, sizeof(count));
    int a = 0;
    for (int i = 0; i < 100 * N; i++) {
        const char *argv[] = {"SRANDMEMBER", "tied"};
        ct_runv(t, true, false, 2, argv);
        size_t pos = 0;
        bulk_t b = read_bulk(t->out, t->outlen, &pos);
        if (b.len == 1 && b.p[0] == 'a') {
            a++;
            continue;
        }
        assert_int_equal(b.len, 23);
        count[atoi(b.p + 20)]++;
    }
    for (int i = 0; i < N; i++)
        assert_true(count[i] > 0);
    assert_true(a > 0 && a < 100 * N * 6 / 10);

    /* SPOP reaches everything too: pop a 200-member set down to nothing */
    static bool seen[N];
    memset(seen, 0, sizeof(seen));
    for (int i = 0; i < N; i++) {
        W("SPOP", "pad");
        int x = atoi(t->out + 5); /* "$4\r\nz..." */
        assert_true(t->out[4] == 'z' && x >= 0 && x < N && !seen[x]);
        seen[x] = true;
    }
    EQ(R("EXISTS", "pad"), ":0\r\n");
}

/* Pops 60 times from a 5000-member set, one or five at a time. */
static void spop_big_sequence(cmdtest_t *t, char *out, size_t outcap)
{
    fill_fmt(t, "b", 5000, "m%05d");
    size_t len = 0;
    for (int i = 0; i < 60; i++) {
        if (i % 2)
            W("SPOP", "b", "5");
        else
            W("SPOP", "b");
        assert_true(len + t->outlen < outcap);
        memcpy(out + len, t->out, t->outlen);
        len += t->outlen;
    }
    out[len] = '\0';
}

/* The descent draws from the entry's generator: two replicas pop the same
 * members from a large set. */
static void test_spop_deterministic_big(void **state)
{
    cmdtest_t *t = *state;
    static char a[32768], b[32768];
    spop_big_sequence(t, a, sizeof(a));
    cmdtest_t *t2 = ct_open();
    t2->now_ms = CT_T0 + 123456;
    spop_big_sequence(t2, b, sizeof(b));
    ct_close(t2);
    assert_string_equal(a, b);
    EQ(R("SCARD", "b"), ":4820\r\n");
}

/* Commands that move a big set's ends (a new first or last member, the
 * first or last removed) between pops, with the replies recorded. When
 * cold, the store is reopened before each command, which starts a new epoch
 * and empties coll.c's table of ends: every draw then seeks its ends. */
static void ends_sequence(cmdtest_t *t, bool cold, char *out, size_t outcap)
{
    static const char *const ops[][5] = {
        {"SPOP", "e", NULL},        {"SADD", "e", "!first", NULL}, {"SPOP", "e", NULL},
        {"SADD", "e", "~last", NULL}, {"SPOP", "e", "3", NULL},     {"SREM", "e", "!first", NULL},
        {"SPOP", "e", NULL},        {"SREM", "e", "~last", NULL},  {"SPOP", "e", NULL},
        {"SREM", "e", "m00000", NULL}, {"SPOP", "e", NULL},        {"SADD", "e", "0", "zzz", NULL},
        {"SPOP", "e", "2", NULL},   {"SRANDMEMBER", "e", "-3", NULL}, {"SPOP", "e", NULL},
    };
    fill_fmt(t, "e", 3000, "m%05d");
    size_t len = 0;
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
            if (cold) ct_reopen(t);
            int argc = 0;
            while (argc < 5 && ops[i][argc]) argc++;
            /* SRANDMEMBER inside an entry too: its draw is then reproducible */
            ct_runv(t, true, false, argc, (const char *const *)ops[i]);
            assert_true(t->out[0] != '-' && strcmp(t->out, "$-1\r\n") != 0);
            assert_true(len + t->outlen < outcap);
            memcpy(out + len, t->out, t->outlen);
            len += t->outlen;
        }
    }
    out[len] = '\0';
}

/* The table of ends (coll.c) answers what the seeks would: the same pops
 * with it warm and with it emptied before every command. */
static void test_random_ends_cache(void **state)
{
    cmdtest_t *t = *state;
    static char warm[16384], cold[16384];
    ends_sequence(t, false, warm, sizeof(warm));
    cmdtest_t *t2 = ct_open();
    ends_sequence(t2, true, cold, sizeof(cold));
    ct_close(t2);
    assert_string_equal(warm, cold);
    EQ(R("SISMEMBER", "e", "!first"), ":0\r\n");
}

/* What a restart finds: members, sizes and counters as committed. */
static void test_reopen(void **state)
{
    cmdtest_t *t = *state;
    fill_set(t, "s", 30);
    EQ(W("SADD", "t", "1", "2"), ":2\r\n");
    EQ(W("EXPIRE", "t", "1000"), ":1\r\n");
    EQ(W("SUNIONSTORE", "u", "s", "t"), ":32\r\n");
    W("SPOP", "s", "5");
    COUNTERS(3, 1);
    uint64_t applied = t->index;
    ct_reopen(t);
    assert_int_equal(t->db.applied, applied);
    COUNTERS(3, 1);
    EQ(R("SCARD", "s"), ":25\r\n");
    EQ(R("SCARD", "u"), ":32\r\n");
    EQ(R("SMEMBERS", "t"), "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    EQ(R("TTL", "t"), ":1000\r\n");
    /* and new versions keep growing past the old ones */
    EQ(W("SINTERSTORE", "s", "t", "u"), ":2\r\n");
    EQ(R("SMEMBERS", "s"), "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    COUNTERS(3, 1);
}

static void test_table(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int arity;
        uint32_t flags;
        int first, last, step;
        const char *acl;
    } want[] = {
        {"sadd", -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "write set fast"},
        {"srem", -3, CMD_WRITE | CMD_FAST, 1, 1, 1, "write set fast"},
        {"smembers", 2, CMD_READONLY, 1, 1, 1, "read set slow"},
        {"sismember", 3, CMD_READONLY | CMD_FAST, 1, 1, 1, "read set fast"},
        {"smismember", -3, CMD_READONLY | CMD_FAST, 1, 1, 1, "read set fast"},
        {"scard", 2, CMD_READONLY | CMD_FAST, 1, 1, 1, "read set fast"},
        {"spop", -2, CMD_WRITE | CMD_FAST, 1, 1, 1, "write set fast"},
        {"srandmember", -2, CMD_READONLY, 1, 1, 1, "read set slow"},
        {"smove", 4, CMD_WRITE | CMD_FAST, 1, 2, 1, "write set fast"},
        {"sinter", -2, CMD_READONLY, 1, -1, 1, "read set slow"},
        {"sintercard", -3, CMD_READONLY | CMD_MOVABLEKEYS, 0, 0, 0, "read set slow"},
        {"sunion", -2, CMD_READONLY, 1, -1, 1, "read set slow"},
        {"sdiff", -2, CMD_READONLY, 1, -1, 1, "read set slow"},
        {"sinterstore", -3, CMD_WRITE | CMD_DENYOOM, 1, -1, 1, "write set slow"},
        {"sunionstore", -3, CMD_WRITE | CMD_DENYOOM, 1, -1, 1, "write set slow"},
        {"sdiffstore", -3, CMD_WRITE | CMD_DENYOOM, 1, -1, 1, "write set slow"},
        {"sscan", -3, CMD_READONLY, 1, 1, 1, "read set slow"},
    };
    cmd_register_data_commands();
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const command_t *c = ct_command(want[i].name, want[i].arity, want[i].flags, want[i].first,
                                        want[i].last, want[i].step);
        assert_string_equal(c->group, "set");
        assert_string_equal(c->acl, want[i].acl);
        assert_non_null(c->summary);
        assert_non_null(c->complexity);
    }
    assert_string_equal(cmd_lookup("sintercard", 10)->since, "7.0.0");
    assert_string_equal(cmd_lookup("smismember", 10)->since, "6.2.0");
    assert_string_equal(cmd_lookup("sscan", 5)->since, "2.8.0");
    assert_string_equal(cmd_lookup("sunion", 6)->summary, "Add multiple sets");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sadd_srem_members, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_wrongtype, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_argument_errors, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_spop, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_spop_deterministic, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_srandmember, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_random_big, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_random_reach, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_spop_deterministic_big, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_random_ends_cache, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_smove, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_setops, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_store, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_sscan, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_binary_members, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_reopen, ct_setup, ct_teardown),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests_name("t_set", tests, NULL, NULL);
}
