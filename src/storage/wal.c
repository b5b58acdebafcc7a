/* The write-ahead log behind wal.h: segment files, records, recovery, the
 * in-memory index of entry positions and the background preparer. */
#include "storage/wal.h"
#include "storage/encoding.h"
#include "util/crc32c.h"
#include "util/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A record (integers big-endian, like the rest of the storage formats):
 *    0  u32 len     payload bytes
 *    4  u32 crc32c  of bytes 0..3 and 8..16+len (everything but itself)
 *    8  u8  type    REC_*
 *    9  u8  0 0 0
 *   12  u32 write   offset in the segment where the write holding it began
 *   16  payload, then zeros up to a multiple of 8
 * `write` is what tells a torn last write from damage: see scan_segment. */
#define REC_HDR 16
#define REC_ALIGN 8
enum { REC_ENTRY = 1, REC_META = 2, REC_TRUNCATE = 3, REC_COMPACT = 4 };
/* ENTRY payload: u64 index, u64 term, the entry bytes.
 * META: u64 value, the name.  TRUNCATE and COMPACT: u64 index. */
#define ENTRY_HDR 16

#define MAX_SEGMENT ((uint64_t)UINT32_MAX - 4095) /* offsets are u32 */
#define MIN_SEGMENT 4096u
#define ZERO_CHUNK (1u << 20)
#define PREP_NAME "next.tmp" /* the background preparer's file */
#define SYNC_NAME "new.tmp"  /* a segment made on the spot */
#define BUF_KEEP (8u << 20)  /* a write buffer grown past this is freed after use */

/* One segment file, and the live entries whose records it holds: entry
 * first + k is at offset offs[k]. Live entries are contiguous in index
 * order across the segments, oldest first. */
typedef struct seg {
    uint64_t seq;
    int fd;
    uint64_t size; /* file size */
    uint64_t used; /* bytes of records; the next write goes here */
    uint64_t first;
    uint32_t *offs;
    size_t n, cap;
} seg_t;

typedef struct meta_val {
    char name[WAL_META_NAME_MAX + 1];
    uint64_t v;
} meta_val_t;

struct wal {
    char dir[1024];
    int dirfd, lockfd;
    bool locked; /* this wal_t holds LOCK (so it may remove PREP_NAME) */
    uint64_t segsize;

    /* mu guards everything below up to wmu: the writer changes it, readers
     * look at it; the writer alone also reads it without mu. */
    pthread_mutex_t mu;
    seg_t *segs; /* oldest first; the last one is written */
    size_t nsegs, capsegs, hint;
    uint64_t first, last; /* 0, 0: empty */
    uint64_t floor;       /* entries below were compacted away */
    uint64_t bytes;
    meta_val_t *metas;
    size_t nmetas;

    /* wmu: one writer at a time; it guards the write state below */
    pthread_mutex_t wmu;
    char *buf; /* the records of the write being built */
    size_t blen, bcap;
    uint32_t wstart;   /* segment offset where that write goes */
    bool need_header;  /* the current segment has no records yet */
    bool dirty;        /* unsynced writes in the current segment */
    bool failed;       /* a write or sync failed: no more writes */

    /* the preparer thread zero-fills PREP_NAME ahead of the next rollover */
    pthread_t prep;
    bool prep_running, prep_ready, prep_failed;
    atomic_bool prep_stop;
    pthread_mutex_t pmu;
    pthread_cond_t pcv;
};

/* ---- small helpers ------------------------------------------------------- */

static void errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Formats a message into the caller's err buffer (which may be NULL). */
static void errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Bytes a record with len bytes of payload takes, padding included: records
 * stay 8-aligned so that recovery can look for them at aligned offsets. */
static uint64_t rec_size(uint64_t len)
{
    return (REC_HDR + len + REC_ALIGN - 1) & ~(uint64_t)(REC_ALIGN - 1);
}

static void seg_name(uint64_t seq, char *buf, size_t len)
{
    snprintf(buf, len, "%016llx.wal", (unsigned long long)seq);
}

/* pwrite (write true) or pread the whole range: short transfers are rare
 * but legal; the end of the file before n bytes is an error (EIO). */
static int io_all(bool write, int fd, char *p, size_t n, uint64_t off)
{
    while (n) {
        ssize_t k = write ? pwrite(fd, p, n, (off_t)off) : pread(fd, p, n, (off_t)off);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            if (k == 0) errno = EIO;
            return -1;
        }
        p += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return 0;
}

/* Where the last nonzero byte of p[0..n) ends (0: all zeros). Used at open
 * to see whether anything follows a segment's last whole record. */
static uint64_t nonzero_end(const char *p, uint64_t n)
{
    while (n % 8) {
        if (p[n - 1]) return n;
        n--;
    }
    while (n) {
        uint64_t word;
        memcpy(&word, p + n - 8, 8);
        if (word) break;
        n -= 8;
    }
    while (n && !p[n - 1]) n--;
    return n;
}

/* ---- zero-filled files and the preparer ------------------------------------ */

