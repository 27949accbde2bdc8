/* SPDX-License-Identifier: Apache-2.0 */
/*
 * P/mds-registered (SPEC.md §6.3, §9.1): the record that a pod was registered with the
 * metadata service, so that deleting the pod unregisters it. An empty file (0640), as rkt's:
 * it has no fields. Runs in: stage0, as root.
 */
#pragma once

#include <stdbool.h>

#define MDS_REGISTERED_FILE "mds-registered"

/* Creates the record below poddirfd (replaced atomically when present). Returns 0 or -errno. */
int mds_registered_mark(int poddirfd);

/* Whether the record exists below poddirfd (whatever its type; a symlink is not followed). */
bool mds_registered_is_marked(int poddirfd);
