// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * http.c: HTTP transfers on one libcurl multi handle (http.h), and the
 * WWW-Authenticate parser. Not concerned with registries: what a request
 * asks and what an answer means is image/registry.c's.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "http.h"
#include "util.h"

#define ERROR_BODY_MAX (64u << 10)

enum {
	WAITING,
	RUNNING,
	DONE
};

struct http_client {
	CURLM *multi;
	struct http_limits limits; /* bounded waits and retries (http.h) */
};

struct http_client *http_client_new(void)
{
	static bool global_done;
	struct http_client *c;

	if (!global_done) { /* berth is one thread when it starts a client */
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		global_done = true;
	}
	c = xcalloc(1, sizeof(*c));
	c->multi = curl_multi_init();
	if (!c->multi) {
		free(c);
		return NULL;
	}
	curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	http_client_set_limits(c, &(struct http_limits){ 0 });
	return c;
}

void http_client_set_limits(struct http_client *c, const struct http_limits *l)
{
	c->limits.connect_s = l->connect_s ? l->connect_s : HTTP_DEFAULT_CONNECT_S;
	c->limits.stall_s = l->stall_s ? l->stall_s : HTTP_DEFAULT_STALL_S;
	c->limits.attempts = l->attempts ? l->attempts : HTTP_DEFAULT_ATTEMPTS;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	curl_multi_cleanup(c->multi);
	free(c);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What an earlier attempt left in the answer's fields. */
static void reset_answer(struct http_xfer *x)
{
	free(x->body);
	free(x->content_type);
	free(x->docker_digest);
	free(x->www_auth);
	free(x->location);
	free(x->link);
	free(x->error);
	x->body = x->content_type = x->docker_digest = x->www_auth = x->link = x->error = NULL;
	x->location = NULL;
	x->body_len = 0;
	x->status = 0;
	x->sink_failed = x->too_big = x->bad_range = false;
	x->body_started = false;
	x->range_got = -1;
	x->errbuf[0] = '\0';
}

/* The request headers freed, wiped first: one may be a credential. */
static void free_headers(struct http_xfer *x)
{
	for (struct curl_slist *l = x->headers; l; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(x->headers);
	x->headers = NULL;
}

void http_xfer_clear(struct http_xfer *x)
{
	reset_answer(x);
	if (x->easy)
		curl_easy_cleanup(x->easy);
	free_headers(x);
	free(x->url);
	memset(x, 0, sizeof(*x));
}

static void set_header(char **field, const char *v, size_t n, bool append)
{
	if (append && *field) {
		char *joined = xasprintf("%s, %.*s", *field, (int)n, v);
		free(*field);
		*field = joined;
		return;
	}
	free(*field);
	*field = xstrndup(v, n);
}

static size_t on_header(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct http_xfer *x = arg;
	size_t len = size * nmemb, n;
	const char *colon, *v;

	if (len >= 5 && strncasecmp(buf, "HTTP/", 5) == 0) { /* a new answer (redirects) */
		free(x->content_type);
		free(x->docker_digest);
		free(x->www_auth);
		free(x->location);
		free(x->link);
		x->content_type = x->docker_digest = x->www_auth = x->location = x->link = NULL;
		x->range_got = -1;
		return len;
	}
	colon = memchr(buf, ':', len);
	if (!colon)
		return len;
	v = colon + 1;
	while (v < buf + len && (*v == ' ' || *v == '\t'))
		v++;
	n = (size_t)(buf + len - v);
	while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
		n--;
#define IS(name)                                                                                   \
	((size_t)(colon - buf) == strlen(name) && strncasecmp(buf, name, strlen(name)) == 0)
	if (IS("Content-Type"))
		set_header(&x->content_type, v, n, false);
	else if (IS("Docker-Content-Digest"))
		set_header(&x->docker_digest, v, n, false);
	else if (IS("WWW-Authenticate"))
		set_header(&x->www_auth, v, n, true);
	else if (IS("Location"))
		set_header(&x->location, v, n, false);
	else if (IS("Link"))
		set_header(&x->link, v, n, true);
	else if (IS("Content-Range") && n > 6 && !strncasecmp(v, "bytes ", 6))
		x->range_got = strtoll(v + 6, NULL, 10); /* "bytes N-M/T" */
#undef IS
	return len;
}

/* The first byte of a success: the rest of what a resumed try asked
 * for, or (200) the whole body again, the sink told to start over. */
static int answer_starts(struct http_xfer *x, long code)
{
	x->body_started = true;
	if (!x->range_from)
		return 0;
	if (code == 206) {
		if (x->range_got != (int64_t)x->range_from) {
			x->bad_range = true;
			return -1;
		}
		return 0;
	}
	x->range_from = 0; /* the server ignores ranges */
	if (x->sink && x->restart && x->restart(x->arg) < 0) {
		x->sink_failed = true;
		return -1;
	}
	return 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_xfer *x = arg;
	size_t len = size * nmemb, limit;
	long code = 0;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	bool ok = code >= 200 && code < 300;
	if (ok && !x->body_started && answer_starts(x, code) < 0)
		return 0;
	if (ok && x->sink) {
		x->delivered = true;
		if (x->sink(data, len, x->arg) < 0) {
			x->sink_failed = true;
			return 0;
		}
		return len;
	}
	limit = ok ? x->max_body : ERROR_BODY_MAX;
	if (x->body_len + len > limit) {
		if (!ok) /* an error's explanation: its start is enough */
			len = limit - x->body_len;
		else {
			x->too_big = true;
			return 0;
		}
	}
	x->body = xrealloc(x->body, x->body_len + len + 1);
	memcpy(x->body + x->body_len, data, len);
	x->body_len += len;
	x->body[x->body_len] = '\0';
	return size * nmemb;
}

void http_xfer_upload_fd(struct http_xfer *x, int fd, uint64_t off, uint64_t len)
{
	x->has_upload = true;
	x->upload_fd = fd;
	x->upload_data = NULL;
	x->upload_off = off;
	x->upload_len = len;
}

void http_xfer_upload_data(struct http_xfer *x, const char *data, size_t len)
{
	x->has_upload = true;
	x->upload_fd = -1;
	x->upload_data = data;
	x->upload_off = 0;
	x->upload_len = len;
}

/* The body's progress, for whoever shows it: as bytes are handed to
 * curl (a buffer ahead of the wire at most), and when a try rewinds. */
static void note_sent(struct http_xfer *x)
{
	if (x->sent)
		x->sent(x->arg, x->uploaded);
}

/* The request body, as curl asks for it: never more than its buffer. */
static size_t on_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct http_xfer *x = arg;
	uint64_t left = x->upload_len - x->uploaded;
	size_t want = size * nitems < left ? size * nitems : (size_t)left;
	ssize_t n;

	if (!want)
		return 0;
	if (x->upload_data) {
		memcpy(buf, x->upload_data + x->uploaded, want);
		n = (ssize_t)want;
	} else {
		do
			n = pread(x->upload_fd, buf, want, (off_t)(x->upload_off + x->uploaded));
		while (n < 0 && errno == EINTR);
		if (n <= 0) /* a file shorter than said is no body to send */
			return CURL_READFUNC_ABORT;
	}
	x->uploaded += (uint64_t)n;
	note_sent(x);
	return (size_t)n;
}

/* curl rewinds a body it must send again (a redirect, a reused
 * connection that closed). */
static int on_seek(void *arg, curl_off_t off, int origin)
{
	struct http_xfer *x = arg;

	if (origin != SEEK_SET || off < 0 || (uint64_t)off > x->upload_len)
		return CURL_SEEKFUNC_CANTSEEK;
	x->uploaded = (uint64_t)off;
	note_sent(x);
	return CURL_SEEKFUNC_OK;
}

/* PUT, PATCH and POST send a body (empty without one); their headers. */
static void set_upload(CURL *e, struct http_xfer *x)
{
	x->uploaded = 0;
	note_sent(x);
	curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(e, CURLOPT_READDATA, x);
	curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_seek);
	curl_easy_setopt(e, CURLOPT_SEEKDATA, x);
	curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE,
			 (curl_off_t)(x->has_upload ? x->upload_len : 0));
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
	/* no 100-continue round trip: registries take the body at once */
	x->headers = curl_slist_append(x->headers, "Expect:");
	if (x->body_type) {
		_cleanup_free_ char *h = xasprintf("Content-Type: %s", x->body_type);
		x->headers = curl_slist_append(x->headers, h);
	}
	if (x->content_range) {
		_cleanup_free_ char *h = xasprintf("Content-Range: %s", x->content_range);
		x->headers = curl_slist_append(x->headers, h);
	}
}

