// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * container.c: container records in the store: containers/<id>/ holds
 * "image" (the image ID, which keeps the image's layers alive), "name",
 * config.json (what was asked), state.json (created/running/exited, exit
 * code, times), the writable layer upper/, the mountpoint rootfs/, the
 * generated hostname, hosts and resolv.conf, and while it runs its pids
 * and, on a user network, its address (netaddr). Names are unique; a
 * unique ID prefix or the name finds a container. Not concerned with
 * running it (launch.c), nor with what its volumes and networks are
 * (users.c asks the records which containers use one).
 */
#include <dirent.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../netns/ports.h"
#include "container.h"
#include "live.h"
#include <json-c/json.h>
#include "../image/image.h"
#include "scaffold.h"
#include "../lib/syscalls.h"
#include "../image/tree.h"
#include "../lib/util.h"
#include "../objects/volume.h"

static int containers_dir(struct store *s, struct berth_error *err)
{
	int fd = openat(s->rootfd, "containers", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? berth_error_set(err, errno, "%s/containers", s->root) : fd;
}

static char *read_small(int dirfd, const char *id, const char *file)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", id, file);
	struct berth_error err = { 0 };
	char *buf = NULL;

	if (read_file_at(dirfd, p, 4096, &buf, NULL, &err) < 0) {
		berth_error_clear(&err);
		return NULL;
	}
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

int container_list(struct store *s, char ***ids, size_t *n, struct berth_error *err)
{
	_cleanup_close_ int cfd = containers_dir(s, err);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	char **v = xcalloc(1, sizeof(char *));
	size_t k = 0;

	*ids = v;
	*n = 0;
	if (cfd < 0)
		return -1;
	if (!(d = opendir_fd(cfd)))
		return berth_error_set(err, errno, "listing containers");
	while ((de = readdir(d))) {
		if (strlen(de->d_name) != CONTAINER_ID_LEN || de->d_name[0] == '.')
			continue;
		v = xrealloc(v, (k + 2) * sizeof(char *));
		v[k++] = xstrdup(de->d_name);
		v[k] = NULL;
	}
	*ids = v;
	*n = k;
	return 0;
}

int container_each(struct store *s, void (*fn)(struct store *s, const char *id, void *arg),
		   void *arg, struct berth_error *err)
{
	char **ids = NULL;
	size_t n = 0;

	if (container_list(s, &ids, &n, err) < 0) {
		strv_free(ids);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		fn(s, ids[i], arg);
	strv_free(ids);
	return 0;
}

char *container_name(struct store *s, const char *id)
{
	_cleanup_close_ int cfd = openat(s->rootfd, "containers", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return cfd < 0 ? NULL : read_small(cfd, id, "name");
}

int container_resolve(struct store *s, const char *ref, char *id_out, struct berth_error *err)
{
	_cleanup_close_ int cfd = -1;
	char **ids;
	size_t n, hits = 0;
	int r = 0;

	if (container_list(s, &ids, &n, err) < 0) {
		strv_free(ids);
		return -1;
	}
	cfd = openat(s->rootfd, "containers", O_PATH | O_DIRECTORY | O_CLOEXEC);
	/* a name first (docker's order), then an ID prefix */
	for (size_t i = 0; i < n && !hits; i++) {
		_cleanup_free_ char *name = read_small(cfd, ids[i], "name");
		if (name && strcmp(name, ref) == 0) {
			snprintf(id_out, CONTAINER_ID_LEN + 1, "%s", ids[i]);
			hits = 1;
		}
	}
	if (!hits) {
		/* an ID prefix must be unique */
		size_t first = 0;
		for (size_t j = 0; j < n; j++)
			if (*ref && strncmp(ids[j], ref, strlen(ref)) == 0 && hits++ == 0)
				first = j;
		if (hits == 1)
			snprintf(id_out, CONTAINER_ID_LEN + 1, "%s", ids[first]);
	}
	if (hits == 0)
		r = berth_error_set(err, ENOENT, "no such container: %s", ref);
	else if (hits > 1)
		r = berth_error_set(err, 0, "container ID prefix %s is ambiguous", ref);
	strv_free(ids);
	return r;
}

static int write_text(int dirfd, const char *name, const char *text, struct berth_error *err)
{
	return write_file_replace_nosync(dirfd, name, text, strlen(text), 0644, err);
}

/* The state and pid records keep the size of their first write (made
 * at create), padded after their line: a later write that finds no room
 * for its temporary file (a full disk, a quota, an I/O error) goes into
 * the bytes the record already has, so recording a container's end and
 * correcting a stale record never need free space. */
#define STATE_RESERVE 1024
#define PID_RESERVE 128

static bool no_room(int e)
{
	return e == ENOSPC || e == EDQUOT || e == EIO;
}

static int record_write(int dirfd, const char *path, const char *text, size_t reserve,
			struct berth_error *err)
{
	struct berth_error e = { 0 };
	size_t n = strlen(text), len = n < reserve ? reserve : n;
	_cleanup_free_ char *buf = xmalloc(len);
	struct stat st;

	memcpy(buf, text, n);
	if (len > n) { /* one line, then blanks up to the reserve */
		memset(buf + n, ' ', len - n);
		buf[len - 1] = '\n';
	}
	if (write_file_replace_nosync(dirfd, path, buf, len, 0644, &e) == 0)
		return 0;
	if (no_room(e.errnum)) {
		/* in place: not atomic, but a reader that sees half of it
		 * reads a bad record, which liveness makes harmless */
		_cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    (size_t)st.st_size >= len && pwrite(fd, buf, len, 0) == (ssize_t)len) {
			berth_error_clear(&e);
			return 0;
		}
	}
	if (err)
		*err = e;
	else
		berth_error_clear(&e);
	return -1;
}

/* resolv.conf: the host's, without loopback name servers (a container's
 * own loopback has none); 127.0.0.53 of systemd-resolved is the usual */
char *container_host_resolv(bool only_options)
{
	_cleanup_fclose_ FILE *f = fopen("/etc/resolv.conf", "re");
	char line[512], *out = xstrdup("");

	while (f && fgets(line, sizeof(line), f)) {
		if (str_has_prefix(line, "nameserver") &&
		    (only_options || strstr(line, " 127.") || strstr(line, "\t127.") ||
		     strstr(line, " ::1")))
			continue;
		char *n = xasprintf("%s%s", out, line);
		free(out);
		out = n;
	}
	return out;
}

static char *resolv_conf(void)
{
	return container_host_resolv(false);
}

static int make_run_lock(int dfd, struct berth_error *err)
{
	int fd = openat(dfd, "run.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return berth_error_set(err, errno, "run.lock");
	close(fd);
	return 0;
}

int container_create(struct store *s, const struct container_new *cn, char *id_out,
		     struct berth_error *err)
{
	_cleanup_close_ int cfd = containers_dir(s, err), dfd = -1;
	unsigned char rnd[CONTAINER_ID_LEN / 2];
	char **ids;
	size_t n;

	if (cfd < 0)
		return -1;
	/* (the caller holds the volume lock, create.c: two creates of one
	 * name are one after the other, and the second sees the first's) */
	container_sweep_removed(s);
	if (cn->name) {
		if (container_list(s, &ids, &n, err) < 0) {
			strv_free(ids);
			return -1;
		}
		for (size_t i = 0; i < n; i++) {
			_cleanup_free_ char *name = read_small(cfd, ids[i], "name");
			if (name && strcmp(name, cn->name) == 0) {
				berth_error_set(err, EEXIST,
						"the name \"%s\" is in use by container %.12s",
						cn->name, ids[i]);
				strv_free(ids);
				return -1;
			}
		}
		strv_free(ids);
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return berth_error_set(err, errno, "getrandom");
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(id_out + 2 * i, 3, "%02x", rnd[i]);
	if (mkdirat(cfd, id_out, 0700) < 0)
		return berth_error_set(err, errno, "creating container %.12s", id_out);
	dfd = openat(cfd, id_out, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_free_ char *name = cn->name ? xstrdup(cn->name) : xasprintf("c-%.10s", id_out);
	_cleanup_free_ char *hosts =
		xasprintf("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
			  "127.0.1.1\t%s\n%s",
			  cn->hostname, cn->hosts_extra ? cn->hosts_extra : "");
	_cleanup_free_ char *hostname = xasprintf("%s\n", cn->hostname);
	_cleanup_free_ char *resolv = cn->resolv ? xstrdup(cn->resolv) : resolv_conf();
	if (dfd < 0 || mkdirat(dfd, "rootfs", 0700) < 0 ||
	    write_text(dfd, "image", cn->image, err) < 0 ||
	    write_text(dfd, "name", name, err) < 0 ||
	    write_text(dfd, "hostname", hostname, err) < 0 ||
	    write_text(dfd, "hosts", hosts, err) < 0 ||
	    write_text(dfd, "resolv.conf", resolv, err) < 0 ||
	    /* it holds the environment's values (-e, --env-file): the
	     * user's alone, like the log, whatever the store's modes */
	    write_file_replace_nosync(dfd, "config.json", cn->config_json, strlen(cn->config_json),
				      0600, err) < 0 ||
	    /* what its start and end write later, reserved now */
	    record_write(dfd, "pid", "0 0 0\n", PID_RESERVE, err) < 0 ||
	    container_set_state(s, id_out, "created", 0, err) < 0 || make_run_lock(dfd, err) < 0) {
		if (!err->msg)
			berth_error_set(err, errno, "creating container %.12s", id_out);
		struct berth_error e2 = { 0 };
		rm_rf_at(cfd, id_out, &e2);
		berth_error_clear(&e2);
		return -1;
	}
	return 0;
}

int container_set_state(struct store *s, const char *id, const char *status, int exit_code,
			struct berth_error *err)
{
	_cleanup_close_ int cfd = containers_dir(s, err);
	_cleanup_free_ char *p = xasprintf("%s/state", id);
	_cleanup_free_ char *t =
		xasprintf("%s %d %lld\n", status, exit_code, (long long)time(NULL));

	if (cfd < 0)
		return -1;
	return record_write(cfd, p, t, STATE_RESERVE, err);
}

int container_set_exited(struct store *s, const char *id, int exit_code, const char *error,
			 struct berth_error *err)
{
	_cleanup_close_ int cfd = containers_dir(s, err);
	_cleanup_free_ char *p = xasprintf("%s/state", id), *e = xstrdup(error ? error : "");
	/* the reason on the same line, after a tab: one line, one file */
	for (char *c = e; *c; c++)
		if (*c == '\n' || *c == '\t')
			*c = ' ';
	_cleanup_free_ char *t = xasprintf("exited %d %lld%s%s\n", exit_code, (long long)time(NULL),
					   *e ? "\t" : "", e);

	if (cfd < 0)
		return -1;
	return record_write(cfd, p, t, STATE_RESERVE, err);
}

int container_get_state(struct store *s, const char *id, struct container_state *st)
{
	_cleanup_close_ int cfd = openat(s->rootfd, "containers", O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ char *t = cfd < 0 ? NULL : read_small(cfd, id, "state");
	long long when = 0;

	memset(st, 0, sizeof(*st));
	snprintf(st->status, sizeof(st->status), "unknown");
	if (t && sscanf(t, "%15s %d %lld", st->status, &st->exit_code, &when) == 3)
		st->when = when;
	const char *tab = t ? strchr(t, '\t') : NULL;
	if (tab)
		snprintf(st->error, sizeof(st->error), "%.*s", (int)strcspn(tab + 1, "\n"),
			 tab + 1);
	return 0;
}

struct json_object *container_config(struct store *s, const char *id, struct berth_error *err)
{
	_cleanup_free_ char *p = xasprintf("containers/%s/config.json", id), *buf = NULL;
	struct json_object *cfg = NULL;

	if (read_file_at(s->rootfd, p, 1 << 20, &buf, NULL, err) < 0 ||
	    json_parse_bounded(buf, strlen(buf), p, &cfg, err) < 0)
		return NULL;
	return cfg;
}

char **container_anonymous_volumes(struct store *s, const char *id, size_t *n)
{
	struct berth_error e = { 0 };
	_cleanup_json_ struct json_object *cfg = container_config(s, id, &e);
	struct json_object *mounts;
	char **v = xcalloc(1, sizeof(char *));

	*n = 0;
	if (!cfg || !json_object_object_get_ex(cfg, "Mounts", &mounts) ||
	    !json_object_is_type(mounts, json_type_array)) {
		berth_error_clear(&e);
		return v;
	}
	for (size_t i = 0; i < json_object_array_length(mounts); i++) {
		struct json_object *m = json_object_array_get_idx(mounts, i), *a;
		const char *name = json_get_string(m, "Name");
		if (name && json_object_object_get_ex(m, "Anonymous", &a) &&
		    json_object_get_boolean(a)) {
			v = xrealloc(v, (*n + 2) * sizeof(char *));
			v[(*n)++] = xstrdup(name);
			v[*n] = NULL;
		}
	}
	return v;
}

/* One mount point berth made in a bind-mounted host folder (rootfs.c,
 * "made": "DEV INO SRCLEN SOURCE/SUB"). The folder is the user's own,
 * opened by its path as the mount was; below it, the container (or
 * another sharing the folder) may have swapped a directory for a link
 * meanwhile, so the parent is opened with RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS and the object checked and removed through that
 * descriptor: only the very object berth made, still empty, goes.
 * Records of the older form (no SRCLEN) are left alone. */
static void remove_made_one(const char *rec)
{
	unsigned long long dev, ino;
	size_t srclen;
	int at = 0;
	struct stat st;

	if (sscanf(rec, "%llu %llu %zu %n", &dev, &ino, &srclen, &at) != 3 || at == 0)
		return;
	const char *path = rec + at;
	if (path[0] != '/' || strlen(path) <= srclen + 1 || path[srclen] != '/')
		return;
	_cleanup_free_ char *src = xstrndup(path, srclen);
	const char *sub = path + srclen + 1, *slash = strrchr(sub, '/');
	_cleanup_free_ char *parent = slash ? xstrndup(sub, (size_t)(slash - sub)) : xstrdup("");
	const char *base = slash ? slash + 1 : sub;
	_cleanup_close_ int sfd = open(src, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int pfd = sfd < 0 ? -1 : open_beneath(sfd, parent, O_PATH | O_DIRECTORY, 0);
	if (pfd < 0 || fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    (unsigned long long)st.st_dev != dev || (unsigned long long)st.st_ino != ino)
		return;
	if (S_ISDIR(st.st_mode))
		unlinkat(pfd, base, AT_REMOVEDIR); /* fails when not empty: then it stays */
	else if (S_ISREG(st.st_mode) && st.st_size == 0)
		unlinkat(pfd, base, 0);
}

/* The mount points berth made in bind-mounted host folders go again,
 * innermost first, when each is still the very object berth made and is
 * empty: what the user put there, or made anew, stays. */
static void remove_made(struct store *s, const char *id)
{
	_cleanup_free_ char *p = xasprintf("containers/%s/made", id), *buf = NULL;
	struct berth_error e = { 0 };
	size_t len = 0, n = 0;
	char *recs[256];

	if (read_file_at(s->rootfd, p, 1 << 20, &buf, &len, &e) < 0) {
		berth_error_clear(&e);
		return;
	}
	for (size_t off = 0; off < len && n < ARRAY_SIZE(recs); off += strlen(buf + off) + 1)
		recs[n++] = buf + off;
	while (n-- > 0)
		remove_made_one(recs[n]);
}

/* A removal's hidden name: ".rm-ID", which listing and resolving skip. */
static void hidden_name(const char *id, char *out, size_t len)
{
	snprintf(out, len, ".rm-%s", id);
}

int container_remove(struct store *s, const char *id, struct berth_error *err)
{
	_cleanup_close_ int cfd = containers_dir(s, err);
	char hidden[CONTAINER_ID_LEN + 8];

	if (cfd < 0)
		return -1;
	remove_made(s, id);
	/* out of sight first, in one step: a second removal or a start that
	 * waited for the run lock finds no container, never half of one */
	hidden_name(id, hidden, sizeof(hidden));
	if (renameat(cfd, id, cfd, hidden) < 0) {
		if (errno == ENOENT)
			return berth_error_set(err, ENOENT, "no such container: %.12s", id);
		/* (a rename that cannot be made: removed where it is) */
		snprintf(hidden, sizeof(hidden), "%s", id);
	}
	if (rm_rf_at(cfd, hidden, err) < 0)
		return berth_error_wrap(err, "removing container %.12s", id);
	return 0;
}

void container_sweep_removed(struct store *s)
{
	_cleanup_close_ int cfd =
		openat(s->rootfd, "containers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd = cfd < 0 ? -1 : openat(cfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		if (!str_has_prefix(de->d_name, ".rm-"))
			continue;
		/* its remover holds its run lock while it works: a free lock is
		 * a killed remover's leftover */
		_cleanup_free_ char *lp = xasprintf("%s/run.lock", de->d_name);
		_cleanup_close_ int lk = openat(cfd, lp, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		struct berth_error e = { 0 };
		if (lk < 0 || flock(lk, LOCK_EX | LOCK_NB) < 0)
			continue; /* (one without a lock is system check's) */
		rm_rf_at(cfd, de->d_name, &e);
		berth_error_clear(&e);
	}
}

/* From /proc/<pid>/stat: its parent and its start time (clock ticks
 * since boot; with the pid it names one process, not whichever reuses
 * the number later). False for a process gone, or ended and not reaped. */
static bool proc_stat(pid_t pid, pid_t *ppid, unsigned long long *start)
{
	_cleanup_free_ char *p = xasprintf("/proc/%d/stat", (int)pid), *buf = NULL;
	struct berth_error err = { 0 };
	unsigned long long t = 0;
	char state;
	int pp;

	if (read_file_at(AT_FDCWD, p, 4096, &buf, NULL, &err) < 0) {
		berth_error_clear(&err);
		return false;
	}
	/* the command name in parentheses may hold anything: after its
	 * last ')', the state, the parent, and field 22 the start */
	char *q = strrchr(buf, ')');
	if (!q || sscanf(q + 1, " %c %d", &state, &pp) != 2 || state == 'Z' || state == 'X')
		return false;
	for (int field = 2; *q && field < 22; q++)
		if (*q == ' ')
			field++;
	t = strtoull(q, NULL, 10);
	if (ppid)
		*ppid = pp;
	if (start)
		*start = t;
	return true;
}

static unsigned long long proc_starttime(pid_t pid)
{
	unsigned long long t = 0;
	return proc_stat(pid, NULL, &t) ? t : 0;
}

int container_set_pids(struct store *s, const char *id, pid_t holder, pid_t monitor,
		       struct berth_error *err)
{
	_cleanup_close_ int cfd = containers_dir(s, err);
	_cleanup_free_ char *p = xasprintf("%s/pid", id);
	_cleanup_free_ char *t =
		xasprintf("%d %d %llu\n", (int)holder, (int)monitor, proc_starttime(monitor));

	if (cfd < 0)
		return -1;
	return record_write(cfd, p, t, PID_RESERVE, err);
}

pid_t container_holder(struct store *s, const char *id)
{
	_cleanup_close_ int cfd = openat(s->rootfd, "containers", O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ char *t = cfd < 0 ? NULL : read_small(cfd, id, "pid");
	int holder = 0, monitor = 0;
	unsigned long long start = 0;

	if (!t || sscanf(t, "%d %d %llu", &holder, &monitor, &start) != 3 || holder <= 0)
		return 0;
	/* the monitor still the one that wrote the file: the container lives */
	if (monitor <= 0 || proc_starttime(monitor) != start)
		return 0;
	return holder;
}

/* A record that says running for a container nobody runs: its monitor
 * was killed, or its end could not be written. Corrected under the run
 * lock, taken only if free (a start that has it writes its own state),
 * and in place when the disk is full (record_write). */
static void correct_stale(struct store *s, const char *id)
{
	_cleanup_free_ char *lp = xasprintf("containers/%s/run.lock", id);
	_cleanup_close_ int fd = openat(s->rootfd, lp, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	struct berth_error err = { 0 };
	struct container_state st;

	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
		return;
	container_get_state(s, id, &st);
	if (!strcmp(st.status, "running") && !container_live(s, id))
		container_set_exited(s, id, 137, NULL, &err);
	berth_error_clear(&err);
}

bool container_status(struct store *s, const char *id, struct container_state *st)
{
	container_get_state(s, id, st);
	if (container_live(s, id)) {
		if (strcmp(st->status, "running") != 0) {
			/* starting, or its "running" could not be written */
			snprintf(st->status, sizeof(st->status), "running");
			st->exit_code = 0;
			st->error[0] = '\0';
		}
		return true;
	}
	if (!strcmp(st->status, "running")) {
		correct_stale(s, id);
		/* what the record says now, else what it would say */
		container_get_state(s, id, st);
		if (!strcmp(st->status, "running")) {
			snprintf(st->status, sizeof(st->status), "exited");
			st->exit_code = 137;
		}
	}
	return false;
}

void container_check(struct store *s, const char *id)
{
	struct container_state st;

	container_status(s, id, &st);
}

bool container_running(struct store *s, const char *id)
{
	struct container_state st;

	return container_status(s, id, &st);
}

bool container_wait_exit(struct store *s, const char *id, long ms)
{
	struct timespec ts = { 0, 20000000 };

	for (long waited = 0; container_running(s, id); waited += 20) {
		if (ms >= 0 && waited >= ms)
			return false;
		nanosleep(&ts, NULL);
	}
	return true;
}

/* The host pid of a running container's pid 1, checked to be the child
 * of the container's holder (not a process that reused the number). */
pid_t container_init_pid(struct store *s, const char *id)
{
	_cleanup_free_ char *p = xasprintf("containers/%s/init.pid", id), *buf = NULL;
	struct berth_error err = { 0 };
	pid_t holder = container_holder(s, id);
	int pid = 0;

	if (holder == 0 || read_file_at(s->rootfd, p, 64, &buf, NULL, &err) < 0 ||
	    sscanf(buf, "%d", &pid) != 1 || pid <= 0) {
		berth_error_clear(&err);
		return 0;
	}
	pid_t ppid;
	if (!proc_stat(pid, &ppid, NULL) || ppid != holder)
		return 0;
	return pid;
}

pid_t container_ns_pid(struct store *s, const char *id)
{
	pid_t init = container_init_pid(s, id);
	_cleanup_free_ char *p = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;

	if (init == 0)
		return 0;
	p = xasprintf("/proc/%d/ns/user", (int)init);
	if (access(p, R_OK) == 0)
		return init;
	/* --init's pid 1 is berth's own, not dumpable: its namespaces are
	 * reached through its child, the container's command */
	if (!(d = opendir("/proc")))
		return 0;
	while ((de = readdir(d))) {
		pid_t ppid;
		if (de->d_name[0] >= '1' && de->d_name[0] <= '9' &&
		    proc_stat((pid_t)atoi(de->d_name), &ppid, NULL) && ppid == init)
			return (pid_t)atoi(de->d_name);
	}
	return 0;
}

/* docker inspect's top-level Mounts: where each mount's data is on the
 * host (a volume's directory, a bind's source) and how it is mounted. */
static struct json_object *inspect_mounts(struct store *s, struct json_object *cfg)
{
	struct json_object *arr = json_object_new_array(), *mounts;

	if (!json_object_object_get_ex(cfg, "Mounts", &mounts) ||
	    !json_object_is_type(mounts, json_type_array))
		return arr;
	for (size_t i = 0; i < json_object_array_length(mounts); i++) {
		struct json_object *m = json_object_array_get_idx(mounts, i), *rw;
		const char *type = json_get_string(m, "Type"), *name = json_get_string(m, "Name");
		const char *src = json_get_string(m, "Source"),
			   *dst = json_get_string(m, "Destination");
		bool writable =
			!json_object_object_get_ex(m, "RW", &rw) || json_object_get_boolean(rw);
		struct json_object *o = json_object_new_object();
		_cleanup_free_ char *path = type && !strcmp(type, "volume") && name
						    ? volume_data_path(s, name)
						    : xstrdup(src ? src : "");
		json_object_object_add(o, "Type", json_object_new_string(type ? type : ""));
		if (name)
			json_object_object_add(o, "Name", json_object_new_string(name));
		json_object_object_add(o, "Source", json_object_new_string(path));
		json_object_object_add(o, "Destination", json_object_new_string(dst ? dst : ""));
		if (name)
			json_object_object_add(o, "Driver", json_object_new_string("local"));
		json_object_object_add(o, "Mode", json_object_new_string(writable ? "rw" : "ro"));
		json_object_object_add(o, "RW", json_object_new_boolean(writable));
		json_object_object_add(o, "Propagation", json_object_new_string("rprivate"));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* docker's NetworkSettings.Networks: a user network's entry carries the
 * address while the container runs */
static struct json_object *inspect_network(struct store *s, const char *id, struct json_object *cfg)
{
	struct json_object *o = json_object_new_object(), *nets = json_object_new_object();
	const char *mode = json_get_string(cfg, "Network");
	struct net_member m = { 0 };

	json_object_object_add(o, "Networks", nets);
	if (!mode)
		return o;
	struct json_object *e = json_object_new_object(), *al;
	json_object_object_add(nets, mode, e);
	if (json_object_object_get_ex(cfg, "NetworkAliases", &al))
		json_object_object_add(e, "Aliases", json_object_get(al));
	if (container_net_member(s, id, &m) && !strcmp(m.network, mode)) {
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &m.addr, a, sizeof(a));
		json_object_object_add(e, "IPAddress", json_object_new_string(a));
	}
	net_member_clear(&m);
	return o;
}

struct json_object *container_inspect(struct store *s, const char *id, struct berth_error *err)
{
	_cleanup_free_ char *name = container_name(s, id);
	struct json_object *cfg = container_config(s, id, err), *o, *state;
	struct container_state st;
	char when[64];
	struct tm tm;

	if (!cfg)
		return NULL;
	container_status(s, id, &st);
	time_t t = (time_t)st.when;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = json_object_new_object();
	json_object_object_add(o, "Id", json_object_new_string(id));
	json_object_object_add(o, "Name", json_object_new_string(name ? name : ""));
	state = json_object_new_object();
	json_object_object_add(state, "Status", json_object_new_string(st.status));
	json_object_object_add(state, "Running",
			       json_object_new_boolean(!strcmp(st.status, "running")));
	json_object_object_add(state, "ExitCode", json_object_new_int(st.exit_code));
	json_object_object_add(state, "Pid", json_object_new_int((int)container_init_pid(s, id)));
	json_object_object_add(state, "Changed", json_object_new_string(when));
	json_object_object_add(state, "Error", json_object_new_string(st.error));
	json_object_object_add(o, "State", state);
	struct json_object *img;
	if (json_object_object_get_ex(cfg, "Image", &img))
		json_object_object_add(o, "Image", json_object_get(img));
	json_object_object_add(o, "Mounts", inspect_mounts(s, cfg));
	json_object_object_add(o, "NetworkSettings", inspect_network(s, id, cfg));
	json_object_object_add(o, "Config", cfg);
	return o;
}

int container_changes(struct store *s, const char *id, FILE *out, struct berth_error *err)
{
	_cleanup_free_ char *ip = xasprintf("containers/%s/image", id), *image = NULL;
	_cleanup_free_ char *up = xasprintf("containers/%s/upper", id), *log = NULL;
	_cleanup_close_ int ufd = -1, lfd = -1;
	struct bfs_meta *m = NULL;
	struct bfs_stack st;
	size_t n, len = 0;

	if (read_file_at(s->rootfd, ip, 256, &image, NULL, err) < 0)
		return -1;
	image[strcspn(image, "\n")] = '\0';
	ufd = openat(s->rootfd, up, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (ufd < 0)
		return errno == ENOENT ? 0 : berth_error_set(err, errno, "%s", up); /* never ran */
	if (faccessat(ufd, "meta", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		if (bfs_meta_read(ufd, "meta", &m, err) < 0)
			return -1;
	} else {
		m = bfs_meta_new();
	}
	/* a running container's latest changes are still in the log */
	lfd = openat(ufd, "meta.log", O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (lfd >= 0 && read_fd_all(lfd, (size_t)1 << 30, &log, &len, err) < 0) {
		bfs_meta_free(m);
		return -1;
	}
	if (log)
		bfs_meta_replay(m, log, len);
	if (image_open_stack(s, image, &st, err) < 0) {
		bfs_meta_free(m);
		return -1;
	}
	/* what berth itself put there (the mount points it made, still as
	 * made), as docker leaves it out; and a directory of the image only
	 * copied up for them (scaffold.c) */
	_cleanup_free_ struct bfs_entry **v = bfs_meta_sorted(m, &n);
	_cleanup_free_ char *cp = xasprintf("containers/%s", id);
	_cleanup_close_ int dfd =
		openat(s->rootfd, cp, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_close_ int diff =
		openat(ufd, "diff", O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	struct scaffold sc;
	scaffold_load(dfd, &sc);
	_cleanup_free_ bool *keep = scaffold_filter(&sc, v, n, &st, diff);
	scaffold_free(&sc);
	for (size_t i = 0; i < n; i++) {
		bool lower = bfs_stack_lookup(&st, v[i]->path, NULL) != NULL;
		char kind = v[i]->type == BFS_WHITEOUT ? (lower ? 'D' : 0) : lower ? 'C' : 'A';
		if (kind && keep[i])
			fprintf(out, "%c %s\n", kind, v[i]->path);
	}
	image_close_stack(&st);
	bfs_meta_free(m);
	return 0;
}

int container_lock_run(struct store *s, const char *id, struct berth_error *err)
{
	_cleanup_free_ char *p = xasprintf("containers/%s/run.lock", id);
	int fd = openat(s->rootfd, p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	struct stat a, b;

	if (fd < 0)
		return errno == ENOENT
			       ? berth_error_set(err, ENOENT, "no such container: %.12s", id)
			       : berth_error_set(err, errno, "%s", p);
	/* a monitor that has recorded its container's end may still be
	 * finishing (its network's /etc/hosts, its log): a start right after
	 * a stop waits for it, a running container's lock fails at once */
	for (int i = 0; i < 300 && flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK; i++) {
		struct timespec ts = { 0, 10000000 };
		if (container_live(s, id))
			break;
		nanosleep(&ts, NULL);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		return e == EWOULDBLOCK ? berth_error_set(err, EBUSY,
							  "container %.12s is already running", id)
					: berth_error_set(err, e, "locking %s", p);
	}
	/* a removal that had it before us took the container away (rm
	 * renames its directory under this lock): the lock is of nothing */
	if (fstat(fd, &a) < 0 || fstatat(s->rootfd, p, &b, AT_SYMLINK_NOFOLLOW) < 0 ||
	    a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		close(fd);
		return berth_error_set(err, ENOENT, "no such container: %.12s", id);
	}
	return fd;
}

int container_ports(struct store *s, const char *id, struct port_map **m, size_t *n)
{
	_cleanup_free_ char *p = xasprintf("containers/%s/ports", id), *buf = NULL;
	_cleanup_json_ struct json_object *arr = NULL;
	struct berth_error e = { 0 };

	*m = NULL;
	*n = 0;
	if (!container_running(s, id) || read_file_at(s->rootfd, p, 1 << 20, &buf, NULL, &e) < 0 ||
	    json_parse_bounded(buf, strlen(buf), p, &arr, &e) < 0 ||
	    ports_from_json(arr, m, n, &e) < 0) {
		berth_error_clear(&e);
		return -1;
	}
	return 0;
}

void net_member_clear(struct net_member *m)
{
	free(m->network);
	m->network = NULL;
}

bool container_net_member(struct store *s, const char *id, struct net_member *m)
{
	_cleanup_free_ char *p = xasprintf("containers/%s/netaddr", id), *text = NULL;
	struct berth_error e = { 0 };
	char net[128], addr[INET_ADDRSTRLEN];
	int pid;
	unsigned long long start;

	if (read_file_at(s->rootfd, p, 4096, &text, NULL, &e) < 0) {
		berth_error_clear(&e);
		return false;
	}
	if (sscanf(text, "%127s %15s %d %llu", net, addr, &pid, &start) != 4 || pid <= 0 ||
	    inet_pton(AF_INET, addr, &m->addr) != 1 || proc_starttime(pid) != start)
		return false;
	snprintf(m->id, sizeof(m->id), "%s", id);
	m->network = xstrdup(net);
	return true;
}

int container_set_netaddr(struct store *s, const char *id, const char *network, struct in_addr addr,
			  struct berth_error *err)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &addr, a, sizeof(a));
	_cleanup_free_ char *rec =
		xasprintf("%s %s %d %llu\n", network, a, (int)getpid(), proc_starttime(getpid()));
	_cleanup_free_ char *p = xasprintf("containers/%s/netaddr", id);
	return write_file_replace_nosync(s->rootfd, p, rec, strlen(rec), 0644, err);
}

void container_clear_netaddr(struct store *s, const char *id)
{
	_cleanup_free_ char *p = xasprintf("containers/%s/netaddr", id);

	unlinkat(s->rootfd, p, 0);
}
