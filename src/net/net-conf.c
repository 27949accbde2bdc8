/* SPDX-License-Identifier: Apache-2.0 */
/* Network definitions from net.d directories and the selection by --net (SPEC.md §8.1–8.2). */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs-util.h"
#include "json-util.h"
#include "net-private.h"
#include "strbuf.h"
#include "strv.h"

static void net_def_done(struct net_def *d)
{
        free(d->name);
        free(d->path);
        free(d->bytes);
        json_decref(d->conf);
        *d = (struct net_def){0};
}

void net_defs_done(struct net_defs *d)
{
        for (size_t i = 0; i < d->n; i++)
                net_def_done(&d->items[i]);
        free(d->items);
        *d = (struct net_defs){0};
}

static bool has_suffix(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);

        return n > m && strcmp(s + n - m, suffix) == 0;
}

/* Checks the shape CNI needs: a name, and a type or (for a list) a non-empty plugins array
 * of objects with types. */
static const char *def_shape_error(json_t *conf, bool is_list)
{
        json_t *plugins, *p;
        size_t i;

        if (!json_is_object(conf))
                return "not a JSON object";
        if (!json_is_string(json_object_get(conf, "name")) ||
            !json_string_length(json_object_get(conf, "name")))
                return "missing network name";
        if (!is_list)
                return json_is_string(json_object_get(conf, "type")) ? NULL : "missing type";
        plugins = json_object_get(conf, "plugins");
        if (!json_is_array(plugins) || json_array_size(plugins) == 0)
                return "missing plugins";
        json_array_foreach(plugins, i, p)
                if (!json_is_string(json_object_get(p, "type")))
                        return "a plugin without type";
        return NULL;
}

/* CNI's network names: [a-zA-Z0-9][a-zA-Z0-9_.-]* (they name files and chains). */
static bool name_is_valid(const char *n)
{
        if (!isalnum((unsigned char)n[0]))
                return false;
        for (const char *c = n; *c; c++)
                if (!isalnum((unsigned char)*c) && !strchr("_.-", *c))
                        return false;
        return true;
}

/* Whether the network masquerades: its ipMasq, or for a list any plugin's. */
static bool def_ip_masq(json_t *conf, bool is_list)
{
        json_t *p;
        size_t i;

        if (!is_list)
                return json_is_true(json_object_get(conf, "ipMasq"));
        json_array_foreach(json_object_get(conf, "plugins"), i, p)
                if (json_is_true(json_object_get(p, "ipMasq")))
                        return true;
        return false;
}

/* The fields of a definition rkt and CNI read (matched as Go's encoding/json did: a lone
 * "Name" is "name"; two keys for one field are an error). "capabilities" is a map. */
static const struct json_field_spec ipam_range_fields[] = {{"subnet"}, {NULL}};
static const struct json_field_spec ipam_fields[] = {
        {"type"},
        {"subnet"},
        {"ranges", ipam_range_fields},
        {NULL},
};
static const struct json_field_spec plugin_fields[] = {
        {"type"}, {"ipMasq"}, {"capabilities"}, {"ipam", ipam_fields}, {NULL},
};
static const struct json_field_spec conf_fields[] = {
        {"cniVersion"},
        {"name"},
        {"type"},
        {"ipMasq"},
        {"capabilities"},
        {"ipam", ipam_fields},
        {"plugins", plugin_fields},
        {NULL},
};

json_t *net_conf_parse(const char *bytes, size_t len, char **ret_error)
{
        return json_load_fields(bytes, len, conf_fields, ret_error);
}

static int def_load(int dirfd, const char *dir, const char *file, struct net_def *ret,
                    struct rk_error **reterr)
{
        struct net_def d = {.path = xasprintf("%s/%s", dir, file),
                            .is_list = has_suffix(file, ".conflist")};
        _cleanup_free_ char *err = NULL;
        const char *why;
        size_t len;
        int r;

        r = read_file_at(dirfd, file, 1 << 20, &d.bytes, &len);
        if (r < 0) {
                rk_error_set_errno(reterr, -r, "error loading %s", d.path);
                net_def_done(&d);
                return r;
        }
        /* d.bytes stay as they are: a single plugin gets them verbatim */
        d.conf = net_conf_parse(d.bytes, len, &err);
        why = d.conf ? def_shape_error(d.conf, d.is_list) : err;
        if (why) {
                r = rk_error_set(reterr, EINVAL, "error loading %s: %s", d.path, why);
                net_def_done(&d);
                return r;
        }
        d.name = xstrdup(json_string_value(json_object_get(d.conf, "name")));
        if (!name_is_valid(d.name)) {
                r = rk_error_set(reterr, EINVAL, "error loading %s: invalid network name \"%s\"",
                                 d.path, d.name);
                net_def_done(&d);
                return r;
        }
        d.ip_masq = def_ip_masq(d.conf, d.is_list);
        *ret = d;
        return 0;
}

