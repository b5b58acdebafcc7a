/* Unit tests for src/util/glob.c. Every case-sensitive row of the table was
 * checked against redis-server 7.0 (SCAN 0 MATCH pattern over the strings as
 * keys); the nocase rows follow Redis' stringmatchlen(..., nocase=1), a few
 * checked with COMMAND LIST FILTERBY PATTERN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/glob.h"

/* A string literal and its length, so rows may hold NUL bytes. */
#define S(x) x, sizeof(x) - 1

struct glob_case {
    const char *pat;
    size_t plen;
    const char *str;
    size_t slen;
    int nocase;
    int match;
};

static const struct glob_case cases[] = {
    /* literals and '?' */
    {S("hello"), S("hello"), 0, 1},
    {S("hello"), S("hellO"), 0, 0},
    {S("hello"), S("hell"), 0, 0},
    {S("hell"), S("hello"), 0, 0},
    {S("h?llo"), S("hallo"), 0, 1},
    {S("h?llo"), S("hllo"), 0, 0},
    {S("???"), S("abc"), 0, 1},
    {S("???"), S("ab"), 0, 0},
    /* '*' */
    {S("*"), S("anything"), 0, 1},
    {S("h*llo"), S("hllo"), 0, 1},
    {S("h*llo"), S("heeeello"), 0, 1},
    {S("h*llo"), S("hellox"), 0, 0},
    {S("*llo"), S("hello"), 0, 1},
    {S("he*"), S("he"), 0, 1},
    {S("he**"), S("he"), 0, 1},
    {S("**he**"), S("he"), 0, 1},
    {S("*a*b*c*"), S("xxaxxbxxcxx"), 0, 1},
    {S("*a*b*c*"), S("xxcxxbxxaxx"), 0, 0},
    {S("a*a"), S("a"), 0, 0},
    {S("a*a"), S("aa"), 0, 1},
    {S("*?"), S("a"), 0, 1},
    {S("*??"), S("a"), 0, 0},
    {S("user:*:name"), S("user:1000:name"), 0, 1},
    {S("user:*:name"), S("user:1000:email"), 0, 0},
    /* the empty string matches only the empty pattern, as in Redis */
    {S(""), S(""), 0, 1},
    {S("*"), S(""), 0, 0},
    {S("**"), S(""), 0, 0},
    {S(""), S("a"), 0, 0},
    /* classes */
    {S("h[ae]llo"), S("hello"), 0, 1},
    {S("h[ae]llo"), S("hallo"), 0, 1},
    {S("h[ae]llo"), S("hillo"), 0, 0},
    {S("h[^e]llo"), S("hallo"), 0, 1},
    {S("h[^e]llo"), S("hello"), 0, 0},
    {S("h[a-b]llo"), S("hbllo"), 0, 1},
    {S("h[a-b]llo"), S("hcllo"), 0, 0},
    {S("h[b-a]llo"), S("hallo"), 0, 1}, /* reversed range is swapped */
    {S("[a-c-e]"), S("d"), 0, 0},
    {S("[a-c-e]"), S("-"), 0, 1},
    {S("[a-c-e]"), S("e"), 0, 1},
    {S("[]"), S("]"), 0, 0},
    {S("[]]"), S("]"), 0, 0},
    {S("[]]"), S("]]"), 0, 0},
    {S("[\\]]"), S("]"), 0, 1},
    {S("[\\^]"), S("^"), 0, 1},
    {S("[^]"), S("a"), 0, 1},
    {S("[^]"), S("ab"), 0, 0},
    {S("[a-]"), S("]"), 0, 1}, /* "a-]" is the range ']'..'a' */
    {S("[a-]"), S("^"), 0, 1},
    {S("[a-]"), S("-"), 0, 0},
    {S("[a-]"), S("b"), 0, 0},
    {S("[-a]"), S("-"), 0, 1},
    {S("[*]"), S("*"), 0, 1},
    {S("[*]"), S("x"), 0, 0},
    {S("[?]"), S("?"), 0, 1},
    {S("[?]"), S("x"), 0, 0},
    /* an unterminated class takes the rest of the pattern */
    {S("[abc"), S("a"), 0, 1},
    {S("[abc"), S("c"), 0, 1},
    {S("[abc"), S("ab"), 0, 0},
    {S("x[abc"), S("xb"), 0, 1},
    {S("["), S("["), 0, 0},
    {S("[^"), S("x"), 0, 1},
    {S("[\\"), S("\\"), 0, 1},
    /* escapes */
    {S("\\*"), S("*"), 0, 1},
    {S("\\*"), S("a"), 0, 0},
    {S("\\?"), S("?"), 0, 1},
    {S("\\?"), S("a"), 0, 0},
    {S("\\[a]"), S("[a]"), 0, 1},
    {S("\\a"), S("a"), 0, 1},
    {S("a\\"), S("a\\"), 0, 1}, /* a trailing backslash is literal */
    {S("a\\"), S("a"), 0, 0},
    {S("\\\\"), S("\\"), 0, 1},
    {S("*\\*"), S("abc*"), 0, 1},
    {S("*\\*"), S("abc"), 0, 0},
    /* binary safety: NUL and high bytes */
    {S("a\0b"), S("a\0b"), 0, 1},
    {S("a\0b"), S("a\0c"), 0, 0},
    {S("a?b"), S("a\0b"), 0, 1},
    {S("*\0*"), S("xx\0yy"), 0, 1},
    {S("*\0*"), S("xxyy"), 0, 0},
    {S("\xff*"), S("\xff\xfe"), 0, 1},
    {S("[\xfe\xff]"), S("\xff"), 0, 1},
    {S("[^\xff]"), S("\xff"), 0, 0},
    {S("?"), S("\x80"), 0, 1},
    /* nocase */
    {S("HELLO"), S("hello"), 1, 1},
    {S("hello"), S("HeLLo"), 1, 1},
    {S("h?LLO"), S("hello"), 1, 1},
    {S("H[AE]llo"), S("hello"), 1, 1},
    {S("h[^E]llo"), S("hello"), 1, 0},
    {S("h[A-F]llo"), S("hello"), 1, 1},
    {S("h[a-f]llo"), S("HELLO"), 1, 1},
    {S("z[A-c]*"), S("ZCOUNT"), 1, 1}, /* both ends folded: a..c */
    {S("z[A-c]*"), S("zdiff"), 1, 0},
    {S("[Z-a]"), S("z"), 1, 0}, /* swapped then folded: z..a is empty */
    {S("[Z-a]"), S("_"), 0, 1}, /* case-sensitive: 'Z'..'a' holds '_' */
    {S("g\\ET"), S("get"), 1, 1},
    {S("[\\G]et"), S("get"), 1, 0}, /* an escape inside a class keeps case */
    {S("[\\g]et"), S("get"), 1, 1},
    {S("a\xc3\x89"), S("a\xc3\xa9"), 1, 0}, /* folding is ASCII only */
    {S("*PORT*"), S("http_port"), 1, 1},
};

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct glob_case *t = &cases[i];
        int got = glob_match(t->pat, t->plen, t->str, t->slen, t->nocase);
        if (got != t->match)
            fail_msg("case %zu: pattern '%.*s' string '%.*s' nocase=%d: got %d want %d", i,
                     (int)t->plen, t->pat, (int)t->slen, t->str, t->nocase, got, t->match);
    }
}

