/* SPDX-License-Identifier: Apache-2.0 */
/*
 * appc 0.8.11 isolators: name table, per-kind value parsing and validation, set rules
 * (single-instance kinds, seccomp retain/remove conflict) and Go-shaped output.
 */
#include "isolators.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "json-field.h"
#include "json-util.h"
#include "macro.h"
#include "strv.h"

static const char *const kind_names[_AC_ISOLATOR_KIND_MAX] = {
        [AC_ISOLATOR_RESOURCE_BLOCK_BANDWIDTH] = "resource/block-bandwidth",
        [AC_ISOLATOR_RESOURCE_BLOCK_IOPS] = "resource/block-iops",
        [AC_ISOLATOR_RESOURCE_CPU] = "resource/cpu",
        [AC_ISOLATOR_RESOURCE_MEMORY] = "resource/memory",
        [AC_ISOLATOR_RESOURCE_NETWORK_BANDWIDTH] = "resource/network-bandwidth",
        [AC_ISOLATOR_CAPABILITIES_RETAIN_SET] = "os/linux/capabilities-retain-set",
        [AC_ISOLATOR_CAPABILITIES_REMOVE_SET] = "os/linux/capabilities-remove-set",
        [AC_ISOLATOR_NO_NEW_PRIVILEGES] = "os/linux/no-new-privileges",
        [AC_ISOLATOR_SECCOMP_REMOVE_SET] = "os/linux/seccomp-remove-set",
        [AC_ISOLATOR_SECCOMP_RETAIN_SET] = "os/linux/seccomp-retain-set",
        [AC_ISOLATOR_OOM_SCORE_ADJ] = "os/linux/oom-score-adj",
        [AC_ISOLATOR_CPU_SHARES] = "os/linux/cpu-shares",
        [AC_ISOLATOR_SELINUX_CONTEXT] = "os/linux/selinux-context",
};

static const char *const cap_names[] = {
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_DAC_READ_SEARCH",
        "CAP_FOWNER",
        "CAP_FSETID",
        "CAP_KILL",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETPCAP",
        "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN",
        "CAP_NET_RAW",
        "CAP_IPC_LOCK",
        "CAP_IPC_OWNER",
        "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN",
        "CAP_SYS_BOOT",
        "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG",
        "CAP_MKNOD",
        "CAP_LEASE",
        "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN",
        "CAP_SYSLOG",
        "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ",
        "CAP_PERFMON",
        "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
};

const char *ac_isolator_kind_to_string(enum ac_isolator_kind k)
{
        if (k < 0 || k >= _AC_ISOLATOR_KIND_MAX)
                return NULL;
        return kind_names[k];
}

enum ac_isolator_kind ac_isolator_kind_from_string(const char *s)
{
        for (int k = 0; s && k < _AC_ISOLATOR_KIND_MAX; k++)
                if (strcmp(s, kind_names[k]) == 0)
                        return (enum ac_isolator_kind)k;
        return _AC_ISOLATOR_KIND_INVALID;
}

int ac_capability_from_string(const char *s)
{
        for (size_t i = 0; s && i < ELEMENTSOF(cap_names); i++)
                if (strcmp(s, cap_names[i]) == 0)
                        return (int)i;
        return -EINVAL;
}

const char *ac_capability_to_string(int cap)
{
        if (cap < 0 || (size_t)cap >= ELEMENTSOF(cap_names))
                return NULL;
        return cap_names[cap];
}

static bool kind_is_resource(enum ac_isolator_kind k)
{
        return k <= AC_ISOLATOR_RESOURCE_NETWORK_BANDWIDTH;
}

/* One optional quantity member ("request"/"limit") of a resource value. */
static int resource_quantity(const json_t *v, const char *key, const char *path,
                             struct ac_quantity *ret, struct rk_error **reterr)
{
        _cleanup_free_ char *p = field_join(path, key);
        _cleanup_(rk_error_freep) struct rk_error *err = NULL;
        _cleanup_free_ char *num = NULL;
        const char *s;
        json_t *q;
        int r = jf_get(v, key, path, &q, reterr);

