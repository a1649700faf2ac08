// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * parse.c: reading one profile or stack file with inih (parse.h) into
 * settings, section by section, each value checked against the key
 * table (keys.c) as it comes, errors as "FILE:LINE: what". Finding the
 * file and following its extends chain is files.c's; what a stack does
 * with its sandboxes is stack.c's.
 *
 * The format as read here (docs/profiles.md says it for users):
 * - `KEY = VALUE`. inih also splits at ':', which would make
 *   `add-host: db:10.0.0.2` or a label "a:b" read two ways: here only '='
 *   separates. After a `[SECTION]` only a comment may follow.
 * - Comments: a line whose first non-blank is ';' or '#'; after a value, a
 *   ';' outside quotes that starts the value or follows a blank. '#' only
 *   starts whole lines: label values hold colours like #fff.
 * - An indented line under a key continues it (inih's multi-line values):
 *   one more item of a LIST or LINES key; any other key takes one line.
 *   A list key may leave its own line empty when items follow indented.
 * - Quotes: a value, or a list item, that starts with '"' ends at the next
 *   unescaped '"' (\" and \\ escape) and may then hold ';', ',', '#' and
 *   edge blanks. Elsewhere '"' and '\' are plain text. WORDS values
 *   (command, entrypoint) are kept as written and split like a shell's
 *   words by profile_words(); their quotes also hide ';' from comments.
 * - Empty values are refused, but for `entrypoint =` (none: the command
 *   runs as given) and map values (`FOO =` sets FOO to "").
 * - A scalar key or a map name twice in one file is an error naming both
 *   lines; a list key twice adds its items.
 * - Lines of any length: inih reads through a buffer of INI_MAX_LINE
 *   (200) bytes and cuts names at 50. The reader below hands inih at most
 *   a buffer's worth of each line and keeps the whole line; inih decides
 *   what a line is, the handler takes the name and value from the whole
 *   line. Each reader call is one line, so inih's line numbers are ours.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"
#include "keys.h"
#include "parse.h"
#include "settings.h"

/* ---- values as written ---- */

static char *trimmed(const char *s, size_t len)
{
	while (len > 0 && isspace((unsigned char)*s))
		s++, len--;
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	return xstrndup(s, len);
}

/* Where a WORDS value ends: before an inline comment (a ';' at its start
 * or after an unquoted, unescaped blank) and its trailing blanks. Quotes
 * and backslashes as in profile_words(). */
static size_t words_span(const char *s)
{
	size_t end = 0, i = 0;
	bool blank_before = true;

	while (s[i]) {
		char c = s[i];
		if (c == ';' && blank_before)
			break;
		if (isspace((unsigned char)c)) {
			blank_before = true;
			i++;
			continue;
		}
		blank_before = false;
		if (c == '\\' && s[i + 1]) {
			i += 2;
		} else if (c == '\'' || c == '"') {
			i++;
			while (s[i] && s[i] != c) {
				if (c == '"' && s[i] == '\\' && s[i + 1])
					i++;
				i++;
			}
			if (s[i])
				i++;
		} else {
			i++;
		}
		end = i;
	}
	return end;
}

/* A comment starts at a ';' at the value's start or after a blank. */
static bool comment_at(const char *p, const char *start)
{
	return *p == ';' && (p == start || isspace((unsigned char)p[-1]));
}

/* One quoted item at *sp (on its '"'): unescaped into a new string, or
 * NULL when the quote does not end. */
static char *quoted_item(const char **sp)
{
	const char *s = *sp + 1;
	char *out = xmalloc(strlen(s) + 1);
	size_t n = 0;

	while (*s && *s != '"') {
		if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
			s++;
		out[n++] = *s++;
	}
	if (!*s) {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	*sp = s + 1;
	return out;
}

/* The items of a value: split at commas for a list, else one. Stops at
 * an inline comment. No items: the value is empty. */
static int split_items(const char *start, bool list, char ***items, size_t *n, const char **why)
{
	const char *s = start;

	*items = NULL;
	*n = 0;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s || comment_at(s, start))
		return 0;
	for (;;) {
		char *item;
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '"') {
			if (!(item = quoted_item(&s))) {
				*why = "an unterminated \" quote";
				break;
			}
			while (isspace((unsigned char)*s))
				s++;
			if (*s && *s != ';' && !(list && *s == ',')) {
				free(item);
				*why = "text after the closing quote";
				break;
			}
		} else {
			const char *b = s;
			while (*s && !(list && *s == ',') && !comment_at(s, start))
				s++;
			item = trimmed(b, (size_t)(s - b));
		}
		strv_push(items, n, item);
		free(item);
		if (!list || *s != ',')
			return 0;
		s++;
	}
	strv_free(*items);
	*items = NULL;
	*n = 0;
	return -1;
}

/* ---- reading one file ---- */

/* struct draft_sb and struct parser are in parse.h: stack.c builds on
 * what the parser read. */

void prof_parser_clear(struct parser *p)
{
	free(p->raw);
	free(p->section);
	free(p->prev_name);
	profile_free(&p->top);
	for (size_t i = 0; i < p->n_sb; i++) {
		free(p->sbs[i].name);
		profile_free(&p->sbs[i].prof);
	}
	free(p->sbs);
	berth_error_clear(&p->err);
	memset(p, 0, sizeof(*p));
}

/* The first error wins: "FILE:LINE: what". */
_printf_(3, 4) static void fail(struct parser *p, unsigned line, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	if (p->err.msg)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	berth_error_set(&p->err, 0, "%s:%u: %s", p->file, line, msg);
	p->err_line = line;
}

/* "FILE:LINE: [section] key: what" */
_printf_(5, 6) static void fail_key(struct parser *p, unsigned line, const struct profile_key *k,
				    const char *mapname, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL, *sec = p->section ? prof_shown(p->section) : NULL;
	_cleanup_free_ char *name = prof_shown(k->name ? k->name : mapname ? mapname : "");
	va_list ap;

	/* (fail keeps the first error) */
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (sec)
		fail(p, line, "[%s] %s: %s", sec, name, msg);
	else
		fail(p, line, "%s: %s", name, msg);
}

static struct profile *current(struct parser *p)
{
	return p->sb == SIZE_MAX ? &p->top : &p->sbs[p->sb].prof;
}

static void flush_pending(struct parser *p)
{
	if (!p->pending)
		return;
	fail_key(p, p->pending_line, p->pending, NULL,
		 "no value (items go after '=' or on the indented lines below)");
	p->pending = NULL;
}

static size_t sandbox_index(struct parser *p, const char *name)
{
	for (size_t i = 0; i < p->n_sb; i++)
		if (!strcmp(p->sbs[i].name, name))
			return i;
	p->sbs = xrealloc(p->sbs, (p->n_sb + 1) * sizeof(*p->sbs));
	p->sbs[p->n_sb] = (struct draft_sb){ .name = xstrdup(name), .first_line = p->line };
	return p->n_sb++;
}

/* A stack's [stack], [NAME] or [NAME.SECTION]. */
static void stack_section(struct parser *p)
{
	const char *dot = strchr(p->section, '.');
	_cleanup_free_ char *name =
		dot ? xstrndup(p->section, (size_t)(dot - p->section)) : xstrdup(p->section);
	_cleanup_free_ char *sec = prof_shown(p->section);

	if (!strcmp(p->section, "stack")) {
		p->kind = prof_table_section("stack");
		return;
	}
	if (!prof_sandbox_name_valid(name)) {
		const char *hint = prof_suggest_section(p->section, true);
		if (hint) {
			fail(p, p->line, "[%s]: unknown section (did you mean [%s]?)", sec, hint);
			return;
		}
		fail(p, p->line,
		     "[%s]: a sandbox is [NAME] or [NAME.SECTION], NAME a letter or digit, "
		     "then letters, digits, '_', '-' (at most 64)",
		     sec);
		return;
	}
	if (!strcmp(name, "stack")) {
		fail(p, p->line, "[%s]: \"stack\" is the stack's own section, not a sandbox", sec);
		return;
	}
	if (dot) {
		const char *kind = prof_table_section(dot + 1);
		if (!kind || !prof_profile_section(kind) || !strcmp(kind, "sandbox")) {
			const char *hint = prof_suggest_section(dot + 1, false);
			if (kind && !strcmp(kind, "sandbox")) {
				fail(p, p->line, "[%s]: the sandbox keys go in [%s]", sec, name);
				return;
			}
			if (hint && strcmp(hint, "sandbox")) {
				fail(p, p->line, "[%s]: unknown section (did you mean [%s.%s]?)",
				     sec, name, hint);
				return;
			}
			fail(p, p->line, "[%s]: unknown section", sec);
			return;
		}
		p->kind = kind;
	} else {
		p->kind = prof_table_section("sandbox");
		p->head = true;
	}
	p->sb = sandbox_index(p, name);
	if (!dot && !p->sbs[p->sb].head_line)
		p->sbs[p->sb].head_line = p->line;
}

/* s: the line from its '['. inih takes it as a section when it has a
 * ']' before an inline comment; anything else is its syntax error. */
static void enter_section(struct parser *p, const char *s)
{
	const char *close = strchr(s, ']'), *rest;

	free(p->section);
	free(p->prev_name);
	p->section = p->prev_name = NULL;
	p->kind = NULL;
	p->head = p->bad_header = false;
	p->sb = SIZE_MAX;
	p->have_prev = false;
	p->prev_key = NULL;
	if (!close) {
		p->bad_header = true;
		return;
	}
	p->section = xstrndup(s + 1, (size_t)(close - s - 1));
	for (rest = close + 1; isspace((unsigned char)*rest); rest++)
		;
	if (*rest && *rest != ';' && *rest != '#') {
		_cleanup_free_ char *sec = prof_shown(p->section);
		fail(p, p->line, "[%s]: text after the ']'", sec);
		return;
	}
	if (p->stack) {
		stack_section(p);
		return;
	}
	if (prof_profile_section(p->section)) {
		p->kind = prof_table_section(p->section);
		return;
	}
	_cleanup_free_ char *sec = prof_shown(p->section);
	const char *hint = prof_suggest_section(p->section, false);
	if (hint) {
		fail(p, p->line, "[%s]: unknown section (did you mean [%s]?)", sec, hint);
		return;
	}
	if (!strcmp(p->section, "stack") || strchr(p->section, '.')) {
		fail(p, p->line, "[%s]: a stack's section, not a profile's", sec);
		return;
	}
	fail(p, p->line, "[%s]: unknown section", sec);
}

/* Called by inih once per line, before the handler for that line. */
static char *reader(char *buf, int num, void *stream)
{
	struct parser *p = stream;
	const char *start = p->pos, *nl;
	size_t len, give;

	if (num < 3) /* inih's buffer is INI_MAX_LINE */
		abort();
	if (p->err.msg || !*start)
		return NULL;
	nl = strchr(start, '\n');
	len = nl ? (size_t)(nl - start) : strlen(start);
	p->pos = nl ? nl + 1 : start + len;
	p->line++;
	p->buf_len = num;
	give = len < (size_t)num - 2 ? len : (size_t)num - 2;
	memcpy(buf, start, give);
	buf[give] = '\n';
	buf[give + 1] = '\0';
	if (p->line == 1 && len >= 3 && !memcmp(start, "\xef\xbb\xbf", 3))
		start += 3, len -= 3;
	if (len + 1 > p->raw_cap) {
		p->raw_cap = len + 1;
		p->raw = xrealloc(p->raw, p->raw_cap);
	}
	memcpy(p->raw, start, len);
	p->raw[len] = '\0';

	/* a section line, as inih sees it: not a comment, not a continuation */
	const char *s = p->raw;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '[' && !(s > p->raw && p->have_prev)) {
		flush_pending(p);
		enter_section(p, s);
	}
	return buf;
}

