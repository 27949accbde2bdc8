/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The environment of an app (SPEC.md §4.4, stage1 part) and the env file S1/rkt/env/<app>
 * that `enter` reads back. Runs in: stage1 run and enter entrypoints.
 */
#pragma once

#include "app.h"
#include "error.h"

/*
 * The app's final environment as a strv of "K=V": app.environment, AC_APP_NAME=<name>, then
 * PATH, SHELL, USER, LOGNAME and HOME defaults for names still absent.
 */
char **app_env_build(const struct ac_app *app, const char *name);

/* The value of name in an env strv, or NULL. */
const char *app_env_get(char *const *env, const char *name);

/*
 * Writes env to s1fd/rkt/env/<name> (0644): each "K=V" entry followed by a NUL, so a value
 * keeps its newlines and can never become a variable of its own. Returns 0 or -errno.
 */
int app_env_write(int s1fd, const char *name, char *const *env);

/*
 * Reads s1fd/rkt/env/<name> back into a strv, each entry exactly as written (entries without
 * a "K=" are skipped). Returns 0 or < 0 with reterr set. S1 is within reach of an app that
 * may trace (through /proc/1/root): no symbolic link is followed, only a regular file read.
 */
int app_env_read(int s1fd, const char *name, char ***ret, struct rk_error **reterr);
