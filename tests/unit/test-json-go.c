/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for src/shared/json-util: Go encoding/json compatible output. */
#include <errno.h>
#include <string.h>

#include "json-util.h"
#include "tap.h"

/* Loads text with jansson, dumps it Go-style, compares with expected. */
static void check_dump(const char *text, bool pretty, const char *expected)
{
        _cleanup_json_ json_t *v = NULL;
        _cleanup_free_ char *out = NULL;
        json_error_t err;

        v = json_loads(text, JSON_DECODE_ANY, &err);
        if (!v)
                TAP_FAIL("cannot parse %s: %s", text, err.text);
        out = json_dump_go(v, pretty);
        ASSERT_STREQ(out, expected);
}

static void check_float(double d, const char *expected)
{
        char buf[32];

        json_format_go_float(d, buf);
        ASSERT_STREQ(buf, expected);
}

TEST(compact_has_no_spaces)
{
        check_dump("{ \"a\" : 1 , \"b\" : [ 1, 2, {\"c\": null} ], \"d\": true, \"e\": false }",
                   false, "{\"a\":1,\"b\":[1,2,{\"c\":null}],\"d\":true,\"e\":false}");
}

TEST(keys_keep_insertion_order)
{
        check_dump("{\"z\":1,\"a\":2,\"m\":3}", false, "{\"z\":1,\"a\":2,\"m\":3}");
}

TEST(keys_keep_insertion_order_when_built)
{
        _cleanup_json_ json_t *o = json_object();
        _cleanup_free_ char *out = NULL;

        json_object_set_new(o, "zeta", json_integer(1));
        json_object_set_new(o, "alpha", json_integer(2));
        json_object_set_new(o, "mid", json_string("x"));
        out = json_dump_go(o, false);
        ASSERT_STREQ(out, "{\"zeta\":1,\"alpha\":2,\"mid\":\"x\"}");
}

TEST(pretty_uses_tabs_and_colon_space)
{
        check_dump("{\"a\":1,\"b\":[1,{\"c\":\"d\"}],\"e\":{}}", true,
                   "{\n\t\"a\": 1,\n\t\"b\": [\n\t\t1,\n\t\t{\n\t\t\t\"c\": \"d\"\n\t\t}\n\t],"
                   "\n\t\"e\": {}\n}");
}

TEST(empty_containers_both_forms)
{
        check_dump("{}", false, "{}");
        check_dump("{}", true, "{}");
        check_dump("[]", false, "[]");
        check_dump("[]", true, "[]");
        check_dump("{\"a\":[],\"b\":{}}", true, "{\n\t\"a\": [],\n\t\"b\": {}\n}");
        check_dump("[[],{}]", false, "[[],{}]");
}

TEST(scalars_at_top_level)
{
        check_dump("\"x\"", false, "\"x\"");
        check_dump("42", false, "42");
        check_dump("-7", true, "-7");
        check_dump("null", false, "null");
        check_dump("true", true, "true");
}

TEST(html_characters_are_escaped)
{
        check_dump("\"<a href='x'>&amp;</a>\"", false,
                   "\"\\u003ca href='x'\\u003e\\u0026amp;\\u003c/a\\u003e\"");
}

TEST(quote_and_backslash_are_escaped)
{
        check_dump("\"a\\\"b\\\\c/d\"", false, "\"a\\\"b\\\\c/d\"");
}

TEST(short_escapes_for_newline_return_tab)
{
        check_dump("\"a\\nb\\rc\\td\"", false, "\"a\\nb\\rc\\td\"");
}

TEST(other_control_characters_use_u00xx)
{
        check_dump("\"\\u0001\\b\\f\\u001f\\u007f\"", false,
                   "\"\\u0001\\u0008\\u000c\\u001f\x7f\"");
}

TEST(line_separators_are_escaped)
{
        check_dump("\"a\\u2028b\\u2029c\"", false, "\"a\\u2028b\\u2029c\"");
}

TEST(non_ascii_is_kept_as_utf8)
{
        check_dump("\"h\\u00e9llo \\u4e16\\ud83d\\ude00\"", false,
                   "\"h\xc3\xa9llo \xe4\xb8\x96\xf0\x9f\x98\x80\"");
}

TEST(invalid_utf8_becomes_replacement_char)
{
        _cleanup_json_ json_t *s = json_stringn_nocheck("a\xff"
                                                        "b\xc3",
                                                        4);
        _cleanup_free_ char *out = json_dump_go(s, false);

        ASSERT_STREQ(out, "\"a\\ufffdb\\ufffd\"");
}

TEST(escaped_keys)
{
        check_dump("{\"<k>\":\"\\n\"}", true, "{\n\t\"\\u003ck\\u003e\": \"\\n\"\n}");
}

TEST(integers_print_as_integers)
{
        check_dump("[0,1,-1,9007199254740993,-9223372036854775808]", false,
                   "[0,1,-1,9007199254740993,-9223372036854775808]");
}

TEST(reals_print_like_go_float64)
{
        check_float(0.5, "0.5");
        check_float(1.0, "1");
        check_float(-2.25, "-2.25");
        check_float(0.1, "0.1");
        check_float(1.0 / 3.0, "0.3333333333333333");
        check_float(100.0, "100");
        check_float(123456789.0, "123456789");
        check_float(1e20, "100000000000000000000");
        check_float(1e21, "1e+21");
        check_float(1.5e300, "1.5e+300");
        check_float(0.000001, "0.000001");
        check_float(0.0000001, "1e-7");
        check_float(1.25e-10, "1.25e-10");
        check_float(0.0, "0");
        check_float(-0.0, "-0");
        check_float(5e-324, "5e-324");
        check_float(1.7976931348623157e308, "1.7976931348623157e+308");
        check_float(123.456, "123.456");
}

