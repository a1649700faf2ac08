// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-spec.c: libFuzzer target for the run flags a profile or a user
 * hands berth as text: -v, --mount, --tmpfs, --secret and -p specs, and the
 * path cleaner under them. Whatever parses is cleaned again (a clean path
 * is a fixed point, a target is absolute and never "/") and round-tripped
 * through config.json.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../netns/ports.h"
#include "../../runner/mountspec.h"
#include "../../runner/secretspec.h"
#include "../../lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_target(const struct mount_req *m)
{
	char *again = mountspec_clean_path(m->target);
	if (!again || strcmp(again, m->target) || !strcmp(m->target, "/"))
		abort();
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct mountspec_env env = { .cwd = "/tmp", .home = "/" };
	char *s = xstrndup((const char *)data, size);
	struct berth_error err = { 0 };
	struct mount_req m[3];
	struct secret_ref r;
	int ok[3];

	ok[0] = mountspec_parse_volume(s, &env, &m[0], &err) == 0;
	berth_error_clear(&err);
	ok[1] = mountspec_parse_mount(s, &env, &m[1], &err) == 0;
	berth_error_clear(&err);
	ok[2] = mountspec_parse_tmpfs(s, &m[2], &err) == 0;
	berth_error_clear(&err);
	for (int i = 0; i < 3; i++)
		if (ok[i]) {
			check_target(&m[i]);
			struct json_object *j = mountspec_to_json(&m[i], 1);
			struct mount_req *back = NULL;
			size_t n = 0;
			if (mountspec_from_json(j, &back, &n, &err) < 0 || n != 1 ||
			    strcmp(back[0].target, m[i].target) || back[0].kind != m[i].kind)
				abort();
			mount_reqs_free(back, n);
			json_object_put(j);
		}
	for (int i = 0; i < 3; i++)
		mount_req_clear(&m[i]);
	if (secretspec_parse(s, &r, &err) == 0 && (!r.target || (!r.env && r.target[0] != '/')))
		abort();
	berth_error_clear(&err);
	secret_ref_clear(&r);
	struct port_map *pm = NULL;
	size_t np = 0;
	if (ports_parse(s, &pm, &np, &err) == 0) {
		if (np == 0) /* a spec that parses publishes something */
			abort();
		ports_check_duplicates(pm, np, &err);
		berth_error_clear(&err);
		for (size_t i = 0; i < np; i++)
			if (pm[i].ctr_port == 0)
				abort();
	}
	berth_error_clear(&err);
	free(pm);
	char *c = mountspec_clean_path(s);
	if (c) {
		char *c2 = mountspec_clean_path(c);
		if (!c2 || strcmp(c, c2))
			abort();
		free(c2);
	}
	free(c);
	free(s);
	return 0;
}
