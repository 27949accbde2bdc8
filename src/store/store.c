/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Opening the store: directory layout and modes (SPEC.md §6.1), the shared lock on D/cas,
 * clean-up of temporaries left by killed processes; blob and manifest files; removal.
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs-util.h"
#include "image-manifest.h"
#include "log.h"
#include "parse-util.h"
#include "store-private.h"
#include "strv.h"
#include "userns.h"

int store_sparse_max(uint64_t *ret, struct rk_error **reterr)
{
        const char *env = getenv("RKT_MAX_SPARSE_SIZE");
        int r = parse_size_iec(env ?: RKT_DEFAULT_MAX_SPARSE_SIZE, ret);

        if (r < 0 && env)
                return rk_error_set(reterr, EINVAL,
                                    "invalid RKT_MAX_SPARSE_SIZE \"%s\": expected a size in bytes, "
                                    "or with K, M, G or T (\"16G\")",
                                    env);
        if (r < 0)
                return rk_error_set(reterr, EINVAL,
                                    "invalid built-in limit of sparse files \"%s\" "
                                    "(meson option max-sparse-size)",
                                    RKT_DEFAULT_MAX_SPARSE_SIZE);
        return 0;
}

bool store_key_is_valid(const char *s)
{
        if (strncmp(s, STORE_KEY_PREFIX, 7) != 0 || strlen(s) != STORE_KEY_LEN)
                return false;
        return strspn(s + 7, "0123456789abcdef") == STORE_KEY_HEX;
}

void store_chown(struct store *s, int dirfd, const char *path)
{
        if (s->gid == (gid_t)-1 || geteuid() != 0)
                return;
        if (fchownat(dirfd, path, 0, s->gid, AT_SYMLINK_NOFOLLOW | (*path ? 0 : AT_EMPTY_PATH)) < 0)
                log_debug("cannot give %s to group rkt: %m", *path ? path : "the blob");
}

int store_mkdir(struct store *s, const char *dir, mode_t mode)
{
        if (mkdirat(s->cas_fd, dir, mode) < 0)
                return errno == EEXIST ? 0 : -errno;
        store_chown(s, s->cas_fd, dir);
        /* the umask and chown (which clears setgid) must not change the mode */
        return RET_NERRNO(fchmodat(s->cas_fd, dir, mode, 0));
}

