// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * registry-upload.c: blobs and manifests pushed to one repository
 * (registry-upload.h). An upload session is the URL the registry gives
 * in Location; each answer gives the next. Bodies stream from the
 * store's files (lib/http.c reads them as curl sends).
 */
#include <stdlib.h>
#include <string.h>

#include "registry-upload.h"
#include "../lib/util.h"

/* A request to a URL the registry sent (Location): its authorisation
 * goes only to the registry's own origin. */
static void xfer_to(struct registry *r, struct http_xfer *x, const char *url)
{
	size_t n = strlen(r->base);
	bool same = !strncmp(url, r->base, n) && (url[n] == '/' || url[n] == '\0');

	registry_xfer(r, x, "");
	free(x->url);
	if (url[0] == '/') {
		x->url = xasprintf("%s%s", r->base, url);
		same = true;
	} else {
		x->url = xstrdup(url);
	}
	if (!same)
		x->auth = NULL;
	x->max_body = 64u << 10;
}

static char *with_digest(const char *url, const char *digest)
{
	_cleanup_free_ char *esc = http_escape(digest);

	return xasprintf("%s%sdigest=%s", url, strchr(url, '?') ? "&" : "?", esc);
}

/* The registry's digest for what it stored, when it says one. */
static int check_digest(struct registry *r, const struct http_xfer *x, const char *what,
			const char *want, struct berth_error *err)
{
	if (x->docker_digest && strcmp(x->docker_digest, want) != 0)
		return berth_error_set(err, 0,
				       "%s %s to %s/%s: the registry stored %.80s (its "
				       "Docker-Content-Digest)",
				       what, want, r->host, r->repo, x->docker_digest);
	return 0;
}

/* HEAD: 1 when the repository has the blob, 0 when not. */
static int blob_present(struct registry *r, const char *digest, struct berth_error *err)
{
	_cleanup_free_ char *path = xasprintf("/v2/%s/blobs/%s", r->repo, digest);
	struct http_xfer x;
	int ret = -1;

	registry_xfer(r, &x, path);
	x.method = "HEAD";
	if (registry_request(r, &x, err) < 0)
		goto out;
	if (x.status == 200)
		ret = check_digest(r, &x, "blob", digest, err) < 0 ? -1 : 1;
	else if (x.status == 404)
		ret = 0;
	else
		registry_answer_error(&x, err, "HEAD");
out:
	http_xfer_clear(&x);
	return ret;
}

/* POST an upload session, or a mount from another repository: 1 when
 * mounted, 0 with the session's URL in *location (a registry that cannot
 * mount answers with a session, 202, as for a plain POST). */
static int start_upload(struct registry *r, const char *digest, const char *from, char **location,
			struct berth_error *err)
{
	_cleanup_free_ char *esc_d = http_escape(digest), *esc_f = from ? http_escape(from) : NULL;
	_cleanup_free_ char *path =
		from ? xasprintf("/v2/%s/blobs/uploads/?mount=%s&from=%s", r->repo, esc_d, esc_f)
		     : xasprintf("/v2/%s/blobs/uploads/", r->repo);
	struct http_xfer x;
	int ret = -1;

	registry_xfer(r, &x, path);
	x.method = "POST";
	x.max_body = 64u << 10;
	if (registry_request(r, &x, err) < 0)
		goto out;
	if (from && x.status == 201) {
		ret = check_digest(r, &x, "blob", digest, err) < 0 ? -1 : 1;
	} else if (x.status == 202 && x.location && *x.location) {
		*location = steal_pointer(&x.location);
		ret = 0;
	} else if (x.status == 202) {
		berth_error_set(err, 0, "POST of an upload: the registry sent no Location");
	} else {
		registry_answer_error(&x, err, "POST of an upload");
	}
out:
	http_xfer_clear(&x);
	return ret;
}

/* A request's body bytes told as the blob's: the request starts at off. */
struct sent_at {
	const struct registry_push *b;
	uint64_t off;
};

static void body_sent(void *arg, uint64_t done)
{
	struct sent_at *at = arg;

	at->b->sent(at->b->arg, at->off + done, at->b->size);
}

static void track(struct http_xfer *x, struct sent_at *at)
{
	if (!at->b->sent)
		return;
	x->sent = body_sent;
	x->arg = at;
}

