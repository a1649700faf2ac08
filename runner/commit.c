// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * commit.c: a container's writable layer as a new image. The layer is
 * written as an uncompressed OCI layer tar (pax: owners, modes, xattrs
 * from the layer's table; whiteouts as .wh. files, opaque directories with
 * .wh..wh..opq; hardlinks kept), next to the image's own blobs in an OCI
 * layout in the store's staging area, with the image's config extended
 * by the new diffID and a history entry; then the ordinary `load` takes
 * it in, with all its checks. The image's configuration is kept as it is.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "commit.h"
#include "../image/image.h"
#include "../image/load.h"
#include "scaffold.h"
#include "../lib/syscalls.h"
#include "../image/tree.h"
#include "../image/unpack.h"
#include "../lib/util.h"

DEFINE_CLEANUP_FUNC(struct archive *, archive_write_free)
DEFINE_CLEANUP_FUNC(struct archive_entry *, archive_entry_free)

struct seen {
	dev_t dev;
	ino_t ino;
	char *path;
};

/* libarchive failed on the layer at path (the entry being written): the
 * cause from its errno (a full store is ENOSPC, not "Write error"). */
static int layer_write_failed(struct archive *a, const char *path, struct berth_error *err)
{
	_cleanup_free_ char *what = xasprintf("writing the layer (at %s)", path);
	return unpack_archive_error(a, what, err);
}

/* An empty regular file named path, mode 0: a whiteout's or an opaque
 * directory's marker. */
static int write_marker(struct archive *a, const char *path, struct berth_error *err)
{
	_cleanup_(archive_entry_freep) struct archive_entry *ae = archive_entry_new();

	archive_entry_set_pathname(ae, path);
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_perm(ae, 0);
	archive_entry_set_size(ae, 0);
	return archive_write_header(a, ae) == ARCHIVE_OK ? 0 : layer_write_failed(a, path, err);
}

/* A removed name: .wh.NAME beside it. */
static int write_whiteout(struct archive *a, const struct bfs_entry *e, struct berth_error *err)
{
	const char *rel = e->path + 1;
	_cleanup_free_ char *dir = xstrndup(rel, (size_t)(strrchr(e->path, '/') - e->path));
	_cleanup_free_ char *wh =
		xasprintf("%s%s.wh.%s", dir, *dir ? "/" : "", strrchr(e->path, '/') + 1);

	return write_marker(a, wh, err);
}

/* A regular file's size, or, for a second name of a file already
 * written, the hardlink to the first: 1 when it is one. */
static int regular_or_link(struct archive_entry *ae, const struct stat *st, const char *rel,
			   struct seen **seen, size_t *n_seen)
{
	archive_entry_set_filetype(ae, AE_IFREG);
	for (size_t i = 0; st->st_nlink > 1 && i < *n_seen; i++) {
		if ((*seen)[i].dev == st->st_dev && (*seen)[i].ino == st->st_ino) {
			archive_entry_set_hardlink(ae, (*seen)[i].path);
			archive_entry_set_size(ae, 0);
			return 1;
		}
	}
	if (st->st_nlink > 1) {
		*seen = xrealloc(*seen, (*n_seen + 1) * sizeof(**seen));
		(*seen)[(*n_seen)++] = (struct seen){ st->st_dev, st->st_ino, xstrdup(rel) };
	}
	archive_entry_set_size(ae, st->st_size);
	return 0;
}

/* A regular file's bytes: the host object (regular too: berth-fs makes
 * no other kind for it), reopened through the held descriptor fd, never
 * by name. */
static int write_content(struct archive *a, int fd, const struct stat *st, const char *path,
			 struct berth_error *err)
{
	_cleanup_free_ char *proc = xasprintf("/proc/self/fd/%d", fd);
	_cleanup_close_ int in =
		S_ISREG(st->st_mode) ? open(proc, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;
	char buf[65536];
	ssize_t n;

	if (!S_ISREG(st->st_mode))
		return berth_error_set(err, 0, "%s: not a regular file in the layer", path);
	if (in < 0)
		return berth_error_set(err, errno, "reading %s in the writable layer", path);
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		la_ssize_t w = archive_write_data(a, buf, (size_t)n);
		if (w < 0)
			return layer_write_failed(a, path, err);
		/* the entry's size was taken before: the file grew since */
		if (w != n)
			return berth_error_set(err, 0,
					       "%s changed while it was being committed: "
					       "commit a stopped container",
					       path);
	}
	if (n < 0)
		return berth_error_set(err, errno, "reading %s in the writable layer", path);
	return 0;
}

