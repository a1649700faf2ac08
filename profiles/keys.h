/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * keys.h: what a profile may say (keys.c): the key table, the forms of
 * values, each value's check, lookups in the table and the did-you-mean,
 * and how a value from a file is shown in a message. Below every other
 * file of profiles/: it knows no settings and reads no file.
 */
#ifndef BERTH_PROFILES_KEYS_H
#define BERTH_PROFILES_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "../lib/error.h"

enum profile_type {
	PROFILE_STRING,
	PROFILE_BOOL,  /* true/false, yes/no, on/off, 1/0 */
	PROFILE_UINT,  /* a decimal number */
	PROFILE_WORDS, /* shell-like words: command, entrypoint */
	PROFILE_LIST,  /* items separated by commas or on lines of their own */
	PROFILE_LINES, /* one item per line (items may hold commas: mounts) */
	PROFILE_ENUM,  /* one of choices */
	PROFILE_MAP,   /* free-form KEY = VALUE sections (environment, labels) */
};

struct profile_key {
	const char *section; /* "sandbox", "network", ... */
	const char *name;    /* NULL for a PROFILE_MAP section's any name */
	enum profile_type type;
	const char *choices; /* PROFILE_ENUM: "a|b|c" */
	/* the run flag it stands for ("--read-only", "-v"), NULL when it is
	 * not one (image, command, extends, depends-on, if-unsupported) */
	const char *flag;
	/* the value's own check (a mount spec, a port, a capability...),
	 * NULL when its type says enough */
	int (*check)(const char *value, struct berth_error *err);
	const char *help; /* one line, for docs/profiles.md and errors */
};
extern const struct profile_key profile_keys[];
extern const size_t profile_n_keys;

/* true/false for a PROFILE_BOOL value (checked at load). */
bool profile_bool(const char *value);
/* Split a PROFILE_WORDS value (single and double quotes, backslash) into
 * a NULL-terminated vector; -1 with err on an unterminated quote. */
int profile_words(const char *value, char ***out, size_t *n, struct berth_error *err);

/* ---- for profiles/ only ---- */

/* The forms of PROFILE_BOOL, PROFILE_UINT and PROFILE_ENUM values. */
bool prof_bool_valid(const char *v);
bool prof_uint_valid(const char *v);
bool prof_choice_valid(const char *choices, const char *v);
/* Text from a file, fit for a one-line message: control characters
 * become '?', and past max bytes it ends in "...". */
char *prof_clip(const char *s, size_t max);
/* The same for a value or name as written (80 bytes). */
char *prof_shown(const char *s);

/* The table's lookups and the did-you-mean (each described in keys.c). */
struct mountspec_env;
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
