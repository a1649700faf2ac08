// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * userconf.c: reading the user's berth.conf (userconf.h) through inih. The
 * key table below is the whole format: a key is a section, a name, a kind
 * (bool: true|false|yes|no|1|0; uint: a decimal, with an optional k, M, G
 * or T binary suffix) and the field it fills. Not concerned with what a
 * setting does: each subsystem reads its field.
 */
#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "userconf.h"
#include "util.h"

#define FIELD(f) offsetof(struct userconf, f)

const struct userconf_key userconf_keys[] = {
	{ "network", "host-loopback", USERCONF_BOOL, FIELD(host_loopback), "true",
	  "containers of `run` reach the host's 127.0.0.1 through host.docker.internal "
	  "(false: only with --host-loopback)" },
	/* Limits on what `load`, `import` and `commit` take in: far above
	 * real images, low enough that a hostile one fails with a message
	 * before it exhausts memory, disk or time (docs/config.md). */
	{ "limits", "max-depth", USERCONF_UINT, FIELD(max_depth), "512",
	  "directory levels a path of a loaded image may have" },
	{ "limits", "max-layer-entries", USERCONF_UINT, FIELD(max_layer_entries), "1M",
	  "entries one layer may hold" },
	{ "limits", "max-image-entries", USERCONF_UINT, FIELD(max_image_entries), "2M",
	  "entries all the layers of an image may hold" },
	{ "limits", "max-layer-size", USERCONF_UINT, FIELD(max_layer_size), "256G",
	  "bytes one layer may unpack to (its uncompressed tar)" },
	{ "limits", "max-image-size", USERCONF_UINT, FIELD(max_image_size), "1T",
	  "bytes all the layers of an image may unpack to" },
};
const size_t userconf_n_keys = ARRAY_SIZE(userconf_keys);

char *userconf_file_path(const char *env, const char *name)
{
	const char *e = getenv(env), *x = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");

	if (e && *e)
		return xstrdup(e);
	if (x && *x == '/')
		return xasprintf("%s/berth/%s", x, name);
	return xasprintf("%s/.config/berth/%s", home && *home ? home : "/", name);
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "true", "yes", "1", "on" };
	static const char *const no[] = { "false", "no", "0", "off" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(v, yes[i]))
			return *out = true, 0;
		if (!strcasecmp(v, no[i]))
			return *out = false, 0;
	}
	return -1;
}

int userconf_parse_bool(const char *v, bool *out)
{
	return parse_bool(v, out);
}

static int parse_uint(const char *v, uint64_t *out)
{
	char *end;
	unsigned long long n;
	int shift = 0;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'M':
		shift = 20;
		end++;
		break;
	case 'G':
		shift = 30;
		end++;
		break;
	case 'T':
		shift = 40;
		end++;
		break;
	default: break;
	}
	if (*end || (shift && n > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)n << shift;
	return 0;
}

static int set_default(struct userconf *c, const struct userconf_key *k)
{
	void *field = (char *)c + k->offset;
	uint64_t u;

	if (k->kind == USERCONF_BOOL)
		return parse_bool(k->def, field);
	if (parse_uint(k->def, &u) < 0)
		return -1;
	*(uint64_t *)field = u;
	return 0;
}

struct parse_ctx {
	struct userconf *c;
	struct berth_error *err;
	FILE *f;
	int line; /* of the last line read */
};

/* inih's reader, counting lines (Debian's inih passes no line number) */
static char *read_line(char *str, int num, void *stream)
{
	struct parse_ctx *p = stream;
	char *r = fgets(str, num, p->f);

	if (r)
		p->line++;
	return r;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *p = user;
	const struct userconf_key *k = NULL;
	bool section_known = false;
	int line = p->line;

	if (p->err->msg) /* inih goes on after an error: the first one is told */
		return 0;
	for (size_t i = 0; i < userconf_n_keys; i++) {
		if (strcmp(userconf_keys[i].section, section))
			continue;
		section_known = true;
		if (name && !strcmp(userconf_keys[i].key, name))
			k = &userconf_keys[i];
	}
	if (!section_known)
		return berth_error_set(p->err, EINVAL, "%s:%d: %s%s%s", p->c->path, line,
				       *section ? "unknown section [" : "a key outside any section",
				       section, *section ? "]" : ""),
		       0;
	if (!name) /* a section header alone */
		return 1;
	if (!k)
		return berth_error_set(p->err, EINVAL, "%s:%d: unknown key \"%s\" in [%s]",
				       p->c->path, line, name, section),
		       0;
	void *field = (char *)p->c + k->offset;
	uint64_t u;
	if (k->kind == USERCONF_BOOL
		    ? parse_bool(value, field) < 0
		    : (parse_uint(value, &u) < 0 ? -1 : (*(uint64_t *)field = u, 0)))
		return berth_error_set(p->err, EINVAL, "%s:%d: %s: expected %s (got \"%s\")",
				       p->c->path, line, name,
				       k->kind == USERCONF_BOOL ? "true or false"
								: "a number (k, M, G, T allowed)",
				       value),
		       0;
	return 1;
}

int userconf_load(struct userconf *c, struct berth_error *err)
{
	struct parse_ctx p = { .c = c, .err = err };
	_cleanup_fclose_ FILE *f = NULL;
	int r;

	memset(c, 0, sizeof(*c));
	c->path = userconf_file_path("BERTH_CONFIG", "berth.conf");
	for (size_t i = 0; i < userconf_n_keys; i++)
		if (set_default(c, &userconf_keys[i]) < 0)
			return berth_error_set(err, EINVAL, "berth.conf: bad default for %s",
					       userconf_keys[i].key);
	f = fopen(c->path, "re");
	if (!f)
		return errno == ENOENT ? 0 : berth_error_set(err, errno, "%s", c->path);
	c->found = true;
	p.f = f;
	r = ini_parse_stream(read_line, &p, handler, &p);
	if (r == 0)
		return 0;
	if (err->msg) /* the handler said why */
		return -1;
	return berth_error_set(err, EINVAL,
			       "%s:%d: not a valid INI line (KEY = VALUE or [SECTION])", c->path,
			       r > 0 ? r : p.line);
}

void userconf_clear(struct userconf *c)
{
	free(c->path);
	c->path = NULL;
}
