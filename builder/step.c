// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * step.c: one instruction of a stage. The ones that only change the
 * image's config (ENV, LABEL, USER, EXPOSE, VOLUME, CMD, ENTRYPOINT,
 * STOPSIGNAL, SHELL, HEALTHCHECK, ONBUILD, MAINTAINER, ARG) change the
 * stage's config and its history (empty_layer), and extend the cache's
 * chain with their text after substitution. The ones that make a layer
 * (RUN, COPY, ADD, WORKDIR when the directory is missing) are looked up
 * in the step cache by their key (the chain, the instruction after
 * substitution, for RUN the build args in scope, for COPY and ADD the
 * sources' digest); on a miss the layer is made (runstep.c, copy.c)
 * into an unlinked file of the build's stage and assembled into an
 * intermediate image that the cache records.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "../image/assemble.h"
#include "../image/image.h"
#include "../image/pull-policy.h"
#include "../image/tree.h"
#include "../lib/json.h"
#include "../lib/util.h"
#include "build.h"
#include "cache.h"
#include "copy.h"
#include "expand.h"
#include "state.h"
#include "stepconf.h"

DEFINE_CLEANUP_FUNC(char **, strv_free)

void build_history_add(struct build *b, struct stage_run *st, const char *created_by,
		       bool empty_layer)
{
	struct json_object *hist, *h = json_object_new_object();
	char when[64];
	time_t t = (time_t)b->now;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!json_object_object_get_ex(st->config, "history", &hist) ||
	    !json_object_is_type(hist, json_type_array)) {
		hist = json_object_new_array();
		json_object_object_add(st->config, "history", hist);
	}
	json_object_object_add(h, "created", json_object_new_string(when));
	json_object_object_add(h, "created_by", json_object_new_string(created_by));
	json_object_object_add(h, "comment", json_object_new_string("buildkit.dockerfile.v0"));
	if (empty_layer)
		json_object_object_add(h, "empty_layer", json_object_new_boolean(true));
	json_object_array_add(hist, h);
	json_object_object_add(st->config, "created", json_object_new_string(when));
}

/* The next link of the cache's chain: sha256 of the parent's key and
 * what the step is. */
static void chain(const char *parent, const char *what, char out[DIGEST_STR_LEN + 1])
{
	_cleanup_free_ char *s = xasprintf("%s\n%s", parent, what);
	sha256_bytes(s, strlen(s), out);
}

/* ---- making a layer ---- */

int step_commit(struct build *b, struct stage_run *st, int layer_fd, const char *key,
		struct berth_error *err)
{
	struct assemble a = { .base_id = st->image[0] ? st->image : NULL,
			      .layer_fd = layer_fd,
			      .config = st->config,
			      .intermediate = true };
	char id[DIGEST_STR_LEN + 1];

	if (layer_fd >= 0 && lseek(layer_fd, 0, SEEK_SET) < 0)
		return berth_error_set(err, errno, "the step's layer");
	if (image_assemble(b->s, &a, id, err) < 0)
		return -1;
	snprintf(st->image, sizeof(st->image), "%s", id);
	if (key && build_cache_record(b->s, key, id, err) < 0)
		return -1;
	return 0;
}

/* An unlinked file in the build's stage for a layer. */
static int layer_file(struct build *b, struct berth_error *err)
{
	int fd = openat(b->stage->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0)
		return berth_error_set(err, errno, "a file for the step's layer in the store");
	return fd;
}

/* Has image id one layer more than base (""): did the cached step
 * make a layer (a RUN that changed nothing made none)? */
static bool image_adds_layer(struct build *b, const char *base, const char *id)
{
	struct image *ib = NULL, *ii = NULL;
	struct berth_error e = { 0 };
	bool more = true;

	if (image_read(b->s, id, &ii, &e) == 0 && (!*base || image_read(b->s, base, &ib, &e) == 0))
		more = ii->n_layers > (ib ? ib->n_layers : 0);
	berth_error_clear(&e);
	if (ib)
		image_free(ib);
	if (ii)
		image_free(ii);
	return more;
}

