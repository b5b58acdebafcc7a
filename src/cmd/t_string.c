/* String commands: GET, SET and friends, counters, APPEND and ranges.
 *
 * Replies and errors are byte for byte those of Redis 7.0. Writes run inside
 * apply, so every relative TTL is measured from c->now_ms (the entry's time)
 * and never from a clock: all replicas compute the same absolute expiry.
 * A string's value lives in its metadata record (meta.value/vlen). */
#include "cmd/db.h"
#include "cmd/families.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Redis's proto-max-bulk-len default: the largest string APPEND/SETRANGE
 * may build. */
#define STRING_MAX_LEN (512LL * 1024 * 1024)

/* Options of SET and GETEX, as Redis's parseExtendedStringArgumentsOrReply. */
#define OPT_NX (1 << 0)
#define OPT_XX (1 << 1)
#define OPT_EX (1 << 2)
#define OPT_PX (1 << 3)
#define OPT_KEEPTTL (1 << 4)
#define OPT_GET (1 << 5)
#define OPT_EXAT (1 << 6)
#define OPT_PXAT (1 << 7)
#define OPT_PERSIST (1 << 8)
#define OPT_ANY_EXPIRE (OPT_EX | OPT_PX | OPT_EXAT | OPT_PXAT)

/* What set_generic() replies when it sets the key or skips it (NX/XX). */
typedef enum { SET_REPLY_OK, SET_REPLY_INT } set_reply_t;

static const char ERR_STRING_MAX[] = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

/* Formats v in decimal without snprintf: INCR is on the benchmark path. */
static size_t ll_to_str(char *buf, long long v)
{
    char tmp[24];
    size_t n = 0, len = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) buf[len++] = '-';
    while (n)
        buf[len++] = tmp[--n];
    return len;
}

/* Redis words the error with the command's canonical (lower-case) name,
 * whatever case the client used. */
static void reply_invalid_expire(cmd_ctx_t *c, const char *cmdname)
{
    reply_errorf(c->reply, "ERR invalid expire time in '%s' command", cmdname);
}

/* Parses SET's (is_set) or GETEX's options from argv[first]. A later
 * EX/PX/EXAT/PXAT replaces an earlier one of the same kind, and a repeated
 * NX, GET or KEEPTTL is harmless, exactly as Redis 7.0 accepts them; any
 * conflicting pair is a syntax error. *exp_arg gets the index of the expire
 * value (0 when none). Returns 0, or -1 with the error replied. */
static int parse_string_opts(cmd_ctx_t *c, int first, bool is_set, int *flags, int *exp_arg)
{
    *flags = 0;
    *exp_arg = 0;
    for (int j = first; j < c->argc; j++) {
        bool has_next = j + 1 < c->argc;
        int f = *flags;
        if (is_set && cmd_arg_is(c, j, "nx") && !(f & OPT_XX)) {
            *flags |= OPT_NX;
        } else if (is_set && cmd_arg_is(c, j, "xx") && !(f & OPT_NX)) {
            *flags |= OPT_XX;
        } else if (is_set && cmd_arg_is(c, j, "get")) {
            *flags |= OPT_GET;
        } else if (is_set && cmd_arg_is(c, j, "keepttl") && !(f & (OPT_PERSIST | OPT_ANY_EXPIRE))) {
            *flags |= OPT_KEEPTTL;
        } else if (!is_set && cmd_arg_is(c, j, "persist") &&
                   !(f & (OPT_KEEPTTL | OPT_ANY_EXPIRE))) {
            *flags |= OPT_PERSIST;
        } else if (cmd_arg_is(c, j, "ex") && has_next &&
                   !(f & (OPT_KEEPTTL | OPT_PERSIST | OPT_EXAT | OPT_PX | OPT_PXAT))) {
            *flags |= OPT_EX;
            *exp_arg = ++j;
        } else if (cmd_arg_is(c, j, "px") && has_next &&
                   !(f & (OPT_KEEPTTL | OPT_PERSIST | OPT_EX | OPT_EXAT | OPT_PXAT))) {
            *flags |= OPT_PX;
            *exp_arg = ++j;
        } else if (cmd_arg_is(c, j, "exat") && has_next &&
                   !(f & (OPT_KEEPTTL | OPT_PERSIST | OPT_EX | OPT_PX | OPT_PXAT))) {
            *flags |= OPT_EXAT;
            *exp_arg = ++j;
        } else if (cmd_arg_is(c, j, "pxat") && has_next &&
                   !(f & (OPT_KEEPTTL | OPT_PERSIST | OPT_EX | OPT_EXAT | OPT_PX))) {
            *flags |= OPT_PXAT;
            *exp_arg = ++j;
        } else {
            reply_error(c->reply, ERR_SYNTAX);
            return -1;
        }
    }
    return 0;
}

