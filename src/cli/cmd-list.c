/* SPDX-License-Identifier: Apache-2.0 */
/* rkt list (SPEC.md §3.5): the pods as a table (one row per app) or as JSON. */
#include <stdlib.h>
#include <string.h>

#include "cli-store.h"
#include "commands.h"
#include "image-manifest.h"
#include "json-util.h"
#include "pod-cli.h"
#include "pod-manifest.h"
#include "strv.h"
#include "table.h"
#include "time-util.h"

static bool arg_no_legend, arg_full;
static char *arg_format;

/* --format takes any word here; list_run rejects an unknown one, as rkt does. */
static int parse_format(const char *arg, void *value, char **ret_msg)
{
        free(*(char **)value);
        *(char **)value = xstrdup(arg);
        return 0;
}

static const struct flag list_flags[] = {
        {"format", FLAG_FUNC, &arg_format, parse_format, "",
         "choose the output format, allowed format includes 'json', 'json-pretty'. If empty, "
         "then the result is printed as key value pairs"},
        {"full", FLAG_BOOL, &arg_full, .def = "false", .usage = "use long output format"},
        {"no-legend", FLAG_BOOL, &arg_no_legend, .def = "false",
         .usage = "suppress a legend with the list"},
        {NULL},
};

struct list_state {
        struct table *table;
        json_t *pods;  /* JSON mode */
        char **errors; /* collected, printed after the output */
        int64_t now;
};

/* "name[:version]" of the app's image (pod_read_app_image_manifest()). */
static int app_image_name(const struct pod *p, const char *app, char **ret)
{
        _cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
        _cleanup_(rk_error_freep) struct rk_error *err = NULL;
        const char *version;
        int r = pod_read_app_image_manifest(p, app, &m, &err);

        if (r < 0)
                return r;
        version = image_manifest_get_label(m, "version");
        *ret = version ? xasprintf("%s:%s", m->name, version) : xstrdup(m->name);
        return 0;
}

static char *format_pod_time(int64_t t, int64_t now)
{
        if (t == 0)
                t = TIME_NS_ZERO;
        return arg_full ? format_time_go(t) : format_time_relative(t, now);
}

/* Adds one row; the pod cells (uuid, state, created, started, nets) are given for the first
 * app of a pod only. */
static void add_row(struct table *t, char *const pod_cells[5], const char *app, const char *image,
                    const char *id)
{
        const char *e = "";
        const char *uuid = pod_cells ? pod_cells[0] : e, *state = pod_cells ? pod_cells[1] : e;
        const char *created = pod_cells ? pod_cells[2] : e, *started = pod_cells ? pod_cells[3] : e;
        const char *nets = pod_cells ? pod_cells[4] : e;

        if (arg_full)
                table_add_cells(t, uuid, app, image, id, state, created, started, nets, NULL);
        else
                table_add_cells(t, uuid, app, image, state, created, started, nets, NULL);
}

static void list_pod_rows(struct pod *p, struct list_state *s)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL;
        _cleanup_strv_free_ char **cells = NULL;
        int64_t started = pod_start_time(p);
        struct rk_error *err = NULL;

        if (pod_manifest_available(p) && pod_read_manifest(p, &m, &err) < 0) {
                if (!pod_is_vanishing(p))
                        strv_consume(&s->errors, xasprintf("Unable to read pod %s manifest:\n  %s",
                                                           p->uuid, rk_error_cause(err)));
                rk_error_free(err);
                return;
        }
        strv_consume(&cells, arg_full ? xstrdup(p->uuid) : xasprintf("%.8s", p->uuid));
        strv_push(&cells, pod_state_to_string(p->state));
        strv_consume(&cells, format_pod_time(pod_creation_time(p), s->now));
        strv_consume(&cells, started ? format_pod_time(started, s->now) : xstrdup(""));
        strv_consume(&cells, cli_pod_networks(p));
        if (!m || m->n_apps == 0) {
                add_row(s->table, cells, "-", "-", "-");
                return;
        }
        for (size_t i = 0; i < m->n_apps; i++) {
                _cleanup_free_ char *image = NULL, *id = xasprintf("%.19s", m->apps[i].image_id);

                if (app_image_name(p, m->apps[i].name, &image) < 0) {
                        if (pod_is_vanishing(p))
                                return; /* its rows so far stay: it existed when listed */
                        strv_consume(&s->errors,
                                     xasprintf("pod %s ImageManifest could not be loaded: "
                                               "problem retrieving ImageManifests from pod",
                                               p->uuid));
                        image = xstrdup("--");
                }
                add_row(s->table, i == 0 ? cells : NULL, m->apps[i].name, image, id);
        }
}

static void list_one(struct pod *p, void *userdata)
{
        struct list_state *s = userdata;
        struct rk_error *err = NULL;
        json_t *o = NULL;

        if (!s->pods) {
                list_pod_rows(p, s);
                return;
        }
        if (cli_pod_to_json(p, &o, &err) < 0) {
                if (!pod_is_vanishing(p))
                        strv_push(&s->errors, rk_error_cause(err));
                rk_error_free(err);
                return;
        }
        json_array_append_new(s->pods, o);
}

static void print_output(struct list_state *s)
{
        _cleanup_free_ char *text = NULL;

        if (s->pods) {
                bool pretty = strcmp(arg_format, "json-pretty") == 0;
                text = json_dump_go(json_array_size(s->pods) ? s->pods : json_null(), pretty);
                printf("%s\n", text);
                return;
        }
        text = table_render(s->table);
        fputs(text, stdout);
        if (!*text || text[strlen(text) - 1] != '\n')
                fputc('\n', stdout);
}

static int list_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(table_freep) struct table *t = table_new();
        struct list_state s = {t, NULL, NULL, now_ns()};
        struct rk_error *err = NULL;
        const char *dir = cli_data_dir();
        int r;

        if (!dir)
                return EXIT_RKT_ERROR;
        if (arg_format && *arg_format && strcmp(arg_format, "json") != 0 &&
            strcmp(arg_format, "json-pretty") != 0)
                return cli_fail("Invalid format option: %s", arg_format);
        if (arg_format && *arg_format)
                s.pods = json_array();
        else if (!arg_no_legend)
                table_add_line(t, arg_full ? "UUID\tAPP\tIMAGE NAME\tIMAGE ID\tSTATE\tCREATED\t"
                                             "STARTED\tNETWORKS"
                                           : "UUID\tAPP\tIMAGE NAME\tSTATE\tCREATED\tSTARTED\t"
                                             "NETWORKS");
        r = pod_walk(dir, POD_DIRS_MOST, list_one, &s, &err);
        if (r < 0) {
                json_decref(s.pods);
                strv_free(s.errors);
                rk_error_wrap(&err, "failed to get pod handles");
                return cli_report(err);
        }
        print_output(&s);
        if (s.errors)
                cli_print_errors("listing pods", s.errors);
        json_decref(s.pods);
        strv_free(s.errors);
        return 0;
}

const struct command cmd_list = {
        .name = "list",
        .short_desc = "List pods",
        .long_desc = "Displays a table of information about the pods.",
        .flags = list_flags,
        .run = list_run,
};
