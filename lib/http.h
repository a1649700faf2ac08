/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * http.h: HTTP transfers on the system's libcurl, for the registry
 * client. One client is one curl multi handle: its transfers share
 * connections (reuse, HTTP/2 where the server offers it), run several at
 * once, and are retried with backoff on what is worth retrying. Proxy
 * variables are read as curl reads them. An Authorization value is only
 * ever a request header: never in a URL, a message or a log. Also the
 * parser of WWW-Authenticate challenges (RFC 7235).
 */
#ifndef BERTH_HTTP_H
#define BERTH_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct http_client;

/* A transfer's TLS set-up beyond curl's defaults (the system's CAs,
 * verification on): docker's certs.d for its host, or --cert-dir. */
struct http_tls {
	bool no_verify; /* neither the peer's certificate nor its name checked */
	char *ca_pem;	/* the system's CAs and the extra ones (PEM), or NULL */
	size_t ca_len;
	char *client_cert; /* a PEM client certificate and its key (paths), or NULL */
	char *client_key;
};
void http_tls_clear(struct http_tls *t);

struct http_client *http_client_new(void);
void http_client_free(struct http_client *c);

/* The bounds of every transfer's waits and retries (0 in a field: its
 * default). A registry that accepts no connection in connect_s seconds,
 * or sends no byte for stall_s in the middle of an answer, is given up
 * on and tried again; attempts is how many tries a request gets in all,
 * 0.5 s, 1 s, 2 s... apart. A transfer that got bytes on a try and
 * resumes from them is not counted against attempts, but at most
 * HTTP_MAX_RESUMES times. No bound on a whole transfer: a large layer on
 * a slow link takes what it takes while bytes flow. */
struct http_limits {
	unsigned connect_s; /* default 30 */
	unsigned stall_s;   /* default 60 */
	unsigned attempts;  /* default 4 */
};
#define HTTP_DEFAULT_CONNECT_S 30
#define HTTP_DEFAULT_STALL_S 60
#define HTTP_DEFAULT_ATTEMPTS 4
#define HTTP_MAX_RESUMES 16
void http_client_set_limits(struct http_client *c, const struct http_limits *l);

/* One request. The body goes to sink when set (a 2xx answer's only:
 * error bodies are kept in memory), else to memory, at most max_body
 * bytes (more fails the transfer). A retry after some of the body was
 * delivered calls restart first; without restart it is not retried. */
struct http_xfer {
	/* in */
	const char *method;	    /* NULL: GET */
	char *url;		    /* owned */
	const char *auth;	    /* the Authorization value, or NULL */
	const char *accept;	    /* the Accept value, or NULL */
	bool insecure;		    /* no TLS verification */
	const struct http_tls *tls; /* or NULL: curl's defaults */
	size_t max_body;
	int (*sink)(const void *data, size_t len, void *arg); /* 0, or -1 to stop */
	int (*restart)(void *arg);
	/* when set, a retry after some of the body was delivered asks only
	 * for the rest: Range: bytes=N-(size-1), N what resume_from answers
	 * (the bytes the sink has kept); an answer 200 to that request means
	 * the server ignores ranges: restart is called before its first
	 * byte, which is the body's first */
	uint64_t (*resume_from)(void *arg);
	uint64_t size;		 /* the whole body's, for the Range's end (0: open) */
	void (*done)(void *arg); /* called when a 2xx answer has ended, or NULL */
	void *arg;
	/* a request body (http_xfer_upload_*): methods PUT, PATCH, POST */
	int upload_fd;		 /* read with pread from upload_off, or -1 */
	const char *upload_data; /* or from memory */
	uint64_t upload_off, upload_len;
	const char *body_type;	   /* the request's Content-Type, or NULL */
	const char *content_range; /* the request's Content-Range, or NULL */
	/* told, with arg, of the body's bytes handed to curl so far on this
	 * try (0 when a try starts it again), for progress; or NULL */
	void (*sent)(void *arg, uint64_t done);
	/* out */
	long status; /* 0: no answer (see error) */
	char *body;  /* the body in memory (NUL-terminated), or an error body */
	size_t body_len;
	char *content_type;  /* headers of the last answer (after redirects), or NULL */
	char *docker_digest; /* Docker-Content-Digest */
	char *www_auth;	     /* WWW-Authenticate */
	char *location;	     /* Location (an upload session's URL) */
	char *link;	     /* Link (pagination) */
	char *error;	     /* why no answer came (curl's text), or NULL */
	bool sink_failed;    /* the sink stopped the transfer */
	bool too_big;	     /* the body passed max_body */
	/* private */
	void *easy;
	struct curl_slist *headers;
	unsigned attempts, resumes;
	bool delivered;
	bool has_upload;
	uint64_t uploaded;
	uint64_t range_from; /* this try asks for bytes from here (0: all) */
	int64_t range_got;   /* the answer's Content-Range start, or -1 */
	bool body_started;   /* this try's answer has given a byte */
	bool bad_range;	     /* a 206 from another offset than asked */
	int state;	     /* waiting, running, done */
	int64_t not_before_ms;
	char errbuf[256]; /* CURL_ERROR_SIZE */
};

/* Run n transfers, at most parallel at once, each retried (the client's
 * attempts, with backoff) on a dropped or refused connection, a timeout,
 * or answers 429, 500, 502, 503, 504; one that got part of its body
 * resumes (resume_from) or starts over (restart). Returns when every
 * transfer has its answer or its error; -1 only when curl itself
 * fails. */
int http_run(struct http_client *c, struct http_xfer *const *x, size_t n, size_t parallel,
	     struct berth_error *err);
void http_xfer_clear(struct http_xfer *x);
/* Give x a request body: len bytes of fd from off (read as curl sends
 * them, never held whole), or of data. A retry sends it again from its
 * start. Without either, a PUT, PATCH or POST sends an empty body. */
void http_xfer_upload_fd(struct http_xfer *x, int fd, uint64_t off, uint64_t len);
void http_xfer_upload_data(struct http_xfer *x, const char *data, size_t len);
/* A component of a URL's query, escaped. */
char *http_escape(const char *s);
/* The CA bundle curl verifies with by default (a path), or NULL. */
char *http_default_ca_file(void);

/* A WWW-Authenticate challenge: its scheme and the parameters berth
 * uses. */
struct http_challenge {
	char *scheme; /* "Bearer", "Basic" (as sent) */
	char *realm, *service, *scope, *error;
};
/* The first challenge of header whose scheme is Bearer, else the first
 * Basic one; -1 when there is none or the header is malformed. */
int http_parse_challenge(const char *header, struct http_challenge *out);
void http_challenge_clear(struct http_challenge *c);

/* The URL of a Link header's rel="next" (RFC 8288; the distribution
 * API's pagination), resolved against base ("https://host:port"): a
 * path, or an absolute URL on base itself; NULL when there is none, or
 * when it leads elsewhere. */
char *http_link_next(const char *link, const char *base);

#endif
