// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * profile.c: berth's INI profiles (profile.h): settings, reading one
 * file with inih (a profile's or a stack's), `extends` chains and the
 * resolved profile written back as INI. The key table and each value's
 * check are keys.c; what a stack does with its sandboxes (dependency
 * order; ports, networks and volumes across them) is stack.c. It runs
 * nothing and makes no run flags: that is cli/cmd-profile.c.
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
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/util.h"
#include "internal.h"
#include "profile.h"

/* A profile or stack is a few hundred lines; more is a mistake. */
#define PROFILE_MAX_BYTES (1024 * 1024)
/* How much of a bad value an error message shows. */
#define SHOWN_MAX 80

/* ---- small helpers ---- */

void prof_vec_push(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 2) * sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
	(*v)[*n] = NULL;
}

void prof_vec_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

/* Text from a file, fit for a one-line message: control characters
 * become '?', and past max bytes it ends in "...". */
char *prof_clip(const char *s, size_t max)
{
	size_t n = strlen(s), keep = n > max ? max : n;
	char *out = xmalloc(keep + 4);

	for (size_t i = 0; i < keep; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	strcpy(out + keep, n > keep ? "..." : "");
	return out;
}

/* A value or name as written, in a message. */
char *prof_shown(const char *s)
{
	return prof_clip(s, SHOWN_MAX);
}

static char *trimmed(const char *s, size_t len)
{
	while (len > 0 && isspace((unsigned char)*s))
		s++, len--;
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	return xstrndup(s, len);
}

/* ---- settings ---- */

void prof_setting_add(struct profile *p, const struct profile_key *k, const char *name,
		      const char *value, const char *file, unsigned line)
{
	struct profile_setting *s;

	p->set = xrealloc(p->set, (p->n + 1) * sizeof(*p->set));
	s = &p->set[p->n++];
	s->key = k;
	s->name = name ? xstrdup(name) : NULL;
	s->value = xstrdup(value);
	s->file = xstrdup(file);
	s->line = line;
}

static void setting_clear(struct profile_setting *s)
{
	free(s->name);
	free(s->value);
	free(s->file);
	memset(s, 0, sizeof(*s));
}

void profile_free(struct profile *p)
{
	for (size_t i = 0; i < p->n; i++)
		setting_clear(&p->set[i]);
	for (size_t i = 0; i < p->n_ext; i++)
		setting_clear(&p->ext[i]);
	free(p->set);
	free(p->ext);
	free(p->file);
	free(p->shadowed);
	memset(p, 0, sizeof(*p));
}

/* An extends setting, kept aside: the resolved settings drop it, the
 * judge of what a profile loosens (widen.c) still wants it. */
void prof_note_extends(struct profile *p, const struct profile_setting *ext)
{
	p->ext = xrealloc(p->ext, (p->n_ext + 1) * sizeof(*p->ext));
	p->ext[p->n_ext++] = (struct profile_setting){ .key = ext->key,
						       .value = xstrdup(ext->value),
						       .file = xstrdup(ext->file),
						       .line = ext->line };
}

bool prof_is_key(const struct profile_key *k, const char *section, const char *name)
{
	return !strcmp(k->section, section) && k->name && !strcmp(k->name, name);
}

/* The last setting of a key. */
const struct profile_setting *prof_setting_get(const struct profile *p, const char *section,
					       const char *name)
{
	for (size_t i = p->n; i-- > 0;)
		if (prof_is_key(p->set[i].key, section, name))
			return &p->set[i];
	return NULL;
}

const char *profile_get(const struct profile *p, const char *section, const char *name)
{
	const struct profile_setting *s = prof_setting_get(p, section, name);
	return s ? s->value : NULL;
}

/* Move src's settings to the end of dst, but for extends and a stack's
 * own keys, which are applied rather than kept. */
void prof_settings_take(struct profile *dst, struct profile *src)
{
	for (size_t i = 0; i < src->n; i++) {
		struct profile_setting *s = &src->set[i];
		if (prof_is_key(s->key, "", "extends") || !strcmp(s->key->section, "NAME")) {
			setting_clear(s);
			continue;
		}
		dst->set = xrealloc(dst->set, (dst->n + 1) * sizeof(*dst->set));
		dst->set[dst->n++] = *s;
	}
	free(src->set);
	src->set = NULL;
	src->n = 0;
}

static bool same_slot(const struct profile_setting *a, const struct profile_setting *b)
{
	return a->key == b->key && (a->key->type != PROFILE_MAP || !strcmp(a->name, b->name));
}

/* The base's settings came first: a later scalar or map name wins, list
 * items all stay, in order. */
void prof_resolve(struct profile *p)
{
	size_t o = 0;

	for (size_t i = 0; i < p->n; i++) {
		bool overridden = false;
		if (p->set[i].key->type != PROFILE_LIST && p->set[i].key->type != PROFILE_LINES)
			for (size_t j = i + 1; j < p->n && !overridden; j++)
				overridden = same_slot(&p->set[i], &p->set[j]);
		if (overridden)
			setting_clear(&p->set[i]);
		else
			p->set[o++] = p->set[i];
	}
	p->n = o;
}

/* ---- values ---- */

bool profile_bool(const char *value)
{
	return !strcasecmp(value, "true") || !strcasecmp(value, "yes") ||
	       !strcasecmp(value, "on") || !strcmp(value, "1");
}

static bool bool_valid(const char *v)
{
	return profile_bool(v) || !strcasecmp(v, "false") || !strcasecmp(v, "no") ||
	       !strcasecmp(v, "off") || !strcmp(v, "0");
}

/* A decimal that the flag's own parser (strtol) takes whole. */
static bool uint_valid(const char *v)
{
	size_t n = strspn(v, "0123456789");
	return n > 0 && !v[n] && (n < 10 || (n == 10 && strcmp(v, "2147483647") <= 0));
}

static bool choice_valid(const char *choices, const char *v)
{
	size_t len = strlen(v);

	for (const char *c = choices; c; c = strchr(c, '|') ? strchr(c, '|') + 1 : NULL)
		if (!strncmp(c, v, len) && (c[len] == '|' || c[len] == '\0'))
			return true;
	return false;
}

static int words_error(struct berth_error *err, const char *what, char **v, char *w)
{
	prof_vec_free(v);
	free(w);
	return berth_error_set(err, EINVAL, "%s", what);
}

int profile_words(const char *value, char ***out, size_t *n, struct berth_error *err)
{
	char **v = xcalloc(1, sizeof(*v)), *w = xmalloc(strlen(value) + 1);
	const char *s = value;
	size_t count = 0;

	*out = NULL;
	*n = 0;
	for (;;) {
		size_t wl = 0;
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		while (*s && !isspace((unsigned char)*s)) {
			if (*s == '\'') {
				/* single quotes: everything literal */
				while (*++s && *s != '\'')
					w[wl++] = *s;
				if (!*s++)
					return words_error(err, "an unterminated ' quote", v, w);
			} else if (*s == '"') {
				/* double quotes: \" and \\ escape, other backslashes stay */
				while (*++s && *s != '"') {
					if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
						s++;
					w[wl++] = *s;
				}
				if (!*s++)
					return words_error(err, "an unterminated \" quote", v, w);
			} else if (*s == '\\') {
				if (!s[1])
					return words_error(err, "a backslash at the end", v, w);
				w[wl++] = s[1];
				s += 2;
			} else {
				w[wl++] = *s++;
			}
		}
		w[wl] = '\0';
		prof_vec_push(&v, &count, w);
	}
	free(w);
	*out = v;
	*n = count;
	return 0;
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
		prof_vec_push(items, n, item);
		free(item);
		if (!list || *s != ',')
			return 0;
		s++;
	}
	prof_vec_free(*items);
	*items = NULL;
	*n = 0;
	return -1;
}

