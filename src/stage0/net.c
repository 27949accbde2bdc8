/* SPDX-License-Identifier: Apache-2.0 */
/* The network flags of run, prepare and run-prepared: --port (SPEC.md §8.5) and the DNS and
 * hosts flags (SPEC.md §8.4), checked before the pod exists. */
#include "net.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "fs-util.h"
#include "image-manifest.h"
#include "json-field.h"
#include "json-util.h"
#include "parse-util.h"
#include "pod-manifest.h"
#include "stage0.h"
#include "strbuf.h"
#include "strv.h"
#include "types.h"

static bool ip4_valid(const char *s)
{
        struct in_addr a;

        return inet_pton(AF_INET, s, &a) == 1;
}

static bool ip_valid(const char *s)
{
        struct in6_addr a;

        return ip4_valid(s) || inet_pton(AF_INET6, s, &a) == 1;
}

/* One "NAME[:ARGS]" entry of --net against the ones before it (rkt's netList). */
static int net_entry_check(char *const *have, const char *e, char **ret_msg)
{
        _cleanup_strv_free_ char **parts = strv_split(e, ':');
        size_t n = strv_length(parts), len = strcspn(e, ":");

        if (len == 0) {
                *ret_msg = xstrdup("netname must not be empty");
                return -EINVAL;
        }
        for (char *const *h = have; h && *h; h++)
                if (strncmp(*h, e, len) == 0 && ((*h)[len] == '\0' || (*h)[len] == ':')) {
                        *ret_msg = xasprintf("found duplicate netname \"%s\"", parts[0]);
                        return -EINVAL;
                }
        if (n == 2 && (strcmp(parts[0], "all") == 0 || strcmp(parts[0], "host") == 0)) {
                *ret_msg = xasprintf("arguments are not supported by special netname \"%s\"",
                                     parts[0]);
                return -EINVAL;
        }
        if (n > 2) {
                _cleanup_free_ char *rest = strv_join(parts + 1, " ");
                *ret_msg = xasprintf("network \"%s\" provided with invalid arguments: [%s]",
                                     parts[0], rest);
                return -EINVAL;
        }
        return 0;
}

int stage0_net_flag_parse(const char *arg, void *value, char **ret_msg)
{
        char ***list = value;
        _cleanup_strv_free_ char **entries = strv_split(arg, ',');

        STRV_FOREACH(e, entries) {
                int r = net_entry_check(*list, *e, ret_msg);
                if (r < 0)
                        return r;
                strv_push(list, *e);
        }
        return 0;
}

/* "NAME:[IP:]PORT" into a pod manifest port. */
static int port_parse(const char *s, struct pod_port *ret, struct rk_error **reterr)
{
        _cleanup_strv_free_ char **parts = strv_split(s, ':');
        size_t n = strv_length(parts);
        uint64_t port;

        if (n < 2 || n > 3)
                return rk_error_set(reterr, EINVAL, "\"%s\" is not in name:[ip:]port format", s);
        if (!ac_name_is_valid(parts[0]))
                return rk_error_set(reterr, EINVAL, "\"%s\" is not a valid port name", parts[0]);
        if (n == 3 && !ip4_valid(parts[1]))
                return rk_error_set(reterr, EINVAL, "\"%s\" is not a valid IP", parts[1]);
        if (safe_atou64(parts[n - 1], &port) < 0 || port > 65535)
                return rk_error_set(reterr, EINVAL, "\"%s\" is not a valid port number",
                                    parts[n - 1]);
        *ret = (struct pod_port){xstrdup(parts[0]), (unsigned)port,
                                 n == 3 ? xstrdup(parts[1]) : NULL, NULL};
        return 0;
}

/* The protocol of the one app port called name. */
static int port_protocol(const struct stage0_app *apps, size_t n, const char *name,
                         const char **ret, struct rk_error **reterr)
{
        const struct ac_port *found = NULL;

        for (size_t i = 0; i < n; i++) {
                const struct ac_app *app = apps[i].manifest->app;
                for (size_t j = 0; app && j < app->n_ports; j++) {
                        if (strcmp(app->ports[j].name, name) != 0)
                                continue;
                        if (found)
                                return rk_error_set(reterr, EINVAL,
                                                    "port name \"%s\" defined multiple apps", name);
                        found = &app->ports[j];
                }
        }
        if (!found)
                return rk_error_set(reterr, EINVAL,
                                    "port name \"%s\" could not be found in any apps", name);
        *ret = found->protocol;
        return 0;
}

