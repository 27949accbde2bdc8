/* SPDX-License-Identifier: Apache-2.0 */
/* The P/mds-registered record (see mds-registered.h). Runs in: stage0. */
#include "mds-registered.h"

#include <fcntl.h>
#include <unistd.h>

#include "fs-util.h"

int mds_registered_mark(int poddirfd)
{
        return write_file_replace_at(poddirfd, MDS_REGISTERED_FILE, "", 0, 0640, 0);
}

bool mds_registered_is_marked(int poddirfd)
{
        return faccessat(poddirfd, MDS_REGISTERED_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}
