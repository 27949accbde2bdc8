/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Mutable pods (SPEC.md §3.20): the pod side of app add and app rm, the lock that
 * serializes the app commands, the ports of app sandbox. The pod manifest is only ever
 * replaced whole (a temporary file renamed over P/pod), so a reader sees the old or the new
 * one, never a half-written one.
 * Runs in: the rkt command (app sandbox, add, rm), as root.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-util.h"
#include "image-fetch.h"
#include "image-manifest.h"
#include "parse-util.h"
#include "pod-manifest.h"
#include "stage0.h"
#include "strv.h"

static int port_invalid(struct rk_error **reterr)
{
        return rk_error_set(reterr, EINVAL, "--port invalid format");
}

/* One "name:proto:podPort:hostIP:hostPort" value into *pp. */
static int sandbox_port_parse(const char *v, struct pod_port *pp, struct rk_error **reterr)
{
        _cleanup_strv_free_ char **parts = strv_split(v, ':');
        uint64_t pod_port, host_port;

        if (strv_length(parts) != 5 || !*parts[0] || !*parts[3] ||
            (strcmp(parts[1], "tcp") != 0 && strcmp(parts[1], "udp") != 0) ||
            safe_atou64(parts[2], &pod_port) < 0 || pod_port == 0 || pod_port > 65535 ||
            safe_atou64(parts[4], &host_port) < 0 || host_port > 65535)
                return port_invalid(reterr);
        pp->name = xstrdup(parts[0]);
        pp->host_ip = xstrdup(parts[3]);
        pp->host_port = (unsigned)host_port;
        pp->pod_port = xnew0(struct ac_port, 1);
        pp->pod_port->name = xstrdup(parts[0]);
        pp->pod_port->protocol = xstrdup(parts[1]);
        pp->pod_port->port = (unsigned)pod_port;
        pp->pod_port->count = 1;
        return 0;
}

int stage0_sandbox_ports_parse(char *const *ports, struct pod_port **ret, size_t *ret_n,
                               struct rk_error **reterr)
{
        size_t n = strv_length((char **)ports);
        struct pod_port *v = xnew0(struct pod_port, n + 1);

