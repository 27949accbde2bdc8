/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unix sockets named in a directory given by descriptor, reached through /proc/self/fd: a
 * directory's path (a pod's) can be longer than a sockaddr_un holds, and resolving it again
 * by name could lead elsewhere. libc only.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/*
 * A close-on-exec unix socket of type (SOCK_STREAM, SOCK_SEQPACKET) listening at name in
 * dirfd, whatever was there before replaced; its file made with mode (0: as the umask says).
 * Returns the socket or -errno (nothing left at name then).
 */
int unix_listen_at(int dirfd, const char *name, int type, mode_t mode, int backlog);

/*
 * A close-on-exec unix socket of type connected to name in dirfd; with passcred, SO_PASSCRED
 * set first (the peer's credentials come with its messages). Returns it or -errno.
 */
int unix_connect_at(int dirfd, const char *name, int type, bool passcred);
