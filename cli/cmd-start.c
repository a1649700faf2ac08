// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-start.c: `berth start` of recorded containers, attached (-a, this
 * process then exits with the container's status) or detached. What a
 * start does is the engine's (runner/start.c); a restarted container
 * keeps its writable layer.
 */
#include <stdio.h>

#include "../runner/container.h"
#include "cli.h"

int cmd_start(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "attach", 'a', NULL, "Stay attached and exit with the container's status" },
		{ "interactive", 'i', NULL, "Attach stdin too" },
		{ 0 },
	};
	_cleanup_store_ struct store *s = NULL;
	bool attach = false, interactive = false;
	int c, r = 0;

	if ((c = cli_getflags(argc, argv, "start", "start [-a] [-i] CONTAINER...", opts,
			      (bool *const[]){ &attach, &interactive })) != 0)
		return c;
	attach = attach || interactive; /* input goes to an attached start */
	if (optind < argc && attach && optind + 1 != argc)
		return cli_usage_error("start", "-a attaches to one CONTAINER");
	if ((c = cli_open_for_containers("start", argc, &s)) != 0)
		return c;
	for (int i = optind; i < argc; i++) {
		char id[CONTAINER_ID_LEN + 1];
		if ((c = cli_resolve(s, argv[i], id)) != 0) {
			r = c;
			continue;
		}
		c = cli_start(s, id, attach, interactive);
		if (attach)
			return c;
		if (c == 0)
			printf("%s\n", argv[i]);
		else
			r = c;
	}
	return r;
}