/* What makes a layered step's layer into fd: *n entries (0: none). */
typedef int make_layer_fn(struct build *b, struct stage_run *st, const struct df_instr *in,
			  void *arg, int fd, size_t *n, struct berth_error *err);

/* A step that makes a layer: from the cache when its key is there,
 * else made, assembled and recorded. created_by goes into history. */
static int layered(struct build *b, struct stage_run *st, const struct df_instr *in,
		   const char *what, const char *created_by, make_layer_fn *make, void *arg,
		   struct berth_error *err)
{
	char key[DIGEST_STR_LEN + 1], id[DIGEST_STR_LEN + 1];
	_cleanup_close_ int fd = -1;
	size_t n = 0;

	chain(st->key, what, key);
	if (!b->o->no_cache && build_cache_lookup(b->s, key, id) == 1) {
		/* the layers are the cached image's; the config stays the
		 * build's own (its LABELs, EXPOSEs... may have changed: they
		 * do not key a step, as in BuildKit) */
		build_history_add(b, st, created_by, !image_adds_layer(b, st->image, id));
		snprintf(st->image, sizeof(st->image), "%s", id);
		chain(key, st->image, st->key);
		if (b->tty && in->kind == DF_RUN)
			build_print(b, "%s", b->title);
		build_print(b, "--> Using cache %s", digest_hex(id));
		return 0;
	}
	if ((fd = layer_file(b, err)) < 0 || make(b, st, in, arg, fd, &n, err) < 0)
		return -1;
	build_history_add(b, st, created_by, n == 0);
	if (step_commit(b, st, n ? fd : -1, key, err) < 0)
		return -1;
	/* after a step that ran, what follows keys on what it made */
	chain(key, st->image, st->key);
	build_print(b, "--> %.12s", digest_hex(st->image));
	return 0;
}

/* ---- RUN ---- */

static int make_run(struct build *b, struct stage_run *st, const struct df_instr *in, void *arg,
		    int fd, size_t *n, struct berth_error *err)
{
	(void)arg;
	return runstep_exec(b, st, in, fd, n, err);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The build args in scope with values, "NAME=VALUE" sorted: part of a
 * RUN's key and of its history text (docker's "|N A=1 B=2"). */
static char **run_args(struct stage_run *st, size_t *n)
{
	char **v = NULL;

	*n = 0;
	for (size_t i = 0; i < st->n_args; i++) {
		if (!strchr(st->args[i], '='))
			continue;
		/* an ENV of the same name is what the step sees, and says */
		_cleanup_free_ char *name = xstrndup(st->args[i], strcspn(st->args[i], "="));
		const char *env = build_lookup_env(st, name);
		_cleanup_free_ char *kv = env ? xasprintf("%s=%s", name, env) : NULL;
		strv_push(&v, n, kv ? kv : st->args[i]);
	}
	if (*n)
		qsort(v, *n, sizeof(*v), str_cmp);
	return v;
}

static int step_run_cmd(struct build *b, struct stage_run *st, const struct df_instr *in,
			struct berth_error *err)
{
	_cleanup_(strv_freep) char **args = NULL;
	_cleanup_free_ char *what = NULL, *by = NULL, *cmd = stepconf_run_text(st, in);
	size_t n = 0;
	FILE *f;
	size_t len = 0;

