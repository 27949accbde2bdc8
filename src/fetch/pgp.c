/* SPDX-License-Identifier: Apache-2.0 */
/* OpenPGP keys and detached signatures over librnp (see pgp.h). */
#include "pgp.h"

#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <rnp/rnp.h>
#include <rnp/rnp_err.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dlopen-util.h"
#include "fs-util.h"
#include "json-util.h"
#include "strv.h"

#define ARMOR_PUBLIC_KEY "-----BEGIN PGP PUBLIC KEY BLOCK-----"

/* librnp, opened by rnp_load() when the first key or signature needs it. */
static typeof(rnp_ffi_create) *sym_rnp_ffi_create;
static typeof(rnp_ffi_destroy) *sym_rnp_ffi_destroy;
static typeof(rnp_ffi_set_log_fd) *sym_rnp_ffi_set_log_fd;
static typeof(rnp_ffi_set_key_provider) *sym_rnp_ffi_set_key_provider;
static typeof(rnp_input_from_memory) *sym_rnp_input_from_memory;
static typeof(rnp_input_from_callback) *sym_rnp_input_from_callback;
static typeof(rnp_input_destroy) *sym_rnp_input_destroy;
static typeof(rnp_import_keys) *sym_rnp_import_keys;
static typeof(rnp_locate_key) *sym_rnp_locate_key;
static typeof(rnp_key_handle_destroy) *sym_rnp_key_handle_destroy;
static typeof(rnp_key_get_fprint) *sym_rnp_key_get_fprint;
static typeof(rnp_key_get_primary_fprint) *sym_rnp_key_get_primary_fprint;
static typeof(rnp_key_is_primary) *sym_rnp_key_is_primary;
static typeof(rnp_key_get_subkey_count) *sym_rnp_key_get_subkey_count;
static typeof(rnp_key_get_subkey_at) *sym_rnp_key_get_subkey_at;
static typeof(rnp_key_get_uid_count) *sym_rnp_key_get_uid_count;
static typeof(rnp_key_get_uid_at) *sym_rnp_key_get_uid_at;
static typeof(rnp_key_is_revoked) *sym_rnp_key_is_revoked;
static typeof(rnp_key_valid_till64) *sym_rnp_key_valid_till64;
static typeof(rnp_key_allows_usage) *sym_rnp_key_allows_usage;
static typeof(rnp_op_verify_detached_create) *sym_rnp_op_verify_detached_create;
static typeof(rnp_op_verify_execute) *sym_rnp_op_verify_execute;
static typeof(rnp_op_verify_get_signature_count) *sym_rnp_op_verify_get_signature_count;
static typeof(rnp_op_verify_get_signature_at) *sym_rnp_op_verify_get_signature_at;
static typeof(rnp_op_verify_signature_get_status) *sym_rnp_op_verify_signature_get_status;
static typeof(rnp_op_verify_signature_get_key) *sym_rnp_op_verify_signature_get_key;
static typeof(rnp_op_verify_destroy) *sym_rnp_op_verify_destroy;
static typeof(rnp_buffer_destroy) *sym_rnp_buffer_destroy;
static typeof(rnp_result_to_string) *sym_rnp_result_to_string;

static int rnp_load(struct rk_error **reterr)
{
        static void *handle;
        static const struct dl_sym syms[] = {
                DL_SYM(rnp_ffi_create),
                DL_SYM(rnp_ffi_destroy),
                DL_SYM(rnp_ffi_set_log_fd),
                DL_SYM(rnp_ffi_set_key_provider),
                DL_SYM(rnp_input_from_memory),
                DL_SYM(rnp_input_from_callback),
                DL_SYM(rnp_input_destroy),
                DL_SYM(rnp_import_keys),
                DL_SYM(rnp_locate_key),
                DL_SYM(rnp_key_handle_destroy),
                DL_SYM(rnp_key_get_fprint),
                DL_SYM(rnp_key_get_primary_fprint),
                DL_SYM(rnp_key_is_primary),
                DL_SYM(rnp_key_get_subkey_count),
                DL_SYM(rnp_key_get_subkey_at),
                DL_SYM(rnp_key_get_uid_count),
                DL_SYM(rnp_key_get_uid_at),
                DL_SYM(rnp_key_is_revoked),
                DL_SYM(rnp_key_valid_till64),
                DL_SYM(rnp_key_allows_usage),
                DL_SYM(rnp_op_verify_detached_create),
                DL_SYM(rnp_op_verify_execute),
                DL_SYM(rnp_op_verify_get_signature_count),
                DL_SYM(rnp_op_verify_get_signature_at),
                DL_SYM(rnp_op_verify_signature_get_status),
                DL_SYM(rnp_op_verify_signature_get_key),
                DL_SYM(rnp_op_verify_destroy),
                DL_SYM(rnp_buffer_destroy),
                DL_SYM(rnp_result_to_string),
        };

        return dlopen_syms(&handle, "librnp.so.0", "OpenPGP support (librnp, package librnp0)",
                           syms, ELEMENTSOF(syms), reterr);
}