/* never written; not const, so that it lives in .bss, not in the binary */
static char zeros[ZERO_CHUNK];

/* Creates dir/name as size bytes of zeros, synced. Real zeros, not
 * fallocate: measured here, a synced 1.2 KB write costs ~80 us into a
 * pre-zeroed file, ~99 us into a fallocated one (its unwritten extents are
 * converted, through the journal, on first write) and ~125 us at the end of
 * a growing file, so only written zeros make fdatasync flush data alone.
 * Returns 0; -1 with errno; 1 if *stop turned true (the file is removed). */
static int zero_file(wal_t *w, const char *name, uint64_t size, atomic_bool *stop)
{
    int fd = openat(w->dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    int rc = 0;
    for (uint64_t off = 0; off < size && rc == 0; off += ZERO_CHUNK) {
        if (stop && atomic_load(stop)) rc = 1;
        else if (io_all(true, fd, zeros, size - off < ZERO_CHUNK ? size - off : ZERO_CHUNK, off) < 0) rc = -1;
    }
    if (rc == 0 && fsync(fd) < 0) rc = -1;
    int saved = errno;
    close(fd);
    if (rc != 0) unlinkat(w->dirfd, name, 0);
    errno = saved;
    return rc;
}

/* Zero-fills the next segment while the current one is written, so that a
 * rollover is a rename instead of 64 MB of writes on the append path. */
static void *preparer_main(void *arg)
{
    wal_t *w = arg;
    pthread_mutex_lock(&w->pmu);
    while (!atomic_load(&w->prep_stop)) {
        if (w->prep_ready || w->prep_failed) {
            pthread_cond_wait(&w->pcv, &w->pmu);
            continue;
        }
        pthread_mutex_unlock(&w->pmu);
        int rc = zero_file(w, PREP_NAME, w->segsize, &w->prep_stop);
        int saved = errno;
        pthread_mutex_lock(&w->pmu);
        if (rc == 0) w->prep_ready = true;
        if (rc < 0) {
            w->prep_failed = true; /* the rollover makes its own and reports why */
            log_warn("wal_prepare_failed", " dir=%s error=\"%s\"", w->dir, strerror(saved));
        }
        pthread_cond_broadcast(&w->pcv);
    }
    pthread_mutex_unlock(&w->pmu);
    return NULL;
}

/* Renames the prepared segment to name, waiting if it is still being
 * filled, and lets the preparer start on the one after. Returns -1 when
 * there is none to take (no preparer, or it failed). */
static int take_prepared(wal_t *w, const char *name)
{
    int rc = -1;
    pthread_mutex_lock(&w->pmu);
    while (w->prep_running && !w->prep_ready && !w->prep_failed) pthread_cond_wait(&w->pcv, &w->pmu);
    if (w->prep_ready && renameat(w->dirfd, PREP_NAME, w->dirfd, name) == 0) rc = 0;
    w->prep_ready = w->prep_failed = false;
    pthread_cond_broadcast(&w->pcv);
    pthread_mutex_unlock(&w->pmu);
    return rc;
}

/* ---- the index ------------------------------------------------------------ */

static seg_t *current(wal_t *w)
{
    return &w->segs[w->nsegs - 1];
}

/* Adds a segment at the end of the list (the new current one). mu held or
 * not yet shared. */
static seg_t *add_seg(wal_t *w, uint64_t seq, int fd, uint64_t size)
{
    if (w->nsegs == w->capsegs) {
        w->capsegs = w->capsegs ? w->capsegs * 2 : 16;
        w->segs = realloc(w->segs, sizeof(*w->segs) * w->capsegs);
    }
    seg_t *s = &w->segs[w->nsegs++];
    *s = (seg_t){.seq = seq, .fd = fd, .size = size};
    return s;
}

static void seg_clear(seg_t *s)
{
    free(s->offs);
    s->offs = NULL;
    s->n = s->cap = 0;
}

/* Drops the entries >= from (TRUNCATE, or an ENTRY overwriting them). */
static void index_truncate(wal_t *w, uint64_t from)
{
    if (!w->last || from > w->last) return;
    for (size_t k = w->nsegs; k-- > 0;) {
        seg_t *s = &w->segs[k];
        if (!s->n) continue;
        if (s->first >= from) {
            seg_clear(s);
            continue;
        }
        s->n = from - s->first;
        break;
    }
    if (from <= w->first) w->first = w->last = 0;
    else w->last = from - 1;
}

/* Drops the entries below f and remembers f as the floor (COMPACT). */
static void index_compact(wal_t *w, uint64_t f)
{
    if (f > w->floor) w->floor = f;
    if (!w->last || f <= w->first) return;
    for (size_t k = 0; k < w->nsegs; k++) {
        seg_t *s = &w->segs[k];
        if (!s->n) continue;
        if (s->first + s->n <= f) {
            seg_clear(s);
            continue;
        }
        size_t drop = f - s->first; /* runs are contiguous: this one starts at or below f */
        memmove(s->offs, s->offs + drop, (s->n - drop) * sizeof(*s->offs));
        s->n -= drop;
        s->first = f;
        break;
    }
    if (f > w->last) w->first = w->last = 0;
    else w->first = f;
}

/* Whether an entry at index may come next: Raft logs have no gaps, start
 * at 1 and never reach below what compaction dropped. */
static int check_next(const wal_t *w, uint64_t index, char *err, size_t errlen)
{
    if (index == 0) {
        errf(err, errlen, "wal: log indexes start at 1");
        return -1;
    }
    if (index < w->floor) {
        errf(err, errlen, "wal: entry %llu is below the compacted index %llu", (unsigned long long)index,
             (unsigned long long)w->floor);
        return -1;
    }
    if (w->last && index > w->last + 1) {
        errf(err, errlen, "wal: entry %llu would leave a gap after %llu", (unsigned long long)index,
             (unsigned long long)w->last);
        return -1;
    }
    return 0;
}

/* Records that entry index is at offset off of segment s (the newest one),
 * dropping whatever it overwrites. */
static int index_add(wal_t *w, seg_t *s, uint64_t index, uint32_t off, char *err, size_t errlen)
{
    if (check_next(w, index, err, errlen) < 0) return -1;
    index_truncate(w, index);
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->offs = realloc(s->offs, sizeof(*s->offs) * s->cap);
    }
    if (!s->n) s->first = index;
    s->offs[s->n++] = off;
    if (!w->last) w->first = index;
    w->last = index;
    return 0;
}

