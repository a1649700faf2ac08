// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: COPY, ADD and WORKDIR layers (builder/copy.c) from a real
 * context directory and a real layer stack (unpacked here from tars),
 * written and read back with libarchive; the COPY digest's rules;
 * --chown's names through the image's /etc/passwd and /etc/group.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../builder/context.h"
#include "../../builder/copy.h"
#include "../../image/unpack.h"
#include "../../lib/util.h"
#include "../tap.h"
#include "tar-members.h"

/* The context dir (its own, real context.c and ignore.c) with the
 * .dockerignore lines given, in a file beside it. */
static void open_context(const char *dir, char **lines, struct build_context *c)
{
	_cleanup_free_ char *path = xasprintf("%s.dockerignore", dir);
	struct berth_error err = { 0 };
	FILE *f = fopen(path, "w");

	for (size_t i = 0; f && lines[i]; i++)
		fprintf(f, "%s\n", lines[i]);
	if (!f || fclose(f) != 0 || context_open_dir(dir, path, c, &err) < 0)
		die("the context %s: %s", dir, err.msg ? err.msg : "writing its ignore file");
}

static void close_context(struct build_context *c)
{
	context_close(c);
}

/* ---- building the inputs ---- */

static void put(int dfd, const char *path, const char *data, mode_t mode)
{
	int fd = openat(dfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0 || write_all(fd, data, strlen(data)) < 0)
		die("writing %s", path);
	fchmod(fd, mode);
	close(fd);
}

static void put_time(int dfd, const char *path, time_t t)
{
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };
	utimensat(dfd, path, ts, AT_SYMLINK_NOFOLLOW);
}

/* A member with its owners (this test's tars say them). */
struct copy_member {
	const char *name;
	char type; /* as struct member's */
	const char *data;
	unsigned mode;
	unsigned uid, gid;
};

/* A tar of members into path (or a temporary file when path is NULL:
 * its fd at offset 0), compressed by filter. */
static int make_tar(const char *path, const struct copy_member *m, size_t n, int filter)
{
	struct archive *a = archive_write_new();
	FILE *f = path ? fopen(path, "w+") : tmpfile();

	archive_write_set_format_pax_restricted(a);
	/* no zeros padding the compressed stream (zstd's reader refuses them) */
	archive_write_set_bytes_in_last_block(a, 1);
	if (filter != ARCHIVE_FILTER_NONE && archive_write_add_filter(a, filter) != ARCHIVE_OK) {
		archive_write_free(a);
		fclose(f);
		return -1; /* this libarchive cannot write it */
	}
	archive_write_open_FILE(a, f);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_perm(e, m[i].mode ? m[i].mode : 0644);
		archive_entry_set_uid(e, m[i].uid);
		archive_entry_set_gid(e, m[i].gid);
		archive_entry_set_mtime(e, 1000000, 0);
		member_write(a, e, &(struct member){ m[i].name, m[i].type, m[i].data, m[i].mode });
		archive_entry_free(e);
	}
	return tar_finish_fd(a, f);
}

/* A layer unpacked from members into dir, on top of lowers (top first). */
static void make_layer(const char *dir, const struct copy_member *m, size_t n,
		       struct bfs_layer *lowers, size_t n_lowers, struct bfs_layer *out)
{
	struct bfs_stack st = { .n = n_lowers + 1 };
	struct berth_error err = { 0 };
	struct unpack_result res;
	int fd = make_tar(NULL, m, n, 0);

	mkdir(dir, 0755);
	out->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	out->meta = bfs_meta_new();
	out->name = xstrdup(dir);
	st.layers = xcalloc(st.n, sizeof(*st.layers));
	st.layers[0] = *out;
	for (size_t i = 0; i < n_lowers; i++)
		st.layers[i + 1] = lowers[i];
	if (unpack_layer(&st, fd, NULL, NULL, NULL, &res, &err) < 0)
		die("unpacking %s: %s", dir, err.msg);
	free(st.layers);
	close(fd);
}

/* ---- reading a layer back ---- */

struct got {
	char *path, *link, *hardlink, *data;
	char *xattr; /* the first extended attribute: "name=value" */
	char type;
	unsigned mode, uid, gid;
	int64_t mtime;
};

struct layer {
	struct got *v;
	size_t n;
};

static void layer_free(struct layer *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].link);
		free(l->v[i].hardlink);
		free(l->v[i].data);
		free(l->v[i].xattr);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static char type_of(mode_t m)
{
	switch (m & AE_IFMT) {
	case AE_IFDIR: return 'd';
	case AE_IFLNK: return 'l';
	default: return 'f';
	}
}

