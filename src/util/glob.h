/* Redis-compatible glob matching (KEYS, SCAN MATCH, CONFIG GET):
 * '*', '?', '[abc]', '[^a]', '[a-z]', '\x' escapes; binary safe. */
#ifndef REDRAFT_UTIL_GLOB_H
#define REDRAFT_UTIL_GLOB_H

#include <stddef.h>

/* Returns 1 when s matches pattern. nocase folds ASCII case. */
int glob_match(const char *pattern, size_t plen, const char *s, size_t slen, int nocase);

/* True when the pattern matches only strings starting with a fixed prefix
 * that contains no glob metacharacters; writes that prefix's length. Lets
 * KEYS/SCAN seek instead of scanning everything. */
size_t glob_literal_prefix(const char *pattern, size_t plen);

#endif
