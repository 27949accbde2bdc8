/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pod directories: state names, the pods directories, UUIDs, creating, resolving, opening
 * and listing pods, and deriving a pod's state from its directory and its flock (SPEC.md
 * §6.4). Runs in stage0.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "pod-private.h"
#include "strv.h"
#include "userns.h"

static const char *const pod_state_table[_POD_STATE_MAX] = {
        [POD_STATE_EMBRYO] = "embryo",
        [POD_STATE_PREPARING] = "preparing",
        [POD_STATE_ABORTED_PREPARE] = "aborted prepare",
        [POD_STATE_PREPARED] = "prepared",
        [POD_STATE_RUNNING] = "running",
        [POD_STATE_DELETING] = "deleting",
        [POD_STATE_EXITED_DELETING] = "exited deleting",
        [POD_STATE_EXITED] = "exited",
        [POD_STATE_EXITED_GARBAGE] = "exited garbage",
        [POD_STATE_GARBAGE] = "garbage",
};

/* In the order a pod moves through them, which is the order states are looked up in. */
static const struct {
        enum pod_dir dir;
        const char *name;
} pod_dirs[] = {
        {POD_DIR_EMBRYO, "embryo"},
        {POD_DIR_PREPARE, "prepare"},
        {POD_DIR_PREPARED, "prepared"},
        {POD_DIR_RUN, "run"},
        {POD_DIR_EXITED_GARBAGE, "exited-garbage"},
        {POD_DIR_GARBAGE, "garbage"},
};

const char *pod_state_to_string(enum pod_state s)
{
        if (s < 0 || s >= _POD_STATE_MAX)
                return NULL;
        return pod_state_table[s];
}

const char *pod_dir_name(enum pod_dir d)
{
        for (size_t i = 0; i < ELEMENTSOF(pod_dirs); i++)
                if (pod_dirs[i].dir == d)
                        return pod_dirs[i].name;
        return NULL;
}

enum pod_dir pod_state_dir(enum pod_state s)
{
        switch (s) {
        case POD_STATE_EMBRYO:
                return POD_DIR_EMBRYO;
        case POD_STATE_PREPARING:
        case POD_STATE_ABORTED_PREPARE:
                return POD_DIR_PREPARE;
        case POD_STATE_PREPARED:
                return POD_DIR_PREPARED;
        case POD_STATE_RUNNING:
        case POD_STATE_EXITED:
                return POD_DIR_RUN;
        case POD_STATE_EXITED_GARBAGE:
        case POD_STATE_EXITED_DELETING:
                return POD_DIR_EXITED_GARBAGE;
        default:
                return POD_DIR_GARBAGE;
        }
}

/* The state a pod in directory d has, given whether someone holds its exclusive lock. */
static enum pod_state pod_state_from_dir(enum pod_dir d, bool locked)
{
        switch (d) {
        case POD_DIR_EMBRYO:
                return POD_STATE_EMBRYO;
        case POD_DIR_PREPARE:
                return locked ? POD_STATE_PREPARING : POD_STATE_ABORTED_PREPARE;
        case POD_DIR_PREPARED:
                return POD_STATE_PREPARED;
        case POD_DIR_RUN:
                return locked ? POD_STATE_RUNNING : POD_STATE_EXITED;
        case POD_DIR_EXITED_GARBAGE:
                return locked ? POD_STATE_EXITED_DELETING : POD_STATE_EXITED_GARBAGE;
        default:
                return locked ? POD_STATE_DELETING : POD_STATE_GARBAGE;
        }
}

char *pod_dir_path(const char *data_dir, enum pod_dir d, const char *uuid)
{
        if (!uuid)
                return xasprintf("%s/pods/%s", data_dir, pod_dir_name(d));
        return xasprintf("%s/pods/%s/%s", data_dir, pod_dir_name(d), uuid);
}

bool pod_is_after_run(const struct pod *p)
{
        return p->state == POD_STATE_EXITED || p->state == POD_STATE_EXITED_GARBAGE ||
               p->state == POD_STATE_EXITED_DELETING || p->state == POD_STATE_GARBAGE ||
               p->state == POD_STATE_DELETING;
}

