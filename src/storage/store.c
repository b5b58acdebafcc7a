/* RocksDB behind the small interface of store.h. */
#include "storage/store.h"
#include "storage/encoding.h"
#include "util/crc32c.h"

#include <rocksdb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *cf_names[CF_COUNT + 1] = {"log", "meta", "data", "default"};

struct store {
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_options_t *cf_opts[CF_COUNT + 1];
    rocksdb_column_family_handle_t *cf[CF_COUNT + 1];
    rocksdb_block_based_table_options_t *table_opts;
    rocksdb_cache_t *cache;
    rocksdb_writeoptions_t *wsync, *wnosync;
    rocksdb_readoptions_t *ropts;
};

struct store_txn {
    store_t *s;
    rocksdb_writebatch_wi_t *wb; /* NULL for a read txn */
};

struct store_iter {
    rocksdb_iterator_t *it;
};

static void set_err(char *err, size_t errlen, const char *what, char *rerr)
{
    if (err && errlen) snprintf(err, errlen, "%s: %s", what, rerr ? rerr : "unknown error");
    free(rerr);
}

/* The data CF gets a bloom filter and a shared block cache: point lookups of
 * metadata records are the hot read path. The log CF is written and read
 * sequentially and needs neither. */
store_t *store_open(const char *dir, char *err, size_t errlen)
{
    store_t *s = calloc(1, sizeof(*s));
    char *rerr = NULL;

    s->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(s->opts, 1);
    rocksdb_options_set_create_missing_column_families(s->opts, 1);
    rocksdb_options_increase_parallelism(s->opts, 2);
    rocksdb_options_set_max_open_files(s->opts, 1000);
    rocksdb_options_set_info_log_level(s->opts, 2 /* WARN */);
    rocksdb_options_set_keep_log_file_num(s->opts, 3);

    s->cache = rocksdb_cache_create_lru(128u << 20);
    s->table_opts = rocksdb_block_based_options_create();
    rocksdb_block_based_options_set_block_cache(s->table_opts, s->cache);
    rocksdb_block_based_options_set_filter_policy(s->table_opts, rocksdb_filterpolicy_create_bloom_full(10));
    rocksdb_block_based_options_set_cache_index_and_filter_blocks(s->table_opts, 1);

    const char *names[CF_COUNT + 1];
    const rocksdb_options_t *copts[CF_COUNT + 1];
    for (int i = 0; i <= CF_COUNT; i++) {
        s->cf_opts[i] = rocksdb_options_create_copy(s->opts);
        if (i == CF_DATA) {
            rocksdb_options_set_block_based_table_factory(s->cf_opts[i], s->table_opts);
            rocksdb_options_set_write_buffer_size(s->cf_opts[i], 64u << 20);
        }
        names[i] = cf_names[i];
        copts[i] = s->cf_opts[i];
    }
    s->db = rocksdb_open_column_families(s->opts, dir, CF_COUNT + 1, names, copts, s->cf, &rerr);
    if (rerr) {
        set_err(err, errlen, "rocksdb open", rerr);
        store_close(s);
        return NULL;
    }
    s->wsync = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(s->wsync, 1);
    s->wnosync = rocksdb_writeoptions_create();
    s->ropts = rocksdb_readoptions_create();
    return s;
}

void store_close(store_t *s)
{
    if (!s) return;
    for (int i = 0; i <= CF_COUNT; i++)
        if (s->cf[i]) rocksdb_column_family_handle_destroy(s->cf[i]);
    if (s->db) rocksdb_close(s->db);
    for (int i = 0; i <= CF_COUNT; i++)
        if (s->cf_opts[i]) rocksdb_options_destroy(s->cf_opts[i]);
    if (s->opts) rocksdb_options_destroy(s->opts);
    if (s->table_opts) rocksdb_block_based_options_destroy(s->table_opts);
    if (s->cache) rocksdb_cache_destroy(s->cache);
    if (s->wsync) rocksdb_writeoptions_destroy(s->wsync);
    if (s->wnosync) rocksdb_writeoptions_destroy(s->wnosync);
    if (s->ropts) rocksdb_readoptions_destroy(s->ropts);
    free(s);
}

/* ---- the log ---------------------------------------------------------- */

