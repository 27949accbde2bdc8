/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The appc "app" section (types.App): what to execute, as whom, with which environment,
 * mount points, ports and isolators. Shared by image manifests and pod manifests.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "isolators.h"
#include "types.h"

struct ac_event_handler {
        char *name;  /* "pre-start" or "post-stop" */
        char **exec; /* strv; NULL when absent */
};

struct ac_mount_point {
        char *name; /* ACName */
        char *path; /* absolute */
        bool read_only;
};

struct ac_port {
        char *name;     /* ACName */
        char *protocol; /* "tcp" or "udp" */
        unsigned port;  /* 1..65535 */
        unsigned count; /* >= 1 (1 when not given); port + count <= 65536 */
        bool socket_activated;
};

struct ac_app {
        char **exec; /* strv; NULL when absent (written as null), may be empty */
        struct ac_event_handler *event_handlers;
        size_t n_event_handlers;
        char *user;  /* required, non-empty */
        char *group; /* required, non-empty */
        int *supplementary_gids;
        size_t n_supplementary_gids;
        char *working_directory;      /* NULL when unset; absolute otherwise */
        struct ac_labels environment; /* ordered, unique names */
        struct ac_mount_point *mount_points;
        size_t n_mount_points;
        struct ac_port *ports;
        size_t n_ports;
        struct ac_isolator *isolators;
        size_t n_isolators;
        struct ac_labels user_annotations; /* Go map: written with sorted keys */
        struct ac_labels user_labels;      /* Go map: written with sorted keys */
};

/*
 * Parses and validates an app object found at path (e.g. "app" or "apps[0].app"): exec[0]
 * absolute when present, user and group set, absolute workingDirectory, unique valid
 * environment names, event handlers pre-start/post-stop at most once each, mount points and
 * ports (ACName names, unique; absolute paths; tcp/udp; 1..65535), known isolators.
 * Returns 0 and a new app in *ret (free with ac_app_free()), or -EINVAL with reterr set.
 */
int ac_app_parse(const json_t *v, const char *path, struct ac_app **ret, struct rk_error **reterr);

/*
 * Checks an app made in memory with the rules of ac_app_parse(), naming fields under path
 * as it does. Returns 0, or -EINVAL with reterr set.
 */
int ac_app_validate(const struct ac_app *a, const char *path, struct rk_error **reterr);

/* A deep copy of a (free with ac_app_free()). */
struct ac_app *ac_app_copy(const struct ac_app *a);

/* NULL-safe; returns NULL. */
struct ac_app *ac_app_free(struct ac_app *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ac_app *, ac_app_free)

/* The Go-shaped JSON object for a (new reference), field order as appc's types.App. */
json_t *ac_app_to_json(const struct ac_app *a);

/*
 * Parses one port object at path into *ret (contents malloc'd; free with ac_port_done()).
 * Returns 0, or -EINVAL with reterr set.
 */
int ac_port_parse(const json_t *v, const char *path, struct ac_port *ret, struct rk_error **reterr);
void ac_port_done(struct ac_port *p);
/* Checks a port made in memory with the rules of ac_port_parse(). */
int ac_port_validate(const struct ac_port *p, const char *path, struct rk_error **reterr);
/* {"name","protocol","port","count","socketActivated"} (new reference). */
json_t *ac_port_to_json(const struct ac_port *p);
