/* SPDX-License-Identifier: Apache-2.0 */
/*
 * appc 0.8.11 isolators: the known names, their value schemas, Kubernetes-style resource
 * quantities and Linux capability names. An isolator keeps its raw JSON value (written back
 * verbatim, as Go's json.RawMessage does) plus the parsed, validated data.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum ac_isolator_kind {
        AC_ISOLATOR_RESOURCE_BLOCK_BANDWIDTH,
        AC_ISOLATOR_RESOURCE_BLOCK_IOPS,
        AC_ISOLATOR_RESOURCE_CPU,
        AC_ISOLATOR_RESOURCE_MEMORY,
        AC_ISOLATOR_RESOURCE_NETWORK_BANDWIDTH,
        AC_ISOLATOR_CAPABILITIES_RETAIN_SET,
        AC_ISOLATOR_CAPABILITIES_REMOVE_SET,
        AC_ISOLATOR_NO_NEW_PRIVILEGES,
        AC_ISOLATOR_SECCOMP_REMOVE_SET,
        AC_ISOLATOR_SECCOMP_RETAIN_SET,
        AC_ISOLATOR_OOM_SCORE_ADJ,
        AC_ISOLATOR_CPU_SHARES,
        AC_ISOLATOR_SELINUX_CONTEXT,
        _AC_ISOLATOR_KIND_MAX,
        _AC_ISOLATOR_KIND_INVALID = -EINVAL,
};

/* "resource/cpu", "os/linux/capabilities-retain-set", ...; NULL for an invalid kind. */
const char *ac_isolator_kind_to_string(enum ac_isolator_kind k);
/* The kind for a name, or _AC_ISOLATOR_KIND_INVALID for names appc does not know. */
enum ac_isolator_kind ac_isolator_kind_from_string(const char *s);

/* A resource quantity such as "25Mi", "500m", "1G", "1.5", "2e3". */
struct ac_quantity {
        char *text;          /* as written */
        int64_t value;       /* in base units, rounded up; saturates at INT64_MAX/MIN */
        int64_t milli_value; /* in thousandths, rounded up; saturates likewise */
};

/*
 * Parses a Kubernetes quantity: [+-]DIGITS[.DIGITS] followed by nothing, a binary suffix
 * (Ki Mi Gi Ti Pi Ei), a decimal suffix (n u m k M G T P E) or an exponent (e3, E-2).
 * Returns 0 and fills *ret (ret->text malloc'd), or -EINVAL and sets reterr.
 */
int ac_quantity_parse(const char *s, struct ac_quantity *ret, struct rk_error **reterr);

/* The capability number (0..40) for a name such as "CAP_SYS_ADMIN", or -EINVAL. */
int ac_capability_from_string(const char *s);
/* The name of capability number cap, or NULL when unknown. */
const char *ac_capability_to_string(int cap);

struct ac_isolator {
        char *name;
        json_t *value; /* the raw value (owned reference), written back as is */
        enum ac_isolator_kind kind;
        union {
                struct {
                        bool is_default;
                        struct ac_quantity request; /* text == NULL when absent */
                        struct ac_quantity limit;   /* text == NULL when absent */
                } resource;
                struct {
                        char **set; /* capability names, validated */
                } caps;
                bool no_new_privileges;
                struct {
                        char **set;       /* syscall names or groups, as written */
                        char *errno_name; /* NULL when absent or empty */
                } seccomp;
                int oom_score_adj; /* -1000..1000 */
                int cpu_shares;    /* 2..262144 */
                struct {
                        char *user, *role, *type, *level;
                } selinux;
        };
};

/*
 * Parses one {"name": ..., "value": ...} isolator at path (e.g. "app.isolators[0]"). The
 * name must be a known isolator; the value must match its schema. Returns 0 and fills *ret
 * (free with ac_isolator_done()), or -EINVAL and sets reterr naming the field.
 */
int ac_isolator_parse(const json_t *v, const char *path, struct ac_isolator *ret,
                      struct rk_error **reterr);

/* Frees the contents of i (not i itself) and resets it. NULL-safe. */
void ac_isolator_done(struct ac_isolator *i);

/*
 * Parses the isolators array member key of obj (absent/null gives zero isolators), then
 * checks the set: isolators that allow one instance (seccomp sets, oom-score-adj,
 * cpu-shares, selinux-context) appear at most once, and the seccomp retain and remove sets
 * do not both appear. Returns 1 when present, 0 when absent, or -EINVAL with reterr set.
 */
int ac_isolators_parse(const json_t *obj, const char *key, const char *parent,
                       struct ac_isolator **ret, size_t *ret_n, struct rk_error **reterr);

/* Frees an array of n isolators. NULL-safe; returns NULL. */
struct ac_isolator *ac_isolators_free(struct ac_isolator *l, size_t n);

/* Deep copy of an array of n isolators (NULL when n == 0). */
struct ac_isolator *ac_isolators_copy(const struct ac_isolator *l, size_t n);

/*
 * Checks n isolators made in memory with the rules ac_isolators_parse() applies: known
 * names, each value valid for its kind, the set rules. Errors name "<path>[i]...".
 * Returns 0, or -EINVAL with reterr set.
 */
int ac_isolators_validate(const struct ac_isolator *l, size_t n, const char *path,
                          struct rk_error **reterr);

/* The bounds of the integer isolators (oom-score-adj, cpu-shares); false for other kinds. */
bool ac_isolator_int_range(enum ac_isolator_kind k, int *ret_min, int *ret_max);

/*
 * Constructors, as appc's New*() functions marshal the value; the result is what
 * ac_isolator_parse() gives for it (free with ac_isolator_done()). Errors name path (the
 * value, e.g. "--caps-retain"). Return 0, or -EINVAL with reterr set.
 *
 * ac_isolator_new_resource(): resource/cpu or resource/memory with request = limit =
 * quantity and "default" false ({"default":false,"request":Q,"limit":Q}); a bad quantity
 * fails as ac_quantity_parse() does.
 * ac_isolator_new_int(): os/linux/cpu-shares or os/linux/oom-score-adj with value, within
 * ac_isolator_int_range().
 * ac_isolator_new_caps(): os/linux/capabilities-retain-set or -remove-set {"set":[...]}: a
 * non-empty list of known capability names.
 * ac_isolator_new_seccomp(): os/linux/seccomp-retain-set or -remove-set {"set":[...],
 * "errno":E} (E "" when errno_name is NULL): a non-empty set, an upper-case errno name.
 */
int ac_isolator_new_resource(enum ac_isolator_kind kind, const char *quantity, const char *path,
                             struct ac_isolator *ret, struct rk_error **reterr);
int ac_isolator_new_int(enum ac_isolator_kind kind, int64_t value, const char *path,
                        struct ac_isolator *ret, struct rk_error **reterr);
int ac_isolator_new_caps(enum ac_isolator_kind kind, char *const *set, const char *path,
                         struct ac_isolator *ret, struct rk_error **reterr);
int ac_isolator_new_seccomp(enum ac_isolator_kind kind, char *const *set, const char *errno_name,
                            const char *path, struct ac_isolator *ret, struct rk_error **reterr);

/* A Go-shaped array [{"name","value"}] (new reference). */
json_t *ac_isolators_to_json(const struct ac_isolator *l, size_t n);

/*
 * The one seccomp isolator (retain-set or remove-set) among l, or NULL in *ret; more than
 * one is "too many seccomp isolators specified" (rkt's error).
 */
int ac_isolators_find_seccomp(const struct ac_isolator *l, size_t n, const struct ac_isolator **ret,
                              struct rk_error **reterr);
