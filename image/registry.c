// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * registry.c: the distribution API for one repository (registry.h).
 * Credentials and tokens only ever travel in the Authorization header;
 * no message names them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "certdir.h"
#include "credentials.h"
#include "oci.h"
#include "reference.h"
#include "registry.h"
#include "../lib/json.h"
#include "../lib/util.h"

#define TOKEN_MAX (1u << 20)

static const char manifest_accept[] =
	MT_OCI_INDEX ", " MT_OCI_MANIFEST ", " MT_DOCKER_LIST ", " MT_DOCKER_MANIFEST;

static void xfer_for(struct registry *r, struct http_xfer *x, const char *path)
{
	memset(x, 0, sizeof(*x));
	x->url = xasprintf("%s%s", r->base, path);
	x->auth = r->auth;
	x->insecure = r->insecure;
	x->tls = &r->tls;
}

/* What an answer that is no success says: the registry's own error text
 * (the distribution API's {"errors": [{"code", "message"}]}), else the
 * status. */
static char *answer_text(const struct http_xfer *x)
{
	struct json_object *o = NULL, *errs, *e;
	struct berth_error ignore = { 0 };
	char *text = NULL;

	if (!x->status)
		return xstrdup(x->error ? x->error : "no answer");
	if (x->body && json_parse_bounded(x->body, x->body_len, "answer", &o, &ignore) == 0 &&
	    json_object_object_get_ex(o, "errors", &errs) && json_array_len(errs) > 0 &&
	    (e = json_object_array_get_idx(errs, 0))) {
		const char *msg = json_get_string(e, "message");
		const char *code = json_get_string(e, "code");
		if (msg || code)
			text = xasprintf("%.200s (HTTP %ld)", msg ? msg : code, x->status);
	}
	berth_error_clear(&ignore);
	json_object_put(o);
	return text ? text : xasprintf("HTTP %ld", x->status);
}

static int fail_answer(const struct http_xfer *x, struct berth_error *err, const char *what)
{
	_cleanup_free_ char *t = answer_text(x);

	return *what ? berth_error_set(err, 0, "%s: %s", what, t)
		     : berth_error_set(err, 0, "%s", t);
}

static int run1(struct registry *r, struct http_xfer *x, struct berth_error *err)
{
	struct http_xfer *one = x;

	return http_run(r->http, &one, 1, 1, err);
}

/* A token realm is reached over HTTPS, or plain HTTP on what may be */
static bool realm_allowed(struct registry *r, const char *realm)
{
	_cleanup_free_ char *host = NULL;
	const char *h, *end;

	if (str_has_prefix(realm, "https://"))
		return true;
	if (!str_has_prefix(realm, "http://"))
		return false;
	h = realm + 7;
	end = h + strcspn(h, "/?#");
	host = xstrndup(h, (size_t)(end - h));
	return !strchr(host, '@') && regconf_plain_ok(r->conf, host);
}

/* The scope parameters of a token request: pull (push adds push), and
 * pull of the repository a blob is mounted from; none for login, which
 * only asks whether the credentials are good at all. */
static char *token_scope(struct registry *r)
{
	if (!r->repo)
		return NULL;
	_cleanup_free_ char *mine =
		xasprintf("repository:%s:pull%s", r->repo, r->push ? ",push" : "");
	_cleanup_free_ char *esc = http_escape(mine);

	if (!r->mount_from)
		return xasprintf("scope=%s", esc);
	_cleanup_free_ char *from = xasprintf("repository:%s:pull", r->mount_from);
	_cleanup_free_ char *esc_from = http_escape(from);
	return xasprintf("scope=%s&scope=%s", esc, esc_from);
}

/* A bearer token for token_scope's scopes from the challenge's
 * realm (docker's token protocol: GET realm?service=&scope=). */
