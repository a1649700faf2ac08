/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * seccomp-json.h: docker-format JSON seccomp profiles (--security-opt
 * seccomp=FILE): reading one from a file, bounded; parsing it into a
 * plain struct that says every mistake in one line; and turning it into
 * a libseccomp filter for a container's capabilities (seccomp-json.c).
 */
#ifndef BERTH_SECCOMP_JSON_H
#define BERTH_SECCOMP_JSON_H

#include <json-c/json.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"

/* What a profile may weigh, and hold: docker's default is 20 KiB. */
#define SECCOMP_PROFILE_MAX_BYTES (256 * 1024)
#define SECCOMP_PROFILE_MAX_RULES 4096
#define SECCOMP_PROFILE_MAX_NAMES 1024 /* in one rule */
#define SECCOMP_PROFILE_MAX_ARGS 32    /* conditions of one rule */

struct seccomp_profile_arg {
	unsigned int index; /* 0-5 */
	enum scmp_compare op;
	uint64_t value, value_two; /* SCMP_CMP_MASKED_EQ: mask, then datum */
};

/* includes/excludes: architectures by docker's names (amd64, arm64...),
 * capabilities as a set, a minimum kernel as major.minor */
struct seccomp_profile_cond {
	char **arches;
	size_t n_arches;
	uint64_t caps;
	bool has_caps;
	unsigned int min_kernel[2];
	bool has_min_kernel;
};

struct seccomp_profile_rule {
	char **names;
	size_t n_names;
	uint32_t action; /* SCMP_ACT_*, with its errno or trace value */
	struct seccomp_profile_arg *args;
	size_t n_args;
	struct seccomp_profile_cond includes, excludes;
};

struct seccomp_profile {
	uint32_t default_action;
	uint32_t arches[16]; /* SCMP_ARCH_* tokens of the native ABI's family */
	size_t n_arches;
	unsigned int flags; /* SECCOMP_FILTER_FLAG_LOG, _SPEC_ALLOW */
	struct seccomp_profile_rule *rules;
	size_t n_rules;
};

/* Read path (at most SECCOMP_PROFILE_MAX_BYTES) and check it parses: the
 * JSON, for the container's record. Errors name the file. */
int seccomp_profile_read(const char *path, struct json_object **out, struct berth_error *err);
/* Parse a profile's JSON; origin names it in errors ("seccomp profile
 * ORIGIN: syscalls[2].action: ..."). */
int seccomp_profile_from_json(struct json_object *root, const char *origin,
			      struct seccomp_profile *p, struct berth_error *err);
/* The same from text (len bytes, not NUL-terminated). */
int seccomp_profile_parse(const char *text, size_t len, const char *origin,
			  struct seccomp_profile *p, struct berth_error *err);
void seccomp_profile_clear(struct seccomp_profile *p);

/* The profile as a libseccomp filter for a container with caps, on this
 * machine (its ABI and kernel decide includes and excludes); *flags: what
 * seccomp(2) is to be told when loading it. */
int seccomp_profile_build(const struct seccomp_profile *p, const char *origin, uint64_t caps,
			  scmp_filter_ctx *out, unsigned int *flags, struct berth_error *err);

#endif
