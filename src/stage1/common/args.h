/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The argv that stage0 passes to a stage1 run entrypoint (SPEC.md §7.2), parsed with Go flag
 * semantics: "-flag", "--flag", "--flag=value", "--flag value"; boolean flags take only
 * "--flag" or "--flag=<bool>". Runs in: the stage1 run entrypoint, on the host.
 */
#pragma once

#include <stdbool.h>

#include "error.h"

struct stage1_args {
        bool debug;
        char *net; /* "default" when not given */
        bool interactive;
        char *private_users;
        char *mds_token;
        char *local_config;
        char *hostname; /* NULL: rkt-<uuid> */
        char *resolv_mode;
        char *hosts_mode;
        bool disable_caps, disable_paths, disable_seccomp;
        bool mutable_pod;
        char *ipc; /* "auto" when not given */
        char *uuid;
};

/*
 * Fills *ret from argv (argv[0] is skipped). Exactly one positional argument, the pod UUID,
 * is required. The value of --mds-token is wiped from argv (every user reads a process's
 * command line). Returns 0, or -EINVAL with reterr set (unknown flag, missing value, ...).
 * Free with stage1_args_done().
 */
int stage1_args_parse(int argc, char **argv, struct stage1_args *ret, struct rk_error **reterr);
void stage1_args_done(struct stage1_args *a);

/* Whether name ("host", "none", ...) is one of the --net entries (arguments ignored). */
bool stage1_args_net_has(const struct stage1_args *a, const char *name);

/* The pod's hostname: --hostname or "rkt-<uuid>". Malloc'd. */
char *stage1_args_hostname(const struct stage1_args *a);

/* Writes P/runtime-config (runtime-config.h) relative to poddirfd for the run a, with the
 * pod's metadata service URL (NULL: not registered). Returns 0 or -errno. */
int stage1_args_write_runtime_config(const struct stage1_args *a, const char *mds_url,
                                     int poddirfd);