	args = run_args(st, &n);
	f = open_memstream(&what, &len);
	/* the command as it runs: SHELL's change reruns it */
	fprintf(f, "RUN\n%s\n%s", in->text, cmd);
	for (size_t i = 0; i < in->n_heredocs; i++)
		fprintf(f, "\n<<%s\n%s", in->heredocs[i].name, in->heredocs[i].body);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "\n%s", args[i]);
	int mk = runstep_mount_key(b, st, in, f, err);
	fclose(f);
	if (mk < 0)
		return -1;
	len = 0;
	f = open_memstream(&by, &len);
	fputs("RUN ", f);
	if (n) {
		fprintf(f, "|%zu", n);
		for (size_t i = 0; i < n; i++)
			fprintf(f, " %s", args[i]);
		fputc(' ', f);
	}
	fprintf(f, "%s # buildkit", cmd);
	fclose(f);
	return layered(b, st, in, what, by, make_run, NULL, err);
}

/* ---- COPY, ADD, WORKDIR ---- */

struct copy_step {
	struct copy_spec spec;
	struct bfs_stack base, from;
	bool have_base, have_from;
};

static void copy_step_clear(struct copy_step *c)
{
	if (c->have_base)
		image_close_stack(&c->base);
	if (c->have_from)
		image_close_stack(&c->from);
}

static int make_copy(struct build *b, struct stage_run *st, const struct df_instr *in, void *arg,
		     int fd, size_t *n, struct berth_error *err)
{
	struct copy_step *c = arg;

	(void)b;
	(void)st;
	(void)in;
	if (copy_write_layer(&c->spec, fd, err) < 0)
		return -1;
	*n = 1; /* a COPY always makes a layer, as docker's */
	return 0;
}

/* --from: a stage (built already, as the target needs it) or an image. */
static int copy_from(struct build *b, struct stage_run *st, const char *from, struct copy_step *c,
		     struct berth_error *err)
{
	struct stage_run *dep = build_stage_named(b, from, st->index);
	char id[DIGEST_STR_LEN + 1];

	if (dep) {
		if (!dep->image[0])
			return 1; /* a stage with no layer: nothing to copy from */
		snprintf(id, sizeof(id), "%s", dep->image);
	} else {
		struct pull_opts po = { .ref = from, .quiet = true };
		if (image_pull_policy(b->s, b->o->pull, &po, err) < 0 ||
		    image_resolve(b->s, from, id, err) < 0)
			return berth_error_wrap(err, "--from=%s", from);
	}
	if (image_open_stack(b->s, id, &c->from, err) < 0)
		return -1;
	c->have_from = true;
	c->spec.from = &c->from;
	return 0;
}

static int step_copy(struct build *b, struct stage_run *st, const struct df_instr *in,
		     struct berth_error *err)
{
	struct copy_step c = { .spec = { .ctx = &b->ctx, .mtime_clamp = b->o->timestamp } };
	struct stepconf_copy sc = { 0 };
	char digest[DIGEST_STR_LEN + 1];
	_cleanup_free_ char *what = NULL, *by = NULL;
	int r = -1;

	if (stepconf_copy_parse(b, st, in, &sc, err) < 0) {
		stepconf_copy_clear(&sc);
		return build_fail_at(b, in, err);
	}
	if (st->image[0] && image_open_stack(b->s, st->image, &c.base, err) < 0)
		goto out;
	c.have_base = st->image[0] != '\0';
	c.spec.base = c.have_base ? &c.base : NULL;
	if (sc.from && (r = copy_from(b, st, sc.from, &c, err)) != 0) {
		if (r > 0) {
			berth_error_set(err, ENOENT, "--from=%s: that stage has no files", sc.from);
			r = -1;
		}
		goto out;
	}
	r = -1;
	c.spec.sources = sc.sources;
	c.spec.n_sources = sc.n_sources;
	c.spec.inline_files = sc.inline_files;
	c.spec.n_inline = sc.n_inline;
	c.spec.dest = sc.dest;
	c.spec.add = in->kind == DF_ADD;
	c.spec.chmod = sc.chmod;
	c.spec.mode = sc.mode;
	if (sc.chown &&
	    copy_resolve_owner(c.spec.base, sc.chown, &c.spec.uid, &c.spec.gid, err) < 0)
		goto out;
	c.spec.chown = sc.chown != NULL;
	if (copy_digest(&c.spec, digest, err) < 0)
		goto out;
	what = xasprintf("%s\n%s\n%s\n%u:%u\n%s", df_kind_name(in->kind), sc.text, digest,
			 c.spec.uid, c.spec.gid, sc.from ? sc.from : "");
	by = xasprintf("%s # buildkit", in->text);
	r = layered(b, st, in, what, by, make_copy, &c, err);
out:
	copy_step_clear(&c);
	stepconf_copy_clear(&sc);
	return r < 0 ? build_fail_at(b, in, err) : 0;
}

