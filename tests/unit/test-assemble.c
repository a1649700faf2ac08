// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: image_assemble (image/assemble.c) on a store of its own:
 * an image from scratch with one layer tar, another on top of it (its
 * layer read from a pipe), one of no layer at all and one that only
 * changes the config; the records, the config's diff_ids and the names
 * read back; the intermediate flag set, kept from a name and ended by
 * one; a tar that is no tar refused with nothing stored. Then the time
 * of a layer of 5,000 small files, for the report.
 */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../image/assemble.h"
#include "../../image/image.h"
#include "../../lib/util.h"
#include "../tap.h"
#include "scratch-store.h"

static struct store *s;
static char root_path[64];

/* A tar of n files f<i> (under dir/ when dir) of a few bytes each, into
 * a new file of the store's tmp/ (as commit and build write theirs);
 * its fd. */
static int make_tar(const char *name, const char *dir, size_t n)
{
	_cleanup_free_ char *p = xasprintf("%s/tmp/%s", root_path, name);
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	if (fd < 0)
		die("creating %s", p);
	archive_write_set_format_pax_restricted(a);
	archive_write_open_fd(a, fd);
	if (dir) {
		archive_entry_set_pathname(e, dir);
		archive_entry_set_filetype(e, AE_IFDIR);
		archive_entry_set_perm(e, 0755);
		archive_entry_set_mtime(e, 1700000000, 0);
		archive_write_header(a, e);
	}
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *path =
			xasprintf("%s%sf%zu", dir ? dir : "", dir ? "/" : "", i);
		_cleanup_free_ char *data = xasprintf("file %zu\n", i);
		archive_entry_clear(e);
		archive_entry_set_pathname(e, path);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)strlen(data));
		archive_entry_set_mtime(e, 1700000000, 0);
		archive_write_header(a, e);
		archive_write_data(a, data, strlen(data));
	}
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
	return fd;
}

static struct json_object *config(const char *env)
{
	struct json_object *c = json_object_new_object(), *cc = json_object_new_object(),
			   *e = json_object_new_array();

	json_object_object_add(c, "architecture", json_object_new_string("amd64"));
	json_object_object_add(c, "os", json_object_new_string("linux"));
	json_object_array_add(e, json_object_new_string(env));
	json_object_object_add(cc, "Env", e);
	json_object_object_add(c, "config", cc);
	return c;
}

static struct image *record(const char *id)
{
	struct berth_error err = { 0 };
	struct image *img = NULL;

	if (image_read(s, id, &img, &err) < 0) {
		printf("# %s\n", err.msg);
		berth_error_clear(&err);
	}
	return img;
}

/* The name's image in refs.json, or "". */
static const char *named(const char *ref)
{
	static char id[DIGEST_STR_LEN + 1];
	struct berth_error err = { 0 };
	struct json_object *refs = NULL, *v;

	id[0] = '\0';
	if (refs_read(s, &refs, &err) == 0 && json_object_object_get_ex(refs, ref, &v))
		snprintf(id, sizeof(id), "%s", json_object_get_string(v));
	json_object_put(refs);
	berth_error_clear(&err);
	return id;
}

/* The config's rootfs.diff_ids[i] of image id. */
static const char *config_diff_id(const char *id, size_t i, size_t *n)
{
	static char d[DIGEST_STR_LEN + 1];
	struct berth_error err = { 0 };
	struct json_object *c = image_config(s, id, &err), *r, *ids;

	d[0] = '\0';
	*n = 0;
	if (c && json_object_object_get_ex(c, "rootfs", &r) &&
	    json_object_object_get_ex(r, "diff_ids", &ids)) {
		*n = json_object_array_length(ids);
		if (i < *n)
			snprintf(d, sizeof(d), "%s",
				 json_object_get_string(json_object_array_get_idx(ids, i)));
	}
	json_object_put(c);
	berth_error_clear(&err);
	return d;
}

static char base[DIGEST_STR_LEN + 1], top[DIGEST_STR_LEN + 1];

