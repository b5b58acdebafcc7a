/* The log (wal.c) and RocksDB behind the small interface of store.h. */
#include "storage/store.h"
#include "storage/cache.h"
#include "storage/encoding.h"
#include "storage/snapshot.h"
#include "util/crc32c.h"
#include "util/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>
#include <rocksdb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Under the node's directory:
 *   wal/ : the raft log and the raft hard state (wal.c); appends are synced.
 *   sm/  : the state machine (data, meta) in RocksDB (after a snapshot was
 *          installed: the sm-* directory that SM_CURRENT names); its WAL is written but
 *          not synced, because whatever it loses in a crash is replayed from
 *          the log. Applying entries never queues behind the fsync of the
 *          next log append, which runs at the same time on a thread-pool
 *          thread. */
struct store {
    wal_t *wal;
    rocksdb_t *smdb;
    rocksdb_options_t *opts;
    rocksdb_options_t *data_opts;
    rocksdb_column_family_handle_t *cf[CF_COUNT];
    rocksdb_column_family_handle_t *default_cf;
    rocksdb_block_based_table_options_t *table_opts;
    rocksdb_cache_t *block_cache;
    rocksdb_writeoptions_t *wnosync;
    rocksdb_readoptions_t *ropts;
    rocksdb_t *_Atomic filter_db; /* what the filter reads metadata from; NULL while (re)opening */
    cache_t *cache;
    pthread_mutex_t cache_mu; /* the committer updates the cache while the loop reads it */
    struct store_txn *reader_ptr;
    bool sm_named;    /* SM_CURRENT exists (else the directory is "sm") */
    pthread_mutex_t cp_mu; /* a checkpoint (thread pool) and an install (loop) exclude each other */
    char dir[1024];   /* the node's directory */
    char smname[256]; /* the state machine's directory in it (SM_CURRENT) */

    /* The committer thread: writes handed-off apply batches in order. */
    pthread_t committer;
    bool committer_running;
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done;
    struct store_txn *q_head, *q_tail; /* handed off, oldest first (links: loop thread only) */
    struct store_txn *q_next;          /* the next one the committer writes */
    int q_len;
    uint64_t reaped; /* batches reaped so far: a prefetch is good until the next */
    bool committing, stopping;
    rocksdb_writebatch_t *cwb; /* the committer's batch, reused (its buffer keeps its size) */
};

struct store_iter {
    rocksdb_iterator_t *it;
};

static struct store_txn *reader_new(store_t *s);
static void committer_start(store_t *s);
static void cache_update(struct store_txn *t);

#define SM_CURRENT "SM_CURRENT"
static const char *const sm_cf_names[3] = {"default", "meta", "data"};

static void set_err(char *err, size_t errlen, const char *what, char *rerr)
{
    if (err && errlen) snprintf(err, errlen, "%s: %s", what, rerr ? rerr : "unknown error");
    free(rerr);
}

/* RocksDB counts key comparisons and timings in thread-local storage unless
 * told not to; reached through the shared library's TLS that costs a call
 * per comparison. Every thread that writes or reads calls this once. */
void store_thread_init(void)
{
    rocksdb_set_perf_level(1 /* kDisable */);
}

store_t *store_open(const char *dir, char *err, size_t errlen)
{
    return store_open_opts(dir, NULL, err, errlen);
}

/* Versions before the write-ahead log kept the raft log in a RocksDB
 * instance at <dir>/log. Opening such a directory would start with an empty
 * log and lose the hard state, so it is refused instead. */
static int refuse_old_log(const char *dir, char *err, size_t errlen)
{
    char path[1100];
    struct stat st;
    snprintf(path, sizeof(path), "%s/log/CURRENT", dir);
    if (stat(path, &st) < 0) return 0;
    snprintf(err, errlen,
             "%s/log holds a raft log in the old RocksDB format, which this version does not read (the log is "
             "now in %s/wal); start from an empty directory",
             dir, dir);
    return -1;
}

/* ---- the state machine's directory ------------------------------------------ */

/* Which directory under the node's holds the state machine: the name in
 * SM_CURRENT, or "sm" when there is none (a node that never installed a
 * snapshot). Installing writes a new directory and then switches this one
 * file by rename, so a crash leaves the old state machine or the new one. */
static int sm_current(store_t *s, char *name, size_t len, char *err, size_t errlen)
{
    char path[1300], buf[256];
    s->sm_named = false;
    snprintf(path, sizeof(path), "%s/" SM_CURRENT, s->dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno != ENOENT) {
            snprintf(err, errlen, "open %s: %s", path, strerror(errno));
            return -1;
        }
        snprintf(name, len, "sm");
        return 0;
    }
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) n--;
    buf[n] = 0;
    if (n < 2 || n >= len || strncmp(buf, "sm", 2) != 0 || strchr(buf, '/') || strchr(buf, '.')) {
        snprintf(err, errlen, "%s is damaged (\"%s\"): it must name the state machine's directory", path, buf);
        return -1;
    }
    memcpy(name, buf, n + 1);
    s->sm_named = true;
    return 0;
}

static void sm_close(store_t *s)
{
    /* the compaction filter reads through the handles: no compaction may
     * run once they go (it finds filter_db NULL, or is waited for here) */
    atomic_store(&s->filter_db, NULL);
    if (s->smdb) rocksdb_cancel_all_background_work(s->smdb, 1);
    for (int i = 0; i < CF_COUNT; i++)
        if (s->cf[i]) rocksdb_column_family_handle_destroy(s->cf[i]);
    if (s->default_cf) rocksdb_column_family_handle_destroy(s->default_cf);
    if (s->smdb) rocksdb_close(s->smdb);
    memset(s->cf, 0, sizeof(s->cf));
    s->default_cf = NULL;
    s->smdb = NULL;
}

/* The compaction filter of the data CF: drops the sub-keys of collections
 * that were deleted or replaced (DEL of a collection only deletes its
 * metadata record, docs/encoding.md). A sub-key is stale once its key's
 * metadata is gone, is no collection, or carries another version: versions
 * only grow, so a stale sub-key can never become reachable again. Anything
 * it cannot decide (a read error, the store reopening) is kept.
 *
 * One filter per compaction (made by a factory), so it can remember the
 * last key's metadata: a compaction sees a collection's sub-keys one after
 * the other, and without that memory every sub-key cost a metadata lookup
 * (a fifth of the CPU of a node under LPUSH). The memory cannot go wrong:
 * a version read once is never current again once replaced. */
