/* SPDX-License-Identifier: Apache-2.0 */
/* rkt image list (SPEC.md §3.17): the images of the store as a table or JSON. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli-store.h"
#include "commands.h"
#include "format-util.h"
#include "image-manifest.h"
#include "json-util.h"
#include "option-list.h"
#include "pod-cli.h"
#include "strv.h"
#include "table.h"
#include "time-util.h"

static const char *const field_names[] = {"id", "name", "size", "importtime", "lastused", NULL};
static const char *const sort_names[] = {"name", "importtime", "lastused", "size", NULL};
static const char *const field_labels[] = {"ID", "NAME", "SIZE", "IMPORT TIME", "LAST USED"};

static struct option_list arg_fields = {field_names, NULL};
static struct option_list arg_sort = {sort_names, NULL};
static char *arg_order, *arg_format;
static bool arg_no_legend, arg_full;

/* --order: "asc" or "desc", checked when given, as rkt's flag type does. */
static int parse_order(const char *arg, void *value, char **ret_msg)
{
        if (strcmp(arg, "asc") != 0 && strcmp(arg, "desc") != 0) {
                *ret_msg = xstrdup("wrong sort order");
                return -EINVAL;
        }
        free(*(char **)value);
        *(char **)value = xstrdup(arg);
        return 0;
}

static const struct flag list_flags[] = {
        {"fields", FLAG_FUNC, &arg_fields, option_list_parse, "id,name,size,importtime,lastused",
         "comma-separated list of fields to display. Accepted values: \"id\", \"name\", "
         "\"size\", \"importtime\", \"lastused\""},
        {"format", FLAG_FUNC, &arg_format, cli_parse_pod_format, "",
         "choose the output format, allowed format includes 'json', 'json-pretty'. If empty, "
         "then the result is printed as key value pairs"},
        {"full", FLAG_BOOL, &arg_full, .def = "false", .usage = "use long output format"},
        {"no-legend", FLAG_BOOL, &arg_no_legend, .def = "false",
         .usage = "suppress a legend with the list"},
        {"order", FLAG_FUNC, &arg_order, parse_order, "asc",
         "choose the sorting order if at least one sort field is provided (--sort). Accepted "
         "values: \"asc\", \"desc\""},
        {"sort", FLAG_FUNC, &arg_sort, option_list_parse, "importtime",
         "sort the output according to the provided comma-separated list of fields. Accepted "
         "values: \"name\", \"importtime\", \"lastused\", \"size\""},
        {NULL},
};

static char *image_display_name(const struct image_info *i)
{
        return i->version ? xasprintf("%s:%s", i->name, i->version) : xstrdup(i->name);
}

static int compare_field(const struct image_info *a, const struct image_info *b, const char *f)
{
        if (strcmp(f, "name") == 0) {
                _cleanup_free_ char *na = image_display_name(a), *nb = image_display_name(b);
                return strcmp(na, nb);
        }
        if (strcmp(f, "importtime") == 0)
                return (a->import_time > b->import_time) - (a->import_time < b->import_time);
        if (strcmp(f, "lastused") == 0)
                return (a->last_used > b->last_used) - (a->last_used < b->last_used);
        return (a->size + a->tree_size > b->size + b->tree_size) -
               (a->size + a->tree_size < b->size + b->tree_size);
}

static int compare_images(const void *pa, const void *pb)
{
        const struct image_info *a = pa, *b = pb;
        int desc = arg_order && strcmp(arg_order, "desc") == 0 ? -1 : 1;

        STRV_FOREACH(f, arg_sort.values) {
                int c = compare_field(a, b, *f);
                if (c != 0)
                        return c * desc;
        }
        return strcmp(a->key, b->key) * desc;
}

static char *image_cell(const struct image_info *i, const char *field, int64_t now)
{
        if (strcmp(field, "id") == 0)
                return xasprintf("%.*s", arg_full ? STORE_KEY_LEN : 7 + 12, i->key);
        if (strcmp(field, "name") == 0)
                return image_display_name(i);
        if (strcmp(field, "size") == 0)
                return arg_full ? xasprintf("%llu", (unsigned long long)(i->size + i->tree_size))
                                : format_size_iec(i->size + i->tree_size);
        int64_t t = strcmp(field, "importtime") == 0 ? i->import_time : i->last_used;
        return arg_full ? format_time_go(t) : format_time_relative(t, now);
}

