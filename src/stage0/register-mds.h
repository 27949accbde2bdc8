/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stage0 and the metadata service (SPEC.md §6.6 step 5, §6.7 (b)): registering a pod about
 * to run, unregistering a pod being deleted. Runs in: the rkt command, as root.
 */
#pragma once

#include <stdbool.h>

#include "pod.h"

/*
 * Whether the metadata service's registration socket answers, waiting up to a few seconds
 * for one that is starting (rkt's ACE test starts the service and the pod at once).
 */
bool stage0_mds_wait_reachable(void);

/*
 * Registers pod p with the service: PUT /pods/<uuid>?token= with P/pod, creates
 * P/mds-registered, then PUT /pods/<uuid>/<app> with each app's image manifest
 * (S1/opt/stage2/<app>/manifest). Connection failures are tried 3 times, 1 s apart. On a
 * later failure the pod is unregistered again. On success *ret_token is the new token
 * (32 lowercase hex digits, malloc'd).
 */
int stage0_mds_register(struct pod *p, char *const *apps, char **ret_token,
                        struct rk_error **reterr);

/*
 * Unregisters p (DELETE /pods/<uuid>) when P/mds-registered exists; a failure only warns
 * ("warning: could not unregister pod with metadata service"). Best effort, one attempt.
 */
void stage0_mds_unregister(const struct pod *p);