static void read_layer(int fd, struct layer *out)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;

	memset(out, 0, sizeof(*out));
	lseek(fd, 0, SEEK_SET);
	archive_read_support_format_tar(a);
	archive_read_support_format_empty(a);
	if (archive_read_open_fd(a, fd, 10240) != ARCHIVE_OK)
		die("reading the layer: %s", archive_error_string(a));
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		struct got g = { 0 };
		la_int64_t size = archive_entry_size(e);
		g.path = xstrdup(archive_entry_pathname(e));
		if (strlen(g.path) > 1 && str_has_suffix(g.path, "/")) /* pax's directories */
			g.path[strlen(g.path) - 1] = '\0';
		g.type = type_of(archive_entry_filetype(e));
		g.mode = archive_entry_perm(e);
		g.uid = (unsigned)archive_entry_uid(e);
		g.gid = (unsigned)archive_entry_gid(e);
		g.mtime = archive_entry_mtime(e);
		if (archive_entry_symlink(e))
			g.link = xstrdup(archive_entry_symlink(e));
		if (archive_entry_hardlink(e))
			g.hardlink = xstrdup(archive_entry_hardlink(e));
		if (archive_entry_xattr_reset(e) > 0) {
			const char *name;
			const void *value;
			size_t vlen;
			archive_entry_xattr_next(e, &name, &value, &vlen);
			g.xattr = xasprintf("%s=%.*s", name, (int)vlen, (const char *)value);
		}
		g.data = xcalloc(1, (size_t)size + 1);
		if (size > 0 && archive_read_data(a, g.data, (size_t)size) != size)
			die("reading %s", g.path);
		out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
		out->v[out->n++] = g;
	}
	archive_read_free(a);
}

static const struct got *find(const struct layer *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].path, path) == 0)
			return &l->v[i];
	return NULL;
}

/* The layer c writes, read back; -1 (err set) when it fails. */
static int write_read(const struct copy_spec *c, struct layer *out, struct berth_error *err)
{
	FILE *f = tmpfile();
	int r = copy_write_layer(c, fileno(f), err);

	memset(out, 0, sizeof(*out));
	if (r == 0)
		read_layer(fileno(f), out);
	else
		printf("#   error: %s\n", err->msg);
	fclose(f);
	return r;
}

/* err holds a message with s in it */
static bool has(const struct berth_error *err, const char *s)
{
	return err->msg && strstr(err->msg, s);
}

static bool is_file(const struct got *g, const char *data, unsigned mode, unsigned uid,
		    unsigned gid)
{
	return g && g->type == 'f' && !g->hardlink && strcmp(g->data, data) == 0 &&
	       g->mode == mode && g->uid == uid && g->gid == gid;
}

static bool is_dir(const struct got *g, unsigned mode, unsigned uid, unsigned gid)
{
	return g && g->type == 'd' && g->mode == mode && g->uid == uid && g->gid == gid;
}

static void list(const struct layer *l)
{
	for (size_t i = 0; i < l->n; i++)
		printf("#   %c %04o %u:%u %s%s%s\n", l->v[i].type, l->v[i].mode, l->v[i].uid,
		       l->v[i].gid, l->v[i].path, l->v[i].link ? " -> " : "",
		       l->v[i].link ? l->v[i].link : "");
}

/* ---- the fixtures ---- */

static const char *root;
static struct build_context ctx;
static struct bfs_layer base_layers[2];
static struct bfs_stack base = { .n = 2, .layers = base_layers };

/* The context:
 *   a.txt (0640), dir/ (0750): b.txt, hard (b.txt's second name), link ->
 *   ../a.txt, out -> /etc/passwd, sub/c.txt, x.log; skip/: keep.txt,
 *   other.txt; arch.tar.gz, evil.tar, evil2.tar, evil3.tar, notar.gz */
