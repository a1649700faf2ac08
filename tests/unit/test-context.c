// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: builder/context.c on real contexts made here: a directory
 * with files, a .dockerignore, links inside it and links pointing out of
 * it (to /etc and to a folder of secrets beside it), and tar streams
 * written with libarchive, hostile ones too ("../evil", an absolute
 * name, a write through a link, a device node, too many entries).
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../builder/context.h"
#include "../../lib/syscalls.h"
#include "../../lib/util.h"
#include "../tap.h"
#include "tar-members.h"

static char *scratch;	/* everything made here */
static char *ctx;	/* the context directory */
static char *outside;	/* a folder beside it, which nothing may read */
static char *store_dir; /* the scratch store's root */

static void put(const char *dir, const char *rel, const char *data)
{
	char *p = xasprintf("%s/%s", dir, rel);
	struct berth_error err = { 0 };
	char *slash = strrchr(p, '/');

	*slash = '\0';
	if (mkdir_p_at(AT_FDCWD, p, 0755, &err) < 0)
		die("mkdir %s: %s", p, err.msg);
	*slash = '/';
	if (write_file_atomic(AT_FDCWD, p, data, strlen(data), 0644, &err) < 0)
		die("write %s: %s", p, err.msg);
	free(p);
}

static void link_in(const char *dir, const char *rel, const char *target)
{
	char *p = xasprintf("%s/%s", dir, rel);

	if (symlink(target, p) < 0)
		die("symlink %s", p);
	free(p);
}

static void make_context(void)
{
	char *hostdir;

	put(ctx, "Dockerfile", "FROM scratch\n");
	put(ctx, "a.txt", "a");
	put(ctx, "b.txt", "b");
	put(ctx, "c.md", "c");
	put(ctx, "README.md", "readme");
	put(ctx, "src/main.c", "int main;");
	put(ctx, "src/util.c", "int util;");
	put(ctx, "src/sub/deep.c", "int deep;");
	put(ctx, "node_modules/x/y.js", "y");
	put(ctx, "keepdir/drop.txt", "drop");
	put(ctx, "keepdir/keep.txt", "keep");
	put(ctx, "big", "0123456789");
	put(ctx, ".dockerignore",
	    "# what docker would not send\nnode_modules\n*.md\n!README.md\nkeepdir\n"
	    "!keepdir/keep.txt\n");
	put(outside, "secret.txt", "SECRET");
	link_in(ctx, "etc", "/etc");
	hostdir = xstrdup(outside);
	link_in(ctx, "hostdir", hostdir);
	link_in(ctx, "inlink", "src");
	link_in(ctx, "inlink2", "./src/");
	link_in(ctx, "up", "../../..");
	free(hostdir);
}

/* The matches of patterns, as "rel[/ or @]" joined by spaces ("/" a
 * directory, "@" a link), or the error's text. */
static char *match(const struct build_context *c, char *const *pats, size_t n)
{
	struct ctx_match *m = NULL;
	size_t nm = 0;
	struct berth_error err = { 0 };
	char *out = xstrdup("");

	if (context_match(c, pats, n, &m, &nm, &err) < 0) {
		free(out);
		out = xasprintf("error: %s", err.msg);
		berth_error_clear(&err);
		return out;
	}
	for (size_t i = 0; i < nm; i++) {
		char *next = xasprintf("%s%s%s%s", out, i ? " " : "", m[i].rel,
				       m[i].dir	   ? "/"
				       : m[i].link ? "@"
						   : "");
		free(out);
		out = next;
	}
	ctx_matches_free(m, nm);
	return out;
}

static void is_match(const struct build_context *c, const char *pattern, const char *want)
{
	char *pats[] = { (char *)pattern };
	char *got = match(c, pats, 1);

	is_str(got, want, pattern);
	free(got);
}

