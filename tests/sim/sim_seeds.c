/* Running many seeds: split over worker processes (seed k goes to worker
 * k mod jobs), each failure printed with the command that replays it alone,
 * and the statistics summed. Processes, not threads: a run shares nothing,
 * and a crash of the core in one seed is reported without taking down the
 * others' results. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/sim.h"

typedef struct share_result {
    uint64_t failures, failed_seed;
    sim_stats_t st;
    char why[512];
} share_result_t;

/* One write, so that lines of parallel workers do not interleave. */
static void print_failure(const sim_opts_t *o, uint64_t seed, const char *why)
{
    char buf[1024];
    fflush(stdout);
    int n = snprintf(buf, sizeof(buf),
                     "FAIL seed %" PRIu64 " (%d nodes, %" PRIu64 " steps): %s\n"
                     "replay: %s %s--seed %" PRIu64 " --steps %" PRIu64 " --nodes %d --trace\n",
                     seed, o->nodes, o->steps, why, o->argv0 ? o->argv0 : "sim",
                     o->replay_extra ? o->replay_extra : "", seed, o->steps, o->nodes);
    if (n > 0) {
        size_t len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
        if (write(STDOUT_FILENO, buf, len) < 0) perror("write");
    }
}

/* Whether a failure is one the caller looks for (any, without a list). */
static bool expected(const sim_opts_t *o, const char *why)
{
    if (!o->expect) return true;
    for (const char *const *e = o->expect; *e; e++)
        if (strstr(why, *e)) return true;
    return false;
}

/* The seeds of worker k out of jobs. */
static void run_share(const sim_opts_t *base, uint64_t first, uint64_t count, int k, int jobs,
                      bool stop_at_first, share_result_t *out)
{
    for (uint64_t seed = first + (uint64_t)k; seed < first + count; seed += (uint64_t)jobs) {
        sim_opts_t o = *base;
        o.seed = seed;
        char why[512];
        if (sim_run(&o, &out->st, why, sizeof(why)) == 0 || !expected(base, why)) continue;
        if (!base->quiet) print_failure(&o, seed, why);
        if (!out->failures++ || seed < out->failed_seed) {
            out->failed_seed = seed;
            snprintf(out->why, sizeof(out->why), "%s", why);
        }
        if (stop_at_first) break;
    }
}

/* One worker per CPU by default (bounded). */
int sim_default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/* Adds a worker's result to the total, keeping the lowest failing seed. */
static void merge(share_result_t *into, const share_result_t *r)
{
    sim_stats_add(&into->st, &r->st);
    if (r->failures && (!into->failures || r->failed_seed < into->failed_seed)) {
        into->failed_seed = r->failed_seed;
        memcpy(into->why, r->why, sizeof(into->why));
    }
    into->failures += r->failures;
}

/* Reads a worker's whole result from its pipe; false if it died first. */
static bool read_result(int fd, share_result_t *r)
{
    size_t got = 0;
    while (got < sizeof(*r)) {
        ssize_t n = read(fd, (char *)r + got, sizeof(*r) - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        got += (size_t)n;
    }
    return true;
}

uint64_t sim_seeds(const sim_opts_t *o, uint64_t first, uint64_t count, int jobs,
                   bool stop_at_first, sim_stats_t *st, uint64_t *failed_seed, char *why,
                   size_t cap)
{
    share_result_t total;
    memset(&total, 0, sizeof(total));
    if (jobs < 1) jobs = 1;
    if ((uint64_t)jobs > count) jobs = count ? (int)count : 1;
    if (jobs == 1) {
        run_share(o, first, count, 0, 1, stop_at_first, &total);
    } else {
        pid_t pids[64];
        struct pollfd fds[64];
        int live = 0;
        bool killed = false;
        fflush(NULL);
        for (int k = 0; k < jobs; k++) {
            int p[2];
            if (pipe(p) != 0) abort();
            pid_t pid = fork();
            if (pid < 0) abort();
            if (pid == 0) {
                close(p[0]);
                share_result_t r;
                memset(&r, 0, sizeof(r));
                run_share(o, first, count, k, jobs, stop_at_first, &r);
                ssize_t n = write(p[1], &r, sizeof(r));
                exit(n == (ssize_t)sizeof(r) ? 0 : 2); /* exit, not _exit: LeakSanitizer runs */
            }
            close(p[1]);
            pids[k] = pid;
            fds[k] = (struct pollfd){.fd = p[0], .events = POLLIN};
            live++;
        }
        while (live > 0) {
            if (poll(fds, (nfds_t)jobs, -1) < 0) {
                if (errno == EINTR) continue;
                abort();
            }
            for (int k = 0; k < jobs; k++) {
                if (fds[k].fd < 0 || !fds[k].revents) continue;
                share_result_t r;
                if (!read_result(fds[k].fd, &r)) {
                    memset(&r, 0, sizeof(r));
                    r.failures = killed ? 0 : 1;
                    snprintf(r.why, sizeof(r.why), "worker %d died (a crash in the core?)", k);
                    if (!killed && !o->quiet)
                        printf("FAIL worker %d of %d died: rerun its seeds with --jobs 1\n", k,
                               jobs);
                }
                close(fds[k].fd);
                fds[k].fd = -1;
                live--;
                merge(&total, &r);
                if (stop_at_first && r.failures && !killed) {
                    killed = true;
                    for (int j = 0; j < jobs; j++)
                        if (fds[j].fd >= 0) kill(pids[j], SIGKILL);
                }
            }
        }
        for (int k = 0; k < jobs; k++)
            waitpid(pids[k], NULL, 0);
    }
    sim_stats_add(st, &total.st);
    if (failed_seed) *failed_seed = total.failed_seed;
    if (why && cap) snprintf(why, cap, "%s", total.why);
    return total.failures;
}

/* The closing summary: what was exercised, and how long it took. */
void sim_print_stats(const char *label, const sim_opts_t *o, const sim_stats_t *st, double secs)
{
    printf("%s: %" PRIu64 " seeds x %" PRIu64 " steps, %d nodes, %.1fs: %" PRIu64 " failed\n"
           "  %" PRIu64 " leaders, %" PRIu64 " entries committed, %" PRIu64
           " writes acknowledged, %" PRIu64 " reads checked (%" PRIu64 " rejected)\n"
           "  %" PRIu64 " messages (%" PRIu64 " dropped), %" PRIu64 " snapshots sent, %" PRIu64
           " installed, %" PRIu64 " compactions\n"
           "  %" PRIu64 " crashes, %" PRIu64 " partitions, %" PRIu64 " membership changes, %" PRIu64
           " leadership transfers\n"
           "  after the faults stop: a stable leader within %" PRIu64
           " ticks (bound %d), writes committed within %" PRIu64
           " ticks, reads answered within %" PRIu64 " ticks (bound %d)\n",
           label, st->seeds, o->steps, o->nodes, secs, st->failed, st->leaders, st->committed,
           st->acked, st->reads_ok, st->reads_rejected, st->msgs, st->dropped, st->snaps_sent,
           st->snaps_installed, st->compactions, st->crashes, st->partitions, st->conf_changes,
           st->transfers, st->max_leader_wait, SIM_LEADER_BOUND, st->max_commit_wait,
           st->max_read_wait, SIM_COMMIT_BOUND);
}