        for (size_t i = 0; i < n; i++) {
                int r = sandbox_port_parse(ports[i], &v[i], reterr);
                if (r < 0) {
                        for (size_t j = 0; j <= i; j++)
                                pod_port_done(&v[j]);
                        free(v);
                        return r;
                }
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

bool stage0_stage1_supports_mutable(const struct pod *p)
{
        static const char *const ops[] = {"app/rm", "app/start", "app/stop"};

        for (size_t i = 0; i < ELEMENTSOF(ops); i++) {
                _cleanup_free_ char *ann = xasprintf("coreos.com/rkt/stage1/%s", ops[i]);
                _cleanup_free_ char *ep = NULL;
                _cleanup_(rk_error_freep) struct rk_error *e = NULL;
                if (pod_stage1_entrypoint(p, ann, &ep, &e) < 0)
                        return false;
        }
        return true;
}

int stage0_app_lock(const struct pod *p, struct rk_error **reterr)
{
        _cleanup_close_ int fd = openat(p->fd, "pod.lck", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0)
                return rk_error_set_errno(reterr, errno, "cannot open %s/pod.lck", p->path);
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR)
                        return rk_error_set_errno(reterr, errno, "cannot lock %s/pod.lck", p->path);
        return TAKE_FD(fd);
}

/*
 * P/pod replaced whole by m, atomically for readers but without fsync: the manifest of a
 * running pod, which a crash of the host ends anyway (gc then removes it), as the pod's other
 * state files (write_state_file_at()) and P/pod of `rkt run` (write_pod_file()) are written.
 */
static int write_manifest(struct pod *p, const struct pod_manifest *m, struct rk_error **reterr)
{
        _cleanup_free_ char *text = pod_manifest_to_json(m, false);
        int r = write_file_replace_at(p->fd, "pod", text, strlen(text), 0640, 0);

        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot write the pod manifest");
        return 0;
}

static bool manifest_is_mutable(const struct pod_manifest *m)
{
        const char *v = ac_labels_get(&m->annotations, STAGE1_ANNOTATION_MUTABLE);

        return v && strcmp(v, "true") == 0;
}

static ssize_t find_app(const struct pod_manifest *m, const char *name)
{
        for (size_t i = 0; i < m->n_apps; i++)
                if (strcmp(m->apps[i].name, name) == 0)
                        return (ssize_t)i;
        return -1;
}

static ssize_t find_volume(const struct pod_manifest *m, const char *name)
{
        for (size_t i = 0; i < m->n_volumes; i++)
                if (strcmp(m->volumes[i].name, name) == 0)
                        return (ssize_t)i;
        return -1;
}

/* Moves the app and the volumes of one (the new app's manifest) into m. */
static int merge_app(struct pod_manifest *m, struct pod_manifest *one, struct rk_error **reterr)
{
        if (find_app(m, one->apps[0].name) >= 0)
                return rk_error_set(reterr, EEXIST, "error: multiple apps with name %s",
                                    one->apps[0].name);
        for (size_t i = 0; i < one->n_volumes; i++)
                if (find_volume(m, one->volumes[i].name) >= 0)
                        return rk_error_set(reterr, EEXIST, "duplicate volume name \"%s\"",
                                            one->volumes[i].name);
        m->apps = oom_check(realloc(m->apps, (m->n_apps + 2) * sizeof(*m->apps)));
        m->apps[m->n_apps++] = one->apps[0];
        memset(&m->apps[m->n_apps], 0, sizeof(*m->apps));
        one->n_apps = 0;
        m->has_apps = true;
        if (one->n_volumes == 0)
                return 0;
        m->volumes = oom_check(
                realloc(m->volumes, (m->n_volumes + one->n_volumes + 1) * sizeof(*m->volumes)));
        memcpy(m->volumes + m->n_volumes, one->volumes, one->n_volumes * sizeof(*m->volumes));
        m->n_volumes += one->n_volumes;
        memset(&m->volumes[m->n_volumes], 0, sizeof(*m->volumes));
        m->has_volumes = true;
        one->n_volumes = 0;
        return 0;
}

/*
 * The kubernetes log mode (pod annotation logmode=k8s-plain): the app's
 * kubernetes-log-path must name a file below kubernetes-log-dir (the stage1 opens it there
 * without leaving the directory, whatever links it holds).
 */
static int check_log_path(const struct pod_manifest *m, const struct app_spec *a,
                          struct rk_error **reterr)
{
        const char *mode = ac_labels_get(&m->annotations, "coreos.com/rkt/experiment/logmode");
        const char *path =
                ac_labels_get(&a->annotations, "coreos.com/rkt/experiment/kubernetes-log-path");
        _cleanup_strv_free_ char **parts = NULL;

        if (!mode || strcmp(mode, "k8s-plain") != 0 || !path)
                return 0;
        parts = strv_split(path, '/');
        bool bad = !*path || path[0] == '/';
        STRV_FOREACH(c, parts)
                bad |= strcmp(*c, "..") == 0;
        if (bad)
                return rk_error_set(reterr, EINVAL,
                                    "kubernetes-log-path \"%s\" leaves the log directory", path);
        return 0;
}

/* The image of the app, from the store only, and its manifest entry in *ret. */
static int app_manifest(struct store *s, const struct stage0_context *ctx, const struct app_list *l,
                        const struct pod_settings *ps, struct stage0_app *a,
                        struct pod_manifest **ret, struct rk_error **reterr)
{
        int r;

        a->spec = &l->apps[0];
        r = image_fetch(s, ctx, a->spec->image, NULL, "never", IMAGE_FETCH_WITH_DEPS, &a->key,
                        reterr);
        if (r >= 0)
                r = store_read_manifest(s, a->key, &a->manifest, reterr);
        if (r >= 0)
                r = stage0_pod_manifest(a, 1, l, ps, ret, reterr);
        return r;
}

/*
 * S1 below P: the apps' (an app allowed to trace the pod init reaches it through
 * /proc/1/root), so nothing below it is reached through a link. Returns the fd or -errno.
 */
static int open_s1_dir(const struct pod *p, const char *rel)
{
        _cleanup_free_ char *path = xasprintf("stage1/rootfs/%s", rel);

        return open_dir_nofollow(p->fd, path);
}

/*
 * The files of the app's root: prepared as run does, in S1/opt/stage2/<app>, made here: one
 * an app made before is refused. stage0_app_add_root() mounts it.
 */
static int prepare_root(struct store *s, struct pod *p, const struct stage0_app *a,
                        struct rk_error **reterr)
{
        _cleanup_close_ int stage2 = open_s1_dir(p, "opt/stage2");
        bool overlay = pod_uses_overlay(p);

