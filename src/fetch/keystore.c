/* SPDX-License-Identifier: Apache-2.0 */
/* The trusted-key directories and the keyring of an image name (see keystore.h). */
#include "keystore.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-util.h"
#include "strv.h"

/* A key file that made it through the masks so far. */
struct key_entry {
        char *name; /* the file's name: the fingerprint it must hold */
        char *path;
        char *data;
        size_t len;
};

struct key_set {
        struct key_entry *v;
        size_t n;
};

static void key_set_done(struct key_set *set)
{
        for (size_t i = 0; i < set->n; i++) {
                free(set->v[i].name);
                free(set->v[i].path);
                free(set->v[i].data);
        }
        free(set->v);
}

static void key_set_remove(struct key_set *set, const char *name)
{
        for (size_t i = 0; i < set->n; i++)
                if (strcmp(set->v[i].name, name) == 0) {
                        free(set->v[i].name);
                        free(set->v[i].path);
                        free(set->v[i].data);
                        set->v[i] = set->v[--set->n];
                        return;
                }
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

/* Reads the key file dir/name (regular, at most PGP_MAX_SIZE) into set; empty: a mask. */
static int key_file_read(int dfd, const char *dir, const char *name, struct key_set *set,
                         struct rk_error **reterr)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, name), *data = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        ssize_t n;

        /* O_NONBLOCK: a FIFO planted there must not hang us */
        fd = openat(dfd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0)
                return rk_error_set_errno(reterr, errno, "keystore: cannot read %s", path);
        if (S_ISDIR(st.st_mode))
                return 0; /* another prefix: not on this name's path */
        if (!S_ISREG(st.st_mode))
                return rk_error_set(reterr, EINVAL, "keystore: %s is not a regular file", path);
        if (st.st_size == 0) {
                key_set_remove(set, name);
                return 0;
        }
        if (st.st_size > PGP_MAX_SIZE)
                return rk_error_set(reterr, EFBIG, "keystore: %s is larger than %d bytes", path,
                                    PGP_MAX_SIZE);
        data = oom_check(malloc((size_t)st.st_size + 1));
        n = read_full(fd, data, (size_t)st.st_size + 1);
        if (n < 0)
                return rk_error_set_errno(reterr, (int)-n, "keystore: cannot read %s", path);
        if (n != st.st_size)
                return rk_error_set(reterr, EIO, "keystore: %s changed while it was read", path);
        data[n] = '\0';
        key_set_remove(set, name);
        set->v = oom_check(realloc(set->v, (set->n + 1) * sizeof(*set->v)));
        set->v[set->n] = (struct key_entry){.name = xstrdup(name),
                                            .path = TAKE_PTR(path),
                                            .data = TAKE_PTR(data),
                                            .len = (size_t)n};
        set->n++;
        return 0;
}

