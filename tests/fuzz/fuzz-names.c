/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Names and labels: appc identifiers, names, hashes, versions, dates, URLs and quantities
 * (src/schema), the image-name grammar "NAME[:VERSION][,LABEL=VALUE...]" (app_ref_parse()),
 * the image argument of run/fetch (image_arg_classify()), Docker references (src/fetch) and
 * archive member names (path_name_normalise()). The input is one word. What is accepted
 * must be stable: written back in canonical form, it parses to the same thing.
 */
#include <string.h>

#include "docker-ref.h"
#include "fuzz.h"
#include "image-arg.h"
#include "isolators.h"
#include "parse-util.h"
#include "path-util.h"
#include "strbuf.h"
#include "types.h"

#define INPUT_MAX 4096

static void check_ac_types(const char *s)
{
        _cleanup_free_ char *v = ac_semver_normalize(s), *v2 = NULL;

        /* an AC name is an AC identifier (its grammar is a subset) */
        FUZZ_ASSERT(!ac_name_is_valid(s) || ac_identifier_is_valid(s));
        (void)ac_hash_is_valid(s);
        (void)ac_date_is_valid(s);
        (void)ac_url_is_valid(s);
        FUZZ_ASSERT(ac_semver_is_valid(s) == !!v);
        if (v) {
                v2 = ac_semver_normalize(v);
                FUZZ_ASSERT(v2 && strcmp(v, v2) == 0);
        }
}

static void check_app_ref(const char *s)
{
        _cleanup_free_ char *name = NULL, *name2 = NULL;
        struct ac_labels labels = {0}, labels2 = {0};
        struct strbuf sb = STRBUF_INIT;
        struct rk_error *err = NULL;
        int r = app_ref_parse(s, &name, &labels, &err);

        fuzz_check_error(r, &err);
        if (r >= 0) {
                FUZZ_ASSERT(ac_identifier_is_valid(name));
                /* written out with every label spelled out, it reads the same */
                strbuf_puts(&sb, name);
                for (size_t i = 0; i < labels.n; i++) {
                        FUZZ_ASSERT(ac_identifier_is_valid(labels.items[i].name));
                        strbuf_printf(&sb, ",%s=%s", labels.items[i].name, labels.items[i].value);
                }
                r = app_ref_parse(strbuf_str(&sb), &name2, &labels2, &err);
                fuzz_check_error(r, &err);
                FUZZ_ASSERT(r >= 0 && strcmp(name, name2) == 0 && labels.n == labels2.n);
                for (size_t i = 0; i < labels.n; i++)
                        FUZZ_ASSERT(strcmp(labels.items[i].name, labels2.items[i].name) == 0 &&
                                    strcmp(labels.items[i].value, labels2.items[i].value) == 0);
                fuzz_check_error(ac_labels_validate(&labels, "labels", &err), &err);
        }
        strbuf_release(&sb);
        ac_labels_done(&labels);
        ac_labels_done(&labels2);
}

static void check_docker_ref(const char *s)
{
        struct docker_ref ref = {0}, ref2 = {0};
        struct rk_error *err = NULL;
        _cleanup_free_ char *canonical = NULL;
        int r = docker_ref_parse(s, &ref, &err);

        fuzz_check_error(r, &err);
        if (r < 0)
                return;
        FUZZ_ASSERT(ref.registry && ref.repository && (ref.tag || ref.digest));
        FUZZ_ASSERT(docker_ref_reference(&ref));
        canonical = xasprintf("docker://%s/%s%s%s%s%s", ref.registry, ref.repository,
                              ref.tag ? ":" : "", ref.tag ?: "", ref.digest ? "@" : "",
                              ref.digest ?: "");
        r = docker_ref_parse(canonical, &ref2, &err);
        fuzz_check_error(r, &err);
        FUZZ_ASSERT(r >= 0);
        FUZZ_ASSERT(strcmp(ref.registry, ref2.registry) == 0 &&
                    strcmp(ref.repository, ref2.repository) == 0 &&
                    strcmp(ref.tag ?: "", ref2.tag ?: "") == 0 &&
                    strcmp(ref.digest ?: "", ref2.digest ?: "") == 0);
        docker_ref_done(&ref);
        docker_ref_done(&ref2);
}

static void check_member_name(const char *s)
{
        for (unsigned flags = 0; flags <= PATH_NAME_ABSOLUTE; flags++) {
                _cleanup_free_ char *n = NULL, *n2 = NULL;
                _cleanup_free_ char *slashed = NULL;

                if (path_name_normalise(s, flags, &n) < 0)
                        continue;
                /* canonical: no "", "." or ".." component, no leading or trailing '/' */
                slashed = xasprintf("/%s/", n);
                FUZZ_ASSERT(!strstr(slashed, "//") || !n[0]);
                FUZZ_ASSERT(!strstr(slashed, "/./") && !strstr(slashed, "/../"));
                FUZZ_ASSERT(path_name_normalise(n, 0, &n2) >= 0 && strcmp(n, n2) == 0);
                (void)path_limits_error(n);
        }
}

static void check_misc(const char *s)
{
        struct ac_quantity q = {0};
        struct rk_error *err = NULL;
        enum image_arg_kind kind;
        _cleanup_free_ char *value = NULL;
        int cap = ac_capability_from_string(s), r;
        uint64_t size;

        FUZZ_ASSERT(cap < 0 || strcmp(ac_capability_to_string(cap), s) == 0);
        r = ac_quantity_parse(s, &q, &err);
        fuzz_check_error(r, &err);
        free(q.text);
        (void)parse_size_iec(s, &size);
        (void)image_arg_classify(s, &kind, &value);
        FUZZ_ASSERT(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *s = NULL;

        if (size > INPUT_MAX)
                return 0;
        s = fuzz_string(data, size);
        check_ac_types(s);
        check_app_ref(s);
        check_docker_ref(s);
        check_member_name(s);
        check_misc(s);
        return 0;
}
