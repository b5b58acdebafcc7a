/* Generic key commands against a real RocksDB keyspace. Expected replies
 * were checked against redis-server 7.0.15 (KEYS/SCAN order aside: Redis's
 * is unspecified, ours is key order). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define CT_SHORT_NAMES
#include "support/cmdtest.h"

static const char NOSUCHKEY[] = "-ERR no such key\r\n";

/* ---- SCAN replies ---------------------------------------------------------- */

/* Runs SCAN with the given cursor and options; returns the next cursor and
 * hands each key to fn. */
static uint64_t scan_call(cmdtest_t *t, uint64_t cursor, const char *const *opts, int nopts,
                          void (*fn)(void *, bulk_t), void *ud)
{
    size_t pos, n;
    uint64_t next = ct_scan(t, "SCAN", NULL, cursor, opts, nopts, &pos, &n);
    for (size_t i = 0; i < n; i++)
        fn(ud, read_bulk(t->out, t->outlen, &pos));
    assert_int_equal(pos, t->outlen);
    return next;
}

/* Splits the last SCAN reply: copies the cursor into cur, returns the keys
 * array part. */
static const char *scan_keys(cmdtest_t *t, char cur[32])
{
    size_t pos = 0;
    assert_int_equal(read_agg(t->out, t->outlen, &pos, '*'), 2);
    bulk_t c = read_bulk(t->out, t->outlen, &pos);
    assert_true(c.len < 32);
    memcpy(cur, c.p, c.len);
    cur[c.len] = '\0';
    return t->out + pos;
}

/* Keys named key:0000 ... key:NNNN, counted as SCAN returns them. */
#define NSCAN 1000
typedef struct seen {
    int count[NSCAN];
    int other;
    int calls_keys;
} seen_t;

static void seen_add(void *ud, bulk_t b)
{
    seen_t *s = ud;
    int i;
    if (b.len == 8 && memcmp(b.p, "key:", 4) == 0 && sscanf(b.p + 4, "%4d", &i) == 1 && i >= 0 &&
        i < NSCAN)
        s->count[i]++;
    else
        s->other++;
    s->calls_keys++;
}

static void fill_keys(cmdtest_t *t, int n)
{
    /* one MSET entry per 100 keys, as a client would batch them */
    for (int base = 0; base < n; base += 100) {
        const char *argv[201];
        size_t lens[201];
        char names[100][16];
        int argc = 0;
        argv[argc] = "MSET";
        lens[argc++] = 4;
        for (int i = base; i < base + 100 && i < n; i++) {
            snprintf(names[i - base], sizeof(names[0]), "key:%04d", i);
            argv[argc] = names[i - base];
            lens[argc++] = 8;
            argv[argc] = "v";
            lens[argc++] = 1;
        }
        EQ(ct_run(t, true, true, argc, argv, lens), "+OK\r\n");
    }
}

/* ---- DEL, UNLINK, EXISTS, TOUCH, TYPE ------------------------------------- */

static void test_del_exists_touch(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SET", "a", "1"), "+OK\r\n");
    EQ(W("SET", "b", "2"), "+OK\r\n");
    COUNTERS(2, 0);
    EQ(W("DEL", "a", "a", "b", "c"), ":2\r\n");
    EQ(R("EXISTS", "a", "b"), ":0\r\n");
    COUNTERS(0, 0);
    EQ(W("SET", "a", "1", "EX", "100"), "+OK\r\n");
    EQ(R("EXISTS", "a", "a", "nokey"), ":2\r\n");
    EQ(R("TOUCH", "a", "a", "nokey"), ":2\r\n");
    COUNTERS(1, 1);
    EQ(W("UNLINK", "a", "nokey"), ":1\r\n");
    COUNTERS(0, 0);
    ct_put_collection(t, "l", 1, OBJ_LIST, 10, CT_T0 + 100000);
    COUNTERS(1, 1);
    EQ(R("EXISTS", "l"), ":1\r\n");
    EQ(W("DEL", "l"), ":1\r\n");
    COUNTERS(0, 0);
    /* an expired key is invisible to reads but counted until a write */
    EQ(W("SET", "e", "v", "PX", "10"), "+OK\r\n");
    t->now_ms = CT_T0 + 11;
    EQ(R("EXISTS", "e"), ":0\r\n");
    EQ(R("TOUCH", "e"), ":0\r\n");
    COUNTERS(1, 1);
    EQ(W("DEL", "e"), ":0\r\n");
    COUNTERS(0, 0);
    EQ(W("DEL"), "-ERR wrong number of arguments for 'del' command\r\n");
    EQ(R("EXISTS"), "-ERR wrong number of arguments for 'exists' command\r\n");
}

static void test_type(void **state)
{
    cmdtest_t *t = *state;
    EQ(R("TYPE", "nokey"), "+none\r\n");
    EQ(W("SET", "s", "v"), "+OK\r\n");
    EQ(R("TYPE", "s"), "+string\r\n");
    ct_put_collection(t, "l", 1, OBJ_LIST, 1, 0);
    ct_put_collection(t, "st", 2, OBJ_SET, 1, 0);
    ct_put_collection(t, "z", 1, OBJ_ZSET, 1, 0);
    ct_put_collection(t, "h", 1, OBJ_HASH, 1, CT_T0 + 10);
    EQ(R("TYPE", "l"), "+list\r\n");
    EQ(R("TYPE", "st"), "+set\r\n");
    EQ(R("TYPE", "z"), "+zset\r\n");
    EQ(R("TYPE", "h"), "+hash\r\n");
    t->now_ms = CT_T0 + 11;
    EQ(R("TYPE", "h"), "+none\r\n");
    t->proto = 3;
    EQ(R("TYPE", "s"), "+string\r\n");
    COUNTERS(5, 1);
}

/* ---- RENAME ----------------------------------------------------------------- */

