/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls-flags.h: the TLS flags every registry verb takes (tls-flags.c):
 * --tls-verify[=BOOL] and --cert-dir DIR, as podman spells them. A verb
 * puts CLI_TLS_OPTS in its option table and hands each option letter to
 * cli_tls_flag; the result goes to regconf's flags (image/regconf.h).
 */
#ifndef BERTH_CLI_TLS_FLAGS_H
#define BERTH_CLI_TLS_FLAGS_H

#include "../image/regconf.h"

#define CLI_TLS_VERIFY_OPT ('V' + 512)
#define CLI_CERT_DIR_OPT ('D' + 512)

#define CLI_TLS_OPTS                                                                               \
	{ "tls-verify", CLI_TLS_VERIFY_OPT, "[=BOOL]",                                             \
	  "Verify the registry's certificate (default true)" },                                    \
	{                                                                                          \
		"cert-dir", CLI_CERT_DIR_OPT, "DIR",                                               \
			"CA certificates (*.crt) and a client certificate (NAME.cert, NAME.key) "  \
			"instead of certs.d's"                                                     \
	}

/* c, the option getopt returned, with its argument: 1 when it was a TLS
 * flag (into f), 0 when not, or verb's usage error (EXIT_USAGE, said)
 * on a bad value. */
int cli_tls_flag(const char *verb, int c, const char *arg, struct regconf_tls_flags *f);

#endif
