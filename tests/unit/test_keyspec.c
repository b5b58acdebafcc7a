/* The key specs (src/cmd/keyspec.c, command.h):
 *  - every registered command's specs are well formed, and its first/last/
 *    step and movablekeys flag are what Redis derives from them;
 *  - cmd_get_keys on specs no registered command has yet (keyword search
 *    both ways, a range with a limit, not-key and incomplete specs), and the
 *    count it returns when the buffer is too small;
 *  - cmd_get_keys_fallback's reading of numkeys (atoi, as Redis).
 * The registered specs themselves are compared with redis-server's by
 * tests/integration/test_diff_command.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/command.h"
#include "node/node.h"

static int setup(void **state)
{
    cmd_register_data_commands();
    node_register_commands();
    return 0;
}

static void check_command(const char *name, const command_t *cmd)
{
    for (const key_spec_t *ks = cmd->key_specs; ks && ks->begin != KS_BS_END; ks++) {
        uint32_t access = ks->flags & (KS_RO | KS_RW | KS_OW | KS_RM);
        /* a name that is no key (SSUBSCRIBE's shard channels) has no access flag, as in Redis */
        if (__builtin_popcount(access) != ((ks->flags & KS_NOT_KEY) && !access ? 0 : 1))
            fail_msg("%s: a spec needs one of RO RW OW RM", name);
        if (ks->keystep < 1) fail_msg("%s: keystep %d", name, ks->keystep);
        if (ks->begin == KS_BS_INDEX && ks->index < 1) fail_msg("%s: index %d", name, ks->index);
        if (ks->begin == KS_BS_KEYWORD && !ks->keyword) fail_msg("%s: keyword spec without keyword", name);
        if ((ks->flags & KS_VARIABLE_FLAGS) && !ks->key_flags) fail_msg("%s: variable flags without key_flags", name);
    }
    int first, last, step;
    bool movable;
    cmd_legacy_range(cmd, &first, &last, &step, &movable);
    if (first != cmd->first_key || last != cmd->last_key || step != cmd->key_step)
        fail_msg("%s: first/last/step %d %d %d in the table, %d %d %d from its key specs", name, cmd->first_key,
                 cmd->last_key, cmd->key_step, first, last, step);
    if (movable != !!(cmd->flags & CMD_MOVABLEKEYS))
        fail_msg("%s: movablekeys is %s in the table, %s from its key specs", name,
                 cmd->flags & CMD_MOVABLEKEYS ? "on" : "off", movable ? "on" : "off");
}

/* Every command and subcommand, internal ones included. */
static void test_table_consistent(void **state)
{
    int with_specs = 0;
    for (size_t i = 0; i < cmd_table_count(); i++) {
        const command_t *cmd = cmd_table_at(i);
        check_command(cmd->name, cmd);
        with_specs += cmd_has_keys(cmd);
        for (const command_t *s = cmd->subcommands; s && s->name; s++) {
            char name[64];
            snprintf(name, sizeof(name), "%s|%s", cmd->name, s->name);
            check_command(name, s);
            with_specs += cmd_has_keys(s);
        }
    }
    assert_true(with_specs > 100);
    assert_false(cmd_has_keys(cmd_lookup("flushall", 8)));
    assert_true(cmd_has_keys(cmd_lookup("__expire", 8)));
}

/* Keys of a line of C strings: "pos:flags" joined by spaces, or "-1". */
static const char *keys_of(const command_t *cmd, bool fallback, const char *line)
{
    static char out[256];
    char buf[256];
    const char *argv[32];
    size_t lens[32];
    int argc = 0;
    snprintf(buf, sizeof(buf), "%s", line);
    for (char *t = strtok(buf, " "); t && argc < 32; t = strtok(NULL, " ")) {
        argv[argc] = t;
        lens[argc++] = strlen(t);
    }
    cmd_key_t keys[8];
    int n = fallback ? cmd_get_keys_fallback(cmd, argc, argv, lens, keys, 8)
                     : cmd_get_keys(cmd, argc, argv, lens, keys, 8);
    if (n < 0) return "-1";
    out[0] = '\0';
    for (int i = 0; i < n && i < 8; i++)
        snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%d:%x", i ? " " : "", keys[i].pos,
                 keys[i].flags);
    return out;
}

#define RO (KS_RO | KS_ACCESS)
#define OW (KS_OW | KS_UPDATE)

/* SORT-like: the key, then STORE's key found by keyword; MIGRATE-like: the
 * keys after KEYS, searched backwards from the end. */
