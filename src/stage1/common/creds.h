/* SPDX-License-Identifier: Apache-2.0 */
/*
 * User, group and supplementary groups of an app, resolved inside its rootfs (SPEC.md
 * §4.5): "root", a number, an absolute path (owner of that file) or a name from the app's
 * etc/passwd / etc/group. Runs in: stage1 run and enter entrypoints, on the host side.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "app.h"
#include "error.h"
#include "userns.h"

struct app_creds {
        uid_t uid;
        gid_t gid;
        gid_t *groups; /* supplementary gids */
        size_t n_groups;
};

/*
 * Resolves the credentials of app inside rootfd. docker enables the rule "image user ==
 * image group and the group is unknown: gid = uid". range (--private-users, else NULL): the
 * pod's ids as the host sees them, so that a path-like user or group (the owner of a file of
 * rootfd, shifted) is the pod's id. Returns 0 and fills *ret (free with app_creds_done()), or
 * < 0 with reterr set (`"x" user not found`, ...).
 */
int app_creds_resolve(int rootfd, const struct ac_app *app, bool docker,
                      const struct userns_range *range, struct app_creds *ret,
                      struct rk_error **reterr);
void app_creds_done(struct app_creds *c);