static void make_context(const char *dir)
{
	int d;

	mkdir(dir, 0755);
	d = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	put(d, "a.txt", "hello\n", 0640);
	mkdirat(d, "dir", 0750);
	put(d, "dir/b.txt", "bee\n", 0644);
	linkat(d, "dir/b.txt", d, "dir/hard", 0);
	symlinkat("../a.txt", d, "dir/link");
	symlinkat("/etc/passwd", d, "dir/out");
	symlinkat("/", d, "up");
	mkdirat(d, "dir/sub", 0755);
	put(d, "dir/sub/c.txt", "sea\n", 0600);
	put(d, "dir/x.log", "log\n", 0644);
	mkdirat(d, "skip", 0700);
	put(d, "skip/keep.txt", "kept\n", 0644);
	put(d, "skip/other.txt", "other\n", 0644);
	mkdirat(d, "gone", 0755);
	put(d, "gone/f", "f\n", 0644);
	put_time(d, "a.txt", 2000000000);
	close(d);

	const struct copy_member arch[] = {
		{ "x/", 'd', NULL, 0711, 1000, 1000 },
		{ "x/y.txt", 'f', "why\n", 0600, 1000, 1000 },
		{ "./l", 'l', "x/y.txt", 0777, 0, 0 },
		{ "h", 'h', "x/y.txt", 0600, 1000, 1000 },
		{ "deep/er/z", 'f', "zed\n", 0644, 7, 8 },
	};
	const struct copy_member evil[] = { { "ok", 'f', "ok", 0644, 0, 0 },
					    { "../x", 'f', "escaped", 0644, 0, 0 } };
	const struct copy_member evil2[] = { { "l", 'l', "/etc", 0777, 0, 0 },
					     { "l/passwd", 'f', "pwned", 0644, 0, 0 } };
	const struct copy_member evil3[] = { { "l", 'l', "../../../etc", 0777, 0, 0 } };
	_cleanup_free_ char *p1 = xasprintf("%s/arch.tar.gz", dir);
	_cleanup_free_ char *p2 = xasprintf("%s/evil.tar", dir);
	_cleanup_free_ char *p3 = xasprintf("%s/evil2.tar", dir);
	_cleanup_free_ char *p4 = xasprintf("%s/evil3.tar", dir);
	_cleanup_free_ char *p5 = xasprintf("%s/notar.gz", dir);
	close(make_tar(p1, arch, ARRAY_SIZE(arch), ARCHIVE_FILTER_GZIP));
	static const struct {
		const char *name;
		int filter;
	} kinds[] = { { "arch.tar", ARCHIVE_FILTER_NONE },
		      { "arch.tar.bz2", ARCHIVE_FILTER_BZIP2 },
		      { "arch.tar.xz", ARCHIVE_FILTER_XZ },
		      { "arch.tar.zst", ARCHIVE_FILTER_ZSTD } };
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		_cleanup_free_ char *p = xasprintf("%s/kinds/%s", dir, kinds[i].name);
		_cleanup_free_ char *k = xasprintf("%s/kinds", dir);
		mkdir(k, 0755);
		int fd = make_tar(p, arch, ARRAY_SIZE(arch), kinds[i].filter);
		if (fd >= 0)
			close(fd);
		else
			unlink(p);
	}
	close(make_tar(p2, evil, ARRAY_SIZE(evil), 0));
	close(make_tar(p3, evil2, ARRAY_SIZE(evil2), 0));
	close(make_tar(p4, evil3, ARRAY_SIZE(evil3), 0));
	/* gzip of no tar: ADD copies it as it is */
	struct archive *a = archive_write_new();
	archive_write_set_format_raw(a);
	archive_write_add_filter_gzip(a);
	archive_write_open_filename(a, p5);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, 11);
	archive_write_header(a, e);
	archive_write_data(a, "just text\n\n", 11);
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
}

/* The image being built on: two layers. */
static void make_base(void)
{
	static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
				     "app:x:1000:1001::/home/app:/bin/sh\n";
	static const char group[] = "root:x:0:\nstaff:x:50:app\n";
	const struct copy_member lower[] = {
		{ "etc/", 'd', NULL, 0755, 0, 0 },
		{ "etc/passwd", 'f', passwd, 0644, 0, 0 },
		{ "etc/group", 'f', group, 0644, 0, 0 },
		{ "app/", 'd', NULL, 0755, 0, 0 },
		{ "srv/", 'd', NULL, 0755, 0, 0 },
		{ "data/", 'd', NULL, 0750, 33, 33 },
		{ "data/one", 'f', "1", 0640, 33, 34 },
		{ "data/two", 'h', "data/one", 0640, 33, 34 },
		{ "data/gone", 'f', "g", 0644, 0, 0 },
		{ "file", 'f', "x", 0644, 0, 0 },
	};
	const struct copy_member upper[] = {
		{ "lnk", 'l', "/srv", 0777, 0, 0 },
		{ "data/.wh.gone", 'f', "", 0, 0, 0 },
		{ "data/three", 'l', "one", 0777, 5, 5 },
	};
	_cleanup_free_ char *d1 = xasprintf("%s/l1", root), *d2 = xasprintf("%s/l2", root);

	make_layer(d1, lower, ARRAY_SIZE(lower), NULL, 0, &base_layers[1]);
	make_layer(d2, upper, ARRAY_SIZE(upper), &base_layers[1], 1, &base_layers[0]);
	bfs_entry_add_xattr(bfs_meta_get(base_layers[1].meta, "/data/one"), "security.capability",
			    "cap", 3);
}

static struct copy_spec spec(char **sources, size_t n, const char *dest)
{
	return (struct copy_spec){
		.ctx = &ctx,
		.sources = sources,
		.n_sources = n,
		.dest = dest,
		.base = &base,
		.mtime_clamp = -1,
	};
}

/* ---- the tests ---- */

