// SPDX-License-Identifier: Apache-2.0
/*
 * inspect: the static test payload (STYLE.md §3.7, SPEC.md §11.0).
 *
 * runs in: the app (stage2) of a test pod, the stage1 of a stub image, or on the host.
 * libc only (it is linked with -static and carries no project library), so it works in a
 * rootfs that holds nothing but this file.
 *
 * Behaviour is chosen by flags modelled on rkt's tests/inspect helper: the same flag names
 * (plus a few aliases) and the same output lines, so a test can look for the lines rkt's
 * own functional tests look for. Unlike rkt's helper, actions run in the order they are
 * given on the command line; "setting" flags (--exit-code, --suffix-msg, --file-name,
 * --content, --serve-body, ...) apply wherever they appear. Errors of the helper itself
 * print rkt's messages on stderr and exit 254. See tests/helpers/README.md for the list.
 */
#include "test-init.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <termios.h>
#include <unistd.h>

struct inspect_settings settings = {
        .serve_timeout = 30,
        .serve_count = 1,
};

static const char *target_file(void)
{
        const char *f = settings.file_name;

        if (!f || !*f)
                f = getenv("FILE");
        return f ? f : "";
}

/* ---------------------------------------------------------------- identity and caps */

/* Capability names as Go's gocapability prints them, indexed by number. */
// clang-format off
static const char *const cap_names[] = {
        "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid",
        "setuid", "setpcap", "linux_immutable", "net_bind_service", "net_broadcast",
        "net_admin", "net_raw", "ipc_lock", "ipc_owner", "sys_module", "sys_rawio",
        "sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
        "sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write",
        "audit_control", "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
        "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore"
};
// clang-format on
#define N_CAP_NAMES ((int)(sizeof(cap_names) / sizeof(cap_names[0])))

static int last_cap(void)
{
        const char *op;
        char *buf = NULL;
        int last = N_CAP_NAMES - 1;

        if (read_all("/proc/sys/kernel/cap_last_cap", &buf, NULL, &op) == 0) {
                int v = atoi(buf);

                if (v > 0 && v < last)
                        last = v;
                free(buf);
        }
        return last;
}

static const char *cap_name(int c)
{
        return c >= 0 && c < N_CAP_NAMES ? cap_names[c] : "unknown";
}

static void print_capset(const char *label, uint64_t set, int last)
{
        bool first = true;

        printf("Capability set: %s: ", label);
        for (int c = 0; c <= last; c++) {
                if (!(set & (UINT64_C(1) << c)))
                        continue;
                printf("%s%s", first ? "" : ", ", cap_name(c));
                first = false;
        }
        printf(" (%s)\n", settings.suffix_msg ? settings.suffix_msg : "");
}

static void do_print_caps(const char *arg)
{
        static const char *const keys[] = {"CapEff:", "CapPrm:", "CapInh:", "CapBnd:"};
        static const char *const labels[] = {"effective", "permitted", "inheritable", "bounding"};
        uint64_t sets[4] = {0};
        bool found[4] = {false};
        char path[64], *buf = NULL, *line, *save = NULL;
        const char *op, *cap_env;
        int pid = parse_int("print-caps-pid", arg), last = last_cap(), r;

        if (pid < 0)
                return;
        if (pid == 0)
                snprintf(path, sizeof(path), "/proc/self/status");
        else
                snprintf(path, sizeof(path), "/proc/%d/status", pid);
        r = read_all(path, &buf, NULL, &op);
        if (r < 0)
                die("Cannot get caps: %s %s: %s", op, path, go_strerror(-r));
        for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                for (int i = 0; i < 4; i++)
                        if (strncmp(line, keys[i], strlen(keys[i])) == 0) {
                                sets[i] = strtoull(line + strlen(keys[i]), NULL, 16);
                                found[i] = true;
                        }
        free(buf);
        for (int i = 0; i < 4; i++) {
                if (!found[i])
                        die("Cannot get caps: no %s line in %s", keys[i], path);
                print_capset(labels[i], sets[i], last);
        }
        cap_env = getenv("CAPABILITY");
        if (cap_env && *cap_env) {
                char *end = NULL;
                long c = strtol(cap_env, &end, 10);

                if (end == cap_env || *end != '\0' || c < 0 || c > 63)
                        die("Environment variable $CAPABILITY is not a valid capability number: "
                            "strconv.Atoi: parsing \"%s\": invalid syntax",
                            cap_env);
                printf("%s=%s (%s)\n", cap_name((int)c),
                       sets[3] & (UINT64_C(1) << c) ? "enabled" : "disabled",
                       settings.suffix_msg ? settings.suffix_msg : "");
        }
}

