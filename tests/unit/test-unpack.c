// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: the tar reader and the layer unpacker on tars built here
 * (libarchive's writer), resolved against real layer directories.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../image/tar.h"
#include "../../image/unpack.h"
#include "../../lib/util.h"
#include "../tap.h"
#include "tar-members.h"

/* Build a tar in a temp file; returns an fd at offset 0. */
static int make_tar(const struct member *m, size_t n, int format)
{
	struct archive *a = archive_write_new();
	FILE *f = tmpfile();

	archive_write_set_format(a, format);
	archive_write_open_FILE(a, f);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_perm(e, m[i].mode ? m[i].mode : 0644);
		archive_entry_set_uid(e, 1000);
		archive_entry_set_gid(e, 33);
		member_write(a, e, &m[i]);
		archive_entry_free(e);
	}
	return tar_finish_fd(a, f);
}

struct memsrc {
	int fd;
};

static ssize_t fd_read(void *ctx, void *buf, size_t len, struct berth_error *err)
{
	(void)err;
	return read(((struct memsrc *)ctx)->fd, buf, len);
}

static void test_tar_reader(void)
{
	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memcpy(longname + 100, "/", 1);
	const struct member m[] = {
		{ "dir/", 'd', NULL, 0755 },	    { "dir/file", 'f', "hello\n", 04755 },
		{ longname, 'f', "x", 0 },	    { "dir/link", 'l', "../target", 0 },
		{ "dir/hard", 'h', "dir/file", 0 },
	};
	int formats[] = { ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FORMAT_TAR_GNUTAR };
	for (size_t k = 0; k < ARRAY_SIZE(formats); k++) {
		struct memsrc src = { make_tar(m, ARRAY_SIZE(m), formats[k]) };
		struct tar_reader *t = tar_reader_new(fd_read, &src);
		struct berth_error err = { 0 };
		struct tar_entry *e;
		const void *data;
		int i = 0;

		while (tar_next(t, &e, &err) == 1) {
			if (i == 0)
				ok(e->type == BFS_DIR && strcmp(e->path, "dir/") == 0,
				   "fmt %zu: directory entry", k);
			if (i == 1) {
				ssize_t n = tar_read_data(t, &data, &err);
				ok(e->mode == 04755 && e->uid == 1000 && e->gid == 33 && n == 6 &&
					   memcmp(data, "hello\n", 6) == 0,
				   "fmt %zu: file with setuid mode, owner and data", k);
			}
			if (i == 2)
				is_str(e->path, longname, "long name (pax path / GNU L) read back");
			if (i == 3)
				ok(e->type == BFS_LNK && strcmp(e->linkpath, "../target") == 0,
				   "fmt %zu: symlink", k);
			if (i == 4)
				ok(e->hardlink && strcmp(e->linkpath, "dir/file") == 0,
				   "fmt %zu: hardlink", k);
			i++;
		}
		is_int(i, 5, "all members read");
		ok(!err.msg, "no error at the end");
		tar_reader_free(t);
		close(src.fd);
	}

	/* a flipped byte breaks the checksum; a cut stream is truncated */
	struct memsrc src = { make_tar(m, 2, ARCHIVE_FORMAT_TAR_USTAR) };
	char raw[8192];
	ssize_t len = read(src.fd, raw, sizeof(raw));
	close(src.fd);
	FILE *f = tmpfile();
	raw[10] ^= 1;
	fwrite(raw, 1, (size_t)len, f);
	fflush(f);
	src.fd = fileno(f);
	lseek(src.fd, 0, SEEK_SET);
	struct tar_reader *t = tar_reader_new(fd_read, &src);
	struct berth_error err = { 0 };
	struct tar_entry *e;
	ok(tar_next(t, &e, &err) < 0 && err.msg && strstr(err.msg, "checksum"),
	   "corrupt header: %s", err.msg ? err.msg : "accepted");
	berth_error_clear(&err);
	tar_reader_free(t);
	fclose(f);

	f = tmpfile();
	raw[10] ^= 1;
	fwrite(raw, 1, 512 + 512 + 3, f); /* dir header, file header, 3 bytes of data */
	fflush(f);
	src.fd = fileno(f);
	lseek(src.fd, 0, SEEK_SET);
	t = tar_reader_new(fd_read, &src);
	const void *d;
	int r1 = tar_next(t, &e, &err), r2 = tar_next(t, &e, &err);
	ssize_t n1 = tar_read_data(t, &d, &err), n2 = tar_read_data(t, &d, &err);
	ok(r1 == 1 && r2 == 1 && n1 == 3 && n2 < 0 && err.msg && strstr(err.msg, "truncated"),
	   "truncated data is an error: %s", err.msg ? err.msg : "none");
	berth_error_clear(&err);
	tar_reader_free(t);
	fclose(f);
}

