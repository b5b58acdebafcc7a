/* What the membership tests (test_membership.c, test_membership_edges.c)
 * share: the admin API over HTTP with the cluster's token (failing the
 * running cmocka test on a transport error), its JSON fields, the
 * membership as each node lists it, and RESP helpers. They act on the
 * cluster given to mt_use. */
#ifndef REDRAFT_TESTS_MEMBERTEST_H
#define REDRAFT_TESTS_MEMBERTEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "support/cluster.h"
#include "support/httpc.h"

/* The cluster the helpers act on, and its admin token (NULL: none). */
void mt_use(cluster_t *c, const char *token);

/* One HTTP request; fails the test when it cannot be made. */
void mt_http_at(int port, const char *method, const char *path, const char *body, const char *tok, int timeout_ms,
                httpc_resp_t *r);
/* One request to node index i with the cluster's token. */
void mt_call(int i, const char *method, const char *path, const char *body, httpc_resp_t *r);
/* A POST to node i that follows 307s (re-POSTing the same body, as curl -L
 * does), at most 3 in a row. *first_status and first_loc (may be NULL) get
 * the first answer's status and Location. Returns the final answer in r. */
void mt_post_follow(int i, const char *path, const char *body, int timeout_ms, httpc_resp_t *r, int *first_status,
                    char *first_loc, size_t loclen);
json_t *mt_json_of(const httpc_resp_t *r);
json_int_t mt_int_field(json_t *o, const char *k);
const char *mt_str_field(json_t *o, const char *k);
bool mt_bool_field(json_t *o, const char *k);
void mt_expect_status(const httpc_resp_t *r, int want, const char *what);
/* The answer is status with {"error": "..."} containing want. */
void mt_expect_error(const httpc_resp_t *r, int status, const char *want, const char *what);

/* The membership as a node lists it (GET /cluster/members). */
typedef struct mt_members {
    long long conf_index;
    int n, id[16];
    bool voter[16];
    int nremoved, removed[64];
} mt_members_t;

/* GET /cluster/members on node i; false when it does not answer 200. */
bool mt_members_of(int i, mt_members_t *m);
/* -1: not a member; 0: a learner; 1: a voter. */
int mt_member_state(const mt_members_t *m, int id);
bool mt_is_removed(const mt_members_t *m, int id);
void mt_members_str(const mt_members_t *m, char *buf, size_t len);
/* Whether m is exactly the voters ids[0..nids-1] (no learners) and, if
 * nrem > 0, lists each of removed[0..nrem-1] as removed. */
bool mt_members_are(const mt_members_t *m, const int *ids, int nids, const int *removed, int nrem);
/* Polls every node of idx[0..nidx-1] until each lists exactly the voters
 * ids (and the removed ones) at the same conf_index. */
void mt_wait_members_everywhere(const int *idx, int nidx, const int *ids, int nids, const int *removed, int nrem,
                                int timeout_ms, const char *what);
/* The index of the node that says it leads (GET /cluster/status, the
 * highest term wins) among the running ones of mask; -1 after timeout_ms. */
int mt_leader_of(unsigned mask, int timeout_ms);
/* GET /cluster/status of node i, 200 required. */
json_t *mt_status_of(int i);

redisContext *mt_connect_or_fail(int i);
/* A number from INFO raft of node i (-1 when the field is missing). */
long long mt_info_of(int i, const char *field);
/* count keys prefix:0.. with value = key, pipelined 500 at a time, +OK each. */
void mt_write_keys(int i, const char *prefix, long count);
/* The last lines of every node's log, without the snapshot_made lines
 * that small snapshot thresholds make frequent. */
void mt_dump_logs(int lines);

#endif
