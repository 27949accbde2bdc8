/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Deleting a pod (SPEC.md §6.7): the stage1 gc entrypoint for exited pods (from the tree
 * store, whatever state the pod's mounts are in: rkt re-mounted S1 first), then every mount still
 * below P unmounted deepest first, then P removed. Nothing is removed while a mount remains below
 * P: a bind mount of a host directory would otherwise have its contents deleted. Runs in stage0 as
 * root.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "log.h"
#include "pod-private.h"
#include "strv.h"

struct mount_entry {
        char *path;
        bool propagates; /* shared or slave: make it private before unmounting */
        size_t order;    /* position in mountinfo: later mounts sit on top */
};

/* Decodes the octal escapes (\040 etc.) mountinfo uses in paths. */
static char *mountinfo_unescape(const char *s)
{
        char *out = xstrdup(s), *o = out;

        for (const char *c = s; *c; c++) {
                if (c[0] == '\\' && c[1] >= '0' && c[1] <= '3' && c[2] >= '0' && c[2] <= '7' &&
                    c[3] >= '0' && c[3] <= '7') {
                        *o++ = (char)((c[1] - '0') * 64 + (c[2] - '0') * 8 + (c[3] - '0'));
                        c += 3;
                } else
                        *o++ = *c;
        }
        *o = 0;
        return out;
}

static bool path_is_below(const char *path, const char *prefix)
{
        size_t n = strlen(prefix);

        return strncmp(path, prefix, n) == 0 && (path[n] == 0 || path[n] == '/');
}

/* Parses one mountinfo line; returns false when it is not below prefix. */
static bool mountinfo_parse_line(char *line, const char *prefix, size_t order,
                                 struct mount_entry *ret)
{
        char *fields[32];
        size_t n = 0;
        bool propagates = false;

        for (char *save = NULL, *f = strtok_r(line, " \n", &save); f && n < ELEMENTSOF(fields);
             f = strtok_r(NULL, " \n", &save))
                fields[n++] = f;
        if (n < 7)
                return false;
        for (size_t i = 6; i < n && strcmp(fields[i], "-") != 0; i++)
                if (strncmp(fields[i], "shared:", 7) == 0 || strncmp(fields[i], "master:", 7) == 0)
                        propagates = true;
        ret->path = mountinfo_unescape(fields[4]);
        if (!path_is_below(ret->path, prefix)) {
                free(ret->path);
                return false;
        }
        ret->propagates = propagates;
        ret->order = order;
        return true;
}

static void mount_entries_free(struct mount_entry *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i].path);
        free(v);
}

static size_t path_depth(const char *p)
{
        size_t d = 0;

        for (; *p; p++)
                d += *p == '/';
        return d;
}

/* Deepest first; of two mounts on one point, the later (upper) one first. */
static int compare_mounts(const void *a, const void *b)
{
        const struct mount_entry *x = a, *y = b;
        size_t dx = path_depth(x->path), dy = path_depth(y->path);

        if (dx != dy)
                return dx > dy ? -1 : 1;
        return x->order > y->order ? -1 : x->order < y->order;
}

/* The mounts at or below prefix, deepest first (mountinfo read in one go: stdio would read
 * /proc 1 KiB at a time). */
static int mounts_below(const char *prefix, struct mount_entry **ret, size_t *ret_n)
{
        _cleanup_free_ char *text = NULL;
        struct mount_entry *v = NULL;
        size_t n = 0, order = 0;
        char *save = NULL;
        int r = read_file_at(AT_FDCWD, "/proc/self/mountinfo", 1 << 26, &text, NULL);

        if (r < 0)
                return r;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                struct mount_entry e;

                if (!mountinfo_parse_line(line, prefix, order++, &e))
                        continue;
                v = oom_check(reallocarray(v, n + 1, sizeof(*v)));
                v[n++] = e;
        }
        if (n)
                qsort(v, n, sizeof(*v), compare_mounts);
        *ret = v;
        *ret_n = n;
        return 0;
}

/*
 * Makes m private, so that unmounting it or what is below it cannot propagate anywhere: a
 * bind of a shared host mount (fly binds the host's /dev, /proc and /sys) is a peer of the
 * host's, and an unmount below a peer is an unmount below the host's mount too.
 */
