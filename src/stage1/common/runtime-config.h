/* SPDX-License-Identifier: Apache-2.0 */
/*
 * P/runtime-config (SPEC.md §6.3): the parameters of the run that the later entrypoints need
 * (enter: InsecureOptions.DisableCapabilities), one compact JSON object with rkt's members in
 * rkt's order. The run entrypoint writes it on the host before the apps start.
 * Runs in: the stage1 entrypoints, cwd = P.
 */
#pragma once

#include <stdbool.h>

#define STAGE1_RUNTIME_CONFIG "runtime-config"

struct stage1_insecure_options {
        bool disable_paths;        /* "DisablePaths" */
        bool disable_capabilities; /* "DisableCapabilities" */
        bool disable_seccomp;      /* "DisableSeccomp" */
};

struct stage1_runtime_config {
        char *mds_url;                           /* "MetadataServiceURL": "" when not registered */
        char *private_users;                     /* "PrivateUsers" */
        char *mds_token;                         /* "MDSToken" */
        char *hostname;                          /* "Hostname" */
        bool debug;                              /* "Debug" */
        bool mutable_pod;                        /* "Mutable" */
        char *resolv_conf_mode;                  /* "ResolvConfMode" */
        char *etc_hosts_mode;                    /* "EtcHostsMode" */
        char **net_list;                         /* "NetList": the --net entries */
        bool interactive;                        /* "Interactive" */
        struct stage1_insecure_options insecure; /* "InsecureOptions" */
        char *ipc_mode;                          /* "IPCMode" */
};

/*
 * Writes c as P/runtime-config below poddirfd (replaced atomically for readers, 0600, not
 * synced). Absent (NULL) members are left out. Returns 0 or -errno.
 */
int stage1_runtime_config_write(int poddirfd, const struct stage1_runtime_config *c);

/*
 * Reads P/runtime-config below poddirfd into *ret (free with stage1_runtime_config_done()).
 * Returns 0, -ENOENT when there is none (or it cannot be read), -EINVAL when it is not such
 * a record.
 */
int stage1_runtime_config_read(int poddirfd, struct stage1_runtime_config *ret);

void stage1_runtime_config_done(struct stage1_runtime_config *c);
