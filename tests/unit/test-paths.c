/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/basic's path handling: the one policy for names taken from archives
 * (path-util.h), in-root resolution on disk and in memory (chase.h, vtree.h), and the
 * iterative tree walks of fs-util.h at depths far beyond PATH_MAX.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "chase.h"
#include "fs-util.h"
#include "path-util.h"
#include "root-path.h"
#include "strbuf.h"
#include "tap.h"
#include "vtree.h"
#include "xattr-util.h"

#define ASSERT_SYS(x) ASSERT_OK((x) < 0 ? -errno : 0)

/* ---- path_name_normalise: the policy ---- */

static const struct {
        const char *in;
        unsigned flags;
        const char *out; /* NULL: refused */
} names[] = {
        {"a", 0, "a"},
        {"./a", 0, "a"},
        {"a//b", 0, "a/b"},
        {"a/./b", 0, "a/b"},
        {"a/b/", 0, "a/b"},
        {"././a/./", 0, "a"},
        {".//a", 0, "a"},
        {"", 0, ""},
        {".", 0, ""},
        {"./", 0, ""},
        {"a/.../b", 0, "a/.../b"},
        {"..a/b..", 0, "..a/b.."},
        {".wh..wh..opq", 0, ".wh..wh..opq"},
        {"..", 0, NULL},
        {"../a", 0, NULL},
        {"a/..", 0, NULL},
        {"a/../b", 0, NULL},
        {"./..", 0, NULL},
        {"a/b/../..", 0, NULL},
        {"/a", 0, NULL},
        {"/", 0, NULL},
        {"/a", PATH_NAME_ABSOLUTE, "a"},
        {"//a//b", PATH_NAME_ABSOLUTE, "a/b"},
        {"/", PATH_NAME_ABSOLUTE, ""},
        {"/../a", PATH_NAME_ABSOLUTE, NULL},
        {"a", PATH_NAME_ABSOLUTE, "a"},
};

TEST(name_policy)
{
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                _cleanup_free_ char *out = NULL;
                int r = path_name_normalise(names[i].in, names[i].flags, &out);

                printf("# \"%s\" (%u)\n", names[i].in, names[i].flags);
                if (!names[i].out) {
                        ASSERT_EQ(r, -EINVAL);
                        continue;
                }
                ASSERT_OK(r);
                ASSERT_STREQ(out, names[i].out);
        }
}

static char *repeat(const char *part, size_t n, const char *sep)
{
        struct strbuf sb = STRBUF_INIT;

        for (size_t i = 0; i < n; i++)
                strbuf_printf(&sb, "%s%s", i ? sep : "", part);
        return strbuf_detach(&sb);
}

TEST(path_limits)
{
        _cleanup_free_ char *deep_ok = repeat("d", PATH_DEPTH_MAX, "/");
        _cleanup_free_ char *too_deep = repeat("d", PATH_DEPTH_MAX + 1, "/");
        _cleanup_free_ char *long_ok = repeat("n", PATH_MAX - 2, "");
        _cleanup_free_ char *too_long = repeat("n", PATH_MAX - 1, "");

        ASSERT_NULL(path_limits_error(""));
        ASSERT_NULL(path_limits_error(deep_ok));
        ASSERT_STREQ(path_limits_error(too_deep), "has more than 1024 components");
        ASSERT_NULL(path_limits_error(long_ok));
        ASSERT_STREQ(path_limits_error(too_long), "is longer than 4096 bytes");
        ASSERT_EQ(path_depth(""), 0);
        ASSERT_EQ(path_depth("a/b/c"), 3);
}

TEST(join_lexical)
{
        static const char *const cases[][3] = {
                {"a/b", "../c", "a/c"}, {"a", "x/./y", "a/x/y"}, {"", "x//y/", "x/y"},
                {"a/b", "../..", ""},   {"a", "../../c", NULL},  {"a", "/x", NULL},
                {"", "..", NULL},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *out = path_join_lexical(cases[i][0], cases[i][1]);

                printf("# %s + %s\n", cases[i][0], cases[i][1]);
                if (cases[i][2])
                        ASSERT_STREQ(out, cases[i][2]);
                else
                        ASSERT_NULL(out);
        }
}

