/* SPDX-License-Identifier: Apache-2.0 */
/* Common macros: cleanup attributes, ownership transfer, array sizes. libc only. */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f)   __attribute__((cleanup(f)))
#define _unused_       __attribute__((unused))
#define _noreturn_     __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _warn_unused_  __attribute__((warn_unused_result))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Take ownership of a pointer: returns its value and sets the variable to NULL. */
#define TAKE_PTR(p)                         \
        ({                                  \
                __typeof__(p) *_pp_ = &(p); \
                __typeof__(p) _p_ = *_pp_;  \
                *_pp_ = NULL;               \
                _p_;                        \
        })

/* Take ownership of an fd: returns its value and sets the variable to -EBADF. */
#define TAKE_FD(fd)                 \
        ({                          \
                int *_pfd_ = &(fd); \
                int _fd_ = *_pfd_;  \
                *_pfd_ = -EBADF;    \
                _fd_;               \
        })

/* Defines func##p(type *p) that calls func(*p) when *p is not NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func) \
        static inline void func##p(type *p)     \
        {                                       \
                if (*p)                         \
                        func(*p);               \
        }

/* Returns -errno of the last failed libc call, or r when r >= 0. */
#define RET_NERRNO(expr)                \
        ({                              \
                int _r_ = (expr);       \
                _r_ < 0 ? -errno : _r_; \
        })

static inline void freep(void *p)
{
        free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

/* Closes fd if valid and returns -EBADF, keeping errno intact. */
static inline int safe_close(int fd)
{
        if (fd >= 0) {
                int saved = errno;
                (void)close(fd);
                errno = saved;
        }
        return -EBADF;
}

static inline void closep(int *fd)
{
        safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f)
{
        if (*f)
                (void)fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Returns x, or exits with a message when x is NULL (out of memory is not recoverable). */
void *oom_check(void *x);
#define xnew0(type, n) ((type *)oom_check(calloc((n), sizeof(type))))
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);
char *xvasprintf(const char *fmt, va_list ap) _printf_(1, 0);

/* In a variadic function whose last named parameter is fmt: its arguments formatted into a
 * malloc'd string (never NULL). */
#define FORMAT_VARARGS(fmt)                  \
        ({                                   \
                va_list _ap_;                \
                char *_s_;                   \
                va_start(_ap_, fmt);         \
                _s_ = xvasprintf(fmt, _ap_); \
                va_end(_ap_);                \
                _s_;                         \
        })
