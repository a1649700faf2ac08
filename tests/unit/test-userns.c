// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: the safety of a user's subordinate id ranges
 * (userns_subid_safe): a range must not hold the user's own id, another
 * user's range, or an account's id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/userns.h"
#include "../../lib/util.h"
#include "../tap.h"

static char dir[] = "/tmp/test-userns.XXXXXX";

static char *put(const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "we");
	fputs(text, f);
	fclose(f);
	return p;
}

int main(void)
{
	char why[512];

	if (!mkdtemp(dir))
		return 1;
	_cleanup_free_ char *passwd = put("passwd", "root:x:0:0::/root:/bin/sh\n"
						    "alice:x:1000:1000::/home/alice:/bin/sh\n"
						    "bob:x:1001:1001::/home/bob:/bin/sh\n"
						    "svc:x:200500:200500::/:/bin/false\n");
	_cleanup_free_ char *good = put("good", "alice:100000:65536\nbob:165536:65536\n");
	ok(userns_subid_safe(good, "alice", 1000, passwd, why, sizeof(why)),
	   "separate ranges beyond every account are safe");
	ok(userns_subid_safe(good, "carol", 1002, passwd, why, sizeof(why)),
	   "a user without a range has nothing unsafe");

	_cleanup_free_ char *self = put("self", "alice:1000:65536\n");
	ok(!userns_subid_safe(self, "alice", 1000, passwd, why, sizeof(why)) &&
		   strstr(why, "holds your own id 1000"),
	   "a range holding the user's own id is reported");

	_cleanup_free_ char *byuid = put("byuid", "1000:900:200\n");
	ok(!userns_subid_safe(byuid, "alice", 1000, passwd, why, sizeof(why)),
	   "a line naming the user by number counts too");

	_cleanup_free_ char *over = put("over", "alice:100000:65536\nbob:150000:65536\n");
	ok(!userns_subid_safe(over, "alice", 1000, passwd, why, sizeof(why)) &&
		   strstr(why, "overlaps bob's range 150000:65536"),
	   "a range overlapping another user's is reported, naming them");

	_cleanup_free_ char *acct = put("acct", "alice:200000:65536\n");
	ok(!userns_subid_safe(acct, "alice", 1000, passwd, why, sizeof(why)) &&
		   strstr(why, "holds id 200500, which svc has"),
	   "a range holding an account's id is reported, naming the account");

	_cleanup_free_ char *two = put("two", "alice:100000:65536\nalice:120000:10\n");
	ok(userns_subid_safe(two, "alice", 1000, passwd, why, sizeof(why)),
	   "the user's own ranges may touch each other");

	const char *files[] = { "passwd", "good", "self", "byuid", "over", "acct", "two" };
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
	return tap_done();
}
