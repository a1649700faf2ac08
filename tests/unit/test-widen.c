// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: what a profile loosens (profiles/widen.c). Profiles in a
 * "repository" directory of a temp dir, with the host outside it: every
 * widening key listed with its file:line, nothing for a profile that
 * stays inside, paths judged after ".." and symlinks (a link inside that
 * points out, a relative one, a dangling one, a loop), a stack's own
 * networks and volumes not counted, the user's profile directory
 * trusted. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../profiles/profile.h"
#include "../../lib/util.h"
#include "../tap.h"

static char tmp[] = "/tmp/berth-test-widen.XXXXXX";

static void put(const char *name, const char *text)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", tmp, name);
	FILE *f = fopen(path, "we");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		die("writing %s", path);
}

static void dir(const char *name)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", tmp, name);
	if (mkdir(path, 0700) < 0)
		die("mkdir %s", path);
}

static void link_to(const char *target, const char *name)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", tmp, name);
	if (symlink(target, path) < 0)
		die("symlink %s", path);
}

/* The widenings of a profile file (under tmp), or of a stack's sandboxes. */
static char **widenings(const char *name, size_t *n)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", tmp, name);
	struct berth_error err = { 0 };
	struct profile p = { 0 };
	char **w = NULL;

	if (profile_load(path, &p, &err) < 0) {
		printf("#   %s: %s\n", name, err.msg);
		berth_error_clear(&err);
		*n = 0;
		return xcalloc(1, sizeof(char *));
	}
	profile_widenings(&p, NULL, NULL, &w, n);
	profile_free(&p);
	return w;
}

