/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * credentials.h: a registry's stored credentials (credentials.c), looked
 * up in this order, the first that has some winning:
 *   1. berth's own auth file, which `berth login` writes:
 *      $BERTH_AUTH_FILE, else $XDG_CONFIG_HOME/berth/auth.json, else
 *      ~/.config/berth/auth.json (podman's auth.json format);
 *   2. $XDG_RUNTIME_DIR/containers/auth.json (podman's);
 *   3. ~/.config/containers/auth.json ($XDG_CONFIG_HOME's when set);
 *   4. ~/.docker/config.json ($DOCKER_CONFIG/config.json when set).
 * In each: a credHelpers entry for the registry (docker's helper
 * protocol, credhelper.h), else an auths entry's base64 "auth", else
 * the file's credsStore helper. A credential is never in a message:
 * errors name the file or the helper.
 */
#ifndef BERTH_CREDENTIALS_H
#define BERTH_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>

#include "../lib/error.h"

struct cred {
	char *user;
	char *secret;
	char *from; /* the file, or "docker-credential-NAME" (for messages) */
};
/* Wipes the secret, then frees. */
void cred_clear(struct cred *c);
/* "Basic base64(user:secret)", the Authorization value. */
char *cred_basic(const struct cred *c);

/* The files read, in order (NULL-terminated, owned); the first is
 * berth's own. */
char **cred_files(void);
char *cred_auth_file(void);

/* host as references name it ("docker.io", "127.0.0.1:5000"). Returns
 * 1 with out filled, 0 when no source has credentials for host, -1 when
 * a file cannot be read or parsed, or a helper fails. */
int cred_lookup(const char *host, struct cred *out, struct berth_error *err);

/* What one file (its text) says for host: 1 with out filled, 2 with
 * *helper set (a credHelpers entry or credsStore: the caller asks it), 0
 * nothing, -1 on a document that is not a credentials file. */
int cred_parse(const char *buf, size_t len, const char *path, const char *host, struct cred *out,
	       char **helper, struct berth_error *err);
/* The host an auths or credHelpers key names ("https://index.docker.io/v1/"
 * is docker.io), or NULL for a key that names a namespace (podman's
 * "host/ns"), which berth does not use. */
char *cred_key_host(const char *key);
/* The server string a helper is asked for host (docker's: docker.io is
 * "https://index.docker.io/v1/"). */
char *cred_helper_server(const char *host);

/* What path holds, for `berth info`, never a secret: "auths: HOST, ...;
 * credHelpers: HOST (NAME), ...; credsStore: NAME", or "none". Returns 1,
 * 0 when there is no such file, -1 when it cannot be read or parsed. */
int cred_file_summary(const char *path, char **summary, struct berth_error *err);

/* berth's auth file: keep user/secret for host (made 0600, written to a
 * temporary name and renamed, its directory made 0700), other entries
 * kept. */
int cred_store(const char *host, const char *user, const char *secret, struct berth_error *err);
/* Remove host from berth's auth file: 1, or 0 when it had none. */
int cred_erase(const char *host, struct berth_error *err);
/* Remove berth's auth file: 1, or 0 when there was none. */
int cred_erase_all(struct berth_error *err);

#endif
