/* The command table: a small open-addressing hash from lower-case name to
 * command, filled at start-up by each layer that owns commands. */
#include "cmd/command.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_SLOTS 1024 /* power of two, well above the command count */
#define MAX_NAME 32

static const command_t *slots[TABLE_SLOTS];
static uint32_t slot_pos[TABLE_SLOTS]; /* the command's position in `ordered` */
static const command_t *ordered[TABLE_SLOTS];
static size_t ncommands;

static uint32_t hash_name(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 'A' && ch <= 'Z') ch += 32;
        h = (h ^ ch) * 16777619u;
    }
    return h;
}

static bool name_eq(const char *lower, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 'A' && ch <= 'Z') ch += 32;
        if (lower[i] != (char)ch) return false;
    }
    return lower[len] == '\0';
}

void cmd_table_add(const command_t *cmds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(cmds[i].name);
        if (cmd_lookup(cmds[i].name, len)) {
            fprintf(stderr, "command table: duplicate command %s\n", cmds[i].name);
            abort();
        }
        uint32_t h = hash_name(cmds[i].name, len) & (TABLE_SLOTS - 1);
        while (slots[h]) h = (h + 1) & (TABLE_SLOTS - 1);
        slots[h] = &cmds[i];
        slot_pos[h] = (uint32_t)ncommands;
        ordered[ncommands++] = &cmds[i];
    }
}

/* Most callers want the command only. */
const command_t *cmd_lookup(const char *name, size_t len)
{
    return cmd_lookup_pos(name, len, NULL);
}

/* The position comes from the same probe as the command: the dispatcher
 * counts every request by it without a second lookup. */
const command_t *cmd_lookup_pos(const char *name, size_t len, uint32_t *pos)
{
    if (len == 0 || len > MAX_NAME) return NULL;
    uint32_t h = hash_name(name, len) & (TABLE_SLOTS - 1);
    while (slots[h]) {
        if (name_eq(slots[h]->name, name, len)) {
            if (pos) *pos = slot_pos[h];
            return slots[h];
        }
        h = (h + 1) & (TABLE_SLOTS - 1);
    }
    return NULL;
}

size_t cmd_table_count(void)
{
    return ncommands;
}

const command_t *cmd_table_at(size_t i)
{
    return i < ncommands ? ordered[i] : NULL;
}
