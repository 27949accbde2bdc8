/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker-archive:PATH[:REF] — a `docker save` tarball (skopeo's spelling) read into a
 * docker_image ready for conversion. Runs in the fetching rkt process, unprivileged work
 * only: nothing is written outside the temporary directory it is given.
 */
#pragma once

#include "docker-image.h"
#include "error.h"

/*
 * Reads the archive named by arg ("docker-archive:PATH[:REF]", REF a RepoTag "name[:tag]"
 * or "@N", the N-th image from 0; no REF: the archive must hold one image). The chosen
 * image's layers go to files in the directory tmp_fd (whose path is tmp); each is checked
 * against its config's rootfs.diff_ids (as stored, or decompressed). On success img is
 * filled (the caller frees it with docker_image_done()); on error reterr is set and img
 * may be partly filled.
 */
int docker_archive_image(const char *arg, const char *tmp, int tmp_fd, struct docker_image *img,
                         struct rk_error **reterr);