static void test_names(void)
{
	static const struct {
		const char *in, *out;
	} good[] = {
		{ "./etc/passwd", "/etc/passwd" },
		{ "etc//x/", "/etc/x" },
		{ ".", "/" },
		{ "./", "/" },
		{ "a/./b", "/a/b" },
		{ "..a/b..", "/..a/b.." },
	};
	static const char *const bad[] = { "../x", "a/../../x", "/etc/passwd", "a/..", ".." };
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		struct berth_error err = { 0 };
		char *out = NULL;
		unpack_normalize_name(good[i].in, &out, &err);
		is_str(out, good[i].out, good[i].in);
		free(out);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct berth_error err = { 0 };
		char *out = NULL;
		ok(unpack_normalize_name(bad[i], &out, &err) < 0 &&
			   strstr(err.msg, bad[i][0] == '/' ? "absolute" : ".."),
		   "\"%s\" refused: %s", bad[i], err.msg ? err.msg : "accepted");
		berth_error_clear(&err);
		free(out);
	}
	is_int(bfs_host_mode(BFS_REG, 04777), 0755 | 0600,
	       "host files lose setuid and world-write");
	is_int(bfs_host_mode(BFS_DIR, 01777), 0755, "host dirs lose sticky and world-write");
	is_int(bfs_host_mode(BFS_REG, 0), 0600, "a mode 0000 file stays readable by its owner");
}

/* Unpack members as a new layer on top of lowers (top first), within
 * limits (NULL: none). */
static int unpack_lim(const char *dir, const struct member *m, size_t n, struct bfs_layer *lowers,
		      size_t n_lowers, const struct unpack_limits *lim, struct bfs_layer *out,
		      struct berth_error *err)
{
	struct bfs_stack st = { .n = n_lowers + 1 };
	struct unpack_result res;
	int fd = make_tar(m, n, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED), r;

	mkdir(dir, 0755);
	out->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	out->meta = bfs_meta_new();
	out->name = xstrdup(dir);
	st.layers = xcalloc(st.n, sizeof(*st.layers));
	st.layers[0] = *out;
	for (size_t i = 0; i < n_lowers; i++)
		st.layers[i + 1] = lowers[i];
	r = unpack_layer(&st, fd, lim, NULL, NULL, &res, err);
	free(st.layers);
	close(fd);
	return r;
}

static int unpack(const char *dir, const struct member *m, size_t n, struct bfs_layer *lowers,
		  size_t n_lowers, struct bfs_layer *out, struct berth_error *err)
{
	return unpack_lim(dir, m, n, lowers, n_lowers, NULL, out, err);
}

