/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The keystore of trusted signing keys (SPEC.md §5.5): ASCII-armored public keys named by
 * the 40-hex fingerprint of their primary key, in
 *     <system config>/trustedkeys/root.d/        <local config>/trustedkeys/root.d/
 *     <system config>/trustedkeys/prefix.d/P/    <local config>/trustedkeys/prefix.d/P/
 * A zero-length file masks (removes) the key of that fingerprint loaded before it.
 *
 * Which prefix directories count for an image name N: the directories of N and of each of
 * its parents, component by component (example.com/my counts for example.com/my and
 * example.com/my/app). rkt compared the directory paths as strings, so keys trusted for
 * example.com/my also verified example.com/my-app; that is fixed here, deliberately.
 *
 * Runs in: stage0.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "pgp.h"

struct keystore {
        const char *system_dir; /* --system-config */
        const char *local_dir;  /* --local-config: where rkt trust adds keys */
};

/*
 * The keyring for images named name: root keys (system then local), then the keys of the
 * prefix directories of name and its parents, outermost first, system before local, masks
 * applied in that order. A key file that is not a regular file, is larger than 1 MiB, is not
 * an armored key, or whose name is not its fingerprint fails the whole load ("keystore:
 * error loading keyring ...": a damaged keystore must not silently trust less, or more).
 */
int keystore_load(const struct keystore *ks, const char *name, struct pgp_keyring **ret,
                  struct rk_error **reterr);

/*
 * Whether a non-empty key file exists in the prefix directory (local or system) of prefix
 * or of one of its parents (rkt's TrustedKeyPrefixExists: root keys do not count).
 */
bool keystore_prefix_has_keys(const struct keystore *ks, const char *prefix);

/*
 * Stores the key bytes data, whose first key's fingerprint is fingerprint, under the local
 * configuration: prefix.d/<prefix>/<fingerprint>, or root.d/<fingerprint> for prefix NULL.
 * Missing directories are created 0755, the file is 0644 and replaces any earlier one
 * atomically (a new file renamed into place: never a half-written key). *ret_path is the
 * key file's path.
 */
int keystore_store(const struct keystore *ks, const char *prefix, const char *fingerprint,
                   const void *data, size_t len, char **ret_path, struct rk_error **reterr);
