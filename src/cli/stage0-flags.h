/* SPDX-License-Identifier: Apache-2.0 */
/* The flags of run and prepare, and the pod creation they share (SPEC.md §3.1, §3.2). */
#pragma once

#include "cli.h"
#include "stage0.h"

struct stage0_args {
        struct stage1_flags stage1;
        char **port, **net, **set_env, **set_env_file, **volume;
        char **dns, **dns_search, **dns_opt, **hosts_entry;
        char *dns_domain, *pull_policy, *pod_manifest, *uuid_file_save, *hostname, *ipc;
        bool inherit_env, no_overlay, private_users, interactive, store_only, no_store;
        bool mds_register, quiet;
        char **annotation, **user_annotation, **user_label; /* app sandbox: K=V */
        int stage1_flag_count;
};

extern struct stage0_args arg_stage0;
/* The DNS and hosts flags, checked by stage0_dns_from_flags(). */
extern struct stage0_dns arg_dns;

/*
 * Checks the DNS, hosts and hostname flags (none may hold a control character: each becomes a
 * line of resolv.conf, hosts or hostname) into arg_dns; prints the error and returns 254.
 */
int stage0_dns_from_flags(void);
/* The flags of run (pod-level, then per-app) and of prepare. */
extern struct flag run_flags[];
extern struct flag prepare_flags[];
/* The flags of app sandbox (SPEC.md §3.20). */
extern const struct flag sandbox_flags[];

/*
 * Everything run and prepare share: parses the image list, checks the flag combinations,
 * opens the store and asks stage0 for the pod (stage0_create_pod(): preparing, locked,
 * prepared). On failure prints the error and returns 254; on success *ret is
 * the pod and *ret_store the open store.
 */
int cli_create_pod(const struct command *cmd, int argc, char **argv, bool run,
                   struct store **ret_store, struct pod **ret);
