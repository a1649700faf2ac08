// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ignore.c: .dockerignore with docker's semantics, and the two pieces of
 * Go's path package they rest on (filepath.Match and filepath.Clean,
 * with '/' as the separator). What is walked and copied is context.c's
 * and copy.c's; this file only answers "is this path excluded".
 *
 * Docker reads the file line by line (a first-line BOM dropped, "\r\n"
 * ends a line too): a line starting with "#" is a comment (before any
 * trimming: "  # x" is a pattern), surrounding white space is trimmed,
 * blank lines are skipped, "!" makes an exception, each pattern is
 * cleaned and a leading "/" dropped. A pattern is checked with
 * filepath.Match's syntax; docker then matches it in one of four ways,
 * and so does this file, because they differ on edge cases users do
 * write:
 *   - no wildcard at all: the path equals the pattern;
 *   - plain text then a final "**" ("foo**", or "foo/" and "**"): the path starts
 *     with that text;
 *   - "**" then plain text ("**.go", "**" + "/foo"): the path ends with
 *     the text (or is the text after "**" + "/");
 *   - else the pattern as an anchored regular expression: "*" any run of
 *     non-'/', "?" one non-'/', "**" + "/" any number of directories
 *     (zero too), a final "**" anything, [class] one character, "\x" x,
 *     and a bare "^" the start of the path (as Go's regexp reads it).
 * That last form is run here as a small NFA (linear in the path), never
 * by backtracking, so no pattern can make a match slow. One deliberate
 * difference: docker hands "\d" (and "\w", "\s"...) to Go's regexp as a
 * character class; berth reads every "\x" as the character x, as the
 * documented filepath.Match syntax says.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"
#include "ignore.h"

/* bufio.Scanner's limit on a line, which docker's reader uses */
#define IGNORE_MAX_LINE (64 * 1024)
#define RUNE_ERROR 0xFFFD

/* ---- UTF-8, as Go decodes it ---------------------------------------- */

/* The rune at s[0..n) (n > 0) and its width: an invalid or truncated
 * sequence is RUNE_ERROR of width 1, as utf8.DecodeRuneInString. */
static uint32_t decode_rune(const char *s, size_t n, size_t *width)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t r, min;
	size_t w;

	*width = 1;
	if (u[0] < 0x80)
		return u[0];
	if (u[0] >= 0xC2 && u[0] <= 0xDF)
		w = 2, r = u[0] & 0x1F, min = 0x80;
	else if (u[0] >= 0xE0 && u[0] <= 0xEF)
		w = 3, r = u[0] & 0x0F, min = 0x800;
	else if (u[0] >= 0xF0 && u[0] <= 0xF4)
		w = 4, r = u[0] & 0x07, min = 0x10000;
	else
		return RUNE_ERROR;
	if (n < w)
		return RUNE_ERROR;
	for (size_t i = 1; i < w; i++) {
		if ((u[i] & 0xC0) != 0x80)
			return RUNE_ERROR;
		r = (r << 6) | (u[i] & 0x3F);
	}
	if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
		return RUNE_ERROR;
	*width = w;
	return r;
}

/* ---- filepath.Match ------------------------------------------------- */

/* A view of a string. */
struct span {
	const char *p;
	size_t n;
};

static void span_skip(struct span *s, size_t k)
{
	s->p += k;
	s->n -= k;
}

/* The pattern's next chunk: its leading stars, then up to the next star
 * outside a class (an escaped character stays with its backslash). */
static void scan_chunk(struct span *pat, bool *star, struct span *chunk)
{
	bool inrange = false;
	size_t i;

	*star = false;
	while (pat->n > 0 && pat->p[0] == '*') {
		span_skip(pat, 1);
		*star = true;
	}
	for (i = 0; i < pat->n; i++) {
		char c = pat->p[i];
		if (c == '\\') {
			if (i + 1 < pat->n)
				i++;
		} else if (c == '[') {
			inrange = true;
		} else if (c == ']') {
			inrange = false;
		} else if (c == '*' && !inrange) {
			break;
		}
	}
	chunk->p = pat->p;
	chunk->n = i;
	span_skip(pat, i);
}

