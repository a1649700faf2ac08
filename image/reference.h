/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reference.h: image reference parsing and normalisation. The store names
 * images podman style (a name without a registry gets "localhost/", a
 * missing tag "latest"); a registry reference follows docker's rules
 * (no registry is docker.io, and a one-component name there is under
 * "library/"). One grammar for both.
 */
#ifndef BERTH_REFERENCE_H
#define BERTH_REFERENCE_H

#include <stdbool.h>

#include "../lib/error.h"

#define REFERENCE_DOCKER_HUB "docker.io"

/* A parsed reference: "DOMAIN/PATH[:TAG][@DIGEST]". */
struct reference {
	char *domain; /* "localhost", "docker.io", "127.0.0.1:5000" */
	char *path;   /* "library/busybox", never empty */
	char *tag; /* "latest" when neither a tag nor a digest was given; NULL with a digest alone */
	char *digest; /* "sha256:<hex>" or NULL */
};

/* Parse in, giving a name without a registry default_domain. With
 * default_domain REFERENCE_DOCKER_HUB the rules are docker's: a
 * one-component name on docker.io gets "library/", and "index.docker.io"
 * is docker.io. Fails on names docker would refuse. */
int reference_parse(const char *in, const char *default_domain, struct reference *out,
		    struct berth_error *err);
void reference_clear(struct reference *r);
/* "DOMAIN/PATH[:TAG][@DIGEST]" */
char *reference_str(const struct reference *r);

/* "foo" -> "localhost/foo:latest"; "quay.io/a/b:1" stays; "a@sha256:..."
 * keeps its digest. Fails on names docker would refuse. */
int reference_normalize(const char *in, char **out, struct berth_error *err);
/* The same by docker's rules: "busybox" -> "docker.io/library/busybox:latest". */
int reference_normalize_docker(const char *in, char **out, struct berth_error *err);
/* A valid tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} */
bool reference_valid_tag(const char *tag);
/* Split a normalised "repo:tag" at the tag colon; "repo@digest" is the
 * repository with the tag "<none>". */
void reference_split(const char *ref, char **repo, char **tag);

#endif
