// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: a container's command and environment from the image's
 * config and the run flags (docker's precedence), and capability sets. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../runner/caps.h"
#include "../../runner/spec.h"
#include "../../lib/util.h"
#include "../tap.h"

static bool has(char **v, const char *s)
{
	for (; *v; v++)
		if (strcmp(*v, s) == 0)
			return true;
	return false;
}

int main(void)
{
	struct json_object *img = json_tokener_parse(
		"{\"config\": {\"Entrypoint\": [\"/ep\"], \"Cmd\": [\"a\", \"b\"],"
		" \"Env\": [\"PATH=/img\", \"KEEP=1\", \"OVER=img\"], \"WorkingDir\": \"/w\","
		" \"User\": \"app\"}}");
	struct json_object *bare = json_tokener_parse("{\"config\": {}}");
	struct berth_error err = { 0 };
	struct spec sp;
	char *cmd[] = { "x", "y" };
	char *env[] = { "OVER=flag", "NEW=2", "FROMHOST" };
	char tmpl[] = "/tmp/test-spec.XXXXXX";
	int fd = mkstemp(tmpl);

	struct spec_flags f = { .hostname = "h" };
	ok(spec_resolve(&f, img, &sp, &err) == 0, "resolve with the image's defaults");
	ok(sp.n_argv == 3 && !strcmp(sp.argv[0], "/ep") && !strcmp(sp.argv[2], "b"),
	   "command: Entrypoint + Cmd");
	ok(has(sp.env, "PATH=/img") && has(sp.env, "HOSTNAME=h"), "image PATH kept, HOSTNAME set");
	is_str(sp.workdir, "/w", "WorkingDir from the image");
	is_str(sp.user, "app", "User from the image");
	spec_clear(&sp);

	f.cmd = cmd;
	f.n_cmd = 2;
	ok(spec_resolve(&f, img, &sp, &err) == 0 && sp.n_argv == 3 && !strcmp(sp.argv[1], "x"),
	   "arguments replace Cmd, not Entrypoint");
	spec_clear(&sp);
	f.entrypoint = "/other";
	ok(spec_resolve(&f, img, &sp, &err) == 0 && sp.n_argv == 3 && !strcmp(sp.argv[0], "/other"),
	   "--entrypoint replaces Entrypoint");
	spec_clear(&sp);
	f.n_cmd = 0;
	ok(spec_resolve(&f, img, &sp, &err) == 0 && sp.n_argv == 1,
	   "--entrypoint without arguments drops the image's Cmd");
	spec_clear(&sp);
	f.entrypoint = "";
	ok(spec_resolve(&f, img, &sp, &err) < 0 && strstr(err.msg, "no command"),
	   "no command at all is an error");
	berth_error_clear(&err);
	spec_clear(&sp);

	dprintf(fd, "# comment\n\n  FILE=1\nOVER=file\r\n");
	close(fd);
	setenv("FROMHOST", "hv", 1);
	char *files[] = { tmpl };
	struct spec_flags g = { .hostname = "h",
				.env = env,
				.n_env = 3,
				.env_files = files,
				.n_env_files = 1,
				.workdir = "/x",
				.user = "1:2" };
	ok(spec_resolve(&g, img, &sp, &err) == 0, "resolve with flags");
	ok(has(sp.env, "FILE=1") && has(sp.env, "OVER=flag") && has(sp.env, "NEW=2") &&
		   has(sp.env, "KEEP=1") && has(sp.env, "FROMHOST=hv") &&
		   !has(sp.env, "OVER=img") && !has(sp.env, "OVER=file"),
	   "env: image < env-file < -e, KEY alone from the host, comments skipped");
	is_str(sp.workdir, "/x", "-w wins");
	is_str(sp.user, "1:2", "-u wins");
	spec_clear(&sp);
	unlink(tmpl);

	struct spec_flags h = { .hostname = "h", .cmd = cmd, .n_cmd = 1 };
	ok(spec_resolve(&h, bare, &sp, &err) == 0 &&
		   has(sp.env,
		       "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") &&
		   !strcmp(sp.workdir, "/") && !sp.user,
	   "an image without config: default PATH, /, root");
	spec_clear(&sp);
	char *bad[] = { "=x" };
	h.env = bad;
	h.n_env = 1;
	ok(spec_resolve(&h, bare, &sp, &err) < 0 && strstr(err.msg, "-e"), "-e =x is refused");
	berth_error_clear(&err);
	spec_clear(&sp);

	uint64_t set;
	char *all[] = { "ALL" }, *nbs[] = { "net_bind_service" }, *nope[] = { "CAP_NOPE" };
	/* podman's eleven: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID
	 * SETPCAP NET_BIND_SERVICE SYS_CHROOT SETFCAP */
	ok(caps_compute(NULL, 0, NULL, 0, &set, &err) == 0 && set == caps_default() &&
		   set == 0x800405fbULL,
	   "podman's default capability set (no NET_RAW, MKNOD, AUDIT_WRITE)");
	ok(caps_compute(nbs, 1, all, 1, &set, &err) == 0 && set == (1ULL << 10),
	   "--cap-drop ALL then --cap-add net_bind_service");
	ok(caps_compute(nope, 1, NULL, 0, &set, &err) < 0 && strstr(err.msg, "CAP_NOPE") &&
		   strstr(err.msg, "--cap-add"),
	   "an unknown capability names the flag");
	berth_error_clear(&err);
	_cleanup_free_ char *fmt = caps_format(1ULL << 10 | 1ULL);
	is_str(fmt, "CAP_CHOWN,CAP_NET_BIND_SERVICE", "sets print as names");

	json_object_put(img);
	json_object_put(bare);
	return tap_done();
}
