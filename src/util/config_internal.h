/* What the pieces of the configuration module share; not for use outside
 * src/util/config*.c (the public API is config.h).
 *
 * The module is split along its seams:
 *   config.c        the table of keys, defaults, cross-key rules
 *                   (config_finalize), member lookup, CONFIG GET
 *   config_value.c  value_t and set_key(): type and range checks shared by
 *                   the file and the command line, so both give the same
 *                   message for the same mistake
 *   config_file.c   the strict TOML-subset file parser (config_load_file)
 *   config_cli.c    command-line overrides (config_set)
 * This header holds the table's types, the value type and the few
 * functions that cross those files. */
#ifndef REDRAFT_UTIL_CONFIG_INTERNAL_H
#define REDRAFT_UTIL_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "util/config.h"

/* ------------------------------------------------------------------------ */
/* The table of keys (defined in config.c)                                   */
/* ------------------------------------------------------------------------ */

enum { SEC_SERVER = 0, SEC_CLUSTER, SEC_STORAGE, SEC_COUNT };
extern const char *const cfg_section_names[SEC_COUNT];

typedef enum {
    T_STR,      /* char[size] */
    T_INT,      /* int, range min..max */
    T_LL,       /* long long, range min..max */
    T_BOOL,     /* bool */
    T_ENUM_INT, /* int (a C enum): index into choices */
    T_ENUM_STR, /* char[size]: one of choices, stored by name */
    T_MEMBERS,  /* members[] + nmembers */
} ktype_t;

#define F_NONEMPTY 1 /* a string that may not be "" */
#define F_SECRET 2   /* not shown by CONFIG GET */
#define F_RUNTIME 4  /* CONFIG SET may change it on a running node */

typedef struct cfgkey {
    int section;
    const char *name;
    ktype_t type;
    size_t off, size;           /* where the value lives in config_t */
    long long min, max;         /* T_INT, T_LL */
    const char *const *choices; /* T_ENUM_*: NULL-terminated */
    const char *def;            /* default, written as on the command line */
    int flags;
    const char *desc;
} cfgkey_t;

/* At most 64 keys: config_t.cli_set has one bit per key (checked in
 * config.c), and the file parser remembers one line per key. */
#define CFG_MAX_KEYS 64

extern const cfgkey_t cfg_keys[];
extern const int cfg_nkeys;

/* Finds a key by name in a section, or in any section when section < 0. */
const cfgkey_t *cfg_find_key(int section, const char *name, size_t len);

/* The key's position in the table: its bit in cli_set. */
int cfg_key_index(const cfgkey_t *k);

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------ */

/* All errors go through here so a NULL or empty err buffer is harmless. */
void cfg_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline int is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

/* ------------------------------------------------------------------------ */
/* Values (config_value.c)                                                   */
/* ------------------------------------------------------------------------ */

typedef enum {
    V_STR,   /* "quoted" in the file; any text on the command line */
    V_WORD,  /* a bare word: an integer, or a mistake */
    V_BOOL,  /* true / false */
    V_ARRAY, /* ["a", "b"] in the file; a,b on the command line */
} vkind_t;

typedef struct span {
    const char *s;
    size_t len;
} span_t;

typedef struct value {
    vkind_t kind;
    const char *s; /* V_STR, V_WORD */
    size_t len;
    bool b;        /* V_BOOL */
    span_t *items; /* V_ARRAY, malloc'ed */
    int nitems;
} value_t;

/* Frees an array value's items; any value may be passed. */
void cfg_value_free(value_t *v);

/* Appends one item to an array value. Returns -1 when out of memory. */
int cfg_value_push(value_t *v, const char *s, size_t len);

/* Checks v against key k's type and range, and stores it unless store is
 * false. Returns -1 with a message (without file or option) in msg. */
int cfg_set_key(config_t *c, const cfgkey_t *k, const value_t *v, bool store, char *msg,
                size_t msglen);

/* Turns command-line text (and the table's defaults) into a value of the
 * key's kind. Returns -1 when out of memory. */
int cfg_value_from_text(const cfgkey_t *k, const char *text, value_t *v);

#endif
