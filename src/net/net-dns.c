/* SPDX-License-Identifier: Apache-2.0 */
/* resolv.conf bodies (SPEC.md §8.4), from the --dns flags or a CNI result's "dns". */
#include <string.h>

#include "net.h"
#include "strbuf.h"

/* " a b c" of the strings of array a; whether there were any. */
static bool put_list(struct strbuf *sb, const char *key, json_t *a)
{
        json_t *v;
        size_t i;
        bool any = false;

        json_array_foreach(a, i, v) {
                if (!json_is_string(v))
                        continue;
                if (!any)
                        strbuf_puts(sb, key);
                strbuf_printf(sb, " %s", json_string_value(v));
                any = true;
        }
        if (any)
                strbuf_putc(sb, '\n');
        return any;
}

char *net_resolv_conf(const char *header, json_t *dns)
{
        struct strbuf sb = STRBUF_INIT;
        const char *domain = json_string_value(json_object_get(dns, "domain"));
        bool any = false;
        json_t *v;
        size_t i;

        strbuf_printf(&sb, "%s\n\n", header);
        any |= put_list(&sb, "search", json_object_get(dns, "search"));
        json_array_foreach(json_object_get(dns, "nameservers"), i, v) {
                if (json_is_string(v)) {
                        strbuf_printf(&sb, "nameserver %s\n", json_string_value(v));
                        any = true;
                }
        }
        any |= put_list(&sb, "options", json_object_get(dns, "options"));
        if (domain && domain[0]) {
                strbuf_printf(&sb, "domain %s\n", domain);
                any = true;
        }
        if (!any) {
                strbuf_release(&sb);
                return NULL;
        }
        return strbuf_detach(&sb);
}
