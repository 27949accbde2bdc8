/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The native flavor's enter entrypoint (`/enter --pid=<pid1> --appname=<app> -- cmd...`).
 * Runs in: the host, exec'd by stage0 with cwd = P; then, after setns(), in the pod's
 * namespaces. Joins every namespace of the pod's pid 1 and the app's cgroup, forks (to be
 * inside the pid namespace), enters the app's root (/opt/stage2/<app>/rootfs of the pod's
 * mount namespace) with its own mount namespace, and runs cmd with the app's credentials,
 * capabilities and environment (S1/rkt/env/<app> plus TERM).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app-env.h"
#include "app-exec.h"
#include "caps.h"
#include "cgroup.h"
#include "fd-util.h"
#include "fs-util.h"
#include "keyrings.h"
#include "pod-ns.h"
#include "process-util.h"
#include "root-path.h"
#include "runtime-config.h"
#include "stage1-pod.h"
#include "strv.h"

struct enter_args {
        long pid;
        const char *app;
        char **cmd;
};

/*
 * The pid namespace is joined by the child that will start the command (only its children
 * are in it), and, with --private-users, the user namespace by app_exec() (app-exec.h).
 */
static const char *const ns_names[] = {"cgroup", "ipc", "uts", "net", "pid", "mnt", "user"};
#define NS_PID  4
#define NS_USER 6

_noreturn_ static void fail(struct rk_error *e)
{
        _cleanup_free_ char *msg = rk_error_render(e, false);

        fprintf(stderr, "enter: %s\n", msg);
        exit(254);
}

static int parse_args(int argc, char **argv, struct enter_args *a, struct rk_error **reterr)
{
        int i;

        for (i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--") == 0) {
                        i++;
                        break;
                }
                if (strncmp(argv[i], "--pid=", 6) == 0)
                        a->pid = strtol(argv[i] + 6, NULL, 10);
                else if (strncmp(argv[i], "--appname=", 10) == 0)
                        a->app = argv[i] + 10;
                else
                        break;
        }
        a->cmd = argv + i;
        if (a->pid <= 0 || !a->app || !a->cmd[0])
                return rk_error_set(reterr, EINVAL,
                                    "usage: enter --pid=PID --appname=APP -- CMD [ARGS...]");
        return 0;
}

/*
 * Opens every namespace of pid first: once the mount namespace changes /proc may too. Each
 * must be the one the pod was made with (pod-ns.h; cwd = P): an app allowed to trace the
 * pod init can make it unshare.
 */
static int open_namespaces(long pid, int fds[], struct rk_error **reterr)
{
        for (size_t i = 0; i < ELEMENTSOF(ns_names); i++) {
                _cleanup_free_ char *p = xasprintf("/proc/%ld/ns/%s", pid, ns_names[i]);
                _cleanup_free_ char *self = xasprintf("/proc/self/ns/%s", ns_names[i]);
                struct stat a, b;
                int r;
                fds[i] = open(p, O_RDONLY | O_CLOEXEC);
                if (fds[i] < 0)
                        return rk_error_set_errno(reterr, errno, "opening %s", p);
                r = pod_ns_check(AT_FDCWD, ns_names[i], fds[i]);
                if (r == -ESTALE)
                        return rk_error_set(reterr, ESTALE,
                                            "the pod's %s namespace is not the one it was made "
                                            "with: not entering it",
                                            ns_names[i]);
                if (r < 0 && r != -ENOENT)
                        return rk_error_set_errno(reterr, -r, "checking the pod's %s namespace",
                                                  ns_names[i]);
                if (stat(self, &b) == 0 && fstat(fds[i], &a) == 0 && a.st_ino == b.st_ino &&
                    a.st_dev == b.st_dev)
                        fds[i] = safe_close(fds[i]); /* already there */
        }
        return 0;
}

