/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reserving the host ports a pod forwards: a socket bound (not listening) on each, held by
 * the pod's init for the pod's life, so that a second pod or a host service asking for the
 * same port fails at once instead of silently losing its traffic to the pod's DNAT rule.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

static int reserve_one(const struct net_port *p, struct rk_error **reterr)
{
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
        } a = {.in = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p->host_port)}};
        bool udp = strcmp(p->protocol, "udp") == 0;
        int one = 1, fd;

        /* no SO_REUSEADDR: two bound sockets that both set it may share a port */

        if (p->host_ip && inet_pton(AF_INET, p->host_ip, &a.in.sin_addr) != 1)
                return rk_error_set(reterr, EINVAL, "\"%s\" is not a valid IP", p->host_ip);
        fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return rk_error_set_errno(reterr, errno, "reserving host port %u", p->host_port);
        /* a host IP of the pod's own network exists only once the network is up */
        (void)setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one));
        if (bind(fd, &a.sa, sizeof(a.in)) < 0) {
                int e = errno;
                close(fd);
                if (e == EADDRINUSE)
                        return rk_error_set(reterr, e, "host port %u/%s is already in use",
                                            p->host_port, p->protocol);
                return rk_error_set_errno(reterr, e, "reserving host port %u/%s", p->host_port,
                                          p->protocol);
        }
        return fd;
}

int net_ports_reserve(const struct net_port *ports, size_t n, int **ret_fds,
                      struct rk_error **reterr)
{
        int *fds = xnew0(int, n + 1);

        for (size_t i = 0; i < n; i++) {
                if (ports[i].host_port == 0) {
                        fds[i] = -1;
                        continue;
                }
                fds[i] = reserve_one(&ports[i], reterr);
                if (fds[i] < 0) {
                        int r = fds[i];
                        while (i-- > 0)
                                safe_close(fds[i]);
                        free(fds);
                        return r;
                }
        }
        *ret_fds = fds;
        return 0;
}
