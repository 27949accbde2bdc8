/* SPDX-License-Identifier: Apache-2.0 */
/* App environments. Runs in: stage1 run and enter entrypoints. */
#include "app-env.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fs-util.h"
#include "stage1-pod.h"
#include "strbuf.h"
#include "strv.h"

#define ENV_FILE_MAX (4u << 20)

static const char *const env_defaults[][2] = {
        {"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
        {"SHELL", "/bin/sh"},
        {"USER", "root"},
        {"LOGNAME", "root"},
        {"HOME", "/root"},
};

const char *app_env_get(char *const *env, const char *name)
{
        size_t n = strlen(name);

        for (char *const *e = env; e && *e; e++)
                if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
                        return *e + n + 1;
        return NULL;
}

char **app_env_build(const struct ac_app *app, const char *name)
{
        char **env = NULL;

        for (size_t i = 0; i < app->environment.n; i++) {
                const struct ac_label *l = &app->environment.items[i];
                if (strcmp(l->name, "AC_APP_NAME") != 0)
                        strv_consume(&env, xasprintf("%s=%s", l->name, l->value));
        }
        strv_consume(&env, xasprintf("AC_APP_NAME=%s", name));
        for (size_t i = 0; i < ELEMENTSOF(env_defaults); i++)
                if (!app_env_get(env, env_defaults[i][0]))
                        strv_consume(&env,
                                     xasprintf("%s=%s", env_defaults[i][0], env_defaults[i][1]));
        return env;
}

int app_env_write(int s1fd, const char *name, char *const *env)
{
        struct strbuf sb = STRBUF_INIT;
        int r;

        /* NUL-terminated entries: a value may hold newlines (Docker images have such values),
         * never a NUL, so no value can turn into a variable of its own. */
        for (char *const *e = env; e && *e; e++)
                strbuf_add(&sb, *e, strlen(*e) + 1);
        /* root's: AC_METADATA_URL holds the pod's metadata service token */
        /* never through a link: S1 is reachable by an app allowed to trace the pod init */
        _cleanup_close_ int rkt = -EBADF, dir = -EBADF;
        r = mkdirat(s1fd, "rkt", 0755) < 0 && errno != EEXIST ? -errno : 0;
        if (r >= 0)
                r = rkt = open_dir_nofollow(s1fd, "rkt");
        if (r >= 0 && mkdirat(rkt, "env", 0755) < 0 && errno != EEXIST)
                r = -errno;
        if (r >= 0)
                r = dir = open_dir_nofollow(rkt, "env");
        if (r >= 0)
                r = write_state_file_at(dir, name, strbuf_str(&sb), sb.len, 0600);
        /* a directory an app put there (S1 is reachable by an app allowed to trace the pod
         * init) goes: it would refuse the app's add for good */
        if (r == -EISDIR && (r = rm_rf_at(dir, name)) >= 0)
                r = write_state_file_at(dir, name, strbuf_str(&sb), sb.len, 0600);
        strbuf_release(&sb);
        return r;
}

int app_env_read(int s1fd, const char *name, char ***ret, struct rk_error **reterr)
{
        _cleanup_close_ int dirfd = open_dir_nofollow(s1fd, "rkt/env");
        _cleanup_free_ char *text = NULL;
        char **env = xnew0(char *, 1);
        size_t len = 0;
        int r;

        r = dirfd < 0 ? dirfd : read_regular_file_at(dirfd, name, ENV_FILE_MAX, &text, &len);
        if (r < 0) {
                strv_free(env);
                return rk_error_set_errno(reterr, -r, "reading environment of app %s", name);
        }
        for (size_t i = 0; i < len; i += strlen(text + i) + 1)
                if (strchr(text + i, '=') && text[i] != '=')
                        strv_push(&env, text + i);
        *ret = env;
        return 0;
}
