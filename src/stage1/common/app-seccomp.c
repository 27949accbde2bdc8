/* SPDX-License-Identifier: Apache-2.0 */
/* The seccomp filter of an app (see app-seccomp.h). Runs in: the native stage1. */
#include "app-seccomp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <sys/prctl.h>

#include "seccomp-set.h"

/* What starting the app still calls once the filter is loaded (app-exec.c). */
static const char *const needed_after_load[] = {"capset", "prctl", "execve", NULL};
/* What the keyring filter blocks (seccomp_set_deny_keyrings()). */
static const char *const keyring_calls[] = {"add_key", "request_key", "keyctl", NULL};

static bool blocks_all(const struct seccomp_set *s, const char *const *calls)
{
        for (const char *const *c = calls; *c; c++)
                if (seccomp_set_allows(s, *c))
                        return false;
        return true;
}

int app_seccomp_set(const struct ac_app *app, struct seccomp_set *ret, struct rk_error **reterr)
{
        const struct ac_isolator *iso = NULL;
        int r = ac_isolators_find_seccomp(app->isolators, app->n_isolators, &iso, reterr);

        if (r < 0)
                return r;
        if (!iso) {
                seccomp_set_default(ret);
                return 0;
        }
        return seccomp_set_from_items(iso->kind == AC_ISOLATOR_SECCOMP_RETAIN_SET, iso->seccomp.set,
                                      iso->seccomp.errno_name, ret, reterr);
}

int app_seccomp_compile(const struct ac_app *app, bool disabled, struct app_seccomp *ret,
                        struct rk_error **reterr)
{
        struct seccomp_set s = {0};
        int r;

        *ret = (struct app_seccomp){0};
        r = app_seccomp_set(app, &s, reterr);
        if (r < 0)
                return r;
        for (const char *const *c = needed_after_load; r >= 0 && *c; c++)
                if (!seccomp_set_allows(&s, *c))
                        r = rk_error_set(reterr, EINVAL,
                                         "the seccomp filter blocks %s, which starting the app "
                                         "needs",
                                         *c);
        if (r >= 0 && !disabled && s.filter) {
                r = seccomp_set_compile(&s, &ret->prog);
                if (r < 0)
                        r = rk_error_set_errno(reterr, -r, "compiling the seccomp filter");
                else {
                        ret->enabled = true;
                        ret->blocks_keyrings = blocks_all(&s, keyring_calls);
                }
        }
        seccomp_set_done(&s);
        return r;
}

void app_seccomp_done(struct app_seccomp *s)
{
        free(s->prog.filter);
        *s = (struct app_seccomp){0};
}

int app_seccomp_load(const struct app_seccomp *s)
{
        if (!s || !s->enabled)
                return 0;
        return RET_NERRNO(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &s->prog, 0, 0));
}
