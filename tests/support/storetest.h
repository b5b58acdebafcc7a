/* Shared fixture and helpers of the store unit tests (test_store_log.c,
 * test_store_txn.c, and the PRNG and rm_rf for test_wal.c): a store_t
 * opened on a fresh temporary directory for each test (removed at
 * teardown), a deterministic PRNG, and the small put/delete/get/commit
 * helpers that fail the running cmocka test on error. */
#ifndef REDRAFT_TESTS_STORETEST_H
#define REDRAFT_TESTS_STORETEST_H

#include <stdbool.h>
#include <stdint.h>

#include "storage/store.h"

/* A test's store and its directory (*state of the tests). */
typedef struct {
    char dir[64];
    store_t *s;
} fx_t;

/* cmocka setup/teardown: *state = an fx_t with the store open on a new
 * /tmp/redraft-test-store-XXXXXX; teardown closes it and removes the dir. */
int st_setup(void **state);
int st_teardown(void **state);
/* The stores above queue every commit for the committer thread (what the
 * tests of the queue need); st_setup_inline's (and st_open_store's while it
 * is in use) write small commits in the caller's thread when nothing is
 * queued, as a node that is the only voter does (store_set_inline_commits). */
int st_setup_inline(void **state);
extern bool st_commit_inline;

/* xorshift64 with a fixed seed: the same sequence on every run. */
uint64_t st_rnd(void);
/* Removes dir and everything below it. */
void st_rm_rf(const char *dir);
/* store_open with 64 KB log segments, failing the test if it fails. */
store_t *st_open_store(const char *dir);
/* Closes and opens f's store again: what survives a restart. */
void st_reopen(fx_t *f);
/* store_put / store_del with C-string key and value. */
void st_put(store_txn_t *t, store_cf_t cf, const char *k, const char *v);
void st_del(store_txn_t *t, store_cf_t cf, const char *k);
/* Checks store_get(t, cf, k): want NULL means absent (see expect_get). */
void st_expect_get_at(const char *file, int line, store_txn_t *t, store_cf_t cf, const char *k,
                      const char *want);
/* store_txn_commit, failing the test if it fails. */
void st_commit(store_txn_t *t);
/* One write txn that puts k = v (v NULL: deletes k), committed. */
void st_put_commit(store_t *s, store_cf_t cf, const char *k, const char *v);

/* The short names the tests use. Static inline so that nothing this generic
 * is exported into every test binary (each links all of tests/support/). */
static inline uint64_t rnd(void)
{
    return st_rnd();
}

static inline store_t *open_store(const char *dir)
{
    return st_open_store(dir);
}

static inline void reopen(fx_t *f)
{
    st_reopen(f);
}

static inline void tput(store_txn_t *t, store_cf_t cf, const char *k, const char *v)
{
    st_put(t, cf, k, v);
}

static inline void tdel(store_txn_t *t, store_cf_t cf, const char *k)
{
    st_del(t, cf, k);
}

static inline void commit(store_txn_t *t)
{
    st_commit(t);
}

static inline void put_commit(store_t *s, store_cf_t cf, const char *k, const char *v)
{
    st_put_commit(s, cf, k, v);
}

struct snap_manifest;
/* Fails the test unless b is a's manifest: index, term, configuration, every
 * file's name, size and checksum, and b's byte total. */
void st_expect_same_manifest(const struct snap_manifest *a, const struct snap_manifest *b);

/* Checks store_get(t, cf, k): want NULL means absent. */
#define expect_get(t, cf, k, want) st_expect_get_at(__FILE__, __LINE__, (t), (cf), (k), (want))

#endif
