/* Structured logging: one line per event, logfmt style.
 *
 *   ts=2026-11-22T05:00:00.123Z level=info node=1 event=listening addr=127.0.0.1:7379
 *
 * Callers name the event and add key=value fields; values containing spaces,
 * quotes or '=' are quoted by log_kv_str(). Nothing is logged per request. */
#ifndef REDRAFT_UTIL_LOG_H
#define REDRAFT_UTIL_LOG_H

#include <stdio.h>

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR } log_level_t;

/* Sets the node id printed on every line, the minimum level and the stream
 * (NULL means stderr). May be called again, e.g. once the config is read. */
void log_init(int node_id, log_level_t min_level, FILE *out);

/* "debug", "info", "warn"/"warning", "error" -> level. Returns 0, or -1 if unknown. */
int log_level_parse(const char *s, log_level_t *out);
const char *log_level_name(log_level_t lvl);
int log_enabled(log_level_t lvl);

/* Emits one line: ts, level, node, event=EVENT, then the formatted fields
 * (printf-style, expected to be " key=value key2=value2"). */
void log_event(log_level_t lvl, const char *event, const char *fields_fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(ev, ...) do { if (log_enabled(LOG_DEBUG)) log_event(LOG_DEBUG, ev, __VA_ARGS__); } while (0)
#define log_info(ev, ...) log_event(LOG_INFO, ev, __VA_ARGS__)
#define log_warn(ev, ...) log_event(LOG_WARN, ev, __VA_ARGS__)
#define log_error(ev, ...) log_event(LOG_ERROR, ev, __VA_ARGS__)

/* Formats a string value for a field: as-is when it is a plain token,
 * otherwise double-quoted with \" and \\ escaped and non-printables as \xNN.
 * Writes into buf (always NUL-terminated) and returns buf. */
const char *log_quote(char *buf, size_t buflen, const char *s, size_t len);

#endif