int store_tmpfile(struct store *s, int *ret_fd, struct rk_error **reterr)
{
        int fd = openat(s->cas_fd, "tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0660);

        if (fd < 0 || flock(fd, LOCK_EX) < 0) {
                int e = errno;
                safe_close(fd);
                return rk_error_set_errno(reterr, e, "cannot create a temporary file in %s/cas/tmp",
                                          s->dir);
        }
        *ret_fd = fd;
        return 0;
}

int store_publish_tmpfile(struct store *s, int fd, int dirfd, const char *name,
                          struct rk_error **reterr)
{
        _cleanup_close_ int tmpdir = open_dir_nofollow(s->cas_fd, "tmp");
        _cleanup_free_ char *proc = xasprintf("/proc/self/fd/%d", fd);
        _cleanup_free_ char *tmp = NULL;
        struct stat st;
        int e;

        if (tmpdir < 0 || fchmod(fd, 0640) < 0 || fsync(fd) < 0)
                return rk_error_set_errno(reterr, tmpdir < 0 ? -tmpdir : errno, "cannot write %s",
                                          name);
        store_chown(s, fd, "");
        /* linked locked through fd (store_clean_tmp() elsewhere leaves it alone), under a
         * name nobody can have planted, then moved over name */
        for (int attempt = 0; attempt < 16 && !tmp; attempt++) {
                uint64_t rnd;
                if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
                        return rk_error_set_errno(reterr, errno, "cannot store %s", name);
                tmp = xasprintf("rkt-publish-%016" PRIx64, rnd);
                if (linkat(AT_FDCWD, proc, tmpdir, tmp, AT_SYMLINK_FOLLOW) < 0) {
                        e = errno;
                        tmp = (free(tmp), NULL);
                        if (e != EEXIST)
                                return rk_error_set_errno(reterr, e, "cannot store %s", name);
                }
        }
        if (!tmp)
                return rk_error_set_errno(reterr, EEXIST, "cannot store %s", name);
        if (renameat(tmpdir, tmp, dirfd, name) >= 0)
                return 0;
        e = errno;
        (void)unlinkat(tmpdir, tmp, 0);
        /* a file another user imported under the same key (the same bytes: the key is their
         * digest, checked whenever root renders them), which the sticky bit keeps: ours */
        if ((e == EPERM || e == EACCES) && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISREG(st.st_mode) && st.st_uid != geteuid())
                return 0;
        return rk_error_set_errno(reterr, e, "cannot store %s", name);
}

/* Whether a ".new-*" directory (see store_mkdtemp()) was left by a killed process: it lives
 * for microseconds, so one older than a minute is. */
static bool stale_new_entry(int dirfd, const char *name)
{
        struct stat st;

        return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_mtime < time(NULL) - 60;
}

/* Removes D/cas/tmp/rkt-* entries whose creator is gone (their flock is free). */
static void store_clean_tmp(struct store *s)
{
        _cleanup_close_ int fd = openat(s->cas_fd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d;
        struct dirent *de;

        if (fd < 0 || !(d = fdopendir(fd)))
                return;
        fd = -EBADF;
        while ((de = readdir(d))) {
                _cleanup_close_ int efd = -EBADF;

                if (strncmp(de->d_name, ".new-", 5) == 0 && stale_new_entry(dirfd(d), de->d_name)) {
                        (void)rm_rf_at(dirfd(d), de->d_name);
                        continue;
                }
                if (strncmp(de->d_name, "rkt-", 4) != 0)
                        continue;
                efd = openat(dirfd(d), de->d_name,
                             O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
                if (efd < 0 || flock(efd, LOCK_EX | LOCK_NB) < 0)
                        continue;
                log_debug("removing stale temporary %s", de->d_name);
                (void)rm_rf_at(dirfd(d), de->d_name);
        }
        closedir(d);
}

/* Root only: D must be root's and not writable by others (they could replace D/cas). */
static int store_check_data_dir(struct store *s, struct rk_error **reterr)
{
        struct stat st;

        if (geteuid() != 0)
                return 0;
        if (fstat(s->dir_fd, &st) < 0)
                return rk_error_set_errno(reterr, errno, "cannot check %s", s->dir);
        if (st.st_uid != 0)
                return rk_error_set(reterr, EPERM,
                                    "data directory %s is owned by uid %u, not root: refusing "
                                    "to use it as root",
                                    s->dir, (unsigned)st.st_uid);
        if ((st.st_mode & 022) && !(st.st_mode & S_ISVTX) &&
            fchmod(s->dir_fd, st.st_mode & 07755) < 0)
                return rk_error_set_errno(reterr, errno, "cannot set the mode of %s", s->dir);
        return 0;
}

static int store_open_root(struct store *s, struct rk_error **reterr)
{
        /* a rootless user's store (rootless.h) is theirs alone: the host's group maps to nothing */
        struct group *g = userns_is_host() ? getgrnam("rkt") : NULL;
        bool created;
        mode_t old;
        int r;

        s->gid = g ? g->gr_gid : (gid_t)-1;
        created = faccessat(AT_FDCWD, s->dir, F_OK, 0) < 0;
        old = umask(0);
        r = mkdir_p_at(AT_FDCWD, s->dir, 02750);
        umask(old);
        if (r >= 0) {
                s->dir_fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (s->dir_fd < 0)
                        r = -errno;
        }
        if (r >= 0 && created) {
                /* a new data directory gets SPEC.md §6.1's owner and mode */
                store_chown(s, s->dir_fd, "");
                if (fchmod(s->dir_fd, 02750) < 0)
                        log_debug("cannot set the mode of %s: %m", s->dir);
        }
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot open data directory %s", s->dir);
        r = store_check_data_dir(s, reterr);
        if (r >= 0)
                r = store_layout_prepare(s, reterr);
        return r;
}

static int open_store(const char *dir, bool deferred, struct store **ret, struct rk_error **reterr)
{
        _cleanup_(store_freep) struct store *s = xnew0(struct store, 1);
        int r;

        s->dir = xstrdup(dir);
        s->dir_fd = s->cas_fd = s->index_cmd_fd = -EBADF;
        r = store_open_root(s, reterr);
        if (r < 0)
                return r;
        s->cas_fd = openat(s->dir_fd, "cas", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s->cas_fd < 0 || flock(s->cas_fd, LOCK_SH) < 0)
                return rk_error_set_errno(reterr, errno, "cannot lock %s/cas", dir);
        s->index_deferred = deferred;
        if (deferred)
                store_db_helper_start(s);
        else {
                r = store_db_open(s, reterr);
                if (r < 0)
                        return r;
        }
        store_clean_tmp(s);
        *ret = TAKE_PTR(s);
        return 0;
}

int store_open(const char *dir, struct store **ret, struct rk_error **reterr)
{
        return open_store(dir, false, ret, reterr);
}

int store_open_deferred(const char *dir, struct store **ret, struct rk_error **reterr)
{
        return open_store(dir, true, ret, reterr);
}

int store_lock(struct store *s, const char *dir, const char *name, int op, int *ret_fd,
               struct rk_error **reterr)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
        _cleanup_close_ int fd = -EBADF;
        mode_t old = umask(0);

        fd = openat(s->cas_fd, path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0660);
        umask(old);
        if (fd < 0 && errno == EACCES && !(op & LOCK_EX))
                fd = openat(s->cas_fd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return rk_error_set_errno(reterr, errno, "cannot open lock %s", path);
        while (flock(fd, op) < 0)
                if (errno != EINTR)
                        return rk_error_set_errno(reterr, errno, "cannot lock %s", path);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int store_mkdtemp(struct store *s, const char *prefix, char **ret_name, int *ret_fd,
                  struct rk_error **reterr)
{
        _cleanup_free_ char *tmp = xasprintf("%s/cas/tmp/.new-XXXXXX", s->dir), *path = NULL;
        _cleanup_close_ int fd = -EBADF;

        /* Created under a name store_clean_tmp() ignores, locked, then renamed: another
         * process never sees it unlocked. */
        if (!mkdtemp(tmp))
                return rk_error_set_errno(reterr, errno,
                                          "cannot create a temporary directory in "
                                          "%s/cas/tmp",
                                          s->dir);
        path = xasprintf("%s/cas/tmp/%s%s", s->dir, prefix, strrchr(tmp, '-') + 1);
        fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || flock(fd, LOCK_EX) < 0 || rename(tmp, path) < 0) {
                int e = errno;
                (void)rm_rf_at(AT_FDCWD, tmp);
                return rk_error_set_errno(reterr, e, "cannot create %s", path);
        }
        *ret_name = TAKE_PTR(path);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

struct store *store_free(struct store *s)
{
        _cleanup_(rk_error_freep) struct rk_error *ignored = NULL;

        if (!s)
                return NULL;
        (void)store_sync(s, &ignored);
        store_db_helper_stop(s);
        rk_error_free(s->index_err);
        strv_free(s->unverified);
        strv_free(s->touched);
        if (s->db)
                sqlite3_close_v2(s->db);
        safe_close(s->cas_fd);
        safe_close(s->dir_fd);
        free(s->dir);
        free(s);
        return NULL;
}

void image_info_done(struct image_info *i)
{
        free(i->key);
        free(i->name);
        free(i->version);
        *i = (struct image_info){0};
}

void image_infos_free(struct image_info *v, size_t n)
{
        for (size_t i = 0; v && i < n; i++)
                image_info_done(&v[i]);
        free(v);
}

int store_open_blob(struct store *s, const char *key, int *ret_fd, struct rk_error **reterr)
{
        _cleanup_close_ int dfd = store_shard_open(s, "blob", key, false);
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r = dfd;

        /* never a member's FIFO (no hang), device or symlink */
        if (r >= 0 && (fd = openat(dfd, key, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
                r = -errno;
        if (r >= 0 && fstat(fd, &st) < 0)
                r = -errno;
        if (r >= 0 && !S_ISREG(st.st_mode))
                r = -EBADFD;
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot open the blob of image %s", key);
        store_touch_image(s, key);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

bool store_has_image_files(struct store *s, const char *key)
{
        static const char *const tops[] = {"imageManifest", "blob"};

        for (size_t i = 0; i < ELEMENTSOF(tops); i++) {
                _cleanup_close_ int dfd = store_shard_open(s, tops[i], key, false);
                struct stat st;

                if (dfd < 0 || fstatat(dfd, key, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !S_ISREG(st.st_mode))
                        return false;
        }
        return true;
}

int store_read_manifest_raw(struct store *s, const char *key, char **ret, size_t *ret_len,
                            struct rk_error **reterr)
{
        _cleanup_close_ int dfd = store_shard_open(s, "imageManifest", key, false);
        int r = dfd < 0 ? dfd : read_regular_file_at(dfd, key, 16 << 20, ret, ret_len);

        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot read the manifest of image %s", key);
        return 0;
}

int store_read_manifest(struct store *s, const char *key, struct image_manifest **ret,
                        struct rk_error **reterr)
{
        _cleanup_free_ char *raw = NULL;
        size_t len;
        int r;

        r = store_read_manifest_raw(s, key, &raw, &len, reterr);
        if (r < 0)
                return r;
        r = image_manifest_parse(raw, len, ret, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "invalid stored manifest of image %s", key);
        return 0;
}

/* Removes the file key of the shard of key below top; 1 when it stays (not ours to remove). */
static int remove_shard_file(struct store *s, const char *top, const char *key)
{
        _cleanup_close_ int dfd = store_shard_open(s, top, key, false);

        if (dfd == -ENOENT)
                return 0;
        if (dfd < 0 || (unlinkat(dfd, key, 0) < 0 && errno != ENOENT))
                return 1;
        return 0;
}

int store_remove_image(struct store *s, const char *key, struct rk_error **reterr)
{
        _cleanup_close_ int lock = -EBADF;
        int r, stale;

        r = store_lock(s, "imagelocks", key, LOCK_EX, &lock, reterr);
        if (r < 0)
                return r;
        r = store_db_delete_image(s, key, reterr);
        if (r < 0)
                return r;
        stale = remove_shard_file(s, "blob", key);
        stale |= remove_shard_file(s, "imageManifest", key);
        return stale;
}

int store_lock_prepare(struct store *s, bool exclusive, int *ret_fd, struct rk_error **reterr)
{
        _cleanup_close_ int fd = -EBADF;

        /* a data directory only ever fetched into (by its non-root owner) has no locks/ yet */
        if ((mkdirat(s->dir_fd, "locks", 02750) < 0 && errno != EEXIST) ||
            (mkdirat(s->dir_fd, "locks/prepareLock", 02750) < 0 && errno != EEXIST))
                return rk_error_set_errno(reterr, errno, "cannot create the prepare lock");
        fd = openat(s->dir_fd, "locks/prepareLock",
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0)
                return rk_error_set_errno(reterr, errno, "cannot take the prepare lock");
        *ret_fd = TAKE_FD(fd);
        return 0;
}
