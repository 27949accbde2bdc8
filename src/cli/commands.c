/* SPDX-License-Identifier: Apache-2.0 */
/* The command tree. */
#include "commands.h"

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
        .children = image_children,
};

static const struct command *const root_children[] = {
        &cmd_cat_manifest, &cmd_config, &cmd_enter,
        &cmd_export,       &cmd_fetch,  &cmd_gc,
        &cmd_image,        &cmd_list,   &cmd_metadata_service,
        &cmd_prepare,      &cmd_rm,     &cmd_run,
        &cmd_run_prepared, &cmd_status, &cmd_stop,
        &cmd_version,      &cmd_help,   NULL,
};

const struct command cmd_root = {
        .name = "rkt",
        .short_desc = "rkt, the application container runner",
        .usage = "[command]",
        .long_desc = "A CLI for running app containers on Linux.\n\n"
                     "\tTo get the help on any specific command, run \"rkt help command\".",
        .children = root_children,
};