static void print_table(const struct image_info *v, size_t n)
{
        _cleanup_(table_freep) struct table *t = table_new();
        _cleanup_free_ char *text = NULL;
        int64_t now = now_ns();

        if (!arg_no_legend) {
                _cleanup_strv_free_ char **hdr = NULL;
                STRV_FOREACH(f, arg_fields.values)
                        strv_push(&hdr, field_labels[strv_index(field_names, *f)]);
                table_add_row(t, hdr);
        }
        for (size_t i = 0; i < n; i++) {
                _cleanup_strv_free_ char **row = NULL;
                STRV_FOREACH(f, arg_fields.values)
                        strv_consume(&row, image_cell(&v[i], *f, now));
                table_add_row(t, row);
        }
        text = table_render(t);
        fputs(text, stdout);
        if (!*text || text[strlen(text) - 1] != '\n')
                fputc('\n', stdout);
}

static void print_json(const struct image_info *v, size_t n, bool pretty)
{
        _cleanup_(json_decrefp) json_t *arr = n ? json_array() : json_null();
        _cleanup_free_ char *text = NULL;

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *name = image_display_name(&v[i]);
                json_t *o = json_object();

                json_object_set_new(o, "id", json_string(v[i].key));
                json_object_set_new(o, "name", json_string(name));
                json_object_set_new(o, "import_time", json_integer(v[i].import_time));
                json_object_set_new(o, "last_used_time", json_integer(v[i].last_used));
                json_object_set_new(o, "size",
                                    json_integer((json_int_t)(v[i].size + v[i].tree_size)));
                json_array_append_new(arr, o);
        }
        text = json_dump_go(arr, pretty);
        printf("%s\n", text);
}

/*
 * Drops the images whose stored manifest cannot be read (silently, as rkt) or is invalid
 * (reported in *errors).
 */
static size_t filter_readable(struct store *s, struct image_info *v, size_t n, char ***errors)
{
        size_t kept = 0;

        for (size_t i = 0; i < n; i++) {
                _cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
                _cleanup_free_ char *raw = NULL;
                struct rk_error *err = NULL;
                size_t len;

                if (store_read_manifest_raw(s, v[i].key, &raw, &len, &err) < 0) {
                        err = rk_error_free(err);
                        image_info_done(&v[i]);
                        continue;
                }
                if (image_manifest_parse(raw, len, &m, &err) < 0) {
                        strv_consume(errors, xasprintf("invalid manifest of image %s: %s", v[i].key,
                                                       rk_error_cause(err)));
                        rk_error_free(err);
                        image_info_done(&v[i]);
                        continue;
                }
                if (kept != i) {
                        v[kept] = v[i];
                        v[i] = (struct image_info){0};
                }
                kept++;
        }
        return kept;
}

static int image_list_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(store_freep) struct store *s = NULL;
        struct image_info *v = NULL;
        struct rk_error *err = NULL;
        const char *format = arg_format ? arg_format : "";
        _cleanup_strv_free_ char **errors = NULL;
        size_t n = 0, total;

        if (cli_open_store(&s) < 0)
                return EXIT_RKT_ERROR;
        if (store_list_images(s, &v, &n, &err) < 0)
                return cli_report(err);
        total = n;
        n = filter_readable(s, v, n, &errors);
        if (n > 0)
                qsort(v, n, sizeof(*v), compare_images);
        if (*format)
                print_json(v, n, strcmp(format, "json-pretty") == 0);
        else
                print_table(v, n);
        image_infos_free(v, total);
        if (errors)
                cli_print_errors("listing images", errors);
        return 0;
}

static void image_list_defaults(void) __attribute__((constructor));
static void image_list_defaults(void)
{
        arg_fields.values = strv_split("id,name,size,importtime,lastused", ',');
        arg_sort.values = strv_split("importtime", ',');
}

const struct command cmd_image_list = {
        .name = "list",
        .short_desc = "List images in the local store",
        .long_desc = "Optionally, allows the user to specify the fields and sort order.",
        .flags = list_flags,
        .run = image_list_run,
};
