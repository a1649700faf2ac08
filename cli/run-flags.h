/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run-flags.h: run's and create's flags into a run_config (run-flags.c),
 * through run_config's key table: the one parser for a command line, a
 * profile's flags (run --profile) and a stack's sandbox (up).
 */
#ifndef BERTH_CLI_RUN_FLAGS_H
#define BERTH_CLI_RUN_FLAGS_H

#include "../runner/run_config.h"
#include "cli.h"

/* The options, in run's --help order (a static table). */
const struct cli_opt *run_flags_opts(void);
/* argv (argv[0] the verb's name) into rc (run_config_init'ed): the
 * flags; then, unless they name a --profile (*opt_end says where they
 * ended, for the caller to resolve it), IMAGE and COMMAND and
 * run_config_finish. Notes (-v z) are printed as they come. 0, or the
 * exit code of a usage error, printed as `berth VERB: ...`. */
int run_flags_parse(int argc, char **argv, const char *verb, struct run_config *rc, int *opt_end);

#endif