static void test_unpack(void)
{
	char tmpl[] = "/tmp/berth-unit.XXXXXX";
	char *root = mkdtemp(tmpl);
	struct berth_error err = { 0 };
	struct bfs_layer l1, l2, l3, stack_layers[2];
	_cleanup_free_ char *d1 = xasprintf("%s/l1", root), *d2 = xasprintf("%s/l2", root),
			    *d3 = xasprintf("%s/l3", root);
	const struct member m1[] = {
		{ "etc/", 'd', NULL, 0755 }, { "etc/keep", 'f', "k", 0 },
		{ "etc/gone", 'f', "g", 0 }, { "opq/", 'd', NULL, 0755 },
		{ "opq/old", 'f', "o", 0 },  { "real/", 'd', NULL, 0755 },
		{ "link", 'l', "/real", 0 }, { "data", 'f', "shared", 0 },
	};
	const struct member m2[] = {
		{ "etc/.wh.gone", 'f', "", 0 }, { "opq/.wh..wh..opq", 'f', "", 0 },
		{ "opq/new", 'f', "n", 0 },	{ "link/through", 'f', "t", 0 },
		{ "hard", 'h', "data", 0 },
	};
	struct bfs_stack st = { .n = 2, .layers = stack_layers };
	size_t layer;

	ok(unpack(d1, m1, ARRAY_SIZE(m1), NULL, 0, &l1, &err) == 0, "base layer unpacks: %s",
	   err.msg ? err.msg : "");
	ok(unpack(d2, m2, ARRAY_SIZE(m2), &l1, 1, &l2, &err) == 0, "upper layer unpacks: %s",
	   err.msg ? err.msg : "");
	stack_layers[0] = l2;
	stack_layers[1] = l1;
	ok(bfs_stack_lookup(&st, "/etc/keep", NULL) != NULL, "untouched lower file visible");
	ok(bfs_stack_lookup(&st, "/etc/gone", NULL) == NULL, "whiteout hides the lower file");
	ok(bfs_stack_lookup(&st, "/opq/old", NULL) == NULL, "opaque dir hides lower children");
	ok(bfs_stack_lookup(&st, "/opq/new", &layer) && layer == 0,
	   "opaque dir keeps its own children");
	ok(bfs_stack_lookup(&st, "/real/through", &layer) && layer == 0,
	   "a write through a lower symlink lands inside the rootfs");
	ok(bfs_stack_lookup(&st, "/link", &layer) && layer == 1 &&
		   bfs_stack_lookup(&st, "/link", NULL)->type == BFS_LNK,
	   "the symlink stays a symlink");
	struct stat a, b;
	ok(fstatat(l1.dirfd, "data", &a, 0) == 0 && fstatat(l2.dirfd, "hard", &b, 0) == 0 &&
		   a.st_ino == b.st_ino,
	   "a hardlink to a lower file shares its inode");
	ok(bfs_meta_get(l2.meta, "/etc")->mode == 0755 &&
		   bfs_meta_get(l2.meta, "/etc")->uid == 1000,
	   "an implicit parent copies the lower directory's attributes");

	char *out = NULL;
	ok(bfs_stack_resolve(&st, "/link/../../../etc", BFS_FOLLOW_LAST, &out, NULL, &err) == 0 &&
		   strcmp(out, "/etc") == 0,
	   "\"..\" stops at the root: %s", out ? out : err.msg);
	free(out);
	out = NULL;

	const struct member bad_hl[] = { { "h", 'h', "nonexistent", 0 } };
	ok(unpack(d3, bad_hl, 1, stack_layers, 2, &l3, &err) < 0 && strstr(err.msg, "hardlink"),
	   "a hardlink to nothing is refused: %s", err.msg ? err.msg : "accepted");
	berth_error_clear(&err);
	bfs_layer_release(&l3);
	rm_rf_at(AT_FDCWD, d3, &err);
	const struct member loop[] = { { "a", 'l', "b", 0 },
				       { "b", 'l', "a", 0 },
				       { "a/x", 'f', "x", 0 } };
	ok(unpack(d3, loop, 3, NULL, 0, &l3, &err) < 0 && err.errnum == ELOOP,
	   "a symlink loop is refused: %s", err.msg ? err.msg : "accepted");
	berth_error_clear(&err);
	bfs_layer_release(&l3);
	rm_rf_at(AT_FDCWD, d3, &err);
	const struct member notdir[] = { { "f", 'f', "x", 0 }, { "f/x", 'f', "x", 0 } };
	ok(unpack(d3, notdir, 2, NULL, 0, &l3, &err) < 0 && err.errnum == ENOTDIR,
	   "a file as a parent is refused: %s", err.msg ? err.msg : "accepted");
	berth_error_clear(&err);
	bfs_layer_release(&l3);

	bfs_layer_release(&l1);
	bfs_layer_release(&l2);
	rm_rf_at(AT_FDCWD, root, &err);
}