static int compare_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular *.conf and *.conflist files of dir, sorted. NULL when there are none. */
static char **dir_conf_files(int dirfd)
{
        int fd = dup(dirfd);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        char **files = NULL;
        struct dirent *de;

        if (!d) {
                safe_close(fd);
                return NULL;
        }
        while ((de = readdir(d))) {
                struct stat st;
                if (!has_suffix(de->d_name, ".conf") && !has_suffix(de->d_name, ".conflist"))
                        continue;
                if (fstatat(dirfd, de->d_name, &st, 0) == 0 && S_ISREG(st.st_mode))
                        strv_push(&files, de->d_name);
        }
        closedir(d);
        if (files)
                qsort(files, strv_length(files), sizeof(char *), compare_names);
        return files;
}

static ssize_t defs_find(const struct net_defs *defs, const char *name)
{
        for (size_t i = 0; i < defs->n; i++)
                if (strcmp(defs->items[i].name, name) == 0)
                        return (ssize_t)i;
        return -1;
}

/* Appends d to defs, taking it. */
static void defs_push(struct net_defs *defs, struct net_def *d)
{
        defs->items = oom_check(realloc(defs->items, (defs->n + 1) * sizeof(*d)));
        defs->items[defs->n++] = *d;
        *d = (struct net_def){0};
}

/* Loads one directory; a name defined twice keeps its first file. */
static int defs_load_dir(struct net_defs *defs, const char *dir, struct rk_error **reterr)
{
        _cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_strv_free_ char **files = NULL;

        if (dirfd < 0)
                return errno == ENOENT || errno == ENOTDIR
                               ? 0
                               : rk_error_set_errno(reterr, errno, "error loading %s", dir);
        files = dir_conf_files(dirfd);
        STRV_FOREACH(f, files) {
                struct net_def d;
                int r = def_load(dirfd, dir, *f, &d, reterr);
                if (r < 0)
                        return r;
                if (defs_find(defs, d.name) >= 0) {
                        fprintf(stderr, "\"%s\" network already defined, ignoring %s\n", d.name,
                                d.path);
                        net_def_done(&d);
                } else
                        defs_push(defs, &d);
        }
        return 0;
}

/* Moves the user definitions into defs, each replacing a built-in one of its name. */
static void defs_merge_user(struct net_defs *defs, struct net_defs *user, const char *dir)
{
        for (size_t i = 0; i < user->n; i++) {
                ssize_t j = defs_find(defs, user->items[i].name);
                if (j >= 0) {
                        fprintf(stderr, "overriding \"%s\" network with one from %s\n",
                                user->items[i].name, dir);
                        net_def_done(&defs->items[j]);
                        defs->items[j] = user->items[i];
                        user->items[i] = (struct net_def){0};
                } else
                        defs_push(defs, &user->items[i]);
        }
}

/* By file basename, a built-in definition before a user one of the same basename. */
static int compare_basenames(const void *a, const void *b)
{
        const struct net_def *x = a, *y = b;
        int c = strcmp(strrchr(x->path, '/') + 1, strrchr(y->path, '/') + 1);

        return c ? c : (x->order > y->order) - (x->order < y->order);
}

int net_defs_load(const char *builtin_dir, const char *user_dir, struct net_defs *ret,
                  struct rk_error **reterr)
{
        struct net_defs defs = {0}, user = {0};
        int r = 0;

        if (builtin_dir)
                r = defs_load_dir(&defs, builtin_dir, reterr);
        if (r >= 0 && user_dir)
                r = defs_load_dir(&user, user_dir, reterr);
        for (size_t i = 0; i < user.n; i++)
                user.items[i].order = 1;
        if (r >= 0)
                defs_merge_user(&defs, &user, user_dir);
        net_defs_done(&user);
        if (r < 0) {
                net_defs_done(&defs);
                return r;
        }
        if (defs.n)
                qsort(defs.items, defs.n, sizeof(*defs.items), compare_basenames);
        *ret = defs;
        return 0;
}

void net_requests_free(struct net_request *r, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(r[i].name);
                free(r[i].args);
        }
        free(r);
}

/* The IPv4 subnets a definition's IPAM uses ("subnet", or "ranges" of host-local). */
static char **def_subnets(const struct net_def *d)
{
        json_t *conf =
                d->is_list ? json_array_get(json_object_get(d->conf, "plugins"), 0) : d->conf;
        json_t *ipam = json_object_get(conf, "ipam"), *set, *range;
        char **out = NULL;
        size_t i, j;

        if (json_is_string(json_object_get(ipam, "subnet")))
                strv_push(&out, json_string_value(json_object_get(ipam, "subnet")));
        json_array_foreach(json_object_get(ipam, "ranges"), i, set)
                json_array_foreach(set, j, range)
                        if (json_is_string(json_object_get(range, "subnet")))
                                strv_push(&out,
                                          json_string_value(json_object_get(range, "subnet")));
        return out;
}

