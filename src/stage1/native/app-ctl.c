/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The app entrypoints of the native stage1 for mutable pods (SPEC.md §3.20): app_add,
 * app_start, app_stop and app_rm, the run entrypoint's binary under other names.
 *
 * Runs in: the host, as a child of stage0 with cwd = P while stage0 holds P/pod.lck. app_start
 * plans the app exactly as the run entrypoint plans the apps of `rkt run` (plan_app(), its
 * cgroup, device filter and log pipes), then forks a helper that joins the pod's other
 * namespaces (only those recorded when the pod was made, pod-ns.h), sets up the app's root
 * in a private copy of the host's mount namespace (pod_mounts_setup_app(), as the pod init
 * does before pivot_root) and makes that copy the app's own (its root the app's: what the
 * app's processes copy, not the pod's namespace with every app's mounts), while app_start
 * makes the app's cgroups and device filter; once it has them, the helper moves a copy of
 * the mount tree into the pod's mount namespace and forks the app's monitor. Neither is in the
 * pod's pid namespace: an app allowed to trace would attach to any process of ours there
 * holding more than it (app-exec.h). The monitor runs
 * the app's hooks and the app through the pod init's own code (fork_app(), app_child()),
 * each born in the pod's pid namespace already unprivileged (app_exec()'s spawn), records
 * the app's exit status and ends with the app; SIGTERM stops the app (SIGKILL after
 * STOP_TIMEOUT_SEC). Right after the add, app_add forks a preparer that does all this up
 * to the helper's move into the pod, and app_start then only lets it go on (the prepared
 * start, below); an app started again, or whose preparer is gone, is started as above.
 *
 * There is no channel into a running pod: nothing listens in it (a preparer listens outside
 * it, on a socket in P that only root reaches). Stage0 acts on the pod only through these
 * entrypoints, as root, through the pod's namespaces, cgroups and pidfds; the monitor reads
 * nothing an app can write. Both the helper and the monitor are never
 * dumpable (no app can open their /proc/<pid>/fd, root or exe).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app-env.h"
#include "app-prepared.h"
#include "app-status.h"
#include "fd-util.h"
#include "fs-util.h"
#include "k8s-log.h"
#include "keyrings.h"
#include "log.h"
#include "parse-util.h"
#include "pod-ns.h"
#include "pod-plan.h"
#include "process-util.h"
#include "root-path.h"
#include "runtime-config.h"
#include "strv.h"

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef PIDFD_GET_MNT_NAMESPACE
#define PIDFD_GET_MNT_NAMESPACE _IO(0xFF, 3) /* linux/pidfd.h, Linux 6.11 */
#endif

#define STOP_TIMEOUT_SEC 10
#define MUX_DRAIN_MSEC   1000 /* an exited app's attach mux relays its last output */

/* The pod's namespaces the helper joins, in this order (mnt: after the app's mounts). */
static const char *const ns_names[] = {"cgroup", "ipc", "uts", "net", "pid", "mnt"};
enum { NS_PID = 4, NS_MNT = 5, N_NS = 6 };

struct ctl_args {
        const char *op; /* "add", "start", "stop", "rm" */
        const char *app;
        bool debug;
};

_noreturn_ static void die(struct rk_error *e)
{
        _cleanup_free_ char *msg = rk_error_render(e, false);

        fprintf(stderr, "stage1: %s\n", msg);
        rk_error_free(e);
        exit(254);
}

bool app_ctl_wanted(const char *argv0)
{
        const char *base = strrchr(argv0, '/');

        base = base ? base + 1 : argv0;
        return strncmp(base, "app_", 4) == 0;
}

/* rkt's app entrypoint flags: --app=N, --debug[=B]; the others (--uuid, ...) are ignored. */
static int parse_args(int argc, char **argv, struct ctl_args *a, struct rk_error **reterr)
{
        const char *base = strrchr(argv[0], '/');

        a->op = (base ? base + 1 : argv[0]) + 4;
        for (int i = 1; i < argc; i++) {
                const char *s = argv[i] + strspn(argv[i], "-");
                if (strncmp(s, "app=", 4) == 0)
                        a->app = s + 4;
                else if (strcmp(s, "debug") == 0 || strcmp(s, "debug=true") == 0)
                        a->debug = true;
        }
        if (!a->app || !*a->app || strchr(a->app, '/') || a->app[0] == '.')
                return rk_error_set(reterr, EINVAL, "app_%s: --app=NAME is required", a->op);
        return 0;
}

/* The pod, the app and the run's settings (P/runtime-config) in p (none of its descriptors
 * open); *ret the app's plan. */
static int load(struct pod_plan *p, const char *app, struct rk_error **reterr)
{
        struct stage1_runtime_config rc = {0};
        const struct stage1_app *a;
        int r;

        p->tty_fd = p->sync_fd = p->netns_fd = p->userns_fd = p->null_fd = -1;
        p->proc_pidns_fd = -1;

        r = stage1_pod_load_app(NULL, app, &p->pod, reterr);
        if (r < 0)
                return r;
        a = stage1_pod_find_app(p->pod, app);
        if (!a)
                return rk_error_set(reterr, ENOENT, "no app %s in the pod", app);
        r = stage1_runtime_config_read(AT_FDCWD, &rc);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "reading runtime-config");
        p->args.disable_caps = rc.insecure.disable_capabilities;
        p->args.disable_paths = rc.insecure.disable_paths;
        p->args.disable_seccomp = rc.insecure.disable_seccomp;
        p->args.resolv_mode = xstrdup(
                rc.resolv_conf_mode && *rc.resolv_conf_mode ? rc.resolv_conf_mode : "default");
        p->args.hosts_mode =
                xstrdup(rc.etc_hosts_mode && *rc.etc_hosts_mode ? rc.etc_hosts_mode : "default");
        p->args.mutable_pod = true;
        stage1_runtime_config_done(&rc);
        p->n_apps = 1;
        p->apps = xnew0(struct plan_app, 1);
        p->apps[0].a = a;
        return 0;
}

/* The pod init, pinned (cgroup_pidfd_in()); -ESRCH when the pod does not run. */
static int pod_pidfd(const struct pod_plan *p, pid_t *ret_pid)
{
        long pid = 0;

        if (read_long_at(AT_FDCWD, "pid", READ_LONG_STRICT, &pid) < 0 || pid <= 0 || !p->cg_pod)
                return -ESRCH;
        *ret_pid = (pid_t)pid;
        return cgroup_pidfd_in((pid_t)pid, p->cg_pod);
}

#define APP_CGROUPS_MAX 32 /* hierarchies kept (cgroups_keep()): fewer than 20 in any layout */

/* The cgroup hierarchies and the pod's init.scope in each (the monitor's). */
static int init_cgroups(struct pod_plan *p, struct rk_error **reterr)
{
        _cleanup_strv_free_ char **wanted = NULL;
        _cleanup_free_ char *init = NULL;
        int r;

        r = cgroups_detect(&p->cg);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "finding cgroup hierarchies");
        p->dev_filter = !p->args.disable_paths && device_filters_work(p);
        wanted = wanted_controllers(p);
        cgroups_keep(&p->cg, wanted);
        if (p->cg.n > APP_CGROUPS_MAX)
                return rk_error_set(reterr, E2BIG, "more than %d cgroup hierarchies",
                                    APP_CGROUPS_MAX);
        p->cg2 = -1;
        for (size_t i = 0; i < p->cg.n; i++)
                if (p->cg.h[i].v2)
                        p->cg2 = (int)i;
        init = xasprintf("%s/init.scope", p->cg_pod);
        cgroups_open(&p->cg, init, &p->init_cgfds);
        return 0;
}