static void test_rename(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("RENAME", "nokey", "x"), NOSUCHKEY);
    EQ(W("RENAME", "nokey", "nokey"), NOSUCHKEY);
    EQ(W("RENAMENX", "nokey", "a"), NOSUCHKEY);
    EQ(W("SET", "a", "1"), "+OK\r\n");
    EQ(W("RENAME", "a", "a"), "+OK\r\n");
    EQ(W("RENAMENX", "a", "a"), ":0\r\n");
    COUNTERS(1, 0);
    /* the TTL moves with the key */
    EQ(W("SETEX", "s", "100", "v"), "+OK\r\n");
    EQ(W("RENAME", "s", "d"), "+OK\r\n");
    EQ(R("PTTL", "d"), ":100000\r\n");
    EQ(R("GET", "d"), "$1\r\nv\r\n");
    EQ(R("EXISTS", "s"), ":0\r\n");
    COUNTERS(2, 1);
    EQ(W("RENAMENX", "a", "d"), ":0\r\n");
    EQ(W("RENAMENX", "a", "e"), ":1\r\n");
    EQ(R("EXISTS", "a"), ":0\r\n");
    COUNTERS(2, 1);
    /* overwriting drops the destination's TTL along with its value */
    EQ(W("RENAME", "e", "d"), "+OK\r\n");
    EQ(R("TTL", "d"), ":-1\r\n");
    EQ(R("GET", "d"), "$1\r\n1\r\n");
    COUNTERS(1, 0);
    /* an expired source is no key; an expired destination is overwritten */
    EQ(W("SET", "x", "1", "PX", "10"), "+OK\r\n");
    EQ(W("SET", "y", "2", "PX", "20"), "+OK\r\n");
    t->now_ms = CT_T0 + 11;
    EQ(W("RENAME", "x", "z"), NOSUCHKEY);
    COUNTERS(2, 1);
    EQ(W("SET", "x", "3"), "+OK\r\n");
    t->now_ms = CT_T0 + 21;
    EQ(W("RENAMENX", "x", "y"), ":1\r\n");
    EQ(R("GET", "y"), "$1\r\n3\r\n");
    COUNTERS(2, 0);
    /* collections keep type, size and TTL */
    ct_put_collection(t, "l", 1, OBJ_LIST, 7, t->now_ms + 50000);
    COUNTERS(3, 1);
    EQ(W("RENAME", "l", "l2"), "+OK\r\n");
    EQ(R("TYPE", "l2"), "+list\r\n");
    EQ(R("PTTL", "l2"), ":50000\r\n");
    EQ(R("EXISTS", "l"), ":0\r\n");
    COUNTERS(3, 1);
    EQ(W("RENAME", "l2", "d"), "+OK\r\n"); /* onto a string */
    EQ(R("TYPE", "d"), "+list\r\n");
    COUNTERS(2, 1);
    EQ(W("SET", "s2", "v"), "+OK\r\n");
    EQ(W("RENAME", "s2", "d"), "+OK\r\n"); /* a string onto a collection */
    EQ(R("TYPE", "d"), "+string\r\n");
    EQ(R("TTL", "d"), ":-1\r\n");
    COUNTERS(2, 0);
    /* type, size and TTL move; the elements go under a new version, the
     * rename entry's own (sub-keys carry the key's name) */
    ct_put_collection(t, "h", 1, OBJ_HASH, 3, 0);
    EQ(W("RENAME", "h", "h2"), "+OK\r\n");
    {
        cmd_ctx_t c = {.txn = store_txn_begin(t->store, false),
                       .reply = &t->reply,
                       .now_ms = t->now_ms,
                       .db = &t->db};
        dbkey_t k;
        assert_int_equal(db_lookup(&c, "h2", 2, &k), 1);
        assert_int_equal(k.meta.type, OBJ_HASH);
        assert_int_equal(k.meta.size, 3);
        assert_int_equal(k.meta.version, (uint64_t)t->index << 16);
        assert_int_equal(k.meta.expire_ms, 0);
        db_release(&k);
        store_txn_abort(c.txn);
    }
    COUNTERS(3, 0);
}

/* ---- EXPIRE family ------------------------------------------------------------ */

static void test_expire_options(void **state)
{
    cmdtest_t *t = *state;
    static const char NXERR[] =
        "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n";
    static const char GTLT[] = "-ERR GT and LT options at the same time are not compatible\r\n";
    EQ(W("SET", "d", "1"), "+OK\r\n");
    EQ(W("EXPIRE", "d", "100", "NX", "XX"), NXERR);
    EQ(W("EXPIRE", "d", "100", "nx", "gt"), NXERR);
    EQ(W("EXPIRE", "d", "100", "NX", "LT"), NXERR);
    EQ(W("EXPIRE", "d", "100", "GT", "LT"), GTLT);
    EQ(W("EXPIRE", "d", "100", "XX", "LT"), ":0\r\n");
    EQ(W("EXPIRE", "d", "100", "foo"), "-ERR Unsupported option foo\r\n");
    EQ(W("EXPIRE", "d", "100", "NX", "Foo"), "-ERR Unsupported option Foo\r\n");
    EQ(W("EXPIRE", "d", "abc", "foo"), "-ERR Unsupported option foo\r\n");
    EQ(W("EXPIRE", "d", "abc"), NOTINT);
    EQ(W("EXPIRE", "nokey", "100"), ":0\r\n");
    EQ(W("EXPIRE", "nokey", "abc"), NOTINT);
    EQ(W("EXPIRE", "d", "100", "XX"), ":0\r\n");
    EQ(W("EXPIRE", "d", "100", "GT"), ":0\r\n"); /* no TTL counts as infinite */
    COUNTERS(1, 0);
    EQ(W("EXPIRE", "d", "100", "NX"), ":1\r\n");
    EQ(R("TTL", "d"), ":100\r\n");
    COUNTERS(1, 1);
    EQ(W("EXPIRE", "d", "100", "NX"), ":0\r\n");
    EQ(W("EXPIRE", "d", "200", "XX"), ":1\r\n");
    EQ(W("EXPIRE", "d", "100", "GT"), ":0\r\n");
    EQ(W("EXPIRE", "d", "200", "GT"), ":0\r\n");
    EQ(W("EXPIRE", "d", "300", "GT"), ":1\r\n");
    EQ(W("EXPIRE", "d", "400", "LT"), ":0\r\n");
    EQ(W("EXPIRE", "d", "300", "LT"), ":0\r\n");
    EQ(W("EXPIRE", "d", "100", "LT", "XX"), ":1\r\n");
    EQ(R("TTL", "d"), ":100\r\n");
    COUNTERS(1, 1);
    EQ(W("PERSIST", "d"), ":1\r\n");
    EQ(W("PERSIST", "d"), ":0\r\n");
    EQ(W("PERSIST", "nokey"), ":0\r\n");
    COUNTERS(1, 0);
    EQ(W("EXPIRE", "d", "100", "LT"), ":1\r\n"); /* no TTL: LT always applies */
    COUNTERS(1, 1);
    /* LT with a time in the past deletes */
    EQ(W("PEXPIREAT", "d", "-5", "LT"), ":1\r\n");
    COUNTERS(0, 0);
    EQ(W("SET", "d", "1"), "+OK\r\n");
    EQ(W("PEXPIREAT", "d", "-5", "NX"), ":1\r\n");
    EQ(R("EXISTS", "d"), ":0\r\n");
    COUNTERS(0, 0);
}

