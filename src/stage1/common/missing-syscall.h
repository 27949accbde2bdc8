/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Raw system calls glibc 2.36 has no wrapper for (STYLE.md §3.4). They return like libc:
 * -1 with errno set on failure. Runs in: any stage1 process.
 */
#pragma once

#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* struct clone_args up to CLONE_ARGS_SIZE_VER2 (Linux 5.7, the one with cgroup). */
struct sys_clone_args {
        uint64_t flags;
        uint64_t pidfd;
        uint64_t child_tid;
        uint64_t parent_tid;
        uint64_t exit_signal;
        uint64_t stack;
        uint64_t stack_size;
        uint64_t tls;
        uint64_t set_tid;
        uint64_t set_tid_size;
        uint64_t cgroup;
};

/*
 * fork()-like clone3 (no stack given: the child runs on a copy of the caller's stack, so
 * the caller must have no other threads). Returns the child's pid, 0 in the child.
 */
static inline pid_t sys_clone3(struct sys_clone_args *args)
{
        return (pid_t)syscall(SYS_clone3, args, sizeof(*args));
}

static inline int sys_bpf(int cmd, union bpf_attr *attr, unsigned int size)
{
        return (int)syscall(SYS_bpf, cmd, attr, size);
}