/*
 * The cgroups of the app, made as run makes them, new ones (what a monitor killed with -9
 * left running ends with the old ones), with its device filter: made while the helper sets
 * up the app's mounts. *ret_fresh: the old ones are gone (the kernel kills a child cloned
 * into a cgroup that was ever killed through cgroup.kill: the app is cloned into no such
 * one).
 */
static int app_cgroups(struct pod_plan *p, bool *ret_fresh, struct rk_error **reterr)
{
        _cleanup_free_ char *app = cgroup_app_path(p->cg_pod, p->apps[0].a->name);
        int r;

        *ret_fresh = cgroups_remove(&p->cg, app) >= 0;
        r = setup_app_cgroup(p, &p->apps[0], reterr);
        if (r >= 0)
                r = attach_filters(p, reterr);
        return r;
}

/* What the helper waits for before anything of the app enters the pod: its cgroups, one
 * in each hierarchy (setup_app_cgroup() opened every one), in order, as SCM_RIGHTS. */
struct cgroups_ready {
        char tag[4]; /* "go" */
        bool fresh;  /* *ret_fresh of app_cgroups() */
};

/* Sends the helper (on sock) the app's cgroups once app_cgroups() made them. */
static int send_app_cgroups(int sock, const struct pod_plan *p, bool fresh)
{
        struct cgroups_ready msg = {.tag = "go", .fresh = fresh};
        char cbuf[CMSG_SPACE(APP_CGROUPS_MAX * sizeof(int))] = {0};
        struct iovec iov = {&msg, sizeof(msg)};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        size_t n = p->cg.n * sizeof(int);

        if (p->cg.n > APP_CGROUPS_MAX)
                return -E2BIG;
        if (n > 0) {
                mh.msg_control = cbuf;
                mh.msg_controllen = CMSG_SPACE(n);
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(n);
                memcpy(CMSG_DATA(c), p->apps[0].cgfds, n);
        }
        return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof(msg) ? 0 : -errno;
}

/*
 * Runs in: the helper. Waits for send_app_cgroups() on sock: the app's cgroups in
 * p->apps[0].cgfds, and whether children may be cloned into them (p->into_cgroup, which says
 * until here whether the helper was born in init.scope). Returns 0, or -EPIPE when the start
 * failed (nothing came), or -EBADMSG.
 */
