// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * push.c: an image of the store to a registry (push.h). The store's
 * manifest is what goes up, byte for byte, so a pulled or loaded image
 * keeps its manifest digest. Its layers made here are compressed first,
 * once: the compressed blobs and a manifest naming them are committed to
 * the store and the image's record rewritten to them (its ID, the
 * config's digest, does not change). Blobs stream from the store's files;
 * the store stays locked (shared) while they are read.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"
#include "oci.h"
#include "push.h"
#include "reference.h"
#include "registry-upload.h"
#include "../lib/igzip.h"
#include "../lib/json.h"
#include "../lib/util.h"
#include "../lib/xferboard.h"

#define COPY_CHUNK (256u << 10)
#define MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"

struct pusher {
	struct store *store;
	const struct push_opts *o;
	char id[DIGEST_STR_LEN + 1];
	struct image *img;
	struct reference dest;
	char *label; /* the destination, for messages */
	char *repo;  /* "HOST/REPO" */
	char *manifest;
	size_t manifest_len;
	const char *media_type;
	struct oci_manifest m;
	bool have_m;
	struct regconf conf;
	struct http_client *http;
	struct registry reg;
	struct store_stage *stage;
	struct xferboard *board; /* o->progress's, or NULL */
	bool tty;		 /* the board redraws in place */
	struct berth_error *err;
};

void push_result_clear(struct push_result *r)
{
	free(r->name);
	memset(r, 0, sizeof(*r));
}

/* The board's out, or say's (xferboard_out). */
static struct xferboard_out out_of(const struct pusher *p)
{
	return (struct xferboard_out){
		.board = p->board, .say = p->o->say, .say_arg = p->o->say_arg, .quiet = p->o->quiet
	};
}

static void say(struct pusher *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct pusher *p, const char *fmt, ...)
{
	struct xferboard_out o = out_of(p);
	va_list ap;

	va_start(ap, fmt);
	xferboard_out_vnote(&o, fmt, ap);
	va_end(ap);
}

/* A layer's new state: its line on the board, or a plain line. */
static void layer_say(struct pusher *p, const char *digest, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void layer_say(struct pusher *p, const char *digest, const char *fmt, ...)
{
	struct xferboard_out o = out_of(p);
	va_list ap;

	va_start(ap, fmt);
	xferboard_out_vstate(&o, digest_hex(digest), fmt, ap);
	va_end(ap);
}

static size_t item_of(struct pusher *p, const char *digest)
{
	return xferboard_item(p->board, digest_hex(digest));
}

/* The image, and where it goes: DESTINATION, else its own name (the
 * name it was asked by, docker's normalisation). */
static int resolve(struct pusher *p)
{
	_cleanup_json_ struct json_object *refs = NULL;
	_cleanup_free_ char *own = NULL;
	const char *target = p->o->dest;

	if (image_resolve(p->store, p->o->image, p->id, p->err) < 0)
		return -1;
	if (!target) {
		if (refs_read(p->store, &refs, p->err) < 0)
			return -1;
		if (!(own = image_ref_in(refs, p->o->image)))
			return berth_error_set(p->err, 0,
					       "push %s: an image ID names no repository: give a "
					       "DESTINATION",
					       p->o->image);
		target = own;
	}
	if (reference_parse(target, REFERENCE_DOCKER_HUB, &p->dest, p->err) < 0)
		return berth_error_wrap(p->err, "push %s", p->o->image);
	if (!p->dest.tag) /* a manifest is pushed under a tag */
		return berth_error_set(p->err, 0,
				       "push %s: %s: a destination is a tag, not a digest",
				       p->o->image, target);
	free(p->dest.digest);
	p->dest.digest = NULL;
	p->label = reference_str(&p->dest);
	p->repo = xasprintf("%s/%s", p->dest.domain, p->dest.path);
	return 0;
}

struct zout {
	int fd;
	struct sha256_ctx *hash;
	uint64_t size;
};

static int zout_put(struct zout *z, const void *buf, size_t n)
{
	if (write_all(z->fd, buf, n) < 0)
		return -1;
	sha256_update(z->hash, buf, n);
	z->size += n;
	return 0;
}

static la_ssize_t zwrite(struct archive *a, void *arg, const void *buf, size_t n)
{
	if (zout_put(arg, buf, n) < 0) {
		archive_set_error(a, errno, "writing the compressed layer");
		return -1;
	}
	return (la_ssize_t)n;
}

static int igzip_put(void *arg, const void *buf, size_t n, struct berth_error *err)
{
	if (zout_put(arg, buf, n) < 0)
		return berth_error_set(err, errno, "writing the compressed layer");
	return 0;
}

/* One layer's compressor: gzip through igzip (lib/igzip.c, several
 * times faster than libarchive's zlib), zstd through libarchive. */
struct zstream {
	struct archive *a;
	struct igzip *g;
};

/* A zstd compressor writing to z: one raw stream, no tar around it. */
static struct archive *zstd_compressor(struct pusher *p, struct zout *z, uint64_t size)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ae = archive_entry_new();
	int r;

	archive_write_set_format_raw(a);
	r = archive_write_add_filter_zstd(a);
	archive_write_set_bytes_per_block(a, COPY_CHUNK);
	archive_write_set_bytes_in_last_block(a, 1);
	if (r == ARCHIVE_OK)
		r = archive_write_open2(a, z, NULL, zwrite, NULL, NULL);
	archive_entry_set_pathname(ae, "layer.tar");
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_size(ae, (la_int64_t)size);
	if (r == ARCHIVE_OK)
		r = archive_write_header(a, ae);
	archive_entry_free(ae);
	if (r != ARCHIVE_OK) {
		berth_error_set(p->err, archive_errno(a) > 0 ? archive_errno(a) : 0,
				"starting the zstd compressor: %s",
				archive_error_string(a) ? archive_error_string(a) : "failed");
		archive_write_free(a);
		return NULL;
	}
	return a;
}

