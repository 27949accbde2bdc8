/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pod's networks: ADD in order with a record in P/net-info.json written before each
 * step, and the teardown that replays the record (SPEC.md §8.3, §8.5).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs-util.h"
#include "json-util.h"
#include "log.h"
#include "net-info.h"
#include "net-private.h"
#include "strv.h"

/* What the setup of one pod carries from network to network. */
struct setup {
        const struct net_pod_config *c;
        char *netns;
        char *cni_path;
        char **dirs;
        struct net_info info; /* P/net-info.json */
        struct net_pod *out;
};

/* The record must outlive a killed process, which the page cache does (net_info_write()). */
static int info_save(const struct setup *s, struct rk_error **reterr)
{
        int r = net_info_write(s->c->poddirfd, &s->info);

        return r < 0 ? rk_error_set_errno(reterr, -r, "writing %s", NET_INFO_FILE) : 0;
}

/*
 * The plugin search path (also the plugins' CNI_PATH, where they find their IPAM plugin):
 * SPEC.md §8.3's directories of the host, then Debian's. Not rkt's third, the stage1's
 * (stage1/rootfs/usr/lib/rkt/plugins/net relative to P): S1 is where an app allowed to trace
 * the pod init writes (through /proc/1/root), and the plugins run on the host as root, until
 * gc (our stage1 bundles no plugin there).
 */
static char **plugin_dirs(const char *local_config)
{
        char **d = NULL;

        strv_consume(&d, xasprintf("%s/net.d", local_config ? local_config : "/etc/rkt"));
        strv_push(&d, "/usr/lib/rkt/plugins/net");
        strv_push(&d, NET_CNI_PLUGIN_DIR);
        return d;
}

/* The absolute directories of a recorded search path (a pod set up before S1's was dropped
 * from it recorded that relative one): never a directory below P. */
static char *cni_path_absolute(const char *recorded)
{
        _cleanup_strv_free_ char **dirs = strv_split(recorded ?: NET_CNI_PLUGIN_DIR, ':');
        _cleanup_strv_free_ char **kept = NULL;

        STRV_FOREACH(d, dirs)
                if ((*d)[0] == '/')
                        strv_push(&kept, *d);
        return kept ? strv_join(kept, ":") : xstrdup(NET_CNI_PLUGIN_DIR);
}

static const char *conf_version(json_t *conf)
{
        const char *v = json_string_value(json_object_get(conf, "cniVersion"));

        return v && v[0] ? v : "0.1.0";
}

/* Plugin k of a list as CNI gives it to the plugin: its object with the list's name and
 * version, the previous result, and port mappings where the plugin asks for them. */
static json_t *list_plugin_conf(json_t *list, size_t k, json_t *prev, json_t *ports)
{
        json_t *c = json_deep_copy(json_array_get(json_object_get(list, "plugins"), k));

        json_object_set(c, "name", json_object_get(list, "name"));
        json_object_set_new(c, "cniVersion", json_string(conf_version(list)));
        if (prev)
                json_object_set(c, "prevResult", prev);
        if (ports &&
            json_is_true(json_object_get(json_object_get(c, "capabilities"), "portMappings")))
                json_object_set_new(c, "runtimeConfig", json_pack("{s:O}", "portMappings", ports));
        return c;
}

/* Runs one plugin conf (a JSON object) with command; *ret_result as cni_exec(). */
static int run_conf(char *const *dirs, const struct cni_call *base, json_t *conf,
                    const char *command, json_t **ret_result, struct rk_error **reterr)
{
        _cleanup_free_ char *plugin = NULL, *text = json_dumps(conf, JSON_COMPACT);
        struct cni_call call = *base;
        int r;

        r = cni_plugin_find(dirs, json_string_value(json_object_get(conf, "type")), &plugin,
                            reterr);
        if (r < 0)
                return r;
        call.command = command;
        call.version = conf_version(conf);
        return cni_exec(plugin, &call, text, strlen(text), ret_result, reterr);
}

