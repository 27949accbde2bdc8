/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rkt logs (ours; rkt had only the journal): prints the apps' logs of a pod that the native
 * stage1 keeps (app-log.h), what an app wrote on stdout to stdout and on stderr to stderr.
 * Reads through the pod module (pod_logs_*), as the API service's GetLogs does. On a terminal
 * the apps' characters that do not print are escaped (journalctl's "[blob data]" under rkt).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli-store.h"
#include "commands.h"
#include "escape.h"
#include "log.h"
#include "parse-util.h"
#include "pod-cli.h"
#include "pod.h"
#include "time-util.h"

#define FOLLOW_INTERVAL_MS 200

static char *arg_app, *arg_lines, *arg_since;
static bool arg_follow;

static const struct flag logs_flags[] = {
        {"app", FLAG_STRING, &arg_app, .def = "",
         .usage = "show the logs of this app only (default: every app of the pod)",
         .quote_default = true},
        {"follow", FLAG_BOOL, &arg_follow, .def = "false",
         .usage = "keep printing what the apps write until the pod exits"},
        {"lines", FLAG_STRING, &arg_lines, .def = "0",
         .usage = "print the last N lines only (0: all)"},
        {"since", FLAG_STRING, &arg_since, .def = "", .quote_default = true,
         .usage = "print what was written since a time (RFC 3339) or for a duration (10m, 1h)"},
        {NULL},
};

/* --since: a time, or a (non-negative) duration back from now. */
static int parse_since(const char *s, int64_t *ret, struct rk_error **reterr)
{
        int64_t d;

        if (!s || !*s) {
                *ret = 0;
                return 0;
        }
        if (parse_duration_go(s, &d) == 0 && d >= 0) {
                *ret = now_ns() - d;
                return 0;
        }
        if (parse_time_rfc3339(s, strlen(s), ret) == 0)
                return 0;
        return rk_error_set(reterr, EINVAL,
                            "invalid --since %s: want a time (2006-01-02T15:04:05Z) or a "
                            "duration that is not negative (10m)",
                            s);
}

static int parse_filter(struct pod_logs_filter *f, struct rk_error **reterr)
{
        *f = (struct pod_logs_filter){.app = arg_app && *arg_app ? arg_app : NULL};
        if (safe_atou64(arg_lines && *arg_lines ? arg_lines : "0", &f->tail) < 0)
                return rk_error_set(reterr, EINVAL,
                                    "invalid --lines %s: want a number of lines (0: all)",
                                    arg_lines);
        return parse_since(arg_since, &f->since_ns, reterr);
}

/* Where the printing of each (app, stream) stands: in the middle of a line or not. */
struct printer {
        bool prefix; /* several apps: each line starts with "<app>: " */
        bool tty[2]; /* stdout, stderr: a terminal (the apps' bytes are printed escaped) */
        const char *open_app[2];
};

/*
 * Writes an app's bytes: exact into a pipe or file; on a terminal with every character that
 * does not print escaped (tabs stay), so that an app's escape sequences drive no terminal.
 */
static void print_content(FILE *out, bool tty, const char *s, size_t n)
{
        if (!tty) {
                fwrite(s, 1, n, out);
                return;
        }
        for (const char *end = s + n; s < end;) {
                size_t seg = strnlen(s, (size_t)(end - s));
                _cleanup_free_ char *seg_copy = strndup(s, seg), *esc = NULL;

                esc = escape_nonprint(oom_check(seg_copy), "\t");
                fputs(esc, out);
                s += seg;
                if (s < end) { /* a NUL byte */
                        fputs("\\x00", out);
                        s++;
                }
        }
}

static void print_record(struct printer *pr, const struct pod_log_record *r)
{
        FILE *out = r->is_stderr ? stderr : stdout;
        const char **open = &pr->open_app[r->is_stderr];

        if (pr->prefix && *open != r->app)
                fprintf(out, "%s%s: ", *open ? "\n" : "", r->app);
        print_content(out, pr->tty[r->is_stderr], r->content, r->content_len);
        if (r->partial) {
                *open = r->app; /* the rest of the line follows */
                return;
        }
        fputc('\n', out);
        *open = NULL;
}

static void sleep_ms(long ms)
{
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static int logs_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(pod_logs_freep) struct pod_logs *l = NULL;
        _cleanup_(pod_freep) struct pod *p = NULL;
        struct pod_logs_filter f;
        struct rk_error *err = NULL;
        struct pod_log_record r;
        struct printer pr = {0};
        bool more = arg_follow;
        const char *dir;

        if (argc != 1)
                return cli_usage(cmd);
        if (parse_filter(&f, &err) < 0)
                return cli_report(err);
        dir = cli_data_dir();
        if (!dir)
                return EXIT_RKT_ERROR;
        if (cli_pod_open(dir, argv[0], "problem retrieving pod", &p) != 0)
                return EXIT_RKT_ERROR;
        if (pod_logs_open(p, &f, &l, &err) < 0)
                return cli_report(err);
        pr.prefix = !f.app && pod_logs_n_apps(l) > 1;
        pr.tty[0] = isatty(STDOUT_FILENO);
        pr.tty[1] = isatty(STDERR_FILENO);
        for (;;) {
                while (pod_logs_next(l, &r) > 0)
                        print_record(&pr, &r);
                fflush(stdout);
                fflush(stderr);
                if (!more)
                        break;
                sleep_ms(FOLLOW_INTERVAL_MS);
                more = pod_logs_follow(l, p);
        }
        for (int i = 0; i < 2; i++)
                if (pr.open_app[i]) /* a line cut short when the app ended */
                        fputc('\n', i ? stderr : stdout);
        return 0;
}

const struct command cmd_logs = {
        .name = "logs",
        .short_desc = "Print the logs of a pod's apps",
        .usage = "[--app=NAME] [--follow] [--lines=N] [--since=TIME|DURATION] UUID",
        .long_desc =
                "Prints what the apps of a pod wrote on their standard output (to the standard\n"
                "output) and standard error (to the standard error), oldest first. The\n"
                "native stage1 keeps them in the pod directory, at most 10 MiB per app\n"
                "plus one older file; pods run with --interactive and fly pods keep none.",
        .flags = logs_flags,
        .run = logs_run,
};
