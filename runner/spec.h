/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spec.h: a container's command, environment, working directory and user
 * from the run flags over the image's config (spec.c).
 */
#ifndef BERTH_SPEC_H
#define BERTH_SPEC_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "../lib/error.h"

struct spec_flags {
	const char *entrypoint; /* NULL: the image's; "": none */
	char **cmd;		/* arguments after the image */
	size_t n_cmd;
	char **env; /* -e, in order */
	size_t n_env;
	char **env_files; /* --env-file, in order (read before -e) */
	size_t n_env_files;
	const char *workdir, *user, *hostname;
	bool tty; /* TERM=xterm unless the image or a flag says otherwise */
};

struct spec {
	char **argv, **env; /* NULL-terminated */
	size_t n_argv, n_env;
	char *workdir;
	char *user; /* NULL: root */
};

int spec_resolve(const struct spec_flags *f, struct json_object *image_config, struct spec *out,
		 struct berth_error *err);
void spec_clear(struct spec *s);
int spec_read_env_file(const char *path, char ***env, size_t *n, struct berth_error *err);
/* The strings of o's array at key as a new NULL-terminated vector (empty
 * when there is none). */
char **strv_from_json_key(struct json_object *o, const char *key, size_t *n);

#endif
