/* prefetch_elements (src/cmd/prefetch.c): which arguments of a write name
 * the elements apply looks up ahead of a batch, with the collection's type
 * and the sub-key's tag. A wrong position only costs a useless lookup, but
 * a missed one costs the speed the prefetch is for, and every answer is
 * checked against what the commands really read by the differential tests
 * (pipelined batches of every family against redis-server). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/command.h"
#include "cmd/prefetch.h"
#include "cmd/t_zset.h"
#include "node/node.h"

static int setup(void **state)
{
    (void)state;
    cmd_register_data_commands();
    node_register_commands();
    return 0;
}

/* The positions prefetch_elements gives for a command line, as "2,4," */
static int elems(const char *line, obj_type_t *type, char *tag, char *out, size_t outlen)
{
    char buf[256];
    const char *argv[32];
    size_t argvlen[32];
    int argc = 0;
    strncpy(buf, line, sizeof(buf) - 1);
    buf[sizeof(buf) - 1] = 0;
    for (char *tok = strtok(buf, " "); tok && argc < 32; tok = strtok(NULL, " ")) {
        argv[argc] = tok;
        argvlen[argc++] = strlen(tok);
    }
    const command_t *cmd = cmd_lookup(argv[0], argvlen[0]);
    assert_non_null(cmd);
    int pos[PREFETCH_MAX_ELEMS];
    int n = prefetch_elements(cmd, argc, argv, argvlen, type, tag, pos);
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        size_t l = strlen(out);
        snprintf(out + l, outlen - l, "%d,", pos[i]);
    }
    return n;
}

static void expect(const char *line, const char *want, obj_type_t want_type, char want_tag)
{
    obj_type_t type = OBJ_NONE;
    char tag = 1, got[128];
    int n = elems(line, &type, &tag, got, sizeof(got));
    assert_string_equal(got, want);
    if (n > 0) {
        assert_int_equal(type, want_type);
        assert_int_equal(tag, want_tag);
    }
}

static void test_hash(void **state)
{
    (void)state;
    expect("hset h f1 v1 f2 v2", "2,4,", OBJ_HASH, 0);
    expect("hmset h f1 v1", "2,", OBJ_HASH, 0);
    expect("hset h f1 v1 f2", "", OBJ_HASH, 0); /* refused by HSET: nothing to gain */
    expect("hsetnx h f v", "2,", OBJ_HASH, 0);
    expect("hincrby h f 1", "2,", OBJ_HASH, 0);
    expect("hincrbyfloat h f 1.5", "2,", OBJ_HASH, 0);
    expect("hdel h a b c", "2,3,4,", OBJ_HASH, 0);
}

static void test_set(void **state)
{
    (void)state;
    expect("sadd s a b", "2,3,", OBJ_SET, 0);
    expect("srem s a", "2,", OBJ_SET, 0);
}

static void test_zset(void **state)
{
    (void)state;
    expect("zadd z 1 a 2 b", "3,5,", OBJ_ZSET, ZS_MEMBER);
    expect("zadd z NX ch 1 a", "5,", OBJ_ZSET, ZS_MEMBER);
    expect("zadd z xx GT incr 1 a", "6,", OBJ_ZSET, ZS_MEMBER);
    expect("zadd z nx 1", "", OBJ_ZSET, ZS_MEMBER);
    expect("zadd z 1 a 2", "", OBJ_ZSET, ZS_MEMBER);
    expect("zincrby z 2 m", "3,", OBJ_ZSET, ZS_MEMBER);
    expect("zrem z a b", "2,3,", OBJ_ZSET, ZS_MEMBER);
}

static void test_others_and_limit(void **state)
{
    (void)state;
    expect("set k v", "", OBJ_NONE, 0);
    expect("lpush l a b", "", OBJ_NONE, 0);
    expect("sismember s a", "", OBJ_NONE, 0); /* reads are not applied */
    char line[256] = "sadd s";
    for (int i = 0; i < 20; i++)
        strcat(line, " m");
    obj_type_t type;
    char tag, got[128];
    assert_int_equal(elems(line, &type, &tag, got, sizeof(got)), PREFETCH_MAX_ELEMS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_zset),
        cmocka_unit_test(test_others_and_limit),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
