// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-secret.c: the `berth secret` verb (create, ls, inspect, rm). Each
 * subverb parses its flags and calls the secret store (secret.c). A value
 * is read from a file or stdin by create and handed on; it is never
 * printed, and nothing here reads a stored one back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "listing.h"
#include "../image/image.h"
#include "../objects/secret.h"
#include "../lib/util.h"

/* The value from FILE or stdin ("-"), at most SECRET_MAX_SIZE bytes. */
static int read_value(const char *file, char **out, size_t *len, struct berth_error *err)
{
	const char *what = strcmp(file, "-") == 0 ? "stdin" : file;
	_cleanup_close_ int fd = -1;

	if (strcmp(file, "-") != 0 && (fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		return berth_error_set(err, errno, "secret create: %s", file);
	if (read_fd_all(fd >= 0 ? fd : STDIN_FILENO, SECRET_MAX_SIZE, out, len, err) < 0) {
		if (err->errnum == EFBIG) {
			berth_error_clear(err);
			return berth_error_set(err, 0, "secret create: %s: larger than %d KiB",
					       what, SECRET_MAX_SIZE / 1024);
		}
		return berth_error_wrap(err, "secret create: %s", what);
	}
	if (*len == 0) {
		free(steal_pointer(out));
		return berth_error_set(err, 0, "secret create: %s: empty, a secret needs a value",
				       what);
	}
	return 0;
}

static int secret_create_cmd(int argc, char **argv)
{
	static const struct cli_opt opts[] = { { 0 } };
	_cleanup_store_ struct store *s = NULL;
	_cleanup_json_ struct json_object *meta = NULL;
	struct berth_error err = { 0 };
	const char *name, *file;
	char *value = NULL;
	size_t len = 0;
	int rc;

	while (cli_getopt(argc, argv, "secret create", "secret create NAME FILE|-", opts) != -1)
		;
	if (argc - optind != 2)
		return cli_usage_error("secret create", "expected NAME and FILE (or - for stdin)");
	name = argv[optind];
	file = argv[optind + 1];
	if (!secret_name_valid(name)) {
		fprintf(stderr, "berth: secret name \"%s\": invalid: use %s\n", name,
			SECRET_NAME_RULE);
		return EXIT_USAGE;
	}
	if (strcmp(file, "-") == 0 && isatty(STDIN_FILENO))
		return cli_usage_error("secret create",
				       "stdin is a terminal: pipe the value in or give a file");
	if (read_value(file, &value, &len, &err) < 0)
		return cli_fail(&err);
	if (cli_open_store(&s)) {
		rc = 1;
		goto out;
	}
	/* held across both calls: the ID printed is the secret just made */
	if (store_lock(s, LOCK_EX, &err) < 0 || secret_create(s, name, value, len, &err) < 0 ||
	    !(meta = secret_inspect(s, name, &err))) {
		rc = cli_fail(&err);
		goto out;
	}
	printf("%s\n", json_get_string(meta, "ID"));
	rc = 0;
out:
	explicit_bzero(value, len);
	free(value);
	return rc;
}

/* "5 minutes ago" from an RFC3339 UTC stamp, as docker's tables say it. */
static void created_ago(const char *stamp, char *buf, size_t len)
{
	static const struct {
		int64_t secs;
		const char *unit;
	} units[] = { { 365 * 86400, "years" }, { 30 * 86400, "months" }, { 7 * 86400, "weeks" },
		      { 86400, "days" },	{ 3600, "hours" },	  { 60, "minutes" } };
	struct tm tm = { 0 };
	int64_t d;

	if (!stamp || !strptime(stamp, "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(buf, len, "N/A");
		return;
	}
	d = (int64_t)time(NULL) - (int64_t)timegm(&tm);
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (d >= 2 * units[i].secs) {
			snprintf(buf, len, "%lld %s ago", (long long)(d / units[i].secs),
				 units[i].unit);
			return;
		}
	}
	snprintf(buf, len, "%lld seconds ago", (long long)(d < 1 ? 1 : d));
}

static void print_table(struct json_object *a)
{
	static const struct listing_col cols[] = {
		{ "ID", 25, false },
		{ "NAME", 4, true },
		{ "CREATED", 0, false },
	};
	struct listing l = { cols, ARRAY_SIZE(cols), "  ", NULL, 0 };

	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *o = json_object_array_get_idx(a, i);
		char ago[64];
		created_ago(json_get_string(o, "CreatedAt"), ago, sizeof(ago));
		listing_row(&l, json_get_string(o, "ID"), json_get_string(o, "Name"), ago);
	}
	listing_print(&l);
}

static int secret_ls_cmd(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "format", 'F' + 256, "FORMAT", "Output format: table (default) or json" },
		{ "quiet", 'q', NULL, "Only show secret IDs" },
		{ 0 },
	};
	_cleanup_store_ struct store *s = NULL;
	_cleanup_json_ struct json_object *a = json_object_new_array();
	struct berth_error err = { 0 };
	bool json = false, quiet = false;
	char **names = NULL;
	size_t n = 0;
	int c, rc = 0;

	while ((c = cli_getopt(argc, argv, "secret ls", "secret ls [OPTIONS]", opts)) != -1) {
		if (c == 'q')
			quiet = true;
		else if (c == 'F' + 256 &&
			 (c = listing_format("secret ls", optarg, true, &json)) != 0)
			return c;
	}
	if (optind < argc)
		return cli_usage_error("secret ls", "unexpected argument \"%s\"", argv[optind]);
	if (cli_open_store(&s))
		return 1;
	if (store_lock(s, LOCK_SH, &err) < 0 || secret_list(s, &names, &n, &err) < 0)
		return cli_fail(&err);
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = secret_inspect(s, names[i], &err);
		if (!o)
			rc = cli_fail(&err);
		else
			json_object_array_add(a, o);
	}
	strv_free(names);
	if (json)
		listing_print_json(a);
	else if (quiet)
		for (size_t i = 0; i < json_object_array_length(a); i++)
			printf("%s\n", json_get_string(json_object_array_get_idx(a, i), "ID"));
	else
		print_table(a);
	return rc;
}

