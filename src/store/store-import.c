/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Importing an ACI. Two passes run at the same time: a thread decompresses the input into
 * an anonymous O_TMPFILE blob while hashing it (so a killed import leaves no file behind),
 * and the calling thread walks the tar as it lands in the blob, validating every entry and
 * (as root) extracting the rootfs for the tree store. Then the image becomes visible: the
 * blob is linked, the manifest written, the index row committed, the tree installed.
 *
 * The input may also be a pipe a producer thread writes (store_import_produced(): the
 * Docker conversion), or a file a download is still writing (store_import_aci_growing():
 * read behind it, complete before the gate). An uncompressed download of our own becomes
 * the blob itself (IMPORT_ADOPT) instead of being copied.
 *
 * Runs in: stage0. The extra threads only read the input and write the blob or the pipe;
 * this process never clones or unshares namespaces (STYLE.md §3.5).
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aci.h"
#include "fs-util.h"
#include "image-manifest.h"
#include "log.h"
#include "store-private.h"
#include "store-tree.h"
#include "userns.h"

#define FOLLOW_BLOCK (1 << 20)
#define TRAILING_MAX (1 << 20) /* bytes tolerated after the end of the tar */

struct import {
        struct store *s;
        unsigned flags;
        import_gate_fn gate;
        void *gate_data;
        int src_fd;
        const struct import_growing *growing; /* src_fd is still being written */
        uint64_t src_off;                     /* growing: read so far */
        char *src_buf;
        enum aci_compression compression;
        int blob_fd;
        bool adopted; /* blob_fd is src_fd's file (IMPORT_ADOPT): nothing is copied */
        char *key;
        uint64_t size;
        bool existed;
        struct image_manifest *manifest;
        char *tmp; /* render directory, NULL when not rendering */
        int tmp_fd;
        struct render_state rs;
        struct render_list deps;
        struct timespec last_progress;
        bool progress_done; /* the 100% line was printed */

        /* Between the decompressing thread (writer) and the walk (reader). */
        pthread_mutex_t lock;
        pthread_cond_t cond;
        uint64_t written;
        bool writer_done;
        bool cancel;
        bool walk_done; /* the walk reached the end of the tar, at walk_end */
        uint64_t walk_end;
        bool trailing_data; /* the writer was stopped: too much data after the tar */
        int writer_r;
        struct rk_error *writer_err;
        uint64_t read_off;
        char *buf;
};

static void import_done(struct import *im)
{
        safe_close(im->blob_fd);
        safe_close(im->tmp_fd);
        if (im->tmp)
                (void)rm_rf_at(AT_FDCWD, im->tmp);
        free(im->tmp);
        free(im->key);
        free(im->buf);
        free(im->src_buf);
        rk_error_free(im->writer_err);
        render_state_done(&im->rs);
        if (im->deps.n > 0)
                render_list_done(&im->deps); /* owns the manifest */
        else
                image_manifest_free(im->manifest);
        pthread_mutex_destroy(&im->lock);
        pthread_cond_destroy(&im->cond);
}

static void import_show_progress(struct import *im, uint64_t done, uint64_t total)
{
        struct timespec now;
        int width = 40, filled;

        if (im->progress_done)
                return;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (done < total &&
            now.tv_sec * 10 + now.tv_nsec / 100000000 ==
                    im->last_progress.tv_sec * 10 + im->last_progress.tv_nsec / 100000000)
                return;
        im->last_progress = now;
        filled = total ? (int)((double)done / (double)total * width) : 0;
        fprintf(stderr, "\rImporting ACI: [%.*s%*s] %.1f MB/%.1f MB", filled,
                "========================================", width - filled, "", (double)done / 1e6,
                (double)total / 1e6);
        if (done >= total) {
                fputc('\n', stderr);
                im->progress_done = true;
        }
}

/* Runs in the writer thread after each block: publishes progress, honours cancellation. */
static int import_on_block(uint64_t in_done, uint64_t in_total, uint64_t out_done, void *userdata)
{
        struct import *im = userdata;
        bool cancel;

        if (im->flags & IMPORT_PROGRESS)
                import_show_progress(im, in_done, in_total);
        pthread_mutex_lock(&im->lock);
        im->written = out_done;
        cancel = im->cancel;
        /* Past the tar's end only padding is normal: stop a bomb appended there. */
        if (im->walk_done && out_done > im->walk_end + TRAILING_MAX)
                im->trailing_data = cancel = true;
        pthread_cond_broadcast(&im->cond);
        pthread_mutex_unlock(&im->lock);
        return cancel ? -ECANCELED : 0;
}

