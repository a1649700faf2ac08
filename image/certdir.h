/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * certdir.h: a registry's TLS set-up from docker's certs.d layout
 * (certdir.c): a directory named as references name the registry
 * (HOST or HOST:PORT) holding extra CAs (*.crt) and client
 * certificates (NAME.cert with NAME.key). The first such directory
 * found under the roots is used, or --cert-dir's directory instead.
 * Not concerned with whether TLS may be skipped: regconf.h decides.
 */
#ifndef BERTH_CERTDIR_H
#define BERTH_CERTDIR_H

#include "regconf.h"
#include "../lib/http.h"

/* The certs.d roots searched, in order (NULL-terminated, owned):
 * $BERTH_CERTS_D, else the certs.d of the user's berth configuration ($XDG_CONFIG_HOME/berth or
 * ~/.config/berth), /etc/docker/certs.d, /etc/containers/certs.d. */
char **certdir_roots(void);

/* The TLS set-up of host into out (zeroed first): --cert-dir's directory
 * when c says so, else host's directory under the first root that has
 * one; nothing when none does. *dir is the directory used, or NULL. A
 * client certificate without its key (or the reverse), or a file that
 * cannot be read, fails naming the file. */
int certdir_tls(const struct regconf *c, const char *host, struct http_tls *out, char **dir,
		struct berth_error *err);

#endif
