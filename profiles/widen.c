// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * widen.c: what a resolved profile loosens (profile.h's
 * profile_widenings). A profile committed to a repository is written by
 * whoever wrote the repository, and `berth run --profile` applies it with
 * the user's rights: each setting that reaches past berth's defaults (a
 * host path outside the profile's own directory, a secret, a capability,
 * no seccomp, the host's network, ...) becomes one line the CLI prints as
 * a warning, with the file:line that asked for it. The table of what
 * counts, and why, is docs/profiles.md. Paths are judged the way the
 * kernel will follow them: ".." and symlinks resolved, so a link inside
 * the directory that points out of it is out. Nothing here refuses or
 * runs anything: the CLI prints, and `profile check --strict` fails.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../netns/ports.h"
#include "../runner/mountspec.h"
#include "../objects/network.h"
#include "../runner/secretspec.h"
#include "../lib/util.h"
#include "files.h"
#include "keys.h"
#include "profile.h"
#include "settings.h"

/* ---- paths ---- */

/* What remains of a path once its last component is dropped ("/" stays). */
static void drop_last(char *p)
{
	char *slash = strrchr(p, '/');

	if (slash == p)
		p[1] = '\0';
	else if (slash)
		*slash = '\0';
}

/* abs (absolute) resolved as the kernel walks it: each existing
 * component's symlink followed (40 at most, the kernel's limit), ".."
 * to the parent of what was resolved so far. Components that do not
 * exist (yet) are taken as written: a dangling link still counts where
 * it points. */
static char *resolved(const char *abs)
{
	char *cur = xstrdup("/");
	char *rest = xstrdup(abs);
	int hops = 0;

	for (;;) {
		char *p = rest + strspn(rest, "/");
		size_t len = strcspn(p, "/");
		if (len == 0)
			break;
		_cleanup_free_ char *c = xstrndup(p, len);
		char *tail = xstrdup(p + len);
		free(rest);
		rest = tail;
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			drop_last(cur);
			continue;
		}
		_cleanup_free_ char *cand =
			xasprintf("%s%s%s", cur, strcmp(cur, "/") ? "/" : "", c);
		struct stat st;
		char target[PATH_MAX];
		ssize_t tl;
		if (hops < 40 && lstat(cand, &st) == 0 && S_ISLNK(st.st_mode) &&
		    (tl = readlink(cand, target, sizeof(target) - 1)) > 0) {
			target[tl] = '\0';
			hops++;
			char *r = xasprintf("%s/%s", target, rest);
			free(rest);
			rest = r;
			if (target[0] == '/') {
				free(cur);
				cur = xstrdup("/");
			}
			continue;
		}
		free(cur);
		cur = steal_pointer(&cand);
	}
	free(rest);
	return cur;
}

