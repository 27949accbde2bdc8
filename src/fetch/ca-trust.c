/* SPDX-License-Identifier: Apache-2.0 */
/* The certificates TLS servers are checked against (see ca-trust.h). */
#include "ca-trust.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "curl-util.h"
#include "dlopen-util.h"
#include "fs-util.h"
#include "hashset.h"
#include "strbuf.h"
#include "strv.h"

#define CA_PEM_MAX (64 << 20) /* the most PEM bytes $SSL_CERT_FILE/$SSL_CERT_DIR give */

/*
 * Appends the PEM blocks of pem to sb, each only once: the system's bundle and its
 * certificate directory hold the same certificates (the directory twice, by name and by
 * hash). Text between blocks is dropped.
 */
static void pem_add(struct strbuf *sb, struct hashset *seen, const char *pem, size_t len)
{
        static const char begin[] = "-----BEGIN ", end[] = "-----END ";
        const char *p = pem, *stop = pem + len;

        while (p < stop) {
                const char *b = memmem(p, (size_t)(stop - p), begin, sizeof(begin) - 1), *e;
                _cleanup_free_ char *block = NULL;

                e = b ? memmem(b, (size_t)(stop - b), end, sizeof(end) - 1) : NULL;
                if (!e)
                        return;
                p = memchr(e, '\n', (size_t)(stop - e));
                p = p ? p + 1 : stop;
                block = oom_check(strndup(b, (size_t)(p - b)));
                if (hashset_put(seen, block, 0) > 0) {
                        strbuf_add(sb, block, strlen(block));
                        strbuf_add(sb, "\n", 1);
                }
        }
}

