/* SPDX-License-Identifier: Apache-2.0 */
/* Resumable, cache-aware downloads into D/cas/tmp (see aci-download.h). */
#include "aci-download.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "format-util.h"
#include "fs-util.h"
#include "log.h"
#include "parse-util.h"
#include "strv.h"

#define DEFAULT_MAX_IMAGE_SIZE "64G"
#define ETAG_MAX               4096

int64_t aci_cache_max_age(const char *cc)
{
        _cleanup_strv_free_ char **parts = cc ? strv_split(cc, ',') : NULL;
        int64_t max_age = 0;

        STRV_FOREACH(p, parts) {
                char *a = *p + strspn(*p, " \t"), *v;
                size_t n = strlen(a);

                while (n > 0 && strchr(" \t", a[n - 1]))
                        a[--n] = '\0';
                v = strchr(a, '=');
                if (v)
                        *v++ = '\0';
                if (strcasecmp(a, "no-store") == 0 || strcasecmp(a, "no-cache") == 0)
                        max_age = 0;
                else if (strcasecmp(a, "max-age") == 0 && v && *v &&
                         strspn(v, "0123456789") == strlen(v) && (v[0] != '0' || !v[1]) &&
                         strlen(v) < 12)
                        max_age = strtoll(v, NULL, 10);
        }
        return max_age;
}

static int max_image_size(uint64_t *ret, struct rk_error **reterr)
{
        const char *env = getenv("RKT_MAX_IMAGE_SIZE");

        if (parse_size_iec(env && *env ? env : DEFAULT_MAX_IMAGE_SIZE, ret) < 0)
                return rk_error_set(reterr, EINVAL,
                                    "invalid RKT_MAX_IMAGE_SIZE \"%s\": expected a size in bytes, "
                                    "or with K, M, G or T (\"64G\")",
                                    env);
        return 0;
}

/* "dl-" + the SHA-256 of url in hex. */
static char *partial_name(const char *url)
{
        unsigned char md[32];
        char hex[65];

        EVP_Digest(url, strlen(url), md, NULL, EVP_sha256(), NULL);
        hex_encode(md, sizeof(md), hex);
        return xasprintf("dl-%s", hex);
}

/* Whether fd is a partial download we may continue: our own regular file, 0600, one link. */
static bool partial_is_ours(int fd)
{
        struct stat st;

        return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
               (st.st_mode & 0077) == 0 && st.st_nlink == 1;
}

/* Whether fd is (still) the file D/cas/tmp/<name>. */
static bool partial_is_named(int tmpfd, const char *name, int fd)
{
        struct stat st, at;

        return fstat(fd, &st) == 0 && fstatat(tmpfd, name, &at, AT_SYMLINK_NOFOLLOW) == 0 &&
               st.st_dev == at.st_dev && st.st_ino == at.st_ino;
}

/*
 * Opens (creating) and locks D/cas/tmp/<name>; anything there that is not ours is removed.
 * A file we waited for is checked again once locked: the rkt that held it may have made it
 * its blob (IMPORT_ADOPT) or removed it, and neither may be written as our download.
 * -EEXIST (no error set) when the name could not be had in a few tries.
 */
static int partial_open(int tmpfd, const char *name, int *ret_fd, struct rk_error **reterr)
{
        for (int tries = 0; tries < 8; tries++) {
                _cleanup_close_ int fd = openat(
                        tmpfd, name,
                        O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);

                if (fd < 0 || !partial_is_ours(fd)) {
                        (void)rm_rf_at(tmpfd, name);
                        continue;
                }
                if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                        log_with_prefix(LOG_LEVEL_INFO, "image: ",
                                        "another rkt instance is downloading this file, "
                                        "waiting...");
                        if (flock(fd, LOCK_EX) < 0)
                                return rk_error_set_errno(reterr, errno, "cannot lock %s", name);
                }
                if (!partial_is_ours(fd) || !partial_is_named(tmpfd, name, fd))
                        continue; /* the other rkt finished: its file is gone or a blob now */
                *ret_fd = TAKE_FD(fd);
                return 0;
        }
        return -EEXIST;
}

