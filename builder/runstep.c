// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * runstep.c: RUN as a berth container. The step's run_config is made
 * the way `berth run`'s is, through its flags (run_config_set), so a
 * step is confined exactly as a container is: docker's default
 * capabilities, seccomp, no_new_privs, berth-fs over the step's parent
 * layers, an init as pid 1, the network --network names. The step's
 * environment is the image's Env and the build args in scope; its user
 * and directory the config's. Host paths enter only through the step's
 * --mount: a cache directory of the store's builder/, a copy of a
 * context path as the build sees it, a stage's or image's files mounted
 * read-only, a tmpfs, or a build secret (a secret of the store for the
 * step's life, on /run/secrets). The writable layer is then written out
 * from berth-fs's change record (commit.h), and the container removed
 * whatever happened. Step containers and secrets a killed build left are
 * swept by the next build.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../image/image.h"
#include "../image/mount.h"
#include "../image/pull-policy.h"
#include "../image/tree.h"
#include "../lib/json.h"
#include "../lib/util.h"
#include "../objects/secret.h"
#include "../runner/commit.h"
#include "../runner/container.h"
#include "../runner/engine.h"
#include "build.h"
#include "cache.h"
#include "copy.h"
#include "liveview.h"
#include "state.h"
#include "stepconf.h"

DEFINE_CLEANUP_FUNC(char **, strv_free)

/* The largest build secret: docker's own limit for a secret is 500 KB. */
#define BUILD_SECRET_MAX ((size_t)500 * 1024)

/* What a step's mounts leave to undo. */
struct run_mounts {
	char **secrets; /* the store secrets made for this step */
	size_t n_secrets;
	int *locks; /* sharing=locked cache directories held */
	size_t n_locks;
	char **mounted; /* images mounted for bind from= */
	size_t n_mounted;
	struct build_context **copies; /* the context's copies bound */
	size_t n_copies;
};

static void run_mounts_undo(struct build *b, struct run_mounts *m)
{
	for (size_t i = 0; i < m->n_secrets; i++) {
		struct berth_error e = { 0 };
		if (secret_remove(b->s, m->secrets[i], &e) < 0)
			build_warn(b, "warning: removing the build secret %s: %s", m->secrets[i],
				   e.msg);
		berth_error_clear(&e);
	}
	strv_free(m->secrets);
	for (size_t i = 0; i < m->n_locks; i++)
		close(m->locks[i]);
	free(m->locks);
	for (size_t i = 0; i < m->n_mounted; i++) {
		struct berth_error e = { 0 };
		if (image_umount(m->mounted[i], &e) < 0)
			build_warn(b, "warning: unmounting %s: %s", m->mounted[i], e.msg);
		berth_error_clear(&e);
	}
	strv_free(m->mounted);
	for (size_t i = 0; i < m->n_copies; i++) {
		context_close(m->copies[i]);
		free(m->copies[i]);
	}
	free(m->copies);
	*m = (struct run_mounts){ 0 };
}

/* run's flag by its long name, as the command line would give it. */
static int rc_flag(struct run_config *rc, const char *name, const char *value,
		   struct berth_error *err)
{
	for (size_t k = 0; k < run_config_n_keys; k++)
		for (size_t f = 0; f < ARRAY_SIZE(run_config_keys[k].flags); f++) {
			const struct run_flag *fl = &run_config_keys[k].flags[f];
			if (fl->name && !strcmp(fl->name, name))
				return run_config_set(rc, fl->letter, value, err);
		}
	return berth_error_set(err, EINVAL, "run has no --%s", name);
}

/* KEY=VALUE options of a --mount, as pairs (a bare key: "true"). */
struct mopt {
	char *type, *target, *id, *source, *from, *sharing, *env, *mode;
	bool required, readonly, rw;
};

static void mopt_clear(struct mopt *o)
{
	free(o->type);
	free(o->target);
	free(o->id);
	free(o->source);
	free(o->from);
	free(o->sharing);
	free(o->env);
	free(o->mode);
}

static int bool_word(const char *v, bool *out)
{
	if (!v || !strcmp(v, "true") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "0"))
		*out = false;
	else
		return -1;
	return 0;
}

