/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for src/net without plugins or namespaces: net.d loading, --net selection,
 * resolv.conf bodies. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-util.h"
#include "json-util.h"
#include "net-info.h"
#include "net-private.h"
#include "net.h"
#include "tap.h"

static char *tmpdir(void)
{
        char *d = xstrdup("/tmp/test-net-XXXXXX");

        if (!mkdtemp(d))
                abort();
        return d;
}

static void put(const char *dir, const char *name, const char *text)
{
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0 || write_file_replace_at(fd, name, text, strlen(text), 0644, 0) < 0)
                abort();
}

#define PTP(name, subnet)                                                            \
        "{\"cniVersion\":\"0.1.0\",\"name\":\"" name "\",\"type\":\"ptp\",\"ipam\":" \
        "{\"type\":\"host-local\",\"subnet\":\"" subnet "\"}}"

/* Two directories as the stage1's and the user's net.d. */
static void fixture(char **ret_b, char **ret_u)
{
        *ret_b = tmpdir();
        *ret_u = tmpdir();
        put(*ret_b, "99-default.conf", PTP("default", "172.16.28.0/24"));
        put(*ret_b, "99-default-restricted.conf", PTP("default-restricted", "172.31.0.0/16"));
        put(*ret_u, "10-a.conf", PTP("a", "10.1.0.0/16"));
        put(*ret_u, "20-a-again.conf", PTP("a", "10.2.0.0/16"));
        put(*ret_u, "30-list.conflist",
            "{\"cniVersion\":\"0.4.0\",\"name\":\"l\",\"plugins\":[{\"type\":\"bridge\"}]}");
        put(*ret_u, "README", "not a network");
}

static void cleanup(char *b, char *u)
{
        rm_rf_at(AT_FDCWD, b);
        rm_rf_at(AT_FDCWD, u);
        free(b);
        free(u);
}

TEST(load_orders_by_basename_and_drops_duplicates)
{
        struct net_defs defs = {0};
        struct rk_error *e = NULL;
        char *b, *u;

        fixture(&b, &u);
        ASSERT_OK(net_defs_load(b, u, &defs, &e));
        ASSERT_EQ(defs.n, 4);
        ASSERT_STREQ(defs.items[0].name, "a");
        ASSERT_CONTAINS(defs.items[0].path, "10-a.conf");
        ASSERT_STREQ(defs.items[1].name, "l");
        ASSERT_TRUE(defs.items[1].is_list);
        ASSERT_STREQ(defs.items[2].name, "default-restricted");
        ASSERT_STREQ(defs.items[3].name, "default");
        net_defs_done(&defs);
        cleanup(b, u);
}

TEST(user_network_replaces_builtin)
{
        struct net_defs defs = {0};
        struct rk_error *e = NULL;
        char *b, *u;

        fixture(&b, &u);
        put(u, "50-mine.conf", PTP("default", "10.9.0.0/16"));
        ASSERT_OK(net_defs_load(b, u, &defs, &e));
        ASSERT_EQ(defs.n, 4);
        ASSERT_CONTAINS(defs.items[2].path, "50-mine.conf");
        ASSERT_STREQ(defs.items[2].name, "default");
        net_defs_done(&defs);
        cleanup(b, u);
}

TEST(malformed_file_names_the_file)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        struct net_defs defs = {0};
        _cleanup_free_ char *msg = NULL;
        char *b, *u;

        fixture(&b, &u);
        put(u, "40-bad.conf", "{\"name\": \"bad\"}");
        ASSERT_FAIL(net_defs_load(b, u, &defs, &e));
        msg = rk_error_render(e, false);
        ASSERT_CONTAINS(msg, "40-bad.conf: missing type");
        cleanup(b, u);
}

/* Selects spec from the fixture (plus extra as 60-extra.conf); *ret lists name(args). */
static int select_names(const char *spec, const char *extra, char **ret, struct rk_error **e)
{
        struct net_defs defs = {0};
        const struct net_def **sel = NULL;
        struct net_request *reqs = NULL;
        size_t n = 0;
        char *b, *u;
        int r;

        fixture(&b, &u);
        if (extra)
                put(u, "60-extra.conf", extra);
        r = net_defs_load(b, u, &defs, e);
        if (r >= 0)
                r = net_select(&defs, spec, &sel, &reqs, &n, e);
        if (r >= 0) {
                char buf[256] = "";
                for (size_t i = 0; i < n; i++)
                        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s(%s)",
                                 i ? "," : "", sel[i]->name, reqs[i].args);
                *ret = xstrdup(buf);
                free(sel);
                net_requests_free(reqs, n);
        }
        net_defs_done(&defs);
        cleanup(b, u);
        return r;
}