/* The compressor push's options ask for, writing to z; gzip's header
 * has no timestamp, so the same tar compresses to the same bytes. */
static int compressor(struct pusher *p, struct zout *z, uint64_t size, struct zstream *c)
{
	if (p->o->compression == PUSH_ZSTD)
		return (c->a = zstd_compressor(p, z, size)) ? 0 : -1;
	return (c->g = igzip_new(IGZIP_LEVEL_PUSH, igzip_put, z, p->err)) ? 0 : -1;
}

static int archive_failed(struct pusher *p, struct archive *a, const char *digest)
{
	return berth_error_set(p->err, archive_errno(a) > 0 ? archive_errno(a) : 0,
			       "compressing layer %.19s: %s", digest,
			       archive_error_string(a) ? archive_error_string(a) : "failed");
}

static int zstream_write(struct pusher *p, struct zstream *c, const char *digest, const void *buf,
			 size_t n)
{
	if (c->g)
		return igzip_write(c->g, buf, n, p->err) < 0
			       ? berth_error_wrap(p->err, "compressing layer %.19s", digest)
			       : 0;
	if (archive_write_data(c->a, buf, n) != (la_ssize_t)n)
		return archive_failed(p, c->a, digest);
	return 0;
}

static int zstream_finish(struct pusher *p, struct zstream *c, const char *digest)
{
	if (c->g)
		return igzip_finish(c->g, p->err) < 0
			       ? berth_error_wrap(p->err, "compressing layer %.19s", digest)
			       : 0;
	if (archive_write_close(c->a) != ARCHIVE_OK)
		return archive_failed(p, c->a, digest);
	return 0;
}

static void zstream_free(struct zstream *c)
{
	if (c->a)
		archive_write_free(c->a);
	igzip_free(c->g);
}

/* Stream the tar blob digest through the compressor into the stage file
 * name: the compressed blob's digest and size. */
