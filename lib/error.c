// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * error.c: filling and extending struct berth_error. Printing errors is
 * the CLI's job (cli/main.c), never done here; what is printed here is a
 * caller's bug, just before a test build stops on it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "xalloc.h"

/* A second set on a filled error: the caller forgot that a callee had
 * filled it (see docs/error-handling.md). A test build stops here so the
 * suite finds the caller; a release build keeps the first cause, the one
 * nearest to what failed. */
__attribute__((format(printf, 4, 0))) static void
set_twice(const char *file, int line, const struct berth_error *err, const char *fmt, va_list ap)
{
#ifndef NDEBUG
	char second[256];

	vsnprintf(second, sizeof(second), fmt, ap);
	fprintf(stderr,
		"berth: internal error: %s:%d: berth_error_set on an error already set "
		"(first \"%s\", then \"%s\")\n",
		file, line, err->msg, second);
	abort();
#else
	(void)file;
	(void)line;
	(void)err;
	(void)fmt;
	(void)ap;
#endif
}

int berth_error_set_at(const char *file, int line, struct berth_error *err, int errnum,
		       const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	if (err->msg) {
		set_twice(file, line, err, fmt, ap);
		va_end(ap);
		return -1;
	}
	if (vasprintf(&err->msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	err->errnum = errnum;
	return -1;
}

int berth_error_wrap(struct berth_error *err, const char *fmt, ...)
{
	va_list ap;
	char *prefix, *joined;

	if (!err || !err->msg)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&prefix, fmt, ap) < 0)
		abort();
	va_end(ap);
	joined = xasprintf("%s: %s", prefix, err->msg);
	free(prefix);
	free(err->msg);
	err->msg = joined;
	return -1;
}

void berth_error_clear(struct berth_error *err)
{
	free(err->msg);
	err->msg = NULL;
	err->errnum = 0;
}

char *berth_error_text(const struct berth_error *err)
{
	if (!err->msg)
		return xstrdup("unknown error");
	if (err->errnum)
		return xasprintf("%s: %s", err->msg, strerror(err->errnum));
	return xstrdup(err->msg);
}
