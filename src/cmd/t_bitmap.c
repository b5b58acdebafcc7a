/* Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
 * BITFIELD_RO, over the string a key holds (in its metadata record).
 *
 * Bit 0 is the most significant bit of the first byte, as in Redis. Replies
 * and errors are those of Redis 7.0, including the order in which arguments
 * and the key are checked (BITCOUNT and BITPOS look the key up before they
 * parse their range, so a missing key answers even with a bad range).
 * Writes are deterministic functions of the value and the arguments. */
#include "cmd/db.h"
#include "cmd/families.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Redis's proto-max-bulk-len: no bit offset may address a byte past it. */
#define BITMAP_MAX_BYTES (512LL * 1024 * 1024)

static const char ERR_BIT_OFFSET[] = "ERR bit offset is not an integer or out of range";
static const char ERR_BIT_VALUE[] = "ERR bit is not an integer or out of range";
static const char ERR_BITFIELD_TYPE[] =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/* Looks up argv[1] for a bitmap command: 1 found (a string), 0 absent,
 * -1 replied (WRONGTYPE or storage error). */
static int lookup_bitmap(cmd_ctx_t *c, dbkey_t *k)
{
    return db_lookup_string(c, c->argv[1], c->argvlen[1], k);
}

/* A bit offset argument (Redis's getBitOffsetFromArgument). With allow_hash
 * (BITFIELD) "#N" means N fields of `bits` bits; the multiplication wraps
 * as it does in Redis, so an absurd #N may land anywhere, and only the
 * final value is range checked. Returns 0, or -1 with the error replied. */
