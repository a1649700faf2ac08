// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mountspec.c: parsing a container's mounts, docker's way. -v has three
 * shapes (DST, SRC:DST, SRC:DST:OPTS; SRC a host path or a volume name),
 * --mount is a key=value list, --tmpfs a path and mount options. All end
 * as one struct mount_req each, checked before anything is created:
 * targets absolute and clean, bind sources existing, names valid, no two
 * mounts on one target. Recorded in config.json and read back at start.
 * What the mounts do is in rootfs.c; volumes themselves in volume.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "mountspec.h"
#include "../lib/json.h"
#include "../objects/volume.h"
#include "../lib/util.h"

void mount_req_clear(struct mount_req *m)
{
	free(m->source);
	free(m->target);
	free(m->options);
	free(m->host_path);
	free(m->copy_marker);
	memset(m, 0, sizeof(*m));
}

void mount_reqs_free(struct mount_req *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mount_req_clear(&m[i]);
	free(m);
}

char *mountspec_clean_path(const char *p)
{
	char *out, *o;

	if (!p || p[0] != '/')
		return NULL;
	out = xmalloc(strlen(p) + 2);
	o = out;
	while (*p) {
		size_t len;
		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if (len == 0 || (len == 1 && p[0] == '.')) {
			/* empty or "." */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			while (o > out && *--o != '/')
				;
		} else {
			*o++ = '/';
			memcpy(o, p, len);
			o += len;
		}
		p += len;
	}
	if (o == out)
		*o++ = '/';
	*o = '\0';
	return out;
}

/* A host path as given to -v or --mount: absolute, ./relative or ~. */
static bool looks_like_path(const char *s)
{
	return s[0] == '/' || s[0] == '~' || !strcmp(s, ".") || !strcmp(s, "..") ||
	       str_has_prefix(s, "./") || str_has_prefix(s, "../");
}

static int bind_source(const char *flag, const char *arg, const char *src,
		       const struct mountspec_env *env, struct mount_req *out,
		       struct berth_error *err)
{
	_cleanup_free_ char *abs = NULL;
	struct stat st;

	if (src[0] == '~' && (src[1] == '\0' || src[1] == '/')) {
		if (!env->home || env->home[0] != '/')
			return berth_error_set(err, EINVAL, "%s \"%s\": ~ needs $HOME", flag, arg);
		abs = xasprintf("%s%s", env->home, src + 1);
	} else if (src[0] == '~') {
		return berth_error_set(err, EINVAL, "%s \"%s\": only ~ and ~/ expand (not ~user)",
				       flag, arg);
	} else if (src[0] != '/') {
		abs = xasprintf("%s/%s", env->cwd ? env->cwd : "/", src);
	} else {
		abs = xstrdup(src);
	}
	out->source = mountspec_clean_path(abs);
	if (!out->source)
		return berth_error_set(err, EINVAL, "%s \"%s\": cannot make %s absolute", flag, arg,
				       src);
	/* docker makes a missing source as an empty directory; a typo
	 * then mounts nothing silently, so here it is an error */
	if (!env->form_only && stat(out->source, &st) < 0)
		return berth_error_set(err, errno, "%s \"%s\": bind source %s", flag, arg,
				       out->source);
	out->kind = MOUNT_BIND;
	return 0;
}

static int set_target(const char *flag, const char *arg, const char *dst, struct mount_req *out,
		      struct berth_error *err)
{
	if (!dst || !*dst)
		return berth_error_set(err, EINVAL, "%s \"%s\": no target path", flag, arg);
	out->target = mountspec_clean_path(dst);
	if (!out->target)
		return berth_error_set(err, EINVAL,
				       "%s \"%s\": the target %s is not an absolute path", flag,
				       arg, dst);
	if (!strcmp(out->target, "/"))
		return berth_error_set(err, EINVAL, "%s \"%s\": cannot mount over /", flag, arg);
	return 0;
}

enum opt_class {
	OPT_UNKNOWN,
	OPT_OK
};

/* One -v option; OPT_UNKNOWN when it is not one (err untouched), -1 on
 * a known option that berth refuses. */