/* One character of a class (escaped or not): -1 when malformed: the
 * class ends there, or starts a range with '-' or ']', or the byte is
 * not UTF-8. */
static int get_esc(struct span *chunk, uint32_t *r)
{
	size_t w;

	if (chunk->n == 0 || chunk->p[0] == '-' || chunk->p[0] == ']')
		return -1;
	if (chunk->p[0] == '\\') {
		span_skip(chunk, 1);
		if (chunk->n == 0)
			return -1;
	}
	*r = decode_rune(chunk->p, chunk->n, &w);
	if (*r == RUNE_ERROR && w == 1)
		return -1;
	span_skip(chunk, w);
	return chunk->n == 0 ? -1 : 0;
}

/* A class from just after its '[' to just after its ']': whether rune r
 * is in it; -1 when malformed. */
static int match_class(struct span *chunk, uint32_t r)
{
	bool negated = false, match = false;
	size_t nrange = 0;

	if (chunk->n > 0 && chunk->p[0] == '^') {
		negated = true;
		span_skip(chunk, 1);
	}
	for (;;) {
		uint32_t lo, hi;
		if (chunk->n > 0 && chunk->p[0] == ']' && nrange > 0) {
			span_skip(chunk, 1);
			break;
		}
		if (get_esc(chunk, &lo) < 0)
			return -1;
		hi = lo;
		if (chunk->p[0] == '-') {
			span_skip(chunk, 1);
			if (get_esc(chunk, &hi) < 0)
				return -1;
		}
		if (lo <= r && r <= hi)
			match = true;
		nrange++;
	}
	return match != negated;
}

/* The chunk (no star in it) against the start of s: 1 and the rest in
 * *rest when it matches, 0 when not, -1 when the chunk is malformed (the
 * whole chunk is checked even once the match has failed). */
static int match_chunk(struct span chunk, struct span s, struct span *rest)
{
	bool failed = false;

	while (chunk.n > 0) {
		uint32_t r = 0;
		size_t w;
		int m;

		if (!failed && s.n == 0)
			failed = true;
		switch (chunk.p[0]) {
		case '[':
			if (!failed) {
				r = decode_rune(s.p, s.n, &w);
				span_skip(&s, w);
			}
			span_skip(&chunk, 1);
			if ((m = match_class(&chunk, r)) < 0)
				return -1;
			if (!m)
				failed = true;
			break;
		case '?':
			if (!failed) {
				if (s.p[0] == '/')
					failed = true;
				decode_rune(s.p, s.n, &w);
				span_skip(&s, w);
			}
			span_skip(&chunk, 1);
			break;
		case '\\':
			span_skip(&chunk, 1);
			if (chunk.n == 0)
				return -1;
			/* fall through */
		default:
			if (!failed) {
				if (chunk.p[0] != s.p[0])
					failed = true;
				span_skip(&s, 1);
			}
			span_skip(&chunk, 1);
		}
	}
	if (failed)
		return 0;
	*rest = s;
	return 1;
}

/* What is left of the pattern after a failed match, checked for syntax
 * as Go does before it answers "no match". */
static int check_rest(struct span pat)
{
	while (pat.n > 0) {
		struct span chunk, rest;
		bool star;
		scan_chunk(&pat, &star, &chunk);
		if (match_chunk(chunk, (struct span){ "", 0 }, &rest) < 0)
			return -1;
	}
	return 0;
}

/* A star chunk tried after skipping 1, 2... characters of name (never a
 * '/'): 1 and name advanced on a match, 0 none, -1 malformed. */
static int match_after_star(struct span chunk, bool last, struct span *name)
{
	for (size_t i = 0; i < name->n && name->p[i] != '/'; i++) {
		struct span t;
		int m = match_chunk(chunk, (struct span){ name->p + i + 1, name->n - i - 1 }, &t);
		if (m < 0)
			return -1;
		/* the last chunk must use up the name */
		if (m > 0 && !(last && t.n > 0)) {
			*name = t;
			return 1;
		}
	}
	return 0;
}