/* Turns an EX/PX/EXAT/PXAT argument into absolute unix ms, as Redis's
 * getExpireMillisecondsOrReply: zero and negative values are refused, and
 * so is anything whose conversion or addition to "now" would overflow.
 * Relative times count from the entry's time so replicas agree. */
static int get_expire_ms(cmd_ctx_t *c, int argi, int flags, const char *cmdname, int64_t *out)
{
    long long v;
    if (cmd_parse_ll(c->argv[argi], c->argvlen[argi], &v) < 0) {
        reply_error(c->reply, ERR_NOTINT);
        return -1;
    }
    bool seconds = (flags & (OPT_EX | OPT_EXAT)) != 0;
    if (v <= 0 || (seconds && v > LLONG_MAX / 1000)) {
        reply_invalid_expire(c, cmdname);
        return -1;
    }
    if (seconds) v *= 1000;
    if (flags & (OPT_EX | OPT_PX)) {
        if (c->now_ms > 0 && v > LLONG_MAX - c->now_ms) {
            reply_invalid_expire(c, cmdname);
            return -1;
        }
        v += c->now_ms;
        if (v <= 0) {
            reply_invalid_expire(c, cmdname);
            return -1;
        }
    }
    *out = v;
    return 0;
}

/* The common core of SET, SETNX, SETEX, PSETEX (Redis's setGenericCommand).
 * With GET the old value is the reply whether or not NX/XX let the write
 * happen; a non-string old value refuses the whole command. Without an
 * explicit expiry the TTL is dropped unless KEEPTTL asks to keep it. */
static void set_generic(cmd_ctx_t *c, int flags, const char *val, size_t vlen, bool has_exp,
                        int64_t when, set_reply_t how)
{
    const char *key = c->argv[1];
    size_t klen = c->argvlen[1];
    dbkey_t old;
    int found = db_lookup(c, key, klen, &old);
    if (found < 0) return;

    if (flags & OPT_GET) {
        if (found && old.meta.type != OBJ_STRING) {
            reply_error(c->reply, ERR_WRONGTYPE);
            db_release(&old);
            return;
        }
        if (found)
            reply_bulk(c->reply, old.meta.value, old.meta.vlen);
        else
            reply_null(c->reply);
    }

    if (((flags & OPT_NX) && found) || ((flags & OPT_XX) && !found)) {
        if (!(flags & OPT_GET)) {
            if (how == SET_REPLY_INT)
                reply_int(c->reply, 0);
            else
                reply_null(c->reply);
        }
        db_release(&old);
        return;
    }

    int64_t exp = 0;
    if (has_exp)
        exp = when;
    else if ((flags & OPT_KEEPTTL) && found)
        exp = old.meta.expire_ms;
    db_set_string(c, key, klen, val, vlen, exp, &old);
    db_release(&old);

    if (!(flags & OPT_GET)) {
        if (how == SET_REPLY_INT)
            reply_int(c->reply, 1);
        else
            reply_ok(c->reply);
    }
}

/* SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms-ts|KEEPTTL] */
static void setCommand(cmd_ctx_t *c)
{
    int flags, exp_arg;
    int64_t when = 0;
    if (parse_string_opts(c, 3, true, &flags, &exp_arg) < 0) return;
    if (exp_arg && get_expire_ms(c, exp_arg, flags, "set", &when) < 0) return;
    set_generic(c, flags, c->argv[2], c->argvlen[2], exp_arg != 0, when, SET_REPLY_OK);
}

/* SETNX answers 1/0 instead of OK/nil: kept for old clients. */
static void setnxCommand(cmd_ctx_t *c)
{
    set_generic(c, OPT_NX, c->argv[2], c->argvlen[2], false, 0, SET_REPLY_INT);
}