static void test_file(void)
{
	char *src[] = { "a.txt" };
	struct copy_spec c = spec(src, 1, "/app");
	struct berth_error err = { 0 };
	struct layer l;

	ok(write_read(&c, &l, &err) == 0, "COPY a.txt /app");
	ok(is_file(find(&l, "app/a.txt"), "hello\n", 0640, 0, 0) && l.n == 1,
	   "a file into an existing directory keeps its name and mode, owner root");
	ok(find(&l, "app/a.txt") && find(&l, "app/a.txt")->mtime == 2000000000,
	   "its mtime is kept");
	layer_free(&l);

	c = spec(src, 1, "/new/deep/f");
	ok(write_read(&c, &l, &err) == 0 && l.n == 3 && is_dir(find(&l, "new"), 0755, 0, 0) &&
		   is_dir(find(&l, "new/deep"), 0755, 0, 0) &&
		   is_file(find(&l, "new/deep/f"), "hello\n", 0640, 0, 0) &&
		   strcmp(l.v[0].path, "new") == 0 && strcmp(l.v[2].path, "new/deep/f") == 0,
	   "a file to a new name: its missing parents made 0755, root, first");
	layer_free(&l);

	c = spec(src, 1, "/new/");
	ok(write_read(&c, &l, &err) == 0 && l.n == 2 && is_dir(find(&l, "new"), 0755, 0, 0) &&
		   is_file(find(&l, "new/a.txt"), "hello\n", 0640, 0, 0),
	   "a trailing '/' means a directory: made, the file into it");
	layer_free(&l);

	c = spec(src, 1, "/lnk/");
	ok(write_read(&c, &l, &err) == 0 && l.n == 1 &&
		   is_file(find(&l, "srv/a.txt"), "hello\n", 0640, 0, 0),
	   "a destination through a link of the image lands where it points, inside it");
	layer_free(&l);

	c = spec(src, 1, "/file/x");
	ok(write_read(&c, &l, &err) < 0 && err.errnum == ENOTDIR,
	   "a destination below a file of the image is refused");
	berth_error_clear(&err);

	char *missing[] = { "a.txt", "nope" };
	c = spec(missing, 2, "/app/");
	ok(write_read(&c, &l, &err) < 0 && has(&err, "nope"),
	   "a missing source is an error naming it");
	berth_error_clear(&err);

	char *two[] = { "a.txt", "dir/b.txt" };
	c = spec(two, 2, "/multi");
	ok(write_read(&c, &l, &err) == 0 && is_dir(find(&l, "multi"), 0755, 0, 0) &&
		   find(&l, "multi/a.txt") && is_file(find(&l, "multi/b.txt"), "bee\n", 0644, 0, 0),
	   "several sources go into dest as a directory");
	layer_free(&l);

	char *glob[] = { "dir/*.txt", "../a.txt" };
	c = spec(glob, 2, "/g");
	ok(write_read(&c, &l, &err) == 0 && l.n == 3 && is_dir(find(&l, "g"), 0755, 0, 0) &&
		   is_file(find(&l, "g/b.txt"), "bee\n", 0644, 0, 0) &&
		   is_file(find(&l, "g/a.txt"), "hello\n", 0640, 0, 0),
	   "a glob's matches and ../a.txt (the context's a.txt) go into dest");
	layer_free(&l);

	char *link[] = { "dir/link" };
	c = spec(link, 1, "/l");
	ok(write_read(&c, &l, &err) == 0 && l.n == 1 && find(&l, "l")->type == 'l' &&
		   strcmp(find(&l, "l")->link, "../a.txt") == 0,
	   "a link source is copied as the link, not followed");
	layer_free(&l);
}

static void test_dir(void)
{
	char *src[] = { "dir" };
	struct copy_spec c = spec(src, 1, "/app/d");
	struct berth_error err = { 0 };
	const struct got *g;
	struct layer l;

	ok(write_read(&c, &l, &err) == 0, "COPY dir /app/d");
	list(&l);
	ok(is_dir(find(&l, "app/d"), 0750, 0, 0) && !find(&l, "app/d/dir"),
	   "a directory's contents go into dest, made with the directory's mode");
	ok(is_file(find(&l, "app/d/b.txt"), "bee\n", 0644, 0, 0) &&
		   is_file(find(&l, "app/d/sub/c.txt"), "sea\n", 0600, 0, 0) &&
		   is_dir(find(&l, "app/d/sub"), 0755, 0, 0),
	   "files and subdirectories with their modes");
	ok((g = find(&l, "app/d/hard")) && g->hardlink && strcmp(g->hardlink, "app/d/b.txt") == 0,
	   "a second name of a file is a hard link to the first");
	ok((g = find(&l, "app/d/link")) && g->type == 'l' && strcmp(g->link, "../a.txt") == 0 &&
		   (g = find(&l, "app/d/out")) && g->type == 'l' &&
		   strcmp(g->link, "/etc/passwd") == 0,
	   "links are links, a target outside the context kept as text, never followed");
	for (size_t i = 1; i < l.n; i++)
		if (strcmp(l.v[i - 1].path, l.v[i].path) >= 0)
			ok(0, "entries in order: %s before %s", l.v[i - 1].path, l.v[i].path);
	layer_free(&l);

	c.chown = true;
	c.uid = 1000;
	c.gid = 50;
	c.chmod = true;
	c.mode = 0600;
	c.dest = "/x/y/";
	ok(write_read(&c, &l, &err) == 0 && is_dir(find(&l, "x"), 0755, 1000, 50) &&
		   is_dir(find(&l, "x/y"), 0600, 1000, 50) &&
		   is_file(find(&l, "x/y/b.txt"), "bee\n", 0600, 1000, 50) &&
		   find(&l, "x/y/link")->uid == 1000 && find(&l, "x/y/link")->mode == 0777,
	   "--chown owns what is copied and the parents made; --chmod sets what is copied");
	layer_free(&l);

	char *all[] = { "." };
	c = spec(all, 1, "/app");
	c.mtime_clamp = 1500000000;
	ok(write_read(&c, &l, &err) == 0 && find(&l, "app/a.txt") && find(&l, "app/dir/b.txt") &&
		   !find(&l, "app"),
	   "COPY . /app: the context's contents into the existing /app");
	ok(find(&l, "app/up") && find(&l, "app/up")->type == 'l' && !find(&l, "app/up/etc") &&
		   !find(&l, "app/up/etc/passwd"),
	   "a link to / in the context is a link: nothing is read through it");
	bool clamped = true;
	for (size_t i = 0; i < l.n; i++)
		clamped = clamped && l.v[i].mtime <= 1500000000;
	ok(clamped && find(&l, "app/a.txt")->mtime == 1500000000, "mtimes clamped to --timestamp");
	layer_free(&l);
}

