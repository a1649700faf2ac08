/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * regconf.h: the user's registries.conf (docs/registry.md): per registry,
 * whether it may be reached without TLS (or without TLS verification),
 * and the mirrors tried before it. $BERTH_REGISTRIES_CONF, else
 * $XDG_CONFIG_HOME/berth/registries.conf, else
 * ~/.config/berth/registries.conf; a missing file is no settings.
 */
#ifndef BERTH_REGCONF_H
#define BERTH_REGCONF_H

#include <stdbool.h>
#include <stddef.h>

#include "../lib/error.h"
#include "../lib/http.h"

struct regconf_registry {
	char *host;	/* "docker.io", "host:5000": the section's name */
	bool insecure;	/* insecure = true */
	char **mirrors; /* mirror = HOST[:PORT], ...: NULL-terminated, or NULL */
};

/* What one command's flags say over the file, for every registry it
 * reaches (set by the caller after regconf_load): --tls-verify=false (no
 * certificate verification; plain HTTP still needs the file's insecure
 * or a loopback name, unlike podman's flag) and --cert-dir DIR (its
 * certificates instead of certs.d's). */
struct regconf_tls_flags {
	bool no_verify;
	const char *cert_dir; /* the caller's */
};

struct regconf {
	struct regconf_tls_flags flags;
	char *path; /* the file read (or that would be) */
	bool found;
	/* the global section (keys before any [registry]): the bounds of
	 * every request's waits and retries; 0: lib/http.h's defaults */
	unsigned connect_timeout; /* connect-timeout = SECONDS */
	unsigned stall_timeout;	  /* stall-timeout = SECONDS */
	unsigned attempts;	  /* retries = N, plus the first try */
	size_t n;
	struct regconf_registry *regs;
};

/* A syntax error, a section that is no registry name, an unknown key or
 * a bad value fails naming FILE:LINE. */
int regconf_load(struct regconf *c, struct berth_error *err);
void regconf_clear(struct regconf *c);
/* The settings of host, or NULL. */
const struct regconf_registry *regconf_find(const struct regconf *c, const char *host);
/* May host be reached over plain HTTP (or TLS without verification)?
 * Only when it is insecure in the file, or a loopback name (localhost,
 * 127.0.0.0/8, [::1]), as docker decides. */
bool regconf_plain_ok(const struct regconf *c, const char *host);
/* The global section's bounds, for http_client_set_limits. */
void regconf_http_limits(const struct regconf *c, struct http_limits *l);
/* Is host (with or without a port) a loopback name? */
bool regconf_is_loopback(const char *host);

#endif
