/* SPDX-License-Identifier: Apache-2.0 */
/* Merging configuration directories, printing the result, freeing it. */
#include <string.h>

#include "config-private.h"

static void auth_done(struct config_auth *a)
{
        free(a->domain);
        free(a->type);
        json_decref(a->credentials);
}

static void docker_auth_done(struct config_docker_auth *a)
{
        free(a->registry);
        free(a->user);
        free(a->password);
}

static void merge_auth(struct config *dst, struct config_auth *a)
{
        for (size_t i = 0; i < dst->n_auth; i++)
                if (strcmp(dst->auth[i].domain, a->domain) == 0) {
                        auth_done(&dst->auth[i]);
                        dst->auth[i] = *a;
                        return;
                }
        dst->auth = oom_check(realloc(dst->auth, (dst->n_auth + 1) * sizeof(*dst->auth)));
        dst->auth[dst->n_auth++] = *a;
}

static void merge_docker_auth(struct config *dst, struct config_docker_auth *a)
{
        for (size_t i = 0; i < dst->n_docker_auth; i++)
                if (strcmp(dst->docker_auth[i].registry, a->registry) == 0) {
                        docker_auth_done(&dst->docker_auth[i]);
                        dst->docker_auth[i] = *a;
                        return;
                }
        dst->docker_auth = oom_check(
                realloc(dst->docker_auth, (dst->n_docker_auth + 1) * sizeof(*dst->docker_auth)));
        dst->docker_auth[dst->n_docker_auth++] = *a;
}

static void move_str(char **dst, char **src)
{
        if (!*src)
                return;
        free(*dst);
        *dst = TAKE_PTR(*src);
}

void config_merge(struct config *dst, struct config *src)
{
        for (size_t i = 0; i < src->n_auth; i++)
                merge_auth(dst, &src->auth[i]);
        src->n_auth = 0;
        for (size_t i = 0; i < src->n_docker_auth; i++)
                merge_docker_auth(dst, &src->docker_auth[i]);
        src->n_docker_auth = 0;
        move_str(&dst->data_dir, &src->data_dir);
        move_str(&dst->stage1_images_dir, &src->stage1_images_dir);
        if (src->stage1_name) {
                move_str(&dst->stage1_name, &src->stage1_name);
                move_str(&dst->stage1_version, &src->stage1_version);
        }
        move_str(&dst->stage1_location, &src->stage1_location);
}

struct config *config_free(struct config *c)
{
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n_auth; i++)
                auth_done(&c->auth[i]);
        for (size_t i = 0; i < c->n_docker_auth; i++)
                docker_auth_done(&c->docker_auth[i]);
        free(c->auth);
        free(c->docker_auth);
        free(c->data_dir);
        free(c->stage1_images_dir);
        free(c->stage1_name);
        free(c->stage1_version);
        free(c->stage1_location);
        free(c);
        return NULL;
}

static json_t *entry_new(const char *kind)
{
        json_t *o = json_object();

        json_object_set_new(o, "rktVersion", json_string("v1"));
        json_object_set_new(o, "rktKind", json_string(kind));
        return o;
}

static json_t *auth_to_json(const struct config_auth *a)
{
        json_t *o = entry_new("auth");

        json_object_set_new(o, "domains", json_pack("[s]", a->domain));
        json_object_set_new(o, "type", json_string(a->type));
        json_object_set(o, "credentials", a->credentials ? a->credentials : json_object());
        return o;
}

static json_t *docker_auth_to_json(const struct config_docker_auth *a)
{
        json_t *o = entry_new("dockerAuth");

        json_object_set_new(o, "registries", json_pack("[s]", a->registry));
        json_object_set_new(o, "credentials",
                            json_pack("{s:s, s:s}", "user", a->user, "password", a->password));
        return o;
}

static const char *str_or_empty(const char *s)
{
        return s ? s : "";
}

json_t *config_to_json(const struct config *c)
{
        json_t *entries = json_array(), *paths = entry_new("paths"), *stage1 = entry_new("stage1");

        for (size_t i = 0; i < c->n_auth; i++)
                json_array_append_new(entries, auth_to_json(&c->auth[i]));
        for (size_t i = 0; i < c->n_docker_auth; i++)
                json_array_append_new(entries, docker_auth_to_json(&c->docker_auth[i]));
        json_object_set_new(paths, "data", json_string(str_or_empty(c->data_dir)));
        json_object_set_new(paths, "stage1-images",
                            json_string(str_or_empty(c->stage1_images_dir)));
        json_array_append_new(entries, paths);
        json_object_set_new(stage1, "name", json_string(str_or_empty(c->stage1_name)));
        json_object_set_new(stage1, "version", json_string(str_or_empty(c->stage1_version)));
        json_object_set_new(stage1, "location", json_string(str_or_empty(c->stage1_location)));
        json_array_append_new(entries, stage1);
        return json_pack("{s:o}", "stage0", entries);
}
