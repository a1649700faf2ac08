// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * scaffold.c: berth's own objects in a container's writable layer. To
 * mount /proc, /dev, /sys, the generated /etc/hosts, /etc/hostname and
 * /etc/resolv.conf, secrets, volumes, tmpfs and bind mounts, the
 * container's pid 1 makes the mount points the image lacks in the layer
 * (rootfs.c ensure_in_root), and notes each in the container's
 * "mountpoints" file. commit and diff read the notes here and leave those
 * objects out while they are still what berth made: an empty file, a
 * directory with nothing kept below it. A container that really wrote
 * one (`cp` into a stopped container's /etc/hosts) keeps it, as it keeps
 * anything it wrote below one of berth's directories. Directories of the
 * image copied up only to make a mount point in them, attributes
 * unchanged and nothing kept below, are left out too. Not concerned with
 * making the objects (rootfs.c) or writing the layer (commit.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scaffold.h"
#include "../lib/syscalls.h"
#include "../lib/util.h"

/* What containers made before the notes existed: always berth's when
 * they are still as made. */
static const char *const fixed[] = {
	"/dev", "/etc", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/proc", "/sys",
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void scaffold_load(int cfd, struct scaffold *sc)
{
	_cleanup_free_ char *buf = NULL;
	struct berth_error e = { 0 };
	size_t len = 0;

	sc->paths = xcalloc(ARRAY_SIZE(fixed), sizeof(char *));
	sc->n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		sc->paths[sc->n++] = xstrdup(fixed[i]);
	if (read_file_at(cfd, "mountpoints", 1 << 20, &buf, &len, &e) < 0) {
		berth_error_clear(&e);
	} else {
		for (size_t off = 0; off < len; off += strlen(buf + off) + 1) {
			if (buf[off] != '/')
				continue;
			sc->paths = xrealloc(sc->paths, (sc->n + 1) * sizeof(char *));
			sc->paths[sc->n++] = xstrdup(buf + off);
		}
	}
	qsort(sc->paths, sc->n, sizeof(char *), cmp_str);
}

void scaffold_free(struct scaffold *sc)
{
	for (size_t i = 0; i < sc->n; i++)
		free(sc->paths[i]);
	free(sc->paths);
	sc->paths = NULL;
	sc->n = 0;
}

static bool noted(const struct scaffold *sc, const char *path)
{
	return bsearch(&path, sc->paths, sc->n, sizeof(char *), cmp_str) != NULL;
}

/* The entries are sorted by strcmp: find one by path. */
static long find(struct bfs_entry **v, size_t n, const char *path)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v[mid]->path, path);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static bool same_xattrs(const struct bfs_entry *a, const struct bfs_entry *b)
{
	if (a->n_xattrs != b->n_xattrs)
		return false;
	for (size_t i = 0; i < a->n_xattrs; i++)
		if (strcmp(a->xattrs[i].name, b->xattrs[i].name) ||
		    a->xattrs[i].len != b->xattrs[i].len ||
		    memcmp(a->xattrs[i].value, b->xattrs[i].value, a->xattrs[i].len))
			return false;
	return true;
}

/* An empty file with one name: the host object tells (a record has no
 * size). Opened beneath diff/ without following anything. */
static bool empty_file(int diff, const char *path)
{
	_cleanup_close_ int fd = open_beneath(diff, path + 1, O_PATH | O_NOFOLLOW, 0);
	struct stat st;

	return fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 &&
	       st.st_nlink == 1;
}

/* Left out unless something kept is below it. */
static bool candidate(const struct scaffold *sc, const struct bfs_entry *e,
		      const struct bfs_stack *lower, int diff)
{
	const struct bfs_entry *l = bfs_stack_lookup(lower, e->path, NULL);

	if (!l && noted(sc, e->path))
		return e->type == BFS_DIR ||
		       (e->type == BFS_REG && e->n_xattrs == 0 && empty_file(diff, e->path));
	/* the image's directory, copied up as it was */
	return l && e->type == BFS_DIR && l->type == BFS_DIR && !e->opaque && e->mode == l->mode &&
	       e->uid == l->uid && e->gid == l->gid && same_xattrs(e, l);
}

bool *scaffold_filter(const struct scaffold *sc, struct bfs_entry **v, size_t n,
		      const struct bfs_stack *lower, int diff)
{
	bool *keep = xcalloc(n + 1, sizeof(bool));
	_cleanup_free_ bool *own = xcalloc(n + 1, sizeof(bool));

	for (size_t i = 0; i < n; i++)
		own[i] = keep[i] =
			strcmp(v[i]->path, "/") != 0 && !candidate(sc, v[i], lower, diff);
	/* what is kept keeps its parents: up from each, until one is kept
	 * already (its own parents are, or will be, seen to) */
	for (size_t i = 0; i < n; i++) {
		if (!own[i])
			continue;
		_cleanup_free_ char *p = xstrdup(v[i]->path);
		for (char *slash = strrchr(p, '/'); slash && slash != p; slash = strrchr(p, '/')) {
			*slash = '\0';
			long j = find(v, n, p);
			if (j < 0)
				continue;
			if (keep[j])
				break;
			keep[j] = true;
		}
	}
	return keep;
}
