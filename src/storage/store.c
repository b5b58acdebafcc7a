/* The log (wal.c) and RocksDB behind the small interface of store.h: opening,
 * closing, snapshots' checkpoint and install, the compaction filter. The
 * state machine's transactions, the committer and iterators are in
 * store_txn.c. */
#include "storage/store.h"
#include "storage/store_int.h"
#include "storage/cache.h"
#include "storage/encoding.h"
#include "storage/snapshot.h"
#include "util/crc32c.h"
#include "util/log.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>
#include <rocksdb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SM_CURRENT "SM_CURRENT"
/* a data-CF file is compacted early when some window of TOMBSTONE_WINDOW
 * consecutive entries holds TOMBSTONE_TRIGGER deletions or more */
#define TOMBSTONE_WINDOW 10000
#define TOMBSTONE_TRIGGER 5000
static const char *const sm_cf_names[3] = {"default", "meta", "data"};

void store_set_err(char *err, size_t errlen, const char *what, char *rerr)
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
        store_set_err(err, errlen, "rocksdb open state machine", rerr);
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
        store_set_err(err, errlen, "rocksdb checkpoint", rerr);
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
        store_set_err(err, errlen, "open checkpoint", rerr);
        return -1;
    }
    size_t vlen = 0;
    char *v = rocksdb_get_cf(db, s->ropts, h[1] /* meta */, applied_key, strlen(applied_key), &vlen,
                             &rerr);
    int rc = 0;
    if (rerr) {
        store_set_err(err, errlen, "read checkpoint", rerr);
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
    store_cache_reset(s);
    snprintf(path, sizeof(path), "%s/%s", s->dir, old);
    snap_rmtree(path);
    return 0;
}

/* The data CF's options start from the shared ones plus an insert hint per
 * record kind (the key's first byte: 'm', 's', 'e'). An apply batch is
 * written in key order (store_txn.c build_batch); with a hint, each memtable
 * insert walks up from where the previous insert of its kind ended, only as
 * far as needed, instead of from the top of the skiplist. Memtable inserts
 * are most of the committer's time on every node; sorted batches of 800
 * random keys went in 25-30 % faster (docs/benchmarks.md). The C API has no
 * setter for this option, so it goes through RocksDB's options string; a
 * library that does not know it gets the plain copy. The prefix is fixed,
 * not capped: the empty key is outside its domain, and that is what keeps
 * FLUSHALL's range tombstone (which starts there) away from the hints
 * (store_clear). */
static rocksdb_options_t *data_cf_options(rocksdb_options_t *base)
{
    rocksdb_options_t *o = rocksdb_options_create();
    char *rerr = NULL;
    rocksdb_get_options_from_string(base, "memtable_insert_with_hint_prefix_extractor=rocksdb.FixedPrefix.1", o,
                                    &rerr);
    if (!rerr) return o;
    log_warn("memtable_insert_hint_unavailable", " error=\"%s\"", rerr);
    rocksdb_free(rerr);
    rocksdb_options_destroy(o);
    return rocksdb_options_create_copy(base);
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
    s->data_opts = data_cf_options(s->opts);
    rocksdb_options_set_block_based_table_factory(s->data_opts, s->table_opts);
    /* small memtables: an insert or a seek walks a skiplist whose every
     * level is a memory stall; 4 MB kept writes as fast as 8 MB and made
     * random draws (SPOP: seeks) twice as fast (docs/benchmarks.md) */
    rocksdb_options_set_write_buffer_size(s->data_opts, 4u << 20);
    rocksdb_options_set_max_write_buffer_number(s->data_opts, 4);
    /* L0 files are merged into L1 eight at a time, not four: with random
     * keys every L0 -> L1 compaction rewrites all of L1, so this halves that
     * work (compactions were ~15 % of the cores under cluster SET; 2M-write
     * runs gained 13 %). A point read that misses the cache probes up to
     * eight more bloom filters. */
    rocksdb_options_set_level0_file_num_compaction_trigger(s->data_opts, 8);
    /* A file written with runs of deletions (a range of keys deleted or
     * expired together, a drained list) is compacted soon, not when L0
     * happens to fill: until then every iterator that starts before the run
     * steps over each tombstone in it, and SCAN 0, RANDOMKEY or KEYS after
     * 290k contiguous deletes took 45-120 ms each, for as long as no further
     * writes came (2 ms with this; docs/benchmarks.md). Scattered deletes
     * stay below half of every window and change nothing. */
    rocksdb_options_add_compact_on_deletion_collector_factory(s->data_opts, TOMBSTONE_WINDOW, TOMBSTONE_TRIGGER);
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

    /* The state machine writes without RocksDB's WAL: every apply batch is
     * an entry of the raft log, which is synced, and the applied index is
     * in the same atomic batch as the data, with all column families flushed
     * together (atomic flush). After a crash RocksDB comes back at its last
     * flush and the entries after that flush's applied index are applied
     * again from the log. The log keeps them: it is compacted only behind a
     * snapshot, whose checkpoint flushed the live database first. The WAL
     * was a second copy of every write (~a third of the disk's write
     * traffic under load), beside the raft log's fsyncs on the same disk. */
    s->wnosync = rocksdb_writeoptions_create();
    rocksdb_writeoptions_disable_WAL(s->wnosync, 1);
    s->wsync = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(s->wsync, 1);
    s->reader_ptr = store_reader_new(s);
    store_committer_start(s);
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
    if (s->wsync) rocksdb_writeoptions_destroy(s->wsync);
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

/* A state-machine record written outside the log (the founding members):
 * nothing would replay it, so it goes through RocksDB's WAL, synced. */
int store_sm_put_sync(store_t *s, store_cf_t cf, const char *key, size_t klen, const char *val, size_t vlen,
                      char *err, size_t errlen)
{
    if (cf == CF_DATA) { /* the read cache would not see it */
        snprintf(err, errlen, "put: only metadata is written outside a transaction");
        return -1;
    }
    char *rerr = NULL;
    rocksdb_put_cf(s->smdb, s->wsync, s->cf[cf], key, klen, val, vlen, &rerr);
    if (rerr) {
        store_set_err(err, errlen, "put", rerr);
        return -1;
    }
    return 0;
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

/* A numeric RocksDB property of one column family (0 when unknown). */
static uint64_t cf_property(store_t *s, store_cf_t cf, const char *name)
{
    char *v = rocksdb_property_value_cf(s->smdb, s->cf[cf], name);
    uint64_t n = v ? strtoull(v, NULL, 10) : 0;
    free(v);
    return n;
}

bool store_flush_tombstones(store_t *s)
{
    uint64_t dels = cf_property(s, CF_DATA, "rocksdb.num-deletes-active-mem-table");
    if (dels < TOMBSTONE_TRIGGER || dels * 2 < cf_property(s, CF_DATA, "rocksdb.num-entries-active-mem-table"))
        return false;
    rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
    rocksdb_flushoptions_set_wait(fo, 0);
    char *rerr = NULL;
    rocksdb_flush_cf(s->smdb, fo, s->cf[CF_DATA], &rerr);
    rocksdb_flushoptions_destroy(fo);
    if (rerr) {
        log_warn("tombstone_flush_failed", " error=\"%s\"", rerr);
        free(rerr);
        return false;
    }
    log_debug("tombstone_flush", " deletes=%" PRIu64, dels);
    return true;
}

uint64_t store_approx_size(store_t *s, store_cf_t cf)
{
    return cf_property(s, cf, "rocksdb.total-sst-files-size") + cf_property(s, cf, "rocksdb.cur-size-all-mem-tables");
}
