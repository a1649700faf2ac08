// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * execform.c: the exec (JSON) form of RUN, CMD, ENTRYPOINT, SHELL and
 * the others, as docker reads it: a valid JSON document that is an
 * array (validated whole first, with its escapes, numbers and nesting
 * bounded), then its strings; anything else is the shell form.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"
#include "execform.h"
#include "sbuf.h"

/* JSON deeper than this is not an exec form (docker's decoder also has
 * a bound); it keeps the recursion of json_value shallow. */
#define DF_JSON_MAX_DEPTH 256

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

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
int df_exec_form(const char *text, char ***out, size_t *n_out)
{
	struct json j = { .s = text };
	char **v = NULL;
	size_t n = 0;
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
			v = xrealloc(v, (n + 2) * sizeof(*v));
			v[n++] = str;
			v[n] = NULL;
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
		for (size_t i = 0; i < n; i++)
			free(v[i]);
		free(v);
		return -1;
	}
	*out = v ? v : xcalloc(1, sizeof(char *));
	*n_out = n;
	return 1;
}
