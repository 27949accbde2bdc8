/* SPDX-License-Identifier: Apache-2.0 */
/* Loading and merging rkt's configuration directories. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config-private.h"
#include "fs-util.h"
#include "json-util.h"
#include "strv.h"

/* The kinds each subdirectory may hold. */
static const struct {
        const char *subdir;
        const char *kinds;
        const char *kinds_list;
} config_subdirs[] = {
        {"auth.d", "auth dockerAuth", "\"auth\", \"dockerAuth\""},
        {"paths.d", "paths", "\"paths\""},
        {"stage1.d", "stage1", "\"stage1\""},
};

/* The fields rkt's Go code read, per kind: keys matching them case-insensitively are
 * renamed to them (json-util.h), two keys for one field are an error. */
static const struct json_field_spec header_fields[] = {{"rktKind"}, {"rktVersion"}, {NULL}};
static const struct json_field_spec credentials_fields[] = {
        {"user"},      {"password"}, {"token"}, {"accessKeyID"}, {"secretAccessKey"},
        {"awsRegion"}, {NULL},
};
static const struct {
        const char *kind;
        struct json_field_spec fields[4];
} kind_fields[] = {
        {"auth", {{"domains"}, {"type"}, {"credentials", credentials_fields}, {NULL}}},
        {"dockerAuth", {{"registries"}, {"credentials", credentials_fields}, {NULL}}},
        {"paths", {{"data"}, {"stage1-images"}, {NULL}}},
        {"stage1", {{"name"}, {"version"}, {"location"}, {NULL}}},
};

/* Loads path: a JSON object, its header and the fields of its kind canonicalised. */
static int config_load_file(const char *path, json_t **ret, struct rk_error **reterr)
{
        _cleanup_free_ char *raw = NULL, *why = NULL;
        _cleanup_json_ json_t *v = NULL;
        size_t len;
        int r;

        r = read_file_at(AT_FDCWD, path, 1 << 20, &raw, &len);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "failed to read \"%s\"", path);
        v = json_load_strict(raw, len, 0, &why);
        if (!v)
                return rk_error_set(reterr, EINVAL, "failed to parse \"%s\": %s", path, why);
        if (!json_is_object(v))
                return rk_error_set(reterr, EINVAL, "failed to parse \"%s\": not a JSON object",
                                    path);
        r = json_fields_canonicalise(v, header_fields, &why);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(kind_fields); i++)
                if (strcmp(json_string_value(json_object_get(v, "rktKind")) ?: "",
                           kind_fields[i].kind) == 0)
                        r = json_fields_canonicalise(v, kind_fields[i].fields, &why);
        if (r < 0)
                return rk_error_set(reterr, EINVAL, "failed to parse \"%s\": %s", path, why);
        *ret = TAKE_PTR(v);
        return 0;
}

static int config_parse_file(struct config *dir_cfg, const char *path, const char *kinds,
                             const char *kinds_list, struct rk_error **reterr)
{
        json_t *v = NULL;
        const char *kind, *version;
        int r;

        r = config_load_file(path, &v, reterr);
        if (r < 0)
                return r;
        kind = json_string_value(json_object_get(v, "rktKind"));
        version = json_string_value(json_object_get(v, "rktVersion"));
        if (!kind || !*kind)
                r = rk_error_set(reterr, EINVAL, "no rktKind specified in \"%s\"", path);
        else if (!version || !*version)
                r = rk_error_set(reterr, EINVAL, "no rktVersion specified in \"%s\"", path);
        else if (!strv_contains_word(kinds, kind))
                r = rk_error_set(reterr, EINVAL,
                                 "the configuration directory \"%s\" expects to "
                                 "have configuration files of kinds %s, but \"%s\" has kind of "
                                 "\"%s\"",
                                 dirname_of(path), kinds_list, path, kind);
        else if (strcmp(version, "v1") != 0)
                r = rk_error_set(reterr, EINVAL,
                                 "no parser available for configuration of kind "
                                 "\"%s\" and version \"%s\"",
                                 kind, version);
        else
                r = config_parse_v1(dir_cfg, kind, v, path, reterr);
        json_decref(v);
        return r;
}

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular *.json files of dir (symlinks and subdirectories ignored), sorted. */
static int config_list_files(const char *dir, char ***ret, struct rk_error **reterr)
{
        _cleanup_strv_free_ char **files = NULL;
        struct dirent *de;
        struct stat st;
        DIR *d;

        if (lstat(dir, &st) < 0) {
                *ret = NULL;
                return errno == ENOENT ? 0
                                       : rk_error_set_errno(reterr, errno, "cannot read %s", dir);
        }
        if (!S_ISDIR(st.st_mode))
                return rk_error_set(reterr, ENOTDIR, "expected \"%s\" to be a directory", dir);
        d = opendir(dir);
        if (!d)
                return rk_error_set_errno(reterr, errno, "cannot read %s", dir);
        while ((de = readdir(d))) {
                size_t n = strlen(de->d_name);

                if (n > 5 && strcmp(de->d_name + n - 5, ".json") == 0 &&
                    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                    S_ISREG(st.st_mode))
                        strv_consume(&files, xasprintf("%s/%s", dir, de->d_name));
        }
        closedir(d);
        if (files)
                qsort(files, strv_length(files), sizeof(char *), cmp_names);
        *ret = TAKE_PTR(files);
        return 0;
}

/* Reads one configuration directory into dir_cfg (duplicate keys are errors). */
static int config_load_dir(struct config *dir_cfg, const char *dir, struct rk_error **reterr)
{
        for (size_t i = 0; i < ELEMENTSOF(config_subdirs); i++) {
                _cleanup_free_ char *sub = xasprintf("%s/%s", dir, config_subdirs[i].subdir);
                _cleanup_strv_free_ char **files = NULL;
                int r;

                r = config_list_files(sub, &files, reterr);
                if (r < 0)
                        return r;
                STRV_FOREACH(f, files) {
                        r = config_parse_file(dir_cfg, *f, config_subdirs[i].kinds,
                                              config_subdirs[i].kinds_list, reterr);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int config_load(const char *system_dir, const char *local_dir, const char *user_dir,
                struct config **ret, struct rk_error **reterr)
{
        _cleanup_(config_freep) struct config *c = xnew0(struct config, 1);
        const char *dirs[] = {system_dir, local_dir, user_dir};

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_(config_freep) struct config *d = NULL;
                int r;

                if (!dirs[i] || !*dirs[i])
                        continue;
                d = xnew0(struct config, 1);
                r = config_load_dir(d, dirs[i], reterr);
                if (r < 0)
                        return r;
                config_merge(c, d);
        }
        *ret = TAKE_PTR(c);
        return 0;
}
