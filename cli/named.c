// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * named.c: the verbs every kind of named store object has (volumes,
 * networks: cmd-volume.c and cmd-network.c give a struct cli_named):
 * ls, inspect, rm and prune, one implementation each, the kind's own
 * part (its table, its removal) called through the struct, and the
 * dispatch of a kind's subverbs to them.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "listing.h"
#include "../image/image.h"
#include "../lib/util.h"

/* ls's flags: -q, --format table|json; a usage error's code, else 0. */
static int ls_flags(const char *kind, int argc, char **argv, bool *quiet, bool *json)
{
	static const struct cli_opt opts[] = {
		{ "quiet", 'q', NULL, "Only names" },
		{ "format", 'f' + 256, "table|json", "Output format" },
		{ 0 },
	};
	_cleanup_free_ char *verb = xasprintf("%s ls", kind);
	_cleanup_free_ char *usage = xasprintf("%s ls [-q] [--format json]", kind);
	int c;

	while ((c = cli_getopt(argc, argv, verb, usage, opts)) != -1) {
		if (c == 'q')
			*quiet = true;
		else if (c != 'f' + 256)
			return EXIT_USAGE;
		else if ((c = listing_format(verb, optarg, false, json)) != 0)
			return c;
	}
	if (optind < argc)
		return cli_usage_error(verb, "unexpected argument \"%s\"", argv[optind]);
	return 0;
}

int cli_ls_named(const struct cli_named *k, int argc, char **argv)
{
	_cleanup_store_ struct store *s = NULL;
	struct berth_error err = { 0 };
	bool quiet = false, json = false;
	char **names = NULL;
	size_t n;
	int r;

	if ((r = ls_flags(k->kind, argc, argv, &quiet, &json)) != 0 ||
	    (r = cli_open_store(&s)) != 0)
		return r;
	if (k->list(s, &names, &n, &err) < 0) {
		strv_free(names);
		return cli_fail(&err);
	}
	if (quiet)
		for (size_t i = 0; i < n; i++)
			printf("%s\n", names[i]);
	else
		r = json ? listing_inspect(s, names, n, k->inspect, k->ls_skips_broken)
			 : k->table(s, names, n);
	strv_free(names);
	return r;
}

int cli_rm_named(const struct cli_named *k, int argc, char **argv)
{
	_cleanup_free_ char *help = xasprintf("No error for a %s that does not exist", k->kind);
	const struct cli_opt opts[] = {
		{ "force", 'f', NULL, help },
		{ 0 },
	};
	_cleanup_free_ char *verb = xasprintf("%s rm", k->kind);
	_cleanup_free_ char *usage = xasprintf("%s rm [-f] NAME...", k->kind);
	_cleanup_store_ struct store *s = NULL;
	struct berth_error err = { 0 };
	bool force = false;
	int c, r = 0;

	while ((c = cli_getopt(argc, argv, verb, usage, opts)) != -1) {
		if (c != 'f')
			return EXIT_USAGE;
		force = true;
	}
	if (optind >= argc)
		return cli_usage_error(verb, "a NAME is required");
	if ((c = cli_open_store(&s)) != 0)
		return c;
	_cleanup_close_ int lock = k->lock(s, &err);
	if (lock < 0)
		return cli_fail(&err);
	for (int i = optind; i < argc; i++) {
		/* (checked under the kind's lock: of two removals at once, the
		 * second finds it gone) docker's words, no failure under -f;
		 * one in use is never removed: its containers would lose it */
		if (!k->exists(s, argv[i])) {
			if (cli_no_such(k->kind, argv[i], force, NULL) != 0)
				r = EXIT_FAILURE;
			continue;
		}
		if (k->remove(s, argv[i], &err) < 0)
			r = cli_fail(&err);
		else
			printf("%s\n", argv[i]);
	}
	return r;
}

int cli_inspect_named(const struct cli_named *k, int argc, char **argv)
{
	_cleanup_free_ char *verb = xasprintf("%s inspect", k->kind);
	_cleanup_free_ char *usage = xasprintf("%s inspect NAME...", k->kind);
	_cleanup_store_ struct store *s = NULL;
	int c;

	while ((c = cli_getopt(argc, argv, verb, usage, (const struct cli_opt[]){ { 0 } })) != -1)
		return EXIT_USAGE;
	if (optind >= argc)
		return cli_usage_error(verb, "a NAME is required");
	if ((c = cli_open_store(&s)) != 0)
		return c;
	return listing_inspect(s, argv + optind, (size_t)(argc - optind), k->inspect, false);
}

