// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: the credential files (image/credentials.c: auth.json and
 * docker's config.json, keys, berth's own file written and erased), the
 * helper names (image/credhelper.c) and certs.d directories
 * (image/certdir.c). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../image/certdir.h"
#include "../../image/credentials.h"
#include "../../image/credhelper.h"
#include "../../lib/util.h"
#include "../tap.h"

static const char *or_null(const char *s)
{
	return s ? s : "(null)";
}

static void key_host(const char *key, const char *want)
{
	_cleanup_free_ char *h = cred_key_host(key);

	ok(!strcmp(or_null(h), or_null(want)), "key %s names %s (%s)", key, or_null(want),
	   or_null(h));
}

static void keys(void)
{
	key_host("127.0.0.1:5000", "127.0.0.1:5000");
	key_host("https://index.docker.io/v1/", "docker.io");
	key_host("index.docker.io", "docker.io");
	key_host("registry-1.docker.io", "docker.io");
	key_host("docker.io", "docker.io");
	key_host("https://quay.io", "quay.io");
	key_host("http://reg.lan:5000/v2/", "reg.lan:5000");
	key_host("quay.io/team", NULL); /* podman's namespace key: not used */
	key_host("https://", NULL);
	key_host("", NULL);
	_cleanup_free_ char *hub = cred_helper_server("docker.io");
	_cleanup_free_ char *other = cred_helper_server("quay.io");
	is_str(hub, "https://index.docker.io/v1/", "docker.io's helper server is docker's");
	is_str(other, "quay.io", "another registry's is its name");
}

/* doc says for host: want 1 (user/secret), 2 (helper), 0, -1 */
static void parse(const char *doc, const char *host, int want, const char *a, const char *b)
{
	struct cred c;
	struct berth_error err = { 0 };
	char *helper = NULL;
	int r = cred_parse(doc, strlen(doc), "auth.json", host, &c, &helper, &err);
	bool good = r == want;

	if (good && want == 1)
		good = !strcmp(or_null(c.user), a) && !strcmp(or_null(c.secret), b);
	if (good && want == 2)
		good = !strcmp(or_null(helper), a);
	if (good && want == -1) /* the message names the file, never a secret */
		good = err.msg && strstr(err.msg, "auth.json") && !strstr(err.msg, "hunter2");
	ok(good, "%s for %s: %d (want %d)%s%s", doc, host, r, want, err.msg ? ": " : "",
	   err.msg ? err.msg : "");
	cred_clear(&c);
	free(helper);
	berth_error_clear(&err);
}

static void documents(void)
{
	/* base64("alice:hunter2") and ("bob:pa:ss") */
	parse("{\"auths\": {\"127.0.0.1:5000\": {\"auth\": \"YWxpY2U6aHVudGVyMg==\"}}}",
	      "127.0.0.1:5000", 1, "alice", "hunter2");
	parse("{\"auths\": {\"127.0.0.1:5000\": {\"auth\": \"YWxpY2U6aHVudGVyMg==\"}}}",
	      "127.0.0.1:5001", 0, NULL, NULL);
	parse("{\"auths\": {\"https://index.docker.io/v1/\": {\"auth\": \"Ym9iOnBhOnNz\"}}}",
	      "docker.io", 1, "bob", "pa:ss");
	parse("{\"auths\": {\"https://reg.lan/v1/\": {\"auth\": \"Ym9iOnBhOnNz\"}, \"reg.lan\": "
	      "{\"auth\": \"YWxpY2U6aHVudGVyMg==\"}}}",
	      "reg.lan", 1, "alice", "hunter2"); /* the exact key first */
	parse("{\"auths\": {\"reg.lan\": {}}}", "reg.lan", 0, NULL, NULL);
	parse("{\"auths\": {\"reg.lan\": {\"auth\": \"\"}}}", "reg.lan", 0, NULL, NULL);
	parse("{\"auths\": {\"reg.lan\": {\"auth\": \"YWxpY2U6aHVudGVyMg==\"}}, \"credHelpers\": "
	      "{\"reg.lan\": \"pass\"}}",
	      "reg.lan", 2, "pass", NULL); /* a helper for the registry wins */
	parse("{\"auths\": {\"reg.lan\": {\"auth\": \"YWxpY2U6aHVudGVyMg==\"}}, \"credsStore\": "
	      "\"secretservice\"}",
	      "reg.lan", 1, "alice", "hunter2"); /* auths before the store */
	parse("{\"auths\": {}, \"credsStore\": \"secretservice\"}", "quay.io", 2, "secretservice",
	      NULL);
	parse("{\"credHelpers\": {\"https://index.docker.io/v1/\": \"ecr-login\"}}", "docker.io", 2,
	      "ecr-login", NULL);
	parse("{\"credHelpers\": {\"reg.lan\": \"../../bin/sh\"}}", "reg.lan", -1, NULL, NULL);
	parse("{\"auths\": {\"reg.lan\": {\"auth\": \"aHVudGVyMg==\"}}}", "reg.lan", -1, NULL,
	      NULL); /* "hunter2": no colon */
	parse("{\"auths\": {\"reg.lan\": {\"auth\": \"not base64!\"}}}", "reg.lan", -1, NULL, NULL);
	parse("{\"auths\": {\"reg.lan\": {\"auth\": \"YQBiOmM=\"}}}", "reg.lan", -1, NULL,
	      NULL); /* a NUL inside */
	parse("[1, 2]", "reg.lan", -1, NULL, NULL);
	parse("{\"auths\": ", "reg.lan", -1, NULL, NULL);
	parse("{}", "reg.lan", 0, NULL, NULL);
}

