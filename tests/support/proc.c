#include "support/proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Every pid we started, so the guard can kill exactly those on exit. */
#define MAX_PROCS 64
static pid_t started[MAX_PROCS];
static int nstarted;
static bool guard_installed;

static void kill_started(void)
{
    for (int i = 0; i < nstarted; i++)
        if (started[i] > 0) kill(started[i], SIGKILL);
}

static void on_fatal_signal(int sig)
{
    kill_started();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_guard(void)
{
    if (guard_installed) return;
    guard_installed = true;
    atexit(kill_started);
    signal(SIGINT, on_fatal_signal);
    signal(SIGTERM, on_fatal_signal);
    signal(SIGABRT, on_fatal_signal);
    signal(SIGSEGV, on_fatal_signal);
    /* also when the output pipe goes away (test | head) or the terminal does */
    signal(SIGPIPE, on_fatal_signal);
    signal(SIGHUP, on_fatal_signal);
    signal(SIGQUIT, on_fatal_signal);
    signal(SIGBUS, on_fatal_signal);
    signal(SIGFPE, on_fatal_signal);
    signal(SIGILL, on_fatal_signal);
}

static void remember(pid_t pid)
{
    for (int i = 0; i < nstarted; i++)
        if (started[i] <= 0) {
            started[i] = pid;
            return;
        }
    if (nstarted < MAX_PROCS) started[nstarted++] = pid;
}

static void forget(pid_t pid)
{
    for (int i = 0; i < nstarted; i++)
        if (started[i] == pid) started[i] = 0;
}

int proc_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        close(fd);
        return -1;
    }
    int port = ntohs(a.sin_port);
    close(fd);
    return port;
}

const char *proc_server_bin(void)
{
    const char *b = getenv("REDRAFT_BIN");
    return b && *b ? b : "bin/redraft-server";
}

static bool ping_ok(int port)
{
    struct timeval tv = {1, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    bool ok = false;
    if (c && !c->err) {
        redisReply *r = redisCommand(c, "PING");
        /* a server with requirepass answers NOAUTH: it is up all the same */
        ok = r && (r->type == REDIS_REPLY_STATUS ||
                   (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOAUTH", 6) == 0));
        if (r) freeReplyObject(r);
    }
    if (c) redisFree(c);
    return ok;
}

static int spawn_nowait(testproc_t *p, char *const argv[])
{
    install_guard();
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        /* Also when the test dies without running the guard (a sanitizer's
         * error report ends the process with _exit): the kernel kills the
         * server when the thread that started it is gone. Servers are
         * started from a test's main thread. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        int fd = open(p->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    p->pid = pid;
    remember(pid);
    return 0;
}

int proc_wait_ready(testproc_t *p, int ms)
{
    if (p->pid <= 0) return -1;
    for (int waited = 0; waited <= ms; waited += 10) {
        int st;
        if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
            forget(p->pid);
            p->pid = 0;
            fprintf(stderr, "server exited during start-up; log %s\n", p->log);
            return -1;
        }
        if (ping_ok(p->port)) return 0;
        usleep(10000);
    }
    fprintf(stderr, "server did not answer PING; log %s\n", p->log);
    return -1;
}

static int spawn(testproc_t *p, char *const argv[])
{
    if (spawn_nowait(p, argv) < 0) return -1;
    return proc_wait_ready(p, 10000);
}

static char **launch_argv(testproc_t *p, char *argv[], char port[16])
{
    snprintf(port, 16, "%d", p->port);
    int n = 0;
    argv[n++] = p->bin;
    if (p->conf[0]) argv[n++] = p->conf;
    argv[n++] = "--port";
    argv[n++] = port;
    argv[n++] = "--data_dir";
    argv[n++] = p->dir;
    argv[n++] = "--binding";
    argv[n++] = "127.0.0.1";
    for (int i = 0; i < p->nextra; i++) argv[n++] = p->extra[i];
    argv[n] = NULL;
    return argv;
}

static int launch(testproc_t *p)
{
    char port[16];
    char *argv[64];
    return spawn(p, launch_argv(p, argv, port));
}

int proc_launch_nowait(testproc_t *p)
{
    char port[16];
    char *argv[64];
    return spawn_nowait(p, launch_argv(p, argv, port));
}

int proc_start(testproc_t *p, const char *const *extra_args)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->bin, sizeof(p->bin), "%s", proc_server_bin());
    snprintf(p->dir, sizeof(p->dir), "/tmp/redraft-test-XXXXXX");
    if (!mkdtemp(p->dir)) return -1;
    snprintf(p->log, sizeof(p->log), "%s.log", p->dir);
    for (int i = 0; extra_args && extra_args[i] && p->nextra < (int)(sizeof(p->extra) / sizeof(p->extra[0])); i++)
        snprintf(p->extra[p->nextra++], sizeof(p->extra[0]), "%s", extra_args[i]);
    for (int attempt = 0; attempt < 5; attempt++) { /* the free port may be taken meanwhile */
        p->port = proc_free_port();
        if (launch(p) == 0) return 0;
    }
    return -1;
}

int proc_restart(testproc_t *p)
{
    return launch(p);
}

long proc_rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0) kb = strtol(line + 6, NULL, 10);
    if (f) fclose(f);
    return kb;
}

bool proc_alive(testproc_t *p)
{
    if (p->pid <= 0) return false;
    int st;
    if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
        forget(p->pid);
        p->pid = 0;
        return false;
    }
    return true;
}

