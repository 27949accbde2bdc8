/* SPDX-License-Identifier: Apache-2.0 */
/* OpenSSL (libcrypto): the cleanup helpers every user of it shares. */
#pragma once

#include <openssl/evp.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX *, EVP_MD_CTX_free)