static int parse_bit_offset(cmd_ctx_t *c, int argi, bool allow_hash, int bits, uint64_t *out)
{
    const char *p = c->argv[argi];
    size_t len = c->argvlen[argi];
    bool hash = allow_hash && bits > 0 && len > 0 && p[0] == '#';
    long long v;
    if (cmd_parse_ll(p + hash, len - hash, &v) < 0) {
        reply_error(c->reply, ERR_BIT_OFFSET);
        return -1;
    }
    if (hash) v = (long long)((unsigned long long)v * (unsigned long long)bits);
    if (v < 0 || (v >> 3) >= BITMAP_MAX_BYTES) {
        reply_error(c->reply, ERR_BIT_OFFSET);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

/* The value of bit `off` of buf (len bytes); bits past the end read 0. */
static int get_bit(const unsigned char *buf, size_t len, uint64_t off)
{
    uint64_t byte = off >> 3;
    if (byte >= len) return 0;
    return (buf[byte] >> (7 - (off & 7))) & 1;
}

/* Copies the old value zero-extended to at least need bytes: every bitmap
 * write builds its new value in such a buffer. *len gets the new length. */
static unsigned char *grown_copy(const dbkey_t *k, int found, size_t need, size_t *len)
{
    size_t olen = found ? k->meta.vlen : 0;
    size_t n = need > olen ? need : olen;
    unsigned char *buf = calloc(1, n ? n : 1);
    if (olen) memcpy(buf, k->meta.value, olen);
    *len = n;
    return buf;
}

/* SETBIT key offset 0|1: the string grows to reach the bit (zero padded)
 * whatever the bit, and keeps its TTL. Replies the old bit. */
static void setbitCommand(cmd_ctx_t *c)
{
    uint64_t off;
    long long on;
    if (parse_bit_offset(c, 2, false, 0, &off) < 0) return;
    if (cmd_parse_ll(c->argv[3], c->argvlen[3], &on) < 0 || (on & ~1LL)) {
        reply_error(c->reply, ERR_BIT_VALUE);
        return;
    }
    dbkey_t k;
    int found = lookup_bitmap(c, &k);
    if (found < 0) return;
    size_t len;
    unsigned char *buf = grown_copy(&k, found, (size_t)(off >> 3) + 1, &len);
    int old = get_bit(buf, len, off);
    unsigned char mask = (unsigned char)(1u << (7 - (off & 7)));
    if (on)
        buf[off >> 3] |= mask;
    else
        buf[off >> 3] &= (unsigned char)~mask;
    db_set_string_flags(c, c->argv[1], c->argvlen[1], (const char *)buf, len, found ? k.meta.expire_ms : 0,
                        META_STR_RAW, &k);
    free(buf);
    reply_int(c->reply, old);
    db_release(&k);
}

/* GETBIT validates the offset before looking at the key, as Redis. */
static void getbitCommand(cmd_ctx_t *c)
{
    uint64_t off;
    if (parse_bit_offset(c, 2, false, 0, &off) < 0) return;
    dbkey_t k;
    int found = lookup_bitmap(c, &k);
    if (found < 0) return;
    reply_int(c->reply, found ? get_bit((const unsigned char *)k.meta.value, k.meta.vlen, off) : 0);
    db_release(&k);
}

/* Whether argument i says BIT (1), BYTE (0), or neither (-1). */
static int parse_unit(cmd_ctx_t *c, int i)
{
    if (cmd_arg_is(c, i, "bit")) return 1;
    if (cmd_arg_is(c, i, "byte")) return 0;
    return -1;
}

/* Resolves a [start, end] range against total units with Redis's rules:
 * negative indices count from the end, then both clamp into the string.
 * The result may be empty (start > end). */
static void clamp_range(long long total, long long *start, long long *end)
{
    if (*start < 0) *start += total;
    if (*end < 0) *end += total;
    if (*start < 0) *start = 0;
    if (*end < 0) *end = 0;
    if (*end >= total) *end = total - 1;
}

/* Set bits among bits [from, to] (inclusive) of buf. Whole bytes in the
 * middle are counted 8 at a time. */
static long long count_bits(const unsigned char *buf, uint64_t from, uint64_t to)
{
    long long n = 0;
    uint64_t b = from;
    while (b <= to && (b & 7)) n += get_bit(buf, ~(size_t)0, b++);
    while (b + 64 <= to + 1) {
        uint64_t w;
        memcpy(&w, buf + (b >> 3), 8);
        n += __builtin_popcountll(w);
        b += 64;
    }
    while (b + 8 <= to + 1) {
        n += __builtin_popcount(buf[b >> 3]);
        b += 8;
    }
    while (b <= to) n += get_bit(buf, ~(size_t)0, b++);
    return n;
}

/* BITCOUNT key [start end [BYTE|BIT]]. Redis 7.0 looks the key up first
 * (a missing key answers 0 whatever the range), answers 0 for two negative
 * indices in the wrong order before it reads the unit, and only then
 * complains about a bad unit. */
static void bitcountCommand(cmd_ctx_t *c)
{
    dbkey_t k;
    int found = lookup_bitmap(c, &k);
    if (found < 0) return;
    if (!found) {
        reply_int(c->reply, 0);
        return;
    }
    const unsigned char *p = (const unsigned char *)k.meta.value;
    long long len = (long long)k.meta.vlen, start, end;
    int bit = 0;
    if (c->argc == 4 || c->argc == 5) {
        if (cmd_parse_ll(c->argv[2], c->argvlen[2], &start) < 0 ||
            cmd_parse_ll(c->argv[3], c->argvlen[3], &end) < 0) {
            reply_error(c->reply, ERR_NOTINT);
            goto out;
        }
        if (start < 0 && end < 0 && start > end) {
            reply_int(c->reply, 0);
            goto out;
        }
        if (c->argc == 5 && (bit = parse_unit(c, 4)) < 0) {
            reply_error(c->reply, ERR_SYNTAX);
            goto out;
        }
        clamp_range(bit ? len * 8 : len, &start, &end);
    } else if (c->argc == 2) {
        start = 0;
        end = len - 1;
    } else {
        reply_error(c->reply, ERR_SYNTAX);
        goto out;
    }
    if (start > end)
        reply_int(c->reply, 0);
    else if (bit)
        reply_int(c->reply, count_bits(p, (uint64_t)start, (uint64_t)end));
    else
        reply_int(c->reply, count_bits(p, (uint64_t)start * 8, (uint64_t)end * 8 + 7));
out:
    db_release(&k);
}

/* The first bit equal to `bit` among bits [from, to] of buf, or -1. Whole
 * bytes that cannot hold it are skipped. */
static long long find_bit(const unsigned char *buf, uint64_t from, uint64_t to, int bit)
{
    unsigned char skip = bit ? 0x00 : 0xff;
    uint64_t b = from;
    while (b <= to) {
        if (!(b & 7) && b + 7 <= to && buf[b >> 3] == skip) {
            b += 8;
            continue;
        }
        if (get_bit(buf, ~(size_t)0, b) == bit) return (long long)b;
        b++;
    }
    return -1;
}

/* BITPOS key bit [start [end [BYTE|BIT]]]. A missing key is an endless
 * run of zeros. Looking for a 0 without an explicit end in a range of ones
 * answers the first bit past the string (the string reads as padded with
 * zeros); with an explicit end it answers -1, as Redis. */
static void bitposCommand(cmd_ctx_t *c)
{
    long long bit;
    if (cmd_parse_ll(c->argv[2], c->argvlen[2], &bit) < 0) {
        reply_error(c->reply, ERR_NOTINT);
        return;
    }
    if (bit != 0 && bit != 1) {
        reply_error(c->reply, "ERR The bit argument must be 1 or 0.");
        return;
    }
    dbkey_t k;
    int found = lookup_bitmap(c, &k);
    if (found < 0) return;
    if (!found) {
        reply_int(c->reply, bit ? -1 : 0);
        return;
    }
    const unsigned char *p = (const unsigned char *)k.meta.value;
    long long len = (long long)k.meta.vlen, start, end;
    int isbit = 0;
    bool end_given = false;
    if (c->argc >= 4 && c->argc <= 6) {
        if (cmd_parse_ll(c->argv[3], c->argvlen[3], &start) < 0) {
            reply_error(c->reply, ERR_NOTINT);
            goto out;
        }
        if (c->argc == 6 && (isbit = parse_unit(c, 5)) < 0) {
            reply_error(c->reply, ERR_SYNTAX);
            goto out;
        }
        if (c->argc >= 5) {
            if (cmd_parse_ll(c->argv[4], c->argvlen[4], &end) < 0) {
                reply_error(c->reply, ERR_NOTINT);
                goto out;
            }
            end_given = true;
        } else {
            end = len - 1;
        }
        clamp_range(isbit ? len * 8 : len, &start, &end);
    } else if (c->argc == 3) {
        start = 0;
        end = len - 1;
    } else {
        reply_error(c->reply, ERR_SYNTAX);
        goto out;
    }
    if (start > end) {
        reply_int(c->reply, -1);
        goto out;
    }
    uint64_t from = isbit ? (uint64_t)start : (uint64_t)start * 8;
    uint64_t to = isbit ? (uint64_t)end : (uint64_t)end * 8 + 7;
    long long pos = find_bit(p, from, to, (int)bit);
    if (pos < 0 && bit == 0 && !end_given) pos = (long long)to + 1;
    reply_int(c->reply, pos);
out:
    db_release(&k);
}

enum { BITOP_AND, BITOP_OR, BITOP_XOR, BITOP_NOT };

/* BITOP op destkey key [key ...]. Missing sources are empty strings, shorter
 * ones are zero padded to the longest. The result replaces destkey whatever
 * it held (dropping its TTL); an empty result deletes it. Replies the
 * result's length. */
static void bitopCommand(cmd_ctx_t *c)
{
    int op;
    if (cmd_arg_is(c, 1, "and"))
        op = BITOP_AND;
    else if (cmd_arg_is(c, 1, "or"))
        op = BITOP_OR;
    else if (cmd_arg_is(c, 1, "xor"))
        op = BITOP_XOR;
    else if (cmd_arg_is(c, 1, "not"))
        op = BITOP_NOT;
    else {
        reply_error(c->reply, ERR_SYNTAX);
        return;
    }
    if (op == BITOP_NOT && c->argc != 4) {
        reply_error(c->reply, "ERR BITOP NOT must be called with a single source key.");
        return;
    }
    int nsrc = c->argc - 3;
    dbkey_t *src = calloc((size_t)nsrc, sizeof(*src));
    size_t maxlen = 0;
    unsigned char *res = NULL;
    for (int j = 0; j < nsrc; j++) {
        int found = db_lookup(c, c->argv[j + 3], c->argvlen[j + 3], &src[j]);
        if (found < 0) goto out;
        if (found && src[j].meta.type != OBJ_STRING) {
            reply_error(c->reply, ERR_WRONGTYPE);
            goto out;
        }
        if (found && src[j].meta.vlen > maxlen) maxlen = src[j].meta.vlen;
    }
    if (maxlen) {
        res = calloc(1, maxlen);
        for (int j = 0; j < nsrc; j++) {
            const unsigned char *s = (const unsigned char *)src[j].meta.value;
            size_t n = src[j].meta.type == OBJ_STRING ? src[j].meta.vlen : 0;
            if (op == BITOP_NOT) {
                for (size_t i = 0; i < maxlen; i++) res[i] = (unsigned char)~(i < n ? s[i] : 0);
            } else if (op == BITOP_AND) {
                /* bytes past a source's end are ANDed with its zero padding */
                if (j == 0) {
                    if (n) memcpy(res, s, n);
                } else {
                    for (size_t i = 0; i < maxlen; i++) res[i] &= i < n ? s[i] : 0;
                }
            } else {
                for (size_t i = 0; i < n; i++) res[i] = op == BITOP_OR ? (res[i] | s[i]) : (res[i] ^ s[i]);
            }
        }
    }
    const char *dst = c->argv[2];
    size_t dlen = c->argvlen[2];
    dbkey_t old;
    int found = db_lookup(c, dst, dlen, &old);
    if (found < 0) goto out;
    if (maxlen)
        db_set_string_flags(c, dst, dlen, (const char *)res, maxlen, 0, META_STR_RAW, &old);
    else if (found)
        db_delete(c, dst, dlen, &old);
    db_release(&old);
    reply_int(c->reply, (long long)maxlen);
out:
    for (int j = 0; j < nsrc; j++) db_release(&src[j]);
    free(src);
    free(res);
}

/* ---- BITFIELD ------------------------------------------------------------ */

enum { BF_GET, BF_SET, BF_INCRBY };
enum { BF_WRAP, BF_SAT, BF_FAIL };

typedef struct bf_op {
    uint64_t offset;
    long long arg; /* SET value or INCRBY increment */
    int opcode, overflow, bits;
    bool sign;
} bf_op_t;

/* An "i<1..64>" or "u<1..63>" type, case sensitive as in Redis. */
static int parse_bf_type(cmd_ctx_t *c, int argi, bool *sign, int *bits)
{
    const char *p = c->argv[argi];
    size_t len = c->argvlen[argi];
    long long n;
    if (len < 2 || (p[0] != 'i' && p[0] != 'u') || cmd_parse_ll(p + 1, len - 1, &n) < 0 || n < 1 ||
        n > (p[0] == 'i' ? 64 : 63)) {
        reply_error(c->reply, ERR_BITFIELD_TYPE);
        return -1;
    }
    *sign = p[0] == 'i';
    *bits = (int)n;
    return 0;
}

/* Reads `bits` bits at bit `off` as an unsigned number (bits past len are 0). */
static uint64_t bf_get_raw(const unsigned char *buf, size_t len, uint64_t off, int bits)
{
    uint64_t v = 0;
    for (int i = 0; i < bits; i++) v = (v << 1) | (uint64_t)get_bit(buf, len, off + (uint64_t)i);
    return v;
}

/* The same bits read as a two's complement number when sign is set. */
static long long bf_get(const unsigned char *buf, size_t len, uint64_t off, int bits, bool sign)
{
    uint64_t v = bf_get_raw(buf, len, off, bits);
    if (sign && bits < 64 && (v >> (bits - 1)) & 1) v |= ~0ULL << bits;
    return (long long)v;
}

/* Writes the low `bits` bits of v at bit `off` (the buffer is long enough). */
static void bf_set(unsigned char *buf, uint64_t off, int bits, uint64_t v)
{
    for (int i = 0; i < bits; i++) {
        uint64_t b = off + (uint64_t)i;
        unsigned char mask = (unsigned char)(1u << (7 - (b & 7)));
        if ((v >> (bits - 1 - i)) & 1)
            buf[b >> 3] |= mask;
        else
            buf[b >> 3] &= (unsigned char)~mask;
    }
}

/* Fits the exact result r into the field under the overflow policy:
 * WRAP keeps the low bits (sign-extended for signed fields), SAT clamps to
 * the field's range, FAIL reports the overflow. Unsigned SET values are
 * taken as Redis takes them, as 64-bit unsigned (so -1 is 2^64-1).
 * Returns true on overflow; *out is the value to store and reply. */
static bool bf_fit(__int128 r, int bits, bool sign, bool is_set, int policy, long long *out)
{
    __int128 max = sign ? ((__int128)1 << (bits - 1)) - 1 : ((__int128)1 << bits) - 1;
    __int128 min = sign ? -((__int128)1 << (bits - 1)) : 0;
    if (r >= min && r <= max) {
        *out = (long long)(uint64_t)r;
        return false;
    }
    if (policy == BF_SAT) {
        bool up = r > max;
        /* Redis 7.0 decides "above the maximum" first, with max - value
         * computed in 64 bits: a SET value below a narrow signed field's
         * minimum by more than 2^63 - 1 - max makes that difference wrap
         * negative, and the value saturates to the maximum. (INCRBY's
         * value is the field's, always in range: no such case.) */
        if (is_set && sign && bits < 64 && r < min &&
            (int64_t)((uint64_t)max - (uint64_t)(int64_t)r) < 0)
            up = true;
        *out = (long long)(uint64_t)(up ? max : min);
    } else {
        uint64_t v = (uint64_t)r; /* the low 64 bits of r, two's complement */
        if (bits < 64) {
            v &= (1ULL << bits) - 1;
            if (sign && (v >> (bits - 1)) & 1) v |= ~0ULL << bits;
        }
        *out = (long long)v;
    }
    return true;
}

/* BITFIELD and BITFIELD_RO (ro): every operation is parsed and validated
 * before anything runs. With a SET or INCRBY the key is created or grown
 * to the farthest bit written -- even when every write then fails under
 * OVERFLOW FAIL -- and keeps its TTL. Operations run in order, each seeing
 * the writes before it. */
static void bitfield_generic(cmd_ctx_t *c, bool ro)
{
    bf_op_t *ops = calloc((size_t)c->argc, sizeof(*ops));
    int nops = 0, overflow = BF_WRAP;
    bool writes = false;
    uint64_t highest = 0;
    dbkey_t k = {0};
    unsigned char *buf = NULL;

    for (int j = 2; j < c->argc; j++) {
        int rem = c->argc - j - 1;
        bf_op_t *o = &ops[nops];
        if (cmd_arg_is(c, j, "get") && rem >= 2) {
            o->opcode = BF_GET;
        } else if (cmd_arg_is(c, j, "set") && rem >= 3) {
            o->opcode = BF_SET;
        } else if (cmd_arg_is(c, j, "incrby") && rem >= 3) {
            o->opcode = BF_INCRBY;
        } else if (cmd_arg_is(c, j, "overflow") && rem >= 1) {
            j++;
            if (cmd_arg_is(c, j, "wrap"))
                overflow = BF_WRAP;
            else if (cmd_arg_is(c, j, "sat"))
                overflow = BF_SAT;
            else if (cmd_arg_is(c, j, "fail"))
                overflow = BF_FAIL;
            else {
                reply_error(c->reply, "ERR Invalid OVERFLOW type specified");
                goto out;
            }
            continue;
        } else {
            reply_error(c->reply, ERR_SYNTAX);
            goto out;
        }
        if (parse_bf_type(c, j + 1, &o->sign, &o->bits) < 0) goto out;
        if (parse_bit_offset(c, j + 2, true, o->bits, &o->offset) < 0) goto out;
        if (o->opcode != BF_GET) {
            writes = true;
            if (o->offset + (uint64_t)o->bits - 1 > highest) highest = o->offset + (uint64_t)o->bits - 1;
            if (cmd_parse_ll(c->argv[j + 3], c->argvlen[j + 3], &o->arg) < 0) {
                reply_error(c->reply, ERR_NOTINT);
                goto out;
            }
        }
        o->overflow = overflow;
        nops++;
        j += o->opcode == BF_GET ? 2 : 3;
    }
    if (writes && ro) {
        reply_error(c->reply, "ERR BITFIELD_RO only supports the GET subcommand");
        goto out;
    }

    int found = lookup_bitmap(c, &k);
    if (found < 0) goto out;
    size_t len = found ? k.meta.vlen : 0;
    const unsigned char *val = (const unsigned char *)k.meta.value;
    if (writes) {
        buf = grown_copy(&k, found, (size_t)(highest >> 3) + 1, &len);
        val = buf;
    }
    reply_array(c->reply, nops);
    for (int i = 0; i < nops; i++) {
        bf_op_t *o = &ops[i];
        long long old = bf_get(val, len, o->offset, o->bits, o->sign), nv;
        if (o->opcode == BF_GET) {
            reply_int(c->reply, old);
            continue;
        }
        __int128 exact;
        if (o->opcode == BF_INCRBY)
            exact = (o->sign ? (__int128)old : (__int128)(uint64_t)old) + o->arg;
        else
            exact = o->sign ? (__int128)o->arg : (__int128)(uint64_t)o->arg;
        if (bf_fit(exact, o->bits, o->sign, o->opcode == BF_SET, o->overflow, &nv) && o->overflow == BF_FAIL) {
            reply_null(c->reply);
            continue;
        }
        reply_int(c->reply, o->opcode == BF_INCRBY ? nv : old);
        bf_set(buf, o->offset, o->bits, (uint64_t)nv);
    }
    if (writes)
        db_set_string_flags(c, c->argv[1], c->argvlen[1], (const char *)buf, len, found ? k.meta.expire_ms : 0,
                        META_STR_RAW, &k);
out:
    db_release(&k);
    free(buf);
    free(ops);
}

/* BITFIELD is a write even when it only reads: it goes through the log. */
static void bitfieldCommand(cmd_ctx_t *c)
{
    bitfield_generic(c, false);
}

/* BITFIELD_RO: the read-only variant, answered without the log. */
static void bitfieldroCommand(cmd_ctx_t *c)
{
    bitfield_generic(c, true);
}

/* BITFIELD's key flags for COMMAND GETKEYSANDFLAGS, as Redis's
 * bitfieldGetKeys: read-only while every operation is a GET (or OVERFLOW)
 * with its arguments; a SET, an INCRBY or a syntax error make it RW. */
static uint32_t bitfield_key_flags(int argc, const char *const *argv, const size_t *argvlen)
{
    for (int i = 2; i < argc; i++) {
        int rem = argc - i - 1;
        bool is_get = argvlen[i] == 3 && strncasecmp(argv[i], "get", 3) == 0;
        bool is_overflow = argvlen[i] == 8 && strncasecmp(argv[i], "overflow", 8) == 0;
        if (is_get && rem >= 2)
            i += 2;
        else if (is_overflow && rem >= 1)
            i += 1;
        else
            return KS_RW | KS_ACCESS | KS_UPDATE;
    }
    return KS_RO | KS_ACCESS;
}

static const command_t bitmap_commands[] = {
    {"setbit", setbitCommand, 4, CMD_WRITE | CMD_DENYOOM, 1, 1, 1, "bitmap",
     "Sets or clears the bit at offset in the string value stored at key", "2.2.0", "O(1)",
     "write bitmap slow", NULL, KEY1(KS_RW | KS_ACCESS | KS_UPDATE)},
    {"getbit", getbitCommand, 3, CMD_READONLY | CMD_FAST, 1, 1, 1, "bitmap",
     "Returns the bit value at offset in the string value stored at key", "2.2.0", "O(1)",
     "read bitmap fast", NULL, KEY1(KS_RO | KS_ACCESS)},
    {"bitcount", bitcountCommand, -2, CMD_READONLY, 1, 1, 1, "bitmap", "Count set bits in a string",
     "2.6.0", "O(N)", "read bitmap slow", NULL, KEY1(KS_RO | KS_ACCESS)},
    {"bitpos", bitposCommand, -3, CMD_READONLY, 1, 1, 1, "bitmap",
     "Find first bit set or clear in a string", "2.8.7", "O(N)", "read bitmap slow", NULL,
     KEY1(KS_RO | KS_ACCESS)},
    {"bitop", bitopCommand, -4, CMD_WRITE | CMD_DENYOOM, 2, -1, 1, "bitmap",
     "Perform bitwise operations between strings", "2.6.0", "O(N)", "write bitmap slow", NULL,
     KEYSPECS(KS_ONE(2, KS_OW | KS_UPDATE), KS_RANGE(3, -1, 1, KS_RO | KS_ACCESS))},
    {"bitfield", bitfieldCommand, -2, CMD_WRITE | CMD_DENYOOM, 1, 1, 1, "bitmap",
     "Perform arbitrary bitfield integer operations on strings", "3.2.0",
     "O(1) for each subcommand specified", "write bitmap slow", NULL,
     KEYSPECS({.flags = KS_RW | KS_ACCESS | KS_UPDATE | KS_VARIABLE_FLAGS, .begin = KS_BS_INDEX, .index = 1,
               .find = KS_FK_RANGE, .keystep = 1,
               .notes = "This command allows both access and modification of the key",
               .key_flags = bitfield_key_flags})},
    {"bitfield_ro", bitfieldroCommand, -2, CMD_READONLY | CMD_FAST, 1, 1, 1, "bitmap",
     "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
     "6.0.0", "O(1) for each subcommand specified", "read bitmap fast", NULL,
     KEY1(KS_RO | KS_ACCESS)},
};

/* Called once by cmd_register_data_commands(). */
void t_bitmap_register(void)
{
    cmd_table_add(bitmap_commands, sizeof(bitmap_commands) / sizeof(bitmap_commands[0]));
}
