/* SPDX-License-Identifier: Apache-2.0 */
/* The rk_error message chain. */
#include "error.h"

#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "strbuf.h"

static void error_push_front(struct rk_error *e, char *msg)
{
        e->frames = oom_check(realloc(e->frames, (e->n_frames + 1) * sizeof(char *)));
        memmove(e->frames + 1, e->frames, e->n_frames * sizeof(char *));
        e->frames[0] = msg;
        e->n_frames++;
}

/* Sets *reterr to a new error with message msg (taken), plus strerror when with_errno. */
static bool errno_go_words;

void rk_error_use_go_errno_words(bool go)
{
        errno_go_words = go;
}

static int error_set_msg(struct rk_error **reterr, int errnum, bool with_errno, char *msg)
{
        struct rk_error *e;

        assert(errnum > 0);
        assert(reterr && !*reterr);
        if (with_errno) {
                _cleanup_free_ char *text = errno_go_words ? strerror_go(errnum) : NULL;
                char *full = xasprintf("%s: %s", msg, text ? text : strerror(errnum));
                free(msg);
                msg = full;
        }
        e = xnew0(struct rk_error, 1);
        e->errnum = errnum;
        error_push_front(e, msg);
        *reterr = e;
        return -errnum;
}

int rk_error_set(struct rk_error **reterr, int errnum, const char *fmt, ...)
{
        return error_set_msg(reterr, errnum, false, FORMAT_VARARGS(fmt));
}

int rk_error_set_errno(struct rk_error **reterr, int errnum, const char *fmt, ...)
{
        return error_set_msg(reterr, errnum, true, FORMAT_VARARGS(fmt));
}

int rk_error_wrap(struct rk_error **reterr, const char *fmt, ...)
{
        assert(reterr && *reterr);
        error_push_front(*reterr, FORMAT_VARARGS(fmt));
        return -(*reterr)->errnum;
}

int rk_error_prefix(struct rk_error **reterr, const char *fmt, ...)
{
        _cleanup_free_ char *ctx = NULL, *old = NULL;
        struct rk_error *e;

        assert(reterr && *reterr);
        e = *reterr;
        ctx = FORMAT_VARARGS(fmt);
        old = e->frames[0];
        e->frames[0] = xasprintf("%s: %s", ctx, old);
        return -e->errnum;
}

struct rk_error *rk_error_dup(const struct rk_error *e)
{
        struct rk_error *d = xnew0(struct rk_error, 1);

        *d = *e;
        d->frames = xnew0(char *, e->n_frames);
        for (unsigned i = 0; i < e->n_frames; i++)
                d->frames[i] = xstrdup(e->frames[i]);
        return d;
}

char *rk_error_pack(const struct rk_error *e, size_t *ret_len)
{
        struct strbuf sb = STRBUF_INIT;

        strbuf_printf(&sb, "%d %d\n", e->errnum, e->exit_status);
        for (unsigned i = 0; i < e->n_frames; i++) {
                strbuf_puts(&sb, e->frames[i]);
                strbuf_putc(&sb, '\0');
        }
        *ret_len = sb.len;
        return strbuf_detach(&sb);
}

int rk_error_unpack(const char *buf, size_t len, struct rk_error **reterr)
{
        const char *nl = memchr(buf, '\n', len), *p, *end = buf + len;
        _cleanup_free_ char *head = NULL;
        struct rk_error *e;
        int errnum, status;

        assert(reterr && !*reterr);
        if (nl)
                head = oom_check(strndup(buf, (size_t)(nl - buf)));
        if (!head || sscanf(head, "%d %d", &errnum, &status) != 2 || errnum <= 0 || nl + 1 == end ||
            end[-1] != '\0')
                return rk_error_set(reterr, EBADMSG, "a helper reported a malformed error");
        e = xnew0(struct rk_error, 1);
        e->errnum = errnum;
        e->exit_status = status;
        for (p = nl + 1; p < end; p += strlen(p) + 1) {
                e->frames = oom_check(realloc(e->frames, (e->n_frames + 1) * sizeof(char *)));
                e->frames[e->n_frames++] = xstrdup(p);
        }
        *reterr = e;
        return -errnum;
}

struct rk_error *rk_error_free(struct rk_error *e)
{
        if (!e)
                return NULL;
        for (unsigned i = 0; i < e->n_frames; i++)
                free(e->frames[i]);
        free(e->frames);
        free(e);
        return NULL;
}

const char *rk_error_cause(const struct rk_error *e)
{
        return e->frames[e->n_frames - 1];
}

char *rk_error_render(const struct rk_error *e, bool debug)
{
        struct strbuf sb = STRBUF_INIT;

        strbuf_puts(&sb, e->frames[0]);
        if (e->n_frames == 1)
                return strbuf_detach(&sb);
        if (!debug) {
                strbuf_printf(&sb, ": %s", rk_error_cause(e));
                return strbuf_detach(&sb);
        }
        for (unsigned i = 1; i < e->n_frames; i++)
                strbuf_printf(&sb, "\n%*s└─%s", (int)(2 * i), "", e->frames[i]);
        return strbuf_detach(&sb);
}

int rk_error_exit_status(struct rk_error **reterr, int status)
{
        assert(reterr && *reterr);
        (*reterr)->exit_status = status;
        return -(*reterr)->errnum;
}

char *strerror_go(int errnum)
{
        char *s = xstrdup(strerror(errnum));

        s[0] = (char)tolower((unsigned char)s[0]);
        return s;
}
