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
#include "listing.h"
#include "../image/image.h"
#include "../objects/volume.h"
#include "../runner/users.h"

static int volume_table(struct store *s, char *const *names, size_t n)
{
	static const struct listing_col cols[] = { { "DRIVER", 8, false },
						   { "VOLUME NAME", 0, false } };
	struct listing l = { cols, ARRAY_SIZE(cols), "  ", NULL, 0 };

	(void)s;
	for (size_t i = 0; i < n; i++)
		listing_row(&l, "local", names[i]);
	listing_print(&l);
	return 0;
}

/* for the verbs every kind of named object has (named.c); ls --format
 * json leaves out a volume whose record cannot be read */
static const struct cli_named volume_kind = {
	.kind = "volume",
	.lock = volume_lock,
	.exists = volume_exists,
	.list = volume_list,
	.remove = users_remove_volume,
	.prune = users_prune_volume,
	.anonymous = volume_is_anonymous,
	.inspect = volume_inspect,
	.table = volume_table,
	.ls_skips_broken = true,
	.prune_help = "Remove unused anonymous volumes (-a: all unused)",
	.rm_help = "Remove volumes no container uses",
};

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
		strv_push(&labels, &n_labels, optarg);
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

int cmd_volume(int argc, char **argv)
{
	static const struct cli_cmd sub[] = {
		{ "create", volume_create_cmd, "Create a named volume" },
	};

	return cli_dispatch_named(&volume_kind, sub, ARRAY_SIZE(sub), argc, argv);
}