static void test_keyword(void **state)
{
    command_t sort = {.name = "sortlike",
                      .key_specs = KEYSPECS(KS_ONE(1, RO),
                                            {.flags = OW, .begin = KS_BS_KEYWORD, .keyword = "STORE", .startfrom = 1,
                                             .find = KS_FK_RANGE, .keystep = 1})};
    assert_string_equal(keys_of(&sort, false, "sort k"), "1:11");
    assert_string_equal(keys_of(&sort, false, "sort k BY x store d"), "1:11 5:24");
    /* searched up to the next-to-last argument only: a last STORE has no key */
    assert_string_equal(keys_of(&sort, false, "sort k STORE"), "1:11");
    command_t mig = {.name = "migratelike",
                     .key_specs = KEYSPECS({.flags = KS_RW | KS_ACCESS | KS_DELETE, .begin = KS_BS_KEYWORD,
                                            .keyword = "KEYS", .startfrom = -2, .find = KS_FK_RANGE,
                                            .lastkey = -1, .keystep = 1})};
    assert_string_equal(keys_of(&mig, false, "m h p \"\" 0 5 KEYS a b"), "7:92 8:92");
    /* backwards from argc-2: the KEYS nearest the end wins */
    assert_string_equal(keys_of(&mig, false, "m KEYS x KEYS a b"), "4:92 5:92");
    assert_string_equal(keys_of(&mig, false, "m h p k 0 5"), "");
}

/* A range with a limit (Redis: (argc - first) / limit keys), a not-key spec,
 * an incomplete spec, and more keys than the buffer. */
static void test_range_and_flags(void **state)
{
    command_t lim = {.name = "limited",
                     .key_specs = KEYSPECS({.flags = RO, .begin = KS_BS_INDEX, .index = 1, .find = KS_FK_RANGE,
                                            .lastkey = -1, .keystep = 1, .limit = 2})};
    assert_string_equal(keys_of(&lim, false, "c a b x y"), "1:11 2:11");
    command_t notkey = {.name = "notkey",
                        .key_specs = KEYSPECS(KS_ONE(1, RO | KS_NOT_KEY), KS_ONE(2, RO))};
    assert_string_equal(keys_of(&notkey, false, "c a b"), "2:11");
    command_t inc = {.name = "incomplete", .key_specs = KEYSPECS(KS_ONE(1, RO | KS_INCOMPLETE))};
    assert_string_equal(keys_of(&inc, false, "c a"), "-1");
    /* mset a 1 b: the range ends at the last argument, stepping by 2 */
    const command_t *mset = cmd_lookup("mset", 4);
    assert_string_equal(keys_of(mset, false, "mset a 1 b"), "1:24 3:24");
    const char *argv[20];
    size_t lens[20];
    for (int i = 0; i < 20; i++) argv[i] = "k", lens[i] = 1;
    cmd_key_t keys[4];
    const command_t *del = cmd_lookup("del", 3);
    assert_int_equal(cmd_get_keys(del, 20, argv, lens, keys, 4), 19);
    assert_int_equal(keys[3].pos, 4);
    assert_int_equal(keys[3].flags, KS_RM | KS_DELETE);
}

/* The spec reads numkeys with string2ll; the fallback with atoi, and only
 * when the spec failed. */
static void test_numkeys(void **state)
{
    const command_t *zs = cmd_lookup("zunionstore", 11), *bl = cmd_lookup("blmpop", 6);
    assert_string_equal(keys_of(zs, false, "z d 2 a b"), "1:24 3:11 4:11");
    assert_string_equal(keys_of(zs, false, "z d 0 a"), "-1");
    assert_string_equal(keys_of(zs, false, "z d 2x a b"), "-1");
    assert_string_equal(keys_of(zs, false, "z d 4294967298 a b"), "1:24 3:11 4:11");
    assert_string_equal(keys_of(zs, true, "z d 2x a b"), "3:0 4:0 1:0");
    assert_string_equal(keys_of(zs, true, "z d +2 a b"), "3:0 4:0 1:0");
    assert_string_equal(keys_of(zs, true, "z d -4294967294 a b"), "3:0 4:0 1:0");
    assert_string_equal(keys_of(zs, true, "z d 4294967297x a b"), "3:0 1:0");
    assert_string_equal(keys_of(zs, true, "z d 3 a b"), "");
    assert_string_equal(keys_of(zs, true, "z d 9223372036854775808 a b"), ""); /* LONG_MAX: (int) -1 */
    assert_string_equal(keys_of(zs, true, "z d -9223372036854775809 a b"), ""); /* LONG_MIN: (int) 0 */
    assert_string_equal(keys_of(bl, true, "b 0 1x a LEFT"), "3:0");
    assert_string_equal(keys_of(cmd_lookup("get", 3), true, "get a"), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_consistent),
        cmocka_unit_test(test_keyword),
        cmocka_unit_test(test_range_and_flags),
        cmocka_unit_test(test_numkeys),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