/* The bytes of the layer c writes. */
static char *layer_bytes(const struct copy_spec *c, size_t *len)
{
	struct berth_error err = { 0 };
	FILE *f = tmpfile();
	char *out = NULL;

	if (copy_write_layer(c, fileno(f), &err) < 0 || lseek(fileno(f), 0, SEEK_SET) < 0 ||
	    read_fd_all(fileno(f), (size_t)1 << 26, &out, len, &err) < 0)
		die("the layer: %s", err.msg);
	fclose(f);
	return out;
}

static void test_reproducible(void)
{
	char *src[] = { ".", "a.txt" };
	struct copy_spec c = spec(src, 2, "/new/place/");
	size_t n1, n2;

	c.mtime_clamp = 1000;
	_cleanup_free_ char *one = layer_bytes(&c, &n1);
	sleep(1); /* a directory made would get another time, were it not clamped */
	_cleanup_free_ char *two = layer_bytes(&c, &n2);
	ok(n1 == n2 && memcmp(one, two, n1) == 0 && n1 % 512 == 0 && n1 > 10240,
	   "with --timestamp the same sources give the same layer, byte for byte");
}

/* Many files with second names: each second name a hard link to its
 * own first. */
static void test_many_links(void)
{
	_cleanup_free_ char *dir = xasprintf("%s/ctx2", root);
	struct build_context saved = ctx;
	static char *no_lines[] = { NULL };
	char *all[] = { "." };
	struct berth_error err = { 0 };
	struct copy_spec c;
	struct layer l;
	int d, good = 0;

	mkdir(dir, 0755);
	d = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; i < 200; i++) {
		char a[16], b[16], data[16];
		snprintf(a, sizeof(a), "a%03d", i);
		snprintf(b, sizeof(b), "b%03d", i);
		snprintf(data, sizeof(data), "%d", i);
		put(d, a, data, 0644);
		linkat(d, a, d, b, 0);
	}
	close(d);
	open_context(dir, no_lines, &ctx);
	c = spec(all, 1, "/h");
	if (write_read(&c, &l, &err) == 0)
		for (int i = 0; i < 200; i++) {
			char a[16], b[16], data[16];
			snprintf(a, sizeof(a), "h/a%03d", i);
			snprintf(b, sizeof(b), "h/b%03d", i);
			snprintf(data, sizeof(data), "%d", i);
			const struct got *ga = find(&l, a), *gb = find(&l, b);
			good += ga && gb && !ga->hardlink && strcmp(ga->data, data) == 0 &&
				gb->hardlink && strcmp(gb->hardlink, a) == 0;
		}
	is_int(good, 200, "200 files with second names: each a hard link to its own first");
	layer_free(&l);
	close_context(&ctx);
	ctx = saved;
}

static void test_ignore(void)
{
	char *lines[] = { "dir/sub", "**/*.log", "skip", "!skip/keep.txt", "gone", NULL };
	char *all[] = { "." };
	struct build_context saved = ctx;
	_cleanup_free_ char *dir = xasprintf("%s/ctx", root);
	struct copy_spec c;
	struct berth_error err = { 0 };
	struct layer l;

	open_context(dir, lines, &ctx);
	c = spec(all, 1, "/app");
	ok(write_read(&c, &l, &err) == 0, "COPY . with a .dockerignore");
	list(&l);
	ok(!find(&l, "app/dir/sub") && !find(&l, "app/dir/sub/c.txt") && !find(&l, "app/x.log") &&
		   !find(&l, "app/dir/x.log") && find(&l, "app/dir/b.txt"),
	   "excluded files and directories are not copied");
	ok(is_dir(find(&l, "app/skip"), 0700, 0, 0) && find(&l, "app/skip/keep.txt") &&
		   !find(&l, "app/skip/other.txt"),
	   "an exception below an excluded directory brings the file and its directory back");
	ok(!find(&l, "app/gone") && !find(&l, "app/gone/f"),
	   "an excluded directory with nothing brought back is not written");
	layer_free(&l);

	char digest1[DIGEST_STR_LEN + 1], digest2[DIGEST_STR_LEN + 1];
	int d = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ok(copy_digest(&c, digest1, &err) == 0, "digest");
	put(d, "dir/sub/c.txt", "changed\n", 0600);
	put(d, "skip/other.txt", "changed\n", 0644);
	ok(copy_digest(&c, digest2, &err) == 0 && strcmp(digest1, digest2) == 0,
	   "a change to an excluded file leaves the digest as it was");
	put(d, "dir/sub/c.txt", "sea\n", 0600);
	close(d);
	close_context(&ctx);
	ctx = saved;
}

