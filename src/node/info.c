/* STUB — being replaced: INFO CONFIG CLIENT COMMAND. */
#include "node/server_cmds.h"
#include "node/node.h"

static void infoCommand(cmd_ctx_t *c)
{
    reply_verbatim(c->reply, "# Server\r\n", 10, "txt");
}

const command_t introspect_commands[] = {
    {"info", infoCommand, -1, CMD_CONN | CMD_STALE, 0, 0, 0, "server", "Returns information and statistics about the server.", "1.0.0", "O(1)", "slow dangerous", NULL},
};
const size_t introspect_ncommands = sizeof(introspect_commands) / sizeof(introspect_commands[0]);