/* The segment holding entry index, and its position there. Reads are mostly
 * sequential (replay) or recent, so the last segment used is tried first. */
static seg_t *find_entry(wal_t *w, uint64_t index, size_t *k)
{
    if (!w->last || index < w->first || index > w->last) return NULL;
    for (size_t i = 0; i < 2; i++) {
        size_t h = w->hint + i;
        if (h >= w->nsegs) break;
        seg_t *s = &w->segs[h];
        if (s->n && index >= s->first && index - s->first < s->n) {
            w->hint = h;
            *k = index - s->first;
            return s;
        }
    }
    for (size_t h = w->nsegs; h-- > 0;) {
        seg_t *s = &w->segs[h];
        if (s->n && index >= s->first) {
            w->hint = h;
            *k = index - s->first;
            return s;
        }
    }
    return NULL;
}

/* Sets a META value (last one wins). */
static void meta_set(wal_t *w, const char *name, size_t nlen, uint64_t v)
{
    for (size_t i = 0; i < w->nmetas; i++)
        if (strlen(w->metas[i].name) == nlen && memcmp(w->metas[i].name, name, nlen) == 0) {
            w->metas[i].v = v;
            return;
        }
    w->metas = realloc(w->metas, sizeof(*w->metas) * (w->nmetas + 1));
    meta_val_t *m = &w->metas[w->nmetas++];
    memcpy(m->name, name, nlen);
    m->name[nlen] = '\0';
    m->v = v;
}

/* ---- records -------------------------------------------------------------- */

/* Whether a payload of len bytes is the right size for its type. */
static bool payload_ok(int type, uint64_t len)
{
    switch (type) {
    case REC_ENTRY: return len >= ENTRY_HDR;
    case REC_META: return len > 8 && len <= 8 + WAL_META_NAME_MAX;
    case REC_TRUNCATE:
    case REC_COMPACT: return len == 8;
    default: return false;
    }
}

/* Whether a whole, valid record starts at offset off of a segment mapped at
 * p (size bytes): known type, sane fields, a payload that fits, zero
 * padding (the checksum does not cover it, but nothing else may be there)
 * and the right checksum. */
static bool record_ok(const char *p, uint64_t size, uint64_t off)
{
    if (off > size || size - off < REC_HDR) return false;
    const char *h = p + off;
    uint32_t len = enc_get_u32(h);
    uint32_t wstart = enc_get_u32(h + 12);
    if (!payload_ok(h[8], len) || h[9] || h[10] || h[11]) return false;
    if (wstart > off || wstart % REC_ALIGN || len > size - off - REC_HDR) return false;
    for (uint64_t i = off + REC_HDR + len; i < off + rec_size(len) && i < size; i++)
        if (p[i]) return false;
    return crc32c(crc32c(0, h, 4), h + 8, REC_HDR - 8 + len) == enc_get_u32(h + 4);
}

/* Applies one valid record, read at open, to the index and the hard state:
 * the same steps a live write takes after writing it. */
static int apply_record(wal_t *w, seg_t *s, const char *h, uint32_t off, char *err, size_t errlen)
{
    uint32_t len = enc_get_u32(h);
    const char *pl = h + REC_HDR;
    switch (h[8]) {
    case REC_ENTRY: return index_add(w, s, enc_get_u64(pl), off, err, errlen);
    case REC_META: meta_set(w, pl + 8, len - 8, enc_get_u64(pl)); break;
    case REC_TRUNCATE: index_truncate(w, enc_get_u64(pl)); break;
    case REC_COMPACT: index_compact(w, enc_get_u64(pl)); break;
    }
    return 0;
}