/* A value whose check failed: the check's message says what it wanted. */
static void fail_check(struct parser *p, const struct profile_key *k, const char *mapname,
		       struct berth_error *e)
{
	_cleanup_free_ char *t =
		e->errnum && e->errnum != EINVAL ? berth_error_text(e) : xstrdup(e->msg);
	_cleanup_free_ char *s = prof_clip(t, SIZE_MAX);

	berth_error_clear(e);
	fail_key(p, p->line, k, mapname, "%s", s);
}

static bool value_ok(struct parser *p, const struct profile_key *k, const char *mapname,
		     const char *v)
{
	_cleanup_free_ char *sv = prof_shown(v);
	struct berth_error e = { 0 };
	const char *what = NULL;

	switch (k->type) {
	case PROFILE_BOOL:
		if (!prof_bool_valid(v))
			what = "true or false (yes/no, on/off, 1/0)";
		break;
	case PROFILE_UINT:
		if (!prof_uint_valid(v))
			what = "a decimal number";
		break;
	case PROFILE_ENUM:
		if (!prof_choice_valid(k->choices, v)) {
			fail_key(p, p->line, k, mapname, "expected one of %s (got \"%s\")",
				 k->choices, sv);
			return false;
		}
		break;
	default: break;
	}
	if (what) {
		fail_key(p, p->line, k, mapname, "expected %s (got \"%s\")", what, sv);
		return false;
	}
	if (k->check && k->check(v, &e) < 0) {
		fail_check(p, k, mapname, &e);
		return false;
	}
	return true;
}