int go_path_match(const char *pattern, const char *name)
{
	struct span pat = { pattern, strlen(pattern) }, s = { name, strlen(name) };

	while (pat.n > 0) {
		struct span chunk, t;
		bool star;
		int m;

		scan_chunk(&pat, &star, &chunk);
		/* a trailing star matches the rest unless it holds a '/' */
		if (star && chunk.n == 0)
			return memchr(s.p, '/', s.n) ? 0 : 1;
		m = match_chunk(chunk, s, &t);
		if (m > 0 && (t.n == 0 || pat.n > 0)) {
			s = t;
			continue;
		}
		if (m < 0)
			return -1;
		if (star) {
			m = match_after_star(chunk, pat.n == 0, &s);
			if (m < 0)
				return -1;
			if (m > 0)
				continue;
		}
		return check_rest(pat) < 0 ? -1 : 0;
	}
	return s.n == 0;
}

/* ---- filepath.Clean ------------------------------------------------- */

char *go_path_clean(const char *path)
{
	size_t n = strlen(path), r = 0, w = 0, dotdot = 0;
	bool rooted = n > 0 && path[0] == '/';
	char *out = xmalloc(n + 2);

	if (n == 0) {
		strcpy(out, ".");
		return out;
	}
	if (rooted) {
		out[w++] = '/';
		r = dotdot = 1;
	}
	while (r < n) {
		if (path[r] == '/') {
			r++;
		} else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
			r++;
		} else if (path[r] == '.' && path[r + 1] == '.' &&
			   (r + 2 == n || path[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				/* back to the previous separator */
				w--;
				while (w > dotdot && out[w] != '/')
					w--;
			} else if (!rooted) {
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				out[w++] = '/';
			for (; r < n && path[r] != '/'; r++)
				out[w++] = path[r];
		}
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	return out;
}

/* ---- one pattern, compiled as docker compiles it --------------------- */

enum pat_kind {
	PAT_EXACT,  /* the path is the pattern */
	PAT_PREFIX, /* plain text then a final "**" */
	PAT_SUFFIX, /* "**" then plain text */
	PAT_REGEX,
};

enum tok_kind {
	TOK_LIT,       /* one rune */
	TOK_ANY,       /* "?": one rune but '/' */
	TOK_CLASS,     /* "[...]": one rune in the class */
	TOK_STAR,      /* "*": any run of runes but '/' */
	TOK_DSTAR_MID, /* "**" + "/" before more: any directories, zero too */
	TOK_DSTAR_END, /* a final "**": anything (but a newline, as Go's ".") */
	TOK_BOL,       /* a bare "^": Go's regexp reads it as the start of text */
};

struct tok {
	enum tok_kind kind;
	uint32_t rune; /* TOK_LIT */
	size_t class;  /* TOK_CLASS: offset in text just after the '[' */
};

struct pattern {
	char *text; /* cleaned, without the "!" */
	size_t len;
	bool exception;
	enum pat_kind kind;
	struct tok *toks;
	size_t n_toks;
	/* PAT_REGEX: what every path it matches starts and ends with (its
	 * leading and trailing literals), to turn most paths away at once */
	char *head, *tail;
	size_t head_len, tail_len;
};

struct ignore {
	struct pattern *pats;
	size_t n;
	bool has_exceptions;
	bool wild_exceptions; /* an exception holds a wildcard (walk everything) */
};

static void push_tok(struct pattern *p, enum tok_kind kind, uint32_t rune, size_t class)
{
	p->toks[p->n_toks++] = (struct tok){ .kind = kind, .rune = rune, .class = class };
}

/* "**" at text[*i] (both stars seen): the token and the kind it makes. */
static void compile_dstar(struct pattern *p, size_t *i, size_t iter, enum pat_kind *kind)
{
	*i += 2;
	if (*i < p->len && p->text[*i] == '/')
		(*i)++;
	if (*i == p->len) {
		if (*kind == PAT_EXACT) {
			*kind = PAT_PREFIX;
		} else {
			push_tok(p, TOK_DSTAR_END, 0, 0);
			*kind = PAT_REGEX;
		}
	} else {
		push_tok(p, TOK_DSTAR_MID, 0, 0);
		*kind = PAT_REGEX;
	}
	if (iter == 0)
		*kind = PAT_SUFFIX;
}

/* A class at text[*i] ('['), already checked by go_path_match: one
 * token, *i past its ']'. */
static void compile_class(struct pattern *p, size_t *i)
{
	struct span c = { p->text + *i + 1, p->len - *i - 1 };
	size_t start = *i + 1;

	match_class(&c, 0);
	push_tok(p, TOK_CLASS, 0, start);
	*i = (size_t)(c.p - p->text);
}

/* The UTF-8 bytes of r into out (4 at most): their count. */
static size_t encode_rune(uint32_t r, char *out)
{
	if (r < 0x80) {
		out[0] = (char)r;
		return 1;
	}
	if (r < 0x800) {
		out[0] = (char)(0xC0 | (r >> 6));
		out[1] = (char)(0x80 | (r & 0x3F));
		return 2;
	}
	if (r < 0x10000) {
		out[0] = (char)(0xE0 | (r >> 12));
		out[1] = (char)(0x80 | ((r >> 6) & 0x3F));
		out[2] = (char)(0x80 | (r & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (r >> 18));
	out[1] = (char)(0x80 | ((r >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((r >> 6) & 0x3F));
	out[3] = (char)(0x80 | (r & 0x3F));
	return 4;
}

/* A literal whose bytes a path must hold: not the replacement rune,
 * which also stands for any invalid byte of the path. */
static bool plain_lit(const struct tok *t)
{
	return t->kind == TOK_LIT && t->rune != RUNE_ERROR;
}

/* p->head and p->tail: the bytes of its leading literals (after a "^"
 * at its very start, which holds there anyway) and of its trailing
 * ones. */
static void compile_ends(struct pattern *p)
{
	size_t i = 0, j = p->n_toks;

	p->head = xmalloc(4 * p->n_toks + 1);
	p->tail = xmalloc(4 * p->n_toks + 1);
	while (i < p->n_toks && p->toks[i].kind == TOK_BOL)
		i++;
	for (; i < p->n_toks && plain_lit(&p->toks[i]); i++)
		p->head_len += encode_rune(p->toks[i].rune, p->head + p->head_len);
	while (j > i && plain_lit(&p->toks[j - 1]))
		j--;
	for (size_t k = j; k < p->n_toks; k++)
		p->tail_len += encode_rune(p->toks[k].rune, p->tail + p->tail_len);
}

static void compile(struct pattern *p)
{
	enum pat_kind kind = PAT_EXACT;
	size_t i = 0, w;

	p->toks = xmalloc((p->len + 1) * sizeof(*p->toks));
	for (size_t iter = 0; i < p->len; iter++) {
		uint32_t c = decode_rune(p->text + i, p->len - i, &w);

		if (c == '*' && i + 1 < p->len && p->text[i + 1] == '*') {
			compile_dstar(p, &i, iter, &kind);
			continue;
		}
		if (c == '[') {
			compile_class(p, &i);
			kind = PAT_REGEX;
			continue;
		}
		i += w;
		if (c == '*' || c == '?') {
			push_tok(p, c == '*' ? TOK_STAR : TOK_ANY, 0, 0);
			kind = PAT_REGEX;
		} else if (c == '\\' && i < p->len) {
			push_tok(p, TOK_LIT, decode_rune(p->text + i, p->len - i, &w), 0);
			i += w;
			kind = PAT_REGEX;
		} else if (c == ']') {
			push_tok(p, TOK_LIT, c, 0);
			kind = PAT_REGEX;
		} else if (c == '^') {
			push_tok(p, TOK_BOL, 0, 0);
		} else {
			/* docker quotes Go's regexp operators (".+()|{}$"):
			 * literals, as everything else left */
			push_tok(p, TOK_LIT, c, 0);
		}
	}
	p->kind = kind;
	if (kind == PAT_REGEX)
		compile_ends(p);
}

/* ---- the NFA of a PAT_REGEX pattern ---------------------------------- */

/* States: 2*i "at token i" (2*n_toks: matched), 2*i+1 "inside the
 * directories of a TOK_DSTAR_MID i". */
struct nfa {
	const struct pattern *p;
	unsigned char *set;
	size_t *stack;
};

static void nfa_add(struct nfa *m, unsigned char *set, size_t s, bool at_start)
{
	size_t top = 0;

	m->stack[top++] = s;
	while (top > 0) {
		size_t cur = m->stack[--top], i = cur / 2;
		if (set[cur])
			continue;
		set[cur] = 1;
		if (cur % 2 || i == m->p->n_toks)
			continue;
		switch (m->p->toks[i].kind) {
		case TOK_DSTAR_MID:
			m->stack[top++] = cur + 1;
			/* fall through */
		case TOK_STAR:
		case TOK_DSTAR_END: m->stack[top++] = 2 * (i + 1); break;
		case TOK_BOL:
			if (at_start)
				m->stack[top++] = 2 * (i + 1);
			break;
		default: break;
		}
	}
}

static bool class_has(const struct pattern *p, size_t off, uint32_t r)
{
	struct span c = { p->text + off, p->len - off };

	return match_class(&c, r) > 0;
}

/* From state s on rune c, into next. */
static void nfa_step(struct nfa *m, unsigned char *next, size_t s, uint32_t c)
{
	const struct tok *t;
	size_t i = s / 2;

	if (s % 2) {
		if (c != '\n')
			nfa_add(m, next, s, false);
		if (c == '/')
			nfa_add(m, next, 2 * (i + 1), false);
		return;
	}
	if (i == m->p->n_toks)
		return;
	t = &m->p->toks[i];
	switch (t->kind) {
	case TOK_LIT:
		if (c == t->rune)
			nfa_add(m, next, s + 2, false);
		break;
	case TOK_ANY:
		if (c != '/')
			nfa_add(m, next, s + 2, false);
		break;
	case TOK_CLASS:
		if (class_has(m->p, t->class, c))
			nfa_add(m, next, s + 2, false);
		break;
	case TOK_STAR:
		if (c != '/')
			nfa_add(m, next, s, false);
		break;
	case TOK_DSTAR_END:
		if (c != '\n')
			nfa_add(m, next, s, false);
		break;
	default: break;
	}
}

/* The buffers of a match: on the stack for the patterns people write,
 * allocated for longer ones (a match runs for every path of a COPY). */
#define NFA_SMALL 64

static bool regex_run(const struct pattern *p, const char *path, size_t len, unsigned char *a,
		      size_t *stack)
{
	size_t n_states = 2 * (p->n_toks + 1), w;
	unsigned char *cur = a, *next = a + n_states;
	struct nfa m = { .p = p, .stack = stack };
	bool any = true;

	memset(a, 0, 2 * n_states);
	nfa_add(&m, cur, 0, true);
	for (size_t i = 0; i < len && any; i += w) {
		uint32_t c = decode_rune(path + i, len - i, &w);
		unsigned char *tmp;

		memset(next, 0, n_states);
		for (size_t s = 0; s < n_states; s++)
			if (cur[s])
				nfa_step(&m, next, s, c);
		tmp = cur, cur = next, next = tmp;
		any = memchr(cur, 1, n_states) != NULL;
	}
	return any && cur[2 * p->n_toks];
}

static bool regex_match(const struct pattern *p, const char *path, size_t len)
{
	size_t n_states = 2 * (p->n_toks + 1);
	unsigned char small[2 * NFA_SMALL];
	size_t small_stack[4 * NFA_SMALL];
	_cleanup_free_ unsigned char *a = NULL;
	_cleanup_free_ size_t *stack = NULL;

	if (n_states <= NFA_SMALL)
		return regex_run(p, path, len, small, small_stack);
	a = xmalloc(2 * n_states);
	stack = xmalloc(4 * n_states * sizeof(*stack));
	return regex_run(p, path, len, a, stack);
}

static bool pattern_match(const struct pattern *p, const char *path, size_t len)
{
	const char *suffix;
	size_t sn;

	switch (p->kind) {
	case PAT_EXACT: return len == p->len && memcmp(path, p->text, len) == 0;
	case PAT_PREFIX: return len >= p->len - 2 && memcmp(path, p->text, p->len - 2) == 0;
	case PAT_SUFFIX:
		suffix = p->text + 2;
		sn = p->len - 2;
		if (len >= sn && memcmp(path + len - sn, suffix, sn) == 0)
			return true;
		/* "**" + "/foo" matches "foo" itself */
		return sn > 0 && suffix[0] == '/' && len == sn - 1 &&
		       memcmp(path, suffix + 1, len) == 0;
	default:
		if (len < p->head_len + p->tail_len || memcmp(path, p->head, p->head_len) != 0 ||
		    memcmp(path + len - p->tail_len, p->tail, p->tail_len) != 0)
			return false;
		return regex_match(p, path, len);
	}
}

/* The pattern matches rel or one of its parent directories. */
static bool pattern_match_or_parent(const struct pattern *p, const char *rel)
{
	size_t len = strlen(rel);

	if (pattern_match(p, rel, len))
		return true;
	for (size_t i = 0; i < len; i++)
		if (rel[i] == '/' && pattern_match(p, rel, i))
			return true;
	return false;
}

/* ---- the file -------------------------------------------------------- */

/* Go's unicode.IsSpace, for the rune at s of width w. */
static bool is_space(uint32_t r)
{
	return r == ' ' || (r >= '\t' && r <= '\r') || r == 0x85 || r == 0xA0 || r == 0x1680 ||
	       (r >= 0x2000 && r <= 0x200A) || r == 0x2028 || r == 0x2029 || r == 0x202F ||
	       r == 0x205F || r == 0x3000;
}

/* strings.TrimSpace on s[0..*n): the start, *n the length left. */
static const char *trim_space(const char *s, size_t *n)
{
	size_t w;

	while (*n > 0 && is_space(decode_rune(s, *n, &w))) {
		s += w;
		*n -= w;
	}
	while (*n > 0) {
		size_t k = 0;
		/* the last rune: back over continuation bytes to its start */
		for (size_t back = 1; back <= 4 && back <= *n; back++)
			if (((unsigned char)s[*n - back] & 0xC0) != 0x80) {
				k = back;
				break;
			}
		if (k == 0)
			break;
		uint32_t r = decode_rune(s + *n - k, k, &w);
		if (w != k || !is_space(r))
			break;
		*n -= k;
	}
	return s;
}

static void pattern_free(struct pattern *p)
{
	free(p->text);
	free(p->toks);
	free(p->head);
	free(p->tail);
}

void ignore_free(struct ignore *ig)
{
	if (!ig)
		return;
	for (size_t i = 0; i < ig->n; i++)
		pattern_free(&ig->pats[i]);
	free(ig->pats);
	free(ig);
}

/* One line's pattern, as docker's reader then its matcher make it: the
 * text into *out (NULL for a line that holds none), or -1 with a reason
 * in *why. */
static int line_pattern(const char *line, size_t n, char **out, bool *exception, const char **why)
{
	_cleanup_free_ char *raw = NULL, *full = NULL, *again = NULL;
	const char *s;
	bool invert;
	size_t fn;

	*out = NULL;
	if (n > 0 && line[0] == '#')
		return 0;
	s = trim_space(line, &n);
	if (n == 0)
		return 0;
	if (memchr(s, '\0', n))
		return (*why = "a NUL byte in it"), -1;
	/* the reader: "!" taken off, the rest trimmed, cleaned, a leading
	 * "/" dropped, "!" put back */
	invert = s[0] == '!';
	if (invert) {
		s++, n--;
		s = trim_space(s, &n);
	}
	raw = xstrndup(s, n);
	if (n > 0) {
		char *c = go_path_clean(raw);
		free(raw);
		raw = c;
		if (strlen(raw) > 1 && raw[0] == '/')
			memmove(raw, raw + 1, strlen(raw));
	}
	full = xasprintf("%s%s", invert ? "!" : "", raw);
	/* the matcher: trimmed and cleaned again ("a /" is "a", "!/" is "!") */
	fn = strlen(full);
	s = trim_space(full, &fn);
	if (fn == 0)
		return 0;
	raw[0] = '\0';
	free(raw);
	raw = xstrndup(s, fn);
	again = go_path_clean(raw);
	*exception = again[0] == '!';
	if (*exception && !again[1])
		return (*why = "an exception (\"!\") with no pattern"), -1;
	if (go_path_match(again + (*exception ? 1 : 0), ".") < 0)
		return (*why = "bad pattern"), -1;
	if (*exception)
		memmove(again, again + 1, strlen(again));
	*out = steal_pointer(&again);
	return 0;
}

static void ignore_add(struct ignore *ig, size_t *cap, char *text, bool exception)
{
	struct pattern *p;

	if (ig->n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		ig->pats = xrealloc(ig->pats, *cap * sizeof(*ig->pats));
	}
	p = &ig->pats[ig->n++];
	*p = (struct pattern){ .text = text, .len = strlen(text), .exception = exception };
	compile(p);
	if (exception) {
		ig->has_exceptions = true;
		if (strpbrk(text, "*[]?^\\"))
			ig->wild_exceptions = true;
	}
}

int ignore_parse(const char *name, const char *text, size_t len, struct ignore **out,
		 struct berth_error *err)
{
	struct ignore *ig = xcalloc(1, sizeof(*ig));
	size_t cap = 0, lineno = 0, pos = 0;

	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos), *why = NULL;
		size_t n = nl ? (size_t)(nl - text - pos) : len - pos;
		char *pat;
		bool exception = false;

		lineno++;
		if (n > IGNORE_MAX_LINE) {
			ignore_free(ig);
			return berth_error_set(err, 0, "%s:%zu: line longer than %d bytes", name,
					       lineno, IGNORE_MAX_LINE);
		}
		if (line_pattern(text + pos, n > 0 && text[pos + n - 1] == '\r' ? n - 1 : n, &pat,
				 &exception, &why) < 0) {
			int e = berth_error_set(err, 0, "%s:%zu: %s: \"%.*s\"", name, lineno, why,
						(int)(n > 200 ? 200 : n), text + pos);
			ignore_free(ig);
			return e;
		}
		if (pat)
			ignore_add(ig, &cap, pat, exception);
		pos += n + (nl ? 1 : 0);
	}
	*out = ig;
	return 0;
}

bool ignore_excludes(const struct ignore *ig, const char *rel)
{
	bool excluded = false;

	/* docker never lets a pattern exclude the context's root */
	if (!*rel || strcmp(rel, ".") == 0)
		return false;
	for (size_t i = 0; i < ig->n; i++) {
		const struct pattern *p = &ig->pats[i];
		/* only a pattern that would change the answer is tried */
		if (p->exception != excluded)
			continue;
		if (pattern_match_or_parent(p, rel))
			excluded = !p->exception;
	}
	return excluded;
}

bool ignore_may_include_below(const struct ignore *ig, const char *rel)
{
	size_t n = strlen(rel);

	if (!ig->has_exceptions)
		return false;
	/* docker walks every excluded directory once an exception has a
	 * wildcard: what it brings back cannot be told from its text */
	if (ig->wild_exceptions)
		return true;
	for (size_t i = 0; i < ig->n; i++) {
		const struct pattern *p = &ig->pats[i];
		/* (docker: PATTERN + "/" starts with REL + "/") */
		if (p->exception && p->len >= n && memcmp(p->text, rel, n) == 0 &&
		    (p->len == n || p->text[n] == '/'))
			return true;
	}
	return false;
}
