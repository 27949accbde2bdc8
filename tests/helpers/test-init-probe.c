// SPDX-License-Identifier: Apache-2.0
/*
 * inspect: probes of the pod/host boundary for the escape tests (tests/functional/
 * test_escapes.py). Runs in: the app of a test pod, as a hostile app would, libc only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "test-init.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static bool is_pid(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

/* Whether the directory fd, followed by enough "..", shows the host path mark (relative). */
static bool reaches(int dirfd, const char *mark)
{
        int fd = dup(dirfd);
        struct stat st;
        bool hit;

        for (int i = 0; fd >= 0 && i < 64; i++) {
                int up = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
                close(fd);
                fd = up;
        }
        if (fd < 0)
                return false;
        hit = fstatat(fd, mark, &st, AT_SYMLINK_NOFOLLOW) == 0;
        close(fd);
        return hit;
}

/* Opens path as a directory (through magic links) and reports whether it leads to mark. */
static void probe_dir(const char *path, const char *mark)
{
        int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return;
        if (reaches(fd, mark))
                printf("ESCAPED %s\n", path);
        close(fd);
}

/*
 * --escape-probe=MARK: tries to reach the host path MARK (given without its leading "/")
 * through every descriptor of every process it can see, their cwd and root, and prints
 * `ESCAPED <path>` for each way that works; then `probe done`.
 */
void do_escape_probe(const char *mark)
{
        DIR *proc = opendir("/proc");
        struct dirent *e;

        if (!proc)
                die("opendir /proc: %s", go_strerror(errno));
        while ((e = readdir(proc))) {
                char path[PATH_MAX];
                DIR *fds;
                struct dirent *f;

                if (!is_pid(e->d_name))
                        continue;
                snprintf(path, sizeof(path), "/proc/%s/cwd", e->d_name);
                probe_dir(path, mark);
                snprintf(path, sizeof(path), "/proc/%s/root", e->d_name);
                probe_dir(path, mark);
                snprintf(path, sizeof(path), "/proc/%s/fd", e->d_name);
                fds = opendir(path);
                while (fds && (f = readdir(fds))) {
                        if (!is_pid(f->d_name))
                                continue;
                        snprintf(path, sizeof(path), "/proc/%s/fd/%s", e->d_name, f->d_name);
                        probe_dir(path, mark);
                }
                if (fds)
                        closedir(fds);
        }
        closedir(proc);
        printf("probe done\n");
        fflush(stdout);
}

/*
 * --probe-procs: for every other process it can see prints `PUBLIC <pid> <exe>` when its
 * executable link is readable, else `PRIVATE <pid>`; and `OPENED exe-w <pid>`, `LISTED fd
 * <pid>`, `OPENED fd <pid>/<n>` for each of its executable (for writing), its descriptor
 * table and its descriptors that could be opened. Then `probe done`.
 */
void do_probe_procs(void)
{
        DIR *proc = opendir("/proc");
        struct dirent *e;
        pid_t self = getpid();

        if (!proc)
                die("opendir /proc: %s", go_strerror(errno));
        while ((e = readdir(proc))) {
                char path[PATH_MAX], exe[PATH_MAX];
                ssize_t n;
                int fd;
                DIR *fds;
                struct dirent *f;

                if (!is_pid(e->d_name) || atoi(e->d_name) == self)
                        continue;
                snprintf(path, sizeof(path), "/proc/%s/exe", e->d_name);
                n = readlink(path, exe, sizeof(exe) - 1);
                if (n >= 0) {
                        exe[n] = '\0';
                        printf("PUBLIC %s %s\n", e->d_name, exe);
                } else {
                        printf("PRIVATE %s\n", e->d_name);
                }
                fd = open(path, O_WRONLY | O_CLOEXEC);
                if (fd >= 0) {
                        printf("OPENED exe-w %s\n", e->d_name);
                        close(fd);
                }
                snprintf(path, sizeof(path), "/proc/%s/fd", e->d_name);
                fds = opendir(path);
                if (!fds)
                        continue;
                printf("LISTED fd %s\n", e->d_name);
                while ((f = readdir(fds))) {
                        if (!is_pid(f->d_name))
                                continue;
                        snprintf(path, sizeof(path), "/proc/%s/fd/%s", e->d_name, f->d_name);
                        fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
                        if (fd >= 0) {
                                printf("OPENED fd %s/%s\n", e->d_name, f->d_name);
                                close(fd);
                        }
                }
                closedir(fds);
        }
        closedir(proc);
        printf("probe done\n");
        fflush(stdout);
}