/* SETEX/PSETEX validate the TTL before touching the key, like SET EX/PX. */
static void setex_generic(cmd_ctx_t *c, int unit_flag, const char *cmdname)
{
    int64_t when;
    if (get_expire_ms(c, 2, unit_flag, cmdname, &when) < 0) return;
    set_generic(c, unit_flag, c->argv[3], c->argvlen[3], true, when, SET_REPLY_OK);
}

/* SETEX/PSETEX differ only in the unit and the name in the error text. */
static void setexCommand(cmd_ctx_t *c)
{
    setex_generic(c, OPT_EX, "setex");
}

static void psetexCommand(cmd_ctx_t *c)
{
    setex_generic(c, OPT_PX, "psetex");
}

/* Looks up argv[1] for a command that only works on strings: 1 with the
 * key's metadata in *k, 0 when absent, -1 after replying (WRONGTYPE, or a
 * storage error) -- every string command checks in this order. */
static int lookup_string(cmd_ctx_t *c, dbkey_t *k)
{
    return db_lookup_string(c, c->argv[1], c->argvlen[1], k);
}

/* The same for the commands that answer nil for a missing key (GET,
 * GETEX, GETDEL): 1 with *k to release, else 0 or -1 with the reply
 * (nil, or the error) written. */
static int lookup_string_or_nil(cmd_ctx_t *c, dbkey_t *k)
{
    int found = lookup_string(c, k);
    if (found == 0) reply_null(c->reply);
    return found;
}

/* The hottest read: one point lookup, one bulk reply, nothing else. */
static void getCommand(cmd_ctx_t *c)
{
    dbkey_t k;
    if (lookup_string_or_nil(c, &k) <= 0) return;
    reply_bulk(c->reply, k.meta.value, k.meta.vlen);
    db_release(&k);
}

/* GETEX is a write because it may change or drop the TTL. As in Redis the
 * key is looked up before the expire value is validated, so a missing key
 * answers nil even with a bad EX; an EXAT/PXAT already in the past deletes
 * the key after returning its value. */
static void getexCommand(cmd_ctx_t *c)
{
    int flags, exp_arg;
    int64_t when = 0;
    if (parse_string_opts(c, 2, false, &flags, &exp_arg) < 0) return;

    dbkey_t k;
    if (lookup_string_or_nil(c, &k) <= 0) return;
    if (exp_arg && get_expire_ms(c, exp_arg, flags, "getex", &when) < 0) {
        db_release(&k);
        return;
    }
    reply_bulk(c->reply, k.meta.value, k.meta.vlen);

    if ((flags & (OPT_EXAT | OPT_PXAT)) && when <= c->now_ms)
        db_delete(c, c->argv[1], c->argvlen[1], &k);
    else if (exp_arg)
        db_set_expire(c, c->argv[1], c->argvlen[1], &k, when);
    else if ((flags & OPT_PERSIST) && k.meta.expire_ms)
        db_set_expire(c, c->argv[1], c->argvlen[1], &k, 0);
    db_release(&k);
}

/* GETDEL: the value is replied before the record goes. */
static void getdelCommand(cmd_ctx_t *c)
{
    dbkey_t k;
    if (lookup_string_or_nil(c, &k) <= 0) return;
    reply_bulk(c->reply, k.meta.value, k.meta.vlen);
    db_delete(c, c->argv[1], c->argvlen[1], &k);
    db_release(&k);
}

/* GETSET is SET key value GET without options: the TTL is dropped. */
static void getsetCommand(cmd_ctx_t *c)
{
    set_generic(c, OPT_GET, c->argv[2], c->argvlen[2], false, 0, SET_REPLY_OK);
}

/* MGET never fails on a wrong type: such keys read as nil, as in Redis. */
static void mgetCommand(cmd_ctx_t *c)
{
    reply_array(c->reply, c->argc - 1);
    for (int j = 1; j < c->argc; j++) {
        dbkey_t k;
        int found = db_lookup(c, c->argv[j], c->argvlen[j], &k);
        if (found < 0) continue; /* the error stands in for this element */
        if (found && k.meta.type == OBJ_STRING)
            reply_bulk(c->reply, k.meta.value, k.meta.vlen);
        else
            reply_null(c->reply);
        db_release(&k);
    }
}

