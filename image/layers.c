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

#include "../lib/syscalls.h"
#include "../lib/util.h"
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

bool bfs_name_is_whiteout(const char *name, size_t len)
{
	return len >= 4 && memcmp(name, ".wh.", 4) == 0;
}

/* A walk down the merged tree, one level per component. Each level has
 * the visible entry and the layers whose directory takes part in it (top
 * first) with their table nodes, so the next step looks a name up in
 * those layers only, hashing and comparing that name alone: a lookup
 * costs the length of its path, not its depth times that. */
struct contrib {
	size_t layer;
	const struct bfs_meta_node *node; /* NULL: no entry in that layer (the root) */
};

struct level {
	size_t len; /* of the level's path */
	uint64_t hash;
	const struct bfs_entry *e; /* NULL: missing (a lexical level) */
	size_t layer;		   /* of e; SIZE_MAX for the default root */
	size_t off, n;		   /* contributors: w->cv[off .. off + n) */
};

struct walk {
	const struct bfs_stack *s;
	char *path; /* the deepest level's path */
	size_t path_cap;
	struct level *lv; /* lv[0] is the root */
	size_t depth, lv_cap;
	struct contrib *cv;
	size_t cv_len, cv_cap;
};

static void walk_add_contrib(struct walk *w, size_t layer, const struct bfs_meta_node *node)
{
	if (w->cv_len == w->cv_cap)
		w->cv = xrealloc(w->cv, (w->cv_cap = w->cv_cap * 2 + 8) * sizeof(*w->cv));
	w->cv[w->cv_len++] = (struct contrib){ layer, node };
}

/* The root: the topmost layer that records it, else the default; every
 * layer takes part, down to the first whose root is opaque. */
static void walk_init(struct walk *w, const struct bfs_stack *s)
{
	struct level *root;

	memset(w, 0, sizeof(*w));
	w->s = s;
	w->path = xmalloc(w->path_cap = 256);
	strcpy(w->path, "/");
	w->lv = xmalloc((w->lv_cap = 16) * sizeof(*w->lv));
	root = &w->lv[0];
	*root = (struct level){ .len = 1, .hash = bfs_hash_path("/"), .layer = SIZE_MAX };
	for (size_t l = 0; l < s->n; l++) {
		const struct bfs_meta_node *nd =
			bfs_meta_find(s->layers[l].meta, "/", 1, root->hash, NULL);
		const struct bfs_entry *e = nd ? bfs_meta_node_entry(nd) : NULL;

		walk_add_contrib(w, l, nd);
		root->n++;
		if (!e || e->type != BFS_DIR)
			continue;
		if (!root->e) {
			root->e = e;
			root->layer = l;
		}
		if (e->opaque)
			break;
	}
	if (!root->e)
		root->e = &default_root;
}

static void walk_free(struct walk *w)
{
	free(w->path);
	free(w->lv);
	free(w->cv);
}

/* Push the level of name below the deepest one; look it up unless
 * lexical. The new level's entry, or NULL. */
static const struct bfs_entry *walk_push(struct walk *w, const char *name, size_t nlen,
					 bool lexical)
{
	const struct level cur = w->lv[w->depth];
	bool at_root = cur.len == 1;
	struct level nl = { .off = w->cv_len, .layer = SIZE_MAX };

	nl.len = cur.len + !at_root + nlen;
	if (nl.len + 1 > w->path_cap)
		w->path = xrealloc(w->path, w->path_cap = (nl.len + 1) * 2);
	if (!at_root)
		w->path[cur.len] = '/';
	memcpy(w->path + cur.len + !at_root, name, nlen);
	w->path[nl.len] = '\0';
	nl.hash = bfs_hash_more(at_root ? cur.hash : bfs_hash_more(cur.hash, "/", 1), name, nlen);
	/* a whiteout's name is never a file of the merged tree (OCI image
	 * spec, "Whiteouts"), whatever a table holds */
	if (!lexical && cur.e && cur.e->type == BFS_DIR && !bfs_name_is_whiteout(name, nlen)) {
		for (size_t i = 0; i < cur.n; i++) {
			struct contrib c = w->cv[cur.off + i];
			const struct bfs_meta_node *nd = bfs_meta_find(
				w->s->layers[c.layer].meta, w->path, nl.len, nl.hash, c.node);
			const struct bfs_entry *e = nd ? bfs_meta_node_entry(nd) : NULL;

			if (!e)
				continue;
			if (e->type == BFS_WHITEOUT)
				break;
			if (!nl.e) {
				nl.e = e;
				nl.layer = c.layer;
			}
			if (e->type != BFS_DIR || nl.e->type != BFS_DIR)
				break;
			walk_add_contrib(w, c.layer, nd);
			nl.n++;
			if (e->opaque)
				break;
		}
	}
	if (w->depth + 1 == w->lv_cap)
		w->lv = xrealloc(w->lv, (w->lv_cap *= 2) * sizeof(*w->lv));
	w->lv[++w->depth] = nl;
	return nl.e;
}

