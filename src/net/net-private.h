/* SPDX-License-Identifier: Apache-2.0 */
/* Internals of the net module shared by its files. */
#pragma once

#include "net.h"

/* The environment of one plugin call (CNI_* variables, SPEC.md §8.3). */
struct cni_call {
        const char *command; /* "ADD" or "DEL" */
        const char *container_id;
        const char *netns;
        const char *ifname;
        const char *args; /* CNI_ARGS */
        const char *path; /* CNI_PATH */
        const char *version;
};

/* The first regular file named type in dirs (NULL-terminated); else "Could not find plugin". */
int cni_plugin_find(char *const *dirs, const char *type, char **ret_path, struct rk_error **reterr);

/*
 * Runs plugin with conf (len bytes) on stdin and the call's environment added to ours.
 * On success *ret_result (when not NULL) is its parsed stdout (NULL when empty). A plugin
 * that fails, is killed, or runs past a minute sets reterr to its own error message.
 */
int cni_exec(const char *plugin, const struct cni_call *c, const char *conf, size_t len,
             json_t **ret_result, struct rk_error **reterr);

/*
 * Parses a plugin's result (its stdout) with the keys matched as rkt's Go code matched them
 * (json-util.h). NULL when it is not a JSON object, with *ret_error (malloc'd) saying why.
 */
json_t *cni_result_parse(const char *out, size_t len, char **ret_error);

/* The pod's address, its prefix and the gateway in a result of any CNI version. */
int cni_result_ip4(json_t *result, char **ret_ip, int *ret_prefix, char **ret_gateway);

/* A new random path NET_NETNS_DIR/cni-<random> for netns_create(). Malloc'd. */
char *netns_new_path(void);
/* Creates a network namespace bound at path (which must not exist). Returns 0 or -errno. */
int netns_create(const char *path);
/* Whether path is NET_NETNS_DIR/cni-<name>, a namespace netns_create() may have made. */
bool netns_path_is_ours(const char *path);
/* Unmounts and removes a namespace netns_create() made (only such paths are accepted). */
int netns_remove(const char *path);
/* Whether path is a bound network namespace (not a file whose namespace went away). */
bool netns_is_live(const char *path);
/*
 * Replaces what is at path (one of ours) by a new namespace in which fill(data) ran first;
 * fill returns 0 or -errno. Returns 0 or -errno.
 */
int netns_recreate(const char *path, int (*fill)(void *), void *data);

/*
 * Creates, in the current network namespace, a veth pair name/peer (both ends here) with
 * the address ip4/prefix on name. Returns 0 or -errno.
 */
int netlink_veth_with_addr(const char *name, const char *peer, const char *ip4, int prefix);