static struct cni_call call_for(const char *uuid, const char *netns, const struct net_info_entry *e)
{
        return (struct cni_call){
                .container_id = uuid,
                .netns = netns,
                .ifname = e->if_name,
                .args = e->args,
                .path = e->cni_path,
        };
}

/*
 * The copy of a definition in P/net/<basename>, which the record names and teardown reads;
 * P/net/<ifname>-<basename> when an earlier network's file had the same basename.
 */
static int copy_conf(const struct setup *s, const struct net_def *d, size_t i, char **ret_path)
{
        const char *base = strrchr(d->path, '/') + 1;
        _cleanup_free_ char *rel = xasprintf("net/%s", base);
        int r;

        r = mkdir_p_at(s->c->poddirfd, "net", 0755);
        if (r >= 0 && faccessat(s->c->poddirfd, rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
                free(rel);
                rel = xasprintf("net/eth%zu-%s", i, base);
        }
        if (r >= 0)
                r = write_file_new_at(s->c->poddirfd, rel, d->bytes, strlen(d->bytes), 0644);
        if (r < 0)
                return r;
        *ret_path = xasprintf("%s/%s", s->c->pod_dir, rel);
        return 0;
}

/* The record of network i, before its ADD. */
static struct net_info_entry *entry_new(struct setup *s, const struct net_def *d,
                                        const struct net_request *rq, size_t i, char *conf_copy)
{
        struct net_info_entry *e = net_info_append(&s->info);

        e->net_name = xstrdup(d->name);
        e->net_conf = conf_copy;
        e->plugin_path = xstrdup("");
        e->if_name = xasprintf("eth%zu", i);
        e->ip = xstrdup("");
        e->args = xstrdup(rq->args);
        e->mask = xstrdup("");
        e->cni_path = xstrdup(s->cni_path);
        e->list = d->is_list;
        return e;
}

/* Replaces the string *field with value (malloc'd). */
static void set_str(char **field, char *value)
{
        free(*field);
        *field = value;
}

/* ADD of a list: each plugin with the previous one's result. */
static int add_list(const struct setup *s, const struct net_def *d, const struct cni_call *call,
                    json_t *ports, json_t **ret_result, struct rk_error **reterr)
{
        json_t *prev = NULL;
        size_t n = json_array_size(json_object_get(d->conf, "plugins"));

        for (size_t k = 0; k < n; k++) {
                _cleanup_json_ json_t *conf = list_plugin_conf(d->conf, k, prev, ports);
                json_t *res = NULL;
                int r = run_conf(s->dirs, call, conf, "ADD", &res, reterr);
                if (r < 0) {
                        json_decref(prev);
                        return r;
                }
                if (res) {
                        json_decref(prev);
                        prev = res;
                }
        }
        *ret_result = prev;
        return 0;
}

/* ADD of a single-plugin definition: its bytes verbatim on stdin, as rkt. */
static int add_single(struct setup *s, const struct net_def *d, struct net_info_entry *entry,
                      struct cni_call *call, json_t **ret_result, struct rk_error **reterr)
{
        _cleanup_free_ char *plugin = NULL;
        int r;

        r = cni_plugin_find(s->dirs, json_string_value(json_object_get(d->conf, "type")), &plugin,
                            reterr);
        if (r < 0)
                return r;
        set_str(&entry->plugin_path, xstrdup(plugin));
        r = info_save(s, reterr);
        if (r < 0)
                return r;
        call->command = "ADD";
        call->version = conf_version(d->conf);
        return cni_exec(plugin, call, d->bytes, strlen(d->bytes), ret_result, reterr);
}

/* Base64 of the 4 bytes of an IPv4 mask, as Go marshals a net.IPMask. */
static char *mask_base64(int prefix)
{
        static const char tab[] =
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        uint32_t m = prefix <= 0 ? 0 : prefix >= 32 ? ~0u : ~0u << (32 - prefix);
        uint8_t b[4] = {m >> 24, m >> 16, m >> 8, m};
        uint32_t x = (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];

        return xasprintf("%c%c%c%c%c%c==", tab[x >> 18], tab[(x >> 12) & 63], tab[(x >> 6) & 63],
                         tab[x & 63], tab[b[3] >> 2], tab[(b[3] & 3) << 4]);
}

/* Records a network's result in its entry and in the caller's view. */
static int result_take(struct net_result *nr, struct net_info_entry *entry, json_t *result)
{
        if (!result || cni_result_ip4(result, &nr->ip, &nr->prefix, &nr->gateway) < 0)
                return -ENOENT;
        set_str(&entry->ip, xstrdup(nr->ip));
        set_str(&entry->mask, mask_base64(nr->prefix));
        json_decref(entry->result);
        entry->result = json_incref(result);
        nr->name = xstrdup(entry->net_name);
        nr->ifname = xstrdup(entry->if_name);
        nr->dns = json_incref(json_object_get(result, "dns"));
        return 0;
}

/* Whether a list already forwards ports itself (a portmap plugin asking for mappings). */
static bool list_maps_ports(const struct net_def *d)
{
        json_t *p;
        size_t i;

        json_array_foreach(json_object_get(d->conf, "plugins"), i, p)
                if (json_is_true(
                            json_object_get(json_object_get(p, "capabilities"), "portMappings")))
                        return true;
        return false;
}

static int add_network(struct setup *s, const struct net_def *d, const struct net_request *rq,
                       json_t *ports, struct rk_error **reterr)
{
        size_t i = s->info.n;
        char *copy = NULL;
        _cleanup_json_ json_t *result = NULL;
        struct net_info_entry *entry;
        struct cni_call call;
        int r;

        r = copy_conf(s, d, i, &copy);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "copying %s", d->path);
        entry = entry_new(s, d, rq, i, copy);
        if (ports) /* the portmap plugin of the list needs them again for DEL */
                entry->port_mappings = json_incref(ports);
        call = call_for(s->c->uuid, s->netns, entry);
        if (d->is_list) {
                r = info_save(s, reterr);
                if (r >= 0)
                        r = add_list(s, d, &call, ports, &result, reterr);
        } else
                r = add_single(s, d, entry, &call, &result, reterr);
        if (r < 0)
                return r;
        if (result_take(&s->out->nets[i], entry, result) < 0)
                return rk_error_set(reterr, EINVAL, "the plugin returned no IPv4 address");
        s->out->n = i + 1;
        return info_save(s, reterr);
}

