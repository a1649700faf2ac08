/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * error.h: berth's error convention. Engine functions return <0 on failure
 * and fill the struct berth_error passed last; only main() and the CLI
 * print it and choose the exit code. See docs/error-handling.md.
 */
#ifndef BERTH_ERROR_H
#define BERTH_ERROR_H

struct berth_error {
	int errnum; /* errno value, or 0 when the failure is not a syscall's */
	char *msg;  /* "what failed: on which object: why" */
};

/* Set err (which must be clear) and return -1. errnum may be 0. */
int berth_error_set(struct berth_error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefix the message in err with more context: "CONTEXT: old". Returns -1. */
int berth_error_wrap(struct berth_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void berth_error_clear(struct berth_error *err);
/* The full one-line text: msg, plus ": strerror(errnum)" when errnum. */
char *berth_error_text(const struct berth_error *err);

#endif