static void test_expire_times(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SET", "k", "v"), "+OK\r\n");
    EQ(W("EXPIRE", "k", "10"), ":1\r\n");
    EQ(R("PEXPIRETIME", "k"), ":1700000010000\r\n");
    EQ(W("PEXPIRE", "k", "1234"), ":1\r\n");
    EQ(R("PEXPIRETIME", "k"), ":1700000001234\r\n");
    EQ(W("EXPIREAT", "k", "1800000000"), ":1\r\n");
    EQ(R("PEXPIRETIME", "k"), ":1800000000000\r\n");
    EQ(R("EXPIRETIME", "k"), ":1800000000\r\n");
    EQ(W("PEXPIREAT", "k", "1800000000999"), ":1\r\n");
    EQ(R("PEXPIRETIME", "k"), ":1800000000999\r\n");
    COUNTERS(1, 1);
    /* relative times count from the entry's time, not a clock */
    t->now_ms = CT_T0 + 5000;
    EQ(W("EXPIRE", "k", "1"), ":1\r\n");
    EQ(R("PEXPIRETIME", "k"), ":1700000006000\r\n");
    /* a time not after "now" deletes at once */
    EQ(W("PEXPIREAT", "k", "1700000005000"), ":1\r\n");
    EQ(R("EXISTS", "k"), ":0\r\n");
    COUNTERS(0, 0);
    static const struct {
        const char *cmd, *arg;
    } now_or_past[] = {{"EXPIRE", "-1"},  {"EXPIRE", "0"},    {"PEXPIRE", "0"},
                       {"EXPIREAT", "1"}, {"PEXPIREAT", "0"}, {"EXPIRE", "-9223372036854775"}};
    for (size_t i = 0; i < sizeof(now_or_past) / sizeof(now_or_past[0]); i++) {
        EQ(W("SET", "k", "v"), "+OK\r\n");
        EQ(W(now_or_past[i].cmd, "k", now_or_past[i].arg), ":1\r\n");
        EQ(R("EXISTS", "k"), ":0\r\n");
        COUNTERS(0, 0);
    }
    EQ(W("SET", "k", "v"), "+OK\r\n");
    EQ(W("EXPIRE", "k", "9223372036854775807"), "-ERR invalid expire time in 'expire' command\r\n");
    EQ(W("EXPIRE", "k", "9223372036854775"), "-ERR invalid expire time in 'expire' command\r\n");
    EQ(W("EXPIRE", "k", "-9223372036854775808"),
       "-ERR invalid expire time in 'expire' command\r\n");
    EQ(W("PEXPIRE", "k", "9223372036854775807"),
       "-ERR invalid expire time in 'pexpire' command\r\n");
    EQ(W("PEXPIRE", "k", "9223372036854775806"),
       "-ERR invalid expire time in 'pexpire' command\r\n");
    EQ(W("EXPIREAT", "k", "9223372036854775807"),
       "-ERR invalid expire time in 'expireat' command\r\n");
    EQ(W("expire", "k", "9223372036854775807"), "-ERR invalid expire time in 'expire' command\r\n");
    /* overflow is judged before the key is looked up */
    EQ(W("EXPIRE", "nokey", "9223372036854775807"),
       "-ERR invalid expire time in 'expire' command\r\n");
    EQ(W("PEXPIREAT", "k", "9223372036854775807"), ":1\r\n");
    EQ(R("PEXPIRETIME", "k"), ":9223372036854775807\r\n");
    COUNTERS(1, 1);
    /* collections expire the same way */
    ct_put_collection(t, "h", 1, OBJ_HASH, 2, 0);
    EQ(W("EXPIRE", "h", "100"), ":1\r\n");
    EQ(R("TTL", "h"), ":100\r\n");
    EQ(R("TYPE", "h"), "+hash\r\n");
    EQ(W("EXPIRE", "h", "0"), ":1\r\n");
    EQ(R("TYPE", "h"), "+none\r\n");
    COUNTERS(1, 1);
}