/* Appends one record to the write being built and returns its offset in
 * the segment. The payload is a (alen bytes) then b (blen bytes). */
static uint32_t put_record(wal_t *w, int type, const void *a, size_t alen, const void *b, size_t blen)
{
    size_t len = alen + blen, total = (size_t)rec_size(len);
    if (w->blen + total > w->bcap) {
        size_t ncap = w->bcap ? w->bcap * 2 : 64 * 1024;
        while (ncap < w->blen + total) ncap *= 2;
        w->buf = realloc(w->buf, ncap);
        w->bcap = ncap;
    }
    char *h = w->buf + w->blen;
    memset(h, 0, REC_HDR);
    enc_put_u32(h, (uint32_t)len);
    h[8] = (char)type;
    enc_put_u32(h + 12, w->wstart);
    memcpy(h + REC_HDR, a, alen);
    if (blen) memcpy(h + REC_HDR + alen, b, blen);
    memset(h + REC_HDR + len, 0, total - REC_HDR - len);
    enc_put_u32(h + 4, crc32c(crc32c(0, h, 4), h + 8, REC_HDR - 8 + len));
    uint32_t off = w->wstart + (uint32_t)w->blen;
    w->blen += total;
    return off;
}

static uint64_t header_size(const wal_t *w)
{
    uint64_t n = w->floor ? rec_size(8) : 0;
    for (size_t i = 0; i < w->nmetas; i++) n += rec_size(8 + strlen(w->metas[i].name));
    return n;
}

/* A segment's first records: the hard state and the compaction floor as
 * they are now, so that the segments before it can be deleted. */
static void put_header(wal_t *w)
{
    char v[8];
    for (size_t i = 0; i < w->nmetas; i++) {
        enc_put_u64(v, w->metas[i].v);
        put_record(w, REC_META, v, 8, w->metas[i].name, strlen(w->metas[i].name));
    }
    if (w->floor) {
        enc_put_u64(v, w->floor);
        put_record(w, REC_COMPACT, v, 8, NULL, 0);
    }
}

/* ---- writing ---------------------------------------------------------------- */

/* Moves writing to a new segment that can take need bytes: the current one
 * is synced first (so only the last segment can ever hold a torn write),
 * the prepared file is renamed into place (or, when it is not the standard
 * size that is needed, one is made here) and the directory synced. */
