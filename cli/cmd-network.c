// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-network.c: `berth network create|ls|inspect|rm|prune`. Thin: parse,
 * call network.c (runner/users.c where the containers on a network count)
 * under the network lock, print. connect and disconnect
 * are refused with the way that works (run --network).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "listing.h"
#include "../image/image.h"
#include "../objects/network.h"
#include "../runner/users.h"

struct create_args {
	const char *name;
	bool has_subnet, internal;
	struct net_subnet subnet;
	char **labels;
	size_t n_labels;
};

static int network_table(struct store *s, char *const *names, size_t n)
{
	struct listing_col cols[] = { { "NAME", 4, false },
				      { "SUBNET", 18, false },
				      { "INTERNAL", 0, false } };
	struct listing l = { cols, ARRAY_SIZE(cols), "  ", NULL, 0 };
	struct berth_error err = { 0 };
	int r = 0;

	/* as wide as every name, those that cannot be read too */
	for (size_t i = 0; i < n; i++)
		cols[0].width = (int)strlen(names[i]) > cols[0].width ? (int)strlen(names[i])
								      : cols[0].width;
	for (size_t i = 0; i < n; i++) {
		struct network net;
		char a[INET_ADDRSTRLEN], sn[INET_ADDRSTRLEN + 4];
		if (network_load(s, names[i], &net, &err) < 0) {
			r = cli_fail(&err);
			continue;
		}
		inet_ntop(AF_INET, &net.subnet.net, a, sizeof(a));
		snprintf(sn, sizeof(sn), "%s/%u", a, net.subnet.prefix);
		listing_row(&l, names[i], sn, net.internal ? "true" : "false");
		network_clear(&net);
	}
	listing_print(&l);
	return r;
}

/* for the verbs every kind of named object has (named.c) */
static const struct cli_named network_kind = {
	.kind = "network",
	.lock = network_lock,
	.exists = network_exists,
	.list = network_list,
	.remove = users_remove_network,
	.prune = users_prune_network,
	.inspect = users_inspect_network,
	.table = network_table,
	.prune_help = "Remove every network no container uses",
	.rm_help = "Remove networks (not one in use)",
	.rm_alias = true,
};

/* Flags into a, or a usage error's exit code. */

static int parse_create(int argc, char **argv, struct create_args *a)
{
	static const struct cli_opt opts[] = {
		{ "subnet", 's' + 256, "CIDR",
		  "IPv4 subnet, /16 to /25, to /28 if --internal (default: 10.89.N.0/24)" },
		{ "internal", 'i' + 256, NULL, "No outbound access and no host (no slirp4netns)" },
		{ "label", 'l' + 256, "KEY=VALUE", "Set a label on the network" },
		{ "driver", 'd', "bridge", "Only bridge (docker's default)" },
		{ 0 },
	};
	const char *verb = "network create";
	struct berth_error err = { 0 };
	int c;

	while ((c = cli_getopt(argc, argv, verb,
			       "network create [--subnet CIDR] [--internal] [--label K=V] NAME",
			       opts)) != -1) {
		switch (c) {
		case 's' + 256:
			if (network_parse_subnet(optarg, &a->subnet, &err) < 0) {
				/* "subnet "X": why" as the flag's error */
				cli_usage_error(verb, "--%s", err.msg);
				berth_error_clear(&err);
				return EXIT_USAGE;
			}
			a->has_subnet = true;
			break;
		case 'i' + 256: a->internal = true; break;
		case 'l' + 256:
			if (optarg[0] == '=' || optarg[0] == '\0')
				return cli_usage_error(verb, "--label \"%s\": expected KEY=VALUE",
						       optarg);
			strv_push(&a->labels, &a->n_labels, optarg);
			break;
		case 'd':
			if (strcmp(optarg, "bridge"))
				return cli_usage_error(verb,
						       "--driver %s: berth networks are bridges "
						       "(only --driver bridge)",
						       optarg);
			break;
		default: return EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(verb,
				       argc == optind ? "a NAME is required" : "one NAME at most");
	a->name = argv[optind];
	return 0;
}

static int network_create_cmd(int argc, char **argv)
{
	_cleanup_store_ struct store *s = NULL;
	struct create_args a = { .labels = xcalloc(1, sizeof(char *)) };
	struct berth_error err = { 0 };
	int r;

	if ((r = parse_create(argc, argv, &a)) != 0 || (r = cli_open_store(&s)) != 0) {
		strv_free(a.labels);
		return r;
	}
	_cleanup_close_ int lock = network_lock(s, &err);
	if (lock < 0 || network_create(s, a.name, a.has_subnet ? &a.subnet : NULL, a.internal,
				       a.labels, a.n_labels, &err) < 0) {
		/* a bad name is the command line's fault (cli_fail clears err) */
		bool usage = err.errnum == EINVAL;
		r = cli_fail(&err) == 1 && usage ? EXIT_USAGE : 1;
	} else
		printf("%s\n", a.name); /* podman's answer; docker prints the id */
	berth_error_clear(&err);
	strv_free(a.labels);
	return r;
}

/* docker network connect/disconnect change a running container's
 * networks; here a container's network namespace is made when it starts
 * and is its network's for its life. */
static int network_connect_cmd(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr,
		"berth: network %s: a container joins its network when it starts: use run "
		"--network NAME (%s is not supported)\n",
		argv[0], argv[0]);
	return EXIT_USAGE;
}

int cmd_network(int argc, char **argv)
{
	static const struct cli_cmd sub[] = {
		{ "create", network_create_cmd, "Create a network" },
		{ "connect", network_connect_cmd, NULL },
		{ "disconnect", network_connect_cmd, NULL },
	};

	return cli_dispatch_named(&network_kind, sub, ARRAY_SIZE(sub), argc, argv);
}