typedef struct stale_filter {
    store_t *s;
    char *key; /* the user key whose metadata is remembered */
    size_t klen, cap;
    bool known;
    bool collection;  /* the metadata exists and is a collection's */
    uint64_t version; /* then its version */
} stale_filter_t;

/* Looks the metadata of key up (or remembers it): 0, or -1 when it cannot
 * be read now. */
static int stale_meta(stale_filter_t *f, const char *key, size_t klen)
{
    if (f->known && f->klen == klen && memcmp(f->key, key, klen) == 0) return 0;
    rocksdb_t *db = atomic_load(&f->s->filter_db);
    if (!db) return -1;
    char stack[256], *mk = klen + 1 <= sizeof(stack) ? stack : malloc(klen + 1);
    size_t mklen = enc_meta_key(mk, key, klen), mlen = 0;
    char *rerr = NULL;
    char *m = rocksdb_get_cf(db, f->s->ropts, f->s->cf[CF_DATA], mk, mklen, &mlen, &rerr);
    if (mk != stack) free(mk);
    if (rerr) {
        free(rerr);
        return -1;
    }
    meta_t meta;
    f->collection = false;
    if (m) {
        if (enc_meta_decode(&meta, m, mlen) != 0) {
            rocksdb_free(m);
            return -1;
        }
        f->collection = meta.type != OBJ_STRING;
        f->version = meta.version;
        rocksdb_free(m);
    }
    if (klen > f->cap) {
        char *nk = realloc(f->key, klen);
        if (!nk) {
            f->known = false;
            return 0; /* decided, just not remembered */
        }
        f->key = nk;
        f->cap = klen;
    }
    memcpy(f->key, key, klen);
    f->klen = klen;
    f->known = true;
    return 0;
}

static unsigned char stale_subkey(void *st, int level, const char *key, size_t klen, const char *val, size_t vlen,
                                  char **nv, size_t *nvlen, unsigned char *changed)
{
    (void)level, (void)val, (void)vlen, (void)nv, (void)nvlen;
    stale_filter_t *f = st;
    *changed = 0;
    if (klen < 13 || key[0] != ENC_SUB_PREFIX) return 0;
    uint32_t ul = enc_get_u32(key + 1);
    if ((size_t)ul + 13 > klen) return 0;
    uint64_t version = enc_get_u64(key + 5 + ul);
    if (stale_meta(f, key + 5, ul) != 0) return 0;
    return !f->collection || f->version != version;
}

static void stale_subkey_free(void *st)
{
    stale_filter_t *f = st;
    free(f->key);
    free(f);
}

static const char *stale_subkey_name(void *st)
{
    (void)st;
    return "redraft.stale_subkeys";
}

static rocksdb_compactionfilter_t *stale_filter_new(void *st, rocksdb_compactionfiltercontext_t *ctx)
{
    (void)ctx;
    stale_filter_t *f = calloc(1, sizeof(*f));
    if (!f) return NULL; /* RocksDB then compacts without a filter */
    f->s = st;
    return rocksdb_compactionfilter_create(f, stale_subkey_free, stale_subkey, stale_subkey_name);
}

static void stale_factory_free(void *st)
{
    (void)st; /* the store owns itself */
}

static int sm_open(store_t *s, char *err, size_t errlen)
{
    char path[1300], *rerr = NULL;
    snprintf(path, sizeof(path), "%s/%s", s->dir, s->smname);
    rocksdb_options_t *smopts = rocksdb_options_create_copy(s->opts);
    rocksdb_options_set_atomic_flush(smopts, 1); /* data and meta always flush together */
    /* a directory SM_CURRENT names must exist: an empty state machine in its
     * place would lose the data (and the prune would delete the old one) */
    if (s->sm_named) rocksdb_options_set_create_if_missing(smopts, 0);
    const rocksdb_options_t *sopts[3] = {s->opts, s->opts, s->data_opts};
    rocksdb_column_family_handle_t *sh[3] = {0};
    s->smdb = rocksdb_open_column_families(smopts, path, 3, sm_cf_names, sopts, sh, &rerr);
    rocksdb_options_destroy(smopts);
    if (rerr) {
        set_err(err, errlen, "rocksdb open state machine", rerr);
        s->smdb = NULL;
        return -1;
    }
    s->default_cf = sh[0];
    s->cf[CF_META] = sh[1];
    s->cf[CF_DATA] = sh[2];
    atomic_store(&s->filter_db, s->smdb);
    return 0;
}

static bool is_sm_name(const char *name)
{
    return strcmp(name, "sm") == 0 || strncmp(name, "sm-", 3) == 0;
}

/* Removes state-machine directories other than the current one (an install
 * that crashed before or after its switch leaves one behind). */
static void sm_prune(store_t *s)
{
    DIR *d = opendir(s->dir);
    if (!d) return;
    struct dirent *de;
    char path[1300];
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, SM_CURRENT ".tmp") == 0) {
            snprintf(path, sizeof(path), "%s/%s", s->dir, de->d_name);
            unlink(path);
            continue;
        }
        if (!is_sm_name(de->d_name) || strcmp(de->d_name, s->smname) == 0) continue;
        snprintf(path, sizeof(path), "%s/%s", s->dir, de->d_name);
        log_info("sm_stale_removed", " dir=%s", path);
        snap_rmtree(path);
    }
    closedir(d);
}

/* Copies src to dst and syncs it (files RocksDB may append to or rewrite
 * are copied, never linked: the snapshot must stay as it was). */
