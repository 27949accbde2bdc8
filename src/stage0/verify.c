/* SPDX-License-Identifier: Apache-2.0 */
/* Signature checks of fetched images and root's record of them (see verify.h). */
#include "verify.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format-util.h"
#include "fs-util.h"
#include "log.h"
#include "stage0.h"
#include "strbuf.h"
#include "strv.h"

#define VERIFIED_DIR "verified"

struct keystore stage0_keystore(const struct stage0_context *ctx)
{
        return (struct keystore){
                .system_dir = ctx->system_config ? ctx->system_config : RKT_DEFAULT_SYSTEM_CONFIG,
                .local_dir = ctx->local_config ? ctx->local_config : RKT_DEFAULT_LOCAL_CONFIG,
        };
}

bool stage0_verifies(const struct stage0_context *ctx)
{
        return !(ctx->insecure & INSECURE_IMAGE);
}

/* rkt's hint when nobody trusted signed the image. */
static void hint_unknown_signer(const char *name)
{
        _cleanup_free_ char *q = format_go_quote(name);

        log_with_prefix(LOG_LEVEL_INFO,
                        "image: ", "If you expected the signing key to change, try running:");
        log_with_prefix(LOG_LEVEL_INFO, "image: ", "    rkt trust --prefix %s", q);
}

static void print_identities(const struct pgp_key *signer)
{
        struct strbuf sb = STRBUF_INIT;

        strbuf_puts(&sb, "signature verified:");
        STRV_FOREACH(u, signer->uids)
                strbuf_printf(&sb, "\n  %s", *u);
        log_with_prefix(LOG_LEVEL_INFO, "image: ", "%s", strbuf_str(&sb));
        strbuf_release(&sb);
}

struct pgp_verify_job *stage0_verify_start_growing(int data_fd, pgp_wait_fn wait, void *userdata,
                                                   const char *sig, size_t sig_len)
{
        _cleanup_(rk_error_freep) struct rk_error *err = NULL;
        struct pgp_verify_job *job = NULL;

        if (pgp_verify_start_growing(data_fd, wait, userdata, sig, sig_len, &job, &err) < 0)
                log_debug("checking the signature at the end: %s", rk_error_cause(err));
        return job;
}

struct pgp_verify_job *stage0_verify_start(int data_fd, const char *sig, size_t sig_len)
{
        return stage0_verify_start_growing(data_fd, NULL, NULL, sig, sig_len);
}

int stage0_verify_image_job(const struct stage0_context *ctx, struct store *s, const char *name,
                            const char *key, struct pgp_verify_job *job, int data_fd,
                            const char *sig, size_t sig_len, struct rk_error **reterr)
{
        _cleanup_(pgp_keyring_freep) struct pgp_keyring *kr = NULL;
        struct keystore ks = stage0_keystore(ctx);
        struct pgp_key signer = {{0}};
        int r;

        r = keystore_load(&ks, name, &kr, reterr);
        if (r < 0)
                (void)pgp_verify_finish(job, NULL, NULL, NULL);
        else if (job)
                r = pgp_verify_finish(job, kr, &signer, reterr);
        else
                r = pgp_verify(kr, data_fd, sig, sig_len, &signer, reterr);
        if (r == -ENOKEY)
                hint_unknown_signer(name);
        if (r < 0)
                return r;
        print_identities(&signer);
        pgp_key_done(&signer);
        if (key)
                stage0_mark_verified(s, key);
        return 0;
}

int stage0_verify_image(const struct stage0_context *ctx, struct store *s, const char *name,
                        const char *key, int data_fd, const char *sig, size_t sig_len,
                        struct rk_error **reterr)
{
        return stage0_verify_image_job(ctx, s, name, key, NULL, data_fd, sig, sig_len, reterr);
}

int stage0_check_signer(const struct stage0_context *ctx, const char *name, const char *sig,
                        size_t sig_len, struct rk_error **reterr)
{
        _cleanup_(pgp_keyring_freep) struct pgp_keyring *kr = NULL;
        struct keystore ks = stage0_keystore(ctx);
        int r;

        r = keystore_load(&ks, name, &kr, reterr);
        if (r >= 0)
                r = pgp_check_signer(kr, sig, sig_len, reterr);
        if (r == -ENOKEY)
                hint_unknown_signer(name);
        return r;
}

/*
 * D/cas/verified, opened only if it is root's and nobody else may write or enter it (the
 * store's layout makes it for root and moves aside one a member made). Returns the fd or
 * -errno.
 */
static int verified_dir_open(struct store *s)
{
        _cleanup_close_ int fd =
                openat(s->cas_fd, VERIFIED_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_uid != 0 || (st.st_mode & 0077) != 0)
                return -EPERM;
        return TAKE_FD(fd);
}

void stage0_mark_verified(struct store *s, const char *key)
{
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;

        if (geteuid() != 0)
                return;
        dfd = verified_dir_open(s);
        if (dfd < 0) {
                log_debug("cannot record the verification of %s: %s", key, strerror(-dfd));
                return;
        }
        fd = openat(dfd, key, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                log_debug("cannot record the verification of %s: %m", key);
}

bool stage0_is_verified(struct store *s, const char *key)
{
        _cleanup_close_ int dfd = verified_dir_open(s);
        struct stat st;

        return dfd >= 0 && strchr(key, '/') == NULL &&
               fstatat(dfd, key, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
               st.st_uid == 0;
}
