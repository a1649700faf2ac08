// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-unpack.c: libFuzzer target for unpack_layer(), the importer of
 * untrusted layer tars. Each input is unpacked twice into a fresh layer
 * directory: once on top of a fixed lower layer (symlinks to /etc, to a
 * host path outside the layer, a directory and files to shadow) under
 * small [limits], once on its own without limits. After each run the target checks what unpack.h promises:
 * nothing written outside the new layer (a sentinel directory next to it
 * stays empty, the lower layer is unchanged), the metadata table and the
 * host tree agree, host modes are safe, no fd leaks, no helper program
 * spawned. BERTH_FUZZ_VERBOSE=1 prints each run's outcome. The JSON and
 * metadata parsers are fuzz-oci.c's job.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../image/layers.h"
#include "../../image/meta.h"
#include "../../image/unpack.h"
#include "../../lib/util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
		 const posix_spawnattr_t *attr, char *const argv[], char *const envp[]);
int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		const posix_spawnattr_t *attr, char *const argv[], char *const envp[]);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz-unpack: %s:%d: check failed: %s\n", __FILE__,        \
				__LINE__, #cond);                                                  \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static struct {
	char *base;		/* $TMPDIR/berth-fuzz-unpack.XXXXXX */
	int base_fd;		/* O_PATH */
	struct bfs_layer lower; /* base/lower/diff, unpacked once */
	char *lower_print;	/* fingerprint of the lower host tree */
	size_t lower_count;
} g = { .base_fd = -1 };

/* libarchive runs external programs (lrzip, grzip, lzop...) for filters it
 * was not built with. A layer must never make berth spawn anything. */
int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
		 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	(void)pid, (void)fa, (void)attr, (void)argv, (void)envp;
	fprintf(stderr, "fuzz-unpack: unpack tried to spawn \"%s\"\n", file);
	abort();
}

int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return posix_spawnp(pid, path, fa, attr, argv, envp);
}

/* ---- the fixed lower layer ---- */

static void add_entry(struct archive *a, const char *path, mode_t type, mode_t perm,
		      const char *data, const char *symlink)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_size(e, data ? (la_int64_t)strlen(data) : 0);
	if (symlink)
		archive_entry_set_symlink(e, symlink);
	CHECK(archive_write_header(a, e) == ARCHIVE_OK);
	if (data)
		CHECK(archive_write_data(a, data, strlen(data)) == (la_ssize_t)strlen(data));
	archive_entry_free(e);
}

/* A tar whose symlinks point where an importer that followed host
 * symlinks would write outside the layer: the host's /etc, and the
 * sentinel directory by a relative and by an absolute path. */
static int lower_tar_fd(void)
{
	_cleanup_free_ char *abs_target = xasprintf("%s/sentinel", g.base);
	struct archive *a = archive_write_new();
	size_t cap = 1 << 16, used = 0;
	_cleanup_free_ char *buf = xmalloc(cap);
	int fd;

	archive_write_set_format_pax_restricted(a);
	CHECK(archive_write_open_memory(a, buf, cap, &used) == ARCHIVE_OK);
	add_entry(a, "etc", AE_IFDIR, 0755, NULL, NULL);
	add_entry(a, "etc/passwd", AE_IFREG, 0644, "root:x:0:0:root:/root:/bin/sh\n", NULL);
	add_entry(a, "link", AE_IFLNK, 0777, NULL, "/etc");
	add_entry(a, "rel", AE_IFLNK, 0777, NULL, "../../sentinel");
	add_entry(a, "abs", AE_IFLNK, 0777, NULL, abs_target);
	add_entry(a, "dir", AE_IFDIR, 0755, NULL, NULL);
	add_entry(a, "dir/file", AE_IFREG, 0644, "data\n", NULL);
	add_entry(a, "dir/sub", AE_IFDIR, 0700, NULL, NULL);
	add_entry(a, "file", AE_IFREG, 04755, "#!/bin/sh\n", NULL);
	CHECK(archive_write_close(a) == ARCHIVE_OK);
	archive_write_free(a);

	fd = memfd_create("lower", MFD_CLOEXEC);
	CHECK(fd >= 0 && write_all(fd, buf, used) == 0 && lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}

/* "path type size perm [target]\n" for every object below dirfd, in
 * readdir order (stable while nothing changes). */
static void fingerprint(int at, const char *prefix, char **out)
{
	_cleanup_closedir_ DIR *d = opendir_fd(at);
	struct dirent *de;

	CHECK(d != NULL);
	while ((de = readdir(d))) {
		_cleanup_free_ char *path = NULL;
		char target[256] = "";
		struct stat st;
		char *line;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		CHECK(fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0);
		if (S_ISLNK(st.st_mode))
			CHECK(readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1) >= 0);
		path = xasprintf("%s/%s", prefix, de->d_name);
		line = xasprintf("%s%s %o %lld %s\n", *out, path, (unsigned)st.st_mode,
				 (long long)st.st_size, target);
		free(*out);
		*out = line;
		if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int sub =
				openat(dirfd(d), de->d_name,
				       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			CHECK(sub >= 0);
			fingerprint(sub, path, out);
		}
	}
}

