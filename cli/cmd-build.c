// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-build.c: `berth build` (flags into struct build_opts, then
 * build_image) and `berth builder prune` (the step cache).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../builder/build.h"
#include "../builder/cache.h"
#include "../image/reference.h"
#include "../lib/util.h"
#include "cli.h"

DEFINE_CLEANUP_FUNC(char **, strv_free)

static void say_line(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "%s\n", line);
}

/* --timestamp EPOCH, else SOURCE_DATE_EPOCH, else none (-1). */
static int epoch_of(const char *flag, const char *v, int64_t *out)
{
	char *end;
	long long t;

	errno = 0;
	t = strtoll(v, &end, 10);
	if (!*v || *end || errno || t < 0)
		return cli_usage_error("build", "%s=%s: expected seconds since 1970", flag, v);
	*out = t;
	return 0;
}

static int write_iidfile(const char *path, const char *id, struct berth_error *err)
{
	_cleanup_free_ char *line = xasprintf("%s", id);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write_all(fd, line, strlen(line)) < 0)
		return berth_error_set(err, errno, "--iidfile %s", path);
	return 0;
}

struct build_flags {
	struct build_opts o;
	char **tags, **args, **secrets, **labels;
	size_t n_tags, n_args, n_secrets, n_labels;
	const char *iidfile;
};

static void build_flags_clear(struct build_flags *f)
{
	strv_free(f->tags);
	strv_free(f->args);
	strv_free(f->secrets);
	strv_free(f->labels);
}

static int tag_flag(struct build_flags *f, const char *v)
{
	_cleanup_free_ char *norm = NULL;
	struct berth_error err = { 0 };

	if (reference_normalize(v, &norm, &err) < 0) {
		int r = cli_usage_error("build", "-t %s: %s", v, err.msg);
		berth_error_clear(&err);
		return r;
	}
	if (strchr(norm, '@'))
		return cli_usage_error("build", "-t %s: a name cannot carry a digest", v);
	strv_push(&f->tags, &f->n_tags, norm);
	return 0;
}

static int one_of(const char *flag, const char *v, const char *const *allowed)
{
	for (const char *const *a = allowed; *a; a++)
		if (!strcmp(v, *a))
			return 0;
	return cli_usage_error("build", "--%s=%s: not one of the values it takes", flag, v);
}

static int set_flag(struct build_flags *f, int c, const char *v)
{
	static const char *const pulls[] = { "always", "missing", "never", "true", "false", NULL };
	static const char *const nets[] = { "default", "none", "host", NULL };
	static const char *const progress[] = { "auto", "plain", "tty", NULL };

	switch (c) {
	case 't': return tag_flag(f, v);
	case 'f': f->o.file = v; return 0;
	case 'A' + 256: strv_push(&f->args, &f->n_args, v); return 0;
	case 'T' + 256: f->o.target = v; return 0;
	case 'N' + 256: f->o.no_cache = true; return 0;
	case 'P' + 256:
		if (v && one_of("pull", v, pulls))
			return EXIT_USAGE;
		/* docker's --pull alone (or true) is always; false is missing */
		f->o.pull = !v || !strcmp(v, "true") ? "always"
			    : !strcmp(v, "false")    ? "missing"
						     : v;
		return 0;
	case 'S' + 256:
		if (!strstr(v, "id="))
			return cli_usage_error(
				"build", "--secret %s: expected id=ID[,src=PATH|,env=VAR]", v);
		strv_push(&f->secrets, &f->n_secrets, v);
		return 0;
	case 'n' + 256:
		if (one_of("network", v, nets))
			return EXIT_USAGE;
		f->o.network = v;
		return 0;
	case 'l' + 256: strv_push(&f->labels, &f->n_labels, v); return 0;
	case 'I' + 256: f->iidfile = v; return 0;
	case 'q': f->o.quiet = true; return 0;
	case 'p' + 256:
		if (one_of("progress", v, progress))
			return EXIT_USAGE;
		f->o.progress = !strcmp(v, "plain") ? BUILD_PROGRESS_PLAIN
				: !strcmp(v, "tty") ? BUILD_PROGRESS_TTY
						    : BUILD_PROGRESS_AUTO;
		return 0;
	case 'E' + 256: return epoch_of("--timestamp", v, &f->o.timestamp);
	case 'Q' + 256: f->o.squash = true; return 0;
	default: return EXIT_USAGE;
	}
}