static bool sends_body(const char *method)
{
	return method &&
	       (!strcmp(method, "PUT") || !strcmp(method, "PATCH") || !strcmp(method, "POST"));
}

void http_tls_clear(struct http_tls *t)
{
	free(t->ca_pem);
	free(t->client_cert);
	free(t->client_key);
	memset(t, 0, sizeof(*t));
}

/* curl reads the system's CA bundle file whole for every handshake
 * (about 140 certificates, 25 ms of CPU here), even one that fails at
 * once, as the HTTPS attempt on a plain loopback registry does; from the
 * hashed directory it was built with as well (CAPATH, /etc/ssl/certs on
 * Debian), OpenSSL reads only the certificates a verification needs. So
 * the file is left out where that directory exists: a pull whose layers
 * are all stored went from 45 to 15 ms (hyperfine, 30 runs). */
static void lazy_system_cas(CURL *e)
{
	static int have_dir = -1;

	if (have_dir < 0) {
		char *dir = NULL;
		have_dir = curl_easy_getinfo(e, CURLINFO_CAPATH, &dir) == CURLE_OK && dir &&
			   access(dir, X_OK) == 0;
	}
	if (have_dir)
		curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
}

/* The transfer's TLS options: certs.d's CAs (with the system's: the blob
 * replaces curl's CA file), its client certificate, or no verification
 * at all where the caller decided that is allowed. */
