/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * internal.h: what profile.c, keys.c and stack.c share. Not part of the
 * API: nothing outside profiles/ includes it (profile.h is the API). The
 * functions were static when profiles/ was one file; each is described
 * where it is defined, and keeps its old name behind a prof_ prefix.
 */
#ifndef BERTH_PROFILES_INTERNAL_H
#define BERTH_PROFILES_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "../lib/error.h"
#include "profile.h"

struct mountspec_env;

/* ---- reading one file (profile.c) ---- */

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

/* The files of an extends chain, to find a loop. */
struct chain {
	struct chain_link {
		dev_t dev;
		ino_t ino;
		char *path;
	} * v;
	size_t n;
};

void prof_vec_push(char ***v, size_t *n, const char *s);
void prof_vec_free(char **v);
/* Text from a file, fit for a one-line message: control characters
 * become '?', and past max bytes it ends in "...". */
char *prof_clip(const char *s, size_t max);
/* The same for a value or name as written (80 bytes). */
char *prof_shown(const char *s);

/* settings */
void prof_setting_add(struct profile *p, const struct profile_key *k, const char *name,
		      const char *value, const char *file, unsigned line);
bool prof_is_key(const struct profile_key *k, const char *section, const char *name);
const struct profile_setting *prof_setting_get(const struct profile *p, const char *section,
					       const char *name);
void prof_settings_take(struct profile *dst, struct profile *src);
void prof_resolve(struct profile *p);

/* one file */
int prof_parse_text(struct parser *p, const char *text, const char *file, bool stack,
		    bool allow_extends, struct berth_error *err);
void prof_parser_clear(struct parser *p);

/* The system's profiles, searched after the user's. */
#define PROF_SYSTEM_DIR "/etc/berth/profiles"
/* The user's profiles: $XDG_CONFIG_HOME/berth/profiles, else
 * ~/.config/berth/profiles; NULL without either variable. */
char *prof_user_dir(void);
void prof_note_extends(struct profile *p, const struct profile_setting *ext);

/* files and extends */
int prof_read_text(const char *path, const char *what, char **text, struct stat *st,
		   struct berth_error *err);
void prof_chain_push(struct chain *ch, const struct stat *st, const char *path);
void prof_chain_clear(struct chain *ch);
int prof_load_base(const struct profile_setting *from, struct chain *ch, struct profile *acc,
		   struct berth_error *err);

/* ---- the key table and the value checks (keys.c) ---- */

bool prof_typo_of(const char *name, const char *candidate);
extern const struct mountspec_env prof_check_env;
bool prof_sandbox_name_valid(const char *v);
bool prof_clears_when_empty(const struct profile_key *k);
bool prof_stack_only_section(const char *section);
const char *prof_table_section(const char *name);
bool prof_profile_section(const char *name);
const struct profile_key *prof_key_in(const char *section, const char *name);
const char *prof_suggest_section(const char *name, bool stack);

#endif
