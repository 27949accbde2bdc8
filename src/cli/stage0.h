/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stage0 of run, prepare and run-prepared (SPEC.md §6.2, §6.5, §6.6): choosing the stage1,
 * generating the pod manifest, preparing the pod directory, and exec'ing the stage1.
 * Runs in: the rkt command, as root.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "app-args.h"
#include "config.h"
#include "pod.h"
#include "store.h"

#define STAGE1_DEFAULT_NAME    "coreos.com/rkt/stage1-native"
#define STAGE1_DEFAULT_FILE    "stage1-native.aci"
#define STAGE1_ANNOTATION_RUN  "coreos.com/rkt/stage1/run"
#define STAGE1_ANNOTATION_VERS "coreos.com/rkt/stage1/interface-version"

/* The --stage1-* flags (at most one is set). */
struct stage1_flags {
        char *url, *path, *name, *hash, *from_dir;
};

/* Resolves the stage1 image from the flags or, without them, the configuration and the
 * build defaults, importing it when needed. *ret_key is its store key. */
int stage1_select(struct store *s, const struct config *c, const struct stage1_flags *f,
                  char **ret_key, struct rk_error **reterr);

/* The pod-level settings of run/prepare that shape the pod manifest. */
struct pod_settings {
        bool inherit_env;
        char **set_env;      /* KEY=VALUE */
        char **set_env_file; /* paths */
        char *pull_policy;
        char **ports; /* --port values */
};

/* An app of the pod being prepared. */
struct stage0_app {
        struct app_spec *spec;
        char *key;                       /* image key */
        struct image_manifest *manifest; /* the stored image manifest */
        char *name;                      /* app name */
};

/*
 * Builds the pod manifest (SPEC.md §4.6) for apps with the --volume values, checking
 * names, os/arch labels and overrides. *ret is the JSON object.
 */
int stage0_pod_manifest(struct stage0_app *apps, size_t n, char *const *volumes,
                        const struct pod_settings *ps, json_t **ret, struct rk_error **reterr);

/* Whether overlayfs can be used under data_dir; *ret_why explains when not. */
bool stage0_overlay_supported(const char *data_dir, char **ret_why);

/*
 * Fills the pod directory (SPEC.md §6.5): stage1 (rendered; copied without overlay),
 * every app's image (rendered; copied without overlay), appsinfo, the pod manifest and
 * the markers.
 */
int stage0_prepare(struct store *s, struct pod *p, const char *stage1_key,
                   const struct stage0_app *apps, size_t n, json_t *manifest, bool overlay,
                   struct rk_error **reterr);

/* FLAG_FUNC parser of --net (a char *** list of "NAME[:ARGS]"), with rkt's checks (SPEC.md
 * §8.1): empty and duplicate names, arguments to "all" or "host", more than one ':'. */
int stage0_net_flag_parse(const char *arg, void *value, char **ret_msg);

/*
 * The pod manifest "ports" (SPEC.md §8.5) for the --port values "NAME:[IP:]HOSTPORT": each
 * name must be the port of exactly one app, no host ip:port twice. *ret is a JSON array.
 */
int stage0_ports_json(char *const *ports, const struct stage0_app *apps, size_t n, json_t **ret,
                      struct rk_error **reterr);

/* The DNS and hosts flags as given. */
struct stage0_dns_flags {
        char **dns, **search, **opt, **hosts_entry;
        const char *domain;
};

/* What they mean for the pod (SPEC.md §8.4). */
struct stage0_dns {
        const char *resolv_mode; /* "default", "stage0", "host" or "none" */
        const char *hosts_mode;  /* "default", "stage0" or "host" */
        json_t *resolv;          /* stage0: {nameservers, search, options[, domain]} */
        char **hosts;            /* stage0: "IP host1 host2" lines */
};

/* Checks the flags ("error with dns flags: <why>") into *ret (free with stage0_dns_done()). */
int stage0_dns_parse(const struct stage0_dns_flags *f, struct stage0_dns *ret,
                     struct rk_error **reterr);
void stage0_dns_done(struct stage0_dns *d);

/* Writes S1/etc/rkt-resolv.conf and S1/etc/rkt-hosts for the stage0 modes. */
int stage0_dns_write(struct pod *p, const struct stage0_dns *d, struct rk_error **reterr);

/* Arguments for the stage1 run entrypoint (SPEC.md §7.2), beyond the UUID. */
struct stage1_run_args {
        char **net; /* --net entries */
        bool interactive;
        char *hostname;
        char *ipc;
        bool pass_local_config;
        const struct stage0_dns *dns; /* NULL: default modes */
        bool mds_register;            /* register with the metadata service, pass --mds-token */
};

/*
 * Mounts the overlays of an overlay pod (SPEC.md §6.6), then exec's the stage1 run
 * entrypoint with cwd P and RKT_LOCK_FD. Returns only on failure.
 */
int stage0_run(struct store *s, struct pod *p, const struct stage1_run_args *a,
               struct rk_error **reterr);

/* Mounts overlayfs on target: lower = the tree rootfs of id, upper/work =
 * P/overlay/<id>/{upper,work}[/<sub>]. */
int stage0_mount_overlay(struct store *s, struct pod *p, const char *id, const char *sub,
                         const char *target, struct rk_error **reterr);

/* The app of a pod a command acts on: flag_app when given (an ACName in the pod: else "no app
 * <name> in the pod" for enter, "app <name> is not present in pod" otherwise), else the pod's
 * only app; with several apps prints them and fails with "specify app using \"rkt <cmd>
 * --app= ...\"". Prints errors; returns 0 or 254. */
int stage0_pod_app(struct pod *p, const char *flag_app, const char *cmd, char **ret);

/* The app names of the pod manifest P/pod (at least one, else "pod must contain at least one
 * application"). */
int stage0_pod_app_names(struct pod *p, char ***ret, struct rk_error **reterr);

/* Frees the stage0 apps. */
void stage0_apps_free(struct stage0_app *apps, size_t n);
