// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * source.c: image load sources. Archives are unpacked into the staging
 * directory in one streaming pass that hashes every member as it is
 * written, so nothing is read twice just to be verified and stdin works.
 * Members' names are normalised like layer entries (no "..", no absolute
 * names); the archive's own symlinks (podman's docker-archive links
 * <id>/layer.tar to ../<digest>.tar) become hardlinks inside the stage.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layers.h"
#include "source.h"
#include "../lib/syscalls.h"
#include "unpack.h"
#include "oci.h"
#include "../lib/util.h"

DEFINE_CLEANUP_FUNC(struct archive *, archive_read_free)

#define COPY_CHUNK (256 * 1024)

struct link {
	char *name, *target;
	bool hard;
};

static struct source_file *find_file(struct source *src, const char *name)
{
	for (size_t i = 0; i < src->n_files; i++)
		if (strcmp(src->files[i].name, name) == 0)
			return &src->files[i];
	return NULL;
}

/* name is canonical ("/a/b"); create its parents below dirfd. */
static int open_parent(int dirfd, const char *name, struct berth_error *err)
{
	_cleanup_free_ char *parent = bfs_path_dirname(name);
	int fd;

	if (mkdir_p_at(dirfd, parent + 1, 0700, err) < 0)
		return -1;
	fd = open_beneath(dirfd, parent + 1, O_PATH | O_DIRECTORY, 0);
	if (fd < 0)
		return berth_error_set(err, errno, "member %s", name + 1);
	return fd;
}

static int stage_regular(struct source *src, struct archive *a, const char *name,
			 struct berth_error *err)
{
	_cleanup_close_ int pfd = open_parent(src->dirfd, name, err);
	_cleanup_close_ int fd = -1;
	struct sha256_ctx *h;
	struct source_file *f;
	uint64_t size = 0;
	const char *base = bfs_path_basename(name);

	if (pfd < 0)
		return -1;
	unlinkat(pfd, base, 0); /* a later member of the same name wins */
	fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return berth_error_set(err, errno, "staging member %s", name + 1);
	h = sha256_new();
	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int r = archive_read_data_block(a, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK || (uint64_t)off != size || write_all(fd, buf, len) < 0) {
			sha256_free(h);
			if (r != ARCHIVE_OK) {
				_cleanup_free_ char *what = xasprintf("member %s", name + 1);
				return unpack_archive_error(a, what, err);
			}
			if ((uint64_t)off != size)
				return berth_error_set(
					err, 0, "member %s: sparse members are not supported",
					name + 1);
			return berth_error_set(err, errno, "staging member %s", name + 1);
		}
		sha256_update(h, buf, len);
		size += len;
		if (src->progress)
			src->progress((uint64_t)archive_filter_bytes(a, -1), 0, src->progress_data);
	}
	f = find_file(src, name + 1);
	if (!f) {
		src->files = xrealloc(src->files, (src->n_files + 1) * sizeof(*src->files));
		f = &src->files[src->n_files++];
		f->name = xstrdup(name + 1);
	}
	sha256_final(h, f->digest);
	f->size = size;
	return 0;
}

/* Resolve archive links into hardlinks of staged files. Chains resolve
 * over several rounds; links to nothing stay absent. */
static void resolve_links(struct source *src, struct link *links, size_t n)
{
	for (int round = 0; round < 8; round++) {
		bool progress = false;
		for (size_t i = 0; i < n; i++) {
			_cleanup_free_ char *joined = NULL, *target = NULL, *dir = NULL;
			struct berth_error err = { 0 };
			struct source_file *tf, *nf;
			_cleanup_close_ int pfd = -1, tfd = -1;

			if (!links[i].name)
				continue;
			dir = bfs_path_dirname(links[i].name);
			if (links[i].hard || links[i].target[0] == '/')
				joined = xstrdup(links[i].target);
			else
				joined = xasprintf("%s/%s", dir, links[i].target);
			/* lexical: ".." past the root is clamped, as in the root */
			struct bfs_stack empty = { 0 };
			if (bfs_stack_resolve(&empty, joined, 0, &target, NULL, &err) < 0 ||
			    !(tf = find_file(src, target + 1))) {
				berth_error_clear(&err);
				continue;
			}
			pfd = open_parent(src->dirfd, links[i].name, &err);
			_cleanup_free_ char *tparent = bfs_path_dirname(target);
			tfd = open_beneath(src->dirfd, tparent + 1, O_PATH | O_DIRECTORY, 0);
			if (pfd < 0 || tfd < 0 ||
			    linkat(tfd, bfs_path_basename(target), pfd,
				   bfs_path_basename(links[i].name), 0) < 0) {
				berth_error_clear(&err);
				continue;
			}
			struct source_file copy = *tf; /* realloc may move tf */
			src->files = xrealloc(src->files, (src->n_files + 1) * sizeof(*src->files));
			nf = &src->files[src->n_files++];
			*nf = copy;
			nf->name = xstrdup(links[i].name + 1);
			free(links[i].name);
			links[i].name = NULL;
			progress = true;
		}
		if (!progress)
			break;
	}
}

