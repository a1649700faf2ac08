// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dir.c: merged directory listings, used by readdir, by rmdir's
 * emptiness check and by deep copy-up. Host directories never hold
 * whiteouts (they are metadata), so each host name is kept exactly when
 * the merged lookup of its path finds something.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "../lib/util.h"
#include "dir.h"

void bfs_dir_free(struct bfs_dir *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].name);
	free(d->v);
	free(d);
}

/* The names listed so far, by hash: a directory of n names is listed in
 * time proportional to n, not n * n. */
struct seen {
	size_t *slot; /* index + 1 into the listing, 0 when free */
	size_t cap;
};

static bool seen_add(struct seen *t, struct bfs_dir *d, const char *name)
{
	size_t i;

	if ((d->n + 1) * 2 > t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 64;
		size_t *ns = xcalloc(ncap, sizeof(*ns));
		for (size_t k = 0; k < t->cap; k++)
			if (t->slot[k]) {
				for (i = bfs_hash_path(d->v[t->slot[k] - 1].name) & (ncap - 1);
				     ns[i]; i = (i + 1) & (ncap - 1))
					;
				ns[i] = t->slot[k];
			}
		free(t->slot);
		t->slot = ns;
		t->cap = ncap;
	}
	for (i = bfs_hash_path(name) & (t->cap - 1); t->slot[i]; i = (i + 1) & (t->cap - 1))
		if (strcmp(d->v[t->slot[i] - 1].name, name) == 0)
			return false;
	t->slot[i] = d->n + 1; /* the caller appends name at d->n */
	return true;
}

static int add_layer(struct bfs_fs *fs, struct bfs_stack_dir *sd, size_t layer, const char *path,
		     struct bfs_dir *d, struct seen *seen)
{
	int fd = bfs_layer_open(&fs->stack.layers[layer], path, O_RDONLY | O_DIRECTORY);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!dir) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return e;
	}
	while ((de = readdir(dir))) {
		const struct bfs_entry *ce;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		ce = bfs_stack_dir_lookup(sd, de->d_name, NULL);
		if (!ce)
			continue; /* whited out, or hidden by an opaque dir */
		if (!seen_add(seen, d, de->d_name))
			continue; /* a lower layer's name the listing has */
		d->v = xrealloc(d->v, (d->n + 1) * sizeof(*d->v));
		d->v[d->n].name = xstrdup(de->d_name);
		d->v[d->n].type = ce->type;
		d->n++;
	}
	closedir(dir);
	return 0;
}

int bfs_dir_list(struct bfs_fs *fs, const char *path, struct bfs_dir **out)
{
	_cleanup_free_ size_t *contrib = xmalloc((fs->stack.n + 1) * sizeof(size_t));
	const struct bfs_entry *e;
	struct bfs_stack_dir *sd = bfs_stack_opendir(&fs->stack, path, &e);
	struct seen seen = { 0 };
	struct bfs_dir *d;
	size_t nc;
	int r = 0;

	if (!sd)
		return ENOENT;
	if (e->type != BFS_DIR) {
		bfs_stack_closedir(sd);
		return ENOTDIR;
	}
	nc = bfs_stack_dir_layers(sd, contrib);
	d = xcalloc(1, sizeof(*d));
	for (size_t i = 0; i < nc && r == 0; i++)
		r = add_layer(fs, sd, contrib[i], path, d, &seen);
	free(seen.slot);
	bfs_stack_closedir(sd);
	if (r) {
		bfs_dir_free(d);
		return r;
	}
	*out = d;
	return 0;
}