/* ---- reading one file ---- */

/* struct draft_sb and struct parser are in internal.h: stack.c builds on
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
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
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

	if (p->err.msg)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
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
		if (!bool_valid(v))
			what = "true or false (yes/no, on/off, 1/0)";
		break;
	case PROFILE_UINT:
		if (!uint_valid(v))
			what = "a decimal number";
		break;
	case PROFILE_ENUM:
		if (!choice_valid(k->choices, v)) {
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
		if (same_slot(&prof->set[i], &probe)) {
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
	prof_vec_free(w);
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
	prof_vec_free(items);
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

/* ---- files and extends ---- */

/* struct chain is in internal.h: a stack's sandbox starts a chain too. */

void prof_chain_push(struct chain *ch, const struct stat *st, const char *path)
{
	ch->v = xrealloc(ch->v, (ch->n + 1) * sizeof(*ch->v));
	ch->v[ch->n++] = (struct chain_link){ st->st_dev, st->st_ino, xstrdup(path) };
}

static void chain_pop(struct chain *ch)
{
	free(ch->v[--ch->n].path);
}

void prof_chain_clear(struct chain *ch)
{
	while (ch->n)
		chain_pop(ch);
	free(ch->v);
	ch->v = NULL;
}

/* A profile or stack file, whole. what names it in errors. Symlinks are
 * followed: these are the user's own files, often linked from dotfiles. */