static int rollover(wal_t *w, uint64_t need, char *err, size_t errlen)
{
    seg_t *cur = current(w);
    if (w->dirty && fdatasync(cur->fd) < 0) {
        w->failed = true;
        errf(err, errlen, "wal: fdatasync %s/%016llx.wal: %s", w->dir, (unsigned long long)cur->seq, strerror(errno));
        return -1;
    }
    w->dirty = false;
    uint64_t size = w->segsize;
    if (need > size) size = (need + MIN_SEGMENT - 1) / MIN_SEGMENT * MIN_SEGMENT;
    if (size > MAX_SEGMENT) {
        errf(err, errlen, "wal: a write of %llu bytes is larger than a segment can be", (unsigned long long)need);
        return -1;
    }
    uint64_t seq = cur->seq + 1;
    char name[32];
    seg_name(seq, name, sizeof(name));
    if (size != w->segsize || take_prepared(w, name) < 0) {
        if (zero_file(w, SYNC_NAME, size, NULL) < 0 || renameat(w->dirfd, SYNC_NAME, w->dirfd, name) < 0) {
            errf(err, errlen, "wal: creating segment %s/%s: %s", w->dir, name, strerror(errno));
            return -1;
        }
    }
    int fd = openat(w->dirfd, name, O_RDWR | O_CLOEXEC);
    if (fd < 0 || fsync(w->dirfd) < 0) {
        w->failed = true;
        errf(err, errlen, "wal: opening segment %s/%s: %s", w->dir, name, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    pthread_mutex_lock(&w->mu);
    add_seg(w, seq, fd, size);
    pthread_mutex_unlock(&w->mu);
    w->need_header = true;
    return 0;
}

/* Starts building one write of body bytes of records, rolling over first if
 * they do not fit; a segment's first write begins with its header. */
static int begin_write(wal_t *w, uint64_t body, char *err, size_t errlen)
{
    if (w->failed) {
        errf(err, errlen, "wal: an earlier write failed; no more writes until a restart");
        return -1;
    }
    seg_t *cur = current(w);
    uint64_t head = w->need_header ? header_size(w) : 0;
    if (cur->used + head + body > cur->size) {
        if (rollover(w, header_size(w) + body, err, errlen) < 0) return -1;
        cur = current(w);
    }
    w->wstart = (uint32_t)cur->used;
    w->blen = 0;
    if (w->need_header) put_header(w);
    return 0;
}

/* Writes the built records with one pwrite, and syncs them if asked. */
static int finish_write(wal_t *w, bool sync, char *err, size_t errlen)
{
    seg_t *cur = current(w);
    if (io_all(true, cur->fd, w->buf, w->blen, cur->used) < 0 || (sync && fdatasync(cur->fd) < 0)) {
        w->failed = true; /* what reached the disk is unknown: never retry */
        errf(err, errlen, "wal: writing %s/%016llx.wal: %s", w->dir, (unsigned long long)cur->seq, strerror(errno));
        return -1;
    }
    w->dirty = !sync;
    w->need_header = false;
    return 0;
}

/* Applies the records just written to the index and the hard state, with
 * the code that applies them at open (a segment header's records set the
 * values they already have), and accounts for the bytes. */
static void apply_written(wal_t *w)
{
    pthread_mutex_lock(&w->mu);
    seg_t *cur = current(w);
    for (size_t pos = 0; pos < w->blen; pos += (size_t)rec_size(enc_get_u32(w->buf + pos)))
        apply_record(w, cur, w->buf + pos, w->wstart + (uint32_t)pos, NULL, 0);
    cur->used += w->blen;
    w->bytes += w->blen;
    pthread_mutex_unlock(&w->mu);
    if (w->bcap > BUF_KEEP) {
        free(w->buf);
        w->buf = NULL;
        w->bcap = 0;
    }
}

/* One META, TRUNCATE or COMPACT record (value v, then name), as one write. */
static int write_record(wal_t *w, int type, uint64_t v, const char *name, size_t nlen, bool sync, char *err,
                        size_t errlen)
{
    char val[8];
    enc_put_u64(val, v);
    if (begin_write(w, rec_size(8 + nlen), err, errlen) < 0) return -1;
    put_record(w, type, val, 8, name, nlen);
    if (finish_write(w, sync, err, errlen) < 0) return -1;
    apply_written(w);
    return 0;
}

int wal_write(wal_t *w, const wal_meta_t *m, int nm, const wal_entry_t *e, int n, bool sync, char *err,
              size_t errlen)
{
    if (n <= 0 && nm <= 0) return 0;
    uint64_t body = 0;
    for (int i = 0; i < nm; i++) {
        size_t nlen = strlen(m[i].name);
        if (nlen == 0 || nlen > WAL_META_NAME_MAX) {
            errf(err, errlen, "wal: a hard-state name has 1 to %d bytes", WAL_META_NAME_MAX);
            return -1;
        }
        body += rec_size(8 + nlen);
    }
    for (int i = 0; i < n; i++) {
        if (e[i].index != e[0].index + (uint64_t)i) {
            errf(err, errlen, "wal: entries of one append must be consecutive");
            return -1;
        }
        body += rec_size(ENTRY_HDR + (uint64_t)e[i].len);
    }
    int rc = -1;
    pthread_mutex_lock(&w->wmu);
    if ((n > 0 && check_next(w, e[0].index, err, errlen) < 0) || begin_write(w, body, err, errlen) < 0) goto out;
    /* The hard state first: a write torn after it keeps a term at least as
     * new as any entry of the write that survived. */
    for (int i = 0; i < nm; i++) {
        char v[8];
        enc_put_u64(v, m[i].v);
        put_record(w, REC_META, v, 8, m[i].name, strlen(m[i].name));
    }
    for (int i = 0; i < n; i++) {
        char h[ENTRY_HDR];
        enc_put_u64(h, e[i].index);
        enc_put_u64(h + 8, e[i].term);
        put_record(w, REC_ENTRY, h, ENTRY_HDR, e[i].data, e[i].len);
    }
    if (finish_write(w, sync, err, errlen) < 0) goto out;
    apply_written(w);
    rc = 0;
out:
    pthread_mutex_unlock(&w->wmu);
    return rc;
}

int wal_append(wal_t *w, const wal_entry_t *e, int n, bool sync, char *err, size_t errlen)
{
    return wal_write(w, NULL, 0, e, n, sync, err, errlen);
}

int wal_meta_put(wal_t *w, const char *name, uint64_t v, bool sync, char *err, size_t errlen)
{
    size_t nlen = strlen(name);
    if (nlen == 0 || nlen > WAL_META_NAME_MAX) {
        errf(err, errlen, "wal: a hard-state name has 1 to %d bytes", WAL_META_NAME_MAX);
        return -1;
    }
    pthread_mutex_lock(&w->wmu);
    int rc = write_record(w, REC_META, v, name, nlen, sync, err, errlen);
    pthread_mutex_unlock(&w->wmu);
    return rc;
}

int wal_truncate_suffix(wal_t *w, uint64_t from, char *err, size_t errlen)
{
    int rc = 0;
    pthread_mutex_lock(&w->wmu);
    if (w->last && from <= w->last) rc = write_record(w, REC_TRUNCATE, from, NULL, 0, true, err, errlen);
    pthread_mutex_unlock(&w->wmu);
    return rc;
}

/* Closes and removes segments taken out of the list (no reader can reach
 * them any more), then syncs the directory. */
static int remove_segments(wal_t *w, seg_t *gone, size_t n, char *err, size_t errlen)
{
    int rc = 0;
    for (size_t k = 0; k < n; k++) {
        char name[32];
        seg_name(gone[k].seq, name, sizeof(name));
        close(gone[k].fd);
        seg_clear(&gone[k]);
        if (unlinkat(w->dirfd, name, 0) < 0 && rc == 0) {
            errf(err, errlen, "wal: removing %s/%s: %s", w->dir, name, strerror(errno));
            rc = -1;
        }
    }
    if (n && fsync(w->dirfd) < 0 && rc == 0) {
        errf(err, errlen, "wal: fsync %s: %s", w->dir, strerror(errno));
        rc = -1;
    }
    return rc;
}

int wal_compact(wal_t *w, uint64_t upto, char *err, size_t errlen)
{
    if (upto == UINT64_MAX) {
        errf(err, errlen, "wal: cannot compact past the largest index");
        return -1;
    }
    int rc = 0;
    pthread_mutex_lock(&w->wmu);
    if (upto + 1 > w->floor) rc = write_record(w, REC_COMPACT, upto + 1, NULL, 0, true, err, errlen);
    if (rc == 0) {
        /* the COMPACT record (and every later segment's header) is durable:
         * the segments before the oldest one still holding an entry can go;
         * never the current one */
        pthread_mutex_lock(&w->mu);
        size_t keep = w->nsegs - 1;
        for (size_t k = 0; k < w->nsegs; k++)
            if (w->segs[k].n) {
                keep = k;
                break;
            }
        seg_t *gone = malloc(sizeof(*gone) * (keep ? keep : 1));
        memcpy(gone, w->segs, sizeof(*gone) * keep);
        memmove(w->segs, w->segs + keep, sizeof(*w->segs) * (w->nsegs - keep));
        w->nsegs -= keep;
        w->hint = 0;
        for (size_t k = 0; k < keep; k++) w->bytes -= gone[k].used;
        pthread_mutex_unlock(&w->mu);
        rc = remove_segments(w, gone, keep, err, errlen);
        free(gone);
    }
    pthread_mutex_unlock(&w->wmu);
    return rc;
}

/* ---- reading ---------------------------------------------------------------- */

/* Reads and checks the ENTRY record of index at offset off of s (mu held:
 * the file cannot be closed meanwhile). */
static int read_entry(const wal_t *w, const seg_t *s, uint32_t off, uint64_t index, wal_entry_t *out, char *err,
                      size_t errlen)
{
    char h[REC_HDR + ENTRY_HDR];
    if (io_all(false, s->fd, h, sizeof(h), off) < 0) {
        errf(err, errlen, "wal: reading entry %llu from %s/%016llx.wal: %s", (unsigned long long)index, w->dir,
             (unsigned long long)s->seq, strerror(errno));
        return -1;
    }
    uint32_t len = enc_get_u32(h);
    if (h[8] != REC_ENTRY || len < ENTRY_HDR || len > s->used - off - REC_HDR ||
        enc_get_u64(h + REC_HDR) != index) {
        errf(err, errlen, "wal: entry %llu: checksum mismatch (bad record header at %s/%016llx.wal offset %u)",
             (unsigned long long)index, w->dir, (unsigned long long)s->seq, off);
        return -1;
    }
    size_t dlen = len - ENTRY_HDR;
    char *data = malloc(dlen ? dlen : 1);
    if (dlen && io_all(false, s->fd, data, dlen, off + sizeof(h)) < 0) {
        errf(err, errlen, "wal: reading entry %llu: %s", (unsigned long long)index, strerror(errno));
        free(data);
        return -1;
    }
    uint32_t crc = crc32c(crc32c(crc32c(0, h, 4), h + 8, sizeof(h) - 8), data, dlen);
    if (crc != enc_get_u32(h + 4)) {
        errf(err, errlen, "wal: entry %llu: checksum mismatch (%s/%016llx.wal offset %u)", (unsigned long long)index,
             w->dir, (unsigned long long)s->seq, off);
        free(data);
        return -1;
    }
    out->index = index;
    out->term = enc_get_u64(h + REC_HDR + 8);
    out->data = data;
    out->len = dlen;
    return 0;
}

int wal_get(wal_t *w, uint64_t index, wal_entry_t *out, char *err, size_t errlen)
{
    size_t k;
    pthread_mutex_lock(&w->mu);
    seg_t *s = find_entry(w, index, &k);
    int rc = s ? read_entry(w, s, s->offs[k], index, out, err, errlen) : 1;
    pthread_mutex_unlock(&w->mu);
    return rc;
}

void wal_bounds(wal_t *w, uint64_t *first, uint64_t *last)
{
    pthread_mutex_lock(&w->mu);
    *first = w->first;
    *last = w->last;
    pthread_mutex_unlock(&w->mu);
}

uint64_t wal_meta_get(wal_t *w, const char *name, uint64_t def)
{
    pthread_mutex_lock(&w->mu);
    for (size_t i = 0; i < w->nmetas; i++)
        if (strcmp(w->metas[i].name, name) == 0) def = w->metas[i].v;
    pthread_mutex_unlock(&w->mu);
    return def;
}

uint64_t wal_size(wal_t *w)
{
    pthread_mutex_lock(&w->mu);
    uint64_t n = w->bytes;
    pthread_mutex_unlock(&w->mu);
    return n;
}

/* ---- opening ------------------------------------------------------------------ */

/* Reads segment s at open: applies its whole records in order, then judges
 * what follows the last of them. Zeros: the normal end. Anything else is a
 * write that did not complete, or damage. Only the last segment may end in a
 * torn write, since a rollover syncs the segment it leaves; and a torn write
 * holds only records of that one write (their `write` offset is at or below
 * the damage). A whole record of a later write behind the damage means the
 * damaged records were synced, and maybe acknowledged, before it: that is
 * corruption, and the open fails rather than drop them. A torn tail is
 * zeroed (so a later write there never runs into its leftovers) and writing
 * goes on from the end of the last whole record. */
static int scan_segment(wal_t *w, seg_t *s, bool last, char *err, size_t errlen)
{
    const char *p = NULL;
    if (s->size) {
        p = mmap(NULL, s->size, PROT_READ, MAP_SHARED, s->fd, 0);
        if (p == MAP_FAILED) {
            errf(err, errlen, "wal: mmap %s/%016llx.wal: %s", w->dir, (unsigned long long)s->seq, strerror(errno));
            return -1;
        }
    }
    uint64_t off = 0;
    int rc = 0;
    while (off + REC_HDR <= s->size && record_ok(p, s->size, off)) {
        char why[200];
        if (apply_record(w, s, p + off, (uint32_t)off, why, sizeof(why)) < 0) {
            errf(err, errlen, "wal: %s/%016llx.wal offset %llu is corrupt: %s", w->dir, (unsigned long long)s->seq,
                 (unsigned long long)off, why);
            rc = -1;
            break;
        }
        off += rec_size(enc_get_u32(p + off));
    }
    uint64_t end = rc == 0 ? nonzero_end(p, s->size) : 0;
    if (end > off && !last) {
        errf(err, errlen,
             "wal: %s/%016llx.wal is corrupt at offset %llu: a damaged record in a segment that is not the last "
             "(the entries after it were acknowledged); refusing to open",
             w->dir, (unsigned long long)s->seq, (unsigned long long)off);
        rc = -1;
    }
    for (uint64_t o = off + REC_ALIGN; rc == 0 && end > off && o < end; o += REC_ALIGN)
        if (record_ok(p, s->size, o) && enc_get_u32(p + o + 12) > off) {
            errf(err, errlen,
                 "wal: %s/%016llx.wal is corrupt at offset %llu: the record there is damaged but a later write "
                 "follows at offset %llu (acknowledged entries would be lost); refusing to open",
                 w->dir, (unsigned long long)s->seq, (unsigned long long)off, (unsigned long long)o);
            rc = -1;
        }
    if (p) munmap((void *)p, s->size);
    s->used = off;
    w->bytes += off;
    if (rc < 0 || end <= off) return rc;

    log_warn("wal_torn_tail", " segment=%s/%016llx.wal offset=%llu bytes=%llu action=zeroed", w->dir,
             (unsigned long long)s->seq, (unsigned long long)off, (unsigned long long)(end - off));
    for (uint64_t o = off; o < end; o += ZERO_CHUNK) {
        size_t n = end - o < ZERO_CHUNK ? (size_t)(end - o) : ZERO_CHUNK;
        if (io_all(true, s->fd, zeros, n, o) < 0) rc = -1;
    }
    if (rc < 0 || fdatasync(s->fd) < 0) {
        errf(err, errlen, "wal: zeroing the torn tail of %s/%016llx.wal: %s", w->dir, (unsigned long long)s->seq,
             strerror(errno));
        return -1;
    }
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Finds the segments (removing leftover temp files, which never hold
 * records), checks that none is missing, and reads them in order. */
static int load_segments(wal_t *w, char *err, size_t errlen)
{
    DIR *d = fdopendir(dup(w->dirfd));
    if (!d) {
        errf(err, errlen, "wal: reading %s: %s", w->dir, strerror(errno));
        return -1;
    }
    uint64_t *seqs = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *name = de->d_name;
        size_t len = strlen(name);
        if (len > 4 && strcmp(name + len - 4, ".tmp") == 0) {
            unlinkat(w->dirfd, name, 0);
        } else if (len == 20 && strspn(name, "0123456789abcdef") == 16 && strcmp(name + 16, ".wal") == 0) {
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                seqs = realloc(seqs, sizeof(*seqs) * cap);
            }
            seqs[n++] = strtoull(name, NULL, 16);
        }
    }
    closedir(d);
    if (n) qsort(seqs, n, sizeof(*seqs), cmp_u64);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char name[32];
        seg_name(seqs[i], name, sizeof(name));
        if (i && seqs[i] != seqs[i - 1] + 1) {
            errf(err, errlen, "wal: %s: segment %016llx is missing (the log has a hole); refusing to open", w->dir,
                 (unsigned long long)(seqs[i - 1] + 1));
            rc = -1;
            break;
        }
        struct stat st;
        int fd = openat(w->dirfd, name, O_RDWR | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
            errf(err, errlen, "wal: opening %s/%s: %s", w->dir, name, strerror(errno));
            if (fd >= 0) close(fd);
            rc = -1;
            break;
        }
        seg_t *s = add_seg(w, seqs[i], fd, (uint64_t)st.st_size > MAX_SEGMENT ? MAX_SEGMENT : (uint64_t)st.st_size);
        rc = scan_segment(w, s, i == n - 1, err, errlen);
    }
    free(seqs);
    return rc;
}

