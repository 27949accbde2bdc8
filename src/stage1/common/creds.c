/* SPDX-License-Identifier: Apache-2.0 */
/* Credential resolution inside an app rootfs. Runs in: stage1 host side. */
#include "creds.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs-util.h"
#include "parse-util.h"
#include "root-path.h"
#include "strv.h"

enum db_kind { DB_PASSWD, DB_GROUP };

#define DB_MAX (4u << 20)

/*
 * Opens a file of the app's rootfs for reading, refused unless it is a regular file (a FIFO,
 * a device or a directory: -EBADFD), so that neither run nor a later enter can be made to
 * hang on a FIFO or open a device (fs-util.h: fd_reopen_regular()). Returns the fd, -ENOENT,
 * -EBADFD or another -errno.
 */
static int root_open_regular(int rootfd, const char *path)
{
        _cleanup_close_ int pfd = root_open(rootfd, path, O_PATH, 0);

        return pfd < 0 ? pfd : fd_reopen_regular(pfd, O_RDONLY);
}

/* Reads fd (at most DB_MAX bytes) into a NUL-terminated malloc'd string. */
static int read_fd_text(int fd, char **ret)
{
        _cleanup_free_ char *buf = xnew0(char, DB_MAX + 1);
        ssize_t n = read_full(fd, buf, DB_MAX);

        if (n < 0)
                return (int)n;
        buf[n] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}

/*
 * Looks name up in etc/passwd or etc/group of the root: field 3 of the matching line, which
 * must be an ID parse_id() accepts. Returns 1 and sets *ret, 0 when there is no such entry
 * (or no database), or < 0 with reterr set.
 */
static int db_lookup(int rootfd, enum db_kind kind, const char *name, unsigned *ret,
                     struct rk_error **reterr)
{
        const char *db = kind == DB_PASSWD ? "/etc/passwd" : "/etc/group";
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_free_ char **lines = NULL;
        int r;

        fd = root_open_regular(rootfd, db);
        if (fd == -ENOENT)
                return 0;
        if (fd == -EBADFD)
                return rk_error_set(reterr, EBADFD, "%s of the app is not a regular file", db);
        if (fd < 0)
                return rk_error_set_errno(reterr, -fd, "opening %s of the app", db);
        r = read_fd_text(fd, &text);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "reading %s of the app", db);
        lines = strv_split(text, '\n');
        STRV_FOREACH(l, lines) {
                _cleanup_strv_free_ char **f = strv_split(*l, ':');
                uint32_t v;
                if (strv_length(f) < 3 || strcmp(f[0], name) != 0)
                        continue;
                if (parse_id(f[2], &v) < 0)
                        return rk_error_set(reterr, EINVAL, "invalid %s ID \"%s\" for \"%s\" in %s",
                                            kind == DB_PASSWD ? "user" : "group", f[2], name, db);
                *ret = v;
                return 1;
        }
        return 0;
}

static int resolve_id(int rootfd, enum db_kind kind, const char *s,
                      const struct userns_range *range, unsigned *ret, struct rk_error **reterr)
{
        const char *what = kind == DB_PASSWD ? "user" : "group";
        uint32_t v;
        int r;

        if (strcmp(s, "root") == 0) {
                *ret = 0;
                return 0;
        }
        if (id_is_numeric(s)) {
                if (parse_id(s, &v) < 0)
                        return rk_error_set(reterr, EINVAL, "invalid %s ID \"%s\"", what, s);
                *ret = v;
                return 0;
        }
        if (s[0] == '/') {
                _cleanup_close_ int fd = root_open(rootfd, s, O_PATH, 0);
                struct stat st;
                if (fd < 0 || fstat(fd, &st) < 0)
                        return rk_error_set(reterr, ENOENT,
                                            "unable to determine %s from path \"%s\": no such "
                                            "file or directory",
                                            what, s);
                *ret = kind == DB_PASSWD ? st.st_uid : st.st_gid;
                if (range)
                        *ret = userns_range_unshift(range, *ret);
                return 0;
        }
        r = db_lookup(rootfd, kind, s, ret, reterr);
        if (r == 0)
                return rk_error_set(reterr, ENOENT, "\"%s\" %s not found", s, what);
        return r < 0 ? r : 0;
}

int app_creds_resolve(int rootfd, const struct ac_app *app, bool docker,
                      const struct userns_range *range, struct app_creds *ret,
                      struct rk_error **reterr)
{
        struct app_creds c = {0};
        unsigned uid, gid;
        int r;

        r = resolve_id(rootfd, DB_PASSWD, app->user, range, &uid, reterr);
        if (r < 0)
                return r;
        r = resolve_id(rootfd, DB_GROUP, app->group, range, &gid, reterr);
        if (r < 0) {
                if (!docker || strcmp(app->user, app->group) != 0)
                        return r;
                *reterr = rk_error_free(*reterr);
                gid = uid;
        }
        c.uid = uid;
        c.gid = gid;
        c.n_groups = app->n_supplementary_gids;
        c.groups = xnew0(gid_t, c.n_groups + 1);
        for (size_t i = 0; i < c.n_groups; i++)
                c.groups[i] = (gid_t)app->supplementary_gids[i];
        *ret = c;
        return 0;
}

void app_creds_done(struct app_creds *c)
{
        free(c->groups);
        *c = (struct app_creds){0};
}