/* MSET/MSETNX: the arity check of the table cannot express "odd", so the
 * pairing is checked here with the same error text. MSETNX checks every key
 * before writing any, so it is all or nothing; a key named twice is simply
 * written twice, the last value winning. */
static void mset_generic(cmd_ctx_t *c, bool nx, const char *cmdname)
{
    if (c->argc % 2 == 0) {
        reply_wrong_arity(c->reply, cmdname);
        return;
    }
    if (nx) {
        for (int j = 1; j < c->argc; j += 2) {
            dbkey_t k;
            int found = db_lookup(c, c->argv[j], c->argvlen[j], &k);
            if (found < 0) return;
            db_release(&k);
            if (found) {
                reply_int(c->reply, 0);
                return;
            }
        }
    }
    for (int j = 1; j < c->argc; j += 2) {
        dbkey_t old;
        if (db_lookup(c, c->argv[j], c->argvlen[j], &old) < 0) return;
        db_set_string(c, c->argv[j], c->argvlen[j], c->argv[j + 1], c->argvlen[j + 1], 0, &old);
        db_release(&old);
    }
    if (nx)
        reply_int(c->reply, 1);
    else
        reply_ok(c->reply);
}

/* Thin entry points: the table needs one proc per command name. */
static void msetCommand(cmd_ctx_t *c)
{
    mset_generic(c, false, "mset");
}

static void msetnxCommand(cmd_ctx_t *c)
{
    mset_generic(c, true, "msetnx");
}

/* INCR/DECR/INCRBY/DECRBY: the value must print back exactly as it parses
 * (Redis's string2ll), overflow is refused rather than wrapped, and the TTL
 * survives the update. */
static void incr_decr(cmd_ctx_t *c, long long incr)
{
    dbkey_t k;
    long long value = 0;
    int found = lookup_string(c, &k);
    if (found < 0) return;
    if (found && cmd_parse_ll(k.meta.value, k.meta.vlen, &value) < 0) {
        reply_error(c->reply, ERR_NOTINT);
        goto out;
    }
    if (cmd_incr_ll(c, &value, incr) < 0) goto out;
    char buf[24];
    size_t n = ll_to_str(buf, value);
    db_set_string(c, c->argv[1], c->argvlen[1], buf, n, found ? k.meta.expire_ms : 0, &k);
    reply_int(c->reply, value);
out:
    db_release(&k);
}

/* INCR/DECR are INCRBY/DECRBY with an implicit 1. */
static void incrCommand(cmd_ctx_t *c)
{
    incr_decr(c, 1);
}

static void decrCommand(cmd_ctx_t *c)
{
    incr_decr(c, -1);
}

/* The increment is validated before the key is looked at, as in Redis. */
static void incrbyCommand(cmd_ctx_t *c)
{
    long long incr;
    if (cmd_parse_ll(c->argv[2], c->argvlen[2], &incr) < 0) {
        reply_error(c->reply, ERR_NOTINT);
        return;
    }
    incr_decr(c, incr);
}

/* LLONG_MIN cannot be negated: Redis 7 has its own error for it. */
static void decrbyCommand(cmd_ctx_t *c)
{
    long long incr;
    if (cmd_parse_ll(c->argv[2], c->argvlen[2], &incr) < 0) {
        reply_error(c->reply, ERR_NOTINT);
        return;
    }
    if (incr == LLONG_MIN) {
        reply_error(c->reply, "ERR decrement would overflow");
        return;
    }
    incr_decr(c, -incr);
}

/* INCRBYFLOAT computes in long double and stores the human-friendly text
 * (%.17Lf, trailing zeros stripped), the same bytes on every replica since
 * they all run the same binary on the same input. */
static void incrbyfloatCommand(cmd_ctx_t *c)
{
    dbkey_t k;
    long double value = 0, incr;
    int found = lookup_string(c, &k);
    if (found < 0) return;
    if ((found && cmd_parse_ld(k.meta.value, k.meta.vlen, &value) < 0) ||
        cmd_parse_ld(c->argv[2], c->argvlen[2], &incr) < 0) {
        reply_error(c->reply, ERR_NOTFLOAT);
        goto out;
    }
    char buf[CMD_LONG_DOUBLE_CHARS];
    int n = cmd_incr_long_double(c, value, incr, buf, sizeof(buf));
    if (n < 0) goto out;
    db_set_string_flags(c, c->argv[1], c->argvlen[1], buf, (size_t)n, found ? k.meta.expire_ms : 0,
                        META_STR_NOINT, &k);
    reply_bulk(c->reply, buf, (size_t)n);
out:
    db_release(&k);
}

