/* Snapshot directories and their manifests (snapshot.h). */
#include "storage/snapshot.h"
#include "util/crc32c.h"
#include "util/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MANIFEST_MAGIC0 'R'
#define MANIFEST_MAGIC1 'S'
#define MANIFEST_VERSION 1

static void errf(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
    if (err && errlen) snprintf(err, errlen, fmt, a, b);
}

void snap_manifest_free(snap_manifest_t *m)
{
    free(m->files);
    m->files = NULL;
    m->nfiles = 0;
}

int snap_manifest_copy(snap_manifest_t *dst, const snap_manifest_t *src)
{
    *dst = *src;
    dst->files = NULL;
    if (src->nfiles) {
        dst->files = malloc(sizeof(*dst->files) * src->nfiles);
        if (!dst->files) return -1;
        memcpy(dst->files, src->files, sizeof(*dst->files) * src->nfiles);
    }
    return 0;
}

/* ---- the manifest's bytes ------------------------------------------------------ */

static char *put_u16(char *p, uint16_t v)
{
    p[0] = (char)v;
    p[1] = (char)(v >> 8);
    return p + 2;
}

static char *put_u32(char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (char)(v >> (8 * i));
    return p + 4;
}

static char *put_u64(char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (char)(v >> (8 * i));
    return p + 8;
}

size_t snap_manifest_size(const snap_manifest_t *m)
{
    size_t n = 3 + 8 + 8 + 4 + m->conf_len + 4 + 4;
    for (uint32_t i = 0; i < m->nfiles; i++) n += 2 + strlen(m->files[i].name) + 8 + 4;
    return n;
}

size_t snap_manifest_encode(const snap_manifest_t *m, char *buf, size_t cap)
{
    size_t need = snap_manifest_size(m);
    if (cap < need) return 0;
    char *p = buf;
    *p++ = MANIFEST_MAGIC0;
    *p++ = MANIFEST_MAGIC1;
    *p++ = MANIFEST_VERSION;
    p = put_u64(p, m->index);
    p = put_u64(p, m->term);
    p = put_u32(p, m->conf_len);
    memcpy(p, m->conf, m->conf_len);
    p += m->conf_len;
    p = put_u32(p, m->nfiles);
    for (uint32_t i = 0; i < m->nfiles; i++) {
        size_t nl = strlen(m->files[i].name);
        p = put_u16(p, (uint16_t)nl);
        memcpy(p, m->files[i].name, nl);
        p += nl;
        p = put_u64(p, m->files[i].size);
        p = put_u32(p, m->files[i].crc);
    }
    p = put_u32(p, crc32c(0, buf, (size_t)(p - buf)));
    return (size_t)(p - buf);
}

typedef struct cur {
    const unsigned char *p, *end;
    bool bad;
} cur_t;

static uint64_t get_n(cur_t *c, int n)
{
    if (c->bad || c->end - c->p < n) {
        c->bad = true;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)c->p[i] << (8 * i);
    c->p += n;
    return v;
}

/* A file name a manifest may carry: a plain name in its directory. */
static bool safe_name(const char *s, size_t n)
{
    if (n == 0 || n >= SNAP_NAME_MAX || s[0] == '.') return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/' || s[i] == 0) return false;
    return true;
}