static void set_tls(CURL *e, const struct http_xfer *x)
{
	const struct http_tls *t = x->tls;

	if (x->insecure || (t && t->no_verify)) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (!t || !t->ca_pem)
		lazy_system_cas(e);
	if (!t)
		return;
	if (t->ca_pem) {
		struct curl_blob blob = { .data = t->ca_pem,
					  .len = t->ca_len,
					  .flags = CURL_BLOB_COPY };
		curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (t->client_cert && t->client_key) {
		curl_easy_setopt(e, CURLOPT_SSLCERT, t->client_cert);
		curl_easy_setopt(e, CURLOPT_SSLKEY, t->client_key);
	}
}

char *http_default_ca_file(void)
{
	CURL *e = curl_easy_init();
	char *path = NULL, *r = NULL;

	if (!e)
		return NULL;
	if (curl_easy_getinfo(e, CURLINFO_CAINFO, &path) == CURLE_OK && path)
		r = xstrdup(path);
	curl_easy_cleanup(e);
	return r;
}

/* A resumed try asks for the bytes from range_from to the body's end. */
static void set_range(CURL *e, struct http_xfer *x)
{
	char range[48];

	if (!x->range_from)
		return;
	if (x->size)
		snprintf(range, sizeof(range), "%llu-%llu", (unsigned long long)x->range_from,
			 (unsigned long long)x->size - 1);
	else
		snprintf(range, sizeof(range), "%llu-", (unsigned long long)x->range_from);
	curl_easy_setopt(e, CURLOPT_RANGE, range);
}

static int start_xfer(struct http_client *c, struct http_xfer *x)
{
	CURL *e = curl_easy_init();

	if (!e)
		return -1;
	x->easy = e;
	curl_easy_setopt(e, CURLOPT_URL, x->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	/* blob storage answers with redirects; a custom Authorization
	 * header is not sent to another host (curl >= 7.58) */
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	/* what came over TLS is never redirected to plain HTTP */
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR,
			 str_has_prefix(x->url, "https://") ? "https" : "http,https");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)c->limits.connect_s);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)c->limits.stall_s);
	set_range(e, x);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "berth/" BERTH_VERSION_STRING);
	if (x->method && strcmp(x->method, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (x->method && strcmp(x->method, "GET") != 0 && !sends_body(x->method))
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
	set_tls(e, x);
	/* made anew each time: a retry after a 401 carries a new token */
	free_headers(x);
	if (x->auth) {
		_cleanup_free_ char *h = xasprintf("Authorization: %s", x->auth);
		x->headers = curl_slist_append(x->headers, h);
		explicit_bzero(h, strlen(h));
	}
	if (x->accept) {
		_cleanup_free_ char *h = xasprintf("Accept: %s", x->accept);
		x->headers = curl_slist_append(x->headers, h);
	}
	if (sends_body(x->method))
		set_upload(e, x);
	if (x->headers)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	x->attempts++;
	x->state = RUNNING;
	return curl_multi_add_handle(c->multi, e) == CURLM_OK ? 0 : -1;
}

static bool worth_retrying(CURLcode r, long status)
{
	switch (r) {
	case CURLE_OK:
		return status == 429 || status == 500 || status == 502 || status == 503 ||
		       status == 504;
	case CURLE_COULDNT_CONNECT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM: return true;
	default: return false;
	}
}

/* May a try that ended this way be followed by another, and from where?
 * A body the sink has kept part of goes on after it (resume_from: a
 * Range request), whether this try or an earlier one brought the bytes;
 * else it starts over (restart). A try that brought bytes is not
 * counted against the attempts, up to HTTP_MAX_RESUMES times. */
static bool try_again(struct http_client *c, struct http_xfer *x, CURLcode r, long status)
{
	uint64_t from;

	if (x->sink_failed || x->too_big || x->bad_range || !worth_retrying(r, status))
		return false;
	if (x->delivered && x->resume_from && x->resumes < HTTP_MAX_RESUMES) {
		x->resumes++;
		x->attempts = 0;
	} else if (x->attempts >= c->limits.attempts) {
		return false;
	}
	from = x->resume_from ? x->resume_from(x->arg) : 0;
	if (from > 0 && (!x->size || from < x->size)) {
		x->range_from = from;
		return true;
	}
	x->range_from = 0;
	if (!x->delivered && from == 0)
		return true;
	return x->restart && x->restart(x->arg) == 0;
}

/* A transfer ended: done, or queued again after a backoff. */
static void finish_xfer(struct http_client *c, struct http_xfer *x, CURLcode r)
{
	long status = 0;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(c->multi, x->easy);
	curl_easy_cleanup(x->easy);
	x->easy = NULL;
	if (try_again(c, x, r, status)) {
		unsigned n = x->attempts ? x->attempts : 1;
		x->delivered = false;
		reset_answer(x);
		/* 0.5 s, 1 s, 2 s... (at most 8 s) */
		x->not_before_ms = now_ms() + (250 << (n < 6 ? n : 6));
		x->state = WAITING;
		return;
	}
	x->state = DONE;
	if (r == CURLE_OK) {
		x->status = status;
		if (x->done && status >= 200 && status < 300)
			x->done(x->arg);
		return;
	}
	x->status = 0;
	if (x->bad_range)
		x->error = xasprintf("asked for the bytes from %llu, the answer starts elsewhere",
				     (unsigned long long)x->range_from);
	else if (x->sink_failed)
		x->error = xstrdup("stopped by its receiver");
	else if (x->too_big)
		x->error = xasprintf("the answer is larger than %zu bytes", x->max_body);
	else if (r == CURLE_UNSUPPORTED_PROTOCOL && str_has_prefix(x->url, "https://"))
		x->error = xasprintf("%.*s redirected from HTTPS to plain HTTP: refused",
				     (int)strcspn(x->url + 8, "/?#"), x->url + 8);
	else
		x->error = xstrdup(x->errbuf[0] ? x->errbuf : curl_easy_strerror(r));
}

int http_run(struct http_client *c, struct http_xfer *const *x, size_t n, size_t parallel,
	     struct berth_error *err)
{
	size_t running = 0, done = 0;

	for (size_t i = 0; i < n; i++) {
		reset_answer(x[i]);
		x[i]->state = WAITING;
		x[i]->attempts = 0;
		x[i]->resumes = 0;
		x[i]->range_from = 0;
		x[i]->delivered = false;
		x[i]->not_before_ms = 0;
	}
	while (done < n) {
		int64_t now = now_ms(), wait = 1000;
		CURLMsg *m;
		int still, left;

		for (size_t i = 0; i < n && running < (parallel ? parallel : 1); i++) {
			if (x[i]->state != WAITING)
				continue;
			if (x[i]->not_before_ms > now) {
				if (x[i]->not_before_ms - now < wait)
					wait = x[i]->not_before_ms - now;
				continue;
			}
			if (start_xfer(c, x[i]) < 0)
				return berth_error_set(err, 0, "cannot start a transfer of %s",
						       x[i]->url);
			running++;
		}
		if (curl_multi_perform(c->multi, &still) != CURLM_OK)
			return berth_error_set(err, 0, "HTTP transfers failed");
		while ((m = curl_multi_info_read(c->multi, &left))) {
			struct http_xfer *t;
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
			finish_xfer(c, t, m->data.result);
			running--;
			if (t->state == DONE)
				done++;
			wait = 0;
		}
		if (done < n && wait > 0 &&
		    curl_multi_poll(c->multi, NULL, 0, (int)wait, NULL) != CURLM_OK)
			return berth_error_set(err, 0, "HTTP transfers failed");
	}
	return 0;
}

char *http_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *r = xstrdup(e ? e : "");

	curl_free(e);
	return r;
}