static void walk_pop(struct walk *w)
{
	if (w->depth == 0)
		return; /* ".." of the root is the root */
	w->cv_len = w->lv[w->depth].off;
	w->depth--;
	w->path[w->lv[w->depth].len] = '\0';
}

/* Walk every component of a canonical path; the entry there or NULL. */
static const struct bfs_entry *walk_path(struct walk *w, const char *path)
{
	const char *p = path;

	while (*p) {
		const char *end;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		if (!walk_push(w, p, (size_t)(end - p), false))
			return NULL;
		p = end;
	}
	return w->lv[w->depth].e;
}

const struct bfs_entry *bfs_stack_lookup(const struct bfs_stack *s, const char *path, size_t *layer)
{
	struct walk w;
	const struct bfs_entry *e;

	walk_init(&w, s);
	e = walk_path(&w, path);
	if (e && layer)
		*layer = w.lv[w.depth].layer;
	walk_free(&w);
	return e;
}

const struct bfs_entry *bfs_stack_lookup_dir(const struct bfs_stack *s, const char *path,
					     size_t *layer, size_t *contrib, size_t *n)
{
	struct walk w;
	const struct bfs_entry *e;

	walk_init(&w, s);
	e = walk_path(&w, path);
	if (e) {
		const struct level *lv = &w.lv[w.depth];
		if (layer)
			*layer = lv->layer;
		*n = e->type == BFS_DIR ? lv->n : 0;
		for (size_t i = 0; i < *n; i++)
			contrib[i] = w.cv[lv->off + i].layer;
	}
	walk_free(&w);
	return e;
}

struct bfs_stack_dir {
	struct walk w;
};

struct bfs_stack_dir *bfs_stack_opendir(const struct bfs_stack *s, const char *path,
					const struct bfs_entry **e)
{
	struct bfs_stack_dir *d = xmalloc(sizeof(*d));

	walk_init(&d->w, s);
	*e = walk_path(&d->w, path);
	if (!*e) {
		bfs_stack_closedir(d);
		return NULL;
	}
	return d;
}

const struct bfs_entry *bfs_stack_dir_lookup(struct bfs_stack_dir *d, const char *name,
					     size_t *layer)
{
	const struct bfs_entry *e = walk_push(&d->w, name, strlen(name), false);

	if (e && layer)
		*layer = d->w.lv[d->w.depth].layer;
	walk_pop(&d->w);
	return e;
}

size_t bfs_stack_dir_layers(const struct bfs_stack_dir *d, size_t *contrib)
{
	const struct level *lv = &d->w.lv[d->w.depth];

	if (lv->e->type != BFS_DIR)
		return 0;
	for (size_t i = 0; i < lv->n; i++)
		contrib[i] = d->w.cv[lv->off + i].layer;
	return lv->n;
}

