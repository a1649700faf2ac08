// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: the user's berth.conf (lib/userconf.c): defaults when the
 * file is missing, values read, and each kind of mistake refused with
 * FILE:LINE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/userconf.h"
#include "../../lib/util.h"
#include "../tap.h"

static char dir[] = "/tmp/test-userconf.XXXXXX";

/* write text to the config file, load it; returns the load's result and
 * leaves the error text (or NULL) in *msg */
static int load_text(const char *text, struct userconf *c, char **msg)
{
	_cleanup_free_ char *path = xasprintf("%s/berth.conf", dir);
	struct berth_error err = { 0 };
	FILE *f = fopen(path, "we");
	int r;

	if (text) {
		fputs(text, f);
		fclose(f);
	} else {
		fclose(f);
		unlink(path);
	}
	setenv("BERTH_CONFIG", path, 1);
	r = userconf_load(c, &err);
	*msg = err.msg ? berth_error_text(&err) : NULL;
	berth_error_clear(&err);
	return r;
}

int main(void)
{
	/* mistakes, each refused with a message naming file:line */
	static const struct {
		const char *text, *want, *name;
	} bad[] = {
		{ "[network]\nhost-lopback = false\n",
		  "berth.conf:2: unknown key \"host-lopback\" in [network]",
		  "an unknown key names file:line and the key" },
		{ "\n\n[nope]\nx = 1\n", "berth.conf:4: unknown section [nope]",
		  "an unknown section names the line of its first key" },
		{ "[network]\nhost-loopback = maybe\n",
		  "berth.conf:2: host-loopback: expected true or false (got \"maybe\")",
		  "a bad boolean says what was expected" },
		{ "host-loopback = false\n", "berth.conf:1: a key outside any section",
		  "a key before any section is refused" },
		{ "[network\n", "berth.conf:1: not a valid INI line",
		  "a broken section header is a syntax error with its line" },
	};
	struct userconf c;
	char *msg;

	if (!mkdtemp(dir))
		return 1;
	ok(load_text(NULL, &c, &msg) == 0 && !c.found, "a missing file is the defaults");
	ok(c.host_loopback, "host-loopback is on by default");
	userconf_clear(&c);

	ok(load_text("# mine\n[network]\nhost-loopback = false\n", &c, &msg) == 0 && c.found,
	   "a file is read");
	ok(!c.host_loopback, "host-loopback = false is read");
	userconf_clear(&c);

	ok(load_text("[network]\nhost-loopback = no\n", &c, &msg) == 0 && !c.host_loopback,
	   "yes/no are booleans too");
	userconf_clear(&c);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ok(load_text(bad[i].text, &c, &msg) < 0 && msg && strstr(msg, bad[i].want), "%s",
		   bad[i].name);
		free(msg);
		userconf_clear(&c);
	}

	/* [limits]: the defaults the docs give, and sizes with suffixes */
	ok(load_text(NULL, &c, &msg) == 0 && c.max_depth == 512 && c.max_layer_entries == 1 << 20 &&
		   c.max_image_entries == 2 << 20 && c.max_layer_size == 256ULL << 30 &&
		   c.max_image_size == 1ULL << 40,
	   "[limits] defaults: depth 512, entries 1M/2M, sizes 256G/1T");
	userconf_clear(&c);
	ok(load_text("[limits]\nmax-depth = 4096\nmax-layer-entries = 50000\n"
		     "max-layer-size = 16M\nmax-image-size = 0\n",
		     &c, &msg) == 0 &&
		   c.max_depth == 4096 && c.max_layer_entries == 50000 &&
		   c.max_layer_size == 16 << 20 && c.max_image_size == 0 &&
		   c.max_image_entries == 2 << 20,
	   "[limits] values are read, the others keep their defaults");
	userconf_clear(&c);
	int r = load_text("[limits]\nmax-depth = deep\n", &c, &msg);
	ok(r < 0 && msg && strstr(msg, "berth.conf:2: max-depth: expected a number"),
	   "a limit that is no number names file:line: %s", msg ? msg : "accepted");
	free(msg);
	userconf_clear(&c);

	_cleanup_free_ char *path = xasprintf("%s/berth.conf", dir);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