/* RFC 7230 tchar */
static bool is_tchar(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static const char *token_end(const char *p)
{
	while (is_tchar(*p))
		p++;
	return p;
}

/* A token or a quoted string at p (escapes undone); NULL if neither. */
static char *param_value(const char **pp)
{
	const char *p = *pp;
	char *out, *o;

	if (*p != '"') {
		/* a token; taken up to the next separator, since realms are
		 * sent unquoted too ("realm=https://...") */
		size_t n = strcspn(p, ", \t\"");
		if (n == 0)
			return NULL;
		*pp = p + n;
		return xstrndup(p, n);
	}
	o = out = xmalloc(strlen(p) + 1);
	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		*o++ = *p;
	}
	if (*p != '"') {
		free(out);
		return NULL;
	}
	*o = '\0';
	*pp = p + 1;
	return out;
}

static void keep_param(struct http_challenge *c, const char *name, size_t n, char *value)
{
	static const struct {
		const char *name;
		size_t off;
	} known[] = {
		{ "realm", offsetof(struct http_challenge, realm) },
		{ "service", offsetof(struct http_challenge, service) },
		{ "scope", offsetof(struct http_challenge, scope) },
		{ "error", offsetof(struct http_challenge, error) },
	};

	for (size_t i = 0; i < ARRAY_SIZE(known); i++) {
		char **f = (char **)((char *)c + known[i].off);
		if (strlen(known[i].name) == n && strncasecmp(name, known[i].name, n) == 0 && !*f) {
			*f = value;
			return;
		}
	}
	free(value);
}