static int copy_file(const char *src, const char *dst)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) return -1;
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        close(in);
        return -1;
    }
    char buf[1 << 16];
    ssize_t k;
    int rc = 0;
    while ((k = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)k) != k) {
            rc = -1;
            break;
        }
    if (k < 0 || fsync(out) < 0) rc = -1;
    int saved = errno;
    close(in);
    close(out);
    errno = saved;
    return rc;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int store_checkpoint(store_t *s, const char *dir, const char *applied_key, uint64_t *applied, char *err,
                     size_t errlen)
{
    char *rerr = NULL;
    pthread_mutex_lock(&s->cp_mu); /* the database stays open meanwhile */
    rocksdb_checkpoint_t *cp = rocksdb_checkpoint_object_create(s->smdb, &rerr);
    if (!rerr) {
        rocksdb_checkpoint_create(cp, dir, 0 /* always flush first */, &rerr);
        rocksdb_checkpoint_object_destroy(cp);
    }
    pthread_mutex_unlock(&s->cp_mu);
    if (rerr) {
        set_err(err, errlen, "rocksdb checkpoint", rerr);
        return -1;
    }
    /* The applied index it holds, read by opening it as an install will:
     * writes the committer made during the checkpoint may sit in its WAL
     * copy, which an open replays (a read-only one too, in memory, without
     * writing anything into the directory). */
    rocksdb_options_t *o = rocksdb_options_create_copy(s->opts);
    rocksdb_options_set_create_if_missing(o, 0);
    rocksdb_options_set_create_missing_column_families(o, 0);
    const rocksdb_options_t *co[3] = {o, o, o};
    rocksdb_column_family_handle_t *h[3] = {0};
    rocksdb_t *db = rocksdb_open_for_read_only_column_families(o, dir, 3, sm_cf_names, co, h, 0, &rerr);
    rocksdb_options_destroy(o);
    if (rerr) {
        set_err(err, errlen, "open checkpoint", rerr);
        return -1;
    }
    size_t vlen = 0;
    char *v = rocksdb_get_cf(db, s->ropts, h[1] /* meta */, applied_key, strlen(applied_key), &vlen,
                             &rerr);
    int rc = 0;
    if (rerr) {
        set_err(err, errlen, "read checkpoint", rerr);
        rc = -1;
    } else {
        *applied = v && vlen == 8 ? enc_get_u64(v) : 0;
    }
    free(v);
    for (int i = 0; i < 3; i++) rocksdb_column_family_handle_destroy(h[i]);
    rocksdb_close(db);
    return rc;
}

int store_install(store_t *s, const char *snapdir, char *err, size_t errlen)
{
    store_drain(s);
    const char *base = strrchr(snapdir, '/');
    base = base ? base + 1 : snapdir;
    char name[256], path[1300], src[1300], dst[1600];
    for (int k = 0;; k++) { /* never the current directory's name */
        snprintf(name, sizeof(name), "sm-%.200s-%d", base, k);
        for (char *c = name; *c; c++) /* what sm_current accepts */
            if (*c == '.' || *c == '/') *c = '_';
        if (strcmp(name, s->smname) != 0) break;
    }
    DIR *d = opendir(snapdir);
    if (!d) {
        snprintf(err, errlen, "open %s: %s", snapdir, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof(path), "%s/%s", s->dir, name);
    snap_rmtree(path);
    if (mkdir(path, 0755) < 0) {
        snprintf(err, errlen, "mkdir %s: %s", path, strerror(errno));
        closedir(d);
        return -1;
    }
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, SNAP_META_NAME) == 0) continue;
        snprintf(src, sizeof(src), "%s/%s", snapdir, de->d_name);
        snprintf(dst, sizeof(dst), "%s/%s", path, de->d_name);
        /* table files are immutable: a hard link costs nothing */
        bool linked = ends_with(de->d_name, ".sst") && link(src, dst) == 0;
        if (!linked && copy_file(src, dst) < 0) {
            snprintf(err, errlen, "copy %s: %s", src, strerror(errno));
            rc = -1;
        }
    }
    closedir(d);
    /* the new directory and its entry in the node's directory are durable
     * before SM_CURRENT may name it */
    if (rc == 0 && (snap_sync_dir(path) < 0 || snap_sync_dir(s->dir) < 0)) {
        snprintf(err, errlen, "sync %s: %s", path, strerror(errno));
        rc = -1;
    }
    /* the switch: SM_CURRENT names the new directory, by rename */
    char cur[1300], tmp[1300];
    snprintf(cur, sizeof(cur), "%s/" SM_CURRENT, s->dir);
    snprintf(tmp, sizeof(tmp), "%s/" SM_CURRENT ".tmp", s->dir);
    if (rc == 0) {
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%s\n", name) < 0 || fflush(f) != 0 || fsync(fileno(f)) < 0) rc = -1;
        if (f && fclose(f) != 0) rc = -1;
        if (rc == 0 && rename(tmp, cur) < 0) rc = -1;
        if (rc == 0 && snap_sync_dir(s->dir) < 0) rc = -1;
        if (rc < 0) snprintf(err, errlen, "switch %s: %s", cur, strerror(errno));
    }
    if (rc < 0) {
        snap_rmtree(path);
        return -1;
    }
    char old[256];
    snprintf(old, sizeof(old), "%s", s->smname);
    /* a checkpoint being made on the thread pool finishes first (it holds
     * the old database; the node drops what it made, as it is older) */
    pthread_mutex_lock(&s->cp_mu);
    sm_close(s);
    snprintf(s->smname, sizeof(s->smname), "%s", name);
    s->sm_named = true;
    int orc = sm_open(s, err, errlen);
    pthread_mutex_unlock(&s->cp_mu);
    if (orc < 0) return -1;
    pthread_mutex_lock(&s->cache_mu);
    cache_clear(s->cache);
    pthread_mutex_unlock(&s->cache_mu);
    snprintf(path, sizeof(path), "%s/%s", s->dir, old);
    snap_rmtree(path);
    return 0;
}

