// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * user.c: the container's user database. run -u and exec -u name users
 * and groups from the container's own /etc/passwd and /etc/group, which
 * the image (or the running container's root) controls: either may be a
 * FIFO that never delivers, a device or a link to /dev/zero that never
 * ends, or a huge file. So each is opened inside the root without
 * following a final link and without blocking, must be a regular file of
 * at most USER_DB_MAX bytes, and is read whole into memory before it is
 * parsed; anything else is refused with one line naming the file. The
 * keep-id copies of the files (rootfs.c) read them the same way. Not
 * concerned with switching to the ids (launch.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/syscalls.h"
#include "user.h"
#include "../lib/util.h"

static const char *kind_of(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFLNK: return "a symbolic link";
	case S_IFIFO: return "a FIFO";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFDIR: return "a directory";
	case S_IFSOCK: return "a socket";
	default: return "not a regular file";
	}
}

static int not_regular(const char *path, mode_t m, struct berth_error *err)
{
	return berth_error_set(err, 0, "%s in the container is %s, not a regular file", path,
			       kind_of(m));
}

int user_db_read(int rootfd, const char *path, char **text, size_t *len, struct berth_error *err)
{
	_cleanup_close_ int fd = open_in_root(rootfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
	struct stat st;

	*text = NULL;
	*len = 0;
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT)
			return 0;
		/* what is there instead, for the message (O_PATH opens
		 * anything, a link itself included, and never blocks) */
		_cleanup_close_ int p = open_in_root(rootfd, path, O_PATH | O_NOFOLLOW, 0);
		if (p >= 0 && fstat(p, &st) == 0 && !S_ISREG(st.st_mode))
			return not_regular(path, st.st_mode, err);
		return berth_error_set(err, e, "%s in the container", path);
	}
	if (fstat(fd, &st) < 0)
		return berth_error_set(err, errno, "%s in the container", path);
	if (!S_ISREG(st.st_mode))
		return not_regular(path, st.st_mode, err);
	if ((uint64_t)st.st_size > USER_DB_MAX)
		return berth_error_set(err, EFBIG, "%s in the container is larger than %zu MiB",
				       path, USER_DB_MAX >> 20);
	if (read_fd_all(fd, USER_DB_MAX, text, len, err) < 0)
		return berth_error_wrap(err, "%s in the container", path);
	return 0;
}

/* The file as a stream for fgetpwent/fgetgrent (which read the stream
 * given, not the host's NSS): *f stays NULL when the container has none;
 * *text holds the bytes while *f is read. */
static int db_open(int rootfd, const char *path, char **text, FILE **f, struct berth_error *err)
{
	size_t len;

	*f = NULL;
	if (user_db_read(rootfd, path, text, &len, err) < 0)
		return -1;
	if (!*text || len == 0)
		return 0;
	if (!(*f = fmemopen(*text, len, "r")))
		return berth_error_set(err, errno, "%s", path);
	return 0;
}

static bool parse_id(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s < '0' || *s > '9')
		return false;
	v = strtoul(s, &end, 10);
	if (*end || v > UINT32_MAX - 1)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* The group named grp (not a number): its gid. */
static int resolve_group(int rootfd, const char *grp, uint32_t *gid, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_fclose_ FILE *gf = NULL;
	struct group *g = NULL;

	if (db_open(rootfd, "/etc/group", &text, &gf, err) < 0)
		return -1;
	while (gf && (g = fgetgrent(gf)))
		if (strcmp(g->gr_name, grp) == 0)
			break;
	if (!g)
		return berth_error_set(
			err, 0, "group \"%s\": no such group in the image's /etc/group", grp);
	*gid = g->gr_gid;
	return 0;
}

/* supplementary groups: the user's memberships, as login would */
static int member_groups(int rootfd, const char *uname, struct user_ids *u, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_fclose_ FILE *gf = NULL;

	if (db_open(rootfd, "/etc/group", &text, &gf, err) < 0)
		return -1;
	for (struct group *g; gf && (g = fgetgrent(gf)) && u->n_groups < 64;)
		for (char **m = g->gr_mem; m && *m; m++)
			if (strcmp(*m, uname) == 0 && g->gr_gid != u->gid)
				u->groups[u->n_groups++] = g->gr_gid;
	return 0;
}

int user_resolve(const char *spec, struct user_ids *u, struct berth_error *err)
{
	_cleanup_free_ char *copy = xstrdup(spec ? spec : "0"), *text = NULL, *uname = NULL;
	_cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char *grp = strchr(copy, ':');
	struct passwd *pw = NULL;
	bool have_uid;

	memset(u, 0, sizeof(*u));
	snprintf(u->home, sizeof(u->home), "/");
	if (rootfd < 0)
		return berth_error_set(err, errno, "the container's root");
	if (grp)
		*grp++ = '\0';
	have_uid = parse_id(copy, &u->uid);
	_cleanup_fclose_ FILE *pf = NULL;
	if (db_open(rootfd, "/etc/passwd", &text, &pf, err) < 0)
		return -1;
	while (pf && (pw = fgetpwent(pf)))
		if (have_uid ? pw->pw_uid == u->uid : strcmp(pw->pw_name, copy) == 0)
			break;
	if (!pw && !have_uid)
		return berth_error_set(
			err, 0, "user \"%s\": no such user in the image's /etc/passwd", copy);
	if (pw) {
		u->uid = pw->pw_uid;
		u->gid = pw->pw_gid;
		uname = xstrdup(pw->pw_name);
		snprintf(u->home, sizeof(u->home), "%s", pw->pw_dir);
	}
	if (grp && !parse_id(grp, &u->gid) && resolve_group(rootfd, grp, &u->gid, err) < 0)
		return -1;
	if (uname && !grp && member_groups(rootfd, uname, u, err) < 0)
		return -1;
	return 0;
}
