/* SPDX-License-Identifier: Apache-2.0 */
/* Final app setup and exec. Runs in: app child, just before execve(). */
#include "app-exec.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "elf-check.h"
#include "fd-util.h"
#include "fs-util.h"
#include "keyrings.h"
#include "process-util.h"
#include "strv.h"

void app_exec_params_from_isolators(struct app_exec_params *p, const struct ac_app *app)
{
        for (size_t i = 0; i < app->n_isolators; i++) {
                const struct ac_isolator *iso = &app->isolators[i];
                if (iso->kind == AC_ISOLATOR_NO_NEW_PRIVILEGES)
                        p->no_new_privs = iso->no_new_privileges;
                else if (iso->kind == AC_ISOLATOR_OOM_SCORE_ADJ) {
                        p->has_oom_score_adj = true;
                        p->oom_score_adj = iso->oom_score_adj;
                }
        }
}

int app_listen_fds(const struct ac_app *app, int n_available, char ***env)
{
        bool wants = false;

        for (size_t i = 0; i < app->n_ports; i++)
                wants |= app->ports[i].socket_activated;
        if (!wants || n_available <= 0)
                return 0;
        strv_consume(env, xasprintf("LISTEN_FDS=%d", n_available));
        strv_push(env, "LISTEN_PID=0");
        return n_available;
}

_noreturn_ static void fail(const struct app_exec_params *p, int r, const char *what)
{
        fprintf(stderr, "%s: %s: %s\n", p->prefix, what, strerror(-r));
        _exit(254);
}

static int write_oom_score_adj(int v)
{
        char buf[16];
        int len = snprintf(buf, sizeof(buf), "%d", v);
        _cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        return write_full(fd, buf, (size_t)len);
}

/*
 * A rootless pod of a user without subordinate ids runs in a user namespace where
 * setgroups() is denied: its apps keep the user's own groups (shown as nobody).
 */
static int set_groups(const struct app_creds *c)
{
        char state[16] = "";
        _cleanup_close_ int fd = -EBADF;

        if (setgroups(c->n_groups, c->groups) >= 0)
                return 0;
        if (errno != EPERM)
                return -errno;
        fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read(fd, state, sizeof(state) - 1) < 0 || strncmp(state, "deny", 4) != 0)
                return -EPERM;
        return 0;
}

/* Groups, gid and uid; the capabilities the app keeps stay permitted (caps_prepare()). */
static int set_ids(const struct app_exec_params *p)
{
        const struct app_creds *c = p->creds;

        if (p->set_caps && caps_prepare(p->caps, c->uid) < 0)
                return -errno;
        if (set_groups(c) < 0 || setresgid(c->gid, c->gid, c->gid) < 0 ||
            setresuid(c->uid, c->uid, c->uid) < 0)
                return -errno;
        return 0;
}

/* The filter needs CAP_SYS_ADMIN (or no_new_privs) to load: a non-root app's effective set
 * was emptied by the uid change, so it is raised again just for this. */
static int load_seccomp(const struct app_exec_params *p)
{
        int r;

        if (!p->seccomp || !p->seccomp->enabled)
                return 0;
        if (p->creds->uid != 0 && (r = caps_raise_effective(CAP_SYS_ADMIN)) < 0)
                return r;
        return app_seccomp_load(p->seccomp);
}

/*
 * Only stdio and the socket-activated sockets stay open: a descriptor of ours (the pod
 * directory, a cgroup, a caller's) would let the app reach the host through /proc/self/fd,
 * also as its working directory (chdir below runs after this).
 */
static void close_inherited_fds(const struct app_exec_params *p)
{
        _cleanup_free_ int *keep = xnew0(int, 8 + (size_t)p->n_listen_fds);

        for (int i = 0; i < 3 + p->n_listen_fds; i++)
                keep[i] = i;
        keep[3 + p->n_listen_fds] = p->keep_fd;
        keep[4 + p->n_listen_fds] = p->userns_fd >= 3 ? p->userns_fd : -1;       /* join_userns() */
        keep[5 + p->n_listen_fds] = p->gate_fd >= 3 ? p->gate_fd : -1;           /* wait_gate() */
        keep[6 + p->n_listen_fds] = p->ready_fd >= 3 ? p->ready_fd : -1;         /* wait_gate() */
        keep[7 + p->n_listen_fds] = p->spawn_pid_fd >= 3 ? p->spawn_pid_fd : -1; /* spawn */
        close_all_fds_except(keep, 8 + (size_t)p->n_listen_fds);
        for (int i = 0; i < p->n_listen_fds; i++)
                (void)fd_set_cloexec(3 + i, false);
        for (char **e = p->envp; p->n_listen_fds > 0 && e && *e; e++)
                if (strncmp(*e, "LISTEN_PID=", 11) == 0)
                        *e = xasprintf("LISTEN_PID=%d", (int)getpid()); /* leaks: we exec */
}

