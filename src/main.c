/* redraft-server [CONFIG] [--name value ...]
 *
 * The redis-server convention: an optional config file first, then any key
 * overridden on the command line. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "node/node.h"
#include "util/config.h"
#include "util/log.h"

#include "util/version.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: redraft-server [CONFIG] [--name value ...]\n"
            "       redraft-server --help | --version\n"
            "\n"
            "CONFIG is a file in the format of conf/cluster.conf. Every key can be given\n"
            "on the command line as --key value (e.g. --port 7400, --data_dir /tmp/x,\n"
            "--node-id 2). Without a file: a single node on 127.0.0.1:7379, data in ./data.\n"
            "See docs/configuration.md for every key.\n");
}

int main(int argc, char **argv)
{
    static config_t cfg;
    char err[1024];
    config_defaults(&cfg);
    log_init(0, LOG_INFO, NULL);

    int i = 1;
    if (i < argc && (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (i < argc && (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-v") == 0)) {
        printf("redraft-server v=%s\n", REDRAFT_VERSION);
        return 0;
    }
    if (i < argc && strncmp(argv[i], "--", 2) != 0) {
        if (config_load_file(&cfg, argv[i], err, sizeof(err)) < 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        i++;
    }
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc) {
            fprintf(stderr, "%s: expected --name value\n", argv[i]);
            usage(stderr);
            return 1;
        }
        if (config_set(&cfg, argv[i] + 2, argv[i + 1], err, sizeof(err)) < 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        i++;
    }
    if (config_finalize(&cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }

    log_level_t lvl = LOG_INFO;
    log_level_parse(cfg.log_level, &lvl);
    FILE *logf = NULL;
    if (cfg.log_file[0]) {
        logf = fopen(cfg.log_file, "a");
        if (!logf) {
            fprintf(stderr, "%s: cannot open log file\n", cfg.log_file);
            return 1;
        }
        setvbuf(logf, NULL, _IOLBF, 0);
    }
    log_init(cfg.enabled ? cfg.node_id : 0, lvl, logf);
    log_info("starting", " version=%s config=%s pid=%d", REDRAFT_VERSION, cfg.config_file[0] ? cfg.config_file : "-",
             (int)uv_os_getpid());

    /* a client that goes away mid-reply must cost an EPIPE, not the process */
    signal(SIGPIPE, SIG_IGN);
    uv_loop_t *loop = uv_default_loop();
    static node_t node;
    if (node_start(&node, &cfg, loop) < 0) return 1;
    uv_run(loop, UV_RUN_DEFAULT);
    node_free(&node);
    log_info("stopped", " exit_code=%d", node.exit_code);
    if (logf) fclose(logf);
    return node.exit_code;
}
