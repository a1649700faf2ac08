/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * registry.h: one repository of one registry, spoken to over the
 * distribution API (OCI distribution spec v1.1, docker registry v2):
 * the endpoint found (HTTPS, or plain HTTP where registries.conf or a
 * loopback name allows), authorisation (anonymous, basic, a bearer token
 * from the WWW-Authenticate challenge, per repository scope, refreshed on
 * a 401), and the documents and blobs fetched with their digests
 * checked. What is fetched for an image is image/pull.c's.
 */
#ifndef BERTH_REGISTRY_H
#define BERTH_REGISTRY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "regconf.h"
#include "../lib/digest.h"
#include "../lib/http.h"

struct registry {
	struct http_client *http; /* the caller's */
	const struct regconf *conf;
	char *host; /* as references name it: "docker.io", "127.0.0.1:5000" */
	char *repo; /* "library/busybox" */
	char *base; /* "https://registry-1.docker.io", "http://127.0.0.1:5000" */
	bool insecure;
	char *auth;	     /* the Authorization value in use, or NULL */
	char *basic;	     /* "Basic ..." from stored credentials, or NULL (login's) */
	struct http_tls tls; /* certs.d's or --cert-dir's, --tls-verify=false */
	/* the token scope: pull, or pull,push (push.c sets it after open),
	 * with repository:mount_from:pull for a cross-repository mount */
	bool push;
	char *mount_from;
};

/* What every registry command starts with: the user's registries.conf
 * into conf, the command's TLS flags (or NULL) over it, and a libcurl
 * client with its waits and retries; the caller frees both. */
int registry_client_new(struct regconf *conf, const struct regconf_tls_flags *tls,
			struct http_client **http, struct berth_error *err);

/* Find the endpoint of host (a GET of /v2/) and get what reading repo
 * needs (a token, when the registry asks for one). */
int registry_open(struct registry *r, struct http_client *http, const struct regconf *conf,
		  const char *host, const char *repo, struct berth_error *err);
void registry_close(struct registry *r);
/* Are user and secret good at host? GET /v2/ answered with them, or a
 * token given for them when the registry asks for one. A refusal is one
 * line naming host, never the credentials. */
int registry_login(struct http_client *http, const struct regconf *conf, const char *host,
		   const char *user, const char *secret, struct berth_error *err);

/* GET /v2/REPO/manifests/REF (a tag or a digest): the document (at most
 * OCI_MAX_JSON bytes), its media type as sent, and its digest, checked
 * against Docker-Content-Digest when the registry sends one. */
int registry_get_manifest(struct registry *r, const char *ref, char **buf, size_t *len,
			  char **media_type, char *digest, struct berth_error *err);
/* A small blob (a config) into memory, its size and digest checked. */
int registry_get_blob(struct registry *r, const char *digest, uint64_t size, size_t max, char **buf,
		      size_t *len, struct berth_error *err);

/* Blobs streamed into files, parallel at once, each through its sha256
 * and size check: a blob that is not exactly what its descriptor says
 * fails the whole call (the caller removes the files). */
struct registry_blob {
	const char *digest;
	uint64_t size;
	int fd; /* written from its start */
	/* called as soon as it is fetched whole and checked, or NULL */
	void (*done)(const struct registry_blob *b);
	/* called as bytes arrive (got), and with got 0 when the blob starts
	 * over from its first byte; or NULL */
	void (*progress)(const struct registry_blob *b);
	void *data;
	/* once it holds true, the transfer stops (its receiver fails it)
	 * and the call fails; or NULL. Read from the transfer's thread. */
	const atomic_bool *stop;
	/* private */
	struct sha256_ctx *hash;
	uint64_t got;
	int write_errno;
	bool over;
	bool stopped;
	bool hashed; /* actual is its content's digest */
	char actual[DIGEST_STR_LEN + 1];
};
int registry_get_blobs(struct registry *r, struct registry_blob *b, size_t n, size_t parallel,
		       struct berth_error *err);

/* For registry-upload.c: a transfer of path on r's endpoint with r's
 * authorisation; one request, answered again after a 401 with a fresh
 * token; an answer that is no success as one line, after what. */
void registry_xfer(struct registry *r, struct http_xfer *x, const char *path);
int registry_request(struct registry *r, struct http_xfer *x, struct berth_error *err);
int registry_answer_error(const struct http_xfer *x, struct berth_error *err, const char *what);
/* The repository's tags (GET /v2/REPO/tags/list, page after page as
 * its Link header leads, at most REGISTRY_MAX_TAGS), in the registry's
 * order; a tag that is no valid tag fails the call. */
#define REGISTRY_TAGS_PAGE 100
#define REGISTRY_MAX_TAGS 10000
int registry_list_tags(struct registry *r, char ***tags, size_t *n, struct berth_error *err);
/* One page of the tags list ({"name": ..., "tags": [...]}), appended to
 * *tags (NULL-terminated) and *n, at most max in all. */
int registry_parse_tags(const char *body, size_t len, size_t max, char ***tags, size_t *n,
			struct berth_error *err);

#endif