/* Adds the key files directly in dir (a missing dir is fine), in name order. */
static int key_dir_read(const char *dir, struct key_set *set, struct rk_error **reterr)
{
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dirent **names = NULL;
        int n, r = 0;

        if (dfd < 0) {
                if (errno == ENOENT)
                        return 0;
                return rk_error_set_errno(reterr, errno, "keystore: cannot open %s", dir);
        }
        n = scandirat(dfd, ".", &names, NULL, by_name);
        if (n < 0)
                return rk_error_set_errno(reterr, errno, "keystore: cannot list %s", dir);
        for (int i = 0; i < n; i++) {
                const char *name = names[i]->d_name;

                if (r >= 0 && strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
                        r = key_file_read(dfd, dir, name, set, reterr);
                free(names[i]);
        }
        free(names);
        return r;
}

/* The key directories for name, in load order. */
static char **keyring_dirs(const struct keystore *ks, const char *name)
{
        _cleanup_strv_free_ char **parts = strv_split(name, '/');
        char **dirs = NULL;
        const char *configs[] = {ks->system_dir, ks->local_dir};

        for (size_t c = 0; c < ELEMENTSOF(configs); c++)
                strv_consume(&dirs, xasprintf("%s/trustedkeys/root.d", configs[c]));
        for (size_t c = 0; c < ELEMENTSOF(configs); c++) {
                _cleanup_free_ char *p = xasprintf("%s/trustedkeys/prefix.d", configs[c]);

                STRV_FOREACH(part, parts) {
                        char *q = xasprintf("%s/%s", p, *part);

                        free(p);
                        p = q;
                        strv_push(&dirs, p);
                }
        }
        return dirs;
}

int keystore_load(const struct keystore *ks, const char *name, struct pgp_keyring **ret,
                  struct rk_error **reterr)
{
        _cleanup_(pgp_keyring_freep) struct pgp_keyring *kr = NULL;
        _cleanup_strv_free_ char **dirs = keyring_dirs(ks, name);
        struct key_set set = {0};
        int r;

        r = pgp_keyring_new(&kr, reterr);
        STRV_FOREACH(d, dirs) {
                if (r < 0)
                        break;
                r = key_dir_read(*d, &set, reterr);
        }
        for (size_t i = 0; r >= 0 && i < set.n; i++)
                r = pgp_keyring_add(kr, set.v[i].data, set.v[i].len, set.v[i].name, set.v[i].path,
                                    reterr);
        key_set_done(&set);
        if (r < 0)
                return rk_error_prefix(reterr, "keystore: error loading keyring");
        *ret = TAKE_PTR(kr);
        return 0;
}

/* Whether dir holds a non-empty regular file. */
static bool dir_has_key(const char *dir)
{
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dirent *de;
        bool found = false;
        DIR *d;

        if (dfd < 0 || !(d = fdopendir(dfd)))
                return false;
        dfd = -EBADF;
        while (!found && (de = readdir(d))) {
                struct stat st;

                found = fstatat(dirfd(d), de->d_name, &st, 0) == 0 && S_ISREG(st.st_mode) &&
                        st.st_size > 0;
        }
        closedir(d);
        return found;
}

bool keystore_prefix_has_keys(const struct keystore *ks, const char *prefix)
{
        _cleanup_free_ char *p = xstrdup(prefix);

        for (;;) {
                _cleanup_free_ char *local = xasprintf("%s/trustedkeys/prefix.d/%s", ks->local_dir,
                                                       p),
                                    *sys = xasprintf("%s/trustedkeys/prefix.d/%s", ks->system_dir,
                                                     p);
                char *slash;

                if (dir_has_key(local) || dir_has_key(sys))
                        return true;
                slash = strrchr(p, '/');
                if (!slash)
                        return false;
                *slash = '\0';
        }
}

/* Creates every missing directory of path with exactly mode 0755 (no umask). */
static int mkdir_p_0755(const char *path)
{
        _cleanup_free_ char *p = xstrdup(path);
        mode_t old = umask(0022);
        int r = 0;

        for (char *s = p + 1; r >= 0; s++) {
                if (*s != '/' && *s != '\0')
                        continue;
                char c = *s;
                *s = '\0';
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        r = -errno;
                *s = c;
                if (c == '\0')
                        break;
        }
        umask(old);
        return r;
}

int keystore_store(const struct keystore *ks, const char *prefix, const char *fingerprint,
                   const void *data, size_t len, char **ret_path, struct rk_error **reterr)
{
        _cleanup_free_ char *dir =
                prefix ? xasprintf("%s/trustedkeys/prefix.d/%s", ks->local_dir, prefix)
                       : xasprintf("%s/trustedkeys/root.d", ks->local_dir);
        _cleanup_close_ int dfd = -EBADF;
        int r;

        r = mkdir_p_0755(dir);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot create %s", dir);
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return rk_error_set_errno(reterr, errno, "cannot open %s", dir);
        r = write_file_atomic_at(dfd, fingerprint, data, len, 0644);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot write %s/%s", dir, fingerprint);
        *ret_path = xasprintf("%s/%s", dir, fingerprint);
        return 0;
}