static bool inside(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	if (!strcmp(dir, "/"))
		return true;
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

/* The directory of file, absolute (from the working directory). */
static char *dir_of(const char *file)
{
	const char *slash = strrchr(file, '/');
	_cleanup_free_ char *d =
		slash ? xstrndup(file, slash == file ? 1 : (size_t)(slash - file)) : xstrdup(".");
	_cleanup_free_ char *cwd = d[0] == '/' ? NULL : getcwd(NULL, 0);

	if (d[0] == '/')
		return steal_pointer(&d);
	return xasprintf("%s/%s", cwd ? cwd : "/", d);
}

/* ---- the judge ---- */

struct judge {
	char *dir; /* the top file's directory, resolved */
	char *const *networks, *const *volumes;
	char ***out;
	size_t *n;
};

static bool declared(char *const *v, const char *name)
{
	for (size_t i = 0; v && v[i]; i++)
		if (!strcmp(v[i], name))
			return true;
	return false;
}

_printf_(3, 4) static void widens(struct judge *j, const struct profile_setting *s, const char *fmt,
				  ...)
{
	_cleanup_free_ char *why = NULL, *v = prof_shown(s->value);
	_cleanup_free_ char *f = prof_clip(s->file, PATH_MAX);
	const struct profile_key *k = s->key;
	va_list ap;

	va_start(ap, fmt);
	why = xvasprintf(fmt, ap);
	va_end(ap);
	_cleanup_free_ char *line =
		*k->section && strcmp(k->section, "NAME")
			? xasprintf("%s:%u: [%s] %s = %s: %s", f, s->line, k->section, k->name, v,
				    why)
			: xasprintf("%s:%u: %s = %s: %s", f, s->line, k->name, v, why);
	strv_push(j->out, j->n, line);
}

/* A host path the sandbox will use: out of the directory? */
static void host_path(struct judge *j, const struct profile_setting *s, const char *abs,
		      const char *what)
{
	_cleanup_free_ char *r = resolved(abs);
	_cleanup_free_ char *shown = prof_clip(r, PATH_MAX);

	if (!inside(j->dir, r))
		widens(j, s, "%s %s, outside the profile's directory", what, shown);
}

/* -v and --mount: a host path, or a volume by name that is not the
 * stack's own. The source is where run will take it from: relative to
 * the file that names it, ".." resolved lexically as run does, then
 * symlinks as the kernel follows them at the mount. */
static void mount_setting(struct judge *j, const struct profile_setting *s)
{
	_cleanup_free_ char *fdir = dir_of(s->file);
	struct mountspec_env env = { .cwd = fdir, .home = getenv("HOME"), .form_only = true };
	struct berth_error e = { 0 };
	struct mount_req m = { 0 };
	int r = prof_is_key(s->key, "mounts", "volume")
			? mountspec_parse_volume(s->value, &env, &m, &e)
			: mountspec_parse_mount(s->value, &env, &m, &e);

	berth_error_clear(&e);
	if (r == 0 && m.kind == MOUNT_BIND)
		host_path(j, s, m.source, m.readonly ? "bind-mounts (read-only)" : "bind-mounts");
	else if (r == 0 && m.kind == MOUNT_VOLUME && m.source && !declared(j->volumes, m.source))
		widens(j, s,
		       "mounts the named volume \"%s\", whose data every container naming it "
		       "shares",
		       m.source);
	mount_req_clear(&m);
}

static void env_file_setting(struct judge *j, const struct profile_setting *s)
{
	_cleanup_free_ char *fdir = dir_of(s->file);
	_cleanup_free_ char *abs =
		s->value[0] == '/' ? xstrdup(s->value) : xasprintf("%s/%s", fdir, s->value);
	host_path(j, s, abs, "reads the variables of");
}

static void extends_setting(struct judge *j, const struct profile_setting *s)
{
	_cleanup_free_ char *fdir = dir_of(s->file);
	_cleanup_free_ char *abs =
		s->value[0] == '/' ? xstrdup(s->value) : xasprintf("%s/%s", fdir, s->value);
	host_path(j, s, abs, "builds on");
}

static bool loopback(const char *ip)
{
	return str_has_prefix(ip, "127.") || !strcmp(ip, "::1");
}

static void publish_setting(struct judge *j, const struct profile_setting *s)
{
	struct port_map *m = NULL;
	struct berth_error e = { 0 };
	size_t n = 0;

	if (ports_parse(s->value, &m, &n, &e) < 0) /* checked at load */
		berth_error_clear(&e);
	for (size_t i = 0; i < n; i++) {
		if (loopback(m[i].host_ip))
			continue;
		bool any = !strcmp(m[i].host_ip, "0.0.0.0") || !strcmp(m[i].host_ip, "::");
		widens(j, s,
		       "published on %s, reachable from other machines (the default is "
		       "127.0.0.1)",
		       any ? "every address" : m[i].host_ip);
		break; /* one line per setting */
	}
	free(m);
}

static void secret_setting(struct judge *j, const struct profile_setting *s)
{
	struct secret_ref r = { 0 };
	struct berth_error e = { 0 };

	if (secretspec_parse(s->value, &r, &e) == 0)
		widens(j, s, "gives the sandbox your stored secret \"%s\"", r.name);
	berth_error_clear(&e);
	secret_ref_clear(&r);
}

static void judge_setting(struct judge *j, const struct profile_setting *s)
{
	const struct profile_key *k = s->key;

	if (!k->name)
		return; /* [environment], [labels] */
	if (prof_is_key(k, "mounts", "volume") || prof_is_key(k, "mounts", "mount"))
		mount_setting(j, s);
	else if (prof_is_key(k, "sandbox", "env-file"))
		env_file_setting(j, s);
	else if (prof_is_key(k, "mounts", "volumes-from"))
		widens(j, s, "mounts what that container mounts: its volumes and host paths");
	else if (prof_is_key(k, "secrets", "secret"))
		secret_setting(j, s);
	else if (prof_is_key(k, "security", "cap-add"))
		widens(j, s, "%s",
		       !strcasecmp(s->value, "ALL") ? "adds every capability"
						    : "adds a capability to the default set");
	else if (prof_is_key(k, "security", "seccomp") && !strcmp(s->value, "unconfined"))
		widens(j, s, "turns the syscall filter off");
	else if (prof_is_key(k, "security", "no-new-privileges") && !profile_bool(s->value))
		widens(j, s, "lets setuid binaries and file capabilities grant privileges");
	else if (prof_is_key(k, "network", "mode") && !strcmp(s->value, "host"))
		widens(j, s,
		       "shares the host's network: every address and every service "
		       "listening on the host's loopback");
	else if (prof_is_key(k, "network", "mode") && !network_name_reserved(s->value) &&
		 !declared(j->networks, s->value))
		widens(j, s, "joins the user network \"%s\", and the containers on it", s->value);
	else if (prof_is_key(k, "network", "publish"))
		publish_setting(j, s);
}

/* A profile in the user's own profile directory (or the system's) is
 * not someone else's: only a path elsewhere is judged. */
static bool trusted(const char *dir)
{
	_cleanup_free_ char *user = prof_user_dir();
	_cleanup_free_ char *u = user && user[0] == '/' ? resolved(user) : NULL;
	_cleanup_free_ char *sys = resolved(PROF_SYSTEM_DIR);

	return (u && inside(u, dir)) || inside(sys, dir);
}

void profile_widenings(const struct profile *p, char *const *networks, char *const *volumes,
		       char ***out, size_t *n)
{
	_cleanup_free_ char *top = dir_of(p->file ? p->file : ".");
	struct judge j = {
		.dir = resolved(top), .networks = networks, .volumes = volumes, .out = out, .n = n
	};

	*out = xcalloc(1, sizeof(char *));
	*n = 0;
	if (!trusted(j.dir)) {
		for (size_t i = 0; i < p->n_ext; i++)
			extends_setting(&j, &p->ext[i]);
		for (size_t i = 0; i < p->n; i++)
			judge_setting(&j, &p->set[i]);
	}
	free(j.dir);
}
