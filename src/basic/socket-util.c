/* SPDX-License-Identifier: Apache-2.0 */
#include "socket-util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "macro.h"

union unix_addr {
        struct sockaddr sa;
        struct sockaddr_un un;
};

/* A close-on-exec socket of type, and the address of name in dirfd for it
 * (/proc/self/fd/<dirfd>/<name>). Returns the socket or -errno (-ENAMETOOLONG: no fit). */
static int unix_socket_at(int dirfd, const char *name, int type, union unix_addr *ret)
{
        int n, fd;

        *ret = (union unix_addr){.un = {.sun_family = AF_UNIX}};
        n = snprintf(ret->un.sun_path, sizeof(ret->un.sun_path), "/proc/self/fd/%d/%s", dirfd,
                     name);
        if (n < 0 || (size_t)n >= sizeof(ret->un.sun_path))
                return -ENAMETOOLONG;
        fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
        return fd < 0 ? -errno : fd;
}

int unix_listen_at(int dirfd, const char *name, int type, mode_t mode, int backlog)
{
        union unix_addr a;
        _cleanup_close_ int fd = unix_socket_at(dirfd, name, type, &a);
        mode_t old = 0;
        int r;

        if (fd < 0)
                return fd;
        (void)unlinkat(dirfd, name, 0);
        if (mode)
                old = umask(~mode & 0777);
        r = bind(fd, &a.sa, sizeof(a.un)) < 0 ? -errno : 0;
        if (mode)
                umask(old);
        if (r >= 0 && listen(fd, backlog) < 0)
                r = -errno;
        if (r < 0) {
                (void)unlinkat(dirfd, name, 0);
                return r;
        }
        return TAKE_FD(fd);
}

int unix_connect_at(int dirfd, const char *name, int type, bool passcred)
{
        union unix_addr a;
        _cleanup_close_ int fd = unix_socket_at(dirfd, name, type, &a);

        if (fd < 0)
                return fd;
        if (passcred && setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int)) < 0)
                return -errno;
        if (connect(fd, &a.sa, sizeof(a.un)) < 0)
                return -errno;
        return TAKE_FD(fd);
}
