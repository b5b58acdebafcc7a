// fuzz-sources: src/node/snapwire.c src/storage/snapshot.c src/storage/store.c src/storage/store_txn.c src/storage/wal.c src/storage/cache.c src/storage/encoding.c src/util/log.c src/util/crc32c.c -lrocksdb -lpthread
/* libFuzzer target for the two decoders of snapshot bytes that come from
 * other nodes: snapshot chunks (snapwire_decode, src/node/snapwire.c, layout
 * in snapwire.h) and snapshot manifests (snap_manifest_decode,
 * src/storage/snapshot.c, layout in snapshot.h above snap_manifest_size).
 * scripts/fuzz.sh builds it; tests/unit/test_snapwire_fuzz_replay.c includes
 * this file and runs it over generated inputs in `make test`. snapshot.c
 * also holds snap_create, which calls store_checkpoint (store.c, RocksDB), so
 * the sources line links the storage files and -lrocksdb; fuzz.sh passes the
 * line to clang as it is, flags included.
 *
 * The first byte of an input is a selector, the rest is what gets decoded:
 *   bit 0   0: a snapshot chunk, 1: a manifest;
 *   bit 1   fix the checksums first, so that mutations reach the checks
 *           behind them: a DATA chunk's crc32c field, the trailing checksum
 *           of a BEGIN chunk's manifest (its last 4 bytes), or a manifest's
 *           trailing checksum, are overwritten with the right value.
 * The bytes are decoded from an exact-size heap copy (ASan sees any read past
 * the end) and checked against an independent reference decoder written with
 * plain offsets (and its own table CRC-32C):
 *   - the decoder accepts exactly what the reference accepts; a refusal
 *     gives the reason the reference expects (the first rule the bytes break,
 *     in the decoder's order) and, for a manifest, leaves nothing allocated;
 *   - an accepted chunk equals the reference's field by field and its body
 *     is a view into the input at the reference's offset (48 for BEGIN, 64
 *     for DATA); an accepted manifest equals it field by field and file by
 *     file (names, sizes, checksums, their total, the configuration bytes);
 *   - re-encoding an accepted chunk or manifest (snapwire_encode,
 *     snap_manifest_encode) gives back exactly the input bytes,
 *     snapwire_size / snap_manifest_size are the input's length, and a
 *     buffer one byte short is refused (encode returns 0);
 *   - a decode without an error buffer (NULL, 0) gives the same result;
 *   - the body of an accepted BEGIN chunk is then checked as a manifest too
 *     (from its own exact-size copy), as the receiving node decodes it.
 *
 * Rules the reference takes from the code rather than the headers: a chunk
 * needs a non-zero sender (from) and snap_index; the files' sizes of a
 * manifest may add up to at most 2^62 - 1 (UINT64_MAX >> 2); a file name is
 * 1..SNAP_NAME_MAX-1 bytes without '/' or NUL and not starting with '.'.
 * When a file's size/checksum runs past the end, or its size takes the
 * total over the limit, the reason is "bad length". */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/snapwire.h"
#include "storage/snapshot.h"

#define FZS_SEL_MANIFEST 1u
#define FZS_SEL_FIX_CRC 2u

#define FZS_BEGIN_BODY 48 /* header, u32 len */
#define FZS_DATA_BODY 64  /* header, u32 file, u64 offset, u32 len, u32 crc */
#define FZS_M_MIN 31      /* "RS", version, index, term, conf_len, nfiles, crc */
#define FZS_M_FILE_MIN 15 /* u16 name_len, a 1-byte name, u64 size, u32 crc */
#define FZS_M_BYTES_MAX (UINT64_MAX >> 2)

/* Outcomes of a chunk (how often each was seen: the replay test checks
 * coverage). */
enum {
    FZS_C_SHORT,     /* fewer bytes than the header */
    FZS_C_MAGIC,     /* not "SC" */
    FZS_C_VERSION,   /* version byte not 1 */
    FZS_C_KIND,      /* neither BEGIN nor DATA */
    FZS_C_LEN_SHORT, /* the kind's fields or the body run past the end */
    FZS_C_TRAILING,  /* bytes after the body */
    FZS_C_ZERO,      /* from or snap_index is 0 */
    FZS_C_CRC,       /* a DATA chunk whose checksum does not match */
    FZS_C_OK_BEGIN,
    FZS_C_OK_DATA,
    FZS_C_OK_DATA_EMPTY, /* a DATA chunk with no bytes */
    FZS_C_N
};
static unsigned long fuzz_snapwire_chunk_stats[FZS_C_N];

