// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pull.c: an image from a registry into the store (pull.h). The
 * documents (manifest, index, config) are small and read into memory;
 * layer blobs stream into files of a stage, and `load`'s install unpacks
 * and commits them, so a pulled image is stored exactly as a loaded one.
 * A failure anywhere removes the stage: nothing of the pull remains.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"
#include "load.h"
#include "oci.h"
#include "pull.h"
#include "reference.h"
#include "registry.h"
#include "../lib/json.h"
#include "../lib/util.h"
#include "../lib/xferboard.h"

struct puller {
	struct store *store;
	const struct pull_opts *o;
	struct reference ref;
	char *label; /* the reference as recorded, for messages */
	struct regconf conf;
	struct http_client *http;
	struct registry reg; /* the endpoint that answered */
	struct oci_platform want;
	char top_digest[DIGEST_STR_LEN + 1];
	char *manifest;
	size_t manifest_len;
	char manifest_digest[DIGEST_STR_LEN + 1];
	struct oci_manifest m;
	bool have_m;
	char *config;
	size_t config_len;
	struct store_stage *stage;
	struct xferboard *board; /* o->progress's, or NULL */
	struct pipeline *pipe;	 /* the install beside the download, or NULL */
	struct berth_error *err;
};

void pull_result_clear(struct pull_result *r)
{
	free(r->name);
	memset(r, 0, sizeof(*r));
}

/* The board's out, or say's (xferboard_out). */
static struct xferboard_out out_of(const struct puller *p)
{
	return (struct xferboard_out){
		.board = p->board, .say = p->o->say, .say_arg = p->o->say_arg, .quiet = p->o->quiet
	};
}

static void say(struct puller *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct puller *p, const char *fmt, ...)
{
	struct xferboard_out o = out_of(p);
	va_list ap;

	va_start(ap, fmt);
	xferboard_out_vnote(&o, fmt, ap);
	va_end(ap);
}

