/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * util.h: the small helpers every berth module uses: scope-bound cleanup
 * attributes, ownership transfer, aborting allocators and a few fd-based
 * file helpers. Nothing here knows about images or containers.
 */
#ifndef BERTH_UTIL_H
#define BERTH_UTIL_H

#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "error.h"
#include "xalloc.h"

#define _unused_ __attribute__((unused))
#define _noreturn_ __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p)
{
	free(*(void **)p);
}
static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
static inline void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)

/* Library types get a cleanup function through this macro: NAME##p frees
 * *p with FREE when it is not NULL. */
#define DEFINE_CLEANUP_FUNC(type, func)                                                            \
	static inline void func##p(type *p)                                                        \
	{                                                                                          \
		if (*p)                                                                            \
			func(*p);                                                                  \
	}

static inline void *steal_ptr_(void **p)
{
	void *r = *p;
	*p = NULL;
	return r;
}
#define steal_pointer(pp) ((__typeof__(*(pp)))steal_ptr_((void **)(pp)))

static inline int steal_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}

_noreturn_ void die(const char *fmt, ...) _printf_(1, 2);

bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);
/* Free a NULL-terminated vector of strings and its strings (NULL: none). */
void strv_free(char **v);
/* s is one of the strings of the NULL-terminated vector v (NULL: none). */
bool strv_has(char *const *v, const char *s);
/* Append a copy of s to the NULL-terminated vector *v of *n strings. */
void strv_push(char ***v, size_t *n, const char *s);

/* Read a whole regular file (at most max bytes) relative to dirfd,
 * without following a final symlink; anything else (a FIFO, a device) is
 * refused without blocking. The result is NUL-terminated. */
int read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *len,
		 struct berth_error *err);
/* Read a whole stream of at most max bytes. */
int read_fd_all(int fd, size_t max, char **out, size_t *len, struct berth_error *err);
/* Write data to dirfd/path atomically: a temporary name, fsync, rename. */
int write_file_atomic(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
		      struct berth_error *err);
/* Is name a write_file_atomic temporary ("NAME.tmp-PID") whose writer is
 * gone (killed halfway): safe to remove? */
bool write_is_stale_tmp(const char *name);
/* The same without fsync: readers never see a partial file, but a crash
 * may lose the change (container records, which a crash ends anyway). */
int write_file_replace_nosync(int dirfd, const char *path, const void *data, size_t len,
			      mode_t mode, struct berth_error *err);
int write_all(int fd, const void *buf, size_t len);
/* name below dirfd as a full path (for messages: readlink of the fd). */
char *path_at(int dirfd, const char *name);
/* mkdir -p below dirfd, mode for created directories. */
int mkdir_p_at(int dirfd, const char *path, mode_t mode, struct berth_error *err);
/* The directory dirfd, read on a descriptor of its own (dirfd stays the
 * caller's); NULL with errno when it cannot be. */
DIR *opendir_fd(int dirfd);
/* The names in directory dfd but "." and "..", sorted by bytes (what is
 * written from a listing must not depend on the file system's order):
 * *n of them in *out (free each, then *out); -1 with errno. */
int dir_names_sorted(int dfd, char ***out, size_t *n);
/* rm -rf below dirfd (rmtree.c); never follows symlinks, makes
 * directories writable as needed so a user can always remove what berth
 * wrote, and holds a bounded number of descriptors whatever the depth. */
int rm_rf_at(int dirfd, const char *name, struct berth_error *err);

/* Format a byte count like docker does (1.23MB). */
void human_size(uint64_t n, char *buf, size_t len);
/* A signal by name (TERM, SIGTERM) or number; -1 if none. */
int signal_from_name(const char *s);

#endif