/* One challenge from p: its scheme, then name=value pairs up to the next
 * scheme. */
static int parse_one(const char **pp, struct http_challenge *c)
{
	const char *p = skip_ws(*pp), *e = token_end(p);

	if (e == p)
		return -1;
	c->scheme = xstrndup(p, (size_t)(e - p));
	p = skip_ws(e);
	for (;;) {
		const char *name = p, *ne = token_end(p), *q = skip_ws(ne);
		char *value;
		if (ne == name || *q != '=') /* the next challenge's scheme, or the end */
			break;
		q = skip_ws(q + 1);
		if (!(value = param_value(&q)))
			return -1;
		keep_param(c, name, (size_t)(ne - name), value);
		p = skip_ws(q);
		if (*p != ',')
			break;
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
	}
	*pp = p;
	return 0;
}

int http_parse_challenge(const char *header, struct http_challenge *out)
{
	const char *p = header;

	memset(out, 0, sizeof(*out));
	if (!header)
		return -1;
	while (*(p = skip_ws(p))) {
		struct http_challenge c = { 0 };
		if (parse_one(&p, &c) < 0) {
			http_challenge_clear(&c);
			break;
		}
		bool bearer = strcasecmp(c.scheme, "Bearer") == 0;
		bool basic = strcasecmp(c.scheme, "Basic") == 0;
		if ((bearer && (!out->scheme || strcasecmp(out->scheme, "Bearer"))) ||
		    (basic && !out->scheme)) {
			http_challenge_clear(out);
			*out = c;
		} else {
			http_challenge_clear(&c);
		}
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
	}
	return out->scheme ? 0 : -1;
}

