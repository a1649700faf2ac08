/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reference.h: image reference parsing and normalisation, podman style:
 * a name without a registry gets "localhost/", a missing tag "latest".
 */
#ifndef BERTH_REFERENCE_H
#define BERTH_REFERENCE_H

#include <stdbool.h>

#include "../lib/error.h"

/* "foo" -> "localhost/foo:latest"; "quay.io/a/b:1" stays; "a@sha256:..."
 * keeps its digest. Fails on names docker would refuse. */
int reference_normalize(const char *in, char **out, struct berth_error *err);
/* A valid tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} */
bool reference_valid_tag(const char *tag);
/* Split a normalised "repo:tag" (no digest) at the tag colon. */
void reference_split(const char *ref, char **repo, char **tag);

#endif