/* Makes segment seq on the spot (the first one of a new log). */
static int create_segment(wal_t *w, uint64_t seq, char *err, size_t errlen)
{
    char name[32];
    seg_name(seq, name, sizeof(name));
    int fd = -1;
    if (zero_file(w, SYNC_NAME, w->segsize, NULL) < 0 || renameat(w->dirfd, SYNC_NAME, w->dirfd, name) < 0 ||
        fsync(w->dirfd) < 0 || (fd = openat(w->dirfd, name, O_RDWR | O_CLOEXEC)) < 0) {
        errf(err, errlen, "wal: creating %s/%s: %s", w->dir, name, strerror(errno));
        return -1;
    }
    add_seg(w, seq, fd, w->segsize);
    return 0;
}

/* Creates dir if missing, syncing its parent so the new entry is durable. */
static int make_dir(const char *dir, char *err, size_t errlen)
{
    if (mkdir(dir, 0755) < 0) {
        if (errno == EEXIST) return 0;
        errf(err, errlen, "wal: mkdir %s: %s", dir, strerror(errno));
        return -1;
    }
    char parent[1024];
    snprintf(parent, sizeof(parent), "%s", dir);
    char *slash = strrchr(parent, '/');
    if (slash) *(slash == parent ? slash + 1 : slash) = '\0';
    else snprintf(parent, sizeof(parent), ".");
    int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    return 0;
}

