/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Running a prepared pod (SPEC.md §6.6): the overlays of stage1 and the apps are mounted in
 * the host's mount namespace (pod deletion unmounts them), then the stage1 run entrypoint
 * replaces this process with cwd P and the pod's lock in RKT_LOCK_FD.
 * Runs in: the rkt command, as root.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "fd-util.h"
#include "fs-util.h"
#include "log.h"
#include "register-mds.h"
#include "stage0.h"
#include "strv.h"

/*
 * A "volatile" overlay leaves work/incompat/volatile (holding a file "dirty") in its work
 * dir, and the kernel refuses to mount that work dir again until it is gone. Removes it;
 * true when there was one. The work dir, under P/overlay (0700), is out of the apps' reach.
 */
static bool overlay_forget_volatile(struct pod *p, const char *id, const char *sub)
{
        _cleanup_free_ char *incompat =
                xasprintf("overlay/%s/work%s%s/work/incompat", id, sub ? "/" : "", sub ? sub : "");
        _cleanup_free_ char *marker = xasprintf("%s/volatile", incompat);
        _cleanup_free_ char *dirty = xasprintf("%s/dirty", marker);

        (void)unlinkat(p->fd, dirty, 0);
        if (unlinkat(p->fd, marker, AT_REMOVEDIR) < 0)
                return false;
        (void)unlinkat(p->fd, incompat, AT_REMOVEDIR);
        return true;
}

static int mount_overlay_opts(const char *target, const char *opts)
{
        /* the upper dir is not precious once the pod is gone: skip syncs when possible */
        _cleanup_free_ char *opts_volatile = xasprintf("%s,volatile", opts);

        if (mount("overlay", target, "overlay", 0, opts_volatile) >= 0 ||
            mount("overlay", target, "overlay", 0, opts) >= 0)
                return 0;
        return -errno;
}

/* The overlay of the tree id with lower as its lower directory. */
static int mount_overlay_on(struct pod *p, const char *id, const char *lower, const char *sub,
                            const char *target, struct rk_error **reterr)
{
        _cleanup_free_ char *opts = NULL;
        const char *suffix = sub ? sub : "";
        const char *slash = sub ? "/" : "";
        int r;

        opts = xasprintf("lowerdir=%s,upperdir=%s/overlay/%s/upper%s%s,"
                         "workdir=%s/overlay/%s/work%s%s",
                         lower, p->path, id, slash, suffix, p->path, id, slash, suffix);
        r = mount_overlay_opts(target, opts);
        /* mounted before and unmounted since (export after a reboot or an admin's umount) */
        if (r == -EINVAL && overlay_forget_volatile(p, id, sub))
                r = mount_overlay_opts(target, opts);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot mount overlay on %s", target);
        return 0;
}

int stage0_mount_overlay(struct store *s, struct pod *p, const char *id, const char *sub,
                         const char *target, struct rk_error **reterr)
{
        _cleanup_free_ char *lower = xasprintf("%s/cas/tree/%s/rootfs", s->dir, id);

        return mount_overlay_on(p, id, lower, sub, target, reterr);
}

static int read_pod_string(struct pod *p, const char *name, char **ret, struct rk_error **reterr)
{
        int r = read_file_at(p->fd, name, 4096, ret, NULL);

        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot read %s/%s", p->path, name);
        return 0;
}

/*
 * --private-users: the app's overlay has as its lower directory the image idmapped to the
 * pod's ids (read-only, at P/overlay/<id>/idmapped/<app>), and upper and work directories
 * that are the pod's (stage0_prepare()): the app's root owns its root filesystem, and
 * nothing is chowned.
 */
static int mount_app_overlay_userns(struct store *s, struct pod *p, const char *id, const char *app,
                                    const char *rootfs, int userns_fd, struct rk_error **reterr)
{
        _cleanup_free_ char *tree = xasprintf("%s/cas/tree/%s/rootfs", s->dir, id);
        _cleanup_free_ char *rel = xasprintf("overlay/%s/idmapped/%s", id, app);
        _cleanup_free_ char *lower = xasprintf("%s/%s", p->path, rel);
        int r = mkdir_p_at(p->fd, rel, 0700);

        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot create %s", lower);
        r = userns_bind_idmapped(tree, lower, userns_fd);
        if (r < 0)
                return rk_error_set_errno(reterr, -r,
                                          "cannot show the image of app %s with the pod's ids "
                                          "(idmapped mount)",
                                          app);
        return mount_overlay_on(p, id, lower, app, rootfs, reterr);
}

