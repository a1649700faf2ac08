// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * util.c: allocation, string and fd-based file helpers shared by every
 * berth module. Policy-free: callers decide what a path means.
 */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

void die(const char *fmt, ...)
{
	va_list ap;

	fputs("berth: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(125);
}

bool str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

bool strv_has(char *const *v, const char *s)
{
	for (; v && *v; v++)
		if (strcmp(*v, s) == 0)
			return true;
	return false;
}

void strv_push(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 2) * sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
	(*v)[*n] = NULL;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int read_fd_all(int fd, size_t max, char **out, size_t *len, struct berth_error *err)
{
	size_t cap = 4096, n = 0;
	_cleanup_free_ char *buf = xmalloc(cap + 1);

	for (;;) {
		ssize_t r;
		if (n == cap) {
			if (cap >= max + 1)
				return berth_error_set(err, EFBIG, "larger than %zu bytes", max);
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			buf = xrealloc(buf, cap + 1);
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return berth_error_set(err, errno, "read");
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max)
			return berth_error_set(err, EFBIG, "larger than %zu bytes", max);
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	*out = steal_pointer(&buf);
	return 0;
}

int read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *len,
		 struct berth_error *err)
{
	/* O_NONBLOCK: a FIFO put in place of a record must not hang the
	 * reader (it is refused below) */
	_cleanup_close_ int fd =
		openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;

	if (fd < 0)
		return berth_error_set(err, errno, "open %s", path);
	if (fstat(fd, &st) < 0)
		return berth_error_set(err, errno, "stat %s", path);
	if (!S_ISREG(st.st_mode))
		return berth_error_set(err, EINVAL, "%s: not a regular file", path);
	if (read_fd_all(fd, max, out, len, err) < 0)
		return berth_error_wrap(err, "%s", path);
	return 0;
}

char *path_at(int dirfd, const char *name)
{
	char link[64], dir[4096];
	ssize_t n;

	if (name[0] == '/')
		return xstrdup(name);
	if (dirfd == AT_FDCWD)
		snprintf(link, sizeof(link), "/proc/self/cwd");
	else
		snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
	n = readlink(link, dir, sizeof(dir) - 1);
	if (n <= 0)
		return xstrdup(name);
	dir[n] = '\0';
	return xasprintf("%s/%s", dir, name);
}

/* An error of a write into dirfd, naming where (a full store must say
 * which filesystem is full, not "write x.tmp-3"). */
static int write_error(struct berth_error *err, int e, const char *what, int dirfd,
		       const char *name)
{
	_cleanup_free_ char *where = path_at(dirfd, name);
	return berth_error_set(err, e, "%s %s%s", what, where,
			       e == ENOSPC || e == EDQUOT ? " (its filesystem is full)" : "");
}

static int write_file_replace(int dirfd, const char *path, const void *data, size_t len,
			      mode_t mode, bool sync, struct berth_error *err)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp-%d", path, (int)getpid());
	_cleanup_close_ int fd =
		openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);

	if (fd < 0)
		return write_error(err, errno, "creating", dirfd, tmp);
	if (write_all(fd, data, len) < 0 || (sync && fsync(fd) < 0)) {
		int e = errno;
		unlinkat(dirfd, tmp, 0);
		return write_error(err, e, "writing", dirfd, tmp);
	}
	if (renameat(dirfd, tmp, dirfd, path) < 0) {
		int e = errno;
		unlinkat(dirfd, tmp, 0);
		return write_error(err, e, "renaming into", dirfd, path);
	}
	return 0;
}

bool write_is_stale_tmp(const char *name)
{
	const char *t = strstr(name, ".tmp-");
	char *end;
	long pid;

	if (!t)
		return false;
	pid = strtol(t + 5, &end, 10);
	return *end == '\0' && pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

int write_file_atomic(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
		      struct berth_error *err)
{
	return write_file_replace(dirfd, path, data, len, mode, true, err);
}

int write_file_replace_nosync(int dirfd, const char *path, const void *data, size_t len,
			      mode_t mode, struct berth_error *err)
{
	return write_file_replace(dirfd, path, data, len, mode, false, err);
}

int mkdir_p_at(int dirfd, const char *path, mode_t mode, struct berth_error *err)
{
	_cleanup_free_ char *p = xstrdup(path);
	char *s = p;

	for (;;) {
		char *slash = strchr(s + (*s == '/'), '/');
		if (slash)
			*slash = '\0';
		if (*p && mkdirat(dirfd, p, mode) < 0 && errno != EEXIST)
			return write_error(err, errno, "making directory", dirfd, p);
		if (!slash)
			break;
		*slash = '/';
		s = slash + 1;
	}
	return 0;
}

void human_size(uint64_t n, char *buf, size_t len)
{
	static const char *units[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)n;
	size_t u = 0;

	while (v >= 1000 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%lluB", (unsigned long long)n);
	else
		snprintf(buf, len, "%.3g%s", v, units[u]);
}

static const struct {
	const char *name;
	int sig;
} signal_names[] = {
	{ "HUP", SIGHUP },   { "INT", SIGINT },	    { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
	{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },   { "TERM", SIGTERM }, { "CONT", SIGCONT },
	{ "STOP", SIGSTOP }, { "WINCH", SIGWINCH }, { "PWR", SIGPWR },	 { "ALRM", SIGALRM },
};

int signal_from_name(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s && !*end)
		return n > 0 && n < NSIG ? (int)n : -1;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signal_names); i++)
		if (strcasecmp(s, signal_names[i].name) == 0)
			return signal_names[i].sig;
	return -1;
}

DIR *opendir_fd(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d && fd >= 0) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return d;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int dir_names_sorted(int dfd, char ***out, size_t *n_out)
{
	DIR *d = opendir_fd(dfd);
	char **v = NULL;
	size_t n = 0;
	int e;

	if (!d)
		return -1;
	for (struct dirent *de; (errno = 0, de = readdir(d));) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = xstrdup(de->d_name);
	}
	e = errno;
	closedir(d);
	if (e) {
		for (size_t i = 0; i < n; i++)
			free(v[i]);
		free(v);
		errno = e;
		return -1;
	}
	if (n)
		qsort(v, n, sizeof(*v), name_cmp);
	*out = v;
	*n_out = n;
	return 0;
}