static json_t *ports_json(const struct net_pod_config *c)
{
        json_t *a = json_array();

        for (size_t i = 0; i < c->n_ports; i++) {
                const struct net_port *p = &c->ports[i];
                if (p->host_port == 0) /* no host port: nothing to forward */
                        continue;
                json_t *m = json_pack("{s:i,s:i,s:s}", "hostPort", (int)p->host_port,
                                      "containerPort", (int)p->pod_port, "protocol", p->protocol);
                if (p->host_ip)
                        json_object_set_new(m, "hostIP", json_string(p->host_ip));
                json_array_append_new(a, m);
        }
        return a;
}

/* portmap chained after the forwarding network, its conf kept in P/net/ for DEL. */
static int add_portmap(struct setup *s, json_t *ports, struct rk_error **reterr)
{
        struct net_info_entry *entry = &s->info.entries[s->out->fwd];
        const char *name = entry->net_name;
        _cleanup_free_ char *rel = xasprintf("net/%s.portmap.json", name);
        _cleanup_free_ char *path = xasprintf("%s/%s", s->c->pod_dir, rel);
        _cleanup_json_ json_t *conf = json_pack(
                "{s:s,s:s,s:s,s:{s:b},s:b,s:{s:O},s:O}", "cniVersion", conf_version(entry->result),
                "name", name, "type", "portmap", "capabilities", "portMappings", true, "snat", true,
                "runtimeConfig", "portMappings", ports, "prevResult", entry->result);
        _cleanup_free_ char *text = json_dumps(conf, JSON_COMPACT);
        struct cni_call call = call_for(s->c->uuid, s->netns, entry);
        int r;

        call.args = "";
        r = write_file_replace_at(s->c->poddirfd, rel, text, strlen(text), 0644, 0);
        if (r >= 0) {
                set_str(&entry->portmap_conf, TAKE_PTR(path));
                r = net_info_write(s->c->poddirfd, &s->info);
        }
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "writing the port forwarding of %s", name);
        r = run_conf(s->dirs, &call, conf, "ADD", NULL, reterr);
        return r < 0 ? rk_error_prefix(reterr, "error forwarding ports on network \"%s\"", name)
                     : 0;
}

