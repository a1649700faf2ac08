// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dockerfile.c: a Dockerfile read as docker's parser (buildkit's
 * frontend/dockerfile/parser and instructions) reads it: the parser
 * directives at the top, comments, line continuations, heredocs, the
 * per-instruction flags and arguments, then the checks docker makes on
 * each instruction and the split into meta ARGs and stages. Words stay
 * raw: substitution is expand.c's, applied by the executor when it
 * reaches them. Every error names the file and the instruction's first
 * line. The input is bounded (DF_MAX_BYTES, DF_MAX_INSTRUCTIONS) and
 * every pass over it is linear, so a hostile file costs little.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dockerfile.h"
#include "../lib/util.h"

/* JSON deeper than this is not an exec form (docker's decoder also has
 * a bound); it keeps the recursion of json_value shallow. */
#define DF_JSON_MAX_DEPTH 256

struct sbuf {
	char *p;
	size_t len, cap;
};

static void sb_addn(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_addc(struct sbuf *b, char c)
{
	sb_addn(b, &c, 1);
}

static char *sb_take(struct sbuf *b)
{
	char *r = b->p ? b->p : xstrdup("");
	*b = (struct sbuf){ 0 };
	return r;
}

/* A growing NULL-terminated vector of strings. */
struct vec {
	char **v;
	size_t n, cap;
};

static void vec_take(struct vec *v, char *s)
{
	if (v->n + 2 > v->cap) {
		v->cap = v->cap ? v->cap * 2 : 4;
		v->v = xrealloc(v->v, v->cap * sizeof(*v->v));
	}
	v->v[v->n++] = s;
	v->v[v->n] = NULL;
}

static void vec_free(struct vec *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	*v = (struct vec){ 0 };
}

/* ---- kinds and flags ---- */

static const char *const kind_names[] = {
	[DF_FROM] = "FROM",
	[DF_RUN] = "RUN",
	[DF_COPY] = "COPY",
	[DF_ADD] = "ADD",
	[DF_WORKDIR] = "WORKDIR",
	[DF_ENV] = "ENV",
	[DF_ARG] = "ARG",
	[DF_LABEL] = "LABEL",
	[DF_USER] = "USER",
	[DF_EXPOSE] = "EXPOSE",
	[DF_VOLUME] = "VOLUME",
	[DF_CMD] = "CMD",
	[DF_ENTRYPOINT] = "ENTRYPOINT",
	[DF_STOPSIGNAL] = "STOPSIGNAL",
	[DF_SHELL] = "SHELL",
	[DF_HEALTHCHECK] = "HEALTHCHECK",
	[DF_ONBUILD] = "ONBUILD",
	[DF_MAINTAINER] = "MAINTAINER",
};

const char *df_kind_name(enum df_kind k)
{
	if ((size_t)k < ARRAY_SIZE(kind_names) && kind_names[k])
		return kind_names[k];
	return "?";
}

enum flag_type {
	FL_BOOL,    /* --link, --link=true|false */
	FL_STRING,  /* --from=x, once */
	FL_STRINGS, /* --mount=..., repeatable */
};

/* The flags docker's instructions take (buildkit's instructions/parse.go). */
static const struct flag_spec {
	enum df_kind kind;
	const char *name;
	enum flag_type type;
} flag_specs[] = {
	{ DF_FROM, "platform", FL_STRING },
	{ DF_RUN, "mount", FL_STRINGS },
	{ DF_RUN, "network", FL_STRING },
	{ DF_RUN, "security", FL_STRING },
	{ DF_COPY, "from", FL_STRING },
	{ DF_COPY, "chown", FL_STRING },
	{ DF_COPY, "chmod", FL_STRING },
	{ DF_COPY, "link", FL_BOOL },
	{ DF_COPY, "parents", FL_BOOL },
	{ DF_COPY, "exclude", FL_STRINGS },
	{ DF_ADD, "chown", FL_STRING },
	{ DF_ADD, "chmod", FL_STRING },
	{ DF_ADD, "link", FL_BOOL },
	{ DF_ADD, "checksum", FL_STRING },
	{ DF_ADD, "keep-git-dir", FL_BOOL },
	{ DF_HEALTHCHECK, "interval", FL_STRING },
	{ DF_HEALTHCHECK, "timeout", FL_STRING },
	{ DF_HEALTHCHECK, "start-period", FL_STRING },
	{ DF_HEALTHCHECK, "start-interval", FL_STRING },
	{ DF_HEALTHCHECK, "retries", FL_STRING },
};

const struct df_flag *df_flag_get(const struct df_instr *in, const char *name)
{
	const struct df_flag *found = NULL;

	for (size_t i = 0; i < in->n_flags; i++)
		if (strcmp(in->flags[i].name, name) == 0)
			found = &in->flags[i];
	return found;
}

/* ---- errors ---- */

struct parser {
	const char *name;
	const char *text;
	size_t len, pos;
	unsigned line; /* lines consumed so far */
	char escape;
	bool directives_done, seen_escape, seen_syntax, seen_check;
	size_t n_instrs;
	struct dockerfile *df;
	struct berth_error *err;
};

__attribute__((format(printf, 3, 4))) static int perr(struct parser *p, unsigned line,
						      const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	return berth_error_set(p->err, 0, "%s:%u: %s", p->name, line, msg ? msg : "parse error");
}

/* ---- characters ---- */

static bool is_ws(char c);

static void trim_left_n(const char **s, size_t *n)
{
	while (*n && is_ws(**s))
		(*s)++, (*n)--;
}

/* Go's regexp \s and the [\t\v\f\r ] of docker's reWhitespace differ by
 * \v and \n; instructions hold no \n, so one set serves both. */
static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == '\n';
}

static bool is_blank(const char *s, size_t n)
{
	trim_left_n(&s, &n);
	return n == 0;
}

