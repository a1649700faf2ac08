// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tls-flags.c: --tls-verify and --cert-dir, parsed once for every
 * registry verb (tls-flags.h).
 */
#include <stdbool.h>
#include <sys/stat.h>

#include "cli.h"
#include "tls-flags.h"
#include "../lib/userconf.h"

int cli_tls_flag(const char *verb, int c, const char *arg, struct regconf_tls_flags *f)
{
	bool verify = true;
	struct stat st;

	if (c == CLI_TLS_VERIFY_OPT) {
		if (arg && userconf_parse_bool(arg, &verify) < 0)
			return cli_usage_error(
				verb, "--tls-verify: expected true or false, got \"%s\"", arg);
		f->no_verify = !verify;
		return 1;
	}
	if (c == CLI_CERT_DIR_OPT) {
		if (stat(arg, &st) < 0 || !S_ISDIR(st.st_mode))
			return cli_usage_error(verb, "--cert-dir: %s is not a directory", arg);
		f->cert_dir = arg;
		return 1;
	}
	return 0;
}