/* aci_read_fn of a growing input: what its writer has written, waiting for more. */
static ssize_t import_grow_read(void *userdata, const void **buf)
{
        struct import *im = userdata;
        /* a whole block, as from a file: what the writer makes of the input (its data, or
         * that it is corrupt) then does not depend on how the transfer cut it */
        int64_t size = im->growing->wait(im->growing->userdata, im->src_off + FOLLOW_BLOCK - 1);
        ssize_t n;

        if (size < 0)
                return size;
        if ((uint64_t)size <= im->src_off)
                return 0;
        n = pread(im->src_fd, im->src_buf,
                  MIN((uint64_t)size - im->src_off, (uint64_t)FOLLOW_BLOCK), (off_t)im->src_off);
        if (n <= 0) /* the file is shorter than its writer said */
                return n < 0 ? -errno : -EIO;
        im->src_off += (uint64_t)n;
        *buf = im->src_buf;
        return n;
}

static void *import_writer(void *userdata)
{
        struct import *im = userdata;
        int out = im->adopted ? -EBADF : im->blob_fd;
        struct stat st;

        if (im->growing)
                im->writer_r = aci_decompress_stream(import_grow_read, im, im->compression, out,
                                                     import_on_block, im, &im->key, &im->size,
                                                     &im->writer_err);
        else
                im->writer_r = aci_decompress(im->src_fd, im->compression, out, import_on_block, im,
                                              &im->key, &im->size, &im->writer_err);
        if (im->writer_r >= 0 && (im->flags & IMPORT_PROGRESS) && fstat(im->src_fd, &st) >= 0)
                import_show_progress(im, (uint64_t)st.st_size, (uint64_t)st.st_size); /* 100% */
        pthread_mutex_lock(&im->lock);
        im->writer_done = true;
        pthread_cond_broadcast(&im->cond);
        pthread_mutex_unlock(&im->lock);
        return NULL;
}

/* The walk's input: the blob, read behind the writer. */
static ssize_t import_follow(void *userdata, const void **buf)
{
        struct import *im = userdata;
        uint64_t avail;
        ssize_t n;

        pthread_mutex_lock(&im->lock);
        while (im->written <= im->read_off && !im->writer_done)
                pthread_cond_wait(&im->cond, &im->lock);
        avail = im->written - im->read_off;
        pthread_mutex_unlock(&im->lock);
        if (avail == 0)
                return im->writer_r < 0 ? -EIO : 0;
        n = pread(im->blob_fd, im->buf, MIN(avail, (uint64_t)FOLLOW_BLOCK), (off_t)im->read_off);
        if (n < 0)
                return -errno;
        im->read_off += (uint64_t)n;
        *buf = im->buf;
        return n;
}

/* The walk: validate the tar, read the manifest, extract the rootfs when rendering. */
static int import_walk(struct import *im, struct rk_error **reterr)
{
        struct aci_walk w = {
                .extract_fd = im->tmp_fd,
                .extract_rootfs = true,
                .same_owner = userns_can_chown_images(),
                .provided = &im->rs.provided,
                .extracted = &im->rs.provided,
                .digests = &im->rs.digests,
        };
        int r;

        r = aci_walk_stream(import_follow, im, &w, reterr);
        if (r >= 0)
                r = image_manifest_parse(w.manifest, w.manifest_len, &im->manifest, reterr);
        if (r >= 0) { /* the tree's manifest file keeps these bytes */
                im->rs.manifest = TAKE_PTR(w.manifest);
                im->rs.manifest_len = w.manifest_len;
        }
        aci_walk_done(&w);
        return r;
}

/* Runs both passes; on failure reports the writer's error unless the walk failed first. */
static int import_passes(struct import *im, struct rk_error **reterr)
{
        pthread_t writer;
        int r;

        r = pthread_create(&writer, NULL, import_writer, im);
        if (r != 0)
                return rk_error_set_errno(reterr, r, "cannot start the import thread");
        r = import_walk(im, reterr);
        pthread_mutex_lock(&im->lock);
        if (r < 0)
                im->cancel = true;
        else {
                im->walk_done = true;
                im->walk_end = im->read_off;
        }
        pthread_mutex_unlock(&im->lock);
        pthread_join(writer, NULL);
        if (im->trailing_data)
                return rk_error_set(reterr, EINVAL,
                                    "invalid image: more than %d bytes of data "
                                    "after the end of the tar archive",
                                    TRAILING_MAX);
        if (im->writer_r < 0 && !(r < 0 && im->writer_err->errnum == ECANCELED)) {
                *reterr = rk_error_free(*reterr);
                *reterr = TAKE_PTR(im->writer_err);
                return im->writer_r;
        }
        return r;
}