        if (r < 0)
                return r;
        if (!q || json_is_null(q))
                return 0;
        if (json_is_integer(q))
                s = num = xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(q));
        else if (json_is_string(q))
                s = json_string_value(q);
        else
                return field_error(reterr, p, "expected a quantity string");
        if (ac_quantity_parse(s, ret, &err) < 0)
                return field_error(reterr, p, "%s", rk_error_cause(err));
        return 1;
}

static int resource_parse(const json_t *v, const char *path, struct ac_isolator *i,
                          struct rk_error **reterr)
{
        bool must_default =
                !(i->kind == AC_ISOLATOR_RESOURCE_CPU || i->kind == AC_ISOLATOR_RESOURCE_MEMORY);
        int r;

        if (!json_is_object(v))
                return field_error(reterr, path, "expected an object");
        r = jf_bool(v, "default", path, &i->resource.is_default, reterr);
        if (r < 0)
                return r;
        r = resource_quantity(v, "request", path, &i->resource.request, reterr);
        if (r < 0)
                return r;
        r = resource_quantity(v, "limit", path, &i->resource.limit, reterr);
        if (r < 0)
                return r;
        if (i->resource.is_default != must_default)
                return field_error(reterr, path, "default must be %s",
                                   must_default ? "true" : "false");
        if (must_default && i->resource.request.text)
                return field_error(reterr, path,
                                   "request not supported by this resource, must be empty");
        return 0;
}

/* A capability set (the "set" at path): non-empty, known names. */
static int caps_check(char *const *set, const char *path, struct rk_error **reterr)
{
        if (strv_length(set) == 0)
                return field_error(reterr, path, "set must be non-empty");
        for (size_t n = 0; set[n]; n++)
                if (ac_capability_from_string(set[n]) < 0)
                        return field_error(reterr, path, "unknown capability \"%s\"", set[n]);
        return 0;
}

static int caps_parse(const json_t *v, const char *path, struct ac_isolator *i,
                      struct rk_error **reterr)
{
        _cleanup_free_ char *p = field_join(path, "set");
        int r;

        if (!json_is_object(v))
                return field_error(reterr, path, "expected an object");
        r = jf_strv(v, "set", path, &i->caps.set, reterr);
        if (r < 0)
                return r;
        return caps_check(i->caps.set, p, reterr);
}

static int seccomp_parse(const json_t *v, const char *path, struct ac_isolator *i,
                         struct rk_error **reterr)
{
        _cleanup_free_ char *p = field_join(path, "set");
        const char *e;
        int r;

        if (!json_is_object(v))
                return field_error(reterr, path, "expected an object");
        r = jf_strv(v, "set", path, &i->seccomp.set, reterr);
        if (r < 0)
                return r;
        if (strv_length(i->seccomp.set) == 0)
                return field_error(reterr, p, "set must be non-empty");
        r = jf_string(v, "errno", path, &e, reterr);
        if (r < 0)
                return r;
        for (const char *c = e; c && *c; c++)
                if (!isupper((unsigned char)*c))
                        return field_error(reterr, path, "errno must be an upper case string");
        i->seccomp.errno_name = e && *e ? xstrdup(e) : NULL;
        return 0;
}

bool ac_isolator_int_range(enum ac_isolator_kind k, int *ret_min, int *ret_max)
{
        switch (k) {
        case AC_ISOLATOR_OOM_SCORE_ADJ:
                *ret_min = -1000, *ret_max = 1000;
                return true;
        case AC_ISOLATOR_CPU_SHARES:
                *ret_min = 2, *ret_max = 262144;
                return true;
        default:
                return false;
        }
}

/* The value of an integer isolator (kind in ac_isolator_int_range()). */
static int int_value(const json_t *v, const char *path, enum ac_isolator_kind k, int *ret,
                     struct rk_error **reterr)
{
        int min = 0, max = 0;

        (void)ac_isolator_int_range(k, &min, &max);
        if (!json_is_integer(v))
                return field_error(reterr, path, "expected an integer");
        if (json_integer_value(v) < min || json_integer_value(v) > max)
                return field_error(reterr, path,
                                   "must be between %d and %d, got %" JSON_INTEGER_FORMAT, min, max,
                                   json_integer_value(v));
        *ret = (int)json_integer_value(v);
        return 0;
}

