/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * build.h: `berth build` as one call (build.c): a Dockerfile and its
 * context into an image in the store. The stages the target needs are
 * built in order; a step that makes a layer is looked up in the step
 * cache first (cache.h); RUN runs as a berth container through the
 * engine, with run's confinement; COPY, ADD and WORKDIR write their layer
 * straight from their sources (copy.h). Nothing here prints: step lines
 * and the steps' output go to the caller's out, warnings through say.
 */
#ifndef BERTH_BUILD_H
#define BERTH_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../image/store.h"
#include "../lib/digest.h"
#include "../lib/error.h"

enum build_progress {
	BUILD_PROGRESS_AUTO, /* tty on a terminal, else plain */
	BUILD_PROGRESS_PLAIN,
	BUILD_PROGRESS_TTY,
};

struct build_opts {
	const char *context;	 /* a directory, or "-": a tar stream or a Dockerfile on stdin */
	const char *file;	 /* -f: a path on the host, "-" for stdin; NULL: the context's */
	char *const *tags;	 /* -t NAME[:TAG], NULL-terminated (or NULL) */
	char *const *build_args; /* --build-arg K[=V] (K alone: from the environment) */
	const char *target;	 /* --target STAGE, or NULL: the last stage */
	bool no_cache;
	const char *pull;     /* always|missing|never; NULL: missing */
	char *const *secrets; /* --secret id=ID[,src=PATH|,env=VAR] */
	const char *network;  /* default|none|host; NULL: default (slirp4netns) */
	char *const *labels;  /* --label K=V */
	bool quiet;	      /* -q: only the ID is printed (by the caller) */
	enum build_progress progress;
	int64_t timestamp; /* --timestamp or SOURCE_DATE_EPOCH; < 0: none */
	bool squash;
	FILE *out;				  /* step lines and the steps' output */
	void (*say)(void *arg, const char *line); /* warnings, one line each */
	void *say_arg;
};

/* Build; the image's ID into id. A failure names the Dockerfile's line
 * where it happened (NAME:LINE) and leaves no partial image, container
 * or mount behind; the steps made before it stay cached. */
int build_image(struct store *s, const struct build_opts *o, char id[DIGEST_STR_LEN + 1],
		struct berth_error *err);

#endif