static void digest_of(const struct copy_spec *c, char *out)
{
	struct berth_error err = { 0 };

	if (copy_digest(c, out, &err) < 0)
		die("digest");
}

static void test_digest(void)
{
	char *src[] = { "dir", "a.txt" };
	struct copy_spec c = spec(src, 2, "/app/");
	char d0[DIGEST_STR_LEN + 1], d[DIGEST_STR_LEN + 1];
	int dfd = ctx.dirfd;

	digest_of(&c, d0);
	ok(digest_valid(d0), "the digest is a sha256 digest: %s", d0);
	digest_of(&c, d);
	ok(strcmp(d, d0) == 0, "the same sources give the same digest");
	put_time(dfd, "a.txt", 1234);
	put_time(dfd, "dir/sub/c.txt", 1234);
	put_time(dfd, "dir/sub", 1234);
	digest_of(&c, d);
	ok(strcmp(d, d0) == 0, "a touch (mtime) leaves it");
	c.mtime_clamp = 5;
	digest_of(&c, d);
	ok(strcmp(d, d0) == 0, "so does --timestamp");
	c.mtime_clamp = -1;

	put(dfd, "dir/sub/c.txt", "SEA\n", 0600);
	digest_of(&c, d);
	ok(strcmp(d, d0) != 0, "a change of content changes it");
	put(dfd, "dir/sub/c.txt", "sea\n", 0600);
	digest_of(&c, d);
	ok(strcmp(d, d0) == 0, "and the content back gives it back");

	fchmodat(dfd, "a.txt", 0644, 0);
	digest_of(&c, d);
	ok(strcmp(d, d0) != 0, "a change of mode changes it");
	fchmodat(dfd, "a.txt", 0640, 0);

	c.chown = true;
	c.uid = c.gid = 1;
	digest_of(&c, d);
	ok(strcmp(d, d0) != 0, "--chown changes it");
	c.chown = false;
	c.chmod = true;
	c.mode = 0755;
	digest_of(&c, d);
	ok(strcmp(d, d0) != 0, "--chmod changes it");
	c.chmod = false;

	c.dest = "/elsewhere/";
	digest_of(&c, d);
	ok(strcmp(d, d0) != 0, "another destination changes it");
	c.dest = "/app/";

	renameat(dfd, "dir/sub/c.txt", dfd, "dir/sub/d.txt");
	digest_of(&c, d);
	ok(strcmp(d, d0) != 0, "a renamed file changes it");
	renameat(dfd, "dir/sub/d.txt", dfd, "dir/sub/c.txt");
	digest_of(&c, d);
	ok(strcmp(d, d0) == 0, "renamed back, it is back");

	unlinkat(dfd, "dir/link", 0);
	symlinkat("b.txt", dfd, "dir/link");
	digest_of(&c, d);
	ok(strcmp(d, d0) != 0, "a link's target changes it");
	unlinkat(dfd, "dir/link", 0);
	symlinkat("../a.txt", dfd, "dir/link");

	struct berth_error err = { 0 };
	char *missing[] = { "nope" };
	struct copy_spec m = spec(missing, 1, "/app/");
	ok(copy_digest(&m, d, &err) < 0 && has(&err, "nope"),
	   "a missing source fails the digest the same way");
	berth_error_clear(&err);
}