struct mkdir_arg {
	const char *path;
	uint32_t uid, gid;
};

static int make_dir(struct build *b, struct stage_run *st, const struct df_instr *in, void *arg,
		    int fd, size_t *n, struct berth_error *err)
{
	struct mkdir_arg *m = arg;
	struct bfs_stack base;
	bool made = false;
	int r;

	(void)in;
	if (!st->image[0])
		return copy_write_mkdir(NULL, m->path, m->uid, m->gid, b->o->timestamp, fd, &made,
					err) < 0
			       ? -1
			       : (*n = made, 0);
	if (image_open_stack(b->s, st->image, &base, err) < 0)
		return -1;
	r = copy_write_mkdir(&base, m->path, m->uid, m->gid, b->o->timestamp, fd, &made, err);
	image_close_stack(&base);
	*n = made;
	return r;
}

/* WORKDIR: the config's, and the directory made when it is missing (as
 * docker does), owned by USER when one is set. */
static int step_workdir(struct build *b, struct stage_run *st, const struct df_instr *in,
			struct berth_error *err)
{
	_cleanup_free_ char *dir = NULL, *what = NULL, *by = NULL;
	struct mkdir_arg m = { 0 };

	if (stepconf_workdir(b, st, in, &dir, err) < 0)
		return build_fail_at(b, in, err);
	m.path = dir;
	if (stepconf_user_ids(b, st, &m.uid, &m.gid, err) < 0)
		return build_fail_at(b, in, err);
	what = xasprintf("WORKDIR\n%s\n%u:%u", dir, m.uid, m.gid);
	by = xasprintf("WORKDIR %s", dir);
	return layered(b, st, in, what, by, make_dir, &m, err) < 0 ? build_fail_at(b, in, err) : 0;
}

/* ---- the rest: the config only ---- */

static int step_config(struct build *b, struct stage_run *st, const struct df_instr *in,
		       struct berth_error *err)
{
	_cleanup_free_ char *by = NULL;
	char key[DIGEST_STR_LEN + 1];

	if (stepconf_apply(b, st, in, &by, err) < 0)
		return build_fail_at(b, in, err);
	if (!by) /* ARG: no history, and its value keys the RUNs that see it */
		return 0;
	build_history_add(b, st, by, true);
	/* only what changes how later steps run keys them (BuildKit's
	 * rule): ENV and USER; a LABEL, EXPOSE, CMD... changed reruns
	 * nothing (the final image is keyed on the whole config) */
	if (in->kind == DF_ENV || in->kind == DF_USER) {
		chain(st->key, by, key);
		snprintf(st->key, sizeof(st->key), "%s", key);
	}
	return 0;
}

int step_run(struct build *b, struct stage_run *st, const struct df_instr *in,
	     struct berth_error *err)
{
	switch (in->kind) {
	case DF_RUN: return step_run_cmd(b, st, in, err) < 0 ? build_fail_at(b, in, err) : 0;
	case DF_COPY:
	case DF_ADD: return step_copy(b, st, in, err);
	case DF_WORKDIR: return step_workdir(b, st, in, err);
	case DF_FROM:
		berth_error_set(err, EINVAL, "FROM inside a stage");
		return build_fail_at(b, in, err);
	default: return step_config(b, st, in, err);
	}
}