static int volume_option(const char *flag, const char *arg, const char *o, struct mount_req *m,
			 struct berth_error *err)
{
	static const struct {
		const char *name;
		unsigned long set, clear;
	} mflags[] = {
		{ "nosuid", MS_NOSUID, 0 }, { "suid", 0, MS_NOSUID },	{ "nodev", MS_NODEV, 0 },
		{ "dev", 0, MS_NODEV },	    { "noexec", MS_NOEXEC, 0 }, { "exec", 0, MS_NOEXEC },
	};
	static const char *const ignored[] = { "consistent", "cached", "delegated", "private",
					       "rprivate" };

	if (!strcmp(o, "ro") || !strcmp(o, "rw")) {
		m->readonly = o[1] == 'o';
		return OPT_OK;
	}
	if (!strcmp(o, "z") || !strcmp(o, "Z")) {
		m->selinux_opt = true;
		return OPT_OK;
	}
	if (!strcmp(o, "nocopy") || !strcmp(o, "copy")) {
		m->nocopy = o[0] == 'n';
		return OPT_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(mflags); i++)
		if (!strcmp(o, mflags[i].name)) {
			m->flags = (m->flags | mflags[i].set) & ~mflags[i].clear;
			return OPT_OK;
		}
	for (size_t i = 0; i < ARRAY_SIZE(ignored); i++)
		if (!strcmp(o, ignored[i]))
			return OPT_OK;
	if (!strcmp(o, "U"))
		return berth_error_set(err, EINVAL,
				       "%s \"%s\": U would chown the host's files; berth never "
				       "changes them (see --userns=keep-id)",
				       flag, arg);
	if (!strcmp(o, "shared") || !strcmp(o, "rshared") || !strcmp(o, "slave") ||
	    !strcmp(o, "rslave"))
		return berth_error_set(err, EINVAL,
				       "%s \"%s\": %s propagation is not supported (a rootless "
				       "container's mounts are private)",
				       flag, arg, o);
	return OPT_UNKNOWN;
}

static bool is_option_list(const char *s)
{
	_cleanup_free_ char *copy = xstrdup(s);
	struct mount_req scratch = { 0 };
	struct berth_error e = { 0 };
	char *save = NULL;
	bool all = true;

	if (!*s || s[0] == '/')
		return false;
	for (char *t = strtok_r(copy, ",", &save); t && all; t = strtok_r(NULL, ",", &save)) {
		int r = volume_option("-v", s, t, &scratch, &e);
		all = r != OPT_UNKNOWN; /* a refused option still marks an option list */
	}
	berth_error_clear(&e);
	return all;
}

int mountspec_parse_volume(const char *arg, const struct mountspec_env *env, struct mount_req *out,
			   struct berth_error *err)
{
	_cleanup_free_ char *copy = xstrdup(arg);
	char *parts[4] = { 0 }, *p = copy, *src = NULL, *dst = NULL, *opts = NULL;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	out->kind = MOUNT_VOLUME;
	while (n < ARRAY_SIZE(parts)) {
		parts[n++] = p;
		if (!(p = strchr(p, ':')))
			break;
		*p++ = '\0';
	}
	for (size_t i = 0; i < n; i++)
		if (!*parts[i] || n > 3)
			return berth_error_set(
				err, EINVAL, "-v \"%s\": expected [SOURCE:]TARGET[:OPTIONS]", arg);
	if (n == 1)
		dst = parts[0];
	else if (n == 2 && is_option_list(parts[1]))
		dst = parts[0], opts = parts[1];
	else
		src = parts[0], dst = parts[1], opts = n == 3 ? parts[2] : NULL;
	if (set_target("-v", arg, dst, out, err) < 0)
		return -1;
	if (opts) {
		char *save = NULL;
		for (char *t = strtok_r(opts, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			int r = volume_option("-v", arg, t, out, err);
			if (r < 0)
				return -1;
			if (r == OPT_UNKNOWN)
				return berth_error_set(
					err, EINVAL,
					"-v \"%s\": unknown option \"%s\" (ro, rw, nocopy, z, Z, "
					"nosuid, nodev, noexec)",
					arg, t);
		}
	}
	if (!src) {
		out->anonymous = true;
		return 0;
	}
	if (looks_like_path(src))
		return bind_source("-v", arg, src, env, out, err);
	if (!volume_name_valid(src))
		return berth_error_set(err, EINVAL,
				       "-v \"%s\": \"%s\" is neither an absolute path nor a volume "
				       "name ([a-zA-Z0-9][a-zA-Z0-9_.-]+; a relative path starts "
				       "with ./)",
				       arg, src);
	out->source = xstrdup(src);
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	if (!v || !strcmp(v, "true") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "0"))
		*out = false;
	else
		return -1;
	return 0;
}

