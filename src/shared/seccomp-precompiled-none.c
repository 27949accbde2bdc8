/* SPDX-License-Identifier: Apache-2.0 */
/* No precompiled seccomp programs (cross builds, see seccomp-precompiled.h). */
#include "seccomp-precompiled.h"

const struct seccomp_precompiled seccomp_precompiled[] = {{0}};
