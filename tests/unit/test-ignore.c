// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: builder/ignore.c against docker's documented .dockerignore
 * results (the examples of docker's reference, line by line) and Go's
 * filepath.Match and filepath.Clean behaviour (the cases Go's own tests
 * pin down), as tables.
 */
#include <stdlib.h>
#include <string.h>

#include "../../builder/ignore.h"
#include "../../lib/util.h"
#include "../tap.h"

/* go_path_match: 1 match, 0 none, -1 ErrBadPattern */
static const struct {
	const char *pattern, *name;
	int want;
} match_table[] = {
	{ "abc", "abc", 1 },
	{ "*", "abc", 1 },
	{ "*c", "abc", 1 },
	{ "a*", "a", 1 },
	{ "a*", "abc", 1 },
	{ "a*", "ab/c", 0 },
	{ "a*/b", "abc/b", 1 },
	{ "a*/b", "a/c/b", 0 },
	{ "a*b*c*d*e*/f", "axbxcxdxe/f", 1 },
	{ "a*b*c*d*e*/f", "axbxcxdxexxx/f", 1 },
	{ "a*b*c*d*e*/f", "axbxcxdxe/xxx/f", 0 },
	{ "a*b*c*d*e*/f", "axbxcxdxexxx/fff", 0 },
	{ "a*b?c*x", "abxbbxdbxebxczzx", 1 },
	{ "a*b?c*x", "abxbbxdbxebxczzy", 0 },
	{ "ab[c]", "abc", 1 },
	{ "ab[b-d]", "abc", 1 },
	{ "ab[e-g]", "abc", 0 },
	{ "ab[^c]", "abc", 0 },
	{ "ab[^b-d]", "abc", 0 },
	{ "ab[^e-g]", "abc", 1 },
	/* Go's classes negate with '^' only: '!' is a member */
	{ "ab[!c]", "abc", 1 },
	{ "ab[!c]", "ab!", 1 },
	{ "a\\*b", "a*b", 1 },
	{ "a\\*b", "ab", 0 },
	{ "a?b", "a\u263Ab", 1 },
	{ "a[^a]b", "a\u263Ab", 1 },
	{ "a???b", "a\u263Ab", 0 },
	{ "a[^a][^a][^a]b", "a\u263Ab", 0 },
	{ "[a-\u03B6]*", "\u03B1", 1 },
	{ "*[a-\u03B6]", "A", 0 },
	{ "a?b", "a/b", 0 },
	{ "a*b", "a/b", 0 },
	{ "[\\]a]", "]", 1 },
	{ "[\\-]", "-", 1 },
	{ "[x\\-]", "x", 1 },
	{ "[x\\-]", "-", 1 },
	{ "[x\\-]", "z", 0 },
	{ "[\\-x]", "x", 1 },
	{ "[\\-x]", "-", 1 },
	{ "[\\-x]", "a", 0 },
	{ "[]a]", "]", -1 },
	{ "[-]", "-", -1 },
	{ "[x-]", "x", -1 },
	{ "[x-]", "-", -1 },
	{ "[x-]", "z", -1 },
	{ "[-x]", "x", -1 },
	{ "[-x]", "-", -1 },
	{ "[-x]", "a", -1 },
	{ "\\", "a", -1 },
	{ "[a-b-c]", "a", -1 },
	{ "[", "a", -1 },
	{ "[^", "a", -1 },
	{ "[^bc", "a", -1 },
	{ "a[", "a", -1 },
	{ "a[", "ab", -1 },
	{ "a[", "x", -1 },
	{ "a/b[", "x", -1 },
	/* a mismatch early still checks the rest of the pattern */
	{ "x*[", "abc", -1 },
	{ "*x", "xxx", 1 },
	{ "", "", 1 },
	{ "", "a", 0 },
	{ "a]b", "a]b", 1 },
	{ "*/b", "a/b", 1 },
	{ "[/]", "/", 1 },
};

static const struct {
	const char *in, *want;
} clean_table[] = {
	{ "", "." },
	{ "abc", "abc" },
	{ "abc/def", "abc/def" },
	{ "a/b/c", "a/b/c" },
	{ ".", "." },
	{ "..", ".." },
	{ "../..", "../.." },
	{ "../../abc", "../../abc" },
	{ "/abc", "/abc" },
	{ "/", "/" },
	{ "abc/", "abc" },
	{ "abc/def/", "abc/def" },
	{ "a/b/c/", "a/b/c" },
	{ "./", "." },
	{ "../", ".." },
	{ "../../", "../.." },
	{ "/abc/", "/abc" },
	{ "abc//def//ghi", "abc/def/ghi" },
	{ "//abc", "/abc" },
	{ "///abc", "/abc" },
	{ "//abc//", "/abc" },
	{ "abc//", "abc" },
	{ "abc/./def", "abc/def" },
	{ "/./abc/def", "/abc/def" },
	{ "abc/.", "abc" },
	{ "abc/def/ghi/../jkl", "abc/def/jkl" },
	{ "abc/def/../ghi/../jkl", "abc/jkl" },
	{ "abc/def/..", "abc" },
	{ "abc/def/../..", "." },
	{ "/abc/def/../..", "/" },
	{ "abc/def/../../..", ".." },
	{ "/abc/def/../../..", "/" },
	{ "abc/def/../../../ghi/jkl/../../../mno", "../../mno" },
	{ "/../abc", "/abc" },
	{ "abc/./../def", "def" },
	{ "abc//./../def", "def" },
	{ "abc/../../././../def", "../../def" },
};

/* An ignore file (lines joined with '\n'), a path, whether excluded. */
static const struct {
	const char *file, *path;
	bool excluded;
} ignore_table[] = {
	/* docker's reference example: a comment, then one temp pattern a
	 * level down, one two levels down, and "temp?" at the root */
	{ "# comment\n*/temp*\n*/*/temp*\ntemp?", "somedir/temporary.txt", true },
	{ "# comment\n*/temp*\n*/*/temp*\ntemp?", "somedir/temp", true },
	{ "# comment\n*/temp*\n*/*/temp*\ntemp?", "somedir/subdir/temporary.txt", true },
	{ "# comment\n*/temp*\n*/*/temp*\ntemp?", "tempa", true },
	{ "# comment\n*/temp*\n*/*/temp*\ntemp?", "tempb", true },
	{ "# comment\n*/temp*\n*/*/temp*\ntemp?", "temp", false },
	{ "# comment\n*/temp*\n*/*/temp*\ntemp?", "tempab", false },
	{ "# comment\n*/temp*\n*/*/temp*\ntemp?", "temporary.txt", false },
	{ "# comment\n*/temp*\n*/*/temp*\ntemp?", "a/b/c/temp", false },
	{ "# comment\n*/temp*\n*/*/temp*\ntemp?", "comment", false },
	/* a directory matched excludes what it holds */
	{ "*/temp*", "somedir/temp/deep/file", true },
	/* Go files in every directory, the root's too */
	{ "**/*.go", "main.go", true },
	{ "**/*.go", "a/b/c.go", true },
	{ "**/*.go", "a/b/c.goo", false },
	{ "**/*.go", "a.go/x", true },
	/* exceptions: the last matching line wins */
	{ "*.md\n!README.md", "CHANGES.md", true },
	{ "*.md\n!README.md", "README.md", false },
	{ "*.md\n!README.md", "docs/x.md", false },
	{ "*.md\n!README*.md\nREADME-secret.md", "README-secret.md", true },
	{ "*.md\n!README*.md\nREADME-secret.md", "README-a.md", false },
	{ "*.md\n!README*.md\nREADME-secret.md", "README.md", false },
	{ "*.md\n!README*.md\nREADME-secret.md", "notes.md", true },
	{ "*.md\nREADME-secret.md\n!README*.md", "README-secret.md", false },
	{ "*.md\nREADME-secret.md\n!README*.md", "notes.md", true },
	/* a name: that path and everything below it, only at the root */
	{ "node_modules", "node_modules", true },
	{ "node_modules", "node_modules/x/y.js", true },
	{ "node_modules", "a/node_modules", false },
	{ "node_modules", "node_modules2", false },
	{ "**/node_modules", "a/b/node_modules/c", true },
	{ "**/node_modules", "node_modules", true },
	{ "**/node_modules", "a/xnode_modules", false },
	/* leading "/" and "./", inner "//", "/./", "/../" folded */
	{ "/foo", "foo", true },
	{ "/foo", "foo/bar", true },
	{ "./foo", "foo", true },
	{ "foo/", "foo/bar", true },
	{ "a//b", "a/b", true },
	{ "a/./b", "a/b", true },
	{ "a/../b", "b", true },
	{ "a/../b", "a/b", false },
	{ "../x", "x", false },
	/* "**" in the middle: any number of directories, zero too */
	{ "a/**/b", "a/b", true },
	{ "a/**/b", "a/x/b", true },
	{ "a/**/b", "a/x/y/b", true },
	{ "a/**/b", "a/xb", false },
	{ "a/**/b", "b", false },
	/* a final "**": everything below, and a prefix before it */
	{ "a/**", "a/x/y", true },
	{ "foo**", "foobar", true },
	{ "foo**", "foo/x", true },
	{ "foo**", "fo", false },
	{ "**", "anything/at/all", true },
	{ "**\n!keep", "keep", false },
	{ "**\n!keep", "keep/inner", false },
	{ "**\n!keep", "other", true },
	/* "**" then plain text: the path ends with it (docker's suffix
	 * match) */
	{ "**.go", "x.go", true },
	{ "**.go", "a/b.go", true },
	{ "**.go", "a/b.c", false },
	/* a directory excluded, a file in it brought back */
	{ "dir\n!dir/keep", "dir/keep", false },
	{ "dir\n!dir/keep", "dir/other", true },
	{ "dir\n!dir/keep", "dir", true },
	/* an exception before the exclusion is overruled */
	{ "!dir/keep\ndir", "dir/keep", true },
	/* comments only at the start of a line; spaces trimmed; "\r\n" */
	{ "  #x", "#x", true },
	{ "#x", "#x", false },
	{ "  spaced  \r\nnext\r\n", "spaced", true },
	{ "  spaced  \r\nnext\r\n", "next", true },
	{ "\xEF\xBB\xBF"
	  "bom",
	  "bom", true },
	{ "\n\n\t\n", "x", false },
	{ "! keep\n", "keep", false },
	/* "?" and "*" never cross a '/' */
	{ "a?b", "a/b", false },
	{ "a*", "a/b", true }, /* "a" itself: its parent matches */
	{ "*a", "b/a", false },
	/* classes and escapes */
	{ "[ab].txt", "a.txt", true },
	{ "[ab].txt", "c.txt", false },
	{ "[^ab].txt", "c.txt", true },
	{ "x\\*", "x*", true },
	{ "x\\*", "xy", false },
	{ "a.b*", "axb", false },
	{ "f(1)*", "f(1)x", true },
	/* docker hands a bare "^" to Go's regexp: the start of the path */
	{ "^foo*", "foobar", true },
	/* the literals a path must start and end with, multibyte ones too;
	 * an invalid byte is Go's replacement rune on both sides */
	{ "src/*.c", "src/a.c", true },
	{ "src/*.c", "srcx/a.c", false },
	{ "*\u00e9", "caf\u00e9", true },
	{ "*\u00e9", "cafe", false },
	{ "\xff*", "\xfe-x", true },
	{ "x?", "x\xff", true },
	/* the root is never excluded */
	{ "*", ".", false },
	{ "*", "", false },
	{ "*", "x/y", true },
};

static void test_match(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(match_table); i++)
		is_int(go_path_match(match_table[i].pattern, match_table[i].name),
		       match_table[i].want, match_table[i].pattern);
}