static int selinux_member(const json_t *v, const char *key, const char *path, bool colon_ok,
                          char **ret, struct rk_error **reterr)
{
        const char *s;
        int r = jf_string(v, key, path, &s, reterr);

        if (r < 0)
                return r;
        if (!s || !*s || (!colon_ok && strchr(s, ':')))
                return field_error(reterr, path, "invalid %s value \"%s\"", key, s ?: "");
        *ret = xstrdup(s);
        return 0;
}

static int selinux_parse(const json_t *v, const char *path, struct ac_isolator *i,
                         struct rk_error **reterr)
{
        int r;

        if (!json_is_object(v))
                return field_error(reterr, path, "expected an object");
        r = selinux_member(v, "user", path, false, &i->selinux.user, reterr);
        if (r >= 0)
                r = selinux_member(v, "role", path, false, &i->selinux.role, reterr);
        if (r >= 0)
                r = selinux_member(v, "type", path, false, &i->selinux.type, reterr);
        if (r >= 0)
                r = selinux_member(v, "level", path, true, &i->selinux.level, reterr);
        return r;
}

/* Parses the value of an isolator whose kind is already set. */
static int isolator_value_parse(const json_t *v, const char *path, struct ac_isolator *i,
                                struct rk_error **reterr)
{
        switch (i->kind) {
        case AC_ISOLATOR_CAPABILITIES_RETAIN_SET:
        case AC_ISOLATOR_CAPABILITIES_REMOVE_SET:
                return caps_parse(v, path, i, reterr);
        case AC_ISOLATOR_NO_NEW_PRIVILEGES:
                if (!json_is_boolean(v))
                        return field_error(reterr, path, "expected a boolean");
                i->no_new_privileges = json_is_true(v);
                return 0;
        case AC_ISOLATOR_SECCOMP_REMOVE_SET:
        case AC_ISOLATOR_SECCOMP_RETAIN_SET:
                return seccomp_parse(v, path, i, reterr);
        case AC_ISOLATOR_OOM_SCORE_ADJ:
                return int_value(v, path, i->kind, &i->oom_score_adj, reterr);
        case AC_ISOLATOR_CPU_SHARES:
                return int_value(v, path, i->kind, &i->cpu_shares, reterr);
        case AC_ISOLATOR_SELINUX_CONTEXT:
                return selinux_parse(v, path, i, reterr);
        default:
                return resource_parse(v, path, i, reterr);
        }
}

int ac_isolator_parse(const json_t *v, const char *path, struct ac_isolator *ret,
                      struct rk_error **reterr)
{
        _cleanup_(ac_isolator_done) struct ac_isolator i = {.kind = _AC_ISOLATOR_KIND_INVALID};
        _cleanup_free_ char *vpath = field_join(path, "value");
        const char *name;
        json_t *value;
        int r;

        if (!json_is_object(v))
                return field_error(reterr, path, "expected an object");
        r = jf_string(v, "name", path, &name, reterr);
        if (r < 0)
                return r;
        i.kind = ac_isolator_kind_from_string(name);
        if (i.kind < 0)
                return field_error(reterr, path, "unknown isolator name \"%s\"", name ?: "");
        r = jf_get(v, "value", path, &value, reterr);
        if (r < 0)
                return r;
        if (!value)
                return field_error(reterr, vpath, "missing");
        r = isolator_value_parse(value, vpath, &i, reterr);
        if (r < 0)
                return r;
        i.name = xstrdup(name);
        i.value = json_incref(value);
        *ret = i;
        i = (struct ac_isolator){.kind = _AC_ISOLATOR_KIND_INVALID};
        return 0;
}

void ac_isolator_done(struct ac_isolator *i)
{
        if (!i)
                return;
        if (kind_is_resource(i->kind) && i->kind >= 0) {
                free(i->resource.request.text);
                free(i->resource.limit.text);
        } else if (i->kind == AC_ISOLATOR_CAPABILITIES_RETAIN_SET ||
                   i->kind == AC_ISOLATOR_CAPABILITIES_REMOVE_SET) {
                strv_free(i->caps.set);
        } else if (i->kind == AC_ISOLATOR_SECCOMP_REMOVE_SET ||
                   i->kind == AC_ISOLATOR_SECCOMP_RETAIN_SET) {
                strv_free(i->seccomp.set);
                free(i->seccomp.errno_name);
        } else if (i->kind == AC_ISOLATOR_SELINUX_CONTEXT) {
                free(i->selinux.user);
                free(i->selinux.role);
                free(i->selinux.type);
                free(i->selinux.level);
        }
        free(i->name);
        if (i->value)
                json_decref(i->value);
        *i = (struct ac_isolator){.kind = _AC_ISOLATOR_KIND_INVALID};
}

