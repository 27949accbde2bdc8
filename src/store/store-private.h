/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by the store's source files. */
#pragma once

#include <openssl/evp.h>

#include "crypto-util.h"
#include "store.h"

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
 * Makes the complete store_tmpfile() fd visible as name in the directory dirfd, replacing
 * what was there: mode 0640 (only its owner writes it), the store's group, data synced,
 * then linked under cas/tmp and renamed. A file of another user already there, which the
 * sticky bit keeps, is left in place (success): it holds the same key.
 */
int store_publish_tmpfile(struct store *s, int fd, int dirfd, const char *name,
                          struct rk_error **reterr);

/* --- layout (store-layout.c) --- */

/*
 * Creates what is missing of the store's directories (SPEC.md §6.1's, every one the group
 * writes sticky, and D/cas/rootcache); for root, checks every one is a root-owned directory
 * (an error says the store may have been tampered with) and sets its mode.
 */
int store_layout_prepare(struct store *s, struct rk_error **reterr);
/*
 * Opens D/cas/<top>/sha512/<h0h1> for key (top "blob" or "imageManifest") without following
 * a symlink anywhere, creating it when create. For root the directory is root's: one a
 * member created is taken over, a file or symlink a member put there replaced. Returns the
 * fd or -errno (-ENOENT when missing and !create).
 */
int store_shard_open(struct store *s, const char *top, const char *key, bool create);
/* Whether the manifest and the blob of the image key are regular files of the store (store.c). */
bool store_has_image_files(struct store *s, const char *key);
/*
 * Makes sure D/cas/db/store.sqlite is a regular file (created empty, mode 0660, when
 * missing) before SQLite opens it by name: never a symlink or FIFO a member planted; for
 * root, one a member created becomes root's.
 */
int store_open_index_file(struct store *s, struct rk_error **reterr);

/* Index updates (store-db.c). */
int store_db_open(struct store *s, struct rk_error **reterr);
/* store_open_deferred()'s helper: started (best effort: without it the index opens here when
 * needed); stopped (killed, if it runs: its work is not waited for). */
void store_db_helper_start(struct store *s);
void store_db_helper_stop(struct store *s);
int store_db_upsert_image(struct store *s, const struct image_info *i, struct rk_error **reterr);
int store_db_delete_image(struct store *s, const char *key, struct rk_error **reterr);
int store_db_set_tree_size(struct store *s, const char *key, uint64_t size);
/* Keys starting with prefix (strv). */
int store_db_keys_with_prefix(struct store *s, const char *prefix, char ***ret,
                              struct rk_error **reterr);

/* OpenSSL digest contexts with _cleanup_. */