static void test_clean(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(clean_table); i++) {
		char *c = go_path_clean(clean_table[i].in);
		is_str(c, clean_table[i].want, clean_table[i].in);
		free(c);
	}
}

/* The file on one line, for the test's name. */
static char *one_line(const char *s)
{
	char *r = xstrdup(s);

	for (char *p = r; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = '|';
	return r;
}

static void test_table(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(ignore_table); i++) {
		struct ignore *ig = NULL;
		struct berth_error err = { 0 };
		const char *f = ignore_table[i].file;
		_cleanup_free_ char *name = one_line(f);

		if (ignore_parse(".dockerignore", f, strlen(f), &ig, &err) < 0) {
			ok(0, "parse %s: %s", name, err.msg);
			berth_error_clear(&err);
			continue;
		}
		if (!ok(ignore_excludes(ig, ignore_table[i].path) == ignore_table[i].excluded,
			"[%s] %s %s", name, ignore_table[i].path,
			ignore_table[i].excluded ? "excluded" : "kept"))
			printf("#   got the opposite\n");
		ignore_free(ig);
	}
}

static void parse_fails(const char *text, const char *want)
{
	struct ignore *ig = NULL;
	struct berth_error err = { 0 };
	int r = ignore_parse("ctx/.dockerignore", text, strlen(text), &ig, &err);

	ok(r < 0 && !ig && err.msg && strstr(err.msg, want), "refused: %s (%s)", want,
	   err.msg ? err.msg : "accepted");
	berth_error_clear(&err);
	ignore_free(ig);
}