/* A layer's new state: its line on the board, or a plain line. */
static void layer_say(struct puller *p, const char *digest, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void layer_say(struct puller *p, const char *digest, const char *fmt, ...)
{
	struct xferboard_out o = out_of(p);
	va_list ap;

	va_start(ap, fmt);
	xferboard_out_vstate(&o, digest_hex(digest), fmt, ap);
	va_end(ap);
}

/* The document the reference names, then down an index to the
 * platform's image manifest, each document's digest checked against
 * what named it. */
static int fetch_manifest(struct puller *p)
{
	_cleanup_free_ char *want = xstrdup(p->ref.digest ? p->ref.digest : p->ref.tag);
	uint64_t want_size = 0;

	for (int depth = 0;; depth++) {
		_cleanup_free_ char *ctype = NULL;
		char *buf = NULL;
		size_t len;
		char digest[DIGEST_STR_LEN + 1];
		const char *type = NULL;
		bool index = false;
		struct oci_index idx;

		if (depth > OCI_MAX_INDEX_DEPTH)
			return berth_error_set(p->err, 0,
					       "%s: image index nested deeper than %d levels",
					       p->label, OCI_MAX_INDEX_DEPTH);
		if (registry_get_manifest(&p->reg, want, &buf, &len, &ctype, digest, p->err) < 0)
			return -1;
		free(p->manifest);
		p->manifest = buf;
		p->manifest_len = len;
		strcpy(p->manifest_digest, digest);
		if (depth == 0)
			strcpy(p->top_digest, digest);
		if (digest_valid(want) && strcmp(want, digest) != 0)
			return berth_error_set(p->err, 0, "%s: manifest %s: its content is %s",
					       p->label, want, digest);
		if (depth > 0 && want_size != len)
			return berth_error_set(p->err, 0,
					       "%s: manifest %s: %zu bytes, the index says %llu",
					       p->label, want, len, (unsigned long long)want_size);
		if (oci_doc_type(buf, len, ctype, &type, &index, p->err) < 0)
			return berth_error_wrap(p->err, "%s: manifest %.19s", p->label, digest);
		if (!index) {
			if (oci_parse_manifest(buf, len, type, &p->m, p->err) < 0)
				return berth_error_wrap(p->err, "%s: manifest %.19s", p->label,
							digest);
			p->have_m = true;
			return 0;
		}
		if (oci_parse_index(buf, len, type, &idx, p->err) < 0)
			return berth_error_wrap(p->err, "%s: image index %.19s", p->label, digest);
		const struct oci_desc *d = oci_index_pick(&idx, &p->want);
		if (!d) {
			_cleanup_free_ char *w = oci_platform_str(&p->want);
			oci_index_clear(&idx);
			return berth_error_set(p->err, 0,
					       "%s: image index %.19s has no image for platform %s "
					       "(use --platform)",
					       p->label, digest, w);
		}
		free(want);
		want = xstrdup(d->digest);
		want_size = d->size;
		oci_index_clear(&idx);
	}
}

static int fetch_config(struct puller *p)
{
	const struct oci_desc *c = &p->m.config;

	/* the store has it: trusted as `load` trusts it */
	if (store_blob_exists(p->store, c->digest)) {
		_cleanup_close_ int fd = store_blob_open(p->store, c->digest, p->err);
		if (fd < 0 ||
		    read_fd_all(fd, OCI_MAX_CONFIG, &p->config, &p->config_len, p->err) < 0)
			return berth_error_wrap(p->err, "%s: config %.19s", p->label, c->digest);
		return 0;
	}
	if (registry_get_blob(&p->reg, c->digest, c->size, OCI_MAX_CONFIG, &p->config,
			      &p->config_len, p->err) < 0)
		return berth_error_wrap(p->err, "%s: config", p->label);
	return 0;
}

/* One endpoint: the registry itself or one of its mirrors. */
static int try_endpoint(struct puller *p, const char *host)
{
	if (registry_open(&p->reg, p->http, &p->conf, host, p->ref.path, p->err) < 0)
		return -1;
	return fetch_manifest(p);
}

static int resolve(struct puller *p)
{
	const struct regconf_registry *rc = regconf_find(&p->conf, p->ref.domain);

	for (char **m = rc ? rc->mirrors : NULL; m && *m; m++) {
		if (try_endpoint(p, *m) == 0)
			return 0;
		/* a mirror that fails is passed over, as docker does */
		_cleanup_free_ char *why = berth_error_text(p->err);
		say(p, "mirror %s: %s; trying the next", *m, why);
		berth_error_clear(p->err);
		registry_close(&p->reg);
		if (p->have_m)
			oci_manifest_clear(&p->m);
		p->have_m = false;
	}
	return try_endpoint(p, p->ref.domain);
}

struct fetch_plan {
	size_t n_layers, n_fetch;
	struct load_staged_layer *layers;
	char (*names)[32];
	struct registry_blob *blobs;
	const char **blob_names; /* [j]: blobs[j]'s name in the stage */
};

/* The install on a thread of its own beside the download: layer i is
 * unpacked as soon as its blob is fetched and checked and the layers
 * below it are unpacked, while the other blobs stream on; the commit
 * waits for the whole download. A failure on either side stops the
 * other, and the stage goes with everything in it. */
struct pipeline {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const struct fetch_plan *f;
	bool *fetched;	  /* [j]: blobs[j] is whole and checked */
	bool fetch_over;  /* the download returned */
	bool fetch_ok;	  /* and every blob is whole and checked */
	bool starved;	  /* the install waited for a blob that never came */
	atomic_bool stop; /* the install failed: the download stops */
	struct store *store;
	struct store_stage *stage;
	const struct load_staged *in;
	struct berth_error err; /* the install's */
	int ret;
};

static void plan_clear(struct fetch_plan *f)
{
	for (size_t i = 0; i < f->n_fetch; i++)
		if (f->blobs[i].fd >= 0)
			close(f->blobs[i].fd);
	free(f->layers);
	free(f->names);
	free(f->blobs);
	free(f->blob_names);
}

static void blob_fetched(const struct registry_blob *b)
{
	struct puller *p = b->data;
	char size[32];

	if (p->pipe) {
		pthread_mutex_lock(&p->pipe->mu);
		p->pipe->fetched[b - p->pipe->f->blobs] = true;
		pthread_cond_broadcast(&p->pipe->cv);
		pthread_mutex_unlock(&p->pipe->mu);
	}
	human_size(b->size, size, sizeof(size));
	layer_say(b->data, b->digest, "Verifying Checksum");
	layer_say(b->data, b->digest, "Download complete (%s)", size);
}

static void blob_bytes(const struct registry_blob *b)
{
	struct puller *p = b->data;

	if (p->board)
		xferboard_bytes(p->board, xferboard_item(p->board, digest_hex(b->digest)),
				"Downloading", b->got, b->size);
}

/* Which layer blobs to fetch (the store has the others; a blob twice in
 * one image is fetched once), each into a new file of the stage. */
static int plan_fetch(struct puller *p, struct fetch_plan *f)
{
	f->n_layers = p->m.n_layers;
	f->layers = xcalloc(f->n_layers, sizeof(*f->layers));
	f->names = xcalloc(f->n_layers, sizeof(*f->names));
	f->blobs = xcalloc(f->n_layers, sizeof(*f->blobs));
	f->blob_names = xcalloc(f->n_layers, sizeof(*f->blob_names));
	for (size_t i = 0; i < f->n_layers; i++) {
		const struct oci_desc *d = &p->m.layers[i];
		struct load_staged_layer *l = &f->layers[i];
		l->digest = d->digest;
		l->size = d->size;
		l->media_type = d->media_type;
		if (store_blob_exists(p->store, d->digest)) {
			layer_say(p, d->digest, "Already exists");
			continue;
		}
		for (size_t k = 0; k < i && !l->staged; k++)
			if (!strcmp(f->layers[k].digest, d->digest))
				l->staged = f->layers[k].staged;
		if (l->staged)
			continue;
		snprintf(f->names[i], sizeof(f->names[i]), "pull-%zu", i);
		int fd = openat(p->stage->dirfd, f->names[i],
				O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return berth_error_set(p->err, errno, "staging blob %s", d->digest);
		l->staged = f->names[i];
		f->blob_names[f->n_fetch] = f->names[i];
		f->blobs[f->n_fetch++] = (struct registry_blob){ .digest = d->digest,
								 .size = d->size,
								 .fd = fd,
								 .done = blob_fetched,
								 .progress = blob_bytes,
								 .data = p };
	}
	return 0;
}

/* The layers to fetch, each said once; those past the parallel ones
 * are said to wait, as docker says it. */
static void announce(struct puller *p, const struct fetch_plan *f)
{
	size_t par = p->o->max_parallel ? p->o->max_parallel : PULL_DEFAULT_PARALLEL;

	for (size_t i = 0; i < f->n_fetch; i++)
		layer_say(p, f->blobs[i].digest, "Pulling fs layer");
	for (size_t i = par; p->board && i < f->n_fetch; i++)
		layer_say(p, f->blobs[i].digest, "Waiting");
}

/* load_staged's await: blocks until the blob staged as name (NULL:
 * every blob) is fetched and checked, or the download is over without it. */
static int await_blob(const char *name, void *data)
{
	struct pipeline *pl = data;
	const struct fetch_plan *f = pl->f;
	size_t j = f->n_fetch;
	bool ok;

	for (size_t k = 0; name && k < f->n_fetch && j == f->n_fetch; k++)
		if (!strcmp(f->blob_names[k], name))
			j = k;
	pthread_mutex_lock(&pl->mu);
	while (!pl->fetch_over && (j == f->n_fetch || !pl->fetched[j]))
		pthread_cond_wait(&pl->cv, &pl->mu);
	ok = j == f->n_fetch ? pl->fetch_ok : pl->fetched[j];
	if (!ok)
		pl->starved = true;
	pthread_mutex_unlock(&pl->mu);
	return ok ? 0 : -1;
}

static void *install_thread(void *arg)
{
	struct pipeline *pl = arg;

	pl->ret = image_install_staged(pl->store, pl->stage, pl->in, &pl->err);
	if (pl->ret < 0)
		atomic_store(&pl->stop, true);
	return NULL;
}

/* The cause of a failure: the install's own, or the download's (an
 * install that only starved for a blob says nothing of its own). */
static int pipeline_result(struct puller *p, struct pipeline *pl, int fetched)
{
	if (pl->ret < 0 && !pl->starved) {
		berth_error_clear(p->err);
		*p->err = pl->err;
		pl->err = (struct berth_error){ 0 };
		return -1;
	}
	if (fetched < 0)
		return berth_error_wrap(p->err, "%s", p->label);
	if (pl->ret < 0) /* cannot be: a starved install means a failed download */
		return berth_error_set(p->err, 0, "%s: its download failed", p->label);
	return 0;
}

/* The blobs of f downloaded while the install unpacks those that are
 * whole (docs/registry.md, "How a pull installs layers"). */
static int install_while_fetching(struct puller *p, struct fetch_plan *f, struct load_staged *in)
{
	struct pipeline pl = { .f = f, .store = p->store, .stage = p->stage, .in = in };
	size_t par = p->o->max_parallel ? p->o->max_parallel : PULL_DEFAULT_PARALLEL;
	pthread_t t;
	int r, e;

	if (!f->n_fetch)
		return image_install_staged(p->store, p->stage, in, p->err);
	pthread_mutex_init(&pl.mu, NULL);
	pthread_cond_init(&pl.cv, NULL);
	atomic_init(&pl.stop, false);
	pl.fetched = xcalloc(f->n_fetch, sizeof(*pl.fetched));
	in->await = await_blob;
	in->await_data = &pl;
	for (size_t j = 0; j < f->n_fetch; j++)
		f->blobs[j].stop = &pl.stop;
	p->pipe = &pl;
	if ((e = pthread_create(&t, NULL, install_thread, &pl)) != 0) {
		r = berth_error_set(p->err, e, "%s: starting the install", p->label);
		goto out;
	}
	r = registry_get_blobs(&p->reg, f->blobs, f->n_fetch, par, p->err);
	pthread_mutex_lock(&pl.mu);
	pl.fetch_over = true;
	pl.fetch_ok = r == 0;
	pthread_cond_broadcast(&pl.cv);
	pthread_mutex_unlock(&pl.mu);
	pthread_join(t, NULL);
	r = pipeline_result(p, &pl, r);
out:
	p->pipe = NULL;
	berth_error_clear(&pl.err);
	free(pl.fetched);
	pthread_cond_destroy(&pl.cv);
	pthread_mutex_destroy(&pl.mu);
	return r;
}

static int fetch_and_install(struct puller *p, struct pull_result *res)
{
	struct fetch_plan f = { 0 };
	struct load_staged in = { 0 };
	int r = -1;

	if (store_stage_new(p->store, &p->stage, p->err) < 0)
		return -1;
	if (plan_fetch(p, &f) < 0)
		goto out;
	announce(p, &f);
	in = (struct load_staged){ .label = p->label,
				   .name = p->label,
				   .config = p->config,
				   .config_len = p->config_len,
				   .config_digest = p->m.config.digest,
				   .manifest = p->manifest,
				   .manifest_len = p->manifest_len,
				   .manifest_digest = p->manifest_digest,
				   .n_layers = f.n_layers,
				   .layers = f.layers,
				   /* the board is the main thread's */
				   .quiet = p->o->quiet || p->board,
				   .limits = p->o->limits };
	if (install_while_fetching(p, &f, &in) < 0)
		goto out;
	for (size_t i = 0; i < f.n_fetch; i++)
		layer_say(p, f.blobs[i].digest, "Pull complete");
	res->fetched = f.n_fetch;
	res->present = 0;
	for (size_t i = 0; i < f.n_layers; i++)
		res->present += !f.layers[i].staged;
	r = 0;
out:
	plan_clear(&f);
	return r;
}

int image_pull(struct store *s, const struct pull_opts *o, struct pull_result *res,
	       struct berth_error *err)
{
	struct puller p = { .store = s, .o = o, .err = err };
	int ret = -1;

	memset(res, 0, sizeof(*res));
	if (reference_parse(o->ref, REFERENCE_DOCKER_HUB, &p.ref, err) < 0)
		return -1;
	p.label = reference_str(&p.ref);
	if (o->platform ? oci_parse_platform(o->platform, &p.want, err) < 0
			: (oci_host_platform(&p.want), 0))
		goto out;
	if (registry_client_new(&p.conf, &o->tls, &p.http, err) < 0)
		goto out;
	if (o->progress)
		p.board = xferboard_new(stderr, isatty(STDERR_FILENO), o->quiet);
	say(&p, "Pulling %s", p.label);
	if (resolve(&p) < 0 || fetch_config(&p) < 0 || fetch_and_install(&p, res) < 0)
		goto out;
	strcpy(res->id, p.m.config.digest);
	strcpy(res->digest, p.top_digest);
	/* RepoDigests, and where a later push to this registry mounts from;
	 * the image is whole without them: a failure is a warning */
	{
		_cleanup_free_ char *repo = xasprintf("%s/%s", p.ref.domain, p.ref.path);
		struct berth_error note = { 0 };
		if (image_note_registry(s, res->id, repo, res->digest, &note) < 0) {
			_cleanup_free_ char *why = berth_error_text(&note);
			say(&p, "warning: %s: its digest is not recorded: %s", p.label, why);
			berth_error_clear(&note);
		}
	}
	res->name = steal_pointer(&p.label);
	say(&p, "Digest: %s", res->digest);
	ret = 0;
out:
	store_stage_free(p.stage);
	xferboard_free(p.board);
	if (p.have_m)
		oci_manifest_clear(&p.m);
	free(p.manifest);
	free(p.config);
	registry_close(&p.reg);
	http_client_free(p.http);
	regconf_clear(&p.conf);
	oci_platform_clear(&p.want);
	reference_clear(&p.ref);
	free(p.label);
	return ret < 0 ? store_name_if_full(s, err) : 0;
}
