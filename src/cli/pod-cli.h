/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the commands that read and manage pods (list, status, stop, gc, rm,
 * cat-manifest). */
#pragma once

#include <jansson.h>

#include "cli.h"
#include "pod.h"

struct pod_manifest;

/* When the effective UID is not 0: prints "cannot run as unprivileged user", returns 254;
 * else 0. */
int cli_require_root(void);

/*
 * For the pod commands a user who is not root may run on a data directory of their own
 * (rootless pods, rootless.h): 0 as root; for such a user, enters the rootless user and mount
 * namespaces and returns 0 (the command then runs as root there); for any other user prints
 * "cannot run as unprivileged user" (as cli_require_root()) and returns 254. With runs_pod,
 * a rootless user must also have asked for --net=none or --net=host (net: the --net values,
 * NULL for the default network), checked before anything is created.
 */
int cli_become_root(bool runs_pod, char *const *net);

/*
 * For commands that work unprivileged but must act on a rootless user's pods and trees
 * (files of their subordinate ids): a user who is not root and owns the data directory
 * enters the rootless namespaces as cli_become_root() does; anyone else carries on as they
 * are (a member of group rkt on the shared store). Returns 0, or 254 after printing why.
 */
int cli_rootless_if_own_dir(void);

/* Opens the pod arg names (a UUID or unique prefix) under dir; on failure prints
 * "<context>: <error>" and returns 254, else 0. */
int cli_pod_open(const char *dir, const char *arg, const char *context, struct pod **ret);

/*
 * For the root-only commands that act on a running pod (enter, attach): checks root and that
 * argv[0] is given (else usage), opens the store and the pod argv[0] names, which must be
 * running. Returns 0 with *ret set, or the exit status after printing why.
 */
int cli_running_pod_open(const struct command *cmd, int argc, char **argv, struct pod **ret);

/* Deletes a locked pod as pod_delete() does (SPEC.md §6.7; m: a snapshot of the mounts, or
 * NULL), unregistering an exited pod from the metadata service first (best effort). */
int cli_pod_delete(struct pod *p, const struct pod_mounts *m, struct rk_error **reterr);

/*
 * Reads a pod UUID from path, trimmed of white space. On failure sets reterr to
 * "unable to resolve UUID from file: open <path>: <reason>".
 */
int cli_read_uuid_file(const char *path, char **ret, struct rk_error **reterr);

/*
 * The UUID words of stop/rm: the positional arguments, or the content of --uuid-file (exactly
 * one of the two, else a usage error: returns 254). An unreadable file is reported and
 * returns 1. Returns 0 and a strv in *ret on success.
 */
int cli_pod_uuid_args(const struct command *cmd, int argc, char **argv, const char *uuid_file,
                      char ***ret);

/* FLAG_FUNC parser of --format: "", "json" or "json-pretty" (a char ** value). */
int cli_parse_pod_format(const char *arg, void *value, char **ret_msg);

/*
 * The pod as rkt's v1.Pod JSON object (SPEC.md §3.5): name, state, networks, app_names, apps
 * (immutable-pod app states), created_at/started_at in seconds, user annotations and
 * labels. Errors: "invalid creation time" (preparing/aborted pods), manifest errors.
 */
int cli_pod_to_json(const struct pod *p, json_t **ret, struct rk_error **reterr);

/* The app of a pod a command acts on: flag_app when given (an ACName in the pod: else "no app
 * <name> in the pod" for enter, "app <name> is not present in pod" otherwise), else the pod's
 * only app; with several apps prints them and fails with "specify app using \"rkt <cmd>
 * --app= ...\"". Prints errors; returns 0 or 254. */
int cli_pod_app(struct pod *p, const char *flag_app, const char *cmd, char **ret);
/* The pid a running pod's entrypoints target (P/pid or P/ppid: pod_read_pid()), waiting
 * (100 ms steps) while the pod runs without one yet; "pod <uuid> is not running anymore" if
 * it exits meanwhile. Prints errors; returns 0 or 254. */
int cli_pod_wait_pid(struct pod *p, int *ret);
/* The "netName:ip4=IP" summary of P/net-info.json (", "-joined; "" when absent) that list
 * and status print. malloc'd. */
char *cli_pod_networks(const struct pod *p);

/* A Go map[string]string: keys sorted. Adds it to o as key unless empty (omitempty). */
void cli_json_set_labels(json_t *o, const char *key, const struct ac_labels *l);

/* Reads and parses P/pod; on failure sets reterr ("error reading pod manifest", "invalid
 * pod manifest"). */
int cli_pod_manifest(const struct pod *p, struct pod_manifest **ret, struct rk_error **reterr);
