/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sbuf.h: a growing string (sbuf.c), for the parser and the substitution,
 * which build their words a character at a time.
 */
#ifndef BERTH_SBUF_H
#define BERTH_SBUF_H

#include <stddef.h>

struct sbuf {
	char *p; /* NUL-terminated once anything was added */
	size_t len, cap;
};

/* Room for more bytes (and the NUL), growing by doubling: a word built a
 * character at a time costs its length, not its square. */
void sb_grow(struct sbuf *b, size_t more);
void sb_addn(struct sbuf *b, const char *s, size_t n);
void sb_addc(struct sbuf *b, char c);
/* The string (to free; "" when nothing was added); b is empty again. */
char *sb_take(struct sbuf *b);

#endif