store_t *store_open_opts(const char *dir, const store_options_t *o, char *err, size_t errlen)
{
    store_thread_init();
    char path[1100];
    if (refuse_old_log(dir, err, errlen) < 0) return NULL;
    store_t *s = calloc(1, sizeof(*s));

    pthread_mutex_init(&s->cp_mu, NULL);
    pthread_mutex_init(&s->cache_mu, NULL);
    s->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(s->opts, 1);
    rocksdb_options_set_create_missing_column_families(s->opts, 1);
    rocksdb_options_increase_parallelism(s->opts, 2);
    rocksdb_options_set_max_open_files(s->opts, 1000);
    rocksdb_options_set_info_log_level(s->opts, 2 /* WARN */);
    rocksdb_options_set_keep_log_file_num(s->opts, 3);
    /* no compression: flushes and compactions run on the same two cores as
     * the loop, and values are small; disk is cheaper than those cycles */
    rocksdb_options_set_compression(s->opts, rocksdb_no_compression);

    /* The data CF gets bloom filters (memtable and SST) and a block cache:
     * point lookups of metadata records are the hot read path. */
    s->block_cache = rocksdb_cache_create_lru(o && o->block_cache_bytes ? o->block_cache_bytes : 128u << 20);
    s->table_opts = rocksdb_block_based_options_create();
    rocksdb_block_based_options_set_block_cache(s->table_opts, s->block_cache);
    rocksdb_block_based_options_set_filter_policy(s->table_opts, rocksdb_filterpolicy_create_bloom_full(10));
    /* filters and indexes stay in the table readers, not the block cache: a
     * lookup of an absent key probes a filter per file without a cache lookup
     * each (costs ~1-2% of the data size in memory) */
    rocksdb_block_based_options_set_cache_index_and_filter_blocks(s->table_opts, 0);
    s->data_opts = rocksdb_options_create_copy(s->opts);
    rocksdb_options_set_block_based_table_factory(s->data_opts, s->table_opts);
    rocksdb_options_set_write_buffer_size(s->data_opts, 8u << 20);
    rocksdb_options_set_max_write_buffer_number(s->data_opts, 4);
    rocksdb_options_set_memtable_prefix_bloom_size_ratio(s->data_opts, 0.1);
    rocksdb_options_set_memtable_whole_key_filtering(s->data_opts, 1);
    s->ropts = rocksdb_readoptions_create();
    /* the options own the factory (a shared_ptr inside RocksDB) */
    rocksdb_options_set_compaction_filter_factory(
        s->data_opts, rocksdb_compactionfilterfactory_create(s, stale_factory_free, stale_filter_new, stale_subkey_name));

    snprintf(path, sizeof(path), "%s/wal", dir);
    s->wal = wal_open(path, o ? o->wal_segment_size : 0, err, errlen);
    if (!s->wal) {
        store_close(s);
        return NULL;
    }
    snprintf(s->dir, sizeof(s->dir), "%s", dir);
    if (sm_current(s, s->smname, sizeof(s->smname), err, errlen) < 0 || sm_open(s, err, errlen) < 0) {
        store_close(s);
        return NULL;
    }
    sm_prune(s);

    s->wnosync = rocksdb_writeoptions_create();
    s->reader_ptr = reader_new(s);
    committer_start(s);
    return s;
}

void store_close(store_t *s)
{
    if (!s) return;
    if (s->committer_running) {
        store_drain(s);
        pthread_mutex_lock(&s->mu);
        s->stopping = true;
        pthread_cond_signal(&s->cv_work);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->committer, NULL);
        s->committer_running = false;
    }
    if (s->cwb) rocksdb_writebatch_destroy(s->cwb);
    sm_close(s);
    wal_close(s->wal);
    if (s->data_opts) rocksdb_options_destroy(s->data_opts);
    if (s->opts) rocksdb_options_destroy(s->opts);
    if (s->table_opts) rocksdb_block_based_options_destroy(s->table_opts);
    if (s->block_cache) rocksdb_cache_destroy(s->block_cache);
    if (s->wnosync) rocksdb_writeoptions_destroy(s->wnosync);
    if (s->ropts) rocksdb_readoptions_destroy(s->ropts);
    free(s->reader_ptr);
    cache_free(s->cache);
    free(s);
}

/* ---- the log (wal.c) ------------------------------------------------------ */

int store_log_append(store_t *s, const store_entry_t *e, int n, bool sync, char *err, size_t errlen)
{
    return wal_append(s->wal, e, n, sync, err, errlen);
}

int store_log_write(store_t *s, const store_meta_t *m, int nm, const store_entry_t *e, int n, bool sync, char *err,
                    size_t errlen)
{
    return wal_write(s->wal, m, nm, e, n, sync, err, errlen);
}

int store_log_get(store_t *s, uint64_t index, store_entry_t *out, char *err, size_t errlen)
{
    return wal_get(s->wal, index, out, err, errlen);
}

void store_log_bounds(store_t *s, uint64_t *first, uint64_t *last)
{
    wal_bounds(s->wal, first, last);
}

int store_log_truncate_suffix(store_t *s, uint64_t from, char *err, size_t errlen)
{
    return wal_truncate_suffix(s->wal, from, err, errlen);
}

int store_log_compact(store_t *s, uint64_t upto, char *err, size_t errlen)
{
    return wal_compact(s->wal, upto, err, errlen);
}

uint64_t store_log_size(store_t *s)
{
    return wal_size(s->wal);
}

/* ---- hard state (wal.c) ---------------------------------------------------- */

uint64_t store_meta_get_u64(store_t *s, const char *name, uint64_t def)
{
    return wal_meta_get(s->wal, name, def);
}

/* Callers have no error buffer (a failed hard-state write is fatal to them
 * anyway), so the reason is logged here. */
int store_meta_put_u64(store_t *s, const char *name, uint64_t v, bool sync)
{
    char err[256];
    if (wal_meta_put(s->wal, name, v, sync, err, sizeof(err)) == 0) return 0;
    log_error("hard_state_write_failed", " name=%s error=\"%s\"", name, err);
    return -1;
}

/* ---- transactions ------------------------------------------------------ */

/* A write txn remembers the latest value of every key it wrote in a hash
 * overlay, so the commands later in the same batch read their predecessors'
 * writes without a search through RocksDB. The committer turns the overlay
 * into a WriteBatch (build_batch), off the loop thread; only if an iterator is
 * asked for is it turned into a WriteBatchWithIndex, which merges with the
 * database. */
typedef struct ovl_entry {
    uint64_t hash;
    size_t koff, voff;
    uint32_t klen, vlen;
    uint8_t cf;
    bool deleted;
} ovl_entry_t;

struct store_txn {
    store_t *s;
    bool write;
    uint64_t nwrites; /* puts and deletes so far (store_txn_writes) */
    rocksdb_writebatch_wi_t *wbwi;
    ovl_entry_t *ents;
    size_t nents, capents;
    struct store_txn *qprev, *qnext; /* in the committer's queue */
    bool done;                       /* written by the committer */
    uint32_t *idx; /* open addressing: entry index + 1, 0 = empty */
    size_t idxcap; /* power of two */
    char *arena;
    size_t alen, acap;
    struct prefetch *pf; /* store_txn_prefetch's answers, or NULL */
};

/* What a MultiGet answered for a txn's keys, as of s->reaped == gen: a
 * key in no queued batch has the same value in RocksDB until a batch that
 * holds it is reaped (reaping happens at a commit, or when an iterator
 * drains the queue), so past that the answers are dropped. */