static int fetch_token(struct registry *r, const struct http_challenge *ch, struct berth_error *err)
{
	_cleanup_free_ char *scope = token_scope(r), *esc_service = NULL;
	struct http_xfer x = { 0 };
	struct json_object *o = NULL;
	const char *tok;
	int ret = -1;

	if (!ch->realm || !realm_allowed(r, ch->realm))
		return berth_error_set(err, 0,
				       "registry %s: its token service (realm) is %s: it must be "
				       "an https:// URL",
				       r->host, ch->realm ? "not" : "missing, or");
	esc_service = ch->service ? http_escape(ch->service) : NULL;
	x.url = xasprintf("%s%s%s%s%s%s", ch->realm, strchr(ch->realm, '?') ? "&" : "?",
			  esc_service ? "service=" : "", esc_service ? esc_service : "",
			  scope ? "&" : "", scope ? scope : "");
	x.auth = r->basic;
	x.insecure = r->insecure;
	x.tls = &r->tls;
	x.max_body = TOKEN_MAX;
	if (run1(r, &x, err) < 0)
		goto out;
	if (x.status != 200) {
		fail_answer(&x, err, "");
		berth_error_wrap(err, "registry %s: its token service refused a token for %s%s",
				 r->host, r->repo ? r->repo : "a login",
				 x.status == 401 ? " (wrong or missing credentials)" : "");
		goto out;
	}
	if (json_parse_bounded(x.body, x.body_len, "token answer", &o, err) < 0 ||
	    (!(tok = json_get_string(o, "token")) && !(tok = json_get_string(o, "access_token"))) ||
	    !*tok) {
		if (!err->msg)
			berth_error_set(err, 0, "registry %s: the token service sent no token",
					r->host);
		goto out;
	}
	free(r->auth);
	r->auth = xasprintf("Bearer %s", tok);
	ret = 0;
out:
	if (x.body)
		explicit_bzero(x.body, x.body_len);
	json_object_put(o);
	http_xfer_clear(&x);
	return ret;
}

/* Answer a 401's challenge: a token, or the basic credentials. */
static int authorize(struct registry *r, const char *www_auth, struct berth_error *err)
{
	struct http_challenge ch;
	int ret;

	if (http_parse_challenge(www_auth, &ch) < 0)
		return berth_error_set(err, 0,
				       "registry %s: authentication required, with no challenge "
				       "berth understands (WWW-Authenticate)",
				       r->host);
	if (!strcasecmp(ch.scheme, "Bearer")) {
		ret = fetch_token(r, &ch, err);
	} else if (r->basic) {
		free(r->auth);
		r->auth = xstrdup(r->basic);
		ret = 0;
	} else {
		ret = berth_error_set(err, 0,
				      "registry %s: authentication required (berth login %s)",
				      r->host, r->host);
	}
	http_challenge_clear(&ch);
	return ret;
}

/* One request, answered once more after a 401 with a fresh token. */
static int request(struct registry *r, struct http_xfer *x, struct berth_error *err)
{
	if (run1(r, x, err) < 0)
		return -1;
	if (x->status != 401)
		return 0;
	_cleanup_free_ char *www = x->www_auth ? xstrdup(x->www_auth) : NULL;
	if (authorize(r, www, err) < 0)
		return -1;
	x->auth = r->auth;
	return run1(r, x, err);
}

static int ping(struct registry *r, const char *scheme, struct http_xfer *x,
		struct berth_error *err)
{
	const char *host = strcmp(r->host, "docker.io") ? r->host : "registry-1.docker.io";

	free(r->base);
	r->base = xasprintf("%s://%s", scheme, host);
	http_xfer_clear(x);
	xfer_for(r, x, "/v2/");
	x->max_body = 64u << 10;
	return run1(r, x, err);
}

/* The endpoint of host, its TLS set-up (certs.d or --cert-dir) and
 * authorisation with basic, the Authorization value of the stored
 * credentials or NULL (owned: wiped by registry_close); repo NULL for
 * no repository (login). */
