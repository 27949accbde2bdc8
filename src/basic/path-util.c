/* SPDX-License-Identifier: Apache-2.0 */
/* The policy for names taken from archives, and the limits of paths inside an image. */
#include "path-util.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "strbuf.h"
#include "strv.h"

#define STR_(x)      #x
#define STRINGIFY(x) STR_(x)

/* Appends the components of s to sb ("/"-joined), "." and empty ones dropped; ".." pops
 * one when pop_dotdot, else fails. -EINVAL on a ".." that is refused or climbs out. */
static int append_components(struct strbuf *sb, const char *s, bool pop_dotdot)
{
        while (*s) {
                size_t n = strcspn(s, "/");

                if (n == 2 && s[0] == '.' && s[1] == '.') {
                        char *slash;

                        if (!pop_dotdot || sb->len == 0)
                                return -EINVAL;
                        slash = strrchr(sb->buf, '/');
                        sb->len = slash ? (size_t)(slash - sb->buf) : 0;
                        sb->buf[sb->len] = '\0';
                } else if (n > 0 && !(n == 1 && s[0] == '.')) {
                        if (sb->len)
                                strbuf_putc(sb, '/');
                        strbuf_add(sb, s, n);
                }
                s += n;
                while (*s == '/')
                        s++;
        }
        return 0;
}

int path_name_normalise(const char *name, unsigned flags, char **ret)
{
        struct strbuf sb = STRBUF_INIT;

        if (name[0] == '/' && !(flags & PATH_NAME_ABSOLUTE))
                return -EINVAL;
        if (append_components(&sb, name, false) < 0) {
                strbuf_release(&sb);
                return -EINVAL;
        }
        *ret = strbuf_detach(&sb);
        return 0;
}

size_t path_depth(const char *path)
{
        size_t n = *path ? 1 : 0;

        for (const char *p = path; *p; p++)
                n += *p == '/';
        return n;
}

const char *path_limits_error(const char *path)
{
        if (strlen(path) + 2 > PATH_MAX) /* "/" + path + NUL */
                return "is longer than " STRINGIFY(PATH_MAX) " bytes";
        if (path_depth(path) > PATH_DEPTH_MAX)
                return "has more than " STRINGIFY(PATH_DEPTH_MAX) " components";
        return NULL;
}

char *path_join_lexical(const char *dir, const char *target)
{
        struct strbuf sb = STRBUF_INIT;

        if (target[0] == '/' || append_components(&sb, dir, false) < 0 ||
            append_components(&sb, target, true) < 0) {
                strbuf_release(&sb);
                return NULL;
        }
        return strbuf_detach(&sb);
}

char *path_abbrev(const char *s)
{
        size_t len = strlen(s), head = 500, tail = len - 200;

        if (len <= 1024)
                return xstrdup(s);
        while (head > 0 && ((unsigned char)s[head] & 0xc0) == 0x80)
                head--; /* not inside a UTF-8 sequence */
        while (tail < len && ((unsigned char)s[tail] & 0xc0) == 0x80)
                tail++;
        return xasprintf("%.*s...%s", (int)head, s, s + tail);
}

char *path_absolute(const char *dir)
{
        _cleanup_strv_free_ char **parts = NULL, **kept = NULL;
        _cleanup_free_ char *joined = NULL, *tail = NULL;
        char cwd[PATH_MAX];
        size_t n = 0;

        if (dir[0] == '/')
                joined = xstrdup(dir);
        else if (getcwd(cwd, sizeof(cwd)) && cwd[0] == '/')
                joined = xasprintf("%s/%s", cwd, dir);
        else
                return xstrdup(dir);
        /* Go's filepath.Clean: no empty or "." elements, ".." removes the one before */
        parts = strv_split(joined, '/');
        STRV_FOREACH(p, parts) {
                if (!**p || strcmp(*p, ".") == 0)
                        continue;
                if (strcmp(*p, "..") == 0) {
                        if (n > 0) {
                                free(kept[--n]);
                                kept[n] = NULL;
                        }
                        continue;
                }
                strv_push(&kept, *p);
                n++;
        }
        tail = n > 0 ? strv_join(kept, "/") : xstrdup("");
        return xasprintf("/%s", tail);
}