/* Unpack into a fresh directory below root; the layer is released and
 * removed again. Returns unpack's result, the error text in *msg. */
static int try_layer(const char *root, const char *name, const struct member *m, size_t n,
		     struct bfs_layer *lowers, size_t n_lowers, const struct unpack_limits *lim,
		     char **msg)
{
	_cleanup_free_ char *dir = xasprintf("%s/%s", root, name);
	struct berth_error err = { 0 };
	struct bfs_layer l;
	int r = unpack_lim(dir, m, n, lowers, n_lowers, lim, &l, &err);

	*msg = err.msg ? xstrdup(err.msg) : NULL;
	berth_error_clear(&err);
	bfs_layer_release(&l);
	rm_rf_at(AT_FDCWD, dir, &err);
	berth_error_clear(&err);
	return r;
}

#define REFUSED(r, msg, want) ((r) < 0 && (msg) && strstr((msg), (want)))

static void test_whiteout_names(const char *root)
{
	struct berth_error err = { 0 };
	_cleanup_free_ char *d1 = xasprintf("%s/w1", root), *d2 = xasprintf("%s/w2", root);
	const struct member base[] = {
		{ "a", 'f', "a", 0 },
		{ "b/", 'd', NULL, 0755 },
		{ "b/x", 'f', "x", 0 },
		{ "s", 'l', ".wh.hidden", 0 },
	};
	const struct member opq[] = {
		{ ".wh..wh..opq", 'f', "", 0 },
		{ "new", 'f', "n", 0 },
		{ ".wh..wh.plnk/", 'd', NULL, 0755 },
		{ ".wh..wh.plnk/1.2", 'f', "p", 0 },
		{ "b/", 'd', NULL, 0755 },
		{ "b/.wh..wh.orph/x", 'f', "o", 0 },
	};
	struct bfs_layer l1, l2, lowers[1], st_layers[2];
	struct bfs_stack st = { .n = 2, .layers = st_layers };
	char *msg = NULL;

	ok(unpack(d1, base, ARRAY_SIZE(base), NULL, 0, &l1, &err) == 0, "whiteout base: %s",
	   err.msg ? err.msg : "");
	lowers[0] = l1;
	ok(unpack(d2, opq, ARRAY_SIZE(opq), lowers, 1, &l2, &err) == 0,
	   "an opaque root with aufs bookkeeping unpacks: %s", err.msg ? err.msg : "");
	st_layers[0] = l2;
	st_layers[1] = l1;
	ok(!bfs_stack_lookup(&st, "/a", NULL) && !bfs_stack_lookup(&st, "/b/x", NULL) &&
		   bfs_stack_lookup(&st, "/new", NULL) && bfs_stack_lookup(&st, "/b", NULL),
	   "an opaque root hides every lower entry, and keeps its own");
	ok(!bfs_meta_get(l2.meta, "/.wh..wh.plnk") && !bfs_meta_get(l2.meta, "/.wh..wh.plnk/1.2") &&
		   !bfs_meta_get(l2.meta, "/b/.wh..wh.orph") &&
		   !bfs_meta_get(l2.meta, "/b/.wh..wh.orph/x"),
	   "what lies in aufs bookkeeping is not unpacked");

	/* a table that holds .wh. names anyway (an older store) shows none */
	bfs_meta_put(l2.meta, bfs_entry_new("/.wh.ghost", BFS_REG));
	bfs_meta_put(l2.meta, bfs_entry_new("/.wh..wh.plnk", BFS_DIR));
	bfs_meta_put(l2.meta, bfs_entry_new("/.wh..wh.plnk/f", BFS_REG));
	ok(!bfs_stack_lookup(&st, "/.wh.ghost", NULL) &&
		   !bfs_stack_lookup(&st, "/.wh..wh.plnk", NULL) &&
		   !bfs_stack_lookup(&st, "/.wh..wh.plnk/f", NULL),
	   "lookups never find a .wh. name, whatever the table holds");

	const struct member comp[] = { { "b/.wh.x/y", 'f', "y", 0 } };
	int r = try_layer(root, "w3", comp, 1, lowers, 1, NULL, &msg);
	ok(REFUSED(r, msg, "whiteout name"), "b/.wh.x/y is refused: %s", msg ? msg : "accepted");
	free(msg);
	const struct member via[] = { { "s/f", 'f', "f", 0 } };
	r = try_layer(root, "w3", via, 1, lowers, 1, NULL, &msg);
	ok(REFUSED(r, msg, ".wh.hidden"), "s/f through s -> .wh.hidden is refused: %s",
	   msg ? msg : "accepted");
	free(msg);
	const struct member self[] = { { "b/.wh.", 'f', "", 0 } };
	r = try_layer(root, "w3", self, 1, lowers, 1, NULL, &msg);
	ok(REFUSED(r, msg, "whiteout"), "b/.wh. is refused: %s", msg ? msg : "accepted");
	free(msg);

	bfs_layer_release(&l1);
	bfs_layer_release(&l2);
}