static int recv_app_cgroups(int sock, struct pod_plan *p)
{
        struct cgroups_ready msg = {0};
        char cbuf[CMSG_SPACE(APP_CGROUPS_MAX * sizeof(int))];
        struct iovec iov = {&msg, sizeof(msg)};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = cbuf,
                            .msg_controllen = sizeof(cbuf)};
        int *fds = xnew0(int, p->cg.n + 1);
        size_t n_got = 0;
        ssize_t n;

        for (size_t i = 0; i < p->cg.n; i++)
                fds[i] = -1;
        p->apps[0].cgfds = fds;
        while ((n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
                ;
        for (struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                        n_got = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                        if (n_got == p->cg.n)
                                memcpy(fds, CMSG_DATA(c), n_got * sizeof(int));
                }
        if (n <= 0)
                return -EPIPE;
        if (n != (ssize_t)sizeof(msg) || memcmp(msg.tag, "go", 3) != 0 ||
            (mh.msg_flags & MSG_CTRUNC) || n_got != p->cg.n)
                return -EBADMSG;
        p->into_cgroup = p->into_cgroup && msg.fresh;
        return 0;
}

/*
 * The kubernetes log mode of the pod (annotations): the app's file, kubernetes-log-path
 * (default <app>.log), below kubernetes-log-dir, never outside it.
 */
static int open_k8s_log(const struct pod_plan *p, const struct plan_app *pa, int *ret_dir,
                        char **ret_file, struct rk_error **reterr)
{
        const char *path = ac_labels_get(&pa->a->pod_app->annotations, K8S_ANN_LOGPATH);
        _cleanup_free_ char *def = xasprintf("%s.log", pa->a->name), *parent = NULL;
        _cleanup_close_ int dirfd = -EBADF;
        const char *slash;
        int r;

        path = path && *path ? path : def;
        if (path[0] == '/' || strcmp(path, "..") == 0 || strncmp(path, "../", 3) == 0 ||
            strstr(path, "/../") ||
            (strlen(path) >= 3 && strcmp(path + strlen(path) - 3, "/..") == 0))
                return rk_error_set(reterr, EINVAL, "%s \"%s\" leaves the log directory",
                                    K8S_ANN_LOGPATH, path);
        dirfd = k8s_log_dir_open(p->pod, reterr);
        if (dirfd < 0)
                return dirfd;
        slash = strrchr(path, '/');
        if (!slash) {
                *ret_dir = TAKE_FD(dirfd);
                *ret_file = xstrdup(path);
                return 0;
        }
        parent = xasprintf("%.*s", (int)(slash - path), path);
        r = root_mkdirs(dirfd, parent, 0755, false); /* inside dir: symlinks stay below it */
        if (r < 0)
                return rk_error_set_errno(
                        reterr, -r, "creating %s below %s", parent,
                        ac_labels_get(&p->pod->manifest->annotations, K8S_ANN_LOGDIR));
        *ret_dir = r;
        *ret_file = xstrdup(slash + 1);
        return 0;
}

/* The app's stdout and stderr pipes and their writer: P/logs, or the kubernetes log file. */
static int start_logs(struct pod_plan *p, struct rk_error **reterr)
{
        _cleanup_strv_free_ char **files = NULL;
        const char *name = p->apps[0].a->name;
        char *file = NULL;
        int dirfd = -EBADF, r;

        if (!k8s_log_mode(p->pod))
                return app_logs_start(p->pod->dir, &name, 1, &p->logs, reterr);
        r = open_k8s_log(p, &p->apps[0], &dirfd, &file, reterr);
        if (r < 0)
                return r;
        strv_consume(&files, file);
        return app_logs_start_in(dirfd, files, 1, LOG_FORMAT_K8S_PLAIN, &p->logs, reterr);
}

/*
 * The prepared start. Right after the add, app_add forks a preparer (prepare_start()) that
 * does what app_start would do up to the app's move into the pod: it plans the app and
 * makes its cgroups while its helper sets up the app's root and mount namespace; then the
 * helper waits on a socket (app-prepared.h) for app_start, which sends "go" with the app's
 * log pipes: the helper goes on as in the other way. app_rm sends "rm" instead (stage0 runs
 * it too when an add fails after its entrypoint); the wait also ends when the pod init
 * exits. A preparation that fails ends its preparer. An app_start that finds no one
 * listening, or that the preparer does not take (an app started again, an attachable app,
 * a preparer gone or failed), does it all itself.
 */

/* In a preparer and its helper until app_start or app_rm came (await_start()); -1: not
 * waiting for them. */
static struct {
        int listen_fd; /* P/appsinfo/<app>/start */
        int pod_fd;    /* the pod init's pidfd (readable once it exited) */
} prep = {-1, -1};

/* Sends msg (and, implicitly, our credentials: the receiver learns our pid) on fd. */
static void report(int fd, const char *msg)
{
        (void)send(fd, msg, strlen(msg), MSG_NOSIGNAL);
}

_noreturn_ static void helper_fail(int fd, struct rk_error *e)
{
        _cleanup_free_ char *msg = NULL;
        char byte;

        /* a preparation that failed ends: app start does it all itself (and says why), once
         * the preparer is done with the app's cgroups (its message on fd) */
        if (prep.listen_fd >= 0) {
                (void)recv(fd, &byte, 1, 0);
                _exit(254);
        }
        msg = rk_error_render(e, false);
        report(fd, msg);
        _exit(254);
}

/*
 * Runs in: the helper of a preparer, ready: waits for app_start (prepared_accept()), whose
 * log pipes and attributes become the app's; returns its connection, the helper's socket
 * from then on. Exits when app_rm came or the pod ended.
 */
static int await_start(struct pod_plan *p, int procfd)
{
        struct prepared_attrs attrs;
        int logs[2], conn = prepared_accept(prep.listen_fd, prep.pod_fd, procfd);

        if (conn < 0 || prepared_recv_go(conn, logs, &attrs) <= 0)
                _exit(0);
        prepared_attrs_apply(&attrs, procfd);
        prep.listen_fd = safe_close(prep.listen_fd);
        prep.pod_fd = safe_close(prep.pod_fd);
        if (logs[0] >= 0) {
                p->logs.fds = oom_check(calloc(1, sizeof(*p->logs.fds)));
                p->logs.fds[0][0] = logs[0];
                p->logs.fds[0][1] = logs[1];
                p->logs.n = 1;
        }
        return conn;
}

/* helper_fail() with "<what>: <strerror(errno)>". */
_noreturn_ static void helper_fail_errno(int fd, const char *what)
{
        struct rk_error *e = NULL;

        rk_error_set_errno(&e, errno, "%s", what);
        helper_fail(fd, e);
}

/* A program of the app being started by a child of the monitor (spawn_start()). */
struct spawn {
        pid_t child; /* the monitor's child that spawns it, or -1 */
        int pid_fd;  /* where that child writes the program's pid */
        int gate;    /* > 0: the write end of its gate (one byte: go) */
};

/*
 * Runs in: the monitor. Has the program of xp (the app's or a handler's) born in the pod's
 * pid namespace already unprivileged, our child: a child of ours outside that namespace
 * enters the app as the pod init's children do (app_child()) and spawns it (app_exec()),
 * with gated, only on a byte on sp->gate (it waits unprivileged). io (the app's, NULL for a
 * handler): the app's log pipes, then its own I/O ends become its stdin, stdout and stderr.
 * spawn_finish() gives the program's pid.
 */
static void spawn_start(const struct pod_plan *p, const struct plan_app *pa,
                        const struct app_exec_params *xp, int pidns, const struct app_io *io,
                        bool gated, struct spawn *sp)
{
        struct app_exec_params x = *xp;
        int fds[2], gate[2] = {-1, -1};

        *sp = (struct spawn){.child = -1, .pid_fd = -1, .gate = -1};
        if (pipe2(fds, O_CLOEXEC) < 0)
                return;
        if (gated && pipe2(gate, O_CLOEXEC) < 0) {
                safe_close(fds[0]);
                safe_close(fds[1]);
                return;
        }
        x.spawn = true;
        x.spawn_pid_fd = fds[1];
        x.spawn_ctty = io ? app_io_ctty(io) + 1 : 0;
        sp->child = fork_app(p, pa);
        if (sp->child == 0) {
                safe_close(fds[0]);
                safe_close(gate[1]);
                if (setns(pidns, CLONE_NEWPID) < 0) {
                        fprintf(stderr, "stage1: joining the pod's pid namespace: %m\n");
                        _exit(254);
                }
                if (io)
                        app_logs_use(&p->logs, 0);
                app_child(p, pa, &x, gate[0], -1, io);
        }
        safe_close(fds[1]);
        safe_close(gate[0]);
        sp->pid_fd = fds[0];
        sp->gate = gate[1];
        if (sp->child < 0) {
                sp->pid_fd = safe_close(sp->pid_fd);
                sp->gate = safe_close(sp->gate);
        }
}

/*
 * Runs in: the monitor, still privileged. A descriptor of the mount namespace of the app
 * (pid, our child, not reaped), which the monitor then holds until it exits: the app's exit
 * does not free the namespace's mounts, which waits for an RCU grace period (its own, or one
 * an app running on the other CPU delays) before the monitor can record the exit. -errno
 * when the app is gone already (or the kernel lacks the ioctl): it then paid that itself.
 */
static int hold_mount_ns(pid_t pid)
{
        _cleanup_close_ int pidfd = pidfd_open_pid(pid);
        int fd;

        if (pidfd < 0)
                return pidfd;
        fd = ioctl(pidfd, PIDFD_GET_MNT_NAMESPACE, 0);
        return fd < 0 ? -errno : fd;
}

/*
 * Runs in: the monitor. Lets a gated program go, waits for the child that spawns it; returns
 * the program's pid, or -(the exit status) of that child when it could not start it. With
 * hold_ns, the program's mount namespace stays ours (hold_mount_ns()).
 */
static pid_t spawn_finish(struct spawn *sp, bool hold_ns)
{
        pid_t prog = 0;
        int status = 0;
        bool got;

        if (sp->child < 0)
                return -254;
        if (sp->gate >= 0 && write(sp->gate, "g", 1) != 1)
                fprintf(stderr, "stage1: starting a handler: %m\n");
        sp->gate = safe_close(sp->gate);
        /* the pid comes before that child exits (EOF if it fails): held at once */
        got = read(sp->pid_fd, &prog, sizeof(prog)) == sizeof(prog) && prog > 0;
        if (got && hold_ns)
                (void)hold_mount_ns(prog); /* closed when we exit */
        (void)wait_for_pid(sp->child, &status);
        if (!got)
                prog = -(WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status) : 254);
        sp->pid_fd = safe_close(sp->pid_fd);
        sp->child = -1;
        return prog;
}

/* Runs in: the monitor. Waits for the handler name of the app (sp), if it has one. */
static void run_hook(const struct plan_app *pa, const char *name, struct spawn *sp)
{
        int status = 0;
        pid_t pid;

        if (sp->child < 0)
                return;
        pid = spawn_finish(sp, false);
        if (pid > 0 && wait_for_pid(pid, &status) >= 0 && WIFEXITED(status) &&
            WEXITSTATUS(status) == 0)
                return;
        fprintf(stderr, "stage1: %s handler of app %s failed\n", name, pa->a->name);
}

/* Runs in: the monitor. The handler name of pa, if it has one, started (gated) in sp. */
static void prepare_hook(const struct pod_plan *p, const struct plan_app *pa, const char *name,
                         int pidns, bool gated, struct spawn *sp)
{
        struct app_exec_params xp;

        *sp = (struct spawn){.child = -1, .pid_fd = -1, .gate = -1};
        if (hook_params(pa, name, &xp))
                spawn_start(p, pa, &xp, pidns, NULL, gated, sp);
}