/* Redis's checkStringLength: the result may not pass proto-max-bulk-len.
 * The sum is done unsigned so a huge offset cannot wrap into range. */
static bool string_too_long(cmd_ctx_t *c, unsigned long long size, unsigned long long append)
{
    if (size + append > (unsigned long long)STRING_MAX_LEN) {
        reply_error(c->reply, ERR_STRING_MAX);
        return true;
    }
    return false;
}

/* APPEND creates the key (even with an empty value) when it is missing and
 * keeps the TTL of an existing one. */
static void appendCommand(cmd_ctx_t *c)
{
    const char *key = c->argv[1], *add = c->argv[2];
    size_t klen = c->argvlen[1], alen = c->argvlen[2];
    dbkey_t k;
    int found = lookup_string(c, &k);
    if (found < 0) return;
    if (!found) {
        db_set_string(c, key, klen, add, alen, 0, &k);
        reply_int(c->reply, (long long)alen);
        return;
    }
    if (string_too_long(c, k.meta.vlen, alen)) goto out;
    size_t total = k.meta.vlen + alen;
    char *buf = malloc(total ? total : 1);
    memcpy(buf, k.meta.value, k.meta.vlen);
    memcpy(buf + k.meta.vlen, add, alen);
    db_set_string_flags(c, key, klen, buf, total, k.meta.expire_ms, META_STR_RAW, &k);
    free(buf);
    reply_int(c->reply, (long long)total);
out:
    db_release(&k);
}

/* A missing key is an empty string (0), as everywhere in Redis. */
static void strlenCommand(cmd_ctx_t *c)
{
    dbkey_t k;
    int found = lookup_string(c, &k);
    if (found < 0) return;
    reply_int(c->reply, found ? (long long)k.meta.vlen : 0);
    db_release(&k);
}

/* GETRANGE/SUBSTR, with Redis 7.0's index arithmetic kept as is (including
 * its quirk that an end far below -len clamps to 0 and yields the first
 * byte). */
static void getrangeCommand(cmd_ctx_t *c)
{
    long long start, end;
    if (cmd_parse_ll(c->argv[2], c->argvlen[2], &start) < 0 ||
        cmd_parse_ll(c->argv[3], c->argvlen[3], &end) < 0) {
        reply_error(c->reply, ERR_NOTINT);
        return;
    }
    dbkey_t k;
    int found = lookup_string(c, &k);
    if (found < 0) return;
    if (!found) {
        reply_bulk(c->reply, "", 0);
        return;
    }
    long long len = (long long)k.meta.vlen;
    if ((start < 0 && end < 0 && start > end) || len == 0) {
        reply_bulk(c->reply, "", 0);
        goto out;
    }
    if (start < 0) start += len;
    if (end < 0) end += len;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= len) end = len - 1;
    if (start > end)
        reply_bulk(c->reply, "", 0);
    else
        reply_bulk(c->reply, k.meta.value + start, (size_t)(end - start + 1));
out:
    db_release(&k);
}

/* SETRANGE pads with zero bytes and keeps the TTL. Writing nothing never
 * creates a key nor checks the size limit: it only reports the length. */