#define LOG_HDR 12 /* crc32c + term */

int store_log_append(store_t *s, const store_entry_t *e, int n, bool sync, char *err, size_t errlen)
{
    rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
    size_t cap = 0;
    char *val = NULL;
    for (int i = 0; i < n; i++) {
        char key[8];
        enc_put_u64(key, e[i].index);
        if (e[i].len + LOG_HDR > cap) {
            cap = e[i].len + LOG_HDR;
            val = realloc(val, cap);
        }
        enc_put_u64(val + 4, e[i].term);
        memcpy(val + LOG_HDR, e[i].data, e[i].len);
        enc_put_u32(val, crc32c(0, val + 4, e[i].len + 8));
        rocksdb_writebatch_put_cf(wb, s->cf[CF_LOG], key, 8, val, e[i].len + LOG_HDR);
    }
    free(val);
    char *rerr = NULL;
    rocksdb_write(s->db, sync ? s->wsync : s->wnosync, wb, &rerr);
    rocksdb_writebatch_destroy(wb);
    if (rerr) {
        set_err(err, errlen, "log append", rerr);
        return -1;
    }
    return 0;
}

int store_log_get(store_t *s, uint64_t index, store_entry_t *out, char *err, size_t errlen)
{
    char key[8], *rerr = NULL;
    size_t vlen;
    enc_put_u64(key, index);
    char *v = rocksdb_get_cf(s->db, s->ropts, s->cf[CF_LOG], key, 8, &vlen, &rerr);
    if (rerr) {
        set_err(err, errlen, "log read", rerr);
        return -1;
    }
    if (!v) return 1;
    if (vlen < LOG_HDR || enc_get_u32(v) != crc32c(0, v + 4, vlen - 4)) {
        snprintf(err, errlen, "log entry %llu: checksum mismatch", (unsigned long long)index);
        rocksdb_free(v);
        return -1;
    }
    out->index = index;
    out->term = enc_get_u64(v + 4);
    out->len = vlen - LOG_HDR;
    char *data = malloc(out->len ? out->len : 1);
    memcpy(data, v + LOG_HDR, out->len);
    out->data = data;
    rocksdb_free(v);
    return 0;
}

void store_log_bounds(store_t *s, uint64_t *first, uint64_t *last)
{
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db, s->ropts, s->cf[CF_LOG]);
    size_t kl;
    *first = *last = 0;
    rocksdb_iter_seek_to_first(it);
    if (rocksdb_iter_valid(it)) {
        const char *k = rocksdb_iter_key(it, &kl);
        if (kl == 8) *first = enc_get_u64(k);
        rocksdb_iter_seek_to_last(it);
        k = rocksdb_iter_key(it, &kl);
        if (kl == 8) *last = enc_get_u64(k);
    }
    rocksdb_iter_destroy(it);
}

int store_log_truncate_suffix(store_t *s, uint64_t from, char *err, size_t errlen)
{
    char start[8], end[8];
    enc_put_u64(start, from);
    memset(end, 0xff, 8);
    char *rerr = NULL;
    rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
    rocksdb_writebatch_delete_range_cf(wb, s->cf[CF_LOG], start, 8, end, 8);
    rocksdb_writebatch_delete_cf(wb, s->cf[CF_LOG], end, 8);
    rocksdb_write(s->db, s->wsync, wb, &rerr);
    rocksdb_writebatch_destroy(wb);
    if (rerr) {
        set_err(err, errlen, "log truncate", rerr);
        return -1;
    }
    return 0;
}

/* ---- meta -------------------------------------------------------------- */

uint64_t store_meta_get_u64(store_t *s, const char *name, uint64_t def)
{
    char *rerr = NULL;
    size_t vlen;
    char *v = rocksdb_get_cf(s->db, s->ropts, s->cf[CF_META], name, strlen(name), &vlen, &rerr);
    free(rerr);
    uint64_t r = (v && vlen == 8) ? enc_get_u64(v) : def;
    rocksdb_free(v);
    return r;
}

int store_meta_put_u64(store_t *s, const char *name, uint64_t v, bool sync)
{
    char buf[8], *rerr = NULL;
    enc_put_u64(buf, v);
    rocksdb_put_cf(s->db, sync ? s->wsync : s->wnosync, s->cf[CF_META], name, strlen(name), buf, 8, &rerr);
    if (rerr) {
        free(rerr);
        return -1;
    }
    return 0;
}