static int open_as(struct registry *r, struct http_client *http, const struct regconf *conf,
		   const char *host, const char *repo, char *basic, struct berth_error *err)
{
	struct http_xfer x = { 0 };
	const struct regconf_registry *rc = regconf_find(conf, host);
	bool plain_ok = regconf_plain_ok(conf, host);
	_cleanup_free_ char *certs = NULL;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	r->http = http;
	r->conf = conf;
	r->host = xstrdup(host);
	r->repo = repo ? xstrdup(repo) : NULL;
	r->basic = basic;
	r->insecure = (rc && rc->insecure) || conf->flags.no_verify;
	if (certdir_tls(conf, host, &r->tls, &certs, err) < 0)
		return berth_error_wrap(err, "registry %s", host);
	/* HTTPS first; plain HTTP only where allowed, as docker does */
	if (ping(r, "https", &x, err) < 0)
		goto out;
	if (!x.status && plain_ok) {
		/* a TLS server that failed (its certificate, ours) is the
		 * cause, not what its port says to plain HTTP (400); a plain
		 * server's own answer (a 500, a hang) is its answer */
		_cleanup_free_ char *tls_error = xstrdup(x.error);
		if (ping(r, "http", &x, err) < 0)
			goto out;
		if (x.status == 400) {
			berth_error_set(err, 0, "registry %s: cannot connect over HTTPS: %s", host,
					tls_error);
			goto out;
		}
	}
	if (!x.status) {
		berth_error_set(err, 0, "registry %s: cannot connect: %s%s", host, x.error,
				plain_ok ? ""
					 : " (plain HTTP is used only for a loopback registry or "
					   "one marked insecure in registries.conf)");
		goto out;
	}
	if (x.status == 401)
		ret = authorize(r, x.www_auth, err);
	else if (x.status == 200)
		ret = 0;
	else
		fail_answer(&x, err, "");
	if (ret < 0 && x.status >= 500) /* retried already: the registry's own failure */
		berth_error_wrap(err, "registry %s: GET %s/v2/ failed, every try", host, r->base);
	else if (ret < 0 && x.status != 401)
		berth_error_wrap(err, "registry %s: not a registry (GET %s/v2/ answered)", host,
				 r->base);
out:
	http_xfer_clear(&x);
	return ret;
}

int registry_open(struct registry *r, struct http_client *http, const struct regconf *conf,
		  const char *host, const char *repo, struct berth_error *err)
{
	struct cred c;
	int found = cred_lookup(host, &c, err);
	char *basic = found == 1 ? cred_basic(&c) : NULL;

	cred_clear(&c);
	if (found < 0) {
		memset(r, 0, sizeof(*r));
		return -1;
	}
	return open_as(r, http, conf, host, repo, basic, err);
}

int registry_login(struct http_client *http, const struct regconf *conf, const char *host,
		   const char *user, const char *secret, struct berth_error *err)
{
	struct cred c = { .user = (char *)user, .secret = (char *)secret };
	struct registry r;
	struct http_xfer x = { 0 };
	int ret;

	ret = open_as(&r, http, conf, host, NULL, cred_basic(&c), err);
	/* basic: the answer to the credentials themselves; a token was
	 * already given for them, or refused */
	if (ret == 0 && r.auth && str_has_prefix(r.auth, "Basic ")) {
		xfer_for(&r, &x, "/v2/");
		x.max_body = 64u << 10;
		ret = run1(&r, &x, err);
		if (ret == 0 && x.status == 401)
			ret = berth_error_set(err, 0, "registry %s: wrong user name or password",
					      host);
		else if (ret == 0 && x.status != 200)
			ret = fail_answer(&x, err, "");
		http_xfer_clear(&x);
	}
	registry_close(&r);
	return ret;
}

int registry_client_new(struct regconf *conf, const struct regconf_tls_flags *tls,
			struct http_client **http, struct berth_error *err)
{
	struct http_limits lim;

