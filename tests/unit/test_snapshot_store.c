/* Unit tests for src/storage/snapshot.c and the snapshot half of
 * src/storage/store.c (store_checkpoint, store_install, SM_CURRENT), against
 * real RocksDB instances in a temporary directory per test (removed at
 * teardown) (the manifest's bytes: test_snapshot_manifest.c):
 *   - snap_create: the applied index it reads back, the files it lists, their
 *     checksums (snap_verify, and the ones reused from the previous manifest);
 *   - snap_create racing a thread that keeps committing: the checkpoint's
 *     index is exactly the state it holds (checked by installing it);
 *   - snap_seal / snap_latest / snap_prune / snap_rmtree;
 *   - store_install over a store that moved on (cache included), across a
 *     reopen, and the crash leftovers and damaged SM_CURRENT at open.
 * The shared fixture is tests/support/storetest.c; the applied index is
 * written here as the node writes it: meta CF, key "applied", 8-byte BE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/encoding.h"
#include "storage/snapshot.h"
#include "storage/store.h"
#include "support/storetest.h"
#include "util/crc32c.h"
#include "util/log.h"

#define APPLIED "applied"

/* ---- small file helpers ------------------------------------------------------ */

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The whole file, malloc'ed (NUL-terminated for convenience); fails the test
 * when it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail_msg("open %s: %s", path, strerror(errno));
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    char *buf = malloc((size_t)st.st_size + 1);
    size_t n = 0;
    while (n < (size_t)st.st_size) {
        ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);
        if (k <= 0) fail_msg("read %s: %s", path, k < 0 ? strerror(errno) : "short");
        n += (size_t)k;
    }
    close(fd);
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

/* Writes a new file at path (through a temporary name and a rename, so a
 * hard link at path to a live table file is replaced, never written). */
static void spit(const char *path, const char *buf, size_t len)
{
    char tmp[1200];
    snprintf(tmp, sizeof(tmp), "%s.testtmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail_msg("create %s: %s", tmp, strerror(errno));
    assert_int_equal(write(fd, buf, len), (ssize_t)len);
    close(fd);
    assert_int_equal(rename(tmp, path), 0);
}

static void spit_str(const char *path, const char *s)
{
    spit(path, s, strlen(s));
}

static uint32_t file_crc_size(const char *path, uint64_t *size)
{
    size_t n;
    char *b = slurp(path, &n);
    uint32_t c = crc32c(0, b, n);
    free(b);
    if (size) *size = n;
    return c;
}

static void mkdir_ok(const char *path)
{
    if (mkdir(path, 0755) < 0) fail_msg("mkdir %s: %s", path, strerror(errno));
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static const snap_file_t *find_file(const snap_manifest_t *m, const char *name)
{
    for (uint32_t i = 0; i < m->nfiles; i++)
        if (strcmp(m->files[i].name, name) == 0) return &m->files[i];
    return NULL;
}

static int count_sst(const snap_manifest_t *m)
{
    int n = 0;
    for (uint32_t i = 0; i < m->nfiles; i++) n += ends_with(m->files[i].name, ".sst");
    return n;
}

/* ---- state-machine helpers ----------------------------------------------------- */

static void put_applied(store_txn_t *t, uint64_t i)
{
    char b[8];
    enc_put_u64(b, i);
    store_put(t, CF_META, APPLIED, strlen(APPLIED), b, 8);
}

static uint64_t get_applied(store_t *s)
{
    char *v = NULL;
    size_t vl = 0;
    int rc = store_get(store_txn_begin(s, false), CF_META, APPLIED, strlen(APPLIED), &v, &vl);
    if (rc == 0) return 0;
    assert_int_equal(rc, 1);
    assert_int_equal(vl, 8);
    uint64_t a = enc_get_u64(v);
    store_free(v);
    return a;
}

/* The value fill() gives key i: 200 bytes of one letter. */
static void fill_value(int i, char *v)
{
    memset(v, 'a' + i % 26, 200);
    v[200] = 0;
}

/* Keys key:<first>..key:<first+n-1> with 200-byte values, in batches of 100,
 * the last batch setting applied to `applied`. */
static void fill(store_t *s, int first, int n, uint64_t applied)
{
    char k[32], v[256];
    store_txn_t *t = NULL;
    for (int i = 0; i < n; i++) {
        if (!t) t = store_txn_begin(s, true);
        snprintf(k, sizeof(k), "key:%06d", first + i);
        fill_value(first + i, v);
        tput(t, CF_DATA, k, v);
        if (i % 100 == 99 || i == n - 1) {
            put_applied(t, i == n - 1 ? applied : applied - 1);
            commit(t);
            t = NULL;
        }
    }
}

/* One batch: data keys (v NULL deletes) and the applied index. */
static void batch(store_t *s, uint64_t applied, const char *const *kv, int nkv)
{
    store_txn_t *t = store_txn_begin(s, true);
    for (int i = 0; i < nkv; i++) {
        if (kv[2 * i + 1]) tput(t, CF_DATA, kv[2 * i], kv[2 * i + 1]);
        else tdel(t, CF_DATA, kv[2 * i]);
    }
    put_applied(t, applied);
    commit(t);
}

/* snap_create of everything committed so far (loop thread), failing the
 * test on error. */
static void create_ok(store_t *s, const char *root, const snap_manifest_t *prev, snap_manifest_t *m, char *tmp,
                      size_t tmplen)
{
    char err[256] = "";
    store_drain(s); /* the committer may lag: the checkpoint holds what is in RocksDB */
    if (snap_create(s, root, APPLIED, prev, m, tmp, tmplen, err, sizeof(err)) != 0)
        fail_msg("snap_create: %s", err);
}

/* snap_create + snap_seal with the given term and configuration bytes. */
static void make_sealed(store_t *s, const char *root, uint64_t term, const char *conf, uint32_t conf_len,
                        snap_manifest_t *m, char *out, size_t outlen)
{
    char tmp[512], err[256] = "";
    create_ok(s, root, NULL, m, tmp, sizeof(tmp));
    m->term = term;
    m->conf_len = conf_len;
    memcpy(m->conf, conf, m->conf_len);
    if (snap_seal(root, tmp, m, true, out, outlen, err, sizeof(err)) != 0) fail_msg("snap_seal: %s", err);
}

static void read_sm_current(const fx_t *f, char *name, size_t len)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/SM_CURRENT", f->dir);
    char *b = slurp(p, NULL);
    size_t n = strlen(b);
    assert_true(n > 0 && b[n - 1] == '\n');
    b[n - 1] = 0;
    snprintf(name, len, "%s", b);
    free(b);
}

/* ---- 2. snap_create on a store with data ------------------------------------------ */

/* What snap_create listed is what is in the directory: every file there
 * (but RocksDB's LOCK and info logs), sorted, with its real size and CRC. */
static void expect_listing_exact(const char *dir, const snap_manifest_t *m)
{
    char p[1200];
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < m->nfiles; i++) {
        const snap_file_t *fl = &m->files[i];
        if (i) assert_true(strcmp(m->files[i - 1].name, fl->name) < 0);
        assert_true(fl->name[0] != '.');
        assert_string_not_equal(fl->name, "LOCK");
        assert_string_not_equal(fl->name, SNAP_META_NAME);
        assert_false(strncmp(fl->name, "LOG", 3) == 0);
        snprintf(p, sizeof(p), "%s/%s", dir, fl->name);
        struct stat st;
        if (stat(p, &st) != 0) fail_msg("listed file %s is missing", p);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal((uint64_t)st.st_size, fl->size);
        uint64_t size;
        assert_int_equal(file_crc_size(p, &size), fl->crc);
        assert_int_equal(size, fl->size);
        bytes += fl->size;
    }
    assert_int_equal(m->bytes, bytes);
    /* nothing needed is left out */
    int n = 0;
    char cmd[1300];
    snprintf(cmd, sizeof(cmd), "ls -A '%s'", dir);
    FILE *ls = popen(cmd, "r");
    assert_non_null(ls);
    char line[512];
    while (fgets(line, sizeof(line), ls)) {
        line[strcspn(line, "\n")] = 0;
        if (strcmp(line, "LOCK") == 0 || strncmp(line, "LOG", 3) == 0) continue;
        if (!find_file(m, line)) fail_msg("%s/%s is not in the manifest", dir, line);
        n++;
    }
    pclose(ls);
    assert_int_equal(n, (int)m->nfiles);
    assert_non_null(find_file(m, "CURRENT"));
    bool manifest = false;
    for (uint32_t i = 0; i < m->nfiles; i++) manifest |= strncmp(m->files[i].name, "MANIFEST-", 9) == 0;
    assert_true(manifest);
}

