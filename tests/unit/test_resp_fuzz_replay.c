/* Runs the RESP parser fuzz target (tests/fuzz/fuzz_resp_parser.c) over
 * 200k deterministic inputs, so `make test` exercises it under ASan/UBSan
 * without libFuzzer. The inputs are pipelines of valid requests, mutated:
 * truncated, bytes flipped or inserted, lengths replaced by huge, negative
 * or malformed numbers, quotes and escapes sprinkled into inline requests,
 * long runs without line ends. A failing input is printed in hex by the
 * target before it aborts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../fuzz/fuzz_resp_parser.c"

#define REPLAY_INPUTS 200000
#define REPLAY_MAX 600

static const char *const seeds[] = {
    "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n",
    "*1\r\n$4\r\nPING\r\n",
    "*2\r\n$3\r\nGET\r\n$6\r\na\r\nb\r\n\r\n",
    "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n",
    "*0\r\n",
    "*-1\r\n",
    "PING\r\n",
    "SET k v\n",
    "ECHO \"a\\x41\\n\\\"\" 'it\\'s' a\"b c\"\r\n",
    "  \t\r\n",
    "\n",
    "MSET 'a b' \"c\\td\" e f\r\n",
};

static const char *const numbers[] = {
    "2147483648",
    "2147483647",
    "536870913",
    "536870912",
    "1048577",
    "1048576",
    "99999999999999999999",
    "123456789012345678901",
    "-9223372036854775808",
    "-1",
    "-5",
    "-0",
    "01",
    "+1",
    "",
    "0",
    "1",
    "17",
    "65",
    "x",
};

static const char interesting[] = "\r\n*$\"'\\ \t\v0-9x";

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t next(void)
{
    return xorshift(&rng);
}

/* Inserts n bytes of p at position at (bounded by REPLAY_MAX). */
static size_t insert(uint8_t *b, size_t len, size_t at, const void *p, size_t n)
{
    if (len + n > REPLAY_MAX) return len;
    memmove(b + at + n, b + at, len - at);
    memcpy(b + at, p, n);
    return len + n;
}

/* Replaces the number after a '*' or '$' with one from the list. */
static size_t swap_number(uint8_t *b, size_t len)
{
    size_t start = len ? next() % len : 0, i;
    for (i = start; i < len && b[i] != '*' && b[i] != '$'; i++)
        ;
    if (i >= len) return len;
    size_t j = i + 1;
    while (j < len && (b[j] == '-' || (b[j] >= '0' && b[j] <= '9')))
        j++;
    memmove(b + i + 1, b + j, len - j);
    len -= j - (i + 1);
    const char *num = numbers[next() % (sizeof(numbers) / sizeof(numbers[0]))];
    return insert(b, len, i + 1, num, strlen(num));
}

static size_t make_input(uint8_t *b)
{
    size_t len = 0;
    int nseeds = 1 + (int)(next() % 4);
    for (int i = 0; i < nseeds; i++) {
        const char *s = seeds[next() % (sizeof(seeds) / sizeof(seeds[0]))];
        len = insert(b, len, len, s, strlen(s));
    }
    int muts = (int)(next() % 5);
    for (int m = 0; m < muts; m++) {
        uint64_t r = next();
        size_t at = len ? (size_t)(r >> 16) % (len + 1) : 0;
        switch (r % 9) {
        case 0: /* truncate */
            len = at;
            break;
        case 1: /* flip a byte to anything */
            if (at < len) b[at] = (uint8_t)(r >> 40);
            break;
        case 2: /* flip a byte to a protocol character */
            if (at < len) b[at] = (uint8_t)interesting[(r >> 40) % (sizeof(interesting) - 1)];
            break;
        case 3:
        case 4:
            len = swap_number(b, len);
            break;
        case 5: { /* quotes and escapes, for inline requests */
            static const char *const q[] = {"\"", "'", "\\x4", "\\x41", "\\", "\" ", "\\'"};
            const char *s = q[(r >> 40) % 7];
            len = insert(b, len, at, s, strlen(s));
            break;
        }
        case 6: /* a NUL, which hides the line end from Redis's strchr */
            len = insert(b, len, at, "", 1);
            break;
        case 7: { /* a long run without line ends: the "too big" limits */
            uint8_t run[80];
            size_t n = 20 + (size_t)(r >> 40) % 60;
            memset(run, (r >> 8) & 1 ? '1' : 'a', n);
            len = insert(b, len, at, run, n);
            break;
        }
        case 8: /* duplicate a piece */
            if (at < len) {
                size_t n = 1 + (size_t)(r >> 40) % 16;
                if (n > len - at) n = len - at;
                uint8_t tmp[16];
                memcpy(tmp, b + at, n);
                len = insert(b, len, at, tmp, n);
            }
            break;
        }
    }
    return len;
}

static void test_fuzz_replay(void **state)
{
    static uint8_t buf[REPLAY_MAX];
    for (int i = 0; i < REPLAY_INPUTS; i++) {
        size_t len = make_input(buf);
        LLVMFuzzerTestOneInput(buf, len);
    }
    /* the inputs must actually reach every outcome */
    static const char *const names[FZ_NSTATS] = {
        "done",          "empty",     "need more",    "too big inline", "quotes",
        "too big mbulk", "mbulk len", "too big bulk", "expected $",     "bulk len"};
    for (int k = 0; k < FZ_NSTATS; k++) {
        print_message("%-15s %lu\n", names[k], fuzz_stats[k]);
        assert_true(fuzz_stats[k] > 100);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuzz_replay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
