/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP over the registration unix socket, with libcurl. Runs in: the rkt command (stage0, gc,
 * rm). */
#include "mds-client.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "curl-util.h"
#include "macro.h"

#define IO_TIMEOUT_S 10          /* connecting, and the longest stall of a transfer */
#define MAX_RESPONSE (64u << 10) /* read of an answer; its status line is what counts */

bool mds_client_reachable(void)
{
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        union {
                struct sockaddr sa;
                struct sockaddr_un un;
        } addr = {.un = {.sun_family = AF_UNIX, .sun_path = MDS_CLIENT_SOCKET}};

        return fd >= 0 && connect(fd, &addr.sa, sizeof(addr.un)) == 0;
}

/* What one request read of its answer. */
struct answer {
        size_t len;
        bool cut; /* more than MAX_RESPONSE: read no further */
};

static size_t answer_write(char *data, size_t size, size_t nmemb, void *userdata)
{
        struct answer *a = userdata;
        size_t n = size * nmemb;

        if (a->len + n > MAX_RESPONSE) {
                a->cut = true;
                return 0;
        }
        a->len += n;
        return n;
}

static void request_setup(CURL *h, const char *socket_path, const char *url, const char *method,
                          const char *body, size_t len, struct curl_slist *headers,
                          struct answer *a)
{
        curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, socket_path);
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
        curl_easy_setopt(h, CURLOPT_PROXY, ""); /* no http_proxy of the environment */
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ?: "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)IO_TIMEOUT_S);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)IO_TIMEOUT_S);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, answer_write);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
}

/* The errno of a failed transfer (the socket's own when libcurl kept it). */
static int transfer_errno(CURL *h, CURLcode cr)
{
        long os = 0;

        switch (cr) {
        case CURLE_OPERATION_TIMEDOUT:
                return ETIMEDOUT;
        case CURLE_GOT_NOTHING:
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_UNSUPPORTED_PROTOCOL: /* HTTP/0.9, or no status line at all */
                return EBADMSG;
        default:
                curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os);
                return os > 0 ? (int)os : EIO;
        }
}

/* One transfer: 1 when it did not connect (*ret_errno), 0 when it did, < 0 on failure. */
static int request_once(CURL *h, struct answer *a, const char *method, const char *path,
                        unsigned *ret_status, int *ret_errno, struct rk_error **reterr)
{
        long status = 0;
        CURLcode cr;

        *a = (struct answer){0};
        cr = curl_easy_perform(h);
        if (cr == CURLE_COULDNT_CONNECT) {
                *ret_errno = transfer_errno(h, cr);
                return 1;
        }
        if (cr != CURLE_OK && !(cr == CURLE_WRITE_ERROR && a->cut))
                return rk_error_set_errno(reterr, transfer_errno(h, cr), "%s %s failed", method,
                                          path);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        *ret_status = (unsigned)status;
        return 0;
}

int mds_client_request_at(const char *socket_path, const char *method, const char *path,
                          const char *body, size_t len, unsigned attempts, unsigned *ret_status,
                          struct rk_error **reterr)
{
        _cleanup_(curl_easy_cleanupp) CURL *h = NULL;
        _cleanup_(curl_slist_free_allp) struct curl_slist *headers = NULL;
        _cleanup_free_ char *url = xasprintf("http://unix%s", path);
        struct answer a = {0};
        int r, errnum = ECONNREFUSED;

        r = curl_load(reterr);
        if (r < 0)
                return r;
        h = oom_check(curl_easy_init());
        headers = oom_check(curl_slist_append(NULL, "Content-Type: application/json"));
        /* one request per connection, its body sent at once (no 100-continue round) */
        headers = oom_check(curl_slist_append(headers, "Connection: close"));
        headers = oom_check(curl_slist_append(headers, "Expect:"));
        request_setup(h, socket_path, url, method, body, len, headers, &a);
        for (unsigned i = 0; i < attempts; i++) {
                if (i > 0)
                        sleep(1);
                r = request_once(h, &a, method, path, ret_status, &errnum, reterr);
                if (r <= 0)
                        return r;
        }
        return rk_error_set(reterr, errnum, "%s", MDS_UNREACHABLE_TEXT);
}

int mds_client_request(const char *method, const char *path, const char *body, size_t len,
                       unsigned attempts, unsigned *ret_status, struct rk_error **reterr)
{
        return mds_client_request_at(MDS_CLIENT_SOCKET, method, path, body, len, attempts,
                                     ret_status, reterr);
}