/* Lengths are honoured: a pattern or string is never read past its length
 * (ASan checks the heap copies) and never stops at a NUL. */
static void test_lengths_respected(void **state)
{
    (void)state;
    char *p = malloc(3), *s = malloc(2);
    memcpy(p, "a*[", 3);
    memcpy(s, "ab", 2);
    assert_true(glob_match(p, 2, s, 2, 0));  /* "a*" */
    assert_false(glob_match(p, 3, s, 2, 0)); /* "a*[" */
    assert_true(glob_match(p, 1, s, 1, 0));  /* "a" vs "a" */
    assert_false(glob_match(p, 1, s, 2, 0));
    memcpy(p, "[\\", 2);
    assert_false(glob_match(p, 2, s, 1, 0)); /* unterminated "[\" */
    free(p);
    free(s);
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Patterns that take exponential time in a naive backtracking matcher, and
 * that overflow the stack in a recursive one, finish at once. */
static void test_pathological(void **state)
{
    (void)state;
    size_t n = 4000;
    char *pat = malloc(2 * n + 1), *str = malloc(n);
    for (size_t i = 0; i < n; i++) {
        pat[2 * i] = '*';
        pat[2 * i + 1] = 'a';
    }
    pat[2 * n] = 'b';
    memset(str, 'a', n);

    double t0 = now_sec();
    assert_false(glob_match(pat, 2 * n + 1, str, n, 0));
    assert_false(glob_match(pat, 2 * n + 1, str, n, 1));
    assert_true(glob_match(pat, 2 * n, str, n, 0)); /* without the final b */
    assert_false(glob_match(pat, 2 * n, str, n - 1, 0));
    assert_true(glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a", 60, str,
                           100, 0));
    assert_true(now_sec() - t0 < 2.0);

    /* 100k stars in a row: collapsed, no recursion. */
    size_t big = 100000;
    char *stars = malloc(big + 1);
    memset(stars, '*', big);
    stars[big] = 'x';
    assert_true(glob_match(stars, big + 1, "abcx", 4, 0));
    assert_false(glob_match(stars, big + 1, "abcy", 4, 0));
    assert_true(glob_match(stars, big, "abc", 3, 0));
    free(stars);
    free(pat);
    free(str);
}

