/* Command-line overrides: "--name value" (config_set).
 *
 * A name may use '-' or '_', any case, and a section prefix
 * ("--cluster.node-id"); "--bind" is Redis's name for binding. The value goes
 * through the same checks as the file (config_value.c), and the key's bit in
 * cli_set is set so that a file loaded afterwards does not override it and
 * config_finalize() keeps an explicit binding/port. */
#include "util/config.h"
#include "util/config_internal.h"

#include <string.h>

/* "--node-id 2", "--cluster.members a,b", "--bind 0.0.0.0". */
int config_set(config_t *c, const char *name, const char *value, char *err, size_t errlen)
{
    char norm[64];
    size_t len;
    int section = -1;

    while (*name == '-')
        name++;
    len = strlen(name);
    if (len == 0 || len >= sizeof(norm)) {
        cfg_seterr(err, errlen, "unknown option '--%s'", name);
        return -1;
    }
    for (size_t i = 0; i <= len; i++) {
        char ch = name[i];
        if (ch == '-') ch = '_';
        if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
        norm[i] = ch;
    }

    char *key = norm;
    char *dot = strchr(norm, '.');
    if (dot) {
        *dot = '\0';
        for (int i = 0; i < SEC_COUNT; i++)
            if (!strcmp(norm, cfg_section_names[i])) section = i;
        key = dot + 1;
        if (section < 0) {
            cfg_seterr(err, errlen, "unknown option '--%s'", name);
            return -1;
        }
    }
    if (!strcmp(key, "bind") && section <= SEC_SERVER) key = "binding";

    const cfgkey_t *k = cfg_find_key(section, key, strlen(key));
    if (!k) {
        cfg_seterr(err, errlen, "unknown option '--%s'", name);
        return -1;
    }

    value_t v;
    char msg[512];
    if (cfg_value_from_text(k, value, &v) < 0) {
        cfg_seterr(err, errlen, "--%s: out of memory", name);
        return -1;
    }
    int rc = cfg_set_key(c, k, &v, true, msg, sizeof(msg));
    cfg_value_free(&v);
    if (rc < 0) {
        cfg_seterr(err, errlen, "--%s: %s", name, msg);
        return -1;
    }
    c->cli_set |= 1ULL << cfg_key_index(k);
    return 0;
}
