/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Running stage1 entrypoints from stage0 as children (SPEC.md §7.2): the entrypoint path is
 * an annotation of P/stage1/manifest, the working directory P. The executable is that path
 * in the tree store copy of the stage1 (root-only), never S1: the pod's own stage1 rootfs is
 * where its apps could have written (argv[0] still names S1<path>, as rkt's did).
 * Runs in stage0.
 */
#include <ctype.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-util.h"
#include "image-manifest.h"
#include "parse-util.h"
#include "pod-private.h"
#include "process-util.h"
#include "root-path.h"
#include "strv.h"

static int pod_read_stage1_manifest(const struct pod *p, struct image_manifest **ret,
                                    struct rk_error **reterr)
{
        _cleanup_free_ char *raw = NULL;
        struct rk_error *err = NULL;
        size_t len;
        int r;

        r = read_file_at(p->fd, "stage1/manifest", 16 << 20, &raw, &len);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "error reading pod manifest");
        if (image_manifest_parse(raw, len, ret, &err) < 0) {
                r = rk_error_set(reterr, EINVAL, "error unmarshaling stage1 manifest: %s",
                                 rk_error_cause(err));
                rk_error_free(err);
                return r;
        }
        return 0;
}

int pod_stage1_interface_version(const struct pod *p, int *ret, struct rk_error **reterr)
{
        _cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
        const char *v;
        int64_t n;
        int r;

        r = pod_read_stage1_manifest(p, &m, reterr);
        if (r < 0)
                return r;
        v = image_manifest_get_annotation(m, "coreos.com/rkt/stage1/interface-version");
        if (!v) {
                *ret = 1;
                return 0;
        }
        if (safe_atoi64(v, &n) < 0 || n < 0 || n > INT32_MAX)
                return rk_error_set(reterr, EINVAL, "strconv.Atoi: parsing \"%s\": invalid syntax",
                                    v);
        *ret = (int)n;
        return 0;
}

/* Go's rendering of a wait status: "exit status N" or "signal: <name>". */
static int wait_status_error(int status, struct rk_error **reterr)
{
        _cleanup_free_ char *sig = NULL;

        if (WIFEXITED(status))
                return WEXITSTATUS(status) == 0
                               ? 0
                               : rk_error_set(reterr, EIO, "exit status %d", WEXITSTATUS(status));
        sig = xstrdup(strsignal(WTERMSIG(status)));
        sig[0] = (char)tolower((unsigned char)sig[0]);
        return rk_error_set(reterr, EIO, "signal: %s", sig);
}

/* "fork/exec <argv0>: <strerror, Go's case>", as Go's os/exec said. */
static int exec_error(struct rk_error **reterr, const char *argv0, int errnum)
{
        _cleanup_free_ char *msg = xstrdup(strerror(errnum));

        msg[0] = (char)tolower((unsigned char)msg[0]);
        return rk_error_set(reterr, errnum, "fork/exec %s: %s", argv0, msg);
}

/* Starts path with argv (argv[0] is what messages name) and envp (NULL: ours), cwd dir,
 * stdio from stdio (spawn_exec()), nothing else open; spawn_finish() waits for it. */
static void spawn_start(const char *path, char *const *argv, char *const *envp, const char *dir,
                        const int stdio[3], int deathsig, struct pod_entrypoint *ret)
{
        pid_t pid = 0;
        int r;

        fflush(stdout);
        fflush(stderr);
        r = spawn_exec(path, argv, envp, dir, stdio, deathsig, &pid);
        /* what failed is spawn_finish()'s to report, as a failed exec was Go's */
        *ret = (struct pod_entrypoint){
                .pid = r < 0 ? 0 : pid, .exec_errno = -r, .name = xstrdup(argv[0])};
}

/* Waits for what spawn_start() started. *ret_status (may be NULL) gets its wait status. */
static int spawn_finish(struct pod_entrypoint *ep, int *ret_status, struct rk_error **reterr)
{
        _cleanup_free_ char *name = TAKE_PTR(ep->name);
        int r, e = ep->exec_errno, status;

        if (ep->pid <= 0) /* spawn_exec() failed: no child left */
                return exec_error(reterr, name, e);
        r = wait_for_pid(ep->pid, &status);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "wait for %s", name);
        if (ret_status)
                *ret_status = status;
        return e ? exec_error(reterr, name, e) : wait_status_error(status, reterr);
}

