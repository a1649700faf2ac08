// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-expand.c: builder/expand.c against docker's results for the same
 * words and variables (the cases of buildkit's shell lexer tests and the
 * Dockerfile reference): quotes, the escape character (backslash and
 * backtick), $VAR and ${VAR}, each modifier with and without the colon,
 * the errors, the split into words, and heredoc bodies.
 */
#include <stdlib.h>
#include <string.h>

#include "../../builder/expand.h"
#include "../../lib/util.h"
#include "../tap.h"

/* The environment of every case: set, empty, with spaces. */
static const char *env[][2] = {
	{ "PWD", "/home" },   { "SHELL", "bash" }, { "EMPTY", "" },
	{ "SPACED", "a  b" }, { "X", "x" },	   { "QUOTE", "it's \"q\"" },
};

static const char *lookup(void *arg, const char *name)
{
	(void)arg;
	for (size_t i = 0; i < ARRAY_SIZE(env); i++)
		if (strcmp(env[i][0], name) == 0)
			return env[i][1];
	return NULL;
}

/* word, escape, docker's result (NULL: an error whose text holds want_err) */
static const struct {
	const char *word;
	char escape;
	const char *want;
	const char *want_err;
} word_cases[] = {
	{ "hello", '\\', "hello", NULL },
	{ "he'll'o", '\\', "hello", NULL },
	{ "'$PWD'", '\\', "$PWD", NULL },
	{ "\"$PWD\"", '\\', "/home", NULL },
	{ "$PWD", '\\', "/home", NULL },
	{ "${PWD}", '\\', "/home", NULL },
	{ "${PWD}x", '\\', "/homex", NULL },
	{ "$PWDx", '\\', "", NULL },
	{ "x$UNSET-y", '\\', "x-y", NULL },
	{ "\\$PWD", '\\', "$PWD", NULL },
	{ "\\\\$PWD", '\\', "\\/home", NULL },
	{ "a\\ b", '\\', "a b", NULL },
	{ "a\\", '\\', "a", NULL },
	{ "\"a\\\"b\"", '\\', "a\"b", NULL },
	{ "\"a\\$b\"", '\\', "a$b", NULL },
	{ "\"a\\\\b\"", '\\', "a\\b", NULL },
	{ "\"a\\nb\"", '\\', "a\\nb", NULL },
	{ "'a\\nb'", '\\', "a\\nb", NULL },
	{ "'a\"b'", '\\', "a\"b", NULL },
	{ "\"a'b\"", '\\', "a'b", NULL },
	{ "$", '\\', "$", NULL },
	{ "a$ b", '\\', "a$ b", NULL },
	{ "$/x", '\\', "$/x", NULL },
	{ "$1x", '\\', "x", NULL },
	/* the backtick as escape: a backslash is just text */
	{ "C:\\path\\x", '`', "C:\\path\\x", NULL },
	{ "`$PWD", '`', "$PWD", NULL },
	{ "\"a`\"b\"", '`', "a\"b", NULL },
	{ "\"a\\\"", '`', "a\\", NULL },
	/* the modifiers */
	{ "${UNSET:-def}", '\\', "def", NULL },
	{ "${EMPTY:-def}", '\\', "def", NULL },
	{ "${X:-def}", '\\', "x", NULL },
	{ "${UNSET-def}", '\\', "def", NULL },
	{ "${EMPTY-def}", '\\', "", NULL },
	{ "${X-def}", '\\', "x", NULL },
	{ "${UNSET:+alt}", '\\', "", NULL },
	{ "${EMPTY:+alt}", '\\', "", NULL },
	{ "${X:+alt}", '\\', "alt", NULL },
	{ "${UNSET+alt}", '\\', "", NULL },
	{ "${EMPTY+alt}", '\\', "alt", NULL },
	{ "${X+alt}", '\\', "alt", NULL },
	{ "${UNSET:-$PWD/x}", '\\', "/home/x", NULL },
	{ "${UNSET:-${X:+in}}", '\\', "in", NULL },
	{ "${UNSET:-'a}b'}", '\\', "a}b", NULL },
	{ "${UNSET:-a\\}b}", '\\', "a}b", NULL },
	{ "${UNSET:-\"q q\"}", '\\', "q q", NULL },
	{ "${X:?must}", '\\', "x", NULL },
	{ "${EMPTY?must}", '\\', "", NULL },
	{ "${UNSET:?must be set}", '\\', NULL, "UNSET: must be set" },
	{ "${UNSET:?}", '\\', NULL, "UNSET: is not allowed to be unset" },
	{ "${EMPTY:?}", '\\', NULL, "EMPTY: is not allowed to be empty" },
	{ "${UNSET?}", '\\', NULL, "UNSET: is not allowed to be unset" },
	/* the errors */
	{ "${", '\\', NULL, "syntax error: missing '}'" },
	{ "${PWD", '\\', NULL, "syntax error: missing '}'" },
	{ "${PWD:-x", '\\', NULL, "syntax error: missing '}'" },
	{ "${}", '\\', NULL, "bad substitution" },
	{ "${:x}", '\\', NULL, "bad substitution" },
	{ "${PWD:=x}", '\\', NULL, "unsupported modifier (:=) in substitution" },
	{ "${PWD%x}", '\\', NULL, "unsupported modifier (%) in substitution" },
	{ "${PWD x}", '\\', NULL, "unsupported modifier" },
	{ "'abc", '\\', NULL, "matching single-quote" },
	{ "\"abc", '\\', NULL, "matching double-quote" },
	{ "\"abc\\", '\\', NULL, "matching double-quote" },
};