static void test_add(void)
{
	char *src[] = { "arch.tar.gz" };
	struct copy_spec c = spec(src, 1, "/opt");
	struct berth_error err = { 0 };
	const struct got *g;
	struct layer l;

	c.add = true;
	ok(write_read(&c, &l, &err) == 0, "ADD arch.tar.gz /opt");
	list(&l);
	ok(is_dir(find(&l, "opt"), 0755, 0, 0) && is_dir(find(&l, "opt/x"), 0711, 1000, 1000) &&
		   is_file(find(&l, "opt/x/y.txt"), "why\n", 0600, 1000, 1000) &&
		   !find(&l, "opt/arch.tar.gz"),
	   "a gzipped tar is extracted under dest, the archive's owners and modes kept");
	ok((g = find(&l, "opt/l")) && g->type == 'l' && strcmp(g->link, "x/y.txt") == 0 &&
		   (g = find(&l, "opt/h")) && g->hardlink &&
		   strcmp(g->hardlink, "opt/x/y.txt") == 0,
	   "its links and hard links kept, names cleaned");
	ok(is_dir(find(&l, "opt/deep"), 0755, 0, 0) &&
		   is_file(find(&l, "opt/deep/er/z"), "zed\n", 0644, 7, 8),
	   "parents the archive does not list are made");
	layer_free(&l);

	static const char *kinds[] = { "kinds/arch.tar", "kinds/arch.tar.bz2", "kinds/arch.tar.xz",
				       "kinds/arch.tar.zst" };
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		char *one[] = { (char *)kinds[i] };
		struct copy_spec k = spec(one, 1, "/k/");
		k.add = true;
		if (faccessat(ctx.dirfd, kinds[i], F_OK, 0) < 0) {
			ok(1, "# SKIP this libarchive writes no %s", kinds[i]);
			continue;
		}
		ok(write_read(&k, &l, &err) == 0 &&
			   is_file(find(&l, "k/x/y.txt"), "why\n", 0600, 1000, 1000) && l.n == 8,
		   "ADD %s extracts it", kinds[i]);
		layer_free(&l);
	}

	c.add = false;
	ok(write_read(&c, &l, &err) == 0 && l.n == 1 && find(&l, "opt") &&
		   find(&l, "opt")->type == 'f',
	   "COPY of the same archive copies the file");
	layer_free(&l);

	char *notar[] = { "notar.gz" };
	c = spec(notar, 1, "/opt/");
	c.add = true;
	ok(write_read(&c, &l, &err) == 0 && find(&l, "opt/notar.gz") &&
		   find(&l, "opt/notar.gz")->type == 'f',
	   "ADD of a compressed file that is no tar copies it as it is");
	layer_free(&l);

	char *evil[] = { "evil.tar" };
	c = spec(evil, 1, "/opt/");
	c.add = true;
	ok(write_read(&c, &l, &err) < 0 && has(&err, "leaves the destination"),
	   "an archive entry ../x is refused");
	berth_error_clear(&err);
	evil[0] = "evil2.tar";
	ok(write_read(&c, &l, &err) < 0 && has(&err, "beneath its link"),
	   "an entry through the archive's own link is refused");
	berth_error_clear(&err);
	evil[0] = "evil3.tar";
	ok(write_read(&c, &l, &err) < 0 && has(&err, "leaves"),
	   "a relative link leaving dest is refused");
	berth_error_clear(&err);

	char digest1[DIGEST_STR_LEN + 1], digest2[DIGEST_STR_LEN + 1];
	src[0] = "arch.tar.gz";
	c = spec(src, 1, "/opt");
	c.add = true;
	digest_of(&c, digest1);
	c.add = false;
	digest_of(&c, digest2);
	ok(strcmp(digest1, digest2) != 0,
	   "ADD's digest covers the extracted entries, not the file");
}

static void test_from(void)
{
	char *src[] = { "/data" };
	struct copy_spec c = spec(src, 1, "/d");
	struct berth_error err = { 0 };
	const struct got *g;
	struct layer l;

	c.ctx = NULL;
	c.from = &base;
	c.base = NULL; /* FROM scratch */
	ok(write_read(&c, &l, &err) == 0, "COPY --from /data /d");
	list(&l);
	ok(is_dir(find(&l, "d"), 0750, 33, 33) && is_file(find(&l, "d/one"), "1", 0640, 33, 34),
	   "--from keeps owners and modes");
	ok((g = find(&l, "d/two")) && g->hardlink && strcmp(g->hardlink, "d/one") == 0,
	   "--from keeps hard links");
	ok((g = find(&l, "d/three")) && g->type == 'l' && strcmp(g->link, "one") == 0 &&
		   g->uid == 5,
	   "--from copies a link as a link");
	ok(!find(&l, "d/gone"), "what a whiteout hides is not copied");
	ok((g = find(&l, "d/one")) && g->xattr && strcmp(g->xattr, "security.capability=cap") == 0,
	   "--from keeps extended attributes (a file capability)");
	layer_free(&l);

	char d1[DIGEST_STR_LEN + 1], d2[DIGEST_STR_LEN + 1];
	struct bfs_entry *one = bfs_meta_get(base_layers[1].meta, "/data/one");
	digest_of(&c, d1);
	one->xattrs[0].value[0] = 'C';
	digest_of(&c, d2);
	one->xattrs[0].value[0] = 'c';
	ok(strcmp(d1, d2) != 0, "an extended attribute's value is in the digest");

	char *glob[] = { "/etc/pass*", "/e*/gr?up" };
	c.sources = glob;
	c.n_sources = 2;
	c.dest = "/out/";
	c.chown = true;
	c.uid = c.gid = 7;
	ok(write_read(&c, &l, &err) == 0 && find(&l, "out/passwd") && find(&l, "out/group") &&
		   find(&l, "out/passwd")->uid == 7 && l.n == 3,
	   "--from globs match over the stack's listings; --chown applies");
	layer_free(&l);

	char *none[] = { "/etc/nothing*" };
	c.sources = none;
	c.n_sources = 1;
	ok(write_read(&c, &l, &err) < 0 && has(&err, "/etc/nothing*"),
	   "a --from pattern with no match is an error naming it");
	berth_error_clear(&err);

	char *through[] = { "/lnk/../etc/group" };
	c.sources = through;
	c.chown = false;
	c.dest = "/g";
	ok(write_read(&c, &l, &err) == 0 && l.n == 1 && find(&l, "g") && find(&l, "g")->type == 'f',
	   "a --from source resolves inside the stack");
	layer_free(&l);
}

