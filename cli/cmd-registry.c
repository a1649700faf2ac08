// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-registry.c: the registry verbs pull and push (login and logout are
 * cmd-login.c's).
 * Each parses its flags, calls image/'s registry client and prints: the
 * progress on stderr (image/'s board: redrawn lines on a terminal, plain
 * lines otherwise), the answer on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tls-flags.h"
#include "../image/pull-tags.h"
#include "../image/pull.h"
#include "../image/push.h"
#include "../lib/util.h"

static void say_line(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "%s\n", line);
}

static int parse_parallel(const char *v, size_t *out)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);

	if (*v < '1' || *v > '9' || *end || n > 64)
		return -1;
	*out = n;
	return 0;
}

/* --all-tags: each tag's image ID on stdout as it is pulled. */
static void pulled_tag(void *arg, const char *tag, const struct pull_result *r)
{
	size_t *fetched = arg;

	(void)tag;
	*fetched += r->fetched;
	printf("%s\n", r->id);
	fflush(stdout);
}

/* pull --all-tags: docker's last line names the repository. */
static int pull_all_tags(struct store *s, const struct pull_opts *o)
{
	struct berth_error err = { 0 };
	size_t fetched = 0;

	if (image_pull_all_tags(s, o, pulled_tag, &fetched, &err) < 0)
		return cli_fail(&err);
	if (!o->quiet)
		fprintf(stderr, "Status: %s %s\n",
			fetched ? "Downloaded newer images for" : "Images are up to date for",
			o->ref);
	return 0;
}

int cmd_pull(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "platform", 'P' + 256, "OS/ARCH[/VARIANT]",
		  "Platform to pick from a multi-arch index (default: the host's)" },
		{ "max-parallel", 'M' + 256, "N",
		  "Layers downloaded at once (default 3, at most 64)" },
		{ "all-tags", 'a', NULL,
		  "Pull every tagged image of the repository (one image ID a line)" },
		{ "quiet", 'q', NULL, "Print only the image ID" },
		CLI_TLS_OPTS,
		{ 0 },
	};
	struct pull_opts o = { .say = say_line, .progress = true };
	struct pull_result res;
	struct berth_error err = { 0 };
	_cleanup_store_ struct store *s = NULL;
	bool all_tags = false;
	int c, t;

	while ((c = cli_getopt(argc, argv, "pull",
			       "pull [-q] [-a] [--platform OS/ARCH] NAME[:TAG|@DIGEST]", opts)) !=
	       -1) {
		if ((t = cli_tls_flag("pull", c, optarg, &o.tls)) != 0) {
			if (t != 1)
				return t;
		} else if (c == 'P' + 256)
			o.platform = optarg;
		else if (c == 'M' + 256 && parse_parallel(optarg, &o.max_parallel) < 0)
			return cli_usage_error(
				"pull", "--max-parallel: expected 1 to 64, got \"%s\"", optarg);
		else if (c == 'q')
			o.quiet = true;
		else if (c == 'a')
			all_tags = true;
	}
	if (argc - optind != 1)
		return cli_usage_error("pull", "expected one image reference");
	o.ref = argv[optind];
	if (cli_open_store(&s))
		return 1;
	if (all_tags)
		return pull_all_tags(s, &o);
	if (image_pull(s, &o, &res, &err) < 0)
		return cli_fail(&err);
	if (!o.quiet)
		fprintf(stderr, "Status: %s %s\n",
			res.fetched ? "Downloaded newer image for" : "Image is up to date for",
			res.name);
	printf("%s\n", res.id);
	pull_result_clear(&res);
	return 0;
}

/* --digestfile: the digest alone, written whole or not at all */
static int write_digestfile(const char *path, const char *digest, struct berth_error *err)
{
	_cleanup_free_ char *line = xasprintf("%s", digest);

	if (write_file_atomic(AT_FDCWD, path, line, strlen(line), 0644, err) < 0)
		return berth_error_wrap(err, "--digestfile %s", path);
	return 0;
}

int cmd_push(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "compression-format", 'C' + 256, "gzip|zstd",
		  "Compression of layers made here, the first time they are pushed (default "
		  "gzip)" },
		{ "digestfile", 'D' + 256, "FILE", "Write the pushed manifest's digest to FILE" },
		{ "quiet", 'q', NULL, "Print only the pushed manifest's digest" },
		CLI_TLS_OPTS,
		{ 0 },
	};
	struct push_opts o = { .say = say_line, .progress = true };
	struct push_result res;
	struct berth_error err = { 0 };
	_cleanup_store_ struct store *s = NULL;
	const char *digestfile = NULL;
	static const char usage[] = "push [-q] [--compression-format gzip|zstd] [--digestfile "
				    "FILE] IMAGE [DESTINATION]";
	int c, t;

	while ((c = cli_getopt(argc, argv, "push", usage, opts)) != -1) {
		if ((t = cli_tls_flag("push", c, optarg, &o.tls)) != 0) {
			if (t != 1)
				return t;
		} else if (c == 'C' + 256 && !strcmp(optarg, "gzip"))
			o.compression = PUSH_GZIP;
		else if (c == 'C' + 256 && !strcmp(optarg, "zstd"))
			o.compression = PUSH_ZSTD;
		else if (c == 'C' + 256)
			return cli_usage_error("push",
					       "--compression-format: expected gzip or zstd, got "
					       "\"%s\"",
					       optarg);
		else if (c == 'D' + 256)
			digestfile = optarg;
		else if (c == 'q')
			o.quiet = true;
	}
	if (argc - optind < 1 || argc - optind > 2)
		return cli_usage_error("push", "expected IMAGE [DESTINATION]");
	o.image = argv[optind];
	o.dest = argv[optind + 1];
	if (cli_open_store(&s))
		return 1;
	if (image_push(s, &o, &res, &err) < 0) {
		if (err.errnum == ENOENT && err.msg && strstr(err.msg, "no such image"))
			return cli_no_such("image", o.image, false, &err);
		return cli_fail(&err);
	}
	if (digestfile && write_digestfile(digestfile, res.digest, &err) < 0) {
		push_result_clear(&res);
		return cli_fail(&err);
	}
	printf("%s\n", res.digest);
	push_result_clear(&res);
	return 0;
}
