/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The native flavor's run entrypoint (`/init`). Runs in: the host, exec'd by stage0 with
 * cwd = P. Validates and computes everything (pod_plan), creates the pod's cgroups, clones
 * the pod init into new pid/mount/UTS/IPC(/net) namespaces, writes P/pid, then waits,
 * forwarding SIGINT/SIGTERM, and exits with the pod's status while holding RKT_LOCK_FD.
 * With --private-users it makes the user namespace of the pod's range.
 */
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "app-env.h"
#include "app-status.h"
#include "caps.h"
#include "device-filter.h"
#include "fd-util.h"
#include "fs-util.h"
#include "k8s-log.h"
#include "keyrings.h"
#include "log.h"
#include "parse-util.h"
#include "pod-ns.h"
#include "pod-plan.h"
#include "root-path.h"
#include "stage1-mds.h"
#include "strv.h"

_noreturn_ static void die(struct rk_error *e, int code)
{
        _cleanup_free_ char *msg = rk_error_render(e, false);

        fprintf(stderr, "stage1: %s\n", msg);
        rk_error_free(e);
        exit(code);
}

static int check_flags(const struct stage1_args *a, struct pod_plan *p, struct rk_error **reterr)
{
        if (a->private_users && *a->private_users) {
                if (userns_range_parse(a->private_users, &p->range) < 0)
                        return rk_error_set(reterr, EINVAL,
                                            "invalid --private-users value \"%s\" (want "
                                            "<shift>:<count>, shift > 0)",
                                            a->private_users);
                p->userns = true;
        }
        if (stage1_args_net_has(a, "host")) /* host anywhere: the host's network (§8.1) */
                p->new_net = false;
        else if (strcmp(a->net, "none") == 0)
                p->new_net = true;
        else
                p->new_net = p->cni = true;
        if (strcmp(a->ipc, "auto") == 0 || strcmp(a->ipc, "private") == 0)
                p->new_ipc = true;
        else if (strcmp(a->ipc, "parent") == 0)
                p->new_ipc = false;
        else
                return rk_error_set(reterr, EINVAL, "unknown value for --ipc parameter: %s",
                                    a->ipc);
        return 0;
}

static int plan_exec(struct plan_app *pa, int rootfd, struct rk_error **reterr)
{
        char **exec = pa->a->app->exec;
        _cleanup_free_ char *path = NULL;

        if (!exec || !exec[0])
                return rk_error_set(reterr, EINVAL,
                                    "image \"%s\" has an empty \"exec\" (try --exec=BINARY)",
                                    pa->a->pod_app->image_name ?: pa->a->name);
        if (root_find_exec(rootfd, exec[0], app_env_get(pa->env, "PATH"), &path) < 0)
                path = xstrdup(exec[0]); /* exec fails later: status 203 */
        pa->argv = strv_copy(exec);
        free(pa->argv[0]);
        pa->argv[0] = TAKE_PTR(path);
        return 0;
}