static void test_ttl(void **state)
{
    cmdtest_t *t = *state;
    EQ(R("TTL", "nokey"), ":-2\r\n");
    EQ(R("PTTL", "nokey"), ":-2\r\n");
    EQ(R("EXPIRETIME", "nokey"), ":-2\r\n");
    EQ(R("PEXPIRETIME", "nokey"), ":-2\r\n");
    EQ(W("SET", "k", "v"), "+OK\r\n");
    EQ(R("TTL", "k"), ":-1\r\n");
    EQ(R("PTTL", "k"), ":-1\r\n");
    EQ(R("EXPIRETIME", "k"), ":-1\r\n");
    EQ(R("PEXPIRETIME", "k"), ":-1\r\n");
    EQ(W("PEXPIRE", "k", "1500"), ":1\r\n");
    EQ(R("PTTL", "k"), ":1500\r\n");
    EQ(R("TTL", "k"), ":2\r\n"); /* rounded to the nearest second */
    t->now_ms = CT_T0 + 1000;
    EQ(R("PTTL", "k"), ":500\r\n");
    EQ(R("TTL", "k"), ":1\r\n");
    t->now_ms = CT_T0 + 1001;
    EQ(R("PTTL", "k"), ":499\r\n");
    EQ(R("TTL", "k"), ":0\r\n");
    t->now_ms = CT_T0 + 1500;
    EQ(R("PTTL", "k"), ":0\r\n");
    t->now_ms = CT_T0 + 1501;
    EQ(R("PTTL", "k"), ":-2\r\n");
    EQ(R("TTL", "k"), ":-2\r\n");
    EQ(W("SET", "k", "v"), "+OK\r\n");
    EQ(W("PEXPIREAT", "k", "1999999999999"), ":1\r\n");
    EQ(R("EXPIRETIME", "k"), ":2000000000\r\n");
    EQ(W("PEXPIREAT", "k", "1999999999499"), ":1\r\n");
    EQ(R("EXPIRETIME", "k"), ":1999999999\r\n");
    EQ(W("PEXPIREAT", "k", "1999999999500"), ":1\r\n");
    EQ(R("EXPIRETIME", "k"), ":2000000000\r\n");
    EQ(R("PEXPIRETIME", "k"), ":1999999999500\r\n");
    COUNTERS(1, 1);
}

/* ---- __expire, DBSIZE, FLUSH ---------------------------------------------------- */

static void collect(void *ud, const char *key, size_t klen)
{
    char **names = ud;
    int i = 0;
    while (names[i])
        i++;
    names[i] = strndup(key, klen);
}

static void test_internal_expire(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SET", "a", "1", "PX", "10"), "+OK\r\n");
    EQ(W("SET", "b", "2", "PX", "100"), "+OK\r\n");
    EQ(W("SET", "c", "3"), "+OK\r\n");
    ct_put_collection(t, "l", 1, OBJ_LIST, 4, CT_T0 + 10);
    COUNTERS(4, 3);
    t->now_ms = CT_T0 + 11;
    EQ(R("DBSIZE"), ":4\r\n"); /* expired but present keys count, as in Redis */

    /* the active expiry cycle: collect from the index, propose __expire */
    char *names[8] = {0};
    assert_int_equal(db_collect_expired(&t->db, t->now_ms, 8, collect, names), 2);
    assert_string_equal(names[0], "a"); /* index order: expiry time, then key */
    assert_string_equal(names[1], "l");
    EQ(W("__expire", names[0], names[1], "b", "c", "nokey"), ":2\r\n");
    free(names[0]);
    free(names[1]);
    COUNTERS(2, 1);
    EQ(R("DBSIZE"), ":2\r\n");
    /* replayed or raced: nothing left to delete, live keys untouched */
    EQ(W("__expire", "a", "l", "b"), ":0\r\n");
    COUNTERS(2, 1);
    /* a key given a new TTL since the leader saw it expired stays */
    t->now_ms = CT_T0 + 101;
    EQ(W("SET", "b", "new", "EX", "10"), "+OK\r\n");
    EQ(W("__expire", "b"), ":0\r\n");
    EQ(R("GET", "b"), "$3\r\nnew\r\n");
    COUNTERS(2, 1);
    EQ(W("__expire"), "-ERR wrong number of arguments for '__expire' command\r\n");

    const command_t *cmd = cmd_lookup("__EXPIRE", 8);
    assert_non_null(cmd);
    assert_int_equal(cmd->flags, CMD_WRITE);
    assert_string_equal(cmd->group, "internal");
}

/* Each cycle of the active expiry starts where the last one found its
 * first key, not at the start of the index, past the tombstones of every
 * key expired so far; and an expiry written below that place (a leader
 * whose clock is behind the last one's) is still found. */
static void test_expire_cycles_start_at_the_floor(void **state)
{
    cmdtest_t *t = *state;
    enum { KEYS = 1000, BATCH = 50 };
    for (int i = 0; i < KEYS; i++) {
        char k[16], px[16];
        snprintf(k, sizeof(k), "k%04d", i);
        snprintf(px, sizeof(px), "%d", 10 + i);
        EQ(W("SET", k, "v", "PX", px), "+OK\r\n");
    }
    t->now_ms = CT_T0 + 10 + KEYS + 1;
    ct_tombstones_skipped();
    for (int cycle = 0; cycle < KEYS / BATCH; cycle++) {
        char *names[BATCH + 1] = {0};
        assert_int_equal(db_collect_expired(&t->db, t->now_ms, BATCH, collect, names), BATCH);
        const char *argv[BATCH + 1];
        argv[0] = "__expire";
        for (int i = 0; i < BATCH; i++) {
            char k[16];
            snprintf(k, sizeof(k), "k%04d", cycle * BATCH + i);
            assert_string_equal(names[i], k);
            argv[i + 1] = names[i];
        }
        assert_string_equal(ct_runv(t, true, true, BATCH + 1, argv), ":50\r\n");
        for (int i = 0; i < BATCH; i++)
            free(names[i]);
    }
    /* from the index's start, cycle c would step over c * BATCH of them */
    assert_true(ct_tombstones_skipped() < 3 * KEYS);
    EQ(R("DBSIZE"), ":0\r\n");

    /* a key expiring before the floor, and one after */
    t->now_ms = CT_T0;
    EQ(W("SET", "early", "v", "PX", "5"), "+OK\r\n");
    EQ(W("SET", "late", "v", "PX", "5000"), "+OK\r\n");
    t->now_ms = CT_T0 + 10 + KEYS + 1;
    char *names[3] = {0};
    assert_int_equal(db_collect_expired(&t->db, t->now_ms, 2, collect, names), 1);
    assert_string_equal(names[0], "early");
    free(names[0]);
    EQ(W("__expire", "early"), ":1\r\n");
    COUNTERS(1, 1);
}

