/* SPDX-License-Identifier: Apache-2.0 */
/* Seccomp sets (see seccomp-set.h). Runs in: any process. */
#include "seccomp-set.h"

#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "errno-name.h"
#include "strv.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(scmp_filter_ctx, seccomp_release)

/*
 * rkt's default whitelist (its seccomp_wildcards.go: Docker's 2016 default profile), to
 * which rkt's default blacklist, Docker's blacklist, is the complement it named.
 */
static const char *const docker_default_whitelist[] = {
        "accept",
        "accept4",
        "access",
        "alarm",
        "bind",
        "brk",
        "capget",
        "capset",
        "chdir",
        "chmod",
        "chown",
        "chown32",
        "clock_getres",
        "clock_gettime",
        "clock_nanosleep",
        "close",
        "connect",
        "copy_file_range",
        "creat",
        "dup",
        "dup2",
        "dup3",
        "epoll_create",
        "epoll_create1",
        "epoll_ctl",
        "epoll_ctl_old",
        "epoll_pwait",
        "epoll_wait",
        "epoll_wait_old",
        "eventfd",
        "eventfd2",
        "execve",
        "execveat",
        "exit",
        "exit_group",
        "faccessat",
        "fadvise64",
        "fadvise64_64",
        "fallocate",
        "fanotify_mark",
        "fchdir",
        "fchmod",
        "fchmodat",
        "fchown",
        "fchown32",
        "fchownat",
        "fcntl",
        "fcntl64",
        "fdatasync",
        "fgetxattr",
        "flistxattr",
        "flock",
        "fork",
        "fremovexattr",
        "fsetxattr",
        "fstat",
        "fstat64",
        "fstatat64",
        "fstatfs",
        "fstatfs64",
        "fsync",
        "ftruncate",
        "ftruncate64",
        "futex",
        "futimesat",
        "getcpu",
        "getcwd",
        "getdents",
        "getdents64",
        "getegid",
        "getegid32",
        "geteuid",
        "geteuid32",
        "getgid",
        "getgid32",
        "getgroups",
        "getgroups32",
        "getitimer",
        "getpeername",
        "getpgid",
        "getpgrp",
        "getpid",
        "getppid",
        "getpriority",
        "getrandom",
        "getresgid",
        "getresgid32",
        "getresuid",
        "getresuid32",
        "getrlimit",
        "get_robust_list",
        "getrusage",
        "getsid",
        "getsockname",
        "getsockopt",
        "get_thread_area",
        "gettid",
        "gettimeofday",
        "getuid",
        "getuid32",
        "getxattr",
        "inotify_add_watch",
        "inotify_init",
        "inotify_init1",
        "inotify_rm_watch",
        "io_cancel",
        "ioctl",
        "io_destroy",
        "io_getevents",
        "ioprio_get",
        "ioprio_set",
        "io_setup",
        "io_submit",
        "ipc",
        "kill",
        "lchown",
        "lchown32",
        "lgetxattr",
        "link",
        "linkat",
        "listen",
        "listxattr",
        "llistxattr",
        "_llseek",
        "lremovexattr",
        "lseek",
        "lsetxattr",
        "lstat",
        "lstat64",
        "madvise",
        "memfd_create",
        "mincore",
        "mkdir",
        "mkdirat",
        "mknod",
        "mknodat",
        "mlock",
        "mlock2",
        "mlockall",
        "mmap",
        "mmap2",
        "mprotect",
        "mq_getsetattr",
        "mq_notify",
        "mq_open",
        "mq_timedreceive",
        "mq_timedsend",
        "mq_unlink",
        "mremap",
        "msgctl",
        "msgget",
        "msgrcv",
        "msgsnd",
        "msync",
        "munlock",
        "munlockall",
        "munmap",
        "nanosleep",
        "newfstatat",
        "_newselect",
        "open",
        "openat",
        "pause",
        "personality",
        "pipe",
        "pipe2",
        "poll",
        "ppoll",
        "prctl",
        "pread64",
        "preadv",
        "prlimit64",
        "pselect6",
        "pwrite64",
        "pwritev",
        "read",
        "readahead",
        "readlink",
        "readlinkat",
        "readv",
        "recv",
        "recvfrom",
        "recvmmsg",
        "recvmsg",
        "remap_file_pages",
        "removexattr",
        "rename",
        "renameat",
        "renameat2",
        "restart_syscall",
        "rmdir",
        "rt_sigaction",
        "rt_sigpending",
        "rt_sigprocmask",
        "rt_sigqueueinfo",
        "rt_sigreturn",
        "rt_sigsuspend",
        "rt_sigtimedwait",
        "rt_tgsigqueueinfo",
        "sched_getaffinity",
        "sched_getattr",
        "sched_getparam",
        "sched_get_priority_max",
        "sched_get_priority_min",
        "sched_getscheduler",
        "sched_rr_get_interval",
        "sched_setaffinity",
        "sched_setattr",
        "sched_setparam",
        "sched_setscheduler",
        "sched_yield",
        "seccomp",
        "select",
        "semctl",
        "semget",
        "semop",
        "semtimedop",
        "send",
        "sendfile",
        "sendfile64",
        "sendmmsg",
        "sendmsg",
        "sendto",
        "setfsgid",
        "setfsgid32",
        "setfsuid",
        "setfsuid32",
        "setgid",
        "setgid32",
        "setgroups",
        "setgroups32",
        "setitimer",
        "setpgid",
        "setpriority",
        "setregid",
        "setregid32",
        "setresgid",
        "setresgid32",
        "setresuid",
        "setresuid32",
        "setreuid",
        "setreuid32",
        "setrlimit",
        "set_robust_list",
        "setsid",
        "setsockopt",
        "set_thread_area",
        "set_tid_address",
        "setuid",
        "setuid32",
        "setxattr",
        "shmat",
        "shmctl",
        "shmdt",
        "shmget",
        "shutdown",
        "sigaltstack",
        "signalfd",
        "signalfd4",
        "sigreturn",
        "socket",
        "socketcall",
        "socketpair",
        "splice",
        "stat",
        "stat64",
        "statfs",
        "statfs64",
        "symlink",
        "symlinkat",
        "sync",
        "sync_file_range",
        "syncfs",
        "sysinfo",
        "syslog",
        "tee",
        "tgkill",
        "time",
        "timer_create",
        "timer_delete",
        "timerfd_create",
        "timerfd_gettime",
        "timerfd_settime",
        "timer_getoverrun",
        "timer_gettime",
        "timer_settime",
        "times",
        "tkill",
        "truncate",
        "truncate64",
        "ugetrlimit",
        "umask",
        "uname",
        "unlink",
        "unlinkat",
        "utime",
        "utimensat",
        "utimes",
        "vfork",
        "vmsplice",
        "wait4",
        "waitid",
        "waitpid",
        "write",
        "writev",
        "arch_prctl",
        "modify_ldt",
        "chroot",
        "clone",
        NULL,
};