/* The first network with ipMasq, else the last (SPEC.md §8.5). */
static int forwarding_network(const struct net_def *const *sel, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (sel[i]->ip_masq)
                        return (int)i;
        return (int)n - 1;
}

static int setup_networks(struct setup *s, const struct net_def *const *sel,
                          const struct net_request *reqs, size_t n, struct rk_error **reterr)
{
        _cleanup_json_ json_t *ports = s->c->n_ports ? ports_json(s->c) : NULL;
        bool ports_done;
        int r;

        if (ports && json_array_size(ports) == 0)
                ports = (json_decref(ports), NULL);
        ports_done = !ports;

        s->out->fwd = forwarding_network(sel, n);
        for (size_t i = 0; i < n; i++) {
                bool here = ports && (int)i == s->out->fwd && sel[i]->is_list &&
                            list_maps_ports(sel[i]);
                r = add_network(s, sel[i], &reqs[i], here ? ports : NULL, reterr);
                if (r < 0)
                        return rk_error_prefix(reterr, "error adding network \"%s\"", sel[i]->name);
                ports_done |= here;
        }
        return ports_done ? 0 : add_portmap(s, ports, reterr);
}

/* The namespace's path is recorded in P/netns before it exists, so that gc finds it even
 * when this process is killed right after creating it. */
static int setup_start(struct setup *s, struct rk_error **reterr)
{
        int r;

        s->netns = netns_new_path();
        r = write_file_replace_at(s->c->poddirfd, "netns", s->netns, strlen(s->netns), 0644, 0);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "writing netns");
        r = netns_create(s->netns);
        if (r < 0) {
                (void)unlinkat(s->c->poddirfd, "netns", 0);
                return rk_error_set_errno(reterr, -r, "creating the network namespace");
        }
        s->cni_path = strv_join(s->dirs, ":");
        return 0;
}

static int load_selection(const struct net_pod_config *c, struct net_defs *defs,
                          const struct net_def ***sel, struct net_request **reqs, size_t *n,
                          struct rk_error **reterr)
{
        _cleanup_free_ char *builtin =
                xasprintf("%s/stage1/rootfs/%s", c->pod_dir, NET_BUILTIN_DIR);
        _cleanup_free_ char *user = xasprintf("%s/net.d", c->local_config ?: "/etc/rkt");
        int r;

        r = net_defs_load(builtin, user, defs, reterr);
        if (r >= 0)
                r = net_select(defs, c->net_spec, sel, reqs, n, reterr);
        return r < 0 ? rk_error_prefix(reterr, "error loading network definitions") : 0;
}

int net_pod_setup(const struct net_pod_config *c, struct net_pod *ret, struct rk_error **reterr)
{
        struct setup s = {.c = c, .out = ret, .dirs = plugin_dirs(c->local_config)};
        struct net_defs defs = {0};
        const struct net_def **sel = NULL;
        struct net_request *reqs = NULL;
        size_t n = 0;
        int r;

        *ret = (struct net_pod){.fwd = -1};
        r = load_selection(c, &defs, &sel, &reqs, &n, reterr);
        if (r >= 0)
                r = setup_start(&s, reterr);
        if (r >= 0) {
                ret->nets = xnew0(struct net_result, n);
                r = setup_networks(&s, sel, reqs, n, reterr);
                if (r < 0) {
                        net_pod_undo(c->poddirfd, c->uuid);
                        net_pod_done(ret);
                } else
                        ret->netns_path = TAKE_PTR(s.netns);
        }
        free(s.netns);
        free(s.cni_path);
        strv_free(s.dirs);
        net_info_done(&s.info);
        free(sel);
        net_requests_free(reqs, n);
        net_defs_done(&defs);
        return r;
}

