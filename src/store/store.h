/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The local image store under the data directory D (SPEC.md §6.1, DESIGN.md §5):
 * content-addressed blobs (the uncompressed ACI tar) keyed "sha512-<64 hex>", the image
 * manifests beside them, an SQLite index, and the tree store of rendered images.
 *
 * Concurrency: every open store holds a shared flock on D/cas; writers of an image hold
 * its D/cas/imagelocks/<key> flock exclusively, readers shared; tree entries are guarded by
 * D/cas/treestorelocks/<id>. SQLite serialises index updates. A blob becomes visible only
 * once its index row is committed, so a killed import leaves nothing half-visible.
 *
 * Runs in: stage0 (the rkt command), any privilege; rendering trees needs root.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

struct sqlite3;
struct ac_labels;
struct image_manifest;

#define STORE_KEY_PREFIX "sha512-"
#define STORE_KEY_HEX    64
#define STORE_KEY_LEN    (7 + STORE_KEY_HEX)
#define STORE_DB_VERSION 2

struct store {
        char *dir;  /* D, absolute */
        int dir_fd; /* D */
        int cas_fd; /* D/cas, shared flock held while open */
        struct sqlite3 *db;
        gid_t gid; /* group "rkt", or (gid_t)-1 when it does not exist */
        /* store_open_deferred(): the index is not opened yet (in this process) */
        bool index_deferred;
        struct rk_error *index_err; /* why opening it failed */
        char **unverified;          /* full IDs found by their files meanwhile */
        char **touched;             /* keys whose last-used time waits for it */
        /* the helper that opens it meanwhile (0: none), our end of its socket */
        pid_t index_pid;
        int index_cmd_fd;
};

/* One row of the image index. */
struct image_info {
        char *key;           /* sha512-<64 hex> */
        char *name;          /* manifest name */
        char *version;       /* "version" label, NULL if none */
        int64_t import_time; /* ns since the epoch */
        int64_t last_used;   /* ns since the epoch */
        bool latest;
        uint64_t size;      /* blob size */
        uint64_t tree_size; /* rendered tree size, 0 when not rendered */
};

void image_info_done(struct image_info *i);
void image_infos_free(struct image_info *v, size_t n);

/*
 * Opens (creating what is missing, with the modes of SPEC.md §6.1) the store under dir and
 * removes temporary files left by killed rkt processes. On success *ret owns the store.
 */
int store_open(const char *dir, struct store **ret, struct rk_error **reterr);
/*
 * store_open() that leaves opening the index (D/cas/db/store.sqlite: ~1.3 ms to load SQLite,
 * open it and read its journal) to a helper process, on another CPU when there is one, for
 * a command that can do without the index until it has done other work (rkt app add given
 * a full image ID). Meanwhile store_resolve_key() finds a full image ID by the image's files
 * and store_touch_image() defers its update; store_sync() hands both to the helper and waits
 * for its answer. Any other function that reads or writes the index opens it here instead
 * (the helper is stopped: a command resolving an image by name gains nothing, loses only
 * the fork).
 */
int store_open_deferred(const char *dir, struct store **ret, struct rk_error **reterr);
/*
 * For store_open_deferred(): checks the image IDs found by their files against the index and
 * records the deferred last-used times, through the helper while it runs, else opening the
 * index if something waits for it. Returns 0, or < 0 when the index could not be opened (its
 * error, again at each later use) or an image ID found by its files is not in it ("no image
 * IDs found", as store_resolve_key()).
 */
int store_sync(struct store *s, struct rk_error **reterr);
/*
 * For a command that failed: drops what waits for the index of store_open_deferred() (the IDs
 * to check, the last-used times) and stops its helper, so that store_free() waits for nothing.
 */
void store_forget_deferred(struct store *s);
/* NULL-safe; returns NULL. Records deferred last-used times (store_sync()), releases the
 * locks. */
struct store *store_free(struct store *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct store *, store_free)

