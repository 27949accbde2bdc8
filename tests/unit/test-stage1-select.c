/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for choosing the stage1 (src/stage0/stage1-select.c, stage1_select()) against a
 * store in a temporary directory and small stage1 ACIs made here: the default stage1 is only
 * the image whose ID the build recorded (stage0_context.stage1_default_id), never an image
 * that merely carries its name; a stage1 named by --stage1-name, --stage1-hash or the
 * configuration counts only when root imported it. A blob owned by another uid stands for a
 * member of group rkt's import. Runs as root (skips otherwise).
 */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fs-util.h"
#include "image-fetch.h"
#include "stage0.h"
#include "tap.h"

#define STUB_NAME "localhost/rkt-unit-stub"
#define OTHER_UID 1000
#define STAGE1_MANIFEST                                                                       \
        "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"%s\",\"labels\":[" \
        "{\"name\":\"version\",\"value\":\"%s\"},{\"name\":\"os\",\"value\":\"linux\"},"      \
        "{\"name\":\"arch\",\"value\":\"amd64\"}],\"annotations\":["                          \
        "{\"name\":\"coreos.com/rkt/stage1/run\",\"value\":\"/run\"},"                        \
        "{\"name\":\"coreos.com/rkt/stage1/interface-version\",\"value\":\"6\"}]}"

static char tmp_path[] = "/tmp/test-stage1-select-XXXXXX";
static unsigned n_dirs;

__attribute__((destructor)) static void tmp_cleanup(void)
{
        if (n_dirs > 0)
                (void)rm_rf_at(AT_FDCWD, tmp_path);
}

/* A new directory below the test's temporary directory (malloc'd path). */
static char *fresh_dir(void)
{
        char *d;

        if (n_dirs++ == 0)
                ASSERT_NOT_NULL(mkdtemp(tmp_path));
        d = xasprintf("%s/%u", tmp_path, n_dirs);
        ASSERT_OK(mkdir(d, 0755) < 0 ? -errno : 0);
        return d;
}

static void skip_unless_root(void)
{
        if (geteuid() != 0)
                TEST_SKIP("needs root (stage1 trust is the blob's owner)");
}

static int write_entry(struct archive *a, const char *name, mode_t type, const char *data)
{
        struct archive_entry *e = archive_entry_new();
        size_t len = data ? strlen(data) : 0;
        int r;

        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : data && data[0] == '#' ? 0755 : 0644);
        archive_entry_set_mtime(e, 1500000000, 0);
        archive_entry_set_size(e, (la_int64_t)len);
        r = archive_write_header(a, e);
        if (r == ARCHIVE_OK && len > 0 && archive_write_data(a, data, len) != (la_ssize_t)len)
                r = ARCHIVE_FATAL;
        archive_entry_free(e);
        return r;
}

/* Writes a stage1 ACI named name:version to a new file; payload tells images apart. */
static char *stage1_aci(const char *name, const char *version, const char *payload)
{
        _cleanup_free_ char *dir = fresh_dir();
        _cleanup_free_ char *manifest = xasprintf(STAGE1_MANIFEST, name, version);
        _cleanup_free_ char *run = xasprintf("#!/bin/sh\n# %s\n", payload);
        char *path = xasprintf("%s/stage1.aci", dir);
        struct archive *a = archive_write_new();
        int r;

        archive_write_set_format_pax_restricted(a);
        archive_write_add_filter_none(a);
        r = archive_write_open_filename(a, path);
        if (r == ARCHIVE_OK)
                r = write_entry(a, "manifest", AE_IFREG, manifest);
        if (r == ARCHIVE_OK)
                r = write_entry(a, "rootfs", AE_IFDIR, NULL);
        if (r == ARCHIVE_OK)
                r = write_entry(a, "rootfs/run", AE_IFREG, run);
        if (archive_write_close(a) != ARCHIVE_OK)
                r = ARCHIVE_FATAL;
        archive_write_free(a);
        ASSERT_EQ(r, ARCHIVE_OK);
        return path;
}

/* A store in a new directory. */
static struct store *new_store(void)
{
        _cleanup_free_ char *dir = fresh_dir();
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        struct store *s = NULL;

        if (store_open(dir, &s, &e) < 0)
                TAP_FAIL("store_open: %s", e->frames[0]);
        return s;
}

static const struct stage0_context insecure_ctx = {.insecure = INSECURE_IMAGE};

/* Imports the ACI at path (as root); returns its key. */
static char *import(struct store *s, const char *path)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        char *key = NULL;

        if (image_fetch(s, &insecure_ctx, path, "new", 0, &key, &e) < 0)
                TAP_FAIL("import of %s: %s", path, e->frames[0]);
        return key;
}

/* Gives the blob of key to another user, as a member of group rkt's import would own it. */
static void give_blob_away(struct store *s, const char *key)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        _cleanup_close_ int fd = -EBADF;

        if (store_open_blob(s, key, &fd, &e) < 0)
                TAP_FAIL("store_open_blob: %s", e->frames[0]);
        ASSERT_OK(fchown(fd, OTHER_UID, OTHER_UID) < 0 ? -errno : 0);
}

/* stage1_select(); on failure *ret_msg (optional) is the rendered error. */
static int select_stage1(struct store *s, const struct stage0_context *ctx,
                         const struct stage1_flags *f, char **ret_key, char **ret_msg)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        int r;

        *ret_key = NULL;
        r = stage1_select(s, ctx, f, ret_key, &e);
        if (r < 0) {
                ASSERT_NOT_NULL(e);
                ASSERT_NULL(*ret_key);
                if (ret_msg)
                        *ret_msg = rk_error_render(e, false);
        }
        return r;
}