static int make_private(const struct mount_entry *m)
{
        if (m->propagates && mount(NULL, m->path, NULL, MS_PRIVATE, NULL) < 0 && errno != EINVAL &&
            errno != ENOENT)
                return -errno;
        return 0;
}

static int unmount_one(const struct mount_entry *m)
{
        if (umount2(m->path, UMOUNT_NOFOLLOW) == 0 || errno == EINVAL || errno == ENOENT)
                return 0;
        /* last resort: detach it, so that nothing below P is reachable through it */
        if (umount2(m->path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0 || errno == EINVAL ||
            errno == ENOENT)
                return 0;
        return -errno;
}

/* Unmounts the n mounts of v (deepest first): every one private first, parents before
 * children, and only then any unmount. */
static int unmount_entries(const struct mount_entry *v, size_t n, struct rk_error **reterr)
{
        int r = 0;

        for (size_t i = n; i-- > 0 && r >= 0;) {
                r = make_private(&v[i]);
                if (r < 0)
                        rk_error_set_errno(reterr, -r, "could not make %s private", v[i].path);
        }
        for (size_t i = 0; i < n && r >= 0; i++) {
                r = unmount_one(&v[i]);
                if (r < 0)
                        rk_error_set_errno(reterr, -r, "could not unmount %s", v[i].path);
        }
        return r;
}

/* Unmounts everything at or below path (several rounds for stacked mounts). */
static int pod_unmount_all(const char *path, struct rk_error **reterr)
{
        for (int round = 0; round < 16; round++) {
                struct mount_entry *v = NULL;
                size_t n = 0;
                int r = mounts_below(path, &v, &n);

                if (r < 0)
                        return rk_error_set_errno(reterr, -r, "error reading mountinfo");
                if (n == 0)
                        return 0;
                r = unmount_entries(v, n, reterr);
                mount_entries_free(v, n);
                if (r < 0)
                        return r;
        }
        return rk_error_set(reterr, EBUSY, "mounts below %s remain", path);
}

struct pod_mounts {
        struct mount_entry *v; /* deepest first */
        size_t n;
};

int pod_mounts_snapshot(const char *data_dir, struct pod_mounts **ret, struct rk_error **reterr)
{
        _cleanup_free_ char *pods = xasprintf("%s/pods", data_dir);
        struct pod_mounts *m = xnew0(struct pod_mounts, 1);
        int r = mounts_below(pods, &m->v, &m->n);

        if (r < 0) {
                free(m);
                return rk_error_set_errno(reterr, -r, "error reading mountinfo");
        }
        *ret = m;
        return 0;
}

struct pod_mounts *pod_mounts_free(struct pod_mounts *m)
{
        if (m) {
                mount_entries_free(m->v, m->n);
                free(m);
        }
        return NULL;
}

/* Unmounts the mounts of the snapshot at or below path (deepest first, as in m). */
static int pod_unmount_known(const struct pod_mounts *m, const char *path, struct rk_error **reterr)
{
        _cleanup_free_ struct mount_entry *v = NULL;
        size_t n = 0;

        for (size_t i = 0; i < m->n; i++)
                if (path_is_below(m->v[i].path, path)) {
                        v = oom_check(reallocarray(v, n + 1, sizeof(*v)));
                        v[n++] = m->v[i]; /* borrowed paths */
                }
        return n ? unmount_entries(v, n, reterr) : 0;
}

/*
 * Runs the stage1 gc entrypoint; failures are reported, not returned. It runs from the tree
 * store copy of the stage1 and works from the pod's records (P/net-info.json, P/subcgroup),
 * so whatever state the pod's mounts are in (unmounted by an admin or a reboot, or an
 * overlay that cannot be mounted again) its networks and cgroups are torn down (rkt's
 * TestGCAfterUnmount); rkt re-mounted S1 first.
 */
static void pod_stage1_gc(const struct pod *p, const char *local_config, bool debug)
{
        _cleanup_strv_free_ char **args = NULL;
        struct rk_error *err = NULL;
        int version = 1;

        if (debug)
                strv_push(&args, "--debug");
        if (pod_stage1_interface_version(p, &version, &err) >= 0 && version >= 5 && local_config &&
            *local_config) {
                strv_push(&args, "--local-config");
                strv_push(&args, local_config);
        }
        err = rk_error_free(err);
        strv_push(&args, p->uuid);
        if (pod_run_entrypoint(p, "coreos.com/rkt/stage1/gc", args, false, &err) < 0) {
                log_error("problem performing stage1 GC on \"%s\": %s", p->uuid,
                          rk_error_cause(err));
                rk_error_free(err);
        }
}

/* rm -rf P, and first the stage1 rootfs (so a failure leaves the manifest in place). */
static int pod_remove_tree(const struct pod *p, struct rk_error **reterr)
{
        _cleanup_free_ char *s1 = pod_stage1_upper(p);
        _cleanup_free_ char *parent = pod_dir_path(p->data_dir, pod_state_dir(p->state), NULL);
        _cleanup_close_ int dfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r;

        if (dfd < 0)
                return rk_error_set_errno(reterr, errno, "unable to remove pod \"%s\"", p->uuid);
        if (s1) {
                r = rm_rf_at(AT_FDCWD, s1);
                if (r < 0)
                        return rk_error_set_errno(reterr, -r, "unable to remove pod rootfs \"%s\"",
                                                  p->uuid);
        }
        r = rm_rf_at(dfd, p->uuid);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "unable to remove pod \"%s\"", p->uuid);
        return 0;
}

