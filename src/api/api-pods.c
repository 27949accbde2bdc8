/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ListPods and InspectPod (SPEC.md §9.2): a v1alpha.Pod per pod, read through the pod module
 * as `rkt list` and `rkt status` read it, and rkt's filters.
 *
 * What never changes once a pod is prepared (its apps with their images' names, its
 * annotations, its manifest) is kept in a cache shared by the workers, keyed by UUID and
 * checked against P/pod's inode, size and mtime, as rkt's service kept it; state, pid, times,
 * cgroup, networks and exit statuses are read at every call.
 *
 * Runs in: rkt api-service (any worker thread).
 */
#include <jansson.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

#include "api-private.h"
#include "image-manifest.h"
#include "json-util.h"
#include "net-info.h"
#include "pod-manifest.h"
#include "pod.h"

/* At most this many strings in the filters of one request. */
#define FILTER_VALUES_MAX 4096

/* --- the cache --- */

struct cache_entry {
        char *uuid;
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec mtime;
        uint8_t *tmpl; /* a packed v1alpha.Pod: id, apps, annotations */
        size_t tmpl_len;
        char *manifest;
        size_t manifest_len;
};

struct api_pod_cache {
        pthread_mutex_t lock;
        struct cache_entry **v; /* sorted by UUID */
        size_t n;
};

struct api_pod_cache *api_pod_cache_new(void)
{
        struct api_pod_cache *c = xnew0(struct api_pod_cache, 1);

        pthread_mutex_init(&c->lock, NULL);
        return c;
}

static void cache_entry_free(struct cache_entry *e)
{
        if (!e)
                return;
        free(e->uuid);
        free(e->tmpl);
        free(e->manifest);
        free(e);
}

void api_pod_cache_free(struct api_pod_cache *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->n; i++)
                cache_entry_free(c->v[i]);
        free(c->v);
        pthread_mutex_destroy(&c->lock);
        free(c);
}