static bool kind_allows_multiple(enum ac_isolator_kind k)
{
        return kind_is_resource(k) || k == AC_ISOLATOR_CAPABILITIES_RETAIN_SET ||
               k == AC_ISOLATOR_CAPABILITIES_REMOVE_SET || k == AC_ISOLATOR_NO_NEW_PRIVILEGES;
}

/* appc's Isolators.assertValid(): instance counts and conflicts. */
static int isolators_check_set(const struct ac_isolator *l, size_t n, const char *path,
                               struct rk_error **reterr)
{
        unsigned count[_AC_ISOLATOR_KIND_MAX] = {};

        for (size_t i = 0; i < n; i++) {
                if (++count[l[i].kind] > 1 && !kind_allows_multiple(l[i].kind))
                        return field_error(reterr, path,
                                           "isolators set contains too many instances of \"%s\"",
                                           l[i].name);
        }
        if (count[AC_ISOLATOR_SECCOMP_REMOVE_SET] && count[AC_ISOLATOR_SECCOMP_RETAIN_SET])
                return field_error(reterr, path, "isolator \"%s\" conflicts with \"%s\"",
                                   kind_names[AC_ISOLATOR_SECCOMP_REMOVE_SET],
                                   kind_names[AC_ISOLATOR_SECCOMP_RETAIN_SET]);
        return 0;
}

int ac_isolators_parse(const json_t *obj, const char *key, const char *parent,
                       struct ac_isolator **ret, size_t *ret_n, struct rk_error **reterr)
{
        _cleanup_free_ char *path = field_join(parent, key);
        struct ac_isolator *l = NULL;
        json_t *arr, *v;
        size_t i, n = 0;
        int r = jf_array(obj, key, parent, &arr, reterr);

        if (r <= 0)
                return r;
        l = xnew0(struct ac_isolator, json_array_size(arr) + 1);
        json_array_foreach(arr, i, v) {
                _cleanup_free_ char *p = field_index(path, i);

                r = ac_isolator_parse(v, p, &l[n], reterr);
                if (r < 0)
                        break;
                n++;
        }
        if (r >= 0)
                r = isolators_check_set(l, n, path, reterr);
        if (r < 0) {
                ac_isolators_free(l, n);
                return r;
        }
        *ret = l;
        *ret_n = n;
        return 1;
}

struct ac_isolator *ac_isolators_free(struct ac_isolator *l, size_t n)
{
        for (size_t i = 0; l && i < n; i++)
                ac_isolator_done(&l[i]);
        free(l);
        return NULL;
}

struct ac_isolator *ac_isolators_copy(const struct ac_isolator *l, size_t n)
{
        struct ac_isolator *c;

        if (n == 0)
                return NULL;
        c = xnew0(struct ac_isolator, n);
        for (size_t i = 0; i < n; i++) {
                _cleanup_json_ json_t *o =
                        json_pack("{s:s,s:O}", "name", l[i].name, "value", l[i].value);
                _cleanup_(rk_error_freep) struct rk_error *err = NULL;

                /* The source was validated when it was parsed, so this cannot fail. */
                if (!o || ac_isolator_parse(oom_check(o), "isolator", &c[i], &err) < 0)
                        abort();
        }
        return c;
}

json_t *ac_isolators_to_json(const struct ac_isolator *l, size_t n)
{
        json_t *a = oom_check(json_array());

        for (size_t i = 0; i < n; i++) {
                json_t *o = oom_check(json_object());

                jset(o, "name", jstr(l[i].name));
                jset(o, "value", l[i].value ? json_incref(l[i].value) : json_null());
                json_array_append_new(a, o);
        }
        return a;
}