/* A new store holding a stage1 name:version that root imported; *ret_key is its key. */
static struct store *store_with_stage1(const char *name, const char *version, char **ret_key)
{
        struct store *s = new_store();
        _cleanup_free_ char *path = stage1_aci(name, version, "stored");

        *ret_key = import(s, path);
        return s;
}

/* The key the default stage1 image has (imported into a store of its own). */
static char *default_stage1_key(const char *path)
{
        _cleanup_(store_freep) struct store *s = new_store();

        return import(s, path);
}

TEST(default_stage1_is_taken_from_the_store_with_its_id)
{
        _cleanup_(store_freep) struct store *s = NULL;
        _cleanup_free_ char *id = NULL, *key = NULL;
        struct stage0_context ctx = insecure_ctx;
        struct stage1_flags none = {};

        skip_unless_root();
        s = store_with_stage1(STAGE1_DEFAULT_NAME, RKT_VERSION, &id);
        ctx.stage1_default_id = id;
        ASSERT_OK(select_stage1(s, &ctx, &none, &key, NULL));
        ASSERT_STREQ(key, id);
}

TEST(default_stage1_look_alike_is_refused)
{
        _cleanup_(store_freep) struct store *s = NULL;
        _cleanup_free_ char *real = NULL, *fake = NULL, *id = NULL, *fake_key = NULL;
        _cleanup_free_ char *key = NULL, *msg = NULL;
        struct stage0_context ctx = insecure_ctx;
        struct stage1_flags none = {};

        skip_unless_root();
        real = stage1_aci(STAGE1_DEFAULT_NAME, RKT_VERSION, "the real one");
        fake = stage1_aci(STAGE1_DEFAULT_NAME, RKT_VERSION, "a look-alike");
        id = default_stage1_key(real);
        s = new_store();
        fake_key = import(s, fake);
        ASSERT_TRUE(strcmp(fake_key, id) != 0);
        ctx.stage1_default_id = id;
        /* Not in the store: the default locations are tried, and hold no image of this ID. */
        ASSERT_FAIL(select_stage1(s, &ctx, &none, &key, &msg));
        ASSERT_CONTAINS(msg, "stage1");
}

TEST(default_stage1_imported_by_another_user_is_refused)
{
        _cleanup_(store_freep) struct store *s = NULL;
        _cleanup_free_ char *id = NULL, *key = NULL, *msg = NULL;
        struct stage0_context ctx = insecure_ctx;
        struct stage1_flags none = {};

        skip_unless_root();
        s = store_with_stage1(STAGE1_DEFAULT_NAME, RKT_VERSION, &id);
        give_blob_away(s, id);
        ctx.stage1_default_id = id;
        ASSERT_FAIL(select_stage1(s, &ctx, &none, &key, &msg));
}

TEST(stage1_name_and_hash_need_roots_import)
{
        _cleanup_(store_freep) struct store *s = NULL;
        _cleanup_free_ char *id = NULL, *k1 = NULL, *k2 = NULL;
        _cleanup_free_ char *k3 = NULL, *k4 = NULL, *m1 = NULL, *m2 = NULL, *want = NULL;
        struct stage1_flags by_name = {.name = (char *)STUB_NAME ":0.0.1"};
        struct stage1_flags by_hash = {};

        skip_unless_root();
        s = store_with_stage1(STUB_NAME, "0.0.1", &id);
        by_hash.hash = id;
        ASSERT_OK(select_stage1(s, &insecure_ctx, &by_name, &k1, NULL));
        ASSERT_STREQ(k1, id);
        ASSERT_OK(select_stage1(s, &insecure_ctx, &by_hash, &k2, NULL));
        ASSERT_STREQ(k2, id);

        give_blob_away(s, id);
        want = xasprintf("stage1 image %s was not imported by root (but by uid %d)", id, OTHER_UID);
        ASSERT_FAIL(select_stage1(s, &insecure_ctx, &by_name, &k3, &m1));
        ASSERT_CONTAINS(m1, want);
        ASSERT_FAIL(select_stage1(s, &insecure_ctx, &by_hash, &k4, &m2));
        ASSERT_CONTAINS(m2, want);
}

TEST(configured_stage1_in_the_store_needs_roots_import)
{
        _cleanup_(store_freep) struct store *s = NULL;
        _cleanup_free_ char *id = NULL, *k1 = NULL, *k2 = NULL, *msg = NULL;
        _cleanup_free_ char *missing = NULL;
        struct config conf = {.stage1_name = (char *)STUB_NAME, .stage1_version = (char *)"0.0.1"};
        struct stage0_context ctx = insecure_ctx;
        struct stage1_flags none = {};

        skip_unless_root();
        s = store_with_stage1(STUB_NAME, "0.0.1", &id);
        missing = xasprintf("%s/nowhere/stage1.aci", tmp_path);
        conf.stage1_location = missing; /* never found: only the store can answer */
        ctx.config = &conf;
        ASSERT_OK(select_stage1(s, &ctx, &none, &k1, NULL));
        ASSERT_STREQ(k1, id);
        give_blob_away(s, id);
        ASSERT_FAIL(select_stage1(s, &ctx, &none, &k2, &msg));
}

TAP_MAIN
