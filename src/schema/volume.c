/* SPDX-License-Identifier: Apache-2.0 */
/*
 * appc volumes (types.Volume): kinds "empty" and "host", their defaults and checks, and
 * Go-shaped output. Used by pod manifests and by mounts that carry an appVolume.
 */
#include <errno.h>
#include <string.h>

#include "json-field.h"
#include "macro.h"
#include "pod-manifest.h"

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
        if (!ac_name_is_valid(name))
                return field_error(reterr, path, "name \"%s\" is not a valid AC name", name ?: "");
        vol->name = xstrdup(name);
        vol->kind = xstrdup(kind ?: "");
        vol->source = source && *source ? xstrdup(source) : NULL;
        vol->mode = xstrdup(mode);
        return 0;
}

static int volume_check_empty(struct ac_volume *vol, const char *path, struct rk_error **reterr)
{
        if (vol->source)
                return field_error(reterr, path, "source for empty volume must be empty");
        if (!vol->mode)
                vol->mode = xstrdup("0755");
        if (!vol->has_uid)
                vol->has_uid = true, vol->uid = 0;
        if (!vol->has_gid)
                vol->has_gid = true, vol->gid = 0;
        return 0;
}

static int volume_check_host(const struct ac_volume *vol, const char *path,
                             struct rk_error **reterr)
{
        if (!vol->source)
                return field_error(reterr, path, "source for host volume cannot be empty");
        if (vol->mode)
                return field_error(reterr, path, "mode for host volume cannot be set");
        if (vol->has_uid)
                return field_error(reterr, path, "uid for host volume cannot be set");
        if (vol->has_gid)
                return field_error(reterr, path, "gid for host volume cannot be set");
        if (vol->source[0] != '/')
                return field_error(reterr, path, "source for host volume must be absolute path");
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
        if (r < 0)
                return r;
        if (strcmp(vol.kind, "empty") == 0)
                r = volume_check_empty(&vol, path, reterr);
        else if (strcmp(vol.kind, "host") == 0)
                r = volume_check_host(&vol, path, reterr);
        else
                r = field_error(reterr, path,
                                "unrecognized volume kind \"%s\": should be one "
                                "of \"empty\", \"host\"",
                                vol.kind);
        if (r < 0)
                return r;
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