/* spawn_start() then spawn_finish(). */
static int spawn_wait(const char *path, char *const *argv, char *const *envp, const char *dir,
                      const int stdio[3], int deathsig, int *ret_status, struct rk_error **reterr)
{
        struct pod_entrypoint ep;

        spawn_start(path, argv, envp, dir, stdio, deathsig, &ep);
        return spawn_finish(&ep, ret_status, reterr);
}

int pod_stage1_entrypoint(const struct pod *p, const char *annotation, char **ret,
                          struct rk_error **reterr)
{
        _cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
        const char *ep;
        int r;

        r = pod_read_stage1_manifest(p, &m, reterr);
        if (r < 0)
                return r;
        ep = image_manifest_get_annotation(m, annotation);
        if (!ep)
                return rk_error_set(reterr, ENOENT, "entrypoint \"%s\" not found", annotation);
        *ret = xstrdup(ep);
        return 0;
}

/* Whether id is a tree store ID: "deps-sha512-" and 64 lower-case hex digits. */
static bool tree_id_valid(const char *id)
{
        static const char prefix[] = "deps-sha512-";

        if (strncmp(id, prefix, sizeof(prefix) - 1) != 0 || strlen(id) != sizeof(prefix) - 1 + 64)
                return false;
        return strspn(id + sizeof(prefix) - 1, "0123456789abcdef") == 64;
}

/* The root the entrypoint is resolved in: the tree store copy of the stage1, or S1. */
static int entrypoint_root(const struct pod *p, enum pod_entrypoint_from from, char **ret_dir,
                           struct rk_error **reterr)
{
        _cleanup_free_ char *id = NULL;
        int r;

        if (from == POD_ENTRYPOINT_STAGE1_ROOTFS) {
                *ret_dir = xasprintf("%s/stage1/rootfs", p->path);
                return 0;
        }
        r = read_file_at(p->fd, "stage1TreeStoreID", 4096, &id, NULL);
        if (r >= 0 && !tree_id_valid(id))
                r = -EINVAL;
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot read the stage1 of pod %s", p->uuid);
        *ret_dir = xasprintf("%s/cas/tree/%s/rootfs", p->data_dir, id);
        return 0;
}

int pod_stage1_entrypoint_path(const struct pod *p, const char *ep, enum pod_entrypoint_from from,
                               char **ret_path, struct rk_error **reterr)
{
        _cleanup_free_ char *dir = NULL, *canon = NULL;
        _cleanup_close_ int rootfd = -EBADF, fd = -EBADF;
        struct stat st;
        int r;

        r = entrypoint_root(p, from, &dir, reterr);
        if (r < 0)
                return r;
        rootfd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (rootfd < 0)
                return rk_error_set_errno(reterr, errno, "cannot open the stage1 of pod %s",
                                          p->uuid);
        /* resolved once inside the root: what remains of the path has no symlink */
        r = root_chase(rootfd, ep, &canon);
        if (r >= 0)
                r = fd = root_open(rootfd, canon, O_PATH | O_NOFOLLOW, 0);
        if (r >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)))
                r = -EACCES;
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot open stage1 entrypoint %s", ep);
        *ret_path = xasprintf("%s%s", dir, canon);
        return 0;
}

int pod_stage1_open_sealed_entrypoint(const struct pod *p, const char *ep, int *ret_fd,
                                      struct rk_error **reterr)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = pod_stage1_entrypoint_path(p, ep, POD_ENTRYPOINT_TREE, &path, reterr);
        if (r < 0)
                return r;
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        r = fd < 0 ? -errno : memfd_sealed_copy(fd, "rkt-stage1-entrypoint");
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot copy stage1 entrypoint %s", ep);
        *ret_fd = r;
        return 0;
}

/* The argv (S1<ep> first, then args) and the tree store path of the entrypoint annotation. */
static int entrypoint_argv(const struct pod *p, const char *annotation, char *const *args,
                           char ***ret_argv, char **ret_path, struct rk_error **reterr)
{
        _cleanup_free_ char *ep = NULL;
        int r;

        r = pod_stage1_entrypoint(p, annotation, &ep, reterr);
        if (r >= 0)
                r = pod_stage1_entrypoint_path(p, ep, POD_ENTRYPOINT_TREE, ret_path, reterr);
        if (r < 0)
                return r;
        strv_consume(ret_argv,
                     xasprintf("%s/stage1/rootfs%s%s", p->path, ep[0] == '/' ? "" : "/", ep));
        STRV_FOREACH(a, (char **)args)
                strv_push(ret_argv, *a);
        return 0;
}

