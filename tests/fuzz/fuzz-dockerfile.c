// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-dockerfile.c: libFuzzer target for a build recipe, the untrusted
 * text `berth build` reads first: builder/dockerfile.c parses it, then
 * every word the parser kept (arguments, flag values, ONBUILD triggers,
 * heredoc bodies) goes through builder/expand.c with a fixed set of
 * variables, as the executor would. Parse results are checked for the
 * shape dockerfile.h promises (NULL-terminated argument vectors, a stage
 * per FROM with one image, pairs for ENV and LABEL).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../builder/dockerfile.h"
#include "../../builder/expand.h"
#include "../../lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *lookup(void *arg, const char *name)
{
	static const char *const vars[][2] = {
		{ "HOME", "/root" },
		{ "EMPTY", "" },
		{ "SPACED", " a  b " },
		{ "Q", "'\"$\\`" },
	};

	(void)arg;
	for (size_t i = 0; i < ARRAY_SIZE(vars); i++)
		if (strcmp(vars[i][0], name) == 0)
			return vars[i][1];
	return NULL;
}

static void expand_one(const char *word, char escape)
{
	struct berth_error err = { 0 };
	char *out = NULL, **words = NULL;

	if (df_expand_word(word, escape, lookup, NULL, &out, &err) == 0 && !out)
		abort();
	free(out);
	berth_error_clear(&err);
	if (df_expand_words(word, escape, lookup, NULL, &words, &err) == 0) {
		/* no empty word, no word with an unquoted blank is possible to
		 * check without re-lexing; the vector must be terminated */
		size_t n = 0;
		while (words[n])
			if (!*words[n++])
				abort();
	}
	strv_free(words);
	berth_error_clear(&err);
}

static void check_instr(const struct df_instr *in, char escape)
{
	if (!in->text || !in->args || in->args[in->n_args] || in->line == 0)
		abort();
	if ((in->kind == DF_ENV || in->kind == DF_LABEL) && (in->n_args == 0 || in->n_args % 2))
		abort();
	if (in->kind == DF_ONBUILD && !in->sub)
		abort();
	for (size_t i = 0; i < in->n_args; i++)
		expand_one(in->args[i], escape);
	for (size_t i = 0; i < in->n_flags; i++) {
		if (!in->flags[i].name)
			abort();
		if (in->flags[i].value)
			expand_one(in->flags[i].value, escape);
	}
	for (size_t i = 0; i < in->n_heredocs; i++) {
		struct berth_error err = { 0 };
		char *out = NULL;

		if (!in->heredocs[i].name || !in->heredocs[i].body || !*in->heredocs[i].name)
			abort();
		df_expand_heredoc(in->heredocs[i].body, escape, lookup, NULL, &out, &err);
		free(out);
		berth_error_clear(&err);
	}
	if (in->sub)
		check_instr(in->sub, escape);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dockerfile df;
	struct berth_error err = { 0 };

	if (dockerfile_parse("Dockerfile", (const char *)data, size, &df, &err) < 0) {
		if (!err.msg || strncmp(err.msg, "Dockerfile:", 11) != 0)
			abort();
		berth_error_clear(&err);
		return 0;
	}
	if (df.n_stages == 0 || (df.escape != '\\' && df.escape != '`'))
		abort();
	for (size_t i = 0; i < df.n_meta_args; i++)
		check_instr(&df.meta_args[i], df.escape);
	for (size_t s = 0; s < df.n_stages; s++) {
		if (df.stages[s].from.n_args != 1)
			abort();
		check_instr(&df.stages[s].from, df.escape);
		for (size_t i = 0; i < df.stages[s].n_instrs; i++)
			check_instr(&df.stages[s].instrs[i], df.escape);
	}
	dockerfile_clear(&df);
	return 0;
}