TEST(select_in_file_order_with_args)
{
        _cleanup_free_ char *s = NULL, *all = NULL;
        struct rk_error *e = NULL;

        ASSERT_OK(select_names("default,a:IP=10.1.0.9", NULL, &s, &e));
        ASSERT_STREQ(s, "a(IP=10.1.0.9),default()");
        ASSERT_OK(select_names("all", NULL, &all, &e));
        ASSERT_STREQ(all, "a(),l(),default-restricted(),default()");
}

TEST(select_unknown_and_overlapping)
{
        _cleanup_(rk_error_freep) struct rk_error *e1 = NULL, *e2 = NULL, *e3 = NULL;
        _cleanup_free_ char *s = NULL;

        ASSERT_FAIL(select_names("x,default,y", NULL, &s, &e1));
        ASSERT_STREQ(rk_error_cause(e1), "networks not found: x, y");
        ASSERT_FAIL(select_names("default,o", PTP("o", "172.16.0.0/12"), &s, &e2));
        ASSERT_STREQ(rk_error_cause(e2),
                     "networks \"o\" (172.16.0.0/12) and \"default\" (172.16.28.0/24) overlap");
        ASSERT_OK(select_names("default,default-restricted,a,o", PTP("o", "10.3.0.0/16"), &s, &e3));
}

TEST(all_keeps_per_network_arguments)
{
        _cleanup_free_ char *a = NULL, *b = NULL;
        struct rk_error *e = NULL;

        ASSERT_OK(select_names("all,default:IP=172.16.28.9", NULL, &a, &e));
        ASSERT_STREQ(a, "a(),l(),default-restricted(),default(IP=172.16.28.9)");
        ASSERT_OK(select_names("default:IP=172.16.28.9,all", NULL, &b, &e));
        ASSERT_STREQ(b, a);
}

TEST(list_masquerades_when_a_plugin_does)
{
        struct net_defs defs = {0};
        struct rk_error *e = NULL;
        char *b, *u;

        fixture(&b, &u);
        put(u, "40-m.conflist",
            "{\"cniVersion\":\"0.4.0\",\"name\":\"m\",\"plugins\":[{\"type\":\"ptp\","
            "\"ipMasq\":true},{\"type\":\"portmap\"}]}");
        ASSERT_OK(net_defs_load(b, u, &defs, &e));
        ASSERT_STREQ(defs.items[2].name, "m");
        ASSERT_TRUE(defs.items[2].ip_masq);
        ASSERT_FALSE(defs.items[1].ip_masq); /* "l": a bridge without ipMasq */
        net_defs_done(&defs);
        cleanup(b, u);
}

/* net.d keys are read as rkt's Go code read them (issue 18): a lone "Name", "Type",
 * "IpMasq" or "Ipam" works; the file still goes to the plugin byte for byte. */
TEST(capitalised_keys_work_and_bytes_stay)
{
        static const char text[] =
                "{\"cniVersion\":\"0.3.1\",\"Name\":\"caps\",\"Type\":\"ptp\",\"IpMasq\":true,"
                "\"Ipam\":{\"Type\":\"host-local\",\"Subnet\":\"10.1.2.0/24\"}}";
        struct net_defs defs = {0};
        struct rk_error *e = NULL;
        const struct net_def *d = NULL;
        char *b, *u, *sel = NULL;

        fixture(&b, &u);
        put(u, "40-caps.conf", text);
        ASSERT_OK(net_defs_load(b, u, &defs, &e));
        for (size_t i = 0; i < defs.n; i++)
                if (strcmp(defs.items[i].name, "caps") == 0)
                        d = &defs.items[i];
        ASSERT_NOT_NULL(d);
        ASSERT_TRUE(d->ip_masq);
        ASSERT_STREQ(d->bytes, text);
        ASSERT_STREQ(json_string_value(json_object_get(d->conf, "type")), "ptp");
        net_defs_done(&defs);
        cleanup(b, u);
        /* its IPAM subnet is read: it overlaps a network of the same subnet */
        ASSERT_FAIL(select_names("caps,a", text, &sel, &e));
        ASSERT_CONTAINS(rk_error_cause(e), "overlap");
        e = rk_error_free(e);
}

TEST(two_keys_for_one_field_are_refused)
{
        static const char *const bad[] = {
                "{\"name\":\"n\",\"Name\":\"m\",\"type\":\"ptp\"}",
                "{\"name\":\"n\",\"type\":\"ptp\",\"type\":\"bridge\"}",
                "{\"name\":\"n\",\"plugins\":[{\"type\":\"ptp\",\"TYPE\":\"x\"}]}",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(rk_error_freep) struct rk_error *e = NULL;
                struct net_defs defs = {0};
                char *b, *u;

                fixture(&b, &u);
                put(u, i == 2 ? "40-dup.conflist" : "40-dup.conf", bad[i]);
                ASSERT_FAIL(net_defs_load(b, u, &defs, &e));
                ASSERT_CONTAINS(rk_error_cause(e), "duplicate key");
                ASSERT_CONTAINS(rk_error_cause(e), "40-dup.conf");
                cleanup(b, u);
        }
}