/*
 * With a snapshot: its mounts below P unmounted, then P removed. The removal never crosses a
 * mount (rm_rf_at stays on P's file system and out of mount points), so a mount the snapshot
 * lacks (made after it) only makes it fail; then the careful way below runs.
 */
static int pod_delete_known_mounts(struct pod *p, const struct pod_mounts *m)
{
        struct rk_error *err = NULL;
        int r = pod_unmount_known(m, p->path, &err);

        if (r >= 0)
                r = pod_remove_tree(p, &err);
        rk_error_free(err);
        return r;
}

int pod_delete(struct pod *p, const char *local_config, bool debug, const struct pod_mounts *m,
               struct rk_error **reterr)
{
        bool exited = p->state == POD_STATE_EXITED_GARBAGE || p->state == POD_STATE_EXITED_DELETING;
        int r;

        if (!exited && p->state != POD_STATE_GARBAGE && p->state != POD_STATE_DELETING)
                return rk_error_set(reterr, EINVAL,
                                    "non-garbage pod \"%s\" (status \"%s\"), skipped", p->uuid,
                                    pod_state_to_string(p->state));
        if (!p->locked_by_us)
                return rk_error_set(reterr, EINVAL, "bug: pod \"%s\" must be locked to be deleted",
                                    p->uuid);
        if (exited)
                pod_stage1_gc(p, local_config, debug);
        if (m && pod_delete_known_mounts(p, m) >= 0)
                return 0;
        r = pod_unmount_all(p->path, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "GC of leftover mounts for pod \"%s\" failed",
                                     p->uuid);
        return pod_remove_tree(p, reterr);
}

/* Whether the directory p->fd refers to has been removed (rmdir leaves no link to it). */
static bool pod_dir_removed(const struct pod *p)
{
        struct stat st;

        return fstat(p->fd, &st) == 0 && st.st_nlink == 0;
}

int pod_lock_for_delete(struct pod *p, struct rk_error **reterr)
{
        int r = pod_lock(p, false, reterr);

        if (r < 0)
                return r;
        r = pod_refresh_state(p);
        if (r == -ENOENT || (r >= 0 && pod_dir_removed(p))) {
                (void)flock(p->fd, LOCK_UN);
                p->locked_by_us = false;
                return 0;
        }
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot find pod \"%s\"", p->uuid);
        return 1;
}

bool pod_is_vanishing(struct pod *p)
{
        int r = pod_refresh_state(p);

        if (r == -ENOENT || (r >= 0 && pod_dir_removed(p)))
                return true;
        return r >= 0 && (p->state == POD_STATE_DELETING || p->state == POD_STATE_EXITED_DELETING);
}