/* Port p's protocol-ip:port is not taken by the ones before it (seen: key, name pairs). */
static int port_check_unique(const struct pod_port *p, const char *proto, char ***seen,
                             struct rk_error **reterr)
{
        _cleanup_free_ char *key =
                xasprintf("%s-%s:%u", proto, p->host_ip ? p->host_ip : "0.0.0.0", p->host_port);
        int k = strv_index((const char *const *)*seen, key);

        if (k >= 0)
                return rk_error_set(reterr, EINVAL, "port %s already mapped to pod port %s", key,
                                    (*seen)[k + 1]);
        strv_push(seen, key);
        strv_push(seen, p->name);
        return 0;
}

int stage0_ports_parse(char *const *ports, const struct stage0_app *apps, size_t n,
                       struct pod_port **ret, size_t *ret_n, struct rk_error **reterr)
{
        _cleanup_strv_free_ char **seen = NULL;
        struct pod_port *l = xnew0(struct pod_port, strv_length(ports) + 1);
        const char *proto = NULL;
        size_t k = 0;
        int r = 0;

        for (char *const *s = ports; r >= 0 && s && *s; s++) {
                r = port_parse(*s, &l[k], reterr);
                if (r < 0)
                        break;
                k++;
                r = port_protocol(apps, n, l[k - 1].name, &proto, reterr);
                if (r >= 0)
                        r = port_check_unique(&l[k - 1], proto, &seen, reterr);
        }
        if (r < 0) {
                while (k > 0)
                        pod_port_done(&l[--k]);
                free(l);
                return r;
        }
        *ret = l;
        *ret_n = k;
        return 0;
}

void stage0_dns_done(struct stage0_dns *d)
{
        json_decref(d->resolv);
        strv_free(d->hosts);
        *d = (struct stage0_dns){"default", "default", NULL, NULL};
}

/* --dns values (comma lists allowed) into the nameservers, or the host/none mode. */
static int dns_servers(char *const *dns, struct stage0_dns *d, json_t *servers,
                       struct rk_error **reterr)
{
        _cleanup_free_ char *joined = strv_join(dns, ",");
        _cleanup_strv_free_ char **all = joined ? strv_split(joined, ',') : NULL;

        STRV_FOREACH(v, all) {
                if (!**v)
                        continue;
                if (strcmp(*v, "host") == 0 || strcmp(*v, "none") == 0) {
                        if (strv_length(all) > 1)
                                return rk_error_set(reterr, EINVAL,
                                                    "no other --dns options allowed when "
                                                    "--dns=%s is passed",
                                                    *v);
                        d->resolv_mode = strcmp(*v, "host") == 0 ? "host" : "none";
                        return 0;
                }
                if (!ip_valid(*v))
                        return rk_error_set(reterr, EINVAL, "Invalid IP passed to --dns: %s", *v);
                json_array_append_new(servers, json_string(*v));
        }
        return 0;
}

static json_t *strv_json(char *const *l)
{
        json_t *a = json_array();

        for (char *const *s = l; s && *s; s++)
                json_array_append_new(a, jstr(*s));
        return a;
}

static int dns_resolv(const struct stage0_dns_flags *f, struct stage0_dns *d,
                      struct rk_error **reterr)
{
        _cleanup_json_ json_t *servers = json_array();
        bool extra = f->search || f->opt || (f->domain && f->domain[0]);
        int r = dns_servers(f->dns, d, servers, reterr);

        if (r < 0)
                return r;
        if (strcmp(d->resolv_mode, "default") != 0) {
                if (extra)
                        return rk_error_set(reterr, EINVAL,
                                            "Cannot call --dns-opt, --dns-search, or --dns-domain "
                                            "with --dns=%s",
                                            d->resolv_mode);
                return 0;
        }
        if (!extra && json_array_size(servers) == 0)
                return 0;
        d->resolv_mode = "stage0";
        d->resolv = json_pack("{s:O,s:o,s:o}", "nameservers", servers, "search",
                              strv_json(f->search), "options", strv_json(f->opt));
        if (f->domain && f->domain[0])
                json_object_set_new(d->resolv, "domain", jstr(f->domain));
        return 0;
}