/* A scalar or a map name: once per file. */
static void store_once(struct parser *p, const struct profile_key *k, const char *mapname,
		       const char *v)
{
	struct profile *prof = current(p);
	struct profile_setting probe = { .key = k, .name = (char *)mapname };

	for (size_t i = 0; i < prof->n; i++)
		if (prof_same_slot(&prof->set[i], &probe)) {
			fail_key(p, p->line, k, mapname, "set again (first on line %u)",
				 prof->set[i].line);
			return;
		}
	prof_setting_add(prof, k, mapname, v, p->file, p->line);
}

static void add_words(struct parser *p, const struct profile_key *k, const char *s)
{
	_cleanup_free_ char *v = xstrndup(s, words_span(s));
	struct berth_error e = { 0 };
	char **w = NULL;
	size_t n;

	if (!*v && !prof_clears_when_empty(k)) {
		fail_key(p, p->line, k, NULL, "no value");
		return;
	}
	if (*v && profile_words(v, &w, &n, &e) < 0) {
		_cleanup_free_ char *sv = prof_shown(v);
		fail_key(p, p->line, k, NULL, "%s (got \"%s\")", e.msg, sv);
		berth_error_clear(&e);
		return;
	}
	strv_free(w);
	store_once(p, k, NULL, v);
}

