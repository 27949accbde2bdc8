/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Running stage1 entrypoints from stage0 as children (SPEC.md §7.2): the entrypoint path is
 * an annotation of P/stage1/manifest, the executable is S1<path>, the working directory P.
 * Runs in stage0.
 */
#include <ctype.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "image-manifest.h"
#include "parse-util.h"
#include "pod-private.h"
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

/* Spawns argv[0] with cwd dir and the given stdout policy; waits for it. */
static int spawn_wait(char *const *argv, const char *dir, bool keep_stdout,
                      struct rk_error **reterr)
{
        posix_spawn_file_actions_t fa;
        pid_t pid;
        int r, status;

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        if (!keep_stdout)
                posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addchdir_np(&fa, dir);
        fflush(stdout);
        fflush(stderr);
        r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0) {
                _cleanup_free_ char *msg = xstrdup(strerror(r));
                msg[0] = (char)tolower((unsigned char)msg[0]);
                return rk_error_set(reterr, r, "fork/exec %s: %s", argv[0], msg);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return rk_error_set_errno(reterr, errno, "wait for %s", argv[0]);
        return wait_status_error(status, reterr);
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

int pod_run_entrypoint(const struct pod *p, const char *annotation, char *const *args,
                       bool keep_stdout, struct rk_error **reterr)
{
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *ep = NULL;
        int r;

        r = pod_stage1_entrypoint(p, annotation, &ep, reterr);
        if (r < 0)
                return r;
        strv_consume(&argv,
                     xasprintf("%s/stage1/rootfs%s%s", p->path, ep[0] == '/' ? "" : "/", ep));
        STRV_FOREACH(a, (char **)args)
                strv_push(&argv, *a);
        return spawn_wait(argv, p->path, keep_stdout, reterr);
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