int plan_app(struct pod_plan *p, struct plan_app *pa, struct rk_error **reterr)
{
        const struct stage1_app *a = pa->a;
        /* S1/opt/stage2/<app>/rootfs without following a link: where app start plans an app,
         * an app allowed to trace the pod init may have put one (a host directory) */
        _cleanup_close_ int s1fd = open(p->pod->stage1_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int rootfd =
                s1fd < 0 ? -errno : open_dir_nofollow(s1fd, a->rootfs_in_pod + 1);
        int r;

        if (rootfd < 0)
                return rk_error_set_errno(reterr, -rootfd, "opening rootfs of app %s", a->name);
        r = app_creds_resolve(rootfd, a->app, stage1_app_is_docker(a), p->userns ? &p->range : NULL,
                              &pa->creds, reterr);
        if (r < 0)
                return r;
        pa->env = app_env_build(a->app, a->name);
        r = plan_exec(pa, rootfd, reterr);
        if (r < 0)
                return r;
        r = app_mounts_compute(p->pod, a, true, &pa->mounts, reterr);
        for (size_t i = 0; r >= 0 && i < pa->mounts.n; i++)
                r = volume_prepare(p->pod, a, &pa->mounts.items[i], reterr);
        if (r < 0)
                return r;
        r = app_io_modes(&a->pod_app->annotations, a->name, &pa->io, reterr);
        if (r < 0)
                return r;
        r = app_seccomp_compile(a->app, p->args.disable_seccomp, &pa->seccomp, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "app %s", a->name);
        pa->caps = caps_for_app(a->app, p->args.disable_caps);
        int n_listen = app_listen_fds(a->app, p->n_listen_fds, &pa->env);
        pa->xp = (struct app_exec_params){.argv = pa->argv,
                                          .envp = pa->env,
                                          .workdir = a->app->working_directory,
                                          .creds = &pa->creds,
                                          .set_caps = true,
                                          .caps = pa->caps,
                                          .prefix = "stage1",
                                          .n_listen_fds = n_listen,
                                          .keep_fd = -1,
                                          .seccomp = &pa->seccomp,
                                          .deny_keyrings = !p->args.disable_seccomp &&
                                                           !pa->seccomp.blocks_keyrings};
        app_exec_params_from_isolators(&pa->xp, a->app);
        return 0;
}

static const char default_hosts[] =
        "# This is the default rkt /etc/hosts\n"
        "127.0.0.1 localhost localhost.domain localhost4 localhost4.localdomain4\n"
        "\n"
        "::1 ip6-localhost ip6-loopback localhost6 localhost6.localdomain6\n"
        "fe00::0 ip6-localnet\n"
        "ff00::0 ip6-mcastprefix\n"
        "ff02::1 ip6-allnodes\n"
        "ff02::2 ip6-allrouters\n"
        "ff02::3 ip6-allhosts\n";

/* S1/rkt/hosts: the hosts file apps get (hosts modes default and stage0), hostname added. */
static int write_hosts(const struct pod_plan *p, int s1fd)
{
        const char *src =
                strcmp(p->args.hosts_mode, "stage0") == 0 ? "etc/rkt-hosts" : "etc/hosts-fallback";
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_free_ char **lines = NULL;
        char **out = NULL;
        bool done = false;

        if (read_file_at(s1fd, src, 1u << 20, &text, NULL) < 0)
                text = xstrdup(default_hosts);
        lines = strv_split(text, '\n');
        STRV_FOREACH(l, lines) {
                if (!done && strncmp(*l, "127.0.0.1", 9) == 0) {
                        strv_consume(&out, xasprintf("%s %s", *l, p->hostname));
                        done = true;
                } else
                        strv_push(&out, *l);
        }
        if (!done)
                strv_consume(&out, xasprintf("127.0.0.1\t%s\n", p->hostname));
        _cleanup_free_ char *joined = strv_join(out, "\n");
        strv_free(out);
        return write_state_file_at(s1fd, "rkt/hosts", joined, strlen(joined), 0644);
}

/*
 * Whether name exists as type with mode 0000, as the stage1 image ships the inaccessible
 * nodes: opening or chmod'ing them would copy them up into the pod's overlay (a new inode).
 */
static bool is_mode0(int s1fd, const char *name, mode_t type)
{
        struct stat st;

        return fstatat(s1fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
               (st.st_mode & S_IFMT) == type && (st.st_mode & 07777) == 0;
}

/* Files under S1 that the pod init bind-mounts: hostname, hosts, inaccessible nodes. */
static int prepare_stage1_files(struct pod_plan *p, int s1fd, struct rk_error **reterr)
{
        int r;

        if ((r = mkdir_p_at(s1fd, "etc", 0755)) < 0 ||
            (r = mkdir_p_at(s1fd, APP_STATUS_DIR, 0755)) < 0)
                return rk_error_set_errno(reterr, -r, "creating stage1 directories");
        _cleanup_free_ char *hn = xasprintf("%s\n", p->hostname);
        r = write_state_file_at(s1fd, "etc/hostname", hn, strlen(hn), 0644);
        if (r >= 0)
                r = write_hosts(p, s1fd);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "writing hostname files");
        (void)unlinkat(s1fd, "rkt/supervisor-status", 0);
        if (!is_mode0(s1fd, "rkt/inaccessible-dir", S_IFDIR) &&
            ((mkdirat(s1fd, "rkt/inaccessible-dir", 0) < 0 && errno != EEXIST) ||
             fchmodat(s1fd, "rkt/inaccessible-dir", 0, 0) < 0))
                return rk_error_set_errno(reterr, errno, "creating inaccessible directory");
        if (is_mode0(s1fd, "rkt/inaccessible-file", S_IFREG))
                return 0;
        _cleanup_close_ int fd = openat(s1fd, "rkt/inaccessible-file",
                                        O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0);
        if (fd < 0 || fchmod(fd, 0) < 0)
                return rk_error_set_errno(reterr, errno, "creating inaccessible file");
        return 0;
}

/* DeviceAllow rules for the device nodes among the app's volumes (as rkt). */
static char **volume_device_rules(const struct pod_plan *p, const struct plan_app *pa)
{
        char **rules = NULL;

        for (size_t i = 0; i < pa->mounts.n; i++) {
                const struct app_mount *m = &pa->mounts.items[i];
                _cleanup_free_ char *src = volume_host_path(p->pod, m->volume);
                struct stat st;
                if (stat(src, &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
                        continue;
                strv_consume(&rules, xasprintf("%c %u:%u %s", S_ISCHR(st.st_mode) ? 'c' : 'b',
                                               major(st.st_rdev), minor(st.st_rdev),
                                               m->read_only ? "r" : "rw"));
        }
        return rules;
}

/*
 * Whether app device policies can be cgroup2 BPF filters (SPEC.md §11.11 Devices): there is
 * a cgroup2 hierarchy and the kernel filters devices on it (else, e.g. bpf() forbidden, the
 * v1 devices controller). The filters are loaded after clone (attach_filters).
 */
bool device_filters_work(const struct pod_plan *p)
{
        for (size_t i = 0; i < p->cg.n; i++) {
                if (!p->cg.h[i].v2)
                        continue;
                int r = device_filter_probe(p->cg.h[i].path);
                if (r >= 0)
                        return true;
                log_debug_errno(r, "cgroup2 device filters: %m; using the devices controller");
        }
        return false;
}

/* Each app's device filter on its cgroup2 cgroup (p->dev_filter). */
int attach_filters(struct pod_plan *p, struct rk_error **reterr)
{
        for (size_t i = 0; p->dev_filter && i < p->n_apps; i++) {
                _cleanup_strv_free_ char **extra = volume_device_rules(p, &p->apps[i]);
                _cleanup_strv_free_ char **rules = cgroup_device_rules(extra);
                _cleanup_free_ char *rel = cgroup_app_path(p->cg_pod, p->apps[i].a->name);
                _cleanup_free_ char *dir = xasprintf("%s/%s", p->cg.h[p->cg2].path, rel);
                _cleanup_close_ int fd = -EBADF;
                int r = device_filter_load(rules, &fd);
                if (r >= 0)
                        r = device_filter_attach(fd, dir);
                if (r < 0)
                        return rk_error_set_errno(reterr, -r, "restricting devices of %s", dir);
        }
        return 0;
}

int setup_app_cgroup(struct pod_plan *p, struct plan_app *pa, struct rk_error **reterr)
{
        _cleanup_free_ char *rel = cgroup_app_path(p->cg_pod, pa->a->name);
        int r;

        r = cgroups_create(&p->cg, rel, reterr);
        if (r >= 0 && !p->no_limits)
                r = cgroups_set_limits(&p->cg, rel, pa->a->app, reterr);
        if (r >= 0 && !p->args.disable_paths && !p->dev_filter) {
                _cleanup_strv_free_ char **extra = volume_device_rules(p, pa);
                r = cgroups_restrict_devices(&p->cg, rel, extra, reterr);
        }
        if (r < 0)
                return r;
        /* each one, or the app would start where it is not confined (the pod's init.scope) */
        r = cgroups_open(&p->cg, rel, &pa->cgfds);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "opening cgroup %s", rel);
        return 0;
}

static bool app_has_isolator(const struct ac_app *app, enum ac_isolator_kind a,
                             enum ac_isolator_kind b)
{
        for (size_t i = 0; i < app->n_isolators; i++)
                if (app->isolators[i].kind == a || app->isolators[i].kind == b)
                        return true;
        return false;
}

/*
 * The v1 controllers the pod uses: devices for the device policy when cgroup2 cannot filter
 * devices, memory and cpu for limits, freezer (kill-all) when there is no cgroup2 hierarchy
 * with cgroup.kill to track the pod. Each one joined costs a migration (cgroup.procs write).
 */
char **wanted_controllers(const struct pod_plan *p)
{
        char **w = NULL;
        bool has_v2 = false;

        for (size_t i = 0; i < p->cg.n; i++)
                has_v2 |= p->cg.h[i].v2;
        if (!has_v2)
                strv_push(&w, "freezer");
        if (!p->args.disable_paths && !p->dev_filter)
                strv_push(&w, "devices");
        for (size_t i = 0; i < p->n_apps; i++) {
                const struct ac_app *app = p->apps[i].a->app;
                if (app_has_isolator(app, AC_ISOLATOR_RESOURCE_MEMORY, AC_ISOLATOR_RESOURCE_MEMORY))
                        strv_push(&w, "memory");
                if (app_has_isolator(app, AC_ISOLATOR_RESOURCE_CPU, AC_ISOLATOR_CPU_SHARES))
                        strv_push(&w, "cpu");
        }
        return w;
}

static bool apps_have_limits(const struct pod_plan *p, enum ac_isolator_kind a,
                             enum ac_isolator_kind b)
{
        for (size_t i = 0; i < p->n_apps; i++)
                if (app_has_isolator(p->apps[i].a->app, a, b))
                        return true;
        return false;
}

/* Says once, when an app has resource limits, that they are not applied, and why. */
static void rootless_no_limits(const struct pod_plan *p, const char *why)
{
        if (apps_have_limits(p, AC_ISOLATOR_RESOURCE_MEMORY, AC_ISOLATOR_RESOURCE_CPU) ||
            apps_have_limits(p, AC_ISOLATOR_CPU_SHARES, AC_ISOLATOR_CPU_SHARES))
                fprintf(stderr, "stage1: rootless pod: %s, resource limits are not applied\n", why);
}

/* The first controller the apps' limits need that the pod's cgroup2 cgroup lacks, or NULL. */
static const char *rootless_missing_controller(const struct pod_plan *p)
{
        _cleanup_free_ char *path =
                xasprintf("%s/%s/cgroup.controllers", p->cg.h[p->cg2].path, p->cg_pod);
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_free_ char **have = NULL;

        if (read_file_at(AT_FDCWD, path, 4096, &text, NULL) >= 0) {
                text[strcspn(text, "\n")] = '\0';
                have = strv_split(text, ' ');
        }
        if (apps_have_limits(p, AC_ISOLATOR_RESOURCE_MEMORY, AC_ISOLATOR_RESOURCE_MEMORY) &&
            !strv_contains(have, "memory"))
                return "memory";
        if (apps_have_limits(p, AC_ISOLATOR_RESOURCE_CPU, AC_ISOLATOR_CPU_SHARES) &&
            !strv_contains(have, "cpu"))
                return "cpu";
        return NULL;
}

/*
 * The pod's cgroup p->cg_pod in p->cg: recorded in P/subcgroup before any cgroup exists (gc
 * removes them even after a kill -9 right then), its init.scope made and opened.
 */
static int create_pod_cgroup(struct pod_plan *p, int podfd, struct rk_error **reterr)
{
        _cleanup_free_ char *init = xasprintf("%s/init.scope", p->cg_pod);
        int r = write_state_file_at(podfd, "subcgroup", p->cg_pod, strlen(p->cg_pod), 0644);

        if (r < 0)
                return rk_error_set_errno(reterr, -r, "writing subcgroup");
        r = cgroups_create(&p->cg, init, reterr);
        if (r < 0)
                return r;
        cgroups_open(&p->cg, init, &p->init_cgfds);
        return 0;
}

/* The apps' cgroups below the pod's (setup_app_cgroup()). */
static int setup_app_cgroups(struct pod_plan *p, struct rk_error **reterr)
{
        for (size_t i = 0; i < p->n_apps; i++) {
                int r = setup_app_cgroup(p, &p->apps[i], reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

/*
 * A rootless pod (stage0's rootless.h: this process is root in a user namespace of the user's
 * ids) has cgroups only where the user has a delegated cgroup2 subtree
 * (cgroup_delegated_find()): its cgroup is a child of that one, on the cgroup2 hierarchy
 * alone, without device filters (bpf() is root's). Else, as where the controllers are not
 * the user's, no limits, said once. Returns 0 or < 0 with reterr set.
 */
static int setup_rootless_cgroups(struct pod_plan *p, int podfd, struct rk_error **reterr)
{
        _cleanup_free_ char *deleg = NULL;
        const char *missing;
        int r;

        if (cgroups_detect(&p->cg) >= 0)
                cgroups_keep(&p->cg, NULL);
        if (p->cg.n == 0 || cgroup_delegated_find(p->cg.h[0].path, &deleg) < 0) {
                cgroups_done(&p->cg);
                rootless_no_limits(p, "no cgroup of the user's own");
                return 0;
        }
        p->cg2 = 0;
        p->cg_pod = cgroup_rootless_pod_path(deleg, p->args.uuid);
        r = create_pod_cgroup(p, podfd, reterr);
        if (r < 0)
                return r;
        missing = rootless_missing_controller(p);
        p->no_limits = missing != NULL;
        if (missing) {
                _cleanup_free_ char *why =
                        xasprintf("the user's cgroup offers no %s controller", missing);
                rootless_no_limits(p, why);
        }
        return setup_app_cgroups(p, reterr);
}

static int setup_cgroups(struct pod_plan *p, struct rk_error **reterr)
{
        _cleanup_close_ int podfd = -EBADF;
        int r;

        p->cg2 = -1;
        podfd = open(p->pod->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (podfd < 0)
                return rk_error_set_errno(reterr, errno, "opening pod directory");
        if (p->rootless)
                return setup_rootless_cgroups(p, podfd, reterr);

        r = cgroups_detect(&p->cg);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "finding cgroup hierarchies");
        p->dev_filter = !p->args.disable_paths && device_filters_work(p);
        _cleanup_strv_free_ char **wanted = wanted_controllers(p);
        cgroups_keep(&p->cg, wanted);
        for (size_t i = 0; i < p->cg.n; i++)
                if (p->cg.h[i].v2)
                        p->cg2 = (int)i;
        p->cg_pod = cgroup_pod_path(p->args.uuid);
        r = create_pod_cgroup(p, podfd, reterr);
        return r < 0 ? r : setup_app_cgroups(p, reterr);
}

static int plan_build(struct pod_plan *p, struct rk_error **reterr)
{
        _cleanup_close_ int s1fd = -EBADF;
        int r;

        r = stage1_pod_load(NULL, &p->pod, reterr);
        if (r < 0)
                return r;
        if (p->pod->n_apps == 0 && !p->args.mutable_pod)
                return rk_error_set(reterr, EINVAL, "the pod has no apps");
        /* before any app of the sandbox runs: what its log directory is (k8s-log.h) */
        if (p->args.mutable_pod && k8s_log_mode(p->pod) && k8s_log_dir_pin(p->pod, reterr) < 0)
                return -(*reterr)->errnum;
        if (p->args.interactive && p->pod->n_apps != 1)
                return rk_error_set(reterr, EINVAL,
                                    "interactive mode only works with one app per pod");
        s1fd = open(p->pod->stage1_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (s1fd < 0)
                return rk_error_set_errno(reterr, errno, "opening pod directory");
        p->hostname = stage1_args_hostname(&p->args);
        p->n_apps = p->pod->n_apps;
        p->apps = xnew0(struct plan_app, p->n_apps);
        for (size_t i = 0; i < p->n_apps; i++) {
                p->apps[i].a = &p->pod->apps[i];
                r = plan_app(p, &p->apps[i], reterr);
                if (r < 0)
                        return r;
        }
        /* once for the pod init and every app child, handler and their hooks */
        r = p->args.disable_seccomp ? 0 : keyrings_prepare();
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "compiling the keyring filter");
        return prepare_stage1_files(p, s1fd, reterr);
}

/* Interactive with a terminal: a pty whose slave becomes the app's terminal. */
static int open_pty(int *ret_master, int *ret_slave, char ret_name[static 64])
{
        _cleanup_close_ int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        char name[64];
        struct winsize ws;
        struct termios tio;
        int slave;

        if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
            ptsname_r(master, name, sizeof(name)) != 0)
                return -errno;
        slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return -errno;
        if (tcgetattr(STDIN_FILENO, &tio) == 0)
                (void)tcsetattr(slave, TCSANOW, &tio);
        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
                (void)ioctl(slave, TIOCSWINSZ, &ws);
        *ret_master = TAKE_FD(master);
        *ret_slave = slave;
        snprintf(ret_name, 64, "%s", name);
        return 0;
}

/*
 * Creates the pod init, in its cgroup2 cgroup from the start where the kernel can
 * (clone_into_cgroup(): 8-22 ms here for a move through cgroup.procs, in v1 and v2 alike).
 * Sets p->into_cgroup (also in the child's copy). Not safe_fork(), which forks without
 * namespaces or a cgroup; the pod init's own setup is pod_init_run()'s.
 */
static pid_t clone_pod(struct pod_plan *p)
{
        unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS;

        if (p->new_net && !p->cni) /* cni: the pod init joins p->netns_fd */
                flags |= CLONE_NEWNET;
        if (p->new_ipc)
                flags |= CLONE_NEWIPC;
        return clone_into_cgroup(flags, p->cg2 >= 0 ? p->init_cgfds[p->cg2] : -1, &p->into_cgroup);
}

/* Runs in: host side. Puts the pod init in the cgroups it did not start in. */
static int join_init_cgroups(const struct pod_plan *p, pid_t pid)
{
        /*
         * Started in cgroup2 (which tracks and kills the whole pod), pod init stays in the
         * caller's v1 cgroups: only apps with limits join the pod's memory/cpu ones.
         */
        if (p->into_cgroup)
                return 0;
        return cgroups_attach_fds(p->init_cgfds, p->cg.n, pid);
}

/*
 * Runs in: host side, right after clone, while the pod init sets up its mounts on the other
 * CPU: what the pod init needs only before the go signal or not at all (P/runtime-config,
 * S1/rkt/env/<app>, device filters, P/namespaces, P/pid). On failure the caller kills
 * the pod init. Returns 0 or < 0 with reterr set.
 */
static int finish_host_side(struct pod_plan *p, pid_t pid, struct rk_error **reterr)
{
        _cleanup_close_ int podfd = open(p->pod->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int s1fd = open(p->pod->stage1_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        int r;

        if (podfd < 0 || s1fd < 0)
                return rk_error_set_errno(reterr, errno, "opening pod directory");
        r = stage1_args_write_runtime_config(&p->args, p->mds_url, podfd);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "writing runtime-config");
        for (size_t i = 0; i < p->n_apps; i++) {
                r = app_env_write(s1fd, p->apps[i].a->name, p->apps[i].env);
                if (r < 0)
                        return rk_error_set_errno(reterr, -r, "writing environment of app %s",
                                                  p->apps[i].a->name);
        }
        r = attach_filters(p, reterr);
        if (r < 0)
                return r;
        r = join_init_cgroups(p, pid);
        if (r >= 0)
                r = pod_ns_record(podfd, pid, p->cni ? p->netns_fd : -1,
                                  p->userns ? p->userns_fd : -1);
        if (r >= 0)
                r = write_int_file_at(podfd, "pid", pid);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "starting the pod");
        return 0;
}

/*
 * --private-users: the user namespace of the pod's range, for the pod init to pass on. Made
 * here, in the host's pid namespace (its /proc), while this process has no threads.
 */
static int make_userns(struct pod_plan *p, struct rk_error **reterr)
{
        int r;

        if (!p->userns)
                return 0;
        r = userns_make(&p->range, &p->userns_fd);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "creating the pod's user namespace");
        for (size_t i = 0; i < p->n_apps; i++)
                p->apps[i].xp.userns_fd = p->userns_fd;
        return 0;
}

/* Exits like the pod's pid 1 did: same code, or dies by the same signal. */
_noreturn_ static void exit_like(int status)
{
        if (WIFEXITED(status))
                exit(WEXITSTATUS(status));
        signal(WTERMSIG(status), SIG_DFL);
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_UNBLOCK, &all, NULL);
        raise(WTERMSIG(status));
        exit(128 + WTERMSIG(status));
}

static int wait_pod(pid_t pid)
{
        sigset_t set;
        int status;

        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGHUP);
        for (;;) {
                pid_t w = waitpid(pid, &status, WNOHANG);
                if (w == pid)
                        return status;
                int sig = sigwaitinfo(&set, NULL);
                if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP)
                        (void)kill(pid, SIGTERM);
        }
}

