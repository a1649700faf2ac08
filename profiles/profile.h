/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * profile.h: INI profiles and stacks, the API of profiles/ (profile.c;
 * the key table and the forms of values in keys.h, settings in
 * settings.h, which this header brings along; stacks in stack.c, what a
 * profile loosens in widen.c): parsing with inih, `extends` chains,
 * validation with file:line, and the resolved policy printed back as
 * INI. Nothing here runs anything: the CLI turns a resolved profile into
 * run's flags (cli/cmd-profile.c).
 *
 * A profile file:
 *
 *   extends = base.ini          ; before any section: the file it builds on
 *   description = CI job sandbox
 *
 *   [sandbox]   image, command, entrypoint, workdir, user, hostname, name,
 *               init, remove, detach, interactive, tty, env-file, userns
 *   [environment]   KEY = VALUE (any name)
 *   [labels]        KEY = VALUE (any name)
 *   [mounts]    volume, mount, tmpfs, volumes-from   (one per line)
 *   [secrets]   secret                               (one per line)
 *   [network]   mode, aliases, host-loopback, publish, publish-all, dns,
 *               add-host
 *   [security]  cap-add, cap-drop, seccomp, no-new-privileges, read-only
 *   [limits]    pids, memory, cpus, ulimit, if-unsupported
 *   [stop]      signal, timeout
 *
 * A stack file: [stack] (name, networks, volumes), then per sandbox NAME a
 * section [NAME] with the [sandbox] keys plus extends and depends-on, and
 * [NAME.SECTION] for its other sections ([backend.environment], ...).
 */
#ifndef BERTH_PROFILE_H
#define BERTH_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../lib/error.h"
#include "keys.h"
#include "settings.h"

/* Find name: a path (with a '/' or ending in .ini) as given, relative to
 * the working directory; a bare name on $XDG_CONFIG_HOME/berth/profiles
 * (~/.config/...), /etc/berth/profiles, then ./, trying NAME then
 * NAME.ini: a repository's ./NAME.ini never stands in for the user's own
 * NAME (the one passed over is named in shadowed). Parse
 * it and its extends chain (each relative to the file naming it). Errors
 * are one line "FILE:LINE: what" (a syntax error, an unknown section or
 * key with a did-you-mean, a duplicate key, a bad value saying what was
 * expected, an extends loop naming the chain, a missing file). */
int profile_load(const char *name, struct profile *out, struct berth_error *err);
/* The same from text (file names messages; extends refused): the fuzz
 * target's and the unit tests' entry. */
int profile_parse_text(const char *text, const char *file, struct profile *out,
		       struct berth_error *err);

/* The resolved policy as INI: sections in the table's order, each value
 * with a comment naming its file:line; secrets by name only (no
 * values exist in a profile, only references). */
void profile_write_ini(const struct profile *p, FILE *out);

/* ---- what a profile loosens (widen.c) ---- */

/* The settings of p (a resolved profile, or a stack's sandbox) that
 * widen the sandbox beyond berth's defaults, each one line
 * "FILE:LINE: [section] key = value: why", into a NULL-terminated *out.
 * Host paths (bind sources, env files, extends) count when they lead
 * out of the directory of p's top file, judged after ".." and symlinks
 * are resolved. networks and volumes: a stack's declared names, its own
 * (NULL for a profile). A profile that lives in the user's or the
 * system's profile directory is the user's own: nothing is listed. */
void profile_widenings(const struct profile *p, char *const *networks, char *const *volumes,
		       char ***out, size_t *n);

/* ---- stacks ---- */

struct stack_sandbox {
	char *name;
	struct profile prof; /* its sections, its extends applied */
	char **depends_on;   /* NULL-terminated */
	size_t n_deps;
};

struct stack {
	char *file;
	char *name;	 /* [stack] name, else the file's base name without .ini */
	char **networks; /* NULL-terminated: made by up, removed by down */
	size_t n_networks;
	char **volumes; /* NULL-terminated: made by up, kept by down unless -v */
	size_t n_volumes;
	struct stack_sandbox *sb; /* in dependency order (dependencies first) */
	size_t n_sb;
};

/* Parse and check a stack: every sandbox's keys as a profile's, an
 * unknown depends-on, a dependency cycle (naming it), a host port
 * published twice (naming both sandboxes), a network or volume that is
 * not declared but used by name... each "FILE:LINE: what". */
int stack_load(const char *path, struct stack *out, struct berth_error *err);
int stack_parse_text(const char *text, const char *file, struct stack *out,
		     struct berth_error *err);
void stack_free(struct stack *st);

#endif
