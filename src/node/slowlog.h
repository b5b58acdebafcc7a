/* SLOWLOG: the commands whose execution took at least
 * slowlog_log_slower_than microseconds, the newest slowlog_max_len of them,
 * with Redis 7.0's entries and replies (SLOWLOG GET, LEN, RESET, HELP).
 *
 * As in Redis, the time is the command's execution only: for a write, its
 * apply (on every node: a follower logs the slow writes it applies, with an
 * empty client address, as a Redis replica logs what its master sends); for
 * a read, its run against the store. The wait for the log to commit or for
 * a ReadIndex confirmation is not counted (the latency histograms of
 * /metrics and INFO commandstats hold the whole request). The log is the
 * node's own. */
#ifndef REDRAFT_NODE_SLOWLOG_H
#define REDRAFT_NODE_SLOWLOG_H

#include <stddef.h>
#include <stdint.h>

#include "cmd/command.h"
#include "cmd/session.h"

struct node;

void slowlog_register(void);
/* Whether commands are timed at all (slowlog_log_slower_than >= 0). */
int slowlog_enabled(const struct node *n);
/* After a command ran for us microseconds: logged if that is slow enough. */
void slowlog_check(struct node *n, const command_t *cmd, int argc, const char *const *argv, const size_t *argvlen,
                   const session_t *s, uint64_t us);
/* After CONFIG SET slowlog-max-len: entries past the new limit go. */
void slowlog_limit_changed(struct node *n);
void slowlog_free(struct node *n);

#endif