static char *fingerprint_of(int at)
{
	char *s = xstrdup("");
	fingerprint(at, "", &s);
	return s;
}

static int make_layer(const char *name, struct bfs_layer *l)
{
	_cleanup_close_ int ldir = -1;

	if (mkdirat(g.base_fd, name, 0700) < 0 ||
	    (ldir = openat(g.base_fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    mkdirat(ldir, "diff", 0755) < 0 ||
	    (l->dirfd = openat(ldir, "diff", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	l->meta = bfs_meta_new();
	l->name = xstrdup(name);
	return 0;
}

static void drop_layer(const char *name, struct bfs_layer *l)
{
	struct berth_error err = { 0 };

	if (l->dirfd >= 0)
		close(l->dirfd);
	bfs_meta_free(l->meta);
	free(l->name);
	memset(l, 0, sizeof(*l));
	l->dirfd = -1;
	if (rm_rf_at(g.base_fd, name, &err) < 0) {
		fprintf(stderr, "fuzz-unpack: cleanup: %s\n", err.msg);
		abort();
	}
}

static void cleanup_base(void)
{
	struct berth_error err = { 0 };
	int parent;

	if (!g.base)
		return;
	drop_layer("lower", &g.lower);
	parent = open(g.base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (parent >= 0) {
		rm_rf_at(parent, "sentinel", &err);
		berth_error_clear(&err);
		close(parent);
	}
	rmdir(g.base);
	close(g.base_fd);
	free(g.base);
	free(g.lower_print);
	g.base = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	struct berth_error err = { 0 };
	struct unpack_result res;
	struct bfs_stack stack = { .n = 1, .layers = &g.lower };
	_cleanup_close_ int blob = -1;

	(void)argc, (void)argv;
	g.base = xasprintf("%s/berth-fuzz-unpack.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	CHECK(mkdtemp(g.base) != NULL);
	g.base_fd = open(g.base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	CHECK(g.base_fd >= 0 && mkdirat(g.base_fd, "sentinel", 0755) == 0);
	atexit(cleanup_base);

	CHECK(make_layer("lower", &g.lower) == 0);
	blob = lower_tar_fd();
	if (unpack_layer(&stack, blob, NULL, NULL, NULL, &res, &err) < 0) {
		fprintf(stderr, "fuzz-unpack: the lower layer does not unpack: %s\n", err.msg);
		abort();
	}
	g.lower_print = fingerprint_of(g.lower.dirfd);
	g.lower_count = bfs_meta_count(g.lower.meta);
	return 0;
}

/* ---- checks after a run ---- */

static void check_outside_untouched(void)
{
	_cleanup_closedir_ DIR *d = NULL;
	_cleanup_free_ char *now = NULL;
	struct dirent *de;
	int fd;

	/* the sentinel stays empty, the base holds only our own directories */
	fd = openat(g.base_fd, "sentinel", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	CHECK(fd >= 0);
	now = fingerprint_of(fd);
	close(fd);
	CHECK(strcmp(now, "") == 0);
	free(now);

	fd = openat(g.base_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(fd >= 0 && (d = fdopendir(fd)) != NULL);
	while ((de = readdir(d)))
		CHECK(!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		      !strcmp(de->d_name, "sentinel") || !strcmp(de->d_name, "lower") ||
		      !strcmp(de->d_name, "top"));

	now = fingerprint_of(g.lower.dirfd);
	CHECK(strcmp(now, g.lower_print) == 0);
	CHECK(bfs_meta_count(g.lower.meta) == g.lower_count);
}

/* Each entry of the new layer's table has the matching host object (a
 * whiteout has none), with a mode bfs_host_mode() would give. */
static int check_entry(struct bfs_entry *e, void *data)
{
	const struct bfs_layer *top = data;
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int dfd = -1;
	const char *base;
	struct stat st;
	int r;

	CHECK(e->path[0] == '/');
	CHECK(e->opaque == false || e->type == BFS_DIR);
	if (strcmp(e->path, "/") == 0) {
		CHECK(e->type == BFS_DIR);
		return 0;
	}
	dir = bfs_path_dirname(e->path);
	base = bfs_path_basename(e->path);
	dfd = bfs_layer_open(top, dir, O_PATH | O_DIRECTORY);
	CHECK(dfd >= 0 || e->type == BFS_WHITEOUT);
	r = dfd >= 0 ? fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) : -1;
	switch (e->type) {
	case BFS_WHITEOUT: CHECK(r < 0); break;
	case BFS_DIR: CHECK(r == 0 && S_ISDIR(st.st_mode)); break;
	case BFS_LNK: CHECK(r == 0 && S_ISLNK(st.st_mode)); break;
	default: CHECK(r == 0 && S_ISREG(st.st_mode)); break;
	}
	if (r == 0 && !S_ISLNK(st.st_mode)) {
		CHECK((st.st_mode & 07022) == 0);
		CHECK((st.st_mode & 0600) == 0600);
	}
	return 0;
}

/* ...and each host object has an entry. */
static void check_host_tree(const struct bfs_layer *top, int at, const char *prefix)
{
	_cleanup_closedir_ DIR *d = opendir_fd(at);
	struct dirent *de;

	CHECK(d != NULL);
	while ((de = readdir(d))) {
		_cleanup_free_ char *path = NULL;
		struct bfs_entry *e;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		path = xasprintf("%s/%s", prefix, de->d_name);
		e = bfs_meta_get(top->meta, path);
		CHECK(e != NULL && e->type != BFS_WHITEOUT);
		if (e->type == BFS_DIR) {
			_cleanup_close_ int sub =
				openat(dirfd(d), de->d_name,
				       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			CHECK(sub >= 0);
			check_host_tree(top, sub, path);
		}
	}
}

/* The lowest free fd number: the same before and after a leak-free run. */
static int lowest_free_fd(void)
{
	int probe = open("/dev/null", O_RDONLY | O_CLOEXEC);

	CHECK(probe >= 0);
	close(probe);
	return probe;
}

static void run_one(const uint8_t *data, size_t size, bool with_lower)
{
	struct bfs_layer layers[2] = { { .dirfd = -1 }, g.lower };
	struct bfs_stack stack = { .n = with_lower ? 2 : 1, .layers = layers };
	struct berth_error err = { 0 };
	struct unpack_result res;
	int free_fd = lowest_free_fd();
	_cleanup_close_ int blob = memfd_create("blob", MFD_CLOEXEC);
	int r;

	CHECK(blob >= 0 && write_all(blob, data, size) == 0 && lseek(blob, 0, SEEK_SET) == 0);
	/* with the lower layer, under small limits: their refusals leave
	 * the same promises kept as any other failure */
	static const struct unpack_limits small = {
		.max_depth = 6,
		.max_entries = 48,
		.max_layer_size = 64 << 10,
		.max_image_entries = 64,
		.image_entries = 8,
	};
	CHECK(make_layer("top", &layers[0]) == 0);
	r = unpack_layer(&stack, blob, with_lower ? &small : NULL, NULL, NULL, &res, &err);
	CHECK(r == 0 ? err.msg == NULL : err.msg != NULL);
	if (getenv("BERTH_FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz-unpack: %s lower: %s\n", with_lower ? "with" : "without",
			r == 0 ? "unpacked" : err.msg);
	if (r == 0) {
		_cleanup_close_ int root =
			openat(layers[0].dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		CHECK(bfs_meta_get(layers[0].meta, "/") != NULL);
		bfs_meta_foreach(layers[0].meta, check_entry, &layers[0]);
		CHECK(root >= 0);
		check_host_tree(&layers[0], root, "");
	}
	berth_error_clear(&err);
	check_outside_untouched();
	drop_layer("top", &layers[0]);
	close(steal_fd(&blob));
	CHECK(lowest_free_fd() == free_fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run_one(data, size, true);
	run_one(data, size, false);
	return 0;
}
