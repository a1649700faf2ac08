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
	/* each: a subuid file, the user asking, whether its ranges are safe,
	 * and what the report says when not */
	static const struct {
		const char *file, *text, *user;
		uid_t uid;
		bool safe;
		const char *why, *name;
	} cases[] = {
		{ "good", "alice:100000:65536\nbob:165536:65536\n", "alice", 1000, true, NULL,
		  "separate ranges beyond every account are safe" },
		{ "good", NULL, "carol", 1002, true, NULL,
		  "a user without a range has nothing unsafe" },
		{ "self", "alice:1000:65536\n", "alice", 1000, false, "holds your own id 1000",
		  "a range holding the user's own id is reported" },
		{ "byuid", "1000:900:200\n", "alice", 1000, false, NULL,
		  "a line naming the user by number counts too" },
		{ "over", "alice:100000:65536\nbob:150000:65536\n", "alice", 1000, false,
		  "overlaps bob's range 150000:65536",
		  "a range overlapping another user's is reported, naming them" },
		{ "acct", "alice:200000:65536\n", "alice", 1000, false,
		  "holds id 200500, which svc has",
		  "a range holding an account's id is reported, naming the account" },
		{ "two", "alice:100000:65536\nalice:120000:10\n", "alice", 1000, true, NULL,
		  "the user's own ranges may touch each other" },
	};
	char why[512];

	if (!mkdtemp(dir))
		return 1;
	_cleanup_free_ char *passwd = put("passwd", "root:x:0:0::/root:/bin/sh\n"
						    "alice:x:1000:1000::/home/alice:/bin/sh\n"
						    "bob:x:1001:1001::/home/bob:/bin/sh\n"
						    "svc:x:200500:200500::/:/bin/false\n");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		/* (a case without text reads the file of the one before) */
		_cleanup_free_ char *f = cases[i].text ? put(cases[i].file, cases[i].text)
						       : xasprintf("%s/%s", dir, cases[i].file);
		bool safe =
			userns_subid_safe(f, cases[i].user, cases[i].uid, passwd, why, sizeof(why));
		ok(safe == cases[i].safe && (!cases[i].why || strstr(why, cases[i].why)), "%s",
		   cases[i].name);
	}

	const char *files[] = { "passwd", "good", "self", "byuid", "over", "acct", "two" };
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
	return tap_done();
}