typedef struct pf_ent {
    uint64_t hash;
    size_t koff, voff;
    uint32_t klen, vlen;
    bool found;
} pf_ent_t;

struct prefetch {
    uint64_t gen;
    pf_ent_t *ents;
    size_t n, capents;
    uint32_t *idx; /* entry index + 1; 0 = empty */
    size_t cap;    /* power of two */
    char *arena;
    size_t alen, acap;
};

static uint64_t ovl_hash(store_cf_t cf, const char *key, size_t klen)
{
    return cache_hash(key, klen) ^ ((uint64_t)cf * 0x9E3779B97F4A7C15ull);
}

static ovl_entry_t *ovl_find(store_txn_t *t, store_cf_t cf, uint64_t h, const char *key, size_t klen, size_t *slot)
{
    if (!t->idxcap) return NULL;
    size_t i = h & (t->idxcap - 1);
    while (t->idx[i]) {
        ovl_entry_t *e = &t->ents[t->idx[i] - 1];
        if (e->hash == h && e->cf == cf && e->klen == klen && memcmp(t->arena + e->koff, key, klen) == 0) {
            if (slot) *slot = i;
            return e;
        }
        i = (i + 1) & (t->idxcap - 1);
    }
    if (slot) *slot = i;
    return NULL;
}

static size_t arena_add(store_txn_t *t, const char *p, size_t n)
{
    if (t->alen + n > t->acap) {
        size_t ncap = t->acap ? t->acap * 2 : 4096;
        while (ncap < t->alen + n) ncap *= 2;
        t->arena = realloc(t->arena, ncap);
        t->acap = ncap;
    }
    size_t off = t->alen;
    if (n) memcpy(t->arena + off, p, n);
    t->alen += n;
    return off;
}

static void ovl_rehash(store_txn_t *t)
{
    size_t ncap = t->idxcap ? t->idxcap * 2 : 64;
    free(t->idx);
    t->idx = calloc(ncap, sizeof(*t->idx));
    t->idxcap = ncap;
    for (size_t k = 0; k < t->nents; k++) {
        size_t i = t->ents[k].hash & (ncap - 1);
        while (t->idx[i]) i = (i + 1) & (ncap - 1);
        t->idx[i] = (uint32_t)(k + 1);
    }
}

static void ovl_record(store_txn_t *t, store_cf_t cf, const char *key, size_t klen, const char *val, size_t vlen,
                       bool deleted)
{
    uint64_t h = ovl_hash(cf, key, klen);
    size_t slot;
    ovl_entry_t *e = ovl_find(t, cf, h, key, klen, &slot);
    if (!e) {
        if ((t->nents + 1) * 2 > t->idxcap) {
            ovl_rehash(t);
            ovl_find(t, cf, h, key, klen, &slot);
        }
        if (t->nents == t->capents) {
            t->capents = t->capents ? t->capents * 2 : 64;
            t->ents = realloc(t->ents, sizeof(*t->ents) * t->capents);
        }
        e = &t->ents[t->nents++];
        t->idx[slot] = (uint32_t)t->nents;
        e->hash = h;
        e->cf = (uint8_t)cf;
        e->klen = (uint32_t)klen;
        e->koff = arena_add(t, key, klen);
    }
    e->deleted = deleted;
    e->vlen = deleted ? 0 : (uint32_t)vlen;
    e->voff = deleted ? 0 : arena_add(t, val, vlen);
}

static void ovl_reset(store_txn_t *t)
{
    t->nents = 0;
    t->alen = 0;
    if (t->idxcap) memset(t->idx, 0, t->idxcap * sizeof(*t->idx));
}

store_txn_t *store_txn_begin(store_t *s, bool write)
{
    if (!write) return s->reader_ptr;
    store_txn_t *t = calloc(1, sizeof(*t));
    t->s = s;
    t->write = true;
    return t;
}

bool store_txn_is_write(const store_txn_t *t)
{
    return t->write;
}

static char *copy_out(const char *p, size_t n)
{
    char *v = malloc(n ? n : 1);
    if (n) memcpy(v, p, n);
    return v;
}

static int reap_committed(store_t *s);

/* ---- prefetch (store_txn_prefetch) ------------------------------------------ */

static size_t pf_arena_add(struct prefetch *pf, const char *p, size_t n)
{
    if (pf->alen + n > pf->acap) {
        size_t ncap = pf->acap ? pf->acap * 2 : 4096;
        while (ncap < pf->alen + n) ncap *= 2;
        pf->arena = realloc(pf->arena, ncap);
        pf->acap = ncap;
    }
    size_t off = pf->alen;
    if (n) memcpy(pf->arena + off, p, n);
    pf->alen += n;
    return off;
}

/* The entry for key, or NULL; *slot gets where it is or would go. */
static pf_ent_t *pf_slot(const struct prefetch *pf, uint64_t h, const char *key, size_t klen, size_t *slot)
{
    size_t i = h & (pf->cap - 1);
    while (pf->idx[i]) {
        pf_ent_t *e = &pf->ents[pf->idx[i] - 1];
        if (e->hash == h && e->klen == klen && memcmp(pf->arena + e->koff, key, klen) == 0) {
            if (slot) *slot = i;
            return e;
        }
        i = (i + 1) & (pf->cap - 1);
    }
    if (slot) *slot = i;
    return NULL;
}

static const pf_ent_t *pf_find(const struct prefetch *pf, uint64_t h, const char *key, size_t klen)
{
    return pf->n ? pf_slot(pf, h, key, klen, NULL) : NULL;
}

static void pf_free(struct prefetch *pf)
{
    if (!pf) return;
    free(pf->ents);
    free(pf->idx);
    free(pf->arena);
    free(pf);
}

static void pf_grow(struct prefetch *pf, size_t more)
{
    if (pf->n + more > pf->capents) {
        pf->capents = (pf->n + more) * 2;
        pf->ents = realloc(pf->ents, sizeof(*pf->ents) * pf->capents);
    }
    if ((pf->n + more) * 2 <= pf->cap) return;
    size_t ncap = pf->cap ? pf->cap : 16;
    while (ncap < (pf->n + more) * 2) ncap *= 2;
    free(pf->idx);
    pf->idx = calloc(ncap, sizeof(*pf->idx));
    pf->cap = ncap;
    for (size_t k = 0; k < pf->n; k++) {
        size_t i = pf->ents[k].hash & (ncap - 1);
        while (pf->idx[i]) i = (i + 1) & (ncap - 1);
        pf->idx[i] = (uint32_t)(k + 1);
    }
}