static void from_scratch(void)
{
	struct berth_error err = { 0 };
	_cleanup_close_ int fd = make_tar("one.tar", "etc", 3);
	char *refs[] = { "localhost/asm:1", "localhost/asm:one", NULL };
	_cleanup_json_ struct json_object *c = config("A=1");
	struct assemble a = { .base_id = NULL, .layer_fd = fd, .config = c, .refs = refs };
	char tar_digest[DIGEST_STR_LEN + 1];
	struct image *img;
	size_t n;

	lseek(fd, 0, SEEK_SET);
	sha256_fd(fd, tar_digest, NULL, &err);
	lseek(fd, 5, SEEK_SET); /* read from its start, wherever the offset is */
	if (!ok(image_assemble(s, &a, base, &err) == 0, "from scratch with one layer tar"))
		printf("# %s\n", err.msg);
	berth_error_clear(&err);
	img = record(base);
	ok(img && img->n_layers == 1 && !strcmp(img->diff_ids[0], tar_digest) &&
		   !strcmp(img->blobs[0], tar_digest) && !strcmp(img->chain_ids[0], tar_digest),
	   "its record: one layer, diffID = blob = chain ID = the tar's digest");
	ok(img && !img->intermediate, "not intermediate");
	image_free(img);
	is_str(config_diff_id(base, 0, &n), tar_digest, "the config's rootfs.diff_ids[0]");
	is_int(n, 1, "and only it");
	is_str(named("localhost/asm:1"), base, "named by the first ref");
	is_str(named("localhost/asm:one"), base, "and the second");
	ok(json_object_object_get_ex(c, "config", NULL) &&
		   !json_object_object_get_ex(c, "rootfs", NULL),
	   "the caller's config object left as it was");
	{
		_cleanup_free_ char *b = xasprintf("blobs/sha256/%s", digest_hex(tar_digest));
		struct stat a1, a2;
		ok(fstat(fd, &a1) == 0 && fstatat(s->rootfd, b, &a2, AT_SYMLINK_NOFOLLOW) == 0 &&
			   a1.st_ino == a2.st_ino && a1.st_dev == a2.st_dev,
		   "the tar file itself became the blob (linked, not copied)");
	}
	ok(store_layer_exists(s, tar_digest), "the layer unpacked into layers/");
	{
		_cleanup_free_ char *p = xasprintf("layers/%s/diff/etc/f2", digest_hex(tar_digest));
		_cleanup_free_ char *buf = NULL;
		ok(read_file_at(s->rootfd, p, 100, &buf, NULL, &err) == 0 &&
			   !strcmp(buf, "file 2\n"),
		   "with its files");
		berth_error_clear(&err);
	}
}

static void on_top_from_a_pipe(void)
{
	struct berth_error err = { 0 };
	_cleanup_close_ int fd = make_tar("two.tar", "usr", 2);
	_cleanup_json_ struct json_object *c = config("B=2");
	char tar_digest[DIGEST_STR_LEN + 1];
	int pfd[2];
	struct image *img, *b;
	size_t n;

	lseek(fd, 0, SEEK_SET);
	sha256_fd(fd, tar_digest, NULL, &err);
	lseek(fd, 0, SEEK_SET);
	if (pipe2(pfd, O_CLOEXEC) < 0)
		die("pipe");
	/* small enough for the pipe's buffer: written before it is read */
	{
		char buf[65536];
		ssize_t k = read(fd, buf, sizeof(buf));
		if (k <= 0 || write(pfd[1], buf, (size_t)k) != k)
			die("filling the pipe");
		close(pfd[1]);
	}
	struct assemble a = {
		.base_id = base, .layer_fd = pfd[0], .config = c, .intermediate = true
	};
	if (!ok(image_assemble(s, &a, top, &err) == 0,
		"on top, its layer from a pipe, intermediate"))
		printf("# %s\n", err.msg);
	berth_error_clear(&err);
	close(pfd[0]);
	img = record(top);
	b = record(base);
	ok(img && b && img->n_layers == 2 && !strcmp(img->diff_ids[0], b->diff_ids[0]) &&
		   !strcmp(img->blobs[0], b->blobs[0]) && !strcmp(img->diff_ids[1], tar_digest),
	   "its record: the base's layer, then the new one");
	if (img && b) {
		char chain[DIGEST_STR_LEN + 1];
		store_chain_id(b->chain_ids[0], tar_digest, chain);
		is_str(img->chain_ids[1], chain, "the new layer's chain ID follows the base's");
	}
	ok(img && img->intermediate, "recorded intermediate");
	image_free(img);
	image_free(b);
	is_str(config_diff_id(top, 1, &n), tar_digest, "the config's diff_ids: the new one last");
	is_int(n, 2, "two of them");

	/* the same image again with a name: no longer intermediate */
	char again[DIGEST_STR_LEN + 1];
	char *refs[] = { "localhost/asm:top", NULL };
	_cleanup_close_ int fd2 = make_tar("two-again.tar", "usr", 2);
	struct assemble a2 = {
		.base_id = base, .layer_fd = fd2, .config = c, .refs = refs, .intermediate = true
	};
	ok(image_assemble(s, &a2, again, &err) == 0 && !strcmp(again, top),
	   "assembled again with a name: the same ID");
	berth_error_clear(&err);
	img = record(top);
	ok(img && !img->intermediate, "and no longer intermediate");
	image_free(img);
	is_str(named("localhost/asm:top"), top, "named");

	/* a named image a build step makes again stays as it is */
	_cleanup_close_ int fd3 = make_tar("two-3.tar", "usr", 2);
	struct assemble a3 = {
		.base_id = base, .layer_fd = fd3, .config = c, .intermediate = true
	};
	ok(image_assemble(s, &a3, again, &err) == 0 && !strcmp(again, top),
	   "made once more by a step: the same ID");
	berth_error_clear(&err);
	img = record(top);
	ok(img && !img->intermediate, "and not intermediate again (a prune would take it)");
	image_free(img);
}