static void add_values(struct parser *p, const struct profile_key *k, const char *mapname,
		       const char *s, bool continued)
{
	bool list = k->type == PROFILE_LIST, many = list || k->type == PROFILE_LINES;
	const char *why = NULL;
	char **items;
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	if (k->type == PROFILE_WORDS) {
		add_words(p, k, s);
		return;
	}
	if (split_items(s, list, &items, &n, &why) < 0) {
		_cleanup_free_ char *sv = prof_shown(s);
		fail_key(p, p->line, k, mapname, "%s (got \"%s\")", why, sv);
		return;
	}
	if (n == 0 && many && !continued) {
		p->pending = k;
		p->pending_line = p->line;
	} else if (n == 0 && k->type != PROFILE_MAP) {
		fail_key(p, p->line, k, mapname, "no value");
	} else if (!many) {
		const char *v = n ? items[0] : "";
		if ((*v || k->type == PROFILE_MAP) && value_ok(p, k, mapname, v))
			store_once(p, k, k->name ? NULL : mapname, v);
		else if (!*v)
			fail_key(p, p->line, k, mapname, "no value");
	} else {
		for (size_t i = 0; i < n && !p->err.msg; i++) {
			if (!*items[i])
				fail_key(p, p->line, k, mapname, "an empty item");
			else if (value_ok(p, k, mapname, items[i]))
				prof_setting_add(current(p), k, NULL, items[i], p->file, p->line);
		}
	}
	strv_free(items);
}