/* The switches (required, ro, rw), and the options taken with berth's
 * defaults (uid, gid, size): true when t is one; *r < 0 for a bad value. */
static bool flag_option(const char *t, const char *v, struct mopt *o, int *r)
{
	if (!strcmp(t, "required"))
		*r = bool_word(v, &o->required);
	else if (!strcmp(t, "ro") || !strcmp(t, "readonly"))
		*r = bool_word(v, &o->readonly);
	else if (!strcmp(t, "rw") || !strcmp(t, "readwrite"))
		*r = bool_word(v, &o->rw);
	else if (strcmp(t, "uid") && strcmp(t, "gid") && strcmp(t, "size"))
		return false;
	return true;
}

static int mopt_parse(const char *spec, struct mopt *o, struct berth_error *err)
{
	_cleanup_free_ char *copy = xstrdup(spec);
	char *save = NULL;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *v = strchr(t, '=');
		char **slot = NULL;
		int r = 0;
		if (v)
			*v++ = '\0';
		if (!strcmp(t, "type"))
			slot = &o->type;
		else if (!strcmp(t, "target") || !strcmp(t, "dst") || !strcmp(t, "destination"))
			slot = &o->target;
		else if (!strcmp(t, "id"))
			slot = &o->id;
		else if (!strcmp(t, "source") || !strcmp(t, "src"))
			slot = &o->source;
		else if (!strcmp(t, "from"))
			slot = &o->from;
		else if (!strcmp(t, "sharing"))
			slot = &o->sharing;
		else if (!strcmp(t, "env"))
			slot = &o->env;
		else if (!strcmp(t, "mode"))
			slot = &o->mode;
		else if (flag_option(t, v, o, &r))
			;
		else
			return berth_error_set(err, EINVAL, "RUN --mount=%s: unknown option %s",
					       spec, t);
		if (r < 0)
			return berth_error_set(err, EINVAL,
					       "RUN --mount=%s: %s=%s: not true or false", spec, t,
					       v);
		if (!slot)
			continue;
		if (!v || !*v)
			return berth_error_set(err, EINVAL, "RUN --mount=%s: %s needs a value",
					       spec, t);
		free(*slot);
		*slot = xstrdup(v);
	}
	if (!o->type)
		o->type = xstrdup("bind");
	return 0;
}

/* The build secret id's value, from --secret id=ID,src=PATH|env=VAR
 * (src alone: a file; neither: the environment variable ID). 1 when
 * found, 0 when --secret names no such id. */
static int secret_value(struct build *b, const char *id, char **data, size_t *len,
			struct berth_error *err)
{
	for (char *const *p = b->o->secrets; p && *p; p++) {
		_cleanup_free_ char *copy = xstrdup(*p), *sid = NULL, *src = NULL, *env = NULL;
		char *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			char *v = strchr(t, '=');
			if (!v)
				continue;
			*v++ = '\0';
			if (!strcmp(t, "id"))
				sid = xstrdup(v);
			else if (!strcmp(t, "src") || !strcmp(t, "source"))
				src = xstrdup(v);
			else if (!strcmp(t, "env"))
				env = xstrdup(v);
		}
		if (!sid || strcmp(sid, id))
			continue;
		if (src) {
			_cleanup_close_ int fd = open(src, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
			if (fd < 0)
				return berth_error_set(err, errno, "--secret id=%s: %s", id, src);
			if (read_fd_all(fd, BUILD_SECRET_MAX, data, len, err) < 0)
				return berth_error_wrap(err, "--secret id=%s", id);
			return 1;
		}
		const char *v = getenv(env ? env : id);
		if (!v)
			return berth_error_set(err, ENOENT,
					       "--secret id=%s: the environment has no %s", id,
					       env ? env : id);
		*data = xstrdup(v);
		*len = strlen(v);
		return 1;
	}
	return 0;
}