int pod_run_crossing_entrypoint(const struct pod *p, const char *annotation, char *const *args,
                                int pid1, bool interactive, int *ret_status,
                                struct rk_error **reterr)
{
        static const int inherit[3] = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO};
        static const int quiet[3] = {-1, -1, STDERR_FILENO};
        _cleanup_strv_free_ char **argv = NULL, **env = NULL;
        _cleanup_free_ char *path = NULL, *enter = NULL, *enter_path = NULL;
        const char *search = getenv("PATH");
        struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_quit;
        int r;

        r = pod_stage1_entrypoint(p, "coreos.com/rkt/stage1/enter", &enter, reterr);
        if (r < 0)
                return rk_error_prefix(reterr, "error determining 'enter' entrypoint");
        r = entrypoint_argv(p, annotation, args, &argv, &path, reterr);
        if (r < 0)
                return r;
        enter_path = xasprintf("%s/stage1/rootfs%s%s", p->path, enter[0] == '/' ? "" : "/", enter);
        strv_consume(&env, xasprintf("RKT_STAGE1_ENTERCMD=%s", enter_path));
        strv_consume(&env, xasprintf("RKT_STAGE1_ENTERPID=%d", pid1));
        strv_consume(&env,
                     xasprintf("PATH=%s", search && *search ? search
                                                            : "/usr/local/sbin:/usr/local/bin:"
                                                              "/usr/sbin:/usr/bin:/sbin:/bin"));
        /* the terminal's ^C and ^\ are the entrypoint's to act on, as with system() */
        sigaction(SIGINT, &ign, &old_int);
        sigaction(SIGQUIT, &ign, &old_quit);
        /* an interactive one (attach) holds our caller's terminal: it detaches when we go */
        r = spawn_wait(path, argv, env, p->path, interactive ? inherit : quiet,
                       interactive ? SIGTERM : 0, ret_status, reterr);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        return r;
}

/* Starts the entrypoint of annotation with args in P (pod_run_entrypoint()): *ret. */
static int entrypoint_start(const struct pod *p, const char *annotation, char *const *args,
                            bool keep_stdout, struct pod_entrypoint *ret, struct rk_error **reterr)
{
        const int stdio[3] = {-1, keep_stdout ? STDOUT_FILENO : -1, STDERR_FILENO};
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        r = entrypoint_argv(p, annotation, args, &argv, &path, reterr);
        if (r < 0)
                return r;
        spawn_start(path, argv, NULL, p->path, stdio, 0, ret);
        return 0;
}

int pod_run_entrypoint(const struct pod *p, const char *annotation, char *const *args,
                       bool keep_stdout, struct rk_error **reterr)
{
        struct pod_entrypoint ep;
        int r = entrypoint_start(p, annotation, args, keep_stdout, &ep, reterr);

        return r < 0 ? r : spawn_finish(&ep, NULL, reterr);
}

int pod_stop(const struct pod *p, bool force, struct rk_error **reterr)
{
        static const char annotation[] = "coreos.com/rkt/stage1/stop";
        char *args[] = {force ? (char *)"--force" : p->uuid, force ? p->uuid : NULL, NULL};
        _cleanup_free_ char *ep = NULL;

        if (pod_stage1_entrypoint(p, annotation, &ep, reterr) < 0)
                return rk_error_prefix(reterr, "rkt stop not implemented for pod's stage1");
        return pod_run_entrypoint(p, annotation, args, true, reterr);
}

int pod_run_app_entrypoint(const struct pod *p, const char *op, char *const *args,
                           struct rk_error **reterr)
{
        _cleanup_free_ char *annotation = xasprintf("coreos.com/rkt/stage1/app/%s", op);

        return pod_run_entrypoint(p, annotation, args, true, reterr);
}

int pod_start_app_entrypoint(const struct pod *p, const char *op, char *const *args,
                             struct pod_entrypoint *ret, struct rk_error **reterr)
{
        _cleanup_free_ char *annotation = xasprintf("coreos.com/rkt/stage1/app/%s", op);

        return entrypoint_start(p, annotation, args, true, ret, reterr);
}

int pod_wait_entrypoint(struct pod_entrypoint *ep, struct rk_error **reterr)
{
        return spawn_finish(ep, NULL, reterr);
}
