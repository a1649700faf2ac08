// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-profile.c: `berth profile check` (everything run or up would
 * refuse of a profile or a stack file, with file:line, and the store's
 * side: the image, secrets, bind sources), `berth profile show` and
 * `berth profile keys`. What a profile stands for as run's flags is
 * profile-flags.c's.
 */
#include <stdio.h>
#include <string.h>

#include "../profiles/profile.h"
#include "cli.h"
#include "profile-flags.h"
#include "stack-file.h"

/* profile check [--strict] of a stack file: an exit code. */
static int stack_check_file(const char *file, bool strict)
{
	struct stack st = { 0 };
	int r = stack_file_load(file, &st);
	size_t wide;

	if (r != 0)
		return r;
	wide = stack_warn(&st);
	if (stack_check_store(&st) > 0) {
		fprintf(stderr, "berth: %s: the stack would not come up\n", st.file);
		r = EXIT_FAILURE;
	} else if (strict && wide > 0) {
		r = profile_fail_strict(st.file, wide);
	} else {
		printf("%s: ok (a stack of %zu sandbox%s)%s\n", st.file, st.n_sb,
		       st.n_sb == 1 ? "" : "es", wide ? " (with the warnings above)" : "");
	}
	stack_free(&st);
	return r;
}

static int profile_check_cmd(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "strict", 'S' + 256, NULL,
		  "Fail on a setting that widens the sandbox, not only warn (for CI)" },
		{ 0 },
	};
	struct berth_error err = { 0 };
	bool strict = false;
	int c, r = 0;

	while ((c = cli_getopt(argc, argv, "profile check",
			       "profile check [--strict] FILE... (profiles or stacks)", opts)) !=
	       -1) {
		if (c != 'S' + 256)
			return EXIT_USAGE;
		strict = true;
	}
	if (optind >= argc)
		return cli_usage_error("profile check", "a FILE is required");
	for (int i = optind; i < argc; i++) {
		struct profile p = { 0 };
		size_t wide;
		if (stack_file(argv[i])) {
			if ((c = stack_check_file(argv[i], strict)) != 0)
				r = c;
			continue;
		}
		if (profile_load(argv[i], &p, &err) < 0) {
			r = cli_fail(&err);
			continue;
		}
		wide = profile_warn(&p, NULL, NULL);
		/* every problem is told, not only the first */
		bool bad = false;
		if (profile_check_store(&p, true, &err) < 0) {
			r = cli_fail(&err);
			bad = true;
		}
		if (profile_check_host_loopback(&p, false, &err) < 0) {
			r = cli_fail(&err);
			bad = true;
		}
		if (!bad && strict && wide > 0)
			r = profile_fail_strict(p.file, wide);
		else if (!bad)
			printf("%s: ok%s\n", p.file, wide ? " (with the warnings above)" : "");
		profile_free(&p);
	}
	return r;
}

static int profile_show_cmd(int argc, char **argv)
{
	static const struct cli_opt opts[] = { { 0 } };
	struct berth_error err = { 0 };
	struct profile p = { 0 };
	int c, r = 0;

	while ((c = cli_getopt(argc, argv, "profile show", "profile show FILE", opts)) != -1)
		return EXIT_USAGE;
	if (optind + 1 != argc)
		return cli_usage_error("profile show", "one FILE");
	if (profile_load(argv[optind], &p, &err) < 0) {
		r = cli_fail(&err);
	} else {
		profile_note_shadowed(&p);
		profile_write_ini(&p, stdout);
	}
	profile_free(&p);
	return r;
}

/* A table cell: its pipes escaped. */
static char *md_cell(const char *text)
{
	char *out = xmalloc(2 * strlen(text) + 1), *o = out;

	for (const char *t = text; *t; t++) {
		if (*t == '|')
			*o++ = '\\';
		*o++ = *t;
	}
	*o = '\0';
	return out;
}

/* The key table as markdown: docs/profiles.md carries its output. */
static int profile_keys_cmd(int argc, char **argv)
{
	static const char *const types[] = {
		[PROFILE_STRING] = "text", [PROFILE_BOOL] = "boolean",
		[PROFILE_UINT] = "number", [PROFILE_WORDS] = "words",
		[PROFILE_LIST] = "list",   [PROFILE_LINES] = "lines",
		[PROFILE_ENUM] = "one of", [PROFILE_MAP] = "NAME = VALUE",
	};
	int c;

	while ((c = cli_getopt(argc, argv, "profile keys", "profile keys", NULL)) != -1)
		return EXIT_USAGE;
	printf("| section | key | value | run flag | meaning |\n|---|---|---|---|---|\n");
	for (size_t i = 0; i < profile_n_keys; i++) {
		const struct profile_key *k = &profile_keys[i];
		_cleanup_free_ char *help = md_cell(k->help);
		_cleanup_free_ char *choices = md_cell(k->type == PROFILE_ENUM ? k->choices : "");
		_cleanup_free_ char *section = *k->section ? xasprintf("`[%s]`", k->section)
							   : xstrdup("(before any section)");
		printf("| %s | %s | %s%s%s | %s%s%s | %s |\n", section,
		       k->name ? k->name : "*any name*", types[k->type], *choices ? " " : "",
		       choices, k->flag ? "`" : "", k->flag ? k->flag : "", k->flag ? "`" : "",
		       help);
	}
	return 0;
}

int cmd_profile(int argc, char **argv)
{
	static const struct cli_cmd sub[] = {
		{ "check", profile_check_cmd,
		  "Check profiles without running anything: exit 0 only if each would run; "
		  "warn of what each loosens" },
		{ "show", profile_show_cmd,
		  "Print a profile as resolved (extends applied) as INI, each value's file:line" },
		{ "keys", profile_keys_cmd, "Every section and key, with its run flag (markdown)" },
	};
	return cli_dispatch("profile", sub, ARRAY_SIZE(sub), argc, argv);
}