static void setrangeCommand(cmd_ctx_t *c)
{
    const char *key = c->argv[1], *val = c->argv[3];
    size_t klen = c->argvlen[1], vlen = c->argvlen[3];
    long long offset;
    if (cmd_parse_ll(c->argv[2], c->argvlen[2], &offset) < 0) {
        reply_error(c->reply, ERR_NOTINT);
        return;
    }
    if (offset < 0) {
        reply_error(c->reply, "ERR offset is out of range");
        return;
    }
    dbkey_t k;
    int found = lookup_string(c, &k);
    if (found < 0) return;
    size_t olen = found ? k.meta.vlen : 0;
    if (vlen == 0) {
        reply_int(c->reply, (long long)olen);
        goto out;
    }
    if (string_too_long(c, (unsigned long long)offset, vlen)) goto out;

    size_t end = (size_t)offset + vlen, total = end > olen ? end : olen;
    char *buf = malloc(total);
    if (olen) memcpy(buf, k.meta.value, olen);
    if ((size_t)offset > olen) memset(buf + olen, 0, (size_t)offset - olen);
    memcpy(buf + offset, val, vlen);
    db_set_string_flags(c, key, klen, buf, total, found ? k.meta.expire_ms : 0, META_STR_RAW, &k);
    free(buf);
    reply_int(c->reply, (long long)total);
out:
    db_release(&k);
}

#define RW_STRING "write string"
#define RO_STRING "read string"
#define GETRANGE_COMPLEXITY                                                                        \
    "O(N) where N is the length of the returned string. The complexity is ultimately determined "  \
    "by the returned length, but because creating a substring from an existing string is very "    \
    "cheap, it can be considered O(1) for small strings."

/* SET's key flags for COMMAND GETKEYSANDFLAGS, as Redis's setGetKeys: with
 * GET the old value is read (RW access), else it is overwritten (OW). */
static uint32_t set_key_flags(int argc, const char *const *argv, const size_t *argvlen)
{
    for (int i = 3; i < argc; i++)
        if (argvlen[i] == 3 && strncasecmp(argv[i], "get", 3) == 0) return KS_RW | KS_ACCESS | KS_UPDATE;
    return KS_OW | KS_UPDATE;
}

