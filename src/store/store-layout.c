/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store's directories as root relies on them (see store-private.h). Members of group
 * rkt write D/cas: every directory they may write is sticky, so that a member can create
 * entries but never rename or remove root's (D/cas/tree, a blob, the index); each is
 * checked to be root's, a real directory, whenever root opens the store; the shard
 * directories of blobs and manifests, which the first importer of a key prefix creates,
 * are opened without following a symlink and taken over by root. Runs in: stage0.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-util.h"
#include "log.h"
#include "store-private.h"

#define SHARED_DIR (S_ISGID | S_ISVTX | 0770) /* written by the group: sticky */

static const struct {
        const char *path;
        mode_t mode;
} store_dirs[] = {
        {"tmp", 02750},
        {"cas", SHARED_DIR},
        {"cas/db", SHARED_DIR},
        {"cas/blob", SHARED_DIR},
        {"cas/blob/sha512", SHARED_DIR},
        {"cas/imageManifest", SHARED_DIR},
        {"cas/imageManifest/sha512", SHARED_DIR},
        {"cas/imagelocks", SHARED_DIR},
        {"cas/tmp", SHARED_DIR},
        {"cas/tree", 02700},
        {"cas/treestorelocks", 02700},
        {"cas/rootcache", 02700},
        {"cas/verified", 02700}, /* root's signature checks (stage0/verify.h) */
        {"locks", 02750},
};

/* Creates path below D with exactly mode and the store's group; an existing one is kept. */
static int make_dir(struct store *s, const char *path, mode_t mode)
{
        if (mkdirat(s->dir_fd, path, mode) < 0)
                return errno == EEXIST ? 0 : -errno;
        store_chown(s, s->dir_fd, path);
        return RET_NERRNO(fchmodat(s->dir_fd, path, mode, 0));
}

/*
 * Root only: what a member put where a root-only directory belongs (they could, in D/cas,
 * before it was sticky): moved aside, never used or removed by root. Returns 0 or -errno.
 */
static int move_aside(struct store *s, const char *path)
{
        for (int attempt = 0; attempt < 16; attempt++) {
                uint64_t rnd;
                _cleanup_free_ char *aside = NULL;

                if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
                        return -errno;
                aside = xasprintf("%s.untrusted-%016" PRIx64, path, rnd);
                if (renameat2(s->dir_fd, path, s->dir_fd, aside, RENAME_NOREPLACE) == 0) {
                        log_warning("warning: %s/%s was not root's; moved to %s/%s", s->dir, path,
                                    s->dir, aside);
                        return 0;
                }
                if (errno != EEXIST)
                        return -errno;
        }
        return -EEXIST;
}

/*
 * Root only: the directory path must be root's; its mode becomes mode (stores made before
 * the sticky bits get them) and its group the store's. Returns 1 when it is not root's.
 */
static int check_root_dir(struct store *s, const char *path, mode_t mode, struct rk_error **reterr)
{
        _cleanup_free_ char *what = xasprintf("%s/%s", s->dir, path);
        _cleanup_close_ int fd = open_dir_nofollow(s->dir_fd, path);
        struct stat st;

        if (fd == -ELOOP || fd == -ENOTDIR)
                return 1;
        if (fd < 0 || fstat(fd, &st) < 0)
                return rk_error_set_errno(reterr, fd < 0 ? -fd : errno, "cannot check %s", what);
        if (st.st_uid != 0)
                return 1;
        if (s->gid != (gid_t)-1 && st.st_gid != s->gid && fchown(fd, 0, s->gid) < 0)
                log_debug("cannot give %s to group rkt: %m", what);
        if ((st.st_mode & 07777) != mode && fchmod(fd, mode) < 0)
                return rk_error_set_errno(reterr, errno, "cannot set the mode of %s", what);
        return 0;
}

/*
 * One directory of the layout. Members never create a directory only root writes (root's
 * would then be theirs). For root: a shared directory that is not root's is an error (it
 * holds the group's data: the store was tampered with); a root-only one is moved aside and
 * made again.
 */
static int prepare_dir(struct store *s, const char *path, mode_t mode, bool root,
                       struct rk_error **reterr)
{
        bool shared = mode & 0020;
        struct stat st;
        int r;