/* --exchange-loop=A:B: swaps A and B with renameat2(RENAME_EXCHANGE) for ever. */
void do_exchange_loop(const char *arg)
{
        char *a = strdup(arg), *b = a ? strchr(a, ':') : NULL;

        if (!b)
                die("--exchange-loop wants A:B");
        *b++ = '\0';
        printf("exchanging %s and %s\n", a, b);
        fflush(stdout);
        for (;;)
                if (syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) < 0)
                        die("renameat2 %s %s: %s", a, b, go_strerror(errno));
}

/*
 * --try-syscall=NAME: makes one harmless call of the system call NAME (stat, unshare,
 * reboot, swapoff, umount2, keyctl) and prints `syscall NAME: ok` or `syscall NAME: <error>`;
 * a seccomp filter that kills ends the process with SIGSYS instead.
 */
void do_try_syscall(const char *name)
{
        struct stat st;
        long r;

        if (strcmp(name, "stat") == 0)
                r = stat("/", &st);
        else if (strcmp(name, "unshare") == 0)
                r = syscall(SYS_unshare, 0);
        else if (strcmp(name, "reboot") == 0)
                r = syscall(SYS_reboot, 0, 0, 0, NULL); /* bad magic: EINVAL, or EPERM */
        else if (strcmp(name, "swapoff") == 0)
                r = syscall(SYS_swapoff, "/nonexistent-swap");
        else if (strcmp(name, "umount2") == 0)
                r = syscall(SYS_umount2, "/nonexistent-mount", 0);
        else if (strcmp(name, "keyctl") == 0)
                r = syscall(SYS_keyctl, -1, 0, 0, 0, 0); /* bad operation */
        else
                die("--try-syscall: unknown system call %s", name);
        if (r < 0)
                printf("syscall %s: %s\n", name, go_strerror(errno));
        else
                printf("syscall %s: ok\n", name);
        fflush(stdout);
}

#define KEYCTL_GET_KEYRING_ID    0
#define KEYCTL_DESCRIBE          6
#define KEYCTL_LINK              8
#define KEYCTL_READ              11
#define KEYCTL_GET_PERSISTENT    22
#define KEY_SPEC_SESSION_KEYRING (-3)
#define KEY_SPEC_USER_KEYRING    (-4)

static long keyctl(int op, long a, long b, long c)
{
        return syscall(SYS_keyctl, op, a, b, c, 0L);
}

/* Prints `KEY <description> <payload>` for each key of keyring id it can read. */
static void print_keys(long id)
{
        int32_t serials[256];
        long n = keyctl(KEYCTL_READ, id, (long)serials, sizeof(serials));

        for (long i = 0; i >= 0 && i < n / 4 && i < 256; i++) {
                char desc[512], payload[512];
                long d = keyctl(KEYCTL_DESCRIBE, serials[i], (long)desc, sizeof(desc) - 1);
                long p = keyctl(KEYCTL_READ, serials[i], (long)payload, sizeof(payload) - 1);

                desc[d > 0 && d < (long)sizeof(desc) ? d : 0] = '\0';
                payload[p > 0 && p < (long)sizeof(payload) ? p : 0] = '\0';
                printf("KEY %s %s\n", desc, payload);
                if (strncmp(desc, "keyring;", 8) == 0)
                        print_keys(serials[i]);
        }
}

/*
 * --probe-keyrings: what a root app can reach of the kernel keyrings: its session keyring,
 * the user keyring of its uid (linked into its session first, which makes its keys its
 * own) and the uid's persistent keyring; `KEY <description> <payload>` for every key read,
 * `KEYCTL <what> <errno>` for each call refused. Then `keyrings done`.
 */
void do_probe_keyrings(void)
{
        long s = keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 1, 0);

        if (s < 0)
                printf("KEYCTL session %d\n", errno);
        if (keyctl(KEYCTL_LINK, KEY_SPEC_USER_KEYRING, KEY_SPEC_SESSION_KEYRING, 0) < 0)
                printf("KEYCTL link-user %d\n", errno);
        if (keyctl(KEYCTL_GET_PERSISTENT, -1, KEY_SPEC_SESSION_KEYRING, 0) < 0)
                printf("KEYCTL persistent %d\n", errno);
        if (s >= 0)
                print_keys(s);
        printf("keyrings done\n");
        fflush(stdout);
}
