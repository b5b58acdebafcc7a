#include "node/entry.h"
#include "storage/encoding.h"

#include <stdlib.h>
#include <string.h>

#define ENTRY_HDR 13 /* type + time_ms + ncmds */

static void reserve(entry_buf_t *e, size_t n)
{
    if (e->len + n <= e->cap) return;
    size_t ncap = e->cap ? e->cap * 2 : 256;
    while (ncap < e->len + n) ncap *= 2;
    e->buf = realloc(e->buf, ncap);
    e->cap = ncap;
}

void entry_begin(entry_buf_t *e, entry_type_t type, int64_t time_ms)
{
    e->len = 0;
    e->ncmds = 0;
    reserve(e, ENTRY_HDR);
    e->buf[0] = (char)type;
    enc_put_u64(e->buf + 1, (uint64_t)time_ms);
    e->ncmds_off = 9;
    e->len = ENTRY_HDR;
}

void entry_add_cmd(entry_buf_t *e, int argc, const char *const *argv, const size_t *argvlen)
{
    size_t need = 4;
    for (int i = 0; i < argc; i++) need += 4 + argvlen[i];
    reserve(e, need);
    char *p = e->buf + e->len;
    enc_put_u32(p, (uint32_t)argc);
    p += 4;
    for (int i = 0; i < argc; i++) {
        enc_put_u32(p, (uint32_t)argvlen[i]);
        memcpy(p + 4, argv[i], argvlen[i]);
        p += 4 + argvlen[i];
    }
    e->len += need;
    e->ncmds++;
}

void entry_end(entry_buf_t *e)
{
    enc_put_u32(e->buf + e->ncmds_off, e->ncmds);
}

void entry_cmd_start(entry_buf_t *e)
{
    reserve(e, 4);
    e->argc_off = e->len;
    e->argc = 0;
    e->len += 4;
}

void entry_cmd_arg(entry_buf_t *e, const char *p, size_t len)
{
    reserve(e, 4 + len);
    enc_put_u32(e->buf + e->len, (uint32_t)len);
    memcpy(e->buf + e->len + 4, p, len);
    e->len += 4 + len;
    e->argc++;
}

void entry_cmd_end(entry_buf_t *e)
{
    enc_put_u32(e->buf + e->argc_off, e->argc);
    e->ncmds++;
}

void entry_buf_free(entry_buf_t *e)
{
    free(e->buf);
    memset(e, 0, sizeof(*e));
}

/* Walks every command's lengths once, so that an entry is either wholly
 * well-formed (exactly ncmds commands, nothing after them) or refused before
 * anything of it is applied. */
static int entry_validate(const entry_view_t *v)
{
    const char *p = v->p;
    uint32_t n = 0;
    while (p != v->end) {
        if (v->end - p < 4) return -1;
        uint32_t argc = enc_get_u32(p);
        p += 4;
        if (argc == 0 || argc > (uint32_t)(v->end - p) / 4) return -1;
        for (uint32_t i = 0; i < argc; i++) {
            if (v->end - p < 4) return -1;
            uint32_t len = enc_get_u32(p);
            p += 4;
            if (len > (size_t)(v->end - p)) return -1;
            p += len;
        }
        n++;
    }
    return n == v->ncmds ? 0 : -1;
}

int entry_decode(entry_view_t *v, const char *buf, size_t len)
{
    if (len < ENTRY_HDR) return -1;
    v->type = (entry_type_t)(unsigned char)buf[0];
    if (v->type > ENTRY_MULTI) return -1;
    v->time_ms = (int64_t)enc_get_u64(buf + 1);
    v->ncmds = enc_get_u32(buf + 9);
    v->p = buf + ENTRY_HDR;
    v->end = buf + len;
    return entry_validate(v);
}

int entry_next_cmd(entry_view_t *v, const char ***argv, size_t **argvlen, int *argc_cap)
{
    if (v->p == v->end) return 0;
    if (v->end - v->p < 4) return -1;
    uint32_t argc = enc_get_u32(v->p);
    v->p += 4;
    if (argc == 0 || argc > (uint32_t)(v->end - v->p) / 4) return -1;
    if ((int)argc > *argc_cap) {
        *argc_cap = (int)argc;
        *argv = realloc(*argv, sizeof(char *) * argc);
        *argvlen = realloc(*argvlen, sizeof(size_t) * argc);
    }
    for (uint32_t i = 0; i < argc; i++) {
        if (v->end - v->p < 4) return -1;
        uint32_t n = enc_get_u32(v->p);
        v->p += 4;
        if (n > (size_t)(v->end - v->p)) return -1;
        (*argv)[i] = v->p;
        (*argvlen)[i] = n;
        v->p += n;
    }
    return (int)argc;
}