static void test_dbsize_flush(void **state)
{
    cmdtest_t *t = *state;
    EQ(R("DBSIZE"), ":0\r\n");
    EQ(W("MSET", "a", "1", "b", "2", "c", "3"), "+OK\r\n");
    EQ(W("EXPIRE", "a", "100"), ":1\r\n");
    ct_put_collection(t, "l", 1, OBJ_LIST, 4, 0);
    EQ(R("DBSIZE"), ":4\r\n");
    EQ(W("FLUSHDB", "foo"), SYNTAX);
    EQ(W("FLUSHDB", "ASYNC", "SYNC"), SYNTAX);
    EQ(W("FLUSHALL", "sync", "sync"), SYNTAX);
    COUNTERS(4, 1);
    EQ(W("FLUSHALL"), "+OK\r\n");
    EQ(R("DBSIZE"), ":0\r\n");
    EQ(R("KEYS", "*"), "*0\r\n");
    COUNTERS(0, 0);
    assert_int_equal(ct_count_prefix(t, ENC_SUB_PREFIX), 0);
    EQ(W("SET", "a", "1", "EX", "5"), "+OK\r\n");
    EQ(W("FLUSHDB", "async"), "+OK\r\n");
    COUNTERS(0, 0);
    EQ(W("SET", "a", "1", "EX", "5"), "+OK\r\n");
    EQ(W("FLUSHDB", "SYNC"), "+OK\r\n");
    EQ(W("SET", "a", "1"), "+OK\r\n");
    EQ(W("FLUSHALL", "ASYNC"), "+OK\r\n");
    COUNTERS(0, 0);
    /* everything in one entry: writes after the flush survive it */
    EQ(W("SET", "z", "1"), "+OK\r\n");
    COUNTERS(1, 0);
    ct_reopen(t);
    COUNTERS(1, 0);
    EQ(R("GET", "z"), "$1\r\n1\r\n");
}

/* ---- KEYS ----------------------------------------------------------------------- */

static void test_keys(void **state)
{
    cmdtest_t *t = *state;
    EQ(R("KEYS", "*"), "*0\r\n");
    const char *argv[] = {"MSET", "hello", "1",        "hallo", "1", "hxllo", "1",
                          "hllo", "1",     "heeeello", "1",     "a", "1",     "",
                          "1",    "h*llo", "1",        "h?llo", "1"};
    size_t lens[19];
    for (int i = 0; i < 19; i++)
        lens[i] = strlen(argv[i]);
    EQ(ct_run(t, true, true, 19, argv, lens), "+OK\r\n");
    EQ(R("KEYS", "*"),
       "*9\r\n$0\r\n\r\n$1\r\na\r\n$5\r\nh*llo\r\n$5\r\nh?llo\r\n$5\r\nhallo\r\n$8\r\nheeeello\r\n"
       "$5\r\nhello\r\n$4\r\nhllo\r\n$5\r\nhxllo\r\n");
    EQ(R("KEYS", "**"),
       "*8\r\n$1\r\na\r\n$5\r\nh*llo\r\n$5\r\nh?llo\r\n$5\r\nhallo\r\n$8\r\nheeeello\r\n"
       "$5\r\nhello\r\n$4\r\nhllo\r\n$5\r\nhxllo\r\n");
    EQ(R("KEYS", ""), "*1\r\n$0\r\n\r\n");
    EQ(R("KEYS", "h?llo"),
       "*5\r\n$5\r\nh*llo\r\n$5\r\nh?llo\r\n$5\r\nhallo\r\n$5\r\nhello\r\n$5\r\nhxllo\r\n");
    EQ(R("KEYS", "h*llo"),
       "*7\r\n$5\r\nh*llo\r\n$5\r\nh?llo\r\n$5\r\nhallo\r\n$8\r\nheeeello\r\n$5\r\nhello\r\n"
       "$4\r\nhllo\r\n$5\r\nhxllo\r\n");
    EQ(R("KEYS", "*llo"),
       "*7\r\n$5\r\nh*llo\r\n$5\r\nh?llo\r\n$5\r\nhallo\r\n$8\r\nheeeello\r\n$5\r\nhello\r\n"
       "$4\r\nhllo\r\n$5\r\nhxllo\r\n");
    EQ(R("KEYS", "h[ae]llo"), "*2\r\n$5\r\nhallo\r\n$5\r\nhello\r\n");
    EQ(R("KEYS", "h[^e]llo"), "*4\r\n$5\r\nh*llo\r\n$5\r\nh?llo\r\n$5\r\nhallo\r\n$5\r\nhxllo\r\n");
    EQ(R("KEYS", "h[a-b]llo"), "*1\r\n$5\r\nhallo\r\n");
    EQ(R("KEYS", "h\\*llo"), "*1\r\n$5\r\nh*llo\r\n");
    EQ(R("KEYS", "[hH]e*"), "*2\r\n$8\r\nheeeello\r\n$5\r\nhello\r\n");
    EQ(R("KEYS", "he*"), "*2\r\n$8\r\nheeeello\r\n$5\r\nhello\r\n");
    EQ(R("KEYS", "hello"), "*1\r\n$5\r\nhello\r\n");
    EQ(R("KEYS", "H*"), "*0\r\n");
    EQ(R("KEYS", "h"), "*0\r\n");
    EQ(R("KEYS", "zzz*"), "*0\r\n");
    /* expired keys are hidden from reads at once */
    EQ(W("PEXPIRE", "hello", "10"), ":1\r\n");
    t->now_ms = CT_T0 + 11;
    EQ(R("KEYS", "he*"), "*1\r\n$8\r\nheeeello\r\n");
    t->proto = 3;
    EQ(R("KEYS", "he*"), "*1\r\n$8\r\nheeeello\r\n");
}