static const command_t string_commands[] = {
    {"get", getCommand, 2, CMD_READONLY | CMD_FAST, 1, 1, 1, "string", "Get the value of a key",
     "1.0.0", "O(1)", RO_STRING " fast", NULL, KEY1(KS_RO | KS_ACCESS)},
    {"set", setCommand, -3, CMD_WRITE | CMD_DENYOOM, 1, 1, 1, "string",
     "Set the string value of a key", "1.0.0", "O(1)", RW_STRING " slow", NULL,
     KEYSPECS({.flags = KS_RW | KS_ACCESS | KS_UPDATE | KS_VARIABLE_FLAGS, .begin = KS_BS_INDEX, .index = 1,
               .find = KS_FK_RANGE, .keystep = 1, .notes = "RW and ACCESS due to the optional `GET` argument",
               .key_flags = set_key_flags})},
    {"setnx", setnxCommand, 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "string",
     "Set the value of a key, only if the key does not exist", "1.0.0", "O(1)", RW_STRING " fast",
     NULL, KEY1(KS_OW | KS_INSERT)},
    {"setex", setexCommand, 4, CMD_WRITE | CMD_DENYOOM, 1, 1, 1, "string",
     "Set the value and expiration of a key", "2.0.0", "O(1)", RW_STRING " slow", NULL,
     KEY1(KS_OW | KS_UPDATE)},
    {"psetex", psetexCommand, 4, CMD_WRITE | CMD_DENYOOM, 1, 1, 1, "string",
     "Set the value and expiration in milliseconds of a key", "2.6.0", "O(1)", RW_STRING " slow",
     NULL, KEY1(KS_OW | KS_UPDATE)},
    {"mget", mgetCommand, -2, CMD_READONLY | CMD_FAST, 1, -1, 1, "string",
     "Get the values of all the given keys", "1.0.0",
     "O(N) where N is the number of keys to retrieve.", RO_STRING " fast", NULL,
     KEYSPECS(KS_RANGE(1, -1, 1, KS_RO | KS_ACCESS))},
    {"mset", msetCommand, -3, CMD_WRITE | CMD_DENYOOM, 1, -1, 2, "string",
     "Set multiple keys to multiple values", "1.0.1", "O(N) where N is the number of keys to set.",
     RW_STRING " slow", NULL, KEYSPECS(KS_RANGE(1, -1, 2, KS_OW | KS_UPDATE))},
    {"msetnx", msetnxCommand, -3, CMD_WRITE | CMD_DENYOOM, 1, -1, 2, "string",
     "Set multiple keys to multiple values, only if none of the keys exist", "1.0.1",
     "O(N) where N is the number of keys to set.", RW_STRING " slow", NULL,
     KEYSPECS(KS_RANGE(1, -1, 2, KS_OW | KS_INSERT))},
    {"getset", getsetCommand, 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "string",
     "Set the string value of a key and return its old value", "1.0.0", "O(1)", RW_STRING " fast",
     NULL, KEY1(KS_RW | KS_ACCESS | KS_UPDATE)},
    {"getdel", getdelCommand, 2, CMD_WRITE | CMD_FAST, 1, 1, 1, "string",
     "Get the value of a key and delete the key", "6.2.0", "O(1)", RW_STRING " fast", NULL,
     KEY1(KS_RW | KS_ACCESS | KS_DELETE)},
    {"getex", getexCommand, -2, CMD_WRITE | CMD_FAST, 1, 1, 1, "string",
     "Get the value of a key and optionally set its expiration", "6.2.0", "O(1)", RW_STRING " fast",
     NULL,
     KEYSPECS({.flags = KS_RW | KS_ACCESS | KS_UPDATE, .begin = KS_BS_INDEX, .index = 1, .find = KS_FK_RANGE,
               .keystep = 1, .notes = "RW and UPDATE because it changes the TTL"})},
    {"incr", incrCommand, 2, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "string",
     "Increment the integer value of a key by one", "1.0.0", "O(1)", RW_STRING " fast", NULL,
     KEY1(KS_RW | KS_ACCESS | KS_UPDATE)},
    {"decr", decrCommand, 2, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "string",
     "Decrement the integer value of a key by one", "1.0.0", "O(1)", RW_STRING " fast", NULL,
     KEY1(KS_RW | KS_ACCESS | KS_UPDATE)},
    {"incrby", incrbyCommand, 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "string",
     "Increment the integer value of a key by the given amount", "1.0.0", "O(1)", RW_STRING " fast",
     NULL, KEY1(KS_RW | KS_ACCESS | KS_UPDATE)},
    {"decrby", decrbyCommand, 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "string",
     "Decrement the integer value of a key by the given number", "1.0.0", "O(1)", RW_STRING " fast",
     NULL, KEY1(KS_RW | KS_ACCESS | KS_UPDATE)},
    {"incrbyfloat", incrbyfloatCommand, 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "string",
     "Increment the float value of a key by the given amount", "2.6.0", "O(1)", RW_STRING " fast",
     NULL, KEY1(KS_RW | KS_ACCESS | KS_UPDATE)},
    {"append", appendCommand, 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "string",
     "Append a value to a key", "2.0.0",
     "O(1). The amortized time complexity is O(1) assuming the appended value is small and the "
     "already present value is of any size, since the dynamic string library used by Redis will "
     "double the free space available on every reallocation.",
     RW_STRING " fast", NULL, KEY1(KS_RW | KS_INSERT)},
    {"strlen", strlenCommand, 2, CMD_READONLY | CMD_FAST, 1, 1, 1, "string",
     "Get the length of the value stored in a key", "2.2.0", "O(1)", RO_STRING " fast", NULL,
     KEY1(KS_RO)},
    {"getrange", getrangeCommand, 4, CMD_READONLY, 1, 1, 1, "string",
     "Get a substring of the string stored at a key", "2.4.0", GETRANGE_COMPLEXITY,
     RO_STRING " slow", NULL, KEY1(KS_RO | KS_ACCESS)},
    {"substr", getrangeCommand, 4, CMD_READONLY, 1, 1, 1, "string",
     "Get a substring of the string stored at a key", "1.0.0", GETRANGE_COMPLEXITY,
     RO_STRING " slow", NULL, KEY1(KS_RO | KS_ACCESS)},
    {"setrange", setrangeCommand, 4, CMD_WRITE | CMD_DENYOOM, 1, 1, 1, "string",
     "Overwrite part of a string at key starting at the specified offset", "2.2.0",
     "O(1), not counting the time taken to copy the new string in place. Usually, this string is "
     "very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being "
     "the length of the value argument.",
     RW_STRING " slow", NULL, KEY1(KS_RW | KS_UPDATE)},
};

/* Called once by cmd_register_data_commands(). */
void t_string_register(void)
{
    cmd_table_add(string_commands, sizeof(string_commands) / sizeof(string_commands[0]));
}
