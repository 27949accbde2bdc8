/* SPDX-License-Identifier: Apache-2.0 */
/* The C names of errno values ("EXFULL"), as seccomp isolators and --seccomp give them. */
#pragma once

/* The value of the errno called name (e.g. "EXFULL": 54), or -EINVAL for an unknown name. */
int errno_from_name(const char *name);