static const char *const fzs_c_reason[FZS_C_N] = {
    [FZS_C_SHORT] = "not a snapshot chunk",
    [FZS_C_MAGIC] = "not a snapshot chunk",
    [FZS_C_VERSION] = "unknown snapshot chunk version",
    [FZS_C_KIND] = "unknown snapshot chunk kind",
    [FZS_C_LEN_SHORT] = "snapshot chunk length mismatch",
    [FZS_C_TRAILING] = "snapshot chunk length mismatch",
    [FZS_C_ZERO] = "snapshot chunk without sender or index",
    [FZS_C_CRC] = "snapshot chunk checksum mismatch",
};

/* Outcomes of a manifest. */
enum {
    FZS_M_SHORT,        /* fewer bytes than the smallest manifest */
    FZS_M_MAGIC,        /* not "RS" */
    FZS_M_VERSION,      /* version byte not 1 */
    FZS_M_CRC,          /* the trailing checksum does not match */
    FZS_M_CONF_LEN,     /* conf_len above SNAP_CONF_MAX or past the end */
    FZS_M_COUNT,        /* no room for nfiles, above SNAP_MAX_FILES or than the bytes can hold */
    FZS_M_FILE_SHORT,   /* a name length or name runs past the end */
    FZS_M_NAME_UNSAFE,  /* empty, too long, '/', NUL, leading '.' */
    FZS_M_RECORD_SHORT, /* a file's size or checksum runs past the end */
    FZS_M_TOTAL,        /* the sizes add up to more than FZS_M_BYTES_MAX */
    FZS_M_TRAILING,     /* bytes between the last file and the checksum */
    FZS_M_OK_EMPTY,     /* accepted, no files */
    FZS_M_OK_ONE,
    FZS_M_OK_MANY,
    FZS_M_N
};
static unsigned long fuzz_snapwire_manifest_stats[FZS_M_N];

#define FZS_M_BAD_NAME "snapshot manifest: bad file name"
#define FZS_M_BAD_LENGTH "snapshot manifest: bad length"

static const char *const fzs_m_reason[FZS_M_N] = {
    [FZS_M_SHORT] = "not a snapshot manifest",
    [FZS_M_MAGIC] = "not a snapshot manifest",
    [FZS_M_VERSION] = "unknown snapshot manifest version",
    [FZS_M_CRC] = "snapshot manifest checksum mismatch",
    [FZS_M_CONF_LEN] = "snapshot manifest: bad configuration length",
    [FZS_M_COUNT] = "snapshot manifest: bad file count",
    [FZS_M_FILE_SHORT] = FZS_M_BAD_NAME,
    [FZS_M_NAME_UNSAFE] = FZS_M_BAD_NAME,
    [FZS_M_RECORD_SHORT] = FZS_M_BAD_LENGTH,
    [FZS_M_TOTAL] = FZS_M_BAD_LENGTH,
    [FZS_M_TRAILING] = FZS_M_BAD_LENGTH,
};

static const uint8_t *fzs_data;
static size_t fzs_size;

/* Prints the input (so a failure in the replay test can be reproduced) and
 * aborts, which libFuzzer reports as a crash. */
static void fzs_fail(const char *what, int line)
{
    fprintf(stderr, "fuzz_snapwire: invariant failed (line %d): %s\ninput (%zu bytes): ", line, what, fzs_size);
    for (size_t i = 0; i < fzs_size && i < 4096; i++) fprintf(stderr, "\\x%02x", fzs_data[i]);
    fprintf(stderr, "\n");
    abort();
}

#define FZS_CHECK(cond)                                                                            \
    do {                                                                                           \
        if (!(cond)) fzs_fail(#cond, __LINE__);                                                    \
    } while (0)

static uint64_t fzs_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void fzs_put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), a plain table
 * version independent of src/util/crc32c.c. */
static uint32_t fzs_crc32c(const uint8_t *p, size_t n)
{
    static uint32_t table[256];
    static bool built;
    if (!built) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            table[i] = c;
        }
        built = true;
    }
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) crc = (crc >> 8) ^ table[(crc ^ p[i]) & 0xff];
    return ~crc;
}

