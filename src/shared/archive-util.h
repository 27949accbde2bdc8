/* SPDX-License-Identifier: Apache-2.0 */
/* libarchive: the cleanup helpers every user of it shares. */
#pragma once

#include <archive.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct archive *, archive_read_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct archive *, archive_write_free)