static int cmp_gid(const void *a, const void *b)
{
        gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;

        return x < y ? -1 : x > y;
}

static void do_print_groups(void)
{
        gid_t gids[NGROUPS_MAX + 1];
        gid_t egid = getegid();
        int n = getgroups(NGROUPS_MAX, gids);
        bool have = false;

        if (n < 0)
                die("Error getting groups: %s", go_strerror(errno));
        for (int i = 0; i < n; i++)
                have = have || gids[i] == egid;
        if (!have) {
                gids[n++] = egid;
                qsort(gids, (size_t)n, sizeof(gids[0]), cmp_gid);
        }
        printf("Groups: ");
        for (int i = 0; i < n; i++)
                printf("%u ", (unsigned)gids[i]);
        printf("\n");
}

/* ---------------------------------------------------------------- files */

static void do_write_file(void)
{
        const char *f = target_file();
        const char *c =
                settings.content && *settings.content ? settings.content : getenv("CONTENT");
        size_t len, off = 0;
        int fd;

        if (!c)
                c = "";
        len = strlen(c);
        fd = open(f, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                die_file("Cannot write to file", f, "open", errno);
        while (off < len) {
                ssize_t n = write(fd, c + off, len - off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        die_file("Cannot write to file", f, "write", errno);
                off += (size_t)n;
        }
        if (close(fd) < 0)
                die_file("Cannot write to file", f, "close", errno);
}

static void do_read_file(void)
{
        const char *f = target_file(), *op;
        char *buf = NULL;
        size_t len = 0;
        int r = read_all(f, &buf, &len, &op);

        if (r < 0)
                die_file("Cannot read file", f, op, -r);
        fputs("<<<", stdout);
        fwrite(buf, 1, len, stdout);
        fputs(">>>\n", stdout);
        free(buf);
}

/* Go's os.FileMode.String() for a stat(2) result. */
static void go_mode_string(mode_t m, char out[32])
{
        static const char rwx[] = "rwxrwxrwx";
        size_t w = 0;

        if (S_ISDIR(m))
                out[w++] = 'd';
        if (S_ISLNK(m))
                out[w++] = 'L';
        if (S_ISBLK(m) || S_ISCHR(m))
                out[w++] = 'D';
        if (S_ISFIFO(m))
                out[w++] = 'p';
        if (S_ISSOCK(m))
                out[w++] = 'S';
        if (m & S_ISUID)
                out[w++] = 'u';
        if (m & S_ISGID)
                out[w++] = 'g';
        if (S_ISCHR(m))
                out[w++] = 'c';
        if (m & S_ISVTX)
                out[w++] = 't';
        if (w == 0)
                out[w++] = '-';
        for (int i = 0; i < 9; i++)
                out[w++] = (m & (1u << (8 - i))) ? rwx[i] : '-';
        out[w] = '\0';
}

static void do_stat_file(void)
{
        const char *f = target_file();
        char mode[32];
        struct stat st;

        if (stat(f, &st) < 0)
                die_file("Cannot stat file", f, "stat", errno);
        go_mode_string(st.st_mode, mode);
        printf("%s: mode: %s\n", f, mode);
        printf("%s: user: %u\n", f, (unsigned)st.st_uid);
        printf("%s: group: %u\n", f, (unsigned)st.st_gid);
}

/* SHA-1 (FIPS 180-1), only for --hash-file. */
struct sha1 {
        uint32_t h[5];
        uint64_t len;
        unsigned char buf[64];
        size_t fill;
};

static uint32_t rol32(uint32_t x, int n)
{
        return (x << n) | (x >> (32 - n));
}

static void sha1_block(struct sha1 *s, const unsigned char *p)
{
        uint32_t w[80], a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4];

        for (int i = 0; i < 16; i++)
                w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
                       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
        for (int i = 16; i < 80; i++)
                w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        for (int i = 0; i < 80; i++) {
                uint32_t f, k, t;

                if (i < 20) {
                        f = (b & c) | (~b & d);
                        k = 0x5a827999;
                } else if (i < 40) {
                        f = b ^ c ^ d;
                        k = 0x6ed9eba1;
                } else if (i < 60) {
                        f = (b & c) | (b & d) | (c & d);
                        k = 0x8f1bbcdc;
                } else {
                        f = b ^ c ^ d;
                        k = 0xca62c1d6;
                }
                t = rol32(a, 5) + f + e + k + w[i];
                e = d;
                d = c;
                c = rol32(b, 30);
                b = a;
                a = t;
        }
        s->h[0] += a;
        s->h[1] += b;
        s->h[2] += c;
        s->h[3] += d;
        s->h[4] += e;
}

static void sha1_update(struct sha1 *s, const unsigned char *p, size_t n)
{
        s->len += n;
        while (n > 0) {
                size_t take = 64 - s->fill < n ? 64 - s->fill : n;

                memcpy(s->buf + s->fill, p, take);
                s->fill += take;
                p += take;
                n -= take;
                if (s->fill == 64) {
                        sha1_block(s, s->buf);
                        s->fill = 0;
                }
        }
}

static void sha1_digest(const unsigned char *p, size_t n, unsigned char out[20])
{
        struct sha1 s = {.h = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0}};
        unsigned char pad[72] = {0x80};
        uint64_t bits;
        size_t padlen;

        sha1_update(&s, p, n);
        bits = s.len * 8;
        padlen = (s.fill < 56 ? 56 : 120) - s.fill;
        for (int i = 0; i < 8; i++)
                pad[padlen + (size_t)i] = (unsigned char)(bits >> (56 - 8 * i));
        sha1_update(&s, pad, padlen + 8);
        for (int i = 0; i < 20; i++)
                out[i] = (unsigned char)(s.h[i / 4] >> (24 - 8 * (i % 4)));
}

