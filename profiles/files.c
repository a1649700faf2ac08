// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * files.c: profile and stack files (files.h): where a profile named by a
 * bare name is found (the user's, the system's, then ./), reading a file
 * whole, and following an extends chain base first, a loop named. Each
 * file is read by parse.c; the settings are combined by settings.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/util.h"
#include "files.h"
#include "keys.h"
#include "parse.h"
#include "settings.h"

/* A profile or stack is a few hundred lines; more is a mistake. */
#define PROFILE_MAX_BYTES (1024 * 1024)

/* ---- files and extends ---- */

/* struct chain is in files.h: a stack's sandbox starts a chain too. */

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

/* Symlinks are followed: these are the user's own files, often linked
 * from dotfiles. */
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

int prof_load_base(const struct profile_setting *from, struct chain *ch, struct profile *acc,
		   struct berth_error *err)
{
	_cleanup_free_ char *base = relative_to(from->file, from->value);
	return prof_load_chain(base, from, ch, acc, err);
}

int prof_load_chain(const char *path, const struct profile_setting *from, struct chain *ch,
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

/* The working directory comes last because it is often a repository
 * someone else wrote: its ./NAME.ini must not stand in for the profile
 * the user means by NAME. */
char *prof_find(const char *name, char **shadowed, struct berth_error *err)
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
