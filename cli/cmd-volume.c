// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-volume.c: `berth volume create|ls|inspect|rm|prune`. Thin: parse,
 * call volume.c (runner/users.c where a removal must ask which containers
 * use a volume) under the volume lock, print.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "../image/image.h"
#include "../objects/volume.h"
#include "../runner/users.h"

/* for the verbs every kind of named record has (main.c) */
static const struct cli_named volume_kind = { "volume", volume_lock, volume_exists,
					      users_remove_volume, volume_inspect };

static int volume_create_cmd(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "label", 'l' + 256, "KEY=VALUE", "Set a label on the volume" },
		{ 0 },
	};
	_cleanup_store_ struct store *s = NULL;
	struct berth_error err = { 0 };
	char **labels = xcalloc(1, sizeof(char *)), *name = NULL;
	size_t n_labels = 0;
	bool created;
	int c, r = 0;

	while ((c = cli_getopt(argc, argv, "volume create", "volume create [--label K=V] [NAME]",
			       opts)) != -1) {
		if (c != 'l' + 256) {
			strv_free(labels);
			return EXIT_USAGE;
		}
		labels = xrealloc(labels, (n_labels + 2) * sizeof(char *));
		labels[n_labels++] = xstrdup(optarg);
		labels[n_labels] = NULL;
	}
	if (argc - optind > 1) {
		strv_free(labels);
		return cli_usage_error("volume create", "one NAME at most");
	}
	if ((c = cli_open_store(&s)) != 0) {
		strv_free(labels);
		return c;
	}
	/* no NAME: an anonymous volume, as docker makes */
	_cleanup_close_ int lock = volume_lock(s, &err);
	if (lock < 0 || volume_ensure(s, optind < argc ? argv[optind] : NULL, labels, n_labels,
				      optind >= argc, &name, &created, &err) < 0)
		r = cli_fail(&err) == 1 && err.errnum == EINVAL ? EXIT_USAGE : 1;
	else
		printf("%s\n", name);
	berth_error_clear(&err);
	free(name);
	strv_free(labels);
	return r;
}

static int volume_ls_cmd(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "quiet", 'q', NULL, "Only names" },
		{ "format", 'f' + 256, "table|json", "Output format" },
		{ 0 },
	};
	_cleanup_store_ struct store *s = NULL;
	struct berth_error err = { 0 };
	bool quiet = false, json = false;
	char **names = NULL;
	size_t n;
	int c;

	while ((c = cli_getopt(argc, argv, "volume ls", "volume ls [-q] [--format json]", opts)) !=
	       -1) {
		if (c == 'q')
			quiet = true;
		else if (c == 'f' + 256 && (!strcmp(optarg, "json") || !strcmp(optarg, "table")))
			json = !strcmp(optarg, "json");
		else if (c == 'f' + 256)
			return cli_usage_error("volume ls", "--format %s: expected table or json",
					       optarg);
		else
			return EXIT_USAGE;
	}
	if (optind < argc)
		return cli_usage_error("volume ls", "unexpected argument \"%s\"", argv[optind]);
	if ((c = cli_open_store(&s)) != 0)
		return c;
	if (volume_list(s, &names, &n, &err) < 0) {
		strv_free(names);
		return cli_fail(&err);
	}
	_cleanup_json_ struct json_object *arr = json_object_new_array();
	if (!quiet && !json)
		printf("%-8s  %s\n", "DRIVER", "VOLUME NAME");
	for (size_t i = 0; i < n; i++) {
		if (quiet)
			printf("%s\n", names[i]);
		else if (!json)
			printf("%-8s  %s\n", "local", names[i]);
		else {
			struct json_object *o = volume_inspect(s, names[i], &err);
			if (o)
				json_object_array_add(arr, o);
			berth_error_clear(&err);
		}
	}
	if (json)
		printf("%s\n", json_object_to_json_string_ext(
				       arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
	strv_free(names);
	return 0;
}

static int volume_inspect_cmd(int argc, char **argv)
{
	return cli_inspect_named(&volume_kind, argc, argv);
}

static int volume_rm_cmd(int argc, char **argv)
{
	return cli_rm_named(&volume_kind, argc, argv);
}

static int volume_prune_cmd(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "all", 'a', NULL, "Named volumes too (default: anonymous ones only)" },
		{ "force", 'f', NULL, "Do not ask (berth never asks)" },
		{ 0 },
	};
	_cleanup_store_ struct store *s = NULL;
	struct berth_error err = { 0 };
	bool all = false;
	char **names = NULL;
	size_t n;
	int c, r = 0;

	while ((c = cli_getopt(argc, argv, "volume prune", "volume prune [-a]", opts)) != -1) {
		if (c == 'a')
			all = true;
		else if (c != 'f')
			return EXIT_USAGE;
	}
	if (optind < argc)
		return cli_usage_error("volume prune", "unexpected argument \"%s\"", argv[optind]);
	if ((c = cli_open_store(&s)) != 0)
		return c;
	_cleanup_close_ int lock = volume_lock(s, &err);
	if (lock < 0 || volume_list(s, &names, &n, &err) < 0) {
		strv_free(names);
		return cli_fail(&err);
	}
	for (size_t i = 0; i < n; i++) {
		bool removed;
		if (!all && !volume_is_anonymous(s, names[i]))
			continue;
		if (users_prune_volume(s, names[i], &removed, &err) < 0)
			r = cli_fail(&err);
		else if (removed)
			printf("%s\n", names[i]);
	}
	strv_free(names);
	return r;
}

int cmd_volume(int argc, char **argv)
{
	static const struct cli_cmd sub[] = {
		{ "create", volume_create_cmd, "Create a named volume" },
		{ "inspect", volume_inspect_cmd, "Show volumes as JSON" },
		{ "ls", volume_ls_cmd, "List volumes" },
		{ "list", volume_ls_cmd, NULL },
		{ "prune", volume_prune_cmd, "Remove unused anonymous volumes (-a: all unused)" },
		{ "rm", volume_rm_cmd, "Remove volumes no container uses" },
	};

	return cli_dispatch("volume", sub, ARRAY_SIZE(sub), argc, argv);
}
