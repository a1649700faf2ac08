// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: -v, --mount, --tmpfs and --secret parsing (docker's shapes
 * and refusals), target cleaning, ordering and the config.json round trip. */
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "../../runner/mountspec.h"
#include "../../runner/secretspec.h"
#include "../../lib/util.h"
#include "../tap.h"

static const struct mountspec_env env = { .cwd = "/tmp", .home = "/" };

static int vol(const char *arg, struct mount_req *m)
{
	struct berth_error err = { 0 };
	int r = mountspec_parse_volume(arg, &env, m, &err);
	berth_error_clear(&err);
	return r;
}

static int mnt(const char *arg, struct mount_req *m)
{
	struct berth_error err = { 0 };
	int r = mountspec_parse_mount(arg, &env, m, &err);
	berth_error_clear(&err);
	return r;
}

/* The message a refused spec gives, for the checks on wording. */
static char *vol_error(const char *arg)
{
	struct berth_error err = { 0 };
	struct mount_req m;
	char *t = NULL;
	if (mountspec_parse_volume(arg, &env, &m, &err) < 0)
		t = xstrdup(err.msg);
	berth_error_clear(&err);
	mount_req_clear(&m);
	return t;
}

static void test_clean(void)
{
	char *p;
	is_str(p = mountspec_clean_path("/a//b/./c/"), "/a/b/c", "clean: // and . go");
	free(p);
	is_str(p = mountspec_clean_path("/a/../../b"), "/b", "clean: .. stops at /");
	free(p);
	is_str(p = mountspec_clean_path("/.."), "/", "clean: /.. is /");
	free(p);
	ok(mountspec_clean_path("rel/x") == NULL, "clean: a relative path is refused");
}

static void test_volume(void)
{
	struct mount_req m;
	char *e;

	ok(vol("/data", &m) == 0 && m.kind == MOUNT_VOLUME && m.anonymous && !m.source &&
		   !strcmp(m.target, "/data"),
	   "-v /data: an anonymous volume");
	mount_req_clear(&m);
	ok(vol("/data:ro", &m) == 0 && m.anonymous && m.readonly,
	   "-v /data:ro: options, no source");
	mount_req_clear(&m);
	ok(vol("cache:/var/cache", &m) == 0 && m.kind == MOUNT_VOLUME && !m.anonymous &&
		   !strcmp(m.source, "cache"),
	   "-v NAME:DST: a named volume");
	mount_req_clear(&m);
	ok(vol("cache:/c:ro,nocopy", &m) == 0 && m.readonly && m.nocopy, "-v NAME:DST:ro,nocopy");
	mount_req_clear(&m);
	ok(vol("/tmp:/host-tmp:rw,z", &m) == 0 && m.kind == MOUNT_BIND && !m.readonly &&
		   m.selinux_opt && !strcmp(m.source, "/tmp"),
	   "-v /abs:DST:z: a bind, z noted");
	mount_req_clear(&m);
	ok(vol(".:/w", &m) == 0 && m.kind == MOUNT_BIND && !strcmp(m.source, "/tmp"),
	   "-v .:DST: relative to the working directory");
	mount_req_clear(&m);
	ok(vol("~:/h:noexec", &m) == 0 && !strcmp(m.source, "/") && (m.flags & MS_NOEXEC),
	   "-v ~:DST: from $HOME, noexec kept");
	mount_req_clear(&m);
	ok(vol("/tmp:/a/../b", &m) == 0 && !strcmp(m.target, "/b"), "the target is cleaned");
	mount_req_clear(&m);

	const char *bad[] = { "::",	   "",
			      ":/x",	   "/x:",
			      "a:b:c:d",   "rel/x:/x",
			      "x:/x",	   "n:rel",
			      "n:/",	   "n:/x:bogus",
			      "n:/x:U",	   "n:/x:shared",
			      "~other:/x", "/no/such/dir/here:/x" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		ok(vol(bad[i], &m) < 0, "-v \"%s\" is refused", bad[i]);
		mount_req_clear(&m);
	}
	e = vol_error("rel/x:/x");
	ok(e && strstr(e, "rel/x") && strstr(e, "./"), "... naming the spec and the ./ way");
	free(e);
	e = vol_error("/no/such/dir/here:/x");
	ok(e && strstr(e, "bind source /no/such/dir/here"), "a missing bind source is named");
	free(e);
}

