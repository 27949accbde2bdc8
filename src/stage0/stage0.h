/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stage0: what run, prepare, run-prepared (and app sandbox/add and the API service, which
 * come next) call between the CLI and the modules below (DESIGN.md §4): choosing the stage1,
 * getting images into the store, generating the pod manifest, preparing the pod directory,
 * and exec'ing the stage1 (SPEC.md §6.2, §6.5, §6.6). Nothing here parses flags or prints
 * (but for rkt's warnings); failures come back in struct rk_error.
 * Runs in: the rkt command, as root where it says so.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "app-spec.h"
#include "config.h"
#include "pod-manifest.h"
#include "pod.h"
#include "store.h"

/* The --insecure-options that reach stage0 (SPEC.md §2). */
enum insecure_option {
        INSECURE_IMAGE = 1 << 0,
        INSECURE_TLS = 1 << 1,
        INSECURE_ONDISK = 1 << 2,
        INSECURE_HTTP = 1 << 3,
        INSECURE_PUBKEY = 1 << 4,
        INSECURE_CAPABILITIES = 1 << 5,
        INSECURE_PATHS = 1 << 6,
        INSECURE_SECCOMP = 1 << 7,
};

/* What every stage0 operation is run with: the global flags that concern it. */
struct stage0_context {
        const struct config *config;   /* the merged configuration, or NULL for the defaults */
        const char *local_config;      /* --local-config, passed on to the stage1; trusted
                                          keys are added under it */
        const char *system_config;     /* --system-config: trusted keys are read from it too */
        bool trust_keys_from_https;    /* --trust-keys-from-https */
        bool debug;                    /* --debug */
        unsigned insecure;             /* enum insecure_option bits */
        const char *stage1_default_id; /* the image ID of the bundled default stage1 (the
                                          build's stage1-ids.h): the only image the default
                                          stage1 may be */
};

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
int stage1_select(struct store *s, const struct stage0_context *ctx, const struct stage1_flags *f,
                  char **ret_key, struct rk_error **reterr);

/* The pod-level settings of run/prepare that shape the pod manifest. */
struct pod_settings {
        bool inherit_env;
        char **set_env;          /* KEY=VALUE */
        char **set_env_file;     /* paths */
        const char *pull_policy; /* "new", "update" or "never" */
        char **ports;            /* --port values */
        /* app sandbox: a mutable pod (annotation coreos.com/rkt/stage1/mutable=true) with
         * these pod annotations, user annotations and labels; its ports are the 5-part
         * --port values of app sandbox (stage0_sandbox_ports_parse()) */
        bool mutable_pod;
        const struct ac_labels *annotations, *user_annotations, *user_labels;
};

/* A pod to create (run, prepare): what the flags asked for. */
struct stage0_pod_request {
        const struct stage1_flags *stage1;
        const struct app_list *apps; /* images, per-app flags, --mount, --volume */
        const char *pod_manifest;    /* --pod-manifest: used instead of apps (parsed, and
                                        written as the schema writes it) */
        struct pod_settings settings;
        bool no_overlay;
        bool private_users;         /* a user namespace with the pod's own range of ids */
        const char *uuid_file_save; /* where to write the UUID once the pod exists */
};

/*
 * Creates and prepares a pod (SPEC.md §6.5): selects the stage1, gets every image into the
 * store (per the pull policy), builds the pod manifest, creates the pod directory (state
 * preparing, its lock held by *ret), writes the UUID file, and fills the pod under the
 * prepare lock. Everything that can fail before the pod exists is checked first. Needs
 * root. Returns 0 or < 0 with reterr set (an aborted prepare is then left for gc).
 */
int stage0_create_pod(struct store *s, const struct stage0_context *ctx,
                      const struct stage0_pod_request *rq, struct pod **ret,
                      struct rk_error **reterr);

/* An app of the pod being prepared. */
struct stage0_app {
        struct app_spec *spec;
        char *key;                       /* image key */
        struct image_manifest *manifest; /* the stored image manifest */
        char *name;                      /* app name */
};

/*
 * Builds the pod manifest (SPEC.md §4.6) for apps with the --volume values and the --port
 * values of ps, checking names, os/arch labels and overrides; sets each apps[i].name. The
 * result passes pod_manifest_validate() (errors "invalid pod manifest: <field>: ..."). *ret
 * is the manifest (free with pod_manifest_free()).
 */
int stage0_pod_manifest(struct stage0_app *apps, size_t n, const struct app_list *l,
                        const struct pod_settings *ps, struct pod_manifest **ret,
                        struct rk_error **reterr);

/* Whether overlayfs can be used under data_dir; *ret_why explains when not. */
bool stage0_overlay_supported(const char *data_dir, char **ret_why);

/*
 * Fills the pod directory (SPEC.md §6.5): stage1 (rendered; copied without overlay),
 * every app's image (rendered; copied without overlay), appsinfo, the pod manifest (as
 * pod_manifest_to_json() writes it) and the markers. With userns (--private-users,
 * P/private-users-prepared already written) the apps' copies, or their overlay upper and
 * work directories, belong to the pod's ids.
 */
int stage0_prepare(struct store *s, struct pod *p, const char *stage1_key,
                   const struct stage0_app *apps, size_t n, const struct pod_manifest *manifest,
                   bool overlay, const struct userns_range *userns, struct rk_error **reterr);

/* FLAG_FUNC parser of --net (a char *** list of "NAME[:ARGS]"), with rkt's checks (SPEC.md
 * §8.1): empty and duplicate names, arguments to "all" or "host", more than one ':'. */
int stage0_net_flag_parse(const char *arg, void *value, char **ret_msg);

/*
 * The pod manifest ports (SPEC.md §8.5) for the --port values "NAME:[IP:]HOSTPORT": each
 * name must be the port of exactly one app, no host ip:port twice. *ret is an array of
 * *ret_n ports (free each with pod_port_done(), then the array).
 */
int stage0_ports_parse(char *const *ports, const struct stage0_app *apps, size_t n,
                       struct pod_port **ret, size_t *ret_n, struct rk_error **reterr);

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
        bool mutable_pod;             /* app sandbox: pass --mutable */
};

