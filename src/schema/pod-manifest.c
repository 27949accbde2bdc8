/* SPDX-License-Identifier: Apache-2.0 */
/*
 * appc PodManifest: parse + validate (apps, images, mounts, volumes, ports, isolators) and
 * canonical Go-compatible output. rkt writes and reads these as <pod>/pod.
 */
#include "pod-manifest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "json-field.h"
#include "json-util.h"
#include "macro.h"

/* An app's image (at ipath): an AC identifier name when set, a sha512 ID. */
static int pod_image_check(const char *name, const char *id, const char *ipath,
                           struct rk_error **reterr)
{
        _cleanup_free_ char *idpath = field_join(ipath, "id");

        if (name && !ac_identifier_is_valid(name))
                return field_error(reterr, ipath, "name \"%s\" is not a valid AC identifier", name);
        if (!id)
                return field_error(reterr, idpath, "missing image ID");
        if (!ac_hash_is_valid(id))
                return field_error(reterr, idpath, "\"%s\" is not a sha512-<hex> hash", id);
        return 0;
}

static int pod_image_parse(const json_t *app, const char *path, struct pod_app *a,
                           struct rk_error **reterr)
{
        _cleanup_free_ char *ipath = field_join(path, "image");
        const char *name, *id;
        json_t *img;
        int r = jf_object(app, "image", path, &img, reterr);

        if (r < 0)
                return r;
        if (!img)
                return field_error(reterr, ipath, "missing");
        if ((r = jf_string(img, "name", ipath, &name, reterr)) < 0 ||
            (r = jf_string(img, "id", ipath, &id, reterr)) < 0 ||
            (r = jf_labels(img, "labels", ipath, &a->image_labels, reterr)) < 0 ||
            (r = pod_image_check(name, id, ipath, reterr)) < 0)
                return r;
        a->image_name = xstrdup(name);
        a->image_id = xstrdup(id);
        return 0;
}

/* A mount (at path): an ACName volume, an absolute path. */
static int pod_mount_check(const char *vol, const char *mpath, const char *path,
                           struct rk_error **reterr)
{
        if (!ac_name_is_valid(vol))
                return field_error(reterr, path, "volume \"%s\" is not a valid AC name", vol ?: "");
        if (!mpath || mpath[0] != '/')
                return field_error(reterr, path, "path \"%s\" is not an absolute path",
                                   mpath ?: "");
        return 0;
}

static int pod_mount_parse(const json_t *v, const char *path, struct pod_mount *m,
                           struct rk_error **reterr)
{
        const char *vol, *mpath;
        json_t *appvol;
        int r;

        if (!json_is_object(v))
                return field_error(reterr, path, "expected an object");
        if ((r = jf_string(v, "volume", path, &vol, reterr)) < 0 ||
            (r = jf_string(v, "path", path, &mpath, reterr)) < 0 ||
            (r = jf_object(v, "appVolume", path, &appvol, reterr)) < 0 ||
            (r = pod_mount_check(vol, mpath, path, reterr)) < 0)
                return r;
        m->volume = xstrdup(vol);
        m->path = xstrdup(mpath);
        if (!appvol)
                return 0;
        _cleanup_free_ char *vpath = field_join(path, "appVolume");
        m->app_volume = xnew0(struct ac_volume, 1);
        return ac_volume_parse(appvol, vpath, m->app_volume, reterr);
}

static int pod_mounts_parse(const json_t *app, const char *path, struct pod_app *a,
                            struct rk_error **reterr)
{
        _cleanup_free_ char *mpath = field_join(path, "mounts");
        json_t *arr, *v;
        size_t i;
        int r = jf_array(app, "mounts", path, &arr, reterr);

