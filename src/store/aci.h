/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading ACI archives (SPEC.md §5.1) with libarchive: content sniffing, the decompress-and-
 * hash pass that produces the stored blob, and the validating walk over the uncompressed
 * tar that finds the manifest and can extract entries into a directory.
 *
 * The walk enforces DESIGN.md §7 on every entry before anything is written: names follow
 * path_name_normalise() (no absolute names, no ".."), rootfs paths keep path-util.h's limits
 * (PATH_MAX bytes, 1024 components, also once symlinks are resolved); every rootfs entry is
 * resolved in a model of the image's own tree the way the kernel resolves it in the pod
 * (chase.h: symlinks of the image followed inside the rootfs, ".." stopping there), so an
 * entry "var/run/x" below "var/run -> /run" lands in rootfs/run/x, and one below a symlink
 * to nothing, a file or a loop is refused; no duplicates (also through symlinks); hard
 * links only to earlier files of the rootfs (an absolute target is a path in the rootfs).
 * Sparse files count against store_sparse_max(). Extraction resolves each path again on
 * disk, one descriptor at a time (never through a path's text), writes sparse files with
 * their holes, keeps only the xattrs xattr_image_allowed() accepts, and never creates
 * device nodes or sockets.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "hashset.h"
#include "tree-hash.h"

enum aci_compression {
        ACI_PLAIN,
        ACI_GZIP,
        ACI_BZIP2,
        ACI_XZ,
        ACI_ZSTD,
};

/* Reads the first bytes of fd (with pread; the offset is kept) and classifies them.
 * Anything but a tar or a compressed stream is "error: unknown image filetype". */
int aci_sniff(int fd, enum aci_compression *ret, struct rk_error **reterr);

/* Called after each block written: bytes of input consumed, input size (0 when unknown),
 * and uncompressed bytes written so far. A negative return (-errno) stops the pass. */
typedef int (*aci_progress_fn)(uint64_t in_done, uint64_t in_total, uint64_t out_done,
                               void *userdata);

struct aci_walk {
        int extract_fd;        /* directory to extract into, or -1 to only validate */
        bool extract_manifest; /* also write the manifest file there */
        bool extract_rootfs;   /* write rootfs/ entries */
        bool same_owner;       /* restore owners (root only) */
        /* Rendering dependencies: entries already provided by an upper image are skipped,
         * as are entries outside a non-empty path whitelist. Keys are "rootfs/<path>". */
        struct hashset *provided;
        struct hashset *whitelist;
        /* Filled by the walk: every "rootfs/..." path it extracted (symlinks resolved), and
         * the content digest (tree-hash.h) of every regular file it wrote (optional). */
        struct hashset *extracted;
        struct digest_map *digests;
        char *manifest; /* out: the manifest bytes, NUL-terminated (malloc'd) */
        size_t manifest_len;
};

/* Walks the uncompressed tar at fd from its current offset. Errors name the entry. */
int aci_walk(int fd, struct aci_walk *w, struct rk_error **reterr);

/* Reads the next bytes of an uncompressed tar: returns their count with *buf pointing at
 * them, 0 at the end, or -errno (the walk then fails with "cannot read image"). */
typedef ssize_t (*aci_read_fn)(void *userdata, const void **buf);
/* Like aci_walk(), reading the tar through fn. */
int aci_walk_stream(aci_read_fn fn, void *userdata, struct aci_walk *w, struct rk_error **reterr);

/*
 * Decompresses the ACI read from fd, compressed as c (from aci_sniff()), into outfd (only
 * hashing when outfd < 0) while hashing the uncompressed bytes. *ret_key is "sha512-" + the
 * first 64 hex digits of the SHA-512; *ret_size the tar size. A negative return of progress
 * stops it with that error.
 */
int aci_decompress(int fd, enum aci_compression c, int outfd, aci_progress_fn progress,
                   void *userdata, char **ret_key, uint64_t *ret_size, struct rk_error **reterr);
/* Like aci_decompress(), reading the (compressed) input through fn. */
int aci_decompress_stream(aci_read_fn fn, void *fn_data, enum aci_compression c, int outfd,
                          aci_progress_fn progress, void *userdata, char **ret_key,
                          uint64_t *ret_size, struct rk_error **reterr);
void aci_walk_done(struct aci_walk *w);

struct archive;
struct archive_entry;

/*
 * Writing an ACI (rkt export, the Docker conversion): one tar writer for both. Entries are
 * written in pax-restricted format (xattrs and sparse files kept), optionally gzip'ed; the
 * manifest goes first. Every function returns 0, or < 0 with reterr set ("cannot write the
 * image: <libarchive's reason>").
 */
struct aci_writer {
        struct archive *a;
        struct archive_entry *e; /* scratch entry for the caller's headers */
};

int aci_writer_open(struct aci_writer *w, int fd, bool gzip, struct rk_error **reterr);
/* The "manifest" entry (mode 0644) with len bytes of json. */
int aci_writer_manifest(struct aci_writer *w, const char *json, size_t len,
                        struct rk_error **reterr);
/* Writes the header of entry (w->e unless NULL). */
int aci_writer_header(struct aci_writer *w, struct archive_entry *entry, struct rk_error **reterr);
/* Data of the current entry. */
int aci_writer_data(struct aci_writer *w, const void *buf, size_t len, struct rk_error **reterr);
/*
 * len zero bytes of the current entry: a hole when the entry is sparse (libarchive's
 * writers take a sparse entry's whole content and leave its holes out), so writing a
 * file's data means its blocks at their offsets with zeros between.
 */
int aci_writer_zeros(struct aci_writer *w, uint64_t len, struct rk_error **reterr);
/* Finishes the archive (trailer, compression). */
int aci_writer_close(struct aci_writer *w, struct rk_error **reterr);
/* NULL-safe: frees what aci_writer_open() made. */
void aci_writer_done(struct aci_writer *w);