int stage0_mount_app_overlay(struct store *s, struct pod *p, const char *app, int userns_fd,
                             struct rk_error **reterr)
{
        _cleanup_free_ char *id_file = xasprintf("appsinfo/%s/treeStoreID", app), *id = NULL;
        _cleanup_free_ char *stage2 = xasprintf("stage1/rootfs/opt/stage2/%s", app);
        _cleanup_free_ char *src = xasprintf("appsinfo/%s/manifest", app), *manifest = NULL;
        _cleanup_close_ int dir = -EBADF, rootfd = -EBADF;
        _cleanup_free_ char *rootfs = NULL;
        size_t len;
        int r;

        /* S1 is the apps' (a mutable pod's run while we add): no link below it is followed,
         * the overlay goes onto the directory reached so */
        r = read_pod_string(p, id_file, &id, reterr);
        if (r >= 0 && (r = mkdir_p_at(p->fd, stage2, 0755)) < 0)
                r = rk_error_set_errno(reterr, -r, "cannot create %s/%s", p->path, stage2);
        if (r >= 0 && (dir = r = open_dir_nofollow(p->fd, stage2)) < 0)
                r = rk_error_set_errno(reterr, -r, "cannot open %s/%s", p->path, stage2);
        if (r >= 0 && mkdirat(dir, "rootfs", 0755) < 0 && errno != EEXIST)
                r = rk_error_set_errno(reterr, errno, "cannot create %s/%s/rootfs", p->path,
                                       stage2);
        if (r >= 0 &&
            (rootfd = r = openat(dir, "rootfs", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
                r = rk_error_set_errno(reterr, errno, "cannot open %s/%s/rootfs", p->path, stage2);
        if (r >= 0 && (r = read_file_at(p->fd, src, 16 << 20, &manifest, &len)) < 0)
                r = rk_error_set_errno(reterr, -r, "cannot read %s", src);
        if (r >= 0 && (r = write_file_new_at(dir, "manifest", manifest, len, 0640)) < 0 &&
            r != -EEXIST)
                r = rk_error_set_errno(reterr, -r, "cannot write %s/manifest", stage2);
        if (r < 0)
                return r;
        rootfs = xasprintf("/proc/self/fd/%d", rootfd);
        if (userns_fd >= 0)
                return mount_app_overlay_userns(s, p, id, app, rootfs, userns_fd, reterr);
        return stage0_mount_overlay(s, p, id, app, rootfs, reterr);
}

/* Overlay pods: stage1 and every app (SPEC.md §6.6 step 1). */
static int mount_overlays(struct store *s, struct pod *p, char *const *apps,
                          const struct userns_range *userns, struct rk_error **reterr)
{
        _cleanup_free_ char *id = NULL, *s1 = xasprintf("%s/stage1/rootfs", p->path);
        _cleanup_close_ int userns_fd = -EBADF;
        int r;

        if (userns && (r = userns_make(userns, &userns_fd)) < 0)
                return rk_error_set_errno(reterr, -r, "cannot create a user namespace");

        r = read_pod_string(p, "stage1TreeStoreID", &id, reterr);
        if (r >= 0)
                r = stage0_mount_overlay(s, p, id, NULL, s1, reterr);
        if (r >= 0 && (r = mkdir_p_at(p->fd, "stage1/rootfs/rkt/status", 0755)) < 0)
                r = rk_error_set_errno(reterr, -r, "cannot create the stage1 status directory");
        for (char *const *a = apps; r >= 0 && *a; a++)
                r = stage0_mount_app_overlay(s, p, *a, userns_fd, reterr);
        return r;
}

/* etc/mtab -> ../proc/self/mounts in app roots that have etc/ and no mtab (step 2). */
void stage0_link_mtab(struct pod *p, char *const *apps)
{
        for (char *const *a = apps; *a; a++) {
                _cleanup_free_ char *etc = xasprintf("stage1/rootfs/opt/stage2/%s/rootfs/etc", *a);
                _cleanup_close_ int fd = open_dir_nofollow(p->fd, etc); /* the image's */

                if (fd < 0)
                        continue;
                if (symlinkat("../proc/self/mounts", fd, "mtab") < 0 && errno != EEXIST)
                        log_debug("cannot create %s/mtab: %m", etc);
        }
}

/*
 * The run entrypoint of the pod's stage1 (resolved inside S1: argv[0] and the path executed)
 * and the stage1's interface version.
 */
static int stage1_entrypoint(struct pod *p, char **ret_path, int *ret_version,
                             struct rk_error **reterr)
{
        _cleanup_free_ char *run = NULL;
        int r;

        r = pod_stage1_entrypoint(p, STAGE1_ANNOTATION_RUN, &run, reterr);
        if (r >= 0)
                r = pod_stage1_interface_version(p, ret_version, reterr);
        if (r >= 0)
                r = pod_stage1_entrypoint_path(p, run, POD_ENTRYPOINT_STAGE1_ROOTFS, ret_path,
                                               reterr);
        return r;
}

static char **stage1_argv(const struct stage0_context *ctx, const char *path, int version,
                          struct pod *p, const struct stage1_run_args *a, const char *mds_token,
                          const struct userns_range *userns)
{
        _cleanup_free_ char *net = a->net ? strv_join(a->net, ",") : xstrdup("default");
        char **argv = NULL;

        strv_push(&argv, path);
        if (ctx->debug)
                strv_push(&argv, "--debug");
        strv_consume(&argv, xasprintf("--net=%s", net));
        if (a->interactive)
                strv_push(&argv, "--interactive");
        if (userns)
                strv_consume(&argv,
                             xasprintf("--private-users=%u:%u", userns->shift, userns->count));
        if (mds_token)
                strv_consume(&argv, xasprintf("--mds-token=%s", mds_token));
        if (a->pass_local_config)
                strv_consume(&argv, xasprintf("--local-config=%s", ctx->local_config));
        if (a->hostname && version > 1)
                strv_consume(&argv, xasprintf("--hostname=%s", a->hostname));
        else if (a->hostname)
                log_with_prefix(LOG_LEVEL_WARNING, "stage0: ",
                                "warning: --hostname option is not supported by stage1");
        if (version > 2 && (ctx->insecure & INSECURE_CAPABILITIES))
                strv_push(&argv, "--disable-capabilities-restriction");
        if (version > 2 && (ctx->insecure & INSECURE_PATHS))
                strv_push(&argv, "--disable-paths");
        if (version > 2 && (ctx->insecure & INSECURE_SECCOMP))
                strv_push(&argv, "--disable-seccomp");
        if (a->dns && (strcmp(a->dns->resolv_mode, "default") != 0 ||
                       strcmp(a->dns->hosts_mode, "default") != 0)) {
                if (version > 3)
                        strv_consume(&argv, xasprintf("--dns-conf-mode=resolv=%s,hosts=%s",
                                                      a->dns->resolv_mode, a->dns->hosts_mode));
                else
                        log_with_prefix(LOG_LEVEL_WARNING, "stage0: ",
                                        "warning: --dns-conf-mode option not supported by stage1");
        }
        if (a->ipc && version >= 6)
                strv_consume(&argv, xasprintf("--ipc=%s", a->ipc));
        else if (a->ipc)
                log_with_prefix(LOG_LEVEL_WARNING,
                                "stage0: ", "warning: --ipc option is not supported by stage1");
        if (a->mutable_pod)
                strv_push(&argv, "--mutable");
        strv_push(&argv, p->uuid);
        return argv;
}

int stage0_run(struct store *s, const struct stage0_context *ctx, struct pod *p,
               const struct stage1_run_args *a, struct rk_error **reterr)
{
        _cleanup_strv_free_ char **apps = NULL, **argv = NULL;
        _cleanup_free_ char *path = NULL, *fd_text = NULL, *mds_token = NULL;
        struct userns_range range;
        const struct userns_range *userns = NULL;
        int version = 1, r;

        r = pod_read_userns_range(p->fd, &range);
        if (r >= 0)
                userns = &range;
        else if (r != -ENOENT)
                return rk_error_set_errno(reterr, -r, "cannot read private-users-prepared");
        r = pod_app_names(p, &apps, reterr);
        if (r >= 0 && pod_uses_overlay(p))
                r = mount_overlays(s, p, apps, userns, reterr);
        if (r >= 0 && a->dns)
                r = stage0_dns_write(p, a->dns, reterr);
        if (r >= 0)
                r = stage1_entrypoint(p, &path, &version, reterr);
        if (r >= 0 && a->mds_register)
                r = stage0_mds_register(p, apps, &mds_token, reterr);
        if (r < 0)
                return r;
        stage0_link_mtab(p, apps);
        argv = stage1_argv(ctx, path, version, p, a, mds_token, userns);
        fd_text = xasprintf("%d", p->fd);
        if (fcntl(p->fd, F_SETFD, 0) < 0 || setenv("RKT_LOCK_FD", fd_text, 1) < 0 ||
            chdir(p->path) < 0)
                return rk_error_set_errno(reterr, errno, "cannot hand the pod to stage1");
        fflush(NULL);
        execv(path, argv);
        return rk_error_set_errno(reterr, errno, "cannot execute stage1 %s", path);
}