static int mount_secret(struct build *b, struct run_config *rc, const struct mopt *o,
			struct run_mounts *m, struct berth_error *err)
{
	_cleanup_free_ char *data = NULL, *name = NULL, *flag = NULL;
	const char *id = o->id ? o->id : (o->target ? strrchr(o->target, '/') + 1 : NULL);
	size_t len = 0;
	int r;

	if (!id || !*id)
		return berth_error_set(err, EINVAL, "RUN --mount=type=secret needs an id");
	if ((r = secret_value(b, id, &data, &len, err)) < 0)
		return -1;
	if (r == 0) {
		if (o->required)
			return berth_error_set(
				err, ENOENT, "RUN --mount=type=secret,id=%s: no --secret gives it",
				id);
		return 0; /* docker: an optional secret not given is simply absent */
	}
	/* a secret of the store for the step's life: what run mounts on a
	 * tmpfs, by name; its value is in secrets/ only */
	name = xasprintf("berth-build-%d-%zu-%s", (int)getpid(), m->n_secrets, id);
	for (char *p = name; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
			    *p))
			*p = '_';
	if (secret_create(b->s, name, data, len, err) < 0)
		return -1;
	explicit_bzero(data, len);
	strv_push(&m->secrets, &m->n_secrets, name);
	if (o->env)
		flag = xasprintf("%s,type=env,target=%s", name, o->env);
	else
		flag = xasprintf("%s,target=%s%s%s", name, o->target ? o->target : "/run/secrets/",
				 o->target ? "" : id, o->mode ? ",mode=" : "");
	if (o->mode && !o->env) {
		char *f2 = xasprintf("%s%s", flag, o->mode);
		free(flag);
		flag = f2;
	}
	return rc_flag(rc, "secret", flag, err);
}

static int mount_cache(struct build *b, struct run_config *rc, const struct mopt *o,
		       struct run_mounts *m, struct berth_error *err)
{
	_cleanup_free_ char *path = NULL, *flag = NULL;
	const char *id = o->id ? o->id : o->target;

	if (o->from || o->source)
		return berth_error_set(
			err, ENOTSUP,
			"RUN --mount=type=cache: from= and source= are not supported");
	if (o->sharing && strcmp(o->sharing, "shared") && strcmp(o->sharing, "locked") &&
	    strcmp(o->sharing, "private"))
		return berth_error_set(err, EINVAL,
				       "RUN --mount=type=cache,sharing=%s: expected shared, locked "
				       "or private",
				       o->sharing);
	/* BuildKit's id is any string (the target by default): a name the
	 * store can hold stands for itself, another for its digest */
	char digest[DIGEST_STR_LEN + 1];
	_cleanup_free_ char *name = NULL;
	if (strchr(id, '/') || strstr(id, "..") || strlen(id) > 64) {
		sha256_bytes(id, strlen(id), digest);
		name = xasprintf("id-%.32s", digest_hex(digest));
	}
	int dfd = build_cache_mount_dir(b->s, name ? name : id, &path, err);
	if (dfd < 0)
		return -1;
	close(dfd);
	/* locked and private: one step at a time uses the directory (a
	 * private copy per build would cost what the cache saves) */
	if (o->sharing && strcmp(o->sharing, "shared")) {
		int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || flock(fd, LOCK_EX) < 0) {
			if (fd >= 0)
				close(fd);
			return berth_error_set(err, errno, "locking the cache mount %s", id);
		}
		m->locks = xrealloc(m->locks, (m->n_locks + 1) * sizeof(int));
		m->locks[m->n_locks++] = fd;
	}
	flag = xasprintf("type=bind,source=%s,target=%s%s", path, o->target,
			 o->readonly ? ",readonly" : "");
	return rc_flag(rc, "mount", flag, err);
}

