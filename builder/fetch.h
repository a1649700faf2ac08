/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fetch.h: ADD's remote sources (fetch.c): an http or https URL fetched
 * by berth itself (curl's proxy variables apply), into memory, bounded,
 * its sha256 checked against ADD --checksum when given. The file's name
 * in the image is the URL path's last component, as docker names it.
 */
#ifndef BERTH_FETCH_H
#define BERTH_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "../lib/error.h"

/* The largest file ADD fetches: held in memory until its layer is
 * written. */
#define FETCH_MAX ((size_t)256 << 20)

/* Is s a URL ADD would fetch (http://, https://)? git sources are not. */
bool fetch_is_url(const char *s);

/* Fetch url: *data (to free) and *len; *name the file's name. checksum
 * ("sha256:HEX", or NULL) must match. Errors name the URL and the
 * status or cause. */
int fetch_url(const char *url, const char *checksum, char **data, size_t *len, char **name,
	      struct berth_error *err);

#endif
