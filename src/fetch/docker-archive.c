/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker-archive:PATH[:REF] — a `docker save` tarball to a docker_image. The archive is
 * streamed twice with libarchive: first for manifest.json and the links between members
 * (docker stores a layer used twice once, and links to it), then for the chosen image's
 * config and layers. Layers go to numbered files of rkt's temporary directory, never to a
 * path taken from the archive, so hostile member names cannot write anywhere; names are
 * only compared with the (normalised) names manifest.json gives. Every layer must hash, as
 * stored or decompressed, to its rootfs.diff_ids entry; a config named after its digest
 * (docker's "<hex>.json", OCI's "blobs/sha256/<hex>") must match it.
 */
#include "docker-archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive-util.h"
#include "crypto-util.h"
#include "docker-manifest.h"
#include "docker-ref.h"
#include "docker-squash.h"
#include "format-util.h"
#include "fs-util.h"
#include "log.h"
#include "path-util.h"
#include "strv.h"

#define MAX_LINK_HOPS 8 /* links followed from a manifest.json name */
#define COPY_BUF      (1 << 20)

struct docker_archive {
        const char *path; /* of the archive */
        int fd;           /* the archive, a regular file */
        char *index;      /* manifest.json */
        size_t index_len;
        char **links;     /* link members: name, resolved target, name, target, ... */
        json_t *manifest; /* manifest.json, parsed */
        json_t *entry;    /* the chosen image of manifest (borrowed) */
        char *repo_tag;   /* its RepoTag, NULL when it has none */
        char *config_name;
        char **members;       /* distinct layer members (resolved names) */
        size_t *layer_member; /* per layer, base first: its index in members */
        size_t n_layers;
        char **member_hash; /* sha256 hex of each member as stored */
        char *config;
        size_t config_len;
};

typedef int (*member_fn)(struct docker_archive *da, struct archive *a, struct archive_entry *e,
                         const char *name, int tmp_fd, struct rk_error **reterr);

static void archive_done(struct docker_archive *da)
{
        safe_close(da->fd);
        free(da->index);
        strv_free(da->links);
        json_decref(da->manifest);
        free(da->repo_tag);
        free(da->config_name);
        for (size_t i = 0; da->member_hash && da->members && da->members[i]; i++)
                free(da->member_hash[i]);
        free(da->member_hash);
        strv_free(da->members);
        free(da->layer_member);
        free(da->config);
}

/* The canonical form of a member name or a name manifest.json gives (path_name_normalise():
 * "." and empty components dropped); NULL when it is empty, absolute or has "..". */
static char *member_normalise(const char *name)
{
        char *out = NULL;

        if (path_name_normalise(name, 0, &out) < 0 || !*out) {
                free(out);
                return NULL;
        }
        return out;
}

static struct archive *archive_reader(int fd)
{
        struct archive *a = oom_check(archive_read_new());

        archive_read_support_format_tar(a);
        if (squash_support_filters(a) < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
            archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
                archive_read_free(a);
                return NULL;
        }
        return a;
}

static bool next_header(struct archive *a, struct archive_entry **e, int *r)
{
        *r = archive_read_next_header(a, e);
        return *r == ARCHIVE_OK || *r == ARCHIVE_WARN;
}

/* Reads the data of the current member (at most max bytes) into a NUL-terminated buffer. */
static int member_read(struct archive *a, struct archive_entry *e, size_t max, char **ret,
                       size_t *ret_len)
{
        la_int64_t size = archive_entry_size(e);
        _cleanup_free_ char *buf = NULL;
        size_t got = 0;

        if (size < 0 || (uint64_t)size > max)
                return -EFBIG;
        buf = oom_check(malloc((size_t)size + 1));
        while (got < (size_t)size) {
                la_ssize_t n = archive_read_data(a, buf + got, (size_t)size - got);

                if (n <= 0)
                        return n < 0 ? -EIO : -ENODATA;
                got += (size_t)n;
        }
        buf[got] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = got;
        return 0;
}

/* Records a symbolic or hard link member, with its target resolved inside the archive. */
static void record_link(struct docker_archive *da, const char *name, struct archive_entry *e)
{
        const char *hard = archive_entry_hardlink(e), *slash = strrchr(name, '/');
        _cleanup_free_ char *dir = slash ? strndup(name, (size_t)(slash - name)) : NULL;
        char *target;

        if (hard)
                target = member_normalise(hard);
        else /* relative to the link's directory, ".." applied, never above the archive */
                target = path_join_lexical(dir ?: "", archive_entry_symlink(e) ?: "");
        if (target && !*target) {
                free(target);
                target = NULL;
        }
        if (!target)
                return;
        strv_push(&da->links, name);
        strv_consume(&da->links, target);
}