TEST(abbreviation_for_messages)
{
        _cleanup_free_ char *short_ = repeat("a", 1024, ""), *long_ = NULL, *out = NULL;
        _cleanup_free_ char *utf8 = NULL, *out2 = NULL;

        out = path_abbrev(short_);
        ASSERT_STREQ(out, short_);
        free(out);
        long_ = xasprintf("%s%s", short_, "tail");
        out = path_abbrev(long_);
        ASSERT_EQ(strlen(out), 500 + 3 + 200);
        ASSERT_TRUE(strncmp(out + 500, "...", 3) == 0);
        ASSERT_STREQ(out + strlen(out) - 4, "tail");
        /* a two-byte character across the cut is not split */
        utf8 = xasprintf("%.*s\xc3\xa9%s", 499, short_, short_);
        out2 = path_abbrev(utf8);
        ASSERT_TRUE(strncmp(out2 + 499, "...", 3) == 0);
}

/* ---- chase() over an in-memory tree ---- */

static struct vnode *node_new(const char *name, mode_t mode, const char *link)
{
        struct vnode *n = xnew0(struct vnode, 1);

        n->name = xstrdup(name);
        n->mode = mode;
        n->link = link ? xstrdup(link) : NULL;
        return n;
}

static struct vnode *new_dir(struct vtree *t, const char *name)
{
        return node_new(name, S_IFDIR | 0755, NULL);
}

static void free_node(struct vnode *n)
{
        free(n);
}

/* Adds path (whose parent exists) to t: a directory, or a symlink when link is set, or a
 * file when link is "". */
static struct vnode *add(struct vtree *t, const char *path, const char *link)
{
        struct chase_result cr = {0};
        struct vnode *n;

        ASSERT_OK(vtree_chase(t, path, CHASE_NOLINKS, &cr));
        n = node_new(cr.base,
                     !link     ? S_IFDIR | 0755
                     : link[0] ? S_IFLNK | 0777
                               : S_IFREG | 0644,
                     link && link[0] ? link : NULL);
        vtree_add(t, (struct vnode *)cr.dir, n);
        chase_result_done(&vtree_chase_ops, t, &cr);
        return n;
}

/* Resolves path in t: returns the error, or 0 with "<dir path>|<base>" in *ret. */
static int resolve(struct vtree *t, const char *path, unsigned flags, char **ret)
{
        struct chase_result cr = {0};
        int r = vtree_chase(t, path, flags, &cr);

        if (r < 0)
                return r;
        *ret = xasprintf("%s|%s", cr.path, cr.base);
        chase_result_done(&vtree_chase_ops, t, &cr);
        return 0;
}

static void expect(struct vtree *t, const char *path, unsigned flags, int want_r, const char *want)
{
        _cleanup_free_ char *got = NULL;
        int r = resolve(t, path, flags, &got);

        printf("# %s -> %d %s\n", path, r, got ?: "");
        ASSERT_EQ(r, want_r);
        if (want)
                ASSERT_STREQ(got, want);
}

TEST(chase_in_memory)
{
        struct vnode root = {.mode = S_IFDIR | 0755};
        struct vtree t;

        vtree_init(&t, &root, new_dir, free_node);
        add(&t, "real", NULL);
        add(&t, "real/inner", NULL);
        add(&t, "file", "");
        add(&t, "a", "b");
        add(&t, "b", "/c");
        add(&t, "c", "real");
        add(&t, "up", "../../../../real/inner/..");
        add(&t, "real/self", "../real");
        add(&t, "l1", "l2");
        add(&t, "l2", "/l1");
        add(&t, "dangling", "/missing/x");
        add(&t, "tofile", "file");
        add(&t, "var", NULL);
        add(&t, "var/run", "/real");

        expect(&t, "x", 0, 0, "|x");
        expect(&t, "", 0, 0, "|");
        expect(&t, "real/inner/x", 0, 0, "real/inner|x");
        expect(&t, "a/x", 0, 0, "real|x");  /* a -> b -> /c -> real */
        expect(&t, "up/x", 0, 0, "real|x"); /* ".." stops at the root */
        expect(&t, "real/self/self/self/inner/x", 0, 0, "real/inner|x");
        expect(&t, "var/run/inner/x", 0, 0, "real/inner|x");
        expect(&t, "a", 0, 0, "|a"); /* the last one is not followed */
        expect(&t, "a", CHASE_FOLLOW, 0, "|real");
        expect(&t, "up", CHASE_FOLLOW, 0, "|real");
        expect(&t, "l1/x", 0, -ELOOP, NULL);
        expect(&t, "dangling/x", 0, -ENOENT, NULL);
        expect(&t, "dangling/x", CHASE_MKDIR, -ENOENT, NULL); /* link targets are not made */
        expect(&t, "tofile/x", 0, -ENOTDIR, NULL);
        expect(&t, "file/x", 0, -ENOTDIR, NULL);
        expect(&t, "a/x", CHASE_NOLINKS, -ELOOP, NULL);
        expect(&t, "new/dirs/x", 0, -ENOENT, NULL);
        expect(&t, "new/dirs/x", CHASE_MKDIR, 0, "new/dirs|x"); /* the path's own are */
        ASSERT_NOT_NULL(vtree_child(&t, vtree_child(&t, &root, "new"), "dirs"));
        expect(&t, "a/made/x", CHASE_MKDIR, 0, "real/made|x");
        ASSERT_NOT_NULL(vtree_child(&t, vtree_child(&t, &root, "real"), "made"));
        vtree_done(&t);
}

