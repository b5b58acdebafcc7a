/* See cmdtest.h. Kept independent of the network and raft layers: a command
 * runs exactly as the node runs it, minus the log. */
#include "support/cmdtest.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <rocksdb/c.h>

#define CT_MAXARGS 256

/* Opens the store in t->dir and loads the counters, failing the test if
 * RocksDB refuses: nothing else can be tested without it. */
static void ct_open_store(cmdtest_t *t)
{
    char err[256] = "";
    store_options_t o = {.wal_segment_size = 64 * 1024}; /* the log is not used: keep opening cheap */
    t->store = store_open_opts(t->dir, &o, err, sizeof(err));
    if (!t->store) fail_msg("store_open(%s): %s", t->dir, err);
    db_load(&t->db, t->store);
}

/* Every test gets its own directory, so tests never see each other's keys. */
cmdtest_t *ct_open(void)
{
    cmd_register_data_commands();
    cmdtest_t *t = calloc(1, sizeof(*t));
    snprintf(t->dir, sizeof(t->dir), "/tmp/redraft-cmdtest-XXXXXX");
    if (!mkdtemp(t->dir)) fail_msg("mkdtemp failed");
    ct_open_store(t);
    t->proto = 2;
    reply_init(&t->reply, t->proto);
    t->now_ms = CT_T0;
    return t;
}

int ct_setup(void **state)
{
    *state = ct_open();
    return 0;
}

int ct_teardown(void **state)
{
    ct_close(*state);
    return 0;
}

