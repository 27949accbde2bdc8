/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP client of a stage0 context: TLS, progress and auth.d credentials. */
#include "http-client.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "stage0.h"

/* The Authorization value of one auth.d entry, NULL for types sent another way (aws). */
static char *authorization_of(const struct config_auth *a)
{
        const char *token = json_string_value(json_object_get(a->credentials, "token"));
        const char *user = json_string_value(json_object_get(a->credentials, "user"));
        const char *password = json_string_value(json_object_get(a->credentials, "password"));
        _cleanup_free_ char *plain = NULL;
        _cleanup_free_ unsigned char *b64 = NULL;
        int n;

        if (strcmp(a->type, "oauth") == 0 && token)
                return xasprintf("Bearer %s", token);
        if (strcmp(a->type, "basic") != 0 || !user || !password)
                return NULL;
        plain = xasprintf("%s:%s", user, password);
        b64 = oom_check(malloc(4 * (strlen(plain) / 3 + 1) + 1));
        n = EVP_EncodeBlock(b64, (const unsigned char *)plain, (int)strlen(plain));
        return n < 0 ? NULL : xasprintf("Basic %s", (const char *)b64);
}

void stage0_http_client(const struct stage0_context *ctx, struct http_client *ret)
{
        static struct http_credential *creds;
        static size_t n_creds;
        static const struct config *built_for;
        const struct config *c = ctx->config;

        if (c != built_for) {
                for (size_t i = 0; i < n_creds; i++)
                        free((char *)creds[i].authorization);
                free(creds);
                creds = NULL;
                n_creds = 0;
                for (size_t i = 0; c && i < c->n_auth; i++) {
                        char *a = authorization_of(&c->auth[i]);

                        if (!a) {
                                log_debug("auth.d: %s credentials for %s are not used for "
                                          "appc images",
                                          c->auth[i].type, c->auth[i].domain);
                                continue;
                        }
                        creds = oom_check(realloc(creds, (n_creds + 1) * sizeof(*creds)));
                        creds[n_creds++] = (struct http_credential){c->auth[i].domain, a};
                }
                built_for = c;
        }
        *ret = (struct http_client){
                .insecure_tls = ctx->insecure & INSECURE_TLS,
                .progress = isatty(STDERR_FILENO),
                .credentials = creds,
                .n_credentials = n_creds,
        };
}