static const char *const docker_default_blacklist[] = {
        "acct",
        "add_key",
        "adjtimex",
        "bpf",
        "clock_adjtime",
        "clock_settime",
        "create_module",
        "delete_module",
        "finit_module",
        "get_kernel_syms",
        "get_mempolicy",
        "init_module",
        "ioperm",
        "iopl",
        "kcmp",
        "kexec_file_load",
        "kexec_load",
        "keyctl",
        "lookup_dcookie",
        "mbind",
        "mount",
        "move_pages",
        "name_to_handle_at",
        "nfsservctl",
        "open_by_handle_at",
        "perf_event_open",
        "pivot_root",
        "process_vm_readv",
        "process_vm_writev",
        "ptrace",
        "query_module",
        "quotactl",
        "reboot",
        "request_key",
        "set_mempolicy",
        "setns",
        "settimeofday",
        "stime",
        "swapon",
        "swapoff",
        "sysfs",
        "_sysctl",
        "umount",
        "umount2",
        "unshare",
        "uselib",
        "userfaultfd",
        "ustat",
        "vm86",
        "vm86old",
        NULL,
};

/*
 * The newer forms of calls the whitelist allows (2016's list predates them): today's C
 * libraries use them at every start (rseq) or as their first choice (statx, faccessat2,
 * openat2, close_range, clone3...), so a default filter without them would kill every
 * modern program. They grant nothing the old forms did not.
 */
static const char *const modern_additions[] = {
        "rseq",
        "statx",
        "faccessat2",
        "openat2",
        "close_range",
        "preadv2",
        "pwritev2",
        "epoll_pwait2",
        "membarrier",
        "pidfd_open",
        "pidfd_send_signal",
        "pidfd_getfd",
        "futex_waitv",
        "process_mrelease",
        "getdents64",
        NULL,
};

/*
 * A set that names one of the stat calls means what C libraries now make of stat(), lstat()
 * and fstat(): newfstatat and statx (glibc 2.33 and later never call stat itself). Without
 * this a remove-set of "stat" (rkt's TestAppIsolatorSeccomp) would block nothing.
 */
static const char *const stat_family[] = {"stat", "lstat", "fstat", NULL};
static const char *const stat_forms[] = {"newfstatat", "statx", NULL};

/* Appends list with one allocation (strv_push() would walk and grow the strv per call: a
 * quarter of the default filter's cost once it is precompiled). */
static void add_list(char ***calls, const char *const *list)
{
        size_t n = strv_length(*calls), k = strv_length((char *const *)list);
        char **l = oom_check(realloc(*calls, (n + k + 1) * sizeof(char *)));

        for (size_t i = 0; i < k; i++)
                l[n + i] = xstrdup(list[i]);
        l[n + k] = NULL;
        *calls = l;
}

static void add_default_whitelist(char ***calls)
{
        add_list(calls, docker_default_whitelist);
        add_list(calls, modern_additions);
}

void seccomp_set_default(struct seccomp_set *ret)
{
        *ret = (struct seccomp_set){.filter = true, .retain = true};
        add_default_whitelist(&ret->calls);
}