static char *xstrndup_(const char *s, size_t n)
{
	char *r = xmalloc(n + 1);

	memcpy(r, s, n);
	r[n] = '\0';
	return r;
}

static const char *skip_ws(const char *s)
{
	while (*s && is_ws(*s))
		s++;
	return s;
}

static char *strip_dup(const char *s, size_t n)
{
	while (n && is_ws(*s))
		s++, n--;
	while (n && is_ws(s[n - 1]))
		n--;
	return xstrndup_(s, n);
}

/* ---- lines ---- */

/* The next physical line, without its '\n'; *nl says it had one. */
static bool next_line(struct parser *p, const char **s, size_t *n, bool *nl)
{
	const char *start, *end;

	if (p->pos >= p->len)
		return false;
	start = p->text + p->pos;
	end = memchr(start, '\n', p->len - p->pos);
	*s = start;
	if (end) {
		*n = (size_t)(end - start);
		p->pos += *n + 1;
		*nl = true;
	} else {
		*n = p->len - p->pos;
		p->pos = p->len;
		*nl = false;
	}
	p->line++;
	return true;
}

static void trim_cr(const char *s, size_t *n)
{
	while (*n && (s[*n - 1] == '\r' || s[*n - 1] == '\n'))
		(*n)--;
}

static bool is_comment(const char *s, size_t n)
{
	trim_left_n(&s, &n);
	return n && *s == '#';
}

/* docker's continuation rule: the escape as the last character but
 * spaces and tabs, not itself escaped. Strips it when present. */
static bool strip_continuation(const char *s, size_t *n, char escape)
{
	size_t m = *n;

	while (m && (s[m - 1] == ' ' || s[m - 1] == '\t'))
		m--;
	if (!m || s[m - 1] != escape)
		return false;
	if (m >= 2 && s[m - 2] == escape)
		return false;
	*n = m - 1;
	return true;
}

/* ---- parser directives ---- */

static bool re_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int directive_set(struct parser *p, const char *key, size_t kn, const char *val, size_t vn,
			 bool *is_directive)
{
	bool *seen;

	if (kn == 6 && strncasecmp(key, "escape", 6) == 0)
		seen = &p->seen_escape;
	else if (kn == 6 && strncasecmp(key, "syntax", 6) == 0)
		seen = &p->seen_syntax;
	else if (kn == 5 && strncasecmp(key, "check", 5) == 0)
		seen = &p->seen_check;
	else {
		p->directives_done = true;
		return 0;
	}
	if (*seen)
		return perr(p, p->line, "only one %.*s parser directive can be used", (int)kn, key);
	*seen = true;
	*is_directive = true;
	if (seen == &p->seen_escape) {
		if (vn != 1 || (*val != '\\' && *val != '`'))
			return perr(p, p->line,
				    "invalid escape token '%.*s' does not match ` or \\",
				    (int)(vn > 16 ? 16 : vn), val);
		p->escape = *val;
		p->df->escape = *val;
	} else if (seen == &p->seen_syntax) {
		p->df->syntax = xstrndup_(val, vn);
	}
	return 0;
}

/* "# key=value" while no other line came: docker's directive pattern
 * ^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$ on the left-trimmed line. */
static int directive_line(struct parser *p, const char *s, size_t n, bool *is_directive)
{
	size_t i = 1, k0, k1, v0;

	*is_directive = false;
	if (p->directives_done)
		return 0;
	if (!n || s[0] != '#')
		goto done;
	while (i < n && re_space(s[i]))
		i++;
	k0 = i;
	if (i >= n || !is_alpha(s[i]))
		goto done;
	while (i < n && (is_alpha(s[i]) || is_digit(s[i])))
		i++;
	k1 = i;
	while (i < n && re_space(s[i]))
		i++;
	if (i >= n || s[i] != '=')
		goto done;
	i++;
	while (i < n && re_space(s[i]))
		i++;
	v0 = i;
	while (n > v0 && re_space(s[n - 1]))
		n--;
	if (n <= v0)
		goto done;
	return directive_set(p, s + k0, k1 - k0, s + v0, n - v0, is_directive);
done:
	p->directives_done = true;
	return 0;
}

/* ---- JSON exec form ---- */

struct json {
	const char *s;
	size_t pos;
	unsigned depth;
};

