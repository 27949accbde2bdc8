/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stands in for a stage1 entrypoint in test_entrypoint_spawn.py: records how it was started
 * (its blocked and ignored signals, every open descriptor and its target, its working
 * directory) in DUMPDIR/<name>-<pid>, then executes <its dir>/.orig/<name> with the same
 * arguments and environment.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void record_fds(FILE *out)
{
        DIR *d = opendir("/proc/self/fd");
        struct dirent *e;

        if (!d)
                return;
        while ((e = readdir(d))) {
                char path[300], target[4096];
                ssize_t n;
                if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
                        continue;
                snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
                n = readlink(path, target, sizeof(target) - 1);
                target[n < 0 ? 0 : n] = '\0';
                fprintf(out, "fd %s -> %s\n", e->d_name, target);
        }
        closedir(d);
}

int main(int argc, char **argv)
{
        char self[4096], cwd[4096], dump[4600], orig[4200], line[512], *fds = NULL;
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        size_t fds_len = 0;
        FILE *out, *status;

        (void)argc;
        self[n < 0 ? 0 : n] = '\0';
        out = open_memstream(&fds, &fds_len); /* no descriptor: the list is the caller's */
        if (!out)
                return 126;
        record_fds(out);
        fclose(out);
        char *name = strdup(self), *dir = strdup(self);
        snprintf(dump, sizeof(dump), "%s/%s-%d", DUMPDIR, basename(name), (int)getpid());
        out = fopen(dump, "we");
        if (!out)
                return 126;
        fprintf(out, "ep=%s\n", self);
        status = fopen("/proc/self/status", "re");
        while (status && fgets(line, sizeof(line), status))
                if (strncmp(line, "SigBlk", 6) == 0 || strncmp(line, "SigIgn", 6) == 0)
                        fputs(line, out);
        if (status)
                fclose(status);
        fputs(fds, out);
        fprintf(out, "cwd=%s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "?");
        fclose(out);
        snprintf(orig, sizeof(orig), "%s/.orig/%s", dirname(dir), basename(name));
        execv(orig, argv);
        return 127;
}
