// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reference.c: the distribution reference grammar, reduced to what berth
 * needs: validate, add the default registry (the store's localhost/, or
 * docker's docker.io/library/ for a pull) and tag, split for display.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/digest.h"
#include "reference.h"
#include "../lib/util.h"

bool reference_valid_tag(const char *tag)
{
	size_t n = strlen(tag);

	if (n == 0 || n > 128 || !(isalnum((unsigned char)tag[0]) || tag[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)tag[i];
		if (!(isalnum(c) || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* One path component: [a-z0-9]+ joined by '.', '_', '__' or runs of '-'. */
static bool valid_component(const char *s, size_t n)
{
	if (n == 0 || (!islower((unsigned char)s[0]) && !isdigit((unsigned char)s[0])))
		return false;
	if (!isalnum((unsigned char)s[n - 1]) || isupper((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (islower(c) || isdigit(c) || c == '-')
			continue;
		if (c == '.' && isalnum((unsigned char)s[i + 1]))
			continue;
		if (c == '_' &&
		    (isalnum((unsigned char)s[i + 1]) ||
		     (s[i + 1] == '_' && i + 2 < n && isalnum((unsigned char)s[i + 2])))) {
			if (s[i + 1] == '_')
				i++;
			continue;
		}
		return false;
	}
	return true;
}

static bool valid_domain(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(isalnum(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
			return false;
	}
	return n > 0;
}

void reference_clear(struct reference *r)
{
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

/* Split off "@digest" and ":tag" (in place), checking both. */
static int split_tag_digest(char *name, const char *in, struct reference *out,
			    struct berth_error *err)
{
	char *at = strchr(name, '@'), *slash, *colon;

	if (at) {
		*at = '\0';
		if (!digest_valid(at + 1))
			return berth_error_set(err, 0, "invalid reference \"%s\": bad digest", in);
		out->digest = xstrdup(at + 1);
	}
	slash = strrchr(name, '/');
	colon = strrchr(name, ':');
	if (colon && (!slash || colon > slash)) {
		*colon = '\0';
		out->tag = xstrdup(colon + 1);
		if (!reference_valid_tag(out->tag))
			return berth_error_set(err, 0, "invalid reference \"%s\": bad tag \"%s\"",
					       in, out->tag);
	}
	return 0;
}

static int check_path(const char *path, const char *in, struct berth_error *err)
{
	for (const char *p = path;;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (!valid_component(p, n))
			return berth_error_set(err, 0,
					       "invalid reference \"%s\": repository names must be "
					       "lowercase letters, digits and separators",
					       in);
		if (!e)
			return 0;
		p = e + 1;
	}
}

int reference_parse(const char *in, const char *default_domain, struct reference *out,
		    struct berth_error *err)
{
	_cleanup_free_ char *name = xstrdup(in);
	char *first_slash;
	const char *path = name;
	bool hub = !strcmp(default_domain, REFERENCE_DOCKER_HUB);

	memset(out, 0, sizeof(*out));
	/* longer than a 255-byte name with a tag and a digest: refuse early */
	if (strlen(in) > 255 + 1 + 128 + 1 + DIGEST_STR_LEN)
		return berth_error_set(err, 0, "invalid reference \"%.40s...\": too long", in);
	if (split_tag_digest(name, in, out, err) < 0)
		goto fail;
	/* the first component is a registry when it looks like a host name */
	first_slash = strchr(name, '/');
	if (first_slash) {
		size_t n = (size_t)(first_slash - name);
		if (memchr(name, '.', n) || memchr(name, ':', n) ||
		    (n == 9 && strncmp(name, "localhost", 9) == 0)) {
			if (!valid_domain(name, n)) {
				berth_error_set(err, 0,
						"invalid reference \"%s\": bad registry name", in);
				goto fail;
			}
			out->domain = xstrndup(name, n);
			path = first_slash + 1;
		}
	}
	if (!out->domain)
		out->domain = xstrdup(default_domain);
	if (hub && !strcmp(out->domain, "index.docker.io")) {
		free(out->domain);
		out->domain = xstrdup(REFERENCE_DOCKER_HUB);
	}
	if (hub && !strcmp(out->domain, REFERENCE_DOCKER_HUB) && !strchr(path, '/'))
		out->path = xasprintf("library/%s", path);
	else
		out->path = xstrdup(path);
	/* docker's limit is on the name, registry included, not on the tag or
	 * digest; check the name as it will be stored, so that a normalised
	 * reference always normalises again */
	if (strlen(out->domain) + 1 + strlen(out->path) > 255) {
		berth_error_set(err, 0,
				"invalid reference \"%.40s...\": name longer than 255 bytes", in);
		goto fail;
	}
	if (check_path(path, in, err) < 0)
		goto fail;
	if (!out->tag && !out->digest)
		out->tag = xstrdup("latest");
	return 0;
fail:
	reference_clear(out);
	return -1;
}

char *reference_str(const struct reference *r)
{
	return xasprintf("%s/%s%s%s%s%s", r->domain, r->path, r->tag ? ":" : "",
			 r->tag ? r->tag : "", r->digest ? "@" : "", r->digest ? r->digest : "");
}

static int normalize_with(const char *in, const char *domain, char **out, struct berth_error *err)
{
	struct reference r;

	if (reference_parse(in, domain, &r, err) < 0)
		return -1;
	*out = reference_str(&r);
	reference_clear(&r);
	return 0;
}

int reference_normalize(const char *in, char **out, struct berth_error *err)
{
	return normalize_with(in, "localhost", out, err);
}

int reference_normalize_docker(const char *in, char **out, struct berth_error *err)
{
	return normalize_with(in, REFERENCE_DOCKER_HUB, out, err);
}

void reference_split(const char *ref, char **repo, char **tag)
{
	const char *slash = strrchr(ref, '/');
	const char *colon = strrchr(ref, ':');
	const char *at = strchr(ref, '@');

	if (at) {
		/* a digest reference: docker lists it with the tag <none> */
		*repo = xstrndup(ref, (size_t)(at - ref));
		*tag = xstrdup("<none>");
	} else if (colon && (!slash || colon > slash)) {
		*repo = xstrndup(ref, (size_t)(colon - ref));
		*tag = xstrdup(colon + 1);
	} else {
		*repo = xstrdup(ref);
		*tag = xstrdup("<none>");
	}
}