static void json_ws(struct json *j)
{
	while (j->s[j->pos] == ' ' || j->s[j->pos] == '\t' || j->s[j->pos] == '\n' ||
	       j->s[j->pos] == '\r')
		j->pos++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool json_hex4(struct json *j, unsigned *u)
{
	*u = 0;
	for (int i = 0; i < 4; i++) {
		int h = hexval(j->s[j->pos]);
		if (h < 0)
			return false;
		*u = *u * 16 + (unsigned)h;
		j->pos++;
	}
	return true;
}

static void utf8_put(struct sbuf *b, unsigned u)
{
	char c[4];

	if (u < 0x80) {
		sb_addc(b, (char)u);
	} else if (u < 0x800) {
		c[0] = (char)(0xc0 | (u >> 6));
		c[1] = (char)(0x80 | (u & 0x3f));
		sb_addn(b, c, 2);
	} else if (u < 0x10000) {
		c[0] = (char)(0xe0 | (u >> 12));
		c[1] = (char)(0x80 | ((u >> 6) & 0x3f));
		c[2] = (char)(0x80 | (u & 0x3f));
		sb_addn(b, c, 3);
	} else {
		c[0] = (char)(0xf0 | (u >> 18));
		c[1] = (char)(0x80 | ((u >> 12) & 0x3f));
		c[2] = (char)(0x80 | ((u >> 6) & 0x3f));
		c[3] = (char)(0x80 | (u & 0x3f));
		sb_addn(b, c, 4);
	}
}

static bool json_escape(struct json *j, struct sbuf *b)
{
	char c = j->s[j->pos++];
	unsigned u, lo;

	switch (c) {
	case '"': sb_addc(b, '"'); return true;
	case '\\': sb_addc(b, '\\'); return true;
	case '/': sb_addc(b, '/'); return true;
	case 'b': sb_addc(b, '\b'); return true;
	case 'f': sb_addc(b, '\f'); return true;
	case 'n': sb_addc(b, '\n'); return true;
	case 'r': sb_addc(b, '\r'); return true;
	case 't': sb_addc(b, '\t'); return true;
	case 'u': break;
	default: return false;
	}
	if (!json_hex4(j, &u))
		return false;
	if (u >= 0xd800 && u < 0xdc00 && j->s[j->pos] == '\\' && j->s[j->pos + 1] == 'u') {
		size_t save = j->pos;
		j->pos += 2;
		if (json_hex4(j, &lo) && lo >= 0xdc00 && lo < 0xe000)
			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
		else
			j->pos = save, u = 0xfffd;
	} else if (u >= 0xd800 && u < 0xe000) {
		u = 0xfffd; /* a lone surrogate: Go's decoder substitutes it */
	}
	if (u == 0)
		return false; /* a NUL cannot reach an argv */
	utf8_put(b, u);
	return true;
}

/* A JSON string at j->pos (the opening quote); into *out when out. */
static bool json_string(struct json *j, char **out)
{
	struct sbuf b = { 0 };

	j->pos++;
	for (;;) {
		char c = j->s[j->pos];
		if (c == '\0' || (unsigned char)c < 0x20)
			goto bad;
		j->pos++;
		if (c == '"')
			break;
		if (c == '\\') {
			if (!json_escape(j, &b))
				goto bad;
			continue;
		}
		sb_addc(&b, c);
	}
	if (out)
		*out = sb_take(&b);
	else
		free(b.p);
	return true;
bad:
	free(b.p);
	return false;
}

static bool json_number(struct json *j)
{
	const char *s = j->s;
	size_t i = j->pos;

	if (s[i] == '-')
		i++;
	if (s[i] == '0')
		i++;
	else if (s[i] >= '1' && s[i] <= '9')
		while (is_digit(s[i]))
			i++;
	else
		return false;
	if (s[i] == '.') {
		i++;
		if (!is_digit(s[i]))
			return false;
		while (is_digit(s[i]))
			i++;
	}
	if (s[i] == 'e' || s[i] == 'E') {
		i++;
		if (s[i] == '+' || s[i] == '-')
			i++;
		if (!is_digit(s[i]))
			return false;
		while (is_digit(s[i]))
			i++;
	}
	j->pos = i;
	return true;
}

static bool json_value(struct json *j);

/* An array or object body after its opener; close is ']' or '}'. */
static bool json_container(struct json *j, char close)
{
	if (++j->depth > DF_JSON_MAX_DEPTH)
		return false;
	j->pos++;
	json_ws(j);
	if (j->s[j->pos] == close) {
		j->pos++;
		j->depth--;
		return true;
	}
	for (;;) {
		if (close == '}') {
			if (j->s[j->pos] != '"' || !json_string(j, NULL))
				return false;
			json_ws(j);
			if (j->s[j->pos++] != ':')
				return false;
			json_ws(j);
		}
		if (!json_value(j))
			return false;
		json_ws(j);
		if (j->s[j->pos] == ',') {
			j->pos++;
			json_ws(j);
			continue;
		}
		if (j->s[j->pos] != close)
			return false;
		j->pos++;
		j->depth--;
		return true;
	}
}

static bool json_value(struct json *j)
{
	const char *s = j->s + j->pos;

	switch (*s) {
	case '"': return json_string(j, NULL);
	case '[': return json_container(j, ']');
	case '{': return json_container(j, '}');
	case 't': return strncmp(s, "true", 4) == 0 && (j->pos += 4);
	case 'f': return strncmp(s, "false", 5) == 0 && (j->pos += 5);
	case 'n': return strncmp(s, "null", 4) == 0 && (j->pos += 4);
	default: return json_number(j);
	}
}

/*
 * The exec form: rest is a JSON array of strings. 1 and *out when it is,
 * 0 when rest is not JSON at all (docker then reads the shell form), -1
 * when it is a JSON array holding something else than strings (an error
 * in docker too).
 */
static int parse_json(const char *rest, struct vec *out)
{
	struct json j = { .s = skip_ws(rest) };
	bool all_strings = true;

	if (*j.s != '[' || !json_value(&j))
		return 0;
	json_ws(&j);
	if (j.s[j.pos] != '\0')
		return 0;
	/* valid: read it again for its elements */
	j.pos = 1;
	json_ws(&j);
	while (j.s[j.pos] != ']') {
		char *str = NULL;
		if (j.s[j.pos] == '"') {
			json_string(&j, &str);
			vec_take(out, str);
		} else {
			all_strings = false;
			json_value(&j);
		}
		json_ws(&j);
		if (j.s[j.pos] == ',')
			j.pos++;
		json_ws(&j);
	}
	if (!all_strings) {
		vec_free(out);
		return -1;
	}
	if (!out->v)
		out->v = xcalloc(1, sizeof(char *));
	return 1;
}

/* ---- words ---- */

/* docker's parseWords: words split on unquoted whitespace, quotes and
 * escapes kept as written (ENV, LABEL, ARG). */
static void parse_words(const char *rest, char escape, struct vec *out)
{
	struct sbuf w = { 0 };
	bool in_word = false, blank_ok = false;
	char quote = 0;
	size_t n = strlen(rest);

	for (size_t i = 0; i <= n; i++) {
		char c = rest[i];
		if (!in_word) {
			if (i == n)
				break;
			if (is_ws(c))
				continue;
			in_word = true;
		}
		if (i == n) {
			if (blank_ok || w.len)
				vec_take(out, sb_take(&w));
			break;
		}
		if (!quote) {
			if (is_ws(c)) {
				if (blank_ok || w.len)
					vec_take(out, sb_take(&w));
				free(w.p);
				w = (struct sbuf){ 0 };
				in_word = blank_ok = false;
				continue;
			}
			if (c == '\'' || c == '"') {
				quote = c;
				blank_ok = true;
			}
			if (c == escape) {
				if (i + 1 == n)
					continue; /* an escape at the end is dropped */
				sb_addc(&w, c);
				c = rest[++i];
			}
			sb_addc(&w, c);
			continue;
		}
		if (c == quote)
			quote = 0;
		if (c == escape && quote != '\'' && quote) {
			if (i + 1 == n) {
				quote = 0;
				continue;
			}
			sb_addc(&w, c);
			c = rest[++i];
		}
		sb_addc(&w, c);
	}
	free(w.p);
}

/* docker's reWhitespace split ([\t\v\f\r ]+) of a trimmed text. */
static void split_ws(const char *rest, struct vec *out)
{
	const char *s = skip_ws(rest);

	while (*s) {
		const char *e = s;
		while (*e && !is_ws(*e))
			e++;
		vec_take(out, xstrndup_(s, (size_t)(e - s)));
		s = skip_ws(e);
	}
}

/*
 * docker's extractBuilderFlags: the leading "--name[=value]" words (quotes
 * removed, backslash escapes applied; a lone "--" ends them); *rest is
 * what follows. Always the backslash here, whatever # escape= says, as
 * docker does.
 */
static void extract_flags(const char *line, struct vec *flags, const char **rest)
{
	size_t n = strlen(line), i = 0;

	for (;;) {
		struct sbuf w = { 0 };
		bool blank_ok = false;
		char quote = 0;

		while (i < n && is_ws(line[i]))
			i++;
		if (i >= n || line[i] != '-' || i + 1 >= n || line[i + 1] != '-') {
			*rest = line + i;
			return;
		}
		for (; i < n; i++) {
			char c = line[i];
			if (!quote && is_ws(c))
				break;
			if (!quote && (c == '\'' || c == '"')) {
				quote = c;
				blank_ok = true;
				continue;
			}
			if (quote && c == quote) {
				quote = 0;
				continue;
			}
			if (c == '\\') {
				if (i + 1 >= n)
					continue;
				c = line[++i];
			}
			sb_addc(&w, c);
		}
		if (w.len == 2 && strcmp(w.p, "--") == 0) {
			free(w.p);
			*rest = skip_ws(line + i);
			return;
		}
		if (blank_ok || w.len)
			vec_take(flags, sb_take(&w));
		free(w.p);
	}
}

static const struct flag_spec *flag_find(enum df_kind kind, const char *name, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(flag_specs); i++)
		if (flag_specs[i].kind == kind && strlen(flag_specs[i].name) == n &&
		    strncmp(flag_specs[i].name, name, n) == 0)
			return &flag_specs[i];
	return NULL;
}

