/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by the store's source files. */
#pragma once

#include <openssl/evp.h>

#include "crypto-util.h"
#include "store.h"

/* "sha512/<h0h1>/<key>" below cas/blob or cas/imageManifest. */
char *store_key_subpath(const char *key);
/* Whether s is a full key: "sha512-" plus 64 lowercase hex digits. */
bool store_key_is_valid(const char *s);

/* Takes the flock of D/cas/<dir>/<name> (creating the file); *ret_fd holds it. */
int store_lock(struct store *s, const char *dir, const char *name, int op, int *ret_fd,
               struct rk_error **reterr);
/* Gives path (relative to dirfd) the store's group, when running as root. */
void store_chown(struct store *s, int dirfd, const char *path);
/* Creates D/cas/<dir> (its parent must exist) with exactly mode and the store's group. An
 * existing directory is left as it is. */
int store_mkdir(struct store *s, const char *dir, mode_t mode);
/* Creates an anonymous file in D/cas/tmp, flock'ed (O_TMPFILE: nothing is left if the
 * process dies). */
int store_tmpfile(struct store *s, int *ret_fd, struct rk_error **reterr);
/*
 * Makes the complete store_tmpfile() fd visible at D/cas/<dst>, replacing what was there:
 * mode 0660, the store's group, data synced, then linked under cas/tmp and renamed. The
 * directory of dst must exist.
 */
int store_publish_tmpfile(struct store *s, int fd, const char *dst, struct rk_error **reterr);

/* Index updates (store-db.c). */
int store_db_open(struct store *s, struct rk_error **reterr);
int store_db_upsert_image(struct store *s, const struct image_info *i, struct rk_error **reterr);
int store_db_delete_image(struct store *s, const char *key, struct rk_error **reterr);
int store_db_set_tree_size(struct store *s, const char *key, uint64_t size);
/* Keys starting with prefix (strv). */
int store_db_keys_with_prefix(struct store *s, const char *prefix, char ***ret,
                              struct rk_error **reterr);

/* OpenSSL digest contexts with _cleanup_. */
