// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: profiles and stacks (profiles/profile.c): the key table,
 * every value type good and bad, unknown sections and keys with their
 * did-you-mean, duplicates against continuation lines, comments and
 * quotes, FILE:LINE in messages, extends chains through temp files (and
 * their loops and missing files), the search path, the profile_write_ini
 * round trip, profile_words, and stacks: order, cycles, unknown
 * dependencies, ports published twice, undeclared networks and volumes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../profiles/profile.h"
#include "../../lib/util.h"
#include "../tap.h"

/* ---- helpers ---- */

/* NULL when text parses as a stack file (s.ini), or a profile (t.ini),
 * else the error's full text. */
static char *parse_err(const char *text, bool stack)
{
	struct profile p = { 0 };
	struct stack st = { 0 };
	struct berth_error err = { 0 };
	char *m;
	int r = stack ? stack_parse_text(text, "s.ini", &st, &err)
		      : profile_parse_text(text, "t.ini", &p, &err);

	if (r == 0) {
		profile_free(&p);
		stack_free(&st);
		return NULL;
	}
	m = berth_error_text(&err);
	berth_error_clear(&err);
	return m;
}

static char *perr(const char *text)
{
	return parse_err(text, false);
}

static char *serr(const char *text)
{
	return parse_err(text, true);
}

static void expect_error(char *m, const char *needle, const char *name)
{
	if (!ok(m && strstr(m, needle), "%s", name))
		printf("#   got:  %s\n#   want: ...%s...\n", m ? m : "(it parsed)", needle);
	free(m);
}

static void expect_ok(char *m, const char *name)
{
	if (!ok(!m, "%s", name))
		printf("#   got: %s\n", m);
	free(m);
}

/* The settings in table order, one "section.key[name]=value" a line: two
 * profiles with the same text hold the same policy. */
static char *canonical(const struct profile *p)
{
	char *out = xstrdup("");

	for (size_t k = 0; k < profile_n_keys; k++)
		for (size_t i = 0; i < p->n; i++) {
			const struct profile_setting *s = &p->set[i];
			if (s->key != &profile_keys[k])
				continue;
			char *n = xasprintf("%s%s.%s[%s]=%s\n", out, s->key->section,
					    s->key->name ? s->key->name : "*",
					    s->name ? s->name : "", s->value);
			free(out);
			out = n;
		}
	return out;
}

static char *written(const struct profile *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	profile_write_ini(p, f);
	fclose(f);
	return buf;
}

static char tmp[] = "/tmp/berth-test-profile.XXXXXX";

static void put(const char *name, const char *text)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", tmp, name);
	FILE *f = fopen(path, "we");

	if (!f)
		die("fopen %s", path);
	fputs(text, f);
	fclose(f);
}

/* ---- the table ---- */

static void test_table(void)
{
	static const struct {
		const char *section, *name;
		enum profile_type type;
		const char *flag;
	} want[] = {
		{ "sandbox", "workdir", PROFILE_STRING, "-w" },
		{ "sandbox", "user", PROFILE_STRING, "-u" },
		{ "sandbox", "hostname", PROFILE_STRING, "--hostname" },
		{ "sandbox", "name", PROFILE_STRING, "--name" },
		{ "sandbox", "init", PROFILE_BOOL, "--init" },
		{ "sandbox", "remove", PROFILE_BOOL, "--rm" },
		{ "sandbox", "detach", PROFILE_BOOL, "-d" },
		{ "sandbox", "interactive", PROFILE_BOOL, "-i" },
		{ "sandbox", "tty", PROFILE_BOOL, "-t" },
		{ "sandbox", "env-file", PROFILE_LIST, "--env-file" },
		{ "sandbox", "entrypoint", PROFILE_WORDS, "--entrypoint" },
		{ "sandbox", "command", PROFILE_WORDS, NULL },
		{ "sandbox", "image", PROFILE_STRING, NULL },
		{ "sandbox", "userns", PROFILE_ENUM, "--userns" },
		{ "sandbox", "pull", PROFILE_ENUM, "--pull" },
		{ "environment", NULL, PROFILE_MAP, "-e" },
		{ "labels", NULL, PROFILE_MAP, "--label" },
		{ "mounts", "volume", PROFILE_LINES, "-v" },
		{ "mounts", "mount", PROFILE_LINES, "--mount" },
		{ "mounts", "tmpfs", PROFILE_LINES, "--tmpfs" },
		{ "mounts", "volumes-from", PROFILE_LIST, "--volumes-from" },
		{ "secrets", "secret", PROFILE_LINES, "--secret" },
		{ "network", "mode", PROFILE_STRING, "--network" },
		{ "network", "aliases", PROFILE_LIST, "--network-alias" },
		{ "network", "host-loopback", PROFILE_BOOL, "--no-host-loopback" },
		{ "network", "host-loopback-ports", PROFILE_LIST, "--host-loopback" },
		{ "network", "publish", PROFILE_LIST, "-p" },
		{ "network", "publish-all", PROFILE_BOOL, "-P" },
		{ "network", "dns", PROFILE_LIST, "--dns" },
		{ "network", "add-host", PROFILE_LIST, "--add-host" },
		{ "security", "cap-add", PROFILE_LIST, "--cap-add" },
		{ "security", "cap-drop", PROFILE_LIST, "--cap-drop" },
		{ "security", "seccomp", PROFILE_STRING, "--security-opt" },
		{ "security", "no-new-privileges", PROFILE_BOOL, "--security-opt" },
		{ "security", "read-only", PROFILE_BOOL, "--read-only" },
		{ "limits", "pids", PROFILE_UINT, "--pids-limit" },
		{ "limits", "memory", PROFILE_STRING, "--memory" },
		{ "limits", "cpus", PROFILE_STRING, "--cpus" },
		{ "limits", "ulimit", PROFILE_LIST, "--ulimit" },
		{ "limits", "if-unsupported", PROFILE_ENUM, NULL },
		{ "stop", "signal", PROFILE_STRING, "--stop-signal" },
		{ "stop", "timeout", PROFILE_UINT, "--stop-timeout" },
		{ "", "extends", PROFILE_STRING, NULL },
		{ "", "description", PROFILE_STRING, NULL },
		{ "NAME", "extends", PROFILE_STRING, NULL },
		{ "NAME", "depends-on", PROFILE_LIST, NULL },
		{ "stack", "name", PROFILE_STRING, NULL },
		{ "stack", "networks", PROFILE_LIST, NULL },
		{ "stack", "volumes", PROFILE_LIST, NULL },
	};
	size_t found = 0, helps = 0, enums = 0;

	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		for (size_t k = 0; k < profile_n_keys; k++) {
			const struct profile_key *pk = &profile_keys[k];
			bool same_name = want[i].name ? pk->name && !strcmp(pk->name, want[i].name)
						      : !pk->name;
			if (strcmp(pk->section, want[i].section) || !same_name)
				continue;
			if (pk->type == want[i].type &&
			    (want[i].flag ? pk->flag && !strcmp(pk->flag, want[i].flag)
					  : !pk->flag))
				found++;
			else
				printf("#   %s.%s: type or flag differs\n", want[i].section,
				       want[i].name ? want[i].name : "*");
		}
	is_int(found, ARRAY_SIZE(want), "every key has its type and run flag");
	is_int(profile_n_keys, ARRAY_SIZE(want), "and the table has no other key");
	for (size_t k = 0; k < profile_n_keys; k++) {
		const struct profile_key *pk = &profile_keys[k];
		helps += pk->help && *pk->help && !strchr(pk->help, '\n');
		enums += (pk->type == PROFILE_ENUM) == (pk->choices != NULL);
	}
	is_int(helps, profile_n_keys, "every key has a one-line help");
	is_int(enums, profile_n_keys, "choices exactly for the ENUM keys");
	/* sections come in one run each: the writer's order is the table's */
	size_t runs = 0;
	for (size_t k = 0; k < profile_n_keys; k++) {
		bool again = false;
		if (k > 0 && strcmp(profile_keys[k].section, profile_keys[k - 1].section))
			for (size_t j = 0; j + 1 < k; j++)
				again |= !strcmp(profile_keys[j].section, profile_keys[k].section);
		runs += again;
	}
	is_int(runs, 0, "each section's keys are together in the table");
}