/* docker's tmpfs-size: bytes with an optional k, m or g */
static bool size_ok(const char *v)
{
	char *end;
	unsigned long long n = strtoull(v, &end, 10);

	(void)n;
	return *v >= '0' && *v <= '9' && (!*end || (strchr("kKmMgG", *end) && end[1] == '\0'));
}

static void add_option(char **opts, const char *key, const char *v)
{
	_cleanup_free_ char *one = key ? xasprintf("%s=%s", key, v) : xstrdup(v);
	char *n = xasprintf("%s%s%s", *opts ? *opts : "", *opts ? "," : "", one);
	free(*opts);
	*opts = n;
}

/* --mount's keys as given */
struct mount_keys {
	const char *type, *src, *dst;
	bool readonly, nocopy;
	bool vol_key, tmpfs_key, bind_key; /* a key of that type was given */
	char *tmpfs_opts;
};

/* One KEY[=VALUE] of --mount arg (t, cut in place) into k. */
static int mount_key(const char *arg, char *t, struct mount_keys *k, struct berth_error *err)
{
	char *v = strchr(t, '=');

	if (v)
		*v++ = '\0';
	if (!strcmp(t, "type") && v)
		k->type = v;
	else if ((!strcmp(t, "source") || !strcmp(t, "src")) && v)
		k->src = v;
	else if ((!strcmp(t, "destination") || !strcmp(t, "dst") || !strcmp(t, "target")) && v)
		k->dst = v;
	else if (!strcmp(t, "readonly") || !strcmp(t, "ro")) {
		if (parse_bool(v, &k->readonly) < 0)
			goto bad_value;
	} else if (!strcmp(t, "volume-nocopy")) {
		k->vol_key = true;
		if (parse_bool(v, &k->nocopy) < 0)
			goto bad_value;
	} else if (!strcmp(t, "bind-propagation") && v) {
		k->bind_key = true;
		if (strcmp(v, "rprivate") && strcmp(v, "private"))
			return berth_error_set(err, EINVAL,
					       "--mount \"%s\": bind-propagation=%s is not "
					       "supported (a rootless container's mounts "
					       "are private)",
					       arg, v);
	} else if (!strcmp(t, "consistency") && v) {
		/* docker for Mac's; nothing to do on Linux */
	} else if (!strcmp(t, "tmpfs-size") && v) {
		k->tmpfs_key = true;
		if (!size_ok(v))
			goto bad_value;
		add_option(&k->tmpfs_opts, "size", v);
	} else if (!strcmp(t, "tmpfs-mode") && v) {
		k->tmpfs_key = true;
		if (strspn(v, "01234567") != strlen(v) || !*v || strlen(v) > 4)
			goto bad_value;
		add_option(&k->tmpfs_opts, "mode", v);
	} else {
		return berth_error_set(err, EINVAL,
				       "--mount \"%s\": unknown key \"%s\" (type, source, "
				       "target, readonly, volume-nocopy, bind-propagation, "
				       "tmpfs-size, tmpfs-mode, consistency)",
				       arg, t);
	}
	return 0;
bad_value:
	return berth_error_set(err, EINVAL, "--mount \"%s\": bad value for %s%s%s", arg, t,
			       v ? ": " : "", v ? v : "");
}

