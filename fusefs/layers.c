// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * layers.c: merged lookups over a layer stack and in-root path resolution.
 * Pure metadata walks except for reading symlink targets, which come from
 * the host tree through open_beneath(), so no host symlink is followed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../runner/syscalls.h"
#include "../runner/util.h"
#include "layers.h"

/* Linux's own limit on symlinks followed in one resolution. */
#define MAX_SYMLINKS 40

static const struct bfs_entry default_root = {
	.path = (char *)"/",
	.type = BFS_DIR,
	.mode = 0755,
};

char *bfs_path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

const char *bfs_path_basename(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

char *bfs_path_join(const char *dir, const char *name)
{
	if (strcmp(dir, "/") == 0)
		return xasprintf("/%s", name);
	return xasprintf("%s/%s", dir, name);
}

/* The merged lookup; when contrib is given it receives the layers whose
 * directory at path takes part in the merge (top first). */
static const struct bfs_entry *lookup(const struct bfs_stack *s, const char *path, size_t *layer,
				      size_t *contrib_out, size_t *n_out)
{
	_cleanup_free_ size_t *contrib = xmalloc((s->n + 1) * sizeof(size_t));
	_cleanup_free_ char *prefix = xmalloc(strlen(path) + 1);
	const struct bfs_entry *found = NULL;
	size_t n_contrib = 0, found_layer = SIZE_MAX;
	const char *p = path;

	/* The root: the topmost layer that records it, else the default. */
	for (size_t l = 0; l < s->n; l++) {
		contrib[n_contrib++] = l;
		if (!found) {
			const struct bfs_entry *e = bfs_meta_get(s->layers[l].meta, "/");
			if (e && e->type == BFS_DIR) {
				found = e;
				found_layer = l;
			}
		}
	}
	if (!found)
		found = &default_root;

	while (*p == '/')
		p++;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t n_new = 0;

		if (!end)
			end = p + strlen(p);
		memcpy(prefix, path, (size_t)(end - path));
		prefix[end - path] = '\0';
		if (found->type != BFS_DIR)
			return NULL;
		found = NULL;
		for (size_t i = 0; i < n_contrib; i++) {
			size_t l = contrib[i];
			const struct bfs_entry *e = bfs_meta_get(s->layers[l].meta, prefix);
			if (!e)
				continue;
			if (e->type == BFS_WHITEOUT)
				break;
			if (!found) {
				found = e;
				found_layer = l;
			}
			if (e->type != BFS_DIR || found->type != BFS_DIR)
				break;
			contrib[n_new++] = l;
			if (e->opaque)
				break;
		}
		if (!found)
			return NULL;
		n_contrib = n_new;
		p = end;
		while (*p == '/')
			p++;
	}
	if (layer)
		*layer = found_layer;
	if (contrib_out) {
		memcpy(contrib_out, contrib, n_contrib * sizeof(size_t));
		*n_out = found->type == BFS_DIR ? n_contrib : 0;
	}
	return found;
}

const struct bfs_entry *bfs_stack_lookup(const struct bfs_stack *s, const char *path, size_t *layer)
{
	return lookup(s, path, layer, NULL, NULL);
}

const struct bfs_entry *bfs_stack_lookup_dir(const struct bfs_stack *s, const char *path,
					     size_t *layer, size_t *contrib, size_t *n)
{
	return lookup(s, path, layer, contrib, n);
}

int bfs_layer_open(const struct bfs_layer *l, const char *path, int flags)
{
	while (*path == '/')
		path++;
	return open_beneath(l->dirfd, path, flags ? flags : O_PATH | O_NOFOLLOW, 0);
}

int bfs_layer_readlink(const struct bfs_layer *l, const char *path, char **target)
{
	_cleanup_free_ char *dir = bfs_path_dirname(path);
	_cleanup_close_ int dfd = bfs_layer_open(l, dir, O_PATH | O_DIRECTORY);
	char buf[PATH_MAX + 1];
	ssize_t n;

	if (dfd < 0)
		return -1;
	n = readlinkat(dfd, bfs_path_basename(path), buf, PATH_MAX);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	*target = xstrdup(buf);
	return 0;
}

/* Append component c to the canonical path in cur (".." pops). */
static void step(char **cur, const char *c, size_t len)
{
	if (len == 2 && c[0] == '.' && c[1] == '.') {
		char *d = bfs_path_dirname(*cur);
		free(*cur);
		*cur = d;
		return;
	}
	_cleanup_free_ char *name = xstrndup(c, len);
	char *j = bfs_path_join(*cur, name);
	free(*cur);
	*cur = j;
}

int bfs_stack_resolve(const struct bfs_stack *s, const char *path, int flags, char **out,
		      bool *missing, struct berth_error *err)
{
	_cleanup_free_ char *cur = xstrdup("/");
	_cleanup_free_ char *rest = xstrdup(path);
	int links = 0;
	bool gone = false;
	size_t pos = 0;

	for (;;) {
		const char *p = rest + pos, *end;
		size_t len, layer;
		const struct bfs_entry *e;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchr(p, '/');
		len = end ? (size_t)(end - p) : strlen(p);
		pos = (size_t)(p - rest) + len;
		if ((len == 1 && p[0] == '.'))
			continue;
		step(&cur, p, len);
		if (gone || (len == 2 && p[0] == '.' && p[1] == '.'))
			continue;
		e = bfs_stack_lookup(s, cur, &layer);
		if (!e) {
			gone = true;
			continue;
		}
		bool last = rest[pos + strspn(rest + pos, "/")] == '\0';
		if (e->type == BFS_LNK && (!last || (flags & BFS_FOLLOW_LAST))) {
			_cleanup_free_ char *target = NULL;
			if (++links > MAX_SYMLINKS)
				return berth_error_set(err, ELOOP, "resolving %s", path);
			if (bfs_layer_readlink(&s->layers[layer], cur, &target) < 0)
				return berth_error_set(err, errno, "reading symlink %s", cur);
			char *nrest = xasprintf("%s/%s", target, rest + pos);
			free(rest);
			rest = nrest;
			pos = 0;
			char *d = target[0] == '/' ? xstrdup("/") : bfs_path_dirname(cur);
			free(cur);
			cur = d;
			continue;
		}
		if (e->type != BFS_DIR && !last)
			return berth_error_set(err, ENOTDIR, "resolving %s: %s is not a directory",
					       path, cur);
	}
	*out = steal_pointer(&cur);
	if (missing)
		*missing = gone;
	return 0;
}

void bfs_layer_release(struct bfs_layer *l)
{
	if (l->dirfd >= 0)
		close(l->dirfd);
	l->dirfd = -1;
	bfs_meta_free(l->meta);
	l->meta = NULL;
	free(l->name);
	l->name = NULL;
}

int bfs_layer_load(int dirfd, const char *path, const char *name, struct bfs_layer *out,
		   struct berth_error *err)
{
	_cleanup_close_ int dfd =
		openat(dirfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

	memset(out, 0, sizeof(*out));
	out->dirfd = -1;
	if (dfd < 0)
		return berth_error_set(err, errno, "layer %s", name);
	if (bfs_meta_read(dfd, "meta", &out->meta, err) < 0)
		return berth_error_wrap(err, "layer %s", name);
	out->dirfd = openat(dfd, "diff", O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (out->dirfd < 0) {
		bfs_meta_free(out->meta);
		out->meta = NULL;
		return berth_error_set(err, errno, "layer %s: diff", name);
	}
	out->name = xstrdup(name);
	return 0;
}
