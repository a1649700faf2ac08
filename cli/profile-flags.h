/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * profile-flags.h: a resolved profile as run's flags (profile-flags.c),
 * for run --profile and for the sandboxes of a stack, and the checks of
 * a profile that only the store and the host can make. The flags go
 * through run's one parser (run-flags.h).
 */
#ifndef BERTH_CLI_PROFILE_FLAGS_H
#define BERTH_CLI_PROFILE_FLAGS_H

#include <stdbool.h>
#include <stddef.h>

#include "../lib/error.h"
#include "../profiles/profile.h"

struct profile_args {
	char **args; /* flags, NULL-terminated */
	size_t n_args;
	/* [environment] as NAME=VALUE, NULL-terminated: not among args, for
	 * a value must never reach a command line (/proc/PID/cmdline is
	 * every local user's to read): run --profile hands them to run in
	 * memory, up through a private file */
	char **env;
	size_t n_env;
	char *image; /* [sandbox] image, or NULL */
	char **cmd;  /* [sandbox] command split into words, or NULL */
	size_t n_cmd;
	bool limits_warn; /* [limits] if-unsupported = warn */
};

/* A stack's sandbox: its networks and declared volumes are the stack's
 * (NAME becomes STACK-NAME) and it is known by its sandbox name on them. */
struct profile_ctx {
	const char *stack, *sandbox;
	char **networks, **volumes; /* the stack's declared names */
};

/* The flags p stands for, in its order (base first). keep, when given,
 * drops settings the command line overrides; limits_why (non-NULL when
 * this machine cannot set resource limits) drops [limits] with a warning
 * under if-unsupported = warn. Relative paths (bind sources, env files)
 * are taken from the directory of the file that names them. */
int profile_run_args(const struct profile *p, const struct profile_ctx *ctx,
		     bool (*keep)(const struct profile_setting *s, void *arg), void *arg,
		     const char *limits_why, struct profile_args *out, struct berth_error *err);
void profile_args_free(struct profile_args *a);
/* Warnings to stderr, one line each: a ./NAME the search path passed
 * over, and each setting that widens the sandbox (profile_widenings,
 * with a stack's declared networks and volumes). Their number (the
 * widenings only): run goes on, profile check --strict fails. */
size_t profile_warn(const struct profile *p, char *const *networks, char *const *volumes);
/* A bare name found in the user's or the system's profiles while ./ has
 * one too: which one is used, said (every time). */
void profile_note_shadowed(const struct profile *p);
/* profile check --strict: the line saying why FILE fails; 1. */
int profile_fail_strict(const char *file, size_t n);
/* What only the store and the host can tell, each problem printed with
 * its file:line: the image, the secrets, the bind sources. */
int profile_check_store(const struct profile *p, bool check_image, struct berth_error *err);
/* The way to the host's loopback a profile asks for: host-loopback =
 * false with host-loopback-ports is an error, and so is asking for it at
 * all (host-loopback = true or ports) when berth.conf's [network]
 * host-loopback is false, unless the command line gives --host-loopback
 * itself (cli_given): a profile, maybe a repository's file, cannot lift
 * the user's own setting. The message names the profile's line. */
int profile_check_host_loopback(const struct profile *p, bool cli_given, struct berth_error *err);
/* The directory (absolute) of the file a setting came from: where its
 * relative paths start. */
char *profile_file_dir(const char *file);
#endif