/*
 * Runs in: the monitor. The app exited with status: its record, the end of its attach mux,
 * its post-stop handler.
 */
_noreturn_ static void app_done(struct plan_app *pa, int status, struct spawn *post_stop)
{
        write_status(pa->a->name, app_exit_code(pa, status));
        app_io_finish(&pa->io, MUX_DRAIN_MSEC);
        run_hook(pa, "post-stop", post_stop);
        _exit(0);
}

/* The monitor's app, for its signal handlers (monitor_run(): never reaped while they run). */
static pid_t stop_pid;
static volatile sig_atomic_t stop_asked;

/* SIGTERM, SIGINT, SIGHUP: SIGTERM to the app, SIGKILL STOP_TIMEOUT_SEC later (SIGALRM). */
static void on_stop_signal(int sig)
{
        if (stop_asked)
                return;
        stop_asked = 1;
        (void)kill(stop_pid, SIGTERM);
        (void)alarm(STOP_TIMEOUT_SEC);
}

static void on_stop_timeout(int sig)
{
        (void)kill(stop_pid, SIGKILL);
}

/* The stop signals of monitor_run() with how, SIG_UNBLOCK or SIG_BLOCK. */
static void stop_signals(int how)
{
        static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGALRM};
        sigset_t set;

        sigemptyset(&set);
        for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
                sigaddset(&set, sigs[i]);
        sigprocmask(how, &set, NULL);
}

/*
 * Runs in: the monitor. Waits for the app; SIGTERM, SIGINT, SIGHUP stop it (their handlers
 * act at once, so none is missed while we wait; blocked whenever a child is reaped, so they
 * never signal a reaped pid). Records its exit status, runs its post-stop handler, exits.
 * The wait blocks in the kernel (waitid()), which wakes a waiting parent on the CPU its
 * exiting child frees: the exit is recorded at once even when another process keeps the
 * other CPU busy (a wakeup by SIGCHLD would wait for that one).
 */
_noreturn_ static void monitor_run(struct plan_app *pa, struct spawn *post_stop)
{
        struct sigaction stop = {.sa_handler = on_stop_signal};
        struct sigaction timeout = {.sa_handler = on_stop_timeout};

        stop_pid = pa->pid;
        sigfillset(&stop.sa_mask); /* and no SA_RESTART: waitid() returns EINTR */
        sigaction(SIGTERM, &stop, NULL);
        sigaction(SIGINT, &stop, NULL);
        sigaction(SIGHUP, &stop, NULL);
        sigaction(SIGALRM, &timeout, NULL);
        for (;;) {
                siginfo_t si = {0};
                int status, r;

                stop_signals(SIG_UNBLOCK);
                r = waitid(P_ALL, 0, &si, WEXITED | WNOWAIT);
                stop_signals(SIG_BLOCK);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0 || waitpid(si.si_pid, &status, 0) < 0)
                        break; /* ECHILD: the app is our child until we reap it */
                if (si.si_pid == pa->io.mux)
                        pa->io.mux = 0;
                if (si.si_pid == pa->pid) {
                        (void)alarm(0);
                        pa->signaled = stop_asked;
                        app_done(pa, status, post_stop);
                }
        }
        app_done(pa, W_EXITCODE(254, 0), post_stop);
}

/*
 * Runs in: the monitor. Of what the host side opened only stdio, the report socket, the
 * pod's pid namespace, /dev/null, the app's mount namespace, its cgroups, its log pipes and
 * its I/O ends stay.
 */
static void keep_only(const struct pod_plan *p, int sock, int pidns)
{
        const struct plan_app *pa = &p->apps[0];
        size_t n_logs, n = 0;
        const int *logs = app_logs_writer_fds(&p->logs, &n_logs);
        _cleanup_free_ int *keep = xnew0(int, 7 + p->cg.n + n_logs + APP_IO_MAX_FDS);

        keep[n++] = 0;
        keep[n++] = 1;
        keep[n++] = 2;
        keep[n++] = sock;
        keep[n++] = pidns;
        keep[n++] = p->null_fd;
        keep[n++] = pa->mntns_fd;
        for (size_t i = 0; i < p->cg.n; i++)
                keep[n++] = pa->cgfds[i];
        for (size_t i = 0; i < n_logs; i++)
                keep[n++] = logs[i];
        n += app_io_fds(&pa->io, keep + n);
        close_all_fds_except(keep, n);
}

/*
 * Runs in: the monitor, outside the pod's pid namespace (no app sees it), right after the
 * helper forked it: the app's attach mux forked (it too is out of the apps' sight), the
 * pre-start handler run, the post-stop handler waiting (unprivileged), the app started, then
 * only CAP_KILL kept and "ok" to the host side.
 */
_noreturn_ static void monitor_main(struct pod_plan *p, int sock, int pidns)
{
        struct plan_app *pa = &p->apps[0];
        struct spawn pre_start, post_stop, app;
        sigset_t set;
        int r;

        sigemptyset(&set); /* until monitor_run() handles them */
        sigaddset(&set, SIGCHLD);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        sigprocmask(SIG_BLOCK, &set, NULL);
        (void)setsid();
        keep_only(p, sock, pidns);
        r = app_io_fork_mux(&pa->io);
        if (r < 0) {
                errno = -r;
                helper_fail_errno(sock, "starting the app's attach mux");
        }
        prepare_hook(p, pa, "pre-start", pidns, false, &pre_start);
        run_hook(pa, "pre-start", &pre_start);
        prepare_hook(p, pa, "post-stop", pidns, true, &post_stop);
        spawn_start(p, pa, &pa->xp, pidns, &pa->io, false, &app);
        pa->pid = spawn_finish(&app, true);
        app_io_close_app_fds(&pa->io);
        app_logs_close_writers(&p->logs);
        safe_close(pidns);
        for (size_t i = 0; i < p->cg.n; i++)
                pa->cgfds[i] = safe_close(pa->cgfds[i]);
        drop_init_caps();
        report(sock, "ok");
        safe_close(sock);
        if (pa->pid < 0)
                app_done(pa, W_EXITCODE(-pa->pid, 0), &post_stop);
        pa->running = true;
        monitor_run(pa, &post_stop);
}

/* The directory rel below the root (the pod's S1), reached without following links. */
static int open_in_root(const char *rel)
{
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

        if (root < 0)
                return -errno;
        return open_dir_nofollow(root, rel + strspn(rel, "/"));
}

/*
 * Detaches whatever is mounted at rel below the root of our mount namespace (a previous
 * start's tree), reached without following links: umount2() of the descriptor's
 * /proc/self/fd path, through procfd, the host's /proc (the pod's root has none).
 */
static void detach_all(int procfd, const char *rel)
{
        for (;;) {
                _cleanup_close_ int fd = open_in_root(rel);
                if (fd < 0)
                        return;
                _cleanup_free_ char *self = xasprintf("self/fd/%d", fd);
                _cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fchdir(procfd) < 0)
                        return;
                int r = umount2(self, MNT_DETACH);
                if (cwd < 0 || fchdir(cwd) < 0 || r < 0)
                        return;
        }
}