        if (r <= 0)
                return r;
        a->mounts = xnew0(struct pod_mount, json_array_size(arr) + 1);
        json_array_foreach(arr, i, v) {
                _cleanup_free_ char *p = field_index(mpath, i);

                a->n_mounts++;
                r = pod_mount_parse(v, p, &a->mounts[i], reterr);
                if (r < 0)
                        return r;
        }
        return 1;
}

/* An app's name (at path): an ACName. */
static int pod_app_name_check(const char *name, const char *path, struct rk_error **reterr)
{
        if (!ac_name_is_valid(name))
                return field_error(reterr, path, "name \"%s\" is not a valid AC name", name ?: "");
        return 0;
}

static int pod_app_parse(const json_t *v, const char *path, struct pod_app *a,
                         struct rk_error **reterr)
{
        const char *name;
        json_t *app;
        int r;

        if (!json_is_object(v))
                return field_error(reterr, path, "expected an object");
        if ((r = jf_string(v, "name", path, &name, reterr)) < 0 ||
            (r = pod_app_name_check(name, path, reterr)) < 0)
                return r;
        a->name = xstrdup(name);
        _cleanup_free_ char *apath = field_join(path, "app");
        if ((r = pod_image_parse(v, path, a, reterr)) < 0 ||
            (r = jf_object(v, "app", path, &app, reterr)) < 0 ||
            (app && (r = ac_app_parse(app, apath, &a->app, reterr)) < 0) ||
            (r = jf_bool(v, "readOnlyRootFS", path, &a->read_only_rootfs, reterr)) < 0 ||
            (r = pod_mounts_parse(v, path, a, reterr)) < 0 ||
            (r = jf_annotations(v, "annotations", path, &a->annotations, reterr)) < 0)
                return r;
        return 0;
}

/* App i's name is not among the ones before it (path names app i). */
static int pod_app_check_unique(const struct pod_manifest *m, size_t i, const char *path,
                                struct rk_error **reterr)
{
        for (size_t j = 0; j < i; j++)
                if (strcmp(m->apps[j].name, m->apps[i].name) == 0)
                        return field_error(reterr, path, "duplicate apps of name \"%s\"",
                                           m->apps[i].name);
        return 0;
}

static int pod_apps_parse(const json_t *doc, struct pod_manifest *m, struct rk_error **reterr)
{
        json_t *arr, *v;
        size_t i;
        int r = jf_array(doc, "apps", NULL, &arr, reterr);

        if (r <= 0)
                return r;
        m->has_apps = true;
        m->apps = xnew0(struct pod_app, json_array_size(arr) + 1);
        json_array_foreach(arr, i, v) {
                _cleanup_free_ char *p = field_index("apps", i);

                m->n_apps++;
                r = pod_app_parse(v, p, &m->apps[i], reterr);
                if (r >= 0)
                        r = pod_app_check_unique(m, i, p, reterr);
                if (r < 0)
                        return r;
        }
        return 1;
}

/* Volume i's name is not among the ones before it (path names volume i). */
static int pod_volume_check_unique(const struct pod_manifest *m, size_t i, const char *path,
                                   struct rk_error **reterr)
{
        for (size_t j = 0; j < i; j++)
                if (strcmp(m->volumes[j].name, m->volumes[i].name) == 0)
                        return field_error(reterr, path, "duplicate volume name \"%s\"",
                                           m->volumes[i].name);
        return 0;
}

static int pod_volumes_parse(const json_t *doc, struct pod_manifest *m, struct rk_error **reterr)
{
        json_t *arr, *v;
        size_t i;
        int r = jf_array(doc, "volumes", NULL, &arr, reterr);

        if (r <= 0)
                return r;
        m->has_volumes = true;
        m->volumes = xnew0(struct ac_volume, json_array_size(arr) + 1);
        json_array_foreach(arr, i, v) {
                _cleanup_free_ char *p = field_index("volumes", i);

                r = ac_volume_parse(v, p, &m->volumes[i], reterr);
                if (r < 0)
                        return r;
                m->n_volumes++;
                r = pod_volume_check_unique(m, i, p, reterr);
                if (r < 0)
                        return r;
        }
        return 1;
}