int cmd_build(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "tag", 't', "NAME[:TAG]", "Name the image (repeatable)" },
		{ "file", 'f', "FILE",
		  "The Dockerfile (\"-\": stdin; default CONTEXT/Dockerfile, "
		  "else CONTEXT/Containerfile)" },
		{ "build-arg", 'A' + 256, "K[=V]",
		  "Set a build arg (K alone: from the environment)" },
		{ "target", 'T' + 256, "STAGE", "Build up to this stage" },
		{ "no-cache", 'N' + 256, NULL, "Run every step, using no cached one" },
		{ "pull", 'P' + 256, "[=always|missing|never]",
		  "Pull FROM images: missing (the default), always, never" },
		{ "secret", 'S' + 256, "id=ID[,src=PATH|,env=VAR]",
		  "A secret for RUN --mount=type=secret,id=ID (never stored in the image)" },
		{ "network", 'n' + 256, "default|none|host", "The network of RUN steps" },
		{ "label", 'l' + 256, "K=V", "Set a label on the image" },
		{ "iidfile", 'I' + 256, "FILE", "Write the image's ID to FILE" },
		{ "quiet", 'q', NULL, "Print only the image's ID" },
		{ "progress", 'p' + 256, "auto|plain|tty", "How steps are shown" },
		{ "timestamp", 'E' + 256, "EPOCH",
		  "Record this time (seconds) as every created time, and clamp file times to it "
		  "(default $SOURCE_DATE_EPOCH)" },
		{ "squash", 'Q' + 256, NULL, "Not supported yet: refused" },
		{ 0 },
	};
	static const char usage[] = "build [-t NAME[:TAG]]... [-f FILE|-] [--build-arg K[=V]]... "
				    "[--target STAGE] [--no-cache] [OPTIONS] CONTEXT|-";
	struct build_flags f = { .o = { .timestamp = -1, .out = stdout, .say = say_line } };
	_cleanup_store_ struct store *s = NULL;
	struct berth_error err = { 0 };
	char id[DIGEST_STR_LEN + 1];
	int c, r = EXIT_USAGE;

	if (getenv("SOURCE_DATE_EPOCH") && *getenv("SOURCE_DATE_EPOCH") &&
	    epoch_of("SOURCE_DATE_EPOCH", getenv("SOURCE_DATE_EPOCH"), &f.o.timestamp))
		return EXIT_USAGE;
	while ((c = cli_getopt(argc, argv, "build", usage, opts)) != -1)
		if (set_flag(&f, c, optarg) != 0)
			goto out;
	if (argc - optind != 1) {
		r = cli_usage_error("build", "expected one CONTEXT (a directory, or - for stdin)");
		goto out;
	}
	if (f.o.squash) {
		r = cli_usage_error("build", "--squash is not supported yet");
		goto out;
	}
	if (f.o.file && !strcmp(f.o.file, "-") && !strcmp(argv[optind], "-")) {
		r = cli_usage_error("build", "-f - and CONTEXT - both want stdin");
		goto out;
	}
	f.o.context = argv[optind];
	f.o.tags = f.tags;
	f.o.build_args = f.args;
	f.o.secrets = f.secrets;
	f.o.labels = f.labels;
	r = 1;
	if (cli_open_store(&s))
		goto out;
	if (build_image(s, &f.o, id, &err) < 0 ||
	    (f.iidfile && write_iidfile(f.iidfile, id, &err) < 0)) {
		r = cli_fail(&err);
		goto out;
	}
	printf("%s\n", f.o.quiet ? id : digest_hex(id));
	r = 0;
out:
	build_flags_clear(&f);
	return r;
}

static int cmd_builder_prune(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "all", 'a', NULL, "Remove the RUN --mount=type=cache directories too" },
		{ "force", 'f', NULL, "Do not ask (berth never asks: kept for docker)" },
		{ 0 },
	};
	bool all = false, force = false;
	_cleanup_store_ struct store *s = NULL;
	struct berth_error err = { 0 };
	struct build_cache_usage u = { 0 };
	int c;

	if ((c = cli_getflags(argc, argv, "builder prune", "builder prune [-a] [-f]", opts,
			      (bool *const[]){ &all, &force })) != 0)
		return c;
	if (argc - optind != 0)
		return cli_usage_error("builder prune", "takes no arguments");
	if (cli_open_store(&s))
		return 1;
	if (build_cache_prune(s, all, &u, &err) < 0)
		return cli_fail(&err);
	printf("Deleted %zu cache entries, %zu images, %zu cache mounts\n", u.entries, u.images,
	       u.mounts);
	printf("Total reclaimed space: %.1f MB\n", (double)u.bytes / 1e6);
	return 0;
}

int cmd_builder(int argc, char **argv)
{
	static const struct cli_cmd sub[] = {
		{ "prune", cmd_builder_prune, "Remove the build cache" },
	};
	return cli_dispatch("builder", sub, ARRAY_SIZE(sub), argc, argv);
}