/* docker's BFlags.Parse over the extracted words, into in->flags. */
static int flags_check(struct parser *p, unsigned line, struct df_instr *in, struct vec *words)
{
	in->flags = xcalloc(words->n ? words->n : 1, sizeof(*in->flags));
	for (size_t i = 0; i < words->n; i++) {
		const char *arg = words->v[i] + 2, *eq = strchr(arg, '=');
		size_t kn = eq ? (size_t)(eq - arg) : strlen(arg);
		const struct flag_spec *spec = flag_find(in->kind, arg, kn);
		struct df_flag *f;

		if (!spec)
			return perr(p, line, "unknown flag: %.*s", (int)(kn > 64 ? 64 : kn), arg);
		if (spec->type != FL_STRINGS && df_flag_get(in, spec->name))
			return perr(p, line, "duplicate flag specified: %s", spec->name);
		if (eq && !eq[1] && spec->type == FL_BOOL)
			return perr(p, line, "missing a value on flag: %s", spec->name);
		if (!eq && spec->type != FL_BOOL)
			return perr(p, line, "missing a value on flag: %s", spec->name);
		if (eq && spec->type == FL_BOOL && strcasecmp(eq + 1, "true") != 0 &&
		    strcasecmp(eq + 1, "false") != 0)
			return perr(p, line, "expecting boolean value for flag %s, not: %.64s",
				    spec->name, eq + 1);
		f = &in->flags[in->n_flags++];
		f->name = xstrdup(spec->name);
		f->value = eq ? xstrdup(eq + 1) : NULL;
	}
	return 0;
}

/* ---- the instructions ---- */

static bool kind_from_name(const char *s, size_t n, enum df_kind *k)
{
	for (size_t i = 0; i < ARRAY_SIZE(kind_names); i++)
		if (kind_names[i] && strlen(kind_names[i]) == n &&
		    strncasecmp(kind_names[i], s, n) == 0) {
			*k = (enum df_kind)i;
			return true;
		}
	return false;
}

static void args_set(struct df_instr *in, struct vec *v)
{
	if (!v->v)
		v->v = xcalloc(1, sizeof(char *));
	in->args = v->v;
	in->n_args = v->n;
	*v = (struct vec){ 0 };
}

/* RUN, CMD, ENTRYPOINT, SHELL: the JSON array, else the line. */
static int args_maybe_json(struct parser *p, unsigned line, struct df_instr *in, const char *rest,
			   bool list)
{
	struct vec v = { 0 };
	int r;

	if (!*rest) {
		args_set(in, &v);
		return 0;
	}
	r = parse_json(rest, &v);
	if (r < 0)
		return perr(p, line,
			    "when using JSON array syntax, arrays must be comprised of "
			    "strings only");
	if (r > 0)
		in->json = true;
	else if (list)
		split_ws(rest, &v);
	else
		vec_take(&v, xstrdup(rest));
	args_set(in, &v);
	return 0;
}