bool pod_manifest_available(const struct pod *p)
{
        return p->state != POD_STATE_PREPARING && p->state != POD_STATE_ABORTED_PREPARE &&
               p->state != POD_STATE_DELETING;
}

int pod_uuid_generate(char buf[static 37])
{
        uint8_t b[16];

        if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
                return -errno;
        b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
        b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
        snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
                 b[13], b[14], b[15]);
        return 0;
}

/* Whether name is a UUID in rkt's canonical form (36 lowercase characters). */
static bool uuid_is_canonical(const char *name)
{
        if (strlen(name) != 36)
                return false;
        for (size_t i = 0; i < 36; i++) {
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;

                if (dash ? name[i] != '-'
                         : !(isdigit(name[i]) || (name[i] >= 'a' && name[i] <= 'f')))
                        return false;
        }
        return true;
}

/* mkdir with the pods directories' mode and group (SPEC.md §6.1); existing is fine. */
static int pods_mkdir(const char *path)
{
        struct group *g;

        if (mkdir(path, 02750) < 0)
                return errno == EEXIST ? 0 : -errno;
        g = geteuid() == 0 && userns_is_host() ? getgrnam("rkt") : NULL;
        if (g && chown(path, 0, g->gr_gid) < 0)
                return -errno;
        /* the umask and chown (which clears setgid) must not change the mode */
        return RET_NERRNO(chmod(path, 02750));
}

int pods_init(const char *data_dir, struct rk_error **reterr)
{
        _cleanup_free_ char *top = xasprintf("%s/pods", data_dir);
        int r;

        if (access(top, F_OK) < 0 && errno == ENOENT) {
                r = mkdir_p_at(AT_FDCWD, data_dir, 0750);
                if (r >= 0)
                        r = pods_mkdir(top);
                if (r < 0)
                        return rk_error_set_errno(reterr, -r, "error creating directory %s", top);
        }
        for (size_t i = 0; i < ELEMENTSOF(pod_dirs); i++) {
                _cleanup_free_ char *d = pod_dir_path(data_dir, pod_dirs[i].dir, NULL);

                r = access(d, F_OK) < 0 && errno == ENOENT ? pods_mkdir(d) : 0;
                if (r < 0)
                        return rk_error_set_errno(reterr, -r, "error creating directory %s", d);
        }
        return 0;
}

bool pods_exist(const char *data_dir)
{
        _cleanup_free_ char *top = xasprintf("%s/pods", data_dir);

        return access(top, F_OK) == 0 || errno != ENOENT;
}

struct pod *pod_free(struct pod *p)
{
        if (!p)
                return NULL;
        safe_close(p->fd);
        free(p->uuid);
        free(p->path);
        free(p->data_dir);
        free(p);
        return NULL;
}

void pod_list_free(struct pod **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                pod_free(v[i]);
        free(v);
}

/* Tests whether someone holds p's exclusive lock (never blocks). */
static int pod_test_locked(struct pod *p, bool *ret)
{
        if (p->locked_by_us) {
                *ret = true;
                return 0;
        }
        if (flock(p->fd, LOCK_SH | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK)
                        return -errno;
                *ret = true;
                return 0;
        }
        (void)flock(p->fd, LOCK_UN);
        *ret = false;
        return 0;
}

/* Sets p's state and path from the first state directory that holds it. */
static int pod_locate(struct pod *p, bool reopen)
{
        for (size_t i = 0; i < ELEMENTSOF(pod_dirs); i++) {
                _cleanup_free_ char *path = pod_dir_path(p->data_dir, pod_dirs[i].dir, p->uuid);
                enum pod_dir d = pod_dirs[i].dir;
                bool locked = false;
                struct stat st;
                int r;

                if (reopen) {
                        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (fd < 0 && errno == ENOENT)
                                continue;
                        if (fd < 0)
                                return -errno;
                        p->fd = fd;
                } else if (stat(path, &st) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return -errno;
                }
                free(p->path);
                p->path = TAKE_PTR(path);
                if (d != POD_DIR_EMBRYO && d != POD_DIR_PREPARED) {
                        r = pod_test_locked(p, &locked);
                        if (r < 0)
                                return r;
                }
                p->state = pod_state_from_dir(d, locked);
                return 0;
        }
        return -ENOENT;
}

