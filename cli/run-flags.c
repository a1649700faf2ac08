// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * run-flags.c: run's and create's flags (run-flags.h). The options are
 * run_config's key table's (runner/run_config.c), listed in --help in
 * each flag's order; each option's value goes to run_config_set. Not
 * here: what a profile stands for (profile-flags.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../image/image.h"
#include "../lib/util.h"
#include "../runner/spec.h"
#include "run-flags.h"

static int by_order(const void *a, const void *b)
{
	const struct run_flag *x = *(const struct run_flag *const *)a;
	const struct run_flag *y = *(const struct run_flag *const *)b;
	return (x->order > y->order) - (x->order < y->order);
}

const struct cli_opt *run_flags_opts(void)
{
	static struct cli_opt opts[64];
	static bool made;
	const struct run_flag *f[64];
	size_t n = 0;

	if (made)
		return opts;
	for (size_t i = 0; i < run_config_n_keys; i++)
		for (size_t j = 0; j < ARRAY_SIZE(run_config_keys[i].flags); j++)
			if (run_config_keys[i].flags[j].name && n < ARRAY_SIZE(f) - 1)
				f[n++] = &run_config_keys[i].flags[j];
	qsort(f, n, sizeof(f[0]), by_order);
	for (size_t i = 0; i < n; i++)
		opts[i] = (struct cli_opt){ f[i]->name, f[i]->letter, f[i]->arg, f[i]->help };
	opts[n] = (struct cli_opt){ 0 };
	made = true;
	return opts;
}

/* A flag's error as a usage error: EINVAL's message is the whole story. */
static int usage_from(const char *verb, struct berth_error *e)
{
	_cleanup_free_ char *t = e->errnum == EINVAL ? xstrdup(e->msg) : berth_error_text(e);
	berth_error_clear(e);
	return cli_usage_error(verb, "%s", t);
}

static void print_notes(struct run_config *rc)
{
	for (size_t i = 0; i < rc->n_notes; i++)
		fprintf(stderr, "berth: note: %s\n", rc->notes[i]);
	strv_free(rc->notes);
	rc->notes = NULL;
	rc->n_notes = 0;
}

int run_flags_parse(int argc, char **argv, const char *verb, struct run_config *rc, int *opt_end)
{
	_cleanup_free_ char *usage = xasprintf("%s [OPTIONS] IMAGE [COMMAND [ARG...]]", verb);
	const struct cli_opt *opts = run_flags_opts();
	struct berth_error err = { 0 };
	int c;

	/* options end at the image: what follows is the container's */
	setenv("POSIXLY_CORRECT", "1", 1);
	optind = 0; /* a vector of its own (run --profile, up): getopt starts over */
	while ((c = cli_getopt(argc, argv, verb, usage, opts)) != -1) {
		int r = run_config_set(rc, c, optarg, &err);
		print_notes(rc);
		if (r < 0) {
			unsetenv("POSIXLY_CORRECT");
			return usage_from(verb, &err);
		}
	}
	unsetenv("POSIXLY_CORRECT");
	*opt_end = optind;
	if (rc->profile) /* checked once the profile's flags are in */
		return 0;
	if (optind >= argc)
		return cli_usage_error(verb, "an IMAGE is required");
	rc->image_ref = xstrdup(argv[optind]);
	strv_free(rc->args);
	rc->args = xcalloc(1, sizeof(char *));
	rc->n_args = 0;
	for (int i = optind + 1; i < argc; i++)
		strv_push(&rc->args, &rc->n_args, argv[i]);
	if (run_config_finish(rc, &err) < 0)
		return usage_from(verb, &err);
	return 0;
}