static void test_errors(void)
{
	parse_fails("ok\n[", "ctx/.dockerignore:2: bad pattern");
	parse_fails("a\n\nb[-x]", "ctx/.dockerignore:3: bad pattern");
	parse_fails("x\\", "ctx/.dockerignore:1: bad pattern");
	parse_fails("a\n!", "ctx/.dockerignore:2:");
	parse_fails("! /", "ctx/.dockerignore:1:");
	{
		size_t n = 70000;
		char *big = xmalloc(n + 1);
		memset(big, 'a', n);
		big[n] = '\0';
		parse_fails(big, "ctx/.dockerignore:1: line longer");
		free(big);
	}
}

static struct ignore *parse(const char *text)
{
	struct ignore *ig = NULL;
	struct berth_error err = { 0 };

	if (ignore_parse("t", text, strlen(text), &ig, &err) < 0)
		abort();
	return ig;
}

static void test_below(void)
{
	struct ignore *ig = parse("dir\n!dir/sub/keep");

	ok(ignore_may_include_below(ig, "dir"), "an exception beneath dir: walk it");
	ok(ignore_may_include_below(ig, "dir/sub"), "and dir/sub");
	ok(!ignore_may_include_below(ig, "dir/other"), "not dir/other");
	ok(!ignore_may_include_below(ig, "di"), "not a mere prefix of the name");
	ignore_free(ig);

	ig = parse("node_modules\nbuild");
	ok(!ignore_may_include_below(ig, "node_modules"), "no exception: skip the directory");
	ignore_free(ig);

	ig = parse("dir\n!**/keep");
	ok(ignore_may_include_below(ig, "dir"), "a wildcard exception: walk every directory");
	ignore_free(ig);

	ig = parse("");
	ok(!ignore_excludes(ig, "anything"), "an empty file excludes nothing");
	ignore_free(ig);
}

int main(void)
{
	test_match();
	test_clean();
	test_table();
	test_errors();
	test_below();
	return tap_done();
}
