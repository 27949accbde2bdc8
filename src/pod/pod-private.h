/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by the files of the pod module. */
#pragma once

#include <stdbool.h>

#include "fs-util.h"
#include "pod.h"

/* D/pods/<d> (uuid NULL) or D/pods/<d>/<uuid>. malloc'd. */
char *pod_dir_path(const char *data_dir, enum pod_dir d, const char *uuid);

/* Whether S1/rkt/supervisor-status is a symlink to "ready" (the native stage1's apps run). */

/* Creates D/pods and its state directories when missing (02750, group rkt). */
int pods_init(const char *data_dir, struct rk_error **reterr);

/* Opens the pod with exactly this UUID and derives its state; -ENOENT when it is nowhere. */
int pod_get(const char *data_dir, const char *uuid, struct pod **ret);

/* The sorted, de-duplicated UUIDs found in the directories of mask. */
int pods_list_uuids(const char *data_dir, unsigned mask, char ***ret, struct rk_error **reterr);

/*
 * Renames P into D/pods/<to>/ and updates p->path; with sync, fsyncs that directory (the
 * move must survive a crash: only prepared pods, which wait to be run, need it; a pod in any
 * other state is cleaned up by gc after a crash wherever it is). Sets reterr with errnum
 * ENOENT when P vanished meanwhile.
 */
int pod_move(struct pod *p, enum pod_dir to, bool sync, struct rk_error **reterr);

/*
 * Runs S1<path of annotation> with args (NULL-terminated, after argv[0]) as a child with cwd
 * P and stdin on /dev/null; stdout goes to /dev/null unless keep_stdout. Waits for it.
 * Errors: `entrypoint "<annotation>" not found`, "exit status N", "signal: killed".
 */
int pod_run_entrypoint(const struct pod *p, const char *annotation, char *const *args,
                       bool keep_stdout, struct rk_error **reterr);

/* The directory that holds S1 on disk: P/overlay/<stage1 tree id>/upper for overlay pods,
 * else P/stage1/rootfs. malloc'd; NULL when the tree ID cannot be read. */
char *pod_stage1_upper(const struct pod *p);