/* Calls fn for each member of the archive with a safe name, in archive order. */
static int archive_walk(struct docker_archive *da, member_fn fn, int tmp_fd,
                        struct rk_error **reterr)
{
        _cleanup_(archive_read_freep) struct archive *a = archive_reader(da->fd);
        struct archive_entry *e;
        int r;

        if (!a)
                return rk_error_set(reterr, EINVAL, "%s: not a tar archive", da->path);
        while (next_header(a, &e, &r)) {
                _cleanup_free_ char *name = member_normalise(archive_entry_pathname(e) ?: "");

                if (!name)
                        continue; /* never named by manifest.json: nothing to read */
                r = fn(da, a, e, name, tmp_fd, reterr);
                if (r < 0)
                        return r;
        }
        if (r == ARCHIVE_EOF)
                return 0;
        return rk_error_set(reterr, EINVAL, "%s: %s", da->path,
                            archive_error_string(a) ?: "broken tar archive");
}

/* First pass: manifest.json and the links. */
static int scan_member(struct docker_archive *da, struct archive *a, struct archive_entry *e,
                       const char *name, int tmp_fd, struct rk_error **reterr)
{
        int r;

        if (archive_entry_hardlink(e) || archive_entry_filetype(e) == AE_IFLNK) {
                record_link(da, name, e);
                return 0;
        }
        if (archive_entry_filetype(e) != AE_IFREG || strcmp(name, "manifest.json") != 0)
                return 0;
        if (da->index)
                return rk_error_set(reterr, EINVAL, "%s: two manifest.json members", da->path);
        r = member_read(a, e, DOCKER_MANIFEST_MAX, &da->index, &da->index_len);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "%s: cannot read manifest.json", da->path);
        return 0;
}

static int archive_scan(struct docker_archive *da, struct rk_error **reterr)
{
        int r = archive_walk(da, scan_member, -EBADF, reterr);

        if (r >= 0 && !da->index)
                r = rk_error_set(reterr, EINVAL, "%s: no manifest.json: not a docker save archive",
                                 da->path);
        return r;
}

/* Whether the RepoTag tag names the same image as want (both normalised as docker:// is). */
static bool tag_matches(const char *tag, const struct docker_ref *want)
{
        struct docker_ref got = {0};
        struct rk_error *err = NULL;
        bool eq;

        if (docker_ref_parse(tag, &got, &err) < 0) {
                rk_error_free(err);
                return false;
        }
        eq = strcmp(got.registry, want->registry) == 0 &&
             strcmp(got.repository, want->repository) == 0 && got.tag && want->tag &&
             strcmp(got.tag, want->tag) == 0;
        docker_ref_done(&got);
        return eq;
}

/* "a:1, b:2, @2" — every image of the archive, for errors. */
static char *archive_tags(const struct docker_archive *da)
{
        _cleanup_strv_free_ char **l = NULL;
        json_t *img, *t;
        size_t i, j;

        json_array_foreach(da->manifest, i, img) {
                size_t n = strv_length(l);

                json_array_foreach(json_object_get(img, "RepoTags"), j, t)
                        if (json_is_string(t))
                                strv_push(&l, json_string_value(t));
                if (strv_length(l) == n)
                        strv_consume(&l, xasprintf("@%zu", i));
        }
        return l ? strv_join(l, ", ") : xstrdup("none");
}

static const char *first_tag(const json_t *entry)
{
        return json_string_value(json_array_get(json_object_get(entry, "RepoTags"), 0));
}

static int pick_by_index(struct docker_archive *da, const char *ref, struct rk_error **reterr)
{
        char *end;
        unsigned long n;

        errno = 0;
        n = strtoul(ref + 1, &end, 10);
        if (errno || end == ref + 1 || *end || n >= json_array_size(da->manifest))
                return rk_error_set(reterr, ENOENT, "%s: no image %s (%zu in the archive)",
                                    da->path, ref, json_array_size(da->manifest));
        da->entry = json_array_get(da->manifest, n);
        if (first_tag(da->entry))
                da->repo_tag = xstrdup(first_tag(da->entry));
        return 0;
}