        if (stage2 < 0)
                return rk_error_set_errno(reterr, -stage2,
                                          "cannot open %s/stage1/rootfs/opt/stage2", p->path);
        /* a copy of the image would be written by path below S1, which the pod's apps reach */
        if (!overlay)
                return rk_error_set(reterr, EOPNOTSUPP,
                                    "pod %s does not use overlayfs: apps cannot be added to it",
                                    p->uuid);
        if (mkdirat(stage2, a->name, 0750) < 0)
                return rk_error_set_errno(reterr, errno,
                                          "cannot create %s/stage1/rootfs/opt/stage2/%s", p->path,
                                          a->name);
        return stage0_prepare_app(s, p, a, overlay, NULL, reterr);
}

int stage0_app_add(struct store *s, const struct stage0_context *ctx, struct pod *p,
                   const struct app_list *l, const struct pod_settings *ps, char **ret_name,
                   struct rk_error **reterr)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL, *one = NULL;
        struct stage0_app a = {0};
        int r;

        r = pod_read_manifest(p, &m, reterr);
        if (r < 0)
                return r;
        if (!manifest_is_mutable(m))
                return rk_error_set(reterr, EINVAL, "immutable pod");
        r = check_log_path(m, &l->apps[0], reterr);
        if (r >= 0)
                r = app_manifest(s, ctx, l, ps, &a, &one, reterr);
        if (r >= 0)
                r = merge_app(m, one, reterr);
        if (r >= 0 && (r = pod_manifest_validate(m, reterr)) < 0)
                rk_error_wrap(reterr, "invalid pod manifest");
        if (r < 0) {
                free(a.key);
                free(a.name);
                image_manifest_free(a.manifest);
                return r;
        }
        r = prepare_root(s, p, &a, reterr);
        if (r >= 0)
                r = write_manifest(p, m, reterr);
        if (r < 0) {
                _cleanup_(rk_error_freep) struct rk_error *ignored = NULL;
                /* nothing of the app stays */
                (void)stage0_app_remove(p, a.name, &ignored);
        }
        if (r >= 0)
                *ret_name = TAKE_PTR(a.name);
        free(a.key);
        free(a.name);
        image_manifest_free(a.manifest);
        return r;
}

/*
 * Removes app's records (SPEC.md §3.20) from S1/rkt/status (status), whatever is at their
 * names: an app that may trace the pod init reaches S1 and may have put a directory there.
 */
static void remove_records(int status, const char *app)
{
        static const char *const suffixes[] = {"", "-created", "-started"};

        for (size_t k = 0; k < ELEMENTSOF(suffixes); k++) {
                _cleanup_free_ char *name = xasprintf("%s%s", app, suffixes[k]);
                (void)rm_rf_at(status, name);
        }
}

int stage0_app_add_root(struct store *s, struct pod *p, const char *app, struct rk_error **reterr)
{
        _cleanup_free_ char *created = xasprintf("%s-created", app);
        char *apps[] = {(char *)app, NULL};
        int r = 0;

        if (pod_uses_overlay(p))
                r = stage0_mount_app_overlay(s, p, app, -1, reterr);
        if (r < 0)
                return r;
        stage0_link_mtab(p, apps);
        _cleanup_close_ int status = open_s1_dir(p, "rkt/status");
        if (status < 0)
                return rk_error_set_errno(reterr, -status,
                                          "cannot open %s/stage1/rootfs/rkt/status", p->path);
        /* no app of this name runs: what has a record's name goes, or the new app would be
         * "exited" or "running", or never written down */
        remove_records(status, app);
        r = write_file_replace_at(status, created, "", 0, 0644, 0);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot write rkt/status/%s", created);
        return 0;
}