static int compress_blob(struct pusher *p, const char *digest, const char *name, char *out,
			 uint64_t *out_size)
{
	_cleanup_close_ int in = store_blob_open(p->store, digest, p->err), fd = -1;
	_cleanup_free_ char *buf = xmalloc(COPY_CHUNK);
	struct zout z = { .fd = -1 };
	struct zstream c = { 0 };
	struct stat st;
	uint64_t done = 0;
	int ret = -1;

	if (in < 0 || fstat(in, &st) < 0)
		return berth_error_wrap(p->err, "layer %.19s", digest);
	fd = openat(p->stage->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return berth_error_set(p->err, errno, "staging the compressed layer %.19s", digest);
	z = (struct zout){ .fd = fd, .hash = sha256_new() };
	if (compressor(p, &z, (uint64_t)st.st_size, &c) < 0)
		goto out;
	for (;;) {
		ssize_t n = read(in, buf, COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			berth_error_set(p->err, errno, "reading layer %.19s", digest);
			goto out;
		}
		if (n == 0)
			break;
		if (zstream_write(p, &c, digest, buf, (size_t)n) < 0)
			goto out;
		done += (uint64_t)n;
		if (p->tty)
			xferboard_bytes(p->board, item_of(p, digest), "Compressing", done,
					(uint64_t)st.st_size);
	}
	if (zstream_finish(p, &c, digest) < 0)
		goto out;
	sha256_final(z.hash, out);
	z.hash = NULL;
	*out_size = z.size;
	ret = 0;
out:
	zstream_free(&c);
	sha256_free(z.hash);
	return ret;
}

struct recompressed {
	char digest[DIGEST_STR_LEN + 1];
	uint64_t size;
	char name[32];
};

/* The stored manifest with layer i's descriptor replaced by c[i] where
 * c[i] is set; its bytes and digest. */
static int rewrite_manifest(struct pusher *p, const struct recompressed *c, char **buf, size_t *len,
			    char *digest)
{
	_cleanup_json_ struct json_object *o = NULL;
	struct json_object *layers;
	bool docker = p->media_type && !strcmp(p->media_type, MT_DOCKER_MANIFEST);
	const char *mt = p->o->compression == PUSH_ZSTD ? MT_OCI_LAYER_ZSTD
			 : docker			? MT_DOCKER_LAYER_GZIP
							: MT_OCI_LAYER_GZIP;
	const char *txt;

	if (json_parse_bounded(p->manifest, p->manifest_len, "manifest", &o, p->err) < 0)
		return -1;
	if (!json_object_object_get_ex(o, "layers", &layers) ||
	    json_object_array_length(layers) != p->img->n_layers)
		return berth_error_set(p->err, 0, "manifest %.19s: its layers are not the image's",
				       p->img->manifest);
	for (size_t i = 0; i < p->img->n_layers; i++) {
		struct json_object *d = json_object_array_get_idx(layers, i);
		if (!c[i].digest[0])
			continue;
		json_object_object_add(d, "mediaType", json_object_new_string(mt));
		json_object_object_add(d, "digest", json_object_new_string(c[i].digest));
		json_object_object_add(d, "size", json_object_new_int64((int64_t)c[i].size));
	}
	txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE);
	*len = strlen(txt);
	*buf = xstrdup(txt);
	sha256_bytes(*buf, *len, digest);
	return 0;
}

/* The compressed blobs and the new manifest into the store, and the
 * record naming them (its sources were of the old manifest). */
static int commit_compressed(struct pusher *p, const struct recompressed *c)
{
	_cleanup_free_ char *mbuf = NULL;
	char mdigest[DIGEST_STR_LEN + 1];
	size_t mlen = 0;
	int ret = -1;

	if (rewrite_manifest(p, c, &mbuf, &mlen, mdigest) < 0 ||
	    write_file_atomic(p->stage->dirfd, "manifest", mbuf, mlen, 0644, p->err) < 0)
		return -1;
	/* a failure after the mark leaves it: the next command collects */
	if (store_lock(p->store, LOCK_EX, p->err) < 0 || image_commit_begin(p->store, p->err) < 0)
		goto out;
	for (size_t i = 0; i < p->img->n_layers; i++)
		if (c[i].name[0] && store_blob_commit(p->store, p->stage->dirfd, c[i].name,
						      c[i].digest, p->err) < 0)
			goto out;
	if (store_blob_commit(p->store, p->stage->dirfd, "manifest", mdigest, p->err) < 0)
		goto out;
	for (size_t i = 0; i < p->img->n_layers; i++)
		if (c[i].digest[0])
			strcpy(p->img->blobs[i], c[i].digest);
	strcpy(p->img->manifest, mdigest);
	strv_free(p->img->sources);
	p->img->sources = NULL;
	if (image_write(p->store, p->img, p->err) < 0)
		goto out;
	free(p->manifest);
	p->manifest = steal_pointer(&mbuf);
	p->manifest_len = mlen;
	/* the tars and the old manifest, when no other image names them */
	struct berth_error ignore = { 0 };
	if (image_gc(p->store, &ignore) == 0)
		image_commit_end(p->store);
	berth_error_clear(&ignore);
	ret = 0;
out:
	if (ret == 0 && store_lock(p->store, LOCK_SH, p->err) < 0)
		ret = -1;
	return ret;
}

