// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-credentials.c: libFuzzer target for the credential files berth
 * reads (image/credentials.c): an auth.json or docker config.json as
 * another tool (or an attacker who can write one) left it, looked up
 * for a few registries, and its keys read as registry names. What a
 * lookup gives must be whole: a user and a secret, or a helper name
 * that passes credhelper_name_ok.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../image/credentials.h"
#include "../../image/credhelper.h"
#include "../../lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const hosts[] = { "docker.io", "127.0.0.1:5000", "reg.lan" };
	char *s = xmalloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		struct berth_error err = { 0 };
		struct cred c;
		char *helper = NULL;
		int r = cred_parse(s, size, "fuzz.json", hosts[i], &c, &helper, &err);
		if ((r == 1 && (!c.user || !c.secret)) ||
		    (r == 2 && (!helper || !credhelper_name_ok(helper))) || (r < 0 && !err.msg))
			abort();
		cred_clear(&c);
		free(helper);
		berth_error_clear(&err);
	}
	free(cred_key_host(s));
	free(s);
	return 0;
}
