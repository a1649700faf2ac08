// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: container_layer_write (runner/commit.c) on a writable
 * layer made here as berth-fs leaves one (upper/diff, upper/meta and
 * upper/meta.log) over an image of a store of its own: the tar's entries
 * from the table (owner, mode, the log's change replayed, a whiteout),
 * the entry count, the mtime clamp (later mtimes clamped, earlier ones
 * kept), and an unchanged layer: no entry.
 */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../image/assemble.h"
#include "../../image/image.h"
#include "../../image/meta.h"
#include "../../lib/util.h"
#include "../../runner/commit.h"
#include "../tap.h"
#include "scratch-store.h"

static struct store *s;
static char root_path[64], base[DIGEST_STR_LEN + 1];

/* The base: /etc/f0 and /etc/f1, through a pipe. */
static void make_base(void)
{
	struct berth_error err = { 0 };
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	struct json_object *c = json_object_new_object();
	int pfd[2];

	if (pipe2(pfd, O_CLOEXEC) < 0)
		die("pipe");
	archive_write_set_format_pax_restricted(a);
	archive_write_open_fd(a, pfd[1]);
	archive_entry_set_pathname(e, "etc");
	archive_entry_set_filetype(e, AE_IFDIR);
	archive_entry_set_perm(e, 0755);
	archive_write_header(a, e);
	for (int i = 0; i < 2; i++) {
		archive_entry_clear(e);
		archive_entry_set_pathname(e, i ? "etc/f1" : "etc/f0");
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, 2);
		archive_write_header(a, e);
		archive_write_data(a, "x\n", 2);
	}
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
	close(pfd[1]);
	json_object_object_add(c, "os", json_object_new_string("linux"));
	json_object_object_add(c, "architecture", json_object_new_string("amd64"));
	struct assemble as = { .layer_fd = pfd[0], .config = c };
	if (image_assemble(s, &as, base, &err) < 0)
		die("base: %s", err.msg);
	close(pfd[0]);
	json_object_put(c);
}

static void put_entry(struct bfs_meta *m, const char *path, char type, uint32_t mode, uint32_t uid,
		      int64_t mtime)
{
	struct bfs_entry *e = bfs_entry_new(path, type);

	e->mode = mode;
	e->uid = e->gid = uid;
	e->mtime_sec = mtime;
	bfs_meta_put(m, e);
}

/* container dir c: upper/diff with /app/new ("hello"), /app/late, /etc;
 * upper/meta: /, /app, /app/new (uid 1000, mtime 2000000000), /etc
 * (mtime 100), the whiteout /etc/f0; meta.log adds /app/late. */
static char *make_container(const char *name, bool changed)
{
	struct berth_error err = { 0 };
	char *dir = xasprintf("%s/%s", root_path, name);
	_cleanup_close_ int dfd = -1, mfd = -1;
	struct bfs_meta *m = bfs_meta_new();

	if (mkdir(dir, 0700) < 0 || (dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    mkdir_p_at(dfd, "upper/diff", 0755, &err) < 0)
		die("container %s", dir);
	if (changed) {
		if (mkdir_p_at(dfd, "upper/diff/app", 0755, &err) < 0 ||
		    mkdir_p_at(dfd, "upper/diff/etc", 0755, &err) < 0 ||
		    write_file_atomic(dfd, "upper/diff/app/new", "hello", 5, 0644, &err) < 0 ||
		    write_file_atomic(dfd, "upper/diff/app/late", "", 0, 0644, &err) < 0)
			die("upper: %s", err.msg);
		put_entry(m, "/", 'd', 0755, 0, 100);
		put_entry(m, "/app", 'd', 0755, 0, 100);
		put_entry(m, "/app/new", 'f', 0640, 1000, 2000000000);
		put_entry(m, "/etc", 'd', 0755, 0, 100);
		put_entry(m, "/etc/f0", 'w', 0, 0, 100);
		struct bfs_entry *late = bfs_entry_new("/app/late", 'f');
		late->mode = 0600;
		late->mtime_sec = 100;
		_cleanup_free_ char *line = bfs_entry_format(late);
		_cleanup_free_ char *log = xasprintf("+\t%s", line);
		bfs_entry_free(late);
		if (write_file_atomic(dfd, "upper/meta.log", log, strlen(log), 0644, &err) < 0)
			die("meta.log: %s", err.msg);
	}
	mfd = openat(dfd, "upper/meta", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (mfd < 0 || bfs_meta_write(m, mfd, &err) < 0)
		die("meta: %s", err.msg ? err.msg : "open");
	bfs_meta_free(m);
	return dir;
}

struct seen_entry {
	char path[64];
	int64_t mtime;
	int64_t uid;
	int mode;
	char data[16];
};

/* The tar's entries, up to max; how many. */
static size_t read_tar(int fd, struct seen_entry *v, size_t max)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	size_t n = 0;

	lseek(fd, 0, SEEK_SET);
	archive_read_support_format_tar(a);
	if (archive_read_open_fd(a, fd, 10240) != ARCHIVE_OK)
		return 0;
	while (n < max && archive_read_next_header(a, &e) == ARCHIVE_OK) {
		snprintf(v[n].path, sizeof(v[n].path), "%s", archive_entry_pathname(e));
		v[n].mtime = archive_entry_mtime(e);
		v[n].uid = archive_entry_uid(e);
		v[n].mode = archive_entry_perm(e);
		memset(v[n].data, 0, sizeof(v[n].data));
		archive_read_data(a, v[n].data, sizeof(v[n].data) - 1);
		n++;
	}
	archive_read_free(a);
	return n;
}

static const struct seen_entry *find(const struct seen_entry *v, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].path, path))
			return &v[i];
	return NULL;
}