int prof_read_text(const char *path, const char *what, char **text, struct stat *st,
		   struct berth_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct berth_error e = { 0 };
	size_t len;

	if (fd < 0 || fstat(fd, st) < 0)
		return berth_error_set(err, errno, "%s", what);
	if (S_ISDIR(st->st_mode))
		return berth_error_set(err, EISDIR, "%s", what);
	if (!S_ISREG(st->st_mode))
		return berth_error_set(err, 0, "%s: not a regular file", what);
	if (read_fd_all(fd, PROFILE_MAX_BYTES, text, &len, &e) < 0) {
		berth_error_set(err, e.errnum, "%s: %s", what, e.msg);
		berth_error_clear(&e);
		return -1;
	}
	if (strlen(*text) != len) {
		free(*text);
		*text = NULL;
		return berth_error_set(err, 0, "%s: a NUL byte: not a text file", what);
	}
	return 0;
}

/* value relative to the directory of file */
static char *relative_to(const char *file, const char *value)
{
	const char *slash = strrchr(file, '/');

	if (value[0] == '/' || !slash)
		return xstrdup(value);
	return xasprintf("%.*s/%s", (int)(slash - file), file, value);
}

static int load_chain(const char *path, const struct profile_setting *from, struct chain *ch,
		      struct profile *acc, struct berth_error *err);

/* The base that from (an extends setting) names, its chain first. */
int prof_load_base(const struct profile_setting *from, struct chain *ch, struct profile *acc,
		   struct berth_error *err)
{
	_cleanup_free_ char *base = relative_to(from->file, from->value);
	return load_chain(base, from, ch, acc, err);
}

/* path's settings after those of its extends chain, into acc. from: the
 * extends setting naming it, NULL for the top. */
static int load_chain(const char *path, const struct profile_setting *from, struct chain *ch,
		      struct profile *acc, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL, *what = NULL;
	const struct profile_setting *ext;
	struct parser p;
	struct stat st;

	what = from ? xasprintf("%s:%u: extends: %s", from->file, from->line, from->value)
		    : xstrdup(path);
	if (prof_read_text(path, what, &text, &st, err) < 0)
		return -1;
	for (size_t i = 0; i < ch->n; i++) {
		if (ch->v[i].dev != st.st_dev || ch->v[i].ino != st.st_ino)
			continue;
		_cleanup_free_ char *loop = xstrdup("");
		for (size_t j = i; j < ch->n; j++) {
			char *l = xasprintf("%s%s -> ", loop, ch->v[j].path);
			free(loop);
			loop = l;
		}
		return berth_error_set(err, 0, "%s:%u: extends: a loop: %s%s",
				       from ? from->file : path, from ? from->line : 0, loop, path);
	}
	if (prof_parse_text(&p, text, path, false, true, err) < 0)
		return -1;
	ext = prof_setting_get(&p.top, "", "extends");
	if (ext) {
		prof_note_extends(acc, ext);
		prof_chain_push(ch, &st, path);
		int r = prof_load_base(ext, ch, acc, err);
		chain_pop(ch);
		if (r < 0) {
			prof_parser_clear(&p);
			return -1;
		}
	}
	prof_settings_take(acc, &p.top);
	prof_parser_clear(&p);
	return 0;
}

static bool regular_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char *prof_user_dir(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	/* XDG: a relative XDG_CONFIG_HOME is to be ignored */
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/berth/profiles", xdg);
	if (home && home[0] == '/')
		return xasprintf("%s/.config/berth/profiles", home);
	return NULL;
}

/* dir/NAME or dir/NAME.ini ("./" left out for the working directory),
 * the first that is a regular file, or NULL. */
static char *profile_in(const char *dir, const char *name)
{
	for (int ini = 0; ini < 2; ini++) {
		char *path = !strcmp(dir, ".") ? xasprintf("%s%s", name, ini ? ".ini" : "")
					       : xasprintf("%s/%s%s", dir, name, ini ? ".ini" : "");
		if (regular_file(path))
			return path;
		free(path);
	}
	return NULL;
}

/* A path as given; a bare name on the user's profiles, the system's,
 * then ./. The working directory comes last because it is often a
 * repository someone else wrote: its ./NAME.ini must not stand in for
 * the profile the user means by NAME (*shadowed names the one passed
 * over; ./NAME.ini, a path, picks it). */