int pod_refresh_state(struct pod *p)
{
        return pod_locate(p, false);
}

int pod_get(const char *data_dir, const char *uuid, struct pod **ret)
{
        _cleanup_(pod_freep) struct pod *p = xnew0(struct pod, 1);
        int r;

        p->fd = -EBADF;
        p->uuid = xstrdup(uuid);
        p->data_dir = xstrdup(data_dir);
        r = pod_locate(p, true);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

/* Adds the UUID-named subdirectories of D/pods/<d> to *names. */
static int pods_read_dir(const char *data_dir, enum pod_dir d, char ***names)
{
        _cleanup_free_ char *path = pod_dir_path(data_dir, d, NULL);
        struct dirent *de;
        DIR *dir = opendir(path);

        if (!dir)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(dir))) {
                struct stat st;
                int r;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                r = fstatat(dirfd(dir), de->d_name, &st, 0);
                if (r < 0 && errno == ENOENT)
                        continue; /* removed meanwhile (by a gc or rm) */
                if (r < 0 || !S_ISDIR(st.st_mode)) {
                        fprintf(stderr, "unrecognized entry: \"%s\", ignoring\n", de->d_name);
                        continue;
                }
                if (!uuid_is_canonical(de->d_name))
                        continue;
                if (!strv_contains(*names, de->d_name))
                        strv_push(names, de->d_name);
        }
        closedir(dir);
        return 0;
}

static int compare_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int pods_list_uuids(const char *data_dir, unsigned mask, char ***ret, struct rk_error **reterr)
{
        _cleanup_strv_free_ char **names = NULL;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(pod_dirs); i++) {
                if (!(mask & pod_dirs[i].dir))
                        continue;
                r = pods_read_dir(data_dir, pod_dirs[i].dir, &names);
                if (r < 0)
                        return rk_error_set_errno(reterr, -r,
                                                  "cannot read pods directory %s/pods/%s", data_dir,
                                                  pod_dirs[i].name);
        }
        if (names)
                qsort(names, strv_length(names), sizeof(char *), compare_str);
        *ret = TAKE_PTR(names);
        return 0;
}

int pod_walk(const char *data_dir, unsigned mask, void (*fn)(struct pod *p, void *userdata),
             void *userdata, struct rk_error **reterr)
{
        _cleanup_strv_free_ char **uuids = NULL;
        int r;

        r = pods_init(data_dir, reterr);
        if (r < 0)
                return r;
        r = pods_list_uuids(data_dir, mask, &uuids, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "failed to get pods");
        STRV_FOREACH(u, uuids) {
                _cleanup_(pod_freep) struct pod *p = NULL;

                r = pod_get(data_dir, *u, &p);
                if (r == -ENOENT)
                        continue;
                if (r < 0) {
                        fprintf(stderr, "skipping \"%s\": %s\n", *u, strerror(-r));
                        continue;
                }
                if (mask & pod_state_dir(p->state))
                        fn(p, userdata);
        }
        return 0;
}

struct pod_collect {
        struct pod **v;
        size_t n;
};

static void pod_collect_one(struct pod *p, void *userdata)
{
        struct pod_collect *c = userdata;
        struct pod *copy = xnew0(struct pod, 1);

        *copy = *p;
        copy->uuid = xstrdup(p->uuid);
        copy->path = xstrdup(p->path);
        copy->data_dir = xstrdup(p->data_dir);
        copy->fd = fcntl(p->fd, F_DUPFD_CLOEXEC, 3);
        c->v = oom_check(reallocarray(c->v, c->n + 1, sizeof(struct pod *)));
        c->v[c->n++] = copy;
}

int pod_list(const char *data_dir, bool include_garbage, struct pod ***ret, size_t *ret_n,
             struct rk_error **reterr)
{
        struct pod_collect c = {NULL, 0};
        unsigned mask = POD_DIRS_MOST | (include_garbage ? POD_DIR_GARBAGE : 0);
        int r = pod_walk(data_dir, mask, pod_collect_one, &c, reterr);

