/* The peer side of the client port refuses what a stranger or a broken peer
 * sends, and the server lives on: RAFT.MSG without RAFT.HELLO, a HELLO of
 * another cluster, with a wrong cluster_secret or with the node's own id,
 * messages that do not decode (random bytes, truncations of a valid one),
 * messages naming another sender or destination; snapshot chunks that are
 * garbage, out of order, of a stale term, with a bad checksum, or a manifest
 * that names a file outside its directory, and a SNAPSHOT message whose data
 * never came; RAFT.PUBLISH without HELLO or with bad arguments. After each, the data and the node's ability to serve writes
 * are checked. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node/snapwire.h"
#include "util/crc32c.h"
#include "node/wire.h"
#include "storage/snapshot.h"
#include "support/proc.h"

static testproc_t srv;
static uint64_t cid; /* the node's cluster id, from INFO raft */

static redisReply *cmdv(redisContext *c, int argc, const char **argv, const size_t *lens)
{
    redisReply *r = redisCommandArgv(c, argc, argv, lens);
    assert_non_null(r);
    return r;
}

static void expect_error(redisReply *r, const char *prefix)
{
    if (r->type != REDIS_REPLY_ERROR || strncmp(r->str, prefix, strlen(prefix)) != 0)
        fail_msg("want an error starting \"%s\", got type %d \"%s\"", prefix, r->type, r->str ? r->str : "");
    freeReplyObject(r);
}

static void expect_ok(redisReply *r)
{
    if (r->type != REDIS_REPLY_STATUS || strcmp(r->str, "OK") != 0)
        fail_msg("want +OK, got type %d \"%s\"", r->type, r->str ? r->str : "");
    freeReplyObject(r);
}

/* The node still serves: a write and a read on a fresh connection. */
static void still_serving(const char *tag)
{
    redisContext *c = proc_connect(&srv);
    assert_non_null(c);
    expect_ok(redisCommand(c, "SET alive %s", tag));
    redisReply *r = redisCommand(c, "GET alive");
    assert_non_null(r);
    assert_string_equal(r->str, tag);
    freeReplyObject(r);
    redisFree(c);
    assert_true(proc_alive(&srv));
}

static int setup(void **state)
{
    const char *args[] = {"--cluster_secret", "s3cret", NULL};
    if (proc_start(&srv, args) != 0) return -1;
    redisContext *c = proc_connect(&srv);
    if (!c) return -1;
    redisReply *r = redisCommand(c, "INFO raft");
    const char *p = r && r->str ? strstr(r->str, "raft_cluster_id:") : NULL;
    if (p) cid = strtoull(p + 16, NULL, 16);
    freeReplyObject(r);
    redisFree(c);
    return cid ? 0 : -1;
}

static int teardown(void **state)
{
    return proc_finish(&srv);
}

static void hello(redisContext *c, uint64_t cluster, const char *from, const char *secret, const char *want)
{
    char id[24];
    snprintf(id, sizeof(id), "%" PRIu64, cluster);
    const char *argv[] = {"RAFT.HELLO", id, from, secret};
    redisReply *r = redisCommandArgv(c, 4, argv, NULL);
    assert_non_null(r);
    if (want)
        expect_error(r, want);
    else
        expect_ok(r);
}

static void test_hello_checks(void **state)
{
    redisContext *c = proc_connect(&srv);
    assert_non_null(c);
    const char *msg[] = {"RAFT.MSG", "x"};
    expect_error(cmdv(c, 2, msg, NULL), "ERR raft: RAFT.MSG needs RAFT.HELLO first");
    hello(c, cid, "7", "wrong", "ERR raft: wrong cluster_secret");
    hello(c, cid + 1, "7", "s3cret", "ERR raft: this node belongs to another cluster");
    hello(c, cid, "1", "s3cret", "ERR raft: a peer uses this node's own id");
    expect_error(redisCommand(c, "RAFT.HELLO 1 2"), "ERR syntax");
    expect_error(redisCommand(c, "RAFT.HELLO abc 2 s3cret"), "ERR syntax");
    expect_error(redisCommand(c, "RAFT.NOPE"), "ERR unknown raft command");
    expect_error(cmdv(c, 2, msg, NULL), "ERR raft: RAFT.MSG needs RAFT.HELLO first");
    redisFree(c);
    still_serving("a");
}

/* RAFT.PUBLISH (a Pub/Sub message from another member): refused without
 * HELLO or with bad arguments, delivered to this node's subscribers after. */
