/* The elements a write looks up (prefetch.h). */
#include "cmd/prefetch.h"
#include "cmd/t_zset.h"

#include <string.h>
#include <strings.h>

static bool arg_is(const char *a, size_t alen, const char *word)
{
    return alen == strlen(word) && strncasecmp(a, word, alen) == 0;
}

/* Every step-th argument from first on, as many as fit. */
static int args_from(int argc, int first, int step, int *pos)
{
    int n = 0;
    for (int j = first; j < argc && n < PREFETCH_MAX_ELEMS; j += step)
        pos[n++] = j;
    return n;
}

int prefetch_elements(const command_t *cmd, int argc, const char *const *argv, const size_t *argvlen,
                      obj_type_t *type, char *tag, int *pos)
{
    const char *name = cmd->name;
    *tag = 0;
    if (!strcmp(name, "hset") || !strcmp(name, "hmset")) {
        if (argc < 4 || argc % 2) return 0;
        *type = OBJ_HASH;
        return args_from(argc, 2, 2, pos);
    }
    if (!strcmp(name, "hdel")) {
        *type = OBJ_HASH;
        return args_from(argc, 2, 1, pos);
    }
    if (!strcmp(name, "hsetnx") || !strcmp(name, "hincrby") || !strcmp(name, "hincrbyfloat")) {
        if (argc != 4) return 0;
        *type = OBJ_HASH;
        pos[0] = 2;
        return 1;
    }
    if (!strcmp(name, "sadd") || !strcmp(name, "srem")) {
        *type = OBJ_SET;
        return args_from(argc, 2, 1, pos);
    }
    *type = OBJ_ZSET;
    *tag = ZS_MEMBER;
    if (!strcmp(name, "zrem")) return args_from(argc, 2, 1, pos);
    if (!strcmp(name, "zincrby")) {
        if (argc != 4) return 0;
        pos[0] = 3;
        return 1;
    }
    if (!strcmp(name, "zadd")) {
        int j = 2;
        while (j < argc && (arg_is(argv[j], argvlen[j], "nx") || arg_is(argv[j], argvlen[j], "xx") ||
                            arg_is(argv[j], argvlen[j], "gt") || arg_is(argv[j], argvlen[j], "lt") ||
                            arg_is(argv[j], argvlen[j], "ch") || arg_is(argv[j], argvlen[j], "incr")))
            j++;
        if (j >= argc || (argc - j) % 2) return 0;
        return args_from(argc, j + 1, 2, pos);
    }
    return 0;
}
