/* What the files of the admin API share (admin.c, admin_members.c,
 * admin_metrics.c). Private to them. */
#ifndef REDRAFT_NODE_ADMIN_INT_H
#define REDRAFT_NODE_ADMIN_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "net/http.h"
#include "raft/raft.h"

typedef struct node node_t;

/* Answers j (consumed) with status, pretty with ?pretty. */
void admin_respond_json(http_request_t *req, int status, json_t *j);
/* The body as a JSON object (an empty body is {}); false when it is not
 * one (answered 400). */
bool admin_parse_body(http_request_t *req, json_t **out);
/* An optional positive integer field (0 when absent); false when present
 * but not one (answered 400). */
bool admin_id_field(http_request_t *req, json_t *body, const char *name, uint64_t *id);
/* Not the leader: 307 to the leader's same URL, or 503 when none is known.
 * Always answers. */
bool admin_redirect_to_leader(node_t *n, http_request_t *req);
/* A member's admin API address, "host:port". */
void admin_member_http_addr(const node_t *n, const raft_member_t *m, char *out, size_t len);
/* The voter with the highest match index other than this node (0: none). */
uint64_t admin_best_transferee(node_t *n, const raft_status_t *st);

/* admin_members.c: POST /cluster/join and /cluster/leave. */
void admin_post_join(node_t *n, http_request_t *req);
void admin_post_leave(node_t *n, http_request_t *req);

#endif