int proc_stop(testproc_t *p)
{
    if (p->pid <= 0) return -1;
    kill(p->pid, SIGTERM);
    int st = 0;
    for (int i = 0; i < 1000; i++) { /* 10 s, then SIGKILL */
        if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
            forget(p->pid);
            p->pid = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        }
        usleep(10000);
    }
    proc_kill9(p);
    return -1;
}

int proc_stop_status(testproc_t *p, int *status)
{
    *status = 0;
    if (p->pid <= 0) return -1;
    int st = 0;
    bool died_before = false;
    /* already gone (a crash, perhaps still being torn down)? */
    for (int i = 0; i < 5; i++) {
        if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
            died_before = true;
            break;
        }
        if (i < 4) usleep(2000);
    }
    if (!died_before) {
        kill(p->pid, SIGTERM);
        int i;
        for (i = 0; i < 1000; i++) { /* 10 s, then SIGKILL */
            if (waitpid(p->pid, &st, WNOHANG) == p->pid) break;
            usleep(10000);
        }
        if (i == 1000) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &st, 0);
            died_before = true; /* did not stop on SIGTERM */
        }
    }
    forget(p->pid);
    p->pid = 0;
    *status = st;
    if (died_before) return -1;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int proc_finish(testproc_t *p)
{
    int rc = 0;
    if (p->pid > 0) {
        int st;
        rc = proc_stop_status(p, &st);
        if (rc != 0) {
            char b[96];
            fprintf(stderr, "server %s on port %d did not end cleanly: %s\n", p->bin, p->port,
                    proc_status_str(st, b, sizeof(b)));
            proc_dump_log(p, 30);
        }
    }
    proc_cleanup(p);
    return rc;
}

bool proc_wait_dead(testproc_t *p, int ms, int *status)
{
    if (p->pid <= 0) return false;
    for (int waited = 0;; waited += 5) {
        int st;
        if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
            forget(p->pid);
            p->pid = 0;
            if (status) *status = st;
            return true;
        }
        if (waited >= ms) return false;
        usleep(5000);
    }
}

const char *proc_status_str(int status, char *buf, size_t len)
{
    if (WIFEXITED(status))
        snprintf(buf, len, "exit code %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(buf, len, "status 0x%x", status);
    return buf;
}

void proc_kill9(testproc_t *p)
{
    if (p->pid <= 0) return;
    kill(p->pid, SIGKILL);
    waitpid(p->pid, NULL, 0);
    forget(p->pid);
    p->pid = 0;
}

static void rm_rf(const char *dir)
{
    char cmd[600];
    if (strncmp(dir, "/tmp/redraft-", 13) != 0) return; /* never anything else */
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s.log'", dir, dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

void proc_cleanup(testproc_t *p)
{
    if (p->pid > 0) proc_stop(p);
    if (p->dir[0]) rm_rf(p->dir);
    p->dir[0] = '\0';
}

int proc_start_redis(testproc_t *p)
{
    return proc_start_redis_args(p, NULL);
}

int proc_start_redis_args(testproc_t *p, const char *const *extra_args)
{
    memset(p, 0, sizeof(*p));
    if (access("/usr/bin/redis-server", X_OK) != 0) return -1;
    snprintf(p->bin, sizeof(p->bin), "/usr/bin/redis-server");
    snprintf(p->dir, sizeof(p->dir), "/tmp/redraft-ref-XXXXXX");
    if (!mkdtemp(p->dir)) return -1;
    snprintf(p->log, sizeof(p->log), "%s.log", p->dir);
    for (int attempt = 0; attempt < 5; attempt++) {
        p->port = proc_free_port();
        char port[16];
        snprintf(port, sizeof(port), "%d", p->port);
        char *argv[32] = {p->bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                          "--dir", p->dir};
        int n = 11;
        for (int i = 0; extra_args && extra_args[i] && n < 31; i++) argv[n++] = (char *)extra_args[i];
        argv[n] = NULL;
        if (spawn(p, argv) == 0) return 0;
    }
    return -1;
}

void proc_dump_log(const testproc_t *p, int lines)
{
    FILE *f = fopen(p->log, "r");
    if (!f) return;
    char **ring = calloc((size_t)lines, sizeof(char *));
    char buf[4096];
    long n = 0;
    while (fgets(buf, sizeof(buf), f)) {
        free(ring[n % lines]);
        ring[n % lines] = strdup(buf);
        n++;
    }
    fclose(f);
    fprintf(stderr, "---- last lines of %s ----\n", p->log);
    for (long i = n > lines ? n - lines : 0; i < n; i++) fputs(ring[i % lines], stderr);
    fprintf(stderr, "----\n");
    for (int i = 0; i < lines; i++) free(ring[i]);
    free(ring);
}

redisContext *proc_connect(const testproc_t *p)
{
    struct timeval tv = {10, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", p->port, tv);
    if (!c || c->err) {
        if (c) redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    return c;
}

char *proc_raw_exchange(int port, const char *data, size_t len, int ms, size_t *outlen)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    size_t cap = 4096, n = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    *outlen = 0;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        return out;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = send(fd, data + off, len - off, MSG_NOSIGNAL);
        if (w <= 0) break;
        off += (size_t)w;
    }
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    while (poll(&pfd, 1, ms) > 0) {
        if (n + 4096 > cap) {
            cap *= 2;
            out = realloc(out, cap);
        }
        ssize_t r = recv(fd, out + n, cap - n - 1, 0);
        if (r <= 0) break;
        n += (size_t)r;
    }
    out[n] = '\0';
    *outlen = n;
    close(fd);
    return out;
}