/* ENV and LABEL: docker's parseNameVal, pairs kept raw. */
static int args_name_val(struct parser *p, unsigned line, struct df_instr *in, const char *rest)
{
	struct vec words = { 0 }, v = { 0 };
	const char *what = df_kind_name(in->kind);

	parse_words(rest, p->escape, &words);
	if (!words.n) {
		vec_free(&words);
		return perr(p, line, "%s requires at least one argument", what);
	}
	if (!strchr(words.v[0], '=')) {
		/* the old form: KEY the rest of the line */
		const char *e = rest;
		vec_free(&words);
		while (*e && !is_ws(*e))
			e++;
		if (!*e)
			return perr(p, line, "%s must have two arguments", what);
		vec_take(&v, xstrndup_(rest, (size_t)(e - rest)));
		vec_take(&v, xstrdup(skip_ws(e)));
	} else {
		for (size_t i = 0; i < words.n; i++) {
			const char *eq = strchr(words.v[i], '=');
			if (!eq) {
				perr(p, line,
				     "Syntax error - can't find = in \"%.64s\". Must be of the "
				     "form: name=value",
				     words.v[i]);
				goto fail;
			}
			if (eq == words.v[i]) {
				perr(p, line, "%s names can not be blank", what);
				goto fail;
			}
			vec_take(&v, xstrndup_(words.v[i], (size_t)(eq - words.v[i])));
			vec_take(&v, xstrdup(eq + 1));
		}
		vec_free(&words);
	}
	args_set(in, &v);
	return 0;
fail:
	vec_free(&words);
	vec_free(&v);
	return -1;
}

static int args_arg(struct parser *p, unsigned line, struct df_instr *in, const char *rest)
{
	struct vec v = { 0 };

	parse_words(rest, p->escape, &v);
	args_set(in, &v);
	if (!in->n_args)
		return perr(p, line, "ARG requires at least one argument");
	for (size_t i = 0; i < in->n_args; i++)
		if (in->args[i][0] == '=')
			return perr(p, line, "ARG names can not be blank");
	return 0;
}

/* A Go duration ("1m30s", "500ms", "0"): its value in ns, or -1. */
static double go_duration(const char *s)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = { { "ns", 1 },   { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, { "\xce\xbcs", 1e3 },
		      { "ms", 1e6 }, { "s", 1e9 },  { "m", 60e9 },	  { "h", 3600e9 } };
	double total = 0;

	if (*s == '+' || *s == '-')
		return -1; /* negative intervals are refused anyway */
	if (strcmp(s, "0") == 0)
		return 0;
	if (!*s)
		return -1;
	while (*s) {
		char *end;
		size_t best = 0, bi = 0;
		double v;

		if (!is_digit(*s) && *s != '.')
			return -1;
		v = strtod(s, &end);
		if (end == s)
			return -1;
		for (const char *q = s; q < end; q++)
			if (!is_digit(*q) && *q != '.')
				return -1;
		s = end;
		for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
			size_t l = strlen(units[i].unit);
			if (strncmp(s, units[i].unit, l) == 0 && l > best)
				best = l, bi = i;
		}
		if (!best)
			return -1;
		total += v * units[bi].ns;
		s += best;
	}
	return total;
}

static int healthcheck_flags(struct parser *p, unsigned line, struct df_instr *in)
{
	for (size_t i = 0; i < in->n_flags; i++) {
		const struct df_flag *f = &in->flags[i];
		if (strcmp(f->name, "retries") == 0) {
			char *end;
			long r = strtol(f->value, &end, 10);
			if (!*f->value || *end || r > 0x7fffffff || r < -0x7fffffff)
				return perr(p, line, "invalid --retries value \"%.32s\"", f->value);
			if (r < 0)
				return perr(p, line, "--retries cannot be negative (%ld)", r);
		} else if (*f->value) {
			double d = go_duration(f->value);
			if (d < 0)
				return perr(p, line, "invalid duration \"%.32s\" for --%s",
					    f->value, f->name);
			if (d != 0 && d < 1e6)
				return perr(p, line, "Interval \"%s\" cannot be less than 1ms",
					    f->name);
		}
	}
	return 0;
}