/* ---- values ---- */

static void test_values(void)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "[sandbox]\ninit = maybe\n",
		  "t.ini:2: [sandbox] init: expected true or false (yes/no, on/off, 1/0) (got "
		  "\"maybe\")" },
		{ "[limits]\npids = -1\n", "t.ini:2: [limits] pids: expected a decimal number" },
		{ "[limits]\npids = 1.5\n", "expected a decimal number (got \"1.5\")" },
		{ "[limits]\npids = 99999999999\n", "expected a decimal number" },
		{ "[stop]\ntimeout = soon\n", "[stop] timeout: expected a decimal number" },
		{ "[security]\nseccomp = off\n",
		  "[security] seccomp: expected default, unconfined or a JSON profile's path "
		  "(absolute, or starting with ./ or ../) (got \"off\")" },
		{ "[sandbox]\nuserns = host\n", "[sandbox] userns: expected one of keep-id" },
		{ "[sandbox]\npull = sometimes\n", "[sandbox] pull: expected one of missing" },
		{ "[limits]\nif-unsupported = ignore\n", "expected one of fail|warn" },
		{ "[sandbox]\ncommand = sh -c \"echo\n",
		  "[sandbox] command: an unterminated \" quote" },
		{ "[sandbox]\ncommand = echo 'a\n", "an unterminated ' quote" },
		{ "[sandbox]\ncommand = echo \\\n", "a backslash at the end" },
		{ "[sandbox]\ncommand =\n", "t.ini:2: [sandbox] command: no value" },
		{ "[sandbox]\nworkdir =\n", "[sandbox] workdir: no value" },
		{ "[sandbox]\nworkdir = \"\"\n", "[sandbox] workdir: no value" },
		{ "[sandbox]\nworkdir = app\n", "[sandbox] workdir: expected an absolute path" },
		{ "[sandbox]\nuser = :wheel\n", "[sandbox] user: expected USER[:GROUP]" },
		{ "[sandbox]\nname = a/b\n", "[sandbox] name: expected a name of 1-128" },
		{ "[sandbox]\nhostname = "
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		  "[sandbox] hostname: expected a host name of at most 64 bytes" },
		{ "[sandbox]\nimage = Not/Valid\n", "[sandbox] image: invalid reference" },
		{ "[network]\ndns = 1.2.3, 8.8.8.8\n",
		  "[network] dns: expected an IPv4 or IPv6 address (got \"1.2.3\")" },
		{ "[network]\ndns = 8.8.8.8,,1.1.1.1\n", "[network] dns: an empty item" },
		{ "[network]\ndns = 8.8.8.8,\n", "[network] dns: an empty item" },
		{ "[network]\npublish = 99999\n", "[network] publish: -p 99999: expected" },
		{ "[network]\nadd-host = db\n", "[network] add-host: expected NAME:IP" },
		{ "[network]\nmode = bad name\n", "[network] mode: expected slirp4netns" },
		{ "[network]\nmode = container:x\n", "[network] mode: expected slirp4netns" },
		{ "[network]\naliases = -x\n", "[network] aliases: expected a name" },
		{ "[network]\nhost-loopback = nope\n", "[network] host-loopback: expected true" },
		{ "[network]\nhost-loopback-ports = 5432, http\n",
		  "[network] host-loopback-ports: \"http\" is not a port" },
		{ "[network]\nhost-loopback-ports = 53/sctp\n",
		  "[network] host-loopback-ports: \"53/sctp\": the protocol is tcp or udp" },
		{ "[security]\ncap-add = CAP_FOO\n", "[security] cap-add: unknown capability" },
		{ "[security]\ncap-drop = NET_RAW, BOGUS\n",
		  "cap-drop: unknown capability \"BOGUS\"" },
		{ "[limits]\nmemory = 12x\n", "[limits] memory: expected a size in bytes" },
		{ "[limits]\nmemory = 0\n", "[limits] memory: expected a size" },
		{ "[limits]\ncpus = 0\n", "[limits] cpus: expected a positive number" },
		{ "[limits]\ncpus = 1.2.3\n", "[limits] cpus: expected a positive number" },
		{ "[limits]\nulimit = nofile=10:5\n",
		  "[limits] ulimit: expected NAME=SOFT[:HARD]" },
		{ "[limits]\nulimit = files=10\n", "[limits] ulimit: expected a limit nofile" },
		{ "[stop]\nsignal = SIGFOO\n", "[stop] signal: expected a signal" },
		{ "[mounts]\nvolume = data\n", "[mounts] volume: -v \"data\"" },
		{ "[mounts]\nvolume = /src:/dst:bogus\n", "unknown option \"bogus\"" },
		{ "[mounts]\nmount = type=foo,target=/x\n", "[mounts] mount: --mount" },
		{ "[mounts]\ntmpfs = run\n", "[mounts] tmpfs: --tmpfs \"run\"" },
		{ "[mounts]\nvolumes-from = :ro\n", "[mounts] volumes-from: expected CONTAINER" },
		{ "[secrets]\nsecret = a,type=file\n", "[secrets] secret: --secret" },
		{ "[environment]\nA B = 1\n", "[environment] A B: a name has no blanks" },
		{ "[labels]\nx = \"open\n", "[labels] x: an unterminated \" quote" },
		{ "[labels]\nx = \"a\" b\n", "[labels] x: text after the closing quote" },
		{ "[network]\ndns = 1.1.1.1, \"open\n", "[network] dns: an unterminated \" quote" },
		{ "[network]\ndns = 1.1.1.1, \"::1\" x\n", "dns: text after the closing quote" },
		{ "[mounts]\nvolume =\n", "t.ini:2: [mounts] volume: no value" },
		{ "[mounts]\nvolume =\n[network]\n", "t.ini:2: [mounts] volume: no value" },
		{ "description =\n", "t.ini:1: description: no value" },
	};
	static const char *const good[] = {
		"[sandbox]\ninit = yes\nremove = off\ndetach = 0\ntty = TRUE\ninteractive = 1\n",
		"[limits]\npids = 100\nmemory = 512m\ncpus = 0.5\nif-unsupported = warn\n",
		"[limits]\nulimit = nofile=1024:2048, core=unlimited, nproc=-1\n",
		"[stop]\nsignal = SIGTERM\ntimeout = 30\n",
		"[security]\ncap-add = NET_BIND_SERVICE, cap_chown\ncap-drop = ALL\nseccomp = "
		"unconfined\nno-new-privileges = false\nread-only = on\n",
		"[network]\nmode = mynet\naliases = web, www\npublish = 8080:80, "
		"[::1]:9000:90/udp\ndns = 1.1.1.1, ::1\nadd-host = db:10.0.0.2, v6:fe80::1\n",
		"[network]\nmode = none\nhost-loopback = false\npublish-all = true\n",
		"[mounts]\nvolume = data:/data\nvolume = /tmp:/host-tmp:ro\ntmpfs = "
		"/run:size=64m\n",
		"[mounts]\nvolume = ./not-there-at-all:/x\nmount = "
		"type=bind,source=/no/such/dir,target=/y\n",
		"[mounts]\nmount = type=tmpfs,target=/t,tmpfs-size=1m\nvolumes-from = other:ro, "
		"third\n",
		"[secrets]\nsecret = api-key,type=env,target=API_KEY\n",
		"[sandbox]\nimage = alpine:3.19\nworkdir = /app\nuser = 1000:1000\nuserns = "
		"keep-id\nentrypoint =\n",
		"[environment]\nEMPTY =\nPATH = /usr/bin:/bin\n[labels]\nexample.com/colour = "
		"#fff\n",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		expect_error(perr(bad[i].text), bad[i].want, bad[i].want);
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		_cleanup_free_ char *name = xstrndup(good[i], strcspn(good[i], "\n") + 10);
		for (char *c = name; *c; c++)
			*c = *c == '\n' ? ' ' : *c;
		expect_ok(perr(good[i]), name);
	}

	struct profile p = { 0 };
	struct berth_error err = { 0 };
	int r = profile_parse_text("[sandbox]\nentrypoint =\ncommand = sh -c 'echo hi'\n"
				   "[environment]\nEMPTY =\nQ = \"  spaced ; kept \"\n"
				   "[labels]\ncolour = #fff\n",
				   "t.ini", &p, &err);
	ok(r == 0, "a profile with empty and quoted values");
	is_str(profile_get(&p, "sandbox", "entrypoint"), "",
	       "entrypoint = is the empty entrypoint");
	is_str(profile_get(&p, "sandbox", "command"), "sh -c 'echo hi'",
	       "a command is kept as written");
	ok(p.n == 5 && p.set[3].name && !strcmp(p.set[3].name, "Q") &&
		   !strcmp(p.set[3].value, "  spaced ; kept "),
	   "a quoted value keeps its blanks and ';'");
	ok(p.n == 5 && !strcmp(p.set[2].value, ""), "NAME = sets an empty value");
	ok(p.n == 5 && !strcmp(p.set[4].value, "#fff"), "'#' after '=' is text, not a comment");
	profile_free(&p);
	r = profile_parse_text("[labels]\nurl = http://x/a;b ;c\n[sandbox]\ncommand = a;b\n",
			       "t.ini", &p, &err);
	ok(r == 0 && p.n == 2 && !strcmp(p.set[0].value, "http://x/a;b") &&
		   !strcmp(p.set[1].value, "a;b"),
	   "a ';' not after a blank is text");
	profile_free(&p);
	ok(profile_bool("yes") && profile_bool("On") && !profile_bool("off") && !profile_bool("0"),
	   "profile_bool");
	berth_error_clear(&err);
}

