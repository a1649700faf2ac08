// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * userns.c: the container's user namespace mapping, parent side. With a
 * range in /etc/subuid and /etc/subgid, newuidmap/newgidmap (setuid
 * helpers from the uidmap package) map container root to the user and
 * ids 1..N to the range; without one, the user maps only themselves as
 * root, which needs no helper. Not concerned with what the child does
 * inside the namespace (launch.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "userns.h"
#include "util.h"

bool userns_find_in_path(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy =
		xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
	char *save = NULL;

	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", d, name);
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

bool userns_subid_range(const char *file, char *out, size_t len)
{
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	struct passwd *pw = getpwuid(getuid());
	char line[512], uid[32];

	snprintf(uid, sizeof(uid), "%u", (unsigned)getuid());
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		if ((pw && strcmp(line, pw->pw_name) == 0) || strcmp(line, uid) == 0) {
			line[strcspn(colon + 1, "\n") + (size_t)(colon + 1 - line)] = '\0';
			snprintf(out, len, "%s", colon + 1);
			return true;
		}
	}
	return false;
}

static bool parse_range(const char *s, uint32_t *start, uint32_t *count)
{
	char *end;
	unsigned long a = strtoul(s, &end, 10), b;

	if (end == s || *end != ':')
		return false;
	b = strtoul(end + 1, &end, 10);
	if (*end || b == 0 || a > UINT32_MAX || b > UINT32_MAX - a)
		return false;
	*start = (uint32_t)a;
	*count = (uint32_t)b;
	return true;
}

struct subid_line {
	char name[64];
	uint32_t start, count;
};

/* Every well-formed line of a subid file (at most max). */
static size_t read_subid_lines(const char *file, struct subid_line *v, size_t max)
{
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	char line[512];
	size_t n = 0;

	while (f && n < max && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (!colon || (size_t)(colon - line) >= sizeof(v[n].name))
			continue;
		line[strcspn(line, "\n")] = '\0';
		*colon = '\0';
		if (!parse_range(colon + 1, &v[n].start, &v[n].count))
			continue;
		memcpy(v[n].name, line, (size_t)(colon - line) + 1);
		n++;
	}
	return n;
}

static bool in_range(const struct subid_line *l, uint64_t id)
{
	return id >= l->start && id < (uint64_t)l->start + l->count;
}

bool userns_subid_safe(const char *file, const char *user, uint32_t self, const char *accounts,
		       char *why, size_t len)
{
	static struct subid_line v[4096];
	char uid[16];
	size_t n = read_subid_lines(file, v, ARRAY_SIZE(v));

	snprintf(uid, sizeof(uid), "%u", (unsigned)self);
	for (size_t i = 0; i < n; i++) {
		const struct subid_line *l = &v[i];
		if (strcmp(l->name, user) && strcmp(l->name, uid))
			continue;
		if (in_range(l, self)) {
			snprintf(why, len, "%s:%u:%u holds your own id %u", l->name, l->start,
				 l->count, (unsigned)self);
			return false;
		}
		for (size_t j = 0; j < n; j++) {
			const struct subid_line *o = &v[j];
			if (!strcmp(o->name, l->name) || !strcmp(o->name, user) ||
			    !strcmp(o->name, uid))
				continue;
			if ((uint64_t)o->start < (uint64_t)l->start + l->count &&
			    (uint64_t)l->start < (uint64_t)o->start + o->count) {
				snprintf(why, len, "%s:%u:%u overlaps %s's range %u:%u in %s",
					 l->name, l->start, l->count, o->name, o->start, o->count,
					 file);
				return false;
			}
		}
		/* an account's id in the range: the container owns its files */
		_cleanup_fclose_ FILE *a = fopen(accounts, "re");
		char line[1024];
		while (a && fgets(line, sizeof(line), a)) {
			char *f2 = strchr(line, ':'), *f3 = f2 ? strchr(f2 + 1, ':') : NULL, *end;
			if (!f3)
				continue;
			unsigned long id = strtoul(f3 + 1, &end, 10);
			if (end == f3 + 1 || *end != ':' || !in_range(l, id))
				continue;
			*f2 = '\0';
			snprintf(why, len, "%s:%u:%u holds id %lu, which %s has in %s", l->name,
				 l->start, l->count, id, line, accounts);
			return false;
		}
	}
	return true;
}

void userns_plan(struct userns_map *m)
{
	char u[128], g[128];

	memset(m, 0, sizeof(*m));
	m->uid = getuid();
	m->gid = getgid();
	m->ranged = userns_subid_range("/etc/subuid", u, sizeof(u)) &&
		    userns_subid_range("/etc/subgid", g, sizeof(g)) &&
		    parse_range(u, &m->sub_uid, &m->n_uid) &&
		    parse_range(g, &m->sub_gid, &m->n_gid) &&
		    userns_find_in_path("newuidmap", m->newuidmap, sizeof(m->newuidmap)) &&
		    userns_find_in_path("newgidmap", m->newgidmap, sizeof(m->newgidmap));
}

int userns_plan_keep_id(struct userns_map *m, struct berth_error *err)
{
	userns_plan(m);
	if (!m->ranged)
		return berth_error_set(err, EINVAL,
				       "--userns=keep-id needs a subuid and subgid range for this "
				       "user (and newuidmap): the container's root must map to an "
				       "id other than yours");
	m->keep_id = true;
	return 0;
}

static pid_t spawn_helper(const char *bin, char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		execv(bin, argv);
		_exit(127);
	}
	return pid;
}