static int pick_by_tag(struct docker_archive *da, const char *ref, struct rk_error **reterr)
{
        _cleanup_free_ char *tags = NULL;
        struct docker_ref want = {0};
        json_t *img, *t;
        size_t i, j;
        int r = docker_ref_parse(ref, &want, reterr);

        if (r < 0)
                return r;
        json_array_foreach(da->manifest, i, img) {
                json_array_foreach(json_object_get(img, "RepoTags"), j, t) {
                        if (!json_is_string(t) || !tag_matches(json_string_value(t), &want))
                                continue;
                        if (da->entry && da->entry != img)
                                continue; /* the first image with this tag wins */
                        da->entry = img;
                        free(da->repo_tag);
                        da->repo_tag = xstrdup(json_string_value(t));
                }
        }
        docker_ref_done(&want);
        if (da->entry)
                return 0;
        tags = archive_tags(da);
        return rk_error_set(reterr, ENOENT, "%s: no image \"%s\" in the archive (it has: %s)",
                            da->path, ref, tags);
}

/* What docker2aci read of manifest.json's entries (json-util.h's key matching). */
static const struct json_field_spec save_fields[] = {{"Config"}, {"RepoTags"}, {"Layers"}, {NULL}};

/* Chooses the manifest.json entry named by ref (NULL: the only one). */
static int archive_pick(struct docker_archive *da, const char *ref, struct rk_error **reterr)
{
        _cleanup_free_ char *tags = NULL, *why = NULL;

        da->manifest = json_load_fields(da->index, da->index_len, save_fields, &why);
        if (!da->manifest)
                return rk_error_set(reterr, EINVAL, "%s: invalid manifest.json: %s", da->path, why);
        if (!json_is_array(da->manifest) || json_array_size(da->manifest) == 0)
                return rk_error_set(reterr, EINVAL, "%s: manifest.json is not a list of images",
                                    da->path);
        if (ref && ref[0] == '@')
                return pick_by_index(da, ref, reterr);
        if (ref)
                return pick_by_tag(da, ref, reterr);
        if (json_array_size(da->manifest) == 1)
                return pick_by_index(da, "@0", reterr);
        tags = archive_tags(da);
        return rk_error_set(reterr, EINVAL,
                            "%s holds %zu images: choose one with docker-archive:%s:NAME:TAG or "
                            ":@N (it has: %s)",
                            da->path, json_array_size(da->manifest), da->path, tags);
}

/* name followed through the archive's links: a member name, or NULL when unsafe. */
static char *member_resolve(const struct docker_archive *da, const char *name)
{
        _cleanup_free_ char *cur = member_normalise(name);

        for (int hop = 0; cur && hop <= MAX_LINK_HOPS; hop++) {
                const char *next = NULL;

                for (size_t i = 0; da->links && da->links[i]; i += 2)
                        if (strcmp(da->links[i], cur) == 0)
                                next = da->links[i + 1];
                if (!next)
                        return TAKE_PTR(cur);
                free(cur);
                cur = xstrdup(next);
        }
        return NULL;
}

/* The members of the chosen image: its config and its distinct layers. */
static int archive_members(struct docker_archive *da, struct rk_error **reterr)
{
        const char *config = json_string_value(json_object_get(da->entry, "Config"));
        json_t *layers = json_object_get(da->entry, "Layers"), *l;
        size_t i;

        if (!config || !json_is_array(layers))
                return rk_error_set(reterr, EINVAL,
                                    "%s: an image of manifest.json has no Config or Layers",
                                    da->path);
        da->config_name = member_resolve(da, config);
        if (!da->config_name)
                return rk_error_set(reterr, EINVAL, "%s: unsafe member name \"%s\"", da->path,
                                    config);
        da->n_layers = json_array_size(layers);
        da->layer_member = xnew0(size_t, da->n_layers + 1);
        json_array_foreach(layers, i, l) {
                _cleanup_free_ char *m = member_resolve(da, json_string_value(l) ?: "");
                int k;

                if (!m)
                        return rk_error_set(reterr, EINVAL, "%s: unsafe layer name \"%s\"",
                                            da->path, json_string_value(l) ?: "");
                k = strv_index((const char *const *)da->members, m);
                if (k < 0) {
                        k = (int)strv_length(da->members);
                        strv_consume(&da->members, TAKE_PTR(m));
                }
                da->layer_member[i] = (size_t)k;
        }
        da->member_hash = xnew0(char *, strv_length(da->members) + 1);
        return 0;
}

static void md_hex(EVP_MD_CTX *md, char hex[static 65])
{
        unsigned char out[32];

        EVP_DigestFinal_ex(md, out, NULL);
        hex_encode(out, sizeof(out), hex);
}

