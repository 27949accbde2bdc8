/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A hostile app for test_escapes_ptrace.py, run in a pod with CAP_SYS_PTRACE: for up to
 * argv[1] seconds it watches the pod's /proc for a process holding capabilities the app
 * does not have (effective or bounding set), or without a system call filter where the app
 * has one (the keyring filter every app has), and tries to attach to it. Attaching is the
 * escape (the tracer can then run any code with those capabilities, before any seccomp
 * filter). Prints "ESCAPE ..." and exits 1 on success, "CLEAN" and exits 0 otherwise.
 * Built statically at test time: the pod's rootfs is busybox.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <time.h>
#include <unistd.h>

struct creds {
        unsigned long long eff, bnd;
        int seccomp; /* 0: no filter */
};

static int creds(const char *pid, struct creds *c)
{
        char path[64], line[256];
        FILE *f;
        int n = 0;

        snprintf(path, sizeof(path), "/proc/%s/status", pid);
        f = fopen(path, "re");
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f)) {
                if (sscanf(line, "CapEff: %llx", &c->eff) == 1 ||
                    sscanf(line, "CapBnd: %llx", &c->bnd) == 1 ||
                    sscanf(line, "Seccomp: %d", &c->seccomp) == 1)
                        n++;
        }
        fclose(f);
        return n == 3 ? 0 : -1;
}

/* t holds what the app does not: capabilities, or no system call filter where it has one */
static int more(const struct creds *t, const struct creds *me)
{
        return (t->eff & ~me->eff) || (t->bnd & ~me->bnd) || (me->seccomp && !t->seccomp);
}

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
        struct creds me = {0};
        double end = now() + (argc > 1 ? atof(argv[1]) : 3.0);
        char self[32];

        snprintf(self, sizeof(self), "%d", (int)getpid());
        if (creds("self", &me) < 0)
                return 2;
        printf("READY\n");
        fflush(stdout);
        while (now() < end) {
                DIR *d = opendir("/proc");
                struct dirent *de;

                if (!d)
                        return 2;
                while ((de = readdir(d))) {
                        struct creds t = {0};

                        if (de->d_name[0] < '1' || de->d_name[0] > '9' ||
                            strcmp(de->d_name, self) == 0 || creds(de->d_name, &t) < 0 ||
                            !more(&t, &me))
                                continue;
                        if (ptrace(PTRACE_SEIZE, atoi(de->d_name), 0, 0) == 0) {
                                printf("ESCAPE pid %s CapEff %llx CapBnd %llx Seccomp %d "
                                       "(mine %llx %llx %d)\n",
                                       de->d_name, t.eff, t.bnd, t.seccomp, me.eff, me.bnd,
                                       me.seccomp);
                                return 1;
                        }
                }
                closedir(d);
        }
        printf("CLEAN\n");
        return 0;
}
