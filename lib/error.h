/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * error.h: berth's error convention. Engine functions return <0 on failure
 * (NULL for constructors) and fill the struct berth_error passed last;
 * only main() and the CLI print it and choose the exit code. See
 * docs/error-handling.md.
 */
#ifndef BERTH_ERROR_H
#define BERTH_ERROR_H

struct berth_error {
	int errnum; /* errno value, or 0 when the failure is not a syscall's */
	char *msg;  /* "what failed: on which object: why" */
};

/* Fill err, which must be clear, and return -1. errnum may be 0. err may
 * be NULL (the caller wants no text). Filling an error that is already
 * filled is a bug of the caller: with assertions on (NDEBUG unset,
 * meson's default and every test build) berth aborts naming the second
 * call's file and line and both messages; with NDEBUG (-Db_ndebug=true)
 * the first cause is kept and the second dropped. */
#define berth_error_set(err, errnum, ...)                                                          \
	berth_error_set_at(__FILE__, __LINE__, (err), (errnum), __VA_ARGS__)
int berth_error_set_at(const char *file, int line, struct berth_error *err, int errnum,
		       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Prefix the message in err with more context: "CONTEXT: old". Returns -1.
 * On a clear err (or NULL) it does nothing. */
int berth_error_wrap(struct berth_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Free the message and make err clear again (after a failure the caller
 * handled: a fallback, a warning). */
void berth_error_clear(struct berth_error *err);
/* The full one-line text: msg, plus ": strerror(errnum)" when errnum. */
char *berth_error_text(const struct berth_error *err);

#endif