/* Why a map name cannot be one, or NULL. */
static const char *map_name_problem(const char *n)
{
	for (const char *c = n; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return "a name has no blanks or control characters";
	return NULL;
}

static void unknown_key(struct parser *p, const char *kind, const char *name)
{
	_cleanup_free_ char *sn = prof_shown(name),
			    *sec = p->section ? prof_shown(p->section) : NULL;
	_cleanup_free_ char *where = sec ? xasprintf("[%s] %s", sec, sn) : xstrdup(sn);

	for (size_t i = 0; i < profile_n_keys; i++) {
		const struct profile_key *k = &profile_keys[i];
		bool here = !strcmp(k->section, kind) || (p->head && !strcmp(k->section, "NAME"));
		if (here && k->name && prof_typo_of(name, k->name)) {
			fail(p, p->line, "%s: unknown key (did you mean \"%s\"?)", where, k->name);
			return;
		}
	}
	for (size_t i = 0; i < profile_n_keys; i++) {
		const struct profile_key *k = &profile_keys[i];
		if (!k->name || strcmp(k->name, name) || !prof_profile_section(k->section))
			continue;
		if (p->sb != SIZE_MAX) {
			fail(p, p->line, "%s: unknown key (it goes in [%s.%s])", where,
			     p->sbs[p->sb].name, k->section);
			return;
		}
		fail(p, p->line, "%s: unknown key (it goes in [%s])", where, k->section);
		return;
	}
	if (!p->stack && *kind && prof_key_in("", name)) {
		fail(p, p->line, "%s: unknown key (it goes before the first section)", where);
		return;
	}
	fail(p, p->line, "%s: unknown key", where);
}

static void key_line(struct parser *p, bool inih_named)
{
	const char *eq = strchr(p->raw, '=');
	const struct profile_key *k;
	_cleanup_free_ char *name = NULL;

	flush_pending(p);
	if (p->err.msg)
		return;
	if (!p->kind && p->bad_header)
		return; /* inih reported the header */
	if (!p->kind) {
		_cleanup_free_ char *sl = prof_shown(p->raw);
		fail(p, p->line,
		     "\"%s\": a stack's keys go in a section ([stack], [NAME], "
		     "[NAME.SECTION])",
		     sl);
		return;
	}
	if (!eq) {
		_cleanup_free_ char *sl = prof_shown(p->raw);
		fail(p, p->line, "expected KEY = VALUE (got \"%s\"): ':' does not separate", sl);
		return;
	}
	name = trimmed(p->raw, (size_t)(eq - p->raw));
	if (!*name) {
		fail(p, p->line, "expected KEY = VALUE: no key before the '='");
		return;
	}
	k = prof_key_in(p->kind, name);
	if (!k && p->head)
		k = prof_key_in("NAME", name);
	if (!k) {
		unknown_key(p, p->kind, name);
		return;
	}
	if (!k->name && map_name_problem(name)) {
		fail_key(p, p->line, k, name, "%s", map_name_problem(name));
		return;
	}
	if (!p->allow_extends && k->name && !strcmp(k->name, "extends")) {
		fail_key(p, p->line, k, NULL,
			 "only a profile or stack loaded from a file can extend one");
		return;
	}
	p->have_prev = inih_named;
	p->prev_key = k;
	free(p->prev_name);
	p->prev_name = steal_pointer(&name);
	add_values(p, k, p->prev_name, eq + 1, false);
}

static void continued_line(struct parser *p)
{
	const struct profile_key *k = p->prev_key;

	if (p->pending == k)
		p->pending = NULL;
	if (k->type != PROFILE_LIST && k->type != PROFILE_LINES) {
		fail_key(p, p->line, k, p->prev_name,
			 "takes one line (an indented line continues the key above it)");
		return;
	}
	add_values(p, k, p->prev_name, p->raw, true);
}

/* The names and values come from the whole line (p->raw): inih's copies
 * are cut at its buffer sizes. */
static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parser *p = user;

	(void)section;
	(void)value;
	if (p->err.msg)
		return 1;
	if (p->have_prev && p->prev_key && isspace((unsigned char)p->raw[0]))
		continued_line(p);
	else
		key_line(p, *name != '\0');
	return p->err.msg ? 0 : 1;
}