static int extract(struct source *src, int fd, struct berth_error *err)
{
	_cleanup_(archive_read_freep) struct archive *a = archive_read_new();
	struct archive_entry *ae;
	struct link *links = NULL;
	size_t n_links = 0;
	int r, ret = -1;

	unpack_support_filters(a); /* never filter_all: it may spawn programs */
	archive_read_support_format_tar(a);
	if (archive_read_open_fd(a, fd, COPY_CHUNK) != ARCHIVE_OK) {
		_cleanup_free_ char *what = xasprintf("%s: not a readable archive", src->label);
		return unpack_archive_error(a, what, err);
	}
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		_cleanup_free_ char *name = NULL;
		const char *raw = archive_entry_pathname(ae);

		if (!raw || unpack_normalize_name(raw, &name, err) < 0) {
			if (!err->msg)
				berth_error_set(err, 0, "member with an unreadable name");
			berth_error_wrap(err, "%s", src->label);
			goto out;
		}
		if (strcmp(name, "/") == 0)
			continue;
		if (archive_entry_hardlink(ae) || archive_entry_filetype(ae) == AE_IFLNK) {
			const char *t = archive_entry_hardlink(ae);
			_cleanup_free_ char *tn = NULL;
			links = xrealloc(links, (n_links + 1) * sizeof(*links));
			if (t && unpack_normalize_name(t, &tn, err) < 0) {
				berth_error_wrap(err, "%s: member %s", src->label, name + 1);
				goto out;
			}
			links[n_links].hard = t != NULL;
			links[n_links].target =
				t ? steal_pointer(&tn) : xstrdup(archive_entry_symlink(ae));
			links[n_links++].name = steal_pointer(&name);
			continue;
		}
		if (archive_entry_filetype(ae) == AE_IFREG &&
		    stage_regular(src, a, name, err) < 0) {
			berth_error_wrap(err, "%s", src->label);
			goto out;
		}
	}
	if (r != ARCHIVE_EOF) {
		_cleanup_free_ char *what =
			xasprintf("%s: corrupt or truncated archive", src->label);
		unpack_archive_error(a, what, err);
		goto out;
	}
	resolve_links(src, links, n_links);
	ret = 0;
out:
	for (size_t i = 0; i < n_links; i++) {
		free(links[i].name);
		free(links[i].target);
	}
	free(links);
	return ret;
}

int source_open(struct source *src, const char *path, struct store_stage *stage,
		struct berth_error *err)
{
	bool from_stdin = !path || strcmp(path, "-") == 0;
	_cleanup_close_ int fd = -1;
	struct stat st;

	src->label = xstrdup(from_stdin ? "stdin" : path);
	src->dirfd = -1;
	if (!from_stdin) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0)
			return berth_error_set(err, errno, "%s", path);
		if (S_ISDIR(st.st_mode)) {
			src->dirfd = steal_fd(&fd);
			return 0;
		}
	}
	if (mkdirat(stage->dirfd, "src", 0700) < 0)
		return berth_error_set(err, errno, "staging %s", src->label);
	src->dirfd = openat(stage->dirfd, "src", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (src->dirfd < 0)
		return berth_error_set(err, errno, "staging %s", src->label);
	src->staged = true;
	return extract(src, from_stdin ? 0 : fd, err);
}

void source_close(struct source *src)
{
	if (src->dirfd >= 0)
		close(src->dirfd);
	for (size_t i = 0; i < src->n_files; i++)
		free(src->files[i].name);
	free(src->files);
	free(src->label);
	memset(src, 0, sizeof(*src));
	src->dirfd = -1;
}

static int open_member(struct source *src, const char *member, struct berth_error *err)
{
	_cleanup_free_ char *name = NULL;
	int fd;

	if (unpack_normalize_name(member, &name, err) < 0)
		return berth_error_wrap(err, "%s", src->label);
	fd = open_beneath(src->dirfd, name + 1, O_RDONLY, 0);
	if (fd < 0) {
		if (errno == ENOENT)
			return berth_error_set(err, 0, "%s: %s is missing", src->label, member);
		return berth_error_set(err, errno, "%s: %s", src->label, member);
	}
	return fd;
}

