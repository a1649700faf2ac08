/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * parse.h: reading one profile or stack file (parse.c). stack.c builds
 * on what the parser read: a stack's sandboxes arrive as drafts.
 */
#ifndef BERTH_PROFILES_PARSE_H
#define BERTH_PROFILES_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "../lib/error.h"
#include "keys.h"
#include "settings.h"

/* A sandbox of a stack file, as its sections come. */
struct draft_sb {
	char *name;
	unsigned head_line;  /* its [NAME]; 0 while only [NAME.SECTION] came */
	unsigned first_line; /* its first section */
	struct profile prof; /* its settings in this file, extends and depends-on too */
};

struct parser {
	const char *file, *text, *pos;
	bool stack, allow_extends;
	unsigned line;
	char *raw; /* the line the reader gave last, whole, without its BOM */
	size_t raw_cap;
	int buf_len;	  /* inih's line buffer */
	char *section;	  /* as written; NULL before the first */
	const char *kind; /* the table section its keys are from; NULL: none */
	bool head;	  /* a stack's [NAME]: extends and depends-on too */
	bool bad_header;  /* a [ without ], which inih reports */
	size_t sb;	  /* a stack's sandbox the section is of, or SIZE_MAX */
	bool have_prev;	  /* inih's prev_name is set: indented lines continue */
	const struct profile_key *prev_key;
	char *prev_name;
	/* a list key whose own line was empty: its items must follow */
	const struct profile_key *pending;
	unsigned pending_line;
	struct profile top; /* a profile's settings, or a stack's [stack] */
	struct draft_sb *sbs;
	size_t n_sb;
	struct berth_error err;
	unsigned err_line;
};

/* Parse text into p (cleared when it fails): a stack's sections when
 * stack, an extends key only when allow_extends (a file, not text). */
int prof_parse_text(struct parser *p, const char *text, const char *file, bool stack,
		    bool allow_extends, struct berth_error *err);
void prof_parser_clear(struct parser *p);

#endif
