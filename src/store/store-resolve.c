/* SPDX-License-Identifier: Apache-2.0 */
/* Finding images: by ID prefix (rkt's ResolveKey) and by name and labels (GetACI). */
#include <string.h>
#include <unistd.h>

#include "format-util.h"
#include "image-manifest.h"
#include "store-private.h"
#include "strbuf.h"
#include "strv.h"

int store_resolve_key(struct store *s, const char *prefix, char **ret_key, struct rk_error **reterr)
{
        _cleanup_strv_free_ char **keys = NULL;
        _cleanup_free_ char *p = NULL;
        int r;

        if (strncmp(prefix, STORE_KEY_PREFIX, 7) != 0)
                return rk_error_set(reterr, EINVAL, "wrong key prefix");
        if (strlen(prefix) < 9)
                return rk_error_set(reterr, EINVAL, "image ID too short");
        p = oom_check(strndup(prefix, STORE_KEY_LEN));
        for (char *c = p; *c; c++)
                *c = (char)(*c >= 'A' && *c <= 'F' ? *c - 'A' + 'a' : *c);
        /* a full ID while store_open_deferred()'s index is closed: by the image's files,
         * checked against the index by store_sync() */
        if (s->index_deferred && store_key_is_valid(p) && store_has_image_files(s, p)) {
                strv_push(&s->unverified, p);
                *ret_key = TAKE_PTR(p);
                return 0;
        }
        r = store_db_keys_with_prefix(s, p, &keys, reterr);
        if (r < 0)
                return r;
        if (!keys)
                return rk_error_set(reterr, ENOENT, "no image IDs found");
        if (keys[1])
                return rk_error_set(reterr, EEXIST, "ambiguous image ID: \"%s\"", prefix);
        *ret_key = xstrdup(keys[0]);
        return 0;
}

/* rkt's rank of a label in messages: version, os, arch, then the others as given. */
static int label_rank(const char *name)
{
        static const char *const ranked[] = {"version", "os", "arch", NULL};
        int i = strv_index(ranked, name);

        return i < 0 ? 3 : i;
}

/* The labels as rkt's store prints them: ["version":"1.0", "os":"linux"]. */
static char *labels_to_string(const struct ac_labels *l)
{
        struct strbuf sb = STRBUF_INIT;
        bool first = true;

        strbuf_putc(&sb, '[');
        for (int rank = 0; rank <= 3; rank++)
                for (size_t i = 0; l && i < l->n; i++) {
                        _cleanup_free_ char *n = NULL, *v = NULL;

                        if (label_rank(l->items[i].name) != rank)
                                continue;
                        n = format_go_quote(l->items[i].name);
                        v = format_go_quote(l->items[i].value);
                        strbuf_printf(&sb, "%s%s:%s", first ? "" : ", ", n, v);
                        first = false;
                }
        strbuf_putc(&sb, ']');
        return strbuf_detach(&sb);
}

/*
 * Whether img is named name (its manifest says so: the row's name is written by members too)
 * and carries every label of labels.
 */
static bool image_matches(struct store *s, const struct image_info *img, const char *name,
                          const struct ac_labels *labels)
{
        _cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
        struct rk_error *err = NULL;

        if (store_read_manifest(s, img->key, &m, &err) < 0) {
                rk_error_free(err);
                return false;
        }
        if (!m->name || strcmp(m->name, name) != 0)
                return false;
        for (size_t i = 0; labels && i < labels->n; i++) {
                const char *v = ac_labels_get(&m->labels, labels->items[i].name);

                if (!v || strcmp(v, labels->items[i].value) != 0)
                        return false;
        }
        return true;
}

/* Whether a beats b as the answer of a name lookup (SPEC.md §5.6). */
static bool image_better(const struct image_info *a, const struct image_info *b, bool prefer_latest)
{
        if (!b)
                return true;
        if (prefer_latest && a->latest != b->latest)
                return a->latest;
        return a->import_time > b->import_time;
}

/* Whether root imported key (store_image_importer()). */
static bool imported_by_root(struct store *s, const char *key)
{
        struct rk_error *err = NULL;
        uid_t uid;

        if (store_image_importer(s, key, &uid, &err) < 0) {
                rk_error_free(err);
                return false;
        }
        return uid == 0;
}

/* store_find_by_name(); with prefer_root, an image root imported beats every other. */
static int find_by_name(struct store *s, const char *name, const struct ac_labels *labels,
                        bool prefer_root, char **ret_key, struct rk_error **reterr)
{
        struct image_info *v = NULL, *best = NULL, *best_root = NULL;
        bool prefer_latest = !labels || !ac_labels_get(labels, "version");
        size_t n = 0;
        int r;

        r = store_list_images(s, &v, &n, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                if (strcmp(v[i].name, name) != 0 || !image_matches(s, &v[i], name, labels))
                        continue;
                if (image_better(&v[i], best, prefer_latest))
                        best = &v[i];
                if (prefer_root && image_better(&v[i], best_root, prefer_latest) &&
                    imported_by_root(s, v[i].key))
                        best_root = &v[i];
        }
        if (best_root)
                best = best_root;
        if (best)
                *ret_key = xstrdup(best->key);
        else {
                _cleanup_free_ char *ls = labels_to_string(labels);
                r = rk_error_set(reterr, ENOENT,
                                 "cannot find aci satisfying name: \"%s\" and "
                                 "labels: %s in the local store",
                                 name, ls);
        }
        image_infos_free(v, n);
        return r;
}

int store_find_by_name(struct store *s, const char *name, const struct ac_labels *labels,
                       char **ret_key, struct rk_error **reterr)
{
        return find_by_name(s, name, labels, false, ret_key, reterr);
}

int store_find_dependency(struct store *s, const char *name, const struct ac_labels *labels,
                          char **ret_key, struct rk_error **reterr)
{
        return find_by_name(s, name, labels, geteuid() == 0, ret_key, reterr);
}

int store_resolve_image_arg(struct store *s, const char *arg, char **ret_key,
                            struct rk_error **reterr)
{
        _cleanup_free_ char *name = NULL;
        struct ac_labels labels = {0};
        int r;

        if (strncmp(arg, STORE_KEY_PREFIX, 7) == 0) {
                r = store_resolve_key(s, arg, ret_key, reterr);
                return r < 0 ? rk_error_wrap(reterr, "cannot resolve image ID") : r;
        }
        r = app_ref_parse(arg, &name, &labels, reterr);
        if (r >= 0)
                r = store_find_by_name(s, name, &labels, ret_key, reterr);
        ac_labels_done(&labels);
        return r < 0 ? rk_error_wrap(reterr, "cannot find image") : r;
}
