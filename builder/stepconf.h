/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stepconf.h: what an instruction says, substituted and checked, and
 * what it does to the image's config (stepconf.c): the config-only
 * instructions applied, COPY/ADD's sources and destination, WORKDIR's
 * path, USER's ids, RUN's command. Internal to builder/.
 */
#ifndef BERTH_STEPCONF_H
#define BERTH_STEPCONF_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "copy.h"
#include "state.h"

/* A config-only instruction (or ARG) applied to st->config (st->args);
 * *created_by its history text (NULL for ARG, which has none). */
int stepconf_apply(struct build *b, struct stage_run *st, const struct df_instr *in,
		   char **created_by, struct berth_error *err);

struct stepconf_copy {
	char **sources; /* expanded */
	size_t n_sources;
	struct copy_inline *inline_files; /* heredoc sources, expanded when they say so */
	size_t n_inline;
	char *dest;	/* absolute: WORKDIR applied; a trailing '/' kept */
	char *from;	/* --from, expanded, or NULL */
	char *chown;	/* --chown, expanded, or NULL */
	char *checksum; /* ADD --checksum, or NULL */
	bool chmod;
	mode_t mode;
	char *text; /* the instruction after substitution, for the key */
};
int stepconf_copy_parse(struct build *b, struct stage_run *st, const struct df_instr *in,
			struct stepconf_copy *c, struct berth_error *err);
void stepconf_copy_clear(struct stepconf_copy *c);

/* WORKDIR's path: substituted, joined to the current one, set in the
 * config; into *dir. */
int stepconf_workdir(struct build *b, struct stage_run *st, const struct df_instr *in, char **dir,
		     struct berth_error *err);
/* The uid and gid of the config's User through the image's files (0:0
 * when none is set). */
int stepconf_user_ids(struct build *b, struct stage_run *st, uint32_t *uid, uint32_t *gid,
		      struct berth_error *err);

/* RUN's command as history shows it: "/bin/sh -c CMD" (the SHELL), or
 * the exec form's words. */
char *stepconf_run_text(struct stage_run *st, const struct df_instr *in);
/* ... and as argv (NULL-terminated): SHELL + the line (with its
 * heredocs, as the shell reads them), or the exec form's strings. */
char **stepconf_run_argv(struct stage_run *st, const struct df_instr *in);

/* The config's "config" object (made when missing). */
struct json_object *stepconf_cfg(struct stage_run *st);

#endif
