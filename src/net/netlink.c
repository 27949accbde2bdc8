/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The few rtnetlink requests the net module makes itself (the plugins do the rest): a veth
 * pair with an IPv4 address on one end, in the caller's current network namespace.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "macro.h"
#include "net-private.h"

#define NL_BUF_SIZE 1024

/* One request being built: a netlink header, its payload and nested attributes. */
struct nl_req {
        union {
                struct nlmsghdr h;
                uint8_t buf[NL_BUF_SIZE];
        };
};

static void *nl_tail(struct nl_req *q)
{
        return q->buf + NLMSG_ALIGN(q->h.nlmsg_len);
}

/* Appends an attribute; returns it (to close a nested one with nl_nest_end()). */
static struct rtattr *nl_attr(struct nl_req *q, unsigned short type, const void *data, size_t len)
{
        struct rtattr *a = nl_tail(q);

        if (NLMSG_ALIGN(q->h.nlmsg_len) + RTA_SPACE(len) > sizeof(q->buf))
                return NULL;
        a->rta_type = type;
        a->rta_len = (unsigned short)RTA_LENGTH(len);
        if (len)
                memcpy(RTA_DATA(a), data, len);
        q->h.nlmsg_len = NLMSG_ALIGN(q->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
        return a;
}

static void nl_nest_end(struct nl_req *q, struct rtattr *nest)
{
        nest->rta_len = (unsigned short)((uint8_t *)nl_tail(q) - (uint8_t *)nest);
}

/* Sends the request and waits for the kernel's acknowledgement. Returns 0 or -errno. */
static int nl_talk(struct nl_req *q)
{
        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        union {
                struct sockaddr sa;
                struct sockaddr_nl nl;
        } kernel = {.nl = {.nl_family = AF_NETLINK}};
        struct nl_req reply;
        ssize_t n;

        if (fd < 0)
                return -errno;
        q->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
        q->h.nlmsg_seq = 1;
        if (sendto(fd, q->buf, q->h.nlmsg_len, 0, &kernel.sa, sizeof(kernel.nl)) < 0)
                return -errno;
        for (;;) {
                n = recv(fd, reply.buf, sizeof(reply.buf), 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                for (struct nlmsghdr *h = &reply.h; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
                        if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq != 1)
                                continue;
                        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
                                return -EBADMSG;
                        return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
                }
        }
}

static int veth_add(const char *name, const char *peer)
{
        struct nl_req q = {0};
        struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
        struct rtattr *info, *data, *peer_attr;

        q.h.nlmsg_len = NLMSG_LENGTH(sizeof(ifi));
        q.h.nlmsg_type = RTM_NEWLINK;
        q.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
        memcpy(NLMSG_DATA(&q.h), &ifi, sizeof(ifi));
        if (!nl_attr(&q, IFLA_IFNAME, name, strlen(name) + 1) ||
            !(info = nl_attr(&q, IFLA_LINKINFO, NULL, 0)) ||
            !nl_attr(&q, IFLA_INFO_KIND, "veth", 5) ||
            !(data = nl_attr(&q, IFLA_INFO_DATA, NULL, 0)) ||
            !(peer_attr = nl_attr(&q, VETH_INFO_PEER, &ifi, sizeof(ifi))) ||
            !nl_attr(&q, IFLA_IFNAME, peer, strlen(peer) + 1))
                return -E2BIG;
        nl_nest_end(&q, peer_attr);
        nl_nest_end(&q, data);
        nl_nest_end(&q, info);
        return nl_talk(&q);
}

static int addr_add(const char *name, const char *ip4, int prefix)
{
        struct nl_req q = {0};
        struct ifaddrmsg ifa = {.ifa_family = AF_INET, .ifa_scope = RT_SCOPE_UNIVERSE};
        struct in_addr a;

        if (inet_pton(AF_INET, ip4, &a) != 1 || prefix < 0 || prefix > 32)
                return -EINVAL;
        ifa.ifa_prefixlen = (unsigned char)prefix;
        ifa.ifa_index = if_nametoindex(name);
        if (ifa.ifa_index == 0)
                return -errno;
        q.h.nlmsg_len = NLMSG_LENGTH(sizeof(ifa));
        q.h.nlmsg_type = RTM_NEWADDR;
        q.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
        memcpy(NLMSG_DATA(&q.h), &ifa, sizeof(ifa));
        if (!nl_attr(&q, IFA_LOCAL, &a, sizeof(a)) || !nl_attr(&q, IFA_ADDRESS, &a, sizeof(a)))
                return -E2BIG;
        return nl_talk(&q);
}

int netlink_veth_with_addr(const char *name, const char *peer, const char *ip4, int prefix)
{
        int r;

        if (strlen(name) >= IFNAMSIZ || strlen(peer) >= IFNAMSIZ)
                return -EINVAL;
        r = veth_add(name, peer);
        return r < 0 ? r : addr_add(name, ip4, prefix);
}
