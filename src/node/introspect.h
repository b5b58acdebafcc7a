/* What the introspection commands (INFO, CONFIG, CLIENT, COMMAND) share:
 * a growable text buffer, the subcommand dispatch of container commands and
 * Redis-style HELP replies. Private to src/node/. */
#ifndef REDRAFT_NODE_INTROSPECT_H
#define REDRAFT_NODE_INTROSPECT_H

#include <stddef.h>

#include "cmd/command.h"
#include "node/node.h"

#include "util/version.h"

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf_t;

/* Appends printf-style text, growing the buffer as needed. */
void sb_printf(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Redis's bytesToHuman: 1023B, 1.00K, 12.50M ... */
void bytes_human(char *out, size_t outlen, unsigned long long n);

/* A subcommand's own name: tables may spell it "list" or "client|list". */
const char *sub_short(const command_t *sub);
/* "client|list" */
void full_name(char *out, size_t outlen, const command_t *parent, const command_t *sub);
const command_t *find_sub(const command_t *subs, const char *name, size_t len);
/* Checks argv[1] as a subcommand of parent: NULL after writing Redis's
 * unknown-subcommand or arity error. The dispatcher calls it before a
 * container command is run or queued, as Redis does. */
const command_t *subcommand_check(const command_t *parent, int argc, const char *const *argv,
                                  const size_t *argvlen, reply_t *r);
/* Runs argv[1] as a subcommand of parent (checked again: queued commands). */
void run_subcommand(cmd_ctx_t *c, const command_t *parent);
/* Redis's addReplyHelp: a title line, the given lines, then HELP. */
void reply_help(cmd_ctx_t *c, const char *const *lines);

/* Flags of the container commands' subcommands, as Redis marks them. */
#define SUBFLAGS (CMD_CONN | CMD_LOADING | CMD_STALE)
#define ADMINSUB (SUBFLAGS | CMD_ADMIN)

static inline node_t *node_of(cmd_ctx_t *c)
{
    return c->server;
}

/* Each file's table, registered by introspect_register(). */
extern const command_t info_commands[];     /* info.c: INFO, CONFIG */
extern const size_t info_ncommands;
extern const command_t client_commands[];   /* client_cmds.c: CLIENT */
extern const size_t client_ncommands;
extern const command_t command_commands[];  /* command_cmds.c: COMMAND */
extern const size_t command_ncommands;

#endif
