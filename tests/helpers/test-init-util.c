// SPDX-License-Identifier: Apache-2.0
/*
 * inspect, the static test payload: small helpers (errors in rkt's and Go's wording,
 * whole-file reads, sleeping).
 * runs in: the app (stage2) of a test pod, a stub stage1, or the host (libc only).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test-init.h"

void die(const char *fmt, ...)
{
        va_list ap;

        fflush(stdout);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(EXIT_HELPER_ERROR);
}

/* Go's error strings are strerror() with a lower-case first letter. */
const char *go_strerror(int err)
{
        static char buf[128];

        snprintf(buf, sizeof(buf), "%s", strerror(err));
        buf[0] = (char)tolower((unsigned char)buf[0]);
        return buf;
}

/* Go's %q for the strings we print: quotes, backslash escapes, \xNN for control bytes. */
void print_quoted(FILE *f, const char *s)
{
        fputc('"', f);
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;

                switch (c) {
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                case '\t':
                        fputs("\\t", f);
                        break;
                case '\r':
                        fputs("\\r", f);
                        break;
                default:
                        if (c < 0x20 || c == 0x7f)
                                fprintf(f, "\\x%02x", c);
                        else
                                fputc(c, f);
                }
        }
        fputc('"', f);
}

void die_file(const char *what, const char *name, const char *op, int err)
{
        fflush(stdout);
        fprintf(stderr, "%s ", what);
        print_quoted(stderr, name);
        fprintf(stderr, ": %s %s: %s\n", op, name, go_strerror(err));
        exit(EXIT_HELPER_ERROR);
}

int parse_int(const char *flag, const char *s)
{
        char *end = NULL;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || v < INT_MIN || v > INT_MAX)
                die("invalid value \"%s\" for flag -%s: parse error", s, flag);
        return (int)v;
}

/* Reads a whole file (at most 16 MiB) into a NUL-terminated buffer; -errno on failure. */
int read_all(const char *path, char **ret, size_t *ret_len, const char **ret_op)
{
        size_t len = 0, cap = 4096;
        char *buf;
        int fd;

        *ret_op = "open";
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        buf = malloc(cap + 1);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        for (;;) {
                ssize_t n;

                if (len == cap) {
                        char *nb;

                        if (cap >= (16u << 20)) {
                                free(buf);
                                close(fd);
                                return -EFBIG;
                        }
                        cap *= 2;
                        nb = realloc(buf, cap + 1);
                        if (!nb) {
                                free(buf);
                                close(fd);
                                return -ENOMEM;
                        }
                        buf = nb;
                }
                n = read(fd, buf + len, cap - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int r = -errno;

                        *ret_op = "read";
                        free(buf);
                        close(fd);
                        return r;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        close(fd);
        buf[len] = '\0';
        *ret = buf;
        if (ret_len)
                *ret_len = len;
        return 0;
}

void cat_file(const char *path)
{
        const char *op;
        char *buf = NULL;
        size_t len = 0;
        int r;

        r = read_all(path, &buf, &len, &op);
        if (r < 0)
                die_file("Cannot read file", path, op, -r);
        fwrite(buf, 1, len, stdout);
        if (len > 0 && buf[len - 1] != '\n')
                fputc('\n', stdout);
        free(buf);
}

void chomp(char *s)
{
        size_t n = strlen(s);

        while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
                s[--n] = '\0';
}

void write_all_fd(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, p, n);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return;
                p += w;
                n -= (size_t)w;
        }
}

void sleep_seconds(int s)
{
        struct timespec ts = {.tv_sec = s};

        fflush(stdout);
        while (s > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}
