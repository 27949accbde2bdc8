/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A hostile app for test_escapes_ptrace.py, run in a pod with CAP_SYS_PTRACE: for up to
 * argv[1] seconds it watches the pod's /proc for a process holding capabilities the app
 * does not have (effective or bounding set) and tries to attach to it. Attaching is the
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

static int caps(const char *pid, unsigned long long *eff, unsigned long long *bnd)
{
        char path[64], line[256];
        FILE *f;
        int n = 0;

        snprintf(path, sizeof(path), "/proc/%s/status", pid);
        f = fopen(path, "re");
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f)) {
                if (sscanf(line, "CapEff: %llx", eff) == 1 || sscanf(line, "CapBnd: %llx", bnd) == 1)
                        n++;
        }
        fclose(f);
        return n == 2 ? 0 : -1;
}

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
        unsigned long long my_eff = 0, my_bnd = 0;
        double end = now() + (argc > 1 ? atof(argv[1]) : 3.0);
        char self[32];

        snprintf(self, sizeof(self), "%d", (int)getpid());
        if (caps("self", &my_eff, &my_bnd) < 0)
                return 2;
        printf("READY\n");
        fflush(stdout);
        while (now() < end) {
                DIR *d = opendir("/proc");
                struct dirent *de;

                if (!d)
                        return 2;
                while ((de = readdir(d))) {
                        unsigned long long eff = 0, bnd = 0;

                        if (de->d_name[0] < '1' || de->d_name[0] > '9' ||
                            strcmp(de->d_name, self) == 0 || caps(de->d_name, &eff, &bnd) < 0)
                                continue;
                        if (!(eff & ~my_eff) && !(bnd & ~my_bnd))
                                continue;
                        if (ptrace(PTRACE_SEIZE, atoi(de->d_name), 0, 0) == 0) {
                                printf("ESCAPE pid %s CapEff %llx CapBnd %llx (mine %llx %llx)\n",
                                       de->d_name, eff, bnd, my_eff, my_bnd);
                                return 1;
                        }
                }
                closedir(d);
        }
        printf("CLEAN\n");
        return 0;
}