int snap_manifest_decode(snap_manifest_t *m, const char *buf, size_t len, char *err, size_t errlen)
{
    memset(m, 0, sizeof(*m));
    if (len < 3 + 8 + 8 + 4 + 4 + 4 || buf[0] != MANIFEST_MAGIC0 || buf[1] != MANIFEST_MAGIC1) {
        errf(err, errlen, "%s%s", "not a snapshot manifest", "");
        return -1;
    }
    if (buf[2] != MANIFEST_VERSION) {
        errf(err, errlen, "%s%s", "unknown snapshot manifest version", "");
        return -1;
    }
    cur_t tail = {(const unsigned char *)buf + len - 4, (const unsigned char *)buf + len, false};
    if ((uint32_t)get_n(&tail, 4) != crc32c(0, buf, len - 4)) {
        errf(err, errlen, "%s%s", "snapshot manifest checksum mismatch", "");
        return -1;
    }
    cur_t c = {(const unsigned char *)buf + 3, (const unsigned char *)buf + len - 4, false};
    m->index = get_n(&c, 8);
    m->term = get_n(&c, 8);
    uint64_t cl = get_n(&c, 4);
    if (c.bad || cl > SNAP_CONF_MAX || (size_t)(c.end - c.p) < cl) {
        errf(err, errlen, "%s%s", "snapshot manifest: bad configuration length", "");
        return -1;
    }
    memcpy(m->conf, c.p, cl);
    m->conf_len = (uint32_t)cl;
    c.p += cl;
    uint64_t nf = get_n(&c, 4);
    /* each file takes at least 15 bytes: the count cannot exceed what is left */
    if (c.bad || nf > SNAP_MAX_FILES || nf > (uint64_t)(c.end - c.p) / 15) {
        errf(err, errlen, "%s%s", "snapshot manifest: bad file count", "");
        return -1;
    }
    m->files = nf ? calloc(nf, sizeof(*m->files)) : NULL;
    if (nf && !m->files) {
        errf(err, errlen, "%s%s", "out of memory", "");
        return -1;
    }
    m->nfiles = (uint32_t)nf;
    for (uint32_t i = 0; i < m->nfiles; i++) {
        uint64_t nl = get_n(&c, 2);
        if (c.bad || (size_t)(c.end - c.p) < nl || !safe_name((const char *)c.p, nl)) {
            snap_manifest_free(m);
            errf(err, errlen, "%s%s", "snapshot manifest: bad file name", "");
            return -1;
        }
        memcpy(m->files[i].name, c.p, nl);
        m->files[i].name[nl] = 0;
        c.p += nl;
        m->files[i].size = get_n(&c, 8);
        m->files[i].crc = (uint32_t)get_n(&c, 4);
        if (c.bad || m->files[i].size > (UINT64_MAX >> 2) - m->bytes) {
            snap_manifest_free(m);
            errf(err, errlen, "%s%s", "snapshot manifest: bad length", "");
            return -1;
        }
        m->bytes += m->files[i].size;
    }
    if (c.bad || c.p != c.end) {
        snap_manifest_free(m);
        errf(err, errlen, "%s%s", "snapshot manifest: bad length", "");
        return -1;
    }
    return 0;
}

/* ---- files ------------------------------------------------------------------ */

int snap_sync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int snap_rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0) return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode)) return unlink(path);
    DIR *d = opendir(path);
    if (!d) return -1;
    struct dirent *de;
    char sub[2048];
    int rc = 0;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
        if (snap_rmtree(sub) < 0) rc = -1;
    }
    closedir(d);
    if (rmdir(path) < 0) rc = -1;
    return rc;
}

/* CRC-32C and size of a whole file. */
static int file_crc(const char *path, uint64_t *size, uint32_t *crc)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    static __thread char buf[1 << 16];
    uint32_t c = 0;
    uint64_t n = 0;
    ssize_t k;
    while ((k = read(fd, buf, sizeof(buf))) > 0) {
        c = crc32c(c, buf, (size_t)k);
        n += (uint64_t)k;
    }
    int saved = errno;
    close(fd);
    if (k < 0) {
        errno = saved;
        return -1;
    }
    *size = n;
    *crc = c;
    return 0;
}

/* Files RocksDB leaves in a database directory that a copy does not need. */
static bool skip_file(const char *name)
{
    return name[0] == '.' || strcmp(name, "LOCK") == 0 || strncmp(name, "LOG", 3) == 0 ||
           strcmp(name, SNAP_META_NAME) == 0;
}

