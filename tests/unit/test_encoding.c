/* Unit tests for src/storage/encoding.c: big-endian integers, order-preserving
 * doubles, metadata records and the key builders of docs/encoding.md. The
 * property the whole data CF rests on is "memcmp order == numeric order", so
 * most tests compare the two over fixed edge cases and seeded random values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "storage/encoding.h"

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static int sign_of(int v)
{
    return (v > 0) - (v < 0);
}

static int memcmp_sign(const void *a, const void *b, size_t n)
{
    return sign_of(memcmp(a, b, n));
}

/* ---- integers ---------------------------------------------------------- */

static void test_u32_u64_bytes(void **state)
{
    (void)state;
    char b[8];
    enc_put_u32(b, 0x01020304u);
    assert_memory_equal(b, "\x01\x02\x03\x04", 4);
    assert_int_equal(enc_get_u32(b), 0x01020304u);
    enc_put_u32(b, 0xFFFFFFFEu);
    assert_memory_equal(b, "\xff\xff\xff\xfe", 4);
    assert_int_equal(enc_get_u32(b), 0xFFFFFFFEu);

    enc_put_u64(b, 0x0102030405060708ULL);
    assert_memory_equal(b, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    assert_true(enc_get_u64(b) == 0x0102030405060708ULL);
    enc_put_u64(b, 0x8000000000000001ULL);
    assert_memory_equal(b, "\x80\x00\x00\x00\x00\x00\x00\x01", 8);
    assert_true(enc_get_u64(b) == 0x8000000000000001ULL);
    enc_put_u64(b, UINT64_MAX);
    assert_memory_equal(b, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
    assert_true(enc_get_u64(b) == UINT64_MAX);
    enc_put_u64(b, 0);
    assert_memory_equal(b, "\0\0\0\0\0\0\0\0", 8);

    /* reads do not depend on alignment nor on the sign of char */
    char odd[9] = {0, (char)0xde, (char)0xad, (char)0xbe, (char)0xef, (char)0x80, 0x7f, (char)0xff, 1};
    assert_int_equal(enc_get_u32(odd + 1), 0xDEADBEEFu);
    assert_true(enc_get_u64(odd + 1) == 0xDEADBEEF807FFF01ULL);
}

static void test_u32_u64_round_trip_and_order(void **state)
{
    (void)state;
    char a[8], b[8];
    for (int i = 0; i < 100000; i++) {
        /* mix full-width values with small ones and ones sharing high bytes */
        uint64_t x = rnd(), y = rnd();
        switch (i % 4) {
        case 1: x >>= (x & 63); y >>= (y & 63); break;
        case 2: y = x ^ (1ULL << (y & 63)); break;
        case 3: y = x + (y & 3); break;
        }
        enc_put_u64(a, x);
        enc_put_u64(b, y);
        assert_true(enc_get_u64(a) == x);
        assert_true(enc_get_u64(b) == y);
        assert_int_equal(memcmp_sign(a, b, 8), (x > y) - (x < y));

        uint32_t x32 = (uint32_t)x, y32 = (uint32_t)y;
        enc_put_u32(a, x32);
        enc_put_u32(b, y32);
        assert_int_equal(enc_get_u32(a), x32);
        assert_int_equal(enc_get_u32(b), y32);
        assert_int_equal(memcmp_sign(a, b, 4), (x32 > y32) - (x32 < y32));
    }
}

/* ---- doubles ------------------------------------------------------------- */

static int dcmp(double x, double y)
{
    return (x > y) - (x < y);
}

static uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

static void test_double_order_edge_cases(void **state)
{
    (void)state;
    const double sorted[] = {
        -INFINITY, -1.7976931348623157e308, -1e308, -1e10, -2.0, -1.0, -0.5,
        -2.2250738585072014e-308, /* smallest normal */
        -1e-320,                  /* subnormal */
        -4.9406564584124654e-324, /* -5e-324, the smallest subnormal */
        -0.0, 0.0,
        4.9406564584124654e-324, 1e-320, 2.2250738585072014e-308, 0.5, 1.0,
        1.0000000000000002, 2.0, 1e10, 1e308, 1.7976931348623157e308, INFINITY,
    };
    const size_t n = sizeof(sorted) / sizeof(sorted[0]);
    char enc[sizeof(sorted) / sizeof(sorted[0])][8];
    for (size_t i = 0; i < n; i++) enc_put_double(enc[i], sorted[i]);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            int want = dcmp(sorted[i], sorted[j]); /* -0.0 == 0.0 numerically */
            if (memcmp_sign(enc[i], enc[j], 8) != want)
                fail_msg("order of %a vs %a: memcmp %d, numeric %d", sorted[i], sorted[j],
                         memcmp_sign(enc[i], enc[j], 8), want);
        }
    }
    /* -0.0 and 0.0 encode to the same bytes, and decode to +0.0 */
    char z1[8], z2[8];
    enc_put_double(z1, -0.0);
    enc_put_double(z2, 0.0);
    assert_memory_equal(z1, z2, 8);
    assert_memory_equal(z2, "\x80\0\0\0\0\0\0\0", 8);
    assert_true(dbits(enc_get_double(z1)) == 0);

    /* exact bytes of a few values (docs/encoding.md's rule) */
    char b[8];
    enc_put_double(b, 1.0); /* 0x3FF0... with the sign bit set */
    assert_memory_equal(b, "\xbf\xf0\0\0\0\0\0\0", 8);
    enc_put_double(b, -1.0); /* ~0xBFF0... */
    assert_memory_equal(b, "\x40\x0f\xff\xff\xff\xff\xff\xff", 8);
    enc_put_double(b, -INFINITY);
    assert_memory_equal(b, "\x00\x0f\xff\xff\xff\xff\xff\xff", 8);
    enc_put_double(b, INFINITY);
    assert_memory_equal(b, "\xff\xf0\0\0\0\0\0\0", 8);

    /* every edge case comes back bit for bit (except -0.0, which is +0.0) */
    for (size_t i = 0; i < n; i++) {
        double back = enc_get_double(enc[i]);
        double want = sorted[i] == 0 ? 0.0 : sorted[i];
        assert_true(dbits(back) == dbits(want));
    }
}