/* The index of uuid in c->v, or where it would go (*found false). Caller holds the lock. */
static size_t cache_find(const struct api_pod_cache *c, const char *uuid, bool *found)
{
        size_t lo = 0, hi = c->n;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int d = strcmp(c->v[mid]->uuid, uuid);
                if (d == 0) {
                        *found = true;
                        return mid;
                }
                if (d < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *found = false;
        return lo;
}

static bool cache_entry_fresh(const struct cache_entry *e, const struct stat *st)
{
        return e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
               e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* A fresh copy of the cached static part of the pod whose P/pod is st, or NULL. */
static V1alpha__Pod *cache_get(struct api_pod_cache *c, const char *uuid, const struct stat *st,
                               bool detail)
{
        V1alpha__Pod *m = NULL;
        bool found;
        size_t i;

        pthread_mutex_lock(&c->lock);
        i = cache_find(c, uuid, &found);
        if (found && cache_entry_fresh(c->v[i], st)) {
                struct cache_entry *e = c->v[i];
                m = v1alpha__pod__unpack(NULL, e->tmpl_len, e->tmpl);
                if (m && detail && e->manifest_len) {
                        m->manifest.data = oom_check(malloc(e->manifest_len));
                        memcpy(m->manifest.data, e->manifest, e->manifest_len);
                        m->manifest.len = e->manifest_len;
                }
        }
        pthread_mutex_unlock(&c->lock);
        return m;
}

/* Stores the static part m (without its manifest) and the manifest of the pod. */
static void cache_put(struct api_pod_cache *c, const char *uuid, const struct stat *st,
                      const V1alpha__Pod *m, const char *manifest, size_t manifest_len)
{
        struct cache_entry *e = xnew0(struct cache_entry, 1);
        bool found;
        size_t i;

        e->uuid = xstrdup(uuid);
        e->dev = st->st_dev;
        e->ino = st->st_ino;
        e->size = st->st_size;
        e->mtime = st->st_mtim;
        e->tmpl_len = protobuf_c_message_get_packed_size(&m->base);
        e->tmpl = oom_check(malloc(e->tmpl_len ? e->tmpl_len : 1));
        protobuf_c_message_pack(&m->base, e->tmpl);
        e->manifest = oom_check(malloc(manifest_len ? manifest_len : 1));
        memcpy(e->manifest, manifest, manifest_len);
        e->manifest_len = manifest_len;
        pthread_mutex_lock(&c->lock);
        i = cache_find(c, uuid, &found);
        if (found) {
                cache_entry_free(c->v[i]);
                c->v[i] = e;
        } else {
                c->v = oom_check(realloc(c->v, (c->n + 1) * sizeof(*c->v)));
                memmove(c->v + i + 1, c->v + i, (c->n - i) * sizeof(*c->v));
                c->v[i] = e;
                c->n++;
        }
        pthread_mutex_unlock(&c->lock);
}

/* Drops the entries of pods not in uuids (sorted): the pods that are gone. */
static void cache_prune(struct api_pod_cache *c, char **uuids, size_t n)
{
        size_t kept = 0, j = 0;

        pthread_mutex_lock(&c->lock);
        for (size_t i = 0; i < c->n; i++) {
                while (j < n && strcmp(uuids[j], c->v[i]->uuid) < 0)
                        j++;
                if (j < n && strcmp(uuids[j], c->v[i]->uuid) == 0)
                        c->v[kept++] = c->v[i];
                else
                        cache_entry_free(c->v[i]);
        }
        c->n = kept;
        pthread_mutex_unlock(&c->lock);
}

/* --- the static part: P/pod and the apps' image manifests --- */

static V1alpha__ImageFormat *appc_format(void)
{
        V1alpha__ImageFormat *f = xnew0(V1alpha__ImageFormat, 1);

        v1alpha__image_format__init(f);
        f->type = V1ALPHA__IMAGE_TYPE__IMAGE_TYPE_APPC;
        f->version = api_str(APPC_VERSION);
        return f;
}

/* The app of a as ListPods shows it before its state is known. Returns false when its image
 * manifest (P/appsinfo) cannot be read: its image then has only an ID. */
static bool app_message(const struct pod *p, const struct pod_app *a, V1alpha__App **ret)
{
        _cleanup_(image_manifest_freep) struct image_manifest *im = NULL;
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        V1alpha__App *app = xnew0(V1alpha__App, 1);
        V1alpha__Image *img = xnew0(V1alpha__Image, 1);
        bool ok;

        v1alpha__app__init(app);
        v1alpha__image__init(img);
        app->name = api_str(a->name);
        app->state = V1ALPHA__APP_STATE__APP_STATE_UNDEFINED;
        app->exit_code = -1;
        api_add_labels(&app->annotations, &app->n_annotations, &a->annotations);
        img->base_format = appc_format();
        img->id = api_str(a->image_id);
        ok = pod_read_app_image_manifest(p, a->name, &im, &e) >= 0;
        if (ok) {
                const char *version = image_manifest_get_label(im, "version");
                img->name = api_str(im->name);
                img->version = api_str(version ? version : "latest");
        }
        app->image = img;
        *ret = app;
        return ok;
}

/*
 * Reads the static part of p into m (apps, annotations) and *ret_manifest. Returns 1 when all
 * of it was read (it may be cached), 0 when only part of it, < 0 when P/pod cannot be read.
 */
static int pod_static_read(const struct pod *p, V1alpha__Pod *m, char **ret_manifest,
                           size_t *ret_len)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *pm = NULL;
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        _cleanup_free_ char *raw = NULL;
        bool complete = true;
        size_t len;
        int r;

        r = pod_read_manifest_raw(p, &raw, &len, &e);
        if (r < 0)
                return r;
        r = pod_manifest_parse(raw, len, &pm, &e);
        if (r < 0)
                return r;
        api_add_labels(&m->annotations, &m->n_annotations, &pm->annotations);
        for (size_t i = 0; i < pm->n_apps; i++) {
                V1alpha__App *app;
                complete &= app_message(p, &pm->apps[i], &app);
                API_APPEND(m->apps, m->n_apps, app);
        }
        *ret_manifest = TAKE_PTR(raw);
        *ret_len = len;
        return complete;
}

/* A new pod message with p's static part (cached or read now). */
static V1alpha__Pod *pod_static(struct api_ctx *c, const struct pod *p, bool detail)
{
        _cleanup_free_ char *manifest = NULL;
        V1alpha__Pod *m;
        struct stat st;
        size_t len = 0;
        int r;

        if (!pod_manifest_available(p) || fstatat(p->fd, "pod", &st, 0) < 0) {
                m = xnew0(V1alpha__Pod, 1);
                v1alpha__pod__init(m);
                m->id = api_str(p->uuid);
                return m;
        }
        m = cache_get(c->cache, p->uuid, &st, detail);
        if (m)
                return m;
        m = xnew0(V1alpha__Pod, 1);
        v1alpha__pod__init(m);
        m->id = api_str(p->uuid);
        r = pod_static_read(p, m, &manifest, &len);
        if (r > 0)
                cache_put(c->cache, p->uuid, &st, m, manifest, len);
        if (r >= 0 && detail && len) {
                m->manifest.data = (uint8_t *)TAKE_PTR(manifest);
                m->manifest.len = len;
        }
        return m;
}

/* --- what changes: state, times, pid, cgroup, networks, app states --- */

static V1alpha__PodState state_of(enum pod_state s)
{
        switch (s) {
        case POD_STATE_EMBRYO:
                return V1ALPHA__POD_STATE__POD_STATE_EMBRYO;
        case POD_STATE_PREPARING:
                return V1ALPHA__POD_STATE__POD_STATE_PREPARING;
        case POD_STATE_ABORTED_PREPARE:
                return V1ALPHA__POD_STATE__POD_STATE_ABORTED_PREPARE;
        case POD_STATE_PREPARED:
                return V1ALPHA__POD_STATE__POD_STATE_PREPARED;
        case POD_STATE_RUNNING:
                return V1ALPHA__POD_STATE__POD_STATE_RUNNING;
        case POD_STATE_DELETING:
                return V1ALPHA__POD_STATE__POD_STATE_DELETING;
        case POD_STATE_EXITED:
                return V1ALPHA__POD_STATE__POD_STATE_EXITED;
        case POD_STATE_EXITED_GARBAGE:
        case POD_STATE_GARBAGE:
                return V1ALPHA__POD_STATE__POD_STATE_GARBAGE;
        default: /* exited deleting, as rkt's service */
                return V1ALPHA__POD_STATE__POD_STATE_UNDEFINED;
        }
}

/* P/net-info.json's networks, as `rkt status` shows them. */
static void fill_networks(const struct pod *p, V1alpha__Pod *m)
{
        _cleanup_(net_info_done) struct net_info info = {0};

        (void)net_info_read(p->fd, &info);
        for (size_t i = 0; i < info.n; i++) {
                V1alpha__Network *net = xnew0(V1alpha__Network, 1);
                v1alpha__network__init(net);
                net->name = api_str(info.entries[i].net_name);
                net->ipv4 = api_str(info.entries[i].ip);
                API_APPEND(m->networks, m->n_networks, net);
        }
}

static void fill_apps(const struct pod *p, V1alpha__Pod *m)
{
        bool running = p->state == POD_STATE_RUNNING, after = pod_is_after_run(p);

        for (size_t i = 0; i < m->n_apps; i++) {
                V1alpha__App *a = m->apps[i];
                int code;

                if (!running && !after)
                        continue; /* undefined, exit code -1 */
                a->state = running ? V1ALPHA__APP_STATE__APP_STATE_RUNNING
                                   : V1ALPHA__APP_STATE__APP_STATE_EXITED;
                /* rkt's reader gave 0 for a status it could not read */
                a->exit_code = pod_read_app_status(p, a->name, &code) >= 0 ? code : 0;
        }
}

static void pod_fill_details(const struct pod *p, V1alpha__Pod *m)
{
        int pid;

        m->pid = -1;
        m->state = state_of(p->state);
        if (m->state == V1ALPHA__POD_STATE__POD_STATE_EMBRYO ||
            m->state == V1ALPHA__POD_STATE__POD_STATE_UNDEFINED)
                return;
        m->created_at = pod_creation_time(p);
        m->started_at = pod_start_time(p);
        m->gc_marked_at = pod_gc_mark_time(p);
        if (pod_read_pid(p, &pid) >= 0)
                m->pid = pid;
        if (p->state == POD_STATE_RUNNING) {
                char *cg = NULL;
                if (pod_read_cgroup(p, m->pid, &cg) >= 0)
                        m->cgroup = cg;
        }
        if (p->state == POD_STATE_RUNNING || p->state == POD_STATE_EXITED)
                fill_networks(p, m);
        fill_apps(p, m);
}

static V1alpha__Pod *pod_message(struct api_ctx *c, const struct pod *p, bool detail)
{
        V1alpha__Pod *m = pod_static(c, p, detail);

        pod_fill_details(p, m);
        return m;
}

/* --- filters (rkt's rules: OR between filters, AND inside one) --- */

static bool strv_has(char **v, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(v[i], s) == 0)
                        return true;
        return false;
}

