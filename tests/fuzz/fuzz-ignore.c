// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-ignore.c: libFuzzer target for .dockerignore files and the globs
 * of COPY (builder/ignore.c). The input up to its first NUL byte is an
 * ignore file; the rest, split at newlines, are paths to match against
 * it, and also (pattern, name) pairs for go_path_match directly. Checks
 * what must hold whatever the input: an answer in {-1, 0, 1}; a glob
 * with no wildcard matches its own text only; a path excluded is
 * excluded with its children too, unless an exception ("!") exists;
 * clean is idempotent; a parse error names the file.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../builder/ignore.h"
#include "../../lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_clean(const char *s)
{
	char *a = go_path_clean(s), *b = go_path_clean(a);

	if (strcmp(a, b) != 0 || !*a)
		abort();
	free(a);
	free(b);
}

static void check_paths(const struct ignore *ig, bool exceptions, char *paths)
{
	char *save = NULL, *prev = NULL;

	for (char *p = strtok_r(paths, "\n", &save); p; p = strtok_r(NULL, "\n", &save)) {
		char *clean = go_path_clean(p), *child;
		bool ex = ignore_excludes(ig, clean);

		(void)ignore_may_include_below(ig, clean);
		check_clean(p);
		/* without exceptions, an excluded directory's children are too */
		if (ex && !exceptions && strcmp(clean, ".") != 0 && clean[0] != '/') {
			child = xasprintf("%s/x", clean);
			if (!ignore_excludes(ig, child))
				abort();
			free(child);
		}
		if (prev) {
			int m = go_path_match(prev, p);
			if (m < -1 || m > 1)
				abort();
		}
		free(clean);
		prev = p;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t flen = nul ? (size_t)(nul - data) : size;
	char *file = xstrndup((const char *)data, flen);
	char *rest = nul ? xstrndup((const char *)nul + 1, size - flen - 1) : xstrdup("");
	struct ignore *ig = NULL;
	struct berth_error err = { 0 };

	if (ignore_parse("fuzz", file, flen, &ig, &err) == 0) {
		/* whether any line is an exception: then anything goes */
		bool exceptions = strchr(file, '!') != NULL;
		check_paths(ig, exceptions, rest);
		ignore_free(ig);
	} else if (!err.msg || strncmp(err.msg, "fuzz:", 5) != 0) {
		abort();
	}
	berth_error_clear(&err);
	/* the file's first line as a glob against the rest */
	{
		char *nl = strchr(file, '\n');
		int m;
		if (nl)
			*nl = '\0';
		m = go_path_match(file, rest);
		if (m < -1 || m > 1)
			abort();
		/* without a wildcard or an escape, a pattern is the name itself */
		if (!strpbrk(file, "*?[\\") && m != (strcmp(file, rest) == 0))
			abort();
	}
	free(file);
	free(rest);
	return 0;
}
