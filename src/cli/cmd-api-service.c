/* SPDX-License-Identifier: Apache-2.0 */
/* rkt api-service (SPEC.md §3.18, §9.2): runs the gRPC API service in the foreground. */
#include "api.h"
#include "cli-store.h"
#include "commands.h"
#include "fd-util.h"
#include "log.h"

static char *arg_listen;

static const struct flag api_service_flags[] = {
        {"listen", FLAG_STRING, &arg_listen, .def = "",
         .usage = "address to listen for client API requests", .quote_default = true},
        {NULL},
};

static int api_service_run(const struct command *cmd, int argc, char **argv)
{
        struct api_options o = {0};
        struct rk_error *err = NULL;

        if (argc > 0)
                return cli_usage(cmd);
        o.data_dir = cli_data_dir();
        if (!o.data_dir)
                return EXIT_RKT_ERROR;
        o.n_listen_fds = listen_fds_count();
        o.listen = arg_listen && *arg_listen ? arg_listen : NULL;
        if (o.n_listen_fds == 0 && !o.listen)
                o.listen = API_DEFAULT_LISTEN;
        o.flags = (struct api_global_flags){
                .dir = o.data_dir,
                .system_config_dir = arg_global.system_config,
                .local_config_dir = arg_global.local_config,
                .user_config_dir = arg_global.user_config,
                .insecure_flags = arg_global.insecure_words,
                .trust_keys_from_https = arg_global.trust_keys_from_https,
        };
        log_info("API service starting...");
        if (api_serve(&o, &err) < 0)
                return cli_report(err);
        return 0;
}

const struct command cmd_api_service = {
        .name = "api-service",
        .short_desc = "Run API service (experimental)",
        .usage = "[--listen=\"" API_DEFAULT_LISTEN "\"]",
        .long_desc = "The API service listens for gRPC requests on the address and port specified "
                     "by\nthe --listen option, by default " API_DEFAULT_LISTEN "\n\n"
                     "Specify the address 0.0.0.0 to listen on all interfaces.\n\n"
                     "It will also run correctly as a systemd socket-activated service, see\n"
                     "systemd.socket(5).",
        .flags = api_service_flags,
        .run = api_service_run,
};