/* The image from= names: a stage's (built already: the target needs
 * it) or an image's, pulled as --pull says. */
static int bind_image(struct build *b, struct stage_run *st, const char *from,
		      char id[DIGEST_STR_LEN + 1], struct berth_error *err)
{
	struct stage_run *dep = build_stage_named(b, from, st->index);
	struct pull_opts po = { .ref = from, .quiet = true };

	if (dep) {
		if (!dep->image[0])
			return berth_error_set(err, ENOENT, "from=%s: that stage has no files",
					       from);
		snprintf(id, DIGEST_STR_LEN + 1, "%s", dep->image);
		return 0;
	}
	if (image_pull_policy(b->s, b->o->pull, &po, err) < 0 ||
	    image_resolve(b->s, from, id, err) < 0)
		return berth_error_wrap(err, "from=%s", from);
	return 0;
}

/* type=bind,from=STAGE|IMAGE: that image mounted read-only by berth-fs
 * for the step, and source= bound from it. The source is resolved in
 * the image's own tree first (its links followed inside the image, as
 * RESOLVE_IN_ROOT would), so the host path handed to the bind has no
 * link in it that could lead out of the mount. */
static int bind_from(struct build *b, struct stage_run *st, struct run_config *rc,
		     const struct mopt *o, struct run_mounts *m, struct berth_error *err)
{
	char id[DIGEST_STR_LEN + 1];
	_cleanup_free_ char *resolved = NULL, *mp = NULL, *flag = NULL;
	struct bfs_stack stack;
	bool missing = false;
	int r;

	if (o->rw)
		return berth_error_set(err, ENOTSUP,
				       "RUN --mount=type=bind,from=%s,rw: binds are "
				       "read-only",
				       o->from);
	if (bind_image(b, st, o->from, id, err) < 0 || image_open_stack(b->s, id, &stack, err) < 0)
		return -1;
	r = bfs_stack_resolve(&stack, o->source ? o->source : "/", 0, &resolved, &missing, err);
	image_close_stack(&stack);
	if (r < 0)
		return berth_error_wrap(err, "RUN --mount=type=bind,from=%s,source=%s", o->from,
					o->source ? o->source : "/");
	if (missing)
		return berth_error_set(err, ENOENT, "RUN --mount=type=bind,from=%s: no %s in it",
				       o->from, o->source ? o->source : "/");
	mp = xasprintf("%s/tmp/%s/bind-%zu", b->s->root, b->stage->name, m->n_mounted);
	if (mkdir(mp, 0700) < 0 && errno != EEXIST)
		return berth_error_set(err, errno, "a mount point for from=%s", o->from);
	if (image_mount(b->s, id, mp, NULL, err) < 0)
		return berth_error_wrap(err, "RUN --mount=type=bind,from=%s", o->from);
	strv_push(&m->mounted, &m->n_mounted, mp);
	flag = xasprintf("type=bind,source=%s%s,target=%s,readonly", mp,
			 strcmp(resolved, "/") ? resolved : "", o->target);
	return rc_flag(rc, "mount", flag, err);
}

/* Does a relative path climb above where it starts ("../x", "a/../..")? */
static bool climbs_out(const char *path)
{
	_cleanup_free_ char *copy = xstrdup(path);
	char *save = NULL;
	long depth = 0;

	if (*path == '/')
		return false; /* "/x" is the context's x */
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, ".."))
			depth--;
		else if (strcmp(c, "."))
			depth++;
		if (depth < 0)
			return true;
	}
	return false;
}

/* A context path, read-only: found beneath the context's root, as
 * COPY's sources are; a source that climbs out of it ("../..") is
 * refused, as the issue of bind mounts asks (COPY's "../x" is the
 * context's x, as docker has it). */
