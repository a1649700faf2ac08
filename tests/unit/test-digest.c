// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: sha256 digests and references. */
#include <string.h>

#include "../../lib/digest.h"
#include "../../image/reference.h"
#include "../../lib/util.h"
#include "../tap.h"

static void norm(const char *in, const char *want)
{
	struct berth_error err = { 0 };
	char *out = NULL;
	int r = reference_normalize(in, &out, &err);

	if (want) {
		is_str(r == 0 ? out : err.msg, want, in);
	} else {
		ok(r < 0 && err.msg && strstr(err.msg, "invalid reference"),
		   "\"%s\" is refused (%s)", in, err.msg ? err.msg : "accepted");
	}
	free(out);
	berth_error_clear(&err);
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
	ok(reference_valid_tag("v1.0_rc-2"), "tag grammar accepts v1.0_rc-2");
	ok(!reference_valid_tag(".hidden"), "a tag cannot start with a dot");
	return tap_done();
}
