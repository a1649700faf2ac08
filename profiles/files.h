/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * files.h: profile and stack files (files.c): finding one by name,
 * reading it, following its extends chain.
 */
#ifndef BERTH_PROFILES_FILES_H
#define BERTH_PROFILES_FILES_H

#include <sys/stat.h>
#include <sys/types.h>

#include "../lib/error.h"
#include "settings.h"

/* The files of an extends chain, to find a loop. */
struct chain {
	struct chain_link {
		dev_t dev;
		ino_t ino;
		char *path;
	} * v;
	size_t n;
};

void prof_chain_push(struct chain *ch, const struct stat *st, const char *path);
void prof_chain_clear(struct chain *ch);

/* A profile or stack file, whole (at most 1 MiB of text). what names it
 * in errors. */
int prof_read_text(const char *path, const char *what, char **text, struct stat *st,
		   struct berth_error *err);
/* path's settings after those of its extends chain, into acc. from: the
 * extends setting naming it, NULL for the top. */
int prof_load_chain(const char *path, const struct profile_setting *from, struct chain *ch,
		    struct profile *acc, struct berth_error *err);
/* The base that from (an extends setting) names, its chain first. */
int prof_load_base(const struct profile_setting *from, struct chain *ch, struct profile *acc,
		   struct berth_error *err);

/* The system's profiles, searched after the user's. */
#define PROF_SYSTEM_DIR "/etc/berth/profiles"
/* The user's profiles: $XDG_CONFIG_HOME/berth/profiles, else
 * ~/.config/berth/profiles; NULL without either variable. */
char *prof_user_dir(void);
/* A path as given; a bare name on the user's profiles, the system's,
 * then ./, as NAME then NAME.ini (*shadowed: a ./NAME or ./NAME.ini
 * passed over for the user's or the system's). NULL with err. */
char *prof_find(const char *name, char **shadowed, struct berth_error *err);

#endif