int ac_isolators_validate(const struct ac_isolator *l, size_t n, const char *path,
                          struct rk_error **reterr)
{
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *p = field_index(path, i);
                _cleanup_free_ char *vpath = field_join(p, "value");
                _cleanup_(ac_isolator_done) struct ac_isolator check = {.kind = l[i].kind};
                int r;

                if (l[i].kind < 0 || !l[i].name ||
                    ac_isolator_kind_from_string(l[i].name) != l[i].kind)
                        return field_error(reterr, p, "unknown isolator name \"%s\"",
                                           l[i].name ?: "");
                if (!l[i].value)
                        return field_error(reterr, vpath, "missing");
                r = isolator_value_parse(l[i].value, vpath, &check, reterr);
                if (r < 0)
                        return r;
        }
        return isolators_check_set(l, n, path, reterr);
}

/* An isolator of kind with value (a new reference, taken), checked as a parsed one is. */
static int isolator_make(enum ac_isolator_kind kind, json_t *value, const char *path,
                         struct ac_isolator *ret, struct rk_error **reterr)
{
        _cleanup_json_ json_t *v = oom_check(value);
        _cleanup_(ac_isolator_done) struct ac_isolator i = {.kind = kind};
        int r = isolator_value_parse(v, path, &i, reterr);

        if (r < 0)
                return r;
        i.name = xstrdup(kind_names[kind]);
        i.value = TAKE_PTR(v);
        *ret = i;
        i = (struct ac_isolator){.kind = _AC_ISOLATOR_KIND_INVALID};
        return 0;
}

int ac_isolator_new_resource(enum ac_isolator_kind kind, const char *quantity, const char *path,
                             struct ac_isolator *ret, struct rk_error **reterr)
{
        struct ac_quantity q = {};
        int r;

        assert(kind == AC_ISOLATOR_RESOURCE_CPU || kind == AC_ISOLATOR_RESOURCE_MEMORY);
        r = ac_quantity_parse(quantity, &q, reterr);
        if (r < 0)
                return r;
        free(q.text);
        return isolator_make(
                kind,
                json_pack("{s:b,s:s,s:s}", "default", 0, "request", quantity, "limit", quantity),
                path, ret, reterr);
}

int ac_isolator_new_int(enum ac_isolator_kind kind, int64_t value, const char *path,
                        struct ac_isolator *ret, struct rk_error **reterr)
{
        int min, max;
        bool is_int = ac_isolator_int_range(kind, &min, &max);

        assert(is_int);
        (void)is_int;
        return isolator_make(kind, json_integer(value), path, ret, reterr);
}

int ac_isolator_new_caps(enum ac_isolator_kind kind, char *const *set, const char *path,
                         struct ac_isolator *ret, struct rk_error **reterr)
{
        int r;

        assert(kind == AC_ISOLATOR_CAPABILITIES_RETAIN_SET ||
               kind == AC_ISOLATOR_CAPABILITIES_REMOVE_SET);
        r = caps_check(set, path, reterr);
        if (r < 0)
                return r;
        return isolator_make(kind, json_pack("{s:o}", "set", jstrv(set)), path, ret, reterr);
}

int ac_isolator_new_seccomp(enum ac_isolator_kind kind, char *const *set, const char *errno_name,
                            const char *path, struct ac_isolator *ret, struct rk_error **reterr)
{
        assert(kind == AC_ISOLATOR_SECCOMP_RETAIN_SET || kind == AC_ISOLATOR_SECCOMP_REMOVE_SET);
        return isolator_make(kind,
                             json_pack("{s:o,s:s}", "set", jstrv(set), "errno", errno_name ?: ""),
                             path, ret, reterr);
}

int ac_isolators_find_seccomp(const struct ac_isolator *l, size_t n, const struct ac_isolator **ret,
                              struct rk_error **reterr)
{
        *ret = NULL;
        for (size_t i = 0; i < n; i++) {
                if (l[i].kind != AC_ISOLATOR_SECCOMP_REMOVE_SET &&
                    l[i].kind != AC_ISOLATOR_SECCOMP_RETAIN_SET)
                        continue;
                if (*ret)
                        return rk_error_set(reterr, EINVAL, "too many seccomp isolators specified");
                *ret = &l[i];
        }
        return 0;
}
