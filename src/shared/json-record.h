/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Records kept as JSON files (the pod records P/net-info.json, P/runtime-config, ...) as C
 * structs: one table per record names each member and the struct field it goes to, and the
 * record's reader and writer both work from it, so that a member's name and type are written
 * once. What a table cannot say (defaults, checks) stays with the record's module.
 *
 * Reading follows Go's encoding/json as rkt read its records (json-util.h): a member names a
 * field exactly or case-insensitively, two members for one field are an error, members of no
 * field are ignored, an absent or null member leaves the field's zero value. Writing gives
 * the members in table order, as json_dump_go() serialises them.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum json_record_type {
        JSON_RECORD_STRING, /* char *; NULL: absent */
        JSON_RECORD_BOOL,   /* bool */
        JSON_RECORD_STRV,   /* char **, an array of strings; NULL: absent */
        JSON_RECORD_JSON,   /* json_t *, any value, kept as it is; NULL: absent */
        JSON_RECORD_OBJECT, /* a struct inside the record, described by .fields */
};

enum json_record_flags {
        /* a member of our own, not in rkt's form of the record (JSON_RECORD_RKT below) */
        JSON_RECORD_OURS = 1 << 0,
};

struct json_record_field {
        const char *name; /* the member's key; NULL ends a table */
        enum json_record_type type;
        size_t offset;                          /* of the field in the record's struct */
        const struct json_record_field *fields; /* JSON_RECORD_OBJECT: the inner struct's */
        unsigned flags;                         /* enum json_record_flags */
};

/* A table entry for member name stored in field member of struct type. */
#define JSON_RECORD_FIELD(name, type_, type, member, ...)                      \
        {                                                                      \
                name, JSON_RECORD_##type_, offsetof(type, member), __VA_ARGS__ \
        }

enum json_record_form {
        JSON_RECORD_DISK, /* every member; absent (NULL) ones left out */
        JSON_RECORD_RKT,  /* rkt's members only (no JSON_RECORD_OURS), absent ones as "",
                           * [] or null: what rkt printed of a record */
};

/* The JSON object of rec (a struct that fields describes). Never NULL (OOM aborts). */
json_t *json_record_build(const struct json_record_field *fields, const void *rec,
                          enum json_record_form form);

/*
 * Reads the JSON object obj into rec, which must be zeroed. path names obj in errors ("" or
 * NULL: the top). Returns 0, or -EINVAL with *ret_error (malloc'd, e.g. "[1].ifName:
 * expected a string") when obj is not an object, a member has the wrong type or two members
 * name one field; rec then holds what was read so far (json_record_done() frees it).
 */
int json_record_parse(const struct json_record_field *fields, const json_t *obj, const char *path,
                      void *rec, char **ret_error);

/*
 * The JSON document in the file dirfd/path (at most max bytes; a key twice in an object is an
 * error) in *ret. Returns 0, -ENOENT when the file cannot be read, or -EINVAL when it is not
 * JSON.
 */
int json_record_load_at(int dirfd, const char *path, size_t max, json_t **ret);

/*
 * Writes v to dirfd/path as json_dump_go() renders it (compact), replacing the file
 * atomically for readers, with mode; not synced (pod records that a reboot makes moot).
 * Returns 0 or -errno.
 */
int json_record_write_at(int dirfd, const char *path, const json_t *v, mode_t mode);

/* Frees what the fields of rec hold and zeroes them. */
void json_record_done(const struct json_record_field *fields, void *rec);

/*
 * Arrays of records: n structs of size bytes each at recs. parse_array() reads a JSON array
 * into a new calloc'd vector (*ret, *ret_n; elements as json_record_parse(), errors naming
 * "[i]"); -EINVAL when arr is not an array.
 */
json_t *json_record_build_array(const struct json_record_field *fields, const void *recs, size_t n,
                                size_t size, enum json_record_form form);
int json_record_parse_array(const struct json_record_field *fields, const json_t *arr, size_t size,
                            void **ret, size_t *ret_n, char **ret_error);
void json_record_array_free(const struct json_record_field *fields, void *recs, size_t n,
                            size_t size);