TEST(chase_keeps_the_limits_after_links)
{
        struct vnode root = {.mode = S_IFDIR | 0755};
        _cleanup_free_ char *deep = repeat("d", 1000, "/");
        _cleanup_free_ char *target = xasprintf("/%s", deep);
        _cleanup_free_ char *ok = repeat("e", 24, "/"), *bad = repeat("e", 25, "/");
        _cleanup_free_ char *made = xasprintf("%s/x", deep);
        _cleanup_free_ char *p_ok = xasprintf("s/%s", ok), *p_bad = xasprintf("s/%s", bad);
        struct vtree t;

        vtree_init(&t, &root, new_dir, free_node);
        {
                struct chase_result cr = {0};
                ASSERT_OK(vtree_chase(&t, made, CHASE_MKDIR, &cr));
                chase_result_done(&vtree_chase_ops, &t, &cr);
        }
        add(&t, "s", target);
        /* 1000 + 23 directories and a last component: 1024 */
        expect(&t, p_ok, CHASE_MKDIR, 0, NULL);
        expect(&t, p_bad, CHASE_MKDIR, -ENAMETOOLONG, NULL);
        vtree_done(&t);
}

TEST(vtree_remove_and_sort)
{
        struct vnode root = {.mode = S_IFDIR | 0755};
        struct vtree t;
        struct vnode **sorted;

        vtree_init(&t, &root, new_dir, free_node);
        add(&t, "c", NULL);
        add(&t, "a", NULL);
        add(&t, "b", "");
        add(&t, "a/x", NULL);
        add(&t, "a/x/y", "");
        sorted = vtree_sorted_children(&root);
        ASSERT_STREQ(sorted[0]->name, "a");
        ASSERT_STREQ(sorted[1]->name, "b");
        ASSERT_STREQ(sorted[2]->name, "c");
        free(sorted);
        vtree_remove(&t, vtree_child(&t, &root, "a"));
        ASSERT_NULL(vtree_child(&t, &root, "a"));
        ASSERT_EQ(root.n_children, 2);
        expect(&t, "a/x/y", 0, -ENOENT, NULL);
        add(&t, "a", ""); /* the name again, now a file */
        expect(&t, "a/x", 0, -ENOTDIR, NULL);
        vtree_done(&t);
}

/* ---- on disk ---- */

static char tmp_path[] = "/tmp/test-paths-XXXXXX";
static int tmp_fd = -EBADF;

__attribute__((destructor)) static void tmp_cleanup(void)
{
        if (tmp_fd >= 0)
                (void)rm_rf_at(AT_FDCWD, tmp_path);
}