static int args_healthcheck(struct parser *p, unsigned line, struct df_instr *in, const char *rest)
{
	const char *e = rest;
	struct vec v = { 0 };
	_cleanup_free_ char *typ = NULL;
	struct df_instr cmd = { .kind = DF_CMD };
	int r;

	while (*e && !is_ws(*e))
		e++;
	if (e == rest)
		return perr(p, line, "HEALTHCHECK requires at least one argument");
	typ = xstrndup_(rest, (size_t)(e - rest));
	for (char *c = typ; *c; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
	if (strcmp(typ, "NONE") == 0) {
		if (*skip_ws(e))
			return perr(p, line, "HEALTHCHECK NONE takes no arguments");
		vec_take(&v, xstrdup("NONE"));
		args_set(in, &v);
		return 0;
	}
	if (strcmp(typ, "CMD") != 0)
		return perr(p, line, "Unknown type \"%.32s\" in HEALTHCHECK (try CMD)", typ);
	if (args_maybe_json(p, line, &cmd, skip_ws(e), false) < 0)
		return -1;
	in->json = cmd.json;
	vec_take(&v, xstrdup("CMD"));
	for (size_t i = 0; i < cmd.n_args; i++)
		vec_take(&v, cmd.args[i]);
	free(cmd.args);
	args_set(in, &v);
	if (in->n_args < 2)
		return perr(p, line, "Missing command after HEALTHCHECK CMD");
	r = healthcheck_flags(p, line, in);
	return r;
}

static bool valid_stage_name(const char *s)
{
	if (!(*s >= 'a' && *s <= 'z'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || is_digit(*s) || *s == '-' || *s == '_' ||
		      *s == '.'))
			return false;
	return true;
}

static int args_from(struct parser *p, unsigned line, struct df_instr *in, const char *rest,
		     char **stage_name)
{
	struct vec v = { 0 };

	split_ws(rest, &v);
	if (v.n == 3 && strcasecmp(v.v[1], "as") == 0 && stage_name) {
		char *name = v.v[2];
		for (char *c = name; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		if (!valid_stage_name(name)) {
			perr(p, line,
			     "invalid name for build stage: \"%.64s\", name can't start with a "
			     "number or contain symbols",
			     name);
			vec_free(&v);
			return -1;
		}
		*stage_name = name;
		free(v.v[1]);
		v.n = 1;
		v.v[1] = NULL;
	} else if (v.n != 1) {
		vec_free(&v);
		return perr(p, line, "FROM requires either one or three arguments");
	}
	args_set(in, &v);
	return 0;
}

static int instr_parse(struct parser *p, const char *line, unsigned lineno, struct df_instr *in,
		       char **stage_name);

static int args_onbuild(struct parser *p, unsigned line, struct df_instr *in, const char *rest)
{
	struct vec v = { 0 };
	const char *e = rest;
	enum df_kind k;

	if (!*rest)
		return perr(p, line, "ONBUILD requires at least one argument");
	while (*e && !is_ws(*e))
		e++;
	if (kind_from_name(rest, (size_t)(e - rest), &k)) {
		if (k == DF_ONBUILD)
			return perr(p, line,
				    "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
		if (k == DF_FROM || k == DF_MAINTAINER)
			return perr(p, line, "%s isn't allowed as an ONBUILD trigger",
				    df_kind_name(k));
	}
	vec_take(&v, xstrdup(rest));
	args_set(in, &v);
	in->sub = xcalloc(1, sizeof(*in->sub));
	return instr_parse(p, rest, line, in->sub, NULL);
}

static bool heredoc_parse(const char *word, struct df_heredoc *h);

/* How many arguments each kind takes, as docker's instructions check. */
static int args_count(struct parser *p, unsigned line, struct df_instr *in)
{
	const char *what = df_kind_name(in->kind);

	switch (in->kind) {
	case DF_RUN:
	case DF_EXPOSE:
	case DF_VOLUME:
	case DF_SHELL:
		if (!in->n_args)
			return perr(p, line, "%s requires at least one argument", what);
		break;
	case DF_WORKDIR:
	case DF_USER:
	case DF_STOPSIGNAL:
	case DF_MAINTAINER:
		if (in->n_args != 1)
			return perr(p, line, "%s requires exactly one argument", what);
		break;
	case DF_COPY:
	case DF_ADD:
		if (in->n_args < 2)
			return perr(p, line,
				    "%s requires at least two arguments, but only one was "
				    "provided. Destination could not be determined",
				    what);
		break;
	default: break;
	}
	if ((in->kind == DF_COPY || in->kind == DF_ADD) && !in->json) {
		struct df_heredoc h = { 0 };
		bool bad = heredoc_parse(in->args[in->n_args - 1], &h);

		free(h.name);
		if (bad)
			return perr(p, line, "%s cannot accept a heredoc as a destination", what);
	}
	if (in->kind == DF_SHELL && !in->json)
		return perr(p, line, "SHELL requires the arguments to be in JSON form");
	if (in->kind == DF_VOLUME)
		for (size_t i = 0; i < in->n_args; i++)
			if (!*skip_ws(in->args[i]))
				return perr(p, line, "VOLUME specified can not be an empty string");
	return 0;
}

static int instr_args(struct parser *p, unsigned line, struct df_instr *in, const char *rest,
		      char **stage_name)
{
	struct vec v = { 0 };
	int r = 0;

	switch (in->kind) {
	case DF_RUN:
	case DF_CMD:
	case DF_ENTRYPOINT:
	case DF_SHELL: r = args_maybe_json(p, line, in, rest, false); break;
	case DF_COPY:
	case DF_ADD:
	case DF_VOLUME: r = args_maybe_json(p, line, in, rest, true); break;
	case DF_EXPOSE:
		split_ws(rest, &v);
		args_set(in, &v);
		break;
	case DF_ENV:
	case DF_LABEL: return args_name_val(p, line, in, rest);
	case DF_ARG: return args_arg(p, line, in, rest);
	case DF_WORKDIR:
	case DF_USER:
	case DF_STOPSIGNAL:
	case DF_MAINTAINER:
		if (*rest)
			vec_take(&v, xstrdup(rest));
		args_set(in, &v);
		break;
	case DF_HEALTHCHECK: return args_healthcheck(p, line, in, rest);
	case DF_FROM: return args_from(p, line, in, rest, stage_name);
	case DF_ONBUILD: return args_onbuild(p, line, in, rest);
	default: return perr(p, line, "unknown instruction");
	}
	if (r < 0)
		return r;
	return args_count(p, line, in);
}

/* One instruction from its joined line; stage_name gets FROM's AS NAME. */
static int instr_parse(struct parser *p, const char *line, unsigned lineno, struct df_instr *in,
		       char **stage_name)
{
	const char *s = skip_ws(line), *e = s, *rest;
	struct vec flags = { 0 };
	_cleanup_free_ char *trimmed = NULL;
	int r;

	in->line = lineno;
	in->text = strip_dup(line, strlen(line));
	while (*e && !is_ws(*e))
		e++;
	if (!kind_from_name(s, (size_t)(e - s), &in->kind)) {
		size_t n = (size_t)(e - s);
		_cleanup_free_ char *up = xstrndup_(s, n > 64 ? 64 : n);
		for (char *c = up; *c; c++)
			if (*c >= 'a' && *c <= 'z')
				*c = (char)(*c - 'a' + 'A');
		return perr(p, lineno, "unknown instruction: %s", up);
	}
	extract_flags(skip_ws(e), &flags, &rest);
	trimmed = strip_dup(rest, strlen(rest));
	r = flags_check(p, lineno, in, &flags);
	vec_free(&flags);
	if (r < 0)
		return r;
	return instr_args(p, lineno, in, trimmed, stage_name);
}

/* ---- heredocs ---- */

/* The words of a line as docker's raw lexer sees them for heredocs:
 * split on unquoted whitespace, quotes and backslashes kept. An
 * unterminated quote gives none, as docker's lexer error does. */
static void heredoc_words(const char *line, struct vec *out)
{
	struct sbuf w = { 0 };
	bool in_word = false;

	for (const char *s = line; *s; s++) {
		if (is_ws(*s)) {
			if (in_word)
				vec_take(out, sb_take(&w));
			in_word = false;
			continue;
		}
		in_word = true;
		if (*s == '\\' && s[1]) {
			sb_addn(&w, s, 2);
			s++;
		} else if (*s == '\'' || *s == '"') {
			char q = *s;
			const char *e = s + 1;
			while (*e && *e != q) {
				if (q == '"' && *e == '\\' && e[1])
					e++;
				e++;
			}
			if (!*e) {
				free(w.p);
				vec_free(out);
				return;
			}
			sb_addn(&w, s, (size_t)(e - s + 1));
			s = e;
		} else {
			sb_addc(&w, *s);
		}
	}
	if (in_word)
		vec_take(out, sb_take(&w));
	free(w.p);
}

static size_t count_quotes(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\'' || *s == '"';
	return n;
}

/* A heredoc word: ^(\d*)<<(-?)([^<]*)$, its delimiter unquoted. */
static bool heredoc_parse(const char *word, struct df_heredoc *h)
{
	const char *s = word, *rest;
	struct sbuf name = { 0 };

	while (is_digit(*s))
		s++;
	if (strncmp(s, "<<", 2) != 0)
		return false;
	s += 2;
	h->strip_tabs = *s == '-';
	if (*s == '-')
		s++;
	rest = s;
	if (!*rest || strchr(rest, '<'))
		return false;
	for (s = rest; *s; s++) {
		if (*s == '\'') {
			while (*++s && *s != '\'')
				sb_addc(&name, *s);
		} else if (*s == '"') {
			while (*++s && *s != '"') {
				if (*s == '\\' && (s[1] == '"' || s[1] == '$' || s[1] == '\\'))
					s++;
				sb_addc(&name, *s);
			}
		} else if (*s == '\\' && s[1]) {
			sb_addc(&name, *++s);
		} else {
			sb_addc(&name, *s);
		}
		if (!*s)
			break;
	}
	if (!name.len) {
		free(name.p);
		return false;
	}
	h->name = sb_take(&name);
	h->expand = count_quotes(h->name) == count_quotes(rest);
	return true;
}

static void strip_leading_tabs(char *body)
{
	char *w = body;
	bool bol = true;

	for (char *r = body; *r; r++) {
		if (bol && *r == '\t')
			continue;
		bol = *r == '\n';
		*w++ = *r;
	}
	*w = '\0';
}

static int heredoc_body(struct parser *p, unsigned start, struct df_heredoc *h)
{
	const char *s;
	size_t n;
	bool nl;
	struct sbuf body = { 0 };
	size_t name_len = strlen(h->name);

	while (next_line(p, &s, &n, &nl)) {
		const char *t = s;
		size_t tn = n;

		trim_cr(t, &tn);
		if (h->strip_tabs)
			while (tn && *t == '\t')
				t++, tn--;
		if (tn == name_len && memcmp(t, h->name, tn) == 0) {
			h->body = sb_take(&body);
			if (h->strip_tabs)
				strip_leading_tabs(h->body);
			return 0;
		}
		sb_addn(&body, s, n);
		if (nl)
			sb_addc(&body, '\n');
	}
	free(body.p);
	return perr(p, start, "unterminated heredoc (no line \"%.64s\" ends it)", h->name);
}

/* An ONBUILD trigger is recorded as text and parsed again in the child
 * image: as docker does, its heredocs follow it, each body then its
 * delimiter on a line of its own. */
static void onbuild_with_heredocs(struct df_instr *in)
{
	struct sbuf b = { 0 };

	sb_addn(&b, in->args[0], strlen(in->args[0]));
	for (size_t i = 0; i < in->sub->n_heredocs; i++) {
		const struct df_heredoc *h = &in->sub->heredocs[i];
		sb_addc(&b, '\n');
		sb_addn(&b, h->body, strlen(h->body));
		sb_addn(&b, h->name, strlen(h->name));
	}
	free(in->args[0]);
	in->args[0] = sb_take(&b);
}

static int heredocs_read(struct parser *p, const char *line, struct df_instr *in)
{
	struct df_instr *target = in->kind == DF_ONBUILD ? in->sub : in;
	struct vec words = { 0 };
	int r = 0;

	if (!target || target->json ||
	    (target->kind != DF_RUN && target->kind != DF_COPY && target->kind != DF_ADD) ||
	    !strstr(line, "<<"))
		return 0;
	heredoc_words(line, &words);
	for (size_t i = 0; i < words.n && r == 0; i++) {
		struct df_heredoc h = { 0 };
		if (!heredoc_parse(words.v[i], &h))
			continue;
		/* doubling: a line may open a million of them */
		size_t n = target->n_heredocs;
		if ((n & (n - 1)) == 0)
			target->heredocs = xrealloc(target->heredocs,
						    (n ? n * 2 : 1) * sizeof(*target->heredocs));
		target->heredocs[target->n_heredocs++] = h;
		r = heredoc_body(p, in->line, &target->heredocs[target->n_heredocs - 1]);
	}
	vec_free(&words);
	if (r == 0 && target != in && target->n_heredocs)
		onbuild_with_heredocs(in);
	return r;
}

/* ---- the file ---- */

static void instr_clear(struct df_instr *in)
{
	free(in->text);
	for (size_t i = 0; i < in->n_flags; i++) {
		free(in->flags[i].name);
		free(in->flags[i].value);
	}
	free(in->flags);
	strv_free(in->args);
	for (size_t i = 0; i < in->n_heredocs; i++) {
		free(in->heredocs[i].name);
		free(in->heredocs[i].body);
	}
	free(in->heredocs);
	if (in->sub) {
		instr_clear(in->sub);
		free(in->sub);
	}
	*in = (struct df_instr){ 0 };
}

void dockerfile_clear(struct dockerfile *df)
{
	free(df->name);
	free(df->syntax);
	for (size_t i = 0; i < df->n_meta_args; i++)
		instr_clear(&df->meta_args[i]);
	free(df->meta_args);
	for (size_t i = 0; i < df->n_stages; i++) {
		struct df_stage *st = &df->stages[i];
		instr_clear(&st->from);
		free(st->name);
		for (size_t j = 0; j < st->n_instrs; j++)
			instr_clear(&st->instrs[j]);
		free(st->instrs);
	}
	free(df->stages);
	*df = (struct dockerfile){ 0 };
}

static void instrs_push(struct df_instr **v, size_t *n, struct df_instr *in)
{
	/* doubling: a file of many instructions stays linear */
	if ((*n & (*n - 1)) == 0)
		*v = xrealloc(*v, (*n ? *n * 2 : 1) * sizeof(**v));
	(*v)[(*n)++] = *in;
}

static int file_add(struct parser *p, struct df_instr *in, char *stage_name)
{
	struct dockerfile *df = p->df;

	if (in->kind == DF_FROM) {
		struct df_stage st = { .from = *in, .name = stage_name };
		if ((df->n_stages & (df->n_stages - 1)) == 0)
			df->stages = xrealloc(df->stages, (df->n_stages ? df->n_stages * 2 : 1) *
								  sizeof(*df->stages));
		df->stages[df->n_stages++] = st;
		return 0;
	}
	if (!df->n_stages) {
		if (in->kind == DF_ARG) {
			instrs_push(&df->meta_args, &df->n_meta_args, in);
			return 0;
		}
		return perr(p, in->line,
			    "no build stage in current context: %s before the first FROM (only "
			    "ARG may come before it)",
			    df_kind_name(in->kind));
	}
	instrs_push(&df->stages[df->n_stages - 1].instrs, &df->stages[df->n_stages - 1].n_instrs,
		    in);
	return 0;
}

/* One logical line from its first physical one: continuations joined,
 * comment and blank lines inside it dropped. */
static void join_continuations(struct parser *p, struct sbuf *line)
{
	const char *s;
	size_t n;
	bool nl;

	while (next_line(p, &s, &n, &nl)) {
		bool more;

		trim_cr(s, &n);
		if (is_comment(s, n))
			continue;
		if (is_blank(s, n))
			continue;
		more = strip_continuation(s, &n, p->escape);
		sb_addn(line, s, n);
		if (!more)
			return;
	}
}

static unsigned line_at(const char *text, size_t off)
{
	unsigned line = 1;

	for (const char *s = text; (s = memchr(s, '\n', (size_t)(text + off - s))); s++)
		line++;
	return line;
}

/* The bounds and the bytes that never belong in a Dockerfile. */
static int check_input(struct parser *p)
{
	const char *nul;

	if (p->len > DF_MAX_BYTES)
		return perr(p, line_at(p->text, DF_MAX_BYTES), "the file is larger than %zu MiB",
			    DF_MAX_BYTES >> 20);
	nul = memchr(p->text, '\0', p->len);
	if (nul)
		return perr(p, line_at(p->text, (size_t)(nul - p->text)), "a NUL byte");
	return 0;
}

/* One instruction from its first line on: its continuations, its
 * heredocs, then where it belongs. */
static int read_instruction(struct parser *p, const char *s, size_t n)
{
	unsigned start = p->line;
	struct sbuf line = { 0 };
	struct df_instr in = { 0 };
	char *stage_name = NULL;
	bool more = strip_continuation(s, &n, p->escape);
	int r;

	sb_addn(&line, s, n);
	if (more)
		join_continuations(p, &line);
	if (line.len == 0 && !line.p)
		sb_addn(&line, "", 0);
	if (++p->n_instrs > DF_MAX_INSTRUCTIONS) {
		free(line.p);
		return perr(p, start, "more than %d instructions", DF_MAX_INSTRUCTIONS);
	}
	r = instr_parse(p, line.p, start, &in, &stage_name);
	if (r == 0)
		r = heredocs_read(p, line.p, &in);
	if (r == 0)
		r = file_add(p, &in, stage_name);
	if (r < 0) {
		instr_clear(&in);
		free(stage_name);
	}
	free(line.p);
	return r;
}

static int parse_lines(struct parser *p)
{
	const char *s;
	size_t n;
	bool nl;

	while (next_line(p, &s, &n, &nl)) {
		bool directive;

		/* a UTF-8 byte-order mark before the first line */
		if (p->line == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
			s += 3, n -= 3;
		trim_cr(s, &n);
		trim_left_n(&s, &n);
		if (directive_line(p, s, n, &directive) < 0)
			return -1;
		if (is_comment(s, n))
			continue;
		{
			size_t m = n;
			bool more = strip_continuation(s, &m, p->escape);
			if (!more && m == 0)
				continue;
		}
		if (read_instruction(p, s, n) < 0)
			return -1;
	}
	return 0;
}

int dockerfile_parse(const char *name, const char *text, size_t len, struct dockerfile *df,
		     struct berth_error *err)
{
	struct parser p = {
		.name = name, .text = text, .len = len, .escape = '\\', .df = df, .err = err
	};

	*df = (struct dockerfile){ .name = xstrdup(name), .escape = '\\' };
	if (check_input(&p) < 0 || parse_lines(&p) < 0)
		goto fail;
	if (!p.n_instrs) {
		perr(&p, p.line ? p.line : 1, "file with no instructions");
		goto fail;
	}
	if (!df->n_stages) {
		perr(&p, p.line ? p.line : 1,
		     "no FROM instruction: the file has no stage to build");
		goto fail;
	}
	return 0;
fail:
	dockerfile_clear(df);
	return -1;
}
