/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An in-memory file tree: the model an image's entries are checked against before anything
 * is written (and the Docker squasher's rootfs). Children are found by name through one
 * hash table per tree, so building a tree is linear in its entries whatever its shape;
 * nothing here recurses.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "chase.h"
#include "hashset.h"

struct vnode {
        char *name;
        struct vnode *parent;
        struct vnode **children; /* unordered */
        size_t n_children, cap_children;
        size_t index; /* in parent->children */
        mode_t mode;  /* file type and permissions */
        char *link;   /* a symlink's target */
};

struct vtree {
        struct vnode *root; /* owned by the caller */
        struct hashset index;
        /* makes a directory node for chase()'s CHASE_MKDIR (name already set) */
        struct vnode *(*new_dir)(struct vtree *t, const char *name);
        /* frees a node taken out of the tree (its name, link and children array are freed
         * by the tree) */
        void (*free_node)(struct vnode *n);
};

void vtree_init(struct vtree *t, struct vnode *root,
                struct vnode *(*new_dir)(struct vtree *, const char *),
                void (*free_node)(struct vnode *));
/* Frees every node but the root. */
void vtree_done(struct vtree *t);

/* The child name of dir, or NULL. */
struct vnode *vtree_child(const struct vtree *t, const struct vnode *dir, const char *name);
/* Adds n (with its name set, which dir does not hold yet) to dir. */
void vtree_add(struct vtree *t, struct vnode *dir, struct vnode *n);
/* Takes n out of its directory and frees it with everything below it. */
void vtree_remove(struct vtree *t, struct vnode *n);
/* A malloc'd copy of dir's children sorted by name (NULL when it has none). */
struct vnode **vtree_sorted_children(const struct vnode *dir);

/* chase() over t: handles are struct vnode pointers (tree = t). */
extern const struct chase_ops vtree_chase_ops;
static inline int vtree_chase(struct vtree *t, const char *path, unsigned flags,
                              struct chase_result *ret)
{
        return chase(&vtree_chase_ops, t, (uintptr_t)t->root, path, flags, ret);
}
