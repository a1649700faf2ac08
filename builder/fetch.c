// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fetch.c: ADD's URLs through lib/http.c (one client per fetch: a build
 * fetches few), with its bounded waits and retries, into memory up to
 * FETCH_MAX; a non-2xx answer, a body too large or a checksum that does
 * not match is an error naming the URL. Nothing of a registry here.
 */
#include <errno.h>
#include <string.h>

#include "../lib/digest.h"
#include "../lib/http.h"
#include "../lib/util.h"
#include "fetch.h"

bool fetch_is_url(const char *s)
{
	return str_has_prefix(s, "http://") || str_has_prefix(s, "https://");
}

/* The URL path's last component, without query or fragment (docker's
 * name for the file); "index.html" would be a guess: a URL ending in "/"
 * gets "download", as no name is better. */
static char *url_name(const char *url)
{
	const char *p = strstr(url, "://"), *end, *slash;

	p = p ? p + 3 : url;
	p += strcspn(p, "/"); /* past the host */
	end = p + strcspn(p, "?#");
	slash = end;
	while (slash > p && slash[-1] != '/')
		slash--;
	return slash < end ? xstrndup(slash, (size_t)(end - slash)) : xstrdup("download");
}

int fetch_url(const char *url, const char *checksum, char **data, size_t *len, char **name,
	      struct berth_error *err)
{
	struct http_client *c = http_client_new();
	struct http_xfer x = { .url = xstrdup(url), .max_body = FETCH_MAX, .upload_fd = -1 };
	struct http_xfer *one = &x;
	char digest[DIGEST_STR_LEN + 1];
	int r = -1;

	*data = NULL;
	*len = 0;
	*name = NULL;
	if (!c) {
		http_xfer_clear(&x);
		return berth_error_set(err, ENOMEM, "ADD %s: no HTTP client", url);
	}
	if (http_run(c, &one, 1, 1, err) < 0) {
		berth_error_wrap(err, "ADD %s", url);
		goto out;
	}
	if (x.too_big) {
		berth_error_set(err, EFBIG, "ADD %s: larger than %zu MiB", url, FETCH_MAX >> 20);
		goto out;
	}
	if (x.status < 200 || x.status > 299) {
		if (x.status)
			berth_error_set(err, 0, "ADD %s: the server answered %ld", url, x.status);
		else
			berth_error_set(err, 0, "ADD %s: %s", url, x.error ? x.error : "no answer");
		goto out;
	}
	sha256_bytes(x.body ? x.body : "", x.body_len, digest);
	if (checksum && strcmp(checksum, digest)) {
		berth_error_set(err, 0, "ADD %s: its sha256 is %s, not --checksum's %s", url,
				digest, checksum);
		goto out;
	}
	*data = x.body ? steal_pointer(&x.body) : xstrdup("");
	*len = x.body_len;
	*name = url_name(url);
	r = 0;
out:
	http_xfer_clear(&x);
	http_client_free(c);
	return r;
}
