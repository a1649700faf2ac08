// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-registry.c: libFuzzer target for what a registry (or a user)
 * hands the registry client as text: a WWW-Authenticate header, and a
 * reference read by docker's rules, which must normalise to itself. The
 * registry's JSON documents go through image/oci.c's parsers, which
 * fuzz-oci.c covers.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../image/reference.h"
#include "../../lib/http.h"
#include "../../lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

static void touch(const char *s)
{
	if (s)
		sink += strlen(s);
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
