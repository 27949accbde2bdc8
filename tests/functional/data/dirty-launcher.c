/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A careless parent for test_entrypoint_spawn.py: runs argv[1..] with every signal ignored
 * (raw rt_sigaction(), glibc's own 32 and 33 too; SIGCHLD as well when DIRTY_MODE holds 'c'),
 * every signal blocked, descriptor 57 open without close-on-exec, and the descriptors among
 * 0, 1 and 2 that DIRTY_MODE names closed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct kernel_sigaction {
        void *handler;
        unsigned long flags;
        void *restorer;
        uint64_t mask;
};

int main(int argc, char **argv)
{
        const char *mode = getenv("DIRTY_MODE") ? getenv("DIRTY_MODE") : "";
        uint64_t all = ~0ULL;
        int fd;

        if (argc < 2)
                return 2;
        for (int sig = 1; sig < 65; sig++) {
                struct kernel_sigaction ign = {.handler = SIG_IGN};
                if (sig == SIGKILL || sig == SIGSTOP || (sig == SIGCHLD && !strchr(mode, 'c')))
                        continue;
                syscall(SYS_rt_sigaction, sig, &ign, NULL, sizeof(uint64_t));
        }
        syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, sizeof(uint64_t));
        fd = open("/etc/hostname", O_RDONLY);
        if (fd < 0 || dup2(fd, 57) < 0)
                return 3;
        for (int i = 0; i < 3; i++)
                if (strchr(mode, '0' + i))
                        close(i);
        execvp(argv[1], argv + 1);
        return 127;
}