void bfs_stack_closedir(struct bfs_stack_dir *d)
{
	if (!d)
		return;
	walk_free(&d->w);
	free(d);
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

/* Follow the symlink at the walk's deepest level: its target replaces
 * it in what is left to resolve (*rest, from *pos). */
static int follow(struct walk *w, char **rest, size_t *pos, struct berth_error *err)
{
	const struct level *lv = &w->lv[w->depth];
	_cleanup_free_ char *target = NULL;
	char *nrest;

	if (bfs_layer_readlink(&w->s->layers[lv->layer], w->path, &target) < 0)
		return berth_error_set(err, errno, "reading symlink %s", w->path);
	nrest = xasprintf("%s/%s", target, *rest + *pos);
	free(*rest);
	*rest = nrest;
	*pos = 0;
	walk_pop(w);
	if (target[0] == '/')
		while (w->depth > 0)
			walk_pop(w);
	return 0;
}

int bfs_stack_resolve(const struct bfs_stack *s, const char *path, int flags, char **out,
		      bool *missing, struct berth_error *err)
{
	_cleanup_free_ char *rest = xstrdup(path);
	struct walk w;
	int links = 0, r = -1;
	bool gone = false;
	size_t pos = 0;

	walk_init(&w, s);
	for (;;) {
		const char *p = rest + pos;
		const struct bfs_entry *e;
		size_t len;
		bool last;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		len = (size_t)(strchrnul(p, '/') - p);
		pos = (size_t)(p - rest) + len;
		if (len == 1 && p[0] == '.')
			continue;
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			walk_pop(&w);
			continue;
		}
		/* past a missing component the rest is only appended */
		e = walk_push(&w, p, len, gone);
		if (!e) {
			gone = true;
			continue;
		}
		last = rest[pos + strspn(rest + pos, "/")] == '\0';
		if (e->type == BFS_LNK && (!last || (flags & BFS_FOLLOW_LAST))) {
			if (++links > MAX_SYMLINKS) {
				berth_error_set(err, ELOOP, "resolving %s", path);
				goto out;
			}
			if (follow(&w, &rest, &pos, err) < 0)
				goto out;
			continue;
		}
		if (e->type != BFS_DIR && !last) {
			berth_error_set(err, ENOTDIR, "resolving %s: %s is not a directory", path,
					w.path);
			goto out;
		}
	}
	*out = xstrdup(w.path);
	if (missing)
		*missing = gone;
	r = 0;
out:
	walk_free(&w);
	return r;
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

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in the merged directory path of s, sorted: each layer that
 * takes part listed, a name kept when the merged lookup finds it (a
 * whiteout or an opaque directory above hides it otherwise). */
int bfs_stack_list(const struct bfs_stack *s, const char *path, char ***out, size_t *n_out,
		   struct berth_error *err)
{
	_cleanup_free_ size_t *contrib = xmalloc((s->n + 1) * sizeof(size_t));
	const struct bfs_entry *e;
	struct bfs_stack_dir *sd = bfs_stack_opendir(s, path, &e);
	char **v = NULL;
	size_t n = 0, nc, k = 0;

	if (!sd)
		return berth_error_set(err, ENOENT, "%s", path);
	nc = bfs_stack_dir_layers(sd, contrib);
	for (size_t i = 0; i < nc; i++) {
		_cleanup_close_ int fd =
			bfs_layer_open(&s->layers[contrib[i]], path, O_RDONLY | O_DIRECTORY);
		char **names = NULL;
		size_t m = 0;

		if (fd < 0 && errno == ENOENT)
			continue; /* the layer's table has it, its tree nothing below it */
		if (fd < 0 || dir_names_sorted(fd, &names, &m) < 0) {
			if (!err->msg)
				berth_error_set(err, errno, "%s in layer %.19s", path,
						s->layers[contrib[i]].name);
			free_names(v, n);
			bfs_stack_closedir(sd);
			return -1;
		}
		for (size_t j = 0; j < m; j++) {
			if (!bfs_stack_dir_lookup(sd, names[j], NULL)) {
				free(names[j]);
				continue;
			}
			v = xrealloc(v, (n + 1) * sizeof(*v));
			v[n++] = names[j];
		}
		free(names);
	}
	bfs_stack_closedir(sd);
	if (n)
		qsort(v, n, sizeof(*v), name_cmp);
	for (size_t i = 0; i < n; i++) /* a name several layers have, once */
		if (k == 0 || strcmp(v[k - 1], v[i]) != 0)
			v[k++] = v[i];
		else
			free(v[i]);
	*out = v;
	*n_out = k;
	return 0;
}
