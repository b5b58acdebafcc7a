/* CRC-32C (src/util/crc32c.c): the published check value, and agreement with
 * a bit-at-a-time reference over random buffers of every length up to 600
 * bytes at every alignment, whole and in pieces (crc32c extends a running
 * value). Whichever implementation the CPU gets (the crc32 instruction or
 * the tables), it must give these results; the tables are checked too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/crc32c.h"

static uint32_t ref_crc(uint32_t crc, const unsigned char *p, size_t n)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    return ~crc;
}

static uint64_t rng = 88172645463325252ULL;
static unsigned char next_byte(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned char)rng;
}

static void test_check_values(void **state)
{
    (void)state;
    assert_int_equal(crc32c(0, "123456789", 9), 0xE3069283u); /* the CRC-32C check value */
    assert_int_equal(crc32c_portable(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(crc32c(0, "", 0), 0);
    unsigned char zeros[32] = {0}, ones[32];
    memset(ones, 0xff, sizeof(ones));
    assert_int_equal(crc32c(0, zeros, 32), 0x8A9136AAu); /* RFC 3720 B.4 */
    assert_int_equal(crc32c(0, ones, 32), 0x62A8AB43u);
}

static void test_matches_reference(void **state)
{
    (void)state;
    static unsigned char buf[700];
    for (size_t i = 0; i < sizeof(buf); i++) buf[i] = next_byte();
    for (size_t off = 0; off < 8; off++)
        for (size_t len = 0; len <= 600; len++) {
            uint32_t want = ref_crc(0, buf + off, len);
            assert_int_equal(crc32c(0, buf + off, len), want);
            assert_int_equal(crc32c_portable(0, buf + off, len), want);
            size_t cut = len ? next_byte() % (len + 1) : 0;
            assert_int_equal(crc32c(crc32c(0, buf + off, cut), buf + off + cut, len - cut), want);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_values),
        cmocka_unit_test(test_matches_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