/* Canonical text of an IP address as Go's net.IP prints it; NULL when s is not an IP. */
static char *ip_canonical(const char *s)
{
        unsigned char buf[16];
        char out[INET6_ADDRSTRLEN];
        static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

        if (inet_pton(AF_INET, s, buf) == 1)
                return xstrdup(inet_ntop(AF_INET, buf, out, sizeof(out)));
        if (inet_pton(AF_INET6, s, buf) != 1)
                return NULL;
        if (memcmp(buf, v4mapped, sizeof(v4mapped)) == 0)
                return xstrdup(inet_ntop(AF_INET, buf + 12, out, sizeof(out)));
        return xstrdup(inet_ntop(AF_INET6, buf, out, sizeof(out)));
}

/* A port's name (at path): an ACName. */
static int pod_port_name_check(const char *name, const char *path, struct rk_error **reterr)
{
        if (!ac_name_is_valid(name))
                return field_error(reterr, path, "name \"%s\" is not a valid AC name", name ?: "");
        return 0;
}

static int pod_port_parse(const json_t *v, const char *path, struct pod_port *p,
                          struct rk_error **reterr)
{
        _cleanup_free_ char *pp = field_join(path, "podPort");
        const char *name, *ip;
        json_t *podport;
        int64_t host_port;
        int r;

        if (!json_is_object(v))
                return field_error(reterr, path, "expected an object");
        if ((r = jf_string(v, "name", path, &name, reterr)) < 0 ||
            (r = jf_int(v, "hostPort", path, 0, 65535, &host_port, reterr)) < 0 ||
            (r = jf_string(v, "hostIP", path, &ip, reterr)) < 0 ||
            (r = jf_object(v, "podPort", path, &podport, reterr)) < 0 ||
            (r = pod_port_name_check(name, path, reterr)) < 0)
                return r;
        p->name = xstrdup(name);
        p->host_port = (unsigned)host_port;
        if (ip && *ip && !(p->host_ip = ip_canonical(ip)))
                return field_error(reterr, path, "hostIP \"%s\" is not an IP address", ip);
        if (!podport)
                return 0;
        p->pod_port = xnew0(struct ac_port, 1);
        return ac_port_parse(podport, pp, p->pod_port, reterr);
}

static int pod_ports_parse(const json_t *doc, struct pod_manifest *m, struct rk_error **reterr)
{
        json_t *arr, *v;
        size_t i;
        int r = jf_array(doc, "ports", NULL, &arr, reterr);

        if (r <= 0)
                return r;
        m->has_ports = true;
        m->ports = xnew0(struct pod_port, json_array_size(arr) + 1);
        json_array_foreach(arr, i, v) {
                _cleanup_free_ char *p = field_index("ports", i);

                m->n_ports++;
                r = pod_port_parse(v, p, &m->ports[i], reterr);
                if (r < 0)
                        return r;
        }
        return 1;
}

/* Every mount must name a declared pod volume unless it carries its own appVolume. */
static int pod_check_mounts(const struct pod_manifest *m, struct rk_error **reterr)
{
        for (size_t i = 0; i < m->n_apps; i++)
                for (size_t j = 0; j < m->apps[i].n_mounts; j++) {
                        const struct pod_mount *mnt = &m->apps[i].mounts[j];
                        _cleanup_free_ char *p = xasprintf("apps[%zu].mounts[%zu]", i, j);

                        if (mnt->app_volume || pod_manifest_find_volume(m, mnt->volume))
                                continue;
                        return field_error(reterr, p,
                                           "volume \"%s\" is not declared in the "
                                           "pod's volumes",
                                           mnt->volume);
                }
        return 0;
}