/*
 * Runs in: the helper, in its private copy of the host's mount namespace. The app's root,
 * S1/opt/stage2/<app>/rootfs, reached without following a link (an app allowed to trace
 * the pod init reaches S1 and may have put one there), bound onto P/appsinfo/<app>/root
 * (root's), which the app's plan then names: nothing after resolves a path through S1.
 */
static int pin_app_root(struct plan_app *pa, const struct stage1_pod *pod, struct stage1_app *copy,
                        struct rk_error **reterr)
{
        _cleanup_free_ char *rel = xasprintf("opt/stage2/%s/rootfs", pa->a->name);
        _cleanup_free_ char *dir = xasprintf("%s/appsinfo/%s/root", pod->dir, pa->a->name);
        _cleanup_close_ int s1 = open(pod->stage1_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int fd = s1 < 0 ? -errno : open_dir_nofollow(s1, rel);
        _cleanup_free_ char *self = NULL;

        if (fd < 0)
                return rk_error_set_errno(reterr, -fd, "opening the root of app %s", pa->a->name);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return rk_error_set_errno(reterr, errno, "creating %s", dir);
        self = xasprintf("/proc/self/fd/%d", fd);
        if (mount(self, dir, NULL, MS_BIND | MS_REC, NULL) < 0)
                return rk_error_set_errno(reterr, errno, "binding the root of app %s", pa->a->name);
        *copy = *pa->a;
        copy->rootfs = TAKE_PTR(dir);
        pa->a = copy;
        return 0;
}

/*
 * Runs in: the helper, in its private copy of the host's mount namespace, once the app's root
 * is set up at root. Makes root the root of that namespace (pivot_root(), the host's mounts
 * detached, as they would be when the helper exits) and returns a descriptor of the
 * namespace, opened through procfd (the host's /proc): it then holds the app's mounts only,
 * and the app's processes copy it (enter_root_ns()) instead of the pod's, which holds every
 * app's. Returns the descriptor or -errno.
 */
static int app_namespace(const char *root, int procfd)
{
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        int fd;

        if (rootfd < 0 || fchdir(rootfd) < 0)
                return -errno;
        if (syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
                return -errno;
        fd = openat(procfd, "self/ns/mnt", O_RDONLY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

/*
 * Runs in: the helper, outside the pod's pid namespace (the host's mount namespace until
 * here). Joins the pod's namespaces but the pid one, prepares the app's root as the pod init
 * does (host paths visible in a private copy of the host's mount namespace), makes that copy
 * the app's own namespace (app_namespace()), moves a copy of the app's root into the pod's
 * mount namespace, then forks the monitor and exits.
 */
_noreturn_ static void helper_main(struct pod_plan *p, int nsfds[], int sock)
{
        struct plan_app *pa = &p->apps[0];
        struct stage1_app pinned;
        struct rk_error *e = NULL;
        _cleanup_close_ int tree = -EBADF, procfd = -EBADF, target = -EBADF;
        pid_t pid;
        int r;

        for (size_t i = 0; i < N_NS; i++)
                if (i != NS_PID && i != NS_MNT && nsfds[i] >= 0 && setns(nsfds[i], 0) < 0)
                        helper_fail_errno(sock, "joining a namespace of the pod");
        if (p->into_cgroup) /* born in the cgroup2 one (fork_helper()) */
                p->init_cgfds[p->cg2] = -1;
        if (cgroups_attach_fds(p->init_cgfds, p->cg.n, 0) < 0)
                helper_fail_errno(sock, "joining the pod's init.scope");
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                helper_fail_errno(sock, "creating a mount namespace");
        p->proc_pidns_fd = nsfds[NS_PID]; /* the apps' /proc */
        if (pin_app_root(pa, p->pod, &pinned, &e) < 0 || pod_mounts_setup_app(p, pa, &e) < 0)
                helper_fail(sock, e);
        tree = open_tree(AT_FDCWD, pa->a->rootfs,
                         OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (tree < 0)
                helper_fail_errno(sock, "cloning the app's root");
        procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (procfd < 0)
                helper_fail_errno(sock, "opening /proc");
        pa->mntns_fd = app_namespace(pa->a->rootfs, procfd);
        if (pa->mntns_fd < 0) {
                errno = -pa->mntns_fd;
                helper_fail_errno(sock, "making the app's mount namespace");
        }
        if (keyrings_new_session() < 0) /* not the session keyring of rkt app start */
                helper_fail_errno(sock, "creating a session keyring");
        /* nothing of the app enters the pod before its cgroups exist: a start that fails
         * leaves it as it was */
        r = recv_app_cgroups(sock, p);
        if (r == -EPIPE)
                _exit(254); /* rkt app start failed and says why */
        if (r < 0) {
                errno = -r;
                helper_fail_errno(sock, "receiving the app's cgroups");
        }
        if (prep.listen_fd >= 0) { /* prepared: app_start comes later */
                safe_close(sock);
                sock = await_start(p, procfd);
        }
        if (setns(nsfds[NS_MNT], CLONE_NEWNS) < 0 || chdir("/") < 0)
                helper_fail_errno(sock, "joining the pod's mount namespace");
        detach_all(procfd, pa->a->rootfs_in_pod);
        target = open_in_root(pa->a->rootfs_in_pod);
        if (target < 0) {
                errno = -target;
                helper_fail_errno(sock, "opening the app's root in the pod");
        }
        if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                helper_fail_errno(sock, "mounting the app's root in the pod");
        pid = fork();
        if (pid < 0) {
                int saved = errno;
                detach_all(procfd, pa->a->rootfs_in_pod);
                errno = saved;
                helper_fail_errno(sock, "forking the app's monitor");
        }
        if (pid == 0) {
                tree = safe_close(tree);
                target = safe_close(target);
                procfd = safe_close(procfd);
                monitor_main(p, sock, nsfds[NS_PID]);
        }
        _exit(0);
}

/*
 * The pod's namespaces of pid (all of them opened before joining any), each the one the pod
 * was made with (pod-ns.h; cwd = P): an app allowed to trace the pod init can make it
 * unshare others.
 */
static int open_namespaces(pid_t pid, int fds[], struct rk_error **reterr)
{
        for (size_t i = 0; i < N_NS; i++)
                fds[i] = -EBADF;
        for (size_t i = 0; i < N_NS; i++) {
                _cleanup_free_ char *path = xasprintf("/proc/%d/ns/%s", (int)pid, ns_names[i]);
                int r;
                fds[i] = open(path, O_RDONLY | O_CLOEXEC);
                if (fds[i] < 0 && (i == NS_PID || i == NS_MNT))
                        return rk_error_set_errno(reterr, errno, "opening %s", path);
                if (fds[i] < 0)
                        continue;
                r = pod_ns_check(AT_FDCWD, ns_names[i], fds[i]);
                if (r == -ESTALE)
                        return rk_error_set(reterr, ESTALE,
                                            "the pod's %s namespace is not the one it was made "
                                            "with: not starting the app",
                                            ns_names[i]);
                if (r < 0 && r != -ENOENT)
                        return rk_error_set_errno(reterr, -r, "checking the pod's %s namespace",
                                                  ns_names[i]);
        }
        return 0;
}

/*
 * Reads the helper's and the monitor's reports: "ok" from the monitor, whose pid (in our
 * namespace) comes with it, or an error. Returns the monitor's pid or < 0 with reterr set.
 */
static pid_t read_reports(int sock, struct rk_error **reterr)
{
        for (;;) {
                char buf[4096], cbuf[CMSG_SPACE(sizeof(struct ucred))];
                struct iovec iov = {buf, sizeof(buf) - 1};
                struct msghdr mh = {.msg_iov = &iov,
                                    .msg_iovlen = 1,
                                    .msg_control = cbuf,
                                    .msg_controllen = sizeof(cbuf)};
                ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return rk_error_set(reterr, EIO, "the app's monitor exited");
                buf[n] = 0;
                if (strcmp(buf, "ok") != 0)
                        return rk_error_set(reterr, EIO, "%s", buf);
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
                                struct ucred uc;
                                memcpy(&uc, CMSG_DATA(c), sizeof(uc));
                                return uc.pid;
                        }
                return rk_error_set(reterr, EIO, "no pid from the app's monitor");
        }
}

/* The pid of a started app's monitor in P/appsinfo/<app>/monitor-pid. */
static int record_monitor(const char *app, pid_t monitor, struct rk_error **reterr)
{
        _cleanup_free_ char *mon = xasprintf("appsinfo/%s/monitor-pid", app);
        int r = write_int_file_at(AT_FDCWD, mon, monitor);

        return r < 0 ? rk_error_set_errno(reterr, -r, "recording the monitor of app %s", app) : 0;
}

/*
 * fork() for the helper, which starts in the pod's init.scope cgroup2 cgroup where the
 * kernel can (clone_into_cgroup()); then the monitor's children start in the app's alike
 * (fork_app()), if it is fresh (recv_app_cgroups()). Sets p->into_cgroup.
 */
static pid_t fork_helper(struct pod_plan *p)
{
        bool usable = p->cg2 >= 0 && p->init_cgfds[p->cg2] >= 0;

        return clone_into_cgroup(0, usable ? p->init_cgfds[p->cg2] : -1, &p->into_cgroup);
}

/* The pod init's stdout and stderr (the output of rkt app sandbox) in out[]. */
static int pod_output(int pidfd, int out[2], struct rk_error **reterr)
{
        for (int i = 0; i < 2; i++) {
                out[i] = (int)syscall(SYS_pidfd_getfd, pidfd, 1 + i, 0);
                if (out[i] < 0)
                        return rk_error_set_errno(reterr, errno, "getting the pod's output");
        }
        return 0;
}

/* Makes fds[] this process's stdout and stderr; returns copies of the old ones in saved[]. */
static void swap_output(const int fds[2], int saved[2])
{
        for (int i = 0; i < 2; i++) {
                if (saved)
                        saved[i] = fcntl(1 + i, F_DUPFD_CLOEXEC, 3);
                (void)dup2(fds[i], 1 + i);
        }
}

/* The app's log writer, forwarding to the pod's output (where rkt run's apps write). */
static int start_logs_to(struct pod_plan *p, const int out[2], struct rk_error **reterr)
{
        int saved[2], r;

        fflush(NULL);
        swap_output(out, saved);
        r = start_logs(p, reterr);
        swap_output(saved, NULL);
        safe_close(saved[0]);
        safe_close(saved[1]);
        return r;
}

/*
 * The pod's cgroup record read (one naming another cgroup refused) and its init pinned
 * (*ret_pidfd, *ret_pid). Returns 0 or < 0 with reterr set ("the pod is not running").
 */
static int running_pod(struct pod_plan *p, int *ret_pidfd, pid_t *ret_pid, struct rk_error **reterr)
{
        int r = cgroup_read_subcgroup(&p->cg_pod, reterr);

        if (r == -EPERM)
                return r; /* other errors: no record, the pod does not run */
        *ret_pidfd = pod_pidfd(p, ret_pid);
        if (*ret_pidfd < 0)
                return rk_error_set(reterr, ESRCH, "the pod is not running");
        return 0;
}

/*
 * What both ways of a start (ctl_start(), prepare_start()) do first: the pod init pinned
 * (*ret_pidfd), the app planned, its cgroup hierarchies and the pod's namespaces (nsfds[],
 * checked, pod-ns.h). Returns 0 or < 0 with reterr set.
 */
static int start_plan(struct pod_plan *p, int *ret_pidfd, int nsfds[], struct rk_error **reterr)
{
        _cleanup_close_ int s1fd = -EBADF;
        pid_t pod_pid = 0;
        int r;

        for (size_t i = 0; i < N_NS; i++)
                nsfds[i] = -EBADF;
        r = running_pod(p, ret_pidfd, &pod_pid, reterr);
        if (r < 0)
                return r;
        s1fd = open(p->pod->stage1_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (s1fd < 0)
                return rk_error_set_errno(reterr, errno, "opening the stage1 rootfs");
        p->resolv_from_net = strcmp(p->args.resolv_mode, "default") == 0 &&
                             faccessat(s1fd, "etc/rkt-resolv.conf", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
        r = plan_app(p, &p->apps[0], reterr);
        if (r >= 0)
                r = init_cgroups(p, reterr);
        if (r >= 0)
                r = open_namespaces(pod_pid, nsfds, reterr);
        if (r >= 0 && !pidfd_running(*ret_pidfd)) /* the namespaces were the pod's */
                r = rk_error_set(reterr, ESRCH, "the pod is not running");
        return r;
}

/*
 * Forks the helper (helper_main()) of a planned start, its output out[] (the pod's), and the
 * app's I/O made (the monitor's); *ret_sock our end of the helper's socket. Returns the
 * helper's pid or < 0 with reterr set.
 */
static pid_t start_helper(struct pod_plan *p, int nsfds[], const int out[2], int *ret_sock,
                          struct rk_error **reterr)
{
        struct plan_app *pa = &p->apps[0];
        int sv[2], r;
        pid_t helper;

        p->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (p->null_fd < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return rk_error_set_errno(reterr, errno, "preparing the app's monitor");
        if (setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int)) < 0)
                r = rk_error_set_errno(reterr, errno, "preparing the app's monitor");
        else
                r = app_io_prepare(p->pod->dir, pa->a->name, &pa->io, reterr);
        if (r < 0) {
                safe_close(sv[0]);
                safe_close(sv[1]);
                return r;
        }
        fflush(NULL);
        helper = fork_helper(p);
        if (helper < 0) {
                safe_close(sv[0]);
                safe_close(sv[1]);
                app_io_discard(&pa->io);
                return rk_error_set_errno(reterr, errno, "forking");
        }
        if (helper == 0) {
                safe_close(sv[0]);
                swap_output(out, NULL); /* the pod's output, not rkt app start's */
                (void)dup2(p->null_fd, STDIN_FILENO);
                helper_main(p, nsfds, sv[1]);
        }
        safe_close(sv[1]);
        app_io_discard(&pa->io); /* the monitor's now */
        *ret_sock = sv[0];
        return helper;
}

/*
 * A start's records (S1/rkt/status, in *ret_statusfd): a former run's removed, whatever they
 * are (an app that may trace the pod init reaches S1 and may have put a directory there,
 * which a record would never replace); a start that fails leaves the app "created".
 */
static int start_records(const struct pod_plan *p, const char *app, int *ret_statusfd,
                         struct rk_error **reterr)
{
        _cleanup_close_ int s1fd = open(p->pod->stage1_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *started = xasprintf("%s-started", app);
        int fd = s1fd < 0 ? -errno : app_status_dir_open(s1fd);

        if (fd < 0)
                return rk_error_set_errno(reterr, -fd, "opening S1/%s", APP_STATUS_DIR);
        (void)rm_rf_at(fd, app);
        (void)rm_rf_at(fd, started);
        *ret_statusfd = fd;
        return 0;
}

/* The start's record, written before the app can run: written after, a record that cannot
 * be written (an app may reach S1) failed a start whose app ran on. */
static int record_started(int statusfd, const char *app, struct rk_error **reterr)
{
        _cleanup_free_ char *started = xasprintf("%s-started", app);
        int r = write_state_file_at(statusfd, started, "", 0, 0644);

        return r < 0 ? rk_error_set_errno(reterr, -r, "recording the start of app %s", app) : 0;
}

/* Undoes record_started(): the app is still "created". */
static void unrecord_started(int statusfd, const char *app)
{
        _cleanup_free_ char *started = xasprintf("%s-started", app);

        (void)rm_rf_at(statusfd, started);
}

/* The monitor's report on sock (read_reports()): its pid recorded, or the start undone. */
static int await_monitor(int sock, int statusfd, const char *app, struct rk_error **reterr)
{
        pid_t monitor = read_reports(sock, reterr);

        if (monitor < 0) {
                unrecord_started(statusfd, app);
                return monitor;
        }
        return record_monitor(app, monitor, reterr);
}

/*
 * app_start of a prepared app (conn: its preparer's connection): its start recorded and its
 * logs started as in the other way, then "go"; the monitor's report as in the other way.
 * Returns -ECONNRESET, reterr untouched, when the preparer did not take the connection:
 * the caller does it all itself.
 */
static int start_prepared(const struct ctl_args *ca, int conn, struct rk_error **reterr)
{
        pid_t parent = getppid(); /* stage0, which holds P/pod.lck */
        struct pod_plan p = {0};
        _cleanup_close_ int sock = conn, pidfd = -EBADF, statusfd = -EBADF;
        int out[2] = {-1, -1}, r;
        pid_t pod_pid = 0;

        r = load(&p, ca->app, reterr);
        if (r < 0)
                return r;
        r = running_pod(&p, &pidfd, &pod_pid, reterr);
        if (r < 0)
                return r;
        r = start_records(&p, ca->app, &statusfd, reterr);
        if (r < 0)
                return r;
        r = prepared_taken(sock);
        if (r < 0)
                return r;
        /* stage0 (its P/pod.lck) went while the preparation ran: another start may run */
        if (getppid() != parent)
                return rk_error_set(reterr, ESRCH, "rkt app start went away: not starting app %s",
                                    ca->app);
        r = pod_output(pidfd, out, reterr);
        if (r >= 0)
                r = start_logs_to(&p, out, reterr);
        safe_close(out[0]);
        safe_close(out[1]);
        if (r >= 0)
                r = record_started(statusfd, ca->app, reterr);
        if (r >= 0 && (r = prepared_send_go(sock, &p.logs)) < 0) {
                unrecord_started(statusfd, ca->app);
                r = rk_error_set_errno(reterr, -r, "starting app %s", ca->app);
        }
        app_logs_close_writers(&p.logs);
        return r < 0 ? r : await_monitor(sock, statusfd, ca->app, reterr);
}

/*
 * Runs in: the preparer, app_add's child, its stdio /dev/null (not rkt app add's output,
 * which its caller may read to the end). What app_start does up to its helper's wait: the
 * app planned, the helper forked, the app's cgroups made and sent to it; then it exits, the
 * helper waits. On a failure it ends (with its helper): app start does it all itself.
 */
_noreturn_ static void preparer_main(struct pod_plan *p)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        int nsfds[N_NS], out[2] = {-1, -1}, pidfd = -EBADF, sock = -EBADF, r;
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        bool fresh = false;
        pid_t helper;

        for (int i = 0; i < 3 && null >= 0; i++)
                (void)dup2(null, i);
        safe_close(null);
        (void)setsid(); /* no signal to app add's process group reaches it */
        (void)prctl(PR_SET_NAME, "app_prepare");
        r = start_plan(p, &pidfd, nsfds, &e);
        prep.pod_fd = pidfd;
        if (r >= 0)
                r = pod_output(pidfd, out, &e);
        if (r < 0)
                _exit(0);
        helper = start_helper(p, nsfds, out, &sock, &e);
        if (helper < 0)
                _exit(0);
        r = app_cgroups(p, &fresh, &e);
        if (r < 0) {
                (void)kill(helper, SIGKILL);
                (void)wait_for_pid(helper, NULL);
                _exit(0);
        }
        if (send_app_cgroups(sock, p, fresh) < 0)
                (void)shutdown(sock, SHUT_WR);
        _exit(0);
}

/*
 * app_add: forks the app's preparer (see above), unless the app's I/O is attachable (app
 * start makes its endpoints). Best effort: an app start without one does it all itself.
 */
static void prepare_start(struct pod_plan *p)
{
        const struct stage1_app *a = p->apps[0].a;
        _cleanup_(rk_error_freep) struct rk_error *ignored = NULL;
        struct app_io io = {0};
        int listen_fd;
        pid_t pid;

        if (app_io_modes(&a->pod_app->annotations, a->name, &io, &ignored) < 0 ||
            app_io_attachable(&io))
                return;
        listen_fd = prepared_listen(a->name);
        if (listen_fd < 0)
                return;
        fflush(NULL);
        pid = fork();
        if (pid == 0) {
                prep.listen_fd = listen_fd;
                preparer_main(p);
        }
        safe_close(listen_fd);
}

/* app_add: the app's environment, S1/rkt/env/<app> (what `rkt enter` gives it too), and
 * its preparer. */
static int ctl_add(const struct ctl_args *ca, struct rk_error **reterr)
{
        struct pod_plan p = {0};
        _cleanup_close_ int s1fd = -EBADF;
        _cleanup_strv_free_ char **env = NULL;
        int r;

        r = load(&p, ca->app, reterr);
        if (r < 0)
                return r;
        s1fd = open(p.pod->stage1_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (s1fd < 0)
                return rk_error_set_errno(reterr, errno, "opening the stage1 rootfs");
        env = app_env_build(p.apps[0].a->app, ca->app);
        r = app_env_write(s1fd, ca->app, env);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "writing environment of app %s", ca->app);
        prepare_start(&p);
        return 0;
}

static int ctl_start(const struct ctl_args *ca, struct rk_error **reterr)
{
        struct pod_plan p = {0};
        _cleanup_close_ int pidfd = -EBADF, statusfd = -EBADF, sock = -EBADF;
        int nsfds[N_NS], out[2] = {-1, -1}, r;
        pid_t helper;
        bool fresh = false;

        sock = prepared_connect(ca->app);
        if (sock >= 0 && (r = start_prepared(ca, TAKE_FD(sock), reterr)) != -ECONNRESET)
                return r;
        r = load(&p, ca->app, reterr);
        if (r >= 0)
                r = start_plan(&p, &pidfd, nsfds, reterr);
        if (r >= 0)
                r = pod_output(pidfd, out, reterr);
        if (r >= 0)
                r = start_logs_to(&p, out, reterr);
        if (r >= 0)
                r = start_records(&p, ca->app, &statusfd, reterr);
        helper = r < 0 ? r : start_helper(&p, nsfds, out, &sock, reterr);
        safe_close(out[0]);
        safe_close(out[1]);
        app_logs_close_writers(&p.logs);
        if (helper < 0)
                return (int)helper;
        /* the helper sets up the app's mounts meanwhile, then waits for these */
        r = app_cgroups(&p, &fresh, reterr);
        if (r >= 0)
                r = record_started(statusfd, ca->app, reterr);
        if (r < 0) {
                sock = safe_close(sock); /* the helper goes */
                (void)wait_for_pid(helper, NULL);
                return r;
        }
        /* a helper that failed already has said why (read_reports()); one still waiting
         * ends at the end of our sending */
        if (send_app_cgroups(sock, &p, fresh) < 0)
                (void)shutdown(sock, SHUT_WR);
        r = await_monitor(sock, statusfd, ca->app, reterr);
        (void)wait_for_pid(helper, NULL);
        return r;
}

/* The app's monitor, pinned: it runs in init.scope of the pod's cgroup sub (NULL: none);
 * -ESRCH when gone. */
static int monitor_pidfd(const char *sub, const char *app)
{
        _cleanup_free_ char *init = NULL;
        _cleanup_free_ char *mon = xasprintf("appsinfo/%s/monitor-pid", app);
        long pid = 0;

        if (!sub || read_long_at(AT_FDCWD, mon, READ_LONG_STRICT, &pid) < 0 || pid <= 0)
                return -ESRCH;
        init = xasprintf("%s/init.scope", sub);
        return cgroup_pidfd_in((pid_t)pid, init);
}

/* app_stop: SIGTERM to the app's monitor, which stops the app; waits for it to finish. */
static int ctl_stop(const struct ctl_args *ca, struct rk_error **reterr)
{
        _cleanup_free_ char *sub = NULL;
        int r = cgroup_read_subcgroup(&sub, reterr);

        if (r == -EPERM)
                return r; /* other errors: no record, the app does not run */
        _cleanup_close_ int pidfd = monitor_pidfd(sub, ca->app);
        struct pollfd pfd = {.fd = pidfd, .events = POLLIN};

        if (pidfd == -ESRCH)
                return 0; /* not running */
        if (pidfd < 0)
                return rk_error_set_errno(reterr, -pidfd, "finding the monitor of app %s", ca->app);
        r = pidfd_signal(pidfd, SIGTERM);
        if (r < 0 && r != -ESRCH)
                return rk_error_set_errno(reterr, -r, "stopping app %s", ca->app);
        while (poll(&pfd, 1, (STOP_TIMEOUT_SEC + 5) * 1000) < 0 && errno == EINTR)
                ;
        if (pidfd_running(pidfd))
                return rk_error_set(reterr, ETIMEDOUT, "app %s did not stop", ca->app);
        return 0;
}

/*
 * The directories between the app's cgroup rel and the pod's (included) that the app's
 * start created and nothing uses any longer (a v1 controller only the app joined): rmdir
 * refuses a cgroup with children or processes, so the pod's own stay.
 */
static void remove_empty_parents(const struct cgroups *cg, const char *rel, const char *pod)
{
        _cleanup_free_ char *dir = xstrdup(rel);

        for (char *slash; (slash = strrchr(dir, '/')) && strlen(dir) > strlen(pod);) {
                *slash = 0;
                for (size_t i = 0; i < cg->n; i++) {
                        _cleanup_free_ char *path = xasprintf("%s/%s", cg->h[i].path, dir);
                        (void)rmdir(path);
                }
        }
}

/* app_rm: stops the app (or its preparer), detaches its root in the pod, removes its cgroup
 * and the directory of its attach endpoints. */
static int ctl_rm(const struct ctl_args *ca, struct rk_error **reterr)
{
        struct pod_plan p = {0};
        _cleanup_free_ char *rel = NULL;
        struct cgroups cg = {0};
        int nsfds[N_NS] = {-1, -1, -1, -1, -1, -1}, r;
        pid_t pod_pid = 0, pid;

        r = ctl_stop(ca, reterr);
        if (r < 0)
                return r;
        prepared_stop(ca->app, (STOP_TIMEOUT_SEC + 5) * 1000);
        r = load(&p, ca->app, reterr);
        if (r < 0)
                return r;
        r = cgroup_read_subcgroup(&p.cg_pod, reterr);
        if (r == -EPERM)
                return r; /* other errors: no record, the pod does not run */
        _cleanup_close_ int pidfd = pod_pidfd(&p, &pod_pid);
        _cleanup_close_ int procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_(rk_error_freep) struct rk_error *ignored = NULL;
        if (pidfd >= 0 && procfd >= 0 && open_namespaces(pod_pid, nsfds, &ignored) >= 0 &&
            pidfd_running(pidfd)) {
                r = safe_fork("app-rm", FORK_LOG, &pid);
                if (r == 0) {
                        if (setns(nsfds[NS_MNT], CLONE_NEWNS) < 0)
                                _exit(1);
                        detach_all(procfd, p.apps[0].a->rootfs_in_pod);
                        _exit(0);
                }
                if (r > 0)
                        (void)wait_for_pid(pid, NULL);
        }
        for (size_t i = 0; i < N_NS; i++)
                safe_close(nsfds[i]);
        if (p.cg_pod && cgroups_detect(&cg) >= 0) {
                rel = cgroup_app_path(p.cg_pod, ca->app);
                (void)cgroups_remove(&cg, rel);
                remove_empty_parents(&cg, rel, p.cg_pod);
                cgroups_done(&cg);
        }
        app_io_remove(AT_FDCWD, ca->app);
        return 0;
}

int app_ctl_main(int argc, char **argv)
{
        static const int stdio[] = {0, 1, 2};
        struct ctl_args a = {0};
        struct rk_error *e = NULL;
        int r;

        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
                fprintf(stderr, "stage1: making the process non-dumpable: %m\n");
                return 254;
        }
        close_all_fds_except(stdio, ELEMENTSOF(stdio));
        log_set_prefix("stage1");
        if (parse_args(argc, argv, &a, &e) < 0)
                die(e);
        log_set_max_level(a.debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARNING);
        if (strcmp(a.op, "add") == 0)
                r = ctl_add(&a, &e);
        else if (strcmp(a.op, "start") == 0)
                r = ctl_start(&a, &e);
        else if (strcmp(a.op, "stop") == 0)
                r = ctl_stop(&a, &e);
        else if (strcmp(a.op, "rm") == 0)
                r = ctl_rm(&a, &e);
        else
                r = rk_error_set(&e, EINVAL, "unknown app entrypoint app_%s", a.op);
        if (r < 0)
                die(e);
        return 0;
}