/* inspect's and rm's NAME... and the store, locked (lock: LOCK_SH or
 * LOCK_EX): 0 or the exit code. */
static int open_for_names(const char *verb, int argc, char **argv, int lock, struct store **s)
{
	static const struct cli_opt opts[] = { { 0 } };
	_cleanup_free_ char *usage = xasprintf("%s NAME...", verb);
	struct berth_error err = { 0 };

	while (cli_getopt(argc, argv, verb, usage, opts) != -1)
		;
	if (optind >= argc)
		return cli_usage_error(verb, "expected at least one NAME");
	if (cli_open_store(s))
		return 1;
	if (store_lock(*s, lock, &err) < 0)
		return cli_fail(&err);
	return 0;
}

static int secret_inspect_cmd(int argc, char **argv)
{
	_cleanup_store_ struct store *s = NULL;
	int rc = open_for_names("secret inspect", argc, argv, LOCK_SH, &s);

	return rc ? rc
		  : listing_inspect(s, argv + optind, (size_t)(argc - optind), secret_inspect,
				    false);
}

static int secret_rm_cmd(int argc, char **argv)
{
	_cleanup_store_ struct store *s = NULL;
	struct berth_error err = { 0 };
	int rc = open_for_names("secret rm", argc, argv, LOCK_EX, &s);

	if (rc)
		return rc;
	for (int i = optind; i < argc; i++) {
		if (secret_remove(s, argv[i], &err) < 0)
			rc = cli_fail(&err);
		else
			printf("%s\n", argv[i]);
	}
	return rc;
}

static const struct cli_cmd secret_cmds[] = {
	{ "create", secret_create_cmd, "Store a secret from a file or stdin" },
	{ "inspect", secret_inspect_cmd, "Show secrets' metadata as JSON (never the value)" },
	{ "list", secret_ls_cmd, NULL }, /* podman's and docker's alias */
	{ "ls", secret_ls_cmd, "List secrets" },
	{ "rm", secret_rm_cmd, "Remove secrets" },
};

int cmd_secret(int argc, char **argv)
{
	return cli_dispatch("secret", secret_cmds, ARRAY_SIZE(secret_cmds), argc, argv);
}