static void test_dir(void)
{
	struct build_context c;
	struct berth_error err = { 0 };
	char *text = NULL;
	size_t len = 0;

	if (!ok(context_open_dir(ctx, NULL, &c, &err) == 0, "open the directory"))
		die("%s", err.msg);
	ok(c.dirfd >= 0 && c.ignore && !c.stage && strcmp(c.label, ctx) == 0, "its fields");

	ok(context_read_file(&c, "Dockerfile", 1024, &text, &len, &err) == 0 &&
		   strcmp(text, "FROM scratch\n") == 0 && len == 13,
	   "read the Dockerfile");
	free(text);
	text = NULL;
	ok(context_read_file(&c, "big", 4, &text, &len, &err) < 0 && err.errnum == EFBIG,
	   "a file over the bound: EFBIG");
	berth_error_clear(&err);
	ok(context_read_file(&c, "hostdir/secret.txt", 1024, &text, &len, &err) < 0 && !text &&
		   err.errnum == ENOENT,
	   "a link out of the context resolves inside it: nothing read");
	berth_error_clear(&err);
	ok(context_read_file(&c, "../../../../etc/hostname", 1024, &text, &len, &err) < 0 && !text,
	   "../ never leaves the context");
	berth_error_clear(&err);
	ok(context_read_file(&c, "src", 1024, &text, &len, &err) < 0, "a directory is no file");
	berth_error_clear(&err);

	/* globs, sorted, with the excluded paths left out */
	is_match(&c, "*.txt", "a.txt b.txt");
	is_match(&c, "*.md", "README.md");
	is_match(&c, "c.md",
		 "error: c.md: not found in the build context (or excluded by .dockerignore)");
	is_match(&c, "node_modules",
		 "error: node_modules: not found in the build context (or excluded by "
		 ".dockerignore)");
	is_match(&c, "node_modules/x/y.js",
		 "error: node_modules/x/y.js: not found in the build context (or excluded by "
		 ".dockerignore)");
	is_match(&c, "src/*.c", "src/main.c src/util.c");
	is_match(&c, "src/*/*.c", "src/sub/deep.c");
	is_match(&c, "s?c/[mu]*.c", "src/main.c src/util.c");
	is_match(&c, "src", "src/");
	is_match(&c, "src/", "src/");
	is_match(&c, "*",
		 ".dockerignore Dockerfile README.md a.txt b.txt big etc@ hostdir@ inlink@ "
		 "inlink2@ keepdir/ src/ up@");
	/* an excluded directory with an exception below it still matches */
	is_match(&c, "keepdir", "keepdir/");
	is_match(&c, "keepdir/keep.txt", "keepdir/keep.txt");
	is_match(&c, "keepdir/drop.txt",
		 "error: keepdir/drop.txt: not found in the build context (or excluded by "
		 ".dockerignore)");
	/* "/x" and "../x" are the context's x */
	is_match(&c, "/a.txt", "a.txt");
	is_match(&c, "../a.txt", "a.txt");
	is_match(&c, "../../src/../a.txt", "a.txt");
	is_match(&c, ".", "/");
	is_match(&c, "..", "/");
	/* links: kept as links; on the way, resolved inside the context */
	is_match(&c, "etc", "etc@");
	is_match(&c, "hostdir", "hostdir@");
	is_match(&c, "inlink/main.c", "src/main.c");
	is_match(&c, "inlink/*.c", "src/main.c src/util.c");
	is_match(&c, "up/a.txt", "a.txt");
	is_match(&c, "hostdir/secret.txt",
		 "error: hostdir/secret.txt: not found in the build context (or excluded by "
		 ".dockerignore)");
	is_match(&c, "hostdir/*",
		 "error: hostdir/*: not found in the build context (or excluded by "
		 ".dockerignore)");
	/* "etc" leads to the context's own etc: itself, a loop */
	is_match(&c, "etc/passwd",
		 "error: etc/passwd: not found in the build context (or excluded by "
		 ".dockerignore)");
	is_match(&c, "*/main.c", "src/main.c");
	/* src/main.c three ways: through inlink, src, and inlink2 */
	is_match(&c, "*/*.c", "src/main.c src/util.c");
	/* several patterns: in their order, each one's matches sorted */
	{
		char *got = match(&c, (char *[]){ "b.txt", "src/*.c", "a.txt" }, 3);
		is_str(got, "b.txt src/main.c src/util.c a.txt", "patterns in order");
		free(got);
	}
	is_match(&c, "[", "error: [: bad pattern");

	/* a kernel without openat2: no link followed at all, matching the same */
	ok(context_read_file(&c, "inlink/main.c", 1024, &text, &len, &err) == 0 &&
		   strcmp(text, "int main;") == 0,
	   "a link inside the context is followed inside it");
	free(text);
	text = NULL;
	openat2_pretend_missing(true);
	ok(context_read_file(&c, "src/main.c", 1024, &text, &len, &err) == 0, "without openat2");
	free(text);
	text = NULL;
	ok(context_read_file(&c, "inlink/main.c", 1024, &text, &len, &err) < 0 && !text,
	   "without openat2, no link is followed");
	berth_error_clear(&err);
	is_match(&c, "inlink/*.c", "src/main.c src/util.c");
	is_match(&c, "hostdir/secret.txt",
		 "error: hostdir/secret.txt: not found in the build context (or excluded by "
		 ".dockerignore)");
	openat2_pretend_missing(false);
	is_match(&c, "src/a[", "error: src/a[: bad pattern");
	context_close(&c);
	ok(c.dirfd == -1 && !c.ignore && !c.label, "closed");
	context_close(&c);
}

