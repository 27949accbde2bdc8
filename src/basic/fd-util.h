/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Descriptor hygiene at the pod/host boundary: what a process closes before anything of
 * a pod can reach it (DESIGN.md §7). libc only; runs in any process.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * Closes every descriptor of this process except those listed in keep (any order, entries
 * < 0 ignored), with close_range(2) where the kernel has it. Never fails: descriptors that
 * cannot be closed do not exist.
 */
void close_all_fds_except(const int *keep, size_t n_keep);

/*
 * The descriptors systemd's socket activation passed to this process: LISTEN_FDS=N with
 * LISTEN_PID equal to our pid means fds 3..3+N-1. Returns N (0 when none or malformed).
 */
int listen_fds_count(void);

/*
 * Opens /dev/null on each of descriptors 0, 1 and 2 that is closed, for a program started
 * without them: else the first files it opens take their numbers, and a child it gives its
 * stdout or stderr gets one of those (a pod's directory, the descriptor holding its lock).
 * Returns 0 or -errno.
 */
int stdio_ensure_open(void);

/* Sets (cloexec true) or clears FD_CLOEXEC on fd. Returns 0 or -errno. */
int fd_set_cloexec(int fd, bool cloexec);

/*
 * A sealed in-memory copy of the file open at fd (O_RDONLY; read from its start): a memfd named
 * name that nothing can write, grow or shrink, not close-on-exec, so that fexecve() of it also
 * works for scripts. What a process we start from it runs can never be rewritten through
 * /proc/<pid>/exe (runc's answer to CVE-2019-5736). Returns the fd or -errno.
 */
int memfd_sealed_copy(int fd, const char *name);
