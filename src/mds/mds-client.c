/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP over the registration unix socket. Runs in: the rkt command (stage0, gc, rm). */
#include "mds-client.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "fs-util.h"
#include "macro.h"

#define IO_TIMEOUT_S 10
#define MAX_RESPONSE (64u << 10)

static int connect_socket(void)
{
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        union {
                struct sockaddr sa;
                struct sockaddr_un un;
        } addr = {.un = {.sun_family = AF_UNIX, .sun_path = MDS_CLIENT_SOCKET}};
        struct timeval tv = {.tv_sec = IO_TIMEOUT_S};

        if (fd < 0)
                return -errno;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
                return -errno;
        if (connect(fd, &addr.sa, sizeof(addr.un)) < 0)
                return -errno;
        return TAKE_FD(fd);
}

bool mds_client_reachable(void)
{
        int fd = connect_socket();

        safe_close(fd);
        return fd >= 0;
}

/* Reads the response up to EOF (or MAX_RESPONSE) and parses "HTTP/1.x NNN". */
static int read_status(int fd, unsigned *ret)
{
        _cleanup_free_ char *buf = oom_check(malloc(MAX_RESPONSE + 1));
        size_t n = 0;
        ssize_t k;
        unsigned status;

        while (n < MAX_RESPONSE && (k = read(fd, buf + n, MAX_RESPONSE - n)) != 0) {
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                n += (size_t)k;
        }
        buf[n] = '\0';
        if (sscanf(buf, "HTTP/1.%*1[01] %3u", &status) != 1)
                return -EBADMSG;
        *ret = status;
        return 0;
}

static int send_request(int fd, const char *method, const char *path, const char *body, size_t len)
{
        _cleanup_free_ char *head = xasprintf("%s %s HTTP/1.1\r\nHost: unix\r\n"
                                              "Content-Type: application/json\r\n"
                                              "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                                              method, path, len);
        int r = write_full(fd, head, strlen(head));

        if (r >= 0 && len > 0)
                r = write_full(fd, body, len);
        return r;
}

int mds_client_request(const char *method, const char *path, const char *body, size_t len,
                       unsigned attempts, unsigned *ret_status, struct rk_error **reterr)
{
        _cleanup_close_ int fd = -EBADF;
        int r;

        for (unsigned i = 0; i < attempts; i++) {
                if (i > 0)
                        sleep(1);
                fd = connect_socket();
                if (fd >= 0)
                        break;
        }
        if (fd < 0)
                return rk_error_set(reterr, -fd, "%s", MDS_UNREACHABLE_TEXT);
        r = send_request(fd, method, path, body, len);
        if (r >= 0)
                r = read_status(fd, ret_status);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "%s %s failed", method, path);
        return 0;
}