/* The context's src as the build sees it (without what .dockerignore
 * excludes), copied into a stage of its own: COPY's layer of it, read
 * back as a tar context. */
static int bind_copy(struct build *b, const char *src, struct build_context *copy,
		     struct berth_error *err)
{
	char *const srcs[] = { (char *)src };
	struct copy_spec c = {
		.ctx = &b->ctx, .sources = srcs, .n_sources = 1, .dest = "/", .mtime_clamp = -1
	};
	_cleanup_close_ int fd = openat(b->stage->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0)
		return berth_error_set(err, errno, "a file for a bind mount's copy");
	if (copy_write_layer(&c, fd, err) < 0)
		return -1;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return berth_error_set(err, errno, "a bind mount's copy");
	return context_open_tar(b->s, fd, copy, err);
}

static int mount_bind(struct build *b, struct stage_run *st, struct run_config *rc,
		      const struct mopt *o, struct run_mounts *m, struct berth_error *err)
{
	const char *src = o->source ? o->source : "/";
	char *const pat[] = { (char *)src };
	_cleanup_free_ char *proc = NULL, *flag = NULL;
	struct ctx_match *mt = NULL;
	struct build_context *copy;
	char root[PATH_MAX];
	size_t n = 0;
	ssize_t rl;
	bool dir;

	if (o->from)
		return bind_from(b, st, rc, o, m, err);
	if (b->ctx.dirfd < 0)
		return berth_error_set(err, ENOENT,
				       "RUN --mount=type=bind: the build has no context");
	if (climbs_out(src))
		return berth_error_set(err, EPERM,
				       "RUN --mount=type=bind,source=%s: outside the build context",
				       src);
	if (context_match(&b->ctx, pat, 1, &mt, &n, err) < 0)
		return berth_error_wrap(err, "RUN --mount=type=bind,source=%s", src);
	dir = mt[0].dir;
	ctx_matches_free(mt, n);
	/* the step sees the context as the build does, never the files
	 * .dockerignore excludes; with rw it writes into that copy, which
	 * goes after the step (BuildKit's rw) */
	copy = xcalloc(1, sizeof(*copy));
	if (bind_copy(b, src, copy, err) < 0) {
		free(copy);
		return berth_error_wrap(err, "RUN --mount=type=bind,source=%s", src);
	}
	m->copies = xrealloc(m->copies, (m->n_copies + 1) * sizeof(*m->copies));
	m->copies[m->n_copies++] = copy;
	proc = xasprintf("/proc/self/fd/%d", copy->dirfd);
	if ((rl = readlink(proc, root, sizeof(root) - 1)) < 0)
		return berth_error_set(err, errno, "a bind mount's copy");
	root[rl] = '\0';
	/* a file source was copied into the copy's root under its name */
	_cleanup_free_ char *base =
		dir ? NULL : xstrdup(strrchr(src, '/') ? strrchr(src, '/') + 1 : src);
	flag = xasprintf("type=bind,source=%s%s%s,target=%s%s", root, base ? "/" : "",
			 base ? base : "", o->target, o->rw ? "" : ",readonly");
	return rc_flag(rc, "mount", flag, err);
}

