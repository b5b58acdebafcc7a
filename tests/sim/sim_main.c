/* The simulator's command line:
 *   sim [--seeds N] [--first S] [--steps M] [--nodes 3|5] [--seed S] [--trace] [--jobs J]
 * runs seeds S .. S+N-1 (default 1 .. 100) of M steps (default 2000) with 3 or
 * 5 founding nodes over J worker processes (default: one per CPU), prints
 * every failing seed with the command that replays it, then a summary; exits
 * non-zero if any seed failed. --seed S runs that seed alone; --trace prints
 * every message and event. The same settings can come from the environment
 * (SIM_SEEDS, SIM_FIRST, SIM_STEPS, SIM_NODES, SIM_JOBS), which is how
 * scripts/run-tests.sh passes them; options win. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/sim.h"

/* Bad arguments: say what is accepted and stop. */
static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [--seeds N] [--first S] [--steps M] [--nodes 3|5] [--seed S] [--trace] "
            "[--jobs J]\n",
            argv0);
    exit(2);
}

/* A number from the environment, or def. */
static uint64_t env_u64(const char *name, uint64_t def)
{
    const char *v = getenv(name);
    return v && *v ? strtoull(v, NULL, 10) : def;
}

/* The number after option argv[*i], which is consumed. */
static uint64_t arg_u64(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) usage(argv[0]);
    char *end;
    uint64_t v = strtoull(argv[++*i], &end, 10);
    if (*end) usage(argv[0]);
    return v;
}

/* Wall-clock seconds since t0, for the summary. */
static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Settings from the environment, then the options; runs the seeds, prints the
 * summary; exits 1 if any seed failed. */
int main(int argc, char **argv)
{
    sim_opts_t o;
    memset(&o, 0, sizeof(o));
    o.argv0 = argv[0];
    uint64_t seeds = env_u64("SIM_SEEDS", 100), first = env_u64("SIM_FIRST", 1);
    o.steps = env_u64("SIM_STEPS", 2000);
    o.nodes = (int)env_u64("SIM_NODES", 3);
    int jobs = (int)env_u64("SIM_JOBS", (uint64_t)sim_default_jobs());
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seeds"))
            seeds = arg_u64(argc, argv, &i);
        else if (!strcmp(argv[i], "--first"))
            first = arg_u64(argc, argv, &i);
        else if (!strcmp(argv[i], "--steps"))
            o.steps = arg_u64(argc, argv, &i);
        else if (!strcmp(argv[i], "--nodes"))
            o.nodes = (int)arg_u64(argc, argv, &i);
        else if (!strcmp(argv[i], "--jobs"))
            jobs = (int)arg_u64(argc, argv, &i);
        else if (!strcmp(argv[i], "--seed"))
            first = arg_u64(argc, argv, &i), seeds = 1;
        else if (!strcmp(argv[i], "--trace"))
            o.trace = true;
        else
            usage(argv[0]);
    }
    if (o.nodes < 1 || o.nodes > RAFT_MAX_NODES - 2 || o.steps == 0) usage(argv[0]);
    if (o.trace) jobs = 1;

    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sim_stats_t st;
    memset(&st, 0, sizeof(st));
    uint64_t failed = sim_seeds(&o, first, seeds, jobs, false, &st, NULL, NULL, 0);
    sim_print_stats("sim", &o, &st, seconds_since(&t0));
    return failed ? 1 : 0;
}
