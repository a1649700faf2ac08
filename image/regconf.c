// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * regconf.c: reading registries.conf (regconf.h) through inih. Each
 * section is a registry, named as references name it (HOST[:PORT]); its
 * keys are `insecure` and `mirror`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regconf.h"
#include "../lib/userconf.h"
#include "../lib/util.h"

/* HOST[:PORT]: letters, digits, '.', '-', a bracketed IPv6 address, a
 * port; no scheme, path or credentials. */
static bool valid_host(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || strchr(".-:[]", ch)))
			return false;
	}
	return s[0] != '.' && s[0] != '-' && s[0] != ':';
}

struct parse_ctx {
	struct regconf *c;
	struct berth_error *err;
	FILE *f;
	int line;
};

static char *read_line(char *str, int num, void *stream)
{
	struct parse_ctx *p = stream;
	char *r = fgets(str, num, p->f);

	if (r)
		p->line++;
	return r;
}

static struct regconf_registry *section(struct regconf *c, const char *host)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->regs[i].host, host))
			return &c->regs[i];
	c->regs = xrealloc(c->regs, (c->n + 1) * sizeof(*c->regs));
	memset(&c->regs[c->n], 0, sizeof(*c->regs));
	c->regs[c->n].host = xstrdup(host);
	return &c->regs[c->n++];
}

static int add_mirrors(struct regconf_registry *r, const char *value)
{
	_cleanup_free_ char *copy = xstrdup(value);
	size_t n = 0;
	char *save = NULL;

	while (r->mirrors && r->mirrors[n])
		n++;
	for (char *m = strtok_r(copy, ", \t", &save); m; m = strtok_r(NULL, ", \t", &save)) {
		if (!valid_host(m))
			return -1;
		strv_push(&r->mirrors, &n, m);
	}
	return 0;
}

/* SECONDS or N: a whole number from lo to hi. */
static int parse_uint(const char *v, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long n;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n < lo || n > hi)
		return -1;
	*out = (unsigned)n;
	return 0;
}

/* The global section: connect-timeout, stall-timeout, retries. */
static int global_key(struct parse_ctx *p, const char *name, const char *value)
{
	static const struct {
		const char *name;
		unsigned lo, hi;
		size_t off;
	} keys[] = {
		{ "connect-timeout", 1, 3600, offsetof(struct regconf, connect_timeout) },
		{ "stall-timeout", 1, 3600, offsetof(struct regconf, stall_timeout) },
		{ "retries", 0, 20, offsetof(struct regconf, attempts) },
	};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		unsigned *f = (unsigned *)((char *)p->c + keys[i].off), v;
		if (strcmp(name, keys[i].name) != 0)
			continue;
		if (parse_uint(value, keys[i].lo, keys[i].hi, &v) < 0)
			return berth_error_set(p->err, EINVAL,
					       "%s:%d: %s: expected a whole number from %u to %u "
					       "(got \"%s\")",
					       p->c->path, p->line, name, keys[i].lo, keys[i].hi,
					       value),
			       0;
		*f = f == &p->c->attempts ? v + 1 : v;
		return 1;
	}
	return berth_error_set(p->err, EINVAL,
			       "%s:%d: unknown key \"%s\" before any [registry] "
			       "(connect-timeout, stall-timeout, retries)",
			       p->c->path, p->line, name),
	       0;
}

static int handler(void *user, const char *sect, const char *name, const char *value)
{
	struct parse_ctx *p = user;
	struct regconf_registry *r;

	if (p->err->msg) /* inih goes on after an error: the first one is told */
		return 0;
	if (!*sect && name)
		return global_key(p, name, value);
	if (!*sect || !valid_host(sect))
		return berth_error_set(p->err, EINVAL,
				       "%s:%d: %s%s%s: a section is a registry, [HOST] or "
				       "[HOST:PORT]",
				       p->c->path, p->line,
				       *sect ? "[" : "a key outside any section", sect,
				       *sect ? "]" : ""),
		       0;
	r = section(p->c, sect);
	if (!name)
		return 1;
	if (!strcmp(name, "insecure")) {
		if (userconf_parse_bool(value, &r->insecure) < 0)
			return berth_error_set(
				       p->err, EINVAL,
				       "%s:%d: insecure: expected true or false (got \"%s\")",
				       p->c->path, p->line, value),
			       0;
		return 1;
	}
	if (!strcmp(name, "mirror")) {
		if (add_mirrors(r, value) < 0)
			return berth_error_set(
				       p->err, EINVAL,
				       "%s:%d: mirror: expected HOST[:PORT], ... (got \"%s\")",
				       p->c->path, p->line, value),
			       0;
		return 1;
	}
	return berth_error_set(p->err, EINVAL,
			       "%s:%d: unknown key \"%s\" in [%s] (insecure, mirror)", p->c->path,
			       p->line, name, sect),
	       0;
}

int regconf_load(struct regconf *c, struct berth_error *err)
{
	struct parse_ctx p = { .c = c, .err = err };
	_cleanup_fclose_ FILE *f = NULL;
	int r;

	memset(c, 0, sizeof(*c));
	c->path = userconf_file_path("BERTH_REGISTRIES_CONF", "registries.conf");
	f = fopen(c->path, "re");
	if (!f)
		return errno == ENOENT ? 0 : berth_error_set(err, errno, "%s", c->path);
	c->found = true;
	p.f = f;
	r = ini_parse_stream(read_line, &p, handler, &p);
	if (r == 0)
		return 0;
	if (err->msg)
		return -1;
	return berth_error_set(err, EINVAL,
			       "%s:%d: not a valid INI line (KEY = VALUE or [SECTION])", c->path,
			       r > 0 ? r : p.line);
}

void regconf_clear(struct regconf *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->regs[i].host);
		strv_free(c->regs[i].mirrors);
	}
	free(c->regs);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

const struct regconf_registry *regconf_find(const struct regconf *c, const char *host)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->regs[i].host, host))
			return &c->regs[i];
	return NULL;
}

void regconf_http_limits(const struct regconf *c, struct http_limits *l)
{
	*l = (struct http_limits){ .connect_s = c->connect_timeout,
				   .stall_s = c->stall_timeout,
				   .attempts = c->attempts };
}

bool regconf_is_loopback(const char *host)
{
	_cleanup_free_ char *h = NULL;
	const char *colon;
	struct in_addr a4;

	if (host[0] == '[') {
		const char *end = strchr(host, ']');
		h = end ? xstrndup(host + 1, (size_t)(end - host - 1)) : xstrdup(host);
		return !strcmp(h, "::1");
	}
	colon = strchr(host, ':');
	h = colon ? xstrndup(host, (size_t)(colon - host)) : xstrdup(host);
	if (!strcmp(h, "localhost"))
		return true;
	/* 127.0.0.0/8, written as a dotted quad */
	return inet_pton(AF_INET, h, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

bool regconf_plain_ok(const struct regconf *c, const char *host)
{
	const struct regconf_registry *r = c ? regconf_find(c, host) : NULL;

	return (r && r->insecure) || regconf_is_loopback(host);
}