static void test_create_lists_and_verifies(void **state)
{
    fx_t *f = *state;
    char root[256], tmp[512], tmp2[512], tmp3[512], tmp4[512], err[256], p[1200];
    snprintf(root, sizeof(root), "%s/snap", f->dir);

    /* an empty state machine: index 0, and still a checkpoint that verifies */
    snap_manifest_t m0;
    create_ok(f->s, root, NULL, &m0, tmp, sizeof(tmp));
    assert_int_equal(m0.index, 0);
    expect_listing_exact(tmp, &m0);
    assert_int_equal(snap_verify(tmp, &m0, err, sizeof(err)), 0);
    assert_int_equal(snap_rmtree(tmp), 0);
    assert_false(exists(tmp));
    snap_manifest_free(&m0);

    fill(f->s, 0, 3000, 1234);
    assert_int_equal(get_applied(f->s), 1234);

    snap_manifest_t m;
    create_ok(f->s, root, NULL, &m, tmp, sizeof(tmp));
    snprintf(p, sizeof(p), "%s/tmp-", root);
    assert_true(strncmp(tmp, p, strlen(p)) == 0);
    assert_true(is_dir(tmp));
    assert_int_equal(m.index, 1234);
    assert_int_equal(m.term, 0); /* the caller's to fill in */
    assert_int_equal(m.conf_len, 0);
    assert_true(count_sst(&m) >= 1); /* memtables were flushed */
    assert_true(m.bytes > 3000 * 200); /* the data is in there (no compression) */
    expect_listing_exact(tmp, &m);
    err[0] = 0;
    assert_int_equal(snap_verify(tmp, &m, err, sizeof(err)), 0);

    /* the same state again, with the first as prev: the table files are
     * shared and keep their checksums */
    snap_manifest_t m2;
    create_ok(f->s, root, &m, &m2, tmp2, sizeof(tmp2));
    assert_string_not_equal(tmp, tmp2);
    assert_int_equal(m2.index, 1234);
    expect_listing_exact(tmp2, &m2);
    int shared = 0;
    for (uint32_t i = 0; i < m2.nfiles; i++) {
        const snap_file_t *a = &m2.files[i], *b = find_file(&m, a->name);
        if (!ends_with(a->name, ".sst") || !b) continue;
        shared++;
        assert_int_equal(a->size, b->size);
        assert_int_equal(a->crc, b->crc);
    }
    assert_int_equal(shared, count_sst(&m));

    /* more data: new table files, checksummed for real; old ones reused */
    fill(f->s, 3000, 2000, 2000);
    snap_manifest_t m3;
    create_ok(f->s, root, &m, &m3, tmp3, sizeof(tmp3));
    assert_int_equal(m3.index, 2000);
    expect_listing_exact(tmp3, &m3);
    assert_int_equal(snap_verify(tmp3, &m3, err, sizeof(err)), 0);
    int fresh = 0;
    for (uint32_t i = 0; i < m3.nfiles; i++)
        fresh += ends_with(m3.files[i].name, ".sst") && !find_file(&m, m3.files[i].name);
    assert_true(fresh >= 1);
    assert_true(count_sst(&m3) >= 2);

    /* prev decides only for a table file of the same name and size:
     *   - an .sst whose size differs in prev is checksummed again;
     *   - a non-table file (CURRENT) is always checksummed again;
     *   - an .sst of the same name and size takes prev's checksum as it is
     *     (which is how it costs nothing; a wrong one there is what
     *     snap_verify then catches). */
    snap_manifest_t lie;
    assert_int_equal(snap_manifest_copy(&lie, &m3), 0);
    snap_file_t *resized = NULL, *trusted = NULL;
    for (uint32_t i = 0; i < lie.nfiles; i++) {
        if (!ends_with(lie.files[i].name, ".sst")) continue;
        if (!resized) resized = &lie.files[i];
        else if (!trusted) trusted = &lie.files[i];
    }
    assert_non_null(resized);
    assert_non_null(trusted);
    resized->size += 1;
    resized->crc ^= 0x5a5a5a5a;
    trusted->crc ^= 0x00ff00ff;
    snap_file_t *cur = (snap_file_t *)find_file(&lie, "CURRENT");
    assert_non_null(cur);
    cur->crc ^= 1;
    snap_manifest_t m4;
    create_ok(f->s, root, &lie, &m4, tmp4, sizeof(tmp4));
    assert_int_equal(m4.index, 2000);
    const snap_file_t *r4 = find_file(&m4, resized->name), *r3 = find_file(&m3, resized->name);
    assert_non_null(r4);
    assert_int_equal(r4->size, r3->size);
    assert_int_equal(r4->crc, r3->crc);
    assert_int_equal(find_file(&m4, "CURRENT")->crc, find_file(&m3, "CURRENT")->crc);
    assert_int_equal(find_file(&m4, trusted->name)->crc, trusted->crc);
    assert_int_equal(snap_verify(tmp4, &m4, err, sizeof(err)), -1);
    assert_non_null(strstr(err, trusted->name));
    snap_manifest_free(&lie);
    snap_manifest_free(&m4);

    /* damage, each caught by snap_verify (the .sst is rewritten through a
     * new inode, not through the hard link to the live table file) */
    const snap_file_t *sst = NULL;
    for (uint32_t i = 0; i < m.nfiles && !sst; i++)
        if (ends_with(m.files[i].name, ".sst") && m.files[i].size > 100) sst = &m.files[i];
    assert_non_null(sst);
    snprintf(p, sizeof(p), "%s/%s", tmp, sst->name);
    size_t n;
    char *orig = slurp(p, &n);
    char *bad = malloc(n);
    memcpy(bad, orig, n);
    bad[n / 2] ^= 0x10;
    spit(p, bad, n);
    err[0] = 0;
    assert_int_equal(snap_verify(tmp, &m, err, sizeof(err)), -1);
    assert_non_null(strstr(err, sst->name));
    spit(p, orig, n); /* put back: verifies again */
    assert_int_equal(snap_verify(tmp, &m, err, sizeof(err)), 0);
    spit(p, orig, n - 1); /* shorter */
    assert_int_equal(snap_verify(tmp, &m, err, sizeof(err)), -1);
    spit(p, orig, n);
    free(orig);
    free(bad);
    snprintf(p, sizeof(p), "%s/CURRENT", tmp);
    orig = slurp(p, &n);
    char *longer = malloc(n + 1);
    memcpy(longer, orig, n);
    longer[n] = '\n';
    spit(p, longer, n + 1);
    assert_int_equal(snap_verify(tmp, &m, err, sizeof(err)), -1);
    assert_int_equal(unlink(p), 0); /* missing */
    assert_int_equal(snap_verify(tmp, &m, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "CURRENT"));
    spit(p, orig, n);
    assert_int_equal(snap_verify(tmp, &m, err, sizeof(err)), 0);
    free(orig);
    free(longer);

    /* the live store never saw any of it */
    store_txn_t *r = store_txn_begin(f->s, false);
    char v[256];
    fill_value(42, v);
    expect_get(r, CF_DATA, "key:000042", v);
    reopen(f);
    expect_get(store_txn_begin(f->s, false), CF_DATA, "key:000042", v);
    assert_int_equal(get_applied(f->s), 2000);

    snap_manifest_free(&m);
    snap_manifest_free(&m2);
    snap_manifest_free(&m3);
}