/* The download without a name (partial_open() failed): an anonymous file in D/cas/tmp. */
static int anonymous_open(int tmpfd, int *ret_fd, struct rk_error **reterr)
{
        int fd = openat(tmpfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

        if (fd < 0)
                return rk_error_set_errno(reterr, errno, "cannot create the download file");
        log_with_prefix(LOG_LEVEL_INFO, "image: ",
                        "cannot keep a resumable download file, downloading without one");
        *ret_fd = fd;
        return 0;
}

/* The ETag saved beside a partial download (only our own file counts), NULL if none. */
static char *etag_read(int tmpfd, const char *name)
{
        _cleanup_free_ char *en = xasprintf("%s.etag", name), *buf = NULL;
        _cleanup_close_ int fd = openat(tmpfd, en, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        ssize_t n;

        if (fd < 0 || !partial_is_ours(fd))
                return NULL;
        buf = oom_check(malloc(ETAG_MAX + 1));
        n = read_full(fd, buf, ETAG_MAX);
        if (n <= 0)
                return NULL;
        buf[n] = '\0';
        return TAKE_PTR(buf);
}

struct session {
        int tmpfd;
        const char *name;
        int fd;
        const struct aci_download *d;
};

/* The download file, for messages. */
static const char *session_file(const struct session *ss)
{
        return ss->name ?: "the download file";
}

static void session_on_data(const struct http_response *resp, void *userdata)
{
        const struct session *ss = userdata;

        if (ss->d->on_data)
                ss->d->on_data(resp->status, ss->fd, resp->written, ss->d->userdata);
}

static void etag_remove(const struct session *ss)
{
        _cleanup_free_ char *en = ss->name ? xasprintf("%s.etag", ss->name) : NULL;

        if (en)
                (void)unlinkat(ss->tmpfd, en, 0);
}

/* Called before the first byte of the body: the ETag to compare when resuming. */
static void etag_save(const struct http_response *resp, void *userdata)
{
        const struct session *ss = userdata;
        _cleanup_free_ char *en = NULL;

        if (!ss->name)
                return; /* an anonymous download is never resumed */
        en = xasprintf("%s.etag", ss->name);
        if (!resp->etag || strlen(resp->etag) > ETAG_MAX ||
            write_file_replace_at(ss->tmpfd, en, resp->etag, strlen(resp->etag), 0600, 0) < 0)
                etag_remove(ss);
}

static int session_reset(struct session *ss)
{
        etag_remove(ss);
        if (ftruncate(ss->fd, 0) < 0)
                return -errno;
        return 0;
}

/* Go's time layout "Mon, 02 Jan 2006 15:04:05 MST" (GMT) before the partial file's mtime. */
static bool modified_before(const char *last_modified, const struct stat *st)
{
        struct tm tm = {0};
        const char *end =
                last_modified ? strptime(last_modified, "%a, %d %b %Y %H:%M:%S ", &tm) : NULL;

        return end && strcmp(end, "GMT") == 0 && timegm(&tm) < st->st_mtime;
}

/* Whether the partial download can be continued (rkt's HEAD check); resets it if not. */
static int session_check_resume(struct session *ss, const struct aci_download *d,
                                uint64_t *ret_offset, struct rk_error **reterr)
{
        struct http_request req = {
                .url = d->url, .out_fd = -1, .max_size = 1 << 16, .head = true, .timeout_s = 60};
        _cleanup_free_ char *saved = NULL;
        struct http_response resp;
        const char *why = NULL;
        struct stat st;
        int r;

        *ret_offset = 0;
        if (fstat(ss->fd, &st) < 0 || st.st_size == 0)
                return 0;
        r = http_get(d->http, &req, &resp, reterr);
        if (r < 0)
                return r;
        saved = etag_read(ss->tmpfd, ss->name);
        if (resp.status != 200)
                log_with_prefix(LOG_LEVEL_INFO,
                                "image: ", "bad HTTP status code from HEAD request: %ld",
                                resp.status);
        else if (!resp.accept_ranges)
                why = "range request unsupported";
        else if ((!modified_before(resp.last_modified, &st) &&
                  !(resp.etag && saved && strcmp(resp.etag, saved) == 0)) ||
                 !strstr(resp.accept_ranges, "bytes"))
                why = "resource updated";
        else
                *ret_offset = (uint64_t)st.st_size;
        if (why)
                log_with_prefix(LOG_LEVEL_INFO,
                                "image: ", "cannot use cached partial download, %s.", why);
        http_response_done(&resp);
        if (*ret_offset == 0 && session_reset(ss) < 0)
                return rk_error_set_errno(reterr, errno, "cannot reset %s", session_file(ss));
        return 0;
}

/* One GET from offset; *ret_resp is the answer (any status). */
static int session_get(struct session *ss, const struct aci_download *d, uint64_t offset,
                       struct http_response *ret_resp, struct rk_error **reterr)
{
        _cleanup_free_ char *inm = d->etag ? xasprintf("If-None-Match: %s", d->etag) : NULL;
        _cleanup_free_ char *range =
                offset ? xasprintf("Range: bytes=%llu-", (unsigned long long)offset) : NULL;
        char *headers[3] = {NULL};
        size_t n = 0;
        struct http_request req = {
                .url = d->url,
                .headers = headers,
                .out_fd = ss->fd,
                .writeback = true, /* the import may make this file the blob, then synced */
                .resume_from = offset,
                .progress_label = d->label,
                .on_body = etag_save,
                .on_data = session_on_data,
                .userdata = ss,
        };
        int r;

        r = max_image_size(&req.max_out, reterr);
        if (r < 0)
                return r;
        if (inm)
                headers[n++] = inm;
        if (range)
                headers[n++] = range;
        return http_get(d->http, &req, ret_resp, reterr);
}

/* Runs the download in the locked session; keeps a partial file only after a cut transfer. */
static int session_run(struct session *ss, const struct aci_download *d,
                       struct aci_download_result *ret, struct rk_error **reterr)
{
        struct http_response resp = {0};
        uint64_t offset = 0;
        int r;

        r = session_check_resume(ss, d, &offset, reterr);
        if (r >= 0)
                r = session_get(ss, d, offset, &resp, reterr);
        if (r >= 0 && resp.status == 416 && offset > 0) {
                http_response_done(&resp);
                r = session_reset(ss);
                if (r < 0)
                        return rk_error_set_errno(reterr, -r, "cannot reset %s", session_file(ss));
                r = session_get(ss, d, 0, &resp, reterr);
        }
        if (r < 0) {
                struct stat st;

                if ((*reterr)->errnum != EIO || fstat(ss->fd, &st) < 0 || st.st_size == 0)
                        (void)session_reset(ss);
                return r;
        }
        ret->status = resp.status == 206 ? 200 : resp.status;
        if (ret->status != 200 && ret->status != 304 && ret->status != 202) {
                r = rk_error_set(reterr, EPROTO, "bad HTTP status code: %ld", resp.status);
                http_response_done(&resp);
                (void)session_reset(ss);
                return r;
        }
        ret->etag = TAKE_PTR(resp.etag);
        ret->max_age = aci_cache_max_age(resp.cache_control);
        http_response_done(&resp);
        return 0;
}

int aci_download(struct store *s, const struct aci_download *d, struct aci_download_result *ret,
                 struct rk_error **reterr)
{
        _cleanup_close_ int tmpfd = openat(s->cas_fd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *name = partial_name(d->url);
        struct session ss = {.tmpfd = tmpfd, .name = name, .fd = -EBADF, .d = d};
        int r;

        *ret = (struct aci_download_result){.fd = -EBADF};
        if (tmpfd < 0)
                return rk_error_set_errno(reterr, errno, "cannot open %s/cas/tmp", s->dir);
        r = partial_open(tmpfd, name, &ss.fd, reterr);
        if (r == -EEXIST) {
                free(TAKE_PTR(name));
                ss.name = NULL;
                r = anonymous_open(tmpfd, &ss.fd, reterr);
        }
        if (r >= 0)
                r = session_run(&ss, d, ret, reterr);
        if (r < 0 || ret->status != 200) {
                safe_close(ss.fd);
                if (r >= 0 && name) { /* nothing to keep for a 304 or 202 */
                        (void)unlinkat(tmpfd, name, 0);
                        etag_remove(&ss);
                }
                if (r < 0) {
                        free(ret->etag);
                        *ret = (struct aci_download_result){.fd = -EBADF};
                }
                return r;
        }
        if (lseek(ss.fd, 0, SEEK_SET) < 0) {
                r = rk_error_set_errno(reterr, errno, "cannot read %s", session_file(&ss));
                safe_close(ss.fd);
                free(ret->etag);
                *ret = (struct aci_download_result){.fd = -EBADF};
                return r;
        }
        ret->fd = ss.fd;
        ret->name = TAKE_PTR(name);
        return 0;
}

void aci_download_done(struct store *s, struct aci_download_result *r)
{
        if (r->name) {
                _cleanup_free_ char *tmp = xasprintf("tmp/%s", r->name);
                _cleanup_free_ char *etag = xasprintf("tmp/%s.etag", r->name);

                (void)unlinkat(s->cas_fd, tmp, 0);
                (void)unlinkat(s->cas_fd, etag, 0);
        }
        safe_close(r->fd);
        free(r->etag);
        free(r->name);
        *r = (struct aci_download_result){.fd = -EBADF};
}
