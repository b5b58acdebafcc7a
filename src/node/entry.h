/* The payload of a log entry: what the state machine applies.
 *
 *   [u8 type][u64 BE time_ms][u32 BE ncmds] ncmds x ( [u32 BE argc] argc x ([u32 BE len][bytes]) )
 *
 * time_ms is the leader's clock when it proposed the entry, never smaller
 * than the previous entry's: the only clock the state machine sees.
 * A MULTI/EXEC transaction is one entry with several commands. */
#ifndef REDRAFT_NODE_ENTRY_H
#define REDRAFT_NODE_ENTRY_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    ENTRY_NOOP = 0,  /* a new leader's first entry; changes nothing */
    ENTRY_CMD = 1,   /* one command */
    ENTRY_MULTI = 2, /* a transaction: EXEC's queued commands */
} entry_type_t;

typedef struct entry_buf {
    char *buf;
    size_t len, cap;
    size_t ncmds_off; /* where the command count lives */
    uint32_t ncmds;
    size_t argc_off;  /* streaming command: where its argc lives */
    uint32_t argc;
} entry_buf_t;

/* Building: begin, add commands, end. The buffer is reused after reset. */
void entry_begin(entry_buf_t *e, entry_type_t type, int64_t time_ms);
void entry_add_cmd(entry_buf_t *e, int argc, const char *const *argv, const size_t *argvlen);
void entry_end(entry_buf_t *e);
/* A command whose arguments arrive one by one (e.g. keys found by a scan). */
void entry_cmd_start(entry_buf_t *e);
void entry_cmd_arg(entry_buf_t *e, const char *p, size_t len);
void entry_cmd_end(entry_buf_t *e);
void entry_buf_free(entry_buf_t *e);

/* Reading: a decoded view into the entry's bytes (no copies). */
typedef struct entry_view {
    entry_type_t type;
    int64_t time_ms;
    uint32_t ncmds;
    const char *p, *end; /* cursor over the commands */
} entry_view_t;

/* Returns 0, or -1 if the bytes are not a well-formed entry. Every length is
 * checked against the end of the buffer, so garbage never reads past it. */
int entry_decode(entry_view_t *v, const char *buf, size_t len);
/* Reads the next command into argv/argvlen (arrays of at least *argc_cap,
 * grown with realloc as needed). Returns argc, 0 at the end, -1 if malformed. */
int entry_next_cmd(entry_view_t *v, const char ***argv, size_t **argvlen, int *argc_cap);

#endif