static int join_namespaces(int fds[], struct rk_error **reterr)
{
        for (size_t i = 0; i < ELEMENTSOF(ns_names); i++) {
                if (fds[i] < 0 || i == NS_PID || i == NS_USER)
                        continue;
                if (setns(fds[i], 0) < 0)
                        return rk_error_set_errno(reterr, errno, "joining the %s namespace",
                                                  ns_names[i]);
                fds[i] = safe_close(fds[i]);
        }
        return 0;
}

static char **enter_env(const struct stage1_pod *pod, const char *app, struct rk_error **reterr)
{
        _cleanup_close_ int s1fd = open(pod->stage1_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        const char *term = getenv("TERM");
        char **env = NULL;

        if (s1fd < 0 || app_env_read(s1fd, app, &env, reterr) < 0)
                return NULL;
        strv_consume(&env, xasprintf("TERM=%s", term && *term ? term : "vt100"));
        return env;
}

/* What of the run enter needs, from P/runtime-config (the cwd = P). */
struct run_options {
        struct stage1_insecure_options insecure;
        bool userns; /* --private-users: range */
        struct userns_range range;
};

static struct run_options run_options(void)
{
        struct stage1_runtime_config rc = {0};
        struct run_options o = {0};

        if (stage1_runtime_config_read(AT_FDCWD, &rc) >= 0) {
                o.insecure = rc.insecure;
                o.userns = rc.private_users && userns_range_parse(rc.private_users, &o.range) == 0;
        }
        stage1_runtime_config_done(&rc);
        return o;
}

static int open_app_cgroup(const char *sub, const char *app, int **fds, size_t *n)
{
        _cleanup_free_ char *rel = NULL;
        struct cgroups cg = {0};

        *n = 0;
        if (!sub || cgroups_detect(&cg) < 0)
                return 0;
        rel = cgroup_app_path(sub, app);
        cgroups_open(&cg, rel, fds);
        *n = cg.n;
        cgroups_done(&cg);
        return 0;
}

/*
 * The pod's pid 1, pinned (cgroup_pidfd_in()): P/pid alone may name another process, when
 * the pod exited and its number was reused (a member of group rkt can keep an exited pod
 * locked, that is "running", while it waits for the number).
 */
static int pin_pod_pid(const char *sub, long pid, struct rk_error **reterr)
{
        int pidfd = sub ? cgroup_pidfd_in((pid_t)pid, sub) : -ESRCH;

        if (pidfd == -ESRCH)
                return rk_error_set(reterr, ESRCH,
                                    "process %ld is not the pod's: the pod is not "
                                    "running",
                                    pid);
        if (pidfd < 0)
                return rk_error_set_errno(reterr, -pidfd, "checking process %ld", pid);
        return pidfd;
}

/*
 * First thing: never dumpable (the child forked into the pod keeps this until its exec, so
 * no app can open its /proc/<pid>/exe, fd or root), and nothing of our caller's open.
 */
static void guard_process(void)
{
        static const int stdio[] = {0, 1, 2};

        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
                fprintf(stderr, "enter: making the process non-dumpable: %m\n");
                exit(254);
        }
        close_all_fds_except(stdio, ELEMENTSOF(stdio));
}

/*
 * Runs in: enter's child, outside the pod's pid namespace (no app can see or trace it). Does
 * the privileged part (the pod's pid namespace for its children, a session keyring, the app's
 * root) and has the command born there with the app's credentials (app_exec()'s spawn).
 */
_noreturn_ static void start_command(const struct stage1_app *app, int pidns_fd, char **env,
                                     struct app_exec_params *xp)
{
        struct rk_error *e = NULL;
        char *exe = NULL;
        int r;

        if (pidns_fd >= 0 && setns(pidns_fd, CLONE_NEWPID) < 0 &&
            rk_error_set_errno(&e, errno, "joining the pid namespace") < 0)
                fail(e);
        safe_close(pidns_fd);
        r = keyrings_new_session(); /* not the caller's */
        if (r < 0 && rk_error_set_errno(&e, -r, "creating a session keyring") < 0)
                fail(e);
        r = enter_root_pivot(app->rootfs_in_pod);
        if (r < 0 && rk_error_set_errno(&e, -r, "entering the app's root") < 0)
                fail(e);
        if (root_find_exec(AT_FDCWD, xp->argv[0], app_env_get(env, "PATH"), &exe) == 0)
                xp->argv[0] = exe;
        app_exec(xp);
}

