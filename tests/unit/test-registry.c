// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: the registry client's parsers: WWW-Authenticate challenges
 * (lib/http.c), registries.conf and the plain-HTTP rule (image/regconf.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../image/pull-policy.h"
#include "../../image/regconf.h"
#include "../../image/registry.h"
#include "../../lib/http.h"
#include "../../lib/util.h"
#include "../tap.h"

static const char *or_null(const char *s)
{
	return s ? s : "(null)";
}

/* header parses to scheme/realm/service/scope, or (want_scheme NULL) fails */
static void challenge(const char *header, const char *want_scheme, const char *realm,
		      const char *service, const char *scope)
{
	struct http_challenge c;
	int r = http_parse_challenge(header, &c);

	if (!want_scheme) {
		ok(r < 0, "refused: %s", or_null(header));
		http_challenge_clear(&c);
		return;
	}
	ok(r == 0 && !strcmp(or_null(c.scheme), want_scheme) &&
		   !strcmp(or_null(c.realm), or_null(realm)) &&
		   !strcmp(or_null(c.service), or_null(service)) &&
		   !strcmp(or_null(c.scope), or_null(scope)),
	   "%s -> %s realm=%s service=%s scope=%s", header, or_null(c.scheme), or_null(c.realm),
	   or_null(c.service), or_null(c.scope));
	http_challenge_clear(&c);
}

static void challenges(void)
{
	challenge("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
		  "scope=\"repository:library/busybox:pull\"",
		  "Bearer", "https://auth.docker.io/token", "registry.docker.io",
		  "repository:library/busybox:pull");
	challenge("Basic realm=\"Registry Realm\"", "Basic", "Registry Realm", NULL, NULL);
	challenge("bearer realm=https://h/t", "bearer", "https://h/t", NULL, NULL);
	challenge("Bearer  realm = \"https://h/t\" , service = \"s\"", "Bearer", "https://h/t", "s",
		  NULL);
	/* a comma and an escaped quote inside a quoted value */
	challenge("Bearer realm=\"https://h/t\",scope=\"repository:a:pull,push\",error=\"x\\\"y\"",
		  "Bearer", "https://h/t", NULL, "repository:a:pull,push");
	/* Bearer is preferred wherever it is */
	challenge("Basic realm=\"r\", Bearer realm=\"https://h/t\",service=\"s\"", "Bearer",
		  "https://h/t", "s", NULL);
	challenge("Negotiate, Basic realm=\"r\"", "Basic", "r", NULL, NULL);
	challenge("Bearer realm=\"https://h/t\", Basic realm=\"r\"", "Bearer", "https://h/t", NULL,
		  NULL);
	/* a token68 form and unknown parameters are skipped */
	challenge("Basic dXNlcjpwYXNz==, Bearer realm=\"https://x\",foo=bar", "Bearer", "https://x",
		  NULL, NULL);
	challenge("Negotiate", NULL, NULL, NULL, NULL);
	challenge("", NULL, NULL, NULL, NULL);
	challenge(NULL, NULL, NULL, NULL, NULL);
	challenge("Bearer realm=\"unterminated", NULL, NULL, NULL, NULL);
	challenge("\"Bearer\"", NULL, NULL, NULL, NULL);
}

static char dir[] = "/tmp/test-registry.XXXXXX";

static int load_text(const char *text, struct regconf *c, char **msg)
{
	_cleanup_free_ char *path = xasprintf("%s/registries.conf", dir);
	struct berth_error err = { 0 };
	FILE *f = fopen(path, "we");
	int r;

	fputs(text, f);
	fclose(f);
	setenv("BERTH_REGISTRIES_CONF", path, 1);
	r = regconf_load(c, &err);
	*msg = err.msg ? berth_error_text(&err) : NULL;
	berth_error_clear(&err);
	return r;
}

static void refused(const char *text, const char *want)
{
	struct regconf c;
	char *msg = NULL;
	int r = load_text(text, &c, &msg);

	ok(r < 0 && msg && strstr(msg, want), "refused with \"%s\": %s", want, or_null(msg));
	free(msg);
	regconf_clear(&c);
}

static void config(void)
{
	struct regconf c;
	char *msg = NULL;
	const struct regconf_registry *r;

	if (!mkdtemp(dir))
		return;
	ok(load_text("# mirrors\n[docker.io]\nmirror = 127.0.0.1:5000, mirror.example.com\n"
		     "[reg.example.com:5000]\ninsecure = true\n[other.example.com]\n"
		     "insecure = no\n",
		     &c, &msg) == 0,
	   "a registries.conf loads (%s)", or_null(msg));
	r = regconf_find(&c, "docker.io");
	ok(r && r->mirrors && !strcmp(r->mirrors[0], "127.0.0.1:5000") &&
		   !strcmp(or_null(r->mirrors[1]), "mirror.example.com") && !r->mirrors[2] &&
		   !r->insecure,
	   "docker.io has its two mirrors, in order");
	ok(regconf_plain_ok(&c, "reg.example.com:5000"), "insecure = true allows plain HTTP");
	ok(!regconf_plain_ok(&c, "other.example.com"), "insecure = no does not");
	ok(!regconf_plain_ok(&c, "reg.example.com"), "the port is part of the registry's name");
	ok(!regconf_plain_ok(&c, "docker.io"), "docker.io is HTTPS only");
	free(msg);
	regconf_clear(&c);
	refused("mirror = x\n", "registries.conf:1: unknown key \"mirror\" before any [registry]");
	refused("stall-timeout = 0\n", "registries.conf:1: stall-timeout: expected a whole number");
	refused("connect-timeout = 5s\n", "connect-timeout: expected a whole number from 1");
	refused("retries = 99\n", "retries: expected a whole number from 0 to 20");
	refused("[docker.io]\nretries = 1\n",
		"registries.conf:2: unknown key \"retries\" in [docker.io]");
	ok(load_text("# bounds\nconnect-timeout = 5\nstall-timeout = 7\nretries = 0\n[docker.io]\n"
		     "insecure = false\n",
		     &c, &msg) == 0 &&
		   c.connect_timeout == 5 && c.stall_timeout == 7 && c.attempts == 1 && c.n == 1,
	   "the global section's bounds load (%s)", or_null(msg));
	struct http_limits lim;
	regconf_http_limits(&c, &lim);
	ok(lim.connect_s == 5 && lim.stall_s == 7 && lim.attempts == 1,
	   "... and are the HTTP client's limits");
	free(msg);
	msg = NULL;
	regconf_clear(&c);
	refused("[https://x]\ninsecure = true\n", "a section is a registry");
	refused("[docker.io]\ninsecure = maybe\n", "registries.conf:2: insecure: expected true");
	refused("[docker.io]\nmirror = http://x\n", "registries.conf:2: mirror: expected HOST");
	refused("[docker.io]\nmirror = user@x\n", "mirror: expected HOST");
	refused("[docker.io]\nverify = false\n", "registries.conf:2: unknown key \"verify\"");
	refused("[docker.io\n", "registries.conf:1: not a valid INI line");
	setenv("BERTH_REGISTRIES_CONF", "/nonexistent/registries.conf", 1);
	ok(regconf_load(&c, NULL) == 0 && !c.found && c.n == 0, "a missing file is no settings");
	regconf_clear(&c);
	_cleanup_free_ char *path = xasprintf("%s/registries.conf", dir);
	unlink(path);
	rmdir(dir);
}

static void loopback(void)
{
	static const char *const yes[] = { "localhost",	     "localhost:5000", "127.0.0.1",
					   "127.0.0.1:5000", "127.1.2.3:80",   "[::1]:5000" };
	static const char *const no[] = { "10.0.0.1:5000",
					  "128.0.0.1",
					  "localhost.example.com",
					  "127.0.0.1.example.com",
					  "[::2]:5000",
					  "docker.io",
					  "localhos" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		ok(regconf_is_loopback(yes[i]) && regconf_plain_ok(NULL, yes[i]),
		   "%s: loopback, plain HTTP allowed", yes[i]);
	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		ok(!regconf_is_loopback(no[i]) && !regconf_plain_ok(NULL, no[i]),
		   "%s: not loopback, HTTPS only", no[i]);
}

static void link_is(const char *link, const char *want)
{
	_cleanup_free_ char *got = http_link_next(link, "http://127.0.0.1:5000");

	ok(want ? got && !strcmp(got, want) : !got, "Link %s: %s", or_null(link), or_null(got));
}

static void links(void)
{
	link_is("</v2/a/tags/list?last=b&n=2>; rel=\"next\"",
		"http://127.0.0.1:5000/v2/a/tags/list?last=b&n=2");
	link_is("</v2/a/tags/list?n=2&last=b>; rel=next",
		"http://127.0.0.1:5000/v2/a/tags/list?n=2&last=b");
	link_is("<http://127.0.0.1:5000/v2/x?last=1>; rel=\"prev next\"",
		"http://127.0.0.1:5000/v2/x?last=1");
	link_is("</p>; rel=\"prev\", </n>; rel=\"next\"", "http://127.0.0.1:5000/n");
	link_is("</v2/a>; rel=\"prev\"", NULL);
	link_is("<https://elsewhere.example/v2/a>; rel=\"next\"", NULL);
	link_is("<http://127.0.0.1:50001/v2/a>; rel=\"next\"", NULL);
	link_is("<//elsewhere.example/v2/a>; rel=\"next\"", NULL);
	link_is("</v2/a b>; rel=\"next\"", NULL);
	link_is("/v2/a; rel=next", NULL);
	link_is("</v2/a; rel=next", NULL);
	link_is("", NULL);
}

static void tags_are(const char *body, size_t max, int want_r, size_t want_n, const char *first)
{
	char **tags = xcalloc(1, sizeof(char *));
	size_t n = 0;
	struct berth_error err = { 0 };
	int r = registry_parse_tags(body, strlen(body), max, &tags, &n, &err);

	ok(r == want_r && n == want_n && (!first || (n && !strcmp(tags[0], first))),
	   "tags list %s: %d, %zu tags (%s)", body, r, n, or_null(err.msg));
	berth_error_clear(&err);
	strv_free(tags);
}

static void tags_lists(void)
{
	tags_are("{\"name\":\"a\",\"tags\":[\"1.0\",\"latest\"]}", 10, 0, 2, "1.0");
	tags_are("{\"name\":\"a\",\"tags\":null}", 10, 0, 0, NULL);
	tags_are("{\"name\":\"a\"}", 10, 0, 0, NULL);
	tags_are("{\"tags\":[\"ok\",\"../x\"]}", 10, -1, 1, NULL);
	tags_are("{\"tags\":[1]}", 10, -1, 0, NULL);
	tags_are("{\"tags\":\"latest\"}", 10, -1, 0, NULL);
	tags_are("[\"latest\"]", 10, -1, 0, NULL);
	tags_are("{\"tags\":[\"a\",\"b\",\"c\"]}", 2, -1, 2, NULL);
	tags_are("{\"tags\":[", 10, -1, 0, NULL);
}

static void pullable(void)
{
	ok(image_pullable("busybox") && image_pullable("quay.io/a/b:1") &&
		   image_pullable("localhost:5000/app") && image_pullable("127.0.0.1:5000/app"),
	   "names of registries are pulled when missing");
	ok(!image_pullable("localhost/app") && !image_pullable("localhost/app:1"),
	   "the store's own names (localhost/NAME) never are");
	ok(!image_pullable("Not/Valid") && !image_pullable(""), "nor what is no reference");
}

int main(void)
{
	pullable();
	challenges();
	links();
	tags_lists();
	config();
	loopback();
	return tap_done();
}
