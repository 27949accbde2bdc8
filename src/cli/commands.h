/* SPDX-License-Identifier: Apache-2.0 */
/* Every command object; each is defined in its own cmd-<name>.c. */
#pragma once

#include "cli.h"

extern const struct command cmd_api_service;
extern const struct command cmd_app;
extern const struct command cmd_cat_manifest;
extern const struct command cmd_completion;
extern const struct command cmd_config;
extern const struct command cmd_attach;
extern const struct command cmd_enter;
extern const struct command cmd_export;
extern const struct command cmd_fetch;
extern const struct command cmd_gc;
extern const struct command cmd_help;
extern const struct command cmd_image;
extern const struct command cmd_image_cat_manifest;
extern const struct command cmd_image_export;
extern const struct command cmd_image_extract;
extern const struct command cmd_image_fetch;
extern const struct command cmd_image_gc;
extern const struct command cmd_image_list;
extern const struct command cmd_image_render;
extern const struct command cmd_image_rm;
extern const struct command cmd_image_verify;
extern const struct command cmd_list;
extern const struct command cmd_logs;
extern const struct command cmd_metadata_service;
extern const struct command cmd_prepare;
extern const struct command cmd_rm;
extern const struct command cmd_run;
extern const struct command cmd_run_prepared;
extern const struct command cmd_status;
extern const struct command cmd_stop;
extern const struct command cmd_trust;
extern const struct command cmd_version;
