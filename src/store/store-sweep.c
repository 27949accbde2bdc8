/* SPDX-License-Identifier: Apache-2.0 */
/* Sweeping store files that no index row refers to (left by imports killed mid-commit). */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "fs-util.h"
#include "log.h"
#include "store-private.h"
#include "strv.h"

/* The keys of the files below D/cas/<top>/sha512/ (strv). */
static int list_keys(struct store *s, const char *top, char ***keys)
{
        _cleanup_free_ char *path = xasprintf("%s/sha512", top);
        int fd = open_dir_nofollow(s->cas_fd, path);
        struct dirent *de;
        DIR *d;

        if (fd < 0)
                return fd;
        if (!(d = fdopendir(fd)))
                return safe_close(fd), -errno;
        while ((de = readdir(d))) {
                int sub = de->d_name[0] == '.'
                                  ? -1
                                  : openat(dirfd(d), de->d_name,
                                           O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                DIR *sd = sub >= 0 ? fdopendir(sub) : NULL;
                struct dirent *k;

                while (sd && (k = readdir(sd)))
                        if (store_key_is_valid(k->d_name) && !strv_contains(*keys, k->d_name))
                                strv_push(keys, k->d_name);
                if (sd)
                        closedir(sd);
                else if (sub >= 0)
                        safe_close(sub);
        }
        closedir(d);
        return 0;
}

/* Removes the file key below the shard of key in top (root's or ours: sticky). */
static void sweep_file(struct store *s, const char *top, const char *key)
{
        _cleanup_close_ int dfd = store_shard_open(s, top, key, false);

        if (dfd >= 0)
                (void)unlinkat(dfd, key, 0);
}

/* Removes the files of key unless it has a row or an import holds its lock. */
static int sweep_key(struct store *s, const char *key)
{
        _cleanup_free_ char *lock_path = xasprintf("imagelocks/%s", key);
        _cleanup_close_ int lock = -EBADF;
        struct image_info info = {0};
        struct rk_error *err = NULL;

        lock = openat(s->cas_fd, lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0660);
        if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0)
                return 0;
        if (store_get_image(s, key, &info, &err) >= 0) {
                image_info_done(&info);
                return 0;
        }
        rk_error_free(err);
        log_debug("removing orphaned files of %s", key);
        sweep_file(s, "blob", key);
        sweep_file(s, "imageManifest", key);
        return 1;
}

int store_sweep_orphans(struct store *s, struct rk_error **reterr)
{
        _cleanup_strv_free_ char **keys = NULL;
        int r, n = 0;

        r = list_keys(s, "blob", &keys);
        if (r >= 0)
                r = list_keys(s, "imageManifest", &keys);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot list the store's files");
        STRV_FOREACH(k, keys)
                n += sweep_key(s, *k);
        return n;
}