/* Layers made here (their blob is the tar itself: its digest is the
 * diffID) compressed once, and remembered. */
static int compress_local(struct pusher *p)
{
	struct recompressed *c = xcalloc(p->img->n_layers, sizeof(*c));
	size_t n = 0;
	int ret = -1;

	for (size_t i = 0; i < p->img->n_layers; i++) {
		if (strcmp(p->img->blobs[i], p->img->diff_ids[i]) != 0)
			continue;
		for (size_t k = 0; k < i && !c[i].digest[0]; k++) /* a tar twice: once */
			if (!strcmp(p->img->blobs[k], p->img->blobs[i]) && c[k].digest[0]) {
				c[i] = c[k];
				c[i].name[0] = '\0';
			}
		if (c[i].digest[0])
			continue;
		if (!p->stage && store_stage_new(p->store, &p->stage, p->err) < 0)
			goto out;
		snprintf(c[i].name, sizeof(c[i].name), "push-%zu", i);
		layer_say(p, p->img->diff_ids[i], "Compressing");
		if (compress_blob(p, p->img->blobs[i], c[i].name, c[i].digest, &c[i].size) < 0)
			goto out;
		if (p->tty) /* its line would say Compressing to the end */
			layer_say(p, p->img->diff_ids[i], "Compressed as %.12s",
				  digest_hex(c[i].digest));
		n++;
	}
	ret = n ? commit_compressed(p, c) : 0;
out:
	free(c);
	return ret;
}

static int read_image(struct pusher *p)
{
	_cleanup_close_ int fd = -1;
	bool index;

	if (image_read(p->store, p->id, &p->img, p->err) < 0)
		return -1;
	fd = store_blob_open(p->store, p->img->manifest, p->err);
	if (fd < 0 || read_fd_all(fd, OCI_MAX_JSON, &p->manifest, &p->manifest_len, p->err) < 0 ||
	    oci_doc_type(p->manifest, p->manifest_len, NULL, &p->media_type, &index, p->err) < 0)
		return berth_error_wrap(p->err, "image %.19s: manifest %.19s", p->id,
					p->img->manifest);
	if (!p->media_type) /* an OCI manifest may leave out its mediaType */
		p->media_type = MT_OCI_MANIFEST;
	return 0;
}

static int parse_manifest(struct pusher *p)
{
	if (oci_parse_manifest(p->manifest, p->manifest_len, p->media_type, &p->m, p->err) < 0)
		return berth_error_wrap(p->err, "image %.19s: manifest", p->id);
	p->have_m = true;
	return 0;
}

/* A repository of the destination's registry that holds every blob of
 * the image (the record's sources), other than the destination. */
static const char *mount_source(struct pusher *p)
{
	size_t n = strlen(p->dest.domain);

	for (char **s = p->img->sources; s && *s; s++)
		if (!strncmp(*s, p->dest.domain, n) && (*s)[n] == '/' && (*s)[n + 1] &&
		    strcmp(*s + n + 1, p->dest.path) != 0)
			return *s + n + 1;
	return NULL;
}

/* A layer's bytes as they are sent: "Pushing  1.2MB/20MB  5MB/s" on a
 * terminal (nothing otherwise). */
struct layer_sent {
	struct xferboard *board;
	size_t item;
};

static void layer_sent(void *arg, uint64_t done, uint64_t size)
{
	struct layer_sent *ls = arg;

	xferboard_bytes(ls->board, ls->item, "Pushing", done, size);
}

static int push_one(struct pusher *p, const struct oci_desc *d, bool layer, const char *from)
{
	_cleanup_close_ int fd = store_blob_open(p->store, d->digest, p->err);
	struct registry_push b = { .digest = d->digest, .size = d->size, .from = from };
	struct layer_sent ls = { .board = p->board };
	enum registry_push_how how;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return berth_error_wrap(p->err, "%s: blob %.19s", p->label, d->digest);
	if ((uint64_t)st.st_size != d->size)
		return berth_error_set(p->err, 0,
				       "%s: blob %.19s: the store holds %llu bytes, the manifest "
				       "says %llu",
				       p->label, d->digest, (unsigned long long)st.st_size,
				       (unsigned long long)d->size);
	b.fd = fd;
	if (layer && p->tty) {
		ls.item = item_of(p, d->digest);
		b.sent = layer_sent;
		b.arg = &ls;
	}
	if (registry_push_blob(&p->reg, &b, &how, p->err) < 0)
		return berth_error_wrap(p->err, "%s", p->label);
	if (!layer)
		return 0;
	if (how == REGISTRY_BLOB_EXISTS)
		layer_say(p, d->digest, "Layer already exists");
	else if (how == REGISTRY_BLOB_MOUNTED)
		layer_say(p, d->digest, "Mounted from %s", from);
	else
		layer_say(p, d->digest, "Pushed");
	return 0;
}