/* The mount of k's type, its keys checked against the type. */
static int mount_of_type(const char *arg, const struct mountspec_env *env,
			 const struct mount_keys *k, struct mount_req *out, struct berth_error *err)
{
	if (!strcmp(k->type, "tmpfs")) {
		out->kind = MOUNT_TMPFS;
		out->flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
		if (k->src || k->vol_key || k->bind_key)
			return berth_error_set(err, EINVAL,
					       "--mount \"%s\": a tmpfs takes no source, volume- "
					       "or bind- keys",
					       arg);
		if (!out->options)
			out->options = xstrdup("size=65536k");
		return 0;
	}
	if (k->tmpfs_key)
		return berth_error_set(err, EINVAL,
				       "--mount \"%s\": tmpfs- keys are for type=tmpfs", arg);
	if (!strcmp(k->type, "bind")) {
		if (!k->src)
			return berth_error_set(err, EINVAL,
					       "--mount \"%s\": type=bind needs a source", arg);
		if (k->vol_key)
			return berth_error_set(err, EINVAL,
					       "--mount \"%s\": volume- keys are for type=volume",
					       arg);
		return bind_source("--mount", arg, k->src, env, out, err);
	}
	if (strcmp(k->type, "volume"))
		return berth_error_set(err, EINVAL,
				       "--mount \"%s\": type=%s: expected bind, volume or tmpfs",
				       arg, k->type);
	if (k->bind_key)
		return berth_error_set(err, EINVAL, "--mount \"%s\": bind- keys are for type=bind",
				       arg);
	out->kind = MOUNT_VOLUME;
	out->nocopy = k->nocopy;
	if (!k->src) {
		out->anonymous = true;
		return 0;
	}
	if (!volume_name_valid(k->src))
		return berth_error_set(err, EINVAL,
				       "--mount \"%s\": \"%s\" is not a volume name "
				       "([a-zA-Z0-9][a-zA-Z0-9_.-]+)",
				       arg, k->src);
	out->source = xstrdup(k->src);
	return 0;
}

int mountspec_parse_mount(const char *arg, const struct mountspec_env *env, struct mount_req *out,
			  struct berth_error *err)
{
	_cleanup_free_ char *copy = xstrdup(arg);
	struct mount_keys k = { .type = "volume" };
	char *save = NULL;

	memset(out, 0, sizeof(*out));
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (mount_key(arg, t, &k, err) < 0) {
			free(k.tmpfs_opts);
			return -1;
		}
	out->readonly = k.readonly;
	out->options = k.tmpfs_opts;
	if (set_target("--mount", arg, k.dst, out, err) < 0)
		return -1;
	return mount_of_type(arg, env, &k, out, err);
}

int mountspec_parse_tmpfs(const char *arg, struct mount_req *out, struct berth_error *err)
{
	_cleanup_free_ char *copy = xstrdup(arg);
	char *opts = strchr(copy, ':'), *save = NULL, *data = NULL;

	memset(out, 0, sizeof(*out));
	out->kind = MOUNT_TMPFS;
	out->flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (opts)
		*opts++ = '\0';
	if (set_target("--tmpfs", arg, copy, out, err) < 0)
		return -1;
	for (char *t = opts ? strtok_r(opts, ",", &save) : NULL; t;
	     t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "ro") || !strcmp(t, "rw"))
			out->readonly = t[1] == 'o';
		else if (!strcmp(t, "exec"))
			out->flags &= ~(unsigned long)MS_NOEXEC;
		else if (!strcmp(t, "noexec"))
			out->flags |= MS_NOEXEC;
		else if (!strcmp(t, "suid"))
			out->flags &= ~(unsigned long)MS_NOSUID;
		else if (!strcmp(t, "dev"))
			out->flags &= ~(unsigned long)MS_NODEV;
		else if (!strcmp(t, "nosuid") || !strcmp(t, "nodev"))
			;
		else if (str_has_prefix(t, "size=") || str_has_prefix(t, "mode=") ||
			 str_has_prefix(t, "uid=") || str_has_prefix(t, "gid=") ||
			 str_has_prefix(t, "nr_inodes=") || str_has_prefix(t, "nr_blocks="))
			add_option(&data, NULL, t);
		else {
			free(data);
			return berth_error_set(
				err, EINVAL,
				"--tmpfs \"%s\": unknown option \"%s\" (ro, rw, exec, "
				"noexec, suid, dev, size=, mode=, uid=, gid=, "
				"nr_inodes=)",
				arg, t);
		}
	}
	out->options = data ? data : xstrdup("size=65536k");
	return 0;
}