/* ---- 3. a checkpoint racing the committer ------------------------------------------- */

#define RACE_SNAPS 5
#define RACE_MAX 100000

typedef struct writer {
    store_t *s;
    atomic_bool stop;
    atomic_uint_fast64_t done; /* the last batch handed to store_txn_commit */
    int failed;
} writer_t;

/* The loop thread's part: batch i writes k<i> and last=<i> and sets applied
 * to i, one txn each, as fast as it can. No cmocka assertions here. */
static void *writer_main(void *arg)
{
    writer_t *w = arg;
    store_thread_init();
    char k[32], v[64], err[256];
    for (uint64_t i = 1; i <= RACE_MAX && !atomic_load(&w->stop); i++) {
        store_txn_t *t = store_txn_begin(w->s, true);
        snprintf(k, sizeof(k), "k%08" PRIu64, i);
        snprintf(v, sizeof(v), "value of %" PRIu64 " ..........................", i);
        store_put(t, CF_DATA, k, strlen(k), v, strlen(v));
        snprintf(v, sizeof(v), "%" PRIu64, i);
        store_put(t, CF_DATA, "last", 4, v, strlen(v));
        put_applied(t, i);
        if (store_txn_commit(t, err, sizeof(err)) != 0) {
            w->failed = 1;
            break;
        }
        atomic_store(&w->done, i);
    }
    return NULL;
}