/* inih's own error: a line that is no key, section or comment. */
static void syntax_error(struct parser *p, unsigned line)
{
	const char *s = p->text;
	_cleanup_free_ char *text = NULL, *sl = NULL;

	for (unsigned i = 1; i < line && strchr(s, '\n'); i++)
		s = strchr(s, '\n') + 1;
	if (line == 1 && !strncmp(s, "\xef\xbb\xbf", 3))
		s += 3;
	text = trimmed(s, strcspn(s, "\n"));
	sl = prof_shown(text);
	berth_error_clear(&p->err);
	if (text[0] == '[')
		fail(p, line, "expected [SECTION] (got \"%s\")", sl);
	else if (strchr(text, '=') && strchr(text, '=') - text >= p->buf_len - 2)
		fail(p, line, "a key longer than %d characters", p->buf_len - 3);
	else
		fail(p, line, "expected KEY = VALUE, [SECTION] or a comment (got \"%s\")", sl);
}

/* After a stack file's last line: every sandbox has its [NAME]. */
static void stack_file_checks(struct parser *p)
{
	if (p->n_sb == 0) {
		fail(p, p->line ? p->line : 1,
		     "no sandbox (a stack has [NAME] sections, one per sandbox)");
		return;
	}
	for (size_t i = 0; i < p->n_sb && !p->err.msg; i++) {
		const struct draft_sb *d = &p->sbs[i];
		const char *hint = NULL;
		if (d->head_line)
			continue;
		for (size_t j = 0; j < p->n_sb; j++)
			if (p->sbs[j].head_line && prof_typo_of(d->name, p->sbs[j].name))
				hint = p->sbs[j].name;
		if (hint)
			fail(p, d->first_line, "[%s.*]: no [%s] section (did you mean [%s]?)",
			     d->name, d->name, hint);
		else
			fail(p, d->first_line, "[%s.*]: no [%s] section declares that sandbox",
			     d->name, d->name);
	}
}

/* Parse text into p (cleared when it fails). */
int prof_parse_text(struct parser *p, const char *text, const char *file, bool stack,
		    bool allow_extends, struct berth_error *err)
{
	int rc;

	memset(p, 0, sizeof(*p));
	p->file = file;
	p->text = p->pos = text;
	p->stack = stack;
	p->allow_extends = allow_extends;
	p->sb = SIZE_MAX;
	p->buf_len = 200;
	if (!stack)
		p->kind = prof_table_section("");
	rc = ini_parse_stream(reader, p, handler, p);
	flush_pending(p);
	if (rc > 0 && (!p->err.msg || (unsigned)rc < p->err_line))
		syntax_error(p, (unsigned)rc);
	else if (rc < 0)
		berth_error_set(err, ENOMEM, "%s: inih", file);
	if (!p->err.msg && !err->msg && stack)
		stack_file_checks(p);
	if (p->err.msg || err->msg) {
		if (!err->msg) {
			err->msg = steal_pointer(&p->err.msg);
			err->errnum = p->err.errnum;
		}
		prof_parser_clear(p);
		return -1;
	}
	return 0;
}
