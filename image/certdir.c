// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * certdir.c: certs.d directories (certdir.h). Files are read as docker
 * reads them: every *.crt is a CA added to the system's, every
 * NAME.cert a client certificate whose key is NAME.key.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "certdir.h"
#include "../lib/userconf.h"
#include "../lib/util.h"

#define CERT_FILE_MAX (1u << 20)

char **certdir_roots(void)
{
	char **v = NULL;
	size_t n = 0;
	_cleanup_free_ char *mine = userconf_file_path("BERTH_CERTS_D", "certs.d");

	strv_push(&v, &n, mine);
	strv_push(&v, &n, "/etc/docker/certs.d");
	strv_push(&v, &n, "/etc/containers/certs.d");
	return v;
}

static int append_file(int dfd, const char *dir, const char *name, char **pem, size_t *len,
		       struct berth_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t n;

	if (read_file_at(dfd, name, CERT_FILE_MAX, &buf, &n, err) < 0)
		return berth_error_wrap(err, "certificates of %s", dir);
	*pem = xrealloc(*pem, *len + n + 2);
	memcpy(*pem + *len, buf, n);
	*len += n;
	(*pem)[(*len)++] = '\n';
	(*pem)[*len] = '\0';
	return 0;
}

/* The system's CA bundle first: a CA blob replaces curl's CA file, and
 * docker adds certs.d's CAs to the system's rather than instead. */
static void start_with_system_cas(char **pem, size_t *len)
{
	_cleanup_free_ char *sys = http_default_ca_file();
	struct berth_error ignore = { 0 };

	if (sys && append_file(AT_FDCWD, sys, sys, pem, len, &ignore) < 0)
		berth_error_clear(&ignore); /* none: only the extra ones */
}

/* The client certificate NAME.cert of dir and its key NAME.key. */
static int client_pair(const char *dir, const char *name, struct http_tls *out,
		       struct berth_error *err)
{
	size_t stem = strlen(name) - strlen(".cert");
	_cleanup_free_ char *key = xasprintf("%s/%.*s.key", dir, (int)stem, name);
	struct stat st;

	if (stat(key, &st) < 0 || !S_ISREG(st.st_mode))
		return berth_error_set(err, 0, "%s/%s: a client certificate without its key %s",
				       dir, name, key);
	if (out->client_cert)
		return berth_error_set(err, 0, "%s: more than one client certificate (%s)", dir,
				       name);
	out->client_cert = xasprintf("%s/%s", dir, name);
	out->client_key = steal_pointer(&key);
	return 0;
}

static int orphan_key(const char *dir, const char *name, struct berth_error *err)
{
	size_t stem = strlen(name) - strlen(".key");
	_cleanup_free_ char *cert = xasprintf("%s/%.*s.cert", dir, (int)stem, name);
	struct stat st;

	if (stat(cert, &st) < 0)
		return berth_error_set(err, 0, "%s/%s: a client key without its certificate %s",
				       dir, name, cert);
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_dir(const char *dir, struct http_tls *out, struct berth_error *err)
{
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = NULL;
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	int ret = 0;

	if (dfd < 0 || !(d = opendir_fd(dfd)))
		return berth_error_set(err, errno, "certificates: %s", dir);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			strv_push(&names, &n, de->d_name);
	/* sorted: the same bundle whatever the directory's order */
	qsort(names, n, sizeof(*names), cmp_name);
	for (size_t i = 0; i < n && ret == 0; i++) {
		if (str_has_suffix(names[i], ".crt")) {
			if (!out->ca_pem)
				start_with_system_cas(&out->ca_pem, &out->ca_len);
			ret = append_file(dfd, dir, names[i], &out->ca_pem, &out->ca_len, err);
		} else if (str_has_suffix(names[i], ".cert")) {
			ret = client_pair(dir, names[i], out, err);
		} else if (str_has_suffix(names[i], ".key")) {
			ret = orphan_key(dir, names[i], err);
		}
	}
	strv_free(names);
	return ret;
}

int certdir_tls(const struct regconf *c, const char *host, struct http_tls *out, char **dir,
		struct berth_error *err)
{
	char **roots;

	memset(out, 0, sizeof(*out));
	*dir = NULL;
	out->no_verify = c && c->flags.no_verify;
	if (c && c->flags.cert_dir) {
		*dir = xstrdup(c->flags.cert_dir);
	} else {
		roots = certdir_roots();
		for (char **r = roots; *r && !*dir; r++) {
			_cleanup_free_ char *d = xasprintf("%s/%s", *r, host);
			struct stat st;
			if (stat(d, &st) == 0 && S_ISDIR(st.st_mode))
				*dir = steal_pointer(&d);
		}
		strv_free(roots);
	}
	if (*dir && read_dir(*dir, out, err) < 0) {
		http_tls_clear(out);
		free(*dir);
		*dir = NULL;
		return -1;
	}
	return 0;
}