/* ---- SCAN ----------------------------------------------------------------------- */

static void test_scan_full_iteration(void **state)
{
    cmdtest_t *t = *state;
    fill_keys(t, NSCAN);
    COUNTERS(NSCAN, 0);
    seen_t *s = calloc(1, sizeof(*s));
    const char *opts[] = {"COUNT", "7"};
    uint64_t cur = 0;
    int calls = 0;
    do {
        int before = s->calls_keys;
        cur = scan_call(t, cur, opts, 2, seen_add, s);
        assert_true(s->calls_keys - before <= 7);
        calls++;
        assert_true(calls <= NSCAN);
    } while (cur != 0);
    for (int i = 0; i < NSCAN; i++)
        assert_int_equal(s->count[i], 1);
    assert_int_equal(s->other, 0);
    assert_int_equal(calls, (NSCAN + 6) / 7); /* the last page already says 0 */

    /* default COUNT is 10 */
    memset(s, 0, sizeof(*s));
    cur = scan_call(t, 0, NULL, 0, seen_add, s);
    assert_int_equal(s->calls_keys, 10);
    assert_true(cur != 0);

    /* MATCH with a literal prefix seeks to it and stops after it */
    memset(s, 0, sizeof(*s));
    const char *m1[] = {"MATCH", "key:00*", "COUNT", "7"};
    cur = 0;
    calls = 0;
    do {
        cur = scan_call(t, cur, m1, 4, seen_add, s);
        calls++;
    } while (cur != 0);
    for (int i = 0; i < NSCAN; i++)
        assert_int_equal(s->count[i], i < 100 ? 1 : 0);
    assert_int_equal(calls, (100 + 6) / 7);

    /* MATCH without a prefix: COUNT bounds the keys visited, not returned */
    memset(s, 0, sizeof(*s));
    const char *m2[] = {"match", "*7", "count", "50"};
    cur = 0;
    calls = 0;
    do {
        cur = scan_call(t, cur, m2, 4, seen_add, s);
        calls++;
    } while (cur != 0);
    for (int i = 0; i < NSCAN; i++)
        assert_int_equal(s->count[i], i % 10 == 7 ? 1 : 0);
    assert_int_equal(calls, NSCAN / 50);
    free(s);
}

