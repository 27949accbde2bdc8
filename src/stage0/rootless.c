/* SPDX-License-Identifier: Apache-2.0 */
/* Runs in: the rkt command, as a user who is not root (see rootless.h). */
#include "rootless.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-util.h"
#include "fs-util.h"
#include "macro.h"
#include "process-util.h"
#include "strv.h"

#define NEWUIDMAP "/usr/bin/newuidmap"
#define NEWGIDMAP "/usr/bin/newgidmap"
/* the ids 1..ROOTLESS_MAX_IDS of the namespace come from the user's range */
#define ROOTLESS_MAX_IDS 65535u

struct subid {
        unsigned long start, count;
};

int rootless_dir_owned(const char *dir, uid_t *ret_owner)
{
        _cleanup_free_ char *copy = xstrdup(dir);
        struct stat st;

        *ret_owner = 0;
        if (stat(dir, &st) >= 0) {
                *ret_owner = st.st_uid;
                return S_ISDIR(st.st_mode) && st.st_uid == getuid();
        }
        if (errno != ENOENT)
                return -errno;
        if (stat(dirname(copy), &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        *ret_owner = st.st_uid;
        return S_ISDIR(st.st_mode) && st.st_uid == getuid() ? 2 : 0;
}

int rootless_dir_create(const char *dir)
{
        return RET_NERRNO(mkdir(dir, 0750));
}

/* The first "name:start:count" line of file for the user (by name or decimal id). */
static int subid_find(const char *file, const char *name, unsigned long id, struct subid *ret)
{
        _cleanup_free_ char *text = NULL;
        char idtext[32];
        char *save = NULL;
        int r;

        r = read_file_at(AT_FDCWD, file, 1 << 20, &text, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        snprintf(idtext, sizeof(idtext), "%lu", id);
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *end;

                if (!c2)
                        continue;
                *c1 = '\0';
                if (strcmp(line, idtext) != 0 && !(name && strcmp(line, name) == 0))
                        continue;
                errno = 0;
                ret->start = strtoul(c1 + 1, &end, 10);
                if (errno || end != c2 || end == c1 + 1)
                        continue;
                ret->count = strtoul(c2 + 1, &end, 10);
                if (errno || *end || end == c2 + 1)
                        continue;
                return 1;
        }
        return 0;
}

static int write_proc_self(const char *name, const char *text)
{
        _cleanup_free_ char *path = xasprintf("/proc/self/%s", name);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        return write_full(fd, text, strlen(text));
}

/* No range: the user's own ids as 0, and nothing else (setgroups() is then refused). */
static int map_single(uid_t uid, gid_t gid, struct rk_error **reterr)
{
        _cleanup_free_ char *umap = xasprintf("0 %u 1\n", (unsigned)uid);
        _cleanup_free_ char *gmap = xasprintf("0 %u 1\n", (unsigned)gid);
        int r = write_proc_self("setgroups", "deny");

        if (r >= 0)
                r = write_proc_self("uid_map", umap);
        if (r >= 0)
                r = write_proc_self("gid_map", gmap);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot map your ids in a user namespace");
        return 0;
}

/* newuidmap PID 0 <own id> 1 1 <range start> <count> (and newgidmap alike) */
static char **map_argv(const char *tool, pid_t pid, unsigned long own, const struct subid *s)
{
        char **argv = NULL;

        strv_push(&argv, tool);
        strv_consume(&argv, xasprintf("%d", (int)pid));
        strv_push(&argv, "0");
        strv_consume(&argv, xasprintf("%lu", own));
        strv_push(&argv, "1");
        strv_push(&argv, "1");
        strv_consume(&argv, xasprintf("%lu", s->start));
        strv_consume(&argv, xasprintf("%lu", MIN(s->count, ROOTLESS_MAX_IDS)));
        return argv;
}

/* Runs in: the mapping child. Runs argv, waits; returns its exit status (127: not run). */
static int run_tool(char **argv)
{
        int status;
        pid_t pid = fork();

        if (pid < 0)
                return 127;
        if (pid == 0) {
                execv(argv[0], argv);
                fprintf(stderr, "%s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        if (wait_for_pid(pid, &status) < 0)
                return 127;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 127;
}

/* The last non-empty line of what the mapping tools said (for a one-line error). */
static char *last_line(char *text)
{
        char *end = text + strlen(text), *start;

        while (end > text && (end[-1] == '\n' || end[-1] == ' '))
                end--;
        *end = '\0';
        start = strrchr(text, '\n');
        return start ? start + 1 : text;
}

/* map_ranges() with its pipes: go wakes the child, out is what the tools said. */
static int map_ranges_with(char **uargv, char **gargv, int go[2], int out[2],
                           struct rk_error **reterr)
{
        char said[4096] = "", c = 1;
        size_t n = 0;
        pid_t pid;
        int status = 0, r;

        r = safe_fork_full("rootless-map", (int[]){-1, out[1], out[1]}, &go[0], 1,
                           FORK_RESET_SIGNALS | FORK_DEATHSIG_SIGKILL | FORK_REARRANGE_STDIO |
                                   FORK_CLOSE_ALL_FDS,
                           &pid);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot map your ids: fork");
        if (r == 0) {
                if (read(go[0], &c, 1) != 1)
                        _exit(1);
                _exit(run_tool(uargv) != 0 || run_tool(gargv) != 0);
        }
        out[1] = safe_close(out[1]);
        go[0] = safe_close(go[0]);
        if (unshare(CLONE_NEWUSER) < 0) {
                r = -errno;
                go[1] = safe_close(go[1]); /* the child exits */
                (void)wait_for_pid(pid, NULL);
                return rk_error_set_errno(reterr, -r, "cannot create a user namespace");
        }
        if (write(go[1], &c, 1) != 1)
                r = -errno;
        go[1] = safe_close(go[1]);
        for (ssize_t k;
             n + 1 < sizeof(said) && (k = read(out[0], said + n, sizeof(said) - 1 - n)) > 0;)
                n += (size_t)k;
        said[n] = '\0';
        if (wait_for_pid(pid, &status) < 0 || r < 0 || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0)
                return rk_error_set(reterr, EPERM,
                                    "cannot map your subordinate ids (/etc/subuid, /etc/subgid) "
                                    "in a user namespace: %s",
                                    *said ? last_line(said) : "newuidmap or newgidmap failed");
        return 0;
}

/*
 * The user's ranges through newuidmap and newgidmap: they write the maps of this process
 * (once it has unshared its user namespace) from a child left in the host's namespace.
 */
static int map_ranges(uid_t uid, gid_t gid, const struct subid *su, const struct subid *sg,
                      struct rk_error **reterr)
{
        _cleanup_strv_free_ char **uargv = map_argv(NEWUIDMAP, getpid(), uid, su);
        _cleanup_strv_free_ char **gargv = map_argv(NEWGIDMAP, getpid(), gid, sg);
        int go[2] = {-EBADF, -EBADF}, out[2] = {-EBADF, -EBADF};
        int r;

        if (pipe2(go, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
                r = rk_error_set_errno(reterr, errno, "cannot map your ids: pipe");
        } else {
                r = map_ranges_with(uargv, gargv, go, out, reterr);
        }
        safe_close(go[0]);
        safe_close(go[1]);
        safe_close(out[0]);
        safe_close(out[1]);
        return r;
}

static int private_mounts(struct rk_error **reterr)
{
        if (unshare(CLONE_NEWNS) < 0)
                return rk_error_set_errno(reterr, errno, "cannot create a mount namespace");
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return rk_error_set_errno(reterr, errno, "cannot make the mounts private");
        return 0;
}

int rootless_enter(struct rk_error **reterr)
{
        uid_t uid = getuid();
        gid_t gid = getgid();
        struct passwd *pw = getpwuid(uid);
        const char *name = pw ? pw->pw_name : NULL;
        struct subid su = {0}, sg = {0};
        int hu, hg, r;

        hu = subid_find("/etc/subuid", name, uid, &su);
        hg = subid_find("/etc/subgid", name, uid, &sg);
        if (hu < 0 || hg < 0)
                return rk_error_set_errno(reterr, -(hu < 0 ? hu : hg),
                                          "cannot read /etc/subuid or /etc/subgid");
        if (hu != hg)
                return rk_error_set(reterr, ENOENT,
                                    "uid %u has subordinate %s in %s but none in %s: rootless "
                                    "pods need both or neither",
                                    (unsigned)uid, hu ? "uids" : "gids",
                                    hu ? "/etc/subuid" : "/etc/subgid",
                                    hu ? "/etc/subgid" : "/etc/subuid");
        if (hu && (su.count == 0 || sg.count == 0))
                return rk_error_set(reterr, ENOSPC,
                                    "the range of uid %u in %s is empty: no subordinate ids "
                                    "left for a rootless pod",
                                    (unsigned)uid, su.count == 0 ? "/etc/subuid" : "/etc/subgid");
        if (hu && (access(NEWUIDMAP, X_OK) < 0 || access(NEWGIDMAP, X_OK) < 0))
                return rk_error_set(reterr, ENOENT,
                                    "rootless pods need %s and %s (Debian package uidmap) to "
                                    "map your subordinate ids",
                                    NEWUIDMAP, NEWGIDMAP);
        if (hu)
                r = map_ranges(uid, gid, &su, &sg, reterr);
        else if (unshare(CLONE_NEWUSER) < 0)
                r = rk_error_set_errno(reterr, errno, "cannot create a user namespace");
        else
                r = map_single(uid, gid, reterr);
        if (r < 0)
                return r;
        if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                return rk_error_set_errno(reterr, errno,
                                          "cannot become root in the user namespace");
        return private_mounts(reterr);
}