/* Installs the checkpoint in dir into a fresh store at sdir and checks that
 * it holds exactly batches 1..index. */
static void expect_exact_prefix(const char *sdir, const char *dir, uint64_t index)
{
    mkdir_ok(sdir);
    store_t *s = open_store(sdir);
    char err[256] = "";
    if (store_install(s, dir, err, sizeof(err)) != 0) fail_msg("store_install %s: %s", dir, err);
    assert_int_equal(get_applied(s), index);
    store_txn_t *r = store_txn_begin(s, false);
    char want[32], last[32];
    snprintf(last, sizeof(last), "%" PRIu64, index);
    expect_get(r, CF_DATA, "last", index ? last : NULL);
    store_iter_t *it = store_iter_new(r, CF_DATA);
    store_iter_seek(it, "k", 1);
    uint64_t next = 1;
    for (; store_iter_valid(it); store_iter_next(it)) {
        size_t kl;
        const char *k = store_iter_key(it, &kl);
        if (kl == 0 || k[0] != 'k') break;
        snprintf(want, sizeof(want), "k%08" PRIu64, next);
        if (kl != strlen(want) || memcmp(k, want, kl) != 0)
            fail_msg("snapshot at %" PRIu64 ": found key %.*s where %s was expected", index, (int)kl, k, want);
        next++;
    }
    store_iter_free(it);
    if (next - 1 != index)
        fail_msg("snapshot says index %" PRIu64 " but holds batches 1..%" PRIu64, index, next - 1);
    snprintf(want, sizeof(want), "k%08" PRIu64, index + 1);
    expect_get(r, CF_DATA, want, NULL);
    store_close(s);
    st_rm_rf(sdir);
}

static void test_create_index_exact_under_writes(void **state)
{
    fx_t *f = *state;
    char root[256], tmp[RACE_SNAPS][512], err[256];
    snprintf(root, sizeof(root), "%s/snap", f->dir);
    writer_t w = {.s = f->s};
    atomic_init(&w.stop, false);
    atomic_init(&w.done, 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, writer_main, &w), 0);
    while (atomic_load(&w.done) < 500) usleep(200);

    snap_manifest_t m[RACE_SNAPS];
    uint64_t before[RACE_SNAPS], after[RACE_SNAPS];
    int ok = 0;
    for (int i = 0; i < RACE_SNAPS; i++) {
        before[i] = atomic_load(&w.done);
        ok += snap_create(f->s, root, APPLIED, i ? &m[i - 1] : NULL, &m[i], tmp[i], sizeof(tmp[i]), err,
                          sizeof(err)) == 0;
        after[i] = atomic_load(&w.done);
        if (ok != i + 1) break;
        usleep(2000);
    }
    atomic_store(&w.stop, true);
    pthread_join(th, NULL);
    assert_int_equal(w.failed, 0);
    if (ok != RACE_SNAPS) fail_msg("snap_create: %s", err);
    store_drain(f->s);
    uint64_t total = atomic_load(&w.done);
    assert_int_equal(get_applied(f->s), total);

    for (int i = 0; i < RACE_SNAPS; i++) {
        /* never ahead of what was committed, and never behind what the
         * committer had surely written when it began (it lags by at most
         * the 8 batches the queue holds) */
        assert_true(m[i].index <= after[i]);
        assert_true(m[i].index + 16 >= before[i]);
        if (i) assert_true(m[i].index >= m[i - 1].index);
        assert_int_equal(snap_verify(tmp[i], &m[i], err, sizeof(err)), 0);
        char sdir[300];
        snprintf(sdir, sizeof(sdir), "%s/inst%d", f->dir, i);
        expect_exact_prefix(sdir, tmp[i], m[i].index);
        snap_manifest_free(&m[i]);
    }
    print_message("    race: %" PRIu64 " batches; snapshots at %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
                  " %" PRIu64 "\n",
                  total, before[0], before[1], before[2], before[3], before[4]);
}