/* text, docker's words joined by '|' (ProcessWords) */
static const struct {
	const char *text;
	const char *want;
} words_cases[] = {
	{ "a b  c", "a|b|c" },
	{ "  lead trail  ", "lead|trail" },
	{ "\"a b\" c", "a b|c" },
	{ "'a b'c d", "a bc|d" },
	{ "a\\ b c", "a b|c" },
	{ "$SPACED", "a|b" },
	{ "\"$SPACED\"", "a  b" },
	{ "x$SPACED", "xa|b" },
	{ "80/tcp $X", "80/tcp|x" },
	{ "a \"\" b", "a|b" },
	{ "$EMPTY", "" },
	{ "${UNSET:-1 2}", "1|2" },
};

/* body, docker's expanded heredoc */
static const struct {
	const char *body;
	const char *want;
} heredoc_cases[] = {
	{ "cd $PWD\n", "cd /home\n" },
	{ "echo '$PWD' \"${X}\"\n", "echo '/home' \"x\"\n" },
	{ "keep \\$PWD and \\n\n", "keep \\$PWD and \\n\n" },
	{ "${UNSET:-d} ${X:+y}\n", "d y\n" },
	{ "don't stop\n", "don't stop\n" },
	{ "price $5 and $\n", "price  and $\n" },
};

static char *join_words(char **v)
{
	size_t n = 1;
	char *r, *p;

	for (char **w = v; *w; w++)
		n += strlen(*w) + 1;
	r = p = xcalloc(1, n);
	for (char **w = v; *w; w++)
		p += sprintf(p, "%s%s", w == v ? "" : "|", *w);
	return r;
}

int main(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(word_cases); i++) {
		struct berth_error err = { 0 };
		char *out = NULL;
		int r = df_expand_word(word_cases[i].word, word_cases[i].escape, lookup, NULL, &out,
				       &err);
		if (word_cases[i].want) {
			if (!ok(r == 0, "word %s expands", word_cases[i].word))
				printf("#   error %s\n", err.msg);
			else
				is_str(out, word_cases[i].want, word_cases[i].word);
		} else {
			ok(r < 0 && err.msg && strstr(err.msg, word_cases[i].want_err) &&
				   strstr(err.msg, word_cases[i].word),
			   "word %s is an error naming it: %s", word_cases[i].word,
			   err.msg ? err.msg : "(none)");
		}
		free(out);
		berth_error_clear(&err);
	}
	for (size_t i = 0; i < ARRAY_SIZE(words_cases); i++) {
		struct berth_error err = { 0 };
		char **v = NULL;
		if (!ok(df_expand_words(words_cases[i].text, '\\', lookup, NULL, &v, &err) == 0,
			"words of %s", words_cases[i].text))
			continue;
		char *j = join_words(v);
		is_str(j, words_cases[i].want, words_cases[i].text);
		free(j);
		strv_free(v);
	}
	{
		struct berth_error err = { 0 };
		char **v = NULL;
		ok(df_expand_words("a ${X", '\\', lookup, NULL, &v, &err) < 0 && err.msg &&
			   strstr(err.msg, "missing '}'"),
		   "a malformed word among words is an error");
		berth_error_clear(&err);
	}
	for (size_t i = 0; i < ARRAY_SIZE(heredoc_cases); i++) {
		struct berth_error err = { 0 };
		char *out = NULL;
		if (ok(df_expand_heredoc(heredoc_cases[i].body, '\\', lookup, NULL, &out, &err) ==
			       0,
		       "heredoc %zu expands", i))
			is_str(out, heredoc_cases[i].want, "heredoc body as docker expands it");
		free(out);
		berth_error_clear(&err);
	}
	{
		struct berth_error err = { 0 };
		char *out = NULL;
		ok(df_expand_heredoc("x ${UNSET:?gone}\n", '\\', lookup, NULL, &out, &err) < 0 &&
			   err.msg && strstr(err.msg, "UNSET: gone"),
		   "a heredoc's ${VAR:?msg} is an error");
		berth_error_clear(&err);
		ok(df_expand_heredoc("`$PWD \\$PWD\n", '`', lookup, NULL, &out, &err) == 0,
		   "heredoc with the backtick escape");
		is_str(out, "`$PWD \\/home\n",
		       "the backtick keeps $ literal, a backslash does not");
		free(out);
	}
	{
		/* deep nesting is an error, never a stack overflow */
		size_t depth = 100000;
		char *w = xmalloc(depth * 6 + 2), *p = w;
		struct berth_error err = { 0 };
		char *out = NULL;
		for (size_t i = 0; i < depth; i++)
			p = stpcpy(p, "${A:-");
		*p = '\0';
		ok(df_expand_word(w, '\\', lookup, NULL, &out, &err) < 0 && err.msg &&
			   strstr(err.msg, "nested too deeply"),
		   "100000 nested substitutions are an error");
		berth_error_clear(&err);
		free(w);
	}
	return tap_done();
}