/* ---- chunks ------------------------------------------------------------------ */

/* What the reference decoded: the fields, and where the body starts. */
typedef struct {
    snapwire_t c;
    size_t body_at;
} fzs_chunk_ref_t;

/* The reference chunk decoder, from snapwire.h's layout:
 *   "SC" | u8 version (1) | u8 kind | u64 cluster_id | from | term
 *   | snap_index | snap_term
 *   BEGIN: u32 len | body          DATA: u32 file | u64 offset | u32 len | u32 crc | body
 * Returns the outcome class. */
static int fzs_ref_chunk(const uint8_t *d, size_t n, fzs_chunk_ref_t *r)
{
    memset(r, 0, sizeof(*r));
    if (n < SNAPWIRE_HDR) return FZS_C_SHORT;
    if (d[0] != 'S' || d[1] != 'C') return FZS_C_MAGIC;
    if (d[2] != 1) return FZS_C_VERSION;
    snapwire_t *c = &r->c;
    c->kind = d[3];
    c->cluster_id = fzs_le(d + 4, 8);
    c->from = fzs_le(d + 12, 8);
    c->term = fzs_le(d + 20, 8);
    c->snap_index = fzs_le(d + 28, 8);
    c->snap_term = fzs_le(d + 36, 8);
    uint32_t crc = 0;
    if (c->kind == 1) { /* BEGIN */
        if (n < FZS_BEGIN_BODY) return FZS_C_LEN_SHORT;
        c->len = (uint32_t)fzs_le(d + 44, 4);
        r->body_at = FZS_BEGIN_BODY;
    } else if (c->kind == 2) { /* DATA */
        if (n < FZS_DATA_BODY) return FZS_C_LEN_SHORT;
        c->file = (uint32_t)fzs_le(d + 44, 4);
        c->offset = fzs_le(d + 48, 8);
        c->len = (uint32_t)fzs_le(d + 56, 4);
        crc = (uint32_t)fzs_le(d + 60, 4);
        r->body_at = FZS_DATA_BODY;
    } else {
        return FZS_C_KIND;
    }
    if (n - r->body_at < c->len) return FZS_C_LEN_SHORT;
    if (n - r->body_at > c->len) return FZS_C_TRAILING;
    if (c->from == 0 || c->snap_index == 0) return FZS_C_ZERO;
    if (c->kind == 2 && fzs_crc32c(d + r->body_at, c->len) != crc) return FZS_C_CRC;
    if (c->kind == 1) return FZS_C_OK_BEGIN;
    return c->len ? FZS_C_OK_DATA : FZS_C_OK_DATA_EMPTY;
}

static void fzs_check_manifest(const uint8_t *bytes, size_t n);

/* Decodes the chunk in buf (n bytes, an exact-size heap copy) and checks it
 * against the reference. */
static void fzs_check_chunk(const char *buf, size_t n)
{
    const uint8_t *d = (const uint8_t *)buf;
    char err[128] = "";
    snapwire_t c, quiet;
    int rc = snapwire_decode(&c, buf, n, err, sizeof(err));
    FZS_CHECK(snapwire_decode(&quiet, buf, n, NULL, 0) == rc);

    fzs_chunk_ref_t r;
    int outcome = fzs_ref_chunk(d, n, &r);
    fuzz_snapwire_chunk_stats[outcome]++;
    if (outcome < FZS_C_OK_BEGIN) {
        FZS_CHECK(rc == -1);
        FZS_CHECK(strcmp(err, fzs_c_reason[outcome]) == 0);
        return;
    }
    FZS_CHECK(rc == 0);
    FZS_CHECK(err[0] == '\0');
    FZS_CHECK(c.kind == r.c.kind && c.cluster_id == r.c.cluster_id && c.from == r.c.from);
    FZS_CHECK(c.term == r.c.term && c.snap_index == r.c.snap_index && c.snap_term == r.c.snap_term);
    FZS_CHECK(c.len == r.c.len && c.file == r.c.file && c.offset == r.c.offset);
    FZS_CHECK(c.body == buf + r.body_at); /* a view into the input */
    FZS_CHECK(quiet.body == c.body && quiet.len == c.len && quiet.kind == c.kind);

    /* re-encoding gives back the input, into a buffer of exactly its size */
    FZS_CHECK(snapwire_size(&c) == n);
    char *out = malloc(n);
    FZS_CHECK(out != NULL);
    FZS_CHECK(snapwire_encode(&c, out, n) == n);
    FZS_CHECK(memcmp(out, buf, n) == 0);
    FZS_CHECK(snapwire_encode(&c, out, n - 1) == 0);
    free(out);

    if (c.kind == SNAPWIRE_BEGIN) fzs_check_manifest((const uint8_t *)c.body, c.len);
}