/*
 * Creates a temporary directory D/cas/tmp/<prefix>XXXXXX (prefix starts with "rkt-"),
 * flock'ed while *ret_fd is open so that store_open() elsewhere leaves it alone; a killed
 * process's directory is removed by the next store_open(). *ret_name is its absolute path.
 */
int store_mkdtemp(struct store *s, const char *prefix, char **ret_name, int *ret_fd,
                  struct rk_error **reterr);

/*
 * The limit of the apparent size of the sparse files of one image (the sum of their sizes):
 * the environment's RKT_MAX_SPARSE_SIZE (bytes, or with K, M, G, T), else the build's
 * default (meson option max-sparse-size, 16 GiB). A few KB of archive can hold a sparse
 * file of any size: this bounds what a fetched image may claim.
 */
int store_sparse_max(uint64_t *ret, struct rk_error **reterr);

/*
 * The prepare lock D/locks/prepareLock (SPEC.md §6.1): preparing a pod holds it shared
 * (exclusive false) while it renders into the tree store; image gc holds it exclusively
 * while it removes unreferenced trees, so that no pod being prepared loses its trees.
 * Blocks until taken; *ret_fd holds the lock. Returns 0 or < 0 with reterr set.
 */
int store_lock_prepare(struct store *s, bool exclusive, int *ret_fd, struct rk_error **reterr);

/* --- index (store-db.c) --- */

/* All images, in no particular order. */
int store_list_images(struct store *s, struct image_info **ret, size_t *ret_n,
                      struct rk_error **reterr);
/* The row of key; -ENOENT ("no image with ID ...") when absent. */
int store_get_image(struct store *s, const char *key, struct image_info *ret,
                    struct rk_error **reterr);
/* Sets the last-used time of key to now. Failures are ignored (best effort). */
void store_touch_image(struct store *s, const char *key);

/*
 * The remote cache (rkt's remote table): the image last fetched from url (for docker
 * images "docker://<reference as given>"). store_get_remote() fails with -ENOENT when there
 * is no row or its image is no longer in the store.
 */
int store_get_remote(struct store *s, const char *url, char **ret_key, struct rk_error **reterr);
int store_put_remote(struct store *s, const char *url, const char *key, struct rk_error **reterr);

/* A row of the remote cache with the HTTP caching data of an image fetched over HTTP(S). */
struct store_remote {
        char *url;             /* the image URL as given (or discovered) */
        char *sig_url;         /* its signature URL, NULL when none */
        char *etag;            /* the image's ETag, NULL when the server sent none */
        char *key;             /* the image */
        int64_t max_age;       /* Cache-Control max-age in seconds, 0: always ask */
        int64_t download_time; /* ns since the epoch */
};
void store_remote_done(struct store_remote *r);
/* The row of url, with store_get_remote()'s contract. */
int store_get_remote_full(struct store *s, const char *url, struct store_remote *ret,
                          struct rk_error **reterr);
/* Inserts or replaces the row of r->url (download_time 0: now). */
int store_put_remote_full(struct store *s, const struct store_remote *r, struct rk_error **reterr);
/*
 * The Docker conversion cache (schema version 2): the image converted from the manifest
 * digest fetched for reference (as given). Same contract as the remote cache.
 */
int store_get_docker(struct store *s, const char *reference, const char *digest, char **ret_key,
                     struct rk_error **reterr);
int store_put_docker(struct store *s, const char *reference, const char *digest, const char *key,
                     struct rk_error **reterr);

/* --- lookup (store-resolve.c) --- */

/*
 * Resolves an image ID or unique ID prefix ("sha512-abc…") to a full key, as rkt's
 * ResolveKey: errors "wrong key prefix", "image ID too short", "no image IDs found",
 * "ambiguous image ID: \"<prefix>\"".
 */
int store_resolve_key(struct store *s, const char *prefix, char **ret_key,
                      struct rk_error **reterr);
/*
 * Finds the best image named name carrying every label of labels (SPEC.md §5.6): images
 * marked latest first when no version label is asked for, then the newest import.
 */
int store_find_by_name(struct store *s, const char *name, const struct ac_labels *labels,
                       char **ret_key, struct rk_error **reterr);
