/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OpenPGP in-process with librnp (Debian's librnp0, opened with dlopen() when a command
 * first needs it: dlopen-util.h): reading ASCII-armored public keys as `rkt trust` shows
 * them, and checking detached signatures (armored or binary) against a keyring of trusted
 * keys (SPEC.md §5.5). No gpg-agent, no keyring home directory: every keyring lives in
 * memory and holds exactly the keys the caller added.
 *
 * Runs in: stage0 (the rkt command), any privilege.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* The most bytes of a key or a signature anyone reads (a larger one is an error). */
#define PGP_MAX_SIZE (1 << 20)

/* A public key (an OpenPGP "entity"): its primary key, subkeys and user IDs. */
struct pgp_key {
        char fingerprint[41]; /* of the primary key: 40 lowercase hex digits */
        char **subkeys;       /* fingerprints of its subkeys, lowercase (strv, may be NULL) */
        char **uids;          /* its user IDs (strv, may be NULL) */
};

void pgp_key_done(struct pgp_key *k);
void pgp_keys_free(struct pgp_key *v, size_t n);

/*
 * Reads the keys of an ASCII-armored OpenPGP public key block (anything else is an error:
 * rkt accepted only armored keys). *ret is an array of *ret_n >= 1 keys, in the order of
 * the block; rkt stores and trusts a file by the first one's fingerprint.
 */
int pgp_keys_read(const void *data, size_t len, struct pgp_key **ret, size_t *ret_n,
                  struct rk_error **reterr);

/*
 * "8B86 DE38 890D DB72 9186  7B02 5210 BD88 8818 2190": a 40-hex fingerprint as rkt prints
 * it (upper case, groups of 4, two spaces in the middle). malloc'd.
 */
char *pgp_fingerprint_format(const char *fingerprint);

/* Trusted keys, in memory. */
struct pgp_keyring;

int pgp_keyring_new(struct pgp_keyring **ret, struct rk_error **reterr);
/* NULL-safe; returns NULL. */
struct pgp_keyring *pgp_keyring_free(struct pgp_keyring *kr);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct pgp_keyring *, pgp_keyring_free)

/*
 * Adds the first key of the armored block data (read from the file what) to kr. Its
 * fingerprint must be fingerprint (the file's name): else "fingerprint mismatch". Errors
 * name what.
 */
int pgp_keyring_add(struct pgp_keyring *kr, const void *data, size_t len, const char *fingerprint,
                    const char *what, struct rk_error **reterr);

/*
 * Checks the detached signature sig (armored or binary) of the bytes of data_fd (all of
 * them, read with pread(): its offset stays) against kr. A good signature counts only when its key
 * (primary or subkey) may sign, is not revoked and has not expired, and neither has its primary
 * key. On success *ret_signer (optional) is the signer's key (its user IDs for rkt's "signature
 * verified:" lines). Errors, rkt's texts where rkt had them: "keystore: no valid signatures
 * found in signature file" (-EBADMSG: empty or garbage), "openpgp: signature made by unknown
 * entity" (-ENOKEY: no key of kr made it), "openpgp: invalid signature: ..." (-EBADMSG), and
 * -EKEYREVOKED / -EKEYEXPIRED / -EPERM for a revoked, expired or non-signing key.
 */
int pgp_verify(struct pgp_keyring *kr, int data_fd, const void *sig, size_t sig_len,
               struct pgp_key *ret_signer, struct rk_error **reterr);

/*
 * pgp_verify() in a thread of its own, so that hashing the data (the whole cost of a check)
 * runs while the caller does other work, before it knows which keys it trusts: librnp asks
 * for the signer's key only once the data is hashed, and the thread then waits for
 * pgp_verify_finish() to give them. data_fd must stay open (and unchanged) until then.
 * *ret is NULL (and 0 returned) when sig cannot be read as a signature: the caller then
 * runs pgp_verify() itself, which reports it.
 */
struct pgp_verify_job;
int pgp_verify_start(int data_fd, const void *sig, size_t sig_len, struct pgp_verify_job **ret,
                     struct rk_error **reterr);
/*
 * Blocks until the data holds more than off bytes or is complete, and returns its size then,
 * or -errno when it never will be complete.
 */
typedef int64_t (*pgp_wait_fn)(void *userdata, uint64_t off);
/* pgp_verify_start() of data_fd while another thread still writes it: each read waits. */
int pgp_verify_start_growing(int data_fd, pgp_wait_fn wait, void *userdata, const void *sig,
                             size_t sig_len, struct pgp_verify_job **ret, struct rk_error **reterr);
/*
 * Gives job the trusted keys kr (exactly the keys pgp_keyring_add() put in it), waits for its
 * end and frees it: the result of pgp_verify(kr, data_fd, sig, ...). kr NULL cancels the job
 * (returns -ECANCELED without reterr). A NULL job returns 0.
 */
int pgp_verify_finish(struct pgp_verify_job *job, const struct pgp_keyring *kr,
                      struct pgp_key *ret_signer, struct rk_error **reterr);

/*
 * Whether a key of kr made some signature in sig, before the signed data is at hand (rkt
 * checked this before downloading an image): 0, or the errors of pgp_verify() for an empty
 * or garbage signature and an unknown signer.
 */
int pgp_check_signer(struct pgp_keyring *kr, const void *sig, size_t sig_len,
                     struct rk_error **reterr);
