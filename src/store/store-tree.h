/* SPDX-License-Identifier: Apache-2.0 */
/* Internal API of the tree store, shared with the importer (render-on-fetch). */
#pragma once

#include <stddef.h>

#include "hashset.h"
#include "store.h"
#include "tree-hash.h"

struct render_item {
        char *key;
        struct image_manifest *manifest;
        size_t parent; /* index of the image that depends on this one; SIZE_MAX for the top */
};

/* The image and its dependencies in render order. */
struct render_list {
        struct render_item *items;
        size_t n;
};

/* Builds the render list of key whose manifest is top (owned by the list on success).
 * A dependency missing from the store is an error naming it. */
int render_list_build(struct store *s, const char *key, struct image_manifest *top,
                      struct render_list *ret, struct rk_error **reterr);
void render_list_done(struct render_list *l);
/* "deps-sha512-<64 hex>" over the comma-joined keys of the list. */
char *render_list_tree_id(const struct render_list *l);
/* What rendering has written so far: the paths (upper images win) and file digests; the
 * manifest of the top image (items[0]) as its ACI has it, the tree's "manifest" file. */
struct render_state {
        struct hashset provided;
        struct digest_map digests;
        char *manifest;
        size_t manifest_len;
};

void render_state_done(struct render_state *rs);
/* Extracts items[from..] into dirfd (which gets rootfs/), skipping paths already in rs. */
int render_list_extract(struct store *s, const struct render_list *l, size_t from, int dirfd,
                        struct render_state *rs, struct rk_error **reterr);
/* Writes the tree files into tmp_fd (the directory tmp_path) and renames it to tree/<id>.
 * The caller holds the tree lock. */
int tree_install(struct store *s, const struct render_list *l, const struct render_state *rs,
                 const char *tmp_path, int tmp_fd, const char *id, struct rk_error **reterr);
