/* SPDX-License-Identifier: Apache-2.0 */
/* Descriptor hygiene (see fd-util.h). Runs in any process. */
#include "fd-util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs-util.h"
#include "macro.h"
#include "parse-util.h"

static int cmp_int(const void *a, const void *b)
{
        int x = *(const int *)a, y = *(const int *)b;

        return (x > y) - (x < y);
}

/* Closes [from, to] (to = INT_MAX: to the end). */
static void close_span(int from, int to)
{
        DIR *d;
        struct dirent *e;

        if (from > to)
                return;
        if (syscall(SYS_close_range, (unsigned)from, (unsigned)to, 0) == 0)
                return;
        /* FIXME(kernel 5.9): remove when close_range() is the baseline */
        d = opendir("/proc/self/fd");
        if (!d) {
                for (int fd = from; fd <= to && fd < 65536; fd++)
                        (void)close(fd);
                return;
        }
        while ((e = readdir(d))) {
                int64_t fd;
                if (safe_atoi64(e->d_name, &fd) < 0 || fd < from || fd > to || fd == dirfd(d))
                        continue;
                (void)close((int)fd);
        }
        closedir(d);
}

void close_all_fds_except(const int *keep, size_t n_keep)
{
        _cleanup_free_ int *sorted = xnew0(int, n_keep + 1);
        size_t n = 0;
        int next = 0;

        for (size_t i = 0; i < n_keep; i++)
                if (keep[i] >= 0)
                        sorted[n++] = keep[i];
        qsort(sorted, n, sizeof(int), cmp_int);
        for (size_t i = 0; i < n; i++) {
                close_span(next, sorted[i] - 1);
                next = sorted[i] + 1;
        }
        close_span(next, INT_MAX);
}

int listen_fds_count(void)
{
        const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
        int64_t n, p;

        if (!fds || !pid || safe_atoi64(fds, &n) < 0 || safe_atoi64(pid, &p) < 0)
                return 0;
        if (p != getpid() || n <= 0 || n > 1024)
                return 0;
        return (int)n;
}

int stdio_ensure_open(void)
{
        for (int i = 0; i < 3; i++) {
                if (fcntl(i, F_GETFD) >= 0 || errno != EBADF)
                        continue;
                /* the lowest free number: i, as 0..i-1 are open by now */
                int fd = open("/dev/null", i == 0 ? O_RDONLY : O_WRONLY);
                if (fd < 0)
                        return -errno;
                if (fd != i) {
                        safe_close(fd);
                        return -EBADF;
                }
        }
        return 0;
}

int fd_set_cloexec(int fd, bool cloexec)
{
        int flags = fcntl(fd, F_GETFD);

        if (flags < 0)
                return -errno;
        flags = cloexec ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
        return RET_NERRNO(fcntl(fd, F_SETFD, flags));
}

int memfd_sealed_copy(int fd, const char *name)
{
        _cleanup_close_ int m = memfd_create(name, MFD_ALLOW_SEALING);
        int r;

        if (m < 0)
                return -errno;
        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        r = copy_fd(fd, m);
        if (r < 0)
                return r;
        if (fcntl(m, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
                return -errno;
        return TAKE_FD(m);
}