static bool tree_rendered_for(struct import *im)
{
        struct rk_error *err = NULL;
        _cleanup_free_ char *id = NULL, *marker = NULL;

        if (store_tree_id(im->s, im->key, &id, &err) < 0) {
                rk_error_free(err);
                return false;
        }
        marker = xasprintf("tree/%s/rendered", id);
        return faccessat(im->s->cas_fd, marker, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static int import_write_manifest(struct import *im, int dirfd, struct rk_error **reterr)
{
        _cleanup_free_ char *json = image_manifest_to_json(im->manifest, false);
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = store_tmpfile(im->s, &fd, reterr);
        if (r < 0)
                return r;
        r = write_full(fd, json, strlen(json));
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot store the image manifest");
        return store_publish_tmpfile(im->s, fd, dirfd, im->key, reterr);
}

/* Opens (creating it) the shard directory of the key below D/cas/<top>. */
static int import_shard(struct import *im, const char *top, int *ret_fd, struct rk_error **reterr)
{
        int fd = store_shard_open(im->s, top, im->key, true);

        if (fd < 0)
                return rk_error_set_errno(reterr, -fd, "cannot store image %s in %s/cas/%s",
                                          im->key, im->s->dir, top);
        *ret_fd = fd;
        return 0;
}

/*
 * An adopted input that got another name since it was checked (a member's hard link, where
 * fs.protected_hardlinks is 0, made while the download went on): its bytes, which no one
 * writes any more, go to a blob of our own instead.
 */
static int import_blob_unshare(struct import *im, struct rk_error **reterr)
{
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        if (!im->adopted)
                return 0;
        if (fstat(im->blob_fd, &st) < 0)
                return rk_error_set_errno(reterr, errno, "cannot store image %s", im->key);
        if (st.st_nlink == 1)
                return 0;
        r = store_tmpfile(im->s, &fd, reterr);
        if (r < 0)
                return r;
        r = lseek(im->blob_fd, 0, SEEK_SET) < 0 ? -errno : copy_fd(im->blob_fd, fd);
        if (r >= 0 && (fstat(fd, &st) < 0 || (uint64_t)st.st_size != im->size))
                r = -EIO;
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot store image %s", im->key);
        safe_close(im->blob_fd);
        im->blob_fd = TAKE_FD(fd);
        im->adopted = false;
        return 0;
}

/* Makes the image visible: blob, manifest, then the index row (files synced before it). */
static int import_commit(struct import *im, struct rk_error **reterr)
{
        struct image_info info = {
                .key = im->key,
                .name = im->manifest->name,
                .version = (char *)ac_labels_get(&im->manifest->labels, "version"),
                .size = im->size,
                .latest = im->flags & IMPORT_LATEST,
        };
        _cleanup_close_ int lock = -EBADF, blob = -EBADF, manifest = -EBADF;
        int r;

        r = import_blob_unshare(im, reterr);
        if (r >= 0)
                r = store_lock(im->s, "imagelocks", im->key, LOCK_EX, &lock, reterr);
        if (r >= 0)
                r = import_shard(im, "blob", &blob, reterr);
        if (r >= 0)
                r = import_shard(im, "imageManifest", &manifest, reterr);
        if (r >= 0)
                r = store_publish_tmpfile(im->s, im->blob_fd, blob, im->key, reterr);
        if (r >= 0)
                r = import_write_manifest(im, manifest, reterr);
        if (r < 0)
                return r;
        if (fsync(blob) < 0 || fsync(manifest) < 0)
                log_debug("cannot sync the shard directories of %s: %m", im->key);
        return store_db_upsert_image(im->s, &info, reterr);
}

/* Extracts the dependencies into the render directory and installs the tree. */
static int import_render(struct import *im, struct rk_error **reterr)
{
        _cleanup_free_ char *id = render_list_tree_id(&im->deps);
        _cleanup_close_ int lock = -EBADF;
        int r;

        r = store_lock(im->s, "treestorelocks", id, LOCK_EX, &lock, reterr);
        if (r >= 0)
                r = render_list_extract(im->s, &im->deps, 1, im->tmp_fd, &im->rs, reterr);
        if (r >= 0)
                r = tree_install(im->s, &im->deps, &im->rs, im->tmp, im->tmp_fd, id, reterr);
        if (r >= 0)
                im->tmp = (free(im->tmp), NULL); /* renamed into place */
        return r;
}

/* After both passes: whether to render, and with which dependencies. */
static int import_plan_render(struct import *im, struct rk_error **reterr)
{
        struct image_info old = {0};
        struct rk_error *err = NULL;

        im->existed = store_get_image(im->s, im->key, &old, &err) >= 0;
        rk_error_free(err);
        image_info_done(&old);
        if (!(im->flags & IMPORT_RENDER))
                return 0;
        if ((im->existed && tree_rendered_for(im)) ||
            ((im->flags & IMPORT_DEFER_DEPS) && im->manifest->n_deps > 0)) {
                im->flags &= ~(unsigned)IMPORT_RENDER;
                return 0;
        }
        return render_list_build(im->s, im->key, im->manifest, &im->deps, reterr);
}

/*
 * Whether the input may become the blob (IMPORT_ADOPT): a regular file of ours that no one
 * else may write, read from its start (the key is the hash of what is read, the blob the
 * whole file: a growing input is read with pread() from 0, another from its offset), with
 * no other name (a member's hard link, where fs.protected_hardlinks is 0, would become a
 * name of the blob that root cannot remove).
 */
static bool import_may_adopt(const struct import *im)
{
        struct stat st;

        return (im->flags & IMPORT_ADOPT) && im->compression == ACI_PLAIN &&
               fstat(im->src_fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
               (st.st_mode & 07077) == 0 && st.st_nlink == 1 &&
               (im->growing || lseek(im->src_fd, 0, SEEK_CUR) == 0);
}

/* The blob: the input itself when it may be adopted, else a new anonymous file. */
static int import_open_blob(struct import *im, struct rk_error **reterr)
{
        if (!import_may_adopt(im))
                return store_tmpfile(im->s, &im->blob_fd, reterr);
        im->blob_fd = fcntl(im->src_fd, F_DUPFD_CLOEXEC, 3);
        if (im->blob_fd < 0)
                return rk_error_set_errno(reterr, errno, "cannot read the image");
        im->adopted = true;
        return 0;
}

/*
 * A growing input is complete before the gate looks at the image and before anything of it
 * becomes visible: a compressed image ends for the import where its stream ends, which may
 * come before its writer (a download) has ended, or failed. An adopted input is the blob:
 * all of it was read.
 */
static int import_wait_complete(struct import *im, struct rk_error **reterr)
{
        int64_t size;

        if (!im->growing)
                return 0;
        size = im->growing->wait(im->growing->userdata, UINT64_MAX);
        if (size < 0)
                return rk_error_set_errno(reterr, (int)-size, "cannot read image");
        if (im->adopted && (uint64_t)size != im->src_off)
                return rk_error_set(reterr, EIO, "cannot read image: it changed while read");
        return 0;
}

static int import_run(struct import *im, struct rk_error **reterr)
{
        struct rk_error *err = NULL;
        int r;

        r = import_open_blob(im, reterr);
        if (r < 0)
                return r;
        if (im->flags & IMPORT_RENDER) {
                r = store_mkdtemp(im->s, "rkt-import-", &im->tmp, &im->tmp_fd, reterr);
                if (r < 0)
                        return r;
        }
        r = import_passes(im, reterr);
        if (r >= 0)
                r = import_wait_complete(im, reterr);
        if (r >= 0 && im->gate)
                r = im->gate(im->manifest, im->gate_data, reterr);
        if (r >= 0)
                r = import_plan_render(im, reterr);
        if (r >= 0)
                r = import_commit(im, reterr);
        if (r >= 0 && (im->flags & IMPORT_RENDER)) {
                r = import_render(im, reterr);
                if (r < 0 && !im->existed && store_remove_image(im->s, im->key, &err) < 0)
                        rk_error_free(err);
        }
        return r;
}

int store_import_aci(struct store *s, int fd, const char *what, unsigned flags, char **ret_key,
                     struct rk_error **reterr)
{
        return store_import_aci_gated(s, fd, what, flags, NULL, NULL, ret_key, reterr);
}

/* Imports fd, whose compression is *known, or found by content when known is NULL. */
static int import_fd(struct store *s, int fd, const struct import_growing *growing,
                     const enum aci_compression *known, unsigned flags, import_gate_fn gate,
                     void *userdata, char **ret_key, struct rk_error **reterr)
{
        struct import im = {
                .s = s,
                .flags = flags,
                .gate = gate,
                .gate_data = userdata,
                .src_fd = fd,
                .growing = growing,
                .blob_fd = -EBADF,
                .tmp_fd = -EBADF,
                .lock = PTHREAD_MUTEX_INITIALIZER,
                .cond = PTHREAD_COND_INITIALIZER,
        };
        int r = 0;

        if (geteuid() != 0)
                im.flags &= ~(unsigned)IMPORT_RENDER;
        im.buf = oom_check(malloc(FOLLOW_BLOCK));
        if (growing) { /* the bytes aci_sniff() looks at */
                int64_t size = growing->wait(growing->userdata, 511);

                im.src_buf = oom_check(malloc(FOLLOW_BLOCK));
                im.flags &= ~(unsigned)IMPORT_PROGRESS; /* its writer shows progress */
                if (size < 0)
                        r = rk_error_set_errno(reterr, (int)-size, "cannot read image");
        }
        if (r >= 0 && known)
                im.compression = *known;
        else if (r >= 0)
                r = aci_sniff(fd, &im.compression, reterr);
        if (r >= 0)
                r = import_run(&im, reterr);
        if (r >= 0)
                *ret_key = TAKE_PTR(im.key);
        import_done(&im);
        return r;
}

int store_import_aci_gated(struct store *s, int fd, const char *what, unsigned flags,
                           import_gate_fn gate, void *userdata, char **ret_key,
                           struct rk_error **reterr)
{
        return import_fd(s, fd, NULL, NULL, flags, gate, userdata, ret_key, reterr);
}

int store_import_aci_growing(struct store *s, int fd, const struct import_growing *g,
                             const char *what, unsigned flags, import_gate_fn gate, void *userdata,
                             char **ret_key, struct rk_error **reterr)
{
        return import_fd(s, fd, g, NULL, flags, gate, userdata, ret_key, reterr);
}

/* --- importing what a producer thread writes --- */

#define PRODUCED_PIPE_SIZE (1 << 20)

struct producer {
        import_producer_fn produce;
        void *userdata;
        int out_fd;
        pthread_t thread;
        bool joined;
        int r;
        struct rk_error *err;
};

static void *producer_run(void *userdata)
{
        struct producer *p = userdata;
        sigset_t sigpipe;

        /* A write after the import stopped fails with EPIPE instead of killing us; the
         * signal stays pending on this thread and goes with it. */
        sigemptyset(&sigpipe);
        sigaddset(&sigpipe, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &sigpipe, NULL);
        p->r = p->produce(p->userdata, p->out_fd, &p->err);
        p->out_fd = safe_close(p->out_fd); /* the import reads the end of the stream */
        return NULL;
}

static void producer_join(struct producer *p)
{
        if (!p->joined)
                pthread_join(p->thread, NULL);
        p->joined = true;
}

/* The import's gate: a tar that merely looks complete is committed only if the producer
 * finished it. */
static int producer_gate(const struct image_manifest *m, void *userdata, struct rk_error **reterr)
{
        struct producer *p = userdata;

        producer_join(p);
        if (p->r < 0) {
                *reterr = TAKE_PTR(p->err);
                return p->r;
        }
        return 0;
}

int store_import_produced(struct store *s, import_producer_fn produce, void *userdata,
                          const char *what, unsigned flags, char **ret_key,
                          struct rk_error **reterr)
{
        static const enum aci_compression plain = ACI_PLAIN;
        struct producer p = {.produce = produce, .userdata = userdata};
        _cleanup_close_ int in_fd = -EBADF;
        int fds[2], r;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return rk_error_set_errno(reterr, errno, "cannot create a pipe");
        in_fd = fds[0];
        p.out_fd = fds[1];
        (void)fcntl(p.out_fd, F_SETPIPE_SZ, PRODUCED_PIPE_SIZE); /* fewer, larger hand-overs */
        r = pthread_create(&p.thread, NULL, producer_run, &p);
        if (r != 0) {
                safe_close(p.out_fd);
                return rk_error_set_errno(reterr, r, "cannot start the image writer");
        }
        r = import_fd(s, in_fd, NULL, &plain, flags, producer_gate, &p, ret_key, reterr);
        in_fd = safe_close(in_fd); /* a producer still writing gets EPIPE */
        producer_join(&p);
        if (r < 0 && p.r < 0 && p.err && p.err->errnum != EPIPE) {
                /* the import failed on what the producer left unfinished */
                rk_error_free(*reterr);
                *reterr = TAKE_PTR(p.err);
                r = p.r;
        }
        rk_error_free(p.err);
        return r;
}
