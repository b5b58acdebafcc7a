/* What a batch of writes will look up, known before it runs: apply reads
 * the keys of all of a batch's commands, and then the elements that the
 * collection commands among them test or change, in two batched lookups
 * (store_txn_prefetch) instead of one RocksDB lookup per command. */
#ifndef REDRAFT_CMD_PREFETCH_H
#define REDRAFT_CMD_PREFETCH_H

#include <stddef.h>

#include "cmd/command.h"
#include "storage/encoding.h"

#define PREFETCH_MAX_ELEMS 16 /* per command: the first ones are enough to gain */

/* The elements of the collection named by argv[1] that cmd looks up by
 * their sub-key: HSET/HSETNX/HMSET/HDEL/HINCRBY/HINCRBYFLOAT's fields,
 * SADD/SREM's members, ZADD/ZINCRBY/ZREM's members. Writes the argument
 * positions to pos (at most PREFETCH_MAX_ELEMS), the collection's type to
 * *type and the byte that precedes each element in its sub-key to *tag
 * (0: none), and returns how many; 0 for any other command or a line the
 * command will refuse anyway. */
int prefetch_elements(const command_t *cmd, int argc, const char *const *argv, const size_t *argvlen,
                      obj_type_t *type, char *tag, int *pos);

#endif