static int fresh_dir(const char *name)
{
        int fd;

        if (tmp_fd < 0) {
                ASSERT_NOT_NULL(mkdtemp(tmp_path));
                tmp_fd = open(tmp_path, O_DIRECTORY | O_CLOEXEC);
                ASSERT_TRUE(tmp_fd >= 0);
        }
        ASSERT_SYS(mkdirat(tmp_fd, name, 0755));
        fd = openat(tmp_fd, name, O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        return fd;
}

TEST(chase_on_disk_stays_inside)
{
        _cleanup_close_ int root = fresh_dir("chase"), fd = -EBADF;
        struct chase_result cr = {0};
        struct stat a, b;

        ASSERT_SYS(mkdirat(root, "real", 0755));
        ASSERT_SYS(symlinkat("../../../../..", root, "up"));
        ASSERT_SYS(symlinkat("/real", root, "abs"));
        ASSERT_SYS(symlinkat("loop", root, "loop"));
        ASSERT_OK(chase_at(root, "up/up/x", 0, &cr));
        ASSERT_STREQ(cr.path, "");
        ASSERT_STREQ(cr.base, "x");
        ASSERT_SYS(fstat((int)cr.dir, &a));
        ASSERT_SYS(fstat(root, &b));
        ASSERT_TRUE(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
        chase_at_done(&cr);
        ASSERT_OK(chase_at(root, "abs/made/x", CHASE_MKDIR, &cr));
        ASSERT_STREQ(cr.path, "real/made");
        chase_at_done(&cr);
        ASSERT_SYS(fstatat(root, "real/made", &a, AT_SYMLINK_NOFOLLOW));
        ASSERT_TRUE(S_ISDIR(a.st_mode));
        ASSERT_EQ(chase_at(root, "loop/x", 0, &cr), -ELOOP);
        ASSERT_EQ(chase_at(root, "abs/x", CHASE_NOLINKS, &cr), -ELOOP);
        fd = chase_open_at(root, "up/real", 0, O_RDONLY | O_DIRECTORY);
        ASSERT_TRUE(fd >= 0);
}

/* root_mkdirs(leaf_file): a missing leaf is made a regular file; one there is never opened
 * (a FIFO would block that open: the test would hang), whatever it is but a directory. */
TEST(mkdirs_never_opens_the_leaf)
{
        _cleanup_close_ int root = fresh_dir("mkdirs"), fd = -EBADF;
        struct stat st;

        fd = root_mkdirs(root, "/etc/sub/hostname", 0755, true);
        ASSERT_TRUE(fd >= 0);
        ASSERT_SYS(fstatat(root, "etc/sub/hostname", &st, AT_SYMLINK_NOFOLLOW));
        ASSERT_TRUE(S_ISREG(st.st_mode) && st.st_size == 0);
        fd = safe_close(fd);
        ASSERT_SYS(mkfifoat(root, "etc/fifo", 0644));
        fd = root_mkdirs(root, "etc/fifo", 0755, true);
        ASSERT_TRUE(fd >= 0);
        ASSERT_SYS(fstat(fd, &st));
        ASSERT_TRUE(S_ISFIFO(st.st_mode));
        fd = safe_close(fd);
        ASSERT_EQ(root_mkdirs(root, "etc/sub", 0755, true), -EISDIR);
        ASSERT_EQ(root_mkdirs(root, "etc/fifo/x", 0755, false), -ENOTDIR);
}

/* Makes dfd/d/d/.../d (depth levels) with a file at the bottom, one level at a time. */
static void make_chain(int dfd, size_t depth)
{
        int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);

        for (size_t i = 0; i < depth; i++) {
                int nfd;

                ASSERT_SYS(mkdirat(fd, "d", 0750));
                nfd = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                ASSERT_TRUE(nfd >= 0);
                close(fd);
                fd = nfd;
        }
        ASSERT_OK(write_file_new_at(fd, "f", "bottom", 6, 0640));
        close(fd);
}

static size_t chain_depth(int dfd)
{
        int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
        size_t n = 0;

        for (;;) {
                int nfd = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

                if (nfd < 0)
                        break;
                close(fd);
                fd = nfd;
                n++;
        }
        ASSERT_SYS(faccessat(fd, "f", F_OK, AT_SYMLINK_NOFOLLOW));
        close(fd);
        return n;
}

TEST(walks_are_iterative_and_bounded)
{
        const size_t depth = 5000; /* paths of 10 KB; the old recursive walks held a
                                    * descriptor per level */
        _cleanup_close_ int src = fresh_dir("deep-src");
        struct rlimit old, low;
        off_t size = 0;

        make_chain(src, depth);
        ASSERT_SYS(getrlimit(RLIMIT_NOFILE, &old));
        low = (struct rlimit){64, old.rlim_max};
        ASSERT_SYS(setrlimit(RLIMIT_NOFILE, &low)); /* a few descriptors must do */
        ASSERT_OK(dir_size_at(tmp_fd, "deep-src", &size));
        ASSERT_TRUE(size >= (off_t)depth);
        ASSERT_OK(copy_tree_at(tmp_fd, "deep-src", tmp_fd, "deep-copy"));
        ASSERT_SYS(setrlimit(RLIMIT_NOFILE, &old));
        {
                _cleanup_close_ int copy = openat(tmp_fd, "deep-copy", O_RDONLY | O_DIRECTORY);
                ASSERT_EQ(chain_depth(copy), depth);
        }
        ASSERT_SYS(setrlimit(RLIMIT_NOFILE, &low));
        ASSERT_OK(rm_rf_at(tmp_fd, "deep-src"));
        ASSERT_OK(rm_rf_at(tmp_fd, "deep-copy"));
        ASSERT_SYS(setrlimit(RLIMIT_NOFILE, &old));
        ASSERT_EQ(faccessat(tmp_fd, "deep-src", F_OK, AT_SYMLINK_NOFOLLOW), -1);
        ASSERT_EQ(faccessat(tmp_fd, "deep-copy", F_OK, AT_SYMLINK_NOFOLLOW), -1);
}

static int record_item(const struct tree_walk_item *it, void *userdata)
{
        static const char *const ev[] = {"E", "D", "P"};

        strbuf_printf(userdata, "%s:%s ", ev[it->event], it->path);
        return 0;
}

TEST(walk_order_is_sorted_pre_and_post)
{
        _cleanup_close_ int root = fresh_dir("order");
        struct strbuf sb = STRBUF_INIT;

        ASSERT_SYS(mkdirat(root, "b", 0755));
        ASSERT_SYS(mkdirat(root, "a", 0755));
        ASSERT_OK(write_file_new_at(root, "b/z", "", 0, 0644));
        ASSERT_OK(write_file_new_at(root, "b/y", "", 0, 0644));
        ASSERT_SYS(symlinkat("/", root, "c"));
        ASSERT_OK(tree_walk_at(tmp_fd, "order", 0, record_item, &sb));
        ASSERT_STREQ(strbuf_str(&sb), "D: D:a P:a D:b E:b/y E:b/z P:b E:c P: ");
        strbuf_release(&sb);
}

TEST(copy_keeps_holes_modes_and_image_xattrs)
{
        _cleanup_close_ int src = fresh_dir("sparse-src"), fd = -EBADF, out = -EBADF;
        const off_t size = (off_t)1 << 34; /* 16 GiB apparent */
        struct stat st;
        char buf[8];

        if (geteuid() != 0)
                TEST_SKIP("needs root");
        fd = openat(src, "f", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 04755);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(pwrite(fd, "data", 4, size / 2), 4);
        ASSERT_SYS(ftruncate(fd, size));
        ASSERT_SYS(fchmod(fd, 04755));
        ASSERT_SYS(fsetxattr(fd, "user.kept", "1", 1, 0));
        ASSERT_SYS(fsetxattr(fd, "trusted.dropped", "1", 1, 0));
        ASSERT_OK(copy_tree_at(tmp_fd, "sparse-src", tmp_fd, "sparse-copy"));
        out = openat(tmp_fd, "sparse-copy/f", O_RDONLY | O_CLOEXEC);
        ASSERT_TRUE(out >= 0);
        ASSERT_SYS(fstat(out, &st));
        ASSERT_EQ(st.st_size, size);
        ASSERT_TRUE(st.st_blocks < 1024);
        ASSERT_EQ(st.st_mode & 07777, 04755);
        ASSERT_EQ(pread(out, buf, 4, size / 2), 4);
        ASSERT_TRUE(memcmp(buf, "data", 4) == 0);
        ASSERT_EQ(fgetxattr(out, "user.kept", buf, sizeof(buf)), 1);
        ASSERT_EQ(fgetxattr(out, "trusted.dropped", buf, sizeof(buf)), -1);
}

TAP_MAIN
