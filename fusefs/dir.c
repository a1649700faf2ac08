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

#include "../runner/util.h"
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

static bool dir_has(const struct bfs_dir *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i].name, name) == 0)
			return true;
	return false;
}

static int add_layer(struct bfs_fs *fs, size_t layer, const char *path, struct bfs_dir *d)
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
		_cleanup_free_ char *child = NULL;
		const struct bfs_entry *ce;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || dir_has(d, de->d_name))
			continue;
		child = bfs_path_join(path, de->d_name);
		ce = bfs_stack_lookup(&fs->stack, child, NULL);
		if (!ce)
			continue; /* whited out, or hidden by an opaque dir */
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
	struct bfs_dir *d;
	size_t nc = 0;

	e = bfs_stack_lookup_dir(&fs->stack, path, NULL, contrib, &nc);
	if (!e)
		return ENOENT;
	if (e->type != BFS_DIR)
		return ENOTDIR;
	d = xcalloc(1, sizeof(*d));
	for (size_t i = 0; i < nc; i++) {
		int r = add_layer(fs, contrib[i], path, d);
		if (r) {
			bfs_dir_free(d);
			return r;
		}
	}
	*out = d;
	return 0;
}
