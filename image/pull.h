/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pull.h: `berth pull`: an image from a registry into the store. The
 * reference is read by docker's rules; a registry's mirrors
 * (registries.conf) are tried before it; an image index gives the
 * platform's image as `load` picks it; blobs the store has are never
 * fetched; the others stream, a few at once, through their digest and
 * size checks into a stage, and the image is installed as `load`
 * installs one (image_install_staged).
 */
#ifndef BERTH_PULL_H
#define BERTH_PULL_H

#include <stdbool.h>
#include <stddef.h>

#include "regconf.h"
#include "store.h"
#include "unpack.h"

#define PULL_DEFAULT_PARALLEL 3

struct pull_opts {
	const char *ref;
	const char *platform; /* "os/arch[/variant]" or NULL for the host's */
	size_t max_parallel;  /* 0: PULL_DEFAULT_PARALLEL */
	bool quiet;
	struct regconf_tls_flags tls;	    /* --tls-verify=false, --cert-dir */
	const struct unpack_limits *limits; /* NULL: the user's berth.conf */
	/* progress as plain lines ("ID: Already exists"), unless NULL */
	void (*say)(void *arg, const char *line);
	void *say_arg;
	/* instead of say: the progress on stderr through a board
	 * (lib/xferboard.h), one line per layer redrawn in place on a
	 * terminal, plain lines otherwise */
	bool progress;
};

struct pull_result {
	char id[DIGEST_STR_LEN + 1];	 /* the image ID */
	char digest[DIGEST_STR_LEN + 1]; /* of the manifest (or index) the reference names */
	char *name;			 /* the name recorded: docker.io/library/busybox:latest */
	size_t fetched;			 /* layer blobs fetched */
	size_t present;			 /* layer blobs the store had */
};
void pull_result_clear(struct pull_result *r);

int image_pull(struct store *s, const struct pull_opts *o, struct pull_result *res,
	       struct berth_error *err);

#endif
