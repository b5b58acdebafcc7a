/* WAIT numreplicas timeout: how many other members hold every write this
 * connection made, waiting (up to timeout ms, 0: for ever) until at least
 * numreplicas do. */
#ifndef REDRAFT_NODE_WAIT_CMD_H
#define REDRAFT_NODE_WAIT_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "cmd/command.h"

struct node;
struct client;

/* Registers WAIT in the command table. */
void wait_register(void);
/* Whether cmd is WAIT (the dispatcher routes it to the leader, as a write). */
bool wait_is_cmd(const command_t *cmd);
/* WAIT on the leader, from the dispatcher: answered at once when enough
 * members hold the client's writes, else held (the client paused) until
 * they do, its timeout passes or this node stops leading. */
void wait_start(struct node *n, struct client *cl, int argc, const char *const *argv, const size_t *argvlen);
/* Answers the held WAITs that are done; the node calls it after each ready
 * and on every tick. */
void wait_check(struct node *n);
void wait_free(struct node *n);

#endif