/* ---- 4. seal, latest, prune ------------------------------------------------------------ */

/* A small stand-in for a checkpoint: dir with two files and its manifest. */
static void fake_checkpoint(const char *dir, uint64_t index, uint64_t term, const char *content,
                            snap_manifest_t *m)
{
    memset(m, 0, sizeof(*m));
    mkdir_ok(dir);
    m->index = index;
    m->term = term;
    m->nfiles = 2;
    m->files = calloc(2, sizeof(*m->files));
    const char *names[2] = {"000007.sst", "CURRENT"};
    for (int i = 0; i < 2; i++) {
        char p[1200];
        snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
        spit_str(p, i ? "MANIFEST-000001\n" : content);
        snprintf(m->files[i].name, sizeof(m->files[i].name), "%s", names[i]);
        m->files[i].crc = file_crc_size(p, &m->files[i].size);
        m->bytes += m->files[i].size;
    }
}

static int count_entries(const char *dir)
{
    char cmd[600], line[512];
    snprintf(cmd, sizeof(cmd), "ls -A '%s'", dir);
    FILE *ls = popen(cmd, "r");
    int n = 0;
    while (ls && fgets(line, sizeof(line), ls)) n++;
    if (ls) pclose(ls);
    return n;
}

static void test_seal_latest_prune(void **state)
{
    fx_t *f = *state;
    char root[256], out[512], out2[512], path[512], p[1200], err[256];
    snap_manifest_t m, got;
    snprintf(root, sizeof(root), "%s/snap", f->dir);

    /* no root, an empty root: nothing */
    assert_int_equal(snap_latest(root, &got, path, sizeof(path), err, sizeof(err)), 0);
    mkdir_ok(root);
    assert_int_equal(snap_latest(root, &got, path, sizeof(path), err, sizeof(err)), 0);

    /* a real checkpoint sealed: renamed to <index>-<term>, manifest inside */
    fill(f->s, 0, 10, 5);
    make_sealed(f->s, root, 3, "conf\0bytes", 10, &m, out, sizeof(out));
    snprintf(p, sizeof(p), "%s/0000000000000005-0000000000000003", root);
    assert_string_equal(out, p);
    assert_true(is_dir(out));
    assert_int_equal(count_entries(root), 1); /* the tmp- directory is gone */
    snap_manifest_free(&m);
    assert_int_equal(snap_read_manifest(out, &m, err, sizeof(err)), 0);
    assert_int_equal(m.index, 5);
    assert_int_equal(m.term, 3);
    assert_int_equal(m.conf_len, 10);
    assert_memory_equal(m.conf, "conf\0bytes", 10);
    assert_int_equal(snap_verify(out, &m, err, sizeof(err)), 0);
    assert_null(find_file(&m, SNAP_META_NAME));
    assert_int_equal(snap_latest(root, &got, path, sizeof(path), err, sizeof(err)), 1);
    assert_string_equal(path, out);
    st_expect_same_manifest(&m, &got);
    snap_manifest_free(&got);
    snap_manifest_free(&m);

    /* a higher index wins, whatever its term (hex: 0x10 > 0x5) */
    char dir[600];
    snprintf(dir, sizeof(dir), "%s/tmp-test-1", root);
    fake_checkpoint(dir, 0x10, 2, "sixteen", &m);
    assert_int_equal(snap_seal(root, dir, &m, false, out2, sizeof(out2), err, sizeof(err)), 0);
    snprintf(p, sizeof(p), "%s/0000000000000010-0000000000000002", root);
    assert_string_equal(out2, p);
    assert_false(exists(dir));
    assert_int_equal(snap_latest(root, &got, path, sizeof(path), err, sizeof(err)), 1);
    assert_string_equal(path, out2);
    assert_int_equal(got.index, 0x10);
    assert_int_equal(got.term, 2);
    snap_manifest_free(&got);
    snap_manifest_free(&m);

    /* the same index and term sealed again replaces the old directory */
    fake_checkpoint(dir, 0x10, 2, "sixteen, made again", &m);
    assert_int_equal(snap_seal(root, dir, &m, true, out2, sizeof(out2), err, sizeof(err)), 0);
    assert_string_equal(out2, p);
    assert_int_equal(snap_read_manifest(out2, &got, err, sizeof(err)), 0);
    st_expect_same_manifest(&m, &got);
    assert_int_equal(snap_verify(out2, &got, err, sizeof(err)), 0);
    snap_manifest_free(&got);

    /* decoys, all with higher indexes: none counts */
    char meta[1200], *mbuf;
    size_t mlen;
    snprintf(meta, sizeof(meta), "%s/" SNAP_META_NAME, out2);
    mbuf = slurp(meta, &mlen); /* a valid manifest to copy around */
    static const char *const decoys[] = {
        "tmp-1-1", "recv-00000000000001ff-0000000000000001", "00000000000000FF-0000000000000001",
        "000000000000ff-0000000000000001", "0000000000000100-00000000000000011",
    };
    for (size_t i = 0; i < sizeof(decoys) / sizeof(decoys[0]); i++) {
        snprintf(dir, sizeof(dir), "%s/%s", root, decoys[i]);
        mkdir_ok(dir);
        snprintf(p, sizeof(p), "%s/" SNAP_META_NAME, dir);
        spit(p, mbuf, mlen);
    }
    snprintf(dir, sizeof(dir), "%s/0000000000000fff-0000000000000001", root); /* unsealed: no manifest */
    mkdir_ok(dir);
    snprintf(p, sizeof(p), "%s/000001.sst", dir);
    spit_str(p, "x");
    snprintf(dir, sizeof(dir), "%s/0000000000000ffe-0000000000000001", root); /* a damaged manifest */
    mkdir_ok(dir);
    snprintf(p, sizeof(p), "%s/" SNAP_META_NAME, dir);
    mbuf[mlen / 2] ^= 1;
    spit(p, mbuf, mlen);
    mbuf[mlen / 2] ^= 1;
    snprintf(p, sizeof(p), "%s/junk", root);
    spit_str(p, "a stray file");
    assert_int_equal(snap_latest(root, &got, path, sizeof(path), err, sizeof(err)), 1);
    assert_string_equal(path, out2);
    assert_int_equal(got.index, 0x10);
    snap_manifest_free(&got);
    free(mbuf);

    /* prune: only what is kept (NULL entries ignored) and, while running,
     * recv-, tmp- and snapshot directories newer than the newest kept (the
     * unsealed fff and damaged ffe here: someone else's to remove) */
    int before = count_entries(root);
    assert_int_equal(before, 2 + 5 + 2 + 1);
    const char *keep[3] = {NULL, out2, out};
    snap_prune(root, keep, 3, true);
    assert_int_equal(count_entries(root), 6);
    snprintf(dir, sizeof(dir), "%s/tmp-1-1", root);
    assert_true(is_dir(dir));
    snprintf(dir, sizeof(dir), "%s/0000000000000fff-0000000000000001", root);
    assert_true(is_dir(dir));
    assert_true(is_dir(out));
    assert_true(is_dir(out2));
    snprintf(dir, sizeof(dir), "%s/%s", root, decoys[1]);
    assert_true(is_dir(dir));
    snap_prune(root, keep, 2, true);
    assert_int_equal(count_entries(root), 5);
    assert_false(exists(out));
    assert_true(is_dir(dir));
    snap_prune(root, keep, 2, false);
    assert_int_equal(count_entries(root), 1);
    assert_true(is_dir(out2));
    assert_int_equal(snap_latest(root, &got, path, sizeof(path), err, sizeof(err)), 1);
    assert_string_equal(path, out2);
    snap_manifest_free(&got);
    snap_prune(root, NULL, 0, false);
    assert_int_equal(count_entries(root), 0);
    assert_true(is_dir(root));
    assert_int_equal(snap_latest(root, &got, path, sizeof(path), err, sizeof(err)), 0);
    snap_manifest_free(&m);
}