void http_challenge_clear(struct http_challenge *c)
{
	free(c->scheme);
	free(c->realm);
	free(c->service);
	free(c->scope);
	free(c->error);
	memset(c, 0, sizeof(*c));
}

/* Does a link-value's parameters (after its <URI>) say rel="next"? */
static bool rel_next(const char *p, const char *end)
{
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		if (!semi)
			return false;
		p = skip_ws(semi + 1);
		if ((size_t)(end - p) < 4 || strncasecmp(p, "rel", 3) != 0)
			continue;
		const char *q = skip_ws(p + 3);
		if (q >= end || *q != '=')
			continue;
		q = skip_ws(q + 1);
		bool quoted = q < end && *q == '"';
		if (quoted)
			q++;
		/* rel is a space-separated list of relation types */
		while (q < end && *q != '"' && *q != ';' && *q != ',') {
			const char *w = q;
			while (q < end && *q != ' ' && *q != '"' && *q != ';' && *q != ',')
				q++;
			if (q - w == 4 && !strncasecmp(w, "next", 4))
				return true;
			while (q < end && *q == ' ')
				q++;
		}
		p = q;
	}
	return false;
}

/* A URI fit to follow: printable, no spaces. */
static bool uri_clean(const char *u, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u[i] <= ' ' || (unsigned char)u[i] >= 0x7f)
			return false;
	return n > 0;
}

char *http_link_next(const char *link, const char *base)
{
	const char *p = link;
	size_t nb = strlen(base);

	while (p && *(p = skip_ws(p))) {
		const char *lt, *gt, *next;
		if (*p != '<')
			return NULL;
		lt = p + 1;
		if (!(gt = strchr(lt, '>')))
			return NULL;
		/* the link-value ends at the first ',' after its URI */
		next = strchr(gt, ',');
		const char *end = next ? next : gt + strlen(gt);
		size_t n = (size_t)(gt - lt);
		if (rel_next(gt + 1, end) && uri_clean(lt, n)) {
			if (lt[0] == '/' && (n < 2 || lt[1] != '/'))
				return xasprintf("%s%.*s", base, (int)n, lt);
			if (n > nb && !strncmp(lt, base, nb) && lt[nb] == '/')
				return xstrndup(lt, n);
			return NULL;
		}
		p = next ? next + 1 : NULL;
	}
	return NULL;
}
