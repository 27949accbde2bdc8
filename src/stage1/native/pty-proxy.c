/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The terminal relay of `--interactive` pods. Runs in: stage1 init, host side, after the
 * pod is cloned. The caller's terminal is put in raw mode; bytes are copied both ways;
 * pressing ^] three times within one second kills the pod, as systemd-nspawn does.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fs-util.h"
#include "pod-plan.h"

#define ESCAPE_CHAR  0x1d /* ^] */
#define ESCAPE_COUNT 3

static double elapsed(const struct timespec *a)
{
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)(now.tv_sec - a->tv_sec) + (double)(now.tv_nsec - a->tv_nsec) / 1e9;
}

bool pty_escape_seen(struct pty_escape *e, const char *buf, ssize_t n)
{
        for (ssize_t i = 0; i < n; i++) {
                if (buf[i] != ESCAPE_CHAR) {
                        e->count = 0;
                        continue;
                }
                if (e->count == 0 || elapsed(&e->first) > 1.0) {
                        e->count = 0;
                        clock_gettime(CLOCK_MONOTONIC, &e->first);
                }
                if (++e->count >= ESCAPE_COUNT)
                        return true;
        }
        return false;
}

static void copy_winsize(int master)
{
        struct winsize ws;

        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
                (void)ioctl(master, TIOCSWINSZ, &ws);
}

static int handle_signal(int sfd, int master, pid_t pod_pid, int *status)
{
        struct signalfd_siginfo si;

        if (read(sfd, &si, sizeof(si)) != sizeof(si))
                return 0;
        if (si.ssi_signo == SIGWINCH)
                copy_winsize(master);
        else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT || si.ssi_signo == SIGHUP)
                (void)kill(pod_pid, SIGTERM);
        return waitpid(pod_pid, status, WNOHANG) == pod_pid;
}

/* Copies what the pod printed; returns false once the pty has no writer left. */
static bool relay_out(int master)
{
        char buf[4096];
        ssize_t n = read(master, buf, sizeof(buf));

        if (n <= 0)
                return n < 0 && errno == EINTR;
        (void)write_full(STDOUT_FILENO, buf, (size_t)n);
        return true;
}

static void drain(int master)
{
        struct pollfd pf = {master, POLLIN, 0};

        while (poll(&pf, 1, 0) > 0 && (pf.revents & POLLIN) && relay_out(master))
                ;
}

static int relay_loop(int master, int sfd, pid_t pod_pid)
{
        struct pty_escape esc = {0};
        bool in_open = true, out_open = true;
        int status;

        for (;;) {
                struct pollfd pf[3] = {{sfd, POLLIN, 0},
                                       {out_open ? master : -1, POLLIN, 0},
                                       {in_open ? STDIN_FILENO : -1, POLLIN, 0}};
                if (poll(pf, 3, -1) < 0 && errno != EINTR)
                        return -1;
                if ((pf[0].revents & POLLIN) && handle_signal(sfd, master, pod_pid, &status)) {
                        drain(master);
                        return status;
                }
                if (pf[1].revents & (POLLIN | POLLHUP | POLLERR))
                        out_open = relay_out(master);
                if (pf[2].revents & (POLLIN | POLLHUP | POLLERR)) {
                        char buf[1024];
                        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
                        if (n <= 0) {
                                in_open = false;
                                continue;
                        }
                        if (pty_escape_seen(&esc, buf, n)) {
                                (void)kill(pod_pid, SIGKILL);
                                (void)waitpid(pod_pid, &status, 0);
                                return -1;
                        }
                        (void)write_full(master, buf, (size_t)n);
                }
        }
}

int pty_proxy_run(int master, pid_t pod_pid)
{
        struct termios saved, raw;
        bool have_tio = tcgetattr(STDIN_FILENO, &saved) == 0;
        sigset_t set;
        int sfd, st;

        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGHUP);
        sigaddset(&set, SIGWINCH);
        sfd = signalfd(-1, &set, SFD_CLOEXEC);
        if (have_tio) {
                raw = saved;
                cfmakeraw(&raw);
                (void)tcsetattr(STDIN_FILENO, TCSANOW, &raw);
        }
        st = relay_loop(master, sfd, pod_pid);
        if (have_tio)
                (void)tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        safe_close(sfd);
        return st;
}
