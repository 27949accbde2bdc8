/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the precompiled seccomp programs (src/shared/seccomp-precompiled.h): each is
 * byte for byte what libseccomp makes of its set today (so a change of libseccomp or of the
 * call tables cannot leave the stage1 loading a stale filter), seccomp_set_compile() uses
 * them exactly for their sets, and loaded they filter as the sets say.
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seccomp-precompiled.h"
#include "seccomp-set.h"
#include "strv.h"
#include "tap.h"

static void free_prog(struct sock_fprog *p)
{
        free(p->filter);
        p->filter = NULL;
}

static void assert_prog_eq(const struct sock_fprog *a, const struct sock_filter *b, size_t len)
{
        ASSERT_EQ(a->len, len);
        for (size_t i = 0; i < len; i++)
                if (memcmp(&a->filter[i], &b[i], sizeof(b[i])) != 0)
                        TAP_FAIL("instruction %zu: {0x%x, %u, %u, 0x%x}, expected {0x%x, %u, %u, "
                                 "0x%x}",
                                 i, a->filter[i].code, a->filter[i].jt, a->filter[i].jf,
                                 a->filter[i].k, b[i].code, b[i].jt, b[i].jf, b[i].k);
}

TEST(every_set_is_precompiled)
{
        size_t n = 0;

        for (const struct seccomp_precompiled *p = seccomp_precompiled; p->name; p++, n++)
                if (p->len == 0)
                        TAP_FAIL("%s was not precompiled (see the generator's warning)", p->name);
        if (n == 0)
                TEST_SKIP("no precompiled programs (a cross build)");
        ASSERT_EQ(n, 2);
}

TEST(precompiled_equals_libseccomp)
{
        for (const struct seccomp_precompiled *p = seccomp_precompiled; p->name; p++) {
                struct seccomp_set s = {0};
                struct sock_fprog prog = {0};

                p->make(&s);
                ASSERT_OK(seccomp_set_compile_libseccomp(&s, &prog));
                printf("# %s: %u instructions\n", p->name, prog.len);
                assert_prog_eq(&prog, p->prog, p->len);
                free_prog(&prog);
                seccomp_set_done(&s);
        }
}

/* seccomp_set_compile() of a set: the precompiled entry it used (NULL: libseccomp's). */
static const struct seccomp_precompiled *compile_checked(const struct seccomp_set *s)
{
        const struct seccomp_precompiled *p = seccomp_precompiled_find(s);
        struct sock_fprog got = {0}, want = {0};

        ASSERT_OK(seccomp_set_compile(s, &got));
        ASSERT_OK(seccomp_set_compile_libseccomp(s, &want));
        assert_prog_eq(&got, want.filter, want.len);
        free_prog(&got);
        free_prog(&want);
        return p;
}

TEST(default_set_uses_the_precompiled_program)
{
        struct seccomp_set s = {0};
        const struct seccomp_precompiled *p;

        if (!seccomp_precompiled[0].name)
                TEST_SKIP("no precompiled programs (a cross build)");
        seccomp_set_default(&s);
        p = compile_checked(&s);
        ASSERT_NOT_NULL(p);
        ASSERT_STREQ(p->name, "default");
        seccomp_set_done(&s);
}

TEST(same_set_from_an_isolator_is_precompiled_too)
{
        char item[] = "@rkt/default-whitelist", call[] = "add_key", c2[] = "request_key",
             c3[] = "keyctl";
        char *items[] = {item, NULL}, *calls[] = {call, c2, c3, NULL};
        struct seccomp_set s = {0};
        const struct seccomp_precompiled *p;

        if (!seccomp_precompiled[0].name)
                TEST_SKIP("no precompiled programs (a cross build)");
        ASSERT_OK(seccomp_set_from_items(true, items, NULL, &s, NULL));
        p = compile_checked(&s);
        ASSERT_NOT_NULL(p);
        ASSERT_STREQ(p->name, "default");
        seccomp_set_done(&s);
        /* the keyrings filter as stage1 defined it before it had a name */
        ASSERT_OK(seccomp_set_from_items(false, calls, "EPERM", &s, NULL));
        p = compile_checked(&s);
        ASSERT_NOT_NULL(p);
        ASSERT_STREQ(p->name, "deny_keyrings");
        seccomp_set_done(&s);
}

TEST(other_sets_are_compiled_by_libseccomp)
{
        char w[] = "@rkt/default-whitelist", stat[] = "stat", eperm[] = "EPERM";
        char *retain_default[] = {w, NULL}, *remove_stat[] = {stat, NULL};
        struct seccomp_set s = {0};

        /* the default whitelist with an errno instead of the kill */
        ASSERT_OK(seccomp_set_from_items(true, retain_default, eperm, &s, NULL));
        ASSERT_NULL(compile_checked(&s));
        seccomp_set_done(&s);
        ASSERT_OK(seccomp_set_from_items(false, remove_stat, NULL, &s, NULL));
        ASSERT_NULL(compile_checked(&s));
        seccomp_set_done(&s);
        /* one call more than the default */
        seccomp_set_default(&s);
        strv_push(&s.calls, "ptrace");
        ASSERT_NULL(compile_checked(&s));
        seccomp_set_done(&s);
}

/* Runs call(nr) in a child under the set's compiled program: its wait status, or (exited)
 * errno << 8 when the call failed. */
static int status_under(void (*make)(struct seccomp_set *), long nr)
{
        struct seccomp_set s = {0};
        struct sock_fprog prog = {0};
        int status = -1;
        pid_t pid;

        make(&s);
        ASSERT_OK(seccomp_set_compile(&s, &prog));
        seccomp_set_done(&s);
        fflush(stdout);
        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
                    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
                        _exit(99);
                _exit(syscall(nr, 0, 0, 0, 0, 0) < 0 ? errno : 0);
        }
        free_prog(&prog);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        return status;
}

TEST(precompiled_programs_filter)
{
        int st;

        st = status_under(seccomp_set_default, SYS_getppid);
        ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        st = status_under(seccomp_set_default, SYS_ptrace);
        ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
        st = status_under(seccomp_set_default, SYS_clone3); /* the C library falls back */
        ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == ENOSYS);
        st = status_under(seccomp_set_deny_keyrings, SYS_keyctl);
        ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == EPERM);
        st = status_under(seccomp_set_deny_keyrings, SYS_getppid);
        ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

TAP_MAIN
