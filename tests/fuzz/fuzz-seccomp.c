// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-seccomp.c: libFuzzer target for docker-format JSON seccomp profiles
 * (--security-opt seccomp=FILE, a profile's [security] seccomp). A
 * profile that parses keeps the parser's bounds and becomes a libseccomp
 * filter or a one-line error naming it; one that does not parse is a
 * one-line error naming it. Never loaded: the fuzzer keeps its syscalls.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../runner/seccomp-json.h"
#include "../../lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(const struct berth_error *err)
{
	if (!err->msg || strncmp(err->msg, "seccomp profile fuzz", 20) != 0 ||
	    strchr(err->msg, '\n'))
		abort();
}

static void check_bounds(const struct seccomp_profile *p)
{
	if (p->n_rules > SECCOMP_PROFILE_MAX_RULES || p->n_arches > ARRAY_SIZE(p->arches))
		abort();
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct seccomp_profile_rule *r = &p->rules[i];
		if (r->n_names > SECCOMP_PROFILE_MAX_NAMES || r->n_args > SECCOMP_PROFILE_MAX_ARGS)
			abort();
		for (size_t j = 0; j < r->n_names; j++)
			if (!r->names[j] || strlen(r->names[j]) > 64)
				abort();
		for (size_t j = 0; j < r->n_args; j++)
			if (r->args[j].index > 5)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seccomp_profile p;
	struct berth_error err = { 0 };
	scmp_filter_ctx ctx = NULL;
	unsigned int flags = 0;
	/* the capabilities decide includes/excludes: some from the input */
	uint64_t caps = size ? (uint64_t)data[0] * 0x0101010101ULL : 0;

	if (seccomp_profile_parse((const char *)data, size, "fuzz", &p, &err) < 0) {
		check_error(&err);
		berth_error_clear(&err);
		return 0;
	}
	check_bounds(&p);
	if (seccomp_profile_build(&p, "fuzz", caps, &ctx, &flags, &err) < 0) {
		check_error(&err);
		berth_error_clear(&err);
	} else {
		seccomp_release(ctx);
	}
	seccomp_profile_clear(&p);
	return 0;
}
