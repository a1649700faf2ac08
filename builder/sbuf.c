// SPDX-License-Identifier: GPL-2.0-or-later
/* sbuf.c: a growing string (sbuf.h). */
#include <string.h>

#include "../lib/util.h"
#include "sbuf.h"

void sb_grow(struct sbuf *b, size_t more)
{
	size_t cap;

	if (b->len + more + 1 <= b->cap)
		return;
	cap = b->cap ? b->cap : 32;
	while (cap < b->len + more + 1)
		cap *= 2;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

void sb_addn(struct sbuf *b, const char *s, size_t n)
{
	sb_grow(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void sb_addc(struct sbuf *b, char c)
{
	sb_addn(b, &c, 1);
}

char *sb_take(struct sbuf *b)
{
	char *r = b->p ? b->p : xstrdup("");
	*b = (struct sbuf){ 0 };
	return r;
}
