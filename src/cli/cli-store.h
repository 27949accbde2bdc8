/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the commands that use the image store. */
#pragma once

#include "cli.h"
#include "config.h"
#include "store.h"

/* The configuration (loaded once); on error prints "cannot get configuration: …" and
 * returns NULL. */
const struct config *cli_config(void);

/*
 * What stage0 is run with (stage0.h): the configuration (cli_config()), --local-config,
 * --debug, --insecure-options and this build's default stage1. NULL (error printed) when
 * the configuration is invalid.
 */
const struct stage0_context *cli_stage0_context(void);

/* The data directory: --dir if given, else the paths config's "data", else the default.
 * NULL (error printed) when the configuration is invalid. */
const char *cli_data_dir(void);
/* Opens the store of cli_data_dir(); on failure prints the error and returns -errno. */
int cli_open_store(struct store **ret);
/* cli_open_store() with store_open_deferred()'s index. */
int cli_open_store_deferred(struct store **ret);
/* Resolves an image argument of an `image` subcommand; prints failures. */
int cli_resolve_image(struct store *s, const char *arg, char **ret_key);
/*
 * Prepares the output directory of `image extract|render`: refuses "/", fails when it
 * exists without overwrite ("output directory exists (try --overwrite)"), else removes it.
 */
int cli_prepare_output_dir(const char *dir, bool overwrite, struct rk_error **reterr);