static int pod_mount_validate(const struct pod_mount *mnt, const char *path,
                              struct rk_error **reterr)
{
        _cleanup_free_ char *vpath = field_join(path, "appVolume");
        int r = pod_mount_check(mnt->volume, mnt->path, path, reterr);

        if (r >= 0 && mnt->app_volume)
                r = ac_volume_validate(mnt->app_volume, vpath, reterr);
        return r;
}

static int pod_app_validate(const struct pod_app *a, const char *path, struct rk_error **reterr)
{
        _cleanup_free_ char *ipath = field_join(path, "image");
        _cleanup_free_ char *lpath = field_join(ipath, "labels");
        _cleanup_free_ char *apath = field_join(path, "app");
        _cleanup_free_ char *mpath = field_join(path, "mounts");
        _cleanup_free_ char *npath = field_join(path, "annotations");
        int r;

        if ((r = pod_app_name_check(a->name, path, reterr)) < 0 ||
            (r = labels_check(&a->image_labels, lpath, reterr)) < 0 ||
            (r = pod_image_check(a->image_name, a->image_id, ipath, reterr)) < 0 ||
            (a->app && (r = ac_app_validate(a->app, apath, reterr)) < 0))
                return r;
        for (size_t i = 0; i < a->n_mounts; i++) {
                _cleanup_free_ char *p = field_index(mpath, i);

                r = pod_mount_validate(&a->mounts[i], p, reterr);
                if (r < 0)
                        return r;
        }
        return annotations_check(&a->annotations, npath, reterr);
}

static int pod_port_validate(const struct pod_port *p, const char *path, struct rk_error **reterr)
{
        _cleanup_free_ char *hpath = field_join(path, "hostPort");
        _cleanup_free_ char *pp = field_join(path, "podPort");
        _cleanup_free_ char *ip = NULL;
        int r = pod_port_name_check(p->name, path, reterr);

        if (r < 0)
                return r;
        if (p->host_port > 65535)
                return field_error(reterr, hpath, "%u is out of range (0..65535)", p->host_port);
        if (p->host_ip && *p->host_ip && !(ip = ip_canonical(p->host_ip)))
                return field_error(reterr, path, "hostIP \"%s\" is not an IP address", p->host_ip);
        return p->pod_port ? ac_port_validate(p->pod_port, pp, reterr) : 0;
}

/* App i (at path): valid, and its name not taken by the apps before it. */
static int pod_app_item_validate(const struct pod_manifest *m, size_t i, const char *path,
                                 struct rk_error **reterr)
{
        int r = pod_app_validate(&m->apps[i], path, reterr);

        return r < 0 ? r : pod_app_check_unique(m, i, path, reterr);
}

/* Volume i (at path): valid, and its name not taken by the volumes before it. */
static int pod_volume_item_validate(const struct pod_manifest *m, size_t i, const char *path,
                                    struct rk_error **reterr)
{
        int r = ac_volume_validate(&m->volumes[i], path, reterr);

        return r < 0 ? r : pod_volume_check_unique(m, i, path, reterr);
}

static int pod_port_item_validate(const struct pod_manifest *m, size_t i, const char *path,
                                  struct rk_error **reterr)
{
        return pod_port_validate(&m->ports[i], path, reterr);
}

/* Calls check(m, i, "<key>[i]") for each i < n, up to the first failure. */
static int validate_each(const struct pod_manifest *m, const char *key, size_t n,
                         int (*check)(const struct pod_manifest *, size_t, const char *,
                                      struct rk_error **),
                         struct rk_error **reterr)
{
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *p = field_index(key, i);
                int r = check(m, i, p, reterr);

                if (r < 0)
                        return r;
        }
        return 0;
}