static void free_v(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* The line for FILE:LINE, or NULL. */
static const char *line_for(char **w, const char *file, unsigned line)
{
	_cleanup_free_ char *at = xasprintf("%s/%s:%u: ", tmp, file, line);
	for (size_t i = 0; w[i]; i++)
		if (!strncmp(w[i], at, strlen(at)))
			return w[i];
	return NULL;
}

static void expect_line(char **w, const char *file, unsigned line, const char *needle,
			const char *name)
{
	const char *l = line_for(w, file, line);
	if (!ok(l && strstr(l, needle), "%s", name)) {
		printf("#   want %s:%u with \"%s\", got:\n", file, line, needle);
		for (size_t i = 0; w[i]; i++)
			printf("#     %s\n", w[i]);
	}
}

static void expect_none(char **w, const char *file, unsigned line, const char *name)
{
	const char *l = line_for(w, file, line);
	if (!ok(!l, "%s", name))
		printf("#   got: %s\n", l);
}

static void test_every_key(void)
{
	size_t n;

	/* line numbers matter: the warnings name them */
	put("base.ini", "[sandbox]\nimage = x\n");
	put("repo/wide.ini", "extends = ../base.ini\n"		     /* 1 */
			     "[sandbox]\n"			     /* 2 */
			     "env-file = ../host.env\n"		     /* 3 */
			     "env-file = in.env\n"		     /* 4 */
			     "userns = keep-id\n"		     /* 5 */
			     "[mounts]\n"			     /* 6 */
			     "volume = /etc:/x:ro\n"		     /* 7 */
			     "volume = ./out-link:/l\n"		     /* 8 */
			     "volume = ./sub/../../host:/h\n"	     /* 9 */
			     "volume = ./sub:/s\n"		     /* 10 */
			     "volume = cache:/cache\n"		     /* 11 */
			     "volume = /anon\n"			     /* 12 */
			     "mount = type=bind,src=~/x,dst=/home\n" /* 13 */
			     "volumes-from = other\n"		     /* 14 */
			     "[secrets]\n"			     /* 15 */
			     "secret = token,type=env\n"	     /* 16 */
			     "[network]\n"			     /* 17 */
			     "mode = host\n"			     /* 18 */
			     "publish = 0.0.0.0:8080:80\n"	     /* 19 */
			     "publish = 127.0.0.1:8081:80\n"	     /* 20 */
			     "publish = 8082:80\n"		     /* 21 */
			     "publish = 192.0.2.1:8083:80\n"	     /* 22 */
			     "[security]\n"			     /* 23 */
			     "cap-add = NET_RAW\n"		     /* 24 */
			     "seccomp = unconfined\n"		     /* 25 */
			     "no-new-privileges = false\n"	     /* 26 */
			     "cap-drop = ALL\n"			     /* 27 */
			     "read-only = false\n");		     /* 28 */
	char **w = widenings("repo/wide.ini", &n);
	expect_line(w, "repo/wide.ini", 1, "builds on", "extends out of the directory");
	expect_line(w, "repo/wide.ini", 3, "host.env, outside", "an env-file out of it");
	expect_none(w, "repo/wide.ini", 4, "an env-file inside: nothing");
	expect_none(w, "repo/wide.ini", 5, "userns = keep-id: nothing (the same host ids)");
	expect_line(w, "repo/wide.ini", 7, "bind-mounts (read-only) /etc", "a host path");
	_cleanup_free_ char *host = xasprintf("bind-mounts %s/host,", tmp);
	expect_line(w, "repo/wide.ini", 8, host, "a symlink inside pointing out, resolved");
	expect_line(w, "repo/wide.ini", 9, host, "a .. out, resolved");
	expect_none(w, "repo/wide.ini", 10, "a bind inside: nothing");
	expect_line(w, "repo/wide.ini", 11, "named volume \"cache\"", "a named volume");
	expect_none(w, "repo/wide.ini", 12, "an anonymous volume: nothing");
	expect_line(w, "repo/wide.ini", 13, "bind-mounts", "a ~ bind source");
	expect_line(w, "repo/wide.ini", 14, "volumes-from = other", "volumes-from");
	expect_line(w, "repo/wide.ini", 16, "secret \"token\"", "a secret by name");
	expect_line(w, "repo/wide.ini", 18, "host's network", "network = host");
	expect_line(w, "repo/wide.ini", 19, "every address", "a port on 0.0.0.0");
	expect_none(w, "repo/wide.ini", 20, "a port on 127.0.0.1: nothing");
	expect_none(w, "repo/wide.ini", 21, "a port with no address (127.0.0.1): nothing");
	expect_line(w, "repo/wide.ini", 22, "192.0.2.1", "a port on another address");
	expect_line(w, "repo/wide.ini", 24, "adds a capability", "cap-add");
	expect_line(w, "repo/wide.ini", 25, "syscall filter off", "seccomp = unconfined");
	expect_line(w, "repo/wide.ini", 26, "setuid", "no-new-privileges = false");
	expect_none(w, "repo/wide.ini", 27, "cap-drop: nothing");
	is_int(n, 15, "fifteen lines, one per widening setting");
	free_v(w);

	/* the same kinds of settings, kept inside and at the defaults */
	put("repo/narrow.ini", "extends = narrow-base.ini\n[sandbox]\nenv-file = in.env\n"
			       "[mounts]\nvolume = .:/src\n         ./sub/../sub:/s\n"
			       "         /anon\ntmpfs = /tmp\n[network]\nmode = none\n"
			       "publish = 127.0.0.1:8080:80\n[security]\ncap-drop = ALL\n"
			       "seccomp = default\nno-new-privileges = true\n");
	put("repo/narrow-base.ini", "[sandbox]\nimage = x\n");
	w = widenings("repo/narrow.ini", &n);
	if (!ok(n == 0, "a profile that stays inside its directory widens nothing"))
		for (size_t i = 0; w[i]; i++)
			printf("#   %s\n", w[i]);
	free_v(w);
}

static void test_paths(void)
{
	size_t n;

	/* a relative link, a dangling one out, a loop, a link to inside */
	link_to("../host", "repo/rel-out");
	link_to("/nonexistent-berth-widen/x", "repo/dangling");
	link_to("loop-b", "repo/loop-a");
	link_to("loop-a", "repo/loop-b");
	link_to("sub", "repo/in-link");
	put("repo/paths.ini", "[sandbox]\nimage = x\n[mounts]\n"
			      "volume = ./rel-out/deeper:/a\n" /* 4 */
			      "volume = ./dangling:/b\n"       /* 5 */
			      "volume = ./loop-a:/c\n"	       /* 6 */
			      "volume = ./in-link:/d\n"	       /* 7 */
			      "volume = ./in-link/..:/e\n" /* 8: lexically ".", as run reads it */
			      "[sandbox]\nenv-file = out-link/../in.env\n"); /* 10 */
	char **w = widenings("repo/paths.ini", &n);
	_cleanup_free_ char *deeper = xasprintf("%s/host/deeper", tmp);
	expect_line(w, "repo/paths.ini", 4, deeper, "a relative link out, then more");
	expect_line(w, "repo/paths.ini", 5, "/nonexistent-berth-widen/x",
		    "a dangling link counts where it points");
	expect_none(w, "repo/paths.ini", 7, "a link to inside: nothing");
	expect_none(w, "repo/paths.ini", 8, "a bind of link/.. is the directory (run cleans it)");
	_cleanup_free_ char *upper = xasprintf("variables of %s/in.env,", tmp);
	expect_line(w, "repo/paths.ini", 10, upper,
		    "an env file's .. after a link is the kernel's (the target's parent)");
	free_v(w);
}

static void test_stack_and_trust(void)
{
	struct berth_error err = { 0 };
	struct stack st = { 0 };
	char **w = NULL;
	size_t n = 0;

	put("repo/stack.ini", "[stack]\nnetworks = net\nvolumes = data\n"
			      "[a]\nimage = x\n[a.mounts]\nvolume = data:/d\n"
			      "[a.network]\nmode = net\n"
			      "[b]\nextends = ../base.ini\n[b.security]\ncap-add = ALL\n");
	_cleanup_free_ char *sp = xasprintf("%s/repo/stack.ini", tmp);
	if (!ok(stack_load(sp, &st, &err) == 0, "the stack loads")) {
		printf("#   %s\n", err.msg);
		berth_error_clear(&err);
		return;
	}
	profile_widenings(&st.sb[0].prof, st.networks, st.volumes, &w, &n);
	ok(n == 0, "a stack's own network and volume widen nothing");
	free_v(w);
	profile_widenings(&st.sb[1].prof, st.networks, st.volumes, &w, &n);
	if (!ok(n == 2 && line_for(w, "repo/stack.ini", 11) && strstr(w[0], "builds on") &&
			line_for(w, "repo/stack.ini", 13) && strstr(w[1], "every capability"),
		"a sandbox's extends out and its cap-add, each with the stack's file:line"))
		for (size_t i = 0; i < n; i++)
			printf("#   %s\n", w[i]);
	free_v(w);
	stack_free(&st);

	/* the user's own profile directory is trusted */
	_cleanup_free_ char *xdg = xasprintf("%s/xdg", tmp);
	dir("xdg");
	dir("xdg/berth");
	dir("xdg/berth/profiles");
	put("xdg/berth/profiles/mine.ini", "[sandbox]\nimage = x\n[mounts]\nvolume = /etc:/e\n");
	setenv("XDG_CONFIG_HOME", xdg, 1);
	w = widenings("xdg/berth/profiles/mine.ini", &n);
	ok(n == 0, "a profile in the user's profile directory is the user's own: no lines");
	free_v(w);
	w = widenings("repo/wide.ini", &n);
	ok(n == 15, "and one elsewhere is still judged");
	free_v(w);
	unsetenv("XDG_CONFIG_HOME");
}

int main(void)
{
	struct berth_error err = { 0 };

	if (!mkdtemp(tmp))
		die("mkdtemp");
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", tmp, 1);
	dir("repo");
	dir("repo/sub");
	dir("host");
	put("host.env", "A=1\n");
	put("repo/in.env", "A=1\n");
	link_to("../host", "repo/out-link");
	test_every_key();
	test_paths();
	test_stack_and_trust();
	rm_rf_at(AT_FDCWD, tmp, &err);
	berth_error_clear(&err);
	return tap_done();
}
