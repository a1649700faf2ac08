/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xalloc.h: allocators that abort on failure (xalloc.c). util.h includes
 * it; error.c uses it alone, so the error convention depends on nothing
 * else of berth.
 */
#ifndef BERTH_XALLOC_H
#define BERTH_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