void store_txn_prefetch(store_txn_t *t, const char *const *keys, const size_t *lens, size_t n)
{
    if (!t->write || n == 0) return;
    store_t *s = t->s;
    if (t->pf && t->pf->gen != s->reaped) {
        pf_free(t->pf);
        t->pf = NULL;
    }
    if (!t->pf) {
        t->pf = calloc(1, sizeof(*t->pf));
        t->pf->gen = s->reaped;
    }
    struct prefetch *pf = t->pf;
    pf_grow(pf, n);
    /* distinct keys only: a batch often writes one key many times */
    const char **uk = malloc(sizeof(*uk) * n);
    size_t *ul = malloc(sizeof(*ul) * n);
    size_t nu = 0, first = pf->n;
    for (size_t i = 0; i < n; i++) {
        uint64_t h = cache_hash(keys[i], lens[i]);
        size_t slot;
        if (pf_slot(pf, h, keys[i], lens[i], &slot)) continue;
        pf_ent_t *e = &pf->ents[pf->n];
        *e = (pf_ent_t){.hash = h, .klen = (uint32_t)lens[i], .koff = pf_arena_add(pf, keys[i], lens[i])};
        pf->idx[slot] = (uint32_t)++pf->n;
        uk[nu] = keys[i];
        ul[nu++] = lens[i];
    }
    rocksdb_pinnableslice_t **vals = calloc(nu ? nu : 1, sizeof(*vals));
    char **errs = calloc(nu ? nu : 1, sizeof(*errs));
    if (nu) rocksdb_batched_multi_get_cf(s->smdb, s->ropts, s->cf[CF_DATA], nu, uk, ul, vals, errs, false);
    for (size_t i = 0; i < nu; i++) {
        pf_ent_t *e = &pf->ents[first + i];
        if (errs[i]) { /* not answered: forget the key, its read goes the usual way */
            free(errs[i]);
            e->klen = UINT32_MAX; /* never matches */
        } else if (vals[i]) {
            size_t vl;
            const char *v = rocksdb_pinnableslice_value(vals[i], &vl);
            e->found = true;
            e->vlen = (uint32_t)vl;
            e->voff = pf_arena_add(pf, v, vl);
        }
        if (vals[i]) rocksdb_pinnableslice_destroy(vals[i]);
    }
    free(vals);
    free(errs);
    free(uk);
    free(ul);
}

/* The newest committed value of key in the batches the committer has not
 * finished: ents and arena of a handed-off txn never change, and the queue's
 * links are the loop thread's, so this needs no lock. */
static ovl_entry_t *queued_find(store_t *s, store_cf_t cf, const char *key, size_t klen, store_txn_t **in)
{
    if (!s->q_tail) return NULL;
    uint64_t oh = ovl_hash(cf, key, klen);
    for (store_txn_t *q = s->q_tail; q; q = q->qprev) {
        ovl_entry_t *e = q->nents ? ovl_find(q, cf, oh, key, klen, NULL) : NULL;
        if (e) {
            *in = q;
            return e;
        }
    }
    return NULL;
}

/* Committed state: the batches the committer has not finished (newest
 * first), else the cache, else the database (which then fills the cache if
 * asked to). The committer updates the cache after it writes a batch and
 * before the batch counts as done, so a key found in no queued batch has its
 * latest value in the cache or, evicted, in the database. */
static int get_committed(store_t *s, const struct prefetch *pf, store_cf_t cf, const char *key, size_t klen,
                         char **val, size_t *vlen, bool fill_cache)
{
    store_txn_t *q;
    ovl_entry_t *e = queued_find(s, cf, key, klen, &q);
    if (e) {
        if (e->deleted) return 0;
        *val = copy_out(q->arena + e->voff, e->vlen);
        *vlen = e->vlen;
        return 1;
    }
    if (pf && cf == CF_DATA && pf->gen == s->reaped) {
        const pf_ent_t *p = pf_find(pf, cache_hash(key, klen), key, klen);
        if (p) {
            if (!p->found) return 0;
            *val = copy_out(pf->arena + p->voff, p->vlen);
            *vlen = p->vlen;
            return 1;
        }
    }
    uint64_t h = 0;
    if (cf == CF_DATA && s->cache) {
        const char *cv;
        size_t cl;
        h = cache_hash(key, klen);
        pthread_mutex_lock(&s->cache_mu);
        int rc = cache_get(s->cache, h, key, klen, &cv, &cl);
        if (rc == 1) {
            *val = copy_out(cv, cl);
            *vlen = cl;
        }
        pthread_mutex_unlock(&s->cache_mu);
        if (rc >= 0) return rc;
    }
    char *rerr = NULL;
    char *v = rocksdb_get_cf(s->smdb, s->ropts, s->cf[cf], key, klen, vlen, &rerr);
    if (rerr) {
        free(rerr);
        return -1;
    }
    if (fill_cache && cf == CF_DATA && s->cache) {
        pthread_mutex_lock(&s->cache_mu);
        cache_put(s->cache, h, key, klen, v, v ? *vlen : 0);
        pthread_mutex_unlock(&s->cache_mu);
    }
    *val = v;
    return v != NULL;
}

int store_get(store_txn_t *t, store_cf_t cf, const char *key, size_t klen, char **val, size_t *vlen)
{
    if (t->write && t->nents) {
        ovl_entry_t *e = ovl_find(t, cf, ovl_hash(cf, key, klen), key, klen, NULL);
        if (e) {
            if (e->deleted) return 0;
            *val = copy_out(t->arena + e->voff, e->vlen);
            *vlen = e->vlen;
            return 1;
        }
    }
    /* a lookup inside apply does not fill the cache: the commit that follows
     * puts the key's new value there anyway */
    return get_committed(t->s, t->pf, cf, key, klen, val, vlen, !t->write);
}

/* Transactions belong to the state machine; the log has its own calls. A
 * cf outside the enum (a caller's bug) must not reach RocksDB as a stray
 * handle. */
static void txn_cf_check(store_cf_t cf)
{
    if (cf != CF_META && cf != CF_DATA) {
        log_error("store_misuse", " op=txn_write cf=%d", (int)cf);
        abort();
    }
}