/* ---- manifests --------------------------------------------------------------- */

typedef struct {
    size_t name_at; /* where the name starts in the input */
    size_t name_len;
    uint64_t size;
    uint32_t crc;
} fzs_file_ref_t;

typedef struct {
    uint64_t index, term, bytes;
    uint32_t conf_len, nfiles;
    fzs_file_ref_t *files; /* nfiles of them (malloc'ed) */
    const char *why;       /* the reason a refusal must give */
} fzs_manifest_ref_t;

static bool fzs_safe_name(const uint8_t *s, size_t n)
{
    if (n == 0 || n >= SNAP_NAME_MAX || s[0] == '.') return false;
    return memchr(s, '/', n) == NULL && memchr(s, 0, n) == NULL;
}

/* The reference manifest decoder, from snapshot.h's layout:
 *   "RS" u8 version (1) | u64 index | u64 term | u32 conf_len | conf
 *   | u32 nfiles | nfiles x (u16 name_len | name | u64 size | u32 crc)
 *   | u32 crc32c of everything before
 * Returns the outcome class; r->why is the reason. */
static int fzs_ref_manifest_class(const uint8_t *d, size_t n, fzs_manifest_ref_t *r)
{
    if (n < FZS_M_MIN) return FZS_M_SHORT;
    if (d[0] != 'R' || d[1] != 'S') return FZS_M_MAGIC;
    if (d[2] != 1) return FZS_M_VERSION;
    size_t end = n - 4; /* the checksum covers [0, end) */
    if ((uint32_t)fzs_le(d + end, 4) != fzs_crc32c(d, end)) return FZS_M_CRC;
    r->index = fzs_le(d + 3, 8);
    r->term = fzs_le(d + 11, 8);
    uint64_t cl = fzs_le(d + 19, 4);
    size_t o = 23;
    if (cl > SNAP_CONF_MAX || cl > end - o) return FZS_M_CONF_LEN;
    r->conf_len = (uint32_t)cl;
    o += cl;
    if (end - o < 4) return FZS_M_COUNT;
    uint64_t nf = fzs_le(d + o, 4);
    o += 4;
    if (nf > SNAP_MAX_FILES || nf * FZS_M_FILE_MIN > end - o) return FZS_M_COUNT;
    r->files = calloc(nf ? nf : 1, sizeof(*r->files));
    FZS_CHECK(r->files != NULL);
    for (uint64_t i = 0; i < nf; i++) {
        fzs_file_ref_t *f = &r->files[i];
        if (end - o < 2) return FZS_M_FILE_SHORT;
        f->name_len = (size_t)fzs_le(d + o, 2);
        o += 2;
        if (f->name_len > end - o) return FZS_M_FILE_SHORT;
        if (!fzs_safe_name(d + o, f->name_len)) return FZS_M_NAME_UNSAFE;
        f->name_at = o;
        o += f->name_len;
        if (end - o < 12) return FZS_M_RECORD_SHORT;
        f->size = fzs_le(d + o, 8);
        f->crc = (uint32_t)fzs_le(d + o + 8, 4);
        o += 12;
        if (f->size > FZS_M_BYTES_MAX - r->bytes) return FZS_M_TOTAL;
        r->bytes += f->size;
    }
    r->nfiles = (uint32_t)nf;
    if (o != end) return FZS_M_TRAILING;
    return nf == 0 ? FZS_M_OK_EMPTY : nf == 1 ? FZS_M_OK_ONE : FZS_M_OK_MANY;
}

static int fzs_ref_manifest(const uint8_t *d, size_t n, fzs_manifest_ref_t *r)
{
    memset(r, 0, sizeof(*r));
    int outcome = fzs_ref_manifest_class(d, n, r);
    if (outcome < FZS_M_OK_EMPTY && !r->why) r->why = fzs_m_reason[outcome];
    return outcome;
}

