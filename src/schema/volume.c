/* SPDX-License-Identifier: Apache-2.0 */
/*
 * appc volumes (types.Volume): kinds "empty" and "host", their defaults and checks, and
 * Go-shaped output. Used by pod manifests and by mounts that carry an appVolume.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json-field.h"
#include "macro.h"
#include "parse-util.h"
#include "pod-manifest.h"
#include "strv.h"

/* Reads an optional boolean into has and val. */
static int volume_opt_bool(const json_t *v, const char *key, const char *path, bool *has, bool *val,
                           struct rk_error **reterr)
{
        int r = jf_bool(v, key, path, val, reterr);

        if (r < 0)
                return r;
        *has = r > 0;
        return 0;
}

static int volume_opt_int(const json_t *v, const char *key, const char *path, bool *has, int *val,
                          struct rk_error **reterr)
{
        int64_t i;
        int r = jf_int(v, key, path, INT32_MIN, INT32_MAX, &i, reterr);

        if (r < 0)
                return r;
        *has = r > 0;
        *val = (int)i;
        return 0;
}

static int volume_read(const json_t *v, const char *path, struct ac_volume *vol,
                       struct rk_error **reterr)
{
        const char *name, *kind, *source, *mode;
        int r;

        if ((r = jf_string(v, "name", path, &name, reterr)) < 0 ||
            (r = jf_string(v, "kind", path, &kind, reterr)) < 0 ||
            (r = jf_string(v, "source", path, &source, reterr)) < 0 ||
            (r = jf_string(v, "mode", path, &mode, reterr)) < 0 ||
            (r = volume_opt_bool(v, "readOnly", path, &vol->has_read_only, &vol->read_only,
                                 reterr)) < 0 ||
            (r = volume_opt_bool(v, "recursive", path, &vol->has_recursive, &vol->recursive,
                                 reterr)) < 0 ||
            (r = volume_opt_int(v, "uid", path, &vol->has_uid, &vol->uid, reterr)) < 0 ||
            (r = volume_opt_int(v, "gid", path, &vol->has_gid, &vol->gid, reterr)) < 0)
                return r;
        vol->name = xstrdup(name);
        vol->kind = xstrdup(kind ?: "");
        vol->source = source && *source ? xstrdup(source) : NULL;
        vol->mode = xstrdup(mode);
        return 0;
}

/* appc's rules for a volume's kind, in the order they are checked. */
enum volume_fault {
        VOLUME_VALID,
        VOLUME_KIND_UNKNOWN,
        VOLUME_EMPTY_SOURCE,
        VOLUME_HOST_NO_SOURCE,
        VOLUME_HOST_MODE,
        VOLUME_HOST_UID,
        VOLUME_HOST_GID,
        VOLUME_HOST_RELATIVE,
        _VOLUME_FAULT_MAX,
};

/* What a manifest's volume is told (the unknown kind is told with its name). */
static const char *const fault_json[_VOLUME_FAULT_MAX] = {
        [VOLUME_EMPTY_SOURCE] = "source for empty volume must be empty",
        [VOLUME_HOST_NO_SOURCE] = "source for host volume cannot be empty",
        [VOLUME_HOST_MODE] = "mode for host volume cannot be set",
        [VOLUME_HOST_UID] = "uid for host volume cannot be set",
        [VOLUME_HOST_GID] = "gid for host volume cannot be set",
        [VOLUME_HOST_RELATIVE] = "source for host volume must be absolute path",
};

/* What a --volume value is told, as rkt told it. */
static const char *const fault_flag[_VOLUME_FAULT_MAX] = {
        [VOLUME_KIND_UNKNOWN] = "unrecognized volume kind: should be one of \"empty\", \"host\"",
        [VOLUME_EMPTY_SOURCE] = "source is not valid for empty volumes",
        [VOLUME_HOST_NO_SOURCE] = "source for host volume must be absolute path",
        [VOLUME_HOST_MODE] = "mode, uid and gid are only valid for empty volumes",
        [VOLUME_HOST_UID] = "mode, uid and gid are only valid for empty volumes",
        [VOLUME_HOST_GID] = "mode, uid and gid are only valid for empty volumes",
        [VOLUME_HOST_RELATIVE] = "source for host volume must be absolute path",
};

/* The first kind rule vol breaks. A source is set when non-NULL, even empty. */
static enum volume_fault volume_fault(const struct ac_volume *vol)
{
        const char *kind = vol->kind ?: "";

        if (strcmp(kind, "empty") == 0)
                return vol->source ? VOLUME_EMPTY_SOURCE : VOLUME_VALID;
        if (strcmp(kind, "host") != 0)
                return VOLUME_KIND_UNKNOWN;
        if (!vol->source || !*vol->source)
                return VOLUME_HOST_NO_SOURCE;
        if (vol->mode)
                return VOLUME_HOST_MODE;
        if (vol->has_uid)
                return VOLUME_HOST_UID;
        if (vol->has_gid)
                return VOLUME_HOST_GID;
        if (vol->source[0] != '/')
                return VOLUME_HOST_RELATIVE;
        return VOLUME_VALID;
}

/* appc's defaults of an empty volume: mode 0755, uid and gid 0. */
static void volume_set_defaults(struct ac_volume *vol)
{
        if (strcmp(vol->kind, "empty") != 0)
                return;
        if (!vol->mode)
                vol->mode = xstrdup("0755");
        if (!vol->has_uid)
                vol->has_uid = true, vol->uid = 0;
        if (!vol->has_gid)
                vol->has_gid = true, vol->gid = 0;
}

