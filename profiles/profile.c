// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * profile.c: berth's INI profiles (profile.h): loading one by name or
 * from text, resolved, and the resolved profile written back as INI.
 * The pieces are files of their own: the key table and the forms of
 * values (keys.c), settings (settings.c), reading one file (parse.c),
 * finding files and following extends (files.c); what a stack does with
 * its sandboxes is stack.c. It runs nothing and makes no run flags: that
 * is cli/cmd-profile.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"
#include "files.h"
#include "keys.h"
#include "parse.h"
#include "profile.h"
#include "settings.h"

/* ---- loading ---- */

int profile_load(const char *name, struct profile *out, struct berth_error *err)
{
	_cleanup_free_ char *shadowed = NULL;
	_cleanup_free_ char *path = prof_find(name, &shadowed, err);
	struct profile acc = { 0 };
	struct chain ch = { 0 };
	int r;

	if (!path)
		return -1;
	r = prof_load_chain(path, NULL, &ch, &acc, err);
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
