/* The keys of a command line, read from the command's key specs (command.h)
 * the way Redis 7.0 reads them (db.c: getKeysUsingKeySpecs), so that COMMAND
 * GETKEYS answers what Redis answers and keywait.c wakes and aborts by the
 * same keys. */
#include "cmd/command.h"

#include <ctype.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

bool cmd_has_keys(const command_t *cmd)
{
    if (!cmd->key_specs) return false;
    for (const key_spec_t *ks = cmd->key_specs; ks->begin != KS_BS_END; ks++)
        if (!(ks->flags & KS_NOT_KEY)) return true;
    return false;
}

/* Where a spec's keys start: its index, or the argument after the first one
 * equal to its keyword, searched as Redis searches (from startfrom up to the
 * next-to-last argument, or from argc + startfrom back down to 2). 0: the
 * keyword is not there, and the spec has no keys. */
static int begin_search(const key_spec_t *ks, int argc, const char *const *argv, const size_t *argvlen)
{
    if (ks->begin == KS_BS_INDEX) return ks->index;
    size_t kwlen = strlen(ks->keyword);
    int start = ks->startfrom > 0 ? ks->startfrom : argc + ks->startfrom;
    int end = ks->startfrom > 0 ? argc - 1 : 1;
    for (int i = start; i != end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (argvlen[i] == kwlen && strncasecmp(argv[i], ks->keyword, kwlen) == 0) return i + 1;
    }
    return 0;
}

/* The spec's key positions first..last, or -1 when the arguments cannot
 * hold them (Redis's invalid_spec). Arithmetic in long long where Redis's int
 * would overflow: every such case is out of bounds either way. The count is
 * truncated to an int as Redis does, so "4294967297" is one key there. */
static int find_keys(const key_spec_t *ks, int first, int argc, const char *const *argv, const size_t *argvlen,
                     long long *last_out)
{
    long long last;
    if (ks->find == KS_FK_RANGE) {
        if (ks->lastkey >= 0)
            last = (long long)first + ks->lastkey;
        else if (!ks->limit)
            last = (long long)argc + ks->lastkey;
        else
            last = first + ((argc - first) / ks->limit + ks->lastkey);
    } else {
        long long numkeys;
        int at = first + ks->keynumidx;
        if (at >= argc || at < 0) return -1;
        if (cmd_parse_ll(argv[at], argvlen[at], &numkeys) < 0 || numkeys < 0) return -1;
        first += ks->firstkey;
        last = (long long)first + (int)(uint32_t)(unsigned long long)numkeys - 1;
    }
    if (last >= argc || last < first || first >= argc) return -1;
    *last_out = last;
    return first;
}

int cmd_get_keys(const command_t *cmd, int argc, const char *const *argv, const size_t *argvlen, cmd_key_t *keys,
                 int max)
{
    int n = 0;
    if (!cmd->key_specs) return 0;
    for (const key_spec_t *ks = cmd->key_specs; ks->begin != KS_BS_END; ks++) {
        if (ks->flags & KS_NOT_KEY) continue;
        int first = begin_search(ks, argc, argv, argvlen);
        if (first == 0) continue; /* keyword absent: no keys from this spec */
        long long last;
        first = find_keys(ks, first, argc, argv, argvlen, &last);
        if (first < 0 || (ks->flags & KS_INCOMPLETE)) return -1;
        int step = ks->keystep > 0 ? ks->keystep : 1;
        uint32_t flags = ks->flags;
        if ((flags & KS_VARIABLE_FLAGS) && ks->key_flags) flags = ks->key_flags(argc, argv, argvlen);
        for (long long i = first; i <= last; i += step) {
            if (n < max) {
                keys[n].pos = (int)i;
                keys[n].flags = flags;
            }
            n++;
        }
    }
    return n;
}

/* atoi as glibc has it: (int)strtol(s, NULL, 10), which saturates at
 * LONG_MIN/LONG_MAX before the truncation to int. The argument's bytes are
 * not NUL-terminated here; a NUL stops the digits like any other byte. */
