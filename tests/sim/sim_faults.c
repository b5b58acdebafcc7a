/* Shows that the simulator catches broken Raft: linked with a copy of the core
 * built with -DRAFT_FAULTS, it switches on each deliberate fault in turn and
 * runs seeds until the simulator reports a violation; a fault that survives
 * --seeds seeds (default 2000) fails the test. As a control, the same core
 * with no fault switched on must pass a few seeds.
 *   sim_faults [--seeds N] [--steps M] [--nodes N] [--jobs J] [--fault NAME [--seed S] [--trace]]
 * Environment: SIM_FAULT_SEEDS, SIM_STEPS, SIM_NODES, SIM_JOBS. */
#ifndef RAFT_FAULTS
#define RAFT_FAULTS 1
#endif
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/sim.h"

#define CONTROL_SEEDS 40

/* What each fault breaks: a run counts as finding it only if it reports one
 * of these violations (a liveness failure, say, does not). */
static const char *const commit_old_term[] = {"commit rule",          "leader completeness",
                                              "committed entry lost", "state machine safety",
                                              "log matching",         NULL};
static const char *const double_vote[] = {"election safety", "changes its vote", NULL};
static const char *const read_no_quorum[] = {"linearizability", NULL};

static const struct {
    int fault;
    const char *name;
    const char *const *expect;
} faults[] = {
    {RAFT_FAULT_COMMIT_OLD_TERM, "commit-old-term", commit_old_term},
    {RAFT_FAULT_DOUBLE_VOTE, "double-vote", double_vote},
    {RAFT_FAULT_READ_NO_QUORUM, "read-no-quorum", read_no_quorum},
};
#define N_FAULTS (sizeof(faults) / sizeof(faults[0]))

/* Bad arguments: say what is accepted and stop. */
static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [--seeds N] [--steps M] [--nodes N] [--jobs J] [--fault NAME [--seed S] "
            "[--trace]]\n"
            "faults: commit-old-term double-vote read-no-quorum none\n",
            argv0);
    exit(2);
}

/* A number from the environment, or def (how scripts/run-tests.sh passes settings). */
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

/* Wall-clock seconds since t0, to report how long a hunt took. */
static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Hunts one fault: true if some seed among the first `seeds` shows it. */
static bool hunt(sim_opts_t *o, int f, uint64_t first, uint64_t seeds, int jobs)
{
    char extra[64], why[512];
    snprintf(extra, sizeof(extra), "--fault %s ", faults[f].name);
    o->replay_extra = extra;
    o->quiet = true;
    o->expect = faults[f].expect;
    raft_fault = faults[f].fault;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sim_stats_t st;
    memset(&st, 0, sizeof(st));
    uint64_t seed = 0;
    sim_seeds(o, first, seeds, jobs, true, &st, &seed, why, sizeof(why));
    double secs = seconds_since(&t0);
    o->expect = NULL;
    if (!seed) {
        printf("FAIL fault %s: no violation of its invariants found in %" PRIu64
               " seeds of %" PRIu64 " steps (%.1fs)\n",
               faults[f].name, seeds, o->steps, secs);
        return false;
    }
    printf("PASS fault %s: seed %" PRIu64 " finds it (%.1fs): %s\n"
           "  replay: %s --fault %s --seed %" PRIu64 " --steps %" PRIu64 " --nodes %d --trace\n",
           faults[f].name, seed, secs, why, o->argv0, faults[f].name, seed, o->steps, o->nodes);
    return true;
}

/* Replays one seed of one fault (--fault NAME --seed S), or runs the control
 * and hunts every fault (or the one named); exits non-zero if any is missed. */
int main(int argc, char **argv)
{
    sim_opts_t o;
    memset(&o, 0, sizeof(o));
    o.argv0 = argv[0];
    uint64_t seeds = env_u64("SIM_FAULT_SEEDS", 2000), first = 1;
    o.steps = env_u64("SIM_STEPS", 2000);
    o.nodes = (int)env_u64("SIM_NODES", 3);
    int jobs = (int)env_u64("SIM_JOBS", (uint64_t)sim_default_jobs());
    const char *only = NULL;
    bool one_seed = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seeds"))
            seeds = arg_u64(argc, argv, &i);
        else if (!strcmp(argv[i], "--steps"))
            o.steps = arg_u64(argc, argv, &i);
        else if (!strcmp(argv[i], "--nodes"))
            o.nodes = (int)arg_u64(argc, argv, &i);
        else if (!strcmp(argv[i], "--jobs"))
            jobs = (int)arg_u64(argc, argv, &i);
        else if (!strcmp(argv[i], "--seed"))
            first = arg_u64(argc, argv, &i), one_seed = true;
        else if (!strcmp(argv[i], "--trace"))
            o.trace = true;
        else if (!strcmp(argv[i], "--fault") && i + 1 < argc)
            only = argv[++i];
        else
            usage(argv[0]);
    }
    if (o.nodes < 1 || o.nodes > RAFT_MAX_NODES - 2 || o.steps == 0) usage(argv[0]);
    if (one_seed && !only) usage(argv[0]);
    if (o.trace) jobs = 1;

    if (one_seed) { /* replay one seed of one fault */
        int fault = RAFT_FAULT_NONE;
        for (size_t f = 0; f < N_FAULTS; f++)
            if (!strcmp(only, faults[f].name)) fault = faults[f].fault;
        if (fault == RAFT_FAULT_NONE && strcmp(only, "none")) usage(argv[0]);
        raft_fault = fault;
        o.seed = first;
        sim_stats_t st;
        memset(&st, 0, sizeof(st));
        char why[512];
        int rc = sim_run(&o, &st, why, sizeof(why));
        printf("fault %s, seed %" PRIu64 ": %s\n", only, first, rc ? why : "no violation");
        return rc ? 0 : 1;
    }

    int failed = 0;
    if (!only || !strcmp(only, "none")) {
        raft_fault = RAFT_FAULT_NONE;
        sim_stats_t st;
        memset(&st, 0, sizeof(st));
        uint64_t n = sim_seeds(&o, 1, CONTROL_SEEDS, jobs, false, &st, NULL, NULL, 0);
        printf("%s control: the faults build with no fault, %d seeds: %" PRIu64 " failed\n",
               n ? "FAIL" : "PASS", CONTROL_SEEDS, n);
        failed += n != 0;
    }
    for (size_t f = 0; f < N_FAULTS; f++)
        if (!only || !strcmp(only, faults[f].name)) failed += !hunt(&o, (int)f, 1, seeds, jobs);
    printf("%d of the checks failed\n", failed);
    return failed ? 1 : 0;
}