static void test_publish_from_peers(void **state)
{
    redisContext *sub = proc_connect(&srv), *c = proc_connect(&srv);
    assert_non_null(sub);
    assert_non_null(c);
    redisReply *r = redisCommand(sub, "SUBSCRIBE news");
    assert_non_null(r);
    freeReplyObject(r);
    expect_error(redisCommand(c, "RAFT.PUBLISH c news early"), "ERR raft: RAFT.PUBLISH needs RAFT.HELLO first");
    hello(c, cid, "7", "s3cret", NULL);
    expect_error(redisCommand(c, "RAFT.PUBLISH x news m"), "ERR syntax");
    expect_error(redisCommand(c, "RAFT.PUBLISH cc news m"), "ERR syntax");
    expect_error(redisCommand(c, "RAFT.PUBLISH c news"), "ERR syntax");
    expect_error(redisCommand(c, "RAFT.PUBLISH c news m extra"), "ERR syntax");
    r = redisCommand(c, "RAFT.PUBLISH s news shard");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_int_equal(r->integer, 0); /* nobody on the shard channel */
    freeReplyObject(r);
    const char *argv[] = {"RAFT.PUBLISH", "c", "news", "bin\0ary"};
    size_t lens[] = {12, 1, 4, 7};
    r = cmdv(c, 4, argv, lens);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    /* the subscriber got that one message, none of the refused ones */
    struct timeval tv = {5, 0};
    redisSetTimeout(sub, tv);
    r = NULL;
    assert_int_equal(redisGetReply(sub, (void **)&r), REDIS_OK);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 3);
    assert_string_equal(r->element[0]->str, "message");
    assert_string_equal(r->element[1]->str, "news");
    assert_int_equal(r->element[2]->len, 7);
    assert_memory_equal(r->element[2]->str, "bin\0ary", 7);
    freeReplyObject(r);
    r = redisCommand(sub, "PING");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY); /* ["pong", ""]: no message was left before it */
    assert_string_equal(r->element[0]->str, "pong");
    freeReplyObject(r);
    redisFree(sub);
    redisFree(c);
    still_serving("p");
}

/* A valid HEARTBEAT from "node 7" to node 1, encoded with wire.c. */
static size_t valid_msg(char *buf, size_t cap, uint64_t from, uint64_t to, uint64_t cluster)
{
    raft_msg_t m = {.type = RAFT_MSG_HEARTBEAT_RESP, .from = from, .to = to, .term = 1, .ctx = 1};
    return wire_encode(&m, cluster, buf, cap);
}

static void test_bad_messages(void **state)
{
    redisContext *c = proc_connect(&srv);
    assert_non_null(c);
    hello(c, cid, "7", "s3cret", NULL);
    char buf[256];
    size_t len = valid_msg(buf, sizeof(buf), 7, 1, cid);
    assert_true(len > 0);
    const char *argv[2] = {"RAFT.MSG", buf};
    size_t lens[2] = {8, len};
    /* the valid one is taken (the core ignores a stranger's answer) */
    expect_ok(cmdv(c, 2, argv, lens));
    /* every truncation of it is refused */
    for (size_t cut = 0; cut < len; cut++) {
        lens[1] = cut;
        expect_error(cmdv(c, 2, argv, lens), "ERR raft: bad message");
    }
    /* another sender than the HELLO, another destination, another cluster */
    lens[1] = valid_msg(buf, sizeof(buf), 8, 1, cid);
    expect_error(cmdv(c, 2, argv, lens), "ERR raft: bad message: sender");
    lens[1] = valid_msg(buf, sizeof(buf), 7, 2, cid);
    expect_error(cmdv(c, 2, argv, lens), "ERR raft: bad message: addressed");
    lens[1] = valid_msg(buf, sizeof(buf), 7, 1, cid ^ 1);
    expect_error(cmdv(c, 2, argv, lens), "ERR raft: bad message: cluster");
    /* random bytes, some starting like a message */
    unsigned seed = 42;
    for (int i = 0; i < 2000; i++) {
        size_t n = 1 + (size_t)(i % 200);
        for (size_t k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            buf[k] = (char)(seed >> 16);
        }
        if (i % 2 && n > 3) memcpy(buf, "RM\x01", 3);
        lens[1] = n;
        redisReply *r = cmdv(c, 2, argv, lens);
        /* a random message could decode; the server must answer either way */
        assert_true(r->type == REDIS_REPLY_ERROR || r->type == REDIS_REPLY_STATUS);
        freeReplyObject(r);
    }
    redisFree(c);
    still_serving("b");
}

static redisReply *snap_chunk(redisContext *c, const snapwire_t *w)
{
    static char buf[8192];
    size_t len = snapwire_encode(w, buf, sizeof(buf));
    assert_true(len > 0);
    const char *argv[2] = {"RAFT.SNAP", buf};
    size_t lens[2] = {9, len};
    return cmdv(c, 2, argv, lens);
}