/*
 * A program whose interpreter or a library is missing from the app's root: named as rkt
 * named it (its diagnostic helper's words), exit status 203; the loader would only have
 * said "error while loading shared libraries" (or execve ENOENT for the program itself).
 */
static void missing_file_exit(const char *path, char *const *envp)
{
        _cleanup_free_ char *missing = NULL;

        if (elf_find_missing(path, envp, &missing) <= 0)
                return;
        printf("Error: Unable to open \"%s\": No such file or directory\n", missing);
        fflush(stdout);
        _exit(203);
}

/*
 * --private-users: into the pod's user namespace (full capabilities there, none left in the
 * host's), as the last privileged step of the host's root; set_ids() then picks ids of the
 * namespace. Its descriptor is closed: the program never holds it.
 */
static int join_userns(const struct app_exec_params *p)
{
        if (p->userns_fd < 3)
                return 0;
        if (setns(p->userns_fd, CLONE_NEWUSER) < 0)
                return -errno;
        safe_close(p->userns_fd);
        return 0;
}

/* Says we are unprivileged; then one byte on the gate: go; its end without one: no program. */
static void wait_gate(const struct app_exec_params *p)
{
        char c;
        ssize_t n;

        if (p->ready_fd >= 3)
                safe_close(p->ready_fd);
        if (p->gate_fd < 3)
                return;
        do
                n = read(p->gate_fd, &c, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1)
                _exit(0);
        safe_close(p->gate_fd);
}

/*
 * spawn: the child, born unprivileged in the pid namespace set for our children, goes on to
 * the exec; this process, which the pod's apps cannot see, is done. CLONE_PARENT makes the
 * child our parent's, which waits for it. A raw fork-like clone: this process has one thread.
 */
static void spawn_child(const struct app_exec_params *p)
{
        long pid;

        if (!p->spawn)
                return;
        pid = syscall(SYS_clone, (unsigned long)(CLONE_PARENT | SIGCHLD), NULL, NULL, NULL, NULL);
        if (pid < 0)
                fail(p, -errno, "starting the program");
        if (pid > 0 && p->spawn_pid_fd >= 3 &&
            write(p->spawn_pid_fd, &(pid_t){(pid_t)pid}, sizeof(pid_t)) != sizeof(pid_t)) {
                (void)kill((pid_t)pid, SIGKILL); /* nobody would know it runs */
                _exit(254);
        }
        if (pid > 0)
                _exit(0);
        if (p->spawn_pid_fd >= 3)
                safe_close(p->spawn_pid_fd);
        if (p->spawn_ctty > 0 && p->spawn_ctty <= 3 &&
            (setsid() < 0 || ioctl(p->spawn_ctty - 1, TIOCSCTTY, 0) < 0))
                fail(p, -errno, "making the app's terminal its controlling terminal");
}

_noreturn_ void app_exec(const struct app_exec_params *p)
{
        int r;

        (void)signals_reset_all();
        close_inherited_fds(p);
        if (p->deny_keyrings && (r = keyrings_deny()) < 0)
                fail(p, r, "installing the system call filter");
        if (p->has_oom_score_adj && (r = write_oom_score_adj(p->oom_score_adj)) < 0)
                fail(p, r, "setting oom_score_adj");
        if ((r = join_userns(p)) < 0)
                fail(p, r, "joining the pod's user namespace");
        r = set_ids(p);
        if (r < 0)
                fail(p, r, "setting credentials");
        if (chdir(p->workdir ? p->workdir : "/") < 0)
                fail(p, -errno, "changing working directory");
        missing_file_exit(p->argv[0], p->envp);
        r = load_seccomp(p);
        if (r < 0)
                fail(p, r, "loading the seccomp filter");
        if (p->set_caps && (r = caps_finish(p->caps, p->creds->uid)) < 0)
                fail(p, r, "setting credentials");
        if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                fail(p, -errno, "setting no_new_privs");
        wait_gate(p);
        spawn_child(p);
        execve(p->argv[0], p->argv, p->envp);
        if (errno == ENOENT) {
                printf("Error: Unable to open \"%s\": No such file or directory\n", p->argv[0]);
                fflush(stdout);
                _exit(203);
        }
        fprintf(stderr, "%s: exec %s: %s\n", p->prefix, p->argv[0], strerror(errno));
        _exit(errno == EACCES ? 203 : 254);
}

int enter_root_ns(int nsfd)
{
        if (setns(nsfd, CLONE_NEWNS) < 0)
                return -errno;
        if (unshare(CLONE_NEWNS) < 0)
                return -errno;
        if (chdir("/") < 0)
                return -errno;
        return 0;
}

int enter_root_pivot(const char *root)
{
        if (unshare(CLONE_NEWNS) < 0)
                return -errno;
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return -errno;
        if (chdir(root) < 0)
                return -errno;
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return -errno;
        if (umount2(".", MNT_DETACH) < 0)
                return -errno;
        if (chdir("/") < 0)
                return -errno;
        return 0;
}
