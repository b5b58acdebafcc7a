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
}

void session_free(session_t *s)
{
    session_discard(s);
    free(s->queue);
    s->queue = NULL;
    s->capqueued = 0;
}
