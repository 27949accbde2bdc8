/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The error object that carries a user-readable message from where a failure happens up to
 * the CLI (or the metadata service), with context added on the way.
 *
 * Contract of every function that takes `struct rk_error **reterr` as its last parameter:
 *   - it sets *reterr if and only if it returns < 0, and then (*reterr)->errnum == -r;
 *   - *reterr must be NULL on entry.
 * Inside such a function never `return -EFOO;` or `return r;` after a callee that does not
 * set reterr: use rk_error_set*() or return what a reterr-setting callee returned.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

struct rk_error {
        int errnum;    /* positive errno */
        char **frames; /* messages, outermost first */
        unsigned n_frames;
        int exit_status; /* the exit status the failure calls for; 0: the caller's default */
};

/* Sets *reterr to a new error with message fmt. Returns -errnum. errnum must be > 0. */
int rk_error_set(struct rk_error **reterr, int errnum, const char *fmt, ...) _printf_(3, 4);

/*
 * Like rk_error_set(), with ": <strerror(errnum)>" appended to the message: the C library's
 * text ("No such file or directory", what the stage1 prints, as rkt's did), or Go's ("no such
 * file or directory", what rkt's stage0 printed) once rk_error_use_go_errno_words(true).
 */
int rk_error_set_errno(struct rk_error **reterr, int errnum, const char *fmt, ...) _printf_(3, 4);

/* Chooses the errno texts of rk_error_set_errno() for this process (the rkt command: Go's). */
void rk_error_use_go_errno_words(bool go);

/* Adds an outer context message to an error that is already set. Returns -errnum. */
int rk_error_wrap(struct rk_error **reterr, const char *fmt, ...) _printf_(2, 3);

/*
 * Prepends "<context>: " to the outermost message of an error that is already set, keeping
 * one frame (as Go's fmt.Errorf("…: %v", err) does). Returns -errnum.
 */
int rk_error_prefix(struct rk_error **reterr, const char *fmt, ...) _printf_(2, 3);

/*
 * Records in an error that is already set the exit status the failure calls for (for
 * instance 1 for a host volume that does not exist, as rkt's nspawn exited). Returns
 * -errnum, so that `return rk_error_exit_status(reterr, 1);` follows a rk_error_set*().
 */
int rk_error_exit_status(struct rk_error **reterr, int status);

/* A copy of e (every frame, the errno and the exit status), to report one failure again. */
struct rk_error *rk_error_dup(const struct rk_error *e);

/*
 * e as bytes for another process (a helper reporting to its parent): "<errno> <exit
 * status>\n", then every frame, outermost first, each ended by a NUL. Returns a malloc'd
 * buffer of *ret_len bytes.
 */
char *rk_error_pack(const struct rk_error *e, size_t *ret_len);
/*
 * Sets *reterr to the error rk_error_pack() made of buf (len bytes). Returns its -errno, or
 * -EBADMSG (with reterr saying so) when buf is not such an error.
 */
int rk_error_unpack(const char *buf, size_t len, struct rk_error **reterr);
/* NULL-safe; returns NULL. */
struct rk_error *rk_error_free(struct rk_error *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rk_error *, rk_error_free)

/*
 * Renders the error as rkt does: without debug "<outermost>: <innermost>" (just the message
 * when there is one frame); with debug the outermost message then one "└─" line per cause,
 * indented two spaces per level. Returns a malloc'd string without trailing newline.
 */
char *rk_error_render(const struct rk_error *e, bool debug);

/* The innermost message (the cause), never NULL for a set error. */
const char *rk_error_cause(const struct rk_error *e);

/* Go's text for an errno value ("no such file or directory"). malloc'd. */
char *strerror_go(int errnum);