static void ffi_destroyp(rnp_ffi_t *p)
{
        if (*p)
                sym_rnp_ffi_destroy(*p);
}
static void input_destroyp(rnp_input_t *p)
{
        if (*p)
                sym_rnp_input_destroy(*p);
}
static void key_destroyp(rnp_key_handle_t *p)
{
        if (*p)
                sym_rnp_key_handle_destroy(*p);
}
static void verify_destroyp(rnp_op_verify_t *p)
{
        if (*p)
                sym_rnp_op_verify_destroy(*p);
}
static void rnp_bufferp(char **p)
{
        if (*p)
                sym_rnp_buffer_destroy(*p);
}

/* An armored key as pgp_keyring_add() took it (a verification job adds it again). */
struct pgp_keyring_entry {
        char *data;
        size_t len;
        char *fingerprint;
        char *what;
};

struct pgp_keyring {
        rnp_ffi_t ffi;
        struct pgp_keyring_entry *keys;
        size_t n_keys;
};

void pgp_key_done(struct pgp_key *k)
{
        strv_free(k->subkeys);
        strv_free(k->uids);
        *k = (struct pgp_key){{0}};
}

void pgp_keys_free(struct pgp_key *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                pgp_key_done(&v[i]);
        free(v);
}

char *pgp_fingerprint_format(const char *fingerprint)
{
        char out[64];
        size_t o = 0;

        for (size_t i = 0; fingerprint[i] && i < 40; i++) {
                if (i > 0 && i % 4 == 0) {
                        out[o++] = ' ';
                        if (i == 20)
                                out[o++] = ' ';
                }
                out[o++] =
                        (char)(fingerprint[i] >= 'a' && fingerprint[i] <= 'f' ? fingerprint[i] - 32
                                                                              : fingerprint[i]);
        }
        out[o] = '\0';
        return xstrdup(out);
}

/*
 * librnp prints some diagnostics straight to stderr ("signer's key not found"), whatever the
 * ffi's log descriptor: fd 2 points to /dev/null while it runs. Returns the saved fd 2.
 */
static int stderr_mute(void)
{
        _cleanup_close_ int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        int saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);

        fflush(stderr);
        if (saved >= 0 && null >= 0 && dup2(null, STDERR_FILENO) < 0)
                saved = safe_close(saved);
        return saved;
}

static void stderr_unmute(int *saved)
{
        if (*saved < 0)
                return;
        fflush(stderr);
        (void)dup2(*saved, STDERR_FILENO);
        *saved = safe_close(*saved);
}

/* A new ffi whose messages do not reach the user's terminal. */
static int ffi_new(rnp_ffi_t *ret, struct rk_error **reterr)
{
        _cleanup_close_ int null = -EBADF;
        int r = rnp_load(reterr);

        if (r < 0)
                return r;
        if (sym_rnp_ffi_create(ret, "GPG", "GPG") != RNP_SUCCESS)
                return rk_error_set(reterr, ENOMEM, "openpgp: cannot start librnp");
        null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        /* librnp fdopen()s the descriptor itself (no dup) and closes it with the ffi: it is
         * librnp's now (closing it here let rnp_ffi_destroy() close whatever file reused
         * its number) */
        if (null >= 0 && sym_rnp_ffi_set_log_fd(*ret, null) == RNP_SUCCESS)
                TAKE_FD(null);
        return 0;
}