/* nftw callback: directories come after their contents (FTW_DEPTH). */
static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Leaves nothing behind in /tmp. */
void ct_close(cmdtest_t *t)
{
    if (!t) return;
    store_close(t->store);
    nftw(t->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    reply_free(&t->reply);
    free(t->out);
    free(t);
}

/* Restart: the counters must come back from what db_save wrote. */
void ct_reopen(cmdtest_t *t)
{
    store_close(t->store);
    memset(&t->db, 0, sizeof(t->db));
    ct_open_store(t);
}

/* The dispatcher's job in the server: find the command and check its
 * arity; the flag check guards the command table itself. */
const char *ct_run(cmdtest_t *t, bool write, bool check_flags, int argc, const char *const *argv,
                   const size_t *lens)
{
    const command_t *cmd = cmd_lookup(argv[0], lens[0]);
    if (!cmd) fail_msg("unknown command %.*s", (int)lens[0], argv[0]);
    if (check_flags && write != ((cmd->flags & CMD_WRITE) != 0))
        fail_msg("%s run as a %s but its flags say otherwise", cmd->name, write ? "write" : "read");

    reply_clear(&t->reply);
    t->reply.proto = t->proto;
    t->blocked = false;
    t->block_timeout_ms = 0;
    if ((cmd->arity > 0 && argc != cmd->arity) || (cmd->arity < 0 && argc < -cmd->arity)) {
        reply_wrong_arity(&t->reply, cmd->name);
    } else {
        cmd_ctx_t c = {
            .argc = argc,
            .argv = argv,
            .argvlen = lens,
            .txn = store_txn_begin(t->store, write),
            .reply = &t->reply,
            .now_ms = t->now_ms,
            .index = write ? t->index + 1 : 0,
            .db = &t->db,
        };
        cmd->proc(&c);
        t->blocked = c.blocked;
        t->block_timeout_ms = c.block_timeout_ms;
        if (write) {
            char err[256] = "";
            t->index++;
            t->db.applied = t->index;
            db_save(&t->db, c.txn);
            if (store_txn_commit(c.txn, err, sizeof(err)) < 0) fail_msg("commit: %s", err);
        } else {
            store_txn_abort(c.txn);
        }
    }
    free(t->out);
    t->outlen = t->reply.len;
    t->out = malloc(t->outlen + 1);
    memcpy(t->out, t->reply.buf, t->outlen);
    t->out[t->outlen] = '\0';
    return t->out;
}

const char *ct_runv(cmdtest_t *t, bool write, bool check_flags, int argc, const char *const *argv)
{
    size_t lens[CT_MAXARGS];
    if (argc > CT_MAXARGS) fail_msg("too many arguments");
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    return ct_run(t, write, check_flags, argc, argv, lens);
}

/* Collects the NULL-terminated argument list into argv/lens. */
static const char *ct_runva(cmdtest_t *t, bool write, const char *arg0, va_list ap)
{
    const char *argv[CT_MAXARGS];
    size_t lens[CT_MAXARGS];
    int argc = 0;
    for (const char *a = arg0; a; a = va_arg(ap, const char *)) {
        if (argc == CT_MAXARGS) fail_msg("too many arguments");
        argv[argc] = a;
        lens[argc] = strlen(a);
        argc++;
    }
    return ct_run(t, write, true, argc, argv, lens);
}

/* Variadic fronts for the common, text-only case. */
const char *ct_write(cmdtest_t *t, const char *arg0, ...)
{
    va_list ap;
    va_start(ap, arg0);
    const char *r = ct_runva(t, true, arg0, ap);
    va_end(ap);
    return r;
}

const char *ct_read(cmdtest_t *t, const char *arg0, ...)
{
    va_list ap;
    va_start(ap, arg0);
    const char *r = ct_runva(t, false, arg0, ap);
    va_end(ap);
    return r;
}

/* db_set_string does the accounting (key counter, expiry index); the
 * record is then replaced by the collection's. */
void ct_put_collection(cmdtest_t *t, const char *key, size_t klen, obj_type_t type, uint64_t size,
                       int64_t expire_ms)
{
    char err[256] = "", rec[ENC_META_MAX];
    char *mk = malloc(klen + 1);
    cmd_ctx_t c = {.txn = store_txn_begin(t->store, true),
                   .reply = &t->reply,
                   .now_ms = t->now_ms,
                   .db = &t->db};
    dbkey_t old;
    reply_clear(&t->reply);
    if (db_lookup(&c, key, klen, &old) < 0) fail_msg("lookup failed");
    db_set_string(&c, key, klen, "", 0, expire_ms, &old);
    db_release(&old);
    size_t reclen = enc_meta_encode_coll(rec, type, expire_ms, (t->index + 1) << 16, size, 1ULL << 63);
    store_put(c.txn, CF_DATA, mk, enc_meta_key(mk, key, klen), rec, reclen);
    t->index++;
    t->db.applied = t->index;
    db_save(&t->db, c.txn);
    if (store_txn_commit(c.txn, err, sizeof(err)) < 0) fail_msg("commit: %s", err);
    free(mk);
}

/* Counts on disk, independently of the counters under test. */
size_t ct_count_prefix(cmdtest_t *t, char prefix)
{
    store_txn_t *txn = store_txn_begin(t->store, false);
    store_iter_t *it = store_iter_new(txn, CF_DATA);
    size_t n = 0;
    for (store_iter_seek(it, &prefix, 1); store_iter_valid(it); store_iter_next(it)) {
        size_t kl;
        const char *k = store_iter_key(it, &kl);
        if (kl < 1 || k[0] != prefix) break;
        n++;
    }
    store_iter_free(it);
    store_txn_abort(txn);
    return n;
}

/* Prints both sides on a mismatch: the assertion alone says too little. */
uint64_t ct_tombstones_skipped(void)
{
    static rocksdb_perfcontext_t *pc;
    if (!pc) pc = rocksdb_perfcontext_create();
    uint64_t n = rocksdb_perfcontext_metric(pc, rocksdb_internal_delete_skipped_count);
    rocksdb_perfcontext_reset(pc);
    /* (re)enabled: opening a store turns counting off (store_thread_init) */
    rocksdb_set_perf_level(rocksdb_enable_count);
    return n;
}

bool ct_counters_consistent(cmdtest_t *t)
{
    size_t m = ct_count_prefix(t, ENC_META_PREFIX), e = ct_count_prefix(t, ENC_EXPIRE_PREFIX);
    if ((int64_t)m != t->db.nkeys || (int64_t)e != t->db.nexpires) {
        fprintf(stderr, "counters: nkeys=%lld (disk %zu) nexpires=%lld (disk %zu)\n",
                (long long)t->db.nkeys, m, (long long)t->db.nexpires, e);
        return false;
    }
    return true;
}

/* ---- checking replies ------------------------------------------------------ */

ct_bulk_t ct_read_bulk(const char *r, size_t rlen, size_t *pos)
{
    ct_bulk_t b;
    char *end;
    assert_true(*pos < rlen && r[*pos] == '$');
    b.len = strtoul(r + *pos + 1, &end, 10);
    b.p = end + 2;
    *pos = (size_t)(b.p - r) + b.len + 2;
    assert_true(*pos <= rlen);
    return b;
}

size_t ct_read_agg(const char *r, size_t rlen, size_t *pos, char type)
{
    char *end;
    assert_true(*pos < rlen);
    assert_int_equal(r[*pos], type);
    size_t n = strtoul(r + *pos + 1, &end, 10);
    *pos = (size_t)(end - r) + 2;
    return n;
}

uint64_t ct_scan(cmdtest_t *t, const char *cmd, const char *key, uint64_t cursor,
                 const char *const *opts, int nopts, size_t *pos, size_t *nitems)
{
    char cur[32];
    snprintf(cur, sizeof(cur), "%llu", (unsigned long long)cursor);
    const char *argv[CT_MAXARGS];
    int argc = 0;
    argv[argc++] = cmd;
    if (key) argv[argc++] = key;
    argv[argc++] = cur;
    if (argc + nopts > CT_MAXARGS) fail_msg("too many arguments");
    for (int i = 0; i < nopts; i++)
        argv[argc++] = opts[i];
    ct_runv(t, false, true, argc, argv);
    *pos = 0;
    assert_int_equal(ct_read_agg(t->out, t->outlen, pos, '*'), 2);
    ct_bulk_t c = ct_read_bulk(t->out, t->outlen, pos);
    char buf[32];
    assert_true(c.len > 0 && c.len < sizeof(buf));
    memcpy(buf, c.p, c.len);
    buf[c.len] = '\0';
    *nitems = ct_read_agg(t->out, t->outlen, pos, '*');
    return strtoull(buf, NULL, 10);
}

const command_t *ct_command(const char *name, int arity, uint32_t flags, int first, int last,
                            int step)
{
    cmd_register_data_commands();
    const command_t *c = cmd_lookup(name, strlen(name));
    assert_non_null(c);
    assert_string_equal(c->name, name);
    assert_int_equal(c->arity, arity);
    assert_int_equal(c->flags, flags);
    assert_int_equal(c->first_key, first);
    assert_int_equal(c->last_key, last);
    assert_int_equal(c->key_step, step);
    return c;
}