/* Adds host to the line of ip ("IP host1 host2 ..."), or a new line. */
static void hosts_add(char ***lines, const char *ip, const char *host)
{
        size_t n = strlen(ip);

        for (char **l = *lines; l && *l; l++)
                if (strncmp(*l, ip, n) == 0 && (*l)[n] == ' ') {
                        char *longer = xasprintf("%s %s", *l, host);
                        free(*l);
                        *l = longer;
                        return;
                }
        strv_consume(lines, xasprintf("%s %s", ip, host));
}

static int dns_hosts(char *const *entries, struct stage0_dns *d, struct rk_error **reterr)
{
        _cleanup_free_ char *joined = strv_join(entries, ",");
        _cleanup_strv_free_ char **all = joined ? strv_split(joined, ',') : NULL;

        STRV_FOREACH(e, all) {
                char *eq = strchr(*e, '=');
                if (!**e)
                        continue;
                if (strcmp(*e, "host") == 0) {
                        d->hosts_mode = "host";
                        continue;
                }
                if (!eq || eq == *e || !eq[1])
                        return rk_error_set(reterr, EINVAL, "Did not understand --hosts-entry %s",
                                            *e);
                *eq = '\0';
                if (!ip_valid(*e))
                        return rk_error_set(reterr, EINVAL,
                                            "Invalid IP passed to --hosts-entry: %s", *e);
                hosts_add(&d->hosts, *e, eq + 1);
        }
        if (strcmp(d->hosts_mode, "host") == 0 && d->hosts)
                return rk_error_set(reterr, EINVAL,
                                    "cannot pass --hosts-entry=host with multiple hosts-entries");
        if (d->hosts)
                d->hosts_mode = "stage0";
        return 0;
}

int stage0_dns_parse(const struct stage0_dns_flags *f, struct stage0_dns *ret,
                     struct rk_error **reterr)
{
        struct stage0_dns d = {"default", "default", NULL, NULL};
        int r = dns_resolv(f, &d, reterr);

        if (r >= 0)
                r = dns_hosts(f->hosts_entry, &d, reterr);
        if (r < 0) {
                stage0_dns_done(&d);
                return rk_error_prefix(reterr, "error with dns flags");
        }
        *ret = d;
        return 0;
}

static const char hosts_stage0_default[] =
        "#created by rkt stage0\n127.0.0.1 localhost localhost.localdomain\n";

static int write_hosts(int s1fd, char *const *lines)
{
        _cleanup_free_ char *base = NULL;
        struct strbuf sb = STRBUF_INIT;
        int r;

        if (read_file_at(s1fd, "etc/hosts-fallback", 1 << 20, &base, NULL) < 0)
                base = xstrdup(hosts_stage0_default);
        strbuf_printf(&sb, "%s\n\n# Added by rkt run --hosts-entry\n", base);
        for (char *const *l = lines; l && *l; l++)
                strbuf_printf(&sb, "%s\n", *l);
        r = write_file_replace_at(s1fd, "etc/rkt-hosts", strbuf_str(&sb), sb.len, 0644, 0);
        strbuf_release(&sb);
        return r;
}

int stage0_dns_write(struct pod *p, const struct stage0_dns *d, struct rk_error **reterr)
{
        _cleanup_free_ char *s1 = xasprintf("%s/stage1/rootfs", p->path);
        _cleanup_close_ int fd = open(s1, O_PATH | O_DIRECTORY | O_CLOEXEC);
        int r = 0;

        if (fd < 0)
                return rk_error_set_errno(reterr, errno, "cannot open %s", s1);
        if (d->resolv) {
                _cleanup_free_ char *body = net_resolv_conf("# Generated by rkt run", d->resolv);
                r = body ? write_file_replace_at(fd, "etc/rkt-resolv.conf", body, strlen(body),
                                                 0644, 0)
                         : 0;
        }
        if (r >= 0 && d->hosts)
                r = write_hosts(fd, d->hosts);
        return r < 0 ? rk_error_set_errno(reterr, -r, "cannot write DNS files") : 0;
}
