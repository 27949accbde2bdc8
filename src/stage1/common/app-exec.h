/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The last steps of starting a program in an app: credentials, capabilities,
 * no_new_privs, oom_score_adj, working directory, exec. Runs in: the app child (native pod
 * init's child or enter's child, after entering the app root; fly's run after chroot).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "app-seccomp.h"
#include "app.h"
#include "creds.h"

struct app_exec_params {
        char **argv; /* argv[0]: path inside the app root */
        char **envp;
        const char *workdir; /* NULL: "/" */
        const struct app_creds *creds;
        bool set_caps; /* false: leave capabilities alone (fly) */
        uint64_t caps;
        bool no_new_privs;
        bool has_oom_score_adj;
        int oom_score_adj;
        const char *prefix; /* message prefix, e.g. "stage1" */
        int n_listen_fds;   /* fds 3..3+n-1 are the app's socket-activated sockets */
        int keep_fd;        /* one more descriptor the app inherits (fly: the pod lock), or -1 */
        const struct app_seccomp *seccomp; /* the app's filter (app-seccomp.h), or NULL */
        bool deny_keyrings; /* keyrings_deny() (native, unless --insecure-options=seccomp or
                             * the app's filter blocks the keyring calls itself) */
        int userns_fd;      /* >= 3: the pod's user namespace (--private-users), joined after
                             * oom_score_adj, before the ids are set; 0 (unset): none */
        int ready_fd;       /* >= 3: closed once unprivileged (a pipe's write end whose EOF
                             * tells that every child holding it is); 0 (unset): none */
        int gate_fd;        /* >= 3: once unprivileged, wait for one byte on it before the
                             * exec (none: exit 0 without it); 0 (unset): no wait */
        bool spawn;         /* the program runs in a child made by clone(CLONE_PARENT), born
                             * unprivileged into the pid namespace this process set for its
                             * children; this process exits 0 (see app_exec()) */
        int spawn_pid_fd;   /* spawn, >= 3: the program's pid (a pid_t, as this process sees
                             * it) is written to it before this process exits; 0: none */
        int spawn_ctty;     /* spawn, 1-3: the program starts a session of its own, whose
                             * controlling terminal its descriptor spawn_ctty - 1 becomes
                             * (this process's would hang up when it exits); 0: none */
};

/*
 * Socket activation (SPEC.md §8.5): when the app declares a socket-activated port, the
 * n_available sockets stage1 was given go to it: LISTEN_FDS and LISTEN_PID (filled in by
 * app_exec) are added to *env. Returns how many it gets (0 or n_available).
 */
int app_listen_fds(const struct ac_app *app, int n_available, char ***env);

/* no-new-privileges and oom-score-adj from the app's isolators (last one wins). */
void app_exec_params_from_isolators(struct app_exec_params *p, const struct ac_app *app);

/*
 * Why the order below ends as it does: an app may be allowed to trace processes (an image can
 * grant itself CAP_SYS_PTRACE and every system call). Any process of ours it can see in the
 * pod's pid namespace while holding more than the app (capabilities, no filter, a descriptor,
 * a root outside the app's) is a way out: attaching to it runs the app's code with that.
 * So a process waiting to start a program (gate_fd) waits only once it is as unprivileged as
 * the program will be, and a process that must do privileged work before it enters a pod
 * already running apps (enter) does it outside the pod's pid namespace and has the program
 * born there unprivileged (spawn).
 *
 * Applies p and execs, in this order: every signal default and unblocked (signals_reset_all():
 * what rkt's caller left ignored or blocked reaches no app; runs where no other thread does),
 * closes every descriptor but stdin, stdout, stderr, keep_fd and the n_listen_fds sockets (whose
 * LISTEN_PID entry of envp, if any, becomes this pid: nothing of ours may be reachable through
 * /proc/self/fd once the working directory is entered or the program runs), the keyring filter
 * (deny_keyrings, while still privileged), oom_score_adj, the user namespace (userns_fd), groups,
 * gid and uid (capabilities kept through the uid change), working directory, the check that the
 * program can load, the seccomp filter (while CAP_SYS_ADMIN is held: no_new_privs stays as the app
 * asks, rkt's TestNoNewPrivileges), the app's capabilities, no_new_privs, closing ready_fd, the
 * wait on gate_fd, execve (with spawn: clone(CLONE_PARENT), the child (in a session of its own
 * with spawn_ctty) execs and this process exits 0; the child's failure is its exit status, which
 * our parent sees). Never returns: on failure prints a message on stderr and exits 254; when the
 * executable does not exist prints `Error: Unable to open "<path>": No such file or directory` on
 * stdout and exits 203.
 */
_noreturn_ void app_exec(const struct app_exec_params *p);

/*
 * Runs in: a child that will exec into an app. Makes a private mount namespace and
 * pivot_root()s into the directory root (which must be a mount point). Returns 0 or -errno.
 */
int enter_root_pivot(const char *root);

/*
 * Runs in: a child that will exec into an app. Makes a private copy of the mount namespace
 * nsfd, whose root is the app's root (helper_main() of app-ctl.c), and enters its root: as
 * enter_root_pivot() of that root, without copying the mounts of the pod's other apps.
 * Returns 0 or -errno.
 */
int enter_root_ns(int nsfd);