/*
 * The command's exit status: start_command()'s when it failed, else that of the command, our
 * child too (CLONE_PARENT), which we wait for next.
 */
static int wait_command(pid_t pid)
{
        int status;

        if (wait_for_pid(pid, &status) < 0)
                return 254;
        if (WIFSIGNALED(status)) {
                fprintf(stderr, "enter: starting the command: killed by signal %d\n",
                        WTERMSIG(status));
                return 254;
        }
        if (WEXITSTATUS(status) != 0)
                return WEXITSTATUS(status);
        while (waitpid(-1, &status, 0) < 0)
                if (errno != EINTR)
                        return 254;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
        struct enter_args a = {0};
        struct rk_error *e = NULL;
        _cleanup_(stage1_pod_freep) struct stage1_pod *pod = NULL;
        struct app_creds creds = {0};
        int nsfds[ELEMENTSOF(ns_names)], *cgfds = NULL;
        size_t n_cg;
        char **env;

        guard_process();
        if (parse_args(argc, argv, &a, &e) < 0 || stage1_pod_load(NULL, &pod, &e) < 0)
                fail(e);
        /* from P, the cwd until the setns() below */
        struct run_options run = run_options();
        const struct stage1_app *app = stage1_pod_find_app(pod, a.app);
        if (!app && rk_error_set(&e, ENOENT, "no app %s in the pod", a.app) < 0)
                fail(e);
        _cleanup_close_ int rootfd = open(app->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0 && rk_error_set_errno(&e, errno, "opening %s", app->rootfs) < 0)
                fail(e);
        if (app_creds_resolve(rootfd, app->app, stage1_app_is_docker(app),
                              run.userns ? &run.range : NULL, &creds, &e) < 0 ||
            !(env = enter_env(pod, a.app, &e)))
                fail(e);
        _cleanup_free_ char *sub = NULL;
        if (cgroup_read_subcgroup(&sub, &e) == -EPERM)
                fail(e);
        _cleanup_close_ int pidfd = pin_pod_pid(sub, a.pid, &e);
        if (pidfd < 0)
                fail(e);
        open_app_cgroup(sub, a.app, &cgfds, &n_cg);
        if (open_namespaces(a.pid, nsfds, &e) < 0)
                fail(e);
        if (!pidfd_running(pidfd) && rk_error_set(&e, ESRCH, "the pod exited") < 0)
                fail(e);
        if (cgfds)
                (void)cgroups_attach_fds(cgfds, n_cg, 0);
        if (join_namespaces(nsfds, &e) < 0)
                fail(e);

        struct app_exec_params xp = {
                .argv = a.cmd,
                .envp = env,
                .creds = &creds,
                .set_caps = true,
                .caps = caps_for_app(app->app, run.insecure.disable_capabilities),
                .prefix = "enter",
                .keep_fd = -1,
                .deny_keyrings = !run.insecure.disable_seccomp,
                .userns_fd = nsfds[NS_USER] >= 0 ? nsfds[NS_USER] : 0,
                .spawn = true};
        int keep[] = {nsfds[NS_PID], nsfds[NS_USER]};
        pid_t pid;
        int r = safe_fork_full("enter", NULL, keep, ELEMENTSOF(keep),
                               FORK_RESET_SIGNALS | FORK_CLOSE_ALL_FDS | FORK_LOG, &pid);
        if (r < 0 && rk_error_set_errno(&e, -r, "fork") < 0)
                fail(e);
        if (r == 0)
                start_command(app, nsfds[NS_PID], env, &xp);
        signal(SIGINT, SIG_IGN);
        return wait_command(pid);
}
