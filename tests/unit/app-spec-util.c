/* SPDX-License-Identifier: Apache-2.0 */
/* Freeing the app lists the unit tests build (see app-spec-util.h). */
#include "app-spec-util.h"

#include <stdlib.h>

#include "macro.h"
#include "strv.h"

void app_mounts_free(struct app_mount *m, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(m[i].volume);
                free(m[i].target);
        }
        free(m);
}

void app_spec_done(struct app_spec *s)
{
        char **strings[] = {&s->image,      &s->exec,          &s->working_dir, &s->user,
                            &s->group,      &s->name,          &s->memory,      &s->cpu,
                            &s->cpu_shares, &s->oom_score_adj, &s->seccomp,     &s->signature};
        struct ac_labels *labels[] = {&s->annotations, &s->user_annotations, &s->user_labels,
                                      &s->environment};

        for (size_t i = 0; i < ELEMENTSOF(strings); i++)
                free(*strings[i]);
        for (size_t i = 0; i < ELEMENTSOF(labels); i++)
                ac_labels_done(labels[i]);
        strv_free(s->args);
        strv_free(s->supp_gids);
        strv_free(s->caps_retain);
        strv_free(s->caps_remove);
        app_mounts_free(s->mounts, s->n_mounts);
        *s = (struct app_spec){.readonly_rootfs = -1};
}

void app_list_done(struct app_list *l)
{
        for (size_t i = 0; i < l->n; i++)
                app_spec_done(&l->apps[i]);
        free(l->apps);
        app_mounts_free(l->pod_mounts, l->n_pod_mounts);
        strv_free(l->volumes);
        *l = (struct app_list){};
}
