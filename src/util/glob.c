/* Redis-compatible glob matching.
 *
 * The semantics are those of Redis' stringmatchlen(): '*' matches any run of
 * bytes, '?' one byte, '[...]' a class ('^' negates, 'a-z' ranges, reversed
 * ranges are swapped, '\x' escapes), '\x' outside a class is the literal x.
 * Redis quirks kept on purpose so that KEYS, SCAN MATCH and CONFIG GET answer
 * exactly as Redis would:
 *   - an empty string matches only the empty pattern (not even "*");
 *   - an unterminated class "[abc" uses the rest of the pattern as the class;
 *   - inside a class, "a-]" is a range ending at ']';
 *   - inside a class an escaped byte is compared case-sensitively even in
 *     nocase mode.
 * One deliberate difference: bytes are compared as unsigned values, so a
 * range such as [a-\xff] means what it says (Redis compares signed chars
 * there, which depends on the platform).
 *
 * Instead of Redis' recursion per '*' we run the classic iterative matcher
 * that only ever backtracks to the most recent '*'. Because every other token
 * consumes exactly one byte, a later '*' can absorb whatever an earlier one
 * would have, so earlier stars never need to be revisited (the same argument
 * as Redis 7's skipLongerMatches). The cost is O(len(pattern) * len(string))
 * with no recursion, so hostile patterns like "*a*a*a*a...b" cannot blow up
 * the time or the stack. */
#include "util/glob.h"

#include <stdint.h>

/* ASCII-only case folding: independent of the process locale. */
static inline int fold(int c, int nocase)
{
    if (nocase && c >= 'A' && c <= 'Z') return c + ('a' - 'A');
    return c;
}

/* Matches the class starting at p[0] == '[' against byte c. Sets *toklen to
 * the bytes the class spans in the pattern (the whole rest of the pattern if
 * the class has no closing ']', as in Redis). */
static int match_class(const unsigned char *p, size_t plen, int c, int nocase, size_t *toklen)
{
    size_t i = 1;
    int negate = 0, match = 0;

    if (i < plen && p[i] == '^') {
        negate = 1;
        i++;
    }
    for (;;) {
        if (i >= plen) {
            *toklen = plen;
            break;
        }
        if (p[i] == '\\' && plen - i >= 2) {
            i++;
            if (p[i] == c) match = 1; /* case-sensitive, like Redis */
        } else if (p[i] == ']') {
            *toklen = i + 1;
            break;
        } else if (plen - i >= 3 && p[i + 1] == '-') {
            int start = p[i], end = p[i + 2], x = c;
            if (start > end) {
                int t = start;
                start = end;
                end = t;
            }
            start = fold(start, nocase);
            end = fold(end, nocase);
            x = fold(x, nocase);
            if (x >= start && x <= end) match = 1;
            i += 2;
        } else if (fold(p[i], nocase) == fold(c, nocase)) {
            match = 1;
        }
        i++;
    }
    return negate ? !match : match;
}

/* Matches one single-byte token (anything but '*') at p against byte c and
 * reports how many pattern bytes the token spans. */
static int match_token(const unsigned char *p, size_t plen, int c, int nocase, size_t *toklen)
{
    switch (p[0]) {
    case '?':
        *toklen = 1;
        return 1;
    case '[':
        return match_class(p, plen, c, nocase, toklen);
    case '\\':
        if (plen >= 2) {
            *toklen = 2;
            return fold(p[1], nocase) == fold(c, nocase);
        }
        /* A trailing backslash is a literal backslash. */
        *toklen = 1;
        return fold('\\', nocase) == fold(c, nocase);
    default:
        *toklen = 1;
        return fold(p[0], nocase) == fold(c, nocase);
    }
}

/* The matcher used by KEYS, SCAN MATCH, PSUBSCRIBE and CONFIG GET. */
int glob_match(const char *pattern, size_t plen, const char *string, size_t slen, int nocase)
{
    const unsigned char *p = (const unsigned char *)pattern;
    const unsigned char *s = (const unsigned char *)string;
    size_t pi = 0, si = 0;
    size_t star_pi = SIZE_MAX, star_si = 0; /* where to resume after the last '*' */

    /* Redis never enters its matching loop for an empty string. */
    if (slen == 0) return plen == 0;

    while (si < slen) {
        if (pi < plen && p[pi] == '*') {
            while (pi < plen && p[pi] == '*')
                pi++;
            if (pi == plen) return 1; /* a trailing '*' eats the rest */
            star_pi = pi;
            star_si = si;
            continue;
        }
        if (pi < plen) {
            size_t toklen;
            if (match_token(p + pi, plen - pi, s[si], nocase, &toklen)) {
                pi += toklen;
                si++;
                continue;
            }
        }
        /* Mismatch: let the last '*' absorb one more byte, or give up. */
        if (star_pi == SIZE_MAX) return 0;
        pi = star_pi;
        si = ++star_si;
    }
    while (pi < plen && p[pi] == '*')
        pi++;
    return pi == plen;
}

/* Every key matching the pattern starts with the bytes before the first
 * metacharacter, so a scan can seek to them instead of reading everything.
 * A backslash counts as a metacharacter: the prefix is a plain slice of the
 * pattern, never an unescaped copy. */
size_t glob_literal_prefix(const char *pattern, size_t plen)
{
    size_t i;

    for (i = 0; i < plen; i++) {
        char c = pattern[i];
        if (c == '*' || c == '?' || c == '[' || c == '\\') break;
    }
    return i;
}
