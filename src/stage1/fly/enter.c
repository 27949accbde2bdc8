/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fly flavor's enter entrypoint (`/enter --pid=P --appname=A -- cmd...`, SPEC.md §7.6).
 * Runs in: the host, exec'd by stage0 with cwd = P. chroots into /proc/P/root, sets the
 * app's credentials and execs cmd with the env of S1/rkt/env/<app>.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app-env.h"
#include "app-exec.h"
#include "caps.h"
#include "root-path.h"
#include "stage1-pod.h"
#include "strv.h"

_noreturn_ static void fail(struct rk_error *e)
{
        _cleanup_free_ char *msg = rk_error_render(e, false);

        fprintf(stderr, "enter: %s\n", msg);
        exit(254);
}

int main(int argc, char **argv)
{
        struct rk_error *e = NULL;
        _cleanup_(stage1_pod_freep) struct stage1_pod *pod = NULL;
        struct app_creds creds = {0};
        const char *appname = NULL;
        _cleanup_free_ char *exe = NULL;
        char **env = NULL;
        long pid = 0;
        int i;

        for (i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--") == 0) {
                        i++;
                        break;
                }
                if (strncmp(argv[i], "--pid=", 6) == 0)
                        pid = strtol(argv[i] + 6, NULL, 10);
                else if (strncmp(argv[i], "--appname=", 10) == 0)
                        appname = argv[i] + 10;
                else
                        break;
        }
        if ((pid <= 0 || !appname || i >= argc) &&
            rk_error_set(&e, EINVAL, "usage: enter --pid=PID --appname=APP -- CMD...") < 0)
                fail(e);
        if (stage1_pod_load(NULL, &pod, &e) < 0)
                fail(e);
        const struct stage1_app *a = stage1_pod_find_app(pod, appname);
        if (!a && rk_error_set(&e, ENOENT, "no app %s in the pod", appname) < 0)
                fail(e);
        _cleanup_close_ int s1fd = open(pod->stage1_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *root = xasprintf("/proc/%ld/root", pid);
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if ((s1fd < 0 || rootfd < 0) && rk_error_set_errno(&e, errno, "opening %s", root) < 0)
                fail(e);
        if (app_env_read(s1fd, appname, &env, &e) < 0 ||
            app_creds_resolve(rootfd, a->app, stage1_app_is_docker(a), NULL, &creds, &e) < 0)
                fail(e);
        const char *term = getenv("TERM");
        strv_consume(&env, xasprintf("TERM=%s", term && *term ? term : "vt100"));
        if (root_find_exec(rootfd, argv[i], app_env_get(env, "PATH"), &exe) == 0)
                argv[i] = exe;
        if ((chroot(root) < 0 || chdir("/") < 0) &&
            rk_error_set_errno(&e, errno, "chroot into %s", root) < 0)
                fail(e);
        int r = caps_clear_inheritable();
        if (r < 0 && rk_error_set_errno(&e, -r, "clearing the inheritable capabilities") < 0)
                fail(e);
        struct app_exec_params xp = {
                .argv = argv + i, .envp = env, .creds = &creds, .prefix = "enter", .keep_fd = -1};
        app_exec(&xp);
}