static int wait_helper(pid_t pid, const char *bin, struct berth_error *err)
{
	int status;

	if (pid < 0)
		return berth_error_set(err, errno, "fork");
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return berth_error_set(err, errno, "waiting for %s", bin);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return berth_error_set(err, 0,
				       "%s failed (status %d): is the range in /etc/subuid and "
				       "/etc/subgid free and the helper setuid?",
				       bin, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}

static int write_proc(pid_t pid, const char *file, const char *text, struct berth_error *err)
{
	_cleanup_free_ char *p = xasprintf("/proc/%d/%s", (int)pid, file);
	_cleanup_close_ int fd = open(p, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write_all(fd, text, strlen(text)) < 0)
		return berth_error_set(err, errno, "writing %s", p);
	return 0;
}

/* keep-id: ids below the user's go to the range's start, the user to
 * themselves, the rest to the range's remainder */
static char **keep_id_argv(const char *helper, const char *spid, uint32_t id, uint32_t sub,
			   uint32_t n)
{
	char **v = xcalloc(12, sizeof(char *));
	uint32_t below = id < n ? id : n;
	size_t k = 0;

	v[k++] = xstrdup(helper);
	v[k++] = xstrdup(spid);
	if (below > 0) {
		v[k++] = xstrdup("0");
		v[k++] = xasprintf("%u", sub);
		v[k++] = xasprintf("%u", below);
	}
	v[k++] = xasprintf("%u", id);
	v[k++] = xasprintf("%u", id);
	v[k++] = xstrdup("1");
	if (n > id) {
		v[k++] = xasprintf("%u", id + 1);
		v[k++] = xasprintf("%u", sub + id);
		v[k++] = xasprintf("%u", n - id);
	}
	return v;
}

static int apply_keep_id(const char *spid, const struct userns_map *m, struct berth_error *err)
{
	char **uargv = keep_id_argv("newuidmap", spid, m->uid, m->sub_uid, m->n_uid);
	char **gargv = keep_id_argv("newgidmap", spid, m->gid, m->sub_gid, m->n_gid);
	pid_t u = spawn_helper(m->newuidmap, uargv), g = spawn_helper(m->newgidmap, gargv);
	struct berth_error gerr = { 0 };
	int ru = wait_helper(u, m->newuidmap, err), rg = wait_helper(g, m->newgidmap, &gerr);

	for (size_t i = 0; uargv[i] || gargv[i]; i++) {
		if (uargv[i])
			free(uargv[i]);
		if (gargv[i])
			free(gargv[i]);
	}
	free(uargv);
	free(gargv);
	if (ru == 0 && rg < 0) {
		*err = gerr;
		return -1;
	}
	berth_error_clear(&gerr);
	return ru;
}

int userns_apply(pid_t pid, const struct userns_map *m, struct berth_error *err)
{
	char spid[16], a[16], b[16], c[16], d[16];

	snprintf(spid, sizeof(spid), "%d", (int)pid);
	if (m->keep_id)
		return apply_keep_id(spid, m, err);
	if (m->ranged) {
		/* the two setuid helpers at once: they are most of the wait */
		snprintf(a, sizeof(a), "%u", m->uid);
		snprintf(b, sizeof(b), "%u", m->sub_uid);
		snprintf(c, sizeof(c), "%u", m->n_uid);
		char *uargv[] = { "newuidmap", spid, "0", a, "1", "1", b, c, NULL };
		pid_t u = spawn_helper(m->newuidmap, uargv);
		char ga[16], gb[16];
		snprintf(ga, sizeof(ga), "%u", m->gid);
		snprintf(gb, sizeof(gb), "%u", m->sub_gid);
		snprintf(d, sizeof(d), "%u", m->n_gid);
		char *gargv[] = { "newgidmap", spid, "0", ga, "1", "1", gb, d, NULL };
		pid_t g = spawn_helper(m->newgidmap, gargv);
		int ru = wait_helper(u, m->newuidmap, err);
		struct berth_error gerr = { 0 };
		int rg = wait_helper(g, m->newgidmap, &gerr);
		if (ru == 0 && rg < 0) {
			*err = gerr;
			return -1;
		}
		berth_error_clear(&gerr);
		return ru;
	}
	/* one id each way; setgroups must be denied first (since Linux 3.19,
	 * CVE-2014-8989: else dropping groups could grant access) */
	_cleanup_free_ char *um = xasprintf("0 %u 1\n", m->uid),
			    *gm = xasprintf("0 %u 1\n", m->gid);
	if (write_proc(pid, "uid_map", um, err) < 0 ||
	    write_proc(pid, "setgroups", "deny", err) < 0 ||
	    write_proc(pid, "gid_map", gm, err) < 0)
		return -1;
	return 0;
}

static bool keep_id_maps(uint32_t id, uint32_t self, uint32_t n)
{
	return id == self || (id < self && id < n) || (id > self && id <= n);
}

bool userns_maps_uid(const struct userns_map *m, uint32_t uid)
{
	if (m->keep_id)
		return keep_id_maps(uid, m->uid, m->n_uid);
	return uid == 0 || (m->ranged && uid >= 1 && uid - 1 < m->n_uid);
}

bool userns_maps_gid(const struct userns_map *m, uint32_t gid)
{
	if (m->keep_id)
		return keep_id_maps(gid, m->gid, m->n_gid);
	return gid == 0 || (m->ranged && gid >= 1 && gid - 1 < m->n_gid);
}

int userns_run(int (*fn)(void *arg, struct berth_error *err), void *arg, struct berth_error *err)
{
	int to_child[2], from_child[2], errp[2];
	struct userns_map m;
	char c = 0;
	pid_t pid;

	if (pipe2(to_child, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, "pipe");
	if (pipe2(from_child, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		close(to_child[0]);
		close(to_child[1]);
		return berth_error_set(err, errno, "pipe");
	}
	pid = fork();
	if (pid == 0) {
		struct berth_error e = { 0 };
		int r = -1;
		close(to_child[1]);
		close(from_child[0]);
		close(errp[0]);
		if (unshare(CLONE_NEWUSER) < 0)
			berth_error_set(&e, errno, "a user namespace");
		else if (write(from_child[1], &c, 1) != 1 || read(to_child[0], &c, 1) != 1 ||
			 c != 1)
			_exit(1); /* the parent tells its own failure */
		else if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			berth_error_set(&e, errno, "becoming root of the user namespace");
		else
			r = fn(arg, &e);
		if (r < 0) {
			const char *t = e.msg ? e.msg : "failed";
			if (write(errp[1], &e.errnum, sizeof(int)) < 0 ||
			    write(errp[1], t, strlen(t)) < 0) {
				/* nobody to tell */
			}
		}
		_exit(r < 0);
	}
	close(to_child[0]);
	close(from_child[1]);
	close(errp[1]);
	int r = 0;
	if (pid < 0) {
		r = berth_error_set(err, errno, "fork");
	} else if (read(from_child[0], &c, 1) == 1) {
		userns_plan(&m);
		r = userns_apply(pid, &m, err);
		c = r == 0;
		if (write(to_child[1], &c, 1) != 1) {
			/* it died: its status says so */
		}
	}
	close(to_child[1]);
	close(from_child[0]);
	if (pid > 0) {
		char buf[1024 + sizeof(int)];
		ssize_t n = read(errp[0], buf, sizeof(buf) - 1);
		int st = 0;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		if (r == 0 && n > (ssize_t)sizeof(int)) {
			int en;
			memcpy(&en, buf, sizeof(int));
			buf[n] = '\0';
			r = berth_error_set(err, en, "%s", buf + sizeof(int));
		} else if (r == 0 && (!WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
			r = berth_error_set(err, 0, "a helper in the user namespace failed");
		}
	}
	close(errp[0]);
	return r;
}