bool source_exists(struct source *src, const char *member)
{
	struct stat st;
	_cleanup_close_ int fd = open_beneath(src->dirfd, member, O_PATH, 0);
	return fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

int source_read(struct source *src, const char *member, size_t max, char **buf, size_t *len,
		char *digest, struct berth_error *err)
{
	_cleanup_close_ int fd = open_member(src, member, err);
	struct stat st;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return berth_error_set(err, errno ? errno : EINVAL, "%s: %s is not a file",
				       src->label, member);
	if ((uint64_t)st.st_size > max)
		return berth_error_set(err, 0, "%s: %s: size %lld exceeds the %zu byte limit",
				       src->label, member, (long long)st.st_size, max);
	if (read_fd_all(fd, max, buf, len, err) < 0)
		return berth_error_wrap(err, "%s: %s", src->label, member);
	if (digest)
		sha256_bytes(*buf, *len, digest);
	return 0;
}

static char *blob_member(const char *digest)
{
	return xasprintf("blobs/sha256/%s", digest_hex(digest));
}

int source_read_blob(struct source *src, const char *digest, uint64_t size, size_t max, char **buf,
		     size_t *len, struct berth_error *err)
{
	_cleanup_free_ char *member = blob_member(digest);
	_cleanup_free_ char *data = NULL;
	char actual[DIGEST_STR_LEN + 1];
	size_t n;

	if (size > max)
		return berth_error_set(
			err, 0, "%s: blob %.19s: declared size %llu exceeds the %zu byte limit",
			src->label, digest, (unsigned long long)size, max);
	if (!source_exists(src, member))
		return berth_error_set(err, 0, "%s: blob %s is missing", src->label, digest);
	if (source_read(src, member, max, &data, &n, actual, err) < 0)
		return -1;
	if (n != size)
		return berth_error_set(
			err, 0, "%s: blob %.19s: size %zu does not match the descriptor's %llu",
			src->label, digest, n, (unsigned long long)size);
	if (strcmp(actual, digest) != 0)
		return berth_error_set(err, 0, "%s: blob %.19s: digest mismatch (content is %.19s)",
				       src->label, digest, actual);
	*buf = steal_pointer(&data);
	*len = n;
	return 0;
}

static void copy_progress(uint64_t total, void *arg)
{
	struct source *src = arg;

	if (src->progress)
		src->progress(total, 0, src->progress_data);
}

static int copy_hashing(int in, int out, char *digest, uint64_t *size, struct source *src,
			struct berth_error *err)
{
	return sha256_copy_fd(in, out, COPY_CHUNK, digest, size, copy_progress, src, "copying blob",
			      err);
}

int source_stage_member(struct source *src, const char *member, const char *want_digest,
			int64_t want_size, struct store_stage *stage, const char *name,
			char *digest_out, uint64_t *size_out, struct berth_error *err)
{
	_cleanup_close_ int in = open_member(src, member, err);
	_cleanup_close_ int out = -1;
	_cleanup_free_ char *norm = NULL;
	struct source_file *f = NULL;
	char digest[DIGEST_STR_LEN + 1];
	struct stat st;
	uint64_t size = 0;

	if (in < 0 || unpack_normalize_name(member, &norm, err) < 0)
		return -1;
	if (src->staged)
		f = find_file(src, norm + 1);
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode))
		return berth_error_set(err, EINVAL, "%s: %s is not a file", src->label, member);
	if (want_size >= 0 && (uint64_t)st.st_size != (uint64_t)want_size)
		return berth_error_set(
			err, 0, "%s: blob %.19s: size %lld does not match the descriptor's %lld",
			src->label, want_digest ? want_digest : member, (long long)st.st_size,
			(long long)want_size);
	if (f) {
		/* hashed while unpacking the archive: a hardlink is enough */
		strcpy(digest, f->digest);
		size = f->size;
		if (linkat(src->dirfd, norm + 1, stage->dirfd, name, 0) < 0)
			return berth_error_set(err, errno, "staging %s", member);
	} else {
		out = openat(stage->dirfd, name,
			     O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (out < 0 || copy_hashing(in, out, digest, &size, src, err) < 0) {
			if (!err->msg)
				berth_error_set(err, errno, "staging %s", member);
			return berth_error_wrap(err, "%s", src->label);
		}
	}
	if (want_digest && strcmp(digest, want_digest) != 0)
		return berth_error_set(err, 0, "%s: blob %.19s: digest mismatch (content is %.19s)",
				       src->label, want_digest, digest);
	if (digest_out)
		strcpy(digest_out, digest);
	if (size_out)
		*size_out = size;
	return 0;
}

int source_digest(struct source *src, const char *member, char *digest, uint64_t *size,
		  struct berth_error *err)
{
	_cleanup_free_ char *norm = NULL;
	_cleanup_close_ int fd = -1;
	struct source_file *f;

	if (unpack_normalize_name(member, &norm, err) < 0)
		return berth_error_wrap(err, "%s", src->label);
	if (src->staged && (f = find_file(src, norm + 1))) {
		strcpy(digest, f->digest);
		*size = f->size;
		return 0;
	}
	fd = open_member(src, member, err);
	if (fd < 0 || sha256_fd(fd, digest, size, err) < 0)
		return berth_error_wrap(err, "%s", src->label);
	return 0;
}

const char *source_layer_media_type(struct source *src, const char *member)
{
	struct berth_error err = { 0 };
	_cleanup_close_ int fd = open_member(src, member, &err);

	berth_error_clear(&err);
	return layer_media_type_fd(fd);
}

const char *layer_media_type_fd(int fd)
{
	unsigned char m[4] = { 0 };

	if (fd >= 0 && pread(fd, m, sizeof(m), 0) == (ssize_t)sizeof(m)) {
		if (m[0] == 0x1f && m[1] == 0x8b)
			return MT_OCI_LAYER_GZIP;
		if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
			return MT_OCI_LAYER_ZSTD;
	}
	return MT_OCI_LAYER;
}