void net_pod_done(struct net_pod *n)
{
        for (size_t i = 0; n->nets && i < n->n; i++) {
                free(n->nets[i].name);
                free(n->nets[i].ifname);
                free(n->nets[i].ip);
                free(n->nets[i].gateway);
                json_decref(n->nets[i].dns);
        }
        free(n->nets);
        free(n->netns_path);
        *n = (struct net_pod){.fwd = -1};
}

const char *net_pod_host_ip(const struct net_pod *n)
{
        if (n->fwd < 0 || (size_t)n->fwd >= n->n)
                return NULL;
        return n->nets[n->fwd].gateway;
}

/* P/net/<basename> of a recorded path (only its basename is trusted); NULL if unusable. */
static char *net_file_rel(const char *recorded)
{
        const char *base = recorded ? strrchr(recorded, '/') : NULL;

        if (!base || !base[1] || strcmp(base, "/..") == 0)
                return NULL;
        return xasprintf("net/%s", base + 1);
}

/* A file of P/net/ named by the record, parsed; NULL when it is gone (its DEL is done). */
static json_t *read_net_file(int poddirfd, const char *recorded, char **ret_bytes)
{
        _cleanup_free_ char *rel = net_file_rel(recorded), *bytes = NULL;
        json_t *j;

        if (!rel || read_file_at(poddirfd, rel, 1 << 20, &bytes, NULL) < 0)
                return NULL;
        j = net_conf_parse(bytes, strlen(bytes), NULL);
        if (ret_bytes)
                *ret_bytes = TAKE_PTR(bytes);
        return j;
}

/* Removes the file of P/net/ named by the record, after its DEL succeeded. */
static void drop_net_file(int poddirfd, const char *recorded)
{
        _cleanup_free_ char *rel = net_file_rel(recorded);

        if (rel)
                (void)unlinkat(poddirfd, rel, 0);
}

/*
 * Keeps the first failure of a teardown series: r < 0 with *e set moves *e into *first (or
 * drops it when *first is already set). Returns the first failure's r, or 0.
 */
static int keep_first(struct rk_error **first, struct rk_error **e, int r, int prev)
{
        if (r >= 0)
                return prev;
        if (*first) {
                *e = rk_error_free(*e);
                return prev;
        }
        *first = TAKE_PTR(*e);
        return r;
}

/* rkt's debug line before each DEL of a teardown (its TestGCAfterUnmount waits for it). */
static void log_teardown(json_t *conf)
{
        const char *type = json_string_value(json_object_get(conf, "type"));

        log_with_prefix(LOG_LEVEL_DEBUG, "networking: ", "teardown - executing net-plugin %s",
                        type ?: "");
}

static int del_list(char *const *dirs, const struct cni_call *call, json_t *conf, json_t *result,
                    json_t *ports, struct rk_error **reterr)
{
        int r = 0;

        for (size_t k = json_array_size(json_object_get(conf, "plugins")); k-- > 0;) {
                _cleanup_json_ json_t *pc = list_plugin_conf(conf, k, result, ports);
                struct rk_error *e = NULL;
                log_teardown(pc);
                r = keep_first(reterr, &e, run_conf(dirs, call, pc, "DEL", NULL, &e), r);
        }
        return r;
}

static int del_network(int poddirfd, char *const *dirs, const struct cni_call *call,
                       const struct net_info_entry *e, struct rk_error **reterr)
{
        _cleanup_free_ char *bytes = NULL, *plugin = NULL;
        _cleanup_json_ json_t *conf = read_net_file(poddirfd, e->net_conf, &bytes);
        struct cni_call c = *call;
        int r;

        if (!conf)
                return 0; /* never recorded as added */
        if (e->list)
                return del_list(dirs, call, conf, e->result, e->port_mappings, reterr);
        log_teardown(conf);
        c.command = "DEL";
        c.version = conf_version(conf);
        r = cni_plugin_find(dirs, json_string_value(json_object_get(conf, "type")), &plugin,
                            reterr);
        return r < 0 ? r : cni_exec(plugin, &c, bytes, strlen(bytes), NULL, reterr);
}

