/* The command table and the context every command runs in.
 *
 * A command is one function of its context. The same function serves both
 * paths a command can take:
 *  - a read runs at once against the live database (txn is a read txn, now_ms
 *    is the wall clock, index is 0);
 *  - a write runs when its log entry is applied (txn is the apply batch, now_ms
 *    is the entry's time_ms, index the entry's index), on every replica. It
 *    must be a deterministic function of (state, argv, now_ms, index): no
 *    clock, no randomness, no local state.
 * The reply goes to ctx->reply; on a replica nobody waits for it. */
#ifndef REDRAFT_CMD_COMMAND_H
#define REDRAFT_CMD_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "resp/reply.h"
#include "storage/store.h"

struct session;
struct db;

/* flags */
#define CMD_WRITE (1u << 0)     /* changes the state machine: goes through the log */
#define CMD_READONLY (1u << 1)  /* reads the state machine */
#define CMD_ADMIN (1u << 2)
#define CMD_NOAUTH (1u << 3)    /* allowed before AUTH */
#define CMD_FAST (1u << 4)
#define CMD_NOMULTI (1u << 5)   /* refused inside MULTI */
#define CMD_CONN (1u << 6)      /* connection/server command: touches no data */
#define CMD_STALE (1u << 7)     /* allowed without a leader */
#define CMD_DENYOOM (1u << 8)
#define CMD_LOADING (1u << 9)
#define CMD_PUBSUB (1u << 10)
#define CMD_MAYREPLICATE (1u << 11)
#define CMD_NOSCRIPT (1u << 12)     /* COMMAND INFO only: not allowed in scripts in Redis */
#define CMD_BLOCKING (1u << 13)     /* may block its client (keywait.c) */
#define CMD_MOVABLEKEYS (1u << 14)  /* keys found by parsing (numkeys): first/last/step cannot say */
#define CMD_NOASYNCLOADING (1u << 15) /* COMMAND INFO only: Redis's no_async_loading */

typedef struct cmd_ctx {
    int argc;
    const char *const *argv;
    const size_t *argvlen;
    store_txn_t *txn;
    reply_t *reply;
    int64_t now_ms;   /* entry time (writes) or wall clock (reads) */
    uint64_t index;   /* entry index when applying, else 0 */
    uint32_t seq;     /* position of this command inside its entry (MULTI) */
    bool in_exec;     /* run by EXEC (an entry of a transaction, or a read-only one run here) */
    bool proposed_here; /* an entry this node proposed for a client (sess is NULL if it left) */
    struct db *db;
    struct session *sess; /* the client's session; NULL when nobody waits */
    void *server;         /* opaque: node-level commands reach the node here */
    /* Set by a blocking command (BLPOP, BZPOPMIN, ...) that found nothing to
     * pop: it has replied as on a timeout, and block_timeout_ms holds its
     * timeout (0: none). The node then blocks a client of the leader instead
     * of sending that reply, and runs the command again through the log when
     * an applied entry touches one of its keys (inside MULTI it never blocks). */
    bool blocked;
    int64_t block_timeout_ms;
} cmd_ctx_t;

typedef void cmd_proc_t(cmd_ctx_t *c);

/* ---- key specs ----------------------------------------------------------
 *
 * Where a command's keys are, as Redis 7.0 describes them (COMMAND INFO's
 * key specs, docs/key-specs in Redis): each spec finds some keys in two
 * steps. begin_search says where they start: at a fixed index, or after
 * the first argument equal to a keyword (searched from startfrom; a
 * negative startfrom counts from the end and searches backwards).
 * find_keys says how many: a range (lastkey relative to the first key, or
 * negative from the end of the arguments; every keystep-th argument; limit
 * as in Redis), or a count (keynum: the number of keys is the argument at
 * first + keynumidx, the keys start at first + firstkey). cmd_get_keys()
 * (keyspec.c) reads them for COMMAND GETKEYS and for keywait.c. */