static double random_double(void)
{
    for (;;) {
        uint64_t u = rnd();
        switch (u % 4) {
        case 0: break;                                         /* any bit pattern */
        case 1: u &= 0x800FFFFFFFFFFFFFULL; break;             /* subnormals */
        case 2: u = (u & 0x80000000FFFFFFFFULL) | 0x3FF0000000000000ULL; break; /* near +-1 */
        case 3: { double d = (double)(int64_t)(u >> 8) / 1024.0; memcpy(&u, &d, 8); break; }
        }
        double d;
        memcpy(&d, &u, 8);
        if (!isnan(d)) return d;
    }
}

static void test_double_random_round_trip_and_order(void **state)
{
    (void)state;
    char a[8], b[8];
    double prev = 0;
    for (int i = 0; i < 100000; i++) {
        double d = random_double();
        enc_put_double(a, d);
        double back = enc_get_double(a);
        double want = d == 0 ? 0.0 : d;
        if (dbits(back) != dbits(want)) fail_msg("round trip of %a gave %a", d, back);
        /* order against the previous value and against a close neighbour */
        enc_put_double(b, prev);
        if (memcmp_sign(a, b, 8) != dcmp(d, prev)) fail_msg("order of %a vs %a", d, prev);
        double nb = nextafter(d, (i & 1) ? INFINITY : -INFINITY);
        enc_put_double(b, nb);
        if (memcmp_sign(a, b, 8) != dcmp(d, nb)) fail_msg("order of %a vs its neighbour %a", d, nb);
        prev = d;
    }
}

/* ---- metadata records ---------------------------------------------------- */