static void test_limits(const char *root)
{
	static char big[4097];
	static const struct member deep[] = { { "a/b/c/d", 'f', "x", 0 } };
	static const struct member many[] = {
		{ "1", 'f', "", 0 }, { "2", 'f', "", 0 }, { "3", 'f', "", 0 },
		{ "4", 'f', "", 0 }, { "5", 'f', "", 0 },
	};
	static const struct member implied[] = { { "p/q/r/s/t", 'f', "", 0 } };
	static const struct member large[] = { { "big", 'f', big, 0 } };
	/* each: a layer, the limits, and what the refusal says (NULL: it
	 * unpacks) */
	const struct {
		const struct member *m;
		size_t n;
		struct unpack_limits lim;
		const char *refused, *name;
	} cases[] = {
		{ deep,
		  1,
		  { .max_depth = 3 },
		  "4 directory levels deep, more than 3 (max-depth",
		  "a path deeper than max-depth is refused" },
		{ deep, 1, { .max_depth = 4 }, NULL, "at max-depth it unpacks" },
		{ many,
		  5,
		  { .max_entries = 4 },
		  "more than 4 entries (max-layer-entries",
		  "more members than max-layer-entries are refused" },
		{ many, 4, { .max_entries = 4 }, NULL, "as many as max-layer-entries unpack" },
		{ implied,
		  1,
		  { .max_entries = 4 },
		  "max-layer-entries",
		  "so are the directories a member implies" },
		{ many,
		  5,
		  { .max_image_entries = 10, .image_entries = 7 },
		  "the image's layers hold more than 10 entries (max-image-entries",
		  "the image's entries count the lower layers'" },
		{ large,
		  1,
		  { .max_layer_size = 4096 },
		  "unpacks to more than 4096 bytes (max-layer-size",
		  "a layer larger than max-layer-size is refused" },
		{ large,
		  1,
		  { .max_image_size = 1 << 20, .image_size = (1 << 20) - 4096 },
		  "the image's layers unpack to more than 1048576 bytes (max-image-size",
		  "the image's size counts the lower layers'" },
		{ large,
		  1,
		  { .max_layer_size = 1 << 20, .max_image_size = 1 << 21 },
		  NULL,
		  "within the limits it unpacks" },
	};

	memset(big, 'x', sizeof(big) - 1);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *msg = NULL;
		int r = try_layer(root, "lim", cases[i].m, cases[i].n, NULL, 0, &cases[i].lim,
				  &msg);
		if (cases[i].refused)
			ok(REFUSED(r, msg, cases[i].refused), "%s: %s", cases[i].name,
			   msg ? msg : "accepted");
		else
			ok(r == 0, "%s: %s", cases[i].name, msg ? msg : "");
		free(msg);
	}
}

/* This process's CPU time in user mode: what a quadratic walk costs,
 * whatever the machine's load and the filesystem's speed. */
static double now(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
}