        if (!root && !shared)
                return 0;
        /* the common case, one call: a directory of root's as it should be (its parents, root's,
         * were checked before it; no member can replace an entry of root's in them) */
        if (root && fstatat(s->dir_fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISDIR(st.st_mode) && st.st_uid == 0 && (st.st_mode & 07777) == mode &&
            (s->gid == (gid_t)-1 || st.st_gid == s->gid))
                return 0;
        for (int attempt = 0; attempt < 2; attempt++) {
                r = make_dir(s, path, mode);
                if (r < 0)
                        return rk_error_set_errno(reterr, -r, "cannot create the store in %s",
                                                  s->dir);
                if (!root)
                        return 0;
                r = check_root_dir(s, path, mode, reterr);
                if (r <= 0)
                        return r;
                if (shared)
                        break;
                r = move_aside(s, path);
                if (r < 0)
                        return rk_error_set_errno(reterr, -r, "cannot move %s/%s aside", s->dir,
                                                  path);
        }
        return rk_error_set(reterr, EPERM,
                            "%s/%s is not a directory of root's: the store may have been tampered "
                            "with (remove it to start over)",
                            s->dir, path);
}

int store_layout_prepare(struct store *s, struct rk_error **reterr)
{
        bool root = geteuid() == 0;
        mode_t old = umask(0);
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(store_dirs) && r >= 0; i++)
                r = prepare_dir(s, store_dirs[i].path, store_dirs[i].mode, root, reterr);
        umask(old);
        return r;
}

/*
 * Root only: makes the shard directory name of pfd (open as fd) root's. A member created it
 * (and, owning it, could rename or remove what is in it); once root's, the sticky bit keeps
 * root's files there. -EAGAIN when name no longer is fd (renamed meanwhile): look again.
 */
