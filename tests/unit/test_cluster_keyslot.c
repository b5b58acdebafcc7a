/* Unit tests for the pure helpers of src/node/cluster_cmds.c: CLUSTER
 * KEYSLOT (every expected slot was answered by redis-server 7.0.15 with
 * cluster-enabled yes), the SHA-1 behind DEBUG DIGEST (FIPS 180 test
 * vectors) and the node names every member derives alike. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/cluster_cmds.h"

/* A string literal and its length, so rows may hold NUL bytes. */
#define S(x) x, sizeof(x) - 1

static const struct {
    const char *key;
    size_t len;
    unsigned slot;
} slots[] = {
    {S("foo"), 12182},
    {S("{user1000}.following"), 3443},
    {S("{user1000}.followers"), 3443},
    {S("123456789"), 12739}, /* CRC16/XMODEM check value 0x31C3 */
    {S("a"), 15495},
    {S(""), 0},
    {S("hello{world}"), 9059},
    {S("{}a"), 10875},       /* empty tag: the whole key */
    {S("a{}"), 6082},
    {S("{a"), 10276},        /* no closing brace: the whole key */
    {S("{{a}}"), 10276},     /* the tag is "{a" */
    {S("}{a}"), 15495},      /* the tag is "a" */
    {S("x{a}{b}"), 15495},   /* the first tag only */
    {S("{ab}c"), 13567},
    {S("\xff\x00\x80"), 7915},
};

static void test_keyslot(void **state)
{
    for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
        unsigned got = cluster_keyslot(slots[i].key, slots[i].len);
        if (got != slots[i].slot) fail_msg("keyslot(%zu: '%.*s') = %u, want %u", i, (int)slots[i].len, slots[i].key,
                                           got, slots[i].slot);
    }
}

static void sha1_hex(const void *p, size_t len, char out[41])
{
    unsigned char d[20];
    cluster_sha1(p, len, d);
    for (int i = 0; i < 20; i++) snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* The FIPS 180 vectors, plus lengths around the 55/56/64-byte padding edges
 * checked against sha1sum. */
static void test_sha1_vectors(void **state)
{
    char hex[41];
    sha1_hex("", 0, hex);
    assert_string_equal(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    sha1_hex(S("abc"), hex);
    assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    sha1_hex(S("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"), hex);
    assert_string_equal(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    char *m = malloc(1000000);
    assert_non_null(m);
    memset(m, 'a', 1000000);
    sha1_hex(m, 1000000, hex);
    assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    sha1_hex(m, 55, hex);
    assert_string_equal(hex, "c1c8bbdc22796e28c0e15163d20899b65621d65a");
    sha1_hex(m, 56, hex);
    assert_string_equal(hex, "c2db330f6083854c99d4b5bfb6e8f29f201be699");
    sha1_hex(m, 64, hex);
    assert_string_equal(hex, "0098ba824b5c16427bd7a1122a5a442a25ec644d");
    free(m);
}

/* 40 lower-case hex digits, a pure function of (cluster id, node id). */
static void test_node_name(void **state)
{
    char a[41], b[41], c[41], d[41];
    cluster_node_name(0x1234abcdULL, 1, a);
    cluster_node_name(0x1234abcdULL, 1, b);
    cluster_node_name(0x1234abcdULL, 2, c);
    cluster_node_name(0x1234abceULL, 1, d);
    assert_int_equal(strlen(a), 40);
    assert_int_equal(strspn(a, "0123456789abcdef"), 40);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_string_not_equal(a, d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keyslot),
        cmocka_unit_test(test_sha1_vectors),
        cmocka_unit_test(test_node_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