static int cmp_file(const void *a, const void *b)
{
    return strcmp(((const snap_file_t *)a)->name, ((const snap_file_t *)b)->name);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The checksum prev knows for an unchanging table file of this name and
 * size (prev's files are in name order). */
static bool known_crc(const snap_manifest_t *prev, const char *name, uint64_t size, uint32_t *crc)
{
    if (!prev || !ends_with(name, ".sst")) return false;
    size_t lo = 0, hi = prev->nfiles;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(prev->files[mid].name, name);
        if (c == 0) {
            if (prev->files[mid].size != size) return false;
            *crc = prev->files[mid].crc;
            return true;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return false;
}

/* Lists dir's files into m with sizes and checksums, in name order. */
static int list_files(const char *dir, const snap_manifest_t *prev, snap_manifest_t *m, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        errf(err, errlen, "open %s: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *de;
    uint32_t cap = 0;
    char path[2048];
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        if (skip_file(de->d_name) || strlen(de->d_name) >= SNAP_NAME_MAX) continue;
        if (m->nfiles == cap) {
            cap = cap ? cap * 2 : 32;
            snap_file_t *f = realloc(m->files, sizeof(*f) * cap);
            if (!f) {
                rc = -1;
                break;
            }
            m->files = f;
        }
        snap_file_t *f = &m->files[m->nfiles];
        memcpy(f->name, de->d_name, strlen(de->d_name) + 1); /* shorter than SNAP_NAME_MAX: checked above */
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && known_crc(prev, de->d_name, (uint64_t)st.st_size, &f->crc)) {
            f->size = (uint64_t)st.st_size;
        } else if (file_crc(path, &f->size, &f->crc) < 0) {
            errf(err, errlen, "read %s: %s", path, strerror(errno));
            rc = -1;
            break;
        }
        m->bytes += f->size;
        m->nfiles++;
    }
    closedir(d);
    if (rc == 0 && m->nfiles) qsort(m->files, m->nfiles, sizeof(*m->files), cmp_file);
    return rc;
}

int snap_create(store_t *s, const char *root, const char *applied_key, const snap_manifest_t *prev,
                snap_manifest_t *m, char *tmpdir, size_t tmplen, char *err, size_t errlen)
{
    static unsigned seq;
    memset(m, 0, sizeof(*m));
    if (mkdir(root, 0755) < 0 && errno != EEXIST) {
        errf(err, errlen, "mkdir %s: %s", root, strerror(errno));
        return -1;
    }
    snprintf(tmpdir, tmplen, "%s/tmp-%d-%u", root, (int)getpid(), __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
    snap_rmtree(tmpdir);
    if (store_checkpoint(s, tmpdir, applied_key, &m->index, err, errlen) < 0 ||
        list_files(tmpdir, prev, m, err, errlen) < 0) {
        snap_manifest_free(m);
        snap_rmtree(tmpdir);
        return -1;
    }
    return 0;
}

static int sync_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int snap_seal(const char *root, const char *dir, const snap_manifest_t *m, bool sync_files, char *out, size_t outlen,
              char *err, size_t errlen)
{
    char path[2048];
    if (sync_files)
        for (uint32_t i = 0; i < m->nfiles; i++) {
            snprintf(path, sizeof(path), "%s/%s", dir, m->files[i].name);
            if (sync_file(path) < 0) {
                errf(err, errlen, "sync %s: %s", path, strerror(errno));
                return -1;
            }
        }
    size_t len = snap_manifest_size(m);
    char *buf = malloc(len);
    if (!buf) {
        errf(err, errlen, "%s%s", "out of memory", "");
        return -1;
    }
    snap_manifest_encode(m, buf, len);
    snprintf(path, sizeof(path), "%s/" SNAP_META_NAME, dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = fd < 0 || write(fd, buf, len) != (ssize_t)len || fsync(fd) < 0 ? -1 : 0;
    int saved = errno;
    if (fd >= 0) close(fd);
    free(buf);
    if (rc < 0) {
        errf(err, errlen, "write %s: %s", path, strerror(saved));
        return -1;
    }
    snprintf(out, outlen, "%s/%016" PRIx64 "-%016" PRIx64, root, m->index, m->term);
    if (strcmp(out, dir) != 0) snap_rmtree(out); /* the same snapshot made or received before */
    if (snap_sync_dir(dir) < 0 || (strcmp(out, dir) != 0 && rename(dir, out) < 0) || snap_sync_dir(root) < 0) {
        errf(err, errlen, "seal %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

int snap_read_manifest(const char *dir, snap_manifest_t *m, char *err, size_t errlen)
{
    char path[2048];
    snprintf(path, sizeof(path), "%s/" SNAP_META_NAME, dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || st.st_size > (64 << 20)) {
        errf(err, errlen, "read %s: %s", path, fd < 0 ? strerror(errno) : "too large or unreadable");
        if (fd >= 0) close(fd);
        return -1;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    ssize_t k = buf ? read(fd, buf, (size_t)st.st_size) : -1;
    close(fd);
    int rc = k == st.st_size ? snap_manifest_decode(m, buf, (size_t)k, err, errlen) : -1;
    if (k != st.st_size) errf(err, errlen, "read %s: %s", path, "short read");
    free(buf);
    return rc;
}

int snap_verify(const char *dir, const snap_manifest_t *m, char *err, size_t errlen)
{
    char path[2048];
    for (uint32_t i = 0; i < m->nfiles; i++) {
        uint64_t size;
        uint32_t crc;
        snprintf(path, sizeof(path), "%s/%s", dir, m->files[i].name);
        if (file_crc(path, &size, &crc) < 0) {
            errf(err, errlen, "read %s: %s", path, strerror(errno));
            return -1;
        }
        if (size != m->files[i].size || crc != m->files[i].crc) {
            errf(err, errlen, "%s: %s", path, "size or checksum differs from the manifest");
            return -1;
        }
    }
    return 0;
}

/* "<16 hex>-<16 hex>": a sealed snapshot's directory name. */
static bool sealed_name(const char *s)
{
    if (strlen(s) != 33 || s[16] != '-') return false;
    for (int i = 0; i < 33; i++)
        if (i != 16 && !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    return true;
}

int snap_latest(const char *root, snap_manifest_t *m, char *path, size_t pathlen, char *err, size_t errlen)
{
    memset(m, 0, sizeof(*m));
    DIR *d = opendir(root);
    if (!d) {
        if (errno == ENOENT) return 0;
        errf(err, errlen, "open %s: %s", root, strerror(errno));
        return -1;
    }
    struct dirent *de;
    char best[64] = "", dir[2048], why[256];
    while ((de = readdir(d)))
        if (sealed_name(de->d_name) && strcmp(de->d_name, best) > 0) { /* hex of fixed width sorts */
            snprintf(dir, sizeof(dir), "%s/%s", root, de->d_name);
            snap_manifest_t t;
            if (snap_read_manifest(dir, &t, why, sizeof(why)) < 0) {
                log_warn("snapshot_unreadable", " dir=%s error=\"%s\"", dir, why);
                continue;
            }
            snap_manifest_free(&t);
            memcpy(best, de->d_name, 34); /* sealed_name: 33 characters */
        }
    closedir(d);
    if (!best[0]) return 0;
    snprintf(path, pathlen, "%s/%s", root, best);
    return snap_read_manifest(path, m, err, errlen) < 0 ? -1 : 1;
}

/* The index a snapshot directory's name says ("<index16x>-<term16x>"), 0
 * for any other name. */
static uint64_t dir_index(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    if (strlen(b) != 33 || b[16] != '-') return 0;
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        char c = b[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return 0;
        v = v << 4 | (uint64_t)d;
    }
    return v;
}

void snap_prune(const char *root, const char *const *keep, int n, bool keep_recv)
{
    DIR *d = opendir(root);
    if (!d) return;
    uint64_t newest_kept = 0;
    for (int i = 0; i < n; i++)
        if (keep[i] && dir_index(keep[i]) > newest_kept) newest_kept = dir_index(keep[i]);
    struct dirent *de;
    char path[2048];
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        /* while the node runs, a transfer's, a checkpoint's or a newer
         * snapshot's directory (sealed since the keep list was made) is
         * someone else's to remove */
        if (keep_recv && (strncmp(de->d_name, "recv-", 5) == 0 || strncmp(de->d_name, "tmp-", 4) == 0 ||
                          dir_index(de->d_name) > newest_kept))
            continue;
        snprintf(path, sizeof(path), "%s/%s", root, de->d_name);
        bool kept = false;
        for (int i = 0; i < n; i++)
            if (keep[i] && strcmp(keep[i], path) == 0) kept = true;
        if (!kept) snap_rmtree(path);
    }
    closedir(d);
}
