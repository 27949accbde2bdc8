/* SPDX-License-Identifier: Apache-2.0 */
/* Store access for the commands: data directory resolution, opening, image arguments. */
#include "cli-store.h"

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "fs-util.h"
#include "log.h"
#include "stage1-ids.h"
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

const struct stage0_context *cli_stage0_context(void)
{
        static struct stage0_context ctx;

        ctx = (struct stage0_context){.config = cli_config(),
                                      .local_config = arg_global.local_config,
                                      .system_config = arg_global.system_config,
                                      .trust_keys_from_https = arg_global.trust_keys_from_https,
                                      .debug = arg_global.debug,
                                      .insecure = arg_global.insecure,
                                      .stage1_default_id = STAGE1_ID_NATIVE};
        return ctx.config ? &ctx : NULL;
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

static int open_store(bool deferred, struct store **ret)
{
        struct rk_error *err = NULL;
        const char *dir = cli_data_dir();
        int r;

        if (!dir)
                return -EINVAL;
        r = deferred ? store_open_deferred(dir, ret, &err) : store_open(dir, ret, &err);
        if (r < 0)
                cli_report(err);
        return r;
}

int cli_open_store(struct store **ret)
{
        return open_store(false, ret);
}

int cli_open_store_deferred(struct store **ret)
{
        return open_store(true, ret);
}

int cli_resolve_image(struct store *s, const char *arg, char **ret_key)
{
        struct rk_error *err = NULL;
        int r = store_resolve_image_arg(s, arg, ret_key, &err);

        if (r < 0)
                cli_report(err);
        return r;
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