static int write_entry(struct archive *a, int diff, const struct bfs_entry *e, struct seen **seen,
		       size_t *n_seen, struct berth_error *err)
{
	_cleanup_(archive_entry_freep) struct archive_entry *ae = archive_entry_new();
	_cleanup_close_ int fd = -1;
	const char *rel = e->path + 1;
	struct stat st = { 0 };

	if (e->type == BFS_WHITEOUT)
		return write_whiteout(a, e, err);
	archive_entry_set_pathname(ae, rel);
	archive_entry_set_perm(ae, e->type == BFS_LNK ? 0777 : (e->mode & 07777));
	archive_entry_set_uid(ae, e->uid);
	archive_entry_set_gid(ae, e->gid);
	archive_entry_set_mtime(ae, e->mtime_sec, e->mtime_nsec);
	for (size_t i = 0; i < e->n_xattrs; i++)
		archive_entry_xattr_add_entry(ae, e->xattrs[i].name, e->xattrs[i].value,
					      e->xattrs[i].len);
	if ((fd = open_beneath(diff, rel, O_PATH | O_NOFOLLOW, 0)) < 0 || fstat(fd, &st) < 0)
		return berth_error_set(err, errno, "%s in the writable layer", e->path);
	switch (e->type) {
	case BFS_DIR: archive_entry_set_filetype(ae, AE_IFDIR); break;
	case BFS_LNK: {
		char target[PATH_MAX + 1];
		ssize_t n = readlinkat(fd, "", target, PATH_MAX);
		if (n < 0)
			return berth_error_set(
				err, errno, "reading the link %s in the writable layer", e->path);
		target[n] = '\0';
		archive_entry_set_filetype(ae, AE_IFLNK);
		archive_entry_set_symlink(ae, target);
		break;
	}
	case BFS_FIFO: archive_entry_set_filetype(ae, AE_IFIFO); break;
	case BFS_SOCK: return 0; /* tar has no sockets */
	case BFS_CHR:
	case BFS_BLK:
		archive_entry_set_filetype(ae, e->type == BFS_CHR ? AE_IFCHR : AE_IFBLK);
		archive_entry_set_rdev(ae, makedev(e->rdev_major, e->rdev_minor));
		break;
	default:
		if (regular_or_link(ae, &st, rel, seen, n_seen) == 1) /* no content of its own */
			return archive_write_header(a, ae) == ARCHIVE_OK
				       ? 0
				       : layer_write_failed(a, e->path, err);
	}
	if (archive_write_header(a, ae) != ARCHIVE_OK)
		return layer_write_failed(a, e->path, err);
	if (e->type == BFS_REG && write_content(a, fd, &st, e->path, err) < 0)
		return -1;
	if (e->type == BFS_DIR && e->opaque) { /* what lower layers have here stays hidden */
		_cleanup_free_ char *p = xasprintf("%s/.wh..wh..opq", rel);
		return write_marker(a, p, err);
	}
	return 0;
}

/* The writable layer's table: meta, then the changes in its log. */
static struct bfs_meta *upper_table(int ufd, struct berth_error *err)
{
	struct bfs_meta *m = NULL;
	_cleanup_close_ int lfd = -1;
	_cleanup_free_ char *log = NULL;
	size_t len = 0;