/* try_layer of the linear-time cases, the CPU seconds it took in *t. */
static int timed_layer(const char *root, const struct member *m, size_t n, double *t, char **msg)
{
	double t0 = now();
	int r = try_layer(root, "lin", m, n, NULL, 0, NULL, msg);

	*t = now() - t0;
	return r;
}

/* Shapes that were quadratic (or worse): each must unpack in a time that
 * grows with its entries. Before the fix the deep case took half an
 * hour, the replacements some 6 s. */
static void test_linear(const char *root)
{
	enum {
		DEPTH = 2000,
		WIDE = 20000
	};
	struct member *m = xcalloc(2 * WIDE + 1, sizeof(*m));
	char **names = xcalloc(2 * WIDE + 1, sizeof(char *));
	char *msg = NULL;
	size_t n = 0;
	double t;
	int r;

	for (size_t i = 0; i < DEPTH; i++) {
		names[n] = xasprintf("%s%sd/", n ? names[n - 1] : "", "");
		m[n] = (struct member){ names[n], 'd', NULL, 0755 };
		n++;
	}
	names[n] = xasprintf("%sbottom", names[n - 1]);
	m[n] = (struct member){ names[n], 'f', "b", 0 };
	n++;
	r = timed_layer(root, m, n, &t, &msg);
	ok(r == 0 && t < 2, "%d nested directories unpack in %.2f s of CPU: %s", DEPTH, t,
	   msg ? msg : "");
	free(msg);
	for (size_t i = 0; i < n; i++)
		free(names[i]);

	/* directories with a child each, then each replaced by a file: a
	 * removal that scanned the whole table was quadratic */
	n = 0;
	for (size_t i = 0; i < WIDE; i++) {
		names[n] = xasprintf("d%zu/", i);
		m[n] = (struct member){ names[n], 'd', NULL, 0755 };
		n++;
		names[n] = xasprintf("d%zu/x", i);
		m[n] = (struct member){ names[n], 'f', "x", 0 };
		n++;
	}
	for (size_t i = 0; i < WIDE; i++) {
		free(names[2 * i + 1]);
		names[2 * i + 1] = xasprintf("d%zu", i); /* the file replacing d%zu/ */
		m[2 * i + 1] = (struct member){ names[2 * i + 1], 'f', "f", 0 };
	}
	/* order: every directory and child first, then the replacements */
	struct member *o = xcalloc(3 * WIDE, sizeof(*o));
	char **extra = xcalloc(WIDE, sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; i < WIDE; i++) {
		o[k++] = m[2 * i];
		extra[i] = xasprintf("d%zu/x", i);
		o[k++] = (struct member){ extra[i], 'f', "x", 0 };
	}
	for (size_t i = 0; i < WIDE; i++)
		o[k++] = m[2 * i + 1];
	r = timed_layer(root, o, k, &t, &msg);
	ok(r == 0 && t < 2.5, "%d directories replaced by files in %.2f s of CPU: %s", WIDE, t,
	   msg ? msg : "");
	free(msg);
	for (size_t i = 0; i < 2 * WIDE; i++)
		free(names[i]);
	for (size_t i = 0; i < WIDE; i++)
		free(extra[i]);
	free(extra);
	free(o);
	free(names);
	free(m);
}

int main(void)
{
	char tmpl[] = "/dev/shm/berth-unit-hostile.XXXXXX"; /* fits the /tmp one */
	char *root;
	struct berth_error err = { 0 };

	setlocale(LC_CTYPE, "C.UTF-8");
	test_tar_reader();
	test_names();
	test_unpack();
	/* tmpfs when there is one: the tests below make and remove some
	 * 100,000 files, and what they measure is CPU time anyway */
	root = mkdtemp(tmpl);
	if (!root) {
		strcpy(tmpl, "/tmp/berth-unit-hostile.XXXXXX");
		root = mkdtemp(tmpl);
	}
	test_whiteout_names(root);
	test_limits(root);
	test_linear(root);
	rm_rf_at(AT_FDCWD, root, &err);
	berth_error_clear(&err);
	return tap_done();
}
