/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fly flavor's run entrypoint (`/run`, SPEC.md §7.6). Runs in: the host, exec'd by
 * stage0 with cwd = P; in the host's namespaces. Mounts /dev, /proc, /sys, a /tmp tmpfs
 * and the volumes into the single app's rootfs, writes P/pid and P/pgid, chroots into the
 * rootfs and execs the app, which inherits the pod lock (RKT_LOCK_FD).
 */
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app-env.h"
#include "app-exec.h"
#include "args.h"
#include "caps.h"
#include "fd-util.h"
#include "fs-util.h"
#include "mount-util.h"
#include "parse-util.h"
#include "root-path.h"
#include "stage1-mds.h"
#include "stage1-pod.h"
#include "strv.h"
#include "volumes.h"

_noreturn_ static void fail(struct rk_error *e)
{
        _cleanup_free_ char *msg = rk_error_render(e, false);

        fprintf(stderr, "run: %s\n", msg);
        exit(254);
}

/* rkt's fly ignored --private-users and ran the app as the host's root: refused here. */
static int check_args(const struct stage1_args *a, struct rk_error **reterr)
{
        if (a->private_users && *a->private_users)
                return rk_error_set(reterr, ENOTSUP,
                                    "--private-users is not supported by the fly stage1 (its "
                                    "app runs in the host's namespaces)");
        return 0;
}

static int check_pod(const struct stage1_pod *pod, struct rk_error **reterr)
{
        if (pod->n_apps != 1)
                return rk_error_set(reterr, EINVAL,
                                    "fly only supports 1 application per Pod for now");
        char **exec = pod->apps[0].app->exec;
        if (!exec || !exec[0] || !exec[0][0])
                return rk_error_set(reterr, EINVAL,
                                    "image \"%s\" has an empty \"exec\" (try --exec=BINARY)",
                                    pod->apps[0].pod_app->image_name ?: pod->apps[0].name);
        return 0;
}

/* rbind a host API filesystem (made rshared first) onto R/<name>. */
static int bind_host_fs(int rootfd, const char *host, struct rk_error **reterr)
{
        _cleanup_close_ int fd = root_mkdirs(rootfd, host, 0755, false);
        char buf[FD_PATH_MAX];

        if (fd < 0)
                return rk_error_set_errno(reterr, -fd, "creating %s", host);
        if (mount(NULL, host, NULL, MS_REC | MS_SHARED, NULL) < 0)
                return rk_error_set_errno(reterr, errno, "making %s rshared", host);
        if (mount(host, fd_path(fd, buf), NULL, MS_BIND | MS_REC, NULL) < 0)
                return rk_error_set_errno(reterr, errno, "binding %s", host);
        return 0;
}

static int bind_file(int rootfd, const char *src, const char *target, bool ro,
                     struct rk_error **reterr)
{
        return mount_bind_in_root(rootfd, src, target, ro ? MOUNT_BIND_READ_ONLY : 0, reterr);
}

static int setup_dns(const struct stage1_args *args, const struct stage1_pod *pod, int rootfd,
                     struct rk_error **reterr)
{
        _cleanup_free_ char *resolv = xasprintf("%s/etc/rkt-resolv.conf", pod->stage1_dir);
        _cleanup_free_ char *hosts = xasprintf("%s/etc/rkt-hosts", pod->stage1_dir);
        int r = 0;

        if (strcmp(args->resolv_mode, "host") == 0)
                r = bind_file(rootfd, "/etc/resolv.conf", "/etc/resolv.conf", true, reterr);
        else if (strcmp(args->resolv_mode, "stage0") == 0)
                r = bind_file(rootfd, resolv, "/etc/resolv.conf", false, reterr);
        if (r < 0)
                return r;
        if (strcmp(args->hosts_mode, "host") == 0)
                return bind_file(rootfd, "/etc/hosts", "/etc/hosts", true, reterr);
        if (strcmp(args->hosts_mode, "stage0") == 0)
                return bind_file(rootfd, hosts, "/etc/hosts", false, reterr);
        _cleanup_close_ int fd = root_open(rootfd, "/etc/hosts", O_PATH, 0);
        if (fd >= 0)
                return 0;
        _cleanup_close_ int etc = root_mkdirs(rootfd, "/etc", 0755, false);
        _cleanup_close_ int h = -EBADF;
        static const char fallback[] = "127.0.0.1 localhost localdomain\n";
        if (etc >= 0)
                h = openat(etc, "hosts", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                           0644);
        if (h < 0 || write_full(h, fallback, strlen(fallback)) < 0)
                return rk_error_set_errno(reterr, errno, "writing /etc/hosts");
        return 0;
}