/* The fingerprint of key, lowercase, in buf[41]; -EINVAL for anything but a v4 key. */
static int key_fingerprint(rnp_key_handle_t key, bool primary, char buf[41])
{
        _cleanup_(rnp_bufferp) char *fpr = NULL;
        rnp_result_t rc = primary ? sym_rnp_key_get_primary_fprint(key, &fpr)
                                  : sym_rnp_key_get_fprint(key, &fpr);

        if (rc != RNP_SUCCESS || !fpr || strlen(fpr) != 40 ||
            strspn(fpr, "0123456789abcdefABCDEF") != 40)
                return -EINVAL;
        for (size_t i = 0; i < 40; i++)
                buf[i] = (char)(fpr[i] >= 'A' && fpr[i] <= 'F' ? fpr[i] + 32 : fpr[i]);
        buf[40] = '\0';
        return 0;
}

/* Fills k from the primary key handle. */
static int key_describe(rnp_key_handle_t key, struct pgp_key *k)
{
        size_t n = 0;

        if (key_fingerprint(key, false, k->fingerprint) < 0)
                return -EINVAL;
        if (sym_rnp_key_get_subkey_count(key, &n) == RNP_SUCCESS)
                for (size_t i = 0; i < n; i++) {
                        _cleanup_(key_destroyp) rnp_key_handle_t sub = NULL;
                        char fpr[41];

                        if (sym_rnp_key_get_subkey_at(key, i, &sub) == RNP_SUCCESS &&
                            key_fingerprint(sub, false, fpr) >= 0)
                                strv_push(&k->subkeys, fpr);
                }
        n = 0;
        if (sym_rnp_key_get_uid_count(key, &n) == RNP_SUCCESS)
                for (size_t i = 0; i < n; i++) {
                        _cleanup_(rnp_bufferp) char *uid = NULL;

                        if (sym_rnp_key_get_uid_at(key, i, &uid) == RNP_SUCCESS && uid)
                                strv_push(&k->uids, uid);
                }
        return 0;
}

/* The fingerprints of the primary keys an import reported, in its order (JSON results). */
static char **import_primaries(rnp_ffi_t ffi, const char *results)
{
        _cleanup_(json_decrefp) json_t *j = json_loads(results ? results : "{}", 0, NULL);
        json_t *keys = json_object_get(j, "keys"), *e;
        char **out = NULL;
        size_t i;

        json_array_foreach(keys, i, e) {
                const char *fpr = json_string_value(json_object_get(e, "fingerprint"));
                _cleanup_(key_destroyp) rnp_key_handle_t key = NULL;
                bool primary = false;

                if (!fpr || sym_rnp_locate_key(ffi, "fingerprint", fpr, &key) != RNP_SUCCESS ||
                    !key || sym_rnp_key_is_primary(key, &primary) != RNP_SUCCESS || !primary)
                        continue;
                if (!strv_contains(out, fpr))
                        strv_push(&out, fpr);
        }
        return out;
}

/* Imports the armored public key block data into ffi; *ret_primaries as import_primaries(). */
static int import_armored(rnp_ffi_t ffi, const void *data, size_t len, unsigned flags,
                          char ***ret_primaries, struct rk_error **reterr)
{
        _cleanup_(input_destroyp) rnp_input_t in = NULL;
        _cleanup_(rnp_bufferp) char *results = NULL;
        const char *start = memmem(data, len, ARMOR_PUBLIC_KEY, strlen(ARMOR_PUBLIC_KEY));
        rnp_result_t rc;

        if (!start)
                return rk_error_set(reterr, EINVAL,
                                    "openpgp: invalid argument: no armored public key found");
        len -= (size_t)(start - (const char *)data);
        if (sym_rnp_input_from_memory(&in, (const uint8_t *)start, len, false) != RNP_SUCCESS)
                return rk_error_set(reterr, ENOMEM, "openpgp: cannot read the key");
        _cleanup_(stderr_unmute) int saved = stderr_mute();
        rc = sym_rnp_import_keys(ffi, in, RNP_LOAD_SAVE_PUBLIC_KEYS | flags, &results);
        stderr_unmute(&saved);
        if (rc != RNP_SUCCESS)
                return rk_error_set(reterr, EINVAL, "openpgp: invalid public key: %s",
                                    sym_rnp_result_to_string(rc));
        *ret_primaries = import_primaries(ffi, results);
        if (!*ret_primaries)
                return rk_error_set(reterr, EINVAL,
                                    "openpgp: invalid public key: no OpenPGP v4 primary key");
        return 0;
}