int pod_manifest_validate(const struct pod_manifest *m, struct rk_error **reterr)
{
        int r;

        if ((r = ac_version_check(m->ac_version, true, reterr)) < 0 ||
            (r = validate_each(m, "apps", m->n_apps, pod_app_item_validate, reterr)) < 0 ||
            (r = validate_each(m, "volumes", m->n_volumes, pod_volume_item_validate, reterr)) < 0 ||
            (r = ac_isolators_validate(m->isolators, m->n_isolators, "isolators", reterr)) < 0 ||
            (r = annotations_check(&m->annotations, "annotations", reterr)) < 0 ||
            (r = validate_each(m, "ports", m->n_ports, pod_port_item_validate, reterr)) < 0)
                return r;
        return pod_check_mounts(m, reterr);
}

static int pod_manifest_parse_doc(const json_t *doc, struct pod_manifest *m,
                                  struct rk_error **reterr)
{
        int r;

        if ((r = pod_apps_parse(doc, m, reterr)) < 0 ||
            (r = pod_volumes_parse(doc, m, reterr)) < 0 ||
            (r = ac_isolators_parse(doc, "isolators", NULL, &m->isolators, &m->n_isolators,
                                    reterr)) < 0)
                return r;
        m->has_isolators = r > 0;
        if ((r = jf_annotations(doc, "annotations", NULL, &m->annotations, reterr)) < 0)
                return r;
        m->has_annotations = r > 0;
        if ((r = pod_ports_parse(doc, m, reterr)) < 0 ||
            (r = jf_string_map(doc, "userAnnotations", NULL, &m->user_annotations, reterr)) < 0 ||
            (r = jf_string_map(doc, "userLabels", NULL, &m->user_labels, reterr)) < 0)
                return r;
        return pod_check_mounts(m, reterr);
}

int pod_manifest_parse(const char *json, size_t len, struct pod_manifest **ret,
                       struct rk_error **reterr)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = xnew0(struct pod_manifest, 1);
        _cleanup_json_ json_t *doc = NULL;
        int r;

        r = manifest_load(json, len, "PodManifest", true, &doc, &m->ac_version, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "invalid PodManifest");
        r = pod_manifest_parse_doc(doc, m, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "invalid PodManifest");
        *ret = TAKE_PTR(m);
        return 0;
}

static void pod_app_done(struct pod_app *a)
{
        free(a->name);
        free(a->image_name);
        free(a->image_id);
        ac_labels_done(&a->image_labels);
        ac_app_free(a->app);
        for (size_t i = 0; i < a->n_mounts; i++) {
                free(a->mounts[i].volume);
                free(a->mounts[i].path);
                ac_volume_done(a->mounts[i].app_volume);
                free(a->mounts[i].app_volume);
        }
        free(a->mounts);
        ac_labels_done(&a->annotations);
}

void pod_port_done(struct pod_port *p)
{
        free(p->name);
        free(p->host_ip);
        if (p->pod_port)
                ac_port_done(p->pod_port);
        free(p->pod_port);
        *p = (struct pod_port){};
}

struct pod_manifest *pod_manifest_free(struct pod_manifest *m)
{
        if (!m)
                return NULL;
        free(m->ac_version);
        for (size_t i = 0; i < m->n_apps; i++)
                pod_app_done(&m->apps[i]);
        free(m->apps);
        for (size_t i = 0; i < m->n_volumes; i++)
                ac_volume_done(&m->volumes[i]);
        free(m->volumes);
        ac_isolators_free(m->isolators, m->n_isolators);
        ac_labels_done(&m->annotations);
        for (size_t i = 0; i < m->n_ports; i++)
                pod_port_done(&m->ports[i]);
        free(m->ports);
        ac_labels_done(&m->user_annotations);
        ac_labels_done(&m->user_labels);
        free(m);
        return NULL;
}

const struct pod_app *pod_manifest_find_app(const struct pod_manifest *m, const char *name)
{
        for (size_t i = 0; i < m->n_apps; i++)
                if (strcmp(m->apps[i].name, name) == 0)
                        return &m->apps[i];
        return NULL;
}