static void test_meta_string(void **state)
{
    (void)state;
    char *rec = NULL;
    size_t n = enc_meta_encode_string(&rec, 0x0102030405060708LL, "v\0x", 3);
    assert_int_equal(n, ENC_META_HDR + 3);
    assert_memory_equal(rec, "\x01\x00\x01\x02\x03\x04\x05\x06\x07\x08v\0x", n);

    meta_t m;
    assert_int_equal(enc_meta_decode(&m, rec, n), 0);
    assert_int_equal(m.type, OBJ_STRING);
    assert_int_equal(m.flags, 0);
    assert_true(m.expire_ms == 0x0102030405060708LL);
    assert_int_equal(m.vlen, 3);
    assert_ptr_equal(m.value, rec + ENC_META_HDR); /* a view, not a copy */
    assert_memory_equal(m.value, "v\0x", 3);
    assert_true(m.version == 0 && m.size == 0);
    free(rec);

    /* the empty string, no expiry */
    n = enc_meta_encode_string(&rec, 0, "", 0);
    assert_int_equal(n, ENC_META_HDR);
    assert_int_equal(enc_meta_decode(&m, rec, n), 0);
    assert_int_equal(m.type, OBJ_STRING);
    assert_int_equal(m.vlen, 0);
    assert_true(m.expire_ms == 0);
    free(rec);

    /* flags are decoded as stored; a big value survives */
    size_t big = 100000;
    char *val = malloc(big);
    for (size_t i = 0; i < big; i++) val[i] = (char)(i * 7);
    n = enc_meta_encode_string(&rec, 1700000000123LL, val, big);
    rec[1] = 0x5a;
    assert_int_equal(enc_meta_decode(&m, rec, n), 0);
    assert_int_equal(m.flags, 0x5a);
    assert_true(m.expire_ms == 1700000000123LL);
    assert_int_equal(m.vlen, big);
    assert_memory_equal(m.value, val, big);
    free(rec);
    free(val);
}

static void test_meta_collections(void **state)
{
    (void)state;
    const obj_type_t types[] = {OBJ_LIST, OBJ_SET, OBJ_ZSET, OBJ_HASH};
    char rec[ENC_META_MAX];
    for (size_t i = 0; i < 4; i++) {
        uint64_t version = ((uint64_t)(1000 + i) << 16) | 3, size = 0xFFFFFFFF00000001ULL - i;
        uint64_t head = 0x8000000000000000ULL - 7;
        size_t n = enc_meta_encode_coll(rec, types[i], 42, version, size, head);
        /* a list also records the position of its head */
        size_t want = types[i] == OBJ_LIST ? ENC_META_HDR + 24 : ENC_META_HDR + 16;
        assert_int_equal(n, want);
        assert_int_equal((unsigned char)rec[0], types[i]);
        assert_int_equal(rec[1], 0);
        assert_memory_equal(rec + 2, "\0\0\0\0\0\0\0\x2a", 8);
        meta_t m;
        assert_int_equal(enc_meta_decode(&m, rec, n), 0);
        assert_int_equal(m.type, types[i]);
        assert_true(m.expire_ms == 42);
        assert_true(m.version == version);
        assert_true(m.size == size);
        assert_true(m.head == (types[i] == OBJ_LIST ? head : 0));
        assert_null(m.value);
        assert_int_equal(m.vlen, 0);
        /* a collection record must be exactly 26 bytes (a list's 34) */
        assert_int_equal(enc_meta_decode(&m, rec, n - 1), -1);
        char longer[ENC_META_MAX + 1];
        memcpy(longer, rec, n);
        longer[n] = 0;
        assert_int_equal(enc_meta_decode(&m, longer, n + 1), -1);
    }
    assert_string_equal(obj_type_name(OBJ_STRING), "string");
    assert_string_equal(obj_type_name(OBJ_LIST), "list");
    assert_string_equal(obj_type_name(OBJ_SET), "set");
    assert_string_equal(obj_type_name(OBJ_ZSET), "zset");
    assert_string_equal(obj_type_name(OBJ_HASH), "hash");
    assert_string_equal(obj_type_name(OBJ_NONE), "none");
    assert_string_equal(obj_type_name((obj_type_t)77), "none");
}