int pgp_keys_read(const void *data, size_t len, struct pgp_key **ret, size_t *ret_n,
                  struct rk_error **reterr)
{
        _cleanup_(ffi_destroyp) rnp_ffi_t ffi = NULL;
        _cleanup_strv_free_ char **primaries = NULL;
        struct pgp_key *v = NULL;
        size_t n = 0;
        int r;

        r = ffi_new(&ffi, reterr);
        if (r >= 0)
                r = import_armored(ffi, data, len, 0, &primaries, reterr);
        if (r < 0)
                return r;
        STRV_FOREACH(f, primaries) {
                _cleanup_(key_destroyp) rnp_key_handle_t key = NULL;

                if (sym_rnp_locate_key(ffi, "fingerprint", *f, &key) != RNP_SUCCESS || !key)
                        continue;
                v = oom_check(realloc(v, (n + 1) * sizeof(*v)));
                v[n] = (struct pgp_key){{0}};
                if (key_describe(key, &v[n]) >= 0)
                        n++;
        }
        if (n == 0) {
                free(v);
                return rk_error_set(reterr, EINVAL,
                                    "openpgp: invalid public key: only version 4 keys are "
                                    "supported");
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int pgp_keyring_new(struct pgp_keyring **ret, struct rk_error **reterr)
{
        struct pgp_keyring *kr = oom_check(calloc(1, sizeof(*kr)));
        int r = ffi_new(&kr->ffi, reterr);

        if (r < 0) {
                free(kr);
                return r;
        }
        *ret = kr;
        return 0;
}

struct pgp_keyring *pgp_keyring_free(struct pgp_keyring *kr)
{
        if (!kr)
                return NULL;
        ffi_destroyp(&kr->ffi);
        for (size_t i = 0; i < kr->n_keys; i++) {
                free(kr->keys[i].data);
                free(kr->keys[i].fingerprint);
                free(kr->keys[i].what);
        }
        free(kr->keys);
        free(kr);
        return NULL;
}

/* pgp_keyring_add() without keeping the key in kr->keys. */
static int keyring_import(struct pgp_keyring *kr, const void *data, size_t len,
                          const char *fingerprint, const char *what, struct rk_error **reterr)
{
        _cleanup_strv_free_ char **primaries = NULL;
        char got[41];
        int r;

        r = import_armored(kr->ffi, data, len, RNP_LOAD_SAVE_SINGLE, &primaries, reterr);
        if (r < 0)
                return rk_error_prefix(reterr, "%s", what);
        if (strlen(primaries[0]) != 40)
                return rk_error_set(reterr, EINVAL,
                                    "%s: openpgp: only version 4 keys are supported", what);
        for (size_t i = 0; i < 41; i++)
                got[i] = (char)(primaries[0][i] >= 'A' && primaries[0][i] <= 'F'
                                        ? primaries[0][i] + 32
                                        : primaries[0][i]);
        if (strcmp(got, fingerprint) != 0)
                return rk_error_set(reterr, EINVAL, "fingerprint mismatch: \"%s\":\"%s\"",
                                    fingerprint, got);
        return 0;
}

int pgp_keyring_add(struct pgp_keyring *kr, const void *data, size_t len, const char *fingerprint,
                    const char *what, struct rk_error **reterr)
{
        struct pgp_keyring_entry *e;
        int r = keyring_import(kr, data, len, fingerprint, what, reterr);

        if (r < 0)
                return r;
        kr->keys = oom_check(reallocarray(kr->keys, kr->n_keys + 1, sizeof(*kr->keys)));
        e = &kr->keys[kr->n_keys++];
        e->data = oom_check(malloc(len ? len : 1));
        memcpy(e->data, data, len);
        e->len = len;
        e->fingerprint = xstrdup(fingerprint);
        e->what = xstrdup(what);
        return 0;
}

/* --- verification --- */

/* The signed data: a file read with pread() from offset 0 (its file offset is left alone). */
struct fd_source {
        int fd;
        off_t off;
        pgp_wait_fn wait; /* the file still grows: how far to read (NULL: to its end) */
        void *wait_data;
};

static bool fd_reader(void *app_ctx, void *buf, size_t len, size_t *read)
{
        struct fd_source *src = app_ctx;
        ssize_t n;

        if (src->fd < 0) { /* no data (pgp_check_signer()) */
                *read = 0;
                return true;
        }
        if (src->wait) {
                int64_t size = src->wait(src->wait_data, (uint64_t)src->off);

                if (size < 0)
                        return false;
                len = (size_t)MIN((uint64_t)len, (uint64_t)size - (uint64_t)MIN(size, src->off));
                if (len == 0) {
                        *read = 0;
                        return true;
                }
        }
        do
                n = pread(src->fd, buf, len, src->off);
        while (n < 0 && errno == EINTR);
        if (n < 0 || (n == 0 && src->wait)) /* growing: shorter than its writer said */
                return false;
        src->off += n;
        *read = (size_t)n;
        return true;
}

/* Why key may not stand behind a signature now (NULL: it may): revoked, expired, no "sign". */
static int key_unusable(rnp_key_handle_t key, const char *fpr, struct rk_error **reterr)
{
        uint64_t till = 0;
        bool revoked = false, sign = false;
        _cleanup_free_ char *f = pgp_fingerprint_format(fpr);

        if (sym_rnp_key_is_revoked(key, &revoked) != RNP_SUCCESS || revoked)
                return rk_error_set(reterr, EKEYREVOKED,
                                    "openpgp: signature made by a revoked key (%s)", f);
        /* for a subkey this includes its primary key's revocation and expiration */
        if (sym_rnp_key_valid_till64(key, &till) != RNP_SUCCESS || till < (uint64_t)time(NULL))
                return rk_error_set(reterr, EKEYEXPIRED,
                                    "openpgp: signature made by an expired or revoked key (%s)", f);
        if (sym_rnp_key_allows_usage(key, "sign", &sign) != RNP_SUCCESS || !sign)
                return rk_error_set(reterr, EPERM,
                                    "openpgp: signature made by a key that may not sign (%s)", f);
        return 0;
}

/* The outcome of one operation over all its signatures. */
struct verdict {
        size_t n;  /* signatures */
        bool good; /* one good signature by a usable key */
        struct pgp_key signer;
        struct rk_error *known_err; /* the first failure of a signature by a known key */
};

static void verdict_add(struct verdict *v, rnp_ffi_t ffi, rnp_op_verify_signature_t s,
                        bool need_data)
{
        _cleanup_(key_destroyp) rnp_key_handle_t key = NULL, primary = NULL;
        rnp_result_t status = sym_rnp_op_verify_signature_get_status(s);
        struct rk_error *err = NULL;
        char fpr[41], pfpr[41];

        if (status == RNP_ERROR_KEY_NOT_FOUND ||
            sym_rnp_op_verify_signature_get_key(s, &key) != RNP_SUCCESS || !key ||
            key_fingerprint(key, false, fpr) < 0)
                return;
        if (key_unusable(key, fpr, &err) >= 0 && need_data && status != RNP_SUCCESS)
                rk_error_set(&err, EBADMSG, "openpgp: invalid signature: %s",
                             status == RNP_ERROR_SIGNATURE_INVALID
                                     ? "the signed data does not match it"
                                     : sym_rnp_result_to_string(status));
        if (err) {
                if (!v->known_err)
                        v->known_err = err;
                else
                        rk_error_free(err);
                return;
        }
        if (v->good)
                return;
        v->good = true;
        if (key_fingerprint(key, true, pfpr) < 0)
                memcpy(pfpr, fpr, sizeof(pfpr));
        if (sym_rnp_locate_key(ffi, "fingerprint", pfpr, &primary) == RNP_SUCCESS && primary)
                (void)key_describe(primary, &v->signer);
}

/* Runs a detached verification of sig over data_fd (or over nothing when data_fd < 0). */
static int verify_run(struct pgp_keyring *kr, struct fd_source src, const void *sig, size_t sig_len,
                      bool mute, struct verdict *v, struct rk_error **reterr)
{
        _cleanup_(input_destroyp) rnp_input_t data = NULL, signature = NULL;
        _cleanup_(verify_destroyp) rnp_op_verify_t op = NULL;
        int data_fd = src.fd;

        if (sym_rnp_input_from_callback(&data, fd_reader, NULL, &src) != RNP_SUCCESS ||
            sym_rnp_input_from_memory(&signature, sig, sig_len, false) != RNP_SUCCESS)
                return rk_error_set(reterr, ENOMEM, "openpgp: cannot read the signature");
        if (sym_rnp_op_verify_detached_create(&op, kr->ffi, data, signature) != RNP_SUCCESS)
                return rk_error_set(reterr, EBADMSG,
                                    "keystore: no valid signatures found in signature file");
        _cleanup_(stderr_unmute) int saved = mute ? stderr_mute() : -EBADF;
        (void)sym_rnp_op_verify_execute(op); /* the signatures say what happened */
        stderr_unmute(&saved);
        if (sym_rnp_op_verify_get_signature_count(op, &v->n) != RNP_SUCCESS)
                v->n = 0;
        for (size_t i = 0; i < v->n; i++) {
                rnp_op_verify_signature_t s = NULL;

                if (sym_rnp_op_verify_get_signature_at(op, i, &s) == RNP_SUCCESS && s)
                        verdict_add(v, kr->ffi, s, data_fd >= 0);
        }
        return 0;
}

/* The outcome of verify_run() (r, v) as pgp_verify() reports it; frees what v holds. */
static int verdict_result(int r, struct verdict *v_, struct pgp_key *ret_signer,
                          struct rk_error **reterr)
{
        struct verdict v = *v_;

        *v_ = (struct verdict){0};
        if (r < 0) {
                rk_error_free(v.known_err);
                pgp_key_done(&v.signer);
                return r;
        }
        if (v.good) {
                rk_error_free(v.known_err);
                if (ret_signer)
                        *ret_signer = v.signer;
                else
                        pgp_key_done(&v.signer);
                return 0;
        }
        if (v.known_err) {
                *reterr = v.known_err;
                return -v.known_err->errnum;
        }
        if (v.n == 0)
                return rk_error_set(reterr, EBADMSG,
                                    "keystore: no valid signatures found in signature file");
        return rk_error_set(reterr, ENOKEY, "openpgp: signature made by unknown entity");
}

static int verify_common(struct pgp_keyring *kr, int data_fd, const void *sig, size_t sig_len,
                         struct pgp_key *ret_signer, struct rk_error **reterr)
{
        struct verdict v = {0};
        int r;

        if (sig_len == 0 || sig_len > PGP_MAX_SIZE)
                return rk_error_set(reterr, EBADMSG,
                                    "keystore: no valid signatures found in signature file");
        r = verify_run(kr, (struct fd_source){data_fd, 0, NULL, NULL}, sig, sig_len, true, &v,
                       reterr);
        return verdict_result(r, &v, ret_signer, reterr);
}

int pgp_verify(struct pgp_keyring *kr, int data_fd, const void *sig, size_t sig_len,
               struct pgp_key *ret_signer, struct rk_error **reterr)
{
        return verify_common(kr, data_fd, sig, sig_len, ret_signer, reterr);
}

int pgp_check_signer(struct pgp_keyring *kr, const void *sig, size_t sig_len,
                     struct rk_error **reterr)
{
        return verify_common(kr, -1, sig, sig_len, NULL, reterr);
}

/* --- verification in the background --- */

struct pgp_verify_job {
        struct pgp_keyring *kr; /* its own: the trusted keys come through the key provider */
        int fd;
        pgp_wait_fn wait; /* fd still grows (NULL: complete) */
        void *wait_data;
        void *sig;
        size_t sig_len;
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        bool answered;                  /* pgp_verify_finish() gave the keys (or none) */
        const struct pgp_keyring *keys; /* what it gave; NULL: cancelled */
        bool provided;
        int saved_stderr;
        int r;
        struct verdict v;
        struct rk_error *err;
};

/*
 * librnp asks for the signer's key once it has hashed the data: wait for the caller's
 * trusted keys, add them all, and mute fd 2 for the checks that follow (the caller is
 * waiting in pgp_verify_finish() meanwhile, so nothing of its output is lost).
 */
static void job_key_provider(rnp_ffi_t ffi, void *app_ctx, const char *identifier_type,
                             const char *identifier, bool secret)
{
        struct pgp_verify_job *j = app_ctx;

        if (j->provided)
                return;
        j->provided = true;
        pthread_mutex_lock(&j->lock);
        while (!j->answered)
                pthread_cond_wait(&j->cond, &j->lock);
        pthread_mutex_unlock(&j->lock);
        j->saved_stderr = stderr_mute();
        for (size_t i = 0; j->keys && i < j->keys->n_keys; i++) {
                const struct pgp_keyring_entry *e = &j->keys->keys[i];
                struct rk_error *err = NULL;

                if (keyring_import(j->kr, e->data, e->len, e->fingerprint, e->what, &err) < 0)
                        rk_error_free(err); /* it was imported once: cannot happen */
        }
}

static void *job_main(void *userdata)
{
        struct pgp_verify_job *j = userdata;

        j->r = verify_run(j->kr, (struct fd_source){j->fd, 0, j->wait, j->wait_data}, j->sig,
                          j->sig_len, false, &j->v, &j->err);
        stderr_unmute(&j->saved_stderr);
        return NULL;
}

static void job_free(struct pgp_verify_job *j)
{
        struct pgp_key none = {{0}};

        (void)verdict_result(j->r < 0 ? j->r : -ECANCELED, &j->v, &none, &j->err);
        rk_error_free(j->err);
        pgp_keyring_free(j->kr);
        free(j->sig);
        pthread_mutex_destroy(&j->lock);
        pthread_cond_destroy(&j->cond);
        free(j);
}

/* Whether sig holds a signature librnp can read (checked before a thread hashes the data). */
static bool signature_readable(const void *sig, size_t sig_len)
{
        _cleanup_(pgp_keyring_freep) struct pgp_keyring *empty = NULL;
        struct rk_error *err = NULL;
        struct verdict v = {0};
        struct pgp_key none = {{0}};
        bool ok;
        int r;

        if (sig_len == 0 || sig_len > PGP_MAX_SIZE || pgp_keyring_new(&empty, &err) < 0) {
                rk_error_free(err);
                return false;
        }
        r = verify_run(empty, (struct fd_source){-EBADF, 0, NULL, NULL}, sig, sig_len, true, &v,
                       &err);
        ok = r >= 0 && v.n > 0;
        (void)verdict_result(r, &v, &none, &err);
        rk_error_free(err);
        return ok;
}

int pgp_verify_start(int data_fd, const void *sig, size_t sig_len, struct pgp_verify_job **ret,
                     struct rk_error **reterr)
{
        return pgp_verify_start_growing(data_fd, NULL, NULL, sig, sig_len, ret, reterr);
}

int pgp_verify_start_growing(int data_fd, pgp_wait_fn wait, void *userdata, const void *sig,
                             size_t sig_len, struct pgp_verify_job **ret, struct rk_error **reterr)
{
        struct pgp_verify_job *j;
        int r;

        *ret = NULL;
        if (!signature_readable(sig, sig_len))
                return 0;
        j = xnew0(struct pgp_verify_job, 1);
        j->fd = data_fd;
        j->wait = wait;
        j->wait_data = userdata;
        j->saved_stderr = -EBADF;
        j->sig = oom_check(malloc(sig_len));
        memcpy(j->sig, sig, sig_len);
        j->sig_len = sig_len;
        pthread_mutex_init(&j->lock, NULL);
        pthread_cond_init(&j->cond, NULL);
        r = pgp_keyring_new(&j->kr, reterr);
        if (r >= 0 && sym_rnp_ffi_set_key_provider(j->kr->ffi, job_key_provider, j) != RNP_SUCCESS)
                r = rk_error_set(reterr, ENOMEM, "openpgp: cannot set the key provider");
        if (r >= 0) {
                r = -pthread_create(&j->thread, NULL, job_main, j);
                if (r < 0)
                        rk_error_set_errno(reterr, -r, "cannot start the signature check");
        }
        if (r < 0) {
                job_free(j);
                return r;
        }
        *ret = j;
        return 0;
}

int pgp_verify_finish(struct pgp_verify_job *j, const struct pgp_keyring *kr,
                      struct pgp_key *ret_signer, struct rk_error **reterr)
{
        int r = -ECANCELED;

        if (!j)
                return 0;
        pthread_mutex_lock(&j->lock);
        j->keys = kr;
        j->answered = true;
        pthread_cond_broadcast(&j->cond);
        pthread_mutex_unlock(&j->lock);
        pthread_join(j->thread, NULL);
        if (kr) {
                r = verdict_result(j->r, &j->v, ret_signer, &j->err);
                if (r < 0) {
                        *reterr = TAKE_PTR(j->err);
                        if (!*reterr)
                                r = rk_error_set(reterr, -r, "openpgp: verification failed");
                }
        }
        job_free(j);
        return r;
}