/* Whether every value of want is the field of some item of the pod. */
static bool pod_has_all(const V1alpha__Pod *m, char **want, size_t n_want,
                        const char *(*field)(const V1alpha__Pod *m, size_t i), size_t n_items)
{
        for (size_t w = 0; w < n_want; w++) {
                bool hit = false;
                for (size_t i = 0; i < n_items && !hit; i++)
                        hit = strcmp(field(m, i), want[w]) == 0;
                if (!hit)
                        return false;
        }
        return true;
}

static const char *app_name_at(const V1alpha__Pod *m, size_t i)
{
        return m->apps[i]->name;
}

static const char *image_id_at(const V1alpha__Pod *m, size_t i)
{
        return m->apps[i]->image ? m->apps[i]->image->id : "";
}

static const char *network_at(const V1alpha__Pod *m, size_t i)
{
        return m->networks[i]->name;
}

bool api_has_key_values(V1alpha__KeyValue **have, size_t n_have, V1alpha__KeyValue **want,
                        size_t n_want)
{
        for (size_t w = 0; w < n_want; w++) {
                const char *value = NULL;
                for (size_t i = 0; i < n_have && !value; i++)
                        if (strcmp(have[i]->key, want[w]->key) == 0)
                                value = have[i]->value;
                if (!value || strcmp(value, want[w]->value) != 0)
                        return false;
        }
        return true;
}