static char *find_profile(const char *name, char **shadowed, struct berth_error *err)
{
	_cleanup_free_ char *user = prof_user_dir();
	const char *dirs[3];
	size_t nd = 0;

	*shadowed = NULL;
	if (strchr(name, '/') || str_has_suffix(name, ".ini"))
		return xstrdup(name);
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return berth_error_set(err, 0, "profile \"%s\": not a name", name), NULL;
	if (user)
		dirs[nd++] = user;
	dirs[nd++] = PROF_SYSTEM_DIR;
	dirs[nd++] = ".";
	for (size_t i = 0; i < nd; i++) {
		char *path = profile_in(dirs[i], name);
		if (!path)
			continue;
		if (strcmp(dirs[i], "."))
			*shadowed = profile_in(".", name);
		return path;
	}
	berth_error_set(err, ENOENT,
			"profile %s: not in %s%s" PROF_SYSTEM_DIR " or ./ (as %s or %s.ini)", name,
			user ? user : "", user ? ", " : "", name, name);
	return NULL;
}

int profile_load(const char *name, struct profile *out, struct berth_error *err)
{
	_cleanup_free_ char *shadowed = NULL;
	_cleanup_free_ char *path = find_profile(name, &shadowed, err);
	struct profile acc = { 0 };
	struct chain ch = { 0 };
	int r;

	if (!path)
		return -1;
	r = load_chain(path, NULL, &ch, &acc, err);
	prof_chain_clear(&ch);
	if (r < 0) {
		profile_free(&acc);
		return -1;
	}
	prof_resolve(&acc);
	acc.file = steal_pointer(&path);
	acc.shadowed = steal_pointer(&shadowed);
	*out = acc;
	return 0;
}

int profile_parse_text(const char *text, const char *file, struct profile *out,
		       struct berth_error *err)
{
	struct profile acc = { 0 };
	struct parser p;

	if (prof_parse_text(&p, text, file, false, false, err) < 0)
		return -1;
	prof_settings_take(&acc, &p.top);
	prof_parser_clear(&p);
	prof_resolve(&acc);
	acc.file = xstrdup(file);
	*out = acc;
	return 0;
}

/* ---- writing ---- */

static bool needs_quotes(const char *v, bool list)
{
	size_t n = strlen(v);

	return n == 0 || v[0] == '"' || v[0] == '#' || isspace((unsigned char)v[0]) ||
	       isspace((unsigned char)v[n - 1]) || strchr(v, ';') || (list && strchr(v, ','));
}

static void write_item(FILE *out, const char *v, bool list)
{
	if (!needs_quotes(v, list)) {
		fputs(v, out);
		return;
	}
	fputc('"', out);
	for (const char *c = v; *c; c++) {
		if (*c == '"' || *c == '\\')
			fputc('\\', out);
		fputc(*c, out);
	}
	fputc('"', out);
}

/* " ; FILE:LINE" and the line's end */
static void write_origin(FILE *out, const struct profile_setting *s)
{
	_cleanup_free_ char *f = prof_shown(s->file ? s->file : "?");
	fprintf(out, " ; %s:%u\n", f, s->line);
}

static void write_setting(FILE *out, const struct profile_setting *s, bool first)
{
	const struct profile_key *k = s->key;

	if (k->type == PROFILE_MAP)
		fprintf(out, "%s = ", s->name);
	else if (first)
		fprintf(out, "%s =%s", k->name, *s->value || k->type != PROFILE_WORDS ? " " : "");
	else
		fputc('\t', out); /* the next item of a list, on a continuation line */
	if (k->type == PROFILE_WORDS)
		fputs(s->value, out); /* "" only for `entrypoint =` */
	else
		write_item(out, s->value, k->type == PROFILE_LIST);
	write_origin(out, s);
}

void profile_write_ini(const struct profile *p, FILE *out)
{
	const char *written = "";

	if (p->file) {
		_cleanup_free_ char *f = prof_shown(p->file);
		fprintf(out, "; the profile %s, resolved\n", f);
	}
	for (size_t i = 0; i < profile_n_keys; i++) {
		const struct profile_key *k = &profile_keys[i];
		bool first = true;
		if (prof_stack_only_section(k->section))
			continue;
		for (size_t j = 0; j < p->n; j++) {
			if (p->set[j].key != k)
				continue;
			if (strcmp(written, k->section)) {
				fprintf(out, "\n[%s]\n", k->section);
				written = k->section;
			}
			write_setting(out, &p->set[j], first);
			first = false;
		}
	}
}