wal_t *wal_open(const char *dir, uint64_t segment_size, char *err, size_t errlen)
{
    if (!segment_size) segment_size = WAL_DEFAULT_SEGMENT_SIZE;
    if (segment_size < MIN_SEGMENT || segment_size > MAX_SEGMENT || strlen(dir) >= sizeof(((wal_t *)0)->dir)) {
        errf(err, errlen, "wal: bad segment size %llu or directory name", (unsigned long long)segment_size);
        return NULL;
    }
    wal_t *w = calloc(1, sizeof(*w));
    snprintf(w->dir, sizeof(w->dir), "%s", dir);
    w->segsize = (segment_size + MIN_SEGMENT - 1) / MIN_SEGMENT * MIN_SEGMENT;
    w->dirfd = w->lockfd = -1;
    pthread_mutex_init(&w->mu, NULL);
    pthread_mutex_init(&w->wmu, NULL);
    pthread_mutex_init(&w->pmu, NULL);
    pthread_cond_init(&w->pcv, NULL);
    atomic_init(&w->prep_stop, false);

    if (make_dir(dir, err, errlen) < 0) goto fail;
    w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (w->dirfd < 0) {
        errf(err, errlen, "wal: open %s: %s", dir, strerror(errno));
        goto fail;
    }
    w->lockfd = openat(w->dirfd, "LOCK", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (w->lockfd < 0 || flock(w->lockfd, LOCK_EX | LOCK_NB) < 0) {
        errf(err, errlen, "wal: lock %s/LOCK: %s", dir,
             errno == EWOULDBLOCK ? "the log is already open (another process, or twice in this one)"
                                  : strerror(errno));
        goto fail;
    }
    w->locked = true;
    if (load_segments(w, err, errlen) < 0) goto fail;
    if (!w->nsegs && create_segment(w, 1, err, errlen) < 0) goto fail;
    w->need_header = current(w)->used == 0;
    w->prep_running = pthread_create(&w->prep, NULL, preparer_main, w) == 0;
    return w;
fail:
    wal_close(w);
    return NULL;
}

void wal_close(wal_t *w)
{
    if (!w) return;
    if (w->prep_running) {
        pthread_mutex_lock(&w->pmu);
        atomic_store(&w->prep_stop, true);
        pthread_cond_broadcast(&w->pcv);
        pthread_mutex_unlock(&w->pmu);
        pthread_join(w->prep, NULL);
    }
    if (w->dirty && w->nsegs && fdatasync(current(w)->fd) < 0)
        log_error("wal_sync_failed", " dir=%s error=\"%s\"", w->dir, strerror(errno));
    for (size_t k = 0; k < w->nsegs; k++) {
        close(w->segs[k].fd);
        seg_clear(&w->segs[k]);
    }
    if (w->locked) unlinkat(w->dirfd, PREP_NAME, 0);
    if (w->dirfd >= 0) close(w->dirfd);
    if (w->lockfd >= 0) close(w->lockfd); /* releases the flock */
    pthread_mutex_destroy(&w->mu);
    pthread_mutex_destroy(&w->wmu);
    pthread_mutex_destroy(&w->pmu);
    pthread_cond_destroy(&w->pcv);
    free(w->segs);
    free(w->metas);
    free(w->buf);
    free(w);
}