/* Key flags, as Redis's CMD_KEY_*, in the order COMMAND INFO names them. */
#define KS_RO (1u << 0)             /* read only */
#define KS_RW (1u << 1)             /* read and modified */
#define KS_OW (1u << 2)             /* overwritten without being read */
#define KS_RM (1u << 3)             /* deleted */
#define KS_ACCESS (1u << 4)         /* the value is returned or copied */
#define KS_UPDATE (1u << 5)         /* the value is changed */
#define KS_INSERT (1u << 6)         /* something is added, nothing changed or removed */
#define KS_DELETE (1u << 7)         /* something is removed */
#define KS_NOT_KEY (1u << 8)        /* a name that is not a key of this node (never a key to us) */
#define KS_INCOMPLETE (1u << 9)     /* the spec may miss keys */
#define KS_VARIABLE_FLAGS (1u << 10) /* the flags depend on the arguments: key_flags says them */

enum { KS_BS_END = 0, KS_BS_INDEX, KS_BS_KEYWORD };
enum { KS_FK_RANGE = 0, KS_FK_KEYNUM };

/* The flags of a key spec marked KS_VARIABLE_FLAGS for these arguments
 * (what Redis's own key finder of SET or BITFIELD says). */
typedef uint32_t cmd_key_flags_t(int argc, const char *const *argv, const size_t *argvlen);

typedef struct key_spec {
    uint32_t flags;        /* KS_* */
    int begin;             /* KS_BS_INDEX, KS_BS_KEYWORD; KS_BS_END ends a command's list */
    int index;             /* KS_BS_INDEX: the first key's position */
    const char *keyword;   /* KS_BS_KEYWORD: the keys follow this argument (any case) */
    int startfrom;         /* KS_BS_KEYWORD: where the search starts */
    int find;              /* KS_FK_RANGE, KS_FK_KEYNUM */
    int lastkey, keystep, limit; /* range (keystep also for keynum) */
    int keynumidx, firstkey;     /* keynum */
    const char *notes;     /* shown by COMMAND INFO, as Redis's */
    cmd_key_flags_t *key_flags; /* KS_VARIABLE_FLAGS */
} key_spec_t;

/* The key specs of a table entry: KEYSPECS(KS_ONE(1, KS_RO | KS_ACCESS)). */
#define KEYSPECS(...) ((const key_spec_t[]){__VA_ARGS__, {0}})
/* One key at position pos. */
#define KS_ONE(pos, fl) {.flags = (fl), .begin = KS_BS_INDEX, .index = (pos), .find = KS_FK_RANGE, .keystep = 1}
/* Keys from pos to lastkey (relative to pos; negative: from the end), every step-th. */
#define KS_RANGE(pos, last, step, fl)                                                                        \
    {.flags = (fl), .begin = KS_BS_INDEX, .index = (pos), .find = KS_FK_RANGE, .lastkey = (last), .keystep = (step)}
/* numkeys at pos, then that many keys. */
#define KS_KEYNUM(pos, fl)                                                                                   \
    {.flags = (fl), .begin = KS_BS_INDEX, .index = (pos), .find = KS_FK_KEYNUM, .keynumidx = 0, .firstkey = 1,   \
     .keystep = 1}
/* The most common case: the one key at position 1. */
#define KEY1(fl) KEYSPECS(KS_ONE(1, fl))

typedef struct command {
    const char *name; /* lower case */
    cmd_proc_t *proc;
    int arity;        /* Redis convention: N exact, -N at least N */
    uint32_t flags;
    int first_key, last_key, key_step; /* COMMAND INFO key positions */
    const char *group;   /* "string", "generic", "connection", "server", "transactions" */
    const char *summary;
    const char *since;
    const char *complexity;
    const char *acl;     /* space-separated ACL categories without '@' */
    /* subcommands (CLIENT, CONFIG, COMMAND): NULL-terminated */
    const struct command *subcommands;
    /* Redis 7.0's key specs, ended by a {0} (KEYSPECS); NULL: no keys.
     * first_key/last_key/key_step must be what Redis derives from them
     * (cmd_legacy_range; test_keyspec checks every command). */
    const key_spec_t *key_specs;
} command_t;

/* Registers n commands (copied by pointer: the array must outlive the table). */
void cmd_table_add(const command_t *cmds, size_t n);
/* Case-insensitive lookup; NULL when unknown. */
const command_t *cmd_lookup(const char *name, size_t len);
/* The same, also giving the command's position in the table (what
 * cmd_table_at takes) in *pos (pos may be NULL). */
const command_t *cmd_lookup_pos(const char *name, size_t len, uint32_t *pos);
/* Every registered command in registration order. */
size_t cmd_table_count(void);
const command_t *cmd_table_at(size_t i);

