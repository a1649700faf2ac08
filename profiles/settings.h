/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * settings.h: a profile's settings (settings.c): each value where it was
 * written, and the resolved profile they make.
 */
#ifndef BERTH_PROFILES_SETTINGS_H
#define BERTH_PROFILES_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "keys.h"

/* One value, where it was written. A list key has one setting per item. */
struct profile_setting {
	const struct profile_key *key;
	char *name;  /* the variable or label name in a PROFILE_MAP section */
	char *value; /* unquoted; for PROFILE_WORDS the text as written */
	char *file;  /* as given or found (absolute when found on the search path) */
	unsigned line;
};

/* A resolved profile: extends applied (the base first), a scalar key once
 * (the last file's value wins), list items in order base to child, a map
 * name once (the child's value wins). */
struct profile {
	char *file; /* the top file */
	struct profile_setting *set;
	size_t n;
	/* the extends of its chain (the top's first), which the settings no
	 * longer show: for the judge of what it loosens (widen.c) */
	struct profile_setting *ext;
	size_t n_ext;
	/* a bare name only: the ./NAME or ./NAME.ini the search passed over
	 * for the user's or the system's profile of that name, or NULL */
	char *shadowed;
};

void profile_free(struct profile *p);
/* The last value of a scalar key, or NULL. */
const char *profile_get(const struct profile *p, const char *section, const char *name);
/* ---- for profiles/ only ---- */

void prof_setting_add(struct profile *p, const struct profile_key *k, const char *name,
		      const char *value, const char *file, unsigned line);
bool prof_is_key(const struct profile_key *k, const char *section, const char *name);
/* The last setting of a key. */
const struct profile_setting *prof_setting_get(const struct profile *p, const char *section,
					       const char *name);
/* Move src's settings to the end of dst, but for extends and a stack's
 * own keys, which are applied rather than kept. */
void prof_settings_take(struct profile *dst, struct profile *src);
/* The base's settings came first: a later scalar or map name wins, list
 * items all stay, in order. */
void prof_resolve(struct profile *p);
/* An extends setting, kept aside: the resolved settings drop it, the
 * judge of what a profile loosens (widen.c) still wants it. */
void prof_note_extends(struct profile *p, const struct profile_setting *ext);
/* The same key (and map name): a later one replaces an earlier one. */
bool prof_same_slot(const struct profile_setting *a, const struct profile_setting *b);

#endif