static void helper_names(void)
{
	ok(credhelper_name_ok("desktop") && credhelper_name_ok("ecr-login") &&
		   credhelper_name_ok("pass_1.2"),
	   "helper names: letters, digits, . _ -");
	ok(!credhelper_name_ok("") && !credhelper_name_ok("../x") && !credhelper_name_ok("a b") &&
		   !credhelper_name_ok("a/b"),
	   "no path, space or empty name");
}

static void own_file(const char *dir)
{
	_cleanup_free_ char *file = xasprintf("%s/cfg/berth/auth.json", dir);
	_cleanup_free_ char *text = NULL;
	struct berth_error err = { 0 };
	struct cred c;
	struct stat st;
	size_t len;

	setenv("BERTH_AUTH_FILE", file, 1);
	setenv("HOME", dir, 1);
	unsetenv("XDG_RUNTIME_DIR");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("DOCKER_CONFIG");
	ok(cred_store("reg.lan", "alice", "hunter2", &err) == 0, "store in berth's auth file");
	ok(stat(file, &st) == 0 && (st.st_mode & 0777) == 0600, "... mode 0600");
	_cleanup_free_ char *parent = xasprintf("%s/cfg/berth", dir);
	ok(stat(parent, &st) == 0 && (st.st_mode & 0777) == 0700, "... its directory 0700");
	ok(cred_store("127.0.0.1:5000", "bob", "pa:ss", &err) == 0, "a second registry");
	ok(cred_lookup("reg.lan", &c, &err) == 1 && !strcmp(c.user, "alice") &&
		   !strcmp(c.secret, "hunter2") && !strcmp(c.from, file),
	   "the first is kept, and found");
	cred_clear(&c);
	ok(read_file_at(AT_FDCWD, file, 1 << 20, &text, &len, &err) == 0 &&
		   strstr(text, "\"auths\"") && strstr(text, "\"YWxpY2U6aHVudGVyMg==\"") &&
		   !strstr(text, "hunter2"),
	   "podman's format: auths, base64 of USER:PASSWORD");
	ok(cred_erase("reg.lan", &err) == 1, "erase one");
	ok(cred_lookup("reg.lan", &c, &err) == 0, "... gone");
	ok(cred_lookup("127.0.0.1:5000", &c, &err) == 1 && !strcmp(c.secret, "pa:ss"),
	   "... the other kept");
	cred_clear(&c);
	ok(cred_erase("reg.lan", &err) == 0, "erase what is not there: 0");
	ok(cred_erase_all(&err) == 1 && access(file, F_OK) < 0, "erase all: the file goes");
	ok(cred_erase_all(&err) == 0, "... and again: 0");
	unsetenv("BERTH_AUTH_FILE");
	berth_error_clear(&err);
}

static void write_to(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void certs(const char *dir)
{
	_cleanup_free_ char *d = xasprintf("%s/certs", dir);
	_cleanup_free_ char *crt = xasprintf("%s/ca.crt", d);
	_cleanup_free_ char *cert = xasprintf("%s/client.cert", d);
	_cleanup_free_ char *key = xasprintf("%s/client.key", d);
	struct regconf c = { .flags = { .cert_dir = d } };
	struct berth_error err = { 0 };
	struct http_tls t;
	char *used = NULL;

	mkdir(d, 0700);
	write_to(crt, "-----BEGIN CERTIFICATE-----\nTESTCA\n-----END CERTIFICATE-----\n");
	ok(certdir_tls(&c, "reg.lan", &t, &used, &err) == 0 && t.ca_pem &&
		   strstr(t.ca_pem, "TESTCA") && !t.client_cert && !strcmp(or_null(used), d),
	   "--cert-dir: its *.crt is a CA");
	http_tls_clear(&t);
	free(used);
	write_to(cert, "cert");
	ok(certdir_tls(&c, "reg.lan", &t, &used, &err) < 0 && strstr(err.msg, "without its key"),
	   "a client certificate without its key is refused: %s", or_null(err.msg));
	berth_error_clear(&err);
	write_to(key, "key");
	ok(certdir_tls(&c, "reg.lan", &t, &used, &err) == 0 && t.client_cert && t.client_key &&
		   !strcmp(t.client_key, key),
	   "... with it, the pair");
	http_tls_clear(&t);
	free(used);
	unlink(cert);
	ok(certdir_tls(&c, "reg.lan", &t, &used, &err) < 0 &&
		   strstr(err.msg, "without its certificate"),
	   "a key without its certificate is refused");
	berth_error_clear(&err);
	c.flags.cert_dir = NULL;
	c.flags.no_verify = true;
	ok(certdir_tls(&c, "reg.lan", &t, &used, &err) == 0 && t.no_verify,
	   "--tls-verify=false: no verification for the transfers");
	http_tls_clear(&t);
	ok(!regconf_plain_ok(&c, "reg.lan:5000") && regconf_plain_ok(&c, "127.0.0.1:5000"),
	   "... and still no plain HTTP but to loopback (that needs insecure)");
	c.flags.no_verify = false;
	setenv("BERTH_CERTS_D", dir, 1);
	ok(certdir_tls(&c, "nohost.example:5000", &t, &used, &err) == 0 && !used && !t.ca_pem,
	   "no directory for the host: curl's defaults");
	unsetenv("BERTH_CERTS_D");
}

int main(void)
{
	char tmpl[] = "/tmp/berth-test-cred.XXXXXX";
	char *dir = mkdtemp(tmpl);

	keys();
	documents();
	helper_names();
	if (dir) {
		own_file(dir);
		certs(dir);
		_cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", dir);
		if (system(cmd) != 0)
			ok(0, "cleanup");
	}
	return tap_done();
}