static int step_mounts(struct build *b, struct stage_run *st, const struct df_instr *in,
		       struct run_config *rc, struct run_mounts *m, struct berth_error *err)
{
	for (size_t i = 0; i < in->n_flags; i++) {
		struct mopt o = { 0 };
		int r;
		if (strcmp(in->flags[i].name, "mount"))
			continue;
		if (!in->flags[i].value || mopt_parse(in->flags[i].value, &o, err) < 0) {
			mopt_clear(&o);
			return err->msg ? -1
					: berth_error_set(err, EINVAL, "RUN --mount needs a value");
		}
		if (!o.target && strcmp(o.type, "secret")) {
			mopt_clear(&o);
			return berth_error_set(err, EINVAL, "RUN --mount=%s: no target",
					       in->flags[i].value);
		}
		if (!strcmp(o.type, "cache"))
			r = mount_cache(b, rc, &o, m, err);
		else if (!strcmp(o.type, "secret"))
			r = mount_secret(b, rc, &o, m, err);
		else if (!strcmp(o.type, "bind"))
			r = mount_bind(b, st, rc, &o, m, err);
		else if (!strcmp(o.type, "tmpfs"))
			r = rc_flag(rc, "tmpfs", o.target, err);
		else
			r = berth_error_set(
				err, EINVAL,
				"RUN --mount type=%s: expected cache, secret, bind or tmpfs",
				o.type);
		mopt_clear(&o);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* What a RUN's bind mounts hold, for its cache key (BuildKit keys them
 * too): a context source by its files' digest (as COPY's), a from= one
 * by the image's ID and the path. One line each into f. */
int runstep_mount_key(struct build *b, struct stage_run *st, const struct df_instr *in, FILE *f,
		      struct berth_error *err)
{
	for (size_t i = 0; i < in->n_flags; i++) {
		struct mopt o = { 0 };
		char digest[DIGEST_STR_LEN + 1];
		int r = 0;
		if (strcmp(in->flags[i].name, "mount") || !in->flags[i].value)
			continue;
		if (mopt_parse(in->flags[i].value, &o, err) < 0) {
			mopt_clear(&o);
			return -1;
		}
		if (!strcmp(o.type, "bind") && o.from) {
			r = bind_image(b, st, o.from, digest, err);
			if (r == 0)
				fprintf(f, "\nbind %s %s %s", digest, o.source ? o.source : "/",
					o.target ? o.target : "");
		} else if (!strcmp(o.type, "bind") && b->ctx.dirfd >= 0 &&
			   !climbs_out(o.source ? o.source : "/")) {
			char *const src[] = { o.source ? o.source : "/" };
			struct copy_spec c = { .ctx = &b->ctx,
					       .sources = src,
					       .n_sources = 1,
					       .dest = "/mount/",
					       .mtime_clamp = -1 };
			r = copy_digest(&c, digest, err);
			if (r == 0)
				fprintf(f, "\nbind %s %s %s", digest, src[0],
					o.target ? o.target : "");
		}
		mopt_clear(&o);
		if (r < 0)
			return berth_error_wrap(err, "RUN --mount=%s", in->flags[i].value);
	}
	return 0;
}

/* ---- the step containers a killed build left ---- */

/* A step's container is labelled with its builder: "PID:START" (START:
 * the process's start time in clock ticks, /proc/PID/stat's 22nd field,
 * so a reused PID is not taken for it). */
#define STEP_LABEL "berth.build.step"

static unsigned long long proc_start(pid_t pid)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/stat", (int)pid), *text = NULL;
	struct berth_error e = { 0 };
	unsigned long long start = 0;
	size_t len;
	char *p;

	if (read_file_at(AT_FDCWD, path, 4096, &text, &len, &e) < 0) {
		berth_error_clear(&e);
		return 0;
	}
	/* after the command's ")" (which may hold spaces): field 3 on */
	if (!(p = strrchr(text, ')')))
		return 0;
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	return start;
}

static char *step_mark(void)
{
	return xasprintf("%d:%llu", (int)getpid(), proc_start(getpid()));
}

static bool mark_alive(const char *mark)
{
	unsigned long long start;
	int pid;

	if (sscanf(mark, "%d:%llu", &pid, &start) != 2 || pid <= 0)
		return false;
	return proc_start(pid) == start && start != 0;
}

/* The store secrets a killed build's steps left (berth-build-PID-...,
 * PID gone): a build secret's value must not outlive its step. */