static void test_bad_snapshot_chunks(void **state)
{
    redisContext *c = proc_connect(&srv);
    assert_non_null(c);
    const char *argv[2] = {"RAFT.SNAP", "x"};
    expect_error(cmdv(c, 2, argv, NULL), "ERR raft: RAFT.SNAP needs RAFT.HELLO first");
    hello(c, cid, "7", "s3cret", NULL);
    expect_error(cmdv(c, 2, argv, NULL), "ERR raft: bad snapshot chunk: not a snapshot chunk");

    /* a manifest of one 10-byte file at index 1000, term 5 */
    snap_file_t f = {.name = "000001.sst", .size = 10, .crc = 0};
    f.crc = crc32c(0, "0123456789", 10);
    snap_manifest_t m = {.index = 1000, .term = 5, .nfiles = 1, .files = &f, .bytes = 10};
    char mbuf[512];
    size_t mlen = snap_manifest_encode(&m, mbuf, sizeof(mbuf));
    assert_true(mlen > 0);
    snapwire_t begin = {.kind = SNAPWIRE_BEGIN, .cluster_id = cid, .from = 7, .term = 5, .snap_index = 1000,
                        .snap_term = 5, .body = mbuf, .len = (uint32_t)mlen};
    snapwire_t data = {.kind = SNAPWIRE_DATA, .cluster_id = cid, .from = 7, .term = 5, .snap_index = 1000,
                       .snap_term = 5, .body = "01234", .len = 5, .file = 0, .offset = 0};

    /* data without a transfer; another sender; another cluster */
    expect_error(snap_chunk(c, &data), "ERR raft: no such snapshot transfer in progress");
    snapwire_t w = begin;
    w.from = 8;
    expect_error(snap_chunk(c, &w), "ERR raft: bad snapshot chunk: sender");
    w = begin;
    w.cluster_id = cid ^ 1;
    expect_error(snap_chunk(c, &w), "ERR raft: bad snapshot chunk: cluster");
    /* a manifest whose index is not the chunk's, one that names "../x" */
    w = begin;
    w.snap_index = 999;
    expect_error(snap_chunk(c, &w), "ERR raft: bad snapshot manifest: its index or term differs");
    snap_file_t evil = f;
    snprintf(evil.name, sizeof(evil.name), "../x");
    m.files = &evil;
    char ebuf[512];
    size_t elen = snap_manifest_encode(&m, ebuf, sizeof(ebuf));
    m.files = &f;
    w = begin;
    w.body = ebuf;
    w.len = (uint32_t)elen;
    expect_error(snap_chunk(c, &w), "ERR raft: bad snapshot manifest: snapshot manifest: bad file name");

    /* a good start, then a chunk out of order: the transfer is dropped */
    expect_ok(snap_chunk(c, &begin));
    w = data;
    w.offset = 5;
    expect_error(snap_chunk(c, &w), "ERR raft: snapshot chunk refused: chunk out of order");
    expect_error(snap_chunk(c, &data), "ERR raft: no such snapshot transfer in progress");
    /* again: the right bytes in two chunks, but the file's checksum is not
     * the manifest's (the second half differs) */
    expect_ok(snap_chunk(c, &begin));
    expect_ok(snap_chunk(c, &data));
    w = data;
    w.offset = 5;
    w.body = "56780";
    expect_error(snap_chunk(c, &w), "ERR raft: snapshot chunk refused: file checksum mismatch");
    /* a chunk past the end of its file */
    expect_ok(snap_chunk(c, &begin));
    w = data;
    w.body = "0123456789AB";
    w.len = 12;
    expect_error(snap_chunk(c, &w), "ERR raft: snapshot chunk refused: chunk beyond the end");
    /* a complete transfer whose SNAPSHOT message never names it: nothing is
     * installed (the node's own data is unchanged, checked below) */
    expect_ok(snap_chunk(c, &begin));
    expect_ok(snap_chunk(c, &data));
    w = data;
    w.offset = 5;
    w.body = "56789";
    expect_ok(snap_chunk(c, &w));
    /* a stale term is refused (the node is in term >= 1; term 0 is stale) */
    w = begin;
    w.term = 0;
    expect_error(snap_chunk(c, &w), "ERR raft: bad snapshot chunk: stale term");
    /* truncations of a valid chunk */
    static char vbuf[8192];
    size_t vlen = snapwire_encode(&data, vbuf, sizeof(vbuf));
    const char *av[2] = {"RAFT.SNAP", vbuf};
    for (size_t cut = 0; cut < vlen; cut++) {
        size_t lens[2] = {9, cut};
        expect_error(cmdv(c, 2, av, lens), "ERR raft: bad snapshot chunk");
    }
    redisFree(c);
    still_serving("c");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello_checks),
        cmocka_unit_test(test_publish_from_peers),
        cmocka_unit_test(test_bad_messages),
        cmocka_unit_test(test_bad_snapshot_chunks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