/* Decodes the manifest in bytes (n of them) from its own exact-size heap
 * copy and checks it against the reference. */
static void fzs_check_manifest(const uint8_t *bytes, size_t n)
{
    char *buf = malloc(n ? n : 1);
    FZS_CHECK(buf != NULL);
    buf[0] = 0;
    if (n) memcpy(buf, bytes, n);
    const uint8_t *d = (const uint8_t *)buf;

    static snap_manifest_t m, quiet; /* large (the configuration): not on the stack */
    char err[128] = "";
    int rc = snap_manifest_decode(&m, buf, n, err, sizeof(err));
    FZS_CHECK(snap_manifest_decode(&quiet, buf, n, NULL, 0) == rc);
    snap_manifest_free(&quiet);

    fzs_manifest_ref_t r;
    int outcome = fzs_ref_manifest(d, n, &r);
    fuzz_snapwire_manifest_stats[outcome]++;
    if (outcome < FZS_M_OK_EMPTY) {
        FZS_CHECK(rc == -1);
        FZS_CHECK(strcmp(err, r.why) == 0);
        FZS_CHECK(m.files == NULL && m.nfiles == 0); /* nothing left to free */
    } else {
        FZS_CHECK(rc == 0);
        FZS_CHECK(err[0] == '\0');
        FZS_CHECK(m.index == r.index && m.term == r.term && m.bytes == r.bytes);
        FZS_CHECK(m.conf_len == r.conf_len && memcmp(m.conf, d + 23, r.conf_len) == 0);
        FZS_CHECK(m.nfiles == r.nfiles);
        FZS_CHECK((m.files == NULL) == (m.nfiles == 0));
        for (uint32_t i = 0; i < m.nfiles; i++) {
            const snap_file_t *f = &m.files[i];
            const fzs_file_ref_t *want = &r.files[i];
            FZS_CHECK(strlen(f->name) == want->name_len);
            FZS_CHECK(memcmp(f->name, d + want->name_at, want->name_len) == 0);
            FZS_CHECK(f->size == want->size && f->crc == want->crc);
        }

        /* re-encoding gives back the input, into a buffer of exactly its size */
        FZS_CHECK(snap_manifest_size(&m) == n);
        char *out = malloc(n);
        FZS_CHECK(out != NULL);
        FZS_CHECK(snap_manifest_encode(&m, out, n) == n);
        FZS_CHECK(memcmp(out, buf, n) == 0);
        FZS_CHECK(snap_manifest_encode(&m, out, n - 1) == 0);
        free(out);
        snap_manifest_free(&m);
        FZS_CHECK(m.files == NULL && m.nfiles == 0);
    }
    free(r.files);
    free(buf);
}

/* ---- the target -------------------------------------------------------------- */

/* Overwrites the checksums of d (n bytes) with the right values (selector
 * bit 1). Only the shape needed to find the checksum is looked at. */
static void fzs_fix_crc(uint8_t *d, size_t n, bool manifest)
{
    if (manifest) {
        if (n >= 4) fzs_put_le(d + n - 4, fzs_crc32c(d, n - 4), 4);
    } else if (n >= FZS_DATA_BODY && d[3] == SNAPWIRE_DATA) {
        fzs_put_le(d + 60, fzs_crc32c(d + FZS_DATA_BODY, n - FZS_DATA_BODY), 4);
    } else if (n >= FZS_BEGIN_BODY + 4 && d[3] == SNAPWIRE_BEGIN) {
        fzs_put_le(d + n - 4, fzs_crc32c(d + FZS_BEGIN_BODY, n - FZS_BEGIN_BODY - 4), 4);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    fzs_data = data;
    fzs_size = size;
    uint8_t sel = data[0];
    size_t n = size - 1;
    char *buf = malloc(n ? n : 1); /* exact size: reads past the end trip ASan */
    FZS_CHECK(buf != NULL);
    buf[0] = 0;
    if (n) memcpy(buf, data + 1, n);
    if (sel & FZS_SEL_FIX_CRC) fzs_fix_crc((uint8_t *)buf, n, sel & FZS_SEL_MANIFEST);

    if (sel & FZS_SEL_MANIFEST)
        fzs_check_manifest((const uint8_t *)buf, n);
    else
        fzs_check_chunk(buf, n);
    free(buf);
    return 0;
}