static void test_ignore_files(void)
{
	struct build_context c;
	struct berth_error err = { 0 };
	char *dir = xasprintf("%s/ctx2", scratch), *alt = xasprintf("%s/alt.dockerignore", scratch);
	char *missing = xasprintf("%s/none.dockerignore", scratch);

	put(dir, "x.log", "x");
	put(dir, "y.txt", "y");
	put(dir, ".containerignore", "*.log\n");
	put(scratch, "alt.dockerignore", "*.txt\n");

	ok(context_open_dir(dir, NULL, &c, &err) == 0, ".containerignore without .dockerignore");
	is_match(&c, "*", ".containerignore y.txt");
	context_close(&c);

	ok(context_open_dir(dir, alt, &c, &err) == 0, "an ignore file beside -f FILE");
	is_match(&c, "*", ".containerignore x.log");
	context_close(&c);

	ok(context_open_dir(dir, missing, &c, &err) == 0, "a missing one: the context's own");
	is_match(&c, "*", ".containerignore y.txt");
	context_close(&c);

	put(dir, ".dockerignore", "ok\n\n[bad\n");
	ok(context_open_dir(dir, NULL, &c, &err) < 0 && err.msg &&
		   strstr(err.msg, "ctx2/.dockerignore:3: bad pattern"),
	   "a bad pattern names the file and line");
	printf("# %s\n", err.msg);
	berth_error_clear(&err);

	context_open_none(&c);
	ok(c.dirfd < 0 && c.ignore, "no context");
	is_match(&c, "x", "error: x: there is no build context (the Dockerfile came from stdin)");
	context_close(&c);
	free(dir);
	free(alt);
	free(missing);
}

/* ---- tar contexts ---------------------------------------------------- */

static int make_tar(const struct member *m, size_t n)
{
	struct archive *a = archive_write_new();
	FILE *f = tmpfile();

	archive_write_set_format_pax_restricted(a);
	archive_write_open_FILE(a, f);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_perm(e, m[i].mode ? m[i].mode : 0644);
		archive_entry_set_mtime(e, 1700000000, 0);
		member_write(a, e, &m[i]);
		archive_entry_free(e);
	}
	return tar_finish_fd(a, f);
}

/* How many stages the store's tmp/ holds. */
static int stages(void)
{
	char *tmp = xasprintf("%s/tmp", store_dir);
	DIR *d = opendir(tmp);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		if (str_has_prefix(de->d_name, "stage-") && !str_has_suffix(de->d_name, ".lock"))
			n++;
	if (d)
		closedir(d);
	free(tmp);
	return n;
}

