// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * attack-layers: looks at a hostile image's tree from inside its
 * container, and tries to plant whiteout names in it. Subcommands:
 *   attack-layers walk DIR   every entry below DIR, as a container's find
 *                            would meet it, but holding no descriptor per
 *                            level (each directory is listed whole, closed,
 *                            then its subdirectories opened by full path),
 *                            so a deep tree is walked to its bottom. Prints
 *                            "entries N depth D", a "WH PATH" line for each
 *                            name beginning ".wh." and an "ERR PATH: ..."
 *                            line for each entry that could not be listed
 *                            or lstat'ed; exits 1 if there was either.
 *   attack-layers plant DIR  tries every call that makes a name (open
 *                            O_CREAT, mkdir, mknod of a fifo, symlink,
 *                            link, rename) with whiteout names in DIR, and
 *                            looks each up afterwards; prints "op NAME:
 *                            ERRNO" per attempt and "PLANTED op NAME" for
 *                            any that worked; exits 1 if one did.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct stack {
	char **v;
	size_t n, cap;
};

static void push(struct stack *s, char *p)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			abort();
	}
	s->v[s->n++] = p;
}

static char *join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = malloc(a + b + 2);

	if (!p)
		abort();
	while (a > 0 && dir[a - 1] == '/')
		a--; /* "/" + "x" is "/x" */
	memcpy(p, dir, a);
	p[a] = '/';
	memcpy(p + a + 1, name, b + 1);
	return p;
}

static size_t depth_of(const char *p)
{
	size_t d = 0;
	for (; *p; p++)
		d += *p == '/';
	return d;
}

static int walk(const char *top)
{
	struct stack s = { 0 };
	size_t entries = 0, maxdepth = 0, base = strcmp(top, "/") ? depth_of(top) : 0;
	struct stat tst;
	int bad = 0;

	if (lstat(top, &tst) < 0) {
		printf("ERR %s: %s\n", top, strerror(errno));
		return 1;
	}

	push(&s, strdup(top));
	while (s.n > 0) {
		char *dir = s.v[--s.n];
		DIR *d = opendir(dir);
		struct stack kids = { 0 };
		struct dirent *de;

		if (!d) {
			printf("ERR %s: %s\n", dir, strerror(errno));
			bad = 1;
			free(dir);
			continue;
		}
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			push(&kids, join(dir, de->d_name));
		}
		closedir(d);
		for (size_t i = 0; i < kids.n; i++) {
			char *p = kids.v[i];
			const char *name = strrchr(p, '/') + 1;
			struct stat st;

			entries++;
			if (depth_of(p) - base > maxdepth)
				maxdepth = depth_of(p) - base;
			if (!strncmp(name, ".wh.", 4)) {
				printf("WH %s\n", p);
				bad = 1;
			}
			if (lstat(p, &st) < 0) {
				printf("ERR %s: %s\n", p, strerror(errno));
				bad = 1;
				free(p);
			} else if (S_ISDIR(st.st_mode) && st.st_dev == tst.st_dev) {
				push(&s, p); /* not into other mounts: /proc, /sys, /dev */
			} else {
				free(p);
			}
		}
		free(kids.v);
		free(dir);
	}
	free(s.v);
	printf("entries %zu depth %zu\n", entries, maxdepth);
	return bad;
}

/* r and e: the call's result and errno; then the name is looked up */
static int report(const char *op, const char *name, int r, int e, const char *dir)
{
	struct stat st;
	char *p = join(dir, name);
	int found = lstat(p, &st) == 0;

	if (r == 0)
		printf("PLANTED %s %s\n", op, name);
	else
		printf("%s %s: %s\n", op, name, strerror(e));
	if (r != 0 && found)
		printf("PLANTED %s %s (found afterwards)\n", op, name);
	free(p);
	return r == 0 || found;
}

#define TRY(op, name, call)                                                                        \
	do {                                                                                       \
		int r_ = (call), e_ = errno;                                                       \
		bad |= report(op, name, r_ < 0 ? -1 : 0, e_, dir);                                 \
		if (r_ >= 0 && !strcmp(op, "open"))                                                \
			close(r_);                                                                 \
	} while (0)

static int plant(const char *dir)
{
	static const char *const names[] = { ".wh.victim", ".wh..wh..opq", ".wh..wh.plnk", ".wh." };
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), bad = 0, fd;

	if (dfd < 0) {
		printf("ERR %s: %s\n", dir, strerror(errno));
		return 1;
	}
	/* a file to link and rename, under an ordinary name */
	fd = openat(dfd, "plain", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *n = names[i];

		TRY("open", n, openat(dfd, n, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644));
		TRY("mkdir", n, mkdirat(dfd, n, 0755));
		TRY("mknod", n, mknodat(dfd, n, S_IFIFO | 0644, 0));
		TRY("symlink", n, symlinkat("plain", dfd, n));
		TRY("link", n, linkat(dfd, "plain", dfd, n, 0));
		TRY("rename", n, renameat(dfd, "plain", dfd, n));
	}
	close(dfd);
	return bad;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "walk"))
		return walk(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "plant"))
		return plant(argv[2]);
	fprintf(stderr, "usage: attack-layers walk DIR | plant DIR\n");
	return 2;
}