static bool pod_state_wanted(const V1alpha__PodFilter *f, V1alpha__PodState s)
{
        if (f->n_states == 0)
                return true;
        for (size_t i = 0; i < f->n_states; i++)
                if (f->states[i] == s)
                        return true;
        return false;
}

static bool pod_in_sub_cgroup(const V1alpha__PodFilter *f, const char *cgroup)
{
        if (f->n_pod_sub_cgroups == 0)
                return true;
        if (!*cgroup)
                return false;
        for (size_t i = 0; i < f->n_pod_sub_cgroups; i++)
                if (strncmp(f->pod_sub_cgroups[i], cgroup, strlen(cgroup)) == 0)
                        return true;
        return false;
}

static bool pod_matches(const V1alpha__Pod *m, const V1alpha__PodFilter *f)
{
        return (f->n_ids == 0 || strv_has(f->ids, f->n_ids, m->id)) &&
               pod_state_wanted(f, m->state) &&
               pod_has_all(m, f->app_names, f->n_app_names, app_name_at, m->n_apps) &&
               pod_has_all(m, f->image_ids, f->n_image_ids, image_id_at, m->n_apps) &&
               pod_has_all(m, f->network_names, f->n_network_names, network_at, m->n_networks) &&
               api_has_key_values(m->annotations, m->n_annotations, f->annotations,
                                  f->n_annotations) &&
               (f->n_cgroups == 0 || strv_has(f->cgroups, f->n_cgroups, m->cgroup)) &&
               pod_in_sub_cgroup(f, m->cgroup);
}

static bool pod_matches_any(const V1alpha__Pod *m, const V1alpha__ListPodsRequest *req)
{
        if (req->n_filters == 0)
                return true;
        for (size_t i = 0; i < req->n_filters; i++)
                if (pod_matches(m, req->filters[i]))
                        return true;
        return false;
}