/* snap_rmtree removes a tree but does not follow a symlink out of it. */
static void test_rmtree_no_symlinks(void **state)
{
    fx_t *f = *state;
    char outside[256], tree[256], p[600];
    snprintf(outside, sizeof(outside), "%s/outside", f->dir);
    snprintf(tree, sizeof(tree), "%s/tree", f->dir);
    mkdir_ok(outside);
    snprintf(p, sizeof(p), "%s/precious", outside);
    spit_str(p, "keep me");
    mkdir_ok(tree);
    snprintf(p, sizeof(p), "%s/sub", tree);
    mkdir_ok(p);
    snprintf(p, sizeof(p), "%s/sub/file", tree);
    spit_str(p, "x");
    snprintf(p, sizeof(p), "%s/sub/link", tree);
    assert_int_equal(symlink(outside, p), 0);
    assert_int_equal(snap_rmtree(tree), 0);
    assert_false(exists(tree));
    snprintf(p, sizeof(p), "%s/precious", outside);
    assert_true(exists(p));
    assert_int_equal(snap_rmtree(tree), 0); /* gone already: fine */
}

/* ---- 5. store_install ------------------------------------------------------------------ */

static void expect_state_a(store_t *s)
{
    store_txn_t *r = store_txn_begin(s, false);
    expect_get(r, CF_DATA, "a", "1");
    expect_get(r, CF_DATA, "b", NULL);
    expect_get(r, CF_DATA, "c", "kept");
    expect_get(r, CF_DATA, "gone-later", "x");
    expect_get(r, CF_DATA, "key:000001", NULL);
    expect_get(r, CF_DATA, "key:000499", NULL);
}

static void expect_log_entry(store_t *s)
{
    store_entry_t got;
    char err[256];
    assert_int_equal(store_log_get(s, 1, &got, err, sizeof(err)), 0);
    assert_int_equal(got.len, 5);
    assert_memory_equal(got.data, "entry", 5);
    free((void *)got.data);
}

