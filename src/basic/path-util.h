/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Paths taken from images: the one policy for names of archive members (ACI and Docker
 * layer entries, hard-link targets, members of docker save archives) and the limits every
 * path inside an image must keep.
 */
#pragma once

#include <limits.h>
#include <stddef.h>

/* At most this many components in a path inside an image (and PATH_MAX bytes with the
 * leading "/" and the NUL): deeper entries are refused before anything is stored. */
#define PATH_DEPTH_MAX 1024

enum {
        PATH_NAME_ABSOLUTE = 1 << 0, /* "/x" is accepted and names x below the root */
};

/*
 * Normalises an archive member name: "." and empty components and a trailing "/" are
 * dropped ("./a//b/./" is "a/b"); "" (or ".", "./") names the root. Refused with -EINVAL:
 * any ".." component, and an absolute name unless flags has PATH_NAME_ABSOLUTE. Lengths
 * are not checked here: see path_limits_error().
 */
int path_name_normalise(const char *name, unsigned flags, char **ret);

/*
 * For a normalised relative path inside an image: NULL when "/" + path fits in PATH_MAX
 * and it has at most PATH_DEPTH_MAX components, else why not ("is longer than 4096 bytes",
 * "has more than 1024 components"; a static string).
 */
const char *path_limits_error(const char *path);

/* The number of components of a normalised relative path ("" has none). */
size_t path_depth(const char *path);

/*
 * The relative target of a link in directory dir (normalised, "" for the root) resolved
 * lexically: "." dropped, ".." removing the previous component. NULL when target is
 * absolute or climbs above the root.
 */
char *path_join_lexical(const char *dir, const char *target);

/* s for a message: as it is up to 1024 bytes, else its first 500, "...", and its last 200
 * (cut at character boundaries). malloc'd. */
char *path_abbrev(const char *s);

/* Makes dir absolute (relative to the working directory) and clean, as Go's filepath.Abs. */
char *path_absolute(const char *dir);
