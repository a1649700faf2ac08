/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ignore.h: a .dockerignore (or .containerignore) with docker's exact
 * semantics (ignore.c): one pattern a line, Go's filepath.Match syntax
 * (*, ?, [class], [^class], \ escapes) plus "**" for any number of
 * directories, "!" making an exception to what came before (the last
 * matching line wins), comments ("#" first) and blank lines skipped,
 * each pattern cleaned (leading "/" and "./" dropped, "a//b", "a/./b",
 * "a/../b" folded). A pattern matches a path or any of its parents
 * ("node_modules" excludes everything below it).
 */
#ifndef BERTH_IGNORE_H
#define BERTH_IGNORE_H

#include <stdbool.h>
#include <stddef.h>

#include "../lib/error.h"

struct ignore;

/* Parse text[0..len); name is the file, for errors ("NAME:LINE: bad
 * pattern ..."). Empty text gives a matcher that excludes nothing. */
int ignore_parse(const char *name, const char *text, size_t len, struct ignore **out,
		 struct berth_error *err);
void ignore_free(struct ignore *ig);

/* Whether rel, a path in the context ("src/a.c": no leading "/" or
 * "./", cleaned), is excluded. */
bool ignore_excludes(const struct ignore *ig, const char *rel);

/* Whether an excluded directory rel may still hold a path an exception
 * ("!") brings back, so a walk must look inside it (docker walks into
 * it then; otherwise the whole directory is skipped unread). */
bool ignore_may_include_below(const struct ignore *ig, const char *rel);

/* Go's filepath.Match(pattern, name) with '/' as the separator: 1 when
 * it matches, 0 when not, -1 for a malformed pattern (ErrBadPattern).
 * COPY's source globs use it too. */
int go_path_match(const char *pattern, const char *name);

/* Go's filepath.Clean with '/' as the separator ("" is ".", "/.." is
 * "/", "a/../../b" is "../b"); to free. */
char *go_path_clean(const char *path);

#endif