static void test_install_replaces_state(void **state)
{
    fx_t *f = *state;
    char root[256], snap[512], p[600], name[256], want[300], err[256], v[256];
    snprintf(root, sizeof(root), "%s/snap", f->dir);
    store_enable_cache(f->s, 1 << 20);
    store_entry_t e = {.index = 1, .term = 1, .data = "entry", .len = 5};
    assert_int_equal(store_log_append(f->s, &e, 1, true, err, sizeof(err)), 0);

    /* state A, snapshotted */
    const char *a[] = {"a", "1", "c", "kept", "gone-later", "x"};
    batch(f->s, 10, a, 3);
    snap_manifest_t m;
    make_sealed(f->s, root, 1, "", 0, &m, snap, sizeof(snap));
    assert_int_equal(m.index, 10);

    /* the store moves on (flushed, too); every key read so that the cache holds it */
    const char *b[] = {"a", "2", "b", "new", "c", NULL, "gone-later", NULL};
    batch(f->s, 20, b, 4);
    fill(f->s, 0, 500, 21);
    snap_manifest_t later;
    char later_tmp[512];
    create_ok(f->s, root, NULL, &later, later_tmp, sizeof(later_tmp)); /* flushes the memtables */
    snap_manifest_free(&later);
    snap_rmtree(later_tmp);
    store_txn_t *r = store_txn_begin(f->s, false);
    expect_get(r, CF_DATA, "a", "2");
    expect_get(r, CF_DATA, "b", "new");
    expect_get(r, CF_DATA, "c", NULL);
    expect_get(r, CF_DATA, "gone-later", NULL);
    fill_value(1, v);
    expect_get(r, CF_DATA, "key:000001", v);
    uint64_t entries;
    store_cache_stats(f->s, &(uint64_t){0}, &(uint64_t){0}, &entries, &(uint64_t){0});
    assert_true(entries >= 4);
    assert_int_equal(get_applied(f->s), 21);

    err[0] = 0;
    if (store_install(f->s, snap, err, sizeof(err)) != 0) fail_msg("store_install: %s", err);
    store_cache_stats(f->s, &(uint64_t){0}, &(uint64_t){0}, &entries, &(uint64_t){0});
    assert_int_equal(entries, 0);
    expect_state_a(f->s);
    expect_state_a(f->s); /* again, now from the cache */
    assert_int_equal(get_applied(f->s), 10);
    expect_log_entry(f->s); /* the log is not the state machine's */

    /* SM_CURRENT names the new directory; the old one is gone */
    const char *base = strrchr(snap, '/') + 1;
    read_sm_current(f, name, sizeof(name));
    snprintf(want, sizeof(want), "sm-%s-0", base);
    assert_string_equal(name, want);
    snprintf(p, sizeof(p), "%s/%s", f->dir, name);
    assert_true(is_dir(p));
    snprintf(p, sizeof(p), "%s/sm", f->dir);
    assert_false(exists(p));
    snprintf(p, sizeof(p), "%s/SM_CURRENT.tmp", f->dir);
    assert_false(exists(p));

    /* the installed state machine goes on, and survives a restart */
    const char *c[] = {"d", "4"};
    batch(f->s, 11, c, 1);
    reopen(f);
    store_enable_cache(f->s, 1 << 20);
    expect_state_a(f->s);
    expect_get(store_txn_begin(f->s, false), CF_DATA, "d", "4");
    assert_int_equal(get_applied(f->s), 11);
    expect_log_entry(f->s);
    read_sm_current(f, name, sizeof(name));
    assert_string_equal(name, want);

    /* writing to it (flushed into new table files) left the snapshot as it was */
    fill(f->s, 1000, 300, 12);
    create_ok(f->s, root, NULL, &later, later_tmp, sizeof(later_tmp));
    snap_manifest_free(&later);
    snap_rmtree(later_tmp);
    assert_int_equal(snap_verify(snap, &m, err, sizeof(err)), 0);

    /* the same snapshot again: another directory name, the previous one removed */
    expect_get(store_txn_begin(f->s, false), CF_DATA, "d", "4"); /* cached */
    if (store_install(f->s, snap, err, sizeof(err)) != 0) fail_msg("store_install again: %s", err);
    read_sm_current(f, name, sizeof(name));
    snprintf(want, sizeof(want), "sm-%s-1", base);
    assert_string_equal(name, want);
    snprintf(p, sizeof(p), "%s/sm-%s-0", f->dir, base);
    assert_false(exists(p));
    expect_state_a(f->s);
    expect_get(store_txn_begin(f->s, false), CF_DATA, "d", NULL);
    assert_int_equal(get_applied(f->s), 10);

    /* a snapshot that is not there: refused, nothing changes */
    snprintf(p, sizeof(p), "%s/0000000000000063-0000000000000001", root);
    err[0] = 0;
    assert_int_equal(store_install(f->s, p, err, sizeof(err)), -1);
    assert_true(err[0] != 0);
    read_sm_current(f, name, sizeof(name));
    assert_string_equal(name, want);
    expect_state_a(f->s);
    reopen(f);
    expect_state_a(f->s);
    /* nothing but the current state machine is left in the node directory */
    snprintf(p, sizeof(p), "%s/sm-0000000000000063-0000000000000001-0", f->dir);
    assert_false(exists(p));
    assert_int_equal(count_entries(f->dir), 4); /* wal, snap, SM_CURRENT, the sm- directory */
    snap_manifest_free(&m);
}

/* ---- 6. crash leftovers and a damaged SM_CURRENT --------------------------------------- */

