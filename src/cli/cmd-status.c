/* SPDX-License-Identifier: Apache-2.0 */
/* rkt status (SPEC.md §3.6): a pod's state, times, pid and app exit codes. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli-store.h"
#include "commands.h"
#include "escape.h"
#include "json-util.h"
#include "parse-util.h"
#include "pod-cli.h"
#include "pod-manifest.h"
#include "time-util.h"

static char *arg_wait, *arg_wait_ready, *arg_format, *arg_uuid_file;

static const struct flag status_flags[] = {
        {"format", FLAG_FUNC, &arg_format, cli_parse_pod_format, "",
         "choose the output format. Allowed format includes 'json', 'json-pretty'. If empty, "
         "then the result is printed as key value pairs"},
        {"uuid-file", FLAG_STRING, &arg_uuid_file, .def = "",
         .usage = "read pod UUID from file instead of argument", .quote_default = true},
        {"wait", FLAG_STRING, &arg_wait, .def = "false",
         .usage = "toggles waiting for the pod to finish. Use the output to determine the "
                  "actual terminal state.",
         .no_opt_default = "true", .quote_default = true},
        {"wait-ready", FLAG_STRING, &arg_wait_ready, .def = "false",
         .usage = "toggles waiting until the pod is ready.", .no_opt_default = "true",
         .quote_default = true},
        {NULL},
};

/* --wait values: "" or true-ish wait forever (-1), false-ish not at all (0), else a Go
 * duration (negative: forever). */
static int parse_wait(const char *s, int64_t *ret)
{
        bool b;

        if (!s) { /* not given: the default "false" */
                *ret = 0;
                return 0;
        }
        if (!*s) {
                *ret = -1;
                return 0;
        }
        if (parse_bool_go(s, &b) >= 0) {
                *ret = b ? -1 : 0;
                return 0;
        }
        return parse_duration_go(s, ret);
}

static void print_json(struct pod *p)
{
        _cleanup_json_ json_t *o = NULL;
        _cleanup_free_ char *text = NULL;
        struct rk_error *err = NULL;

        if (cli_pod_to_json(p, &o, &err) < 0) {
                if (pod_is_vanishing(p)) {
                        rk_error_free(err);
                        cli_fail("unable to print status: pod \"%s\" was removed meanwhile",
                                 p->uuid);
                        exit(EXIT_RKT_ERROR);
                }
                rk_error_prefix(&err, "error converting pod");
                rk_error_wrap(&err, "unable to print status");
                cli_report(err);
                exit(EXIT_RKT_ERROR);
        }
        text = json_dump_go(o, strcmp(arg_format, "json-pretty") == 0);
        printf("%s\n", text);
}

/* The pid, waiting up to a second for a running pod to write it. */
static int read_pid(const struct pod *p, int *ret)
{
        for (int i = 0; i < 10; i++) {
                if (pod_read_pid(p, ret) >= 0)
                        return 0;
                if (p->state != POD_STATE_RUNNING)
                        break;
                nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
        }
        return -ENOENT;
}

static void print_app_statuses(struct pod *p)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL;
        struct rk_error *err = NULL;

        if (pod_read_manifest(p, &m, &err) < 0) {
                if (pod_is_vanishing(p)) { /* deleted by gc or rm meanwhile: no apps left */
                        rk_error_free(err);
                        return;
                }
                rk_error_prefix(&err, "unable to get exit statuses for pod \"%s\"", p->uuid);
                rk_error_wrap(&err, "unable to print status");
                cli_report(err);
                exit(EXIT_RKT_ERROR);
        }
        for (size_t i = 0; i < m->n_apps; i++) {
                int code;

                if (pod_read_app_status(p, m->apps[i].name, &code) >= 0)
                        printf("app-%s=%d\n", m->apps[i].name, code);
        }
}

static void print_status(struct pod *p)
{
        enum pod_state s = p->state;
        int64_t created = pod_creation_time(p), started = pod_start_time(p);
        _cleanup_free_ char *c = format_time_go(created ? created : TIME_NS_ZERO);
        int pid;

        printf("state=%s\ncreated=%s\n", pod_state_to_string(s), c);
        if (started) {
                _cleanup_free_ char *t = format_time_go(started);
                printf("started=%s\n", t);
        }
        if (s == POD_STATE_RUNNING || s == POD_STATE_EXITED) {
                _cleanup_free_ char *nets = cli_pod_networks(p);
                _cleanup_free_ char *safe = escape_nonprint(nets, NULL);
                printf("networks=%s\n", safe);
        }
        if (s != POD_STATE_RUNNING && s != POD_STATE_DELETING && s != POD_STATE_EXITED_DELETING &&
            s != POD_STATE_EXITED && s != POD_STATE_EXITED_GARBAGE)
                return;
        if (read_pid(p, &pid) >= 0)
                printf("pid=%d\n", pid);
        printf("exited=%s\n",
               s == POD_STATE_EXITED || s == POD_STATE_EXITED_GARBAGE ? "true" : "false");
        if (s != POD_STATE_RUNNING)
                print_app_statuses(p);
}

static int status_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(pod_freep) struct pod *p = NULL;
        _cleanup_free_ char *uuid = NULL;
        struct rk_error *err = NULL;
        int64_t wait, ready;
        const char *dir;

        if ((argc == 1) == (arg_uuid_file && *arg_uuid_file) || argc > 1)
                return cli_usage(cmd);
        if (parse_wait(arg_wait, &wait) < 0 || parse_wait(arg_wait_ready, &ready) < 0)
                return cli_usage(cmd);
        if (argc == 0 && cli_read_uuid_file(arg_uuid_file, &uuid, &err) < 0) {
                cli_report(err);
                return 1;
        }
        dir = cli_data_dir();
        if (!dir)
                return EXIT_RKT_ERROR;
        if (cli_pod_open(dir, argc ? argv[0] : uuid, "problem retrieving pod", &p) != 0)
                return EXIT_RKT_ERROR;
        if (ready != 0 && pod_wait_ready(p, ready) < 0)
                return cli_fail("error waiting for pod readiness: context deadline exceeded");
        if (wait != 0 && pod_wait_finished(p, wait) < 0)
                return cli_fail("error waiting for pod to finish: context deadline exceeded");
        if (arg_format && *arg_format)
                print_json(p);
        else
                print_status(p);
        return 0;
}

const struct command cmd_status = {
        .name = "status",
        .short_desc = "Check the status of a rkt pod",
        .usage = "[--wait=bool|timeout] [--wait-ready=bool|timeout] --uuid-file=FILE | UUID",
        .long_desc = "Prints assorted information about the pod such as its state, pid and exit "
                     "status.\n\nThe --wait and --wait-ready flags accept boolean or timeout "
                     "values. If set to true, wait indefinitely. If set to false, don't wait at "
                     "all.\nThey can also be set to a duration. If the duration is less than "
                     "zero, wait indefinitely. If the duration is zero, don't wait at all.",
        .flags = status_flags,
        .run = status_run,
};