static void test_inline(void)
{
	struct copy_inline f[] = { { "EOF", "echo hi\n", 8, 0 }, { "two", "2", 1, 0 } };
	struct copy_spec c = spec(NULL, 0, "/etc/motd");
	struct berth_error err = { 0 };
	struct layer l;

	c.inline_files = f;
	c.n_inline = 1;
	ok(write_read(&c, &l, &err) == 0 && l.n == 1 &&
		   is_file(find(&l, "etc/motd"), "echo hi\n", 0644, 0, 0),
	   "an inline file to dest: 0644, root");
	layer_free(&l);
	c.n_inline = 2;
	c.dest = "/w/";
	ok(write_read(&c, &l, &err) == 0 && l.n == 3 &&
		   is_file(find(&l, "w/EOF"), "echo hi\n", 0644, 0, 0) &&
		   is_file(find(&l, "w/two"), "2", 0644, 0, 0),
	   "inline files into a directory by their names");
	layer_free(&l);
}

static void test_workdir(void)
{
	struct berth_error err = { 0 };
	FILE *f = tmpfile();
	struct layer l;
	bool made = true;

	ok(copy_write_mkdir(&base, "/app", 1000, 1000, -1, fileno(f), &made, &err) == 0 && !made,
	   "WORKDIR of an existing directory makes nothing");
	struct stat st;
	fstat(fileno(f), &st);
	ok(st.st_size == 0, "and writes nothing");
	ok(copy_write_mkdir(&base, "/app/a/b", 1000, 1001, 100, fileno(f), &made, &err) == 0 &&
		   made,
	   "WORKDIR /app/a/b: made");
	read_layer(fileno(f), &l);
	ok(l.n == 2 && is_dir(find(&l, "app/a"), 0755, 1000, 1001) &&
		   is_dir(find(&l, "app/a/b"), 0755, 1000, 1001) && find(&l, "app/a")->mtime == 100,
	   "its missing directories, 0755, the user's, mtime clamped");
	layer_free(&l);
	fclose(f);
	f = tmpfile();
	ok(copy_write_mkdir(&base, "/file", 0, 0, -1, fileno(f), &made, &err) < 0 &&
		   err.errnum == ENOTDIR,
	   "WORKDIR of a file is refused");
	berth_error_clear(&err);
	fclose(f);
}

static void test_owner(void)
{
	struct berth_error err = { 0 };
	uint32_t u = 0, g = 0;

	ok(copy_resolve_owner(&base, "app", &u, &g, &err) == 0 && u == 1000 && g == 1001,
	   "a user's name: its uid and primary group");
	ok(copy_resolve_owner(&base, "app:staff", &u, &g, &err) == 0 && u == 1000 && g == 50,
	   "user:group by names");
	ok(copy_resolve_owner(&base, "1234", &u, &g, &err) == 0 && u == 1234 && g == 1234,
	   "a number alone is its own group too");
	ok(copy_resolve_owner(NULL, "5:6", &u, &g, &err) == 0 && u == 5 && g == 6,
	   "numbers need no image");
	ok(copy_resolve_owner(&base, "nobody", &u, &g, &err) < 0 && has(&err, "nobody"),
	   "an unknown user is an error naming it");
	berth_error_clear(&err);
	ok(copy_resolve_owner(&base, "app:wheel", &u, &g, &err) < 0 && has(&err, "wheel"),
	   "an unknown group is an error naming it");
	berth_error_clear(&err);
	ok(copy_resolve_owner(NULL, "app", &u, &g, &err) < 0, "a name without an image fails");
	berth_error_clear(&err);
}

int main(void)
{
	char tmpl[] = "/tmp/berth-copy.XXXXXX";
	_cleanup_free_ char *dir = NULL;
	static char *no_lines[] = { NULL };
	struct berth_error err = { 0 };

	root = mkdtemp(tmpl);
	if (!root)
		die("mkdtemp");
	dir = xasprintf("%s/ctx", root);
	make_context(dir);
	make_base();
	open_context(dir, no_lines, &ctx);
	test_file();
	test_dir();
	test_ignore();
	test_reproducible();
	test_many_links();
	test_digest();
	test_add();
	test_from();
	test_inline();
	test_workdir();
	test_owner();
	close_context(&ctx);
	bfs_layer_release(&base_layers[0]);
	bfs_layer_release(&base_layers[1]);
	rm_rf_at(AT_FDCWD, root, &err);
	berth_error_clear(&err);
	return tap_done();
}