/* The plugin search path recorded for an entry. */
static char **entry_dirs(const struct net_info_entry *entry)
{
        return strv_split(entry->cni_path ?: NET_CNI_PLUGIN_DIR, ':');
}

/* DEL of the port forwarding recorded for an entry (if any); its conf goes once it worked. */
static int del_ports(int poddirfd, const char *uuid, const char *netns,
                     const struct net_info_entry *entry, struct rk_error **reterr)
{
        const char *recorded = entry->portmap_conf;
        _cleanup_json_ json_t *pm = read_net_file(poddirfd, recorded, NULL);
        _cleanup_strv_free_ char **dirs = entry_dirs(entry);
        struct cni_call call = call_for(uuid, netns, entry);
        int r;

        if (!pm)
                return 0;
        call.args = "";
        r = run_conf(dirs, &call, pm, "DEL", NULL, reterr);
        if (r < 0)
                return rk_error_prefix(reterr, "error removing the port forwarding of \"%s\"",
                                       entry->net_name);
        drop_net_file(poddirfd, recorded);
        return 0;
}

/*
 * DEL of the port forwarding a list makes itself (its own portmap plugin with the
 * portMappings capability): that plugin alone, with the list's recorded result. The list's
 * whole DEL at gc runs it again, which portmap takes as done.
 */
static int del_list_ports(int poddirfd, const char *uuid, const char *netns,
                          const struct net_info_entry *entry, struct rk_error **reterr)
{
        json_t *ports = entry->port_mappings;
        _cleanup_json_ json_t *conf = NULL;
        _cleanup_strv_free_ char **dirs = NULL;
        struct cni_call call = call_for(uuid, netns, entry);
        json_t *plugins;
        int r = 0;

        if (!entry->list || !ports)
                return 0;
        conf = read_net_file(poddirfd, entry->net_conf, NULL);
        plugins = json_object_get(conf, "plugins");
        dirs = entry_dirs(entry);
        for (size_t k = json_array_size(plugins); r >= 0 && k-- > 0;) {
                json_t *pl = json_array_get(plugins, k);
                if (!json_is_true(
                            json_object_get(json_object_get(pl, "capabilities"), "portMappings")))
                        continue;
                _cleanup_json_ json_t *pc = list_plugin_conf(conf, k, entry->result, ports);
                r = run_conf(dirs, &call, pc, "DEL", NULL, reterr);
        }
        if (r < 0)
                return rk_error_prefix(reterr, "error removing the port forwarding of \"%s\"",
                                       entry->net_name);
        return 0;
}

/* DEL of one recorded network; the copy of its definition goes once it worked. */
static int del_entry(int poddirfd, const char *uuid, const char *netns,
                     const struct net_info_entry *entry, struct rk_error **reterr)
{
        _cleanup_strv_free_ char **dirs = entry_dirs(entry);
        struct cni_call call = call_for(uuid, netns, entry);
        int r = del_network(poddirfd, dirs, &call, entry, reterr);

        if (r < 0)
                return rk_error_prefix(reterr, "error removing network \"%s\"", entry->net_name);
        drop_net_file(poddirfd, entry->net_conf);
        return 0;
}

/* P/netns when it names one of our namespaces; "" otherwise (never passed to a plugin). */
static char *read_netns(int poddirfd)
{
        _cleanup_free_ char *netns = NULL;

        if (read_file_at(poddirfd, "netns", 4096, &netns, NULL) < 0)
                return xstrdup("");
        netns[strcspn(netns, "\n")] = '\0';
        if (!netns_path_is_ours(netns))
                return xstrdup("");
        return TAKE_PTR(netns);
}

/* P/net-info.json; empty when there is none or it cannot be read (nothing to undo). */
static struct net_info read_info(int poddirfd)
{
        struct net_info info;

