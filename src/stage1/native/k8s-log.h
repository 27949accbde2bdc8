/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The kubernetes log directory of a mutable pod (rkt's experiment: the sandbox's annotations
 * coreos.com/rkt/experiment/logmode=k8s-plain and .../kubernetes-log-dir=<dir>), where each
 * app's output goes (app-ctl.c). The directory is a host path the kubelet names, which an app
 * may reach too (another pod's volume, or its own, may hold it or a parent of it), and root
 * writes what the app prints there: had the app put a symlink on the path, root would write
 * wherever it points. So the path is resolved without following any symlink, what the
 * directory is gets recorded in P/k8s-log-dir when the sandbox starts, before any app of the
 * pod runs, and an app's log is opened in it only while the path still leads to that same
 * directory.
 *
 * Runs in: the native stage1's host side (cwd = P).
 */
#pragma once

#include <stdbool.h>

#include "error.h"
#include "stage1-pod.h"

#define K8S_ANN_LOGMODE "coreos.com/rkt/experiment/logmode"
#define K8S_ANN_LOGDIR  "coreos.com/rkt/experiment/kubernetes-log-dir"
#define K8S_ANN_LOGPATH "coreos.com/rkt/experiment/kubernetes-log-path"

/* Whether the pod's annotations ask for the kubernetes log mode. */
bool k8s_log_mode(const struct stage1_pod *pod);

/*
 * At the sandbox's start: creates the directory (and its parents, mode 0755) and records its
 * identity in P/k8s-log-dir. No component of its path may be a symbolic link (the kubelet
 * gives a canonical path). Returns 0 or < 0 with reterr set.
 */
int k8s_log_dir_pin(const struct stage1_pod *pod, struct rk_error **reterr);

/*
 * The directory, opened by its path as k8s_log_dir_pin() did and checked to be the one
 * recorded: -EXDEV ("... is not the directory it was when the pod started") when it is not,
 * -ENOENT for a pod without the record (started by an rkt before it). Returns the fd or < 0
 * with reterr set.
 */
int k8s_log_dir_open(const struct stage1_pod *pod, struct rk_error **reterr);