/*
 * A dependency named name with labels, as store_find_by_name(), except that for root an
 * image root imported is taken before any other: the dependencies of what root renders
 * (its stage1's, a privileged app's) are found by name, and members import images too.
 */
int store_find_dependency(struct store *s, const char *name, const struct ac_labels *labels,
                          char **ret_key, struct rk_error **reterr);
/*
 * Resolves an `image` subcommand argument: an ID/prefix when it parses as "sha512-…", else
 * an appc name with ":version" and ",label=value" parts (SPEC.md §3.17).
 */
int store_resolve_image_arg(struct store *s, const char *arg, char **ret_key,
                            struct rk_error **reterr);

/* --- blobs and manifests (store.c) --- */

/* Opens the blob of key read-only and marks the image used. */
int store_open_blob(struct store *s, const char *key, int *ret_fd, struct rk_error **reterr);
/* Reads the stored manifest bytes of key (NUL-terminated). */
int store_read_manifest_raw(struct store *s, const char *key, char **ret, size_t *ret_len,
                            struct rk_error **reterr);
/* Reads and parses the stored manifest of key. */
int store_read_manifest(struct store *s, const char *key, struct image_manifest **ret,
                        struct rk_error **reterr);
/*
 * Removes the index rows, then the blob and manifest files of key. Tree store entries are
 * kept (prepared pods keep working). Returns 1 when some files could not be removed (the
 * image is gone from the index but stale files remain).
 */
int store_remove_image(struct store *s, const char *key, struct rk_error **reterr);

/* --- trust (store-trust.c) --- */

/*
 * The user who imported key: the owner of its blob file, which each import replaces with
 * one of its own. The index cannot say (members of group rkt can write it); the kernel
 * can: no member can make a file owned by root. Returns 0, or < 0 with reterr set when the
 * blob is missing.
 */
int store_image_importer(struct store *s, const char *key, uid_t *ret_uid,
                         struct rk_error **reterr);

/* --- import (store-import.c) --- */

enum import_flags {
        IMPORT_RENDER = 1 << 0,     /* also render the tree store entry (root only) */
        IMPORT_PROGRESS = 1 << 1,   /* progress bar on stderr */
        IMPORT_LATEST = 1 << 2,     /* mark the image "latest" (fetched by name, no version) */
        IMPORT_DEFER_DEPS = 1 << 3, /* with IMPORT_RENDER: an image with dependencies is not
                                       rendered now (they may not be in the store yet) */
        IMPORT_ADOPT = 1 << 4,      /* fd is the caller's own file in D/cas/tmp, which no one
                                       else can write: an uncompressed tar becomes the blob
                                       itself (its mode and group changed, linked). Only a
                                       regular file of ours, no access for others, one
                                       link, at offset 0 (unless growing); anything else
                                       is copied. Once imported, no one may write it. */
};

/*
 * Called once the image is complete and valid, before anything becomes visible: a < 0
 * return (with reterr set) aborts the import and leaves the store as it was. The signature
 * check of a fetch runs here, with the name the manifest holds.
 */
typedef int (*import_gate_fn)(const struct image_manifest *m, void *userdata,
                              struct rk_error **reterr);

/*
 * Imports the ACI read from fd (plain, gzip, bzip2, xz or zstd tar, detected by content):
 * one pass decompresses it into a new blob while hashing, a second validates every entry
 * against DESIGN.md §7 and reads the manifest. Importing an image already stored only
 * refreshes its row. On failure nothing becomes visible and no temporary file is left.
 * *ret_key is the image key.
 */
int store_import_aci(struct store *s, int fd, const char *what, unsigned flags, char **ret_key,
                     struct rk_error **reterr);
/* store_import_aci() with a gate (may be NULL). */
int store_import_aci_gated(struct store *s, int fd, const char *what, unsigned flags,
                           import_gate_fn gate, void *userdata, char **ret_key,
                           struct rk_error **reterr);

