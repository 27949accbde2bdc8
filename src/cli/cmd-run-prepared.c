/* SPDX-License-Identifier: Apache-2.0 */
/* rkt run-prepared (SPEC.md §3.3): exec the stage1 of a prepared pod. */

#include "cli-store.h"
#include "commands.h"
#include "log.h"
#include "mds-client.h"
#include "pod-cli.h"
#include "register-mds.h"
#include "stage0-flags.h"
#include "strv.h"

static const struct flag run_prepared_flags[] = {
        {"net", FLAG_FUNC, &arg_stage0.net, stage0_net_flag_parse, .def = "default",
         .no_opt_default = "default",
         .usage = "configure the pod's networking. Optionally, pass a list of user-configured "
                  "networks to load and set arguments to pass to each network, respectively. "
                  "Syntax: --net[=n[:args]][,]"},
        {"dns", FLAG_STRV, &arg_stage0.dns,
         .usage = "name servers to write in /etc/resolv.conf. Pass 'host' to use host's "
                  "resolv.conf. Pass 'none' to ignore CNI DNS config"},
        {"dns-search", FLAG_STRV, &arg_stage0.dns_search,
         .usage = "DNS search domains to write in /etc/resolv.conf"},
        {"dns-opt", FLAG_STRV, &arg_stage0.dns_opt,
         .usage = "DNS options to write in /etc/resolv.conf"},
        {"dns-domain", FLAG_STRING, &arg_stage0.dns_domain, .def = "",
         .usage = "DNS domain to write in /etc/resolv.conf"},
        {"hosts-entry", FLAG_STRV, &arg_stage0.hosts_entry,
         .usage = "Entries to add to the pod-wide /etc/hosts. Pass 'host' to use the host's "
                  "/etc/hosts"},
        {"interactive", FLAG_BOOL, &arg_stage0.interactive, .def = "false",
         .usage = "run pod interactively"},
        {"mds-register", FLAG_BOOL, &arg_stage0.mds_register, .def = "false",
         .usage = "register pod with metadata service"},
        {"hostname", FLAG_STRING, &arg_stage0.hostname, .def = "",
         .usage = "pod's hostname. If empty, it will be \"rkt-$PODUUID\""},
        {"ipc", FLAG_STRING, &arg_stage0.ipc, .def = "",
         .usage = "whether to stay in the host IPC namespace. Syntax: --ipc=[auto|private|parent]"},
        {NULL},
};

/* The number of apps in the pod manifest (0 when it cannot be read). */
static size_t pod_count_apps(struct pod *p)
{
        _cleanup_strv_free_ char **names = NULL;
        struct rk_error *err = NULL;

        if (pod_app_names(p, &names, &err) < 0)
                rk_error_free(err);
        return strv_length(names);
}

static int run_prepared_checks(struct pod *p)
{
        const struct stage0_args *a = &arg_stage0;

        if (p->state != POD_STATE_PREPARED)
                return cli_fail("pod \"%s\" is not prepared", p->uuid);
        if (a->interactive && pod_count_apps(p) > 1)
                return cli_fail("interactive option only supports pods with one app");
        if (a->mds_register && !stage0_mds_wait_reachable())
                return cli_fail("%s", MDS_UNREACHABLE_TEXT);
        return stage0_dns_from_flags();
}

static int run_prepared_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(store_freep) struct store *s = NULL;
        _cleanup_(pod_freep) struct pod *p = NULL;
        struct stage1_run_args a = {arg_stage0.net, arg_stage0.interactive, NULL, NULL, false,
                                    &arg_dns};
        struct rk_error *err = NULL;
        int r;

        r = cli_become_root(true, arg_stage0.net);
        if (r != 0)
                return r;
        if (argc != 1)
                return cli_usage(cmd);
        if (!cli_data_dir() || cli_open_store(&s) < 0)
                return EXIT_RKT_ERROR;
        if (cli_pod_open(s->dir, argv[0], "problem retrieving pod", &p) != 0)
                return EXIT_RKT_ERROR;
        r = run_prepared_checks(p);
        if (r != 0)
                return r;
        if (pod_to_run(p, &err) < 0)
                return cli_report(err);
        if (arg_stage0.hostname && *arg_stage0.hostname)
                a.hostname = arg_stage0.hostname;
        a.mds_register = arg_stage0.mds_register;
        stage0_run(s, cli_stage0_context(), p, &a, &err);
        rk_error_prefix(&err, "stage0");
        log_set_prefix(NULL);
        return cli_report(err);
}

const struct command cmd_run_prepared = {
        .name = "run-prepared",
        .short_desc = "Run a prepared application pod in rkt",
        .usage = "UUID",
        .long_desc = "Runs a previously prepared pod by its UUID",
        .flags = run_prepared_flags,
        .run = run_prepared_run,
};
