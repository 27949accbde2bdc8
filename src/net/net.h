/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pod networking through CNI (SPEC.md §8, DESIGN.md §6): network definitions from the
 * stage1's and the local config's net.d, the pod's network namespace, plugin ADD/DEL for
 * every network (single-plugin .conf files as rkt read them, .conflist chains beyond rkt),
 * port forwarding by the portmap plugin chained after the forwarding network, and the
 * record of it all in P/net-info.json that list/status read and teardown replays.
 * Runs in: the stage1 run and gc entrypoints, on the host, as root.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "error.h"

/* The built-in definitions, relative to the stage1 rootfs, and where Debian keeps the
 * CNI plugins. */
#define NET_BUILTIN_DIR    "etc/rkt/net.d"
#define NET_CNI_PLUGIN_DIR "/usr/lib/cni"
#define NET_NETNS_DIR      "/var/run/netns"

/* One network definition (a file of a net.d directory). */
struct net_def {
        char *name;
        char *path;  /* the file it was read from */
        char *bytes; /* its contents, given verbatim to a single plugin */
        json_t *conf;
        bool is_list; /* a .conflist chain */
        bool ip_masq; /* its ipMasq (for a list: any plugin's) */
        int order;    /* 0: built-in, 1: user (ties of the basename order) */
};

struct net_defs {
        struct net_def *items; /* sorted by file basename */
        size_t n;
};

/*
 * Loads the regular *.conf and *.conflist files of builtin_dir, then of user_dir (either may
 * be NULL or missing), as SPEC.md §8.2: duplicates inside one directory are ignored with a
 * warning on stderr, a user network replaces a built-in one of the same name (warning).
 * A file that is not valid JSON or lacks "name"/"type" ("plugins" for a list) is an error
 * naming the file. Returns 0 or < 0 with reterr set.
 */
/*
 * Parses a network definition's bytes (or the pod's copy of them): keys matched as rkt's Go
 * code matched them (json-util.h), so a lone "Name", "Type", "IpMasq" or "Ipam" reads as
 * "name", "type", "ipMasq", "ipam" in the returned tree; a key twice, or two keys for one
 * field, is an error (*ret_error, malloc'd). NULL on error.
 */
json_t *net_conf_parse(const char *bytes, size_t len, char **ret_error);
int net_defs_load(const char *builtin_dir, const char *user_dir, struct net_defs *ret,
                  struct rk_error **reterr);
void net_defs_done(struct net_defs *d);

/* An entry of --net: a network name with its CNI_ARGS ("" when none). */
struct net_request {
        char *name;
        char *args;
};

/*
 * Picks the requested networks (the comma-separated --net value, entries "NAME[:ARGS]";
 * "all" is every definition) in file-basename order. Unknown names fail with "networks not
 * found: <names>"; requested networks whose IPAM subnets overlap fail naming both.
 * *ret has *ret_n entries pointing into defs; free with net_requests_free().
 */
int net_select(const struct net_defs *defs, const char *spec, const struct net_def ***ret_defs,
               struct net_request **ret_reqs, size_t *ret_n, struct rk_error **reterr);
void net_requests_free(struct net_request *r, size_t n);

/* A port to forward: host side and the app's port. */
struct net_port {
        char *protocol; /* "tcp" or "udp" */
        char *host_ip;  /* NULL: every local address */
        unsigned host_port;
        unsigned pod_port;
};

/* What the pod's network setup needs. */
struct net_pod_config {
        const char *uuid;
        int poddirfd;        /* P */
        const char *pod_dir; /* P as a path (for plugin paths) */
        const char *local_config;
        const char *net_spec; /* --net value */
        const struct net_port *ports;
        size_t n_ports;
};

/* The result of one network the pod joined. */
struct net_result {
        char *name;
        char *ifname;
        char *ip;      /* pod address, no prefix */
        int prefix;    /* its prefix length */
        char *gateway; /* host side for ptp; NULL when absent */
        json_t *dns;   /* the plugin's "dns" object, or NULL */
};

struct net_pod {
        char *netns_path;
        struct net_result *nets;
        size_t n;
        int fwd; /* index of the forwarding network, or -1 */
};

/*
 * Creates the pod's network namespace (bind-mounted under NET_NETNS_DIR, path saved in
 * P/netns), loads the definitions (the stage1's NET_BUILTIN_DIR and <local_config>/net.d),
 * and runs ADD for each requested network (eth0, eth1, ... in order), then portmap for the
 * ports on the forwarding network (the first with ipMasq, else the last). P/net-info.json
 * records each network before its ADD, so that net_pod_teardown() undoes even a setup that
 * was killed. On failure everything done is undone and reterr says which network failed.
 */
int net_pod_setup(const struct net_pod_config *c, struct net_pod *ret, struct rk_error **reterr);
void net_pod_done(struct net_pod *n);

/*
 * Undoes net_pod_setup() from P/net-info.json and P/netns: DEL for every network in reverse
 * order (port forwarding first), each definition's copy removed once its DEL worked, then the
 * namespace unmounted and removed — kept when a DEL failed, for a retry. Without
 * net-info.json only the namespace is removed. Returns 0 or < 0 with reterr set (the
 * first failure).
 */
int net_pod_teardown(int poddirfd, const char *uuid, struct rk_error **reterr);

/*
 * Runs in: the stage1 run entrypoint (host side), once the pod's apps have exited. Removes
 * only the pod's port forwarding (the recorded portmap DEL, or that of the portmap plugin
 * of a list that maps the ports itself): an exited pod forwards nothing, so its ports go
 * to the next pod at once. The rest stays for net_pod_teardown() at gc, where the DEL of
 * the forwarding is skipped or repeated harmlessly. Returns 0 or < 0 with reterr set.
 */
int net_pod_teardown_ports(int poddirfd, const char *uuid, struct rk_error **reterr);

/*
 * Undoes a setup that will not be used: net_pod_teardown(), then P/net-info.json removed;
 * when the teardown failed the record stays for gc and the failure is reported on stderr.
 */
void net_pod_undo(int poddirfd, const char *uuid);

/* Removes the pod's namespace and P/netns whatever failed before: when no retry will come. */
void net_pod_remove_netns(int poddirfd);

/* The host-side address of the forwarding network (for the metadata service URL), or NULL. */
const char *net_pod_host_ip(const struct net_pod *n);

/*
 * The resolv.conf body for a DNS object of a CNI result or of the --dns flags
 * ({"nameservers":[...],"search":[...],"options":[...],"domain":"..."}), after header (a
 * comment line). NULL when the object names no server, search, option or domain. Malloc'd.
 */
char *net_resolv_conf(const char *header, json_t *dns);

/*
 * Binds (without listening) a socket on each port's host address and port, so that nobody
 * else can take it while the pod forwards it; "host port N/tcp is already in use" when taken.
 * *ret_fds has n close-on-exec sockets (-1 for host port 0). Returns 0 or < 0 with reterr.
 */
int net_ports_reserve(const struct net_port *ports, size_t n, int **ret_fds,
                      struct rk_error **reterr);
