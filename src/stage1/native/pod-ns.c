/* SPDX-License-Identifier: Apache-2.0 */
/* P/namespaces: "<name> <dev> <ino>" per line (pod-ns.h). */
#include "pod-ns.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fd-util.h"
#include "fs-util.h"
#include "macro.h"
#include "strbuf.h"

#define POD_NS_FILE "namespaces"

static const char *const names[] = {"cgroup", "ipc", "uts", "net", "pid", "mnt", "user"};

static int ns_stat(pid_t pid, const char *name, struct stat *st)
{
        char path[64];

        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, name);
        return stat(path, st) < 0 ? -errno : 0;
}

int pod_ns_record(int podfd, pid_t pid, int netns_fd, int userns_fd)
{
        struct strbuf sb = {0};
        int r = 0;

        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(names); i++) {
                struct stat st;
                char line[96];
                if (strcmp(names[i], "user") == 0 && userns_fd >= 0)
                        r = fstat(userns_fd, &st) < 0 ? -errno : 0;
                else if (strcmp(names[i], "net") == 0 && netns_fd >= 0)
                        r = fstat(netns_fd, &st) < 0 ? -errno : 0;
                else
                        r = ns_stat(pid, names[i], &st);
                snprintf(line, sizeof(line), "%s %llu %llu\n", names[i],
                         (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
                if (r >= 0)
                        strbuf_add(&sb, line, strlen(line));
        }
        if (r >= 0)
                r = write_file_replace_at(podfd, POD_NS_FILE, strbuf_str(&sb), sb.len, 0600, 0);
        strbuf_release(&sb);
        return r;
}

int pod_ns_check(int podfd, const char *name, int nsfd)
{
        _cleanup_free_ char *text = NULL;
        struct stat st;
        int r = read_regular_file_at(podfd, POD_NS_FILE, 4096, &text, NULL);

        if (r < 0)
                return r;
        if (fstat(nsfd, &st) < 0)
                return -errno;
        for (char *line = text; line && *line;) {
                char *next = strchr(line, '\n'), word[16];
                unsigned long long dev, ino;
                if (next)
                        *next++ = '\0';
                if (sscanf(line, "%15s %llu %llu", word, &dev, &ino) == 3 &&
                    strcmp(word, name) == 0)
                        return dev == (unsigned long long)st.st_dev &&
                                               ino == (unsigned long long)st.st_ino
                                       ? 0
                                       : -ESTALE;
                line = next;
        }
        return -ENOENT;
}
