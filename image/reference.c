// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reference.c: the distribution reference grammar, reduced to what berth
 * needs: validate, add the default registry and tag, split for display.
 */
#include <ctype.h>
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

int reference_normalize(const char *in, char **out, struct berth_error *err)
{
	_cleanup_free_ char *name = xstrdup(in), *digest = NULL, *tag = NULL;
	char *at, *slash, *colon, *first_slash;
	const char *domain = NULL;
	size_t dlen = 0;
	const char *path;

	/* longer than a 255-byte name with a tag and a digest: refuse early */
	if (strlen(in) > 255 + 1 + 128 + 1 + DIGEST_STR_LEN)
		return berth_error_set(err, 0, "invalid reference \"%.40s...\": too long", in);
	at = strchr(name, '@');
	if (at) {
		*at = '\0';
		if (!digest_valid(at + 1))
			return berth_error_set(err, 0, "invalid reference \"%s\": bad digest", in);
		digest = xstrdup(at + 1);
	}
	slash = strrchr(name, '/');
	colon = strrchr(name, ':');
	if (colon && (!slash || colon > slash)) {
		*colon = '\0';
		tag = xstrdup(colon + 1);
		if (!reference_valid_tag(tag))
			return berth_error_set(err, 0, "invalid reference \"%s\": bad tag \"%s\"",
					       in, tag);
	}
	first_slash = strchr(name, '/');
	if (first_slash) {
		size_t n = (size_t)(first_slash - name);
		if (memchr(name, '.', n) || memchr(name, ':', n) ||
		    (n == 9 && strncmp(name, "localhost", 9) == 0)) {
			domain = name;
			dlen = n;
		}
	}
	path = domain ? name + dlen + 1 : name;
	if (domain && !valid_domain(domain, dlen))
		return berth_error_set(err, 0, "invalid reference \"%s\": bad registry name", in);
	/* docker's limit is on the name, registry included, not on the tag or
	 * digest; check the name as it will be stored, so that a normalised
	 * reference always normalises again */
	if ((domain ? dlen : 9) + 1 + strlen(path) > 255)
		return berth_error_set(
			err, 0, "invalid reference \"%.40s...\": name longer than 255 bytes", in);
	for (const char *p = path;;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (!valid_component(p, n))
			return berth_error_set(err, 0,
					       "invalid reference \"%s\": repository names must be "
					       "lowercase letters, digits and separators",
					       in);
		if (!e)
			break;
		p = e + 1;
	}
	*out = xasprintf("%.*s%s%s%s%s%s%s", (int)(domain ? dlen : 9),
			 domain ? domain : "localhost", "/", path, (tag || !digest) ? ":" : "",
			 tag ? tag : (digest ? "" : "latest"), digest ? "@" : "",
			 digest ? digest : "");
	return 0;
}

void reference_split(const char *ref, char **repo, char **tag)
{
	const char *slash = strrchr(ref, '/');
	const char *colon = strrchr(ref, ':');

	if (colon && (!slash || colon > slash)) {
		*repo = xstrndup(ref, (size_t)(colon - ref));
		*tag = xstrdup(colon + 1);
	} else {
		*repo = xstrdup(ref);
		*tag = xstrdup("<none>");
	}
}