void store_put(store_txn_t *t, store_cf_t cf, const char *key, size_t klen, const char *val, size_t vlen)
{
    txn_cf_check(cf);
    if (t->wbwi) rocksdb_writebatch_wi_put_cf(t->wbwi, t->s->cf[cf], key, klen, val, vlen);
    ovl_record(t, cf, key, klen, val, vlen, false);
    t->nwrites++;
}

void store_del(store_txn_t *t, store_cf_t cf, const char *key, size_t klen)
{
    txn_cf_check(cf);
    if (t->wbwi) rocksdb_writebatch_wi_delete_cf(t->wbwi, t->s->cf[cf], key, klen);
    ovl_record(t, cf, key, klen, NULL, 0, true);
    t->nwrites++;
}

void store_compact_data(store_t *s)
{
    store_drain(s);
    rocksdb_compact_range_cf(s->smdb, s->cf[CF_DATA], NULL, 0, NULL, 0);
}

uint64_t store_txn_writes(const store_txn_t *t)
{
    return t->nwrites;
}

/* Pushes the txn's data-CF changes into the cache once they are written.
 * The lock is taken per key: the loop's reads wait for one update, not for
 * a whole batch. */
static void cache_update(store_txn_t *t)
{
    store_t *s = t->s;
    if (!s->cache) return;
    for (size_t i = 0; i < t->nents; i++) {
        ovl_entry_t *e = &t->ents[i];
        if (e->cf != CF_DATA) continue;
        const char *k = t->arena + e->koff;
        uint64_t h = cache_hash(k, e->klen);
        pthread_mutex_lock(&s->cache_mu);
        cache_put(s->cache, h, k, e->klen, e->deleted ? NULL : t->arena + e->voff, e->vlen);
        pthread_mutex_unlock(&s->cache_mu);
    }
}

static int ent_cmp(const void *a, const void *b, void *arg)
{
    const store_txn_t *sort_txn = arg;
    const ovl_entry_t *x = &sort_txn->ents[*(const uint32_t *)a], *y = &sort_txn->ents[*(const uint32_t *)b];
    if (x->cf != y->cf) return x->cf < y->cf ? -1 : 1;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(sort_txn->arena + x->koff, sort_txn->arena + y->koff, n);
    if (c) return c;
    return x->klen < y->klen ? -1 : x->klen > y->klen;
}

/* The txn's final state as a WriteBatch: the overlay holds each key once,
 * with its last value, and a batch is applied atomically, so this writes
 * exactly what the txn's puts and deletes did, in any order. In key order,
 * each memtable insert starts from where the previous one ended (RocksDB's
 * splice) instead of from the top of the skiplist: inserts were most of the
 * committer's time. */
static void build_batch(const store_txn_t *t, rocksdb_writebatch_t *wb)
{
    uint32_t *order = malloc(sizeof(*order) * (t->nents ? t->nents : 1));
    for (size_t i = 0; i < t->nents; i++)
        order[i] = (uint32_t)i;
    qsort_r(order, t->nents, sizeof(*order), ent_cmp, (void *)t);
    for (size_t i = 0; i < t->nents; i++) {
        const ovl_entry_t *e = &t->ents[order[i]];
        if (e->deleted)
            rocksdb_writebatch_delete_cf(wb, t->s->cf[e->cf], t->arena + e->koff, e->klen);
        else
            rocksdb_writebatch_put_cf(wb, t->s->cf[e->cf], t->arena + e->koff, e->klen, t->arena + e->voff, e->vlen);
    }
    free(order);
}

/* Writes the txn into RocksDB (not synced: the log is) and then the cache. */
static char *write_txn(store_txn_t *t, rocksdb_writebatch_t *wb)
{
    char *rerr = NULL;
    rocksdb_writebatch_clear(wb);
    build_batch(t, wb);
    rocksdb_write(t->s->smdb, t->s->wnosync, wb, &rerr);
    if (!rerr) cache_update(t);
    return rerr;
}

/* A range deletion cannot be answered from the overlay, so the batch so far
 * and the range deletion are written together right now and the txn goes on
 * with an empty batch. Crash-safe for its only user, FLUSHALL: replaying the
 * entries before it cannot change what the range deletion leaves behind. */
void store_del_range(store_txn_t *t, store_cf_t cf, const char *start, size_t slen, const char *end, size_t elen)
{
    txn_cf_check(cf);
    store_drain(t->s);
    t->s->reaped++; /* the range is gone: no prefetched answer holds */
    t->nwrites++;
    rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
    build_batch(t, wb);
    rocksdb_writebatch_delete_range_cf(wb, t->s->cf[cf], start, slen, end, elen);
    char *rerr = NULL;
    rocksdb_write(t->s->smdb, t->s->wnosync, wb, &rerr);
    free(rerr);
    rocksdb_writebatch_destroy(wb);
    if (t->wbwi) {
        rocksdb_writebatch_wi_destroy(t->wbwi);
        t->wbwi = NULL;
    }
    cache_update(t); /* what was just written leaves the overlay: the cache must know it */
    ovl_reset(t);
    if (cf == CF_DATA) {
        pthread_mutex_lock(&t->s->cache_mu);
        cache_clear(t->s->cache);
        pthread_mutex_unlock(&t->s->cache_mu);
    }
}

static store_txn_t *reader_new(store_t *s)
{
    store_txn_t *t = calloc(1, sizeof(*t));
    t->s = s;
    return t;
}

void store_enable_cache(store_t *s, size_t max_bytes)
{
    store_drain(s);
    pthread_mutex_lock(&s->cache_mu);
    cache_free(s->cache);
    s->cache = max_bytes ? cache_new(max_bytes) : NULL;
    pthread_mutex_unlock(&s->cache_mu);
}

void store_cache_stats(store_t *s, uint64_t *hits, uint64_t *misses, uint64_t *entries, uint64_t *bytes)
{
    cache_stats_t st;
    pthread_mutex_lock(&s->cache_mu);
    cache_get_stats(s->cache, &st);
    pthread_mutex_unlock(&s->cache_mu);
    *hits = st.hits;
    *misses = st.misses;
    *entries = st.entries;
    *bytes = st.bytes;
}

static void txn_free(store_txn_t *t)
{
    if (!t->write) return;
    pf_free(t->pf);
    if (t->wbwi) rocksdb_writebatch_wi_destroy(t->wbwi);
    free(t->ents);
    free(t->idx);
    free(t->arena);
    free(t);
}

/* ---- the committer ------------------------------------------------------ */