static int setup_mounts(const struct stage1_args *args, const struct stage1_pod *pod, int rootfd,
                        struct rk_error **reterr)
{
        const struct stage1_app *a = &pod->apps[0];
        struct app_mounts mounts = {0};
        char buf[FD_PATH_MAX];
        int r;

        static const char *const api[] = {"/dev", "/proc", "/sys"};
        for (size_t i = 0; i < ELEMENTSOF(api); i++)
                if ((r = bind_host_fs(rootfd, api[i], reterr)) < 0)
                        return r;
        _cleanup_close_ int tmp = root_mkdirs(rootfd, "/tmp", 01777, false);
        if (tmp < 0 ||
            mount("tmpfs", fd_path(tmp, buf), "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
                return rk_error_set_errno(reterr, tmp < 0 ? -tmp : errno, "mounting /tmp");
        r = app_mounts_compute(pod, a, false, &mounts, reterr);
        for (size_t i = 0; r >= 0 && i < mounts.n; i++) {
                r = volume_prepare(pod, a, &mounts.items[i], reterr);
                if (r >= 0)
                        r = volume_mount(pod, a->rootfs, &mounts.items[i], false, reterr);
        }
        app_mounts_done(&mounts);
        if (r < 0)
                return r;
        return setup_dns(args, pod, rootfd, reterr);
}

static int write_pid_files(struct rk_error **reterr)
{
        if (write_int_file_at(AT_FDCWD, "pid", getpid()) < 0 ||
            write_int_file_at(AT_FDCWD, "pgid", getpgrp()) < 0)
                return rk_error_set_errno(reterr, errno, "writing pid files");
        return 0;
}

/* The pod lock (RKT_LOCK_FD), which the app inherits (SPEC.md §7.6), or -1. */
static int lock_fd(void)
{
        const char *s = getenv("RKT_LOCK_FD");
        int64_t fd = -1;

        if (!s || safe_atoi64(s, &fd) < 0 || fd < 3 || fd > INT_MAX)
                return -1;
        return (int)fd;
}

int main(int argc, char **argv)
{
        struct stage1_args args = {0};
        struct rk_error *e = NULL;
        _cleanup_(stage1_pod_freep) struct stage1_pod *pod = NULL;
        struct app_creds creds = {0};
        _cleanup_free_ char *exe = NULL;
        int r;

        if (stage1_args_parse(argc, argv, &args, &e) < 0 || check_args(&args, &e) < 0 ||
            stage1_pod_load(NULL, &pod, &e) < 0 || check_pod(pod, &e) < 0)
                fail(e);
        _cleanup_close_ int podfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *mds_url = stage1_mds_url(&args, "127.0.0.1"); /* host network */
        r = stage1_args_write_runtime_config(&args, mds_url, podfd);
        if (r < 0 && rk_error_set_errno(&e, -r, "writing runtime-config") < 0)
                fail(e);
        const struct stage1_app *a = &pod->apps[0];
        _cleanup_close_ int rootfd = open(a->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int s1fd = open(pod->stage1_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if ((rootfd < 0 || s1fd < 0) && rk_error_set_errno(&e, errno, "opening %s", a->rootfs) < 0)
                fail(e);
        if (setup_mounts(&args, pod, rootfd, &e) < 0 || write_pid_files(&e) < 0)
                fail(e);
        char **env = app_env_build(a->app, a->name);
        if (stage1_mds_env(&args, "127.0.0.1", &env, &e) < 0)
                fail(e);
        if ((r = app_env_write(s1fd, a->name, env)) < 0 &&
            rk_error_set_errno(&e, -r, "writing environment") < 0)
                fail(e);
        if (app_creds_resolve(rootfd, a->app, stage1_app_is_docker(a), NULL, &creds, &e) < 0)
                fail(e);
        char **argv2 = strv_copy(a->app->exec);
        if (root_find_exec(rootfd, argv2[0], app_env_get(env, "PATH"), &exe) == 0)
                argv2[0] = exe;
        int n_listen = app_listen_fds(a->app, listen_fds_count(), &env);
        if ((chroot(a->rootfs) < 0 || chdir("/") < 0) &&
            rk_error_set_errno(&e, errno, "chroot into %s", a->rootfs) < 0)
                fail(e);
        if (lock_fd() >= 0)
                (void)fd_set_cloexec(lock_fd(), false);
        if ((r = caps_clear_inheritable()) < 0 &&
            rk_error_set_errno(&e, -r, "clearing the inheritable capabilities") < 0)
                fail(e);
        struct app_exec_params xp = {.argv = argv2,
                                     .envp = env,
                                     .workdir = a->app->working_directory,
                                     .creds = &creds,
                                     .prefix = "run",
                                     .n_listen_fds = n_listen,
                                     .keep_fd = lock_fd()};
        app_exec_params_from_isolators(&xp, a->app);
        app_exec(&xp);
}