static void test_mount(void)
{
	struct mount_req m;

	ok(mnt("type=bind,src=/tmp,dst=/t,readonly", &m) == 0 && m.kind == MOUNT_BIND &&
		   m.readonly && !strcmp(m.target, "/t"),
	   "--mount type=bind,...,readonly");
	mount_req_clear(&m);
	ok(mnt("type=volume,source=v1,target=/v,volume-nocopy=true", &m) == 0 && m.nocopy &&
		   !strcmp(m.source, "v1"),
	   "--mount type=volume with a name and nocopy");
	mount_req_clear(&m);
	ok(mnt("dst=/anon", &m) == 0 && m.kind == MOUNT_VOLUME && m.anonymous,
	   "--mount without type: an anonymous volume");
	mount_req_clear(&m);
	ok(mnt("type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1777", &m) == 0 &&
		   m.kind == MOUNT_TMPFS && !strcmp(m.options, "size=1m,mode=1777"),
	   "--mount type=tmpfs with size and mode");
	mount_req_clear(&m);
	const char *bad[] = { "type=bind,foo=1,dst=/x",
			      "type=bind,dst=/x",
			      "type=volume,dst=rel",
			      "type=tmpfs,src=x,dst=/t",
			      "type=bind,src=/tmp,dst=/t,tmpfs-size=1",
			      "type=nfs,dst=/x",
			      "type=volume,src=a/b,dst=/x",
			      "src=v",
			      "type=tmpfs,dst=/t,tmpfs-size=lots",
			      "dst=/x,readonly=maybe",
			      "type=bind,src=/tmp,dst=/x,bind-propagation=shared" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		ok(mnt(bad[i], &m) < 0, "--mount \"%s\" is refused", bad[i]);
		mount_req_clear(&m);
	}
}

static void test_tmpfs_and_order(void)
{
	struct berth_error err = { 0 };
	struct mount_req m[4] = { 0 };

	ok(mountspec_parse_tmpfs("/run:exec,size=2m", &m[0], &err) == 0 &&
		   !(m[0].flags & MS_NOEXEC) && (m[0].flags & MS_NOSUID) &&
		   !strcmp(m[0].options, "size=2m"),
	   "--tmpfs PATH:exec,size=2m");
	ok(mountspec_parse_tmpfs("/x:bogus", &m[1], &err) < 0, "--tmpfs with an unknown option");
	berth_error_clear(&err);
	mount_req_clear(&m[1]);
	vol("/app/node_modules", &m[1]);
	vol("/tmp:/app", &m[2]);
	vol("/app/node_modules/.cache", &m[3]);
	mountspec_sort(m + 1, 3);
	ok(!strcmp(m[1].target, "/app") && !strcmp(m[2].target, "/app/node_modules") &&
		   !strcmp(m[3].target, "/app/node_modules/.cache"),
	   "parents are mounted before their children");
	ok(mountspec_check_duplicates(m, 4, &err) == 0, "distinct targets pass");
	free(m[3].target);
	m[3].target = xstrdup("/app");
	ok(mountspec_check_duplicates(m, 4, &err) < 0 && strstr(err.msg, "duplicate mount point"),
	   "two mounts on one target are refused");
	berth_error_clear(&err);

	struct json_object *j = mountspec_to_json(m, 4);
	struct mount_req *back = NULL;
	size_t n = 0;
	ok(mountspec_from_json(j, &back, &n, &err) == 0 && n == 4 && back[0].kind == MOUNT_TMPFS &&
		   !strcmp(back[0].options, "size=2m") && back[2].kind == MOUNT_VOLUME &&
		   back[2].anonymous && back[1].kind == MOUNT_BIND &&
		   !strcmp(back[1].source, "/tmp"),
	   "config.json round trip");
	mount_reqs_free(back, n);
	json_object_put(j);
	j = json_tokener_parse("[{\"Type\":\"nfs\",\"Destination\":\"/x\"}]");
	ok(mountspec_from_json(j, &back, &n, &err) < 0, "a record with an unknown type is refused");
	berth_error_clear(&err);
	json_object_put(j);
	for (size_t i = 0; i < 4; i++)
		mount_req_clear(&m[i]);
}

static void test_secret(void)
{
	struct berth_error err = { 0 };
	struct secret_ref r;

	ok(secretspec_parse("tok", &r, &err) == 0 && !r.env && r.mode == 0444 &&
		   !strcmp(r.target, "/run/secrets/tok"),
	   "--secret NAME: /run/secrets/NAME, 0444");
	secret_ref_clear(&r);
	ok(secretspec_parse("source=tok,target=/etc/k,mode=0400,uid=5,gid=6", &r, &err) == 0 &&
		   r.mode == 0400 && r.uid == 5 && r.gid == 6 && !strcmp(r.target, "/etc/k"),
	   "--secret with an absolute target, mode and owner");
	secret_ref_clear(&r);
	ok(secretspec_parse("tok,target=sub", &r, &err) == 0 &&
		   !strcmp(r.target, "/run/secrets/sub"),
	   "a relative target is under /run/secrets");
	secret_ref_clear(&r);
	ok(secretspec_parse("tok,type=env", &r, &err) == 0 && r.env && !strcmp(r.target, "tok"),
	   "type=env: the variable is the name");
	secret_ref_clear(&r);
	const char *bad[] = { "",
			      "a/b",
			      "tok,type=file",
			      "tok,mode=9",
			      "tok,mode=abc",
			      "tok,type=env,mode=0400",
			      "tok,type=env,target=1X",
			      "tok,what=1",
			      "tok,target=/",
			      "tok,uid=-1" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		ok(secretspec_parse(bad[i], &r, &err) < 0, "--secret \"%s\" is refused", bad[i]);
		berth_error_clear(&err);
		secret_ref_clear(&r);
	}
}

int main(void)
{
	test_clean();
	test_volume();
	test_mount();
	test_tmpfs_and_order();
	test_secret();
	return tap_done();
}