static void test_scan_type_and_expiry(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("MSET", "a", "1", "b", "2", "c", "3"), "+OK\r\n");
    ct_put_collection(t, "l", 1, OBJ_LIST, 1, 0);
    ct_put_collection(t, "h", 1, OBJ_HASH, 1, 0);
    EQ(R("SCAN", "0"),
       "*2\r\n$1\r\n0\r\n*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nh\r\n$1\r\nl\r\n");
    EQ(R("SCAN", "0", "TYPE", "string", "COUNT", "100"),
       "*2\r\n$1\r\n0\r\n*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
    EQ(R("SCAN", "0", "type", "STRING"),
       "*2\r\n$1\r\n0\r\n*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
    EQ(R("SCAN", "0", "TYPE", "list"), "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nl\r\n");
    EQ(R("SCAN", "0", "TYPE", "foo"), "*2\r\n$1\r\n0\r\n*0\r\n");
    EQ(R("SCAN", "0", "MATCH", "a*", "COUNT", "100"), "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n");
    EQ(R("SCAN", "0", "MATCH", "*", "COUNT", "100", "MATCH", "b"),
       "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nb\r\n");
    EQ(R("SCAN", "0", "MATCH", "[ab]", "TYPE", "string"),
       "*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    /* exactly COUNT keys left: the peek still ends the iteration */
    EQ(R("SCAN", "0", "COUNT", "5"),
       "*2\r\n$1\r\n0\r\n*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nh\r\n$1\r\nl\r\n");
    EQ(W("PEXPIRE", "b", "10"), ":1\r\n");
    t->now_ms = CT_T0 + 11;
    EQ(R("SCAN", "0"), "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\nc\r\n$1\r\nh\r\n$1\r\nl\r\n");
    t->proto = 3;
    EQ(R("SCAN", "0", "TYPE", "hash"), "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nh\r\n");
}

static void test_scan_errors_and_cursors(void **state)
{
    cmdtest_t *t = *state;
    static const char BADCUR[] = "-ERR invalid cursor\r\n";
    EQ(W("MSET", "a", "1", "b", "2", "c", "3"), "+OK\r\n");
    EQ(R("SCAN", "abc"), BADCUR);
    EQ(R("SCAN", " 1"), BADCUR);
    EQ(R("SCAN", "1 "), BADCUR);
    EQ(R("SCAN", "+"), BADCUR);
    EQ(R("SCAN", "18446744073709551616"), BADCUR);
    EQ(R("SCAN", "0", "COUNT", "0"), SYNTAX);
    EQ(R("SCAN", "0", "COUNT", "-1"), SYNTAX);
    EQ(R("SCAN", "0", "COUNT", "abc"), NOTINT);
    EQ(R("SCAN", "0", "COUNT"), SYNTAX);
    EQ(R("SCAN", "0", "MATCH"), SYNTAX);
    EQ(R("SCAN", "0", "TYPE"), SYNTAX);
    EQ(R("SCAN", "0", "foo", "bar"), SYNTAX);
    EQ(R("SCAN", "abc", "COUNT", "0"), BADCUR); /* the cursor is parsed first */
    /* strtoul's view of a cursor: "" and "+0" are 0, "-1" wraps (unknown) */
    static const char ALL[] = "*2\r\n$1\r\n0\r\n*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n";
    EQ(R("SCAN", ""), ALL);
    EQ(R("SCAN", "+0"), ALL);
    EQ(R("SCAN", "-1"), ALL);
    EQ(R("SCAN", "18446744073709551615"), ALL);
    EQ(R("SCAN", "12345"), ALL); /* unknown cursor: restart */

    /* a cursor resumes after the last key visited, even if that key is gone */
    R("SCAN", "0", "COUNT", "1");
    char cur1[32];
    assert_string_equal(scan_keys(t, cur1), "*1\r\n$1\r\na\r\n");
    EQ(W("DEL", "a"), ":1\r\n");
    EQ(W("SET", "bb", "x"), "+OK\r\n");
    EQ(W("SET", "0", "x"), "+OK\r\n"); /* before the cursor: not seen */
    static const char REST[] = "*2\r\n$1\r\n0\r\n*3\r\n$1\r\nb\r\n$2\r\nbb\r\n$1\r\nc\r\n";
    EQ(R("SCAN", cur1, "COUNT", "10"), REST);
    /* the same cursor can be used twice (a client retrying) */
    EQ(R("SCAN", cur1, "COUNT", "10"), REST);
    /* cursors are new numbers each time */
    char cur2[32];
    R("SCAN", "0", "COUNT", "1");
    scan_keys(t, cur2);
    assert_string_not_equal(cur1, cur2);
    /* after the ring wrapped, the old cursor is unknown and restarts */
    for (int i = 0; i < 8200; i++)
        R("SCAN", "0", "COUNT", "1");
    EQ(R("SCAN", cur1, "COUNT", "10"),
       "*2\r\n$1\r\n0\r\n*4\r\n$1\r\n0\r\n$1\r\nb\r\n$2\r\nbb\r\n$1\r\nc\r\n");
}

/* SCAN's guarantee: a key present for the whole iteration is returned. */
static void test_scan_with_changes(void **state)
{
    cmdtest_t *t = *state;
    fill_keys(t, NSCAN);
    seen_t *s = calloc(1, sizeof(*s));
    const char *opts[] = {"COUNT", "13"};
    uint64_t cur = 0;
    int round = 0;
    do {
        cur = scan_call(t, cur, opts, 2, seen_add, s);
        /* delete the multiples of 50 and add keys in between */
        char k[32];
        snprintf(k, sizeof(k), "key:%04d", round * 50);
        if (round * 50 < NSCAN) W("DEL", k);
        snprintf(k, sizeof(k), "key:%04d-new", round * 37 % NSCAN);
        W("SET", k, "x");
        round++;
    } while (cur != 0);
    for (int i = 0; i < NSCAN; i++) {
        if (i % 50 != 0)
            assert_int_equal(s->count[i], 1);
        else
            assert_true(s->count[i] <= 1);
    }
    free(s);
}

/* ---- RANDOMKEY ------------------------------------------------------------------ */

static void test_randomkey(void **state)
{
    cmdtest_t *t = *state;
    EQ(R("RANDOMKEY"), "$-1\r\n");
    EQ(W("SET", "only", "1"), "+OK\r\n");
    for (int i = 0; i < 20; i++)
        EQ(R("RANDOMKEY"), "$4\r\nonly\r\n");
    EQ(W("PEXPIRE", "only", "10"), ":1\r\n");
    t->now_ms = CT_T0 + 11;
    EQ(R("RANDOMKEY"), "$-1\r\n");
    EQ(W("DEL", "only"), ":0\r\n");
    /* many keys with a common prefix: picks spread, and are live keys */
    for (int i = 0; i < 200; i++) {
        char k[32];
        snprintf(k, sizeof(k), "user:%d", i * 7919 % 100000);
        W("SET", k, "x");
    }
    ct_put_collection(t, "zz", 2, OBJ_ZSET, 1, 0);
    int *seen = calloc(100000, sizeof(int)), distinct = 0, zz = 0;
    for (int i = 0; i < 2000; i++) {
        const char *r = R("RANDOMKEY");
        assert_true(r[0] == '$');
        if (strcmp(r, "$2\r\nzz\r\n") == 0) {
            zz++;
            continue;
        }
        int n;
        assert_int_equal(sscanf(strchr(r, '\n') + 1, "user:%d", &n), 1);
        assert_true(n >= 0 && n < 100000);
        if (!seen[n]++) distinct++;
        char k[32];
        snprintf(k, sizeof(k), "user:%d", n);
        EQ(R("EXISTS", k), ":1\r\n");
    }
    free(seen);
    assert_true(distinct > 150);
    assert_true(zz > 500); /* "zz" and "user:" are the two branches of the top level */
    /* groups of very different sizes all get their share, every key is reachable */
    EQ(W("DEL", "zz"), ":1\r\n");
    EQ(W("MSET", "a0", "1", "a6", "1", "a7", "1", "a8", "1", "a9", "1"), "+OK\r\n");
    int a[10] = {0}, users = 0;
    for (int i = 0; i < 3000; i++) {
        const char *r = R("RANDOMKEY");
        if (r[4] == 'a')
            a[r[5] - '0']++;
        else
            users++;
    }
    for (int i = 0; i < 10; i++)
        assert_true(i >= 1 && i <= 5 ? a[i] == 0 : a[i] > 100);
    assert_true(users > 1000);
}

/* ---- binary keys ----------------------------------------------------------------- */

static void test_binary_keys(void **state)
{
    cmdtest_t *t = *state;
    const char *set[] = {"SET", "a\0b", "v"};
    size_t setl[] = {3, 3, 1};
    EQ(ct_run(t, true, true, 3, set, setl), "+OK\r\n");
    EQ(W("SET", "a", "v"), "+OK\r\n");
    ct_run(t, false, true, 2, (const char *[]){"KEYS", "a*"}, (size_t[]){4, 2});
    assert_int_equal(t->outlen, 4 + 7 + 9);
    assert_memory_equal(t->out, "*2\r\n$1\r\na\r\n$3\r\na\0b\r\n", 20);
    const char *ex[] = {"EXISTS", "a\0b", "a\0c"};
    size_t exl[] = {6, 3, 3};
    EQ(ct_run(t, false, true, 3, ex, exl), ":1\r\n");
    const char *ren[] = {"RENAME", "a\0b", "\0\0"};
    size_t renl[] = {6, 3, 2};
    EQ(ct_run(t, true, true, 3, ren, renl), "+OK\r\n");
    ct_run(t, false, true, 2, (const char *[]){"SCAN", "0"}, (size_t[]){4, 1});
    assert_int_equal(t->outlen, 11 + 4 + 8 + 7);
    assert_memory_equal(t->out, "*2\r\n$1\r\n0\r\n*2\r\n$2\r\n\0\0\r\n$1\r\na\r\n", 30);
    const char *ty[] = {"TYPE", "\0\0"};
    size_t tyl[] = {4, 2};
    EQ(ct_run(t, false, true, 2, ty, tyl), "+string\r\n");
    const char *exp[] = {"EXPIRE", "\0\0", "100"};
    size_t expl[] = {6, 2, 3};
    EQ(ct_run(t, true, true, 3, exp, expl), ":1\r\n");
    const char *opt[] = {"EXPIRE", "a", "100", "n\0x"};
    size_t optl[] = {6, 1, 3, 3};
    EQ(ct_run(t, true, true, 4, opt, optl), "-ERR Unsupported option n\r\n");
    COUNTERS(2, 1);
}

/* ---- the table -------------------------------------------------------------------- */

static void test_table(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int arity;
        uint32_t flags;
        int first, last, step;
        const char *group, *acl;
    } want[] = {
        {"del", -2, CMD_WRITE, 1, -1, 1, "generic", "keyspace write slow"},
        {"unlink", -2, CMD_WRITE | CMD_FAST, 1, -1, 1, "generic", "keyspace write fast"},
        {"exists", -2, CMD_READONLY | CMD_FAST, 1, -1, 1, "generic", "keyspace read fast"},
        {"type", 2, CMD_READONLY | CMD_FAST, 1, 1, 1, "generic", "keyspace read fast"},
        {"rename", 3, CMD_WRITE, 1, 2, 1, "generic", "keyspace write slow"},
        {"renamenx", 3, CMD_WRITE | CMD_FAST, 1, 2, 1, "generic", "keyspace write fast"},
        {"keys", 2, CMD_READONLY, 0, 0, 0, "generic", "keyspace read slow dangerous"},
        {"scan", -2, CMD_READONLY, 0, 0, 0, "generic", "keyspace read slow"},
        {"randomkey", 1, CMD_READONLY, 0, 0, 0, "generic", "keyspace read slow"},
        {"expire", -3, CMD_WRITE | CMD_FAST, 1, 1, 1, "generic", "keyspace write fast"},
        {"pexpire", -3, CMD_WRITE | CMD_FAST, 1, 1, 1, "generic", "keyspace write fast"},
        {"expireat", -3, CMD_WRITE | CMD_FAST, 1, 1, 1, "generic", "keyspace write fast"},
        {"pexpireat", -3, CMD_WRITE | CMD_FAST, 1, 1, 1, "generic", "keyspace write fast"},
        {"ttl", 2, CMD_READONLY | CMD_FAST, 1, 1, 1, "generic", "keyspace read fast"},
        {"pttl", 2, CMD_READONLY | CMD_FAST, 1, 1, 1, "generic", "keyspace read fast"},
        {"expiretime", 2, CMD_READONLY | CMD_FAST, 1, 1, 1, "generic", "keyspace read fast"},
        {"pexpiretime", 2, CMD_READONLY | CMD_FAST, 1, 1, 1, "generic", "keyspace read fast"},
        {"persist", 2, CMD_WRITE | CMD_FAST, 1, 1, 1, "generic", "keyspace write fast"},
        {"touch", -2, CMD_READONLY | CMD_FAST, 1, -1, 1, "generic", "keyspace read fast"},
        {"dbsize", 1, CMD_READONLY | CMD_FAST, 0, 0, 0, "server", "keyspace read fast"},
        {"flushdb", -1, CMD_WRITE, 0, 0, 0, "server", "keyspace write slow dangerous"},
        {"flushall", -1, CMD_WRITE, 0, 0, 0, "server", "keyspace write slow dangerous"},
    };
    cmd_register_data_commands();
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const command_t *c = ct_command(want[i].name, want[i].arity, want[i].flags, want[i].first,
                                        want[i].last, want[i].step);
        assert_string_equal(c->group, want[i].group);
        assert_string_equal(c->acl, want[i].acl);
        assert_non_null(c->summary);
        assert_non_null(c->since);
        assert_non_null(c->complexity);
    }
    assert_string_equal(cmd_lookup("expiretime", 10)->since, "7.0.0");
    assert_string_equal(
        cmd_lookup("touch", 5)->summary,
        "Alters the last access time of a key(s). Returns the number of existing keys specified.");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_del_exists_touch, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_type, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_rename, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_expire_options, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_expire_times, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_ttl, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_internal_expire, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_dbsize_flush, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_keys, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_scan_full_iteration, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_scan_type_and_expiry, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_scan_errors_and_cursors, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_scan_with_changes, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_randomkey, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_expire_cycles_start_at_the_floor, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_binary_keys, ct_setup, ct_teardown),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
