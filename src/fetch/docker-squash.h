/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Squashing Docker/OCI layers into one ACI rootfs (DOCKER.md §1.4, with the fixes of §1.7).
 * The file system is modelled in memory (vtree.h; file data go to a spool file), so a layer
 * can never write outside it: layers apply base first with overlay semantics — an entry
 * replaces what a lower layer had at its path (a directory over a directory only updates
 * its metadata), ".wh.NAME" removes NAME of lower layers, "DIR/.wh..wh..opq" empties DIR
 * of lower-layer content, whatever the order of entries in the layer; hard links may
 * cross layers and survive their target being removed.
 *
 * Paths are resolved as in the pod (chase.h): a symlink on the way, of this layer or a
 * lower one, is followed inside the rootfs ("var/run -> /run" then "var/run/x" is /run/x;
 * "d/.wh.x" below a symlink d removes x where d leads and keeps d). Refused: names against
 * path_name_normalise() ("..", absolute), paths beyond path-util.h's limits (also once
 * resolved), entries below a symlink to nothing, a file or a loop, malformed whiteouts
 * (".wh.", ".wh..", ".wh..."), hard links to a missing or non-regular file, sparse files
 * beyond store_sparse_max(). Sparse files stay sparse in the ACI; only the xattrs
 * xattr_image_allowed() accepts are kept.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define SQUASH_MAX_BYTES (64ULL << 30) /* total uncompressed file data of an image */

struct squash;
struct archive;

/*
 * Enables on the libarchive reader a the compressions Docker writes, gzip, zstd, xz and
 * bzip2, each decompressed in-process: never by a program, which libarchive runs for the
 * others (lrzip, lzop, grzip) when their magic numbers start the data. -ENOTSUP when this
 * libarchive would need a program for one of the four.
 */
int squash_support_filters(struct archive *a);

/* A new, empty rootfs whose file data go to spool_fd (an empty file, owned by the caller). */
struct squash *squash_new(int spool_fd);
/* NULL-safe; returns NULL. */
struct squash *squash_free(struct squash *sq);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct squash *, squash_free)

/*
 * Applies the next layer (a tar, plain or compressed with gzip, zstd, xz or bzip2), read
 * from fd. what names it in errors. An empty file is an empty layer.
 */
int squash_apply_layer(struct squash *sq, int fd, const char *what, struct rk_error **reterr);

/*
 * Reads the regular file at path (relative to the rootfs, no symlinks followed) into a
 * NUL-terminated malloc'd buffer of at most max bytes. -ENOENT when there is none.
 */
int squash_read_file(struct squash *sq, const char *path, size_t max, char **ret);

/* Whether the absolute path names a regular file, following symlinks inside the image. */
bool squash_is_file(struct squash *sq, const char *path);

/*
 * Writes the ACI: an uncompressed tar with "manifest" (manifest_json) then "rootfs/" and
 * its entries, directories before their contents, names sorted, to out_fd. Adds the stdio
 * symlinks of /dev when the image lacks them. The same layers give the same bytes.
 */
int squash_write_aci(struct squash *sq, const char *manifest_json, int out_fd,
                     struct rk_error **reterr);
