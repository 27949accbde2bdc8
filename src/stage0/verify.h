/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Signature checks of fetched images against the keystore of the configuration directories
 * (SPEC.md §5.5), with rkt's messages on stderr: "image: signature verified:" and the
 * signer's identities, or the hint to run `rkt trust` when the signer is unknown.
 *
 * Runs in: stage0.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "keystore.h"

struct stage0_context;
struct store;

/* The keystore of ctx: --system-config and --local-config. */
struct keystore stage0_keystore(const struct stage0_context *ctx);

/* Whether fetches of ctx check signatures (no "image" in --insecure-options). */
bool stage0_verifies(const struct stage0_context *ctx);

/*
 * Checks the detached signature sig of the image bytes of data_fd (all of them, as fetched:
 * compressed or not) for the image named name, against the keyring of name. On success
 * prints "image: signature verified:" and the signer's identities, and, when running as
 * root, records that root verified the image key (stage0_mark_verified()).
 */
int stage0_verify_image(const struct stage0_context *ctx, struct store *s, const char *name,
                        const char *key, int data_fd, const char *sig, size_t sig_len,
                        struct rk_error **reterr);

/*
 * Starts hashing data_fd for the signature sig in the background (pgp_verify_start()): the
 * job for stage0_verify_image_job(), or NULL when it cannot start (the check then runs there,
 * on data_fd). data_fd must stay open until then.
 */
struct pgp_verify_job *stage0_verify_start(int data_fd, const char *sig, size_t sig_len);
/* stage0_verify_start() of data_fd while another thread still writes it
 * (pgp_verify_start_growing()). */
struct pgp_verify_job *stage0_verify_start_growing(int data_fd, pgp_wait_fn wait, void *userdata,
                                                   const char *sig, size_t sig_len);

/*
 * stage0_verify_image() finishing job (which it frees; NULL: the check runs now on data_fd).
 */
int stage0_verify_image_job(const struct stage0_context *ctx, struct store *s, const char *name,
                            const char *key, struct pgp_verify_job *job, int data_fd,
                            const char *sig, size_t sig_len, struct rk_error **reterr);

/*
 * Checks before a download that a key trusted for name made the signature sig (rkt's early
 * check of discovered images), with the hint on an unknown signer.
 */
int stage0_check_signer(const struct stage0_context *ctx, const char *name, const char *sig,
                        size_t sig_len, struct rk_error **reterr);

/*
 * Records that root checked a trusted signature of the image key: an empty root-owned file
 * D/cas/verified/<key> in a directory only root may enter (0700), which no member of group
 * rkt can create, replace or remove. A no-op unless the effective user is root.
 */
void stage0_mark_verified(struct store *s, const char *key);

/* Whether stage0_mark_verified() recorded key (root-owned marker in the root-only dir). */
bool stage0_is_verified(struct store *s, const char *key);