static void test_tar(struct store *s)
{
	static const struct member good[] = {
		{ "./", 'd', NULL, 0755 },
		{ "Dockerfile", 'f', "FROM scratch\nCOPY . /app\n", 0 },
		{ "d/", 'd', NULL, 0555 },
		{ "d/f", 'f', "content", 0640 },
		{ "d/secret", 'f', "hidden", 0 },
		{ "l", 'l', "/etc/passwd", 0777 },
		{ "h", 'h', "d/f", 0 },
		{ "dev/null", 'c', NULL, 0666 },
		{ "p", 'p', NULL, 0644 },
		{ "implied/dir/file", 'f', "deep", 0 },
		{ ".dockerignore", 'f', "d/secret\n", 0 },
	};
	struct build_context c;
	struct berth_error err = { 0 };
	struct stat st, st2;
	char *text = NULL, target[64];
	ssize_t n;
	int fd = make_tar(good, ARRAY_SIZE(good));

	if (!ok(context_open_tar(s, fd, &c, &err) == 0, "a tar context unpacks"))
		printf("# %s\n", err.msg);
	close(fd);
	berth_error_clear(&err);
	ok(c.stage && c.dirfd >= 0 && stages() == 1, "into a stage of the store");
	ok(context_read_file(&c, "Dockerfile", 1024, &text, NULL, &err) == 0 &&
		   strcmp(text, "FROM scratch\nCOPY . /app\n") == 0,
	   "its Dockerfile");
	free(text);
	ok(fstatat(c.dirfd, "d/f", &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & 07777) == 0640 &&
		   st.st_mtime == 1700000000,
	   "a file with its mode and mtime");
	ok(fstatat(c.dirfd, "d", &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & 07777) == 0555,
	   "a directory's mode, set after its files were written");
	n = readlinkat(c.dirfd, "l", target, sizeof(target) - 1);
	ok(n == 11 && memcmp(target, "/etc/passwd", 11) == 0, "a link kept as a link");
	ok(fstatat(c.dirfd, "h", &st2, AT_SYMLINK_NOFOLLOW) == 0 &&
		   fstatat(c.dirfd, "d/f", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		   st2.st_ino == st.st_ino && st.st_nlink == 2,
	   "a hard link kept");
	ok(fstatat(c.dirfd, "dev", &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT &&
		   fstatat(c.dirfd, "p", &st, AT_SYMLINK_NOFOLLOW) < 0,
	   "a device node and a FIFO left out");
	is_match(&c, "implied/dir/*", "implied/dir/file");
	is_match(&c, "d/*", "d/f");
	is_match(&c, "l", "l@");
	context_close(&c);
	ok(stages() == 0, "closing removes the stage");
}

static void tar_refused(struct store *s, const struct member *m, size_t n, const char *want,
			const char *what)
{
	struct build_context c;
	struct berth_error err = { 0 };
	int fd = make_tar(m, n);
	int r = context_open_tar(s, fd, &c, &err);

	close(fd);
	ok(r < 0 && err.msg && strstr(err.msg, want) && c.dirfd < 0 && !c.stage && stages() == 0,
	   "%s: refused (%s)", what, err.msg ? err.msg : "accepted");
	berth_error_clear(&err);
	if (r == 0)
		context_close(&c);
}

static void test_tar_hostile(struct store *s)
{
	char *through = xasprintf("%s/through", scratch);
	char *through_file = xasprintf("%s/through/x", scratch);
	char *evil = xasprintf("%s/tmp/evil", store_dir);
	const struct member dotdot[] = { { "a", 'f', "a", 0 }, { "../evil", 'f', "evil", 0 } };
	const struct member abs[] = { { "/etc/evil", 'f', "evil", 0 } };
	const struct member via_link[] = {
		{ "l", 'l', through, 0777 },
		{ "l/x", 'f', "written through a link", 0 },
	};
	const struct member hard_out[] = { { "h", 'h', "../../etc/passwd", 0 } };
	struct stat st;

	if (mkdir(through, 0755) < 0)
		die("mkdir %s", through);
	tar_refused(s, dotdot, ARRAY_SIZE(dotdot), "\"..\" component refused", "../evil");
	ok(stat(evil, &st) < 0, "nothing written above the context");
	tar_refused(s, abs, ARRAY_SIZE(abs), "absolute path refused", "an absolute name");
	tar_refused(s, via_link, ARRAY_SIZE(via_link), "is not a directory",
		    "a file written through a link");
	ok(stat(through_file, &st) < 0, "nothing written where the link points");
	tar_refused(s, hard_out, ARRAY_SIZE(hard_out), "\"..\" component refused",
		    "a hard link out of the context");
	free(through);
	free(through_file);
	free(evil);
}

static void test_tar_limits(struct store *s)
{
	char *conf = xasprintf("%s/berth.conf", scratch);
	const struct member many[] = {
		{ "1", 'f', "1", 0 }, { "2", 'f', "2", 0 }, { "3", 'f', "3", 0 },
		{ "4", 'f', "4", 0 }, { "5", 'f', "5", 0 },
	};
	const struct member big[] = { { "big", 'f', "0123456789abcdef0123456789abcdef", 0 } };

	put(scratch, "berth.conf", "[limits]\nmax-layer-entries = 3\nmax-layer-size = 16\n");
	setenv("BERTH_CONFIG", conf, 1);
	tar_refused(s, many, ARRAY_SIZE(many), "max-layer-entries", "too many entries");
	tar_refused(s, big, ARRAY_SIZE(big), "max-layer-size", "too many bytes");
	setenv("BERTH_CONFIG", "/nonexistent/berth.conf", 1);
	free(conf);
}

int main(void)
{
	char tmpl[] = "/tmp/test-context-XXXXXX";
	struct berth_error err = { 0 };
	struct store *s = NULL;
	char *root;

	if (!(scratch = mkdtemp(tmpl)))
		die("mkdtemp");
	ctx = xasprintf("%s/ctx", scratch);
	outside = xasprintf("%s/outside", scratch);
	root = store_dir = xasprintf("%s/store", scratch);
	/* no berth.conf of the user's running the tests */
	setenv("BERTH_CONFIG", "/nonexistent/berth.conf", 1);
	make_context();
	test_dir();
	test_ignore_files();
	if (store_open(root, &s, &err) < 0)
		die("store %s: %s", root, err.msg);
	test_tar(s);
	test_tar_hostile(s);
	test_tar_limits(s);
	store_free(s);
	rm_rf_at(AT_FDCWD, scratch, &err);
	berth_error_clear(&err);
	free(ctx);
	free(outside);
	free(root);
	return tap_done();
}