/* ---- transactions ------------------------------------------------------ */

store_txn_t *store_txn_begin(store_t *s, bool write)
{
    store_txn_t *t = malloc(sizeof(*t));
    t->s = s;
    t->wb = write ? rocksdb_writebatch_wi_create(0, 1) : NULL;
    return t;
}

bool store_txn_is_write(const store_txn_t *t)
{
    return t->wb != NULL;
}

int store_get(store_txn_t *t, store_cf_t cf, const char *key, size_t klen, char **val, size_t *vlen)
{
    char *rerr = NULL, *v;
    if (t->wb)
        v = rocksdb_writebatch_wi_get_from_batch_and_db_cf(t->wb, t->s->db, t->s->ropts, t->s->cf[cf], key,
                                                           klen, vlen, &rerr);
    else
        v = rocksdb_get_cf(t->s->db, t->s->ropts, t->s->cf[cf], key, klen, vlen, &rerr);
    if (rerr) {
        free(rerr);
        return -1;
    }
    *val = v;
    return v != NULL;
}

void store_put(store_txn_t *t, store_cf_t cf, const char *key, size_t klen, const char *val, size_t vlen)
{
    rocksdb_writebatch_wi_put_cf(t->wb, t->s->cf[cf], key, klen, val, vlen);
}

void store_del(store_txn_t *t, store_cf_t cf, const char *key, size_t klen)
{
    rocksdb_writebatch_wi_delete_cf(t->wb, t->s->cf[cf], key, klen);
}

/* A WriteBatchWithIndex cannot hold a range deletion, so the batch so far and
 * the range deletion are written together right now and the txn continues
 * with an empty batch. Crash-safe for its only user, FLUSHALL: replaying the
 * entries before it cannot change what the range deletion leaves behind. */
void store_del_range(store_txn_t *t, store_cf_t cf, const char *start, size_t slen, const char *end, size_t elen)
{
    size_t sz;
    const char *rep = rocksdb_writebatch_wi_data(t->wb, &sz);
    rocksdb_writebatch_t *wb = rocksdb_writebatch_create_from(rep, sz);
    rocksdb_writebatch_delete_range_cf(wb, t->s->cf[cf], start, slen, end, elen);
    char *rerr = NULL;
    rocksdb_write(t->s->db, t->s->wnosync, wb, &rerr);
    free(rerr);
    rocksdb_writebatch_destroy(wb);
    rocksdb_writebatch_wi_clear(t->wb);
}

int store_txn_commit(store_txn_t *t, char *err, size_t errlen)
{
    int rc = 0;
    if (t->wb) {
        char *rerr = NULL;
        rocksdb_write_writebatch_wi(t->s->db, t->s->wnosync, t->wb, &rerr);
        if (rerr) {
            set_err(err, errlen, "apply", rerr);
            rc = -1;
        }
        rocksdb_writebatch_wi_destroy(t->wb);
    }
    free(t);
    return rc;
}

void store_txn_abort(store_txn_t *t)
{
    if (t->wb) rocksdb_writebatch_wi_destroy(t->wb);
    free(t);
}

void store_free(void *p)
{
    rocksdb_free(p);
}

/* ---- iterators --------------------------------------------------------- */

store_iter_t *store_iter_new(store_txn_t *t, store_cf_t cf)
{
    store_iter_t *it = malloc(sizeof(*it));
    rocksdb_iterator_t *base = rocksdb_create_iterator_cf(t->s->db, t->s->ropts, t->s->cf[cf]);
    it->it = t->wb ? rocksdb_writebatch_wi_create_iterator_with_base_cf(t->wb, base, t->s->cf[cf]) : base;
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
    char *v = rocksdb_property_value_cf(s->db, s->cf[cf], "rocksdb.total-sst-files-size");
    uint64_t n = v ? strtoull(v, NULL, 10) : 0;
    free(v);
    v = rocksdb_property_value_cf(s->db, s->cf[cf], "rocksdb.cur-size-all-mem-tables");
    n += v ? strtoull(v, NULL, 10) : 0;
    free(v);
    return n;
}