static int redis_atoi(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && isspace((unsigned char)s[i])) i++;
    bool neg = false;
    if (i < len && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    unsigned long long v = 0, limit = neg ? (unsigned long long)LONG_MAX + 1 : (unsigned long long)LONG_MAX;
    bool over = false;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (v > (limit - (unsigned long long)(s[i] - '0')) / 10) over = true;
        if (!over) v = v * 10 + (unsigned long long)(s[i] - '0');
    }
    if (over) v = limit;
    unsigned long long l = neg ? 0 - v : v; /* the long's bits */
    return (int)(uint32_t)l;
}

/* Redis gives every numkeys command a key finder of its own
 * (zunionInterDiffStoreGetKeys, lmpopGetKeys, ...), all genericGetKeys with
 * the positions their key specs also say: the destination (the index spec
 * before the keynum spec, if any), numkeys, the first key. */
int cmd_get_keys_fallback(const command_t *cmd, int argc, const char *const *argv, const size_t *argvlen,
                          cmd_key_t *keys, int max)
{
    if (!cmd->key_specs) return 0;
    const key_spec_t *num = NULL, *dest = NULL;
    for (const key_spec_t *ks = cmd->key_specs; ks->begin != KS_BS_END; ks++) {
        if (ks->begin == KS_BS_INDEX && ks->find == KS_FK_KEYNUM) {
            num = ks;
            if (ks > cmd->key_specs && ks[-1].begin == KS_BS_INDEX && ks[-1].find == KS_FK_RANGE) dest = ks - 1;
            break;
        }
    }
    if (!num) return 0;
    int count_at = num->index + num->keynumidx, first = num->index + num->firstkey;
    int step = num->keystep > 0 ? num->keystep : 1;
    if (count_at >= argc) return 0;
    int nk = redis_atoi(argv[count_at], argvlen[count_at]);
    if (nk < 1 || nk > (argc - first) / step) return 0;
    int n = 0;
    for (int i = 0; i < nk; i++, n++)
        if (n < max) keys[n] = (cmd_key_t){.pos = first + i * step, .flags = 0};
    if (dest) {
        if (n < max) keys[n] = (cmd_key_t){.pos = dest->index, .flags = 0};
        n++;
    }
    return n;
}

/* Redis prints first/last/step for clients older than key specs: the one
 * index+range spec as it is, else the span of the plain consecutive range
 * specs; anything it cannot express makes the keys movable. */
void cmd_legacy_range(const command_t *cmd, int *first, int *last, int *step, bool *movable)
{
    *first = *last = *step = 0;
    *movable = false;
    const key_spec_t *ks = cmd->key_specs;
    int nspecs = 0;
    while (ks && ks[nspecs].begin != KS_BS_END) nspecs++;
    if (nspecs == 0) return;
    if (nspecs == 1 && ks->begin == KS_BS_INDEX && ks->find == KS_FK_RANGE) {
        *first = ks->index;
        *last = ks->lastkey < 0 ? ks->lastkey : ks->index + ks->lastkey;
        *step = ks->keystep;
        *movable = ks->flags & KS_INCOMPLETE;
        return;
    }
    int lo = INT_MAX, hi = 0, prev_hi = 0;
    for (int i = 0; i < nspecs; i++) {
        const key_spec_t *s = &ks[i];
        if (s->begin != KS_BS_INDEX || s->find != KS_FK_RANGE || s->keystep != 1 ||
            (prev_hi && prev_hi != s->index - 1)) {
            *movable = true;
            continue;
        }
        if (s->flags & KS_INCOMPLETE) *movable = true;
        if (s->index < lo) lo = s->index;
        int abs_last = s->lastkey >= 0 ? s->index + s->lastkey : s->lastkey;
        /* unsigned, as Redis compares: a negative (from the end) wins */
        if ((unsigned)abs_last > (unsigned)hi) hi = abs_last;
        prev_hi = hi;
    }
    if (lo == INT_MAX) {
        *movable = true;
        return;
    }
    *first = lo;
    *last = hi;
    *step = 1;
}