static void sweep_secrets(struct build *b)
{
	struct berth_error e = { 0 };
	char **names = NULL;
	size_t n = 0;
	int pid;

	if (secret_list(b->s, &names, &n, &e) < 0) {
		berth_error_clear(&e);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (sscanf(names[i], "berth-build-%d-", &pid) != 1 || pid <= 0 ||
		    kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		if (secret_remove(b->s, names[i], &e) == 0)
			build_warn(b, "removed the build secret a killed build left (%s)",
				   names[i]);
		berth_error_clear(&e);
	}
	strv_free(names);
}

void runstep_sweep(struct build *b)
{
	char **ids = NULL;
	size_t n = 0;
	struct berth_error e = { 0 };

	if (container_list(b->s, &ids, &n, &e) < 0) {
		berth_error_clear(&e);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		_cleanup_json_ struct json_object *cfg = container_config(b->s, ids[i], &e);
		struct json_object *labels = NULL;
		const char *mark;
		berth_error_clear(&e);
		if (!cfg || !json_object_object_get_ex(cfg, "Labels", &labels) ||
		    !(mark = json_get_string(labels, STEP_LABEL)) || mark_alive(mark))
			continue;
		if (engine_remove(b->s, ids[i], true, true, &e) == 0)
			build_warn(b, "removed the step container %.12s of a build that was killed",
				   ids[i]);
		berth_error_clear(&e);
	}
	strv_free(ids);
	sweep_secrets(b);
}

/* The step's network: RUN --network, else the build's. */
static int step_network(struct build *b, const struct df_instr *in, struct run_config *rc,
			struct berth_error *err)
{
	const struct df_flag *f = df_flag_get(in, "network");
	const char *net = f ? f->value : b->o->network;

	/* run's own default, slirp4netns, without the way to the host's
	 * 127.0.0.1 that `run` gives: a build step is no local development
	 * session, and its recipe may be someone else's (docs/security.md) */
	if (!net || !strcmp(net, "default"))
		return rc_flag(rc, "no-host-loopback", NULL, err);
	if (strcmp(net, "none") && strcmp(net, "host"))
		return berth_error_set(err, EINVAL, "--network=%s: expected default, none or host",
				       net);
	return rc_flag(rc, "network", net, err);
}

/* Env: the config's, then the build args in scope it does not set,
 * then the proxy args --build-arg gave. */
static int step_env(struct build *b, struct stage_run *st, struct run_config *rc,
		    struct berth_error *err)
{
	struct json_object *env;

	if (json_object_object_get_ex(stepconf_cfg(st), "Env", &env) &&
	    json_object_is_type(env, json_type_array))
		for (size_t i = 0; i < json_object_array_length(env); i++) {
			const char *e = json_object_get_string(json_object_array_get_idx(env, i));
			if (e && strchr(e, '=') && rc_flag(rc, "env", e, err) < 0)
				return -1;
		}
	for (size_t i = 0; i < st->n_args; i++) {
		_cleanup_free_ char *name = xstrndup(st->args[i], strcspn(st->args[i], "="));
		if (strchr(st->args[i], '=') && !build_lookup_env(st, name) &&
		    rc_flag(rc, "env", st->args[i], err) < 0)
			return -1;
	}
	for (size_t i = 0; i < b->n_given; i++) {
		_cleanup_free_ char *name = xstrndup(b->given[i], strcspn(b->given[i], "="));
		if (build_is_proxy_arg(name) && rc_flag(rc, "env", b->given[i], err) < 0)
			return -1;
	}
	return 0;
}

static int step_config(struct build *b, struct stage_run *st, const struct df_instr *in,
		       struct run_config *rc, struct run_mounts *m, struct berth_error *err)
{
	const char *user = json_get_string(stepconf_cfg(st), "User");
	const char *wd = json_get_string(stepconf_cfg(st), "WorkingDir");

	_cleanup_free_ char *mark = step_mark(), *label = xasprintf(STEP_LABEL "=%s", mark);

	if (step_env(b, st, rc, err) < 0 || (user && *user && rc_flag(rc, "user", user, err) < 0) ||
	    rc_flag(rc, "label", label, err) < 0 ||
	    /* an init as pid 1: Ctrl-C reaches the step's command, which a
	     * namespace's pid 1 would ignore (and reaps what it leaves) */
	    rc_flag(rc, "init", NULL, err) < 0 ||
	    (wd && *wd && rc_flag(rc, "workdir", wd, err) < 0) ||
	    rc_flag(rc, "entrypoint", "", err) < 0 || step_network(b, in, rc, err) < 0 ||
	    step_mounts(b, st, in, rc, m, err) < 0)
		return -1;
	for (size_t i = 0; i < in->n_flags; i++)
		if (strcmp(in->flags[i].name, "mount") && strcmp(in->flags[i].name, "network"))
			return berth_error_set(err, ENOTSUP, "RUN --%s is not supported by berth",
					       in->flags[i].name);
	rc->image_ref = xstrdup(st->image);
	rc->args = stepconf_run_argv(st, in);
	rc->n_args = 0;
	while (rc->args[rc->n_args])
		rc->n_args++;
	/* VOLUMEs declared so far are the image's, not the step's: what a
	 * later RUN writes there is kept in the layer (BuildKit's rule) */
	rc->no_image_volumes = true;
	return run_config_finish(rc, err);
}

static void say_step(void *arg, const char *line)
{
	struct build *b = arg;

	/* the single-id mapping's warning, once per build, not per step */
	if (strstr(line, "no subuid/subgid range")) {
		if (b->said_single_id)
			return;
		b->said_single_id = true;
	}
	build_warn(b, "%s", line);
}

int runstep_exec(struct build *b, struct stage_run *st, const struct df_instr *in, int layer_fd,
		 size_t *n_entries, struct berth_error *err)
{
	struct run_config rc;
	struct run_mounts m = { 0 };
	char id[CONTAINER_ID_LEN + 1] = "";
	struct engine_start how = { .attach = true, .say = say_step, .say_arg = b };
	struct engine_end end = { 0 };
	struct liveview *view = NULL;
	_cleanup_free_ char *dir = NULL;
	int r = -1;

	/* FROM scratch with nothing copied yet: no file, no shell */
	if (!st->image[0])
		return berth_error_set(err, ENOENT,
				       "RUN on an empty image (FROM scratch, nothing copied yet): "
				       "there is no file to run");
	run_config_init(&rc);
	if (step_config(b, st, in, &rc, &m, err) < 0 || engine_create(b->s, &rc, id, err) < 0)
		goto out;
	/* -q: the output kept for a failure; a terminal: the live view */
	if (b->o->quiet || b->tty)
		view = liveview_begin(b->o->quiet ? NULL : b->o->out, b->stage->dirfd, b->title);
	r = engine_start(b->s, id, &how, &end, err);
	liveview_end(view, r < 0 || end.status != 0);
	/* the engine's forwarding handlers stay: the build's again */
	build_signals_arm();
	build_note_interrupt(end.signal);
	if (r == 0 && build_check_interrupt(err) < 0)
		r = -1;
	if (r < 0)
		goto out;
	r = -1;
	if (end.status != 0) {
		_cleanup_free_ char *cmd = stepconf_run_text(st, in);
		berth_error_set(err, 0,
				"process \"%s\" did not complete successfully: exit code: %d", cmd,
				end.status);
		goto out;
	}
	dir = xasprintf("%s/containers/%s", b->s->root, id);
	r = container_layer_write(b->s, dir, st->image, b->o->timestamp, layer_fd, n_entries, err);
out:
	if (id[0]) {
		struct berth_error e = { 0 };
		if (engine_remove(b->s, id, true, true, &e) < 0)
			build_warn(b, "warning: removing the step's container %.12s: %s", id,
				   e.msg);
		berth_error_clear(&e);
	}
	run_mounts_undo(b, &m);
	run_config_clear(&rc);
	return r;
}
