/* A node outside the founding members asks to be added (join.c). */
#ifndef REDRAFT_NODE_JOIN_H
#define REDRAFT_NODE_JOIN_H

typedef struct node node_t;
typedef struct joiner joiner_t;

/* With `join` set and this node not in its configuration: POSTs
 * /cluster/join to that member until a leader accepts (or refuses for good:
 * the node then stops with exit code 1). NULL when there is nothing to do. */
joiner_t *node_join_start(node_t *n);
/* Stops asking (shutdown); frees j once its handles are closed. */
void node_join_stop(joiner_t *j);

#endif
