/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client side of the metadata service's registration API (SPEC.md §9.1): HTTP/1.1 over
 * the registration unix socket, one request per connection. Used by stage0 (register at run,
 * unregister at pod deletion). Runs in: the rkt command, as root.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* The start of the error when the service cannot be reached (SPEC.md §3.3, §9.1). */
#define MDS_UNREACHABLE_TEXT                                                                  \
        "could not reach the metadata service. Make sure that it is running (rkt "            \
        "metadata-service) and listening on " MDS_CLIENT_SOCKET ". If the pod does not need " \
        "it, run rkt run --mds-register=false"
#define MDS_CLIENT_SOCKET "/run/rkt/metadata-svc.sock"

/* Whether something accepts connections on the registration socket. */
bool mds_client_reachable(void);

/*
 * Sends one request (body may be NULL) and reads the status code into *ret_status. Connection
 * failures are retried: attempts tries, 1 s apart. Returns 0 (whatever the status), or < 0
 * with reterr set: MDS_UNREACHABLE_TEXT when no attempt connected, else the I/O failure.
 */
int mds_client_request(const char *method, const char *path, const char *body, size_t len,
                       unsigned attempts, unsigned *ret_status, struct rk_error **reterr);

/* mds_client_request() to the service listening on socket_path (tests). */
int mds_client_request_at(const char *socket_path, const char *method, const char *path,
                          const char *body, size_t len, unsigned attempts, unsigned *ret_status,
                          struct rk_error **reterr);
