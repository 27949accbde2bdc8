/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rkt image gc (SPEC.md §3.17): (1) under the exclusive prepare lock, removes every tree
 * store entry that no pod references; (2) removes the images not used within the grace
 * period, oldest first, keeping the images of running pods.
 */
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "cli-store.h"
#include "commands.h"
#include "fs-util.h"
#include "image-rm.h"
#include "log.h"
#include "pod-cli.h"
#include "strv.h"
#include "time-util.h"

static int64_t arg_grace_ns = 24LL * 3600 * 1000000000;

static int parse_grace(const char *arg, void *value, char **ret_msg)
{
        if (parse_duration_go(arg, value) < 0) {
                *ret_msg = xasprintf("time: invalid duration \"%s\"", arg);
                return -EINVAL;
        }
        return 0;
}

static const struct flag gc_flags[] = {
        {"grace-period", FLAG_FUNC, &arg_grace_ns, parse_grace, "24h0m0s",
         "duration to wait since an image was last used before removing it"},
        {NULL},
};

static const char *const pod_state_dirs[] = {"prepare", "prepared", "run", "exited-garbage", NULL};

/* Adds the tree IDs referenced by the pod directory fd to refs. */
static void pod_tree_refs(int fd, char ***refs)
{
        _cleanup_free_ char *id = NULL;
        _cleanup_close_ int apps = -EBADF;
        struct dirent *de;
        DIR *d;

        if (read_file_at(fd, "stage1TreeStoreID", 4096, &id, NULL) >= 0)
                strv_push(refs, id);
        apps = openat(fd, "appsinfo", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (apps < 0 || !(d = fdopendir(apps)))
                return;
        apps = -EBADF;
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = xasprintf("%s/treeStoreID", de->d_name);
                _cleanup_free_ char *tid = NULL;

                if (de->d_name[0] != '.' && read_file_at(dirfd(d), path, 4096, &tid, NULL) >= 0)
                        strv_push(refs, tid);
        }
        closedir(d);
}

/* Calls fn for every pod directory in the states that keep their trees. */
static void pods_foreach(const char *data_dir, void (*fn)(int fd, char ***acc), char ***acc,
                         const char *const *states)
{
        for (size_t i = 0; states[i]; i++) {
                _cleanup_free_ char *path = xasprintf("%s/pods/%s", data_dir, states[i]);
                DIR *d = opendir(path);
                struct dirent *de;

                while (d && (de = readdir(d))) {
                        _cleanup_close_ int fd = -EBADF;

                        if (de->d_name[0] == '.')
                                continue;
                        fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (fd >= 0)
                                fn(fd, acc);
                }
                if (d)
                        closedir(d);
        }
}

/* Adds the app image IDs of the pod manifest of a running pod to acc. */
static void pod_app_images(int fd, char ***acc)
{
        _cleanup_free_ char *raw = NULL;
        json_t *pod, *apps, *app;
        size_t i;

        if (read_file_at(fd, "pod", 16 << 20, &raw, NULL) < 0)
                return;
        pod = json_loads(raw, 0, NULL);
        apps = json_object_get(pod, "apps");
        json_array_foreach(apps, i, app) {
                const char *id =
                        json_string_value(json_object_get(json_object_get(app, "image"), "id"));
                if (id)
                        strv_push(acc, id);
        }
        json_decref(pod);
}

static int gc_trees(struct store *s)
{
        _cleanup_strv_free_ char **refs = NULL, **ids = NULL;
        _cleanup_close_ int lock = -EBADF;
        struct rk_error *err = NULL;

        if (store_lock_prepare(s, true, &lock, &err) < 0)
                return cli_report(err);
        pods_foreach(s->dir, pod_tree_refs, &refs, pod_state_dirs);
        if (store_tree_list(s, &ids, &err) < 0)
                return cli_report(err);
        STRV_FOREACH(id, ids) {
                if (strv_contains(refs, *id))
                        continue;
                if (store_tree_remove(s, *id, &err) < 0)
                        return cli_report(err);
                log_info("removed treestore \"%s\"", *id);
        }
        return 0;
}

static int compare_last_used(const void *a, const void *b)
{
        const struct image_info *x = a, *y = b;

        return (x->last_used > y->last_used) - (x->last_used < y->last_used);
}

static int gc_images(struct store *s)
{
        static const char *const running[] = {"run", NULL};
        _cleanup_strv_free_ char **in_use = NULL, **victims = NULL;
        struct image_info *v = NULL;
        struct rk_error *err = NULL;
        int64_t cutoff = now_ns() - arg_grace_ns;
        size_t n = 0;
        int r;

        if (store_list_images(s, &v, &n, &err) < 0)
                return cli_report(err);
        pods_foreach(s->dir, pod_app_images, &in_use, running);
        if (n > 0)
                qsort(v, n, sizeof(*v), compare_last_used);
        for (size_t i = 0; i < n && v[i].last_used <= cutoff; i++)
                if (!strv_contains(in_use, v[i].key))
                        strv_push(&victims, v[i].key);
        image_infos_free(v, n);
        r = image_rm_keys(s, victims);
        return r < 0 ? EXIT_RKT_ERROR : 0;
}

static int image_gc_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(store_freep) struct store *s = NULL;
        struct rk_error *err = NULL;
        int r;

        if (cli_rootless_if_own_dir() != 0 || cli_open_store(&s) < 0)
                return EXIT_RKT_ERROR;
        r = gc_trees(s);
        if (r == 0)
                r = gc_images(s);
        if (r == 0 && store_sweep_orphans(s, &err) < 0)
                r = cli_report(err);
        return r;
}

const struct command cmd_image_gc = {
        .name = "gc",
        .short_desc = "Garbage collect local store",
        .long_desc = "This is intended to be run periodically from a timer or cron job.\n"
                     "\n"
                     "The default grace period is 24h. Use --grace-period=0s to effectively "
                     "disable\n"
                     "the grace-period.",
        .flags = gc_flags,
        .run = image_gc_run,
};
