// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * expand.c: docker's word processing for a Dockerfile's words, as its
 * shell lexer does it: quotes, the escape character, $VAR, ${VAR} and the
 * -, +, ? modifiers (with or without the colon). It owns only the text:
 * which instruction is expanded, and with which variables, is the
 * executor's (builder/build.c); the parser (dockerfile.c) keeps words raw.
 * Variable names are ASCII letters, digits and '_' (docker also takes
 * non-ASCII letters). Pattern modifiers (${VAR#p}, ${VAR%p}, ${VAR/p/r})
 * are refused as unsupported.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "expand.h"
#include "../lib/util.h"

/* ${A:-${B:-...}} nests by recursion: bounded so a hostile word is an
 * error, never a stack overflow. */
#define EXPAND_MAX_DEPTH 64

struct sbuf {
	char *p;
	size_t len, cap;
};

static void sb_grow(struct sbuf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 32;
	while (cap < b->len + more + 1)
		cap *= 2;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

static void sb_addn(struct sbuf *b, const char *s, size_t n)
{
	sb_grow(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_addc(struct sbuf *b, char c)
{
	sb_addn(b, &c, 1);
}

static char *sb_take(struct sbuf *b)
{
	char *r = b->p ? b->p : xstrdup("");
	*b = (struct sbuf){ 0 };
	return r;
}

/* The words of df_expand_words: a value's whitespace splits them, a quoted
 * or escaped character never does (docker's wordsStruct). */
struct words {
	struct sbuf word;
	bool in_word;
	char **v;
	size_t n, cap;
};

static void words_flush(struct words *w)
{
	if (w->word.len) {
		if (w->n + 2 > w->cap) {
			w->cap = w->cap ? w->cap * 2 : 8;
			w->v = xrealloc(w->v, w->cap * sizeof(*w->v));
		}
		w->v[w->n++] = sb_take(&w->word);
		w->v[w->n] = NULL;
	}
	free(w->word.p);
	w->word = (struct sbuf){ 0 };
	w->in_word = false;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static void words_raw(struct words *w, const char *s, size_t n)
{
	if (!w)
		return;
	sb_addn(&w->word, s, n);
	w->in_word = true;
}

static void words_char(struct words *w, char c)
{
	if (!w)
		return;
	if (is_space(c)) {
		if (w->in_word && w->word.len)
			words_flush(w);
	} else {
		words_raw(w, &c, 1);
	}
}

struct lex {
	const char *s;
	size_t pos, len;
	char escape;
	df_lookup_fn *lookup;
	void *arg;
	unsigned depth;
	char *problem; /* the first error, docker's wording */
};

static int peek(const struct lex *lx)
{
	return lx->pos < lx->len ? (unsigned char)lx->s[lx->pos] : -1;
}

static int next(struct lex *lx)
{
	return lx->pos < lx->len ? (unsigned char)lx->s[lx->pos++] : -1;
}

static int fail(struct lex *lx, char *msg)
{
	if (!lx->problem)
		lx->problem = msg;
	else
		free(msg);
	return -1;
}

static bool is_name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* A name after $: digits alone ($1), one special parameter ($@, $#...),
 * or letters, digits and '_'. Empty when none follows. */
static char *lex_name(struct lex *lx)
{
	size_t start = lx->pos;

	if (is_digit(peek(lx))) {
		while (is_digit(peek(lx)))
			lx->pos++;
	} else if (peek(lx) >= 0 && strchr("@*#?-$!", peek(lx))) {
		lx->pos++;
	} else {
		while (is_name_char(peek(lx)))
			lx->pos++;
	}
	return strndup(lx->s + start, lx->pos - start) ?: xstrdup("");
}

static int lex_process(struct lex *lx, int stop, struct sbuf *out, struct words *w);

static int lex_single_quote(struct lex *lx, struct sbuf *out)
{
	next(lx);
	for (;;) {
		int c = next(lx);
		if (c < 0)
			return fail(lx, xstrdup("unexpected end of statement while looking for "
						"matching single-quote"));
		if (c == '\'')
			return 0;
		sb_addc(out, (char)c);
	}
}

static int lex_dollar(struct lex *lx, struct sbuf *out);

static int lex_double_quote(struct lex *lx, struct sbuf *out)
{
	next(lx);
	for (;;) {
		int c = peek(lx);
		if (c < 0)
			return fail(lx, xstrdup("unexpected end of statement while looking for "
						"matching double-quote"));
		if (c == '"') {
			next(lx);
			return 0;
		}
		if (c == '$') {
			if (lex_dollar(lx, out) < 0)
				return -1;
			continue;
		}
		c = next(lx);
		if (c == (unsigned char)lx->escape) {
			int n = peek(lx);
			/* only ", $ and the escape itself are escaped; before
			 * any other character the escape stays */
			if (n < 0)
				continue;
			if (n == '"' || n == '$' || n == (unsigned char)lx->escape)
				c = next(lx);
		}
		sb_addc(out, (char)c);
	}
}

/* The word of ${NAME<op>word}, up to its '}', itself processed. */
static int lex_modifier_word(struct lex *lx, char **word)
{
	struct sbuf b = { 0 };

	if (lex_process(lx, '}', &b, NULL) < 0) {
		free(b.p);
		return -1;
	}
	*word = sb_take(&b);
	return 0;
}

static int lex_apply(struct lex *lx, const char *name, char op, bool colon, const char *word,
		     struct sbuf *out)
{
	const char *value = lx->lookup ? lx->lookup(lx->arg, name) : NULL;
	bool unset = !value || (colon && !*value);

	switch (op) {
	case '-': sb_addn(out, unset ? word : value, strlen(unset ? word : value)); return 0;
	case '+':
		if (!unset)
			sb_addn(out, word, strlen(word));
		return 0;
	default: /* '?' */
		if (unset)
			return fail(lx, xasprintf("%s: %s", name,
						  *word	   ? word
						  : !value ? "is not allowed to be unset"
							   : "is not allowed to be empty"));
		sb_addn(out, value, strlen(value));
		return 0;
	}
}

static int lex_braces(struct lex *lx, struct sbuf *out)
{
	_cleanup_free_ char *name = NULL, *word = NULL;
	int c = peek(lx), op;
	bool colon = false;

	if (c < 0)
		return fail(lx, xstrdup("syntax error: missing '}'"));
	if (c == '{' || c == '}' || c == ':')
		return fail(lx, xstrdup("syntax error: bad substitution"));
	name = lex_name(lx);
	c = next(lx);
	if (c == '}') {
		const char *value = lx->lookup ? lx->lookup(lx->arg, name) : NULL;
		if (value)
			sb_addn(out, value, strlen(value));
		return 0;
	}
	op = c;
	if (c == ':') {
		colon = true;
		op = next(lx);
	}
	if (op < 0)
		return fail(lx, xstrdup("syntax error: missing '}'"));
	if (op != '-' && op != '+' && op != '?')
		return fail(lx, xasprintf("unsupported modifier (%s%c) in substitution",
					  colon ? ":" : "", op));
	if (lx->depth >= EXPAND_MAX_DEPTH)
		return fail(lx, xstrdup("substitutions nested too deeply"));
	lx->depth++;
	if (lex_modifier_word(lx, &word) < 0)
		return -1;
	lx->depth--;
	return lex_apply(lx, name, (char)op, colon, word, out);
}

static int lex_dollar(struct lex *lx, struct sbuf *out)
{
	next(lx);
	if (peek(lx) != '{') {
		_cleanup_free_ char *name = lex_name(lx);
		const char *value;

		if (!*name) {
			sb_addc(out, '$');
			return 0;
		}
		value = lx->lookup ? lx->lookup(lx->arg, name) : NULL;
		if (value)
			sb_addn(out, value, strlen(value));
		return 0;
	}
	next(lx);
	return lex_braces(lx, out);
}

/* docker's process loop: up to stop (-1: the end), the result in out and,
 * when w, the words. */
static int lex_process(struct lex *lx, int stop, struct sbuf *out, struct words *w)
{
	while (peek(lx) >= 0) {
		int c = peek(lx);

		if (stop >= 0 && c == stop) {
			next(lx);
			return 0;
		}
		if (c == '\'' || c == '"' || c == '$') {
			struct sbuf piece = { 0 };
			int r = c == '\''  ? lex_single_quote(lx, &piece)
				: c == '"' ? lex_double_quote(lx, &piece)
					   : lex_dollar(lx, &piece);
			if (r < 0) {
				free(piece.p);
				return -1;
			}
			if (piece.len)
				sb_addn(out, piece.p, piece.len);
			if (c == '$') {
				/* a variable's value splits into words */
				for (size_t i = 0; w && i < piece.len; i++)
					words_char(w, piece.p[i]);
			} else {
				words_raw(w, piece.p ? piece.p : "", piece.len);
			}
			free(piece.p);
			continue;
		}
		c = next(lx);
		if (c == (unsigned char)lx->escape) {
			c = next(lx);
			if (c < 0)
				break; /* an escape at the end is dropped */
			words_raw(w, &(char){ (char)c }, 1);
		} else {
			words_char(w, (char)c);
		}
		sb_addc(out, (char)c);
	}
	if (stop >= 0)
		return fail(lx, xstrdup("syntax error: missing '}'"));
	return 0;
}

static int lex_error(struct lex *lx, const char *word, struct berth_error *err)
{
	/* a long word (a heredoc's body) is named by its start */
	berth_error_set(err, 0, "failed to process \"%.*s%s\": %s", 120, word,
			strlen(word) > 120 ? "..." : "",
			lx->problem ? lx->problem : "malformed word");
	free(lx->problem);
	lx->problem = NULL;
	return -1;
}

int df_expand_word(const char *word, char escape, df_lookup_fn *lookup, void *arg, char **out,
		   struct berth_error *err)
{
	struct lex lx = {
		.s = word, .len = strlen(word), .escape = escape, .lookup = lookup, .arg = arg
	};
	struct sbuf b = { 0 };

	if (lex_process(&lx, -1, &b, NULL) < 0) {
		free(b.p);
		return lex_error(&lx, word, err);
	}
	*out = sb_take(&b);
	return 0;
}

int df_expand_words(const char *text, char escape, df_lookup_fn *lookup, void *arg, char ***out,
		    struct berth_error *err)
{
	struct lex lx = {
		.s = text, .len = strlen(text), .escape = escape, .lookup = lookup, .arg = arg
	};
	struct sbuf b = { 0 };
	struct words w = { 0 };
	int r = lex_process(&lx, -1, &b, &w);

	free(b.p);
	if (r < 0) {
		free(w.word.p);
		if (w.v)
			w.v[w.n] = NULL;
		strv_free(w.v);
		return lex_error(&lx, text, err);
	}
	words_flush(&w);
	if (!w.v)
		w.v = xcalloc(1, sizeof(char *));
	*out = w.v;
	return 0;
}

int df_expand_heredoc(const char *body, char escape, df_lookup_fn *lookup, void *arg, char **out,
		      struct berth_error *err)
{
	struct lex lx = {
		.s = body, .len = strlen(body), .escape = escape, .lookup = lookup, .arg = arg
	};
	struct sbuf b = { 0 };

	sb_grow(&b, lx.len);
	while (peek(&lx) >= 0) {
		int c = peek(&lx);

		if (c == '$') {
			if (lex_dollar(&lx, &b) < 0) {
				free(b.p);
				return lex_error(&lx, body, err);
			}
			continue;
		}
		next(&lx);
		sb_addc(&b, (char)c);
		/* the escape keeps the next character, a $ too, as text */
		if (c == (unsigned char)escape && peek(&lx) >= 0)
			sb_addc(&b, (char)next(&lx));
	}
	*out = sb_take(&b);
	return 0;
}