const struct ac_volume *pod_manifest_find_volume(const struct pod_manifest *m, const char *name)
{
        for (size_t i = 0; i < m->n_volumes; i++)
                if (strcmp(m->volumes[i].name, name) == 0)
                        return &m->volumes[i];
        return NULL;
}

static json_t *pod_app_to_json(const struct pod_app *a)
{
        json_t *o = oom_check(json_object()), *img = oom_check(json_object());

        jset(o, "name", jstr(a->name));
        if (a->image_name)
                jset(img, "name", jstr(a->image_name));
        jset(img, "id", jstr(a->image_id));
        if (a->image_labels.n)
                jset(img, "labels", jpairs(&a->image_labels));
        jset(o, "image", img);
        if (a->app)
                jset(o, "app", ac_app_to_json(a->app));
        if (a->read_only_rootfs)
                jset(o, "readOnlyRootFS", json_true());
        if (a->n_mounts) {
                json_t *arr = oom_check(json_array());

                for (size_t i = 0; i < a->n_mounts; i++) {
                        json_t *mo = oom_check(json_object());

                        jset(mo, "volume", jstr(a->mounts[i].volume));
                        jset(mo, "path", jstr(a->mounts[i].path));
                        if (a->mounts[i].app_volume)
                                jset(mo, "appVolume", ac_volume_to_json(a->mounts[i].app_volume));
                        json_array_append_new(arr, mo);
                }
                jset(o, "mounts", arr);
        }
        if (a->annotations.n)
                jset(o, "annotations", jpairs(&a->annotations));
        return o;
}

static json_t *pod_port_to_json(const struct pod_port *p)
{
        json_t *o = oom_check(json_object());

        jset(o, "name", jstr(p->name));
        jset(o, "hostPort", oom_check(json_integer(p->host_port)));
        if (p->host_ip)
                jset(o, "hostIP", jstr(p->host_ip));
        if (p->pod_port)
                jset(o, "podPort", ac_port_to_json(p->pod_port));
        return o;
}

/* A Go slice: null when nil (absent and empty), else an array built by item(). */
static json_t *slice_to_json(const void *items, size_t n, size_t size, bool has,
                             json_t *(*item)(const void *))
{
        json_t *arr;

        if (!has && n == 0)
                return json_null();
        arr = oom_check(json_array());
        for (size_t i = 0; i < n; i++)
                json_array_append_new(arr, item((const char *)items + i * size));
        return arr;
}

static json_t *app_item(const void *p)
{
        return pod_app_to_json(p);
}

static json_t *volume_item(const void *p)
{
        return ac_volume_to_json(p);
}

static json_t *port_item(const void *p)
{
        return pod_port_to_json(p);
}

char *pod_manifest_to_json(const struct pod_manifest *m, bool pretty)
{
        _cleanup_json_ json_t *o = oom_check(json_object());

        jset(o, "acVersion", jstr(m->ac_version));
        jset(o, "acKind", jstr("PodManifest"));
        jset(o, "apps", slice_to_json(m->apps, m->n_apps, sizeof(*m->apps), m->has_apps, app_item));
        jset(o, "volumes",
             slice_to_json(m->volumes, m->n_volumes, sizeof(*m->volumes), m->has_volumes,
                           volume_item));
        jset(o, "isolators",
             m->n_isolators || m->has_isolators ? ac_isolators_to_json(m->isolators, m->n_isolators)
                                                : json_null());
        jset(o, "annotations",
             m->annotations.n || m->has_annotations ? jpairs(&m->annotations) : json_null());
        jset(o, "ports",
             slice_to_json(m->ports, m->n_ports, sizeof(*m->ports), m->has_ports, port_item));
        if (m->user_annotations.n)
                jset(o, "userAnnotations", jstring_map(&m->user_annotations));
        if (m->user_labels.n)
                jset(o, "userLabels", jstring_map(&m->user_labels));
        return json_dump_go(o, pretty);
}
