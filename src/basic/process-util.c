/* SPDX-License-Identifier: Apache-2.0 */
/* Forking with a reset child (see process-util.h). Runs in any process. */
#include "process-util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-util.h"
#include "fs-util.h"
#include "log.h"
#include "macro.h"
#include "strv.h"

/* The kernel's struct sigaction (rt_sigaction(2)) for SIG_DFL: glibc's sigaction() refuses
 * the two signals it keeps for itself (32, 33), which may still come ignored (SIG_IGN is
 * inherited over execve(); glibc's posix_spawn() leaves them so). */
struct kernel_sigaction_dfl {
        void *handler;
        unsigned long flags;
        void *restorer;
        uint64_t mask;
};

int signals_reset_dispositions(void)
{
        const struct kernel_sigaction_dfl dfl = {.handler = SIG_DFL};

        for (int sig = 1; sig < _NSIG; sig++) {
                if (sig == SIGKILL || sig == SIGSTOP)
                        continue;
                if (syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(uint64_t)) < 0)
                        return -errno;
        }
        return 0;
}

int signals_reset_all(void)
{
        sigset_t none;
        int r = signals_reset_dispositions();

        if (r < 0)
                return r;
        sigemptyset(&none);
        return RET_NERRNO(sigprocmask(SIG_SETMASK, &none, NULL));
}

void kill_and_wait(pid_t *pid, int sig)
{
        if (*pid <= 0)
                return;
        (void)kill(*pid, sig);
        (void)wait_for_pid(*pid, NULL);
        *pid = 0;
}

void sched_beside_us(pid_t pid)
{
        cpu_set_t set;
        int cpu = sched_getcpu();

        if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof(set), &set) < 0)
                return;
        CPU_CLR(cpu, &set);
        if (CPU_COUNT(&set) > 0)
                (void)sched_setaffinity(pid, sizeof(set), &set);
}

void sched_like_parent(void)
{
        cpu_set_t set;

        if (sched_getaffinity(getppid(), sizeof(set), &set) == 0)
                (void)sched_setaffinity(0, sizeof(set), &set);
}

int wait_for_pid(pid_t pid, int *ret_status)
{
        int status;

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (ret_status)
                *ret_status = status;
        return 0;
}

