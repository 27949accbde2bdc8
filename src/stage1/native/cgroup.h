/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cgroups of a native pod, on every mounted hierarchy: pure v1, pure v2, and the hybrid
 * layout (v1 controllers under /sys/fs/cgroup/<ctrl> plus cgroup2 at
 * /sys/fs/cgroup/unified). Layout, identical in every hierarchy (as rkt's nspawn flavor):
 *   machine.slice/machine-rkt\x2d<uuid with \x2d>.scope            pod   (P/subcgroup)
 *   .../init.scope                                                 pod init (pid 1)
 *   .../system.slice/<app>.service                                 each app, with its limits
 * A rootless pod's (cgroup_delegated_find()): "<the user's delegated cgroup>/rkt-<uuid>", with
 * the same children, on the cgroup2 hierarchy alone.
 * Runs in: the stage1 host side (init, stop, gc, enter).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "app.h"
#include "error.h"

struct cgroup_hier {
        char *path; /* mount point */
        char *opts; /* v1: super options ("rw,memory"); v2: "" */
        bool v2;
};

struct cgroups {
        struct cgroup_hier *h;
        size_t n;
};

/* Finds the mounted hierarchies: with listmount(2) and statmount(2) where the kernel has
 * them (cgroups_detect_statmount()), else in /proc/self/mountinfo. Returns 0 or -errno. */
int cgroups_detect(struct cgroups *ret);
/* The same through listmount(2) and statmount(2) only: -ENOSYS (or another -errno) when the
 * kernel lacks them or cannot give mount options. */
int cgroups_detect_statmount(struct cgroups *ret);
/*
 * The same from a mountinfo file (the unit tests pass a fixture whose mount points are
 * directories imitating cgroup hierarchies). Returns 0 or -errno.
 */
int cgroups_detect_from(const char *mountinfo, struct cgroups *ret);
void cgroups_done(struct cgroups *c);

/*
 * Keeps the hierarchies a pod needs: every cgroup2 one, and the v1 ones holding one of the
 * controllers in ctrls (NULL-terminated). Each hierarchy joined costs mkdirs and writes.
 */
void cgroups_keep(struct cgroups *c, char *const *ctrls);

/* "machine.slice/machine-rkt\x2d<uuid escaped>.scope", malloc'd. */
char *cgroup_pod_path(const char *uuid);

/* The app's cgroup below the pod's, malloc'd. */
char *cgroup_app_path(const char *pod, const char *app);

/* mkdir -p rel in every hierarchy (cpuset v1 and v2 controller set-up included). */
int cgroups_create(const struct cgroups *c, const char *rel, struct rk_error **reterr);

/* Opens rel in every hierarchy (O_PATH|O_DIRECTORY); ret_fds has c->n entries (-1: none).
 * Returns 0, or the -errno of the first that could not be opened (*ret_fds set either way). */
int cgroups_open(const struct cgroups *c, const char *rel, int **ret_fds);

/* Writes pid (0: the caller) to cgroup.procs of each fd. Returns 0 or -errno. */
int cgroups_attach_fds(const int *fds, size_t n, pid_t pid);

/* Memory, cpu and cpu-shares isolators of app as limits of rel. */
int cgroups_set_limits(const struct cgroups *c, const char *rel, const struct ac_app *app,
                       struct rk_error **reterr);

/* The standard device rules ("c 1:3 rwm" ...) followed by extra (may be NULL), malloc'd. */
char **cgroup_device_rules(char *const *extra);

/*
 * Device access of rel (SPEC.md §11.11 Devices): deny all, then allow the standard set
 * plus the rules in extra ("c 4:1 rw" ..., may be NULL). Uses the v1 devices controller;
 * without one nothing is restricted (the native stage1 uses this only when cgroup2 cannot
 * filter devices, see device-filter.h). Returns 0 or < 0 with reterr set.
 */
int cgroups_restrict_devices(const struct cgroups *c, const char *rel, char **extra,
                             struct rk_error **reterr);

/*
 * Kills every process in rel and below: cgroup.kill on v2 where available, else (and
 * afterwards) freezing the v1 freezer cgroup and SIGKILLing every listed pid. Waits up to
 * about 2 s for the cgroup to become empty. Returns 0 or -errno.
 */
int cgroups_kill(const struct cgroups *c, const char *rel);

/* Removes rel and everything below it in every hierarchy (after killing leftovers). */
int cgroups_remove(const struct cgroups *c, const char *rel);

/*
 * The pod's process pid, pinned: a pidfd of pid (O_CLOEXEC) if that process is in the
 * cgroup rel or below, in any hierarchy (cgroup directories are root's: no other user can
 * move a process there; a rootless pod's are its user's, whose processes alone they can
 * move there, and who alone act on the pod). P/pid is a number, and numbers are reused: an exited
 * pod whose lock a member of group rkt holds keeps "running", and its pid may become the member's.
 * Returns the pidfd, -ESRCH when no such process of the pod runs, or -errno. Whatever the
 * caller then reads or opens through /proc/<pid> is that process's only if
 * pidfd_running() (process-util.h) still holds afterwards.
 */
int cgroup_pidfd_in(pid_t pid, const char *rel);

/*
 * Rootless pods (stage0's rootless.h) on a cgroup2 hierarchy mounted at v2mount: the cgroup
 * the caller may manage as its own (a delegated subtree), relative to v2mount: the nearest one
 * at or above the caller's ("0::<path>" of /proc/self/cgroup) whose directory, cgroup.procs
 * and cgroup.subtree_control the caller may write (access(): the caller's own privileges
 * decide; the hierarchy's root is never one). Its pod's cgroup is a child of it: moving a
 * process needs write access to cgroup.procs of the common ancestor of both cgroups.
 * Returns 0 with *ret malloc'd, -ENOENT when there is none, or -errno.
 */
int cgroup_delegated_find(const char *v2mount, char **ret);

/* The cgroup of a rootless pod below the delegated cgroup deleg: "<deleg>/rkt-<uuid>". */
char *cgroup_rootless_pod_path(const char *deleg, const char *uuid);

/* Whether the caller has the user's privileges only (it is not root in the host's user
 * namespace): cgroup_subcgroup_valid()'s rootless. */
bool cgroup_caller_rootless(void);

/*
 * Whether sub (P/subcgroup) names the cgroup of the pod uuid: cgroup_pod_path(uuid) or, when
 * rootless (the caller is not root in the host's user namespace: it has the user's privileges
 * alone), only a rootless pod's
 * cgroup_rootless_pod_path() whose parent is a cgroup the caller may manage on the cgroup2
 * hierarchy mounted at v2mount (may be NULL: none). Never ".." or an absolute path: root does
 * not follow a user's record into another cgroup.
 */
bool cgroup_subcgroup_valid(const char *sub, const char *uuid, bool rootless, const char *v2mount);

/*
 * P/subcgroup, the pod's cgroup (below the cwd = P, whose name is the pod's UUID), into *ret,
 * malloc'd, when cgroup_subcgroup_valid() for that pod and the caller's privileges
 * (cgroup_caller_rootless()). Returns 0 (*ret NULL: the pod has no record),
 * -EPERM with reterr set (`refusing unexpected subcgroup "<record>"`) for a record naming any
 * other cgroup, or another -errno with reterr untouched (a caller may go on without the
 * record). Every reader of P/subcgroup goes through here: a record is only the pod's.
 */
int cgroup_read_subcgroup(char **ret, struct rk_error **reterr);