	*http = NULL;
	if (regconf_load(conf, err) < 0)
		return -1;
	if (tls)
		conf->flags = *tls;
	if (!(*http = http_client_new())) {
		regconf_clear(conf);
		return berth_error_set(err, 0, "cannot start libcurl");
	}
	regconf_http_limits(conf, &lim);
	http_client_set_limits(*http, &lim);
	return 0;
}

void registry_close(struct registry *r)
{
	free(r->host);
	free(r->repo);
	free(r->base);
	if (r->auth)
		explicit_bzero(r->auth, strlen(r->auth));
	free(r->auth);
	if (r->basic)
		explicit_bzero(r->basic, strlen(r->basic));
	free(r->basic);
	free(r->mount_from);
	http_tls_clear(&r->tls);
	memset(r, 0, sizeof(*r));
}

int registry_get_manifest(struct registry *r, const char *ref, char **buf, size_t *len,
			  char **media_type, char *digest, struct berth_error *err)
{
	_cleanup_free_ char *path = xasprintf("/v2/%s/manifests/%s", r->repo, ref);
	struct http_xfer x;
	int ret = -1;

	xfer_for(r, &x, path);
	x.accept = manifest_accept;
	x.max_body = OCI_MAX_JSON;
	if (request(r, &x, err) < 0)
		goto out;
	if (x.status != 200) {
		fail_answer(&x, err, "");
		berth_error_wrap(err, "%s/%s:%s: manifest", r->host, r->repo, ref);
		goto out;
	}
	sha256_bytes(x.body ? x.body : "", x.body_len, digest);
	if (x.docker_digest && str_has_prefix(x.docker_digest, "sha256:") &&
	    strcmp(x.docker_digest, digest) != 0) {
		berth_error_set(err, 0,
				"%s/%s:%s: the registry says the manifest is %.80s, its content is "
				"%s",
				r->host, r->repo, ref, x.docker_digest, digest);
		goto out;
	}
	*buf = x.body ? x.body : xstrdup("");
	*len = x.body_len;
	x.body = NULL;
	*media_type =
		x.content_type ? xstrndup(x.content_type, strcspn(x.content_type, "; ")) : NULL;
	ret = 0;
out:
	http_xfer_clear(&x);
	return ret;
}

static int check_blob(const char *host, const char *digest, uint64_t want, uint64_t got,
		      const char *actual, struct berth_error *err)
{
	if (got != want)
		return berth_error_set(
			err, 0, "blob %s from %s: %llu bytes, its descriptor says %llu", digest,
			host, (unsigned long long)got, (unsigned long long)want);
	if (strcmp(actual, digest) != 0)
		return berth_error_set(err, 0, "blob %s from %s: wrong digest: its content is %s",
				       digest, host, actual);
	return 0;
}

int registry_get_blob(struct registry *r, const char *digest, uint64_t size, size_t max, char **buf,
		      size_t *len, struct berth_error *err)
{
	_cleanup_free_ char *path = xasprintf("/v2/%s/blobs/%s", r->repo, digest);
	char actual[DIGEST_STR_LEN + 1];
	struct http_xfer x;
	int ret = -1;

	if (size > max)
		return berth_error_set(err, 0, "blob %s: %llu bytes, more than the %zu allowed",
				       digest, (unsigned long long)size, max);
	xfer_for(r, &x, path);
	x.max_body = (size_t)size;
	if (request(r, &x, err) < 0)
		goto out;
	if (x.status != 200) {
		fail_answer(&x, err, "");
		berth_error_wrap(err, "blob %s from %s/%s", digest, r->host, r->repo);
		goto out;
	}
	sha256_bytes(x.body ? x.body : "", x.body_len, actual);
	if (check_blob(r->host, digest, size, x.body_len, actual, err) < 0)
		goto out;
	*buf = x.body ? x.body : xstrdup("");
	*len = x.body_len;
	x.body = NULL;
	ret = 0;
out:
	http_xfer_clear(&x);
	return ret;
}

