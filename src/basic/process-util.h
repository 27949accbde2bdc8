/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Starting child processes with a known state (systemd's safe_fork() is the model): what a
 * child inherits from whoever started rkt or a stage1 (blocked or ignored signals, stray
 * descriptors) is reset before it runs anything, and a child that must not outlive us dies
 * with us. libc only; runs in any process that has no other threads or only threads that
 * hold no lock the child needs (glibc's fork() keeps malloc usable in the child).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum fork_flags {
        /* every signal's disposition back to SIG_DFL, nothing blocked */
        FORK_RESET_SIGNALS = 1 << 0,
        /* SIGKILL when the forking thread dies; the child exits at once if it already has.
         * Not with a parent in another PID namespace than the child's (setns() before). */
        FORK_DEATHSIG_SIGKILL = 1 << 1,
        /* a process group of its own (killed as a whole with kill(-pid, ...)) */
        FORK_NEW_PROCESS_GROUP = 1 << 2,
        /* stdin, stdout and stderr from stdio_fds (safe_fork_full()) */
        FORK_REARRANGE_STDIO = 1 << 3,
        /* closes every descriptor but 0, 1, 2 and except_fds, close-on-exec or not */
        FORK_CLOSE_ALL_FDS = 1 << 4,
        /* a setup step that fails in the child is logged (log.h, error level) on its stderr
         * (after FORK_REARRANGE_STDIO); a failed fork() is the caller's to report */
        FORK_LOG = 1 << 5,
};

/*
 * Forks, then sets the child up as flags say (in the order of the flags above). Signals
 * are blocked around the fork, so that no handler of ours runs in the child before the
 * reset. With FORK_REARRANGE_STDIO, stdio_fds[i] becomes descriptor i: a descriptor (any
 * number, also 0-2, close-on-exec or not; i itself keeps it), or < 0 for /dev/null.
 * name is what logs call the child.
 *
 * Returns 1 in the parent with *ret_pid set, 0 in the child, or -errno when fork() failed.
 * A child whose setup fails exits with status 127 (and the parent sees just that).
 */
int safe_fork_full(const char *name, const int stdio_fds[3], const int *except_fds,
                   size_t n_except_fds, enum fork_flags flags, pid_t *ret_pid);

static inline int safe_fork(const char *name, enum fork_flags flags, pid_t *ret_pid)
{
        return safe_fork_full(name, NULL, NULL, 0, flags, ret_pid);
}

/*
 * Starts path (argv; envp NULL: our environment) in dir with stdio_fds[i] as descriptor i
 * (< 0: /dev/null; any other descriptor, also 0-2), no other descriptor open, every signal's
 * disposition SIG_DFL (glibc's own two included) and none blocked: the child of
 * safe_fork_full(FORK_RESET_SIGNALS | FORK_REARRANGE_STDIO | FORK_CLOSE_ALL_FDS) that runs
 * execve(). deathsig (0: none) comes to the child when the calling thread ends. Without one,
 * through posix_spawn(), which does not copy our address space first (the child borrows it
 * until its exec, while we wait); with one, or where clone3() is refused (some sandboxes'
 * seccomp filters fail it with EPERM, and glibc falls back to clone() on ENOSYS only),
 * through fork(). Returns 0 with *ret_pid once the child has executed path, or -errno of
 * what failed (the exec's too: then no child is left).
 */
int spawn_exec(const char *path, char *const *argv, char *const *envp, const char *dir,
               const int stdio_fds[3], int deathsig, pid_t *ret_pid);

/*
 * Sets every signal's disposition to SIG_DFL (all but SIGKILL and SIGSTOP, also glibc's own
 * two, 32 and 33, which glibc's sigaction() refuses). Returns 0 or -errno. Only where no other
 * thread runs or will (a child before its exec, the attach mux): glibc installs its handler of
 * 33 when a process starts its first thread, and a set*id() of a process with more threads
 * signals each of them with 33, which kills the process once that handler is gone.
 */
int signals_reset_dispositions(void);

/* Sets every signal's disposition to SIG_DFL and unblocks every signal (where
 * signals_reset_dispositions() may run). Returns 0 or -errno. */
int signals_reset_all(void);

/*
 * Waits for pid (retrying on EINTR). Returns 0 with *ret_status (waitpid()'s status, may be
 * NULL), or -errno.
 */
int wait_for_pid(pid_t pid, int *ret_status);

/*
 * Lets pid run only on the CPUs we may run on other than the one we run on now (nothing when
 * there is no other), for a helper forked to work beside us: the kernel queues a new process
 * on its parent's CPU, where it waits for us while another CPU may idle until the scheduler
 * next balances, milliseconds later. Best effort.
 */
void sched_beside_us(pid_t pid);
/* Lets us run on the CPUs our parent may run on (after sched_beside_us()). Best effort. */
void sched_like_parent(void);

/* Sends sig to our child *pid (when > 0), waits for it and sets *pid to 0. */
void kill_and_wait(pid_t *pid, int sig);

/* A pidfd of pid (pidfd_open(2); close-on-exec). Returns it, or -errno (-ESRCH: no such
 * process). */
int pidfd_open_pid(pid_t pid);

/*
 * A pidfd of pid while what its /proc/<pid>/<name> says passes check (called with the text
 * and data), checked after the pidfd was opened and the process still running afterwards:
 * the text read is that process's. Returns the pidfd, -ESRCH (no such process, or check
 * said no), or -errno.
 */
int pidfd_open_checked(pid_t pid, const char *name,
                       bool (*check)(const char *text, const void *data), const void *data);

/*
 * Whether a /proc/<pid>/cgroup text has a line ("id:controllers:/path") whose whole path is
 * /rel or below it (rel: a const char *, as pidfd_open_checked()'s check takes it). A
 * cgroup's name may hold ':', so only the path after a line's second ':' counts.
 */
bool proc_cgroup_text_in(const char *text, const void *rel);

/* Whether the process of pidfd has not exited yet (its pidfd is not readable). */
bool pidfd_running(int pidfd);

/* Sends sig to the process of pidfd (pidfd_send_signal(2)). Returns 0 or -errno. */
int pidfd_signal(int pidfd, int sig);