void seccomp_set_deny_keyrings(struct seccomp_set *ret)
{
        static const char *const calls[] = {"add_key", "request_key", "keyctl", NULL};

        *ret = (struct seccomp_set){.filter = true, .retain = false, .errno_v = EPERM};
        add_list(&ret->calls, calls);
}

/* Expands a group ("@scope/name") into s; -EINVAL for an unknown group. */
static int add_group(struct seccomp_set *s, const char *g)
{
        if (strcmp(g, "@appc.io/all") == 0)
                s->filter = s->filter && !s->retain;
        else if (strcmp(g, "@appc.io/empty") == 0) {
                if (!s->retain) { /* opts in to the default whitelist */
                        s->retain = true;
                        add_default_whitelist(&s->calls);
                }
        } else if (strcmp(g, "@rkt/default-whitelist") == 0 ||
                   strcmp(g, "@docker/default-whitelist") == 0)
                add_default_whitelist(&s->calls);
        else if (strcmp(g, "@rkt/default-blacklist") == 0 ||
                 strcmp(g, "@docker/default-blacklist") == 0)
                add_list(&s->calls, docker_default_blacklist);
        else
                return -EINVAL;
        return 0;
}

static int add_item(struct seccomp_set *s, const char *item, struct rk_error **reterr)
{
        if (item[0] == '@') {
                if (add_group(s, item) < 0)
                        return rk_error_set(reterr, EINVAL, "unknown system call group \"%s\"",
                                            item);
                return 0;
        }
        if (seccomp_syscall_resolve_name(item) == __NR_SCMP_ERROR)
                return rk_error_set(reterr, EINVAL, "unknown system call \"%s\"", item);
        strv_push(&s->calls, item);
        if (strv_contains((char **)stat_family, item))
                add_list(&s->calls, stat_forms);
        return 0;
}

int seccomp_set_from_items(bool retain, char *const *items, const char *errno_name,
                           struct seccomp_set *ret, struct rk_error **reterr)
{
        struct seccomp_set s = {.filter = true, .retain = retain};
        int r = 0;

        if (errno_name && *errno_name) {
                s.errno_v = errno_from_name(errno_name);
                if (s.errno_v < 0)
                        return rk_error_set(reterr, EINVAL, "unknown errno \"%s\"", errno_name);
        }
        for (char *const *i = items; r >= 0 && i && *i; i++)
                r = add_item(&s, *i, reterr);
        if (r < 0) {
                seccomp_set_done(&s);
                return r;
        }
        *ret = s;
        return 0;
}

void seccomp_set_done(struct seccomp_set *s)
{
        s->calls = strv_free(s->calls);
}

bool seccomp_set_allows(const struct seccomp_set *s, const char *call)
{
        return !s->filter || s->retain == strv_contains(s->calls, call);
}

bool seccomp_set_equal(const struct seccomp_set *a, const struct seccomp_set *b)
{
        size_t n = strv_length(a->calls);

        if (a->filter != b->filter || a->retain != b->retain || a->errno_v != b->errno_v ||
            n != strv_length(b->calls))
                return false;
        for (size_t i = 0; i < n; i++)
                if (strcmp(a->calls[i], b->calls[i]) != 0)
                        return false;
        return true;
}

static int build(const struct seccomp_set *s, scmp_filter_ctx *ret)
{
        uint32_t blocked =
                s->errno_v ? SCMP_ACT_ERRNO((uint32_t)s->errno_v) : SCMP_ACT_KILL_PROCESS;
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx =
                seccomp_init(s->retain ? blocked : SCMP_ACT_ALLOW);
        int r;

        if (!ctx)
                return -ENOMEM;
        /* a binary tree of the call numbers, not a list: the kernel runs the filter for every
         * call number when it loads it (its action cache), ~0.2 ms less for the default set */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        if (r < 0)
                return r;
        STRV_FOREACH(c, s->calls) {
                int nr = seccomp_syscall_resolve_name(*c);
                if (nr < 0) /* unknown to libseccomp, or not a call of this architecture */
                        continue;
                r = seccomp_rule_add(ctx, s->retain ? SCMP_ACT_ALLOW : blocked, nr, 0);
                if (r < 0 && r != -EEXIST)
                        return r;
        }
        /* clone3 the filter cannot look into: ENOSYS, and the C library falls back to clone */
        if (s->retain && !strv_contains(s->calls, "clone3") && strv_contains(s->calls, "clone")) {
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(ctx);
        return 0;
}

int seccomp_set_compile_libseccomp(const struct seccomp_set *s, struct sock_fprog *ret)
{
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        _cleanup_close_ int fd = memfd_create("rkt-seccomp", MFD_CLOEXEC);
        _cleanup_free_ char *buf = NULL;
        off_t size;
        int r;

        if (fd < 0)
                return -errno;
        r = build(s, &ctx);
        if (r >= 0)
                r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return r;
        size = lseek(fd, 0, SEEK_END);
        if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0 || size > (1 << 20))
                return -EINVAL;
        buf = oom_check(malloc((size_t)size));
        if (pread(fd, buf, (size_t)size, 0) != size)
                return -EIO;
        ret->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
        ret->filter = (struct sock_filter *)TAKE_PTR(buf);
        return 0;
}