/* prune's flags: -f (berth never asks), and -a when the kind has
 * anonymous ones; a usage error's code, else 0. */
static int prune_flags(const struct cli_named *k, int argc, char **argv, bool *all)
{
	_cleanup_free_ char *all_help =
		xasprintf("Named %ss too (default: anonymous ones only)", k->kind);
	const struct cli_opt opts[] = {
		{ "all", 'a', NULL, all_help },
		{ "force", 'f', NULL, "Do not ask (berth never asks)" },
		{ 0 },
	};
	_cleanup_free_ char *verb = xasprintf("%s prune", k->kind);
	_cleanup_free_ char *usage =
		xasprintf("%s prune [%s]", k->kind, k->anonymous ? "-a" : "-f");
	bool force; /* berth never asks */
	bool *const set[] = { all, &force };
	int skip = k->anonymous ? 0 : 1, c;

	if ((c = cli_getflags(argc, argv, verb, usage, opts + skip, set + skip)) != 0)
		return c;
	if (optind < argc)
		return cli_usage_error(verb, "unexpected argument \"%s\"", argv[optind]);
	return 0;
}

int cli_prune_named(const struct cli_named *k, int argc, char **argv)
{
	_cleanup_store_ struct store *s = NULL;
	struct berth_error err = { 0 };
	bool all = false;
	char **names = NULL;
	size_t n;
	int r;

	if ((r = prune_flags(k, argc, argv, &all)) != 0 || (r = cli_open_store(&s)) != 0)
		return r;
	_cleanup_close_ int lock = k->lock(s, &err);
	if (lock < 0 || k->list(s, &names, &n, &err) < 0) {
		strv_free(names);
		return cli_fail(&err);
	}
	for (size_t i = 0; i < n; i++) {
		bool removed;
		if (k->anonymous && !all && !k->anonymous(s, names[i]))
			continue;
		if (k->prune(s, names[i], &removed, &err) < 0)
			r = cli_fail(&err);
		else if (removed)
			printf("%s\n", names[i]);
	}
	strv_free(names);
	return r;
}

int cli_dispatch_named(const struct cli_named *k, const struct cli_cmd *own, size_t n, int argc,
		       char **argv)
{
	static const struct {
		const char *name;
		int (*run)(const struct cli_named *k, int argc, char **argv);
	} verbs[] = {
		{ "ls", cli_ls_named },		  { "list", cli_ls_named },
		{ "inspect", cli_inspect_named }, { "rm", cli_rm_named },
		{ "remove", cli_rm_named },	  { "prune", cli_prune_named },
	};

	for (size_t v = 0; argc >= 2 && v < ARRAY_SIZE(verbs); v++)
		if (!strcmp(verbs[v].name, argv[1]) && (strcmp(argv[1], "remove") || k->rm_alias))
			return verbs[v].run(k, argc - 1, argv + 1);
	/* the kind's create first, the verbs every kind has, then its own
	 * others: the order of its help */
	_cleanup_free_ char *inspect = xasprintf("Show %ss as JSON", k->kind);
	_cleanup_free_ char *ls = xasprintf("List %ss", k->kind);
	const struct cli_cmd common[] = {
		{ "inspect", NULL, inspect }, { "ls", NULL, ls },
		{ "list", NULL, NULL },	      { "prune", NULL, k->prune_help },
		{ "rm", NULL, k->rm_help },   { "remove", NULL, NULL },
	};
	size_t n_common = ARRAY_SIZE(common) - (k->rm_alias ? 0 : 1), m = 0;
	_cleanup_free_ struct cli_cmd *all = xcalloc(n + n_common, sizeof(*all));

	all[m++] = own[0];
	for (size_t i = 0; i < n_common; i++)
		all[m++] = common[i];
	for (size_t i = 1; i < n; i++)
		all[m++] = own[i];
	return cli_dispatch(k->kind, all, m, argc, argv);
}
