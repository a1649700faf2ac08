// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * commit.c: a container's writable layer as an uncompressed OCI layer tar
 * (image/layertar.c writes the entries), from
 * berth-fs's own record of what changed (meta and meta.log), never a walk
 * of the tree; and commit, that layer on the image as a new image
 * (image/assemble.c, load's install with all its checks). The image's
 * configuration is kept as it is, with a history entry added.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commit.h"
#include "../image/assemble.h"
#include "../image/image.h"
#include "../image/layertar.h"
#include "scaffold.h"
#include "../lib/syscalls.h"
#include "../image/tree.h"
#include "../image/unpack.h"
#include "../lib/util.h"

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

/* The entries of the table that go into the layer: berth's own mount
 * points (scaffold.c) left out. *v and *keep the caller's to free. */
static void layer_entries(int cfd, int diff, struct bfs_meta *m, const struct bfs_stack *lower,
			  struct bfs_entry ***v, bool **keep, size_t *n)
{
	struct scaffold sc;

	*v = bfs_meta_sorted(m, n);
	scaffold_load(cfd, &sc);
	*keep = scaffold_filter(&sc, *v, *n, lower, diff);
	scaffold_free(&sc);
}

/* ufd: the writable layer; cfd: the container's directory (berth's
 * notes on the mount points it made, left out: scaffold.c); lower: the
 * image's layers. */
static int write_layer(int ufd, int cfd, const struct bfs_stack *lower, int64_t clamp, int outfd,
		       size_t *n_entries, struct berth_error *err)
{
	_cleanup_close_ int diff =
		openat(ufd, "diff", O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	struct bfs_meta *m = upper_table(ufd, err);
	_cleanup_free_ struct bfs_entry **v = NULL;
	_cleanup_free_ bool *keep = NULL;
	struct layer_tar *t = NULL;
	size_t n;
	int r = 0;

	*n_entries = 0;
	if (!m)
		return -1;
	if (diff < 0) {
		bfs_meta_free(m);
		return berth_error_set(err, errno, "the writable layer");
	}
	if (layer_tar_open(outfd, clamp, &t, err) < 0) {
		bfs_meta_free(m);
		return -1;
	}
	layer_entries(cfd, diff, m, lower, &v, &keep, &n);
	for (size_t i = 0; i < n && r == 0; i++) {
		if (!keep[i])
			continue;
		r = layer_tar_entry(t, diff, v[i], err);
		++*n_entries;
	}
	if (r == 0)
		r = layer_tar_finish(t, err);
	layer_tar_free(t);
	bfs_meta_free(m);
	return r;
}

int container_layer_write(struct store *s, const char *container_dir, const char *image_id,
			  int64_t mtime_clamp, int fd, size_t *n_entries, struct berth_error *err)
{
	_cleanup_close_ int cfd = open(container_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int up =
		cfd < 0 ? -1 : openat(cfd, "upper", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct bfs_stack lower;
	int r;

	*n_entries = 0;
	if (up < 0)
		return berth_error_set(err, errno, "the container has no writable layer yet");
	if (image_open_stack(s, image_id, &lower, err) < 0)
		return -1;
	r = write_layer(up, cfd, &lower, mtime_clamp, fd, n_entries, err);
	image_close_stack(&lower);
	return r;
}

/* The image's config with a history entry for the new layer. */
static struct json_object *commit_config(struct store *s, const char *image_id, const char *message,
					 struct berth_error *err)
{
	struct json_object *cfg = image_config(s, image_id, err), *hist, *h;
	char now[64];
	time_t t = time(NULL);
	struct tm tm;

	if (!cfg)
		return NULL;
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!json_object_object_get_ex(cfg, "history", &hist) ||
	    !json_object_is_type(hist, json_type_array)) {
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
	return cfg;
}

int container_commit(struct store *s, const char *container_dir, const char *image_id,
		     const char *ref, const char *message, char *id_out, struct berth_error *err)
{
	_cleanup_json_ struct json_object *cfg = NULL;
	char *refs[] = { (char *)ref, NULL };
	struct store_stage *st = NULL;
	_cleanup_close_ int lfd = -1;
	size_t n;
	int r = -1;

	/* the layer is written in a stage of the store, from where the
	 * assembly links it in as its blob (no copy) */
	if (store_stage_new(s, &st, err) < 0)
		return store_name_if_full(s, err);
	lfd = openat(st->dirfd, "layer.tar", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (lfd < 0) {
		berth_error_set(err, errno, "writing the layer");
		goto out;
	}
	/* an unchanged container still makes a layer, empty, as ever */
	if (container_layer_write(s, container_dir, image_id, -1, lfd, &n, err) < 0 ||
	    !(cfg = commit_config(s, image_id, message, err)))
		goto out;
	struct assemble a = {
		.base_id = image_id, .layer_fd = lfd, .config = cfg, .refs = ref ? refs : NULL
	};
	r = image_assemble(s, &a, id_out, err);
out:
	store_stage_free(st);
	return r < 0 ? store_name_if_full(s, err) : 0;
}
