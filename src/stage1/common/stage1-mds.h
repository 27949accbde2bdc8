/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where the apps of a pod registered with the metadata service find it (SPEC.md §8.3, §9.1):
 * AC_METADATA_URL=http://<host-side IP>:18112/<token>. Runs in: the stage1 run entrypoint,
 * on the host, before the pod init is cloned (the apps' environment is final then).
 */
#pragma once

#include "args.h"
#include "error.h"

#define STAGE1_MDS_PORT 18112

/*
 * The IP address, as the pod sees it, at which the host's metadata service listens:
 * "127.0.0.1" with host networking (--net=host), else net_host_ip, the host-side address of
 * the pod's forwarding network (e.g. 172.16.28.1 on the default network). NULL when the pod
 * has no network that reaches the host (--net=none).
 */
const char *stage1_mds_host_ip(const struct stage1_args *a, const char *net_host_ip);

/* The pod's metadata service URL, "http://<ip>:18112/<token>", when the pod was registered
 * (--mds-token given) and ip is known; else NULL. Malloc'd. */
char *stage1_mds_url(const struct stage1_args *a, const char *ip);

/*
 * When the pod was registered (--mds-token given), sets AC_METADATA_URL in *env (replacing
 * any value from the image) for the service at host_ip (stage1_mds_host_ip()). Returns 0,
 * or -ENETUNREACH with reterr set when host_ip is NULL.
 */
int stage1_mds_env(const struct stage1_args *a, const char *host_ip, char ***env,
                   struct rk_error **reterr);