static int blob_sink(const void *data, size_t len, void *arg)
{
	struct registry_blob *b = arg;

	if (b->stop && atomic_load(b->stop)) {
		b->stopped = true;
		return -1;
	}
	if (b->got + len > b->size) { /* never more than the descriptor says */
		b->over = true;
		return -1;
	}
	if (write_all(b->fd, data, len) < 0) {
		b->write_errno = errno;
		return -1;
	}
	sha256_update(b->hash, data, len);
	b->got += len;
	if (b->progress)
		b->progress(b);
	return 0;
}

static int blob_restart(void *arg)
{
	struct registry_blob *b = arg;

	if (ftruncate(b->fd, 0) < 0 || lseek(b->fd, 0, SEEK_SET) < 0)
		return -1;
	b->hashed = false;
	sha256_free(b->hash);
	b->hash = sha256_new();
	b->got = 0;
	if (b->progress)
		b->progress(b);
	return 0;
}

/* A dropped transfer goes on from the bytes kept (written and hashed);
 * the sha256 context holds their state, the file's offset is their end. */
static uint64_t blob_resume_from(void *arg)
{
	const struct registry_blob *b = arg;

	return b->write_errno || b->over || b->stopped ? 0 : b->got;
}

/* A blob's transfer ended with a success: its digest, and the caller
 * told at once when it is the blob asked for. */
static void blob_done(void *arg)
{
	struct registry_blob *b = arg;

	if (b->write_errno || b->over || b->stopped)
		return;
	sha256_final(b->hash, b->actual);
	b->hash = NULL;
	b->hashed = true;
	if (b->done && b->got == b->size && !strcmp(b->actual, b->digest))
		b->done(b);
}

static int blob_result(struct registry *r, struct registry_blob *b, struct http_xfer *x,
		       struct berth_error *err)
{
	if (b->write_errno)
		return berth_error_set(err, b->write_errno, "blob %s: writing it into the store",
				       b->digest);
	if (b->stopped)
		return berth_error_set(err, 0, "blob %s: its download was stopped", b->digest);
	if (b->over)
		return berth_error_set(err, 0,
				       "blob %s from %s: more than the %llu bytes its descriptor "
				       "says",
				       b->digest, r->host, (unsigned long long)b->size);
	if ((x->status != 200 && x->status != 206) || !b->hashed) {
		fail_answer(x, err, "");
		return berth_error_wrap(err, "blob %s from %s/%s", b->digest, r->host, r->repo);
	}
	return check_blob(r->host, b->digest, b->size, b->got, b->actual, err);
}

/* The transfers that a token running out meanwhile refused, to run
 * again with a fresh one; how many. */
static size_t refused(struct http_xfer *xs, size_t n, struct http_xfer **again)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (xs[i].status == 401)
			again[k++] = &xs[i];
	return k;
}

int registry_get_blobs(struct registry *r, struct registry_blob *b, size_t n, size_t parallel,
		       struct berth_error *err)
{
	struct http_xfer *xs = xcalloc(n, sizeof(*xs));
	struct http_xfer **run = xcalloc(n, sizeof(*run));
	size_t n_run = n;
	bool refreshed = false;
	int ret = -1;

	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *path = xasprintf("/v2/%s/blobs/%s", r->repo, b[i].digest);
		xfer_for(r, &xs[i], path);
		xs[i].sink = blob_sink;
		xs[i].restart = blob_restart;
		xs[i].resume_from = blob_resume_from;
		xs[i].size = b[i].size;
		xs[i].done = blob_done;
		xs[i].arg = &b[i];
		b[i].hash = sha256_new();
		run[i] = &xs[i];
	}
	for (;;) {
		if (http_run(r->http, run, n_run, parallel, err) < 0)
			goto out;
		if (refreshed || !(n_run = refused(xs, n, run)))
			break;
		_cleanup_free_ char *www = run[0]->www_auth ? xstrdup(run[0]->www_auth) : NULL;
		if (authorize(r, www, err) < 0)
			goto out;
		refreshed = true;
		for (size_t j = 0; j < n_run; j++) {
			run[j]->auth = r->auth;
			if (blob_restart(run[j]->arg) < 0) {
				berth_error_set(err, errno, "blob %s: writing it into the store",
						((struct registry_blob *)run[j]->arg)->digest);
				goto out;
			}
		}
	}
	ret = 0;
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = blob_result(r, &b[i], &xs[i], err);
out:
	for (size_t i = 0; i < n; i++) {
		sha256_free(b[i].hash);
		b[i].hash = NULL;
		http_xfer_clear(&xs[i]);
	}
	free(xs);
	free(run);
	return ret;
}

