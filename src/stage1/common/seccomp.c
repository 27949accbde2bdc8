/* SPDX-License-Identifier: Apache-2.0 */
/* The keyring system call filter (see seccomp.h). Runs in: an app child, pod init. */
#include "seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1

#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
/* if A == k: skip t instructions, else f */
#define JEQ(k, t, f) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))
#define RET(v)       BPF_STMT(BPF_RET | BPF_K, (v))
#define DENY         RET(SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))
#define ALLOW        RET(SECCOMP_RET_ALLOW)

/* The three keyring calls of an architecture: deny them, allow the rest (6 instructions). */
#define KEYRING_CALLS(add_key, request_key, keyctl) \
        LOAD(nr), JEQ(add_key, 3, 0), JEQ(request_key, 2, 0), JEQ(keyctl, 1, 0), ALLOW, DENY

#if defined(__x86_64__)
#define NATIVE_ARCH  AUDIT_ARCH_X86_64
#define COMPAT_ARCH  AUDIT_ARCH_I386
#define COMPAT_CALLS KEYRING_CALLS(286, 287, 288)
#elif defined(__aarch64__)
#define NATIVE_ARCH  AUDIT_ARCH_AARCH64
#define COMPAT_ARCH  AUDIT_ARCH_ARM
#define COMPAT_CALLS KEYRING_CALLS(309, 310, 311)
#endif

int seccomp_deny_keyrings(void)
{
#ifdef NATIVE_ARCH
        static struct sock_filter code[] = {
                LOAD(arch),
                JEQ(NATIVE_ARCH, 2, 0),
                JEQ(COMPAT_ARCH, 9, 0),
                DENY, /* an architecture this kernel should not have given us */
#if defined(__x86_64__)
                /* x32 calls are x86_64 ones with bit 30 set */
                LOAD(nr),
                BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~0x40000000u),
                JEQ(__NR_add_key, 4, 0),
                JEQ(__NR_request_key, 3, 0),
                JEQ(__NR_keyctl, 2, 0),
                ALLOW,
                ALLOW, /* (keeps the compat branch at the same offset) */
                DENY,
#else
                KEYRING_CALLS(__NR_add_key, __NR_request_key, __NR_keyctl),
                ALLOW,
                ALLOW,
#endif
                COMPAT_CALLS,
        };
        struct sock_fprog prog = {.len = ELEMENTSOF(code), .filter = code};

        return RET_NERRNO(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0));
#else
        return -EOPNOTSUPP;
#endif
}

int keyring_new_session(void)
{
        return RET_NERRNO(syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL, 0, 0, 0));
}