static void do_hash_file(void)
{
        const char *f = target_file(), *op;
        unsigned char d[20];
        char *buf = NULL;
        size_t len = 0;
        int r = read_all(f, &buf, &len, &op);

        if (r < 0)
                die_file("Cannot read file", f, op, -r);
        sha1_digest((const unsigned char *)buf, len, d);
        free(buf);
        printf("sha1sum: ");
        for (int i = 0; i < 20; i++)
                printf("%02x", d[i]);
        printf("\n");
}

static void do_symlink_target(void)
{
        const char *f = target_file();
        char target[PATH_MAX];
        ssize_t n = readlink(f, target, sizeof(target) - 1);

        if (n < 0) {
                fflush(stdout);
                fprintf(stderr, "Cannot read file target ");
                print_quoted(stderr, f);
                fprintf(stderr, ": readlink %s: %s\n", f, go_strerror(errno));
                exit(1);
        }
        target[n] = '\0';
        printf("symlink: ");
        print_quoted(stdout, f);
        printf(" -> ");
        print_quoted(stdout, target);
        printf("\n");
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void do_list_dev(void)
{
        DIR *d = opendir("/dev");
        char **names = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;

        if (!d)
                die("Cannot list directory \"/dev\": open /dev: %s", go_strerror(errno));
        while ((de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (n == cap) {
                        char **nn;

                        cap = cap ? cap * 2 : 64;
                        nn = realloc(names, cap * sizeof(*names));
                        if (!nn)
                                die("out of memory");
                        names = nn;
                }
                names[n] = strdup(de->d_name);
                if (!names[n])
                        die("out of memory");
                n++;
        }
        closedir(d);
        qsort(names, n, sizeof(*names), cmp_str);
        for (size_t i = 0; i < n; i++) {
                printf("/dev/%s\n", names[i]);
                free(names[i]);
        }
        free(names);
}

static void do_mknod(const char *arg)
{
        /* "c:MAJOR:MINOR:PATH" (rkt's --check-mknod) or just "PATH" (char device 1:3). */
        unsigned maj = 1, min = 3;
        mode_t type = S_IFCHR;
        const char *path = arg;

        if ((arg[0] == 'c' || arg[0] == 'b') && arg[1] == ':') {
                char *end = NULL;

                type = arg[0] == 'b' ? S_IFBLK : S_IFCHR;
                maj = (unsigned)strtoul(arg + 2, &end, 10);
                if (!end || *end != ':')
                        die("Wrong major");
                min = (unsigned)strtoul(end + 1, &end, 10);
                if (!end || *end != ':')
                        die("Wrong minor");
                path = end + 1;
        } else if (strchr(arg, ':') && arg[0] != '/') {
                die("Wrong device node type");
        }
        if (!*path)
                die("Not enough parameters for mknod");
        if (mknod(path, type | 0777, makedev(maj, min)) < 0) {
                fflush(stdout);
                fprintf(stderr, "mknod %s: fail: %s\n", path, go_strerror(errno));
                exit(EXIT_HELPER_ERROR);
        }
        printf("mknod %s: succeed\n", path);
}
/* ---------------------------------------------------------------- misc actions */

static const char *sig_names[NSIG];

static void on_capture(int sig)
{
        char line[96];
        int n = snprintf(line, sizeof(line), "Received: %s\n",
                         sig_names[sig] ? sig_names[sig] : "signal");

        if (n > 0)
                write_all_fd(STDOUT_FILENO, line, (size_t)n);
}

static void on_sigterm_silent(int sig)
{
        (void)sig;
        _exit(0);
}

static void do_capture_signals(void)
{
        static char names[NSIG][64];
        struct sigaction sa = {.sa_handler = on_capture, .sa_flags = SA_RESTART};

        for (int s = 1; s < NSIG; s++) {
                const char *d = strsignal(s);

                if (s == SIGKILL || s == SIGSTOP || !d)
                        continue;
                snprintf(names[s], sizeof(names[s]), "%s", d);
                names[s][0] = (char)tolower((unsigned char)names[s][0]);
                sig_names[s] = names[s];
                (void)sigaction(s, &sa, NULL);
        }
}

static void do_silent_sigterm(void)
{
        struct sigaction sa = {.sa_handler = on_sigterm_silent};

        (void)sigaction(SIGTERM, &sa, NULL);
}

static void do_read_stdin(void)
{
        char line[4096];

        printf("Enter text:\n");
        fflush(stdout);
        if (!fgets(line, sizeof(line), stdin))
                line[0] = '\0';
        printf("Received text: %s\n", line);
}

static void do_check_path(void)
{
        const char *op;
        char *buf = NULL;
        size_t len = 0;
        int r = read_all("/proc/self/environ", &buf, &len, &op);

        if (r < 0)
                die("Error reading environment from \"/proc/self/environ\": %s", go_strerror(-r));
        for (size_t off = 0; off < len; off += strlen(buf + off) + 1) {
                if (strncmp(buf + off, "PATH=", 5) != 0)
                        continue;
                if (strchr(buf + off, '\n'))
                        die("Malformed PATH: found new line");
                printf("PATH is good\n");
                free(buf);
                return;
        }
        free(buf);
        die("PATH not found");
}

static void do_print_msg(const char *msg)
{
        const char *loop = getenv("MESSAGE_LOOP");

        printf("%s\n", msg);
        if (loop && *loop) {
                int n = atoi(loop);

                for (int i = 0; i < n; i++) {
                        sleep_seconds(1);
                        printf("%s\n", msg);
                }
        }
}

static void do_check_cwd(const char *want)
{
        char wd[PATH_MAX];

        if (!getcwd(wd, sizeof(wd)))
                die("Cannot get working directory: %s", go_strerror(errno));
        if (strcmp(wd, want) != 0)
                die("Working directory: \"%s\". Expected: \"%s\".", wd, want);
}

/* ---------------------------------------------------------------- the flag table */

enum kind { FLAG_BOOL, FLAG_VALUE };

struct flag {
        const char *name;
        enum kind kind;
        bool setting; /* applied before any action, wherever it appears */
        int id;
};

enum {
        F_EXIT_CODE,
        F_SUFFIX_MSG,
        F_FILE_NAME,
        F_CONTENT,
        F_SERVE_BODY,
        F_SERVE_TIMEOUT,
        F_SERVE_COUNT,
        F_PRE_SLEEP,
        F_SILENT_SIGTERM,
        F_CAPTURE_SIGNALS,
        F_PRINT_MSG,
        F_PRINT_EXEC,
        F_PRINT_USER,
        F_PRINT_GROUPS,
        F_PRINT_CAPS,
        F_PRINT_ENV,
        F_PRINT_CWD,
        F_CHECK_CWD,
        F_PRINT_HOSTNAME,
        F_READ_FILE,
        F_WRITE_FILE,
        F_STAT_FILE,
        F_HASH_FILE,
        F_SYMLINK_TARGET,
        F_CHECK_TTY,
        F_CHECK_PATH,
        F_PRINT_PID,
        F_PRINT_PPID,
        F_PRINT_MOUNTS,
        F_PRINT_CGROUP,
        F_MEMORY_LIMIT,
        F_CPU_QUOTA,
        F_CPU_SHARES,
        F_CHECK_CGROUPS,
        F_PRINT_NS,
        F_PRINT_NETNS,
        F_PRINT_IPCNS,
        F_CHECK_MOUNTNS,
        F_MKNOD,
        F_NO_NEW_PRIVS,
        F_SLEEP,
        F_READ_STDIN,
        F_LIST_DEV,
        F_SERVE_HTTP,
        F_GET_HTTP,
        F_PRINT_IPV4,
        F_PRINT_DEFAULT_GWV4,
        F_PRINT_GWV4,
        F_IFACE_COUNT,
        F_APP_ANNOTATION,
        F_ESCAPE_PROBE,
        F_PROBE_PROCS,
        F_EXCHANGE_LOOP,
        F_TRY_SYSCALL,
        F_PROBE_KEYRINGS
};

static const struct flag flags[] = {
        {"exit-code", FLAG_VALUE, true, F_EXIT_CODE},
        {"suffix-msg", FLAG_VALUE, true, F_SUFFIX_MSG},
        {"file-name", FLAG_VALUE, true, F_FILE_NAME},
        {"content", FLAG_VALUE, true, F_CONTENT},
        {"serve-body", FLAG_VALUE, true, F_SERVE_BODY},
        {"serve-http-timeout", FLAG_VALUE, true, F_SERVE_TIMEOUT},
        {"serve-count", FLAG_VALUE, true, F_SERVE_COUNT},
        {"pre-sleep", FLAG_VALUE, true, F_PRE_SLEEP},
        {"silent-sigterm", FLAG_BOOL, true, F_SILENT_SIGTERM},
        {"capture-signals", FLAG_BOOL, true, F_CAPTURE_SIGNALS},
        {"print-msg", FLAG_VALUE, false, F_PRINT_MSG},
        {"print-exec", FLAG_BOOL, false, F_PRINT_EXEC},
        {"print-user", FLAG_BOOL, false, F_PRINT_USER},
        {"print-groups", FLAG_BOOL, false, F_PRINT_GROUPS},
        {"print-caps-pid", FLAG_VALUE, false, F_PRINT_CAPS},
        {"print-env", FLAG_VALUE, false, F_PRINT_ENV},
        {"print-cwd", FLAG_BOOL, false, F_PRINT_CWD},
        {"check-cwd", FLAG_VALUE, false, F_CHECK_CWD},
        {"print-hostname", FLAG_BOOL, false, F_PRINT_HOSTNAME},
        {"read-file", FLAG_BOOL, false, F_READ_FILE},
        {"write-file", FLAG_BOOL, false, F_WRITE_FILE},
        {"stat-file", FLAG_BOOL, false, F_STAT_FILE},
        {"hash-file", FLAG_BOOL, false, F_HASH_FILE},
        {"file-symlink-target", FLAG_BOOL, false, F_SYMLINK_TARGET},
        {"check-tty", FLAG_BOOL, false, F_CHECK_TTY},
        {"check-path", FLAG_BOOL, false, F_CHECK_PATH},
        {"print-pid", FLAG_BOOL, false, F_PRINT_PID},
        {"print-ppid", FLAG_BOOL, false, F_PRINT_PPID},
        {"print-mounts", FLAG_BOOL, false, F_PRINT_MOUNTS},
        {"print-cgroup", FLAG_BOOL, false, F_PRINT_CGROUP},
        {"print-memory-limit", FLAG_BOOL, false, F_MEMORY_LIMIT},
        {"print-memorylimit", FLAG_BOOL, false, F_MEMORY_LIMIT},
        {"print-cpuquota", FLAG_BOOL, false, F_CPU_QUOTA},
        {"print-cpushares", FLAG_BOOL, false, F_CPU_SHARES},
        {"check-cgroups", FLAG_BOOL, false, F_CHECK_CGROUPS},
        {"print-ns", FLAG_BOOL, false, F_PRINT_NS},
        {"print-netns", FLAG_BOOL, false, F_PRINT_NETNS},
        {"print-ipcns", FLAG_BOOL, false, F_PRINT_IPCNS},
        {"check-mountns", FLAG_BOOL, false, F_CHECK_MOUNTNS},
        {"mknod", FLAG_VALUE, false, F_MKNOD},
        {"check-mknod", FLAG_VALUE, false, F_MKNOD},
        {"check-no-new-privs", FLAG_BOOL, false, F_NO_NEW_PRIVS},
        {"print-no-new-privs", FLAG_BOOL, false, F_NO_NEW_PRIVS},
        {"sleep", FLAG_VALUE, false, F_SLEEP},
        {"read-stdin", FLAG_BOOL, false, F_READ_STDIN},
        {"list-dev", FLAG_BOOL, false, F_LIST_DEV},
        {"serve-http", FLAG_VALUE, false, F_SERVE_HTTP},
        {"get-http", FLAG_VALUE, false, F_GET_HTTP},
        {"print-ipv4", FLAG_VALUE, false, F_PRINT_IPV4},
        {"print-defaultgwv4", FLAG_BOOL, false, F_PRINT_DEFAULT_GWV4},
        {"print-gwv4", FLAG_VALUE, false, F_PRINT_GWV4},
        {"print-iface-count", FLAG_BOOL, false, F_IFACE_COUNT},
        {"print-app-annotation", FLAG_VALUE, false, F_APP_ANNOTATION},
        {"escape-probe", FLAG_VALUE, false, F_ESCAPE_PROBE},
        {"probe-procs", FLAG_BOOL, false, F_PROBE_PROCS},
        {"exchange-loop", FLAG_VALUE, false, F_EXCHANGE_LOOP},
        {"try-syscall", FLAG_VALUE, false, F_TRY_SYSCALL},
        {"probe-keyrings", FLAG_BOOL, false, F_PROBE_KEYRINGS},
};

struct parsed {
        const struct flag *flag;
        const char *value; /* NULL for a bool flag */
};

static const struct flag *find_flag(const char *name, size_t len)
{
        for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
                if (strlen(flags[i].name) == len && strncmp(flags[i].name, name, len) == 0)
                        return &flags[i];
        return NULL;
}

static bool parse_bool(const char *name, const char *v)
{
        if (!v || strcmp(v, "1") == 0 || strcasecmp(v, "t") == 0 || strcasecmp(v, "true") == 0)
                return true;
        if (strcmp(v, "0") == 0 || strcasecmp(v, "f") == 0 || strcasecmp(v, "false") == 0)
                return false;
        fprintf(stderr, "invalid boolean value \"%s\" for -%s: parse error\n", v, name);
        exit(2);
}

static void apply_setting(const struct parsed *p)
{
        switch (p->flag->id) {
        case F_EXIT_CODE:
                settings.exit_code = parse_int(p->flag->name, p->value);
                break;
        case F_SUFFIX_MSG:
                settings.suffix_msg = p->value;
                break;
        case F_FILE_NAME:
                settings.file_name = p->value;
                break;
        case F_CONTENT:
                settings.content = p->value;
                break;
        case F_SERVE_BODY:
                settings.serve_body = p->value;
                break;
        case F_SERVE_TIMEOUT:
                settings.serve_timeout = parse_int(p->flag->name, p->value);
                break;
        case F_SERVE_COUNT:
                settings.serve_count = parse_int(p->flag->name, p->value);
                break;
        case F_PRE_SLEEP:
                sleep_seconds(parse_int(p->flag->name, p->value));
                break;
        case F_SILENT_SIGTERM:
                do_silent_sigterm();
                break;
        case F_CAPTURE_SIGNALS:
                do_capture_signals();
                break;
        default:
                break;
        }
}

static void run_action(const struct parsed *p)
{
        const char *v = p->value;
        char buf[PATH_MAX];

        switch (p->flag->id) {
        case F_PRINT_MSG:
                if (*v)
                        do_print_msg(v);
                break;
        case F_PRINT_EXEC:
                printf("inspect execed as: %s\n", settings.argv0);
                break;
        case F_PRINT_USER:
                printf("User: uid=%u euid=%u gid=%u egid=%u\n", (unsigned)getuid(),
                       (unsigned)geteuid(), (unsigned)getgid(), (unsigned)getegid());
                break;
        case F_PRINT_GROUPS:
                do_print_groups();
                break;
        case F_PRINT_CAPS:
                do_print_caps(v);
                break;
        case F_PRINT_ENV: {
                const char *e = getenv(v);

                if (*v)
                        printf("%s=%s\n", v, e ? e : "");
                break;
        }
        case F_PRINT_CWD:
                if (!getcwd(buf, sizeof(buf)))
                        die("Cannot get working directory: %s", go_strerror(errno));
                printf("cwd: %s\n", buf);
                break;
        case F_CHECK_CWD:
                if (*v)
                        do_check_cwd(v);
                break;
        case F_PRINT_HOSTNAME:
                if (gethostname(buf, sizeof(buf) - 1) < 0)
                        die("%s", go_strerror(errno));
                buf[sizeof(buf) - 1] = '\0';
                printf("Hostname: %s\n", buf);
                break;
        case F_READ_FILE:
                do_read_file();
                break;
        case F_WRITE_FILE:
                do_write_file();
                break;
        case F_STAT_FILE:
                do_stat_file();
                break;
        case F_HASH_FILE:
                do_hash_file();
                break;
        case F_SYMLINK_TARGET:
                do_symlink_target();
                break;
        case F_CHECK_TTY: {
                struct termios t;

                printf(tcgetattr(STDIN_FILENO, &t) == 0 ? "stdin is a terminal\n"
                                                        : "stdin is not a terminal\n");
                break;
        }
        case F_CHECK_PATH:
                do_check_path();
                break;
        case F_PRINT_PID:
                printf("PID: %d\n", (int)getpid());
                break;
        case F_PRINT_PPID:
                printf("PPID: %d\n", (int)getppid());
                break;
        case F_PRINT_MOUNTS:
                cat_file("/proc/self/mountinfo");
                break;
        case F_PRINT_CGROUP:
                cat_file("/proc/self/cgroup");
                break;
        case F_MEMORY_LIMIT:
                do_print_memory_limit();
                break;
        case F_CPU_QUOTA:
                do_print_cpu(true);
                break;
        case F_CPU_SHARES:
                do_print_cpu(false);
                break;
        case F_CHECK_CGROUPS:
                do_check_cgroups();
                break;
        case F_PRINT_NS:
                do_print_all_ns();
                break;
        case F_PRINT_NETNS:
                print_ns("NetNS", "net");
                break;
        case F_PRINT_IPCNS:
                print_ns("IPCNS", "ipc");
                break;
        case F_CHECK_MOUNTNS:
                do_check_mountns();
                break;
        case F_MKNOD:
                do_mknod(v);
                break;
        case F_NO_NEW_PRIVS: {
                int r = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);

                printf("no_new_privs: %d err: errno %d\n", r < 0 ? -1 : r, r < 0 ? errno : 0);
                break;
        }
        case F_SLEEP: {
                int s = parse_int(p->flag->name, v);

                if (s >= 0)
                        sleep_seconds(s);
                break;
        }
        case F_READ_STDIN:
                do_read_stdin();
                break;
        case F_LIST_DEV:
                do_list_dev();
                break;
        case F_SERVE_HTTP:
                if (*v)
                        do_serve_http(v);
                break;
        case F_GET_HTTP:
                if (*v) {
                        char *body = http_get(v);

                        printf("HTTP-Get received: %s\n", body);
                        free(body);
                }
                break;
        case F_PRINT_IPV4:
                if (*v)
                        do_print_ipv4(v);
                break;
        case F_PRINT_DEFAULT_GWV4:
                do_print_gwv4(NULL);
                break;
        case F_PRINT_GWV4:
                if (*v)
                        do_print_gwv4(v);
                break;
        case F_IFACE_COUNT:
                do_print_iface_count();
                break;
        case F_ESCAPE_PROBE:
                do_escape_probe(v);
                break;
        case F_PROBE_PROCS:
                do_probe_procs();
                break;
        case F_EXCHANGE_LOOP:
                do_exchange_loop(v);
                break;
        case F_TRY_SYSCALL:
                do_try_syscall(v);
                break;
        case F_PROBE_KEYRINGS:
                do_probe_keyrings();
                break;
        case F_APP_ANNOTATION:
                if (*v) {
                        const char *mds = getenv("AC_METADATA_URL"), *app = getenv("AC_APP_NAME");
                        char url[2048];
                        char *body;

                        snprintf(url, sizeof(url), "%s/acMetadata/v1/apps/%s/annotations/%s",
                                 mds ? mds : "", app ? app : "", v);
                        body = http_get(url);
                        printf("Annotation %s=%s\n", v, body);
                        free(body);
                }
                break;
        default:
                break;
        }
        fflush(stdout);
}

/* A few argv[0] personalities for images without busybox. */
static int multicall(const char *base, int argc, char **argv)
{
        if (strcmp(base, "true") == 0)
                return 0;
        if (strcmp(base, "false") == 0)
                return 1;
        if (strcmp(base, "sleep") == 0) {
                sleep_seconds(argc > 1 ? atoi(argv[1]) : 0);
                return 0;
        }
        return -1;
}

int main(int argc, char **argv)
{
        struct parsed *parsed = calloc((size_t)argc + 1, sizeof(*parsed));
        const char *base;
        size_t n = 0;
        int i, r;

        settings.argv0 = argc > 0 ? argv[0] : "inspect";
        base = strrchr(settings.argv0, '/');
        base = base ? base + 1 : settings.argv0;
        r = multicall(base, argc, argv);
        if (r >= 0)
                return r;
        if (!parsed)
                die("out of memory");
        setvbuf(stdout, NULL, _IOLBF, 0);

        /* Go's flag package: -name, --name, -name=value, --name value; stops at "--" or at
         * the first non-flag argument. */
        for (i = 1; i < argc; i++) {
                const char *a = argv[i], *name, *eq;
                const struct flag *f;
                size_t len;

                if (strcmp(a, "--") == 0) {
                        i++;
                        break;
                }
                if (a[0] != '-' || a[1] == '\0')
                        break;
                name = a + (a[1] == '-' ? 2 : 1);
                eq = strchr(name, '=');
                len = eq ? (size_t)(eq - name) : strlen(name);
                f = find_flag(name, len);
                if (!f) {
                        fprintf(stderr, "flag provided but not defined: -%.*s\n", (int)len, name);
                        fprintf(stderr, "Usage of inspect: see tests/helpers/README.md\n");
                        return 2;
                }
                parsed[n].flag = f;
                if (f->kind == FLAG_BOOL) {
                        if (!parse_bool(f->name, eq ? eq + 1 : NULL))
                                continue;
                        parsed[n].value = NULL;
                } else if (eq) {
                        parsed[n].value = eq + 1;
                } else if (i + 1 < argc) {
                        parsed[n].value = argv[++i];
                } else {
                        fprintf(stderr, "flag needs an argument: -%s\n", f->name);
                        return 2;
                }
                n++;
        }
        if (i < argc)
                die("Wrong parameters");

        for (size_t k = 0; k < n; k++)
                if (parsed[k].flag->setting)
                        apply_setting(&parsed[k]);
        for (size_t k = 0; k < n; k++)
                if (!parsed[k].flag->setting)
                        run_action(&parsed[k]);
        free(parsed);
        fflush(stdout);
        return settings.exit_code;
}
