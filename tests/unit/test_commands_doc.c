/* docs/commands.md carries a table generated from the command table itself,
 * so the documentation cannot drift from what the server registers: this
 * test generates the table and fails when the file's copy differs.
 * `make docs` (UPDATE_DOCS=1) rewrites the file's generated part instead. */
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
#include "support/respcmp.h"

#define DOC "docs/commands.md"
#define BEGIN "<!-- BEGIN GENERATED: make docs writes this table from the command table -->\n"
#define END "<!-- END GENERATED -->\n"

/* Where redraft's behaviour differs from Redis 7.0 for one command; the
 * rest of the differences are described in the hand-written part. */
static const struct {
    const char *name, *note;
} notes[] = {
    {"copy", "DB 0 only; O(N) for a collection (its elements are copied)"},
    {"rename", "O(N) for a collection (its elements move to the new name)"},
    {"renamenx", "O(N) for a collection"},
    {"select", "database 0 only"},
    {"config", "GET, RESETSTAT; SET of maxclients and the SLOWLOG settings only (this node); REWRITE refused"},
    {"exec", "a transaction with a write is one log entry"},
    {"wait", "counts the other members (voters, learners) whose log holds the connection's last write; an acknowledged write is on a majority already"},
    {"publish", "reaches the subscribers of every member (over the peer links, not the log); answers the receivers on this node"},
    {"spublish", "as PUBLISH: one shard, every member"},
    {"pubsub", "counts this node's subscribers"},
    {"slowlog", "execution time only (a write's apply, a read's run); followers log the slow writes they apply, with an empty client address; passwords shown (redacted), as Redis"},
    {"bgsave", "a raft snapshot of this node, and its log compacted (see RAFT.SNAPSHOT); not an RDB file"},
    {"lastsave", "the latest snapshot's time (the node's start before the first)"},
    {"shutdown", "stops this node as SIGTERM does; SAVE, NOSAVE, NOW, FORCE change nothing (every acknowledged write is in the log); ABORT: never a shutdown in progress"},
    {"scan", "cursors map to key order (node-local table)"},
    {"keys", "key order"},
    {"randomkey", "fair between key groups, not exactly uniform"},
    {"info", "adds a # Raft section and redraft fields"},
    {"object", "ENCODING derived from the contents and the conversions Redis would have made; IDLETIME always 0; FREQ as without LFU"},
    {"hkeys", "field byte order"},
    {"hvals", "field byte order"},
    {"hgetall", "field byte order"},
    {"hscan", "field byte order; cursors map to fields (node-local table); COUNT paging for small hashes too"},
    {"hrandfield", "above 128 fields O(log N) seeks a draw, near-uniform (see Random elements); more than 134217728 draws with repeats refused"},
    {"smembers", "member byte order"},
    {"sinter", "member byte order"},
    {"sunion", "member byte order"},
    {"sdiff", "member byte order"},
    {"sscan", "cursors map to member order (node-local table)"},
    {"spop", "drawn from the entry's log position: the same on every replica; above 128 members O(log N) seeks a draw, near-uniform (see Random elements)"},
    {"srandmember", "above 128 members O(log N) seeks a draw, near-uniform (see Random elements); a negative count is limited to -67108864"},
    {"zrandmember", "above 128 members O(log N) seeks a draw, near-uniform (see Random elements)"},
    {"zrangebylex", "members of different scores: the range in score order, as a listpack walks it (Redis: unspecified)"},
    {"zrevrangebylex", "members of different scores: as ZRANGEBYLEX"},
    {"zrank", "O(rank): no rank index"},
    {"zrevrank", "O(rank): no rank index"},
};

static const char *note_of(const char *name)
{
    for (size_t i = 0; i < sizeof(notes) / sizeof(notes[0]); i++)
        if (strcmp(notes[i].name, name) == 0) return notes[i].note;
    return "";
}