static void no_layer(void)
{
	struct berth_error err = { 0 };
	_cleanup_json_ struct json_object *c = config("C=3"), *c2 = config("D=4");
	char id[DIGEST_STR_LEN + 1], id2[DIGEST_STR_LEN + 1];
	struct image *img, *b;
	size_t n;

	struct assemble a = { .base_id = NULL, .layer_fd = -1, .config = c, .intermediate = true };
	if (!ok(image_assemble(s, &a, id, &err) == 0, "from scratch with no layer at all"))
		printf("# %s\n", err.msg);
	berth_error_clear(&err);
	img = record(id);
	ok(img && img->n_layers == 0 && img->intermediate, "its record: no layer, intermediate");
	image_free(img);
	config_diff_id(id, 0, &n);
	is_int(n, 0, "its config: rootfs.diff_ids empty");

	/* a cached step's image named at the end of a build: assembled on
	 * itself with its own config and names, no layer: the same image */
	{
		_cleanup_json_ struct json_object *own = image_config(s, id, &err);
		char *refs[] = { "localhost/asm:final", NULL };
		char same[DIGEST_STR_LEN + 1] = "";
		struct assemble self = {
			.base_id = id, .layer_fd = -1, .config = own, .refs = refs
		};
		ok(own && image_assemble(s, &self, same, &err) == 0 && !strcmp(same, id),
		   "an image assembled on itself with its own config: the same ID");
		berth_error_clear(&err);
		img = record(id);
		ok(img && !img->intermediate, "named by it, no longer intermediate");
		image_free(img);
		is_str(named("localhost/asm:final"), id, "the name points at it");
	}

	struct assemble a2 = { .base_id = base, .layer_fd = -1, .config = c2 };
	if (!ok(image_assemble(s, &a2, id2, &err) == 0, "a base and no new layer (a config step)"))
		printf("# %s\n", err.msg);
	berth_error_clear(&err);
	img = record(id2);
	b = record(base);
	ok(img && b && img->n_layers == 1 && !strcmp(img->chain_ids[0], b->chain_ids[0]) &&
		   strcmp(id2, base) != 0,
	   "its record: the base's layers, a new ID");
	image_free(img);
	image_free(b);
}

static void refused(void)
{
	struct berth_error err = { 0 };
	_cleanup_free_ char *p = xasprintf("%s/tmp/junk.tar", root_path);
	_cleanup_close_ int fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	_cleanup_json_ struct json_object *c = config("E=5");
	char id[DIGEST_STR_LEN + 1], **ids = NULL;
	size_t before = 0, after = 0;
	char junk[2048];

	memset(junk, 'x', sizeof(junk));
	if (fd < 0 || write(fd, junk, sizeof(junk)) != (ssize_t)sizeof(junk))
		die("junk");
	image_list_ids(s, &ids, &before, &err);
	strv_free(ids);
	struct assemble a = { .base_id = base, .layer_fd = fd, .config = c };
	ok(image_assemble(s, &a, id, &err) < 0 && err.msg, "a layer that is no tar: refused");
	printf("# %s\n", err.msg ? err.msg : "");
	berth_error_clear(&err);
	image_list_ids(s, &ids, &after, &err);
	strv_free(ids);
	is_int(after, before, "and no image stored");

	struct assemble b = { .base_id = "sha256:"
					 "0000000000000000000000000000000000000000000000"
					 "000000000000000000",
			      .layer_fd = -1,
			      .config = c };
	ok(image_assemble(s, &b, id, &err) < 0 && err.msg, "a base that is not there: refused");
	berth_error_clear(&err);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Not a check: the figure the report and docs/build.md quote. */
static void timing(void)
{
	struct berth_error err = { 0 };
	_cleanup_close_ int fd = make_tar("many.tar", "app", 5000);
	_cleanup_json_ struct json_object *c = config("F=6");
	char id[DIGEST_STR_LEN + 1];
	struct assemble a = { .base_id = base, .layer_fd = fd, .config = c, .intermediate = true };
	double t0 = now();
	int r = image_assemble(s, &a, id, &err);

	ok(r == 0, "a layer of 5,000 small files assembled");
	printf("# assemble of a 5,000-file layer: %.0f ms\n", (now() - t0) * 1000);
	berth_error_clear(&err);
}

int main(void)
{
	char tmpl[] = "/tmp/test-assemble-XXXXXX";
	char *root = mkdtemp(tmpl);
	struct berth_error err = { 0 };

	if (!root || store_open(root, &s, &err) < 0)
		die("store %s: %s", root ? root : "mkdtemp", err.msg);
	snprintf(root_path, sizeof(root_path), "%s", root);
	from_scratch();
	on_top_from_a_pipe();
	no_layer();
	refused();
	timing();
	return scratch_store_done(s, root);
}