TEST(network_names_are_checked)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        struct net_defs defs = {0};
        char *b, *u;

        fixture(&b, &u);
        put(u, "40-bad.conf", PTP("../x", "10.7.0.0/16"));
        ASSERT_FAIL(net_defs_load(b, u, &defs, &e));
        ASSERT_CONTAINS(rk_error_cause(e), "invalid network name \"../x\"");
        cleanup(b, u);
}

TEST(resolv_conf_bodies)
{
        json_t *dns = json_pack("{s:[s,s],s:[s],s:[s],s:s}", "nameservers", "10.0.0.1", "10.0.0.2",
                                "search", "a.test", "options", "ndots:2", "domain", "d.test");
        _cleanup_free_ char *body = net_resolv_conf("# hdr", dns);
        json_t *empty = json_object();

        ASSERT_STREQ(body, "# hdr\n\nsearch a.test\nnameserver 10.0.0.1\nnameserver 10.0.0.2\n"
                           "options ndots:2\ndomain d.test\n");
        ASSERT_NULL(net_resolv_conf("# hdr", empty));
        json_decref(dns);
        json_decref(empty);
}

/*
 * A plugin that writes its signal masks (read by the shell itself: a child would race with
 * the shell's own forks, around which it blocks signals) and open descriptors to
 * $TEST_PLUGIN_OUT.
 */
#define RECORDING_PLUGIN                                                          \
        "#!/bin/sh\n"                                                             \
        "while read -r k v; do case $k in Sig[BI]*) echo \"$k $v\";; esac; done " \
        "< /proc/$$/status > \"$TEST_PLUGIN_OUT\"\n"                              \
        "echo \"fds $(ls /proc/$$/fd | tr '\\n' ' ')\" >> \"$TEST_PLUGIN_OUT\"\n" \
        "echo '{\"cniVersion\":\"0.1.0\"}'\n"

TEST(plugins_start_with_default_signals_and_only_stdio)
{
        _cleanup_free_ char *d = tmpdir(), *plugin = xasprintf("%s/recorder", d);
        _cleanup_free_ char *out = xasprintf("%s/out", d), *seen = NULL;
        struct cni_call call = {.command = "ADD",
                                .container_id = "c",
                                .netns = "/nonexistent",
                                .ifname = "eth0",
                                .path = d,
                                .version = "0.1.0"};
        struct rk_error *e = NULL;
        json_t *result = NULL;
        sigset_t usr1, saved;
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

        put(d, "recorder", RECORDING_PLUGIN);
        ASSERT_OK(chmod(plugin, 0755));
        ASSERT_OK(setenv("TEST_PLUGIN_OUT", out, 1));
        /* what a careless caller of rkt may leave: a blocked and an ignored signal, an fd */
        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        ASSERT_OK(sigprocmask(SIG_BLOCK, &usr1, &saved));
        signal(SIGUSR2, SIG_IGN);
        ASSERT_OK(dup2(fd, 57));
        close(fd);
        int r = cni_exec(plugin, &call, "{}", 2, &result, &e);
        sigprocmask(SIG_SETMASK, &saved, NULL);
        signal(SIGUSR2, SIG_DFL);
        close(57);
        ASSERT_OK(r);
        json_decref(result);
        ASSERT_OK(read_file_at(AT_FDCWD, out, 4096, &seen, NULL));
        ASSERT_CONTAINS(seen, "SigBlk: 0000000000000000\n");
        ASSERT_CONTAINS(seen, "SigIgn: 0000000000000000\n");
        ASSERT_CONTAINS(seen, "fds 0 1 ");
        ASSERT_FALSE(strstr(seen, " 57 "));
        rm_rf_at(AT_FDCWD, d);
}

/* P/net-info.json as the stage1 wrote it before the record had a type (bytes of a real pod's,
 * paths shortened): a single-plugin network with port forwarding, then a list. */