int ac_volume_validate(const struct ac_volume *v, const char *path, struct rk_error **reterr)
{
        enum volume_fault f;

        if (!ac_name_is_valid(v->name))
                return field_error(reterr, path, "name \"%s\" is not a valid AC name",
                                   v->name ?: "");
        f = volume_fault(v);
        if (f == VOLUME_KIND_UNKNOWN)
                return field_error(reterr, path,
                                   "unrecognized volume kind \"%s\": should be one "
                                   "of \"empty\", \"host\"",
                                   v->kind ?: "");
        if (f != VOLUME_VALID)
                return field_error(reterr, path, "%s", fault_json[f]);
        return 0;
}

int ac_volume_parse(const json_t *v, const char *path, struct ac_volume *ret,
                    struct rk_error **reterr)
{
        _cleanup_(ac_volume_done) struct ac_volume vol = {};
        int r;

        if (!json_is_object(v))
                return field_error(reterr, path, "expected an object");
        r = volume_read(v, path, &vol, reterr);
        if (r >= 0)
                r = ac_volume_validate(&vol, path, reterr);
        if (r < 0)
                return r;
        volume_set_defaults(&vol);
        *ret = vol;
        vol = (struct ac_volume){};
        return 0;
}

/* A uid or gid of a --volume value: decimal, 0..INT32_MAX. */
static int volume_id_param(const char *key, const char *value, bool *has, int *ret,
                           struct rk_error **reterr)
{
        char *end;
        long n;

        errno = 0;
        n = strtol(value, &end, 10);
        if (!*value || *end || errno || n < 0 || n > INT32_MAX)
                return rk_error_set(reterr, EINVAL, "invalid %s \"%s\"", key, value);
        *has = true;
        *ret = (int)n;
        return 0;
}

static int volume_bool_param(const char *key, const char *value, bool *has, bool *ret,
                             struct rk_error **reterr)
{
        if (parse_bool_go(value, ret) < 0)
                return rk_error_set(reterr, EINVAL, "invalid boolean \"%s\" for %s", value, key);
        *has = true;
        return 0;
}

/* One key=value of a --volume value into vol. */
static int volume_param(struct ac_volume *vol, const char *key, const char *value,
                        struct rk_error **reterr)
{
        char **field = strcmp(key, "name") == 0     ? &vol->name
                       : strcmp(key, "kind") == 0   ? &vol->kind
                       : strcmp(key, "source") == 0 ? &vol->source
                       : strcmp(key, "mode") == 0   ? &vol->mode
                                                    : NULL;

        if (field) {
                *field = xstrdup(value);
                return 0;
        }
        if (strcmp(key, "readOnly") == 0)
                return volume_bool_param(key, value, &vol->has_read_only, &vol->read_only, reterr);
        if (strcmp(key, "recursive") == 0)
                return volume_bool_param(key, value, &vol->has_recursive, &vol->recursive, reterr);
        if (strcmp(key, "uid") == 0)
                return volume_id_param(key, value, &vol->has_uid, &vol->uid, reterr);
        if (strcmp(key, "gid") == 0)
                return volume_id_param(key, value, &vol->has_gid, &vol->gid, reterr);
        return rk_error_set(reterr, EINVAL, "unknown volume parameter \"%s\"", key);
}

int ac_volume_from_string(const char *s, struct ac_volume *ret, struct rk_error **reterr)
{
        _cleanup_(ac_volume_done) struct ac_volume vol = {};
        _cleanup_free_ char *full = xasprintf("name=%s", s);
        _cleanup_strv_free_ char **parts = strv_split(full, ',');
        _cleanup_strv_free_ char **seen = NULL;
        enum volume_fault f;

        STRV_FOREACH(p, parts) {
                char *eq = strchr(*p, '=');
                int r;

                if (!eq)
                        return rk_error_set(reterr, EINVAL,
                                            "malformed string \"%s\" has a label without a value",
                                            s);
                *eq = '\0';
                if (strv_contains(seen, *p))
                        return rk_error_set(reterr, EINVAL, "label %s with multiple values", *p);
                strv_push(&seen, *p);
                r = volume_param(&vol, *p, eq + 1, reterr);
                if (r < 0)
                        return r;
        }
        f = volume_fault(&vol);
        if (f != VOLUME_VALID)
                return rk_error_set(reterr, EINVAL, "%s", fault_flag[f]);
        if (!ac_name_is_valid(vol.name))
                return rk_error_set(reterr, EINVAL, "name \"%s\" is not a valid AC name", vol.name);
        volume_set_defaults(&vol);
        *ret = vol;
        vol = (struct ac_volume){};
        return 0;
}

void ac_volume_done(struct ac_volume *v)
{
        if (!v)
                return;
        free(v->name);
        free(v->kind);
        free(v->source);
        free(v->mode);
        *v = (struct ac_volume){};
}

json_t *ac_volume_to_json(const struct ac_volume *v)
{
        json_t *o = oom_check(json_object());

        jset(o, "name", jstr(v->name));
        jset(o, "kind", jstr(v->kind));
        if (v->source && *v->source)
                jset(o, "source", jstr(v->source));
        if (v->has_read_only)
                jset(o, "readOnly", json_boolean(v->read_only));
        if (v->has_recursive)
                jset(o, "recursive", json_boolean(v->recursive));
        if (v->mode)
                jset(o, "mode", jstr(v->mode));
        if (v->has_uid)
                jset(o, "uid", oom_check(json_integer(v->uid)));
        if (v->has_gid)
                jset(o, "gid", oom_check(json_integer(v->gid)));
        return o;
}
