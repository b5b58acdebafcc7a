/* The HTTP admin API (admin.c) and its Prometheus metrics (admin_metrics.c).
 * Private to src/node/. */
#ifndef REDRAFT_NODE_ADMIN_H
#define REDRAFT_NODE_ADMIN_H

#include "net/http.h"

typedef struct node node_t;

/* Listens on http_port (0: the RESP port + 1000) on the RESP binding.
 * Returns 0, or -1 after logging why. */
int admin_start(node_t *n);
void admin_stop(node_t *n);

/* Every tick: moves membership requests along and, on the leader,
 * promotes learners that caught up (admin_members.c). */
void admin_tick(node_t *n);
/* Answers what still waits (503) and frees it: before admin_stop. */
void admin_members_free(node_t *n);

/* GET /metrics: the Prometheus text format, version 0.0.4. */
void admin_metrics(node_t *n, http_request_t *req);

#endif