/* ---- keys of a command (keyspec.c) ------------------------------------ */

/* One key argument: its position in argv and its KS_* flags. */
typedef struct cmd_key {
    int pos;
    uint32_t flags;
} cmd_key_t;

/* Whether the command has key specs (Redis: "has key arguments"). */
bool cmd_has_keys(const command_t *cmd);
/* The keys of a command line by its key specs, in spec order, as Redis's
 * getKeysUsingKeySpecs (variable flags resolved). Writes at most max keys
 * and returns how many there are (call again with room for more when that
 * is above max), or -1 when the arguments do not fit the specs (numkeys not
 * a count, fewer arguments than keys): a line the command itself refuses.
 * argv[0] is the command name (argc >= the arity is the caller's check). */
int cmd_get_keys(const command_t *cmd, int argc, const char *const *argv, const size_t *argvlen, cmd_key_t *keys,
                 int max);
/* What Redis answers COMMAND GETKEYS when the specs fail: the command's own
 * key finder, for the numkeys commands genericGetKeys (numkeys read with
 * atoi, the destination key last, no flags). Same contract; 0 when there
 * is none. */
int cmd_get_keys_fallback(const command_t *cmd, int argc, const char *const *argv, const size_t *argvlen,
                          cmd_key_t *keys, int max);
/* Redis's legacy first/last/step (COMMAND INFO's 4th-6th fields) and
 * whether the keys are movable, derived from the specs as Redis does
 * (populateCommandLegacyRangeSpec). */
void cmd_legacy_range(const command_t *cmd, int *first, int *last, int *step, bool *movable);

/* Registers the data commands of src/cmd/ (strings, keys, ...). */
void cmd_register_data_commands(void);

/* ---- helpers shared by the t_*.c files (cmd/util.c) ------------------- */

/* Parses a whole argument as a base-10 long long, as Redis string2ll
 * (no spaces, no '+', no leading zeros except "0"). Returns 0 or -1. */
int cmd_parse_ll(const char *s, size_t len, long long *out);
/* Parses a float as Redis strtold-based parsing (no spaces, rejects nan);
 * "inf", "+inf", "-inf" accepted. Returns 0 or -1. */
int cmd_parse_ld(const char *s, size_t len, long double *out);
int cmd_parse_double(const char *s, size_t len, double *out);
/* Case-insensitive comparison of an argument with a literal. */
bool cmd_arg_is(const cmd_ctx_t *c, int i, const char *lit);
/* The optional count of a pop (LPOP, SPOP, ZPOPMIN, ...) in argument i,
 * left as it is when the command has no argument i. Redis answers a
 * negative count and a non-number alike: "ERR value is out of range, must
 * be positive". Returns 0, or -1 with that error replied. */
int cmd_parse_pop_count(cmd_ctx_t *c, int i, long long *count);
/* INCRBY and HINCRBY: adds incr to *value, or returns -1 with
 * ERR_OVERFLOW replied when the sum would overflow a long long. */
int cmd_incr_ll(cmd_ctx_t *c, long long *value, long long incr);
/* Redis's MAX_LONG_DOUBLE_CHARS: room for any %.17Lf long double. */
#define CMD_LONG_DOUBLE_CHARS (5 * 1024)
/* INCRBYFLOAT and HINCRBYFLOAT: value + incr as Redis writes it (%.17Lf,
 * trailing zeros stripped) into buf (CMD_LONG_DOUBLE_CHARS bytes); its
 * length, or -1 with Redis's error replied when the sum is NaN or
 * infinite. */
int cmd_incr_long_double(cmd_ctx_t *c, long double value, long double incr, char *buf, size_t cap);

/* Redis's standard error replies. */
extern const char *const ERR_SYNTAX;     /* "ERR syntax error" */
extern const char *const ERR_WRONGTYPE;  /* "WRONGTYPE Operation against a key holding the wrong kind of value" */
extern const char *const ERR_NOTINT;     /* "ERR value is not an integer or out of range" */
extern const char *const ERR_NOTFLOAT;   /* "ERR value is not a valid float" */
extern const char *const ERR_OVERFLOW;   /* "ERR increment or decrement would overflow" */
void reply_wrong_arity(reply_t *r, const char *cmdname); /* "ERR wrong number of arguments for 'x' command" */

#endif
