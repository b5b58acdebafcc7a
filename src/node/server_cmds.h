/* Commands about the connection, the server and transactions: they touch the
 * node's or the client's state rather than the data. */
#ifndef REDRAFT_NODE_SERVER_CMDS_H
#define REDRAFT_NODE_SERVER_CMDS_H

#include "cmd/command.h"

/* EXEC, DISCARD, MULTI, QUIT, RESET, WATCH run directly inside MULTI. */
bool server_cmd_runs_in_multi(const command_t *cmd);
bool server_cmd_is_exec(const command_t *cmd);
/* WATCH and UNWATCH: routed to the leader, where the watches live (keywait.c). */
bool server_cmd_is_watch(const command_t *cmd);

/* Registers INFO, CONFIG, CLIENT and COMMAND (introspect.c). */
void introspect_register(void);

#endif