/*
 * An input another thread is still writing (a download). The import reads it only with
 * pread(), and before each read calls wait(userdata, off), which blocks until the input
 * holds more than off bytes or is complete, and returns its size then, or -errno when it
 * will never be complete (the import then fails with that errno). Before its gate, the
 * import waits (off UINT64_MAX) for the input to be complete: nothing of an input that
 * never completes is checked or stored, even when the image ended before the input did.
 */
struct import_growing {
        int64_t (*wait)(void *userdata, uint64_t off);
        void *userdata;
};

/* store_import_aci_gated() of fd while it grows: the import follows its writer. */
int store_import_aci_growing(struct store *s, int fd, const struct import_growing *g,
                             const char *what, unsigned flags, import_gate_fn gate, void *userdata,
                             char **ret_key, struct rk_error **reterr);

/*
 * Writes a plain (uncompressed) ACI tar into out_fd, the write end of a pipe, and returns 0,
 * or < 0 with reterr set. It runs in a thread of its own with SIGPIPE blocked: once the
 * import stops reading, its writes fail with EPIPE.
 */
typedef int (*import_producer_fn)(void *userdata, int out_fd, struct rk_error **reterr);

/*
 * store_import_aci() of the tar produce writes, imported while it is being written: no file
 * holds the whole tar on the way. When the producer fails, its error is the one reported
 * (the import only saw a truncated tar), unless it failed because the import stopped.
 */
int store_import_produced(struct store *s, import_producer_fn produce, void *userdata,
                          const char *what, unsigned flags, char **ret_key,
                          struct rk_error **reterr);

/* --- tree store (store-tree.c) --- */

/*
 * Renders key with its dependencies (appc rendering rules) into D/cas/tree/<id> unless it
 * is already rendered; *ret_id (optional) is the tree ID "deps-sha512-…". Returns 1 when it
 * rendered the tree now, 0 when it was there. A dependency that is not in the store is an
 * error naming it.
 */
int store_render(struct store *s, const char *key, char **ret_id, struct rk_error **reterr);
/* The images key renders from: key, then its dependencies as rendering finds them (strv). */
int store_render_keys(struct store *s, const char *key, char ***ret, struct rk_error **reterr);
/* The tree ID key renders to (needs the dependencies in the store). */
int store_tree_id(struct store *s, const char *key, char **ret_id, struct rk_error **reterr);
/*
 * Checks the rendered tree of id against its recorded hash. Returns 1 when it matches, 0
 * when it does not (message in *ret_why), -ENOENT when the tree is not rendered.
 */
int store_tree_verify(struct store *s, const char *id, char **ret_why, struct rk_error **reterr);
/* Removes the tree entry id (under its lock) and clears the tree size of its image. */
int store_tree_remove(struct store *s, const char *id, struct rk_error **reterr);
/*
 * The manifest of the image a tree was rendered from, as its blob has it (the tree store is
 * root's: unlike D/cas/imageManifest, which members write, what rendering checked).
 */
/* The bytes of tree id's manifest (the image's own, as imported), malloc'd in *ret. */
int store_tree_manifest_raw(struct store *s, const char *id, char **ret, size_t *ret_len,
                            struct rk_error **reterr);
int store_tree_manifest(struct store *s, const char *id, struct image_manifest **ret,
                        struct rk_error **reterr);
/* Opens D/cas/tree/<id>/rootfs (O_PATH-free directory fd). */
int store_tree_open_rootfs(struct store *s, const char *id, int *ret_fd, struct rk_error **reterr);
/* Lists the tree IDs present. */
int store_tree_list(struct store *s, char ***ret_ids, struct rk_error **reterr);

/*
 * Extracts the image key alone (no dependencies) into dirfd: its rootfs/ and, when
 * with_manifest, its manifest file. Device nodes are not created.
 */
int store_extract(struct store *s, const char *key, int dirfd, bool with_manifest,
                  struct rk_error **reterr);

/*
 * Removes blob and manifest files that no index row names: what an import killed between
 * publishing its files and committing its row leaves. Files of an import in progress are
 * skipped (their image lock is held). Returns the number of images swept.
 */
int store_sweep_orphans(struct store *s, struct rk_error **reterr);
