/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S1/rkt/status/<app> (SPEC.md §6.3): the record of an app's exit status, "<code>\n" as
 * rkt's stage1 wrote it, present once the app has exited. The native stage1's pod init
 * writes it when it reaps the app; stage0 reads it (list, status).
 * Runs in: the pod init (inside the pod, where S1 is /) and stage0.
 */
#pragma once

#define APP_STATUS_DIR "rkt/status" /* below S1 */

/*
 * The path of app's record below S1, "rkt/status/<app>"; NULL when app cannot name a file
 * there ("", ".", ".." or a name with '/'). malloc'd.
 */
char *app_status_path(const char *app);

/*
 * The directory of the records below s1fd (S1), reached without following a link (an app
 * allowed to trace the pod init reaches S1 through /proc/1/root). Returns the fd or -errno.
 */
int app_status_dir_open(int s1fd);

/*
 * Writes code as app's record below s1fd (S1; app_status_dir_open()), replaced atomically for
 * readers, 0644, not synced. Returns 0, -EINVAL for a name app_status_path() refuses, or
 * -errno.
 */
int app_status_write(int s1fd, const char *app, int code);

/*
 * Reads the record at dirfd/path (app_status_path() below S1, or below the overlay's upper
 * directory) as rkt read it (Go's Sscanf("%d"): blanks before, anything after), an int32.
 * Returns 0 and *ret_code, -ENOENT when it cannot be read, or -EINVAL when it holds no such
 * number.
 */
int app_status_read_at(int dirfd, const char *path, int *ret_code);
