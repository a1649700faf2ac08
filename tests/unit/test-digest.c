// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: sha256 digests and references. */
#include <string.h>

#include "../../lib/digest.h"
#include "../../image/reference.h"
#include "../../lib/util.h"
#include "../tap.h"

static void norm_with(int (*f)(const char *, char **, struct berth_error *), const char *in,
		      const char *want)
{
	struct berth_error err = { 0 };
	char *out = NULL;
	int r = f(in, &out, &err);

	if (want) {
		is_str(r == 0 ? out : err.msg, want, in);
	} else {
		ok(r < 0 && err.msg && strstr(err.msg, "invalid reference"),
		   "\"%s\" is refused (%s)", in, err.msg ? err.msg : "accepted");
	}
	free(out);
	berth_error_clear(&err);
}

static void norm(const char *in, const char *want)
{
	norm_with(reference_normalize, in, want);
}

/* docker's rules, as a pull reads a reference */
static void hub(const char *in, const char *want)
{
	norm_with(reference_normalize_docker, in, want);
}

#define D64 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void docker_rules(void)
{
	struct reference r;
	struct berth_error err = { 0 };

	hub("busybox", "docker.io/library/busybox:latest");
	hub("busybox:1.36", "docker.io/library/busybox:1.36");
	hub("library/busybox", "docker.io/library/busybox:latest");
	hub("docker.io/busybox", "docker.io/library/busybox:latest");
	hub("index.docker.io/busybox:1", "docker.io/library/busybox:1");
	hub("docker.io/library/busybox", "docker.io/library/busybox:latest");
	hub("user/app", "docker.io/user/app:latest");
	hub("user/app:v2", "docker.io/user/app:v2");
	hub("user/team/app", "docker.io/user/team/app:latest");
	hub("localhost/x", "localhost/x:latest");
	hub("localhost:5000/x", "localhost:5000/x:latest");
	hub("127.0.0.1:5000/a/b:c", "127.0.0.1:5000/a/b:c");
	hub("host:5000/x", "host:5000/x:latest");
	hub("quay.io/podman/stable", "quay.io/podman/stable:latest");
	hub("registry.example.com/x", "registry.example.com/x:latest");
	hub("[::1]:5000/x", "[::1]:5000/x:latest");
	hub("busybox@sha256:" D64, "docker.io/library/busybox@sha256:" D64);
	hub("busybox:1@sha256:" D64, "docker.io/library/busybox:1@sha256:" D64);
	hub("127.0.0.1:5000/x@sha256:" D64, "127.0.0.1:5000/x@sha256:" D64);
	/* "localhost" alone is a repository, not a registry */
	hub("localhost", "docker.io/library/localhost:latest");
	hub("localhost:5000", "docker.io/library/localhost:5000");
	hub("Busybox", NULL);
	hub("host:5000/X", NULL);
	hub("busybox@sha256:abc", NULL);
	hub("busybox@sha512:" D64, NULL);
	hub("a//b", NULL);
	hub("/a", NULL);
	hub("a/", NULL);
	hub("", NULL);
	hub("ho$t:5000/x", NULL);

	ok(reference_parse("127.0.0.1:5000/a/b:c", REFERENCE_DOCKER_HUB, &r, &err) == 0 &&
		   !strcmp(r.domain, "127.0.0.1:5000") && !strcmp(r.path, "a/b") &&
		   !strcmp(r.tag, "c") && !r.digest,
	   "reference_parse splits domain, path and tag");
	reference_clear(&r);
	ok(reference_parse("x@sha256:" D64, REFERENCE_DOCKER_HUB, &r, &err) == 0 && !r.tag &&
		   r.digest && !strcmp(r.path, "library/x"),
	   "a digest reference has no tag");
	reference_clear(&r);
	berth_error_clear(&err);
}

static void split(const char *ref, const char *repo, const char *tag)
{
	char *r, *t;

	reference_split(ref, &r, &t);
	ok(!strcmp(r, repo) && !strcmp(t, tag), "split %s: %s %s", ref, r, t);
	free(r);
	free(t);
}

int main(void)
{
	char d[DIGEST_STR_LEN + 1];

	sha256_bytes("", 0, d);
	is_str(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "sha256 of nothing");
	sha256_bytes("abc", 3, d);
	is_str(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "sha256 of abc");
	ok(digest_valid(d), "a computed digest is valid");
	ok(!digest_valid("sha256:BA7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
	   "uppercase hex refused");
	ok(!digest_valid("sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
	   "other algorithms refused");
	ok(!digest_valid("sha256:ba78"), "short digest refused");
	ok(!digest_valid(NULL), "NULL refused");

	norm("busybox", "localhost/busybox:latest");
	norm("busybox:1.36", "localhost/busybox:1.36");
	norm("library/busybox", "localhost/library/busybox:latest");
	norm("localhost/a/b:c", "localhost/a/b:c");
	norm("quay.io/podman/stable", "quay.io/podman/stable:latest");
	norm("127.0.0.1:5000/x:y", "127.0.0.1:5000/x:y");
	norm("a_b__c-d.e", "localhost/a_b__c-d.e:latest");
	norm("x@sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	     "localhost/x@sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	norm("Busybox", NULL);
	norm("a:b:c", NULL);
	norm("a/../b", NULL);
	norm("", NULL);
	norm("a:", NULL);
	norm("-a", NULL);
	docker_rules();
	split("localhost/a:b", "localhost/a", "b");
	split("127.0.0.1:5000/a:b", "127.0.0.1:5000/a", "b");
	split("127.0.0.1:5000/a@sha256:" D64, "127.0.0.1:5000/a", "<none>");
	ok(reference_valid_tag("v1.0_rc-2"), "tag grammar accepts v1.0_rc-2");
	ok(!reference_valid_tag(".hidden"), "a tag cannot start with a dot");
	return tap_done();
}
