/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The certificates a TLS server is checked against, as Go (and so rkt) read them: the PEM
 * file $SSL_CERT_FILE (else the system bundle) and every file of each $SSL_CERT_DIR
 * directory. They are read and parsed once per process, and only when a server's
 * certificate is first checked: a TLS attempt that never gets that far (rkt's HTTPS probe of
 * a plain HTTP registry) reads none, and the connections of one fetch share them instead of
 * each parsing the whole bundle again.
 *
 * Runs in: stage0 (libcurl's transfer threads). libssl and libcrypto are libcurl's own:
 * opened once it is.
 */
#pragma once

#include <stdbool.h>

#include "curl-util.h"

struct strbuf;

/* The PEM text of these certificates, each once (read on the first call). */
const struct strbuf *ca_trust_pem(void);

/*
 * Makes h check TLS servers against these certificates (its own CA settings are cleared).
 * Returns false, leaving h as it was, when libcurl's TLS is not OpenSSL 3 or libssl's
 * functions cannot be found: the caller then sets h up as before.
 */
bool ca_trust_attach(CURL *h);
