/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API service (SPEC.md §9.2): rkt's read-only gRPC API v1alpha.PublicAPI over HTTP/2,
 * served by Debian's gRPC core library (opened with dlopen() when the service starts) with
 * messages generated from src/api/api.proto by protoc-c. Pods and images are read through
 * the pod and store modules, as the CLI reads them; the service changes nothing on disk.
 *
 * Runs in: rkt api-service, as root or as a member of group rkt. It has threads (gRPC's and
 * its own workers): it never creates namespaces.
 */
#pragma once

#include <stdbool.h>

#include "error.h"

#define API_DEFAULT_LISTEN "localhost:15441"
#define API_VERSION        "1.0.0-alpha"

/* What GetInfo reports: the global flags the service was started with. */
struct api_global_flags {
        const char *dir;
        const char *system_config_dir;
        const char *local_config_dir;
        const char *user_config_dir;
        const char *insecure_flags; /* rkt's spelling: the options, comma-joined, or "none" */
        bool trust_keys_from_https;
};

struct api_options {
        const char *data_dir;
        /* The TCP address to listen on ("host:port", Go's net.Listen syntax); ignored when
         * n_listen_fds > 0. */
        const char *listen;
        /* Listening sockets passed by systemd (fds 3 .. 3+n-1), accepted on by the service. */
        int n_listen_fds;
        struct api_global_flags flags;
};

/*
 * Opens the listening sockets (printing "Listening on <addr>" or "Listening on N
 * systemd-provided socket(s)"), starts serving, prints "API service running" and serves until
 * SIGINT or SIGTERM, then stops accepting, cancels the calls in flight and returns 0. The
 * messages go to stderr through log_info(). Errors (reterr): "Failed to open sockets: ..."
 * (the socket cannot be opened, a passed descriptor is not a listening socket), gRPC that
 * cannot be loaded, a store that cannot be opened.
 */
int api_serve(const struct api_options *o, struct rk_error **reterr);
