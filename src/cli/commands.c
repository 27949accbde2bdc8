/* SPDX-License-Identifier: Apache-2.0 */
/* The command tree. */
#include "commands.h"

#include "log.h"

static const struct command *const image_children[] = {
        &cmd_image_cat_manifest, &cmd_image_export,
        &cmd_image_extract,      &cmd_image_fetch,
        &cmd_image_gc,           &cmd_image_list,
        &cmd_image_render,       &cmd_image_rm,
        &cmd_image_verify,       NULL,
};

const struct command cmd_image = {
        .name = "image",
        .short_desc = "Operate on image(s) in the local store",
        .usage = "[command]",
        .long_desc =
                "This subcommand operates on image(s) in the local store.\n"
                "\n"
                "The \"cat-manifest\", \"export\", \"extract\", \"render\", and \"rm\" "
                "subcommands\n"
                "take the ID or image name to reference images in the local store.\n"
                "\n"
                "The ID can be specified using the long or short version, i.e. "
                "\"sha512-78c08a541997\",\n"
                "or \"sha512-78c08a5419979fff71e615f27aad75b84362a3cd9a13703b9d47ec27d1cfd029\".\n"
                "\n"
                "The image name can be specified including the version tag as stored in the "
                "local store,\n"
                "i.e. \"quay.io/coreos/etcd:latest\", or \"quay.io/coreos/etcd:v3.0.13\".\n"
                "\n"
                "The version tag may be left out, i.e. \"quay.io/coreos/etcd\".\n"
                "In case of ambiguity, the least recently fetched image with this name will be "
                "chosen.",
        .children = image_children,
};

static const struct command *const root_children[] = {
        &cmd_api_service,
        &cmd_attach,
        &cmd_cat_manifest,
        &cmd_completion,
        &cmd_config,
        &cmd_enter,
        &cmd_export,
        &cmd_fetch,
        &cmd_gc,
        &cmd_image,
        &cmd_list,
        &cmd_logs,
        &cmd_metadata_service,
        &cmd_prepare,
        &cmd_rm,
        &cmd_run,
        &cmd_run_prepared,
        &cmd_status,
        &cmd_stop,
        &cmd_trust,
        &cmd_version,
        &cmd_help,
        &cmd_app,
        NULL,
};

/* rkt without a command: its help, exit status 2. */
static int root_run(const struct command *cmd, int argc, char **argv)
{
        log_error("missing command");
        cli_print_help(cmd, "rkt");
        return 2;
}

const struct command cmd_root = {
        .name = "rkt",
        .short_desc = "rkt, the application container runner",
        .usage = "[command]",
        .long_desc = "A CLI for running app containers on Linux.\n\n"
                     "To get the help on any specific command, run \"rkt help command\".",
        .run = root_run,
        .children = root_children,
};