        (void)net_info_read(poddirfd, &info);
        for (size_t i = 0; i < info.n; i++) {
                char *abs = cni_path_absolute(info.entries[i].cni_path);
                free(info.entries[i].cni_path);
                info.entries[i].cni_path = abs;
        }
        return info;
}

int net_pod_teardown_ports(int poddirfd, const char *uuid, struct rk_error **reterr)
{
        _cleanup_free_ char *netns = read_netns(poddirfd);
        _cleanup_(net_info_done) struct net_info info = read_info(poddirfd);
        struct rk_error *e = NULL;
        int r = 0;

        for (size_t i = info.n; i-- > 0;) {
                const struct net_info_entry *entry = &info.entries[i];
                r = keep_first(reterr, &e, del_ports(poddirfd, uuid, netns, entry, &e), r);
                r = keep_first(reterr, &e, del_list_ports(poddirfd, uuid, netns, entry, &e), r);
        }
        return r;
}

/* Inside a stand-in namespace: each recorded network's interface with the pod's address. */
static int fill_stand_in(void *data)
{
        const struct net_info *info = data;

        for (size_t i = 0; i < info->n; i++) {
                const struct net_info_entry *entry = &info->entries[i];
                _cleanup_free_ char *ip = NULL, *gw = NULL, *peer = xasprintf("rkt-gc%zu", i);
                int prefix, r;

                if (!entry->if_name || cni_result_ip4(entry->result, &ip, &prefix, &gw) < 0)
                        continue;
                r = netlink_veth_with_addr(entry->if_name, peer, ip, prefix);
                if (r < 0)
                        log_with_prefix(LOG_LEVEL_DEBUG,
                                        "networking: ", "stand-in for %s in %s: %s", entry->if_name,
                                        entry->net_name, strerror(-r));
        }
        return 0;
}

/*
 * The pod's namespace went away (unmounted by an admin, or a reboot) with the interfaces the
 * plugins must see to undo their host side (masquerading rules are found from the
 * interface's address): a new namespace at the same path holds an interface of each name
 * with the recorded address, for the DELs to find and remove.
 */
static void stand_in_netns(const char *netns, const struct net_info *info)
{
        int r;

        if (!netns[0] || netns_is_live(netns) || info->n == 0)
                return;
        r = netns_recreate(netns, fill_stand_in, (void *)info);
        if (r < 0)
                log_with_prefix(LOG_LEVEL_DEBUG, "networking: ", "recreating %s: %s", netns,
                                strerror(-r));
}

int net_pod_teardown(int poddirfd, const char *uuid, struct rk_error **reterr)
{
        _cleanup_free_ char *netns = read_netns(poddirfd);
        _cleanup_(net_info_done) struct net_info info = read_info(poddirfd);
        struct rk_error *e = NULL;
        int r = 0, q;

        stand_in_netns(netns, &info);

        /* SPEC.md §8.3: port forwarding first, then the networks in reverse order */
        for (size_t i = info.n; i-- > 0;)
                r = keep_first(reterr, &e, del_ports(poddirfd, uuid, netns, &info.entries[i], &e),
                               r);
        for (size_t i = info.n; i-- > 0;)
                r = keep_first(reterr, &e, del_entry(poddirfd, uuid, netns, &info.entries[i], &e),
                               r);
        if (r < 0) /* plugins need the namespace to finish their DEL when it is retried */
                return r;
        if (netns[0] && (q = netns_remove(netns)) < 0)
                return rk_error_set_errno(reterr, -q, "removing %s", netns);
        (void)unlinkat(poddirfd, "netns", 0);
        return 0;
}

void net_pod_remove_netns(int poddirfd)
{
        _cleanup_free_ char *netns = read_netns(poddirfd);

        if (netns[0])
                (void)netns_remove(netns);
        (void)unlinkat(poddirfd, "netns", 0);
}

void net_pod_undo(int poddirfd, const char *uuid)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;

        if (net_pod_teardown(poddirfd, uuid, &e) >= 0)
                (void)unlinkat(poddirfd, NET_INFO_FILE, 0);
        else /* gc tries again from the record */
                fprintf(stderr, "stage1: %s\n", rk_error_cause(e));
}