/* ---- structure: sections, keys, lines ---- */

static void test_structure(void)
{
	expect_error(perr("[netwrok]\nmode = none\n"),
		     "t.ini:1: [netwrok]: unknown section (did you mean [network]?)",
		     "an unknown section, with did-you-mean");
	expect_error(perr("[sandbox]\n[network]\npublsh = 80\n"),
		     "t.ini:3: [network] publsh: unknown key (did you mean \"publish\"?)",
		     "an unknown key, with did-you-mean");
	expect_error(perr("[sandbox]\npublish = 80\n"),
		     "t.ini:2: [sandbox] publish: unknown key (it goes in [network])",
		     "a key in the wrong section says where it goes");
	expect_error(perr("image = alpine\n"), "t.ini:1: image: unknown key (it goes in [sandbox])",
		     "a section's key before any section");
	expect_error(perr("[sandbox]\nextends = a.ini\n"), "(it goes before the first section)",
		     "extends inside a section");
	expect_error(perr("[sandbox]\nfrobnicate = 1\n"), "[sandbox] frobnicate: unknown key",
		     "an unknown key, nothing close");
	expect_error(perr("[stack]\nname = x\n"), "t.ini:1: [stack]: a stack's section",
		     "a stack section in a profile");
	expect_error(perr("extends = base.ini\n"),
		     "t.ini:1: extends: only a profile or stack loaded",
		     "extends refused from text");
	expect_error(perr("[sandbox]\nimage: alpine\n"), "t.ini:2: expected KEY = VALUE",
		     "':' does not separate");
	expect_error(perr("[sandbox]\nimage = alpine\njunk\n"),
		     "t.ini:3: expected KEY = VALUE, [SECTION] or a comment (got \"junk\")",
		     "a line that is nothing");
	expect_error(perr("[sandbox\nimage = alpine\n"),
		     "t.ini:1: expected [SECTION] (got \"[sandbox\")", "a section without ]");
	expect_error(perr("[sandbox] image = x\n"), "t.ini:1: [sandbox]: text after the ']'",
		     "text after a section's ]");
	expect_error(perr("[sandbox]\n= alpine\n"), "t.ini:2: expected KEY = VALUE: no key",
		     "no key before =");
	expect_ok(perr("\xef\xbb\xbf[sandbox] ; a comment\n# another\n  ; indented comment\n"
		       "image = alpine ; why\n"),
		  "a BOM, comments after ], whole-line and indented comments");

	struct profile crlf = { 0 };
	struct berth_error cerr = { 0 };
	ok(profile_parse_text("[sandbox]\r\nimage = alpine\r\ncommand = echo hi\r\n[network]\r\n"
			      "dns = 1.1.1.1\r\n  8.8.8.8\r\n\r\n",
			      "t.ini", &crlf, &cerr) == 0 &&
		   !strcmp(profile_get(&crlf, "sandbox", "image"), "alpine") &&
		   !strcmp(profile_get(&crlf, "sandbox", "command"), "echo hi") && crlf.n == 4 &&
		   !strcmp(crlf.set[3].value, "8.8.8.8"),
	   "CRLF line ends");
	profile_free(&crlf);
	berth_error_clear(&cerr);

	/* duplicates against continuation lines */
	expect_error(perr("[sandbox]\nimage = a\n\nimage = b\n"),
		     "t.ini:4: [sandbox] image: set again (first on line 2)",
		     "a scalar twice names both lines");
	expect_error(perr("[environment]\nA = 1\nB = 2\nA = 3\n"),
		     "t.ini:4: [environment] A: set again (first on line 2)", "a variable twice");
	expect_error(perr("[sandbox]\nimage = a\n  b\n"),
		     "t.ini:3: [sandbox] image: takes one line", "a scalar does not continue");
	expect_error(perr("[environment]\nA = 1\n  2\n"),
		     "t.ini:3: [environment] A: takes one line", "a variable does not continue");

	struct profile p = { 0 };
	struct berth_error err = { 0 };
	int r = profile_parse_text("[network]\npublish = 80\n  8080:81, 9000:90\n\n\t9001:91 ; c\n"
				   "dns =\n    1.1.1.1\n    8.8.8.8\npublish = 7000:70\n"
				   "[mounts]\nvolume = /a:/a\n  /b:/b:ro,nosuid\n",
				   "t.ini", &p, &err);
	ok(r == 0, "continuation lines and a list key twice parse");
	_cleanup_free_ char *c = r == 0 ? canonical(&p) : NULL;
	is_str(c,
	       "mounts.volume[]=/a:/a\nmounts.volume[]=/b:/b:ro,nosuid\n"
	       "network.publish[]=80\nnetwork.publish[]=8080:81\nnetwork.publish[]=9000:90\n"
	       "network.publish[]=9001:91\nnetwork.publish[]=7000:70\n"
	       "network.dns[]=1.1.1.1\nnetwork.dns[]=8.8.8.8\n",
	       "continuations are items, in order; LINES keep their commas");
	ok(p.n == 9 && p.set[1].line == 3 && p.set[3].line == 5 && p.set[4].line == 7,
	   "each item has its own line");
	profile_free(&p);
	berth_error_clear(&err);

	/* lines longer than inih's buffer, names longer than its 50 */
	char longv[1200], text[1400];
	memset(longv, 'x', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	snprintf(text, sizeof(text),
		 "description = %s\n[environment]\n"
		 "A_VERY_LONG_VARIABLE_NAME_THAT_INIH_WOULD_CUT_AT_FIFTY_CHARS = 1\n",
		 longv);
	r = profile_parse_text(text, "t.ini", &p, &err);
	const char *d = r == 0 ? profile_get(&p, "", "description") : NULL;
	ok(d && strlen(d) == sizeof(longv) - 1, "a 1199-character value is read whole");
	ok(r == 0 && p.n == 2 &&
		   !strcmp(p.set[1].name, "A_VERY_LONG_VARIABLE_NAME_THAT_INIH_WOULD_"
					  "CUT_AT_FIFTY_CHARS"),
	   "a 61-character name is read whole");
	ok(r == 0 && p.n == 2 && p.set[1].line == 3, "and the lines after a long one count right");
	profile_free(&p);
	berth_error_clear(&err);
}

/* ---- profile_words ---- */

static void test_words(void)
{
	struct berth_error err = { 0 };
	char **w = NULL;
	size_t n = 0;

	ok(profile_words("a \"b c\" 'd e' f\\ g \"h\\\"i\" '' \"x\\y\"", &w, &n, &err) == 0 &&
		   n == 7,
	   "words: plain, double, single, escaped blank, escaped quote, empty, backslash kept");
	if (n == 7) {
		is_str(w[0], "a", "word 1");
		is_str(w[1], "b c", "a double-quoted word");
		is_str(w[2], "d e", "a single-quoted word");
		is_str(w[3], "f g", "a backslash-escaped blank");
		is_str(w[4], "h\"i", "\\\" in double quotes");
		is_str(w[5], "", "'' is an empty word");
		is_str(w[6], "x\\y", "other backslashes in double quotes stay");
		ok(w[7] == NULL, "the vector ends in NULL");
	}
	for (size_t i = 0; w && w[i]; i++)
		free(w[i]);
	free(w);
	ok(profile_words("  ", &w, &n, &err) == 0 && n == 0 && w && !w[0], "no words");
	free(w);
	ok(profile_words("a'b'\"c\"d", &w, &n, &err) == 0 && n == 1 && !strcmp(w[0], "abcd"),
	   "quotes join within a word");
	for (size_t i = 0; w && w[i]; i++)
		free(w[i]);
	free(w);
	ok(profile_words("echo \"oops", &w, &n, &err) < 0 && err.msg && strstr(err.msg, "\"") &&
		   w == NULL,
	   "an unterminated double quote");
	berth_error_clear(&err);
	ok(profile_words("echo 'oops", &w, &n, &err) < 0 && err.msg && strstr(err.msg, "'"),
	   "an unterminated single quote");
	berth_error_clear(&err);
	ok(profile_words("echo \\", &w, &n, &err) < 0 && err.msg && strstr(err.msg, "backslash"),
	   "a backslash at the end");
	berth_error_clear(&err);

	/* ';' in quotes is no comment; a blank then ';' is one */
	struct profile p = { 0 };
	ok(profile_parse_text("[sandbox]\ncommand = sh -c \"a ; b\" 'c ; d' e\\ ;f ; comment\n",
			      "t.ini", &p, &err) == 0,
	   "a command with ';' in quotes");
	is_str(profile_get(&p, "sandbox", "command"), "sh -c \"a ; b\" 'c ; d' e\\ ;f",
	       "quoted and escaped ';' stay, the comment goes");
	profile_free(&p);
	berth_error_clear(&err);
}

/* ---- write and read back ---- */

static void round_trip(const char *text, const char *name)
{
	struct profile a = { 0 }, b = { 0 };
	struct berth_error err = { 0 };
	_cleanup_free_ char *ca = NULL, *cb = NULL, *out = NULL;

	if (profile_parse_text(text, "t.ini", &a, &err) < 0) {
		ok(0, "%s: parses (%s)", name, err.msg);
		berth_error_clear(&err);
		return;
	}
	out = written(&a);
	if (profile_parse_text(out, "out.ini", &b, &err) < 0) {
		ok(0, "%s: the written INI parses (%s)", name, err.msg);
		printf("# ---\n%s# ---\n", out);
		berth_error_clear(&err);
		profile_free(&a);
		return;
	}
	ca = canonical(&a);
	cb = canonical(&b);
	is_str(cb, ca, name);
	profile_free(&a);
	profile_free(&b);
}

static void test_write(void)
{
	static const char full[] =
		"description = a sandbox ; for tests\n"
		"[stop]\nsignal = INT\n"
		"[sandbox]\nimage = alpine\ncommand = sh -c \"echo a ; echo b\" 'x y'\n"
		"entrypoint =\nworkdir = /w\ninit = yes\nenv-file = a.env, \"b,c.env\"\n"
		"[environment]\nB = 2\nA = \"; semi\"\nE =\nQ = \"\\\"quoted\\\"\"\n"
		"S = \" edge \"\nH = #hash\n"
		"[labels]\nk:v = 1\n"
		"[mounts]\nvolume = /a:/a\n  /b:/b:ro,nosuid\nmount = "
		"type=tmpfs,target=/t,tmpfs-size=1m\n"
		"[network]\npublish = 80, 8080:81\naliases = x\n"
		"[security]\ncap-add = CHOWN\nseccomp = unconfined\n"
		"[limits]\nulimit = nofile=1:2\nif-unsupported = warn\n";

	round_trip(full, "every type written and read back is the same profile");
	round_trip("[sandbox]\ncommand = a\\ b \"c\\\\\" '\\'\n", "backslashes in words");
	round_trip("[sandbox]\nenv-file = \"#x\", \" y\", \"a;b\", \"\\\\\"\n",
		   "list items that need quotes");

	struct profile p = { 0 };
	struct berth_error err = { 0 };
	_cleanup_free_ char *out = NULL;
	profile_parse_text(full, "t.ini", &p, &err);
	out = written(&p);
	ok(strstr(out, "[sandbox]\nimage = alpine ; t.ini:5\n") != NULL,
	   "each value says its file:line");
	ok(strstr(out, "volume = /a:/a ; t.ini:21\n\t/b:/b:ro,nosuid ; t.ini:22\n") != NULL,
	   "list items on indented continuation lines");
	ok(strstr(out, "A = \"; semi\"") && strstr(out, "E = \"\" ;"),
	   "values quoted where they must be");
	const char *sb = strstr(out, "[sandbox]"), *env = strstr(out, "[environment]"),
		   *stop = strstr(out, "[stop]"), *desc = strstr(out, "description = ");
	ok(desc && sb && env && stop && desc < sb && sb < env && env < stop,
	   "top-level keys first, then sections in the table's order");
	profile_free(&p);
	berth_error_clear(&err);
}

/* ---- extends, through files ---- */

static void test_extends(void)
{
	struct profile p = { 0 };
	struct berth_error err = { 0 };
	/* each file as the chain names it: relative to the one before */
	_cleanup_free_ char *pa = xasprintf("%s/sub/../a.ini", tmp);
	_cleanup_free_ char *pc = xasprintf("%s/sub/c.ini", tmp);
	char sub[300];

	snprintf(sub, sizeof(sub), "%s/sub", tmp);
	mkdir(sub, 0700);
	put("a.ini", "description = base\n[sandbox]\nimage = alpine\nworkdir = /a\n"
		     "[environment]\nA = a\nB = a\n[network]\npublish = 1000:10\n"
		     "[security]\ncap-drop = ALL\n");
	put("b.ini", "extends = a.ini\n[sandbox]\nworkdir = /b\n[environment]\nB = b\nC = b\n"
		     "[network]\npublish = 2000:20\n");
	put("sub/c.ini", "extends = ../b.ini\ndescription = top\n[sandbox]\nuser = 7\n"
			 "[environment]\nC = c\n[network]\npublish = 3000:30\n");
	int r = profile_load(pc, &p, &err);
	if (!ok(r == 0, "a 3-deep chain (c -> b -> a, relative to each file) loads"))
		printf("#   %s\n", err.msg);
	is_str(p.file, pc, "the profile's file is the top one");
	is_str(profile_get(&p, "", "description"), "top", "a scalar: the child wins");
	is_str(profile_get(&p, "sandbox", "workdir"), "/b", "a scalar from the middle");
	is_str(profile_get(&p, "sandbox", "image"), "alpine", "a scalar from the base");
	ok(profile_get(&p, "", "extends") == NULL, "extends is applied, not kept");
	_cleanup_free_ char *c = r == 0 ? canonical(&p) : NULL;
	is_str(c,
	       ".description[]=top\nsandbox.image[]=alpine\nsandbox.workdir[]=/b\n"
	       "sandbox.user[]=7\n"
	       "environment.*[A]=a\nenvironment.*[B]=b\nenvironment.*[C]=c\n"
	       "network.publish[]=1000:10\nnetwork.publish[]=2000:20\nnetwork.publish[]=3000:30\n"
	       "security.cap-drop[]=ALL\n",
	       "lists: base to child; maps: the child's value per name");
	const struct profile_setting *img = NULL;
	for (size_t i = 0; i < p.n; i++)
		if (p.set[i].key->name && !strcmp(p.set[i].key->name, "image"))
			img = &p.set[i];
	ok(img && !strcmp(img->file, pa) && img->line == 3, "a setting says its own file:line");
	profile_free(&p);
	berth_error_clear(&err);

	/* loops and missing files */
	put("l1.ini", "extends = l2.ini\n");
	put("l2.ini", "description = x\nextends = l3.ini\n");
	put("l3.ini", "extends = l1.ini\n");
	_cleanup_free_ char *l1 = xasprintf("%s/l1.ini", tmp);
	_cleanup_free_ char *loop =
		xasprintf("%s/l3.ini:1: extends: a loop: %s/l1.ini -> %s/l2.ini -> "
			  "%s/l3.ini -> %s/l1.ini",
			  tmp, tmp, tmp, tmp, tmp);
	ok(profile_load(l1, &p, &err) < 0 && err.msg && !strcmp(err.msg, loop) && !err.errnum,
	   "an extends loop names the chain");
	if (err.msg && strcmp(err.msg, loop))
		printf("#   got  %s\n#   want %s\n", err.msg, loop);
	berth_error_clear(&err);
	put("self.ini", "[sandbox]\nimage = x\n; itself\n\nextends = self.ini\n");
	_cleanup_free_ char *self = xasprintf("%s/self.ini", tmp);
	ok(profile_load(self, &p, &err) < 0, "a profile extending itself fails");
	berth_error_clear(&err);
	put("top.ini", "extends = self2.ini\n");
	put("self2.ini", "\nextends = self2.ini\n");
	_cleanup_free_ char *top = xasprintf("%s/top.ini", tmp);
	_cleanup_free_ char *selfloop =
		xasprintf("%s/self2.ini:2: extends: a loop: %s/self2.ini -> "
			  "%s/self2.ini",
			  tmp, tmp, tmp);
	ok(profile_load(top, &p, &err) < 0 && err.msg && !strcmp(err.msg, selfloop),
	   "a loop further down names only the loop");
	if (err.msg && strcmp(err.msg, selfloop))
		printf("#   got  %s\n#   want %s\n", err.msg, selfloop);
	berth_error_clear(&err);

	put("m.ini", "# a comment\nextends = missing.ini\n");
	_cleanup_free_ char *m = xasprintf("%s/m.ini", tmp);
	_cleanup_free_ char *mwant =
		xasprintf("%s/m.ini:2: extends: missing.ini: No such file", tmp);
	r = profile_load(m, &p, &err);
	_cleanup_free_ char *mt = r < 0 ? berth_error_text(&err) : NULL;
	ok(r < 0 && err.errnum == ENOENT && mt && !strncmp(mt, mwant, strlen(mwant)),
	   "a missing base: FILE:LINE: extends: NAME: No such file");
	if (mt && strncmp(mt, mwant, strlen(mwant)))
		printf("#   got %s\n", mt);
	berth_error_clear(&err);
	put("bad.ini", "extends = a.ini\n[sandbox]\ninit = perhaps\n");
	_cleanup_free_ char *bad = xasprintf("%s/bad.ini:3: [sandbox] init:", tmp);
	ok(profile_load("/nonexistent/x.ini", &p, &err) < 0 && err.errnum == ENOENT,
	   "a missing profile");
	berth_error_clear(&err);
	_cleanup_free_ char *pbad = xasprintf("%s/bad.ini", tmp);
	ok(profile_load(pbad, &p, &err) < 0 && err.msg && strstr(err.msg, bad) == err.msg,
	   "an error in a chain's file names that file");
	berth_error_clear(&err);
	put("base-bad.ini", "[sandbox]\nimage = x\nimage = y\n");
	put("uses-bad.ini", "extends = base-bad.ini\n");
	_cleanup_free_ char *ub = xasprintf("%s/uses-bad.ini", tmp);
	_cleanup_free_ char *bbad = xasprintf("%s/base-bad.ini:3: [sandbox] image: set again", tmp);
	ok(profile_load(ub, &p, &err) < 0 && err.msg && strstr(err.msg, bbad) == err.msg,
	   "an error in a base names the base's file:line");
	berth_error_clear(&err);
	put("dup-across.ini", "extends = a.ini\n[sandbox]\nimage = busybox\n");
	_cleanup_free_ char *da = xasprintf("%s/dup-across.ini", tmp);
	ok(profile_load(da, &p, &err) == 0 &&
		   !strcmp(profile_get(&p, "sandbox", "image"), "busybox"),
	   "the same key in base and child is an override, not a duplicate");
	profile_free(&p);
	berth_error_clear(&err);

	/* the search path: $XDG_CONFIG_HOME/berth/profiles, then ./ */
	_cleanup_free_ char *xdg = xasprintf("%s/xdg", tmp), *dir = xasprintf("%s/xdg/berth", tmp);
	_cleanup_free_ char *pdir = xasprintf("%s/xdg/berth/profiles", tmp);
	mkdir(xdg, 0700);
	mkdir(dir, 0700);
	mkdir(pdir, 0700);
	put("xdg/berth/profiles/web.ini", "[sandbox]\nimage = nginx\n");
	put("xdg/berth/profiles/plain", "[sandbox]\nimage = plain\n");
	setenv("XDG_CONFIG_HOME", xdg, 1);
	_cleanup_free_ char *webpath = xasprintf("%s/web.ini", pdir);
	ok(profile_load("web", &p, &err) == 0 && !strcmp(p.file, webpath) &&
		   !strcmp(profile_get(&p, "sandbox", "image"), "nginx"),
	   "a bare name is found as NAME.ini under $XDG_CONFIG_HOME/berth/profiles");
	profile_free(&p);
	berth_error_clear(&err);
	ok(profile_load("plain", &p, &err) == 0 &&
		   !strcmp(profile_get(&p, "sandbox", "image"), "plain"),
	   "and as NAME");
	profile_free(&p);
	berth_error_clear(&err);
	ok(profile_load("no-such-profile-here", &p, &err) < 0 && err.errnum == ENOENT &&
		   strstr(err.msg, pdir),
	   "a name found nowhere says where it looked");
	berth_error_clear(&err);
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	if (chdir(tmp) == 0) {
		/* a repository's ./web.ini must not stand in for the user's web */
		put("web.ini", "[sandbox]\nimage = local\n");
		ok(profile_load("web", &p, &err) == 0 && !strcmp(p.file, webpath) &&
			   !strcmp(profile_get(&p, "sandbox", "image"), "nginx") && p.shadowed &&
			   !strcmp(p.shadowed, "web.ini"),
		   "the user's profiles come before ./, and the ./ one passed over is named");
		profile_free(&p);
		berth_error_clear(&err);
		ok(profile_load("./web.ini", &p, &err) == 0 &&
			   !strcmp(profile_get(&p, "sandbox", "image"), "local") && !p.shadowed,
		   "a path picks the ./ one");
		profile_free(&p);
		berth_error_clear(&err);
		put("onlyhere.ini", "[sandbox]\nimage = here\n");
		ok(profile_load("onlyhere", &p, &err) == 0 &&
			   !strcmp(profile_get(&p, "sandbox", "image"), "here") && !p.shadowed,
		   "a name only ./ has is found there");
		profile_free(&p);
		berth_error_clear(&err);
		if (!cwd || chdir(cwd) < 0)
			die("chdir back");
	}
	unsetenv("XDG_CONFIG_HOME");
}

/* ---- stacks ---- */

static const char stack_ok[] = "[stack]\nnetworks = backnet\nvolumes = dbdata\n"
			       "[web]\nimage = nginx\ndepends-on = db, cache\n"
			       "[web.network]\nmode = backnet\npublish = 8080:80\n"
			       "[worker]\nimage = alpine\ndepends-on = web\n"
			       "[db]\nimage = postgres\n"
			       "[db.mounts]\nvolume = dbdata:/var/lib/postgresql/data\n"
			       "  /tmp:/host-tmp\n  /anon\n"
			       "[cache]\nimage = redis\n"
			       "[cache.network]\npublish = 127.0.0.2:8080:80, 8080:80/udp, 80\n";

static void test_stacks(void)
{
	struct stack st = { 0 };
	struct berth_error err = { 0 };

	int r = stack_parse_text(stack_ok, "dir/s.ini", &st, &err);
	if (!ok(r == 0, "a stack parses"))
		printf("#   %s\n", err.msg);
	berth_error_clear(&err);
	ok(r == 0 && st.n_sb == 4 && !strcmp(st.sb[0].name, "db") &&
		   !strcmp(st.sb[1].name, "cache") && !strcmp(st.sb[2].name, "web") &&
		   !strcmp(st.sb[3].name, "worker"),
	   "dependencies first, else the file's order");
	ok(r == 0 && st.sb[2].n_deps == 2 && !strcmp(st.sb[2].depends_on[0], "db") &&
		   !strcmp(st.sb[2].depends_on[1], "cache") && !st.sb[2].depends_on[2] &&
		   st.sb[0].n_deps == 0 && st.sb[0].depends_on && !st.sb[0].depends_on[0],
	   "depends-on kept, NULL-terminated");
	is_str(r == 0 ? st.name : NULL, "s", "the stack's name from the file's");
	ok(r == 0 && st.n_networks == 1 && !strcmp(st.networks[0], "backnet") && !st.networks[1] &&
		   st.n_volumes == 1 && !strcmp(st.volumes[0], "dbdata"),
	   "networks and volumes");
	is_str(r == 0 ? profile_get(&st.sb[2].prof, "network", "mode") : NULL, "backnet",
	       "[NAME.SECTION] keys go to that sandbox");
	ok(r == 0 && profile_get(&st.sb[2].prof, "NAME", "depends-on") == NULL,
	   "depends-on is not among the sandbox's settings");
	if (r == 0)
		stack_free(&st);

	expect_error(serr("[stack]\nname = n\n[a]\nimage = x\ndepends-on = b\n[b]\nimage = x\n"
			  "depends-on = c\n[c]\nimage = x\ndepends-on = a\n"),
		     "s.ini:5: [a] depends-on: a dependency cycle: a -> b -> c -> a",
		     "a cycle is named");
	expect_error(serr("[x]\nimage = i\n[a]\nimage = i\ndepends-on = x, b\n[b]\nimage = i\n"
			  "depends-on = b\n"),
		     "s.ini:8: [b] depends-on: a dependency cycle: b -> b",
		     "a sandbox needing itself");
	expect_error(serr("[web]\nimage = x\ndepends-on = dbb\n[db]\nimage = y\n"),
		     "s.ini:3: [web] depends-on: no sandbox \"dbb\" in this stack (did you mean "
		     "\"db\"?)",
		     "an unknown dependency");
	expect_error(serr("[a]\nimage = x\n[a.network]\npublish = 8080:80\n[b]\nimage = y\n"
			  "[b.network]\npublish = 9000:90\n  8080:81\n"),
		     "s.ini:9: [b] network.publish: host port 127.0.0.1:8080/tcp is published "
		     "twice: by [a] too (s.ini:4)",
		     "a host port published by two sandboxes names both");
	expect_error(serr("[a]\nimage = x\n[a.network]\npublish = 8000-8010:8000-8010\n[b]\n"
			  "image = y\n[b.network]\npublish = 0.0.0.0:8005:1, 127.0.0.1:8005:2\n"),
		     "s.ini:8: [b] network.publish: host port 0.0.0.0:8005/tcp",
		     "within a range, and 0.0.0.0 clashes with 127.0.0.1");
	expect_ok(serr("[a]\nimage = x\n[a.network]\npublish = 127.0.0.1:8005:1\n[b]\n"
		       "image = y\n[b.network]\npublish = 127.0.0.2:8005:2\n"),
		  "two loopback addresses do not clash");
	ok(stack_parse_text("[a]\nimage = x\n[a.network]\npublish = 1:1, 1:2\n", "s.ini", &st,
			    &err) < 0 &&
		   err.errnum == 0 && strstr(err.msg, "by [a] too (s.ini:4)"),
	   "a stack's errors carry no errno (nothing appended to the message)");
	berth_error_clear(&err);
	expect_error(serr("[a]\nimage = x\n[a.network]\nmode = front\n"),
		     "s.ini:4: [a] network.mode: network \"front\" is not in [stack] networks",
		     "an undeclared network");
	expect_ok(serr("[a]\nimage = x\n[a.network]\nmode = none\n"), "a built-in mode needs no "
								      "declaring");
	expect_error(serr("[stack]\nvolumes = other\n[a]\nimage = x\n[a.mounts]\n"
			  "volume = data:/data\n"),
		     "s.ini:6: [a] mounts.volume: volume \"data\" is not in [stack] volumes",
		     "an undeclared volume");
	expect_error(serr("[a]\nimage = x\n[a.mounts]\nmount = type=volume,source=v2,target=/v\n"),
		     "s.ini:4: [a] mounts.mount: volume \"v2\" is not in [stack] volumes",
		     "an undeclared volume in --mount form");
	expect_error(serr("[stack]\nname = x\n"), "s.ini:2: no sandbox", "a stack without sandbox");
	expect_error(serr(""), "s.ini:1: no sandbox", "an empty stack");
	expect_error(serr("[web]\nimage = x\n[web.netwrk]\n"),
		     "s.ini:3: [web.netwrk]: unknown section (did you mean [web.network]?)",
		     "an unknown [NAME.SECTION]");
	expect_error(serr("[web]\nimage = x\n[wbe.network]\nmode = none\n"),
		     "s.ini:3: [wbe.*]: no [wbe] section (did you mean [web]?)",
		     "[NAME.SECTION] without [NAME]");
	expect_error(serr("[web.sandbox]\n"),
		     "s.ini:1: [web.sandbox]: the sandbox keys go in [web]", "[NAME.sandbox]");
	expect_error(serr("[-web]\nimage = x\n"), "s.ini:1: [-web]: a sandbox is [NAME]",
		     "a bad sandbox name");
	expect_error(serr("[stack.network]\n"), "\"stack\" is the stack's own section",
		     "no sandbox named stack");
	expect_error(serr("image = x\n[a]\n"),
		     "s.ini:1: \"image = x\": a stack's keys go in a "
		     "section",
		     "keys before a stack's first section");
	expect_error(serr("[a]\nuser = 1\n"), "s.ini:1: [a]: no image", "a sandbox without image");
	expect_error(serr("[a]\nimage = x\nextends = p.ini\n"),
		     "s.ini:3: [a] extends: only a profile or stack loaded from a file",
		     "extends refused from text");
	expect_error(serr("[a]\nimage = x\n[a.network]\npublsh = 1\n"),
		     "s.ini:4: [a.network] publsh: unknown key (did you mean \"publish\"?)",
		     "an unknown key in [NAME.SECTION]");
	expect_error(serr("[a]\nimage = x\npublish = 1\n"),
		     "s.ini:3: [a] publish: unknown key (it goes in [a.network])",
		     "a key in [NAME] that goes in [NAME.SECTION]");
	expect_error(serr("[stack]\nnetworks = n, n\n[a]\nimage = x\n"),
		     "s.ini:2: [stack] networks: \"n\" twice", "a network declared twice");
	expect_error(serr("[stack]\nnetworks = host\n[a]\nimage = x\n"),
		     "s.ini:2: [stack] networks: expected a network name", "a reserved network");

	/* stack_load: a sandbox extends a profile, relative to the stack file */
	put("prof.ini", "[sandbox]\nimage = from-profile\n[network]\npublish = 5000:50\n");
	put("st.ini", "[stack]\nname = demo\n[a]\nextends = prof.ini\n[a.network]\n"
		      "publish = 5001:51\n[b]\nextends = prof.ini\nimage = own\n");
	_cleanup_free_ char *sp = xasprintf("%s/st.ini", tmp);
	r = stack_load(sp, &st, &err);
	_cleanup_free_ char *pp = xasprintf("%s/prof.ini:4: [b] network.publish", tmp);
	ok(r < 0 && err.msg && strstr(err.msg, "host port 127.0.0.1:5000/tcp") &&
		   strstr(err.msg, pp) == err.msg,
	   "two sandboxes extending one profile publish its port twice");
	if (r == 0)
		stack_free(&st);
	berth_error_clear(&err);
	put("st2.ini", "[stack]\nname = demo\n[a]\nextends = prof.ini\n[b]\nimage = own\n");
	_cleanup_free_ char *sp2 = xasprintf("%s/st2.ini", tmp);
	r = stack_load(sp2, &st, &err);
	if (!ok(r == 0 && !strcmp(st.name, "demo") &&
			!strcmp(profile_get(&st.sb[0].prof, "sandbox", "image"), "from-profile") &&
			!strcmp(profile_get(&st.sb[1].prof, "sandbox", "image"), "own"),
		"stack_load applies a sandbox's extends"))
		printf("#   %s\n", err.msg ? err.msg : "");
	if (r == 0)
		stack_free(&st);
	berth_error_clear(&err);
	put("st3.ini", "[a]\nextends = back.ini\n");
	put("back.ini", "extends = st3.ini\n");
	_cleanup_free_ char *sp3 = xasprintf("%s/st3.ini", tmp);
	ok(stack_load(sp3, &st, &err) < 0 && err.msg && strstr(err.msg, "a loop:"),
	   "a profile extending its stack is a loop");
	berth_error_clear(&err);
}

static void cleanup(void)
{
	struct berth_error err = { 0 };
	rm_rf_at(AT_FDCWD, tmp, &err);
	berth_error_clear(&err);
}

int main(void)
{
	if (!mkdtemp(tmp))
		die("mkdtemp");
	test_table();
	test_values();
	test_structure();
	test_words();
	test_write();
	test_extends();
	test_stacks();
	cleanup();
	return tap_done();
}
