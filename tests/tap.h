/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tap.h: a tiny Test Anything Protocol emitter for berth's C unit tests.
 * ok() records one result; tap_done() prints the plan and the exit code.
 */
#ifndef BERTH_TAP_H
#define BERTH_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3), unused)) static int ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

#define is_str(a, b, name)                                                                         \
	do {                                                                                       \
		const char *a_ = (a), *b_ = (b);                                                   \
		if (!ok(a_ && b_ && strcmp(a_, b_) == 0, "%s", name))                              \
			printf("#   got \"%s\"\n#   want \"%s\"\n", a_ ? a_ : "(null)",            \
			       b_ ? b_ : "(null)");                                                \
	} while (0)

#define is_int(a, b, name)                                                                         \
	do {                                                                                       \
		long long a_ = (long long)(a), b_ = (long long)(b);                                \
		if (!ok(a_ == b_, "%s", name))                                                     \
			printf("#   got %lld\n#   want %lld\n", a_, b_);                           \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
