// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * error.c: filling and extending struct berth_error. Printing is the CLI's
 * job (cli/main.c), never done here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "xalloc.h"

int berth_error_set(struct berth_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	/* A second set would leak the first message; keep the first cause. */
	if (err->msg)
		return -1;
	va_start(ap, fmt);
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
