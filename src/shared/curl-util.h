/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libcurl, opened when the first transfer needs it (dlopen-util.h): the functions rkt calls,
 * under their own names once curl_load() has succeeded, and cleanup helpers. Used by the
 * registry client (src/fetch/http.c) and the metadata service's registration client
 * (src/mds/mds-client.c).
 *
 * Runs in: stage0. libcurl may start a resolver thread; no namespaces are touched where it is
 * used.
 */
#pragma once

#define CURL_DISABLE_TYPECHECK /* curl_easy_setopt() stays a plain function */
#include <curl/curl.h>

#include "error.h"
#include "macro.h"

extern typeof(curl_easy_init) *sym_curl_easy_init;
extern typeof(curl_easy_cleanup) *sym_curl_easy_cleanup;
extern typeof(curl_easy_reset) *sym_curl_easy_reset;
extern typeof(curl_easy_setopt) *sym_curl_easy_setopt;
extern typeof(curl_easy_getinfo) *sym_curl_easy_getinfo;
extern typeof(curl_easy_perform) *sym_curl_easy_perform;
extern typeof(curl_easy_strerror) *sym_curl_easy_strerror;
extern typeof(curl_slist_append) *sym_curl_slist_append;
extern typeof(curl_slist_free_all) *sym_curl_slist_free_all;
extern typeof(curl_url) *sym_curl_url;
extern typeof(curl_url_cleanup) *sym_curl_url_cleanup;
extern typeof(curl_url_get) *sym_curl_url_get;
extern typeof(curl_url_set) *sym_curl_url_set;
extern typeof(curl_free) *sym_curl_free;
extern typeof(curl_version_info) *sym_curl_version_info;

/* (curl-util.c defines the variables under libcurl's own declarations) */
#ifndef CURL_UTIL_DEFINE_SYMS
#define curl_easy_init    sym_curl_easy_init
#define curl_easy_cleanup sym_curl_easy_cleanup
#define curl_easy_reset   sym_curl_easy_reset
#undef curl_easy_setopt
#define curl_easy_setopt sym_curl_easy_setopt
#undef curl_easy_getinfo
#define curl_easy_getinfo   sym_curl_easy_getinfo
#define curl_easy_perform   sym_curl_easy_perform
#define curl_easy_strerror  sym_curl_easy_strerror
#define curl_slist_append   sym_curl_slist_append
#define curl_slist_free_all sym_curl_slist_free_all
#define curl_url            sym_curl_url
#define curl_url_cleanup    sym_curl_url_cleanup
#define curl_url_get        sym_curl_url_get
#define curl_url_set        sym_curl_url_set
#define curl_free           sym_curl_free
#define curl_version_info   sym_curl_version_info
#endif

/*
 * Opens libcurl.so.4 and resolves the functions above (once; later calls return 0 at once).
 * Returns 0, or -EOPNOTSUPP with reterr "libcurl (package libcurl4) is not available: ...".
 */
int curl_load(struct rk_error **reterr);

DEFINE_TRIVIAL_CLEANUP_FUNC(CURL *, curl_easy_cleanup)
DEFINE_TRIVIAL_CLEANUP_FUNC(CURLU *, curl_url_cleanup)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct curl_slist *, curl_slist_free_all)