	if (faccessat(ufd, "meta", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		if (bfs_meta_read(ufd, "meta", &m, err) < 0)
			return NULL;
	} else {
		m = bfs_meta_new();
	}
	lfd = openat(ufd, "meta.log", O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (lfd >= 0 && read_fd_all(lfd, (size_t)1 << 30, &log, &len, err) < 0) {
		bfs_meta_free(m);
		return NULL;
	}
	if (log)
		bfs_meta_replay(m, log, len);
	return m;
}

/* ufd: the writable layer; cfd: the container's directory (berth's
 * notes on the mount points it made, left out: scaffold.c); lower: the
 * image's layers. */
static int write_layer(int ufd, int cfd, const struct bfs_stack *lower, int outfd,
		       struct berth_error *err)
{
	_cleanup_(archive_write_freep) struct archive *a = archive_write_new();
	_cleanup_close_ int diff =
		openat(ufd, "diff", O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	struct bfs_meta *m = upper_table(ufd, err);
	struct seen *seen = NULL;
	struct scaffold sc;
	size_t n, n_seen = 0;
	int r = 0;

	if (!m)
		return -1;
	if (diff < 0) {
		bfs_meta_free(m);
		return berth_error_set(err, errno, "the writable layer");
	}
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open_fd(a, outfd) != ARCHIVE_OK) {
		bfs_meta_free(m);
		return unpack_archive_error(a, "writing the layer", err);
	}
	_cleanup_free_ struct bfs_entry **v = bfs_meta_sorted(m, &n);
	scaffold_load(cfd, &sc);
	_cleanup_free_ bool *keep = scaffold_filter(&sc, v, n, lower, diff);
	scaffold_free(&sc);
	for (size_t i = 0; i < n && r == 0; i++)
		if (keep[i])
			r = write_entry(a, diff, v[i], &seen, &n_seen, err);
	if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
		r = unpack_archive_error(a, "writing the layer (its end)", err);
	for (size_t i = 0; i < n_seen; i++)
		free(seen[i].path);
	free(seen);
	bfs_meta_free(m);
	return r;
}

static struct json_object *read_blob_json(struct store *s, const char *digest,
					  struct berth_error *err)
{
	_cleanup_close_ int fd = store_blob_open(s, digest, err);
	_cleanup_free_ char *buf = NULL;
	struct json_object *o;
	size_t len;

	if (fd < 0 || read_fd_all(fd, OCI_MAX_CONFIG, &buf, &len, err) < 0 ||
	    json_parse_bounded(buf, len, digest, &o, err) < 0)
		return NULL;
	return o;
}

/* Write data as a blob of the layout; its digest into out. */
static int put_blob(int blobs, const char *data, size_t len, char *out, struct berth_error *err)
{
	sha256_bytes(data, len, out);
	return write_file_atomic(blobs, digest_hex(out), data, len, 0644, err);
}

/* The new layer from the writable layer up (ufd: the container's
 * directory), written into blobs and named by its digest. */
static int stage_layer(struct store *s, const char *image_id, int ufd, int up, int blobs,
		       char *digest, uint64_t *size, struct berth_error *err)
{
	struct bfs_stack lower;
	/* hashed as written */
	_cleanup_close_ int lfd =
		openat(blobs, "layer.tmp", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (image_open_stack(s, image_id, &lower, err) < 0)
		return -1;
	int w = lfd < 0 ? -1 : write_layer(up, ufd, &lower, lfd, err);
	image_close_stack(&lower);
	if (w < 0 || lseek(lfd, 0, SEEK_SET) < 0 || sha256_fd(lfd, digest, size, err) < 0 ||
	    renameat(blobs, "layer.tmp", blobs, digest_hex(digest)) < 0) {
		if (!err->msg)
			berth_error_set(err, errno, "writing the layer");
		return -1;
	}
	return 0;
}

/* The image's layer blobs, linked into blobs. */
static int link_blobs(struct store *s, const struct image *img, int blobs, struct berth_error *err)
{
	for (size_t i = 0; i < img->n_layers; i++) {
		_cleanup_free_ char *src = xasprintf("blobs/sha256/%s", digest_hex(img->blobs[i]));
		if (linkat(s->rootfd, src, blobs, digest_hex(img->blobs[i]), 0) < 0 &&
		    errno != EEXIST)
			return berth_error_set(err, errno, "linking layer blob %.19s",
					       img->blobs[i]);
	}
	return 0;
}

/* The image's config with the new layer's diffID and a history entry. */
static int config_add_layer(struct json_object *cfg, const char *layer_digest, const char *message,
			    struct berth_error *err)
{
	char now[64];
	time_t t = time(NULL);
	struct tm tm;
	struct json_object *rootfs, *ids, *hist, *h;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!json_object_object_get_ex(cfg, "rootfs", &rootfs) ||
	    !json_object_object_get_ex(rootfs, "diff_ids", &ids))
		return berth_error_set(err, 0, "the image's config has no rootfs.diff_ids");
	json_object_array_add(ids, json_object_new_string(layer_digest));
	if (!json_object_object_get_ex(cfg, "history", &hist)) {
		hist = json_object_new_array();
		json_object_object_add(cfg, "history", hist);
	}
	h = json_object_new_object();
	json_object_object_add(h, "created", json_object_new_string(now));
	json_object_object_add(h, "created_by", json_object_new_string("berth commit"));
	if (message)
		json_object_object_add(h, "comment", json_object_new_string(message));
	json_object_array_add(hist, h);
	json_object_object_add(cfg, "created", json_object_new_string(now));
	return 0;
}

/* The image's manifest with the new config and the new layer. */
static int manifest_add_layer(struct json_object *man, const char *cfg_digest, size_t cfg_size,
			      const char *layer_digest, uint64_t layer_size,
			      struct berth_error *err)
{
	struct json_object *mc, *ml, *d;

	if (!json_object_object_get_ex(man, "config", &mc) ||
	    !json_object_object_get_ex(man, "layers", &ml))
		return berth_error_set(err, 0, "the image's manifest has no config or layers");
	json_object_object_add(mc, "digest", json_object_new_string(cfg_digest));
	json_object_object_add(mc, "size", json_object_new_int64((int64_t)cfg_size));
	json_object_object_add(mc, "mediaType",
			       json_object_new_string("application/vnd.oci.image.config.v1+json"));
	d = json_object_new_object();
	json_object_object_add(d, "mediaType",
			       json_object_new_string("application/vnd.oci.image.layer.v1.tar"));
	json_object_object_add(d, "digest", json_object_new_string(layer_digest));
	json_object_object_add(d, "size", json_object_new_int64((int64_t)layer_size));
	json_object_array_add(ml, d);
	json_object_object_add(
		man, "mediaType",
		json_object_new_string("application/vnd.oci.image.manifest.v1+json"));
	return 0;
}

/* index.json (naming ref, if any) and oci-layout of the staged layout,
 * then the ordinary load of it; the image's ID into id_out. */
static int load_layout(struct store *s, struct store_stage *st, const char *man_digest,
		       size_t man_size, const char *ref, char *id_out, struct berth_error *err)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	_cleanup_free_ char *index = xasprintf(
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
		"\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		"\"digest\":\"%s\",\"size\":%zu%s%s%s}]}",
		man_digest, man_size,
		ref ? ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"" : "",
		ref ? ref : "", ref ? "\"}" : "");
	_cleanup_free_ char *dir = xasprintf("%s/tmp/%s", s->root, st->name);
	struct load_opts lo = { .input = dir, .quiet = true };
	struct load_result res = { 0 };

	if (write_file_atomic(st->dirfd, "index.json", index, strlen(index), 0644, err) < 0 ||
	    write_file_atomic(st->dirfd, "oci-layout", layout, strlen(layout), 0644, err) < 0 ||
	    image_load(s, &lo, &res, err) < 0)
		return -1;
	if (res.n != 1) {
		load_result_clear(&res);
		return berth_error_set(err, 0, "the load made %zu images", res.n);
	}
	snprintf(id_out, DIGEST_STR_LEN + 1, "%s", res.ids[0]);
	load_result_clear(&res);
	return 0;
}

/* The staged OCI layout: the new layer, the image's blobs, the config
 * and manifest that add the layer; then loaded. */
static int commit_staged(struct store *s, struct store_stage *st, int ufd, int up,
			 const char *image_id, const char *ref, const char *message, char *id_out,
			 struct berth_error *err)
{
	char layer_digest[DIGEST_STR_LEN + 1], cfg_digest[DIGEST_STR_LEN + 1],
		man_digest[DIGEST_STR_LEN + 1];
	_cleanup_json_ struct json_object *cfg = NULL, *man = NULL;
	_cleanup_close_ int blobs = -1;
	struct image *img = NULL;
	uint64_t layer_size = 0;
	const char *cj, *mj;
	int r = -1;