TEST(reals_inside_documents)
{
        check_dump("[1.5, 2.0, 1e21, 1E-7, 0.000123]", false, "[1.5,2,1e+21,1e-7,0.000123]");
}

TEST(deep_nesting_pretty)
{
        check_dump("[[[1]]]", true, "[\n\t[\n\t\t[\n\t\t\t1\n\t\t]\n\t]\n]");
}

TEST(no_trailing_newline)
{
        _cleanup_json_ json_t *v = json_pack("{s:i}", "a", 1);
        _cleanup_free_ char *out = json_dump_go(v, true);

        ASSERT_TRUE(out[strlen(out) - 1] == '}');
}

/* ---- keys as Go's encoding/json matched them ---- */

TEST(key_matching_is_gos)
{
        ASSERT_TRUE(json_key_matches("name", "name"));
        ASSERT_TRUE(json_key_matches("Name", "name"));
        ASSERT_TRUE(json_key_matches("IPMASQ", "ipMasq"));
        ASSERT_TRUE(json_key_matches("\xe2\x84\xaa"
                                     "ind",
                                     "kind")); /* KELVIN SIGN */
        ASSERT_TRUE(json_key_matches("\xc5\xbf"
                                     "et",
                                     "set")); /* LONG S */
        ASSERT_FALSE(json_key_matches("names", "name"));
        ASSERT_FALSE(json_key_matches("nam", "name"));
        ASSERT_FALSE(json_key_matches("n\xc3\xa1me", "name"));
        ASSERT_FALSE(json_key_matches("stage1_images", "stage1-images"));
        ASSERT_TRUE(json_key_matches("Stage1-Images", "stage1-images"));
}

static json_t *load(const char *text)
{
        _cleanup_free_ char *why = NULL;
        json_t *v = json_load_strict(text, strlen(text), JSON_DECODE_ANY, &why);

        if (!v)
                TAP_FAIL("cannot parse %s: %s", text, why);
        return v;
}

TEST(field_get_exact_then_folded_and_duplicates)
{
        _cleanup_json_ json_t *one = load("{\"Name\": \"x\", \"other\": 1}");
        _cleanup_json_ json_t *two = load("{\"Name\": \"x\", \"name\": \"y\"}");
        _cleanup_json_ json_t *folds = load("{\"NAME\": \"x\", \"nAmE\": \"y\"}");
        _cleanup_free_ char *why = NULL;
        json_t *v;

        ASSERT_EQ(json_field_get(one, "name", &v, &why), 1);
        ASSERT_STREQ(json_string_value(v), "x");
        ASSERT_EQ(json_field_get(one, "absent", &v, &why), 0);
        ASSERT_NULL(v);
        ASSERT_EQ(json_field_get(two, "name", &v, &why), -EEXIST);
        ASSERT_STREQ(why, "duplicate key \"Name\" (the same field as \"name\")");
        free(why);
        why = NULL;
        ASSERT_EQ(json_field_get(folds, "name", &v, NULL), -EEXIST);
}

TEST(canonicalise_renames_fields_at_every_level_and_keeps_maps)
{
        static const struct json_field_spec range[] = {{"subnet"}, {NULL}};
        static const struct json_field_spec ipam[] = {{"type"}, {"ranges", range}, {NULL}};
        static const struct json_field_spec plugin[] = {{"type"}, {"capabilities"}, {NULL}};
        static const struct json_field_spec conf[] = {
                {"name"}, {"ipMasq"}, {"ipam", ipam}, {"plugins", plugin}, {NULL},
        };
        _cleanup_json_ json_t *v =
                load("{\"Name\":\"n\",\"IpMasq\":true,\"Ipam\":{\"Type\":\"host-local\","
                     "\"Ranges\":[[{\"Subnet\":\"10.0.0.0/8\"}]]},\"Plugins\":[{\"TYPE\":\"x\","
                     "\"Capabilities\":{\"PortMappings\":true}}],\"Unknown\":1}");
        _cleanup_json_ json_t *dup = load("{\"plugins\":[{\"type\":\"a\",\"Type\":\"b\"}]}");
        _cleanup_free_ char *out = NULL, *why = NULL;

        ASSERT_OK(json_fields_canonicalise(v, conf, &why));
        out = json_dump_go(v, false);
        /* renamed in place: the order of the members stays */
        ASSERT_STREQ(out, "{\"name\":\"n\",\"ipMasq\":true,\"ipam\":{"
                          "\"type\":\"host-local\",\"ranges\":[[{\"subnet\":\"10.0.0.0/8\"}]]},"
                          "\"plugins\":[{\"type\":\"x\",\"capabilities\":{\"PortMappings\":true}}],"
                          "\"Unknown\":1}");
        ASSERT_EQ(json_fields_canonicalise(dup, conf, &why), -EEXIST);
        ASSERT_CONTAINS(why, "duplicate key");
}

TEST(load_strict_refuses_a_key_twice)
{
        static const char text[] = "{\"a\": 1,\n \"exec\": [1], \"exec\": 2}";
        _cleanup_free_ char *why = NULL;

        ASSERT_NULL(json_load_strict(text, strlen(text), 0, &why));
        ASSERT_STREQ(why, "line 2, column 20: duplicate key \"exec\"");
        free(why);
        why = NULL;
        ASSERT_NULL(json_load_strict("{\"m\": {\"k\": 1, \"k\": 1}}", 26, 0, &why));
        ASSERT_CONTAINS(why, "duplicate key \"k\"");
}

TAP_MAIN