/* One PATCH of the chunk [off, off+len) of b: the next session URL. */
static int put_chunk(struct registry *r, char **location, const struct registry_push *b,
		     uint64_t off, uint64_t len, struct berth_error *err)
{
	struct sent_at at = { .b = b, .off = off };
	_cleanup_free_ char *range = xasprintf("%llu-%llu", (unsigned long long)off,
					       (unsigned long long)(off + len - 1));
	struct http_xfer x;
	int ret = -1;

	xfer_to(r, &x, *location);
	x.method = "PATCH";
	x.body_type = "application/octet-stream";
	x.content_range = range;
	http_xfer_upload_fd(&x, b->fd, off, len);
	track(&x, &at);
	if (registry_request(r, &x, err) < 0)
		goto out;
	if (x.status != 202 || !x.location || !*x.location) {
		registry_answer_error(&x, err, range);
		berth_error_wrap(err, "PATCH of bytes");
		goto out;
	}
	free(*location);
	*location = steal_pointer(&x.location);
	ret = 0;
out:
	http_xfer_clear(&x);
	return ret;
}

/* The session closed with PUT ?digest=: the whole blob as its body when
 * it is small, else (after the chunks) an empty one. */
static int finish_upload(struct registry *r, const char *location, const struct registry_push *b,
			 bool body, struct berth_error *err)
{
	_cleanup_free_ char *url = with_digest(location, b->digest);
	struct sent_at at = { .b = b };
	struct http_xfer x;
	int ret = -1;

	xfer_to(r, &x, url);
	x.method = "PUT";
	x.body_type = "application/octet-stream";
	if (body) {
		http_xfer_upload_fd(&x, b->fd, 0, b->size);
		track(&x, &at);
	}
	if (registry_request(r, &x, err) < 0)
		goto out;
	if (x.status != 201) {
		registry_answer_error(&x, err, "PUT");
		goto out;
	}
	ret = check_digest(r, &x, "blob", b->digest, err);
out:
	http_xfer_clear(&x);
	return ret;
}

static int upload(struct registry *r, char **location, const struct registry_push *b,
		  struct berth_error *err)
{
	if (b->size <= REGISTRY_CHUNK_SIZE)
		return finish_upload(r, *location, b, true, err);
	for (uint64_t off = 0; off < b->size; off += REGISTRY_CHUNK_SIZE) {
		uint64_t left = b->size - off;
		uint64_t len = left < REGISTRY_CHUNK_SIZE ? left : REGISTRY_CHUNK_SIZE;
		if (put_chunk(r, location, b, off, len, err) < 0)
			return -1;
	}
	return finish_upload(r, *location, b, false, err);
}

int registry_push_blob(struct registry *r, const struct registry_push *b,
		       enum registry_push_how *how, struct berth_error *err)
{
	_cleanup_free_ char *location = NULL;
	const char *digest = b->digest;
	int present = blob_present(r, digest, err), mounted;

	if (present > 0)
		*how = REGISTRY_BLOB_EXISTS;
	if (present != 0)
		goto out;
	mounted = start_upload(r, digest, b->from, &location, err);
	if (mounted > 0)
		*how = REGISTRY_BLOB_MOUNTED;
	if (mounted != 0)
		goto out;
	*how = REGISTRY_BLOB_PUSHED;
	if (upload(r, &location, b, err) < 0)
		goto out;
	return 0;
out:
	if (err->msg)
		return berth_error_wrap(err, "blob %s to %s/%s", digest, r->host, r->repo);
	return 0;
}

int registry_put_manifest(struct registry *r, const char *ref, const char *buf, size_t len,
			  const char *media_type, struct berth_error *err)
{
	_cleanup_free_ char *path = xasprintf("/v2/%s/manifests/%s", r->repo, ref);
	char digest[DIGEST_STR_LEN + 1];
	struct http_xfer x;
	int ret = -1;

	sha256_bytes(buf, len, digest);
	registry_xfer(r, &x, path);
	x.method = "PUT";
	x.body_type = media_type;
	x.max_body = 64u << 10;
	http_xfer_upload_data(&x, buf, len);
	if (registry_request(r, &x, err) < 0)
		goto out;
	if (x.status != 201) {
		registry_answer_error(&x, err, "");
		berth_error_wrap(err, "%s/%s:%s: manifest", r->host, r->repo, ref);
		goto out;
	}
	ret = check_digest(r, &x, "manifest", digest, err);
out:
	http_xfer_clear(&x);
	return ret;
}