static bool cidr4_parse(const char *s, uint32_t *ret_net, uint32_t *ret_mask)
{
        char buf[32];
        const char *slash = strchr(s, '/');
        struct in_addr a;
        int bits;

        if (!slash || (size_t)(slash - s) >= sizeof(buf))
                return false;
        memcpy(buf, s, (size_t)(slash - s));
        buf[slash - s] = '\0';
        bits = atoi(slash + 1);
        if (inet_pton(AF_INET, buf, &a) != 1 || bits < 0 || bits > 32)
                return false;
        *ret_mask = bits == 0 ? 0 : ~0u << (32 - bits);
        *ret_net = ntohl(a.s_addr) & *ret_mask;
        return true;
}

static bool cidrs_overlap(const char *x, const char *y)
{
        uint32_t nx, mx, ny, my;

        if (!cidr4_parse(x, &nx, &mx) || !cidr4_parse(y, &ny, &my))
                return false;
        return (nx & my) == ny || (ny & mx) == nx;
}

static int check_overlaps(const struct net_def *const *sel, size_t n, struct rk_error **reterr)
{
        for (size_t i = 0; i < n; i++)
                for (size_t j = i + 1; j < n; j++) {
                        _cleanup_strv_free_ char **a = def_subnets(sel[i]);
                        _cleanup_strv_free_ char **b = def_subnets(sel[j]);
                        STRV_FOREACH(x, a)
                                STRV_FOREACH(y, b)
                                        if (cidrs_overlap(*x, *y))
                                                return rk_error_set(
                                                        reterr, EINVAL,
                                                        "networks \"%s\" (%s) and \"%s\" (%s) "
                                                        "overlap",
                                                        sel[i]->name, *x, sel[j]->name, *y);
                }
        return 0;
}

/* The CNI_ARGS of name in the --net entries: its own entry's ("" without), else "" when
 * "all" is given, else NULL (not requested). */
static const char *entries_args(char **entries, const char *name)
{
        size_t n = strlen(name);

        STRV_FOREACH(e, entries) {
                if (strcmp(*e, name) == 0)
                        return "";
                if (strncmp(*e, name, n) == 0 && (*e)[n] == ':')
                        return *e + n + 1;
        }
        return strv_contains(entries, "all") ? "" : NULL;
}

/* Requested names no definition has, ", "-joined; NULL when all are defined. */
static char *missing_names(const struct net_defs *defs, char **entries)
{
        struct strbuf sb = STRBUF_INIT;

        STRV_FOREACH(e, entries) {
                size_t n = strcspn(*e, ":");
                bool found = strcmp(*e, "all") == 0;
                for (size_t i = 0; !found && i < defs->n; i++)
                        found = strlen(defs->items[i].name) == n &&
                                strncmp(defs->items[i].name, *e, n) == 0;
                if (!found)
                        strbuf_printf(&sb, "%s%.*s", sb.len ? ", " : "", (int)n, *e);
        }
        return sb.len ? strbuf_detach(&sb) : (strbuf_release(&sb), NULL);
}

int net_select(const struct net_defs *defs, const char *spec, const struct net_def ***ret_defs,
               struct net_request **ret_reqs, size_t *ret_n, struct rk_error **reterr)
{
        _cleanup_strv_free_ char **entries = strv_split(spec, ',');
        _cleanup_free_ char *missing = missing_names(defs, entries);
        const struct net_def **sel = xnew0(const struct net_def *, defs->n + 1);
        struct net_request *reqs = xnew0(struct net_request, defs->n + 1);
        size_t n = 0;
        int r;

        if (missing) {
                free(sel);
                free(reqs);
                return rk_error_set(reterr, ENOENT, "networks not found: %s", missing);
        }
        for (size_t i = 0; i < defs->n; i++) {
                const char *args = entries_args(entries, defs->items[i].name);
                if (!args)
                        continue;
                sel[n] = &defs->items[i];
                reqs[n].name = xstrdup(defs->items[i].name);
                reqs[n++].args = xstrdup(args);
        }
        if (n == 0) {
                free(sel);
                free(reqs);
                return rk_error_set(reterr, ENOENT, "no network definitions found");
        }
        r = check_overlaps(sel, n, reterr);
        if (r < 0) {
                free(sel);
                net_requests_free(reqs, n);
                return r;
        }
        *ret_defs = sel;
        *ret_reqs = reqs;
        *ret_n = n;
        return 0;
}
