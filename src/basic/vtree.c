/* SPDX-License-Identifier: Apache-2.0 */
/* The in-memory file tree: nodes, the name index and chase() over it. */
#include "vtree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"

static char *index_key(const struct vnode *dir, const char *name)
{
        return xasprintf("%lx/%s", (unsigned long)(uintptr_t)dir, name);
}

void vtree_init(struct vtree *t, struct vnode *root,
                struct vnode *(*new_dir)(struct vtree *, const char *),
                void (*free_node)(struct vnode *))
{
        *t = (struct vtree){root, HASHSET_INIT, new_dir, free_node};
}

struct vnode *vtree_child(const struct vtree *t, const struct vnode *dir, const char *name)
{
        _cleanup_free_ char *key = index_key(dir, name);
        long v;

        return hashset_get(&t->index, key, &v) && v ? (struct vnode *)(uintptr_t)v : NULL;
}

void vtree_add(struct vtree *t, struct vnode *dir, struct vnode *n)
{
        _cleanup_free_ char *key = index_key(dir, n->name);

        if (dir->n_children == dir->cap_children) {
                dir->cap_children = dir->cap_children ? 2 * dir->cap_children : 4;
                dir->children = oom_check(
                        reallocarray(dir->children, dir->cap_children, sizeof(*dir->children)));
        }
        n->parent = dir;
        n->index = dir->n_children;
        dir->children[dir->n_children++] = n;
        (void)hashset_put(&t->index, key, (long)(uintptr_t)n);
}

/* Takes n out of its parent's children and the index. */
static void detach(struct vtree *t, struct vnode *n)
{
        struct vnode *dir = n->parent;
        _cleanup_free_ char *key = index_key(dir, n->name);

        (void)hashset_put(&t->index, key, 0);
        dir->children[n->index] = dir->children[--dir->n_children];
        dir->children[n->index]->index = n->index;
        n->parent = NULL;
}

/* Frees n and its subtree, depth first without recursion: a node's children are taken out
 * of the index and pushed before it is freed. */
static void free_subtree(struct vtree *t, struct vnode *n)
{
        struct vnode **stack = NULL;
        size_t len = 0, cap = 0;

        for (;;) {
                for (size_t i = 0; i < n->n_children; i++) {
                        _cleanup_free_ char *key = index_key(n, n->children[i]->name);

                        (void)hashset_put(&t->index, key, 0);
                        if (len == cap) {
                                cap = cap ? 2 * cap : 64;
                                stack = oom_check(reallocarray(stack, cap, sizeof(*stack)));
                        }
                        stack[len++] = n->children[i];
                }
                free(n->children);
                free(n->name);
                free(n->link);
                t->free_node(n);
                if (len == 0)
                        break;
                n = stack[--len];
        }
        free(stack);
}

void vtree_remove(struct vtree *t, struct vnode *n)
{
        detach(t, n);
        free_subtree(t, n);
}

void vtree_done(struct vtree *t)
{
        while (t->root->n_children > 0)
                vtree_remove(t, t->root->children[t->root->n_children - 1]);
        free(t->root->children);
        t->root->children = NULL;
        t->root->cap_children = 0;
        hashset_done(&t->index);
}

static int cmp_nodes(const void *a, const void *b)
{
        return strcmp((*(struct vnode *const *)a)->name, (*(struct vnode *const *)b)->name);
}

struct vnode **vtree_sorted_children(const struct vnode *dir)
{
        struct vnode **v;

        if (dir->n_children == 0)
                return NULL;
        v = oom_check(reallocarray(NULL, dir->n_children, sizeof(*v)));
        memcpy(v, dir->children, dir->n_children * sizeof(*v));
        qsort(v, dir->n_children, sizeof(*v), cmp_nodes);
        return v;
}

/* --- chase() over the tree --- */

static int vt_lookup(void *tree, uintptr_t dir, const char *name, uintptr_t *ret, mode_t *ret_type)
{
        struct vnode *n = vtree_child(tree, (struct vnode *)dir, name);

        if (!n)
                return -ENOENT;
        *ret = (uintptr_t)n;
        *ret_type = n->mode & S_IFMT;
        return 0;
}

static int vt_readlink(void *tree, uintptr_t node, char **ret)
{
        *ret = xstrdup(((struct vnode *)node)->link ?: "");
        return 0;
}

static int vt_mkdir(void *tree, uintptr_t dir, const char *name, uintptr_t *ret)
{
        struct vtree *t = tree;
        struct vnode *n;

        if (!t->new_dir)
                return -ENOENT;
        n = t->new_dir(t, name);
        vtree_add(t, (struct vnode *)dir, n);
        *ret = (uintptr_t)n;
        return 0;
}

static int vt_parent(void *tree, uintptr_t dir, uintptr_t *ret)
{
        struct vnode *p = ((struct vnode *)dir)->parent;

        if (!p)
                return -ENOENT;
        *ret = (uintptr_t)p;
        return 0;
}

static int vt_dup(void *tree, uintptr_t h, uintptr_t *ret)
{
        *ret = h;
        return 0;
}

static void vt_release(void *tree, uintptr_t h)
{
}

const struct chase_ops vtree_chase_ops = {
        .lookup = vt_lookup,
        .readlink = vt_readlink,
        .mkdir = vt_mkdir,
        .parent = vt_parent,
        .dup = vt_dup,
        .release = vt_release,
};