static int check_filters(const V1alpha__ListPodsRequest *req, struct rk_error **reterr)
{
        size_t total = 0;

        for (size_t i = 0; i < req->n_filters; i++) {
                const V1alpha__PodFilter *f = req->filters[i];
                for (size_t s = 0; s < f->n_states; s++)
                        if ((int)f->states[s] < 0 ||
                            (int)f->states[s] > V1ALPHA__POD_STATE__POD_STATE_GARBAGE)
                                return rk_error_set(reterr, EINVAL,
                                                    "malformed filter: unknown pod state %d",
                                                    (int)f->states[s]);
                total += 1 + f->n_ids + f->n_states + f->n_app_names + f->n_image_ids +
                         f->n_network_names + f->n_annotations + f->n_cgroups +
                         f->n_pod_sub_cgroups;
        }
        if (total > FILTER_VALUES_MAX)
                return rk_error_set(reterr, E2BIG,
                                    "malformed filter: more than %d filters and values",
                                    FILTER_VALUES_MAX);
        return 0;
}

/* --- the methods --- */

int api_pod_open(struct api_ctx *c, const char *id, struct pod **ret, struct rk_error **reterr)
{
        if (!*id)
                return rk_error_set(reterr, EINVAL, "UUID cannot be empty");
        if (!pods_exist(c->o->data_dir))
                return rk_error_set(reterr, ENOENT,
                                    "unable to resolve UUID: no matches found for \"%s\"", id);
        return pod_open(c->o->data_dir, id, ret, reterr);
}

struct list_state {
        struct api_ctx *c;
        const V1alpha__ListPodsRequest *req;
        V1alpha__ListPodsResponse *resp;
        char **seen;
        size_t n_seen;
};

static void list_one(struct pod *p, void *userdata)
{
        struct list_state *s = userdata;
        V1alpha__Pod *m = pod_message(s->c, p, s->req->detail);

        API_APPEND(s->seen, s->n_seen, xstrdup(p->uuid));
        if (!pod_matches_any(m, s->req) || pod_refresh_state(p) == -ENOENT) {
                api_msg_free(m); /* filtered out, or deleted while we read it */
                return;
        }
        API_APPEND(s->resp->pods, s->resp->n_pods, m);
}

int api_list_pods(struct api_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **ret,
                  struct rk_error **reterr)
{
        const V1alpha__ListPodsRequest *r = (const V1alpha__ListPodsRequest *)req;
        V1alpha__ListPodsResponse *resp;
        struct list_state s = {c, r, NULL, NULL, 0};
        int k;

        k = check_filters(r, reterr);
        if (k < 0)
                return k;
        resp = xnew0(V1alpha__ListPodsResponse, 1);
        v1alpha__list_pods_response__init(resp);
        s.resp = resp;
        if (!pods_exist(c->o->data_dir)) {
                *ret = &resp->base;
                return 0;
        }
        k = pod_walk(c->o->data_dir, POD_DIRS_MOST, list_one, &s, reterr);
        if (k >= 0)
                cache_prune(c->cache, s.seen, s.n_seen);
        for (size_t i = 0; i < s.n_seen; i++)
                free(s.seen[i]);
        free(s.seen);
        if (k < 0) {
                api_msg_free(resp);
                return k;
        }
        *ret = &resp->base;
        return 0;
}

int api_inspect_pod(struct api_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **ret,
                    struct rk_error **reterr)
{
        const V1alpha__InspectPodRequest *r = (const V1alpha__InspectPodRequest *)req;
        _cleanup_(pod_freep) struct pod *p = NULL;
        V1alpha__InspectPodResponse *resp;
        V1alpha__Pod *m;
        int k;

        k = api_pod_open(c, r->id, &p, reterr);
        if (k < 0)
                return k;
        m = pod_message(c, p, true);
        if (pod_refresh_state(p) == -ENOENT) {
                api_msg_free(m);
                return rk_error_set(reterr, ENOENT, "pod \"%s\" was removed meanwhile", p->uuid);
        }
        resp = xnew0(V1alpha__InspectPodResponse, 1);
        v1alpha__inspect_pod_response__init(resp);
        resp->pod = m;
        *ret = &resp->base;
        return 0;
}