static void test_meta_rejects_garbage(void **state)
{
    (void)state;
    meta_t m;
    char rec[64];
    /* anything shorter than the header, whatever its type byte */
    for (size_t len = 0; len < ENC_META_HDR; len++) {
        char *exact = malloc(len ? len : 1); /* exact size: ASan catches over-reads */
        memset(exact, 0, len);
        if (len) exact[0] = OBJ_STRING;
        assert_int_equal(enc_meta_decode(&m, exact, len), -1);
        if (len) exact[0] = OBJ_HASH;
        assert_int_equal(enc_meta_decode(&m, exact, len), -1);
        free(exact);
    }
    /* unknown types, at the collection size and at other sizes */
    const int bad_types[] = {0, 6, 7, 0x7f, 0x80, 0xff};
    for (size_t i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++) {
        memset(rec, 0, sizeof(rec));
        rec[0] = (char)bad_types[i];
        assert_int_equal(enc_meta_decode(&m, rec, ENC_META_HDR + 16), -1);
        assert_int_equal(enc_meta_decode(&m, rec, ENC_META_HDR), -1);
        assert_int_equal(enc_meta_decode(&m, rec, sizeof(rec)), -1);
    }
    /* random records: either rejected or decoded consistently, never read past the end */
    for (int i = 0; i < 20000; i++) {
        size_t len = rnd() % 40;
        char *buf = malloc(len ? len : 1);
        for (size_t k = 0; k < len; k++) buf[k] = (char)rnd();
        if (len && (i & 1)) buf[0] = (char)(rnd() % 7);
        int rc = enc_meta_decode(&m, buf, len);
        if (rc == 0) {
            assert_true(len >= ENC_META_HDR);
            assert_int_equal(m.type, (unsigned char)buf[0]);
            if (m.type == OBJ_STRING) {
                assert_ptr_equal(m.value, buf + ENC_META_HDR);
                assert_int_equal(m.vlen, len - ENC_META_HDR);
            } else {
                assert_true(m.type >= OBJ_LIST && m.type <= OBJ_HASH);
                assert_int_equal(len, m.type == OBJ_LIST ? ENC_META_HDR + 24 : ENC_META_HDR + 16);
                assert_true(m.version == enc_get_u64(buf + ENC_META_HDR));
                assert_true(m.size == enc_get_u64(buf + ENC_META_HDR + 8));
            }
        } else {
            assert_int_equal(rc, -1);
            int t = len ? (unsigned char)buf[0] : -1;
            size_t coll_len = t == OBJ_LIST ? ENC_META_HDR + 24 : ENC_META_HDR + 16;
            assert_true(len < ENC_META_HDR || t < OBJ_STRING || t > OBJ_HASH || len != coll_len);
        }
        free(buf);
    }
}

/* ---- key builders ----------------------------------------------------------- */

