/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP client settings of a stage0 context (http.h): TLS checks unless
 * --insecure-options=tls, progress bars on a terminal, and the auth.d credentials (SPEC.md
 * §10: "basic" and "oauth" as an Authorization header, per domain).
 * Runs in: stage0.
 */
#pragma once

#include "http.h"

struct stage0_context;

/* Fills *ret for ctx; the credentials live as long as ctx's configuration. */
void stage0_http_client(const struct stage0_context *ctx, struct http_client *ret);