static int shard_claim(struct store *s, int pfd, const char *name, int fd)
{
        struct stat st, now;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_uid == 0 && (st.st_mode & 07777) == SHARED_DIR)
                return 0;
        if (fchown(fd, 0, s->gid) < 0 || fchmod(fd, SHARED_DIR) < 0)
                return -errno;
        if (fstatat(pfd, name, &now, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        return now.st_dev == st.st_dev && now.st_ino == st.st_ino ? 0 : -EAGAIN;
}

/* Creates the shard name in pfd (root: replacing a file or symlink planted there). */
static int shard_create(struct store *s, int pfd, const char *name)
{
        struct stat st;

        if (geteuid() == 0 && fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            !S_ISDIR(st.st_mode) && unlinkat(pfd, name, 0) < 0)
                return -errno;
        if (mkdirat(pfd, name, SHARED_DIR) < 0)
                return errno == EEXIST ? 0 : -errno;
        store_chown(s, pfd, name);
        return RET_NERRNO(fchmodat(pfd, name, SHARED_DIR, 0));
}

int store_shard_open(struct store *s, const char *top, const char *key, bool create)
{
        _cleanup_free_ char *parent = xasprintf("%s/sha512", top);
        _cleanup_close_ int pfd = -EBADF;
        const char name[3] = {key[7], key[8], '\0'};
        mode_t old;
        int r;

        if (!store_key_is_valid(key))
                return -EINVAL;
        pfd = open_dir_nofollow(s->cas_fd, parent);
        if (pfd < 0)
                return pfd;
        for (int attempt = 0; attempt < 16; attempt++) {
                _cleanup_close_ int fd =
                        openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

                if (fd < 0) {
                        /* missing, or (root) a file or symlink a member put in its place */
                        bool planted = errno == ELOOP || errno == ENOTDIR;
                        if (!create || (errno != ENOENT && !(planted && geteuid() == 0)))
                                return -errno;
                        old = umask(0);
                        r = shard_create(s, pfd, name);
                        umask(old);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = geteuid() == 0 ? shard_claim(s, pfd, name, fd) : 0;
                if (r == -EAGAIN)
                        continue;
                if (r < 0)
                        return r;
                return TAKE_FD(fd);
        }
        return -EAGAIN;
}

/*
 * Root only. SQLite's companions of the index (store.sqlite-wal, -shm, and -journal, which it
 * opens in WAL mode too, to roll back one that looks hot, when it first reads the index),
 * which it opens by name (not following a symlink, but a hard link it cannot tell), writes,
 * and as root gives the index's owner: made root's before SQLite opens them, so that no
 * member can put a link to another file in their place (the directory is the group's; only
 * their owner may replace a name in it). A member's (they opened the index first) becomes
 * root's; one that is not a regular file or has another name (a hard link) is refused.
 */
static int claim_index_companion(struct store *s, int dfd, const char *name,
                                 struct rk_error **reterr)
{
        _cleanup_free_ char *what = xasprintf("%s/cas/db/%s", s->dir, name);

        for (int attempt = 0; attempt < 4; attempt++) {
                _cleanup_close_ int fd =
                        openat(dfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0660);
                struct stat st, now;

                if (fd >= 0) {
                        store_chown(s, fd, "");
                        /* the group writes it too, whatever the umask */
                        if (fchmod(fd, 0660) < 0)
                                log_debug("cannot set the mode of %s: %m", what);
                        return 0;
                }
                if (errno != EEXIST)
                        return rk_error_set_errno(reterr, errno, "cannot create %s", what);
                fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
                if (fd < 0 && errno == ENOENT)
                        continue;
                if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1)
                        return rk_error_set(reterr, EBADFD,
                                            "%s is not a regular file of its own: the store may "
                                            "have been tampered with",
                                            what);
                if (st.st_uid == 0)
                        return 0;
                if (fchown(fd, 0, s->gid) < 0 ||
                    fstatat(dfd, name, &now, AT_SYMLINK_NOFOLLOW) < 0 || now.st_ino != st.st_ino ||
                    now.st_dev != st.st_dev)
                        return rk_error_set(reterr, EBUSY, "cannot take over %s", what);
                return 0;
        }
        return rk_error_set(reterr, EBUSY, "cannot take over %s", what);
}

static int claim_index_companions(struct store *s, int dfd, struct rk_error **reterr)
{
        if (geteuid() != 0)
                return 0;
        static const char *const names[] = {"store.sqlite-wal", "store.sqlite-shm",
                                            "store.sqlite-journal"};
        int r = 0;

        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(names); i++)
                r = claim_index_companion(s, dfd, names[i], reterr);
        return r;
}

int store_open_index_file(struct store *s, struct rk_error **reterr)
{
        _cleanup_free_ char *what = xasprintf("%s/cas/db/store.sqlite", s->dir);
        _cleanup_close_ int dfd = open_dir_nofollow(s->cas_fd, "db");
        _cleanup_close_ int fd = -EBADF;
        struct stat st, now;
        mode_t old;

        if (dfd < 0)
                return rk_error_set_errno(reterr, -dfd, "cannot open %s/cas/db", s->dir);
        old = umask(0);
        fd = openat(dfd, "store.sqlite", O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0660);
        umask(old);
        if (fd >= 0) {
                store_chown(s, fd, "");
                return claim_index_companions(s, dfd, reterr);
        }
        if (errno != EEXIST)
                return rk_error_set_errno(reterr, errno, "cannot create %s", what);
        /* the index of the group: never a symlink, a FIFO or a device of a member's */
        fd = openat(dfd, "store.sqlite", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return rk_error_set(reterr, EBADFD,
                                    "%s is not a regular file: the store may have been tampered "
                                    "with",
                                    what);
        if (geteuid() != 0)
                return 0;
        /* root's without the group (its creator was killed before it gave it): the group's */
        if (st.st_uid == 0 && s->gid != (gid_t)-1 && st.st_gid != s->gid)
                store_chown(s, fd, "");
        /* a member's index (they opened the store first): root's from now on */
        if (st.st_uid != 0 && (fchown(fd, 0, s->gid) < 0 ||
                               fstatat(dfd, "store.sqlite", &now, AT_SYMLINK_NOFOLLOW) < 0 ||
                               now.st_ino != st.st_ino || now.st_dev != st.st_dev))
                return rk_error_set(reterr, EBUSY, "cannot take over %s", what);
        return claim_index_companions(s, dfd, reterr);
}