/* Whether an app of m mounts volume name. */
static bool volume_used(const struct pod_manifest *m, const char *name)
{
        for (size_t i = 0; i < m->n_apps; i++)
                for (size_t k = 0; k < m->apps[i].n_mounts; k++)
                        if (m->apps[i].mounts[k].volume &&
                            strcmp(m->apps[i].mounts[k].volume, name) == 0)
                                return true;
        return false;
}

/* Takes app i out of m, with the volumes no other app mounts. */
static void drop_app(struct pod_manifest *m, size_t i)
{
        struct pod_manifest *gone = xnew0(struct pod_manifest, 1);

        gone->apps = xnew0(struct pod_app, 2);
        gone->apps[0] = m->apps[i];
        gone->n_apps = 1;
        memmove(&m->apps[i], &m->apps[i + 1], (m->n_apps - i) * sizeof(*m->apps));
        m->n_apps--;
        gone->volumes = xnew0(struct ac_volume, m->n_volumes + 1);
        for (size_t v = 0; v < m->n_volumes;) {
                if (volume_used(m, m->volumes[v].name)) {
                        v++;
                        continue;
                }
                gone->volumes[gone->n_volumes++] = m->volumes[v];
                memmove(&m->volumes[v], &m->volumes[v + 1],
                        (m->n_volumes - v) * sizeof(*m->volumes));
                m->n_volumes--;
        }
        pod_manifest_free(gone);
}

/*
 * Unmounts everything at S1/opt/stage2/<app>/rootfs (the app's overlay in the host's mount
 * namespace) reached without following a link: an app may have put one where the app's
 * directory was.
 */
static void unmount_app_root(const struct pod *p, const char *app)
{
        _cleanup_free_ char *rel = xasprintf("opt/stage2/%s/rootfs", app);

        for (;;) {
                _cleanup_close_ int fd = open_s1_dir(p, rel);
                if (fd < 0)
                        return;
                _cleanup_free_ char *self = xasprintf("/proc/self/fd/%d", fd);
                if (umount2(self, MNT_DETACH) < 0)
                        return;
        }
}

/* Removes name, whatever it is, from the directory rel of S1 (reached without following a
 * link): an app may have put a directory there. */
static void unlink_in_s1(const struct pod *p, const char *rel, const char *name)
{
        _cleanup_close_ int fd = open_s1_dir(p, rel);

        if (fd >= 0)
                (void)rm_rf_at(fd, name);
}

int stage0_app_remove(struct pod *p, const char *app, struct rk_error **reterr)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL;
        _cleanup_free_ char *id = NULL, *idf = xasprintf("appsinfo/%s/treeStoreID", app);
        ssize_t i;
        int r;

        r = pod_read_manifest(p, &m, reterr);
        if (r < 0)
                return r;
        i = find_app(m, app);
        if (i >= 0) {
                drop_app(m, (size_t)i);
                r = write_manifest(p, m, reterr);
                if (r < 0)
                        return r;
        }
        unmount_app_root(p, app);
        _cleanup_close_ int stage2 = open_s1_dir(p, "opt/stage2");
        if (stage2 >= 0)
                (void)rm_rf_at(stage2, app);
        if (read_file_at(p->fd, idf, 4096, &id, NULL) >= 0 && !strchr(id, '/') && *id != '.') {
                _cleanup_free_ char *upper = xasprintf("overlay/%s/upper/%s", id, app);
                _cleanup_free_ char *work = xasprintf("overlay/%s/work/%s", id, app);
                (void)rm_rf_at(p->fd, upper);
                (void)rm_rf_at(p->fd, work);
        }
        _cleanup_free_ char *info = xasprintf("appsinfo/%s", app);
        (void)rm_rf_at(p->fd, info);
        _cleanup_close_ int status = open_s1_dir(p, "rkt/status");
        if (status >= 0)
                remove_records(status, app);
        unlink_in_s1(p, "rkt/env", app);
        _cleanup_free_ char *log = xasprintf("logs/%s.log", app);
        _cleanup_free_ char *log1 = xasprintf("logs/%s.log.1", app);
        (void)unlinkat(p->fd, log, 0);
        (void)unlinkat(p->fd, log1, 0);
        return 0;
}
