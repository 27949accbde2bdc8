/* SPDX-License-Identifier: Apache-2.0 */
/* Store access for the commands: data directory resolution, opening, image arguments. */
#include "cli-store.h"

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "fs-util.h"
#include "log.h"
#include "strv.h"

const struct config *cli_config(void)
{
        static struct config *config;
        struct rk_error *err = NULL;

        if (config)
                return config;
        if (config_load(arg_global.system_config, arg_global.local_config, arg_global.user_config,
                        &config, &err) < 0) {
                rk_error_wrap(&err, "cannot get configuration");
                cli_report(err);
                return NULL;
        }
        return config;
}

const char *cli_data_dir(void)
{
        const struct config *c;

        if (arg_global.dir_given)
                return arg_global.dir;
        c = cli_config();
        if (!c)
                return NULL;
        return c->data_dir ? c->data_dir : arg_global.dir;
}

int cli_open_store(struct store **ret)
{
        struct rk_error *err = NULL;
        const char *dir = cli_data_dir();
        int r;

        if (!dir)
                return -EINVAL;
        r = store_open(dir, ret, &err);

        if (r < 0)
                cli_report(err);
        return r;
}

int cli_resolve_image(struct store *s, const char *arg, char **ret_key)
{
        struct rk_error *err = NULL;
        int r = store_resolve_image_arg(s, arg, ret_key, &err);

        if (r < 0)
                cli_report(err);
        return r;
}

char *cli_absolute_path(const char *dir)
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

int cli_prepare_output_dir(const char *dir, bool overwrite, struct rk_error **reterr)
{
        struct stat st;
        int r;

        if (lstat(dir, &st) < 0) {
                if (errno == ENOENT)
                        return 0;
                return rk_error_set_errno(reterr, errno, "cannot access %s", dir);
        }
        if (!overwrite)
                return rk_error_set(reterr, EEXIST, "output directory exists (try --overwrite)");
        _cleanup_free_ char *real = realpath(dir, NULL);
        if (real && strcmp(real, "/") == 0)
                return rk_error_set(reterr, EPERM,
                                    "this would delete your root filesystem. "
                                    "Refusing.");
        r = rm_rf_at(AT_FDCWD, dir);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot remove %s", dir);
        return 0;
}
