// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-system.c: `berth system check [--repair] [--digests]`, podman's
 * verb: the store's consistency, one line per problem with what --repair
 * does (or did) about it. The check itself is the engine's
 * (runner/check.h); this file parses the flags and prints.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "../runner/check.h"
#include "../lib/util.h"

static int cmd_system_check(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "repair", 'r', NULL,
		  "Fix what can be fixed without losing data: rebuild refs.json, remove "
		  "leftovers, move what cannot be read to quarantine/" },
		{ "digests", 'D' + 256, NULL,
		  "Also read every blob and compare its sha256 with its name (slow)" },
		{ "quick", 'q', NULL,
		  "Skip the slow checks (the default: blob digests only with --digests)" },
		{ 0 },
	};
	struct check_report r = { 0 };
	struct berth_error err = { 0 };
	_cleanup_store_ struct store *s = NULL;
	_cleanup_free_ char *root = store_default_root();
	size_t left;
	int c;

	while ((c = cli_getopt(argc, argv, "system check", "system check [--repair] [--digests]",
			       opts)) != -1) {
		if (c == 'r')
			r.opts.repair = true;
		else if (c == 'D' + 256)
			r.opts.digests = true;
		else if (c == 'q')
			r.opts.digests = false;
	}
	if (optind < argc)
		return cli_usage_error("system check", "unexpected argument \"%s\"", argv[optind]);
	/* as it is: what killed commands left is named before it goes */
	if (store_open_as_is(root, &s, &err) < 0 || engine_system_check(s, &r, &err) < 0)
		return cli_fail(&err);
	for (size_t i = 0; i < r.n; i++) {
		_cleanup_free_ char *line = check_line(&r.v[i]);
		printf("%s\n", line);
	}
	left = check_left(&r);
	if (r.n == 0)
		printf("no problems found in the store %s\n", s->root);
	else if (left == 0)
		printf("%zu problem%s repaired in the store %s\n", r.n, r.n > 1 ? "s" : "",
		       s->root);
	else if (!r.opts.repair)
		fprintf(stderr,
			"berth: %zu problem%s in the store %s: `berth system check --repair` "
			"fixes what it can\n",
			r.n, r.n > 1 ? "s" : "", s->root);
	else
		fprintf(stderr, "berth: %zu problem%s left in the store %s\n", left,
			left > 1 ? "s" : "", s->root);
	check_report_clear(&r);
	return left ? 1 : 0;
}

int cmd_system(int argc, char **argv)
{
	static const struct cli_cmd sub[] = {
		{ "check", cmd_system_check, "Check the store's consistency (--repair fixes it)" },
	};

	return cli_dispatch("system", sub, ARRAY_SIZE(sub), argc, argv);
}