/*
 * First thing: this process and the pod init it clones are never dumpable (an app that
 * could open /proc/1/fd, /proc/1/root or /proc/1/exe would be on the host), and of what
 * stage0 and its caller left open only stdio, the pod lock (RKT_LOCK_FD) and the sockets
 * of socket activation stay, close-on-exec (no plugin or app inherits them by accident).
 */
static void adopt_inherited_fds(struct pod_plan *p)
{
        const char *s = getenv("RKT_LOCK_FD");
        int64_t lock = -1;
        int n = listen_fds_count();
        _cleanup_free_ int *keep = xnew0(int, 4 + (size_t)n);

        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                fprintf(stderr, "stage1: making the pod init non-dumpable: %m\n");
        if (!s || safe_atoi64(s, &lock) < 0 || lock < 3 || lock > INT_MAX)
                lock = -1;
        for (int i = 0; i < 3 + n; i++)
                keep[i] = i;
        keep[3 + n] = (int)lock;
        close_all_fds_except(keep, 4 + (size_t)n);
        for (int i = 3; i < 3 + n; i++)
                (void)fd_set_cloexec(i, true);
        if (lock >= 0)
                (void)fd_set_cloexec((int)lock, true);
        p->n_listen_fds = n;
        unsetenv("LISTEN_FDS");
        unsetenv("LISTEN_PID");
        unsetenv("LISTEN_FDNAMES");
}