        if (r < 0) {
                pod_list_free(c.v, c.n);
                return r;
        }
        *ret = c.v;
        *ret_n = c.n;
        return 0;
}

static char *uuid_lower(const char *arg)
{
        char *lower = xstrdup(arg);

        for (char *c = lower; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        return lower;
}

static int pod_not_found(const char *arg, struct rk_error **reterr)
{
        _cleanup_free_ char *lower = uuid_lower(arg);

        return rk_error_set(reterr, ENOENT, "no matches found for \"%s\"", lower);
}

/* Resolves a UUID prefix among prepare/, prepared/, run/ and exited-garbage/. */
static int pod_resolve_uuid(const char *data_dir, const char *arg, char **ret,
                            struct rk_error **reterr)
{
        _cleanup_strv_free_ char **uuids = NULL;
        _cleanup_free_ char *lower = uuid_lower(arg);
        char *match = NULL;
        size_t n = 0;
        int r;

        if (!*arg)
                return rk_error_set(reterr, EINVAL, "UUID cannot be empty");
        r = pods_list_uuids(data_dir, POD_DIRS_MOST, &uuids, reterr);
        if (r < 0)
                return r;
        STRV_FOREACH(u, uuids)
                if (strncmp(*u, lower, strlen(lower)) == 0) {
                        match = *u;
                        n++;
                }
        if (n == 0)
                return pod_not_found(arg, reterr);
        if (n > 1)
                return rk_error_set(reterr, EINVAL, "ambiguous uuid, %zu matches", n);
        *ret = xstrdup(match);
        return 0;
}

int pod_open(const char *data_dir, const char *arg, struct pod **ret, struct rk_error **reterr)
{
        _cleanup_free_ char *uuid = NULL;
        int r;

        r = pods_init(data_dir, reterr);
        if (r < 0)
                return r;
        r = pod_resolve_uuid(data_dir, arg, &uuid, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "unable to resolve UUID");
        r = pod_get(data_dir, uuid, ret);
        if (r == -ENOENT) { /* removed after it matched, by a gc or rm of another process */
                pod_not_found(arg, reterr);
                return rk_error_wrap(reterr, "unable to resolve UUID");
        }
        if (r < 0) {
                rk_error_set_errno(reterr, -r, "error opening pod \"%s\"", uuid);
                return rk_error_wrap(reterr, "unable to get pod");
        }
        return 0;
}

int pod_create(const char *data_dir, struct pod **ret, struct rk_error **reterr)
{
        _cleanup_(pod_freep) struct pod *p = xnew0(struct pod, 1);
        char uuid[37];
        int r;

        p->fd = -EBADF;
        r = pods_init(data_dir, reterr);
        if (r < 0)
                return r;
        r = pod_uuid_generate(uuid);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "error creating UUID");
        p->uuid = xstrdup(uuid);
        p->data_dir = xstrdup(data_dir);
        p->path = pod_dir_path(data_dir, POD_DIR_EMBRYO, uuid);
        p->state = POD_STATE_EMBRYO;
        if (mkdir(p->path, 0750) < 0)
                return rk_error_set_errno(reterr, errno, "error creating pod directory %s",
                                          p->path);
        p->fd = open(p->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (p->fd < 0 || flock(p->fd, LOCK_EX) < 0) {
                r = errno;
                (void)rmdir(p->path);
                return rk_error_set_errno(reterr, r, "error locking pod directory %s", p->path);
        }
        p->locked_by_us = true;
        r = pod_move(p, POD_DIR_PREPARE, false, reterr);
        if (r < 0)
                return r;
        p->state = POD_STATE_PREPARING;
        *ret = TAKE_PTR(p);
        return 0;
}

int pod_lock(struct pod *p, bool nonblock, struct rk_error **reterr)
{
        if (flock(p->fd, LOCK_EX | (nonblock ? LOCK_NB : 0)) < 0)
                return rk_error_set_errno(reterr, errno, "error locking pod \"%s\"", p->uuid);
        p->locked_by_us = true;
        return 0;
}