/* Whether path is (or links to) a regular file: a FIFO there must not be waited on. */
static bool is_regular_file(const char *path)
{
        struct stat st;

        return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Reads the PEM files of $SSL_CERT_FILE (else the system bundle) and of every file in each
 * $SSL_CERT_DIR directory into sb, at most CA_PEM_MAX bytes of them. */
static void pem_read(struct strbuf *sb)
{
        const char *file = getenv("SSL_CERT_FILE"), *dirs = getenv("SSL_CERT_DIR");
        _cleanup_strv_free_ char **dirv = dirs && *dirs ? strv_split(dirs, ':') : NULL;
        _cleanup_free_ char *data = NULL;
        struct hashset seen = HASHSET_INIT;
        size_t len = 0, total;

        if (read_file_at(AT_FDCWD, file && *file ? file : "/etc/ssl/certs/ca-certificates.crt",
                         CA_PEM_MAX, &data, &len) >= 0)
                pem_add(sb, &seen, data, len);
        total = len;
        STRV_FOREACH(d, dirv) {
                struct dirent **names = NULL;
                int n = scandir(*d, &names, NULL, alphasort);

                for (int i = 0; i < n; i++) {
                        _cleanup_free_ char *path = xasprintf("%s/%s", *d, names[i]->d_name);
                        _cleanup_free_ char *pem = NULL;
                        size_t pem_len = 0;

                        free(names[i]);
                        if (total < CA_PEM_MAX && is_regular_file(path) &&
                            read_file_at(AT_FDCWD, path, CA_PEM_MAX - total, &pem, &pem_len) >= 0) {
                                pem_add(sb, &seen, pem, pem_len);
                                total += pem_len;
                        }
                }
                free(names);
        }
        hashset_done(&seen);
}

static struct strbuf pem_text = STRBUF_INIT;

static void pem_read_once(void)
{
        pem_read(&pem_text);
}

const struct strbuf *ca_trust_pem(void)
{
        static pthread_once_t once = PTHREAD_ONCE_INIT;

        pthread_once(&once, pem_read_once);
        return &pem_text;
}

/* --- libssl, through libcurl's own copy --- */

static typeof(SSL_CTX_set_cert_verify_callback) *sym_SSL_CTX_set_cert_verify_callback;
static typeof(X509_STORE_CTX_set0_trusted_stack) *sym_X509_STORE_CTX_set0_trusted_stack;
static typeof(X509_verify_cert) *sym_X509_verify_cert;
static typeof(PEM_read_bio_X509) *sym_PEM_read_bio_X509;
static typeof(BIO_new_mem_buf) *sym_BIO_new_mem_buf;
static typeof(BIO_free) *sym_BIO_free;
static typeof(X509_free) *sym_X509_free;
static typeof(OPENSSL_sk_new_null) *sym_OPENSSL_sk_new_null;
static typeof(OPENSSL_sk_push) *sym_OPENSSL_sk_push;
static typeof(ERR_set_mark) *sym_ERR_set_mark;
static typeof(ERR_pop_to_mark) *sym_ERR_pop_to_mark;

static bool ssl_loaded;

static void ssl_load_once(void)
{
        static void *handle;
        static const struct dl_sym syms[] = {
                DL_SYM(SSL_CTX_set_cert_verify_callback),
                DL_SYM(X509_STORE_CTX_set0_trusted_stack),
                DL_SYM(X509_verify_cert),
                DL_SYM(PEM_read_bio_X509),
                DL_SYM(BIO_new_mem_buf),
                DL_SYM(BIO_free),
                DL_SYM(X509_free),
                DL_SYM(OPENSSL_sk_new_null),
                DL_SYM(OPENSSL_sk_push),
                DL_SYM(ERR_set_mark),
                DL_SYM(ERR_pop_to_mark),
        };
        const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
        struct rk_error *err = NULL;

        /* only with libcurl's TLS in OpenSSL 3 (Debian's libcurl4): its libssl is in this
         * process already, and the SSL_CTX libcurl hands over is OpenSSL's */
        if (!v || !v->ssl_version || strncmp(v->ssl_version, "OpenSSL/3.", 10) != 0)
                return;
        ssl_loaded = dlopen_syms(&handle, "libssl.so.3", "libssl (package libssl3)", syms,
                                 ELEMENTSOF(syms), &err) >= 0;
        rk_error_free(err);
}

/* The certificates of ca_trust_pem(), parsed once; never freed (the process's). */
static OPENSSL_STACK *trusted;

/* No passphrase for an encrypted block (OpenSSL's default would ask the terminal). */
static int no_passphrase(char *buf, int size, int rwflag, void *userdata)
{
        return -1;
}

/* The certificate of one PEM block, NULL when it is none or does not parse. */
static X509 *block_parse(const char *block, size_t len)
{
        BIO *bio = sym_BIO_new_mem_buf(block, (int)len);
        X509 *x = bio ? sym_PEM_read_bio_X509(bio, NULL, no_passphrase, NULL) : NULL;

        if (bio)
                sym_BIO_free(bio);
        return x;
}

/*
 * Each block of ca_trust_pem() (pem_add() starts each with "-----BEGIN ") is parsed on its
 * own: as Go's AppendCertsFromPEM, a block that does not parse is skipped, and hides none
 * after it.
 */
static void trusted_parse_once(void)
{
        static const char begin[] = "-----BEGIN ";
        const struct strbuf *pem = ca_trust_pem();
        const char *p = pem->len ? pem->buf : NULL, *stop = p ? p + pem->len : NULL;

        sym_ERR_set_mark(); /* this runs in a handshake: its errors stay as they are */
        trusted = sym_OPENSSL_sk_new_null();
        while (trusted && p && p < stop) {
                const char *next = memmem(p + 1, (size_t)(stop - p - 1), begin, sizeof(begin) - 1);
                X509 *x = block_parse(p, (size_t)((next ? next : stop) - p));

                if (x && sym_OPENSSL_sk_push(trusted, x) <= 0) {
                        sym_X509_free(x); /* out of memory: fewer certificates, never more */
                        break;
                }
                p = next;
        }
        sym_ERR_pop_to_mark(); /* the parse's own errors (libcurl reads this queue) */
}

/* OpenSSL's chain check, against our certificates only. */
static int verify_chain(X509_STORE_CTX *xctx, void *arg)
{
        static pthread_once_t once = PTHREAD_ONCE_INIT;

        pthread_once(&once, trusted_parse_once);
        if (!trusted)
                return 0;
        sym_X509_STORE_CTX_set0_trusted_stack(xctx, (STACK_OF(X509) *)trusted);
        return sym_X509_verify_cert(xctx) > 0;
}

static CURLcode ssl_ctx_setup(CURL *h, void *ssl_ctx, void *userdata)
{
        sym_SSL_CTX_set_cert_verify_callback(ssl_ctx, verify_chain, NULL);
        return CURLE_OK;
}

bool ca_trust_attach(CURL *h)
{
        static pthread_once_t once = PTHREAD_ONCE_INIT;

        pthread_once(&once, ssl_load_once);
        if (!ssl_loaded || curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_setup) != CURLE_OK)
                return false;
        curl_easy_setopt(h, CURLOPT_CAINFO, NULL); /* none of curl's own: ours, when needed */
        curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
        return true;
}
