#include "cmd/session.h"

#include <stdlib.h>
#include <string.h>

void session_init(session_t *s, uint64_t id)
{
    memset(s, 0, sizeof(*s));
    s->id = id;
    s->proto = 2;
    s->fd = -1;
}

/* MULTI queues copies: the arguments live in the connection's query buffer,
 * which moves on before EXEC arrives. */
void session_queue(session_t *s, int argc, const char *const *argv, const size_t *argvlen)
{
    if (s->nqueued == s->capqueued) {
        s->capqueued = s->capqueued ? s->capqueued * 2 : 8;
        s->queue = realloc(s->queue, sizeof(*s->queue) * (size_t)s->capqueued);
    }
    queued_cmd_t *q = &s->queue[s->nqueued++];
    q->argc = argc;
    q->argv = malloc(sizeof(char *) * (size_t)argc);
    q->argvlen = malloc(sizeof(size_t) * (size_t)argc);
    for (int i = 0; i < argc; i++) {
        q->argv[i] = malloc(argvlen[i] + 1);
        memcpy(q->argv[i], argv[i], argvlen[i]);
        q->argv[i][argvlen[i]] = '\0';
        q->argvlen[i] = argvlen[i];
    }
}

void session_discard(session_t *s)
{
    for (int i = 0; i < s->nqueued; i++) {
        for (int j = 0; j < s->queue[i].argc; j++) free(s->queue[i].argv[j]);
        free(s->queue[i].argv);
        free(s->queue[i].argvlen);
    }
    s->nqueued = 0;
    s->in_multi = false;
    s->multi_dirty = false;
    session_unwatch(s);
}

static int watching_sessions;

int session_watching(void)
{
    return watching_sessions;
}

void session_watch(session_t *s, const char *key, size_t len, int64_t expire_ms)
{
    if (session_watches(s, key, len)) return;
    if (s->nwatched == s->capwatched) {
        s->capwatched = s->capwatched ? s->capwatched * 2 : 4;
        s->watched = realloc(s->watched, sizeof(*s->watched) * (size_t)s->capwatched);
    }
    watched_key_t *w = &s->watched[s->nwatched++];
    w->key = malloc(len ? len : 1);
    if (len) memcpy(w->key, key, len);
    w->len = len;
    w->expire_ms = expire_ms;
    if (s->nwatched == 1) watching_sessions++;
}

void session_unwatch(session_t *s)
{
    if (s->nwatched) watching_sessions--;
    for (int i = 0; i < s->nwatched; i++) free(s->watched[i].key);
    s->nwatched = 0;
    s->watch_dirty = false;
    s->watch_remote = NULL;
}

bool session_watches(const session_t *s, const char *key, size_t len)
{
    for (int i = 0; i < s->nwatched; i++)
        if (s->watched[i].len == len && (len == 0 || memcmp(s->watched[i].key, key, len) == 0)) return true;
    return false;
}

void session_free(session_t *s)
{
    session_discard(s);
    free(s->queue);
    s->queue = NULL;
    s->capqueued = 0;
    free(s->watched);
    s->watched = NULL;
    s->capwatched = 0;
}
