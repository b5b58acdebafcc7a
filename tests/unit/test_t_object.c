/* OBJECT against a real RocksDB keyspace, and SCAN TYPE over every type.
 * String replies were checked against redis-server 7.0.15 byte for byte;
 * collections are built directly (metadata + sub-keys) to check the
 * judgement by contents, and through their commands to check what a
 * collection that grew and shrank reports (those replies too were checked
 * against redis-server 7.0.15). */
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

static const char RAW[] = "$3\r\nraw\r\n";
static const char EMBSTR[] = "$6\r\nembstr\r\n";
static const char INT[] = "$3\r\nint\r\n";
static const char SHARED[] = ":2147483647\r\n";

static const char *encoding(cmdtest_t *t, const char *key)
{
    return R("OBJECT", "ENCODING", key);
}

/* SET stores what tryObjectEncoding makes of the bytes. */
static void test_string_set_encodings(void **state)
{
    cmdtest_t *t = *state;
    static const struct {
        const char *val, *enc;
    } cases[] = {
        {"0", INT},
        {"-1", INT},
        {"-0", EMBSTR},
        {"01", EMBSTR},
        {"+1", EMBSTR},
        {" 1", EMBSTR},
        {"1.5", EMBSTR},
        {"", EMBSTR},
        {"9223372036854775807", INT},
        {"-9223372036854775808", INT}, /* 20 characters */
        {"9223372036854775808", EMBSTR},
        {"12345678901234567890", EMBSTR}, /* 20 digits, out of range */
        {"123456789012345678901", EMBSTR},
        {"12345678901234567890123456789012345678901234", EMBSTR},  /* 44 */
        {"123456789012345678901234567890123456789012345", RAW},    /* 45 */
        {"abcdefghijabcdefghijabcdefghijabcdefghijabcd", EMBSTR},  /* 44 */
        {"abcdefghijabcdefghijabcdefghijabcdefghijabcde", RAW},    /* 45 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        EQ(W("SET", "k", cases[i].val), "+OK\r\n");
        EQ(encoding(t, "k"), cases[i].enc);
    }
    EQ(W("MSET", "a", "7", "b", "x"), "+OK\r\n");
    EQ(encoding(t, "a"), INT);
    EQ(encoding(t, "b"), EMBSTR);
    EQ(W("INCR", "c"), ":1\r\n");
    EQ(encoding(t, "c"), INT);
    EQ(encoding(t, "nokey"), "$-1\r\n");
    t->proto = 3;
    EQ(encoding(t, "nokey"), "_\r\n");
    EQ(encoding(t, "a"), INT);
}

/* The command that made a value decides as much as its bytes. */
static void test_string_history(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SET", "k", "123"), "+OK\r\n");
    EQ(W("APPEND", "k", "4"), ":4\r\n");
    EQ(encoding(t, "k"), RAW);
    /* even an empty APPEND to an existing key */
    EQ(W("SET", "k", "abc"), "+OK\r\n");
    EQ(W("APPEND", "k", ""), ":3\r\n");
    EQ(encoding(t, "k"), RAW);
    /* APPEND creating the key stores like SET */
    EQ(W("APPEND", "n", "5"), ":1\r\n");
    EQ(encoding(t, "n"), INT);
    EQ(R("OBJECT", "REFCOUNT", "n"), SHARED);
    EQ(W("SETRANGE", "s", "0", "12"), ":2\r\n");
    EQ(encoding(t, "s"), RAW);
    /* a SETRANGE that writes nothing changes nothing */
    EQ(W("SET", "s", "10"), "+OK\r\n");
    EQ(W("SETRANGE", "s", "0", ""), ":2\r\n");
    EQ(encoding(t, "s"), INT);
    EQ(W("SETBIT", "s", "0", "0"), ":0\r\n");
    EQ(encoding(t, "s"), RAW);
    /* BITFIELD: a write makes it raw, reads do not */
    EQ(W("SET", "b", "abc"), "+OK\r\n");
    EQ(W("BITFIELD", "b", "GET", "u8", "0"), "*1\r\n:97\r\n");
    EQ(encoding(t, "b"), EMBSTR);
    EQ(W("BITFIELD", "b", "OVERFLOW", "FAIL", "SET", "u8", "0", "999"), "*1\r\n$-1\r\n");
    EQ(encoding(t, "b"), RAW);
    EQ(W("BITOP", "NOT", "d", "b"), ":3\r\n");
    EQ(encoding(t, "d"), RAW);
    /* INCRBYFLOAT writes text: never int */
    EQ(W("SET", "f", "2"), "+OK\r\n");
    EQ(W("INCRBYFLOAT", "f", "1"), "$1\r\n3\r\n");
    EQ(encoding(t, "f"), EMBSTR);
    EQ(R("OBJECT", "REFCOUNT", "f"), ":1\r\n");
    /* INCR of a raw value stores an integer again */
    EQ(W("SET", "i", "5"), "+OK\r\n");
    EQ(W("APPEND", "i", "0"), ":2\r\n");
    EQ(W("INCR", "i"), ":51\r\n");
    EQ(encoding(t, "i"), INT);
    /* expiry changes and renames keep the record's encoding */
    EQ(W("EXPIRE", "s", "100"), ":1\r\n");
    EQ(encoding(t, "s"), RAW);
    EQ(W("PERSIST", "s"), ":1\r\n");
    EQ(encoding(t, "s"), RAW);
    EQ(W("RENAME", "s", "s2"), "+OK\r\n");
    EQ(encoding(t, "s2"), RAW);
    EQ(W("COPY", "s2", "s3"), ":1\r\n");
    EQ(encoding(t, "s3"), RAW);
    EQ(W("COPY", "f", "f2"), ":1\r\n");
    EQ(encoding(t, "f2"), EMBSTR);
    /* and SET clears it */
    EQ(W("SET", "s3", "1"), "+OK\r\n");
    EQ(encoding(t, "s3"), INT);
}

static void test_refcount_idletime_freq(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SET", "k", "0"), "+OK\r\n");
    EQ(R("OBJECT", "REFCOUNT", "k"), SHARED);
    EQ(W("SET", "k", "9999"), "+OK\r\n");
    EQ(R("OBJECT", "REFCOUNT", "k"), SHARED);
    EQ(W("SET", "k", "10000"), "+OK\r\n");
    EQ(R("OBJECT", "REFCOUNT", "k"), ":1\r\n");
    EQ(W("SET", "k", "-1"), "+OK\r\n");
    EQ(R("OBJECT", "REFCOUNT", "k"), ":1\r\n");
    EQ(W("SET", "k", "foo"), "+OK\r\n");
    EQ(R("OBJECT", "refcount", "k"), ":1\r\n");
    EQ(R("OBJECT", "REFCOUNT", "nokey"), "$-1\r\n");
    ct_put_collection(t, "h", 1, OBJ_HASH, 1, 0);
    EQ(R("OBJECT", "REFCOUNT", "h"), ":1\r\n");
    /* no access time is kept */
    EQ(R("OBJECT", "IDLETIME", "k"), ":0\r\n");
    EQ(R("OBJECT", "IDLETIME", "nokey"), "$-1\r\n");
    /* FREQ: nil for a missing key, else the no-LFU error */
    EQ(R("OBJECT", "FREQ", "nokey"), "$-1\r\n");
    EQ(R("OBJECT", "FREQ", "k"),
       "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when "
       "switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n");
    /* an expired key is missing */
    EQ(W("PEXPIRE", "k", "10"), ":1\r\n");
    t->now_ms += 11;
    EQ(encoding(t, "k"), "$-1\r\n");
}

static void test_help_and_errors(void **state)
{
    cmdtest_t *t = *state;
    EQ(R("OBJECT", "HELP"),
       "*15\r\n"
       "+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
       "+ENCODING <key>\r\n"
       "+    Return the kind of internal representation used in order to store the value\r\n"
       "+    associated with a <key>.\r\n"
       "+FREQ <key>\r\n"
       "+    Return the access frequency index of the <key>. The returned integer is\r\n"
       "+    proportional to the logarithm of the recent access frequency of the key.\r\n"
       "+IDLETIME <key>\r\n"
       "+    Return the idle time of the <key>, that is the approximated number of\r\n"
       "+    seconds elapsed since the last access to the key.\r\n"
       "+REFCOUNT <key>\r\n"
       "+    Return the number of references of the value associated with the specified\r\n"
       "+    <key>.\r\n"
       "+HELP\r\n"
       "+    Prints this help.\r\n");
    EQ(R("OBJECT", "Help", "x"), "-ERR wrong number of arguments for 'object|help' command\r\n");
    EQ(R("OBJECT", "foo"), "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n");
    EQ(R("OBJECT", "foo", "k"), "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n");
    EQ(R("OBJECT", "encoding"), "-ERR wrong number of arguments for 'object|encoding' command\r\n");
    EQ(R("OBJECT", "ENCODING", "a", "b"), "-ERR wrong number of arguments for 'object|encoding' command\r\n");
    EQ(R("OBJECT"), "-ERR wrong number of arguments for 'object' command\r\n");
}

/* Builds a collection with real elements: metadata through the harness,
 * then the sub-keys under the version it gives (ct_put_collection uses
 * (index + 1) << 16). */
static void put_coll(cmdtest_t *t, const char *key, obj_type_t type, int n, const char *const *subs,
                     const char *const *vals)
{
    uint64_t version = (t->index + 1) << 16;
    ct_put_collection(t, key, strlen(key), type, (uint64_t)n, 0);
    store_txn_t *txn = store_txn_begin(t->store, true);
    size_t klen = strlen(key);
    for (int i = 0; i < n; i++) {
        char buf[512];
        size_t p = enc_sub_prefix(buf, key, klen, version);
        size_t sl = strlen(subs[i]);
        memcpy(buf + p, subs[i], sl);
        const char *v = vals ? vals[i] : "";
        store_put(txn, CF_DATA, buf, p + sl, v, strlen(v));
    }
    char err[256] = "";
    if (store_txn_commit(txn, err, sizeof(err)) < 0) fail_msg("commit: %s", err);
}

static void test_collection_encodings(void **state)
{
    cmdtest_t *t = *state;
    char long65[66], long64[65];
    memset(long65, 'x', 65);
    long65[65] = '\0';
    memset(long64, 'x', 64);
    long64[64] = '\0';

    /* lists are always quicklist in 7.0 */
    ct_put_collection(t, "l", 1, OBJ_LIST, 1000, 0);
    EQ(encoding(t, "l"), "$9\r\nquicklist\r\n");

    const char *hf[] = {"f1", "f2"}, *hv[] = {"v", long64};
    put_coll(t, "h", OBJ_HASH, 2, hf, hv);
    EQ(encoding(t, "h"), "$8\r\nlistpack\r\n");
    const char *hv2[] = {"v", long65};
    put_coll(t, "h2", OBJ_HASH, 2, hf, hv2);
    EQ(encoding(t, "h2"), "$9\r\nhashtable\r\n");
    const char *hf3[] = {"f1", long65}, *hv3[] = {"v", "w"};
    put_coll(t, "h3", OBJ_HASH, 2, hf3, hv3);
    EQ(encoding(t, "h3"), "$9\r\nhashtable\r\n");
    ct_put_collection(t, "h4", 2, OBJ_HASH, 513, 0); /* the count alone decides */
    EQ(encoding(t, "h4"), "$9\r\nhashtable\r\n");
    ct_put_collection(t, "h5", 2, OBJ_HASH, 512, 0);
    EQ(encoding(t, "h5"), "$8\r\nlistpack\r\n");

    const char *si[] = {"-5", "1", "9223372036854775807"};
    put_coll(t, "s", OBJ_SET, 3, si, NULL);
    EQ(encoding(t, "s"), "$6\r\nintset\r\n");
    const char *sm[] = {"1", "01", "2"};
    put_coll(t, "s2", OBJ_SET, 3, sm, NULL);
    EQ(encoding(t, "s2"), "$9\r\nhashtable\r\n");
    const char *sw[] = {"a"};
    put_coll(t, "s3", OBJ_SET, 1, sw, NULL);
    EQ(encoding(t, "s3"), "$9\r\nhashtable\r\n");
    ct_put_collection(t, "s4", 2, OBJ_SET, 513, 0);
    EQ(encoding(t, "s4"), "$9\r\nhashtable\r\n");

    /* zsets: only the 'm' records (member -> score) are looked at; a long
     * 's' record (score + member) must not count twice */
    char m64[70], m65[70];
    snprintf(m64, sizeof(m64), "m%s", long64);
    snprintf(m65, sizeof(m65), "m%s", long65);
    const char *zs[] = {"ma", m64, "s0000000012345678901234567890123456789012345678901234567890123456789012"};
    const char *zv[] = {"12345678", "12345678", ""};
    put_coll(t, "z", OBJ_ZSET, 3, zs, zv);
    EQ(encoding(t, "z"), "$8\r\nlistpack\r\n");
    const char *zs2[] = {"ma", m65};
    put_coll(t, "z2", OBJ_ZSET, 2, zs2, zv);
    EQ(encoding(t, "z2"), "$8\r\nskiplist\r\n");
    ct_put_collection(t, "z3", 2, OBJ_ZSET, 129, 0);
    EQ(encoding(t, "z3"), "$8\r\nskiplist\r\n");
}

static const char HASHTABLE[] = "$9\r\nhashtable\r\n";
static const char LISTPACK[] = "$8\r\nlistpack\r\n";
static const char INTSET[] = "$6\r\nintset\r\n";
static const char SKIPLIST[] = "$8\r\nskiplist\r\n";

/* Runs cmd key followed by n generated arguments: per i in 1..n, the
 * formats fmt1 (and fmt2 when not NULL) with i. More arguments than
 * ct_runv takes, hence ct_run. */
static const char *run_many(cmdtest_t *t, const char *cmd, const char *key, int n, const char *fmt1,
                            const char *fmt2)
{
    int per = fmt2 ? 2 : 1, argc = 2 + n * per;
    const char **argv = calloc((size_t)argc, sizeof(*argv));
    size_t *lens = calloc((size_t)argc, sizeof(*lens));
    char *buf = malloc((size_t)argc * 32);
    argv[0] = cmd;
    argv[1] = key;
    for (int i = 1, a = 2; i <= n; i++) {
        snprintf(buf + a * 32, 32, fmt1, i);
        argv[a] = buf + a * 32;
        a++;
        if (fmt2) {
            snprintf(buf + a * 32, 32, fmt2, i);
            argv[a] = buf + a * 32;
            a++;
        }
    }
    for (int a = 0; a < argc; a++)
        lens[a] = strlen(argv[a]);
    static char reply[256];
    snprintf(reply, sizeof(reply), "%s", ct_run(t, true, true, argc, argv, lens));
    free(buf);
    free(lens);
    free(argv);
    return reply;
}

/* A hash converted to hashtable stays one when it shrinks; a new key
 * starts over as listpack. */
static void test_hash_stays_converted(void **state)
{
    cmdtest_t *t = *state;
    char long65[66];
    memset(long65, 'x', 65);
    long65[65] = '\0';
    EQ(run_many(t, "HSET", "hb", 513, "f%d", "v"), ":513\r\n");
    EQ(encoding(t, "hb"), HASHTABLE);
    EQ(run_many(t, "HDEL", "hb", 512, "f%d", NULL), ":512\r\n");
    EQ(encoding(t, "hb"), HASHTABLE);
    EQ(run_many(t, "HSET", "hb2", 512, "f%d", "v"), ":512\r\n");
    EQ(encoding(t, "hb2"), LISTPACK);
    /* a long value, then overwritten */
    EQ(W("HSET", "h", "f", long65), ":1\r\n");
    EQ(W("HSET", "h", "f", "v"), ":0\r\n");
    EQ(encoding(t, "h"), HASHTABLE);
    /* emptied: the key is gone, and a new one is small */
    EQ(W("HDEL", "h", "f"), ":1\r\n");
    EQ(W("HSET", "h", "f", "v"), ":1\r\n");
    EQ(encoding(t, "h"), LISTPACK);
    /* HINCRBY and HINCRBYFLOAT with a long field convert */
    EQ(W("HSET", "h3", "a", "1"), ":1\r\n");
    EQ(W("HINCRBY", "h3", long65, "1"), ":1\r\n");
    EQ(W("HDEL", "h3", long65), ":1\r\n");
    EQ(encoding(t, "h3"), HASHTABLE);
    EQ(W("HSET", "h4", "a", "1"), ":1\r\n");
    EQ(W("HINCRBYFLOAT", "h4", long65, "1.5"), "$3\r\n1.5\r\n");
    EQ(encoding(t, "h4"), HASHTABLE);
    /* HSETNX of a field that exists writes nothing and converts nothing */
    EQ(W("HSET", "h5", "a", "1"), ":1\r\n");
    EQ(W("HSETNX", "h5", "a", long65), ":0\r\n");
    EQ(encoding(t, "h5"), LISTPACK);
    EQ(W("HSETNX", "h6", long65, "1"), ":1\r\n");
    EQ(encoding(t, "h6"), HASHTABLE);
}

/* Sets: a member that is no integer or more than 512 members convert for
 * good; SPOP with a count that leaves few members rebuilds the set. */
static void test_set_stays_converted(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SADD", "s", "1", "a"), ":2\r\n");
    EQ(W("SREM", "s", "a"), ":1\r\n");
    EQ(encoding(t, "s"), HASHTABLE);
    EQ(run_many(t, "SADD", "sb", 513, "%d", NULL), ":513\r\n");
    EQ(encoding(t, "sb"), HASHTABLE);
    EQ(run_many(t, "SREM", "sb", 500, "%d", NULL), ":500\r\n");
    EQ(encoding(t, "sb"), HASHTABLE);
    EQ(run_many(t, "SADD", "sb2", 512, "%d", NULL), ":512\r\n");
    EQ(encoding(t, "sb2"), INTSET);
    /* SMOVE into an intset */
    EQ(W("SADD", "src", "1", "z"), ":2\r\n");
    EQ(W("SADD", "dst", "5"), ":1\r\n");
    EQ(W("SMOVE", "src", "dst", "z"), ":1\r\n");
    EQ(W("SREM", "dst", "z"), ":1\r\n");
    EQ(encoding(t, "dst"), HASHTABLE);
    /* SPOP count: removes one by one while remaining * 5 > count, else
     * builds a new set from what remains */
    static const struct {
        int size, count;
        const char *enc;
    } pops[] = {{10, 8, HASHTABLE}, {10, 9, INTSET}, {12, 9, HASHTABLE}, {12, 10, INTSET}};
    for (size_t i = 0; i < sizeof(pops) / sizeof(pops[0]); i++) {
        EQ(W("DEL", "p"), i ? ":1\r\n" : ":0\r\n");
        run_many(t, "SADD", "p", pops[i].size, "%d", NULL);
        EQ(W("SADD", "p", "a"), ":1\r\n");
        EQ(W("SREM", "p", "a"), ":1\r\n");
        char count[16];
        snprintf(count, sizeof(count), "%d", pops[i].count);
        W("SPOP", "p", count);
        EQ(encoding(t, "p"), pops[i].enc);
    }
}

/* Sorted sets: a long member or more than 128 members convert for good. */
static void test_zset_stays_converted(void **state)
{
    cmdtest_t *t = *state;
    char long65[66];
    memset(long65, 'x', 65);
    long65[65] = '\0';
    EQ(W("ZADD", "z", "1", long65, "2", "b"), ":2\r\n");
    EQ(W("ZREM", "z", long65), ":1\r\n");
    EQ(encoding(t, "z"), SKIPLIST);
    EQ(W("ZINCRBY", "z2", "1", long65), "$1\r\n1\r\n");
    EQ(W("ZADD", "z2", "1", "a"), ":1\r\n");
    EQ(W("ZREM", "z2", long65), ":1\r\n");
    EQ(encoding(t, "z2"), SKIPLIST);
    EQ(run_many(t, "ZADD", "zb", 129, "%d", "m%d"), ":129\r\n");
    EQ(encoding(t, "zb"), SKIPLIST);
    EQ(W("ZREMRANGEBYRANK", "zb", "0", "-3"), ":127\r\n");
    EQ(encoding(t, "zb"), SKIPLIST);
    EQ(W("ZPOPMIN", "zb"), "*2\r\n$4\r\nm128\r\n$3\r\n128\r\n");
    EQ(encoding(t, "zb"), SKIPLIST);
    EQ(run_many(t, "ZADD", "zb2", 128, "%d", "m%d"), ":128\r\n");
    EQ(encoding(t, "zb2"), LISTPACK);
}

/* The STORE commands make a new collection, judged by what it holds (Redis
 * builds it and converts it to the small encoding when it fits), save
 * SDIFFSTORE's second algorithm, which goes through the whole first set. */
static void test_store_destinations(void **state)
{
    cmdtest_t *t = *state;
    char long65[66];
    memset(long65, 'x', 65);
    long65[65] = '\0';
    EQ(W("ZADD", "z", "1", long65, "2", "b", "3", "c"), ":3\r\n");
    EQ(W("ZREM", "z", long65), ":1\r\n");
    EQ(W("ZUNIONSTORE", "zu", "1", "z"), ":2\r\n");
    EQ(encoding(t, "zu"), LISTPACK);
    EQ(W("ZRANGESTORE", "zr", "z", "0", "-1"), ":2\r\n");
    EQ(encoding(t, "zr"), LISTPACK);
    EQ(W("ZINTERSTORE", "zi", "2", "z", "z"), ":2\r\n");
    EQ(encoding(t, "zi"), LISTPACK);
    EQ(W("ZDIFFSTORE", "zd", "1", "z"), ":2\r\n");
    EQ(encoding(t, "zd"), LISTPACK);
    /* a destination that was converted is replaced, not kept */
    EQ(W("ZUNIONSTORE", "z", "1", "zu"), ":2\r\n");
    EQ(encoding(t, "z"), LISTPACK);

    EQ(W("SADD", "a", "1", "2", "x"), ":3\r\n");
    EQ(W("SADD", "b", "1", "2", "y"), ":3\r\n");
    EQ(W("SINTERSTORE", "d", "a", "b"), ":2\r\n");
    EQ(encoding(t, "d"), INTSET);
    EQ(W("SDIFFSTORE", "d", "a", "b"), ":1\r\n");
    EQ(encoding(t, "d"), HASHTABLE);
    /* first algorithm (the first set is small against the work of the
     * others): only the result's members are added */
    EQ(W("DEL", "a", "b"), ":2\r\n");
    EQ(W("SADD", "a", "1", "2", "3", "x"), ":4\r\n");
    EQ(W("SADD", "b", "x"), ":1\r\n");
    EQ(W("SDIFFSTORE", "d", "a", "b", "c"), ":3\r\n");
    EQ(encoding(t, "d"), INTSET);
    /* second algorithm: the whole first set went in, x converted it */
    EQ(W("SADD", "a", "4", "5", "6"), ":3\r\n");
    EQ(W("SADD", "c", "y"), ":1\r\n");
    EQ(W("SDIFFSTORE", "d", "a", "b", "c"), ":6\r\n");
    EQ(encoding(t, "d"), HASHTABLE);
    EQ(W("SUNIONSTORE", "d", "d"), ":6\r\n");
    EQ(encoding(t, "d"), INTSET);
}

/* RENAME moves the object and COPY duplicates it in its encoding; expiry
 * changes keep it; a key replaced by another type loses it. Lists are
 * always quicklist in 7.0, whatever their elements. */
static void test_converted_keyspace(void **state)
{
    cmdtest_t *t = *state;
    char long65[66];
    memset(long65, 'x', 65);
    long65[65] = '\0';
    EQ(W("HSET", "h", "f", long65), ":1\r\n");
    EQ(W("HSET", "h", "f", "v"), ":0\r\n");
    EQ(W("EXPIRE", "h", "100"), ":1\r\n");
    EQ(encoding(t, "h"), HASHTABLE);
    EQ(W("PERSIST", "h"), ":1\r\n");
    EQ(W("RENAME", "h", "hr"), "+OK\r\n");
    EQ(encoding(t, "hr"), HASHTABLE);
    EQ(W("COPY", "hr", "hc"), ":1\r\n");
    EQ(encoding(t, "hc"), HASHTABLE);
    EQ(W("SADD", "s", "1", "a"), ":2\r\n");
    EQ(W("SREM", "s", "a"), ":1\r\n");
    EQ(W("COPY", "s", "sc"), ":1\r\n");
    EQ(encoding(t, "sc"), HASHTABLE);
    EQ(W("ZADD", "z", "1", long65, "2", "b"), ":2\r\n");
    EQ(W("ZREM", "z", long65), ":1\r\n");
    EQ(W("RENAME", "z", "zr"), "+OK\r\n");
    EQ(encoding(t, "zr"), SKIPLIST);
    /* COPY REPLACE over a converted key gives the source's encoding */
    EQ(W("HSET", "small", "a", "1"), ":1\r\n");
    EQ(W("COPY", "small", "hc", "REPLACE"), ":1\r\n");
    EQ(encoding(t, "hc"), LISTPACK);
    /* replaced by a string, then a new hash */
    EQ(W("SET", "hr", "x"), "+OK\r\n");
    EQ(W("DEL", "hr"), ":1\r\n");
    EQ(W("HSET", "hr", "a", "1"), ":1\r\n");
    EQ(encoding(t, "hr"), LISTPACK);
    /* survives a restart of the store */
    ct_reopen(t);
    EQ(encoding(t, "sc"), HASHTABLE);
    EQ(W("RPUSH", "l", long65, "a"), ":2\r\n");
    EQ(W("LPOP", "l"), "$65\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n");
    EQ(encoding(t, "l"), "$9\r\nquicklist\r\n");
}

/* SCAN's TYPE filter sees every type by name. */
static void test_scan_type_collections(void **state)
{
    cmdtest_t *t = *state;
    EQ(W("SET", "str", "1"), "+OK\r\n");
    ct_put_collection(t, "h", 1, OBJ_HASH, 1, 0);
    ct_put_collection(t, "l", 1, OBJ_LIST, 1, 0);
    ct_put_collection(t, "s", 1, OBJ_SET, 1, 0);
    ct_put_collection(t, "z", 1, OBJ_ZSET, 1, 0);
    ct_put_collection(t, "z2", 2, OBJ_ZSET, 1, CT_T0 + 10);
    EQ(R("SCAN", "0", "TYPE", "hash"), "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nh\r\n");
    EQ(R("SCAN", "0", "TYPE", "list"), "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nl\r\n");
    EQ(R("SCAN", "0", "TYPE", "SET"), "*2\r\n$1\r\n0\r\n*1\r\n$1\r\ns\r\n");
    EQ(R("SCAN", "0", "TYPE", "zset"), "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nz\r\n$2\r\nz2\r\n");
    EQ(R("SCAN", "0", "TYPE", "string"), "*2\r\n$1\r\n0\r\n*1\r\n$3\r\nstr\r\n");
    EQ(R("SCAN", "0", "TYPE", "none"), "*2\r\n$1\r\n0\r\n*0\r\n");
    /* an expired collection is skipped */
    t->now_ms = CT_T0 + 11;
    EQ(R("SCAN", "0", "TYPE", "zset"), "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nz\r\n");
    EQ(R("SCAN", "0", "MATCH", "z*", "TYPE", "zset", "COUNT", "1"), "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nz\r\n");
}

static void test_table(void **state)
{
    (void)state;
    cmd_register_data_commands();
    const command_t *c = cmd_lookup("object", 6);
    assert_non_null(c);
    assert_int_equal(c->arity, -2);
    assert_true(c->flags & CMD_READONLY);
    assert_string_equal(c->group, "generic");
    int n = 0;
    for (const command_t *s = c->subcommands; s && s->name; s++, n++) {
        bool help = strcmp(s->name, "help") == 0;
        assert_int_equal(s->arity, help ? 2 : 3);
        assert_int_equal(s->first_key, help ? 0 : 2);
        assert_int_equal(s->flags & CMD_READONLY, help ? 0 : CMD_READONLY);
    }
    assert_int_equal(n, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_string_set_encodings, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_string_history, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_refcount_idletime_freq, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_help_and_errors, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_collection_encodings, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_hash_stays_converted, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_set_stays_converted, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_zset_stays_converted, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_store_destinations, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_converted_keyspace, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_scan_type_collections, ct_setup, ct_teardown),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests_name("t_object", tests, NULL, NULL);
}