static void test_key_builders_bytes(void **state)
{
    (void)state;
    char buf[64];
    size_t n = enc_meta_key(buf, "ab\0c", 4);
    assert_int_equal(n, 5);
    assert_memory_equal(buf, "mab\0c", 5);
    n = enc_meta_key(buf, "", 0);
    assert_int_equal(n, 1);
    assert_int_equal(buf[0], 'm');

    n = enc_expire_key(buf, 0x0102030405060708LL, "key", 3);
    assert_int_equal(n, 12);
    assert_memory_equal(buf, "e\x01\x02\x03\x04\x05\x06\x07\x08key", 12);
    n = enc_expire_key(buf, 0, "", 0);
    assert_int_equal(n, 9);
    assert_memory_equal(buf, "e\0\0\0\0\0\0\0\0", 9);

    n = enc_sub_prefix(buf, "ab", 2, 0x1122334455667788ULL);
    assert_int_equal(n, 15);
    assert_memory_equal(buf, "s\0\0\0\x02" "ab" "\x11\x22\x33\x44\x55\x66\x77\x88", 15);
    n = enc_sub_prefix(buf, "", 0, 1);
    assert_int_equal(n, 13);
    assert_memory_equal(buf, "s\0\0\0\0\0\0\0\0\0\0\0\x01", 13);
    /* a key longer than 255 bytes: the length is a full u32 */
    char key[300];
    memset(key, 'k', sizeof(key));
    char *big = malloc(sizeof(key) + 13);
    n = enc_sub_prefix(big, key, sizeof(key), 7);
    assert_int_equal(n, sizeof(key) + 13);
    assert_memory_equal(big, "s\0\0\x01\x2c", 5);
    assert_memory_equal(big + 5, key, sizeof(key));
    assert_memory_equal(big + 5 + sizeof(key), "\0\0\0\0\0\0\0\x07", 8);
    free(big);

    /* the three kinds of records are told apart by their first byte */
    assert_int_equal(ENC_META_PREFIX, 'm');
    assert_int_equal(ENC_SUB_PREFIX, 's');
    assert_int_equal(ENC_EXPIRE_PREFIX, 'e');
}

static int is_prefix(const char *p, size_t plen, const char *s, size_t slen)
{
    return plen <= slen && memcmp(p, s, plen) == 0;
}

/* One key's sub-keys are never inside another key's prefix range: "a" vs
 * "ab", "a" vs "a\0", for any pair of versions. */
static void test_sub_prefix_isolation(void **state)
{
    (void)state;
    static const struct { const char *k; size_t n; } keys[] = {
        {"a", 1}, {"ab", 2}, {"a\0", 2}, {"", 0}, {"a\0\0\0\0\0\0\0\0", 9}, {"b", 1}, {"\x01", 1}, {"aa", 2},
    };
    const uint64_t versions[] = {0, 1, 0x100, (5ULL << 16) | 1, UINT64_MAX};
    const size_t nk = sizeof(keys) / sizeof(keys[0]), nv = sizeof(versions) / sizeof(versions[0]);
    char p1[32], p2[32];
    for (size_t i = 0; i < nk; i++) {
        for (size_t vi = 0; vi < nv; vi++) {
            size_t l1 = enc_sub_prefix(p1, keys[i].k, keys[i].n, versions[vi]);
            for (size_t j = 0; j < nk; j++) {
                for (size_t vj = 0; vj < nv; vj++) {
                    if (i == j && vi == vj) continue;
                    size_t l2 = enc_sub_prefix(p2, keys[j].k, keys[j].n, versions[vj]);
                    /* a sub-key of (j, vj) is p2 + something: p1 must not be a prefix of it */
                    if (is_prefix(p1, l1, p2, l2))
                        fail_msg("sub prefix of key %zu v%zu is a prefix of key %zu v%zu", i, vi, j, vj);
                }
            }
        }
    }
    /* the concrete case of the design doc */
    size_t la = enc_sub_prefix(p1, "a", 1, 9), lab = enc_sub_prefix(p2, "ab", 2, 9);
    assert_false(is_prefix(p1, la, p2, lab));
    /* and the expiry index sorts by time first */
    char e1[16], e2[16];
    enc_expire_key(e1, 1000, "zzz", 3);
    enc_expire_key(e2, 1001, "aaa", 3);
    assert_true(memcmp(e1, e2, 12) < 0);
    enc_expire_key(e2, 256, "zzz", 3);
    assert_true(memcmp(e2, e1, 12) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u32_u64_bytes),
        cmocka_unit_test(test_u32_u64_round_trip_and_order),
        cmocka_unit_test(test_double_order_edge_cases),
        cmocka_unit_test(test_double_random_round_trip_and_order),
        cmocka_unit_test(test_meta_string),
        cmocka_unit_test(test_meta_collections),
        cmocka_unit_test(test_meta_rejects_garbage),
        cmocka_unit_test(test_key_builders_bytes),
        cmocka_unit_test(test_sub_prefix_isolation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