static void test_literal_prefix(void **state)
{
    (void)state;
    assert_int_equal(glob_literal_prefix(S("user:*")), 5);
    assert_int_equal(glob_literal_prefix(S("user:?x")), 5);
    assert_int_equal(glob_literal_prefix(S("user[12]")), 4);
    assert_int_equal(glob_literal_prefix(S("us\\*er")), 2);
    assert_int_equal(glob_literal_prefix(S("*")), 0);
    assert_int_equal(glob_literal_prefix(S("")), 0);
    assert_int_equal(glob_literal_prefix(S("exact")), 5);
    assert_int_equal(glob_literal_prefix(S("a\0b*")), 3);

    /* Sanity: whatever matches starts with the prefix. */
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct glob_case *t = &cases[i];
        size_t n = glob_literal_prefix(t->pat, t->plen);
        if (!t->nocase && t->match) {
            assert_true(t->slen >= n);
            assert_memory_equal(t->pat, t->str, n);
        }
    }
}

/* Cross-check the iterative matcher against a plain recursive definition on
 * random short inputs over a small alphabet full of metacharacters. */
static int ref_class(const unsigned char *p, size_t plen, int c, int nocase, size_t *tl);

static int lower(int c, int nocase)
{
    return (nocase && c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static int ref_token(const unsigned char *p, size_t plen, int c, int nocase, size_t *tl)
{
    if (p[0] == '?') return *tl = 1, 1;
    if (p[0] == '[') return ref_class(p, plen, c, nocase, tl);
    if (p[0] == '\\' && plen >= 2) return *tl = 2, lower(p[1], nocase) == lower(c, nocase);
    return *tl = 1, lower(p[0], nocase) == lower(c, nocase);
}

static int ref_class(const unsigned char *p, size_t plen, int c, int nocase, size_t *tl)
{
    size_t i = 1;
    int neg = 0, m = 0;
    if (i < plen && p[i] == '^') neg = 1, i++;
    for (;; i++) {
        if (i >= plen) {
            *tl = plen;
            break;
        }
        if (p[i] == '\\' && plen - i >= 2) {
            i++;
            m |= p[i] == c;
        } else if (p[i] == ']') {
            *tl = i + 1;
            break;
        } else if (plen - i >= 3 && p[i + 1] == '-') {
            int a = p[i], b = p[i + 2];
            if (a > b) {
                int t = a;
                a = b;
                b = t;
            }
            a = lower(a, nocase);
            b = lower(b, nocase);
            m |= lower(c, nocase) >= a && lower(c, nocase) <= b;
            i += 2;
        } else {
            m |= lower(p[i], nocase) == lower(c, nocase);
        }
    }
    return neg ? !m : m;
}

/* Full backtracking: '*' tries every split. Exponential, fine for tiny input. */
static int ref_match(const unsigned char *p, size_t plen, const unsigned char *s, size_t slen,
                     int nocase)
{
    if (plen == 0) return slen == 0;
    if (p[0] == '*') {
        for (size_t k = 0; k <= slen; k++)
            if (ref_match(p + 1, plen - 1, s + k, slen - k, nocase)) return 1;
        return 0;
    }
    if (slen == 0) return 0;
    size_t tl;
    if (!ref_token(p, plen, s[0], nocase, &tl)) return 0;
    return ref_match(p + tl, plen - tl, s + 1, slen - 1, nocase);
}

static void test_random_vs_reference(void **state)
{
    (void)state;
    static const char alpha[] = "aAbB*?[]^-\\";
    unsigned seed = 12345;
    for (int iter = 0; iter < 200000; iter++) {
        unsigned char pat[10], str[8];
        seed = seed * 1103515245u + 12345u;
        size_t plen = (seed >> 16) % 10;
        seed = seed * 1103515245u + 12345u;
        size_t slen = 1 + (seed >> 16) % 7; /* non-empty: "" is special-cased */
        for (size_t i = 0; i < plen; i++) {
            seed = seed * 1103515245u + 12345u;
            pat[i] = (unsigned char)alpha[(seed >> 16) % (sizeof(alpha) - 1)];
        }
        for (size_t i = 0; i < slen; i++) {
            seed = seed * 1103515245u + 12345u;
            str[i] = (unsigned char)alpha[(seed >> 16) % (sizeof(alpha) - 1)];
        }
        int nocase = iter & 1;
        int want = ref_match(pat, plen, str, slen, nocase);
        int got = glob_match((char *)pat, plen, (char *)str, slen, nocase);
        if (got != want)
            fail_msg("pattern '%.*s' string '%.*s' nocase=%d: got %d want %d", (int)plen, pat,
                     (int)slen, str, nocase, got, want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_lengths_respected),
        cmocka_unit_test(test_pathological),
        cmocka_unit_test(test_literal_prefix),
        cmocka_unit_test(test_random_vs_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
