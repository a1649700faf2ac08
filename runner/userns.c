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

int userns_apply(pid_t pid, const struct userns_map *m, struct berth_error *err)
{
	char spid[16], a[16], b[16], c[16], d[16];

	snprintf(spid, sizeof(spid), "%d", (int)pid);
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

bool userns_maps_uid(const struct userns_map *m, uint32_t uid)
{
	return uid == 0 || (m->ranged && uid >= 1 && uid - 1 < m->n_uid);
}

bool userns_maps_gid(const struct userns_map *m, uint32_t gid)
{
	return gid == 0 || (m->ranged && gid >= 1 && gid - 1 < m->n_gid);
}
