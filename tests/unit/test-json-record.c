/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for src/shared/json-record.h: records through field tables. */
#include <stdlib.h>
#include <string.h>

#include "json-record.h"
#include "json-util.h"
#include "strv.h"
#include "tap.h"

struct inner {
        bool flag;
};

struct rec {
        char *name;
        bool on;
        char **list;
        json_t *any;
        struct inner inner;
        char *ours;
};

#define F(name, type, member, ...) JSON_RECORD_FIELD(name, type, struct rec, member, __VA_ARGS__)

static const struct json_record_field inner_fields[] = {
        JSON_RECORD_FIELD("Flag", BOOL, struct inner, flag),
        {NULL},
};

static const struct json_record_field fields[] = {
        F("name", STRING, name),
        F("on", BOOL, on),
        F("list", STRV, list),
        F("any", JSON, any),
        F("inner", OBJECT, inner, inner_fields),
        F("ours", STRING, ours, NULL, JSON_RECORD_OURS),
        {NULL},
};

/* text parsed into *r: 0 or the error (*why, malloc'd). */
static int parse(const char *text, struct rec *r, char **why)
{
        _cleanup_json_ json_t *j = json_load_strict(text, strlen(text), JSON_DECODE_ANY, why);

        *r = (struct rec){0};
        ASSERT_NOT_NULL(j);
        return json_record_parse(fields, j, NULL, r, why);
}

static char *build(const struct rec *r, enum json_record_form form)
{
        _cleanup_json_ json_t *j = json_record_build(fields, r, form);

        return json_dump_go(j, false);
}

TEST(round_trip_keeps_table_order_and_values)
{
        static const char text[] =
                "{\"name\":\"n\",\"on\":true,\"list\":[\"a\",\"b\"],"
                "\"any\":{\"x\":[1,2]},\"inner\":{\"Flag\":true},\"ours\":\"o\"}";
        _cleanup_free_ char *why = NULL, *out = NULL;
        struct rec r;

        ASSERT_OK(parse(text, &r, &why));
        ASSERT_STREQ(r.name, "n");
        ASSERT_TRUE(r.on && r.inner.flag);
        ASSERT_EQ(strv_length(r.list), 2);
        out = build(&r, JSON_RECORD_DISK);
        ASSERT_STREQ(out, text);
        json_record_done(fields, &r);
        ASSERT_NULL(r.name);
        ASSERT_NULL(r.list);
        ASSERT_NULL(r.any);
}

TEST(absent_members_are_left_out_on_disk_and_empty_in_rkts_form)
{
        _cleanup_free_ char *disk = NULL, *rkt = NULL;
        struct rec r = {0};

        disk = build(&r, JSON_RECORD_DISK);
        ASSERT_STREQ(disk, "{\"on\":false,\"inner\":{\"Flag\":false}}");
        r.ours = xstrdup("o");
        rkt = build(&r, JSON_RECORD_RKT);
        ASSERT_STREQ(rkt, "{\"name\":\"\",\"on\":false,\"list\":[],\"any\":null,"
                          "\"inner\":{\"Flag\":false}}");
        json_record_done(fields, &r);
}

TEST(keys_match_as_go_did_and_unknown_ones_are_ignored)
{
        _cleanup_free_ char *why = NULL;
        struct rec r;

        ASSERT_OK(parse("{\"NAME\":\"n\",\"On\":true,\"inner\":{\"flag\":true},\"x\":1,"
                        "\"list\":null}",
                        &r, &why));
        ASSERT_STREQ(r.name, "n");
        ASSERT_TRUE(r.on && r.inner.flag);
        ASSERT_NULL(r.list);
        json_record_done(fields, &r);
}

TEST(errors_name_the_member)
{
        static const struct {
                const char *text, *why;
        } cases[] = {
                {"{\"name\":1}", "name: expected a string"},
                {"{\"on\":\"yes\"}", "on: expected a boolean"},
                {"{\"list\":[\"a\",1]}", "list: expected an array of strings"},
                {"{\"inner\":{\"Flag\":0}}", "inner.Flag: expected a boolean"},
                {"{\"inner\":[]}", "inner: expected an object"},
                {"{\"name\":\"a\",\"Name\":\"b\"}", "duplicate key"},
                {"[]", "expected an object"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *why = NULL;
                struct rec r;

                ASSERT_ERRNO(parse(cases[i].text, &r, &why), EINVAL);
                ASSERT_CONTAINS(why, cases[i].why);
                json_record_done(fields, &r);
        }
}

TEST(arrays_of_records)
{
        static const char text[] = "[{\"name\":\"a\"},{\"name\":\"b\",\"on\":true}]";
        _cleanup_json_ json_t *j = json_loads(text, 0, NULL), *bad = json_loads("[{}, 3]", 0, NULL);
        _cleanup_json_ json_t *out = NULL;
        _cleanup_free_ char *why = NULL, *dump = NULL;
        struct rec *v = NULL;
        void *recs;
        size_t n;

        ASSERT_OK(json_record_parse_array(fields, j, sizeof(struct rec), &recs, &n, &why));
        v = recs;
        ASSERT_EQ(n, 2);
        ASSERT_STREQ(v[1].name, "b");
        ASSERT_TRUE(v[1].on);
        out = json_record_build_array(fields, v, n, sizeof(*v), JSON_RECORD_DISK);
        dump = json_dump_go(out, false);
        ASSERT_STREQ(dump, "[{\"name\":\"a\",\"on\":false,\"inner\":{\"Flag\":false}},"
                           "{\"name\":\"b\",\"on\":true,\"inner\":{\"Flag\":false}}]");
        json_record_array_free(fields, v, n, sizeof(*v));
        ASSERT_ERRNO(json_record_parse_array(fields, bad, sizeof(struct rec), &recs, &n, &why),
                     EINVAL);
        ASSERT_STREQ(why, "[1]: expected an object");
        free(why);
        why = NULL;
        ASSERT_ERRNO(json_record_parse_array(fields, json_object_get(j, "x"), sizeof(struct rec),
                                             &recs, &n, &why),
                     EINVAL);
        ASSERT_STREQ(why, "expected an array");
}

TAP_MAIN