/*
 * Mounts the overlays of an overlay pod (SPEC.md §6.6), then exec's the stage1 run
 * entrypoint with cwd P and RKT_LOCK_FD. Returns only on failure.
 */
int stage0_run(struct store *s, const struct stage0_context *ctx, struct pod *p,
               const struct stage1_run_args *a, struct rk_error **reterr);

/* Mounts overlayfs on target: lower = the tree rootfs of id, upper/work =
 * P/overlay/<id>/{upper,work}[/<sub>]. */
int stage0_mount_overlay(struct store *s, struct pod *p, const char *id, const char *sub,
                         const char *target, struct rk_error **reterr);

/* Frees the stage0 apps. */
void stage0_apps_free(struct stage0_app *apps, size_t n);

/* --- mutable pods (app sandbox, app add/start/stop/rm; src/stage0/mutable.c) --- */

#define STAGE1_ANNOTATION_MUTABLE "coreos.com/rkt/stage1/mutable"

/*
 * The pod manifest ports of app sandbox: "name:proto:podPort:hostIP:hostPort", all five
 * parts given, proto tcp or udp ("--port invalid format"). *ret as stage0_ports_parse().
 */
int stage0_sandbox_ports_parse(char *const *ports, struct pod_port **ret, size_t *ret_n,
                               struct rk_error **reterr);

/* Whether the stage1 of p has the app/add, rm, start and stop entrypoints. */
bool stage0_stage1_supports_mutable(const struct pod *p);

/*
 * Takes the exclusive flock on P/pod.lck that serializes the app commands of a pod
 * (blocking). Returns the locked descriptor or < 0 with reterr set.
 */
int stage0_app_lock(const struct pod *p, struct rk_error **reterr);

/*
 * Adds the one app of l to the running mutable pod p (P/pod.lck held): its image must be in
 * the store; checks the mutable annotation ("immutable pod") and the name ("error: multiple
 * apps with name <n>"), prepares the app's image, rewrites P/pod atomically. *ret_name is
 * the app's name. The caller then starts the stage1's app/add entrypoint and, while it runs,
 * calls stage0_app_add_root(). Returns 0 or < 0 with reterr set (nothing of the app is left
 * then).
 */
int stage0_app_add(struct store *s, const struct stage0_context *ctx, struct pod *p,
                   const struct app_list *l, const struct pod_settings *ps, char **ret_name,
                   struct rk_error **reterr);

/*
 * The rest of app add for app (after stage0_app_add()): mounts the app's root (overlayfs),
 * links its /etc/mtab, creates S1/rkt/status/<app>-created. Returns 0 or < 0 with reterr
 * set; the caller then removes the app (stage0_app_remove()).
 */
int stage0_app_add_root(struct store *s, struct pod *p, const char *app, struct rk_error **reterr);

/*
 * Removes app from p (P/pod.lck held, after the stage1's app/rm entrypoint): its entry and
 * the volumes only it used in P/pod (rewritten atomically), its root (unmounted), its
 * records, environment and logs. Returns 0 or < 0 with reterr set.
 */
int stage0_app_remove(struct pod *p, const char *app, struct rk_error **reterr);

/* Pieces of prepare and run that app add reuses for one app (prepare.c, run.c). */
int stage0_prepare_app(struct store *s, struct pod *p, const struct stage0_app *a, bool overlay,
                       const struct userns_range *userns, struct rk_error **reterr);
int stage0_mount_app_overlay(struct store *s, struct pod *p, const char *app, int userns_fd,
                             struct rk_error **reterr);
void stage0_link_mtab(struct pod *p, char *const *apps);