static void block_signals(void)
{
        sigset_t set;

        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGHUP);
        sigaddset(&set, SIGWINCH);
        sigprocmask(SIG_BLOCK, &set, NULL);
}

/*
 * AC_METADATA_URL for every app of a pod registered with the metadata service, which the
 * pod reaches through its network (so known only after pod_net_setup()).
 */
static int set_mds_env(struct pod_plan *p, struct rk_error **reterr)
{
        const char *ip = stage1_mds_host_ip(&p->args, net_pod_host_ip(&p->net));

        p->mds_url = stage1_mds_url(&p->args, ip);

        for (size_t i = 0; i < p->n_apps; i++) {
                int r = stage1_mds_env(&p->args, ip, &p->apps[i].env, reterr);
                if (r < 0)
                        return r;
                p->apps[i].xp.envp = p->apps[i].env;
        }
        return 0;
}

/*
 * After the pod's apps have exited, before rkt run returns: an exited pod forwards no host
 * port (the next pod on the same port must get its traffic); its networks stay until gc,
 * as rkt's did. A failure is reported and gc tries again.
 */
static void release_ports(struct pod_plan *p)
{
        _cleanup_close_ int podfd = -EBADF;
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;

        if (!p->cni)
                return;
        podfd = open(p->pod->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (podfd < 0 || net_pod_teardown_ports(podfd, p->args.uuid, &e) < 0)
                fprintf(stderr, "stage1: %s\n", e ? rk_error_cause(e) : strerror(errno));
}

/* The apps' logs (P/logs): their stdout and stderr go through the log writer. */
static int start_logs(struct pod_plan *p, struct rk_error **reterr)
{
        _cleanup_free_ const char **names = xnew0(const char *, p->n_apps + 1);

        for (size_t i = 0; i < p->n_apps; i++)
                names[i] = p->apps[i].a->name;
        return app_logs_start(p->pod->dir, names, p->n_apps, &p->logs, reterr);
}

/* The apps' I/O modes other than log (app-io.h); not for an --interactive pod's terminal. */
static int start_app_io(struct pod_plan *p, struct rk_error **reterr)
{
        for (size_t i = 0; !p->args.interactive && i < p->n_apps; i++) {
                int r = app_io_start(p->pod->dir, p->apps[i].a->name, &p->apps[i].io, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void stop_app_io(struct pod_plan *p, bool app_ends_only)
{
        for (size_t i = 0; i < p->n_apps; i++) {
                app_io_close_app_fds(&p->apps[i].io);
                if (!app_ends_only)
                        app_io_stop(&p->apps[i].io);
        }
}

/* Fails the run: the networks joined are left first (the pod init, if any, is gone). */
_noreturn_ static void fail(struct pod_plan *p, struct rk_error *e)
{
        if (p->cni)
                pod_net_abort(p);
        die(e, 254);
}

int main(int argc, char **argv)
{
        struct pod_plan p = {.tty_fd = -1, .sync_fd = -1, .netns_fd = -1, .userns_fd = -1};
        struct rk_error *e = NULL;
        int syncp[2], master = -1, r;
        pid_t pid;

        if (app_ctl_wanted(argv[0]))
                return app_ctl_main(argc, argv);
        adopt_inherited_fds(&p);
        log_set_prefix("stage1");
        if (stage1_args_parse(argc, argv, &p.args, &e) < 0 || check_flags(&p.args, &p, &e) < 0)
                die(e, 254);
        log_set_max_level(p.args.debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARNING);
        p.rootless = !userns_is_host();
        if (plan_build(&p, &e) < 0)
                die(e, e->exit_status ?: 254);
        if (p.cni && pod_net_setup(&p, &e) < 0)
                die(e, 254);
        if (set_mds_env(&p, &e) < 0 || setup_cgroups(&p, &e) < 0)
                fail(&p, e);
        if (strcmp(p.args.net, "none") == 0)
                fprintf(stderr, "networking: networking namespace with loopback only\n");
        p.null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (p.args.interactive && isatty(STDIN_FILENO) &&
            open_pty(&master, &p.tty_fd, p.tty_path) < 0) {
                rk_error_set_errno(&e, errno, "allocating a pty");
                fail(&p, e);
        }
        if (make_userns(&p, &e) < 0)
                fail(&p, e);
        if (pipe2(syncp, O_CLOEXEC) < 0) {
                rk_error_set_errno(&e, errno, "pipe");
                fail(&p, e);
        }
        block_signals();
        if ((!p.args.interactive && p.n_apps > 0 && start_logs(&p, &e) < 0) ||
            start_app_io(&p, &e) < 0)
                fail(&p, e);
        fflush(NULL);
        pid = clone_pod(&p);
        if (pid < 0) {
                rk_error_set_errno(&e, errno, "creating the pod's namespaces");
                fail(&p, e);
        }
        if (pid == 0) {
                safe_close(syncp[1]);
                safe_close(master);
                if (p.cni && setns(p.netns_fd, CLONE_NEWNET) < 0)
                        _exit(254); /* the host side sees the pod init die */
                p.netns_fd = safe_close(p.netns_fd);
                p.sync_fd = syncp[0];
                pod_init_run(&p);
        }
        safe_close(syncp[0]);
        safe_close(p.tty_fd);
        app_logs_close_writers(&p.logs); /* the pod init has them */
        stop_app_io(&p, true);
        r = finish_host_side(&p, pid, &e); /* P/namespaces records the user namespace */
        p.userns_fd = safe_close(p.userns_fd);
        if (r < 0) {
                (void)kill(pid, SIGKILL);
                (void)waitpid(pid, NULL, 0);
                fail(&p, e);
        }
        safe_close(syncp[1]); /* go */
        if (master >= 0) {
                int st = pty_proxy_run(master, pid);
                release_ports(&p);
                if (st == -1)
                        exit(1);
                exit_like(st);
        }
        int status = wait_pod(pid);
        app_logs_wait(&p.logs); /* all the apps wrote is in the logs and forwarded */
        stop_app_io(&p, false);
        release_ports(&p);
        exit_like(status);
}
