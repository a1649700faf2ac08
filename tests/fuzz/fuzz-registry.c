// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-registry.c: libFuzzer target for what a registry (or a user)
 * hands the registry client as text: a WWW-Authenticate header, a Link
 * header (the tags list's pagination: a next page is never on another
 * host), a tags list (every tag kept is a valid tag), and a reference
 * read by docker's rules, which must normalise to itself. The registry's
 * image JSON documents go through image/oci.c's parsers, which
 * fuzz-oci.c covers.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../image/reference.h"
#include "../../image/registry.h"
#include "../../lib/http.h"
#include "../../lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

static void touch(const char *s)
{
	if (s)
		sink += strlen(s);
}

#define BASE "http://127.0.0.1:5000"

static void links_and_tags(const char *s, size_t size)
{
	char *next = http_link_next(s, BASE);
	char **tags = xcalloc(1, sizeof(char *));
	size_t n = 0;
	struct berth_error err = { 0 };

	/* a next page is on the registry itself, with no space or control */
	if (next && (strncmp(next, BASE "/", strlen(BASE) + 1) != 0 || strpbrk(next, " \t\r\n")))
		abort();
	free(next);
	if (registry_parse_tags(s, size, 8, &tags, &n, &err) == 0 || n) {
		if (n > 8 || tags[n])
			abort();
		for (size_t i = 0; i < n; i++)
			if (!reference_valid_tag(tags[i]))
				abort();
	}
	berth_error_clear(&err);
	strv_free(tags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);
	struct http_challenge c;
	struct berth_error err = { 0 };
	char *out = NULL, *again = NULL;

	memcpy(s, data, size);
	s[size] = '\0';
	if (http_parse_challenge(s, &c) == 0) {
		if (!c.scheme)
			abort();
		touch(c.realm);
		touch(c.service);
		touch(c.scope);
		touch(c.error);
	}
	http_challenge_clear(&c);
	links_and_tags(s, size);
	if (reference_normalize_docker(s, &out, &err) == 0) {
		struct berth_error err2 = { 0 };
		if (reference_normalize_docker(out, &again, &err2) < 0 || strcmp(out, again) != 0)
			abort();
		berth_error_clear(&err2);
	}
	berth_error_clear(&err);
	free(out);
	free(again);
	free(s);
	return 0;
}