/* Runs in: the child. Makes stdio_fds[i] descriptor i (< 0: /dev/null). */
static int rearrange_stdio(const int stdio_fds[3])
{
        int fds[3];

        /* first out of 0-2, so that no dup2() below overwrites a source still needed */
        for (int i = 0; i < 3; i++) {
                fds[i] = stdio_fds[i] >= 0
                                 ? stdio_fds[i]
                                 : open("/dev/null", (i == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
                if (fds[i] >= 0 && fds[i] < 3 && fds[i] != i)
                        fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
                if (fds[i] < 0)
                        return -errno;
        }
        for (int i = 0; i < 3; i++) {
                if (fds[i] == i) {
                        if (fd_set_cloexec(i, false) < 0)
                                return -errno;
                } else if (dup2(fds[i], i) < 0)
                        return -errno;
        }
        return 0;
}

/* Runs in: the child. The steps of flags, in order; what failed in *ret_step. */
static int child_setup(const int stdio_fds[3], const int *except_fds, size_t n_except_fds,
                       enum fork_flags flags, pid_t parent, const sigset_t *saved_mask,
                       const char **ret_step)
{
        int r;

        *ret_step = "resetting signals";
        if (flags & FORK_RESET_SIGNALS)
                r = signals_reset_all();
        else
                r = RET_NERRNO(sigprocmask(SIG_SETMASK, saved_mask, NULL));
        if (r < 0)
                return r;
        *ret_step = "setting the parent death signal";
        if (flags & FORK_DEATHSIG_SIGKILL) {
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                        return -errno;
                if (getppid() != parent) /* died before the prctl() */
                        _exit(EXIT_FAILURE);
        }
        *ret_step = "creating a process group";
        if ((flags & FORK_NEW_PROCESS_GROUP) && setpgid(0, 0) < 0)
                return -errno;
        *ret_step = "setting up stdin, stdout and stderr";
        if ((flags & FORK_REARRANGE_STDIO) && (r = rearrange_stdio(stdio_fds)) < 0)
                return r;
        if (flags & FORK_CLOSE_ALL_FDS) {
                _cleanup_free_ int *keep = xnew0(int, n_except_fds + 3);
                for (size_t i = 0; i < n_except_fds; i++)
                        keep[i] = except_fds[i];
                for (int i = 0; i < 3; i++)
                        keep[n_except_fds + (size_t)i] = i;
                close_all_fds_except(keep, n_except_fds + 3);
        }
        return 0;
}

int safe_fork_full(const char *name, const int stdio_fds[3], const int *except_fds,
                   size_t n_except_fds, enum fork_flags flags, pid_t *ret_pid)
{
        pid_t parent = getpid(), pid;
        sigset_t all, saved;
        const char *step;
        int r;

        sigfillset(&all);
        if (sigprocmask(SIG_SETMASK, &all, &saved) < 0)
                return -errno;
        pid = fork();
        if (pid != 0) {
                int e = errno;
                (void)sigprocmask(SIG_SETMASK, &saved, NULL);
                if (pid < 0)
                        return -e;
                *ret_pid = pid;
                return 1;
        }
        r = child_setup(stdio_fds, except_fds, n_except_fds, flags, parent, &saved, &step);
        if (r < 0) {
                if (flags & FORK_LOG)
                        log_error_errno(r, "%s: %s: %m", name, step);
                _exit(127);
        }
        return 0;
}

/* The file actions of spawn_exec(): stdio, then nothing else open, in dir. copies[] gets
 * what it duplicated (an fd of 0-2 that another one's dup2() would overwrite first). */
static int spawn_actions(posix_spawn_file_actions_t *fa, const char *dir, const int stdio_fds[3],
                         int copies[3])
{
        int r = 0;

        for (int i = 0; i < 3 && r == 0; i++) {
                int fd = stdio_fds[i];
                if (fd >= 0 && fd < 3 && fd != i) {
                        fd = copies[i] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                        if (fd < 0)
                                return -errno;
                }
                if (fd < 0)
                        r = posix_spawn_file_actions_addopen(fa, i, "/dev/null",
                                                             i == 0 ? O_RDONLY : O_WRONLY, 0);
                else /* fd == i too: then it only loses close-on-exec */
                        r = posix_spawn_file_actions_adddup2(fa, fd, i);
        }
        if (r == 0)
                r = posix_spawn_file_actions_addclosefrom_np(fa, 3);
        if (r == 0)
                r = posix_spawn_file_actions_addchdir_np(fa, dir);
        return -r;
}

/* The attributes of spawn_exec(): every signal's disposition SIG_DFL, none blocked. */
static int spawn_attr(posix_spawnattr_t *attr)
{
        sigset_t all, none;
        int r;

        /* every bit: sigfillset() leaves out glibc's own two, and posix_spawn() makes those
         * SIG_IGN in the child unless their bits ask for SIG_DFL (and SIG_IGN outlives the
         * exec) */
        memset(&all, 0xff, sizeof(all));
        sigemptyset(&none);
        r = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
        if (r == 0)
                r = posix_spawnattr_setsigdefault(attr, &all);
        if (r == 0)
                r = posix_spawnattr_setsigmask(attr, &none);
        return -r;
}

static int spawn_posix(const char *path, char *const *argv, char *const *envp, const char *dir,
                       const int stdio_fds[3], pid_t *ret_pid)
{
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        int copies[3] = {-EBADF, -EBADF, -EBADF}, r;

        if (posix_spawn_file_actions_init(&fa) != 0)
                return -ENOMEM;
        if (posix_spawnattr_init(&attr) != 0) {
                posix_spawn_file_actions_destroy(&fa);
                return -ENOMEM;
        }
        r = spawn_attr(&attr);
        if (r == 0)
                r = spawn_actions(&fa, dir, stdio_fds, copies);
        if (r == 0)
                r = -posix_spawn(ret_pid, path, &fa, &attr, argv, envp ? envp : environ);
        posix_spawnattr_destroy(&attr);
        posix_spawn_file_actions_destroy(&fa);
        for (int i = 0; i < 3; i++)
                safe_close(copies[i]);
        return r;
}

/* Runs in: the child of spawn_forked(). What failed goes to errfd as an errno (the exec
 * closes errfd: EOF). */
_noreturn_ static void spawned_child(const char *path, char *const *argv, char *const *envp,
                                     const char *dir, int errfd, pid_t parent, int deathsig)
{
        int e;

        if (deathsig && (prctl(PR_SET_PDEATHSIG, deathsig) < 0 || getppid() != parent))
                _exit(127); /* we are gone already */
        if (chdir(dir) >= 0)
                execve(path, argv, envp ? envp : environ);
        e = errno;
        (void)!write(errfd, &e, sizeof(e));
        _exit(127);
}

static int spawn_forked(const char *path, char *const *argv, char *const *envp, const char *dir,
                        const int stdio_fds[3], int deathsig, pid_t *ret_pid)
{
        _cleanup_close_ int rd = -EBADF, wr = -EBADF;
        int fds[2], e = 0, r;
        pid_t pid, self = getpid();
        ssize_t n;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        rd = fds[0];
        wr = fds[1];
        r = safe_fork_full(
                argv[0], stdio_fds, &wr, 1,
                FORK_RESET_SIGNALS | FORK_REARRANGE_STDIO | FORK_CLOSE_ALL_FDS | FORK_LOG, &pid);
        if (r < 0)
                return r;
        if (r == 0)
                spawned_child(path, argv, envp, dir, wr, self, deathsig);
        wr = safe_close(wr);
        /* until the child has executed (or failed to): a forked child waits for the CPU of
         * its parent while the parent keeps it busy; after the exec we go on beside it */
        while ((n = read(rd, &e, sizeof(e))) < 0 && errno == EINTR)
                ;
        if (n == (ssize_t)sizeof(e) && e > 0) {
                (void)wait_for_pid(pid, NULL);
                return -e;
        }
        *ret_pid = pid;
        return 0;
}

int spawn_exec(const char *path, char *const *argv, char *const *envp, const char *dir,
               const int stdio_fds[3], int deathsig, pid_t *ret_pid)
{
        if (deathsig == 0) {
                int r = spawn_posix(path, argv, envp, dir, stdio_fds, ret_pid);
                if (r != -EPERM)
                        return r;
        }
        return spawn_forked(path, argv, envp, dir, stdio_fds, deathsig, ret_pid);
}

int pidfd_open_pid(pid_t pid)
{
        int fd = (int)syscall(SYS_pidfd_open, pid, 0);

        return fd < 0 ? -errno : fd;
}

/* Whether a line "id:controllers:/path" of /proc/<pid>/cgroup is at rel or below. */
static bool cgroup_line_in(const char *line, const char *rel)
{
        const char *path = strchr(line, ':');
        size_t n = strlen(rel);

        path = path ? strchr(path + 1, ':') : NULL;
        if (!path || path[1] != '/')
                return false;
        path += 2;
        return strncmp(path, rel, n) == 0 && (path[n] == '\0' || path[n] == '\n' || path[n] == '/');
}

bool proc_cgroup_text_in(const char *text, const void *rel)
{
        _cleanup_strv_free_ char **lines = strv_split(text, '\n');

        STRV_FOREACH(l, lines)
                if (cgroup_line_in(*l, rel))
                        return true;
        return false;
}

int pidfd_open_checked(pid_t pid, const char *name,
                       bool (*check)(const char *text, const void *data), const void *data)
{
        _cleanup_free_ char *file = NULL, *text = NULL;
        _cleanup_close_ int pidfd = -EBADF;
        int r;

        if (pid <= 0)
                return -ESRCH;
        pidfd = pidfd_open_pid(pid);
        if (pidfd < 0)
                return pidfd;
        file = xasprintf("/proc/%d/%s", (int)pid, name);
        r = read_file_at(AT_FDCWD, file, 1 << 16, &text, NULL);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        if (!check(text, data) || !pidfd_running(pidfd))
                return -ESRCH;
        return TAKE_FD(pidfd);
}

bool pidfd_running(int pidfd)
{
        struct pollfd p = {.fd = pidfd, .events = POLLIN};

        return poll(&p, 1, 0) == 0;
}

int pidfd_signal(int pidfd, int sig)
{
        return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}
