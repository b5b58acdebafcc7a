/* The collection layer under the families (src/cmd/coll.c) and what keeps
 * deletion O(1): versions that never repeat, and the compaction filter that
 * reclaims the sub-keys of deleted or replaced collections. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/coll.h"
#include "support/cmdtest.h"

/* Writes n fields f0..f{n-1} into hash key through HSET, one entry. */
static void fill_hash(cmdtest_t *t, const char *key, int n)
{
    const char *argv[2 + 2 * 64];
    size_t lens[2 + 2 * 64];
    char names[64][16];
    for (int base = 0; base < n; base += 64) {
        int argc = 0;
        argv[argc] = "HSET", lens[argc++] = 4;
        argv[argc] = key, lens[argc++] = strlen(key);
        for (int i = base; i < n && i < base + 64; i++) {
            snprintf(names[i - base], sizeof(names[0]), "f%d", i);
            argv[argc] = names[i - base], lens[argc++] = strlen(names[i - base]);
            argv[argc] = "v", lens[argc++] = 1;
        }
        const char *r = ct_run(t, true, true, argc, argv, lens);
        assert_true(r[0] == ':');
    }
}

/* DEL of a big hash deletes one record; the filter reclaims the rest at the
 * next compaction, and leaves a live collection's elements alone. */
static void test_compaction_reclaims_deleted_collections(void **state)
{
    cmdtest_t *t = *state;
    fill_hash(t, "big", 500);
    fill_hash(t, "keep", 20);
    assert_int_equal(ct_count_prefix(t, 's'), 520);
    assert_string_equal(CT_W(t, "DEL", "big"), ":1\r\n");
    /* deletion wrote no sub-key: they stay until compaction */
    assert_int_equal(ct_count_prefix(t, 's'), 520);
    store_compact_data(t->store);
    assert_int_equal(ct_count_prefix(t, 's'), 20);
    assert_string_equal(CT_R(t, "HLEN", "keep"), ":20\r\n");
    assert_string_equal(CT_R(t, "HGET", "keep", "f19"), "$1\r\nv\r\n");
    assert_true(ct_counters_consistent(t));
}

/* A collection replaced under the same name (by a string, by a new hash)
 * leaves its old version's elements unreachable and then reclaimed. */
static void test_replaced_collections(void **state)
{
    cmdtest_t *t = *state;
    fill_hash(t, "h", 30);
    assert_string_equal(CT_W(t, "SET", "h", "now a string"), "+OK\r\n");
    fill_hash(t, "g", 30);
    assert_string_equal(CT_W(t, "DEL", "g"), ":1\r\n");
    assert_string_equal(CT_W(t, "HSET", "g", "only", "1"), ":1\r\n");
    /* the new g sees none of the old fields */
    assert_string_equal(CT_R(t, "HLEN", "g"), ":1\r\n");
    assert_string_equal(CT_R(t, "HGET", "g", "f3"), "$-1\r\n");
    assert_int_equal(ct_count_prefix(t, 's'), 61);
    store_compact_data(t->store);
    assert_int_equal(ct_count_prefix(t, 's'), 1);
    assert_string_equal(CT_R(t, "GET", "h"), "$12\r\nnow a string\r\n");
    /* an emptied collection is no key, and its elements go too */
    fill_hash(t, "e", 3);
    assert_string_equal(CT_W(t, "HDEL", "e", "f0", "f1", "f2"), ":3\r\n");
    assert_string_equal(CT_R(t, "EXISTS", "e"), ":0\r\n");
    store_compact_data(t->store);
    assert_int_equal(ct_count_prefix(t, 's'), 1);
    /* and after a restart everything reads the same */
    ct_reopen(t);
    assert_string_equal(CT_R(t, "HGET", "g", "only"), "$1\r\n1\r\n");
    assert_true(ct_counters_consistent(t));
}

/* Versions grow strictly, even for two creations in one command, and the
 * last one survives a restart (it is part of the state machine). */
static void test_versions_never_repeat(void **state)
{
    cmdtest_t *t = *state;
    cmd_ctx_t c = {.txn = store_txn_begin(t->store, true), .reply = &t->reply, .now_ms = t->now_ms,
                   .db = &t->db, .index = 7, .seq = 2};
    uint64_t a = db_new_version(&c), b = db_new_version(&c);
    assert_true(a == (7ULL << 16 | 2));
    assert_true(b == a + 1);
    c.index = 3; /* never smaller in practice; still never repeats */
    uint64_t d = db_new_version(&c);
    assert_true(d == b + 1);
    db_save(&t->db, c.txn);
    char err[128];
    assert_int_equal(store_txn_commit(c.txn, err, sizeof(err)), 0);
    ct_reopen(t);
    assert_true(t->db.version == d);
}

/* RENAME of a collection moves every element under the new name. */
static void test_rename_moves_elements(void **state)
{
    cmdtest_t *t = *state;
    fill_hash(t, "src", 100);
    assert_string_equal(CT_W(t, "PEXPIRE", "src", "100000"), ":1\r\n");
    assert_string_equal(CT_W(t, "RENAME", "src", "dst"), "+OK\r\n");
    assert_string_equal(CT_R(t, "HLEN", "dst"), ":100\r\n");
    assert_string_equal(CT_R(t, "HGET", "dst", "f99"), "$1\r\nv\r\n");
    assert_string_equal(CT_R(t, "EXISTS", "src"), ":0\r\n");
    assert_string_equal(CT_R(t, "PTTL", "dst"), ":100000\r\n");
    store_compact_data(t->store);
    assert_int_equal(ct_count_prefix(t, 's'), 100);
    assert_true(ct_counters_consistent(t));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_compaction_reclaims_deleted_collections, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_replaced_collections, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_versions_never_repeat, ct_setup, ct_teardown),
        cmocka_unit_test_setup_teardown(test_rename_moves_elements, ct_setup, ct_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
