/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for src/basic/process-util.h: what a safe_fork() or spawn_exec() child starts
 * with, and reading /proc/<pid>/cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "process-util.h"
#include "tap.h"

#define STRAY_FD  57
#define GLIBC_SIG 33 /* one of the two glibc's sigaction() refuses: SIG_IGN is inherited */

/* The kernel's struct sigaction, for GLIBC_SIG. */
struct ksigaction {
        void *handler;
        unsigned long flags;
        void *restorer;
        uint64_t mask;
};
static struct ksigaction glibc_sig_saved;

/* The exit status of the child pid (a wait status that is not an exit is -1). */
static int exit_status(pid_t pid)
{
        int status;

        ASSERT_OK(wait_for_pid(pid, &status));
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Blocks SIGUSR1, ignores SIGUSR2 and GLIBC_SIG and opens STRAY_FD without close-on-exec, as
 * a careless caller of rkt may leave them (glibc's posix_spawn() ignores GLIBC_SIG). */
static void make_dirty(sigset_t *ret_saved)
{
        const struct ksigaction ign = {.handler = SIG_IGN};
        sigset_t usr1;
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

        ASSERT_OK(syscall(SYS_rt_sigaction, GLIBC_SIG, &ign, &glibc_sig_saved, sizeof(uint64_t)));

        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        ASSERT_OK(sigprocmask(SIG_BLOCK, &usr1, ret_saved));
        ASSERT_TRUE(signal(SIGUSR2, SIG_IGN) != SIG_ERR);
        ASSERT_OK(dup2(fd, STRAY_FD));
        close(fd);
}

static void clean_up(const sigset_t *saved)
{
        sigprocmask(SIG_SETMASK, saved, NULL);
        signal(SIGUSR2, SIG_DFL);
        syscall(SYS_rt_sigaction, GLIBC_SIG, &glibc_sig_saved, NULL, sizeof(uint64_t));
        close(STRAY_FD);
}

/* Runs in: the child. 0 when nothing of make_dirty() is left, else which part is. */
static int dirt_left(void)
{
        sigset_t mask;
        struct sigaction sa;

        if (sigprocmask(SIG_SETMASK, NULL, &mask) < 0 || sigismember(&mask, SIGUSR1))
                return 10;
        struct ksigaction ksa;

        if (sigaction(SIGUSR2, NULL, &sa) < 0 || sa.sa_handler != SIG_DFL)
                return 11;
        if (syscall(SYS_rt_sigaction, GLIBC_SIG, NULL, &ksa, sizeof(uint64_t)) < 0 ||
            ksa.handler != SIG_DFL)
                return 13;
        if (fcntl(STRAY_FD, F_GETFD) >= 0 || errno != EBADF)
                return 12;
        return 0;
}

TEST(reset_signals_and_close_all_fds)
{
        sigset_t saved;
        pid_t pid;
        int r;

        make_dirty(&saved);
        r = safe_fork("test", FORK_RESET_SIGNALS | FORK_CLOSE_ALL_FDS, &pid);
        if (r == 0)
                _exit(dirt_left());
        clean_up(&saved);
        ASSERT_EQ(r, 1);
        ASSERT_EQ(exit_status(pid), 0);
}

TEST(without_flags_the_child_inherits)
{
        sigset_t saved, now;
        pid_t pid;
        int r;

        make_dirty(&saved);
        r = safe_fork("test", 0, &pid);
        if (r == 0)
                _exit(dirt_left());
        /* the parent's mask is back as it was before the fork */
        ASSERT_OK(sigprocmask(SIG_SETMASK, NULL, &now));
        ASSERT_TRUE(sigismember(&now, SIGUSR1) && !sigismember(&now, SIGUSR2));
        clean_up(&saved);
        ASSERT_EQ(exit_status(pid), 10);
}

TEST(close_all_fds_keeps_the_exceptions)
{
        int keep = open("/dev/null", O_RDONLY | O_CLOEXEC), other = dup(keep);
        pid_t pid;
        int r;

        ASSERT_TRUE(keep >= 0 && other >= 0);
        r = safe_fork_full("test", NULL, &keep, 1, FORK_CLOSE_ALL_FDS, &pid);
        if (r == 0)
                _exit(fcntl(keep, F_GETFD) >= 0 && fcntl(other, F_GETFD) < 0 ? 0 : 1);
        close(keep);
        close(other);
        ASSERT_EQ(exit_status(pid), 0);
}

TEST(stdio_rearranged_also_from_low_descriptors)
{
        int saved_in = dup(STDIN_FILENO), p[2];
        char buf[16] = {0};
        pid_t pid;
        int r;

        /* the pipe's write end becomes fd 0 of this process: the child's stdout must come
         * from it although its stdin is set up (to /dev/null) first */
        ASSERT_OK(pipe2(p, O_CLOEXEC));
        ASSERT_OK(dup2(p[1], STDIN_FILENO));
        close(p[1]);
        r = safe_fork_full("test", (const int[]){-1, STDIN_FILENO, STDOUT_FILENO}, NULL, 0,
                           FORK_REARRANGE_STDIO | FORK_CLOSE_ALL_FDS, &pid);
        if (r == 0) {
                char c;
                /* stdin is /dev/null (EOF), stderr what our stdout was */
                if (read(STDIN_FILENO, &c, 1) != 0 || fcntl(STDERR_FILENO, F_GETFD) != 0)
                        _exit(1);
                _exit(write(STDOUT_FILENO, "out", 3) == 3 ? 0 : 2);
        }
        ASSERT_OK(dup2(saved_in, STDIN_FILENO));
        close(saved_in);
        ASSERT_EQ(exit_status(pid), 0);
        ASSERT_EQ(read(p[0], buf, sizeof(buf) - 1), 3);
        ASSERT_STREQ(buf, "out");
        close(p[0]);
}

TEST(deathsig_and_process_group)
{
        pid_t pid;
        int r = safe_fork("test", FORK_DEATHSIG_SIGKILL | FORK_NEW_PROCESS_GROUP, &pid);

        if (r == 0) {
                int sig = 0;
                if (prctl(PR_GET_PDEATHSIG, &sig) < 0 || sig != SIGKILL)
                        _exit(1);
                _exit(getpgid(0) == getpid() ? 0 : 2);
        }
        ASSERT_EQ(exit_status(pid), 0);
}

/* What the shell child of spawn_exec() (with deathsig) reports of itself on stdout. */
static char *spawned_report(const int stdio[3], int deathsig, int *ret_status)
{
        static char buf[512];
        static char *const argv[] = {
                (char *)"sh", (char *)"-c",
                (char *)"grep -E '^Sig(Blk|Ign):' /proc/self/status; "
                        "[ -e /proc/$$/fd/57 ] && echo stray; pwd; read x && echo read; echo done",
                NULL};
        sigset_t saved;
        size_t n = 0;
        ssize_t k;
        pid_t pid;
        int p[2];

        ASSERT_OK(pipe2(p, O_CLOEXEC));
        make_dirty(&saved);
        int r = spawn_exec("/bin/sh", argv, NULL, "/", (const int[]){stdio[0], p[1], stdio[2]},
                           deathsig, &pid);
        clean_up(&saved);
        ASSERT_OK(r);
        close(p[1]);
        while (n < sizeof(buf) - 1 && (k = read(p[0], buf + n, sizeof(buf) - 1 - n)) > 0)
                n += (size_t)k;
        buf[n] = '\0';
        close(p[0]);
        *ret_status = exit_status(pid);
        return buf;
}

TEST(spawn_exec_child_starts_clean)
{
        /* nothing blocked or ignored (glibc's own signal either), no stray descriptor, in
         * dir, stdin /dev/null: through posix_spawn() and, with a death signal, fork() */
        static const char clean[] = "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n"
                                    "/\ndone\n";
        int status;

        ASSERT_STREQ(spawned_report((const int[]){-1, -1, STDERR_FILENO}, 0, &status), clean);
        ASSERT_EQ(status, 0);
        ASSERT_STREQ(spawned_report((const int[]){-1, -1, STDERR_FILENO}, SIGTERM, &status), clean);
        ASSERT_EQ(status, 0);
}

TEST(spawn_exec_stdio_also_from_low_descriptors)
{
        int saved_in = dup(STDIN_FILENO), p[2], status;
        char *out;

        /* fd 0 of ours is the read end of a pipe holding a line: it becomes the child's
         * stdin, and its stderr what our stdin was not */
        ASSERT_OK(pipe2(p, O_CLOEXEC));
        ASSERT_EQ(write(p[1], "x\n", 2), 2);
        close(p[1]);
        ASSERT_OK(dup2(p[0], STDIN_FILENO));
        close(p[0]);
        out = spawned_report((const int[]){STDIN_FILENO, -1, STDERR_FILENO}, 0, &status);
        ASSERT_OK(dup2(saved_in, STDIN_FILENO));
        close(saved_in);
        ASSERT_EQ(status, 0);
        ASSERT_TRUE(strstr(out, "/\nread\ndone\n") != NULL);
}

TEST(spawn_exec_failure_leaves_no_child)
{
        static char *const argv[] = {(char *)"nothing", NULL};
        pid_t pid = 0;

        for (int deathsig = 0; deathsig <= SIGTERM; deathsig += SIGTERM) {
                ASSERT_EQ(spawn_exec("/nonexistent/nothing", argv, NULL, "/",
                                     (const int[]){-1, -1, -1}, deathsig, &pid),
                          -ENOENT);
                ASSERT_EQ(spawn_exec("/bin/true", argv, NULL, "/nonexistent",
                                     (const int[]){-1, -1, -1}, deathsig, &pid),
                          -ENOENT);
                ASSERT_TRUE(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
        }
}

TEST(spawn_exec_gives_the_death_signal)
{
        static char *const argv[] = {(char *)"sleep", (char *)"100", NULL};
        int p[2], status;
        pid_t mid, child = 0;

        /* mid starts sleep with SIGTERM as its death signal and exits; the orphan comes to
         * us (a subreaper) and ends with SIGTERM */
        ASSERT_OK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
        ASSERT_OK(pipe2(p, O_CLOEXEC));
        mid = fork();
        ASSERT_TRUE(mid >= 0);
        if (mid == 0) {
                pid_t pid = 0;
                if (spawn_exec("/bin/sleep", argv, NULL, "/", (const int[]){-1, -1, -1}, SIGTERM,
                               &pid) < 0)
                        _exit(1);
                _exit(write(p[1], &pid, sizeof(pid)) == sizeof(pid) ? 0 : 2);
        }
        close(p[1]);
        ASSERT_EQ(exit_status(mid), 0);
        ASSERT_EQ(read(p[0], &child, sizeof(child)), (ssize_t)sizeof(child));
        close(p[0]);
        ASSERT_OK(wait_for_pid(child, &status));
        ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
        ASSERT_OK(prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0));
}

/*
 * Where clone3() fails with EPERM (the seccomp filters of Docker before 20.10.10, of other
 * sandboxes and CI runners), glibc's posix_spawn() fails without trying clone() (it falls
 * back on ENOSYS only): spawn_exec() forks then (found by a review: every entrypoint failed
 * with "fork/exec ...: operation not permitted" there).
 */
TEST(spawn_exec_where_clone3_is_refused)
{
        struct sock_filter insns[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = {.len = ELEMENTSOF(insns), .filter = insns};
        pid_t pid = fork();

        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                static char *const argv[] = {(char *)"true", NULL};
                pid_t child;
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
                    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
                        _exit(3);
                if (spawn_exec("/bin/true", argv, NULL, "/", (const int[]){-1, -1, -1}, 0, &child) <
                    0)
                        _exit(1);
                _exit(exit_status(child) == 0 ? 0 : 2);
        }
        ASSERT_EQ(exit_status(pid), 0);
}

TEST(sched_beside_us_leaves_our_cpu_to_us)
{
        cpu_set_t ours, its;
        int pipefd[2];
        pid_t pid;

        ASSERT_OK(sched_getaffinity(0, sizeof(ours), &ours));
        if (CPU_COUNT(&ours) < 2)
                TEST_SKIP("one CPU");
        ASSERT_OK(pipe(pipefd));
        pid = fork();
        if (pid == 0) {
                char c;
                close(pipefd[1]);
                if (read(pipefd[0], &c, 1) < 0)
                        _exit(2);
                sched_like_parent(); /* back to ours */
                _exit(sched_getaffinity(0, sizeof(its), &its) == 0 && CPU_EQUAL(&its, &ours) ? 0
                                                                                             : 1);
        }
        sched_beside_us(pid);
        ASSERT_OK(sched_getaffinity(pid, sizeof(its), &its));
        ASSERT_EQ(CPU_COUNT(&its), CPU_COUNT(&ours) - 1);
        ASSERT_OK(close(pipefd[1]));
        ASSERT_EQ(exit_status(pid), 0);
        close(pipefd[0]);
        /* ours is untouched */
        ASSERT_OK(sched_getaffinity(0, sizeof(its), &its));
        ASSERT_TRUE(CPU_EQUAL(&its, &ours));
}

TEST(cgroup_text_paths_are_compared_whole)
{
        static const char text[] = "12:pids:/user.slice/x:/pod/init.scope\n"
                                   "0::/elsewhere/pod/init.scope\n";

        ASSERT_TRUE(proc_cgroup_text_in("0::/pod/init.scope\n", "pod/init.scope"));
        ASSERT_TRUE(proc_cgroup_text_in("3:memory:/pod/init.scope/x\n", "pod/init.scope"));
        ASSERT_TRUE(proc_cgroup_text_in("1:name=systemd:/pod\n0::/pod\n", "pod"));
        ASSERT_TRUE(!proc_cgroup_text_in(text, "pod/init.scope")); /* a name may hold ':' */
        ASSERT_TRUE(!proc_cgroup_text_in("0::/pod/init.scope.old\n", "pod/init.scope"));
        ASSERT_TRUE(!proc_cgroup_text_in("0::/podx\n", "pod"));
        ASSERT_TRUE(!proc_cgroup_text_in("garbage\n", "pod"));
}

TAP_MAIN