/* Writing an apply batch into RocksDB (mostly memtable inserts) is the
 * largest single cost of a write, and nothing waits for it: the entries are
 * already durable in the log, and a crash before the batch lands is repaired
 * by replaying the log from the state machine's applied index. So the loop
 * thread hands batches to this thread and goes on; until a batch is written,
 * reads find its values in the cache or in the batch itself (get_committed),
 * and iterators wait for the queue to drain (store_drain). */
static void *committer_main(void *arg)
{
    store_t *s = arg;
    store_thread_init();
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->q_next && !s->stopping) pthread_cond_wait(&s->cv_work, &s->mu);
        if (!s->q_next) break;
        store_txn_t *t = s->q_next;
        s->q_next = t->qnext;
        s->committing = true;
        pthread_mutex_unlock(&s->mu);

        char *rerr = write_txn(t, s->cwb);
        if (rerr) { /* the state machine can no longer follow the log */
            log_error("storage_failure", " op=apply error=\"%s\" action=exit", rerr);
            _exit(1);
        }

        pthread_mutex_lock(&s->mu);
        t->done = true;
        s->committing = false;
        pthread_cond_broadcast(&s->cv_done);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static void committer_start(store_t *s)
{
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv_work, NULL);
    pthread_cond_init(&s->cv_done, NULL);
    s->cwb = rocksdb_writebatch_create();
    s->committer_running = pthread_create(&s->committer, NULL, committer_main, s) == 0;
}

/* Frees the batches the committer has written, oldest first. Loop thread. */
static int reap_committed(store_t *s)
{
    int n = 0;
    pthread_mutex_lock(&s->mu);
    while (s->q_head && s->q_head->done) {
        store_txn_t *t = s->q_head;
        s->q_head = t->qnext;
        if (s->q_head) s->q_head->qprev = NULL; else s->q_tail = NULL;
        s->q_len--;
        s->reaped++;
        n++;
        pthread_mutex_unlock(&s->mu);
        txn_free(t);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* Waits until at most `keep` batches are still queued. */
static void wait_queue(store_t *s, int keep)
{
    if (!s->committer_running) return;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        int pending = 0;
        for (store_txn_t *q = s->q_head; q; q = q->qnext) pending += !q->done;
        if (pending <= keep) break;
        pthread_cond_wait(&s->cv_done, &s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    reap_committed(s);
}

void store_drain(store_t *s)
{
    wait_queue(s, 0);
}

#define MAX_QUEUED 8 /* batches the committer may lag behind before apply waits */

int store_txn_commit(store_txn_t *t, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    if (!t->write) return 0;
    store_t *s = t->s;
    if (!s->committer_running) { /* no thread: write here */
        rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
        char *rerr = write_txn(t, wb);
        rocksdb_writebatch_destroy(wb);
        txn_free(t);
        if (rerr) {
            set_err(err, errlen, "apply", rerr);
            return -1;
        }
        return 0;
    }
    pthread_mutex_lock(&s->mu);
    t->qprev = s->q_tail;
    t->qnext = NULL;
    if (s->q_tail) s->q_tail->qnext = t; else s->q_head = t;
    s->q_tail = t;
    if (!s->q_next) s->q_next = t;
    s->q_len++;
    pthread_cond_signal(&s->cv_work);
    pthread_mutex_unlock(&s->mu);
    reap_committed(s);
    if (s->q_len > MAX_QUEUED) wait_queue(s, MAX_QUEUED / 2);
    return 0;
}

void store_txn_abort(store_txn_t *t)
{
    txn_free(t);
}

void store_free(void *p)
{
    free(p);
}

/* An iterator over a write txn needs the txn's changes merged with the
 * database: build the indexed batch from the overlay on first use. */
static void materialize_wbwi(store_txn_t *t)
{
    if (t->wbwi) return;
    t->wbwi = rocksdb_writebatch_wi_create(0, 1);
    for (size_t i = 0; i < t->nents; i++) {
        ovl_entry_t *e = &t->ents[i];
        if (e->deleted)
            rocksdb_writebatch_wi_delete_cf(t->wbwi, t->s->cf[e->cf], t->arena + e->koff, e->klen);
        else
            rocksdb_writebatch_wi_put_cf(t->wbwi, t->s->cf[e->cf], t->arena + e->koff, e->klen, t->arena + e->voff,
                                         e->vlen);
    }
}

/* ---- iterators --------------------------------------------------------- */

store_iter_t *store_iter_new(store_txn_t *t, store_cf_t cf)
{
    store_drain(t->s);
    store_iter_t *it = malloc(sizeof(*it));
    rocksdb_iterator_t *base = rocksdb_create_iterator_cf(t->s->smdb, t->s->ropts, t->s->cf[cf]);
    if (t->write) materialize_wbwi(t);
    it->it = t->write ? rocksdb_writebatch_wi_create_iterator_with_base_cf(t->wbwi, base, t->s->cf[cf]) : base;
    return it;
}

void store_iter_seek(store_iter_t *it, const char *key, size_t klen)
{
    rocksdb_iter_seek(it->it, key, klen);
}
void store_iter_seek_for_prev(store_iter_t *it, const char *key, size_t klen)
{
    rocksdb_iter_seek_for_prev(it->it, key, klen);
}
bool store_iter_valid(store_iter_t *it)
{
    return rocksdb_iter_valid(it->it);
}
void store_iter_next(store_iter_t *it)
{
    rocksdb_iter_next(it->it);
}
void store_iter_prev(store_iter_t *it)
{
    rocksdb_iter_prev(it->it);
}
const char *store_iter_key(store_iter_t *it, size_t *klen)
{
    return rocksdb_iter_key(it->it, klen);
}
const char *store_iter_value(store_iter_t *it, size_t *vlen)
{
    return rocksdb_iter_value(it->it, vlen);
}
void store_iter_free(store_iter_t *it)
{
    rocksdb_iter_destroy(it->it);
    free(it);
}

uint64_t store_approx_size(store_t *s, store_cf_t cf)
{
    char *v = rocksdb_property_value_cf(s->smdb, s->cf[cf], "rocksdb.total-sst-files-size");
    uint64_t n = v ? strtoull(v, NULL, 10) : 0;
    free(v);
    v = rocksdb_property_value_cf(s->smdb, s->cf[cf], "rocksdb.cur-size-all-mem-tables");
    n += v ? strtoull(v, NULL, 10) : 0;
    free(v);
    return n;
}
