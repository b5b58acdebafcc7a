/* Test harness for real server processes: free ports on 127.0.0.1, a
 * private data directory, start/stop/kill by pid, and an atexit/signal
 * guard so a failing test never leaves a server behind. */
#ifndef REDRAFT_TESTS_PROC_H
#define REDRAFT_TESTS_PROC_H

#include <stdbool.h>
#include <sys/types.h>
#include <hiredis.h>

typedef struct testproc {
    pid_t pid;
    int port;
    char dir[256];     /* data dir (removed by proc_cleanup) */
    char log[300];     /* stdout+stderr of the server */
    char bin[256];
    char conf[256];    /* config file given first on the command line ("": none) */
    char extra[40][192];
    int nextra;
} testproc_t;

/* A TCP port on 127.0.0.1 that was free a moment ago. */
int proc_free_port(void);

/* Path of the server binary under test: $REDRAFT_BIN or bin/redraft-server. */
const char *proc_server_bin(void);

/* Prepares (port, fresh temp dir) and starts redraft-server with the given
 * extra "--key value" arguments (NULL-terminated list). Waits until it
 * answers PING (up to 10 s). Returns 0 or -1. */
int proc_start(testproc_t *p, const char *const *extra_args);
/* Starts again on the same port and data dir (after a stop or kill). Also
 * the first start of a testproc_t filled by hand (bin, conf, port, dir, log,
 * extra): the command line is bin [conf] --port P --data_dir D --binding
 * 127.0.0.1 extra... */
int proc_restart(testproc_t *p);
/* proc_restart in two halves, to start several servers at once: launches
 * without waiting (0, or -1 if fork failed) ... */
int proc_launch_nowait(testproc_t *p);
/* ... then waits up to ms for it to answer PING: 0, or -1 if it exited
 * (the pid is then forgotten) or did not answer in time. */
int proc_wait_ready(testproc_t *p, int ms);
/* SIGTERM and wait; returns the exit status (or -1). */
int proc_stop(testproc_t *p);
/* SIGTERM and wait (SIGKILL after 10 s) like proc_stop, but reports how it
 * ended: *status gets the raw wait status. Returns 0 only if the server
 * exited with code 0 because of the SIGTERM; -1 if it had already died
 * (crash, signal) or failed its shutdown. A test group's teardown uses it to
 * catch a server that crashed during the tests. */
int proc_stop_status(testproc_t *p, int *status);
/* The end of a test group: proc_stop_status, and if the server had crashed
 * or did not exit cleanly, says so on stderr with the tail of its log; then
 * proc_cleanup. Returns 0, or -1 so that the group teardown fails. */
int proc_finish(testproc_t *p);
/* Waits up to ms for the server to end by itself (a crash); true if it did,
 * with the raw wait status in *status (and the pid forgotten). */
bool proc_wait_dead(testproc_t *p, int ms, int *status);
/* "exit code N" or "killed by signal N (name)" for a raw wait status. */
const char *proc_status_str(int status, char *buf, size_t len);
/* SIGKILL and wait. */
void proc_kill9(testproc_t *p);
/* Stops if running and removes the data dir. */
void proc_cleanup(testproc_t *p);
bool proc_alive(testproc_t *p);
/* The resident set size of process pid in kB (VmRSS), or -1. */
long proc_rss_kb(pid_t pid);

/* Starts a scratch redis-server (reference implementation) on a free port:
 * no persistence. Returns 0 or -1 (skip the test if redis-server is absent). */
int proc_start_redis(testproc_t *p);
/* The same with extra "--key value" arguments (NULL-terminated list), e.g.
 * {"--requirepass", "pw", NULL}. */
int proc_start_redis_args(testproc_t *p, const char *const *extra_args);

/* Prints the last `lines` lines of the server's log to stderr (for a test
 * that found the server dead or misbehaving). */
void proc_dump_log(const testproc_t *p, int lines);

/* A hiredis connection with a 10 s timeout, or NULL. */
redisContext *proc_connect(const testproc_t *p);

/* Sends raw bytes on a new socket and reads whatever comes back until the
 * peer closes or `ms` milliseconds pass without data. Returns a malloc'ed
 * buffer (NUL-terminated) and its length in *outlen. */
char *proc_raw_exchange(int port, const char *data, size_t len, int ms, size_t *outlen);

#endif