static void flags_str(uint32_t f, char *buf, size_t len)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {{CMD_WRITE, "write"}, {CMD_READONLY, "readonly"}, {CMD_ADMIN, "admin"}, {CMD_FAST, "fast"},
                 {CMD_STALE, "stale"}, {CMD_NOAUTH, "no-auth"}, {CMD_NOMULTI, "no-multi"}};
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (f & names[i].bit) snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? " " : "", names[i].name);
}

static int by_group_then_name(const void *a, const void *b)
{
    const command_t *x = *(const command_t *const *)a, *y = *(const command_t *const *)b;
    int c = strcmp(x->group ? x->group : "", y->group ? y->group : "");
    return c ? c : strcmp(x->name, y->name);
}

/* The generated part: one row per command a client can send. */
static void generate(rbuf_t *out)
{
    size_t n = cmd_table_count(), k = 0;
    const command_t **all = calloc(n, sizeof(*all));
    for (size_t i = 0; i < n; i++) {
        const command_t *c = cmd_table_at(i);
        if (c->group && strcmp(c->group, "internal") == 0) continue; /* __expire: the log's own */
        all[k++] = c;
    }
    qsort(all, k, sizeof(*all), by_group_then_name);
    rbuf_append(out, BEGIN, strlen(BEGIN));
    rbuf_printf(out, "| family | command | arity | flags | since | summary | notes |\n");
    rbuf_printf(out, "|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < k; i++) {
        const command_t *c = all[i];
        char fl[96], up[64];
        flags_str(c->flags, fl, sizeof(fl));
        size_t j = 0;
        for (; c->name[j] && j + 1 < sizeof(up); j++) up[j] = (char)(c->name[j] >= 'a' && c->name[j] <= 'z' ? c->name[j] - 32 : c->name[j]);
        up[j] = '\0';
        rbuf_printf(out, "| %s | %s", c->group ? c->group : "", up);
        if (c->subcommands) {
            rbuf_printf(out, " (");
            for (const command_t *s = c->subcommands; s->name; s++) {
                const char *bar = strchr(s->name, '|');
                const char *sub = bar ? bar + 1 : s->name;
                rbuf_printf(out, "%s", s == c->subcommands ? "" : " ");
                for (const char *p = sub; *p; p++) rbuf_printf(out, "%c", *p >= 'a' && *p <= 'z' ? *p - 32 : *p);
            }
            rbuf_printf(out, ")");
        }
        rbuf_printf(out, " | %d | %s | %s | %s | %s |\n", c->arity, fl, c->since ? c->since : "",
                    c->summary ? c->summary : "", note_of(c->name));
    }
    rbuf_append(out, END, strlen(END));
    free(all);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    b[*len] = '\0';
    fclose(f);
    return b;
}

static void test_table_matches_docs(void **state)
{
    (void)state;
    cmd_register_data_commands();
    node_register_commands();
    rbuf_t gen = {0};
    generate(&gen);
    size_t len = 0;
    char *doc = slurp(DOC, &len);
    if (!doc) fail_msg("cannot read %s (run from the repository root)", DOC);
    char *b = strstr(doc, BEGIN), *e = b ? strstr(b, END) : NULL;
    if (!b || !e) fail_msg("%s lacks the generated section markers", DOC);
    e += strlen(END);
    const char *upd = getenv("UPDATE_DOCS");
    if (upd && *upd) {
        FILE *f = fopen(DOC, "wb");
        assert_non_null(f);
        fwrite(doc, 1, (size_t)(b - doc), f);
        fwrite(gen.p, 1, gen.len, f);
        fwrite(e, 1, len - (size_t)(e - doc), f);
        fclose(f);
        fprintf(stderr, "rewrote the command table in %s\n", DOC);
    } else if ((size_t)(e - b) != gen.len || memcmp(b, gen.p, gen.len) != 0) {
        fail_msg("the command table in %s is out of date: run `make docs`", DOC);
    }
    /* the table lists what the server registers: a spot check */
    assert_non_null(strstr(gen.p, "| string | GET | 2 |"));
    free(doc);
    rbuf_free(&gen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_table_matches_docs)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
