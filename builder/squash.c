// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * squash.c: `build --squash`: an image's layers above its base written
 * as one layer, the difference between the base's merged tree (B) and
 * the whole image's (F), as podman's --squash makes it (the base's
 * layers are kept as they are). A walk of F from "/": an entry whose
 * visible version comes from a new layer is written (from that layer's
 * tree); a directory is walked whichever layer shows it (new files may
 * be below); a name B has in a directory and F no longer shows becomes a
 * whiteout; a directory that no base layer takes part in any more, where
 * B has one, gets an opaque marker (and no whiteouts below it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../image/image.h"
#include "../image/layertar.h"
#include "../image/tree.h"
#include "../lib/util.h"
#include "squash.h"

struct squash {
	struct bfs_stack f, b; /* b: f's base layers, a view into f's */
	size_t k;	       /* f's top k layers are the new ones */
	struct layer_tar *t;
	size_t entries;
};

static void names_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static bool has_name(char **v, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) { /* v is sorted */
		size_t mid = (lo + hi) / 2;
		int c = strcmp(v[mid], name);
		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Does a base layer take part in F's directory path? */
static bool base_contributes(struct squash *q, struct bfs_stack_dir *sd)
{
	_cleanup_free_ size_t *contrib = xcalloc(q->f.n + 1, sizeof(size_t));
	size_t n = bfs_stack_dir_layers(sd, contrib);

	for (size_t i = 0; i < n; i++)
		if (contrib[i] >= q->k)
			return true;
	return false;
}

static int walk(struct squash *q, const char *path, struct berth_error *err);

/* One name of F's directory: written when a new layer shows it, walked
 * when a directory. */
static int child(struct squash *q, struct bfs_stack_dir *sd, const char *path, const char *name,
		 struct berth_error *err)
{
	_cleanup_free_ char *p = bfs_path_join(path, name);
	size_t layer;
	const struct bfs_entry *e = bfs_stack_dir_lookup(sd, name, &layer);

	if (!e)
		return 0;
	if (layer < q->k) {
		/* the walk says where opaque markers go, not the entry */
		struct bfs_entry copy = *e;
		copy.opaque = false;
		if (layer_tar_entry(q->t, q->f.layers[layer].dirfd, &copy, err) < 0)
			return -1;
		q->entries++;
	}
	return e->type == BFS_DIR ? walk(q, p, err) : 0;
}

static int walk(struct squash *q, const char *path, struct berth_error *err)
{
	const struct bfs_entry *fe, *be = bfs_stack_lookup(&q->b, path, NULL);
	struct bfs_stack_dir *sd = bfs_stack_opendir(&q->f, path, &fe);
	char **fn = NULL, **bn = NULL;
	size_t nf = 0, nb = 0;
	bool base_dir = be && be->type == BFS_DIR, opaque;
	int r = 0;

	if (!sd)
		return berth_error_set(err, ENOENT, "%s in the image", path);
	opaque = base_dir && !base_contributes(q, sd);
	if (bfs_stack_list(&q->f, path, &fn, &nf, err) < 0 ||
	    (base_dir && !opaque && bfs_stack_list(&q->b, path, &bn, &nb, err) < 0)) {
		bfs_stack_closedir(sd);
		names_free(fn, nf);
		return -1;
	}
	if (opaque) {
		r = layer_tar_opaque(q->t, path, err);
		q->entries++;
	}
	for (size_t i = 0; i < nf && r == 0; i++)
		r = child(q, sd, path, fn[i], err);
	/* what the base has here and the image no longer shows */
	for (size_t i = 0; i < nb && r == 0; i++) {
		if (has_name(fn, nf, bn[i]))
			continue;
		_cleanup_free_ char *p = bfs_path_join(path, bn[i]);
		r = layer_tar_whiteout(q->t, p, err);
		q->entries++;
	}
	bfs_stack_closedir(sd);
	names_free(fn, nf);
	names_free(bn, nb);
	return r;
}

int squash_write(struct store *s, const char *id, size_t n_base, int64_t clamp, int fd,
		 size_t *n_entries, struct berth_error *err)
{
	struct squash q = { 0 };
	int r = -1;

	*n_entries = 0;
	if (image_open_stack(s, id, &q.f, err) < 0)
		return -1;
	if (n_base > q.f.n) {
		image_close_stack(&q.f);
		return berth_error_set(err, EINVAL, "the image has fewer layers than its base");
	}
	q.k = q.f.n - n_base;
	/* the base: the stack's bottom layers (the stack is top first) */
	q.b = (struct bfs_stack){ .n = n_base, .layers = q.f.layers + q.k };
	if (layer_tar_open(fd, clamp, &q.t, err) == 0 && walk(&q, "/", err) == 0 &&
	    layer_tar_finish(q.t, err) == 0) {
		*n_entries = q.entries;
		r = 0;
	}
	layer_tar_free(q.t);
	image_close_stack(&q.f);
	return r;
}
