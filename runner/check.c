// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check.c: `berth system check [--repair]`. engine_system_check takes
 * the store lock and calls each part of the check where its concern
 * lives: the processes and mounts of containers that are gone and the
 * containers' records (here), the image store (image/check.c), volumes
 * (objects/check.c). Each part adds its problems to one report.
 *
 * A container is alive while its monitor holds the live lock
 * (live.c), or its monitor lives (container_holder: the pid and start
 * time it recorded), or something holds its run.lock (a start, the
 * monitor and its processes until their exec): a record that
 * cannot be read says nothing about that, so the lock is asked too, and
 * nothing of a live container is moved or rewritten under it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "container.h"
#include "live.h"
#include "../image/image.h"
#include "../image/mount.h"
#include "../objects/check.h"
#include "../objects/volume.h"
#include "../lib/util.h"

static bool is_hex64(const char *s, size_t len)
{
	return len == CONTAINER_ID_LEN && strspn(s, "0123456789abcdef") >= CONTAINER_ID_LEN;
}

static bool run_lock_held(struct store *s, const char *id)
{
	_cleanup_free_ char *p = xasprintf("containers/%s/run.lock", id);
	_cleanup_close_ int fd = openat(s->rootfd, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	return fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

static bool alive(struct store *s, const char *id)
{
	return container_live(s, id) || container_holder(s, id) != 0 || run_lock_held(s, id);
}

static char *read_record(struct store *s, const char *id, const char *file, bool *exists)
{
	_cleanup_free_ char *p = xasprintf("containers/%s/%s", id, file);
	struct berth_error err = { 0 };
	char *buf = NULL;

	*exists = faccessat(s->rootfd, p, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	if (read_file_at(s->rootfd, p, 4096, &buf, NULL, &err) < 0) {
		berth_error_clear(&err);
		return NULL;
	}
	return buf;
}

/* What makes the record unusable (its config or its image file
 * unreadable): NULL when nothing, else the cause (free it). */
static char *record_problem(struct store *s, const char *id, char *image)
{
	struct berth_error err = { 0 };
	struct json_object *cfg = container_config(s, id, &err);
	_cleanup_free_ char *img = NULL;
	bool exists;

	if (!cfg) {
		char *t = berth_error_text(&err);
		berth_error_clear(&err);
		return t;
	}
	json_object_put(cfg);
	img = read_record(s, id, "image", &exists);
	if (img)
		img[strcspn(img, "\n")] = '\0';
	if (!img || !digest_valid(img))
		return xstrdup(exists ? "its image record (image) is unreadable"
				      : "its image record (image) is missing");
	strcpy(image, img);
	return NULL;
}

static void quarantine_container(struct store *s, struct check_report *r, const char *id,
				 const char *why)
{
	_cleanup_free_ char *path = xasprintf("containers/%s", id), *dest = NULL;
	_cleanup_free_ char *plan =
		xasprintf("move it to quarantine/%s (its writable layer too)", path);
	struct berth_error err = { 0 };

	if (alive(s, id)) {
		check_manual(r, "it runs: `berth rm -f` ends and removes it", "container %.12s: %s",
			     id, why);
		return;
	}
	struct check_problem *p = check_found(r, plan, "container %.12s: %s", id, why);
	if (!r->opts.repair)
		return;
	int rc = check_quarantine(s, path, &dest, &err);
	_cleanup_free_ char *done = rc == 0 ? xasprintf("moved to %s", dest) : NULL;
	check_settle(p, rc, done, &err);
}

static bool state_valid(const char *t)
{
	char status[16];
	long long when;
	int code;

	return t && sscanf(t, "%15s %d %lld", status, &code, &when) == 3 &&
	       (!strcmp(status, "created") || !strcmp(status, "running") ||
		!strcmp(status, "exited"));
}

/* state written from what is true: its process, else whether it ever
 * started (a pid record naming a holder: create reserves the record
 * as "0 0 0"), else created. */
static int state_from_process(struct store *s, const char *id, bool live, bool started,
			      const char **said, struct berth_error *err)
{
	if (live) {
		*said = "recorded as running (its process lives)";
		return container_set_state(s, id, "running", 0, err);
	}
	if (started) {
		*said = "recorded as exited (255: its exit code is not known)";
		return container_set_exited(
			s, id, 255, "its state record was damaged (berth system check --repair)",
			err);
	}
	*said = "recorded as created";
	return container_set_state(s, id, "created", 0, err);
}

static void check_state(struct store *s, struct check_report *r, const char *id, bool live)
{
	bool exists, pid_exists;
	_cleanup_free_ char *t = read_record(s, id, "state", &exists);
	_cleanup_free_ char *pid = read_record(s, id, "pid", &pid_exists);
	struct berth_error err = { 0 };
	struct check_problem *p;
	const char *said = NULL;
	int holder = 0, monitor;
	unsigned long long start;
	bool pid_legible = pid && sscanf(pid, "%d %d %llu", &holder, &monitor, &start) == 3;

	if (pid_exists && !pid_legible) {
		if (live) {
			check_manual(r, "it runs: `berth rm -f` ends and removes it",
				     "container %.12s: its pid record is unreadable", id);
		} else {
			p = check_found(r, "remove it (no process of the container runs)",
					"container %.12s: its pid record is unreadable", id);
			if (r->opts.repair) {
				_cleanup_free_ char *pf = xasprintf("containers/%s/pid", id);
				int rc = unlinkat(s->rootfd, pf, 0) < 0
						 ? berth_error_set(&err, errno, "%s", pf)
						 : 0;
				check_settle(p, rc, "removed", &err);
			}
		}
	}
	if (!state_valid(t)) {
		p = check_found(r, "write it from the container's process",
				"container %.12s: its state record is %s", id,
				exists ? "unreadable" : "missing");
		if (r->opts.repair) {
			int rc = state_from_process(s, id, live, pid_legible && holder > 0, &said,
						    &err);
			check_settle(p, rc, said, &err);
		}
		return;
	}
	if (str_has_prefix(t, "running ") && !live) {
		p = check_found(r, "record it as exited (137), as the next command would",
				"container %.12s: recorded as running, but its process is gone",
				id);
		if (r->opts.repair) {
			int rc = container_set_exited(s, id, 137, NULL, &err);
			check_settle(p, rc, "recorded as exited (137)", &err);
		}
	}
}

static void check_name(struct store *s, struct check_report *r, const char *id)
{
	_cleanup_free_ char *name = container_name(s, id);
	struct berth_error err = { 0 };
	char shortid[13];

	if (name && *name)
		return;
	snprintf(shortid, sizeof(shortid), "%.12s", id);
	_cleanup_free_ char *plan = xasprintf("name it %s (its short ID)", shortid);
	struct check_problem *p =
		check_found(r, plan, "container %.12s: its name record is unreadable", id);
	if (r->opts.repair) {
		_cleanup_free_ char *path = xasprintf("containers/%s/name", id);
		_cleanup_free_ char *text = xasprintf("%s\n", shortid);
		int rc = write_file_replace_nosync(s->rootfd, path, text, strlen(text), 0644, &err);
		_cleanup_free_ char *done = xasprintf("named %s", shortid);
		check_settle(p, rc, done, &err);
	}
}

static void check_container(struct store *s, struct check_report *r, const char *id)
{
	char image[DIGEST_STR_LEN + 1];
	_cleanup_free_ char *why = record_problem(s, id, image);
	struct berth_error err = { 0 };
	struct image *img;
	bool live;

	if (why) {
		quarantine_container(s, r, id, why);
		return;
	}
	live = alive(s, id);
	check_state(s, r, id, live);
	check_name(s, r, id);
	if (image_read(s, image, &img, &err) == 0) {
		image_free(img);
		return;
	}
	berth_error_clear(&err);
	check_manual(r, "`berth rm` removes it; loading the image again lets it start",
		     "container %.12s: its image %.19s is not in the store", id, image);
}

void containers_check(struct store *s, struct check_report *r)
{
	_cleanup_close_ int fd =
		openat(s->rootfd, "containers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	if (!d)
		return;
	fd = -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			strv_push(&names, &n, de->d_name);
	for (size_t i = 0; i < n; i++) {
		if (is_hex64(names[i], strlen(names[i]))) {
			check_container(s, r, names[i]);
			continue;
		}
		_cleanup_free_ char *path = xasprintf("containers/%s", names[i]), *dest = NULL;
		struct berth_error err = { 0 };
		struct check_problem *p = check_found(
			r, "move it to quarantine/", "%s: not a container (no container ID)", path);
		if (r->opts.repair) {
			int rc = check_quarantine(s, path, &dest, &err);
			_cleanup_free_ char *done = rc == 0 ? xasprintf("moved to %s", dest) : NULL;
			check_settle(p, rc, done, &err);
		}
	}
	strv_free(names);
}

/* The container ID that target (a path a process holds) is under, when
 * it is under prefix ("ROOT/containers/"); "" otherwise. */
static void container_of(const char *target, const char *prefix, char *id)
{
	size_t pl = strlen(prefix);

	id[0] = '\0';
	if (strncmp(target, prefix, pl) != 0)
		return;
	target += pl;
	if (strspn(target, "0123456789abcdef") != CONTAINER_ID_LEN ||
	    (target[CONTAINER_ID_LEN] != '/' && target[CONTAINER_ID_LEN] != '\0' &&
	     target[CONTAINER_ID_LEN] != ' '))
		return;
	memcpy(id, target, CONTAINER_ID_LEN);
	id[CONTAINER_ID_LEN] = '\0';
}

static bool container_gone(struct store *s, const char *id)
{
	_cleanup_free_ char *p = xasprintf("containers/%s", id);
	return faccessat(s->rootfd, p, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
}

/* The ID of a container that is gone whose files pid holds (its working
 * directory, root or a descriptor), into id; false when none. */
static bool holds_gone(struct store *s, const char *prefix, const char *pid, char *id)
{
	_cleanup_free_ char *fddir = xasprintf("/proc/%s/fd", pid);
	_cleanup_closedir_ DIR *d = opendir(fddir);
	const char *fixed[] = { "cwd", "root" };
	char target[PATH_MAX];
	struct dirent *de;
	ssize_t n;

	for (size_t i = 0; i < 2; i++) {
		_cleanup_free_ char *l = xasprintf("/proc/%s/%s", pid, fixed[i]);
		if ((n = readlink(l, target, sizeof(target) - 1)) > 0) {
			target[n] = '\0';
			container_of(target, prefix, id);
			if (*id && container_gone(s, id))
				return true;
		}
	}
	while (d && (de = readdir(d))) {
		_cleanup_free_ char *l = xasprintf("%s/%s", fddir, de->d_name);
		if (de->d_name[0] == '.' || (n = readlink(l, target, sizeof(target) - 1)) <= 0)
			continue;
		target[n] = '\0';
		container_of(target, prefix, id);
		if (*id && container_gone(s, id))
			return true;
	}
	return false;
}

static void kill_and_wait(pid_t pid)
{
	_cleanup_free_ char *p = xasprintf("/proc/%d/stat", (int)pid);

	kill(pid, SIGKILL);
	for (int i = 0; i < 200; i++) {
		_cleanup_free_ char *buf = NULL;
		struct berth_error err = { 0 };
		struct timespec ts = { 0, 10000000 };
		char *q;
		/* gone, or a zombie (its parent's to reap) */
		if (read_file_at(AT_FDCWD, p, 4096, &buf, NULL, &err) < 0) {
			berth_error_clear(&err);
			return;
		}
		if ((q = strrchr(buf, ')')) && (q[2] == 'Z' || q[2] == 'X'))
			return;
		nanosleep(&ts, NULL);
	}
}

static void orphan_processes(struct store *s, const char *root, struct check_report *r)
{
	_cleanup_free_ char *prefix = xasprintf("%s/containers/", root);
	_cleanup_closedir_ DIR *d = opendir("/proc");
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char id[CONTAINER_ID_LEN + 1], comm[64] = "?";
		_cleanup_free_ char *pdir = xasprintf("/proc/%s", de->d_name), *cbuf = NULL;
		struct berth_error err = { 0 };
		struct stat st;
		pid_t pid = (pid_t)atoi(de->d_name);

		if (pid <= 0 || pid == getpid() || stat(pdir, &st) < 0 || st.st_uid != getuid() ||
		    !holds_gone(s, prefix, de->d_name, id))
			continue;
		_cleanup_free_ char *cpath = xasprintf("%s/comm", pdir);
		if (read_file_at(AT_FDCWD, cpath, sizeof(comm), &cbuf, NULL, &err) == 0)
			snprintf(comm, sizeof(comm), "%.*s", (int)strcspn(cbuf, "\n"), cbuf);
		berth_error_clear(&err);
		struct check_problem *p = check_found(
			r, "kill it", "process %d (%s) of container %.12s, which no longer exists",
			(int)pid, comm, id);
		if (r->opts.repair) {
			kill_and_wait(pid);
			check_settle(p, 0, "killed", &err);
		}
	}
}

/* A mount point as mountinfo escapes it (\040 for a space, ...). */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

static void orphan_mounts(struct store *s, const char *root, struct check_report *r)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *under = xasprintf("%s/", root), *prefix = NULL;
	char line[8192];

	prefix = xasprintf("%s/containers/", root);
	while (f && fgets(line, sizeof(line), f)) {
		char mp[4096], fstype[256], source[256], id[CONTAINER_ID_LEN + 1];
		const char *dash = strstr(line, " - ");
		struct berth_error err = { 0 };

		if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 ||
		    sscanf(dash + 3, "%255s %255s", fstype, source) != 2)
			continue;
		if (!str_has_prefix(fstype, "fuse.berth") && strcmp(source, "berth-fs") != 0)
			continue;
		unescape(mp);
		if (!str_has_prefix(mp, under))
			continue;
		container_of(mp, prefix, id);
		if (*id && !container_gone(s, id) && alive(s, id))
			continue;
		struct check_problem *p =
			check_found(r, "unmount it (fusermount3 -u)",
				    "berth-fs mount on %s, which no running container owns", mp);
		if (r->opts.repair)
			check_settle(p, image_umount(mp, &err), "unmounted", &err);
	}
}

void orphans_check(struct store *s, struct check_report *r)
{
	_cleanup_free_ char *root = realpath(s->root, NULL);

	if (!root)
		root = xstrdup(s->root);
	orphan_processes(s, root, r);
	orphan_mounts(s, root, r);
}

int engine_system_check(struct store *s, struct check_report *r, struct berth_error *err)
{
	if (store_lock(s, r->opts.repair ? LOCK_EX : LOCK_SH, err) < 0)
		return -1;
	orphans_check(s, r);
	image_store_check(s, r, err);
	volumes_check(s, r);
	/* a container is made in place, under the volume lock (create.c):
	 * a repair takes it too, so it never takes a container half-made
	 * for a damaged one (after volumes_check: the lock sweeps what it
	 * names) */
	int vlock = r->opts.repair ? volume_lock(s, err) : -1;
	if (r->opts.repair && vlock < 0) {
		store_unlock(s);
		return -1;
	}
	containers_check(s, r);
	if (vlock >= 0)
		close(vlock);
	store_unlock(s);
	return 0;
}