	if (mkdir_p_at(st->dirfd, "blobs/sha256", 0755, err) < 0 ||
	    (blobs = openat(st->dirfd, "blobs/sha256", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    stage_layer(s, image_id, ufd, up, blobs, layer_digest, &layer_size, err) < 0)
		return -1;
	if (image_read(s, image_id, &img, err) < 0 || !(cfg = read_blob_json(s, image_id, err)) ||
	    !(man = read_blob_json(s, img->manifest, err)) || link_blobs(s, img, blobs, err) < 0 ||
	    config_add_layer(cfg, layer_digest, message, err) < 0)
		goto out;
	cj = json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PLAIN);
	if (put_blob(blobs, cj, strlen(cj), cfg_digest, err) < 0 ||
	    manifest_add_layer(man, cfg_digest, strlen(cj), layer_digest, layer_size, err) < 0)
		goto out;
	mj = json_object_to_json_string_ext(man, JSON_C_TO_STRING_PLAIN);
	if (put_blob(blobs, mj, strlen(mj), man_digest, err) < 0 ||
	    load_layout(s, st, man_digest, strlen(mj), ref, id_out, err) < 0)
		goto out;
	r = 0;
out:
	if (img)
		image_free(img);
	return r;
}

int container_commit(struct store *s, const char *container_dir, const char *image_id,
		     const char *ref, const char *message, char *id_out, struct berth_error *err)
{
	struct store_stage *st = NULL;
	_cleanup_close_ int ufd = open(container_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int up =
		ufd < 0 ? -1 : openat(ufd, "upper", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (up < 0)
		return berth_error_set(err, errno, "the container has no writable layer yet");
	if (store_stage_new(s, &st, err) < 0)
		return -1;
	r = commit_staged(s, st, ufd, up, image_id, ref, message, id_out, err);
	store_stage_free(st);
	return r < 0 ? store_name_if_full(s, err) : 0;
}