#define NET_INFO_BYTES                                                                     \
        "[{\"netName\":\"default\",\"netConf\":\"/p/net/99-default.conf\",\"pluginPath\":" \
        "\"/usr/lib/cni/ptp\",\"ifName\":\"eth0\",\"ip\":\"172.16.28.180\",\"args\":\"\"," \
        "\"mask\":\"////AA==\",\"cniPath\":\"/l/net.d:/usr/lib/cni\",\"list\":false,"      \
        "\"result\":{\"cniVersion\":\"0.1.0\",\"ip4\":{\"ip\":\"172.16.28.180/24\","       \
        "\"gateway\":\"172.16.28.1\",\"routes\":[{\"dst\":\"0.0.0.0/0\"}]},\"dns\":{}},"   \
        "\"portmapConf\":\"/p/net/default.portmap.json\"},"                                \
        "{\"netName\":\"l\",\"netConf\":\"/p/net/30-l.conflist\",\"pluginPath\":\"\","     \
        "\"ifName\":\"eth1\",\"ip\":\"10.9.0.2\",\"args\":\"K=V\",\"mask\":\"//8AAA==\","  \
        "\"cniPath\":\"/usr/lib/cni\",\"list\":true,\"portMappings\":[{\"hostPort\":8080," \
        "\"containerPort\":80,\"protocol\":\"tcp\"}],\"result\":{\"cniVersion\":\"0.4.0\"}}]"

static int write_net_info(const char *dir, const char *text)
{
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        return write_file_replace_at(fd, NET_INFO_FILE, text, strlen(text), 0644, 0);
}

TEST(net_info_reads_and_writes_the_same_bytes)
{
        _cleanup_free_ char *d = tmpdir(), *bytes = NULL;
        _cleanup_close_ int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct net_info info;

        ASSERT_OK(write_net_info(d, NET_INFO_BYTES));
        ASSERT_OK(net_info_read(fd, &info));
        ASSERT_EQ(info.n, 2);
        ASSERT_STREQ(info.entries[0].net_name, "default");
        ASSERT_STREQ(info.entries[0].ip, "172.16.28.180");
        ASSERT_STREQ(info.entries[0].portmap_conf, "/p/net/default.portmap.json");
        ASSERT_FALSE(info.entries[0].list);
        ASSERT_NULL(info.entries[0].port_mappings);
        ASSERT_TRUE(info.entries[1].list);
        ASSERT_EQ(json_array_size(info.entries[1].port_mappings), 1);
        ASSERT_STREQ(info.entries[1].args, "K=V");
        ASSERT_OK(unlinkat(fd, NET_INFO_FILE, 0));
        ASSERT_OK(net_info_write(fd, &info));
        ASSERT_OK(read_file_at(fd, NET_INFO_FILE, 1 << 20, &bytes, NULL));
        ASSERT_STREQ(bytes, NET_INFO_BYTES);
        net_info_done(&info);
        rm_rf_at(AT_FDCWD, d);
}

TEST(net_info_in_rkts_form_and_as_rkt_wrote_it)
{
        _cleanup_free_ char *d = tmpdir(), *out = NULL;
        _cleanup_close_ int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_json_ json_t *j = NULL;
        struct net_info info;

        /* rkt's own record: its members only, an IP and mask as Go marshalled them */
        ASSERT_OK(write_net_info(d, "[{\"netName\":\"default\",\"netConf\":\"/c\",\"pluginPath\":"
                                    "\"/ptp\",\"ifName\":\"eth0\",\"ip\":\"172.16.28.2\","
                                    "\"args\":\"\",\"mask\":\"////AA==\"}]"));
        ASSERT_OK(net_info_read(fd, &info));
        ASSERT_NULL(info.entries[0].cni_path);
        ASSERT_NULL(info.entries[0].result);
        net_info_done(&info);
        ASSERT_OK(write_net_info(d, NET_INFO_BYTES));
        ASSERT_OK(net_info_read(fd, &info));
        j = net_info_to_rkt_json(&info);
        out = json_dump_go(json_array_get(j, 1), false);
        ASSERT_STREQ(out, "{\"netName\":\"l\",\"netConf\":\"/p/net/30-l.conflist\",\"pluginPath\":"
                          "\"\",\"ifName\":\"eth1\",\"ip\":\"10.9.0.2\",\"args\":\"K=V\","
                          "\"mask\":\"//8AAA==\"}");
        net_info_done(&info);
        rm_rf_at(AT_FDCWD, d);
}

TEST(net_info_absent_or_not_a_record)
{
        _cleanup_free_ char *d = tmpdir();
        _cleanup_close_ int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        static const char *const bad[] = {"{}", "[1]", "[{\"ip\":4}]",
                                          "[{\"ip\":\"a\",\"IP\":\"b\"}]", "not json"};
        struct net_info info;

        ASSERT_ERRNO(net_info_read(fd, &info), ENOENT);
        ASSERT_EQ(info.n, 0);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                ASSERT_OK(write_net_info(d, bad[i]));
                ASSERT_ERRNO(net_info_read(fd, &info), EINVAL);
                ASSERT_EQ(info.n, 0);
        }
        ASSERT_OK(write_net_info(d, "[]"));
        ASSERT_OK(net_info_read(fd, &info));
        ASSERT_EQ(info.n, 0);
        net_info_done(&info);
        rm_rf_at(AT_FDCWD, d);
}

TAP_MAIN
