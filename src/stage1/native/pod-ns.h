/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The namespaces a pod was made with, recorded in P/namespaces (root's, 0600) by the host side
 * right after it cloned the pod init, before any app runs. `rkt enter` joins the namespaces of
 * the pod init's /proc/<pid>/ns, which an app allowed to trace the pod init (it holds no more
 * than the apps) can replace by making it unshare(): it joins them only when they are the
 * recorded ones. Runs in: the host side of the native stage1 (init, enter).
 */
#pragma once

#include <sys/types.h>

/*
 * Records the namespaces of pid (cgroup, ipc, uts, net, pid, mnt) and, for user, those of
 * userns_fd when >= 0 (--private-users: the pod init joins it later) or else of pid, in
 * podfd/namespaces; for net that of netns_fd when >= 0 (a CNI network's, which the pod init
 * joins right after the clone, maybe not yet). Returns 0 or -errno.
 */
int pod_ns_record(int podfd, pid_t pid, int netns_fd, int userns_fd);

/*
 * Whether nsfd is the pod's namespace name ("net", ...) as recorded: 0 when it is, -ESTALE
 * when it is another, -ENOENT when the pod has no record (made before records existed), or
 * another -errno.
 */
int pod_ns_check(int podfd, const char *name, int nsfd);