static bool seen_before(const struct oci_manifest *m, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (!strcmp(m->layers[k].digest, m->layers[i].digest))
			return true;
	return false;
}

/* The registry reached before the store changes (a first push
 * compresses): a wrong name or a registry that is down leaves it as it
 * was. */
static int open_registry(struct pusher *p)
{
	if (registry_client_new(&p->conf, &p->o->tls, &p->http, p->err) < 0)
		return -1;
	if (registry_open(&p->reg, p->http, &p->conf, p->dest.domain, p->dest.path, p->err) < 0)
		return berth_error_wrap(p->err, "push %s", p->label);
	/* a token for push (asked on the first 401 of an upload) */
	p->reg.push = true;
	return 0;
}

/* Every layer blob, then the config, then the manifest. */
static int upload(struct pusher *p, struct push_result *res)
{
	const char *from = mount_source(p);

	/* ... and for pull of where blobs are mounted from */
	p->reg.mount_from = from ? xstrdup(from) : NULL;
	say(p, "The push refers to repository [%s]", p->repo);
	for (size_t i = 0; i < p->m.n_layers; i++)
		if (!seen_before(&p->m, i))
			layer_say(p, p->m.layers[i].digest, "Preparing");
	/* one layer at a time: on a terminal the others are said to wait,
	 * as docker says it (plain lines stay as they were) */
	for (size_t i = 1; p->tty && i < p->m.n_layers; i++)
		if (!seen_before(&p->m, i))
			layer_say(p, p->m.layers[i].digest, "Waiting");
	for (size_t i = 0; i < p->m.n_layers; i++)
		if (!seen_before(&p->m, i) && push_one(p, &p->m.layers[i], true, from) < 0)
			return -1;
	if (push_one(p, &p->m.config, false, from) < 0 ||
	    registry_put_manifest(&p->reg, p->dest.tag, p->manifest, p->manifest_len, p->media_type,
				  p->err) < 0)
		return -1;
	sha256_bytes(p->manifest, p->manifest_len, res->digest);
	res->size = p->manifest_len;
	say(p, "%s: digest: %s size: %zu", p->dest.tag, res->digest, res->size);
	return 0;
}

int image_push(struct store *s, const struct push_opts *o, struct push_result *res,
	       struct berth_error *err)
{
	struct pusher p = { .store = s, .o = o, .err = err };
	int ret = -1;

	memset(res, 0, sizeof(*res));
	if (store_lock(s, LOCK_SH, err) < 0)
		return -1;
	if (o->progress) {
		p.tty = isatty(STDERR_FILENO) && !o->quiet;
		p.board = xferboard_new(stderr, p.tty, o->quiet);
	}
	if (resolve(&p) < 0 || read_image(&p) < 0 || open_registry(&p) < 0 ||
	    compress_local(&p) < 0 || parse_manifest(&p) < 0 || upload(&p, res) < 0)
		goto out;
	store_unlock(s);
	/* the registry has it: where later pushes mount from, RepoDigests */
	if (image_note_registry(s, p.id, p.repo, res->digest, err) < 0) {
		berth_error_wrap(err, "%s: pushed as %s, but not recorded", p.label, res->digest);
		goto out;
	}
	res->name = steal_pointer(&p.label);
	ret = 0;
out:
	store_unlock(s);
	store_stage_free(p.stage);
	xferboard_free(p.board);
	if (p.have_m)
		oci_manifest_clear(&p.m);
	image_free(p.img);
	free(p.manifest);
	registry_close(&p.reg);
	http_client_free(p.http);
	regconf_clear(&p.conf);
	reference_clear(&p.dest);
	free(p.label);
	free(p.repo);
	return ret < 0 ? store_name_if_full(s, err) : 0;
}
