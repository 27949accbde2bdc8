/* SPDX-License-Identifier: Apache-2.0 */
/* libcurl opened on demand (see curl-util.h). */
#define CURL_UTIL_DEFINE_SYMS
#include "curl-util.h"

#include "dlopen-util.h"

typeof(curl_easy_init) *sym_curl_easy_init;
typeof(curl_easy_cleanup) *sym_curl_easy_cleanup;
typeof(curl_easy_reset) *sym_curl_easy_reset;
typeof(curl_easy_setopt) *sym_curl_easy_setopt;
typeof(curl_easy_getinfo) *sym_curl_easy_getinfo;
typeof(curl_easy_perform) *sym_curl_easy_perform;
typeof(curl_easy_strerror) *sym_curl_easy_strerror;
typeof(curl_slist_append) *sym_curl_slist_append;
typeof(curl_slist_free_all) *sym_curl_slist_free_all;
typeof(curl_url) *sym_curl_url;
typeof(curl_url_cleanup) *sym_curl_url_cleanup;
typeof(curl_url_get) *sym_curl_url_get;
typeof(curl_url_set) *sym_curl_url_set;
typeof(curl_free) *sym_curl_free;
typeof(curl_version_info) *sym_curl_version_info;

int curl_load(struct rk_error **reterr)
{
        static void *handle;
        static const struct dl_sym syms[] = {
                DL_SYM(curl_easy_init),     DL_SYM(curl_easy_cleanup), DL_SYM(curl_easy_reset),
                DL_SYM(curl_easy_setopt),   DL_SYM(curl_easy_getinfo), DL_SYM(curl_easy_perform),
                DL_SYM(curl_easy_strerror), DL_SYM(curl_slist_append), DL_SYM(curl_slist_free_all),
                DL_SYM(curl_url),           DL_SYM(curl_url_cleanup),  DL_SYM(curl_url_get),
                DL_SYM(curl_url_set),       DL_SYM(curl_free),         DL_SYM(curl_version_info),
        };

        return dlopen_syms(&handle, "libcurl.so.4", "libcurl (package libcurl4)", syms,
                           ELEMENTSOF(syms), reterr);
}
