/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * push.h: `berth push`: an image of the store to a registry repository.
 * Layers that came compressed (pulled, loaded) go up as the same bytes;
 * layers made here (import, commit, a docker-archive's tars) are
 * compressed once, the first time they are pushed, and the image's
 * record then names the compressed blobs and the manifest listing them,
 * so every later push sends the same digests. The manifest goes last.
 */
#ifndef BERTH_PUSH_H
#define BERTH_PUSH_H

#include <stdbool.h>
#include <stddef.h>

#include "regconf.h"
#include "store.h"

enum push_compression {
	PUSH_GZIP, /* the default, as docker's */
	PUSH_ZSTD,
};

struct push_opts {
	const char *image;		   /* a name or ID of the store */
	const char *dest;		   /* "[HOST/]REPO[:TAG]", or NULL: the image's own name */
	enum push_compression compression; /* for layers made here */
	bool quiet;
	struct regconf_tls_flags tls; /* --tls-verify=false, --cert-dir */
	/* progress as plain lines ("ID: Pushed"), unless NULL */
	void (*say)(void *arg, const char *line);
	void *say_arg;
	/* instead of say: the progress on stderr through a board
	 * (lib/xferboard.h), one line per layer redrawn in place with the
	 * bytes sent on a terminal, the same plain lines otherwise */
	bool progress;
};

struct push_result {
	char digest[DIGEST_STR_LEN + 1]; /* of the manifest pushed */
	size_t size;			 /* its bytes */
	char *name;			 /* where: "127.0.0.1:5000/app:1.0" */
};
void push_result_clear(struct push_result *r);

/* -1 with ENOENT and "no such image" in err when image is not in the
 * store (image_resolve's error). */
int image_push(struct store *s, const struct push_opts *o, struct push_result *res,
	       struct berth_error *err);

#endif