/* Copies the current member to tmp_fd/layer-<k>, recording its sha256. */
static int member_save(struct docker_archive *da, struct archive *a, int tmp_fd, size_t k,
                       struct rk_error **reterr)
{
        _cleanup_free_ char *file = xasprintf("layer-%zu", k), *buf = oom_check(malloc(COPY_BUF));
        _cleanup_close_ int fd =
                openat(tmp_fd, file, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = oom_check(EVP_MD_CTX_new());
        char hex[65];
        la_ssize_t n;

        if (fd < 0)
                return rk_error_set_errno(reterr, errno, "cannot create %s", file);
        EVP_DigestInit_ex(md, EVP_sha256(), NULL);
        while ((n = archive_read_data(a, buf, COPY_BUF)) > 0) {
                int r = write_full(fd, buf, (size_t)n);

                if (r < 0)
                        return rk_error_set_errno(reterr, -r, "cannot write %s", file);
                EVP_DigestUpdate(md, buf, (size_t)n);
        }
        if (n < 0)
                return rk_error_set(reterr, EIO, "%s: layer %s: %s", da->path, da->members[k],
                                    archive_error_string(a) ?: "read error");
        md_hex(md, hex);
        da->member_hash[k] = xstrdup(hex);
        return 0;
}

/* Second pass: the config into memory, the layers into tmp_fd. */
static int extract_member(struct docker_archive *da, struct archive *a, struct archive_entry *e,
                          const char *name, int tmp_fd, struct rk_error **reterr)
{
        int k, r;

        if (archive_entry_hardlink(e) || archive_entry_filetype(e) != AE_IFREG)
                return 0;
        if (!da->config && strcmp(name, da->config_name) == 0) {
                r = member_read(a, e, DOCKER_CONFIG_MAX, &da->config, &da->config_len);
                if (r < 0)
                        return rk_error_set_errno(reterr, -r, "%s: cannot read %s", da->path, name);
                return 0;
        }
        k = strv_index((const char *const *)da->members, name);
        if (k >= 0 && !da->member_hash[k])
                return member_save(da, a, tmp_fd, (size_t)k, reterr);
        return 0;
}

static int archive_extract(struct docker_archive *da, int tmp_fd, struct rk_error **reterr)
{
        int r = archive_walk(da, extract_member, tmp_fd, reterr);

        if (r >= 0 && !da->config)
                return rk_error_set(reterr, ENOENT, "%s: the image configuration %s is missing",
                                    da->path, da->config_name);
        for (size_t k = 0; r >= 0 && da->members && da->members[k]; k++)
                if (!da->member_hash[k])
                        return rk_error_set(reterr, ENOENT, "%s: layer %s is missing", da->path,
                                            da->members[k]);
        return r;
}

/* sha256 of the decompressed content of a compressed layer file; -EINVAL when plain. */
static int layer_uncompressed_hash(int tmp_fd, size_t k, char hex[static 65])
{
        _cleanup_free_ char *file = xasprintf("layer-%zu", k), *buf = oom_check(malloc(COPY_BUF));
        _cleanup_close_ int fd = openat(tmp_fd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        _cleanup_(archive_read_freep) struct archive *a = oom_check(archive_read_new());
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = oom_check(EVP_MD_CTX_new());
        struct archive_entry *e;
        la_ssize_t n;

        archive_read_support_format_raw(a);
        if (fd < 0 || squash_support_filters(a) < 0 ||
            archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK ||
            archive_read_next_header(a, &e) != ARCHIVE_OK || archive_filter_count(a) < 2)
                return -EINVAL;
        EVP_DigestInit_ex(md, EVP_sha256(), NULL);
        while ((n = archive_read_data(a, buf, COPY_BUF)) > 0)
                EVP_DigestUpdate(md, buf, (size_t)n);
        if (n < 0)
                return -EIO;
        md_hex(md, hex);
        return 0;
}

/* Every layer against rootfs.diff_ids, the config against the digest in its name. */
static int archive_verify(struct docker_archive *da, const json_t *config, int tmp_fd,
                          struct rk_error **reterr)
{
        const json_t *ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
        const char *base = strrchr(da->config_name, '/');
        _cleanup_free_ char *digest = docker_sha256(da->config, da->config_len);

        base = base ? base + 1 : da->config_name;
        if (strspn(base, "0123456789abcdef") == 64 && (!base[64] || !strcmp(base + 64, ".json")) &&
            strncmp(base, digest + 7, 64) != 0)
                return rk_error_set(reterr, EBADMSG,
                                    "%s: the image configuration %s does not "
                                    "match its digest",
                                    da->path, da->config_name);
        if (json_array_size(ids) != da->n_layers)
                return rk_error_set(reterr, EINVAL,
                                    "%s: the image has %zu layers but its configuration lists "
                                    "%zu diff_ids",
                                    da->path, da->n_layers, json_array_size(ids));
        for (size_t i = 0; i < da->n_layers; i++) {
                const char *want = json_string_value(json_array_get(ids, i));
                size_t k = da->layer_member[i];
                char hex[65];

                if (!docker_digest_is_valid(want))
                        return rk_error_set(reterr, EINVAL,
                                            "%s: invalid diff_id in the image "
                                            "configuration",
                                            da->path);
                if (strcmp(da->member_hash[k], want + 7) == 0)
                        continue;
                if (layer_uncompressed_hash(tmp_fd, k, hex) < 0 || strcmp(hex, want + 7) != 0)
                        return rk_error_set(reterr, EBADMSG,
                                            "%s: layer %s does not match its diff_id %s", da->path,
                                            da->members[k], want);
        }
        return 0;
}

/* Name, version and annotations: from the RepoTag as docker:// would, else the file name. */
static void archive_describe(const struct docker_archive *da, const char *arg,
                             struct docker_image *img)
{
        struct docker_ref ref = {0};
        struct rk_error *err = NULL;
        const char *base = strrchr(da->path, '/');
        size_t len;

        img->original_name = xstrdup(arg);
        img->config_digest = docker_sha256(da->config, da->config_len);
        if (da->repo_tag && docker_ref_parse(da->repo_tag, &ref, &err) >= 0) {
                img->name = xasprintf("%s/%s", ref.registry, ref.repository);
                img->version = ref.tag ? xstrdup(ref.tag) : NULL;
                img->repository = TAKE_PTR(ref.repository);
                docker_ref_done(&ref);
                return;
        }
        rk_error_free(err);
        base = base && base[1] ? base + 1 : da->path;
        len = strlen(base);
        if (len > 4 && strcmp(base + len - 4, ".tar") == 0)
                len -= 4;
        img->name = oom_check(strndup(base, len));
        img->repository = xstrdup(img->name);
}

static int archive_open(struct docker_archive *da, struct rk_error **reterr)
{
        struct stat st;

        da->fd = open(da->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (da->fd < 0)
                return rk_error_set_errno(reterr, errno, "cannot open the archive %s", da->path);
        if (fstat(da->fd, &st) < 0)
                return rk_error_set_errno(reterr, errno, "cannot stat %s", da->path);
        if (!S_ISREG(st.st_mode))
                return rk_error_set(reterr, EINVAL, "%s: not a regular file", da->path);
        return 0;
}

static int archive_image(struct docker_archive *da, const char *ref, const char *tmp, int tmp_fd,
                         struct docker_image *img, struct rk_error **reterr)
{
        _cleanup_free_ char *why = NULL;
        int r;

        r = archive_open(da, reterr);
        if (r >= 0)
                r = archive_scan(da, reterr);
        if (r >= 0)
                r = archive_pick(da, ref, reterr);
        if (r >= 0)
                r = archive_members(da, reterr);
        if (r >= 0)
                r = archive_extract(da, tmp_fd, reterr);
        if (r < 0)
                return r;
        img->config = docker_config_parse(da->config, da->config_len, &why);
        if (!img->config)
                return rk_error_set(reterr, EINVAL, "%s: the image configuration: %s", da->path,
                                    why);
        r = archive_verify(da, img->config, tmp_fd, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < da->n_layers; i++)
                strv_consume(&img->layers, xasprintf("%s/layer-%zu", tmp, da->layer_member[i]));
        return 0;
}

int docker_archive_image(const char *arg, const char *tmp, int tmp_fd, struct docker_image *img,
                         struct rk_error **reterr)
{
        const char *p = arg + strlen("docker-archive:"), *colon = strchr(p, ':');
        _cleanup_free_ char *path = colon ? oom_check(strndup(p, (size_t)(colon - p))) : xstrdup(p);
        struct docker_archive da = {.path = path, .fd = -EBADF};
        const char *ref = colon && colon[1] ? colon + 1 : NULL;
        int r;

        log_with_prefix(LOG_LEVEL_DEBUG, "image: ", "using docker save archive %s", path);
        r = archive_image(&da, ref, tmp, tmp_fd, img, reterr);
        if (r >= 0)
                archive_describe(&da, arg, img);
        archive_done(&da);
        return r;
}