int mountspec_check_duplicates(const struct mount_req *m, size_t n, struct berth_error *err)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (!strcmp(m[i].target, m[j].target))
				return berth_error_set(err, EINVAL, "duplicate mount point %s",
						       m[i].target);
	return 0;
}

static size_t depth_of(const char *path)
{
	size_t d = 0;
	for (; *path; path++)
		d += *path == '/';
	return d;
}

void mountspec_sort(struct mount_req *m, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct mount_req cur = m[i];
		size_t j = i, d = depth_of(cur.target);
		for (; j > 0 && depth_of(m[j - 1].target) > d; j--)
			m[j] = m[j - 1];
		m[j] = cur;
	}
}

static const char *const kind_names[] = {
	[MOUNT_BIND] = "bind", [MOUNT_VOLUME] = "volume", [MOUNT_TMPFS] = "tmpfs"
};

struct json_object *mountspec_to_json(const struct mount_req *m, size_t n)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "Type", json_object_new_string(kind_names[m[i].kind]));
		if (m[i].source)
			json_object_object_add(o, m[i].kind == MOUNT_VOLUME ? "Name" : "Source",
					       json_object_new_string(m[i].source));
		json_object_object_add(o, "Destination", json_object_new_string(m[i].target));
		json_object_object_add(o, "RW", json_object_new_boolean(!m[i].readonly));
		if (m[i].kind == MOUNT_VOLUME) {
			json_object_object_add(o, "Anonymous",
					       json_object_new_boolean(m[i].anonymous));
			json_object_object_add(o, "NoCopy", json_object_new_boolean(m[i].nocopy));
		}
		json_object_object_add(o, "Flags", json_object_new_int64((int64_t)m[i].flags));
		if (m[i].options)
			json_object_object_add(o, "Options", json_object_new_string(m[i].options));
		json_object_array_add(arr, o);
	}
	return arr;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

static bool jbool(struct json_object *o, const char *key)
{
	struct json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

int mountspec_from_json(struct json_object *arr, struct mount_req **out, size_t *n,
			struct berth_error *err)
{
	size_t len = json_array_len(arr);
	struct mount_req *m = xcalloc(len + 1, sizeof(*m));

	for (size_t i = 0; i < len; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *v;
		const char *type = jstr(o, "Type"), *dst = jstr(o, "Destination");
		size_t k;
		for (k = 0; k < ARRAY_SIZE(kind_names) && (!type || strcmp(type, kind_names[k]));
		     k++)
			;
		if (k == ARRAY_SIZE(kind_names) || !dst || dst[0] != '/') {
			mount_reqs_free(m, len);
			return berth_error_set(err, EINVAL, "config.json: mount %zu is not valid",
					       i);
		}
		m[i].kind = (enum mount_kind)k;
		const char *src = jstr(o, k == MOUNT_VOLUME ? "Name" : "Source");
		m[i].source = src ? xstrdup(src) : NULL;
		m[i].target = xstrdup(dst);
		m[i].readonly =
			json_object_object_get_ex(o, "RW", &v) && !json_object_get_boolean(v);
		m[i].anonymous = jbool(o, "Anonymous");
		m[i].nocopy = jbool(o, "NoCopy");
		m[i].flags = json_object_object_get_ex(o, "Flags", &v)
				     ? (unsigned long)json_object_get_int64(v)
				     : 0;
		const char *opts = jstr(o, "Options");
		m[i].options = opts ? xstrdup(opts) : NULL;
	}
	*out = m;
	*n = len;
	return 0;
}