static void changed(int64_t clamp)
{
	struct berth_error err = { 0 };
	_cleanup_free_ char *dir = make_container(clamp < 0 ? "c1" : "c2", true);
	_cleanup_free_ char *tarp = xasprintf("%s/tmp/l%d.tar", root_path, clamp < 0);
	_cleanup_close_ int fd = open(tarp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct seen_entry v[16];
	const struct seen_entry *e;
	size_t n = 99, k;

	if (!ok(container_layer_write(s, dir, base, clamp, fd, &n, &err) == 0,
		"a changed layer written (clamp %lld)", (long long)clamp))
		printf("# %s\n", err.msg);
	berth_error_clear(&err);
	k = read_tar(fd, v, ARRAY_SIZE(v));
	for (size_t i = 0; i < k; i++)
		printf("#   %s mtime %lld uid %lld mode %o\n", v[i].path, (long long)v[i].mtime,
		       (long long)v[i].uid, v[i].mode);
	is_int(n, k, "the entry count is the tar's");
	ok((e = find(v, k, "app/new")) && e->uid == 1000 && e->mode == 0640 &&
		   !strcmp(e->data, "hello"),
	   "app/new: owner and mode from the table, the data from diff/");
	ok(find(v, k, "app/late") != NULL, "app/late: the log's change replayed");
	ok(find(v, k, "etc/.wh.f0") != NULL, "etc/f0 removed: a whiteout etc/.wh.f0 (one slash)");
	ok(!find(v, k, "etc/f1"), "etc/f1, unchanged, not in it");
	if (clamp < 0) {
		ok((e = find(v, k, "app/new")) && e->mtime == 2000000000, "no clamp: mtime as is");
	} else {
		ok((e = find(v, k, "app/new")) && e->mtime == clamp, "a later mtime clamped");
		ok((e = find(v, k, "etc/")) && e->mtime == 100, "an earlier one kept");
	}
}

static void unchanged(void)
{
	struct berth_error err = { 0 };
	_cleanup_free_ char *dir = make_container("c3", false);
	_cleanup_free_ char *tarp = xasprintf("%s/tmp/l3.tar", root_path);
	_cleanup_close_ int fd = open(tarp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct seen_entry v[4];
	size_t n = 99;

	ok(container_layer_write(s, dir, base, -1, fd, &n, &err) == 0 && n == 0,
	   "an unchanged layer: no entry");
	is_int(read_tar(fd, v, ARRAY_SIZE(v)), 0, "an empty tar");
	berth_error_clear(&err);
	ok(container_layer_write(s, root_path, base, -1, fd, &n, &err) < 0 && err.msg &&
		   strstr(err.msg, "no writable layer"),
	   "no upper/: refused");
	berth_error_clear(&err);
}

int main(void)
{
	char tmpl[] = "/tmp/test-layer-write-XXXXXX";
	char *root = mkdtemp(tmpl);
	struct berth_error err = { 0 };

	if (!root || store_open(root, &s, &err) < 0)
		die("store %s: %s", root ? root : "mkdtemp", err.msg);
	snprintf(root_path, sizeof(root_path), "%s", root);
	make_base();
	changed(-1);
	changed(1500000000);
	unchanged();
	return scratch_store_done(s, root);
}