static void test_open_removes_leftovers(void **state)
{
    fx_t *f = *state;
    char p[600], q[600], root[256], snap[512], name[256];
    const char *kv[] = {"x", "1"};
    batch(f->s, 7, kv, 1);

    /* an install that crashed before its switch: a new directory and the
     * SM_CURRENT.tmp naming it; other entries of the node directory stay */
    snprintf(p, sizeof(p), "%s/sm-foo", f->dir);
    mkdir_ok(p);
    snprintf(q, sizeof(q), "%s/sm-foo/CURRENT", f->dir);
    spit_str(q, "MANIFEST-000001\n");
    snprintf(q, sizeof(q), "%s/SM_CURRENT.tmp", f->dir);
    spit_str(q, "sm-foo\n");
    snprintf(root, sizeof(root), "%s/snap", f->dir);
    mkdir_ok(root);
    char keep1[600], keep2[600];
    snprintf(keep1, sizeof(keep1), "%s/smalltalk", f->dir); /* not sm or sm-* */
    spit_str(keep1, "x");
    snprintf(keep2, sizeof(keep2), "%s/snap/recv-1", f->dir);
    mkdir_ok(keep2);
    reopen(f);
    assert_false(exists(p));
    assert_false(exists(q));
    assert_true(exists(keep1));
    assert_true(is_dir(keep2));
    snprintf(p, sizeof(p), "%s/SM_CURRENT", f->dir);
    assert_false(exists(p)); /* never installed: "sm" is current */
    expect_get(store_txn_begin(f->s, false), CF_DATA, "x", "1");
    assert_int_equal(get_applied(f->s), 7);

    /* after an install, a crash before the old directory was removed leaves
     * "sm" behind: removed at the next open */
    snap_manifest_t made, m;
    char err[256];
    make_sealed(f->s, root, 1, "", 0, &made, snap, sizeof(snap));
    assert_int_equal(snap_read_manifest(snap, &m, err, sizeof(err)), 0);
    assert_int_equal(m.index, 7);
    st_expect_same_manifest(&made, &m);
    snap_manifest_free(&m);
    snap_manifest_free(&made);
    const char *kv2[] = {"x", "2"};
    batch(f->s, 8, kv2, 1);
    if (store_install(f->s, snap, err, sizeof(err)) != 0) fail_msg("store_install: %s", err);
    read_sm_current(f, name, sizeof(name));
    snprintf(p, sizeof(p), "%s/sm", f->dir);
    mkdir_ok(p);
    snprintf(q, sizeof(q), "%s/sm/CURRENT", f->dir);
    spit_str(q, "MANIFEST-000001\n");
    snprintf(q, sizeof(q), "%s/SM_CURRENT.tmp", f->dir);
    spit_str(q, "sm\n");
    reopen(f);
    assert_false(exists(p));
    assert_false(exists(q));
    char now[256];
    read_sm_current(f, now, sizeof(now));
    assert_string_equal(now, name);
    expect_get(store_txn_begin(f->s, false), CF_DATA, "x", "1");
    assert_int_equal(get_applied(f->s), 7);

    /* a damaged SM_CURRENT: the open fails and says so, and touches nothing */
    store_close(f->s);
    f->s = NULL;
    snprintf(p, sizeof(p), "%s/SM_CURRENT", f->dir);
    /* one that names a directory that is not there: no empty state machine
     * takes its place, and the real one is not pruned */
    spit_str(p, "sm-missing\n");
    {
        char oerr[512] = "";
        store_options_t o = {.wal_segment_size = 64 * 1024};
        store_t *s = store_open_opts(f->dir, &o, oerr, sizeof(oerr));
        if (s) {
            store_close(s);
            fail_msg("store_open accepted an SM_CURRENT naming a missing directory");
        }
        assert_non_null(strstr(oerr, "sm-missing"));
        snprintf(q, sizeof(q), "%s/%s", f->dir, name);
        assert_true(is_dir(q));
    }
    static const char *const damaged[] = {"../x\n", "", "\n", "sm/../../x\n", "sm-a.b\n", "x\n", "/tmp/sm\n", "s\n"};
    for (size_t i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
        spit_str(p, damaged[i]);
        char oerr[512] = "";
        store_options_t o = {.wal_segment_size = 64 * 1024};
        store_t *s = store_open_opts(f->dir, &o, oerr, sizeof(oerr));
        if (s) {
            store_close(s);
            fail_msg("store_open accepted SM_CURRENT = \"%s\"", damaged[i]);
        }
        if (!strstr(oerr, "SM_CURRENT") || !strstr(oerr, "damaged"))
            fail_msg("SM_CURRENT = \"%s\": unclear error \"%s\"", damaged[i], oerr);
        snprintf(q, sizeof(q), "%s/%s", f->dir, name);
        assert_true(is_dir(q)); /* the state machine is still there */
    }
    snprintf(q, sizeof(q), "%s\n", name);
    spit_str(p, q);
    f->s = open_store(f->dir);
    expect_get(store_txn_begin(f->s, false), CF_DATA, "x", "1");
    assert_int_equal(get_applied(f->s), 7);
}

int main(void)
{
    log_init(0, LOG_ERROR, NULL); /* the warnings the tests provoke are expected */
#define T(name) cmocka_unit_test_setup_teardown(name, st_setup, st_teardown)
    const struct CMUnitTest tests[] = {
        T(test_create_lists_and_verifies),
        T(test_create_index_exact_under_writes),
        T(test_seal_latest_prune),
        T(test_rmtree_no_symlinks),
        T(test_install_replaces_state),
        T(test_open_removes_leftovers),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