void registry_xfer(struct registry *r, struct http_xfer *x, const char *path)
{
	xfer_for(r, x, path);
}

int registry_request(struct registry *r, struct http_xfer *x, struct berth_error *err)
{
	return request(r, x, err);
}

int registry_answer_error(const struct http_xfer *x, struct berth_error *err, const char *what)
{
	return fail_answer(x, err, what);
}

int registry_parse_tags(const char *body, size_t len, size_t max, char ***tags, size_t *n,
			struct berth_error *err)
{
	struct json_object *o = NULL, *list;
	int ret = -1;

	if (json_parse_bounded(body, len, "tags list", &o, err) < 0)
		return -1;
	if (!json_object_is_type(o, json_type_object)) {
		berth_error_set(err, 0, "tags list: not a JSON object");
		goto out;
	}
	/* a repository without tags may say "tags": null */
	if (!json_object_object_get_ex(o, "tags", &list) || !list) {
		ret = 0;
		goto out;
	}
	if (!json_object_is_type(list, json_type_array)) {
		berth_error_set(err, 0, "tags list: \"tags\" is not an array");
		goto out;
	}
	for (size_t i = 0; i < json_array_len(list); i++) {
		struct json_object *t = json_object_array_get_idx(list, i);
		const char *tag =
			json_object_is_type(t, json_type_string) ? json_object_get_string(t) : NULL;
		if (!tag || !reference_valid_tag(tag)) {
			_cleanup_free_ char *shown = tag ? xstrndup(tag, 80) : NULL;
			berth_error_set(err, 0, "tags list: \"%s\" is no valid tag",
					shown ? shown : "(not a string)");
			goto out;
		}
		if (*n >= max) {
			berth_error_set(err, 0, "tags list: more than %zu tags", max);
			goto out;
		}
		strv_push(tags, n, tag);
	}
	ret = 0;
out:
	json_object_put(o);
	return ret;
}

int registry_list_tags(struct registry *r, char ***tags, size_t *n, struct berth_error *err)
{
	_cleanup_free_ char *url =
		xasprintf("%s/v2/%s/tags/list?n=%d", r->base, r->repo, REGISTRY_TAGS_PAGE);
	int ret = -1;

	*tags = xcalloc(1, sizeof(char *));
	*n = 0;
	/* a page names the next one; each has at least one tag, so
	 * REGISTRY_MAX_TAGS bounds the pages too */
	for (size_t page = 0; url && page <= REGISTRY_MAX_TAGS; page++) {
		struct http_xfer x;
		memset(&x, 0, sizeof(x));
		x.url = steal_pointer(&url);
		x.auth = r->auth;
		x.insecure = r->insecure;
		x.max_body = OCI_MAX_JSON;
		size_t before = *n;
		if (request(r, &x, err) < 0 ||
		    (x.status != 200 && fail_answer(&x, err, "tags list") < 0) ||
		    registry_parse_tags(x.body ? x.body : "", x.body_len, REGISTRY_MAX_TAGS, tags,
					n, err) < 0) {
			http_xfer_clear(&x);
			berth_error_wrap(err, "%s/%s", r->host, r->repo);
			goto out;
		}
		url = x.link && *n > before ? http_link_next(x.link, r->base) : NULL;
		http_xfer_clear(&x);
	}
	ret = 0;
out:
	if (ret < 0) {
		strv_free(*tags);
		*tags = NULL;
		*n = 0;
	}
	return ret;
}
